/* Unit tests of the test-image builder (host/imagegen) and, with the images it makes, of
 * the verifier's checks one by one (core/sota_image): every generated image verifies;
 * then a table of mutations, each with the check it must fail (or pass, at the limit),
 * every verdict reached identically at several feed piece sizes and from a flash reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imagegen.h"
#include "sota_image.h"
#include "sota_le.h"

#define SLOT_OFFSET 0x10000u
#define MIB         0x100000u

typedef struct {
    uint8_t *b;
    size_t len;
} img_t;

static img_t gen(const imagegen_opts_t *o)
{
    img_t im = { NULL, 0 };
    int rc = imagegen_build(o, &im.b, &im.len);
    if (rc != IMAGEGEN_OK) {
        fail_msg("imagegen_build: %s", imagegen_strerror(rc));
    }
    return im;
}

static img_t gen_chip(const char *chip, uint32_t size, uint64_t seed)
{
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.chip = sota_chip_by_name(chip);
    o.size = size;
    o.seed = seed;
    return gen(&o);
}

static void default_params(sota_img_params_t *p, const char *chip)
{
    memset(p, 0, sizeof *p);
    p->chip = sota_chip_by_name(chip);
    assert_non_null(p->chip);
    p->chip_rev = p->chip->default_rev;
    p->slot_size = MIB;
    p->slot_offset = SLOT_OFFSET;
}

/* Image offset of segment i's 8-byte header. */
static size_t seg_hdr(const img_t *im, unsigned i)
{
    size_t off = SOTA_IMG_HEADER_LEN;
    for (unsigned k = 0; k < i; k++) {
        off += SOTA_IMG_SEG_HEADER_LEN + sota_rd32(im->b + off + 4);
    }
    return off;
}

static size_t seg_end(const img_t *im)
{
    return seg_hdr(im, im->b[1]);
}

typedef struct {
    const uint8_t *b;
    size_t len;
} reader_t;

static int read_slot(void *ctx, uint32_t off, void *buf, size_t n)
{
    const reader_t *r = ctx;
    memset(buf, 0xFF, n);
    if (off < r->len) {
        memcpy(buf, r->b + off, r->len - off < n ? r->len - off : n);
    }
    return 0;
}

/* The verdict, identical at every piece size and from a flash reader. */
static sota_img_err_t verdict_of(const sota_img_params_t *p, const uint8_t *b, size_t len,
                                 sota_img_t *out)
{
    static const size_t pieces[] = { 0, 1, 5, 256, 4096 };
    sota_img_err_t first = SOTA_IMG_OK;
    static sota_img_t v;
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        size_t piece = pieces[k] ? pieces[k] : (len ? len : 1);
        if (pieces[k] == 1 && len > 300000) {
            continue;   /* byte by byte only for the smaller images */
        }
        sota_img_init(&v, p);
        for (size_t off = 0; off < len; off += piece) {
            sota_img_feed(&v, b + off, len - off < piece ? len - off : piece);
        }
        sota_img_err_t err = sota_img_finish(&v);
        if (k == 0) {
            first = err;
            if (out) {
                *out = v;
            }
        } else if (err != first) {
            fail_msg("piece %zu gives %s, whole gives %s", piece, sota_img_err_code(err),
                     sota_img_err_code(first));
        }
    }
    reader_t r = { b, len };
    sota_img_err_t err = sota_img_verify_from(&v, p, read_slot, &r);
    if (err != first) {
        fail_msg("verify_from gives %s, feeding gives %s", sota_img_err_code(err),
                 sota_img_err_code(first));
    }
    return first;
}

/* ---- generation ---- */

static void test_every_chip_and_size(void **state)
{
    (void)state;
    imagegen_opts_t o;
    imagegen_defaults(&o);
    const uint32_t sizes[] = { imagegen_min_size(&o), imagegen_min_size(&o) + 16, 4096, 65536,
                               200 * 1024 + 5, MIB - 16, 2 * MIB };
    size_t n = 0;
    const sota_chip_t *chips = sota_chip_list(&n);
    for (size_t c = 0; c < n; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (uint64_t seed = 0; seed < 2; seed++) {
                img_t im = gen_chip(chips[c].name, sizes[s], seed * 0x9E3779B97F4A7C15ull);
                assert_int_equal(im.len, (sizes[s] + 15) / 16 * 16);
                sota_img_params_t p;
                default_params(&p, chips[c].name);
                p.slot_size = 4 * MIB;
                sota_img_t v;
                sota_img_err_t err = verdict_of(&p, im.b, im.len, &v);
                if (err != SOTA_IMG_OK) {
                    fail_msg("%s size %u: %s", chips[c].name, sizes[s], sota_img_message(&v));
                }
                assert_int_equal(v.image_len, im.len);
                assert_int_equal(v.trailing, 0);
                assert_true(v.have_sha);
                /* any 64 KiB-aligned slot */
                p.slot_offset = 0x3A0000;
                sota_img_init(&v, &p);
                sota_img_feed(&v, im.b, im.len);
                assert_int_equal(sota_img_finish(&v), SOTA_IMG_OK);
                free(im.b);
            }
        }
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    img_t a = gen_chip("esp32c3", 100000, 42);
    img_t b = gen_chip("esp32c3", 100000, 42);
    img_t c = gen_chip("esp32c3", 100000, 43);
    img_t d = gen_chip("esp32", 100000, 42);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.b, b.b, a.len);
    assert_int_equal(a.len, c.len);
    assert_memory_not_equal(a.b, c.b, a.len);
    assert_memory_not_equal(a.b, d.b, a.len);
    free(a.b);
    free(b.b);
    free(c.b);
    free(d.b);
}

