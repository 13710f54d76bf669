/* softap-ota: web updates for ESP32 apps over the device's own Wi-Fi access point.
 *
 *     softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
 *     ESP_ERROR_CHECK(softap_ota_start(&cfg));
 *
 * opens the access point (SSID "ESP32 OTA Update" by default), answers DNS so phones
 * show the page, and serves http://192.168.4.1: the update page, GET /api/status,
 * POST /update and POST /api/boot (switch to the app another slot holds). An upload is checked on its first bytes before anything is erased,
 * streamed into the OTA slot that is not running, verified (checksum and SHA-256, from
 * flash), selected for the next boot; then the device reboots into it. A new app boots
 * pending verification and is confirmed once the health check passes, else the
 * bootloader rolls back to the previous one.
 *
 * Defaults come from Kconfig (menuconfig: "softap-ota"). Call softap_ota_start() after
 * nvs_flash_init(); it creates the default event loop and netif if the app has not.
 *
 * Who may update: by default anyone who can join the (open) network. Set `password`
 * (WPA2), `http_user`/`http_password` (Basic authentication on every route, with a
 * lockout), `policy.require_signed` (Secure Boot V2 signed apps only) and the other
 * rules of `policy` to restrict it; cross-site uploads are refused unless `check_origin`
 * is false. README.md, "Security", says what each protects against.
 */
#ifndef SOFTAP_OTA_H
#define SOFTAP_OTA_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "sdkconfig.h"
#include "softap_ota_policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Health check of a freshly updated app: return true when the app works. Called once,
 * health_delay_ms after softap_ota_start(), only while the running app is pending
 * verification. Returning false rolls back to the previous app and reboots. */
typedef bool (*softap_ota_health_fn_t)(void *ctx);
/* Filesystem updates: called before anything of data partition `label` is erased (the
 * app unmounts it, closes its files); anything but ESP_OK refuses the upload (409
 * storage_in_use) with nothing written. */
typedef esp_err_t (*softap_ota_fs_before_fn_t)(const char *label, void *ctx);
/* Called once the update of `label` has ended after fs_before_write allowed it: ok, the
 * image was written and read back intact; else the partition is incomplete (recorded in
 * NVS: softap_ota_fs_incomplete) and must not be mounted until an upload succeeds. */
typedef void (*softap_ota_fs_after_fn_t)(const char *label, bool ok, void *ctx);

