/* Host port of ESP-IDF's esp_http_server.h (components/esp_http_server).
 *
 * Same names, types, struct fields, macros, error codes and signatures as ESP-IDF (v5.0 up
 * to master), so the device's HTTP handlers compile unchanged on Linux; only the functions
 * the product calls are here (no cookie, chunked-response, wildcard-matcher or
 * httpd_resp_send_err API: tests/integration/test_host_port_used.sh). The server behind
 * it (host/idf/httpd_*.c) works the way ESP-IDF's does: one server thread runs a select()
 * loop over the listening socket and at most max_open_sockets sessions; each request is
 * parsed with http_parser in blocks of 128 bytes under the same URI and header limits,
 * handlers run in that thread one at a time, the unread rest of a body is drained after a
 * handler returns ESP_OK and the session is closed when it returns anything else.
 *
 * ESP-IDF behaviours kept on purpose, because the device has them (handlers must cope):
 *  - A body without Content-Length (no header, or Transfer-Encoding: chunked) reaches
 *    the handler with content_len 0; the server never answers 411 by itself. Check
 *    httpd_req_get_hdr_value_str(req, "Content-Length", ...) (ESP_ERR_NOT_FOUND) and
 *    answer 411 in the handler. Chunked bodies are not decoded.
 *  - httpd_req_recv() returns 0 (not an error code) when the client closes the
 *    connection before the whole body came; compare what you read with content_len.
 *  - Unknown methods get 400 (http_parser stops on them), known but unregistered ones
 *    405, unknown URIs 404; header section over max_req_hdr_len 431, request line over
 *    max_uri_len 414 (see httpd_parse.c for the exact limits).
 *
 * Host differences (all deliberate):
 *  - The server listens on 127.0.0.1 only, IPv4. The port is config->server_port unless
 *    httpd_host_set_port_override() says otherwise; port 0 binds an ephemeral port
 *    (see sota_host_httpd.h for both).
 *  - task_priority, stack_size, core_id, task_caps, ctrl_port and if_name are accepted and
 *    ignored: the server is a pthread with the default stack, and work queued with
 *    httpd_queue_work() travels through a pipe instead of a UDP control socket.
 *  - No ESP_HTTP_SERVER_EVENT events are posted (CONFIG_HTTPD_ENABLE_EVENTS is not set
 *    in the host sdkconfig.h).
 *  - WebSocket support (CONFIG_HTTPD_WS_SUPPORT) is not built.
 *  - httpd_stop() called from the server thread itself (a handler or queued work)
 *    deadlocks on a device; on the host it logs an error and returns ESP_FAIL.
 *
 * Conventions for every request API below: `r`/`req` is the request passed to the running
 * URI handler (or error handler); it is only valid inside that call, in the server thread,
 * unless copied with httpd_req_async_handler_begin(). Strings given to the response setters
 * are not copied: they must stay valid until the response is sent. */
#ifndef _ESP_HTTP_SERVER_H_
#define _ESP_HTTP_SERVER_H_

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <net/if.h>

#include <freertos/FreeRTOS.h>
#include <freertos/task.h>
#include <http_parser.h>
#include <sdkconfig.h>
#include <esp_err.h>
#include <esp_idf_version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Memory capability bits used by HTTPD_DEFAULT_CONFIG (values of ESP-IDF's
 * esp_heap_caps.h, in case no host header has defined them yet). */
#ifndef MALLOC_CAP_8BIT
#define MALLOC_CAP_8BIT (1 << 2)
#endif
#ifndef MALLOC_CAP_INTERNAL
#define MALLOC_CAP_INTERNAL (1 << 11)
#endif

/* UDP port of ESP-IDF's internal control socket (unused on the host). */
#define ESP_HTTPD_DEF_CTRL_PORT (32768)

/* Default configuration; change only the fields you need after
 * `httpd_config_t config = HTTPD_DEFAULT_CONFIG();`. */
