/* Host port of the ESP-IDF esp_netif.h subset a soft-AP application uses
 * (components/esp_netif). The host has no lwIP: the one interface is the soft-AP's,
 * created by esp_netif_create_default_wifi_ap() (esp_wifi.h / esp_wifi_default.h) with
 * ESP-IDF's default address 192.168.4.1/24, gateway 192.168.4.1, and a simulated DHCP
 * server whose state and options follow ESP-IDF's rules. Its address is what the
 * device code reports and what the captive DNS answers; the simulator itself serves on
 * 127.0.0.1 (sota_host_net.h).
 *
 * Interface life cycle as in ESP-IDF: created down, with the DHCP server in state INIT;
 * WIFI_EVENT_AP_START (esp_wifi_start) brings it up and starts the DHCP server unless it
 * was stopped; esp_wifi_stop brings it down. */
#ifndef _ESP_NETIF_H_
#define _ESP_NETIF_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_netif_ip_addr.h"
#include "esp_netif_types.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Initialise the network stack. Must be called before creating interfaces; calling it
 * again is harmless. Returns ESP_OK. */
esp_err_t esp_netif_init(void);

/* The interface whose key is if_key ("WIFI_AP_DEF" for the default soft-AP), or NULL. */
esp_netif_t *esp_netif_get_handle_from_ifkey(const char *if_key);

/* Copy the interface's address, netmask and gateway. ESP_OK, or ESP_ERR_INVALID_ARG if an
 * argument is NULL. */
esp_err_t esp_netif_get_ip_info(esp_netif_t *esp_netif, esp_netif_ip_info_t *ip_info);

typedef struct {
    uint8_t mac[6];
    esp_ip4_addr_t ip;
} esp_netif_pair_mac_ip_t;

/* Fill the ip of each of the num pairs from the DHCP server's leases by mac (0.0.0.0 if
 * that MAC holds no lease). ESP_OK; ESP_ERR_ESP_NETIF_INVALID_PARAMS for NULL or num < 1. */
esp_err_t esp_netif_dhcps_get_clients_by_mac(esp_netif_t *esp_netif, int num, esp_netif_pair_mac_ip_t *mac_ip_pair);

#ifdef __cplusplus
}
#endif

#endif
