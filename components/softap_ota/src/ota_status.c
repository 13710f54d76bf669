/* GET /api/status: one JSON object that scripts and the page read (DESIGN.md). */
#include <stdio.h>
#include <string.h>

#include "cJSON.h"
#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_chip_info.h"
#include "esp_idf_version.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "ota_internal.h"
#include "sota_chip.h"
#include "sota_policy.h"

static const char *state_name(esp_ota_img_states_t st)
{
    switch (st) {
    case ESP_OTA_IMG_NEW: return "new";
    case ESP_OTA_IMG_PENDING_VERIFY: return "pending_verify";
    case ESP_OTA_IMG_VALID: return "valid";
    case ESP_OTA_IMG_INVALID: return "invalid";
    case ESP_OTA_IMG_ABORTED: return "aborted";
    case ESP_OTA_IMG_UNDEFINED: return "undefined";
    }
    return "unknown";
}

/* The image state of an app partition: its otadata state, "factory" for the factory
 * app, or null when otadata says nothing of it. */
static void add_state(cJSON *o, const char *key, const esp_partition_t *p)
{
    esp_ota_img_states_t st;
    if (p && p->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY) {
        cJSON_AddStringToObject(o, key, "factory");
    } else if (p && esp_ota_get_state_partition(p, &st) == ESP_OK) {
        cJSON_AddStringToObject(o, key, state_name(st));
    } else {
        cJSON_AddNullToObject(o, key);
    }
}

static const char *chip_name(const esp_partition_t *running)
{
    esp_image_header_t hdr;
    if (running && esp_partition_read(running, 0, &hdr, sizeof hdr) == ESP_OK) {
        const sota_chip_t *c = sota_chip_by_id((uint16_t)hdr.chip_id);
        if (c) {
            return c->name;
        }
    }
    return "unknown";
}

/* Each app partition: what a verification of its image says it holds (a slot half-written
 * by a refused upload is "invalid", never the new version), its otadata state, and its
 * part in the boot: running, boots next, where the next upload goes. */
static cJSON *slots_json(const esp_partition_t *running, const esp_partition_t *next)
{
    static const char *const image_names[] = { "empty", "valid", "invalid", "writing" };
    const esp_partition_t *boot = esp_ota_get_boot_partition();
    cJSON *arr = cJSON_CreateArray();
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, NULL);
    for (; it; it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
        cJSON *s = cJSON_CreateObject();
        char name[40];
        cJSON_AddStringToObject(s, "label", p->label);
        cJSON_AddStringToObject(s, "name", ota_slots_name(p, name, sizeof name));
        cJSON_AddNumberToObject(s, "address", p->address);
        cJSON_AddNumberToObject(s, "size", p->size);
        add_state(s, "state", p);
        ota_slot_info_t info;
        ota_slots_info(p, &info);
        cJSON_AddStringToObject(s, "image", image_names[info.image]);
        if (info.has_desc) {
            cJSON_AddStringToObject(s, "project", info.project);
            cJSON_AddStringToObject(s, "version", info.version);
        } else {
            cJSON_AddNullToObject(s, "project");
            cJSON_AddNullToObject(s, "version");
        }
        if (info.image == OTA_SLOT_INVALID) {
            cJSON_AddStringToObject(s, "reason", info.reason);
        }
        bool runs = p == running, boots = boot && p->address == boot->address, here = p == next;
        cJSON_AddBoolToObject(s, "running", runs);
        cJSON_AddBoolToObject(s, "boots_next", boots);
        cJSON_AddBoolToObject(s, "updates_here", here);
        /* the same in words, for the page */
        char text[260];
        switch (info.image) {
        case OTA_SLOT_VALID:
            snprintf(text, sizeof text, "%s%s%s", info.has_desc ? info.project : "an app without description",
                     info.has_desc ? " " : "", info.has_desc ? info.version : "");
            break;
        case OTA_SLOT_INVALID: snprintf(text, sizeof text, "no bootable app: %s", info.reason); break;
        case OTA_SLOT_WRITING: snprintf(text, sizeof text, "being written by the upload"); break;
        default: snprintf(text, sizeof text, "empty"); break;
        }
        cJSON_AddStringToObject(s, "summary", text);
        esp_ota_img_states_t st;
        bool failed = p->subtype != ESP_PARTITION_SUBTYPE_APP_FACTORY && esp_ota_get_state_partition(p, &st) == ESP_OK &&
                      (st == ESP_OTA_IMG_INVALID || st == ESP_OTA_IMG_ABORTED);
        snprintf(text, sizeof text, "%s%s%s%s", runs ? "runs now" : boots ? "boots next" : "",
                 here ? (runs || boots ? " \u00b7 the next upload goes here" : "the next upload goes here") : "",
                 failed && (runs || boots || here) ? " \u00b7 " : "", failed ? "failed or was rolled back" : "");
        cJSON_AddStringToObject(s, "roles", text);
        cJSON_AddItemToArray(arr, s);
    }
    esp_partition_iterator_release(it);
    return arr;
}

