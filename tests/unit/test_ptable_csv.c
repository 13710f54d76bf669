/* CSV syntax and checks of the partition table codec (host/ptable), one table of cases.
 * Every expectation was checked against ESP-IDF v6.0.2 gen_esp32part.py: run this test
 * with SOTA_PTABLE_DUMP=DIR to write each case to DIR/NAME.csv (+ NAME.args, the
 * gen_esp32part options) and compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ptable.h"

#define MIB (1024u * 1024u)

typedef struct {
    const char *label;
    uint8_t type, subtype;
    uint32_t offset, size, flags;
} row_want_t;

typedef struct {
    const char *name;
    const char *csv;
    uint32_t flash_size;       /* 0: no --flash-size */
    uint32_t table_offset;     /* 0: 0x8000 */
    bool no_md5, secure_v1, has_bl;
    uint32_t bl;               /* --primary-bootloader-offset when has_bl */
    const char *error;         /* NULL: accepted; else a part of the reason */
    const char *warning;       /* a part of a warning that must be given, or NULL: none */
    unsigned count;
    row_want_t rows[7];
} csv_case_t;

#define RO PT_FLAG_READONLY
#define EN PT_FLAG_ENCRYPTED

static const csv_case_t s_cases[] = {
    /* ---- numbers: hex, decimal, K/M suffixes, Python int() syntax */
    { .name = "sizes_suffixes",
      .csv = "a,data,fat,,0x1000\nb,data,fat,,4096\nc,data,fat,,4K\nd,data,fat,,4k\n"
             "e,data,fat,,1M\nf,data,fat,,1m\n",
      .count = 6,
      .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 }, { "b", 1, 0x81, 0xa000, 0x1000, 0 },
                { "c", 1, 0x81, 0xb000, 0x1000, 0 }, { "d", 1, 0x81, 0xc000, 0x1000, 0 },
                { "e", 1, 0x81, 0xd000, 0x100000, 0 }, { "f", 1, 0x81, 0x10d000, 0x100000, 0 } } },
    { .name = "suffix_repeat_space",
      .csv = "a,data,fat,,1KK\nb,data,fat,,2 K\nc,data,fat,0X200000,0x1000\n",
      .count = 3,
      .rows = { { "a", 1, 0x81, 0x9000, 0x100000, 0 }, { "b", 1, 0x81, 0x109000, 0x800, 0 },
                { "c", 1, 0x81, 0x200000, 0x1000, 0 } } },
    { .name = "python_int_syntax",
      .csv = "a,data,fat,,0x_1000\nb,data,fat,,1_024\nc,data,fat,,0o10000\n"
             "d,data,fat,,0b1000000000000\ne,data,fat,,+4K\nf,data,fat,,000\n",
      .count = 6,
      .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 }, { "b", 1, 0x81, 0xa000, 0x400, 0 },
                { "c", 1, 0x81, 0xb000, 0x1000, 0 }, { "d", 1, 0x81, 0xc000, 0x1000, 0 },
                { "e", 1, 0x81, 0xd000, 0x1000, 0 }, { "f", 1, 0x81, 0xe000, 0, 0 } } },
    { .name = "int_leading_zero", .csv = "a,data,fat,,010\n",
      .error = "Error at line 1: Invalid field value 010" },
    { .name = "int_double_underscore", .csv = "a,data,fat,,1__0\n",
      .error = "Invalid field value 1__0" },
    { .name = "int_prefix_only", .csv = "a,data,fat,,0x\n", .error = "Invalid field value 0x" },
    { .name = "int_word", .csv = "a,data,fat,0x9000,big\n", .error = "Invalid field value big" },
    { .name = "size_empty", .csv = "a,data,fat,,\n", .error = "Size field can't be empty" },
    { .name = "size_missing", .csv = "a,data\n", .error = "Error at line 1: Size field can't be empty" },
    { .name = "negative_size_is_end",
      .csv = "factory,app,factory,0x10000,-0x110000\nrest,data,fat,,-4M\n",
      .count = 2,
      .rows = { { "factory", 0, 0, 0x10000, 0x100000, 0 },
                { "rest", 1, 0x81, 0x110000, 0x2f0000, 0 } } },
    { .name = "size_over_32_bits", .csv = "a,data,fat,,0x100000000\n",
      .error = "size 0x100000000 does not fit in 32 bits" },

    /* ---- types and subtypes */
    { .name = "names_any_case_and_numbers",
      .csv = "a,DATA,NVS,,0x6000\nb,App,Factory,,1M\nc,0x40,0x7,,4K\nd,1,0x82,,4K\n"
             "e,app,ota_15,,64K\nf,app,TEST,,64K\ng,data,tee_ota,,8K\n",
      .count = 7,
      .rows = { { "a", 1, 2, 0x9000, 0x6000, 0 }, { "b", 0, 0, 0x10000, 0x100000, 0 },
                { "c", 0x40, 7, 0x110000, 0x1000, 0 }, { "d", 1, 0x82, 0x111000, 0x1000, 0 },
                { "e", 0, 0x1f, 0x120000, 0x10000, 0 }, { "f", 0, 0x20, 0x130000, 0x10000, 0 },
                { "g", 1, 0x90, 0x140000, 0x2000, 0 } } },
    { .name = "empty_subtype_is_undefined",
      .csv = "a,data,,,4K\nb,0x40,,,4K\n",
      .count = 2,
      .rows = { { "a", 1, 6, 0x9000, 0x1000, 0 }, { "b", 0x40, 6, 0xa000, 0x1000, 0 } } },
    { .name = "app_empty_subtype", .csv = "a,app,,,1M\n",
      .error = "App partition cannot have an empty subtype" },
    { .name = "type_empty", .csv = "a,,nvs,,4K\n", .error = "Field 'type' can't be left empty." },
    { .name = "type_unknown", .csv = "a,application,factory,,1M\n",
      .error = "Value 'application' is not valid. Known keywords: bootloader, partition_table, "
               "app, data" },
    { .name = "subtype_unknown", .csv = "a,app,ota_16,,1M\n",
      .error = "Value 'ota_16' is not valid. Known keywords: factory, test, ota_0, ota_1" },
    { .name = "custom_type_subtype_name", .csv = "a,0x40,fat,,4K\n",
      .error = "Invalid field value fat" },
    { .name = "type_over_a_byte", .csv = "a,0x100,1,,4K\n", .error = "type 256 does not fit in a byte" },

    /* ---- lines: comments, blanks, whitespace, extra fields, flags */
    { .name = "comments_blanks_whitespace",
      .csv = "  # comment, with, commas\n\n\t \r\n nvs ,\tdata , nvs , , 0x6000 ,\r\n#x,data,fat,,4K\n",
      .count = 1, .rows = { { "nvs", 1, 2, 0x9000, 0x6000, 0 } } },
    { .name = "hash_inside_is_not_comment", .csv = "nvs,data,nvs,,0x6000,# note\n",
      .error = "CSV flag column contains unknown flag '# note'" },
    { .name = "extra_fields_ignored", .csv = "nvs,data,nvs,,0x6000,readonly,more,fields\n",
      .count = 1, .rows = { { "nvs", 1, 2, 0x9000, 0x6000, RO } } },
    { .name = "flags",
      .csv = "a,data,fat,,4K,encrypted\nb,data,fat,,4K,readonly\nc,data,fat,,4K,encrypted:readonly\n"
             "d,data,fat,,4K,:readonly:\ne,app,factory,,64K,encrypted\n",
      .count = 5,
      .rows = { { "a", 1, 0x81, 0x9000, 0x1000, EN }, { "b", 1, 0x81, 0xa000, 0x1000, RO },
                { "c", 1, 0x81, 0xb000, 0x1000, EN | RO }, { "d", 1, 0x81, 0xc000, 0x1000, RO },
                { "e", 0, 0, 0x10000, 0x10000, EN } } },
    { .name = "flag_unknown", .csv = "a,data,fat,,4K,secret\n",
      .error = "Error at line 1: CSV flag column contains unknown flag 'secret'" },
    { .name = "flag_spaces_inside", .csv = "a,data,fat,,4K,encrypted : readonly\n",
      .error = "unknown flag 'encrypted '" },
    { .name = "unicode_spaces_and_breaks",
      .csv = "\xc2\xa0nvs\xe3\x80\x80,data,nvs,,0x6000\xe2\x80\xa8"
             "b,data,fat,,4K\x0b" "c,data,fat,,4K\x0c" "d,data,fat,,4K\xc2\x85" "e,data,fat,,4K\n",
      .count = 5,
      .rows = { { "nvs", 1, 2, 0x9000, 0x6000, 0 }, { "b", 1, 0x81, 0xf000, 0x1000, 0 },
                { "c", 1, 0x81, 0x10000, 0x1000, 0 }, { "d", 1, 0x81, 0x11000, 0x1000, 0 },
                { "e", 1, 0x81, 0x12000, 0x1000, 0 } } },
    { .name = "not_utf8", .csv = "a,data,\xff,,4K\n", .error = "not valid UTF-8" },
    { .name = "error_line_number_counts_every_line",
      .csv = "# one\n\nnvs,data,nvs,,0x6000\n  \nx,data,bogus,,4K\n",
      .error = "Error at line 5: Value 'bogus' is not valid" },
    { .name = "empty_csv", .csv = "", .count = 0 },
    { .name = "only_comments", .csv = "# a\n#b\n\n", .count = 0 },

    /* ---- environment variables (set in main) */
    { .name = "env_vars",
      .csv = "$SOTA_PT_NAME,data,nvs,,${SOTA_PT_SIZE}\nx$SOTA_PTX,data,fat,,4K\n",
      .count = 2,
      .rows = { { "nvsenv", 1, 2, 0x9000, 0x3000, 0 },
                { "x$SOTA_PTX", 1, 0x81, 0xc000, 0x1000, 0 } } },
    { .name = "env_unset_at_start", .csv = "nvs,data,nvs,,0x6000\n$SOTA_PTX,data,fat,,4K\n",
      .error = "unknown variable 'SOTA_PTX'" },

    /* ---- names: 16 bytes kept, 17 cut (as gen_esp32part), uniqueness on full names */
    { .name = "label_16", .csv = "abcdefghijklmnop,data,fat,,4K\n",
      .count = 1, .rows = { { "abcdefghijklmnop", 1, 0x81, 0x9000, 0x1000, 0 } } },
    { .name = "label_17_cut", .csv = "abcdefghijklmnopq,data,fat,,4K\n",
      .warning = "longer than 16 bytes",
      .count = 1, .rows = { { "abcdefghijklmnop", 1, 0x81, 0x9000, 0x1000, 0 } } },
    { .name = "labels_unique_before_cut",
      .csv = "abcdefghijklmnopX,data,fat,,4K\nabcdefghijklmnopY,data,fat,,4K\n",
      .warning = "longer than 16 bytes",
      .count = 2, .rows = { { "abcdefghijklmnop", 1, 0x81, 0x9000, 0x1000, 0 },
                            { "abcdefghijklmnop", 1, 0x81, 0xa000, 0x1000, 0 } } },
    { .name = "duplicate_names", .csv = "a,data,fat,,4K\nb,data,fat,,4K\na,data,fat,,4K\n",
      .error = "Partition names must be unique" },
    { .name = "empty_name", .csv = ",data,fat,,4K\n",
      .count = 1, .rows = { { "", 1, 0x81, 0x9000, 0x1000, 0 } } },
    { .name = "name_is_other_subtype", .csv = "factory,app,ota_0,,1M\n",
      .warning = "which is a partition subtype, but this partition has non-matching type 0x0 "
                 "and subtype 0x10",
      .count = 1, .rows = { { "factory", 0, 0x10, 0x10000, 0x100000, 0 } } },
    { .name = "name_is_other_type", .csv = "app,data,fat,,4K\n",
      .warning = "which is a partition type, but does not match this partition's type (0x1)",
      .count = 1, .rows = { { "app", 1, 0x81, 0x9000, 0x1000, 0 } } },

    /* ---- implicit offsets and alignment (N and N+1) */
    { .name = "implicit_offsets_align",
      .csv = "nvs,data,nvs,,0x5000\nf,app,factory,,0x1000\ng,data,fat,,0x1001\nh,data,fat,,4K\n"
             "i,app,ota_0,,64K\n",
      .count = 5,
      .rows = { { "nvs", 1, 2, 0x9000, 0x5000, 0 }, { "f", 0, 0, 0x10000, 0x1000, 0 },
                { "g", 1, 0x81, 0x11000, 0x1001, 0 }, { "h", 1, 0x81, 0x13000, 0x1000, 0 },
                { "i", 0, 0x10, 0x20000, 0x10000, 0 } } },
    { .name = "table_offset_0x10000", .table_offset = 0x10000,
      .csv = "a,data,fat,,4K\nb,app,factory,,64K\n",
      .count = 2, .rows = { { "a", 1, 0x81, 0x11000, 0x1000, 0 },
                            { "b", 0, 0, 0x20000, 0x10000, 0 } } },
    { .name = "app_offset_aligned", .csv = "a,app,factory,0x20000,64K\n",
      .count = 1, .rows = { { "a", 0, 0, 0x20000, 0x10000, 0 } } },
    { .name = "app_offset_unaligned", .csv = "a,app,factory,0x21000,64K\n",
      .error = "Partition a invalid: Offset 0x21000 is not aligned to 0x10000" },
    { .name = "data_offset_aligned", .csv = "a,data,fat,0xa000,4K\n",
      .count = 1, .rows = { { "a", 1, 0x81, 0xa000, 0x1000, 0 } } },
    { .name = "data_offset_unaligned", .csv = "a,data,fat,0xa001,4K\n",
      .error = "Partition a invalid: Offset 0xa001 is not aligned to 0x1000" },
    { .name = "app_size_aligned", .csv = "a,app,factory,,0x1000\n",
      .count = 1, .rows = { { "a", 0, 0, 0x10000, 0x1000, 0 } } },
    { .name = "app_size_unaligned", .csv = "a,app,factory,,0x1001\n",
      .error = "Partition a invalid: Size 0x1001 is not aligned to 0x1000" },
    { .name = "secure_v1_app_size_aligned", .secure_v1 = true, .csv = "a,app,factory,,0x10000\n",
      .count = 1, .rows = { { "a", 0, 0, 0x10000, 0x10000, 0 } } },
    { .name = "secure_v1_app_size_unaligned", .secure_v1 = true, .csv = "a,app,factory,,0x11000\n",
      .error = "Size 0x11000 is not aligned to 0x10000" },

    /* ---- overlaps */
    { .name = "offset_at_previous_end", .csv = "a,data,fat,0x9000,4K\nb,data,fat,0xa000,4K\n",
      .count = 2, .rows = { { "a", 1, 0x81, 0x9000, 0x1000, 0 },
                            { "b", 1, 0x81, 0xa000, 0x1000, 0 } } },
    { .name = "offset_before_previous_end", .csv = "a,data,fat,0x9000,8K\nb,data,fat,0xa000,4K\n",
      .error = "CSV Error at line 2: Partitions overlap. Partition sets offset 0xa000. Previous "
               "partition ends 0xb000" },
    { .name = "first_offset_in_table_sector", .csv = "a,data,fat,0x8000,4K\n",
      .error = "CSV Error at line 1: Partitions overlap. Partition sets offset 0x8000. But "
               "partition table occupies the whole sector 0x8000. Use a free offset 0x9000 or "
               "higher." },

    /* ---- partition-specific rules */
    { .name = "nvs_0x3000_rw", .csv = "nvs,data,nvs,,0x3000\n",
      .count = 1, .rows = { { "nvs", 1, 2, 0x9000, 0x3000, 0 } } },
    { .name = "nvs_0x2fff_rw", .csv = "nvs,data,nvs,,0x2fff\n",
      .error = "'nvs' partition of type 1 and subtype 2 of this size (0x2fff) must be flagged "
               "as 'readonly'" },
    { .name = "nvs_small_readonly", .csv = "nvs,data,nvs,,0x1000,readonly\n",
      .count = 1, .rows = { { "nvs", 1, 2, 0x9000, 0x1000, RO } } },
    { .name = "otadata_0x2000", .csv = "otadata,data,ota,,0x2000\n",
      .count = 1, .rows = { { "otadata", 1, 0, 0x9000, 0x2000, 0 } } },
    { .name = "otadata_0x2001", .csv = "otadata,data,ota,,0x2001\n",
      .error = "otadata partition must have size = 0x2000" },
    { .name = "otadata_twice", .csv = "o1,data,ota,,8K\no2,data,ota,,8K\n",
      .error = "Found multiple otadata partitions" },
    { .name = "otadata_readonly", .csv = "otadata,data,ota,,8K,readonly\n",
      .error = "'otadata' partition of type 1 and subtype 0 is always read-write and cannot be "
               "read-only" },
    { .name = "coredump_readonly", .csv = "cd,data,coredump,,64K,readonly\n",
      .error = "'cd' partition of type 1 and subtype 3 is always read-write" },
    { .name = "tee_otadata_size", .csv = "t,data,tee_ota,,12K\n",
      .error = "TEE otadata partition must have size = 0x2000" },

    /* ---- flash size (N and N+1) */
    { .name = "flash_exactly_full", .flash_size = 4 * MIB, .csv = "a,app,factory,,0x3F0000\n",
      .count = 1, .rows = { { "a", 0, 0, 0x10000, 0x3f0000, 0 } } },
    { .name = "flash_one_sector_over", .flash_size = 4 * MIB, .csv = "a,app,factory,,0x3F1000\n",
      .error = "Partitions tables occupies 4.0MB of flash (4198400 bytes) which does not fit in "
               "configured flash size 4MB" },
    /* gen_esp32part checks only the row with the highest offset: an empty factory at the
     * same offset as a 4 MiB ota_0 passes it, but the bootloader would refuse the table */
    { .name = "flash_over_by_a_lower_row", .flash_size = 4 * MIB,
      .csv = "nvs,data,nvs,,0x6000\nfactory,app,factory,,0M\nota_0,app,ota_0,,4M\n",
      .warning = "partition 'ota_0' ends at 0x410000, past the end of the 0x400000-byte flash",
      .count = 3, .rows = { { "nvs", 1, 2, 0x9000, 0x6000, 0 },
                            { "factory", 0, 0, 0x10000, 0, 0 },
                            { "ota_0", 0, 0x10, 0x10000, 0x400000, 0 } } },
    { .name = "flash_2mb", .flash_size = 2 * MIB, .csv = "a,app,factory,,2M\n",
      .error = "Partitions tables occupies 2.1MB of flash (2162688 bytes) which does not fit in "
               "configured flash size 2MB" },

    /* ---- bootloader and partition table rows */
    { .name = "bootloader_rows", .has_bl = true, .bl = 0x1000,
      .csv = "bl,bootloader,primary,,\npt,partition_table,primary,,\nnvs,data,nvs,,0x6000\n",
      .count = 3,
      .rows = { { "bl", 2, 0, 0x1000, 0x7000, 0 }, { "pt", 3, 0, 0x8000, 0x1000, 0 },
                { "nvs", 1, 2, 0x9000, 0x6000, 0 } } },
    { .name = "bootloader_without_offset", .csv = "bl,bootloader,primary,,\n",
      .error = "Primary bootloader offset is not defined" },
    { .name = "bootloader_not_below_table", .has_bl = true, .bl = 0x8000,
      .csv = "nvs,data,nvs,,0x6000\n",
      .error = "Primary bootloader must be below partition table" },
    { .name = "partition_table_ota_row", .csv = "pt2,partition_table,ota,,\n",
      .count = 1, .rows = { { "pt2", 3, 1, 0x9000, 0x1000, 0 } } },
};

