/* Unit tests of file identification (core/sota_ident.h): a table of synthetic files, one
 * or more per kind, each identified from exactly SOTA_IDENT_HEAD_LEN bytes (or the whole
 * file if shorter), from one byte less (need_more), and from the whole file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_files.h"
#include "fixture_kinds.h"
#include "sota_ident.h"
#include "sota_image.h"

#define LIMIT SOTA_IDENT_HEAD_LEN

/* ---- builders ---- */

typedef struct {
    uint8_t *b;
    size_t len;
} file_t;

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static file_t make(size_t len, uint8_t fill)
{
    file_t f = { malloc(len ? len : 1), len };
    assert_non_null(f.b);
    memset(f.b, fill, len);
    return f;
}

/* An ESP image header at off: chip id, first segment's load address, and optionally an
 * app description with project "blink", version "2.1". */
static void esp_header(file_t *f, size_t off, uint16_t chip_id, uint32_t seg0_load, bool desc)
{
    uint8_t *p = f->b + off;
    memset(p, 0, 0x120);
    p[0] = 0xE9;
    p[1] = 3;
    p[2] = 2;
    p[3] = 0x20;
    put32(p + 4, 0x40080400);
    p[8] = 0xEE;
    put16(p + 12, chip_id);
    p[23] = 1;
    put32(p + 24, seg0_load);
    put32(p + 28, 0x2000);
    if (desc) {
        put32(p + 0x20, SOTA_APP_DESC_MAGIC);
        memcpy(p + 0x30, "2.1", 3);
        memcpy(p + 0x50, "blink", 5);
    } else {
        p[0x20] = 0x50;   /* esp_bootloader_desc_t magic byte, as a bootloader has */
    }
}

static void fat_boot(file_t *f, size_t off, uint8_t jump, uint16_t bps)
{
    uint8_t *p = f->b + off;
    memset(p, 0, 512);
    p[0] = jump;
    p[1] = 0x3C;
    p[2] = 0x90;
    memcpy(p + 3, "MSDOS5.0", 8);
    put16(p + 0x0B, bps);
    p[0x0D] = 1;          /* sectors per cluster */
    put16(p + 0x0E, 1);   /* reserved sectors */
    p[0x10] = 2;          /* FATs */
    memcpy(p + 0x36, "FAT12   ", 8);
    p[510] = 0x55;
    p[511] = 0xAA;
}

static file_t f_app_esp32(void)
{
    file_t f = make(0x3000, 0x11);
    esp_header(&f, 0, 0, 0x3F400020, true);
    return f;
}

static file_t f_app_esp32_nodesc(void)
{
    file_t f = make(0x3000, 0x11);
    esp_header(&f, 0, 0, 0x3F400020, false);
    return f;
}

static file_t f_app_c3(void)
{
    file_t f = make(0x3000, 0x11);
    esp_header(&f, 0, 5, 0x3C000020, true);
    return f;
}

static file_t f_header_only(void)
{
    file_t f = make(24, 0);
    f.b[0] = 0xE9;
    f.b[1] = 5;
    return f;
}

static file_t f_unknown_chip(void)
{
    file_t f = make(0x3000, 0x11);
    esp_header(&f, 0, 0x00FF, 0x40100000, false);
    return f;
}

static file_t f_bootloader(void)
{
    file_t f = make(0x6000, 0x22);
    esp_header(&f, 0, 0, 0x3FFF0030, false);
    return f;
}

/* esp32c3 flash: bootloader at 0, table at 0x8000, app at 0x10000. */
static file_t f_merged_at0(void)
{
    file_t f = make(0x20000, 0xFF);
    esp_header(&f, 0, 5, 0x3FCD5820, false);
    f.b[0x8000] = 0xAA;
    f.b[0x8001] = 0x50;
    esp_header(&f, 0x10000, 5, 0x3C000020, true);
    return f;
}

/* Only a bootloader and a table: short, told apart by the table at 0x8000. */
static file_t f_merged_small(void)
{
    file_t f = make(0x9000, 0xFF);
    esp_header(&f, 0, 5, 0x3FCD5820, false);
    f.b[0x8000] = 0xAA;
    f.b[0x8001] = 0x50;
    return f;
}

