/* sota flash info FILE [--rollback] [--json] [--chip C] [--chip-rev X.Y]
 *
 * What a flash image holds and what ESP-IDF's bootloader boots from it: partition table,
 * both otadata entries, the image in every app partition, and the bootloader's choice
 * with rollback on or off. The file is never modified (boot_select with write=false);
 * it may be the flash of a running simulator, so it is mapped, not copied, when it can
 * be opened for writing (nor_open), and copied into memory when it is read-only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "boot.h"
#include "cli_opts.h"
#include "cmds.h"
#include "nor_flash.h"
#include "otadata.h"
#include "ptable.h"
#include "cli_file.h"
#include "sota_chip.h"
#include "sota_ident.h"
#include "sota_image.h"

typedef enum { SLOT_VALID, SLOT_INVALID, SLOT_EMPTY } slot_image_t;

typedef struct {
    const pt_entry_t *part;
    slot_image_t image;
    sota_img_err_t err;
    char message[200];
    bool have_desc;              /* desc magic ok */
    sota_app_desc_t desc;
    const char *ota_state;       /* otadata state of the slot, NULL if none */
    char state_buf[12];
} slot_info_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sota flash info FILE [--rollback] [--json] [--chip C] [--chip-rev X.Y]\n"
            "\n"
            "Show what the flash image FILE holds and which app ESP-IDF's bootloader boots\n"
            "from it: the partition table, both otadata entries, the image in every app\n"
            "partition, and the bootloader's choice and why. FILE is never modified.\n"
            "\n"
            "  --rollback     decide as a bootloader built with\n"
            "                 CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (default: off)\n"
            "  --json         print one JSON object instead of text\n"
            "  --chip C       the chip the images must be for (default: the chip of the\n"
            "                 bootloader in the file, else esp32)\n"
            "  --chip-rev X.Y its revision (default: the chip's usual one)\n"
            "\n"
            "Exit: 0 report printed (also when nothing boots: see \"boot\"), 1 FILE can't\n"
            "be read, 2 usage error.\n");
}

#define usage_error(...) cli_usage_error("flash", usage, __VA_ARGS__)

/* ---- opening the file ---------------------------------------------------------------- */

/* Where a file that starts with a bootloader sits in flash (sota_ident: the chip's
 * bootloader offset minus the padding the file starts with); 0 for anything else.
 * *chip_size (may be NULL): the flash size its bootloader header names, else 0. */
static uint32_t merged_start_of(const uint8_t *b, size_t len, uint64_t *chip_size)
{
    sota_ident_t id;
    sota_ident(b, len, len, NULL, &id);
    bool boot = id.kind == SOTA_FILE_MERGED || id.kind == SOTA_FILE_BOOTLOADER_PART ||
                id.kind == SOTA_FILE_BOOTLOADER;
    if (chip_size != NULL) {
        /* esp_image_header_t byte 3, high nibble: 0 = 1 MB ... 7 = 128 MB */
        unsigned code = boot && id.offset + 4 <= len ? b[id.offset + 3] >> 4 : 8;
        *chip_size = code < 8 ? (uint64_t)0x100000 << code : 0;
    }
    return boot ? id.flash_addr : 0;
}

static uint32_t merged_start(const char *path)
{
    uint8_t head[SOTA_IDENT_HEAD_LEN];
    FILE *in = fopen(path, "rb");
    if (!in) {
        return 0;
    }
    size_t n = fread(head, 1, sizeof head, in);
    fclose(in);
    return merged_start_of(head, n, NULL);
}

/* A file that is not a whole flash dump (esptool merge_bin writes only up to the end of
 * the last region, and from the first region's address): flash from 0 with the file at
 * its place (the chip's bootloader offset for a file that starts with the bootloader),
 * the rest erased, as large as its bootloader header's flash size or else rounded up to
 * whole 64 KiB blocks. */
