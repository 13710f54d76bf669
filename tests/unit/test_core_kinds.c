/* Every file kind on every path of the device: for each file of fixture_kinds.h, the
 * kind name and the outcome are the same from sota_ident, from a raw upload (exact
 * length), from a multipart upload (length only an upper bound, fed in pieces) and from
 * the pre-check (sota_update_precheck, POST /api/check); a refused file begins nothing
 * and erases nothing (the slot fixture's counters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_kinds.h"
#include "fixture_slot.h"
#include "sota_ident.h"
#include "sota_update.h"

#define MULTIPART_OVERHEAD 213u   /* form boundary and part headers around the file */

static fk_file_t s_files[FK_MAX];
static size_t s_n;

static int setup(void **state)
{
    (void)state;
    s_n = fk_build(s_files);
    return s_n == 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    fk_free(s_files, s_n);
    return 0;
}

static sota_update_cfg_t cfg_for(uint64_t announced, bool exact)
{
    sota_update_cfg_t c = fx_slot_cfg(announced, exact);
    c.policy.require_app_desc = false;   /* the default: whatever ESP-IDF boots */
    return c;
}

static const char *kind_of(const sota_update_t *u)
{
    return u->kind < SOTA_FILE__COUNT ? sota_ident_kind_name(u->kind) : "(none)";
}

/* One path's answer for f: the kind, the status, the reason; nothing done if refused. */
static void expect(const fk_file_t *f, const char *path, const sota_update_t *u, sota_update_err_t e,
                   const fx_slot_t *s)
{
    int status = sota_update_http_status(e);
    if (strcmp(kind_of(u), f->kind) != 0 || status != f->status) {
        fail_msg("%s, %s: %s %d ('%s'), expected %s %d", f->file, path, kind_of(u), status, u->msg,
                 f->kind, f->status);
    }
    if (e != SOTA_UPDATE_OK) {
        if (!strstr(u->msg, f->says)) {
            fail_msg("%s, %s: '%s' lacks '%s'", f->file, path, u->msg, f->says);
        }
        char reason[sizeof u->msg];
        const char *advice = sota_update_explain(u, reason, sizeof reason);
        assert_true(reason[0] != '\0');
        if (e == SOTA_UPDATE_ERR_NOT_APP || e == SOTA_UPDATE_ERR_TOO_BIG) {
            assert_true(advice[0] != '\0');   /* every refusal here says what to do */
        }
        if (s != NULL) {
            assert_int_equal(s->begins, 0);
            assert_int_equal(s->erases, 0);
            assert_int_equal(s->writes, 0);
        }
    }
}

static void test_every_kind_every_path(void **state)
{
    (void)state;
    const sota_chip_t *esp32 = sota_chip_by_name("esp32");
    fx_slot_t *slot = fx_slot_new(FX_SLOT_SIZE, 0x5A);
    sota_update_t *u = malloc(sizeof *u);
    assert_non_null(u);
    for (size_t i = 0; i < s_n; i++) {
        const fk_file_t *f = &s_files[i];
        /* identification itself, from the first bytes and the length */
        sota_ident_t id;
        size_t head = f->len < SOTA_IDENT_HEAD_LEN ? f->len : SOTA_IDENT_HEAD_LEN;
        sota_ident(f->b, head, f->len, esp32, &id);
        if (strcmp(sota_ident_kind_name(id.kind), f->kind) != 0) {
            fail_msg("%s: ident says %s ('%s'), expected %s", f->file, sota_ident_kind_name(id.kind),
                     id.message, f->kind);
        }
        /* raw: the exact length, in 4 KiB receives */
        fx_slot_reset(slot, 0x5A);
        sota_update_cfg_t c = cfg_for(f->len, true);
        sota_update_err_t e = fx_slot_run(u, slot, &c, &fx_slot_ops, f->b, f->len, 4096);
        expect(f, "raw", u, e, slot);
        /* multipart: an upper bound, in odd pieces */
        fx_slot_reset(slot, 0x5A);
        c = cfg_for(f->len + MULTIPART_OVERHEAD, false);
        e = fx_slot_run(u, slot, &c, &fx_slot_ops, f->b, f->len, 1000);
        expect(f, "multipart", u, e, slot);
        /* the pre-check: no operation at all (its session has none to call) */
        c = cfg_for(f->len, true);
        e = sota_update_precheck(u, &c, f->b, head);
        expect(f, "pre-check", u, e, NULL);
    }
    free(u);
    fx_slot_free(slot);
}

/* A file that starts with a bootloader, sent as a form: named once its length is known,
 * at the end of the file or one byte past 64 KiB, whichever comes first. */
static void test_multipart_waits_for_the_length(void **state)
{
    (void)state;
    fx_slot_t *slot = fx_slot_new(FX_SLOT_SIZE, 0x5A);
    sota_update_t *u = malloc(sizeof *u);
    assert_non_null(u);
    for (size_t i = 0; i < s_n; i++) {
        const fk_file_t *f = &s_files[i];
        if (strcmp(f->kind, "merged") != 0 && strcmp(f->kind, "bootloader_part") != 0 &&
            strcmp(f->kind, "bootloader") != 0) {
            continue;
        }
        sota_update_cfg_t c = cfg_for(0, false);
        sota_update_init(u, &c, &fx_slot_ops, slot);
        size_t fed = 0;
        sota_update_err_t e = SOTA_UPDATE_OK;
        while (fed < f->len && e == SOTA_UPDATE_OK) {
            e = sota_update_feed(u, f->b + fed, 1);
            fed++;
        }
        if (e == SOTA_UPDATE_OK) {
            assert_int_equal(fed, f->len);
            assert_true(f->len <= SOTA_IDENT_BOOT_REGION);
            e = sota_update_finish(u);
        } else {
            assert_int_equal(fed, SOTA_IDENT_BOOT_REGION + 1);   /* decided at the first byte past */
        }
        assert_int_equal(e, SOTA_UPDATE_ERR_NOT_APP);
        assert_string_equal(kind_of(u), f->kind);
        assert_int_equal(slot->begins + slot->erases + slot->writes, 0);
    }
    free(u);
    fx_slot_free(slot);
}

/* The pre-check's contract: the length and at least the first bytes, else an error. */
static void test_precheck_arguments(void **state)
{
    (void)state;
    sota_update_t *u = malloc(sizeof *u);
    assert_non_null(u);
    const fk_file_t *app = &s_files[0];
    sota_update_cfg_t c = cfg_for(app->len, true);
    assert_int_equal(sota_update_precheck(u, &c, app->b, SOTA_UPDATE_HEAD_LEN - 1), SOTA_UPDATE_ERR_STATE);
    assert_int_equal(sota_update_precheck(u, &c, app->b, SOTA_UPDATE_HEAD_LEN), SOTA_UPDATE_OK);
    assert_string_equal(u->img.desc.project_name, "kinds");
    /* the whole file when it is shorter than the head: the whole verifier's verdict */
    c = cfg_for(3000, true);
    assert_int_equal(sota_update_precheck(u, &c, app->b, 3000), SOTA_UPDATE_ERR_VERIFY);
    /* length 0: the empty file, whatever the body */
    c = cfg_for(0, true);
    assert_int_equal(sota_update_precheck(u, &c, NULL, 0), SOTA_UPDATE_ERR_NOT_APP);
    assert_string_equal(kind_of(u), "empty");
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_every_path),
        cmocka_unit_test(test_multipart_waits_for_the_length),
        cmocka_unit_test(test_precheck_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
