/* HTTP: the page, the status API, the upload, the switch of the boot slot, and the
 * captive-portal answers. API (README.md): GET and HEAD / (gzip page, or a short text for
 * clients without gzip), GET /api/status (JSON), POST /api/check (the verdict on a file's
 * first bytes), POST /update (raw body or multipart/form-data, or the rest of an
 * interrupted upload), POST /api/boot. Every error is JSON {"error": code, "message":
 * text}, those the HTTP server itself finds in a request included. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "ota_internal.h"
#include "sdkconfig.h"
#include "sota_http.h"
#include "sota_multipart.h"

static const char *TAG = "softap_ota";

#define API_LIST "GET /, GET /api/status, POST /api/check, POST /update, POST /api/boot"

/* The page, less its indentation and comments and gzipped at build time by web/gzip.cmake,
 * embedded by the component's CMakeLists.txt (target_add_binary_data on the device, an
 * .incbin in host/CMakeLists.txt on the host). */
extern const uint8_t index_html_gz_start[] __asm__("_binary_index_html_gz_start");
extern const uint8_t index_html_gz_end[] __asm__("_binary_index_html_gz_end");

#define RECV_CHUNK 4096
#define REBOOT_DELAY_US (500 * 1000)
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

static const char *status_line(int status)
{
    switch (status) {
    case 200: return "200 OK";
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 408: return "408 Request Timeout";
    case 409: return "409 Conflict";
    case 411: return "411 Length Required";
    case 413: return "413 Content Too Large";
    case 414: return "414 URI Too Long";
    case 415: return "415 Unsupported Media Type";
    case 416: return "416 Range Not Satisfiable";
    case 422: return "422 Unprocessable Content";
    case 429: return "429 Too Many Requests";
    case 503: return "503 Service Unavailable";
    case 431: return "431 Request Header Fields Too Large";
    case 501: return "501 Not Implemented";
    case 505: return "505 HTTP Version Not Supported";
    default: return "500 Internal Server Error";
    }
}

static esp_err_t send_json(httpd_req_t *req, int status, cJSON *obj)
{
    char *body = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!body) {
        return httpd_resp_send_500(req);
    }
    httpd_resp_set_status(req, status_line(status));
    httpd_resp_set_type(req, "application/json");
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    ota_auth_protect(req);
    esp_err_t err = httpd_resp_send(req, body, HTTPD_RESP_USE_STRLEN);
    cJSON_free(body);
    return err;
}

static esp_err_t send_error(httpd_req_t *req, int status, const char *code, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", message);
    ESP_LOGW(TAG, "%s %s -> %d %s: %s", req->method == HTTP_POST ? "POST" : "GET", req->uri, status, code, message);
    return send_json(req, status, o);
}

/* What the file is and what to do, as /update's refusals and /api/check answer it: the
 * kind (once the first bytes named it), the reason and the advice. */
static void add_explain(cJSON *o, const sota_update_t *upd)
{
    char reason[sizeof upd->msg];
    const char *advice = sota_update_explain(upd, reason, sizeof reason);
    if (upd->kind < SOTA_FILE__COUNT) {
        cJSON_AddStringToObject(o, "kind", sota_file_kind_name(upd->kind));
    }
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "advice", advice);
}

/* A refusal of an upload whose body is not read: the answer says "Connection: close"
 * and the connection is closed, instead of the body being read to its end first. */
static esp_err_t refuse_unread(httpd_req_t *req, int status, const char *code, const char *message)
{
    httpd_resp_set_hdr(req, "Connection", "close");
    send_error(req, status, code, message);
    return ota_conn_refuse_close(req);
}

/* --- who may ask ------------------------------------------------------------------- */

/* Let the request through, or answer it and return false (*err: the send result): 401
 * with the Basic challenge for missing or wrong credentials, 429 while locked out.
 * `closing`: the answer says "Connection: close" (the body will not be read). */
static bool allowed(httpd_req_t *req, esp_err_t *err, bool closing)
{
    uint32_t retry = 0;
    sota_auth_verdict_t v = ota_auth_check(req, &retry);
    if (v == SOTA_AUTH_PASS) {
        return true;
    }
    if (closing) {
        httpd_resp_set_hdr(req, "Connection", "close");
    }
    if (v == SOTA_AUTH_LOCKED) {
        char secs[12], msg[200];
        snprintf(secs, sizeof secs, "%u", (unsigned)retry);
        snprintf(msg, sizeof msg, "too many wrong user names or passwords: every request is refused for "
                 "%u s more; wait, then log in again", (unsigned)retry);
        httpd_resp_set_hdr(req, "Retry-After", secs);
        *err = send_error(req, 429, "locked_out", msg);
        return false;
    }
    httpd_resp_set_hdr(req, "WWW-Authenticate", "Basic realm=\"softap-ota\", charset=\"UTF-8\"");
    *err = send_error(req, 401, "unauthorized",
                      v == SOTA_AUTH_MISSING
                          ? "this updater asks for a user name and password: log in (curl -u USER:PASSWORD)"
                          : "wrong user name or password: try again (repeated failures lock the updater "
                            "for a while)");
    return false;
}

/* A request that changes what the device runs (an upload, a switch of slots): posted by
 * the device's own page or a script, never by another site's page (403), and by someone
 * allowed (401/429). Else answered here with "Connection: close" (the body is not read),
 * and false; *err is then the handler's result. */
