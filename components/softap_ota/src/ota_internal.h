/* Shared inside the component's src/ only: the updater's state and the rooms' entry
 * points. Nothing here is public API (see include/softap_ota.h). */
#ifndef SOFTAP_OTA_INTERNAL_H
#define SOFTAP_OTA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_http_server.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "sdkconfig.h"
#include "softap_ota.h"
#include "sota_auth.h"
#include "sota_fs.h"
#include "sota_sig.h"
#include "sota_update.h"

/* Stacks of the tasks the component creates, in bytes (ESP-IDF's xTaskCreate counts
 * bytes). make bench compares each with its worst case on xtensa and rv32
 * (bench/task_stacks.sh) and wants 25 % to spare. */
#define SOTA_UPLOAD_STACK 11264  /* sota_upload: one upload, ESP-IDF >= 5.2 */
#define SOTA_HTTPD_STACK 11264   /* the HTTP server task (uploads run in it before 5.2) */
#define SOTA_HEALTH_STACK 6144   /* sota_health: confirm or roll back a new app */
#define SOTA_DNS_STACK 6144      /* sota_dns: captive portal answers */

/* With CONFIG_SOFTAP_OTA_STACK_REPORT, log the most of its stack (of stack_size bytes)
 * the calling task has used so far: FreeRTOS's high-water mark, the measurement that
 * make bench's estimate (which counts ESP-IDF's own frames as a flat figure) is checked
 * against (make device-test reads these lines). Nothing when the option is off. */
#if CONFIG_SOFTAP_OTA_STACK_REPORT
void ota_stack_report(const char *task, uint32_t stack_size);
#else
static inline void ota_stack_report(const char *task, uint32_t stack_size)
{
    (void)task, (void)stack_size;
}
#endif

/* ota_state.c: the one updater state, behind a mutex */
esp_err_t ota_state_init(const softap_ota_config_t *cfg);
void ota_state_deinit(void);
const softap_ota_config_t *ota_state_config(void);
/* Claim the single update session; false if one is running (409). */
bool ota_state_try_begin(uint32_t total);
/* The same claim for other work that must not run beside an upload (a switch of the
 * boot slot: SOFTAP_OTA_VERIFYING, total 0). */
bool ota_state_try_claim(softap_ota_state_t as, uint32_t total);
void ota_state_progress(uint32_t received);
void ota_state_set(softap_ota_state_t st);
/* An upload broke off and is kept for a resume (ota_resume.c): no result is recorded. */
void ota_state_interrupt(uint32_t received, uint32_t total);
/* A resumed upload starts at received of total bytes. */
void ota_state_resume(uint32_t received, uint32_t total);
/* End the session with a result that is also stored for after the reboot. ok: a new
 * app in `slot` is selected and waits for the reboot. */
void ota_state_finish(bool ok, const char *message, const char *slot);
/* The same for a filesystem update of partition label: no app selected; rebooting:
 * the device restarts next (SOFTAP_OTA_REBOOTING), else the updater is idle again. */
void ota_state_finish_fs(bool ok, const char *message, const char *label, bool rebooting);
/* Replace the last result (memory and NVS) without changing the state: what became of
 * the selected app once it ran (health check, rollback). */
void ota_state_record(bool ok, const char *message, const char *slot);
/* The app the last result selected runs (and `how`: "; it passed its health check..."):
 * that result, less "it boots next", plus where it runs now (memory and NVS). */
void ota_state_settled(const char *how);
void ota_state_get(softap_ota_status_t *out);

/* ota_store.c: the last update's result in NVS (survives reboots) */
/* slot: label of the partition the result is about ("" if none); awaiting_boot: the
 * result selected that slot and it has not run yet */
void ota_store_save(bool ok, const char *message, const char *slot, bool awaiting_boot);
bool ota_store_load(bool *ok, char *message, size_t len, char *slot, size_t slot_len, bool *awaiting_boot);
/* The app that last failed its health check (refuse_failed_version). */
void ota_store_save_failed(const char *project, const char *version);
/* false if none is recorded (project and version are then ""). */
bool ota_store_load_failed(char *project, size_t plen, char *version, size_t vlen);

