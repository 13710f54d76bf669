/* The power-cut sweep: scenarios, runs with a cut, the reboot and the invariant checks
 * (powercut.h). */
#include "powercut.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "cJSON.h"
#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "imagegen.h"
#include "ota_internal.h"
#include "otadata.h"
#include "ptable.h"
#include "softap_ota.h"
#include "nvs_flash.h"
#include "sota_host.h"
#include "sota_host_nvs.h"
#include "sota_le.h"
#include "sota_text.h"

/* The apps a harness knows. */
enum {
    IMG_FACTORY,   /* the factory app every scenario starts from */
    IMG_A,         /* update-older's history: A in ota_0, B in ota_1, then C in ota_0 */
    IMG_B,
    IMG_C,
    IMG_NEW,       /* the uploaded app */
    IMG_NEXT,      /* the update after the run: proves the device can still be updated */
    IMG_COUNT
};

/* The starting flashes. */
enum {
    START_BASE,    /* table + factory app, otadata blank: factory boots */
    START_UPDATED, /* START_BASE + a clean update of IMG_NEW into ota_0 (NEW) */
    START_OLDER,   /* ota_0 runs C (VALID), ota_1 holds B (VALID, older seq) */
    START_FS,      /* START_BASE + an older filesystem image in the fs partition */
    START_COUNT
};

/* Partitions, by their index in pc_harness.part. */
enum { PART_FACTORY, PART_OTA0, PART_OTA1, PART_COUNT };

/* Filesystem images of the fs-update scenario: the partition's older one, the new one,
 * and the one uploaded after every run. */
enum { FS_OLD, FS_NEW, FS_NEXT, FS_COUNT };
/* The partition the harness adds to a table without a filesystem partition. */
#define FS_ADDED_CSV "\nsota_fs, data, littlefs, , 32K\n"

/* A state of the running app as the checks name it: an otadata state, or factory. */
#define STATE_FACTORY 0xFFFFFFF0u

typedef struct {
    uint8_t *data;
    size_t len;
} pc_image_t;

struct pc_harness {
    pc_opts_t opts;
    size_t chunk;
    const sota_chip_t *chip;
    pc_image_t img[IMG_COUNT];
    char project[33];
    ptable_t table;
    uint8_t ptbin[PT_MAX_LEN];
    pt_entry_t part[PART_COUNT];
    uint32_t app_count;                /* consecutive OTA slots ota_0.. of the table */
    nor_flash_t *dev;                  /* the flash the device runs on */
    nor_flash_t *start[START_COUNT];   /* snapshots, built on first use */
    softap_ota_config_t cfg;           /* the component's configuration */
    sota_update_t *upd;                /* the update session (large: on the heap) */
    sota_img_t *verify;                /* verifier state for the checks */
    boot_result_t boot;                /* the last boot */
    volatile bool fired;               /* the armed cut happened */
    bool jump_armed;                   /* restart_jb is live */
    jmp_buf restart_jb;                /* where esp_restart() lands */
    pt_entry_t fs_part;                /* fs-update's partition (size 0: none) */
    pc_image_t fs[FS_COUNT];           /* its images, of the partition's size */
    char nvs_path[64];                 /* the host NVS file of fs-update runs */
};

typedef struct {
    const char *name;
    const char *summary;
    int start;
    bool preboot;          /* boot the device (uncut) before the run */
    int prev_part, prev_img;
    int new_part, new_img;
    bool success_is_new;   /* what the clean run ends with */
    uint32_t success_state;
    bool (*run)(pc_harness_t *h, char *msg, size_t len);
} sc_def_t;

static bool run_update_new(pc_harness_t *h, char *msg, size_t len);
static bool run_update_resumed(pc_harness_t *h, char *msg, size_t len);
static bool run_first_boot(pc_harness_t *h, char *msg, size_t len);
static bool run_rollback(pc_harness_t *h, char *msg, size_t len);
static bool run_reset_pending(pc_harness_t *h, char *msg, size_t len);
static bool run_fs_update(pc_harness_t *h, char *msg, size_t len);

static const sc_def_t s_sc[PC_SC_COUNT] = {
    [PC_SC_UPDATE_BLANK] = { "update-blank", "factory runs; upload into the blank ota_0, first byte to set-boot",
                             START_BASE, true, PART_FACTORY, IMG_FACTORY, PART_OTA0, IMG_NEW, true,
                             OTA_STATE_PENDING_VERIFY, run_update_new },
    [PC_SC_UPDATE_OLDER] = { "update-older", "ota_0 runs; upload into ota_1, which holds an older app",
                             START_OLDER, true, PART_OTA0, IMG_C, PART_OTA1, IMG_NEW, true,
                             OTA_STATE_PENDING_VERIFY, run_update_new },
    [PC_SC_UPDATE_RESUMED] = { "update-resumed", "as update-older, but the connection drops halfway: the session "
                               "is kept in RAM, then the same client resumes it to set-boot",
                               START_OLDER, true, PART_OTA0, IMG_C, PART_OTA1, IMG_NEW, true,
                               OTA_STATE_PENDING_VERIFY, run_update_resumed },
    [PC_SC_FIRST_BOOT] = { "first-boot", "first boot of the new app in ota_0 (NEW -> PENDING_VERIFY), then "
                           "esp_ota_mark_app_valid_cancel_rollback",
                           START_UPDATED, false, PART_FACTORY, IMG_FACTORY, PART_OTA0, IMG_NEW, true,
                           OTA_STATE_VALID, run_first_boot },
    [PC_SC_ROLLBACK] = { "rollback", "first boot of the new app, health check fails: "
                         "esp_ota_mark_app_invalid_rollback_and_reboot, boot",
                         START_UPDATED, false, PART_FACTORY, IMG_FACTORY, PART_OTA0, IMG_NEW, false,
                         STATE_FACTORY, run_rollback },
    [PC_SC_RESET_PENDING] = { "reset-pending", "first boot of the new app, reset before it confirmed: the "
                              "bootloader aborts it (PENDING_VERIFY -> ABORTED)",
                              START_UPDATED, false, PART_FACTORY, IMG_FACTORY, PART_OTA0, IMG_NEW, false,
                              STATE_FACTORY, run_reset_pending },
    [PC_SC_FS_UPDATE] = { "fs-update", "factory runs; a LittleFS image into the filesystem partition, which "
                          "holds an older one: first byte to the cleared record",
                          START_FS, true, PART_FACTORY, IMG_FACTORY, PART_FACTORY, IMG_FACTORY, true,
                          STATE_FACTORY, run_fs_update },
};

