/* The component's filesystem side (src/ota_fs.c with the writer of src/ota_writer.c) on
 * the simulated device: the app's hooks (fs_before_write refuses with nothing erased;
 * fs_after_write told the outcome), the NVS record (set before the first erase, cleared
 * only after the read-back; softap_ota_fs_incomplete and /api/status "storage" report
 * it), and the partitions the session may not write (read-only, encrypted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cJSON.h"
#include "fixture_device.h"
#include "fixture_files.h"
#include "imagegen.h"
#include "nor_flash.h"
#include "nvs_flash.h"
#include "ota_internal.h"
#include "ptable.h"
#include "softap_ota.h"
#include "sota_host.h"
#include "sota_host_nvs.h"

#define STORAGE 0x310000u

static const char *const s_csv =
    "nvs,data,nvs,0x9000,0x4000,\n"
    "otadata,data,ota,0xd000,0x2000,\n"
    "phy_init,data,phy,0xf000,0x1000,\n"
    "factory,app,factory,0x10000,1M,\n"
    "ota_0,app,ota_0,0x110000,1M,\n"
    "ota_1,app,ota_1,0x210000,1M,\n"
    "storage,data,littlefs,0x310000,32K,\n"
    "ro,data,littlefs,0x318000,32K,readonly\n";

typedef struct {
    int before, after_ok, after_bad;
    esp_err_t answer;          /* what fs_before_write answers */
    char label[17];
    bool marked_at_before;     /* the record existed when fs_before_write ran */
} hooks_t;

static esp_err_t before(const char *label, void *ctx)
{
    hooks_t *h = ctx;
    h->before++;
    snprintf(h->label, sizeof h->label, "%s", label);
    h->marked_at_before = softap_ota_fs_incomplete(label);
    return h->answer;
}

static void after(const char *label, bool ok, void *ctx)
{
    hooks_t *h = ctx;
    assert_string_equal(label, h->label);
    (*(ok ? &h->after_ok : &h->after_bad))++;
}

static nor_flash_t *s_flash;
static hooks_t s_hooks;
static uint8_t *s_img;
static size_t s_len;

/* A flash with the table, an updater in factory and an older image (0x5A) in storage,
 * booted; a fresh NVS; the component's configuration with the hooks. */
static int setup(void **state)
{
    (void)state;
    s_flash = fx_flash_with_table(s_csv);
    imagegen_opts_t g;
    imagegen_defaults(&g);
    uint8_t *app = NULL;
    size_t alen;
    assert_int_equal(imagegen_build(&g, &app, &alen), 0);
    assert_int_equal(nor_load(s_flash, 0x10000, app, alen), NOR_OK);
    free(app);
    static uint8_t old[0x8000];
    memset(old, 0x5A, sizeof old);
    assert_int_equal(nor_load(s_flash, STORAGE, old, sizeof old), NOR_OK);
    sota_host_config_t cfg = { .flash = s_flash, .chip = sota_chip_by_name("esp32"), .rollback_enabled = true,
                               .quiet = true };
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    nvs_host_set_path(SOTA_TMPDIR "/test_component_fs.nvs");
    assert_int_equal(nvs_flash_erase(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    memset(&s_hooks, 0, sizeof s_hooks);
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    c.fs_before_write = before;
    c.fs_after_write = after;
    c.fs_ctx = &s_hooks;
    assert_int_equal(ota_state_init(&c), ESP_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/fs/littlefs_32k.bin", SOTA_ROOT);
    s_img = fx_read_file(path, &s_len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nvs_host_reset();
    nor_close(s_flash);
    free(s_img);
    return 0;
}

/* Upload the fixture (its first `send` bytes of it) to `label` through the writer. */
static sota_update_err_t upload(const char *label, size_t send, char *msg, size_t n)
{
    ota_writer_t *w = malloc(sizeof *w);
    sota_update_cfg_t ucfg;
    assert_int_equal(ota_writer_target(w, ota_state_config(), &ucfg), ESP_OK);
    ucfg.announced_len = s_len;
    ucfg.announced_exact = true;
    ucfg.fs_label = label;
    sota_update_t *u = malloc(sizeof *u);
    sota_update_init(u, &ucfg, &ota_writer_ops, w);
    sota_update_err_t e = sota_update_feed(u, s_img, send);
    e = e == SOTA_UPDATE_OK && send == s_len ? sota_update_finish(u) : e;
    if (e == SOTA_UPDATE_OK && send < s_len) {
        sota_update_cancel(u, "test: the connection was lost");
        e = u->err;
    }
    snprintf(msg, n, "%s", u->msg);
    free(u);
    free(w);
    return e;
}

static const char *storage_state(const char *label)
{
    static char state[24];
    char *text = ota_status_json();
    cJSON *o = cJSON_Parse(text);
    const cJSON *e;
    snprintf(state, sizeof state, "none");
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "storage"))
    {
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "label")->valuestring, label)) {
            snprintf(state, sizeof state, "%s", cJSON_GetObjectItemCaseSensitive(e, "state")->valuestring);
        }
    }
    cJSON_Delete(o);
    free(text);
    return state;
}