static bool may_change(httpd_req_t *req, const char *what, esp_err_t *err)
{
    if (!ota_auth_same_origin(req)) {
        char msg[300];
        snprintf(msg, sizeof msg, "refused: the %s was sent by a page of another site (its Origin or Referer "
                 "is not this device's address). Open the update page at the device's own address "
                 "(http://192.168.4.1/) and %s from there", what, what);
        *err = refuse_unread(req, 403, "cross_site", msg);
        return false;
    }
    if (!allowed(req, err, true)) {
        *err = ota_conn_refuse_close(req);
        return false;
    }
    return true;
}

/* --- GET / and GET /api/status ------------------------------------------------------ */

static bool accepts_gzip(httpd_req_t *req)
{
    char v[128];
    esp_err_t e = httpd_req_get_hdr_value_str(req, "Accept-Encoding", v, sizeof v);
    return (e == ESP_OK || e == ESP_ERR_HTTPD_RESULT_TRUNC) && sota_http_accepts_gzip(v);
}

static void ap_url(char *out, size_t len);

/* What a client that does not take gzip (plain curl, a script) gets instead of the
 * page's compressed bytes. */
static size_t plain_page(char *out, size_t len)
{
    char url[48];
    ap_url(url, sizeof url);
    int n = snprintf(out, len,
                     "This is the firmware update page of an ESP32. Open %s in a web browser.\n"
                     "The page is sent gzip-compressed, and this client did not ask for gzip: "
                     "with curl, use curl --compressed %s\n"
                     "Scripts: GET /api/status, POST /update with the app .bin as the body "
                     "(curl --data-binary @build/app.bin -H 'Content-Type: application/octet-stream' "
                     "%supdate).\n", url, url, url);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static esp_err_t page_get(httpd_req_t *req)
{
    esp_err_t err;
    if (!allowed(req, &err, false)) {
        return err;
    }
    ota_auth_protect(req);
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    httpd_resp_set_hdr(req, "Vary", "Accept-Encoding");
    if (!accepts_gzip(req)) {
        char body[600];
        httpd_resp_set_type(req, "text/plain; charset=utf-8");
        return httpd_resp_send(req, body, (ssize_t)plain_page(body, sizeof body));
    }
    httpd_resp_set_type(req, "text/html; charset=utf-8");
    httpd_resp_set_hdr(req, "Content-Encoding", "gzip");
    return httpd_resp_send(req, (const char *)index_html_gz_start,
                           (ssize_t)(index_html_gz_end - index_html_gz_start));
}

/* HEAD /: the head of what GET / would answer, without its body. ESP-IDF's server has
 * no HEAD support of its own (it would send the body, and Content-Length must be the
 * GET body's), so the head is written here. */
static esp_err_t page_head(httpd_req_t *req)
{
    uint32_t retry = 0;
    sota_auth_verdict_t v = ota_auth_check(req, &retry);
    char head[600], extra[120] = "";
    const char *status = "200 OK", *type = "text/html; charset=utf-8", *enc = "";
    size_t len = 0;
    if (v == SOTA_AUTH_LOCKED) {
        status = status_line(429);
        type = "application/json";
        snprintf(extra, sizeof extra, "Retry-After: %u\r\n", (unsigned)retry);
    } else if (v != SOTA_AUTH_PASS) {
        status = status_line(401);
        type = "application/json";
        snprintf(extra, sizeof extra, "WWW-Authenticate: Basic realm=\"softap-ota\", charset=\"UTF-8\"\r\n");
    } else if (accepts_gzip(req)) {
        enc = "Content-Encoding: gzip\r\n";
        len = (size_t)(index_html_gz_end - index_html_gz_start);
    } else {
        char body[600];
        type = "text/plain; charset=utf-8";
        len = plain_page(body, sizeof body);
    }
    char clen[40] = "";
    if (v == SOTA_AUTH_PASS) {
        snprintf(clen, sizeof clen, "Content-Length: %u\r\n", (unsigned)len);
    }
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\n%s%s%sCache-Control: no-store\r\n"
                     "Vary: Accept-Encoding\r\nX-Frame-Options: DENY\r\n"
                     "Content-Security-Policy: frame-ancestors 'none'\r\nX-Content-Type-Options: nosniff\r\n\r\n",
                     status, type, enc, clen, extra);
    if (n < 0 || (size_t)n >= sizeof head) {
        return ESP_FAIL;
    }
    for (int sent = 0; sent < n;) {
        int k = httpd_send(req, head + sent, (size_t)(n - sent));
        if (k <= 0) {
            return ESP_FAIL;
        }
        sent += k;
    }
    return ESP_OK;
}

static esp_err_t status_get(httpd_req_t *req)
{
    esp_err_t err;
    if (!allowed(req, &err, false)) {
        return err;
    }
    char *body = ota_status_json();
    if (!body) {
        return httpd_resp_send_500(req);
    }
    httpd_resp_set_type(req, "application/json");
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    ota_auth_protect(req);
    err = httpd_resp_send(req, body, HTTPD_RESP_USE_STRLEN);
    cJSON_free(body);
    return err;
}

/* --- captive portal ------------------------------------------------------------------ */

static void ap_url(char *out, size_t len)
{
    esp_netif_ip_info_t ip = { 0 };
    esp_netif_t *ap = esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
    if (ap && esp_netif_get_ip_info(ap, &ip) == ESP_OK && ip.ip.addr) {
        snprintf(out, len, "http://" IPSTR "/", IP2STR(&ip.ip));
    } else {
        snprintf(out, len, "http://192.168.4.1/");
    }
}

/* Phones and laptops probe a known URL after joining a network; anything but the
 * expected answer makes them show this page in their captive-portal window. */
