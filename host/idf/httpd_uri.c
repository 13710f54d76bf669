/* Host esp_http_server: URI handler registration, URI matching and dispatching a parsed
 * request to its handler. */
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "httpd_priv.h"

static const char *TAG = "httpd_uri";

/* Default matcher: the whole path equals the registered URI. */
static bool match_exact(const char *ref, const char *uri, size_t len)
{
    return strlen(ref) == len && strncmp(ref, uri, len) == 0;
}

/* Find the handler for uri[0..len) and method, under uri_lock. On a miss *err says
 * 404 (no URI matches) or 405 (the URI matches with other methods only). */
static const httpd_uri_t *find_handler(struct httpd_data *hd, const char *uri, size_t len,
                                       httpd_method_t method, httpd_err_code_t *err)
{
    if (err) {
        *err = HTTPD_404_NOT_FOUND;
    }
    for (size_t i = 0; i < hd->uri_count; i++) {
        const httpd_uri_t *h = &hd->uris[i];
        bool uri_ok = hd->config.uri_match_fn ? hd->config.uri_match_fn(h->uri, uri, len)
                                              : match_exact(h->uri, uri, len);
        if (!uri_ok) {
            continue;
        }
        if (h->method == method || (int)h->method == HTTP_ANY) {
            if (err) {
                *err = 0;
            }
            return h;
        }
        if (err) {
            *err = HTTPD_405_METHOD_NOT_ALLOWED;
        }
    }
    return NULL;
}

esp_err_t httpd_register_uri_handler(httpd_handle_t handle, const httpd_uri_t *uri_handler)
{
    if (handle == NULL || uri_handler == NULL || uri_handler->uri == NULL ||
        uri_handler->handler == NULL) {
        ESP_LOGE(TAG, "httpd_register_uri_handler: NULL handle, handler or uri");
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_data *hd = handle;
    esp_err_t ret = ESP_OK;
    pthread_mutex_lock(&hd->uri_lock);
    if (find_handler(hd, uri_handler->uri, strlen(uri_handler->uri), uri_handler->method, NULL)) {
        ESP_LOGW(TAG, "handler for %s (method %d) already registered", uri_handler->uri,
                 (int)uri_handler->method);
        ret = ESP_ERR_HTTPD_HANDLER_EXISTS;
    } else if (hd->uri_count >= hd->config.max_uri_handlers) {
        ESP_LOGW(TAG, "no slot left for %s: all max_uri_handlers (%u) are registered",
                 uri_handler->uri, (unsigned)hd->config.max_uri_handlers);
        ret = ESP_ERR_HTTPD_HANDLERS_FULL;
    } else {
        char *copy = strdup(uri_handler->uri);
        if (copy == NULL) {
            ret = ESP_ERR_HTTPD_ALLOC_MEM;
        } else {
            httpd_uri_t *h = &hd->uris[hd->uri_count++];
            *h = *uri_handler;
            h->uri = copy;
        }
    }
    pthread_mutex_unlock(&hd->uri_lock);
    return ret;
}

void httpd_uri_free_all(struct httpd_data *hd)
{
    if (hd->uris == NULL) {
        return;
    }
    for (size_t i = 0; i < hd->uri_count; i++) {
        free((char *)hd->uris[i].uri);
    }
    hd->uri_count = 0;
}

esp_err_t httpd_uri_dispatch(struct httpd_data *hd)
{
    httpd_req_t *req = &hd->req;
    const struct http_parser_url *u = &hd->aux.url_parse_res;
    httpd_err_code_t err = 0;
    esp_err_t (*handler)(httpd_req_t *) = NULL;
    void *user_ctx = NULL;

    /* Handlers are matched against the path only (no query, no fragment). */
    if (u->field_set & (1 << UF_PATH)) {
        pthread_mutex_lock(&hd->uri_lock);
        const httpd_uri_t *h = find_handler(hd, req->uri + u->field_data[UF_PATH].off,
                                            u->field_data[UF_PATH].len,
                                            (httpd_method_t)req->method, &err);
        if (h) {
            handler = h->handler;
            user_ctx = h->user_ctx;
        }
        pthread_mutex_unlock(&hd->uri_lock);
    }
    if (handler == NULL) {
        switch (err) {
        case HTTPD_404_NOT_FOUND:
            ESP_LOGW(TAG, "URI '%s' not found", req->uri);
            return httpd_req_handle_err(req, HTTPD_404_NOT_FOUND);
        case HTTPD_405_METHOD_NOT_ALLOWED:
            ESP_LOGW(TAG, "method %s not allowed for URI '%s'",
                     http_method_str((enum http_method)req->method), req->uri);
            return httpd_req_handle_err(req, HTTPD_405_METHOD_NOT_ALLOWED);
        default:
            /* No path at all (e.g. "http://host" as target): closed without an answer,
             * as ESP-IDF does. */
            return ESP_FAIL;
        }
    }
    req->user_ctx = user_ctx;
    if (handler(req) != ESP_OK) {
        ESP_LOGW(TAG, "handler of '%s' failed: closing the connection", req->uri);
        return ESP_FAIL;
    }
    return ESP_OK;
}
