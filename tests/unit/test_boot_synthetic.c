/* Bootloader simulator on flash images built here: fallback order, missing factory,
 * 16 slots with sequence wrap-around, app_count with gaps, rollback writes, the
 * ota_has_initial_contents rewrite, test app, power cut. The apps are valid esp32
 * images from testdata/images (position independent at any 64 KiB aligned slot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"
#include "fixture_files.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FLASH_SIZE   (4u * 1024u * 1024u)
#define ERASED       0xFFFFFFFFu
#define SEQ_MAX      0xFFFFFFFEu
#define NONE         BOOT_NO_INDEX
#define FACT         BOOT_FACTORY_INDEX

static fx_blob_t s_app_a; /* oracle_app 1.0.0 */
static fx_blob_t s_app_b; /* ota_demo 2.3.4-rc1, secure_version 7 */

static int setup(void **state)
{
    (void)state;
    s_app_a = fx_load_testdata("images", "c01_valid_esp32_10k.bin");
    s_app_b = fx_load_testdata("images", "c09_valid_esp32_secver7.bin");
    return s_app_a.len && s_app_b.len ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(s_app_a.data);
    free(s_app_b.data);
    return 0;
}

/* ---- building flash --------------------------------------------------------------------- */

typedef struct {
    const char *label;
    uint8_t type, subtype;
    uint32_t offset, size;
} part_t;

#define P_NVS      { "nvs", 1, 0x02, 0x9000, 0x4000 }
#define P_OTADATA  { "otadata", 1, 0x00, 0xD000, 0x2000 }
#define P_FACTORY  { "factory", 0, 0x00, 0x10000, 0x100000 }
#define P_OTA(n, off) { "ota_" #n, 0, 0x10 + (n), (off), 0x100000 }
#define P_S16(n)   { "ota_" #n, 0, 0x10 + (n), 0x10000 + (n) * 0x30000u, 0x30000 }

static const part_t L_STD[] = { P_NVS, P_OTADATA, P_FACTORY, P_OTA(0, 0x110000), P_OTA(1, 0x210000) };
static const part_t L_NOFACT[] = { P_NVS, P_OTADATA, P_OTA(0, 0x10000), P_OTA(1, 0x110000) };
static const part_t L_16[] = {
    { "otadata", 1, 0x00, 0x9000, 0x2000 },
    P_S16(0), P_S16(1), P_S16(2), P_S16(3), P_S16(4), P_S16(5), P_S16(6), P_S16(7),
    P_S16(8), P_S16(9), P_S16(10), P_S16(11), P_S16(12), P_S16(13), P_S16(14), P_S16(15),
};
/* ota_1 and ota_2 only: app_count 2, ota[0] missing, ota_2 (index 2) never reachable */
static const part_t L_GAP12[] = { P_OTADATA, P_FACTORY, P_OTA(1, 0x110000), P_OTA(2, 0x210000) };
/* ota_0, ota_1, ota_3: app_count 3 (consecutive count would be 2) */
static const part_t L_GAP013[] = { P_OTADATA, P_OTA(0, 0x10000), P_OTA(1, 0x110000), P_OTA(3, 0x210000) };
static const part_t L_NOOTADATA[] = { P_NVS, P_FACTORY, P_OTA(0, 0x110000), P_OTA(1, 0x210000) };
static const part_t L_SMALLOTADATA[] = { P_NVS, { "otadata", 1, 0x00, 0xD000, 0x1000 }, P_FACTORY,
                                         P_OTA(0, 0x110000), P_OTA(1, 0x210000) };
static const part_t L_TEST[] = { P_OTADATA, P_FACTORY, P_OTA(0, 0x110000), P_OTA(1, 0x210000),
                                 { "test", 0, 0x20, 0x310000, 0x80000 } };
static const part_t L_NOOTA[] = { P_NVS, P_OTADATA, P_FACTORY };

