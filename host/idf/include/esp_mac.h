/* Host implementation of ESP-IDF's esp_mac.h: the MAC address print helpers. */
#ifndef ESP_MAC_H
#define ESP_MAC_H

#include <stdint.h>

#define MAC2STR(a) (a)[0], (a)[1], (a)[2], (a)[3], (a)[4], (a)[5]
#define MACSTR "%02x:%02x:%02x:%02x:%02x:%02x"

#endif
