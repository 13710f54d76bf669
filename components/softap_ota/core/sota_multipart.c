/* Streaming multipart/form-data parser. See sota_multipart.h for what is accepted.
 *
 * The body is scanned for the delimiter "\r\n--boundary". To let a body start directly
 * with "--boundary", the scan begins as if "\r\n" had already matched (the "virtual"
 * CRLF). Since the boundary cannot contain CR or LF, the only place a new delimiter can
 * start inside a failed partial match is the byte that broke it, so a failed match just
 * releases the matched prefix (which are the delimiter's own bytes) and looks at that
 * byte again. */
#include "sota_multipart.h"

#include <string.h>

_Static_assert(SOTA_MP_HEADER_MAX == 512, "update the message of SOTA_MP_ERR_HEADER_TOO_LONG");
_Static_assert(SOTA_MP_HEADER_MAX <= UINT16_MAX, "hdr_len is 16 bits");
_Static_assert(4 + SOTA_MP_BOUNDARY_MAX <= UINT8_MAX, "dlen and match are 8 bits");

enum {
    ST_SCAN,        /* preamble (!in_part) or part data (in_part): look for the delimiter */
    ST_DELIM,       /* the whole delimiter matched: need "\r\n" or "--" */
    ST_DELIM_CR,    /* delimiter + '\r' */
    ST_DELIM_DASH,  /* delimiter + '-' */
    ST_HDR_START,   /* at the start of a header line */
    ST_HDR_LINE,    /* inside a header line */
    ST_HDR_CR,      /* a header line's '\r' */
    ST_HDR_END_CR,  /* the '\r' of the empty line that ends the header block */
    ST_EPILOGUE,    /* after the close delimiter */
    ST_ERROR,
};

static const char *const s_messages[SOTA_MP_ERR__COUNT] = {
    [SOTA_MP_OK] = "ok",
    [SOTA_MP_ERR_ARG] = "internal error: invalid argument to the multipart parser",
    [SOTA_MP_ERR_NOT_FORM_DATA] =
        "the upload is not multipart/form-data: send the file as a form field "
        "(curl -F file=@app.bin) or as the raw body (curl --data-binary @app.bin)",
    [SOTA_MP_ERR_CONTENT_TYPE] =
        "the Content-Type header of the upload is malformed (bad parameter or unterminated "
        "quote): it should read multipart/form-data; boundary=...",
    [SOTA_MP_ERR_NO_BOUNDARY] =
        "the Content-Type multipart/form-data has no boundary parameter: the client must "
        "send one (browsers and curl -F do)",
    [SOTA_MP_ERR_BOUNDARY_EMPTY] =
        "the multipart boundary in Content-Type is empty: it needs 1 to 70 characters",
    [SOTA_MP_ERR_BOUNDARY_LONG] =
        "the multipart boundary in Content-Type is longer than 70 characters "
        "(the RFC 2046 limit)",
    [SOTA_MP_ERR_BOUNDARY_CHARS] =
        "the multipart boundary in Content-Type has a character RFC 2046 forbids: only "
        "letters, digits, space and '()+_,-./:=? are allowed, and no trailing space",
    [SOTA_MP_ERR_NO_DELIMITER] =
        "the upload body does not start with the multipart boundary announced in "
        "Content-Type: the request is not a form upload, or is corrupt",
    [SOTA_MP_ERR_HEADER_TOO_LONG] =
        "the headers of a multipart part exceed 512 bytes: use a shorter file name",
    [SOTA_MP_ERR_HEADER_SYNTAX] =
        "a multipart part header is malformed (each line must read 'Name: value' and end "
        "with CRLF): the client sent a broken form",
    [SOTA_MP_ERR_NO_DISPOSITION] =
        "a multipart part has no 'Content-Disposition: form-data; name=...' header: the "
        "client sent a broken form",
    [SOTA_MP_ERR_TRUNCATED] =
        "multipart body ended without the closing boundary: the upload was cut off, "
        "try again",
    [SOTA_MP_ERR_ABORTED] = "the upload was stopped while its data was being processed",
};