/* ---- names ------------------------------------------------------------------------- */

const char *pc_scenario_name(pc_scenario_t sc)
{
    return (unsigned)sc < PC_SC_COUNT ? s_sc[sc].name : "?";
}

const char *pc_scenario_summary(pc_scenario_t sc)
{
    return (unsigned)sc < PC_SC_COUNT ? s_sc[sc].summary : "?";
}

int pc_scenario_by_name(const char *name)
{
    for (int i = 0; name && i < PC_SC_COUNT; i++) {
        if (!strcmp(name, s_sc[i].name)) {
            return i;
        }
    }
    return -1;
}

const char *pc_mode_name(nor_cut_mode_t mode)
{
    return mode == NOR_CUT_TORN ? "torn" : "clean";
}

int pc_mode_by_name(const char *name, nor_cut_mode_t *mode)
{
    if (name && !strcmp(name, "clean")) {
        *mode = NOR_CUT_CLEAN;
        return 0;
    }
    if (name && !strcmp(name, "torn")) {
        *mode = NOR_CUT_TORN;
        return 0;
    }
    return -1;
}

static const char *state_name(uint32_t st)
{
    switch (st) {
    case STATE_FACTORY: return "factory";
    case OTA_STATE_NEW: return "new";
    case OTA_STATE_PENDING_VERIFY: return "pending_verify";
    case OTA_STATE_VALID: return "valid";
    case OTA_STATE_INVALID: return "invalid";
    case OTA_STATE_ABORTED: return "aborted";
    case OTA_STATE_UNDEFINED: return "undefined";
    default: return "unknown";
    }
}

/* ---- the device -------------------------------------------------------------------- */

static void on_cut(void *ctx, uint64_t op_index)
{
    (void)op_index;
    pc_harness_t *h = ctx;
    h->fired = true;
}

static void on_restart(void *ctx)
{
    pc_harness_t *h = ctx;
    if (!h->jump_armed) {
        fprintf(stderr, "powercut: esp_restart() outside a scenario step that expects it\n");
        abort();
    }
    h->jump_armed = false;
    longjmp(h->restart_jb, 1);
}

/* Power on / reset the device on h->dev; the bootloader's result goes to h->boot. */
static esp_err_t dev_boot(pc_harness_t *h)
{
    sota_host_config_t cfg = {
        .flash = h->dev,
        .chip = h->chip,
        .rollback_enabled = true,
        .restart_hook = on_restart,
        .restart_ctx = h,
        .quiet = !h->opts.verbose,
    };
    return sota_host_boot(&cfg, &h->boot);
}

/* Upload img through the update session and the writer, as POST /update does with a
 * raw body of exactly img->len bytes; with lost_at, the connection drops after that many
 * bytes and the same session is resumed from sota_update_offset(), as POST /update with
 * Content-Range does after a kept session (a power cut in between loses it with the
 * RAM). fs_label: a filesystem image for that partition (?partition=), else NULL. true
 * if the new slot is selected (the partition written). */
static bool run_update_split(pc_harness_t *h, const pc_image_t *img, const sota_update_ops_t *ops, size_t lost_at,
                             const char *fs_label, char *msg, size_t len)
{
    ota_writer_t w;
    sota_update_cfg_t ucfg;
    esp_err_t err = ota_writer_target(&w, &h->cfg, &ucfg);
    if (err != ESP_OK) {
        sota_text_put(msg, len, "ota_writer_target: %s", esp_err_to_name(err));
        return false;
    }
    ucfg.announced_len = img->len;
    ucfg.announced_exact = true;
    ucfg.fs_label = fs_label;
    sota_update_t *u = h->upd;
    sota_update_init(u, &ucfg, ops, &w);
    sota_update_err_t ue = SOTA_UPDATE_OK;
    size_t off = 0;
    while (ue == SOTA_UPDATE_OK && off < img->len) {
        size_t n = img->len - off < h->chunk ? img->len - off : h->chunk;
        if (lost_at > off && lost_at < off + n) {
            n = lost_at - off;
        }
        ue = sota_update_feed(u, img->data + off, n);
        off += n;
        if (ue == SOTA_UPDATE_OK && off == lost_at) {
            /* the connection is lost here; the client comes back with the right claim */
            sota_update_err_t re = sota_update_resume_check(u, off, img->len, u->head_sha);
            if (re != SOTA_UPDATE_OK) {
                sota_text_put(msg, len, "resume at %zu refused: %s", off, sota_update_err_code(re));
                sota_update_cancel(u, "test: resume refused");
                return false;
            }
            off = sota_update_offset(u);
        }
    }
    if (ue == SOTA_UPDATE_OK) {
        ue = sota_update_finish(u);
    }
    if (ue != SOTA_UPDATE_OK) {
        sota_text_put(msg, len, "update of %s: %s (%s)", w.part ? w.part->label : "?", u->msg, sota_update_err_code(ue));
        return false;
    }
    return true;
}

static bool run_update(pc_harness_t *h, const pc_image_t *img, const sota_update_ops_t *ops, char *msg,
                       size_t len)
{
    return run_update_split(h, img, ops, 0, NULL, msg, len);
}

/* Halfway, past the head (the session is only kept once the slot is open). */
static bool run_update_resumed(pc_harness_t *h, char *msg, size_t len)
{
    const sota_update_ops_t *ops = h->opts.writer ? h->opts.writer : &ota_writer_ops;
    const pc_image_t *img = &h->img[IMG_NEW];
    size_t half = img->len / 2 > SOTA_UPDATE_HEAD_LEN ? img->len / 2 : SOTA_UPDATE_HEAD_LEN + 1;
    return run_update_split(h, img, ops, half < img->len ? half : 0, NULL, msg, len);
}

static bool run_update_new(pc_harness_t *h, char *msg, size_t len)
{
    const sota_update_ops_t *ops = h->opts.writer ? h->opts.writer : &ota_writer_ops;
    return run_update(h, &h->img[IMG_NEW], ops, msg, len);
}

/* Upload filesystem image img to the fs partition through the session and the writer,
 * as POST /update?partition=LABEL does with a raw body. true if it was written, read
 * back and its record cleared. */
