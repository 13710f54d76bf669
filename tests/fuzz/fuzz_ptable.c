/* libFuzzer target: partition tables (host/ptable/ptable.h), binary and CSV.
 *
 * The input is read three ways:
 *  - as a binary table (pt_from_bin, then pt_check): a table that parses converts back
 *    to a binary that parses to the same entries; one that also passes pt_check and has
 *    labels and flags a CSV can carry converts to CSV and back to the same entries;
 *  - as a table in flash (pt_verify_like_bootloader with a 4 MB chip);
 *  - as CSV text (a NUL-terminated copy, pt_from_csv for a 4 MB chip): a table that parses
 *    converts to a binary (pt_to_bin must not fail) that pt_from_bin and the bootloader's
 *    check accept with the same entries, and to CSV (pt_to_csv) that parses back to the
 *    same entries.
 * Known exceptions, which gen_esp32part shares (so pt reproduces them) and which the
 * checks allow for: a name cut to 16 bytes inside a UTF-8 character gives a binary that
 * pt_from_bin refuses; a cut name that ends in blanks or "$VAR", or equals another cut
 * name, does not survive a second CSV parse; a partition that runs past the flash end
 * escapes the flash size check when a zero-size partition has the same offset (the
 * bootloader then refuses the table).
 * Every failure must come with a reason, and leave the output table zeroed. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "ptable.h"

#define FLASH_4MB (4u * 1024u * 1024u)

static void check_table(const ptable_t *t, const char *what)
{
    FUZZ_CHECK(t->count <= PT_MAX_ENTRIES, "%s: %u entries", what, t->count);
    for (unsigned i = 0; i < t->count; i++) {
        FUZZ_CHECK(memchr(t->e[i].label, '\0', sizeof t->e[i].label) != NULL,
                   "%s: label %u not terminated", what, i);
    }
}

static void check_failed(int rc, const ptable_t *t, const char *err, const char *what)
{
    FUZZ_CHECK(rc == 0 || rc == -1, "%s returned %d", what, rc);
    if (rc == 0) {
        check_table(t, what);
        return;
    }
    FUZZ_CHECK(err[0] != '\0', "%s failed without a reason", what);
    static const ptable_t zero;
    FUZZ_CHECK(memcmp(t, &zero, sizeof zero) == 0, "%s failed but left the table filled", what);
}

static void same_entries(const ptable_t *a, const ptable_t *b, const char *what)
{
    FUZZ_CHECK(a->count == b->count, "%s: %u entries became %u", what, a->count, b->count);
    for (unsigned i = 0; i < a->count; i++) {
        const pt_entry_t *x = &a->e[i], *y = &b->e[i];
        FUZZ_CHECK(strcmp(x->label, y->label) == 0 && x->type == y->type &&
                   x->subtype == y->subtype && x->offset == y->offset && x->size == y->size &&
                   x->flags == y->flags,
                   "%s: entry %u '%s' %u/%u 0x%x+0x%x flags 0x%x became '%s' %u/%u 0x%x+0x%x "
                   "flags 0x%x", what, i, x->label, x->type, x->subtype, (unsigned)x->offset,
                   (unsigned)x->size, (unsigned)x->flags, y->label, y->type, y->subtype,
                   (unsigned)y->offset, (unsigned)y->size, (unsigned)y->flags);
    }
}

/* Python's str.strip() (gen_esp32part's) removes these at both ends of a field: ASCII
 * whitespace and the separators 0x1C-0x1F; bytes >= 0x80 may be Unicode spaces. */
static bool strippable(char c)
{
    unsigned char u = (unsigned char)c;
    return (u >= 0x09 && u <= 0x0D) || (u >= 0x1C && u <= 0x20) || u >= 0x80;
}

/* Labels and flags that a CSV line written by pt_to_csv carries unchanged. A label cut
 * to 16 bytes may end in blanks that the next parse strips, or in "$NAME" of a variable the
 * next parse expands, or equal another name (gen_esp32part checks the uncut names and
 * does the same).
 * strict (a table read from a binary): also printable ASCII only, no field separator,
 * comment or variable character, known flags only, no bootloader or partition_table row
 * (their CSV rows take a fixed offset and size), entries in address order (a binary need
 * not be; gen_esp32part's CSV must). */