static nor_flash_t *open_partial(const char *path)
{
    size_t len = 0;
    uint8_t *b = cli_read_file("flash info", path, &len);
    if (!b) {
        return NULL;
    }
    uint64_t chip_size = 0;
    uint32_t at = merged_start_of(b, len, &chip_size);
    uint64_t end = (uint64_t)at + len;
    uint64_t size = (end + NOR_BLOCK_SIZE - 1) / NOR_BLOCK_SIZE * NOR_BLOCK_SIZE;
    if (chip_size > size) {
        size = chip_size;   /* the chip the bootloader was built for */
    }
    nor_err_t err = NOR_OK;
    nor_flash_t *f = size <= UINT32_MAX ? nor_open_mem((size_t)size, &err) : NULL;
    if (!f || nor_load(f, at, b, len) != NOR_OK) {
        fprintf(stderr, "sota flash info: can't hold '%s' in memory: %s\n", path, nor_strerror(err));
        nor_close(f);
        free(b);
        return NULL;
    }
    free(b);
    fprintf(stderr, "sota flash info: '%s' (%zu bytes) read as flash at 0x%x, the rest of %llu "
            "bytes erased\n", path, len, (unsigned)at, (unsigned long long)size);
    return f;
}

/* The chip whose bootloader the flash holds at that chip's bootloader offset (0x1000 on
 * the esp32 and s2, 0x0 on the s3, c- and h-series...), or NULL: the flash read as a
 * file by sota_ident, which must find a whole-flash image that starts at flash address 0,
 * as `sota image info` would name the same bytes. */
static const sota_chip_t *bootloader_chip(nor_flash_t *f)
{
    size_t len = nor_size(f);
    sota_ident_t id;
    sota_ident(nor_map(f), len < SOTA_IDENT_HEAD_LEN ? len : SOTA_IDENT_HEAD_LEN, len, NULL, &id);
    bool whole_flash = id.kind == SOTA_FILE_MERGED || id.kind == SOTA_FILE_BOOTLOADER_PART ||
                       id.kind == SOTA_FILE_BOOTLOADER;
    return whole_flash && id.flash_addr == 0 ? id.chip : NULL;
}

/* The flash image at path, or NULL after printing why. Never creates or resizes it. */
static nor_flash_t *open_flash(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "sota flash info: can't read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "sota flash info: '%s' is not a regular file\n", path);
        return NULL;
    }
    if (st.st_size <= 0 || st.st_size > (off_t)UINT32_MAX) {
        fprintf(stderr,
                "sota flash info: '%s' is %lld bytes: a flash image holds 1 byte to 4 GiB "
                "(e.g. 4 MiB, as esptool read_flash 0 0x400000 writes it)\n",
                path, (long long)st.st_size);
        return NULL;
    }
    if (st.st_size % NOR_BLOCK_SIZE != 0 || merged_start(path) != 0) {
        return open_partial(path);
    }
    nor_err_t err = NOR_OK;
    if (access(path, R_OK | W_OK) == 0) {
        nor_flash_t *f = nor_open(path, (size_t)st.st_size, false, &err);
        if (f) {
            return f;
        }
    }
    /* read-only file (or mapping refused): a private copy in memory */
    FILE *in = fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "sota flash info: can't read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    nor_flash_t *f = nor_open_mem((size_t)st.st_size, &err);
    uint8_t *buf = malloc(NOR_BLOCK_SIZE);
    bool ok = f && buf;
    for (uint32_t addr = 0; ok && addr < (uint32_t)st.st_size; addr += NOR_BLOCK_SIZE) {
        ok = fread(buf, 1, NOR_BLOCK_SIZE, in) == NOR_BLOCK_SIZE &&
             nor_load(f, addr, buf, NOR_BLOCK_SIZE) == NOR_OK;
    }
    if (!ok) {
        fprintf(stderr, "sota flash info: can't read '%s': %s\n", path,
                f ? (ferror(in) ? strerror(errno) : "file changed while reading")
                  : nor_strerror(err));
        nor_close(f);
        f = NULL;
    }
    free(buf);
    fclose(in);
    return f;
}

/* ---- gathering ------------------------------------------------------------------------ */

typedef struct {
    nor_flash_t *f;
    uint32_t base;
} reader_t;

static int read_at(void *ctx, uint32_t offset, void *buf, size_t len)
{
    const reader_t *rd = ctx;
    if ((uint64_t)rd->base + offset + len > nor_size(rd->f)) {
        return -1;
    }
    return nor_read(rd->f, rd->base + offset, buf, len) == NOR_OK ? 0 : -1;
}

static uint32_t ota_app_count(const ptable_t *t)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < t->count; i++) {
        if (t->e[i].type == PT_TYPE_APP && (t->e[i].subtype & 0xF0u) == PT_SUBTYPE_OTA_0) {
            n++;
        }
    }
    return n;
}

