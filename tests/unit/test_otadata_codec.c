/* otadata: CRC, codec, predicates, active-entry selection, slot mapping, flash I/O
 * (ESP-FORMATS.md 2). Expected values are written out from the spec's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "otadata.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- CRC ------------------------------------------------------------------------------ */

static void test_crc_examples(void **state)
{
    (void)state;
    static const struct { uint32_t seq, crc; } v[] = {
        { 1, 0x4743989Au },
        { 2, 0x55F63774u },
        { 3, 0xED4A5011u },
        { 0xFFFFFFFEu, 0x99F8B879u },
        { 0, 0xFFFFFFFFu },
        /* not the plain CRC-32 of the 4 bytes (that would be 0xFFFFFFFF for seq ~0) */
        { 0xFFFFFFFFu, 0x2144DF1Cu },
        { 20, 0x20843F37u },
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        assert_int_equal(otadata_crc(v[i].seq), v[i].crc);
    }
}

/* ---- codec ---------------------------------------------------------------------------- */

static void test_encode_layout_and_round_trip(void **state)
{
    (void)state;
    otadata_entry_t e = { .ota_seq = 0x04030201u, .ota_state = 0x0A0B0C0Du, .crc = 0x11223344u };
    for (size_t i = 0; i < sizeof e.seq_label; i++) {
        e.seq_label[i] = (uint8_t)(0x40 + i);
    }
    uint8_t raw[OTADATA_ENTRY_LEN];
    otadata_encode(&e, raw);
    static const uint8_t want[OTADATA_ENTRY_LEN] = {
        0x01, 0x02, 0x03, 0x04,
        0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0x53,
        0x0D, 0x0C, 0x0B, 0x0A,
        0x44, 0x33, 0x22, 0x11,
    };
    assert_memory_equal(raw, want, sizeof want);

    otadata_entry_t d;
    memset(&d, 0, sizeof d);
    otadata_decode(raw, &d);
    assert_int_equal(d.ota_seq, e.ota_seq);
    assert_int_equal(d.ota_state, e.ota_state);
    assert_int_equal(d.crc, e.crc);
    assert_memory_equal(d.seq_label, e.seq_label, sizeof e.seq_label);

    /* every byte pattern decodes and re-encodes to itself */
    for (int fill = 0; fill < 256; fill += 51) {
        uint8_t in[OTADATA_ENTRY_LEN], out[OTADATA_ENTRY_LEN];
        for (size_t i = 0; i < sizeof in; i++) {
            in[i] = (uint8_t)(fill + i * 7);
        }
        otadata_decode(in, &d);
        otadata_encode(&d, out);
        assert_memory_equal(in, out, sizeof in);
    }
}

static void test_make(void **state)
{
    (void)state;
    otadata_entry_t e = otadata_make(2, OTA_STATE_NEW);
    assert_int_equal(e.ota_seq, 2);
    assert_int_equal(e.ota_state, OTA_STATE_NEW);
    assert_int_equal(e.crc, 0x55F63774u);
    for (size_t i = 0; i < sizeof e.seq_label; i++) {
        assert_int_equal(e.seq_label[i], 0xFF);
    }
}

static void test_state_names(void **state)
{
    (void)state;
    static const struct { uint32_t st; const char *name; } v[] = {
        { OTA_STATE_NEW, "NEW" },
        { OTA_STATE_PENDING_VERIFY, "PENDING_VERIFY" },
        { OTA_STATE_VALID, "VALID" },
        { OTA_STATE_INVALID, "INVALID" },
        { OTA_STATE_ABORTED, "ABORTED" },
        { OTA_STATE_UNDEFINED, "UNDEFINED" },
        { 5, "0x00000005" },
        { 0xFFFFFFFEu, "0xfffffffe" },
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        char buf[12];
        assert_string_equal(otadata_state_name(v[i].st, buf), v[i].name);
    }
}

/* ---- predicates and selection ------------------------------------------------------- */

#define SEQ_ERASED 0xFFFFFFFFu
#define SEQ_MAX    0xFFFFFFFEu /* the highest sequence number an entry can have */
#define ST_OTHER   0x7u        /* any unnamed state: behaves like VALID */