static file_t f_merged_esp32(void)
{
    file_t f = make(0x20000, 0xFF);
    esp_header(&f, 0x1000, 0, 0x3FFF0030, false);
    return f;
}

static file_t f_merged_p4(void)
{
    file_t f = make(0x20000, 0xFF);
    esp_header(&f, 0x2000, 18, 0x4FF10000, false);
    return f;
}

static file_t f_ptable(void)
{
    file_t f = make(0xC00, 0xFF);
    static const uint8_t row[32] = { 0xAA, 0x50, 0x01, 0x02, 0x00, 0x90, 0, 0, 0x00, 0x60, 0, 0,
                                     'n', 'v', 's' };
    memcpy(f.b, row, sizeof row);
    return f;
}

static file_t f_elf(void)
{
    file_t f = make(0x5000, 0);
    memcpy(f.b, "\x7F" "ELF\x01\x01\x01", 7);
    return f;
}

static file_t f_gzip(void)
{
    file_t f = make(300, 0x33);
    f.b[0] = 0x1F;
    f.b[1] = 0x8B;
    f.b[2] = 8;
    return f;
}

static file_t f_zip(void)
{
    file_t f = make(2000, 0x44);
    memcpy(f.b, "PK\x03\x04", 4);
    return f;
}

static file_t f_uf2(void)
{
    file_t f = make(0x2000, 0);
    memcpy(f.b, "UF2\n\x57\x51\x5D\x9E", 8);
    return f;
}

static file_t f_littlefs(void)
{
    file_t f = make(0x20000, 0xFF);
    memset(f.b, 0, 64);
    memcpy(f.b + 8, "littlefs", 8);
    return f;
}

/* Superblock block 0 was erased by a compaction: only block 1 has it. */
static file_t f_littlefs_block1(void)
{
    file_t f = make(0x20000, 0xFF);
    memset(f.b + 0x1000, 0, 64);
    memcpy(f.b + 0x1008, "littlefs", 8);
    return f;
}

static file_t f_fat(void)
{
    file_t f = make(0x10000, 0);
    fat_boot(&f, 0, 0xEB, 512);
    return f;
}

static file_t f_fat_e9(void)
{
    file_t f = make(0x10000, 0);
    fat_boot(&f, 0, 0xE9, 512);
    return f;
}

/* wl_fatfsgen.py: a spare erased sector, then the FAT with 4 KiB sectors. */
static file_t f_fat_wl(void)
{
    file_t f = make(0x20000, 0xFF);
    memset(f.b + 0x1000, 0, 0x1000);
    fat_boot(&f, 0x1000, 0xEB, 4096);   /* its 55 AA (at 0x11FE) is beyond the limit */
    return f;
}

/* spiffsgen.py with --use-magic --use-magic-len, 256-byte pages, 16 blocks. */
static file_t f_spiffs_len(void)
{
    file_t f = make(0x10000, 0xFF);
    put16(f.b + 0xFC, (0x20140529u ^ 256u ^ 16u) & 0xFFFF);   /* magic: 4 bytes before the end */
    put16(f.b + 0x10FC, (0x20140529u ^ 256u ^ 15u) & 0xFFFF);
    put16(f.b + 0xFE, 3);                                      /* erase count */
    f.b[0] = 0x01;   /* an object id in the lookup table */
    return f;
}

static file_t f_spiffs_plain(void)
{
    file_t f = make(0x8000, 0xFF);
    for (size_t b = 0; b < 8; b++) {
        put16(f.b + b * 0x1000 + 0x1FC, (0x20140529u ^ 512u) & 0xFFFF);
    }
    return f;
}

/* mkspiffs without magic: object 1's index page (id 0x8001) and a data page (0x0001). */
static file_t f_spiffs_nomagic(void)
{
    file_t f = make(0x20000, 0xFF);
    put16(f.b + 0, 0x8001);
    put16(f.b + 2, 0x0001);
    put16(f.b + 0xFE, 0);           /* erase count */
    memset(f.b + 0x100, 0x5A, 0x200);
    put16(f.b + 0x10FE, 0);
    return f;
}

