/* Host port of the Wi-Fi driver subset a soft-AP uses (esp_wifi.h): state, argument
 * checks, the AP it would run (logged), simulated stations, and the WIFI_EVENT /
 * IP_EVENT posts a device makes. Events are collected under the driver lock and posted
 * after it is released, so handlers may call back into the driver. */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "net_internal.h"
#include "nvs.h"
#include "sota_host_idf.h"
#include "sota_host_net.h"
#include "sota_host_nvs.h"

static const char *TAG = "wifi";

ESP_EVENT_DEFINE_BASE(WIFI_EVENT);

/* The Wi-Fi countries ESP-IDF knows (esp_wifi_set_country_code) and their channels. */
static const char *const s_cc_11 = "01USCAMXTW";
static const char *const s_cc_13 = "ATAUBEBGBRCHCNCYCZDEDKEEESFIFRGBGRHKHRHUIEINISITKRLILTLULVMTNLNONZPLPTROSESISK";

typedef struct {
    bool used;
    uint8_t mac[6];
    uint8_t aid;
    esp_ip4_addr_t ip;
} station_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static bool s_inited;
static bool s_started;
static wifi_mode_t s_mode;
static wifi_ap_config_t s_ap;
static wifi_sta_config_t s_sta;
static station_t s_stations[ESP_WIFI_MAX_CONN_NUM];
static wifi_country_t s_country;

/* Channels of a country code, 0 if ESP-IDF does not know it. */
static uint8_t country_channels(const char *cc)
{
    if (strcmp(cc, "JP") == 0) {
        return 14;
    }
    for (const char *l = s_cc_11; *l; l += 2) {
        if (l[0] == cc[0] && l[1] == cc[1]) {
            return 11;
        }
    }
    for (const char *l = s_cc_13; *l; l += 2) {
        if (l[0] == cc[0] && l[1] == cc[1]) {
            return 13;
        }
    }
    return 0;
}

/* --- events to post once the lock is released --- */

typedef struct {
    esp_event_base_t base;
    int32_t id;
    uint8_t data[32];
    size_t len;
} pending_event_t;

typedef struct {
    pending_event_t ev[2 * ESP_WIFI_MAX_CONN_NUM + 6];
    int n;
} pending_t;

static void push(pending_t *p, esp_event_base_t base, int32_t id, const void *data, size_t len)
{
    if (p->n >= (int)(sizeof p->ev / sizeof p->ev[0]) || len > sizeof p->ev[0].data) {
        ESP_LOGE(TAG, "internal: event %s:%d dropped", base, (int)id);
        return;
    }
    pending_event_t *e = &p->ev[p->n++];
    e->base = base;
    e->id = id;
    e->len = len;
    if (len) {
        memcpy(e->data, data, len);
    }
}

static void flush(const pending_t *p)
{
    for (int i = 0; i < p->n; i++) {
        const pending_event_t *e = &p->ev[i];
        esp_err_t err = esp_event_post(e->base, e->id, e->len ? e->data : NULL, e->len,
                                       portMAX_DELAY);
        if (err == ESP_ERR_INVALID_STATE) {
            ESP_LOGW(TAG, "no default event loop: event %s:%d not delivered (call "
                     "esp_event_loop_create_default() before using Wi-Fi)", e->base, (int)e->id);
        } else if (err != ESP_OK) {
            ESP_LOGE(TAG, "event %s:%d not delivered: %s", e->base, (int)e->id,
                     esp_err_to_name(err));
        }
    }
}

/* --- helpers (lock held) --- */

static bool mode_has_ap(wifi_mode_t m)
{
    return m == WIFI_MODE_AP || m == WIFI_MODE_APSTA;
}

static bool mode_has_sta(wifi_mode_t m)
{
    return m == WIFI_MODE_STA || m == WIFI_MODE_APSTA;
}