static bool run_fs_upload(pc_harness_t *h, const pc_image_t *img, char *msg, size_t len)
{
    return run_update_split(h, img, h->opts.writer ? h->opts.writer : &ota_writer_ops, 0, h->fs_part.label,
                            msg, len);
}

static bool run_fs_update(pc_harness_t *h, char *msg, size_t len)
{
    return run_fs_upload(h, &h->fs[FS_NEW], msg, len);
}

static bool boot_step(pc_harness_t *h, char *msg, size_t len)
{
    esp_err_t err = dev_boot(h);
    if (err != ESP_OK) {
        sota_text_put(msg, len, "boot: %s: %s", esp_err_to_name(err), h->boot.reason);
        return false;
    }
    return true;
}

static bool run_first_boot(pc_harness_t *h, char *msg, size_t len)
{
    if (!boot_step(h, msg, len)) {
        return false;
    }
    esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
    if (err != ESP_OK) {
        sota_text_put(msg, len, "esp_ota_mark_app_valid_cancel_rollback: %s", esp_err_to_name(err));
        return false;
    }
    return true;
}

static bool run_rollback(pc_harness_t *h, char *msg, size_t len)
{
    if (!boot_step(h, msg, len)) {
        return false;
    }
    if (setjmp(h->restart_jb) == 0) {
        h->jump_armed = true;
        esp_err_t err = esp_ota_mark_app_invalid_rollback_and_reboot();
        h->jump_armed = false;
        sota_text_put(msg, len, "esp_ota_mark_app_invalid_rollback_and_reboot returned %s", esp_err_to_name(err));
        return false;
    }
    /* esp_restart() ran: the device resets */
    return boot_step(h, msg, len);
}

static bool run_reset_pending(pc_harness_t *h, char *msg, size_t len)
{
    return boot_step(h, msg, len) && boot_step(h, msg, len);
}

/* ---- setup ------------------------------------------------------------------------- */

static int build_image(pc_harness_t *h, int idx, const char *version, uint32_t size, uint64_t seed)
{
    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.chip = h->chip;
    g.project = h->project;
    g.version = version;
    g.seed = seed;
    g.size = size < imagegen_min_size(&g) ? imagegen_min_size(&g) : size;
    return imagegen_build(&g, &h->img[idx].data, &h->img[idx].len);
}

/* fs-update's partition: the table's first littlefs, spiffs or fat data partition; for a
 * table without one, the harness's own added after the last partition (if it fits). */
static int load_fs_table(pc_harness_t *h, const pt_opts_t *o, char *err, size_t errlen)
{
    static const uint8_t subs[] = { 0x83, 0x82, 0x81 };
    for (size_t i = 0; i < sizeof subs; i++) {
        const pt_entry_t *e = pt_find(&h->table, PT_TYPE_DATA, subs[i]);
        if (e) {
            h->fs_part = *e;
            return PC_OK;
        }
    }
    size_t n = strlen(h->opts.ptable_csv);
    char *csv = malloc(n + sizeof FS_ADDED_CSV);
    if (!csv) {
        return PC_ERR_NOMEM;
    }
    memcpy(csv, h->opts.ptable_csv, n);
    memcpy(csv + n, FS_ADDED_CSV, sizeof FS_ADDED_CSV);
    char why[256] = "";
    ptable_t t;
    if (pt_from_csv(csv, o, &t, why, sizeof why) == 0 && pt_to_bin(&t, o, h->ptbin, why, sizeof why) == 0) {
        h->table = t;
        h->fs_part = *pt_find(&h->table, PT_TYPE_DATA, 0x83);
    } else if (pt_to_bin(&h->table, o, h->ptbin, why, sizeof why) != 0) {
        sota_text_put(err, errlen, "partition table rejected: %s", why);
        free(csv);
        return PC_ERR_SETUP;
    }
    free(csv);
    return PC_OK;   /* no room: fs-update reports it cannot run */
}

static int load_table(pc_harness_t *h, char *err, size_t errlen)
{
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char why[256] = "";
    if (pt_from_csv(h->opts.ptable_csv, &o, &h->table, why, sizeof why) != 0 ||
        pt_to_bin(&h->table, &o, h->ptbin, why, sizeof why) != 0) {
        sota_text_put(err, errlen, "partition table rejected: %s", why);
        return PC_ERR_SETUP;
    }
    int rc = load_fs_table(h, &o, err, errlen);
    if (rc != PC_OK) {
        return rc;
    }
    static const uint8_t subtypes[PART_COUNT] = { PT_SUBTYPE_FACTORY, PT_SUBTYPE_OTA_0, PT_SUBTYPE_OTA_0 + 1 };
    static const char *const names[PART_COUNT] = { "factory", "ota_0", "ota_1" };
    for (int i = 0; i < PART_COUNT; i++) {
        const pt_entry_t *e = pt_find(&h->table, PT_TYPE_APP, subtypes[i]);
        if (!e) {
            sota_text_put(err, errlen, "the partition table has no %s app partition: the sweep needs factory, ota_0 "
                "and ota_1", names[i]);
            return PC_ERR_SETUP;
        }
        h->part[i] = *e;
    }
    const pt_entry_t *od = pt_find(&h->table, PT_TYPE_DATA, PT_SUBTYPE_DATA_OTA);
    if (!od || od->size < OTADATA_SIZE) {
        sota_text_put(err, errlen, "the partition table needs an otadata partition (data, ota) of 0x2000 bytes");
        return PC_ERR_SETUP;
    }
    while (h->app_count < 16 && pt_find(&h->table, PT_TYPE_APP, (uint8_t)(PT_SUBTYPE_OTA_0 + h->app_count))) {
        h->app_count++;
    }
    return PC_OK;
}

/* A string of an image's esp_app_desc_t (at field offset off: 0x10 version, 0x30 project),
 * or NULL if the image has no app description or the string is empty. */
static const char *desc_string(const uint8_t *img, size_t len, size_t off)
{
    const uint8_t *d = img + SOTA_APP_DESC_OFFSET;
    if (len < SOTA_APP_DESC_OFFSET + 0x50 || sota_rd32(d) != SOTA_APP_DESC_MAGIC || !d[off]) {
        return NULL;
    }
    return (const char *)d + off;
}

/* The new image: the caller's (its chip and project name are used), or none yet (esp32;
 * made with the others). */
