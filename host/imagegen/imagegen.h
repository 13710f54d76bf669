/* Test-image builder: valid ESP-IDF app images made to order, for tests and the simulator.
 *
 * Layout of what imagegen_build() makes (the shape of an esptool elf2image output):
 *   header (24 bytes, 4 segments, DIO, 4 MB, chip id and revisions from the options)
 *   segment 0  DROM  at the chip's DROM base + 0x20: esp_app_desc_t (256 bytes) + rodata
 *   segment 1  DRAM  (<= 32 KiB)
 *   segment 2  IRAM  (<= 32 KiB), holds the entry address
 *   segment 3  IROM  the rest; load address chosen so that its flash offset matches it
 *                    modulo the MMU page (the slot must be 64 KiB aligned, as app
 *                    partitions always are)
 *   zero padding + checksum byte, then the SHA-256 of everything before it (optional).
 * Segment data is pseudo-random from the seed (splitmix64): the same options give the
 * same bytes on every machine. Every image it makes passes sota_img verification for
 * its chip at the default revision with any 64 KiB-aligned slot it fits in. */
#ifndef SOTA_IMAGEGEN_H
#define SOTA_IMAGEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sota_chip.h"

#define IMAGEGEN_IDF_VER       "v5.x-sota-sim"  /* esp_app_desc_t.idf_ver of every image */
#define IMAGEGEN_DEFAULT_SIZE  0x10000u         /* 64 KiB */
#define IMAGEGEN_MAX_SIZE      0x1000000u       /* 16 MiB */

typedef enum {
    IMAGEGEN_OK = 0,
    IMAGEGEN_ERR_ARG = -1,    /* NULL argument, or a string longer than 31 characters */
    IMAGEGEN_ERR_SIZE = -2,   /* size below imagegen_min_size(), above IMAGEGEN_MAX_SIZE, or
                               * the code does not fit in the chip's flash-mapped windows */
    IMAGEGEN_ERR_NOMEM = -3,
    IMAGEGEN_ERR_LAYOUT = -4, /* imagegen_fixup(): the buffer is not a complete image */
} imagegen_err_t;

typedef struct {
    const sota_chip_t *chip;    /* NULL: esp32 */
    const char *project;        /* esp_app_desc_t.project_name, <= 31 chars; NULL: "sota_test" */
    const char *version;        /* esp_app_desc_t.version, <= 31 chars; NULL: "1.0.0" */
    uint32_t secure_version;    /* esp_app_desc_t.secure_version */
    uint32_t size;              /* total file length wanted (rounded up to a multiple of 16,
                                 * the image's granularity); 0: IMAGEGEN_DEFAULT_SIZE */
    uint64_t seed;              /* payload, ELF SHA-256, build time and date */
    bool hash;                  /* append the SHA-256 (hash_appended = 1) */
    uint16_t min_chip_rev;      /* header min_chip_rev_full (major*100+minor) */
    uint16_t max_chip_rev;      /* header max_chip_rev_full; 0: no maximum */
    uint16_t min_efuse_blk_rev; /* esp_app_desc_t min/max_efuse_blk_rev_full; 0: not set */
    uint16_t max_efuse_blk_rev;
    uint8_t mmu_page_size;      /* esp_app_desc_t.mmu_page_size (log2); 0 is written as 0 */
} imagegen_opts_t;

/* esp32, "sota_test", "1.0.0", secure_version 0, 64 KiB, seed 0, hash appended, no chip
 * or eFuse revision limits, mmu_page_size 16 (64 KiB). */
void imagegen_defaults(imagegen_opts_t *o);

/* The smallest size imagegen_build() accepts with these options (368 with the hash). */
uint32_t imagegen_min_size(const imagegen_opts_t *o);

/* Build an image. On success *out is a malloc'd buffer of *out_len bytes (the caller
 * frees it) and IMAGEGEN_OK is returned; otherwise an imagegen_err_t, *out is NULL and
 * *out_len 0. */
int imagegen_build(const imagegen_opts_t *o, uint8_t **out, size_t *out_len);

/* After a test changed bytes of an image: recompute its checksum byte and, if the
 * header says so, its appended SHA-256, walking the segment headers as they are now.
 * Returns IMAGEGEN_OK, IMAGEGEN_ERR_ARG (NULL), or IMAGEGEN_ERR_LAYOUT if the segments,
 * checksum or hash run past len or there are more than 16 segments. */
int imagegen_fixup(uint8_t *img, size_t len);

/* A sentence for an imagegen_err_t. Never NULL. */
const char *imagegen_strerror(int err);

#endif