#define HTTPD_DEFAULT_CONFIG() {                                  \
        .task_priority      = tskIDLE_PRIORITY + 5,               \
        .stack_size         = 4096,                               \
        .core_id            = tskNO_AFFINITY,                     \
        .task_caps          = (MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT), \
        .max_req_hdr_len    = CONFIG_HTTPD_MAX_REQ_HDR_LEN,       \
        .max_uri_len        = CONFIG_HTTPD_MAX_URI_LEN,           \
        .server_port        = 80,                                 \
        .ctrl_port          = ESP_HTTPD_DEF_CTRL_PORT,            \
        .max_open_sockets   = 7,                                  \
        .max_uri_handlers   = 8,                                  \
        .max_resp_headers   = 8,                                  \
        .backlog_conn       = 5,                                  \
        .lru_purge_enable   = false,                              \
        .recv_wait_timeout  = 5,                                  \
        .send_wait_timeout  = 5,                                  \
        .global_user_ctx = NULL,                                  \
        .global_user_ctx_free_fn = NULL,                          \
        .global_transport_ctx = NULL,                             \
        .global_transport_ctx_free_fn = NULL,                     \
        .enable_so_linger = false,                                \
        .linger_timeout = 0,                                      \
        .keep_alive_enable = false,                               \
        .keep_alive_idle = 0,                                     \
        .keep_alive_interval = 0,                                 \
        .keep_alive_count = 0,                                    \
        .if_name = NULL,                                          \
        .open_fn = NULL,                                          \
        .close_fn = NULL,                                         \
        .uri_match_fn = NULL                                      \
}

#define ESP_ERR_HTTPD_BASE           (0xb000)                 /* first esp_http_server code */
#define ESP_ERR_HTTPD_HANDLERS_FULL  (ESP_ERR_HTTPD_BASE + 1) /* all max_uri_handlers slots used */
#define ESP_ERR_HTTPD_HANDLER_EXISTS (ESP_ERR_HTTPD_BASE + 2) /* same URI and method already registered */
#define ESP_ERR_HTTPD_INVALID_REQ    (ESP_ERR_HTTPD_BASE + 3) /* request pointer not valid here */
#define ESP_ERR_HTTPD_RESULT_TRUNC   (ESP_ERR_HTTPD_BASE + 4) /* value did not fit: truncated */
#define ESP_ERR_HTTPD_RESP_HDR       (ESP_ERR_HTTPD_BASE + 5) /* response headers too large / too many */
#define ESP_ERR_HTTPD_RESP_SEND      (ESP_ERR_HTTPD_BASE + 6) /* sending the response failed */
#define ESP_ERR_HTTPD_ALLOC_MEM      (ESP_ERR_HTTPD_BASE + 7) /* out of memory */
#define ESP_ERR_HTTPD_TASK           (ESP_ERR_HTTPD_BASE + 8) /* server thread could not be started */

/* Pass as buf_len to the httpd_resp_send* functions to send strlen(buf) bytes. */
#define HTTPD_RESP_USE_STRLEN -1

/* ====================================================================== Initialization */

/* An HTTP server instance, as returned by httpd_start(). */
typedef void *httpd_handle_t;

/* An HTTP method: http_parser's enum http_method (HTTP_GET, HTTP_POST, ...). */
typedef enum http_method httpd_method_t;

/* Method of a URI handler that accepts every method. */
#define HTTP_ANY INT_MAX

/* Frees a context object (session, user or transport context). */
typedef void (*httpd_free_ctx_fn_t)(void *ctx);

/* Called for every new session socket right after accept(), before anything is read:
 * the place to install send/recv overrides. Anything but ESP_OK closes the socket. */
typedef esp_err_t (*httpd_open_func_t)(httpd_handle_t hd, int sockfd);

/* Called for every session that ends, before its contexts are freed. When set, the
 * server does not close the socket itself: this function must close(sockfd). sockfd may
 * already be invalid. */
