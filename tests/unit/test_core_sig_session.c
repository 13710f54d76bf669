/* The update session's "who may update" rules (core/sota_update): require_signed (on the
 * announced length before anything is erased, then on what flash holds before finish)
 * and refuse_failed_version; every policy refusal names its rule and how to override
 * it. The slot is fixture_slot.h's RAM model with NOR rules and a read operation. */
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
#include "sota_sha256.h"
#include "sota_update.h"

#define SIGNED_LEN 0x20000u

static sota_sig_key_t key(const char *name)
{
    fx_blob_t b = fx_load_testdata("signed", name);
    assert_int_equal(b.len, 32);
    sota_sig_key_t k;
    memcpy(k.d, b.data, 32);
    free(b.data);
    return k;
}

/* The RSA-signed app with a byte changed where nothing is loaded, checksum and SHA-256
 * fixed: a valid image, no longer the one that was signed. */
static fx_blob_t rehashed(void)
{
    fx_blob_t b = fx_load_testdata("signed", "app_signed_rsa3072.bin");
    b.data[0x2000] ^= 1;
    b.data[SIGNED_LEN - 33] ^= 1;
    sota_sha256_t h;
    assert_int_equal(sota_sha256_start(&h), 0);
    assert_int_equal(sota_sha256_update(&h, b.data, SIGNED_LEN - 32), 0);
    assert_int_equal(sota_sha256_finish(&h, b.data + SIGNED_LEN - 32), 0);
    return b;
}

/* A slot holding an old image everywhere (erases are needed), where a write over
 * unerased bytes or outside one begin fails the test at once. */
static fx_slot_t *slot_new(void)
{
    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0x00);
    s->on_unerased = FX_FAIL;
    s->on_early = FX_FAIL;
    return s;
}

/* A signed app goes through at any split, and lands with its signature sector. */
static void test_signed_any_split(void **state)
{
    (void)state;
    fx_blob_t f = fx_load_testdata("signed", "app_signed_rsa3072.bin");
    static const size_t pieces[] = { 1, 7, 4095, 4096, 4097, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        for (int exact = 0; exact < 2; exact++) {
            fx_slot_t *s = slot_new();
            sota_update_t *u = malloc(sizeof *u);
            sota_update_cfg_t c = fx_slot_cfg(exact ? f.len : f.len + 300, exact);
            c.policy.require_signed = true;
            c.trusted_keys[0] = key("digest_ecdsa256.bin");
            c.trusted_keys[1] = key("digest_rsa3072.bin");
            c.n_trusted_keys = 2;
            sota_update_err_t e = fx_slot_run(u, s, &c, &fx_slot_ops, f.data, f.len, pieces[i]);
            if (e != SOTA_UPDATE_OK) {
                fail_msg("piece %zu exact %d: %s", pieces[i], exact, u->msg);
            }
            assert_int_equal(s->finishes, 1);
            assert_int_equal(s->aborts, 0);
            assert_memory_equal(s->mem, f.data, f.len);
            free(u);
            fx_slot_free(s);
        }
    }
    free(f.data);
}

typedef struct {
    const char *name;
    const char *dir, *file;   /* file NULL: the re-hashed image */
    int trust;                /* 0 rsa, 1 ecdsa, -1 none */
    bool exact;
    sota_update_err_t want;
    const char *in_msg;
    bool written;             /* the slot was opened (refused at the end, not the head) */
} refuse_t;