static void put_table(nor_flash_t *f, uint32_t at, const part_t *p, size_t n)
{
    uint8_t bin[PT_MAX_LEN];
    memset(bin, 0xFF, sizeof bin);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = bin + i * PT_ENTRY_LEN;
        memset(e, 0, PT_ENTRY_LEN);
        e[0] = 0xAA;
        e[1] = 0x50;
        e[2] = p[i].type;
        e[3] = p[i].subtype;
        for (int k = 0; k < 4; k++) {
            e[4 + k] = (uint8_t)(p[i].offset >> (8 * k));
            e[8 + k] = (uint8_t)(p[i].size >> (8 * k));
        }
        memcpy(e + 12, p[i].label, strlen(p[i].label));
    }
    assert_int_equal(nor_load(f, at, bin, sizeof bin), NOR_OK);
}

/* otadata entry as the test writes it; crc_bad: a wrong CRC (0xFFFFFFFF when erased) */
typedef struct {
    uint32_t seq, st;
    bool crc_bad;
} ent_t;

#define E_ERASED { ERASED, OTA_STATE_UNDEFINED, true }

static otadata_entry_t make_entry(ent_t e)
{
    otadata_entry_t o = otadata_make(e.seq, e.st);
    if (e.crc_bad) {
        o.crc = e.seq == ERASED ? 0xFFFFFFFFu : o.crc ^ 0x5A5A5A5Au;
    }
    return o;
}

static const part_t *find(const part_t *p, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(p[i].label, label)) {
            return &p[i];
        }
    }
    fail_msg("no partition '%s' in the layout", label);
    return NULL;
}

/* contents: "label=X,label=X" with X: a (app a), b (app b), c (app a, corrupted) */
static void put_apps(nor_flash_t *f, const part_t *p, size_t n, const char *contents)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", contents);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        const part_t *part = find(p, n, tok);
        const fx_blob_t *img = eq[1] == 'b' ? &s_app_b : &s_app_a;
        assert_int_equal(nor_load(f, part->offset, img->data, img->len), NOR_OK);
        if (eq[1] == 'c') {
            uint8_t x = (uint8_t)(img->data[0x1100] ^ 0x5A);
            assert_int_equal(nor_load(f, part->offset + 0x1100, &x, 1), NOR_OK);
        }
    }
}

static nor_flash_t *build(const part_t *p, size_t n, ent_t e0, ent_t e1, const char *contents)
{
    nor_err_t err;
    nor_flash_t *f = nor_open_mem(FLASH_SIZE, &err);
    assert_non_null(f);
    put_table(f, PT_OFFSET_DEFAULT, p, n);
    for (size_t i = 0; i < n; i++) {
        if (p[i].type == 1 && p[i].subtype == 0) {
            uint8_t raw[OTADATA_ENTRY_LEN];
            otadata_entry_t o0 = make_entry(e0), o1 = make_entry(e1);
            otadata_encode(&o0, raw);
            assert_int_equal(nor_load(f, p[i].offset, raw, sizeof raw), NOR_OK);
            if (p[i].size >= 0x2000) {
                otadata_encode(&o1, raw);
                assert_int_equal(nor_load(f, p[i].offset + 0x1000, raw, sizeof raw), NOR_OK);
            }
        }
    }
    put_apps(f, p, n, contents);
    return f;
}

/* ---- the table of cases -------------------------------------------------------------- */

typedef struct {
    const char *name;
    const part_t *parts;
    size_t nparts;
    ent_t e0, e1;
    const char *contents;
    bool rollback;
    boot_status_t want_status;
    const char *want_label;       /* "" when nothing boots */
    int want_selected;
    ent_t after0, after1;         /* otadata after the boot (on flash) */
    const char *want_reason;      /* a piece of r.reason, or NULL */
} boot_case_t;

#define L(x) x, ARRAY_LEN(x)
#define V(s) { (s), OTA_STATE_VALID, false }
#define ST(s, st) { (s), (st), false }
#define BADCRC(s) { (s), OTA_STATE_VALID, true }

