/* Secure Boot V2 signature blocks (core/sota_sig, core/sota_pk): the images espsecure
 * signed (../shared/testdata/signed), every way a block can be wrong, the choice among
 * several blocks, and the helpers. Blocks signed here with other_ecdsa256.pem (Mbed TLS)
 * stand for "a valid signature by a key the device does not trust". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "fixture_files.h"
#include "sota_crc32.h"
#include "sota_sha256.h"
#include "sota_sig.h"

#define SIGNED_LEN 0x20000u   /* app_padded.bin: the image ends on a 64 KiB boundary */

static sota_sig_key_t key_file(const char *name)
{
    fx_blob_t f = fx_load_testdata("signed", name);
    assert_int_equal(f.len, SOTA_SIG_DIGEST_LEN);
    sota_sig_key_t k;
    memcpy(k.d, f.data, sizeof k.d);
    free(f.data);
    return k;
}

/* sota_sig_read_fn over a file in memory; beyond its end reads as erased flash. */
typedef struct {
    const fx_blob_t *f;
    int fail_at;      /* fail the read that starts at this offset, -1 never */
} mem_t;

static int mem_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const mem_t *m = ctx;
    if (m->fail_at >= 0 && off == (uint32_t)m->fail_at) {
        return -1;
    }
    memset(buf, 0xFF, len);
    if (off < m->f->len) {
        size_t n = m->f->len - off < len ? m->f->len - off : len;
        memcpy(buf, m->f->data + off, n);
    }
    return 0;
}

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    sota_sha256_t h;
    assert_int_equal(sota_sha256_start(&h), 0);
    assert_int_equal(sota_sha256_update(&h, d, n), 0);
    assert_int_equal(sota_sha256_finish(&h, out), 0);
}

static void fix_crc(uint8_t *blk)
{
    uint32_t c = sota_crc32_le(0, blk, SOTA_SIG_CRC_LEN);
    blk[1196] = (uint8_t)c;
    blk[1197] = (uint8_t)(c >> 8);
    blk[1198] = (uint8_t)(c >> 16);
    blk[1199] = (uint8_t)(c >> 24);
}

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
    uint32_t *s = ctx;
    for (size_t i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        out[i] = (unsigned char)*s;
    }
    return 0;
}

static void put_le(uint8_t *dst, const mbedtls_mpi *v, size_t len)
{
    uint8_t be[48];
    assert_int_equal(mbedtls_mpi_write_binary(v, be, len), 0);
    for (size_t i = 0; i < len; i++) {
        dst[i] = be[len - 1 - i];
    }
}

/* An ECDSA P-256 block over `digest`, signed with the private key in pem_name, as
 * espsecure lays it out. */
static void make_ecdsa_block(const char *pem_name, const uint8_t digest[32], uint8_t blk[SOTA_SIG_BLOCK_LEN])
{
    char path[512];
    snprintf(path, sizeof path, "%s/signed/%s", SOTA_TESTDATA, pem_name);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_parse_keyfile(&pk, path, NULL), 0);
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(pk);
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    uint32_t seed = 0x12345678;
    assert_int_equal(mbedtls_ecdsa_sign(&kp->grp, &r, &s, &kp->d, digest, 32, test_rng, &seed), 0);
    memset(blk, 0, SOTA_SIG_BLOCK_LEN);
    blk[0] = SOTA_SIG_MAGIC;
    blk[1] = SOTA_SIG_VERSION_ECDSA;
    memcpy(blk + 4, digest, 32);
    blk[36] = 2; /* P-256 */
    put_le(blk + 37, &kp->Q.X, 32);
    put_le(blk + 69, &kp->Q.Y, 32);
    put_le(blk + 101, &r, 32);
    put_le(blk + 133, &s, 32);
    fix_crc(blk);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_pk_free(&pk);
}

/* --- helpers ------------------------------------------------------------------- */

