/* Host esp_http_server: receiving and parsing one request, the way ESP-IDF's
 * httpd_parse.c does it, and the request accessors (headers, query).
 *
 * The request is read in blocks of at most HTTPD_BLOCK_SIZE bytes into a scratch buffer
 * and fed to http_parser:
 *  1. Request line: the scratch may fill up to max_uri_len bytes. If it is full before
 *     the first header (or the end of the headers) is seen: 414. So the whole request
 *     line plus one byte must fit in max_uri_len, and the URI itself in
 *     CONFIG_HTTPD_MAX_URI_LEN.
 *  2. At the first header the parser is paused, the bytes from that header on are pushed
 *     back into the session's pending buffer and re-read from the start of the scratch,
 *     which may now fill up to max_req_hdr_len bytes: the header section (from the first
 *     header field to the blank line) must fit, else 431.
 *  3. At the first body byte (or the end of a body-less message) parsing stops; the rest
 *     of the block is pushed back, and httpd_req_recv() reads the body raw, counting
 *     content_len down. Chunked bodies are not decoded: content_len is 0 and whatever
 *     follows the first chunk-size line is left to be parsed as the next request. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_log.h"
#include "httpd_priv.h"

static const char *TAG = "httpd_parse";

typedef enum {
    ST_IDLE = 0,  /* nothing seen yet */
    ST_URL,       /* in the request line */
    ST_HDR_FIELD, /* in a header name */
    ST_HDR_VALUE, /* in a header value */
    ST_BODY,      /* headers done, waiting for the first body byte or the message end */
    ST_COMPLETE,  /* ready for the handler */
    ST_FAILED,    /* `error` says what to answer */
} parse_state_t;

typedef struct {
    http_parser parser;
    http_parser_settings settings;
    httpd_req_t *req;
    struct httpd_req_aux *ra;
    parse_state_t state;
    httpd_err_code_t error;
    size_t url_off;      /* request target position in the scratch (request-line phase) */
    size_t url_len;
    size_t msg_end;      /* where the message ends for a body-less request (scratch offset) */
    size_t last_end;     /* scratch offset just after the latest header name/value bytes */
    size_t raw_len;      /* valid bytes in the scratch */
    size_t limit;        /* scratch size allowed in the current phase */
    bool paused;
    size_t pre_parsed;   /* pushed-back bytes the parser has already consumed */
} parse_t;

static int fail(parse_t *ps, httpd_err_code_t error)
{
    ps->error = error;
    ps->state = ST_FAILED;
    return -1;
}

static size_t scratch_off(const parse_t *ps, const char *at)
{
    return (size_t)(at - ps->ra->scratch);
}

/* Append bytes to the stored header list; the list can't outgrow the raw section, the
 * check only guards against a parser surprise. */
static bool hdrs_append(struct httpd_req_aux *ra, const char *data, size_t len)
{
    if (ra->hdrs_len + len > ra->hdrs_cap) {
        return false;
    }
    memcpy(ra->hdrs + ra->hdrs_len, data, len);
    ra->hdrs_len += len;
    return true;
}

/* Stop the parser at scratch offset `off`: push the bytes from there back so the next
 * read sees them again. Fails when they don't fit in the session's pending buffer. */
static int pause_at(parse_t *ps, size_t off)
{
    if (off > ps->raw_len) {
        ESP_LOGE(TAG, "parse position beyond the received data");
        return -1;
    }
    size_t unparsed = ps->raw_len - off;
    if (unparsed && httpd_unrecv(ps->req, ps->ra->scratch + off, unparsed) != unparsed) {
        ESP_LOGE(TAG, "%zu bytes are too many to push back", unparsed);
        return -1;
    }
    ps->pre_parsed = unparsed;
    http_parser_pause(&ps->parser, 1);
    ps->paused = true;
    return 0;
}

/* The request line is complete: check method, URI length, version and URI syntax, and
 * copy the URI into the request. */