static int load_new_image(pc_harness_t *h, const pc_opts_t *opts, char *err, size_t errlen)
{
    if (!opts->image) {
        h->chip = sota_chip_by_name("esp32");
        return PC_OK;
    }
    if (opts->image_len < 24) {
        sota_text_put(err, errlen, "the image is %zu bytes: too short for an app image header (24 bytes)", opts->image_len);
        return PC_ERR_ARG;
    }
    uint16_t chip_id = sota_rd16(opts->image + 12);
    h->chip = sota_chip_by_id(chip_id);
    if (!h->chip) {
        sota_text_put(err, errlen, "the image is for chip id %u, which the simulator does not know: give an "
            "app image for a known chip", (unsigned)chip_id);
        return PC_ERR_ARG;
    }
    h->img[IMG_NEW].data = malloc(opts->image_len);
    if (!h->img[IMG_NEW].data) {
        return PC_ERR_NOMEM;
    }
    memcpy(h->img[IMG_NEW].data, opts->image, opts->image_len);
    h->img[IMG_NEW].len = opts->image_len;
    const char *project = desc_string(opts->image, opts->image_len, 0x30);
    if (project) {
        snprintf(h->project, sizeof h->project, "%.32s", project);
    }
    return PC_OK;
}

/* A LittleFS image of `size` bytes for the sweep: a superblock entry as the reference
 * littlefs writes it (4096-byte blocks, size / 4096 of them, disk version 2.1), then
 * bytes from the seed, every third sector left erased (so that the erase-ahead's skips
 * are cut too). Only what the updater reads of it matters: sota_ident's parameters. */
static int make_fs_image(pc_image_t *img, uint32_t size, uint32_t seed)
{
    uint8_t *b = malloc(size);
    if (!b) {
        return PC_ERR_NOMEM;
    }
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < size; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b[i] = (i / 0x1000) % 3 == 2 ? 0xFF : (uint8_t)x;
    }
    static const uint8_t tags[] = { 0xF0, 0x0F, 0xFF, 0xF7, 'l', 'i', 't', 't', 'l', 'e', 'f', 's',
                                    0x2F, 0xE0, 0x00, 0x10 };
    sota_wr32(b, seed);                      /* revision count */
    memcpy(b + 4, tags, sizeof tags);        /* name tag, "littlefs", inline struct tag */
    sota_wr32(b + 0x14, 0x00020001u);        /* disk version 2.1 */
    sota_wr32(b + 0x18, 0x1000u);            /* block size */
    sota_wr32(b + 0x1C, size / 0x1000u);     /* block count */
    img->data = b;
    img->len = size;
    return PC_OK;
}

/* The apps of the scenarios' history: factory, A, B, C, the new one (unless given) and
 * the one after it. */
static int build_history(pc_harness_t *h, const pc_opts_t *opts, char *err, size_t errlen)
{
    uint32_t nlen = opts->image ? (uint32_t)(opts->image_len > 0x1000000 ? 0x1000000 : opts->image_len)
                                : PC_DEFAULT_IMAGE_SIZE;
    uint32_t blen = nlen + 0xC000u <= h->part[PART_OTA1].size ? nlen + 0xC000u : nlen;
    int ge = build_image(h, IMG_FACTORY, "1.0.0", 0x10000u, 1);
    if (ge == IMAGEGEN_OK) {
        ge = build_image(h, IMG_A, "1.1.0", nlen, 2);
    }
    if (ge == IMAGEGEN_OK) {
        ge = build_image(h, IMG_B, "1.2.0", blen, 3);
    }
    if (ge == IMAGEGEN_OK) {
        ge = build_image(h, IMG_C, "1.3.0", nlen, 4);
    }
    if (ge == IMAGEGEN_OK && !opts->image) {
        ge = build_image(h, IMG_NEW, "2.0.0", PC_DEFAULT_IMAGE_SIZE, 5);
    }
    if (ge == IMAGEGEN_OK) {
        /* a version above the new app's (its own with ".1" appended), so that even a
         * refuse_downgrade policy would take it */
        char next_ver[33] = "2.1.0";
        const char *v = desc_string(h->img[IMG_NEW].data, h->img[IMG_NEW].len, 0x10);
        if (v) {
            snprintf(next_ver, sizeof next_ver, "%.29s.1", v);
        }
        ge = build_image(h, IMG_NEXT, next_ver, nlen, 6);
    }
    if (ge != IMAGEGEN_OK) {
        sota_text_put(err, errlen, "could not make the scenarios' apps for %s (%u bytes): %s", h->chip->name,
            (unsigned)nlen, imagegen_strerror(ge));
        return ge == IMAGEGEN_ERR_NOMEM ? PC_ERR_NOMEM : PC_ERR_SETUP;
    }
    for (int i = 0; i < FS_COUNT && h->fs_part.size; i++) {
        if (make_fs_image(&h->fs[i], h->fs_part.size, (uint32_t)(11 + i)) != PC_OK) {
            return PC_ERR_NOMEM;
        }
    }
    if (h->img[IMG_FACTORY].len > h->part[PART_FACTORY].size) {
        sota_text_put(err, errlen, "the factory partition (0x%x bytes) is too small for the factory app",
            (unsigned)h->part[PART_FACTORY].size);
        return PC_ERR_SETUP;
    }
    return PC_OK;
}

/* The device: a RAM flash with the partition table and the factory app, kept as the start
 * of every run, and the session and verifier it updates with. */
static int open_device(pc_harness_t *h, char *err, size_t errlen)
{
    h->upd = malloc(sizeof *h->upd);
    h->verify = malloc(sizeof *h->verify);
    nor_err_t ne = NOR_OK;
    h->dev = nor_open_mem(NOR_DEFAULT_SIZE, &ne);
    if (!h->upd || !h->verify || !h->dev) {
        sota_text_put(err, errlen, "out of memory for the device");
        return PC_ERR_NOMEM;
    }
    ne = nor_load(h->dev, PT_OFFSET_DEFAULT, h->ptbin, sizeof h->ptbin);
    if (ne == NOR_OK) {
        ne = nor_load(h->dev, h->part[PART_FACTORY].offset, h->img[IMG_FACTORY].data, h->img[IMG_FACTORY].len);
    }
    if (ne == NOR_OK) {
        h->start[START_BASE] = nor_open_copy(h->dev, &ne);
    }
    if (!h->start[START_BASE]) {
        sota_text_put(err, errlen, "could not prepare the flash: %s", nor_strerror(ne));
        return ne == NOR_ERR_IO ? PC_ERR_NOMEM : PC_ERR_SETUP;
    }
    return PC_OK;
}