/* Written out from the rules: invalid = seq erased or state INVALID/ABORTED;
 * valid = !invalid and crc good. */
static const struct {
    uint32_t seq, st;
    bool invalid;
    bool valid_if_crc_ok;
} s_rows[] = {
    { SEQ_ERASED, OTA_STATE_NEW, true, false },
    { SEQ_ERASED, OTA_STATE_PENDING_VERIFY, true, false },
    { SEQ_ERASED, OTA_STATE_VALID, true, false },
    { SEQ_ERASED, OTA_STATE_INVALID, true, false },
    { SEQ_ERASED, OTA_STATE_ABORTED, true, false },
    { SEQ_ERASED, OTA_STATE_UNDEFINED, true, false },
    { SEQ_ERASED, ST_OTHER, true, false },
    { 1, OTA_STATE_NEW, false, true },
    { 1, OTA_STATE_PENDING_VERIFY, false, true },
    { 1, OTA_STATE_VALID, false, true },
    { 1, OTA_STATE_INVALID, true, false },
    { 1, OTA_STATE_ABORTED, true, false },
    { 1, OTA_STATE_UNDEFINED, false, true },
    { 1, ST_OTHER, false, true },
    { 2, OTA_STATE_NEW, false, true },
    { 2, OTA_STATE_PENDING_VERIFY, false, true },
    { 2, OTA_STATE_VALID, false, true },
    { 2, OTA_STATE_INVALID, true, false },
    { 2, OTA_STATE_ABORTED, true, false },
    { 2, OTA_STATE_UNDEFINED, false, true },
    { 2, ST_OTHER, false, true },
    { SEQ_MAX, OTA_STATE_NEW, false, true },
    { SEQ_MAX, OTA_STATE_PENDING_VERIFY, false, true },
    { SEQ_MAX, OTA_STATE_VALID, false, true },
    { SEQ_MAX, OTA_STATE_INVALID, true, false },
    { SEQ_MAX, OTA_STATE_ABORTED, true, false },
    { SEQ_MAX, OTA_STATE_UNDEFINED, false, true },
    { SEQ_MAX, ST_OTHER, false, true },
};

/* Entry k of the 56 combinations: row k/2, crc good if k is even. */
#define N_COMBOS (2 * ARRAY_LEN(s_rows))

static otadata_entry_t combo_entry(size_t k)
{
    otadata_entry_t e = otadata_make(s_rows[k / 2].seq, s_rows[k / 2].st);
    if (k % 2) {
        e.crc ^= 0x00010000u; /* bad CRC (for the erased seq: 0x2144DF1C -> another value) */
    }
    if (s_rows[k / 2].seq == SEQ_ERASED && k % 2) {
        e.crc = 0xFFFFFFFFu; /* a real erased entry */
    }
    return e;
}

static bool combo_valid(size_t k)
{
    return s_rows[k / 2].valid_if_crc_ok && k % 2 == 0;
}

static void test_predicates_every_entry(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_COMBOS; k++) {
        otadata_entry_t e = combo_entry(k);
        if (otadata_is_invalid(&e) != s_rows[k / 2].invalid ||
            otadata_is_valid(&e) != combo_valid(k)) {
            fail_msg("entry seq 0x%x state 0x%x crc %s", (unsigned)e.ota_seq,
                     (unsigned)e.ota_state, k % 2 ? "bad" : "ok");
        }
    }
}

static void test_active_every_pair(void **state)
{
    (void)state;
    for (size_t a = 0; a < N_COMBOS; a++) {
        for (size_t b = 0; b < N_COMBOS; b++) {
            otadata_entry_t e[2] = { combo_entry(a), combo_entry(b) };
            bool va = combo_valid(a), vb = combo_valid(b);
            int want;
            if (va && vb) {
                /* both valid: the higher seq; equal seqs: entry 0 */
                want = s_rows[b / 2].seq > s_rows[a / 2].seq ? 1 : 0;
            } else if (va) {
                want = 0;
            } else if (vb) {
                want = 1;
            } else {
                want = -1;
            }
            int got = otadata_active(e);
            if (got != want) {
                fail_msg("otadata_active({seq 0x%x st 0x%x crc %s}, {seq 0x%x st 0x%x crc %s})"
                         " = %d, want %d", (unsigned)e[0].ota_seq, (unsigned)e[0].ota_state,
                         a % 2 ? "bad" : "ok", (unsigned)e[1].ota_seq, (unsigned)e[1].ota_state,
                         b % 2 ? "bad" : "ok", got, want);
            }
        }
    }
}

