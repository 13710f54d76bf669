/* Test fixture: one file of every kind sota_ident names, with the structure of the real
 * files people download (merged images with the bootloader at file offset 0 and after
 * 0xFF padding, for esp32 and esp32c3; the 64 KiB bootloader parts of web installers;
 * Arduino's boot_app0.bin; SPIFFS as mkspiffs writes it; an ESP8266 build; an app
 * without app description as Arduino-ESP32 1.x builds it; apps for other chips larger
 * than the slot), and what an esp32 with 1 MiB OTA slots must answer for each.
 * Header-only; used by tests/unit/test_core_kinds.c and tests/integration/mkkinds.c
 * (which writes them for test_file_kinds.sh). Apps come from host/imagegen. */
#ifndef FIXTURE_KINDS_H
#define FIXTURE_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imagegen.h"
#include "sota_chip.h"
#include "sota_crc32.h"
#include "sota_le.h"

typedef struct {
    const char *file;     /* a name like the one people see */
    const char *kind;     /* sota_ident_kind_name on every path */
    int status;           /* what an upload to an esp32 with a 1 MiB slot gets */
    const char *says;     /* a piece of the reason */
    uint8_t *b;
    size_t len;
} fk_file_t;

#define FK_MAX 32

static inline uint8_t *fk_alloc(size_t len, uint8_t fill)
{
    uint8_t *b = malloc(len ? len : 1);
    if (b) {
        memset(b, fill, len);
    }
    return b;
}

/* An app image from imagegen (NULL on failure). */
static inline uint8_t *fk_app(const char *chip, uint32_t size, const char *version, size_t *len)
{
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.chip = sota_chip_by_name(chip);
    o.size = size;
    o.project = "kinds";
    o.version = version;
    o.seed = 11;
    uint8_t *img = NULL;
    return imagegen_build(&o, &img, len) == IMAGEGEN_OK ? img : NULL;
}

/* A second-stage bootloader image header at p: one segment loaded into the chip's RAM,
 * esp_bootloader_desc_t's magic byte (0x50) where an app has its description. */
static inline void fk_bootloader(uint8_t *p, uint16_t chip_id, uint32_t ram)
{
    memset(p, 0x3C, 0x400);
    memset(p, 0, 0x30);
    p[0] = 0xE9;
    p[1] = 3;
    p[2] = 2;
    p[3] = 0x20;                  /* 4 MB */
    sota_wr32(p + 4, ram + 0x400);
    p[8] = 0xEE;
    sota_wr16(p + 12, chip_id);
    p[23] = 1;
    sota_wr32(p + 24, ram);
    sota_wr32(p + 28, 0x300);
    p[0x20] = 0x50;
}

/* An otadata entry at p: ota_seq and its CRC, esp_rom_crc32_le(UINT32_MAX, seq, 4). */
static inline void fk_otadata_entry(uint8_t *p, uint32_t seq)
{
    sota_wr32(p, seq);
    sota_wr32(p + 28, sota_crc32_le(UINT32_MAX, p, 4));
}

/* A partition table row (nvs) at p. */
static inline void fk_ptable(uint8_t *p)
{
    static const uint8_t row[32] = { 0xAA, 0x50, 0x01, 0x02, 0x00, 0x90, 0, 0, 0x00, 0x60, 0, 0,
                                     'n', 'v', 's' };
    memcpy(p, row, sizeof row);
}

/* A whole flash image: 0xFF, the bootloader at boot_at, the table at table_at, the app
 * at app_at (file offsets). */
static inline uint8_t *fk_merged(uint16_t chip_id, uint32_t ram, size_t boot_at, size_t table_at,
                                 size_t app_at, const uint8_t *app, size_t app_len, size_t *len)
{
    *len = app_at + app_len;
    uint8_t *b = fk_alloc(*len, 0xFF);
    if (b) {
        fk_bootloader(b + boot_at, chip_id, ram);
        fk_ptable(b + table_at);
        if (app_len) {
            memcpy(b + app_at, app, app_len);
        }
    }
    return b;
}

