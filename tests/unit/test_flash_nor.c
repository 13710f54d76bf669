/* Unit tests of the strict NOR flash emulator (host/flash/nor_flash.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nor_flash.h"

#define CHIP (4u * NOR_BLOCK_SIZE) /* 256 KiB: small and fast, 4 blocks */

/* ---- helpers ---------------------------------------------------------------------- */

static nor_flash_t *mem_chip(void)
{
    nor_err_t err = NOR_ERR_IO;
    nor_flash_t *f = nor_open_mem(CHIP, &err);
    assert_non_null(f);
    assert_int_equal(err, NOR_OK);
    return f;
}

/* Deterministic pattern for contents and program data. */
static uint8_t pat(size_t i, unsigned seed)
{
    return (uint8_t)((i * 131u + seed * 17u + (i >> 8)) ^ 0x5Au);
}

/* The whole chip must equal model; print where it does not. */
static void expect_chip(const nor_flash_t *f, const uint8_t *model)
{
    const uint8_t *m = nor_map(f);
    size_t n = nor_size(f);
    for (size_t i = 0; i < n; i++) {
        if (m[i] != model[i]) {
            print_error("flash differs at 0x%zx: 0x%02x, expected 0x%02x\n", i, m[i],
                        model[i]);
            fail();
        }
    }
}

/* Fill chip and model with one byte value through nor_load (no counters). */
static void fill(nor_flash_t *f, uint8_t *model, uint8_t v)
{
    uint8_t *buf = malloc(CHIP);
    assert_non_null(buf);
    memset(buf, v, CHIP);
    assert_int_equal(nor_load(f, 0, buf, CHIP), NOR_OK);
    memcpy(model, buf, CHIP);
    free(buf);
}

static nor_stats_t stats_of(const nor_flash_t *f)
{
    nor_stats_t s;
    nor_stats(f, &s);
    return s;
}

/* ---- NOR rules table ------------------------------------------------------------- */

typedef enum { OP_READ, OP_PROGRAM, OP_ERASE_SECTOR, OP_ERASE_BLOCK, OP_ERASE_RANGE,
               OP_LOAD } op_kind_t;

typedef struct {
    const char *name;
    op_kind_t op;
    uint32_t addr;
    size_t len;     /* read/program/load/erase_range length */
    nor_err_t want;
} rule_row_t;

#define LAST (CHIP - 1u)
static const rule_row_t rule_rows[] = {
    { "sector @0", OP_ERASE_SECTOR, 0, 0, NOR_OK },
    { "sector @0x1000", OP_ERASE_SECTOR, 0x1000, 0, NOR_OK },
    { "sector @last", OP_ERASE_SECTOR, CHIP - NOR_SECTOR_SIZE, 0, NOR_OK },
    { "sector @0x800", OP_ERASE_SECTOR, 0x800, 0, NOR_ERR_ALIGN },
    { "sector @1", OP_ERASE_SECTOR, 1, 0, NOR_ERR_ALIGN },
    { "sector @0xfff", OP_ERASE_SECTOR, 0xFFF, 0, NOR_ERR_ALIGN },
    { "sector @end", OP_ERASE_SECTOR, CHIP, 0, NOR_ERR_RANGE },
    { "sector straddling end", OP_ERASE_SECTOR, CHIP - 0x800, 0, NOR_ERR_RANGE },
    { "sector @huge", OP_ERASE_SECTOR, 0xFFFFF000u, 0, NOR_ERR_RANGE },
    { "block @0", OP_ERASE_BLOCK, 0, 0, NOR_OK },
    { "block @last", OP_ERASE_BLOCK, CHIP - NOR_BLOCK_SIZE, 0, NOR_OK },
    { "block @0x1000", OP_ERASE_BLOCK, 0x1000, 0, NOR_ERR_ALIGN },
    { "block @0x8000", OP_ERASE_BLOCK, 0x8000, 0, NOR_ERR_ALIGN },
    { "block @0xf000", OP_ERASE_BLOCK, 0xF000, 0, NOR_ERR_ALIGN },
    { "block @end", OP_ERASE_BLOCK, CHIP, 0, NOR_ERR_RANGE },
    { "range 1 sector", OP_ERASE_RANGE, 0x2000, 0x1000, NOR_OK },
    { "range to last byte", OP_ERASE_RANGE, CHIP - 0x3000, 0x3000, NOR_OK },
    { "range one sector past end", OP_ERASE_RANGE, CHIP - 0x3000, 0x4000, NOR_ERR_RANGE },
    { "range @end", OP_ERASE_RANGE, CHIP, 0x1000, NOR_ERR_RANGE },
    { "range len 0", OP_ERASE_RANGE, 0x1000, 0, NOR_OK },
    { "range len 0 @end", OP_ERASE_RANGE, CHIP, 0, NOR_OK },
    { "range len 0 past end", OP_ERASE_RANGE, CHIP + 0x1000, 0, NOR_ERR_RANGE },
    { "range misaligned addr", OP_ERASE_RANGE, 0x800, 0x1000, NOR_ERR_ALIGN },
    { "range misaligned len", OP_ERASE_RANGE, 0x1000, 0x800, NOR_ERR_ALIGN },
    { "range len +1", OP_ERASE_RANGE, 0x1000, 0x1001, NOR_ERR_ALIGN },
    { "range wraps", OP_ERASE_RANGE, 0xFFFFF000u, 0x2000, NOR_ERR_RANGE },
    { "program last byte", OP_PROGRAM, LAST, 1, NOR_OK },
    { "program last 300", OP_PROGRAM, CHIP - 300, 300, NOR_OK },
    { "program one past end", OP_PROGRAM, LAST, 2, NOR_ERR_RANGE },
    { "program @end", OP_PROGRAM, CHIP, 1, NOR_ERR_RANGE },
    { "program len 0 @end", OP_PROGRAM, CHIP, 0, NOR_OK },
    { "program wraps", OP_PROGRAM, 0xFFFFFFFFu, 2, NOR_ERR_RANGE },
    { "read last byte", OP_READ, LAST, 1, NOR_OK },
    { "read whole chip", OP_READ, 0, CHIP, NOR_OK },
    { "read one past end", OP_READ, LAST, 2, NOR_ERR_RANGE },
    { "read whole chip + 1", OP_READ, 0, CHIP + 1, NOR_ERR_RANGE },
    { "read @end", OP_READ, CHIP, 1, NOR_ERR_RANGE },
    { "load last byte", OP_LOAD, LAST, 1, NOR_OK },
    { "load one past end", OP_LOAD, LAST, 2, NOR_ERR_RANGE },
    { "load wraps", OP_LOAD, 0xFFFFFFFFu, 2, NOR_ERR_RANGE },
};

