/* softap-ota: web updates for ESP32 apps over the device's own Wi-Fi access point.
 *
 *     softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
 *     ESP_ERROR_CHECK(softap_ota_start(&cfg));
 *
 * opens the access point (SSID "ESP32 OTA Update" by default), answers DNS so phones
 * show the page, and serves http://192.168.4.1: the update page, GET /api/status and
 * POST /update. An upload is checked on its first bytes before anything is erased,
 * streamed into the OTA slot that is not running, verified (checksum and SHA-256, from
 * flash), selected for the next boot; then the device reboots into it. A new app boots
 * pending verification and is confirmed once the health check passes, else the
 * bootloader rolls back to the previous one.
 *
 * Defaults come from Kconfig (menuconfig: "softap-ota"). Call softap_ota_start() after
 * nvs_flash_init(); it creates the default event loop and netif if the app has not.
 */
#ifndef SOFTAP_OTA_H
#define SOFTAP_OTA_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Health check of a freshly updated app: return true when the app works. Called once,
 * health_delay_ms after softap_ota_start(), only while the running app is pending
 * verification. Returning false rolls back to the previous app and reboots. */
typedef bool (*softap_ota_health_fn_t)(void *ctx);

typedef struct {
    /* Access point */
    const char *ssid;             /* network name; "ESP32 OTA Update" */
    const char *password;         /* "" or NULL: open network; else WPA2, 8..63 chars */
    uint8_t channel;              /* 1..13 */
    uint8_t max_connections;      /* stations at once, 1..10 */
    bool start_ap;                /* false: the app brings its own network; serve on it */
    bool captive_dns;             /* answer every DNS query with the AP address */
    /* HTTP */
    uint16_t http_port;           /* 80 */
    uint32_t recv_timeout_s;      /* one receive waits this long for data */
    uint32_t max_recv_timeouts;   /* consecutive timeouts before an upload is dropped */
    uint32_t upload_deadline_s;   /* an upload taking longer than this is dropped */
    /* Upload policy (rules stricter than ESP-IDF's own verification) */
    bool require_app_desc;        /* refuse images without a valid app description */
    bool require_sha256;          /* refuse images without an appended SHA-256 */
    bool require_same_project;    /* refuse another project's firmware */
    bool refuse_downgrade;        /* refuse a lower version than the running one */
    bool refuse_lower_secure_version; /* refuse a lower secure_version (anti-rollback) */
    /* Rollback */
    softap_ota_health_fn_t health_check; /* NULL: healthy once the AP and HTTP are up */
    void *health_ctx;
    uint32_t health_delay_ms;     /* wait before judging a new app */
} softap_ota_config_t;

#ifdef CONFIG_SOFTAP_OTA_CAPTIVE_DNS
#define SOFTAP_OTA_CAPTIVE_DNS_DEFAULT true
#else
#define SOFTAP_OTA_CAPTIVE_DNS_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REQUIRE_APP_DESC
#define SOFTAP_OTA_REQUIRE_APP_DESC_DEFAULT true
#else
#define SOFTAP_OTA_REQUIRE_APP_DESC_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REQUIRE_SHA256
#define SOFTAP_OTA_REQUIRE_SHA256_DEFAULT true
#else
#define SOFTAP_OTA_REQUIRE_SHA256_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REQUIRE_SAME_PROJECT
#define SOFTAP_OTA_REQUIRE_SAME_PROJECT_DEFAULT true
#else
#define SOFTAP_OTA_REQUIRE_SAME_PROJECT_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REFUSE_DOWNGRADE
#define SOFTAP_OTA_REFUSE_DOWNGRADE_DEFAULT true
#else
#define SOFTAP_OTA_REFUSE_DOWNGRADE_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REFUSE_LOWER_SECURE_VERSION
#define SOFTAP_OTA_REFUSE_LOWER_SECURE_VERSION_DEFAULT true
#else
#define SOFTAP_OTA_REFUSE_LOWER_SECURE_VERSION_DEFAULT false
#endif

