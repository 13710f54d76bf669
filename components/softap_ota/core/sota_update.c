/* One firmware update as a state machine: see sota_update.h for the contract. */
#include "sota_update.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sota_ident.h"
#include "sota_policy.h"
#include "sota_text.h"

#define ADVICE_TOO_BIG "Build a smaller app, or flash a partition table with larger OTA slots over USB."

static void vfail(sota_update_t *u, sota_update_err_t err, const char *advice, const char *fmt,
                  va_list ap)
{
    if (u->state == SOTA_UPDATE_ST_FAILED) {
        return;
    }
    size_t at = sota_text_vput(u->msg, sizeof u->msg, fmt, ap);
    if (advice != NULL && advice[0] != '\0' && at + 2 < sizeof u->msg) {
        sota_text_add(u->msg, sizeof u->msg, " %s", advice);
        at++;
    }
    u->advice_at = (uint16_t)at;
    u->err = err;
    u->state = SOTA_UPDATE_ST_FAILED;
    sota_img_abort(&u->img);
    if (u->fs_hashing) {
        sota_sha256_free(&u->fs_hash);
        u->fs_hashing = false;
    }
    if (u->begun && u->ops->abort) {
        u->ops->abort(u->ctx);
    }
}

static void fail(sota_update_t *u, sota_update_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(sota_update_t *u, sota_update_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(u, err, NULL, fmt, ap);
    va_end(ap);
}

/* A failure with its advice: fmt says what happened, advice what to do. */
static void fail_adv(sota_update_t *u, sota_update_err_t err, const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_adv(sota_update_t *u, sota_update_err_t err, const char *advice, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(u, err, advice, fmt, ap);
    va_end(ap);
}

void sota_update_init(sota_update_t *u, const sota_update_cfg_t *cfg,
                      const sota_update_ops_t *ops, void *ctx)
{
    memset(u, 0, sizeof *u);
    u->cfg = *cfg;
    u->ops = ops;
    u->ctx = ctx;
    u->state = SOTA_UPDATE_ST_HEAD;
    u->kind = SOTA_FILE__COUNT;
    u->fs_index = -1;
    sota_img_init(&u->img, &cfg->img);
}

const sota_fs_part_t *sota_update_fs_part(const sota_update_t *u)
{
    return u->fs_index >= 0 ? &u->cfg.parts[u->fs_index] : NULL;
}

/* The size of what is written: the app slot, or the filesystem's partition. */
static uint32_t target_size(const sota_update_t *u)
{
    return u->fs_index >= 0 ? u->cfg.parts[u->fs_index].size : u->cfg.img.slot_size;
}

/* How messages name it. */
static const char *target_name(const sota_update_t *u, char *buf, size_t n)
{
    if (u->fs_index < 0) {
        return "the app slot";
    }
    snprintf(buf, n, "partition \"%.16s\"", u->cfg.parts[u->fs_index].label);
    return buf;
}

/* Map a verifier failure onto the update's outcome classes (its messages carry their
 * own advice). */
static void fail_from_img(sota_update_t *u)
{
    sota_update_err_t e = u->img.err == SOTA_IMG_ERR_TOO_BIG ? SOTA_UPDATE_ERR_TOO_BIG : SOTA_UPDATE_ERR_VERIFY;
    fail(u, e, "%s", sota_img_message(&u->img));
}

/* --- erase-ahead ------------------------------------------------------------------- */

/* Where the image is expected to end in the slot, as far as it is known now. */
static uint64_t expected_end(const sota_update_t *u)
{
    if (u->fs_rest) {
        return 0;   /* a filesystem's end: the rest of the partition is erased too */
    }
    if (u->fs_index >= 0) {
        return u->cfg.announced_exact ? u->cfg.announced_len : 0;
    }
    if (u->img.complete) {
        return u->img.image_len;
    }
    if (u->cfg.announced_len && u->cfg.announced_exact) {
        return u->cfg.announced_len;
    }
    return 0;
}

static uint32_t align_up(uint64_t v, uint32_t a)
{
    return (uint32_t)((v + a - 1) / a * a);
}

/* Make sure slot bytes [0, upto) are erased before they are written: walk block by
 * block from u->prepared, erase only what does not read as erased, and choose per
 * block between one block erase and its dirty sectors. */
static int prepare(sota_update_t *u, uint32_t upto)
{
    const uint32_t slot = target_size(u);
    while (u->prepared < upto) {
        uint32_t start = u->prepared;
        uint32_t blk = start / SOTA_UPDATE_BLOCK * SOTA_UPDATE_BLOCK;
        uint32_t blk_end = blk + SOTA_UPDATE_BLOCK;
        if (blk_end > slot) {
            blk_end = slot;
        }
        /* Only as far as the image goes when its end is known. */
        uint32_t need_end = blk_end;
        uint64_t exp = expected_end(u);
        if (exp) {
            uint32_t e = align_up(exp > upto ? exp : upto, SOTA_UPDATE_SECTOR);
            if (e < need_end) {
                need_end = e;
            }
        }
        uint32_t dirty = 0;
        bool dirty_map[SOTA_UPDATE_BLOCK / SOTA_UPDATE_SECTOR] = { false };
        for (uint32_t s = start; s < need_end; s += SOTA_UPDATE_SECTOR) {
            bool erased = false;
            int rc = u->ops->is_erased(u->ctx, s, SOTA_UPDATE_SECTOR, &erased);
            if (rc) {
                u->platform_err = rc;
                return rc;
            }
            if (!erased) {
                dirty_map[(s - blk) / SOTA_UPDATE_SECTOR] = true;
                dirty++;
            }
        }
        bool whole_block = start == blk && blk_end - blk == SOTA_UPDATE_BLOCK;
        if (dirty && whole_block && SOTA_UPDATE_COST_BLOCK < dirty * SOTA_UPDATE_COST_SECTOR) {
            int rc = u->ops->erase(u->ctx, blk, SOTA_UPDATE_BLOCK);
            if (rc) {
                u->platform_err = rc;
                return rc;
            }
            u->stats.blocks_erased++;
            u->prepared = blk_end;
            continue;
        }
        for (uint32_t s = start; s < need_end; s += SOTA_UPDATE_SECTOR) {
            if (!dirty_map[(s - blk) / SOTA_UPDATE_SECTOR]) {
                u->stats.bytes_skipped_erased += SOTA_UPDATE_SECTOR;
                continue;
            }
            int rc = u->ops->erase(u->ctx, s, SOTA_UPDATE_SECTOR);
            if (rc) {
                u->platform_err = rc;
                return rc;
            }
            u->stats.sectors_erased++;
        }
        u->prepared = need_end;
    }
    return 0;
}

/* Write file bytes [u->written, +len) to the slot. */
/* What a failed write leaves: the running app is unchanged; a filesystem partition
 * is incomplete. */
static const char *after_failure(const sota_update_t *u)
{
    return u->fs_index >= 0 ? "the partition is incomplete until an upload of the image succeeds"
                            : "the running app is unchanged";
}

static sota_update_err_t write_out(sota_update_t *u, const uint8_t *data, size_t len)
{
    const uint32_t slot = target_size(u);
    char nb[40];
    if ((uint64_t)u->written + len > slot) {
        if (u->fs_index >= 0) {
            fail_adv(u, SOTA_UPDATE_ERR_TOO_BIG, "Build the image for the partition's size.",
                     "The image is larger than %s (%u bytes): more than %u bytes received.",
                     target_name(u, nb, sizeof nb), (unsigned)slot, (unsigned)slot);
            return u->err;
        }
        fail_adv(u, SOTA_UPDATE_ERR_TOO_BIG, ADVICE_TOO_BIG,
                 "The app is larger than the %u KiB app slot (more than %u bytes received).",
                 (unsigned)(slot / 1024), (unsigned)slot);
        return u->err;
    }
    if (prepare(u, u->written + (uint32_t)len)) {
        fail(u, SOTA_UPDATE_ERR_FLASH,
             "erasing %s at offset 0x%x failed (error 0x%x): the flash may be worn "
             "or failing; %s, try again", target_name(u, nb, sizeof nb),
             (unsigned)u->prepared, (unsigned)u->platform_err, after_failure(u));
        return u->err;
    }
    int rc = u->ops->write(u->ctx, u->written, data, len);
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH,
             "writing %s at offset 0x%x failed (error 0x%x): %s, try again",
             target_name(u, nb, sizeof nb), (unsigned)u->written, (unsigned)rc, after_failure(u));
        return u->err;
    }
    u->written += (uint32_t)len;
    return SOTA_UPDATE_OK;
}