static esp_err_t probe_get(httpd_req_t *req)
{
    char url[48], body[400];
    ap_url(url, sizeof url);
    snprintf(body, sizeof body,
             "<!DOCTYPE html><meta name=viewport content=\"width=device-width\">"
             "<title>ESP32 update</title><p>This network updates a device. Open "
             "<a href=\"%s\">%s</a> in your browser to upload firmware.</p>", url, url);
    httpd_resp_set_type(req, "text/html");
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    ota_auth_protect(req);
    return httpd_resp_send(req, body, HTTPD_RESP_USE_STRLEN);
}

/* Unknown paths: a request for another host (a captive client) is sent to the page;
 * one for this device gets a JSON 404. */
static esp_err_t not_found_answer(httpd_req_t *req)
{
    char host[64] = "";
    char url[48];
    ap_url(url, sizeof url);
    httpd_req_get_hdr_value_str(req, "Host", host, sizeof host);
    bool ours = host[0] == '\0' || strncmp(url + 7, host, strlen(host)) == 0 ||
                strncmp(host, "127.0.0.1", 9) == 0 || strncmp(host, "localhost", 9) == 0 ||
                strncmp(host, "[::1]", 5) == 0;
    if (!ours) {
        httpd_resp_set_status(req, "302 Found");
        httpd_resp_set_hdr(req, "Location", url);
        return httpd_resp_send(req, NULL, 0);
    }
    char msg[220];
    snprintf(msg, sizeof msg, "no such resource: %.100s (the API is " API_LIST ")", req->uri);
    return send_error(req, 404, "not_found", msg);
}

/* --- POST /api/check ----------------------------------------------------------------- */

/* The verdict an upload of a file would get, from its first bytes, with nothing claimed,
 * opened or erased: POST /api/check?size=N (N: the file's length) with the file's first
 * min(N, SOTA_UPDATE_HEAD_LEN) bytes as the body. The same session code as /update runs
 * on them (sota_update_precheck), so both name the file alike. */
typedef struct {
    sota_update_t upd;
    ota_writer_t writer;
    uint8_t head[SOTA_UPDATE_HEAD_LEN];
} check_t;

/* Warnings about an app that will be accepted, for the person choosing it. */
static void add_notes(cJSON *o, const sota_update_t *upd)
{
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    const sota_app_desc_t *d = &upd->img.desc;
    const char *rp = upd->cfg.running_project, *rv = upd->cfg.running_version;
    char note[160];
    if (!upd->img.have_desc || d->magic_word != SOTA_APP_DESC_MAGIC) {
        cJSON_AddItemToArray(notes, cJSON_CreateString(
            "The file carries no version information (no app description): its project and "
            "version are unknown."));
        return;
    }
    if (rp && strcmp(d->project_name, rp) != 0) {
        snprintf(note, sizeof note, "Project \"%s\", but this device runs \"%s\": is it the right "
                 "firmware?", d->project_name, rp);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    }
    int c = rv ? sota_version_cmp(d->version, rv) : 1;
    if (c == 0) {
        snprintf(note, sizeof note, "Same version as running (%s): a reinstall.", rv);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    } else if (c < 0) {
        snprintf(note, sizeof note, "Version %s is older than the running %s: a downgrade.",
                 d->version, rv);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    }
}

static esp_err_t check_post(httpd_req_t *req)
{
    if (!ota_auth_same_origin(req)) {
        return refuse_unread(req, 403, "cross_site",
                             "refused: the check was sent by a page of another site. Open the update "
                             "page at the device's own address (http://192.168.4.1/)");
    }
    esp_err_t err;
    if (!allowed(req, &err, true)) {
        return ota_conn_refuse_close(req);
    }
    char query[64] = "", val[24] = "";
    char *end = NULL;
    unsigned long long size = 0;
    if (httpd_req_get_url_query_str(req, query, sizeof query) == ESP_OK &&
        httpd_query_key_value(query, "size", val, sizeof val) == ESP_OK && val[0] >= '0' &&
        val[0] <= '9') {
        size = strtoull(val, &end, 10);
    }
    if (end == NULL || *end != '\0' || size > UINT32_MAX) {
        char msg[200];
        snprintf(msg, sizeof msg, "give the file's length and its first bytes: POST /api/check?size=N "
                 "with the first min(N, %u) bytes of the file as the body", (unsigned)SOTA_UPDATE_HEAD_LEN);
        return refuse_unread(req, 400, "bad_request", msg);
    }
    size_t need = size < SOTA_UPDATE_HEAD_LEN ? (size_t)size : SOTA_UPDATE_HEAD_LEN;
    if (req->content_len != need) {
        char msg[160];
        snprintf(msg, sizeof msg, "send the file's first %u bytes as the body (the whole file if it "
                 "is shorter), not %u", (unsigned)need, (unsigned)req->content_len);
        return refuse_unread(req, 400, "bad_request", msg);
    }
    check_t *c = calloc(1, sizeof *c);
    if (!c) {
        return refuse_unread(req, 500, "no_memory", "out of memory for the check; try again");
    }
    uint32_t timeouts = 0;
    for (size_t got = 0; got < need;) {
        int n = httpd_req_recv(req, (char *)c->head + got, need - got);
        if (n == HTTPD_SOCK_ERR_TIMEOUT && ++timeouts < ota_state_config()->max_recv_timeouts) {
            continue;
        }
        if (n <= 0) {
            free(c);
            return ESP_FAIL;   /* connection lost: close it */
        }
        got += (size_t)n;
    }
    sota_update_cfg_t cfg;
    if (ota_writer_target(&c->writer, ota_state_config(), &cfg) != ESP_OK) {
        free(c);
        return send_error(req, 500, "no_slot", "this device has no OTA app slot to write: its partition "
                          "table needs ota_0 and ota_1 partitions and an otadata partition");
    }
    cfg.announced_len = size;
    cfg.announced_exact = true;
    sota_update_err_t verdict = sota_update_precheck(&c->upd, &cfg, c->head, need);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "verdict", verdict == SOTA_UPDATE_OK ? "ok" : "refused");
    cJSON_AddNumberToObject(o, "status", sota_update_http_status(verdict));
    if (verdict != SOTA_UPDATE_OK) {
        cJSON_AddStringToObject(o, "error", sota_update_err_code(verdict));
        cJSON_AddStringToObject(o, "message", c->upd.msg);
        add_explain(o, &c->upd);
    } else {
        const sota_app_desc_t *d = &c->upd.img.desc;
        add_explain(o, &c->upd);
        if (c->upd.img.have_desc && d->magic_word == SOTA_APP_DESC_MAGIC) {
            cJSON_AddStringToObject(o, "project", d->project_name);
            cJSON_AddStringToObject(o, "version", d->version);
        }
        add_notes(o, &c->upd);
    }
    cJSON_AddNumberToObject(o, "size", (double)size);
    cJSON_AddStringToObject(o, "slot", c->writer.part->label);
    cJSON_AddNumberToObject(o, "slot_size", c->writer.part->size);
    free(c);
    return send_json(req, 200, o);
}

