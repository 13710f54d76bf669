/* SHA-256 seam of the portable core. One implementation (sota_sha256.c) maps it onto
 * whichever Mbed TLS the build has: 2.x (Debian 12), 3.x (ESP-IDF 5.x) or the PSA API
 * of 4.x (ESP-IDF master). Nothing else in core/ touches Mbed TLS. */
#ifndef SOTA_SHA256_H
#define SOTA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SOTA_SHA256_LEN 32

/* Opaque storage big enough for any of the back-ends; aligned for 64-bit members. */
typedef struct {
    union {
        uint64_t align;
        unsigned char bytes[256];
    } u;
} sota_sha256_t;

/* Start a new digest. Returns 0, or -1 if the back-end failed (never on the host). */
int sota_sha256_start(sota_sha256_t *ctx);
/* Add len bytes. data may be NULL when len is 0. */
int sota_sha256_update(sota_sha256_t *ctx, const void *data, size_t len);
/* Write the digest to out and release the context. */
int sota_sha256_finish(sota_sha256_t *ctx, uint8_t out[SOTA_SHA256_LEN]);
/* Release a context that will not be finished (after an error). Safe to call twice. */
void sota_sha256_free(sota_sha256_t *ctx);

#endif
