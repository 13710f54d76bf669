/* Bad images of every kind through the verifier (core/sota_image) and the update session
 * (core/sota_update): a valid multi-segment image from imagegen, cut at every segment
 * boundary (and one byte either side), and with each header field pushed out of its
 * range, one at a time. Every row of the tables says what ESP-IDF's esp_image_verify
 * concludes (the verifier's error name) and what the upload answers (HTTP status and
 * error code), and whether the refusal comes from the first bytes, in which case the
 * slot must not have been touched at all.
 *
 * Two sizes of the same image are used:
 *  - 2 KiB: smaller than the session's head (SOTA_UPDATE_HEAD_LEN), fed to the verifier
 *    at every chunk size 1..len; the session decides before writing anything.
 *  - 8 KiB: every segment header lies in the head and the last segment runs past it, so
 *    checksum and hash failures are found after writing began (abort exactly once).
 *
 * Layout of both (imagegen.h): header, segment 0 DROM (app description), 1 DRAM,
 * 2 IRAM, 3 IROM, padding + checksum byte, SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_slot.h"
#include "imagegen.h"
#include "sota_image.h"
#include "sota_sha256.h"
#include "sota_update.h"
#include "sota_le.h"

#define SLOT_SIZE   FX_SLOT_SIZE    /* ota_0 of partitions.csv */
#define SLOT_OFFSET FX_SLOT_OFFSET
#define FLASH_SIZE  FX_FLASH_SIZE
#define SMALL_SIZE  2048u
#define LARGE_SIZE  16384u
#define SEED        7u
#define SLOT_FILL   0x5A            /* what the slot holds before: not erased */

/* ------------------------------------------------------------------ images */

typedef enum {
    BASE_ESP32,       /* imagegen's 4 segments */
    BASE_ESP32_16SEG, /* the IROM segment cut into 13: 16 segments, the most allowed */
    BASE_ESP32_17SEG, /* ... into 14: 17 segments, one too many */
    BASE_ESP32C6,     /* a chip whose verifier requires the app description */
} base_t;

typedef struct {
    unsigned nseg;
    uint32_t hdr[SOTA_IMG_MAX_SEGMENTS + 1];   /* segment header offsets */
    uint32_t data[SOTA_IMG_MAX_SEGMENTS + 1];  /* segment data offsets */
    uint32_t len[SOTA_IMG_MAX_SEGMENTS + 1];
    uint32_t seg_end;                          /* end of the last segment's data */
    uint32_t csum;                             /* offset of the checksum byte */
    uint32_t sha;                              /* offset of the SHA-256 */
    uint32_t end;                              /* image length */
} layout_t;

/* Walk a well-formed image (at most 17 segments). */
static void layout_of(const uint8_t *img, size_t len, layout_t *l)
{
    memset(l, 0, sizeof *l);
    l->nseg = img[1];
    assert_true(l->nseg <= SOTA_IMG_MAX_SEGMENTS + 1);
    uint32_t off = SOTA_IMG_HEADER_LEN;
    for (unsigned i = 0; i < l->nseg; i++) {
        l->hdr[i] = off;
        l->data[i] = off + SOTA_IMG_SEG_HEADER_LEN;
        l->len[i] = sota_rd32(img + off + 4);
        off = l->data[i] + l->len[i];
    }
    l->seg_end = off;
    l->csum = ((off + 1 + 15) & ~15u) - 1;
    l->sha = l->csum + 1;
    l->end = l->sha + (img[23] ? SOTA_SHA256_LEN : 0);
    assert_int_equal(l->end, len);
}

/* Re-cut the last (IROM) segment of a 4-segment image into pieces so that the image has
 * nseg segments. Each piece's load address follows the previous piece's data plus the
 * 8-byte header in between, so every piece keeps its offset == address (mod 64 KiB). */