static const char *auth_name(wifi_auth_mode_t m)
{
    static const char *const names[] = {
        [WIFI_AUTH_OPEN] = "open",
        [WIFI_AUTH_WEP] = "WEP",
        [WIFI_AUTH_WPA_PSK] = "WPA-PSK",
        [WIFI_AUTH_WPA2_PSK] = "WPA2-PSK",
        [WIFI_AUTH_WPA_WPA2_PSK] = "WPA/WPA2-PSK",
        [WIFI_AUTH_WPA2_ENTERPRISE] = "WPA2-Enterprise",
        [WIFI_AUTH_WPA3_PSK] = "WPA3-PSK",
        [WIFI_AUTH_WPA2_WPA3_PSK] = "WPA2/WPA3-PSK",
        [WIFI_AUTH_WAPI_PSK] = "WAPI-PSK",
        [WIFI_AUTH_OWE] = "OWE",
    };
    return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "?";
}

static size_t ssid_length(const wifi_ap_config_t *ap)
{
    if (ap->ssid_len) {
        return ap->ssid_len;
    }
    return strnlen((const char *)ap->ssid, sizeof ap->ssid);
}

static void default_ap_config(void)
{
    uint8_t mac[6];
    net_host_mac(WIFI_IF_AP, mac);
    memset(&s_ap, 0, sizeof s_ap);
    snprintf((char *)s_ap.ssid, sizeof s_ap.ssid, "ESP_%02X%02X%02X", mac[3], mac[4], mac[5]);
    s_ap.ssid_len = (uint8_t)strlen((const char *)s_ap.ssid);
    s_ap.channel = 1;
    s_ap.authmode = WIFI_AUTH_OPEN;
    s_ap.max_connection = 4;
    s_ap.beacon_interval = 100;
    s_ap.pmf_cfg.capable = true;
}

static void ap_start(pending_t *p)
{
    esp_netif_t *netif = net_ap_netif();
    char where[64];
    if (netif) {
        esp_netif_ip_info_t ip;
        esp_netif_get_ip_info(netif, &ip);
        snprintf(where, sizeof where, IPSTR, IP2STR(&ip.ip));
    } else {
        snprintf(where, sizeof where, "no IP interface (esp_netif_create_default_wifi_ap "
                 "not called)");
    }
    ESP_LOGI(TAG, "AP '%.*s' channel %u %s%s, max %u stations, %s", (int)ssid_length(&s_ap),
             (const char *)s_ap.ssid, (unsigned)s_ap.channel, auth_name(s_ap.authmode),
             s_ap.ssid_hidden ? " hidden" : "", (unsigned)s_ap.max_connection, where);
    net_ap_netif_set_up(netif, true);
    push(p, WIFI_EVENT, WIFI_EVENT_AP_START, NULL, 0);
}

static void station_leave(station_t *st, pending_t *p)
{
    wifi_event_ap_stadisconnected_t ev = { .aid = st->aid };
    memcpy(ev.mac, st->mac, sizeof ev.mac);
    net_dhcps_release(net_ap_netif(), st->mac);
    ESP_LOGI(TAG, "station %02x:%02x:%02x:%02x:%02x:%02x left, AID %u", st->mac[0], st->mac[1],
             st->mac[2], st->mac[3], st->mac[4], st->mac[5], (unsigned)st->aid);
    memset(st, 0, sizeof *st);
    push(p, WIFI_EVENT, WIFI_EVENT_AP_STADISCONNECTED, &ev, sizeof ev);
}

static void ap_stop(pending_t *p)
{
    for (int i = 0; i < ESP_WIFI_MAX_CONN_NUM; i++) {
        if (s_stations[i].used) {
            station_leave(&s_stations[i], p);
        }
    }
    net_ap_netif_set_up(net_ap_netif(), false);
    ESP_LOGI(TAG, "AP stopped");
    push(p, WIFI_EVENT, WIFI_EVENT_AP_STOP, NULL, 0);
}