/* Every request the server hands over goes through here: the connection learns that its
 * head is complete, and whether it goes on. A handler that leaves a body unread answers
 * with "Connection: close" and the connection is closed, instead of the server task
 * reading and dropping up to 4 GiB of it before anyone else is served. */
static bool s_handed_over; /* the handler gave the request to another task (server task only) */

static esp_err_t run_handler(httpd_req_t *req, esp_err_t (*fn)(httpd_req_t *), bool reads_body)
{
    int fd = httpd_req_to_sockfd(req);
    bool unread = req->content_len > 0 && !reads_body;
    ota_conn_body(req);
    if (unread) {
        httpd_resp_set_hdr(req, "Connection", "close");
    }
    s_handed_over = false;
    esp_err_t err = fn(req);
    if (s_handed_over) {
        return err;
    }
    if (unread && err == ESP_OK) {
        return ota_conn_refuse_close(req);
    }
    if (err == ESP_OK) {
        ota_conn_done(fd);
    }
    return err;
}

static esp_err_t not_found(httpd_req_t *req, httpd_err_code_t code)
{
    (void)code;
    return run_handler(req, not_found_answer, false);
}

typedef struct {
    esp_err_t (*fn)(httpd_req_t *req);
    bool reads_body;
} route_t;

static esp_err_t dispatch(httpd_req_t *req)
{
    const route_t *r = req->user_ctx;
    return run_handler(req, r->fn, r->reads_body);
}

/* The methods a path takes, for 405's message and Allow header. */
static const char *allowed_methods(const char *uri)
{
    size_t n = strcspn(uri, "?");
    if ((n == 1 && uri[0] == '/') || (n == 11 && strncmp(uri, "/index.html", 11) == 0)) {
        return "GET, HEAD";
    }
    if (n == 11 && strncmp(uri, "/api/status", 11) == 0) {
        return "GET";
    }
    return "POST"; /* /update, /api/boot: the only other paths with handlers */
}

/* 405 after a complete request head: the connection goes on as after any answer. */
static esp_err_t method_not_allowed(httpd_req_t *req)
{
    char msg[240];
    const char *allow = allowed_methods(req->uri);
    snprintf(msg, sizeof msg, "%s is not allowed on %.80s, which takes %s (the API is " API_LIST ")",
             http_method_str((enum http_method)req->method), req->uri, allow);
    httpd_resp_set_hdr(req, "Allow", allow);
    return send_error(req, 405, "method_not_allowed", msg);
}

/* What the HTTP server itself refuses (ESP-IDF calls these handlers instead of sending
 * its text/html answers): the same JSON as every other error, with what to do. After a
 * request that could not be parsed the connection is closed (ESP_FAIL), as ESP-IDF's
 * default does; 404 and 405 come after a complete request and keep it. */
