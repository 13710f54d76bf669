/* sota image: inspect (info), verify (ESP-IDF's esp_image_verify verdict) or build (make)
 * ESP app images. The checks are core/sota_image, the file kinds core/sota_ident, the
 * builder host/imagegen. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_file.h"
#include "cli_opts.h"
#include "cmds.h"
#include "imagegen.h"
#include "sota_chip.h"
#include "sota_ident.h"
#include "sota_image.h"
#include "sota_sha256.h"
#include "sota_sig.h"

#define DEFAULT_CHIP        "esp32"
#define DEFAULT_SLOT_SIZE   0x100000u
#define DEFAULT_SLOT_OFFSET 0x10000u

static void usage(FILE *out)
{
    size_t n = 0;
    const sota_chip_t *chips = sota_chip_list(&n);
    fprintf(out,
        "usage: sota image info FILE [--chip C]\n"
        "       sota image verify FILE [--chip C] [--chip-rev X.Y] [--slot-size N]\n"
        "                         [--slot-offset N] [--flash-size N]\n"
        "       sota image make -o FILE [--chip C] [--version V] [--project P]\n"
        "                         [--secure-version N] [--size N] [--seed S] [--no-hash]\n"
        "                         [--min-chip-rev X.Y] [--max-chip-rev X.Y]\n"
        "                         [--min-efuse-blk-rev X.Y]\n"
        "\n"
        "  info    the header, every segment (load address, length, file offset, memory\n"
        "          region), the app description, checksum and SHA-256 status, image length\n"
        "          against file length, what the file is if it is not an app image, and the\n"
        "          verdict for --chip (default: the chip the image names) at its default\n"
        "          revision in a 1 MiB slot at 0x10000.\n"
        "  verify  prints 'valid' (exit 0) or 'invalid: REASON' (exit 1): the verdict of\n"
        "          ESP-IDF's esp_image_verify() for the image written to the slot.\n"
        "  make    writes a valid app image (test data) to FILE.\n"
        "\n"
        "  --chip C            ");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s%s", chips[i].name, i + 1 < n ? " " : "\n");
    }
    fprintf(out,
        "                      (default esp32)\n"
        "  --chip-rev X.Y      the chip's revision (default: esp32 3.0, esp32s3 0.2,\n"
        "                      esp32c3 0.4, others 0.0)\n"
        "  --slot-size N       app partition size (default 0x100000)\n"
        "  --slot-offset N     app partition flash address (default 0x10000)\n"
        "  --flash-size N      flash chip size (default 16M)\n"
        "  --version V, --project P   esp_app_desc_t strings (at most 31 characters;\n"
        "                      default 1.0.0 and sota_test)\n"
        "  --secure-version N  esp_app_desc_t.secure_version (default 0)\n"
        "  --size N            file size to make, rounded up to 16 (default 64K)\n"
        "  --seed S            payload seed: the same options make the same bytes (default 0)\n"
        "  --no-hash           no appended SHA-256\n"
        "  --min-chip-rev, --max-chip-rev X.Y   header chip revision limits\n"
        "  --min-efuse-blk-rev X.Y  esp_app_desc_t min_efuse_blk_rev_full (ESP-IDF >= 5.4)\n"
        "N is decimal, 0x-hex, or with a K or M suffix (1024-based): 1M = 0x100000.\n"
        "\n"
        "Exit status: 0 done/valid, 1 invalid image or I/O error, 2 usage error.\n");
}

#define usage_error(...) cli_usage_error("image", usage, __VA_ARGS__)

/* Decimal, 0x-hex, optional K/KB/KiB or M/MB/MiB suffix (1024-based). */
static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+') {
        return false;
    }
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno != 0 || end == s || (base == 16 && end == s + 2)) {
        return false;
    }
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K') {
        mul = 1024;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        mul = 1024 * 1024;
        end++;
    }
    if (mul != 1 && (!strcmp(end, "B") || !strcmp(end, "iB"))) {
        end += strlen(end);
    }
    if (*end != '\0' || v > max / mul) {
        return false;
    }
    *out = v * mul;
    return true;
}

/* Command-line options shared by the subcommands. */
typedef struct {
    const char *file;
    const char *out;
    const sota_chip_t *chip;
    int chip_rev;                 /* -1: the chip's default */
    uint32_t slot_size, slot_offset, flash_size;
    imagegen_opts_t gen;
} opts_t;

