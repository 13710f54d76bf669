/* Host esp_http_server: the session table (one slot per open connection), session
 * contexts, LRU bookkeeping and closing sessions. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_log.h"
#include "httpd_priv.h"

static const char *TAG = "httpd_sess";

static struct httpd_sess *httpd_sess_find(struct httpd_data *hd, int sockfd)
{
    if (hd == NULL || sockfd < 0) {
        return NULL;
    }
    /* Inside a handler the request's session is the usual target. */
    if (hd->aux.sd && hd->aux.sd->fd == sockfd) {
        return hd->aux.sd;
    }
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        if (hd->sessions[i].fd == sockfd) {
            return &hd->sessions[i];
        }
    }
    return NULL;
}

bool httpd_sess_has_free_slot(const struct httpd_data *hd)
{
    return hd->active_count < hd->config.max_open_sockets;
}

void httpd_sess_free_ctx(void **ctx, httpd_free_ctx_fn_t free_fn)
{
    if (ctx == NULL || *ctx == NULL) {
        return;
    }
    if (free_fn) {
        free_fn(*ctx);
    } else {
        free(*ctx);
    }
    *ctx = NULL;
}

esp_err_t httpd_sess_new(struct httpd_data *hd, int fd)
{
    if (httpd_sess_find(hd, fd)) {
        ESP_LOGE(TAG, "a session with socket %d already exists", fd);
        close(fd);
        return ESP_FAIL;
    }
    struct httpd_sess *sd = NULL;
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        if (hd->sessions[i].fd < 0) {
            sd = &hd->sessions[i];
            break;
        }
    }
    if (sd == NULL) {
        ESP_LOGD(TAG, "no free session slot for socket %d", fd);
        close(fd);
        return ESP_FAIL;
    }
    memset(sd, 0, sizeof *sd);
    sd->fd = fd;
    sd->hd = hd;
    sd->send_fn = httpd_default_send;
    sd->recv_fn = httpd_default_recv;
    /* lru_counter stays 0 until the first request is served, as in ESP-IDF: a fresh
     * connection is the first an LRU purge closes, before one that has been serving. */
    hd->active_count++;

    if (hd->config.open_fn) {
        esp_err_t ret = hd->config.open_fn(hd, fd);
        if (ret != ESP_OK) {
            ESP_LOGD(TAG, "open_fn refused socket %d", fd);
            httpd_sess_delete(hd, sd);
            return ret;
        }
    }
    ESP_LOGD(TAG, "socket %d open, %d active", fd, hd->active_count);
    return ESP_OK;
}

void httpd_sess_delete(struct httpd_data *hd, struct httpd_sess *sd)
{
    if (hd == NULL || sd == NULL || sd->fd < 0) {
        return;
    }
    if (hd->config.enable_so_linger) {
        struct linger lg = { .l_onoff = 1, .l_linger = hd->config.linger_timeout };
        if (setsockopt(sd->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) {
            ESP_LOGW(TAG, "setsockopt SO_LINGER failed: %s", strerror(errno));
        }
    }
    if (hd->config.close_fn) {
        hd->config.close_fn(hd, sd->fd);
    } else {
        close(sd->fd);
    }

    if (sd->ctx) {
        httpd_sess_free_ctx(&sd->ctx, sd->free_ctx);
        sd->free_ctx = NULL;
    }
    if (sd->transport_ctx) {
        httpd_sess_free_ctx(&sd->transport_ctx, sd->free_transport_ctx);
        sd->free_transport_ctx = NULL;
    }
    ESP_LOGD(TAG, "socket %d closed", sd->fd);
    sd->fd = -1;
    sd->pending_len = 0;
    hd->active_count--;
    if (hd->active_count == 0) {
        hd->lru_counter = 0;
    }
}

void httpd_sess_delete_invalid(struct httpd_data *hd)
{
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        struct httpd_sess *sd = &hd->sessions[i];
        if (sd->fd >= 0 && fcntl(sd->fd, F_GETFD) < 0 && errno == EBADF) {
            ESP_LOGW(TAG, "closing session of invalid socket %d", sd->fd);
            httpd_sess_delete(hd, sd);
        }
    }
}

void httpd_sess_close_all(struct httpd_data *hd)
{
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        httpd_sess_delete(hd, &hd->sessions[i]);
    }
}

bool httpd_sess_pending(struct httpd_data *hd, struct httpd_sess *sd)
{
    if (sd->pending_fn && sd->pending_fn(hd, sd->fd) > 0) {
        return true;
    }
    return sd->pending_len != 0;
}

esp_err_t httpd_sess_process(struct httpd_data *hd, struct httpd_sess *sd)
{
    if (httpd_req_new(hd, sd) != ESP_OK) {
        return ESP_FAIL;
    }
    if (httpd_req_delete(hd) != ESP_OK) {
        return ESP_FAIL;
    }
    sd->lru_counter = ++hd->lru_counter;
    return ESP_OK;
}

/* Queued close of one session (runs in the server thread). */
static void sess_close_work(void *arg)
{
    struct httpd_sess *sd = arg;
    /* A slot that never completed a request and was not picked for purging may already
     * belong to a newer connection: leave it (ESP-IDF does the same). */
    if (sd->lru_counter == 0 && !sd->lru_socket) {
        ESP_LOGD(TAG, "skipping close of socket %d", sd->fd);
        return;
    }
    sd->lru_socket = false;
    httpd_sess_delete(sd->hd, sd);
}

esp_err_t httpd_sess_close_lru(struct httpd_data *hd)
{
    struct httpd_sess *lru = NULL;
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        struct httpd_sess *sd = &hd->sessions[i];
        if (sd->fd < 0 || sd->for_async_req) {
            continue;
        }
        if (lru == NULL || sd->lru_counter < lru->lru_counter) {
            lru = sd;
        }
    }
    if (lru == NULL) {
        return ESP_OK;
    }
    ESP_LOGD(TAG, "purging least recently used socket %d", lru->fd);
    lru->lru_socket = true;
    return httpd_queue_work(hd, sess_close_work, lru);
}

esp_err_t httpd_sess_trigger_close(httpd_handle_t handle, int sockfd)
{
    if (handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_sess *sd = httpd_sess_find(handle, sockfd);
    if (sd == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    return httpd_queue_work(handle, sess_close_work, sd);
}

esp_err_t httpd_get_client_list(httpd_handle_t handle, size_t *fds, int *client_fds)
{
    struct httpd_data *hd = handle;
    if (hd == NULL || fds == NULL || *fds == 0 || client_fds == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    size_t cap = *fds;
    *fds = 0;
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        if (hd->sessions[i].fd >= 0) {
            if (*fds >= cap) {
                return ESP_ERR_INVALID_ARG;
            }
            client_fds[(*fds)++] = hd->sessions[i].fd;
        }
    }
    return ESP_OK;
}

int httpd_socket_recv(httpd_handle_t hd, int sockfd, char *buf, size_t buf_len, int flags)
{
    struct httpd_sess *sd = hd ? httpd_sess_find(hd, sockfd) : NULL;
    if (sd == NULL || sd->recv_fn == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    return sd->recv_fn(hd, sockfd, buf, buf_len, flags);
}

esp_err_t httpd_sess_set_recv_override(httpd_handle_t hd, int sockfd, httpd_recv_func_t recv_func)
{
    struct httpd_sess *sd = httpd_sess_find(hd, sockfd);
    if (sd == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    sd->recv_fn = recv_func;
    return ESP_OK;
}
