/* The HTTP server and what it answers itself: the routes, the page (GET and HEAD /),
 * GET /api/status, the captive-portal answers, and the JSON refusals of what the
 * server finds wrong in a request. The handlers that read a body have their own files:
 * POST /update (ota_upload.c), POST /api/check (ota_check.c), POST /api/boot
 * (ota_switch.c). API: README.md. Every error is JSON {"error": code, "message": text},
 * those the HTTP server itself finds in a request included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "ota_internal.h"
#include "sdkconfig.h"
#include "sota_http.h"

static const char *TAG = "softap_ota";

#define API_LIST "GET /, GET /api/status, POST /api/check, POST /update, POST /api/boot"

/* The page, less its indentation and comments and gzipped at build time by web/gzip.cmake,
 * embedded by the component's CMakeLists.txt (target_add_binary_data on the device, an
 * .incbin in host/CMakeLists.txt on the host). */
extern const uint8_t index_html_gz_start[] __asm__("_binary_index_html_gz_start");
extern const uint8_t index_html_gz_end[] __asm__("_binary_index_html_gz_end");

/* --- GET / and GET /api/status ------------------------------------------------------ */

static bool accepts_gzip(httpd_req_t *req)
{
    char v[128];
    esp_err_t e = httpd_req_get_hdr_value_str(req, "Accept-Encoding", v, sizeof v);
    return (e == ESP_OK || e == ESP_ERR_HTTPD_RESULT_TRUNC) && sota_http_accepts_gzip(v);
}

/* What a client that does not take gzip (plain curl, a script) gets instead of the
 * page's compressed bytes, naming the address the client used. */
