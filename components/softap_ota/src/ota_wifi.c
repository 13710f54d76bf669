/* The access point: open, or WPA2 when a password is set. Inside an app that brought
 * its own Wi-Fi, the component reuses the app's default AP interface and Wi-Fi driver,
 * adds the AP to the app's mode, and gives the mode back on stop; it de-initialises
 * only a driver it initialised itself. */
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";
static bool s_up;
static bool s_inited;
static bool s_own_driver;     /* esp_wifi_init was ours: stop and de-initialise on stop */
static wifi_mode_t s_app_mode; /* the app's mode when the driver was the app's */
static esp_event_handler_instance_t s_handler;

esp_err_t ota_wifi_check_config(const softap_ota_config_t *cfg)
{
    size_t ssid_len = cfg->ssid ? strlen(cfg->ssid) : 0;
    size_t pw_len = cfg->password ? strlen(cfg->password) : 0;
    if (ssid_len == 0 || ssid_len > 32) {
        ESP_LOGE(TAG, "SSID must be 1 to 32 bytes, '%s' is %u: set CONFIG_SOFTAP_OTA_SSID",
                 cfg->ssid ? cfg->ssid : "", (unsigned)ssid_len);
        return ESP_ERR_INVALID_ARG;
    }
    if (pw_len != 0 && (pw_len < 8 || pw_len > 63)) {
        ESP_LOGE(TAG, "Wi-Fi password must be empty (open network) or 8 to 63 characters for WPA2, "
                 "it has %u: set CONFIG_SOFTAP_OTA_PASSWORD", (unsigned)pw_len);
        return ESP_ERR_INVALID_ARG;
    }
    if (cfg->channel < 1 || cfg->channel > 13) {
        ESP_LOGE(TAG, "Wi-Fi channel %u is out of range 1..13: set CONFIG_SOFTAP_OTA_CHANNEL",
                 (unsigned)cfg->channel);
        return ESP_ERR_INVALID_ARG;
    }
    if (cfg->max_connections < 1 || cfg->max_connections > 10) {
        ESP_LOGE(TAG, "max connections %u is out of range 1..10: set CONFIG_SOFTAP_OTA_MAX_CONNECTIONS",
                 (unsigned)cfg->max_connections);
        return ESP_ERR_INVALID_ARG;
    }
    size_t cc_len = cfg->country ? strlen(cfg->country) : 0;
    if (cc_len != 0 && cc_len != 2) {
        ESP_LOGE(TAG, "Wi-Fi country '%s' is not a two-letter code: set CONFIG_SOFTAP_OTA_COUNTRY to "
                 "e.g. DE, US or JP, or leave it empty", cfg->country);
        return ESP_ERR_INVALID_ARG;
    }
    return ESP_OK;
}

/* Stations beyond the DHCP server's leases would join without an address (lwIP drops
 * the oldest lease, silently): accept no more stations than there are leases. */
static uint8_t max_stations(uint8_t wanted)
{
#ifdef CONFIG_LWIP_DHCPS_MAX_STATION_NUM
    if (wanted > CONFIG_LWIP_DHCPS_MAX_STATION_NUM) {
        ESP_LOGW(TAG, "max connections %u limited to %u, the DHCP server's leases: raise "
                 "CONFIG_LWIP_DHCPS_MAX_STATION_NUM to allow more", (unsigned)wanted,
                 (unsigned)CONFIG_LWIP_DHCPS_MAX_STATION_NUM);
        return (uint8_t)CONFIG_LWIP_DHCPS_MAX_STATION_NUM;
    }
#endif
    return wanted;
}

/* Set the configured country, then check that it allows the channel. */
static esp_err_t set_country(const softap_ota_config_t *cfg)
{
    esp_err_t err = ESP_OK;
    if (cfg->country && cfg->country[0]) {
        err = esp_wifi_set_country_code(cfg->country, false);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "Wi-Fi country '%s' refused (%s): set CONFIG_SOFTAP_OTA_COUNTRY to a "
                     "country ESP-IDF knows", cfg->country, esp_err_to_name(err));
            return err;
        }
    }
    wifi_country_t c;
    err = esp_wifi_get_country(&c);
    if (err != ESP_OK) {
        return err;
    }
    if (cfg->channel < c.schan || cfg->channel >= c.schan + c.nchan) {
        ESP_LOGE(TAG, "Wi-Fi channel %u is not allowed in country '%.2s' (channels %u..%u): pick one "
                 "of those (CONFIG_SOFTAP_OTA_CHANNEL) or set CONFIG_SOFTAP_OTA_COUNTRY to where the "
                 "device is used, if it allows the channel (e.g. DE or JP for 12 and 13)",
                 (unsigned)cfg->channel, c.cc, (unsigned)c.schan, (unsigned)(c.schan + c.nchan - 1));
        return ESP_ERR_INVALID_ARG;
    }
    return ESP_OK;
}