/* --- the checks on the first bytes ------------------------------------------------ */

static bool policy_ok(sota_update_t *u)
{
    const softap_ota_policy_t *p = &u->cfg.policy;
    const sota_img_t *v = &u->img;
    bool desc_ok = v->have_desc && v->desc.magic_word == SOTA_APP_DESC_MAGIC;

    if (p->require_app_desc && !desc_ok) {
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Upload a build that has one (Arduino-ESP32 2.x or later, ESP-IDF 4 or later, "
                 "PlatformIO with a current espressif32 platform), or turn this rule off "
                 "(SOFTAP_OTA_REQUIRE_APP_DESC, require_app_desc).",
                 "policy require_app_desc: the image has no app description (esp_app_desc_t "
                 "magic 0x%08x, expected 0xabcd5432), so its project and version are unknown; "
                 "Arduino-ESP32 1.x builds have none, and ESP-IDF's bootloader boots them.",
                 (unsigned)v->desc.magic_word);
        return false;
    }
    if (p->require_sha256 && v->have_header && !v->hdr.hash_appended) {
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Build it without --dont-append-digest (ESP-IDF appends it by default), or "
                 "turn this rule off in the updater's configuration.",
                 "policy require_sha256: the image has no appended SHA-256, so corruption in "
                 "transit could go unnoticed.");
        return false;
    }
    if (!desc_ok) {
        return true;
    }
    const sota_policy_app_t app = { v->desc.project_name, v->desc.version, v->desc.secure_version };
    const sota_policy_app_t run = { u->cfg.running_project, u->cfg.running_version,
                                    u->cfg.running_secure_version };
    const sota_policy_app_t failed = { u->cfg.failed_project, u->cfg.failed_version, 0 };
    switch (sota_policy_identity(p, &app, &run, &failed)) {
    case SOTA_POLICY_ALLOWED:
        return true;
    case SOTA_POLICY_OTHER_PROJECT:
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Upload a build of the running project, or turn this rule off in the "
                 "updater's configuration.",
                 "policy require_same_project: the image is project '%s' but this device runs "
                 "'%s'.", v->desc.project_name, u->cfg.running_project);
        return false;
    case SOTA_POLICY_DOWNGRADE:
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Upload a newer build, or turn this rule off in the updater's configuration.",
                 "policy refuse_downgrade: the image is version '%s', lower than the running "
                 "'%s'.", v->desc.version, u->cfg.running_version);
        return false;
    case SOTA_POLICY_LOWER_SECURE_VERSION:
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Build it with a CONFIG_BOOTLOADER_APP_SECURE_VERSION at least the running "
                 "app's, or turn this rule off in the updater's configuration.",
             "policy refuse_lower_secure_version: the image has secure_version %u, lower "
             "than the running app's %u (anti-rollback); the lowest accepted is %u.",
             (unsigned)v->desc.secure_version, (unsigned)u->cfg.running_secure_version,
             (unsigned)u->cfg.running_secure_version);
        return false;
    case SOTA_POLICY_FAILED_VERSION:
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Upload a fixed build with a new version, or turn this rule off in the "
                 "updater's configuration.",
             "policy refuse_failed_version: %s %s is the version that last failed its health "
             "check on this device and was rolled back.",
             v->desc.project_name, v->desc.version);
        return false;
    }
    return true;
}

