/* Streaming multipart/form-data parser (RFC 7578 on RFC 2046 section 5.1).
 *
 * POST /update may carry the firmware as a form upload: what `curl -F file=@app.bin`
 * and a plain HTML <form enctype="multipart/form-data"> send. The body arrives in
 * pieces of any size; this parser hands out the bytes of each part as they arrive,
 * without buffering the part. RAM use is the parser struct (about 600 bytes, no
 * malloc): the delimiter, one part's header block, and a few counters. Bytes that
 * could be the start of the delimiter are held back by counting how many delimiter
 * bytes matched (the bytes themselves are the delimiter's, so they need no copy) and
 * released as data when the match fails.
 *
 * What is accepted (decisions, not accidents):
 * - Line endings are CRLF, as RFC 2046 requires and every browser and curl send. A bare
 *   LF or CR in a part's headers is SOTA_MP_ERR_HEADER_SYNTAX; in part data only
 *   "\r\n--boundary" is special, everything else is data.
 * - A delimiter is "\r\n--boundary" followed directly by "\r\n" (next part) or "--"
 *   (the end). Anything else after a boundary-like string (including RFC 2046
 *   "transport padding" whitespace, which no known sender emits) makes it data.
 * - The first delimiter may start the body ("--boundary\r\n") or follow a preamble of
 *   at most SOTA_MP_PREAMBLE_MAX bytes, which is ignored. Everything after the close
 *   delimiter ("--boundary--") is epilogue and ignored.
 * - Each part's header block (its header lines with their CRLFs, without the empty line
 *   that ends the block) is at most SOTA_MP_HEADER_MAX bytes. Header names are
 *   case-insensitive; continuation lines (starting with a space or tab) are joined.
 *   Each part must have "Content-Disposition: form-data; name=..." (RFC 7578 4.2).
 *   Parameter values are tokens or quoted strings with backslash escapes
 *   (filename="a \"b\".bin" gives: a "b".bin). Percent escapes (%22, which browsers
 *   send for a quote in a file name) are left as they are. "filename*" is ignored
 *   (RFC 7578 4.2: senders must not use it). Other headers are ignored.
 * - A body whose close delimiter directly follows the first delimiter has no parts;
 *   that is not an error here (the caller notices there was no file).
 *
 * Usage:
 *     char b[SOTA_MP_BOUNDARY_MAX + 1];
 *     sota_mp_t *p = heap_alloc(sizeof *p);
 *     if (sota_mp_boundary(content_type, b, sizeof b) != SOTA_MP_OK) -> 400
 *     sota_mp_init(p, b);
 *     while (more) if (sota_mp_feed(p, buf, n, &cbs) != SOTA_MP_OK) break;
 *     err = sota_mp_finish(p);
 *     if (err) reply(sota_mp_strerror(err));
 */
#ifndef SOTA_MULTIPART_H
#define SOTA_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOTA_MP_BOUNDARY_MAX 70    /* RFC 2046: 1..70 characters */
#define SOTA_MP_HEADER_MAX   512   /* bytes of one part's header block (see above) */
#define SOTA_MP_PREAMBLE_MAX 1024  /* bytes of preamble before the first delimiter */

/* Every outcome. SOTA_MP_OK is 0; everything else is an error. */
typedef enum {
    SOTA_MP_OK = 0,
    SOTA_MP_ERR_ARG,              /* caller error: NULL pointer, output buffer too small */
    SOTA_MP_ERR_NOT_FORM_DATA,    /* Content-Type is not multipart/form-data */
    SOTA_MP_ERR_CONTENT_TYPE,     /* Content-Type parameters are malformed */
    SOTA_MP_ERR_NO_BOUNDARY,      /* Content-Type has no boundary parameter */
    SOTA_MP_ERR_BOUNDARY_EMPTY,   /* boundary="" */
    SOTA_MP_ERR_BOUNDARY_LONG,    /* boundary longer than 70 characters */
    SOTA_MP_ERR_BOUNDARY_CHARS,   /* boundary has a character RFC 2046 forbids */
    SOTA_MP_ERR_NO_DELIMITER,     /* body does not start with the boundary (preamble
                                     too long, or the body ended before it came) */
    SOTA_MP_ERR_HEADER_TOO_LONG,  /* a part's header block exceeds SOTA_MP_HEADER_MAX */
    SOTA_MP_ERR_HEADER_SYNTAX,    /* a part header is malformed */
    SOTA_MP_ERR_NO_DISPOSITION,   /* a part lacks Content-Disposition: form-data; name= */
    SOTA_MP_ERR_TRUNCATED,        /* the body ended without the closing boundary */
    SOTA_MP_ERR_ABORTED,          /* a callback returned non-zero (see sota_mp_t.cb_rc) */
    SOTA_MP_ERR__COUNT
} sota_mp_err_t;

