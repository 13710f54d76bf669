/* File identification from the first bytes: the rules are listed in sota_ident.h. */
#include "sota_ident.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sota_crc32.h"
#include "sota_image.h"
#include "sota_le.h"

#define PTABLE_OFFSET    0x8000u
#define SECTOR           0x1000u
#define OTADATA_LEN      0x2000u
#define OTADATA_ENTRY    32u
#define SPIFFS_MAGIC     0x20140529u

/* ---- one name, one description, one piece of advice per kind ----
 * Descriptions and advice are templates: {chip} the image's chip, {this} this device's
 * chip, {addr} the flash address the file is written at, {boot} the chip's bootloader
 * offset, {about} what the app says of itself, {start} the first bytes in hex, {need}
 * the bytes identification needs, {fs} a filesystem's parameters. */

#define APP_FILE "the app image: a release's .bin without \"factory\" or \"merged\" in its " \
                 "name, or your build's app (ESP-IDF build/<project>.bin, PlatformIO " \
                 ".pio/build/<env>/firmware.bin, Arduino: Export Compiled Binary)"
#define UPLOAD_APP "Upload " APP_FILE "."
#define ONLY_APP "Over the air only the app can be replaced: upload " APP_FILE "."
#define FS_WHAT "filesystem image ({fs}), for a data partition."
#define FS_ADVICE(sub) "It can be written over the air to this device's " sub " data partition."

typedef struct {
    const char *name;
    const char *what;
    const char *advice;
} kind_info_t;

static const kind_info_t s_kinds[SOTA_FILE__COUNT] = {
    [SOTA_FILE_EMPTY] = { "empty", "The file is empty (0 bytes).", UPLOAD_APP },
    [SOTA_FILE_APP] = { "app", "This is an app image for {chip}{about}.",
                        "It can be installed over the air." },
    [SOTA_FILE_APP_OTHER_CHIP] = { "app_other_chip",
        "This is an app image for {chip}, but this device is an {this}.",
        "Download or build the firmware for {this} (ESP-IDF: idf.py set-target {this}) and "
        "upload its app image." },
    [SOTA_FILE_MERGED] = { "merged",
        "This is a merged flash image for {chip} (bootloader, partition table and app in one "
        "file), for flashing the whole chip over USB: esptool.py --chip {chip} write_flash "
        "{addr} FILE.", ONLY_APP },
    [SOTA_FILE_BOOTLOADER] = { "bootloader",
        "This is the second-stage bootloader of {chip} (bootloader.bin, written over USB at "
        "{addr}), not an app.", ONLY_APP },
    [SOTA_FILE_BOOTLOADER_PART] = { "bootloader_part",
        "This is the start of a {chip} flash image: bootloader and partition table without an "
        "app (the bootloader part of a web installer, written over USB at {addr}).", ONLY_APP },
    [SOTA_FILE_OTADATA] = { "otadata",
        "This is an otadata image (Arduino's boot_app0.bin or ESP-IDF's ota_data_initial.bin): "
        "it tells the bootloader which app to start and is written over USB to the otadata "
        "partition.", ONLY_APP },
    [SOTA_FILE_PTABLE] = { "ptable",
        "This is a partition table (partition-table.bin or partitions.bin, written over USB "
        "at 0x8000).", ONLY_APP },
    [SOTA_FILE_ELF] = { "elf", "This is an ELF file (the .elf of a build, for debuggers).",
        "Upload the .bin made from it, next to it in the build folder (build/<project>.bin)." },
    [SOTA_FILE_GZIP] = { "gzip", "This is a gzip-compressed file.",
        "Decompress it (gunzip) and upload the app image inside." },
    [SOTA_FILE_ZIP] = { "zip", "This is a zip archive.",
        "Extract it and upload the app image inside, not the bootloader or a merged image." },
    [SOTA_FILE_UF2] = { "uf2", "This is a UF2 file, for drag-and-drop flashing over USB.",
        UPLOAD_APP },
    [SOTA_FILE_LITTLEFS] = { "littlefs", "This is a LittleFS " FS_WHAT,
        FS_ADVICE("littlefs (subtype 0x83)") },
    [SOTA_FILE_SPIFFS] = { "spiffs", "This is a SPIFFS " FS_WHAT, FS_ADVICE("spiffs (subtype 0x82)") },
    [SOTA_FILE_FAT] = { "fat", "This is a FAT " FS_WHAT, FS_ADVICE("fat (subtype 0x81)") },
    [SOTA_FILE_ERASED] = { "erased",
        "This file is all 0xFF (erased flash, e.g. a read_flash dump of an empty region): "
        "there is no firmware in it.", UPLOAD_APP },
    [SOTA_FILE_UNKNOWN] = { "unknown",
        "This is not an ESP app image: it starts with {start}, an app image starts with e9.",
        UPLOAD_APP },
    [SOTA_FILE_NEED_MORE] = { "need_more",
        "internal error: file identification needs the first {need} bytes (or the whole file "
        "if shorter).", "Report this as a bug of the updater." },
};