typedef void (*httpd_close_func_t)(httpd_handle_t hd, int sockfd);

/* URI matcher: true if uri_to_match[0..match_upto) matches reference_uri (a registered
 * URI or template). match_upto excludes any query string. */
typedef bool (*httpd_uri_match_func_t)(const char *reference_uri,
                                       const char *uri_to_match,
                                       size_t match_upto);

/* Server configuration. Start from HTTPD_DEFAULT_CONFIG(). */
typedef struct httpd_config {
    unsigned    task_priority;    /* server task priority (ignored on host) */
    size_t      stack_size;       /* server task stack in bytes (ignored on host) */
    BaseType_t  core_id;          /* core of the server task (ignored on host) */
    uint32_t    task_caps;        /* memory caps of the task stack (ignored on host) */

    /* Limits of the request's header section and request-line buffers, in bytes;
     * 0 means the CONFIG_ default. The URI itself can never exceed
     * CONFIG_HTTPD_MAX_URI_LEN (the size of httpd_req_t.uri). */
    size_t      max_req_hdr_len;
    size_t      max_uri_len;

    uint16_t    server_port;      /* TCP port (0: ephemeral, host only) */
    uint16_t    ctrl_port;        /* UDP control port (unused on host) */

    uint16_t    max_open_sockets; /* most sessions open at once; plus the 3 sockets the
                                     server uses itself it must fit in
                                     CONFIG_LWIP_MAX_SOCKETS */
    uint16_t    max_uri_handlers; /* most URI handlers that can be registered */
    uint16_t    max_resp_headers; /* most httpd_resp_set_hdr() headers per response */
    uint16_t    backlog_conn;     /* listen() backlog */
    bool        lru_purge_enable; /* when all sessions are taken, a new connection closes
                                     the least recently used one */
    uint16_t    recv_wait_timeout; /* seconds a recv may wait for data (SO_RCVTIMEO, 0: no limit) */
    uint16_t    send_wait_timeout; /* seconds a send may wait (SO_SNDTIMEO, 0: no limit) */

    /* Free-form user data. httpd_stop() frees it with global_user_ctx_free_fn, or free()
     * when that is NULL. */
    void *global_user_ctx;
    httpd_free_ctx_fn_t global_user_ctx_free_fn;

    /* Same for a transport (e.g. TLS) context. */
    void *global_transport_ctx;
    httpd_free_ctx_fn_t global_transport_ctx_free_fn;

    bool enable_so_linger;   /* set SO_LINGER on sessions before closing them */
    int linger_timeout;      /* SO_LINGER time in seconds */
    bool keep_alive_enable;  /* enable TCP keep-alive on sessions */
    int keep_alive_idle;     /* keep-alive idle seconds (0: 5) */
    int keep_alive_interval; /* keep-alive probe interval seconds (0: 5) */
    int keep_alive_count;    /* keep-alive probes before giving up (0: 3) */
    struct ifreq *if_name;   /* network interface to bind to (ignored on host: 127.0.0.1) */

    httpd_open_func_t open_fn;   /* see httpd_open_func_t; may be NULL */
    httpd_close_func_t close_fn; /* see httpd_close_func_t; may be NULL */

    /* How registered URIs are compared with request paths: NULL for exact comparison,
     * or your own function (ESP-IDF's httpd_uri_match_wildcard is not in this port:
     * nothing here uses it). Also used by httpd_register_uri_handler() to find
     * duplicates. */
    httpd_uri_match_func_t uri_match_fn;
} httpd_config_t;

/* Start a server: listen on the configured port and serve from a new thread.
 * handle: receives the instance (left unchanged on error). config: copied.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments or when max_open_sockets + 3
 * exceeds CONFIG_LWIP_MAX_SOCKETS (as on the device); ESP_ERR_HTTPD_ALLOC_MEM when out of
 * memory; ESP_FAIL when the socket cannot be bound (port in use: the log names it);
 * ESP_ERR_HTTPD_TASK when the thread cannot be started. */
