/* The standalone updater (factory app): opens the access point and waits for firmware. */
#include "esp_err.h"
#include "nvs_flash.h"
#include "softap_ota.h"

void app_main(void); /* called by ESP-IDF's startup code */

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
    ESP_ERROR_CHECK(softap_ota_start(&cfg));
}