static size_t plain_page(httpd_req_t *req, char *out, size_t len)
{
    char url[80];
    ota_reply_own_url(req, url, sizeof url);
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
    if (!ota_reply_allowed(req, &err, false)) {
        return err;
    }
    ota_auth_protect(req);
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    httpd_resp_set_hdr(req, "Vary", "Accept-Encoding");
    if (!accepts_gzip(req)) {
        char body[700];
        httpd_resp_set_type(req, "text/plain; charset=utf-8");
        return httpd_resp_send(req, body, (ssize_t)plain_page(req, body, sizeof body));
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
        status = ota_reply_status_line(sota_update_http_status(SOTA_UPDATE_ERR_LOCKED_OUT));
        type = "application/json";
        snprintf(extra, sizeof extra, "Retry-After: %u\r\n", (unsigned)retry);
    } else if (v != SOTA_AUTH_PASS) {
        status = ota_reply_status_line(sota_update_http_status(SOTA_UPDATE_ERR_UNAUTHORIZED));
        type = "application/json";
        snprintf(extra, sizeof extra, "WWW-Authenticate: Basic realm=\"softap-ota\", charset=\"UTF-8\"\r\n");
    } else if (accepts_gzip(req)) {
        enc = "Content-Encoding: gzip\r\n";
        len = (size_t)(index_html_gz_end - index_html_gz_start);
    } else {
        char body[700];
        type = "text/plain; charset=utf-8";
        len = plain_page(req, body, sizeof body);
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
    if (!ota_reply_allowed(req, &err, false)) {
        return err;
    }
    char *body = ota_status_json();
    if (!body) {
        return ota_reply_no_memory(req);
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
    return ota_reply_error(req, SOTA_UPDATE_ERR_NOT_FOUND, msg);
}


/* Every request the server hands over goes through here: the connection learns that its
 * head is complete, and whether it goes on. A handler that leaves a body unread answers
 * with "Connection: close" and the connection is closed, instead of the server task
 * reading and dropping up to 4 GiB of it before anyone else is served. */
static bool s_handed_over; /* the handler gave the request to another task (server task only) */

void ota_http_handed_over(void)
{
    s_handed_over = true;
}

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
    return ota_reply_error(req, SOTA_UPDATE_ERR_METHOD, msg);
}

/* What the HTTP server itself refuses (ESP-IDF calls these handlers instead of sending
 * its text/html answers): the same JSON as every other error, with what to do. After a
 * request that could not be parsed the connection is closed (ESP_FAIL), as ESP-IDF's
 * default does; 404 and 405 come after a complete request and keep it. */
static esp_err_t server_error(httpd_req_t *req, httpd_err_code_t code)
{
    const softap_ota_config_t *cfg = ota_state_config();
    char msg[240];
    sota_update_err_t out = SOTA_UPDATE_ERR_STATE;
    switch (code) {
    case HTTPD_404_NOT_FOUND:
        return not_found(req, code);
    case HTTPD_405_METHOD_NOT_ALLOWED:
        return run_handler(req, method_not_allowed, false);
    case HTTPD_400_BAD_REQUEST:
        out = SOTA_UPDATE_ERR_BAD_REQUEST;
        snprintf(msg, sizeof msg, "the request is malformed (its request line, a header or the framing of its "
                 "body): send a well-formed HTTP/1.1 request, as a browser or curl does");
        break;
    case HTTPD_401_UNAUTHORIZED:
        out = SOTA_UPDATE_ERR_UNAUTHORIZED;
        snprintf(msg, sizeof msg, "this request needs a user name and password: log in");
        break;
    case HTTPD_403_FORBIDDEN:
        out = SOTA_UPDATE_ERR_FORBIDDEN;
        snprintf(msg, sizeof msg, "this request is not allowed");
        break;
    case HTTPD_408_REQ_TIMEOUT:
        out = SOTA_UPDATE_ERR_TIMEOUT;
        snprintf(msg, sizeof msg, "the request did not arrive completely (no data for %u s): send it again, "
                 "closer to the device if the Wi-Fi is weak", (unsigned)cfg->recv_timeout_s);
        break;
    case HTTPD_411_LENGTH_REQUIRED:
        out = SOTA_UPDATE_ERR_LENGTH_REQUIRED;
        snprintf(msg, sizeof msg, "the request has no Content-Length: send the body with its length "
                 "(curl --data-binary @app.bin)");
        break;
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
    case HTTPD_413_CONTENT_TOO_LARGE:
        out = SOTA_UPDATE_ERR_TOO_BIG;
        snprintf(msg, sizeof msg, "the request announces a body of more than 4 GiB, larger than any app slot: "
                 "check its Content-Length");
        break;
#endif
    case HTTPD_414_URI_TOO_LONG:
        out = SOTA_UPDATE_ERR_URI_TOO_LONG;
        snprintf(msg, sizeof msg, "the URL is longer than this device takes (%d bytes): use the plain paths "
                 "of the API (" API_LIST ")", CONFIG_HTTPD_MAX_URI_LEN);
        break;
    case HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE:
        out = SOTA_UPDATE_ERR_HEADERS_TOO_LARGE;
        snprintf(msg, sizeof msg, "the request's headers are larger than this device takes (%d bytes): send "
                 "fewer or shorter headers (clear this address's cookies in the browser)",
                 CONFIG_HTTPD_MAX_REQ_HDR_LEN);
        break;
    case HTTPD_501_METHOD_NOT_IMPLEMENTED:
        out = SOTA_UPDATE_ERR_NOT_IMPLEMENTED;
        snprintf(msg, sizeof msg, "this HTTP method is not supported: use GET, HEAD or POST");
        break;
    case HTTPD_505_VERSION_NOT_SUPPORTED:
        out = SOTA_UPDATE_ERR_HTTP_VERSION;
        snprintf(msg, sizeof msg, "this HTTP version is not supported: send an HTTP/1.1 request");
        break;
    default:
        snprintf(msg, sizeof msg, "the HTTP server could not handle this request: try again (with a shorter URL if it is long)");
        break;
    }
    httpd_resp_set_hdr(req, "Connection", "close");
    ota_reply_error(req, out, msg);
    return ESP_FAIL;
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
        { .uri = "/update", .method = HTTP_POST, .handler = ota_upload_post },
        { .uri = "/api/check", .method = HTTP_POST, .handler = ota_check_post },
        { .uri = "/api/boot", .method = HTTP_POST, .handler = ota_switch_post },
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

esp_err_t ota_http_stop(httpd_handle_t http)
{
    esp_err_t err = ota_upload_stop_all();
    if (err != ESP_OK) {
        return err;
    }
    /* a synchronous upload in the server task ends the same way before httpd_stop returns */
    err = httpd_stop(http);
    ota_upload_allow();
    return err;
}
