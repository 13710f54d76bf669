/* Rollback: a freshly updated app boots pending verification. Once the health check
 * passes it is confirmed; if it fails, the previous app is restored. An app that
 * resets before confirming is rolled back by the bootloader itself. */
#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "esp_ota_ops.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";

typedef struct {
    softap_ota_health_fn_t check;
    void *ctx;
    uint32_t delay_ms;
    bool start_ap;
    httpd_handle_t http;
} health_job_t;

static health_job_t s_job;

static bool default_check(const health_job_t *j)
{
    return j->http != NULL && (!j->start_ap || ota_wifi_is_up());
}

static void health_task(void *arg)
{
    health_job_t *j = arg;
    vTaskDelay(pdMS_TO_TICKS(j->delay_ms));
    const esp_app_desc_t *d = esp_app_get_description();
    const esp_partition_t *run = esp_ota_get_running_partition();
    bool healthy = j->check ? j->check(j->ctx) : default_check(j);
    char msg[320];
    if (healthy) {
        esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
        if (err == ESP_OK) {
            ESP_LOGI(TAG, "%s %s in %s passed its health check and is confirmed", d->project_name, d->version,
                     run->label);
            ota_state_settled("; it passed its health check and is confirmed");
        } else {
            ESP_LOGE(TAG, "could not confirm the running app: %s", esp_err_to_name(err));
        }
    } else {
        snprintf(msg, sizeof msg, "%s %s in %s failed its health check and was rolled back",
                 d->project_name, d->version, run->label);
        ESP_LOGE(TAG, "%s", msg);
        ota_state_record(false, msg, run->label);
        ota_store_save_failed(d->project_name, d->version);
        ota_stack_report("sota_health", SOTA_HEALTH_STACK);
        esp_err_t err = esp_ota_mark_app_invalid_rollback_and_reboot();
        /* Only returns when no other app can boot. Left pending verification, the app
         * would refuse every upload (esp_ota_begin: ESP_ERR_OTA_ROLLBACK_INVALID_STATE)
         * until a reset, and the reset boots it again: it is the only bootable app, so
         * confirm it, and say so. */
        esp_err_t verr = esp_ota_mark_app_valid_cancel_rollback();
        snprintf(msg, sizeof msg, "%s %s in %s failed its health check, but no other app can boot "
                 "(%s): it keeps running%s; upload a working build", d->project_name, d->version,
                 run->label, esp_err_to_name(err),
                 verr == ESP_OK ? " and was marked valid so that uploads are accepted" : "");
        ESP_LOGE(TAG, "%s", msg);
        ota_state_record(false, msg, run->label);
    }
    ota_stack_report("sota_health", SOTA_HEALTH_STACK);
    vTaskDelete(NULL);
}

void ota_health_start(const softap_ota_config_t *cfg, httpd_handle_t http)
{
    const esp_partition_t *run = esp_ota_get_running_partition();
    esp_ota_img_states_t st;
    if (!run || esp_ota_get_state_partition(run, &st) != ESP_OK || st != ESP_OTA_IMG_PENDING_VERIFY) {
        return;
    }
    ESP_LOGI(TAG, "new app in %s is pending verification: health check in %u ms", run->label,
             (unsigned)cfg->health_delay_ms);
    s_job = (health_job_t){ .check = cfg->health_check, .ctx = cfg->health_ctx,
                            .delay_ms = cfg->health_delay_ms, .start_ap = cfg->start_ap, .http = http };
    if (xTaskCreate(health_task, "sota_health", SOTA_HEALTH_STACK, &s_job, 5, NULL) != pdPASS) {
        ESP_LOGE(TAG, "could not start the health check task: the app stays pending and the "
                 "bootloader will roll it back at the next reset");
    }
}
