/* The partition table codec (host/ptable) against the reference data made with ESP-IDF's
 * gen_esp32part.py (testdata/ptables): CSV -> BIN byte-identical, BIN -> CSV identical,
 * round trips stable, every row of invalid/errors.tsv, and every prefix of every vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_files.h"
#include "ptable.h"

#define PT_DIR SOTA_TESTDATA "/ptables"
#define MIB (1024u * 1024u)

static const char *const s_names[] = {
    "partitions_singleapp", "partitions_two_ota", "custom_factory_2ota_spiffs",
    "custom_16ota_small",
};
#define N_NAMES (sizeof s_names / sizeof s_names[0])

/* ---- helpers ---------------------------------------------------------------------- */

/* PT_DIR/<name><suffix>, as fx_read_file (NUL-terminated; fails the test if missing). */
static uint8_t *slurp_name(const char *name, const char *suffix, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", PT_DIR, name, suffix);
    return fx_read_file(path, len);
}

/* Warnings and the error of one run, as the CLI would print them. */
typedef struct {
    char text[4096];
} messages_t;

static void collect(void *ctx, const char *msg)
{
    messages_t *m = ctx;
    size_t n = strlen(m->text);
    snprintf(m->text + n, sizeof m->text - n, "%s\n", msg);
}

static pt_opts_t opts_4mb(messages_t *m)
{
    pt_opts_t o = { 0 };
    o.flash_size = 4 * MIB;
    o.table_offset = PT_OFFSET_DEFAULT;
    o.warn = m ? collect : NULL;
    o.warn_ctx = m;
    return o;
}

static void expect_same_table(const ptable_t *a, const ptable_t *b)
{
    assert_int_equal(a->count, b->count);
    for (unsigned i = 0; i < a->count; i++) {
        assert_string_equal(a->e[i].label, b->e[i].label);
        assert_int_equal(a->e[i].type, b->e[i].type);
        assert_int_equal(a->e[i].subtype, b->e[i].subtype);
        assert_int_equal(a->e[i].offset, b->e[i].offset);
        assert_int_equal(a->e[i].size, b->e[i].size);
        assert_int_equal(a->e[i].flags, b->e[i].flags);
    }
}

static void expect_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            print_error("%s: byte 0x%zx is 0x%02x, gen_esp32part wrote 0x%02x\n", what, i,
                        got[i], want[i]);
            fail();
        }
    }
}

/* ---- CSV -> BIN, BIN -> CSV, round trips ------------------------------------------ */

static void test_csv_to_bin_identical(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t blen;
        char *csv = (char *)slurp_name(s_names[k], ".csv", NULL);
        uint8_t *want = slurp_name(s_names[k], ".bin", &blen);
        assert_int_equal(blen, PT_MAX_LEN);
        ptable_t t;
        char err[512] = "";
        pt_opts_t o = opts_4mb(NULL);
        if (pt_from_csv(csv, &o, &t, err, sizeof err) != 0) {
            print_error("%s.csv: %s\n", s_names[k], err);
            fail();
        }
        assert_true(t.has_md5);
        uint8_t bin[PT_MAX_LEN];
        assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
        expect_bytes(bin, want, PT_MAX_LEN, s_names[k]);
        free(csv);
        free(want);
    }
}

static void test_bin_to_csv_identical(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t blen, clen;
        uint8_t *bin = slurp_name(s_names[k], ".bin", &blen);
        char *want = (char *)slurp_name(s_names[k], ".roundtrip.csv", &clen);
        ptable_t t;
        char err[512] = "";
        pt_opts_t o = opts_4mb(NULL);
        assert_int_equal(pt_from_bin(bin, blen, &t, err, sizeof err), 0);
        assert_int_equal(pt_check(&t, &o, err, sizeof err), 0);
        assert_true(t.has_md5);
        char csv[PT_CSV_MAX];
        int n = pt_to_csv(&t, csv, sizeof csv);
        assert_int_equal(n, (int)clen);
        assert_string_equal(csv, want);
        free(bin);
        free(want);
    }
}

/* CSV -> BIN -> CSV -> BIN: the second binary equals the first, the CSV equals the
 * reference round trip, and the reference round-trip CSV itself gives the same binary. */
