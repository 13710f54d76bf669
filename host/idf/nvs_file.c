/* Host port of NVS: the store's text file (format in sota_host_nvs.h), read strictly and
 * written atomically. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvs_internal.h"
#include "sota_text.h"

#define FORMAT_MAGIC "SOTA-NVS"
#define FORMAT_VERSION 1
/* Far above what a full partition needs (20000-byte blob in hex): anything larger is
 * not our file. */
#define FILE_MAX (1024 * 1024)

/* --- writing --- */

static void put_escaped(FILE *f, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '%') {
            fprintf(f, "%%%02X", s[i]);
        } else {
            fputc(s[i], f);
        }
    }
}

static void put_name(FILE *f, const char *name)
{
    fputc(':', f);
    put_escaped(f, (const uint8_t *)name, strlen(name));
}

static void put_item(FILE *f, const nvs_item_t *it)
{
    fputs("E ", f);
    put_name(f, it->ns);
    fputc(' ', f);
    put_name(f, it->key);
    fprintf(f, " %s =", nvs_type_name(it->type));
    switch (it->type) {
    case NVS_TYPE_I8:
    case NVS_TYPE_I16:
    case NVS_TYPE_I32:
    case NVS_TYPE_I64:
        fprintf(f, "%" PRId64, (int64_t)it->num);
        break;
    case NVS_TYPE_STR:
        put_escaped(f, it->data, it->len - 1);   /* without the NUL */
        break;
    case NVS_TYPE_BLOB:
        for (size_t i = 0; i < it->len; i++) {
            fprintf(f, "%02x", it->data[i]);
        }
        break;
    default:
        fprintf(f, "%" PRIu64, it->num);
        break;
    }
    fputc('\n', f);
}

esp_err_t nvs_file_save(const char *path, const nvs_store_t *st, char *why, size_t why_len)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(why, why_len, "path too long: '%s'", path);
        return ESP_FAIL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(why, why_len, "cannot create '%s': %s", tmp, strerror(errno));
        return ESP_FAIL;
    }
    fprintf(f, "%s %d\n", FORMAT_MAGIC, FORMAT_VERSION);
    for (size_t i = 0; i < st->ns_count; i++) {
        fputs("N ", f);
        put_name(f, st->ns[i]);
        fputc('\n', f);
    }
    for (const nvs_item_t *it = st->items; it; it = it->next) {
        put_item(f, it);
    }
    int failed = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved_errno = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        saved_errno = errno;
    }
    if (failed) {
        snprintf(why, why_len, "cannot write '%s': %s", tmp, strerror(saved_errno));
        unlink(tmp);
        return ESP_FAIL;
    }
    if (rename(tmp, path) != 0) {
        snprintf(why, why_len, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        return ESP_FAIL;
    }
    return ESP_OK;
}

/* --- reading --- */

typedef struct {
    char *why;
    size_t why_len;
    int line;
} parse_t;

static esp_err_t bad(parse_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static esp_err_t bad(parse_t *p, const char *fmt, ...)
{
    sota_text_put(p->why, p->why_len, "line %d: ", p->line);
    va_list ap;
    va_start(ap, fmt);
    sota_text_vadd(p->why, p->why_len, fmt, ap);
    va_end(ap);
    return ESP_ERR_NVS_NO_FREE_PAGES;
}

/* Undo put_escaped in place; returns the decoded length, or -1 if malformed. */
static long unescape(char *s)
{
    size_t out = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = sota_text_hex(s[i + 1]);
            int lo = hi < 0 ? -1 : sota_text_hex(s[i + 2]);
            if (lo < 0) {
                return -1;
            }
            s[out++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            return -1;
        } else {
            s[out++] = (char)c;
        }
    }
    s[out] = '\0';
    return (long)out;
}

/* A ":name" field: decoded in place into *name. */
static esp_err_t parse_name(parse_t *p, char *field, const char **name)
{
    if (!field || field[0] != ':') {
        return bad(p, "expected a ':name' field");
    }
    long n = unescape(field + 1);
    if (n < 0) {
        return bad(p, "bad %%-escape in a name");
    }
    if ((size_t)n != strlen(field + 1)) {
        return bad(p, "a name contains a NUL byte");
    }
    if (n > NVS_NAME_MAX) {
        return bad(p, "name '%s' is longer than %d characters", field + 1, NVS_NAME_MAX);
    }
    *name = field + 1;
    return ESP_OK;
}

