/* host/powercut: the power-cut harness. The real writer survives every cut point of
 * every scenario; deliberately broken writers (otadata written before the image is
 * complete, a slot never selected) are caught, so the checks can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_ota_ops.h"
#include "fixture_files.h"
#include "imagegen.h"
#include "ota_internal.h"
#include "powercut.h"

static char *s_csv;

static pc_harness_t *open_with(const sota_update_ops_t *writer, size_t chunk)
{
    pc_opts_t o = { .ptable_csv = s_csv, .writer = writer, .chunk = chunk };
    pc_harness_t *h = NULL;
    char err[256];
    int rc = pc_open(&o, &h, err, sizeof err);
    if (rc != PC_OK) {
        fail_msg("pc_open: %d %s", rc, err);
    }
    return h;
}

/* ---- broken writers ---------------------------------------------------------------- */

static sota_update_ops_t s_early_ops;   /* selects the slot after its first write */
static sota_update_ops_t s_nosel_ops;   /* verifies but never selects the slot */
static sota_update_ops_t s_noota1_ops;  /* cannot write ota_1 */
static bool s_early_done;

/* Stands for a device that an earlier step left unable to write its other slot: every
 * update into ota_0 works, so every run passes the boot checks, but the update that
 * should follow from ota_0 (into ota_1) cannot begin. */
static int noota1_begin(void *ctx)
{
    const ota_writer_t *w = ctx;
    if (w->part->subtype == ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 1) {
        return ESP_ERR_OTA_PARTITION_CONFLICT;
    }
    return ota_writer_ops.begin(ctx);
}

static int early_begin(void *ctx)
{
    s_early_done = false;
    return ota_writer_ops.begin(ctx);
}

static int early_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    int rc = ota_writer_ops.write(ctx, off, data, len);
    if (rc == 0 && !s_early_done) {
        s_early_done = true;
        const ota_writer_t *w = ctx;
        /* the bug: otadata names the slot while most of the image is still missing */
        rc = esp_ota_set_boot_partition_skip_validate(w->part);
    }
    return rc;
}

static int nosel_finish(void *ctx, char *msg, size_t msglen)
{
    ota_writer_t *w = ctx;
    w->open = false;
    esp_err_t err = esp_ota_end(w->handle);
    if (err != ESP_OK) {
        snprintf(msg, msglen, "esp_ota_end: %s", esp_err_to_name(err));
    }
    return err; /* the bug: esp_ota_set_boot_partition is never called */
}

static int group_setup(void **state)
{
    (void)state;
    size_t len;
    s_csv = (char *)fx_read_file(SOTA_ROOT "/partitions.csv", &len);
    assert_true(len > 0);
    s_early_ops = ota_writer_ops;
    s_early_ops.begin = early_begin;
    s_early_ops.write = early_write;
    s_nosel_ops = ota_writer_ops;
    s_nosel_ops.finish = nosel_finish;
    s_noota1_ops = ota_writer_ops;
    s_noota1_ops.begin = noota1_begin;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(s_csv);
    return 0;
}