esp_err_t httpd_start(httpd_handle_t *handle, const httpd_config_t *config);

/* Stop a server: close every session and the listening socket, wait for the server
 * thread to end, free the global contexts, the handlers and the instance. The handle is
 * invalid afterwards. Returns ESP_OK; ESP_ERR_INVALID_ARG for a NULL handle; ESP_FAIL
 * when called from the server thread itself (see the host differences above). */
esp_err_t httpd_stop(httpd_handle_t handle);

/* ======================================================================= URI handlers */

/* Largest header section and request line accepted by default (ESP-IDF v5.0 names). */
#define HTTPD_MAX_REQ_HDR_LEN CONFIG_HTTPD_MAX_REQ_HDR_LEN
#define HTTPD_MAX_URI_LEN CONFIG_HTTPD_MAX_URI_LEN

/* The request a URI handler is called with. */
typedef struct httpd_req {
    httpd_handle_t  handle;      /* server instance */
    int             method;      /* HTTP_GET, HTTP_POST, ... (-1: not supported) */
    const char      uri[CONFIG_HTTPD_MAX_URI_LEN + 1]; /* request target as sent, NUL-terminated */
    size_t          content_len; /* Content-Length of the body (0 when absent or chunked) */
    void           *aux;         /* server-internal data */

    /* user_ctx of the matching httpd_uri_t. */
    void *user_ctx;

    /* Session context: kept across the requests of one connection. NULL at first;
     * a handler may set it. When the connection closes it is freed with free_ctx, or
     * free() when free_ctx is NULL. */
    void *sess_ctx;

    /* Frees sess_ctx (NULL: free()). */
    httpd_free_ctx_fn_t free_ctx;

    /* false (default): if a handler replaces sess_ctx, the server frees the previous
     * context when the handler returns. true: the handler manages replacements itself;
     * the server frees sess_ctx only when the connection closes. */
    bool ignore_sess_ctx_changes;
} httpd_req_t;

/* A URI handler registration. */
typedef struct httpd_uri {
    const char     *uri;    /* URI or template (see uri_match_fn); copied on registration */
    httpd_method_t  method; /* method served, or HTTP_ANY */

    /* Called with each matching request, in the server thread. Must return ESP_OK to keep
     * the connection open; anything else closes it (after what was already sent). */
    esp_err_t (*handler)(httpd_req_t *r);

    /* Given to the handler as r->user_ctx. */
    void *user_ctx;
} httpd_uri_t;

/* Register a URI handler (the struct is copied, the uri string too).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments or a NULL uri;
 * ESP_ERR_HTTPD_HANDLERS_FULL when max_uri_handlers are registered;
 * ESP_ERR_HTTPD_HANDLER_EXISTS when a registered handler with the same method (or
 * HTTP_ANY) already matches this URI; ESP_ERR_HTTPD_ALLOC_MEM when out of memory. */
esp_err_t httpd_register_uri_handler(httpd_handle_t handle,
                                     const httpd_uri_t *uri_handler);

/* ========================================================================= HTTP errors */