typedef struct {
    /* Access point */
    const char *ssid;             /* network name; "ESP32 OTA Update" */
    const char *password;         /* "" or NULL: open network; else WPA2, 8..63 chars */
    uint8_t channel;              /* 1..13, and allowed in the Wi-Fi country (below) */
    const char *country;          /* "" or NULL: keep the driver's country (ESP-IDF's
                                     default "01": channels 1..11); else a two-letter
                                     code ("DE", "JP", "US", ...) set with
                                     esp_wifi_set_country_code before the AP starts */
    uint8_t max_connections;      /* stations at once, 1..10, and at most the DHCP
                                     leases (CONFIG_LWIP_DHCPS_MAX_STATION_NUM) */
    bool start_ap;                /* false: the app brings its own network; serve on it */
    bool captive_dns;             /* answer every DNS query with the AP address */
    /* HTTP */
    uint16_t http_port;           /* 80 */
    uint32_t recv_timeout_s;      /* one receive waits this long for data */
    uint32_t max_recv_timeouts;   /* consecutive timeouts before an upload is dropped */
    uint32_t upload_deadline_s;   /* an upload taking longer than this is dropped */
    uint32_t header_deadline_s;   /* a request's line and headers must arrive within this
                                     (else 408 and the connection is closed) */
    uint32_t resume_timeout_s;    /* a raw upload that broke off is kept this long for the
                                     same client to resume it; 0: never kept */
    /* Upload policy: rules stricter than ESP-IDF's own verification (softap_ota_policy.h;
     * SOFTAP_OTA_POLICY_DEFAULT() gives Kconfig's) */
    softap_ota_policy_t policy;
    /* Signed apps (policy.require_signed; Secure Boot V2 signature blocks: RSA-3072 PSS
     * or ECDSA P-256) */
    const char *signing_key_digest; /* the trusted key: 64 hex digits of the SHA-256 of its
                                     public key block (espsecure.py digest_sbv2_public_key).
                                     "" or NULL: the key that signed the running app */
    /* Who may use the HTTP server */
    const char *http_user;        /* Basic authentication user name (1..32 bytes, no ':') */
    const char *http_password;    /* "" or NULL: no authentication (the default: no built-in
                                     credentials); else 8..64 characters, asked on the page,
                                     /api/status and /update */
    uint32_t auth_free_attempts;  /* wrong logins in a row before a lockout, >= 1 */
    uint32_t auth_lockout_s;      /* first lockout (429), doubled per further failure up to
                                     16 times, >= 1 */
    bool check_origin;            /* refuse (403) a POST /update whose Origin or Referer is
                                     another site than the device's address */
    /* Rollback */
    softap_ota_health_fn_t health_check; /* NULL: healthy once the AP and HTTP are up */
    void *health_ctx;
    uint32_t health_delay_ms;     /* wait before judging a new app */
    /* Filesystem images (LittleFS, SPIFFS, FAT) for a data partition */
    softap_ota_fs_before_fn_t fs_before_write; /* NULL: nothing to release */
    softap_ota_fs_after_fn_t fs_after_write;   /* NULL: nothing to do */
    void *fs_ctx;                 /* passed to both */
    bool fs_reboot;               /* restart after a filesystem update (so nothing keeps
                                     stale file handles); false: stay up */
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

#ifdef CONFIG_SOFTAP_OTA_REFUSE_FAILED_VERSION
#define SOFTAP_OTA_REFUSE_FAILED_VERSION_DEFAULT true
#else
#define SOFTAP_OTA_REFUSE_FAILED_VERSION_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_REQUIRE_SIGNED
#define SOFTAP_OTA_REQUIRE_SIGNED_DEFAULT true
#else
#define SOFTAP_OTA_REQUIRE_SIGNED_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_FS_REBOOT
#define SOFTAP_OTA_FS_REBOOT_DEFAULT true
#else
#define SOFTAP_OTA_FS_REBOOT_DEFAULT false
#endif
#ifdef CONFIG_SOFTAP_OTA_CHECK_ORIGIN
#define SOFTAP_OTA_CHECK_ORIGIN_DEFAULT true
#else
#define SOFTAP_OTA_CHECK_ORIGIN_DEFAULT false
#endif

/* The upload rules as Kconfig sets them (CONFIG_SOFTAP_OTA_REQUIRE_* and _REFUSE_*). */
#define SOFTAP_OTA_POLICY_DEFAULT() {                                          \
    .require_app_desc = SOFTAP_OTA_REQUIRE_APP_DESC_DEFAULT,                   \
    .require_sha256 = SOFTAP_OTA_REQUIRE_SHA256_DEFAULT,                       \
    .require_same_project = SOFTAP_OTA_REQUIRE_SAME_PROJECT_DEFAULT,           \
    .refuse_downgrade = SOFTAP_OTA_REFUSE_DOWNGRADE_DEFAULT,                   \
    .refuse_lower_secure_version = SOFTAP_OTA_REFUSE_LOWER_SECURE_VERSION_DEFAULT, \
    .refuse_failed_version = SOFTAP_OTA_REFUSE_FAILED_VERSION_DEFAULT,         \
    .require_signed = SOFTAP_OTA_REQUIRE_SIGNED_DEFAULT,                       \
}

