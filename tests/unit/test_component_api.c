/* The component's public API on the simulated device: softap_ota_start refuses bad
 * configurations, and softap_ota_reboot_to_factory selects the factory app and
 * restarts into it (the way back to the updater from any app). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_ota_ops.h"
#include "imagegen.h"
#include "nor_flash.h"
#include "nvs_flash.h"
#include "ptable.h"
#include "softap_ota.h"
#include "sota_host.h"
#include "sota_host_nvs.h"

static jmp_buf s_restart;
static int s_restarts;

static void on_restart(void *ctx)
{
    (void)ctx;
    s_restarts++;
    longjmp(s_restart, 1);
}

static const char *const s_csv =
    "nvs,data,nvs,0x9000,0x4000,\n"
    "otadata,data,ota,0xd000,0x2000,\n"
    "phy_init,data,phy,0xf000,0x1000,\n"
    "factory,app,factory,0x10000,1M,\n"
    "ota_0,app,ota_0,0x110000,1M,\n"
    "ota_1,app,ota_1,0x210000,1M,\n";

/* A flash with the table, "updater 1.0" in factory and "app 2.0" in ota_0, booted into
 * ota_0 (otadata selects it). */
static nor_flash_t *make_device(sota_host_config_t *cfg)
{
    nor_err_t ne;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &ne);
    assert_non_null(f);
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[200];
    uint8_t bin[PT_MAX_LEN];
    assert_int_equal(pt_from_csv(s_csv, &o, &t, err, sizeof err), 0);
    assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
    assert_int_equal(nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin), NOR_OK);
    static const struct {
        uint32_t at;
        const char *project, *version;
    } apps[] = { { 0x10000, "updater", "1.0" }, { 0x110000, "app", "2.0" } };
    for (size_t i = 0; i < 2; i++) {
        imagegen_opts_t g;
        imagegen_defaults(&g);
        g.project = apps[i].project;
        g.version = apps[i].version;
        g.size = 20000;
        g.seed = i + 1;
        uint8_t *img;
        size_t len;
        assert_int_equal(imagegen_build(&g, &img, &len), 0);
        assert_int_equal(nor_load(f, apps[i].at, img, len), NOR_OK);
        free(img);
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->flash = f;
    cfg->rollback_enabled = true;
    cfg->quiet = true;
    cfg->restart_hook = on_restart;
    /* select ota_0 as a finished update would, then boot */
    assert_int_equal(sota_host_attach(cfg), ESP_OK);
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                                        ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    assert_non_null(p);
    assert_int_equal(esp_ota_set_boot_partition(p), ESP_OK);
    assert_int_equal(sota_host_boot(cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    return f;
}

static void test_reboot_to_factory(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    s_restarts = 0;
    if (setjmp(s_restart) == 0) {
        softap_ota_reboot_to_factory();
        fail_msg("softap_ota_reboot_to_factory returned");
    }
    assert_int_equal(s_restarts, 1);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "factory");
    assert_string_equal(esp_app_get_description()->project_name, "updater");
    sota_host_shutdown();
    nor_close(f);
}

static void test_reboot_to_factory_without_factory(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    /* a table without factory: ota_0 + ota_1 only */
    static const char *const csv = "otadata,data,ota,0xd000,0x2000,\n"
                                   "ota_0,app,ota_0,0x110000,1M,\n"
                                   "ota_1,app,ota_1,0x210000,1M,\n";
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[200];
    uint8_t bin[PT_MAX_LEN];
    assert_int_equal(pt_from_csv(csv, &o, &t, err, sizeof err), 0);
    assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
    assert_int_equal(nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin), NOR_OK);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    s_restarts = 0;
    assert_int_equal(softap_ota_reboot_to_factory(), ESP_ERR_NOT_FOUND);
    assert_int_equal(s_restarts, 0);
    sota_host_shutdown();
    nor_close(f);
}

/* Bad configurations are refused with ESP_ERR_INVALID_ARG before anything starts. */
static void test_start_refuses_bad_config(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    typedef struct {
        const char *ssid, *password;
        uint8_t channel, max_conn;
        uint32_t recv_timeout;
    } bad_t;
    static const bad_t bad[] = {
        { "x", "short", 1, 4, 5 },                /* WPA2 needs 8..63 characters */
        { "x", "1234567", 1, 4, 5 },              /* 7: one short */
        { "x", "0123456789012345678901234567890123456789012345678901234567890123", 1, 4, 5 }, /* 64 */
        { "", "", 1, 4, 5 },                      /* empty SSID */
        { "012345678901234567890123456789012", "", 1, 4, 5 }, /* 33 bytes */
        { "x", "", 0, 4, 5 },                     /* channel 0 */
        { "x", "", 14, 4, 5 },                    /* channel 14 */
        { "x", "", 1, 0, 5 },                     /* no stations */
        { "x", "", 1, 11, 5 },                    /* too many */
        { "x", "", 1, 4, 0 },                     /* no receive timeout */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
        c.ssid = bad[i].ssid;
        c.password = bad[i].password;
        c.channel = bad[i].channel;
        c.max_connections = bad[i].max_conn;
        c.recv_timeout_s = bad[i].recv_timeout;
        if (softap_ota_start(&c) != ESP_ERR_INVALID_ARG) {
            fail_msg("case %zu was not refused", i);
        }
    }
    assert_int_equal(softap_ota_start(NULL), ESP_ERR_INVALID_ARG);
    sota_host_shutdown();
    nor_close(f);
}

int main(void)
{
    char nvs[512];
    snprintf(nvs, sizeof nvs, "%s/test_component_api.nvs", SOTA_TMPDIR);
    remove(nvs);
    nvs_host_set_path(nvs);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reboot_to_factory),
        cmocka_unit_test(test_reboot_to_factory_without_factory),
        cmocka_unit_test(test_start_refuses_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
