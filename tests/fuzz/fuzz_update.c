/* libFuzzer target: the update session (core/sota_update.h) on a slot held by
 * host/flash's RAM-backed NOR chip (nor_open_mem), so the NOR rules are host/flash's.
 *
 * Input: byte 0 configuration (bits 0-3 chip: the table index, or the file's own chip id
 * when past the table; bit 4 length announced; bit 5 announced exactly, else as an upper
 * bound; bits 6-7 upload policy), byte 1 seed of the piece sizes (bit 7: cancel after
 * the pieces instead of finishing), byte 2 slot (bits 0-1 size 64 KiB << n, bits 2-3
 * previous contents: erased, zeroed, every other sector dirty, random sectors; bits 4-7
 * the slot operation that fails, 0: none); bytes 3.. the file, fed in pieces.
 *
 * Traps (bugs): programming a byte that is not erased (NOR needs an erase first), any
 * erase or write before begin() or after abort()/finish(), an erase that is not one
 * aligned 64 KiB block or 4 KiB sector inside the slot, abort() twice or without begin(),
 * finish() when the streamed verdict was not valid, a verdict that differs from
 * sota_img's on the same file, a failure without a message, and a "done" session whose
 * slot does not hold the file. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "nor_flash.h"
#include "sota_chip.h"
#include "sota_image.h"
#include "sota_update.h"

#define SLOT_OFFSET 0x10000u
#define SLOT_MAX    0x80000u

typedef struct {
    nor_flash_t *flash;       /* SLOT_MAX bytes; the slot is its first size bytes */
    const uint8_t *mem;       /* nor_map(flash) */
    uint32_t size;
    const uint8_t *file;      /* the file, to compare at finish */
    size_t file_len;
    const sota_img_params_t *img;
    bool begun, aborted, finished, finish_ok;
    unsigned ops;             /* slot operations so far */
    unsigned fail_at;         /* fail this operation (1-based), 0: never */
    int begins;
} slot_t;

static slot_t s_slot;

static bool op_fails(slot_t *s)
{
    s->ops++;
    return s->fail_at != 0 && s->ops == s->fail_at;
}

static int op_begin(void *ctx)
{
    slot_t *s = ctx;
    FUZZ_CHECK(!s->begun && !s->aborted, "begin() called twice or after abort()");
    s->begins++;
    if (op_fails(s)) {
        return 0x101;
    }
    s->begun = true;
    return 0;
}

static int op_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased)
{
    slot_t *s = ctx;
    FUZZ_CHECK(!s->aborted && !s->finished, "is_erased() after the session ended");
    FUZZ_CHECK((uint64_t)off + len <= s->size, "is_erased(0x%x, 0x%x) past the 0x%x-byte slot",
               (unsigned)off, (unsigned)len, (unsigned)s->size);
    if (op_fails(s)) {
        return 0x102;
    }
    *erased = true;
    for (uint32_t i = 0; i < len; i++) {
        if (s->mem[off + i] != 0xFF) {
            *erased = false;
            break;
        }
    }
    return 0;
}

static int op_erase(void *ctx, uint32_t off, uint32_t len)
{
    slot_t *s = ctx;
    FUZZ_CHECK(s->begun && !s->aborted && !s->finished, "erase() outside begin()..end");
    FUZZ_CHECK(len == SOTA_UPDATE_BLOCK || len == SOTA_UPDATE_SECTOR,
               "erase of 0x%x bytes: neither a block nor a sector", (unsigned)len);
    FUZZ_CHECK(off % len == 0, "erase of 0x%x bytes at unaligned 0x%x", (unsigned)len,
               (unsigned)off);
    FUZZ_CHECK((uint64_t)off + len <= s->size, "erase(0x%x, 0x%x) past the 0x%x-byte slot",
               (unsigned)off, (unsigned)len, (unsigned)s->size);
    if (op_fails(s)) {
        return 0x103;
    }
    nor_err_t rc = len == SOTA_UPDATE_BLOCK ? nor_erase_block(s->flash, off)
                                            : nor_erase_sector(s->flash, off);
    FUZZ_CHECK(rc == NOR_OK, "erase(0x%x, 0x%x): %s", (unsigned)off, (unsigned)len,
               nor_strerror(rc));
    return 0;
}

