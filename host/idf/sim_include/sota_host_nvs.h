/* The simulated device's NVS storage (host only: no ESP-IDF counterpart).
 *
 * The host NVS (nvs.h, nvs_flash.h) keeps the default "nvs" partition in RAM and in a
 * small text file: nvs_flash_init loads the file (a missing file is an empty, freshly
 * erased partition), nvs_commit writes the whole store to it atomically (a temporary
 * file renamed over it), nvs_flash_erase deletes it. So values survive a simulated
 * restart (the program re-executes itself) exactly when they were committed: ESP-IDF
 * documents that only nvs_commit guarantees persistence, and the host holds code to that.
 *
 * Capacity is that of ESP-IDF's usual 0x6000-byte (6-page) "nvs" partition: 126 entries
 * of 32 bytes per page, one page kept free, strings up to 4000 bytes with the NUL, blobs
 * up to 20000 bytes.
 *
 * File format (one record per line, fields separated by one space; names and string
 * values %XX-escaped for bytes outside 0x21..0x7e and for '%'):
 *     SOTA-NVS 1
 *     N :<namespace>
 *     E :<namespace> :<key> <type> =<value>
 * type is u8 i8 u16 i16 u32 i32 u64 i64 (decimal value), str (escaped, without the NUL)
 * or blob (lowercase hex). Namespaces are listed before their entries. */
#ifndef SOTA_HOST_NVS_H
#define SOTA_HOST_NVS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default path, relative to the working directory. */
#define NVS_HOST_DEFAULT_PATH "build/nvs.dat"

/* Where the NVS file lives (copied; NULL: the default). Takes effect at the next
 * nvs_flash_init / nvs_flash_erase; the simulator sets it next to the flash file. */
void nvs_host_set_path(const char *path);

/* Whether nvs_flash_init has succeeded (and no deinit/erase since). Thread-safe. */
bool nvs_host_is_initialized(void);

/* Power loss: forget everything held in RAM (uncommitted values, open handles, the
 * initialised state) without writing, as a reset of a device does. The file keeps what
 * was last committed. For tests and the simulator's in-process reboot. */
void nvs_host_reset(void);

#ifdef __cplusplus
}
#endif

#endif