static const boot_case_t s_cases[] = {
    /* fallback order: start, start-1 .. 0, factory, start+1 .., test */
    { "selected slot corrupt falls back down", L(L_STD), V(2), V(1),
      "factory=a,ota_0=b,ota_1=c", false, BOOT_OK, "ota_0", 1, V(2), V(1),
      "ota_1 is not bootable (checksum)" },
    { "ota_0 corrupt falls back to factory before ota_1", L(L_STD), V(1), E_ERASED,
      "factory=a,ota_0=c,ota_1=b", false, BOOT_OK, "factory", 0, V(1), E_ERASED, NULL },
    { "ota_0 and factory bad: forward to ota_1", L(L_STD), V(1), E_ERASED,
      "factory=c,ota_0=c,ota_1=b", false, BOOT_OK, "ota_1", 0, V(1), E_ERASED,
      "booting ota_1 (project ota_demo version 2.3.4-rc1) at 0x210000" },
    { "everything corrupt", L(L_STD), V(2), V(1), "factory=c,ota_0=c,ota_1=c", false,
      BOOT_ERR_NO_APP, "", 1, V(2), V(1), "no bootable app partition" },
    /* no factory */
    { "no factory: selected ota_0 corrupt, ota_1 boots", L(L_NOFACT), V(1), E_ERASED,
      "ota_0=c,ota_1=a", false, BOOT_OK, "ota_1", 0, V(1), E_ERASED, NULL },
    { "no factory, blank otadata: ota_0 boots, otadata[0] := seq 1", L(L_NOFACT), E_ERASED,
      E_ERASED, "ota_0=a,ota_1=b", false, BOOT_OK, "ota_0", 0, V(1), E_ERASED,
      "otadata[0] set to seq 1 state VALID" },
    { "no factory, blank otadata, ota_0 empty: ota_1 boots, otadata[0] := seq 2", L(L_NOFACT),
      E_ERASED, E_ERASED, "ota_1=b", true, BOOT_OK, "ota_1", 0, V(2), E_ERASED, NULL },
    { "no factory, seq ok but both ABORTED: ota_0, otadata kept", L(L_NOFACT),
      ST(2, OTA_STATE_ABORTED), ST(1, OTA_STATE_INVALID), "ota_0=a,ota_1=b", false, BOOT_OK,
      "ota_0", 0, ST(2, OTA_STATE_ABORTED), ST(1, OTA_STATE_INVALID), "trying ota_0 first" },
    /* both "invalid" for the bootloader (erased; ABORTED), but otadata[1]'s CRC is good:
     * not the initial state, so ota_0 is tried first and otadata is not rewritten */
    { "no factory, otadata[0] erased, otadata[1] ABORTED good CRC: ota_0, otadata kept",
      L(L_NOFACT), E_ERASED, ST(1, OTA_STATE_ABORTED), "ota_0=a,ota_1=b", true, BOOT_OK, "ota_0",
      0, E_ERASED, ST(1, OTA_STATE_ABORTED), "trying ota_0 first" },
    { "no factory, otadata[0] erased, otadata[1] ABORTED good CRC, ota_0 empty: ota_1, kept",
      L(L_NOFACT), E_ERASED, ST(1, OTA_STATE_ABORTED), "ota_1=b", true, BOOT_OK, "ota_1",
      0, E_ERASED, ST(1, OTA_STATE_ABORTED), NULL },
    { "no factory, one bad CRC one erased: all partitions tried, otadata kept", L(L_NOFACT), BADCRC(2),
      E_ERASED, "ota_0=a", false, BOOT_OK, "ota_0", FACT, BADCRC(2), E_ERASED,
      "no otadata entry has a good CRC and no factory" },
    { "no factory, both bad CRC: all partitions tried, otadata kept", L(L_NOFACT), BADCRC(2),
      BADCRC(1), "ota_1=a", false, BOOT_OK, "ota_1", FACT, BADCRC(2), BADCRC(1), NULL },
    /* 16 slots and the sequence number wrap */
    { "16 slots: seq 16 -> ota_15 (N)", L(L_16), V(16), V(15), "ota_15=a,ota_14=b", false,
      BOOT_OK, "ota_15", 15, V(16), V(15), NULL },
    { "16 slots: seq 17 -> ota_0 (N+1)", L(L_16), V(16), V(17), "ota_0=a,ota_15=b", false,
      BOOT_OK, "ota_0", 0, V(16), V(17), NULL },
    { "16 slots: seq 0 wraps to ota_15", L(L_16), V(0), E_ERASED, "ota_15=b,ota_0=a", false,
      BOOT_OK, "ota_15", 15, V(0), E_ERASED, NULL },
    { "16 slots: seq 0xFFFFFFFE -> ota_13", L(L_16), V(SEQ_MAX), V(5), "ota_13=a,ota_4=b", false,
      BOOT_OK, "ota_13", 13, V(SEQ_MAX), V(5), NULL },
    { "16 slots: seq 20 -> ota_3 corrupt -> ota_2", L(L_16), V(20), V(19),
      "ota_3=c,ota_2=a,ota_4=b", false, BOOT_OK, "ota_2", 3, V(20), V(19), NULL },
    { "16 slots: ota_0 corrupt, no factory -> ota_1", L(L_16), V(1), E_ERASED,
      "ota_0=c,ota_1=a,ota_15=b", false, BOOT_OK, "ota_1", 0, V(1), E_ERASED, NULL },
    { "16 slots: only ota_15 bootable, tried last", L(L_16), V(3), V(2), "ota_2=c,ota_15=b",
      false, BOOT_OK, "ota_15", 2, V(3), V(2), "ota_2 is not bootable" },
    /* app_count counts every ota_N entry, gaps included */
    { "gap ota_1+ota_2: seq 2 -> slot 1 = ota_1", L(L_GAP12), V(2), E_ERASED,
      "factory=a,ota_1=b,ota_2=a", false, BOOT_OK, "ota_1", 1, V(2), E_ERASED, NULL },
    { "gap ota_1+ota_2: seq 1 -> slot 0 missing -> factory", L(L_GAP12), V(1), E_ERASED,
      "factory=a,ota_1=b,ota_2=a", false, BOOT_OK, "factory", 0, V(1), E_ERASED,
      "slot 0 (no such partition)" },
    { "gap ota_1+ota_2: ota_2 is never reachable", L(L_GAP12), V(2), E_ERASED,
      "factory=c,ota_1=c,ota_2=a", false, BOOT_ERR_NO_APP, "", 1, V(2), E_ERASED, NULL },
    { "gap ota_0,1,3: seq 3 -> slot 2 missing -> ota_1", L(L_GAP013), V(3), E_ERASED,
      "ota_0=a,ota_1=b,ota_3=a", false, BOOT_OK, "ota_1", 2, V(3), E_ERASED, NULL },
    { "gap ota_0,1,3: seq 4 -> slot 0 (app_count 3)", L(L_GAP013), V(4), E_ERASED,
      "ota_0=a,ota_1=b,ota_3=a", false, BOOT_OK, "ota_0", 0, V(4), E_ERASED, NULL },
    /* no otadata, too small otadata, no OTA slot, test app */
    { "no otadata partition: factory", L(L_NOOTADATA), E_ERASED, E_ERASED,
      "factory=a,ota_0=b", false, BOOT_OK, "factory", FACT, E_ERASED, E_ERASED,
      "no otadata partition" },
    { "no otadata partition, factory corrupt: ota_0", L(L_NOOTADATA), E_ERASED, E_ERASED,
      "factory=c,ota_0=b", false, BOOT_OK, "ota_0", FACT, E_ERASED, E_ERASED, NULL },
    { "otadata of 0x1000 bytes: boot loop", L(L_SMALLOTADATA), V(1), E_ERASED,
      "factory=a,ota_0=a", false, BOOT_ERR_NO_APP, "", NONE, V(1), E_ERASED, "0x1000 bytes" },
    { "no OTA slot: factory whatever otadata says", L(L_NOOTA), V(1), E_ERASED, "factory=a",
      false, BOOT_OK, "factory", FACT, V(1), E_ERASED, "no OTA app partition" },
    { "test app as the last resort", L(L_TEST), V(2), V(1),
      "factory=c,ota_0=c,ota_1=c,test=b", false, BOOT_OK, "test", 1, V(2), V(1),
      "falling back to the test app" },
    { "test app not chosen while another boots", L(L_TEST), V(2), V(1),
      "factory=c,ota_0=a,ota_1=c,test=b", false, BOOT_OK, "ota_0", 1, V(2), V(1), NULL },
    /* rollback writes */
    { "rollback: NEW -> PENDING_VERIFY", L(L_STD), V(1), ST(2, OTA_STATE_NEW),
      "ota_0=a,ota_1=b", true, BOOT_OK, "ota_1", 1, V(1), ST(2, OTA_STATE_PENDING_VERIFY),
      "otadata[1] seq 2 state NEW -> PENDING_VERIFY; booting ota_1 (project ota_demo version "
      "2.3.4-rc1) at 0x210000" },
    { "no rollback: NEW stays NEW", L(L_STD), V(1), ST(2, OTA_STATE_NEW), "ota_0=a,ota_1=b",
      false, BOOT_OK, "ota_1", 1, V(1), ST(2, OTA_STATE_NEW), NULL },
    { "rollback: NEW slot corrupt still goes PENDING_VERIFY, ota_0 boots", L(L_STD), V(1),
      ST(2, OTA_STATE_NEW), "ota_0=a,ota_1=c", true, BOOT_OK, "ota_0", 1, V(1),
      ST(2, OTA_STATE_PENDING_VERIFY), NULL },
    { "rollback: both PENDING_VERIFY -> ABORTED, factory", L(L_STD),
      ST(1, OTA_STATE_PENDING_VERIFY), ST(2, OTA_STATE_PENDING_VERIFY), "factory=a,ota_0=a,ota_1=b",
      true, BOOT_OK, "factory", FACT, ST(1, OTA_STATE_ABORTED), ST(2, OTA_STATE_ABORTED),
      "otadata[0] seq 1 state PENDING_VERIFY -> ABORTED; otadata[1] seq 2 state PENDING_VERIFY "
      "-> ABORTED" },
    { "rollback: PENDING_VERIFY with bad CRC is aborted too", L(L_STD),
      { 2, OTA_STATE_PENDING_VERIFY, true }, V(1), "ota_0=a,ota_1=b", true, BOOT_OK, "ota_0", 0,
      { 2, OTA_STATE_ABORTED, true }, V(1), NULL },
    { "no rollback: PENDING_VERIFY boots again", L(L_STD), ST(2, OTA_STATE_PENDING_VERIFY), V(1),
      "ota_0=a,ota_1=b", false, BOOT_OK, "ota_1", 1, ST(2, OTA_STATE_PENDING_VERIFY), V(1), NULL },
};