/* ESP-IDF's soft-AP checks, each rejection explained. */
static esp_err_t check_ap_config(const wifi_ap_config_t *ap)
{
    if (ap->ssid_len > sizeof ap->ssid) {
        ESP_LOGE(TAG, "AP config: ssid_len %u is longer than 32", (unsigned)ap->ssid_len);
        return ESP_ERR_WIFI_SSID;
    }
    if ((unsigned)ap->authmode >= WIFI_AUTH_MAX) {
        ESP_LOGE(TAG, "AP config: authmode %d is not a wifi_auth_mode_t", (int)ap->authmode);
        return ESP_ERR_INVALID_ARG;
    }
    if (ap->authmode == WIFI_AUTH_WEP || ap->authmode == WIFI_AUTH_WPA2_ENTERPRISE) {
        ESP_LOGE(TAG, "AP config: %s is not supported on a soft-AP", auth_name(ap->authmode));
        return ESP_ERR_INVALID_ARG;
    }
    if (ap->authmode != WIFI_AUTH_OPEN) {
        size_t len = strnlen((const char *)ap->password, sizeof ap->password);
        if (len < 8) {
            ESP_LOGE(TAG, "AP config: a %s password needs at least 8 characters (has %zu); "
                     "use a longer one or WIFI_AUTH_OPEN", auth_name(ap->authmode), len);
            return ESP_ERR_WIFI_PASSWORD;
        }
        if (len == sizeof ap->password) {
            for (size_t i = 0; i < len; i++) {
                if (!isxdigit(ap->password[i])) {
                    ESP_LOGE(TAG, "AP config: a 64-character password must be 64 hex digits "
                             "(a raw PSK); passphrases have 8..63 characters");
                    return ESP_ERR_WIFI_PASSWORD;
                }
            }
        }
    }
    if (ap->channel < s_country.schan || ap->channel >= s_country.schan + s_country.nchan) {
        ESP_LOGE(TAG, "AP config: channel %u is out of range %u..%u (country \"%s\")",
                 (unsigned)ap->channel, (unsigned)s_country.schan,
                 (unsigned)(s_country.schan + s_country.nchan - 1), s_country.cc);
        return ESP_ERR_INVALID_ARG;
    }
    if (ap->max_connection > ESP_WIFI_MAX_CONN_NUM) {
        ESP_LOGE(TAG, "AP config: max_connection %u is more than %d",
                 (unsigned)ap->max_connection, ESP_WIFI_MAX_CONN_NUM);
        return ESP_ERR_INVALID_ARG;
    }
    if (ap->beacon_interval != 0 && (ap->beacon_interval < 100 || ap->beacon_interval > 60000)) {
        ESP_LOGE(TAG, "AP config: beacon_interval %u is out of range 100..60000",
                 (unsigned)ap->beacon_interval);
        return ESP_ERR_INVALID_ARG;
    }
    return ESP_OK;
}

/* --- API --- */

