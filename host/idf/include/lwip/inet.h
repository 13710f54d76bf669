/* Host port of lwIP's lwip/inet.h: the POSIX address conversions (inet_ntop, inet_pton,
 * htons...) plus lwIP's reentrant inet_ntoa_r. */
#ifndef LWIP_HDR_INET_H
#define LWIP_HDR_INET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Format a struct in_addr (an lvalue, as in lwIP) into buf (buflen bytes) as dotted
 * decimal. Returns buf, or NULL if it does not fit. */
#define inet_ntoa_r(addr, buf, buflen) sota_lwip_inet_ntoa_r(&(addr), (buf), (int)(buflen))

static inline char *sota_lwip_inet_ntoa_r(const struct in_addr *addr, char *buf, int buflen)
{
    if (buflen <= 0) {
        return NULL;
    }
    return inet_ntop(AF_INET, addr, buf, (socklen_t)buflen) ? buf : NULL;
}

#ifdef __cplusplus
}
#endif

#endif
