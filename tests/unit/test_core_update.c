/* The update session (core/sota_update): what it lets through to flash and when, the
 * erase-ahead decisions, and every way it fails. The slot is a RAM model with NOR rules
 * (erase to 0xFF, program ANDs, programming unerased bytes is a test failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sota_update.h"

#define SLOT_SIZE 0x100000u

typedef struct {
    uint8_t *mem;
    uint32_t size;
    int begins, finishes, aborts;
    int block_erases, sector_erases, writes;
    uint32_t bytes_read;
    int fail_write_at;     /* fail the Nth write (1-based), 0: never */
    int fail_finish;       /* finish returns this */
    bool wrote_unerased;   /* a write needed 0 -> 1: the session skipped an erase */
    bool touched_before_begin;
} slot_t;

static int s_begin(void *ctx)
{
    slot_t *s = ctx;
    s->begins++;
    return 0;
}

static int s_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased)
{
    slot_t *s = ctx;
    assert_true(off + len <= s->size);
    s->bytes_read += len;
    *erased = true;
    for (uint32_t i = 0; i < len; i++) {
        if (s->mem[off + i] != 0xFF) {
            *erased = false;
            break;
        }
    }
    return 0;
}

static int s_erase(void *ctx, uint32_t off, uint32_t len)
{
    slot_t *s = ctx;
    if (!s->begins) {
        s->touched_before_begin = true;
    }
    assert_true(len == SOTA_UPDATE_BLOCK || len == SOTA_UPDATE_SECTOR);
    assert_int_equal(off % len, 0);
    assert_true(off + len <= s->size);
    memset(s->mem + off, 0xFF, len);
    if (len == SOTA_UPDATE_BLOCK) {
        s->block_erases++;
    } else {
        s->sector_erases++;
    }
    return 0;
}

static int s_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    slot_t *s = ctx;
    if (!s->begins) {
        s->touched_before_begin = true;
    }
    s->writes++;
    if (s->fail_write_at && s->writes == s->fail_write_at) {
        return 0x6001;
    }
    assert_true(off + len <= s->size);
    const uint8_t *d = data;
    for (size_t i = 0; i < len; i++) {
        if ((s->mem[off + i] & d[i]) != d[i]) {
            s->wrote_unerased = true;
        }
        s->mem[off + i] &= d[i];
    }
    return 0;
}

static int s_finish(void *ctx, char *msg, size_t msglen)
{
    slot_t *s = ctx;
    s->finishes++;
    if (s->fail_finish) {
        snprintf(msg, msglen, "test: finish fails");
    }
    return s->fail_finish;
}

static void s_abort(void *ctx)
{
    slot_t *s = ctx;
    s->aborts++;
}

static const sota_update_ops_t s_ops = {
    .begin = s_begin, .is_erased = s_is_erased, .erase = s_erase,
    .write = s_write, .finish = s_finish, .abort = s_abort,
};

static slot_t *slot_new(uint8_t fill)
{
    slot_t *s = calloc(1, sizeof *s);
    s->size = SLOT_SIZE;
    s->mem = malloc(SLOT_SIZE);
    memset(s->mem, fill, SLOT_SIZE);
    return s;
}

static void slot_free(slot_t *s)
{
    free(s->mem);
    free(s);
}

static uint8_t *load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/images/%s", SOTA_TESTDATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static sota_update_cfg_t cfg_for(size_t announced, bool exact)
{
    sota_update_cfg_t c;
    memset(&c, 0, sizeof c);
    c.img.chip = sota_chip_by_name("esp32");
    c.img.chip_rev = 300;
    c.img.slot_size = SLOT_SIZE;
    c.img.slot_offset = 0x110000;
    c.img.flash_size = 4 * 1024 * 1024;
    c.policy.require_app_desc = true;
    c.policy.require_sha256 = true;
    c.running_project = "softap-ota";
    c.running_version = "0.1.0";
    c.announced_len = announced;
    c.announced_exact = exact;
    return c;
}

/* Feed data in pieces of `piece` bytes, then finish. */
static sota_upd_err_t run(sota_update_t *u, slot_t *s, const sota_update_cfg_t *c,
                          const uint8_t *data, size_t len, size_t piece)
{
    sota_update_init(u, c, &s_ops, s);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        if (sota_update_feed(u, data + off, n) != SOTA_UPD_OK) {
            return u->err;
        }
    }
    return sota_update_finish(u);
}