static void test_round_trip_stable(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_NAMES; k++) {
        char *csv = (char *)slurp_name(s_names[k], ".csv", NULL);
        char *rt = (char *)slurp_name(s_names[k], ".roundtrip.csv", NULL);
        pt_opts_t o = opts_4mb(NULL);
        char err[512] = "";
        ptable_t t1, t2, t3;
        uint8_t b1[PT_MAX_LEN], b2[PT_MAX_LEN], b3[PT_MAX_LEN];
        char c1[PT_CSV_MAX];
        assert_int_equal(pt_from_csv(csv, &o, &t1, err, sizeof err), 0);
        assert_int_equal(pt_to_bin(&t1, &o, b1, err, sizeof err), 0);
        assert_int_equal(pt_from_bin(b1, sizeof b1, &t2, err, sizeof err), 0);
        expect_same_table(&t1, &t2);
        assert_true(pt_to_csv(&t2, c1, sizeof c1) > 0);
        assert_string_equal(c1, rt);
        assert_int_equal(pt_from_csv(c1, &o, &t3, err, sizeof err), 0);
        assert_int_equal(pt_to_bin(&t3, &o, b2, err, sizeof err), 0);
        expect_bytes(b2, b1, PT_MAX_LEN, s_names[k]);
        assert_int_equal(pt_from_csv(rt, &o, &t3, err, sizeof err), 0);
        assert_int_equal(pt_to_bin(&t3, &o, b3, err, sizeof err), 0);
        expect_bytes(b3, b1, PT_MAX_LEN, s_names[k]);
        free(csv);
        free(rt);
    }
}

/* The reference binaries are also what the bootloader accepts, with the same entries. */
static void test_reference_bins_pass_bootloader(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t blen;
        uint8_t *bin = slurp_name(s_names[k], ".bin", &blen);
        ptable_t a, b;
        char err[256] = "";
        assert_int_equal(pt_verify_like_bootloader(bin, blen, 4 * MIB, &a, err, sizeof err), 0);
        assert_int_equal(pt_from_bin(bin, blen, &b, err, sizeof err), 0);
        expect_same_table(&a, &b);
        assert_true(a.has_md5);
        free(bin);
    }
}

/* Line endings are only line endings: CRLF and CR give the same binary as LF. */
static void test_line_endings(void **state)
{
    (void)state;
    static const char *const eols[] = { "\r\n", "\r" };
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t clen;
        char *csv = (char *)slurp_name(s_names[k], ".csv", &clen);
        uint8_t *want = slurp_name(s_names[k], ".bin", NULL);
        for (size_t e = 0; e < 2; e++) {
            char *conv = malloc(clen * 2 + 1);
            assert_non_null(conv);
            size_t w = 0;
            for (size_t i = 0; i < clen; i++) {
                if (csv[i] == '\n') {
                    memcpy(conv + w, eols[e], strlen(eols[e]));
                    w += strlen(eols[e]);
                } else {
                    conv[w++] = csv[i];
                }
            }
            conv[w] = '\0';
            ptable_t t;
            uint8_t bin[PT_MAX_LEN];
            char err[256] = "";
            pt_opts_t o = opts_4mb(NULL);
            assert_int_equal(pt_from_csv(conv, &o, &t, err, sizeof err), 0);
            assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
            expect_bytes(bin, want, PT_MAX_LEN, s_names[k]);
            free(conv);
        }
        free(csv);
        free(want);
    }
}

/* ---- every prefix ------------------------------------------------------------------ */

/* A binary cut at every length 0..len: an error until the end marker is complete, then
 * the same table; pt_from_bin and the bootloader's check agree on where that is. */
static void test_bin_every_prefix(void **state)
{
    (void)state;
    static const char *const files[] = {
        "partitions_singleapp.bin", "partitions_two_ota.bin", "custom_factory_2ota_spiffs.bin",
        "custom_16ota_small.bin", "invalid/bin_no_md5.bin", "invalid/max_partitions_ok_94.bin",
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", PT_DIR, files[k]);
        size_t blen;
        uint8_t *bin = fx_read_file(path, &blen);
        ptable_t full, t;
        char err[256];
        assert_int_equal(pt_from_bin(bin, blen, &full, err, sizeof err), 0);
        size_t complete = (full.count + (full.has_md5 ? 1u : 0u) + 1u) * PT_ENTRY_LEN;
        for (size_t len = 0; len <= blen; len++) {
            int rc = pt_from_bin(bin, len, &t, err, sizeof err);
            int brc = pt_verify_like_bootloader(bin, len, 4 * MIB, NULL, err, sizeof err);
            if (len < complete) {
                if (rc == 0 || brc == 0) {
                    print_error("%s cut at %zu bytes was accepted\n", files[k], len);
                    fail();
                }
                assert_int_equal(t.count, 0);
            } else {
                if (rc != 0 || brc != 0) {
                    print_error("%s cut at %zu bytes: %s\n", files[k], len, err);
                    fail();
                }
                expect_same_table(&t, &full);
            }
        }
        free(bin);
    }
}

