/* Ethernet for the openeth variant of the updater (QEMU's OpenCores MAC). */
#ifndef APP_ETH_H
#define APP_ETH_H

#include <stdint.h>

#include "esp_err.h"

/* Start the network stack and the default event loop (if the app has not), bring up
 * Ethernet on the OpenCores MAC with a DHCP client and wait up to timeout_ms for an
 * IPv4 address.
 * Returns ESP_OK with an address, ESP_ERR_TIMEOUT when DHCP gave none in time (is QEMU
 * started with -nic user,model=open_eth?), or the error of the step that failed (logged). */
esp_err_t app_eth_start(uint32_t timeout_ms);

#endif
