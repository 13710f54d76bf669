/* Unit tests of the streaming multipart/form-data parser (core/sota_multipart.h).
 *
 * Every body vector is fed in chunks of every size 1..len and in two pieces split at
 * every point 0..len; each run must record exactly the same parts (headers, data,
 * whether they ended) and the same final result as the table says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sota_multipart.h"

/* A string literal as (pointer, length): literals may hold NUL bytes. */
#define S(x) (x), (sizeof(x) - 1)
#define MAX_PARTS 6

/* ---- recorder ------------------------------------------------------------------------ */

typedef struct {
    char name[SOTA_MP_HEADER_MAX + 1];
    char filename[SOTA_MP_HEADER_MAX + 1];
    char ctype[SOTA_MP_HEADER_MAX + 1];
    bool has_filename, has_ctype, is_file, ended;
    uint32_t index;
    uint8_t *data;
    size_t len, cap;
} rec_part_t;

typedef struct {
    rec_part_t parts[MAX_PARTS];
    size_t nparts;
    int violations;      /* callback protocol broken: data outside a part, n == 0, ... */
    size_t abort_after;  /* on_part_data returns 7 once this many data bytes came (0: never) */
    size_t total_data;
} rec_t;

static rec_part_t *open_part(rec_t *r)
{
    if (r->nparts == 0 || r->parts[r->nparts - 1].ended) {
        return NULL;
    }
    return &r->parts[r->nparts - 1];
}

static int on_begin(void *ctx, const sota_mp_part_t *part)
{
    rec_t *r = ctx;
    if (open_part(r) != NULL || r->nparts == MAX_PARTS || part->name == NULL) {
        r->violations++;
        return 0;
    }
    rec_part_t *rp = &r->parts[r->nparts++];
    memset(rp, 0, sizeof *rp);
    snprintf(rp->name, sizeof rp->name, "%s", part->name);
    if (part->filename != NULL) {
        rp->has_filename = true;
        snprintf(rp->filename, sizeof rp->filename, "%s", part->filename);
    }
    if (part->content_type != NULL) {
        rp->has_ctype = true;
        snprintf(rp->ctype, sizeof rp->ctype, "%s", part->content_type);
    }
    rp->is_file = part->is_file;
    rp->index = part->index;
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t n)
{
    rec_t *r = ctx;
    rec_part_t *rp = open_part(r);
    if (rp == NULL || n == 0 || data == NULL) {
        r->violations++;
        return 0;
    }
    if (rp->len + n > rp->cap) {
        rp->cap = (rp->len + n) * 2;
        rp->data = realloc(rp->data, rp->cap);
        assert_non_null(rp->data);
    }
    memcpy(rp->data + rp->len, data, n);
    rp->len += n;
    r->total_data += n;
    if (r->abort_after != 0 && r->total_data >= r->abort_after) {
        return 7;
    }
    return 0;
}

static int on_end(void *ctx)
{
    rec_t *r = ctx;
    rec_part_t *rp = open_part(r);
    if (rp == NULL) {
        r->violations++;
        return 0;
    }
    rp->ended = true;
    return 0;
}

static void rec_free(rec_t *r)
{
    for (size_t i = 0; i < MAX_PARTS; i++) {
        free(r->parts[i].data);
        r->parts[i].data = NULL;
    }
}

/* ---- vectors ------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *filename;   /* NULL: no filename parameter expected */
    const char *ctype;      /* NULL: no Content-Type expected */
    bool is_file;
    bool ended;
    const char *data;
    size_t len;
} exp_part_t;

typedef struct {
    const char *what;
    const char *boundary;
    const char *body;
    size_t len;
    sota_mp_err_t err;      /* what feed (first error) or else finish returns */
    size_t nparts;
    exp_part_t parts[MAX_PARTS];
} vec_t;

#define CURL_B "------------------------d74496d66958873e"
#define WEBKIT_B "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define FILE_HDR "Content-Disposition: form-data; name=\"file\"; filename=\"app.bin\"\r\n" \
                 "Content-Type: application/octet-stream\r\n\r\n"