/* A few pairs written out whole, as the scenarios in testdata/boot have them. */
static void test_active_named_pairs(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint32_t seq0, st0; bool crc0;
        uint32_t seq1, st1; bool crc1;
        int want;
    } v[] = {
        { "tie -> entry 0", 2, OTA_STATE_VALID, true, 2, OTA_STATE_UNDEFINED, true, 0 },
        { "tie, both NEW", 5, OTA_STATE_NEW, true, 5, OTA_STATE_NEW, true, 0 },
        { "higher seq in entry 1", 1, OTA_STATE_NEW, true, 2, OTA_STATE_NEW, true, 1 },
        { "higher seq in entry 0", 20, OTA_STATE_VALID, true, 19, OTA_STATE_VALID, true, 0 },
        { "higher seq has bad crc", 2, OTA_STATE_VALID, false, 1, OTA_STATE_VALID, true, 1 },
        { "higher seq INVALID", 2, OTA_STATE_INVALID, true, 1, OTA_STATE_VALID, true, 1 },
        { "higher seq ABORTED", 2, OTA_STATE_ABORTED, true, 1, OTA_STATE_VALID, true, 1 },
        { "higher seq PENDING", 2, OTA_STATE_PENDING_VERIFY, true, 1, OTA_STATE_VALID, true, 0 },
        { "both erased", SEQ_ERASED, OTA_STATE_UNDEFINED, false, SEQ_ERASED, OTA_STATE_UNDEFINED,
          false, -1 },
        { "one erased", 1, OTA_STATE_VALID, true, SEQ_ERASED, OTA_STATE_UNDEFINED, false, 0 },
        { "both bad crc", 2, OTA_STATE_VALID, false, 1, OTA_STATE_VALID, false, -1 },
        { "seq 0 is valid", 0, OTA_STATE_VALID, true, SEQ_ERASED, OTA_STATE_UNDEFINED, false, 0 },
        { "seq max beats 1", 1, OTA_STATE_VALID, true, SEQ_MAX, OTA_STATE_VALID, true, 1 },
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        otadata_entry_t e[2] = { otadata_make(v[i].seq0, v[i].st0), otadata_make(v[i].seq1, v[i].st1) };
        if (!v[i].crc0) {
            e[0].crc = e[0].ota_seq == SEQ_ERASED ? 0xFFFFFFFFu : e[0].crc + 1;
        }
        if (!v[i].crc1) {
            e[1].crc = e[1].ota_seq == SEQ_ERASED ? 0xFFFFFFFFu : e[1].crc + 1;
        }
        if (otadata_active(e) != v[i].want) {
            fail_msg("%s: got %d want %d", v[i].what, otadata_active(e), v[i].want);
        }
    }
}

static void test_slot_mapping(void **state)
{
    (void)state;
    static const struct { uint32_t seq, count, slot; } v[] = {
        { 1, 2, 0 }, { 2, 2, 1 }, { 3, 2, 0 }, { 4, 2, 1 },
        { 0, 2, 1 },                 /* 0 - 1 wraps to 0xFFFFFFFF, odd */
        { 0, 3, 0 },                 /* 0xFFFFFFFF = 3 * 0x55555555 */
        { 0, 16, 15 },
        { 16, 16, 15 }, { 17, 16, 0 }, /* N and N+1 */
        { 20, 16, 3 },
        { SEQ_MAX, 16, 13 },         /* 0xFFFFFFFD mod 16 */
        { SEQ_MAX, 2, 1 },
        { 7, 1, 0 },
        { 1, 0, UINT32_MAX },        /* no OTA slot */
    };
    for (size_t i = 0; i < ARRAY_LEN(v); i++) {
        otadata_entry_t e = otadata_make(v[i].seq, OTA_STATE_VALID);
        if (otadata_slot(&e, v[i].count) != v[i].slot) {
            fail_msg("seq %u, %u slots: got %u want %u", (unsigned)v[i].seq, (unsigned)v[i].count,
                     (unsigned)otadata_slot(&e, v[i].count), (unsigned)v[i].slot);
        }
    }
}