/* Which protections are on. Never a secret: no password, no user name; key digests are
 * digests of public keys. */
static cJSON *security_json(const softap_ota_config_t *cfg)
{
    cJSON *sec = cJSON_CreateObject();
    bool auth;
    uint32_t failures;
    ota_auth_info(&auth, &failures);
    cJSON_AddStringToObject(sec, "wifi", !cfg->start_ap ? "app" : (cfg->password && cfg->password[0]) ? "wpa2" : "open");
    cJSON_AddBoolToObject(sec, "http_auth", auth);
    cJSON_AddNumberToObject(sec, "auth_failures", failures);
    cJSON_AddBoolToObject(sec, "check_origin", ota_auth_origin_checked());
    sota_sig_key_t keys[SOTA_SIG_MAX_KEYS];
    const char *source = "none";
    size_t n = ota_sig_trusted(keys, SOTA_SIG_MAX_KEYS, &source);
    cJSON *arr = cJSON_AddArrayToObject(sec, "trusted_keys");
    for (size_t i = 0; i < n; i++) {
        char hex[2 * SOTA_SIG_DIGEST_LEN + 1];
        sota_sig_key_to_hex(&keys[i], hex);
        cJSON_AddItemToArray(arr, cJSON_CreateString(hex));
    }
    cJSON_AddStringToObject(sec, "trusted_key_source", source);
    return sec;
}

char *ota_status_json(void)
{
    const esp_app_desc_t *desc = esp_app_get_description();
    const esp_partition_t *running = esp_ota_get_running_partition();
    const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
    const softap_ota_config_t *cfg = ota_state_config();
    esp_chip_info_t info;
    esp_chip_info(&info);
    softap_ota_status_t st;
    ota_state_get(&st);

    cJSON *o = cJSON_CreateObject();
    if (!o) {
        return NULL;
    }
    cJSON_AddStringToObject(o, "project", desc->project_name);
    cJSON_AddStringToObject(o, "version", desc->version);
    cJSON_AddNumberToObject(o, "secure_version", desc->secure_version);
    cJSON_AddStringToObject(o, "idf_version", desc->idf_ver);
    cJSON_AddStringToObject(o, "chip", chip_name(running));
    char rev[16];
    snprintf(rev, sizeof rev, "v%u.%u", (unsigned)(info.revision / 100), (unsigned)(info.revision % 100));
    cJSON_AddStringToObject(o, "chip_revision", rev);
    cJSON_AddStringToObject(o, "running_partition", running ? running->label : "");
    add_state(o, "running_state", running);
    if (next) {
        cJSON_AddStringToObject(o, "next_partition", next->label);
        cJSON_AddNumberToObject(o, "next_partition_size", next->size);
    } else {
        cJSON_AddNullToObject(o, "next_partition");
        cJSON_AddNumberToObject(o, "next_partition_size", 0);
    }
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    cJSON_AddBoolToObject(o, "rollback_enabled", true);
#else
    cJSON_AddBoolToObject(o, "rollback_enabled", false);
#endif
    cJSON_AddStringToObject(o, "update_state", softap_ota_state_name(st.state));
    cJSON_AddNumberToObject(o, "received", st.received);
    cJSON_AddNumberToObject(o, "total", st.total);
    ota_resume_json(o);
    if (st.have_last) {
        cJSON *l = cJSON_AddObjectToObject(o, "last_update");
        cJSON_AddBoolToObject(l, "ok", st.last_ok);
        cJSON_AddStringToObject(l, "message", st.last_message);
    } else {
        cJSON_AddNullToObject(o, "last_update");
    }
    cJSON *pol = cJSON_AddObjectToObject(o, "policy");
    for (size_t i = 0; i < SOTA_POLICY_N_RULES; i++) {
        const sota_policy_rule_t *r = &sota_policy_rules[i];
        cJSON_AddBoolToObject(pol, r->name, sota_policy_on(&cfg->policy, r));
    }
    char fproj[33], fver[33];
    if (ota_store_load_failed(fproj, sizeof fproj, fver, sizeof fver)) {
        cJSON *f = cJSON_AddObjectToObject(pol, "failed_version");
        cJSON_AddStringToObject(f, "project", fproj);
        cJSON_AddStringToObject(f, "version", fver);
    } else {
        cJSON_AddNullToObject(pol, "failed_version");
    }
    cJSON_AddItemToObject(o, "security", security_json(cfg));
    cJSON_AddItemToObject(o, "slots", slots_json(running, next));
    ota_fs_json(o);
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}