static esp_err_t server_error(httpd_req_t *req, httpd_err_code_t code)
{
    const softap_ota_config_t *cfg = ota_state_config();
    char msg[240];
    int status = 500;
    const char *err = "internal_error";
    switch (code) {
    case HTTPD_404_NOT_FOUND:
        return not_found(req, code);
    case HTTPD_405_METHOD_NOT_ALLOWED:
        return run_handler(req, method_not_allowed, false);
    case HTTPD_400_BAD_REQUEST:
        status = 400, err = "bad_request";
        snprintf(msg, sizeof msg, "the request is malformed (its request line, a header or the framing of its "
                 "body): send a well-formed HTTP/1.1 request, as a browser or curl does");
        break;
    case HTTPD_401_UNAUTHORIZED:
        status = 401, err = "unauthorized";
        snprintf(msg, sizeof msg, "this request needs a user name and password: log in");
        break;
    case HTTPD_403_FORBIDDEN:
        status = 403, err = "forbidden";
        snprintf(msg, sizeof msg, "this request is not allowed");
        break;
    case HTTPD_408_REQ_TIMEOUT:
        status = 408, err = "timeout";
        snprintf(msg, sizeof msg, "the request did not arrive completely (no data for %u s): send it again, "
                 "closer to the device if the Wi-Fi is weak", (unsigned)cfg->recv_timeout_s);
        break;
    case HTTPD_411_LENGTH_REQUIRED:
        status = 411, err = "length_required";
        snprintf(msg, sizeof msg, "the request has no Content-Length: send the body with its length "
                 "(curl --data-binary @app.bin)");
        break;
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
    case HTTPD_413_CONTENT_TOO_LARGE:
        status = 413, err = "too_big";
        snprintf(msg, sizeof msg, "the request announces a body of more than 4 GiB, larger than any app slot: "
                 "check its Content-Length");
        break;
#endif
    case HTTPD_414_URI_TOO_LONG:
        status = 414, err = "uri_too_long";
        snprintf(msg, sizeof msg, "the URL is longer than this device takes (%d bytes): use the plain paths "
                 "of the API (" API_LIST ")", CONFIG_HTTPD_MAX_URI_LEN);
        break;
    case HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE:
        status = 431, err = "headers_too_large";
        snprintf(msg, sizeof msg, "the request's headers are larger than this device takes (%d bytes): send "
                 "fewer or shorter headers (clear this address's cookies in the browser)",
                 CONFIG_HTTPD_MAX_REQ_HDR_LEN);
        break;
    case HTTPD_501_METHOD_NOT_IMPLEMENTED:
        status = 501, err = "not_implemented";
        snprintf(msg, sizeof msg, "this HTTP method is not supported: use GET, HEAD or POST");
        break;
    case HTTPD_505_VERSION_NOT_SUPPORTED:
        status = 505, err = "http_version";
        snprintf(msg, sizeof msg, "this HTTP version is not supported: send an HTTP/1.1 request");
        break;
    default:
        snprintf(msg, sizeof msg, "the HTTP server could not handle this request: try again (with a shorter URL if it is long)");
        break;
    }
    httpd_resp_set_hdr(req, "Connection", "close");
    ESP_LOGW(TAG, "request refused by the HTTP server: %d %s", status, err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", err);
    cJSON_AddStringToObject(o, "message", msg);
    send_json(req, status, o);
    return ESP_FAIL;
}

/* --- POST /update ------------------------------------------------------------------- */

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
    const char *code;          /* error code for failures outside the session */
    /* resuming (ota_resume.c): the client, the file offset this request starts at, and
     * whether the session is to be kept when the transfer broke off (why: the reason to
     * record if it cannot be kept) */
    ota_peer_t peer;
    uint32_t base;
    bool keep;
    char why[160];
    char buf[RECV_CHUNK];
} upload_t;

