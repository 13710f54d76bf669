/* Signed apps: which key the updater trusts. Either the configured digest of a public
 * key (signing_key_digest, what eFuse holds with Secure Boot V2), or the key that signed
 * the running app (what ESP-IDF trusts on update without secure boot). The check itself
 * is portable (core/sota_sig.h) and runs in the update session on what flash holds. */
#include <stdlib.h>
#include <string.h>

#include "esp_chip_info.h"
#include "esp_log.h"
#include "esp_app_format.h"
#include "ota_internal.h"
#include "sota_chip.h"

static const char *TAG = "softap_ota";

static sota_sig_key_t s_keys[SOTA_SIG_MAX_KEYS];
static size_t s_n_keys;
static const char *s_source = "none";

static int part_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const esp_partition_t *p = ctx;
    return esp_partition_read(p, off, buf, len) == ESP_OK ? 0 : -1;
}

/* The key digest of the running app's first signature block. */
static esp_err_t running_app_key(sota_sig_key_t *out)
{
    const esp_partition_t *run = esp_ota_get_running_partition();
    esp_image_header_t hdr;
    if (!run || esp_partition_read(run, 0, &hdr, sizeof hdr) != ESP_OK) {
        return ESP_ERR_NOT_FOUND;
    }
    const sota_chip_t *chip = sota_chip_by_id((uint16_t)hdr.chip_id);
    if (!chip) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_chip_info_t info;
    esp_chip_info(&info);
    sota_img_params_t p = {
        .chip = chip,
        .chip_rev = info.revision,
        .slot_size = (uint32_t)run->size,
        .slot_offset = (uint32_t)run->address,
    };
    sota_img_t *v = malloc(sizeof *v);
    uint8_t *sector = malloc(SOTA_SIG_SECTOR_LEN);
    esp_err_t err = ESP_ERR_NO_MEM;
    if (v && sector) {
        sota_img_verify_from(v, &p, part_read, (void *)run);
        err = ESP_ERR_NOT_FOUND;
        uint32_t at = sota_sig_signed_len(v->image_len);
        if (v->complete && (uint64_t)at + SOTA_SIG_SECTOR_LEN <= run->size &&
            esp_partition_read(run, at, sector, SOTA_SIG_SECTOR_LEN) == ESP_OK && sota_sig_sector_key(sector, out)) {
            err = ESP_OK;
        }
    }
    free(sector);
    free(v);
    return err;
}

esp_err_t ota_sig_init(const softap_ota_config_t *cfg)
{
    s_n_keys = 0;
    s_source = "none";
    const char *hex = cfg->signing_key_digest;
    if (hex && hex[0]) {
        if (!sota_sig_key_from_hex(hex, &s_keys[0])) {
            ESP_LOGE(TAG, "signing_key_digest must be 64 hex digits: the SHA-256 that espsecure.py "
                     "digest_sbv2_public_key writes for the public key (set "
                     "CONFIG_SOFTAP_OTA_SIGNING_KEY_DIGEST)");
            return ESP_ERR_INVALID_ARG;
        }
        s_n_keys = 1;
        s_source = "configured";
    } else if (cfg->policy.require_signed) {
        if (running_app_key(&s_keys[0]) != ESP_OK) {
            ESP_LOGE(TAG, "require_signed is on but no signing key is trusted: the running app is not "
                     "signed and no signing_key_digest is set (CONFIG_SOFTAP_OTA_SIGNING_KEY_DIGEST)");
            return ESP_ERR_INVALID_ARG;
        }
        s_n_keys = 1;
        s_source = "running app";
    }
    if (cfg->policy.require_signed) {
        char hexbuf[2 * SOTA_SIG_DIGEST_LEN + 1];
        sota_sig_key_to_hex(&s_keys[0], hexbuf);
        ESP_LOGI(TAG, "only apps signed by key %s (%s) are accepted", hexbuf, s_source);
    }
    return ESP_OK;
}

size_t ota_sig_trusted(sota_sig_key_t *out, size_t max, const char **source)
{
    size_t n = s_n_keys < max ? s_n_keys : max;
    memcpy(out, s_keys, n * sizeof *out);
    if (source) {
        *source = s_source;
    }
    return n;
}
