/* Streaming verifier of ESP-IDF application images.
 *
 * The verdict is the one ESP-IDF's esp_image_verify(ESP_IMAGE_VERIFY, ...) reaches on
 * the same bytes written at the start of an erased app slot (ESP-FORMATS.md 3.1), with
 * checks in the same order, so the first failing check is the one ESP-IDF reports.
 * Bytes may be fed in pieces of any size; the verdict does not depend on how they are
 * split. RAM use is constant (no buffering of the image).
 *
 * Usage:
 *     sota_img_t v;
 *     sota_img_init(&v, &params);
 *     while (more) if (sota_img_feed(&v, buf, n) != SOTA_IMG_OK) break;   // early reject
 *     err = sota_img_finish(&v);                                          // full verdict
 *     printf("%s\n", sota_img_message(&v));
 */
#ifndef SOTA_IMAGE_H
#define SOTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sota_chip.h"
#include "sota_sha256.h"

#define SOTA_IMG_MAGIC          0xE9
#define SOTA_IMG_HEADER_LEN     24
#define SOTA_IMG_SEG_HEADER_LEN 8
#define SOTA_IMG_MAX_SEGMENTS   16
#define SOTA_APP_DESC_MAGIC     0xABCD5432u
/* A second-stage bootloader of ESP-IDF >= 5.1 has esp_bootloader_desc_t where an app has
 * its description (after the header and the first segment's header): its first byte is
 * this magic, then 3 reserved bytes, the version (u32), idf_ver[32], date_time[24]. */
#define SOTA_BOOTLOADER_DESC_MAGIC 0x50u
#define SOTA_APP_DESC_OFFSET    0x20  /* image offset of esp_app_desc_t */
#define SOTA_APP_DESC_LEN       256

/* Every way an image can fail, in the order esp_image_verify checks them. */
typedef enum {
    SOTA_IMG_OK = 0,
    SOTA_IMG_ERR_PART_SIZE,   /* the slot is larger than the chip can map */
    SOTA_IMG_ERR_MAGIC,       /* byte 0 is not 0xE9: not an app image */
    SOTA_IMG_ERR_CHIP_ID,     /* built for another chip */
    SOTA_IMG_ERR_CHIP_REV_MIN,/* needs a newer chip revision */
    SOTA_IMG_ERR_CHIP_REV_MAX,/* does not support this (newer) chip revision */
    SOTA_IMG_ERR_SEG_COUNT,   /* more than 16 segments */
    SOTA_IMG_ERR_SEG_LEN,     /* segment length not a multiple of 4 or >= the limit */
    SOTA_IMG_ERR_SEG0_SHORT,  /* segment 0 too short to hold the app description */
    SOTA_IMG_ERR_APP_DESC,    /* app description missing where the chip requires it */
    SOTA_IMG_ERR_SEG_ADDR,    /* flash-mapped segment not at its load address mod 64 KiB */
    SOTA_IMG_ERR_EFUSE_REV,   /* eFuse block revision outside the app's range */
    SOTA_IMG_ERR_READ,        /* the image runs past the end of the flash chip */
    SOTA_IMG_ERR_CHECKSUM,    /* XOR checksum byte wrong: corrupt or truncated */
    SOTA_IMG_ERR_TOO_BIG,     /* image longer than the slot */
    SOTA_IMG_ERR_HASH,        /* appended SHA-256 wrong: corrupt or truncated */
    SOTA_IMG_ERR_ARG,         /* caller error (NULL, feed after finish) */
    SOTA_IMG_ERR__COUNT
} sota_img_err_t;

typedef struct {
    const sota_chip_t *chip;  /* the chip the image must run on (required) */
    uint16_t chip_rev;        /* its revision, major*100+minor (e.g. 300 for v3.0) */
    uint16_t efuse_blk_rev;   /* its eFuse block revision, major*100+minor (usually 0) */
    bool no_efuse_blk_check;  /* skip the app description's eFuse block revision range, as
                               * bootloaders before ESP-IDF 5.4 do */
    uint32_t slot_size;       /* size of the app partition the image is written to */
    uint32_t slot_offset;     /* absolute flash address of that partition (64 KiB aligned).
                               * Equal to chip->bootloader_offset (0 on C3, S3, C6...), the
                               * image is checked as ESP-IDF checks a bootloader: no maximum
                               * chip revision, no segment 0 / app description / eFuse
                               * checks, appended SHA-256 not compared. App slots never sit
                               * there; don't leave it 0 by accident. */
    uint32_t flash_size;      /* size of the flash chip; reads past it fail. 0: 16 MiB */
} sota_img_params_t;

