/* The simulated device's network (host only: no ESP-IDF counterpart).
 *
 * Sockets: the simulator runs on the developer's machine, where the device's privileged
 * and wildcard bindings make no sense. Device code binds as on a device (the captive DNS
 * server: port 53, INADDR_ANY); on the host, lwip/sockets.h makes bind() the host port's,
 * which binds 127.0.0.1 only and maps port 53 to the port set here (see there).
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

/* Simulate a station associating with the running soft-AP: it counts against
 * max_connection, gets the next address of the AP's subnet (192.168.4.2, ...),
 * and WIFI_EVENT_AP_STACONNECTED then, if the DHCP server runs,
 * IP_EVENT_AP_STAIPASSIGNED are posted to the default loop. mac: 6 bytes.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if mac is NULL; ESP_ERR_WIFI_NOT_STARTED if the
 * soft-AP is not running; ESP_ERR_INVALID_STATE if that station is already associated;
 * The DHCP server has CONFIG_LWIP_DHCPS_MAX_STATION_NUM leases; when they are all taken
 * the oldest is dropped without notice, as lwIP's dhcpserver does (its station keeps
 * associated without an address: esp_netif_dhcps_get_clients_by_mac no longer finds it).
 * ESP_ERR_NO_MEM if max_connection stations already are (a device would refuse it). */
esp_err_t sota_host_wifi_sta_connect(const uint8_t mac[6]);

#ifdef __cplusplus
}
#endif

#endif
