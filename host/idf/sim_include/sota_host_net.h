/* The simulated device's network (host only: no ESP-IDF counterpart).
 *
 * Sockets: the simulator runs on the developer's machine, where the device's privileged
 * and wildcard bindings make no sense. Device code that opens its own sockets (the
 * captive DNS server) asks here where to bind when built for the host:
 *
 *     #ifdef SOTA_HOST
 *     uint16_t port = sota_host_dns_port(53);     // 0: DNS is off in this simulation
 *     if (port == 0) return ESP_OK;
 *     addr.sin_addr.s_addr = sota_host_bind_addr();
 *     #else
 *     uint16_t port = 53;
 *     addr.sin_addr.s_addr = htonl(INADDR_ANY);
 *     #endif
 *     addr.sin_port = htons(port);
 *
 * Stations: a test or the simulator can make a station associate with the running
 * soft-AP; the driver then posts the events a device posts and lists the station. */
#ifndef SOTA_HOST_NET_H
#define SOTA_HOST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The loopback port the device's DNS port (53) maps to; 0 (the default) turns the
 * captive DNS server off on the host. Thread-safe. */
void sota_host_set_dns_port(uint16_t port);

/* The host port to bind for device_port: for 53 the port set above (0: do not open the
 * socket at all); any other port is returned unchanged. */
uint16_t sota_host_dns_port(uint16_t device_port);

/* The address host sockets bind to, in network byte order (ready for sin_addr.s_addr):
 * always 127.0.0.1, so the simulator is never reachable from other machines. */
uint32_t sota_host_bind_addr(void);

/* Simulate a station associating with the running soft-AP: it is listed by
 * esp_wifi_ap_get_sta_list, gets the next address of the AP's subnet (192.168.4.2, ...),
 * and WIFI_EVENT_AP_STACONNECTED then, if the DHCP server runs,
 * IP_EVENT_AP_STAIPASSIGNED are posted to the default loop. mac: 6 bytes.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if mac is NULL; ESP_ERR_WIFI_NOT_STARTED if the
 * soft-AP is not running; ESP_ERR_INVALID_STATE if that station is already associated;
 * The DHCP server has CONFIG_LWIP_DHCPS_MAX_STATION_NUM leases; when they are all taken
 * the oldest is dropped without notice, as lwIP's dhcpserver does (its station keeps
 * associated without an address: esp_netif_dhcps_get_clients_by_mac no longer finds it).
 * ESP_ERR_NO_MEM if max_connection stations already are (a device would refuse it). */
esp_err_t sota_host_wifi_sta_connect(const uint8_t mac[6]);

/* Simulate that station leaving: WIFI_EVENT_AP_STADISCONNECTED is posted.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if mac is NULL; ESP_ERR_NOT_FOUND if it is not
 * associated. */
esp_err_t sota_host_wifi_sta_disconnect(const uint8_t mac[6]);

#ifdef __cplusplus
}
#endif

#endif