static void test_rules_table(void **state)
{
    (void)state;
    uint8_t *model = malloc(CHIP);
    uint8_t *buf = malloc(CHIP + 1);
    assert_non_null(model);
    assert_non_null(buf);
    for (size_t r = 0; r < sizeof(rule_rows) / sizeof(rule_rows[0]); r++) {
        const rule_row_t *row = &rule_rows[r];
        print_message("rule: %s\n", row->name);
        nor_flash_t *f = mem_chip();
        /* 0x5A everywhere: an erase shows as 0xFF, a program of 0x12 (0x5A & 0x12 ==
         * 0x12) as 0x12, a load of 0x00 as 0x00. */
        fill(f, model, 0x5A);
        nor_err_t rc = NOR_ERR_IO;
        size_t elen = 0;
        switch (row->op) {
        case OP_READ:
            memset(buf, 0xEE, CHIP + 1);
            rc = nor_read(f, row->addr, buf, row->len);
            if (rc == NOR_OK) {
                assert_memory_equal(buf, model + row->addr, row->len);
            } else {
                for (size_t i = 0; i < row->len; i++) {
                    assert_int_equal(buf[i], 0xEE); /* buffer untouched */
                }
            }
            break;
        case OP_PROGRAM:
            memset(buf, 0x12, row->len + 1);
            rc = nor_program(f, row->addr, buf, row->len);
            if (rc == NOR_OK) {
                memset(model + row->addr, 0x12, row->len);
            }
            break;
        case OP_LOAD:
            memset(buf, 0x00, row->len + 1);
            rc = nor_load(f, row->addr, buf, row->len);
            if (rc == NOR_OK) {
                memset(model + row->addr, 0x00, row->len);
            }
            break;
        case OP_ERASE_SECTOR:
            rc = nor_erase_sector(f, row->addr);
            elen = NOR_SECTOR_SIZE;
            break;
        case OP_ERASE_BLOCK:
            rc = nor_erase_block(f, row->addr);
            elen = NOR_BLOCK_SIZE;
            break;
        case OP_ERASE_RANGE:
            rc = nor_erase_range(f, row->addr, row->len);
            elen = row->len;
            break;
        }
        assert_int_equal(rc, row->want);
        if (rc == NOR_OK && elen) {
            memset(model + row->addr, 0xFF, elen);
        }
        expect_chip(f, model);
        assert_false(nor_is_dead(f));
        nor_close(f);
    }
    free(buf);
    free(model);
}

static void test_null_args(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t b[4] = { 0 };
    assert_int_equal(nor_read(NULL, 0, b, 1), NOR_ERR_ARG);
    assert_int_equal(nor_read(f, 0, NULL, 0), NOR_ERR_ARG);
    assert_int_equal(nor_program(NULL, 0, b, 1), NOR_ERR_ARG);
    assert_int_equal(nor_program(f, 0, NULL, 1), NOR_ERR_ARG);
    assert_int_equal(nor_load(f, 0, NULL, 1), NOR_ERR_ARG);
    assert_int_equal(nor_erase_sector(NULL, 0), NOR_ERR_ARG);
    assert_int_equal(nor_erase_block(NULL, 0), NOR_ERR_ARG);
    assert_int_equal(nor_erase_range(NULL, 0, 0x1000), NOR_ERR_ARG);
    assert_int_equal(nor_restore(NULL, f), NOR_ERR_ARG);
    assert_int_equal(nor_restore(f, NULL), NOR_ERR_ARG);
    nor_err_t err = NOR_OK;
    assert_null(nor_open_copy(NULL, &err));
    assert_int_equal(err, NOR_ERR_ARG);
    nor_close(NULL);
    assert_int_equal(nor_size(NULL), 0);
    assert_false(nor_is_dead(NULL));
    assert_int_equal(nor_projected_us(NULL), 0);
    nor_close(f);
}

/* Sizes accepted by nor_open_mem: multiples of 64 KiB, 0 = default. */
static void test_open_mem_sizes(void **state)
{
    (void)state;
    static const struct { size_t size; nor_err_t want; size_t got; } rows[] = {
        { 0, NOR_OK, NOR_DEFAULT_SIZE },
        { NOR_BLOCK_SIZE, NOR_OK, NOR_BLOCK_SIZE },
        { NOR_BLOCK_SIZE - 1, NOR_ERR_ARG, 0 },
        { NOR_BLOCK_SIZE + 1, NOR_ERR_ARG, 0 },
        { NOR_SECTOR_SIZE, NOR_ERR_ARG, 0 },
        { 2 * NOR_BLOCK_SIZE, NOR_OK, 2 * NOR_BLOCK_SIZE },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        nor_err_t err = NOR_ERR_IO;
        nor_flash_t *f = nor_open_mem(rows[r].size, &err);
        assert_int_equal(err, rows[r].want);
        if (rows[r].want == NOR_OK) {
            assert_non_null(f);
            assert_int_equal(nor_size(f), rows[r].got);
            const uint8_t *m = nor_map(f);
            for (size_t i = 0; i < rows[r].got; i++) {
                assert_int_equal(m[i], 0xFF);
            }
        } else {
            assert_null(f);
        }
        nor_close(f);
    }
}

