/* esp_partition: the partition list read from the simulated flash, find/next/verify. */
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "esp_flash_partitions.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "ptable.h"
#include "sdkconfig.h"

static const char *TAG = "partition";

struct esp_partition_iterator_opaque_ {
    esp_partition_type_t type;
    esp_partition_subtype_t subtype;
    const char *label;
    unsigned next;                 /* index of the next partition to look at */
    const esp_partition_t *info;   /* current match */
};

void sota_dev_unload_partitions(void)
{
    g_sota_dev.parts_loaded = false;
    g_sota_dev.nparts = 0;
}

esp_err_t sota_dev_load_partitions(void)
{
    if (g_sota_dev.parts_loaded) {
        return ESP_OK;
    }
    esp_err_t err = sota_dev_need_flash();
    if (err != ESP_OK) {
        return err;
    }
    uint32_t off = g_sota_dev.table_offset;
    uint8_t *bin = malloc(ESP_PARTITION_TABLE_SIZE);
    ptable_t *t = malloc(sizeof *t);
    if (bin == NULL || t == NULL) {
        free(bin);
        free(t);
        return ESP_ERR_NO_MEM;
    }
    sota_dev_lock();
    nor_err_t nerr = nor_read(g_sota_dev.flash, off, bin, ESP_PARTITION_TABLE_SIZE);
    sota_dev_unlock();
    err = sota_dev_flash_err(nerr, "read", off, ESP_PARTITION_TABLE_SIZE);
    char why[160];
    if (err == ESP_OK &&
        pt_verify_like_bootloader(bin, ESP_PARTITION_TABLE_SIZE, (uint32_t)nor_size(g_sota_dev.flash), t, why,
                                  sizeof why) != 0) {
        ESP_LOGE(TAG, "partition table at 0x%x is invalid: %s (write one with `sota ptable`)", (unsigned)off, why);
        err = ESP_ERR_INVALID_STATE;
    }
#if CONFIG_PARTITION_TABLE_MD5
    /* The app, unlike the bootloader, requires the MD5 row right after the entries. */
    if (err == ESP_OK) {
        const uint8_t *row = bin + (size_t)t->count * PT_ENTRY_LEN;
        if (row[0] != 0xEB || row[1] != 0xEB) {
            ESP_LOGE(TAG, "No MD5 found in partition table at 0x%x", (unsigned)off);
            err = ESP_ERR_NOT_FOUND;
        }
    }
#endif
    if (err == ESP_OK) {
        for (unsigned i = 0; i < t->count && i < PT_MAX_ENTRIES; i++) {
            const pt_entry_t *e = &t->e[i];
            esp_partition_t *p = &g_sota_dev.parts[i];
            memset(p, 0, sizeof *p);
            p->flash_chip = NULL;
            p->type = (esp_partition_type_t)e->type;
            p->subtype = (esp_partition_subtype_t)e->subtype;
            p->address = e->offset;
            p->size = e->size;
            p->erase_size = ESP_PARTITION_SECTOR_SIZE;
            memcpy(p->label, e->label, sizeof p->label - 1);
            p->label[sizeof p->label - 1] = '\0';
            /* with flash encryption, app partitions are always encrypted, others when flagged */
            p->encrypted = g_sota_dev.flash_encryption &&
                           (p->type == ESP_PARTITION_TYPE_APP || (e->flags & PART_FLAG_ENCRYPTED) != 0);
            p->readonly = (e->flags & PART_FLAG_READONLY) != 0;
        }
        g_sota_dev.nparts = t->count;
        g_sota_dev.parts_loaded = true;
    }
    free(bin);
    free(t);
    return err;
}

esp_partition_iterator_t esp_partition_next(esp_partition_iterator_t it)
{
    if (it == NULL) {
        return NULL;
    }
    while (it->next < g_sota_dev.nparts) {
        const esp_partition_t *p = &g_sota_dev.parts[it->next++];
        if (it->type != ESP_PARTITION_TYPE_ANY && it->type != p->type) {
            continue;
        }
        if (it->subtype != ESP_PARTITION_SUBTYPE_ANY && it->subtype != p->subtype) {
            continue;
        }
        if (it->label != NULL && strcmp(it->label, p->label) != 0) {
            continue;
        }
        it->info = p;
        return it;
    }
    esp_partition_iterator_release(it);
    return NULL;
}

esp_partition_iterator_t esp_partition_find(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                            const char *label)
{
    if (sota_dev_load_partitions() != ESP_OK) {
        return NULL;
    }
    /* A subtype without a type is a usage error (ESP-IDF returns nothing too). */
    if (type == ESP_PARTITION_TYPE_ANY && subtype != ESP_PARTITION_SUBTYPE_ANY) {
        return NULL;
    }
    esp_partition_iterator_t it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    it->type = type;
    it->subtype = subtype;
    it->label = label;
    it->next = 0;
    return esp_partition_next(it);
}

const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label)
{
    esp_partition_iterator_t it = esp_partition_find(type, subtype, label);
    if (it == NULL) {
        return NULL;
    }
    const esp_partition_t *p = esp_partition_get(it);
    esp_partition_iterator_release(it);
    return p;
}

const esp_partition_t *esp_partition_get(esp_partition_iterator_t it)
{
    return it ? it->info : NULL;
}

void esp_partition_iterator_release(esp_partition_iterator_t it)
{
    free(it);
}

const esp_partition_t *esp_partition_verify(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return NULL;
    }
    const char *label = partition->label[0] ? partition->label : NULL;
    char label_copy[sizeof partition->label];
    if (label) {
        /* The caller's copy may lack the terminator: compare at most 16 characters. */
        memcpy(label_copy, partition->label, sizeof label_copy);
        label_copy[sizeof label_copy - 1] = '\0';
        label = label_copy;
    }
    for (esp_partition_iterator_t it = esp_partition_find(partition->type, partition->subtype, label); it;
         it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
        if (p->flash_chip == partition->flash_chip && p->address == partition->address &&
            p->size == partition->size && p->encrypted == partition->encrypted) {
            esp_partition_iterator_release(it);
            return p;
        }
    }
    return NULL;
}
