/* Binary side of the partition table codec (host/ptable): reading as gen_esp32part does,
 * the bootloader's esp_partition_table_verify, the table checks of a read binary, CSV
 * output formatting, the entry layout, and the look-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/md5.h>
#include <mbedtls/version.h>

#include "ptable.h"

#define MIB (1024u * 1024u)
#define SLOTS (PT_MAX_LEN / PT_ENTRY_LEN)

/* ---- building binaries -------------------------------------------------------------- */

typedef enum {
    R_DONE = 0,  /* end of the row list */
    R_ENTRY,     /* AA 50 entry */
    R_MD5,       /* EB EB row with the MD5 of the entry rows before it */
    R_BAD_MD5,   /* EB EB row with a wrong MD5 */
    R_END4,      /* FF FF FF FF then zeros: the bootloader's end, not gen_esp32part's */
    R_MAGIC,     /* an entry with magic 0x1234 */
    R_ENTRIES96, /* entries in all 96 slots */
} row_kind_t;

typedef struct {
    row_kind_t kind;
    uint8_t type, subtype;
    uint32_t offset, size;
    const char *label;
    uint32_t flags;
} brow_t;

static void md5_of(const uint8_t *p, size_t n, uint8_t out[16])
{
#if MBEDTLS_VERSION_MAJOR >= 3
    assert_int_equal(mbedtls_md5(p, n, out), 0);
#else
    assert_int_equal(mbedtls_md5_ret(p, n, out), 0);
#endif
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_entry(uint8_t *p, uint16_t magic, const brow_t *r)
{
    memset(p, 0, PT_ENTRY_LEN);
    p[0] = (uint8_t)magic;
    p[1] = (uint8_t)(magic >> 8);
    p[2] = r->type;
    p[3] = r->subtype;
    put32(p + 4, r->offset);
    put32(p + 8, r->size);
    if (r->label) {
        memcpy(p + 12, r->label, strnlen(r->label, 16));
    }
    put32(p + 28, r->flags);
}

/* Writes rows into a PT_MAX_LEN buffer filled with fill. */
static void build(uint8_t *bin, const brow_t *rows, uint8_t fill)
{
    memset(bin, fill, PT_MAX_LEN);
    uint8_t hashed[PT_MAX_LEN];
    size_t nh = 0, at = 0;
    for (const brow_t *r = rows; r->kind != R_DONE; r++) {
        uint8_t *p = bin + at;
        switch (r->kind) {
        case R_ENTRY:
            put_entry(p, PT_MAGIC, r);
            memcpy(hashed + nh, p, PT_ENTRY_LEN);
            nh += PT_ENTRY_LEN;
            break;
        case R_MAGIC:
            put_entry(p, 0x1234, r);
            break;
        case R_MD5:
        case R_BAD_MD5:
            memset(p, 0xFF, PT_ENTRY_LEN);
            p[0] = p[1] = 0xEB;
            md5_of(hashed, nh, p + 16);
            if (r->kind == R_BAD_MD5) {
                p[31] ^= 1;
            }
            break;
        case R_END4:
            memset(p, 0, PT_ENTRY_LEN);
            memset(p, 0xFF, 4);
            break;
        case R_ENTRIES96:
            for (unsigned i = 0; i < SLOTS; i++) {
                brow_t e = { R_ENTRY, 1, 0x81, 0x10000 + i * 0x1000, 0x1000, NULL, 0 };
                char label[8];
                snprintf(label, sizeof label, "p%u", i);
                e.label = label;
                put_entry(bin + i * PT_ENTRY_LEN, PT_MAGIC, &e);
            }
            at = PT_MAX_LEN - PT_ENTRY_LEN;
            break;
        case R_DONE:
            break;
        }
        at += PT_ENTRY_LEN;
    }
}

/* ---- reading: gen_esp32part's view and the bootloader's, side by side ---------------- */

#define E(t, s, o, z, l) { R_ENTRY, t, s, o, z, l, 0 }
#define NVS E(1, 2, 0x9000, 0x6000, "nvs")
#define FACTORY E(0, 0, 0x10000, 0x100000, "factory")

typedef struct {
    const char *name;
    brow_t rows[6];
    bool fill_zero;          /* what follows the rows: 0x00, else 0xFF */
    size_t len;              /* bytes given; 0 = PT_MAX_LEN */
    uint32_t flash;          /* flash size for the bootloader check */
    const char *gen_error;   /* pt_from_bin: NULL = accepted */
    unsigned gen_count;
    bool gen_md5;
    const char *boot_error;  /* pt_verify_like_bootloader: NULL = accepted */
    unsigned boot_count;
} bin_case_t;

static const bin_case_t s_bin_cases[] = {
    { .name = "with_md5", .rows = { NVS, FACTORY, { .kind = R_MD5 } }, .flash = 4 * MIB,
      .gen_count = 2, .gen_md5 = true, .boot_count = 2 },
    { .name = "without_md5", .rows = { NVS, FACTORY }, .flash = 4 * MIB,
      .gen_count = 2, .boot_count = 2 },
    { .name = "bad_md5", .rows = { NVS, FACTORY, { .kind = R_BAD_MD5 } }, .flash = 4 * MIB,
      .gen_error = "MD5 checksums don't match!", .boot_error = "Incorrect MD5 checksum" },
    { .name = "md5_only", .rows = { { .kind = R_MD5 } }, .flash = 4 * MIB,
      .gen_count = 0, .gen_md5 = true, .boot_count = 0 },
    { .name = "md5_first", .rows = { { .kind = R_MD5 }, NVS }, .flash = 4 * MIB,
      .gen_count = 1, .gen_md5 = true, .boot_count = 1 },
    { .name = "empty_table", .rows = { { .kind = R_DONE } }, .flash = 4 * MIB,
      .gen_count = 0, .boot_error = "partition 0 invalid magic number 0xffff" },
    { .name = "no_end_marker_96", .rows = { { .kind = R_ENTRIES96 } }, .flash = 4 * MIB,
      .gen_error = "Partition table is missing an end-of-table marker",
      .boot_error = "partition table has no terminating entry" },
    { .name = "no_end_marker_short", .rows = { NVS, FACTORY }, .len = 64, .flash = 4 * MIB,
      .gen_error = "Partition table is missing an end-of-table marker",
      .boot_error = "truncated" },
    { .name = "zeros_after", .rows = { NVS, FACTORY }, .fill_zero = true, .flash = 4 * MIB,
      .gen_error = "Invalid magic bytes (b'\\x00\\x00')",
      .boot_error = "partition 2 invalid magic number 0x0" },
    { .name = "bad_magic", .rows = { NVS, { R_MAGIC, 1, 0x81, 0x10000, 0x1000, "x", 0 } },
      .flash = 4 * MIB, .gen_error = "Invalid magic bytes (b'4\\x12') for partition definition",
      .boot_error = "partition 1 invalid magic number 0x1234" },
    { .name = "end_is_four_ff_bytes", .rows = { NVS, { .kind = R_END4 } }, .flash = 4 * MIB,
      .gen_error = "Invalid magic bytes (b'\\xff\\xff')", .boot_count = 1 },
    { .name = "two_md5_rows", .rows = { NVS, { .kind = R_MD5 }, { .kind = R_MD5 } }, .flash = 4 * MIB,
      .gen_count = 1, .gen_md5 = true, .boot_error = "Only one MD5 checksum is allowed" },
    { .name = "length_not_multiple_of_32", .rows = { NVS }, .fill_zero = true, .len = 37,
      .flash = 4 * MIB, .gen_error = "Partition table length must be a multiple of 32 bytes",
      .boot_error = "truncated" },
    { .name = "ends_at_flash_end", .rows = { E(0, 0, 0x3F0000, 0x10000, "a") }, .flash = 4 * MIB,
      .gen_count = 1, .boot_count = 1 },
    { .name = "one_sector_past_flash_end", .rows = { E(0, 0, 0x3F0000, 0x11000, "a") },
      .flash = 4 * MIB, .gen_count = 1,
      .boot_error = "partition 0 invalid - offset 0x3f0000 size 0x11000 exceeds flash chip size "
                    "0x400000" },
    { .name = "offset_at_flash_end", .rows = { NVS, E(1, 0x81, 0x400000, 0, "a") },
      .flash = 4 * MIB, .gen_count = 2, .boot_count = 2 },
    { .name = "offset_past_flash_end", .rows = { NVS, E(1, 0x81, 0x401000, 0, "a") },
      .flash = 4 * MIB, .gen_count = 2, .boot_error = "partition 1 invalid - offset 0x401000" },
    /* the bootloader adds offset + size in 32 bits: a size that wraps to 0 passes */
    { .name = "size_wraps_32_bits", .rows = { E(1, 0x81, 0x10000, 0xFFFF0000u, "a") },
      .flash = 4 * MIB, .gen_count = 1, .boot_count = 1 },
    { .name = "no_flash_size_no_check", .rows = { E(1, 0x81, 0x10000000, 0x100000, "a") },
      .flash = 0, .gen_count = 1, .boot_count = 1 },
    { .name = "label_16_no_nul", .rows = { E(1, 0x81, 0x9000, 0x1000, "abcdefghijklmnop") },
      .flash = 4 * MIB, .gen_count = 1, .boot_count = 1 },
    { .name = "label_not_utf8", .rows = { E(1, 0x81, 0x9000, 0x1000, "ab\xff") },
      .flash = 4 * MIB, .gen_error = "not UTF-8", .boot_count = 1 },
    { .name = "unknown_flag_bits", .rows = { { R_ENTRY, 1, 0x81, 0x9000, 0x1000, "a", 0x12 } },
      .flash = 4 * MIB, .gen_count = 1, .boot_count = 1 },
};

/* With SOTA_PTABLE_DUMP=DIR, each case is also written to DIR/NAME.bin so that it can be
 * compared with gen_esp32part.py (which reads a file as binary when it starts AA 50). */
static void dump_bin(const char *name, const uint8_t *bin, size_t len)
{
    const char *dir = getenv("SOTA_PTABLE_DUMP");
    if (!dir) {
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bin, 1, len, f), len);
    fclose(f);
}

