/* The ESP chips the updater knows: image chip ids, flash-mapped address ranges and
 * the rules of esp_image_verify that differ per chip. Figures from ESP-IDF's soc
 * headers (soc/soc.h, soc/ext_mem_defs.h) and esp_app_format.h. */
#ifndef SOTA_CHIP_H
#define SOTA_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;          /* "esp32", "esp32s3", ... as idf.py set-target spells it */
    uint16_t chip_id;          /* esp_image_header_t.chip_id (esp_chip_id_t) */
    uint32_t irom_low, irom_high; /* flash-mapped instruction range [low, high) */
    uint32_t drom_low, drom_high; /* flash-mapped data range [low, high) */
    bool mmu_page_configurable;/* C2, C6, H2...: segment 0 must carry the app description */
    bool flash_32bit_limit;    /* size limits are UINT32_MAX instead of 16 MiB (e.g. S3) */
    uint16_t default_rev;      /* the revision assumed when none is given, major*100+minor */
    uint32_t bootloader_offset;/* where the second-stage bootloader sits in flash */
    /* Added by the verifier's owner: */
    uint32_t extram_low, extram_high; /* flash-mapped PSRAM window [low, high) (P4), else 0 */
    uint32_t iram_low, iram_high; /* internal instruction RAM [low, high) */
    uint32_t dram_low, dram_high; /* internal data RAM [low, high) (same as IRAM on C6...) */
    bool efuse_blk_check;      /* segment 0's app description eFuse block revision range is
                                * checked (every chip but the ESP32) */
} sota_chip_t;

/* Where a segment's load address points on a chip. */
typedef enum {
    SOTA_REGION_NONE = 0,      /* below 0x10000000: not loaded (esptool's padding segment) */
    SOTA_REGION_IROM,          /* flash-mapped instructions */
    SOTA_REGION_DROM,          /* flash-mapped data */
    SOTA_REGION_FLASH,         /* the window IROM and DROM share (C6, H2, P4...) */
    SOTA_REGION_EXTRAM,        /* flash-mapped external RAM window (P4) */
    SOTA_REGION_IRAM,          /* internal instruction RAM, loaded by the bootloader */
    SOTA_REGION_DRAM,          /* internal data RAM, loaded by the bootloader */
    SOTA_REGION_RAM,           /* internal RAM shared by code and data (C6, H2, P4...) */
    SOTA_REGION_OTHER,         /* another loaded address (RTC memory...) */
} sota_region_t;

/* NULL when unknown. Names are matched case-insensitively. */
const sota_chip_t *sota_chip_by_name(const char *name);
const sota_chip_t *sota_chip_by_id(uint16_t chip_id);
/* The whole table, *count entries. */
const sota_chip_t *sota_chip_list(size_t *count);
/* "3.0" or "v3.0" or "3" -> 300; returns -1 if malformed. */
int sota_chip_parse_rev(const char *text);

/* esp_image_format.c's should_map(): true if the bootloader maps addr from flash through
 * the MMU (IROM, DROM or the P4's external RAM window), so the segment's flash offset must
 * match addr modulo the MMU page size. */
bool sota_chip_is_mapped(const sota_chip_t *chip, uint32_t addr);
/* The region addr falls in, and a short name for it ("DROM", "IRAM", ...). Never NULL. */
sota_region_t sota_chip_region(const sota_chip_t *chip, uint32_t addr);
const char *sota_chip_region_name(sota_region_t region);

#endif
