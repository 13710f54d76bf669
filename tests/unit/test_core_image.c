/* Unit tests of the streaming image verifier (core/sota_image.h) on the reference corpus:
 * every row of testdata/images/verdicts.tsv (verdicts of ESP-IDF's own esp_image_verify).
 *
 * Each file is fed whole, byte by byte, in two pieces split at every position (files
 * under 16 KiB), and in pieces of a table of sizes; every way must reach ESP-IDF's
 * verdict, fail the same check (mapped from ESP-IDF's log line) and collect the same
 * results. sota_img_verify_from over a flash reader must agree too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_files.h"
#include "sota_image.h"

#define TSV SOTA_TESTDATA "/images/verdicts.tsv"
#define SPLIT_ALL_BELOW (16 * 1024)
#define MAX_ROWS 64

typedef struct {
    char file[128];
    bool valid;
    char message[256];
    char chip[16];
    char rev[16];
    uint32_t slot_size;
} row_t;

/* ESP-IDF's log lines -> our checks (ESP-FORMATS.md 3.1). */
static const struct {
    const char *needle;
    sota_img_err_t err;
} s_idf_messages[] = {
    { "invalid magic byte", SOTA_IMG_ERR_MAGIC },
    { "mismatch chip ID", SOTA_IMG_ERR_CHIP_ID },
    { "Required >=", SOTA_IMG_ERR_CHIP_REV_MIN },
    { "Required <=", SOTA_IMG_ERR_CHIP_REV_MAX },
    { "segment count", SOTA_IMG_ERR_SEG_COUNT },
    { "invalid segment length", SOTA_IMG_ERR_SEG_LEN },
    { "too short for app description", SOTA_IMG_ERR_SEG0_SHORT },
    { "Failed to fetch app description", SOTA_IMG_ERR_APP_DESC },
    { "doesn't match data", SOTA_IMG_ERR_SEG_ADDR },
    { "efuse blk rev", SOTA_IMG_ERR_EFUSE_REV },
    { "Checksum failed", SOTA_IMG_ERR_CHECKSUM },
    { "doesn't fit in partition", SOTA_IMG_ERR_TOO_BIG },
    { "Image hash failed", SOTA_IMG_ERR_HASH },
    { "partition size", SOTA_IMG_ERR_PART_SIZE },
};

static sota_img_err_t expected_err(const row_t *r)
{
    if (r->valid) {
        return SOTA_IMG_OK;
    }
    for (size_t i = 0; i < sizeof s_idf_messages / sizeof s_idf_messages[0]; i++) {
        if (strstr(r->message, s_idf_messages[i].needle)) {
            return s_idf_messages[i].err;
        }
    }
    fail_msg("no mapping for ESP-IDF message '%s'", r->message);
    return SOTA_IMG_ERR__COUNT;
}

static size_t load_rows(row_t *rows, size_t max)
{
    FILE *f = fopen(TSV, "r");
    assert_non_null(f);
    char line[1024];
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && n < max) {
        line[strcspn(line, "\r\n")] = '\0';
        char *cols[8] = { 0 };
        size_t c = 0;
        for (char *p = line; c < 8; c++) {
            cols[c] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                c++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        assert_true(c >= 6);
        row_t *r = &rows[n++];
        FX_COPY_FIELD(r->file, cols[0]);
        r->valid = !strcmp(cols[1], "1");
        FX_COPY_FIELD(r->message, cols[2]);
        FX_COPY_FIELD(r->chip, cols[3]);
        FX_COPY_FIELD(r->rev, cols[4]);
        r->slot_size = (uint32_t)strtoul(cols[5], NULL, 0);
    }
    fclose(f);
    return n;
}

static void params_for(const row_t *r, sota_img_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->chip = sota_chip_by_name(r->chip);
    assert_non_null(p->chip);
    int rev = sota_chip_parse_rev(r->rev);
    assert_true(rev >= 0);
    p->chip_rev = (uint16_t)rev;
    p->slot_size = r->slot_size;
    p->slot_offset = 0x10000;   /* the offset in ESP-IDF's messages */
}

/* Everything a run collects that must not depend on how the bytes were split. */
typedef struct {
    sota_img_err_t err;
    bool complete, have_checksum, have_sha, have_desc;
    uint8_t checksum_calc, checksum_read, seg_seen;
    uint32_t image_len;
    uint64_t trailing;
    uint8_t sha_calc[SOTA_SHA256_LEN];
    char msg[200];
} outcome_t;