/* ---- names and options ------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    static const char *const names[PC_SC_COUNT] = { "update-blank", "update-older", "update-resumed",
                                                    "first-boot", "rollback", "reset-pending", "fs-update" };
    for (int i = 0; i < PC_SC_COUNT; i++) {
        assert_string_equal(pc_scenario_name((pc_scenario_t)i), names[i]);
        assert_int_equal(pc_scenario_by_name(names[i]), i);
        assert_true(strlen(pc_scenario_summary((pc_scenario_t)i)) > 10);
    }
    assert_string_equal(pc_scenario_name(PC_SC_COUNT), "?");
    static const char *const unknown[] = { "", "update", "Update-Blank", "update-blank ", "all" };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(pc_scenario_by_name(unknown[i]), -1);
    }
    assert_int_equal(pc_scenario_by_name(NULL), -1);
    nor_cut_mode_t m = NOR_CUT_TORN;
    assert_int_equal(pc_mode_by_name("clean", &m), 0);
    assert_int_equal(m, NOR_CUT_CLEAN);
    assert_int_equal(pc_mode_by_name("torn", &m), 0);
    assert_int_equal(m, NOR_CUT_TORN);
    assert_int_equal(pc_mode_by_name("TORN", &m), -1);
    assert_string_equal(pc_mode_name(NOR_CUT_CLEAN), "clean");
    assert_string_equal(pc_mode_name(NOR_CUT_TORN), "torn");
}

static void test_open_errors(void **state)
{
    (void)state;
    static const char no_ota1[] = "nvs, data, nvs, 0x9000, 0x4000,\n"
                                  "otadata, data, ota, 0xd000, 0x2000,\n"
                                  "factory, app, factory, 0x10000, 1M,\n"
                                  "ota_0, app, ota_0, 0x110000, 1M,\n";
    static const char small_otadata[] = "otadata, data, ota, 0xd000, 0x1000,\n"
                                        "factory, app, factory, 0x10000, 1M,\n"
                                        "ota_0, app, ota_0, 0x110000, 1M,\n"
                                        "ota_1, app, ota_1, 0x210000, 1M,\n";
    static const char garbage[] = "this is not a partition table\n";
    uint8_t tiny[10] = { 0xE9 };
    uint8_t *img = NULL;
    size_t len = 0;
    imagegen_opts_t g;
    imagegen_defaults(&g);
    assert_int_equal(imagegen_build(&g, &img, &len), IMAGEGEN_OK);
    uint8_t *alien = malloc(len);
    assert_non_null(alien);
    memcpy(alien, img, len);
    alien[12] = 0x77; /* a chip id nobody has */
    alien[13] = 0x77;
    const struct {
        const char *csv;
        const uint8_t *image;
        size_t image_len;
        int want;
        const char *says;
    } cases[] = {
        { NULL, NULL, 0, PC_ERR_ARG, "NULL" },
        { no_ota1, NULL, 0, PC_ERR_SETUP, "ota_1" },
        { small_otadata, NULL, 0, PC_ERR_SETUP, "otadata" },
        { garbage, NULL, 0, PC_ERR_SETUP, "partition table" },
        { s_csv, tiny, sizeof tiny, PC_ERR_ARG, "too short" },
        { s_csv, tiny, 23, PC_ERR_ARG, "too short" },
        { s_csv, alien, len, PC_ERR_ARG, "chip id" },
        { s_csv, img, len, PC_OK, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_opts_t o = { .ptable_csv = cases[i].csv, .image = cases[i].image, .image_len = cases[i].image_len };
        pc_harness_t *h = (pc_harness_t *)&o; /* must be overwritten */
        char err[256];
        int rc = pc_open(&o, &h, err, sizeof err);
        if (rc != cases[i].want || !strstr(err, cases[i].says)) {
            fail_msg("case %zu: rc %d (want %d), err '%s' (want '%s')", i, rc, cases[i].want, err, cases[i].says);
        }
        assert_true(rc == PC_OK ? h != NULL : h == NULL);
        pc_close(h);
    }
    assert_int_equal(pc_open(NULL, NULL, NULL, 0), PC_ERR_ARG);
    free(alien);
    free(img);
}

/* ---- runs -------------------------------------------------------------------------- */

/* The clean run of every scenario ends where it should. */
static void test_clean_runs(void **state)
{
    (void)state;
    static const struct {
        pc_scenario_t sc;
        const char *booted;
        const char *what;
        uint64_t min_ops, max_ops;
    } cases[] = {
        /* 40 KiB: 160 page programs at least, plus erases and the otadata write */
        { PC_SC_UPDATE_BLANK, "ota_0", "ota_0 (softap-ota 2.0.0, pending_verify)", 162, 200 },
        { PC_SC_UPDATE_OLDER, "ota_1", "ota_1 (softap-ota 2.0.0, pending_verify)", 162, 200 },
        { PC_SC_UPDATE_RESUMED, "ota_1", "ota_1 (softap-ota 2.0.0, pending_verify)", 162, 200 },
        /* one otadata sector rewrite (erase + program) per state change */
        { PC_SC_FIRST_BOOT, "ota_0", "ota_0 (softap-ota 2.0.0, valid)", 4, 4 },
        { PC_SC_ROLLBACK, "factory", "factory (softap-ota 1.0.0, factory)", 4, 4 },
        { PC_SC_RESET_PENDING, "factory", "factory (softap-ota 1.0.0, factory)", 4, 4 },
        /* 32 KiB over an older image: its 6 written sectors erased, 128 page programs */
        { PC_SC_FS_UPDATE, "factory", "factory (softap-ota 1.0.0, factory)", 6 + 128, 6 + 128 },
    };
    pc_harness_t *h = open_with(NULL, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_result_t r;
        assert_int_equal(pc_run(h, cases[i].sc, 0, NOR_CUT_CLEAN, &r), PC_OK);
        if (!r.ok) {
            fail_msg("%s: %s", pc_scenario_name(cases[i].sc), r.why);
        }
        assert_false(r.cut_fired);
        assert_string_equal(r.booted, cases[i].booted);
        assert_string_equal(r.what, cases[i].what);
        assert_string_equal(r.why, "");
        assert_in_range(r.ops, cases[i].min_ops, cases[i].max_ops);
    }
    pc_result_t r, r2;
    /* a resumed upload does exactly the flash operations of an uncut one: nothing is
     * erased (or written) twice */
    assert_int_equal(pc_run(h, PC_SC_UPDATE_OLDER, 0, NOR_CUT_CLEAN, &r), PC_OK);
    assert_int_equal(pc_run(h, PC_SC_UPDATE_RESUMED, 0, NOR_CUT_CLEAN, &r2), PC_OK);
    assert_int_equal(r2.ops, r.ops);
    assert_int_equal(pc_run(h, PC_SC_COUNT, 0, NOR_CUT_CLEAN, &r), PC_ERR_ARG);
    assert_int_equal(pc_run(NULL, PC_SC_ROLLBACK, 0, NOR_CUT_CLEAN, &r), PC_ERR_ARG);
    assert_int_equal(pc_run(h, PC_SC_ROLLBACK, 0, NOR_CUT_CLEAN, NULL), PC_ERR_ARG);
    pc_close(h);
}