/* ---- program bit rules ----------------------------------------------------------- */

static void test_program_bits(void **state)
{
    (void)state;
    static const struct { uint8_t cell, data; nor_err_t want; uint8_t after; } rows[] = {
        { 0xFF, 0x00, NOR_OK, 0x00 },
        { 0xFF, 0xA5, NOR_OK, 0xA5 },
        { 0xFF, 0xFF, NOR_OK, 0xFF },
        { 0xF0, 0x30, NOR_OK, 0x30 },
        { 0xA5, 0xA5, NOR_OK, 0xA5 },
        { 0xA5, 0x21, NOR_OK, 0x21 },
        { 0x00, 0x00, NOR_OK, 0x00 },
        { 0x00, 0x01, NOR_ERR_NOT_ERASED, 0x00 },
        { 0xF0, 0x0F, NOR_ERR_NOT_ERASED, 0xF0 },
        { 0xA5, 0xFF, NOR_ERR_NOT_ERASED, 0xA5 },
        { 0xFE, 0xFF, NOR_ERR_NOT_ERASED, 0xFE },
        { 0x7F, 0x80, NOR_ERR_NOT_ERASED, 0x7F },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        nor_flash_t *f = mem_chip();
        /* The byte under test sits in the middle of a 256-byte page op whose other
         * bytes are all legal: a refusal must leave the whole page unchanged. */
        uint8_t page[NOR_PAGE_SIZE], data[NOR_PAGE_SIZE], got[NOR_PAGE_SIZE];
        memset(page, 0xFF, sizeof(page));
        page[100] = rows[r].cell;
        assert_int_equal(nor_load(f, 0x1000, page, sizeof(page)), NOR_OK);
        for (size_t i = 0; i < sizeof(data); i++) {
            data[i] = pat(i, 1);
        }
        data[100] = rows[r].data;
        assert_int_equal(nor_program(f, 0x1000, data, sizeof(data)), rows[r].want);
        assert_int_equal(nor_read(f, 0x1000, got, sizeof(got)), NOR_OK);
        if (rows[r].want == NOR_OK) {
            data[100] = rows[r].after;
            assert_memory_equal(got, data, sizeof(got));
        } else {
            assert_memory_equal(got, page, sizeof(got));
        }
        nor_stats_t s = stats_of(f);
        assert_int_equal(s.page_programs, rows[r].want == NOR_OK ? 1 : 0);
        assert_int_equal(s.ops, rows[r].want == NOR_OK ? 1 : 0);
        nor_close(f);
    }
}

/* A 0 -> 1 in the 2nd page of a 3-page program: page 1 stays written, pages 2 and 3
 * are untouched, one page op counted. */
static void test_program_refused_mid_call(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    memset(model, 0xFF, CHIP);
    const uint32_t addr = 0x2080; /* pages: 0x80 bytes, 0x100, 0x100, then 0x30 */
    uint8_t data[0x80 + 0x100 + 0x100 + 0x30];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(pat(i, 2) & 0xF7);
    }
    uint8_t zero = 0x00;
    assert_int_equal(nor_load(f, addr + 0x80 + 0x42, &zero, 1), NOR_OK);
    model[addr + 0x80 + 0x42] = 0x00;
    data[0x80 + 0x42] = 0x08; /* needs bit 3 back to 1 */
    assert_int_equal(nor_program(f, addr, data, sizeof(data)), NOR_ERR_NOT_ERASED);
    memcpy(model + addr, data, 0x80);
    expect_chip(f, model);
    nor_stats_t s = stats_of(f);
    assert_int_equal(s.page_programs, 1);
    assert_int_equal(s.bytes_programmed, 0x80);
    assert_int_equal(s.ops, 1);
    free(model);
    nor_close(f);
}

/* ---- page split ------------------------------------------------------------------ */

static void test_page_split(void **state)
{
    (void)state;
    static const struct { uint32_t addr; size_t len; uint64_t pages; } rows[] = {
        { 0x0, 0, 0 },     { 0x0, 1, 1 },      { 0x0, 255, 1 },    { 0x0, 256, 1 },
        { 0x0, 257, 2 },   { 0xFF, 1, 1 },     { 0xFF, 2, 2 },     { 0x80, 128, 1 },
        { 0x80, 129, 2 },  { 0x80, 256, 2 },   { 0x100, 512, 2 },  { 0x100, 513, 3 },
        { 0xFF, 258, 3 },  { 0xFF, 257, 2 },   { 0x1001, 4096, 17 }, { 0x0, 4096, 16 },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        nor_flash_t *f = mem_chip();
        uint8_t data[4200];
        for (size_t i = 0; i < rows[r].len; i++) {
            data[i] = pat(i, 3);
        }
        assert_int_equal(nor_program(f, rows[r].addr, data, rows[r].len), NOR_OK);
        nor_stats_t s = stats_of(f);
        assert_int_equal(s.page_programs, rows[r].pages);
        assert_int_equal(s.ops, rows[r].pages);
        assert_int_equal(s.bytes_programmed, rows[r].len);
        assert_memory_equal(nor_map(f) + rows[r].addr, data, rows[r].len);
        nor_close(f);
    }
}

/* Programming a buffer in pieces of every size 1..len gives the same chip. */
static void test_program_every_chunk_split(void **state)
{
    (void)state;
    enum { LEN = 600, AT = 0x3070 };
    nor_flash_t *f = mem_chip();
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    memset(model, 0xFF, CHIP);
    uint8_t data[LEN];
    for (size_t i = 0; i < LEN; i++) {
        data[i] = pat(i, 4);
    }
    memcpy(model + AT, data, LEN);
    for (size_t chunk = 1; chunk <= LEN; chunk++) {
        assert_int_equal(nor_erase_sector(f, 0x3000), NOR_OK);
        for (size_t off = 0; off < LEN; off += chunk) {
            size_t n = LEN - off < chunk ? LEN - off : chunk;
            assert_int_equal(nor_program(f, AT + (uint32_t)off, data + off, n), NOR_OK);
        }
        expect_chip(f, model);
    }
    free(model);
    nor_close(f);
}