const char *sota_mp_strerror(sota_mp_err_t err)
{
    if ((unsigned)err >= SOTA_MP_ERR__COUNT) {
        return "unknown multipart error";
    }
    return s_messages[err];
}

/* ---- small character helpers (no <ctype.h>: its result depends on the locale) ---- */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 7230 tchar. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Case-insensitive comparison of s[0..n) with the NUL-terminated lowercase word. */
static bool ieq(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n; i++) {
        if (word[i] == '\0' || lower(s[i]) != word[i]) {
            return false;
        }
    }
    return word[i] == '\0';
}

/* RFC 2046 bchars. */
static bool is_bchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/* ---- header parameters: *( OWS ";" OWS name OWS "=" OWS ( token / quoted-string ) ) ---- */

typedef struct {
    const char *name;
    size_t nlen;
    const char *val;   /* raw: between the quotes if quoted, escapes not yet decoded */
    size_t vlen;
    bool quoted;
} param_t;

/* Read the next parameter of s starting at *pos. Returns 1 and fills pr, 0 at the end of
 * s, -1 on a syntax error. Empty parameters (";;") and a trailing ';' are tolerated. */
static int next_param(const char *s, size_t *pos, param_t *pr)
{
    size_t i = *pos;
    while (is_ows(s[i])) {
        i++;
    }
    if (s[i] == '\0') {
        *pos = i;
        return 0;
    }
    if (s[i] != ';') {
        return -1;
    }
    while (s[i] == ';' || is_ows(s[i])) {
        i++;
    }
    if (s[i] == '\0') {
        *pos = i;
        return 0;
    }
    pr->name = s + i;
    while (is_tchar(s[i])) {
        i++;
    }
    pr->nlen = (size_t)(s + i - pr->name);
    if (pr->nlen == 0) {
        return -1;
    }
    while (is_ows(s[i])) {
        i++;
    }
    if (s[i] != '=') {
        return -1;
    }
    i++;
    while (is_ows(s[i])) {
        i++;
    }
    if (s[i] == '"') {
        i++;
        pr->val = s + i;
        pr->quoted = true;
        while (s[i] != '"') {
            if (s[i] == '\0') {
                return -1;                  /* unterminated quoted string */
            }
            if (s[i] == '\\') {
                i++;
                if (s[i] == '\0') {
                    return -1;
                }
            }
            i++;
        }
        pr->vlen = (size_t)(s + i - pr->val);
        i++;                                /* closing quote */
    } else {
        pr->val = s + i;
        pr->quoted = false;
        while (s[i] != '\0' && s[i] != ';' && s[i] != '"' && !is_ows(s[i])
               && (unsigned char)s[i] >= 0x20 && s[i] != 0x7f) {
            i++;
        }
        pr->vlen = (size_t)(s + i - pr->val);   /* may be 0: "boundary=" */
    }
    *pos = i;
    return 1;
}

/* Length of the parameter value once quoted-pair escapes are removed. */
static size_t param_decoded_len(const param_t *pr)
{
    size_t n = 0;
    for (size_t i = 0; i < pr->vlen; i++, n++) {
        if (pr->quoted && pr->val[i] == '\\') {
            i++;
        }
    }
    return n;
}

/* Write the decoded value to dst (which may be pr->val itself or before it: the output
 * never overtakes the input) and NUL-terminate it. dst needs param_decoded_len() + 1. */
static void param_decode(const param_t *pr, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < pr->vlen; i++) {
        if (pr->quoted && pr->val[i] == '\\') {
            i++;
        }
        dst[n++] = pr->val[i];
    }
    dst[n] = '\0';
}

/* ---- boundary ---- */

/* RFC 2046's rule for a boundary (sota_mp_init). */
static sota_mp_err_t check_boundary(const char *boundary)
{
    if (boundary == NULL) {
        return SOTA_MP_ERR_ARG;
    }
    size_t n = strlen(boundary);
    if (n == 0) {
        return SOTA_MP_ERR_BOUNDARY_EMPTY;
    }
    if (n > SOTA_MP_BOUNDARY_MAX) {
        return SOTA_MP_ERR_BOUNDARY_LONG;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_bchar(boundary[i])) {
            return SOTA_MP_ERR_BOUNDARY_CHARS;
        }
    }
    if (boundary[n - 1] == ' ') {
        return SOTA_MP_ERR_BOUNDARY_CHARS;
    }
    return SOTA_MP_OK;
}

