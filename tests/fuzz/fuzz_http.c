/* libFuzzer target: the host HTTP server's request path (host/idf httpd_*.c behind
 * esp_http_server.h), driven through a real server on 127.0.0.1.
 *
 * The server has no entry for raw bytes without a socket, so each input is one loopback
 * connection: the bytes are sent as they are (any number of requests, or garbage), the
 * client half-closes, and everything the server answers is read until it closes the
 * connection. The server must close it within CLIENT_TIMEOUT_S (no hang) and must still
 * answer GET /health with 200 afterwards (no wedged state). Inside the handlers, the
 * request API the product uses is checked against its contract (header values found in
 * any case of the name and never longer than the header limit, query strings that are
 * the URI's and never longer than it, truncation codes, body length vs Content-Length),
 * and POST /update bodies go through the multipart parser the way the device's update
 * handler reads them.
 *
 * URIs are matched exactly, as the product's server does (no uri_match_fn). Handlers:
 * GET /health; GET / (headers, query; a reply with extra headers); POST /update (body,
 * multipart when the Content-Type says so); PUT /echo (echoes up to 2 KiB of the body);
 * a custom 404 handler that makes the same checks for any other URI and keeps the
 * connection open, answering with httpd_resp_send or, for URIs of odd length, with a
 * head it writes itself through httpd_send (as the product's HEAD / does). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "esp_http_server.h"
#include "esp_log.h"
#include "fuzz_util.h"
#include "sota_host_httpd.h"
#include "sota_multipart.h"

#define CLIENT_TIMEOUT_S 5

static httpd_handle_t s_server;
static uint16_t s_port;

/* --- esp_log for the server: format every message (ASan/UBSan see bad arguments), print
 * nothing unless FUZZ_HTTP_LOG is set. Replaces host/idf/esp_log.c in this target. */
static bool s_log_print;

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    (void)tag;
    (void)level;
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    if (s_log_print) {
        fprintf(stderr, "%d %s: %s\n", (int)level, tag, line);
    }
}

/* --- handlers ------------------------------------------------------------------------ */

/* The header section is at most max_req_hdr_len bytes and the request target at most
 * the URI buffer: a value or query copied into these always fits. (One server thread:
 * static is safe.) */
static char s_val[CONFIG_HTTPD_MAX_REQ_HDR_LEN + 1], s_again[CONFIG_HTTPD_MAX_REQ_HDR_LEN + 1];
static char s_query[CONFIG_HTTPD_MAX_URI_LEN + 1], s_short[CONFIG_HTTPD_MAX_URI_LEN + 1];

/* `field` and `other_case` are the same name in two cases. */
static void check_header(httpd_req_t *r, const char *field, const char *other_case)
{
    esp_err_t e = httpd_req_get_hdr_value_str(r, field, s_val, sizeof s_val);
    FUZZ_CHECK(e == ESP_OK || e == ESP_ERR_NOT_FOUND, "header %s: %s with room for %zu bytes",
               field, esp_err_to_name(e), sizeof s_val - 1);
    esp_err_t o = httpd_req_get_hdr_value_str(r, other_case, s_again, sizeof s_again);
    FUZZ_CHECK(o == e && (e != ESP_OK || strcmp(s_again, s_val) == 0),
               "header %s: %s as %s, %s as %s", field, esp_err_to_name(e), field,
               esp_err_to_name(o), other_case);
    /* no room at all: the header is there or not */
    esp_err_t z = httpd_req_get_hdr_value_str(r, field, NULL, 0);
    FUZZ_CHECK(z == (e == ESP_OK ? ESP_ERR_HTTPD_RESULT_TRUNC : ESP_ERR_NOT_FOUND),
               "header %s: %s without room, %s with it", field, esp_err_to_name(z),
               esp_err_to_name(e));
    size_t len = strlen(s_val);
    if (e == ESP_OK && len > 0) {
        FUZZ_CHECK(httpd_req_get_hdr_value_str(r, field, s_again, len) == ESP_ERR_HTTPD_RESULT_TRUNC,
                   "header %s: no truncation reported", field);
        FUZZ_CHECK(strlen(s_again) == len - 1 && memcmp(s_again, s_val, len - 1) == 0,
                   "header %s: truncated copy of %zu, wanted the first %zu bytes", field,
                   strlen(s_again), len - 1);
    }
}