static bool same_entry(const otadata_entry_t *got, ent_t want)
{
    otadata_entry_t w = make_entry(want);
    return got->ota_seq == w.ota_seq && got->ota_state == w.ota_state && got->crc == w.crc;
}

static void run_case(const boot_case_t *c, bool write)
{
    nor_flash_t *f = build(c->parts, c->nparts, c->e0, c->e1, c->contents);
    uint8_t *before = malloc(FLASH_SIZE);
    assert_non_null(before);
    memcpy(before, nor_map(f), FLASH_SIZE);

    boot_opts_t opts = { .rollback_enabled = c->rollback, .write = write };
    boot_result_t r;
    boot_status_t st = boot_select(f, &opts, &r);
    if (st != c->want_status || strcmp(r.label, c->want_label) != 0 ||
        r.selected_index != c->want_selected) {
        fail_msg("%s: status %d label '%s' selected %d, want %d '%s' %d\n  reason: %s", c->name,
                 st, r.label, r.selected_index, c->want_status, c->want_label, c->want_selected,
                 r.reason);
    }
    if (c->want_reason && !strstr(r.reason, c->want_reason)) {
        fail_msg("%s: reason '%s' lacks '%s'", c->name, r.reason, c->want_reason);
    }
    if (st == BOOT_OK) {
        const part_t *p = find(c->parts, c->nparts, c->want_label);
        assert_int_equal(r.offset, p->offset);
        assert_int_equal(r.size, p->size);
        assert_int_equal(r.desc.magic_word, SOTA_APP_DESC_MAGIC);
    }
    if (r.has_otadata && r.selected_index != BOOT_NO_INDEX) {
        if (!same_entry(&r.otadata_after[0], c->after0) || !same_entry(&r.otadata_after[1], c->after1)) {
            fail_msg("%s: otadata after is seq %u st 0x%x / seq %u st 0x%x", c->name,
                     (unsigned)r.otadata_after[0].ota_seq, (unsigned)r.otadata_after[0].ota_state,
                     (unsigned)r.otadata_after[1].ota_seq, (unsigned)r.otadata_after[1].ota_state);
        }
    }
    if (write && r.has_otadata && r.selected_index != BOOT_NO_INDEX) {
        otadata_entry_t e[2];
        assert_int_equal(otadata_read(f, r.otadata_offset, e), NOR_OK);
        if (!same_entry(&e[0], c->after0) || !same_entry(&e[1], c->after1)) {
            fail_msg("%s: otadata on flash is seq %u st 0x%x / seq %u st 0x%x", c->name,
                     (unsigned)e[0].ota_seq, (unsigned)e[0].ota_state, (unsigned)e[1].ota_seq,
                     (unsigned)e[1].ota_state);
        }
    }
    if (!write) {
        assert_memory_equal(nor_map(f), before, FLASH_SIZE);
    }
    free(before);
    nor_close(f);
}

