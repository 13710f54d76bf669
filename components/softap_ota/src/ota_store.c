/* The last update's result, kept in NVS so that it is still shown after the reboot
 * (or the rollback) that follows an update. */
#include <string.h>

#include "esp_log.h"
#include "nvs.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";
#define NS "softap_ota"

void ota_store_save(bool ok, const char *message, const char *slot, bool awaiting_boot)
{
    nvs_handle_t h;
    esp_err_t err = nvs_open(NS, NVS_READWRITE, &h);
    if (err == ESP_OK) {
        err = nvs_set_u8(h, "last_ok", ok ? 1 : 0);
        if (err == ESP_OK) {
            err = nvs_set_str(h, "last_msg", message);
        }
        if (err == ESP_OK) {
            err = nvs_set_str(h, "last_slot", slot ? slot : "");
        }
        if (err == ESP_OK) {
            err = nvs_set_u8(h, "last_wait", awaiting_boot ? 1 : 0);
        }
        if (err == ESP_OK) {
            err = nvs_commit(h);
        }
        nvs_close(h);
    }
    if (err != ESP_OK) {
        /* not fatal: the result is still in RAM and in the HTTP answer */
        ESP_LOGW(TAG, "could not keep the update result in NVS (%s): call nvs_flash_init() "
                 "before softap_ota_start()", esp_err_to_name(err));
    }
}

bool ota_store_load(bool *ok, char *message, size_t len, char *slot, size_t slot_len, bool *awaiting_boot)
{
    nvs_handle_t h;
    if (nvs_open(NS, NVS_READONLY, &h) != ESP_OK) {
        return false;
    }
    uint8_t v = 0;
    size_t n = len;
    bool found = nvs_get_u8(h, "last_ok", &v) == ESP_OK && nvs_get_str(h, "last_msg", message, &n) == ESP_OK;
    size_t sn = slot_len;
    if (!found || nvs_get_str(h, "last_slot", slot, &sn) != ESP_OK) {
        slot[0] = '\0';
    }
    uint8_t wait = 0;
    *awaiting_boot = found && nvs_get_u8(h, "last_wait", &wait) == ESP_OK && wait != 0;
    nvs_close(h);
    if (found) {
        *ok = v != 0;
    }
    return found;
}

void ota_store_save_failed(const char *project, const char *version)
{
    nvs_handle_t h;
    esp_err_t err = nvs_open(NS, NVS_READWRITE, &h);
    if (err == ESP_OK) {
        err = nvs_set_str(h, "fail_proj", project);
        if (err == ESP_OK) {
            err = nvs_set_str(h, "fail_ver", version);
        }
        if (err == ESP_OK) {
            err = nvs_commit(h);
        }
        nvs_close(h);
    }
    if (err != ESP_OK) {
        ESP_LOGW(TAG, "could not record the failed version in NVS (%s): refuse_failed_version "
                 "will not know it", esp_err_to_name(err));
    }
}

bool ota_store_load_failed(char *project, size_t plen, char *version, size_t vlen)
{
    project[0] = version[0] = '\0';
    nvs_handle_t h;
    if (nvs_open(NS, NVS_READONLY, &h) != ESP_OK) {
        return false;
    }
    size_t pn = plen, vn = vlen;
    bool found = nvs_get_str(h, "fail_proj", project, &pn) == ESP_OK &&
                 nvs_get_str(h, "fail_ver", version, &vn) == ESP_OK;
    nvs_close(h);
    if (!found) {
        project[0] = version[0] = '\0';
    }
    return found;
}