sota_update_err_t sota_update_check_announced(sota_update_t *u)
{
    if (u->state != SOTA_UPDATE_ST_FAILED && u->cfg.announced_exact &&
        u->cfg.announced_len > u->cfg.img.slot_size) {
        fail_adv(u, SOTA_UPDATE_ERR_TOO_BIG, ADVICE_TOO_BIG,
                 "The app is %llu bytes but the app slot holds %u bytes (%u KiB).",
                 (unsigned long long)u->cfg.announced_len, (unsigned)u->cfg.img.slot_size,
                 (unsigned)(u->cfg.img.slot_size / 1024));
    }
    return u->state == SOTA_UPDATE_ST_FAILED ? u->err : SOTA_UPDATE_OK;
}

/* SHA-256 of the file's first min(total, SOTA_UPDATE_PROOF_LEN) bytes: the head holds
 * them (SOTA_UPDATE_HEAD_LEN is larger), or the whole file when it is shorter. */
static int head_digest(sota_update_t *u)
{
    sota_sha256_t h;
    uint32_t n = u->head_len < SOTA_UPDATE_PROOF_LEN ? u->head_len : SOTA_UPDATE_PROOF_LEN;
    if (sota_sha256_start(&h) || sota_sha256_update(&h, u->head, n) || sota_sha256_finish(&h, u->head_sha)) {
        sota_sha256_free(&h);
        return -1;
    }
    return 0;
}

/* Name the file from its head: anything but an app for this chip is refused here, with
 * the kind's reason and advice. A file that starts with a bootloader and whose length is
 * not known yet (multipart) waits for it: u->decide_len. */
/* A filesystem image: choose its partition (sota_fs_pick), or refuse with the kind's
 * reason and why no partition fits. */
static sota_update_err_t identify_fs(sota_update_t *u, const sota_ident_t *id)
{
    static const sota_update_err_t errs[] = {
        [SOTA_FS_PICK_NONE] = SOTA_UPDATE_ERR_NOT_APP,
        [SOTA_FS_PICK_SEVERAL] = SOTA_UPDATE_ERR_CHOOSE_PARTITION,
        [SOTA_FS_PICK_NO_SUCH] = SOTA_UPDATE_ERR_NO_PARTITION,
        [SOTA_FS_PICK_WRONG_TYPE] = SOTA_UPDATE_ERR_WRONG_PARTITION,
        [SOTA_FS_PICK_UNWRITABLE] = SOTA_UPDATE_ERR_WRONG_PARTITION,
    };
    char why[240], advice[200];
    size_t at = 0;
    size_t n = u->cfg.n_parts < SOTA_FS_MAX_PARTS ? u->cfg.n_parts : SOTA_FS_MAX_PARTS;
    sota_fs_pick_t r = sota_fs_pick(u->cfg.parts, u->cfg.parts ? n : 0, id->kind, u->cfg.fs_label,
                                    &at, why, sizeof why, advice, sizeof advice);
    u->fs = id->fs;
    if (r != SOTA_FS_PICK_OK) {
        fail_adv(u, errs[r], advice, "%s %s", id->reason, why);
        return u->err;
    }
    u->fs_index = (int)at;
    snprintf(u->msg, sizeof u->msg, "%s %s", id->reason, why);
    u->advice_at = (uint16_t)strlen(u->msg);
    return SOTA_UPDATE_OK;
}

static sota_update_err_t identify(sota_update_t *u, uint64_t total)
{
    sota_ident_t id;
    sota_ident(u->head, u->head_len, total, u->cfg.img.chip, &id);
    u->kind = id.kind;
    u->decide_len = 0;
    if (sota_ident_kind_is_fs(id.kind)) {
        return identify_fs(u, &id);
    }
    if (id.kind == SOTA_FILE_APP && u->cfg.fs_label != NULL && u->cfg.fs_label[0] != '\0') {
        fail_adv(u, SOTA_UPDATE_ERR_WRONG_PARTITION, "Leave ?partition= out: an app goes to the "
                 "next OTA slot by itself.", "%s ?partition=%.40s names a partition for "
                 "filesystem images.", id.reason, u->cfg.fs_label);
        return u->err;
    }
    if (id.kind == SOTA_FILE_APP) {
        /* what the file is, until a check or the end says more */
        snprintf(u->msg, sizeof u->msg, "%s %s", id.reason, id.advice);
        u->advice_at = (uint16_t)(strlen(id.reason) + 1);
        return SOTA_UPDATE_OK;
    }
    if (id.decide_len != 0) {
        u->decide_len = id.decide_len;   /* refused either way; named once the length is known */
        return SOTA_UPDATE_OK;
    }
    fail_adv(u, SOTA_UPDATE_ERR_NOT_APP, id.advice, "%s", id.reason);
    return u->err;
}

