/* One firmware update, from the first byte received to the new boot partition, as a
 * portable state machine. It knows nothing of HTTP, ESP-IDF or flash chips: the caller
 * feeds it the file's bytes (raw, or the file part of a multipart body) and gives it a
 * writer (sota_update_ops_t) that reaches the app slot.
 *
 * What it guarantees (DESIGN.md, "The update path"):
 * 1. Nothing is erased or written until the first SOTA_UPDATE_HEAD_LEN bytes (or the
 *    whole file, if shorter) have been identified as an app image for this chip and
 *    passed every check that can be made on them: header, chip, revision, segment 0,
 *    app description and the upload policy, and then the announced size against the
 *    slot (a file that is not an app for this chip is named, never called too big).
 *    sota_update_precheck() runs exactly these checks and nothing else (POST /api/check).
 * 2. Flash is prepared ahead of the writes, one 64 KiB block at a time: sectors that
 *    already read as erased are not erased again; a block erase is used when it is
 *    cheaper than erasing its dirty sectors one by one, sector erases otherwise.
 * 3. RAM is constant: the head buffer and the verifier's state, nothing per byte.
 * 4. The image is verified as it streams (checksum, SHA-256, fit in the slot), then
 *    ops->finish() verifies it again from flash and selects it for the next boot.
 * 5. On any failure ops->abort() is called once, nothing selects the new slot, and the
 *    reason is kept in a message a user can act on.
 * 6. A filesystem image (littlefs, spiffs, fat) goes to a data partition instead, when
 *    cfg.parts lists one that fits (sota_fs_pick; cfg.fs_label names it when there are
 *    several): the image must fit the partition and hold the whole filesystem its head
 *    describes; ops->fs_begin (instead of begin) opens that partition and records that
 *    it is being written, before anything is erased. The file is hashed as it streams
 *    (SHA-256); at the end the rest of the partition is erased (the same erase-ahead),
 *    the digest is compared with cfg.fs_sha (the client's, when it sent one) and passed
 *    to ops->fs_digest, the written bytes are read back (ops->read) and must hash the
 *    same, and only then ops->finish clears the record. A filesystem partition has no
 *    second copy: a failure after fs_begin leaves it incomplete (and recorded so).
 * 7. A raw upload that breaks off after the first bytes were written can be resumed:
 *    the caller keeps the session as it is (slot open, what was written, the verifier's
 *    streaming state) and later feeds the rest of the same file from
 *    sota_update_offset(), after sota_update_resume_check() accepted the client's claim.
 *    Nothing is copied and nothing is erased twice (the erase-ahead position is part of
 *    the session).
 */
#ifndef SOTA_UPDATE_H
#define SOTA_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softap_ota_policy.h"
#include "sota_fs.h"
#include "sota_ident.h"
#include "sota_image.h"
#include "sota_sha256.h"
#include "sota_sig.h"

/* Bytes held back before anything is written: what sota_ident needs to tell every file
 * kind it knows (an esp32 merged image shows its bootloader at 0x1000). */
#define SOTA_UPDATE_HEAD_LEN   SOTA_IDENT_HEAD_LEN
#define SOTA_UPDATE_BLOCK      0x10000u   /* erase-ahead unit: one 64 KiB block */
#define SOTA_UPDATE_SECTOR     0x1000u    /* smallest erase: one 4 KiB sector */
/* Bytes of the file's start whose SHA-256 proves a resuming client sends the same file. */
#define SOTA_UPDATE_PROOF_LEN  4096u
/* Relative costs of the two erase commands (GD25Q32C typicals, ms). */
#define SOTA_UPDATE_COST_SECTOR 50u
#define SOTA_UPDATE_COST_BLOCK  250u

/* Every outcome a request to the updater can end with, and so every "error" code its
 * JSON answers carry: the update session's own verdicts, what ended a transfer or a
 * request (a timeout, a lost connection, a bad request, a busy updater), a resume
 * claim's and a switch of slots' verdicts, and what the HTTP server refuses itself.
 * Each has one stable code and one HTTP status, from one table: sota_update_err_code(),
 * sota_update_http_status(). The session itself ends only with the first six and the
 * filesystem ones. */
