/* Each connection's receive path: a deadline for the request line and headers, and the
 * close of a refused request.
 *
 * esp_http_server reads a request head in its single server task, one recv() at a time,
 * each waiting up to recv_wait_timeout; a client that sends a byte now and then keeps
 * that task (and so every other client) waiting for as long as it likes. The server's
 * open_fn gives every session the receive function below (httpd_sess_set_recv_override,
 * ESP-IDF >= 4.x, unchanged up to 6.x; the server calls a session's receive function for
 * every recv of that session, head and body alike). It keeps a phase per socket:
 *
 *   IDLE  between requests: the next recv starts a head and its clock
 *   HEAD  the request line and headers: each wait for bytes ends at the head deadline
 *         (header_deadline_s after the head's first recv), and after HEAD_PATIENCE_MS
 *         when another client has bytes waiting for the server. Then the recv reports a
 *         timeout once (esp_http_server answers 408 and closes the session) and fails
 *         after that (the session closes even if a 408 handler asked to retry). One
 *         wait also ends after recv_wait_timeout, with a timeout as the server's own
 *         recv reports it.
 *   BODY  from the blank line that ends the head (seen in the bytes this function
 *         returns; esp_http_server then still reads the first body byte before it calls
 *         the handler) and while a handler runs: plain recv, the body keeps its own
 *         rules (receive timeout, consecutive timeouts, upload deadline: ota_http.c)
 *   LINGER  a refused request's answer is sent: what the client still sends is read and
 *         dropped for a short while so the close does not reset the answer away.
 *   DEAD  after that: every recv fails, so that the server closes the session instead of
 *         parsing the rest of a refused body as a request (an async request hands its
 *         session back to the server before the close it queued has run).
 *
 * Handlers mark BODY when they start and IDLE when the request is over (ota_http.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "lwip/sockets.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";

/* A head whose next bytes have not come this long after its first byte loses its turn
 * (408) as soon as another client waits: a session with bytes to read, or a connection
 * to accept. Browsers and curl send a head in one write: it is all there at once. */
#define HEAD_PATIENCE_MS 20
/* Each wait for bytes is cut into slices this long to look at the other clients. */
#define WAIT_SLICE_MS 10
/* After a refusal: read and drop at most this long and this much before closing. */
#define LINGER_MS 1000
#define LINGER_BYTES (256u * 1024)

typedef enum { PH_IDLE, PH_HEAD, PH_BODY, PH_LINGER, PH_DEAD } phase_t;

typedef struct {
    int fd;            /* -1: free */
    phase_t phase;
    int64_t start_us;  /* HEAD: the head's first recv; LINGER: the refusal */
    bool timed_out;    /* a head timeout was reported once */
    bool head_began;   /* HEAD: a byte other than CR or LF came */
    uint8_t line_ends; /* HEAD: line feeds in a row (CRs between them ignored) */
} conn_t;

static conn_t *s_conns;
static size_t s_nconns;
static SemaphoreHandle_t s_lock;
static uint32_t s_deadline_s;
static uint32_t s_recv_timeout_s;
static int s_listen_fd = -1; /* the server's listening socket, once found */
static volatile bool s_ready; /* the handlers are registered: serve connections */

/* esp_http_server does not say which socket it listens on; a client socket tells the
 * port, and the listening socket is the one that accepts connections on that port
 * (SO_ACCEPTCONN). Then a connection waiting to be accepted counts as a waiting client. */
static int local_port(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    if (a.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&a)->sin_port);
    }
#ifdef AF_INET6
    if (a.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    }
#endif
    return -1;
}

static void find_listener(int client)
{
    int port = local_port(client);
    for (int fd = 0; port > 0 && fd < FD_SETSIZE; fd++) {
        int on = 0;
        socklen_t len = sizeof on;
        if (fd != client && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on &&
            local_port(fd) == port) {
            s_listen_fd = fd;
            return;
        }
    }
}

static conn_t *find(int fd)
{
    for (size_t i = 0; i < s_nconns; i++) {
        if (s_conns[i].fd == fd) {
            return &s_conns[i];
        }
    }
    return NULL;
}

/* esp_http_server's own mapping of a failed recv (httpd_default_recv). */
static int sock_err(int fd)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return HTTPD_SOCK_ERR_TIMEOUT;
    }
    ESP_LOGD(TAG, "recv on socket %d failed: errno %d", fd, errno);
    return (errno == EINVAL || errno == EBADF || errno == EFAULT || errno == ENOTSOCK)
               ? HTTPD_SOCK_ERR_INVALID : HTTPD_SOCK_ERR_FAIL;
}

