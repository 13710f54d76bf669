/* Host port of esp_netif (esp_netif.h): the soft-AP interface object with its address
 * information and a simulated DHCP server (state machine and options as ESP-IDF's
 * esp_netif_lwip.c / dhcpserver.c apply them). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_netif.h"
#include "esp_wifi_default.h"
#include "esp_wifi_types.h"
#include "net_internal.h"
#include "sdkconfig.h"

static const char *TAG = "esp_netif";

ESP_EVENT_DEFINE_BASE(IP_EVENT);

/* ESP-IDF's default soft-AP address information (_g_esp_netif_soft_ap_ip). */
static const esp_netif_ip_info_t s_soft_ap_ip = {
    .ip = { .addr = ESP_IP4TOADDR(192, 168, 4, 1) },
    .gw = { .addr = ESP_IP4TOADDR(192, 168, 4, 1) },
    .netmask = { .addr = ESP_IP4TOADDR(255, 255, 255, 0) },
};

#define LEASE_TIME_DEFAULT_MIN 120   /* DHCPS_LEASE_TIME_DEF */
#define LEASES CONFIG_LWIP_DHCPS_MAX_STATION_NUM

typedef struct {
    bool used;
    uint8_t mac[6];
    uint8_t host;            /* last byte of the address: 2.. */
    uint32_t age;            /* order of leasing: the smallest is the oldest */
} lease_t;

struct esp_netif_obj {
    char if_key[16];
    char if_desc[8];
    uint8_t mac[6];
    esp_netif_ip_info_t ip_info;
    bool up;
    esp_netif_dhcp_status_t dhcps;
    uint8_t offer_dns;       /* ESP_NETIF_DOMAIN_NAME_SERVER */
    uint8_t offer_router;    /* ESP_NETIF_ROUTER_SOLICITATION_ADDRESS */
    uint32_t lease_min;      /* ESP_NETIF_IP_ADDRESS_LEASE_TIME */
    esp_ip4_addr_t mask;     /* ESP_NETIF_SUBNET_MASK */
    esp_ip4_addr_t dns;      /* esp_netif_set_dns_info */
    lease_t leases[LEASES];
    uint32_t lease_clock;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static bool s_inited;
static esp_netif_t *s_ap;

esp_err_t esp_netif_init(void)
{
    pthread_mutex_lock(&s_lock);
    s_inited = true;
    pthread_mutex_unlock(&s_lock);
    return ESP_OK;
}

esp_netif_t *esp_netif_create_default_wifi_ap(void)
{
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        pthread_mutex_unlock(&s_lock);
        ESP_LOGE(TAG, "esp_netif_create_default_wifi_ap: call esp_netif_init() first");
        return NULL;
    }
    if (s_ap) {
        pthread_mutex_unlock(&s_lock);
        /* ESP-IDF: esp_netif_new refuses the duplicate if_key, then assert(netif) */
        ESP_LOGE(TAG, "esp_netif_create_default_wifi_ap: the soft-AP interface (WIFI_AP_DEF) "
                 "already exists (duplicate key): assert failed, aborting like the device; use "
                 "esp_netif_get_handle_from_ifkey(\"WIFI_AP_DEF\")");
        abort();
    }
    esp_netif_t *n = calloc(1, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&s_lock);
        ESP_LOGE(TAG, "esp_netif_create_default_wifi_ap: out of memory");
        return NULL;
    }
    snprintf(n->if_key, sizeof n->if_key, "WIFI_AP_DEF");
    snprintf(n->if_desc, sizeof n->if_desc, "ap");
    net_host_mac(WIFI_IF_AP, n->mac);
    n->ip_info = s_soft_ap_ip;
    n->dhcps = ESP_NETIF_DHCP_INIT;
    n->offer_dns = 0;
    n->offer_router = 1;
    n->lease_min = LEASE_TIME_DEFAULT_MIN;
    n->mask = s_soft_ap_ip.netmask;
    s_ap = n;
    pthread_mutex_unlock(&s_lock);
    return n;
}

esp_netif_t *net_ap_netif(void)
{
    pthread_mutex_lock(&s_lock);
    esp_netif_t *n = s_ap;
    pthread_mutex_unlock(&s_lock);
    return n;
}