#define N_CASES (sizeof s_cases / sizeof s_cases[0])

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct {
    char text[4096];
} messages_t;

static void collect(void *ctx, const char *msg)
{
    messages_t *m = ctx;
    size_t n = strlen(m->text);
    snprintf(m->text + n, sizeof m->text - n, "%s\n", msg);
}

static pt_opts_t case_opts(const csv_case_t *c, messages_t *m)
{
    pt_opts_t o = { 0 };
    o.flash_size = c->flash_size;
    o.table_offset = c->table_offset;
    o.no_md5 = c->no_md5;
    o.secure_v1 = c->secure_v1;
    o.has_bootloader_offset = c->has_bl;
    o.bootloader_offset = c->bl;
    o.warn = collect;
    o.warn_ctx = m;
    return o;
}

static void dump_case(const char *dir, const char *name, const char *csv, const pt_opts_t *o)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(csv, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.args", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    if (o->flash_size) {
        fprintf(f, "--flash-size %uMB ", o->flash_size / MIB);
    }
    if (o->table_offset) {
        fprintf(f, "--offset 0x%x ", o->table_offset);
    }
    if (o->no_md5) {
        fprintf(f, "--disable-md5sum ");
    }
    if (o->secure_v1) {
        fprintf(f, "--secure v1 ");
    }
    if (o->has_bootloader_offset) {
        fprintf(f, "--primary-bootloader-offset 0x%x ", o->bootloader_offset);
    }
    fprintf(f, "\n");
    fclose(f);
}

