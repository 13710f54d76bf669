/* What each app partition holds, judged by verifying its image (not by reading its
 * header alone: a slot half-written by a refused upload starts with the new app's header
 * but does not verify), and the one way the boot partition is switched by hand: POST
 * /api/boot and softap_ota_reboot_to_factory() both go through ota_slots_select(); a new
 * app selected by an upload or a switch starts after ota_slots_reboot_soon().
 *
 * Verdicts are kept until something may have written a slot (an upload starting or
 * ending calls ota_slots_forget), so /api/status does not read every image each time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_chip_info.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "ota_internal.h"
#include "sota_chip.h"
#include "sota_policy.h"

static const char *TAG = "softap_ota";

#define CACHE_SLOTS 8

static SemaphoreHandle_t s_lock;
static struct {
    bool used;
    uint32_t address;
    ota_slot_info_t info;
} s_cache[CACHE_SLOTS];

esp_err_t ota_slots_init(void)
{
    if (!s_lock) {
        s_lock = xSemaphoreCreateMutex();
        if (!s_lock) {
            return ESP_ERR_NO_MEM;
        }
    }
    ota_slots_forget();
    return ESP_OK;
}

void ota_slots_forget(void)
{
    if (!s_lock) {
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    memset(s_cache, 0, sizeof s_cache);
    xSemaphoreGive(s_lock);
}

const char *ota_slots_name(const esp_partition_t *p, char *buf, size_t len)
{
    if (p->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY) {
        snprintf(buf, len, "the updater (factory)");
    } else if (p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_MIN && p->subtype <= ESP_PARTITION_SUBTYPE_APP_OTA_MAX) {
        snprintf(buf, len, "slot %c (%s)", 'A' + (p->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN), p->label);
    } else {
        snprintf(buf, len, "%s", p->label);
    }
    return buf;
}

static int read_part(void *ctx, uint32_t offset, void *buf, size_t len)
{
    return esp_partition_read((const esp_partition_t *)ctx, offset, buf, len) == ESP_OK ? 0 : 1;
}

/* Verify p's image now, as ESP-IDF would before booting it. */
static void verify(const esp_partition_t *p, ota_slot_info_t *out)
{
    memset(out, 0, sizeof *out);
    uint32_t first = 0;
    if (esp_partition_read(p, 0, &first, sizeof first) != ESP_OK) {
        out->image = OTA_SLOT_INVALID;
        snprintf(out->reason, sizeof out->reason, "its first bytes cannot be read");
        return;
    }
    if (first == 0xFFFFFFFFu) {
        out->image = OTA_SLOT_EMPTY;
        return;
    }
    /* The chip the running firmware was built for is the chip we run on. */
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_image_header_t hdr;
    const sota_chip_t *chip = NULL;
    if (running && esp_partition_read(running, 0, &hdr, sizeof hdr) == ESP_OK) {
        chip = sota_chip_by_id((uint16_t)hdr.chip_id);
    }
    if (!chip) {
        out->image = OTA_SLOT_INVALID;
        snprintf(out->reason, sizeof out->reason, "this updater does not know the chip it runs on");
        return;
    }
    esp_chip_info_t info;
    esp_chip_info(&info);
    sota_img_params_t params = { .chip = chip, .chip_rev = info.revision, .slot_size = (uint32_t)p->size,
                                 .slot_offset = (uint32_t)p->address };
    sota_img_t *v = malloc(sizeof *v);
    if (!v) {
        out->image = OTA_SLOT_INVALID;
        snprintf(out->reason, sizeof out->reason, "out of memory to verify it");
        return;
    }
    if (sota_img_verify_from(v, &params, read_part, (void *)p) == SOTA_IMG_OK) {
        out->image = OTA_SLOT_VALID;
        if (v->have_desc && v->desc.magic_word == SOTA_APP_DESC_MAGIC) {
            snprintf(out->project, sizeof out->project, "%s", v->desc.project_name);
            snprintf(out->version, sizeof out->version, "%s", v->desc.version);
            out->secure_version = v->desc.secure_version;
            out->has_desc = true;
        }
    } else {
        out->image = OTA_SLOT_INVALID;
        snprintf(out->reason, sizeof out->reason, "%s", sota_img_message(v));
    }
    free(v);
}

void ota_slots_info(const esp_partition_t *p, ota_slot_info_t *out)
{
    softap_ota_status_t st;
    ota_state_get(&st);
    /* while bytes arrive, a verification would only find a part of the new image */
    if (st.state == SOFTAP_OTA_RECEIVING && p == esp_ota_get_next_update_partition(NULL) && !ota_fs_writing()) {
        memset(out, 0, sizeof *out);
        out->image = OTA_SLOT_WRITING;
        return;
    }
    xSemaphoreTake(s_lock, portMAX_DELAY);
    int free_i = -1;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (s_cache[i].used && s_cache[i].address == p->address) {
            *out = s_cache[i].info;
            xSemaphoreGive(s_lock);
            return;
        }
        if (!s_cache[i].used && free_i < 0) {
            free_i = i;
        }
    }
    verify(p, out);
    if (free_i >= 0) {
        s_cache[free_i].used = true;
        s_cache[free_i].address = (uint32_t)p->address;
        s_cache[free_i].info = *out;
    }
    xSemaphoreGive(s_lock);
}