sota_mp_err_t sota_mp_boundary(const char *content_type, char *out, size_t outlen)
{
    if (content_type == NULL || out == NULL) {
        return SOTA_MP_ERR_ARG;
    }
    const char *s = content_type;
    size_t i = 0;
    while (is_ows(s[i])) {
        i++;
    }
    size_t start = i;
    while (s[i] != '\0' && s[i] != ';' && !is_ows(s[i])) {
        i++;
    }
    if (!ieq(s + start, i - start, "multipart/form-data")) {
        return SOTA_MP_ERR_NOT_FORM_DATA;
    }

    param_t pr, boundary = {0};
    bool found = false;
    int rc;
    while ((rc = next_param(s, &i, &pr)) == 1) {
        if (ieq(pr.name, pr.nlen, "boundary")) {
            if (found) {
                return SOTA_MP_ERR_CONTENT_TYPE;   /* two boundaries: ambiguous */
            }
            boundary = pr;
            found = true;
        }
    }
    if (rc < 0) {
        return SOTA_MP_ERR_CONTENT_TYPE;
    }
    if (!found) {
        return SOTA_MP_ERR_NO_BOUNDARY;
    }
    size_t n = param_decoded_len(&boundary);
    if (n == 0) {
        return SOTA_MP_ERR_BOUNDARY_EMPTY;
    }
    if (n > SOTA_MP_BOUNDARY_MAX) {
        return SOTA_MP_ERR_BOUNDARY_LONG;
    }
    char tmp[SOTA_MP_BOUNDARY_MAX + 1];
    param_decode(&boundary, tmp);
    sota_mp_err_t err = check_boundary(tmp);
    if (err != SOTA_MP_OK) {
        return err;
    }
    if (outlen < n + 1) {
        return SOTA_MP_ERR_ARG;
    }
    memcpy(out, tmp, n + 1);
    return SOTA_MP_OK;
}

/* ---- parser ---- */

static sota_mp_err_t fail(sota_mp_t *p, sota_mp_err_t err)
{
    p->err = (uint8_t)err;
    p->state = ST_ERROR;
    return err;
}

sota_mp_err_t sota_mp_init(sota_mp_t *p, const char *boundary)
{
    if (p == NULL) {
        return SOTA_MP_ERR_ARG;
    }
    memset(p, 0, sizeof *p);
    sota_mp_err_t err = check_boundary(boundary);
    if (err != SOTA_MP_OK) {
        return fail(p, err);
    }
    size_t n = strlen(boundary);
    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, boundary, n + 1);
    p->dlen = (uint8_t)(4 + n);
    p->state = ST_SCAN;
    p->match = 2;                 /* the virtual CRLF before a body-initial delimiter */
    p->virt = 2;
    return SOTA_MP_OK;
}

/* n bytes of the body that are not a delimiter: part data, or preamble to skip. `real`
 * of them were actually received (the rest is the virtual CRLF). */
static sota_mp_err_t emit(sota_mp_t *p, const sota_mp_callbacks_t *cb, const void *d,
                          size_t n, size_t real)
{
    if (n == 0) {
        return SOTA_MP_OK;
    }
    if (p->in_part) {
        if (cb != NULL && cb->on_part_data != NULL) {
            int rc = cb->on_part_data(cb->ctx, d, n);
            if (rc != 0) {
                p->cb_rc = rc;
                return fail(p, SOTA_MP_ERR_ABORTED);
            }
        }
        return SOTA_MP_OK;
    }
    if (real > SOTA_MP_PREAMBLE_MAX - p->preamble) {
        return fail(p, SOTA_MP_ERR_NO_DELIMITER);
    }
    p->preamble += (uint32_t)real;
    return SOTA_MP_OK;
}

