/* ESP-IDF partition tables: the CSV format of gen_esp32part.py and the binary the
 * bootloader reads at 0x8000 (ESP-FORMATS.md 1). Conversions are byte-identical to
 * gen_esp32part.py v1.5 (ESP-IDF v5.x/v6.x) both ways, and its errors are reproduced
 * with the same reasons. */
#ifndef PTABLE_H
#define PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_OFFSET_DEFAULT  0x8000u
#define PT_MAX_LEN         0xC00u   /* bytes of table data gen_esp32part writes */
#define PT_ENTRY_LEN       32u
#define PT_MAX_ENTRIES     95u
#define PT_MAGIC           0x50AAu  /* bytes AA 50 */
#define PT_MD5_MAGIC       0xEBEBu

#define PT_TYPE_APP        0x00
#define PT_TYPE_DATA       0x01
#define PT_SUBTYPE_FACTORY 0x00
#define PT_SUBTYPE_OTA_0   0x10
#define PT_SUBTYPE_TEST    0x20
#define PT_SUBTYPE_DATA_OTA 0x00
#define PT_FLAG_ENCRYPTED  0x01u
#define PT_FLAG_READONLY   0x02u

typedef struct {
    char label[17];      /* NUL-terminated (16 chars at most) */
    uint8_t type;
    uint8_t subtype;
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
} pt_entry_t;

typedef struct {
    pt_entry_t e[PT_MAX_ENTRIES];
    unsigned count;
    bool has_md5;        /* binary: an MD5 row was present / is to be written */
} ptable_t;

