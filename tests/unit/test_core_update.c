/* The update session (core/sota_update): what it lets through to flash and when, the
 * erase-ahead decisions, and every way it fails. The slot is fixture_slot.h's RAM model
 * with NOR rules (erase to 0xFF, program ANDs); programming unerased bytes is recorded
 * in wrote_unerased, which the tests assert false. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_files.h"
#include "fixture_slot.h"
#include "imagegen.h"
#include "sota_policy.h"
#include "sota_update.h"

/* Feed data in pieces of `piece` bytes, then finish (the slot has no read operation). */
static sota_update_err_t run(sota_update_t *u, fx_slot_t *s, const sota_update_cfg_t *c,
                          const uint8_t *data, size_t len, size_t piece)
{
    return fx_slot_run(u, s, c, &fx_slot_ops_no_read, data, len, piece);
}

/* A valid image lands byte for byte whatever the piece size, with begin/finish once. */
static void test_valid_any_split(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    static const size_t pieces[] = { 1, 7, 24, 255, 4096, 0x1100, 0x1101, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        assert_int_equal(run(u, s, &c, img, len, pieces[i]), SOTA_UPDATE_OK);
        assert_int_equal(u->state, SOTA_UPDATE_ST_DONE);
        assert_int_equal(s->begins, 1);
        assert_int_equal(s->finishes, 1);
        assert_int_equal(s->aborts, 0);
        assert_memory_equal(s->mem, img, len);
        assert_false(s->wrote_unerased);
        assert_true(u->img.have_desc);
        assert_int_equal(u->img.desc.magic_word, SOTA_APP_DESC_MAGIC);
        assert_int_equal(u->written, len);
        free(u);
        fx_slot_free(s);
    }
    free(img);
}

/* Erase-ahead: a blank slot is not erased at all; a slot full of an old image gets
 * one block erase per 64 KiB block the new image covers; a block with few dirty
 * sectors gets sector erases; the last block stops at the image end. */
static void test_erase_ahead(void **state)
{
    (void)state;
    size_t len;
    /* 102480 bytes: 2 blocks */
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    sota_update_t *u = malloc(sizeof *u);

    fx_slot_t *blank = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    sota_update_cfg_t c = fx_slot_cfg(len, true);
    assert_int_equal(run(u, blank, &c, img, len, 4096), SOTA_UPDATE_OK);
    assert_int_equal(blank->block_erases, 0);
    assert_int_equal(blank->sector_erases, 0);
    assert_false(blank->wrote_unerased);

    fx_slot_t *old = fx_slot_new(FX_SLOT_SIZE, 0x00);
    assert_int_equal(run(u, old, &c, img, len, 4096), SOTA_UPDATE_OK);
    /* block 0 whole (16 dirty sectors: a block erase is cheaper); block 1: the image
     * ends at 102480 -> sectors 16..25 needed (10 dirty x 50 ms > 250 ms): block erase */
    assert_int_equal(old->block_erases, 2);
    assert_int_equal(old->sector_erases, 0);
    assert_false(old->wrote_unerased);
    assert_memory_equal(old->mem, img, len);
    /* nothing past the second block was touched */
    assert_int_equal(old->mem[0x20000], 0x00);

    /* a blank slot with two dirty sectors in block 1: two sector erases */
    fx_slot_t *few = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    fx_slot_poke(few, 0x11000, 0);
    fx_slot_poke(few, 0x13FFF, 0);
    fx_slot_poke(few, 0x19040, 0); /* the image's last, partial sector (it ends at 0x19050) */
    fx_slot_poke(few, 0x1A000, 0); /* the sector after the image: must stay */
    fx_slot_poke(few, 0x40000, 0); /* beyond the image: must stay */
    assert_int_equal(run(u, few, &c, img, len, 4096), SOTA_UPDATE_OK);
    assert_int_equal(few->block_erases, 0);
    assert_int_equal(few->sector_erases, 3);
    assert_int_equal(few->mem[0x1A000], 0);
    assert_int_equal(few->mem[0x40000], 0);
    assert_false(few->wrote_unerased);
    assert_memory_equal(few->mem, img, len);

    /* multipart-like: only an upper bound of the length is known */
    fx_slot_t *bound = fx_slot_new(FX_SLOT_SIZE, 0x00);
    sota_update_cfg_t cb = fx_slot_cfg(len + 300, false);
    assert_int_equal(run(u, bound, &cb, img, len, 4096), SOTA_UPDATE_OK);
    assert_false(bound->wrote_unerased);
    assert_memory_equal(bound->mem, img, len);

    fx_slot_free(blank);
    fx_slot_free(old);
    fx_slot_free(few);
    fx_slot_free(bound);
    free(u);
    free(img);
}