/* What holds for every accepted table: it converts to a binary that reads back the same,
 * whose CSV converts to the same binary again; the bootloader accepts it too. */
static void expect_stable(const char *name, const ptable_t *t, const pt_opts_t *o)
{
    static uint8_t b1[PT_MAX_LEN], b2[PT_MAX_LEN];
    static ptable_t back, again;
    static char csv[PT_CSV_MAX];
    char err[512] = "";
    pt_opts_t quiet = *o;
    quiet.warn = NULL;
    if (pt_to_bin(t, o, b1, err, sizeof err) != 0) {
        print_error("%s: pt_to_bin: %s\n", name, err);
        fail();
    }
    assert_int_equal(pt_from_bin_ex(b1, sizeof b1, o, &back, err, sizeof err), 0);
    assert_int_equal(back.count, t->count);
    assert_true(pt_to_csv(&back, csv, sizeof csv) > 0);
    if (pt_from_csv(csv, &quiet, &again, err, sizeof err) != 0) {
        /* only a cut label can make the binary's own CSV invalid: names clash after it */
        assert_non_null(strstr(err, "Partition names must be unique"));
        return;
    }
    assert_int_equal(pt_to_bin(&again, o, b2, err, sizeof err), 0);
    assert_memory_equal(b1, b2, PT_MAX_LEN);
    if (t->count > 0) {
        assert_int_equal(pt_verify_like_bootloader(b1, sizeof b1, 16 * MIB, NULL, err,
                                                   sizeof err), 0);
    }
}

