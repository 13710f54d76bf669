/* The simulated device the benchmark measures: an in-memory 4 MiB NOR flash laid out
 * from partitions.csv, the updater's image in factory (as `sota sim` makes it), and
 * optionally an older app image already in ota_0, the slot the next update goes to. */
#ifndef BENCH_DEV_H
#define BENCH_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nor_flash.h"

#define BENCH_PROJECT     "softap-ota"
#define BENCH_FACTORY_VER "0.1.0"   /* the running updater */
#define BENCH_OLD_VER     "0.0.9"   /* what the slot held before */
#define BENCH_NEW_VER     "0.2.0"   /* the upload */

/* An app image for the esp32, made by imagegen: len bytes (a multiple of 16), the
 * given version and seed, with or without the appended SHA-256. Exits with a message
 * on failure (the bench cannot go on). Caller frees *out. */
void bench_image(uint32_t len, const char *version, uint64_t seed, bool sha256,
                 uint8_t **out, size_t *out_len);

/* Power the device on: a fresh in-memory flash with the table of partitions.csv at
 * 0x8000, the factory image, and old_image (NULL: none, the slot is blank) in ota_0;
 * boot it (rollback enabled, as sdkconfig.defaults). restart_hook: what esp_restart
 * does (NULL: exit). Exits with a message on failure. Returns the flash (owned by the
 * device module: bench_dev_off() closes it). */
nor_flash_t *bench_dev_on(const uint8_t *old_image, size_t old_len, void (*restart_hook)(void *));
/* Power off and release the flash. */
void bench_dev_off(void);

/* Exit with "sota_bench: <what>" on stderr. */
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