static const vec_t s_valid[] = {
    { "curl -F: one file part", CURL_B,
      S("--" CURL_B "\r\n" FILE_HDR "\xE9\x03\x02\x20HELLO\r\n--" CURL_B "--\r\n"),
      SOTA_MP_OK, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("\xE9\x03\x02\x20HELLO") } } },
    { "browser: field then file", WEBKIT_B,
      S("--" WEBKIT_B "\r\n"
        "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
        "hello world\r\n"
        "--" WEBKIT_B "\r\n"
        "Content-Disposition: form-data; name=\"fw\"; filename=\"my app.bin\"\r\n"
        "Content-Type: application/macbinary\r\n\r\n"
        "DATA\r\n"
        "--" WEBKIT_B "--\r\n"),
      SOTA_MP_OK, 2,
      { { "note", NULL, NULL, false, true, S("hello world") },
        { "fw", "my app.bin", "application/macbinary", true, true, S("DATA") } } },
    { "file then field", "XyZ",
      S("--XyZ\r\n" FILE_HDR "abc\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"submit\"\r\n\r\nUpload\r\n"
        "--XyZ--"),
      SOTA_MP_OK, 2,
      { { "file", "app.bin", "application/octet-stream", true, true, S("abc") },
        { "submit", NULL, NULL, false, true, S("Upload") } } },
    { "boundary with spaces and punctuation (RFC 2046 example style)", "simple boundary",
      S("--simple boundary\r\nContent-Disposition: form-data; name=file\r\n\r\n"
        "x\r\n--simple boundar\r\n--simple boundary \r\n"
        "--simple boundary--\r\n"),
      SOTA_MP_OK, 1,
      { { "file", NULL, NULL, true, true,
          S("x\r\n--simple boundar\r\n--simple boundary ") } } },
    { "every bchar in the boundary", "'()+_,-./:=? 0aZ",
      S("--'()+_,-./:=? 0aZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
        "--'()+_,-./:=? 0aZ\r\n"
        "--'()+_,-./:=? 0aZ--"),
      SOTA_MP_OK, 1,
      { { "a", NULL, NULL, false, true, S("--'()+_,-./:=? 0aZ") } } },
    { "data with CRLF--, partial and unterminated boundaries", "XyZ",
      S("--XyZ\r\n" FILE_HDR
        "--XyZ\r\n"                 /* at data start without CRLF before it: data */
        "\r\n--\r\n--X\r\n--Xy\r"   /* growing partial matches */
        "\r\n--XyZ!"                /* boundary followed by other: data */
        "\r\n--XyZ-x"               /* boundary + one dash: data */
        "\r\n--XyZ\rx"              /* boundary + CR without LF: data */
        "\r\n--XyZ\r\r\n--XyZ- "    /* CR restarting a match twice */
        "\r\n--XyZZ\r\n\r\r\n"
        "\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
        "\r"                        /* part data is a lone CR */
        "\r\n--XyZ--"),
      SOTA_MP_OK, 2,
      { { "file", "app.bin", "application/octet-stream", true, true,
          S("--XyZ\r\n\r\n--\r\n--X\r\n--Xy\r\r\n--XyZ!\r\n--XyZ-x\r\n--XyZ\rx"
            "\r\n--XyZ\r\r\n--XyZ- \r\n--XyZZ\r\n\r\r\n") },
        { "b", NULL, NULL, false, true, S("\r") } } },
    { "empty file", "XyZ",
      S("--XyZ\r\n" FILE_HDR "\r\n--XyZ--\r\n"),
      SOTA_MP_OK, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("") } } },
    { "no file chosen in the form: filename=\"\"", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"fw\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n"),
      SOTA_MP_OK, 1,
      { { "fw", "", "application/octet-stream", true, true, S("") } } },
    { "preamble with boundary look-alikes", "XyZ",
      S("This is the preamble. --XyZ\r\n--Xy\r\n--XyZ \r\n--XyZ-\r\n"
        "\r\n--XyZ\r\n" FILE_HDR "D\r\n--XyZ--"),
      SOTA_MP_OK, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("D") } } },
    { "epilogue ignored, even with the boundary in it", "XyZ",
      S("--XyZ\r\n" FILE_HDR "D\r\n--XyZ--\r\nepilogue\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"late\"\r\n\r\nx\r\n--XyZ--\r\n"),
      SOTA_MP_OK, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("D") } } },
    { "close delimiter right after the first: no parts", "XyZ",
      S("--XyZ--\r\n"), SOTA_MP_OK, 0, { { 0 } } },
    { "header names and parameters in any case, escapes, OWS", "XyZ",
      S("--XyZ\r\n"
        "content-disposition:FORM-DATA ;  NAME = \"f\\\\1\" ;FileName=\"a \\\"q\\\".bin\";\r\n"
        "CONTENT-TYPE:   application/octet-stream  \r\n"
        "X-Other: ignored\r\n\r\n"
        "D\r\n--XyZ--"),
      SOTA_MP_OK, 1,
      { { "f\\1", "a \"q\".bin", "application/octet-stream", true, true, S("D") } } },
    { "folded header line, percent escape kept, filename* ignored", "XyZ",
      S("--XyZ\r\n"
        "Content-Disposition: form-data;\r\n\tname=\"file\"; filename*=UTF-8''x.bin\r\n"
        "\r\n"
        "D\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"%22.bin\"\r\n\r\n"
        "E\r\n--XyZ--"),
      SOTA_MP_OK, 2,
      { { "file", NULL, NULL, true, true, S("D") },
        { "g", "%22.bin", NULL, false, true, S("E") } } },
    { "only the first candidate is the file part", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"x\"; filename=\"a\"\r\n\r\n2\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b\"\r\n\r\n3\r\n"
        "--XyZ--"),
      SOTA_MP_OK, 3,
      { { "x", NULL, NULL, false, true, S("1") },
        { "x", "a", NULL, true, true, S("2") },
        { "file", "b", NULL, false, true, S("3") } } },
    { "unquoted parameter values and an empty name", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=; filename=app.bin\r\n\r\n"
        "NUL\0byte\r\n--XyZ--"),
      SOTA_MP_OK, 1,
      { { "", "app.bin", NULL, true, true, S("NUL\0byte") } } },
};