static void test_bin_cases(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof s_bin_cases / sizeof s_bin_cases[0]; k++) {
        const bin_case_t *c = &s_bin_cases[k];
        uint8_t bin[PT_MAX_LEN];
        build(bin, c->rows, c->fill_zero ? 0x00 : 0xFF);
        size_t len = c->len ? c->len : PT_MAX_LEN;
        dump_bin(c->name, bin, len);
        ptable_t g, b;
        char gerr[512] = "", berr[512] = "";
        int grc = pt_from_bin(bin, len, &g, gerr, sizeof gerr);
        int brc = pt_verify_like_bootloader(bin, len, c->flash, &b, berr, sizeof berr);
        if (c->gen_error ? (grc == 0 || !strstr(gerr, c->gen_error)) : grc != 0) {
            print_error("%s: pt_from_bin rc %d '%s', expected '%s'\n", c->name, grc, gerr,
                        c->gen_error ? c->gen_error : "accepted");
            fail();
        }
        if (c->boot_error ? (brc == 0 || !strstr(berr, c->boot_error)) : brc != 0) {
            print_error("%s: bootloader rc %d '%s', expected '%s'\n", c->name, brc, berr,
                        c->boot_error ? c->boot_error : "accepted");
            fail();
        }
        if (grc == 0) {
            assert_int_equal(g.count, c->gen_count);
            assert_int_equal(g.has_md5, c->gen_md5);
        } else {
            assert_int_equal(g.count, 0);
        }
        if (brc == 0) {
            assert_int_equal(b.count, c->boot_count);
        } else {
            assert_int_equal(b.count, 0);
        }
        /* both read the same entries, field by field */
        if (grc == 0 && brc == 0) {
            for (unsigned i = 0; i < g.count; i++) {
                assert_string_equal(g.e[i].label, b.e[i].label);
                assert_int_equal(g.e[i].type, b.e[i].type);
                assert_int_equal(g.e[i].subtype, b.e[i].subtype);
                assert_int_equal(g.e[i].offset, b.e[i].offset);
                assert_int_equal(g.e[i].size, b.e[i].size);
                assert_int_equal(g.e[i].flags, b.e[i].flags);
            }
        }
        /* the bootloader check works without an output table too */
        assert_int_equal(pt_verify_like_bootloader(bin, len, c->flash, NULL, berr, sizeof berr),
                         brc);
    }
}

