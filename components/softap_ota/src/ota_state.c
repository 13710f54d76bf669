/* The updater's one state: configuration, the running upload's progress and the last
 * result. Read by the status handler while the upload handler writes it. */
#include <stdio.h>
#include <string.h>

#include "esp_app_desc.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "ota_internal.h"

static SemaphoreHandle_t s_lock;
static softap_ota_config_t s_cfg;
static char s_ssid[33];
static char s_password[65];
static char s_country[3];
static char s_http_user[SOTA_AUTH_USER_MAX + 2];       /* one more: too long stays too long */
static char s_http_password[SOTA_AUTH_PASSWORD_MAX + 2];
static char s_key_digest[2 * SOTA_SIG_DIGEST_LEN + 2];
static softap_ota_status_t s_status;
static bool s_awaiting; /* the last result selected an app that has not run yet */

/* The words of an update's result that are true only until the reboot, and those that
 * replace them while the new app runs before its health check. */
static const char BOOTS_NEXT[] = "; it boots next";
static const char RUNS_PENDING[] = "; it runs now and waits for its health check";

/* Remove the first `phrase` from msg; true if it was there. */
static bool cut_phrase(char *msg, const char *phrase)
{
    char *at = strstr(msg, phrase);
    size_t n = strlen(phrase);
    if (at) {
        memmove(at, at + n, strlen(at + n) + 1);
    }
    return at != NULL;
}

static void set_last(bool ok, const char *message)
{
    s_status.have_last = true;
    s_status.last_ok = ok;
    snprintf(s_status.last_message, sizeof s_status.last_message, "%s", message);
}

/* The last record selected an app in `slot` for the boot that has now happened. Say
 * what became of it, so that "it boots next" is not shown once it runs:
 * - that slot is marked invalid or aborted and another app runs: the new app did not
 *   confirm and the bootloader rolled back;
 * - it runs and is not pending verification (rollback off, or confirmed before a power
 *   cut): it runs. A pending app is judged by the health check (ota_health.c). */
static void reconcile(const char *slot, bool awaiting)
{
    const esp_partition_t *bad = esp_ota_get_last_invalid_partition();
    const esp_partition_t *run = esp_ota_get_running_partition();
    if (!s_status.have_last || !s_status.last_ok || !run) {
        return;
    }
    char msg[sizeof s_status.last_message], name[40];
    if (bad && bad != run && strcmp(bad->label, slot) == 0) {
        snprintf(msg, sizeof msg, "the new app in %s did not confirm its health (it reset or hung before "
                 "confirming) and the bootloader rolled back to %s", ota_slots_name(bad, name, sizeof name),
                 run->label);
        set_last(false, msg);
        ota_store_save(false, msg, bad->label, false);
        esp_app_desc_t d;
        if (esp_ota_get_partition_description(bad, &d) == ESP_OK) {
            ota_store_save_failed(d.project_name, d.version); /* refuse_failed_version */
        }
        return;
    }
    esp_ota_img_states_t st;
    if (!awaiting || strcmp(run->label, slot) != 0) {
        return;
    }
    if (esp_ota_get_state_partition(run, &st) != ESP_OK || st != ESP_OTA_IMG_PENDING_VERIFY) {
        ota_state_settled("");
    } else if (cut_phrase(s_status.last_message, BOOTS_NEXT)) {
        /* it runs, unconfirmed: shown until the health check settles it (NVS keeps the
         * record as it was, so a reset before the check finds it awaiting again) */
        size_t n = strlen(s_status.last_message);
        snprintf(s_status.last_message + n, sizeof s_status.last_message - n, "%s", RUNS_PENDING);
    }
}

esp_err_t ota_state_init(const softap_ota_config_t *cfg)
{
    if (!s_lock) {
        s_lock = xSemaphoreCreateMutex();
        if (!s_lock) {
            return ESP_ERR_NO_MEM;
        }
    }
    s_cfg = *cfg;
    /* keep our own copies of the strings: the caller's may be temporary */
    snprintf(s_ssid, sizeof s_ssid, "%s", cfg->ssid ? cfg->ssid : "");
    snprintf(s_password, sizeof s_password, "%s", cfg->password ? cfg->password : "");
    snprintf(s_country, sizeof s_country, "%s", cfg->country ? cfg->country : "");
    s_cfg.country = s_country;
    s_cfg.ssid = s_ssid;
    s_cfg.password = s_password;
    snprintf(s_http_user, sizeof s_http_user, "%s", cfg->http_user ? cfg->http_user : "");
    snprintf(s_http_password, sizeof s_http_password, "%s", cfg->http_password ? cfg->http_password : "");
    snprintf(s_key_digest, sizeof s_key_digest, "%s", cfg->signing_key_digest ? cfg->signing_key_digest : "");
    s_cfg.http_user = s_http_user;
    s_cfg.http_password = s_http_password;
    s_cfg.signing_key_digest = s_key_digest;
    memset(&s_status, 0, sizeof s_status);
    s_status.state = SOFTAP_OTA_IDLE;
    esp_err_t err = ota_slots_init();
    if (err != ESP_OK) {
        return err;
    }
    char slot[17];
    bool awaiting = false;
    s_status.have_last = ota_store_load(&s_status.last_ok, s_status.last_message,
                                        sizeof s_status.last_message, slot, sizeof slot, &awaiting);
    s_awaiting = s_status.have_last && awaiting;
    reconcile(slot, awaiting);
    return ESP_OK;
}

