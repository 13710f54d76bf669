/* SHA-256 seam over whichever Mbed TLS the build has (see sota_sha256.h).
 *   2.x: mbedtls_sha256_*_ret()               (Debian 12 ships 2.28)
 *   3.x: mbedtls_sha256_*() returning int     (ESP-IDF 5.x)
 *   4.x: PSA psa_hash_*(), no legacy API      (ESP-IDF master) */
#include "sota_sha256.h"

#include <mbedtls/version.h>

#if !defined(MBEDTLS_VERSION_MAJOR)
#error "mbedtls/version.h did not define MBEDTLS_VERSION_MAJOR"
#endif

#if MBEDTLS_VERSION_MAJOR >= 4
#include <psa/crypto.h>
typedef psa_hash_operation_t sota_sha256_impl_t;
#else
#include <mbedtls/sha256.h>
typedef mbedtls_sha256_context sota_sha256_impl_t;
#endif

_Static_assert(sizeof(sota_sha256_impl_t) <= sizeof(((sota_sha256_t *)0)->u.bytes),
               "sota_sha256_t is too small for this Mbed TLS: enlarge its bytes[]");
_Static_assert(_Alignof(sota_sha256_impl_t) <= _Alignof(sota_sha256_t),
               "sota_sha256_t is not aligned enough for this Mbed TLS");

static sota_sha256_impl_t *impl(sota_sha256_t *ctx)
{
    return (sota_sha256_impl_t *)(void *)ctx->u.bytes;
}

#if MBEDTLS_VERSION_MAJOR >= 4

int sota_sha256_start(sota_sha256_t *ctx)
{
    /* psa_crypto_init() may be called any number of times; ESP-IDF calls it at boot. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        return -1;
    }
    *impl(ctx) = psa_hash_operation_init();
    return psa_hash_setup(impl(ctx), PSA_ALG_SHA_256) == PSA_SUCCESS ? 0 : -1;
}

int sota_sha256_update(sota_sha256_t *ctx, const void *data, size_t len)
{
    if (len == 0) {
        return 0;
    }
    return psa_hash_update(impl(ctx), data, len) == PSA_SUCCESS ? 0 : -1;
}

int sota_sha256_finish(sota_sha256_t *ctx, uint8_t out[SOTA_SHA256_LEN])
{
    size_t got = 0;
    psa_status_t st = psa_hash_finish(impl(ctx), out, SOTA_SHA256_LEN, &got);
    sota_sha256_free(ctx);
    return (st == PSA_SUCCESS && got == SOTA_SHA256_LEN) ? 0 : -1;
}

void sota_sha256_free(sota_sha256_t *ctx)
{
    /* Aborting an aborted or finished operation is allowed and does nothing. */
    (void)psa_hash_abort(impl(ctx));
}

#else /* Mbed TLS 2.x / 3.x */

#if MBEDTLS_VERSION_MAJOR >= 3
#define SOTA_SHA_STARTS mbedtls_sha256_starts
#define SOTA_SHA_UPDATE mbedtls_sha256_update
#define SOTA_SHA_FINISH mbedtls_sha256_finish
#else
#define SOTA_SHA_STARTS mbedtls_sha256_starts_ret
#define SOTA_SHA_UPDATE mbedtls_sha256_update_ret
#define SOTA_SHA_FINISH mbedtls_sha256_finish_ret
#endif

int sota_sha256_start(sota_sha256_t *ctx)
{
    mbedtls_sha256_init(impl(ctx));
    return SOTA_SHA_STARTS(impl(ctx), 0 /* SHA-256, not SHA-224 */) == 0 ? 0 : -1;
}

int sota_sha256_update(sota_sha256_t *ctx, const void *data, size_t len)
{
    if (len == 0) {
        return 0;
    }
    return SOTA_SHA_UPDATE(impl(ctx), data, len) == 0 ? 0 : -1;
}

int sota_sha256_finish(sota_sha256_t *ctx, uint8_t out[SOTA_SHA256_LEN])
{
    int rc = SOTA_SHA_FINISH(impl(ctx), out);
    sota_sha256_free(ctx);
    return rc == 0 ? 0 : -1;
}

void sota_sha256_free(sota_sha256_t *ctx)
{
    /* mbedtls_sha256_free() zeroes the context, so a second call is harmless. */
    mbedtls_sha256_free(impl(ctx));
}

#endif