/* The SPIFFS of a real web installer (mkspiffs, 400 blocks): data page ids only, the
 * length magic, erase count 0. */
static file_t f_spiffs_installer(void)
{
    file_t f = make(400 * 0x1000, 0xFF);
    for (size_t blk = 0; blk < 2; blk++) {
        uint8_t *p = f.b + blk * 0x1000;
        for (size_t i = 0; i < 15; i++) {
            put16(p + 2 * i, i % 2 ? 1 : 0);
        }
        put16(p + 0xFC, (0x20140529u ^ 256u ^ (400u - blk)) & 0xFFFF);
        put16(p + 0xFE, 0);
        memset(p + 0x100, 0x41, 0xF00);
    }
    return f;
}

/* Not SPIFFS: object ids, but bytes after them in the lookup page. */
static file_t f_spiffs_broken(void)
{
    file_t f = f_spiffs_nomagic();
    f.b[0x40] = 0x12;
    return f;
}

/* esp32: the bootloader at file offset 0 (esptool merge_bin from 0x1000): table at 0x7000,
 * app at 0xF000. Written at 0x0 this board would not boot. */
static file_t f_merged_esp32_at0(void)
{
    file_t f = make(0x20000, 0xFF);
    esp_header(&f, 0, 0, 0x3FFF0030, false);
    f.b[0x7000] = 0xAA;
    f.b[0x7001] = 0x50;
    esp_header(&f, 0xF000, 0, 0x3F400020, true);
    return f;
}

/* A web installer's 64 KiB first part for esp32: 0xFF, bootloader at 0x1000, table at 0x8000. */
static file_t f_part_esp32(void)
{
    file_t f = make(0x10000, 0xFF);
    esp_header(&f, 0x1000, 0, 0x3FFF0030, false);
    f.b[0x8000] = 0xAA;
    f.b[0x8001] = 0x50;
    return f;
}

/* Arduino's boot_app0.bin: 8 KiB of 0xFF. */
static file_t f_otadata_blank(void)
{
    return make(0x2000, 0xFF);
}

/* otadata with ota_seq 1 in sector 0. */
static file_t f_otadata_seq1(void)
{
    file_t f = make(0x2000, 0xFF);
    fk_otadata_entry(f.b, 1);
    return f;
}

/* Arduino's boot_app0.bin: sector 1 holds ota_seq 0 alone, without CRC. */
static file_t f_otadata_arduino(void)
{
    file_t f = f_otadata_seq1();
    put32(f.b + 0x1000, 0);
    return f;
}

/* A wrong CRC: not otadata. */
static file_t f_otadata_badcrc(void)
{
    file_t f = f_otadata_seq1();
    f.b[28] ^= 1;
    return f;
}

/* The rest of a sector not erased: not otadata. */
static file_t f_otadata_dirty(void)
{
    file_t f = f_otadata_arduino();
    f.b[0x1800] = 0;
    return f;
}

/* ESP8266 (Arduino): E9, then segment 0 loads at 0x4010F000 where ESP32 has 0xEE. */
static file_t f_esp8266(void)
{
    file_t f = make(0x60000, 0x11);
    static const uint8_t h[16] = { 0xE9, 0x01, 0x02, 0x40, 0x00, 0xF0, 0x10, 0x40,
                                   0x00, 0xF0, 0x10, 0x40, 0x80, 0x05, 0x00, 0x00 };
    memcpy(f.b, h, sizeof h);
    return f;
}

/* ESP8266 esptool v2 image: magic EA, 4 segments. */
static file_t f_esp8266_v2(void)
{
    file_t f = make(0x60000, 0x11);
    static const uint8_t h[8] = { 0xEA, 0x04, 0x00, 0x00, 0x00, 0x00, 0x21, 0x40 };
    memcpy(f.b, h, sizeof h);
    return f;
}

static file_t f_erased(void)
{
    return make(0x10000, 0xFF);
}