/* The values the templates may name. */
typedef struct {
    const char *chip;
    const char *this_chip;
    uint32_t addr;
    uint32_t boot;
    char about[128];
    char start[16];
    uint32_t need;
    char fs[160];
} fields_t;

/* Append the template t with its {fields} filled in to out (size n, always terminated). */
static void expand(char *out, size_t n, const char *t, const fields_t *f)
{
    size_t o = 0;
    while (*t && o + 1 < n) {
        char val[128];
        const char *v = NULL;
        if (*t == '{') {
            const char *end = strchr(t, '}');
            size_t k = end ? (size_t)(end - t - 1) : 0;
            if (k == 4 && !strncmp(t + 1, "chip", 4)) {
                v = f->chip;
            } else if (k == 4 && !strncmp(t + 1, "this", 4)) {
                v = f->this_chip;
            } else if (k == 4 && !strncmp(t + 1, "addr", 4)) {
                snprintf(val, sizeof val, "0x%x", (unsigned)f->addr);
                v = val;
            } else if (k == 4 && !strncmp(t + 1, "boot", 4)) {
                snprintf(val, sizeof val, "0x%x", (unsigned)f->boot);
                v = val;
            } else if (k == 5 && !strncmp(t + 1, "about", 5)) {
                v = f->about;
            } else if (k == 5 && !strncmp(t + 1, "start", 5)) {
                v = f->start;
            } else if (k == 2 && !strncmp(t + 1, "fs", 2)) {
                v = f->fs;
            } else if (k == 4 && !strncmp(t + 1, "need", 4)) {
                snprintf(val, sizeof val, "%u", (unsigned)f->need);
                v = val;
            }
            if (v != NULL) {
                t = end + 1;
                size_t l = strlen(v);
                if (l > n - 1 - o) {
                    l = n - 1 - o;
                }
                memcpy(out + o, v, l);
                o += l;
                continue;
            }
        }
        out[o++] = *t++;
    }
    out[o] = '\0';
}

static void set(sota_ident_t *out, sota_file_kind_t kind, fields_t *f)
{
    out->kind = kind;
    if (sota_ident_kind_is_fs(kind)) {
        sota_ident_fs_describe(kind, &out->fs, f->fs, sizeof f->fs);
    }
    expand(out->reason, sizeof out->reason, s_kinds[kind].what, f);
    expand(out->advice, sizeof out->advice, s_kinds[kind].advice, f);
    snprintf(out->message, sizeof out->message, "%s %s", out->reason, out->advice);
}

/* ---- reading the head ---- */

