/* Resuming a broken-off upload (core/sota_update.h, guarantee 6): a session cut at any
 * point after its head and continued from sota_update_offset() with the same file ends
 * exactly as an uncut one: the slot holds the file, no sector is erased twice, the
 * same erases are done; and every wrong claim (another file, offset, total, no proof)
 * is refused without changing the session. The slot is fixture_slot.h's NOR model,
 * filled with an old image so that the erase-ahead has work to do. */
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
#include "sota_le.h"
#include "sota_update.h"

static void head_sha(const uint8_t *img, size_t len, uint8_t out[SOTA_SHA256_LEN])
{
    sota_sha256_t h;
    size_t n = len < SOTA_UPDATE_PROOF_LEN ? len : SOTA_UPDATE_PROOF_LEN;
    assert_int_equal(sota_sha256_start(&h), 0);
    assert_int_equal(sota_sha256_update(&h, img, n), 0);
    assert_int_equal(sota_sha256_finish(&h, out), 0);
}

static void feed_range(sota_update_t *u, const uint8_t *img, size_t from, size_t to, size_t piece)
{
    for (size_t off = from; off < to; off += piece) {
        size_t n = to - off < piece ? to - off : piece;
        assert_int_equal(sota_update_feed(u, img + off, n), SOTA_UPDATE_OK);
    }
}

/* Where to cut the connection: the first bytes, around the head, the segment headers
 * and their data, every 64 KiB block boundary, inside the SHA-256 trailer, the last
 * byte. Returns how many (at most max), sorted as found, all in 1..len-1. */
static size_t cut_points(const uint8_t *img, size_t len, size_t *out, size_t max)
{
    size_t n = 0;
    const size_t fixed[] = { 1, 2, 24, 100, 4095, 4096, 4097, SOTA_UPDATE_HEAD_LEN - 1,
                             SOTA_UPDATE_HEAD_LEN, SOTA_UPDATE_HEAD_LEN + 1, 8192, 30000 };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && n < max; i++) {
        out[n++] = fixed[i];
    }
    /* segment headers: 24-byte image header, then (8-byte header + data) per segment */
    size_t pos = 24;
    for (unsigned s = 0; s < img[1] && pos + 8 <= len && n + 2 <= max; s++) {
        out[n++] = pos + 4;                      /* inside the segment header */
        out[n++] = pos + 8;                      /* first byte of its data */
        pos += 8 + sota_rd32(img + pos + 4);
    }
    for (size_t b = SOTA_UPDATE_BLOCK; b < len && n + 3 <= max; b += SOTA_UPDATE_BLOCK) {
        out[n++] = b - 1;
        out[n++] = b;
        out[n++] = b + 1;
    }
    const size_t tail[] = { len - 32, len - 31, len - 16, len - 2, len - 1 };
    for (size_t i = 0; i < sizeof tail / sizeof tail[0] && n < max; i++) {
        out[n++] = tail[i];
    }
    return n;
}

/* The uncut run's erases, to compare with. */
static void uncut(const uint8_t *img, size_t len, int *erases, unsigned *max_erased)
{
    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xA5);
    sota_update_t *u = malloc(sizeof *u);
    sota_update_cfg_t c = fx_slot_cfg(len, true);
    assert_int_equal(fx_slot_run(u, s, &c, &fx_slot_ops_no_read, img, len, 4096), SOTA_UPDATE_OK);
    *erases = s->erases;
    *max_erased = fx_slot_max_erased(s);
    free(u);
    fx_slot_free(s);
}