typedef enum {
    SOTA_UPDATE_OK = 0,             /* 200 "ok" */
    /* the update session's verdicts */
    SOTA_UPDATE_ERR_NOT_APP,        /* 415: not an app image for this chip (says what it is) */
    SOTA_UPDATE_ERR_TOO_BIG,        /* 413: larger than the slot */
    SOTA_UPDATE_ERR_VERIFY,         /* 422: app image fails a check of esp_image_verify */
    SOTA_UPDATE_ERR_POLICY,         /* 422: valid image refused by the upload policy */
    SOTA_UPDATE_ERR_FLASH,          /* 500: erasing, writing or selecting the slot failed */
    SOTA_UPDATE_ERR_STATE,          /* 500 "internal_error": a fault of the updater itself
                                     * (feed after the end, NULL args; the HTTP server's) */
    /* the transfer */
    SOTA_UPDATE_ERR_BAD_REQUEST,    /* 400: malformed request, form or body */
    SOTA_UPDATE_ERR_DISCONNECTED,   /* 400: the client went away mid-body */
    SOTA_UPDATE_ERR_TIMEOUT,        /* 408: the client stalled, or the upload took too long */
    SOTA_UPDATE_ERR_STOPPED,        /* 503: the app stopped the updater */
    SOTA_UPDATE_ERR_LENGTH_REQUIRED,/* 411: no Content-Length, or an empty body */
    SOTA_UPDATE_ERR_NO_MEMORY,      /* 500: no memory for the request's state */
    SOTA_UPDATE_ERR_NO_SLOT,        /* 500: the partition table has no slot to write */
    /* who may change what runs, and when */
    SOTA_UPDATE_ERR_BUSY,           /* 409: another update or switch runs */
    SOTA_UPDATE_ERR_PENDING_VERIFY, /* 409: the running app awaits its health check */
    SOTA_UPDATE_ERR_UNAUTHORIZED,   /* 401: missing or wrong credentials */
    SOTA_UPDATE_ERR_LOCKED_OUT,     /* 429: too many wrong credentials */
    SOTA_UPDATE_ERR_CROSS_SITE,     /* 403: posted by another site's page */
    /* resuming an interrupted upload (sota_update_resume_check, and the gate before it) */
    SOTA_UPDATE_ERR_BAD_RANGE,      /* 400: Content-Range malformed, or on a multipart body */
    SOTA_UPDATE_ERR_RESUME_PENDING, /* 409: another client's upload is kept for it */
    SOTA_UPDATE_ERR_NOTHING_TO_RESUME, /* 416: no kept upload (or it cannot be continued) */
    SOTA_UPDATE_ERR_WRONG_OFFSET,   /* 416: the range does not start at sota_update_offset() */
    SOTA_UPDATE_ERR_WRONG_TOTAL,    /* 409: the file has another total length */
    SOTA_UPDATE_ERR_DIFFERENT_FILE, /* 409: the head digest is missing or differs */
    /* switching the boot slot (POST /api/boot) */
    SOTA_UPDATE_ERR_NO_SUCH_SLOT,   /* 404: no app partition of that label */
    SOTA_UPDATE_ERR_ALREADY_RUNNING,/* 409: that slot runs now */
    SOTA_UPDATE_ERR_NOT_BOOTABLE,   /* 422: empty, or its image does not verify */
    /* filesystem images (guarantee 6; session verdicts too) */
    SOTA_UPDATE_ERR_NO_PARTITION,     /* 404: ?partition= names no partition */
    SOTA_UPDATE_ERR_WRONG_PARTITION,  /* 422: a partition of another type, encrypted or
                                         read-only, or ?partition= with an app image */
    SOTA_UPDATE_ERR_CHOOSE_PARTITION, /* 400: several partitions fit, none named */
    SOTA_UPDATE_ERR_MISMATCH,         /* 422: the file's SHA-256 is not the announced one */
    SOTA_UPDATE_ERR_REFUSED,          /* 409: the app's fs_before_write hook refused */
    /* what the HTTP server refuses itself */
    SOTA_UPDATE_ERR_NOT_FOUND,      /* 404 */
    SOTA_UPDATE_ERR_METHOD,         /* 405 "method_not_allowed" */
    SOTA_UPDATE_ERR_FORBIDDEN,      /* 403 */
    SOTA_UPDATE_ERR_URI_TOO_LONG,   /* 414 */
    SOTA_UPDATE_ERR_HEADERS_TOO_LARGE, /* 431 */
    SOTA_UPDATE_ERR_NOT_IMPLEMENTED,/* 501 */
    SOTA_UPDATE_ERR_HTTP_VERSION,   /* 505 */
    SOTA_UPDATE_ERR__COUNT
} sota_update_err_t;