typedef struct {
    const uint8_t *p;
    size_t len;        /* bytes available (at most SOTA_IDENT_HEAD_LEN) */
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

/* ---- filesystems and data partitions ---- */

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

/* The lookup page of one SPIFFS block at off: object ids of the block's pages, 0xFF up
 * to the magic (4 bytes before the page end) and the erase count. *magic: the magic
 * field; *index: an object index id (bit 15) is among the ids. */
static bool spiffs_lookup(const head_t *h, size_t off, uint16_t page, uint16_t *magic,
                          bool *index)
{
    if (off + page > h->len) {
        return false;
    }
    const uint8_t *p = h->p + off;
    size_t ids = SECTOR / page - 1u;   /* one lookup page, the rest data pages */
    *index = false;
    for (size_t i = 0; i < ids; i++) {
        uint16_t id = sota_rd16(p + 2 * i);
        *index |= id != 0xFFFF && (id & 0x8000u) != 0 && (id & 0x7FFFu) != 0;
    }
    *magic = sota_rd16(p + page - 4);
    return all_ff(p + 2 * ids, page - 4 - 2 * ids);
}

/* SPIFFS with 4 KiB blocks (ESP-IDF, spiffsgen.py, mkspiffs), rule 10. */
static bool is_spiffs(const head_t *h)
{
    static const uint16_t pages[] = { 256, 512 };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        uint16_t m0, m1;
        bool ix0, ix1;
        if (!spiffs_lookup(h, 0, pages[i], &m0, &ix0)) {
            continue;
        }
        bool second = spiffs_lookup(h, SECTOR, pages[i], &m1, &ix1);
        if (SECTOR + pages[i] <= h->len && !second) {
            continue;   /* block 1 visible but not a lookup page */
        }
        uint16_t base = (uint16_t)(SPIFFS_MAGIC ^ pages[i]);
        uint16_t blocks = (uint16_t)(m0 ^ base);   /* block_count - 0 with the length magic */
        bool plain = m0 == base && (!second || m1 == base);
        bool with_len = blocks >= 2 && blocks <= 0x4000 &&
                        (!second || m1 == (uint16_t)(base ^ (uint16_t)(blocks - 1))) &&
                        (h->total == 0 || h->total / SECTOR == blocks);
        bool no_magic = m0 == 0xFFFF && ix0 && (!second || m1 == 0xFFFF);
        if (plain || with_len || no_magic) {
            return true;
        }
    }
    return false;
}

/* ---- filesystem parameters (sota_ident.h, "Filesystem images") ---- */

static uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define LFS_TAG_TYPE(t) (((t) >> 20) & 0x7FFu)
#define LFS_TAG_LEN(t)  ((t) & 0x3FFu)

/* The superblock of the metadata block at off: revision (4), name tag, "littlefs", inline
 * struct tag, struct. */
static bool lfs_params_at(const head_t *h, size_t off, sota_fs_params_t *fs)
{
    if (off + 0x2C > h->len || memcmp(h->p + off + 8, "littlefs", 8) != 0) {
        return false;
    }
    const uint8_t *b = h->p + off;
    uint32_t name = rd_be32(b + 4) ^ 0xFFFFFFFFu;
    uint32_t st = rd_be32(b + 0x10) ^ name;
    if (LFS_TAG_TYPE(name) != 0x0FFu || LFS_TAG_LEN(name) != 8 || LFS_TAG_TYPE(st) != 0x201u ||
        LFS_TAG_LEN(st) < 24) {
        return false;
    }
    uint32_t version = sota_rd32(b + 0x14);
    uint32_t bs = sota_rd32(b + 0x18);
    uint32_t bc = sota_rd32(b + 0x1C);
    if (bs < 128 || (bs & (bs - 1)) != 0 || bc < 2 || version >> 16 == 0) {
        return false;
    }
    fs->known = true;
    fs->version_major = (uint16_t)(version >> 16);
    fs->version_minor = (uint16_t)version;
    fs->block_size = bs;
    fs->block_count = bc;
    fs->size = (uint64_t)bs * bc;
    return true;
}

/* The superblock lives in the metadata pair of blocks 0 and 1: take the copy with the
 * newer revision count (compared as littlefs does, by sequence), or the one that reads. */
