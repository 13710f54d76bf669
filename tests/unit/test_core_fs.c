/* Filesystem images (core/sota_ident's parameters, core/sota_fs's choice of partition,
 * and the update session writing a data partition): the fixtures of tests/fixtures/fs
 * are real images (the reference littlefs, spiffsgen.py, mkfs.fat + mcopy). The
 * partition is fixture_slot.h's RAM NOR chip; the fs operations below model the device's
 * record ("LABEL is being written"): set by fs_begin before anything is erased, cleared
 * only by finish. */
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
#include "imagegen.h"
#include "sota_fs.h"
#include "sota_sha256.h"
#include "sota_update.h"

static uint8_t *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/fs/%s", SOTA_ROOT, name);
    return fx_read_file(path, len);
}

/* ---- sota_ident: the parameters of each fixture ---- */

typedef struct {
    const char *file;
    sota_file_kind_t kind;
    uint32_t block_size, block_count, page_size;
    unsigned major, minor, fat_bits;
    const char *label;
    uint64_t size;
    const char *says;   /* in the message */
} params_case_t;

static const params_case_t s_params[] = {
    { "littlefs_32k.bin", SOTA_FILE_LITTLEFS, 4096, 8, 0, 2, 1, 0, "", 32768,
      "4096-byte blocks, 8 blocks: 32 KiB, disk version 2.1" },
    { "littlefs_64k.bin", SOTA_FILE_LITTLEFS, 4096, 16, 0, 2, 1, 0, "", 65536, "16 blocks" },
    { "littlefs_32k_truncated.bin", SOTA_FILE_LITTLEFS, 4096, 8, 0, 2, 1, 0, "", 32768, "LittleFS" },
    { "spiffs_32k.bin", SOTA_FILE_SPIFFS, 4096, 8, 256, 0, 0, 0, "", 32768,
      "256-byte pages, 4096-byte blocks, 8 blocks" },
    { "fat_64k.bin", SOTA_FILE_FAT, 4096, 16, 0, 0, 0, 12, "STORAGE", 65536,
      "FAT12, 4096-byte sectors, 16 sectors: 64 KiB, 4096-byte clusters, label \"STORAGE\"" },
};

static void test_ident_params(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_params / sizeof s_params[0]; i++) {
        const params_case_t *c = &s_params[i];
        size_t len;
        uint8_t *b = fixture(c->file, &len);
        /* the same with the whole file, with the head only, and with the length unknown
         * (SPIFFS takes its block count from its length magic, not the file) */
        for (int how = 0; how < 3; how++) {
            sota_ident_t id;
            size_t head = how == 0 ? len : SOTA_IDENT_HEAD_LEN;
            sota_ident(b, head, how == 2 ? 0 : len, sota_chip_by_name("esp32"), &id);
            if (id.kind != c->kind || !id.fs.known) {
                fail_msg("%s (%d): %s, known %d: %s", c->file, how, sota_ident_kind_name(id.kind),
                         id.fs.known, id.message);
            }
            assert_int_equal(id.fs.block_size, c->block_size);
            assert_int_equal(id.fs.block_count, c->block_count);
            assert_int_equal(id.fs.page_size, c->page_size);
            assert_int_equal(id.fs.version_major, c->major);
            assert_int_equal(id.fs.version_minor, c->minor);
            assert_int_equal(id.fs.fat_bits, c->fat_bits);
            assert_string_equal(id.fs.label, c->label);
            assert_int_equal(id.fs.size, c->size);
            if (!strstr(id.message, c->says)) {
                fail_msg("%s: '%s' lacks '%s'", c->file, id.message, c->says);
            }
        }
        free(b);
    }
}

/* A superblock that is not littlefs's (the name tag or the struct's tag damaged, a
 * block size that is no power of two, no blocks) in both blocks of the metadata pair:
 * still named LittleFS, parameters unknown. Damaged in one block only: read from the
 * other. */