/* Cut at every point, resume with the right claim, compare with the uncut run. */
static void cut_and_resume(const char *name)
{
    size_t len;
    uint8_t *img = fx_read_testdata("images", name, &len);
    uint8_t proof[SOTA_SHA256_LEN];
    head_sha(img, len, proof);
    int erases0;
    unsigned max0;
    uncut(img, len, &erases0, &max0);
    assert_int_equal(max0, 1);

    size_t cuts[80];
    size_t ncuts = cut_points(img, len, cuts, sizeof cuts / sizeof cuts[0]);
    assert_true(ncuts >= 20);
    static const size_t pieces[] = { 4096, 1000, 1 << 16 };
    for (size_t i = 0; i < ncuts; i++) {
        size_t cut = cuts[i];
        assert_true(cut > 0 && cut < len);
        size_t piece = pieces[i % 3];
        fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xA5);
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        sota_update_init(u, &c, &fx_slot_ops_no_read, s);
        feed_range(u, img, 0, cut, piece);
        /* the connection is lost here */
        size_t from = 0;
        if (cut < SOTA_UPDATE_HEAD_LEN) {
            /* nothing written yet: the session is dropped, the next upload starts over */
            assert_false(sota_update_keepable(u));
            assert_int_equal(s->begins, 0);
            assert_int_equal(s->erases + s->writes, 0);
            sota_update_cancel(u, "test: connection lost in the head");
            sota_update_init(u, &c, &fx_slot_ops_no_read, s);
        } else {
            assert_true(sota_update_keepable(u));
            assert_int_equal(sota_update_offset(u), cut);
            assert_int_equal(sota_update_resume_check(u, cut, len, proof), SOTA_UPDATE_OK);
            from = sota_update_offset(u);
        }
        feed_range(u, img, from, len, piece);
        assert_int_equal(sota_update_finish(u), SOTA_UPDATE_OK);
        assert_memory_equal(s->mem, img, len);
        assert_int_equal(s->begins, 1);
        assert_int_equal(s->finishes, 1);
        assert_int_equal(s->aborts, 0);
        assert_false(s->wrote_unerased);
        if (fx_slot_max_erased(s) != 1 || s->erases != erases0) {
            fail_msg("%s cut at %zu: %d erases (uncut: %d), a sector erased %u times", name, cut,
                     s->erases, erases0, fx_slot_max_erased(s));
        }
        free(u);
        fx_slot_free(s);
    }
    free(img);
}

static void test_cut_anywhere_100k(void **state)
{
    (void)state;
    cut_and_resume("c02_valid_esp32_100k.bin");
}

static void test_cut_anywhere_1000k(void **state)
{
    (void)state;
    cut_and_resume("c05_valid_esp32_1000k.bin");
}

/* A session kept at `cut` bytes of img. */
static sota_update_t *kept(fx_slot_t *s, const uint8_t *img, size_t len, size_t cut)
{
    sota_update_t *u = malloc(sizeof *u);
    sota_update_cfg_t c = fx_slot_cfg(len, true);
    sota_update_init(u, &c, &fx_slot_ops_no_read, s);
    feed_range(u, img, 0, cut, 4096);
    assert_true(sota_update_keepable(u));
    return u;
}

/* Every wrong claim is refused with its code and status and changes nothing: the
 * session's bytes are the same, and the right claim still completes the update. */
static void test_wrong_claims(void **state)
{
    (void)state;
    size_t len, len2;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    uint8_t *other = fx_read_testdata("images", "c09_valid_esp32_secver7.bin", &len2);
    uint8_t proof[SOTA_SHA256_LEN], other_proof[SOTA_SHA256_LEN], flipped[SOTA_SHA256_LEN];
    head_sha(img, len, proof);
    head_sha(other, len2, other_proof);
    memcpy(flipped, proof, sizeof flipped);
    flipped[31] ^= 1;
    const size_t cut = 70000;
    static const struct {
        const char *what;
        int64_t offset_delta;
        int64_t total_delta;
        int proof; /* 0 right, 1 other file, 2 one bit off, 3 none */
        sota_update_err_t want;
        int status;
    } rows[] = {
        { "right claim", 0, 0, 0, SOTA_UPDATE_OK, 200 },
        { "another file", 0, 0, 1, SOTA_UPDATE_ERR_DIFFERENT_FILE, 409 },
        { "digest one bit off", 0, 0, 2, SOTA_UPDATE_ERR_DIFFERENT_FILE, 409 },
        { "no digest", 0, 0, 3, SOTA_UPDATE_ERR_DIFFERENT_FILE, 409 },
        { "offset one short", -1, 0, 0, SOTA_UPDATE_ERR_WRONG_OFFSET, 416 },
        { "offset one past", 1, 0, 0, SOTA_UPDATE_ERR_WRONG_OFFSET, 416 },
        { "offset 0", -(int64_t)cut, 0, 0, SOTA_UPDATE_ERR_WRONG_OFFSET, 416 },
        { "total one short", 0, -1, 0, SOTA_UPDATE_ERR_WRONG_TOTAL, 409 },
        { "total one more", 0, 1, 0, SOTA_UPDATE_ERR_WRONG_TOTAL, 409 },
        { "another file (its total)", 0, 1000000, 1, SOTA_UPDATE_ERR_WRONG_TOTAL, 409 },
    };
    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xA5);
    sota_update_t *u = kept(s, img, len, cut);
    sota_update_t *before = malloc(sizeof *before);
    memcpy(before, u, sizeof *u);
    uint8_t *mem_before = malloc(s->size);
    memcpy(mem_before, s->mem, s->size);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const uint8_t *p = rows[i].proof == 0 ? proof : rows[i].proof == 1 ? other_proof
                         : rows[i].proof == 2 ? flipped : NULL;
        sota_update_err_t e = sota_update_resume_check(u, (uint64_t)((int64_t)cut + rows[i].offset_delta),
                                                       (uint64_t)((int64_t)len + rows[i].total_delta), p);
        if (e != rows[i].want) {
            fail_msg("%s: got %s, want %s", rows[i].what, sota_update_err_code(e), sota_update_err_code(rows[i].want));
        }
        assert_int_equal(sota_update_http_status(e), rows[i].status);
        assert_memory_equal(u, before, sizeof *u);
        assert_memory_equal(s->mem, mem_before, s->size);
    }
    feed_range(u, img, cut, len, 4096);
    assert_int_equal(sota_update_finish(u), SOTA_UPDATE_OK);
    assert_memory_equal(s->mem, img, len);
    assert_int_equal(fx_slot_max_erased(s), 1);
    free(mem_before);
    free(before);
    free(u);
    fx_slot_free(s);
    free(other);
    free(img);
}

