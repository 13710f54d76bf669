/* POST /api/boot: boot another slot's app. */
#include <stdio.h>
#include <string.h>

#include "cJSON.h"
#include "ota_internal.h"

/* Body {"partition": LABEL}: verify that slot's image, select it for the next boot and
 * reboot, answering like a successful upload. The same rules as /update decide who may
 * ask; the upload rules decide which apps may be chosen (ota_slots_select). */
esp_err_t ota_switch_post(httpd_req_t *req)
{
    esp_err_t err;
    if (!ota_reply_may_change(req, "switch", &err)) {
        return err;
    }
    char body[128];
    if (req->content_len == 0 || req->content_len >= sizeof body) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BAD_REQUEST, "send the slot to boot as JSON, e.g. {\"partition\": \"ota_1\"} "
                          "(a label from the slots of GET /api/status)");
    }
    size_t got = req->content_len;
    if (!ota_reply_recv_all(req, body, got)) {
        return ESP_FAIL; /* connection lost or stalled: close it */
    }
    body[got] = '\0';
    cJSON *j = cJSON_ParseWithLength(body, got);
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(j, "partition");
    char want[17] = "";
    bool ok_label = cJSON_IsString(label) && strlen(label->valuestring) < sizeof want;
    if (ok_label) {
        snprintf(want, sizeof want, "%s", label->valuestring);
    }
    cJSON_Delete(j);
    if (!ok_label) {
        return ota_reply_error(req, SOTA_UPDATE_ERR_BAD_REQUEST, "send the slot to boot as JSON, e.g. {\"partition\": \"ota_1\"} "
                          "(a label from the slots of GET /api/status)");
    }
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, want);
    if (!p) {
        char msg[200];
        snprintf(msg, sizeof msg, "this device has no app partition named '%s': use a label from the slots "
                 "of GET /api/status", want);
        return ota_reply_error(req, SOTA_UPDATE_ERR_NO_SUCH_SLOT, msg);
    }
    sota_update_err_t out = SOTA_UPDATE_OK;
    cJSON *refused = ota_resume_gate_switch(req, &out);
    if (refused) {
        return ota_reply_json(req, out, refused);
    }
    if (!ota_state_try_claim(SOFTAP_OTA_VERIFYING, 0)) {
        return ota_reply_error(req, SOTA_UPDATE_ERR_BUSY, "an update is in progress: wait for it to finish, then switch");
    }
    char msg[320];
    out = ota_slots_select(p, false, msg, sizeof msg, NULL);
    if (out != SOTA_UPDATE_OK) {
        ota_state_set(SOFTAP_OTA_IDLE);
        return ota_reply_error(req, out, msg); /* already_running, not_bootable, policy, flash_error */
    }
    ota_slot_info_t info;
    ota_slots_info(p, &info);
    char name[40];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddStringToObject(o, "project", info.project);
    cJSON_AddStringToObject(o, "version", info.version);
    cJSON_AddStringToObject(o, "partition", p->label);
    cJSON_AddStringToObject(o, "name", ota_slots_name(p, name, sizeof name));
    cJSON_AddNumberToObject(o, "reboot_in_ms", OTA_REBOOT_DELAY_MS);
    ota_state_finish(true, msg, p->label);
    err = ota_reply_json(req, SOTA_UPDATE_OK, o);
    ota_slots_reboot_soon();
    return err;
}
