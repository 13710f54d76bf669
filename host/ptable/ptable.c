/* Partition tables: gen_esp32part.py v1.5's CSV <-> binary conversions with its checks
 * and messages, and the bootloader's esp_partition_table_verify (ESP-FORMATS.md 1).
 *
 * The CSV path keeps gen_esp32part's order of work, because which error a bad table
 * reports depends on it: read every line (syntax errors), fill in implicit offsets
 * (overlap with the previous row), check each partition then the whole table, the flash
 * size, and last what only the binary can't hold (32-bit values, the row count). Python
 * integers are unbounded; here values live in int64_t and parsing refuses magnitudes
 * above 2^62, so no sum or product below can overflow. */
#include "ptable.h"
#include "sota_le.h"
#include "sota_text.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/md5.h>
#include <mbedtls/version.h>

#define TABLE_SECTOR      0x1000     /* the table's own flash sector */
#define NVS_RW_MIN_SIZE   0x3000     /* smaller nvs partitions must be readonly */
#define OTADATA_SIZE      0x2000
#define TYPE_BOOTLOADER   0x02
#define TYPE_PTABLE       0x03
#define SUB_PRIMARY       0x00
#define SUB_RECOVERY      0x02
#define SUB_UNDEFINED     0x06       /* data subtype of a row with an empty subtype */
#define SUB_DATA_COREDUMP 0x03
#define SUB_DATA_NVS      0x02
#define SUB_DATA_TEE_OTA  0x90
#define VALUE_LIMIT       ((int64_t)1 << 62)
#define MIB               0x100000