/* ---- counters and timing --------------------------------------------------------- */

static void test_counters(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t buf[1000];
    memset(buf, 0x00, sizeof(buf));
    nor_stats_t s = stats_of(f);
    assert_int_equal(s.ops, 0);
    assert_int_equal(nor_load(f, 0, buf, sizeof(buf)), NOR_OK); /* not counted */
    assert_int_equal(nor_erase_sector(f, 0x1000), NOR_OK);
    assert_int_equal(nor_erase_sector(f, 0x2000), NOR_OK);
    assert_int_equal(nor_erase_block(f, 0x10000), NOR_OK);
    assert_int_equal(nor_program(f, 0x1000, buf, 1000), NOR_OK); /* 4 pages */
    assert_int_equal(nor_program(f, 0x10010, buf, 10), NOR_OK);  /* 1 page */
    assert_int_equal(nor_program(f, 0, buf, 1), NOR_OK);        /* 0 over 0: 1 page */
    memset(buf, 0xFF, sizeof(buf));
    assert_int_equal(nor_program(f, 0, buf, 2), NOR_ERR_NOT_ERASED); /* not counted */
    assert_int_equal(nor_erase_sector(f, 0x800), NOR_ERR_ALIGN);     /* not counted */
    assert_int_equal(nor_read(f, 0, buf, 100), NOR_OK);
    assert_int_equal(nor_read(f, 0x100, buf, 0), NOR_OK);
    assert_int_equal(nor_read(f, CHIP, buf, 1), NOR_ERR_RANGE);      /* not counted */
    assert_int_equal(nor_read(f, 0x2000, buf, 1000), NOR_OK);
    s = stats_of(f);
    assert_int_equal(s.sector_erases, 2);
    assert_int_equal(s.block_erases, 1);
    assert_int_equal(s.page_programs, 4 + 1 + 1);
    assert_int_equal(s.bytes_programmed, 1000 + 10 + 1);
    assert_int_equal(s.ops, 2 + 1 + 6);
    assert_int_equal(s.reads, 3);
    assert_int_equal(s.bytes_read, 1100);
    assert_int_equal(nor_projected_us(&s), 2 * 50000 + 250000 + 6 * 600 + 110);
    nor_reset_stats(f);
    s = stats_of(f);
    nor_stats_t zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&s, &zero, sizeof(s));
    nor_close(f);
}

static void test_timing_model(void **state)
{
    (void)state;
    static const struct { uint64_t pages, sectors, blocks, bytes_read, us; } rows[] = {
        { 0, 0, 0, 0, 0 },
        { 1, 0, 0, 0, 600 },
        { 0, 1, 0, 0, 50000 },
        { 0, 0, 1, 0, 250000 },
        { 0, 0, 0, 9, 0 },   /* 0.9 us rounds down */
        { 0, 0, 0, 10, 1 },
        { 0, 0, 0, 4096, 409 },
        { 16, 0, 1, 0, 259600 },
        { 1, 1, 1, 1000, 600 + 50000 + 250000 + 100 },
        { 16384, 0, 64, 4194304, 16384 * 600 + 64 * 250000 + 419430 },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        nor_stats_t s;
        memset(&s, 0, sizeof(s));
        s.page_programs = rows[r].pages;
        s.sector_erases = rows[r].sectors;
        s.block_erases = rows[r].blocks;
        s.bytes_read = rows[r].bytes_read;
        s.reads = 7;            /* read calls cost nothing by themselves */
        s.bytes_programmed = 9; /* time is per page, not per byte */
        s.ops = s.page_programs + s.sector_erases + s.block_erases;
        assert_int_equal(nor_projected_us(&s), rows[r].us);
    }
    assert_int_equal(NOR_T_PAGE_PROGRAM_US, 600);
    assert_int_equal(NOR_T_SECTOR_ERASE_US, 50000);
    assert_int_equal(NOR_T_BLOCK_ERASE_US, 250000);
    assert_int_equal(NOR_T_READ_NS_PER_BYTE, 100);
}

/* ---- erase_range operation mix --------------------------------------------------- */

static void test_erase_range_mix(void **state)
{
    (void)state;
    static const struct { uint32_t addr; size_t len; uint64_t sectors, blocks; } rows[] = {
        { 0x1000, 0x30000 - 0x1000, 15, 2 },
        { 0x0, 0x0, 0, 0 },
        { 0x0, 0x1000, 1, 0 },
        { 0x0, 0xF000, 15, 0 },
        { 0x0, 0x10000, 0, 1 },
        { 0x0, 0x11000, 1, 1 },
        { 0xF000, 0x2000, 2, 0 },
        { 0xF000, 0x11000, 1, 1 },
        { 0xF000, 0x10000, 16, 0 },
        { 0x10000, 0x1F000, 15, 1 },
        { 0x0, CHIP, 0, 4 },
        { 0x1000, CHIP - 0x1000, 15, 3 },
    };
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        nor_flash_t *f = mem_chip();
        fill(f, model, 0x00);
        assert_int_equal(nor_erase_range(f, rows[r].addr, rows[r].len), NOR_OK);
        memset(model + rows[r].addr, 0xFF, rows[r].len);
        expect_chip(f, model);
        nor_stats_t s = stats_of(f);
        assert_int_equal(s.sector_erases, rows[r].sectors);
        assert_int_equal(s.block_erases, rows[r].blocks);
        assert_int_equal(s.ops, rows[r].sectors + rows[r].blocks);
        assert_int_equal(nor_projected_us(&s),
                         rows[r].sectors * 50000 + rows[r].blocks * 250000);
        nor_close(f);
    }
    free(model);
}

/* ---- power cuts ------------------------------------------------------------------ */