/* Errors the server answers on its own. */
typedef enum {
    HTTPD_500_INTERNAL_SERVER_ERROR = 0, /* unexpected internal error */
    HTTPD_501_METHOD_NOT_IMPLEMENTED,    /* unsupported method (not sent in practice:
                                            http_parser rejects unknown methods -> 400) */
    HTTPD_505_VERSION_NOT_SUPPORTED,     /* HTTP version other than 1.0 and 1.1 */
    HTTPD_400_BAD_REQUEST,               /* malformed request, unknown method, upgrade */
    HTTPD_401_UNAUTHORIZED,              /* for handlers: authentication required */
    HTTPD_403_FORBIDDEN,                 /* for handlers: access refused */
    HTTPD_404_NOT_FOUND,                 /* no handler for this URI */
    HTTPD_405_METHOD_NOT_ALLOWED,        /* URI has handlers, none for this method */
    HTTPD_408_REQ_TIMEOUT,               /* request stalled for recv_wait_timeout */
    HTTPD_411_LENGTH_REQUIRED,           /* for handlers: body without Content-Length */
    HTTPD_413_CONTENT_TOO_LARGE,         /* Content-Length above UINT32_MAX */
    HTTPD_414_URI_TOO_LONG,              /* request line longer than max_uri_len */
    HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE,  /* header section longer than max_req_hdr_len */
    HTTPD_ERR_CODE_MAX                   /* number of codes */
} httpd_err_code_t;

/* Custom handling of an error the server detected (instead of the default: send the
 * error response and close the connection). It must send a response itself if one is
 * wanted (httpd_resp_set_status() and httpd_resp_send()). req->uri, method, content_len
 * and user_ctx may not be set yet. Return ESP_OK to keep the connection open, anything else to close it; for
 * HTTPD_500_INTERNAL_SERVER_ERROR the connection is closed regardless. */
typedef esp_err_t (*httpd_err_handler_func_t)(httpd_req_t *req,
                                              httpd_err_code_t error);

/* Set (or with NULL, remove) the custom handler of one error code.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for a NULL handle or an invalid code. */
esp_err_t httpd_register_err_handler(httpd_handle_t handle,
                                     httpd_err_code_t error,
                                     httpd_err_handler_func_t handler_fn);

/* From a URI handler: handle `error` as the server would (custom error handler if one
 * is registered, else the default response). Returns ESP_OK when the connection may stay
 * open, ESP_FAIL when it must be closed (no custom handler, the handler failed, or
 * HTTPD_500_INTERNAL_SERVER_ERROR). */
esp_err_t httpd_req_handle_err(httpd_req_t *req, httpd_err_code_t error);

/* ============================================================================== TX/RX */

#define HTTPD_SOCK_ERR_FAIL      -1 /* unrecoverable socket error (connection reset, ...) */
#define HTTPD_SOCK_ERR_INVALID   -2 /* invalid arguments */
#define HTTPD_SOCK_ERR_TIMEOUT   -3 /* timed out (or interrupted): may be retried */

/* Session send function: send up to buf_len bytes; returns the count sent or an
 * HTTPD_SOCK_ERR_ code. */
typedef int (*httpd_send_func_t)(httpd_handle_t hd, int sockfd, const char *buf, size_t buf_len, int flags);

/* Session receive function: receive up to buf_len bytes; returns the count (0: the peer
 * closed the connection) or an HTTPD_SOCK_ERR_ code. */
typedef int (*httpd_recv_func_t)(httpd_handle_t hd, int sockfd, char *buf, size_t buf_len, int flags);

/* Session "pending" function: bytes buffered outside the socket (e.g. inside TLS) that
 * select() cannot see, or an HTTPD_SOCK_ERR_ code. */
typedef int (*httpd_pending_func_t)(httpd_handle_t hd, int sockfd);

/* ================================================================== Request / response */

/* Replace the receive / send / pending function of one session (from open_fn or a
 * handler). Returns ESP_OK, or ESP_ERR_INVALID_ARG when sockfd is not a session. */
esp_err_t httpd_sess_set_recv_override(httpd_handle_t hd, int sockfd, httpd_recv_func_t recv_func);

/* Declared from ESP-IDF 5.2 on, as in ESP-IDF. */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 0)
/* Copy the current request so another thread can finish it. The server stops watching
 * the session (it will not read from it nor purge it) until
 * httpd_req_async_handler_complete(*out) is called, which must happen on every path.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments; ESP_ERR_NO_MEM.
 * Releases differ (sota_host_idf.h): before 5.2.4 / 5.3.2 the server still drains the
 * original request's body itself after the handler returns, concurrently with the
 * copy; 5.2.0-5.2.3 share the response headers between the copy and the server. */
