/* esp_ota_ops: writing an update (begin, write_with_offset, end, abort). ESP-IDF's
 * esp_ota_write is not in the host port: the product writes with offsets. */
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "esp_flash_encrypt.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "ptable.h"
#include "sota_host_idf.h"
#include "sota_sig.h"

static const char *TAG = "esp_ota_ops";

typedef struct ota_entry {
    esp_ota_handle_t handle;
    const esp_partition_t *part;
    bool need_erase;          /* OTA_WITH_SEQUENTIAL_WRITES: nothing erased by begin */
    uint32_t wrote_size;
    struct ota_entry *next;
} ota_entry_t;

static ota_entry_t *s_entries;
static esp_ota_handle_t s_last_handle;

static ota_entry_t *find_entry(esp_ota_handle_t handle)
{
    for (ota_entry_t *e = s_entries; e; e = e->next) {
        if (e->handle == handle) {
            return e;
        }
    }
    return NULL;
}

static void remove_entry(ota_entry_t *victim)
{
    for (ota_entry_t **pp = &s_entries; *pp; pp = &(*pp)->next) {
        if (*pp == victim) {
            *pp = victim->next;
            free(victim);
            return;
        }
    }
}

void sota_dev_ota_drop_all(void)
{
    while (s_entries) {
        remove_entry(s_entries);
    }
}

static bool is_ota_slot(const esp_partition_t *p)
{
    return p != NULL && p->type == ESP_PARTITION_TYPE_APP && p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_0 &&
           p->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX;
}

static bool in_progress(const esp_partition_t *p)
{
    for (ota_entry_t *e = s_entries; e; e = e->next) {
        if (e->part == p) {
            return true;
        }
    }
    return false;
}

esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle)
{
    if (partition == NULL || out_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    partition = esp_partition_verify(partition);
    if (partition == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    if (partition->type == ESP_PARTITION_TYPE_APP) {
        if (!is_ota_slot(partition)) {
            ESP_LOGE(TAG, "'%s' is not an OTA app slot: updates go to ota_0..ota_15", partition->label);
            return ESP_ERR_INVALID_ARG;
        }
        const esp_partition_t *running = esp_ota_get_running_partition();
        if (partition == running) {
            ESP_LOGE(TAG, "'%s' holds the running app: write the update to another slot", partition->label);
            return ESP_ERR_OTA_PARTITION_CONFLICT;
        }
        if (g_sota_dev.rollback_enabled) {
            esp_ota_img_states_t st;
            if (esp_ota_get_state_partition(running, &st) == ESP_OK && st == ESP_OTA_IMG_PENDING_VERIFY) {
                ESP_LOGE(TAG, "Running app has not confirmed state (ESP_OTA_IMG_PENDING_VERIFY): "
                              "call esp_ota_mark_app_valid_cancel_rollback() first");
                return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
            }
        }
    }
    if (in_progress(partition)) {
        ESP_LOGE(TAG, "OTA operation already in progress on partition %s", partition->label);
        return ESP_ERR_OTA_ALREADY_IN_PROGRESS;
    }

    if (image_size != OTA_WITH_SEQUENTIAL_WRITES) {
        size_t erase_size;
        if (image_size == 0 || image_size == OTA_SIZE_UNKNOWN) {
            erase_size = partition->size;
        } else {
            size_t a = partition->erase_size;
            erase_size = (image_size + a - 1) / a * a;
        }
        esp_err_t err = esp_partition_erase_range(partition, 0, erase_size);
        if (err != ESP_OK) {
            if (err == ESP_ERR_INVALID_SIZE) {
                ESP_LOGE(TAG, "image of %zu bytes does not fit in '%s' (%u bytes)", image_size, partition->label,
                         (unsigned)partition->size);
            }
            return err;
        }
    }

    ota_entry_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return ESP_ERR_NO_MEM;
    }
    e->handle = ++s_last_handle;
    e->part = partition;
    e->need_erase = image_size == OTA_WITH_SEQUENTIAL_WRITES;
    e->next = s_entries;
    s_entries = e;
    *out_handle = e->handle;

    if (g_sota_dev.rollback_enabled && is_ota_slot(partition) && sota_host_idf_ota_begin_invalidates_inactive()) {
        esp_ota_invalidate_inactive_ota_data_slot();
    }
    return ESP_OK;
}

esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size, uint32_t offset)
{
    if (data == NULL) {
        ESP_LOGE(TAG, "write data is invalid");
        return ESP_ERR_INVALID_ARG;
    }
    ota_entry_t *e = find_entry(handle);
    if (e == NULL) {
        ESP_LOGE(TAG, "OTA handle not found");
        return ESP_ERR_INVALID_ARG;
    }
    if (e->need_erase) {
        /* ESP-IDF asserts here: nothing erased the region for an out-of-order write. */
        ESP_LOGE(TAG, "esp_ota_write_with_offset on a handle opened with OTA_WITH_SEQUENTIAL_WRITES: "
                      "the partition was not erased; open it with the image size or OTA_SIZE_UNKNOWN");
        return ESP_ERR_INVALID_STATE;
    }
    if (esp_flash_encryption_enabled() && size % 16) {
        ESP_LOGE(TAG, "Size should be 16byte aligned for flash encryption case");
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = esp_partition_write(e->part, offset, data, size);
    if (err == ESP_OK) {
        e->wrote_size += (uint32_t)size;
    }
    return err;
}

/* The partition-table check of an update written to a partition-table partition. */
static esp_err_t verify_ptable(const esp_partition_t *p)
{
    uint8_t *bin = malloc(PT_MAX_LEN);
    ptable_t *t = malloc(sizeof *t);
    esp_err_t err = (bin && t) ? esp_partition_read(p, 0, bin, PT_MAX_LEN) : ESP_ERR_NO_MEM;
    char why[160];
    if (err == ESP_OK && pt_verify_like_bootloader(bin, PT_MAX_LEN, (uint32_t)nor_size(g_sota_dev.flash), t, why,
                                                   sizeof why) != 0) {
        ESP_LOGE(TAG, "new partition table is invalid: %s", why);
        err = ESP_ERR_OTA_VALIDATE_FAILED;
    }
    free(bin);
    free(t);
    return err == ESP_OK ? ESP_OK : ESP_ERR_OTA_VALIDATE_FAILED;
}

static int sig_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    return esp_partition_read(ctx, offset, buf, len) == ESP_OK ? 0 : -1;
}