static void inspect_slot(nor_flash_t *f, const boot_result_t *r, const sota_chip_t *chip,
                         uint16_t rev, const pt_entry_t *p, slot_info_t *s)
{
    memset(s, 0, sizeof *s);
    s->part = p;

    uint8_t head[32];
    size_t n = p->size < sizeof head ? p->size : sizeof head;
    bool erased = n > 0 && nor_read(f, p->offset, head, n) == NOR_OK;
    for (size_t i = 0; erased && i < n; i++) {
        erased = head[i] == 0xFF;
    }

    sota_img_t v;
    sota_img_params_t prm = {
        .chip = chip, .chip_rev = rev, .slot_size = p->size, .slot_offset = p->offset,
        .flash_size = (uint32_t)nor_size(f),
    };
    reader_t rd = { f, p->offset };
    s->err = sota_img_verify_from(&v, &prm, read_at, &rd);
    snprintf(s->message, sizeof s->message, "%s", sota_img_message(&v));
    if (erased) {
        s->image = SLOT_EMPTY;
        snprintf(s->message, sizeof s->message, "nothing flashed here (reads erased 0xFF)");
    } else {
        s->image = s->err == SOTA_IMG_OK ? SLOT_VALID : SLOT_INVALID;
    }
    if (v.have_desc && v.desc.magic_word == SOTA_APP_DESC_MAGIC) {
        s->have_desc = true;
        s->desc = v.desc;
    }

    /* as esp_ota_get_state_partition: first entry with this slot and a good CRC */
    uint32_t count = ota_app_count(&r->table);
    if (r->has_otadata && p->type == PT_TYPE_APP && (p->subtype & 0xF0u) == PT_SUBTYPE_OTA_0 &&
        (uint32_t)(p->subtype & 0x0Fu) < count) {
        for (int i = 0; i < 2; i++) {
            const otadata_entry_t *e = &r->otadata_before[i];
            if (e->crc == otadata_crc(e->ota_seq) &&
                otadata_slot(e, count) == (uint32_t)(p->subtype & 0x0Fu)) {
                s->ota_state = otadata_state_name(e->ota_state, s->state_buf);
                break;
            }
        }
    }
}

static const char *image_name(slot_image_t s)
{
    return s == SLOT_VALID ? "valid" : s == SLOT_INVALID ? "invalid" : "empty";
}

static const char *type_text(const pt_entry_t *p, char buf[8])
{
    const char *n = pt_type_name(p->type);
    if (n) {
        return n;
    }
    snprintf(buf, 8, "0x%02x", p->type);
    return buf;
}

static const char *subtype_text(const pt_entry_t *p, char buf[8])
{
    const char *n = pt_subtype_name(p->type, p->subtype);
    if (n) {
        return n;
    }
    snprintf(buf, 8, "0x%02x", p->subtype);
    return buf;
}

/* ---- output ---------------------------------------------------------------------------- */