/* Cut point N (the last operation) is run and checked; N+1 is past the end. */
static void test_cut_limits(void **state)
{
    (void)state;
    pc_harness_t *h = open_with(NULL, 0);
    for (int sc = 0; sc < PC_SC_COUNT; sc++) {
        pc_result_t r;
        assert_int_equal(pc_run(h, (pc_scenario_t)sc, 0, NOR_CUT_CLEAN, &r), PC_OK);
        uint64_t n = r.ops;
        for (int m = 0; m < 2; m++) {
            nor_cut_mode_t mode = m ? NOR_CUT_TORN : NOR_CUT_CLEAN;
            assert_int_equal(pc_run(h, (pc_scenario_t)sc, n, mode, &r), PC_OK);
            assert_true(r.cut_fired);
            assert_true(r.ok);
            assert_int_equal(r.ops, n - 1);
            assert_int_equal(pc_run(h, (pc_scenario_t)sc, n + 1, mode, &r), PC_ERR_RANGE);
            assert_false(r.cut_fired);
            assert_false(r.ok);
            assert_int_equal(r.ops, n);
            assert_non_null(strstr(r.why, "past its end"));
            /* the harness is still usable after a cut point that did not come */
            assert_int_equal(pc_run(h, (pc_scenario_t)sc, 1, mode, &r), PC_OK);
            assert_true(r.cut_fired && r.ok);
            assert_int_equal(r.ops, 0);
        }
    }
    pc_close(h);
}

/* The product's writer: every cut point of every scenario, both modes, at several write
 * sizes (page-aligned and not: torn programs of partial pages). */
static void test_sweep_real_writer(void **state)
{
    (void)state;
    static const size_t chunks[] = { 4096, 1000, 65536 };
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        pc_harness_t *h = open_with(NULL, chunks[c]);
        for (int sc = 0; sc < PC_SC_COUNT; sc++) {
            if (c > 0 && sc != PC_SC_UPDATE_BLANK && sc != PC_SC_UPDATE_OLDER && sc != PC_SC_UPDATE_RESUMED) {
                continue; /* only updates feed chunks */
            }
            pc_result_t r;
            assert_int_equal(pc_run(h, (pc_scenario_t)sc, 0, NOR_CUT_CLEAN, &r), PC_OK);
            pc_tally_t t = { 0, 0 };
            char *text = NULL;
            size_t len = 0;
            FILE *out = open_memstream(&text, &len);
            assert_non_null(out);
            assert_int_equal(pc_sweep(h, (pc_scenario_t)sc, true, true, out, NULL, &t), PC_OK);
            fclose(out);
            if (t.failed) {
                fail_msg("chunk %zu, %s: %s", chunks[c], pc_scenario_name((pc_scenario_t)sc), text);
            }
            assert_int_equal(t.tried, 2 * r.ops);
            assert_null(strstr(text, "FAIL"));
            assert_non_null(strstr(text, "torn cuts 1.."));
            free(text);
        }
        pc_close(h);
    }
}

/* A writer that selects the slot after its first write: power cut while the rest of
 * the image streams in leaves otadata naming an incomplete image. The bootloader's
 * fallback hides it from the user, the checker must not. */
