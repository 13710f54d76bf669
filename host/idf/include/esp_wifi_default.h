/* Host port of ESP-IDF's esp_wifi_default.h (components/esp_wifi): the default Wi-Fi
 * network interfaces. Only the soft-AP one exists on the host. */
#ifndef _ESP_WIFI_DEFAULT_H
#define _ESP_WIFI_DEFAULT_H

#include "esp_netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Create the soft-AP interface (key "WIFI_AP_DEF", 192.168.4.1/24) and attach it to the
 * Wi-Fi driver: it comes up on WIFI_EVENT_AP_START and goes down on esp_wifi_stop.
 * Requires esp_netif_init() first. Returns the interface, or NULL (logged) if
 * esp_netif_init() was not called, the interface already exists, or memory ran out; the
 * device would fail an assertion there. */
esp_netif_t *esp_netif_create_default_wifi_ap(void);

#ifdef __cplusplus
}
#endif

#endif