esp_err_t esp_wifi_init(const wifi_init_config_t *config)
{
    if (!config || config->magic != WIFI_INIT_CONFIG_MAGIC) {
        ESP_LOGE(TAG, "esp_wifi_init: config is NULL or not made with WIFI_INIT_CONFIG_DEFAULT()");
        return ESP_ERR_INVALID_ARG;
    }
    if (config->nvs_enable && !nvs_host_is_initialized()) {
        ESP_LOGE(TAG, "esp_wifi_init: NVS is not initialised; call nvs_flash_init() first");
        return ESP_ERR_NVS_NOT_INITIALIZED;
    }
    esp_err_t err = ESP_OK;
    pthread_mutex_lock(&s_lock);
    if (s_inited && sota_host_idf_wifi_reinit_fails()) {
        /* ESP-IDF 6.0 refuses a second init; 5.x answers ESP_OK (sota_host_idf.h). */
        pthread_mutex_unlock(&s_lock);
        ESP_LOGE(TAG, "Failed to init, WiFi is initialized by esp_wifi_init");
        return ESP_ERR_INVALID_STATE;
    }
    if (!s_inited) {
        s_inited = true;
        s_started = false;
        s_mode = WIFI_MODE_STA;
        default_ap_config();
        memset(&s_sta, 0, sizeof s_sta);
        memset(s_stations, 0, sizeof s_stations);
        s_country = (wifi_country_t){ .cc = "01", .schan = 1, .nchan = 11, .max_tx_power = 20,
                                      .policy = WIFI_COUNTRY_POLICY_AUTO };
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t esp_wifi_set_country_code(const char *country, bool ieee80211d_enabled)
{
    (void)ieee80211d_enabled;
    if (!country || strlen(country) < 2) {
        return ESP_ERR_INVALID_ARG;
    }
    uint8_t n = country_channels(country);
    if (n == 0) {
        ESP_LOGE(TAG, "esp_wifi_set_country_code: '%.2s' is not a country ESP-IDF knows", country);
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = s_inited ? ESP_OK : ESP_ERR_WIFI_NOT_INIT;
    if (err == ESP_OK) {
        memcpy(s_country.cc, country, 2);
        s_country.cc[2] = '\0';
        s_country.schan = 1;
        s_country.nchan = n;
        ESP_LOGI(TAG, "country %s: channels 1..%u", s_country.cc, (unsigned)n);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t esp_wifi_get_country(wifi_country_t *country)
{
    if (!country) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = s_inited ? ESP_OK : ESP_ERR_WIFI_NOT_INIT;
    if (err == ESP_OK) {
        *country = s_country;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t esp_wifi_deinit(void)
{
    esp_err_t err = ESP_OK;
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        err = ESP_ERR_WIFI_NOT_INIT;
    } else if (s_started) {
        ESP_LOGE(TAG, "esp_wifi_deinit: Wi-Fi is running; call esp_wifi_stop() first");
        err = ESP_ERR_WIFI_NOT_STOPPED;
    } else {
        s_inited = false;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t esp_wifi_set_mode(wifi_mode_t mode)
{
    if ((unsigned)mode >= WIFI_MODE_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    pending_t p = { .n = 0 };
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        pthread_mutex_unlock(&s_lock);
        return ESP_ERR_WIFI_NOT_INIT;
    }
    wifi_mode_t old = s_mode;
    s_mode = mode;
    if (s_started) {
        if (mode_has_sta(old) && !mode_has_sta(mode)) {
            push(&p, WIFI_EVENT, WIFI_EVENT_STA_STOP, NULL, 0);
        }
        if (mode_has_ap(old) && !mode_has_ap(mode)) {
            ap_stop(&p);
        }
        if (!mode_has_sta(old) && mode_has_sta(mode)) {
            push(&p, WIFI_EVENT, WIFI_EVENT_STA_START, NULL, 0);
        }
        if (!mode_has_ap(old) && mode_has_ap(mode)) {
            ap_start(&p);
        }
    }
    pthread_mutex_unlock(&s_lock);
    flush(&p);
    return ESP_OK;
}

esp_err_t esp_wifi_get_mode(wifi_mode_t *mode)
{
    if (!mode) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = s_inited ? ESP_OK : ESP_ERR_WIFI_NOT_INIT;
    if (err == ESP_OK) {
        *mode = s_mode;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t esp_wifi_start(void)
{
    pending_t p = { .n = 0 };
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        pthread_mutex_unlock(&s_lock);
        return ESP_ERR_WIFI_NOT_INIT;
    }
    if (!s_started) {
        s_started = true;
        if (mode_has_sta(s_mode)) {
            ESP_LOGI(TAG, "station started (no station is simulated on the host)");
            push(&p, WIFI_EVENT, WIFI_EVENT_STA_START, NULL, 0);
        }
        if (mode_has_ap(s_mode)) {
            ap_start(&p);
        }
    }
    pthread_mutex_unlock(&s_lock);
    flush(&p);
    return ESP_OK;
}

esp_err_t esp_wifi_stop(void)
{
    pending_t p = { .n = 0 };
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        pthread_mutex_unlock(&s_lock);
        return ESP_ERR_WIFI_NOT_INIT;
    }
    if (s_started) {
        if (mode_has_ap(s_mode)) {
            ap_stop(&p);
        }
        if (mode_has_sta(s_mode)) {
            push(&p, WIFI_EVENT, WIFI_EVENT_STA_STOP, NULL, 0);
        }
        s_started = false;
    }
    pthread_mutex_unlock(&s_lock);
    flush(&p);
    return ESP_OK;
}

esp_err_t esp_wifi_set_config(wifi_interface_t interface, wifi_config_t *conf)
{
    pending_t p = { .n = 0 };
    pthread_mutex_lock(&s_lock);
    esp_err_t err = ESP_OK;
    if (!s_inited) {
        err = ESP_ERR_WIFI_NOT_INIT;
    } else if (!conf) {
        err = ESP_ERR_INVALID_ARG;
    } else if (interface != WIFI_IF_STA && interface != WIFI_IF_AP) {
        err = ESP_ERR_WIFI_IF;
    } else if (interface == WIFI_IF_AP && !mode_has_ap(s_mode)) {
        ESP_LOGE(TAG, "esp_wifi_set_config(WIFI_IF_AP): the mode has no soft-AP; call "
                 "esp_wifi_set_mode(WIFI_MODE_AP) first");
        err = ESP_ERR_WIFI_MODE;
    } else if (interface == WIFI_IF_STA && !mode_has_sta(s_mode)) {
        ESP_LOGE(TAG, "esp_wifi_set_config(WIFI_IF_STA): the mode has no station; call "
                 "esp_wifi_set_mode(WIFI_MODE_STA) first");
        err = ESP_ERR_WIFI_MODE;
    } else if (interface == WIFI_IF_STA) {
        s_sta = conf->sta;
    } else if ((err = check_ap_config(&conf->ap)) == ESP_OK) {
        bool running = s_started;
        if (running) {
            ap_stop(&p);
        }
        s_ap = conf->ap;
        if (s_ap.beacon_interval == 0) {
            s_ap.beacon_interval = 100;
        }
        if (running) {
            ap_start(&p);
        }
    }
    pthread_mutex_unlock(&s_lock);
    flush(&p);
    return err;
}

esp_err_t esp_wifi_get_config(wifi_interface_t interface, wifi_config_t *conf)
{
    esp_err_t err = ESP_OK;
    pthread_mutex_lock(&s_lock);
    if (!s_inited) {
        err = ESP_ERR_WIFI_NOT_INIT;
    } else if (!conf) {
        err = ESP_ERR_INVALID_ARG;
    } else if (interface == WIFI_IF_AP) {
        memset(conf, 0, sizeof *conf);
        conf->ap = s_ap;
    } else if (interface == WIFI_IF_STA) {
        memset(conf, 0, sizeof *conf);
        conf->sta = s_sta;
    } else {
        err = ESP_ERR_WIFI_IF;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

/* --- simulated stations (sota_host_net.h) --- */

esp_err_t sota_host_wifi_sta_connect(const uint8_t mac[6])
{
    if (!mac) {
        return ESP_ERR_INVALID_ARG;
    }
    pending_t p = { .n = 0 };
    esp_err_t err = ESP_OK;
    pthread_mutex_lock(&s_lock);
    int used = 0, free_slot = -1;
    for (int i = 0; i < ESP_WIFI_MAX_CONN_NUM; i++) {
        if (!s_stations[i].used) {
            if (free_slot < 0) {
                free_slot = i;
            }
            continue;
        }
        used++;
        if (memcmp(s_stations[i].mac, mac, 6) == 0) {
            err = ESP_ERR_INVALID_STATE;
        }
    }
    if (!s_inited || !s_started || !mode_has_ap(s_mode)) {
        err = ESP_ERR_WIFI_NOT_STARTED;
    } else if (err == ESP_OK && (used >= s_ap.max_connection || free_slot < 0)) {
        ESP_LOGW(TAG, "station refused: the AP already serves max_connection (%u) stations",
                 (unsigned)s_ap.max_connection);
        err = ESP_ERR_NO_MEM;
    }
    if (err == ESP_OK) {
        station_t *st = &s_stations[free_slot];
        st->used = true;
        memcpy(st->mac, mac, 6);
        st->aid = (uint8_t)(free_slot + 1);
        ESP_LOGI(TAG, "station %02x:%02x:%02x:%02x:%02x:%02x joined, AID %u", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5], (unsigned)st->aid);
        wifi_event_ap_staconnected_t ev = { .aid = st->aid };
        memcpy(ev.mac, mac, 6);
        push(&p, WIFI_EVENT, WIFI_EVENT_AP_STACONNECTED, &ev, sizeof ev);

        esp_netif_t *netif = net_ap_netif();
        if (net_dhcps_lease(netif, mac, &st->ip)) {
            ip_event_ap_staipassigned_t ipev = { .esp_netif = netif, .ip = st->ip };
            memcpy(ipev.mac, mac, 6);
            push(&p, IP_EVENT, IP_EVENT_AP_STAIPASSIGNED, &ipev, sizeof ipev);
        }
    }
    pthread_mutex_unlock(&s_lock);
    flush(&p);
    return err;
}