typedef struct {
    uint32_t flash_size;    /* 0: no size check; else e.g. 4 MiB (--flash-size 4MB) */
    uint32_t table_offset;  /* 0: PT_OFFSET_DEFAULT */
    bool no_md5;            /* --disable-md5sum */
    /* Added by the ptable room (all optional; zero = gen_esp32part's defaults): */
    bool secure_v1;         /* --secure v1: app sizes aligned to 0x10000 instead of 0x1000 */
    bool has_bootloader_offset;  /* --primary-bootloader-offset given: needed by rows of */
    uint32_t bootloader_offset;  /*   type "bootloader" (sizes them table_offset - this) */
    bool has_recovery_offset;    /* --recovery-bootloader-offset given: needed by a */
    uint32_t recovery_offset;    /*   "bootloader, recovery" row */
    /* Non-fatal findings ("WARNING: Partition has name 'factory' which is a partition
     * subtype, but ...", a label cut to 16 bytes, unknown flag bits in a binary), one
     * message per call without a newline. NULL: not reported. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
} pt_opts_t;

/* Errors carry gen_esp32part's reason in err (NUL-terminated, truncated to errlen; err
 * may be NULL when errlen is 0). opts may be NULL (all defaults). On -1, an output
 * ptable_t is left zeroed. Text is UTF-8. */

/* CSV text (NUL-terminated) -> table, with gen_esp32part's implicit offsets, alignment,
 * overlap, uniqueness, otadata size and flash size checks. Returns 0 or -1.
 * Syntax as gen_esp32part: one partition per line "name, type, subtype, offset, size,
 * flags" (fields split at every ',', no quoting, surrounding whitespace ignored, fields
 * after the sixth ignored); lines that are blank or start with '#' skipped; $VAR and
 * ${VAR} replaced from the environment (a line starting with an unset $VAR is an
 * error); numbers as Python's int(x, 0) (0x/0o/0b, '_' between digits) with K/M
 * suffixes (x1024, x1024*1024, case-insensitive, repeatable: "1KK" = 1M); type and
 * subtype by name (case-insensitive) or number; a negative size -X means "up to
 * address X". A name longer than 16 bytes is cut to 16 in the table, like
 * gen_esp32part does (and reported through opts->warn). Also fails when the table has
 * more rows than pt_to_bin can write with these opts ("Binary partition table length
 * (3072) longer than max": 95 rows with MD5, 96 without). out->has_md5 = !no_md5. */
int pt_from_csv(const char *csv, const pt_opts_t *opts, ptable_t *out, char *err, size_t errlen);
/* Table -> binary of exactly PT_MAX_LEN bytes (0xFF padded, MD5 row unless no_md5;
 * flags written as stored). Returns 0 or -1 (too many entries: "Binary partition
 * table length (N) longer than max"). */
int pt_to_bin(const ptable_t *t, const pt_opts_t *opts, uint8_t out[PT_MAX_LEN], char *err, size_t errlen);
/* Binary -> table as gen_esp32part reads it (MD5 mismatch, missing end marker...).
 * len may be more than PT_MAX_LEN (e.g. a whole flash sector). Returns 0 or -1.
 * Reading stops at the first all-0xFF 32-byte row (a leading one gives an empty table);
 * an MD5 row (EB EB) must match the MD5 of all entry rows before it; a row with another
 * magic, a length without end marker, a label that is not UTF-8 or more than
 * PT_MAX_ENTRIES entries fail. Flags are kept as stored (unknown bits too). Like
 * gen_esp32part, this does not check the layout: pt_check does. */
int pt_from_bin(const uint8_t *bin, size_t len, ptable_t *out, char *err, size_t errlen);
/* pt_from_bin with options (added): opts->no_md5 (--disable-md5sum) makes an MD5 row an
 * invalid entry, as gen_esp32part does; unknown flag bits are reported to opts->warn. */
int pt_from_bin_ex(const uint8_t *bin, size_t len, const pt_opts_t *opts, ptable_t *out,
                   char *err, size_t errlen);
/* gen_esp32part's checks of a table that was read from a binary (added): alignment,
 * read-only rules, unique names, no overlap and nothing below table_offset + 0x1000,
 * one otadata of 0x2000 bytes, flash size. pt_from_csv runs the same checks itself.
 * Returns 0 or -1. */
int pt_check(const ptable_t *t, const pt_opts_t *opts, char *err, size_t errlen);
/* Table -> CSV text as gen_esp32part writes it for a binary input (two '#' header lines,
 * hex offsets, sizes as "1M"/"24K"/0x..., names for known types/subtypes else decimal,
 * known flags only). Returns the length written (excluding NUL) or -1 if out is too
 * small (PT_CSV_MAX always suffices). */
#define PT_CSV_MAX (100u + PT_MAX_ENTRIES * 100u)
int pt_to_csv(const ptable_t *t, char *out, size_t outlen);

/* The bootloader's check of a table in flash (esp_partition_table_verify): accepts a
 * table without MD5. Returns 0 or -1 with the reason. Slots 0..95 of 32 bytes: an
 * entry (AA 50) fails if offset > flash_size or offset + size (uint32 arithmetic, as
 * the bootloader computes it) > flash_size; one MD5 row (EB EB) must match the MD5 of
 * the bytes before it; an all-FF magic/type/subtype ends the table unless it is slot 0
 * (empty table); anything else is an invalid magic; no end in 96 slots fails. A slot
 * beyond len fails ("truncated"). flash_size 0: no size check. out may be NULL;
 * otherwise it gets the entries (labels as stored, flags raw). */
int pt_verify_like_bootloader(const uint8_t *bin, size_t len, uint32_t flash_size,
                              ptable_t *out, char *err, size_t errlen);

/* Look-ups on a parsed table (the first match in table order); NULL if absent. */
const pt_entry_t *pt_find(const ptable_t *t, uint8_t type, uint8_t subtype);
const pt_entry_t *pt_find_label(const ptable_t *t, const char *label);
/* Names of type and subtype as gen_esp32part writes them ("app", "ota_0"...), or NULL
 * for numbers without a name. */
const char *pt_type_name(uint8_t type);
const char *pt_subtype_name(uint8_t type, uint8_t subtype);

#endif
