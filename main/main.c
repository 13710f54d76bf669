/* The standalone updater (factory app): waits for firmware on its network. By default
 * the component opens its own access point; the openeth variant (sdkconfig.qemu, for
 * QEMU) brings up Ethernet first and serves on the address DHCP gave it. */
#include "esp_err.h"
#include "esp_log.h"
#include "nvs_flash.h"
#include "sdkconfig.h"
#include "softap_ota.h"
#if CONFIG_SOTA_MAIN_NETWORK_OPENETH
#include "app_eth.h"
#endif

void app_main(void); /* called by ESP-IDF's startup code */

#if CONFIG_SOTA_MAIN_TEST_HEALTH_FAIL
/* Test builds only (tests/device): an app that never works, to exercise the rollback. */
static bool health_always_fails(void *ctx)
{
    (void)ctx;
    ESP_LOGW("main", "test build (SOTA_MAIN_TEST_HEALTH_FAIL): the health check fails on purpose");
    return false;
}
#endif

void app_main(void)
{
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        /* NVS from an older layout: start it afresh (it only holds the last result) */
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);

    softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
#if CONFIG_SOTA_MAIN_NETWORK_OPENETH
    ESP_ERROR_CHECK(app_eth_start(CONFIG_SOTA_MAIN_ETH_TIMEOUT_MS));
    cfg.start_ap = false; /* the app brings its own network */
#endif
#if CONFIG_SOTA_MAIN_TEST_HEALTH_FAIL
    cfg.health_check = health_always_fails;
#endif
    ESP_ERROR_CHECK(softap_ota_start(&cfg));
}