static void test_hook_refuses_nothing_erased(void **state)
{
    (void)state;
    s_hooks.answer = ESP_ERR_INVALID_STATE;
    char msg[512];
    assert_int_equal(upload("storage", s_len, msg, sizeof msg), SOTA_UPDATE_ERR_REFUSED);
    assert_non_null(strstr(msg, "The app did not release partition \"storage\" for the update "
                                "(its fs_before_write hook answered ESP_ERR_INVALID_STATE); nothing was written."));
    assert_int_equal(s_hooks.before, 1);
    assert_false(s_hooks.marked_at_before);
    assert_int_equal(s_hooks.after_ok + s_hooks.after_bad, 0);
    for (uint32_t i = 0; i < 0x8000; i++) {
        assert_int_equal(nor_map(s_flash)[STORAGE + i], 0x5A);
    }
    assert_false(softap_ota_fs_incomplete("storage"));
    assert_string_equal(storage_state("storage"), "complete");
}

static void test_update_records_then_clears(void **state)
{
    (void)state;
    char msg[512];
    assert_int_equal(upload("storage", s_len, msg, sizeof msg), SOTA_UPDATE_OK);
    assert_int_equal(s_hooks.before, 1);
    assert_int_equal(s_hooks.after_ok, 1);
    assert_int_equal(s_hooks.after_bad, 0);
    assert_memory_equal(nor_map(s_flash) + STORAGE, s_img, s_len);
    assert_false(softap_ota_fs_incomplete("storage"));
    assert_string_equal(storage_state("storage"), "complete");
    assert_false(ota_fs_writing());
}

static void test_lost_connection_leaves_it_incomplete(void **state)
{
    (void)state;
    char msg[512];
    assert_int_equal(upload("storage", 20000, msg, sizeof msg), SOTA_UPDATE_ERR_VERIFY);
    assert_int_equal(s_hooks.after_bad, 1);
    assert_int_equal(s_hooks.after_ok, 0);
    assert_true(softap_ota_fs_incomplete("storage"));
    assert_false(softap_ota_fs_incomplete("ro"));
    assert_false(softap_ota_fs_incomplete(NULL));
    assert_string_equal(storage_state("storage"), "incomplete");
    /* a complete upload clears it */
    assert_int_equal(upload("storage", s_len, msg, sizeof msg), SOTA_UPDATE_OK);
    assert_false(softap_ota_fs_incomplete("storage"));
    assert_string_equal(storage_state("storage"), "complete");
}

static void test_readonly_partition_refused(void **state)
{
    (void)state;
    char msg[512];
    assert_int_equal(upload("ro", s_len, msg, sizeof msg), SOTA_UPDATE_ERR_WRONG_PARTITION);
    assert_non_null(strstr(msg, "Partition \"ro\" is read-only"));
    assert_int_equal(s_hooks.before, 0);
    assert_false(softap_ota_fs_incomplete("ro"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hook_refuses_nothing_erased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_records_then_clears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection_leaves_it_incomplete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_partition_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