/* What on_part_begin learns about a part. The strings live in the parser and are valid
 * only during the on_part_begin call; copy what you need. */
typedef struct {
    const char *name;          /* the form field name (never NULL, may be "") */
    const char *filename;      /* the filename parameter, NULL if absent ("" if the
                                  form had no file chosen) */
    const char *content_type;  /* the part's Content-Type value, NULL if absent
                                  (RFC 7578 default: text/plain) */
    uint32_t index;            /* 0 for the first part */
    bool is_file;              /* true for the file part: the first part that has a
                                  filename parameter or is named "file"; at most one
                                  part of a body is the file part */
} sota_mp_part_t;

/* Callbacks. Any may be NULL (ignored). Returning non-zero stops the parser: the
 * current and every later feed returns SOTA_MP_ERR_ABORTED and the value is kept in
 * sota_mp_t.cb_rc. on_part_data is called with n >= 1, possibly many times per part,
 * with pointers either into the fed buffer or into the parser; they are valid only
 * during the call. on_part_end is called only when the part's closing delimiter was
 * seen (never for a part cut off by an error or a truncated body). */
typedef struct {
    int (*on_part_begin)(void *ctx, const sota_mp_part_t *part);
    int (*on_part_data)(void *ctx, const uint8_t *data, size_t n);
    int (*on_part_end)(void *ctx);
    void *ctx;
} sota_mp_callbacks_t;

/* Parser state. Treat as opaque, except cb_rc and parts, which may be read. */
typedef struct {
    uint8_t state;
    uint8_t err;               /* sota_mp_err_t, sticky */
    uint8_t dlen;              /* strlen(delim) */
    uint8_t match;             /* delimiter bytes matched (held back) */
    uint8_t virt;              /* of those, how many are the virtual leading CRLF */
    bool in_part;              /* between a part's headers and its delimiter */
    bool file_seen;            /* the file part has begun */
    char delim[4 + SOTA_MP_BOUNDARY_MAX + 1]; /* "\r\n--" boundary */
    uint16_t hdr_len;
    uint32_t preamble;         /* preamble bytes discarded so far */
    uint32_t parts;            /* parts begun so far */
    int cb_rc;                 /* the non-zero value a callback returned */
    char hdr[SOTA_MP_HEADER_MAX];
} sota_mp_t;

/* Extract the boundary from a Content-Type header value, e.g.
 * "multipart/form-data; boundary=----WebKitFormBoundaryx8J".
 * The media type and parameter names are matched case-insensitively; the value may be a
 * token or a quoted string; other parameters and whitespace around ';' and '=' are
 * allowed. On success writes the boundary, NUL-terminated, to out (outlen >=
 * SOTA_MP_BOUNDARY_MAX + 1 always suffices).
 * Returns SOTA_MP_OK, SOTA_MP_ERR_ARG (NULL, or outlen too small for this boundary),
 * SOTA_MP_ERR_NOT_FORM_DATA, SOTA_MP_ERR_CONTENT_TYPE (unterminated quote, parameter
 * without '=', boundary given twice), SOTA_MP_ERR_NO_BOUNDARY, SOTA_MP_ERR_BOUNDARY_EMPTY,
 * SOTA_MP_ERR_BOUNDARY_LONG, SOTA_MP_ERR_BOUNDARY_CHARS (a character outside RFC 2046's
 * bchars, or a trailing space). out is unspecified on error. */
sota_mp_err_t sota_mp_boundary(const char *content_type, char *out, size_t outlen);

/* Start parsing a body with this boundary (as returned by sota_mp_boundary; copied).
 * Returns SOTA_MP_OK, SOTA_MP_ERR_ARG (NULL) or a SOTA_MP_ERR_BOUNDARY_* code (RFC 2046:
 * 1..70 of DIGIT ALPHA '()+_,-./:=? and space, not ending with a space); on error the
 * parser is left in that error state. */
sota_mp_err_t sota_mp_init(sota_mp_t *p, const char *boundary);

/* Feed the next len bytes of the body (len may be 0; data may be NULL if len is 0).
 * Calls the callbacks (cb may be NULL) for what these bytes complete. Returns SOTA_MP_OK
 * or the first error; errors are sticky (later feeds and finish return the same code,
 * no more callbacks). Bytes after the close delimiter are ignored. */
sota_mp_err_t sota_mp_feed(sota_mp_t *p, const void *data, size_t len,
                           const sota_mp_callbacks_t *cb);

/* The body has ended. Returns SOTA_MP_OK if the close delimiter was seen, else the
 * sticky error, SOTA_MP_ERR_NO_DELIMITER (the boundary never came) or
 * SOTA_MP_ERR_TRUNCATED (cut off after the first delimiter). Calls no callback. */
sota_mp_err_t sota_mp_finish(const sota_mp_t *p);

/* A sentence saying what went wrong and what to do. Never NULL. */
const char *sota_mp_strerror(sota_mp_err_t err);

#endif
