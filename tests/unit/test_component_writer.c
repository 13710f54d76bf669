/* The component's OTA writer (src/ota_writer.c) on the simulated device: with flash
 * encryption it writes whole aligned 16-byte blocks only and never trusts a read that
 * looks erased; it fills in the chip's eFuse block revision and flash size, so an app
 * that needs a newer eFuse block is accepted on a chip that has one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_ota_ops.h"
#include "fixture_device.h"
#include "imagegen.h"
#include "nor_flash.h"
#include "ota_internal.h"
#include "ptable.h"
#include "softap_ota.h"
#include "sota_host.h"

#define SLOT_OTA_0 0x110000u

static const char *const s_csv =
    "nvs,data,nvs,0x9000,0x4000,\n"
    "otadata,data,ota,0xd000,0x2000,\n"
    "phy_init,data,phy,0xf000,0x1000,\n"
    "factory,app,factory,0x10000,1M,\n"
    "ota_0,app,ota_0,0x110000,1M,\n"
    "ota_1,app,ota_1,0x210000,1M,\n";

static uint8_t *make_image(const sota_chip_t *chip, const char *version, uint32_t size, uint16_t min_efuse,
                           size_t *len)
{
    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.chip = chip;
    g.project = "app";
    g.version = version;
    g.size = size;
    g.seed = size;
    g.min_efuse_blk_rev = min_efuse;
    uint8_t *img = NULL;
    assert_int_equal(imagegen_build(&g, &img, len), 0);
    return img;
}

/* A flash with the table and an updater in factory, booted (factory runs). */
static nor_flash_t *make_device(sota_host_config_t *cfg, const sota_chip_t *chip, bool encryption,
                                uint16_t efuse_blk_rev)
{
    nor_flash_t *f = fx_flash_with_table(s_csv);
    size_t len;
    uint8_t *img = make_image(chip, "1.0", 20000, 0, &len);
    assert_int_equal(nor_load(f, 0x10000, img, len), NOR_OK);
    free(img);
    memset(cfg, 0, sizeof *cfg);
    cfg->flash = f;
    cfg->chip = chip;
    cfg->rollback_enabled = true;
    cfg->quiet = true;
    cfg->flash_encryption = encryption;
    cfg->efuse_blk_rev = efuse_blk_rev;
    assert_int_equal(sota_host_boot(cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "factory");
    return f;
}

/* Feed img to a session over the component's writer in pieces of the sizes in
 * chunks[] (cycled), as httpd hands them over. Returns the outcome; msg gets the
 * session's message. */
static sota_update_err_t run_update(const uint8_t *img, size_t len, const size_t *chunks, size_t nchunks,
                                 char *msg, size_t msglen)
{
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    ota_writer_t w;
    sota_update_cfg_t ucfg;
    assert_int_equal(ota_writer_target(&w, &c, &ucfg), ESP_OK);
    ucfg.announced_len = len;
    ucfg.announced_exact = true;
    sota_update_t *u = malloc(sizeof *u);
    assert_non_null(u);
    sota_update_init(u, &ucfg, &ota_writer_ops, &w);
    sota_update_err_t ue = SOTA_UPDATE_OK;
    size_t k = 0;
    for (size_t off = 0; ue == SOTA_UPDATE_OK && off < len; k++) {
        size_t n = chunks[k % nchunks];
        if (n > len - off) {
            n = len - off;
        }
        ue = sota_update_feed(u, img + off, n);
        off += n;
    }
    if (ue == SOTA_UPDATE_OK) {
        ue = sota_update_finish(u);
    }
    snprintf(msg, msglen, "%.*s", (int)(msglen ? msglen - 1 : 0), u->msg);
    free(u);
    return ue;
}

/* Encrypted slot, pieces of every size modulo 16: the update installs and boots, and
 * flash holds exactly the image. Without the carry, esp_ota_write_with_offset refuses
 * the first piece that is not a multiple of 16. */
static void test_encrypted_update_any_piece_sizes(void **state)
{
    (void)state;
    static const size_t chunks[] = { 4096, 1, 15, 17, 4093, 100, 16, 3, 1460, 31, 2048, 7 };
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg, NULL, true, 0);
    size_t len;
    uint8_t *img = make_image(NULL, "2.0", 150000, 0, &len);
    char msg[400];
    sota_update_err_t ue = run_update(img, len, chunks, sizeof chunks / sizeof chunks[0], msg, sizeof msg);
    if (ue != SOTA_UPDATE_OK) {
        fail_msg("encrypted update failed: %s", msg);
    }
    assert_memory_equal(nor_map(f) + SLOT_OTA_0, img, len);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
    free(img);
    sota_host_shutdown();
    nor_close(f);
}

/* The same without encryption still writes the pieces as they come (no padding). */
static void test_plain_update_any_piece_sizes(void **state)
{
    (void)state;
    static const size_t chunks[] = { 1, 4095, 17, 333 };
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg, NULL, false, 0);
    size_t len;
    uint8_t *img = make_image(NULL, "2.0", 90000, 0, &len);
    char msg[400];
    if (run_update(img, len, chunks, 4, msg, sizeof msg) != SOTA_UPDATE_OK) {
        fail_msg("plain update failed: %s", msg);
    }
    assert_memory_equal(nor_map(f) + SLOT_OTA_0, img, len);
    free(img);
    sota_host_shutdown();
    nor_close(f);
}

/* The slot holds an older app whose second 64 KiB block was written as 0xFF: under
 * encryption it reads back as 0xFF but is programmed (its cipher text is not 0xFF). The
 * writer must erase it before writing the new app there; trusting the erased-looking
 * read writes over programmed flash. */
