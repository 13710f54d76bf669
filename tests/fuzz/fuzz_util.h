/* Helpers shared by the libFuzzer targets in tests/fuzz (header only, test code).
 *
 * FUZZ_CHECK(cond, ...) states a property the code under test must have for every input:
 * when it does not hold, it prints why and traps, so libFuzzer saves the input as a
 * crash artifact (replay: ./fuzz_<name> crash-<sha1>). The inputs are split into fields
 * with fuzz_in_t, which never reads past the end (missing bytes read as 0). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                         \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, \
                    #cond);                                                           \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            __builtin_trap();                                                         \
        }                                                                             \
    } while (0)

/* The libFuzzer entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A cursor over the input. */
typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_in_t;

static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in_t *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

/* Deterministic piece sizes for chunked feeding (splitmix64 on a seed from the input). */
typedef struct {
    uint64_t s;
} fuzz_rng_t;

static inline uint64_t fuzz_rng_next(fuzz_rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A piece size in 1..max: mostly small and boundary-ish sizes, sometimes large. */
static inline size_t fuzz_piece(fuzz_rng_t *r, size_t max)
{
    static const size_t sizes[] = { 1, 2, 3, 4, 7, 8, 16, 23, 24, 25, 64, 127, 128, 129,
                                    255, 256, 1000, 4095, 4096, 4097, 4352, 4353, 8192 };
    uint64_t x = fuzz_rng_next(r);
    size_t n = (x & 1) ? sizes[(x >> 1) % (sizeof sizes / sizeof sizes[0])]
                       : 1 + (size_t)((x >> 8) % 300);
    if (n > max) {
        n = max;
    }
    return n ? n : 1;
}

/* An exact-size heap copy, so that ASan sees any read past len (len 0: a 1-byte
 * allocation that must not be read). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (!d) {
        abort();
    }
    if (len) {
        memcpy(d, p, len);
    }
    return d;
}

/* A NUL-terminated heap copy. */
static inline char *fuzz_strdup(const uint8_t *p, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) {
        abort();
    }
    if (len) {
        memcpy(s, p, len);
    }
    s[len] = '\0';
    return s;
}

#endif