/* The partial (or complete) delimiter match turned out to be data: release it. */
static sota_mp_err_t release(sota_mp_t *p, const sota_mp_callbacks_t *cb)
{
    size_t n = p->match;
    size_t virt = p->virt;
    p->match = 0;
    p->virt = 0;
    if (virt >= n) {
        return SOTA_MP_OK;        /* only the virtual CRLF was held: nothing to release */
    }
    return emit(p, cb, p->delim + virt, n - virt, n - virt);
}

static sota_mp_err_t hdr_append(sota_mp_t *p, char c)
{
    if (c == '\0') {
        return fail(p, SOTA_MP_ERR_HEADER_SYNTAX);
    }
    if (p->hdr_len >= SOTA_MP_HEADER_MAX) {
        return fail(p, SOTA_MP_ERR_HEADER_TOO_LONG);
    }
    p->hdr[p->hdr_len++] = c;
    return SOTA_MP_OK;
}

/* Content-Disposition: form-data *( ";" param ). Decodes name and filename in place. */
static sota_mp_err_t parse_disposition(char *v, sota_mp_part_t *part)
{
    size_t i = 0;
    while (v[i] != '\0' && v[i] != ';' && !is_ows(v[i])) {
        i++;
    }
    if (!ieq(v, i, "form-data")) {
        return SOTA_MP_ERR_NO_DISPOSITION;
    }
    param_t pr, name = {0}, filename = {0};
    bool has_name = false, has_filename = false;
    int rc;
    while ((rc = next_param(v, &i, &pr)) == 1) {
        if (ieq(pr.name, pr.nlen, "name")) {
            if (has_name) {
                return SOTA_MP_ERR_HEADER_SYNTAX;
            }
            name = pr;
            has_name = true;
        } else if (ieq(pr.name, pr.nlen, "filename")) {
            if (has_filename) {
                return SOTA_MP_ERR_HEADER_SYNTAX;
            }
            filename = pr;
            has_filename = true;
        }
    }
    if (rc < 0) {
        return SOTA_MP_ERR_HEADER_SYNTAX;
    }
    if (!has_name) {
        return SOTA_MP_ERR_NO_DISPOSITION;
    }
    /* Decoding in place only writes inside each value's own raw span (plus a NUL on its
     * closing quote or terminator), so the two values do not disturb each other. */
    char *dst = v + (name.val - v);
    param_decode(&name, dst);
    part->name = dst;
    if (has_filename) {
        dst = v + (filename.val - v);
        param_decode(&filename, dst);
        part->filename = dst;
    }
    return SOTA_MP_OK;
}

/* The header block is complete in p->hdr (lines ending in CRLF). Fill part. */
static sota_mp_err_t parse_headers(sota_mp_t *p, sota_mp_part_t *part)
{
    char *h = p->hdr;
    size_t len = p->hdr_len;
    bool has_disp = false, has_ct = false;

    /* Join continuation lines (obs-fold) by blanking the CRLF before them. */
    if (len > 0 && is_ows(h[0])) {
        return SOTA_MP_ERR_HEADER_SYNTAX;
    }
    for (size_t k = 0; k + 2 < len; k++) {
        if (h[k] == '\r' && is_ows(h[k + 2])) {
            h[k] = ' ';
            h[k + 1] = ' ';
        }
    }

    size_t s = 0;
    while (s < len) {
        char *line = h + s;
        char *cr = memchr(line, '\r', len - s);
        /* The states guarantee every stored line ends in CRLF. */
        if (cr == NULL) {
            return SOTA_MP_ERR_HEADER_SYNTAX;
        }
        size_t llen = (size_t)(cr - line);
        cr[0] = '\0';
        cr[1] = '\0';
        s += llen + 2;

        size_t n = 0;
        while (is_tchar(line[n])) {
            n++;
        }
        if (n == 0 || line[n] != ':') {
            return SOTA_MP_ERR_HEADER_SYNTAX;
        }
        char *val = line + n + 1;
        while (is_ows(*val)) {
            val++;
        }
        char *end = line + llen;
        while (end > val && is_ows(end[-1])) {
            end--;
        }
        *end = '\0';

        if (ieq(line, n, "content-disposition")) {
            if (has_disp) {
                return SOTA_MP_ERR_HEADER_SYNTAX;
            }
            has_disp = true;
            sota_mp_err_t err = parse_disposition(val, part);
            if (err != SOTA_MP_OK) {
                return err;
            }
        } else if (ieq(line, n, "content-type")) {
            if (has_ct) {
                return SOTA_MP_ERR_HEADER_SYNTAX;
            }
            has_ct = true;
            part->content_type = val;
        }
    }
    if (!has_disp) {
        return SOTA_MP_ERR_NO_DISPOSITION;
    }
    return SOTA_MP_OK;
}

