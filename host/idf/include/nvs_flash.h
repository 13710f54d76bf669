/* Host port of ESP-IDF's nvs_flash.h (components/nvs_flash): initialising, erasing and
 * releasing the NVS partition. Only the default partition "nvs" exists on the host; its
 * storage is a file (sota_host_nvs.h). The usual start-up sequence works unchanged:
 *
 *     esp_err_t ret = nvs_flash_init();
 *     if (ret == ESP_ERR_NVS_NO_FREE_PAGES || ret == ESP_ERR_NVS_NEW_VERSION_FOUND) {
 *         ESP_ERROR_CHECK(nvs_flash_erase());
 *         ret = nvs_flash_init();
 *     }
 *     ESP_ERROR_CHECK(ret);
 */
#ifndef NVS_FLASH_H
#define NVS_FLASH_H

#include "esp_err.h"
#include "nvs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Load the partition. Returns ESP_OK (also if already initialised: nothing is reloaded);
 * ESP_ERR_NVS_NO_FREE_PAGES if the file cannot be read or parsed (logged with the line:
 * call nvs_flash_erase and nvs_flash_init again, as on a device);
 * ESP_ERR_NVS_NEW_VERSION_FOUND if it was written by a newer format version;
 * ESP_ERR_NO_MEM. */
esp_err_t nvs_flash_init(void);

/* Erase the partition: deinitialise it if needed (closing every handle) and delete the
 * file. nvs_flash_init must be called again before use. ESP_OK; ESP_FAIL if the file
 * exists but cannot be deleted (logged). */
esp_err_t nvs_flash_erase(void);

#ifdef __cplusplus
}
#endif

#endif