static void test_ident_damaged(void **state)
{
    (void)state;
    static const struct { size_t off; uint8_t v; } damage[] = {
        { 4, 0x00 }, { 0x10, 0x00 }, { 0x19, 0x11 }, { 0x1C, 0x01 },
    };
    size_t len;
    uint8_t *b = fixture("littlefs_32k.bin", &len);
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        for (int blocks = 1; blocks <= 3; blocks++) {
            uint8_t *d = malloc(len);
            memcpy(d, b, len);
            for (int k = 0; k < 2; k++) {
                if (blocks & (1 << k)) {
                    size_t at = (size_t)k * 0x1000 + damage[i].off;
                    d[at] = damage[i].v;
                    if (damage[i].off == 0x1C) {
                        memset(d + at, 0, 4);   /* block count 0 */
                    }
                }
            }
            sota_ident_t id;
            sota_ident(d, len, len, NULL, &id);
            assert_int_equal(id.kind, SOTA_FILE_LITTLEFS);
            assert_int_equal(id.fs.known, blocks != 3);
            assert_int_equal(id.fs.block_count, blocks != 3 ? 8 : 0);
            if (blocks == 3) {
                assert_non_null(strstr(id.message, "superblock could not be read"));
            }
            free(d);
        }
    }
    free(b);
}

/* ---- sota_fs_pick ---- */

static const sota_fs_part_t s_table[] = {
    { "nvs", 1, 0x02, 0x6000, false, false },
    { "ota_0", 0, 0x10, 0x100000, false, false },
    { "storage", 1, 0x83, 0x8000, false, false },
    { "www", 1, 0x82, 0x8000, false, false },
    { "fat1", 1, 0x81, 0x10000, false, false },
    { "fat2", 1, 0x81, 0x20000, false, false },
    { "secret", 1, 0x83, 0x8000, true, false },
    { "rom", 1, 0x82, 0x8000, false, true },
};
#define N_TABLE (sizeof s_table / sizeof s_table[0])

typedef struct {
    sota_file_kind_t kind;
    const char *label;
    size_t n;               /* entries of s_table given */
    sota_fs_pick_t want;
    size_t index;
    const char *says;
} pick_case_t;

static const pick_case_t s_picks[] = {
    { SOTA_FILE_LITTLEFS, NULL, 3, SOTA_FS_PICK_OK, 2, "littlefs partition \"storage\" (32 KiB)" },
    { SOTA_FILE_LITTLEFS, "", 3, SOTA_FS_PICK_OK, 2, "\"storage\"" },
    { SOTA_FILE_LITTLEFS, "storage", N_TABLE, SOTA_FS_PICK_OK, 2, "\"storage\"" },
    { SOTA_FILE_SPIFFS, NULL, 4, SOTA_FS_PICK_OK, 3, "spiffs partition \"www\"" },
    { SOTA_FILE_FAT, "fat2", N_TABLE, SOTA_FS_PICK_OK, 5, "\"fat2\" (128 KiB)" },
    { SOTA_FILE_LITTLEFS, NULL, 2, SOTA_FS_PICK_NONE, 0, "no littlefs data partition (subtype 0x83)" },
    { SOTA_FILE_FAT, NULL, 0, SOTA_FS_PICK_NONE, 0, "no fat data partition" },
    { SOTA_FILE_FAT, NULL, N_TABLE, SOTA_FS_PICK_SEVERAL, 0, "2 fat partitions (fat1 and fat2)" },
    { SOTA_FILE_LITTLEFS, NULL, N_TABLE, SOTA_FS_PICK_SEVERAL, 0, "(storage and secret)" },
    { SOTA_FILE_LITTLEFS, "nope", N_TABLE, SOTA_FS_PICK_NO_SUCH, 0, "no partition \"nope\"" },
    { SOTA_FILE_LITTLEFS, "storag", N_TABLE, SOTA_FS_PICK_NO_SUCH, 0, "(storage and secret) with ?partition=" },
    { SOTA_FILE_LITTLEFS, "www", N_TABLE, SOTA_FS_PICK_WRONG_TYPE, 0, "\"www\" is a data spiffs partition" },
    { SOTA_FILE_LITTLEFS, "nvs", N_TABLE, SOTA_FS_PICK_WRONG_TYPE, 0, "a data nvs partition" },
    { SOTA_FILE_LITTLEFS, "ota_0", N_TABLE, SOTA_FS_PICK_WRONG_TYPE, 0, "an app ota_0 partition" },
    { SOTA_FILE_LITTLEFS, "secret", N_TABLE, SOTA_FS_PICK_UNWRITABLE, 0, "is encrypted" },
    { SOTA_FILE_SPIFFS, "rom", N_TABLE, SOTA_FS_PICK_UNWRITABLE, 0, "is read-only" },
};

