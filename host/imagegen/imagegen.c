/* Test-image builder (see imagegen.h for the layout). */
#include "imagegen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sota_image.h"
#include "sota_sha256.h"
#include "sota_le.h"

#define SEGMENTS        4
#define DESC_LEN        SOTA_APP_DESC_LEN
#define RAM_SEG_MAX     0x8000u      /* DRAM and IRAM segments stay small */
#define MMU_PAGE        0x10000u
#define SEGS_START      (SOTA_IMG_HEADER_LEN + SOTA_IMG_SEG_HEADER_LEN * SEGMENTS)
#define MIN_PAYLOAD     (DESC_LEN + 3 * 4)   /* desc + 4 bytes in each other segment */

typedef struct {
    uint64_t s;
} prng_t;

/* splitmix64: tiny, and the same sequence everywhere. */
static uint64_t prng_next(prng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void prng_fill(prng_t *r, uint8_t *p, size_t n)
{
    while (n > 0) {
        uint64_t v = prng_next(r);
        for (int i = 0; i < 8 && n > 0; i++, n--) {
            *p++ = (uint8_t)(v >> (8 * i));
        }
    }
}

static uint32_t round_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) / a * a;
}

void imagegen_defaults(imagegen_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->chip = sota_chip_by_name("esp32");
    o->hash = true;
    o->mmu_page_size = 16;
}

uint32_t imagegen_min_size(const imagegen_opts_t *o)
{
    /* segments end 4 bytes before a 16-byte boundary: header + checksum block exactly */
    return SEGS_START + MIN_PAYLOAD + 4 + ((o && o->hash) ? SOTA_SHA256_LEN : 0);
}

/* Checksum and hash of an image whose segments end at seg_end; the image needs room for
 * the padding block (and the digest). Returns the image length. */
static size_t seal(uint8_t *img, size_t seg_end)
{
    uint8_t x = 0xEF;
    uint32_t off = SOTA_IMG_HEADER_LEN;
    for (unsigned i = 0; i < img[1]; i++) {
        uint32_t len = sota_rd32(img + off + 4);
        off += SOTA_IMG_SEG_HEADER_LEN;
        for (uint32_t k = 0; k < len; k++) {
            x ^= img[off + k];
        }
        off += len;
    }
    size_t ck_end = (seg_end + 1 + 15) & ~(size_t)15;
    memset(img + seg_end, 0, ck_end - seg_end);
    img[ck_end - 1] = x;
    if (img[23] == 0) {
        return ck_end;
    }
    sota_sha256_t sha;
    sota_sha256_start(&sha);
    sota_sha256_update(&sha, img, ck_end);
    sota_sha256_finish(&sha, img + ck_end);
    return ck_end + SOTA_SHA256_LEN;
}

static int check_str(const char *s)
{
    return strlen(s) <= 31 ? IMAGEGEN_OK : IMAGEGEN_ERR_ARG;
}

static void put_segment(uint8_t *img, uint32_t *off, uint32_t load, uint32_t len)
{
    sota_wr32(img + *off, load);
    sota_wr32(img + *off + 4, len);
    *off += SOTA_IMG_SEG_HEADER_LEN + len;
}

static void put_desc(uint8_t *d, const imagegen_opts_t *o, const char *project,
                     const char *version, prng_t *r)
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    uint64_t t = prng_next(r);
    memset(d, 0, DESC_LEN);
    sota_wr32(d, SOTA_APP_DESC_MAGIC);
    sota_wr32(d + 0x04, o->secure_version);
    memcpy(d + 0x10, version, strlen(version));
    memcpy(d + 0x30, project, strlen(project));
    snprintf((char *)d + 0x50, 16, "%02u:%02u:%02u", (unsigned)(t % 24),
             (unsigned)(t / 24 % 60), (unsigned)(t / 1440 % 60));
    snprintf((char *)d + 0x60, 16, "%s %2u %u", months[t / 86400 % 12],
             (unsigned)(t / 1036800 % 28 + 1), (unsigned)(2024 + t / 29030400 % 3));
    memcpy(d + 0x70, IMAGEGEN_IDF_VER, strlen(IMAGEGEN_IDF_VER));
    prng_fill(r, d + 0x90, 32);                  /* app_elf_sha256 */
    sota_wr16(d + 0xB0, o->min_efuse_blk_rev);
    sota_wr16(d + 0xB2, o->max_efuse_blk_rev);
    d[0xB4] = o->mmu_page_size;
    d[0xB5] = 2;                                 /* spi_flash_mode: DIO, as the header */
}