esp_err_t httpd_req_async_handler_begin(httpd_req_t *r, httpd_req_t **out);

/* Finish a request copied with httpd_req_async_handler_begin(): free the copy and hand
 * the session back to the server. Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL;
 * ESP_FAIL when the server could not be notified. Before 5.4.3 / 5.5.2 the server is
 * not woken: it watches the session again only once something else wakes it. */
esp_err_t httpd_req_async_handler_complete(httpd_req_t *r);
#endif

/* Socket of the request's session, or -1 for a NULL request. */
int httpd_req_to_sockfd(httpd_req_t *r);

/* Read up to buf_len bytes of the request body (never more than what remains of
 * content_len). Call repeatedly until content_len bytes are read.
 * Returns the number of bytes read (> 0);
 *   0 when buf_len is 0, the whole body has been read, or the client closed the
 *     connection before sending it all (compare the total with content_len);
 *   HTTPD_SOCK_ERR_TIMEOUT when no data came for recv_wait_timeout seconds (may retry);
 *   HTTPD_SOCK_ERR_FAIL on a socket error such as a reset connection;
 *   HTTPD_SOCK_ERR_INVALID for NULL arguments.
 * After an error the handler should return ESP_FAIL so the session is closed. Chunked
 * request bodies are not decoded (content_len is 0 for them, as on the device). */
int httpd_req_recv(httpd_req_t *r, char *buf, size_t buf_len);

/* Receive from session sockfd through its receive function (the one set with
 * httpd_sess_set_recv_override, else plain recv), whatever the request's Content-Length
 * says: bytes received, 0 when the peer closed, HTTPD_SOCK_ERR_* on an error;
 * HTTPD_SOCK_ERR_INVALID when sockfd is not a session. As in ESP-IDF (>= 4.0). */
int httpd_socket_recv(httpd_handle_t hd, int sockfd, char *buf, size_t buf_len, int flags);

/* Copy the value of request header `field` into val (NUL-terminated, at most
 * val_size - 1 characters). Returns ESP_OK; ESP_ERR_NOT_FOUND; ESP_ERR_INVALID_ARG for NULL
 * arguments; ESP_ERR_HTTPD_RESULT_TRUNC when the value was truncated (val then holds its
 * first val_size - 1 characters; nothing when val_size is 0). */
esp_err_t httpd_req_get_hdr_value_str(httpd_req_t *r, const char *field, char *val, size_t val_size);

/* Copy the query string into buf (NUL-terminated). Returns ESP_OK; ESP_ERR_NOT_FOUND
 * without a query; ESP_FAIL for an empty URI; ESP_ERR_INVALID_ARG for NULL arguments or
 * buf_len 0; ESP_ERR_HTTPD_RESULT_TRUNC when it did not fit (buf unchanged: ESP-IDF
 * v5.0 copied a truncated prefix, current versions copy nothing). */
esp_err_t httpd_req_get_url_query_str(httpd_req_t *r, char *buf, size_t buf_len);

/* Find key in a query string "k1=v1&k2=v2" (keys compared case-insensitively, nothing is
 * URL-decoded) and copy its value into val (NUL-terminated). Returns ESP_OK;
 * ESP_ERR_NOT_FOUND; ESP_ERR_INVALID_ARG for NULL arguments or val_size 0;
 * ESP_ERR_HTTPD_RESULT_TRUNC when the value is longer than val_size - 1 (val unchanged,
 * as in current ESP-IDF; v5.0 copied a truncated prefix). */
esp_err_t httpd_query_key_value(const char *qry, const char *key, char *val, size_t val_size);