typedef enum { OPT_CHIP, OPT_CHIP_REV, OPT_SLOT_SIZE, OPT_SLOT_OFFSET, OPT_FLASH_SIZE,
               OPT_OUT, OPT_VERSION, OPT_PROJECT, OPT_SECVER, OPT_SIZE, OPT_SEED,
               OPT_NO_HASH, OPT_MIN_REV, OPT_MAX_REV, OPT_MIN_EFUSE } opt_id_t;

typedef struct {
    const char *name;
    opt_id_t id;
    bool value;
    const char *cmds;   /* subcommands that take it: i(nfo) v(erify) m(ake) */
} opt_def_t;

static const opt_def_t s_opts[] = {
    { "--chip", OPT_CHIP, true, "ivm" },
    { "--chip-rev", OPT_CHIP_REV, true, "v" },
    { "--slot-size", OPT_SLOT_SIZE, true, "v" },
    { "--slot-offset", OPT_SLOT_OFFSET, true, "v" },
    { "--flash-size", OPT_FLASH_SIZE, true, "v" },
    { "-o", OPT_OUT, true, "m" },
    { "--output", OPT_OUT, true, "m" },
    { "--version", OPT_VERSION, true, "m" },
    { "--project", OPT_PROJECT, true, "m" },
    { "--secure-version", OPT_SECVER, true, "m" },
    { "--size", OPT_SIZE, true, "m" },
    { "--seed", OPT_SEED, true, "m" },
    { "--no-hash", OPT_NO_HASH, false, "m" },
    { "--min-chip-rev", OPT_MIN_REV, true, "m" },
    { "--max-chip-rev", OPT_MAX_REV, true, "m" },
    { "--min-efuse-blk-rev", OPT_MIN_EFUSE, true, "m" },
};

static int set_opt(opts_t *o, opt_id_t id, const char *name, const char *val)
{
    uint64_t n = 0;
    int rev;
    switch (id) {
    case OPT_CHIP:
        o->chip = sota_chip_by_name(val);
        if (o->chip == NULL) {
            return usage_error("unknown chip '%s'", val);
        }
        o->gen.chip = o->chip;
        return 0;
    case OPT_CHIP_REV:
    case OPT_MIN_REV:
    case OPT_MAX_REV:
    case OPT_MIN_EFUSE:
        rev = sota_chip_parse_rev(val);
        if (rev < 0 || rev > 0xFFFF) {
            return usage_error("bad chip revision '%s' (expected X.Y, e.g. 3.0)", val);
        }
        if (id == OPT_CHIP_REV) {
            o->chip_rev = rev;
        } else if (id == OPT_MIN_REV) {
            o->gen.min_chip_rev = (uint16_t)rev;
        } else if (id == OPT_MIN_EFUSE) {
            o->gen.min_efuse_blk_rev = (uint16_t)rev;
        } else {
            o->gen.max_chip_rev = (uint16_t)rev;
        }
        return 0;
    case OPT_OUT:      o->out = val; return 0;
    case OPT_VERSION:  o->gen.version = val; return 0;
    case OPT_PROJECT:  o->gen.project = val; return 0;
    case OPT_NO_HASH:  o->gen.hash = false; return 0;
    case OPT_SEED:
        if (!parse_num(val, UINT64_MAX, &n)) {
            return usage_error("bad number for --seed: '%s'", val);
        }
        o->gen.seed = n;
        return 0;
    default:
        break;
    }
    if (!parse_num(val, UINT32_MAX, &n)) {
        fprintf(stderr, "sota image: bad number for %s: '%s'\n\n", name, val);
        usage(stderr);
        return 2;
    }
    switch (id) {
    case OPT_SLOT_SIZE:   o->slot_size = (uint32_t)n; break;
    case OPT_SLOT_OFFSET: o->slot_offset = (uint32_t)n; break;
    case OPT_FLASH_SIZE:  o->flash_size = (uint32_t)n; break;
    case OPT_SECVER:      o->gen.secure_version = (uint32_t)n; break;
    case OPT_SIZE:        o->gen.size = (uint32_t)n; break;
    default: break;
    }
    return 0;
}

