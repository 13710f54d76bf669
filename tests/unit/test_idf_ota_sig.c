/* esp_ota_end on a simulated device with Secure Boot V2 (sota_host_config_t.
 * secure_boot_key_digest): signed apps by the eFuse key pass, everything else fails
 * with ESP_ERR_OTA_VALIDATE_FAILED and a message that says why; without secure boot
 * signatures are not looked at. Images: ../shared/testdata/signed (espsecure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_idf_ota_fixture.h"

#include "sota_sha256.h"

#define SIGNED(name) SOTA_TESTDATA "/signed/" name
#define REHASHED SOTA_TMPDIR "/test_idf_ota_sig_rehashed.bin"

/* app_signed_rsa3072.bin with one byte changed in a segment that is not loaded, and the
 * checksum and appended SHA-256 made right again: a valid image whose signature no
 * longer matches (what an attacker who cannot sign would try). */
static void make_rehashed(void)
{
    fx_blob_t b = fx_load(SIGNED("app_signed_rsa3072.bin"));
    const size_t image_len = 0x20000, sha_at = image_len - 32, sum_at = sha_at - 1;
    b.data[0x2000] ^= 0x01;
    b.data[sum_at] ^= 0x01;          /* the XOR checksum follows the change */
    sota_sha256_t h;
    assert_int_equal(sota_sha256_start(&h), 0);
    assert_int_equal(sota_sha256_update(&h, b.data, sha_at), 0);
    assert_int_equal(sota_sha256_finish(&h, b.data + sha_at), 0);
    FILE *f = fopen(REHASHED, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    fx_free(&b);
}

typedef struct {
    const char *key;     /* digest file of the eFuse key, NULL: no secure boot */
    const char *image;
    esp_err_t want;
    const char *in_msg;  /* in sota_host_last_verify_message() when it fails */
} sig_case_t;

static void test_esp_ota_end_signatures(void **state)
{
    (void)state;
    make_rehashed();
    static const sig_case_t cases[] = {
        { NULL, SIGNED("app_padded.bin"), ESP_OK, NULL },
        { NULL, SIGNED("app_signed_rsa3072.bin"), ESP_OK, NULL },
        { NULL, REHASHED, ESP_OK, NULL },
        { SIGNED("digest_rsa3072.bin"), SIGNED("app_signed_rsa3072.bin"), ESP_OK, NULL },
        { SIGNED("digest_ecdsa256.bin"), SIGNED("app_signed_ecdsa256.bin"), ESP_OK, NULL },
        { SIGNED("digest_rsa3072.bin"), SIGNED("app_padded.bin"), ESP_ERR_OTA_VALIDATE_FAILED, "not signed" },
        { SIGNED("digest_rsa3072.bin"), FX_IMG("c02_valid_esp32_100k.bin"), ESP_ERR_OTA_VALIDATE_FAILED,
          "not signed" },
        { SIGNED("digest_rsa3072.bin"), SIGNED("app_signed_ecdsa256.bin"), ESP_ERR_OTA_VALIDATE_FAILED,
          "does not trust" },
        { SIGNED("digest_ecdsa256.bin"), SIGNED("app_signed_rsa3072.bin"), ESP_ERR_OTA_VALIDATE_FAILED,
          "does not trust" },
        { SIGNED("digest_rsa3072.bin"), REHASHED, ESP_ERR_OTA_VALIDATE_FAILED, "changed after it was signed" },
        { SIGNED("digest_ecdsa256.bin"), SIGNED("app_signed_ecdsa256_tampered.bin"), ESP_ERR_OTA_VALIDATE_FAILED,
          "hecksum" },
        { SIGNED("digest_ecdsa256.bin"), SIGNED("app_signed_ecdsa384.bin"), ESP_ERR_OTA_VALIDATE_FAILED,
          "does not trust" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sig_case_t *c = &cases[i];
        fx_t *fx = fx_new(FX_PT("partitions_two_ota.bin"), FX_IMG("c02_valid_esp32_100k.bin"), true);
        fx_blob_t key = { NULL, 0 };
        if (c->key) {
            key = fx_load(c->key);
            assert_int_equal(key.len, 32);
            fx->cfg.secure_boot_key_digest = key.data;
        }
        assert_int_equal(fx_boot(fx), ESP_OK);
        /* the digest was copied: the caller's buffer may go */
        if (key.data) {
            memset(key.data, 0, key.len);
        }
        esp_err_t err = fx_ota(fx_part("ota_0"), c->image, OTA_SIZE_UNKNOWN, 4096);
        if (err != c->want || (c->in_msg && !strstr(sota_host_last_verify_message(), c->in_msg))) {
            fail_msg("case %zu (%s): got %s (%s), want %s / '%s'", i, c->image, esp_err_to_name(err),
                     sota_host_last_verify_message(), esp_err_to_name(c->want), c->in_msg ? c->in_msg : "");
        }
        fx_free(&key);
        fx_destroy(fx);
    }
    remove(REHASHED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_esp_ota_end_signatures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