static void test_cases_write(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(s_cases); i++) {
        run_case(&s_cases[i], true);
    }
}

static void test_cases_decide_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(s_cases); i++) {
        run_case(&s_cases[i], false);
    }
}

/* ---- single cases ------------------------------------------------------------------------ */

static void test_desc_of_booted_app(void **state)
{
    (void)state;
    nor_flash_t *f = build(L(L_STD), (ent_t)V(1), (ent_t)E_ERASED, "ota_0=b");
    boot_result_t r;
    assert_int_equal(boot_select(f, NULL, &r), BOOT_OK); /* NULL opts: defaults */
    assert_string_equal(r.label, "ota_0");
    assert_int_equal(r.booted_index, 0);
    assert_string_equal(r.desc.project_name, "ota_demo");
    assert_string_equal(r.desc.version, "2.3.4-rc1");
    assert_int_equal(r.desc.secure_version, 7);
    nor_close(f);
}

static void test_partition_table_errors(void **state)
{
    (void)state;
    /* nothing at 0x8000 */
    nor_err_t err;
    nor_flash_t *f = nor_open_mem(FLASH_SIZE, &err);
    assert_non_null(f);
    boot_result_t r;
    assert_int_equal(boot_select(f, NULL, &r), BOOT_ERR_PTABLE);
    assert_int_equal(r.booted_index, BOOT_NO_INDEX);
    assert_non_null(strstr(r.reason, "partition table at 0x8000 rejected"));
    nor_close(f);

    /* a table at another offset is found only with table_offset */
    f = nor_open_mem(FLASH_SIZE, &err);
    assert_non_null(f);
    put_table(f, 0x9000, L_NOOTADATA, ARRAY_LEN(L_NOOTADATA));
    put_apps(f, L_NOOTADATA, ARRAY_LEN(L_NOOTADATA), "factory=a");
    assert_int_equal(boot_select(f, NULL, &r), BOOT_ERR_PTABLE);
    boot_opts_t opts = { .table_offset = 0x9000 };
    assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
    assert_string_equal(r.label, "factory");
    opts.table_offset = FLASH_SIZE; /* outside the chip */
    assert_int_equal(boot_select(f, &opts, &r), BOOT_ERR_PTABLE);
    nor_close(f);

    /* a partition past the chip end */
    static const part_t too_big[] = { P_OTADATA, { "factory", 0, 0, 0x10000, FLASH_SIZE } };
    f = nor_open_mem(FLASH_SIZE, &err);
    assert_non_null(f);
    put_table(f, PT_OFFSET_DEFAULT, too_big, ARRAY_LEN(too_big));
    assert_int_equal(boot_select(f, NULL, &r), BOOT_ERR_PTABLE);
    nor_close(f);
}