typedef struct {
    int calls;
    uint64_t index;
    jmp_buf *jump; /* non-NULL: longjmp out */
} cut_log_t;

static void on_cut(void *ctx, uint64_t op_index)
{
    cut_log_t *log = ctx;
    log->calls++;
    log->index = op_index;
    if (log->jump) {
        longjmp(*log->jump, 1);
    }
}

typedef enum { CUT_PROGRAM, CUT_SECTOR, CUT_BLOCK, CUT_RANGE } cut_op_t;

typedef struct {
    const char *name;
    cut_op_t op;
    nor_cut_mode_t mode;
    uint64_t cut_at;       /* armed op index */
    uint32_t addr;
    size_t len;            /* program / erase_range length */
    /* Expected contents after the cut, on a chip that was all 0x00 (erases) or all
     * 0xFF (programs): [addr, addr+done) has the operation's effect, the rest none. */
    size_t done;
    /* For a 1-byte torn program: the expected byte (partial bits). */
    int partial_byte;
    uint64_t ops_before;   /* ops completed before the cut */
} cut_row_t;

#define NONE (-1)
static const cut_row_t cut_rows[] = {
    /* program of 600 bytes at 0x1100: page ops of 256, 256, 88 bytes */
    { "program cut 1 clean", CUT_PROGRAM, NOR_CUT_CLEAN, 1, 0x1100, 600, 0, NONE, 0 },
    { "program cut 1 torn", CUT_PROGRAM, NOR_CUT_TORN, 1, 0x1100, 600, 128, NONE, 0 },
    { "program cut 2 clean", CUT_PROGRAM, NOR_CUT_CLEAN, 2, 0x1100, 600, 256, NONE, 1 },
    { "program cut 2 torn", CUT_PROGRAM, NOR_CUT_TORN, 2, 0x1100, 600, 256 + 128, NONE, 1 },
    { "program cut 3 torn", CUT_PROGRAM, NOR_CUT_TORN, 3, 0x1100, 600, 512 + 44, NONE, 2 },
    /* misaligned start: page ops of 0x10, 256, 256 bytes */
    { "program unaligned cut 1 torn", CUT_PROGRAM, NOR_CUT_TORN, 1, 0x10F0, 528, 8, NONE, 0 },
    { "program 2 bytes torn", CUT_PROGRAM, NOR_CUT_TORN, 1, 0x1000, 2, 1, NONE, 0 },
    { "program 3 bytes torn", CUT_PROGRAM, NOR_CUT_TORN, 1, 0x1000, 3, 1, NONE, 0 },
    { "program 1 byte torn", CUT_PROGRAM, NOR_CUT_TORN, 1, 0x1000, 1, 0, 0x5F, 0 },
    { "program 1 byte clean", CUT_PROGRAM, NOR_CUT_CLEAN, 1, 0x1000, 1, 0, NONE, 0 },
    { "program cut after end", CUT_PROGRAM, NOR_CUT_TORN, 4, 0x1100, 600, 600, NONE, 3 },
    { "sector clean", CUT_SECTOR, NOR_CUT_CLEAN, 1, 0x3000, 0, 0, NONE, 0 },
    { "sector torn", CUT_SECTOR, NOR_CUT_TORN, 1, 0x3000, 0, 0x800, NONE, 0 },
    { "block clean", CUT_BLOCK, NOR_CUT_CLEAN, 1, 0x20000, 0, 0, NONE, 0 },
    { "block torn", CUT_BLOCK, NOR_CUT_TORN, 1, 0x20000, 0, 8 * 0x1000 + 0x800, NONE, 0 },
    /* erase_range 0xE000..0x21000: sector, sector, block, sector */
    { "range cut 2 clean", CUT_RANGE, NOR_CUT_CLEAN, 2, 0xE000, 0x13000, 0x1000, NONE, 1 },
    { "range cut 2 torn", CUT_RANGE, NOR_CUT_TORN, 2, 0xE000, 0x13000, 0x1800, NONE, 1 },
    { "range cut 3 torn", CUT_RANGE, NOR_CUT_TORN, 3, 0xE000, 0x13000, 0xA800, NONE, 2 },
    { "range cut 4 clean", CUT_RANGE, NOR_CUT_CLEAN, 4, 0xE000, 0x13000, 0x12000, NONE, 3 },
    { "range cut 4 torn", CUT_RANGE, NOR_CUT_TORN, 4, 0xE000, 0x13000, 0x12800, NONE, 3 },
};

static void test_power_cut_table(void **state)
{
    (void)state;
    uint8_t *model = malloc(CHIP);
    uint8_t *data = malloc(CHIP);
    assert_non_null(model);
    assert_non_null(data);
    for (size_t r = 0; r < sizeof(cut_rows) / sizeof(cut_rows[0]); r++) {
        const cut_row_t *row = &cut_rows[r];
        print_message("cut: %s\n", row->name);
        nor_flash_t *f = mem_chip();
        bool is_program = row->op == CUT_PROGRAM;
        fill(f, model, is_program ? 0xFF : 0x00);
        for (size_t i = 0; i < row->len; i++) {
            data[i] = (uint8_t)(pat(i, 5) & 0xFE); /* never 0xFF: every byte shows */
        }
        if (row->len == 1) {
            data[0] = 0x50; /* torn: high nibble 0101 programmed, low stays 1111 */
        }
        cut_log_t log = { 0, 0, NULL };
        nor_arm_power_cut(f, row->cut_at, row->mode, on_cut, &log);
        nor_err_t rc = NOR_ERR_IO;
        size_t full = 0;
        switch (row->op) {
        case CUT_PROGRAM:
            rc = nor_program(f, row->addr, data, row->len);
            full = row->len;
            break;
        case CUT_SECTOR:
            rc = nor_erase_sector(f, row->addr);
            full = NOR_SECTOR_SIZE;
            break;
        case CUT_BLOCK:
            rc = nor_erase_block(f, row->addr);
            full = NOR_BLOCK_SIZE;
            break;
        case CUT_RANGE:
            rc = nor_erase_range(f, row->addr, row->len);
            full = row->len;
            break;
        }
        /* No cut only when the countdown lies past the call's last op. */
        bool cut = row->done < full || row->partial_byte != NONE;
        assert_int_equal(rc, cut ? NOR_ERR_POWER_CUT : NOR_OK);
        assert_int_equal(nor_is_dead(f), cut);
        assert_int_equal(log.calls, cut ? 1 : 0);
        if (cut) {
            assert_int_equal(log.index, row->cut_at);
        }
        if (is_program) {
            memcpy(model + row->addr, data, row->done);
        } else {
            memset(model + row->addr, 0xFF, row->done);
        }
        if (row->partial_byte != NONE) {
            model[row->addr] = (uint8_t)row->partial_byte;
        }
        expect_chip(f, model);
        nor_stats_t s = stats_of(f);
        assert_int_equal(s.ops, row->ops_before);
        nor_power_on(f);
        assert_false(nor_is_dead(f));
        expect_chip(f, model); /* power on changes nothing */
        nor_close(f);
    }
    free(data);
    free(model);
}

