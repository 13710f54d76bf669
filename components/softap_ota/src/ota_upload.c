/* POST /update: receive the body (raw, multipart/form-data, or the rest of an
 * interrupted upload) and stream it through the update session; in its own task where
 * the HTTP server hands a request over safely, else in the server task. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "ota_internal.h"
#include "sota_multipart.h"

static const char *TAG = "softap_ota";

#define RECV_CHUNK 4096
#define DRAIN_MAX (4u * 1024 * 1024) /* unread body bytes read and dropped before closing */

/* Uploads run in their own task where the server hands a request over safely, so that
 * /api/status answers and a second upload gets 409 meanwhile. The async request API
 * exists from 5.2.0, but before ESP-IDF's fix "prevent concurrent access to socket used
 * in async http requests" (5.2.4, 5.3.2, 5.4.0) httpd_req_async_handler_begin leaves
 * the original request's body length set: the server task drains the body the upload
 * task is reading, then closes the session under it. Those releases (and 5.0, 5.1)
 * receive the upload in the server task. */
#if (ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 4) && ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 3, 0)) || \
    ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 2)
#define SOTA_ASYNC_UPLOAD 1
#else
#define SOTA_ASYNC_UPLOAD 0
#endif

/* httpd_req_async_handler_complete wakes the server task only from 5.4.3 / 5.5.2 on;
 * before, the server does not watch the connection again until something else wakes
 * it, and the next request on a kept-alive connection waits. */
#if (ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 3) && ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 5, 0)) || \
    ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 5, 2)
#define SOTA_ASYNC_COMPLETE_WAKES 1
#else
#define SOTA_ASYNC_COMPLETE_WAKES 0
#endif

/* softap_ota_stop: uploads end at their next receive (s_stopping), and the server is
 * stopped only once no upload task uses its request any more (s_upload_tasks). */
static atomic_bool s_stopping;
static atomic_int s_upload_tasks;

typedef struct {
    httpd_req_t *req;
    sota_update_t upd;
    ota_writer_t writer;
    sota_mp_t mp;
    sota_mp_callbacks_t cbs;
    bool multipart;
    bool in_file;
    bool file_seen;
    bool second_file;          /* the form had another file after the first: 400 */
    size_t left;               /* body bytes not received yet */
    /* resuming (ota_resume.c): the client, the file offset this request starts at, and
     * whether the session is to be kept when the transfer broke off (why: the reason to
     * record if it cannot be kept) */
    ota_peer_t peer;
    uint32_t base;
    bool keep;
    char why[224];   /* the longest reason broke_off is given (220) fits */
    ota_fs_req_t fsreq;        /* ?partition= and X-Sota-SHA256 (the session points here) */
    char buf[RECV_CHUNK];
} upload_t;

/* What an upload that ends now leaves behind, for its messages. */
static const char *left_as(const upload_t *u, char *buf, size_t n)
{
    const sota_fs_part_t *p = sota_update_fs_part(&u->upd);
    if (p && u->upd.begun) {
        snprintf(buf, n, "storage %s is incomplete: upload the image again", p->label);
        return buf;
    }
    return p ? "nothing was written" : "the running app is unchanged";
}

static int mp_begin(void *ctx, const sota_mp_part_t *part)
{
    upload_t *u = ctx;
    if (u->file_seen && part->filename && part->filename[0]) {
        /* Another chosen file after the file part (the parser marks only the first):
         * installing the first and dropping the second would hide a mistake. */
        sota_update_cancel(&u->upd, "the form has more than one file: one file is expected. Send only "
                           "the firmware .bin (curl -F file=@app.bin)");
        u->second_file = true;
        return 1;
    }
    u->in_file = part->is_file;
    u->file_seen |= part->is_file;
    return 0;
}

static int mp_data(void *ctx, const uint8_t *data, size_t n)
{
    upload_t *u = ctx;
    if (!u->in_file) {
        return 0; /* other form fields are ignored */
    }
    return sota_update_feed(&u->upd, data, n) == SOTA_UPDATE_OK ? 0 : 1;
}

static int mp_end(void *ctx)
{
    upload_t *u = ctx;
    u->in_file = false;
    return 0;
}