/* Access to the target slot. Offsets are relative to the slot start. Each returns 0 on
 * success or a nonzero platform code (kept in sota_update_t.platform_err). */
typedef struct {
    /* Called once, when the first bytes passed every check: open the slot for writing
     * (esp_ota_begin). Nothing may be erased or written before this. */
    int (*begin)(void *ctx);
    /* Read [off, off+len) and report whether every byte is 0xFF. */
    int (*is_erased)(void *ctx, uint32_t off, uint32_t len, bool *erased);
    /* Erase [off, off+len): one 64 KiB block (aligned) or one 4 KiB sector. */
    int (*erase)(void *ctx, uint32_t off, uint32_t len);
    /* Program len bytes at off; the range was erased by this session. */
    int (*write)(void *ctx, uint32_t off, const void *data, size_t len);
    /* All bytes written and the streaming verdict is valid: verify from flash and set
     * the boot partition (esp_ota_end + esp_ota_set_boot_partition). On failure write a
     * reason to msg. */
    int (*finish)(void *ctx, char *msg, size_t msglen);
    /* Give up: release the slot (esp_ota_abort). Called at most once, only after begin. */
    void (*abort)(void *ctx);
    /* Read len bytes at off of the slot (what was written). Needed only with
     * policy.require_signed (the signature is checked on what flash holds, before
     * finish); may be NULL otherwise. */
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    /* Filesystem images only (may be NULL when cfg.n_parts is 0). Instead of begin: the
     * first bytes are a filesystem image for data partition cfg.parts[index] and passed
     * every check; let the app release it, open it for writing and record that it is
     * being written (size: the file's length, 0 if not known yet; sha: its SHA-256 when
     * the client announced one, else NULL), all before anything is erased. Every later
     * op (is_erased, erase, write, read, finish, abort) is on that partition. Return
     * SOTA_UPDATE_ERR_REFUSED-worthy refusals as 1 (msg: the app's reason), other
     * failures as a platform code with msg set. */
    int (*fs_begin)(void *ctx, size_t index, uint32_t size, const uint8_t *sha, char *msg,
                    size_t msglen);
    /* Filesystem images: the whole file is written and its SHA-256 known (before the
     * read-back): add it to the record. */
    int (*fs_digest)(void *ctx, const uint8_t sha[SOTA_SHA256_LEN]);
} sota_update_ops_t;

/* fs_begin's return code for "the app refused to release the partition". */
#define SOTA_UPDATE_FS_REFUSED 1