int pc_open(const pc_opts_t *opts, pc_harness_t **out, char *err, size_t errlen)
{
    sota_text_put(err, errlen, "%s", "");
    if (out) {
        *out = NULL;
    }
    if (!opts || !out || !opts->ptable_csv) {
        sota_text_put(err, errlen, "pc_open: NULL options, output or partition table");
        return PC_ERR_ARG;
    }
    pc_harness_t *h = calloc(1, sizeof *h);
    if (!h) {
        sota_text_put(err, errlen, "out of memory");
        return PC_ERR_NOMEM;
    }
    h->opts = *opts;
    h->chunk = opts->chunk ? opts->chunk : PC_DEFAULT_CHUNK;
    h->opts.image = NULL;
    snprintf(h->project, sizeof h->project, "%s", "softap-ota");
    int rc = load_new_image(h, opts, err, errlen);
    if (rc == PC_OK) {
        rc = load_table(h, err, errlen);
    }
    if (rc == PC_OK) {
        rc = build_history(h, opts, err, errlen);
    }
    if (rc == PC_OK) {
        rc = open_device(h, err, errlen);
    }
    if (rc != PC_OK) {
        pc_close(h);
        return rc;
    }
    softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
    h->cfg = cfg;
    if (!opts->verbose) {
        esp_log_level_set("*", ESP_LOG_NONE);
    }
    *out = h;
    return PC_OK;
}

void pc_close(pc_harness_t *h)
{
    if (!h) {
        return;
    }
    sota_host_shutdown();
    for (int i = 0; i < IMG_COUNT; i++) {
        free(h->img[i].data);
    }
    for (int i = 0; i < START_COUNT; i++) {
        nor_close(h->start[i]);
    }
    nor_close(h->dev);
    for (int i = 0; i < FS_COUNT; i++) {
        free(h->fs[i].data);
    }
    if (h->nvs_path[0]) {
        unlink(h->nvs_path);
    }
    free(h->upd);
    free(h->verify);
    free(h);
}

/* Restore start s on the device, powered and disarmed. */
static void restore(pc_harness_t *h, int s)
{
    nor_arm_power_cut(h->dev, 0, NOR_CUT_CLEAN, NULL, NULL);
    nor_restore(h->dev, h->start[s]);
    nor_power_on(h->dev);
}

/* A clean step of a setup: boot, and expect partition `part` to run. */
static bool setup_boot(pc_harness_t *h, int part, char *msg, size_t len)
{
    if (!boot_step(h, msg, len)) {
        return false;
    }
    if (h->boot.offset != h->part[part].offset) {
        sota_text_put(msg, len, "expected %s to boot, %s did: %s", h->part[part].label, h->boot.label, h->boot.reason);
        return false;
    }
    return true;
}

static int ensure_start(pc_harness_t *h, int s, char *msg, size_t len)
{
    if (h->start[s]) {
        return PC_OK;
    }
    restore(h, START_BASE);
    bool ok = setup_boot(h, PART_FACTORY, msg, len);
    if (s == START_UPDATED) {
        ok = ok && run_update(h, &h->img[IMG_NEW], &ota_writer_ops, msg, len);
    } else if (s == START_FS) {
        if (!h->fs_part.size) {
            sota_text_put(msg, len, "the partition table has no filesystem data partition and no room to add one "
                "(32 KiB after its last partition)");
            ok = false;
        }
        nor_err_t le = ok ? nor_load(h->dev, h->fs_part.offset, h->fs[FS_OLD].data, h->fs[FS_OLD].len) : NOR_OK;
        if (le != NOR_OK) {
            sota_text_put(msg, len, "loading the older filesystem image: %s", nor_strerror(le));
            ok = false;
        }
    } else {
        /* A into ota_0, B into ota_1, C into ota_0: each booted and confirmed */
        static const struct {
            int img, part;
        } hist[] = { { IMG_A, PART_OTA0 }, { IMG_B, PART_OTA1 }, { IMG_C, PART_OTA0 } };
        for (size_t i = 0; ok && i < sizeof hist / sizeof hist[0]; i++) {
            ok = run_update(h, &h->img[hist[i].img], &ota_writer_ops, msg, len) &&
                 setup_boot(h, hist[i].part, msg, len);
            esp_err_t err = ok ? esp_ota_mark_app_valid_cancel_rollback() : ESP_OK;
            if (err != ESP_OK) {
                sota_text_put(msg, len, "esp_ota_mark_app_valid_cancel_rollback: %s", esp_err_to_name(err));
                ok = false;
            }
        }
    }
    if (!ok) {
        char why[sizeof ((pc_result_t *)0)->why];
        snprintf(why, sizeof why, "%s", msg);
        sota_text_put(msg, len, "cannot set up the starting flash of the scenario: %s", why);
        return PC_ERR_SETUP;
    }
    nor_err_t ne = NOR_OK;
    h->start[s] = nor_open_copy(h->dev, &ne);
    if (!h->start[s]) {
        sota_text_put(msg, len, "out of memory for a flash snapshot: %s", nor_strerror(ne));
        return PC_ERR_NOMEM;
    }
    return PC_OK;
}

/* ---- checks ------------------------------------------------------------------------ */