static int print_json(nor_flash_t *f, const boot_result_t *r, bool rollback,
                      const slot_info_t *slots, unsigned nslots)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "flash_size", (double)nor_size(f));

    cJSON *parts = cJSON_AddArrayToObject(root, "partitions");
    for (unsigned i = 0; r->status != BOOT_ERR_PTABLE && i < r->table.count; i++) {
        const pt_entry_t *p = &r->table.e[i];
        char tb[8], sb[8];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "label", p->label);
        cJSON_AddStringToObject(o, "type", type_text(p, tb));
        cJSON_AddStringToObject(o, "subtype", subtype_text(p, sb));
        cJSON_AddNumberToObject(o, "offset", p->offset);
        cJSON_AddNumberToObject(o, "size", p->size);
        cJSON_AddNumberToObject(o, "flags", p->flags);
        cJSON_AddItemToArray(parts, o);
    }

    cJSON *ota = cJSON_AddArrayToObject(root, "otadata");
    if (r->has_otadata && r->status != BOOT_ERR_PTABLE) {
        int active = otadata_active(r->otadata_before);
        for (int i = 0; i < 2; i++) {
            const otadata_entry_t *e = &r->otadata_before[i];
            char b1[12], b2[12];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "seq", e->ota_seq);
            cJSON_AddStringToObject(o, "state", otadata_state_name(e->ota_state, b1));
            cJSON_AddBoolToObject(o, "crc_ok", e->crc == otadata_crc(e->ota_seq));
            cJSON_AddBoolToObject(o, "active", active == i);
            cJSON_AddStringToObject(o, "state_after_boot",
                                    otadata_state_name(r->otadata_after[i].ota_state, b2));
            cJSON_AddItemToArray(ota, o);
        }
    }

    cJSON *sl = cJSON_AddArrayToObject(root, "slots");
    for (unsigned i = 0; i < nslots; i++) {
        const slot_info_t *s = &slots[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "label", s->part->label);
        cJSON_AddStringToObject(o, "image", image_name(s->image));
        if (s->image == SLOT_VALID) {
            cJSON_AddNullToObject(o, "reason");
        } else {
            cJSON_AddStringToObject(o, "reason", s->message);
        }
        if (s->have_desc) {
            cJSON_AddStringToObject(o, "project", s->desc.project_name);
            cJSON_AddStringToObject(o, "version", s->desc.version);
            cJSON_AddNumberToObject(o, "secure_version", s->desc.secure_version);
        } else {
            cJSON_AddNullToObject(o, "project");
            cJSON_AddNullToObject(o, "version");
            cJSON_AddNullToObject(o, "secure_version");
        }
        if (s->ota_state) {
            cJSON_AddStringToObject(o, "ota_state", s->ota_state);
        } else {
            cJSON_AddNullToObject(o, "ota_state");
        }
        cJSON_AddItemToArray(sl, o);
    }

    cJSON_AddBoolToObject(root, "rollback", rollback);
    if (r->status == BOOT_OK) {
        cJSON_AddStringToObject(root, "boot", r->label);
    } else {
        cJSON_AddNullToObject(root, "boot");
    }
    cJSON_AddStringToObject(root, "reason", r->reason);

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        fprintf(stderr, "sota flash info: out of memory\n");
        return 1;
    }
    puts(text);
    cJSON_free(text);
    return 0;
}

static void print_text(const char *path, nor_flash_t *f, const boot_result_t *r, bool rollback,
                       uint32_t toff, const slot_info_t *slots, unsigned nslots)
{
    printf("flash %s: 0x%zx bytes (%zu KiB)\n\n", path, nor_size(f), nor_size(f) / 1024);
    if (r->status == BOOT_ERR_PTABLE) {
        printf("partition table at 0x%x: rejected\n\n", (unsigned)toff);
    } else {
        printf("partition table at 0x%x: %u partitions\n", (unsigned)toff, r->table.count);
        printf("  %-16s %-5s %-9s %-10s %-10s %s\n", "label", "type", "subtype", "offset", "size",
               "flags");
        for (unsigned i = 0; i < r->table.count; i++) {
            const pt_entry_t *p = &r->table.e[i];
            char tb[8], sb[8];
            printf("  %-16s %-5s %-9s 0x%-8x 0x%-8x %s%s\n", p->label, type_text(p, tb),
                   subtype_text(p, sb), (unsigned)p->offset, (unsigned)p->size,
                   (p->flags & PT_FLAG_ENCRYPTED) ? "encrypted " : "",
                   (p->flags & PT_FLAG_READONLY) ? "readonly" : "");
        }
        printf("\n");
        if (r->has_otadata) {
            int active = otadata_active(r->otadata_before);
            printf("otadata at 0x%x:\n", (unsigned)r->otadata_offset);
            for (int i = 0; i < 2; i++) {
                const otadata_entry_t *e = &r->otadata_before[i];
                char b[12];
                char seq[24];
                if (e->ota_seq == OTADATA_SEQ_ERASED) {
                    snprintf(seq, sizeof seq, "erased");
                } else {
                    snprintf(seq, sizeof seq, "%u", (unsigned)e->ota_seq);
                }
                printf("  otadata[%d]  seq %-10s state %-14s crc %-3s%s\n", i, seq,
                       otadata_state_name(e->ota_state, b),
                       e->crc == otadata_crc(e->ota_seq) ? "ok" : "bad",
                       active == i ? "  active" : "");
            }
        } else {
            printf("otadata: none (no data/ota partition)\n");
        }
        printf("\napp partitions:\n");
        for (unsigned i = 0; i < nslots; i++) {
            const slot_info_t *s = &slots[i];
            printf("  %-16s 0x%-8x %-8s", s->part->label, (unsigned)s->part->offset,
                   image_name(s->image));
            if (s->have_desc) {
                printf(" project %s version %s secure_version %u", s->desc.project_name,
                       s->desc.version, (unsigned)s->desc.secure_version);
            }
            if (s->ota_state) {
                printf(" [otadata %s]", s->ota_state);
            }
            if (s->image != SLOT_VALID) {
                printf("\n  %-16s %s", "", s->message);
            }
            printf("\n");
        }
        printf("\n");
    }
    printf("boot (rollback %s): %s\n", rollback ? "on" : "off",
           r->status == BOOT_OK ? r->label : "nothing boots");
    printf("why: %s\n", r->reason);
}

