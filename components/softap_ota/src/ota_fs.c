/* Filesystem images for data partitions (littlefs, spiffs, fat): the partitions the
 * session chooses from, the request's ?partition= and X-Sota-SHA256, the app's hooks,
 * and the NVS record that makes a half-written partition visible.
 *
 * A data partition has no second copy: writing it is not atomic. Before the first erase
 * the record "LABEL is being written" (size; SHA-256 once known) goes to NVS; it is
 * cleared only after the written bytes were read back and matched (the session does the
 * read-back before ops->finish). A power cut, a lost connection or any failure leaves it:
 * /api/status and the page then say "storage LABEL is incomplete: upload the image
 * again", and softap_ota_fs_incomplete(LABEL) answers true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "nvs.h"
#include "ota_internal.h"
#include "sota_crc32.h"
#include "sota_text.h"

static const char *TAG = "softap_ota";
#define NS "sota_fs"

/* ---- the record in NVS: key "w" + CRC-32 of the label (keys hold 15 characters,
 * labels 16), value "LABEL SIZE SHA256HEX|-" ("" once cleared) ---- */

static void record_key(const char *label, char key[16])
{
    uint32_t crc = sota_crc32_le(0, (const uint8_t *)label, strlen(label));
    snprintf(key, 16, "w%08x", (unsigned)crc);
}

static esp_err_t record_put(const char *label, const char *value)
{
    char key[16];
    record_key(label, key);
    nvs_handle_t h;
    esp_err_t err = nvs_open(NS, NVS_READWRITE, &h);
    if (err == ESP_OK) {
        err = nvs_set_str(h, key, value);
        if (err == ESP_OK) {
            err = nvs_commit(h);
        }
        nvs_close(h);
    }
    return err;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static esp_err_t record_set(const char *label, uint32_t size, const uint8_t *sha)
{
    char value[SOTA_FS_LABEL_LEN + 12 + 2 * SOTA_SHA256_LEN + 4], h[2 * SOTA_SHA256_LEN + 1] = "-";
    if (sha) {
        hex(sha, SOTA_SHA256_LEN, h);
    }
    snprintf(value, sizeof value, "%s %u %s", label, (unsigned)size, h);
    return record_put(label, value);
}

/* Whether label has a record; *size (may be NULL) its size. */
static bool record_get(const char *label, uint32_t *size)
{
    char key[16], value[SOTA_FS_LABEL_LEN + 12 + 2 * SOTA_SHA256_LEN + 4] = "";
    record_key(label, key);
    nvs_handle_t h;
    if (nvs_open(NS, NVS_READONLY, &h) != ESP_OK) {
        return false;
    }
    size_t n = sizeof value;
    bool found = nvs_get_str(h, key, value, &n) == ESP_OK;
    nvs_close(h);
    size_t l = strlen(label);
    if (!found || strncmp(value, label, l) != 0 || value[l] != ' ') {
        return false;   /* none, cleared, or another label's (a CRC collision) */
    }
    if (size) {
        *size = (uint32_t)strtoul(value + l + 1, NULL, 10);
    }
    return true;
}

bool softap_ota_fs_incomplete(const char *label)
{
    return label != NULL && label[0] != '\0' && record_get(label, NULL);
}

/* ---- the partitions and the request ---- */

size_t ota_fs_list(sota_fs_part_t *out, size_t max)
{
    size_t n = 0;
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
    for (; it != NULL && n < max; it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
        sota_fs_part_t *o = &out[n++];
        memset(o, 0, sizeof *o);
        snprintf(o->label, sizeof o->label, "%s", p->label);
        o->type = (uint8_t)p->type;
        o->subtype = (uint8_t)p->subtype;
        o->size = (uint32_t)p->size;
        o->encrypted = p->encrypted;
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 0) /* the readonly flag exists from 5.2 */
        o->readonly = p->readonly;
#endif
    }
    esp_partition_iterator_release(it);
    return n;
}

