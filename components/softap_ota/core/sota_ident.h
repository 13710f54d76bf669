/* What is this file? Identification of an upload from its first bytes, so that a file
 * that is not an app image for this chip is refused before anything is erased, with a
 * message that says what the file is and which file to upload instead.
 *
 * Usage: buffer the first SOTA_IDENT_HEAD_LEN bytes of the upload (or the whole file if
 * it is shorter), then
 *     sota_ident_t id;
 *     sota_ident(head, head_len, total_len, chip, &id);
 *     if (id.kind != SOTA_FILE_APP) refuse(id.message);
 *
 * Rules, first match wins (offsets in the file; multi-byte values little-endian):
 *  1. empty: no byte at all.
 *  2. need_more: fewer than min(total, SOTA_IDENT_HEAD_LEN) bytes given (caller error).
 *  3. ELF 7F 45 4C 46; gzip 1F 8B; zip 50 4B 03 04; UF2 "UF2\n" + 0x9E5D5157 at 4;
 *     partition table AA 50; LittleFS "littlefs" at 8 (or at 0x1008, second block).
 *  4. FAT: a boot sector at 0 (jump EB ?? 90 or E9, bytes per sector 512..4096, a power
 *     of two sectors per cluster, reserved sectors >= 1, 1 or 2 FATs, and 55 AA at 510
 *     when visible or "FAT" at 0x36/0x52 when not).
 *  5. E9 at 0, an ESP image; chip from the chip id at 12 (le16):
 *     - app: the app description magic 0xABCD5432 at 0x20, or segment 0 (load address
 *       at 24) flash-mapped (DROM/IROM) on that chip, or segment 0 not yet visible.
 *       SOTA_FILE_APP if the chip is this chip, else SOTA_FILE_APP_OTHER_CHIP (also for
 *       an unknown chip id);
 *     - bootloader: segment 0 loads into RAM and there is no app description. It is a
 *       merged flash image instead if a partition table (AA 50) shows at 0x8000 or 0x7000
 *       or the file is longer than 64 KiB (a bootloader is far smaller).
 *  6. 0xFF up to 0x1000 (0x2000), then: E9 with a known chip id -> merged flash image
 *     (bootloader at 0x1000 on esp32/esp32s2, 0x2000 on esp32p4/esp32c5); a FAT boot
 *     sector -> FAT with ESP-IDF's wear levelling (its first sector is a spare, erased).
 *  7. SPIFFS (best effort): at the end of the first lookup page (page 256, 512 or 1024
 *     bytes) the magic 0x20140529 ^ page ^ block_count (block_count = total / 4096; or
 *     without the block count) as le16, and the same for block 1 at 0x1000 when visible.
 *  8. erased: every byte given is 0xFF.
 *  9. unknown.
 * An app image of this chip may still fail sota_image's checks: ident only says what the
 * file is meant to be. */
#ifndef SOTA_IDENT_H
#define SOTA_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "sota_chip.h"

/* Bytes needed to identify any kind: shows an esp32 merged image's bootloader header
 * and first segment at 0x1000, and LittleFS's second superblock copy at 0x1008. */
#define SOTA_IDENT_HEAD_LEN 0x1100u

typedef enum {
    SOTA_FILE_EMPTY = 0,
    SOTA_FILE_APP,            /* app image for this chip: go on and verify it */
    SOTA_FILE_APP_OTHER_CHIP, /* app image for another (or an unknown) chip */
    SOTA_FILE_MERGED,         /* whole-flash image: bootloader + partition table + app */
    SOTA_FILE_BOOTLOADER,     /* second-stage bootloader (build/bootloader/bootloader.bin) */
    SOTA_FILE_PTABLE,         /* partition table binary */
    SOTA_FILE_ELF,
    SOTA_FILE_GZIP,
    SOTA_FILE_ZIP,
    SOTA_FILE_UF2,
    SOTA_FILE_LITTLEFS,
    SOTA_FILE_SPIFFS,
    SOTA_FILE_FAT,
    SOTA_FILE_ERASED,         /* all 0xFF */
    SOTA_FILE_UNKNOWN,
    SOTA_FILE_NEED_MORE,      /* caller error: fewer bytes than required */
    SOTA_FILE__COUNT
} sota_file_kind_t;

typedef struct {
    sota_file_kind_t kind;
    const sota_chip_t *chip;  /* chip of the ESP image found (app, bootloader, merged);
                               * NULL if none or an unknown chip id */
    uint16_t chip_id;         /* its chip id as read (valid when offset != UINT32_MAX);
                               * a file that starts with 0xE9 but is shorter than the
                               * 24-byte header has no chip id to read: it is reported
                               * as an app of this_chip (chip and chip_id are this_chip's)
                               * and left to the verifier, which calls it truncated */
    uint32_t offset;          /* file offset of that ESP image header, else UINT32_MAX */
    char message[256];        /* what the file is and what to upload instead */
} sota_ident_t;

/* Identify a file from its first bytes.
 *  head, head_len: the first bytes of the file; head_len must be at least
 *      min(total_len, SOTA_IDENT_HEAD_LEN) (more is allowed and may be used: a partition
 *      table at 0x8000 is seen if given); fewer gives SOTA_FILE_NEED_MORE.
 *  total_len: the file's length, or 0 if not known yet (then head_len == 0 means empty).
 *  this_chip: the device's chip (NULL: any known chip counts as this chip).
 *  out: filled in completely; out->message is never empty. */
void sota_ident(const uint8_t *head, size_t head_len, uint64_t total_len,
                const sota_chip_t *this_chip, sota_ident_t *out);

/* Stable short name of a kind: "empty", "app", "app_other_chip", "merged", "bootloader",
 * "ptable", "elf", "gzip", "zip", "uf2", "littlefs", "spiffs", "fat", "erased",
 * "unknown", "need_more". Never NULL. */
const char *sota_file_kind_name(sota_file_kind_t kind);

#endif