/* The upload rules that would refuse this app as an upload refuse a switch to it too,
 * so that a switch is no way around them. The factory updater is exempt: it is the way
 * back from any app (softap_ota_reboot_to_factory). */
static bool policy_allows(const esp_partition_t *p, const ota_slot_info_t *s, char *msg, size_t len)
{
    const softap_ota_config_t *c = ota_state_config();
    const esp_app_desc_t *run = esp_app_get_description();
    char name[40];
    ota_slots_name(p, name, sizeof name);
    if (p->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY || !s->has_desc) {
        return true;
    }
    char fproj[33], fver[33];
    bool have_failed = c->policy.refuse_failed_version &&
                       ota_store_load_failed(fproj, sizeof fproj, fver, sizeof fver);
    const sota_policy_app_t app = { s->project, s->version, s->secure_version };
    const sota_policy_app_t running = { run->project_name, run->version, run->secure_version };
    const sota_policy_app_t failed = { fproj, fver, 0 };
    switch (sota_policy_identity(&c->policy, &app, &running, have_failed ? &failed : NULL)) {
    case SOTA_POLICY_ALLOWED:
        return true;
    case SOTA_POLICY_OTHER_PROJECT:
        snprintf(msg, len, "policy require_same_project: %s holds project '%s' but this device runs '%s'; "
                 "the switch is refused (turn the rule off in the updater's configuration to allow it)",
                 name, s->project, run->project_name);
        return false;
    case SOTA_POLICY_DOWNGRADE:
        snprintf(msg, len, "policy refuse_downgrade: %s holds version '%s', lower than the running '%s'; "
                 "the switch is refused (turn the rule off in the updater's configuration to allow it)",
                 name, s->version, run->version);
        return false;
    case SOTA_POLICY_LOWER_SECURE_VERSION:
        snprintf(msg, len, "policy refuse_lower_secure_version: %s holds secure_version %u, lower than the "
                 "running app's %u (anti-rollback); the switch is refused", name,
                 (unsigned)s->secure_version, (unsigned)run->secure_version);
        return false;
    case SOTA_POLICY_FAILED_VERSION:
        snprintf(msg, len, "policy refuse_failed_version: %s %s in %s is the version that last failed its "
                 "health check on this device; the switch is refused", s->project, s->version, name);
        return false;
    }
    return true;
}

sota_update_err_t ota_slots_select(const esp_partition_t *p, bool allow_running, char *msg, size_t len,
                                   esp_err_t *esp_err)
{
    char name[40];
    ota_slots_name(p, name, sizeof name);
    if (esp_err) {
        *esp_err = ESP_OK;
    }
    if (!allow_running && p == esp_ota_get_running_partition()) {
        snprintf(msg, len, "%s is already running: nothing to switch", name);
        return SOTA_UPDATE_ERR_ALREADY_RUNNING;
    }
    ota_slot_info_t s;
    verify(p, &s); /* afresh: the boot decision never rests on a kept verdict */
    if (s.image == OTA_SLOT_EMPTY) {
        if (esp_err) {
            *esp_err = ESP_ERR_OTA_VALIDATE_FAILED;
        }
        snprintf(msg, len, "%s is empty: there is no app to boot there; upload one instead", name);
        return SOTA_UPDATE_ERR_NOT_BOOTABLE;
    }
    if (s.image != OTA_SLOT_VALID) {
        if (esp_err) {
            *esp_err = ESP_ERR_OTA_VALIDATE_FAILED;
        }
        snprintf(msg, len, "the app in %s does not verify, so it cannot boot: %s. Upload a working build "
                 "instead", name, s.reason);
        return SOTA_UPDATE_ERR_NOT_BOOTABLE;
    }
    if (!policy_allows(p, &s, msg, len)) {
        return SOTA_UPDATE_ERR_POLICY;
    }
    esp_err_t err = esp_ota_set_boot_partition(p);
    if (esp_err) {
        *esp_err = err;
    }
    if (err != ESP_OK) {
        snprintf(msg, len, "%s could not be selected for the next boot (esp_ota_set_boot_partition: %s); "
                 "the running app keeps booting", name, esp_err_to_name(err));
        ESP_LOGE(TAG, "%s", msg);
        return err == ESP_ERR_OTA_VALIDATE_FAILED ? SOTA_UPDATE_ERR_NOT_BOOTABLE : SOTA_UPDATE_ERR_FLASH;
    }
    snprintf(msg, len, "switched to %s %s in %s; it boots next", s.has_desc ? s.project : "app",
             s.has_desc ? s.version : "(no version)", name);
    ESP_LOGI(TAG, "%s", msg);
    return SOTA_UPDATE_OK;
}

static void reboot_cb(void *arg)
{
    (void)arg;
    ESP_LOGI(TAG, "rebooting into the new app");
    esp_restart();
}

void ota_slots_reboot_soon(void)
{
    esp_timer_handle_t t;
    const esp_timer_create_args_t args = { .callback = reboot_cb, .name = "sota_reboot" };
    if (esp_timer_create(&args, &t) != ESP_OK ||
        esp_timer_start_once(t, (uint64_t)OTA_REBOOT_DELAY_MS * 1000) != ESP_OK) {
        reboot_cb(NULL);
    }
}