static file_t f_text(void)
{
    file_t f = make(40, 0);
    memcpy(f.b, "hello, this is not firmware at all......", 40);
    return f;
}

static file_t f_tiny(void)
{
    file_t f = make(1, 0x42);
    return f;
}

/* ---- the table ---- */

#define UNKNOWN_TOTAL 0

typedef struct {
    const char *name;
    file_t (*build)(void);
    const char *this_chip;          /* NULL: none given */
    sota_file_kind_t at_limit;      /* from min(len, LIMIT) bytes, total known */
    sota_file_kind_t total_unknown; /* same bytes, total not known */
    sota_file_kind_t whole;         /* from the whole file */
    const char *says;               /* a piece of the message */
} case_t;

#define K(x) SOTA_FILE_##x
static const case_t s_cases[] = {
    { "app esp32", f_app_esp32, "esp32", K(APP), K(APP), K(APP),
      "project \"blink\", version \"2.1\"" },
    { "app esp32, any chip", f_app_esp32, NULL, K(APP), K(APP), K(APP), "app image for esp32" },
    { "app esp32 no desc", f_app_esp32_nodesc, "esp32", K(APP), K(APP), K(APP),
      "no version information" },
    { "app c3 on esp32", f_app_c3, "esp32", K(APP_OTHER_CHIP), K(APP_OTHER_CHIP),
      K(APP_OTHER_CHIP), "esp32c3, but this device is an esp32" },
    { "app c3 on c3", f_app_c3, "esp32c3", K(APP), K(APP), K(APP), "esp32c3" },
    { "header only", f_header_only, "esp32", K(APP), K(NEED_MORE), K(APP), "app image" },
    { "unknown chip id", f_unknown_chip, "esp32", K(APP_OTHER_CHIP), K(APP_OTHER_CHIP),
      K(APP_OTHER_CHIP), "chip id 255" },
    { "esp8266", f_esp8266, "esp32", K(APP_OTHER_CHIP), K(APP_OTHER_CHIP), K(APP_OTHER_CHIP),
      "for esp8266, but this device is an esp32" },
    { "esp8266 v2", f_esp8266_v2, "esp32c3", K(APP_OTHER_CHIP), K(APP_OTHER_CHIP),
      K(APP_OTHER_CHIP), "for esp8266, but this device is an esp32c3" },
    { "bootloader", f_bootloader, "esp32", K(BOOTLOADER), K(MERGED), K(BOOTLOADER),
      "bootloader.bin, written over USB at 0x1000" },
    { "merged c3 at 0", f_merged_at0, "esp32c3", K(MERGED), K(MERGED), K(MERGED),
      "esptool.py --chip esp32c3 write_flash 0x0 FILE" },
    { "bootloader part c3", f_merged_small, "esp32c3", K(BOOTLOADER_PART), K(MERGED),
      K(BOOTLOADER_PART), "without an app" },
    { "bootloader part esp32", f_part_esp32, "esp32", K(BOOTLOADER_PART), K(MERGED),
      K(BOOTLOADER_PART), "written over USB at 0x0" },
    { "merged esp32, padded", f_merged_esp32, "esp32", K(MERGED), K(MERGED), K(MERGED),
      "write_flash 0x0 FILE" },
    { "merged esp32 at 0", f_merged_esp32_at0, "esp32", K(MERGED), K(MERGED), K(MERGED),
      "esptool.py --chip esp32 write_flash 0x1000 FILE" },
    { "merged p4", f_merged_p4, "esp32p4", K(MERGED), K(MERGED), K(MERGED),
      "--chip esp32p4 write_flash 0x0 FILE" },
    { "partition table", f_ptable, "esp32", K(PTABLE), K(NEED_MORE), K(PTABLE),
      "partition-table.bin" },
    { "otadata blank", f_otadata_blank, "esp32", K(OTADATA), K(NEED_MORE), K(OTADATA),
      "boot_app0.bin" },
    { "otadata seq 1", f_otadata_seq1, "esp32", K(OTADATA), K(NEED_MORE), K(OTADATA),
      "otadata" },
    { "otadata boot_app0", f_otadata_arduino, "esp32", K(OTADATA), K(NEED_MORE), K(OTADATA),
      "otadata" },
    { "otadata not erased", f_otadata_dirty, "esp32", K(UNKNOWN), K(NEED_MORE), K(UNKNOWN),
      "01 00 00 00" },
    { "otadata bad crc", f_otadata_badcrc, "esp32", K(UNKNOWN), K(NEED_MORE), K(UNKNOWN),
      "01 00 00 00" },
    { "elf", f_elf, "esp32", K(ELF), K(ELF), K(ELF), "This is an ELF file" },
    { "gzip", f_gzip, "esp32", K(GZIP), K(NEED_MORE), K(GZIP), "gunzip" },
    { "zip", f_zip, "esp32", K(ZIP), K(NEED_MORE), K(ZIP), "zip archive" },
    { "uf2", f_uf2, "esp32s3", K(UF2), K(NEED_MORE), K(UF2), "UF2" },
    { "littlefs", f_littlefs, "esp32", K(LITTLEFS), K(LITTLEFS), K(LITTLEFS), "LittleFS" },
    { "littlefs block 1", f_littlefs_block1, "esp32", K(LITTLEFS), K(LITTLEFS), K(LITTLEFS),
      "LittleFS" },
    { "fat", f_fat, "esp32", K(FAT), K(FAT), K(FAT), "FAT" },
    { "fat, E9 jump", f_fat_e9, "esp32", K(FAT), K(FAT), K(FAT), "FAT" },
    { "fat with wear levelling", f_fat_wl, "esp32", K(FAT), K(FAT), K(FAT), "FAT" },
    { "spiffs, length magic", f_spiffs_len, "esp32", K(SPIFFS), K(SPIFFS), K(SPIFFS),
      "SPIFFS" },
    { "spiffs, plain magic", f_spiffs_plain, "esp32", K(SPIFFS), K(SPIFFS), K(SPIFFS), "SPIFFS" },
    { "spiffs, no magic", f_spiffs_nomagic, "esp32", K(SPIFFS), K(SPIFFS), K(SPIFFS), "SPIFFS" },
    { "spiffs, installer", f_spiffs_installer, "esp32c3", K(SPIFFS), K(SPIFFS), K(SPIFFS),
      "SPIFFS" },
    { "spiffs, broken", f_spiffs_broken, "esp32", K(UNKNOWN), K(UNKNOWN), K(UNKNOWN),
      "starts with 01 80 01 00" },
    { "erased", f_erased, "esp32", K(ERASED), K(ERASED), K(ERASED), "all 0xFF" },
    { "text", f_text, "esp32", K(UNKNOWN), K(NEED_MORE), K(UNKNOWN), "starts with 68 65 6c 6c" },
    { "one byte", f_tiny, "esp32", K(UNKNOWN), K(NEED_MORE), K(UNKNOWN),
      "starts with 42 00 00 00" },
};