static const vec_t s_errors[] = {
    { "empty body", "XyZ", S(""), SOTA_MP_ERR_NO_DELIMITER, 0, { { 0 } } },
    { "garbage instead of the first boundary", "XyZ",
      S("\xE9\x03\x02\x20 raw image bytes, not a form \r\n--XyY\r\n"),
      SOTA_MP_ERR_NO_DELIMITER, 0, { { 0 } } },
    { "wrong boundary", "XyZ",
      S("--AbC\r\n" FILE_HDR "D\r\n--AbC--\r\n"), SOTA_MP_ERR_NO_DELIMITER, 0, { { 0 } } },
    { "bare LF line endings are not a delimiter", "XyZ",
      S("--XyZ\nContent-Disposition: form-data; name=\"file\"\n\nD\n--XyZ--\n"),
      SOTA_MP_ERR_NO_DELIMITER, 0, { { 0 } } },
    { "no closing boundary: cut off in the data", "XyZ",
      S("--XyZ\r\n" FILE_HDR "DATA\r\n--Xy"),
      SOTA_MP_ERR_TRUNCATED, 1,
      { { "file", "app.bin", "application/octet-stream", true, false, S("DATA") } } },
    { "no closing boundary: ends after a delimiter", "XyZ",
      S("--XyZ\r\n" FILE_HDR "DATA\r\n--XyZ"),
      SOTA_MP_ERR_TRUNCATED, 1,
      { { "file", "app.bin", "application/octet-stream", true, false, S("DATA") } } },
    { "no closing boundary: ends after delimiter and one dash", "XyZ",
      S("--XyZ\r\n" FILE_HDR "DATA\r\n--XyZ-"),
      SOTA_MP_ERR_TRUNCATED, 1,
      { { "file", "app.bin", "application/octet-stream", true, false, S("DATA") } } },
    { "no closing boundary: ends in the next part's headers", "XyZ",
      S("--XyZ\r\n" FILE_HDR "DATA\r\n--XyZ\r\nContent-Disp"),
      SOTA_MP_ERR_TRUNCATED, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("DATA") } } },
    { "no closing boundary: ends after the first delimiter", "XyZ",
      S("--XyZ\r\n"), SOTA_MP_ERR_TRUNCATED, 0, { { 0 } } },
    { "missing Content-Disposition", "XyZ",
      S("--XyZ\r\nContent-Type: application/octet-stream\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_NO_DISPOSITION, 0, { { 0 } } },
    { "empty header block", "XyZ",
      S("--XyZ\r\n\r\nD\r\n--XyZ--"), SOTA_MP_ERR_NO_DISPOSITION, 0, { { 0 } } },
    { "Content-Disposition without name", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; filename=\"a.bin\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_NO_DISPOSITION, 0, { { 0 } } },
    { "Content-Disposition not form-data", "XyZ",
      S("--XyZ\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_NO_DISPOSITION, 0, { { 0 } } },
    { "second part lacks Content-Disposition", "XyZ",
      S("--XyZ\r\n" FILE_HDR "D\r\n--XyZ\r\nX-A: b\r\n\r\nE\r\n--XyZ--"),
      SOTA_MP_ERR_NO_DISPOSITION, 1,
      { { "file", "app.bin", "application/octet-stream", true, true, S("D") } } },
    { "bare LF in the headers", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "bare CR in the headers", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data;\r name=\"file\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "CR at line start without LF", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\rD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "header line without a colon", "XyZ",
      S("--XyZ\r\nContent-Disposition form-data; name=\"file\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "NUL in a header", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"fi\0le\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "unterminated quoted string", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"file\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "duplicate Content-Disposition", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
        "Content-Disposition: form-data; name=\"file\"\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "duplicate filename parameter", "XyZ",
      S("--XyZ\r\nContent-Disposition: form-data; name=a; filename=x; filename=y\r\n"
        "\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
    { "folded first header line", "XyZ",
      S("--XyZ\r\n Content-Disposition: form-data; name=a\r\n\r\nD\r\n--XyZ--"),
      SOTA_MP_ERR_HEADER_SYNTAX, 0, { { 0 } } },
};

/* ---- running ------------------------------------------------------------------------- */

typedef struct {
    sota_mp_err_t err;
    rec_t rec;
} run_t;

/* Feed v->body in the given pieces (sizes; the last piece takes the rest). */
static void run_pieces(const vec_t *v, const size_t *sizes, size_t nsizes, run_t *out)
{
    sota_mp_t p;
    memset(out, 0, sizeof *out);
    sota_mp_callbacks_t cb = { on_begin, on_data, on_end, &out->rec };
    assert_int_equal(sota_mp_init(&p, v->boundary), SOTA_MP_OK);
    size_t off = 0, k = 0;
    sota_mp_err_t err = SOTA_MP_OK;
    while (err == SOTA_MP_OK && off < v->len) {
        size_t n = (k < nsizes) ? sizes[k] : v->len - off;
        k++;
        if (n > v->len - off) {
            n = v->len - off;
        }
        /* Copy to an exact-size heap block so ASan sees any read past the piece. */
        uint8_t *piece = malloc(n ? n : 1);
        assert_non_null(piece);
        memcpy(piece, v->body + off, n);
        err = sota_mp_feed(&p, piece, n, &cb);
        free(piece);
        off += n;
    }
    if (err == SOTA_MP_OK) {
        assert_int_equal(sota_mp_feed(&p, NULL, 0, &cb), SOTA_MP_OK);
        err = sota_mp_finish(&p);
    } else {
        /* Errors are sticky and call nothing more. */
        size_t before = out->rec.nparts;
        assert_int_equal(sota_mp_feed(&p, "--XyZ--", 7, &cb), err);
        assert_int_equal(sota_mp_finish(&p), err);
        assert_int_equal(out->rec.nparts, before);
    }
    out->err = err;
}

static void check_run(const vec_t *v, const run_t *r, const char *how, size_t arg)
{
    char where[256];
    snprintf(where, sizeof where, "vector \"%s\" fed %s %zu", v->what, how, arg);
    if (r->err != v->err) {
        fail_msg("%s: result %d (%s), expected %d", where, r->err,
                 sota_mp_strerror(r->err), v->err);
    }
    if (r->rec.violations != 0) {
        fail_msg("%s: %d callback protocol violations", where, r->rec.violations);
    }
    if (r->rec.nparts != v->nparts) {
        fail_msg("%s: %zu parts, expected %zu", where, r->rec.nparts, v->nparts);
    }
    for (size_t i = 0; i < v->nparts; i++) {
        const exp_part_t *e = &v->parts[i];
        const rec_part_t *g = &r->rec.parts[i];
        if (strcmp(g->name, e->name) != 0 || g->has_filename != (e->filename != NULL)
            || (e->filename != NULL && strcmp(g->filename, e->filename) != 0)
            || g->has_ctype != (e->ctype != NULL)
            || (e->ctype != NULL && strcmp(g->ctype, e->ctype) != 0)
            || g->is_file != e->is_file || g->ended != e->ended || g->index != i) {
            fail_msg("%s: part %zu is name=\"%s\" filename=%s\"%s\" ctype=%s\"%s\" "
                     "is_file=%d ended=%d index=%u", where, i, g->name,
                     g->has_filename ? "" : "(none)", g->filename,
                     g->has_ctype ? "" : "(none)", g->ctype, g->is_file, g->ended,
                     (unsigned)g->index);
        }
        if (g->len != e->len || (e->len != 0 && memcmp(g->data, e->data, e->len) != 0)) {
            fail_msg("%s: part %zu data differs (%zu bytes, expected %zu)", where, i,
                     g->len, e->len);
        }
    }
}

/* Every chunk size 1..len (1 = byte by byte, len = whole) and every 2-piece split. */
static void check_vector(const vec_t *v)
{
    run_t r;
    size_t maxchunk = v->len ? v->len : 1;
    for (size_t chunk = 1; chunk <= maxchunk; chunk++) {
        size_t nsizes = v->len / chunk + 1;
        size_t *sizes = malloc(nsizes * sizeof *sizes);
        assert_non_null(sizes);
        for (size_t k = 0; k < nsizes; k++) {
            sizes[k] = chunk;
        }
        run_pieces(v, sizes, nsizes, &r);
        check_run(v, &r, "in chunks of", chunk);
        rec_free(&r.rec);
        free(sizes);
    }
    for (size_t split = 0; split <= v->len; split++) {
        run_pieces(v, &split, 1, &r);
        check_run(v, &r, "in two pieces split at", split);
        rec_free(&r.rec);
    }
}

static void test_valid_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_valid / sizeof s_valid[0]; i++) {
        check_vector(&s_valid[i]);
    }
}

static void test_error_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_errors / sizeof s_errors[0]; i++) {
        check_vector(&s_errors[i]);
    }
}

/* ---- generated vectors --------------------------------------------------------------- */

typedef struct {
    char buf[4096];
    size_t len;
} gbuf_t;

static void put(gbuf_t *g, const void *d, size_t n)
{
    assert_true(g->len + n <= sizeof g->buf);
    memcpy(g->buf + g->len, d, n);
    g->len += n;
}

static void puts_(gbuf_t *g, const char *s)
{
    put(g, s, strlen(s));
}

static void test_binary_every_byte(void **state)
{
    (void)state;
    static gbuf_t body, data;
    body.len = data.len = 0;
    for (int rep = 0; rep < 2; rep++) {
        for (int b = 0; b < 256; b++) {
            uint8_t c = (uint8_t)(rep ? 255 - b : b);
            put(&data, &c, 1);
        }
    }
    puts_(&data, "\r\n--XyZ\r\r\n--Xy\r\n--XyZ-\r\n--XyZ");
    put(&data, "\0\r", 2);
    puts_(&body, "--XyZ\r\n" FILE_HDR);
    put(&body, data.buf, data.len);
    puts_(&body, "\r\n--XyZ--\r\n");
    vec_t v = { "every byte value", "XyZ", body.buf, body.len, SOTA_MP_OK, 1,
                { { "file", "app.bin", "application/octet-stream", true, true,
                    data.buf, data.len } } };
    check_vector(&v);
}

/* A header block of exactly n bytes: one Content-Disposition line with a long filename. */
static void header_block_vector(size_t n, gbuf_t *body, char *filename, size_t fcap)
{
    const char *pre = "Content-Disposition: form-data; name=\"file\"; filename=\"";
    size_t flen = n - strlen(pre) - 3;      /* 3: closing quote and CRLF */
    assert_true(flen < fcap);
    memset(filename, 'f', flen);
    filename[flen] = '\0';
    body->len = 0;
    puts_(body, "--XyZ\r\n");
    puts_(body, pre);
    puts_(body, filename);
    puts_(body, "\"\r\n\r\nD\r\n--XyZ--");
}

static void test_header_block_limit(void **state)
{
    (void)state;
    static gbuf_t body;
    static char filename[SOTA_MP_HEADER_MAX + 1];

    header_block_vector(SOTA_MP_HEADER_MAX, &body, filename, sizeof filename);
    vec_t ok = { "header block of exactly SOTA_MP_HEADER_MAX bytes", "XyZ", body.buf,
                 body.len, SOTA_MP_OK, 1, { { "file", filename, NULL, true, true, S("D") } } };
    check_vector(&ok);

    header_block_vector(SOTA_MP_HEADER_MAX + 1, &body, filename, sizeof filename);
    vec_t bad = { "header block one byte over SOTA_MP_HEADER_MAX", "XyZ", body.buf,
                  body.len, SOTA_MP_ERR_HEADER_TOO_LONG, 0, { { 0 } } };
    check_vector(&bad);

    /* The limit counts the whole block, not one line: two lines of 256 bytes fit, plus
     * one byte does not. */
    for (int extra = 0; extra <= 1; extra++) {
        body.len = 0;
        char line[300];
        const char *cd = "Content-Disposition: form-data; name=\"file\"";
        size_t pad = 256 - strlen(cd) - 2;
        snprintf(line, sizeof line, "%s%*s\r\n", cd, (int)pad, "");
        puts_(&body, "--XyZ\r\n");
        puts_(&body, line);
        pad = 256 - strlen("X-Pad: ") - 2 + (size_t)extra;
        memset(line, 'p', pad);
        line[pad] = '\0';
        puts_(&body, "X-Pad: ");
        puts_(&body, line);
        puts_(&body, "\r\n\r\nD\r\n--XyZ--");
        vec_t v = { extra ? "two header lines, 513 bytes" : "two header lines, 512 bytes",
                    "XyZ", body.buf, body.len,
                    extra ? SOTA_MP_ERR_HEADER_TOO_LONG : SOTA_MP_OK, extra ? 0 : 1,
                    { { "file", NULL, NULL, true, true, S("D") } } };
        check_vector(&v);
    }
}

static void test_preamble_limit(void **state)
{
    (void)state;
    static gbuf_t body;
    for (size_t n = SOTA_MP_PREAMBLE_MAX - 1; n <= SOTA_MP_PREAMBLE_MAX + 1; n++) {
        body.len = 0;
        for (size_t i = 0; i < n; i++) {
            put(&body, (i % 50 == 49) ? "\r" : "p", 1);  /* CRs make partial matches */
        }
        puts_(&body, "\r\n--XyZ\r\n" FILE_HDR "D\r\n--XyZ--");
        bool over = n > SOTA_MP_PREAMBLE_MAX;
        vec_t v = { "preamble around SOTA_MP_PREAMBLE_MAX", "XyZ", body.buf, body.len,
                    over ? SOTA_MP_ERR_NO_DELIMITER : SOTA_MP_OK, over ? 0 : 1,
                    { { "file", "app.bin", "application/octet-stream", true, true,
                        S("D") } } };
        check_vector(&v);
    }
    /* Garbage longer than the limit is rejected while feeding, not only at the end. */
    sota_mp_t p;
    static uint8_t junk[SOTA_MP_PREAMBLE_MAX + 1];
    memset(junk, 0xE9, sizeof junk);
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, junk, SOTA_MP_PREAMBLE_MAX, NULL), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, junk, 1, NULL), SOTA_MP_ERR_NO_DELIMITER);
}

