/* Test fixture: a whole file in memory (test data under SOTA_TESTDATA, or a file a test
 * wrote). Header-only, for the cmocka tests of tests/unit: include after cmocka.h, since
 * a file that cannot be read fails the running test.
 *
 * Two shapes of the same thing:
 *  - fx_read_file / fx_read_testdata: the bytes, with the length through *len;
 *  - fx_load / fx_load_testdata: the bytes and the length together (fx_blob_t).
 * In both, the buffer is malloc'd with one byte more than the file, set to '\0', so a
 * text file can be used as a C string; the caller owns it (free, or fx_free). */
#ifndef FIXTURE_FILES_H
#define FIXTURE_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Copy the string src into the char array dst (a field of a row read from a test-data
 * file); a value that does not fit fails the running test instead of being cut short
 * (and compilers at -O2 see the length is checked: no -Wformat-truncation). */
#define FX_COPY_FIELD(dst, src) fx_copy_field((dst), sizeof(dst), (src), #dst)
static inline void fx_copy_field(char *dst, size_t size, const char *src, const char *what)
{
    int n = snprintf(dst, size, "%s", src);
    if (n < 0 || (size_t)n >= size) {
        fail_msg("test data: %s '%.40s...' is longer than its %zu-byte field", what, src, size - 1);
    }
}

typedef struct {
    uint8_t *data; /* malloc'd, len + 1 bytes, data[len] == '\0' */
    size_t len;
} fx_blob_t;

/* The whole file at path. Returns the bytes (caller frees) and, if len is not NULL, the
 * file's size in *len. Fails the running test, naming the path, if the file cannot be
 * opened, sized or read completely; never returns NULL. */
static inline uint8_t *fx_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fail_msg("short read of %s (%ld bytes)", path, n);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = (size_t)n;
    }
    return buf;
}

/* SOTA_TESTDATA/<dir>/<name>, as fx_read_file. */
static inline uint8_t *fx_read_testdata(const char *dir, const char *name, size_t *len)
{
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s/%s", SOTA_TESTDATA, dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    return fx_read_file(path, len);
}

/* The whole file at path, as fx_read_file; release with fx_free. */
static inline fx_blob_t fx_load(const char *path)
{
    fx_blob_t b;
    b.data = fx_read_file(path, &b.len);
    return b;
}

/* SOTA_TESTDATA/<dir>/<name>, as fx_load. */
static inline fx_blob_t fx_load_testdata(const char *dir, const char *name)
{
    fx_blob_t b;
    b.data = fx_read_testdata(dir, name, &b.len);
    return b;
}

/* Free a blob's bytes and empty it (safe to call twice). */
static inline void fx_free(fx_blob_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

#endif