/* Send a complete response: status line (httpd_resp_set_status(), default "200 OK"),
 * Content-Type (default text/html), Content-Length, the httpd_resp_set_hdr() headers,
 * then buf_len bytes of buf (HTTPD_RESP_USE_STRLEN: strlen(buf)). Request headers are no
 * longer available afterwards. Returns ESP_OK; ESP_ERR_INVALID_ARG for a NULL request;
 * ESP_ERR_HTTPD_RESP_HDR when the status line and fixed headers exceed max_req_hdr_len;
 * ESP_ERR_HTTPD_ALLOC_MEM; ESP_ERR_HTTPD_RESP_SEND when sending failed. */
esp_err_t httpd_resp_send(httpd_req_t *r, const char *buf, ssize_t buf_len);

/* httpd_resp_send() of a NUL-terminated string (NULL: empty body). */
static inline esp_err_t httpd_resp_sendstr(httpd_req_t *r, const char *str)
{
    return httpd_resp_send(r, str, (str == NULL) ? 0 : HTTPD_RESP_USE_STRLEN);
}

/* Common status strings for httpd_resp_set_status(). */
#define HTTPD_200      "200 OK"
#define HTTPD_204      "204 No Content"
#define HTTPD_207      "207 Multi-Status"
#define HTTPD_400      "400 Bad Request"
#define HTTPD_404      "404 Not Found"
#define HTTPD_408      "408 Request Timeout"
#define HTTPD_500      "500 Internal Server Error"

/* Set the status line text of the response ("413 Payload Too Large"; not copied).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments or a status containing CR/LF. */
esp_err_t httpd_resp_set_status(httpd_req_t *r, const char *status);

/* Common content types for httpd_resp_set_type(). */
#define HTTPD_TYPE_JSON   "application/json"
#define HTTPD_TYPE_TEXT   "text/html"
#define HTTPD_TYPE_OCTET  "application/octet-stream"

/* Set the Content-Type of the response (not copied).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments or a type containing CR/LF. */
esp_err_t httpd_resp_set_type(httpd_req_t *r, const char *type);

/* Add a response header (neither string is copied). Returns ESP_OK;
 * ESP_ERR_INVALID_ARG for NULL arguments or CR/LF in either string;
 * ESP_ERR_HTTPD_RESP_HDR when max_resp_headers headers are already set. */
esp_err_t httpd_resp_set_hdr(httpd_req_t *r, const char *field, const char *value);

/* Send raw bytes on the request's session (one send call: may send fewer). Returns the
 * count sent or an HTTPD_SOCK_ERR_ code. */
int httpd_send(httpd_req_t *r, const char *buf, size_t buf_len);

/* ============================================================================= Session */

/* Close session sockfd from any thread: the close is queued as work and happens in the
 * server thread (after the running handler, if it is this session's).
 * Returns ESP_OK; ESP_ERR_NOT_FOUND when sockfd is not a session; ESP_FAIL when the work
 * queue is full; ESP_ERR_INVALID_ARG for a NULL handle. */
esp_err_t httpd_sess_trigger_close(httpd_handle_t handle, int sockfd);

/* List the open session sockets. *fds: in, the capacity of client_fds; out, the count.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments, *fds 0, or more sessions than
 * fit. */
esp_err_t httpd_get_client_list(httpd_handle_t handle, size_t *fds, int *client_fds);

/* ========================================================================== Work queue */

/* Work to run in the server thread. */
typedef void (*httpd_work_fn_t)(void *arg);

/* Queue work(arg) to run in the server thread, between requests (never during a
 * handler). At most CONFIG_LWIP_UDP_RECVMBOX_SIZE items wait at a time, as on the device.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL arguments; ESP_FAIL when the queue is full
 * or the server is stopping (the work will not run: release what arg owns). */
esp_err_t httpd_queue_work(httpd_handle_t handle, httpd_work_fn_t work, void *arg);

/* ======================================================================== Raw request */

#ifdef __cplusplus
}
#endif

#endif /* _ESP_HTTP_SERVER_H_ */