static void test_boundary_length_70_71(void **state)
{
    (void)state;
    static gbuf_t body;
    char b[SOTA_MP_BOUNDARY_MAX + 2];
    for (size_t n = SOTA_MP_BOUNDARY_MAX; n <= SOTA_MP_BOUNDARY_MAX + 1; n++) {
        for (size_t i = 0; i < n; i++) {
            b[i] = (char)('a' + i % 26);
        }
        b[n] = '\0';
        /* From the Content-Type header... */
        char ct[200], out[SOTA_MP_BOUNDARY_MAX + 1];
        snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b);
        bool ok = n <= SOTA_MP_BOUNDARY_MAX;
        assert_int_equal(sota_mp_boundary(ct, out, sizeof out),
                         ok ? SOTA_MP_OK : SOTA_MP_ERR_BOUNDARY_LONG);
        snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", b);
        assert_int_equal(sota_mp_boundary(ct, out, sizeof out),
                         ok ? SOTA_MP_OK : SOTA_MP_ERR_BOUNDARY_LONG);
        if (ok) {
            assert_string_equal(out, b);
        }
        /* ...and for the parser. */
        sota_mp_t p;
        if (!ok) {
            assert_int_equal(sota_mp_init(&p, b), SOTA_MP_ERR_BOUNDARY_LONG);
            assert_int_equal(sota_mp_feed(&p, "x", 1, NULL), SOTA_MP_ERR_BOUNDARY_LONG);
            assert_int_equal(sota_mp_finish(&p), SOTA_MP_ERR_BOUNDARY_LONG);
            continue;
        }
        body.len = 0;
        puts_(&body, "--");
        puts_(&body, b);
        puts_(&body, "\r\n" FILE_HDR "\r\n--");
        put(&body, b, n - 1);               /* one byte short: data */
        puts_(&body, "\r\n--");
        puts_(&body, b);
        puts_(&body, "--");
        vec_t v = { "boundary of 70 characters", b, body.buf, body.len, SOTA_MP_OK, 1,
                    { { "file", "app.bin", "application/octet-stream", true, true,
                        body.buf + 2 + n + 2 + strlen(FILE_HDR), 2 + 2 + n - 1 } } };
        check_vector(&v);
    }
}

