/* Secure Boot V2 signature blocks: see sota_sig.h for the format and the contract. */
#include "sota_sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sota_crc32.h"
#include "sota_pk.h"
#include "sota_sha256.h"
#include "sota_le.h"
#include "sota_text.h"

/* Field offsets inside one block. */
#define OFF_MAGIC       0
#define OFF_VERSION     1
#define OFF_ECDSA_HASH  2
#define OFF_DIGEST      4
#define OFF_RSA_N       36
#define OFF_RSA_E       420
#define OFF_RSA_SIG     812
#define RSA_KEY_LEN     776    /* n, e, rinv, m' */
#define ECDSA_HASH_SHA256 0
#define ECDSA_HASH_SHA384 1
#define CURVE_P192      1
#define CURVE_P256      2
#define CURVE_P384      3
/* ECDSA blocks: after the digest come the curve id, the point (x, y) and (r, s). */
#define ECDSA_POINT_LEN_256  64
#define ECDSA_POINT_LEN_384  96

uint32_t sota_sig_signed_len(uint32_t image_len)
{
    return (uint32_t)(((uint64_t)image_len + SOTA_SIG_SECTOR_LEN - 1) / SOTA_SIG_SECTOR_LEN * SOTA_SIG_SECTOR_LEN);
}

/* Copy len little-endian bytes as big-endian. */
static void reverse(uint8_t *dst, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        dst[i] = src[len - 1 - i];
    }
}

bool sota_sig_block_parse(const uint8_t *raw, sota_sig_block_t *out)
{
    if (raw[OFF_MAGIC] != SOTA_SIG_MAGIC) {
        return false;
    }
    sota_sig_block_t b;
    memset(&b, 0, sizeof b);
    size_t key_off, key_len;
    if (raw[OFF_VERSION] == SOTA_SIG_VERSION_RSA) {
        b.scheme = SOTA_SIG_RSA3072;
        b.image_digest_len = SOTA_SIG_DIGEST_LEN;
        key_off = OFF_RSA_N;
        key_len = RSA_KEY_LEN;
    } else if (raw[OFF_VERSION] == SOTA_SIG_VERSION_ECDSA) {
        uint8_t hash = raw[OFF_ECDSA_HASH];
        if (hash == ECDSA_HASH_SHA256) {
            b.image_digest_len = SOTA_SIG_DIGEST_LEN;
            key_off = OFF_DIGEST + 32;
            key_len = 1 + ECDSA_POINT_LEN_256;
            uint8_t curve = raw[key_off];
            if (curve == CURVE_P256) {
                b.scheme = SOTA_SIG_ECDSA_P256;
            } else if (curve == CURVE_P192) {
                b.scheme = SOTA_SIG_ECDSA_P192;
            } else {
                return false;
            }
        } else if (hash == ECDSA_HASH_SHA384) {
            b.image_digest_len = 48;
            key_off = OFF_DIGEST + 48;
            key_len = 1 + ECDSA_POINT_LEN_384;
            if (raw[key_off] != CURVE_P384) {
                return false;
            }
            b.scheme = SOTA_SIG_ECDSA_P384;
        } else {
            return false;
        }
    } else {
        return false;
    }
    if (sota_rd32(raw + SOTA_SIG_CRC_LEN) != sota_crc32_le(0, raw, SOTA_SIG_CRC_LEN)) {
        return false;
    }
    b.image_digest = raw + OFF_DIGEST;
    sota_sha256_t h;
    if (sota_sha256_start(&h) != 0 || sota_sha256_update(&h, raw + key_off, key_len) != 0 ||
        sota_sha256_finish(&h, b.key_digest) != 0) {
        sota_sha256_free(&h);
        return false;
    }
    *out = b;
    return true;
}

/* The cryptographic check of one trusted block over the image digest. */
static sota_sig_err_t check_crypto(const uint8_t *raw, const sota_sig_block_t *b, const uint8_t *digest)
{
    sota_pk_err_t pe;
    if (b->scheme == SOTA_SIG_RSA3072) {
        uint8_t n[SOTA_PK_RSA3072_LEN], sig[SOTA_PK_RSA3072_LEN];
        reverse(n, raw + OFF_RSA_N, sizeof n);
        reverse(sig, raw + OFF_RSA_SIG, sizeof sig);
        pe = sota_pk_verify_rsa3072_pss(n, sota_rd32(raw + OFF_RSA_E), digest, sig);
    } else {
        const uint8_t *pt = raw + OFF_DIGEST + 32 + 1;
        const uint8_t *rs = pt + ECDSA_POINT_LEN_256;
        uint8_t x[SOTA_PK_P256_LEN], y[SOTA_PK_P256_LEN], r[SOTA_PK_P256_LEN], s[SOTA_PK_P256_LEN];
        reverse(x, pt, sizeof x);
        reverse(y, pt + SOTA_PK_P256_LEN, sizeof y);
        reverse(r, rs, sizeof r);
        reverse(s, rs + SOTA_PK_P256_LEN, sizeof s);
        pe = sota_pk_verify_p256(x, y, digest, r, s);
    }
    switch (pe) {
    case SOTA_PK_OK: return SOTA_SIG_OK;
    case SOTA_PK_BAD_SIGNATURE: return SOTA_SIG_ERR_SIGNATURE;
    case SOTA_PK_BAD_KEY: return SOTA_SIG_ERR_BAD_KEY;
    case SOTA_PK_ERR: return SOTA_SIG_ERR_INTERNAL;
    }
    return SOTA_SIG_ERR_INTERNAL;
}