static int op_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    slot_t *s = ctx;
    FUZZ_CHECK(s->begun && !s->aborted && !s->finished, "write() outside begin()..end");
    FUZZ_CHECK((uint64_t)off + len <= s->size, "write(0x%x, %zu) past the 0x%x-byte slot",
               (unsigned)off, len, (unsigned)s->size);
    if (op_fails(s)) {
        return 0x104;
    }
    for (size_t i = 0; i < len; i++) {
        /* stricter than the chip: every byte written must have been erased */
        FUZZ_CHECK(s->mem[off + i] == 0xFF, "write at slot offset 0x%zx over unerased "
                   "byte 0x%02x", (size_t)off + i, s->mem[off + i]);
    }
    nor_err_t rc = nor_program(s->flash, off, data, len);
    FUZZ_CHECK(rc == NOR_OK, "write(0x%x, %zu): %s", (unsigned)off, len, nor_strerror(rc));
    return 0;
}

typedef struct {
    const uint8_t *mem;
    uint64_t avail;
} mem_reader_t;

static int read_mem(void *ctx, uint32_t offset, void *buf, size_t len)
{
    const mem_reader_t *r = ctx;
    if ((uint64_t)offset + len > r->avail) {
        return -1;
    }
    memcpy(buf, r->mem + offset, len);
    return 0;
}

/* What esp_ota_end does: verify the image from flash. */
static int op_finish(void *ctx, char *msg, size_t msglen)
{
    slot_t *s = ctx;
    FUZZ_CHECK(s->begun && !s->aborted && !s->finished, "finish() outside begin()..end");
    s->finished = true;
    if (op_fails(s)) {
        snprintf(msg, msglen, "fuzz: finish fails");
        return 0x105;
    }
    /* The flash verifier reads past the slot into the rest of the flash; the harness has
     * only the slot, so the slot is the flash's end here: reads past it fail. */
    static sota_img_t v;
    sota_img_params_t p = *s->img;
    mem_reader_t rd = { .mem = s->mem, .avail = s->size };
    sota_img_err_t err = sota_img_verify_from(&v, &p, read_mem, &rd);
    if (err != SOTA_IMG_OK) {
        /* Legitimate only if the slot differs from "the file, then erased flash": the
         * streamed verdict (valid) assumed exactly that. */
        bool as_streamed = memcmp(s->mem, s->file, s->file_len) == 0;
        for (size_t i = s->file_len; as_streamed && i < s->size; i++) {
            as_streamed = s->mem[i] == 0xFF;
        }
        FUZZ_CHECK(!as_streamed, "streamed verdict valid, the same bytes in the slot: %s",
                   sota_img_message(&v));
        snprintf(msg, msglen, "fuzz: slot verify: %s", sota_img_message(&v));
        return 0x106;
    }
    s->finish_ok = true;
    return 0;
}

static void op_abort(void *ctx)
{
    slot_t *s = ctx;
    FUZZ_CHECK(s->begun, "abort() without begin()");
    FUZZ_CHECK(!s->aborted, "abort() called twice");
    FUZZ_CHECK(!s->finish_ok, "abort() after a successful finish()");
    s->aborted = true;
}

static const sota_update_ops_t s_ops = {
    .begin = op_begin,
    .is_erased = op_is_erased,
    .erase = op_erase,
    .write = op_write,
    .finish = op_finish,
    .abort = op_abort,
};

/* Load one sector of the slot as a programmer would (not a slot operation). */
static void load_sector(slot_t *s, uint32_t off, const uint8_t *sector)
{
    nor_err_t rc = nor_load(s->flash, off, sector, SOTA_UPDATE_SECTOR);
    FUZZ_CHECK(rc == NOR_OK, "prefill at 0x%x: %s", (unsigned)off, nor_strerror(rc));
}