static uint8_t *resegment(const uint8_t *img, size_t len, unsigned nseg, size_t *out_len)
{
    layout_t l;
    layout_of(img, len, &l);
    assert_int_equal(l.nseg, 4);
    const unsigned pieces = nseg - 3;
    const uint32_t each = l.len[3] / pieces / 4 * 4;
    const size_t cap = len + SOTA_IMG_SEG_HEADER_LEN * pieces + 32;
    uint8_t *out = calloc(1, cap);
    assert_non_null(out);
    memcpy(out, img, l.hdr[3]);
    out[1] = (uint8_t)nseg;
    uint32_t load = sota_rd32(img + l.hdr[3]);
    uint32_t src = l.data[3], dst = l.hdr[3];
    for (unsigned k = 0; k < pieces; k++) {
        uint32_t n = k + 1 < pieces ? each : l.data[3] + l.len[3] - src;
        sota_wr32(out + dst, load);
        sota_wr32(out + dst + 4, n);
        memcpy(out + dst + SOTA_IMG_SEG_HEADER_LEN, img + src, n);
        dst += SOTA_IMG_SEG_HEADER_LEN + n;
        src += n;
        load += n + SOTA_IMG_SEG_HEADER_LEN;
    }
    uint32_t ck_end = (dst + 1 + 15) & ~15u;
    *out_len = ck_end + (img[23] ? SOTA_SHA256_LEN : 0);
    assert_true(*out_len <= cap);
    /* imagegen_fixup stops at 16 segments: seal it here (checksum, then SHA-256) */
    uint8_t x = 0xEF;
    for (uint32_t off = SOTA_IMG_HEADER_LEN, i = 0; i < nseg; i++) {
        uint32_t n = sota_rd32(out + off + 4);
        for (uint32_t k = 0; k < n; k++) {
            x ^= out[off + SOTA_IMG_SEG_HEADER_LEN + k];
        }
        off += SOTA_IMG_SEG_HEADER_LEN + n;
    }
    out[ck_end - 1] = x;
    if (out[23]) {
        sota_sha256_t sha;
        assert_int_equal(sota_sha256_start(&sha), 0);
        assert_int_equal(sota_sha256_update(&sha, out, ck_end), 0);
        assert_int_equal(sota_sha256_finish(&sha, out + ck_end), 0);
        sota_sha256_free(&sha);
    }
    return out;
}

static uint8_t *make_base(base_t base, uint32_t size, size_t *len)
{
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.size = size;
    o.seed = SEED;
    if (base == BASE_ESP32C6) {
        o.chip = sota_chip_by_name("esp32c6");
    }
    uint8_t *img;
    int rc = imagegen_build(&o, &img, len);
    if (rc != IMAGEGEN_OK) {
        fail_msg("imagegen_build: %s", imagegen_strerror(rc));
    }
    if (base == BASE_ESP32_16SEG || base == BASE_ESP32_17SEG) {
        size_t n;
        uint8_t *re = resegment(img, *len, base == BASE_ESP32_16SEG ? 16 : 17, &n);
        free(img);
        img = re;
        *len = n;
    }
    return img;
}

static const sota_chip_t *chip_of(base_t base)
{
    return sota_chip_by_name(base == BASE_ESP32C6 ? "esp32c6" : "esp32");
}

/* The session's view: an app slot of partitions.csv on a 4 MB chip, esp32 v3.0. */
static sota_img_params_t params_for(base_t base)
{
    sota_img_params_t p = {
        .chip = chip_of(base),
        .chip_rev = base == BASE_ESP32C6 ? chip_of(base)->default_rev : 300,
        .slot_size = SLOT_SIZE,
        .slot_offset = SLOT_OFFSET,
        .flash_size = FLASH_SIZE,
    };
    return p;
}

/* For the every-split sweep: a 64 KiB slot at the end of the chip, so that what a cut
 * image lacks is read as erased flash for a few KiB at most, not for megabytes. The
 * verdicts of the tables are the same in both slots. */
static sota_img_params_t sweep_params_for(base_t base)
{
    sota_img_params_t p = params_for(base);
    p.slot_size = 0x10000;
    p.slot_offset = FLASH_SIZE - 0x10000;
    return p;
}

/* ------------------------------------------------------------------ running them */

/* Figures for the README: refused vectors, and how many times they were run. */
static unsigned s_bad_vectors, s_verifier_runs, s_session_runs;

/* The verifier's verdict on the file fed in pieces of `piece` bytes (stops feeding at
 * the first failure, as the session does). */
static sota_img_err_t verify(const uint8_t *img, size_t len, const sota_img_params_t *p,
                             size_t piece, sota_img_t *v)
{
    sota_img_init(v, p);
    s_verifier_runs++;
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        if (sota_img_feed(v, img + off, n) != SOTA_IMG_OK) {
            break;
        }
    }
    return sota_img_finish(v);
}