static void capture(const sota_img_t *v, outcome_t *o)
{
    memset(o, 0, sizeof *o);
    o->err = v->err;
    o->complete = v->complete;
    o->have_checksum = v->have_checksum;
    o->have_sha = v->have_sha;
    o->have_desc = v->have_desc;
    o->checksum_calc = v->checksum_calc;
    o->checksum_read = v->checksum_read;
    o->seg_seen = v->seg_seen;
    o->image_len = v->image_len;
    o->trailing = v->trailing;
    if (v->have_sha) {
        memcpy(o->sha_calc, v->sha_calc, SOTA_SHA256_LEN);
    }
    snprintf(o->msg, sizeof o->msg, "%s", sota_img_message(v));
}

/* Feed b in pieces of `piece` bytes (0: two pieces split at `split`). */
static void run(const sota_img_params_t *p, const uint8_t *b, size_t len, size_t piece,
                size_t split, outcome_t *o)
{
    sota_img_t v;
    sota_img_init(&v, p);
    if (piece == 0) {
        sota_img_feed(&v, b, split);
        sota_img_feed(&v, b + split, len - split);
    } else {
        for (size_t off = 0; off < len; off += piece) {
            sota_img_feed(&v, b + off, len - off < piece ? len - off : piece);
        }
    }
    sota_img_finish(&v);
    assert_int_equal(v.fed, len);
    capture(&v, o);
}

static void assert_same(const outcome_t *a, const outcome_t *b, const char *file, size_t piece,
                        size_t split)
{
    if (memcmp(a, b, sizeof *a) != 0) {
        fail_msg("%s: piece %zu split %zu gives '%s' (%s), whole file gives '%s' (%s)", file,
                 piece, split, b->msg, sota_img_err_code(b->err), a->msg,
                 sota_img_err_code(a->err));
    }
}

/* The facts in ESP-IDF's message must be ours too. */
static void check_facts(const row_t *r, const outcome_t *o, size_t len)
{
    unsigned a = 0, b = 0;
    switch (o->err) {
    case SOTA_IMG_ERR_CHECKSUM:
        assert_int_equal(sscanf(r->message, "Checksum failed. Calculated 0x%x read 0x%x", &a, &b), 2);
        assert_int_equal(o->checksum_calc, a);
        assert_int_equal(o->checksum_read, b);
        break;
    case SOTA_IMG_ERR_CHIP_ID:
        assert_int_equal(sscanf(r->message, "mismatch chip ID, expected %u, found %u", &a, &b), 2);
        assert_non_null(strstr(o->msg, "wrong chip"));
        break;
    case SOTA_IMG_ERR_TOO_BIG:
        assert_int_equal(sscanf(r->message, "Image length %u doesn't fit in partition length %u",
                                &a, &b), 2);
        assert_int_equal(o->image_len, a);
        assert_int_equal(r->slot_size, b);
        break;
    case SOTA_IMG_ERR_SEG_LEN: {
        char hex[32];
        assert_int_equal(sscanf(r->message, "invalid segment length %31s", hex), 1);
        assert_non_null(strstr(o->msg, hex));
        break;
    }
    case SOTA_IMG_OK:
        assert_true(o->complete);
        assert_int_equal(o->image_len + o->trailing, len);
        assert_int_equal(strncmp(o->msg, "valid", 5), 0);
        break;
    default:
        break;
    }
    /* A message is never cut short by its buffer. */
    assert_true(strlen(o->msg) < sizeof o->msg - 1);
}

typedef struct {
    const uint8_t *b;
    size_t len;
    int reads_past_file;
} flash_t;

/* The slot as the file written into an erased partition. */
static int flash_read(void *ctx, uint32_t off, void *buf, size_t n)
{
    flash_t *f = ctx;
    memset(buf, 0xFF, n);
    if (off < f->len) {
        size_t k = f->len - off < n ? f->len - off : n;
        memcpy(buf, f->b + off, k);
    }
    if ((uint64_t)off + n > f->len) {
        f->reads_past_file++;
    }
    return 0;
}

static const size_t s_pieces[] = { 1, 2, 3, 4, 7, 8, 23, 24, 25, 31, 32, 33, 255, 256, 257,
                                   4095, 4096, 4097, 65535, 65536, 65537 };