/* Every field from Kconfig (CONFIG_SOFTAP_OTA_*). */
#define SOFTAP_OTA_CONFIG_DEFAULT() {                                          \
    .ssid = CONFIG_SOFTAP_OTA_SSID,                                            \
    .password = CONFIG_SOFTAP_OTA_PASSWORD,                                    \
    .channel = CONFIG_SOFTAP_OTA_CHANNEL,                                      \
    .country = CONFIG_SOFTAP_OTA_COUNTRY,                                      \
    .max_connections = CONFIG_SOFTAP_OTA_MAX_CONNECTIONS,                      \
    .start_ap = true,                                                          \
    .captive_dns = SOFTAP_OTA_CAPTIVE_DNS_DEFAULT,                             \
    .http_port = CONFIG_SOFTAP_OTA_HTTP_PORT,                                  \
    .recv_timeout_s = CONFIG_SOFTAP_OTA_RECV_TIMEOUT_S,                        \
    .max_recv_timeouts = CONFIG_SOFTAP_OTA_MAX_RECV_TIMEOUTS,                  \
    .upload_deadline_s = CONFIG_SOFTAP_OTA_UPLOAD_DEADLINE_S,                  \
    .header_deadline_s = CONFIG_SOFTAP_OTA_HEADER_DEADLINE_S,                  \
    .resume_timeout_s = CONFIG_SOFTAP_OTA_RESUME_TIMEOUT_S,                    \
    .policy = SOFTAP_OTA_POLICY_DEFAULT(),                                     \
    .signing_key_digest = CONFIG_SOFTAP_OTA_SIGNING_KEY_DIGEST,                \
    .http_user = CONFIG_SOFTAP_OTA_HTTP_USER,                                  \
    .http_password = CONFIG_SOFTAP_OTA_HTTP_PASSWORD,                          \
    .auth_free_attempts = CONFIG_SOFTAP_OTA_AUTH_FREE_ATTEMPTS,                \
    .auth_lockout_s = CONFIG_SOFTAP_OTA_AUTH_LOCKOUT_S,                        \
    .check_origin = SOFTAP_OTA_CHECK_ORIGIN_DEFAULT,                           \
    .health_check = NULL,                                                      \
    .health_ctx = NULL,                                                        \
    .health_delay_ms = CONFIG_SOFTAP_OTA_HEALTH_DELAY_MS,                      \
    .fs_before_write = NULL,                                                   \
    .fs_after_write = NULL,                                                    \
    .fs_ctx = NULL,                                                            \
    .fs_reboot = SOFTAP_OTA_FS_REBOOT_DEFAULT,                                 \
}

typedef enum {
    SOFTAP_OTA_IDLE,       /* waiting for an upload */
    SOFTAP_OTA_RECEIVING,  /* an upload is streaming into the slot */
    SOFTAP_OTA_VERIFYING,  /* all bytes in: verifying from flash, selecting the slot */
    SOFTAP_OTA_REBOOTING,  /* done: rebooting into the new app */
    SOFTAP_OTA_FAILED,     /* the last upload failed (see last_message) */
    SOFTAP_OTA_INTERRUPTED, /* an upload broke off and is kept for a resume */
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
 * a bad configuration (Wi-Fi password shorter than 8, channel out of range, an HTTP
 * password without a user or shorter than 8, a signing_key_digest that is not 64 hex
 * digits, require_signed with no trusted key...),
 * ESP_ERR_INVALID_STATE if already started, or the error of the failing ESP-IDF call. */
esp_err_t softap_ota_start(const softap_ota_config_t *cfg);
/* Stop the HTTP server, DNS and (if it started it) the access point. An upload in
 * progress is ended first (the running app stays; the client's connection is closed)
 * and waited for, at most the receive timeout + 10 s: ESP_ERR_TIMEOUT if it did not end
 * by then (nothing was stopped; call again). */
esp_err_t softap_ota_stop(void);
/* A snapshot of the updater's state. */
esp_err_t softap_ota_get_status(softap_ota_status_t *out);
/* Verify the factory app's image (the standalone updater), select it for the next boot
 * and restart: the way back to the updater from any app, the same mechanism as
 * POST /api/boot. Does not return on success; ESP_ERR_NOT_FOUND if the table has no
 * factory app, ESP_ERR_OTA_VALIDATE_FAILED if its image does not verify (nothing is
 * changed then), or the error of esp_ota_set_boot_partition. */
esp_err_t softap_ota_reboot_to_factory(void);
/* Name of a state ("idle", "receiving", ...). */
const char *softap_ota_state_name(softap_ota_state_t state);

/* Whether data partition `label` was left incomplete by a filesystem update (a power
 * cut, a lost connection, a refused or failed upload after its first bytes were
 * written): true until an upload of an image to it succeeds. Ask before mounting it.
 * Reads NVS (nvs_flash_init() first); callable before softap_ota_start(). False for a
 * NULL label or one never written by an update. */
bool softap_ota_fs_incomplete(const char *label);

#ifdef __cplusplus
}
#endif

#endif