static void expect_kind(const case_t *c, const file_t *f, size_t head, uint64_t total,
                        sota_file_kind_t want, const char *how)
{
    sota_ident_t id;
    memset(&id, 0xA5, sizeof id);   /* everything must be written */
    sota_ident(f->b, head, total, c->this_chip ? sota_chip_by_name(c->this_chip) : NULL, &id);
    if (id.kind != want) {
        fail_msg("%s (%s, head %zu): got %s ('%s'), expected %s", c->name, how, head,
                 sota_ident_kind_name(id.kind), id.message, sota_ident_kind_name(want));
    }
    size_t mlen = strnlen(id.message, sizeof id.message);
    assert_true(mlen > 0 && mlen < sizeof id.message - 1);   /* set, not cut */
    if (want == c->at_limit && want != SOTA_FILE_NEED_MORE && !strstr(id.message, c->says)) {
        fail_msg("%s: message '%s' lacks '%s'", c->name, id.message, c->says);
    }
    bool esp = want == SOTA_FILE_APP || want == SOTA_FILE_APP_OTHER_CHIP ||
               want == SOTA_FILE_BOOTLOADER || want == SOTA_FILE_MERGED ||
               want == SOTA_FILE_BOOTLOADER_PART;
    assert_int_equal(id.offset != UINT32_MAX, esp && f->b[0] != 0xEA);
    /* the message is the reason and the advice, both set */
    assert_true(id.reason[0] != '\0' && id.advice[0] != '\0');
    assert_non_null(strstr(id.message, id.reason));
    assert_non_null(strstr(id.message, id.advice));
    /* the kind waits for the length only when the length is unknown */
    assert_true(id.decide_len == 0 || total == 0);
    if (esp && id.chip != NULL) {
        assert_int_equal(id.chip->chip_id, id.chip_id);
    }
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const case_t *c = &s_cases[i];
        file_t f = c->build();
        size_t head = f.len < LIMIT ? f.len : LIMIT;
        expect_kind(c, &f, head, f.len, c->at_limit, "at the limit");
        expect_kind(c, &f, head, UNKNOWN_TOTAL, c->total_unknown, "total unknown");
        expect_kind(c, &f, head - 1, f.len, SOTA_FILE_NEED_MORE, "one short");
        expect_kind(c, &f, head - 1, UNKNOWN_TOTAL,
                    head - 1 == 0 ? SOTA_FILE_EMPTY : SOTA_FILE_NEED_MORE, "one short, no total");
        expect_kind(c, &f, f.len, f.len, c->whole, "whole file");
        /* a kind left to the length is the one the real length gives */
        sota_ident_t id;
        const sota_chip_t *chip = c->this_chip ? sota_chip_by_name(c->this_chip) : NULL;
        sota_ident(f.b, head, UNKNOWN_TOTAL, chip, &id);
        if (id.decide_len != 0) {
            assert_true(f.len > head);
            sota_ident(f.b, head, f.len, chip, &id);
            assert_int_equal(id.kind, c->at_limit);
        }
        free(f.b);
    }
}

