/* Host port: where the simulated device's own sockets bind (sota_host_net.h) and its
 * MAC addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>

#include "esp_wifi_types.h"
#include "net_internal.h"
#include "sota_host_net.h"

static _Atomic uint16_t s_dns_port;

void sota_host_set_dns_port(uint16_t port)
{
    atomic_store(&s_dns_port, port);
}

uint16_t sota_host_dns_port(uint16_t device_port)
{
    if (device_port == 53) {
        return atomic_load(&s_dns_port);
    }
    return device_port;
}

uint32_t sota_host_bind_addr(void)
{
    return htonl(INADDR_LOOPBACK);
}

void net_host_mac(int iface, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01 };
    memcpy(mac, base, sizeof base);
    if (iface == WIFI_IF_AP) {
        mac[5] = 0x02;
    }
}
