/* Test fixture: the app slot of an update session (core/sota_update.h) behind
 * sota_update_ops_t, on host/flash's RAM-backed NOR chip (nor_open_mem): the NOR rules
 * (erase whole aligned sectors/blocks to 0xFF, program ANDs 1 -> 0 only, refuse 0 -> 1)
 * are host/flash's, not this file's. Header-only, for the cmocka tests of tests/unit:
 * include after cmocka.h (a broken rule fails the running test through it).
 *
 * The slot is the whole chip (slot offset 0 of a chip of the slot's size), and:
 *  - counts what the session did (begin, erase by kind from the chip's counters, write,
 *    finish, abort, bytes is_erased looked at);
 *  - injects faults on request: the Nth write, finish, a read at an offset (the chip's
 *    own power-cut countdown is reachable through s->flash as well);
 *  - checks the session's side of the contract. Offsets out of the slot, and erases of
 *    another size or alignment, fail the test at once. Two rules are the test's choice:
 *    a write that needs a bit 0 -> 1 (an erase was skipped: the chip refuses that page),
 *    and an erase or write while begin has not been called exactly once. Each is either
 *    recorded in a flag that the test asserts (FX_RECORD, the default) or fails the test
 *    in the callback (FX_FAIL).
 *
 * Use: fx_slot_t *s = fx_slot_new(FX_SLOT_SIZE, 0xFF); set fault and rule fields; run a
 * session with &fx_slot_ops (or &fx_slot_ops_no_read) and s as ctx; check the counters
 * and s->mem (the chip, read-only; fx_slot_poke changes a byte as a programmer would);
 * fx_slot_free(s). */
#ifndef FIXTURE_SLOT_H
#define FIXTURE_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nor_flash.h"
#include "sota_update.h"

/* ota_0 of partitions.csv on a 4 MiB chip: what the session tests configure. */
#define FX_SLOT_SIZE   0x100000u
#define FX_SLOT_OFFSET 0x110000u
#define FX_FLASH_SIZE  0x400000u

/* The platform codes the injected faults return (sota_update_t.platform_err). */
#define FX_SLOT_ERR_WRITE 0x6001
#define FX_SLOT_ERR_READ  0x6002

typedef enum {
    FX_RECORD = 0, /* a broken rule sets its flag; the test asserts the flag */
    FX_FAIL,       /* a broken rule fails the running test at once */
} fx_rule_t;

typedef struct {
    nor_flash_t *flash;         /* the slot: a RAM-backed NOR chip of size bytes */
    const uint8_t *mem;         /* its contents (nor_map), read-only */
    uint32_t size;

    /* what the session did (fx_slot_reset clears them) */
    int begins, finishes, aborts;
    int writes;                 /* write calls, an injected failure included */
    int erases;                 /* block_erases + sector_erases */
    int block_erases, sector_erases;
    uint64_t bytes_checked;     /* bytes is_erased looked at */
    bool wrote_unerased;        /* a write needed 0 -> 1 (on_unerased == FX_RECORD) */
    bool touched_before_begin;  /* an erase or write while begins != 1 (on_early == FX_RECORD) */
    uint16_t *sector_erased;    /* per 4 KiB sector: times it was erased (a block erase
                                   counts for each of its sectors) */

    /* faults to inject (kept by fx_slot_reset) */
    int fail_write_at;          /* the Nth write (1-based) returns FX_SLOT_ERR_WRITE; 0: never */
    int fail_finish;            /* finish writes a reason and returns this; 0: succeeds */
    uint32_t fail_read_at;      /* a read starting here returns FX_SLOT_ERR_READ; 0: never */

    /* what a broken rule does (kept by fx_slot_reset) */
    fx_rule_t on_unerased;
    fx_rule_t on_early;
} fx_slot_t;

static inline void fx_slot_check_nor(nor_err_t rc, const char *op, uint32_t off)
{
    if (rc != NOR_OK) {
        fail_msg("slot %s at 0x%x: %s", op, (unsigned)off, nor_strerror(rc));
    }
}