static void test_bin_fields(void **state)
{
    (void)state;
    const brow_t rows[] = {
        { R_ENTRY, 0x40, 0x99, 0x12345000, 0xABCDE, "abcdefghijklmnop", 0x12 },
        { R_ENTRY, 0, 0x1f, 0x20000, 0x10000, "ota_15", 3 },
        { .kind = R_MD5 },
        { .kind = R_DONE },
    };
    uint8_t bin[PT_MAX_LEN];
    build(bin, rows, 0xFF);
    ptable_t t;
    char err[256];
    assert_int_equal(pt_from_bin(bin, sizeof bin, &t, err, sizeof err), 0);
    assert_int_equal(t.count, 2);
    assert_string_equal(t.e[0].label, "abcdefghijklmnop");
    assert_int_equal(t.e[0].type, 0x40);
    assert_int_equal(t.e[0].subtype, 0x99);
    assert_int_equal(t.e[0].offset, 0x12345000);
    assert_int_equal(t.e[0].size, 0xABCDE);
    assert_int_equal(t.e[0].flags, 0x12); /* unknown bits kept */
    assert_string_equal(t.e[1].label, "ota_15");
    assert_int_equal(t.e[1].flags, 3);
    /* written back: the same bytes (flags as stored, 16-byte label without NUL) */
    uint8_t again[PT_MAX_LEN];
    assert_int_equal(pt_to_bin(&t, NULL, again, err, sizeof err), 0);
    assert_memory_equal(again, bin, PT_MAX_LEN);
}