static void test_sweep_catches_early_otadata(void **state)
{
    (void)state;
    pc_harness_t *h = open_with(&s_early_ops, 0);
    static const struct {
        pc_scenario_t sc;
        const char *fell_back_to;
    } cases[] = {
        { PC_SC_UPDATE_BLANK, "factory" },
        { PC_SC_UPDATE_OLDER, "ota_0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_result_t r;
        /* without a cut nothing is wrong */
        assert_int_equal(pc_run(h, cases[i].sc, 0, NOR_CUT_CLEAN, &r), PC_OK);
        assert_true(r.ok);
        uint64_t n = r.ops;
        /* a cut half-way through the image */
        assert_int_equal(pc_run(h, cases[i].sc, n / 2, NOR_CUT_CLEAN, &r), PC_OK);
        assert_false(r.ok);
        assert_true(r.cut_fired);
        assert_string_equal(r.booted, cases[i].fell_back_to);
        assert_non_null(strstr(r.why, "fell back"));

        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        pc_tally_t t = { 0, 0 };
        assert_int_equal(pc_sweep(h, cases[i].sc, true, false, out, "X", &t), PC_OK);
        fclose(out);
        assert_int_equal(t.tried, n);
        /* every cut from just after the early otadata write to the final set-boot fails */
        assert_true(t.failed > n / 2);
        char want[160];
        snprintf(want, sizeof want, "FAIL %s cut %llu clean: booted %s", pc_scenario_name(cases[i].sc),
                 (unsigned long long)(n / 2), cases[i].fell_back_to);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof want, "  replay: X --scenario %s --cut %llu --mode clean\n",
                 pc_scenario_name(cases[i].sc), (unsigned long long)(n / 2));
        assert_non_null(strstr(text, want));
        free(text);
    }
    pc_close(h);
}

/* A writer that never selects the new slot: the run without a cut must end with the
 * new app, so the sweep fails at cut 0 and stops. */
static void test_sweep_catches_unselected_slot(void **state)
{
    (void)state;
    pc_harness_t *h = open_with(&s_nosel_ops, 0);
    pc_result_t r;
    assert_int_equal(pc_run(h, PC_SC_UPDATE_BLANK, 0, NOR_CUT_CLEAN, &r), PC_OK);
    assert_false(r.ok);
    assert_string_equal(r.booted, "factory");
    assert_non_null(strstr(r.why, "must end with the new app"));
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    pc_tally_t t = { 0, 0 };
    assert_int_equal(pc_sweep(h, PC_SC_UPDATE_BLANK, true, true, out, NULL, &t), PC_OK);
    fclose(out);
    assert_int_equal(t.tried, 1);
    assert_int_equal(t.failed, 1);
    assert_non_null(strstr(text, "FAIL update-blank cut 0 (no cut)"));
    assert_non_null(strstr(text, "replay: sota powercut --scenario update-blank --cut 0\n"));
    free(text);
    pc_close(h);
}

/* After each run the device must still take an uncut update. With a writer that cannot
 * write ota_1, a run that ends with ota_0 running (the next update goes to ota_1) fails,
 * one that ends with factory running (next update into ota_0) passes: update-blank and
 * first-boot fail without a cut, update-blank passes after a cut at 1; rollback passes
 * without a cut (factory) and fails after an early cut (ota_0 pending). A pending app is confirmed before the update, as the component
 * does: first-boot cut before the bootloader's write leaves ota_0 pending_verify after
 * the reboot, and the product's writer still updates it. */