/* Files refused on their first bytes never reach the slot. */
typedef struct {
    const char *name;
    sota_update_err_t want;
} refuse_case_t;

/* The cost tie of erase-ahead: 5 dirty sectors cost 5 x 50 ms = one 64 KiB block erase
 * (250 ms); on a tie the sector erases win (they leave the rest of the block alone), at
 * 6 the block erase does. */
static void test_erase_cost_tie(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len); /* ends 0x19050 */
    sota_update_t *u = malloc(sizeof *u);
    sota_update_cfg_t c = fx_slot_cfg(len, true);
    for (uint32_t dirty = 5; dirty <= 6; dirty++) {
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
        for (uint32_t k = 0; k < dirty; k++) {
            fx_slot_poke(s, 0x10000 + k * 0x1000, 0x00);   /* sectors 0.. of block 1 */
        }
        assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPDATE_OK);
        assert_int_equal(s->sector_erases, dirty == 5 ? 5 : 0);
        assert_int_equal(s->block_erases, dirty == 5 ? 0 : 1);
        assert_int_equal(u->stats.sectors_erased, s->sector_erases);
        assert_int_equal(u->stats.blocks_erased, s->block_erases);
        assert_false(s->wrote_unerased);
        assert_memory_equal(s->mem, img, len);
        fx_slot_free(s);
    }
    free(u);
    free(img);
}

/* An image exactly the slot's size fits (ESP-IDF refuses only image_len > partition
 * size); 16 bytes more (the next size an image can have) does not: refused before
 * anything is erased when the length is announced exactly, at the end (aborted) when
 * only an upper bound is. */
static void test_exact_slot_size(void **state)
{
    (void)state;
    const uint32_t slot = 0x40000;
    sota_update_t *u = malloc(sizeof *u);
    for (uint32_t extra = 0; extra <= 16; extra += 16) {
        imagegen_opts_t o;
        imagegen_defaults(&o);
        o.size = slot + extra;
        uint8_t *img;
        size_t len;
        assert_int_equal(imagegen_build(&o, &img, &len), IMAGEGEN_OK);
        assert_int_equal(len, slot + extra);
        for (int exact = 1; exact >= 0; exact--) {
            fx_slot_t *s = fx_slot_new(slot, 0x00);
            sota_update_cfg_t c = fx_slot_cfg(exact ? len : len + 200, exact);
            c.img.slot_size = slot;
            sota_update_err_t e = run(u, s, &c, img, len, 4096);
            if (extra == 0) {
                assert_int_equal(e, SOTA_UPDATE_OK);
                assert_memory_equal(s->mem, img, len);
                assert_int_equal(s->block_erases, slot / SOTA_UPDATE_BLOCK);
            } else {
                assert_int_equal(e, SOTA_UPDATE_ERR_TOO_BIG);
                assert_int_equal(sota_update_http_status(e), 413);
                assert_int_equal(s->finishes, 0);
                assert_int_equal(s->begins, exact ? 0 : 1);
                assert_int_equal(s->aborts, exact ? 0 : 1);
            }
            assert_false(s->wrote_unerased);
            fx_slot_free(s);
        }
        free(img);
    }
    free(u);
}

/* A multipart body gives only an upper bound of the file's length: a body announced
 * larger than the slot (by up to one block: the form's own bytes) with a small image
 * in it is taken; ESP-IDF never sees the body's length at all. */
static void test_multipart_bound_over_slot(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    sota_update_t *u = malloc(sizeof *u);
    static const uint64_t over[] = { 1, 300, SOTA_UPDATE_BLOCK };
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0x00);
        sota_update_cfg_t c = fx_slot_cfg(FX_SLOT_SIZE + over[i], false);
        assert_int_equal(run(u, s, &c, img, len, 1000), SOTA_UPDATE_OK);
        assert_int_equal(s->finishes, 1);
        assert_memory_equal(s->mem, img, len);
        /* the end was not known: erase-ahead stayed within the blocks the image reached */
        assert_int_equal(s->mem[0x20000], 0x00);
        assert_false(s->wrote_unerased);
        fx_slot_free(s);
    }
    free(u);
    free(img);
}