/* ota_writer.c: sota_update_ops_t over esp_ota_* / esp_partition_* */
typedef struct {
    const esp_partition_t *part;
    esp_ota_handle_t handle;
    bool open;
    /* Flash encryption: the slot takes whole 16-byte blocks at 16-byte aligned offsets
     * only. The last incomplete block of the file waits here until the next write or
     * the end (padded with 0xFF); erased flash does not read as 0xFF. */
    bool encrypted;
    bool tail_flushed;
    uint32_t end;              /* slot offset after the last byte written */
    uint8_t carry_len;
    uint8_t carry[16];
    char failed_project[33];   /* the session's cfg points at these */
    char failed_version[33];
    /* Filesystem images (ota_fs.c): every partition of the table, for the session to
     * choose from; fs: part is the data partition being written (esp_partition_*). */
    sota_fs_part_t parts[SOTA_FS_MAX_PARTS];
    size_t n_parts;
    bool fs;
} ota_writer_t;
extern const sota_update_ops_t ota_writer_ops;
/* Point w at the slot to write and fill cfg for an update session: the chip, its
 * revision, eFuse block revision and flash size, the slot the new image must fit, the
 * running app's identity and the policy of c. */
esp_err_t ota_writer_target(ota_writer_t *w, const softap_ota_config_t *c, sota_update_cfg_t *cfg);

struct cJSON;

/* ota_fs.c: filesystem images for data partitions (issue 15), and the NVS record of a
 * partition being written: set before its first erase, cleared only once the written
 * bytes were read back and matched. */
typedef struct {
    char label[SOTA_FS_LABEL_LEN];  /* ?partition=LABEL, "" if none */
    bool has_sha;                   /* X-Sota-SHA256 was sent */
    uint8_t sha[SOTA_SHA256_LEN];
} ota_fs_req_t;
/* Every partition of the table (at most max), as the session's choice needs them. */
size_t ota_fs_list(sota_fs_part_t *out, size_t max);
/* Read ?partition= and X-Sota-SHA256 of req. false: one is malformed (msg says which
 * and what to send). */
bool ota_fs_request(httpd_req_t *req, ota_fs_req_t *out, char *msg, size_t n);
/* Point a session's cfg at what r asks for. */
void ota_fs_apply(const ota_fs_req_t *r, sota_update_cfg_t *cfg);
/* An upload is writing (or keeps for a resume) a filesystem partition, not an app slot. */
bool ota_fs_writing(void);
/* sota_update_ops_t.fs_begin / fs_digest on an ota_writer_t. */
int ota_fs_begin(void *ctx, size_t index, uint32_t size, const uint8_t *sha, char *msg, size_t n);
int ota_fs_digest(void *ctx, const uint8_t sha[SOTA_SHA256_LEN]);
/* The end of a filesystem update on w: ok clears the record (read back and matched);
 * both call the app's fs_after_write. Returns an ESP-IDF error if clearing failed. */
esp_err_t ota_fs_end(ota_writer_t *w, bool ok);
/* Add "storage": one object per filesystem data partition (label, subtype, address,
 * size, state writing/incomplete/complete, content, summary). */
void ota_fs_json(struct cJSON *parent);

/* ota_auth.c: who may use the HTTP server (HTTP server task only) */
/* Check the configuration (logs what is wrong, never the credentials) and set up. */
esp_err_t ota_auth_init(const softap_ota_config_t *cfg);
void ota_auth_deinit(void);
/* Judge the request's credentials (SOTA_AUTH_PASS when authentication is off). */
sota_auth_verdict_t ota_auth_check(httpd_req_t *req, uint32_t *retry_after_s);
/* false: a POST from another site (Origin/Referer), to be refused with 403. */
bool ota_auth_same_origin(httpd_req_t *req);
/* Response headers that keep pages from being framed or sniffed. */
void ota_auth_protect(httpd_req_t *req);
/* Whether authentication is on, and the wrong credentials seen since the start. */
void ota_auth_info(bool *enabled, uint32_t *failures);
bool ota_auth_origin_checked(void);

/* ota_sig.c: the signing keys trusted for require_signed */
/* Parse signing_key_digest, or take the running app's key when require_signed needs one;
 * ESP_ERR_INVALID_ARG (logged) if the digest is malformed or no key can be trusted. */
esp_err_t ota_sig_init(const softap_ota_config_t *cfg);
/* Copy up to max trusted keys to out; *source (may be NULL): "configured", "running app"
 * or "none". Returns how many. */
size_t ota_sig_trusted(sota_sig_key_t *out, size_t max, const char **source);

/* ota_conn.c: each connection's receive path (see there) */
/* Give every session of the server hc configures the head deadline of cfg (sets
 * open_fn and close_fn). */