static void test_options(void **state)
{
    (void)state;
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.chip = sota_chip_by_name("esp32s3");
    o.project = "0123456789012345678901234567890";   /* 31: the most */
    o.version = "v9.8.7-rc1+g1234567";
    o.secure_version = 7;
    o.min_chip_rev = 1;
    o.max_chip_rev = 99;
    o.min_efuse_blk_rev = 0;
    o.max_efuse_blk_rev = 199;
    o.seed = 5;
    img_t im = gen(&o);
    sota_img_params_t p;
    default_params(&p, "esp32s3");
    sota_img_t v;
    assert_int_equal(verdict_of(&p, im.b, im.len, &v), SOTA_IMG_OK);
    assert_string_equal(v.desc.project_name, o.project);
    assert_string_equal(v.desc.version, o.version);
    assert_string_equal(v.desc.idf_ver, IMAGEGEN_IDF_VER);
    assert_int_equal(v.desc.secure_version, 7);
    assert_int_equal(v.desc.mmu_page_size, 16);
    assert_int_equal(v.desc.max_efuse_blk_rev_full, 199);
    assert_int_equal(v.hdr.chip_id, 9);
    assert_int_equal(v.hdr.min_chip_rev_full, 1);
    assert_int_equal(v.hdr.max_chip_rev_full, 99);
    assert_int_equal(v.hdr.hash_appended, 1);
    assert_int_equal(v.seg_seen, 4);
    assert_int_equal(sota_chip_region(p.chip, v.seg[0].load_addr), SOTA_REGION_DROM);
    assert_int_equal(sota_chip_region(p.chip, v.seg[1].load_addr), SOTA_REGION_DRAM);
    assert_int_equal(sota_chip_region(p.chip, v.seg[2].load_addr), SOTA_REGION_IRAM);
    assert_int_equal(sota_chip_region(p.chip, v.seg[3].load_addr), SOTA_REGION_IROM);
    assert_int_equal(v.seg[0].load_addr, p.chip->drom_low + 0x20);
    assert_int_equal(v.seg[3].load_addr % 0x10000, v.seg[3].data_offset % 0x10000);
    /* "hh:mm:ss" and "Mmm dd yyyy", as __TIME__ and __DATE__ */
    assert_int_equal(strlen(v.desc.time), 8);
    assert_int_equal(v.desc.time[2], ':');
    assert_int_equal(strlen(v.desc.date), 11);
    free(im.b);

    imagegen_defaults(&o);
    o.hash = false;
    o.size = 50000;
    im = gen(&o);
    assert_int_equal(im.len, 50000);
    default_params(&p, "esp32");
    assert_int_equal(verdict_of(&p, im.b, im.len, &v), SOTA_IMG_OK);
    assert_false(v.have_sha);
    assert_int_equal(im.b[23], 0);
    free(im.b);

    imagegen_defaults(&o);
    o.size = 0;
    im = gen(&o);
    assert_int_equal(im.len, IMAGEGEN_DEFAULT_SIZE);
    assert_int_equal(sota_rd32(im.b + SOTA_APP_DESC_OFFSET), SOTA_APP_DESC_MAGIC);
    assert_memory_equal(im.b + 0x50, "sota_test", 10);
    assert_memory_equal(im.b + 0x30, "1.0.0", 6);
    free(im.b);
}

