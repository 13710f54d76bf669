/* The update session's access to the app slot, through ESP-IDF's public OTA and
 * partition APIs. The session decides what to erase (64 KiB blocks ahead of the writes,
 * skipping what reads as erased); this file only carries it out. */
#include <string.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_chip_info.h"
#include "esp_log.h"
#include "ota_internal.h"
#include "sota_chip.h"

static const char *TAG = "softap_ota";

static int w_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased);

static int w_begin(void *ctx)
{
    ota_writer_t *w = ctx;
    /* esp_ota_begin erases ALIGN_UP(image_size, 4 KiB) from the start of the slot
     * (OTA_SIZE_UNKNOWN would erase the whole slot, OTA_WITH_SEQUENTIAL_WRITES would
     * erase sector by sector behind esp_ota_write and forbid write_with_offset). Ask it
     * for what the first 64 KiB block needs anyway: the whole block (one block erase)
     * when an older image is there, one sector (the least it erases) when the block is
     * blank. The session then erases the rest ahead of the writes, skipping what reads
     * as erased, this included. */
    uint32_t first = w->part->size < SOTA_UPDATE_BLOCK ? (uint32_t)w->part->size : SOTA_UPDATE_BLOCK;
    bool blank = false;
    int rc = w_is_erased(w, 0, first, &blank);
    if (rc) {
        return rc;
    }
    esp_err_t err = esp_ota_begin(w->part, blank ? SOTA_UPDATE_SECTOR : first, &w->handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_begin(%s) failed: %s", w->part->label, esp_err_to_name(err));
        return err;
    }
    w->open = true;
    return 0;
}

static int w_is_erased(void *ctx, uint32_t off, uint32_t len, bool *erased)
{
    ota_writer_t *w = ctx;
    uint32_t buf[64];
    *erased = true;
    for (uint32_t pos = 0; pos < len; pos += sizeof buf) {
        uint32_t n = len - pos < sizeof buf ? len - pos : (uint32_t)sizeof buf;
        esp_err_t err = esp_partition_read(w->part, off + pos, buf, n);
        if (err != ESP_OK) {
            return err;
        }
        for (uint32_t i = 0; i < n / 4; i++) {
            if (buf[i] != 0xFFFFFFFFu) {
                *erased = false;
                return 0;
            }
        }
    }
    return 0;
}

static int w_erase(void *ctx, uint32_t off, uint32_t len)
{
    ota_writer_t *w = ctx;
    return esp_partition_erase_range(w->part, off, len);
}

static int w_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    ota_writer_t *w = ctx;
    return esp_ota_write_with_offset(w->handle, data, len, off);
}

static int w_finish(void *ctx, char *msg, size_t msglen)
{
    ota_writer_t *w = ctx;
    w->open = false;
    esp_err_t err = esp_ota_end(w->handle); /* verifies the image from flash */
    if (err != ESP_OK) {
        snprintf(msg, msglen, "esp_ota_end: %s", esp_err_to_name(err));
        return err;
    }
    err = esp_ota_set_boot_partition(w->part);
    if (err != ESP_OK) {
        snprintf(msg, msglen, "esp_ota_set_boot_partition: %s", esp_err_to_name(err));
        return err;
    }
    return 0;
}

static void w_abort(void *ctx)
{
    ota_writer_t *w = ctx;
    if (w->open) {
        esp_ota_abort(w->handle);
        w->open = false;
    }
}

static int w_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    ota_writer_t *w = ctx;
    return esp_partition_read(w->part, off, buf, len);
}

const sota_update_ops_t ota_writer_ops = {
    .begin = w_begin,
    .is_erased = w_is_erased,
    .erase = w_erase,
    .write = w_write,
    .finish = w_finish,
    .abort = w_abort,
    .read = w_read,
};

esp_err_t ota_writer_target(ota_writer_t *w, const softap_ota_config_t *c, sota_update_cfg_t *cfg)
{
    memset(w, 0, sizeof *w);
    w->part = esp_ota_get_next_update_partition(NULL);
    if (!w->part) {
        ESP_LOGE(TAG, "no OTA app slot to write: the partition table needs ota_0 and ota_1");
        return ESP_ERR_NOT_FOUND;
    }
    /* The chip the running firmware was built for is the chip we run on: take its id
     * from the running image's header rather than a build-time constant. */
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_image_header_t hdr;
    esp_err_t err = esp_partition_read(running, 0, &hdr, sizeof hdr);
    if (err != ESP_OK) {
        return err;
    }
    const sota_chip_t *chip = sota_chip_by_id((uint16_t)hdr.chip_id);
    if (!chip) {
        ESP_LOGE(TAG, "running on chip id %d, which this updater does not know", (int)hdr.chip_id);
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_chip_info_t info;
    esp_chip_info(&info);
    const esp_app_desc_t *desc = esp_app_get_description();

    memset(cfg, 0, sizeof *cfg);
    cfg->img.chip = chip;
    cfg->img.chip_rev = info.revision;
    cfg->img.slot_size = (uint32_t)w->part->size;
    cfg->img.slot_offset = (uint32_t)w->part->address;
    cfg->policy.require_app_desc = c->require_app_desc;
    cfg->policy.require_sha256 = c->require_sha256;
    cfg->policy.require_same_project = c->require_same_project;
    cfg->policy.refuse_downgrade = c->refuse_downgrade;
    cfg->policy.refuse_lower_secure_version = c->refuse_lower_secure_version;
    cfg->policy.refuse_failed_version = c->refuse_failed_version;
    cfg->policy.require_signed = c->require_signed;
    cfg->n_trusted_keys = ota_sig_trusted(cfg->trusted_keys, SOTA_SIG_MAX_KEYS, NULL);
    if (c->refuse_failed_version &&
        ota_store_load_failed(w->failed_project, sizeof w->failed_project, w->failed_version,
                              sizeof w->failed_version)) {
        cfg->failed_project = w->failed_project;
        cfg->failed_version = w->failed_version;
    }
    cfg->running_project = desc->project_name;
    cfg->running_version = desc->version;
    cfg->running_secure_version = desc->secure_version;
    return ESP_OK;
}
