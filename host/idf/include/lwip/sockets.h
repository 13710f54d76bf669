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

#endif