/* The transfer broke off: keep the session for a resume if it can be kept, else cancel
 * it with the reason. */
static void broke_off(upload_t *u, const char *why)
{
    snprintf(u->why, sizeof u->why, "%s", why);
    u->keep = !u->multipart && ota_state_config()->resume_timeout_s && sota_update_keepable(&u->upd);
    if (!u->keep) {
        sota_update_cancel(&u->upd, why);
    }
}

/* Receive the body and stream it through the update session. Returns the outcome to
 * answer with and sets *close when the connection must be dropped (dead client). */
static sota_update_err_t receive(upload_t *u, bool *close)
{
    httpd_req_t *req = u->req;
    const softap_ota_config_t *cfg = ota_state_config();
    const int64_t deadline = esp_timer_get_time() + (int64_t)cfg->upload_deadline_s * 1000000;
    uint32_t timeouts = 0;

    while (u->left > 0) {
        if (atomic_load(&s_stopping)) {
            char why[200], left[80];
            snprintf(why, sizeof why, "the updater was stopped by the app after %u of %u bytes; %s",
                     (unsigned)u->upd.received, (unsigned)req->content_len, left_as(u, left, sizeof left));
            sota_update_cancel(&u->upd, why);
            *close = true;
            return SOTA_UPDATE_ERR_STOPPED;
        }
        int n = httpd_req_recv(req, u->buf, u->left < sizeof u->buf ? u->left : sizeof u->buf);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            if (++timeouts >= cfg->max_recv_timeouts) {
                char why[200], left[80];
                snprintf(why, sizeof why, "the upload stalled: no data for %u s after %u of %u bytes; "
                         "%s, try again",
                         (unsigned)(timeouts * cfg->recv_timeout_s), (unsigned)u->upd.received,
                         (unsigned)u->upd.cfg.announced_len, left_as(u, left, sizeof left));
                broke_off(u, why);
                *close = true;
                return SOTA_UPDATE_ERR_TIMEOUT;
            }
        } else if (n <= 0) {
            char why[200], left[80];
            snprintf(why, sizeof why, "the connection was lost after %u of %u bytes; %s, try again",
                     (unsigned)u->upd.received, (unsigned)u->upd.cfg.announced_len,
                     left_as(u, left, sizeof left));
            broke_off(u, why);
            *close = true;
            return SOTA_UPDATE_ERR_DISCONNECTED;
        } else {
            timeouts = 0;
            u->left -= (size_t)n;
            if (u->multipart) {
                sota_mp_err_t me = sota_mp_feed(&u->mp, u->buf, (size_t)n, &u->cbs);
                if (u->second_file) {
                    return SOTA_UPDATE_ERR_BAD_REQUEST;
                }
                if (u->upd.state != SOTA_UPDATE_ST_FAILED && me != SOTA_MP_OK) {
                    sota_update_cancel(&u->upd, sota_mp_strerror(me));
                    return SOTA_UPDATE_ERR_BAD_REQUEST;
                }
            } else {
                sota_update_feed(&u->upd, u->buf, (size_t)n);
            }
            if (u->upd.state == SOTA_UPDATE_ST_FAILED) {
                return u->upd.err;
            }
            ota_state_progress(u->base + (uint32_t)(req->content_len - u->left));
        }
        if (esp_timer_get_time() > deadline) {
            char why[220], left[80];
            snprintf(why, sizeof why, "the upload took longer than %u s and was stopped after %u of %u "
                     "bytes; %s, try again closer to the device",
                     (unsigned)cfg->upload_deadline_s, (unsigned)u->upd.received,
                     (unsigned)u->upd.cfg.announced_len, left_as(u, left, sizeof left));
            broke_off(u, why);
            *close = true;
            return SOTA_UPDATE_ERR_TIMEOUT;
        }
    }
    if (u->multipart) {
        sota_mp_err_t me = sota_mp_finish(&u->mp);
        if (me != SOTA_MP_OK) {
            sota_update_cancel(&u->upd, sota_mp_strerror(me));
            return SOTA_UPDATE_ERR_BAD_REQUEST;
        }
        if (!u->file_seen) {
            sota_update_cancel(&u->upd, "the form had no file: choose the firmware .bin and send it "
                               "in a field with a filename (curl -F file=@app.bin)");
            return SOTA_UPDATE_ERR_BAD_REQUEST;
        }
    }
    ota_state_set(SOFTAP_OTA_VERIFYING);
    if (sota_update_finish(&u->upd) != SOTA_UPDATE_OK) {
        return u->upd.err;
    }
    return SOTA_UPDATE_OK;
}