/* Does another client wait for the server: a connection to accept, or a session between
 * requests or in its head (IDLE, HEAD) with bytes (or a close) to read? A session whose
 * body a handler reads (BODY) is not waiting for the server: an upload handed to its own
 * task (httpd_req_async_handler_begin) always has bytes pending, but the server does not
 * watch that socket (for_async_req) and would not read it if this head gave way; counted,
 * it cut every head that paused for HEAD_PATIENCE_MS while an upload ran. The same holds
 * for a refused request's LINGER and DEAD: whoever refused it reads or closes it. */
static bool others_waiting(httpd_handle_t hd, int self)
{
    int fds[CONFIG_LWIP_MAX_SOCKETS];
    size_t n = sizeof fds / sizeof fds[0];
    if (httpd_get_client_list(hd, &n, fds) != ESP_OK) {
        return false;
    }
    fd_set rd;
    FD_ZERO(&rd);
    int maxfd = -1;
    if (s_listen_fd >= 0 && s_listen_fd < FD_SETSIZE) {
        FD_SET(s_listen_fd, &rd);
        maxfd = s_listen_fd;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    for (size_t i = 0; i < n; i++) {
        if (fds[i] == self || fds[i] < 0 || fds[i] >= FD_SETSIZE) {
            continue;
        }
        const conn_t *c = find(fds[i]);
        if (c && c->phase != PH_IDLE && c->phase != PH_HEAD) {
            continue; /* read by a handler (or being refused), not by the server's loop */
        }
        FD_SET(fds[i], &rd);
        maxfd = MAX(maxfd, fds[i]);
    }
    xSemaphoreGive(s_lock);
    struct timeval zero = { 0 };
    return maxfd >= 0 && select(maxfd + 1, &rd, NULL, NULL, &zero) > 0;
}

typedef enum { W_READY, W_END, W_CUT } wait_t;

/* Wait until fd has bytes (W_READY), or until `end_us` (W_END), or (with
 * patience_from_us set) until the head has waited HEAD_PATIENCE_MS since then while
 * another client waits (W_CUT). */
static wait_t wait_readable(httpd_handle_t hd, int fd, int64_t end_us, int64_t patience_from_us)
{
    for (bool first = true;; first = false) {
        int64_t now = esp_timer_get_time();
        if (!first && now >= end_us) {
            return W_END;
        }
        /* bytes already there are never refused: only a client that makes the server
         * wait loses its turn */
        if (!first && patience_from_us && now - patience_from_us >= (int64_t)HEAD_PATIENCE_MS * 1000 &&
            others_waiting(hd, fd)) {
            return W_CUT;
        }
        int64_t left = first ? 0 : MIN(end_us - now, (int64_t)WAIT_SLICE_MS * 1000);
        struct timeval tv = { .tv_sec = (time_t)(left / 1000000), .tv_usec = (suseconds_t)(left % 1000000) };
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        int r = select(fd + 1, &rd, NULL, NULL, &tv);
        if (r > 0 || (r < 0 && errno != EINTR)) {
            return W_READY; /* bytes, or an error for recv to report */
        }
    }
}

/* HEAD: follow the bytes received; at the blank line that ends the head, go to BODY. */
static void scan_head(int fd, const char *buf, int n)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    conn_t *c = find(fd);
    for (int i = 0; c && c->phase == PH_HEAD && i < n; i++) {
        char b = buf[i];
        if (!c->head_began) {
            c->head_began = b != '\r' && b != '\n'; /* empty lines before a request */
        } else if (b == '\n') {
            if (++c->line_ends == 2) {
                c->phase = PH_BODY;
            }
        } else if (b != '\r') {
            c->line_ends = 0;
        }
    }
    xSemaphoreGive(s_lock);
}