static bool csv_safe(const ptable_t *t, bool strict)
{
    for (unsigned i = 0; i < t->count; i++) {
        const char *l = t->e[i].label;
        size_t n = strlen(l);
        if (n == 0 || strippable(l[0]) || strippable(l[n - 1]) || strchr(l, '$')) {
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(t->e[j].label, l) == 0) {
                return false;   /* two names equal once cut: the CSV is refused */
            }
        }
        if (!strict) {
            continue;
        }
        if (l[0] == '#') {
            return false;
        }
        for (size_t k = 0; k < n; k++) {
            if (l[k] < 0x21 || l[k] > 0x7E || l[k] == ',') {
                return false;
            }
        }
        if (t->e[i].flags & ~(uint32_t)(PT_FLAG_ENCRYPTED | PT_FLAG_READONLY)) {
            return false;
        }
        if (t->e[i].type == 2 || t->e[i].type == 3) {
            return false;   /* bootloader / partition_table rows: CSV fixes offset and size */
        }
        if (i > 0 && t->e[i].offset < (uint64_t)t->e[i - 1].offset + t->e[i - 1].size) {
            return false;   /* CSV rows must come in address order */
        }
    }
    return true;
}

/* A label that pt_from_csv cut to 16 bytes inside a multi-byte UTF-8 character: its
 * binary is refused by pt_from_bin ("not UTF-8"), as gen_esp32part cuts and refuses. */
static bool cut_in_utf8(const char *label)
{
    size_t n = strlen(label);
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        unsigned char c = (unsigned char)label[n - back];
        if ((c & 0xC0) == 0x80) {
            continue;   /* continuation byte: look further back for the lead byte */
        }
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back;
    }
    return false;
}

static bool any_cut_in_utf8(const ptable_t *t)
{
    for (unsigned i = 0; i < t->count; i++) {
        if (cut_in_utf8(t->e[i].label)) {
            return true;
        }
    }
    return false;
}

static ptable_t s_a, s_b, s_c;
static char s_csv[PT_CSV_MAX];

/* CSV text of t -> table again; same entries. */
static void csv_roundtrip(const ptable_t *t, const pt_opts_t *o, const char *what)
{
    int n = pt_to_csv(t, s_csv, sizeof s_csv);
    FUZZ_CHECK(n >= 0 && (size_t)n < sizeof s_csv && s_csv[n] == '\0',
               "%s: pt_to_csv returned %d", what, n);
    char err[256] = "";
    int rc = pt_from_csv(s_csv, o, &s_c, err, sizeof err);
    FUZZ_CHECK(rc == 0, "%s: pt_to_csv wrote CSV that pt_from_csv rejects: %s\n%s", what, err,
               s_csv);
    same_entries(t, &s_c, what);
    /* a short output buffer is refused, never overrun */
    if (n > 0) {
        char *tight = malloc((size_t)n);
        FUZZ_CHECK(tight != NULL, "out of memory");
        FUZZ_CHECK(pt_to_csv(t, tight, (size_t)n) == -1, "%s: CSV of %d bytes fit in %d",
                   what, n, n);
        free(tight);
    }
}

static void as_binary(const uint8_t *bin, size_t len, const pt_opts_t *o)
{
    char err[256] = "";
    int rc = pt_from_bin(bin, len, &s_a, err, sizeof err);
    check_failed(rc, &s_a, err, "pt_from_bin");
    if (rc != 0) {
        return;
    }
    /* binary round trip, with or without the MD5 row as read */
    pt_opts_t bo = *o;
    bo.no_md5 = !s_a.has_md5;
    uint8_t out[PT_MAX_LEN];
    err[0] = '\0';
    rc = pt_to_bin(&s_a, &bo, out, err, sizeof err);
    if (rc == 0) {
        rc = pt_from_bin(out, sizeof out, &s_b, err, sizeof err);
        FUZZ_CHECK(rc == 0, "pt_to_bin output rejected by pt_from_bin: %s", err);
        same_entries(&s_a, &s_b, "binary round trip");
    } else {
        FUZZ_CHECK(err[0] != '\0', "pt_to_bin failed without a reason");
    }

    err[0] = '\0';
    rc = pt_check(&s_a, o, err, sizeof err);
    FUZZ_CHECK(rc == 0 || err[0] != '\0', "pt_check failed without a reason");
    if (rc == 0 && csv_safe(&s_a, true)) {
        csv_roundtrip(&s_a, o, "binary -> CSV -> table");
    }
}

