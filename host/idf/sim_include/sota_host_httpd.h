/* Host-only additions to the esp_http_server port (not part of ESP-IDF; device code must
 * not call them). The host server always listens on 127.0.0.1, never another address. */
#ifndef SOTA_HOST_HTTPD_H
#define SOTA_HOST_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "esp_http_server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The TCP port the server is listening on (the ephemeral port chosen by the system
 * when it was started with port 0), or 0 for a NULL handle. */
uint16_t httpd_host_port(httpd_handle_t handle);

/* When port is not 0, every later httpd_start() listens on this port instead of
 * config->server_port (the simulator's --port: the device code keeps asking for 80).
 * 0 restores config->server_port. Call before httpd_start(); not thread-safe with it. */
void httpd_host_set_port_override(uint16_t port);

/* Lose connections in the middle of request bodies, as a phone leaving the access point
 * does (the simulator's --cut-upload): the k-th request body (k = 0..n-1) longer than
 * cut_at[k] bytes gets only its first cut_at[k] bytes; then its connection is shut
 * down and httpd_req_recv() returns HTTPD_SOCK_ERR_FAIL, as on a reset. Bodies not
 * longer than the next cut point pass untouched. Copies up to 8 points; n = 0 turns it
 * off. Call before requests arrive. */
void httpd_host_set_body_cuts(const uint64_t *cut_at, size_t n);

#ifdef __cplusplus
}
#endif

#endif