/* A torn page program of n bytes writes a prefix of about half: at least 1, fewer
 * than n, for every page-op length 2..256. */
static void test_torn_prefix_every_length(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t zeros[NOR_PAGE_SIZE];
    memset(zeros, 0, sizeof(zeros));
    for (size_t n = 2; n <= NOR_PAGE_SIZE; n++) {
        assert_int_equal(nor_erase_sector(f, 0), NOR_OK);
        nor_arm_power_cut(f, 1, NOR_CUT_TORN, NULL, NULL);
        assert_int_equal(nor_program(f, 0, zeros, n), NOR_ERR_POWER_CUT);
        const uint8_t *m = nor_map(f);
        size_t k = 0;
        while (k < n && m[k] == 0x00) {
            k++;
        }
        for (size_t i = k; i < NOR_SECTOR_SIZE; i++) {
            assert_int_equal(m[i], 0xFF); /* a prefix, nothing after it */
        }
        assert_true(k >= 1);
        assert_true(k < n);
        assert_int_equal(k, n / 2);
        nor_power_on(f);
    }
    nor_close(f);
}

/* After a cut every call fails with NOR_ERR_POWER_CUT and changes nothing, until
 * nor_power_on; the countdown is spent. */
static void test_dead_state(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    fill(f, model, 0x00);
    nor_arm_power_cut(f, 1, NOR_CUT_TORN, NULL, NULL); /* no handler */
    assert_int_equal(nor_erase_sector(f, 0x1000), NOR_ERR_POWER_CUT);
    memset(model + 0x1000, 0xFF, 0x800);
    expect_chip(f, model);
    assert_true(nor_is_dead(f));
    nor_stats_t before = stats_of(f);

    uint8_t buf[16];
    memset(buf, 0xEE, sizeof(buf));
    uint8_t zero[16] = { 0 };
    assert_int_equal(nor_read(f, 0, buf, sizeof(buf)), NOR_ERR_POWER_CUT);
    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0xEE);
    }
    assert_int_equal(nor_program(f, 0x1900, zero, sizeof(zero)), NOR_ERR_POWER_CUT);
    assert_int_equal(nor_erase_sector(f, 0x2000), NOR_ERR_POWER_CUT);
    assert_int_equal(nor_erase_block(f, 0x10000), NOR_ERR_POWER_CUT);
    assert_int_equal(nor_erase_range(f, 0x0, 0x20000), NOR_ERR_POWER_CUT);
    assert_int_equal(nor_load(f, 0x1000, zero, sizeof(zero)), NOR_ERR_POWER_CUT);
    expect_chip(f, model);
    nor_stats_t after = stats_of(f);
    assert_memory_equal(&before, &after, sizeof(before));
    assert_true(nor_is_dead(f));

    nor_power_on(f);
    assert_false(nor_is_dead(f));
    expect_chip(f, model);
    /* Disarmed: many ops now run without a cut. */
    for (uint32_t a = 0; a < 0x8000; a += NOR_SECTOR_SIZE) {
        assert_int_equal(nor_erase_sector(f, a), NOR_OK);
    }
    memset(model, 0xFF, 0x8000);
    assert_int_equal(nor_program(f, 0x1900, zero, sizeof(zero)), NOR_OK);
    memset(model + 0x1900, 0x00, sizeof(zero));
    assert_int_equal(nor_read(f, 0x1900, buf, sizeof(buf)), NOR_OK);
    assert_memory_equal(buf, zero, sizeof(zero));
    expect_chip(f, model);
    free(model);
    nor_close(f);
}

static void test_arm_disarm_rearm(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    cut_log_t log = { 0, 0, NULL };
    nor_arm_power_cut(f, 2, NOR_CUT_CLEAN, on_cut, &log);
    nor_arm_power_cut(f, 0, NOR_CUT_CLEAN, on_cut, &log); /* disarm */
    for (uint32_t a = 0; a < 0x10000; a += NOR_SECTOR_SIZE) {
        assert_int_equal(nor_erase_sector(f, a), NOR_OK);
    }
    assert_int_equal(log.calls, 0);
    /* Countdown is "from now": 16 ops done, armed at 3 cuts the 3rd op after arming. */
    nor_arm_power_cut(f, 5, NOR_CUT_CLEAN, on_cut, &log);
    nor_arm_power_cut(f, 3, NOR_CUT_CLEAN, on_cut, &log); /* replaces */
    assert_int_equal(nor_erase_sector(f, 0x0), NOR_OK);
    assert_int_equal(nor_erase_sector(f, 0x1000), NOR_OK);
    assert_int_equal(nor_erase_sector(f, 0x2000), NOR_ERR_POWER_CUT);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.index, 3);
    assert_int_equal(stats_of(f).ops, 16 + 2);
    nor_close(f);
}