static void test_pick(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_picks / sizeof s_picks[0]; i++) {
        const pick_case_t *c = &s_picks[i];
        char reason[240], advice[200];
        size_t at = 999;
        sota_fs_pick_t r = sota_fs_pick(s_table, c->n, c->kind, c->label, &at, reason,
                                        sizeof reason, advice, sizeof advice);
        if (r != c->want || (r == SOTA_FS_PICK_OK && at != c->index) ||
            (!strstr(reason, c->says) && !strstr(advice, c->says))) {
            fail_msg("case %zu: got %d at %zu '%s' / '%s'", i, r, at, reason, advice);
        }
        assert_true(r == SOTA_FS_PICK_OK ? at < c->n : at == 999);
        assert_true(r == SOTA_FS_PICK_OK || advice[0] != '\0');
    }
}

/* ---- the session on a data partition ---- */

typedef struct {
    fx_slot_t *s;
    int fs_begins, digests;
    size_t index;
    uint32_t size;
    bool had_sha;
    int erases_at_begin;
    bool marked;            /* the device's NVS record: LABEL is being written */
    uint8_t digest[SOTA_SHA256_LEN];
    int refuse;             /* fs_begin returns this (SOTA_UPDATE_FS_REFUSED: the hook) */
} fs_ctx_t;

static int c_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased)
{
    return fx_slot_is_erased(((fs_ctx_t *)ctx)->s, off, len, erased);
}
static int c_erase(void *ctx, uint32_t off, uint32_t len)
{
    fs_ctx_t *c = ctx;
    assert_true(c->marked);   /* recorded before the first erase */
    return fx_slot_erase(c->s, off, len);
}
static int c_write(void *ctx, uint32_t off, const void *d, size_t len)
{
    fs_ctx_t *c = ctx;
    assert_true(c->marked);
    return fx_slot_write(c->s, off, d, len);
}
static int c_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    return fx_slot_read(((fs_ctx_t *)ctx)->s, off, buf, len);
}
static int c_begin(void *ctx)
{
    (void)ctx;
    fail_msg("an app slot was opened for a filesystem image");
    return -1;
}
static int c_finish(void *ctx, char *msg, size_t n)
{
    fs_ctx_t *c = ctx;
    int rc = fx_slot_finish(c->s, msg, n);
    if (!rc) {
        c->marked = false;
    }
    return rc;
}
static void c_abort(void *ctx)
{
    fx_slot_abort(((fs_ctx_t *)ctx)->s);
}
static int c_fs_begin(void *ctx, size_t index, uint32_t size, const uint8_t *sha, char *msg, size_t n)
{
    fs_ctx_t *c = ctx;
    c->fs_begins++;
    c->index = index;
    c->size = size;
    c->had_sha = sha != NULL;
    c->erases_at_begin = c->s->erases;
    if (c->refuse) {
        snprintf(msg, n, "test: the app keeps it mounted");
        return c->refuse;
    }
    c->s->begins++;   /* the slot's order rule: erase and write only after one begin */
    c->marked = true;
    return 0;
}
static int c_fs_digest(void *ctx, const uint8_t sha[SOTA_SHA256_LEN])
{
    fs_ctx_t *c = ctx;
    assert_true(c->marked);
    c->digests++;
    memcpy(c->digest, sha, SOTA_SHA256_LEN);
    return 0;
}

