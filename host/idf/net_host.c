/* Host port: where the simulated device's own sockets bind (sota_host_net.h) and its
 * MAC addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>

#include "esp_wifi_types.h"
#include "lwip/sockets.h"
#include "net_internal.h"
#include "sota_host_net.h"

static _Atomic uint16_t s_dns_port;

void sota_host_set_dns_port(uint16_t port)
{
    atomic_store(&s_dns_port, port);
}

static uint16_t mapped_port(uint16_t device_port)
{
    if (device_port == 53) {
        return atomic_load(&s_dns_port);
    }
    return device_port;
}

static uint32_t bind_addr(void)
{
    return htonl(INADDR_LOOPBACK);
}

int sota_host_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, addr, sizeof in);
        uint16_t port = mapped_port(ntohs(in.sin_port));
        if (port == 0 && in.sin_port != 0) {
            errno = EADDRNOTAVAIL; /* a device port this simulation does not serve */
            return -1;
        }
        in.sin_port = htons(port);
        in.sin_addr.s_addr = bind_addr();
        return (bind)(fd, (const struct sockaddr *)&in, sizeof in);
    }
    if (addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, addr, sizeof in6);
        uint16_t port = mapped_port(ntohs(in6.sin6_port));
        if (port == 0 && in6.sin6_port != 0) {
            errno = EADDRNOTAVAIL;
            return -1;
        }
        in6.sin6_port = htons(port);
        in6.sin6_addr = in6addr_loopback;
        return (bind)(fd, (const struct sockaddr *)&in6, sizeof in6);
    }
    return (bind)(fd, addr, len);
}

void net_host_mac(int iface, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01 };
    memcpy(mac, base, sizeof base);
    if (iface == WIFI_IF_AP) {
        mac[5] = 0x02;
    }
}