static void test_refused_before_begin(void **state)
{
    (void)state;
    static const refuse_case_t cases[] = {
        { "c10_bad_magic.bin", SOTA_UPDATE_ERR_NOT_APP },
        { "c27_wrong_chip_id.bin", SOTA_UPDATE_ERR_NOT_APP },
        { "c04_valid_esp32c3_500k.bin", SOTA_UPDATE_ERR_NOT_APP },
        { "c39_all_ff_64k.bin", SOTA_UPDATE_ERR_NOT_APP },
        { "c36_empty.bin", SOTA_UPDATE_ERR_NOT_APP },
        { "c22_segcount17.bin", SOTA_UPDATE_ERR_VERIFY },
        { "c37_header_only.bin", SOTA_UPDATE_ERR_VERIFY },
        { "c19_segcount0_raw.bin", SOTA_UPDATE_ERR_VERIFY },
        { "c38_too_big_for_1M_slot.bin", SOTA_UPDATE_ERR_TOO_BIG },
        { "c07_valid_esp32_nohash.bin", SOTA_UPDATE_ERR_POLICY },
        { "c08_bad_appdesc_magic.bin", SOTA_UPDATE_ERR_POLICY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *img = fx_read_testdata("images", cases[i].name, &len);
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0x5A);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        sota_update_err_t e = run(u, s, &c, img, len, 1000);
        if (e != cases[i].want) {
            fail_msg("%s: got %s (%s), want %s", cases[i].name, sota_update_err_code(e), u->msg,
                     sota_update_err_code(cases[i].want));
        }
        assert_int_equal(s->begins, 0);
        assert_int_equal(s->aborts, 0);
        assert_int_equal(s->writes + s->block_erases + s->sector_erases, 0);
        assert_true(strlen(u->msg) > 20);
        free(u);
        fx_slot_free(s);
        free(img);
    }
}

/* Failures found after writing began: abort exactly once, finish never (or failing). */
static void test_fail_after_begin(void **state)
{
    (void)state;
    static const char *const files[] = { "c14_flip_payload_byte.bin", "c18_flip_sha_byte.bin",
                                         "c11_truncated_mid_segment.bin", "c12_truncated_in_sha.bin" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        uint8_t *img = fx_read_testdata("images", files[i], &len);
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPDATE_ERR_VERIFY);
        assert_int_equal(s->begins, 1);
        assert_int_equal(s->aborts, 1);
        assert_int_equal(s->finishes, 0);
        assert_int_equal(sota_update_http_status(u->err), 422);
        free(u);
        fx_slot_free(s);
        free(img);
    }
}

static void test_flash_errors_and_cancel(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    sota_update_t *u = malloc(sizeof *u);
    sota_update_cfg_t c = fx_slot_cfg(len, true);

    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    s->fail_write_at = 3;
    assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPDATE_ERR_FLASH);
    assert_int_equal(s->aborts, 1);
    assert_int_equal(sota_update_http_status(u->err), 500);
    fx_slot_free(s);

    s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    s->fail_finish = 0x1503;
    assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPDATE_ERR_FLASH);
    assert_int_equal(s->aborts, 1);
    assert_non_null(strstr(u->msg, "test: finish fails"));
    fx_slot_free(s);

    /* the client goes away half-way */
    s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    sota_update_init(u, &c, &fx_slot_ops_no_read, s);
    assert_int_equal(sota_update_feed(u, img, 50000), SOTA_UPDATE_OK);
    sota_update_cancel(u, "connection lost");
    assert_int_equal(u->state, SOTA_UPDATE_ST_FAILED);
    assert_string_equal(u->msg, "connection lost");
    assert_int_equal(s->aborts, 1);
    assert_int_equal(sota_update_feed(u, img, 10), u->err); /* sticky */
    assert_int_equal(sota_update_finish(u), u->err);
    assert_int_equal(s->aborts, 1);
    assert_int_equal(s->finishes, 0);
    fx_slot_free(s);

    /* fewer bytes than announced */
    s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    assert_int_equal(run(u, s, &c, img, len - 100, 4096), SOTA_UPDATE_ERR_VERIFY);
    assert_non_null(strstr(u->msg, "cut off"));
    fx_slot_free(s);

    /* the announced length exceeds the slot: refused before any byte, at N+1 not N */
    s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    sota_update_cfg_t at = fx_slot_cfg(FX_SLOT_SIZE, true);
    sota_update_init(u, &at, &fx_slot_ops_no_read, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPDATE_OK);
    sota_update_cfg_t big = fx_slot_cfg(FX_SLOT_SIZE + 1, true);
    sota_update_init(u, &big, &fx_slot_ops_no_read, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPDATE_ERR_TOO_BIG);
    assert_int_equal(sota_update_http_status(u->err), 413);
    assert_int_equal(s->begins, 0);
    /* an upper bound only (multipart) is not refused by it */
    sota_update_cfg_t bound = fx_slot_cfg(FX_SLOT_SIZE + 1, false);
    sota_update_init(u, &bound, &fx_slot_ops_no_read, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPDATE_OK);
    assert_int_equal(run(u, s, &big, img, len, 4096), SOTA_UPDATE_ERR_TOO_BIG);
    assert_int_equal(s->begins, 0);
    fx_slot_free(s);
    free(u);
    free(img);
}