/* The checks on a filesystem image's head against its partition. */
static sota_update_err_t judge_fs(sota_update_t *u)
{
    const sota_fs_part_t *p = &u->cfg.parts[u->fs_index];
    const char *kname = sota_ident_kind_name(u->kind);
    uint64_t fs_size = u->fs.size;
    if (!u->fs.known) {
        fail_adv(u, SOTA_UPDATE_ERR_VERIFY, "Build the image again (ESP-IDF's "
                 "*_create_partition_image, mklittlefs, mkspiffs, mkfs.fat).",
                 "This %s image's %s could not be read: the file is damaged.", kname,
                 u->kind == SOTA_FILE_FAT ? "boot sector" : "superblock");
        return u->err;
    }
    uint64_t len = u->cfg.announced_len;
    if ((u->cfg.announced_exact && len > p->size) || fs_size > p->size ||
        (!u->cfg.announced_exact && len > (uint64_t)p->size + SOTA_UPDATE_BLOCK)) {
        fail_adv(u, SOTA_UPDATE_ERR_TOO_BIG, "Build the image for the partition's size, or "
                 "flash a partition table with a larger partition over USB.",
                 "The %s image is %llu bytes (its filesystem %llu) but partition \"%.16s\" holds "
                 "%u bytes (%u KiB).", kname, (unsigned long long)len,
                 (unsigned long long)fs_size, p->label, (unsigned)p->size,
                 (unsigned)(p->size / 1024));
        return u->err;
    }
    /* An upper bound (a form's whole body) below the filesystem's size is as sure as
     * an exact length: refused here, before anything is erased. */
    if (len != 0 && len < fs_size) {
        fail_adv(u, SOTA_UPDATE_ERR_VERIFY, "Download or build the image again and upload "
                 "the whole file.", "The file is %s%llu bytes but the %s filesystem in it spans "
                 "%llu: it is truncated.", u->cfg.announced_exact ? "" : "at most ",
                 (unsigned long long)len, kname, (unsigned long long)fs_size);
        return u->err;
    }
    /* LittleFS and SPIFFS mount only with the block count they were made with: ESP-IDF
     * takes it from the partition's size. */
    if (u->kind != SOTA_FILE_FAT && fs_size != 0 && fs_size != p->size) {
        fail_adv(u, SOTA_UPDATE_ERR_WRONG_PARTITION, "Build the image with the partition's "
                 "size (ESP-IDF's *_create_partition_image takes it from the partition table; "
                 "mklittlefs and mkspiffs: -s SIZE).",
                 "The %s filesystem in the file is %llu bytes but partition \"%.16s\" is %u: "
                 "it would not mount there.", kname, (unsigned long long)fs_size, p->label,
                 (unsigned)p->size);
        return u->err;
    }
    return SOTA_UPDATE_OK;
}

/* Every check on the head of a file identified as an app for this chip (or a filesystem
 * image for its partition), with no operation called: what sota_update_precheck()
 * answers. */
static sota_update_err_t judge_head(sota_update_t *u, bool at_end)
{
    if (u->fs_index >= 0) {
        return judge_fs(u);
    }
    if (u->cfg.policy.require_signed && u->cfg.announced_exact &&
        (u->cfg.announced_len % SOTA_SIG_SECTOR_LEN != 0 || u->cfg.announced_len < 2 * SOTA_SIG_SECTOR_LEN)) {
        fail_adv(u, SOTA_UPDATE_ERR_POLICY,
                 "Sign it with espsecure.py sign_data --version 2 --keyfile KEY.pem (or build "
                 "with CONFIG_SECURE_BOOT_BUILD_SIGNED_BINARIES).",
                 "policy require_signed: the file is %llu bytes, not a whole number of 4 KiB "
                 "sectors, so it carries no Secure Boot V2 signature sector.",
                 (unsigned long long)u->cfg.announced_len);
        return u->err;
    }
    if (sota_update_check_announced(u) != SOTA_UPDATE_OK) {
        return u->err;
    }
    /* Run the verifier over the head: header, chip, revision, segment headers seen so
     * far and segment 0 with the app description. */
    if (sota_img_feed(&u->img, u->head, u->head_len) != SOTA_IMG_OK) {
        fail_from_img(u);
        return u->err;
    }
    /* The whole file fits in the head: give the full verdict before touching flash. */
    if (at_end && sota_img_finish(&u->img) != SOTA_IMG_OK) {
        fail_from_img(u);
        return u->err;
    }
    if (!policy_ok(u)) {
        return u->err;
    }
    /* Multipart bodies give only an upper bound; refuse what cannot possibly fit. */
    if (!u->cfg.announced_exact && u->cfg.announced_len > (uint64_t)u->cfg.img.slot_size + SOTA_UPDATE_BLOCK) {
        fail_adv(u, SOTA_UPDATE_ERR_TOO_BIG, ADVICE_TOO_BIG,
                 "The upload is %llu bytes but the app slot holds %u bytes (%u KiB).",
                 (unsigned long long)u->cfg.announced_len, (unsigned)u->cfg.img.slot_size,
                 (unsigned)(u->cfg.img.slot_size / 1024));
        return u->err;
    }
    return SOTA_UPDATE_OK;
}

/* A filesystem image passed its checks: open its partition (recorded as being written
 * before anything is erased), start the file's digest, write the head. */
static sota_update_err_t begin_fs(sota_update_t *u, bool at_end)
{
    const sota_fs_part_t *p = &u->cfg.parts[u->fs_index];
    char why[200] = "";
    uint64_t size = at_end ? u->received : u->cfg.announced_exact ? u->cfg.announced_len : 0;
    int rc = u->ops->fs_begin ? u->ops->fs_begin(u->ctx, (size_t)u->fs_index, (uint32_t)size,
                                                 u->cfg.fs_sha, why, sizeof why)
                              : -1;
    if (rc == SOTA_UPDATE_FS_REFUSED) {
        fail_adv(u, SOTA_UPDATE_ERR_REFUSED, "Stop what uses the partition and try again.",
                 "The app did not release partition \"%.16s\" for the update (%s); nothing "
                 "was written.", p->label, why[0] ? why : "no reason given");
        return u->err;
    }
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH, "could not open partition \"%.16s\" for writing (%s, "
             "error 0x%x): nothing was written, try again", p->label, why[0] ? why : "no detail",
             (unsigned)rc);
        return u->err;
    }
    u->begun = true;
    u->state = SOTA_UPDATE_ST_STREAM;
    if (head_digest(u) != 0 || sota_sha256_start(&u->fs_hash) != 0) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: SHA-256 of the file's first bytes failed");
        return u->err;
    }
    u->fs_hashing = true;
    if (sota_sha256_update(&u->fs_hash, u->head, u->head_len) != 0) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: SHA-256 of the file failed");
        return u->err;
    }
    return write_out(u, u->head, u->head_len);
}