/* A CSV cut at every byte never crashes; cut after a line it gives the first rows. */
static void test_csv_every_prefix(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t clen;
        char *csv = (char *)slurp_name(s_names[k], ".csv", &clen);
        pt_opts_t o = opts_4mb(NULL);
        ptable_t full, t;
        char err[512];
        assert_int_equal(pt_from_csv(csv, &o, &full, err, sizeof err), 0);
        char *prefix = malloc(clen + 1);
        assert_non_null(prefix);
        unsigned rows_seen = 0;
        for (size_t len = 0; len <= clen; len++) {
            memcpy(prefix, csv, len);
            prefix[len] = '\0';
            int rc = pt_from_csv(prefix, &o, &t, err, sizeof err);
            if (len > 0 && csv[len - 1] == '\n') {
                /* whole lines: the data rows so far, each as in the full table */
                const char *line = prefix + len - 1;
                while (line > prefix && line[-1] != '\n') {
                    line--;
                }
                if (*line != '#' && *line != '\n') {
                    rows_seen++;
                }
                assert_int_equal(rc, 0);
                assert_int_equal(t.count, rows_seen);
                for (unsigned i = 0; i < t.count; i++) {
                    assert_string_equal(t.e[i].label, full.e[i].label);
                    assert_int_equal(t.e[i].offset, full.e[i].offset);
                    assert_int_equal(t.e[i].size, full.e[i].size);
                }
            } else if (rc != 0) {
                assert_int_equal(t.count, 0);
                assert_true(strlen(err) > 0);
            }
        }
        assert_int_equal(rows_seen, full.count);
        free(prefix);
        free(csv);
    }
}

/* ---- invalid/errors.tsv --------------------------------------------------------- */

/* What each rejected file must report: key words and numbers of gen_esp32part's
 * message (each is checked to be in errors.tsv too, so this table can't drift). */
typedef struct {
    const char *file;
    const char *reasons[4];
} expected_reason_t;

static const expected_reason_t s_reasons[] = {
    { "bad_type.csv", { "Error at line 1", "Value 'application' is not valid",
                        "Known keywords: bootloader, partition_table, app, data" } },
    { "duplicate_name.csv", { "Partition names must be unique",
                              "factory,app,factory,0x10000,1M,", "factory,app,ota_0,0x110000,1M,",
                              "WARNING: Partition has name 'factory' which is a partition "
                              "subtype, but this partition has non-matching type 0x0 and "
                              "subtype 0x10" } },
    { "misaligned_app_offset.csv", { "Partition factory invalid: Offset 0x18000 is not aligned "
                                     "to 0x10000" } },
    { "overlap.csv", { "CSV Error at line 3: Partitions overlap. Partition sets offset "
                       "0x100000. Previous partition ends 0x110000" } },
    { "otadata_wrong_size.csv", { "otadata partition must have size = 0x2000",
                                  "otadata,data,ota,0x9000,12K," } },
    { "too_many_partitions.csv", { "Binary partition table length (3072) longer than max" } },
    { "unknown_flag.csv", { "Error at line 1: CSV flag column contains unknown flag 'secret'" } },
    { "exceeds_4mb.csv", { "Partitions tables occupies 4.1MB of flash (4259840 bytes) which "
                           "does not fit in configured flash size 4MB" } },
    { "bin_md5_mismatch.bin", { "MD5 checksums don't match!",
                                "computed: 0xb5ef4c1960b683e2758c3132124583fa",
                                "bf25822c0fa6d8641bd930251e06b4c4" } },
    { "bin_no_end_marker.bin", { "Partition table is missing an end-of-table marker" } },
};

/* The CLI's pipeline on one file: CSV -> BIN, or BIN -> checks -> CSV. Messages get the
 * warnings and the error; out gets the output. */
static int convert(const char *file, messages_t *m, uint8_t *out, size_t *outlen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/invalid/%s", PT_DIR, file);
    size_t len;
    uint8_t *data = fx_read_file(path, &len);
    pt_opts_t o = opts_4mb(m);
    static ptable_t t;
    char err[2048] = "";
    int rc;
    if (strstr(file, ".csv")) {
        rc = pt_from_csv((const char *)data, &o, &t, err, sizeof err);
        if (rc == 0) {
            rc = pt_to_bin(&t, &o, out, err, sizeof err);
            *outlen = PT_MAX_LEN;
        }
    } else {
        rc = pt_from_bin_ex(data, len, &o, &t, err, sizeof err);
        if (rc == 0) {
            rc = pt_check(&t, &o, err, sizeof err);
        }
        if (rc == 0) {
            int n = pt_to_csv(&t, (char *)out, PT_CSV_MAX);
            assert_true(n > 0);
            *outlen = (size_t)n;
        }
    }
    if (rc) {
        collect(m, err);
    }
    free(data);
    return rc;
}