bool ota_fs_request(httpd_req_t *req, ota_fs_req_t *out, char *msg, size_t n)
{
    memset(out, 0, sizeof *out);
    char query[128] = "", label[40] = "";
    esp_err_t qe = httpd_req_get_url_query_str(req, query, sizeof query);
    if (qe == ESP_OK) {
        esp_err_t le = httpd_query_key_value(query, "partition", label, sizeof label);
        if (le == ESP_ERR_HTTPD_RESULT_TRUNC || strlen(label) >= sizeof out->label) {
            snprintf(msg, n, "?partition= names a partition label of at most 16 characters");
            return false;
        }
        memcpy(out->label, label, strlen(label) + 1); /* shorter than out->label: checked */
    } else if (qe == ESP_ERR_HTTPD_RESULT_TRUNC) {
        snprintf(msg, n, "the query is longer than %u bytes: send ?partition=LABEL only",
                 (unsigned)sizeof query - 1);
        return false;
    }
    char value[80] = "";
    esp_err_t he = httpd_req_get_hdr_value_str(req, "X-Sota-SHA256", value, sizeof value);
    if (he == ESP_ERR_NOT_FOUND) {
        return true;
    }
    bool ok = he == ESP_OK && strlen(value) == 2 * SOTA_SHA256_LEN;
    for (size_t i = 0; ok && i < SOTA_SHA256_LEN; i++) {
        int hi = sota_text_hex(value[2 * i]), lo = sota_text_hex(value[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        out->sha[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!ok) {
        snprintf(msg, n, "X-Sota-SHA256 must be the file's SHA-256 as 64 hex digits "
                 "(sha256sum FILE), or left out");
        return false;
    }
    out->has_sha = true;
    return true;
}

void ota_fs_apply(const ota_fs_req_t *r, sota_update_cfg_t *cfg)
{
    cfg->fs_label = r->label[0] ? r->label : NULL;
    cfg->fs_sha = r->has_sha ? r->sha : NULL;
}

/* ---- the writer's filesystem side (sota_update_ops_t) ---- */

static char s_writing[SOTA_FS_LABEL_LEN];   /* the partition an upload writes now, "" */
static unsigned s_generation;               /* bumped whenever a partition may change */

bool ota_fs_writing(void)
{
    return s_writing[0] != '\0';
}

int ota_fs_begin(void *ctx, size_t index, uint32_t size, const uint8_t *sha, char *msg, size_t n)
{
    ota_writer_t *w = ctx;
    if (index >= w->n_parts) {
        snprintf(msg, n, "internal: no partition %u", (unsigned)index);
        return ESP_ERR_INVALID_ARG;
    }
    const char *label = w->parts[index].label;
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);
    if (!p) {
        snprintf(msg, n, "partition %s is gone from the table", label);
        return ESP_ERR_NOT_FOUND;
    }
    const softap_ota_config_t *cfg = ota_state_config();
    if (cfg->fs_before_write) {
        esp_err_t err = cfg->fs_before_write(label, cfg->fs_ctx);
        if (err != ESP_OK) {
            snprintf(msg, n, "its fs_before_write hook answered %s", esp_err_to_name(err));
            return SOTA_UPDATE_FS_REFUSED;
        }
    }
    w->part = p;
    w->fs = true;
    w->encrypted = false;   /* the session refuses encrypted partitions */
    snprintf(s_writing, sizeof s_writing, "%s", label);
    s_generation++;
    esp_err_t err = record_set(label, size, sha);
    if (err != ESP_OK) {
        snprintf(msg, n, "recording it in NVS failed: %s (call nvs_flash_init() before "
                 "softap_ota_start())", esp_err_to_name(err));
        s_writing[0] = '\0';
        if (cfg->fs_after_write) {
            cfg->fs_after_write(label, false, cfg->fs_ctx);
        }
        return err;
    }
    ESP_LOGI(TAG, "writing a filesystem image to partition %s (0x%x bytes at 0x%x)", label,
             (unsigned)p->size, (unsigned)p->address);
    return 0;
}

int ota_fs_digest(void *ctx, const uint8_t sha[SOTA_SHA256_LEN])
{
    ota_writer_t *w = ctx;
    uint32_t size = 0;
    record_get(w->part->label, &size);
    return record_set(w->part->label, size, sha);
}

esp_err_t ota_fs_end(ota_writer_t *w, bool ok)
{
    esp_err_t err = ESP_OK;
    if (ok) {
        err = record_put(w->part->label, "");
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "could not clear the record of partition %s: %s", w->part->label,
                     esp_err_to_name(err));
        }
    } else {
        ESP_LOGW(TAG, "partition %s is incomplete: upload the image again", w->part->label);
    }
    s_writing[0] = '\0';
    s_generation++;
    const softap_ota_config_t *cfg = ota_state_config();
    if (cfg->fs_after_write) {
        cfg->fs_after_write(w->part->label, ok && err == ESP_OK, cfg->fs_ctx);
    }
    return err;
}

