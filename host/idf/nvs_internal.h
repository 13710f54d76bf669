/* Host port of NVS, private to host/idf: the in-RAM store (nvs_store.c) and its file
 * format (nvs_file.c), used by the API (nvs_api.c). None of this locks: nvs_api.c holds
 * its lock around every use. */
#ifndef SOTA_NVS_INTERNAL_H
#define SOTA_NVS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "nvs.h"

/* Longest key / namespace name (NVS_KEY_NAME_MAX_SIZE without the NUL). */
#define NVS_NAME_MAX 15
/* ESP-IDF's usual partition: 6 pages of 126 32-byte entries, one page kept free. */
#define NVS_HOST_PAGES 6
#define NVS_ENTRIES_PER_PAGE 126
#define NVS_ENTRY_SIZE 32
/* Largest string (with NUL) and blob chunk: one page's data entries. */
#define NVS_CHUNK_MAX 4000
#define NVS_BLOB_MAX ((NVS_HOST_PAGES - 1) * NVS_CHUNK_MAX)
#define NVS_MAX_NAMESPACES 254

typedef struct nvs_item {
    char ns[NVS_NAME_MAX + 1];
    char key[NVS_NAME_MAX + 1];
    nvs_type_t type;
    uint64_t num;          /* integers: the value's bits, sign-extended for signed types */
    uint8_t *data;         /* strings (with NUL) and blobs; owned */
    size_t len;
    struct nvs_item *next;
} nvs_item_t;

typedef struct {
    nvs_item_t *items;     /* in insertion order */
    char (*ns)[NVS_NAME_MAX + 1];
    size_t ns_count;
    size_t ns_cap;
} nvs_store_t;

/* Free everything, leaving an empty store. */
void nvs_store_clear(nvs_store_t *st);

/* Whether namespace name (compared on its first 15 characters) exists. */
bool nvs_store_has_ns(const nvs_store_t *st, const char *name);

/* Add namespace name (at most 15 characters, checked by the caller). ESP_OK;
 * ESP_ERR_NVS_NOT_ENOUGH_SPACE (254 namespaces, or no entry left); ESP_ERR_NO_MEM. */
esp_err_t nvs_store_add_ns(nvs_store_t *st, const char *name);

/* The item key of namespace ns (both compared on their first 15 characters), or NULL. */
nvs_item_t *nvs_store_find(const nvs_store_t *st, const char *ns, const char *key);

/* Set key of namespace ns (must exist; key at most 15 characters) to a value of type:
 * num for integers, data/len for strings (len with the NUL) and blobs. Replaces any
 * previous value. ESP_OK; ESP_ERR_NVS_NOT_ENOUGH_SPACE; ESP_ERR_NO_MEM. */
esp_err_t nvs_store_set(nvs_store_t *st, const char *ns, const char *key, nvs_type_t type,
                        uint64_t num, const void *data, size_t len);

/* Entries usable for data (all pages but the one kept free). */
#define NVS_USABLE_ENTRIES ((NVS_HOST_PAGES - 1) * NVS_ENTRIES_PER_PAGE)

/* The type's name in the file ("u8", "str"...), NULL for an unknown type. */
const char *nvs_type_name(nvs_type_t type);

/* Load the file at path into st (emptied first). A missing file is an empty store.
 * ESP_OK; ESP_ERR_NVS_NO_FREE_PAGES (unreadable or malformed: why says where);
 * ESP_ERR_NVS_NEW_VERSION_FOUND; ESP_ERR_NO_MEM. */
esp_err_t nvs_file_load(const char *path, nvs_store_t *st, char *why, size_t why_len);

/* Write st to path atomically (temporary file, fsync, rename). ESP_OK, or ESP_FAIL with
 * the reason in why. */
esp_err_t nvs_file_save(const char *path, const nvs_store_t *st, char *why, size_t why_len);

#endif