static const sota_update_ops_t s_fs_ops = {
    .begin = c_begin, .is_erased = c_is_erased, .erase = c_erase, .write = c_write,
    .finish = c_finish, .abort = c_abort, .read = c_read, .fs_begin = c_fs_begin,
    .fs_digest = c_fs_digest,
};

static sota_update_cfg_t fs_cfg(uint64_t len, bool exact, const char *label)
{
    sota_update_cfg_t c = fx_slot_cfg(len, exact);
    c.parts = s_table;
    c.n_parts = N_TABLE;
    c.fs_label = label;
    return c;
}

static sota_update_err_t run_fs(sota_update_t *u, fs_ctx_t *c, const sota_update_cfg_t *cfg,
                                const uint8_t *data, size_t len, size_t piece)
{
    return fx_slot_run(u, c, cfg, &s_fs_ops, data, len, piece);
}

static void sha256(const uint8_t *d, size_t len, uint8_t out[SOTA_SHA256_LEN])
{
    sota_sha256_t h;
    assert_int_equal(sota_sha256_start(&h), 0);
    assert_int_equal(sota_sha256_update(&h, d, len), 0);
    assert_int_equal(sota_sha256_finish(&h, out), 0);
}

typedef struct {
    const char *file;
    const char *label;
    size_t index;          /* the partition it goes to */
} ok_case_t;

static const ok_case_t s_ok[] = {
    { "littlefs_32k.bin", NULL, 2 },      /* the only usable littlefs ("secret" is encrypted...) */
    { "littlefs_32k_v2.bin", "storage", 2 },
    { "spiffs_32k.bin", "www", 3 },
    { "fat_64k.bin", "fat1", 4 },         /* exactly the partition */
    { "fat_64k.bin", "fat2", 5 },         /* smaller than it: the rest is erased */
};

/* Every fixture into its partition, at every piece size (raw and multipart), over a
 * partition full of old data: the partition holds the file then 0xFF, the record was
 * set before the first erase and is cleared, the digest is the file's. */
static void test_fs_update_any_split(void **state)
{
    (void)state;
    static const size_t pieces[] = { 1, 7, 255, 4096, 0x2100, 0x2101, 65536 };
    for (size_t i = 0; i < sizeof s_ok / sizeof s_ok[0]; i++) {
        size_t len;
        uint8_t *b = fixture(s_ok[i].file, &len);
        uint8_t want[SOTA_SHA256_LEN];
        sha256(b, len, want);
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            for (int exact = 0; exact < 2; exact++) {
                /* a chip larger than the largest partition (fat2, 128 KiB): its end is checked */
                fs_ctx_t c = { .s = fx_slot_new(0x30000, 0x00) };
                sota_update_t *u = malloc(sizeof *u);
                /* "storage" is the only littlefs partition left without the encrypted one */
                sota_update_cfg_t cfg = fs_cfg(exact ? len : len + 300, exact, s_ok[i].label);
                cfg.n_parts = s_ok[i].label ? N_TABLE : 6;
                sota_update_err_t e = run_fs(u, &c, &cfg, b, len, pieces[k]);
                if (e != SOTA_UPDATE_OK) {
                    fail_msg("%s piece %zu exact %d: %s", s_ok[i].file, pieces[k], exact, u->msg);
                }
                uint32_t psize = s_table[s_ok[i].index].size;
                assert_int_equal(c.fs_begins, 1);
                assert_int_equal(c.index, s_ok[i].index);
                assert_int_equal(c.size, exact ? len : 0);
                assert_int_equal(c.erases_at_begin, 0);
                assert_int_equal(c.digests, 1);
                assert_memory_equal(c.digest, want, sizeof want);
                assert_false(c.marked);
                assert_int_equal(c.s->finishes, 1);
                assert_int_equal(c.s->aborts, 0);
                assert_false(c.s->wrote_unerased);
                assert_memory_equal(c.s->mem, b, len);
                for (uint32_t o = (uint32_t)len; o < psize; o++) {
                    if (c.s->mem[o] != 0xFF) {
                        fail_msg("%s: byte 0x%x of the partition's rest not erased", s_ok[i].file, o);
                    }
                }
                /* nothing past the partition's end */
                assert_int_equal(c.s->mem[psize], 0x00);
                assert_int_equal(fx_slot_max_erased(c.s), 1);
                assert_ptr_equal(sota_update_fs_part(u), &s_table[s_ok[i].index]);
                assert_non_null(strstr(u->msg, s_table[s_ok[i].index].label));
                assert_non_null(strstr(u->msg, "read it back"));
                free(u);
                fx_slot_free(c.s);
            }
        }
        free(b);
    }
}