static void lfs_params(const head_t *h, sota_fs_params_t *fs)
{
    sota_fs_params_t a = { 0 }, b = { 0 };
    bool ok0 = lfs_params_at(h, 0, &a);
    bool ok1 = lfs_params_at(h, SECTOR, &b);
    if (ok0 && ok1) {
        int32_t newer = (int32_t)(sota_rd32(h->p + SECTOR) - sota_rd32(h->p));
        *fs = newer > 0 ? b : a;
    } else if (ok0 || ok1) {
        *fs = ok0 ? a : b;
    }
}

/* SPIFFS: the page size its lookup page was found with, 4 KiB blocks, the block count
 * from the length magic or the file. */
static void spiffs_params(const head_t *h, sota_fs_params_t *fs)
{
    static const uint16_t pages[] = { 256, 512 };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        uint16_t m0;
        bool ix0;
        if (!spiffs_lookup(h, 0, pages[i], &m0, &ix0)) {
            continue;
        }
        uint16_t base = (uint16_t)(SPIFFS_MAGIC ^ pages[i]);
        uint16_t blocks = (uint16_t)(m0 ^ base);
        fs->known = true;
        fs->page_size = pages[i];
        fs->block_size = SECTOR;
        if (m0 != base && m0 != 0xFFFF && blocks >= 2) {
            fs->block_count = blocks;
        } else if (h->total != 0) {
            fs->block_count = (uint32_t)(h->total / SECTOR);
        }
        fs->size = (uint64_t)fs->block_count * SECTOR;
        return;
    }
}

/* FAT: the boot sector at off (is_fat_boot() said so). */
static void fat_params(const head_t *h, size_t off, sota_fs_params_t *fs)
{
    const uint8_t *b = h->p + off;
    uint32_t bps = sota_rd16(b + 0x0B);
    uint32_t spc = b[0x0D];
    uint32_t reserved = sota_rd16(b + 0x0E);
    uint32_t fats = b[0x10];
    uint32_t root = sota_rd16(b + 0x11);
    uint32_t total = sota_rd16(b + 0x13) ? sota_rd16(b + 0x13) : sota_rd32(b + 0x20);
    uint32_t spf = sota_rd16(b + 0x16);
    bool fat32 = spf == 0;
    if (fat32 && off + 0x5A <= h->len) {
        spf = sota_rd32(b + 0x24);
    }
    uint64_t meta = (uint64_t)reserved + (uint64_t)fats * spf + (root * 32u + bps - 1) / bps;
    if (total == 0 || meta >= total) {
        return;
    }
    uint64_t clusters = (total - meta) / spc;
    fs->known = true;
    fs->block_size = bps;
    fs->block_count = total;
    fs->offset = (uint32_t)off;
    fs->cluster_size = bps * spc;
    fs->fat_bits = fat32 ? 32 : clusters < 4085 ? 12 : 16;
    fs->size = off + (uint64_t)bps * total;
    size_t sig = fat32 ? 0x42 : 0x26;
    if (off + sig + 16 <= h->len && b[sig] == 0x29) {
        char l[12];
        memcpy(l, b + sig + 5, 11);
        l[11] = '\0';
        for (int i = 10; i >= 0 && l[i] == ' '; i--) {
            l[i] = '\0';
        }
        for (size_t i = 0; l[i]; i++) {
            if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x7E) {
                l[i] = '?';   /* shown to people: printable ASCII only */
            }
        }
        if (strcmp(l, "NO NAME") != 0) {
            memcpy(fs->label, l, sizeof fs->label);
        }
    }
}

static void kib(char *out, size_t n, uint64_t bytes)
{
    if (bytes % 1024 == 0) {
        snprintf(out, n, "%llu KiB", (unsigned long long)(bytes / 1024));
    } else {
        snprintf(out, n, "%llu bytes", (unsigned long long)bytes);
    }
}

