/* Host esp_http_server: start/stop, the server thread's select() loop, accepting
 * connections (with LRU purge) and the work queue. */
#define _GNU_SOURCE /* accept4, pipe2: descriptors must not leak into esp_restart()'s exec */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_log.h"
#include "httpd_priv.h"
#include "sota_host_httpd.h"

static const char *TAG = "httpd";

/* Keep-alive values used when the config leaves them 0 (ESP-IDF's defaults). */
#define KEEP_ALIVE_IDLE_DEFAULT     5
#define KEEP_ALIVE_INTERVAL_DEFAULT 5
#define KEEP_ALIVE_COUNT_DEFAULT    3

static uint16_t s_port_override;

void httpd_host_set_port_override(uint16_t port)
{
    s_port_override = port;
}

uint16_t httpd_host_port(httpd_handle_t handle)
{
    return handle ? ((struct httpd_data *)handle)->port : 0;
}

static bool httpd_in_server_thread(const struct httpd_data *hd)
{
    return pthread_equal(pthread_self(), hd->thread) != 0;
}

/* ------------------------------------------------------------------ work queue */

/* Append an item; block for a free slot when `wait`, else fail when full. */
static esp_err_t queue_push(struct httpd_data *hd, struct httpd_work item, bool wait)
{
    pthread_mutex_lock(&hd->lock);
    while (wait && !hd->stopping && hd->queue_count == HTTPD_WORK_QUEUE_LEN) {
        pthread_cond_wait(&hd->slot_free, &hd->lock);
    }
    if (hd->stopping || hd->queue_count == HTTPD_WORK_QUEUE_LEN) {
        pthread_mutex_unlock(&hd->lock);
        return ESP_FAIL;
    }
    hd->queue[(hd->queue_head + hd->queue_count) % HTTPD_WORK_QUEUE_LEN] = item;
    hd->queue_count++;
    if (item.shutdown) {
        hd->stopping = true;
    }
    pthread_mutex_unlock(&hd->lock);

    /* One byte per item wakes select(); the pipe holds far more than the queue. */
    const char byte = 'w';
    ssize_t n;
    do {
        n = write(hd->wake_wr, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        ESP_LOGE(TAG, "cannot wake the server thread: %s", strerror(errno));
        return ESP_FAIL;
    }
    return ESP_OK;
}

esp_err_t httpd_queue_work(httpd_handle_t handle, httpd_work_fn_t work, void *arg)
{
    if (handle == NULL || work == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_work item = { .fn = work, .arg = arg, .shutdown = false };
    esp_err_t ret = queue_push(handle, item, false);
    if (ret != ESP_OK) {
        ESP_LOGW(TAG, "work queue full (%d items) or server stopping: work not queued",
                 HTTPD_WORK_QUEUE_LEN);
    }
    return ret;
}

esp_err_t httpd_host_wake(struct httpd_data *hd)
{
    struct httpd_work item = { .fn = NULL, .arg = NULL, .shutdown = false };
    return queue_push(hd, item, true);
}

/* Run one queued item (one per loop turn, as ESP-IDF reads one control message).
 * Returns false when it was the shutdown request. */
static bool process_one_work(struct httpd_data *hd)
{
    char byte;
    ssize_t n = read(hd->wake_rd, &byte, 1);
    if (n != 1) {
        return true;
    }
    pthread_mutex_lock(&hd->lock);
    if (hd->queue_count == 0) {
        pthread_mutex_unlock(&hd->lock);
        return true;
    }
    struct httpd_work item = hd->queue[hd->queue_head];
    hd->queue_head = (hd->queue_head + 1) % HTTPD_WORK_QUEUE_LEN;
    hd->queue_count--;
    pthread_cond_broadcast(&hd->slot_free);
    pthread_mutex_unlock(&hd->lock);

    if (item.shutdown) {
        return false;
    }
    if (item.fn) {
        item.fn(item.arg);
    }
    return true;
}

/* ------------------------------------------------------------------ connections */

static esp_err_t accept_conn(struct httpd_data *hd)
{
    if (hd->config.lru_purge_enable && !httpd_sess_has_free_slot(hd)) {
        /* Close the least recently used session first (queued); the connection stays
         * in the backlog and is accepted on a later turn. */
        return httpd_sess_close_lru(hd);
    }

    int fd = accept4(hd->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            ESP_LOGE(TAG, "accept failed: %s", strerror(errno));
        }
        return ESP_FAIL;
    }

    if (fd >= FD_SETSIZE) {
        ESP_LOGE(TAG, "socket %d is beyond what select() can watch (%d): connection refused",
                 fd, FD_SETSIZE);
        close(fd);
        return ESP_FAIL;
    }

    struct timeval tv = { .tv_sec = hd->config.recv_wait_timeout, .tv_usec = 0 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        ESP_LOGE(TAG, "setsockopt SO_RCVTIMEO failed: %s", strerror(errno));
        close(fd);
        return ESP_FAIL;
    }
    tv.tv_sec = hd->config.send_wait_timeout;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
        ESP_LOGE(TAG, "setsockopt SO_SNDTIMEO failed: %s", strerror(errno));
        close(fd);
        return ESP_FAIL;
    }
    if (hd->config.keep_alive_enable) {
        int on = 1;
        int idle = hd->config.keep_alive_idle ? hd->config.keep_alive_idle : KEEP_ALIVE_IDLE_DEFAULT;
        int intvl = hd->config.keep_alive_interval ? hd->config.keep_alive_interval
                                                   : KEEP_ALIVE_INTERVAL_DEFAULT;
        int cnt = hd->config.keep_alive_count ? hd->config.keep_alive_count : KEEP_ALIVE_COUNT_DEFAULT;
        if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) < 0) {
            ESP_LOGE(TAG, "setting TCP keep-alive failed: %s", strerror(errno));
            close(fd);
            return ESP_FAIL;
        }
    }
    if (httpd_sess_new(hd, fd) != ESP_OK) {
        ESP_LOGE(TAG, "session creation failed for a new connection");
        return ESP_FAIL;
    }
    return ESP_OK;
}