/* The erase-ahead is the app path's: a blank partition is not erased at all; one full of
 * old data gets one 64 KiB block erase per whole block, sector erases otherwise. */
static void test_fs_erase_ahead(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = fixture("fat_64k.bin", &len);
    for (int dirty = 0; dirty < 2; dirty++) {
        fs_ctx_t c = { .s = fx_slot_new(0x20000, dirty ? 0x00 : 0xFF) };
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t cfg = fs_cfg(len, true, "fat2");
        assert_int_equal(run_fs(u, &c, &cfg, b, len, 4096), SOTA_UPDATE_OK);
        assert_int_equal(c.s->block_erases, dirty ? 2 : 0);   /* the file's block, the rest */
        assert_int_equal(c.s->sector_erases, 0);
        assert_int_equal(u->stats.blocks_erased, dirty ? 2 : 0);
        free(u);
        fx_slot_free(c.s);
    }
    free(b);
}

typedef struct {
    const char *name;
    const char *file;       /* NULL: an app image */
    const char *label;
    size_t n_parts;
    bool exact;
    sota_update_err_t want;
    int status;
    const char *code;
    const char *says;
} refuse_case_t;

static const refuse_case_t s_refuse[] = {
    { "no littlefs partition", "littlefs_32k.bin", NULL, 2, true, SOTA_UPDATE_ERR_NOT_APP, 415,
      "not_app_image", "no littlefs data partition" },
    { "no partitions at all", "spiffs_32k.bin", NULL, 0, true, SOTA_UPDATE_ERR_NOT_APP, 415,
      "not_app_image", "This is a SPIFFS filesystem image" },
    { "unknown label", "littlefs_32k.bin", "nope", N_TABLE, true, SOTA_UPDATE_ERR_NO_PARTITION,
      404, "no_such_partition", "no partition \"nope\"" },
    { "wrong type", "littlefs_32k.bin", "www", N_TABLE, true, SOTA_UPDATE_ERR_WRONG_PARTITION, 422,
      "wrong_partition", "\"www\" is a data spiffs partition" },
    { "several", "fat_64k.bin", NULL, N_TABLE, true, SOTA_UPDATE_ERR_CHOOSE_PARTITION, 400,
      "choose_partition", "fat1 and fat2" },
    { "encrypted", "littlefs_32k.bin", "secret", N_TABLE, true, SOTA_UPDATE_ERR_WRONG_PARTITION,
      422, "wrong_partition", "encrypted" },
    { "too big", "littlefs_64k.bin", "storage", N_TABLE, true, SOTA_UPDATE_ERR_TOO_BIG, 413,
      "too_big", "holds 32768 bytes" },
    { "too big, multipart", "littlefs_64k.bin", "storage", N_TABLE, false, SOTA_UPDATE_ERR_TOO_BIG,
      413, "too_big", "holds 32768 bytes" },
    { "fat too big", "fat_64k.bin", "www", 4, true, SOTA_UPDATE_ERR_WRONG_PARTITION, 422,
      "wrong_partition", "spiffs" },
    { "truncated", "littlefs_32k_truncated.bin", "storage", N_TABLE, true, SOTA_UPDATE_ERR_VERIFY,
      422, "verify_failed", "truncated" },
    { "smaller than the partition", "littlefs_32k.bin", "storage64", 0, true,
      SOTA_UPDATE_ERR_WRONG_PARTITION, 422, "wrong_partition", "would not mount there" },
    { "app with ?partition=", NULL, "storage", N_TABLE, true, SOTA_UPDATE_ERR_WRONG_PARTITION, 422,
      "wrong_partition", "Leave ?partition= out" },
};