static void test_wrong_chip_boots_nothing(void **state)
{
    (void)state;
    nor_flash_t *f = build(L(L_STD), (ent_t)V(1), (ent_t)E_ERASED, "factory=a,ota_0=b,ota_1=a");
    boot_opts_t opts = { .chip = sota_chip_by_name("esp32c3") };
    assert_non_null(opts.chip);
    boot_result_t r;
    assert_int_equal(boot_select(f, &opts, &r), BOOT_ERR_NO_APP);
    assert_non_null(strstr(r.reason, "chip"));
    opts.chip = sota_chip_by_name("esp32");
    assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
    nor_close(f);
}

static void test_log_says_what_and_why(void **state)
{
    (void)state;
    nor_flash_t *f = build(L(L_STD), (ent_t)V(1), (ent_t)ST(2, OTA_STATE_NEW), "ota_0=a,ota_1=b");
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    assert_non_null(log);
    boot_opts_t opts = { .rollback_enabled = true, .write = true, .log = log };
    boot_result_t r;
    assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
    fclose(log);
    assert_non_null(strstr(buf, "boot: otadata[1] seq 2 state NEW -> PENDING_VERIFY\n"));
    assert_non_null(strstr(buf, "boot: booting ota_1 (project ota_demo version 2.3.4-rc1) at "
                                "0x210000\n"));
    free(buf);
    nor_close(f);
}