/* The head is complete (or the file ended inside it): decide before touching flash. */
static sota_update_err_t check_head(sota_update_t *u, bool at_end)
{
    uint64_t total = at_end ? u->received : (u->cfg.announced_exact ? u->cfg.announced_len : 0);
    if (identify(u, total) != SOTA_UPDATE_OK || u->decide_len != 0) {
        return u->state == SOTA_UPDATE_ST_FAILED ? u->err : SOTA_UPDATE_OK;
    }
    if (judge_head(u, at_end) != SOTA_UPDATE_OK) {
        return u->err;
    }
    if (u->fs_index >= 0) {
        return begin_fs(u, at_end);
    }
    int rc = u->ops->begin(u->ctx);
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH,
             "could not open the app slot for writing (error 0x%x): the running app is "
             "unchanged; if the device just updated, it must confirm the new app first",
             (unsigned)rc);
        return u->err;
    }
    u->begun = true;
    u->state = SOTA_UPDATE_ST_STREAM;
    if (head_digest(u) != 0) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: SHA-256 of the file's first bytes failed");
        return u->err;
    }
    return write_out(u, u->head, u->head_len);
}

sota_update_err_t sota_update_precheck(sota_update_t *u, const sota_update_cfg_t *cfg,
                                    const uint8_t *head, size_t len)
{
    static const sota_update_ops_t no_ops = { 0 };
    sota_update_init(u, cfg, &no_ops, NULL);
    u->cfg.announced_exact = true;
    uint64_t total = u->cfg.announced_len;
    uint64_t need = total < SOTA_UPDATE_HEAD_LEN ? total : SOTA_UPDATE_HEAD_LEN;
    if (total == 0) {
        identify(u, 0);   /* no byte: the empty file */
        return u->err;
    }
    if (head == NULL || len < need) {
        fail(u, SOTA_UPDATE_ERR_STATE, "the check needs the file's length (at least 1) and its first "
             "%llu bytes, it got %zu", (unsigned long long)need, len);
        return u->err;
    }
    memcpy(u->head, head, (size_t)need);
    u->head_len = (uint32_t)need;
    u->received = need;
    bool whole = need == total;
    if (identify(u, total) != SOTA_UPDATE_OK) {
        return u->err;
    }
    return judge_head(u, whole);
}

const char *sota_update_explain(const sota_update_t *u, char *reason, size_t n)
{
    size_t at = u->advice_at <= strlen(u->msg) ? u->advice_at : strlen(u->msg);
    if (n > 0) {
        size_t k = at < n - 1 ? at : n - 1;
        while (k > 0 && u->msg[k - 1] == ' ') {
            k--;
        }
        memcpy(reason, u->msg, k);
        reason[k] = '\0';
    }
    const char *adv = u->msg + at;
    return *adv == ' ' ? adv + 1 : adv;
}

/* A refused file named from its head but whose kind waits for its length: nothing is
 * kept, the bytes are only counted until the length decides. */
static sota_update_err_t waiting(sota_update_t *u)
{
    if (u->received > u->decide_len) {
        identify(u, u->received);   /* longer than decide_len: enough to name it */
        if (u->state != SOTA_UPDATE_ST_FAILED) {
            fail(u, SOTA_UPDATE_ERR_STATE, "internal error: the file was named twice differently");
        }
    }
    return u->state == SOTA_UPDATE_ST_FAILED ? u->err : SOTA_UPDATE_OK;
}

sota_update_err_t sota_update_feed(sota_update_t *u, const void *data, size_t len)
{
    if (u->state == SOTA_UPDATE_ST_FAILED) {
        return u->err;
    }
    if (u->state == SOTA_UPDATE_ST_DONE || (len && !data)) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: data after the end of the update");
        return u->err;
    }
    const uint8_t *p = data;
    u->received += len;
    if (u->decide_len != 0) {
        return waiting(u);
    }
    if (u->state == SOTA_UPDATE_ST_HEAD) {
        size_t take = SOTA_UPDATE_HEAD_LEN - u->head_len;
        if (take > len) {
            take = len;
        }
        memcpy(u->head + u->head_len, p, take);
        u->head_len += (uint32_t)take;
        p += take;
        len -= take;
        if (u->head_len < SOTA_UPDATE_HEAD_LEN) {
            return SOTA_UPDATE_OK;
        }
        if (check_head(u, false) != SOTA_UPDATE_OK) {
            return u->err;
        }
        if (u->decide_len != 0) {
            return waiting(u);
        }
    }
    if (!len) {
        return SOTA_UPDATE_OK;
    }
    if (u->fs_index >= 0) {
        if (sota_sha256_update(&u->fs_hash, p, len) != 0) {
            fail(u, SOTA_UPDATE_ERR_STATE, "internal error: SHA-256 of the file failed");
            return u->err;
        }
        return write_out(u, p, len);
    }
    if (sota_img_feed(&u->img, p, len) != SOTA_IMG_OK) {
        fail_from_img(u);
        return u->err;
    }
    return write_out(u, p, len);
}