static int mp_begin(void *ctx, const sota_mp_part_t *part)
{
    upload_t *u = ctx;
    if (u->file_seen && part->filename && part->filename[0]) {
        /* Another chosen file after the file part (the parser marks only the first):
         * installing the first and dropping the second would hide a mistake. */
        sota_update_cancel(&u->upd, "the form has more than one file: one file is expected. Send only "
                           "the firmware .bin (curl -F file=@app.bin)");
        u->code = "bad_request";
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


static void reboot_cb(void *arg)
{
    (void)arg;
    ESP_LOGI(TAG, "rebooting into the new app");
    esp_restart();
}

static void schedule_reboot(void)
{
    esp_timer_handle_t t;
    const esp_timer_create_args_t args = { .callback = reboot_cb, .name = "sota_reboot" };
    if (esp_timer_create(&args, &t) != ESP_OK || esp_timer_start_once(t, REBOOT_DELAY_US) != ESP_OK) {
        reboot_cb(NULL);
    }
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

/* Receive the body and stream it through the update session. Returns the HTTP status
 * to answer with and sets *close when the connection must be dropped (dead client). */
static int receive(upload_t *u, bool *close)
{
    httpd_req_t *req = u->req;
    const softap_ota_config_t *cfg = ota_state_config();
    const int64_t deadline = esp_timer_get_time() + (int64_t)cfg->upload_deadline_s * 1000000;
    uint32_t timeouts = 0;

    while (u->left > 0) {
        if (atomic_load(&s_stopping)) {
            char why[160];
            snprintf(why, sizeof why, "the updater was stopped by the app after %u of %u bytes; the "
                     "running app is unchanged", (unsigned)u->upd.received, (unsigned)req->content_len);
            sota_update_cancel(&u->upd, why);
            u->code = "stopped";
            *close = true;
            return 503;
        }
        int n = httpd_req_recv(req, u->buf, u->left < sizeof u->buf ? u->left : sizeof u->buf);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            if (++timeouts >= cfg->max_recv_timeouts) {
                char why[160];
                snprintf(why, sizeof why, "the upload stalled: no data for %u s after %u of %u bytes; "
                         "the running app is unchanged, try again",
                         (unsigned)(timeouts * cfg->recv_timeout_s), (unsigned)u->upd.received,
                         (unsigned)u->upd.cfg.announced_len);
                broke_off(u, why);
                u->code = "timeout";
                *close = true;
                return 408;
            }
        } else if (n <= 0) {
            char why[160];
            snprintf(why, sizeof why, "the connection was lost after %u of %u bytes; the running app "
                     "is unchanged, try again", (unsigned)u->upd.received, (unsigned)u->upd.cfg.announced_len);
            broke_off(u, why);
            u->code = "disconnected";
            *close = true;
            return 400;
        } else {
            timeouts = 0;
            u->left -= (size_t)n;
            if (u->multipart) {
                sota_mp_err_t me = sota_mp_feed(&u->mp, u->buf, (size_t)n, &u->cbs);
                if (u->second_file) {
                    return 400;
                }
                if (u->upd.state != SOTA_UPDATE_ST_FAILED && me != SOTA_MP_OK) {
                    sota_update_cancel(&u->upd, sota_mp_strerror(me));
                    u->code = "bad_request";
                    return 400;
                }
            } else {
                sota_update_feed(&u->upd, u->buf, (size_t)n);
            }
            if (u->upd.state == SOTA_UPDATE_ST_FAILED) {
                return sota_update_http_status(u->upd.err);
            }
            ota_state_progress(u->base + (uint32_t)(req->content_len - u->left));
        }
        if (esp_timer_get_time() > deadline) {
            char why[160];
            snprintf(why, sizeof why, "the upload took longer than %u s and was stopped after %u of %u "
                     "bytes; the running app is unchanged, try again closer to the device",
                     (unsigned)cfg->upload_deadline_s, (unsigned)u->upd.received,
                     (unsigned)u->upd.cfg.announced_len);
            broke_off(u, why);
            u->code = "timeout";
            *close = true;
            return 408;
        }
    }
    if (u->multipart) {
        sota_mp_err_t me = sota_mp_finish(&u->mp);
        if (me != SOTA_MP_OK) {
            sota_update_cancel(&u->upd, sota_mp_strerror(me));
            u->code = "bad_request";
            return 400;
        }
        if (!u->file_seen) {
            sota_update_cancel(&u->upd, "the form had no file: choose the firmware .bin and send it "
                               "in a field with a filename (curl -F file=@app.bin)");
            u->code = "bad_request";
            return 400;
        }
    }
    ota_state_set(SOFTAP_OTA_VERIFYING);
    if (sota_update_finish(&u->upd) != SOTA_UPDATE_OK) {
        return sota_update_http_status(u->upd.err);
    }
    return 200;
}

/* The whole upload, from the claimed session to the answer. */
static esp_err_t upload_run(httpd_req_t *req)
{
    upload_t *u = ota_resume_take_claimed(); /* an interrupted upload this request continues */
    bool resumed = u != NULL;
    if (!resumed) {
        u = calloc(1, sizeof *u);
    }
    if (!u) {
        ota_state_finish(false, "out of memory for the upload buffers; the running app is unchanged", "");
        return refuse_unread(req, 500, "no_memory", "out of memory for the upload buffers; try again");
    }
    u->req = req;
    u->left = req->content_len;
    u->code = NULL;
    u->keep = false;
    ota_peer_of(req, &u->peer);
    u->cbs = (sota_mp_callbacks_t){ .on_part_begin = mp_begin, .on_part_data = mp_data,
                                    .on_part_end = mp_end, .ctx = u };
    char ctype[256] = "";
    bool ctype_long = httpd_req_get_hdr_value_str(req, "Content-Type", ctype, sizeof ctype) ==
                      ESP_ERR_HTTPD_RESULT_TRUNC;
    u->multipart = strncasecmp(ctype, "multipart/", 10) == 0;

    sota_update_cfg_t cfg;
    esp_err_t err = resumed ? ESP_OK : ota_writer_target(&u->writer, ota_state_config(), &cfg);
    if (err != ESP_OK) {
        free(u);
        ota_state_finish(false, "this device has no OTA slot to write (see its partition table)", "");
        return refuse_unread(req, 500, "no_slot", "this device has no OTA app slot to write: its partition "
                             "table needs ota_0 and ota_1 partitions and an otadata partition");
    }
    if (resumed) {
        u->base = sota_update_offset(&u->upd);
        ota_state_resume(u->base, (uint32_t)u->upd.cfg.announced_len);
        ESP_LOGI(TAG, "resuming the interrupted upload at %u of %u bytes", (unsigned)u->base,
                 (unsigned)u->upd.cfg.announced_len);
    } else {
        cfg.announced_len = req->content_len;
        cfg.announced_exact = !u->multipart;
        sota_update_init(&u->upd, &cfg, &ota_writer_ops, &u->writer);
    }

    int status = 0;
    bool close = false;
    if (ctype_long) {
        sota_update_cancel(&u->upd, "the Content-Type header is longer than 255 bytes: send the "
                           "file as application/octet-stream, or as multipart/form-data with a "
                           "boundary of at most 70 characters");
        u->code = "bad_request";
        status = 400;
    } else if (u->multipart) {
        char boundary[SOTA_MP_BOUNDARY_MAX + 1];
        sota_mp_err_t me = sota_mp_boundary(ctype, boundary, sizeof boundary);
        if (me == SOTA_MP_OK) {
            me = sota_mp_init(&u->mp, boundary);
        }
        if (me != SOTA_MP_OK) {
            sota_update_cancel(&u->upd, sota_mp_strerror(me));
            u->code = "bad_request";
            status = 400;
        }
    }
    if (!status) {
        status = receive(u, &close);
    }
    if (u->keep && !ota_resume_keep(u, &u->upd, &u->peer, free)) {
        sota_update_cancel(&u->upd, u->why);
        u->keep = false;
    }
    if (u->keep) {
        return ESP_FAIL; /* kept for a resume; the connection is gone: nothing to answer */
    }

    cJSON *o = cJSON_CreateObject();
    if (status == 200) {
        const sota_app_desc_t *d = &u->upd.img.desc;
        cJSON_AddBoolToObject(o, "ok", true);
        cJSON_AddStringToObject(o, "message", u->upd.msg);
        cJSON_AddStringToObject(o, "kind", sota_file_kind_name(u->upd.kind));
        cJSON_AddStringToObject(o, "project", d->project_name);
        cJSON_AddStringToObject(o, "version", d->version);
        cJSON_AddStringToObject(o, "partition", u->writer.part->label);
        char name[40];
        cJSON_AddStringToObject(o, "name", ota_slots_name(u->writer.part, name, sizeof name));
        cJSON_AddNumberToObject(o, "size", u->upd.img.image_len);
        cJSON_AddNumberToObject(o, "ignored_bytes", (double)u->upd.trailing);
        cJSON_AddNumberToObject(o, "reboot_in_ms", REBOOT_DELAY_US / 1000);
        ota_state_finish(true, u->upd.msg, u->writer.part->label);
        ESP_LOGI(TAG, "%s", u->upd.msg);
        err = send_json(req, 200, o);
        schedule_reboot();
    } else {
        const char *code = u->code ? u->code : sota_update_err_code(u->upd.err);
        cJSON_AddStringToObject(o, "error", code);
        cJSON_AddStringToObject(o, "message", u->upd.msg);
        add_explain(o, &u->upd);
        /* the status keeps what fits: the whole message, else its reason */
        char reason[sizeof u->upd.msg];
        sota_update_explain(&u->upd, reason, sizeof reason);
        bool fits = strlen(u->upd.msg) < sizeof ((softap_ota_status_t *)0)->last_message;
        ota_state_finish(false, fits ? u->upd.msg : reason, u->writer.part ? u->writer.part->label : "");
        ESP_LOGW(TAG, "update refused (%d %s): %s", status, code, u->upd.msg);
        if (close) {
            cJSON_Delete(o);
            err = ESP_FAIL;
        } else if (u->left > 0) {
            /* refused before the end of the body: answer and close rather than read on */
            httpd_resp_set_hdr(req, "Connection", "close");
            send_json(req, status, o);
            err = ota_conn_refuse_close(req);
        } else {
            err = send_json(req, status, o);
        }
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
    atomic_fetch_sub(&s_upload_tasks, 1);
    vTaskDelete(NULL);
}

/* Hand the upload to its own task. Returns false, with the request untouched, when the
 * server task must receive it itself. */
static bool upload_in_task(httpd_req_t *req)
{
    upload_handoff_t *h = calloc(1, sizeof *h);
    TaskHandle_t task = NULL;
    if (!h || xTaskCreate(upload_task, "sota_upload", SOTA_UPLOAD_STACK, h, 5, &task) != pdPASS) {
        free(h);
        ESP_LOGW(TAG, "no memory for the upload task; receiving the upload in the server task");
        return false;
    }
    httpd_req_t *copy = NULL;
    bool ok = httpd_req_async_handler_begin(req, &copy) == ESP_OK;
    if (ok) {
        atomic_fetch_add(&s_upload_tasks, 1); /* the task ends it */
    } else {
        ESP_LOGW(TAG, "could not hand the upload over; receiving it in the server task");
    }
    h->req = ok ? copy : NULL; /* the task frees h */
    xTaskNotifyGive(task);
    return ok;
}
#endif

static esp_err_t update_post(httpd_req_t *req)
{
    /* Who asks is settled before a byte of the body is read. */
    esp_err_t aerr;
    if (!may_change(req, "upload", &aerr)) {
        return aerr;
    }
    if (req->content_len == 0) {
        return refuse_unread(req, 411, "length_required",
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
        return refuse_unread(req, 409, "pending_verify", msg);
    }
    /* An interrupted upload kept for a resume: continue it, start over, or refuse. */
    char ctype[16] = "";
    httpd_req_get_hdr_value_str(req, "Content-Type", ctype, sizeof ctype);
    int rstatus = 0;
    cJSON *refused = ota_resume_gate(req, strncasecmp(ctype, "multipart/", 10) == 0, &rstatus);
    if (refused) {
        httpd_resp_set_hdr(req, "Connection", "close"); /* the body is not read */
        send_json(req, rstatus, refused);
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
        return refuse_unread(req, 409, "busy", msg);
    }
#if SOTA_ASYNC_UPLOAD
    if (upload_in_task(req)) {
        s_handed_over = true;
        return ESP_OK;
    }
#endif
    return upload_run(req);
}

esp_err_t ota_http_stop(httpd_handle_t http)
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
    /* a synchronous upload in the server task ends the same way before httpd_stop returns */
    esp_err_t err = httpd_stop(http);
    atomic_store(&s_stopping, false);
    return err;
}

/* --- POST /api/boot: boot another slot's app ------------------------------------------ */

/* Body {"partition": LABEL}: verify that slot's image, select it for the next boot and
 * reboot, answering like a successful upload. The same rules as /update decide who may
 * ask; the upload rules decide which apps may be chosen (ota_slots_select). */
static esp_err_t boot_post(httpd_req_t *req)
{
    esp_err_t err;
    if (!may_change(req, "switch", &err)) {
        return err;
    }
    char body[128];
    if (req->content_len == 0 || req->content_len >= sizeof body) {
        return refuse_unread(req, 400, "bad_request", "send the slot to boot as JSON, e.g. {\"partition\": \"ota_1\"} "
                          "(a label from the slots of GET /api/status)");
    }
    size_t got = 0;
    while (got < req->content_len) {
        int n = httpd_req_recv(req, body + got, req->content_len - got);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            continue; /* the server's receive timeout; a dead client ends with n <= 0 */
        }
        if (n <= 0) {
            return ESP_FAIL;
        }
        got += (size_t)n;
    }
    body[got] = '\0';
    cJSON *j = cJSON_ParseWithLength(body, got);
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(j, "partition");
    char want[17] = "";
    bool ok_label = cJSON_IsString(label) && strlen(label->valuestring) < sizeof want;
    if (ok_label) {
        snprintf(want, sizeof want, "%s", label->valuestring);
    }
    cJSON_Delete(j);
    if (!ok_label) {
        return send_error(req, 400, "bad_request", "send the slot to boot as JSON, e.g. {\"partition\": \"ota_1\"} "
                          "(a label from the slots of GET /api/status)");
    }
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, want);
    if (!p) {
        char msg[200];
        snprintf(msg, sizeof msg, "this device has no app partition named '%s': use a label from the slots "
                 "of GET /api/status", want);
        return send_error(req, 404, "no_such_slot", msg);
    }
    int rstatus = 0;
    cJSON *refused = ota_resume_gate_switch(req, &rstatus);
    if (refused) {
        return send_json(req, rstatus, refused);
    }
    if (!ota_state_try_claim(SOFTAP_OTA_VERIFYING, 0)) {
        return send_error(req, 409, "busy", "an update is in progress: wait for it to finish, then switch");
    }
    char msg[320];
    switch (ota_slots_select(p, false, msg, sizeof msg, NULL)) {
    case OTA_SELECT_OK:
        break;
    case OTA_SELECT_RUNNING:
        ota_state_set(SOFTAP_OTA_IDLE);
        return send_error(req, 409, "already_running", msg);
    case OTA_SELECT_NOT_BOOTABLE:
        ota_state_set(SOFTAP_OTA_IDLE);
        return send_error(req, 422, "not_bootable", msg);
    case OTA_SELECT_POLICY:
        ota_state_set(SOFTAP_OTA_IDLE);
        return send_error(req, 422, "policy", msg);
    default:
        ota_state_set(SOFTAP_OTA_IDLE);
        return send_error(req, 500, "flash_error", msg);
    }
    ota_slot_info_t info;
    ota_slots_info(p, &info);
    char name[40];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddStringToObject(o, "project", info.project);
    cJSON_AddStringToObject(o, "version", info.version);
    cJSON_AddStringToObject(o, "partition", p->label);
    cJSON_AddStringToObject(o, "name", ota_slots_name(p, name, sizeof name));
    cJSON_AddNumberToObject(o, "reboot_in_ms", REBOOT_DELAY_US / 1000);
    ota_state_finish(true, msg, p->label);
    err = send_json(req, 200, o);
    schedule_reboot();
    return err;
}

esp_err_t ota_http_start(const softap_ota_config_t *cfg, httpd_handle_t *out)
{
    httpd_config_t hc = HTTPD_DEFAULT_CONFIG();
    hc.server_port = cfg->http_port;
    hc.recv_wait_timeout = cfg->recv_timeout_s;
    hc.send_wait_timeout = cfg->recv_timeout_s;
    hc.max_uri_handlers = 16;
    hc.lru_purge_enable = true;
    hc.stack_size = SOTA_HTTPD_STACK;
    esp_err_t err = ota_conn_init(cfg, &hc);
    if (err != ESP_OK) {
        return err;
    }
    err = httpd_start(out, &hc);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "HTTP server did not start on port %u: %s", (unsigned)hc.server_port, esp_err_to_name(err));
        return err;
    }
    static const httpd_uri_t uris[] = {
        { .uri = "/", .method = HTTP_GET, .handler = page_get },
        { .uri = "/", .method = HTTP_HEAD, .handler = page_head },
        { .uri = "/index.html", .method = HTTP_GET, .handler = page_get },
        { .uri = "/index.html", .method = HTTP_HEAD, .handler = page_head },
        { .uri = "/api/status", .method = HTTP_GET, .handler = status_get },
        { .uri = "/update", .method = HTTP_POST, .handler = update_post },
        { .uri = "/api/check", .method = HTTP_POST, .handler = check_post },
        { .uri = "/api/boot", .method = HTTP_POST, .handler = boot_post },
        /* connectivity probes: Android, Apple, Windows, Firefox */
        { .uri = "/generate_204", .method = HTTP_GET, .handler = probe_get },
        { .uri = "/gen_204", .method = HTTP_GET, .handler = probe_get },
        { .uri = "/hotspot-detect.html", .method = HTTP_GET, .handler = probe_get },
        { .uri = "/connecttest.txt", .method = HTTP_GET, .handler = probe_get },
        { .uri = "/ncsi.txt", .method = HTTP_GET, .handler = probe_get },
        { .uri = "/success.txt", .method = HTTP_GET, .handler = probe_get },
    };
    /* Each handler runs through dispatch(); a POST handler reads its body. */
    static route_t routes[sizeof uris / sizeof uris[0]];
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        routes[i] = (route_t){ .fn = uris[i].handler, .reads_body = uris[i].method == HTTP_POST };
        httpd_uri_t wrapped = uris[i];
        wrapped.handler = dispatch;
        wrapped.user_ctx = &routes[i];
        err = httpd_register_uri_handler(*out, &wrapped);
        if (err != ESP_OK) {
            httpd_stop(*out);
            *out = NULL;
            return err;
        }
    }
    for (int code = 0; code < HTTPD_ERR_CODE_MAX; code++) {
        httpd_register_err_handler(*out, (httpd_err_code_t)code, server_error);
    }
    ota_conn_ready();
    ESP_LOGI(TAG, "HTTP server on port %u", (unsigned)hc.server_port);
    return ESP_OK;
}