static int verify_request_line(parse_t *ps)
{
    httpd_req_t *r = ps->req;
    struct httpd_req_aux *ra = ps->ra;
    r->method = (int)ps->parser.method;
    if (r->method < 0) {
        ESP_LOGW(TAG, "HTTP method not supported (%d)", r->method);
        return fail(ps, HTTPD_501_METHOD_NOT_IMPLEMENTED);
    }
    if (ps->url_len + 1 > sizeof r->uri) {
        ESP_LOGW(TAG, "URI length %zu is more than CONFIG_HTTPD_MAX_URI_LEN (%d)", ps->url_len,
                 CONFIG_HTTPD_MAX_URI_LEN);
        return fail(ps, HTTPD_414_URI_TOO_LONG);
    }
    memcpy((char *)r->uri, ra->scratch + ps->url_off, ps->url_len);
    ((char *)r->uri)[ps->url_len] = '\0';

    /* ESP-IDF refuses only a version whose major and minor are both other than 1: 0.9
     * and 2.0 get 505, while 1.x and x.1 (2.1, 0.1) are served as HTTP/1.1. */
    if (ps->parser.http_major != 1 && ps->parser.http_minor != 1) {
        ESP_LOGW(TAG, "HTTP version %u.%u not supported", ps->parser.http_major,
                 ps->parser.http_minor);
        return fail(ps, HTTPD_505_VERSION_NOT_SUPPORTED);
    }
    http_parser_url_init(&ra->url_parse_res);
    if (http_parser_parse_url(r->uri, ps->url_len, r->method == HTTP_CONNECT, &ra->url_parse_res)) {
        ESP_LOGW(TAG, "malformed URI: %s", r->uri);
        return fail(ps, HTTPD_400_BAD_REQUEST);
    }
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    parse_t *ps = p->data;
    if (ps->state == ST_IDLE) {
        ps->url_off = scratch_off(ps, at);
        ps->url_len = 0;
        ps->msg_end = ps->url_off;
        ps->state = ST_URL;
    } else if (ps->state != ST_URL) {
        ESP_LOGE(TAG, "unexpected URI data");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    ps->url_len += len;
    if (ps->url_len > ps->ra->max_uri_len) {
        ESP_LOGW(TAG, "URI longer than max_uri_len (%zu)", ps->ra->max_uri_len);
        return fail(ps, HTTPD_414_URI_TOO_LONG);
    }
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    parse_t *ps = p->data;
    struct httpd_req_aux *ra = ps->ra;
    if (ps->state == ST_URL) {
        if (verify_request_line(ps) != 0) {
            return -1;
        }
        /* Header phase: its bytes are re-read from the start of the scratch, which may
         * now hold max_req_hdr_len bytes. */
        if (pause_at(ps, scratch_off(ps, at)) != 0) {
            return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
        }
        ra->hdrs_len = 0;
        ra->req_hdrs_count = 0;
        ps->state = ST_HDR_FIELD;
        ps->limit = ra->max_req_hdr_len;
        ps->last_end = len;
    } else if (ps->state == ST_HDR_VALUE) {
        /* A new header: close the previous one. */
        if (!hdrs_append(ra, "", 1)) {
            return fail(ps, HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE);
        }
        ra->req_hdrs_count++;
        ps->state = ST_HDR_FIELD;
        ps->last_end = scratch_off(ps, at) + len;
    } else if (ps->state == ST_HDR_FIELD) {
        ps->last_end = scratch_off(ps, at) + len;
    } else {
        ESP_LOGE(TAG, "unexpected header name data");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    if (!hdrs_append(ra, at, len)) {
        return fail(ps, HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE);
    }
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    parse_t *ps = p->data;
    if (ps->state == ST_HDR_FIELD) {
        if (!hdrs_append(ps->ra, "", 1)) {
            return fail(ps, HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE);
        }
        ps->state = ST_HDR_VALUE;
    } else if (ps->state != ST_HDR_VALUE) {
        ESP_LOGE(TAG, "unexpected header value data");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    /* An empty value is reported with `at` past its line end: keep last_end at the
     * name then. */
    if (len > 0) {
        ps->last_end = scratch_off(ps, at) + len;
    }
    if (!hdrs_append(ps->ra, at, len)) {
        return fail(ps, HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE);
    }
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    parse_t *ps = p->data;
    httpd_req_t *r = ps->req;
    struct httpd_req_aux *ra = ps->ra;

    if (ps->state == ST_URL) {
        /* A request without headers. */
        if (verify_request_line(ps) != 0) {
            return -1;
        }
    } else if (ps->state == ST_HDR_VALUE || ps->state == ST_HDR_FIELD) {
        if ((ps->state == ST_HDR_FIELD && !hdrs_append(ra, "", 1)) || !hdrs_append(ra, "", 1)) {
            return fail(ps, HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE);
        }
        ra->req_hdrs_count++;
        /* The header section ends after the next two line feeds. */
        size_t pos = ps->last_end;
        int lf_left = 2;
        while (pos < ps->raw_len && lf_left > 0) {
            if (ra->scratch[pos++] == '\n') {
                lf_left--;
            }
        }
        if (lf_left > 0) {
            ESP_LOGE(TAG, "header section not terminated");
            return fail(ps, HTTPD_400_BAD_REQUEST);
        }
        ps->msg_end = pos;
    } else {
        ESP_LOGE(TAG, "unexpected end of headers");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }

    /* http_parser leaves content_length at ULLONG_MAX without a Content-Length. */
    if (p->content_length != ULLONG_MAX) {
        if (p->content_length > UINT32_MAX) {
            ESP_LOGW(TAG, "Content-Length %llu is too large", (unsigned long long)p->content_length);
            return fail(ps, HTTPD_413_CONTENT_TOO_LARGE);
        }
        r->content_len = (size_t)p->content_length;
    } else {
        r->content_len = 0;
    }
    if (p->upgrade) {
        ESP_LOGD(TAG, "upgrade request refused: WebSocket support is not built");
        return fail(ps, HTTPD_400_BAD_REQUEST);
    }
    ps->state = ST_BODY;
    ra->remaining_len = r->content_len;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    (void)len;
    parse_t *ps = p->data;
    if (ps->state != ST_BODY) {
        ESP_LOGE(TAG, "unexpected body data");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    /* Leave the body to httpd_req_recv(). */
    if (pause_at(ps, scratch_off(ps, at)) != 0) {
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    ps->state = ST_COMPLETE;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    parse_t *ps = p->data;
    if (ps->state == ST_URL) {
        if (verify_request_line(ps) != 0) {
            return -1;
        }
    } else if (ps->state != ST_BODY) {
        ESP_LOGE(TAG, "unexpected message end");
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    /* Whatever follows (a pipelined request) is kept for the next turn. */
    if (pause_at(ps, ps->msg_end) != 0) {
        return fail(ps, HTTPD_500_INTERNAL_SERVER_ERROR);
    }
    ps->state = ST_COMPLETE;
    return 0;
}

/* The error to answer when the scratch is full and the request is not complete. */
static httpd_err_code_t full_scratch_error(parse_state_t state)
{
    switch (state) {
    case ST_URL:
        ESP_LOGW(TAG, "request line too long");
        return HTTPD_414_URI_TOO_LONG;
    case ST_HDR_FIELD:
    case ST_HDR_VALUE:
        ESP_LOGW(TAG, "request header section too long");
        return HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE;
    default:
        ESP_LOGE(TAG, "request buffer full in an unexpected state");
        return HTTPD_500_INTERNAL_SERVER_ERROR;
    }
}

/* Receive and parse the request head, then run its handler. Returns the handler's
 * result, or on a parse error the result of handling that error (ESP_FAIL: close the
 * session). */
static esp_err_t parse_request(struct httpd_data *hd)
{
    httpd_req_t *r = &hd->req;
    struct httpd_req_aux *ra = &hd->aux;
    parse_t ps;
    memset(&ps, 0, sizeof ps);
    ps.req = r;
    ps.ra = ra;
    http_parser_init(&ps.parser, HTTP_REQUEST);
    ps.parser.data = &ps;
    http_parser_settings_init(&ps.settings);
    ps.settings.on_url = on_url;
    ps.settings.on_header_field = on_header_field;
    ps.settings.on_header_value = on_header_value;
    ps.settings.on_headers_complete = on_headers_complete;
    ps.settings.on_body = on_body;
    ps.settings.on_message_complete = on_message_complete;

    ps.limit = ra->max_uri_len;
    size_t off = 0;
    while (ps.state != ST_COMPLETE) {
        size_t room = ps.limit > off ? ps.limit - off : 0;
        size_t want = room < HTTPD_BLOCK_SIZE ? room : HTTPD_BLOCK_SIZE;
        if (want == 0) {
            return httpd_req_handle_err(r, full_scratch_error(ps.state));
        }
        int n = httpd_recv_with_opt(r, ra->scratch + off, want, HTTPD_RECV_OPT_HALT_AFTER_PENDING);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            /* The error handler may ask to keep waiting (ESP_OK). */
            if (httpd_req_handle_err(r, HTTPD_408_REQ_TIMEOUT) == ESP_OK) {
                continue;
            }
            return ESP_FAIL;
        }
        if (n <= 0) {
            /* Closed by the client or a socket error: nobody to answer. */
            return ESP_FAIL;
        }
        ps.raw_len = off + (size_t)n;
        ra->scratch_len = ps.raw_len;

        size_t start = off;
        size_t len = (size_t)n;
        if (ps.paused) {
            /* Skip what the parser consumed before it paused. */
            size_t skip = len < ps.pre_parsed ? len : ps.pre_parsed;
            ps.pre_parsed -= skip;
            http_parser_pause(&ps.parser, 0);
            ps.paused = false;
            start += skip;
            len -= skip;
            if (len == 0) {
                off = start;
                continue;
            }
        }
        size_t parsed = http_parser_execute(&ps.parser, &ps.settings, ra->scratch + start, len);
        if (ps.state == ST_FAILED) {
            return httpd_req_handle_err(r, ps.error);
        }
        if (ps.paused) {
            /* What the parser did not consume of the pushed-back bytes is parsed again. */
            ps.pre_parsed -= len - parsed;
            off = 0;
            continue;
        }
        if (parsed != len || HTTP_PARSER_ERRNO(&ps.parser) != HPE_OK) {
            ESP_LOGW(TAG, "malformed request: %s",
                     http_errno_description(HTTP_PARSER_ERRNO(&ps.parser)));
            return httpd_req_handle_err(r, HTTPD_400_BAD_REQUEST);
        }
        off = start + parsed;
    }
    return httpd_uri_dispatch(hd);
}

/* Settle the session context and release the request. */
static void req_cleanup(struct httpd_data *hd)
{
    httpd_req_t *r = &hd->req;
    struct httpd_req_aux *ra = &hd->aux;
    struct httpd_sess *sd = ra->sd;
    if (!r->ignore_sess_ctx_changes && sd->ctx != r->sess_ctx) {
        httpd_sess_free_ctx(&sd->ctx, sd->free_ctx);
    }
    sd->ctx = r->sess_ctx;
    sd->free_ctx = r->free_ctx;
    sd->ignore_sess_ctx_changes = r->ignore_sess_ctx_changes;

    ra->sd = NULL;
    ra->scratch_len = 0;
    ra->hdrs_len = 0;
    ra->req_hdrs_count = 0;
    r->handle = NULL;
    r->aux = NULL;
    r->user_ctx = NULL;
}

esp_err_t httpd_req_new(struct httpd_data *hd, struct httpd_sess *sd)
{
    httpd_req_t *r = &hd->req;
    struct httpd_req_aux *ra = &hd->aux;

    r->handle = hd;
    r->method = 0;
    memset((char *)r->uri, 0, sizeof r->uri);
    r->content_len = 0;
    r->aux = ra;
    r->user_ctx = NULL;
    r->sess_ctx = sd->ctx;
    r->free_ctx = sd->free_ctx;
    r->ignore_sess_ctx_changes = sd->ignore_sess_ctx_changes;

    ra->sd = sd;
    ra->scratch_len = 0;
    ra->remaining_len = 0;
    ra->status = HTTPD_200;
    ra->content_type = HTTPD_TYPE_TEXT;
    ra->hdrs_len = 0;
    ra->req_hdrs_count = 0;
    ra->resp_hdrs_count = 0;
    memset(&ra->url_parse_res, 0, sizeof ra->url_parse_res);

    esp_err_t ret = parse_request(hd);
    if (ret != ESP_OK) {
        req_cleanup(hd);
    }
    return ret;
}

esp_err_t httpd_req_delete(struct httpd_data *hd)
{
    httpd_req_t *r = &hd->req;
    struct httpd_req_aux *ra = &hd->aux;
    /* Read and drop the body the handler left, so the next request starts clean. */
    while (ra->remaining_len > 0) {
        char sink[CONFIG_HTTPD_PURGE_BUF_LEN];
        size_t want = ra->remaining_len < sizeof sink ? ra->remaining_len : sizeof sink;
        int n = httpd_req_recv(r, sink, want);
        if (n <= 0) {
            req_cleanup(hd);
            return ESP_FAIL;
        }
    }
    req_cleanup(hd);
    return ESP_OK;
}

/* ------------------------------------------------------------------ accessors */

/* Value of the first request header named `field` (any case), or NULL. */
static const char *find_hdr(httpd_req_t *r, const char *field)
{
    struct httpd_req_aux *ra = r->aux;
    const char *p = ra->hdrs;
    for (unsigned i = 0; i < ra->req_hdrs_count; i++) {
        const char *value = p + strlen(p) + 1;
        if (strcasecmp(p, field) == 0) {
            return value;
        }
        p = value + strlen(value) + 1;
    }
    return NULL;
}

esp_err_t httpd_req_get_hdr_value_str(httpd_req_t *r, const char *field, char *val, size_t val_size)
{
    if (r == NULL || field == NULL || r->aux == NULL || (val == NULL && val_size > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    const char *v = find_hdr(r, field);
    if (v == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    size_t len = strlen(v);
    if (val_size > 0) {
        size_t n = len < val_size ? len : val_size - 1;
        memcpy(val, v, n);
        val[n] = '\0';
    }
    return len < val_size ? ESP_OK : ESP_ERR_HTTPD_RESULT_TRUNC;
}

static esp_err_t httpd_req_get_url_query_str_ptr(httpd_req_t *r, const char **buf, size_t *buf_len)
{
    if (r == NULL || buf == NULL || buf_len == NULL || r->aux == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (r->uri[0] == '\0') {
        return ESP_FAIL;
    }
    const struct http_parser_url *u = &((struct httpd_req_aux *)r->aux)->url_parse_res;
    if (!(u->field_set & (1 << UF_QUERY))) {
        return ESP_ERR_NOT_FOUND;
    }
    *buf = r->uri + u->field_data[UF_QUERY].off;
    *buf_len = u->field_data[UF_QUERY].len;
    return ESP_OK;
}

esp_err_t httpd_req_get_url_query_str(httpd_req_t *r, char *buf, size_t buf_len)
{
    if (r == NULL || buf == NULL || buf_len == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    const char *q;
    size_t len;
    esp_err_t ret = httpd_req_get_url_query_str_ptr(r, &q, &len);
    if (ret != ESP_OK) {
        return ret;
    }
    if (len > buf_len - 1) {
        return ESP_ERR_HTTPD_RESULT_TRUNC;
    }
    memcpy(buf, q, len);
    buf[len] = '\0';
    return ESP_OK;
}

esp_err_t httpd_query_key_value(const char *qry, const char *key, char *val, size_t val_size)
{
    if (qry == NULL || key == NULL || val == NULL || val_size == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    size_t key_len = strlen(key);
    const char *p = qry;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (eq == NULL) {
            break;
        }
        /* The name is what precedes '='; a pair without '=' is skipped together with the
         * next one, as ESP-IDF does. */
        if ((size_t)(eq - p) != key_len || strncasecmp(p, key, key_len) != 0) {
            const char *amp = strchr(eq, '&');
            if (amp == NULL) {
                break;
            }
            p = amp + 1;
            continue;
        }
        const char *v = eq + 1;
        const char *end = strchr(v, '&');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        if (len > val_size - 1) {
            return ESP_ERR_HTTPD_RESULT_TRUNC;
        }
        memcpy(val, v, len);
        val[len] = '\0';
        return ESP_OK;
    }
    return ESP_ERR_NOT_FOUND;
}
