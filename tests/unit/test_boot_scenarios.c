/* Bootloader simulator against testdata/boot/scenarios.tsv: for every flash image, with
 * and without rollback, the partition ESP-IDF's bootloader code boots and the otadata
 * it leaves behind. */
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

#define FLASH_SIZE (4u * 1024u * 1024u)
#define MAX_ROWS   64

typedef struct {
    char image[96];
    bool rollback;
    char booted[20];          /* "-": nothing */
    bool pt_error;            /* otadata column empty: partition table rejected */
    uint32_t seq[2], state[2];
    bool crc_ok[2];
} scenario_t;

static scenario_t s_rows[MAX_ROWS];
static size_t s_count;

static uint32_t state_from_name(const char *n)
{
    static const struct { const char *name; uint32_t st; } v[] = {
        { "NEW", OTA_STATE_NEW }, { "PENDING_VERIFY", OTA_STATE_PENDING_VERIFY },
        { "VALID", OTA_STATE_VALID }, { "INVALID", OTA_STATE_INVALID },
        { "ABORTED", OTA_STATE_ABORTED }, { "UNDEFINED", OTA_STATE_UNDEFINED },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (!strcmp(n, v[i].name)) {
            return v[i].st;
        }
    }
    fail_msg("unknown state name '%s' in scenarios.tsv", n);
    return 0;
}

/* "seq=1 st=VALID crc_ok=1 | seq=4294967295 st=UNDEFINED crc_ok=0" */
static void parse_otadata(const char *text, scenario_t *s)
{
    char st[2][24];
    int crc[2];
    unsigned long seq[2];
    int n = sscanf(text, " seq=%lu st=%23s crc_ok=%d | seq=%lu st=%23s crc_ok=%d", &seq[0], st[0],
                   &crc[0], &seq[1], st[1], &crc[1]);
    if (n != 6) {
        fail_msg("can't parse otadata column '%s'", text);
    }
    for (int i = 0; i < 2; i++) {
        s->seq[i] = (uint32_t)seq[i];
        s->state[i] = state_from_name(st[i]);
        s->crc_ok[i] = crc[i] != 0;
    }
}

static int load_scenarios(void **state)
{
    (void)state;
    FILE *in = fopen(SOTA_TESTDATA "/boot/scenarios.tsv", "r");
    if (!in) {
        fprintf(stderr, "can't open %s\n", SOTA_TESTDATA "/boot/scenarios.tsv");
        return -1;
    }
    char line[512];
    bool header = true;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (header) {
            header = false;
            continue;
        }
        if (!line[0]) {
            continue;
        }
        if (s_count == MAX_ROWS) {
            fclose(in);
            return -1;
        }
        scenario_t *s = &s_rows[s_count];
        memset(s, 0, sizeof *s);
        char *cols[4] = { NULL };
        char *p = line;
        for (int c = 0; c < 4; c++) {
            cols[c] = p;
            p = p ? strchr(p, '\t') : NULL;
            if (p) {
                *p++ = '\0';
            }
        }
        if (!cols[2]) {
            fclose(in);
            return -1;
        }
        FX_COPY_FIELD(s->image, cols[0]);
        s->rollback = atoi(cols[1]) != 0;
        FX_COPY_FIELD(s->booted, cols[2]);
        if (!cols[3] || !cols[3][0]) {
            s->pt_error = true;
        } else {
            parse_otadata(cols[3], s);
        }
        s_count++;
    }
    fclose(in);
    return s_count > 0 ? 0 : -1;
}

/* gunzip testdata/boot/NAME into a fresh in-memory flash */
static nor_flash_t *load_image(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/boot/%s'", SOTA_TESTDATA, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    uint8_t *buf = malloc(FLASH_SIZE);
    assert_non_null(buf);
    size_t n = fread(buf, 1, FLASH_SIZE, p);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, FLASH_SIZE);
    nor_err_t err;
    nor_flash_t *f = nor_open_mem(FLASH_SIZE, &err);
    assert_non_null(f);
    assert_int_equal(nor_load(f, 0, buf, FLASH_SIZE), NOR_OK);
    free(buf);
    return f;
}

