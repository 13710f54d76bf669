/* An upload that broke off (connection lost, stalled, past its deadline), kept for a
 * while so that the same client can continue it: POST /update with a raw body,
 * Content-Range: bytes N-(T-1)/T and X-Sota-Head-SHA256 (README, "Resuming").
 *
 * What is kept is the upload's own allocation (the session with the verifier's state,
 * the open OTA handle, the receive buffer): nothing is copied, RAM stays bounded by one
 * upload. It goes when the same client resumes it or starts over, when it expires
 * (resume_timeout_s: a timer releases it as an aborted upload), on softap_ota_stop, and
 * with the RAM on a reset. Meanwhile another client's upload gets 409.
 *
 * Callers: the HTTP server task (gate, json), the upload task (keep), the esp_timer task
 * (expiry), softap_ota_stop (drop). Everything below runs under s_lock. */
#include <stdio.h>
#include <string.h>

#include "cJSON.h"
#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "lwip/sockets.h"
#include "ota_internal.h"
#include "sota_range.h"

static const char *TAG = "softap_ota";

static SemaphoreHandle_t s_lock;
static esp_timer_handle_t s_timer;
static uint32_t s_timeout_s;

static struct {
    void *owner;                 /* the upload's allocation; NULL: nothing kept */
    sota_update_t *upd;          /* its session */
    void (*free_owner)(void *owner);
    ota_peer_t peer;             /* the client that sent it */
    int64_t expires_us;
} s_kept;

static void *s_claimed;          /* handed to the next upload_run by ota_resume_gate */

void ota_peer_of(httpd_req_t *req, ota_peer_t *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = httpd_req_to_sockfd(req);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
        return;
    }
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        memcpy(out->addr, &in->sin_addr, 4);
        out->len = 4;
    }
#if !defined(ESP_PLATFORM) || CONFIG_LWIP_IPV6
    else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        memcpy(out->addr, &in6->sin6_addr, 16);
        out->len = 16;
    }
#endif
}

