/* Public-key signature seam over whichever Mbed TLS the build has (see sota_pk.h).
 *   2.x: legacy rsa/ecdsa API, mbedtls_rsa_init(ctx, padding, hash)   (Debian 12: 2.28)
 *   3.x: legacy rsa/ecdsa API, mbedtls_rsa_init(ctx) + set_padding     (ESP-IDF 5.x)
 *   4.x: PSA only: psa_import_key + psa_verify_hash                    (ESP-IDF master) */
#include "sota_pk.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <mbedtls/version.h>

#if !defined(MBEDTLS_VERSION_MAJOR)
#error "mbedtls/version.h did not define MBEDTLS_VERSION_MAJOR"
#endif

/* A P-256 public key as SEC1 wants it: 0x04 (uncompressed), X, Y. */
#define P256_POINT_LEN (1 + 2 * SOTA_PK_P256_LEN)

static void p256_point(const uint8_t x[SOTA_PK_P256_LEN], const uint8_t y[SOTA_PK_P256_LEN],
                       uint8_t point[P256_POINT_LEN])
{
    point[0] = 0x04;
    memcpy(point + 1, x, SOTA_PK_P256_LEN);
    memcpy(point + 1 + SOTA_PK_P256_LEN, y, SOTA_PK_P256_LEN);
}

#if MBEDTLS_VERSION_MAJOR >= 4

#include <psa/crypto.h>

/* DER length field. */
static size_t der_len(uint8_t *out, size_t len)
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        out[0] = 0x81;
        out[1] = (uint8_t)len;
        return 2;
    }
    out[0] = 0x82;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    return 3;
}

/* DER INTEGER of a big-endian unsigned number (leading zeros dropped, a 0x00 added
 * when the top bit is set so that it stays positive). */
static size_t der_uint(uint8_t *out, const uint8_t *num, size_t len)
{
    while (len > 1 && num[0] == 0) {
        num++;
        len--;
    }
    bool pad = (num[0] & 0x80) != 0;
    size_t n = 0;
    out[n++] = 0x02;
    n += der_len(out + n, len + (pad ? 1 : 0));
    if (pad) {
        out[n++] = 0x00;
    }
    memcpy(out + n, num, len);
    return n + len;
}

static sota_pk_err_t psa_check(psa_key_type_t type, size_t bits, psa_algorithm_t alg,
                               const uint8_t *key, size_t key_len, const uint8_t *hash,
                               const uint8_t *sig, size_t sig_len)
{
    /* psa_crypto_init() may be called any number of times; ESP-IDF calls it at boot. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        return SOTA_PK_ERR;
    }
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attr, type);
    psa_set_key_bits(&attr, bits);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&attr, alg);
    mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
    psa_status_t st = psa_import_key(&attr, key, key_len, &id);
    psa_reset_key_attributes(&attr);
    if (st == PSA_ERROR_INSUFFICIENT_MEMORY) {
        return SOTA_PK_ERR;
    }
    if (st != PSA_SUCCESS) {
        return SOTA_PK_BAD_KEY;
    }
    st = psa_verify_hash(id, alg, hash, SOTA_PK_HASH_LEN, sig, sig_len);
    psa_destroy_key(id);
    if (st == PSA_SUCCESS) {
        return SOTA_PK_OK;
    }
    return st == PSA_ERROR_INSUFFICIENT_MEMORY ? SOTA_PK_ERR : SOTA_PK_BAD_SIGNATURE;
}

sota_pk_err_t sota_pk_verify_rsa3072_pss(const uint8_t n[SOTA_PK_RSA3072_LEN], uint32_t e,
                                         const uint8_t hash[SOTA_PK_HASH_LEN],
                                         const uint8_t sig[SOTA_PK_RSA3072_LEN])
{
    if (!(n[0] & 0x80)) {
        return SOTA_PK_BAD_KEY; /* not a full 3072-bit modulus */
    }
    /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
    const uint8_t e_be[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e };
    uint8_t body[SOTA_PK_RSA3072_LEN + 16];
    size_t blen = der_uint(body, n, SOTA_PK_RSA3072_LEN);
    blen += der_uint(body + blen, e_be, sizeof e_be);
    uint8_t der[sizeof body + 4];
    size_t dlen = 0;
    der[dlen++] = 0x30;
    dlen += der_len(der + dlen, blen);
    memcpy(der + dlen, body, blen);
    dlen += blen;
    return psa_check(PSA_KEY_TYPE_RSA_PUBLIC_KEY, 3072, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), der, dlen,
                     hash, sig, SOTA_PK_RSA3072_LEN);
}