static void test_limits(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        bool hash;
        uint32_t size;
        int rc;
        size_t len;
    } cases[] = {
        { "esp32", true, 368, IMAGEGEN_OK, 368 },          /* the smallest, segment 0 = 256 */
        { "esp32", true, 353, IMAGEGEN_OK, 368 },          /* rounded up to 16 */
        { "esp32", true, 352, IMAGEGEN_ERR_SIZE, 0 },
        { "esp32", false, 336, IMAGEGEN_OK, 336 },
        { "esp32", false, 320, IMAGEGEN_ERR_SIZE, 0 },
        { "esp32c5", true, IMAGEGEN_MAX_SIZE, IMAGEGEN_OK, IMAGEGEN_MAX_SIZE },
        { "esp32c5", true, IMAGEGEN_MAX_SIZE + 1, IMAGEGEN_ERR_SIZE, 0 },
        { "esp32", true, 4 * MIB, IMAGEGEN_OK, 4 * MIB },  /* code spills into DROM */
        { "esp32", true, IMAGEGEN_MAX_SIZE, IMAGEGEN_ERR_SIZE, 0 },  /* > IROM + DROM windows */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        imagegen_opts_t o;
        imagegen_defaults(&o);
        o.chip = sota_chip_by_name(cases[i].chip);
        o.hash = cases[i].hash;
        o.size = cases[i].size;
        uint8_t *b = (uint8_t *)&o;   /* must be reset on failure */
        size_t len = 99;
        int rc = imagegen_build(&o, &b, &len);
        if (rc != cases[i].rc) {
            fail_msg("%s size %u: rc %d, expected %d", cases[i].chip, cases[i].size, rc,
                     cases[i].rc);
        }
        assert_int_equal(len, cases[i].len);
        if (rc == IMAGEGEN_OK) {
            sota_img_params_t p;
            default_params(&p, cases[i].chip);
            p.slot_size = IMAGEGEN_MAX_SIZE;
            p.flash_size = 2 * IMAGEGEN_MAX_SIZE;
            sota_img_t v;
            sota_img_init(&v, &p);
            sota_img_feed(&v, b, len);
            assert_int_equal(sota_img_finish(&v), SOTA_IMG_OK);
            if (cases[i].size == 368) {
                assert_int_equal(v.seg[0].data_len, SOTA_APP_DESC_LEN);
            }
        } else {
            assert_null(b);
        }
        free(b);
    }
    imagegen_opts_t o;
    imagegen_defaults(&o);
    uint8_t *b = NULL;
    size_t len = 0;
    o.project = "01234567890123456789012345678901";   /* 32 */
    assert_int_equal(imagegen_build(&o, &b, &len), IMAGEGEN_ERR_ARG);
    o.project = NULL;
    o.version = "01234567890123456789012345678901";
    assert_int_equal(imagegen_build(&o, &b, &len), IMAGEGEN_ERR_ARG);
    assert_int_equal(imagegen_build(NULL, &b, &len), IMAGEGEN_ERR_ARG);
    assert_int_equal(imagegen_build(&o, NULL, &len), IMAGEGEN_ERR_ARG);
    for (int e = IMAGEGEN_ERR_LAYOUT; e <= IMAGEGEN_OK; e++) {
        assert_true(strlen(imagegen_strerror(e)) > 1);
    }
}

static void test_fixup(void **state)
{
    (void)state;
    img_t im = gen_chip("esp32", 20000, 3);
    uint8_t *copy = malloc(im.len);
    memcpy(copy, im.b, im.len);
    assert_int_equal(imagegen_fixup(copy, im.len), IMAGEGEN_OK);
    assert_memory_equal(copy, im.b, im.len);               /* a valid image is unchanged */
    copy[seg_hdr(&im, 1) + 8] ^= 0x40;                      /* change data ... */
    assert_memory_not_equal(copy, im.b, im.len);
    assert_int_equal(imagegen_fixup(copy, im.len), IMAGEGEN_OK);
    sota_img_params_t p;
    default_params(&p, "esp32");
    assert_int_equal(verdict_of(&p, copy, im.len, NULL), SOTA_IMG_OK);   /* ... and seal */
    assert_int_equal(imagegen_fixup(copy, im.len - 1), IMAGEGEN_ERR_LAYOUT);   /* no room */
    assert_int_equal(imagegen_fixup(copy, 20), IMAGEGEN_ERR_LAYOUT);
    copy[1] = 17;
    assert_int_equal(imagegen_fixup(copy, im.len), IMAGEGEN_ERR_LAYOUT);
    assert_int_equal(imagegen_fixup(NULL, 100), IMAGEGEN_ERR_ARG);
    free(copy);
    free(im.b);
}

/* ---- mutations ---- */

/* The image and the verifier's parameters, both changed by a mutation. */
typedef struct {
    img_t im;
    sota_img_params_t p;
} work_t;

typedef void (*mutate_fn)(work_t *w, uint32_t arg);

