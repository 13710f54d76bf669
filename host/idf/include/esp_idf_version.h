/* Host port of ESP-IDF's esp_idf_version.h (components/esp_common). The host port
 * implements the API of ESP-IDF 5.x (checked against master for behaviour). */
#ifndef ESP_IDF_VERSION_H
#define ESP_IDF_VERSION_H

#define ESP_IDF_VERSION_MAJOR 5
#define ESP_IDF_VERSION_MINOR 5
#define ESP_IDF_VERSION_PATCH 0

#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))

#define ESP_IDF_VERSION ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, \
                                            ESP_IDF_VERSION_PATCH)

/* The ESP-IDF version the running app was built with: its app description's idf_ver
 * (e.g. "v5.5.1"), or "v5.5.0" before the simulated device has booted. Never NULL;
 * valid until the next boot. */
const char *esp_get_idf_version(void);

#endif