/* Parses argv[2..] for subcommand letter cmd; returns 0 or an exit status. */
static int parse_args(int argc, char **argv, char cmd, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->chip = sota_chip_by_name(DEFAULT_CHIP);
    o->chip_rev = -1;
    o->slot_size = DEFAULT_SLOT_SIZE;
    o->slot_offset = DEFAULT_SLOT_OFFSET;
    imagegen_defaults(&o->gen);
    bool chip_given = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (cmd == 'm' || o->file != NULL) {
                return usage_error("unexpected argument '%s'", a);
            }
            o->file = a;
            continue;
        }
        const opt_def_t *d = NULL;
        for (size_t k = 0; k < sizeof s_opts / sizeof s_opts[0]; k++) {
            if (!strcmp(a, s_opts[k].name) && strchr(s_opts[k].cmds, cmd)) {
                d = &s_opts[k];
            }
        }
        if (d == NULL) {
            return usage_error("unknown option '%s'", a);
        }
        const char *val = NULL;
        if (d->value) {
            if (i + 1 >= argc) {
                return usage_error("%s needs a value", a);
            }
            val = argv[++i];
        }
        chip_given |= d->id == OPT_CHIP;
        int rc = set_opt(o, d->id, a, val);
        if (rc) {
            return rc;
        }
    }
    if (cmd == 'm' ? o->out == NULL : o->file == NULL) {
        return usage_error("%s", cmd == 'm' ? "make needs -o FILE" : "no FILE given");
    }
    if (!chip_given) {
        o->chip = NULL;   /* the image's own chip, else the default (target_chip) */
    }
    return 0;
}

static sota_img_err_t verify_buf(sota_img_t *v, const sota_img_params_t *p, const uint8_t *b,
                                 size_t len)
{
    sota_img_init(v, p);
    sota_img_feed(v, b, len);
    return sota_img_finish(v);
}

static void verdict_params(const opts_t *o, const sota_chip_t *chip, sota_img_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->chip = chip;
    p->chip_rev = (uint16_t)(o->chip_rev >= 0 ? o->chip_rev : chip->default_rev);
    p->slot_size = o->slot_size;
    p->slot_offset = o->slot_offset;
    p->flash_size = o->flash_size;
}

/* The chip a verdict is for: --chip, else the one the image's header names, else the
 * default. info and verify agree on it. */
static const sota_chip_t *header_chip(const uint8_t *b, size_t len)
{
    return len >= 14 ? sota_chip_by_id((uint16_t)(b[12] | b[13] << 8)) : NULL;
}

static const sota_chip_t *target_chip(const opts_t *o, const uint8_t *b, size_t len)
{
    const sota_chip_t *named = header_chip(b, len);
    return o->chip ? o->chip : named ? named : sota_chip_by_name(DEFAULT_CHIP);
}

/* A file that is not an app image at all (a bootloader, a merged image, otadata...): its
 * kind says more than any check of the verifier would. */
static bool not_an_app(const sota_ident_t *id)
{
    return id->kind != SOTA_FILE_APP && id->kind != SOTA_FILE_APP_OTHER_CHIP;
}

/* What verify and info's verdict say of a file that is no app for the target chip
 * (NULL for an app for it): its kind, and what an upload would get. */
static const char *refused_kind(const sota_ident_t *id)
{
    return not_an_app(id) ? "not an app image"
         : id->kind == SOTA_FILE_APP_OTHER_CHIP ? "an app image for another chip" : NULL;
}

static int cmd_verify(const opts_t *o)
{
    uint8_t *b = NULL;
    size_t len = 0;
    if (!(b = cli_read_file("image", o->file, &len))) {
        return 1;
    }
    sota_img_params_t p;
    verdict_params(o, target_chip(o, b, len), &p);
    sota_ident_t id;
    sota_ident(b, len, len, p.chip, &id);
    if (refused_kind(&id)) {
        free(b);
        printf("invalid: %s (%s): %s\n", refused_kind(&id), sota_ident_kind_name(id.kind), id.message);
        return 1;
    }
    sota_img_t v;
    sota_img_err_t err = verify_buf(&v, &p, b, len);
    free(b);
    if (err == SOTA_IMG_OK) {
        printf("valid\n");
        return 0;
    }
    printf("invalid: %s\n", sota_img_message(&v));
    return 1;
}

/* ---- info ---- */

static const char *spi_mode_name(uint8_t m)
{
    static const char *const names[] = { "QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ" };
    return m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}