/* The entry layout, byte by byte (ESP-FORMATS.md 1). */
static void test_entry_layout(void **state)
{
    (void)state;
    ptable_t t = { .count = 1 };
    strcpy(t.e[0].label, "nvs");
    t.e[0].type = 1;
    t.e[0].subtype = 2;
    t.e[0].offset = 0x9000;
    t.e[0].size = 0x6000;
    t.e[0].flags = PT_FLAG_READONLY;
    uint8_t bin[PT_MAX_LEN];
    char err[128];
    pt_opts_t o = { .no_md5 = true };
    assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
    static const uint8_t want[32] = {
        0xAA, 0x50, 0x01, 0x02, 0x00, 0x90, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00,
        'n', 'v', 's', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x02, 0x00, 0x00, 0x00,
    };
    assert_memory_equal(bin, want, sizeof want);
    for (size_t i = 32; i < PT_MAX_LEN; i++) {
        assert_int_equal(bin[i], 0xFF);
    }
    /* with MD5: EB EB, 14 x FF, MD5 of the 32 entry bytes */
    assert_int_equal(pt_to_bin(&t, NULL, bin, err, sizeof err), 0);
    uint8_t digest[16];
    md5_of(want, sizeof want, digest);
    assert_int_equal(bin[32], 0xEB);
    assert_int_equal(bin[33], 0xEB);
    for (size_t i = 34; i < 48; i++) {
        assert_int_equal(bin[i], 0xFF);
    }
    assert_memory_equal(bin + 48, digest, 16);
    assert_int_equal(bin[64], 0xFF);
}

/* --disable-md5sum on a binary: an MD5 row is just a bad entry, as in gen_esp32part. */
static void test_bin_no_md5_option(void **state)
{
    (void)state;
    const brow_t rows[] = { NVS, { .kind = R_MD5 }, { .kind = R_DONE } };
    uint8_t bin[PT_MAX_LEN];
    build(bin, rows, 0xFF);
    ptable_t t;
    char err[256] = "";
    pt_opts_t o = { .no_md5 = true };
    assert_int_equal(pt_from_bin_ex(bin, sizeof bin, &o, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "Invalid magic bytes (b'\\xeb\\xeb')"));
    assert_int_equal(pt_from_bin_ex(bin, sizeof bin, NULL, &t, err, sizeof err), 0);
    assert_int_equal(t.count, 1);
}

typedef struct {
    char text[1024];
} messages_t;

static void collect(void *ctx, const char *msg)
{
    messages_t *m = ctx;
    size_t n = strlen(m->text);
    snprintf(m->text + n, sizeof m->text - n, "%s\n", msg);
}