static void test_reason_keeps_the_verdict_when_long(void **state)
{
    (void)state;
    /* 15 corrupt slots before the one that boots: the reason still ends with it */
    nor_flash_t *f = build(L(L_16), (ent_t)V(16), (ent_t)E_ERASED,
                           "ota_15=c,ota_14=c,ota_13=c,ota_12=c,ota_11=c,ota_10=c,ota_9=c,"
                           "ota_8=c,ota_7=c,ota_6=c,ota_5=c,ota_4=c,ota_3=c,ota_2=c,ota_1=c,ota_0=a");
    boot_result_t r;
    assert_int_equal(boot_select(f, NULL, &r), BOOT_OK);
    assert_string_equal(r.label, "ota_0");
    assert_true(strlen(r.reason) < sizeof r.reason);
    assert_non_null(strstr(r.reason, "12 more not bootable"));
    const char *tail = "booting ota_0 (project oracle_app version 1.0.0) at 0x10000";
    size_t n = strlen(r.reason), t = strlen(tail);
    assert_true(n >= t);
    assert_string_equal(r.reason + n - t, tail);
    nor_close(f);
}

static void test_power_cut_during_otadata_write(void **state)
{
    (void)state;
    for (nor_cut_mode_t mode = NOR_CUT_CLEAN; mode <= NOR_CUT_TORN; mode++) {
        nor_flash_t *f = build(L(L_STD), (ent_t)V(1), (ent_t)ST(2, OTA_STATE_NEW), "ota_0=a,ota_1=b");
        boot_opts_t opts = { .rollback_enabled = true, .write = true };
        boot_result_t r;
        nor_arm_power_cut(f, 1, mode, NULL, NULL); /* the erase of otadata[1] */
        assert_int_equal(boot_select(f, &opts, &r), BOOT_ERR_FLASH);
        assert_non_null(strstr(r.reason, "writing otadata[1]"));
        /* power back: a cut erase leaves otadata[1] unusable, the older entry boots */
        nor_power_on(f);
        assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
        assert_true(!strcmp(r.label, "ota_0") || !strcmp(r.label, "ota_1"));
        nor_close(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_write),
        cmocka_unit_test(test_cases_decide_only),
        cmocka_unit_test(test_desc_of_booted_app),
        cmocka_unit_test(test_partition_table_errors),
        cmocka_unit_test(test_wrong_chip_boots_nothing),
        cmocka_unit_test(test_log_says_what_and_why),
        cmocka_unit_test(test_reason_keeps_the_verdict_when_long),
        cmocka_unit_test(test_power_cut_during_otadata_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