static bool same_peer(const ota_peer_t *a, const ota_peer_t *b)
{
    return a->len && a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

/* Release the kept upload as an aborted one (lock held). */
static void release_locked(const char *why, bool record)
{
    if (!s_kept.owner) {
        return;
    }
    if (s_timer) {
        esp_timer_stop(s_timer);
    }
    char msg[sizeof s_kept.upd->msg];
    snprintf(msg, sizeof msg, "%s", why);
    sota_update_cancel(s_kept.upd, msg);
    ESP_LOGW(TAG, "interrupted upload released: %s", msg);
    if (record) {
        ota_state_finish(false, msg, "");
    }
    s_kept.free_owner(s_kept.owner);
    memset(&s_kept, 0, sizeof s_kept);
}

static void expire_cb(void *arg)
{
    (void)arg;
    xSemaphoreTake(s_lock, portMAX_DELAY);
    if (s_kept.owner && esp_timer_get_time() >= s_kept.expires_us - 1000) {
        char why[200];
        snprintf(why, sizeof why, "the upload was interrupted after %u of %u bytes and not resumed within "
                 "%u s: it was discarded, the running app is unchanged; upload the file again",
                 (unsigned)sota_update_offset(s_kept.upd), (unsigned)s_kept.upd->cfg.announced_len,
                 (unsigned)s_timeout_s);
        release_locked(why, true);
    }
    xSemaphoreGive(s_lock);
}

esp_err_t ota_resume_init(const softap_ota_config_t *cfg)
{
    if (!s_lock) {
        s_lock = xSemaphoreCreateMutex();
        if (!s_lock) {
            return ESP_ERR_NO_MEM;
        }
    }
    s_timeout_s = cfg->resume_timeout_s;
    if (s_timeout_s && !s_timer) {
        const esp_timer_create_args_t args = { .callback = expire_cb, .name = "sota_resume" };
        esp_err_t err = esp_timer_create(&args, &s_timer);
        if (err != ESP_OK) {
            return err;
        }
    }
    return ESP_OK;
}

void ota_resume_drop(const char *why)
{
    if (!s_lock) {
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    release_locked(why, true);
    xSemaphoreGive(s_lock);
}

bool ota_resume_keep(void *owner, sota_update_t *upd, const ota_peer_t *peer, void (*free_owner)(void *owner))
{
    if (!s_lock || !s_timeout_s || !s_timer || !sota_update_keepable(upd)) {
        return false;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    release_locked("an older interrupted upload was replaced", false); /* never two */
    s_kept.owner = owner;
    s_kept.upd = upd;
    s_kept.free_owner = free_owner;
    s_kept.peer = *peer;
    s_kept.expires_us = esp_timer_get_time() + (int64_t)s_timeout_s * 1000000;
    bool ok = esp_timer_start_once(s_timer, (uint64_t)s_timeout_s * 1000000) == ESP_OK;
    if (!ok) {
        memset(&s_kept, 0, sizeof s_kept); /* the caller releases it as before */
    } else {
        ota_state_interrupt(sota_update_offset(upd), (uint32_t)upd->cfg.announced_len);
        ESP_LOGW(TAG, "upload interrupted after %u of %u bytes: kept %u s for a resume",
                 (unsigned)sota_update_offset(upd), (unsigned)upd->cfg.announced_len, (unsigned)s_timeout_s);
    }
    xSemaphoreGive(s_lock);
    return ok;
}

/* {"offset","total","project","version","expires_in_s"} of the kept upload (lock held). */
static cJSON *info_locked(void)
{
    if (!s_kept.owner) {
        return cJSON_CreateNull();
    }
    const sota_update_t *u = s_kept.upd;
    int64_t left = (s_kept.expires_us - esp_timer_get_time() + 999999) / 1000000;
    bool desc = u->img.have_desc && u->img.desc.magic_word == SOTA_APP_DESC_MAGIC;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "offset", sota_update_offset(u));
    cJSON_AddNumberToObject(o, "total", (double)u->cfg.announced_len);
    if (desc) {
        cJSON_AddStringToObject(o, "project", u->img.desc.project_name);
        cJSON_AddStringToObject(o, "version", u->img.desc.version);
    } else {
        cJSON_AddNullToObject(o, "project");
        cJSON_AddNullToObject(o, "version");
    }
    cJSON_AddNumberToObject(o, "expires_in_s", left > 0 ? (double)left : 0);
    return o;
}

void ota_resume_json(cJSON *parent)
{
    if (!s_lock) {
        cJSON_AddNullToObject(parent, "resume");
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    cJSON_AddItemToObject(parent, "resume", info_locked());
    xSemaphoreGive(s_lock);
}

/* A refusal body: {"error", "message", "offset", "resume"} (lock held). */
static cJSON *refusal(sota_update_err_t *out, sota_update_err_t why, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", sota_update_err_code(why));
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddNumberToObject(o, "offset", s_kept.owner ? sota_update_offset(s_kept.upd) : 0);
    cJSON_AddItemToObject(o, "resume", info_locked());
    *out = why;
    return o;
}

static cJSON *gate_locked(httpd_req_t *req, bool multipart, sota_update_err_t *out)
{
    char value[96] = "";
    bool ranged = httpd_req_get_hdr_value_str(req, "Content-Range", value, sizeof value) != ESP_ERR_NOT_FOUND;
    sota_range_t r = { 0 };
    if (ranged && (multipart || !sota_range_parse(value, &r) || r.last + 1 != r.total ||
                   r.total - r.first != req->content_len)) {
        return refusal(out, SOTA_UPDATE_ERR_BAD_RANGE,
                       multipart ? "a multipart upload cannot be resumed: send the file as the raw body "
                                   "(application/octet-stream) to resume it"
                                 : "Content-Range must be 'bytes N-(T-1)/T' with the body's length T-N: "
                                   "send the rest of the file from byte N to its end");
    }
    ota_peer_t peer;
    ota_peer_of(req, &peer);
    if (s_kept.owner && !same_peer(&peer, &s_kept.peer)) {
        char msg[220];
        snprintf(msg, sizeof msg, "another client's upload was interrupted after %u of %u bytes and is "
                 "kept for it to resume: wait until it expires (see resume.expires_in_s), then try again",
                 (unsigned)sota_update_offset(s_kept.upd), (unsigned)s_kept.upd->cfg.announced_len);
        return refusal(out, SOTA_UPDATE_ERR_RESUME_PENDING, msg);
    }
    if (!ranged || (!s_kept.owner && r.first == 0)) {
        /* a plain upload (or the whole file as a range): start over */
        release_locked("the interrupted upload was discarded: a new upload started", false);
        return NULL;
    }
    if (!s_kept.owner) {
        return refusal(out, SOTA_UPDATE_ERR_NOTHING_TO_RESUME,
                       "there is no interrupted upload to resume (it expired, or the device restarted): "
                       "send the whole file from byte 0");
    }
    uint8_t proof[SOTA_SHA256_LEN];
    sota_sig_key_t k;
    char hex[2 * SOTA_SHA256_LEN + 2] = "";
    httpd_req_get_hdr_value_str(req, "X-Sota-Head-SHA256", hex, sizeof hex);
    bool have_proof = sota_sig_key_from_hex(hex, &k);
    memcpy(proof, k.d, sizeof proof);
    sota_update_err_t e = sota_update_resume_check(s_kept.upd, r.first, r.total, have_proof ? proof : NULL);
    if (e != SOTA_UPDATE_OK) {
        char msg[240];
        unsigned off = (unsigned)sota_update_offset(s_kept.upd);
        unsigned tot = (unsigned)s_kept.upd->cfg.announced_len;
        switch (e) {
        case SOTA_UPDATE_ERR_WRONG_OFFSET:
            snprintf(msg, sizeof msg, "the interrupted upload continues at byte %u, not %llu: send "
                     "Content-Range: bytes %u-%u/%u", off, (unsigned long long)r.first, off, tot - 1, tot);
            break;
        case SOTA_UPDATE_ERR_WRONG_TOTAL:
            snprintf(msg, sizeof msg, "the interrupted upload is of a %u-byte file, not %llu: this is "
                     "another file; resume with the same file, or upload it without Content-Range to "
                     "start over", tot, (unsigned long long)r.total);
            break;
        default:
            snprintf(msg, sizeof msg, "X-Sota-Head-SHA256 is %s: send the SHA-256 of the file's first "
                     "%u bytes to resume, or upload without Content-Range to start over",
                     have_proof ? "not the SHA-256 of the interrupted file's start (another file)"
                                : "missing or not 64 hex digits",
                     (unsigned)(tot < SOTA_UPDATE_PROOF_LEN ? tot : SOTA_UPDATE_PROOF_LEN));
            break;
        }
        return refusal(out, e, msg);
    }
    esp_timer_stop(s_timer);
    s_claimed = s_kept.owner;
    memset(&s_kept, 0, sizeof s_kept);
    return NULL;
}

cJSON *ota_resume_gate(httpd_req_t *req, bool multipart, sota_update_err_t *out)
{
    if (!s_lock) {
        return NULL;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    cJSON *o = gate_locked(req, multipart, out);
    xSemaphoreGive(s_lock);
    return o;
}

cJSON *ota_resume_gate_switch(httpd_req_t *req, sota_update_err_t *out)
{
    if (!s_lock) {
        return NULL;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    cJSON *o = NULL;
    if (s_kept.owner) {
        ota_peer_t peer;
        ota_peer_of(req, &peer);
        if (!same_peer(&peer, &s_kept.peer)) {
            char msg[220];
            snprintf(msg, sizeof msg, "another client's upload was interrupted after %u of %u bytes and is "
                     "kept for it to resume: wait until it expires (see resume.expires_in_s), then switch",
                     (unsigned)sota_update_offset(s_kept.upd), (unsigned)s_kept.upd->cfg.announced_len);
            o = refusal(out, SOTA_UPDATE_ERR_RESUME_PENDING, msg);
        } else {
            /* its own client gives the upload up: released as an aborted one */
            release_locked("the interrupted upload was discarded: its client switched to another app", true);
        }
    }
    xSemaphoreGive(s_lock);
    return o;
}

void *ota_resume_take_claimed(void)
{
    if (!s_lock) {
        return NULL;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    void *owner = s_claimed;
    s_claimed = NULL;
    xSemaphoreGive(s_lock);
    return owner;
}