static void test_unknown_flags_warn(void **state)
{
    (void)state;
    const brow_t rows[] = { { R_ENTRY, 1, 0x81, 0x9000, 0x1000, "a", 0x12 }, { .kind = R_DONE } };
    uint8_t bin[PT_MAX_LEN];
    build(bin, rows, 0xFF);
    messages_t m = { "" };
    pt_opts_t o = { .warn = collect, .warn_ctx = &m };
    ptable_t t;
    char err[128];
    assert_int_equal(pt_from_bin_ex(bin, sizeof bin, &o, &t, err, sizeof err), 0);
    assert_non_null(strstr(m.text, "unknown flag(s) 0x00000010"));
}

/* A longer buffer (a whole sector) with more than 95 entries and an end marker. */
static void test_bin_more_than_95_entries(void **state)
{
    (void)state;
    uint8_t big[0x1000];
    memset(big, 0xFF, sizeof big);
    for (unsigned i = 0; i < 100; i++) {
        brow_t e = { R_ENTRY, 1, 0x81, 0x10000 + i * 0x1000, 0x1000, "p", 0 };
        put_entry(big + i * PT_ENTRY_LEN, PT_MAGIC, &e);
    }
    ptable_t t;
    char err[256] = "";
    assert_int_equal(pt_from_bin(big, sizeof big, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "More than 95 partition entries"));
    assert_int_equal(pt_verify_like_bootloader(big, sizeof big, 4 * MIB, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "no terminating entry"));
}

/* ---- checks of a read table (what `sota ptable BIN` runs) ------------------------------ */

typedef struct {
    const char *name;
    pt_entry_t rows[4];
    unsigned count;
    uint32_t flash_size, table_offset;
    const char *error; /* NULL: passes */
} check_case_t;

static const check_case_t s_checks[] = {
    { .name = "ok", .count = 2, .flash_size = 4 * MIB,
      .rows = { { "nvs", 1, 2, 0x9000, 0x6000, 0 }, { "factory", 0, 0, 0x10000, 0x100000, 0 } } },
    { .name = "at_table_end", .count = 1, .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 } } },
    { .name = "in_table_sector", .count = 1, .rows = { { "a", 1, 0x81, 0x8000, 0x1000, 0 } },
      .error = "Partition offset 0x8000 is below 0x9000" },
    { .name = "below_other_table_offset", .count = 1, .table_offset = 0x10000,
      .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 } },
      .error = "Partition offset 0x9000 is below 0x11000" },
    { .name = "primary_bootloader_below_table", .count = 2,
      .rows = { { "bl", 2, 0, 0x1000, 0x7000, 0 }, { "a", 1, 0x81, 0x9000, 0x1000, 0 } } },
    { .name = "overlap", .count = 2,
      .rows = { { "a", 1, 0x81, 0x9000, 0x2000, 0 }, { "b", 1, 0x81, 0xa000, 0x1000, 0 } },
      .error = "Partition at 0xa000 overlaps 0x9000-0xafff" },
    { .name = "overlap_out_of_order", .count = 2,
      .rows = { { "b", 1, 0x81, 0xa000, 0x1000, 0 }, { "a", 1, 0x81, 0x9000, 0x2000, 0 } },
      .error = "Partition at 0xa000 overlaps 0x9000-0xafff" },
    { .name = "app_misaligned", .count = 1, .rows = { { "a", 0, 0, 0x11000, 0x10000, 0 } },
      .error = "Partition a invalid: Offset 0x11000 is not aligned to 0x10000" },
    { .name = "same_label", .count = 2,
      .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 }, { "a", 1, 0x81, 0xa000, 0x1000, 0 } },
      .error = "Partition names must be unique" },
    { .name = "flash_full", .count = 1, .flash_size = 4 * MIB,
      .rows = { { "a", 0, 0, 0x10000, 0x3F0000, 0 } } },
    { .name = "flash_over", .count = 1, .flash_size = 4 * MIB,
      .rows = { { "a", 0, 0, 0x10000, 0x400000, 0 } },
      .error = "Partitions tables occupies 4.1MB of flash (4259840 bytes)" },
    { .name = "otadata_size", .count = 1, .rows = { { "otadata", 1, 0, 0x9000, 0x1000, 0 } },
      .error = "otadata partition must have size = 0x2000" },
    { .name = "small_nvs_rw", .count = 1, .rows = { { "nvs", 1, 2, 0x9000, 0x1000, 0 } },
      .error = "must be flagged as 'readonly'" },
};