/* ---- Content-Type -------------------------------------------------------------------- */

static void test_boundary_from_content_type(void **state)
{
    (void)state;
    static const struct {
        const char *ct;
        sota_mp_err_t err;
        const char *boundary;
    } t[] = {
        { "multipart/form-data; boundary=" CURL_B, SOTA_MP_OK, CURL_B },
        { "multipart/form-data; boundary=" WEBKIT_B, SOTA_MP_OK, WEBKIT_B },
        { "Multipart/Form-Data;BOUNDARY=abc", SOTA_MP_OK, "abc" },
        { "  multipart/form-data ; boundary = abc ; ", SOTA_MP_OK, "abc" },
        { "multipart/form-data;\tcharset=utf-8; boundary=\"a b:c\"; x=\"y;z\"", SOTA_MP_OK,
          "a b:c" },
        { "multipart/form-data; x=\"boundary=no\"; boundary=yes", SOTA_MP_OK, "yes" },
        { "multipart/form-data; boundary=\"a\\bc\"", SOTA_MP_OK, "abc" },
        { "multipart/form-data;; boundary=abc;", SOTA_MP_OK, "abc" },
        { "multipart/form-data; boundary='()+_,-./:=?", SOTA_MP_OK, "'()+_,-./:=?" },
        { "multipart/mixed; boundary=abc", SOTA_MP_ERR_NOT_FORM_DATA, NULL },
        { "application/octet-stream", SOTA_MP_ERR_NOT_FORM_DATA, NULL },
        { "multipart/form-datax; boundary=abc", SOTA_MP_ERR_NOT_FORM_DATA, NULL },
        { "multipart/form", SOTA_MP_ERR_NOT_FORM_DATA, NULL },
        { "", SOTA_MP_ERR_NOT_FORM_DATA, NULL },
        { "multipart/form-data", SOTA_MP_ERR_NO_BOUNDARY, NULL },
        { "multipart/form-data; charset=utf-8", SOTA_MP_ERR_NO_BOUNDARY, NULL },
        { "multipart/form-data; boundaryx=abc", SOTA_MP_ERR_NO_BOUNDARY, NULL },
        { "multipart/form-data; boundary=", SOTA_MP_ERR_BOUNDARY_EMPTY, NULL },
        { "multipart/form-data; boundary=\"\"", SOTA_MP_ERR_BOUNDARY_EMPTY, NULL },
        { "multipart/form-data; boundary=\"abc \"", SOTA_MP_ERR_BOUNDARY_CHARS, NULL },
        { "multipart/form-data; boundary=ab{c", SOTA_MP_ERR_BOUNDARY_CHARS, NULL },
        { "multipart/form-data; boundary=\"a\\\"b\"", SOTA_MP_ERR_BOUNDARY_CHARS, NULL },
        { "multipart/form-data; boundary=\"a\tb\"", SOTA_MP_ERR_BOUNDARY_CHARS, NULL },
        { "multipart/form-data; boundary=\"abc", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data; boundary=\"abc\\", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data; boundary=abc; boundary=def", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data; boundary", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data x; boundary=abc", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data; boundary=abc def", SOTA_MP_ERR_CONTENT_TYPE, NULL },
        { "multipart/form-data; =abc", SOTA_MP_ERR_CONTENT_TYPE, NULL },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[SOTA_MP_BOUNDARY_MAX + 1];
        memset(out, 'Q', sizeof out);
        sota_mp_err_t err = sota_mp_boundary(t[i].ct, out, sizeof out);
        if (err != t[i].err) {
            fail_msg("\"%s\": %d (%s), expected %d", t[i].ct, err, sota_mp_strerror(err),
                     t[i].err);
        }
        if (t[i].boundary != NULL) {
            assert_string_equal(out, t[i].boundary);
        }
    }
    /* The output buffer: exactly strlen + 1 fits, one less does not. */
    char out[4];
    assert_int_equal(sota_mp_boundary("multipart/form-data; boundary=abc", out, 4), SOTA_MP_OK);
    assert_string_equal(out, "abc");
    assert_int_equal(sota_mp_boundary("multipart/form-data; boundary=abc", out, 3),
                     SOTA_MP_ERR_ARG);
    assert_int_equal(sota_mp_boundary(NULL, out, 4), SOTA_MP_ERR_ARG);
    assert_int_equal(sota_mp_boundary("multipart/form-data; boundary=a", NULL, 4),
                     SOTA_MP_ERR_ARG);
}

