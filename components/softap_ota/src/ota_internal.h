/* Shared inside the component's src/ only: the updater's state and the rooms' entry
 * points. Nothing here is public API (see include/softap_ota.h). */
#ifndef SOFTAP_OTA_INTERNAL_H
#define SOFTAP_OTA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_http_server.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "softap_ota.h"
#include "sota_update.h"

/* ota_state.c: the one updater state, behind a mutex */
esp_err_t ota_state_init(const softap_ota_config_t *cfg);
void ota_state_deinit(void);
const softap_ota_config_t *ota_state_config(void);
/* Claim the single update session; false if one is running (409). */
bool ota_state_try_begin(uint32_t total);
void ota_state_progress(uint32_t received);
void ota_state_set(softap_ota_state_t st);
/* End the session with a result that is also stored for after the reboot. */
void ota_state_finish(bool ok, const char *message, const char *slot);
void ota_state_get(softap_ota_status_t *out);

/* ota_store.c: the last update's result in NVS (survives reboots) */
/* slot: label of the partition the result is about ("" if none) */
void ota_store_save(bool ok, const char *message, const char *slot);
bool ota_store_load(bool *ok, char *message, size_t len, char *slot, size_t slot_len);

/* ota_writer.c: sota_update_ops_t over esp_ota_* / esp_partition_* */
typedef struct {
    const esp_partition_t *part;
    esp_ota_handle_t handle;
    bool open;
} ota_writer_t;
extern const sota_update_ops_t ota_writer_ops;
/* Point w at the slot to write and fill cfg for an update session: the chip, revision
 * and slot the new image must fit, the running app's identity and the policy of c. */
esp_err_t ota_writer_target(ota_writer_t *w, const softap_ota_config_t *c, sota_update_cfg_t *cfg);

/* ota_http.c */
esp_err_t ota_http_start(const softap_ota_config_t *cfg, httpd_handle_t *out);
/* ota_status.c: GET /api/status body (caller frees) */
char *ota_status_json(void);

/* ota_wifi.c */
esp_err_t ota_wifi_check_config(const softap_ota_config_t *cfg);
esp_err_t ota_wifi_start(const softap_ota_config_t *cfg);
esp_err_t ota_wifi_stop(void);
bool ota_wifi_is_up(void);

/* ota_dns.c: captive portal DNS on UDP port 53 */
esp_err_t ota_dns_start(void);
void ota_dns_stop(void);

/* ota_health.c: confirm or roll back a freshly updated app */
void ota_health_start(const softap_ota_config_t *cfg, httpd_handle_t http);

#endif