/* ---- /api/status: "storage" ---- */

#define CACHE 6
static struct {
    char label[SOTA_FS_LABEL_LEN];
    unsigned generation;
    sota_file_kind_t kind;
    char what[200];
} s_cache[CACHE];

/* What the partition holds, from its first bytes (kept until a partition may change). */
static void content_of(const esp_partition_t *p, sota_file_kind_t *kind, char *what, size_t n)
{
    for (int i = 0; i < CACHE; i++) {
        if (s_cache[i].generation == s_generation + 1 && strcmp(s_cache[i].label, p->label) == 0) {
            *kind = s_cache[i].kind;
            snprintf(what, n, "%s", s_cache[i].what);
            return;
        }
    }
    size_t len = p->size < SOTA_IDENT_HEAD_LEN ? p->size : SOTA_IDENT_HEAD_LEN;
    uint8_t *buf = malloc(len);
    sota_ident_t *id = malloc(sizeof *id);
    if (!buf || !id || esp_partition_read(p, 0, buf, len) != ESP_OK) {
        *kind = SOTA_FILE_UNKNOWN;
        snprintf(what, n, "could not be read");
        free(buf);
        free(id);
        return;
    }
    sota_ident(buf, len, p->size, NULL, id);
    *kind = id->kind;
    if (sota_ident_kind_is_fs(id->kind)) {
        char d[160];
        sota_ident_fs_describe(id->kind, &id->fs, d, sizeof d);
        snprintf(what, n, "a %s filesystem (%s)", sota_ident_kind_name(id->kind), d);
    } else if (id->kind == SOTA_FILE_ERASED) {
        snprintf(what, n, "nothing (erased)");
    } else {
        snprintf(what, n, "no filesystem this updater knows (%s)", sota_ident_kind_name(id->kind));
    }
    free(buf);
    free(id);
    static int next;
    next = (next + 1) % CACHE;
    snprintf(s_cache[next].label, sizeof s_cache[next].label, "%s", p->label);
    s_cache[next].generation = s_generation + 1;
    s_cache[next].kind = *kind;
    snprintf(s_cache[next].what, sizeof s_cache[next].what, "%s", what);
}

void ota_fs_json(cJSON *parent)
{
    cJSON *arr = cJSON_AddArrayToObject(parent, "storage");
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, NULL);
    for (; it != NULL; it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
        uint8_t sub = (uint8_t)p->subtype;
        if (sub < 0x81 || sub > 0x83) {
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        char nb[32], summary[300], what[200];
        cJSON_AddStringToObject(o, "label", p->label);
        cJSON_AddStringToObject(o, "subtype", sota_fs_subtype_name(1, sub, nb, sizeof nb));
        cJSON_AddNumberToObject(o, "address", p->address);
        cJSON_AddNumberToObject(o, "size", p->size);
        const char *state;
        sota_file_kind_t kind = SOTA_FILE__COUNT;
        softap_ota_status_t st;
        ota_state_get(&st);
        bool busy = st.state == SOFTAP_OTA_RECEIVING || st.state == SOFTAP_OTA_VERIFYING;
        if (busy && s_writing[0] && strcmp(s_writing, p->label) == 0) {
            state = "writing";
            snprintf(summary, sizeof summary, "storage %s is being written", p->label);
        } else if (record_get(p->label, NULL)) {
            state = "incomplete";
            snprintf(summary, sizeof summary, "storage %s is incomplete: upload the image again",
                     p->label);
        } else {
            state = "complete";
            content_of(p, &kind, what, sizeof what);
            snprintf(summary, sizeof summary, "storage %s holds %s", p->label, what);
        }
        cJSON_AddStringToObject(o, "state", state);
        if (kind == SOTA_FILE__COUNT) {
            cJSON_AddNullToObject(o, "content");   /* not judged while incomplete */
        } else {
            cJSON_AddStringToObject(o, "content", sota_ident_kind_name(kind));
        }
        cJSON_AddStringToObject(o, "summary", summary);
        cJSON_AddItemToArray(arr, o);
    }
    esp_partition_iterator_release(it);
}