/* A filesystem image was written and read back: answer, record, restart if configured. */
static esp_err_t answer_fs(upload_t *u, cJSON *o)
{
    bool reboot = ota_state_config()->fs_reboot;
    char sha[2 * SOTA_SHA256_LEN + 1], name[48];
    for (int i = 0; i < SOTA_SHA256_LEN; i++) {
        snprintf(sha + 2 * i, 3, "%02x", u->upd.fs_digest[i]);
    }
    const esp_partition_t *p = u->writer.part;
    snprintf(name, sizeof name, "%s (%s)", p->label, sota_ident_kind_name(u->upd.kind));
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddStringToObject(o, "message", u->upd.msg);
    cJSON_AddStringToObject(o, "kind", sota_ident_kind_name(u->upd.kind));
    cJSON_AddStringToObject(o, "partition", p->label);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "size", u->upd.written);
    cJSON_AddStringToObject(o, "sha256", sha);
    cJSON_AddNumberToObject(o, "reboot_in_ms", reboot ? OTA_REBOOT_DELAY_MS : 0);
    ota_state_finish_fs(true, u->upd.msg, p->label, reboot);
    ESP_LOGI(TAG, "%s", u->upd.msg);
    esp_err_t err = ota_reply_json(u->req, SOTA_UPDATE_OK, o);
    if (reboot) {
        ota_slots_reboot_soon();
    }
    return err;
}

/* An app image was written and verified, and boots next: answer, record, restart. */
static esp_err_t answer_app(upload_t *u, cJSON *o)
{
    const sota_app_desc_t *d = &u->upd.img.desc;
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddStringToObject(o, "message", u->upd.msg);
    cJSON_AddStringToObject(o, "kind", sota_ident_kind_name(u->upd.kind));
    cJSON_AddStringToObject(o, "project", d->project_name);
    cJSON_AddStringToObject(o, "version", d->version);
    cJSON_AddStringToObject(o, "partition", u->writer.part->label);
    char name[40];
    cJSON_AddStringToObject(o, "name", ota_slots_name(u->writer.part, name, sizeof name));
    cJSON_AddNumberToObject(o, "size", u->upd.img.image_len);
    cJSON_AddNumberToObject(o, "ignored_bytes", (double)u->upd.trailing);
    cJSON_AddNumberToObject(o, "reboot_in_ms", OTA_REBOOT_DELAY_MS);
    ota_state_finish(true, u->upd.msg, u->writer.part->label);
    ESP_LOGI(TAG, "%s", u->upd.msg);
    esp_err_t err = ota_reply_json(u->req, SOTA_UPDATE_OK, o);
    ota_slots_reboot_soon();
    return err;
}

/* The update was refused with out: record it, answer (unless the connection is gone:
 * close) and close when the rest of the body was not read. */
static esp_err_t answer_refused(upload_t *u, sota_update_err_t out, bool close, cJSON *o)
{
    const char *code = sota_update_err_code(out);
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", u->upd.msg);
    ota_reply_explain(o, &u->upd);
    /* the status keeps what fits: the whole message, else its reason */
    char reason[sizeof u->upd.msg];
    sota_update_explain(&u->upd, reason, sizeof reason);
    bool fits = strlen(u->upd.msg) < sizeof ((softap_ota_status_t *)0)->last_message;
    ota_state_finish(false, fits ? u->upd.msg : reason, u->writer.part ? u->writer.part->label : "");
    ESP_LOGW(TAG, "update refused (%d %s): %s", sota_update_http_status(out), code, u->upd.msg);
    if (close) {
        cJSON_Delete(o);
        return ESP_FAIL;
    }
    if (u->left > 0) {
        /* refused before the end of the body: answer and close rather than read on */
        httpd_resp_set_hdr(u->req, "Connection", "close");
        ota_reply_json(u->req, out, o);
        return ota_conn_refuse_close(u->req);
    }
    return ota_reply_json(u->req, out, o);
}

