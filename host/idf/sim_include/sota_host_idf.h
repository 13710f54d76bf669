/* Which ESP-IDF release the host port behaves like (host only: `sota sim --idf`).
 *
 * Two halves, kept apart on purpose:
 * - Compile time: esp_idf_version.h reports the release a translation unit is built
 *   for (SOTA_HOST_IDF_MAJOR/MINOR/PATCH, set per modelled release by
 *   host/CMakeLists.txt; the newest modelled release when unset). The component and
 *   main/ are compiled once per modelled release, so their own ESP_IDF_VERSION gates
 *   are the ones that run.
 * - Run time: the host port itself (host/idf) is compiled once and asks
 *   sota_host_idf_release() wherever ESP-IDF releases differ in what the component
 *   uses. The simulator sets it to the release its component was compiled for.
 *
 * Releases are ESP_IDF_VERSION_VAL(major, minor, patch) values. */
#ifndef SOTA_HOST_IDF_H
#define SOTA_HOST_IDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The modelled releases, oldest first. host/CMakeLists.txt reads this line and builds
 * one simulator per release; the last is the newest, which esp_idf_version.h reports by
 * default and plain `sota sim` runs. */
#define SOTA_HOST_IDF_RELEASES "5.0.0 5.1.0 5.2.0 5.2.4 5.3.1 5.4.2 5.5.2 6.0.0"

/* The release the port behaves like now (default: the newest modelled one). */
uint32_t sota_host_idf_release(void);
/* Behave like `release` from now on (set it before starting servers or Wi-Fi). */
void sota_host_idf_set_release(uint32_t release);

/* Parse "5.2.4", "v5.2.4", "5.2" (patch 0) or "6.0" into a release value. Returns false
 * for anything else. */
bool sota_host_idf_parse(const char *s, uint32_t *release);
/* "5.2.4" (always three numbers) into buf. Returns buf. */
const char *sota_host_idf_str(uint32_t release, char *buf, size_t len);
/* The modelled releases, oldest first (the simulator has one build per entry); *count
 * receives how many. The last one is the newest and the default. */
const uint32_t *sota_host_idf_modelled(size_t *count);
bool sota_host_idf_is_modelled(uint32_t release);

/* --- where the modelled releases differ (each true or false for the current one) --- */

/* esp_http_server has httpd_req_async_handler_begin/complete (ESP-IDF >= 5.2). */
bool sota_host_idf_has_async_req(void);
/* httpd_req_async_handler_begin leaves the original request's unread body length set,
 * so the server task drains the body itself while the copy reads the same socket, and
 * closes the session when that drain fails (5.2.0-5.2.3, 5.3.0-5.3.1; fixed by "prevent
 * concurrent access to socket used in async http requests" in 5.2.4, 5.3.2, 5.4). */
bool sota_host_idf_async_drains_original(void);
/* The async copy shares the server's response-header array (5.2.0-5.2.3). */
bool sota_host_idf_async_shares_resp_hdrs(void);
/* httpd_req_async_handler_complete wakes the server task, so it watches the session
 * again at once (5.4.3+, 5.5.2+, 6.0+). Before, the session is looked at again only
 * when something else wakes the server (another connection, queued work). */
bool sota_host_idf_async_complete_wakes(void);
/* esp_wifi_init on an initialised driver answers ESP_ERR_INVALID_STATE (6.0+); before,
 * ESP_OK. */
bool sota_host_idf_wifi_reinit_fails(void);
/* esp_ota_begin into an OTA slot erases the inactive otadata entry (the one the running
 * app was not booted by) when rollback is enabled, esp_ota_invalidate_inactive_ota_data_slot
 * (5.5+); before, otadata is left alone until esp_ota_set_boot_partition. */
bool sota_host_idf_ota_begin_invalidates_inactive(void);

#endif