/* Rule 8 at its edges: a bootloader file up to the partition table, a bootloader part up
 * to 64 KiB, a merged image beyond; per chip, from where the file starts in flash. */
static void test_boot_lengths(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint16_t id;
        uint32_t load;
        size_t at;          /* file offset of the bootloader (0xFF before it) */
        uint32_t table;     /* file offset of the partition table */
        const char *addr;   /* where the file is written */
    } cases[] = {
        { "esp32", 0, 0x3FFF0030, 0, 0x7000, "0x1000" },
        { "esp32", 0, 0x3FFF0030, 0x1000, 0x8000, "0x0" },
        { "esp32s2", 2, 0x3FFE0000, 0, 0x7000, "0x1000" },
        { "esp32c3", 5, 0x3FCD5820, 0, 0x8000, "0x0" },
        { "esp32s3", 9, 0x3FCE3808, 0, 0x8000, "0x0" },
        { "esp32p4", 18, 0x4FF10000, 0, 0x6000, "0x2000" },
        { "esp32c5", 23, 0x40800000, 0x2000, 0x8000, "0x0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_t lens[] = { cases[i].table, cases[i].table + 1, 0x10000, 0x10001 };
        const sota_file_kind_t kinds[] = { SOTA_FILE_BOOTLOADER, SOTA_FILE_BOOTLOADER_PART,
                                           SOTA_FILE_BOOTLOADER_PART, SOTA_FILE_MERGED };
        for (size_t k = 0; k < 4; k++) {
            file_t f = make(lens[k], 0xFF);
            esp_header(&f, cases[i].at, cases[i].id, cases[i].load, false);
            sota_ident_t id;
            sota_ident(f.b, LIMIT, f.len, sota_chip_by_name(cases[i].chip), &id);
            if (id.kind != kinds[k] || !strstr(id.reason, cases[i].addr)) {
                fail_msg("%s, bootloader at 0x%zx, %zu bytes: %s (%s), expected %s at %s",
                         cases[i].chip, cases[i].at, lens[k], sota_ident_kind_name(id.kind),
                         id.reason, sota_ident_kind_name(kinds[k]), cases[i].addr);
            }
            assert_int_equal(id.offset, cases[i].at);
            free(f.b);
        }
    }
}

