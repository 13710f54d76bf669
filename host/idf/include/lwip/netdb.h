/* Host port of lwIP's lwip/netdb.h: the operating system's resolver API. */
#ifndef LWIP_HDR_NETDB_H
#define LWIP_HDR_NETDB_H

#include <netdb.h>

#include "lwip/sockets.h"

#endif
