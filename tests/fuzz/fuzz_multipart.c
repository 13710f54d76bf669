/* libFuzzer target: the multipart/form-data parser (core/sota_multipart.h).
 *
 * Input: byte 0 is the boundary length (mod 72, so 0 and 71 occur: both invalid), then
 * that many boundary bytes, then one byte that seeds the piece sizes (bit 7: a callback
 * stops the parser at the part given by bits 4-6), then the body.
 * The body is parsed twice, in one piece and in pieces of varying sizes; the two runs
 * must give the same result and the same callbacks with the same bytes. Callbacks must
 * follow the contract (data only inside a part, n >= 1, begin/end paired, one file part).
 * The whole input is also parsed as a Content-Type value by sota_mp_boundary(), and a
 * boundary sota_mp_init() accepts must come back unchanged from a
 * Content-Type built with it (token and quoted forms). */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sota_multipart.h"

/* Everything the callbacks saw, in order, as bytes. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool in_part;
    bool file_seen;
    uint32_t parts;
    int stop_at;             /* return non-zero from on_part_begin of this part, -1 never */
} trace_t;

static void put(trace_t *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n) {
            cap *= 2;
        }
        uint8_t *b = realloc(t->buf, cap);
        if (!b) {
            abort();
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

static void put_str(trace_t *t, const char *tag, const char *s)
{
    put(t, tag, strlen(tag));
    if (s) {
        put(t, s, strlen(s) + 1);
    } else {
        put(t, "(null)", 7);
    }
}

static int on_begin(void *ctx, const sota_mp_part_t *part)
{
    trace_t *t = ctx;
    FUZZ_CHECK(!t->in_part, "part %u began inside another part", (unsigned)part->index);
    FUZZ_CHECK(part->name != NULL, "part %u without a name string", (unsigned)part->index);
    FUZZ_CHECK(part->index == t->parts, "part index %u, expected %u", (unsigned)part->index,
               (unsigned)t->parts);
    FUZZ_CHECK(!(part->is_file && t->file_seen), "a second file part (index %u)",
               (unsigned)part->index);
    t->file_seen |= part->is_file;
    t->in_part = true;
    t->parts++;
    put_str(t, "\n[begin name=", part->name);
    put_str(t, " filename=", part->filename);
    put_str(t, " type=", part->content_type);
    put(t, part->is_file ? "F" : "-", 1);
    if (t->stop_at >= 0 && part->index == (uint32_t)t->stop_at) {
        return 7;
    }
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t n)
{
    trace_t *t = ctx;
    FUZZ_CHECK(t->in_part, "data outside a part");
    FUZZ_CHECK(n >= 1 && data != NULL, "data callback with n=%zu", n);
    put(t, data, n);
    return 0;
}

static int on_end(void *ctx)
{
    trace_t *t = ctx;
    FUZZ_CHECK(t->in_part, "end without a part");
    t->in_part = false;
    put(t, "[end]", 5);
    return 0;
}

static sota_mp_err_t run(const char *boundary, const uint8_t *body, size_t n, size_t seed,
                         bool pieces, trace_t *t, uint32_t *parts)
{
    static sota_mp_t p;
    const sota_mp_callbacks_t cb = { on_begin, on_data, on_end, t };
    sota_mp_err_t init = sota_mp_init(&p, boundary);
    sota_mp_err_t err = init;
    fuzz_rng_t rng = { seed };
    for (size_t off = 0; off < n;) {
        size_t k = pieces ? fuzz_piece(&rng, n - off) : n - off;
        /* an exact-size copy of each piece: ASan sees reads past it */
        uint8_t *piece = fuzz_dup(body + off, k);
        sota_mp_err_t e = sota_mp_feed(&p, piece, k, &cb);
        free(piece);
        off += k;
        FUZZ_CHECK(err == SOTA_MP_OK || e == err, "error %s not sticky: then %s",
                   sota_mp_strerror(err), sota_mp_strerror(e));
        err = e;
    }
    sota_mp_err_t zero = sota_mp_feed(&p, NULL, 0, &cb);
    FUZZ_CHECK(zero == err, "an empty feed changed the result");
    sota_mp_err_t fin = sota_mp_finish(&p);
    FUZZ_CHECK((unsigned)fin < SOTA_MP_ERR__COUNT, "result %d out of range", (int)fin);
    FUZZ_CHECK(err == SOTA_MP_OK || fin == err, "finish %d after feed error %d", (int)fin,
               (int)err);
    FUZZ_CHECK(init == SOTA_MP_OK || fin == init, "finish %d after init error %d", (int)fin,
               (int)init);
    if (fin == SOTA_MP_OK) {
        FUZZ_CHECK(!t->in_part, "finish ok inside a part");
    }
    if (fin == SOTA_MP_ERR_ABORTED) {
        FUZZ_CHECK(p.cb_rc == 7, "aborted with cb_rc %d", p.cb_rc);
    }
    const char *msg = sota_mp_strerror(fin);
    FUZZ_CHECK(msg && msg[0], "no message for %d", (int)fin);
    *parts = p.parts;
    return fin;
}

static void check_content_type(const uint8_t *data, size_t size)
{
    char *ct = fuzz_strdup(data, size);
    char out[SOTA_MP_BOUNDARY_MAX + 1];
    sota_mp_err_t e = sota_mp_boundary(ct, out, sizeof out);
    FUZZ_CHECK((unsigned)e < SOTA_MP_ERR__COUNT, "result %d out of range", (int)e);
    FUZZ_CHECK(sota_mp_strerror(e)[0] != '\0', "no message for %d", (int)e);
    if (e == SOTA_MP_OK) {
        size_t bl = strnlen(out, sizeof out);
        FUZZ_CHECK(bl >= 1 && bl <= SOTA_MP_BOUNDARY_MAX, "boundary of %zu bytes accepted", bl);
        sota_mp_t q;
        FUZZ_CHECK(sota_mp_init(&q, out) == SOTA_MP_OK,
                   "boundary '%s' from '%s' fails the boundary check", out, ct);
        /* too small an output buffer is an error, never an overflow */
        char *tight = malloc(bl);
        FUZZ_CHECK(tight != NULL, "out of memory");
        FUZZ_CHECK(sota_mp_boundary(ct, tight, bl) == SOTA_MP_ERR_ARG,
                   "boundary of %zu bytes written to a %zu-byte buffer", bl, bl);
        free(tight);
    }
    free(ct);
}

/* A valid boundary survives a Content-Type round trip. */
static void check_roundtrip(const char *boundary)
{
    sota_mp_t q;
    if (sota_mp_init(&q, boundary) != SOTA_MP_OK) {
        return;
    }
    char ct[160], out[SOTA_MP_BOUNDARY_MAX + 1];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", boundary);
    sota_mp_err_t e = sota_mp_boundary(ct, out, sizeof out);
    FUZZ_CHECK(e == SOTA_MP_OK && strcmp(out, boundary) == 0,
               "quoted boundary '%s' came back as %s '%s'", boundary, sota_mp_strerror(e),
               e == SOTA_MP_OK ? out : "");
    /* unquoted only when it is an HTTP token (RFC 9110 tchar) */
    if (strpbrk(boundary, "()<>@,;:\\\"/[]?={} \t") == NULL) {
        snprintf(ct, sizeof ct, "Multipart/Form-Data ; charset=utf-8;BOUNDARY=%s", boundary);
        e = sota_mp_boundary(ct, out, sizeof out);
        FUZZ_CHECK(e == SOTA_MP_OK && strcmp(out, boundary) == 0,
                   "token boundary '%s' came back as %s '%s'", boundary, sota_mp_strerror(e),
                   e == SOTA_MP_OK ? out : "");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_content_type(data, size);

    fuzz_in_t in = { data, size };
    size_t blen = fuzz_u8(&in) % 72u;
    if (blen > in.n) {
        blen = in.n;
    }
    char *boundary = fuzz_strdup(in.p, blen);
    in.p += blen;
    in.n -= blen;
    uint8_t seed = fuzz_u8(&in);
    check_roundtrip(boundary);

    trace_t one = { .stop_at = -1 }, many = { .stop_at = -1 };
    if (seed & 0x80) {
        one.stop_at = many.stop_at = (seed >> 4) & 7;
    }
    uint32_t parts_one = 0, parts_many = 0;
    sota_mp_err_t e1 = run(boundary, in.p, in.n, seed, false, &one, &parts_one);
    sota_mp_err_t e2 = run(boundary, in.p, in.n, seed, true, &many, &parts_many);
    FUZZ_CHECK(e1 == e2, "boundary '%s': one piece %s, in pieces %s", boundary,
               sota_mp_strerror(e1), sota_mp_strerror(e2));
    FUZZ_CHECK(parts_one == parts_many, "%u parts in one piece, %u in pieces",
               (unsigned)parts_one, (unsigned)parts_many);
    FUZZ_CHECK(one.len == many.len && (one.len == 0 || memcmp(one.buf, many.buf, one.len) == 0),
               "callbacks differ between one piece (%zu bytes of trace) and pieces (%zu)",
               one.len, many.len);
    free(one.buf);
    free(many.buf);
    free(boundary);
    return 0;
}