/* Secure Boot V2: the signature sector after the image (padded to 4 KiB) must hold a
 * block signed by the eFuse key, verified over the padded image as ESP-IDF does. */
static esp_err_t verify_signature(const esp_partition_t *p, uint32_t image_len)
{
    sota_sig_key_t key;
    memcpy(key.d, g_sota_dev.sb_key_digest, sizeof key.d);
    sota_sig_result_t *res = malloc(sizeof *res);
    if (res == NULL) {
        return ESP_ERR_NO_MEM;
    }
    uint32_t signed_len = sota_sig_signed_len(image_len);
    sota_sig_err_t e;
    if ((uint64_t)signed_len + SOTA_SIG_SECTOR_LEN > p->size) {
        e = SOTA_SIG_ERR_UNSIGNED;
        snprintf(res->msg, sizeof res->msg, "no signature sector: the image fills the partition");
    } else {
        e = sota_sig_verify_from(sig_read, (void *)p, signed_len, &key, 1, res);
    }
    esp_err_t err = ESP_OK;
    if (e != SOTA_SIG_OK) {
        ESP_LOGE(TAG, "Secure Boot V2 verification failed (%s): %s", sota_sig_err_code(e), res->msg);
        snprintf(g_sota_dev.verify_msg, sizeof g_sota_dev.verify_msg, "signature: %.180s", res->msg);
        err = ESP_ERR_OTA_VALIDATE_FAILED;
    }
    free(res);
    return err;
}

esp_err_t esp_ota_end(esp_ota_handle_t handle)
{
    ota_entry_t *e = find_entry(handle);
    if (e == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    esp_err_t err = ESP_OK;
    const esp_partition_t *p = e->part;
    if (e->wrote_size == 0) {
        ESP_LOGE(TAG, "esp_ota_end: nothing was written to '%s'", p->label);
        err = ESP_ERR_INVALID_ARG;
    } else if (p->type == ESP_PARTITION_TYPE_APP || p->type == ESP_PARTITION_TYPE_BOOTLOADER) {
        uint32_t image_len = 0;
        if (sota_dev_verify_image_len(p, false, &image_len) != SOTA_IMG_OK) {
            ESP_LOGE(TAG, "New image failed verification");
            err = ESP_ERR_OTA_VALIDATE_FAILED;
        } else if (p->type == ESP_PARTITION_TYPE_APP && g_sota_dev.secure_boot) {
            err = verify_signature(p, image_len);
        }
    } else if (p->type == ESP_PARTITION_TYPE_PARTITION_TABLE) {
        err = verify_ptable(p);
    }
    remove_entry(e);
    return err;
}

esp_err_t esp_ota_abort(esp_ota_handle_t handle)
{
    ota_entry_t *e = find_entry(handle);
    if (e == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    remove_entry(e);
    return ESP_OK;
}
