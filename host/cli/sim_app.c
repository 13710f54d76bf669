/* The simulator's app: see sim_app.h. */
#include "sim_app.h"

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

void sim_app_run(const sim_app_opts_t *o)
{
    if (o->health == SIM_HEALTH_OK && !o->recv_timeout_s && !o->max_recv_timeouts &&
        !o->upload_deadline_s && o->health_delay_ms < 0) {
        app_main();
        return;
    }
    ESP_ERROR_CHECK(nvs_flash_init());
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
    if (o->health_delay_ms >= 0) {
        cfg.health_delay_ms = (uint32_t)o->health_delay_ms;
    }
    ESP_ERROR_CHECK(softap_ota_start(&cfg));
}
