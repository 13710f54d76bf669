/* Host port of ESP-IDF's esp_chip_info.h (components/esp_hw_support): the simulated
 * chip's model, features, revision and cores. */
#ifndef ESP_CHIP_INFO_H
#define ESP_CHIP_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "sdkconfig.h"

typedef enum {
    CHIP_ESP32 = 1,
    CHIP_ESP32S2 = 2,
    CHIP_ESP32S3 = 9,
    CHIP_ESP32C3 = 5,
    CHIP_ESP32C2 = 12,
    CHIP_ESP32C6 = 13,
    CHIP_ESP32H2 = 16,
    CHIP_ESP32P4 = 18,
    CHIP_ESP32C61 = 20,
    CHIP_ESP32C5 = 23,
    CHIP_ESP32H21 = 25,
    CHIP_ESP32H4 = 28,
    CHIP_ESP32S31 = 32,
    CHIP_POSIX_LINUX = 999,
} esp_chip_model_t;

#define CHIP_FEATURE_EMB_FLASH  (1u << 0)
#define CHIP_FEATURE_WIFI_BGN   (1u << 1)
#define CHIP_FEATURE_BLE        (1u << 4)
#define CHIP_FEATURE_BT         (1u << 5)
#define CHIP_FEATURE_IEEE802154 (1u << 6)
#define CHIP_FEATURE_EMB_PSRAM  (1u << 7)

typedef struct {
    esp_chip_model_t model;  /* the simulated chip (sota_host_config_t.chip) */
    uint32_t features;       /* CHIP_FEATURE_x of that chip */
    uint16_t revision;       /* major * 100 + minor (sota_host_config_t.chip_rev) */
    uint8_t cores;
} esp_chip_info_t;

/* Fill *out_info for the simulated chip (esp32 v3.0 before the first boot). */
void esp_chip_info(esp_chip_info_t *out_info);

#endif
