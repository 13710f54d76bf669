/* Answers shared by every handler: the JSON body of an answer or a refusal ({"error":
 * code, "message": text}), a refusal that closes the connection instead of reading the
 * body, what a file is and what to do about it, and who may ask (authentication, and
 * the same-origin rule for requests that change what the device runs). */
#include <stdio.h>
#include <string.h>

#include "cJSON.h"
#include "esp_log.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";

void ota_reply_own_url(httpd_req_t *req, char *out, size_t len)
{
    char host[64] = "";
    esp_err_t e = httpd_req_get_hdr_value_str(req, "Host", host, sizeof host);
    /* a host name, an IPv4 address or a bracketed IPv6 one, and a port: nothing that
     * could change the meaning of the text around it */
    bool sane = e == ESP_OK && host[0] != '\0' &&
                strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host);
    snprintf(out, len, "http://%s/", sane ? host : "192.168.4.1");
}

bool ota_reply_recv_all(httpd_req_t *req, void *buf, size_t len)
{
    uint32_t timeouts = 0;
    for (size_t got = 0; got < len;) {
        int n = httpd_req_recv(req, (char *)buf + got, len - got);
        if (n == HTTPD_SOCK_ERR_TIMEOUT && ++timeouts < ota_state_config()->max_recv_timeouts) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        timeouts = 0;
        got += (size_t)n;
    }
    return true;
}

const char *ota_reply_status_line(int status)
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

esp_err_t ota_reply_no_memory(httpd_req_t *req)
{
    /* nothing allocated: a fixed body, JSON like every other answer of the API */
    static const char body[] = "{\"error\":\"no_memory\",\"message\":\"the device ran out of memory for "
                               "this answer: try again in a moment\"}";
    httpd_resp_set_status(req, ota_reply_status_line(sota_update_http_status(SOTA_UPDATE_ERR_NO_MEMORY)));
    httpd_resp_set_type(req, "application/json");
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    return httpd_resp_send(req, body, sizeof body - 1);
}

esp_err_t ota_reply_json(httpd_req_t *req, sota_update_err_t outcome, cJSON *obj)
{
    char *body = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!body) {
        return ota_reply_no_memory(req);
    }
    httpd_resp_set_status(req, ota_reply_status_line(sota_update_http_status(outcome)));
    httpd_resp_set_type(req, "application/json");
    httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    ota_auth_protect(req);
    esp_err_t err = httpd_resp_send(req, body, HTTPD_RESP_USE_STRLEN);
    cJSON_free(body);
    return err;
}

esp_err_t ota_reply_error(httpd_req_t *req, sota_update_err_t outcome, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", sota_update_err_code(outcome));
    cJSON_AddStringToObject(o, "message", message);
    ESP_LOGW(TAG, "%s %s -> %d %s: %s", req->method == HTTP_POST ? "POST" : "GET", req->uri,
             sota_update_http_status(outcome), sota_update_err_code(outcome), message);
    return ota_reply_json(req, outcome, o);
}

/* What the file is and what to do, as /update's refusals and /api/check answer it: the
 * kind (once the first bytes named it), the reason and the advice. */
void ota_reply_explain(cJSON *o, const sota_update_t *upd)
{
    char reason[sizeof upd->msg];
    const char *advice = sota_update_explain(upd, reason, sizeof reason);
    if (upd->kind < SOTA_FILE__COUNT) {
        cJSON_AddStringToObject(o, "kind", sota_ident_kind_name(upd->kind));
    }
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "advice", advice);
}

/* A refusal of an upload whose body is not read: the answer says "Connection: close"
 * and the connection is closed, instead of the body being read to its end first. */
esp_err_t ota_reply_refuse(httpd_req_t *req, sota_update_err_t outcome, const char *message)
{
    httpd_resp_set_hdr(req, "Connection", "close");
    ota_reply_error(req, outcome, message);
    return ota_conn_refuse_close(req);
}

/* --- who may ask ------------------------------------------------------------------- */

/* Let the request through, or answer it and return false (*err: the send result): 401
 * with the Basic challenge for missing or wrong credentials, 429 while locked out.
 * `closing`: the answer says "Connection: close" (the body will not be read). */
bool ota_reply_allowed(httpd_req_t *req, esp_err_t *err, bool closing)
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
        *err = ota_reply_error(req, SOTA_UPDATE_ERR_LOCKED_OUT, msg);
        return false;
    }
    httpd_resp_set_hdr(req, "WWW-Authenticate", "Basic realm=\"softap-ota\", charset=\"UTF-8\"");
    *err = ota_reply_error(req, SOTA_UPDATE_ERR_UNAUTHORIZED,
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
bool ota_reply_may_change(httpd_req_t *req, const char *what, esp_err_t *err)
{
    if (!ota_auth_same_origin(req)) {
        char msg[300];
        snprintf(msg, sizeof msg, "refused: the %s was sent by a page of another site (its Origin or Referer "
                 "is not this device's address). Open the update page at the device's own address "
                 "(http://192.168.4.1/) and %s from there", what, what);
        *err = ota_reply_refuse(req, SOTA_UPDATE_ERR_CROSS_SITE, msg);
        return false;
    }
    if (!ota_reply_allowed(req, err, true)) {
        *err = ota_conn_refuse_close(req);
        return false;
    }
    return true;
}