static void test_signed_refusals(void **state)
{
    (void)state;
    static const refuse_t cases[] = {
        { "unsigned, padded", "signed", "app_padded.bin", 0, true, SOTA_UPDATE_ERR_POLICY, "not signed", true },
        { "unsigned, padded, form", "signed", "app_padded.bin", 0, false, SOTA_UPDATE_ERR_POLICY, "not signed", true },
        { "unsigned, odd length", "images", "c02_valid_esp32_100k.bin", 0, true, SOTA_UPDATE_ERR_POLICY,
          "not a whole number of 4 KiB", false },
        { "unsigned, odd length, form", "images", "c02_valid_esp32_100k.bin", 0, false, SOTA_UPDATE_ERR_POLICY,
          "not signed", true },
        { "wrong key", "signed", "app_signed_ecdsa256.bin", 0, true, SOTA_UPDATE_ERR_POLICY, "does not trust", true },
        { "wrong key (rsa)", "signed", "app_signed_rsa3072.bin", 1, true, SOTA_UPDATE_ERR_POLICY, "does not trust",
          true },
        { "P-384", "signed", "app_signed_ecdsa384.bin", 0, true, SOTA_UPDATE_ERR_POLICY, "does not trust", true },
        { "re-hashed after signing", "signed", NULL, 0, true, SOTA_UPDATE_ERR_POLICY, "changed after it was signed",
          true },
        { "tampered", "signed", "app_signed_ecdsa256_tampered.bin", 1, true, SOTA_UPDATE_ERR_VERIFY, "hecksum", true },
        { "no trusted key", "signed", "app_signed_rsa3072.bin", -1, true, SOTA_UPDATE_ERR_POLICY,
          "no trusted signing key", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const refuse_t *c = &cases[i];
        fx_blob_t f = c->file ? fx_load_testdata(c->dir, c->file) : rehashed();
        fx_slot_t *s = slot_new();
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t cfg = fx_slot_cfg(c->exact ? f.len : f.len + 1000, c->exact);
        cfg.policy.require_signed = true;
        if (c->trust >= 0) {
            cfg.trusted_keys[0] = key(c->trust == 0 ? "digest_rsa3072.bin" : "digest_ecdsa256.bin");
            cfg.n_trusted_keys = 1;
        }
        sota_update_err_t e = fx_slot_run(u, s, &cfg, &fx_slot_ops, f.data, f.len, 4096);
        if (e != c->want || !strstr(u->msg, c->in_msg)) {
            fail_msg("%s: got %s (%s), want %s / '%s'", c->name, sota_update_err_code(e), u->msg,
                     sota_update_err_code(c->want), c->in_msg);
        }
        if (c->want == SOTA_UPDATE_ERR_POLICY) {
            assert_non_null(strstr(u->msg, "require_signed"));
        }
        assert_int_equal(s->finishes, 0);
        assert_int_equal(s->begins, c->written ? 1 : 0);
        assert_int_equal(s->aborts, c->written ? 1 : 0);
        if (!c->written) {
            assert_int_equal(s->writes + s->erases, 0);
        }
        free(u);
        fx_slot_free(s);
        free(f.data);
    }
}

/* The announced length of a raw body: a multiple of 4 KiB, at least two sectors. */
static void test_signed_length_limits(void **state)
{
    (void)state;
    fx_blob_t f = fx_load_testdata("signed", "app_signed_rsa3072.bin");
    static const struct {
        uint64_t announced;
        bool passes;
    } cases[] = {
        { 4096, false }, { 8191, false }, { 8192, true }, { 8193, false },
        { SIGNED_LEN + 4095, false }, { SIGNED_LEN + 4096, true }, { SIGNED_LEN + 4097, false },
        { SIGNED_LEN + 8192, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_slot_t *s = slot_new();
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(cases[i].announced, true);
        c.policy.require_signed = true;
        c.trusted_keys[0] = key("digest_rsa3072.bin");
        c.n_trusted_keys = 1;
        sota_update_init(u, &c, &fx_slot_ops, s);
        sota_update_err_t e = sota_update_feed(u, f.data, SOTA_UPDATE_HEAD_LEN);
        if (cases[i].passes) {
            assert_int_equal(e, SOTA_UPDATE_OK);
            assert_int_equal(s->begins, 1);
        } else {
            assert_int_equal(e, SOTA_UPDATE_ERR_POLICY);
            assert_non_null(strstr(u->msg, "require_signed"));
            assert_int_equal(s->begins, 0);
        }
        /* without the rule, the length is no business of the head check */
        sota_update_cfg_t off = fx_slot_cfg(cases[i].announced, true);
        fx_slot_t *s2 = slot_new();
        sota_update_init(u, &off, &fx_slot_ops, s2);
        assert_int_equal(sota_update_feed(u, f.data, SOTA_UPDATE_HEAD_LEN), SOTA_UPDATE_OK);
        free(u);
        fx_slot_free(s);
        fx_slot_free(s2);
    }
    free(f.data);
}

/* require_signed off: the signature sector is just trailing bytes; on without a read
 * operation is a caller bug; a failing read is a flash error. */
static void test_signed_off_and_errors(void **state)
{
    (void)state;
    fx_blob_t padded = fx_load_testdata("signed", "app_padded.bin");
    fx_blob_t other = fx_load_testdata("signed", "app_signed_ecdsa256.bin");
    sota_update_t *u = malloc(sizeof *u);

    fx_slot_t *s = slot_new();
    sota_update_cfg_t c = fx_slot_cfg(padded.len, true);
    assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops, padded.data, padded.len, 4096), SOTA_UPDATE_OK);
    fx_slot_free(s);
    s = slot_new();
    c = fx_slot_cfg(other.len, true);
    assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops_no_read, other.data, other.len, 4096), SOTA_UPDATE_OK);
    fx_slot_free(s);

    s = slot_new();
    c = fx_slot_cfg(other.len, true);
    c.policy.require_signed = true;
    c.trusted_keys[0] = key("digest_ecdsa256.bin");
    c.n_trusted_keys = 1;
    assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops_no_read, other.data, other.len, 4096),
                     SOTA_UPDATE_ERR_STATE);
    assert_int_equal(s->finishes, 0);
    assert_int_equal(s->aborts, 1);
    fx_slot_free(s);

    static const uint32_t fail_at[] = { 0x1000, SIGNED_LEN };
    for (size_t i = 0; i < 2; i++) {
        s = slot_new();
        s->fail_read_at = fail_at[i];
        assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops, other.data, other.len, 4096), SOTA_UPDATE_ERR_FLASH);
        assert_non_null(strstr(u->msg, "read back"));
        assert_int_equal(s->finishes, 0);
        assert_int_equal(s->aborts, 1);
        fx_slot_free(s);
    }
    free(u);
    free(padded.data);
    free(other.data);
}

