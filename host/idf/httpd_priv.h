/* Host esp_http_server: the server's internal state, shared by host/idf/httpd_*.c only.
 *
 * Threading: everything here belongs to the server thread, except the work queue (guarded
 * by `lock`), the URI handler table (guarded by `uri_lock`, so handlers can be registered
 * from any thread as ESP-IDF allows) and a session's for_async_req flag (set by the server
 * thread, cleared by the thread finishing an async request before it queues a wake-up). */
#ifndef HTTPD_PRIV_H
#define HTTPD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_http_server.h"

/* Bytes read and parsed per turn while receiving a request, and the size of a session's
 * push-back buffer (ESP-IDF's PARSER_BLOCK_SIZE). */
#define HTTPD_BLOCK_SIZE 128

/* Work queue capacity: ESP-IDF's control socket holds this many messages. */
#define HTTPD_WORK_QUEUE_LEN CONFIG_LWIP_UDP_RECVMBOX_SIZE

/* One client connection. */
struct httpd_sess {
    int fd;                                  /* socket, -1 when the slot is free */
    struct httpd_data *hd;                   /* owning server */
    void *ctx;                               /* session context (httpd_req_t.sess_ctx) */
    httpd_free_ctx_fn_t free_ctx;
    bool ignore_sess_ctx_changes;
    void *transport_ctx;
    httpd_free_ctx_fn_t free_transport_ctx;
    httpd_send_func_t send_fn;
    httpd_recv_func_t recv_fn;
    httpd_pending_func_t pending_fn;         /* NULL: none */
    uint64_t lru_counter;                    /* server's lru_counter when last used */
    bool lru_socket;                         /* chosen for an LRU purge */
    bool for_async_req;                      /* a copied request owns the session */
    char pending[HTTPD_BLOCK_SIZE];          /* received but unparsed bytes, right-aligned */
    size_t pending_len;
};

/* Per-request state behind httpd_req_t.aux. */
struct httpd_req_aux {
    struct httpd_sess *sd;            /* session of the request, NULL between requests */
    char *scratch;                    /* request line, then raw header section */
    size_t scratch_len;               /* valid bytes in scratch */
    size_t scratch_cap;               /* max(max_uri_len, max_req_hdr_len) */
    size_t max_req_hdr_len;           /* effective limits (config, or CONFIG_ when 0) */
    size_t max_uri_len;
    size_t remaining_len;             /* body bytes not yet read */
    const char *status;               /* response status text */
    const char *content_type;         /* response Content-Type */
    char *hdrs;                       /* request headers: "name\0value\0" per header */
    size_t hdrs_len;
    size_t hdrs_cap;
    unsigned req_hdrs_count;          /* 0 once a response was started */
    unsigned resp_hdrs_count;
    struct resp_hdr {
        const char *field;
        const char *value;
    } *resp_hdrs;                     /* config.max_resp_headers entries */
    bool resp_hdrs_shared;            /* an async copy using the server's array (5.2.0-5.2.3) */
    struct http_parser_url url_parse_res;
};

struct httpd_work {
    httpd_work_fn_t fn;               /* NULL: only wake the server up */
    void *arg;
    bool shutdown;
};

/* The server instance behind httpd_handle_t. */
struct httpd_data {
    httpd_config_t config;
    int listen_fd;
    uint16_t port;                    /* bound port */
    int wake_rd, wake_wr;             /* pipe: one byte per queued work item */
    pthread_t thread;
    pthread_mutex_t lock;             /* work queue */
    pthread_cond_t slot_free;
    struct httpd_work queue[HTTPD_WORK_QUEUE_LEN];
    size_t queue_head, queue_count;
    bool stopping;                    /* shutdown queued: refuse further work */
    struct httpd_sess *sessions;      /* config.max_open_sockets slots */
    int active_count;
    pthread_mutex_t uri_lock;
    httpd_uri_t *uris;                /* config.max_uri_handlers; registered ones first */
    size_t uri_count;
    httpd_req_t req;                  /* the request being processed */
    struct httpd_req_aux aux;
    uint64_t lru_counter;
    httpd_err_handler_func_t err_fns[HTTPD_ERR_CODE_MAX];
};

/* Options of httpd_recv_with_opt(). */
typedef enum {
    HTTPD_RECV_OPT_NONE = 0,
    HTTPD_RECV_OPT_HALT_AFTER_PENDING = 1, /* return after taking pushed-back bytes */
} httpd_recv_opt_t;

/* --- httpd_main.c --- */
/* Queue an empty work item (waiting for a slot) so the server re-reads its session
 * table; used when an async request hands its session back. */
esp_err_t httpd_host_wake(struct httpd_data *hd);

/* --- httpd_sess.c --- */
bool httpd_sess_has_free_slot(const struct httpd_data *hd);
/* Take a free slot for a freshly accepted socket. On failure the socket is closed. */
esp_err_t httpd_sess_new(struct httpd_data *hd, int fd);
/* Process one request of the session; not ESP_OK means the session must be deleted. */
esp_err_t httpd_sess_process(struct httpd_data *hd, struct httpd_sess *sd);
bool httpd_sess_pending(struct httpd_data *hd, struct httpd_sess *sd);
void httpd_sess_delete(struct httpd_data *hd, struct httpd_sess *sd);
void httpd_sess_delete_invalid(struct httpd_data *hd);
void httpd_sess_close_all(struct httpd_data *hd);
/* Queue the close of the least recently used session (for an LRU purge). */
esp_err_t httpd_sess_close_lru(struct httpd_data *hd);
void httpd_sess_free_ctx(void **ctx, httpd_free_ctx_fn_t free_fn);

/* --- httpd_parse.c --- */
/* Receive, parse and dispatch one request of sd. Not ESP_OK: close the session. */
esp_err_t httpd_req_new(struct httpd_data *hd, struct httpd_sess *sd);
/* Drain the unread body and release the request. Not ESP_OK: close the session. */
esp_err_t httpd_req_delete(struct httpd_data *hd);

/* --- httpd_txrx.c --- */
int httpd_recv_with_opt(httpd_req_t *r, char *buf, size_t buf_len, httpd_recv_opt_t opt);
/* Push bytes back in front of the session's input; returns how many fit (<= 128). */
size_t httpd_unrecv(httpd_req_t *r, const char *buf, size_t buf_len);
int httpd_default_send(httpd_handle_t hd, int sockfd, const char *buf, size_t buf_len, int flags);
int httpd_default_recv(httpd_handle_t hd, int sockfd, char *buf, size_t buf_len, int flags);

/* --- httpd_uri.c --- */
/* Find the handler of the parsed request and run it. */
esp_err_t httpd_uri_dispatch(struct httpd_data *hd);
void httpd_uri_free_all(struct httpd_data *hd);

#endif