static void test_check_cases(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof s_checks / sizeof s_checks[0]; k++) {
        const check_case_t *c = &s_checks[k];
        static ptable_t t;
        memset(&t, 0, sizeof t);
        memcpy(t.e, c->rows, sizeof c->rows);
        t.count = c->count;
        pt_opts_t o = { .flash_size = c->flash_size, .table_offset = c->table_offset };
        char err[512] = "";
        int rc = pt_check(&t, &o, err, sizeof err);
        if (c->error ? (rc == 0 || !strstr(err, c->error)) : rc != 0) {
            print_error("%s: rc %d '%s', expected '%s'\n", c->name, rc, err,
                        c->error ? c->error : "pass");
            fail();
        }
    }
}

/* ---- CSV output ----------------------------------------------------------------------- */

static void test_to_csv_format(void **state)
{
    (void)state;
    static const pt_entry_t rows[] = {
        { "zero", 1, 0x81, 0x9000, 0, 0 },
        { "k", 1, 0x82, 0xa000, 0x400, PT_FLAG_ENCRYPTED },
        { "m", 0, 0x11, 0x10000, 0x100000, PT_FLAG_READONLY },
        { "kk", 1, 0x83, 0x110000, 0x180000, PT_FLAG_ENCRYPTED | PT_FLAG_READONLY },
        { "odd", 1, 0x06, 0x290000, 0x1001, 0x12 },
        { "custom", 0x40, 0x07, 0x300000, 0x40000000, 0 },
        { "unknownsub", 1, 0x99, 0x301000, 0xFFFFFFFFu, 0 },
        { "bl", 2, 2, 0x1000, 0x7000, 0 },
        { "pt", 3, 1, 0x8000, 0x1000, 0 },
        { "abcdefghijklmnop", 0, 0x31, 0x400000, 0x2000, 0 },
    };
    ptable_t t = { .count = sizeof rows / sizeof rows[0] };
    memcpy(t.e, rows, sizeof rows);
    const char *want =
        "# ESP-IDF Partition Table\n"
        "# Name, Type, SubType, Offset, Size, Flags\n"
        "zero,data,fat,0x9000,0M,\n"
        "k,data,spiffs,0xa000,1K,encrypted\n"
        "m,app,ota_1,0x10000,1M,readonly\n"
        "kk,data,littlefs,0x110000,1536K,encrypted:readonly\n"
        "odd,data,undefined,0x290000,0x1001,readonly\n"
        "custom,64,7,0x300000,1024M,\n"
        "unknownsub,data,153,0x301000,0xffffffff,\n"
        "bl,bootloader,recovery,0x1000,28K,\n"
        "pt,partition_table,ota,0x8000,4K,\n"
        "abcdefghijklmnop,app,tee_1,0x400000,8K,\n";
    char out[PT_CSV_MAX];
    int n = pt_to_csv(&t, out, sizeof out);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
    /* the buffer limit: length + NUL fits (N), one byte less does not (N-1) */
    char exact[1024];
    assert_int_equal(pt_to_csv(&t, exact, (size_t)n + 1), n);
    assert_string_equal(exact, want);
    assert_int_equal(pt_to_csv(&t, exact, (size_t)n), -1);
    /* an empty table is the two header lines */
    ptable_t empty = { .count = 0 };
    assert_int_equal(pt_to_csv(&empty, out, sizeof out), 69);
}

/* The largest possible CSV fits in PT_CSV_MAX. */
static void test_to_csv_max(void **state)
{
    (void)state;
    static ptable_t t;
    t.count = PT_MAX_ENTRIES;
    for (unsigned i = 0; i < PT_MAX_ENTRIES; i++) {
        memset(t.e[i].label, 'x', 16);
        t.e[i].label[16] = '\0';
        t.e[i].type = 3;
        t.e[i].subtype = 0xFF;
        t.e[i].offset = 0xFFFFFFFFu;
        t.e[i].size = 0xFFFFFFFFu;
        t.e[i].flags = 3;
    }
    static char out[PT_CSV_MAX];
    assert_true(pt_to_csv(&t, out, sizeof out) > 0);
}