typedef struct {
    const char *img;        /* sota_img_err_code() of the verifier's verdict */
    int status;             /* sota_update_http_status() of the session's outcome */
    const char *code;       /* sota_update_err_code() of it */
} expect_t;

/* Run one vector through the session with each piece size, and check the outcome and
 * what happened to the slot: untouched (refused on the first bytes), aborted once
 * (refused after writing began), or written and finished (valid). */
static void run_session(const char *what, const uint8_t *img, size_t len, base_t base,
                        const expect_t *e, bool untouched)
{
    static const size_t pieces[] = { 1, 7, 256, 4096, SOTA_UPDATE_HEAD_LEN, 1 << 20 };
    sota_update_t *u = malloc(sizeof *u);
    assert_non_null(u);
    /* NOR rules: a write over unerased bytes is recorded (asserted below); an erase or
     * write outside one begin fails the test at once */
    fx_slot_t *s = fx_slot_new(SLOT_SIZE, SLOT_FILL);
    s->on_early = FX_FAIL;
    s_bad_vectors += e->status != 200;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        fx_slot_reset(s, SLOT_FILL);
        sota_update_cfg_t c = fx_slot_cfg(len, true);
        c.img = params_for(base);
        s_session_runs++;
        sota_update_err_t err = fx_slot_run(u, s, &c, &fx_slot_ops_no_read, img, len, pieces[i]);
        int status = sota_update_http_status(err);
        if (status != e->status || strcmp(sota_update_err_code(err), e->code) != 0) {
            fail_msg("%s (%zu bytes, pieces of %zu): session answered %d %s (%s), want %d %s", what,
                     len, pieces[i], status, sota_update_err_code(err), u->msg, e->status, e->code);
        }
        assert_false(s->wrote_unerased);
        if (err == SOTA_UPDATE_OK) {
            assert_int_equal(s->begins, 1);
            assert_int_equal(s->finishes, 1);
            assert_int_equal(s->aborts, 0);
            assert_memory_equal(s->mem, img, len);
            continue;
        }
        if (strlen(u->msg) < 20) {
            fail_msg("%s: message too short to help: '%s'", what, u->msg);
        }
        assert_int_equal(s->finishes, 0);
        if (untouched) {
            if (s->begins || s->writes || s->erases || s->aborts) {
                fail_msg("%s (pieces of %zu): refused on the first bytes, but the slot saw "
                         "%d begin, %d erase, %d write, %d abort", what, pieces[i], s->begins,
                         s->erases, s->writes, s->aborts);
            }
            for (uint32_t k = 0; k < SLOT_SIZE; k += 4096) {
                assert_int_equal(s->mem[k], SLOT_FILL);
            }
        } else {
            if (s->begins != 1 || s->aborts != 1) {
                fail_msg("%s (pieces of %zu): refused after writing began, want 1 begin and 1 "
                         "abort, got %d and %d", what, pieces[i], s->begins, s->aborts);
            }
        }
    }
    fx_slot_free(s);
    free(u);
}

/* The verifier at every chunk size 1..len gives the table's verdict. */
static void verify_every_split(const char *what, const uint8_t *img, size_t len, base_t base,
                               const expect_t *e)
{
    sota_img_params_t p = sweep_params_for(base);
    sota_img_t *v = malloc(sizeof *v);
    assert_non_null(v);
    for (size_t piece = 1; piece <= len; piece++) {
        sota_img_err_t err = verify(img, len, &p, piece, v);
        if (strcmp(sota_img_err_code(err), e->img) != 0) {
            fail_msg("%s (%zu bytes, pieces of %zu): verifier says %s (%s), want %s", what, len,
                     piece, sota_img_err_code(err), sota_img_message(v), e->img);
        }
    }
    /* and in the session's slot, fed whole */
    p = params_for(base);
    sota_img_err_t err = verify(img, len, &p, len ? len : 1, v);
    if (strcmp(sota_img_err_code(err), e->img) != 0) {
        fail_msg("%s (%zu bytes, in ota_0): verifier says %s (%s), want %s", what, len,
                 sota_img_err_code(err), sota_img_message(v), e->img);
    }
    free(v);
}