/* One turn of the server loop. Returns false when the server must stop. */
static bool server_turn(struct httpd_data *hd)
{
    fd_set rd;
    FD_ZERO(&rd);
    int maxfd = hd->wake_rd;
    FD_SET(hd->wake_rd, &rd);
    if (hd->config.lru_purge_enable || httpd_sess_has_free_slot(hd)) {
        /* Without LRU purge, new connections wait in the backlog while all slots are
         * taken. */
        FD_SET(hd->listen_fd, &rd);
        if (hd->listen_fd > maxfd) {
            maxfd = hd->listen_fd;
        }
    }
    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        struct httpd_sess *sd = &hd->sessions[i];
        if (sd->fd >= 0 && !sd->for_async_req) {
            FD_SET(sd->fd, &rd);
            if (sd->fd > maxfd) {
                maxfd = sd->fd;
            }
        }
    }

    /* Like ESP-IDF, wait for socket activity only: bytes pushed back into a session's
     * pending buffer are looked at on the next wake-up. */
    int n = select(maxfd + 1, &rd, NULL, NULL, NULL);
    if (n < 0) {
        if (errno != EINTR) {
            ESP_LOGE(TAG, "select failed: %s", strerror(errno));
            httpd_sess_delete_invalid(hd);
        }
        return true;
    }

    if (FD_ISSET(hd->wake_rd, &rd) && !process_one_work(hd)) {
        return false;
    }

    for (int i = 0; i < hd->config.max_open_sockets; i++) {
        struct httpd_sess *sd = &hd->sessions[i];
        if (sd->fd < 0 || sd->for_async_req) {
            continue;
        }
        if (FD_ISSET(sd->fd, &rd) || httpd_sess_pending(hd, sd)) {
            if (httpd_sess_process(hd, sd) != ESP_OK) {
                httpd_sess_delete(hd, sd);
            }
        }
    }

    if (FD_ISSET(hd->listen_fd, &rd) && accept_conn(hd) != ESP_OK) {
        ESP_LOGD(TAG, "no new connection accepted this turn");
    }
    return true;
}