static void m_none(work_t *w, uint32_t a) { (void)w; (void)a; }
static void m_byte(work_t *w, uint32_t a) { w->im.b[a >> 8] = (uint8_t)a; }   /* offset<<8|value */
static void m_chip_id(work_t *w, uint32_t a) { sota_wr16(w->im.b + 12, a); }
static void m_min_rev(work_t *w, uint32_t a) { sota_wr16(w->im.b + 15, a); }
static void m_max_rev(work_t *w, uint32_t a) { sota_wr16(w->im.b + 17, a); }
static void m_chip_rev(work_t *w, uint32_t a) { w->p.chip_rev = (uint16_t)a; }
static void m_slot_size(work_t *w, uint32_t a) { w->p.slot_size = a; }
static void m_slot_offset(work_t *w, uint32_t a) { w->p.slot_offset = a; }
static void m_efuse(work_t *w, uint32_t a) { w->p.efuse_blk_rev = (uint16_t)a; }
static void m_seg_count(work_t *w, uint32_t a) { w->im.b[1] = (uint8_t)a; }
static void m_truncate(work_t *w, uint32_t a) { w->im.len = a; }

/* flash_size = slot offset + image length + a (signed) */
static void m_flash_end(work_t *w, uint32_t a)
{
    w->p.flash_size = (uint32_t)(SLOT_OFFSET + w->im.len + (int32_t)a);
}

static void m_seg_len(work_t *w, uint32_t a)   /* segment a>>28, length a & 0x0FFFFFFF */
{
    sota_wr32(w->im.b + seg_hdr(&w->im, a >> 28) + 4, a & 0x0FFFFFFF);
}

static void m_seg_len_raw(work_t *w, uint32_t a)   /* segment 1, any 32-bit length */
{
    sota_wr32(w->im.b + seg_hdr(&w->im, 1) + 4, a);
}

static void m_seg_load_add(work_t *w, uint32_t a)   /* segment a>>28, load += a & 0x0FFFFFFF */
{
    uint8_t *h = w->im.b + seg_hdr(&w->im, a >> 28);
    sota_wr32(h, sota_rd32(h) + (a & 0x0FFFFFFF));
}

static void m_desc_byte(work_t *w, uint32_t a)   /* app description offset<<8|value */
{
    w->im.b[SOTA_APP_DESC_OFFSET + (a >> 8)] = (uint8_t)a;
}

/* mmu_page_size = a & 0xFF, IROM (segment 3) load address += a >> 8 */
static void m_mmu_page(work_t *w, uint32_t a)
{
    w->im.b[SOTA_APP_DESC_OFFSET + 0xB4] = (uint8_t)a;
    m_seg_load_add(w, (3u << 28) | (a >> 8));
}

static void m_efuse_desc(work_t *w, uint32_t a)   /* desc min (a>>16), max (a&0xFFFF) */
{
    sota_wr16(w->im.b + SOTA_APP_DESC_OFFSET + 0xB0, a >> 16);
    sota_wr16(w->im.b + SOTA_APP_DESC_OFFSET + 0xB2, a & 0xFFFF);
}

static void m_flip_data(work_t *w, uint32_t a)   /* XOR a byte of segment 3's data */
{
    (void)a;
    w->im.b[seg_hdr(&w->im, 3) + 100] ^= 0x5A;
}

static void m_flip_pair(work_t *w, uint32_t a)   /* two flips that keep the checksum */
{
    (void)a;
    size_t off = seg_hdr(&w->im, 3) + 100;
    w->im.b[off] ^= 0x5A;
    w->im.b[off + 1] ^= 0x5A;
}

static void m_flip_checksum(work_t *w, uint32_t a)
{
    (void)a;
    size_t end = seg_end(&w->im);
    w->im.b[((end + 1 + 15) & ~(size_t)15) - 1] ^= 1;
}

static void m_flip_digest(work_t *w, uint32_t a)
{
    w->im.b[w->im.len - 1 - a] ^= 0x80;
}

/* Truncate at a place named by a: 0 header, 1 segment i's header, 2 its data, 3 the middle
 * of its data (i = a >> 4), 4 the checksum block, 5 the digest, 6 inside the digest.
 * What is cut reads as erased flash: a segment header of FF is an invalid length, so a
 * cut before the last segment's header ends in seg_len, a later one in the checksum. */
static void m_cut_at(work_t *w, uint32_t a)
{
    unsigned i = a >> 4;
    size_t end = seg_end(&w->im);
    size_t ck = (end + 1 + 15) & ~(size_t)15;
    switch (a & 15) {
    case 0: w->im.len = 12; break;
    case 1: w->im.len = seg_hdr(&w->im, i); break;
    case 2: w->im.len = seg_hdr(&w->im, i) + 8; break;
    case 3: w->im.len = seg_hdr(&w->im, i) + 8 + sota_rd32(w->im.b + seg_hdr(&w->im, i) + 4) / 2; break;
    case 4: w->im.len = end; break;
    case 5: w->im.len = ck; break;
    default: w->im.len = ck + 16; break;
    }
}

