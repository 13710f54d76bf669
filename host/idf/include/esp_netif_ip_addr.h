/* Host port of ESP-IDF's esp_netif_ip_addr.h (components/esp_netif): IP address types
 * and the formatting / construction macros. Addresses are stored in network byte order,
 * as lwIP and ESP-IDF store them. */
#ifndef _ESP_NETIF_IP_ADDR_H_
#define _ESP_NETIF_IP_ADDR_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define esp_netif_htonl(x) ((uint32_t)(x))
#else
#define esp_netif_htonl(x) ((((x) & (uint32_t)0x000000ffUL) << 24) | \
                            (((x) & (uint32_t)0x0000ff00UL) <<  8) | \
                            (((x) & (uint32_t)0x00ff0000UL) >>  8) | \
                            (((x) & (uint32_t)0xff000000UL) >> 24))
#endif

#define esp_netif_ip4_makeu32(a, b, c, d) (((uint32_t)((a) & 0xff) << 24) | \
                                           ((uint32_t)((b) & 0xff) << 16) | \
                                           ((uint32_t)((c) & 0xff) << 8)  | \
                                            (uint32_t)((d) & 0xff))

/* printf("%s " IPSTR, "ip", IP2STR(&info.ip)) prints "ip 192.168.4.1". */
#define IPSTR "%d.%d.%d.%d"
#define esp_ip4_addr_get_byte(ipaddr, idx) (((const uint8_t *)(&(ipaddr)->addr))[idx])
#define esp_ip4_addr1(ipaddr) esp_ip4_addr_get_byte(ipaddr, 0)
#define esp_ip4_addr2(ipaddr) esp_ip4_addr_get_byte(ipaddr, 1)
#define esp_ip4_addr3(ipaddr) esp_ip4_addr_get_byte(ipaddr, 2)
#define esp_ip4_addr4(ipaddr) esp_ip4_addr_get_byte(ipaddr, 3)
#define esp_ip4_addr1_16(ipaddr) ((uint16_t)esp_ip4_addr1(ipaddr))
#define esp_ip4_addr2_16(ipaddr) ((uint16_t)esp_ip4_addr2(ipaddr))
#define esp_ip4_addr3_16(ipaddr) ((uint16_t)esp_ip4_addr3(ipaddr))
#define esp_ip4_addr4_16(ipaddr) ((uint16_t)esp_ip4_addr4(ipaddr))
#define IP2STR(ipaddr) esp_ip4_addr1_16(ipaddr), esp_ip4_addr2_16(ipaddr), \
                       esp_ip4_addr3_16(ipaddr), esp_ip4_addr4_16(ipaddr)

#define ESP_IPADDR_TYPE_V4  0U
#define ESP_IPADDR_TYPE_V6  6U
#define ESP_IPADDR_TYPE_ANY 46U

/* a.b.c.d as a host-order number, and as the network-order value .addr holds. */
#define ESP_IP4TOUINT32(a, b, c, d) (((uint32_t)((a) & 0xffU) << 24) | \
                                     ((uint32_t)((b) & 0xffU) << 16) | \
                                     ((uint32_t)((c) & 0xffU) << 8)  | \
                                      (uint32_t)((d) & 0xffU))
#define ESP_IP4TOADDR(a, b, c, d) esp_netif_htonl(ESP_IP4TOUINT32(a, b, c, d))

struct esp_ip6_addr {
    uint32_t addr[4];
    uint8_t zone;
};

struct esp_ip4_addr {
    uint32_t addr;    /* network byte order */
};

typedef struct esp_ip4_addr esp_ip4_addr_t;
typedef struct esp_ip6_addr esp_ip6_addr_t;

typedef struct _ip_addr {
    union {
        esp_ip6_addr_t ip6;
        esp_ip4_addr_t ip4;
    } u_addr;
    uint8_t type;     /* ESP_IPADDR_TYPE_V4 / _V6 */
} esp_ip_addr_t;

#define ESP_IP4ADDR_INIT(a, b, c, d) \
    { .type = ESP_IPADDR_TYPE_V4, .u_addr = { .ip4 = { .addr = ESP_IP4TOADDR(a, b, c, d) } } }

#ifdef __cplusplus
}
#endif

#endif
