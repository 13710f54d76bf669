/* Host esp_http_server: socket I/O of a session, reading the request body, building and
 * sending responses (a handler's, and the server's own error answers), error handlers
 * and async requests.
 * The bytes on the wire are those of ESP-IDF's httpd_txrx.c. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "esp_log.h"
#include "httpd_priv.h"
#include "sota_host_idf.h"
#include "sota_host_httpd.h"

static const char *TAG = "httpd_txrx";

/* ------------------------------------------------------------------ raw socket I/O */

static int sock_err(const char *what, int sockfd)
{
    int err = errno;
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
        ESP_LOGD(TAG, "%s on socket %d timed out", what, sockfd);
        return HTTPD_SOCK_ERR_TIMEOUT;
    case EINVAL:
    case EBADF:
    case EFAULT:
    case ENOTSOCK:
        ESP_LOGW(TAG, "%s on socket %d: %s", what, sockfd, strerror(err));
        return HTTPD_SOCK_ERR_INVALID;
    default:
        ESP_LOGW(TAG, "%s on socket %d: %s", what, sockfd, strerror(err));
        return HTTPD_SOCK_ERR_FAIL;
    }
}

int httpd_default_send(httpd_handle_t hd, int sockfd, const char *buf, size_t buf_len, int flags)
{
    (void)hd;
    if (buf == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    /* MSG_NOSIGNAL: a peer that went away must give an error, not SIGPIPE the process
     * (lwIP has no signals). */
    ssize_t n = send(sockfd, buf, buf_len, flags | MSG_NOSIGNAL);
    if (n < 0) {
        return sock_err("send", sockfd);
    }
    return (int)n;
}

int httpd_default_recv(httpd_handle_t hd, int sockfd, char *buf, size_t buf_len, int flags)
{
    (void)hd;
    if (buf == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    ssize_t n = recv(sockfd, buf, buf_len, flags);
    if (n < 0) {
        return sock_err("recv", sockfd);
    }
    return (int)n;
}

int httpd_send(httpd_req_t *r, const char *buf, size_t buf_len)
{
    if (r == NULL || buf == NULL || r->aux == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    struct httpd_sess *sd = ((struct httpd_req_aux *)r->aux)->sd;
    return sd->send_fn(r->handle, sd->fd, buf, buf_len, 0);
}

static esp_err_t send_all(httpd_req_t *r, const char *buf, size_t len)
{
    struct httpd_sess *sd = ((struct httpd_req_aux *)r->aux)->sd;
    while (len > 0) {
        int n = sd->send_fn(r->handle, sd->fd, buf, len, 0);
        if (n < 0) {
            return ESP_FAIL;
        }
        buf += n;
        len -= (size_t)n;
    }
    return ESP_OK;
}

/* Bytes pushed back by the parser come first; they are kept right-aligned in the
 * session's pending buffer. */
static size_t take_pending(struct httpd_sess *sd, char *buf, size_t len)
{
    if (len > sd->pending_len) {
        len = sd->pending_len;
    }
    memcpy(buf, sd->pending + sizeof sd->pending - sd->pending_len, len);
    sd->pending_len -= len;
    return len;
}

int httpd_recv_with_opt(httpd_req_t *r, char *buf, size_t buf_len, httpd_recv_opt_t opt)
{
    struct httpd_sess *sd = ((struct httpd_req_aux *)r->aux)->sd;
    size_t from_pending = 0;
    if (sd->pending_len > 0) {
        from_pending = take_pending(sd, buf, buf_len);
        buf += from_pending;
        buf_len -= from_pending;
        if (buf_len == 0 || opt == HTTPD_RECV_OPT_HALT_AFTER_PENDING) {
            return (int)from_pending;
        }
    }
    int n = sd->recv_fn(r->handle, sd->fd, buf, buf_len, 0);
    if (n <= 0) {
        /* A timeout after some pushed-back bytes reports those bytes, like a partial
         * recv(). Any other outcome (including the peer closing) is returned as is,
         * pushed-back bytes or not: ESP-IDF does the same. */
        if (n == HTTPD_SOCK_ERR_TIMEOUT && from_pending > 0) {
            return (int)from_pending;
        }
        return n;
    }
    return (int)from_pending + n;
}

size_t httpd_unrecv(httpd_req_t *r, const char *buf, size_t buf_len)
{
    struct httpd_sess *sd = ((struct httpd_req_aux *)r->aux)->sd;
    sd->pending_len = buf_len < sizeof sd->pending ? buf_len : sizeof sd->pending;
    memcpy(sd->pending + sizeof sd->pending - sd->pending_len, buf, sd->pending_len);
    return sd->pending_len;
}

/* ------------------------------------------------------------------ request body */

/* httpd_host_set_body_cuts: the cut points and the next one to use */
#define BODY_CUTS_MAX 8
static uint64_t s_cuts[BODY_CUTS_MAX];
static size_t s_ncuts;
static _Atomic size_t s_next_cut;

void httpd_host_set_body_cuts(const uint64_t *cut_at, size_t n)
{
    s_ncuts = n < BODY_CUTS_MAX ? n : BODY_CUTS_MAX;
    memcpy(s_cuts, cut_at, s_ncuts * sizeof *s_cuts);
    s_next_cut = 0;
}

/* A cut point for this body (0: none): it applies once the body is longer than it. */
static uint64_t body_cut(const httpd_req_t *r)
{
    size_t k = s_next_cut;
    return k < s_ncuts && r->content_len > s_cuts[k] ? s_cuts[k] : 0;
}

int httpd_req_recv(httpd_req_t *r, char *buf, size_t buf_len)
{
    if (r == NULL || buf == NULL || r->aux == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    struct httpd_req_aux *ra = r->aux;
    if (buf_len > ra->remaining_len) {
        buf_len = ra->remaining_len;
    }
    if (buf_len == 0) {
        return 0;
    }
    uint64_t cut = body_cut(r);
    if (cut) {
        uint64_t done = r->content_len - ra->remaining_len;
        if (done >= cut) {
            s_next_cut++;
            ESP_LOGW(TAG, "simulated connection loss after %llu body bytes", (unsigned long long)done);
            shutdown(ra->sd->fd, SHUT_RDWR);
            return HTTPD_SOCK_ERR_FAIL;
        }
        if (done + buf_len > cut) {
            buf_len = (size_t)(cut - done);
        }
    }
    int n = httpd_recv_with_opt(r, buf, buf_len, HTTPD_RECV_OPT_NONE);
    if (n < 0) {
        return n;
    }
    ra->remaining_len -= (size_t)n;
    return n;
}

int httpd_req_to_sockfd(httpd_req_t *r)
{
    if (r == NULL || r->aux == NULL) {
        return -1;
    }
    return ((struct httpd_req_aux *)r->aux)->sd->fd;
}

/* ------------------------------------------------------------------ response setup */

esp_err_t httpd_resp_set_status(httpd_req_t *r, const char *status)
{
    if (r == NULL || status == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (strpbrk(status, "\r\n")) {
        ESP_LOGW(TAG, "status with CR/LF refused: %.32s", status);
        return ESP_ERR_INVALID_ARG;
    }
    ((struct httpd_req_aux *)r->aux)->status = status;
    return ESP_OK;
}

esp_err_t httpd_resp_set_type(httpd_req_t *r, const char *type)
{
    if (r == NULL || type == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (strpbrk(type, "\r\n")) {
        ESP_LOGW(TAG, "content type with CR/LF refused: %.32s", type);
        return ESP_ERR_INVALID_ARG;
    }
    ((struct httpd_req_aux *)r->aux)->content_type = type;
    return ESP_OK;
}

esp_err_t httpd_resp_set_hdr(httpd_req_t *r, const char *field, const char *value)
{
    if (r == NULL || field == NULL || value == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (strpbrk(field, "\r\n") || strpbrk(value, "\r\n")) {
        ESP_LOGW(TAG, "header with CR/LF refused: %.32s", field);
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_req_aux *ra = r->aux;
    struct httpd_data *hd = r->handle;
    if (ra->resp_hdrs_count >= hd->config.max_resp_headers) {
        ESP_LOGW(TAG, "header %s refused: max_resp_headers (%u) already set", field,
                 (unsigned)hd->config.max_resp_headers);
        return ESP_ERR_HTTPD_RESP_HDR;
    }
    ra->resp_hdrs[ra->resp_hdrs_count].field = field;
    ra->resp_hdrs[ra->resp_hdrs_count].value = value;
    ra->resp_hdrs_count++;
    return ESP_OK;
}

/* Send the header block: `first` (status line and fixed headers, already formatted),
 * the handler's extra headers, and the blank line. */
static esp_err_t send_head(httpd_req_t *r, const char *first)
{
    struct httpd_req_aux *ra = r->aux;
    size_t len = strlen(first) + 2;
    for (unsigned i = 0; i < ra->resp_hdrs_count; i++) {
        len += strlen(ra->resp_hdrs[i].field) + 2 + strlen(ra->resp_hdrs[i].value) + 2;
    }
    char *head = malloc(len + 1);
    if (head == NULL) {
        ESP_LOGE(TAG, "out of memory for the response headers");
        return ESP_ERR_HTTPD_ALLOC_MEM;
    }
    char *p = head;
    p += sprintf(p, "%s", first);
    for (unsigned i = 0; i < ra->resp_hdrs_count; i++) {
        p += sprintf(p, "%s: %s\r\n", ra->resp_hdrs[i].field, ra->resp_hdrs[i].value);
    }
    p += sprintf(p, "\r\n");
    esp_err_t ret = send_all(r, head, (size_t)(p - head));
    free(head);
    if (ret != ESP_OK) {
        return ESP_ERR_HTTPD_RESP_SEND;
    }
    return ESP_OK;
}

/* Format the status line and fixed headers; refuse them when longer than the header
 * limit, as ESP-IDF does. Returns a malloc'ed string or NULL with *err set. */
static char *format_first(httpd_req_t *r, ssize_t body_len, esp_err_t *err)
{
    struct httpd_req_aux *ra = r->aux;
    int n = snprintf(NULL, 0, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zd\r\n",
                     ra->status, ra->content_type, body_len);
    if (n < 0 || (size_t)n + 1 > ra->max_req_hdr_len) {
        ESP_LOGW(TAG, "response status and content type are longer than max_req_hdr_len (%zu)",
                 ra->max_req_hdr_len);
        *err = ESP_ERR_HTTPD_RESP_HDR;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        *err = ESP_ERR_HTTPD_ALLOC_MEM;
        return NULL;
    }
    snprintf(s, (size_t)n + 1, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zd\r\n",
             ra->status, ra->content_type, body_len);
    return s;
}

esp_err_t httpd_resp_send(httpd_req_t *r, const char *buf, ssize_t buf_len)
{
    if (r == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_req_aux *ra = r->aux;
    if (buf_len == HTTPD_RESP_USE_STRLEN) {
        buf_len = buf ? (ssize_t)strlen(buf) : 0;
    }
    /* The request headers are gone once the response starts. */
    ra->req_hdrs_count = 0;

    esp_err_t ret = ESP_OK;
    char *first = format_first(r, buf_len, &ret);
    if (first == NULL) {
        return ret;
    }
    ret = send_head(r, first);
    free(first);
    if (ret != ESP_OK) {
        return ret;
    }
    if (buf && buf_len > 0 && send_all(r, buf, (size_t)buf_len) != ESP_OK) {
        return ESP_ERR_HTTPD_RESP_SEND;
    }
    return ESP_OK;
}

/* ------------------------------------------------------------------ errors */

typedef struct {
    const char *status;
    const char *msg;
} err_text_t;

/* Status line and default body of each httpd_err_code_t (the texts ESP-IDF sends). */
static const err_text_t s_err_text[HTTPD_ERR_CODE_MAX] = {
    [HTTPD_500_INTERNAL_SERVER_ERROR] = { "500 Internal Server Error",
                                          "Server has encountered an unexpected error" },
    [HTTPD_501_METHOD_NOT_IMPLEMENTED] = { "501 Method Not Implemented",
                                           "Server does not support this method" },
    [HTTPD_505_VERSION_NOT_SUPPORTED] = { "505 Version Not Supported",
                                          "HTTP version not supported by server" },
    [HTTPD_400_BAD_REQUEST] = { "400 Bad Request", "Bad request syntax" },
    [HTTPD_401_UNAUTHORIZED] = { "401 Unauthorized", "No permission -- see authorization schemes" },
    [HTTPD_403_FORBIDDEN] = { "403 Forbidden", "Request forbidden -- authorization will not help" },
    [HTTPD_404_NOT_FOUND] = { "404 Not Found", "Nothing matches the given URI" },
    [HTTPD_405_METHOD_NOT_ALLOWED] = { "405 Method Not Allowed",
                                       "Specified method is invalid for this resource" },
    [HTTPD_408_REQ_TIMEOUT] = { "408 Request Timeout", "Server closed this connection" },
    [HTTPD_411_LENGTH_REQUIRED] = { "411 Length Required", "Client must specify Content-Length" },
    [HTTPD_413_CONTENT_TOO_LARGE] = { "413 Content Too Large", "Content is too large" },
    [HTTPD_414_URI_TOO_LONG] = { "414 URI Too Long", "URI is too long" },
    [HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE] = { "431 Request Header Fields Too Large",
                                             "Header fields are too long" },
};

/* Send status/msg as a text/html response with TCP_NODELAY on, so the bytes leave before
 * a close that may follow (CONFIG_HTTPD_ERR_RESP_NO_DELAY). */
static esp_err_t send_error_response(httpd_req_t *req, const char *status, const char *msg)
{
    struct httpd_req_aux *ra = req->aux;
    httpd_resp_set_status(req, status);
    httpd_resp_set_type(req, HTTPD_TYPE_TEXT);

    int nodelay = 1;
    bool set = CONFIG_HTTPD_ERR_RESP_NO_DELAY &&
               setsockopt(ra->sd->fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) == 0;
    esp_err_t ret = httpd_resp_send(req, msg, HTTPD_RESP_USE_STRLEN);
    if (set) {
        nodelay = 0;
        if (setsockopt(ra->sd->fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) < 0) {
            ESP_LOGE(TAG, "cannot clear TCP_NODELAY on socket %d: %s", ra->sd->fd, strerror(errno));
            return ESP_ERR_INVALID_STATE;
        }
    }
    return ret;
}

esp_err_t httpd_register_err_handler(httpd_handle_t handle, httpd_err_code_t error,
                                     httpd_err_handler_func_t handler_fn)
{
    if (handle == NULL || (unsigned)error >= HTTPD_ERR_CODE_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    ((struct httpd_data *)handle)->err_fns[error] = handler_fn;
    return ESP_OK;
}

esp_err_t httpd_req_handle_err(httpd_req_t *req, httpd_err_code_t error)
{
    if (req == NULL || req->handle == NULL) {
        return ESP_FAIL;
    }
    struct httpd_data *hd = req->handle;
    if ((unsigned)error >= HTTPD_ERR_CODE_MAX) {
        error = HTTPD_500_INTERNAL_SERVER_ERROR;
    }
    if (hd->err_fns[error]) {
        esp_err_t ret = hd->err_fns[error](req, error);
        return error == HTTPD_500_INTERNAL_SERVER_ERROR ? ESP_FAIL : ret;
    }
    /* the default answer: the error's status line and text, then the close */
    if (req->aux != NULL) {
        const err_text_t *t = &s_err_text[error];
        ESP_LOGW(TAG, "%s - %s", t->status, t->msg);
        send_error_response(req, t->status, t->msg);
    }
    return ESP_FAIL;
}

/* ------------------------------------------------------------------ async requests */

/* What these do depends on the modelled release (sota_host_idf.h): 5.2.0-5.2.3 and
 * 5.3.0-5.3.1 leave the original request's body to the server task, which drains it
 * while the copy reads the same socket; 5.2.0-5.2.3 share the response-header array;
 * only 5.4.3+, 5.5.2+ and 6.0+ wake the server when the copy completes. */
esp_err_t httpd_req_async_handler_begin(httpd_req_t *r, httpd_req_t **out)
{
    if (r == NULL || out == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!sota_host_idf_has_async_req()) {
        ESP_LOGE(TAG, "httpd_req_async_handler_begin does not exist before ESP-IDF 5.2");
        return ESP_ERR_NOT_SUPPORTED;
    }
    struct httpd_data *hd = r->handle;
    struct httpd_req_aux *ra = r->aux;
    bool shared = sota_host_idf_async_shares_resp_hdrs();
    httpd_req_t *copy = malloc(sizeof *copy);
    struct httpd_req_aux *ca = malloc(sizeof *ca);
    char *scratch = malloc(ra->scratch_cap + 1);
    char *hdrs = malloc(ra->hdrs_cap);
    struct resp_hdr *resp = shared ? ra->resp_hdrs
                                   : calloc(hd->config.max_resp_headers ? hd->config.max_resp_headers : 1,
                                            sizeof *resp);
    if (!copy || !ca || !scratch || !hdrs || !resp) {
        free(copy);
        free(ca);
        free(scratch);
        free(hdrs);
        if (!shared) {
            free(resp);
        }
        return ESP_ERR_NO_MEM;
    }
    memcpy(copy, r, sizeof *copy);
    memcpy(ca, ra, sizeof *ca);
    memcpy(scratch, ra->scratch, ra->scratch_len);
    memcpy(hdrs, ra->hdrs, ra->hdrs_len);
    if (!shared) {
        memcpy(resp, ra->resp_hdrs, hd->config.max_resp_headers * sizeof *resp);
    }
    ca->scratch = scratch;
    ca->hdrs = hdrs;
    ca->resp_hdrs = resp;
    ca->resp_hdrs_shared = shared;
    copy->aux = ca;

    if (!sota_host_idf_async_drains_original()) {
        /* The copy owns the rest of the body: the server must not drain it. */
        ra->remaining_len = 0;
    }
    ra->sd->for_async_req = true;
    *out = copy;
    return ESP_OK;
}

esp_err_t httpd_req_async_handler_complete(httpd_req_t *r)
{
    if (r == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    struct httpd_data *hd = r->handle;
    struct httpd_req_aux *ra = r->aux;
    ra->sd->for_async_req = false;
    free(ra->scratch);
    free(ra->hdrs);
    if (!ra->resp_hdrs_shared) {
        free(ra->resp_hdrs);
    }
    free(ra);
    free(r);
    if (!sota_host_idf_async_complete_wakes()) {
        return ESP_OK;
    }
    /* Wake the server so it watches the session again. */
    if (httpd_host_wake(hd) != ESP_OK) {
        ESP_LOGW(TAG, "cannot notify the server that an async request completed");
        return ESP_FAIL;
    }
    return ESP_OK;
}