static void verify_some_splits(const char *what, const uint8_t *img, size_t len, base_t base,
                               const expect_t *e)
{
    static const size_t pieces[] = { 1, 3, 64, 4096, SOTA_UPDATE_HEAD_LEN, 1 << 20 };
    sota_img_params_t p = params_for(base);
    sota_img_t *v = malloc(sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        sota_img_err_t err = verify(img, len, &p, pieces[i], v);
        if (strcmp(sota_img_err_code(err), e->img) != 0) {
            fail_msg("%s (%zu bytes, pieces of %zu): verifier says %s (%s), want %s", what, len,
                     pieces[i], sota_img_err_code(err), sota_img_message(v), e->img);
        }
    }
    free(v);
}

/* ------------------------------------------------------------------ truncations */

typedef enum {
    AT_SEGHDR,   /* segment header start (segment 0: the end of the image header) */
    AT_SEGDATA,  /* segment data start */
    AT_SEGEND,   /* segment data end */
    AT_CSUM,     /* the checksum byte */
    AT_SHA,      /* the SHA-256 */
    AT_END,      /* the image's end */
} at_t;

typedef struct {
    at_t at;
    int seg;
    int delta;
    expect_t e;
} trunc_case_t;

#define SEG_LEN  { "seg_len", 422, "verify_failed" }
#define CHECKSUM { "checksum", 422, "verify_failed" }
#define HASH     { "hash", 422, "verify_failed" }
#define VALID    { "ok", 200, "ok" }

/* Whatever a cut file lacks reads as erased flash (0xFF): a cut before the last segment's
 * data leaves a segment header of FF FF FF FF (length not a multiple of 4, or at least
 * 16 MiB); a cut in the last segment, its padding or at its checksum byte leaves the
 * checksum byte 0xFF (not what the data gives); a cut after it leaves the SHA-256 wrong. */
static const trunc_case_t s_truncs[] = {
    { AT_SEGHDR, 0, -1, SEG_LEN },  { AT_SEGHDR, 0, 0, SEG_LEN },  { AT_SEGHDR, 0, 1, SEG_LEN },
    { AT_SEGDATA, 0, -1, SEG_LEN }, { AT_SEGDATA, 0, 0, SEG_LEN }, { AT_SEGDATA, 0, 1, SEG_LEN },
    { AT_SEGEND, 0, -1, SEG_LEN },  { AT_SEGEND, 0, 0, SEG_LEN },  { AT_SEGEND, 0, 1, SEG_LEN },
    { AT_SEGDATA, 1, -1, SEG_LEN }, { AT_SEGDATA, 1, 0, SEG_LEN }, { AT_SEGDATA, 1, 1, SEG_LEN },
    { AT_SEGEND, 1, -1, SEG_LEN },  { AT_SEGEND, 1, 0, SEG_LEN },  { AT_SEGEND, 1, 1, SEG_LEN },
    { AT_SEGDATA, 2, -1, SEG_LEN }, { AT_SEGDATA, 2, 0, SEG_LEN }, { AT_SEGDATA, 2, 1, SEG_LEN },
    { AT_SEGEND, 2, -1, SEG_LEN },  { AT_SEGEND, 2, 0, SEG_LEN },  { AT_SEGEND, 2, 1, SEG_LEN },
    { AT_SEGDATA, 3, -1, SEG_LEN }, { AT_SEGDATA, 3, 0, CHECKSUM }, { AT_SEGDATA, 3, 1, CHECKSUM },
    { AT_SEGEND, 3, -1, CHECKSUM }, { AT_SEGEND, 3, 0, CHECKSUM }, { AT_SEGEND, 3, 1, CHECKSUM },
    { AT_CSUM, 0, -1, CHECKSUM },   { AT_CSUM, 0, 0, CHECKSUM },   { AT_CSUM, 0, 1, HASH },
    { AT_SHA, 0, 1, HASH },         { AT_END, 0, -1, HASH },       { AT_END, 0, 0, VALID },
};

static uint32_t cut_point(const layout_t *l, const trunc_case_t *c)
{
    uint32_t at = 0;
    switch (c->at) {
    case AT_SEGHDR: at = l->hdr[c->seg]; break;
    case AT_SEGDATA: at = l->data[c->seg]; break;
    case AT_SEGEND: at = l->data[c->seg] + l->len[c->seg]; break;
    case AT_CSUM: at = l->csum; break;
    case AT_SHA: at = l->sha; break;
    case AT_END: at = l->end; break;
    }
    return (uint32_t)((int64_t)at + c->delta);
}

static const char *const s_at_names[] = { "segment header", "segment data", "segment end",
                                          "checksum byte", "SHA-256", "image end" };