/* require_signed, at the end: the signature sector follows the image padded to 4 KiB;
 * check it, and the image digest, on what flash holds. */
static bool signature_ok(sota_update_t *u)
{
    uint32_t signed_len = sota_sig_signed_len(u->img.image_len);
    if (u->received < (uint64_t)signed_len + SOTA_SIG_SECTOR_LEN) {
        fail(u, SOTA_UPDATE_ERR_POLICY,
             "policy require_signed: the file ends %llu bytes after its %u-byte image, without "
             "a Secure Boot V2 signature sector: the app is not signed. Sign it with "
             "espsecure.py sign_data --version 2 --keyfile KEY.pem",
             (unsigned long long)(u->received > u->img.image_len ? u->received - u->img.image_len : 0),
             (unsigned)u->img.image_len);
        return false;
    }
    if (!u->ops->read) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: require_signed without a read operation");
        return false;
    }
    sota_sig_result_t res;
    if (sota_sig_verify_from(u->ops->read, u->ctx, signed_len, u->cfg.trusted_keys, u->cfg.n_trusted_keys,
                             &res) != SOTA_SIG_OK) {
        fail(u, res.err == SOTA_SIG_ERR_READ ? SOTA_UPDATE_ERR_FLASH : SOTA_UPDATE_ERR_POLICY,
             "policy require_signed: %s", res.msg);
        return false;
    }
    return true;
}

/* "0123abcd..." of a digest: the first 8 bytes, enough for people to compare. */
static void short_hex(const uint8_t *d, char out[17])
{
    for (int i = 0; i < 8; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* Read the written bytes back and hash them: they must be the file's. */
static int read_back(sota_update_t *u, uint8_t digest[SOTA_SHA256_LEN])
{
    sota_sha256_t h;
    uint8_t buf[256];
    if (!u->ops->read || sota_sha256_start(&h) != 0) {
        return -1;
    }
    for (uint32_t off = 0; off < u->written; off += sizeof buf) {
        uint32_t n = u->written - off < sizeof buf ? u->written - off : (uint32_t)sizeof buf;
        int rc = u->ops->read(u->ctx, off, buf, n);
        if (rc || sota_sha256_update(&h, buf, n) != 0) {
            sota_sha256_free(&h);
            u->platform_err = rc;
            return rc ? rc : -1;
        }
    }
    return sota_sha256_finish(&h, digest);
}

/* The end of a filesystem image: erase the rest of the partition, compare the digest
 * with the client's, record it, read back, and only then finish (clear the record). */
static sota_update_err_t finish_fs(sota_update_t *u)
{
    const sota_fs_part_t *p = &u->cfg.parts[u->fs_index];
    const char *kname = sota_ident_kind_name(u->kind);
    char nb[40], a[17], b[17];
    if (u->received < u->fs.size) {
        fail_adv(u, SOTA_UPDATE_ERR_VERIFY, "Download or build the image again and upload the "
                 "whole file.", "The file is %llu bytes but the %s filesystem in it spans %llu: "
                 "it is truncated; partition \"%.16s\" is incomplete.",
                 (unsigned long long)u->received, kname, (unsigned long long)u->fs.size, p->label);
        return u->err;
    }
    u->fs_rest = true;
    if (prepare(u, p->size)) {
        fail(u, SOTA_UPDATE_ERR_FLASH, "erasing the rest of %s at offset 0x%x failed (error "
             "0x%x): %s, try again", target_name(u, nb, sizeof nb), (unsigned)u->prepared,
             (unsigned)u->platform_err, after_failure(u));
        return u->err;
    }
    u->fs_hashing = false;
    if (sota_sha256_finish(&u->fs_hash, u->fs_digest) != 0) {
        fail(u, SOTA_UPDATE_ERR_STATE, "internal error: SHA-256 of the file failed");
        return u->err;
    }
    if (u->cfg.fs_sha && memcmp(u->cfg.fs_sha, u->fs_digest, SOTA_SHA256_LEN) != 0) {
        short_hex(u->fs_digest, a);
        short_hex(u->cfg.fs_sha, b);
        fail_adv(u, SOTA_UPDATE_ERR_MISMATCH, "Upload the image again.",
                 "The file received has SHA-256 %s..., not the %s... announced in "
                 "X-Sota-SHA256: it changed on the way; partition \"%.16s\" is incomplete.",
                 a, b, p->label);
        return u->err;
    }
    int rc = u->ops->fs_digest ? u->ops->fs_digest(u->ctx, u->fs_digest) : 0;
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH, "recording the image's SHA-256 failed (error 0x%x): %s, "
             "try again", (unsigned)rc, after_failure(u));
        return u->err;
    }
    uint8_t back[SOTA_SHA256_LEN];
    rc = read_back(u, back);
    if (rc || memcmp(back, u->fs_digest, SOTA_SHA256_LEN) != 0) {
        fail(u, SOTA_UPDATE_ERR_FLASH, "the bytes read back from %s %s (error 0x%x): the flash "
             "may be failing; %s, try again", target_name(u, nb, sizeof nb),
             rc ? "could not be read" : "differ from the file", (unsigned)rc, after_failure(u));
        return u->err;
    }
    char why[200] = "";
    rc = u->ops->finish(u->ctx, why, sizeof why);
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH, "the image was written and read back intact, but "
             "finishing failed (%s, error 0x%x): try again", why[0] ? why : "no detail",
             (unsigned)rc);
        return u->err;
    }
    u->begun = false;
    u->state = SOTA_UPDATE_ST_DONE;
    short_hex(u->fs_digest, a);
    snprintf(u->msg, sizeof u->msg, "wrote the %s image (%u bytes, SHA-256 %s...) to partition "
             "\"%.16s\", read it back and verified it; the rest of the partition is erased",
             kname, (unsigned)u->written, a, p->label);
    u->advice_at = (uint16_t)strlen(u->msg);
    return SOTA_UPDATE_OK;
}