/* The body's framing from its Content-Type (ctype; ctype_long: it did not fit): a raw
 * file, or a form whose parser starts here. Cancels the session when it cannot be read. */
static sota_update_err_t body_framing(upload_t *u, const char *ctype, bool ctype_long)
{
    if (ctype_long) {
        sota_update_cancel(&u->upd, "the Content-Type header is longer than 255 bytes: send the "
                           "file as application/octet-stream, or as multipart/form-data with a "
                           "boundary of at most 70 characters");
        return SOTA_UPDATE_ERR_BAD_REQUEST;
    }
    if (!u->multipart) {
        return SOTA_UPDATE_OK;
    }
    char boundary[SOTA_MP_BOUNDARY_MAX + 1];
    sota_mp_err_t me = sota_mp_boundary(ctype, boundary, sizeof boundary);
    if (me == SOTA_MP_OK) {
        me = sota_mp_init(&u->mp, boundary);
    }
    if (me != SOTA_MP_OK) {
        sota_update_cancel(&u->upd, sota_mp_strerror(me));
        return SOTA_UPDATE_ERR_BAD_REQUEST;
    }
    return SOTA_UPDATE_OK;
}

/* The session this request writes: the interrupted upload it continues, or a new one
 * on the slot (or ?partition=) it targets, of a raw or a multipart body. NULL, answered,
 * when there is none. */
static upload_t *upload_open(httpd_req_t *req, bool multipart, esp_err_t *answered)
{
    upload_t *u = ota_resume_take_claimed(); /* an interrupted upload this request continues */
    bool resumed = u != NULL;
    if (!resumed) {
        u = calloc(1, sizeof *u);
    }
    if (!u) {
        ota_state_finish(false, "out of memory for the upload buffers; the running app is unchanged", "");
        *answered = ota_reply_refuse(req, SOTA_UPDATE_ERR_NO_MEMORY, "out of memory for the upload buffers; "
                                     "try again");
        return NULL;
    }
    u->req = req;
    u->left = req->content_len;
    u->keep = false;
    u->multipart = multipart;
    ota_peer_of(req, &u->peer);
    u->cbs = (sota_mp_callbacks_t){ .on_part_begin = mp_begin, .on_part_data = mp_data,
                                    .on_part_end = mp_end, .ctx = u };
    if (resumed) {
        u->base = sota_update_offset(&u->upd);
        ota_state_resume(u->base, (uint32_t)u->upd.cfg.announced_len);
        ESP_LOGI(TAG, "resuming the interrupted upload at %u of %u bytes", (unsigned)u->base,
                 (unsigned)u->upd.cfg.announced_len);
        return u;
    }
    sota_update_cfg_t cfg;
    char fsmsg[120];
    ota_fs_request(req, &u->fsreq, fsmsg, sizeof fsmsg); /* checked before the claim */
    if (ota_writer_target(&u->writer, ota_state_config(), &cfg) != ESP_OK) {
        free(u);
        ota_state_finish(false, "this device has no OTA slot to write (see its partition table)", "");
        *answered = ota_reply_refuse(req, SOTA_UPDATE_ERR_NO_SLOT, "this device has no OTA app slot to write: "
                                     "its partition table needs ota_0 and ota_1 partitions and an otadata "
                                     "partition");
        return NULL;
    }
    cfg.announced_len = req->content_len;
    cfg.announced_exact = !multipart;
    ota_fs_apply(&u->fsreq, &cfg);
    sota_update_init(&u->upd, &cfg, &ota_writer_ops, &u->writer);
    return u;
}