/* ---- the table -------------------------------------------------------------------- */

static void test_csv_cases(void **state)
{
    (void)state;
    const char *dump = getenv("SOTA_PTABLE_DUMP");
    for (size_t k = 0; k < N_CASES; k++) {
        const csv_case_t *c = &s_cases[k];
        messages_t m = { "" };
        pt_opts_t o = case_opts(c, &m);
        if (dump) {
            dump_case(dump, c->name, c->csv, &o);
        }
        ptable_t t;
        char err[1024] = "";
        int rc = pt_from_csv(c->csv, &o, &t, err, sizeof err);
        if (c->error) {
            if (rc == 0) {
                print_error("%s: accepted, expected the error '%s'\n", c->name, c->error);
                fail();
            }
            if (!strstr(err, c->error)) {
                print_error("%s: error '%s', expected '%s'\n", c->name, err, c->error);
                fail();
            }
            assert_int_equal(t.count, 0);
            continue;
        }
        if (rc != 0) {
            print_error("%s: rejected: %s\n", c->name, err);
            fail();
        }
        if (c->warning ? !strstr(m.text, c->warning) : m.text[0] != '\0') {
            print_error("%s: warnings '%s', expected '%s'\n", c->name, m.text,
                        c->warning ? c->warning : "");
            fail();
        }
        assert_int_equal(t.has_md5, !c->no_md5);
        if (t.count != c->count) {
            print_error("%s: %u partitions, expected %u\n", c->name, t.count, c->count);
            fail();
        }
        for (unsigned i = 0; i < c->count; i++) {
            const row_want_t *w = &c->rows[i];
            const pt_entry_t *e = &t.e[i];
            if (strcmp(e->label, w->label) || e->type != w->type || e->subtype != w->subtype ||
                e->offset != w->offset || e->size != w->size || e->flags != w->flags) {
                print_error("%s row %u: '%s' %u/0x%x @0x%x size 0x%x flags %u, expected '%s' "
                            "%u/0x%x @0x%x size 0x%x flags %u\n", c->name, i, e->label, e->type,
                            e->subtype, e->offset, e->size, e->flags, w->label, w->type,
                            w->subtype, w->offset, w->size, w->flags);
                fail();
            }
        }
        expect_stable(c->name, &t, &o);
    }
}