/* The handler longjmps out of a multi-op call; it is called once and the chip stays
 * dead and consistent. */
static void test_handler_longjmp(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    fill(f, model, 0x00);
    jmp_buf jump;
    cut_log_t log = { 0, 0, &jump };
    /* 0x1000..0x30000 = 15 sectors then 2 blocks; cut the 16th op (the first block). */
    nor_arm_power_cut(f, 16, NOR_CUT_TORN, on_cut, &log);
    volatile int returned = 0;
    if (setjmp(jump) == 0) {
        (void)nor_erase_range(f, 0x1000, 0x2F000);
        returned = 1;
    }
    assert_int_equal(returned, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.index, 16);
    assert_true(nor_is_dead(f));
    memset(model + 0x1000, 0xFF, 15 * NOR_SECTOR_SIZE); /* ops 1..15: sectors */
    memset(model + 0x10000, 0xFF, 8 * 0x1000 + 0x800);  /* op 16: block, torn */
    expect_chip(f, model);
    assert_int_equal(stats_of(f).sector_erases, 15);
    assert_int_equal(stats_of(f).block_erases, 0);
    /* Dead calls do not call the handler again. */
    assert_int_equal(nor_erase_sector(f, 0x30000), NOR_ERR_POWER_CUT);
    assert_int_equal(log.calls, 1);
    nor_power_on(f);
    assert_int_equal(nor_erase_range(f, 0x10000, 0x20000), NOR_OK);
    assert_int_equal(log.calls, 1);
    memset(model + 0x10000, 0xFF, 0x20000);
    expect_chip(f, model);
    free(model);
    nor_close(f);
}

/* ---- snapshot: open_copy / restore ----------------------------------------------- */

static void test_copy_restore(void **state)
{
    (void)state;
    nor_flash_t *f = mem_chip();
    uint8_t *model = malloc(CHIP);
    assert_non_null(model);
    for (size_t i = 0; i < CHIP; i++) {
        model[i] = pat(i, 6);
    }
    assert_int_equal(nor_load(f, 0, model, CHIP), NOR_OK);
    assert_int_equal(nor_erase_sector(f, 0), NOR_OK);
    memset(model, 0xFF, NOR_SECTOR_SIZE);

    nor_err_t err = NOR_ERR_IO;
    nor_flash_t *snap = nor_open_copy(f, &err);
    assert_int_equal(err, NOR_OK);
    assert_non_null(snap);
    assert_int_equal(nor_size(snap), CHIP);
    expect_chip(snap, model);
    assert_int_equal(stats_of(snap).ops, 0); /* fresh counters */

    /* Independent: changing f (first and last sector) does not change the copy. */
    uint8_t zeros[NOR_SECTOR_SIZE];
    memset(zeros, 0, sizeof(zeros));
    assert_int_equal(nor_load(f, 0, zeros, sizeof(zeros)), NOR_OK);
    assert_int_equal(nor_load(f, CHIP - NOR_SECTOR_SIZE, zeros, sizeof(zeros)), NOR_OK);
    nor_arm_power_cut(f, 1, NOR_CUT_TORN, NULL, NULL);
    assert_int_equal(nor_erase_block(f, 0x10000), NOR_ERR_POWER_CUT);
    expect_chip(snap, model);
    assert_true(nor_is_dead(f));
    assert_false(nor_is_dead(snap));

    /* Restore onto a dead chip: contents back, still dead, counters kept. */
    nor_stats_t before = stats_of(f);
    assert_int_equal(nor_restore(f, snap), NOR_OK);
    expect_chip(f, model);
    assert_true(nor_is_dead(f));
    nor_stats_t after = stats_of(f);
    assert_memory_equal(&before, &after, sizeof(before));
    assert_int_equal(nor_restore(f, f), NOR_OK);
    expect_chip(f, model);

    /* A copy of a dead chip is alive. */
    nor_flash_t *c2 = nor_open_copy(f, &err);
    assert_non_null(c2);
    assert_false(nor_is_dead(c2));
    expect_chip(c2, model);

    /* Size mismatch: refused, nothing copied. */
    nor_flash_t *small = nor_open_mem(NOR_BLOCK_SIZE, &err);
    assert_non_null(small);
    assert_int_equal(nor_restore(small, f), NOR_ERR_ARG);
    assert_int_equal(nor_restore(f, small), NOR_ERR_ARG);
    expect_chip(f, model);
    for (size_t i = 0; i < NOR_BLOCK_SIZE; i++) {
        assert_int_equal(nor_map(small)[i], 0xFF);
    }
    nor_close(small);
    nor_close(c2);
    nor_close(snap);
    free(model);
    nor_close(f);
}

/* ---- file backing ---------------------------------------------------------------- */