static void check_otadata(const scenario_t *s, const otadata_entry_t e[2], const char *what)
{
    for (int i = 0; i < 2; i++) {
        bool crc = e[i].crc == otadata_crc(e[i].ota_seq);
        if (e[i].ota_seq != s->seq[i] || e[i].ota_state != s->state[i] || crc != s->crc_ok[i]) {
            fail_msg("%s rollback=%d: %s otadata[%d] is seq=%u st=0x%x crc_ok=%d, want seq=%u "
                     "st=0x%x crc_ok=%d", s->image, s->rollback, what, i, (unsigned)e[i].ota_seq,
                     (unsigned)e[i].ota_state, crc, (unsigned)s->seq[i], (unsigned)s->state[i],
                     s->crc_ok[i]);
        }
    }
}

static void run_row(const scenario_t *s, bool write)
{
    nor_flash_t *f = load_image(s->image);
    uint8_t *before = malloc(FLASH_SIZE);
    assert_non_null(before);
    memcpy(before, nor_map(f), FLASH_SIZE);

    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    assert_non_null(log);
    boot_opts_t opts = { .rollback_enabled = s->rollback, .write = write, .log = log };
    boot_result_t r;
    boot_status_t st = boot_select(f, &opts, &r);
    fclose(log);
    assert_int_equal(st, r.status);
    assert_true(r.reason[0] != '\0');
    assert_true(loglen > 0);

    if (s->pt_error) {
        if (st != BOOT_ERR_PTABLE) {
            fail_msg("%s: status %d, want BOOT_ERR_PTABLE", s->image, st);
        }
    } else if (!strcmp(s->booted, "-")) {
        if (st != BOOT_ERR_NO_APP) {
            fail_msg("%s rollback=%d: booted '%s' (status %d), want nothing", s->image,
                     s->rollback, r.label, st);
        }
        assert_string_equal(r.label, "");
    } else {
        if (st != BOOT_OK || strcmp(r.label, s->booted) != 0) {
            fail_msg("%s rollback=%d: booted '%s' (status %d: %s), want %s", s->image, s->rollback,
                     r.label, st, r.reason, s->booted);
        }
        /* the log and the reason name what boots */
        char want[48];
        snprintf(want, sizeof want, "booting %s ", s->booted);
        assert_non_null(strstr(r.reason, want));
        assert_non_null(strstr(logbuf, want));
    }

    if (!s->pt_error) {
        /* what boot_select says it leaves behind ... */
        check_otadata(s, r.otadata_after, "result");
        otadata_entry_t e[2];
        assert_true(r.has_otadata);
        assert_int_equal(otadata_read(f, r.otadata_offset, e), NOR_OK);
        if (write) {
            /* ... is what is on flash afterwards */
            check_otadata(s, e, "flash");
        } else {
            /* ... or flash is untouched */
            assert_memory_equal(e, r.otadata_before, sizeof e);
        }
    }
    if (!write) {
        assert_memory_equal(nor_map(f), before, FLASH_SIZE);
    }
    free(logbuf);
    free(before);
    nor_close(f);
}

static void test_scenarios_write(void **state)
{
    (void)state;
    for (size_t i = 0; i < s_count; i++) {
        run_row(&s_rows[i], true);
    }
}

static void test_scenarios_decide_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < s_count; i++) {
        run_row(&s_rows[i], false);
    }
}

/* A second boot after the first: with rollback, an app that never confirmed itself is
 * rolled back (seq1_seq2_new: ota_1 NEW -> PENDING_VERIFY -> ABORTED, ota_0 boots). */
static void test_second_boot_rolls_back(void **state)
{
    (void)state;
    nor_flash_t *f = load_image("seq1_seq2_new.bin.gz");
    boot_opts_t opts = { .rollback_enabled = true, .write = true };
    boot_result_t r;
    assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
    assert_string_equal(r.label, "ota_1");
    assert_int_equal(r.otadata_after[1].ota_state, OTA_STATE_PENDING_VERIFY);
    assert_int_equal(boot_select(f, &opts, &r), BOOT_OK);
    assert_string_equal(r.label, "ota_0");
    assert_int_equal(r.otadata_after[1].ota_state, OTA_STATE_ABORTED);
    assert_int_equal(r.otadata_after[0].ota_state, OTA_STATE_PENDING_VERIFY);
    assert_non_null(strstr(r.reason, "PENDING_VERIFY -> ABORTED"));
    nor_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios_write),
        cmocka_unit_test(test_scenarios_decide_only),
        cmocka_unit_test(test_second_boot_rolls_back),
    };
    return cmocka_run_group_tests(tests, load_scenarios, NULL);
}
