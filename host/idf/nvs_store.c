/* Host port of NVS: the store held in RAM (nvs_internal.h) and the entry accounting
 * that gives it the capacity of a real 6-page partition. */
#include <stdlib.h>
#include <string.h>

#include "nvs_internal.h"

static bool same_name(const char *a, const char *b)
{
    return strncmp(a, b, NVS_NAME_MAX) == 0;
}

/* Copy a name into a NVS_NAME_MAX + 1 buffer, truncated to NVS_NAME_MAX characters. */
static void copy_name(char dst[NVS_NAME_MAX + 1], const char *src)
{
    size_t n = strnlen(src, NVS_NAME_MAX);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static size_t div_up(size_t n, size_t d)
{
    return (n + d - 1) / d;
}

static size_t nvs_item_entries(nvs_type_t type, size_t len)
{
    if (type == NVS_TYPE_STR) {
        return 1 + div_up(len, NVS_ENTRY_SIZE);
    }
    if (type == NVS_TYPE_BLOB) {
        /* An index entry, then chunks of at most one page, each a header + data. */
        size_t entries = 1;
        size_t left = len;
        do {
            size_t chunk = left > NVS_CHUNK_MAX ? NVS_CHUNK_MAX : left;
            entries += 1 + div_up(chunk, NVS_ENTRY_SIZE);
            left -= chunk;
        } while (left);
        return entries;
    }
    return 1;
}

static size_t nvs_store_used_entries(const nvs_store_t *st)
{
    size_t n = st->ns_count;
    for (const nvs_item_t *it = st->items; it; it = it->next) {
        n += nvs_item_entries(it->type, it->len);
    }
    return n;
}

void nvs_store_clear(nvs_store_t *st)
{
    nvs_item_t *it = st->items;
    while (it) {
        nvs_item_t *next = it->next;
        free(it->data);
        free(it);
        it = next;
    }
    free(st->ns);
    memset(st, 0, sizeof *st);
}

bool nvs_store_has_ns(const nvs_store_t *st, const char *name)
{
    for (size_t i = 0; i < st->ns_count; i++) {
        if (same_name(st->ns[i], name)) {
            return true;
        }
    }
    return false;
}

esp_err_t nvs_store_add_ns(nvs_store_t *st, const char *name)
{
    if (st->ns_count >= NVS_MAX_NAMESPACES || nvs_store_used_entries(st) + 1 > NVS_USABLE_ENTRIES) {
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    if (st->ns_count == st->ns_cap) {
        size_t cap = st->ns_cap ? st->ns_cap * 2 : 8;
        void *grown = realloc(st->ns, cap * sizeof st->ns[0]);
        if (!grown) {
            return ESP_ERR_NO_MEM;
        }
        st->ns = grown;
        st->ns_cap = cap;
    }
    copy_name(st->ns[st->ns_count], name);
    st->ns_count++;
    return ESP_OK;
}

nvs_item_t *nvs_store_find(const nvs_store_t *st, const char *ns, const char *key)
{
    for (nvs_item_t *it = st->items; it; it = it->next) {
        if (same_name(it->ns, ns) && same_name(it->key, key)) {
            return it;
        }
    }
    return NULL;
}

esp_err_t nvs_store_set(nvs_store_t *st, const char *ns, const char *key, nvs_type_t type,
                        uint64_t num, const void *data, size_t len)
{
    bool var = (type == NVS_TYPE_STR || type == NVS_TYPE_BLOB);
    nvs_item_t *old = nvs_store_find(st, ns, key);
    size_t used = nvs_store_used_entries(st);
    if (old) {
        used -= nvs_item_entries(old->type, old->len);
    }
    if (used + nvs_item_entries(type, var ? len : 0) > NVS_USABLE_ENTRIES) {
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    uint8_t *copy = NULL;
    if (var) {
        copy = malloc(len ? len : 1);
        if (!copy) {
            return ESP_ERR_NO_MEM;
        }
        if (len) {
            memcpy(copy, data, len);
        }
    }
    nvs_item_t *it = old;
    if (!it) {
        it = calloc(1, sizeof(*it));
        if (!it) {
            free(copy);
            return ESP_ERR_NO_MEM;
        }
        copy_name(it->ns, ns);
        copy_name(it->key, key);
        nvs_item_t **pp = &st->items;
        while (*pp) {
            pp = &(*pp)->next;
        }
        *pp = it;
    }
    free(it->data);
    it->type = type;
    it->num = var ? 0 : num;
    it->data = copy;
    it->len = var ? len : 0;
    return ESP_OK;
}

const char *nvs_type_name(nvs_type_t type)
{
    switch (type) {
    case NVS_TYPE_U8: return "u8";
    case NVS_TYPE_I8: return "i8";
    case NVS_TYPE_U16: return "u16";
    case NVS_TYPE_I16: return "i16";
    case NVS_TYPE_U32: return "u32";
    case NVS_TYPE_I32: return "i32";
    case NVS_TYPE_U64: return "u64";
    case NVS_TYPE_I64: return "i64";
    case NVS_TYPE_STR: return "str";
    case NVS_TYPE_BLOB: return "blob";
    default: return NULL;
    }
}