/* Every refusal on the head: nothing opened, erased or written; the status and code;
 * the same verdict from the pre-check. */
static void test_fs_refusals(void **state)
{
    (void)state;
    static const sota_fs_part_t big[] = { { "storage64", 1, 0x83, 0x10000, false, false } };
    for (size_t i = 0; i < sizeof s_refuse / sizeof s_refuse[0]; i++) {
        const refuse_case_t *r = &s_refuse[i];
        size_t len;
        uint8_t *b;
        if (r->file) {
            b = fixture(r->file, &len);
        } else {
            imagegen_opts_t o;
            imagegen_defaults(&o);
            assert_int_equal(imagegen_build(&o, &b, &len), IMAGEGEN_OK);
        }
        for (size_t piece = 1; piece <= 0x2101; piece = piece * 3 + 1) {
            fs_ctx_t c = { .s = fx_slot_new(0x20000, 0x00) };
            sota_update_t *u = malloc(sizeof *u);
            sota_update_cfg_t cfg = fs_cfg(r->exact ? len : len + 200, r->exact, r->label);
            cfg.n_parts = r->n_parts;
            if (!strcmp(r->name, "smaller than the partition")) {
                cfg.parts = big;
                cfg.n_parts = 1;
            }
            sota_update_err_t e = run_fs(u, &c, &cfg, b, len, piece);
            if (e != r->want || !strstr(u->msg, r->says)) {
                fail_msg("%s (piece %zu): %s '%s'", r->name, piece, sota_update_err_code(e), u->msg);
            }
            assert_int_equal(sota_update_http_status(e), r->status);
            assert_string_equal(sota_update_err_code(e), r->code);
            /* truncated multipart bodies are found at the end, after the writes; every
             * other refusal comes before anything is opened */
            assert_int_equal(c.fs_begins, 0);
            assert_int_equal(c.s->erases, 0);
            assert_int_equal(c.s->writes, 0);
            free(u);
            fx_slot_free(c.s);
        }
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t cfg = fs_cfg(len, true, r->label);
        cfg.n_parts = r->n_parts;
        if (!strcmp(r->name, "smaller than the partition")) {
            cfg.parts = big;
            cfg.n_parts = 1;
        }
        if (r->exact) {
            assert_int_equal(sota_update_precheck(u, &cfg, b, len), r->want);
        }
        free(u);
        free(b);
    }
}