static void test_policy_rules(void **state)
{
    (void)state;
    size_t len;
    /* ota_demo 2.3.4-rc1, secver 7 */
    uint8_t *img = fx_read_testdata("images", "c09_valid_esp32_secver7.bin", &len);
    typedef struct {
        bool same_project, downgrade, secver;
        const char *run_project, *run_version;
        uint32_t run_secver;
        sota_update_err_t want;
        const char *rule;
    } pcase_t;
    static const pcase_t cases[] = {
        { true, false, false, "ota_demo", "1.0", 0, SOTA_UPDATE_OK, NULL },
        { true, false, false, "other", "1.0", 0, SOTA_UPDATE_ERR_POLICY, "require_same_project" },
        { false, true, false, "x", "2.3.4", 0, SOTA_UPDATE_ERR_POLICY, "refuse_downgrade" },
        { false, true, false, "x", "2.3.3", 0, SOTA_UPDATE_OK, NULL },
        { false, false, true, "x", "9", 7, SOTA_UPDATE_OK, NULL },
        { false, false, true, "x", "9", 8, SOTA_UPDATE_ERR_POLICY, "refuse_lower_secure_version" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        c.policy.require_same_project = cases[i].same_project;
        c.policy.refuse_downgrade = cases[i].downgrade;
        c.policy.refuse_lower_secure_version = cases[i].secver;
        c.running_project = cases[i].run_project;
        c.running_version = cases[i].run_version;
        c.running_secure_version = cases[i].run_secver;
        assert_int_equal(run(u, s, &c, img, len, 8192), cases[i].want);
        if (cases[i].rule) {
            assert_non_null(strstr(u->msg, cases[i].rule));
            assert_int_equal(s->begins, 0);
        }
        free(u);
        fx_slot_free(s);
    }
    free(img);
}

/* core/sota_policy.h's table, from which /api/status and `sota sim` list the rules: one
 * row per field of the policy, none left out and none twice (turning every row on, each
 * off until then, sets every byte of the struct), the names in the struct's order. */
static void test_policy_table(void **state)
{
    (void)state;
    softap_ota_policy_t p;
    memset(&p, 0, sizeof p);
    size_t last = 0;
    for (size_t i = 0; i < SOTA_POLICY_N_RULES; i++) {
        const sota_policy_rule_t *r = &sota_policy_rules[i];
        assert_true(i == 0 || r->offset > last);
        last = r->offset;
        assert_false(sota_policy_on(&p, r));
        *sota_policy_rule(&p, r) = true;
        assert_true(sota_policy_on(&p, r));
        assert_non_null(r->help);
    }
    const uint8_t *bytes = (const uint8_t *)&p;
    for (size_t i = 0; i < sizeof p; i++) {
        assert_int_equal(bytes[i], 1);
    }
    assert_string_equal(sota_policy_rules[0].name, "require_app_desc");
    assert_string_equal(sota_policy_rules[SOTA_POLICY_N_RULES - 1].name, "require_signed");
}

static void test_version_cmp(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int sign;
    } v[] = {
        { "1.0", "1.0", 0 }, { "v1.0", "1.0", 0 }, { "1.10", "1.9", 1 }, { "1.2", "1.2.1", -1 },
        { "2.0.0-rc1", "2.0.0", -1 }, { "2.0.0", "2.0.0-rc1", 1 }, { "2.0.0-rc1", "2.0.0-rc2", -1 },
        { "0.9.9", "1.0.0", -1 }, { "10", "9", 1 }, { "1.0+build5", "1.0", 0 },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int r = sota_update_version_cmp(v[i].a, v[i].b);
        int sign = (r > 0) - (r < 0);
        if (sign != v[i].sign) {
            fail_msg("cmp(%s, %s) = %d, want %d", v[i].a, v[i].b, r, v[i].sign);
        }
    }
    /* older: what refuse_downgrade refuses; an empty version (Tasmota32 builds) is unknown */
    static const struct {
        const char *a, *b;
        bool older;
    } o[] = {
        { "1.0", "2.0", true }, { "2.0", "1.0", false }, { "1.0", "1.0", false },
        { "", "1.0", false }, { "1.0", "", false }, { "", "", false }, { NULL, "1.0", false },
        { "1.0", NULL, false }, { "v0.9", "1.0", true },
    };
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
        if (sota_update_version_older(o[i].a, o[i].b) != o[i].older) {
            fail_msg("older(%s, %s) != %d", o[i].a ? o[i].a : "NULL", o[i].b ? o[i].b : "NULL", o[i].older);
        }
    }
}