static bool fail(pc_result_t *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(pc_result_t *res, const char *fmt, ...)
{
    if (res->ok) {
        va_list ap;
        va_start(ap, fmt);
        sota_text_vput(res->why, sizeof res->why, fmt, ap);
        va_end(ap);
        res->ok = false;
    }
    return false;
}

/* The label of the partition a bootloader index names. */
static const char *index_label(const pc_harness_t *h, int idx)
{
    if (idx == BOOT_FACTORY_INDEX) {
        return h->part[PART_FACTORY].label;
    }
    if (idx >= 0 && idx < 16) {
        const pt_entry_t *e = pt_find(&h->table, PT_TYPE_APP, (uint8_t)(PT_SUBTYPE_OTA_0 + idx));
        return e ? e->label : "a missing OTA slot";
    }
    return idx == BOOT_TEST_INDEX ? "test" : "nothing";
}

/* The state the bootloader left for OTA slot `slot`: the first entry (0, then 1) of its
 * otadata with a good CRC naming it, as esp_ota_get_state_partition reads it. */
static bool boot_state_of(const pc_harness_t *h, uint32_t slot, uint32_t *state)
{
    for (int i = 0; i < 2; i++) {
        const otadata_entry_t *e = &h->boot.otadata_after[i];
        if (e->crc == otadata_crc(e->ota_seq) && otadata_slot(e, h->app_count) == slot) {
            *state = e->ota_state;
            return true;
        }
    }
    return false;
}

static bool check_status_json(pc_harness_t *h, const char *label, const esp_app_desc_t *d, uint32_t state,
                              pc_result_t *res)
{
    if (ota_state_init(&h->cfg) != ESP_OK) {
        return fail(res, "ota_state_init failed");
    }
    char *text = ota_status_json();
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    bool ok = true;
    if (!o) {
        ok = fail(res, "ota_status_json gave no JSON object");
    } else {
        static const char *const keys[] = { "running_partition", "project", "version", "running_state" };
        char want[4][40];
        snprintf(want[0], sizeof want[0], "%s", label);
        snprintf(want[1], sizeof want[1], "%.32s", d->project_name);
        snprintf(want[2], sizeof want[2], "%.32s", d->version);
        snprintf(want[3], sizeof want[3], "%s", state_name(state));
        for (int i = 0; ok && i < 4; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
            if (!cJSON_IsString(v) || strcmp(v->valuestring, want[i]) != 0) {
                ok = fail(res, "GET /api/status says %s %s%s%s, but %s booted with %s \"%s\"", keys[i],
                          cJSON_IsString(v) ? "\"" : "", cJSON_IsString(v) ? v->valuestring : "null",
                          cJSON_IsString(v) ? "\"" : "", label, keys[i], want[i]);
            }
        }
    }
    cJSON_Delete(o);
    free(text);
    return ok;
}

/* The slot that booted (h->boot) holds exactly image img of the scenario def, and it
 * verifies; clean: no cut, so it must be the app the run ends with. */
static bool check_booted_image(pc_harness_t *h, const sc_def_t *def, int img, bool clean, pc_result_t *res)
{
    const boot_result_t *r = &h->boot;
    const pc_image_t *im = &h->img[img];
    const uint8_t *slot = nor_map(h->dev) + r->offset;
    if (memcmp(slot, im->data, im->len) != 0) {
        size_t at = 0;
        while (slot[at] == im->data[at]) {
            at++;
        }
        return fail(res, "%s booted, but its bytes differ from the %s app from byte 0x%zx of 0x%zx: a mix",
                    r->label, img == def->new_img ? "new" : "previous", at, im->len);
    }
    sota_img_err_t ve = boot_verify_partition(h->dev, h->chip, 0, r->offset, r->size, h->verify);
    if (ve != SOTA_IMG_OK) {
        return fail(res, "%s booted but does not verify: %s", r->label, sota_img_message(h->verify));
    }
    if (clean && def->success_is_new != (img == def->new_img)) {
        return fail(res, "without a cut the run must end with the %s app in %s, but %s booted",
                    def->success_is_new ? "new" : "previous",
                    h->part[def->success_is_new ? def->new_part : def->prev_part].label, r->label);
    }
    return true;
}

/* The running app's state (esp_ota_get_state_partition: st, st_err): what the bootloader
 * left, and one a running app can have; a factory app has none. */
static bool check_running_state(pc_harness_t *h, bool is_factory, esp_err_t st_err,
                                esp_ota_img_states_t st, pc_result_t *res)
{
    const boot_result_t *r = &h->boot;
    if (is_factory) {
        if (st_err != ESP_ERR_NOT_SUPPORTED) {
            return fail(res, "esp_ota_get_state_partition(factory) gave %s, expected ESP_ERR_NOT_SUPPORTED",
                        esp_err_to_name(st_err));
        }
        return true;
    }
    uint32_t want;
    if (!boot_state_of(h, (uint32_t)r->booted_index, &want)) {
        return fail(res, "the bootloader booted %s, but its otadata has no entry for it", r->label);
    }
    if (st_err != ESP_OK || (uint32_t)st != want) {
        return fail(res, "esp_ota_get_state_partition(%s) gave %s %s, the bootloader left %s", r->label,
                    esp_err_to_name(st_err), st_err == ESP_OK ? state_name((uint32_t)st) : "",
                    state_name(want));
    }
    if (want != OTA_STATE_VALID && want != OTA_STATE_PENDING_VERIFY && want != OTA_STATE_UNDEFINED) {
        return fail(res, "%s runs although its otadata state is %s", r->label, state_name(want));
    }
    return true;
}

/* After the reboot: the invariant. def: the scenario; clean: no cut (the success
 * outcome is required). */
static bool check(pc_harness_t *h, const sc_def_t *def, bool clean, esp_err_t boot_err, pc_result_t *res)
{
    const boot_result_t *r = &h->boot;
    snprintf(res->what, sizeof res->what, "nothing");
    if (boot_err != ESP_OK) {
        return fail(res, "nothing boots (%s): %s", esp_err_to_name(boot_err), r->reason);
    }
    snprintf(res->booted, sizeof res->booted, "%s", r->label);

    /* which app: the previous or the new one */
    int part = -1, img = -1;
    if (r->offset == h->part[def->prev_part].offset) {
        part = def->prev_part, img = def->prev_img;
    } else if (r->offset == h->part[def->new_part].offset) {
        part = def->new_part, img = def->new_img;
    }
    const pc_image_t *im = img >= 0 ? &h->img[img] : NULL;
    bool is_factory = part == PART_FACTORY;

    /* what the device reports */
    const esp_partition_t *run = esp_ota_get_running_partition();
    const esp_app_desc_t *d = esp_app_get_description();
    esp_ota_img_states_t st = ESP_OTA_IMG_UNDEFINED;
    esp_err_t st_err = run ? esp_ota_get_state_partition(run, &st) : ESP_ERR_INVALID_STATE;
    uint32_t state = is_factory ? STATE_FACTORY : (st_err == ESP_OK ? (uint32_t)st : OTA_STATE_UNDEFINED);
    snprintf(res->what, sizeof res->what, "%s (%.32s %.32s, %s)", r->label, d->project_name, d->version,
             is_factory ? "factory" : st_err == ESP_OK ? state_name(state) : esp_err_to_name(st_err));

    if (!im) {
        return fail(res, "booted %s, which is neither the previous app's slot (%s) nor the new app's (%s)",
                    r->label, h->part[def->prev_part].label, h->part[def->new_part].label);
    }
    if (r->selected_index != r->booted_index) {
        return fail(res, "otadata selected %s, whose image does not verify: the bootloader fell back to %s "
                    "(otadata must never name an incomplete image)", index_label(h, r->selected_index), r->label);
    }
    if (!check_booted_image(h, def, img, clean, res)) {
        return false;
    }
    if (!run || run->address != r->offset) {
        return fail(res, "esp_ota_get_running_partition() says %s, but the bootloader booted %s",
                    run ? run->label : "NULL", r->label);
    }
    if (memcmp(d, im->data + SOTA_APP_DESC_OFFSET, sizeof *d) != 0) {
        return fail(res, "esp_app_get_description() is not the booted image's app description");
    }
    if (!check_running_state(h, is_factory, st_err, st, res)) {
        return false;
    }
    if (clean && state != def->success_state) {
        return fail(res, "without a cut %s must end %s, it is %s", r->label, state_name(def->success_state),
                    state_name(state));
    }
    const esp_partition_t *next = esp_ota_get_boot_partition();
    if (!next || next->address != r->offset) {
        return fail(res, "esp_ota_get_boot_partition() says %s, but %s booted", next ? next->label : "NULL",
                    r->label);
    }
    return check_status_json(h, r->label, d, state, res);
}

/* After the checks: the device that booted can still be updated. One more complete,
 * uncut update of IMG_NEXT through the path the scenario uses (update session + the
 * scenario's writer), a reboot, and IMG_NEXT must boot from the slot it was written to,
 * selected by otadata, byte for byte, verifying. The running app is confirmed first if
 * it is pending verification: esp_ota_begin refuses to write while the running app has
 * not confirmed itself (rollback enabled), and the component confirms it once its health
 * check passes (ota_health.c), before anyone can upload. res->booted and res->what keep
 * describing the boot after the cut. */
static bool check_updatable(pc_harness_t *h, pc_result_t *res)
{
    const char *after = res->booted;
    const esp_partition_t *run = esp_ota_get_running_partition();
    esp_ota_img_states_t st = ESP_OTA_IMG_UNDEFINED;
    if (run && esp_ota_get_state_partition(run, &st) == ESP_OK && st == ESP_OTA_IMG_PENDING_VERIFY) {
        esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
        if (err != ESP_OK) {
            return fail(res, "then the device cannot be updated: confirming %s "
                        "(esp_ota_mark_app_valid_cancel_rollback) failed: %s", after, esp_err_to_name(err));
        }
    }
    const pc_image_t *im = &h->img[IMG_NEXT];
    const esp_partition_t *target = esp_ota_get_next_update_partition(NULL);
    char msg[sizeof res->why - 120];
    msg[0] = '\0';
    const sota_update_ops_t *ops = h->opts.writer ? h->opts.writer : &ota_writer_ops;
    if (!run_update(h, im, ops, msg, sizeof msg)) {
        return fail(res, "then the device cannot be updated: an uncut update from %s failed: %s", after, msg);
    }
    esp_err_t err = dev_boot(h);
    const boot_result_t *r = &h->boot;
    if (err != ESP_OK) {
        return fail(res, "then after an uncut update from %s nothing boots (%s): %s", after, esp_err_to_name(err),
                    r->reason);
    }
    if (!target || r->offset != target->address) {
        return fail(res, "then an uncut update from %s wrote %s, but %s booted after it: %s", after,
                    target ? target->label : "no slot", r->label, r->reason);
    }
    if (r->selected_index != r->booted_index) {
        return fail(res, "then after an uncut update from %s otadata selected %s, which does not verify: the "
                    "bootloader fell back to %s", after, index_label(h, r->selected_index), r->label);
    }
    if (memcmp(nor_map(h->dev) + r->offset, im->data, im->len) != 0) {
        return fail(res, "then an uncut update from %s booted %s, but its bytes are not the uploaded image's",
                    after, r->label);
    }
    sota_img_err_t ve = boot_verify_partition(h->dev, h->chip, 0, r->offset, r->size, h->verify);
    if (ve != SOTA_IMG_OK) {
        return fail(res, "then an uncut update from %s booted %s, which does not verify: %s", after, r->label,
                    sota_img_message(h->verify));
    }
    const esp_app_desc_t *d = esp_app_get_description();
    if (memcmp(d, im->data + SOTA_APP_DESC_OFFSET, sizeof *d) != 0) {
        return fail(res, "then after an uncut update from %s, esp_app_get_description() is not the new image's",
                    after);
    }
    return true;
}

/* fs-update: a fresh host NVS (no record) for the run. */
static bool fs_nvs_fresh(pc_harness_t *h, char *why, size_t len)
{
    if (!h->nvs_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(h->nvs_path, sizeof h->nvs_path, "%.40s/sota-pc-nvs-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(h->nvs_path);
        if (fd < 0) {
            sota_text_put(why, len, "cannot make a file for the host NVS in %s", dir && *dir ? dir : "/tmp");
            h->nvs_path[0] = '\0';
            return false;
        }
        close(fd);
    }
    nvs_host_set_path(h->nvs_path);
    esp_err_t err = nvs_flash_erase();
    if (err == ESP_OK) {
        err = nvs_flash_init();
    }
    if (err != ESP_OK) {
        sota_text_put(why, len, "host NVS in %s: %s", h->nvs_path, esp_err_to_name(err));
        return false;
    }
    return true;
}

static bool fs_holds(const pc_harness_t *h, const pc_image_t *img)
{
    return memcmp(nor_map(h->dev) + h->fs_part.offset, img->data, img->len) == 0;
}

/* fs-update, after the reboot: the partition holds exactly the new image, or it is
 * reported incomplete (by softap_ota_fs_incomplete and in /api/status); then a complete
 * upload of another image succeeds and clears the record. */
static bool check_fs(pc_harness_t *h, bool clean, pc_result_t *res)
{
    const char *label = h->fs_part.label;
    bool complete = fs_holds(h, &h->fs[FS_NEW]);
    bool incomplete = softap_ota_fs_incomplete(label);
    if (clean && (!complete || incomplete)) {
        return fail(res, "without a cut partition %s must hold the new image (%s) and no record (%s)", label,
                    complete ? "it does" : "it does not", incomplete ? "it has one" : "none");
    }
    if (!complete && !incomplete) {
        return fail(res, "partition %s holds %s, and nothing reports it incomplete", label,
                    fs_holds(h, &h->fs[FS_OLD]) ? "the older image" : "a mix of images");
    }
    char *text = ota_status_json();
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const char *state = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "storage"))
    {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "label");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "state");
        if (cJSON_IsString(l) && strcmp(l->valuestring, label) == 0 && cJSON_IsString(st)) {
            state = st->valuestring;
        }
    }
    const char *want = incomplete ? "incomplete" : "complete";
    bool same = state && strcmp(state, want) == 0;
    char got[24];
    snprintf(got, sizeof got, "%s", state ? state : "nothing");
    cJSON_Delete(o);
    free(text);
    if (!same) {
        return fail(res, "GET /api/status says storage %s is %s, expected %s", label, got, want);
    }
    char msg[sizeof res->why - 120];
    msg[0] = '\0';
    if (!run_fs_upload(h, &h->fs[FS_NEXT], msg, sizeof msg)) {
        return fail(res, "then a complete upload to %s failed: %s", label, msg);
    }
    if (!fs_holds(h, &h->fs[FS_NEXT]) || softap_ota_fs_incomplete(label)) {
        return fail(res, "then after a complete upload %s %s", label,
                    softap_ota_fs_incomplete(label) ? "is still reported incomplete" : "does not hold it");
    }
    return true;
}