esp_err_t ota_conn_init(const softap_ota_config_t *cfg, httpd_config_t *hc);
/* Every handler is registered: accept connections from now on (until then open_fn
 * closes them, so that no request meets a server without its handlers). */
void ota_conn_ready(void);
/* A handler starts: the head is complete, the body keeps the upload's own rules. */
void ota_conn_body(httpd_req_t *req);
/* The request of socket fd is over and its connection stays: the next bytes start a
 * new head (and its deadline). */
void ota_conn_done(int fd);
/* After an answer sent with "Connection: close": end the connection without reading the
 * rest of the body (a moment of reading and dropping so the answer is not reset away).
 * Returns ESP_FAIL, the handler's result that makes esp_http_server close the session. */
esp_err_t ota_conn_refuse_close(httpd_req_t *req);

/* ota_slots.c: what each app partition holds, and switching the boot partition */
typedef enum {
    OTA_SLOT_EMPTY,      /* erased: no image */
    OTA_SLOT_VALID,      /* the image verifies as ESP-IDF verifies it before booting */
    OTA_SLOT_INVALID,    /* something is there that does not verify (reason says why) */
    OTA_SLOT_WRITING,    /* an upload is writing it now */
} ota_slot_image_t;
typedef struct {
    ota_slot_image_t image;
    bool has_desc;               /* valid image with an app description */
    char project[33];
    char version[33];
    uint32_t secure_version;
    char reason[200];            /* OTA_SLOT_INVALID: why */
} ota_slot_info_t;
esp_err_t ota_slots_init(void);
/* Slot contents may have changed (an upload began or ended): verify again when asked. */
void ota_slots_forget(void);
/* What p holds: its kept verdict, or a verification now. */
void ota_slots_info(const esp_partition_t *p, ota_slot_info_t *out);
/* A name for people: "the updater (factory)", "slot A (ota_0)". */
const char *ota_slots_name(const esp_partition_t *p, char *buf, size_t len);
/* Verify p's image afresh, apply the upload rules (not to the factory updater), select p
 * for the next boot (esp_ota_set_boot_partition). Returns SOTA_UPDATE_OK, or why not:
 * ALREADY_RUNNING (the slot runs; !allow_running), NOT_BOOTABLE (empty, or does not
 * verify), POLICY (an upload rule refuses that app), FLASH (esp_ota_set_boot_partition
 * failed). msg: what was done or why not; *esp_err (may be NULL): the ESP-IDF error
 * behind a failure. The caller restarts. */
sota_update_err_t ota_slots_select(const esp_partition_t *p, bool allow_running, char *msg, size_t len,
                                   esp_err_t *esp_err);
/* Restart in OTA_REBOOT_DELAY_MS (time for the answer that says so to go out). */
#define OTA_REBOOT_DELAY_MS 500
void ota_slots_reboot_soon(void);

/* ota_resume.c: an upload that broke off, kept for the same client to resume */
typedef struct {
    uint8_t addr[16];   /* IPv4 (4 bytes) or IPv6 address of the client */
    uint8_t len;        /* 0: unknown (matches nobody) */
} ota_peer_t;
esp_err_t ota_resume_init(const softap_ota_config_t *cfg);
void ota_peer_of(httpd_req_t *req, ota_peer_t *out);
/* Keep the upload owner (its session upd, released with free_owner) for a resume.
 * false, and nothing kept, when resuming is off or the session is not keepable: the
 * caller cancels and frees it as before. */
bool ota_resume_keep(void *owner, sota_update_t *upd, const ota_peer_t *peer, void (*free_owner)(void *owner));
/* What a POST /update may do, before its body is read. NULL: go on; the kept upload was
 * then either claimed for this request (ota_resume_take_claimed returns it) or released
 * (a plain upload starts over). Otherwise the JSON body of a refusal to send, and *out
 * its outcome: BAD_RANGE, RESUME_PENDING (another client's upload is kept),
 * WRONG_TOTAL, DIFFERENT_FILE, WRONG_OFFSET or NOTHING_TO_RESUME. */
struct cJSON *ota_resume_gate(httpd_req_t *req, bool multipart, sota_update_err_t *out);
void *ota_resume_take_claimed(void);
/* POST /api/boot while an upload is kept: another client's request gets a refusal
 * ({"error": "resume_pending", ...}, *out RESUME_PENDING; the caller sends and frees
 * it); the client that sent it gives it up (released as aborted) and NULL is returned. */