static void *server_thread(void *arg)
{
    struct httpd_data *hd = arg;
    ESP_LOGD(TAG, "server running on 127.0.0.1:%u", (unsigned)hd->port);
    while (server_turn(hd)) {
    }
    httpd_sess_close_all(hd);
    close(hd->listen_fd);
    hd->listen_fd = -1;
    ESP_LOGD(TAG, "server thread exiting");
    return NULL;
}

/* ------------------------------------------------------------------ start / stop */

static void free_instance(struct httpd_data *hd)
{
    if (hd->wake_rd >= 0) {
        close(hd->wake_rd);
    }
    if (hd->wake_wr >= 0) {
        close(hd->wake_wr);
    }
    if (hd->listen_fd >= 0) {
        close(hd->listen_fd);
    }
    httpd_uri_free_all(hd);
    free(hd->uris);
    free(hd->sessions);
    free(hd->aux.scratch);
    free(hd->aux.hdrs);
    free(hd->aux.resp_hdrs);
    pthread_mutex_destroy(&hd->lock);
    pthread_cond_destroy(&hd->slot_free);
    pthread_mutex_destroy(&hd->uri_lock);
    free(hd);
}

static struct httpd_data *create_instance(const httpd_config_t *config)
{
    struct httpd_data *hd = calloc(1, sizeof *hd);
    if (hd == NULL) {
        return NULL;
    }
    hd->config = *config;
    hd->listen_fd = hd->wake_rd = hd->wake_wr = -1;
    pthread_mutex_init(&hd->lock, NULL);
    pthread_cond_init(&hd->slot_free, NULL);
    pthread_mutex_init(&hd->uri_lock, NULL);

    struct httpd_req_aux *ra = &hd->aux;
    ra->max_req_hdr_len = config->max_req_hdr_len > 0 ? config->max_req_hdr_len
                                                      : CONFIG_HTTPD_MAX_REQ_HDR_LEN;
    ra->max_uri_len = config->max_uri_len > 0 ? config->max_uri_len : CONFIG_HTTPD_MAX_URI_LEN;
    ra->scratch_cap = ra->max_req_hdr_len > ra->max_uri_len ? ra->max_req_hdr_len : ra->max_uri_len;
    /* Stored headers ("name\0value\0") never exceed the raw header section. */
    ra->hdrs_cap = ra->max_req_hdr_len + 2;

    hd->uris = calloc(config->max_uri_handlers ? config->max_uri_handlers : 1, sizeof *hd->uris);
    hd->sessions = calloc(config->max_open_sockets ? config->max_open_sockets : 1,
                          sizeof *hd->sessions);
    ra->scratch = malloc(ra->scratch_cap + 1);
    ra->hdrs = malloc(ra->hdrs_cap);
    ra->resp_hdrs = calloc(config->max_resp_headers ? config->max_resp_headers : 1,
                           sizeof *ra->resp_hdrs);
    if (!hd->uris || !hd->sessions || !ra->scratch || !ra->hdrs || !ra->resp_hdrs) {
        free_instance(hd);
        return NULL;
    }
    for (int i = 0; i < config->max_open_sockets; i++) {
        hd->sessions[i].fd = -1;
    }
    return hd;
}