static void m_trailing(work_t *w, uint32_t a)
{
    uint8_t *b = realloc(w->im.b, w->im.len + a);
    assert_non_null(b);
    memset(b + w->im.len, 0x3C, a);
    w->im.b = b;
    w->im.len += a;
}

/* Append a empty segments (load 0, length 0) after the last one; fixup seals it. */
static void m_extra_segments(work_t *w, uint32_t a)
{
    size_t end = seg_end(&w->im);
    size_t new_end = end + 8 * a;
    size_t new_len = ((new_end + 1 + 15) & ~(size_t)15) + SOTA_SHA256_LEN;
    uint8_t *b = realloc(w->im.b, new_len > w->im.len ? new_len : w->im.len);
    assert_non_null(b);
    memset(b + end, 0, 8 * a);
    b[1] = (uint8_t)(b[1] + a);
    w->im.b = b;
    w->im.len = new_len;
}

typedef struct {
    const char *name;
    const char *chip;
    mutate_fn mut;
    uint32_t arg;
    bool fix;                 /* recompute checksum and hash afterwards */
    sota_img_err_t want;
    mutate_fn mut2;           /* optional second change */
    uint32_t arg2;
} mcase_t;

#define SEG(i, v) (((uint32_t)(i) << 28) | (uint32_t)(v))
#define AT(off, v) (((uint32_t)(off) << 8) | (uint32_t)(v))

