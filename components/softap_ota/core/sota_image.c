/* Streaming verifier of ESP-IDF app images: the checks of esp_image_verify(ESP_IMAGE_VERIFY)
 * (components/bootloader_support/src/esp_image_format.c, ESP-IDF master) in the same
 * order, on bytes that arrive in pieces. ESP-FORMATS.md 3.1 lists the order.
 *
 * The image is parsed by a small state machine. States that need a fixed number of bytes
 * (header, segment header, app description, checksum block, digest) collect them in
 * v->buf; segment data is streamed through the checksum and the hash without a copy. */
#include "sota_image.h"
#include "sota_le.h"
#include "sota_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SIXTEEN_MB          0x1000000u
#define DEFAULT_FLASH_SIZE  SIXTEEN_MB
#define CHECKSUM_INITIAL    0xEF
#define MMU_PAGE_DEFAULT    0x10000u   /* SPI_FLASH_MMU_PAGE_SIZE with >= 2 MB flash */
#define MMU_PAGE_LOG2_MIN   13         /* MMU_PAGE_SIZE_MIN: 8 KiB */

/* Offsets inside esp_app_desc_t. */
#define DESC_SECURE_VERSION 0x04
#define DESC_VERSION        0x10
#define DESC_PROJECT        0x30
#define DESC_TIME           0x50
#define DESC_DATE           0x60
#define DESC_IDF_VER        0x70
#define DESC_ELF_SHA        0x90
#define DESC_MIN_EFUSE      0xB0
#define DESC_MAX_EFUSE      0xB2
#define DESC_MMU_PAGE       0xB4

enum {
    ST_HEADER,   /* collecting the 24-byte image header */
    ST_SEGHDR,   /* collecting an 8-byte segment header */
    ST_DESC,     /* collecting the first 256 bytes of segment 0 (esp_app_desc_t) */
    ST_SEGDATA,  /* streaming segment data */
    ST_CKSUM,    /* collecting the padding block that ends with the checksum byte */
    ST_DIGEST,   /* collecting the appended SHA-256 */
    ST_DONE,     /* image complete and valid; later bytes are trailing */
    ST_FAILED,
};

static uint32_t size_limit(const sota_chip_t *chip)
{
    return chip->flash_32bit_limit ? UINT32_MAX : SIXTEEN_MB;
}

static uint64_t flash_end(const sota_img_t *v)
{
    return v->p.flash_size ? v->p.flash_size : DEFAULT_FLASH_SIZE;
}

/* A revision field is "set" unless 0 or 0xFFFF (bootloader_common_loader.c IS_FIELD_SET). */
static bool rev_set(uint16_t rev)
{
    return rev != 0 && rev != 0xFFFF;
}

static void release_sha(sota_img_t *v)
{
    if (v->sha_active) {
        sota_sha256_free(&v->sha);
        v->sha_active = false;
    }
}

static void hash(sota_img_t *v, const uint8_t *p, size_t n)
{
    if (v->sha_active) {
        (void)sota_sha256_update(&v->sha, p, n);
    }
}

static void checksum(sota_img_t *v, const uint8_t *p, size_t n)
{
    uint32_t x = v->xor_word;
    for (size_t i = 0; i < n; i++) {
        x ^= p[i];
    }
    v->xor_word = x;
}