void sota_ident_fs_describe(sota_file_kind_t kind, const sota_fs_params_t *fs, char *out, size_t n)
{
    char size[32];
    kib(size, sizeof size, fs->size);
    if (!fs->known) {
        snprintf(out, n, "%s", kind == SOTA_FILE_FAT ? "its boot sector could not be read"
                                                     : "its superblock could not be read");
    } else if (kind == SOTA_FILE_LITTLEFS) {
        snprintf(out, n, "%u-byte blocks, %u blocks: %s, disk version %u.%u",
                 (unsigned)fs->block_size, (unsigned)fs->block_count, size,
                 (unsigned)fs->version_major, (unsigned)fs->version_minor);
    } else if (kind == SOTA_FILE_SPIFFS && fs->block_count == 0) {
        snprintf(out, n, "%u-byte pages, %u-byte blocks", (unsigned)fs->page_size,
                 (unsigned)fs->block_size);
    } else if (kind == SOTA_FILE_SPIFFS) {
        snprintf(out, n, "%u-byte pages, %u-byte blocks, %u blocks: %s", (unsigned)fs->page_size,
                 (unsigned)fs->block_size, (unsigned)fs->block_count, size);
    } else {
        snprintf(out, n, "FAT%u, %u-byte sectors, %u sectors: %s, %u-byte clusters%s%s%s%s",
                 (unsigned)fs->fat_bits, (unsigned)fs->block_size, (unsigned)fs->block_count, size,
                 (unsigned)fs->cluster_size, fs->label[0] ? ", label \"" : "", fs->label,
                 fs->label[0] ? "\"" : "", fs->offset ? ", behind ESP-IDF's wear levelling" : "");
    }
}

bool sota_ident_kind_is_fs(sota_file_kind_t kind)
{
    return sota_ident_fs_subtype(kind) != 0;
}

uint8_t sota_ident_fs_subtype(sota_file_kind_t kind)
{
    switch (kind) {
    case SOTA_FILE_FAT: return 0x81;
    case SOTA_FILE_SPIFFS: return 0x82;
    case SOTA_FILE_LITTLEFS: return 0x83;
    default: return 0;
    }
}

/* esp_rom_crc32_le(UINT32_MAX, p, 4), as otadata entries carry it. */
static uint32_t otadata_crc(const uint8_t *p)
{
    return sota_crc32_le(UINT32_MAX, p, 4);
}

/* Rule 9: exactly 8 KiB, two sectors each an otadata entry then 0xFF. An entry is erased,
 * or carries its CRC, or is an ota_seq alone (Arduino's boot_app0.bin has ota_seq 1 with
 * its CRC in sector 0 and ota_seq 0 without one in sector 1). */
