/* The simulator's app: see sim_app.h. */
#include "sim_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_log.h"
#include "nvs_flash.h"
#include "softap_ota.h"

void app_main(void); /* main/main.c */

static bool health_fail(void *ctx)
{
    (void)ctx;
    return false;
}

static bool health_hang(void *ctx)
{
    (void)ctx;
    for (;;) {
        pause();
    }
    return true;
}

esp_err_t sim_app_run(const sim_app_opts_t *o)
{
    const softap_ota_policy_t kconfig = SOFTAP_OTA_POLICY_DEFAULT();
    bool security = o->ap_password || o->http_user || o->http_password || o->auth_free_attempts ||
                    o->auth_lockout_s || o->no_origin_check || o->signing_key_digest ||
                    memcmp(&o->policy, &kconfig, sizeof kconfig) != 0;
    if (o->health == SIM_HEALTH_OK && !o->recv_timeout_s && !o->max_recv_timeouts &&
        !o->upload_deadline_s && !o->header_deadline_s && o->health_delay_ms < 0 && !security &&
        !o->country && !o->channel && o->resume_timeout_s < 0 && !o->no_fs_reboot) {
        app_main();
        return ESP_OK;
    }
    esp_err_t err = nvs_flash_init();
    if (err != ESP_OK) {
        return err;
    }
    softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
    if (o->health != SIM_HEALTH_OK) {
        cfg.health_check = o->health == SIM_HEALTH_FAIL ? health_fail : health_hang;
    }
    if (o->recv_timeout_s) {
        cfg.recv_timeout_s = o->recv_timeout_s;
    }
    if (o->max_recv_timeouts) {
        cfg.max_recv_timeouts = o->max_recv_timeouts;
    }
    if (o->upload_deadline_s) {
        cfg.upload_deadline_s = o->upload_deadline_s;
    }
    if (o->header_deadline_s) {
        cfg.header_deadline_s = o->header_deadline_s;
    }
    if (o->health_delay_ms >= 0) {
        cfg.health_delay_ms = (uint32_t)o->health_delay_ms;
    }
    if (o->channel) {
        cfg.channel = (uint8_t)o->channel;
    }
    if (o->country) {
        cfg.country = o->country;
    }
    if (o->resume_timeout_s >= 0) {
        cfg.resume_timeout_s = (uint32_t)o->resume_timeout_s;
    }
    if (o->no_fs_reboot) {
        cfg.fs_reboot = false;
    }
    if (o->ap_password) {
        cfg.password = o->ap_password;
    }
    if (o->http_user) {
        cfg.http_user = o->http_user;
    }
    if (o->http_password) {
        cfg.http_password = o->http_password;
    }
    if (o->auth_free_attempts) {
        cfg.auth_free_attempts = o->auth_free_attempts;
    }
    if (o->auth_lockout_s) {
        cfg.auth_lockout_s = o->auth_lockout_s;
    }
    if (o->no_origin_check) {
        cfg.check_origin = false;
    }
    if (o->signing_key_digest) {
        cfg.signing_key_digest = o->signing_key_digest;
    }
    cfg.policy = o->policy;
    return softap_ota_start(&cfg);
}