static void prefill(slot_t *s, unsigned mode, fuzz_rng_t *rng)
{
    static uint8_t sector[SOTA_UPDATE_SECTOR];
    for (uint32_t off = 0; off < s->size; off += SOTA_UPDATE_SECTOR) {
        uint8_t fill;
        switch (mode) {
        case 0: fill = 0xFF; break;
        case 1: fill = 0x00; break;
        case 2: fill = (off / SOTA_UPDATE_SECTOR) & 1 ? 0xFF : 0x5A; break;
        default: {
            uint64_t x = fuzz_rng_next(rng);
            fill = (x & 3) ? 0xFF : (uint8_t)(x >> 8);
            if (fill == 0xFF && (x & 3) == 0) {
                fill = 0xFE;
            }
            if ((x & 3) == 1) {
                /* erased but for one byte */
                memset(sector, 0xFF, SOTA_UPDATE_SECTOR);
                sector[(x >> 16) % SOTA_UPDATE_SECTOR] = 0x7E;
                load_sector(s, off, sector);
                continue;
            }
            break;
        }
        }
        memset(sector, fill, SOTA_UPDATE_SECTOR);
        load_sector(s, off, sector);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = { data, size };
    uint8_t conf = fuzz_u8(&in);
    uint8_t piece_seed = fuzz_u8(&in);
    uint8_t slot_conf = fuzz_u8(&in);
    size_t n = in.n;
    uint8_t *file = fuzz_dup(in.p, n);

    size_t count = 0;
    const sota_chip_t *chips = sota_chip_list(&count);
    const sota_chip_t *chip = NULL;
    if ((conf & 15u) < count) {
        chip = &chips[conf & 15u];
    } else if (n >= 14) {
        chip = sota_chip_by_id((uint16_t)(file[12] | file[13] << 8));
    }
    if (!chip) {
        chip = sota_chip_by_name("esp32");
    }

    slot_t *s = &s_slot;
    if (!s->flash) {
        nor_err_t rc = NOR_OK;
        s->flash = nor_open_mem(SLOT_MAX, &rc);
        FUZZ_CHECK(s->flash != NULL, "nor_open_mem: %s", nor_strerror(rc));
        s->mem = nor_map(s->flash);
    }
    s->size = 0x10000u << (slot_conf & 3u);
    s->file = file;
    s->file_len = n;
    s->begun = s->aborted = s->finished = s->finish_ok = false;
    s->ops = 0;
    s->begins = 0;
    s->fail_at = slot_conf >> 4;
    fuzz_rng_t rng = { 0x5EED0000u + piece_seed };
    prefill(s, (slot_conf >> 2) & 3u, &rng);

    sota_update_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.img.chip = chip;
    cfg.img.chip_rev = chip->default_rev;
    cfg.img.slot_size = s->size;
    cfg.img.slot_offset = SLOT_OFFSET;
    cfg.img.flash_size = SLOT_OFFSET + s->size;  /* the slot ends the flash */
    s->img = &cfg.img;
    unsigned pol = conf >> 6;
    cfg.policy.require_app_desc = pol >= 1;
    cfg.policy.require_sha256 = pol >= 1;
    cfg.policy.require_same_project = pol >= 2;
    cfg.policy.refuse_downgrade = pol >= 2;
    cfg.policy.refuse_lower_secure_version = pol >= 3;
    cfg.running_project = "sota_test";
    cfg.running_version = "1.0.0";
    cfg.running_secure_version = 1;
    if (conf & 0x10) {
        cfg.announced_exact = (conf & 0x20) != 0;
        cfg.announced_len = cfg.announced_exact ? n : n + (piece_seed & 0x7Fu) * 97u;
    }

    static sota_update_t u;
    sota_update_init(&u, &cfg, &s_ops, s);
    bool cancel = piece_seed & 0x80;
    sota_update_err_t err = SOTA_UPDATE_OK;
    for (size_t off = 0; off < n;) {
        size_t k = fuzz_piece(&rng, n - off);
        err = sota_update_feed(&u, file + off, k);
        off += k;
        if (err != SOTA_UPDATE_OK) {
            /* sticky: a later feed returns the same and does nothing */
            sota_update_err_t again = sota_update_feed(&u, file, n < 1 ? 0 : 1);
            FUZZ_CHECK(again == err, "feed after failure %s returned %s",
                       sota_update_err_code(err), sota_update_err_code(again));
            break;
        }
    }
    if (cancel && err == SOTA_UPDATE_OK) {
        sota_update_cancel(&u, "fuzz: cancelled");
        FUZZ_CHECK(u.state == SOTA_UPDATE_ST_FAILED, "cancel left state %d", (int)u.state);
        err = u.err;
    } else {
        err = sota_update_finish(&u);
    }

    FUZZ_CHECK(sota_update_err_code(err) != NULL, "no code for %d", (int)err);
    FUZZ_CHECK(u.msg[0] != '\0', "no message (result %s)", sota_update_err_code(err));
    FUZZ_CHECK(memchr(u.msg, '\0', sizeof u.msg) != NULL, "message not terminated");
    int status = sota_update_http_status(err);
    FUZZ_CHECK(status == 200 || (status >= 400 && status < 600), "HTTP status %d", status);
    FUZZ_CHECK(err != SOTA_UPDATE_ERR_STATE, "internal error on fuzzed input: %s", u.msg);
    FUZZ_CHECK(s->begins <= 1, "begin() called %d times", s->begins);

    if (err == SOTA_UPDATE_OK) {
        FUZZ_CHECK(u.state == SOTA_UPDATE_ST_DONE, "ok but state %d", (int)u.state);
        FUZZ_CHECK(s->finished && !s->aborted, "ok without finish() or with abort()");
        FUZZ_CHECK(u.written == n && memcmp(s->mem, file, n) == 0,
                   "ok but the slot does not hold the %zu-byte file (%u written)", n,
                   (unsigned)u.written);
        /* The session may be stricter than ESP-IDF (policy), never more lenient. */
        static sota_img_t v;
        sota_img_init(&v, &cfg.img);
        sota_img_feed(&v, file, n);
        sota_img_err_t ie = sota_img_finish(&v);
        FUZZ_CHECK(ie == SOTA_IMG_OK, "update accepted a file sota_img rejects: %s", v.msg);
        if (cfg.announced_len && !cfg.announced_exact) {
            FUZZ_CHECK(n <= cfg.announced_len, "more than the announced upper bound");
        }
    } else {
        FUZZ_CHECK(u.state == SOTA_UPDATE_ST_FAILED, "failed (%s) but state %d",
                   sota_update_err_code(err), (int)u.state);
        FUZZ_CHECK(s->aborted == s->begun, "failed after begin() without abort(), or "
                   "abort() without begin() (begun %d aborted %d)", s->begun, s->aborted);
        if (err == SOTA_UPDATE_ERR_FLASH) {
            FUZZ_CHECK(s->fail_at != 0 || s->finished, "flash error without a failing "
                       "operation: %s", u.msg);
        }
    }
    /* ops stay quiet once the session ended */
    sota_update_cancel(&u, "late cancel");
    FUZZ_CHECK(u.err == err, "late cancel changed the result");

    /* version order: antisymmetric */
    if (u.img.have_desc) {
        static const char *const others[] = { "1.0.0", "v1.0", "1.0.0-rc1", "2", "" };
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            int a = sota_update_version_cmp(u.img.desc.version, others[i]);
            int b = sota_update_version_cmp(others[i], u.img.desc.version);
            FUZZ_CHECK((a > 0) == (b < 0) && (a == 0) == (b == 0),
                       "version order '%s' vs '%s': %d and %d", u.img.desc.version,
                       others[i], a, b);
        }
    }
    free(file);
    return 0;
}
