/* Host port of the ESP-IDF esp_wifi.h subset a soft-AP application uses
 * (components/esp_wifi). There is no radio: the driver keeps its state and
 * configuration, checks arguments as ESP-IDF's driver does, logs what a device would
 * start ("AP 'ESP32 OTA Update' channel 1 open, max 4 stations, 192.168.4.1") and posts
 * the same events to the default event loop. Stations can be simulated with
 * sota_host_wifi_sta_connect (sota_host_net.h). The configuration is not persisted.
 *
 * Calling order, as on a device: nvs_flash_init, esp_netif_init,
 * esp_event_loop_create_default, esp_netif_create_default_wifi_ap, esp_wifi_init,
 * esp_wifi_set_mode(WIFI_MODE_AP), esp_wifi_set_config(WIFI_IF_AP, ...), esp_wifi_start. */
#ifndef __ESP_WIFI_H__
#define __ESP_WIFI_H__

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_event.h"
#include "esp_wifi_default.h"
#include "esp_wifi_types.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_WIFI_NOT_INIT    (ESP_ERR_WIFI_BASE + 1)   /* esp_wifi_init not called */
#define ESP_ERR_WIFI_NOT_STARTED (ESP_ERR_WIFI_BASE + 2)   /* esp_wifi_start not called */
#define ESP_ERR_WIFI_NOT_STOPPED (ESP_ERR_WIFI_BASE + 3)   /* esp_wifi_stop not called */
#define ESP_ERR_WIFI_IF          (ESP_ERR_WIFI_BASE + 4)   /* bad interface */
#define ESP_ERR_WIFI_MODE        (ESP_ERR_WIFI_BASE + 5)   /* wrong mode for the call */
#define ESP_ERR_WIFI_STATE       (ESP_ERR_WIFI_BASE + 6)
#define ESP_ERR_WIFI_CONN        (ESP_ERR_WIFI_BASE + 7)
#define ESP_ERR_WIFI_NVS         (ESP_ERR_WIFI_BASE + 8)
#define ESP_ERR_WIFI_MAC         (ESP_ERR_WIFI_BASE + 9)
#define ESP_ERR_WIFI_SSID        (ESP_ERR_WIFI_BASE + 10)  /* bad SSID */
#define ESP_ERR_WIFI_PASSWORD    (ESP_ERR_WIFI_BASE + 11)  /* bad password */
#define ESP_ERR_WIFI_TIMEOUT     (ESP_ERR_WIFI_BASE + 12)
#define ESP_ERR_WIFI_WAKE_FAIL   (ESP_ERR_WIFI_BASE + 13)
#define ESP_ERR_WIFI_WOULD_BLOCK (ESP_ERR_WIFI_BASE + 14)
#define ESP_ERR_WIFI_NOT_CONNECT (ESP_ERR_WIFI_BASE + 15)
#define ESP_ERR_WIFI_POST        (ESP_ERR_WIFI_BASE + 18)
#define ESP_ERR_WIFI_INIT_STATE  (ESP_ERR_WIFI_BASE + 19)
#define ESP_ERR_WIFI_STOP_STATE  (ESP_ERR_WIFI_BASE + 20)
#define ESP_ERR_WIFI_NOT_ASSOC   (ESP_ERR_WIFI_BASE + 21)
#define ESP_ERR_WIFI_TX_DISALLOW (ESP_ERR_WIFI_BASE + 22)

/* Driver configuration. A host structure with ESP-IDF's field names (the OS and crypto
 * function tables do not exist on the host); always start from WIFI_INIT_CONFIG_DEFAULT()
 * and keep magic as it is. */
typedef struct {
    int static_rx_buf_num;
    int dynamic_rx_buf_num;
    int tx_buf_type;
    int static_tx_buf_num;
    int dynamic_tx_buf_num;
    int cache_tx_buf_num;
    int csi_enable;
    int ampdu_rx_enable;
    int ampdu_tx_enable;
    int amsdu_tx_enable;
    int nvs_enable;             /* 1: the driver uses NVS, which must be initialised */
    int nano_enable;
    int rx_ba_win;
    int wifi_task_core_id;
    int beacon_max_len;
    int mgmt_sbuf_num;
    uint64_t feature_caps;
    bool sta_disconnected_pm;
    int magic;                  /* WIFI_INIT_CONFIG_MAGIC */
} wifi_init_config_t;

#define WIFI_INIT_CONFIG_MAGIC 0x1F2F3F4F

#define WIFI_INIT_CONFIG_DEFAULT() { \
    .static_rx_buf_num = CONFIG_ESP32_WIFI_STATIC_RX_BUFFER_NUM, \
    .dynamic_rx_buf_num = CONFIG_ESP32_WIFI_DYNAMIC_RX_BUFFER_NUM, \
    .tx_buf_type = CONFIG_ESP32_WIFI_TX_BUFFER_TYPE, \
    .static_tx_buf_num = 0, \
    .dynamic_tx_buf_num = CONFIG_ESP32_WIFI_DYNAMIC_TX_BUFFER_NUM, \
    .cache_tx_buf_num = 0, \
    .csi_enable = 0, \
    .ampdu_rx_enable = 1, \
    .ampdu_tx_enable = 1, \
    .amsdu_tx_enable = 0, \
    .nvs_enable = CONFIG_ESP32_WIFI_NVS_ENABLED, \
    .nano_enable = 0, \
    .rx_ba_win = 6, \
    .wifi_task_core_id = 0, \
    .beacon_max_len = 752, \
    .mgmt_sbuf_num = 32, \
    .feature_caps = 0, \
    .sta_disconnected_pm = false, \
    .magic = WIFI_INIT_CONFIG_MAGIC \
}