static esp_err_t open_sockets(struct httpd_data *hd)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        ESP_LOGE(TAG, "cannot create the server's wake-up pipe: %s", strerror(errno));
        return ESP_FAIL;
    }
    hd->wake_rd = pipefd[0];
    hd->wake_wr = pipefd[1];

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        ESP_LOGE(TAG, "cannot create the listening socket: %s", strerror(errno));
        return ESP_FAIL;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) {
        ESP_LOGW(TAG, "setsockopt SO_REUSEADDR failed: %s", strerror(errno));
    }
    if (hd->config.if_name && hd->config.if_name->ifr_name[0]) {
        ESP_LOGW(TAG, "host server ignores if_name \"%s\": it always listens on 127.0.0.1",
                 hd->config.if_name->ifr_name);
    }
    uint16_t port = s_port_override ? s_port_override : hd->config.server_port;
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) },
    };
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        ESP_LOGE(TAG, "cannot listen on 127.0.0.1:%u: %s%s", (unsigned)port, strerror(errno),
                 errno == EADDRINUSE ? " (another program uses this port: stop it or choose "
                                       "another port, e.g. sota sim --port N)"
                 : errno == EACCES ? " (ports below 1024 need privileges: choose another port, "
                                     "e.g. sota sim --port 8080)"
                 : "");
        close(fd);
        return ESP_FAIL;
    }
    if (listen(fd, hd->config.backlog_conn) < 0) {
        ESP_LOGE(TAG, "listen on 127.0.0.1:%u failed: %s", (unsigned)port, strerror(errno));
        close(fd);
        return ESP_FAIL;
    }
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        ESP_LOGE(TAG, "getsockname failed: %s", strerror(errno));
        close(fd);
        return ESP_FAIL;
    }
    hd->listen_fd = fd;
    hd->port = ntohs(addr.sin_port);
    return ESP_OK;
}

esp_err_t httpd_start(httpd_handle_t *handle, const httpd_config_t *config)
{
    if (handle == NULL || config == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    /* The device's lwIP has CONFIG_LWIP_MAX_SOCKETS sockets; the server itself needs 3
     * (listener and the two ends of its control socket). */
    if (CONFIG_LWIP_MAX_SOCKETS < config->max_open_sockets + 3) {
        ESP_LOGE(TAG, "max_open_sockets %u is too large: at most %d (the server uses 3 of "
                 "CONFIG_LWIP_MAX_SOCKETS=%d sockets itself); lower it or raise "
                 "CONFIG_LWIP_MAX_SOCKETS", (unsigned)config->max_open_sockets,
                 CONFIG_LWIP_MAX_SOCKETS - 3, CONFIG_LWIP_MAX_SOCKETS);
        return ESP_ERR_INVALID_ARG;
    }

    struct httpd_data *hd = create_instance(config);
    if (hd == NULL) {
        ESP_LOGE(TAG, "out of memory creating the HTTP server");
        return ESP_ERR_HTTPD_ALLOC_MEM;
    }
    if (open_sockets(hd) != ESP_OK) {
        free_instance(hd);
        return ESP_FAIL;
    }
    int rc = pthread_create(&hd->thread, NULL, server_thread, hd);
    if (rc != 0) {
        ESP_LOGE(TAG, "cannot start the HTTP server thread: %s", strerror(rc));
        free_instance(hd);
        return ESP_ERR_HTTPD_TASK;
    }
    ESP_LOGI(TAG, "HTTP server listening on http://127.0.0.1:%u", (unsigned)hd->port);
    *handle = hd;
    return ESP_OK;
}

static void free_global_ctx(void **ctx, httpd_free_ctx_fn_t free_fn)
{
    if (*ctx) {
        if (free_fn) {
            free_fn(*ctx);
        } else {
            free(*ctx);
        }
        *ctx = NULL;
    }
}

esp_err_t httpd_stop(httpd_handle_t handle)
{
    struct httpd_data *hd = handle;
    if (hd == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (httpd_in_server_thread(hd)) {
        ESP_LOGE(TAG, "httpd_stop called from the server thread (a handler or queued work): "
                 "on the device this deadlocks; stop the server from another task");
        return ESP_FAIL;
    }
    struct httpd_work item = { .fn = NULL, .arg = NULL, .shutdown = true };
    if (queue_push(hd, item, true) != ESP_OK) {
        ESP_LOGE(TAG, "cannot signal the server thread to stop (already stopping?)");
        return ESP_FAIL;
    }
    pthread_join(hd->thread, NULL);

    free_global_ctx(&hd->config.global_user_ctx, hd->config.global_user_ctx_free_fn);
    free_global_ctx(&hd->config.global_transport_ctx, hd->config.global_transport_ctx_free_fn);
    free_instance(hd);
    ESP_LOGD(TAG, "server stopped");
    return ESP_OK;
}