/* ---- flash I/O ------------------------------------------------------------------------ */

static void test_read_write_mem_flash(void **state)
{
    (void)state;
    nor_err_t err;
    nor_flash_t *f = nor_open_mem(0x10000, &err);
    assert_non_null(f);
    const uint32_t off = 0xD000;

    otadata_entry_t e[2];
    assert_int_equal(otadata_read(f, off, e), NOR_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e[i].ota_seq, 0xFFFFFFFFu);
        assert_int_equal(e[i].ota_state, 0xFFFFFFFFu);
        assert_int_equal(e[i].crc, 0xFFFFFFFFu);
        assert_false(otadata_is_valid(&e[i]));
    }
    assert_int_equal(otadata_active(e), -1);

    otadata_entry_t a = otadata_make(1, OTA_STATE_VALID);
    otadata_entry_t b = otadata_make(2, OTA_STATE_NEW);
    b.seq_label[0] = 'x';
    assert_int_equal(otadata_write(f, off, 0, &a), NOR_OK);
    assert_int_equal(otadata_write(f, off, 1, &b), NOR_OK);

    /* the bytes sit at the start of each sector, the rest of the sector stays erased */
    const uint8_t *m = nor_map(f);
    uint8_t raw[OTADATA_ENTRY_LEN];
    otadata_encode(&a, raw);
    assert_memory_equal(m + off, raw, sizeof raw);
    otadata_encode(&b, raw);
    assert_memory_equal(m + off + OTADATA_SECTOR, raw, sizeof raw);
    assert_int_equal(m[off + OTADATA_ENTRY_LEN], 0xFF);
    assert_int_equal(m[off + OTADATA_SECTOR - 1], 0xFF);

    assert_int_equal(otadata_read(f, off, e), NOR_OK);
    assert_int_equal(e[0].ota_seq, 1);
    assert_int_equal(e[1].ota_seq, 2);
    assert_int_equal(e[1].seq_label[0], 'x');
    assert_int_equal(otadata_active(e), 1);

    /* rewriting an entry erases its sector first (a plain program would need 0 -> 1) */
    otadata_entry_t c = otadata_make(3, OTA_STATE_VALID);
    assert_int_equal(otadata_write(f, off, 0, &c), NOR_OK);
    assert_int_equal(otadata_read(f, off, e), NOR_OK);
    assert_int_equal(e[0].ota_seq, 3);
    assert_int_equal(e[0].crc, 0xED4A5011u);
    assert_int_equal(e[1].ota_seq, 2); /* the other sector is untouched */
    assert_int_equal(otadata_active(e), 0);

    /* bad arguments and ranges */
    assert_int_equal(otadata_write(f, off, 2, &c), NOR_ERR_ARG);
    assert_int_equal(otadata_write(f, off, -1, &c), NOR_ERR_ARG);
    assert_int_equal(otadata_write(NULL, off, 0, &c), NOR_ERR_ARG);
    assert_int_equal(otadata_read(NULL, off, e), NOR_ERR_ARG);
    assert_int_equal(otadata_read(f, 0xE000, e), NOR_OK);          /* last two sectors: N */
    assert_int_not_equal(otadata_read(f, 0xF000, e), NOR_OK);      /* one further: N+1 */
    assert_int_not_equal(otadata_write(f, 0xF000, 1, &c), NOR_OK);
    assert_int_not_equal(otadata_read(f, 0xFFFFF800u, e), NOR_OK); /* no uint32 wrap */

    nor_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_examples),
        cmocka_unit_test(test_encode_layout_and_round_trip),
        cmocka_unit_test(test_make),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_predicates_every_entry),
        cmocka_unit_test(test_active_every_pair),
        cmocka_unit_test(test_active_named_pairs),
        cmocka_unit_test(test_slot_mapping),
        cmocka_unit_test(test_read_write_mem_flash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