/* ---- the command ----------------------------------------------------------------------- */

/* sota flash info's command line */
typedef struct {
    const char *path;
    bool rollback, json;
    const sota_chip_t *chip;   /* --chip, else NULL: the bootloader's, else esp32 */
    int rev;                   /* --chip-rev, else -1: the chip's usual one */
} info_args_t;

/* --chip C or --chip-rev X.Y (a) with its value: 0, or the usage error. */
static int chip_option(const char *a, const char *val, info_args_t *o)
{
    if (!strcmp(a, "--chip")) {
        o->chip = sota_chip_by_name(val);
        if (!o->chip) {
            return usage_error("unknown chip '%s' (esp32, esp32s3, esp32c3, ...)", val);
        }
    } else {
        o->rev = sota_chip_parse_rev(val);
        if (o->rev < 0 || o->rev > UINT16_MAX) {
            return usage_error("bad chip revision '%s' (write it as X.Y, e.g. 3.0)", val);
        }
    }
    return 0;
}

/* argv[1..] of `flash info` into *o: 0, CLI_OPTS_HELP after the help, or the usage error. */
static int parse_info_args(int argc, char **argv, info_args_t *o)
{
    *o = (info_args_t){ .rev = -1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OPTS_HELP;
        } else if (!strcmp(a, "--rollback")) {
            o->rollback = true;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--chip") || !strcmp(a, "--chip-rev")) {
            if (i + 1 >= argc) {
                return usage_error("%s needs a value", a);
            }
            int rc = chip_option(a, argv[++i], o);
            if (rc) {
                return rc;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (o->path) {
            return usage_error("one FILE only ('%s' is extra)", a);
        } else {
            o->path = a;
        }
    }
    if (!o->path) {
        return usage_error("missing FILE");
    }
    return 0;
}

/* The bootloader's choice on flash f (never written) and what every app partition holds,
 * printed as text or JSON: the exit status. */
static int report(const info_args_t *a, nor_flash_t *f)
{
    const sota_chip_t *chip = a->chip;
    if (!chip) {
        chip = bootloader_chip(f);
    }
    if (!chip) {
        chip = sota_chip_by_name("esp32");
    }
    uint16_t chip_rev = a->rev >= 0 ? (uint16_t)a->rev : chip->default_rev;
    boot_opts_t opts = {
        .chip = chip,
        .chip_rev = chip_rev,
        .chip_rev_exact = true,
        .rollback_enabled = a->rollback,
        .write = false,
        .table_offset = PT_OFFSET_DEFAULT,
        .log = NULL,
    };
    boot_result_t *r = calloc(1, sizeof *r);
    slot_info_t *slots = calloc(PT_MAX_ENTRIES, sizeof *slots);
    if (!r || !slots) {
        fprintf(stderr, "sota flash info: out of memory\n");
        free(r);
        free(slots);
        return 1;
    }
    boot_select(f, &opts, r);

    unsigned nslots = 0;
    for (unsigned i = 0; r->status != BOOT_ERR_PTABLE && i < r->table.count; i++) {
        if (r->table.e[i].type == PT_TYPE_APP) {
            inspect_slot(f, r, chip, chip_rev, &r->table.e[i], &slots[nslots++]);
        }
    }

    int rc = 0;
    if (a->json) {
        rc = print_json(f, r, a->rollback, slots, nslots);
    } else {
        print_text(a->path, f, r, a->rollback, opts.table_offset, slots, nslots);
    }
    free(slots);
    free(r);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    info_args_t a;
    int rc = parse_info_args(argc, argv, &a);
    if (rc) {
        return rc == CLI_OPTS_HELP ? 0 : rc;
    }
    nor_flash_t *f = open_flash(a.path);
    if (!f) {
        return 1;
    }
    rc = report(&a, f);
    nor_close(f);
    return rc;
}

int sota_cmd_flash(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "info")) {
        return cmd_info(argc - 1, argv + 1);
    }
    return usage_error("unknown subcommand '%s' (try: sota flash info FILE)", argv[1]);
}