static inline void fk_add(fk_file_t *f, size_t *n, const char *file, const char *kind, int status,
                          const char *says, uint8_t *b, size_t len)
{
    if (*n < FK_MAX) {
        f[*n] = (fk_file_t){ file, kind, status, says, b, len };
        (*n)++;
    } else {
        free(b);
    }
}

static inline void fk_free(fk_file_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].b);
        f[i].b = NULL;
    }
}

/* Build every file into f (FK_MAX entries); returns how many, 0 if an app could not be
 * made. Free with fk_free. */
static inline size_t fk_build(fk_file_t *f)
{
    size_t n = 0, la, lc, lx;
    uint8_t *app = fk_app("esp32", 100 * 1024, "2.0.0", &la);
    uint8_t *c3 = fk_app("esp32c3", 100 * 1024, "2.0.0", &lc);
    uint8_t *b;
    size_t len;
    if (!app || !c3) {
        free(app);
        free(c3);
        return 0;
    }
    fk_add(f, &n, "app.bin", "app", 200, "app image for esp32 (project \"kinds\"", app, la);

    /* Arduino-ESP32 1.x: no esp_app_desc_t, rodata where it would be */
    b = fk_alloc(la, 0);
    if (b) {
        memcpy(b, app, la);
        for (size_t i = 0x20; i < 0x120; i++) {
            b[i] = (uint8_t)(i * 7);
        }
        imagegen_fixup(b, la);
    }
    fk_add(f, &n, "arduino1_app.bin", "app", 200, "no version information", b, la);
    b = fk_app("esp32", 1200 * 1024, "2.0.0", &lx);
    fk_add(f, &n, "app_too_big.bin", "app", 413, "slot holds 1048576 bytes", b, lx);
    b = fk_app("esp32c3", 100 * 1024, "2.0.0", &lx);
    fk_add(f, &n, "app_esp32c3.bin", "app_other_chip", 415, "esp32c3, but this device is an esp32", b, lx);
    b = fk_app("esp32s3", 1200 * 1024, "2.0.0", &lx);
    fk_add(f, &n, "app_esp32s3_big.bin", "app_other_chip", 415, "esp32s3, but this device is an esp32", b, lx);

    /* ESP8266 (Arduino): E9, segment 0 at 0x4010F000 where ESP32 headers have 0xEE */
    b = fk_alloc(400 * 1024, 0x5A);
    if (b) {
        static const uint8_t h[16] = { 0xE9, 0x01, 0x02, 0x40, 0x00, 0xF0, 0x10, 0x40,
                                       0x00, 0xF0, 0x10, 0x40, 0x80, 0x05, 0x00, 0x00 };
        memcpy(b, h, sizeof h);
    }
    fk_add(f, &n, "esp8266_firmware.bin", "app_other_chip", 415, "esp8266", b, 400 * 1024);

    b = fk_alloc(0x5000, 0x3C);
    if (b) {
        fk_bootloader(b, 0, 0x3FFF0030);
    }
    fk_add(f, &n, "bootloader.bin", "bootloader", 415, "bootloader of esp32", b, 0x5000);

    b = fk_merged(0, 0x3FFF0030, 0x1000, 0x8000, 0x10000, app, la, &len);
    fk_add(f, &n, "merged_esp32_from0.bin", "merged", 415, "--chip esp32 write_flash 0x0 FILE", b, len);
    b = fk_merged(0, 0x3FFF0030, 0, 0x7000, 0xF000, app, la, &len);
    fk_add(f, &n, "merged_esp32_from1000.bin", "merged", 415, "--chip esp32 write_flash 0x1000 FILE", b, len);
    b = fk_merged(5, 0x3FCD5820, 0, 0x8000, 0x10000, c3, lc, &len);
    fk_add(f, &n, "merged_esp32c3.bin", "merged", 415, "--chip esp32c3 write_flash 0x0 FILE", b, len);
    b = fk_merged(5, 0x3FCD5820, 0x1000, 0x8000, 0x10000, c3, lc, &len);
    fk_add(f, &n, "merged_esp32c3_padded.bin", "merged", 415, "--chip esp32c3 write_flash 0x0 FILE", b, len);
    b = fk_merged(0, 0x3FFF0030, 0x1000, 0x8000, 0x10000, NULL, 0, &len);
    fk_add(f, &n, "installer_bootloader_esp32.bin", "bootloader_part", 415, "written over USB at 0x0", b, len);
    b = fk_merged(5, 0x3FCD5820, 0, 0x8000, 0x10000, NULL, 0, &len);
    fk_add(f, &n, "installer_bootloader_esp32c3.bin", "bootloader_part", 415, "without an app", b, len);
    free(c3);

    /* Arduino's boot_app0.bin: ota_seq 1 with its CRC, then ota_seq 0 alone */
    b = fk_alloc(0x2000, 0xFF);
    if (b) {
        fk_otadata_entry(b, 1);
        sota_wr32(b + 0x1000, 0);
    }
    fk_add(f, &n, "boot_app0.bin", "otadata", 415, "boot_app0.bin", b, 0x2000);
    fk_add(f, &n, "ota_data_initial.bin", "otadata", 415, "otadata image", fk_alloc(0x2000, 0xFF),
           0x2000);

    /* mkspiffs: object 1's index (0x8001) and data (0x0001) pages in block 0 */
    b = fk_alloc(0x30000, 0xFF);
    if (b) {
        sota_wr16(b, 0x8001);
        sota_wr16(b + 2, 0x0001);
        sota_wr16(b + 0xFE, 0);
        memset(b + 0x100, 0x41, 0x200);
        sota_wr16(b + 0x10FE, 0);
    }
    fk_add(f, &n, "spiffs.bin", "spiffs", 415, "SPIFFS", b, 0x30000);
    b = fk_alloc(0xC00, 0xFF);
    if (b) {
        fk_ptable(b);
    }
    fk_add(f, &n, "partitions.bin", "ptable", 415, "partition table", b, 0xC00);
    b = fk_alloc(0x8000, 0);
    if (b) {
        memcpy(b, "\x7F" "ELF\x01\x01\x01", 7);
    }
    fk_add(f, &n, "firmware.elf", "elf", 415, "ELF file", b, 0x8000);
    b = fk_alloc(5000, 0x33);
    if (b) {
        memcpy(b, "\x1F\x8B\x08", 3);
    }
    fk_add(f, &n, "firmware.bin.gz", "gzip", 415, "gzip", b, 5000);
    b = fk_alloc(5000, 0x44);
    if (b) {
        memcpy(b, "PK\x03\x04", 4);
    }
    fk_add(f, &n, "release.zip", "zip", 415, "zip archive", b, 5000);
    b = fk_alloc(0x4000, 0);
    if (b) {
        memcpy(b, "UF2\n\x57\x51\x5D\x9E", 8);
    }
    fk_add(f, &n, "firmware.uf2", "uf2", 415, "UF2", b, 0x4000);
    b = fk_alloc(0x20000, 0xFF);
    if (b) {
        memset(b, 0, 64);
        memcpy(b + 8, "littlefs", 8);
    }
    fk_add(f, &n, "littlefs.bin", "littlefs", 415, "LittleFS", b, 0x20000);
    b = fk_alloc(0x10000, 0);
    if (b) {
        static const uint8_t boot[16] = { 0xEB, 0x3C, 0x90, 'M', 'S', 'D', 'O', 'S', '5', '.', '0',
                                          0x00, 0x02, 0x01, 0x01, 0x00 };
        memcpy(b, boot, sizeof boot);
        b[0x10] = 2;
        b[510] = 0x55;
        b[511] = 0xAA;
    }
    fk_add(f, &n, "fatfs.bin", "fat", 415, "FAT", b, 0x10000);
    fk_add(f, &n, "erased.bin", "erased", 415, "all 0xFF", fk_alloc(0x10000, 0xFF), 0x10000);
    b = fk_alloc(3000, 'x');
    if (b) {
        memcpy(b, "<!DOCTYPE html>", 15);
    }
    fk_add(f, &n, "download.html", "unknown", 415, "starts with 3c 21 44 4f", b, 3000);
    fk_add(f, &n, "empty.bin", "empty", 415, "empty", fk_alloc(0, 0), 0);
    for (size_t i = 0; i < n; i++) {
        if (f[i].b == NULL) {
            fk_free(f, n);
            return 0;
        }
    }
    return n;
}

#endif