/* Clear the counters and flags and fill the slot with `fill`; faults and rules stay. */
static inline void fx_slot_reset(fx_slot_t *s, uint8_t fill)
{
    static uint8_t block[NOR_BLOCK_SIZE];
    memset(block, fill, sizeof block);
    for (uint32_t off = 0; off < s->size; off += NOR_BLOCK_SIZE) {
        fx_slot_check_nor(nor_load(s->flash, off, block, sizeof block), "fill", off);
    }
    nor_reset_stats(s->flash);
    s->begins = s->finishes = s->aborts = 0;
    s->writes = s->erases = s->block_erases = s->sector_erases = 0;
    s->bytes_checked = 0;
    s->wrote_unerased = false;
    s->touched_before_begin = false;
    if (s->sector_erased) {
        memset(s->sector_erased, 0, s->size / SOTA_UPDATE_SECTOR * sizeof *s->sector_erased);
    }
}

/* A slot of `size` bytes (a multiple of 64 KiB), all `fill` (0xFF: blank; anything
 * else: an old image that needs erasing), no faults, both rules FX_RECORD. Free with
 * fx_slot_free. */
static inline fx_slot_t *fx_slot_new(uint32_t size, uint8_t fill)
{
    fx_slot_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    nor_err_t rc = NOR_OK;
    s->flash = nor_open_mem(size, &rc);
    fx_slot_check_nor(rc, "open", size);
    s->mem = nor_map(s->flash);
    s->size = size;
    s->sector_erased = calloc(size / SOTA_UPDATE_SECTOR + 1, sizeof *s->sector_erased);
    assert_non_null(s->sector_erased);
    fx_slot_reset(s, fill);
    return s;
}

static inline void fx_slot_free(fx_slot_t *s)
{
    if (s) {
        nor_close(s->flash);
        free(s->sector_erased);
        free(s);
    }
}

/* Set one byte of the slot as a programmer would (no NOR rule, not counted). */
static inline void fx_slot_poke(fx_slot_t *s, uint32_t off, uint8_t v)
{
    fx_slot_check_nor(nor_load(s->flash, off, &v, 1), "poke", off);
}

static inline void fx_slot_in_range(const fx_slot_t *s, const char *op, uint32_t off, uint64_t len)
{
    if ((uint64_t)off + len > s->size) {
        fail_msg("slot %s of %llu bytes at 0x%x: past the slot end 0x%x", op,
                 (unsigned long long)len, (unsigned)off, (unsigned)s->size);
    }
}

/* The order rule: nothing is erased or written outside one begin. */
static inline void fx_slot_check_begun(fx_slot_t *s, const char *op, uint32_t off)
{
    if (s->begins == 1) {
        return;
    }
    if (s->on_early == FX_FAIL) {
        fail_msg("slot %s at 0x%x after %d begin calls, want exactly 1", op, (unsigned)off, s->begins);
    }
    s->touched_before_begin = true;
}

static inline int fx_slot_begin(void *ctx)
{
    fx_slot_t *s = ctx;
    s->begins++;
    return 0;
}

static inline int fx_slot_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased)
{
    fx_slot_t *s = ctx;
    fx_slot_in_range(s, "is_erased", off, len);
    s->bytes_checked += len;
    *erased = true;
    for (uint32_t i = 0; i < len; i++) {
        if (s->mem[off + i] != 0xFF) {
            *erased = false;
            break;
        }
    }
    return 0;
}

static inline int fx_slot_erase(void *ctx, uint32_t off, uint32_t len)
{
    fx_slot_t *s = ctx;
    fx_slot_check_begun(s, "erase", off);
    fx_slot_in_range(s, "erase", off, len);
    nor_err_t rc;
    if (len == SOTA_UPDATE_BLOCK) {
        rc = nor_erase_block(s->flash, off);
    } else if (len == SOTA_UPDATE_SECTOR) {
        rc = nor_erase_sector(s->flash, off);
    } else {
        fail_msg("slot erase of %u bytes at 0x%x: neither a block nor a sector", (unsigned)len, (unsigned)off);
        return -1;
    }
    fx_slot_check_nor(rc, "erase", off);
    for (uint32_t k = 0; k < len / SOTA_UPDATE_SECTOR; k++) {
        s->sector_erased[off / SOTA_UPDATE_SECTOR + k]++;
    }
    nor_stats_t st;
    nor_stats(s->flash, &st);
    s->block_erases = (int)st.block_erases;
    s->sector_erases = (int)st.sector_erases;
    s->erases = s->block_erases + s->sector_erases;
    return 0;
}