/* Every field from Kconfig (CONFIG_SOFTAP_OTA_*). */
#define SOFTAP_OTA_CONFIG_DEFAULT() {                                          \
    .ssid = CONFIG_SOFTAP_OTA_SSID,                                            \
    .password = CONFIG_SOFTAP_OTA_PASSWORD,                                    \
    .channel = CONFIG_SOFTAP_OTA_CHANNEL,                                      \
    .max_connections = CONFIG_SOFTAP_OTA_MAX_CONNECTIONS,                      \
    .start_ap = true,                                                          \
    .captive_dns = SOFTAP_OTA_CAPTIVE_DNS_DEFAULT,                             \
    .http_port = CONFIG_SOFTAP_OTA_HTTP_PORT,                                  \
    .recv_timeout_s = CONFIG_SOFTAP_OTA_RECV_TIMEOUT_S,                        \
    .max_recv_timeouts = CONFIG_SOFTAP_OTA_MAX_RECV_TIMEOUTS,                  \
    .upload_deadline_s = CONFIG_SOFTAP_OTA_UPLOAD_DEADLINE_S,                  \
    .require_app_desc = SOFTAP_OTA_REQUIRE_APP_DESC_DEFAULT,                   \
    .require_sha256 = SOFTAP_OTA_REQUIRE_SHA256_DEFAULT,                       \
    .require_same_project = SOFTAP_OTA_REQUIRE_SAME_PROJECT_DEFAULT,           \
    .refuse_downgrade = SOFTAP_OTA_REFUSE_DOWNGRADE_DEFAULT,                   \
    .refuse_lower_secure_version = SOFTAP_OTA_REFUSE_LOWER_SECURE_VERSION_DEFAULT, \
    .health_check = NULL,                                                      \
    .health_ctx = NULL,                                                        \
    .health_delay_ms = CONFIG_SOFTAP_OTA_HEALTH_DELAY_MS,                      \
}

typedef enum {
    SOFTAP_OTA_IDLE,       /* waiting for an upload */
    SOFTAP_OTA_RECEIVING,  /* an upload is streaming into the slot */
    SOFTAP_OTA_VERIFYING,  /* all bytes in: verifying from flash, selecting the slot */
    SOFTAP_OTA_REBOOTING,  /* done: rebooting into the new app */
    SOFTAP_OTA_FAILED,     /* the last upload failed (see last_message) */
} softap_ota_state_t;

typedef struct {
    softap_ota_state_t state;
    uint32_t received;         /* bytes of the current/last upload received */
    uint32_t total;            /* bytes announced (Content-Length), 0 unknown */
    bool have_last;            /* a result of an earlier update is known */
    bool last_ok;
    char last_message[320];    /* what the last update did, or why it failed */
} softap_ota_status_t;

/* Start the access point, DNS and HTTP server. ESP_ERR_INVALID_ARG with a log line for
 * a bad configuration (password shorter than 8, channel out of range...),
 * ESP_ERR_INVALID_STATE if already started, or the error of the failing ESP-IDF call. */
esp_err_t softap_ota_start(const softap_ota_config_t *cfg);
/* Stop the HTTP server, DNS and (if it started it) the access point. */
esp_err_t softap_ota_stop(void);
/* A snapshot of the updater's state. */
esp_err_t softap_ota_get_status(softap_ota_status_t *out);
/* Select the factory app (the standalone updater) for the next boot and restart:
 * the way back to the updater from any app. Does not return on success;
 * ESP_ERR_NOT_FOUND if the table has no factory app, or the error of
 * esp_ota_set_boot_partition (e.g. its image does not verify). */
esp_err_t softap_ota_reboot_to_factory(void);
/* Name of a state ("idle", "receiving", ...). */
const char *softap_ota_state_name(softap_ota_state_t state);

#ifdef __cplusplus
}
#endif

#endif