static sota_mp_err_t begin_part(sota_mp_t *p, const sota_mp_callbacks_t *cb)
{
    sota_mp_part_t part = {0};
    sota_mp_err_t err = parse_headers(p, &part);
    if (err != SOTA_MP_OK) {
        return fail(p, err);
    }
    part.index = p->parts++;
    if (!p->file_seen && (part.filename != NULL || strcmp(part.name, "file") == 0)) {
        part.is_file = true;
        p->file_seen = true;
    }
    p->in_part = true;
    p->state = ST_SCAN;
    p->match = 0;
    p->virt = 0;
    if (cb != NULL && cb->on_part_begin != NULL) {
        int rc = cb->on_part_begin(cb->ctx, &part);
        if (rc != 0) {
            p->cb_rc = rc;
            return fail(p, SOTA_MP_ERR_ABORTED);
        }
    }
    return SOTA_MP_OK;
}

static sota_mp_err_t end_part(sota_mp_t *p, const sota_mp_callbacks_t *cb)
{
    if (!p->in_part) {
        return SOTA_MP_OK;        /* the delimiter ended the preamble, not a part */
    }
    p->in_part = false;
    if (cb != NULL && cb->on_part_end != NULL) {
        int rc = cb->on_part_end(cb->ctx);
        if (rc != 0) {
            p->cb_rc = rc;
            return fail(p, SOTA_MP_ERR_ABORTED);
        }
    }
    return SOTA_MP_OK;
}

/* ST_SCAN at d[*i]: body bytes up to the next CR in one piece, or one more byte of a
 * possible delimiter. */
static sota_mp_err_t scan(sota_mp_t *p, const sota_mp_callbacks_t *cb, const uint8_t *d, size_t len,
                          size_t *i)
{
    if (p->match == 0) {
        /* Fast path: everything up to the next CR is data. */
        const uint8_t *cr = memchr(d + *i, '\r', len - *i);
        size_t end = cr != NULL ? (size_t)(cr - d) : len;
        sota_mp_err_t err = emit(p, cb, d + *i, end - *i, end - *i);
        *i = end;
        if (cr != NULL && err == SOTA_MP_OK) {
            p->match = 1;
            (*i)++;
        }
        return err;
    }
    if ((char)d[*i] == p->delim[p->match]) {
        (*i)++;
        if (++p->match == p->dlen) {
            p->state = ST_DELIM;
        }
        return SOTA_MP_OK;
    }
    return release(p, cb);                /* the byte is looked at again */
}

/* A delimiter line is complete: the part before it ends, next is what follows. */
static sota_mp_err_t delim_done(sota_mp_t *p, const sota_mp_callbacks_t *cb, int next)
{
    p->match = 0;
    p->virt = 0;
    p->hdr_len = 0;
    p->state = next;
    return end_part(p, cb);
}

/* What looked like a delimiter is body data: give it back (release) and scan again from
 * the byte that did not fit, which is not consumed. */
static sota_mp_err_t not_delim(sota_mp_t *p, const sota_mp_callbacks_t *cb, bool *used)
{
    *used = false;
    p->state = ST_SCAN;
    return release(p, cb);
}

/* After a whole "\r\n--boundary": byte b decides between the next part ("\r\n"), the
 * close ("--") and body data that only looked like a delimiter. Sets *used when b was
 * consumed. */