static void test_encrypted_programmed_ff_block_is_erased(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg, NULL, true, 0);
    const esp_partition_t *slot = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                                           ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    assert_non_null(slot);
    uint8_t *old = malloc(0x20000);
    assert_non_null(old);
    for (size_t i = 0; i < 0x10000; i++) {
        old[i] = (uint8_t)(i * 7 + 3);
    }
    memset(old + 0x10000, 0xFF, 0x10000);
    assert_int_equal(esp_partition_erase_range(slot, 0, 0x20000), ESP_OK);
    assert_int_equal(esp_partition_write(slot, 0, old, 0x20000), ESP_OK);
    free(old);
    uint8_t back[64];
    assert_int_equal(esp_partition_read(slot, 0x16000, back, sizeof back), ESP_OK);
    for (size_t i = 0; i < sizeof back; i++) {
        assert_int_equal(back[i], 0xFF); /* looks erased */
    }
    /* while erased flash reads as noise */
    assert_int_equal(esp_partition_read(slot, 0x30000, back, 16), ESP_OK);
    bool all_ff = true;
    for (size_t i = 0; i < 16; i++) {
        all_ff &= back[i] == 0xFF;
    }
    assert_false(all_ff);

    size_t len;
    uint8_t *img = make_image(NULL, "3.0", 150000, 0, &len);
    static const size_t chunks[] = { 4096 };
    char msg[400];
    sota_update_err_t ue = run_update(img, len, chunks, 1, msg, sizeof msg);
    if (ue != SOTA_UPDATE_OK) {
        fail_msg("update over an old app with a programmed 0xFF block failed: %s", msg);
    }
    assert_memory_equal(nor_map(f) + SLOT_OTA_0, img, len);
    free(img);
    sota_host_shutdown();
    nor_close(f);
}

/* The writer's operations alone: a file whose length is not a multiple of 16 ends in
 * a last block padded with 0xFF, written when the session finishes. */
static void test_encrypted_tail_is_padded(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg, NULL, true, 0);
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    ota_writer_t w;
    sota_update_cfg_t ucfg;
    assert_int_equal(ota_writer_target(&w, &c, &ucfg), ESP_OK);
    uint8_t data[137];
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(0xA0 ^ i);
    }
    assert_int_equal(ota_writer_ops.begin(&w), 0);
    assert_int_equal(ota_writer_ops.write(&w, 0, data, 37), 0);
    assert_int_equal(ota_writer_ops.write(&w, 37, data + 37, 100), 0);
    /* 128 bytes are in flash, 9 wait for the end */
    assert_memory_equal(nor_map(f) + SLOT_OTA_0, data, 128);
    assert_int_equal(nor_map(f)[SLOT_OTA_0 + 128], 0xFF);
    char msg[200] = "";
    assert_int_not_equal(ota_writer_ops.finish(&w, msg, sizeof msg), 0); /* not an app image */
    assert_memory_equal(nor_map(f) + SLOT_OTA_0, data, sizeof data);
    for (size_t i = sizeof data; i < 144; i++) {
        assert_int_equal(nor_map(f)[SLOT_OTA_0 + i], 0xFF);
    }
    sota_host_shutdown();
    nor_close(f);
}

/* The session is told the chip's eFuse block revision and flash size. */
static void test_target_reads_efuse_blk_rev_and_flash_size(void **state)
{
    (void)state;
    const sota_chip_t *c3 = sota_chip_by_name("esp32c3");
    assert_non_null(c3);
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg, c3, false, 101);
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    ota_writer_t w;
    sota_update_cfg_t ucfg;
    assert_int_equal(ota_writer_target(&w, &c, &ucfg), ESP_OK);
    assert_int_equal(ucfg.img.efuse_blk_rev, 101);
    assert_int_equal(ucfg.img.flash_size, NOR_DEFAULT_SIZE);
    assert_false(ucfg.img.no_efuse_blk_check);
    sota_host_shutdown();
    nor_close(f);
}

/* An esp32c3 app that needs eFuse block revision >= 1.0: accepted on a chip with 1.1,
 * refused (naming the check) on a chip with 0.0. */
static void test_efuse_blk_rev_gates_the_update(void **state)
{
    (void)state;
    const sota_chip_t *c3 = sota_chip_by_name("esp32c3");
    static const struct {
        uint16_t chip_blk;
        sota_update_err_t want;
    } rows[] = { { 101, SOTA_UPDATE_OK }, { 100, SOTA_UPDATE_OK }, { 99, SOTA_UPDATE_ERR_VERIFY }, { 0, SOTA_UPDATE_ERR_VERIFY } };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sota_host_config_t cfg;
        nor_flash_t *f = make_device(&cfg, c3, false, rows[i].chip_blk);
        size_t len;
        uint8_t *img = make_image(c3, "2.0", 30000, 100, &len);
        static const size_t chunks[] = { 4096 };
        char msg[400];
        sota_update_err_t ue = run_update(img, len, chunks, 1, msg, sizeof msg);
        if (ue != rows[i].want) {
            fail_msg("chip eFuse block %u: got %d (%s), want %d", rows[i].chip_blk, ue, msg, rows[i].want);
        }
        free(img);
        if (ue != SOTA_UPDATE_OK && !strstr(msg, "eFuse block revision too old")) {
            fail_msg("refusal does not name the eFuse check: %s", msg);
        }
        sota_host_shutdown();
        nor_close(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encrypted_update_any_piece_sizes),
        cmocka_unit_test(test_plain_update_any_piece_sizes),
        cmocka_unit_test(test_encrypted_programmed_ff_block_is_erased),
        cmocka_unit_test(test_encrypted_tail_is_padded),
        cmocka_unit_test(test_target_reads_efuse_blk_rev_and_flash_size),
        cmocka_unit_test(test_efuse_blk_rev_gates_the_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
