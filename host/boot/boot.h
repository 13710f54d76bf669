/* Bootloader simulator: what ESP-IDF's second-stage bootloader boots from a flash image
 * (ESP-FORMATS.md 2.1): partition table -> otadata -> rollback state changes -> image
 * verification with fallback to other slots. */
#ifndef BOOT_H
#define BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nor_flash.h"
#include "otadata.h"
#include "ptable.h"
#include "sota_chip.h"
#include "sota_image.h"

#define BOOT_FACTORY_INDEX (-1)
#define BOOT_TEST_INDEX    (-2)
#define BOOT_NO_INDEX      (-99)  /* selected_index/booted_index when there is none */

typedef struct {
    const sota_chip_t *chip;      /* chip whose images boot; NULL: esp32 */
    uint16_t chip_rev;            /* 0: the chip's default revision */
    bool chip_rev_exact;          /* chip_rev is used as given, even 0 (v0.0) */
    uint16_t efuse_blk_rev;       /* the chip's eFuse block revision (major*100+minor) */
    bool rollback_enabled;        /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool write;                   /* apply the bootloader's otadata writes to flash
                                     (false: decide only, flash untouched) */
    uint32_t table_offset;        /* 0: 0x8000 */
    FILE *log;                    /* where to say what is booted and why; NULL: silent */
} boot_opts_t;

typedef enum {
    BOOT_OK = 0,
    BOOT_ERR_PTABLE,              /* partition table rejected: nothing boots */
    BOOT_ERR_NO_APP,              /* no bootable app partition */
    BOOT_ERR_FLASH,               /* flash read/write failed (e.g. power cut) */
} boot_status_t;

typedef struct {
    boot_status_t status;
    ptable_t table;               /* the table read (valid unless BOOT_ERR_PTABLE) */
    bool has_otadata;
    uint32_t otadata_offset;
    otadata_entry_t otadata_before[2];
    otadata_entry_t otadata_after[2];  /* after the bootloader's writes (or as decided) */
    int selected_index;           /* what otadata selected: OTA index, or FACTORY/TEST */
    int booted_index;             /* what booted after fallback (valid if BOOT_OK) */
    char label[17];               /* booted partition label ("" if none) */
    uint32_t offset, size;        /* booted partition */
    sota_app_desc_t desc;         /* its app description (magic may be wrong) */
    char reason[320];             /* one paragraph: why this partition, or why none */
} boot_result_t;

/* Run the bootloader's choice on flash f. Returns r->status:
 *   BOOT_OK          an app boots: label/offset/size/desc/booted_index say which;
 *   BOOT_ERR_PTABLE  the table at table_offset is rejected (reason says why);
 *   BOOT_ERR_NO_APP  no partition holds a bootable image, or the otadata partition is
 *                    smaller than 0x2000 (the real bootloader resets and boot-loops);
 *   BOOT_ERR_FLASH   a flash read/write failed (power cut): the result is partial.
 * f and r must not be NULL; opts NULL means all defaults. r->reason and opts->log are
 * always filled (log: one "boot: ..." line per step). With write, the otadata changes
 * listed in ESP-FORMATS.md 2.1 are erased+programmed on f in the bootloader's order. */
boot_status_t boot_select(nor_flash_t *f, const boot_opts_t *opts, boot_result_t *r);

/* Verify the app image in partition [offset, offset+size) of f as esp_image_verify
 * does (reads past the chip end fail); v receives the details. chip NULL: esp32;
 * chip_rev 0: the chip's default revision. Returns SOTA_IMG_OK if valid, else the
 * first failing check (SOTA_IMG_ERR_READ also when the chip is dead after a cut). */
sota_img_err_t boot_verify_partition(nor_flash_t *f, const sota_chip_t *chip, uint16_t chip_rev,
                                     uint32_t offset, uint32_t size, sota_img_t *v);

#endif
