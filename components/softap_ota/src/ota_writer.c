/* The update session's access to the app slot, through ESP-IDF's public OTA and
 * partition APIs. The session decides what to erase (64 KiB blocks ahead of the writes,
 * skipping what reads as erased); this file only carries it out.
 *
 * With flash encryption on (esp_flash_encryption_enabled(), every app partition is
 * encrypted) the slot obeys two more rules, the same on every ESP-IDF release from 5.0:
 * esp_ota_write_with_offset refuses a size that is not a multiple of 16 (and the flash
 * driver an offset that is not 16-byte aligned), and reads are decrypted, so erased
 * flash reads as noise while a block written as 0xFF reads as 0xFF although it is
 * programmed. The writer then writes whole aligned 16-byte blocks only (the last
 * incomplete block waits in w->carry, padded with 0xFF at the end) and reports nothing
 * as erased, so the session erases everything it writes. */
#include <string.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_chip_info.h"
#include "esp_flash.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "ota_internal.h"
#include "sota_chip.h"
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
#include "hal/efuse_hal.h"
#endif
/* esp_flash_encryption_enabled is deprecated from 6.0.1 for the eFuse API's own */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 1)
#include "esp_efuse.h"
#define flash_encrypted() esp_efuse_is_flash_encryption_enabled()
#else
#include "esp_flash_encrypt.h"
#define flash_encrypted() esp_flash_encryption_enabled()
#endif

#define ENC_BLOCK 16u /* flash encryption's write unit */

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
    w->encrypted = flash_encrypted();
    w->carry_len = 0;
    w->tail_flushed = false;
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
    if (w->encrypted) {
        /* decrypted reads cannot tell erased flash from programmed 0xFF blocks */
        *erased = false;
        return 0;
    }
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

/* Encrypted slot: write [off, off+len) as whole 16-byte blocks; the session writes in
 * order from offset 0, so the carry always starts on a block boundary. */
static esp_err_t enc_write(ota_writer_t *w, uint32_t off, const uint8_t *p, size_t len)
{
    if (w->tail_flushed || (off - w->carry_len) % ENC_BLOCK != 0) {
        ESP_LOGE(TAG, "internal: encrypted write at 0x%x out of order", (unsigned)off);
        return ESP_ERR_INVALID_STATE;
    }
    if (w->carry_len) {
        size_t take = ENC_BLOCK - w->carry_len < len ? ENC_BLOCK - w->carry_len : len;
        memcpy(w->carry + w->carry_len, p, take);
        w->carry_len = (uint8_t)(w->carry_len + take);
        p += take;
        len -= take;
        off += (uint32_t)take;
        if (w->carry_len < ENC_BLOCK) {
            return ESP_OK;
        }
        esp_err_t err = esp_ota_write_with_offset(w->handle, w->carry, ENC_BLOCK, off - ENC_BLOCK);
        if (err != ESP_OK) {
            return err;
        }
        w->carry_len = 0;
    }
    size_t whole = len / ENC_BLOCK * ENC_BLOCK;
    if (whole) {
        esp_err_t err = esp_ota_write_with_offset(w->handle, p, whole, off);
        if (err != ESP_OK) {
            return err;
        }
    }
    w->carry_len = (uint8_t)(len - whole);
    memcpy(w->carry, p + whole, w->carry_len);
    return ESP_OK;
}

/* Encrypted slot, after the last write: the incomplete last block, padded with 0xFF
 * (the sector it lies in was erased for the bytes before the padding). */
static esp_err_t enc_flush(ota_writer_t *w, uint32_t end)
{
    if (!w->encrypted || w->tail_flushed) {
        return ESP_OK;
    }
    w->tail_flushed = true;
    if (!w->carry_len) {
        return ESP_OK;
    }
    memset(w->carry + w->carry_len, 0xFF, ENC_BLOCK - w->carry_len);
    esp_err_t err = esp_ota_write_with_offset(w->handle, w->carry, ENC_BLOCK, end - w->carry_len);
    w->carry_len = 0;
    return err;
}

static int w_write(void *ctx, uint32_t off, const void *data, size_t len)
{
    ota_writer_t *w = ctx;
    if (w->fs) {
        return esp_partition_write(w->part, off, data, len); /* a data partition */
    }
    if (w->encrypted) {
        int rc = enc_write(w, off, data, len);
        w->end = off + (uint32_t)len;
        return rc;
    }
    return esp_ota_write_with_offset(w->handle, data, len, off);
}

static int w_finish(void *ctx, char *msg, size_t msglen)
{
    ota_writer_t *w = ctx;
    if (w->fs) {
        /* the session read the bytes back and they matched: clear the record */
        esp_err_t ferr = ota_fs_end(w, true);
        if (ferr != ESP_OK) {
            snprintf(msg, msglen, "clearing the partition's record in NVS: %s", esp_err_to_name(ferr));
        }
        return ferr;
    }
    esp_err_t err = enc_flush(w, w->end);
    if (err != ESP_OK) {
        snprintf(msg, msglen, "writing the last bytes: %s", esp_err_to_name(err));
        return err; /* the session aborts the handle */
    }
    w->open = false;
    err = esp_ota_end(w->handle); /* verifies the image from flash */
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
    if (w->fs) {
        ota_fs_end(w, false); /* the record stays: the partition is incomplete */
        return;
    }
    if (w->open) {
        esp_ota_abort(w->handle);
        w->open = false;
    }
}

static int w_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    ota_writer_t *w = ctx;
    /* reads come after the last write (the signature check): the tail must be in flash */
    esp_err_t err = enc_flush(w, w->end);
    return err != ESP_OK ? err : esp_partition_read(w->part, off, buf, len);
}

const sota_update_ops_t ota_writer_ops = {
    .begin = w_begin,
    .is_erased = w_is_erased,
    .erase = w_erase,
    .write = w_write,
    .finish = w_finish,
    .abort = w_abort,
    .read = w_read,
    .fs_begin = ota_fs_begin,
    .fs_digest = ota_fs_digest,
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
    /* What the bootloader checks an app against: the eFuse block revision (checked from
     * ESP-IDF 5.4, whose app description carries the range; older releases check none)
     * and the flash size the app runs with. */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
    cfg->img.efuse_blk_rev = (uint16_t)efuse_hal_blk_version();
#else
    cfg->img.no_efuse_blk_check = true;
#endif
    uint32_t flash_size = 0;
    if (esp_flash_get_size(NULL, &flash_size) == ESP_OK) {
        cfg->img.flash_size = flash_size;
    }
    cfg->img.slot_size = (uint32_t)w->part->size;
    cfg->img.slot_offset = (uint32_t)w->part->address;
    cfg->policy = c->policy;
    cfg->n_trusted_keys = ota_sig_trusted(cfg->trusted_keys, SOTA_SIG_MAX_KEYS, NULL);
    if (c->policy.refuse_failed_version &&
        ota_store_load_failed(w->failed_project, sizeof w->failed_project, w->failed_version,
                              sizeof w->failed_version)) {
        cfg->failed_project = w->failed_project;
        cfg->failed_version = w->failed_version;
    }
    cfg->running_project = desc->project_name;
    cfg->running_version = desc->version;
    cfg->running_secure_version = desc->secure_version;
    w->n_parts = ota_fs_list(w->parts, SOTA_FS_MAX_PARTS);
    cfg->parts = w->parts;
    cfg->n_parts = w->n_parts;
    return ESP_OK;
}