/* ---- runs -------------------------------------------------------------------------- */

int pc_run(pc_harness_t *h, pc_scenario_t sc, uint64_t cut, nor_cut_mode_t mode, pc_result_t *res)
{
    if (!res) {
        return PC_ERR_ARG;
    }
    memset(res, 0, sizeof *res);
    if (!h || (unsigned)sc >= PC_SC_COUNT) {
        snprintf(res->why, sizeof res->why, "no harness or unknown scenario %d", (int)sc);
        return PC_ERR_ARG;
    }
    const sc_def_t *def = &s_sc[sc];
    int rc = ensure_start(h, def->start, res->why, sizeof res->why);
    if (rc != PC_OK) {
        return rc;
    }
    restore(h, def->start);
    if (def->preboot) {
        esp_err_t err = dev_boot(h);
        if (err != ESP_OK) {
            snprintf(res->why, sizeof res->why, "the device does not boot before the run: %s", h->boot.reason);
            return PC_ERR_SETUP;
        }
    }

    bool fs = sc == PC_SC_FS_UPDATE;
    if (fs && !fs_nvs_fresh(h, res->why, sizeof res->why)) {
        return PC_ERR_SETUP;
    }
    nor_reset_stats(h->dev);
    h->fired = false;
    if (cut) {
        nor_arm_power_cut(h->dev, cut, mode, on_cut, h);
    }
    char msg[sizeof res->why];
    msg[0] = '\0';
    bool run_ok = def->run(h, msg, sizeof msg);
    nor_stats_t s;
    nor_stats(h->dev, &s);
    res->ops = s.ops;
    res->cut_fired = h->fired;
    /* power off: disarm a cut that did not come, then power on */
    nor_arm_power_cut(h->dev, 0, NOR_CUT_CLEAN, NULL, NULL);
    nor_power_on(h->dev);
    if (cut && !res->cut_fired) {
        snprintf(res->why, sizeof res->why, "the run has only %" PRIu64 " flash operations: cut point %" PRIu64
                 " is past its end (try 1..%" PRIu64 ")", res->ops, cut, res->ops);
        return PC_ERR_RANGE;
    }

    res->ok = true;
    esp_err_t err = dev_boot(h);
    if (check(h, def, cut == 0, err, res) && (!fs || check_fs(h, cut == 0, res))) {
        check_updatable(h, res);
    }
    if (fs) {
        nvs_host_reset();
    }
    if (cut == 0 && !run_ok) {
        /* the run's own failure says more than the checks that follow from it */
        res->ok = true;
        fail(res, "without a cut the run failed: %s", msg);
    }
    return PC_OK;
}

