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

/* ESP-IDF's default soft-AP address information (192.168.4.1/24, gateway 192.168.4.1). */
extern const esp_netif_ip_info_t _g_esp_netif_soft_ap_ip;

/* Initialise the network stack. Must be called before creating interfaces; calling it
 * again is harmless. Returns ESP_OK. */
esp_err_t esp_netif_init(void);

/* ESP_ERR_NOT_SUPPORTED after esp_netif_init (ESP-IDF cannot deinitialise lwIP either),
 * ESP_ERR_INVALID_STATE before. */
esp_err_t esp_netif_deinit(void);

/* Free an interface (NULL is ignored). Its handle becomes invalid. */
void esp_netif_destroy(esp_netif_t *esp_netif);

/* The interface whose key is if_key ("WIFI_AP_DEF" for the default soft-AP), or NULL. */
esp_netif_t *esp_netif_get_handle_from_ifkey(const char *if_key);

/* Its key ("WIFI_AP_DEF") and description ("ap"); NULL for a NULL interface. */
const char *esp_netif_get_ifkey(esp_netif_t *esp_netif);
const char *esp_netif_get_desc(esp_netif_t *esp_netif);

/* Whether the interface is up (the soft-AP is started). false for NULL. */
bool esp_netif_is_netif_up(esp_netif_t *esp_netif);

/* The interface's MAC address (6 bytes). ESP_OK, or ESP_ERR_ESP_NETIF_IF_NOT_READY for
 * NULL arguments. */
esp_err_t esp_netif_get_mac(esp_netif_t *esp_netif, uint8_t mac[]);

/* Copy the interface's address, netmask and gateway. ESP_OK, or ESP_ERR_INVALID_ARG if an
 * argument is NULL. */
esp_err_t esp_netif_get_ip_info(esp_netif_t *esp_netif, esp_netif_ip_info_t *ip_info);

/* Change the interface's address information. For the soft-AP the DHCP server must be
 * stopped first (esp_netif_dhcps_stop). Returns ESP_OK;
 * ESP_ERR_INVALID_STATE if an argument is NULL (ESP-IDF's code);
 * ESP_ERR_ESP_NETIF_DHCP_NOT_STOPPED if the DHCP server is not stopped. */
esp_err_t esp_netif_set_ip_info(esp_netif_t *esp_netif, const esp_netif_ip_info_t *ip_info);

/* The DHCP server's state. ESP_OK, or ESP_ERR_INVALID_ARG for NULL arguments. */
esp_err_t esp_netif_dhcps_get_status(esp_netif_t *esp_netif, esp_netif_dhcp_status_t *status);

typedef struct {
    uint8_t mac[6];
    esp_ip4_addr_t ip;
} esp_netif_pair_mac_ip_t;

/* Fill the ip of each of the num pairs from the DHCP server's leases by mac (0.0.0.0 if
 * that MAC holds no lease). ESP_OK; ESP_ERR_ESP_NETIF_INVALID_PARAMS for NULL or num < 1. */
esp_err_t esp_netif_dhcps_get_clients_by_mac(esp_netif_t *esp_netif, int num, esp_netif_pair_mac_ip_t *mac_ip_pair);

/* Start the DHCP server: now if the interface is up, else when it comes up. Returns
 * ESP_OK; ESP_ERR_INVALID_ARG for NULL; ESP_ERR_ESP_NETIF_DHCP_ALREADY_STARTED. */
esp_err_t esp_netif_dhcps_start(esp_netif_t *esp_netif);

/* Stop the DHCP server (also before it ever started: it then stays stopped when the
 * interface comes up). Returns ESP_OK; ESP_ERR_INVALID_ARG for NULL;
 * ESP_ERR_ESP_NETIF_DHCP_ALREADY_STOPPED. */
esp_err_t esp_netif_dhcps_stop(esp_netif_t *esp_netif);

/* Get or set a DHCP server option. Supported, with opt_len exactly the option's size:
 *   ESP_NETIF_DOMAIN_NAME_SERVER (uint8_t, default 0): 1 = offer the DNS server set with
 *     esp_netif_set_dns_info; 0 = offer the interface's own address as DNS server;
 *   ESP_NETIF_ROUTER_SOLICITATION_ADDRESS (uint8_t, default 1): offer the gateway;
 *   ESP_NETIF_IP_ADDRESS_LEASE_TIME (uint32_t minutes; setting 0 restores the default 120);
 *   ESP_NETIF_SUBNET_MASK (esp_ip4_addr_t).
 * Returns ESP_OK;
 * ESP_ERR_ESP_NETIF_IF_NOT_READY if esp_netif is NULL;
 * ESP_ERR_ESP_NETIF_INVALID_PARAMS for a NULL value, a wrong opt_len, an option the host
 *   does not support or a bad opt_op;
 * ESP_ERR_ESP_NETIF_DHCP_ALREADY_STARTED for OP_SET while the server runs (stop it first);
 * ESP_ERR_ESP_NETIF_DHCP_ALREADY_STOPPED for OP_GET while it is stopped. */
esp_err_t esp_netif_dhcps_option(esp_netif_t *esp_netif, esp_netif_dhcp_option_mode_t opt_op,
                                 esp_netif_dhcp_option_id_t opt_id, void *opt_val,
                                 uint32_t opt_len);

/* The DNS server address the soft-AP's DHCP server offers when its
 * ESP_NETIF_DOMAIN_NAME_SERVER option is on (default 0.0.0.0: unset). A DHCP server
 * has only ESP_NETIF_DNS_MAIN, as in ESP-IDF. Set returns ESP_OK, or
 * ESP_ERR_ESP_NETIF_INVALID_PARAMS for NULL arguments, another type, or address 0.
 * Get returns ESP_OK, or ESP_ERR_ESP_NETIF_INVALID_PARAMS for NULL arguments. */
esp_err_t esp_netif_set_dns_info(esp_netif_t *esp_netif, esp_netif_dns_type_t type,
                                 esp_netif_dns_info_t *dns);
esp_err_t esp_netif_get_dns_info(esp_netif_t *esp_netif, esp_netif_dns_type_t type,
                                 esp_netif_dns_info_t *dns);

/* Set addr to a.b.c.d. */
void esp_netif_set_ip4_addr(esp_ip4_addr_t *addr, uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/* Format addr as dotted decimal into buf (buflen bytes). Returns buf, or NULL if addr or
 * buf is NULL or buflen is too small. */
char *esp_ip4addr_ntoa(const esp_ip4_addr_t *addr, char *buf, int buflen);

/* Parse dotted decimal; 0 on error (ESP-IDF's convention: 0 is also 0.0.0.0). */
uint32_t esp_ip4addr_aton(const char *addr);

/* Parse dotted decimal into *dst. ESP_OK, or ESP_FAIL if src is not an IPv4 address. */
esp_err_t esp_netif_str_to_ip4(const char *src, esp_ip4_addr_t *dst);

#ifdef __cplusplus
}
#endif

#endif