static void test_corpus(void **state)
{
    (void)state;
    row_t *rows = calloc(MAX_ROWS, sizeof *rows);
    assert_non_null(rows);
    size_t n = load_rows(rows, MAX_ROWS);
    assert_true(n >= 25);
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        size_t len = 0;
        uint8_t *b = fx_read_testdata("images", r->file, &len);
        sota_img_params_t p;
        params_for(r, &p);

        outcome_t whole, other;
        run(&p, b, len, len ? len : 1, 0, &whole);
        if (whole.err != expected_err(r)) {
            fail_msg("%s: expected %s ('%s'), got %s ('%s')", r->file,
                     sota_img_err_code(expected_err(r)), r->message,
                     sota_img_err_code(whole.err), whole.msg);
        }
        check_facts(r, &whole, len);

        for (size_t k = 0; k < sizeof s_pieces / sizeof s_pieces[0]; k++) {
            run(&p, b, len, s_pieces[k], 0, &other);
            assert_same(&whole, &other, r->file, s_pieces[k], 0);
        }
        if (len < SPLIT_ALL_BELOW) {
            for (size_t split = 0; split <= len; split++) {
                run(&p, b, len, 0, split, &other);
                assert_same(&whole, &other, r->file, 0, split);
            }
        }

        /* The same slot verified from flash. */
        flash_t fl = { b, len, 0 };
        sota_img_t v;
        sota_img_err_t err = sota_img_verify_from(&v, &p, flash_read, &fl);
        if (err != whole.err) {
            fail_msg("%s: verify_from gives %s, feeding gives %s", r->file,
                     sota_img_err_code(err), sota_img_err_code(whole.err));
        }
        assert_int_equal(v.image_len, whole.image_len);
        if (err == SOTA_IMG_OK) {
            assert_int_equal(fl.reads_past_file, 0);   /* reads only the image */
        }
        free(b);
    }
    free(rows);
}

/* A feed that already decides the verdict returns it before finish (early reject). */
static void test_early_reject(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t prefix;          /* bytes that decide it */
        sota_img_err_t err;
    } cases[] = {
        { "c10_bad_magic.bin", 24, SOTA_IMG_ERR_MAGIC },
        { "c27_wrong_chip_id.bin", 24, SOTA_IMG_ERR_CHIP_ID },
        { "c22_segcount17.bin", 24, SOTA_IMG_ERR_SEG_COUNT },
        { "c25_seglen_16M.bin", 0x2028, SOTA_IMG_ERR_SEG_LEN },
        { "c17_bad_checksum_raw.bin", 0x19030, SOTA_IMG_ERR_CHECKSUM },
        { "c18_flip_sha_byte.bin", 0x19050, SOTA_IMG_ERR_HASH },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        uint8_t *b = fx_read_testdata("images", cases[i].file, &len);
        sota_img_params_t p = { .chip = sota_chip_by_name("esp32"), .chip_rev = 300,
                                .slot_size = 0x100000, .slot_offset = 0x10000 };
        sota_img_t v;
        sota_img_init(&v, &p);
        /* one byte short: nothing decided yet */
        assert_int_equal(sota_img_feed(&v, b, cases[i].prefix - 1), SOTA_IMG_OK);
        assert_int_equal(sota_img_feed(&v, b + cases[i].prefix - 1, 1), cases[i].err);
        /* sticky */
        assert_int_equal(sota_img_feed(&v, b + cases[i].prefix, len - cases[i].prefix),
                         cases[i].err);
        assert_int_equal(sota_img_finish(&v), cases[i].err);
        assert_int_equal(sota_img_finish(&v), cases[i].err);
        free(b);
    }
}