int pc_sweep(pc_harness_t *h, pc_scenario_t sc, bool clean, bool torn, FILE *out, const char *replay,
             pc_tally_t *tally)
{
    pc_tally_t dummy = { 0, 0 };
    if (!tally) {
        tally = &dummy;
    }
    if (!replay) {
        replay = "sota powercut";
    }
    const char *name = pc_scenario_name(sc);
    pc_result_t *r = malloc(sizeof *r);
    if (!r) {
        return PC_ERR_NOMEM;
    }
    if (out) {
        fprintf(out, "%s: %s\n", name, pc_scenario_summary(sc));
    }
    int rc = pc_run(h, sc, 0, NOR_CUT_CLEAN, r);
    if (rc != PC_OK || !r->ok) {
        tally->tried++;
        tally->failed++;
        if (out) {
            fprintf(out, "FAIL %s cut 0 (no cut): %s: %s\n  replay: %s --scenario %s --cut 0\n", name,
                    rc == PC_OK ? r->what : "not run", r->why, replay, name);
        }
        free(r);
        return rc;
    }
    uint64_t n = r->ops;
    if (out) {
        fprintf(out, "  no cut: %" PRIu64 " flash operations, ends with %s\n", n, r->what);
    }
    for (int m = 0; m < 2; m++) {
        nor_cut_mode_t mode = m ? NOR_CUT_TORN : NOR_CUT_CLEAN;
        if (!(m ? torn : clean)) {
            continue;
        }
        uint64_t failed = 0;
        for (uint64_t k = 1; k <= n; k++) {
            rc = pc_run(h, sc, k, mode, r);
            tally->tried++;
            if (rc == PC_OK && r->ok) {
                continue;
            }
            failed++;
            tally->failed++;
            if (out) {
                fprintf(out, "FAIL %s cut %" PRIu64 " %s: booted %s: %s\n  replay: %s --scenario %s --cut %" PRIu64
                        " --mode %s\n", name, k, pc_mode_name(mode), rc == PC_OK ? r->what : "(not run)", r->why,
                        replay, name, k, pc_mode_name(mode));
            }
        }
        if (out) {
            fprintf(out, "  %s cuts 1..%" PRIu64 ": %" PRIu64 " failed\n", pc_mode_name(mode), n, failed);
        }
    }
    free(r);
    return PC_OK;
}