void net_ap_netif_set_up(esp_netif_t *netif, bool up)
{
    if (!netif) {
        return;
    }
    pthread_mutex_lock(&s_lock);
    netif->up = up;
    if (up && netif->dhcps == ESP_NETIF_DHCP_INIT) {
        netif->dhcps = ESP_NETIF_DHCP_STARTED;
    }
    pthread_mutex_unlock(&s_lock);
}

esp_netif_t *esp_netif_get_handle_from_ifkey(const char *if_key)
{
    if (!if_key) {
        return NULL;
    }
    pthread_mutex_lock(&s_lock);
    esp_netif_t *n = (s_ap && strcmp(s_ap->if_key, if_key) == 0) ? s_ap : NULL;
    pthread_mutex_unlock(&s_lock);
    return n;
}

esp_err_t esp_netif_get_ip_info(esp_netif_t *esp_netif, esp_netif_ip_info_t *ip_info)
{
    if (!esp_netif || !ip_info) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    *ip_info = esp_netif->ip_info;
    pthread_mutex_unlock(&s_lock);
    return ESP_OK;
}

bool net_dhcps_lease(esp_netif_t *netif, const uint8_t mac[6], esp_ip4_addr_t *ip)
{
    if (!netif) {
        return false;
    }
    pthread_mutex_lock(&s_lock);
    if (netif->dhcps != ESP_NETIF_DHCP_STARTED) {
        pthread_mutex_unlock(&s_lock);
        return false;
    }
    lease_t *l = NULL, *free_l = NULL, *oldest = NULL;
    for (int i = 0; i < LEASES; i++) {
        lease_t *c = &netif->leases[i];
        if (c->used && memcmp(c->mac, mac, 6) == 0) {
            l = c;
        } else if (!c->used && !free_l) {
            free_l = c;
        } else if (c->used && (!oldest || c->age < oldest->age)) {
            oldest = c;
        }
    }
    if (!l) {
        if (!free_l) {
            ESP_LOGW(TAG, "DHCP server: all %d leases taken, the oldest (%02x:%02x:%02x:%02x:%02x:%02x) "
                     "is dropped (CONFIG_LWIP_DHCPS_MAX_STATION_NUM)", LEASES, oldest->mac[0],
                     oldest->mac[1], oldest->mac[2], oldest->mac[3], oldest->mac[4], oldest->mac[5]);
            free_l = oldest;
        }
        uint8_t host = 2; /* the lowest address no other lease holds */
        for (bool taken = true; taken;) {
            taken = false;
            for (int i = 0; i < LEASES; i++) {
                taken |= netif->leases[i].used && &netif->leases[i] != free_l && netif->leases[i].host == host;
            }
            host = (uint8_t)(host + taken);
        }
        l = free_l;
        l->used = true;
        memcpy(l->mac, mac, 6);
        l->host = host;
    }
    l->age = ++netif->lease_clock;
    ip->addr = htonl((ntohl(netif->ip_info.ip.addr) & 0xFFFFFF00u) | l->host);
    pthread_mutex_unlock(&s_lock);
    return true;
}

void net_dhcps_release(esp_netif_t *netif, const uint8_t mac[6])
{
    if (!netif) {
        return;
    }
    pthread_mutex_lock(&s_lock);
    for (int i = 0; i < LEASES; i++) {
        if (netif->leases[i].used && memcmp(netif->leases[i].mac, mac, 6) == 0) {
            netif->leases[i].used = false;
        }
    }
    pthread_mutex_unlock(&s_lock);
}

esp_err_t esp_netif_dhcps_get_clients_by_mac(esp_netif_t *esp_netif, int num, esp_netif_pair_mac_ip_t *mac_ip_pair)
{
    if (!esp_netif || !mac_ip_pair || num < 1) {
        return ESP_ERR_ESP_NETIF_INVALID_PARAMS;
    }
    pthread_mutex_lock(&s_lock);
    for (int k = 0; k < num; k++) {
        mac_ip_pair[k].ip.addr = 0;
        for (int i = 0; i < LEASES; i++) {
            const lease_t *l = &esp_netif->leases[i];
            if (l->used && memcmp(l->mac, mac_ip_pair[k].mac, 6) == 0) {
                mac_ip_pair[k].ip.addr = htonl((ntohl(esp_netif->ip_info.ip.addr) & 0xFFFFFF00u) | l->host);
            }
        }
    }
    pthread_mutex_unlock(&s_lock);
    return ESP_OK;
}
