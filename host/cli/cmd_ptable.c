/* sota ptable: partition table CSV <-> binary, byte-identical to ESP-IDF's
 * gen_esp32part.py v1.5 both ways (the conversions and checks are host/ptable). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_file.h"
#include "cli_opts.h"
#include "cmds.h"
#include "ptable.h"


static void usage(FILE *out)
{
    fprintf(out,
        "usage: sota ptable INPUT [-o OUTPUT] [--flash-size SIZE] [--offset N]\n"
        "                   [--disable-md5sum] [--secure [v1|v2]]\n"
        "                   [--primary-bootloader-offset N] [--recovery-bootloader-offset N]\n"
        "\n"
        "Converts an ESP-IDF partition table like gen_esp32part.py (v1.5), with the same\n"
        "checks; the output is byte-identical to its output.\n"
        "  CSV -> binary:  sota ptable partitions.csv -o partitions.bin --flash-size 4MB\n"
        "  binary -> CSV:  sota ptable partitions.bin [-o partitions.csv]\n"
        "INPUT is a binary if it starts with AA 50 (an entry), EB EB (an MD5 row) or FF, or\n"
        "if its name ends in .bin; otherwise it is CSV text (UTF-8, or UTF-16 with a BOM).\n"
        "\n"
        "  -o, --output FILE    where to write ('-' = stdout, the default for CSV output;\n"
        "                       binary output goes to stdout only if it is not a terminal)\n"
        "  --flash-size SIZE    1MB 2MB 4MB 8MB 16MB 32MB 64MB 128MB: fail if the partitions\n"
        "                       end beyond it\n"
        "  --offset N           flash offset of the partition table (default 0x8000)\n"
        "  --disable-md5sum     write no MD5 row (binary input: an MD5 row is then invalid)\n"
        "  --secure [v1|v2]     secure boot: v1 (the default) aligns app sizes to 64 KiB\n"
        "  --primary-bootloader-offset N    where the bootloader is (rows of type bootloader)\n"
        "  --recovery-bootloader-offset N   where the recovery bootloader is\n"
        "  -h, --help           this help\n"
        "\n"
        "Exit status: 0 converted, 1 invalid table or I/O error (the reason on stderr),\n"
        "2 usage error.\n");
}

#define usage_error(...) cli_usage_error("ptable", usage, __VA_ARGS__)

static void print_warning(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s\n", msg);
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool looks_binary(const uint8_t *d, size_t n, const char *path)
{
    if (n >= 2 && ((d[0] == 0xAA && d[1] == 0x50) || (d[0] == 0xEB && d[1] == 0xEB))) {
        return true;
    }
    if (n >= 1 && d[0] == 0xFF && !(n >= 2 && d[1] == 0xFE)) {
        return true; /* erased flash; FF FE is a UTF-16 byte order mark */
    }
    size_t l = strlen(path);
    return l >= 4 && strcasecmp(path + l - 4, ".bin") == 0;
}

static void put_utf8(uint32_t cp, char **w)
{
    char *p = *w;
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xC0 | cp >> 6);
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xE0 | cp >> 12);
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (char)(0xF0 | cp >> 18);
        *p++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    }
    *w = p;
}

/* The CSV as UTF-8 text, honouring a byte order mark as gen_esp32part does (UTF-8,
 * UTF-16 LE/BE, UTF-32 BE). Returns a malloc'd NUL-terminated string or NULL (reported). */
static char *csv_text(const uint8_t *d, size_t n, const char *path)
{
    size_t unit = 1, skip = 0;
    bool big = false;
    if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
        skip = 3;
    } else if (n >= 4 && d[0] == 0xFF && d[1] == 0xFE && d[2] == 0 && d[3] == 0) {
        fprintf(stderr, "sota ptable: %s is UTF-32 text: save it as UTF-8\n", path);
        return NULL;
    } else if (n >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
        unit = 2, skip = 2;
    } else if (n >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
        unit = 2, skip = 2, big = true;
    } else if (n >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0xFE && d[3] == 0xFF) {
        unit = 4, skip = 4, big = true;
    }
    char *out = malloc(unit == 1 ? n + 1 : (n / unit) * 4 + 1);
    if (!out) {
        fprintf(stderr, "sota ptable: out of memory\n");
        return NULL;
    }
    char *w = out;
    if (unit == 1) {
        memcpy(out, d + skip, n - skip);
        w = out + (n - skip);
    } else {
        if ((n - skip) % unit) {
            goto bad;
        }
        for (size_t i = skip; i < n; i += unit) {
            uint32_t cp;
            if (unit == 4) {
                cp = (uint32_t)d[i] << 24 | (uint32_t)d[i + 1] << 16 | (uint32_t)d[i + 2] << 8 | d[i + 3];
            } else {
                cp = big ? (uint32_t)(d[i] << 8 | d[i + 1]) : (uint32_t)(d[i + 1] << 8 | d[i]);
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
                    uint32_t lo = big ? (uint32_t)(d[i + 2] << 8 | d[i + 3])
                                      : (uint32_t)(d[i + 3] << 8 | d[i + 2]);
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        goto bad;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                goto bad;
            }
            put_utf8(cp, &w);
        }
    }
    *w = '\0';
    if (memchr(out, '\0', (size_t)(w - out))) {
        fprintf(stderr, "sota ptable: %s contains a NUL byte: it is neither CSV text nor a "
                "partition table binary (which starts with AA 50)\n", path);
        free(out);
        return NULL;
    }
    return out;