/* The identity rules, shared by uploads and switches: each rule alone, the order, and
 * what is unknown passing. */
static void test_policy_identity(void **state)
{
    (void)state;
    const softap_ota_policy_t all = { .require_same_project = true, .refuse_downgrade = true,
                                      .refuse_lower_secure_version = true, .refuse_failed_version = true };
    const sota_policy_app_t run = { "p", "2.0", 5 }, failed = { "p", "3.0", 0 };
    static const struct {
        sota_policy_app_t app;
        bool with_failed;
        sota_policy_verdict_t want;
    } c[] = {
        { { "p", "2.1", 5 }, true, SOTA_POLICY_ALLOWED },
        { { "q", "2.1", 5 }, true, SOTA_POLICY_OTHER_PROJECT },
        { { "q", "1.0", 1 }, true, SOTA_POLICY_OTHER_PROJECT },      /* the first rule that refuses */
        { { "p", "1.9", 5 }, true, SOTA_POLICY_DOWNGRADE },
        { { "p", "", 5 }, true, SOTA_POLICY_ALLOWED },               /* no version: unknown */
        { { "p", "2.0", 4 }, true, SOTA_POLICY_LOWER_SECURE_VERSION },
        { { "p", "3.0", 5 }, true, SOTA_POLICY_FAILED_VERSION },
        { { "p", "3.0", 5 }, false, SOTA_POLICY_ALLOWED },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        sota_policy_verdict_t v = sota_policy_identity(&all, &c[i].app, &run, c[i].with_failed ? &failed : NULL);
        if (v != c[i].want) {
            fail_msg("case %zu: %d, want %d", i, (int)v, (int)c[i].want);
        }
        const softap_ota_policy_t none = { 0 };
        assert_int_equal(sota_policy_identity(&none, &c[i].app, &run, &failed), SOTA_POLICY_ALLOWED);
    }
    const sota_policy_app_t unknown_run = { NULL, NULL, 0 };
    const sota_policy_app_t other = { "q", "0.1", 0 };
    assert_int_equal(sota_policy_identity(&all, &other, &unknown_run, NULL), SOTA_POLICY_ALLOWED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_any_split),
        cmocka_unit_test(test_erase_ahead),
        cmocka_unit_test(test_erase_cost_tie),
        cmocka_unit_test(test_exact_slot_size),
        cmocka_unit_test(test_multipart_bound_over_slot),
        cmocka_unit_test(test_refused_before_begin),
        cmocka_unit_test(test_fail_after_begin),
        cmocka_unit_test(test_flash_errors_and_cancel),
        cmocka_unit_test(test_policy_rules),
        cmocka_unit_test(test_policy_table),
        cmocka_unit_test(test_version_cmp),
        cmocka_unit_test(test_policy_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
