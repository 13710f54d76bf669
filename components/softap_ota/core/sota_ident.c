/* File identification from the first bytes: the rules are listed in sota_ident.h. */
#include "sota_ident.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sota_image.h"
#include "sota_le.h"

#define UPLOAD_APP       "upload build/<project>.bin"
#define ONLY_APP         "Over the air only the app can be replaced: " UPLOAD_APP "."
#define FS_IMAGE         "for a data partition (write it with esptool or parttool.py). " \
                         "The updater takes app images only: " UPLOAD_APP "."
#define MERGED_MIN_LEN   0x10000u   /* longer than any bootloader: more follows it */
#define PTABLE_OFFSET    0x8000u
#define SECTOR           0x1000u
#define SPIFFS_MAGIC     0x20140529u

typedef struct {
    const uint8_t *p;
    size_t len;        /* bytes available */
    uint64_t total;    /* file length, 0 if unknown */
} head_t;

/* True if the n bytes at off are available and equal to m. */
static bool has(const head_t *h, size_t off, const void *m, size_t n)
{
    return off + n <= h->len && memcmp(h->p + off, m, n) == 0;
}

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

static void set(sota_ident_t *out, sota_file_kind_t kind, const char *fmt, ...)
{
    out->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

/* ---- filesystems ---- */

static bool is_fat_boot(const head_t *h, size_t off)
{
    if (off + 0x40 > h->len) {
        return false;
    }
    const uint8_t *b = h->p + off;
    bool jump = (b[0] == 0xEB && b[2] == 0x90) || b[0] == 0xE9;
    unsigned bps = sota_rd16(b + 0x0B);
    unsigned spc = b[0x0D];
    unsigned reserved = sota_rd16(b + 0x0E);
    unsigned fats = b[0x10];
    if (!jump || (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || spc == 0 ||
        (spc & (spc - 1)) != 0 || reserved == 0 || fats < 1 || fats > 2) {
        return false;
    }
    if (off + 512 <= h->len) {
        return b[510] == 0x55 && b[511] == 0xAA;
    }
    return has(h, off + 0x36, "FAT", 3) || has(h, off + 0x52, "FAT", 3);
}

static bool is_littlefs(const head_t *h)
{
    return has(h, 8, "littlefs", 8) || has(h, SECTOR + 8, "littlefs", 8);
}

/* SPIFFS as ESP-IDF formats it (4 KiB blocks, CONFIG_SPIFFS_USE_MAGIC[_LENGTH]). */
static bool is_spiffs(const head_t *h)
{
    static const uint16_t pages[] = { 256, 512, 1024 };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        size_t at = pages[i] - 2u;   /* last object id of the (only) lookup page */
        if (at + 2 > h->len) {
            continue;
        }
        uint16_t base = (uint16_t)(SPIFFS_MAGIC ^ pages[i]);
        uint16_t v0 = sota_rd16(h->p + at);
        uint16_t blocks = (uint16_t)(v0 ^ base);  /* block_count - 0 with the length magic */
        bool plain = v0 == base;
        if (!plain) {
            if (h->total == 0 || blocks < 2 || blocks != (uint16_t)(h->total / SECTOR)) {
                continue;
            }
        }
        if (SECTOR + at + 2 <= h->len) {
            uint16_t v1 = sota_rd16(h->p + SECTOR + at);
            if (v1 != (plain ? base : (uint16_t)(base ^ (uint16_t)(blocks - 1)))) {
                continue;
            }
        }
        return true;
    }
    return false;
}

/* ---- ESP images ---- */

typedef struct {
    uint16_t chip_id;
    const sota_chip_t *chip;
    bool desc;          /* app description magic at 0x20 */
    bool seg0_seen;
    bool seg0_mapped;   /* segment 0 loads from flash (DROM/IROM) */
    bool seg0_ram;      /* segment 0 loads into RAM */
    char project[33], version[33];
} esp_look_t;

static void look_esp(const head_t *h, size_t off, esp_look_t *e)
{
    memset(e, 0, sizeof *e);
    const uint8_t *b = h->p + off;
    e->chip_id = sota_rd16(b + 12);
    e->chip = sota_chip_by_id(e->chip_id);
    if (off + SOTA_APP_DESC_OFFSET + SOTA_APP_DESC_LEN <= h->len) {
        sota_app_desc_t d;
        e->desc = sota_app_desc_decode(b + SOTA_APP_DESC_OFFSET, &d);
        memcpy(e->project, d.project_name, sizeof e->project);
        memcpy(e->version, d.version, sizeof e->version);
    } else if (off + SOTA_APP_DESC_OFFSET + 4 <= h->len) {
        e->desc = sota_rd32(b + SOTA_APP_DESC_OFFSET) == SOTA_APP_DESC_MAGIC;
    }
    if (off + SOTA_IMG_HEADER_LEN + 4 <= h->len && b[1] != 0) {
        uint32_t load = sota_rd32(b + SOTA_IMG_HEADER_LEN);
        e->seg0_seen = true;
        if (e->chip != NULL) {
            e->seg0_mapped = sota_chip_is_mapped(e->chip, load);
            e->seg0_ram = !e->seg0_mapped && load >= 0x10000000u;
        }
    }
}

static void ident_merged(sota_ident_t *out, const esp_look_t *e, size_t boot_off)
{
    set(out, SOTA_FILE_MERGED,
        "This is a merged flash image for %s (bootloader at 0x%x, partition table, app), "
        "for flashing the whole chip over USB (esptool write_flash 0x0 FILE). " ONLY_APP,
        e->chip ? e->chip->name : "an ESP chip", (unsigned)boot_off);
}

static void ident_esp_at0(const head_t *h, const sota_chip_t *this_chip, sota_ident_t *out)
{
    if (h->len < SOTA_IMG_HEADER_LEN) {
        /* Too short to name its chip: an app image cut off inside its header. Let the
         * verifier give the exact verdict. */
        out->chip = this_chip;
        out->chip_id = this_chip ? this_chip->chip_id : 0;
        out->offset = 0;
        set(out, SOTA_FILE_APP, "This starts like an app image but is only %u bytes, less than "
            "an image header: it is truncated.", (unsigned)h->len);
        return;
    }
    esp_look_t e;
    look_esp(h, 0, &e);
    out->chip = e.chip;
    out->chip_id = e.chip_id;
    out->offset = 0;
    bool app = e.desc || e.seg0_mapped || !e.seg0_seen || (e.chip != NULL && !e.seg0_ram);
    if (e.chip == NULL && !e.desc) {
        set(out, SOTA_FILE_APP_OTHER_CHIP,
            "This starts like an ESP image (byte 0xE9) but names chip id %u, which no chip "
            "this updater knows has (an ESP8266 image?). Build the project for %s and "
            UPLOAD_APP ".", (unsigned)e.chip_id, this_chip ? this_chip->name : "this chip");
        return;
    }
    if (!app) {
        bool table = has(h, PTABLE_OFFSET, "\xAA\x50", 2) ||
                     has(h, PTABLE_OFFSET - SECTOR, "\xAA\x50", 2);
        if (table || h->total > MERGED_MIN_LEN) {
            ident_merged(out, &e, 0);
        } else {
            set(out, SOTA_FILE_BOOTLOADER,
                "This is a bootloader image for %s (build/bootloader/bootloader.bin): its code "
                "loads into RAM and it has no app description. " ONLY_APP, e.chip->name);
        }
        return;
    }
    if (e.chip == NULL || (this_chip != NULL && e.chip != this_chip)) {
        char what[48];
        if (e.chip != NULL) {
            snprintf(what, sizeof what, "%s (chip id %u)", e.chip->name, (unsigned)e.chip_id);
        } else {
            snprintf(what, sizeof what, "an unknown chip (chip id %u)", (unsigned)e.chip_id);
        }
        if (this_chip != NULL) {
            set(out, SOTA_FILE_APP_OTHER_CHIP,
                "This is an app image for %s, but this device is an %s (chip id %u). Build "
                "the project for it (idf.py set-target %s, idf.py build) and " UPLOAD_APP ".",
                what, this_chip->name, (unsigned)this_chip->chip_id, this_chip->name);
        } else {
            set(out, SOTA_FILE_APP_OTHER_CHIP,
                "This is an app image for %s, which this updater does not know.", what);
        }
        return;
    }
    if (e.desc && e.project[0] != '\0') {
        set(out, SOTA_FILE_APP, "This is an app image for %s (project \"%s\", version \"%s\").",
            e.chip->name, e.project, e.version);
    } else {
        set(out, SOTA_FILE_APP, "This is an app image for %s.", e.chip->name);
    }
}

/* ---- entry points ---- */

void sota_ident(const uint8_t *head, size_t head_len, uint64_t total_len,
                const sota_chip_t *this_chip, sota_ident_t *out)
{
    memset(out, 0, sizeof *out);
    out->offset = UINT32_MAX;
    head_t h = { head, head ? head_len : 0, total_len };
    const uint8_t *b = head;

    if (h.len == 0 && total_len == 0) {
        set(out, SOTA_FILE_EMPTY, "The file is empty (0 bytes). Choose the app image: "
            "build/<project>.bin.");
        return;
    }
    uint64_t need = (total_len != 0 && total_len < SOTA_IDENT_HEAD_LEN) ? total_len
                                                                        : SOTA_IDENT_HEAD_LEN;
    if (h.len < need) {
        set(out, SOTA_FILE_NEED_MORE, "internal error: file identification needs the first %u "
            "bytes (or the whole file if shorter), it got %u", (unsigned)need,
            (unsigned)h.len);
        return;
    }
    if (has(&h, 0, "\x7F" "ELF", 4)) {
        set(out, SOTA_FILE_ELF, "This is an ELF file (the .elf from build/, for debuggers). "
            "Upload the .bin next to it: build/<project>.bin.");
    } else if (has(&h, 0, "\x1F\x8B", 2)) {
        set(out, SOTA_FILE_GZIP, "This is a gzip-compressed file. Decompress it (gunzip) and "
            "upload the app image inside, normally build/<project>.bin.");
    } else if (has(&h, 0, "PK\x03\x04", 4)) {
        set(out, SOTA_FILE_ZIP, "This is a zip archive. Extract it and upload the app image "
            "inside (build/<project>.bin), not the bootloader or a merged image.");
    } else if (has(&h, 0, "UF2\n", 4) && has(&h, 4, "\x57\x51\x5D\x9E", 4)) {
        set(out, SOTA_FILE_UF2, "This is a UF2 file, for drag-and-drop flashing over USB. "
            "Upload the plain app image instead: build/<project>.bin.");
    } else if (has(&h, 0, "\xAA\x50", 2)) {
        set(out, SOTA_FILE_PTABLE, "This is a partition table "
            "(build/partition_table/partition-table.bin). " ONLY_APP);
    } else if (is_littlefs(&h)) {
        set(out, SOTA_FILE_LITTLEFS, "This is a LittleFS filesystem image, " FS_IMAGE);
    } else if (is_fat_boot(&h, 0)) {
        set(out, SOTA_FILE_FAT, "This is a FAT filesystem image, " FS_IMAGE);
    } else if (b[0] == SOTA_IMG_MAGIC) {
        ident_esp_at0(&h, this_chip, out);
    } else {
        /* Erased flash first: a merged image of a chip whose bootloader is not at 0, or
         * a FAT image with wear levelling (its first sector is a spare). */
        for (size_t off = SECTOR; off <= 2 * SECTOR && off < h.len; off += SECTOR) {
            if (!all_ff(b, off)) {
                break;
            }
            if (b[off] == SOTA_IMG_MAGIC && off + SOTA_IMG_HEADER_LEN <= h.len) {
                esp_look_t e;
                look_esp(&h, off, &e);
                if (e.chip != NULL) {
                    out->chip = e.chip;
                    out->chip_id = e.chip_id;
                    out->offset = (uint32_t)off;
                    ident_merged(out, &e, off);
                    return;
                }
            }
            if (off == SECTOR && is_fat_boot(&h, off)) {
                set(out, SOTA_FILE_FAT, "This is a FAT filesystem image with ESP-IDF's wear "
                    "levelling, " FS_IMAGE);
                return;
            }
        }
        if (is_spiffs(&h)) {
            set(out, SOTA_FILE_SPIFFS, "This looks like a SPIFFS filesystem image, " FS_IMAGE);
        } else if (all_ff(b, h.len)) {
            set(out, SOTA_FILE_ERASED, "This file is all 0xFF (erased flash, e.g. a read_flash "
                "dump of an empty region): there is no app in it. Upload build/<project>.bin.");
        } else {
            set(out, SOTA_FILE_UNKNOWN, "This is not an ESP app image: it starts with %02x %02x "
                "%02x %02x, an app image starts with e9. Upload the app image from your build "
                "folder: build/<project>.bin.", b[0], h.len > 1 ? b[1] : 0,
                h.len > 2 ? b[2] : 0, h.len > 3 ? b[3] : 0);
        }
    }
}

const char *sota_file_kind_name(sota_file_kind_t kind)
{
    static const char *const names[SOTA_FILE__COUNT] = {
        [SOTA_FILE_EMPTY] = "empty",
        [SOTA_FILE_APP] = "app",
        [SOTA_FILE_APP_OTHER_CHIP] = "app_other_chip",
        [SOTA_FILE_MERGED] = "merged",
        [SOTA_FILE_BOOTLOADER] = "bootloader",
        [SOTA_FILE_PTABLE] = "ptable",
        [SOTA_FILE_ELF] = "elf",
        [SOTA_FILE_GZIP] = "gzip",
        [SOTA_FILE_ZIP] = "zip",
        [SOTA_FILE_UF2] = "uf2",
        [SOTA_FILE_LITTLEFS] = "littlefs",
        [SOTA_FILE_SPIFFS] = "spiffs",
        [SOTA_FILE_FAT] = "fat",
        [SOTA_FILE_ERASED] = "erased",
        [SOTA_FILE_UNKNOWN] = "unknown",
        [SOTA_FILE_NEED_MORE] = "need_more",
    };
    if ((unsigned)kind < SOTA_FILE__COUNT && names[kind] != NULL) {
        return names[kind];
    }
    return "unknown";
}
