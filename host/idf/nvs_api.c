/* Host port of the NVS API (nvs.h, nvs_flash.h, sota_host_nvs.h): handles over the
 * in-RAM store (nvs_store.c), loaded from and committed to a file (nvs_file.c). One lock
 * serialises every call, as ESP-IDF's NVS lock does. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_log.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "nvs_internal.h"
#include "sota_host_nvs.h"

static const char *TAG = "nvs";

typedef struct handle {
    nvs_handle_t id;
    char ns[NVS_NAME_MAX + 1];
    bool readonly;
    struct handle *next;
} handle_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static bool s_inited;
static nvs_store_t s_store;
static handle_t *s_handles;
static nvs_handle_t s_next_id;
static char s_path[4096] = NVS_HOST_DEFAULT_PATH;
static char s_loaded_path[4096];    /* the file the store came from and commits go to */

/* --- helpers (lock held) --- */

static void close_all_handles(void)
{
    while (s_handles) {
        handle_t *h = s_handles;
        s_handles = h->next;
        free(h);
    }
}

static void drop_state(void)
{
    close_all_handles();
    nvs_store_clear(&s_store);
    s_inited = false;
}

static handle_t *find_handle(nvs_handle_t id)
{
    for (handle_t *h = s_handles; h; h = h->next) {
        if (h->id == id) {
            return h;
        }
    }
    return NULL;
}

static bool is_default_part(const char *name)
{
    return strcmp(name, NVS_DEFAULT_PART_NAME) == 0;
}

/* --- nvs_flash.h --- */

static esp_err_t nvs_flash_init_partition(const char *partition_label)
{
    if (!partition_label || strlen(partition_label) > NVS_PART_NAME_MAX_SIZE) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!is_default_part(partition_label)) {
        ESP_LOGE(TAG, "partition '%s' not found: the host has only '%s'", partition_label,
                 NVS_DEFAULT_PART_NAME);
        return ESP_ERR_NOT_FOUND;
    }
    pthread_mutex_lock(&s_lock);
    if (s_inited) {
        pthread_mutex_unlock(&s_lock);
        return ESP_OK;
    }
    char why[512] = "";
    esp_err_t err = nvs_file_load(s_path, &s_store, why, sizeof why);
    if (err == ESP_OK) {
        s_inited = true;
        snprintf(s_loaded_path, sizeof s_loaded_path, "%s", s_path);
    }
    pthread_mutex_unlock(&s_lock);
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_LOGE(TAG, "cannot use NVS file '%s': %s. Erase it (nvs_flash_erase(), or delete "
                 "the file) and initialise again.", s_path, why);
    }
    return err;
}

esp_err_t nvs_flash_init(void)
{
    return nvs_flash_init_partition(NVS_DEFAULT_PART_NAME);
}

