/* Host port of ESP-IDF's esp_interface.h (components/esp_hw_support). */
#ifndef __ESP_INTERFACE_H__
#define __ESP_INTERFACE_H__

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ESP_IF_WIFI_STA = 0,
    ESP_IF_WIFI_AP,
    ESP_IF_ETH,
    ESP_IF_MAX
} esp_interface_t;

#ifdef __cplusplus
}
#endif

#endif