static void as_flash(const uint8_t *bin, size_t len)
{
    char err[256] = "";
    int rc = pt_verify_like_bootloader(bin, len, FLASH_4MB, &s_a, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "pt_verify_like_bootloader returned %d", rc);
    FUZZ_CHECK(rc == 0 || err[0] != '\0', "bootloader check failed without a reason");
    if (rc == 0) {
        check_table(&s_a, "pt_verify_like_bootloader");
        for (unsigned i = 0; i < s_a.count; i++) {
            FUZZ_CHECK(s_a.e[i].offset <= FLASH_4MB &&
                       s_a.e[i].offset + s_a.e[i].size <= FLASH_4MB,
                       "bootloader check let entry %u past the flash", i);
        }
    }
    rc = pt_verify_like_bootloader(bin, len, 0, NULL, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "pt_verify_like_bootloader returned %d", rc);
}

static void as_csv(const uint8_t *data, size_t size, const pt_opts_t *o)
{
    char *csv = fuzz_strdup(data, size);
    char err[256] = "";
    int rc = pt_from_csv(csv, o, &s_a, err, sizeof err);
    check_failed(rc, &s_a, err, "pt_from_csv");
    if (rc == 0) {
        uint8_t bin[PT_MAX_LEN];
        rc = pt_to_bin(&s_a, o, bin, err, sizeof err);
        FUZZ_CHECK(rc == 0, "a table pt_from_csv accepted does not convert to binary: %s", err);
        if (any_cut_in_utf8(&s_a)) {
            rc = pt_from_bin(bin, sizeof bin, &s_b, err, sizeof err);
            FUZZ_CHECK(rc == -1 && strstr(err, "UTF-8"), "label cut inside a UTF-8 "
                       "character: pt_from_bin %d (%s)", rc, err);
            free(csv);
            return;
        }
        rc = pt_from_bin(bin, sizeof bin, &s_b, err, sizeof err);
        FUZZ_CHECK(rc == 0, "the binary of a CSV table is rejected by pt_from_bin: %s", err);
        same_entries(&s_a, &s_b, "CSV -> binary -> table");
        FUZZ_CHECK(s_b.has_md5 == s_a.has_md5, "MD5 row lost");
        rc = pt_verify_like_bootloader(bin, sizeof bin, FLASH_4MB, &s_b, err, sizeof err);
        if (rc != 0) {
            /* gen_esp32part checks the flash size at the end of the partition with the
             * highest offset, the first of them on a tie: a zero-size partition at the
             * offset of a later one that runs past the flash hides it. */
            bool past_end = false;
            for (unsigned i = 0; i < s_a.count; i++) {
                past_end |= (uint64_t)s_a.e[i].offset + s_a.e[i].size > FLASH_4MB;
            }
            FUZZ_CHECK(past_end, "the binary of a CSV table is rejected by the bootloader: %s",
                       err);
        } else {
            same_entries(&s_a, &s_b, "CSV -> binary -> bootloader");
        }
        if (csv_safe(&s_a, false)) {
            csv_roundtrip(&s_a, o, "CSV -> table -> CSV");
        }
    }
    free(csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const pt_opts_t o = { .flash_size = FLASH_4MB };
    uint8_t *bin = fuzz_dup(data, size);
    as_binary(bin, size, &o);
    as_flash(bin, size);
    free(bin);
    as_csv(data, size, &o);
    return 0;
}