/* ------------------------------------------------------------------ small helpers */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sota_text_vput(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void warn(const pt_opts_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const pt_opts_t *o, const char *fmt, ...)
{
    if (!o->warn) {
        return;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    sota_text_vput(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

static void md5_of(const uint8_t *p, size_t n, uint8_t digest[16])
{
#if MBEDTLS_VERSION_MAJOR >= 3
    int rc = mbedtls_md5(p, n, digest);
#else
    int rc = mbedtls_md5_ret(p, n, digest);
#endif
    assert(rc == 0); /* software MD5 has no failure mode */
    (void)rc;
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

/* Python's // and % (floor division; the remainder takes the divisor's sign). */
static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return (a - floor_mod(a, b)) / b;
}

/* Python's '0x%x' % v (a negative value prints as "0x-1f"). */
static const char *hex64(char buf[24], int64_t v)
{
    if (v < 0) {
        snprintf(buf, 24, "0x-%" PRIx64, (uint64_t)0 - (uint64_t)v);
    } else {
        snprintf(buf, 24, "0x%" PRIx64, (uint64_t)v);
    }
    return buf;
}

/* A growable string; on allocation failure it sets oom and stops growing. */
typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf_t *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* ------------------------------------------------------------ names and numbers */

typedef struct {
    const char *name;
    uint8_t value;
} kw_t;

typedef struct {
    const kw_t *kw;
    size_t n;
} kwlist_t;

/* In gen_esp32part's dictionary order: a value's name is the first entry with it, and
 * "Known keywords" lists them in this order. */
static const kw_t s_types[] = {
    { "bootloader", TYPE_BOOTLOADER }, { "partition_table", TYPE_PTABLE },
    { "app", PT_TYPE_APP }, { "data", PT_TYPE_DATA },
};
static const kw_t s_app_subtypes[] = {
    { "factory", 0x00 }, { "test", 0x20 },
    { "ota_0", 0x10 }, { "ota_1", 0x11 }, { "ota_2", 0x12 }, { "ota_3", 0x13 },
    { "ota_4", 0x14 }, { "ota_5", 0x15 }, { "ota_6", 0x16 }, { "ota_7", 0x17 },
    { "ota_8", 0x18 }, { "ota_9", 0x19 }, { "ota_10", 0x1a }, { "ota_11", 0x1b },
    { "ota_12", 0x1c }, { "ota_13", 0x1d }, { "ota_14", 0x1e }, { "ota_15", 0x1f },
    { "tee_0", 0x30 }, { "tee_1", 0x31 },
};
static const kw_t s_data_subtypes[] = {
    { "ota", 0x00 }, { "phy", 0x01 }, { "nvs", 0x02 }, { "coredump", 0x03 },
    { "nvs_keys", 0x04 }, { "efuse", 0x05 }, { "undefined", 0x06 }, { "esphttpd", 0x80 },
    { "fat", 0x81 }, { "spiffs", 0x82 }, { "littlefs", 0x83 }, { "tee_ota", 0x90 },
};
static const kw_t s_bootloader_subtypes[] = {
    { "primary", 0x00 }, { "ota", 0x01 }, { "recovery", 0x02 },
};
static const kw_t s_ptable_subtypes[] = {
    { "primary", 0x00 }, { "ota", 0x01 },
};

#define KWLIST(a) ((kwlist_t){ a, sizeof a / sizeof a[0] })

static kwlist_t subtypes_of(int64_t type)
{
    switch (type) {
    case PT_TYPE_APP: return KWLIST(s_app_subtypes);
    case PT_TYPE_DATA: return KWLIST(s_data_subtypes);
    case TYPE_BOOTLOADER: return KWLIST(s_bootloader_subtypes);
    case TYPE_PTABLE: return KWLIST(s_ptable_subtypes);
    default: return (kwlist_t){ NULL, 0 };
    }
}

static const char *kw_name(kwlist_t l, int64_t v)
{
    for (size_t i = 0; i < l.n; i++) {
        if (l.kw[i].value == v) {
            return l.kw[i].name;
        }
    }
    return NULL;
}

const char *pt_type_name(uint8_t type)
{
    return kw_name(KWLIST(s_types), type);
}

const char *pt_subtype_name(uint8_t type, uint8_t subtype)
{
    return kw_name(subtypes_of(type), subtype);
}

/* ---------------------------------------------------------- Python's text rules */

/* Decodes one strict UTF-8 code point from s[0..n); returns its length, 0 if invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0) {
        return 0;
    }
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return 0;
    }
    *cp = v;
    return len;
}

/* Offset of the first invalid UTF-8 byte, or n. */
static size_t utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t l = utf8_next(s + i, n - i, &cp);
        if (l == 0) {
            return i;
        }
        i += l;
    }
    return n;
}

/* str.isspace() */
static bool py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* The line boundaries of str.splitlines() (\r\n counts as one). */
static bool py_linebreak(uint32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
           c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* A slice of valid UTF-8 text. */
typedef struct {
    const char *p;
    size_t n;
} span_t;

/* str.strip() */
static span_t py_strip(span_t s)
{
    const unsigned char *u = (const unsigned char *)s.p;
    size_t i = 0, start = s.n, end = 0;
    uint32_t cp;
    while (i < s.n) {
        size_t l = utf8_next(u + i, s.n - i, &cp);
        if (l == 0) {
            l = 1; /* not reached for checked text; treat the byte as a character */
            cp = u[i];
        }
        if (!py_space(cp)) {
            if (start == s.n) {
                start = i;
            }
            end = i + l;
        }
        i += l;
    }
    if (start == s.n) {
        return (span_t){ s.p, 0 };
    }
    return (span_t){ s.p + start, end - start };
}

static bool span_eq(span_t s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

/* int(s, 0): 0 ok, -1 not a number, -2 beyond +-2^62. Python also takes non-ASCII
 * digits; those are not numbers here. */
static int py_int0(span_t s, int64_t *out)
{
    s = py_strip(s);
    size_t i = 0;
    bool neg = false;
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-')) {
        neg = s.p[i] == '-';
        i++;
    }
    int base = 10;
    bool prefixed = false;
    if (i + 1 < s.n && s.p[i] == '0') {
        char x = (char)(s.p[i + 1] | 0x20);
        base = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 10;
        if (base != 10) {
            i += 2;
            prefixed = true;
        }
    }
    if (prefixed && i < s.n && s.p[i] == '_') {
        i++; /* "0x_1f" */
    }
    size_t first = i;
    int64_t v = 0;
    bool nonzero = false, big = false;
    while (i < s.n) {
        if (s.p[i] == '_' && i > first && i + 1 < s.n && digit_value(s.p[i + 1]) < base) {
            i++;
            continue;
        }
        int d = digit_value(s.p[i]);
        if (d >= base) {
            return -1;
        }
        nonzero |= d != 0;
        if (v > (VALUE_LIMIT - d) / base) {
            big = true;
        } else {
            v = v * base + d;
        }
        i++;
    }
    if (i == first) {
        return -1;
    }
    if (base == 10 && s.p[first] == '0' && nonzero) {
        return -1; /* "010": Python refuses leading zeros in decimal */
    }
    if (big) {
        return -2;
    }
    *out = neg ? -v : v;
    return 0;
}

/* int(x, 0), else a keyword (case-insensitive) when the field has keywords. */
static int parse_base(span_t v, kwlist_t kw, int64_t *out, char *err, size_t errlen)
{
    int rc = py_int0(v, out);
    if (rc == 0) {
        return 0;
    }
    if (rc == -2) {
        return fail(err, errlen, "Value '%.*s' is too large", (int)v.n, v.p);
    }
    if (kw.n == 0) {
        return fail(err, errlen, "Invalid field value %.*s", (int)v.n, v.p);
    }
    for (size_t i = 0; i < kw.n; i++) {
        const char *k = kw.kw[i].name;
        if (strlen(k) == v.n && strncasecmp(k, v.p, v.n) == 0) {
            *out = kw.kw[i].value;
            return 0;
        }
    }
    char known[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < kw.n && used < sizeof known; i++) {
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 kw.kw[i].name);
    }
    return fail(err, errlen, "Value '%.*s' is not valid. Known keywords: %s", (int)v.n, v.p, known);
}

/* gen_esp32part's parse_int: K/M suffixes (x1024, x1024*1024, repeatable), then
 * int(x, 0), then a keyword (case-insensitive) if the field has keywords. gen_esp32part
 * strips one suffix per recursion; this strips them all first, same result. */
static int parse_int(span_t v, kwlist_t kw, int64_t *out, char *err, size_t errlen)
{
    span_t base = v;
    while (base.n && ((base.p[base.n - 1] | 0x20) == 'k' || (base.p[base.n - 1] | 0x20) == 'm')) {
        base.n--;
    }
    int64_t x;
    if (parse_base(base, kw, &x, err, errlen)) {
        return -1;
    }
    for (size_t i = base.n; i < v.n; i++) {
        int64_t mult = (v.p[i] | 0x20) == 'k' ? 1024 : MIB;
        if (x > VALUE_LIMIT / mult || x < -VALUE_LIMIT / mult) {
            return fail(err, errlen, "Value '%.*s' is too large", (int)v.n, v.p);
        }
        x *= mult;
    }
    *out = x;
    return 0;
}

/* ------------------------------------------------------------------- table rows */

/* One partition while a table is checked: Python-sized numbers and the full name. */
typedef struct {
    char *name;
    int64_t type, subtype, offset, size;
    bool has_offset;
    uint32_t flags;      /* PT_FLAG_* and, from a binary, unknown bits */
    unsigned line_no;
} row_t;

typedef struct {
    row_t *v;
    size_t n, cap;
} rows_t;

static void rows_free(rows_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
    }
    free(r->v);
    *r = (rows_t){ 0 };
}

static row_t *rows_add(rows_t *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        row_t *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            return NULL;
        }
        r->v = v;
        r->cap = cap;
    }
    row_t *e = &r->v[r->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static int64_t offset_alignment(int64_t type)
{
    return type == PT_TYPE_APP ? 0x10000 : 0x1000;
}

static bool is_primary_bl_or_table(const row_t *e)
{
    return (e->type == TYPE_BOOTLOADER || e->type == TYPE_PTABLE) && e->subtype == SUB_PRIMARY;
}

static const char *const s_flag_names[] = { "encrypted", "readonly" }; /* bit 0, bit 1 */

/* A row as gen_esp32part's to_csv writes it (also used in messages). */
static void row_csv(sbuf_t *b, const char *name, int64_t type, int64_t subtype, int64_t offset,
                    int64_t size, uint32_t flags)
{
    char num[40];
    sb_str(b, name);
    sb_str(b, ",");
    const char *t = kw_name(KWLIST(s_types), type);
    snprintf(num, sizeof num, "%" PRId64, type);
    sb_str(b, t ? t : num);
    sb_str(b, ",");
    const char *s = kw_name(subtypes_of(type), subtype);
    snprintf(num, sizeof num, "%" PRId64, subtype);
    sb_str(b, s ? s : num);
    sb_str(b, ",");
    sb_str(b, hex64(num, offset));
    sb_str(b, ",");
    if (floor_mod(size, MIB) == 0) {
        snprintf(num, sizeof num, "%" PRId64 "M", floor_div(size, MIB));
    } else if (floor_mod(size, 0x400) == 0) {
        snprintf(num, sizeof num, "%" PRId64 "K", floor_div(size, 0x400));
    } else {
        hex64(num, size);
    }
    sb_str(b, num);
    sb_str(b, ",");
    bool any = false;
    for (unsigned bit = 0; bit < 2; bit++) {
        if (flags & (1u << bit)) {
            sb_str(b, any ? ":" : "");
            sb_str(b, s_flag_names[bit]);
            any = true;
        }
    }
}

static void row_csv_of(sbuf_t *b, const row_t *e)
{
    row_csv(b, e->name, e->type, e->subtype, e->offset, e->size, e->flags);
}

/* ------------------------------------------------------------------ CSV reading */

static pt_opts_t resolve_opts(const pt_opts_t *opts)
{
    pt_opts_t o = { 0 };
    if (opts) {
        o = *opts;
    }
    if (o.table_offset == 0) {
        o.table_offset = PT_OFFSET_DEFAULT;
    }
    return o;
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* os.path.expandvars: $NAME and ${NAME} replaced when NAME is set, else left as is. */
static void expand_vars(span_t line, sbuf_t *out)
{
    size_t i = 0;
    sb_add(out, "", 0);
    while (i < line.n) {
        const char *s = line.p;
        if (s[i] != '$') {
            size_t j = i;
            while (j < line.n && s[j] != '$') {
                j++;
            }
            sb_add(out, s + i, j - i);
            i = j;
            continue;
        }
        size_t name_at, name_len, end;
        if (i + 1 < line.n && s[i + 1] == '{') {
            const char *close = memchr(s + i + 2, '}', line.n - (i + 2));
            if (!close) {
                sb_add(out, "$", 1);
                i++;
                continue;
            }
            name_at = i + 2;
            name_len = (size_t)(close - (s + name_at));
            end = (size_t)(close - s) + 1;
        } else {
            size_t j = i + 1;
            while (j < line.n && is_word_char(s[j])) {
                j++;
            }
            if (j == i + 1) {
                sb_add(out, "$", 1);
                i++;
                continue;
            }
            name_at = i + 1;
            name_len = j - name_at;
            end = j;
        }
        const char *value = NULL;
        char *name = malloc(name_len + 1);
        if (!name) {
            out->oom = true;
            return;
        }
        memcpy(name, s + name_at, name_len);
        name[name_len] = '\0';
        if (name_len && !strchr(name, '=')) { /* os.environ has no such names */
            value = getenv(name);
        }
        free(name);
        if (value) {
            sb_str(out, value);
        } else {
            sb_add(out, s + i, end - i);
        }
        i = end;
    }
}

/* Field k of a line split at every ',' (empty when absent), stripped. */
static span_t field(span_t line, unsigned k)
{
    const char *p = line.p, *end = line.p + line.n;
    for (unsigned i = 0; i < k; i++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (!c) {
            return (span_t){ end, 0 };
        }
        p = c + 1;
    }
    const char *c = memchr(p, ',', (size_t)(end - p));
    return py_strip((span_t){ p, (size_t)((c ? c : end) - p) });
}

/* PartitionDefinition.from_csv for one stripped, non-comment line. */
static int parse_row(span_t line, const pt_opts_t *o, row_t *e, char *err, size_t errlen)
{
    span_t name = field(line, 0), type = field(line, 1), sub = field(line, 2),
           off = field(line, 3), size = field(line, 4), flags = field(line, 5);
    kwlist_t none = { NULL, 0 };

    e->name = malloc(name.n + 1);
    if (!e->name) {
        return fail(err, errlen, "out of memory");
    }
    memcpy(e->name, name.p, name.n);
    e->name[name.n] = '\0';

    if (type.n == 0) {
        return fail(err, errlen, "Field 'type' can't be left empty.");
    }
    if (parse_int(type, KWLIST(s_types), &e->type, err, errlen)) {
        return -1;
    }
    if (sub.n == 0) {
        if (e->type == PT_TYPE_APP) {
            return fail(err, errlen, "App partition cannot have an empty subtype");
        }
        e->subtype = SUB_UNDEFINED;
    } else if (parse_int(sub, subtypes_of(e->type), &e->subtype, err, errlen)) {
        return -1;
    }

    /* offset: fixed for the primary bootloader and table, and the recovery bootloader */
    if (e->type == TYPE_BOOTLOADER && e->subtype == SUB_PRIMARY) {
        if (!o->has_bootloader_offset) {
            return fail(err, errlen, "Primary bootloader offset is not defined. Please use "
                        "--primary-bootloader-offset");
        }
        e->offset = o->bootloader_offset;
        e->has_offset = true;
    } else if (e->type == TYPE_BOOTLOADER && e->subtype == SUB_RECOVERY) {
        if (!o->has_recovery_offset) {
            return fail(err, errlen, "Recovery bootloader offset is not defined. Please use "
                        "--recovery-bootloader-offset");
        }
        e->offset = o->recovery_offset;
        e->has_offset = true;
    } else if (e->type == TYPE_PTABLE && e->subtype == SUB_PRIMARY) {
        e->offset = o->table_offset;
        e->has_offset = true;
    } else if (off.n) {
        if (parse_int(off, none, &e->offset, err, errlen)) {
            return -1;
        }
        e->has_offset = true;
    }

    /* size: fixed for every bootloader row and every table row */
    if (e->type == TYPE_BOOTLOADER) {
        if (!o->has_bootloader_offset) {
            return fail(err, errlen, "Primary bootloader offset is not defined. Please use "
                        "--primary-bootloader-offset");
        }
        e->size = (int64_t)o->table_offset - o->bootloader_offset;
    } else if (e->type == TYPE_PTABLE) {
        e->size = TABLE_SECTOR;
    } else if (size.n == 0) {
        return fail(err, errlen, "Size field can't be empty");
    } else if (parse_int(size, none, &e->size, err, errlen)) {
        return -1;
    }

    /* flags: ':'-separated names; empty names are ignored */
    const char *p = flags.p, *end = flags.p + flags.n;
    while (p <= end) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        span_t f = { p, (size_t)((c ? c : end) - p) };
        if (span_eq(f, "encrypted")) {
            e->flags |= PT_FLAG_ENCRYPTED;
        } else if (span_eq(f, "readonly")) {
            e->flags |= PT_FLAG_READONLY;
        } else if (f.n) {
            return fail(err, errlen, "CSV flag column contains unknown flag '%.*s'", (int)f.n, f.p);
        }
        if (!c) {
            break;
        }
        p = c + 1;
    }
    return 0;
}

/* PartitionTable.from_csv's reading loop. */
static int parse_lines(const char *csv, const pt_opts_t *o, rows_t *rows, char *err, size_t errlen)
{
    const unsigned char *u = (const unsigned char *)csv;
    size_t n = strlen(csv);
    size_t bad = utf8_check(u, n);
    if (bad != n) {
        return fail(err, errlen, "CSV is not valid UTF-8 text (byte 0x%02x at offset %zu); save "
                    "it as UTF-8", u[bad], bad);
    }
    size_t i = 0;
    unsigned line_no = 0;
    sbuf_t buf = { 0 };
    int rc = 0;
    while (i < n && rc == 0) {
        /* one line up to (not including) its break */
        size_t start = i, stop = n;
        uint32_t cp;
        while (i < n) {
            size_t l = utf8_next(u + i, n - i, &cp);
            if (py_linebreak(cp)) {
                stop = i;
                i += l;
                if (cp == '\r' && i < n && u[i] == '\n') {
                    i++;
                }
                break;
            }
            i += l;
        }
        line_no++;
        buf.n = 0;
        expand_vars((span_t){ csv + start, stop - start }, &buf);
        if (buf.oom) {
            rc = fail(err, errlen, "out of memory");
            break;
        }
        if (buf.p[0] == '$' && is_word_char(buf.p[1]) && !(buf.p[1] >= '0' && buf.p[1] <= '9')) {
            size_t l = 1;
            while (is_word_char(buf.p[l])) {
                l++;
            }
            rc = fail(err, errlen, "Error at line %u: unknown variable '%.*s' (set it in the "
                      "environment or write the value)", line_no, (int)(l - 1), buf.p + 1);
            break;
        }
        span_t line = py_strip((span_t){ buf.p, buf.n });
        if (line.n == 0 || line.p[0] == '#') {
            continue;
        }
        row_t *e = rows_add(rows);
        if (!e) {
            rc = fail(err, errlen, "out of memory");
            break;
        }
        e->line_no = line_no;
        char why[600];
        if (parse_row(line, o, e, why, sizeof why)) {
            rc = fail(err, errlen, "Error at line %u: %s", line_no, why);
        }
    }
    free(buf.p);
    return rc;
}

static bool rows_equal(const row_t *a, const row_t *b)
{
    return !strcmp(a->name, b->name) && a->type == b->type && a->subtype == b->subtype &&
           a->has_offset == b->has_offset && (!a->has_offset || a->offset == b->offset) &&
           a->size == b->size;
}

/* Implicit offsets, negative sizes, and rows that start before the previous one ends. */
static int fill_offsets(rows_t *rows, const pt_opts_t *o, char *err, size_t errlen)
{
    int64_t last_end = (int64_t)o->table_offset + TABLE_SECTOR;
    for (size_t i = 0; i < rows->n; i++) {
        row_t *e = &rows->v[i];
        if (is_primary_bl_or_table(e)) {
            continue;
        }
        char h1[24], h2[24], h3[24];
        if (e->has_offset && e->offset < last_end) {
            if (i == 0 || rows_equal(e, &rows->v[0])) {
                return fail(err, errlen, "CSV Error at line %u: Partitions overlap. Partition sets "
                            "offset %s. But partition table occupies the whole sector 0x%x. Use a "
                            "free offset %s or higher.", e->line_no, hex64(h1, e->offset),
                            (unsigned)o->table_offset, hex64(h2, last_end));
            }
            return fail(err, errlen, "CSV Error at line %u: Partitions overlap. Partition sets "
                        "offset %s. Previous partition ends %s", e->line_no, hex64(h1, e->offset),
                        hex64(h3, last_end));
        }
        if (!e->has_offset) {
            int64_t pad = offset_alignment(e->type);
            if (floor_mod(last_end, pad) != 0) {
                last_end += pad - floor_mod(last_end, pad);
            }
            e->offset = last_end;
            e->has_offset = true;
        }
        if (e->size < 0) {
            e->size = -e->size - e->offset;
        }
        last_end = e->offset + e->size;
    }
    return 0;
}

/* ----------------------------------------------------------- the table's checks */

typedef struct {
    int64_t key;
    const char *name;
    size_t idx;
} sort_item_t;

static int by_key(const void *a, const void *b)
{
    const sort_item_t *x = a, *y = b;
    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_name(const void *a, const void *b)
{
    const sort_item_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) {
        return c;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool is_any_subtype_name(const char *name)
{
    const kwlist_t lists[] = { KWLIST(s_bootloader_subtypes), KWLIST(s_ptable_subtypes),
                               KWLIST(s_app_subtypes), KWLIST(s_data_subtypes) };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        for (size_t i = 0; i < lists[l].n; i++) {
            if (!strcmp(lists[l].kw[i].name, name)) {
                return true;
            }
        }
    }
    return false;
}

/* PartitionDefinition.verify */
static int verify_row(const row_t *e, const pt_opts_t *o, char *err, size_t errlen)
{
    char h1[24];
    int64_t align = offset_alignment(e->type);
    if (floor_mod(e->offset, align)) {
        return fail(err, errlen, "Partition %s invalid: Offset %s is not aligned to 0x%x", e->name,
                    hex64(h1, e->offset), (unsigned)align);
    }
    if (e->type == PT_TYPE_APP) {
        int64_t salign = o->secure_v1 ? 0x10000 : 0x1000;
        if (floor_mod(e->size, salign)) {
            return fail(err, errlen, "Partition %s invalid: Size %s is not aligned to 0x%x",
                        e->name, hex64(h1, e->size), (unsigned)salign);
        }
    }
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++) {
        if (!strcmp(e->name, s_types[i].name) && s_types[i].value != e->type) {
            warn(o, "WARNING: Partition has name '%s' which is a partition type, but does not "
                 "match this partition's type (0x%" PRIx64 "). Mistake in partition table?",
                 e->name, e->type);
        }
    }
    if (is_any_subtype_name(e->name)) {
        kwlist_t own = subtypes_of(e->type);
        bool match = false;
        for (size_t i = 0; i < own.n; i++) {
            match |= !strcmp(own.kw[i].name, e->name) && own.kw[i].value == e->subtype;
        }
        if (!match) {
            warn(o, "WARNING: Partition has name '%s' which is a partition subtype, but this "
                 "partition has non-matching type 0x%" PRIx64 " and subtype 0x%" PRIx64 ". Mistake "
                 "in partition table?", e->name, e->type, e->subtype);
        }
    }
    if (e->type == PT_TYPE_DATA && (e->subtype == PT_SUBTYPE_DATA_OTA || e->subtype == SUB_DATA_COREDUMP) &&
        (e->flags & PT_FLAG_READONLY)) {
        return fail(err, errlen, "Partition %s invalid: '%s' partition of type %" PRId64 " and "
                    "subtype %" PRId64 " is always read-write and cannot be read-only (remove "
                    "the readonly flag)", e->name, e->name, e->type, e->subtype);
    }
    if (e->type == PT_TYPE_DATA && e->subtype == SUB_DATA_NVS && e->size < NVS_RW_MIN_SIZE &&
        !(e->flags & PT_FLAG_READONLY)) {
        return fail(err, errlen, "Partition %s invalid: '%s' partition of type %" PRId64 " and "
                    "subtype %" PRId64 " of this size (%s) must be flagged as 'readonly' (the "
                    "size of read/write NVS has to be at least 0x%x)", e->name, e->name, e->type,
                    e->subtype, hex64(h1, e->size), NVS_RW_MIN_SIZE);
    }
    return 0;
}

static int check_unique_names(const rows_t *rows, char *err, size_t errlen)
{
    if (rows->n < 2) {
        return 0;
    }
    sort_item_t *it = malloc(rows->n * sizeof *it);
    if (!it) {
        return fail(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < rows->n; i++) {
        it[i] = (sort_item_t){ 0, rows->v[i].name, i };
    }
    qsort(it, rows->n, sizeof *it, by_name);
    sbuf_t list = { 0 };
    for (size_t i = 0; i < rows->n; i++) {
        bool dup = (i > 0 && !strcmp(it[i].name, it[i - 1].name)) ||
                   (i + 1 < rows->n && !strcmp(it[i].name, it[i + 1].name));
        if (dup) {
            sb_str(&list, "\n  ");
            row_csv_of(&list, &rows->v[it[i].idx]);
        }
    }
    free(it);
    int rc = 0;
    if (list.n) {
        rc = fail(err, errlen, "Partition names must be unique; these partitions have the same "
                  "name:%s", list.oom ? " (out of memory)" : list.p);
    }
    free(list.p);
    return rc;
}

static int check_overlaps(const rows_t *rows, const pt_opts_t *o, char *err, size_t errlen)
{
    if (rows->n == 0) {
        return 0;
    }
    sort_item_t *it = malloc(rows->n * sizeof *it);
    if (!it) {
        return fail(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < rows->n; i++) {
        it[i] = (sort_item_t){ rows->v[i].offset, NULL, i };
    }
    qsort(it, rows->n, sizeof *it, by_key);
    int64_t table_end = (int64_t)o->table_offset + TABLE_SECTOR;
    const row_t *last = NULL;
    int rc = 0;
    char h1[24], h2[24], h3[24];
    for (size_t i = 0; i < rows->n && rc == 0; i++) {
        const row_t *p = &rows->v[it[i].idx];
        if (p->offset < table_end && !is_primary_bl_or_table(p)) {
            rc = fail(err, errlen, "Partition offset %s is below %s (partition %s: the partition "
                      "table occupies 0x%x-%s)", hex64(h1, p->offset), hex64(h2, table_end),
                      p->name, (unsigned)o->table_offset, hex64(h3, table_end - 1));
        } else if (last && p->offset < last->offset + last->size) {
            rc = fail(err, errlen, "Partition at %s overlaps %s-%s (partitions %s and %s)",
                      hex64(h1, p->offset), hex64(h2, last->offset),
                      hex64(h3, last->offset + last->size - 1), last->name, p->name);
        }
        last = p;
    }
    free(it);
    return rc;
}

static int check_otadata(const rows_t *rows, int64_t subtype, const char *what, char *err,
                         size_t errlen)
{
    const row_t *found = NULL;
    sbuf_t list = { 0 };
    size_t count = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const row_t *p = &rows->v[i];
        if (p->type == PT_TYPE_DATA && p->subtype == subtype) {
            found = p;
            count++;
            sb_str(&list, "\n  ");
            row_csv_of(&list, p);
        }
    }
    int rc = 0;
    if (count > 1) {
        rc = fail(err, errlen, "Found multiple %s partitions. Only one partition can be defined "
                  "with type=\"data\"(1) and subtype=%s:%s", what,
                  subtype == PT_SUBTYPE_DATA_OTA ? "\"ota\"(0)" : "\"tee_ota\"(0x90)",
                  list.oom ? "" : list.p);
    } else if (count == 1 && found->size != OTADATA_SIZE) {
        char h1[24];
        rc = fail(err, errlen, "%s partition must have size = 0x2000 (partition %s has %s:%s)",
                  what, found->name, hex64(h1, found->size), list.oom ? "" : list.p);
    }
    free(list.p);
    return rc;
}

/* PartitionTable.verify */
static int verify_rows(const rows_t *rows, const pt_opts_t *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < rows->n; i++) {
        if (verify_row(&rows->v[i], o, err, errlen)) {
            return -1;
        }
    }
    if (check_unique_names(rows, err, errlen) || check_overlaps(rows, o, err, errlen) ||
        check_otadata(rows, PT_SUBTYPE_DATA_OTA, "otadata", err, errlen) ||
        check_otadata(rows, SUB_DATA_TEE_OTA, "TEE otadata", err, errlen)) {
        return -1;
    }
    return 0;
}

/* PartitionTable.verify_size_fits: the end of the row with the highest offset (the first
 * such row in table order). */
static int check_flash_size(const rows_t *rows, const pt_opts_t *o, char *err, size_t errlen)
{
    const uint32_t flash_size = o->flash_size;
    if (flash_size == 0 || rows->n == 0) {
        return 0;
    }
    const row_t *last = &rows->v[0];
    for (size_t i = 1; i < rows->n; i++) {
        if (rows->v[i].offset > last->offset) {
            last = &rows->v[i];
        }
    }
    int64_t end = last->offset + last->size;
    if ((int64_t)flash_size >= end) {
        /* gen_esp32part looks at that one row only; a row at a lower offset may still
         * run past the flash, and then the bootloader refuses the table: say so. */
        for (size_t i = 0; i < rows->n; i++) {
            const row_t *r = &rows->v[i];
            if ((int64_t)r->offset + r->size > (int64_t)flash_size) {
                warn(o, "partition '%s' ends at 0x%" PRIx64 ", past the end of the 0x%x-byte flash: "
                     "gen_esp32part accepts this table, but the bootloader will refuse it and "
                     "nothing will boot", r->name, (int64_t)r->offset + r->size, (unsigned)flash_size);
            }
        }
        return 0;
    }
    char fs[32];
    if (flash_size % MIB == 0) {
        snprintf(fs, sizeof fs, "%uMB", (unsigned)(flash_size / MIB));
    } else {
        snprintf(fs, sizeof fs, "0x%x bytes", (unsigned)flash_size);
    }
    return fail(err, errlen, "Partitions tables occupies %.1fMB of flash (%" PRId64 " bytes) "
                "which does not fit in configured flash size %s. Change the flash size in "
                "menuconfig under the 'Serial Flasher Config' menu (sota: --flash-size), or "
                "make the partitions smaller.", (double)end / MIB, end, fs);
}

static int check_count(size_t count, bool md5, char *err, size_t errlen)
{
    size_t len = count * PT_ENTRY_LEN + (md5 ? PT_ENTRY_LEN : 0);
    if (len >= PT_MAX_LEN) {
        return fail(err, errlen, "Binary partition table length (%zu) longer than max (%u "
                    "partitions: at most %u%s)", len, (unsigned)count,
                    md5 ? PT_MAX_ENTRIES - 1 : PT_MAX_ENTRIES,
                    md5 ? " with the MD5 row, one more with --disable-md5sum" : "");
    }
    return 0;
}

/* What only the binary can't hold: 8-bit types, 32-bit offsets and sizes, the count. */
static int rows_to_table(const rows_t *rows, const pt_opts_t *o, ptable_t *out, char *err,
                         size_t errlen)
{
    char h1[24];
    for (size_t i = 0; i < rows->n; i++) {
        const row_t *e = &rows->v[i];
        if (e->type < 0 || e->type > 0xFF) {
            return fail(err, errlen, "Partition %s: type %" PRId64 " does not fit in a byte",
                        e->name, e->type);
        }
        if (e->subtype < 0 || e->subtype > 0xFF) {
            return fail(err, errlen, "Partition %s: subtype %" PRId64 " does not fit in a byte",
                        e->name, e->subtype);
        }
        if (e->offset < 0 || e->offset > UINT32_MAX) {
            return fail(err, errlen, "Partition %s: offset %s does not fit in 32 bits", e->name,
                        hex64(h1, e->offset));
        }
        if (e->size < 0 || e->size > UINT32_MAX) {
            return fail(err, errlen, "Partition %s: size %s does not fit in 32 bits", e->name,
                        hex64(h1, e->size));
        }
    }
    if (check_count(rows->n, !o->no_md5, err, errlen)) {
        return -1;
    }
    for (size_t i = 0; i < rows->n; i++) {
        const row_t *e = &rows->v[i];
        pt_entry_t *d = &out->e[i];
        size_t len = strlen(e->name);
        if (len > 16) {
            warn(o, "WARNING: partition name '%s' is longer than 16 bytes; the table keeps "
                 "'%.16s'", e->name, e->name);
            len = 16;
        }
        memcpy(d->label, e->name, len);
        d->label[len] = '\0';
        d->type = (uint8_t)e->type;
        d->subtype = (uint8_t)e->subtype;
        d->offset = (uint32_t)e->offset;
        d->size = (uint32_t)e->size;
        d->flags = e->flags;
    }
    out->count = (unsigned)rows->n;
    out->has_md5 = !o->no_md5;
    return 0;
}

int pt_from_csv(const char *csv, const pt_opts_t *opts, ptable_t *out, char *err, size_t errlen)
{
    assert(csv && out);
    pt_opts_t o = resolve_opts(opts);
    memset(out, 0, sizeof *out);
    if (o.has_bootloader_offset && o.bootloader_offset >= o.table_offset) {
        return fail(err, errlen, "Unsupported configuration. Primary bootloader must be below "
                    "partition table. Check --primary-bootloader-offset=0x%x and --offset=0x%x",
                    (unsigned)o.bootloader_offset, (unsigned)o.table_offset);
    }
    rows_t rows = { 0 };
    int rc = parse_lines(csv, &o, &rows, err, errlen);
    if (rc == 0) {
        rc = fill_offsets(&rows, &o, err, errlen);
    }
    if (rc == 0) {
        rc = verify_rows(&rows, &o, err, errlen);
    }
    if (rc == 0) {
        rc = check_flash_size(&rows, &o, err, errlen);
    }
    if (rc == 0) {
        rc = rows_to_table(&rows, &o, out, err, errlen);
    }
    rows_free(&rows);
    if (rc) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int pt_check(const ptable_t *t, const pt_opts_t *opts, char *err, size_t errlen)
{
    assert(t && t->count <= PT_MAX_ENTRIES);
    pt_opts_t o = resolve_opts(opts);
    rows_t rows = { 0 };
    int rc = 0;
    for (unsigned i = 0; i < t->count && rc == 0; i++) {
        const pt_entry_t *s = &t->e[i];
        row_t *e = rows_add(&rows);
        char *name = e ? malloc(strnlen(s->label, 16) + 1) : NULL;
        if (!name) {
            rc = fail(err, errlen, "out of memory");
            break;
        }
        memcpy(name, s->label, strnlen(s->label, 16));
        name[strnlen(s->label, 16)] = '\0';
        *e = (row_t){ name, s->type, s->subtype, s->offset, s->size, true, s->flags, 0 };
    }
    if (rc == 0) {
        rc = verify_rows(&rows, &o, err, errlen);
    }
    if (rc == 0) {
        rc = check_flash_size(&rows, &o, err, errlen);
    }
    rows_free(&rows);
    return rc;
}

/* --------------------------------------------------------------------- binary */

int pt_to_bin(const ptable_t *t, const pt_opts_t *opts, uint8_t out[PT_MAX_LEN], char *err,
              size_t errlen)
{
    assert(t && out);
    pt_opts_t o = resolve_opts(opts);
    if (check_count(t->count, !o.no_md5, err, errlen)) {
        return -1;
    }
    memset(out, 0xFF, PT_MAX_LEN);
    for (unsigned i = 0; i < t->count; i++) {
        const pt_entry_t *e = &t->e[i];
        uint8_t *p = out + i * PT_ENTRY_LEN;
        p[0] = PT_MAGIC & 0xFF;
        p[1] = PT_MAGIC >> 8;
        p[2] = e->type;
        p[3] = e->subtype;
        sota_wr32(p + 4, e->offset);
        sota_wr32(p + 8, e->size);
        memset(p + 12, 0, 16);
        memcpy(p + 12, e->label, strnlen(e->label, 16));
        sota_wr32(p + 28, e->flags);
    }
    if (!o.no_md5) {
        uint8_t *p = out + t->count * PT_ENTRY_LEN;
        p[0] = PT_MD5_MAGIC & 0xFF;
        p[1] = PT_MD5_MAGIC >> 8;
        md5_of(out, t->count * PT_ENTRY_LEN, p + 16);
    }
    return 0;
}

/* repr() of a bytes object, as Python prints the magic in its message. */
static void py_bytes_repr(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    bool has_sq = memchr(p, '\'', n) != NULL, has_dq = memchr(p, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    size_t k = (size_t)snprintf(out, outlen, "b%c", q);
    for (size_t i = 0; i < n && k < outlen; i++) {
        uint8_t c = p[i];
        if (c == q || c == '\\') {
            k += (size_t)snprintf(out + k, outlen - k, "\\%c", c);
        } else if (c == '\t' || c == '\n' || c == '\r') {
            k += (size_t)snprintf(out + k, outlen - k, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
        } else if (c >= 0x20 && c < 0x7F) {
            k += (size_t)snprintf(out + k, outlen - k, "%c", c);
        } else {
            k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", c);
        }
    }
    if (k < outlen) {
        snprintf(out + k, outlen - k, "%c", q);
    }
}

int pt_from_bin_ex(const uint8_t *bin, size_t len, const pt_opts_t *opts, ptable_t *out,
                   char *err, size_t errlen)
{
    assert((bin || len == 0) && out);
    pt_opts_t o = resolve_opts(opts);
    memset(out, 0, sizeof *out);
    uint8_t hashed[(PT_MAX_ENTRIES + 1) * PT_ENTRY_LEN]; /* the entry rows, for the MD5 */
    size_t nhashed = 0;
    int rc = -1;
    for (size_t at = 0; at < len; at += PT_ENTRY_LEN) {
        const uint8_t *row = bin + at;
        if (len - at < PT_ENTRY_LEN) {
            fail(err, errlen, "Partition table length must be a multiple of 32 bytes (%zu bytes, "
                 "and no end-of-table marker before the last %zu)", len, len - at);
            goto out;
        }
        bool end = true;
        for (size_t i = 0; i < PT_ENTRY_LEN; i++) {
            end &= row[i] == 0xFF;
        }
        if (end) {
            return 0;
        }
        if (!o.no_md5 && row[0] == (PT_MD5_MAGIC & 0xFF) && row[1] == (PT_MD5_MAGIC >> 8)) {
            uint8_t digest[16];
            md5_of(hashed, nhashed, digest);
            if (memcmp(digest, row + 16, 16) != 0) {
                char want[33], got[33];
                hex_of(digest, 16, want);
                hex_of(row + 16, 16, got);
                fail(err, errlen, "MD5 checksums don't match! (computed: 0x%s, parsed: 0x%s): "
                     "the table was changed after it was written, or is damaged", want, got);
                goto out;
            }
            out->has_md5 = true;
            continue;
        }
        if (row[0] != (PT_MAGIC & 0xFF) || row[1] != (PT_MAGIC >> 8)) {
            char repr[32];
            py_bytes_repr(row, 2, repr, sizeof repr);
            fail(err, errlen, "Invalid magic bytes (%s) for partition definition (row %zu at "
                 "byte 0x%zx)", repr, at / PT_ENTRY_LEN, at);
            goto out;
        }
        if (out->count == PT_MAX_ENTRIES) {
            /* gen_esp32part reads on; say what it would say if no end marker follows */
            bool marker = false;
            for (size_t next = at + PT_ENTRY_LEN; next + PT_ENTRY_LEN <= len && !marker;
                 next += PT_ENTRY_LEN) {
                marker = true;
                for (size_t i = 0; i < PT_ENTRY_LEN; i++) {
                    marker &= bin[next + i] == 0xFF;
                }
            }
            if (marker) {
                fail(err, errlen, "More than %u partition entries: not a table gen_esp32part "
                     "can write or the bootloader accepts", PT_MAX_ENTRIES);
            } else {
                fail(err, errlen, "Partition table is missing an end-of-table marker (no 32 "
                     "bytes of 0xFF after %u entries)", PT_MAX_ENTRIES);
            }
            goto out;
        }
        memcpy(hashed + nhashed, row, PT_ENTRY_LEN);
        nhashed += PT_ENTRY_LEN;
        pt_entry_t *e = &out->e[out->count];
        size_t lablen = strnlen((const char *)row + 12, 16);
        memcpy(e->label, row + 12, lablen);
        e->label[lablen] = '\0';
        if (utf8_check((const unsigned char *)e->label, lablen) != lablen) {
            fail(err, errlen, "Partition %zu has a label that is not UTF-8 text", at / PT_ENTRY_LEN);
            goto out;
        }
        e->type = row[2];
        e->subtype = row[3];
        e->offset = sota_rd32(row + 4);
        e->size = sota_rd32(row + 8);
        e->flags = sota_rd32(row + 28);
        if (e->flags & ~(uint32_t)(PT_FLAG_ENCRYPTED | PT_FLAG_READONLY)) {
            warn(&o, "WARNING: Partition definition had unknown flag(s) 0x%08x. Newer binary "
                 "format?", (unsigned)(e->flags & ~(uint32_t)(PT_FLAG_ENCRYPTED | PT_FLAG_READONLY)));
        }
        out->count++;
    }
    fail(err, errlen, "Partition table is missing an end-of-table marker (32 bytes of 0xFF "
         "after the last entry)");
out:
    memset(out, 0, sizeof *out);
    return rc;
}

int pt_from_bin(const uint8_t *bin, size_t len, ptable_t *out, char *err, size_t errlen)
{
    return pt_from_bin_ex(bin, len, NULL, out, err, errlen);
}

/* --------------------------------------------------------------------- CSV out */

int pt_to_csv(const ptable_t *t, char *out, size_t outlen)
{
    assert(t && out && t->count <= PT_MAX_ENTRIES);
    sbuf_t b = { 0 };
    sb_str(&b, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (unsigned i = 0; i < t->count; i++) {
        const pt_entry_t *e = &t->e[i];
        char label[17];
        size_t l = strnlen(e->label, 16);
        memcpy(label, e->label, l);
        label[l] = '\0';
        row_csv(&b, label, e->type, e->subtype, e->offset, e->size, e->flags);
        sb_str(&b, "\n");
    }
    int rc = -1;
    if (!b.oom && b.n < outlen) {
        memcpy(out, b.p, b.n + 1);
        rc = (int)b.n;
    }
    free(b.p);
    return rc;
}

/* --------------------------------------------------------- the bootloader's view */

int pt_verify_like_bootloader(const uint8_t *bin, size_t len, uint32_t flash_size,
                              ptable_t *out, char *err, size_t errlen)
{
    assert(bin || len == 0);
    ptable_t local;
    ptable_t *t = out ? out : &local;
    memset(t, 0, sizeof *t);
    const unsigned slots = PT_MAX_LEN / PT_ENTRY_LEN;
    for (unsigned n = 0; n < slots; n++) {
        if ((size_t)(n + 1) * PT_ENTRY_LEN > len) {
            fail(err, errlen, "partition table truncated: slot %u is beyond the %zu bytes given",
                 n, len);
            goto bad;
        }
        const uint8_t *p = bin + (size_t)n * PT_ENTRY_LEN;
        uint16_t magic = (uint16_t)(p[0] | p[1] << 8);
        if (magic == PT_MAGIC) {
            uint32_t off = sota_rd32(p + 4), size = sota_rd32(p + 8);
            if (flash_size && (off > flash_size || (uint32_t)(off + size) > flash_size)) {
                fail(err, errlen, "partition %u invalid - offset 0x%x size 0x%x exceeds flash "
                     "chip size 0x%x", n, (unsigned)off, (unsigned)size, (unsigned)flash_size);
                goto bad;
            }
            if (t->count == PT_MAX_ENTRIES) {
                assert(n == slots - 1); /* the 96th slot: no room is left for an end */
                continue;
            }
            pt_entry_t *e = &t->e[t->count++];
            size_t l = strnlen((const char *)p + 12, 16);
            memcpy(e->label, p + 12, l);
            e->label[l] = '\0';
            e->type = p[2];
            e->subtype = p[3];
            e->offset = off;
            e->size = size;
            e->flags = sota_rd32(p + 28);
        } else if (magic == PT_MD5_MAGIC) {
            if (t->has_md5) {
                fail(err, errlen, "Only one MD5 checksum is allowed (second one in slot %u)", n);
                goto bad;
            }
            uint8_t digest[16];
            md5_of(bin, (size_t)n * PT_ENTRY_LEN, digest);
            if (memcmp(digest, p + 16, 16) != 0) {
                fail(err, errlen, "Incorrect MD5 checksum (slot %u)", n);
                goto bad;
            }
            t->has_md5 = true;
        } else if (n != 0 && magic == 0xFFFF && p[2] == 0xFF && p[3] == 0xFF) {
            return 0;
        } else {
            fail(err, errlen, "partition %u invalid magic number 0x%x%s", n, (unsigned)magic,
                 n == 0 && magic == 0xFFFF ? " (empty partition table)" : "");
            goto bad;
        }
    }
    fail(err, errlen, "partition table has no terminating entry, not valid");
bad:
    memset(t, 0, sizeof *t);
    return -1;
}

/* ---------------------------------------------------------------------- look-ups */

const pt_entry_t *pt_find(const ptable_t *t, uint8_t type, uint8_t subtype)
{
    assert(t);
    for (unsigned i = 0; i < t->count; i++) {
        if (t->e[i].type == type && t->e[i].subtype == subtype) {
            return &t->e[i];
        }
    }
    return NULL;
}

const pt_entry_t *pt_find_label(const ptable_t *t, const char *label)
{
    assert(t && label);
    for (unsigned i = 0; i < t->count; i++) {
        if (strncmp(t->e[i].label, label, sizeof t->e[i].label) == 0) {
            return &t->e[i];
        }
    }
    return NULL;
}