static const mcase_t s_mut[] = {
    { "untouched", "esp32", m_none, 0, false, SOTA_IMG_OK, NULL, 0 },
    { "untouched c6", "esp32c6", m_none, 0, false, SOTA_IMG_OK, NULL, 0 },
    /* header */
    { "magic E8", "esp32", m_byte, AT(0, 0xE8), true, SOTA_IMG_ERR_MAGIC, NULL, 0 },
    { "magic 00", "esp32", m_byte, AT(0, 0x00), true, SOTA_IMG_ERR_MAGIC, NULL, 0 },
    { "chip id c3 on esp32", "esp32", m_chip_id, 5, true, SOTA_IMG_ERR_CHIP_ID, NULL, 0 },
    { "chip id unknown", "esp32", m_chip_id, 0xFFFF, true, SOTA_IMG_ERR_CHIP_ID, NULL, 0 },
    { "min rev = chip", "esp32", m_min_rev, 300, true, SOTA_IMG_OK, NULL, 0 },
    { "min rev = chip + 0.1", "esp32", m_min_rev, 301, true, SOTA_IMG_ERR_CHIP_REV_MIN, NULL, 0 },
    { "min rev 0xFFFF", "esp32", m_min_rev, 0xFFFF, true, SOTA_IMG_ERR_CHIP_REV_MIN, NULL, 0 },
    { "max rev = chip", "esp32", m_max_rev, 300, true, SOTA_IMG_OK, NULL, 0 },
    { "max rev = chip - 0.1", "esp32", m_max_rev, 299, true, SOTA_IMG_ERR_CHIP_REV_MAX, NULL, 0 },
    { "max rev 0xFFFF: none", "esp32", m_max_rev, 0xFFFF, true, SOTA_IMG_OK, NULL, 0 },
    { "max rev below, chip rev 2.99", "esp32", m_max_rev, 299, true, SOTA_IMG_OK, m_chip_rev, 299 },
    { "max rev below, bootloader slot", "esp32c3", m_max_rev, 3, true, SOTA_IMG_OK,
      m_slot_offset, 0 },
    { "max rev below, app slot", "esp32c3", m_max_rev, 3, true, SOTA_IMG_ERR_CHIP_REV_MAX,
      m_slot_offset, 0x10000 },
    { "max rev below, esp32 bootloader slot: seg addr", "esp32", m_max_rev, 299, true,
      SOTA_IMG_ERR_SEG_ADDR, m_slot_offset, 0x1000 },
    { "segments 16", "esp32", m_extra_segments, 12, true, SOTA_IMG_OK, NULL, 0 },
    { "segments 17", "esp32", m_extra_segments, 13, false, SOTA_IMG_ERR_SEG_COUNT, NULL, 0 },
    { "segments 0, sealed", "esp32", m_seg_count, 0, true, SOTA_IMG_OK, NULL, 0 },
    { "segments 0, raw", "esp32", m_seg_count, 0, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "segments 255", "esp32", m_seg_count, 255, false, SOTA_IMG_ERR_SEG_COUNT, NULL, 0 },
    /* segment headers */
    { "seg len not x4", "esp32", m_seg_len, SEG(1, 0x101), false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "seg len 16M", "esp32", m_seg_len, SEG(1, 0x1000000), false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "seg len 16M-4: past flash", "esp32", m_seg_len, SEG(1, 0xFFFFFC), false,
      SOTA_IMG_ERR_READ, NULL, 0 },
    { "seg len 16M on s3: past flash", "esp32s3", m_seg_len, SEG(1, 0x1000000), false,
      SOTA_IMG_ERR_READ, NULL, 0 },
    { "seg len 0xFFFFFFFC on s3", "esp32s3", m_seg_len_raw, 0xFFFFFFFC, false,
      SOTA_IMG_ERR_READ, NULL, 0 },
    { "seg len 0xFFFFFFFF on s3", "esp32s3", m_seg_len_raw, 0xFFFFFFFF, false,
      SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "seg0 252", "esp32", m_seg_len, SEG(0, 252), false, SOTA_IMG_ERR_SEG0_SHORT, NULL, 0 },
    { "seg0 0", "esp32c6", m_seg_len, SEG(0, 0), false, SOTA_IMG_ERR_SEG0_SHORT, NULL, 0 },
    { "seg0 252, bootloader slot", "esp32c3", m_seg_len, SEG(0, 252), false,
      SOTA_IMG_ERR_SEG_LEN, m_slot_offset, 0 },
    /* app description */
    { "desc magic, c6", "esp32c6", m_desc_byte, AT(0, 0x33), true, SOTA_IMG_ERR_APP_DESC, NULL, 0 },
    { "desc magic, c2", "esp32c2", m_desc_byte, AT(3, 0x00), true, SOTA_IMG_ERR_APP_DESC, NULL, 0 },
    { "desc magic, h2", "esp32h2", m_desc_byte, AT(1, 0x00), true, SOTA_IMG_ERR_APP_DESC, NULL, 0 },
    { "desc magic, esp32: accepted", "esp32", m_desc_byte, AT(0, 0x33), true, SOTA_IMG_OK, NULL, 0 },
    { "desc magic, c3: accepted", "esp32c3", m_desc_byte, AT(0, 0x33), true, SOTA_IMG_OK, NULL, 0 },
    { "desc magic, c6 bootloader slot", "esp32c6", m_desc_byte, AT(0, 0x33), true, SOTA_IMG_OK,
      m_slot_offset, 0 },
    /* mapping */
    { "IROM load +4", "esp32", m_seg_load_add, SEG(3, 4), true, SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "IROM load +64K", "esp32", m_seg_load_add, SEG(3, 0x10000), true, SOTA_IMG_OK, NULL, 0 },
    { "DROM load +4", "esp32s3", m_seg_load_add, SEG(0, 4), true, SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "DRAM load +4: not mapped", "esp32", m_seg_load_add, SEG(1, 4), true, SOTA_IMG_OK, NULL, 0 },
    { "slot at 0x18000", "esp32", m_slot_offset, 0x18000, false, SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "slot at 0x20000", "esp32", m_slot_offset, 0x20000, false, SOTA_IMG_OK, NULL, 0 },
    { "c6 page 8K, IROM +8K", "esp32c6", m_mmu_page, (0x2000u << 8) | 13, true, SOTA_IMG_OK, NULL, 0 },
    { "c6 page 8K, IROM +4K", "esp32c6", m_mmu_page, (0x1000u << 8) | 13, true,
      SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "c6 page 64K, IROM +8K", "esp32c6", m_mmu_page, (0x2000u << 8) | 16, true,
      SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "c6 page log2 12: default 64K", "esp32c6", m_mmu_page, (0x2000u << 8) | 12, true,
      SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "c6 page log2 19: 512K, IROM +8K", "esp32c6", m_mmu_page, (0x2000u << 8) | 19, true,
      SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    /* log2 19 is 512 KiB for ESP-IDF's check too: a slot at 0x40000 puts segment 0 off */
    { "c6 page 512K, slot 0x40000, IROM +128K", "esp32c6", m_mmu_page, (0x20000u << 8) | 19, true,
      SOTA_IMG_ERR_SEG_ADDR, m_slot_offset, 0x40000 },
    /* a 256 KiB page (log2 18, the largest ESP-IDF allows): flash-mapped segments must
     * match modulo 256 KiB, so the 64 KiB-aligned slot at 0x10000 puts segment 0 off */
    { "c6 page 256K, slot 0x10000", "esp32c6", m_mmu_page, 18, true, SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    { "c6 page 256K, slot 0x40000, IROM +128K", "esp32c6", m_mmu_page, (0x20000u << 8) | 18, true,
      SOTA_IMG_OK, m_slot_offset, 0x40000 },
    { "c6 page 256K, slot 0x40000, IROM +64K", "esp32c6", m_mmu_page, (0x10000u << 8) | 18, true,
      SOTA_IMG_ERR_SEG_ADDR, m_slot_offset, 0x40000 },
    { "c6 page 64K, slot 0x40000, IROM +128K", "esp32c6", m_mmu_page, (0x20000u << 8) | 16, true,
      SOTA_IMG_OK, m_slot_offset, 0x40000 },
    { "esp32 page 8K ignored", "esp32", m_mmu_page, (0x2000u << 8) | 13, true,
      SOTA_IMG_ERR_SEG_ADDR, NULL, 0 },
    /* eFuse block revision */
    { "efuse min 0.1, chip 0.0", "esp32c3", m_efuse_desc, (1u << 16) | 0, true,
      SOTA_IMG_ERR_EFUSE_REV, NULL, 0 },
    { "efuse min 0.1, chip 0.1", "esp32c3", m_efuse_desc, (1u << 16) | 0, true, SOTA_IMG_OK,
      m_efuse, 1 },
    { "efuse max 0.1, chip 0.2", "esp32c3", m_efuse_desc, 1, true, SOTA_IMG_ERR_EFUSE_REV,
      m_efuse, 2 },
    { "efuse max 0.1, chip 0.1", "esp32c3", m_efuse_desc, 1, true, SOTA_IMG_OK, m_efuse, 1 },
    { "efuse max 0xFFFF: none", "esp32c3", m_efuse_desc, 0xFFFF, true, SOTA_IMG_OK, m_efuse, 5 },
    { "efuse min on esp32: not checked", "esp32", m_efuse_desc, (5u << 16) | 0, true,
      SOTA_IMG_OK, NULL, 0 },
    /* flash end */
    { "flash ends at the image end", "esp32", m_flash_end, 0, false, SOTA_IMG_OK, NULL, 0 },
    { "flash ends 1 byte short", "esp32", m_flash_end, (uint32_t)-1, false, SOTA_IMG_ERR_READ,
      NULL, 0 },
    { "flash ends inside IROM", "esp32", m_flash_end, (uint32_t)-1000, false, SOTA_IMG_ERR_READ,
      NULL, 0 },
    /* checksum, size, hash */
    { "data byte flipped", "esp32", m_flip_data, 0, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "checksum byte flipped", "esp32", m_flip_checksum, 0, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "slot = image", "esp32", m_slot_size, 0, false, SOTA_IMG_OK, NULL, 0 },
    { "slot = image - 1", "esp32", m_slot_size, 1, false, SOTA_IMG_ERR_TOO_BIG, NULL, 0 },
    { "slot 16M", "esp32", m_slot_size, 0x1000000, false, SOTA_IMG_OK, NULL, 0 },
    { "slot 16M + 1", "esp32", m_slot_size, 0x1000001, false, SOTA_IMG_ERR_PART_SIZE, NULL, 0 },
    { "slot 16M + 1 on s3", "esp32s3", m_slot_size, 0x1000001, false, SOTA_IMG_OK, NULL, 0 },
    { "digest last byte flipped", "esp32", m_flip_digest, 0, false, SOTA_IMG_ERR_HASH, NULL, 0 },
    { "digest first byte flipped", "esp32", m_flip_digest, 31, false, SOTA_IMG_ERR_HASH, NULL, 0 },
    { "checksum kept, data changed", "esp32", m_flip_pair, 0, false, SOTA_IMG_ERR_HASH, NULL, 0 },
    { "digest flipped, bootloader slot", "esp32c3", m_flip_digest, 0, false, SOTA_IMG_OK,
      m_slot_offset, 0 },
    { "trailing bytes", "esp32", m_trailing, 1000, false, SOTA_IMG_OK, NULL, 0 },
    /* truncation at every boundary */
    { "cut: empty", "esp32", m_truncate, 0, false, SOTA_IMG_ERR_MAGIC, NULL, 0 },
    { "cut: in the header", "esp32", m_cut_at, 0, false, SOTA_IMG_ERR_CHIP_ID, NULL, 0 },
    { "cut: seg 0 header", "esp32", m_cut_at, 0x01, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 0 data", "esp32", m_cut_at, 0x02, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 0 data, c6", "esp32c6", m_cut_at, 0x02, false, SOTA_IMG_ERR_APP_DESC, NULL, 0 },
    { "cut: seg 0 middle", "esp32", m_cut_at, 0x03, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 1 header", "esp32", m_cut_at, 0x11, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 1 data", "esp32", m_cut_at, 0x12, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 2 header", "esp32", m_cut_at, 0x21, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 2 middle", "esp32", m_cut_at, 0x23, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 3 header", "esp32", m_cut_at, 0x31, false, SOTA_IMG_ERR_SEG_LEN, NULL, 0 },
    { "cut: seg 3 data", "esp32", m_cut_at, 0x32, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "cut: seg 3 middle", "esp32", m_cut_at, 0x33, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "cut: checksum block", "esp32", m_cut_at, 0x04, false, SOTA_IMG_ERR_CHECKSUM, NULL, 0 },
    { "cut: digest", "esp32", m_cut_at, 0x05, false, SOTA_IMG_ERR_HASH, NULL, 0 },
    { "cut: inside digest", "esp32", m_cut_at, 0x06, false, SOTA_IMG_ERR_HASH, NULL, 0 },
};

static void test_mutations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_mut / sizeof s_mut[0]; i++) {
        const mcase_t *c = &s_mut[i];
        work_t w;
        w.im = gen_chip(c->chip, 70000, 11);
        default_params(&w.p, c->chip);
        c->mut(&w, c->arg);
        if (c->mut2) {
            c->mut2(&w, c->arg2);
        }
        if (c->mut == m_slot_size && c->arg < 2) {
            w.p.slot_size = (uint32_t)w.im.len - c->arg;   /* relative to the image */
        }
        if (c->fix && imagegen_fixup(w.im.b, w.im.len) != IMAGEGEN_OK) {
            fail_msg("%s: imagegen_fixup failed", c->name);
        }
        sota_img_t v;
        sota_img_err_t err = verdict_of(&w.p, w.im.b, w.im.len, &v);
        if (err != c->want) {
            fail_msg("%s: got %s ('%s'), expected %s", c->name, sota_img_err_code(err),
                     sota_img_message(&v), sota_img_err_code(c->want));
        }
        const char *msg = sota_img_message(&v);
        assert_true(strlen(msg) > 10 && strlen(msg) < sizeof v.msg - 1);
        if (c->mut == m_trailing) {
            assert_int_equal(v.trailing, c->arg);
        }
        free(w.im.b);
    }
}

/* What the messages say: the facts of the failure and what to do. */
static void test_messages(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        mutate_fn mut;
        uint32_t arg;
        const char *says[3];
    } cases[] = {
        { "esp32", m_chip_id, 5, { "wrong chip: this image is for esp32c3 (chip id 5), this "
                                   "device is an esp32 (chip id 0): build it with idf.py "
                                   "set-target esp32", NULL, NULL } },
        { "esp32", m_min_rev, 301, { "v3.1", "v3.0", "revision" } },
        { "esp32", m_max_rev, 201, { "v2.1", "v3.0", "revision" } },
        { "esp32", m_seg_len, SEG(1, 0x101), { "invalid segment length 0x101", "segment 1", NULL } },
        { "esp32c6", m_desc_byte, AT(0, 0x33), { "app description", "esp32c6", NULL } },
        { "esp32", m_seg_load_add, SEG(3, 4), { "segment 3", "doesn't match", NULL } },
        { "esp32", m_flip_checksum, 0, { "checksum failed: calculated 0x", "image says 0x",
                                         "build or download it again" } },
        { "esp32", m_flip_digest, 0, { "SHA-256", "corrupt", NULL } },
        { "esp32", m_cut_at, 0x33, { "checksum failed", "the file ends at byte", NULL } },
        { "esp32", m_truncate, 0, { "empty", NULL, NULL } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        work_t w;
        w.im = gen_chip(cases[i].chip, 70000, 11);
        default_params(&w.p, cases[i].chip);
        cases[i].mut(&w, cases[i].arg);
        sota_img_t v;
        assert_int_not_equal(verdict_of(&w.p, w.im.b, w.im.len, &v), SOTA_IMG_OK);
        for (int k = 0; k < 3 && cases[i].says[k]; k++) {
            if (!strstr(sota_img_message(&v), cases[i].says[k])) {
                fail_msg("message '%s' lacks '%s'", sota_img_message(&v), cases[i].says[k]);
            }
        }
        free(w.im.b);
    }
    /* valid: a summary */
    img_t im = gen_chip("esp32", 70000, 11);
    sota_img_params_t p;
    default_params(&p, "esp32");
    sota_img_t v;
    assert_int_equal(verdict_of(&p, im.b, im.len, &v), SOTA_IMG_OK);
    assert_string_equal(sota_img_message(&v), "valid: sota_test 1.0.0 for esp32, 70000 bytes, "
                                              "SHA-256 ok");
    free(im.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chip_and_size),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_fixup),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