static void test_truncations(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { SMALL_SIZE, LARGE_SIZE };
    for (size_t z = 0; z < 2; z++) {
        size_t len;
        uint8_t *img = make_base(BASE_ESP32, sizes[z], &len);
        layout_t l;
        layout_of(img, len, &l);
        /* the premise of the two sizes */
        if (z == 1) {
            assert_true(l.data[3] < SOTA_UPDATE_HEAD_LEN && l.seg_end > SOTA_UPDATE_HEAD_LEN);
        } else {
            assert_true(len < SOTA_UPDATE_HEAD_LEN);
        }
        for (size_t i = 0; i < sizeof s_truncs / sizeof s_truncs[0]; i++) {
            const trunc_case_t *c = &s_truncs[i];
            uint32_t cut = cut_point(&l, c);
            char what[96];
            snprintf(what, sizeof what, "cut at %s %d %+d (byte %u)", s_at_names[c->at], c->seg,
                     c->delta, (unsigned)cut);
            if (z == 0) {
                verify_every_split(what, img, cut, BASE_ESP32, &c->e);
            } else {
                verify_some_splits(what, img, cut, BASE_ESP32, &c->e);
            }
            /* A file refused at its end was refused before anything was written if it is
             * no longer than the head; after writing began otherwise. */
            run_session(what, img, cut, BASE_ESP32, &c->e, cut <= SOTA_UPDATE_HEAD_LEN);
        }
        free(img);
    }
}

/* ------------------------------------------------------------------ header fields */

typedef enum {
    F_NONE,          /* the base image as it is */
    F_MAGIC,         /* byte 0 */
    F_SEGCOUNT,      /* byte 1 */
    F_CHIP_ID,       /* le16 at 12 */
    F_MIN_REV,       /* le16 at 15: min_chip_rev_full */
    F_MAX_REV,       /* le16 at 17: max_chip_rev_full */
    F_HASH_FLAG,     /* byte 23: hash_appended */
    F_SEG_ADDR,      /* le32: segment `seg` load address */
    F_SEG_LEN,       /* le32: segment `seg` data length */
    F_DESC_MAGIC,    /* le32 at 0x20: esp_app_desc_t.magic_word */
    F_CSUM,          /* the checksum byte */
    F_SHA_LAST,      /* the last byte of the SHA-256 */
} field_t;

typedef enum { OP_SET, OP_ADD, OP_XOR } op_t;

typedef enum {
    SEAL_NONE,       /* leave checksum and SHA-256 as they were */
    SEAL_FIXUP,      /* imagegen_fixup: checksum and SHA-256 match the edited bytes */
    SEAL_SHA,        /* recompute only the SHA-256 (over the edited checksum) */
} seal_t;

typedef struct {
    const char *name;
    base_t base;
    field_t field;
    int seg;
    op_t op;
    uint32_t value;
    seal_t seal;
    expect_t e;
    bool untouched;          /* for the 8 KiB image: refused before anything was written */
} field_case_t;