static sota_mp_err_t after_delim(sota_mp_t *p, const sota_mp_callbacks_t *cb, uint8_t b, bool *used)
{
    sota_mp_err_t err;
    *used = true;
    switch (p->state) {
    case ST_DELIM:
        if (b == '\r') {
            p->state = ST_DELIM_CR;
        } else if (b == '-') {
            p->state = ST_DELIM_DASH;
        } else {
            return not_delim(p, cb, used);
        }
        return SOTA_MP_OK;
    case ST_DELIM_CR:
        if (b == '\n') {
            return delim_done(p, cb, ST_HDR_START);
        }
        /* "--boundary\r" + something: data, and that CR may start a delimiter */
        err = not_delim(p, cb, used);
        p->match = 1;
        return err;
    default: /* ST_DELIM_DASH */
        if (b == '-') {
            return delim_done(p, cb, ST_EPILOGUE);
        }
        err = not_delim(p, cb, used);
        return err == SOTA_MP_OK ? emit(p, cb, "-", 1, 1) : err;
    }
}

/* One byte of a part's header block (always consumed): lines end in CRLF, an empty line
 * ends the block and begins the part. */
static sota_mp_err_t header_byte(sota_mp_t *p, const sota_mp_callbacks_t *cb, uint8_t b)
{
    switch (p->state) {
    case ST_HDR_START:
        if (b == '\r') {
            p->state = ST_HDR_END_CR;
            return SOTA_MP_OK;
        }
        if (b == '\n') {
            return fail(p, SOTA_MP_ERR_HEADER_SYNTAX);
        }
        p->state = ST_HDR_LINE;
        return hdr_append(p, (char)b);
    case ST_HDR_LINE:
        if (b == '\n') {
            return fail(p, SOTA_MP_ERR_HEADER_SYNTAX);   /* bare LF */
        }
        if (b == '\r') {
            p->state = ST_HDR_CR;
        }
        return hdr_append(p, (char)b);
    case ST_HDR_CR:
        if (b != '\n') {
            return fail(p, SOTA_MP_ERR_HEADER_SYNTAX);   /* bare CR */
        }
        p->state = ST_HDR_START;
        return hdr_append(p, (char)b);
    default: /* ST_HDR_END_CR */
        if (b != '\n') {
            return fail(p, SOTA_MP_ERR_HEADER_SYNTAX);
        }
        return begin_part(p, cb);
    }
}

sota_mp_err_t sota_mp_feed(sota_mp_t *p, const void *data, size_t len,
                           const sota_mp_callbacks_t *cb)
{
    if (p == NULL || (data == NULL && len > 0)) {
        return SOTA_MP_ERR_ARG;
    }
    if (p->err != SOTA_MP_OK) {
        return (sota_mp_err_t)p->err;
    }
    const uint8_t *d = data;
    sota_mp_err_t err = SOTA_MP_OK;
    size_t i = 0;

    while (i < len && err == SOTA_MP_OK) {
        bool used;
        switch (p->state) {
        case ST_SCAN:
            err = scan(p, cb, d, len, &i);
            break;
        case ST_DELIM:
        case ST_DELIM_CR:
        case ST_DELIM_DASH:
            err = after_delim(p, cb, d[i], &used);
            i += used;
            break;
        case ST_HDR_START:
        case ST_HDR_LINE:
        case ST_HDR_CR:
        case ST_HDR_END_CR:
            err = header_byte(p, cb, d[i++]);
            break;
        case ST_EPILOGUE:
            i = len;
            break;
        default:
            err = fail(p, SOTA_MP_ERR_ARG);                 /* not initialised */
            break;
        }
    }
    return err;
}

sota_mp_err_t sota_mp_finish(const sota_mp_t *p)
{
    if (p == NULL) {
        return SOTA_MP_ERR_ARG;
    }
    if (p->err != SOTA_MP_OK) {
        return (sota_mp_err_t)p->err;
    }
    switch (p->state) {
    case ST_EPILOGUE:
        return SOTA_MP_OK;
    case ST_SCAN:
    case ST_DELIM:
    case ST_DELIM_CR:
    case ST_DELIM_DASH:
        return p->in_part ? SOTA_MP_ERR_TRUNCATED : SOTA_MP_ERR_NO_DELIMITER;
    case ST_HDR_START:
    case ST_HDR_LINE:
    case ST_HDR_CR:
    case ST_HDR_END_CR:
        return SOTA_MP_ERR_TRUNCATED;
    default:
        return SOTA_MP_ERR_ARG;
    }
}