/* Valid results: trailing bytes counted, app description and hash collected. */
static void test_valid_details(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *b = fx_read_testdata("images", "c35_trailing_garbage.bin", &len);
    sota_img_params_t p = { .chip = sota_chip_by_name("esp32"), .chip_rev = 300,
                            .slot_size = 0x100000, .slot_offset = 0x10000 };
    sota_img_t v;
    sota_img_init(&v, &p);
    assert_int_equal(sota_img_feed(&v, b, len), SOTA_IMG_OK);
    assert_true(v.complete);        /* decided before finish */
    assert_int_equal(sota_img_finish(&v), SOTA_IMG_OK);
    assert_int_equal(v.trailing, 4096);
    assert_int_equal(v.image_len, len - 4096);
    assert_true(v.have_sha && v.have_checksum && v.have_desc);
    assert_memory_equal(v.sha_calc, v.sha_read, SOTA_SHA256_LEN);
    assert_int_equal(v.desc.magic_word, SOTA_APP_DESC_MAGIC);
    assert_string_equal(v.desc.project_name, "oracle_app");
    assert_non_null(strstr(sota_img_message(&v), "oracle_app"));
    assert_non_null(strstr(sota_img_message(&v), "4096 trailing"));
    assert_int_equal(v.seg_seen, 5);
    assert_int_equal(v.seg[4].load_addr, 0x400d0020);
    assert_int_equal(v.seg[4].data_offset, 0x10020);
    free(b);

    b = fx_read_testdata("images", "c09_valid_esp32_secver7.bin", &len);
    sota_img_init(&v, &p);
    sota_img_feed(&v, b, len);
    assert_int_equal(sota_img_finish(&v), SOTA_IMG_OK);
    assert_int_equal(v.desc.secure_version, 7);
    assert_string_equal(v.desc.version, "2.3.4-rc1");
    assert_string_equal(v.desc.project_name, "ota_demo");
    free(b);

    b = fx_read_testdata("images", "c07_valid_esp32_nohash.bin", &len);
    sota_img_init(&v, &p);
    sota_img_feed(&v, b, len);
    assert_int_equal(sota_img_finish(&v), SOTA_IMG_OK);
    assert_false(v.have_sha);
    assert_int_equal(v.hdr.hash_appended, 0);
    free(b);
}

static void test_names_and_args(void **state)
{
    (void)state;
    for (int e = 0; e < SOTA_IMG_ERR__COUNT; e++) {
        const char *name = sota_img_err_code((sota_img_err_t)e);
        assert_non_null(name);
        assert_string_not_equal(name, "unknown");
        for (int k = 0; k < e; k++) {
            assert_string_not_equal(name, sota_img_err_code((sota_img_err_t)k));
        }
    }
    assert_string_equal(sota_img_err_code(SOTA_IMG_ERR_CHECKSUM), "checksum");
    assert_string_equal(sota_img_err_code(SOTA_IMG_ERR_CHIP_ID), "chip_id");
    assert_string_equal(sota_img_err_code(SOTA_IMG_ERR__COUNT), "unknown");

    sota_img_t v;
    sota_img_params_t p = { 0 };
    sota_img_init(&v, &p);                      /* no chip */
    assert_int_equal(v.err, SOTA_IMG_ERR_ARG);
    assert_int_equal(sota_img_finish(&v), SOTA_IMG_ERR_ARG);

    p.chip = sota_chip_by_name("esp32");
    p.slot_size = 0x100000;
    p.slot_offset = 0x10000;
    sota_img_init(&v, &p);
    assert_int_equal(sota_img_feed(&v, NULL, 4), SOTA_IMG_ERR_ARG);

    sota_img_init(&v, &p);
    assert_string_not_equal(sota_img_message(&v), "");   /* in progress: still a sentence */
    sota_img_abort(&v);
    assert_int_equal(sota_img_feed(&v, "x", 1), SOTA_IMG_ERR_ARG);   /* after the end */
}

static int failing_read(void *ctx, uint32_t off, void *buf, size_t n)
{
    const flash_t *f = ctx;
    if (off + n > 1000) {
        return -1;      /* an I/O error inside the chip */
    }
    memcpy(buf, f->b + off, n);
    return 0;
}

static void test_verify_from_errors(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *b = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    flash_t fl = { b, len, 0 };
    sota_img_params_t p = { .chip = sota_chip_by_name("esp32"), .chip_rev = 300,
                            .slot_size = 0x100000, .slot_offset = 0x10000 };
    sota_img_t v;
    assert_int_equal(sota_img_verify_from(&v, &p, failing_read, &fl), SOTA_IMG_ERR_READ);
    assert_non_null(strstr(sota_img_message(&v), "flash read failed"));
    assert_int_equal(sota_img_verify_from(&v, &p, NULL, &fl), SOTA_IMG_ERR_ARG);
    /* the chip ends one byte before the image does */
    p.flash_size = (uint32_t)(0x10000 + len - 1);
    assert_int_equal(sota_img_verify_from(&v, &p, flash_read, &fl), SOTA_IMG_ERR_READ);
    assert_non_null(strstr(sota_img_message(&v), "past the end of the flash"));
    p.flash_size = (uint32_t)(0x10000 + len);
    assert_int_equal(sota_img_verify_from(&v, &p, flash_read, &fl), SOTA_IMG_OK);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_early_reject),
        cmocka_unit_test(test_valid_details),
        cmocka_unit_test(test_names_and_args),
        cmocka_unit_test(test_verify_from_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