void ota_state_deinit(void)
{
    /* the mutex stays: a later start reuses it; the secrets go */
    memset(s_http_password, 0, sizeof s_http_password);
    memset(s_password, 0, sizeof s_password);
}

const softap_ota_config_t *ota_state_config(void)
{
    return &s_cfg;
}

bool ota_state_try_begin(uint32_t total)
{
    return ota_state_try_claim(SOFTAP_OTA_RECEIVING, total);
}

bool ota_state_try_claim(softap_ota_state_t as, uint32_t total)
{
    bool ok = false;
    xSemaphoreTake(s_lock, portMAX_DELAY);
    if (s_status.state != SOFTAP_OTA_RECEIVING && s_status.state != SOFTAP_OTA_VERIFYING &&
        s_status.state != SOFTAP_OTA_REBOOTING) {
        s_status.state = as;
        s_status.received = 0;
        s_status.total = total;
        ok = true;
    }
    xSemaphoreGive(s_lock);
    if (ok) {
        ota_slots_forget(); /* the target slot is about to change */
    }
    return ok;
}

void ota_state_progress(uint32_t received)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.received = received;
    xSemaphoreGive(s_lock);
}

void ota_state_interrupt(uint32_t received, uint32_t total)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.state = SOFTAP_OTA_INTERRUPTED;
    s_status.received = received;
    s_status.total = total;
    xSemaphoreGive(s_lock);
}

void ota_state_resume(uint32_t received, uint32_t total)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.received = received;
    s_status.total = total;
    xSemaphoreGive(s_lock);
}

void ota_state_set(softap_ota_state_t st)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.state = st;
    xSemaphoreGive(s_lock);
}

void ota_state_finish(bool ok, const char *message, const char *slot)
{
    if (!s_lock) { /* softap_ota_reboot_to_factory() before softap_ota_start() */
        ota_store_save(ok, message, slot, ok);
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.state = ok ? SOFTAP_OTA_REBOOTING : SOFTAP_OTA_FAILED;
    set_last(ok, message);
    s_awaiting = ok;
    xSemaphoreGive(s_lock);
    ota_slots_forget(); /* a refused upload may have left the slot half-written */
    ota_store_save(ok, message, slot, ok);
}

void ota_state_finish_fs(bool ok, const char *message, const char *label, bool rebooting)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_status.state = !ok ? SOFTAP_OTA_FAILED : rebooting ? SOFTAP_OTA_REBOOTING : SOFTAP_OTA_IDLE;
    set_last(ok, message);
    s_awaiting = false;
    xSemaphoreGive(s_lock);
    ota_store_save(ok, message, label, false);
}

void ota_state_settled(const char *how)
{
    const esp_partition_t *run = esp_ota_get_running_partition();
    const esp_app_desc_t *d = esp_app_get_description();
    char msg[sizeof s_status.last_message], name[40];
    xSemaphoreTake(s_lock, portMAX_DELAY);
    if (s_awaiting && s_status.last_ok) {
        /* what the update said ("installed X, verified; it boots next", with its notes),
         * less the words that were true only until the reboot */
        snprintf(msg, sizeof msg, "%s", s_status.last_message);
        if (!cut_phrase(msg, BOOTS_NEXT)) {
            cut_phrase(msg, RUNS_PENDING);
        }
    } else {
        snprintf(msg, sizeof msg, "%s %s", d->project_name, d->version);
    }
    size_t n = strlen(msg);
    snprintf(msg + n, sizeof msg - n, "; now runs from %s%s", run ? ota_slots_name(run, name, sizeof name) : "?",
             how);
    set_last(true, msg);
    s_awaiting = false;
    xSemaphoreGive(s_lock);
    ota_store_save(true, msg, run ? run->label : "", false);
}

void ota_state_record(bool ok, const char *message, const char *slot)
{
    xSemaphoreTake(s_lock, portMAX_DELAY);
    s_awaiting = false;
    set_last(ok, message);
    xSemaphoreGive(s_lock);
    ota_store_save(ok, message, slot, false);
}

void ota_state_get(softap_ota_status_t *out)
{
    if (!s_lock) {
        memset(out, 0, sizeof *out);
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    *out = s_status;
    xSemaphoreGive(s_lock);
}

const char *softap_ota_state_name(softap_ota_state_t state)
{
    static const char *const names[] = { "idle", "receiving", "verifying", "rebooting", "failed",
                                         "interrupted" };
    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "unknown";
}

esp_err_t softap_ota_get_status(softap_ota_status_t *out)
{
    if (!out) {
        return ESP_ERR_INVALID_ARG;
    }
    ota_state_get(out);
    return ESP_OK;
}

#if CONFIG_SOFTAP_OTA_STACK_REPORT
#include "esp_log.h"

static const char *TAG = "softap_ota";

void ota_stack_report(const char *task, uint32_t stack_size)
{
    /* ESP-IDF's FreeRTOS counts stacks in bytes: the mark is the fewest bytes ever free */
    uint32_t unused = (uint32_t)uxTaskGetStackHighWaterMark(NULL);
    uint32_t used = unused < stack_size ? stack_size - unused : 0;
    ESP_LOGI(TAG, "stack of %s: at most %u of %u bytes used (%u %%)", task, (unsigned)used,
             (unsigned)stack_size, (unsigned)(used * 100u / stack_size));
}
#endif