static void test_check_boundary(void **state)
{
    (void)state;
    static const struct {
        const char *b;
        sota_mp_err_t err;
    } t[] = {
        { "a", SOTA_MP_OK },
        { " a", SOTA_MP_OK },
        { "a a", SOTA_MP_OK },
        { "a ", SOTA_MP_ERR_BOUNDARY_CHARS },
        { "", SOTA_MP_ERR_BOUNDARY_EMPTY },
        { "a\r", SOTA_MP_ERR_BOUNDARY_CHARS },
        { "a\nb", SOTA_MP_ERR_BOUNDARY_CHARS },
        { "a\"b", SOTA_MP_ERR_BOUNDARY_CHARS },
        { "a;b", SOTA_MP_ERR_BOUNDARY_CHARS },
        { "\xC3\xA9", SOTA_MP_ERR_BOUNDARY_CHARS },
        { NULL, SOTA_MP_ERR_ARG },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sota_mp_t p;
        assert_int_equal(sota_mp_init(&p, t[i].b), t[i].err);
    }
    assert_int_equal(sota_mp_init(NULL, "a"), SOTA_MP_ERR_ARG);
}

/* ---- callbacks and API edges --------------------------------------------------------- */

static void test_callback_abort(void **state)
{
    (void)state;
    static const char body[] = "--XyZ\r\n" FILE_HDR "0123456789\r\n--XyZ--";
    for (size_t chunk = 1; chunk < sizeof body; chunk++) {
        sota_mp_t p;
        rec_t rec;
        memset(&rec, 0, sizeof rec);
        rec.abort_after = 5;
        sota_mp_callbacks_t cb = { on_begin, on_data, on_end, &rec };
        assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
        sota_mp_err_t err = SOTA_MP_OK;
        for (size_t off = 0; off < sizeof body - 1 && err == SOTA_MP_OK; off += chunk) {
            size_t n = sizeof body - 1 - off < chunk ? sizeof body - 1 - off : chunk;
            err = sota_mp_feed(&p, body + off, n, &cb);
        }
        assert_int_equal(err, SOTA_MP_ERR_ABORTED);
        assert_int_equal(p.cb_rc, 7);
        assert_int_equal(sota_mp_finish(&p), SOTA_MP_ERR_ABORTED);
        assert_true(rec.total_data >= 5);
        assert_true(rec.total_data <= 10);
        assert_int_equal(rec.nparts, 1);
        assert_false(rec.parts[0].ended);
        rec_free(&rec);
    }
}