int imagegen_build(const imagegen_opts_t *o, uint8_t **out, size_t *out_len)
{
    if (out == NULL || out_len == NULL) {
        return IMAGEGEN_ERR_ARG;
    }
    *out = NULL;
    *out_len = 0;
    if (o == NULL) {
        return IMAGEGEN_ERR_ARG;
    }
    const sota_chip_t *chip = o->chip ? o->chip : sota_chip_by_name("esp32");
    const char *project = o->project ? o->project : "sota_test";
    const char *version = o->version ? o->version : "1.0.0";
    if (check_str(project) || check_str(version)) {
        return IMAGEGEN_ERR_ARG;
    }
    uint32_t size = round_up(o->size ? o->size : IMAGEGEN_DEFAULT_SIZE, 16);
    if (o->size > IMAGEGEN_MAX_SIZE || size < imagegen_min_size(o)) {
        return IMAGEGEN_ERR_SIZE;
    }

    /* Segment lengths: everything between the segment headers and the checksum block. */
    uint32_t hash_len = o->hash ? SOTA_SHA256_LEN : 0;
    uint32_t seg_end = size - hash_len - 4;
    uint32_t payload = seg_end - SEGS_START - MIN_PAYLOAD;
    uint32_t ram = payload / 16 > RAM_SEG_MAX - 4 ? RAM_SEG_MAX - 4 : payload / 16 / 4 * 4;
    uint32_t rodata = payload / 8 / 4 * 4;
    uint32_t dram_len = 4 + ram, iram_len = 4 + ram;
    uint32_t irom_len = 4 + payload - rodata - 2 * ram;

    /* The MMU page the IROM segment is aligned to (at least 64 KiB, as the slot is). */
    uint8_t lg = o->mmu_page_size;
    uint32_t page = (lg >= 13 && lg <= 18 && (1u << lg) > MMU_PAGE) ? (1u << lg) : MMU_PAGE;
    bool shared = chip->irom_low == chip->drom_low;
    uint32_t drom_len = DESC_LEN + rodata;
    uint32_t drom_load = chip->drom_low + SOTA_APP_DESC_OFFSET;
    if (!shared) {
        /* Code beyond the IROM window goes to rodata instead (DROM is larger on ESP32). */
        uint32_t room = chip->irom_high - chip->irom_low - page;
        if (irom_len > room) {
            drom_len += irom_len - room;
            irom_len = room;
        }
    }
    uint32_t irom_data = seg_end - irom_len;     /* image offset of the IROM data */
    uint32_t irom_base = shared ? round_up(drom_load + drom_len, page) + page : chip->irom_low;
    irom_base = round_up(irom_base, page);
    uint32_t irom_load = irom_base + irom_data % page;
    if ((uint64_t)drom_load + drom_len > chip->drom_high ||
        (uint64_t)irom_load + irom_len > chip->irom_high) {
        return IMAGEGEN_ERR_SIZE;
    }
    uint32_t iram_load = chip->iram_low;
    uint32_t dram_load = chip->dram_low + (chip->dram_low == chip->iram_low ? 0x20000u : 0x2000u);

    uint8_t *img = calloc(1, size);
    if (img == NULL) {
        return IMAGEGEN_ERR_NOMEM;
    }
    prng_t r = { o->seed };
    img[0] = SOTA_IMG_MAGIC;
    img[1] = SEGMENTS;
    img[2] = 2;                 /* DIO */
    img[3] = 0x20;              /* 4 MB, 40 MHz */
    sota_wr32(img + 4, iram_load + 4);
    img[8] = 0xEE;              /* WP pin disabled */
    sota_wr16(img + 12, chip->chip_id);
    img[14] = (uint8_t)(o->min_chip_rev / 100);
    sota_wr16(img + 15, o->min_chip_rev);
    sota_wr16(img + 17, o->max_chip_rev);
    img[23] = o->hash ? 1 : 0;

    uint32_t off = SOTA_IMG_HEADER_LEN;
    put_desc(img + off + SOTA_IMG_SEG_HEADER_LEN, o, project, version, &r);
    prng_fill(&r, img + off + SOTA_IMG_SEG_HEADER_LEN + DESC_LEN, drom_len - DESC_LEN);
    put_segment(img, &off, drom_load, drom_len);
    prng_fill(&r, img + off + SOTA_IMG_SEG_HEADER_LEN, dram_len);
    put_segment(img, &off, dram_load, dram_len);
    prng_fill(&r, img + off + SOTA_IMG_SEG_HEADER_LEN, iram_len);
    put_segment(img, &off, iram_load, iram_len);
    prng_fill(&r, img + off + SOTA_IMG_SEG_HEADER_LEN, irom_len);
    put_segment(img, &off, irom_load, irom_len);

    *out_len = seal(img, off);
    *out = img;
    return IMAGEGEN_OK;
}

int imagegen_fixup(uint8_t *img, size_t len)
{
    if (img == NULL) {
        return IMAGEGEN_ERR_ARG;
    }
    if (len < SOTA_IMG_HEADER_LEN || img[1] > SOTA_IMG_MAX_SEGMENTS) {
        return IMAGEGEN_ERR_LAYOUT;
    }
    uint64_t off = SOTA_IMG_HEADER_LEN;
    for (unsigned i = 0; i < img[1]; i++) {
        if (off + SOTA_IMG_SEG_HEADER_LEN > len) {
            return IMAGEGEN_ERR_LAYOUT;
        }
        off += SOTA_IMG_SEG_HEADER_LEN + (uint64_t)sota_rd32(img + off + 4);
    }
    uint64_t need = ((off + 1 + 15) & ~(uint64_t)15) + (img[23] ? SOTA_SHA256_LEN : 0);
    if (need > len) {
        return IMAGEGEN_ERR_LAYOUT;
    }
    seal(img, (size_t)off);
    return IMAGEGEN_OK;
}

const char *imagegen_strerror(int err)
{
    switch (err) {
    case IMAGEGEN_OK:         return "ok";
    case IMAGEGEN_ERR_ARG:    return "invalid option: project and version are at most 31 characters";
    case IMAGEGEN_ERR_SIZE:   return "size out of range: too small for an app image, above 16 MiB, "
                                     "or more code than the chip's flash windows map";
    case IMAGEGEN_ERR_NOMEM:  return "out of memory";
    case IMAGEGEN_ERR_LAYOUT: return "the buffer does not hold a complete image";
    }
    return "unknown imagegen error";
}