static void print_rev(const char *label, uint16_t rev)
{
    if (rev == 0 || rev == 0xFFFF) {
        printf("%s not set (%u)", label, (unsigned)rev);
    } else {
        printf("%s v%u.%u", label, rev / 100u, rev % 100u);
    }
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

/* A pass that lets every check it can pass: the image's own chip at the revision it asks
 * for, the largest slot, a 4 GiB flash. What it collects describes the image. */
static void describe_pass(sota_img_t *v, const sota_chip_t *chip, const uint8_t *b, size_t len)
{
    sota_img_params_t p = { .chip = chip, .slot_offset = DEFAULT_SLOT_OFFSET,
                            .slot_size = chip->flash_32bit_limit ? UINT32_MAX : 0x1000000u,
                            .flash_size = UINT32_MAX };
    p.chip_rev = len >= 17 ? (uint16_t)(b[15] | b[16] << 8) : 0;
    /* the eFuse block revision it asks for (a bootloader's description has other bytes
     * there: passed the same way, so that its segments are still listed) */
    if (verify_buf(v, &p, b, len) == SOTA_IMG_ERR_EFUSE_REV) {
        p.efuse_blk_rev = v->desc.min_efuse_blk_rev_full;
        verify_buf(v, &p, b, len);
    }
}

/* The image header: magic, segments, entry, chip and revisions, SPI flash settings. */
static void print_header(const sota_img_header_t *h)
{
    const sota_chip_t *named = sota_chip_by_id(h->chip_id);
    printf("header:\n  magic 0x%02x, %u segments, entry 0x%08" PRIx32 ", hash appended %s\n",
           h->magic, (unsigned)h->segment_count, h->entry_addr,
           h->hash_appended ? "yes" : "no");
    printf("  chip %s (id %u), min rev v%u.%u (legacy %u), ", named ? named->name : "unknown",
           (unsigned)h->chip_id, h->min_chip_rev_full / 100u, h->min_chip_rev_full % 100u,
           (unsigned)h->min_chip_rev);
    print_rev("max rev", h->max_chip_rev_full);
    printf("\n  flash mode %s (%u), size code %u (%u MB), speed code 0x%x, wp pin 0x%02x\n",
           spi_mode_name(h->spi_mode), (unsigned)h->spi_mode, (unsigned)h->spi_size,
           h->spi_size < 8 ? 1u << h->spi_size : 0u, (unsigned)h->spi_speed, h->wp_pin);
}

/* The segments read, with the memory region of the chip each loads into. */
static void print_segments(const sota_img_t *v, const sota_chip_t *chip, size_t len)
{
    if (v->seg_seen) {
        printf("segments:\n   #  load addr   length     file offset  region\n");
    }
    for (unsigned i = 0; i < v->seg_seen; i++) {
        const sota_img_seg_t *s = &v->seg[i];
        printf("  %2u  0x%08" PRIx32 "  0x%06" PRIx32 "   0x%08" PRIx32 "   %s%s\n", i,
               s->load_addr, s->data_len, s->data_offset,
               sota_chip_region_name(sota_chip_region(chip, s->load_addr)),
               (uint64_t)s->data_offset + s->data_len > len ? " (past the end of the file)" : "");
    }
}

/* What the first segment describes: an app, a bootloader, or nothing known. */
static void print_desc(const sota_app_desc_t *d, const uint8_t *b, size_t len)
{
    if ((d->magic_word & 0xFFu) == SOTA_BOOTLOADER_DESC_MAGIC) {
        /* ESP-IDF >= 5.1 bootloaders carry esp_bootloader_desc_t where apps have theirs */
        const char *idf = len >= 32 + 40 ? (const char *)b + 32 + 8 : "";
        int n = (int)strnlen(idf, 32);
        printf("bootloader description (magic 0x%02x): a second-stage bootloader, not an app%s%.*s\n",
               SOTA_BOOTLOADER_DESC_MAGIC, n ? "; built with ESP-IDF " : "", n, idf);
    } else if (d->magic_word != SOTA_APP_DESC_MAGIC) {
        printf("app description: none (magic 0x%08" PRIx32 ", expected 0xabcd5432)\n",
               d->magic_word);
    } else {
        printf("app description:\n  project \"%s\", version \"%s\", secure version %" PRIu32
               "\n  built %s %s with ESP-IDF %s\n  ELF SHA-256 ", d->project_name,
               d->version, d->secure_version, d->date, d->time, d->idf_ver);
        print_hex(d->app_elf_sha256, sizeof d->app_elf_sha256);
        printf("\n  MMU page size %u (log2), ", (unsigned)d->mmu_page_size);
        print_rev("eFuse block rev min", d->min_efuse_blk_rev_full);
        print_rev(", max", d->max_efuse_blk_rev_full);
        printf("\n");
    }
}

static void print_checksum(const sota_img_t *v)
{
    if (v->have_checksum) {
        if (v->checksum_calc == v->checksum_read) {
            printf("checksum: ok (0x%02x)\n", v->checksum_read);
        } else {
            printf("checksum: bad: calculated 0x%02x, image says 0x%02x\n", v->checksum_calc,
                   v->checksum_read);
        }
    } else {
        printf("checksum: not reached\n");
    }
}

/* The appended SHA-256: checked by the verifier, or here when it stopped at the checksum. */
static void print_sha(const sota_img_t *v, const uint8_t *b, size_t len)
{
    if (!v->hdr.hash_appended) {
        printf("SHA-256: absent (hash_appended = 0)\n");
    } else if (v->have_sha) {
        bool ok = !memcmp(v->sha_calc, v->sha_read, SOTA_SHA256_LEN);
        printf("SHA-256: %s (", ok ? "ok" : "bad: calculated");
        print_hex(v->sha_calc, SOTA_SHA256_LEN);
        if (!ok) {
            printf(", image says ");
            print_hex(v->sha_read, SOTA_SHA256_LEN);
        }
        printf(")\n");
    } else if (v->have_checksum && (uint64_t)v->image_len + SOTA_SHA256_LEN <= len) {
        /* The verifier stopped at the checksum; the hash is still worth knowing. */
        uint8_t calc[SOTA_SHA256_LEN];
        sota_sha256_t sha;
        sota_sha256_start(&sha);
        sota_sha256_update(&sha, b, v->image_len);
        sota_sha256_finish(&sha, calc);
        bool ok = !memcmp(calc, b + v->image_len, SOTA_SHA256_LEN);
        printf("SHA-256: %s\n", ok ? "ok" : "bad");
    } else {
        printf("SHA-256: not reached\n");
    }
}

/* The Secure Boot V2 signature sector after a complete image (espsecure sign_data
 * --version 2: the image padded to 4 KiB, then the sector), or NULL when the file has
 * none with a valid block. */
static const uint8_t *signature_sector(const sota_img_t *v, const uint8_t *b, size_t len)
{
    if (!v->complete) {
        return NULL;
    }
    uint32_t slen = sota_sig_signed_len(v->image_len);
    if ((uint64_t)len < (uint64_t)slen + SOTA_SIG_SECTOR_LEN) {
        return NULL;
    }
    for (unsigned k = 0; k < SOTA_SIG_MAX_BLOCKS; k++) {
        sota_sig_block_t blk;
        if (sota_sig_block_parse(b + slen + k * SOTA_SIG_BLOCK_LEN, &blk)) {
            return b + slen;
        }
    }
    return NULL;
}

/* Each valid signature block of sector (signature_sector's, after b's image; NULL:
 * none): its scheme, the digest of its key (what a device must trust:
 * SOFTAP_OTA_SIGNING_KEY_DIGEST, espsecure digest_sbv2_public_key) and whether its
 * signature verifies over this image with that key. */
static void print_signature(const uint8_t *b, const uint8_t *sector)
{
    if (sector == NULL) {
        return;
    }
    uint8_t digest[SOTA_SIG_DIGEST_LEN];
    sota_sha256_t sha;
    sota_sha256_start(&sha);
    sota_sha256_update(&sha, b, (size_t)(sector - b));
    sota_sha256_finish(&sha, digest);
    unsigned verified = 0;
    for (unsigned k = 0; k < SOTA_SIG_MAX_BLOCKS; k++) {
        sota_sig_block_t blk;
        if (!sota_sig_block_parse(sector + k * SOTA_SIG_BLOCK_LEN, &blk)) {
            continue;
        }
        sota_sig_key_t key;
        memcpy(key.d, blk.key_digest, sizeof key.d);
        char hex[2 * SOTA_SIG_DIGEST_LEN + 1];
        sota_sig_key_to_hex(&key, hex);
        sota_sig_result_t res;
        sota_sig_err_t err = sota_sig_check_sector(sector, digest, &key, 1, &res);
        printf("signature block %u: %s, key digest %s: %s\n", k, sota_sig_scheme_name(blk.scheme), hex,
               err == SOTA_SIG_OK ? "the signature verifies over this image" : res.msg);
        verified += err == SOTA_SIG_OK;
    }
    if (verified) {
        printf("signed: a device that requires signed apps (SOFTAP_OTA_REQUIRE_SIGNED) accepts it if it "
               "trusts the key digest of a block that verifies\n");
    } else {
        printf("signed, but no block verifies here: a device that requires signed apps refuses it\n");
    }
}

/* The image's length against the file's (len bytes of kind; sector: its signature
 * sector, or NULL). */
static void print_length(const sota_img_t *v, size_t len, sota_file_kind_t kind, const uint8_t *sector)
{
    /* After the checksum block the length is known even if a check failed there. */
    uint64_t img_len = v->complete ? v->image_len
                     : v->have_checksum ? v->image_len + (v->hdr.hash_appended ? SOTA_SHA256_LEN : 0)
                     : 0;
    if (img_len > 0) {
        printf("length: image %" PRIu64 " bytes, file %zu bytes", img_len, len);
        if (len > img_len && (kind == SOTA_FILE_MERGED || kind == SOTA_FILE_BOOTLOADER_PART)) {
            printf(" (this is the first part; the %" PRIu64 " bytes after it are the rest of the "
                   "merged image)", len - img_len);
        } else if (len > img_len && sector != NULL) {
            printf(" (%" PRIu64 " bytes after it: padding to 4 KiB and a Secure Boot V2 signature "
                   "sector, below)", len - img_len);
        } else if (len > img_len) {
            printf(" (%" PRIu64 " trailing bytes, ignored)", len - img_len);
        } else if (len < img_len) {
            printf(" (the file is truncated: the rest reads as erased flash)");
        }
        printf("\n");
    } else {
        printf("length: unknown, file %zu bytes; parsing stopped: %s\n", len, sota_img_message(v));
    }
}

static void print_structure(const sota_img_t *v, const sota_chip_t *chip, const uint8_t *b,
                            size_t len, sota_file_kind_t kind)
{
    print_header(&v->hdr);
    print_segments(v, chip, len);
    if (v->have_desc) {
        print_desc(&v->desc, b, len);
    }
    print_checksum(v);
    print_sha(v, b, len);
    const uint8_t *sector = signature_sector(v, b, len);
    print_length(v, len, kind, sector);
    print_signature(b, sector);
}

/* A filesystem image: its parameters, one per line, and where an upload puts it. */
static void print_fs(const sota_ident_t *id, size_t len)
{
    const sota_fs_params_t *fs = &id->fs;
    const char *name = sota_ident_kind_name(id->kind);
    printf("filesystem: %s\n", name);
    if (!fs->known) {
        printf("parameters: unknown (%s superblock or boot sector could not be read)\n", name);
        printf("verdict: an upload is refused (422): the image is damaged\n");
        return;
    }
    printf("block size: %" PRIu32 "\n", fs->block_size);
    printf("block count: %" PRIu32 "%s\n", fs->block_count,
           fs->block_count ? "" : " (not in the image: the partition's size decides)");
    if (id->kind == SOTA_FILE_LITTLEFS) {
        printf("disk version: %u.%u\n", (unsigned)fs->version_major, (unsigned)fs->version_minor);
    }
    if (id->kind == SOTA_FILE_SPIFFS) {
        printf("page size: %" PRIu32 "\n", fs->page_size);
    }
    if (id->kind == SOTA_FILE_FAT) {
        printf("fat: FAT%u, cluster %" PRIu32 " bytes, label \"%s\"%s\n", (unsigned)fs->fat_bits,
               fs->cluster_size, fs->label, fs->offset ? ", behind ESP-IDF's wear levelling" : "");
    }
    printf("filesystem size: %" PRIu64 " bytes (file %zu bytes%s)\n", fs->size, len,
           len < fs->size ? ": truncated" : "");
    printf("verdict: an upload writes it to the data partition of subtype %s (0x%02x)%s\n", name,
           (unsigned)sota_ident_fs_subtype(id->kind),
           len < fs->size ? ", but this file is truncated and is refused (422)"
                          : id->kind == SOTA_FILE_FAT ? " at least this size"
                                                      : " of exactly the filesystem's size");
}

static int cmd_info(const opts_t *o)
{
    uint8_t *b = NULL;
    size_t len = 0;
    if (!(b = cli_read_file("image", o->file, &len))) {
        return 1;
    }
    const sota_chip_t *named = header_chip(b, len);
    const sota_chip_t *target = target_chip(o, b, len);
    printf("file: %s (%zu bytes)\n", o->file, len);

    sota_ident_t id;
    sota_ident(b, len, len, target, &id);
    printf("kind: %s: %s\n", sota_ident_kind_name(id.kind), id.message);
    if (sota_ident_kind_is_fs(id.kind)) {
        print_fs(&id, len);
        free(b);
        return 0;
    }
    if (len > 0 && b[0] == SOTA_IMG_MAGIC) {
        const sota_chip_t *chip = named ? named : target;
        sota_img_t *v = malloc(sizeof *v);
        if (v == NULL) {
            free(b);
            fprintf(stderr, "sota image: out of memory\n");
            return 1;
        }
        describe_pass(v, chip, b, len);
        print_structure(v, chip, b, len, id.kind);
        free(v);
    }
    sota_img_params_t p;
    verdict_params(o, target, &p);
    printf("verdict for %s v%u.%u, slot 0x%" PRIx32 " at 0x%" PRIx32 ": ", target->name,
           p.chip_rev / 100u, p.chip_rev % 100u, p.slot_size, p.slot_offset);
    if (refused_kind(&id)) {
        printf("%s (%s): an upload is refused before anything is erased\n", refused_kind(&id),
               sota_ident_kind_name(id.kind));
    } else {
        sota_img_t v;
        sota_img_err_t err = verify_buf(&v, &p, b, len);
        printf("%s%s\n", err == SOTA_IMG_OK ? "" : "invalid: ",
               err == SOTA_IMG_OK ? "valid" : sota_img_message(&v));
    }
    free(b);
    return 0;
}

/* ---- make ---- */

static int cmd_make(const opts_t *o)
{
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = imagegen_build(&o->gen, &img, &len);
    if (rc != IMAGEGEN_OK) {
        fprintf(stderr, "sota image make: %s\n", imagegen_strerror(rc));
        if (rc == IMAGEGEN_ERR_NOMEM) {
            return 1;
        }
        fprintf(stderr, "(--size: at least %" PRIu32 ", at most %u)\n\n",
                imagegen_min_size(&o->gen), IMAGEGEN_MAX_SIZE);
        usage(stderr);
        return 2;
    }
    FILE *f = fopen(o->out, "wb");
    if (f == NULL) {
        fprintf(stderr, "sota image make: cannot create %s: %s\n", o->out, strerror(errno));
        free(img);
        return 1;
    }
    size_t put = fwrite(img, 1, len, f);
    int cerr = fclose(f);
    free(img);
    if (put != len || cerr != 0) {
        fprintf(stderr, "sota image make: writing %s failed: %s\n", o->out, strerror(errno));
        return 1;
    }
    const sota_chip_t *chip = o->gen.chip ? o->gen.chip : sota_chip_by_name(DEFAULT_CHIP);
    printf("wrote %s: %zu bytes, %s app \"%s\" version \"%s\"%s\n", o->out, len, chip->name,
           o->gen.project ? o->gen.project : "sota_test",
           o->gen.version ? o->gen.version : "1.0.0", o->gen.hash ? "" : ", no SHA-256");
    return 0;
}

int sota_cmd_image(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        usage(stdout);
        return 0;
    }
    char cmd = !strcmp(sub, "info") ? 'i' : !strcmp(sub, "verify") ? 'v'
             : !strcmp(sub, "make") ? 'm' : '\0';
    if (cmd == '\0') {
        return usage_error("unknown subcommand '%s'", sub);
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    }
    opts_t o;
    int rc = parse_args(argc, argv, cmd, &o);
    if (rc) {
        return rc;
    }
    switch (cmd) {
    case 'i': return cmd_info(&o);
    case 'v': return cmd_verify(&o);
    default:  return cmd_make(&o);
    }
}