/* What cannot be kept: a multipart body (no exact length), a session still in its
 * head, a failed one, a finished one, one that has every byte. */
static void test_not_keepable(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    uint8_t proof[SOTA_SHA256_LEN];
    head_sha(img, len, proof);
    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    sota_update_t *u = malloc(sizeof *u);

    sota_update_cfg_t mp = fx_slot_cfg(len + 300, false);
    sota_update_init(u, &mp, &fx_slot_ops_no_read, s);
    feed_range(u, img, 0, 50000, 4096);
    assert_false(sota_update_keepable(u));
    assert_int_equal(sota_update_resume_check(u, 50000, len + 300, proof), SOTA_UPDATE_ERR_NOTHING_TO_RESUME);
    sota_update_cancel(u, "test");

    sota_update_cfg_t c = fx_slot_cfg(len, true);
    sota_update_init(u, &c, &fx_slot_ops_no_read, s);
    feed_range(u, img, 0, SOTA_UPDATE_HEAD_LEN - 1, 4096);
    assert_false(sota_update_keepable(u));
    assert_int_equal(sota_update_offset(u), 0);
    assert_int_equal(sota_update_resume_check(u, 0, len, proof), SOTA_UPDATE_ERR_NOTHING_TO_RESUME);

    feed_range(u, img, SOTA_UPDATE_HEAD_LEN - 1, 50000, 4096);
    assert_true(sota_update_keepable(u));
    sota_update_cancel(u, "test: expired");
    assert_false(sota_update_keepable(u));
    assert_int_equal(sota_update_offset(u), 0);
    assert_int_equal(sota_update_resume_check(u, 50000, len, proof), SOTA_UPDATE_ERR_NOTHING_TO_RESUME);

    fx_slot_reset(s, 0xFF);
    sota_update_init(u, &c, &fx_slot_ops_no_read, s);
    feed_range(u, img, 0, len, 4096);
    assert_false(sota_update_keepable(u)); /* every byte is in: finish, don't keep */
    assert_int_equal(sota_update_finish(u), SOTA_UPDATE_OK);
    assert_false(sota_update_keepable(u));
    assert_int_equal(sota_update_resume_check(u, len, len, proof), SOTA_UPDATE_ERR_NOTHING_TO_RESUME);
    free(u);
    fx_slot_free(s);
    free(img);
}

/* The proof covers min(total, SOTA_UPDATE_PROOF_LEN) bytes: two files that differ only
 * after byte 4096 have the same proof (the offset and the verifier catch the rest), two
 * that differ in byte 4095 do not. */
static void test_proof_span(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_read_testdata("images", "c02_valid_esp32_100k.bin", &len);
    uint8_t a[SOTA_SHA256_LEN], b[SOTA_SHA256_LEN];
    fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF);
    sota_update_t *u = kept(s, img, len, 20000);
    head_sha(img, len, a);
    assert_memory_equal(u->head_sha, a, sizeof a);
    img[SOTA_UPDATE_PROOF_LEN] ^= 0x55;
    head_sha(img, len, b);
    assert_memory_equal(a, b, sizeof a);
    img[SOTA_UPDATE_PROOF_LEN - 1] ^= 0x55;
    head_sha(img, len, b);
    assert_int_equal(sota_update_resume_check(u, 20000, len, b), SOTA_UPDATE_ERR_DIFFERENT_FILE);
    free(u);
    fx_slot_free(s);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_anywhere_100k),
        cmocka_unit_test(test_cut_anywhere_1000k),
        cmocka_unit_test(test_wrong_claims),
        cmocka_unit_test(test_not_keepable),
        cmocka_unit_test(test_proof_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