static bool is_otadata(const head_t *h)
{
    if (h->total != OTADATA_LEN || h->len < OTADATA_LEN) {
        return false;
    }
    for (size_t s = 0; s < OTADATA_LEN; s += SECTOR) {
        const uint8_t *e = h->p + s;
        bool entry = all_ff(e + 4, OTADATA_ENTRY - 4) ||
                     (sota_rd32(e) != 0xFFFFFFFFu && sota_rd32(e + 28) == otadata_crc(e));
        if (!entry || !all_ff(e + OTADATA_ENTRY, SECTOR - OTADATA_ENTRY)) {
            return false;
        }
    }
    return true;
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
        e->desc = sota_img_desc_decode(b + SOTA_APP_DESC_OFFSET, &d);
        memcpy(e->project, d.project_name, sizeof e->project);
        memcpy(e->version, d.version, sizeof e->version);
        e->project[sizeof e->project - 1] = '\0';
        e->version[sizeof e->version - 1] = '\0';
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

/* Rule 5: an ESP8266 image. Its header is 8 bytes and segment 0's load address follows,
 * where an ESP32-family header has the WP pin (0xEE) and SPI pin drive settings. */
static bool is_esp8266(const head_t *h)
{
    const uint8_t *b = h->p;
    if (h->len >= 2 && b[0] == 0xEA && b[1] == 4) {
        return true;
    }
    if (h->len < 16 || b[0] != SOTA_IMG_MAGIC || b[1] == 0 || b[1] > 16 || b[8] == 0xEE) {
        return false;
    }
    uint32_t load = sota_rd32(b + 8);
    return (load >= 0x3FFE8000u && load < 0x40000000u) ||   /* DRAM */
           (load >= 0x40100000u && load < 0x40110000u) ||   /* IRAM */
           (load >= 0x40200000u && load < 0x40300000u);     /* flash-mapped IROM */
}

/* Rule 8: a bootloader image at file offset file_off. */
static void ident_boot(const head_t *h, size_t file_off, const esp_look_t *e, fields_t *f,
                       sota_ident_t *out)
{
    uint32_t boot = e->chip->bootloader_offset;
    uint32_t start = file_off <= boot ? boot - (uint32_t)file_off : 0; /* flash addr of byte 0 */
    uint32_t ptable_at = PTABLE_OFFSET - start;
    f->addr = start;
    out->flash_addr = start;
    sota_file_kind_t kind;
    if (h->total == 0) {
        kind = SOTA_FILE_MERGED;
        out->decide_len = SOTA_IDENT_BOOT_REGION;
    } else if (h->total <= ptable_at) {
        kind = SOTA_FILE_BOOTLOADER;
    } else if (h->total <= SOTA_IDENT_BOOT_REGION) {
        kind = SOTA_FILE_BOOTLOADER_PART;
    } else {
        kind = SOTA_FILE_MERGED;
    }
    set(out, kind, f);
}

static void ident_esp_at0(const head_t *h, const sota_chip_t *this_chip, fields_t *f,
                          sota_ident_t *out)
{
    out->offset = 0;
    if (h->len < SOTA_IMG_HEADER_LEN) {
        /* Too short to name its chip: an app image cut off inside its header. Let the
         * verifier give the exact verdict. */
        out->chip = this_chip;
        out->chip_id = this_chip ? this_chip->chip_id : 0;
        f->chip = this_chip ? this_chip->name : "an ESP chip";
        snprintf(f->about, sizeof f->about, ", but only %u bytes, cut off inside its header: "
                 "it is truncated", (unsigned)h->len);
        set(out, SOTA_FILE_APP, f);
        return;
    }
    esp_look_t e;
    look_esp(h, 0, &e);
    out->chip = e.chip;
    out->chip_id = e.chip_id;
    bool app = e.desc || e.seg0_mapped || !e.seg0_seen || (e.chip != NULL && !e.seg0_ram);
    char unknown[40];
    snprintf(unknown, sizeof unknown, "an unknown chip (chip id %u)", (unsigned)e.chip_id);
    f->chip = e.chip ? e.chip->name : unknown;
    if (e.chip != NULL && !app) {
        ident_boot(h, 0, &e, f, out);
        return;
    }
    if (e.chip == NULL || (this_chip != NULL && e.chip != this_chip)) {
        set(out, SOTA_FILE_APP_OTHER_CHIP, f);
        return;
    }
    if (e.desc) {
        out->has_desc = true;
        memcpy(out->project, e.project, sizeof out->project);
        memcpy(out->version, e.version, sizeof out->version);
        snprintf(f->about, sizeof f->about, " (project \"%.32s\", version \"%.32s\")", e.project,
                 e.version);
    } else {
        snprintf(f->about, sizeof f->about, " with no version information (no app description, "
                 "as in Arduino-ESP32 1.x builds)");
    }
    set(out, SOTA_FILE_APP, f);
}

/* Rule 7: 0xFF up to a sector boundary, then a bootloader or a wear-levelled FAT. */
static bool ident_padded(const head_t *h, fields_t *f, sota_ident_t *out)
{
    for (size_t off = SECTOR; off <= 2 * SECTOR && off < h->len; off += SECTOR) {
        if (!all_ff(h->p, off)) {
            return false;
        }
        if (h->p[off] == SOTA_IMG_MAGIC && off + SOTA_IMG_HEADER_LEN <= h->len) {
            esp_look_t e;
            look_esp(h, off, &e);
            if (e.chip != NULL) {
                out->chip = e.chip;
                out->chip_id = e.chip_id;
                out->offset = (uint32_t)off;
                f->chip = e.chip->name;
                ident_boot(h, off, &e, f, out);
                return true;
            }
        }
        if (off == SECTOR && is_fat_boot(h, off)) {
            fat_params(h, off, &out->fs);
            set(out, SOTA_FILE_FAT, f);
            return true;
        }
    }
    return false;
}

/* ---- entry points ---- */

void sota_ident(const uint8_t *head, size_t head_len, uint64_t total_len,
                const sota_chip_t *this_chip, sota_ident_t *out)
{
    memset(out, 0, sizeof *out);
    out->offset = UINT32_MAX;
    size_t avail = head ? head_len : 0;
    head_t h = { head, avail < SOTA_IDENT_HEAD_LEN ? avail : SOTA_IDENT_HEAD_LEN, total_len };
    const uint8_t *b = head;
    fields_t f = { .chip = "an ESP chip", .this_chip = this_chip ? this_chip->name : "this chip" };

    if (h.len == 0 && total_len == 0) {
        set(out, SOTA_FILE_EMPTY, &f);
        return;
    }
    uint64_t need = (total_len != 0 && total_len < SOTA_IDENT_HEAD_LEN) ? total_len
                                                                        : SOTA_IDENT_HEAD_LEN;
    if (h.len < need) {
        f.need = (uint32_t)need;
        set(out, SOTA_FILE_NEED_MORE, &f);
        return;
    }
    if (has(&h, 0, "\x7F" "ELF", 4)) {
        set(out, SOTA_FILE_ELF, &f);
    } else if (has(&h, 0, "\x1F\x8B", 2)) {
        set(out, SOTA_FILE_GZIP, &f);
    } else if (has(&h, 0, "PK\x03\x04", 4)) {
        set(out, SOTA_FILE_ZIP, &f);
    } else if (has(&h, 0, "UF2\n", 4) && has(&h, 4, "\x57\x51\x5D\x9E", 4)) {
        set(out, SOTA_FILE_UF2, &f);
    } else if (has(&h, 0, "\xAA\x50", 2)) {
        set(out, SOTA_FILE_PTABLE, &f);
    } else if (is_littlefs(&h)) {
        lfs_params(&h, &out->fs);
        set(out, SOTA_FILE_LITTLEFS, &f);
    } else if (is_fat_boot(&h, 0)) {
        fat_params(&h, 0, &out->fs);
        set(out, SOTA_FILE_FAT, &f);
    } else if (is_esp8266(&h)) {
        f.chip = "esp8266";
        if (b[0] == SOTA_IMG_MAGIC) {
            out->offset = 0;
            out->chip_id = sota_rd16(b + 12);
        }
        set(out, SOTA_FILE_APP_OTHER_CHIP, &f);
    } else if (b[0] == SOTA_IMG_MAGIC) {
        ident_esp_at0(&h, this_chip, &f, out);
    } else if (ident_padded(&h, &f, out)) {
        return;
    } else if (is_otadata(&h)) {
        set(out, SOTA_FILE_OTADATA, &f);
    } else if (is_spiffs(&h)) {
        spiffs_params(&h, &out->fs);
        set(out, SOTA_FILE_SPIFFS, &f);
    } else if (all_ff(b, h.len)) {
        set(out, SOTA_FILE_ERASED, &f);
    } else {
        snprintf(f.start, sizeof f.start, "%02x %02x %02x %02x", b[0], h.len > 1 ? b[1] : 0,
                 h.len > 2 ? b[2] : 0, h.len > 3 ? b[3] : 0);
        set(out, SOTA_FILE_UNKNOWN, &f);
    }
}

const char *sota_ident_kind_name(sota_file_kind_t kind)
{
    if ((unsigned)kind < SOTA_FILE__COUNT && s_kinds[kind].name != NULL) {
        return s_kinds[kind].name;
    }
    return "unknown";
}