bad:
    fprintf(stderr, "sota ptable: %s is not valid UTF-%u text: save it as UTF-8\n", path,
            (unsigned)(unit * 8));
    free(out);
    return NULL;
}

/* mkdir -p of the directory part of path, as gen_esp32part creates the output folder. */
static int make_parent_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir) {
        return -1;
    }
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; rc == 0; p++) {
            if (*p == '/' || *p == '\0') {
                char c = *p;
                *p = '\0';
                if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                    rc = -1;
                }
                *p = c;
                if (c == '\0') {
                    break;
                }
            }
        }
    }
    free(dir);
    return rc;
}

static int write_output(const char *path, const void *data, size_t len)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "sota ptable: writing to stdout failed: %s\n", strerror(errno));
            return 1;
        }
        return 0;
    }
    if (make_parent_dirs(path) != 0) {
        fprintf(stderr, "sota ptable: cannot create the folder of %s: %s\n", path, strerror(errno));
        return 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "sota ptable: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok) {
        fprintf(stderr, "sota ptable: writing %s failed: %s\n", path, strerror(errno));
        remove(path);
        return 1;
    }
    return 0;
}

static int convert_binary(const char *in, const uint8_t *data, size_t len, const pt_opts_t *o,
                          const char *out)
{
    static ptable_t t;
    char err[1024];
    if (pt_from_bin_ex(data, len, o, &t, err, sizeof err) != 0 ||
        pt_check(&t, o, err, sizeof err) != 0) {
        fprintf(stderr, "sota ptable: %s: %s\n", in, err);
        return 1;
    }
    if (t.count == 0 && !t.has_md5) {
        fprintf(stderr, "sota ptable: %s: no partition table: the first 32 bytes are erased "
                "(0xFF), and the bootloader rejects an empty table (for a whole flash image, "
                "use 'sota flash info')\n", in);
        return 1;
    }
    static char csv[PT_CSV_MAX];
    int n = pt_to_csv(&t, csv, sizeof csv);
    if (n < 0) {
        fprintf(stderr, "sota ptable: %s: the CSV does not fit in %u bytes\n", in, PT_CSV_MAX);
        return 1;
    }
    return write_output(out ? out : "-", csv, (size_t)n);
}

static int convert_csv(const char *in, const uint8_t *data, size_t len, const pt_opts_t *o,
                       const char *out)
{
    if ((!out || !strcmp(out, "-")) && isatty(STDOUT_FILENO)) {
        return usage_error("%s is CSV: give -o FILE for the binary (it is not written to a "
                           "terminal)", in);
    }
    char *text = csv_text(data, len, in);
    if (!text) {
        return 1;
    }
    static ptable_t t;
    char err[1024];
    static uint8_t bin[PT_MAX_LEN];
    int rc = pt_from_csv(text, o, &t, err, sizeof err);
    free(text);
    if (rc == 0) {
        rc = pt_to_bin(&t, o, bin, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "sota ptable: %s: %s\n", in, err);
        return 1;
    }
    return write_output(out ? out : "-", bin, sizeof bin);
}

/* Whether argument a is option name, as "--name" or "--name=value". */
static bool is_opt(const char *a, const char *name)
{
    size_t l = strlen(name);
    return strncmp(a, name, l) == 0 && (a[l] == '\0' || (a[l] == '=' && name[1] == '-'));
}

/* The value of the option at argv[*i] ("--name=value" or "--name value", advancing *i);
 * NULL if it is missing. */