typedef struct {
    uint8_t magic;
    uint8_t segment_count;
    uint8_t spi_mode;
    uint8_t spi_speed;        /* low nibble of byte 3 */
    uint8_t spi_size;         /* high nibble of byte 3 */
    uint32_t entry_addr;
    uint8_t wp_pin;
    uint16_t chip_id;
    uint8_t min_chip_rev;     /* legacy, major only */
    uint16_t min_chip_rev_full;
    uint16_t max_chip_rev_full;
    uint8_t hash_appended;
} sota_img_header_t;

typedef struct {
    uint32_t load_addr;
    uint32_t data_len;
    uint32_t data_offset;     /* image offset of the segment's first data byte */
} sota_img_seg_t;

/* esp_app_desc_t, decoded; strings NUL-terminated (the image's may not be). */
typedef struct {
    uint32_t magic_word;
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size;    /* log2; 0 on older images */
} sota_app_desc_t;

/* Verifier state. Read the public results through the fields marked "result";
 * everything else is private. */
typedef struct sota_img {
    sota_img_params_t p;
    /* results */
    sota_img_header_t hdr;           /* valid once 24 bytes were seen */
    sota_img_seg_t seg[SOTA_IMG_MAX_SEGMENTS];
    uint8_t seg_seen;                /* segments whose header was read */
    bool have_header;
    bool have_desc;                  /* desc decoded (magic may still be wrong: check it) */
    sota_app_desc_t desc;
    uint8_t checksum_calc, checksum_read;
    bool have_checksum;
    uint8_t sha_calc[SOTA_SHA256_LEN], sha_read[SOTA_SHA256_LEN];
    bool have_sha;
    uint32_t image_len;              /* bytes of the image proper incl. checksum and hash */
    bool complete;                   /* every byte of the image has been seen */
    uint64_t fed;                    /* bytes fed so far (trailing bytes included) */
    uint64_t trailing;               /* bytes fed after the image ended */
    sota_img_err_t err;              /* sticky: first failure */
    char msg[200];                   /* message for err (or "valid ...") */
    /* private */
    int st;
    uint32_t st_left, st_pos, seg_idx;
    uint8_t buf[SOTA_APP_DESC_LEN];
    uint32_t xor_word;
    bool finished;
    sota_sha256_t sha;
    bool sha_active;
    uint64_t pos;                    /* image offset of the next byte */
    bool filling;                    /* sota_img_finish() is supplying erased bytes */
    bool is_boot;                    /* slot_offset is the bootloader's offset */
    uint32_t mmu_page;               /* page that mapped segments align to (set by seg 0) */
} sota_img_t;

/* Prepare v for a new image. p->chip must not be NULL. */
void sota_img_init(sota_img_t *v, const sota_img_params_t *p);

/* Feed the next len bytes of the file. Returns SOTA_IMG_OK while nothing is wrong so
 * far, else the first failure (sticky: later calls return it again and do nothing).
 * Failures that need the end of the image (checksum, hash, fit) are reported as soon
 * as the bytes that decide them arrive. Bytes after the end of the image are counted
 * in v->trailing and otherwise ignored (ESP-IDF ignores them too). */
sota_img_err_t sota_img_feed(sota_img_t *v, const void *data, size_t len);

/* End of the file: the verdict. Whatever the image still needs is read as erased flash
 * (0xFF), as esp_image_verify would read it from a slot the file was written to, up to
 * the end of the flash chip (SOTA_IMG_ERR_READ beyond it). Returns SOTA_IMG_OK only for
 * an image ESP-IDF accepts. Releases the hash context; calling it twice is harmless. */
sota_img_err_t sota_img_finish(sota_img_t *v);

/* Release resources without a verdict (abandoned upload). */
void sota_img_abort(sota_img_t *v);

/* Verify an image stored in flash: read(ctx, offset, buf, len) reads image bytes at
 * offset from the slot start and returns 0, or nonzero if the read is not possible
 * (past the chip end). Same verdict as feeding the slot's contents. */
typedef int (*sota_img_read_fn)(void *ctx, uint32_t offset, void *buf, size_t len);
sota_img_err_t sota_img_verify_from(sota_img_t *v, const sota_img_params_t *p,
                                    sota_img_read_fn read, void *ctx);

/* A message for the current state: what failed and what to do, or a one-line summary
 * of a valid image. Never NULL. */
const char *sota_img_message(const sota_img_t *v);
/* Short stable identifier of an error, e.g. "checksum", "chip_id". Never NULL. */
const char *sota_img_err_code(sota_img_err_t err);

/* Decode esp_app_desc_t from its 256 bytes. Returns true if the magic word matches. */
bool sota_img_desc_decode(const uint8_t raw[SOTA_APP_DESC_LEN], sota_app_desc_t *out);

#endif