static void test_helpers(void **state)
{
    (void)state;
    /* CRC-32 check value of the standard */
    assert_int_equal(sota_crc32_le(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(sota_crc32_le(0, NULL, 0), 0);

    static const struct { uint32_t in, out; } lens[] = {
        { 0, 0 }, { 1, 4096 }, { 4095, 4096 }, { 4096, 4096 }, { 4097, 8192 },
        { 0x20000, 0x20000 }, { 0xFFFFF000u, 0xFFFFF000u },
    };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_int_equal(sota_sig_signed_len(lens[i].in), lens[i].out);
    }

    sota_sig_key_t k;
    const char *hex = "7BA524B6bf785ee800112233445566778899aabbccddeeff0123456789abcdef";
    assert_true(sota_sig_key_from_hex(hex, &k));
    assert_int_equal(k.d[0], 0x7b);
    assert_int_equal(k.d[31], 0xef);
    char back[65];
    sota_sig_key_to_hex(&k, back);
    assert_string_equal(back, "7ba524b6bf785ee800112233445566778899aabbccddeeff0123456789abcdef");
    static const char *const bad[] = {
        "", "7ba5", "7ba524b6bf785ee800112233445566778899aabbccddeeff0123456789abcde",   /* 63 */
        "7ba524b6bf785ee800112233445566778899aabbccddeeff0123456789abcdef0", /* 65 */
        "7ba524b6bf785ee800112233445566778899aabbccddeeff0123456789abcdeg",  /* not hex */
        " ba524b6bf785ee800112233445566778899aabbccddeeff0123456789abcdef",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        k.d[0] = 0x55;
        assert_false(sota_sig_key_from_hex(bad[i], &k));
        assert_int_equal(k.d[0], 0x55); /* untouched */
    }
    assert_false(sota_sig_key_from_hex(NULL, &k));

    for (int e = SOTA_SIG_OK; e <= SOTA_SIG_ERR_INTERNAL; e++) {
        assert_string_not_equal(sota_sig_err_code((sota_sig_err_t)e), "unknown");
    }
    assert_string_equal(sota_sig_scheme_name(SOTA_SIG_ECDSA_P256), "ECDSA P-256");
}

/* The blocks espsecure wrote: scheme and key digest as espsecure digest_sbv2_public_key
 * gives them. */
static void test_parse_testdata(void **state)
{
    (void)state;
    static const struct {
        const char *file, *digest;
        sota_sig_scheme_t scheme;
        size_t digest_len;
    } cases[] = {
        { "app_signed_rsa3072.bin", "digest_rsa3072.bin", SOTA_SIG_RSA3072, 32 },
        { "app_signed_ecdsa256.bin", "digest_ecdsa256.bin", SOTA_SIG_ECDSA_P256, 32 },
        { "app_signed_ecdsa384.bin", NULL, SOTA_SIG_ECDSA_P384, 48 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_blob_t f = fx_load_testdata("signed", cases[i].file);
        assert_int_equal(f.len, SIGNED_LEN + SOTA_SIG_SECTOR_LEN);
        const uint8_t *sector = f.data + SIGNED_LEN;
        sota_sig_block_t b;
        assert_true(sota_sig_block_parse(sector, &b));
        assert_int_equal(b.scheme, cases[i].scheme);
        assert_int_equal(b.image_digest_len, cases[i].digest_len);
        if (cases[i].digest) {
            sota_sig_key_t want = key_file(cases[i].digest);
            assert_memory_equal(b.key_digest, want.d, 32);
            uint8_t d[32];
            sha256(f.data, SIGNED_LEN, d);
            assert_memory_equal(b.image_digest, d, 32);
        }
        /* only one block: the rest of the sector is 0xFF padding */
        assert_false(sota_sig_block_parse(sector + SOTA_SIG_BLOCK_LEN, &b));
        sota_sig_key_t k;
        assert_true(sota_sig_sector_key(sector, &k));
        free(f.data);
    }
    /* an unsigned image has no block where the sector would be */
    uint8_t erased[SOTA_SIG_SECTOR_LEN];
    memset(erased, 0xFF, sizeof erased);
    sota_sig_key_t k;
    assert_false(sota_sig_sector_key(erased, &k));
}

/* Whole images from "flash", table-driven: file, trusted key, verdict. */
static void test_verify_files(void **state)
{
    (void)state;
    sota_sig_key_t rsa = key_file("digest_rsa3072.bin");
    sota_sig_key_t ec = key_file("digest_ecdsa256.bin");
    fx_blob_t p384 = fx_load_testdata("signed", "app_signed_ecdsa384.bin");
    sota_sig_block_t b384;
    assert_true(sota_sig_block_parse(p384.data + SIGNED_LEN, &b384));
    sota_sig_key_t k384;
    memcpy(k384.d, b384.key_digest, 32);
    free(p384.data);

    static const struct {
        const char *file;
        int key;              /* 0 rsa, 1 ecdsa, 2 p384, 3 both rsa and ecdsa, -1 none */
        sota_sig_err_t want;
        const char *in_msg;
    } cases[] = {
        { "app_signed_rsa3072.bin", 0, SOTA_SIG_OK, "RSA-3072" },
        { "app_signed_rsa3072.bin", 3, SOTA_SIG_OK, "RSA-3072" },
        { "app_signed_ecdsa256.bin", 1, SOTA_SIG_OK, "ECDSA P-256" },
        { "app_signed_ecdsa256.bin", 3, SOTA_SIG_OK, "ECDSA P-256" },
        { "app_signed_rsa3072.bin", 1, SOTA_SIG_ERR_UNTRUSTED, "does not trust" },
        { "app_signed_ecdsa256.bin", 0, SOTA_SIG_ERR_UNTRUSTED, "does not trust" },
        { "app_signed_ecdsa256_tampered.bin", 1, SOTA_SIG_ERR_DIGEST, "changed after it was signed" },
        { "app_signed_ecdsa384.bin", 2, SOTA_SIG_ERR_SCHEME, "P-384" },
        { "app_signed_ecdsa384.bin", 1, SOTA_SIG_ERR_UNTRUSTED, "does not trust" },
        { "app_padded.bin", 0, SOTA_SIG_ERR_UNSIGNED, "not signed" },
        { "app_signed_rsa3072.bin", -1, SOTA_SIG_ERR_NO_TRUST, "no trusted signing key" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_blob_t f = fx_load_testdata("signed", cases[i].file);
        mem_t m = { &f, -1 };
        sota_sig_key_t keys[2];
        size_t n = 0;
        switch (cases[i].key) {
        case 0: keys[n++] = rsa; break;
        case 1: keys[n++] = ec; break;
        case 2: keys[n++] = k384; break;
        case 3: keys[n++] = ec; keys[n++] = rsa; break;
        default: break;
        }
        sota_sig_result_t res;
        sota_sig_err_t e = sota_sig_verify_from(mem_read, &m, SIGNED_LEN, keys, n, &res);
        if (e != cases[i].want || !strstr(res.msg, cases[i].in_msg)) {
            fail_msg("case %zu %s: got %s (%s), want %s / '%s'", i, cases[i].file, sota_sig_err_code(e), res.msg,
                     sota_sig_err_code(cases[i].want), cases[i].in_msg);
        }
        assert_int_equal(res.err, e);
        if (e == SOTA_SIG_OK) {
            assert_int_equal(res.block, 0);
        }
        free(f.data);
    }
}

/* Read failures and bad arguments. */
static void test_verify_errors(void **state)
{
    (void)state;
    sota_sig_key_t rsa = key_file("digest_rsa3072.bin");
    fx_blob_t f = fx_load_testdata("signed", "app_signed_rsa3072.bin");
    sota_sig_result_t res;
    static const int fail_at[] = { 0, 0x1000, SIGNED_LEN - 0x1000, SIGNED_LEN };
    for (size_t i = 0; i < sizeof fail_at / sizeof fail_at[0]; i++) {
        mem_t m = { &f, fail_at[i] };
        assert_int_equal(sota_sig_verify_from(mem_read, &m, SIGNED_LEN, &rsa, 1, &res), SOTA_SIG_ERR_READ);
        assert_non_null(strstr(res.msg, "read back"));
    }
    mem_t m = { &f, -1 };
    /* signed length not a multiple of 4 KiB: a caller bug */
    assert_int_equal(sota_sig_verify_from(mem_read, &m, SIGNED_LEN - 1, &rsa, 1, &res), SOTA_SIG_ERR_INTERNAL);
    assert_int_equal(sota_sig_verify_from(NULL, &m, SIGNED_LEN, &rsa, 1, &res), SOTA_SIG_ERR_INTERNAL);
    /* the sector one 4 KiB too early or late is not a signature */
    assert_int_equal(sota_sig_verify_from(mem_read, &m, SIGNED_LEN - 0x1000, &rsa, 1, &res), SOTA_SIG_ERR_UNSIGNED);
    assert_int_equal(sota_sig_verify_from(mem_read, &m, SIGNED_LEN + 0x1000, &rsa, 1, &res), SOTA_SIG_ERR_UNSIGNED);
    free(f.data);
}

/* One block changed in one way (CRC fixed up unless said otherwise). */
typedef struct {
    const char *name;
    const char *file;       /* the signed image whose block is mutated */
    size_t off;             /* byte of the block */
    uint8_t xor_with;       /* 0: set to `value` instead */
    uint8_t value;
    bool fix_crc;
    bool trust_new_key;     /* trust the mutated block's key digest */
    sota_sig_err_t want;
} mut_t;

static void test_block_mutations(void **state)
{
    (void)state;
    static const mut_t cases[] = {
        { "magic", "app_signed_rsa3072.bin", 0, 0x01, 0, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "version 4", "app_signed_rsa3072.bin", 1, 0, 4, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "version 1", "app_signed_rsa3072.bin", 1, 0, 1, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "crc byte", "app_signed_rsa3072.bin", 1196, 0x80, 0, false, false, SOTA_SIG_ERR_UNSIGNED },
        { "covered byte, crc stale", "app_signed_rsa3072.bin", 900, 0x01, 0, false, false, SOTA_SIG_ERR_UNSIGNED },
        { "padding after crc", "app_signed_rsa3072.bin", 1210, 0xFF, 0, false, false, SOTA_SIG_OK },
        { "rsa digest field", "app_signed_rsa3072.bin", 10, 0x01, 0, true, false, SOTA_SIG_ERR_DIGEST },
        { "rsa signature lsb", "app_signed_rsa3072.bin", 812, 0x01, 0, true, false, SOTA_SIG_ERR_SIGNATURE },
        { "rsa signature msb", "app_signed_rsa3072.bin", 1195, 0x01, 0, true, false, SOTA_SIG_ERR_SIGNATURE },
        { "rsa modulus, untrusted", "app_signed_rsa3072.bin", 100, 0x01, 0, true, false, SOTA_SIG_ERR_UNTRUSTED },
        { "rsa modulus, trusted", "app_signed_rsa3072.bin", 100, 0x01, 0, true, true, SOTA_SIG_ERR_SIGNATURE },
        { "rsa modulus 3071 bits", "app_signed_rsa3072.bin", 36 + 383, 0, 0, true, true, SOTA_SIG_ERR_BAD_KEY },
        { "rsa exponent even", "app_signed_rsa3072.bin", 420, 0, 2, true, true, SOTA_SIG_ERR_BAD_KEY },
        { "rsa rinv (not used)", "app_signed_rsa3072.bin", 500, 0x01, 0, true, true, SOTA_SIG_OK },
        { "ecdsa hash type 2", "app_signed_ecdsa256.bin", 2, 0, 2, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "ecdsa curve 4", "app_signed_ecdsa256.bin", 36, 0, 4, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "ecdsa curve P-192", "app_signed_ecdsa256.bin", 36, 0, 1, true, true, SOTA_SIG_ERR_SCHEME },
        { "ecdsa curve P-384 with sha256", "app_signed_ecdsa256.bin", 36, 0, 3, true, false, SOTA_SIG_ERR_UNSIGNED },
        { "ecdsa point off the curve", "app_signed_ecdsa256.bin", 40, 0x01, 0, true, true, SOTA_SIG_ERR_BAD_KEY },
        { "ecdsa r", "app_signed_ecdsa256.bin", 101, 0x01, 0, true, false, SOTA_SIG_ERR_SIGNATURE },
        { "ecdsa s", "app_signed_ecdsa256.bin", 164, 0x80, 0, true, false, SOTA_SIG_ERR_SIGNATURE },
        { "ecdsa digest field", "app_signed_ecdsa256.bin", 35, 0x01, 0, true, false, SOTA_SIG_ERR_DIGEST },
        { "ecdsa unused tail", "app_signed_ecdsa256.bin", 600, 0x01, 0, true, false, SOTA_SIG_OK },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const mut_t *c = &cases[i];
        fx_blob_t f = fx_load_testdata("signed", c->file);
        bool is_rsa = strstr(c->file, "rsa") != NULL;
        sota_sig_key_t key = key_file(is_rsa ? "digest_rsa3072.bin" : "digest_ecdsa256.bin");
        uint8_t *blk = f.data + SIGNED_LEN;
        blk[c->off] = c->xor_with ? (uint8_t)(blk[c->off] ^ c->xor_with) : c->value;
        if (c->fix_crc) {
            fix_crc(blk);
        }
        if (c->trust_new_key) {
            sota_sig_block_t b;
            assert_true(sota_sig_block_parse(blk, &b));
            memcpy(key.d, b.key_digest, 32);
        }
        uint8_t digest[32];
        sha256(f.data, SIGNED_LEN, digest);
        sota_sig_result_t res;
        sota_sig_err_t e = sota_sig_check_sector(blk, digest, &key, 1, &res);
        if (e != c->want) {
            fail_msg("%s: got %s (%s), want %s", c->name, sota_sig_err_code(e), res.msg, sota_sig_err_code(c->want));
        }
        assert_true(strlen(res.msg) > 20);
        free(f.data);
    }
}

/* Several blocks: any one trusted and valid accepts; otherwise the most telling failure. */
static void test_multiple_blocks(void **state)
{
    (void)state;
    fx_blob_t rsa_f = fx_load_testdata("signed", "app_signed_rsa3072.bin");
    fx_blob_t ec_f = fx_load_testdata("signed", "app_signed_ecdsa256.bin");
    sota_sig_key_t rsa = key_file("digest_rsa3072.bin");
    sota_sig_key_t ec = key_file("digest_ecdsa256.bin");
    uint8_t digest[32];
    sha256(rsa_f.data, SIGNED_LEN, digest);
    const uint8_t *good_rsa = rsa_f.data + SIGNED_LEN;
    const uint8_t *good_ec = ec_f.data + SIGNED_LEN;
    uint8_t other[SOTA_SIG_BLOCK_LEN];   /* valid, by a key nobody trusts */
    make_ecdsa_block("other_ecdsa256.pem", digest, other);
    uint8_t bad_rsa[SOTA_SIG_BLOCK_LEN]; /* trusted key, broken signature */
    memcpy(bad_rsa, good_rsa, sizeof bad_rsa);
    bad_rsa[900] ^= 1;
    fix_crc(bad_rsa);
    uint8_t junk[SOTA_SIG_BLOCK_LEN];
    memset(junk, 0xFF, sizeof junk);
    uint8_t wrong_digest[32];
    memcpy(wrong_digest, digest, sizeof wrong_digest);
    wrong_digest[0] ^= 1;
    uint8_t other_ec[SOTA_SIG_BLOCK_LEN]; /* trusted key, signed another image */
    make_ecdsa_block("ecdsa256.pem", wrong_digest, other_ec);

    const uint8_t *const slots[][3] = {
        { junk, good_rsa, junk },    /* 0: valid in block 1 */
        { other, junk, good_ec },    /* 1: valid in block 2 after an untrusted one */
        { bad_rsa, good_ec, junk },  /* 2: a bad trusted block does not stop a good one */
        { other, junk, junk },       /* 3: only untrusted */
        { bad_rsa, other, junk },    /* 4: trusted failure wins over untrusted */
        { other, bad_rsa, junk },    /* 5: ... in either order */
        { junk, junk, junk },        /* 6: nothing */
        /* ties (two blocks fail equally): the first of them is reported */
        { bad_rsa, other_ec, junk }, /* 7: two trusted failures */
        { other_ec, bad_rsa, junk }, /* 8: ... the other way round */
        { junk, other, other },      /* 9: two untrusted */
    };
    static const struct {
        sota_sig_err_t err;
        int block;
    } want[] = {
        { SOTA_SIG_OK, 1 }, { SOTA_SIG_OK, 2 }, { SOTA_SIG_OK, 1 }, { SOTA_SIG_ERR_UNTRUSTED, 0 },
        { SOTA_SIG_ERR_SIGNATURE, 0 }, { SOTA_SIG_ERR_SIGNATURE, 1 }, { SOTA_SIG_ERR_UNSIGNED, -1 },
        { SOTA_SIG_ERR_SIGNATURE, 0 }, { SOTA_SIG_ERR_DIGEST, 0 }, { SOTA_SIG_ERR_UNTRUSTED, 1 },
    };
    sota_sig_key_t both[2] = { rsa, ec };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint8_t sector[SOTA_SIG_SECTOR_LEN];
        memset(sector, 0xFF, sizeof sector);
        for (int b = 0; b < 3; b++) {
            memcpy(sector + b * SOTA_SIG_BLOCK_LEN, slots[i][b], SOTA_SIG_BLOCK_LEN);
        }
        sota_sig_result_t res;
        sota_sig_err_t e = sota_sig_check_sector(sector, digest, both, 2, &res);
        if (e != want[i].err || res.block != want[i].block) {
            fail_msg("case %zu: got %s block %d (%s), want %s block %d", i, sota_sig_err_code(e), res.block,
                     res.msg, sota_sig_err_code(want[i].err), want[i].block);
        }
    }
    /* the block signed here verifies once its key is trusted */
    sota_sig_block_t ob;
    assert_true(sota_sig_block_parse(other, &ob));
    sota_sig_key_t ok;
    memcpy(ok.d, ob.key_digest, 32);
    uint8_t sector[SOTA_SIG_SECTOR_LEN];
    memset(sector, 0xFF, sizeof sector);
    memcpy(sector, other, sizeof other);
    sota_sig_result_t res;
    assert_int_equal(sota_sig_check_sector(sector, digest, &ok, 1, &res), SOTA_SIG_OK);
    /* the message of an untrusted key names both digests' prefixes, and nothing else */
    assert_int_equal(sota_sig_check_sector(sector, digest, &rsa, 1, &res), SOTA_SIG_ERR_UNTRUSTED);
    char hex[65];
    sota_sig_key_to_hex(&rsa, hex);
    hex[16] = '\0';
    assert_non_null(strstr(res.msg, hex));
    free(rsa_f.data);
    free(ec_f.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_parse_testdata),
        cmocka_unit_test(test_verify_files),
        cmocka_unit_test(test_verify_errors),
        cmocka_unit_test(test_block_mutations),
        cmocka_unit_test(test_multiple_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