/* A valid image lands byte for byte whatever the piece size, with begin/finish once. */
static void test_valid_any_split(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = load("c02_valid_esp32_100k.bin", &len);
    static const size_t pieces[] = { 1, 7, 24, 255, 4096, 0x1100, 0x1101, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        slot_t *s = slot_new(0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = cfg_for(len, true);
        assert_int_equal(run(u, s, &c, img, len, pieces[i]), SOTA_UPD_OK);
        assert_int_equal(u->state, SOTA_UPD_ST_DONE);
        assert_int_equal(s->begins, 1);
        assert_int_equal(s->finishes, 1);
        assert_int_equal(s->aborts, 0);
        assert_memory_equal(s->mem, img, len);
        assert_false(s->wrote_unerased);
        assert_true(u->img.have_desc);
        assert_int_equal(u->img.desc.magic_word, SOTA_APP_DESC_MAGIC);
        assert_int_equal(u->written, len);
        free(u);
        slot_free(s);
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
    uint8_t *img = load("c02_valid_esp32_100k.bin", &len); /* 102480 bytes: 2 blocks */
    sota_update_t *u = malloc(sizeof *u);

    slot_t *blank = slot_new(0xFF);
    sota_update_cfg_t c = cfg_for(len, true);
    assert_int_equal(run(u, blank, &c, img, len, 4096), SOTA_UPD_OK);
    assert_int_equal(blank->block_erases, 0);
    assert_int_equal(blank->sector_erases, 0);
    assert_false(blank->wrote_unerased);

    slot_t *old = slot_new(0x00);
    assert_int_equal(run(u, old, &c, img, len, 4096), SOTA_UPD_OK);
    /* block 0 whole (16 dirty sectors: a block erase is cheaper); block 1: the image
     * ends at 102480 -> sectors 16..25 needed (10 dirty x 50 ms > 250 ms): block erase */
    assert_int_equal(old->block_erases, 2);
    assert_int_equal(old->sector_erases, 0);
    assert_false(old->wrote_unerased);
    assert_memory_equal(old->mem, img, len);
    /* nothing past the second block was touched */
    assert_int_equal(old->mem[0x20000], 0x00);

    /* a blank slot with two dirty sectors in block 1: two sector erases */
    slot_t *few = slot_new(0xFF);
    few->mem[0x11000] = 0;
    few->mem[0x13FFF] = 0;
    few->mem[0x40000] = 0; /* beyond the image: must stay */
    assert_int_equal(run(u, few, &c, img, len, 4096), SOTA_UPD_OK);
    assert_int_equal(few->block_erases, 0);
    assert_int_equal(few->sector_erases, 2);
    assert_int_equal(few->mem[0x40000], 0);
    assert_false(few->wrote_unerased);

    /* multipart-like: only an upper bound of the length is known */
    slot_t *bound = slot_new(0x00);
    sota_update_cfg_t cb = cfg_for(len + 300, false);
    assert_int_equal(run(u, bound, &cb, img, len, 4096), SOTA_UPD_OK);
    assert_false(bound->wrote_unerased);
    assert_memory_equal(bound->mem, img, len);

    slot_free(blank);
    slot_free(old);
    slot_free(few);
    slot_free(bound);
    free(u);
    free(img);
}

/* Files refused on their first bytes never reach the slot. */
typedef struct {
    const char *name;
    sota_upd_err_t want;
} refuse_case_t;

static void test_refused_before_begin(void **state)
{
    (void)state;
    static const refuse_case_t cases[] = {
        { "c10_bad_magic.bin", SOTA_UPD_ERR_NOT_APP },
        { "c27_wrong_chip_id.bin", SOTA_UPD_ERR_NOT_APP },
        { "c04_valid_esp32c3_500k.bin", SOTA_UPD_ERR_NOT_APP },
        { "c39_all_ff_64k.bin", SOTA_UPD_ERR_NOT_APP },
        { "c36_empty.bin", SOTA_UPD_ERR_NOT_APP },
        { "c22_segcount17.bin", SOTA_UPD_ERR_VERIFY },
        { "c37_header_only.bin", SOTA_UPD_ERR_VERIFY },
        { "c19_segcount0_raw.bin", SOTA_UPD_ERR_VERIFY },
        { "c38_too_big_for_1M_slot.bin", SOTA_UPD_ERR_TOO_BIG },
        { "c07_valid_esp32_nohash.bin", SOTA_UPD_ERR_POLICY },
        { "c08_bad_appdesc_magic.bin", SOTA_UPD_ERR_POLICY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *img = load(cases[i].name, &len);
        slot_t *s = slot_new(0x5A);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = cfg_for(len, true);
        sota_upd_err_t e = run(u, s, &c, img, len, 1000);
        if (e != cases[i].want) {
            fail_msg("%s: got %s (%s), want %s", cases[i].name, sota_update_err_code(e), u->msg,
                     sota_update_err_code(cases[i].want));
        }
        assert_int_equal(s->begins, 0);
        assert_int_equal(s->aborts, 0);
        assert_int_equal(s->writes + s->block_erases + s->sector_erases, 0);
        assert_true(strlen(u->msg) > 20);
        free(u);
        slot_free(s);
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
        uint8_t *img = load(files[i], &len);
        slot_t *s = slot_new(0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = cfg_for(len, true);
        assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPD_ERR_VERIFY);
        assert_int_equal(s->begins, 1);
        assert_int_equal(s->aborts, 1);
        assert_int_equal(s->finishes, 0);
        assert_int_equal(sota_update_http_status(u->err), 422);
        free(u);
        slot_free(s);
        free(img);
    }
}

static void test_flash_errors_and_cancel(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = load("c02_valid_esp32_100k.bin", &len);
    sota_update_t *u = malloc(sizeof *u);
    sota_update_cfg_t c = cfg_for(len, true);

    slot_t *s = slot_new(0xFF);
    s->fail_write_at = 3;
    assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPD_ERR_FLASH);
    assert_int_equal(s->aborts, 1);
    assert_int_equal(sota_update_http_status(u->err), 500);
    slot_free(s);

    s = slot_new(0xFF);
    s->fail_finish = 0x1503;
    assert_int_equal(run(u, s, &c, img, len, 4096), SOTA_UPD_ERR_FLASH);
    assert_int_equal(s->aborts, 1);
    assert_non_null(strstr(u->msg, "test: finish fails"));
    slot_free(s);

    /* the client goes away half-way */
    s = slot_new(0xFF);
    sota_update_init(u, &c, &s_ops, s);
    assert_int_equal(sota_update_feed(u, img, 50000), SOTA_UPD_OK);
    sota_update_cancel(u, "connection lost");
    assert_int_equal(u->state, SOTA_UPD_ST_FAILED);
    assert_string_equal(u->msg, "connection lost");
    assert_int_equal(s->aborts, 1);
    assert_int_equal(sota_update_feed(u, img, 10), u->err); /* sticky */
    assert_int_equal(sota_update_finish(u), u->err);
    assert_int_equal(s->aborts, 1);
    assert_int_equal(s->finishes, 0);
    slot_free(s);

    /* fewer bytes than announced */
    s = slot_new(0xFF);
    assert_int_equal(run(u, s, &c, img, len - 100, 4096), SOTA_UPD_ERR_VERIFY);
    assert_non_null(strstr(u->msg, "cut off"));
    slot_free(s);

    /* the announced length exceeds the slot: refused before any byte, at N+1 not N */
    s = slot_new(0xFF);
    sota_update_cfg_t at = cfg_for(SLOT_SIZE, true);
    sota_update_init(u, &at, &s_ops, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPD_OK);
    sota_update_cfg_t big = cfg_for(SLOT_SIZE + 1, true);
    sota_update_init(u, &big, &s_ops, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPD_ERR_TOO_BIG);
    assert_int_equal(sota_update_http_status(u->err), 413);
    assert_int_equal(s->begins, 0);
    /* an upper bound only (multipart) is not refused by it */
    sota_update_cfg_t bound = cfg_for(SLOT_SIZE + 1, false);
    sota_update_init(u, &bound, &s_ops, s);
    assert_int_equal(sota_update_check_announced(u), SOTA_UPD_OK);
    assert_int_equal(run(u, s, &big, img, len, 4096), SOTA_UPD_ERR_TOO_BIG);
    assert_int_equal(s->begins, 0);
    slot_free(s);
    free(u);
    free(img);
}

static void test_policy_rules(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = load("c09_valid_esp32_secver7.bin", &len); /* ota_demo 2.3.4-rc1, secver 7 */
    typedef struct {
        bool same_project, downgrade, secver;
        const char *run_project, *run_version;
        uint32_t run_secver;
        sota_upd_err_t want;
        const char *rule;
    } pcase_t;
    static const pcase_t cases[] = {
        { true, false, false, "ota_demo", "1.0", 0, SOTA_UPD_OK, NULL },
        { true, false, false, "other", "1.0", 0, SOTA_UPD_ERR_POLICY, "require_same_project" },
        { false, true, false, "x", "2.3.4", 0, SOTA_UPD_ERR_POLICY, "refuse_downgrade" },
        { false, true, false, "x", "2.3.3", 0, SOTA_UPD_OK, NULL },
        { false, false, true, "x", "9", 7, SOTA_UPD_OK, NULL },
        { false, false, true, "x", "9", 8, SOTA_UPD_ERR_POLICY, "refuse_lower_secure_version" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        slot_t *s = slot_new(0xFF);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = cfg_for(len, true);
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
        slot_free(s);
    }
    free(img);
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
        int r = sota_version_cmp(v[i].a, v[i].b);
        int sign = (r > 0) - (r < 0);
        if (sign != v[i].sign) {
            fail_msg("cmp(%s, %s) = %d, want %d", v[i].a, v[i].b, r, v[i].sign);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_any_split),
        cmocka_unit_test(test_erase_ahead),
        cmocka_unit_test(test_refused_before_begin),
        cmocka_unit_test(test_fail_after_begin),
        cmocka_unit_test(test_flash_errors_and_cancel),
        cmocka_unit_test(test_policy_rules),
        cmocka_unit_test(test_version_cmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