static const field_case_t s_fields[] = {
    /* the bases themselves */
    { "esp32 image, 4 segments", BASE_ESP32, F_NONE, 0, OP_SET, 0, SEAL_NONE, VALID, false },
    { "16 segments (the limit)", BASE_ESP32_16SEG, F_NONE, 0, OP_SET, 0, SEAL_NONE, VALID, false },
    { "17 segments, well formed", BASE_ESP32_17SEG, F_NONE, 0, OP_SET, 0, SEAL_NONE,
      { "seg_count", 422, "verify_failed" }, true },
    { "esp32c6 image", BASE_ESP32C6, F_NONE, 0, OP_SET, 0, SEAL_NONE, VALID, false },
    /* magic: not an app image at all */
    { "magic 0xE8", BASE_ESP32, F_MAGIC, 0, OP_SET, 0xE8, SEAL_NONE,
      { "magic", 415, "not_app_image" }, true },
    { "magic 0x00", BASE_ESP32, F_MAGIC, 0, OP_SET, 0x00, SEAL_NONE,
      { "magic", 415, "not_app_image" }, true },
    /* segment count: 0 moves the checksum onto segment 0's header; above 16 refused */
    { "segment count 0", BASE_ESP32, F_SEGCOUNT, 0, OP_SET, 0, SEAL_NONE, CHECKSUM, true },
    { "segment count 17", BASE_ESP32, F_SEGCOUNT, 0, OP_SET, 17, SEAL_NONE,
      { "seg_count", 422, "verify_failed" }, true },
    { "segment count 255", BASE_ESP32, F_SEGCOUNT, 0, OP_SET, 255, SEAL_NONE,
      { "seg_count", 422, "verify_failed" }, true },
    /* chip id: another chip's image, or no chip's */
    { "chip id 5 (esp32c3)", BASE_ESP32, F_CHIP_ID, 0, OP_SET, 5, SEAL_FIXUP,
      { "chip_id", 415, "not_app_image" }, true },
    { "chip id 0xFFFF (unknown)", BASE_ESP32, F_CHIP_ID, 0, OP_SET, 0xFFFF, SEAL_FIXUP,
      { "chip_id", 415, "not_app_image" }, true },
    /* chip revision window around the device's v3.0 */
    { "min rev v3.0 (= the chip)", BASE_ESP32, F_MIN_REV, 0, OP_SET, 300, SEAL_FIXUP, VALID, false },
    { "min rev v3.1 (above the chip)", BASE_ESP32, F_MIN_REV, 0, OP_SET, 301, SEAL_FIXUP,
      { "chip_rev_min", 422, "verify_failed" }, true },
    { "max rev v3.0 (= the chip)", BASE_ESP32, F_MAX_REV, 0, OP_SET, 300, SEAL_FIXUP, VALID, false },
    { "max rev v2.99 (below the chip)", BASE_ESP32, F_MAX_REV, 0, OP_SET, 299, SEAL_FIXUP,
      { "chip_rev_max", 422, "verify_failed" }, true },
    { "max rev 0xFFFF (no limit)", BASE_ESP32, F_MAX_REV, 0, OP_SET, 0xFFFF, SEAL_FIXUP, VALID, false },
    /* segment lengths: multiple of 4, below 16 MiB, inside the file */
    { "segment 1 length +1 (unaligned)", BASE_ESP32, F_SEG_LEN, 1, OP_ADD, 1, SEAL_NONE, SEG_LEN, true },
    { "segment 3 length +2 (unaligned)", BASE_ESP32, F_SEG_LEN, 3, OP_ADD, 2, SEAL_NONE, SEG_LEN, true },
    { "segment 1 length 16 MiB - 4 (runs off the chip)", BASE_ESP32, F_SEG_LEN, 1, OP_SET,
      0xFFFFFC, SEAL_NONE, { "read", 422, "verify_failed" }, true },
    { "segment 1 length 16 MiB", BASE_ESP32, F_SEG_LEN, 1, OP_SET, 0x1000000, SEAL_NONE, SEG_LEN, true },
    { "segment 1 length 0xFFFFFFFC", BASE_ESP32, F_SEG_LEN, 1, OP_SET, 0xFFFFFFFC, SEAL_NONE, SEG_LEN, true },
    { "segment 3 length +4 KiB (past the end of the file)", BASE_ESP32, F_SEG_LEN, 3, OP_ADD,
      0x1000, SEAL_NONE, CHECKSUM, false },
    /* flash-mapped segments must sit at their address modulo the 64 KiB MMU page */
    { "segment 3 (IROM) address +4", BASE_ESP32, F_SEG_ADDR, 3, OP_ADD, 4, SEAL_FIXUP,
      { "seg_addr", 422, "verify_failed" }, true },
    { "segment 0 (DROM) address +0x20", BASE_ESP32, F_SEG_ADDR, 0, OP_ADD, 0x20, SEAL_FIXUP,
      { "seg_addr", 422, "verify_failed" }, true },
    { "segment 3 (IROM) address +64 KiB (same page offset)", BASE_ESP32, F_SEG_ADDR, 3, OP_ADD,
      0x10000, SEAL_FIXUP, VALID, false },
    /* appended digest */
    { "SHA-256 wrong (last byte)", BASE_ESP32, F_SHA_LAST, 0, OP_XOR, 0x01, SEAL_NONE, HASH, false },
    { "hash_appended 0, digest left as trailing bytes", BASE_ESP32, F_HASH_FLAG, 0, OP_SET, 0,
      SEAL_NONE, { "ok", 422, "policy" }, true },
    { "hash_appended 2 (any non-zero means appended)", BASE_ESP32, F_HASH_FLAG, 0, OP_SET, 2,
      SEAL_FIXUP, VALID, false },
    /* checksum */
    { "checksum +1, SHA-256 recomputed", BASE_ESP32, F_CSUM, 0, OP_ADD, 1, SEAL_SHA, CHECKSUM, false },
    { "checksum +1, SHA-256 not recomputed", BASE_ESP32, F_CSUM, 0, OP_ADD, 1, SEAL_NONE, CHECKSUM, false },
    /* app description: ESP-IDF checks it only where the MMU page size is configurable;
     * the upload policy requires it everywhere */
    { "app description magic wrong (esp32)", BASE_ESP32, F_DESC_MAGIC, 0, OP_SET, 0x12345678,
      SEAL_FIXUP, { "ok", 422, "policy" }, true },
    { "app description magic wrong (esp32c6)", BASE_ESP32C6, F_DESC_MAGIC, 0, OP_SET, 0x12345678,
      SEAL_FIXUP, { "app_desc", 422, "verify_failed" }, true },
};

