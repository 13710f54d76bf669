/* Shared fixture of the host/idf OTA tests (test_idf_ota_*.c): a simulated device on a
 * 4 MiB flash in memory with a reference partition table and reference app images
 * (SOTA_TESTDATA, made by ESP-IDF's own tools); files are read with fixture_files.h
 * (fx_load, fx_free). Include after cmocka.h. */
#ifndef TEST_IDF_OTA_FIXTURE_H
#define TEST_IDF_OTA_FIXTURE_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "nor_flash.h"
#include "otadata.h"
#include "fixture_files.h"
#include "sota_host.h"

#define FX_PT(name)  SOTA_TESTDATA "/ptables/" name
#define FX_IMG(name) SOTA_TESTDATA "/images/" name

/* The reference table partitions_two_ota.bin. */
#define FX_OTADATA 0xd000u
#define FX_FACTORY 0x10000u
#define FX_OTA0    0x110000u
#define FX_OTA1    0x210000u
#define FX_SLOT    0x100000u

typedef struct {
    nor_flash_t *flash;
    sota_host_config_t cfg;
    jmp_buf jb;          /* where esp_restart() lands (restart hook) */
    volatile int restarts;
} fx_t;

static inline void fx_restart_hook(void *ctx)
{
    fx_t *fx = ctx;
    fx->restarts++;
    longjmp(fx->jb, 1);
}

/* Raw-load a file at a flash address (as esptool write_flash would). */
static inline void fx_put(nor_flash_t *f, uint32_t addr, const char *path)
{
    fx_blob_t b = fx_load(path);
    assert_int_equal(nor_load(f, addr, b.data, b.len), NOR_OK);
    fx_free(&b);
}

/* A 4 MiB flash with table `pt` at 0x8000 and, if factory_img, that image at factory. */
static inline fx_t *fx_new(const char *pt, const char *factory_img, bool rollback)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    nor_err_t err = NOR_OK;
    fx->flash = nor_open_mem(NOR_DEFAULT_SIZE, &err);
    assert_non_null(fx->flash);
    fx_put(fx->flash, 0x8000, pt);
    if (factory_img) {
        fx_put(fx->flash, FX_FACTORY, factory_img);
    }
    fx->cfg.flash = fx->flash;
    fx->cfg.rollback_enabled = rollback;
    fx->cfg.restart_hook = fx_restart_hook;
    fx->cfg.restart_ctx = fx;
    fx->cfg.quiet = true;
    return fx;
}

static inline void fx_destroy(fx_t *fx)
{
    sota_host_shutdown();
    nor_close(fx->flash);
    free(fx);
}

/* Power on / reboot the device; returns sota_host_boot's result. */
static inline esp_err_t fx_boot(fx_t *fx)
{
    boot_result_t r;
    return sota_host_boot(&fx->cfg, &r);
}

static inline void fx_otadata(fx_t *fx, otadata_entry_t e[2])
{
    assert_int_equal(otadata_read(fx->flash, FX_OTADATA, e), NOR_OK);
}

static inline const esp_partition_t *fx_part(const char *label)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, label);
    assert_non_null(p);
    return p;
}

/* OTA-write an image file into p: begin(size_arg), writes of `chunk` bytes in order (at
 * their offsets, as the product writes), end. Returns the first error, or end's result. */
static inline esp_err_t fx_ota(const esp_partition_t *p, const char *img, size_t size_arg, size_t chunk)
{
    fx_blob_t b = fx_load(img);
    esp_ota_handle_t h = 0;
    esp_err_t err = esp_ota_begin(p, size_arg, &h);
    for (size_t off = 0; err == ESP_OK && off < b.len; off += chunk) {
        size_t n = b.len - off < chunk ? b.len - off : chunk;
        err = esp_ota_write_with_offset(h, b.data + off, n, (uint32_t)off);
    }
    if (err == ESP_OK) {
        err = esp_ota_end(h);
    } else {
        esp_ota_abort(h);
    }
    fx_free(&b);
    return err;
}

/* true if [addr, addr+len) of the flash reads all 0xFF. */
static inline bool fx_erased(fx_t *fx, uint32_t addr, size_t len)
{
    const uint8_t *m = nor_map(fx->flash);
    for (size_t i = 0; i < len; i++) {
        if (m[addr + i] != 0xFF) {
            return false;
        }
    }
    return true;
}

#endif