static const struct {
    const char *name;
    nvs_type_t type;
    bool is_signed;
    uint64_t umax;
    int64_t smin, smax;
} s_int_types[] = {
    { "u8", NVS_TYPE_U8, false, UINT8_MAX, 0, 0 },
    { "i8", NVS_TYPE_I8, true, 0, INT8_MIN, INT8_MAX },
    { "u16", NVS_TYPE_U16, false, UINT16_MAX, 0, 0 },
    { "i16", NVS_TYPE_I16, true, 0, INT16_MIN, INT16_MAX },
    { "u32", NVS_TYPE_U32, false, UINT32_MAX, 0, 0 },
    { "i32", NVS_TYPE_I32, true, 0, INT32_MIN, INT32_MAX },
    { "u64", NVS_TYPE_U64, false, UINT64_MAX, 0, 0 },
    { "i64", NVS_TYPE_I64, true, 0, INT64_MIN, INT64_MAX },
};

/* A store error while loading: "full" is the file's fault, anything else is passed on. */
static esp_err_t full_or(parse_t *p, esp_err_t err)
{
    return err == ESP_ERR_NVS_NOT_ENOUGH_SPACE ? bad(p, "more data than the partition holds") : err;
}

static esp_err_t parse_entry(parse_t *p, nvs_store_t *st, char **fields, int nfields)
{
    if (nfields != 5) {
        return bad(p, "an entry has 5 fields, this line has %d", nfields);
    }
    const char *ns = NULL, *key = NULL; /* set by parse_name on ESP_OK */
    esp_err_t err = parse_name(p, fields[1], &ns);
    if (err == ESP_OK) {
        err = parse_name(p, fields[2], &key);
    }
    if (err != ESP_OK) {
        return err;
    }
    if (!nvs_store_has_ns(st, ns)) {
        return bad(p, "namespace '%s' is not declared before its entries", ns);
    }
    if (nvs_store_find(st, ns, key)) {
        return bad(p, "key '%s' of namespace '%s' appears twice", key, ns);
    }
    const char *type = fields[3];
    char *val = fields[4];
    if (val[0] != '=') {
        return bad(p, "expected a '=value' field");
    }
    val++;

    for (size_t i = 0; i < sizeof s_int_types / sizeof s_int_types[0]; i++) {
        if (strcmp(type, s_int_types[i].name) != 0) {
            continue;
        }
        char *end;
        uint64_t bits;
        errno = 0;
        if (s_int_types[i].is_signed) {
            long long v = strtoll(val, &end, 10);
            if (!*val || *end || errno || v < s_int_types[i].smin || v > s_int_types[i].smax) {
                return bad(p, "'%s' is not a valid %s value", val, type);
            }
            bits = (uint64_t)(int64_t)v;
        } else {
            unsigned long long v = strtoull(val, &end, 10);
            if (!*val || *val == '-' || *val == '+' || *end || errno || v > s_int_types[i].umax) {
                return bad(p, "'%s' is not a valid %s value", val, type);
            }
            bits = (uint64_t)v;
        }
        err = nvs_store_set(st, ns, key, s_int_types[i].type, bits, NULL, 0);
        return full_or(p, err);
    }
    if (strcmp(type, "str") == 0) {
        long n = unescape(val);
        if (n < 0) {
            return bad(p, "bad %%-escape in a string value");
        }
        if ((size_t)n != strlen(val)) {
            return bad(p, "a string value contains a NUL byte");
        }
        if ((size_t)n + 1 > NVS_CHUNK_MAX) {
            return bad(p, "string longer than %d bytes", NVS_CHUNK_MAX - 1);
        }
        err = nvs_store_set(st, ns, key, NVS_TYPE_STR, 0, val, (size_t)n + 1);
        return full_or(p, err);
    }
    if (strcmp(type, "blob") == 0) {
        size_t hex = strlen(val);
        if (hex % 2 || hex / 2 > NVS_BLOB_MAX) {
            return bad(p, "a blob is an even number of hex digits, at most %d bytes", NVS_BLOB_MAX);
        }
        uint8_t *buf = malloc(hex / 2 + 1);
        if (!buf) {
            return ESP_ERR_NO_MEM;
        }
        for (size_t i = 0; i < hex / 2; i++) {
            int hi = sota_text_hex(val[2 * i]), lo = sota_text_hex(val[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(buf);
                return bad(p, "'%c%c' is not a hex byte", val[2 * i], val[2 * i + 1]);
            }
            buf[i] = (uint8_t)(hi << 4 | lo);
        }
        err = nvs_store_set(st, ns, key, NVS_TYPE_BLOB, 0, buf, hex / 2);
        free(buf);
        return full_or(p, err);
    }
    return bad(p, "unknown type '%s'", type);
}

static esp_err_t parse_line(parse_t *p, nvs_store_t *st, char *line)
{
    char *fields[6];
    int n = 0;
    for (char *s = line;;) {
        if (n == 6) {
            return bad(p, "too many fields");
        }
        fields[n++] = s;
        char *sp = strchr(s, ' ');
        if (!sp) {
            break;
        }
        *sp = '\0';
        s = sp + 1;
    }
    if (strcmp(fields[0], "N") == 0) {
        if (n != 2) {
            return bad(p, "a namespace record has 2 fields, this line has %d", n);
        }
        const char *ns;
        esp_err_t err = parse_name(p, fields[1], &ns);
        if (err != ESP_OK) {
            return err;
        }
        if (nvs_store_has_ns(st, ns)) {
            return bad(p, "namespace '%s' appears twice", ns);
        }
        err = nvs_store_add_ns(st, ns);
        return err == ESP_ERR_NVS_NOT_ENOUGH_SPACE ? bad(p, "too many namespaces") : err;
    }
    if (strcmp(fields[0], "E") == 0) {
        return parse_entry(p, st, fields, n);
    }
    return bad(p, "unknown record '%s'", fields[0]);
}

static esp_err_t parse(parse_t *p, nvs_store_t *st, char *text, size_t len)
{
    if (memchr(text, '\0', len)) {
        p->line = 1;
        return bad(p, "the file contains NUL bytes: not an NVS file");
    }
    char *line = text;
    for (p->line = 1; *line; p->line++) {
        char *nl = strchr(line, '\n');
        if (!nl) {
            return bad(p, "the last line is not complete (no newline)");
        }
        *nl = '\0';
        if (p->line == 1) {
            int version;
            char extra;
            if (sscanf(line, FORMAT_MAGIC " %d%c", &version, &extra) != 1 ||
                strncmp(line, FORMAT_MAGIC " ", strlen(FORMAT_MAGIC) + 1) != 0) {
                return bad(p, "not an NVS file (expected '%s %d')", FORMAT_MAGIC, FORMAT_VERSION);
            }
            if (version > FORMAT_VERSION) {
                snprintf(p->why, p->why_len, "format version %d is newer than this program's %d",
                         version, FORMAT_VERSION);
                return ESP_ERR_NVS_NEW_VERSION_FOUND;
            }
            if (version < FORMAT_VERSION) {
                return bad(p, "unknown format version %d", version);
            }
        } else {
            esp_err_t err = parse_line(p, st, line);
            if (err != ESP_OK) {
                return err;
            }
        }
        line = nl + 1;
    }
    if (p->line == 1) {
        return bad(p, "the file is empty");
    }
    return ESP_OK;
}

esp_err_t nvs_file_load(const char *path, nvs_store_t *st, char *why, size_t why_len)
{
    nvs_store_clear(st);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            return ESP_OK;   /* a freshly erased partition */
        }
        snprintf(why, why_len, "cannot open '%s': %s", path, strerror(errno));
        return ESP_ERR_NVS_NO_FREE_PAGES;
    }
    char *text = malloc(FILE_MAX + 1);
    if (!text) {
        fclose(f);
        return ESP_ERR_NO_MEM;
    }
    size_t len = fread(text, 1, FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    esp_err_t err;
    if (read_error) {
        snprintf(why, why_len, "cannot read '%s'", path);
        err = ESP_ERR_NVS_NO_FREE_PAGES;
    } else if (len > FILE_MAX) {
        snprintf(why, why_len, "'%s' is larger than %d bytes: not an NVS file", path, FILE_MAX);
        err = ESP_ERR_NVS_NO_FREE_PAGES;
    } else {
        text[len] = '\0';
        parse_t p = { .why = why, .why_len = why_len };
        err = parse(&p, st, text, len);
    }
    free(text);
    if (err != ESP_OK) {
        nvs_store_clear(st);
    }
    return err;
}