/* Failures after the partition was opened leave it recorded as being written. */
static void test_fs_failures_keep_record(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = fixture("littlefs_32k.bin", &len);
    uint8_t good[SOTA_SHA256_LEN], bad[SOTA_SHA256_LEN];
    sha256(b, len, good);
    memcpy(bad, good, sizeof bad);
    bad[31] ^= 1;
    /* TRUNC_MULTIPART: a form whose announced bound covers the whole filesystem but whose
     * file part ends early (found at the end); TRUNC_BOUND: a form whose whole body is
     * smaller than the filesystem (refused on the head, nothing erased). */
    enum { SHA_OK, SHA_BAD, READ_FAILS, WRITE_FAILS, CUT_OFF, HOOK, TRUNC_MULTIPART, TRUNC_BOUND };
    for (int k = SHA_OK; k <= TRUNC_BOUND; k++) {
        fs_ctx_t c = { .s = fx_slot_new(0x20000, 0x00) };
        sota_update_t *u = malloc(sizeof *u);
        bool multipart = k == TRUNC_MULTIPART || k == TRUNC_BOUND;
        sota_update_cfg_t cfg = fs_cfg(k == TRUNC_BOUND ? 20480 + 300 : len, !multipart, "storage");
        cfg.fs_sha = k == SHA_OK ? good : k == SHA_BAD ? bad : NULL;
        c.s->fail_read_at = k == READ_FAILS ? 0x1000 : 0;
        c.s->fail_write_at = k == WRITE_FAILS ? 3 : 0;
        c.refuse = k == HOOK ? SOTA_UPDATE_FS_REFUSED : 0;
        size_t send = k == CUT_OFF ? len - 100 : multipart ? 20480 : len;
        sota_update_err_t e = run_fs(u, &c, &cfg, b, send, 1000);
        static const sota_update_err_t want[] = {
            SOTA_UPDATE_OK, SOTA_UPDATE_ERR_MISMATCH, SOTA_UPDATE_ERR_FLASH, SOTA_UPDATE_ERR_FLASH,
            SOTA_UPDATE_ERR_VERIFY, SOTA_UPDATE_ERR_REFUSED, SOTA_UPDATE_ERR_VERIFY, SOTA_UPDATE_ERR_VERIFY,
        };
        if (e != want[k]) {
            fail_msg("case %d: %s '%s'", k, sota_update_err_code(e), u->msg);
        }
        assert_true(c.had_sha == (k == SHA_OK || k == SHA_BAD));
        if (k == SHA_OK) {
            assert_false(c.marked);
        } else if (k == HOOK) {
            assert_false(c.marked);
            assert_int_equal(c.s->erases + c.s->writes, 0);
            assert_non_null(strstr(u->msg, "the app keeps it mounted"));
            assert_int_equal(sota_update_http_status(e), 409);
        } else if (k == TRUNC_BOUND) {
            assert_false(c.marked);
            assert_int_equal(c.s->erases + c.s->writes, 0);
            if (!strstr(u->msg, "is at most 20780 bytes") || !strstr(u->msg, "truncated")) {
                fail_msg("TRUNC_BOUND: %s", u->msg);
            }
            assert_int_equal(sota_update_http_status(e), 422);
        } else {
            assert_true(c.marked);   /* never reported as fine */
            assert_int_equal(c.s->aborts, 1);
            assert_int_equal(c.s->finishes, 0);
            assert_non_null(strstr(u->msg, k == SHA_BAD ? "X-Sota-SHA256" : k == CUT_OFF
                                                     ? "cut off" : k == TRUNC_MULTIPART
                                                     ? "truncated" : "incomplete"));
        }
        free(u);
        fx_slot_free(c.s);
    }
    free(b);
}

/* A raw filesystem upload that breaks off can be kept and resumed like an app's: the
 * partition ends up holding exactly the file, no sector erased twice. */
static void test_fs_resume(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = fixture("spiffs_32k.bin", &len);
    static const size_t cuts[] = { 0x2100, 0x2101, 0x4000, 0x7FFF };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        fs_ctx_t c = { .s = fx_slot_new(0x20000, 0x00) };
        sota_update_t *u = malloc(sizeof *u);
        sota_update_cfg_t cfg = fs_cfg(len, true, NULL);
        cfg.n_parts = 4;
        sota_update_init(u, &cfg, &s_fs_ops, &c);
        assert_int_equal(sota_update_feed(u, b, cuts[i]), SOTA_UPDATE_OK);
        assert_true(sota_update_keepable(u));
        uint8_t proof[SOTA_SHA256_LEN];
        sha256(b, SOTA_UPDATE_PROOF_LEN, proof);
        assert_int_equal(sota_update_resume_check(u, cuts[i], len, proof), SOTA_UPDATE_OK);
        uint32_t off = sota_update_offset(u);
        assert_int_equal(off, cuts[i]);
        assert_int_equal(sota_update_feed(u, b + off, len - off), SOTA_UPDATE_OK);
        assert_int_equal(sota_update_finish(u), SOTA_UPDATE_OK);
        assert_memory_equal(c.s->mem, b, len);
        assert_int_equal(fx_slot_max_erased(c.s), 1);
        assert_false(c.marked);
        free(u);
        fx_slot_free(c.s);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_params),
        cmocka_unit_test(test_ident_damaged),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_fs_update_any_split),
        cmocka_unit_test(test_fs_erase_ahead),
        cmocka_unit_test(test_fs_refusals),
        cmocka_unit_test(test_fs_failures_keep_record),
        cmocka_unit_test(test_fs_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