static bool is_trusted(const uint8_t *kd, const sota_sig_key_t *trusted, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(kd, trusted[i].d, SOTA_SIG_DIGEST_LEN) == 0) {
            return true;
        }
    }
    return false;
}

static void short_hex(const uint8_t *d, char out[17])
{
    for (int i = 0; i < 8; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void set_message(sota_sig_result_t *res, const sota_sig_key_t *trusted, size_t n_trusted)
{
    const char *scheme = sota_sig_scheme_name(res->scheme);
    char got[17] = "", want[17] = "";
    if (res->block >= 0) {
        short_hex(res->key_digest, got);
    }
    if (n_trusted) {
        short_hex(trusted[0].d, want);
    }
    switch (res->err) {
    case SOTA_SIG_OK:
        snprintf(res->msg, sizeof res->msg, "signature block %d (%s) verified with trusted key %s...",
                 res->block, scheme, got);
        break;
    case SOTA_SIG_ERR_UNSIGNED:
        snprintf(res->msg, sizeof res->msg,
                 "the app is not signed: there is no valid Secure Boot V2 signature block after it. "
                 "Sign it with espsecure.py sign_data --version 2 --keyfile KEY.pem, or build it with "
                 "CONFIG_SECURE_BOOT_BUILD_SIGNED_BINARIES");
        break;
    case SOTA_SIG_ERR_UNTRUSTED:
        snprintf(res->msg, sizeof res->msg,
                 "the app is signed (%s) by a key this device does not trust (key digest %s..., "
                 "trusted %s...): sign it with the device's signing key",
                 scheme, got, want);
        break;
    case SOTA_SIG_ERR_SCHEME:
        snprintf(res->msg, sizeof res->msg,
                 "the app is signed with %s, which this updater does not verify: sign it with an "
                 "RSA-3072 or ECDSA P-256 key", scheme);
        break;
    case SOTA_SIG_ERR_DIGEST:
        snprintf(res->msg, sizeof res->msg,
                 "the app was changed after it was signed (its SHA-256 differs from the one in "
                 "signature block %d): build and sign it again", res->block);
        break;
    case SOTA_SIG_ERR_BAD_KEY:
        snprintf(res->msg, sizeof res->msg,
                 "the public key in signature block %d is not a valid %s key: sign the app again",
                 res->block, scheme);
        break;
    case SOTA_SIG_ERR_SIGNATURE:
        snprintf(res->msg, sizeof res->msg,
                 "the %s signature in block %d does not verify: the signature block is corrupt or "
                 "forged; sign the app again", scheme, res->block);
        break;
    case SOTA_SIG_ERR_READ:
        snprintf(res->msg, sizeof res->msg,
                 "the app could not be read back to check its signature: try again");
        break;
    case SOTA_SIG_ERR_NO_TRUST:
        snprintf(res->msg, sizeof res->msg,
                 "no trusted signing key is configured, so no signed app can be accepted: set the "
                 "key digest (espsecure.py digest_sbv2_public_key) in the updater's configuration");
        break;
    case SOTA_SIG_ERR_INTERNAL:
        snprintf(res->msg, sizeof res->msg,
                 "out of memory or a crypto failure while checking the signature: try again");
        break;
    }
}

static void result_init(sota_sig_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->block = -1;
}

sota_sig_err_t sota_sig_check_sector(const uint8_t *sector, const uint8_t image_digest[SOTA_SIG_DIGEST_LEN],
                                     const sota_sig_key_t *trusted, size_t n_trusted,
                                     sota_sig_result_t *res)
{
    result_init(res);
    if (!trusted || n_trusted == 0) {
        res->err = SOTA_SIG_ERR_NO_TRUST;
        set_message(res, trusted, 0);
        return res->err;
    }
    /* rank of the failure kept so far: 0 unsigned, 1 untrusted, 2 a trusted block failed */
    int rank = 0;
    res->err = SOTA_SIG_ERR_UNSIGNED;
    for (unsigned i = 0; i < SOTA_SIG_MAX_BLOCKS; i++) {
        const uint8_t *raw = sector + i * SOTA_SIG_BLOCK_LEN;
        sota_sig_block_t b;
        if (!sota_sig_block_parse(raw, &b)) {
            continue;
        }
        sota_sig_err_t e;
        int r;
        if (!is_trusted(b.key_digest, trusted, n_trusted)) {
            e = SOTA_SIG_ERR_UNTRUSTED;
            r = 1;
        } else if (b.scheme == SOTA_SIG_ECDSA_P192 || b.scheme == SOTA_SIG_ECDSA_P384) {
            e = SOTA_SIG_ERR_SCHEME;
            r = 2;
        } else if (memcmp(b.image_digest, image_digest, SOTA_SIG_DIGEST_LEN) != 0) {
            e = SOTA_SIG_ERR_DIGEST;
            r = 2;
        } else {
            e = check_crypto(raw, &b, image_digest);
            r = 2;
        }
        if (e == SOTA_SIG_OK || r > rank) {
            rank = r;
            res->err = e;
            res->block = (int)i;
            res->scheme = b.scheme;
            memcpy(res->key_digest, b.key_digest, sizeof res->key_digest);
        }
        if (e == SOTA_SIG_OK) {
            break;
        }
    }
    set_message(res, trusted, n_trusted);
    return res->err;
}

sota_sig_err_t sota_sig_verify_from(sota_sig_read_fn read, void *ctx, uint32_t signed_len,
                                    const sota_sig_key_t *trusted, size_t n_trusted,
                                    sota_sig_result_t *res)
{
    result_init(res);
    uint8_t *buf = NULL;
    sota_sha256_t h;
    bool hashing = false;
    uint8_t digest[SOTA_SIG_DIGEST_LEN];
    if (!read || signed_len % SOTA_SIG_SECTOR_LEN != 0 || (buf = malloc(SOTA_SIG_SECTOR_LEN)) == NULL) {
        res->err = SOTA_SIG_ERR_INTERNAL;
        goto out;
    }
    if (sota_sha256_start(&h) != 0) {
        res->err = SOTA_SIG_ERR_INTERNAL;
        goto out;
    }
    hashing = true;
    for (uint32_t off = 0; off < signed_len; off += SOTA_SIG_SECTOR_LEN) {
        if (read(ctx, off, buf, SOTA_SIG_SECTOR_LEN) != 0) {
            res->err = SOTA_SIG_ERR_READ;
            goto out;
        }
        if (sota_sha256_update(&h, buf, SOTA_SIG_SECTOR_LEN) != 0) {
            res->err = SOTA_SIG_ERR_INTERNAL;
            goto out;
        }
    }
    hashing = false;
    if (sota_sha256_finish(&h, digest) != 0) {
        res->err = SOTA_SIG_ERR_INTERNAL;
        goto out;
    }
    if (read(ctx, signed_len, buf, SOTA_SIG_SECTOR_LEN) != 0) {
        res->err = SOTA_SIG_ERR_READ;
        goto out;
    }
    sota_sig_check_sector(buf, digest, trusted, n_trusted, res);
    free(buf);
    return res->err;
out:
    if (hashing) {
        sota_sha256_free(&h);
    }
    free(buf);
    set_message(res, trusted, n_trusted);
    return res->err;
}

bool sota_sig_sector_key(const uint8_t *sector, sota_sig_key_t *out)
{
    for (unsigned i = 0; i < SOTA_SIG_MAX_BLOCKS; i++) {
        sota_sig_block_t b;
        if (sota_sig_block_parse(sector + i * SOTA_SIG_BLOCK_LEN, &b)) {
            memcpy(out->d, b.key_digest, sizeof out->d);
            return true;
        }
    }
    return false;
}

bool sota_sig_key_from_hex(const char *hex, sota_sig_key_t *out)
{
    if (!hex || strlen(hex) != 2 * SOTA_SIG_DIGEST_LEN) {
        return false;
    }
    sota_sig_key_t k;
    for (size_t i = 0; i < SOTA_SIG_DIGEST_LEN; i++) {
        int hi = sota_text_hex(hex[2 * i]), lo = sota_text_hex(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        k.d[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = k;
    return true;
}

void sota_sig_key_to_hex(const sota_sig_key_t *key, char out[2 * SOTA_SIG_DIGEST_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < SOTA_SIG_DIGEST_LEN; i++) {
        out[2 * i] = digits[key->d[i] >> 4];
        out[2 * i + 1] = digits[key->d[i] & 15];
    }
    out[2 * SOTA_SIG_DIGEST_LEN] = '\0';
}

const char *sota_sig_scheme_name(sota_sig_scheme_t scheme)
{
    switch (scheme) {
    case SOTA_SIG_RSA3072: return "RSA-3072";
    case SOTA_SIG_ECDSA_P192: return "ECDSA P-192";
    case SOTA_SIG_ECDSA_P256: return "ECDSA P-256";
    case SOTA_SIG_ECDSA_P384: return "ECDSA P-384";
    }
    return "unknown scheme";
}

const char *sota_sig_err_code(sota_sig_err_t err)
{
    switch (err) {
    case SOTA_SIG_OK: return "ok";
    case SOTA_SIG_ERR_UNSIGNED: return "unsigned";
    case SOTA_SIG_ERR_UNTRUSTED: return "untrusted_key";
    case SOTA_SIG_ERR_SCHEME: return "unsupported_scheme";
    case SOTA_SIG_ERR_DIGEST: return "digest_mismatch";
    case SOTA_SIG_ERR_BAD_KEY: return "bad_key";
    case SOTA_SIG_ERR_SIGNATURE: return "bad_signature";
    case SOTA_SIG_ERR_READ: return "read_failed";
    case SOTA_SIG_ERR_NO_TRUST: return "no_trusted_key";
    case SOTA_SIG_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}