static void check_query(httpd_req_t *r)
{
    esp_err_t e = httpd_req_get_url_query_str(r, s_query, sizeof s_query);
    FUZZ_CHECK(e == ESP_OK || e == ESP_ERR_NOT_FOUND || (e == ESP_FAIL && r->uri[0] == '\0'),
               "query: %s for uri '%.40s'", esp_err_to_name(e), r->uri);
    if (e != ESP_OK) {
        return;
    }
    /* the query is what follows a '?' of the URI, without the fragment */
    size_t len = strlen(s_query);
    const char *at = strstr(r->uri, s_query);
    while (at != NULL && (at == r->uri || at[-1] != '?')) {
        at = strstr(at + 1, s_query);
    }
    FUZZ_CHECK(at != NULL && strchr(s_query, '#') == NULL, "query '%.40s' is not the uri's '%.40s'",
               s_query, r->uri);
    if (len > 0) {
        s_short[0] = 'Z';
        FUZZ_CHECK(httpd_req_get_url_query_str(r, s_short, len) == ESP_ERR_HTTPD_RESULT_TRUNC &&
                   s_short[0] == 'Z', "query: no truncation reported, or the buffer written");
    }
    char val[8];
    static const char *const keys[] = { "a", "file", "" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        esp_err_t k = httpd_query_key_value(s_query, keys[i], val, sizeof val);
        FUZZ_CHECK(k == ESP_OK || k == ESP_ERR_NOT_FOUND || k == ESP_ERR_HTTPD_RESULT_TRUNC,
                   "query key: %s", esp_err_to_name(k));
        if (k == ESP_OK) {
            FUZZ_CHECK(strlen(val) < sizeof val, "query value overflow");
        }
    }
}

static void check_request(httpd_req_t *r)
{
    FUZZ_CHECK(memchr(r->uri, '\0', sizeof r->uri) != NULL, "uri not terminated");
    check_header(r, "Host", "hOST");
    check_header(r, "Content-Type", "content-type");
    check_header(r, "Cookie", "COOKIE");
    check_header(r, "X-A", "x-a");
    check_query(r);
}

static esp_err_t h_health(httpd_req_t *r)
{
    httpd_resp_set_type(r, "text/plain");
    return httpd_resp_sendstr(r, "ok");
}

static esp_err_t h_get(httpd_req_t *r)
{
    check_request(r);
    httpd_resp_set_hdr(r, "X-Fuzz", "1");
    httpd_resp_set_hdr(r, "Cache-Control", "no-store");
    return httpd_resp_send(r, "<p>hello</p>", HTTPD_RESP_USE_STRLEN);
}

/* A 400 with a text message, the way the product's handlers refuse a request. */
static esp_err_t send_400(httpd_req_t *r, const char *msg)
{
    httpd_resp_set_status(r, HTTPD_400);
    httpd_resp_set_type(r, "text/plain");
    return httpd_resp_sendstr(r, msg);
}

typedef struct {
    size_t bytes;
    unsigned parts;
} mp_count_t;

static int mp_begin(void *ctx, const sota_mp_part_t *part)
{
    (void)part;
    ((mp_count_t *)ctx)->parts++;
    return 0;
}

static int mp_data(void *ctx, const uint8_t *data, size_t n)
{
    (void)data;
    ((mp_count_t *)ctx)->bytes += n;
    return 0;
}

/* Read the whole body as the update handler does; 0 ok, -1 the connection must close. */
static int read_body(httpd_req_t *r, sota_mp_t *mp, const sota_mp_callbacks_t *cb,
                     char *echo, size_t echo_cap, size_t *echo_len)
{
    char buf[700];
    size_t got = 0;
    int timeouts = 0;
    while (got < r->content_len) {
        int n = httpd_req_recv(r, buf, sizeof buf);
        if (n == HTTPD_SOCK_ERR_TIMEOUT && ++timeouts < 3) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;   /* the client closed early */
        }
        FUZZ_CHECK((size_t)n <= sizeof buf && got + (size_t)n <= r->content_len,
                   "recv gave %d bytes, %zu of %zu read", n, got, r->content_len);
        if (mp) {
            sota_mp_feed(mp, buf, (size_t)n, cb);
        }
        if (echo && *echo_len < echo_cap) {
            size_t k = echo_cap - *echo_len < (size_t)n ? echo_cap - *echo_len : (size_t)n;
            memcpy(echo + *echo_len, buf, k);
            *echo_len += k;
        }
        got += (size_t)n;
    }
    return got == r->content_len ? 0 : -1;
}

static esp_err_t h_update(httpd_req_t *r)
{
    char ct[128];
    char boundary[SOTA_MP_BOUNDARY_MAX + 1];
    bool multipart = httpd_req_get_hdr_value_str(r, "Content-Type", ct, sizeof ct) == ESP_OK &&
                     sota_mp_boundary(ct, boundary, sizeof boundary) == SOTA_MP_OK;
    static sota_mp_t mp;
    mp_count_t count = { 0, 0 };
    const sota_mp_callbacks_t cb = { mp_begin, mp_data, NULL, &count };
    if (multipart) {
        FUZZ_CHECK(sota_mp_init(&mp, boundary) == SOTA_MP_OK, "boundary '%s' refused by init",
                   boundary);
    }
    if (read_body(r, multipart ? &mp : NULL, &cb, NULL, 0, NULL) != 0) {
        send_400(r, "body cut off");
        return ESP_FAIL;
    }
    char msg[160];
    if (multipart) {
        sota_mp_err_t e = sota_mp_finish(&mp);
        if (e != SOTA_MP_OK) {
            return send_400(r, sota_mp_strerror(e));
        }
        snprintf(msg, sizeof msg, "{\"parts\":%u,\"bytes\":%zu}", count.parts, count.bytes);
    } else {
        snprintf(msg, sizeof msg, "{\"bytes\":%zu}", r->content_len);
    }
    httpd_resp_set_type(r, "application/json");
    return httpd_resp_sendstr(r, msg);
}