/* The whole upload, from the claimed session to the answer. */
static esp_err_t upload_run(httpd_req_t *req)
{
    char ctype[256] = "";
    bool ctype_long = httpd_req_get_hdr_value_str(req, "Content-Type", ctype, sizeof ctype) ==
                      ESP_ERR_HTTPD_RESULT_TRUNC;
    esp_err_t err = ESP_FAIL;
    upload_t *u = upload_open(req, strncasecmp(ctype, "multipart/", 10) == 0, &err);
    if (!u) {
        return err;
    }
    bool close = false;
    sota_update_err_t out = body_framing(u, ctype, ctype_long);
    if (out == SOTA_UPDATE_OK) {
        out = receive(u, &close);
    }
    if (u->keep && !ota_resume_keep(u, &u->upd, &u->peer, free)) {
        sota_update_cancel(&u->upd, u->why);
        u->keep = false;
    }
    if (u->keep) {
        return ESP_FAIL; /* kept for a resume; the connection is gone: nothing to answer */
    }
    cJSON *o = cJSON_CreateObject();
    if (out != SOTA_UPDATE_OK) {
        err = answer_refused(u, out, close, o);
    } else if (u->writer.fs) {
        err = answer_fs(u, o);
    } else {
        err = answer_app(u, o);
    }
    free(u);
    return err;
}

#if SOTA_ASYNC_UPLOAD
#if !SOTA_ASYNC_COMPLETE_WAKES
static void wake_server(void *arg)
{
    (void)arg; /* running at all is the point: the server looks at its sessions again */
}
#endif

/* The upload task is created before the request is copied, and waits for the copy:
 * once httpd_req_async_handler_begin succeeded, the original request's body reads as
 * 0 bytes, so the choice between the task and the server task must be made before. */
typedef struct {
    httpd_req_t *req; /* the async copy, or NULL: exit */
} upload_handoff_t;

static void upload_task(void *arg)
{
    upload_handoff_t *h = arg;
    ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
    httpd_req_t *req = h->req;
    free(h);
    if (!req) {
        atomic_fetch_sub(&s_upload_tasks, 1);
        vTaskDelete(NULL);
        return;
    }
    esp_err_t err = upload_run(req);
    /* ESP-IDF drains the body a handler left unread, and closes the connection when the
     * handler fails, only for requests it dispatched itself: an async request does both
     * here, else the rest of a refused body is parsed as the next request and a stalled
     * client waits on a connection nobody reads. */
    char sink[512];
    int n = 0;
    size_t drained = 0;
    while (err == ESP_OK && !atomic_load(&s_stopping) && (n = httpd_req_recv(req, sink, sizeof sink)) > 0) {
        drained += (size_t)n;
        if (drained > DRAIN_MAX) {
            err = ESP_FAIL; /* a refused body this large is not worth reading: close */
            break;
        }
    }
    if (n < 0) {
        err = ESP_FAIL;
    }
    httpd_handle_t hd = req->handle;
    int fd = httpd_req_to_sockfd(req);
    if (err == ESP_OK) {
        ota_conn_done(fd);
    }
    httpd_req_async_handler_complete(req);
    if (err != ESP_OK) {
        httpd_sess_trigger_close(hd, fd); /* queued: also wakes the server */
    }
#if !SOTA_ASYNC_COMPLETE_WAKES
    else if (httpd_queue_work(hd, wake_server, NULL) != ESP_OK) {
        ESP_LOGW(TAG, "could not wake the HTTP server after an upload: the next request on "
                 "this connection waits for other traffic");
    }
#endif
    ota_stack_report("sota_upload", SOTA_UPLOAD_STACK);
    atomic_fetch_sub(&s_upload_tasks, 1);
    vTaskDelete(NULL);
}

/* Hand the upload to its own task. Returns false, with the request untouched, when the
 * server task must receive it itself. */
static bool upload_in_task(httpd_req_t *req)
{
    upload_handoff_t *h = calloc(1, sizeof *h);
    TaskHandle_t task = NULL;
    /* counted from before the task exists until it ends (it takes the count down on
     * every path): softap_ota_stop never sees 0 while a request copy is about to be made */
    atomic_fetch_add(&s_upload_tasks, 1);
    if (!h || xTaskCreate(upload_task, "sota_upload", SOTA_UPLOAD_STACK, h, 5, &task) != pdPASS) {
        atomic_fetch_sub(&s_upload_tasks, 1);
        free(h);
        ESP_LOGW(TAG, "no memory for the upload task; receiving the upload in the server task");
        return false;
    }
    httpd_req_t *copy = NULL;
    bool ok = httpd_req_async_handler_begin(req, &copy) == ESP_OK;
    if (!ok) {
        ESP_LOGW(TAG, "could not hand the upload over; receiving it in the server task");
    }
    h->req = ok ? copy : NULL; /* the task frees h */
    xTaskNotifyGive(task);
    return ok;
}
#endif