/* ---- the row limit: 94/95 with MD5, 95/96 without ------------------------------------ */

static char *many_rows(unsigned n)
{
    char *csv = malloc(n * 40 + 1);
    assert_non_null(csv);
    size_t w = 0;
    for (unsigned i = 0; i < n; i++) {
        w += (size_t)sprintf(csv + w, "d%u, data, 0x%x, , 0x1000,\n", i, 0x40 + i % 63);
    }
    csv[w] = '\0';
    return csv;
}

static void test_row_limit(void **state)
{
    (void)state;
    static const struct {
        unsigned rows;
        bool no_md5;
        const char *error; /* NULL: accepted */
    } limits[] = {
        { 94, false, NULL },
        { 95, false, "Binary partition table length (3072) longer than max" },
        { 95, true, NULL },
        { 96, true, "Binary partition table length (3072) longer than max" },
        { 97, false, "Binary partition table length (3136) longer than max" },
    };
    const char *dump = getenv("SOTA_PTABLE_DUMP");
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        char *csv = many_rows(limits[k].rows);
        pt_opts_t o = { 0 };
        o.no_md5 = limits[k].no_md5;
        if (dump) {
            char name[64];
            snprintf(name, sizeof name, "rows_%u%s", limits[k].rows, o.no_md5 ? "_nomd5" : "");
            dump_case(dump, name, csv, &o);
        }
        static ptable_t t;
        char err[512] = "";
        int rc = pt_from_csv(csv, &o, &t, err, sizeof err);
        if (limits[k].error) {
            assert_int_equal(rc, -1);
            if (!strstr(err, limits[k].error)) {
                print_error("%u rows: '%s', expected '%s'\n", limits[k].rows, err, limits[k].error);
                fail();
            }
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(t.count, limits[k].rows);
            uint8_t bin[PT_MAX_LEN];
            assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
            /* the rows fill the table up to the last slot, which stays the end marker */
            size_t used = (limits[k].rows + (o.no_md5 ? 0u : 1u)) * PT_ENTRY_LEN;
            assert_int_equal(used, PT_MAX_LEN - PT_ENTRY_LEN);
            for (size_t i = used; i < PT_MAX_LEN; i++) {
                assert_int_equal(bin[i], 0xFF);
            }
            /* and pt_to_bin refuses the same table with the MD5 row it has no room for */
            if (o.no_md5) {
                pt_opts_t with_md5 = { 0 };
                assert_int_equal(pt_to_bin(&t, &with_md5, bin, err, sizeof err), -1);
                assert_non_null(strstr(err, "Binary partition table length (3072) longer than max"));
            }
        }
        free(csv);
    }
}

int main(void)
{
    setenv("SOTA_PT_NAME", "nvsenv", 1);
    setenv("SOTA_PT_SIZE", "0x3000", 1);
    unsetenv("SOTA_PTX");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_cases),
        cmocka_unit_test(test_row_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