static void test_empty(void **state)
{
    (void)state;
    sota_ident_t id;
    sota_ident(NULL, 0, 0, sota_chip_by_name("esp32"), &id);
    assert_int_equal(id.kind, SOTA_FILE_EMPTY);
    assert_string_equal(sota_ident_kind_name(id.kind), "empty");
    assert_non_null(strstr(id.message, "empty"));
    /* nothing given yet of a file that has bytes */
    sota_ident((const uint8_t *)"", 0, 100, NULL, &id);
    assert_int_equal(id.kind, SOTA_FILE_NEED_MORE);
}

/* A file that starts with 0xE9 but ends inside the 24-byte header: every length from 1
 * to 23 is read within bounds (found by fuzz_ident) and goes on to the verifier. */
static void test_short_esp_header(void **state)
{
    (void)state;
    const sota_chip_t *esp32 = sota_chip_by_name("esp32");
    for (size_t len = 1; len < 24; len++) {
        uint8_t *b = malloc(len); /* exactly len bytes: ASan sees any read past them */
        memset(b, 0, len);
        b[0] = 0xE9;
        sota_ident_t id;
        sota_ident(b, len, len, esp32, &id);
        assert_int_equal(id.kind, SOTA_FILE_APP);
        assert_non_null(strstr(id.message, "truncated"));
        free(b);
    }
}

/* The reference corpus: every app image is an app; the others what they are. */
static void test_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *chip;
        sota_file_kind_t kind;
    } cases[] = {
        { "c01_valid_esp32_10k.bin", "esp32", SOTA_FILE_APP },
        { "c03_valid_esp32s3_250k.bin", "esp32", SOTA_FILE_APP_OTHER_CHIP },
        { "c03_valid_esp32s3_250k.bin", "esp32s3", SOTA_FILE_APP },
        { "c04_valid_esp32c3_500k.bin", "esp32c3", SOTA_FILE_APP },
        { "c08_bad_appdesc_magic.bin", "esp32", SOTA_FILE_APP },
        { "c10_bad_magic.bin", "esp32", SOTA_FILE_UNKNOWN },
        { "c19_segcount0_raw.bin", "esp32", SOTA_FILE_APP },
        { "c22_segcount17.bin", "esp32", SOTA_FILE_APP },
        { "c27_wrong_chip_id.bin", "esp32", SOTA_FILE_APP_OTHER_CHIP },
        { "c36_empty.bin", "esp32", SOTA_FILE_EMPTY },
        { "c37_header_only.bin", "esp32", SOTA_FILE_APP },
        { "c39_all_ff_64k.bin", "esp32", SOTA_FILE_ERASED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t total;
        uint8_t *data = fx_read_testdata("images", cases[i].file, &total);
        size_t n = total < LIMIT ? total : LIMIT; /* the first bytes, as an upload gives them */
        sota_ident_t id;
        sota_ident(data, n, (uint64_t)total, sota_chip_by_name(cases[i].chip), &id);
        free(data);
        if (id.kind != cases[i].kind) {
            fail_msg("%s on %s: %s ('%s')", cases[i].file, cases[i].chip,
                     sota_ident_kind_name(id.kind), id.message);
        }
    }
}

static void test_names(void **state)
{
    (void)state;
    static const char *const names[SOTA_FILE__COUNT] = {
        "empty", "app", "app_other_chip", "merged", "bootloader", "ptable", "elf", "gzip",
        "zip", "uf2", "littlefs", "spiffs", "fat", "erased", "unknown", "need_more",
        "bootloader_part", "otadata",
    };
    for (int k = 0; k < SOTA_FILE__COUNT; k++) {
        assert_string_equal(sota_ident_kind_name((sota_file_kind_t)k), names[k]);
    }
    assert_string_equal(sota_ident_kind_name(SOTA_FILE__COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_boot_lengths),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_short_esp_header),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