/* Initialise the driver (mode WIFI_MODE_STA, default soft-AP configuration: SSID
 * "ESP_XXXXXX" from the MAC, open, channel 1, 4 stations, beacon 100 TU).
 * Returns ESP_OK (also if already initialised);
 * ESP_ERR_INVALID_ARG if config is NULL or its magic is wrong (not made with
 *   WIFI_INIT_CONFIG_DEFAULT);
 * ESP_ERR_NVS_NOT_INITIALIZED if config->nvs_enable and nvs_flash_init() has not been
 *   called, as on a device. */
esp_err_t esp_wifi_init(const wifi_init_config_t *config);

/* Release the driver. ESP_OK; ESP_ERR_WIFI_NOT_INIT; ESP_ERR_WIFI_NOT_STOPPED if it is
 * started (call esp_wifi_stop first). */
esp_err_t esp_wifi_deinit(void);

/* Set / get the mode. ESP_OK; ESP_ERR_WIFI_NOT_INIT; ESP_ERR_INVALID_ARG for a mode out
 * of range or a NULL pointer. Changing the mode while started stops the interfaces the
 * new mode drops and starts the ones it adds (events posted accordingly). */
esp_err_t esp_wifi_set_mode(wifi_mode_t mode);
esp_err_t esp_wifi_get_mode(wifi_mode_t *mode);

/* Start the interfaces of the current mode. For the soft-AP: logs the AP it would run,
 * brings the AP network interface up (its DHCP server starts unless stopped) and posts
 * WIFI_EVENT_AP_START to the default event loop (logged as a warning if there is none).
 * Returns ESP_OK (also if already started); ESP_ERR_WIFI_NOT_INIT. */
esp_err_t esp_wifi_start(void);

/* Stop: simulated stations leave (WIFI_EVENT_AP_STADISCONNECTED each), the AP interface
 * goes down, WIFI_EVENT_AP_STOP is posted. ESP_OK (also if not started);
 * ESP_ERR_WIFI_NOT_INIT. */
esp_err_t esp_wifi_stop(void);

/* Set the configuration of an interface; the soft-AP's is checked as ESP-IDF's driver
 * does, and every rejection is logged with the reason. If the soft-AP is running, the
 * new configuration takes effect at once (stations are disconnected).
 * Returns ESP_OK;
 * ESP_ERR_WIFI_NOT_INIT; ESP_ERR_INVALID_ARG if conf is NULL;
 * ESP_ERR_WIFI_IF for an interface other than WIFI_IF_STA / WIFI_IF_AP;
 * ESP_ERR_WIFI_MODE if the current mode does not include that interface
 *   (call esp_wifi_set_mode first);
 * for WIFI_IF_AP:
 *   ESP_ERR_WIFI_SSID if ssid_len > 32;
 *   ESP_ERR_WIFI_PASSWORD if authmode is not WIFI_AUTH_OPEN and the password has fewer
 *     than 8 characters, or has 64 that are not all hex digits (WPA rules);
 *   ESP_ERR_INVALID_ARG if the channel is not allowed in the country (esp_wifi_init: "01", 1..11),
 *     authmode is WEP, enterprise or out of range, max_connection >
 *     ESP_WIFI_MAX_CONN_NUM, or beacon_interval is neither 0 nor 100..60000. */
esp_err_t esp_wifi_set_config(wifi_interface_t interface, wifi_config_t *conf);

/* Copy an interface's configuration. ESP_OK; ESP_ERR_WIFI_NOT_INIT; ESP_ERR_INVALID_ARG
 * if conf is NULL; ESP_ERR_WIFI_IF for a bad interface. */
esp_err_t esp_wifi_get_config(wifi_interface_t interface, wifi_config_t *conf);

/* The country the AP runs under: ESP-IDF's list of codes ("01" world safe mode, "AT",
 * ... "US"); the host knows each one's channels ("01", "US", "CA", "MX", "TW": 1..11;
 * "JP": 1..14; the others 1..13). esp_wifi_init resets it to "01" (1..11), as on a device;
 * esp_wifi_set_config refuses an AP channel outside it. ESP_OK; ESP_ERR_WIFI_NOT_INIT;
 * ESP_ERR_INVALID_ARG for NULL or a code not in the list. */
esp_err_t esp_wifi_set_country_code(const char *country, bool ieee80211d_enabled);
esp_err_t esp_wifi_get_country(wifi_country_t *country);

#ifdef __cplusplus
}
#endif

#endif