static void apply(uint8_t *img, size_t len, const field_case_t *c)
{
    layout_t l;
    layout_of(img, len, &l);
    uint32_t off = 0;
    unsigned width = 1;
    switch (c->field) {
    case F_NONE: return;
    case F_MAGIC: off = 0; break;
    case F_SEGCOUNT: off = 1; break;
    case F_CHIP_ID: off = 12; width = 2; break;
    case F_MIN_REV: off = 15; width = 2; break;
    case F_MAX_REV: off = 17; width = 2; break;
    case F_HASH_FLAG: off = 23; break;
    case F_SEG_ADDR: off = l.hdr[c->seg]; width = 4; break;
    case F_SEG_LEN: off = l.hdr[c->seg] + 4; width = 4; break;
    case F_DESC_MAGIC: off = SOTA_APP_DESC_OFFSET; width = 4; break;
    case F_CSUM: off = l.csum; break;
    case F_SHA_LAST: off = l.end - 1; break;
    }
    uint32_t old = width == 1 ? img[off] : width == 2 ? (uint32_t)(img[off] | img[off + 1] << 8)
                                                      : sota_rd32(img + off);
    uint32_t v = c->op == OP_SET ? c->value : c->op == OP_ADD ? old + c->value : old ^ c->value;
    if (width == 1) {
        img[off] = (uint8_t)v;
    } else if (width == 2) {
        sota_wr16(img + off, v);
    } else {
        sota_wr32(img + off, v);
    }
    if (c->seal == SEAL_FIXUP) {
        assert_int_equal(imagegen_fixup(img, len), IMAGEGEN_OK);
    } else if (c->seal == SEAL_SHA) {
        sota_sha256_t sha;
        assert_int_equal(sota_sha256_start(&sha), 0);
        assert_int_equal(sota_sha256_update(&sha, img, l.sha), 0);
        assert_int_equal(sota_sha256_finish(&sha, img + l.sha), 0);
        sota_sha256_free(&sha);
    }
}

static void test_header_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_fields / sizeof s_fields[0]; i++) {
        const field_case_t *c = &s_fields[i];
        /* 2 KiB: the verifier at every split, the session decides on the whole file */
        size_t len;
        uint8_t *img = make_base(c->base, SMALL_SIZE, &len);
        apply(img, len, c);
        verify_every_split(c->name, img, len, c->base, &c->e);
        run_session(c->name, img, len, c->base, &c->e, true);
        free(img);
        /* 8 KiB: refused on the first bytes or after writing began, as the table says */
        img = make_base(c->base, LARGE_SIZE, &len);
        apply(img, len, c);
        verify_some_splits(c->name, img, len, c->base, &c->e);
        run_session(c->name, img, len, c->base, &c->e, c->untouched);
        free(img);
    }
}

/* The tables above are worth their rows only if a wrong expectation fails: a valid image
 * must not pass as refused, a refused one not as valid. */
static void test_tables_can_fail(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = make_base(BASE_ESP32, SMALL_SIZE, &len);
    sota_img_params_t p = params_for(BASE_ESP32);
    sota_img_t *v = malloc(sizeof *v);
    assert_int_equal(verify(img, len, &p, 13, v), SOTA_IMG_OK);
    img[len - 1] ^= 1;
    assert_int_equal(verify(img, len, &p, 13, v), SOTA_IMG_ERR_HASH);
    free(v);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_can_fail),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_header_fields),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    fprintf(stderr, "bad images tried: %u (verifier runs %u, update session runs %u)\n", s_bad_vectors,
            s_verifier_runs, s_session_runs);
    return failed;
}
