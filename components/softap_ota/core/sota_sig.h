/* Secure Boot V2 signatures of app images (ESP-IDF bootloader_support, espsecure
 * sign_data --version 2), checked as ESP-IDF checks them on an OTA update.
 *
 * Layout of a signed app (ESP-FORMATS.md 3): the image (header, segments, checksum,
 * appended SHA-256; elf2image --secure-pad-v2 pads it to a 64 KiB boundary), then 0xFF up
 * to the next 4 KiB boundary ("signed length"), then one 4 KiB signature sector holding up
 * to three 1216-byte signature blocks followed by 0xFF:
 *
 *   block  0 magic 0xE7 | 1 version (2: RSA-3072 PSS, 3: ECDSA) | 2 ECDSA hash (0: SHA-256,
 *          1: SHA-384) | 3 reserved | 4.. image digest (32 bytes, 48 for SHA-384)
 *   RSA:   36 n (384, little-endian) | 420 e (u32) | 424 rinv (384) | 808 m' (u32)
 *          | 812 signature (384, little-endian)
 *   ECDSA: 36 curve (1: P-192, 2: P-256, 3: P-384) | 37 x, y (little-endian, 32 bytes each
 *          for P-256, padded to 64) | 101 r, s (little-endian) | (SHA-384 blocks: all 16
 *          bytes later)
 *   1196   CRC-32 (zlib) of bytes 0..1195 | 1200 16 bytes of padding
 *
 * The image digest is the SHA-256 of the signed length of the image. The key digest (what
 * the device's eFuse holds, espsecure digest_sbv2_public_key) is the SHA-256 of the public
 * key as stored: bytes 36..811 (RSA) or 36..100 (ECDSA P-256). A block counts only if
 * its magic, version and CRC are right; the image is accepted if one block is signed by
 * a trusted key and its signature verifies over the image digest.
 *
 * RSA-3072 and ECDSA P-256 are verified (sota_pk.h). P-192 and P-384 blocks are
 * recognised and refused (SOTA_SIG_ERR_SCHEME): the core has no SHA-384. */
#ifndef SOTA_SIG_H
#define SOTA_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOTA_SIG_SECTOR_LEN   4096u  /* the signature sector, 4 KiB aligned */
#define SOTA_SIG_BLOCK_LEN    1216u  /* one signature block */
#define SOTA_SIG_CRC_LEN      1196u  /* bytes covered by the block's CRC-32 */
#define SOTA_SIG_MAX_BLOCKS   3u     /* blocks a sector can hold (ESP-IDF checks up to 3) */
#define SOTA_SIG_MAX_KEYS     3u     /* trusted key digests (eFuse holds up to 3) */
#define SOTA_SIG_DIGEST_LEN   32u    /* SHA-256 */
#define SOTA_SIG_MAGIC        0xE7
#define SOTA_SIG_VERSION_RSA   0x02
#define SOTA_SIG_VERSION_ECDSA 0x03

typedef enum {
    SOTA_SIG_RSA3072,
    SOTA_SIG_ECDSA_P192,
    SOTA_SIG_ECDSA_P256,
    SOTA_SIG_ECDSA_P384,
} sota_sig_scheme_t;

/* One valid block, decoded. Pointers point into the caller's block bytes. */
typedef struct {
    sota_sig_scheme_t scheme;
    const uint8_t *image_digest;     /* the digest the signer saw */
    size_t image_digest_len;         /* 32, or 48 for SHA-384 */
    uint8_t key_digest[SOTA_SIG_DIGEST_LEN]; /* SHA-256 of the stored public key */
} sota_sig_block_t;

/* A trusted public key: the SHA-256 digest of its stored form (eFuse contents). */
typedef struct {
    uint8_t d[SOTA_SIG_DIGEST_LEN];
} sota_sig_key_t;