static int begin_abort(void *ctx, const sota_mp_part_t *part)
{
    (void)ctx;
    return part->is_file ? -5 : 0;
}

static int end_abort(void *ctx)
{
    (void)ctx;
    return 9;
}

static void test_callbacks_optional_and_abort_points(void **state)
{
    (void)state;
    static const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n"
                               "--XyZ\r\n" FILE_HDR "0123\r\n--XyZ--";
    sota_mp_t p;
    /* No callbacks at all: parses to the end. */
    sota_mp_callbacks_t none = { NULL, NULL, NULL, NULL };
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, body, sizeof body - 1, &none), SOTA_MP_OK);
    assert_int_equal(sota_mp_finish(&p), SOTA_MP_OK);
    assert_int_equal(p.parts, 2);
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, body, sizeof body - 1, NULL), SOTA_MP_OK);
    assert_int_equal(sota_mp_finish(&p), SOTA_MP_OK);
    /* on_part_begin refusing the file part. */
    sota_mp_callbacks_t b = { begin_abort, NULL, NULL, NULL };
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, body, sizeof body - 1, &b), SOTA_MP_ERR_ABORTED);
    assert_int_equal(p.cb_rc, -5);
    /* on_part_end refusing the first part. */
    sota_mp_callbacks_t e = { NULL, NULL, end_abort, NULL };
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, body, sizeof body - 1, &e), SOTA_MP_ERR_ABORTED);
    assert_int_equal(p.cb_rc, 9);
    assert_int_equal(p.parts, 1);
}