sota_pk_err_t sota_pk_verify_p256(const uint8_t x[SOTA_PK_P256_LEN], const uint8_t y[SOTA_PK_P256_LEN],
                                  const uint8_t hash[SOTA_PK_HASH_LEN],
                                  const uint8_t r[SOTA_PK_P256_LEN], const uint8_t s[SOTA_PK_P256_LEN])
{
    uint8_t point[P256_POINT_LEN];
    p256_point(x, y, point);
    uint8_t rs[2 * SOTA_PK_P256_LEN];
    memcpy(rs, r, SOTA_PK_P256_LEN);
    memcpy(rs + SOTA_PK_P256_LEN, s, SOTA_PK_P256_LEN);
    return psa_check(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 256, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
                     point, sizeof point, hash, rs, sizeof rs);
}

#else /* Mbed TLS 2.x / 3.x */

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>

/* A low-level "out of memory" inside a combined Mbed TLS error code. */
static bool alloc_failed(int rc)
{
    int low = -(-rc & 0x7F);
    return low == MBEDTLS_ERR_MPI_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED;
}

sota_pk_err_t sota_pk_verify_rsa3072_pss(const uint8_t n[SOTA_PK_RSA3072_LEN], uint32_t e,
                                         const uint8_t hash[SOTA_PK_HASH_LEN],
                                         const uint8_t sig[SOTA_PK_RSA3072_LEN])
{
    const uint8_t e_be[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e };
    mbedtls_rsa_context rsa;
    sota_pk_err_t res = SOTA_PK_BAD_KEY;
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_rsa_init(&rsa);
    if (mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256) != 0) {
        mbedtls_rsa_free(&rsa);
        return SOTA_PK_ERR;
    }
#else
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#endif
    int rc = mbedtls_rsa_import_raw(&rsa, n, SOTA_PK_RSA3072_LEN, NULL, 0, NULL, 0, NULL, 0, e_be, sizeof e_be);
    if (rc == 0) {
        rc = mbedtls_rsa_complete(&rsa);
    }
    if (rc == 0) {
        rc = mbedtls_rsa_check_pubkey(&rsa);
    }
    if (rc != 0 || mbedtls_rsa_get_len(&rsa) != SOTA_PK_RSA3072_LEN) {
        res = alloc_failed(rc) ? SOTA_PK_ERR : SOTA_PK_BAD_KEY;
        goto out;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, MBEDTLS_MD_SHA256, SOTA_PK_HASH_LEN, hash, MBEDTLS_MD_SHA256,
                                           SOTA_PK_HASH_LEN, sig);
#else
    rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                           SOTA_PK_HASH_LEN, hash, MBEDTLS_MD_SHA256, SOTA_PK_HASH_LEN, sig);
#endif
    if (rc == 0) {
        res = SOTA_PK_OK;
    } else {
        res = alloc_failed(rc) ? SOTA_PK_ERR : SOTA_PK_BAD_SIGNATURE;
    }
out:
    mbedtls_rsa_free(&rsa);
    return res;
}

sota_pk_err_t sota_pk_verify_p256(const uint8_t x[SOTA_PK_P256_LEN], const uint8_t y[SOTA_PK_P256_LEN],
                                  const uint8_t hash[SOTA_PK_HASH_LEN],
                                  const uint8_t r[SOTA_PK_P256_LEN], const uint8_t s[SOTA_PK_P256_LEN])
{
    uint8_t point[P256_POINT_LEN];
    p256_point(x, y, point);

    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi mr, ms;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&mr);
    mbedtls_mpi_init(&ms);
    sota_pk_err_t res;
    int rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (rc != 0) {
        res = SOTA_PK_ERR;
    } else if (mbedtls_ecp_point_read_binary(&grp, &q, point, sizeof point) != 0 ||
               mbedtls_ecp_check_pubkey(&grp, &q) != 0) {
        res = SOTA_PK_BAD_KEY;
    } else if (mbedtls_mpi_read_binary(&mr, r, SOTA_PK_P256_LEN) != 0 ||
               mbedtls_mpi_read_binary(&ms, s, SOTA_PK_P256_LEN) != 0) {
        res = SOTA_PK_ERR;
    } else {
        /* r and s outside 1..n-1 are refused here as a failed verification */
        rc = mbedtls_ecdsa_verify(&grp, hash, SOTA_PK_HASH_LEN, &q, &mr, &ms);
        res = rc == 0 ? SOTA_PK_OK : alloc_failed(rc) ? SOTA_PK_ERR : SOTA_PK_BAD_SIGNATURE;
    }
    mbedtls_mpi_free(&ms);
    mbedtls_mpi_free(&mr);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return res;
}

#endif
