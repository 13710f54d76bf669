/* POST /api/check: the verdict an upload of a file would get, from its first bytes, with
 * nothing claimed, opened or erased: POST /api/check?size=N (N: the file's length) with
 * the file's first min(N, SOTA_UPDATE_HEAD_LEN) bytes as the body. The same session code
 * as /update runs on them (sota_update_precheck), so both name the file alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "ota_internal.h"

typedef struct {
    sota_update_t upd;
    ota_writer_t writer;
    uint8_t head[SOTA_UPDATE_HEAD_LEN];
} check_t;

/* Warnings about an app that will be accepted, for the person choosing it. */
static void add_notes(cJSON *o, const sota_update_t *upd)
{
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    const sota_app_desc_t *d = &upd->img.desc;
    const char *rp = upd->cfg.running_project, *rv = upd->cfg.running_version;
    char note[160];
    if (!upd->img.have_desc || d->magic_word != SOTA_APP_DESC_MAGIC) {
        cJSON_AddItemToArray(notes, cJSON_CreateString(
            "The file carries no version information (no app description): its project and "
            "version are unknown."));
        return;
    }
    if (rp && strcmp(d->project_name, rp) != 0) {
        snprintf(note, sizeof note, "Project \"%s\", but this device runs \"%s\": is it the right "
                 "firmware?", d->project_name, rp);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    }
    if (d->version[0] == '\0') {
        cJSON_AddItemToArray(notes, cJSON_CreateString(
            "The file's app description names no version: whether it is newer or older than "
            "the running app is unknown."));
        return;
    }
    int c = rv && rv[0] ? sota_update_version_cmp(d->version, rv) : 1;
    if (c == 0) {
        snprintf(note, sizeof note, "Same version as running (%s): a reinstall.", rv);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    } else if (c < 0) {
        snprintf(note, sizeof note, "Version %s is older than the running %s: a downgrade.",
                 d->version, rv);
        cJSON_AddItemToArray(notes, cJSON_CreateString(note));
    }
}

esp_err_t ota_check_post(httpd_req_t *req)
{
    if (!ota_auth_same_origin(req)) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_CROSS_SITE,
                             "refused: the check was sent by a page of another site. Open the update "
                             "page at the device's own address (http://192.168.4.1/)");
    }
    esp_err_t err;
    if (!ota_reply_allowed(req, &err, true)) {
        return ota_conn_refuse_close(req);
    }
    char query[64] = "", val[24] = "";
    char *end = NULL;
    unsigned long long size = 0;
    if (httpd_req_get_url_query_str(req, query, sizeof query) == ESP_OK &&
        httpd_query_key_value(query, "size", val, sizeof val) == ESP_OK && val[0] >= '0' &&
        val[0] <= '9') {
        size = strtoull(val, &end, 10);
    }
    if (end == NULL || *end != '\0' || size > UINT32_MAX) {
        char msg[200];
        snprintf(msg, sizeof msg, "give the file's length and its first bytes: POST /api/check?size=N "
                 "with the first min(N, %u) bytes of the file as the body", (unsigned)SOTA_UPDATE_HEAD_LEN);
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BAD_REQUEST, msg);
    }
    size_t need = size < SOTA_UPDATE_HEAD_LEN ? (size_t)size : SOTA_UPDATE_HEAD_LEN;
    if (req->content_len != need) {
        char msg[160];
        snprintf(msg, sizeof msg, "send the file's first %u bytes as the body (the whole file if it "
                 "is shorter), not %u", (unsigned)need, (unsigned)req->content_len);
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BAD_REQUEST, msg);
    }
    ota_fs_req_t fsreq;
    char fsmsg[120];
    if (!ota_fs_request(req, &fsreq, fsmsg, sizeof fsmsg)) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_BAD_REQUEST, fsmsg);
    }
    check_t *c = calloc(1, sizeof *c);
    if (!c) {
        return ota_reply_refuse(req, SOTA_UPDATE_ERR_NO_MEMORY, "out of memory for the check; try again");
    }
    if (!ota_reply_recv_all(req, c->head, need)) {
        free(c);
        return ESP_FAIL;   /* connection lost or stalled: close it */
    }
    sota_update_cfg_t cfg;
    if (ota_writer_target(&c->writer, ota_state_config(), &cfg) != ESP_OK) {
        free(c);
        return ota_reply_error(req, SOTA_UPDATE_ERR_NO_SLOT, "this device has no OTA app slot to write: its partition "
                          "table needs ota_0 and ota_1 partitions and an otadata partition");
    }
    cfg.announced_len = size;
    cfg.announced_exact = true;
    ota_fs_apply(&fsreq, &cfg);
    sota_update_err_t verdict = sota_update_precheck(&c->upd, &cfg, c->head, need);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "verdict", verdict == SOTA_UPDATE_OK ? "ok" : "refused");
    cJSON_AddNumberToObject(o, "status", sota_update_http_status(verdict));
    if (verdict != SOTA_UPDATE_OK) {
        cJSON_AddStringToObject(o, "error", sota_update_err_code(verdict));
        cJSON_AddStringToObject(o, "message", c->upd.msg);
        ota_reply_explain(o, &c->upd);
    } else if (c->upd.fs_index >= 0) {
        ota_reply_explain(o, &c->upd);
        cJSON_AddArrayToObject(o, "notes");
    } else {
        const sota_app_desc_t *d = &c->upd.img.desc;
        ota_reply_explain(o, &c->upd);
        if (c->upd.img.have_desc && d->magic_word == SOTA_APP_DESC_MAGIC) {
            cJSON_AddStringToObject(o, "project", d->project_name);
            cJSON_AddStringToObject(o, "version", d->version);
        }
        add_notes(o, &c->upd);
    }
    cJSON_AddNumberToObject(o, "size", (double)size);
    cJSON_AddStringToObject(o, "slot", c->writer.part->label);
    cJSON_AddNumberToObject(o, "slot_size", c->writer.part->size);
    /* a filesystem image: the data partition it goes to, else null */
    const sota_fs_part_t *fp = sota_update_fs_part(&c->upd);
    if (fp) {
        cJSON_AddStringToObject(o, "partition", fp->label);
        cJSON_AddNumberToObject(o, "partition_size", fp->size);
    } else {
        cJSON_AddNullToObject(o, "partition");
        cJSON_AddNullToObject(o, "partition_size");
    }
    free(c);
    return ota_reply_json(req, SOTA_UPDATE_OK, o);
}