esp_err_t ota_upload_post(httpd_req_t *req)
{
    /* Who asks is settled before a byte of the body is read. */
    esp_err_t aerr;
    if (!ota_reply_may_change(req, "upload", &aerr)) {
        return aerr;
    }
    if (req->content_len == 0) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_LENGTH_REQUIRED,
                             "the upload has no Content-Length (or is empty): send the file as the body "
                             "(curl --data-binary @app.bin) or as a form (curl -F file=@app.bin)");
    }
    /* esp_ota_begin refuses while the running app waits for its health check */
    const esp_partition_t *run = esp_ota_get_running_partition();
    esp_ota_img_states_t rs;
    if (run && esp_ota_get_state_partition(run, &rs) == ESP_OK && rs == ESP_OTA_IMG_PENDING_VERIFY) {
        char msg[200];
        snprintf(msg, sizeof msg, "the running app was just installed and its health check has not judged it "
                 "yet (it runs %u ms after the start): try again in a few seconds",
                 (unsigned)ota_state_config()->health_delay_ms);
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_PENDING_VERIFY, msg);
    }
    /* ?partition= and X-Sota-SHA256, when given, must be well-formed */
    ota_fs_req_t fsreq;
    char fsmsg[120];
    if (!ota_fs_request(req, &fsreq, fsmsg, sizeof fsmsg)) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BAD_REQUEST, fsmsg);
    }
    /* An interrupted upload kept for a resume: continue it, start over, or refuse. */
    char ctype[16] = "";
    httpd_req_get_hdr_value_str(req, "Content-Type", ctype, sizeof ctype);
    sota_update_err_t why = SOTA_UPDATE_OK;
    cJSON *refused = ota_resume_gate(req, strncasecmp(ctype, "multipart/", 10) == 0, &why);
    if (refused) {
        httpd_resp_set_hdr(req, "Connection", "close"); /* the body is not read */
        ota_reply_json(req, why, refused);
        return ota_conn_refuse_close(req);
    }
    if (!ota_state_try_begin((uint32_t)req->content_len)) {
        upload_t *claimed = ota_resume_take_claimed(); /* cannot happen: kept means none runs */
        if (claimed) {
            sota_update_cancel(&claimed->upd, "the interrupted upload was discarded: another upload ran");
            free(claimed);
        }
        softap_ota_status_t st;
        ota_state_get(&st);
        char msg[200];
        snprintf(msg, sizeof msg, "another update is in progress (%u of %u bytes received): wait for it "
                 "to finish, then reload the page", (unsigned)st.received, (unsigned)st.total);
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BUSY, msg);
    }
#if SOTA_ASYNC_UPLOAD
    if (upload_in_task(req)) {
        ota_http_handed_over();
        ota_stack_report("the HTTP server task", SOTA_HTTPD_STACK);
        return ESP_OK;
    }
#endif
    esp_err_t err = upload_run(req);
    ota_stack_report("the HTTP server task", SOTA_HTTPD_STACK);
    return err;
}

esp_err_t ota_upload_stop_all(void)
{
    /* An upload ends at its next receive, which returns within one receive timeout;
     * verifying what was received takes a few seconds at most. */
    atomic_store(&s_stopping, true);
    const int64_t limit = esp_timer_get_time() +
                          ((int64_t)ota_state_config()->recv_timeout_s + 10) * 1000000;
    while (atomic_load(&s_upload_tasks) > 0 && esp_timer_get_time() < limit) {
        vTaskDelay(pdMS_TO_TICKS(10));
    }
    if (atomic_load(&s_upload_tasks) > 0) {
        ESP_LOGE(TAG, "the upload task did not end: the HTTP server is left running, since stopping "
                 "it would free the request the upload still uses; call softap_ota_stop again");
        atomic_store(&s_stopping, false);
        return ESP_ERR_TIMEOUT;
    }
    return ESP_OK;
}

void ota_upload_allow(void)
{
    atomic_store(&s_stopping, false);
}