sota_update_err_t sota_update_finish(sota_update_t *u)
{
    if (u->state == SOTA_UPDATE_ST_FAILED) {
        return u->err;
    }
    if (u->state == SOTA_UPDATE_ST_DONE) {
        return SOTA_UPDATE_OK;
    }
    if (u->decide_len != 0) {
        identify(u, u->received);   /* the exact length now */
        if (u->state != SOTA_UPDATE_ST_FAILED) {
            fail(u, SOTA_UPDATE_ERR_STATE, "internal error: the file was named twice differently");
        }
        return u->err;
    }
    if (u->state == SOTA_UPDATE_ST_HEAD && check_head(u, true) != SOTA_UPDATE_OK) {
        return u->err;
    }
    if (u->cfg.announced_exact && u->received != u->cfg.announced_len) {
        fail(u, SOTA_UPDATE_ERR_VERIFY,
             "the upload ended after %llu of %llu announced bytes: the transfer was cut off, try again",
             (unsigned long long)u->received, (unsigned long long)u->cfg.announced_len);
        return u->err;
    }
    if (u->fs_index >= 0) {
        return finish_fs(u);
    }
    if (sota_img_finish(&u->img) != SOTA_IMG_OK) {
        fail_from_img(u);
        return u->err;
    }
    if (u->cfg.policy.require_signed && !signature_ok(u)) {
        return u->err;
    }
    char why[200] = "";
    int rc = u->ops->finish(u->ctx, why, sizeof why);
    if (rc) {
        u->platform_err = rc;
        fail(u, SOTA_UPDATE_ERR_FLASH,
             "the image was received intact but the copy in flash did not verify or could not "
             "be selected for boot (%s, error 0x%x): the running app is unchanged, try again",
             why[0] ? why : "no detail", (unsigned)rc);
        return u->err;
    }
    u->begun = false;
    u->state = SOTA_UPDATE_ST_DONE;
    /* Bytes after the image (after its signature sector with require_signed): ESP-IDF
     * accepts them and so does this, but says so, since they were not installed. */
    uint64_t used = u->cfg.policy.require_signed
                        ? (uint64_t)sota_sig_signed_len(u->img.image_len) + SOTA_SIG_SECTOR_LEN
                        : u->img.image_len;
    u->trailing = u->received > used ? u->received - used : 0;
    const sota_app_desc_t *d = &u->img.desc;
    bool desc_ok = u->img.have_desc && d->magic_word == SOTA_APP_DESC_MAGIC;
    int n = snprintf(u->msg, sizeof u->msg, "installed %s %s (%u bytes), verified; it boots next",
                     desc_ok ? d->project_name : "app", desc_ok ? d->version : "(no version)",
                     (unsigned)u->img.image_len);
    if (u->trailing && n > 0 && (size_t)n < sizeof u->msg) {
        snprintf(u->msg + n, sizeof u->msg - (size_t)n, "; the %llu bytes after the image in the file "
                 "were ignored", (unsigned long long)u->trailing);
    }
    return SOTA_UPDATE_OK;
}

void sota_update_cancel(sota_update_t *u, const char *reason)
{
    if (u->state == SOTA_UPDATE_ST_FAILED || u->state == SOTA_UPDATE_ST_DONE) {
        return;
    }
    fail(u, SOTA_UPDATE_ERR_VERIFY, "%s", reason ? reason : "the upload was cancelled");
}

/* --- resume ------------------------------------------------------------------------ */

_Static_assert(SOTA_UPDATE_HEAD_LEN >= SOTA_UPDATE_PROOF_LEN, "the head must hold the proof's bytes");

bool sota_update_keepable(const sota_update_t *u)
{
    return u->state == SOTA_UPDATE_ST_STREAM && u->begun && u->cfg.announced_exact &&
           u->received == u->written && u->received < u->cfg.announced_len;
}

uint32_t sota_update_offset(const sota_update_t *u)
{
    return u->state == SOTA_UPDATE_ST_STREAM ? u->written : 0;
}

sota_update_err_t sota_update_resume_check(const sota_update_t *u, uint64_t offset, uint64_t total,
                                           const uint8_t *head_sha)
{
    if (!sota_update_keepable(u)) {
        return SOTA_UPDATE_ERR_NOTHING_TO_RESUME;
    }
    if (total != u->cfg.announced_len) {
        return SOTA_UPDATE_ERR_WRONG_TOTAL;
    }
    /* Constant time is not needed (the digest is of the client's own file), but a
     * byte-wise compare that always runs to the end costs nothing. */
    uint8_t diff = head_sha ? 0 : 1;
    for (size_t i = 0; head_sha && i < SOTA_SHA256_LEN; i++) {
        diff |= (uint8_t)(head_sha[i] ^ u->head_sha[i]);
    }
    if (diff) {
        return SOTA_UPDATE_ERR_DIFFERENT_FILE;
    }
    if (offset != u->written) {
        return SOTA_UPDATE_ERR_WRONG_OFFSET;
    }
    return SOTA_UPDATE_OK;
}

/* --- outcomes: the one table of codes and HTTP statuses ------------------------- */