static esp_err_t nvs_flash_erase_partition(const char *part_name)
{
    if (!part_name) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!is_default_part(part_name)) {
        return ESP_ERR_NOT_FOUND;
    }
    pthread_mutex_lock(&s_lock);
    drop_state();
    esp_err_t err = ESP_OK;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", s_path);
    unlink(tmp);
    if (unlink(s_path) != 0 && errno != ENOENT) {
        ESP_LOGE(TAG, "cannot erase NVS: deleting '%s' failed: %s", s_path, strerror(errno));
        err = ESP_FAIL;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_flash_erase(void)
{
    return nvs_flash_erase_partition(NVS_DEFAULT_PART_NAME);
}

/* --- sota_host_nvs.h --- */

void nvs_host_set_path(const char *path)
{
    pthread_mutex_lock(&s_lock);
    snprintf(s_path, sizeof s_path, "%s", path ? path : NVS_HOST_DEFAULT_PATH);
    pthread_mutex_unlock(&s_lock);
}

bool nvs_host_is_initialized(void)
{
    pthread_mutex_lock(&s_lock);
    bool inited = s_inited;
    pthread_mutex_unlock(&s_lock);
    return inited;
}

void nvs_host_reset(void)
{
    pthread_mutex_lock(&s_lock);
    drop_state();
    pthread_mutex_unlock(&s_lock);
}

/* --- handles --- */

static esp_err_t nvs_open_from_partition(const char *part_name, const char *namespace_name,
                                  nvs_open_mode_t open_mode, nvs_handle_t *out_handle)
{
    if (!part_name || !namespace_name || !out_handle ||
        (open_mode != NVS_READONLY && open_mode != NVS_READWRITE)) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = ESP_OK;
    if (!s_inited) {
        err = ESP_ERR_NVS_NOT_INITIALIZED;
    } else if (!is_default_part(part_name)) {
        err = ESP_ERR_NVS_PART_NOT_FOUND;
    } else if (!nvs_store_has_ns(&s_store, namespace_name)) {
        if (open_mode == NVS_READONLY) {
            err = ESP_ERR_NVS_NOT_FOUND;
        } else if (strlen(namespace_name) > NVS_NAME_MAX) {
            err = ESP_ERR_NVS_KEY_TOO_LONG;
        } else {
            err = nvs_store_add_ns(&s_store, namespace_name);
        }
    }
    if (err == ESP_OK) {
        handle_t *h = calloc(1, sizeof(*h));
        if (!h) {
            err = ESP_ERR_NO_MEM;
        } else {
            h->id = ++s_next_id;
            size_t n = strnlen(namespace_name, NVS_NAME_MAX);
            memcpy(h->ns, namespace_name, n);
            h->ns[n] = '\0';
            h->readonly = (open_mode == NVS_READONLY);
            h->next = s_handles;
            s_handles = h;
            *out_handle = h->id;
        }
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_open(const char *namespace_name, nvs_open_mode_t open_mode, nvs_handle_t *out_handle)
{
    return nvs_open_from_partition(NVS_DEFAULT_PART_NAME, namespace_name, open_mode, out_handle);
}

void nvs_close(nvs_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    for (handle_t **pp = &s_handles; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == handle) {
            handle_t *h = *pp;
            *pp = h->next;
            free(h);
            break;
        }
    }
    pthread_mutex_unlock(&s_lock);
}

/* --- set --- */

static esp_err_t set_value(nvs_handle_t handle, const char *key, nvs_type_t type, uint64_t num,
                           const void *data, size_t len)
{
    if (!key) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = ESP_OK;
    handle_t *h = find_handle(handle);
    if (!h) {
        err = ESP_ERR_NVS_INVALID_HANDLE;
    } else if (h->readonly) {
        err = ESP_ERR_NVS_READ_ONLY;
    } else if (strlen(key) > NVS_NAME_MAX) {
        err = ESP_ERR_NVS_KEY_TOO_LONG;
    } else if ((type == NVS_TYPE_STR && len > NVS_CHUNK_MAX) ||
               (type == NVS_TYPE_BLOB && len > NVS_BLOB_MAX)) {
        err = ESP_ERR_NVS_VALUE_TOO_LONG;
    } else {
        err = nvs_store_set(&s_store, h->ns, key, type, num, data, len);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_set_u8(nvs_handle_t handle, const char *key, uint8_t value)
{
    return set_value(handle, key, NVS_TYPE_U8, value, NULL, 0);
}

esp_err_t nvs_set_str(nvs_handle_t handle, const char *key, const char *value)
{
    if (!value) {
        return ESP_ERR_INVALID_ARG;
    }
    return set_value(handle, key, NVS_TYPE_STR, 0, value, strlen(value) + 1);
}

/* --- get --- */

/* The item key holds in the handle's namespace if it has this type, else an error. */
static esp_err_t lookup(nvs_handle_t handle, const char *key, nvs_type_t type,
                        const nvs_item_t **out)
{
    handle_t *h = find_handle(handle);
    if (!h) {
        return ESP_ERR_NVS_INVALID_HANDLE;
    }
    const nvs_item_t *it = nvs_store_find(&s_store, h->ns, key);
    if (!it || it->type != type) {
        /* ESP-IDF's storage layer reports another type as "not found" too. */
        return ESP_ERR_NVS_NOT_FOUND;
    }
    *out = it;
    return ESP_OK;
}

static esp_err_t get_num(nvs_handle_t handle, const char *key, nvs_type_t type, uint64_t *out)
{
    if (!key) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    const nvs_item_t *it = NULL;
    esp_err_t err = lookup(handle, key, type, &it);
    if (err == ESP_OK) {
        *out = it->num;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_get_u8(nvs_handle_t handle, const char *key, uint8_t *out_value)
{
    if (!out_value) {
        return ESP_ERR_INVALID_ARG;
    }
    uint64_t bits;
    esp_err_t err = get_num(handle, key, NVS_TYPE_U8, &bits);
    if (err == ESP_OK) {
        *out_value = (uint8_t)bits;
    }
    return err;
}

static esp_err_t get_var(nvs_handle_t handle, const char *key, nvs_type_t type, void *out,
                         size_t *length)
{
    if (!key) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    const nvs_item_t *it = NULL;
    esp_err_t err = lookup(handle, key, type, &it);
    if (err == ESP_OK) {
        if (!length) {
            err = ESP_ERR_NVS_INVALID_LENGTH;
        } else if (!out) {
            *length = it->len;
        } else if (*length < it->len) {
            *length = it->len;
            err = ESP_ERR_NVS_INVALID_LENGTH;
        } else {
            if (it->len) {
                memcpy(out, it->data, it->len);
            }
            *length = it->len;
        }
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_get_str(nvs_handle_t handle, const char *key, char *out_value, size_t *length)
{
    return get_var(handle, key, NVS_TYPE_STR, out_value, length);
}

/* --- erase, commit, stats --- */

esp_err_t nvs_commit(nvs_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = ESP_OK;
    char why[512] = "";
    if (!find_handle(handle)) {
        err = ESP_ERR_NVS_INVALID_HANDLE;
    } else {
        err = nvs_file_save(s_loaded_path, &s_store, why, sizeof why);
    }
    pthread_mutex_unlock(&s_lock);
    if (err == ESP_FAIL) {
        ESP_LOGE(TAG, "nvs_commit: %s (the values stay in RAM only)", why);
    }
    return err;
}