/* Records the first failure with its message; always returns err. */
static sota_img_err_t fail(sota_img_t *v, sota_img_err_t err, const char *fmt, ...)
{
    if (v->err != SOTA_IMG_OK) {
        return v->err;
    }
    v->err = err;
    v->st = ST_FAILED;
    release_sha(v);
    va_list ap;
    va_start(ap, fmt);
    sota_text_vput(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    if (v->filling && v->fed > 0) {
        /* The check read bytes the file does not have (erased flash): say so. */
        sota_text_add(v->msg, sizeof v->msg, " (the file ends at byte %" PRIu64 ")", v->fed);
    }
    return err;
}

static sota_img_err_t fail_read(sota_img_t *v, uint64_t abs_addr)
{
    return fail(v, SOTA_IMG_ERR_READ,
                "image runs past the end of the flash: it needs flash at 0x%" PRIx64
                " but the chip has 0x%" PRIx64 " bytes: the image is corrupt or too big",
                abs_addr, flash_end(v));
}

static void expect(sota_img_t *v, int st, uint32_t len)
{
    v->st = st;
    v->st_left = len;
    v->st_pos = 0;
}

/* ---- checks, in esp_image_verify's order ---- */

static sota_img_err_t check_header(sota_img_t *v)
{
    const sota_chip_t *chip = v->p.chip;
    const sota_img_header_t *h = &v->hdr;
    if (h->magic != SOTA_IMG_MAGIC) {
        if (v->filling && v->fed == 0) {
            return fail(v, SOTA_IMG_ERR_MAGIC,
                        "not an app image: the file is empty: choose the app .bin from build/");
        }
        return fail(v, SOTA_IMG_ERR_MAGIC,
                    "not an app image: the first byte is 0x%02x, an ESP app image starts with "
                    "0xE9 (invalid magic byte): upload the app .bin from build/", h->magic);
    }
    if (h->chip_id != chip->chip_id) {
        const sota_chip_t *other = sota_chip_by_id(h->chip_id);
        return fail(v, SOTA_IMG_ERR_CHIP_ID,
                    "wrong chip: this image is for %s (chip id %u), this device is an %s "
                    "(chip id %u): build it with idf.py set-target %s",
                    other ? other->name : "an unknown chip", (unsigned)h->chip_id, chip->name,
                    (unsigned)chip->chip_id, chip->name);
    }
    unsigned rev = v->p.chip_rev;
    if (h->min_chip_rev_full > rev) {
        return fail(v, SOTA_IMG_ERR_CHIP_REV_MIN,
                    "chip revision too old: the image requires %s >= v%u.%u, this chip is "
                    "v%u.%u: build it with a lower minimum chip revision (menuconfig)",
                    chip->name, h->min_chip_rev_full / 100u, h->min_chip_rev_full % 100u,
                    rev / 100u, rev % 100u);
    }
    if (!v->is_boot && rev_set(h->max_chip_rev_full) && rev > h->max_chip_rev_full) {
        return fail(v, SOTA_IMG_ERR_CHIP_REV_MAX,
                    "chip revision too new: the image supports %s up to v%u.%u, this chip is "
                    "v%u.%u: build it with an ESP-IDF version that supports this revision",
                    chip->name, h->max_chip_rev_full / 100u, h->max_chip_rev_full % 100u,
                    rev / 100u, rev % 100u);
    }
    if (h->segment_count > SOTA_IMG_MAX_SEGMENTS) {
        return fail(v, SOTA_IMG_ERR_SEG_COUNT,
                    "too many segments: the header says %u, at most %u are allowed: the file is "
                    "corrupt or not an app image, build or download it again",
                    (unsigned)h->segment_count, (unsigned)SOTA_IMG_MAX_SEGMENTS);
    }
    return SOTA_IMG_OK;
}

/* Flash-mapped segments must sit at their load address modulo the MMU page. */
static sota_img_err_t check_seg_addr(sota_img_t *v, const sota_img_seg_t *s)
{
    uint32_t page = v->mmu_page;
    uint32_t flash_addr = (uint32_t)(v->p.slot_offset + s->data_offset);
    if (sota_chip_is_mapped(v->p.chip, s->load_addr) && flash_addr % page != s->load_addr % page) {
        return fail(v, SOTA_IMG_ERR_SEG_ADDR,
                    "segment %u is misplaced: load address 0x%08" PRIx32 " doesn't match its "
                    "data at flash 0x%08" PRIx32 " (modulo 0x%" PRIx32 "): rebuild the image "
                    "with idf.py build", (unsigned)v->seg_idx, s->load_addr, flash_addr, page);
    }
    return SOTA_IMG_OK;
}

/* The whole segment is mapped at once: past the chip end, the map fails. */
static sota_img_err_t check_seg_readable(sota_img_t *v, const sota_img_seg_t *s)
{
    uint64_t end = (uint64_t)v->p.slot_offset + s->data_offset + s->data_len;
    if (end > flash_end(v)) {
        return fail_read(v, flash_end(v));
    }
    return SOTA_IMG_OK;
}

static sota_img_err_t check_efuse_rev(sota_img_t *v)
{
    const sota_app_desc_t *d = &v->desc;
    unsigned rev = v->p.efuse_blk_rev;
    if (rev_set(d->min_efuse_blk_rev_full) && rev < d->min_efuse_blk_rev_full) {
        return fail(v, SOTA_IMG_ERR_EFUSE_REV,
                    "eFuse block revision too old: the image requires >= v%u.%u, this chip is "
                    "v%u.%u: build it for this chip's eFuse block revision",
                    d->min_efuse_blk_rev_full / 100u, d->min_efuse_blk_rev_full % 100u,
                    rev / 100u, rev % 100u);
    }
    if (rev_set(d->max_efuse_blk_rev_full) && rev > d->max_efuse_blk_rev_full) {
        return fail(v, SOTA_IMG_ERR_EFUSE_REV,
                    "eFuse block revision too new: the image supports up to v%u.%u, this chip "
                    "is v%u.%u: build it with an ESP-IDF version that supports this chip",
                    d->max_efuse_blk_rev_full / 100u, d->max_efuse_blk_rev_full % 100u,
                    rev / 100u, rev % 100u);
    }
    return SOTA_IMG_OK;
}

/* ---- state transitions ---- */

static void start_checksum(sota_img_t *v)
{
    uint32_t end = (uint32_t)v->pos;
    v->image_len = end;
    uint32_t padded = (end + 1u + 15u) & ~15u;
    expect(v, ST_CKSUM, padded - end);
}

static void next_segment(sota_img_t *v)
{
    v->seg_idx++;
    if (v->seg_idx < v->hdr.segment_count) {
        expect(v, ST_SEGHDR, SOTA_IMG_SEG_HEADER_LEN);
    } else {
        start_checksum(v);
    }
}

static void start_seg_data(sota_img_t *v, uint32_t len)
{
    if (len == 0) {
        next_segment(v);
    } else {
        expect(v, ST_SEGDATA, len);
    }
}

static void compose_valid(sota_img_t *v);

static void image_complete(sota_img_t *v)
{
    if (v->image_len > v->p.slot_size) {
        fail(v, SOTA_IMG_ERR_TOO_BIG,
             "image too big: it is %" PRIu32 " bytes, the app partition has %" PRIu32
             " (doesn't fit in partition): use a bigger partition or a smaller app",
             v->image_len, v->p.slot_size);
        return;
    }
    if (v->sha_active) {
        (void)sota_sha256_finish(&v->sha, v->sha_calc);
        v->sha_active = false;
        v->have_sha = true;
        if (memcmp(v->sha_calc, v->sha_read, SOTA_SHA256_LEN) != 0) {
            fail(v, SOTA_IMG_ERR_HASH,
                 "SHA-256 mismatch: the hash appended to the image doesn't match its contents "
                 "(image hash failed): the file is corrupt or truncated, build or download it "
                 "again");
            return;
        }
    }
    v->complete = true;
    v->st = ST_DONE;
    compose_valid(v);
}

static void on_header(sota_img_t *v)
{
    const uint8_t *b = v->buf;
    sota_img_header_t *h = &v->hdr;
    h->magic = b[0];
    h->segment_count = b[1];
    h->spi_mode = b[2];
    h->spi_speed = b[3] & 0x0F;
    h->spi_size = b[3] >> 4;
    h->entry_addr = sota_rd32(b + 4);
    h->wp_pin = b[8];
    h->chip_id = sota_rd16(b + 12);
    h->min_chip_rev = b[14];
    h->min_chip_rev_full = sota_rd16(b + 15);
    h->max_chip_rev_full = sota_rd16(b + 17);
    h->hash_appended = b[23];
    v->have_header = true;

    if (h->hash_appended && !v->is_boot) {
        if (sota_sha256_start(&v->sha) != 0) {
            fail(v, SOTA_IMG_ERR_ARG, "internal error: SHA-256 could not be started");
            return;
        }
        v->sha_active = true;
        hash(v, b, SOTA_IMG_HEADER_LEN);
    }
    if (check_header(v) != SOTA_IMG_OK) {
        return;
    }
    v->image_len = SOTA_IMG_HEADER_LEN;
    v->seg_idx = 0;
    if (h->segment_count == 0) {
        start_checksum(v);   /* ESP-IDF accepts 0 segments */
    } else {
        expect(v, ST_SEGHDR, SOTA_IMG_SEG_HEADER_LEN);
    }
}

/* Segment 0 of an app carries esp_app_desc_t; configurable-MMU chips read it first. */
static bool defers_to_desc(const sota_img_t *v)
{
    return v->seg_idx == 0 && !v->is_boot && v->p.chip->mmu_page_configurable;
}

static void on_seg_header(sota_img_t *v)
{
    hash(v, v->buf, SOTA_IMG_SEG_HEADER_LEN);
    sota_img_seg_t *s = &v->seg[v->seg_idx];
    s->load_addr = sota_rd32(v->buf);
    s->data_len = sota_rd32(v->buf + 4);
    s->data_offset = (uint32_t)v->pos;
    v->seg_seen = (uint8_t)(v->seg_idx + 1);

    if (s->data_len % 4 != 0 || s->data_len >= size_limit(v->p.chip)) {
        fail(v, SOTA_IMG_ERR_SEG_LEN,
             "invalid segment length 0x%" PRIx32 " (segment %u at 0x%" PRIx32 "): the file is "
             "corrupt or truncated, build or download it again", s->data_len,
             (unsigned)v->seg_idx, s->data_offset - SOTA_IMG_SEG_HEADER_LEN);
        return;
    }
    if (v->seg_idx == 0 && !v->is_boot && s->data_len < SOTA_APP_DESC_LEN) {
        fail(v, SOTA_IMG_ERR_SEG0_SHORT,
             "segment 0 is too short for the app description: length 0x%" PRIx32 ", needs "
             "0x%x: this is not an ESP-IDF app, build it with ESP-IDF", s->data_len,
             SOTA_APP_DESC_LEN);
        return;
    }
    if (!defers_to_desc(v)) {
        if (check_seg_addr(v, s) || check_seg_readable(v, s)) {
            return;
        }
    }
    if (v->seg_idx == 0 && s->data_len >= SOTA_APP_DESC_LEN) {
        expect(v, ST_DESC, SOTA_APP_DESC_LEN);
    } else {
        start_seg_data(v, s->data_len);
    }
}

static void on_desc(sota_img_t *v)
{
    const sota_img_seg_t *s = &v->seg[0];
    bool magic_ok = sota_img_desc_decode(v->buf, &v->desc);
    v->have_desc = true;
    if (defers_to_desc(v)) {
        if (!magic_ok) {
            fail(v, SOTA_IMG_ERR_APP_DESC,
                 "no app description: segment 0 starts with 0x%08" PRIx32 ", not 0xABCD5432, "
                 "and %s needs it (failed to fetch app description header): build it with "
                 "ESP-IDF", v->desc.magic_word, v->p.chip->name);
            return;
        }
        /* The app's MMU page size (log2) holds for every segment after this one too.
         * ESP-IDF (>= 5.4) takes 1 << log2 for any non-zero value: above the largest
         * page (log2 19..31) so does this check (alignment stricter than 256 KiB);
         * below the smallest (log2 1..12), where ESP-IDF's check is laxer but its
         * bootloader cannot map such a page, and for 0 or >= 32, the default stays. */
        uint8_t lg = v->desc.mmu_page_size;
        if (lg >= MMU_PAGE_LOG2_MIN && lg < 32) {
            v->mmu_page = 1u << lg;
        }
        if (check_seg_addr(v, s) || check_seg_readable(v, s)) {
            return;
        }
    }
    if (!v->is_boot && v->p.chip->efuse_blk_check && !v->p.no_efuse_blk_check && check_efuse_rev(v)) {
        return;
    }
    checksum(v, v->buf, SOTA_APP_DESC_LEN);
    hash(v, v->buf, SOTA_APP_DESC_LEN);
    start_seg_data(v, s->data_len - SOTA_APP_DESC_LEN);
}

static void on_checksum(sota_img_t *v)
{
    uint32_t n = v->st_pos;
    uint32_t x = v->xor_word;
    v->checksum_calc = (uint8_t)(x ^ (x >> 8) ^ (x >> 16) ^ (x >> 24));
    v->checksum_read = v->buf[n - 1];
    v->have_checksum = true;
    v->image_len += n;
    if (v->checksum_calc != v->checksum_read) {
        fail(v, SOTA_IMG_ERR_CHECKSUM,
             "checksum failed: calculated 0x%x, image says 0x%x: the file is corrupt or "
             "truncated, build or download it again",
             (unsigned)v->checksum_calc, (unsigned)v->checksum_read);
        return;
    }
    hash(v, v->buf, n);
    if (v->hdr.hash_appended) {
        expect(v, ST_DIGEST, SOTA_SHA256_LEN);
    } else {
        image_complete(v);
    }
}

static void on_digest(sota_img_t *v)
{
    memcpy(v->sha_read, v->buf, SOTA_SHA256_LEN);
    v->image_len += SOTA_SHA256_LEN;
    image_complete(v);
}

static void on_collected(sota_img_t *v)
{
    switch (v->st) {
    case ST_HEADER: on_header(v); break;
    case ST_SEGHDR: on_seg_header(v); break;
    case ST_DESC:   on_desc(v); break;
    case ST_CKSUM:  on_checksum(v); break;
    case ST_DIGEST: on_digest(v); break;
    default: break;
    }
}

/* ---- public API ---- */

void sota_img_init(sota_img_t *v, const sota_img_params_t *p)
{
    memset(v, 0, sizeof *v);
    v->xor_word = CHECKSUM_INITIAL;
    v->mmu_page = MMU_PAGE_DEFAULT;
    expect(v, ST_HEADER, SOTA_IMG_HEADER_LEN);
    if (p == NULL || p->chip == NULL) {
        fail(v, SOTA_IMG_ERR_ARG, "internal error: no chip given to the image verifier");
        return;
    }
    v->p = *p;
    v->is_boot = p->slot_offset == p->chip->bootloader_offset;
    if (p->slot_size > size_limit(p->chip)) {
        fail(v, SOTA_IMG_ERR_PART_SIZE,
             "app partition too big: 0x%" PRIx32 " bytes, %s maps at most 16 MB (partition size "
             "invalid): make it smaller in partitions.csv", p->slot_size, p->chip->name);
    }
}

sota_img_err_t sota_img_feed(sota_img_t *v, const void *data, size_t len)
{
    if (v->finished) {
        return fail(v, SOTA_IMG_ERR_ARG, "internal error: bytes fed after the verdict");
    }
    if (len > 0 && data == NULL) {
        return fail(v, SOTA_IMG_ERR_ARG, "internal error: NULL data fed to the verifier");
    }
    const uint8_t *p = data;
    if (!v->filling) {
        v->fed += len;
    }
    while (len > 0 && v->st != ST_FAILED && v->st != ST_DONE) {
        uint64_t abs = (uint64_t)v->p.slot_offset + v->pos;
        if (abs >= flash_end(v)) {
            return fail_read(v, abs);
        }
        size_t take = len < v->st_left ? len : v->st_left;
        if ((uint64_t)take > flash_end(v) - abs) {
            take = (size_t)(flash_end(v) - abs);
        }
        if (v->st == ST_SEGDATA) {
            checksum(v, p, take);
            hash(v, p, take);
        } else {
            memcpy(v->buf + v->st_pos, p, take);
            v->st_pos += (uint32_t)take;
        }
        v->st_left -= (uint32_t)take;
        v->pos += take;
        p += take;
        len -= take;
        if (v->st_left == 0) {
            if (v->st == ST_SEGDATA) {
                next_segment(v);
            } else {
                on_collected(v);
            }
        }
    }
    if (v->st == ST_DONE && !v->filling) {
        v->trailing += len;
    }
    return v->err;
}

sota_img_err_t sota_img_finish(sota_img_t *v)
{
    if (v->finished) {
        return v->err;
    }
    if (v->st != ST_DONE && v->st != ST_FAILED) {
        /* What the file lacks reads as erased flash. */
        uint8_t erased[64];
        memset(erased, 0xFF, sizeof erased);
        v->filling = true;
        while (v->st != ST_DONE && v->st != ST_FAILED) {
            size_t n = v->st_left < sizeof erased ? v->st_left : sizeof erased;
            sota_img_feed(v, erased, n);
        }
        v->filling = false;
    }
    v->finished = true;
    release_sha(v);
    if (v->err == SOTA_IMG_OK) {
        compose_valid(v);
    }
    return v->err;
}

void sota_img_abort(sota_img_t *v)
{
    release_sha(v);
    v->finished = true;
}

sota_img_err_t sota_img_verify_from(sota_img_t *v, const sota_img_params_t *p,
                                    sota_img_read_fn read, void *ctx)
{
    sota_img_init(v, p);
    if (read == NULL) {
        fail(v, SOTA_IMG_ERR_ARG, "internal error: no read function given to the verifier");
    }
    uint8_t chunk[128];
    while (v->st != ST_DONE && v->st != ST_FAILED) {
        uint64_t abs = (uint64_t)v->p.slot_offset + v->pos;
        if (abs >= flash_end(v)) {
            fail_read(v, abs);
            break;
        }
        size_t n = v->st_left < sizeof chunk ? v->st_left : sizeof chunk;
        if ((uint64_t)n > flash_end(v) - abs) {
            n = (size_t)(flash_end(v) - abs);
        }
        if (read(ctx, (uint32_t)v->pos, chunk, n) != 0) {
            fail(v, SOTA_IMG_ERR_READ, "flash read failed at 0x%" PRIx64 " (slot offset 0x%"
                 PRIx64 "): the slot cannot be read back, try the update again", abs, v->pos);
            break;
        }
        sota_img_feed(v, chunk, n);
    }
    return sota_img_finish(v);
}

static void compose_valid(sota_img_t *v)
{
    char extra[48] = "";
    if (v->trailing) {
        snprintf(extra, sizeof extra, ", %" PRIu64 " trailing bytes ignored", v->trailing);
    }
    const char *sha = v->have_sha ? "SHA-256 ok" : "no SHA-256";
    if (v->have_desc && v->desc.magic_word == SOTA_APP_DESC_MAGIC) {
        snprintf(v->msg, sizeof v->msg, "valid: %s %s for %s, %" PRIu32 " bytes, %s%s",
                 v->desc.project_name, v->desc.version, v->p.chip->name, v->image_len, sha,
                 extra);
    } else {
        snprintf(v->msg, sizeof v->msg, "valid: image for %s without app description, %" PRIu32
                 " bytes, %s%s", v->p.chip->name, v->image_len, sha, extra);
    }
}

const char *sota_img_message(const sota_img_t *v)
{
    if (v->err != SOTA_IMG_OK || v->complete) {
        return v->msg;
    }
    return "not verified yet: the image has not been seen to its end";
}

const char *sota_img_err_code(sota_img_err_t err)
{
    static const char *const names[SOTA_IMG_ERR__COUNT] = {
        [SOTA_IMG_OK] = "ok",
        [SOTA_IMG_ERR_PART_SIZE] = "part_size",
        [SOTA_IMG_ERR_MAGIC] = "magic",
        [SOTA_IMG_ERR_CHIP_ID] = "chip_id",
        [SOTA_IMG_ERR_CHIP_REV_MIN] = "chip_rev_min",
        [SOTA_IMG_ERR_CHIP_REV_MAX] = "chip_rev_max",
        [SOTA_IMG_ERR_SEG_COUNT] = "seg_count",
        [SOTA_IMG_ERR_SEG_LEN] = "seg_len",
        [SOTA_IMG_ERR_SEG0_SHORT] = "seg0_short",
        [SOTA_IMG_ERR_APP_DESC] = "app_desc",
        [SOTA_IMG_ERR_SEG_ADDR] = "seg_addr",
        [SOTA_IMG_ERR_EFUSE_REV] = "efuse_rev",
        [SOTA_IMG_ERR_READ] = "read",
        [SOTA_IMG_ERR_CHECKSUM] = "checksum",
        [SOTA_IMG_ERR_TOO_BIG] = "too_big",
        [SOTA_IMG_ERR_HASH] = "hash",
        [SOTA_IMG_ERR_ARG] = "arg",
    };
    if ((unsigned)err < SOTA_IMG_ERR__COUNT && names[err] != NULL) {
        return names[err];
    }
    return "unknown";
}

static void copy_str(char *dst, size_t dst_size, const uint8_t *src, size_t src_len)
{
    size_t n = 0;
    while (n < src_len && n + 1 < dst_size && src[n] != 0) {
        dst[n] = (char)src[n];
        n++;
    }
    dst[n] = '\0';
}

bool sota_img_desc_decode(const uint8_t raw[SOTA_APP_DESC_LEN], sota_app_desc_t *out)
{
    memset(out, 0, sizeof *out);
    out->magic_word = sota_rd32(raw);
    out->secure_version = sota_rd32(raw + DESC_SECURE_VERSION);
    copy_str(out->version, sizeof out->version, raw + DESC_VERSION, 32);
    copy_str(out->project_name, sizeof out->project_name, raw + DESC_PROJECT, 32);
    copy_str(out->time, sizeof out->time, raw + DESC_TIME, 16);
    copy_str(out->date, sizeof out->date, raw + DESC_DATE, 16);
    copy_str(out->idf_ver, sizeof out->idf_ver, raw + DESC_IDF_VER, 32);
    memcpy(out->app_elf_sha256, raw + DESC_ELF_SHA, sizeof out->app_elf_sha256);
    out->min_efuse_blk_rev_full = sota_rd16(raw + DESC_MIN_EFUSE);
    out->max_efuse_blk_rev_full = sota_rd16(raw + DESC_MAX_EFUSE);
    out->mmu_page_size = raw[DESC_MMU_PAGE];
    return out->magic_word == SOTA_APP_DESC_MAGIC;
}
