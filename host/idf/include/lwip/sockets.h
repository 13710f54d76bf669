/* Host port of lwIP's lwip/sockets.h as ESP-IDF configures it (LWIP_COMPAT_SOCKETS /
 * POSIX names): on the host the BSD socket API is the operating system's, so this only
 * brings in the POSIX headers. Device code that keeps to POSIX calls (socket, bind,
 * recvfrom, sendto, setsockopt, select, fcntl, close...) compiles both ways. Where to bind
 * on the host: sota_host_net.h. */
#ifndef LWIP_HDR_SOCKETS_H
#define LWIP_HDR_SOCKETS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "lwip/err.h"
#include "lwip/inet.h"

/* The simulated device binds only to loopback, and its well-known ports map to the
 * simulator's (port 53 to the one sota_host_set_dns_port set; 0 there: bind
 * fails with EADDRNOTAVAIL, DNS is off). Device code calls bind() as on lwIP and gets this. */
int sota_host_bind(int fd, const struct sockaddr *addr, socklen_t len);
#define bind(fd, addr, len) sota_host_bind((fd), (addr), (len))

#endif
