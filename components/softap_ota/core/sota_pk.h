/* Public-key signature seam of the portable core. One implementation (sota_pk.c) maps it
 * onto whichever Mbed TLS the build has: 2.x (Debian 12), 3.x (ESP-IDF 5.x) or the PSA
 * API of 4.x (ESP-IDF master), as sota_sha256.c does for hashing. Only sota_sig.c uses
 * it; nothing else in core/ touches Mbed TLS for signatures.
 *
 * Every number here is big-endian (the order of the standards). The Secure Boot V2
 * signature block stores little-endian numbers; sota_sig.c swaps them. */
#ifndef SOTA_PK_H
#define SOTA_PK_H

#include <stdint.h>

#define SOTA_PK_RSA3072_LEN   384   /* modulus and signature bytes */
#define SOTA_PK_P256_LEN      32    /* one coordinate, r or s */
#define SOTA_PK_HASH_LEN      32    /* SHA-256 */

typedef enum {
    SOTA_PK_OK = 0,          /* the signature is valid for this key and hash */
    SOTA_PK_BAD_SIGNATURE,   /* well-formed key, but the signature does not verify */
    SOTA_PK_BAD_KEY,         /* the public key is malformed (not a 3072-bit RSA modulus
                                with a valid exponent, or not a point on P-256) */
    SOTA_PK_ERR,             /* out of memory or the crypto back-end failed */
} sota_pk_err_t;

/* RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (what espsecure signs with),
 * over a precomputed SHA-256 `hash`. n: the 3072-bit modulus; e: the public exponent;
 * sig: the 384-byte signature. */
sota_pk_err_t sota_pk_verify_rsa3072_pss(const uint8_t n[SOTA_PK_RSA3072_LEN], uint32_t e,
                                         const uint8_t hash[SOTA_PK_HASH_LEN],
                                         const uint8_t sig[SOTA_PK_RSA3072_LEN]);

/* ECDSA on NIST P-256 over a precomputed SHA-256 `hash`. x, y: the public point; r, s:
 * the signature. */
sota_pk_err_t sota_pk_verify_p256(const uint8_t x[SOTA_PK_P256_LEN], const uint8_t y[SOTA_PK_P256_LEN],
                                  const uint8_t hash[SOTA_PK_HASH_LEN],
                                  const uint8_t r[SOTA_PK_P256_LEN], const uint8_t s[SOTA_PK_P256_LEN]);

#endif