typedef enum {
    SOTA_SIG_OK = 0,
    SOTA_SIG_ERR_UNSIGNED,     /* no valid signature block where the sector must be */
    SOTA_SIG_ERR_UNTRUSTED,    /* signed, but by no trusted key */
    SOTA_SIG_ERR_SCHEME,       /* signed by a trusted key with P-192/P-384: not verified here */
    SOTA_SIG_ERR_DIGEST,       /* the image differs from what was signed */
    SOTA_SIG_ERR_BAD_KEY,      /* the block's public key is malformed */
    SOTA_SIG_ERR_SIGNATURE,    /* the signature does not verify with the block's key */
    SOTA_SIG_ERR_READ,         /* the image or its sector could not be read */
    SOTA_SIG_ERR_NO_TRUST,     /* no trusted key was given: nothing can be accepted */
    SOTA_SIG_ERR_INTERNAL,     /* out of memory or the crypto back-end failed */
} sota_sig_err_t;

/* Outcome of a check, with a message a user can act on (never a secret: key digests
 * are digests of public keys). */
typedef struct {
    sota_sig_err_t err;
    int block;                       /* block that decided (0..2), -1 if none */
    sota_sig_scheme_t scheme;        /* its scheme (valid when block >= 0) */
    uint8_t key_digest[SOTA_SIG_DIGEST_LEN]; /* its key digest (valid when block >= 0) */
    char msg[300];
} sota_sig_result_t;

/* Reads len bytes at offset (from the start of the image); 0 on success. */
typedef int (*sota_sig_read_fn)(void *ctx, uint32_t offset, void *buf, size_t len);

/* Offset of the signature sector of an image of image_len bytes (checksum and appended
 * SHA-256 included): image_len rounded up to 4 KiB. The image digest covers
 * [0, signed length). */
uint32_t sota_sig_signed_len(uint32_t image_len);

/* Decode the SOTA_SIG_BLOCK_LEN bytes at raw. Returns false (out untouched) unless the
 * magic, version, hash type, curve and CRC-32 (zlib's: sota_crc32_le(0, ...)) are those of a valid block. */
bool sota_sig_block_parse(const uint8_t *raw, sota_sig_block_t *out);

/* Check a signature sector (SOTA_SIG_SECTOR_LEN bytes) against image_digest (SHA-256 of
 * the signed length) and the trusted keys. Fills *res (message included) and returns
 * res->err. The image is refused unless one block verifies (as ESP-IDF's Secure Boot
 * V2 check: any verifying block accepts it). When several blocks fail, the most telling
 * failure is reported: a trusted block's failure (SCHEME, DIGEST, BAD_KEY, SIGNATURE)
 * over UNTRUSTED, UNTRUSTED over UNSIGNED; between blocks that fail equally (the same
 * of those three ranks) the first, lowest-numbered block is reported (res->block). */
sota_sig_err_t sota_sig_check_sector(const uint8_t *sector, const uint8_t image_digest[SOTA_SIG_DIGEST_LEN],
                                     const sota_sig_key_t *trusted, size_t n_trusted,
                                     sota_sig_result_t *res);

/* Check a stored image: hash [0, signed_len) through read, read the sector at
 * signed_len, then as sota_sig_check_sector. signed_len must be a multiple of 4 KiB
 * (sota_sig_signed_len), else SOTA_SIG_ERR_INTERNAL. Uses 4 KiB of heap. */
sota_sig_err_t sota_sig_verify_from(sota_sig_read_fn read, void *ctx, uint32_t signed_len,
                                    const sota_sig_key_t *trusted, size_t n_trusted,
                                    sota_sig_result_t *res);

/* Key digest of the first valid block of a sector (to trust the key that signed the
 * running app, as ESP-IDF does without Secure Boot). Returns false if none. */
bool sota_sig_sector_key(const uint8_t *sector, sota_sig_key_t *out);

/* Parse 64 hex digits (upper or lower case, nothing else) into a key digest. Returns
 * false for anything else. */
bool sota_sig_key_from_hex(const char *hex, sota_sig_key_t *out);
/* Write the 64 lower-case hex digits and a NUL to out (65 bytes). */
void sota_sig_key_to_hex(const sota_sig_key_t *key, char out[2 * SOTA_SIG_DIGEST_LEN + 1]);

/* "RSA-3072", "ECDSA P-256"... Never NULL. */
const char *sota_sig_scheme_name(sota_sig_scheme_t scheme);
/* Short stable identifier of an error ("unsigned", "untrusted_key"...). Never NULL. */
const char *sota_sig_err_code(sota_sig_err_t err);

#endif