static void tmp_path(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/test_flash_nor_%ld_%s", SOTA_TMPDIR, (long)getpid(), name);
    assert_true(n > 0 && (size_t)n < cap);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void test_file_persistence(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof(path), "persist.bin");
    unlink(path);
    nor_err_t err = NOR_ERR_IO;

    /* New file: created at the size asked, all 0xFF. */
    nor_flash_t *f = nor_open(path, 2 * NOR_BLOCK_SIZE, false, &err);
    assert_non_null(f);
    assert_int_equal(err, NOR_OK);
    assert_int_equal(nor_size(f), 2 * NOR_BLOCK_SIZE);
    assert_int_equal(file_size(path), 2 * NOR_BLOCK_SIZE);
    for (size_t i = 0; i < 2 * NOR_BLOCK_SIZE; i++) {
        assert_int_equal(nor_map(f)[i], 0xFF);
    }
    uint8_t data[700];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = pat(i, 7);
    }
    assert_int_equal(nor_program(f, 0x12345, data, sizeof(data)), NOR_OK);
    nor_close(f);

    /* Reopen: contents kept; size kept whatever create_size says (no truncate). */
    static const size_t reopen_sizes[] = { 0, 2 * NOR_BLOCK_SIZE, 8 * NOR_BLOCK_SIZE };
    for (size_t r = 0; r < sizeof(reopen_sizes) / sizeof(reopen_sizes[0]); r++) {
        f = nor_open(path, reopen_sizes[r], false, &err);
        assert_non_null(f);
        assert_int_equal(nor_size(f), 2 * NOR_BLOCK_SIZE);
        uint8_t got[sizeof(data)];
        assert_int_equal(nor_read(f, 0x12345, got, sizeof(got)), NOR_OK);
        assert_memory_equal(got, data, sizeof(data));
        assert_int_equal(nor_map(f)[0x12344], 0xFF);
        assert_int_equal(nor_map(f)[0x12345 + sizeof(data)], 0xFF);
        nor_close(f);
    }
    /* truncate with the same size keeps the contents. */
    f = nor_open(path, 2 * NOR_BLOCK_SIZE, true, &err);
    assert_non_null(f);
    assert_memory_equal(nor_map(f) + 0x12345, data, sizeof(data));
    nor_close(f);
    /* truncate with another size: recreated, all 0xFF. */
    f = nor_open(path, 3 * NOR_BLOCK_SIZE, true, &err);
    assert_non_null(f);
    assert_int_equal(nor_size(f), 3 * NOR_BLOCK_SIZE);
    assert_int_equal(file_size(path), 3 * NOR_BLOCK_SIZE);
    for (size_t i = 0; i < 3 * NOR_BLOCK_SIZE; i++) {
        assert_int_equal(nor_map(f)[i], 0xFF);
    }
    /* Torn state persists across close/open too. */
    nor_arm_power_cut(f, 1, NOR_CUT_TORN, NULL, NULL);
    assert_int_equal(nor_program(f, 0x100, data, 256), NOR_ERR_POWER_CUT);
    nor_close(f);
    f = nor_open(path, 0, false, &err);
    assert_non_null(f);
    assert_false(nor_is_dead(f)); /* a new process powers the chip */
    assert_memory_equal(nor_map(f) + 0x100, data, 128);
    assert_int_equal(nor_map(f)[0x100 + 128], 0xFF);
    nor_close(f);
    assert_int_equal(unlink(path), 0);
}

static void test_file_errors(void **state)
{
    (void)state;
    char path[512];
    nor_err_t err = NOR_OK;

    /* Missing directory: NOR_ERR_IO, errno kept. */
    tmp_path(path, sizeof(path), "no_such_dir/flash.bin");
    errno = 0;
    assert_null(nor_open(path, 0, false, &err));
    assert_int_equal(err, NOR_ERR_IO);
    assert_int_equal(errno, ENOENT);

    /* A directory is not a flash file. */
    err = NOR_OK;
    assert_null(nor_open(SOTA_TMPDIR, 0, false, &err));
    assert_int_equal(err, NOR_ERR_IO);

    /* Bad create sizes. */
    tmp_path(path, sizeof(path), "badsize.bin");
    unlink(path);
    static const size_t bad[] = { NOR_BLOCK_SIZE - 1, NOR_BLOCK_SIZE + 1, NOR_SECTOR_SIZE };
    for (size_t r = 0; r < sizeof(bad) / sizeof(bad[0]); r++) {
        err = NOR_OK;
        assert_null(nor_open(path, bad[r], false, &err));
        assert_int_equal(err, NOR_ERR_ARG);
    }
    err = NOR_OK;
    assert_null(nor_open(NULL, 0, false, &err));
    assert_int_equal(err, NOR_ERR_ARG);

    /* An existing file whose size is not a chip size: refused unless truncate. */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite("abc", 1, 3, fp), 3);
    assert_int_equal(fclose(fp), 0);
    err = NOR_OK;
    assert_null(nor_open(path, NOR_BLOCK_SIZE, false, &err));
    assert_int_equal(err, NOR_ERR_ARG);
    assert_int_equal(file_size(path), 3); /* untouched */
    nor_flash_t *f = nor_open(path, NOR_BLOCK_SIZE, true, &err);
    assert_non_null(f);
    assert_int_equal(err, NOR_OK);
    assert_int_equal(nor_size(f), NOR_BLOCK_SIZE);
    assert_int_equal(nor_map(f)[0], 0xFF);
    nor_close(f);

    /* An empty existing file counts as missing. */
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    f = nor_open(path, NOR_BLOCK_SIZE, false, &err);
    assert_non_null(f);
    assert_int_equal(nor_size(f), NOR_BLOCK_SIZE);
    assert_int_equal(nor_map(f)[NOR_BLOCK_SIZE - 1], 0xFF);
    nor_close(f);
    assert_int_equal(unlink(path), 0);
}

static void test_strerror(void **state)
{
    (void)state;
    static const nor_err_t all[] = { NOR_OK, NOR_ERR_ARG, NOR_ERR_RANGE, NOR_ERR_ALIGN,
                                     NOR_ERR_NOT_ERASED, NOR_ERR_POWER_CUT, NOR_ERR_IO };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *m = nor_strerror(all[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 1);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(m, nor_strerror(all[j]));
        }
    }
    assert_non_null(strstr(nor_strerror(NOR_ERR_NOT_ERASED), "erase"));
    assert_non_null(nor_strerror((nor_err_t)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_open_mem_sizes),
        cmocka_unit_test(test_program_bits),
        cmocka_unit_test(test_program_refused_mid_call),
        cmocka_unit_test(test_page_split),
        cmocka_unit_test(test_program_every_chunk_split),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_timing_model),
        cmocka_unit_test(test_erase_range_mix),
        cmocka_unit_test(test_power_cut_table),
        cmocka_unit_test(test_torn_prefix_every_length),
        cmocka_unit_test(test_dead_state),
        cmocka_unit_test(test_arm_disarm_rearm),
        cmocka_unit_test(test_handler_longjmp),
        cmocka_unit_test(test_copy_restore),
        cmocka_unit_test(test_file_persistence),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