static void test_api_edges(void **state)
{
    (void)state;
    sota_mp_t p;
    assert_int_equal(sota_mp_feed(NULL, "x", 1, NULL), SOTA_MP_ERR_ARG);
    assert_int_equal(sota_mp_finish(NULL), SOTA_MP_ERR_ARG);
    assert_int_equal(sota_mp_init(&p, "XyZ"), SOTA_MP_OK);
    assert_int_equal(sota_mp_feed(&p, NULL, 1, NULL), SOTA_MP_ERR_ARG);
    /* A caller error does not poison the parser. */
    assert_int_equal(sota_mp_feed(&p, "--XyZ--", 7, NULL), SOTA_MP_OK);
    assert_int_equal(sota_mp_finish(&p), SOTA_MP_OK);
    /* The parser is bounded: no member grows with the input. */
    assert_true(sizeof(sota_mp_t) < SOTA_MP_HEADER_MAX + 128);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int i = 0; i < SOTA_MP_ERR__COUNT; i++) {
        const char *m = sota_mp_strerror((sota_mp_err_t)i);
        assert_non_null(m);
        assert_true(strlen(m) > 1);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(m, sota_mp_strerror((sota_mp_err_t)j));
        }
    }
    assert_non_null(strstr(sota_mp_strerror(SOTA_MP_ERR_TRUNCATED), "cut off"));
    assert_non_null(strstr(sota_mp_strerror(SOTA_MP_ERR_BOUNDARY_LONG), "70"));
    assert_non_null(sota_mp_strerror((sota_mp_err_t)99));
    assert_non_null(sota_mp_strerror((sota_mp_err_t)-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_bodies),
        cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_binary_every_byte),
        cmocka_unit_test(test_header_block_limit),
        cmocka_unit_test(test_preamble_limit),
        cmocka_unit_test(test_boundary_length_70_71),
        cmocka_unit_test(test_boundary_from_content_type),
        cmocka_unit_test(test_check_boundary),
        cmocka_unit_test(test_callback_abort),
        cmocka_unit_test(test_callbacks_optional_and_abort_points),
        cmocka_unit_test(test_api_edges),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
