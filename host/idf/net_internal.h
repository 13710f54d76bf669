/* Host port, private to host/idf: what the simulated Wi-Fi driver (wifi_ap.c) and the
 * network interfaces (net_netif.c) share. */
#ifndef SOTA_NET_INTERNAL_H
#define SOTA_NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_netif.h"

/* The simulated MAC addresses: 24:0a:c4:00:00:01 (station), :02 (soft-AP). iface is
 * WIFI_IF_STA or WIFI_IF_AP. */
void net_host_mac(int iface, uint8_t mac[6]);

/* The soft-AP interface made by esp_netif_create_default_wifi_ap, or NULL. */
esp_netif_t *net_ap_netif(void);

/* Bring the soft-AP interface up (its DHCP server starts if in state INIT) or down.
 * NULL is ignored. */
void net_ap_netif_set_up(esp_netif_t *netif, bool up);

/* The DHCP server of netif leases an address to mac (the one it holds, or the next
 * free one of the subnet), dropping the oldest lease if all CONFIG_LWIP_DHCPS_MAX_STATION_NUM
 * are taken. false if the server is not running. */
bool net_dhcps_lease(esp_netif_t *netif, const uint8_t mac[6], esp_ip4_addr_t *ip);
/* The lease of mac ends (the station left). */
void net_dhcps_release(esp_netif_t *netif, const uint8_t mac[6]);

#endif