struct cJSON *ota_resume_gate_switch(httpd_req_t *req, sota_update_err_t *out);
/* Add "resume": {offset, total, project, version, expires_in_s} or null to a status. */
void ota_resume_json(struct cJSON *parent);
/* Release the kept upload now as an aborted one, recording why (softap_ota_stop). */
void ota_resume_drop(const char *why);

/* ota_http.c: the server, its routes, and the answers that read no body */
esp_err_t ota_http_start(const softap_ota_config_t *cfg, httpd_handle_t *out);
/* End a running upload (it is answered 503 or dropped, the running app unchanged), wait
 * until no upload task uses the server, then stop it. ESP_ERR_TIMEOUT (logged, server
 * left running) if the upload task did not end within the receive timeout + 10 s. */
esp_err_t ota_http_stop(httpd_handle_t http);
/* The running handler gave its request to another task, which answers and ends it. */
void ota_http_handed_over(void);

/* ota_reply.c: answers and refusals shared by the handlers (HTTP server task, or the
 * task a request was handed to) */
const char *ota_reply_status_line(int status);     /* 404 -> "404 Not Found" */
/* 500 {"error": "no_memory", ...} with nothing allocated: when the answer could not be built. */
esp_err_t ota_reply_no_memory(httpd_req_t *req);
/* Send obj (freed here) as the JSON body of an answer with the outcome's HTTP status
 * (SOTA_UPDATE_OK: 200). */
esp_err_t ota_reply_json(httpd_req_t *req, sota_update_err_t outcome, struct cJSON *obj);
/* Send {"error": the outcome's code, "message": message} with its status, and log it. */
esp_err_t ota_reply_error(httpd_req_t *req, sota_update_err_t outcome, const char *message);
/* Refuse without reading the body: the answer says "Connection: close" and the
 * connection is closed (returns the handler's result). */
esp_err_t ota_reply_refuse(httpd_req_t *req, sota_update_err_t outcome, const char *message);
/* "http://HOST/" with the Host the client sent (the address it reached this device
 * at), or the access point's default address when it sent none or a malformed one. */
void ota_reply_own_url(httpd_req_t *req, char *out, size_t len);
/* Read exactly len body bytes into buf. A client that sends nothing for
 * max_recv_timeouts receive timeouts in a row, or closes, gets false: the handler then
 * returns ESP_FAIL and the server closes the connection, so a stalled body never holds
 * the server task longer than that. */
bool ota_reply_recv_all(httpd_req_t *req, void *buf, size_t len);
/* Add "kind", "reason" and "advice" for the file the session saw. */
void ota_reply_explain(struct cJSON *o, const sota_update_t *upd);
/* Let the request through, or answer it (401 with the Basic challenge, 429 while locked
 * out) and return false, *err the send result. closing: that answer closes the
 * connection (the body will not be read). */
bool ota_reply_allowed(httpd_req_t *req, esp_err_t *err, bool closing);
/* A request that changes what the device runs (`what`: "upload", "switch"): sent from
 * this device's page or a script (else 403) by someone allowed; else refused with the
 * connection closed, false, *err the handler's result. */
bool ota_reply_may_change(httpd_req_t *req, const char *what, esp_err_t *err);

/* ota_upload.c: POST /update */
esp_err_t ota_upload_post(httpd_req_t *req);
/* Make a running upload end at its next receive and wait until no upload task uses the
 * server (at most the receive timeout + 10 s; ESP_ERR_TIMEOUT, logged, if one still
 * does). Uploads stay refused until ota_upload_allow(). */
esp_err_t ota_upload_stop_all(void);
void ota_upload_allow(void);

/* ota_check.c: POST /api/check */
esp_err_t ota_check_post(httpd_req_t *req);

/* ota_switch.c: POST /api/boot */
esp_err_t ota_switch_post(httpd_req_t *req);
/* ota_status.c: GET /api/status body (caller frees) */
char *ota_status_json(void);

/* ota_wifi.c */
esp_err_t ota_wifi_check_config(const softap_ota_config_t *cfg);
esp_err_t ota_wifi_start(const softap_ota_config_t *cfg);
esp_err_t ota_wifi_stop(void);
bool ota_wifi_is_up(void);

/* ota_dns.c: captive portal DNS on UDP port 53 */
esp_err_t ota_dns_start(void);
void ota_dns_stop(void);

/* ota_health.c: confirm or roll back a freshly updated app */
void ota_health_start(const softap_ota_config_t *cfg, httpd_handle_t http);

#endif