static inline int fx_slot_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    fx_slot_t *s = ctx;
    fx_slot_check_begun(s, "write", off);
    s->writes++;
    if (s->fail_write_at && s->writes == s->fail_write_at) {
        return FX_SLOT_ERR_WRITE;
    }
    fx_slot_in_range(s, "write", off, len);
    nor_err_t rc = nor_program(s->flash, off, data, len);
    if (rc == NOR_ERR_NOT_ERASED) {
        if (s->on_unerased == FX_FAIL) {
            fail_msg("slot write of %zu bytes at 0x%x: %s", len, (unsigned)off, nor_strerror(rc));
        }
        s->wrote_unerased = true;
        return 0;
    }
    fx_slot_check_nor(rc, "write", off);
    return 0;
}

static inline int fx_slot_finish(void *ctx, char *msg, size_t msglen)
{
    fx_slot_t *s = ctx;
    s->finishes++;
    if (s->fail_finish) {
        snprintf(msg, msglen, "test: finish fails");
    }
    return s->fail_finish;
}

static inline void fx_slot_abort(void *ctx)
{
    fx_slot_t *s = ctx;
    s->aborts++;
}

static inline int fx_slot_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    fx_slot_t *s = ctx;
    if (s->fail_read_at && off == s->fail_read_at) {
        return FX_SLOT_ERR_READ;
    }
    fx_slot_in_range(s, "read", off, len);
    fx_slot_check_nor(nor_read(s->flash, off, buf, len), "read", off);
    return 0;
}

/* Every operation; the session reads the slot back only under policy.require_signed. */
static const sota_update_ops_t fx_slot_ops = {
    .begin = fx_slot_begin, .is_erased = fx_slot_is_erased, .erase = fx_slot_erase,
    .write = fx_slot_write, .finish = fx_slot_finish, .abort = fx_slot_abort,
    .read = fx_slot_read,
};

/* Without read: the platform that cannot read the slot back. */
static const sota_update_ops_t fx_slot_ops_no_read = {
    .begin = fx_slot_begin, .is_erased = fx_slot_is_erased, .erase = fx_slot_erase,
    .write = fx_slot_write, .finish = fx_slot_finish, .abort = fx_slot_abort,
};

/* The session configuration the tests start from: ota_0 (FX_SLOT_SIZE at FX_SLOT_OFFSET)
 * of a 4 MiB esp32 v3.0, app description and SHA-256 required, running softap-ota
 * 0.1.0, `announced` bytes announced (exactly, or as an upper bound). */
static inline sota_update_cfg_t fx_slot_cfg(uint64_t announced, bool exact)
{
    sota_update_cfg_t c;
    memset(&c, 0, sizeof c);
    c.img.chip = sota_chip_by_name("esp32");
    c.img.chip_rev = 300;
    c.img.slot_size = FX_SLOT_SIZE;
    c.img.slot_offset = FX_SLOT_OFFSET;
    c.img.flash_size = FX_FLASH_SIZE;
    c.policy.require_app_desc = true;
    c.policy.require_sha256 = true;
    c.running_project = "softap-ota";
    c.running_version = "0.1.0";
    c.announced_len = announced;
    c.announced_exact = exact;
    return c;
}

/* The most times any one sector of the slot was erased since the last reset. */
static inline unsigned fx_slot_max_erased(const fx_slot_t *s)
{
    unsigned m = 0;
    for (uint32_t k = 0; k < s->size / SOTA_UPDATE_SECTOR; k++) {
        m = s->sector_erased[k] > m ? s->sector_erased[k] : m;
    }
    return m;
}

/* Start a session on slot s (or any ctx of ops) and feed it data in pieces of `piece` bytes (the last one
 * shorter), stopping at the first refusal, then finish. Returns the first error, or
 * finish's result. A feed that fails must return the session's own err (checked). */
static inline sota_update_err_t fx_slot_run(sota_update_t *u, void *s, const sota_update_cfg_t *c,
                                         const sota_update_ops_t *ops, const uint8_t *data, size_t len,
                                         size_t piece)
{
    assert_true(piece > 0);
    sota_update_init(u, c, ops, s);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        sota_update_err_t e = sota_update_feed(u, data + off, n);
        if (e != SOTA_UPDATE_OK) {
            assert_int_equal(e, u->err);
            return e;
        }
    }
    return sota_update_finish(u);
}

#endif