static const char *opt_value(int argc, char **argv, int *i)
{
    const char *eq = argv[*i][1] == '-' ? strchr(argv[*i], '=') : NULL;
    if (eq) {
        return eq + 1;
    }
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* The command line: the conversion's options, INPUT and OUTPUT (NULL: not given). */
typedef struct {
    pt_opts_t o;
    const char *in, *out;
} ptable_args_t;

/* -o FILE, --output FILE (v: its value, NULL if missing): 0, or the usage error. */
static int opt_output(const char *a, const char *v, ptable_args_t *p)
{
    if (!v || p->out) {
        return usage_error(v ? "more than one output given ('%s')" : "%s needs a file name", a);
    }
    p->out = v;
    return 0;
}

/* --flash-size SIZE (v: NULL if missing): 0, or the usage error. */
static int opt_flash_size(const char *v, pt_opts_t *o)
{
    static const char *const sizes[] = { "1MB", "2MB", "4MB", "8MB", "16MB", "32MB",
                                         "64MB", "128MB" };
    uint32_t mb = 0;
    for (size_t k = 0; v && k < sizeof sizes / sizeof sizes[0]; k++) {
        if (!strcmp(v, sizes[k])) {
            mb = 1u << k;
        }
    }
    if (!mb) {
        return usage_error("--flash-size takes 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB or "
                           "128MB (got '%s')", v ? v : "nothing");
    }
    o->flash_size = mb * 1024u * 1024u;
    return 0;
}

/* --secure, --secure=v1|v2, or --secure v1|v2 (the next argument only if it is one of
 * them, advancing *i): 0, or the usage error. */
static int opt_secure(int argc, char **argv, int *i, pt_opts_t *o)
{
    const char *a = argv[*i];
    const char *level = a[8] == '=' ? a + 9 : NULL;
    if (!level && *i + 1 < argc && (!strcmp(argv[*i + 1], "v1") || !strcmp(argv[*i + 1], "v2"))) {
        level = argv[++*i];
    }
    if (level && strcmp(level, "v1") && strcmp(level, "v2")) {
        return usage_error("--secure takes v1 or v2 (got '%s')", level);
    }
    o->secure_v1 = !level || !strcmp(level, "v1");
    return 0;
}

/* The option at argv[*i] (and its value, advancing *i): 0, CLI_OPTS_HELP after the help,
 * or the usage error. */
static int parse_option(int argc, char **argv, int *i, ptable_args_t *p)
{
    const char *a = argv[*i];
    pt_opts_t *o = &p->o;
    const char *v;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        usage(stdout);
        return CLI_OPTS_HELP;
    } else if (is_opt(a, "-o") || is_opt(a, "--output")) {
        return opt_output(a, opt_value(argc, argv, i), p);
    } else if (is_opt(a, "--flash-size")) {
        return opt_flash_size(opt_value(argc, argv, i), o);
    } else if (is_opt(a, "--offset")) {
        v = opt_value(argc, argv, i);
        if (!v || !parse_u32(v, &o->table_offset) || o->table_offset == 0) {
            return usage_error("--offset takes the table's flash offset, e.g. 0x8000 (got "
                               "'%s')", v ? v : "nothing");
        }
    } else if (is_opt(a, "--primary-bootloader-offset")) {
        v = opt_value(argc, argv, i);
        if (!v || !parse_u32(v, &o->bootloader_offset)) {
            return usage_error("--primary-bootloader-offset takes an offset, e.g. 0x1000 "
                               "(got '%s')", v ? v : "nothing");
        }
        o->has_bootloader_offset = true;
    } else if (is_opt(a, "--recovery-bootloader-offset")) {
        v = opt_value(argc, argv, i);
        if (!v || !parse_u32(v, &o->recovery_offset)) {
            return usage_error("--recovery-bootloader-offset takes an offset (got '%s')",
                               v ? v : "nothing");
        }
        o->has_recovery_offset = true;
    } else if (!strcmp(a, "--disable-md5sum")) {
        o->no_md5 = true;
    } else if (is_opt(a, "--secure")) {
        return opt_secure(argc, argv, i, o);
    } else {
        return usage_error("unknown option '%s'", a);
    }
    return 0;
}

/* The command line into *p (its defaults set by the caller), as gen_esp32part reads it:
 * INPUT and OUTPUT anywhere, options as --name value or --name=value, none after "--".
 * 0, CLI_OPTS_HELP after --help, or the usage error. */
static int parse_ptable_args(int argc, char **argv, ptable_args_t *p)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || !strcmp(a, "-")) {
            if (!p->in) {
                p->in = a;
            } else if (!p->out) {
                p->out = a; /* gen_esp32part's positional OUTPUT */
            } else {
                return usage_error("unexpected argument '%s'", a);
            }
        } else if (!strcmp(a, "--")) {
            options_done = true;
        } else {
            int rc = parse_option(argc, argv, &i, p);
            if (rc) {
                return rc;
            }
        }
    }
    if (!p->in) {
        return usage_error("%s", "no INPUT given");
    }
    return 0;
}

/* INPUT converted the other way, to OUTPUT: the exit status. */
static int convert_file(const ptable_args_t *p)
{
    uint8_t *data;
    size_t len;
    if (!(data = cli_read_file("ptable", p->in, &len))) {
        return 1;
    }
    int rc = looks_binary(data, len, p->in) ? convert_binary(p->in, data, len, &p->o, p->out)
                                            : convert_csv(p->in, data, len, &p->o, p->out);
    free(data);
    return rc;
}

int sota_cmd_ptable(int argc, char **argv)
{
    ptable_args_t p = { .o = { .table_offset = PT_OFFSET_DEFAULT, .warn = print_warning } };
    int rc = parse_ptable_args(argc, argv, &p);
    if (rc) {
        return rc == CLI_OPTS_HELP ? 0 : rc;
    }
    const pt_opts_t *o = &p.o;
    if (o->has_bootloader_offset && o->bootloader_offset >= o->table_offset) {
        fprintf(stderr, "sota ptable: Unsupported configuration. Primary bootloader must be "
                "below partition table. Check --primary-bootloader-offset=0x%x and "
                "--offset=0x%x\n", (unsigned)o->bootloader_offset, (unsigned)o->table_offset);
        return 1;
    }
    return convert_file(&p);
}