typedef struct {
    sota_img_params_t img;      /* chip, revision, slot size/offset, flash size */
    softap_ota_policy_t policy; /* the upload rules (include/softap_ota_policy.h): the
                                   configuration's, as they are. require_signed: the file
                                   must be the image, 0xFF up to 4 KiB, and a signature
                                   sector (sota_sig.h) signed by one of trusted_keys;
                                   checked on the announced length (a raw body's must be
                                   a multiple of 4 KiB) before anything is erased, and
                                   from flash (ops->read) before ops->finish.
                                   refuse_failed_version uses failed_project/version. */
    const char *running_project;    /* may be NULL (no policy check then) */
    const char *running_version;
    uint32_t running_secure_version;
    const char *failed_project;     /* the app that last failed its health check, */
    const char *failed_version;     /* NULL if none (refuse_failed_version) */
    sota_sig_key_t trusted_keys[SOTA_SIG_MAX_KEYS]; /* require_signed: keys accepted */
    size_t n_trusted_keys;
    uint64_t announced_len;     /* bytes the client announced for the file, 0 unknown */
    bool announced_exact;       /* announced_len is the file's exact length (raw body),
                                   else an upper bound (multipart body) */
    /* Filesystem images (guarantee 6): the device's partitions (none: every filesystem
     * image is refused as before, 415), the label the client named (?partition=, NULL
     * or "" for none) and the SHA-256 it announced for the file (NULL for none). */
    const sota_fs_part_t *parts;
    size_t n_parts;
    const char *fs_label;
    const uint8_t *fs_sha;
} sota_update_cfg_t;

typedef enum {
    SOTA_UPDATE_ST_HEAD,        /* collecting the first bytes (or, for a file that starts
                                with a bootloader and whose length is not known, counting
                                up to SOTA_IDENT_BOOT_REGION bytes to name it: decide_len) */
    SOTA_UPDATE_ST_STREAM,      /* writing */
    SOTA_UPDATE_ST_DONE,        /* finished: new slot selected */
    SOTA_UPDATE_ST_FAILED,      /* aborted: see err/msg */
} sota_update_state_t;

typedef struct {
    /* counters of the erase-ahead, for status and benchmarks */
    uint32_t blocks_erased;
    uint32_t sectors_erased;
    uint32_t bytes_skipped_erased;  /* already-erased bytes not erased again */
} sota_update_stats_t;

typedef struct {
    sota_update_cfg_t cfg;
    const sota_update_ops_t *ops;
    void *ctx;
    sota_update_state_t state;
    sota_update_err_t err;
    int platform_err;            /* last nonzero code from ops */
    char msg[512];               /* why it failed, or what was installed: the reason, then
                                    (from advice_at) what to do */
    uint16_t advice_at;          /* offset in msg where the advice starts (strlen: none) */
    sota_file_kind_t kind;       /* what the file is, once known (sota_ident's kind; app
                                    for every check after identification); SOTA_FILE__COUNT
                                    while unknown */
    uint32_t decide_len;         /* nonzero: the head named a non-app file whose kind waits
                                    for the length (sota_ident_t.decide_len) */
    uint64_t received;           /* file bytes received */
    uint64_t trailing;           /* after a success: bytes of the file after the image (and
                                    its signature sector), accepted but not installed */
    uint32_t written;            /* bytes written to the slot (prefix of the file) */
    uint32_t prepared;           /* slot bytes known erased ahead of the writes */
    sota_update_stats_t stats;
    sota_img_t img;              /* streaming verifier: img.desc is the new app's */
    uint8_t head[SOTA_UPDATE_HEAD_LEN];
    uint32_t head_len;
    bool begun;
    /* SHA-256 of the file's first min(total, SOTA_UPDATE_PROOF_LEN) bytes, set when the
     * head passed its checks: what a resuming client must show (resume_check). */
    uint8_t head_sha[SOTA_SHA256_LEN];
    /* Filesystem images: the partition (index in cfg.parts, -1 for an app update), what
     * the head says of the filesystem, the file's SHA-256 as it streams and at the end. */
    int fs_index;
    sota_fs_params_t fs;
    bool fs_hashing;
    bool fs_rest;                /* finishing: erase-ahead to the partition's end */
    sota_sha256_t fs_hash;
    uint8_t fs_digest[SOTA_SHA256_LEN];
} sota_update_t;

/* Start a session. cfg is copied (its strings must outlive the session). */
void sota_update_init(sota_update_t *u, const sota_update_cfg_t *cfg,
                      const sota_update_ops_t *ops, void *ctx);