static void test_sweep_catches_not_updatable(void **state)
{
    (void)state;
    static const struct {
        const sota_update_ops_t *writer;
        pc_scenario_t sc;
        uint64_t cut;
        nor_cut_mode_t mode;
        bool ok;
        const char *what;
    } cases[] = {
        { &s_noota1_ops, PC_SC_UPDATE_BLANK, 0, NOR_CUT_CLEAN, false, "ota_0 (softap-ota 2.0.0, pending_verify)" },
        { &s_noota1_ops, PC_SC_UPDATE_BLANK, 1, NOR_CUT_CLEAN, true, "factory (softap-ota 1.0.0, factory)" },
        { &s_noota1_ops, PC_SC_UPDATE_BLANK, 1, NOR_CUT_TORN, true, "factory (softap-ota 1.0.0, factory)" },
        { &s_noota1_ops, PC_SC_FIRST_BOOT, 0, NOR_CUT_CLEAN, false, "ota_0 (softap-ota 2.0.0, valid)" },
        { &s_noota1_ops, PC_SC_ROLLBACK, 0, NOR_CUT_CLEAN, true, "factory (softap-ota 1.0.0, factory)" },
        { &s_noota1_ops, PC_SC_ROLLBACK, 1, NOR_CUT_CLEAN, false, "ota_0 (softap-ota 2.0.0, pending_verify)" },
        { NULL, PC_SC_FIRST_BOOT, 1, NOR_CUT_CLEAN, true, "ota_0 (softap-ota 2.0.0, pending_verify)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_harness_t *h = open_with(cases[i].writer, 0);
        pc_result_t r;
        assert_int_equal(pc_run(h, cases[i].sc, cases[i].cut, cases[i].mode, &r), PC_OK);
        if (r.ok != cases[i].ok || strcmp(r.what, cases[i].what) != 0) {
            fail_msg("case %zu: ok %d (want %d), what '%s' (want '%s'), why '%s'", i, r.ok, cases[i].ok, r.what,
                     cases[i].what, r.why);
        }
        if (!cases[i].ok && !strstr(r.why, "then the device cannot be updated: an uncut update from ")) {
            fail_msg("case %zu: why '%s'", i, r.why);
        }
        pc_close(h);
    }

    /* the sweep reports each failure with its replay line */
    pc_harness_t *h = open_with(&s_noota1_ops, 0);
    pc_result_t r;
    assert_int_equal(pc_run(h, PC_SC_ROLLBACK, 0, NOR_CUT_CLEAN, &r), PC_OK);
    uint64_t n = r.ops;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    pc_tally_t t = { 0, 0 };
    assert_int_equal(pc_sweep(h, PC_SC_ROLLBACK, true, false, out, "X", &t), PC_OK);
    fclose(out);
    assert_int_equal(t.tried, n);
    /* cuts before the bootloader's PENDING_VERIFY write leave ota_0 to run, later ones
     * end in factory */
    assert_in_range(t.failed, 1, n - 1);
    assert_non_null(strstr(text, "FAIL rollback cut 1 clean: booted ota_0 (softap-ota 2.0.0, pending_verify): then "
                                 "the device cannot be updated"));
    assert_non_null(strstr(text, "  replay: X --scenario rollback --cut 1 --mode clean\n"));
    assert_null(strstr(text, "FAIL rollback cut 0"));
    free(text);
    /* without a cut it fails and the sweep stops there */
    out = open_memstream(&text, &len);
    assert_non_null(out);
    t = (pc_tally_t){ 0, 0 };
    assert_int_equal(pc_sweep(h, PC_SC_UPDATE_BLANK, true, true, out, NULL, &t), PC_OK);
    fclose(out);
    assert_int_equal(t.tried, 1);
    assert_int_equal(t.failed, 1);
    assert_non_null(strstr(text, "FAIL update-blank cut 0 (no cut): ota_0 (softap-ota 2.0.0, pending_verify): then "
                                 "the device cannot be updated"));
    free(text);
    pc_close(h);
}

/* A caller's image: the harness uses its chip and project name for the older apps. */
static void test_given_image(void **state)
{
    (void)state;
    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.chip = sota_chip_by_name("esp32c3");
    g.project = "given";
    g.version = "9.9.9";
    g.size = 20000;
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(imagegen_build(&g, &img, &len), IMAGEGEN_OK);
    pc_opts_t o = { .ptable_csv = s_csv, .image = img, .image_len = len };
    pc_harness_t *h = NULL;
    char err[256];
    assert_int_equal(pc_open(&o, &h, err, sizeof err), PC_OK);
    free(img); /* copied */
    pc_result_t r;
    assert_int_equal(pc_run(h, PC_SC_UPDATE_OLDER, 0, NOR_CUT_CLEAN, &r), PC_OK);
    assert_true(r.ok);
    assert_string_equal(r.what, "ota_1 (given 9.9.9, pending_verify)");
    assert_int_equal(pc_run(h, PC_SC_UPDATE_OLDER, 1, NOR_CUT_TORN, &r), PC_OK);
    assert_true(r.ok);
    assert_string_equal(r.what, "ota_0 (given 1.3.0, valid)");
    pc_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_clean_runs),
        cmocka_unit_test(test_cut_limits),
        cmocka_unit_test(test_sweep_real_writer),
        cmocka_unit_test(test_sweep_catches_early_otadata),
        cmocka_unit_test(test_sweep_catches_unselected_slot),
        cmocka_unit_test(test_sweep_catches_not_updatable),
        cmocka_unit_test(test_given_image),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