static int conn_recv(httpd_handle_t hd, int fd, char *buf, size_t len, int flags)
{
    if (buf == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    conn_t *c = find(fd);
    phase_t phase = PH_BODY;
    int64_t start = 0;
    bool timed_out = false;
    if (c) {
        if (c->phase == PH_IDLE) {
            c->phase = PH_HEAD;
            c->start_us = esp_timer_get_time();
            c->timed_out = false;
            c->head_began = false;
            c->line_ends = 0;
        }
        phase = c->phase;
        start = c->start_us;
        timed_out = c->timed_out;
    }
    xSemaphoreGive(s_lock);

    if (phase == PH_HEAD) {
        if (timed_out) {
            return HTTPD_SOCK_ERR_FAIL;
        }
        /* httpd_start() listens before the handlers are registered: a request read now
         * would get a 404. Wait for them (a few milliseconds at the start). (A failing
         * open_fn would be simpler, but ESP-IDF 5.0 then miscounts its sessions.) */
        for (int i = 0; !s_ready && i < 200; i++) {
            vTaskDelay(pdMS_TO_TICKS(10));
        }
        int64_t deadline = start + (int64_t)s_deadline_s * 1000000;
        int64_t call_end = esp_timer_get_time() + (int64_t)s_recv_timeout_s * 1000000;
        wait_t w = wait_readable(hd, fd, MIN(call_end, deadline), start);
        if (w == W_END && call_end < deadline) {
            return HTTPD_SOCK_ERR_TIMEOUT; /* a stall, as esp_http_server's own recv reports it */
        }
        if (w != W_READY) {
            ESP_LOGW(TAG, "socket %d: %s: 408 and close", fd,
                     w == W_END ? "the request line and headers did not arrive within the header deadline"
                                : "the request headers stalled while other clients waited");
            xSemaphoreTake(s_lock, portMAX_DELAY);
            c = find(fd);
            if (c) {
                c->timed_out = true;
            }
            xSemaphoreGive(s_lock);
            return HTTPD_SOCK_ERR_TIMEOUT;
        }
    } else if (phase == PH_DEAD) {
        return HTTPD_SOCK_ERR_FAIL;
    } else if (phase == PH_LINGER) {
        if (wait_readable(hd, fd, start + (int64_t)LINGER_MS * 1000, 0) != W_READY) {
            return HTTPD_SOCK_ERR_FAIL;
        }
    }
    int n = recv(fd, buf, len, flags);
    if (n < 0) {
        return sock_err(fd);
    }
    if (phase == PH_HEAD) {
        scan_head(fd, buf, n);
    }
    return n;
}

static esp_err_t conn_open(httpd_handle_t hd, int fd)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    conn_t *c = find(-1);
    if (c) {
        *c = (conn_t){ .fd = fd, .phase = PH_IDLE };
    }
    xSemaphoreGive(s_lock);
    if (!c) {
        ESP_LOGE(TAG, "no connection slot for socket %d", fd);
        return ESP_FAIL;
    }
    if (s_listen_fd < 0) {
        find_listener(fd);
    }
    return httpd_sess_set_recv_override(hd, fd, conn_recv);
}

static void conn_close(httpd_handle_t hd, int fd)
{
    (void)hd;
    xSemaphoreTake(s_lock, portMAX_DELAY);
    conn_t *c = find(fd);
    if (c) {
        c->fd = -1;
    }
    xSemaphoreGive(s_lock);
    close(fd);
}

esp_err_t ota_conn_init(const softap_ota_config_t *cfg, httpd_config_t *hc)
{
    if (!s_lock) {
        s_lock = xSemaphoreCreateMutex();
        if (!s_lock) {
            return ESP_ERR_NO_MEM;
        }
    }
    free(s_conns);
    s_nconns = hc->max_open_sockets;
    s_conns = calloc(s_nconns, sizeof *s_conns);
    if (!s_conns) {
        s_nconns = 0;
        return ESP_ERR_NO_MEM;
    }
    for (size_t i = 0; i < s_nconns; i++) {
        s_conns[i].fd = -1;
    }
    s_deadline_s = cfg->header_deadline_s;
    s_recv_timeout_s = hc->recv_wait_timeout;
    s_listen_fd = -1;
    s_ready = false;
    hc->open_fn = conn_open;
    hc->close_fn = conn_close;
    return ESP_OK;
}

static void set_phase(int fd, phase_t phase)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    conn_t *c = find(fd);
    if (c) {
        c->phase = phase;
        c->start_us = esp_timer_get_time();
    }
    xSemaphoreGive(s_lock);
}

void ota_conn_ready(void)
{
    s_ready = true;
}

void ota_conn_body(httpd_req_t *req)
{
    set_phase(httpd_req_to_sockfd(req), PH_BODY);
}

void ota_conn_done(int fd)
{
    set_phase(fd, PH_IDLE);
}

esp_err_t ota_conn_refuse_close(httpd_req_t *req)
{
    int fd = httpd_req_to_sockfd(req);
    /* The answer is out: end our side, then read what the client still sends for a
     * moment, so that closing with unread bytes (a reset) does not destroy the answer
     * before the client has read it. */
    shutdown(fd, SHUT_WR);
    set_phase(fd, PH_LINGER);
    char sink[512];
    size_t dropped = 0;
    int n;
    /* A body of unknown length (chunked: content_len 0) is none of httpd_req_recv's, which
     * then reads nothing: it is taken from the socket through the session's receive
     * function (this file's, bounded in the LINGER phase) instead. */
    while (dropped < LINGER_BYTES &&
           (n = req->content_len ? httpd_req_recv(req, sink, sizeof sink)
                                 : httpd_socket_recv(req->handle, fd, sink, sizeof sink, 0)) > 0) {
        dropped += (size_t)n;
    }
    set_phase(fd, PH_DEAD);
    return ESP_FAIL; /* esp_http_server closes the session instead of draining the body */
}