/* The size verdict on the announced length: an exact length larger than the slot is
 * refused. The session applies it itself once the head is an app for this chip; calling
 * it before that would call a merged image or another chip's app "too big". Returns
 * SOTA_UPDATE_OK or the (sticky) failure. */
sota_update_err_t sota_update_check_announced(sota_update_t *u);
/* The verdict an upload of a file of cfg->announced_len bytes (exact) would get from its
 * first bytes, with no operation called (nothing opened, erased or written): head holds
 * the first min(announced_len, SOTA_UPDATE_HEAD_LEN) bytes (more are ignored; fewer is
 * SOTA_UPDATE_ERR_STATE). If head holds the whole file the verdict is the whole verifier's.
 * u is a scratch session filled as an upload's would be (err, msg, kind, img.desc).
 * Returns SOTA_UPDATE_OK when the upload would go on to write the slot. */
sota_update_err_t sota_update_precheck(sota_update_t *u, const sota_update_cfg_t *cfg,
                                    const uint8_t *head, size_t len);
/* The two parts of u->msg: the reason (copied to reason, at most n bytes with the NUL)
 * and the advice (returned, "" if none). */
const char *sota_update_explain(const sota_update_t *u, char *reason, size_t n);
/* Feed the next bytes of the file. Returns SOTA_UPDATE_OK or the (sticky) failure. */
sota_update_err_t sota_update_feed(sota_update_t *u, const void *data, size_t len);
/* The file is complete: verify, finish. Returns SOTA_UPDATE_OK when the new image is
 * selected for the next boot. */
sota_update_err_t sota_update_finish(sota_update_t *u);
/* The transfer broke off (disconnect, stall, deadline): abort with reason. */
void sota_update_cancel(sota_update_t *u, const char *reason);

/* --- resuming a broken-off upload ------------------------------------------------ */


/* Whether a session that broke off now can be kept for a resume: a raw body (exact
 * announced length), past its head (the slot is open and the first bytes are written),
 * not failed, not finished, and short of the announced length. A session that broke
 * off inside its head wrote nothing: drop it, a new upload starts at byte 0. */
bool sota_update_keepable(const sota_update_t *u);
/* File bytes written to the slot and accounted for by the verifier: where a resumed
 * upload continues. */
uint32_t sota_update_offset(const sota_update_t *u);
/* Judge a claim to continue: the client's range starts at `offset` of a file of
 * `total` bytes, whose first min(total, SOTA_UPDATE_PROOF_LEN) bytes have the SHA-256
 * head_sha (NULL: no proof given). Changes nothing. SOTA_UPDATE_OK: feed the bytes from
 * offset on, then finish as usual; else NOTHING_TO_RESUME, WRONG_TOTAL, DIFFERENT_FILE
 * or WRONG_OFFSET. */
sota_update_err_t sota_update_resume_check(const sota_update_t *u, uint64_t offset, uint64_t total,
                                           const uint8_t *head_sha);

/* The partition a filesystem update writes (NULL for an app update or before the head
 * chose one). */
const sota_fs_part_t *sota_update_fs_part(const sota_update_t *u);

/* The HTTP status of an outcome (200, 400, 413, ...; 500 for a value out of range). */
int sota_update_http_status(sota_update_err_t err);
/* Its stable short code for JSON's "error" ("ok", "not_app_image", "busy", ...;
 * "internal_error" for a value out of range). */
const char *sota_update_err_code(sota_update_err_t err);

/* Compare two version strings the way a person reads them: numeric fields compared as
 * numbers ("1.10" > "1.9"), a leading 'v' ignored, a pre-release suffix ("-rc1") lower
 * than the release. Returns <0, 0, >0. */
int sota_update_version_cmp(const char *a, const char *b);
/* a is older than b: both name a version (an empty one, as every Tasmota32 build has,
 * is unknown, never older or newer) and a sorts below b. What refuse_downgrade refuses. */
bool sota_update_version_older(const char *a, const char *b);

#endif