static const struct {
    const char *code;
    uint16_t status;
} OUTCOMES[SOTA_UPDATE_ERR__COUNT] = {
    [SOTA_UPDATE_OK] = { "ok", 200 },
    [SOTA_UPDATE_ERR_NOT_APP] = { "not_app_image", 415 },
    [SOTA_UPDATE_ERR_TOO_BIG] = { "too_big", 413 },
    [SOTA_UPDATE_ERR_VERIFY] = { "verify_failed", 422 },
    [SOTA_UPDATE_ERR_POLICY] = { "policy", 422 },
    [SOTA_UPDATE_ERR_FLASH] = { "flash_error", 500 },
    [SOTA_UPDATE_ERR_STATE] = { "internal_error", 500 },
    [SOTA_UPDATE_ERR_BAD_REQUEST] = { "bad_request", 400 },
    [SOTA_UPDATE_ERR_DISCONNECTED] = { "disconnected", 400 },
    [SOTA_UPDATE_ERR_TIMEOUT] = { "timeout", 408 },
    [SOTA_UPDATE_ERR_STOPPED] = { "stopped", 503 },
    [SOTA_UPDATE_ERR_LENGTH_REQUIRED] = { "length_required", 411 },
    [SOTA_UPDATE_ERR_NO_MEMORY] = { "no_memory", 500 },
    [SOTA_UPDATE_ERR_NO_SLOT] = { "no_slot", 500 },
    [SOTA_UPDATE_ERR_BUSY] = { "busy", 409 },
    [SOTA_UPDATE_ERR_PENDING_VERIFY] = { "pending_verify", 409 },
    [SOTA_UPDATE_ERR_UNAUTHORIZED] = { "unauthorized", 401 },
    [SOTA_UPDATE_ERR_LOCKED_OUT] = { "locked_out", 429 },
    [SOTA_UPDATE_ERR_CROSS_SITE] = { "cross_site", 403 },
    [SOTA_UPDATE_ERR_BAD_RANGE] = { "bad_range", 400 },
    [SOTA_UPDATE_ERR_RESUME_PENDING] = { "resume_pending", 409 },
    [SOTA_UPDATE_ERR_NOTHING_TO_RESUME] = { "nothing_to_resume", 416 },
    [SOTA_UPDATE_ERR_WRONG_OFFSET] = { "wrong_offset", 416 },
    [SOTA_UPDATE_ERR_WRONG_TOTAL] = { "wrong_total", 409 },
    [SOTA_UPDATE_ERR_DIFFERENT_FILE] = { "different_file", 409 },
    [SOTA_UPDATE_ERR_NO_SUCH_SLOT] = { "no_such_slot", 404 },
    [SOTA_UPDATE_ERR_ALREADY_RUNNING] = { "already_running", 409 },
    [SOTA_UPDATE_ERR_NOT_BOOTABLE] = { "not_bootable", 422 },
    [SOTA_UPDATE_ERR_NO_PARTITION] = { "no_such_partition", 404 },
    [SOTA_UPDATE_ERR_WRONG_PARTITION] = { "wrong_partition", 422 },
    [SOTA_UPDATE_ERR_CHOOSE_PARTITION] = { "choose_partition", 400 },
    [SOTA_UPDATE_ERR_MISMATCH] = { "sha256_mismatch", 422 },
    [SOTA_UPDATE_ERR_REFUSED] = { "storage_in_use", 409 },
    [SOTA_UPDATE_ERR_NOT_FOUND] = { "not_found", 404 },
    [SOTA_UPDATE_ERR_METHOD] = { "method_not_allowed", 405 },
    [SOTA_UPDATE_ERR_FORBIDDEN] = { "forbidden", 403 },
    [SOTA_UPDATE_ERR_URI_TOO_LONG] = { "uri_too_long", 414 },
    [SOTA_UPDATE_ERR_HEADERS_TOO_LARGE] = { "headers_too_large", 431 },
    [SOTA_UPDATE_ERR_NOT_IMPLEMENTED] = { "not_implemented", 501 },
    [SOTA_UPDATE_ERR_HTTP_VERSION] = { "http_version", 505 },
};

int sota_update_http_status(sota_update_err_t err)
{
    return (unsigned)err < SOTA_UPDATE_ERR__COUNT ? OUTCOMES[err].status : 500;
}

const char *sota_update_err_code(sota_update_err_t err)
{
    return (unsigned)err < SOTA_UPDATE_ERR__COUNT ? OUTCOMES[err].code : OUTCOMES[SOTA_UPDATE_ERR_STATE].code;
}

/* --- versions ------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool sota_update_version_older(const char *a, const char *b)
{
    return a != NULL && b != NULL && a[0] != '\0' && b[0] != '\0' && sota_update_version_cmp(a, b) < 0;
}

int sota_update_version_cmp(const char *a, const char *b)
{
    if (*a == 'v' || *a == 'V') {
        a++;
    }
    if (*b == 'v' || *b == 'V') {
        b++;
    }
    for (;;) {
        /* end of both, or of one */
        bool ea = *a == '\0' || *a == '-' || *a == '+';
        bool eb = *b == '\0' || *b == '-' || *b == '+';
        if (ea || eb) {
            if (!ea) {
                return 1;   /* "1.2.1" > "1.2" */
            }
            if (!eb) {
                return -1;
            }
            /* same release: a pre-release ("-rc1") sorts below the release */
            bool pa = *a == '-', pb = *b == '-';
            if (pa != pb) {
                return pa ? -1 : 1;
            }
            return pa ? strcmp(a, b) : 0;
        }
        if (is_digit(*a) && is_digit(*b)) {
            unsigned long na = 0, nb = 0;
            while (is_digit(*a)) {
                na = na * 10 + (unsigned long)(*a++ - '0');
            }
            while (is_digit(*b)) {
                nb = nb * 10 + (unsigned long)(*b++ - '0');
            }
            if (na != nb) {
                return na < nb ? -1 : 1;
            }
            continue;
        }
        if (*a != *b) {
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        }
        a++;
        b++;
    }
}