static void test_errors_tsv(void **state)
{
    (void)state;
    size_t len;
    char *tsv = (char *)fx_read_file(PT_DIR "/invalid/errors.tsv", &len);
    unsigned rejected = 0, accepted = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            continue;
        }
        char *tab1 = strchr(line, '\t');
        assert_non_null(tab1);
        *tab1 = '\0';
        char *tab2 = strchr(tab1 + 1, '\t');
        const char *message = tab2 ? tab2 + 1 : "";
        int want_rc = atoi(tab1 + 1);
        const char *file = line;

        messages_t m = { "" };
        static uint8_t out[PT_CSV_MAX];
        size_t outlen = 0;
        int rc = convert(file, &m, out, &outlen);
        if (want_rc == 0) {
            if (rc != 0) {
                print_error("%s: gen_esp32part accepts it, we said: %s\n", file, m.text);
                fail();
            }
            accepted++;
            continue;
        }
        assert_int_equal(want_rc, 2);
        if (rc == 0) {
            print_error("%s: gen_esp32part rejects it (%s), we accepted it\n", file, message);
            fail();
        }
        const expected_reason_t *r = NULL;
        for (size_t i = 0; i < sizeof s_reasons / sizeof s_reasons[0]; i++) {
            if (!strcmp(s_reasons[i].file, file)) {
                r = &s_reasons[i];
            }
        }
        if (!r) {
            print_error("errors.tsv has a new row %s: add its reason to s_reasons\n", file);
            fail();
        }
        for (size_t i = 0; i < 4 && r->reasons[i]; i++) {
            if (!strstr(message, r->reasons[i])) {
                print_error("%s: '%s' is not in gen_esp32part's message '%s'\n", file,
                            r->reasons[i], message);
                fail();
            }
            if (!strstr(m.text, r->reasons[i])) {
                print_error("%s: expected '%s' in our message '%s'\n", file, r->reasons[i],
                            m.text);
                fail();
            }
        }
        rejected++;
    }
    assert_int_equal(rejected, sizeof s_reasons / sizeof s_reasons[0]);
    assert_int_equal(accepted, 2);
    free(tsv);
}

/* The two accepted files: 94 partitions give gen_esp32part's binary; a table without MD5
 * reads fine and written back without MD5 is the same bytes. */
static void test_accepted_files(void **state)
{
    (void)state;
    messages_t m = { "" };
    static uint8_t out[PT_CSV_MAX];
    size_t outlen = 0;
    size_t blen;
    assert_int_equal(convert("max_partitions_ok_94.csv", &m, out, &outlen), 0);
    uint8_t *want = fx_read_file(PT_DIR "/invalid/max_partitions_ok_94.bin", &blen);
    assert_int_equal(blen, PT_MAX_LEN);
    expect_bytes(out, want, PT_MAX_LEN, "max_partitions_ok_94");
    free(want);

    uint8_t *bin = fx_read_file(PT_DIR "/invalid/bin_no_md5.bin", &blen);
    ptable_t t;
    char err[256];
    assert_int_equal(pt_from_bin(bin, blen, &t, err, sizeof err), 0);
    assert_false(t.has_md5);
    assert_true(t.count > 0);
    pt_opts_t o = opts_4mb(NULL);
    o.no_md5 = true;
    uint8_t again[PT_MAX_LEN];
    assert_int_equal(pt_to_bin(&t, &o, again, err, sizeof err), 0);
    expect_bytes(again, bin, PT_MAX_LEN, "bin_no_md5");
    /* and the bootloader takes it too: MD5 is optional there */
    assert_int_equal(pt_verify_like_bootloader(bin, blen, 4 * MIB, NULL, err, sizeof err), 0);
    free(bin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_to_bin_identical),
        cmocka_unit_test(test_bin_to_csv_identical),
        cmocka_unit_test(test_round_trip_stable),
        cmocka_unit_test(test_reference_bins_pass_bootloader),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_bin_every_prefix),
        cmocka_unit_test(test_csv_every_prefix),
        cmocka_unit_test(test_errors_tsv),
        cmocka_unit_test(test_accepted_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