/* refuse_failed_version: only the exact project and version that failed. c02 is
 * oracle_app 1.0.0. */
static void test_failed_version(void **state)
{
    (void)state;
    static const struct {
        bool rule;
        const char *project, *version;
        sota_update_err_t want;
    } cases[] = {
        { true, "oracle_app", "1.0.0", SOTA_UPDATE_ERR_POLICY },
        { true, "oracle_app", "1.0.1", SOTA_UPDATE_OK },
        { true, "oracle_app", "1.0", SOTA_UPDATE_OK },
        { true, "other", "1.0.0", SOTA_UPDATE_OK },
        { true, NULL, NULL, SOTA_UPDATE_OK },
        { false, "oracle_app", "1.0.0", SOTA_UPDATE_OK },
    };
    fx_blob_t f = fx_load_testdata("images", "c02_valid_esp32_100k.bin");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_slot_t *s = slot_new();
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(f.len, true);
        c.policy.refuse_failed_version = cases[i].rule;
        c.failed_project = cases[i].project;
        c.failed_version = cases[i].version;
        sota_update_err_t e = fx_slot_run(u, s, &c, &fx_slot_ops, f.data, f.len, 4096);
        if (e != cases[i].want) {
            fail_msg("case %zu: got %s (%s)", i, sota_update_err_code(e), u->msg);
        }
        if (e != SOTA_UPDATE_OK) {
            assert_non_null(strstr(u->msg, "refuse_failed_version"));
            assert_non_null(strstr(u->msg, "oracle_app 1.0.0"));
            assert_int_equal(s->begins, 0); /* refused on the first bytes */
        }
        free(u);
        fx_slot_free(s);
    }
    free(f.data);
}

/* Every policy refusal names its rule and says how to turn it off. */
static void test_policy_messages(void **state)
{
    (void)state;
    /* ota_demo 2.3.4-rc1, secure version 7 */
    fx_blob_t f = fx_load_testdata("images", "c09_valid_esp32_secver7.bin");
    static const struct {
        const char *rule;
        int which;
    } cases[] = {
        { "require_same_project", 0 }, { "refuse_downgrade", 1 }, { "refuse_lower_secure_version", 2 },
        { "refuse_failed_version", 3 }, { "require_signed", 4 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_slot_t *s = slot_new();
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(f.len, true);
        c.running_project = "ota_demo";
        c.running_version = "2.3.4-rc1";
        switch (cases[i].which) {
        case 0: c.policy.require_same_project = true; c.running_project = "softap-ota"; break;
        case 1: c.policy.refuse_downgrade = true; c.running_version = "2.3.4"; break;
        case 2: c.policy.refuse_lower_secure_version = true; c.running_secure_version = 8; break;
        case 3:
            c.policy.refuse_failed_version = true;
            c.failed_project = "ota_demo";
            c.failed_version = "2.3.4-rc1";
            break;
        default: c.policy.require_signed = true; c.n_trusted_keys = 1; break;
        }
        assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops, f.data, f.len, 4096), SOTA_UPDATE_ERR_POLICY);
        assert_non_null(strstr(u->msg, cases[i].rule));
        if (cases[i].which != 4) {
            assert_non_null(strstr(u->msg, "turn this rule off"));
        } else {
            assert_non_null(strstr(u->msg, "Sign it"));
        }
        free(u);
        fx_slot_free(s);
    }
    free(f.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_any_split),
        cmocka_unit_test(test_signed_refusals),
        cmocka_unit_test(test_signed_length_limits),
        cmocka_unit_test(test_signed_off_and_errors),
        cmocka_unit_test(test_failed_version),
        cmocka_unit_test(test_policy_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
