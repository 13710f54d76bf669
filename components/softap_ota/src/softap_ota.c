/* softap_ota_start/stop and the way back to the factory updater. */
#include <stdio.h>

#include "esp_log.h"
#include "esp_netif.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";

static bool s_started;
static bool s_ap;
static bool s_dns;
static httpd_handle_t s_http;

/* Where the page is: the access point's address, or with the app's own network the
 * IPv4 address of its default Ethernet or station interface (the ones ESP-IDF's default
 * netif configurations create); else which port to open on the device's address. */
static void ready_url(const softap_ota_config_t *cfg, char *out, size_t len)
{
    static const char *const keys[] = { "WIFI_AP_DEF", "ETH_DEF", "WIFI_STA_DEF" };
    char port[8] = "";
    if (cfg->http_port != 80) {
        snprintf(port, sizeof port, ":%u", (unsigned)cfg->http_port);
    }
    size_t first = cfg->start_ap ? 0 : 1, end = cfg->start_ap ? 1 : 3;
    for (size_t i = first; i < end; i++) {
        esp_netif_t *nif = esp_netif_get_handle_from_ifkey(keys[i]);
        esp_netif_ip_info_t ip = { 0 };
        if (nif && esp_netif_get_ip_info(nif, &ip) == ESP_OK && ip.ip.addr) {
            snprintf(out, len, "http://" IPSTR "%s/ (%s)", IP2STR(&ip.ip), port, keys[i]);
            return;
        }
    }
    if (cfg->start_ap) {
        snprintf(out, len, "http://192.168.4.1%s/", port);
    } else {
        snprintf(out, len, "port %u at this device's address on the app's network (no IPv4 address yet)",
                 (unsigned)cfg->http_port);
    }
}

esp_err_t softap_ota_start(const softap_ota_config_t *cfg)
{
    if (!cfg) {
        return ESP_ERR_INVALID_ARG;
    }
    if (s_started) {
        ESP_LOGE(TAG, "softap_ota_start: already started (call softap_ota_stop first)");
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t err = cfg->start_ap ? ota_wifi_check_config(cfg) : ESP_OK;
    if (err != ESP_OK) {
        return err;
    }
    if (cfg->recv_timeout_s == 0 || cfg->max_recv_timeouts == 0 || cfg->upload_deadline_s == 0 ||
        cfg->header_deadline_s == 0) {
        ESP_LOGE(TAG, "receive timeout, timeout count, upload deadline and header deadline must be at "
                 "least 1");
        return ESP_ERR_INVALID_ARG;
    }
    err = ota_state_init(cfg);   /* copies the passwords first: wiped again on failure */
    if (err == ESP_OK) {
        err = ota_resume_init(ota_state_config());
    }
    if (err != ESP_OK) {
        ota_state_deinit();
        return err;
    }
    cfg = ota_state_config();
    /* who may update: bad settings stop the start before anything is opened */
    err = ota_auth_init(cfg);
    if (err == ESP_OK) {
        err = ota_sig_init(cfg);
    }
    if (err == ESP_OK && cfg->start_ap) {
        err = ota_wifi_start(cfg);
        s_ap = err == ESP_OK;
        if (s_ap && cfg->captive_dns) {
            s_dns = ota_dns_start() == ESP_OK; /* optional: the page works without it */
        }
    }
    if (err == ESP_OK) {
        err = ota_http_start(cfg, &s_http);
    }
    if (err != ESP_OK) {
        /* undo what started, and forget the credentials */
        softap_ota_stop();
        return err;
    }
    s_started = true;
    const esp_partition_t *run = esp_ota_get_running_partition();
    const esp_app_desc_t *d = esp_app_get_description();
    char where[96];
    ready_url(cfg, where, sizeof where);
    ESP_LOGI(TAG, "ready: %s %s running from %s; open %s", d->project_name, d->version, run ? run->label : "?",
             where);
    ota_health_start(cfg, s_http);
    return ESP_OK;
}

esp_err_t softap_ota_stop(void)
{
    if (s_http) {
        esp_err_t err = ota_http_stop(s_http);
        if (err != ESP_OK) {
            return err; /* an upload still runs: nothing else is torn down under it */
        }
        s_http = NULL;
    }
    if (s_dns) {
        ota_dns_stop();
        s_dns = false;
    }
    if (s_ap) {
        ota_wifi_stop();
        s_ap = false;
    }
    s_started = false;
    ota_resume_drop("the updater stopped while an interrupted upload was kept for a resume: it was "
                    "discarded, the running app is unchanged; upload the file again");
    ota_auth_deinit();
    ota_state_deinit();
    return ESP_OK;
}

esp_err_t softap_ota_reboot_to_factory(void)
{
    const esp_partition_t *f = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                                        ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    if (!f) {
        ESP_LOGE(TAG, "no factory app in the partition table: nothing to return to");
        return ESP_ERR_NOT_FOUND;
    }
    /* the same verification and selection as POST /api/boot */
    char msg[320];
    esp_err_t err = ESP_OK;
    if (ota_slots_select(f, true, msg, sizeof msg, &err) != SOTA_UPDATE_OK) {
        ESP_LOGE(TAG, "cannot select the factory app: %s", msg);
        return err != ESP_OK ? err : ESP_FAIL;
    }
    ota_state_finish(true, msg, f->label);
    ESP_LOGI(TAG, "factory updater selected: restarting");
    esp_restart();
}