/* ---- look-ups ------------------------------------------------------------------------- */

static void test_lookups(void **state)
{
    (void)state;
    ptable_t t = { .count = 4 };
    t.e[0] = (pt_entry_t){ "nvs", 1, 2, 0x9000, 0x6000, 0 };
    t.e[1] = (pt_entry_t){ "ota_0", 0, 0x10, 0x10000, 0x100000, 0 };
    t.e[2] = (pt_entry_t){ "second", 0, 0x10, 0x110000, 0x100000, 0 };
    t.e[3] = (pt_entry_t){ "abcdefghijklmnop", 1, 0x81, 0x210000, 0x1000, 0 };
    assert_ptr_equal(pt_find(&t, PT_TYPE_APP, PT_SUBTYPE_OTA_0), &t.e[1]); /* the first */
    assert_ptr_equal(pt_find(&t, PT_TYPE_DATA, 2), &t.e[0]);
    assert_null(pt_find(&t, PT_TYPE_APP, PT_SUBTYPE_FACTORY));
    assert_ptr_equal(pt_find_label(&t, "second"), &t.e[2]);
    assert_ptr_equal(pt_find_label(&t, "abcdefghijklmnop"), &t.e[3]);
    assert_null(pt_find_label(&t, "abcdefghijklmnopq"));
    assert_null(pt_find_label(&t, "nv"));
    assert_null(pt_find_label(&t, "factory"));

    static const struct {
        uint8_t type, subtype;
        const char *type_name, *subtype_name;
    } names[] = {
        { 0, 0x00, "app", "factory" }, { 0, 0x10, "app", "ota_0" }, { 0, 0x1f, "app", "ota_15" },
        { 0, 0x20, "app", "test" }, { 0, 0x30, "app", "tee_0" }, { 0, 0x31, "app", "tee_1" },
        { 0, 0x21, "app", NULL }, { 1, 0x00, "data", "ota" }, { 1, 0x01, "data", "phy" },
        { 1, 0x02, "data", "nvs" }, { 1, 0x03, "data", "coredump" }, { 1, 0x04, "data", "nvs_keys" },
        { 1, 0x05, "data", "efuse" }, { 1, 0x06, "data", "undefined" },
        { 1, 0x80, "data", "esphttpd" }, { 1, 0x81, "data", "fat" }, { 1, 0x82, "data", "spiffs" },
        { 1, 0x83, "data", "littlefs" }, { 1, 0x90, "data", "tee_ota" }, { 1, 0x84, "data", NULL },
        { 2, 0x00, "bootloader", "primary" }, { 2, 0x01, "bootloader", "ota" },
        { 2, 0x02, "bootloader", "recovery" }, { 3, 0x00, "partition_table", "primary" },
        { 3, 0x01, "partition_table", "ota" }, { 3, 0x02, "partition_table", NULL },
        { 0x40, 0x00, NULL, NULL }, { 0xFF, 0xFF, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *tn = pt_type_name(names[i].type);
        const char *sn = pt_subtype_name(names[i].type, names[i].subtype);
        if ((tn == NULL) != (names[i].type_name == NULL) ||
            (tn && strcmp(tn, names[i].type_name)) ||
            (sn == NULL) != (names[i].subtype_name == NULL) ||
            (sn && strcmp(sn, names[i].subtype_name))) {
            print_error("0x%x/0x%x: '%s'/'%s'\n", names[i].type, names[i].subtype,
                        tn ? tn : "NULL", sn ? sn : "NULL");
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bin_cases),
        cmocka_unit_test(test_bin_fields),
        cmocka_unit_test(test_entry_layout),
        cmocka_unit_test(test_bin_no_md5_option),
        cmocka_unit_test(test_unknown_flags_warn),
        cmocka_unit_test(test_bin_more_than_95_entries),
        cmocka_unit_test(test_check_cases),
        cmocka_unit_test(test_to_csv_format),
        cmocka_unit_test(test_to_csv_max),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