static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)base;
    if (id == WIFI_EVENT_AP_START) {
        s_up = true;
    } else if (id == WIFI_EVENT_AP_STOP) {
        s_up = false;
    } else if (id == WIFI_EVENT_AP_STACONNECTED) {
        const wifi_event_ap_staconnected_t *e = data;
        ESP_LOGI(TAG, "station " MACSTR " joined (aid %d)", MAC2STR(e->mac), e->aid);
    } else if (id == WIFI_EVENT_AP_STADISCONNECTED) {
        const wifi_event_ap_stadisconnected_t *e = data;
        ESP_LOGI(TAG, "station " MACSTR " left (aid %d)", MAC2STR(e->mac), e->aid);
    }
}

/* ESP_ERR_INVALID_STATE from these means the app did it already: fine. */
static esp_err_t tolerate_done(esp_err_t err)
{
    return err == ESP_ERR_INVALID_STATE ? ESP_OK : err;
}

esp_err_t ota_wifi_start(const softap_ota_config_t *cfg)
{
    esp_err_t err = tolerate_done(esp_netif_init());
    if (err == ESP_OK) {
        err = tolerate_done(esp_event_loop_create_default());
    }
    if (err != ESP_OK) {
        return err;
    }
    /* The default AP interface, the app's if it made one (creating a second one
     * asserts), else ours; kept after stop, found again at the next start. */
    if (!esp_netif_get_handle_from_ifkey("WIFI_AP_DEF") && !esp_netif_create_default_wifi_ap()) {
        return ESP_FAIL;
    }
    wifi_mode_t mode = WIFI_MODE_NULL;
    s_own_driver = esp_wifi_get_mode(&mode) == ESP_ERR_WIFI_NOT_INIT;
    s_app_mode = mode;
    if (s_own_driver) {
        wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
        err = esp_wifi_init(&init);
        if (err == ESP_ERR_INVALID_STATE) {
            /* ESP-IDF >= 6.0: initialised by the app meanwhile; it stays the app's */
            s_own_driver = false;
            err = esp_wifi_get_mode(&s_app_mode);
        }
        if (err != ESP_OK) {
            return err;
        }
    }
    s_inited = true;
    esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, NULL, &s_handler);

    wifi_config_t wc;
    memset(&wc, 0, sizeof wc);
    size_t ssid_len = strlen(cfg->ssid);
    memcpy(wc.ap.ssid, cfg->ssid, ssid_len);
    wc.ap.ssid_len = (uint8_t)ssid_len;
    wc.ap.channel = cfg->channel;
    wc.ap.max_connection = max_stations(cfg->max_connections);
    size_t pw_len = cfg->password ? strlen(cfg->password) : 0;
    if (pw_len) {
        memcpy(wc.ap.password, cfg->password, pw_len);
        wc.ap.authmode = WIFI_AUTH_WPA2_PSK;
    } else {
        wc.ap.authmode = WIFI_AUTH_OPEN;
    }
    wc.ap.pmf_cfg.required = false;
    bool app_sta = s_app_mode == WIFI_MODE_STA || s_app_mode == WIFI_MODE_APSTA;
    err = esp_wifi_set_mode(app_sta ? WIFI_MODE_APSTA : WIFI_MODE_AP);
    if (err == ESP_OK) {
        err = set_country(cfg);
    }
    if (err == ESP_OK) {
        err = esp_wifi_set_config(WIFI_IF_AP, &wc);
    }
    if (err == ESP_OK) {
        err = esp_wifi_start();
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "access point did not start: %s", esp_err_to_name(err));
        ota_wifi_stop();
        return err;
    }
    ESP_LOGI(TAG, "access point '%s' (%s) on channel %u", cfg->ssid, pw_len ? "WPA2" : "open",
             (unsigned)cfg->channel);
    return ESP_OK;
}

esp_err_t ota_wifi_stop(void)
{
    if (!s_inited) {
        return ESP_OK;
    }
    if (s_handler) {
        esp_event_handler_instance_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, s_handler);
        s_handler = NULL;
    }
    if (s_own_driver) {
        esp_wifi_stop();
        esp_wifi_deinit();
    } else {
        esp_wifi_set_mode(s_app_mode); /* the app's driver: give its mode back */
    }
    s_inited = false;
    s_up = false;
    return ESP_OK;
}

bool ota_wifi_is_up(void)
{
    return s_up;
}