static esp_err_t h_echo(httpd_req_t *r)
{
    static char echo[2048];
    size_t len = 0;
    if (read_body(r, NULL, NULL, echo, sizeof echo, &len) != 0) {
        return ESP_FAIL;
    }
    httpd_resp_set_type(r, "application/octet-stream");
    return httpd_resp_send(r, echo, (ssize_t)len);
}

static esp_err_t h_404(httpd_req_t *r, httpd_err_code_t err)
{
    (void)err;
    check_request(r);
    if (strlen(r->uri) % 2 == 0) {
        httpd_resp_set_status(r, HTTPD_404);
        httpd_resp_set_type(r, "text/plain");
        return httpd_resp_sendstr(r, "no such page");
    }
    static const char head[] = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 0\r\nCache-Control: no-store\r\n\r\n";
    for (size_t sent = 0; sent < sizeof head - 1;) {
        int k = httpd_send(r, head + sent, sizeof head - 1 - sent);
        FUZZ_CHECK(k <= (int)(sizeof head - 1 - sent), "httpd_send sent %d of %zu bytes", k,
                   sizeof head - 1 - sent);
        if (k <= 0) {
            return ESP_FAIL;
        }
        sent += (size_t)k;
    }
    return ESP_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s_log_print = getenv("FUZZ_HTTP_LOG") != NULL;
    httpd_config_t c = HTTPD_DEFAULT_CONFIG();
    c.server_port = 0;                   /* ephemeral */
    c.max_open_sockets = 4;
    c.lru_purge_enable = true;
    c.recv_wait_timeout = 2;
    c.send_wait_timeout = 2;
    if (httpd_start(&s_server, &c) != ESP_OK) {
        fprintf(stderr, "fuzz_http: the server did not start\n");
        abort();
    }
    s_port = httpd_host_port(s_server);
    static const httpd_uri_t uris[] = {
        { .uri = "/health", .method = HTTP_GET, .handler = h_health },
        { .uri = "/update", .method = HTTP_POST, .handler = h_update },
        { .uri = "/echo", .method = HTTP_PUT, .handler = h_echo },
        { .uri = "/", .method = HTTP_GET, .handler = h_get },
    };
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        if (httpd_register_uri_handler(s_server, &uris[i]) != ESP_OK) {
            abort();
        }
    }
    httpd_register_err_handler(s_server, HTTPD_404_NOT_FOUND, h_404);
    return 0;
}

/* --- the client ------------------------------------------------------------------------ */

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
    struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(s_port),
                             .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
    int rc;
    do {
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    } while (rc < 0 && errno == EINTR);
    FUZZ_CHECK(rc == 0, "connect to 127.0.0.1:%u: %s", (unsigned)s_port, strerror(errno));
    return fd;
}

/* Send everything, half-close, read until the server closes. Returns the bytes read
 * (the first cap of them in out). Traps when the server neither answers nor closes. */
static size_t exchange(const uint8_t *data, size_t size, char *out, size_t cap)
{
    int fd = connect_server();
    size_t off = 0;
    while (off < size) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        FUZZ_CHECK(n >= 0 || errno != EAGAIN, "the server stopped reading for %d s",
                   CLIENT_TIMEOUT_S);
        if (n <= 0) {
            break;   /* closed or reset by the server: fine */
        }
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t total = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        FUZZ_CHECK(n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK),
                   "the server kept the connection open for %d s after the client finished",
                   CLIENT_TIMEOUT_S);
        if (n <= 0) {
            break;
        }
        if (total < cap) {
            size_t k = cap - total < (size_t)n ? cap - total : (size_t)n;
            memcpy(out + total, buf, k);
        }
        total += (size_t)n;
    }
    close(fd);
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char reply[64];
    exchange(data, size, reply, sizeof reply);

    static const char probe[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    memset(reply, 0, sizeof reply);
    size_t n = exchange((const uint8_t *)probe, sizeof probe - 1, reply, sizeof reply - 1);
    FUZZ_CHECK(n >= 12 && strncmp(reply, "HTTP/1.1 200", 12) == 0,
               "the server no longer serves GET /health after this input: '%.40s'", reply);
    return 0;
}
