/* esp_partition: read, write, erase, mmap and SHA-256 on the simulated flash, with
 * flash encryption modelled as the application sees it. */
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "esp_app_format.h"
#include "esp_efuse.h"
#include "esp_flash.h"
#include "esp_flash_encrypt.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "sota_sha256.h"

static const char *TAG = "partition";

/* --- flash encryption ----------------------------------------------------------------
 * The flash file keeps plain text (the bootloader simulator and `sota flash info` read
 * it as a device's bootloader sees it, decrypted). What an app sees of an encrypted
 * partition is modelled on top: writes must be whole 16-byte blocks at 16-byte aligned
 * offsets (esp_flash_write_encrypted), a block must be erased before it is written
 * (even with 0xFF: its cipher text is not), and a block that was erased and not written
 * since reads as noise, since the device decrypts the 0xFF of erased flash. */
#define ENC_BLOCK 16u

static size_t enc_map_len(void)
{
    return nor_size(g_sota_dev.flash) / ENC_BLOCK / 8;
}

esp_err_t sota_dev_enc_attach(void)
{
    free(g_sota_dev.enc_written);
    g_sota_dev.enc_written = NULL;
    if (!g_sota_dev.flash_encryption) {
        return ESP_OK;
    }
    g_sota_dev.enc_written = calloc(1, enc_map_len());
    if (!g_sota_dev.enc_written) {
        return ESP_ERR_NO_MEM;
    }
    const uint8_t *raw = nor_map(g_sota_dev.flash);
    for (size_t b = 0; b < enc_map_len() * 8; b++) {
        for (size_t i = 0; i < ENC_BLOCK; i++) {
            if (raw[b * ENC_BLOCK + i] != 0xFF) {
                g_sota_dev.enc_written[b / 8] |= (uint8_t)(1u << (b % 8));
                break;
            }
        }
    }
    return ESP_OK;
}

void sota_dev_enc_detach(void)
{
    free(g_sota_dev.enc_written);
    g_sota_dev.enc_written = NULL;
}

static bool enc_on(const esp_partition_t *p)
{
    return p->encrypted && g_sota_dev.enc_written;
}

static bool enc_is_written(uint32_t block)
{
    return (g_sota_dev.enc_written[block / 8] >> (block % 8)) & 1u;
}

static void enc_mark(uint32_t addr, size_t len, bool written)
{
    for (uint32_t b = addr / ENC_BLOCK; b < (addr + len) / ENC_BLOCK; b++) {
        if (written) {
            g_sota_dev.enc_written[b / 8] |= (uint8_t)(1u << (b % 8));
        } else {
            g_sota_dev.enc_written[b / 8] &= (uint8_t)~(1u << (b % 8));
        }
    }
}

/* Erased blocks in [addr, addr+len) of what was read become the noise a device reads
 * there: a function of the address, never sixteen 0xFF bytes. */
static void enc_noise(uint32_t addr, uint8_t *dst, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t a = addr + (uint32_t)i;
        uint32_t block = a / ENC_BLOCK;
        size_t n = ENC_BLOCK - a % ENC_BLOCK;
        if (n > len - i) {
            n = len - i;
        }
        if (!enc_is_written(block)) {
            for (size_t k = 0; k < n; k++) {
                uint32_t x = (a + (uint32_t)k) * 2654435761u;
                dst[i + k] = (uint8_t)((x >> 24) ^ (x >> 11) ^ 0x5A);
            }
        }
        i += n;
    }
}

bool esp_flash_encryption_enabled(void)
{
    return g_sota_dev.flash_encryption;
}

esp_err_t esp_flash_get_size(esp_flash_t *chip, uint32_t *out_size)
{
    if (out_size == NULL || chip != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = sota_dev_need_flash();
    if (err == ESP_OK) {
        *out_size = (uint32_t)nor_size(g_sota_dev.flash);
    }
    return err;
}

/* Bounds check shared by read/write/mmap: offset inside (or at the end of) the
 * partition, then the length. */
static esp_err_t check_range(const esp_partition_t *p, size_t offset, size_t size)
{
    if (offset > p->size) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size > p->size - offset) {
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
    if (partition == NULL || dst == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = check_range(partition, src_offset, size);
    if (err == ESP_OK) {
        err = sota_dev_need_flash();
    }
    if (err != ESP_OK || size == 0) {
        return err;
    }
    uint32_t addr = partition->address + (uint32_t)src_offset;
    sota_dev_lock();
    nor_err_t nerr = nor_read(g_sota_dev.flash, addr, dst, size);
    if (nerr == NOR_OK && enc_on(partition)) {
        enc_noise(addr, dst, size);
    }
    sota_dev_unlock();
    return sota_dev_flash_err(nerr, "read", addr, size);
}

esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size)
{
    if (partition == NULL || src == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    esp_err_t err = check_range(partition, dst_offset, size);
    if (err == ESP_OK) {
        err = sota_dev_need_flash();
    }
    if (err != ESP_OK || size == 0) {
        return err;
    }
    uint32_t addr = partition->address + (uint32_t)dst_offset;
    if (enc_on(partition) && (dst_offset % ENC_BLOCK || size % ENC_BLOCK)) {
        ESP_LOGE(TAG, "flash encryption: write of %zu bytes at offset 0x%zx of '%s' refused: encrypted "
                 "writes take whole 16-byte blocks at 16-byte aligned offsets", size, dst_offset,
                 partition->label);
        return ESP_ERR_INVALID_ARG;
    }
    sota_dev_lock();
    nor_err_t nerr = NOR_OK;
    if (enc_on(partition)) {
        for (uint32_t b = addr / ENC_BLOCK; b < (addr + size) / ENC_BLOCK; b++) {
            if (enc_is_written(b)) {
                nerr = NOR_ERR_NOT_ERASED;
                break;
            }
        }
    }
    if (nerr == NOR_OK) {
        nerr = nor_program(g_sota_dev.flash, addr, src, size);
    }
    if (nerr == NOR_OK && enc_on(partition)) {
        enc_mark(addr, size, true);
    }
    sota_dev_unlock();
    if (nerr == NOR_ERR_NOT_ERASED) {
        ESP_LOGE(TAG, "write to '%s' at offset 0x%zx over bytes that were not erased: erase the range first",
                 partition->label, dst_offset);
    }
    return sota_dev_flash_err(nerr, "write", addr, size);
}

esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    if (offset > partition->size) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size > partition->size - offset) {
        return ESP_ERR_INVALID_SIZE;
    }
    if (size % ESP_PARTITION_SECTOR_SIZE != 0) {
        return ESP_ERR_INVALID_SIZE;
    }
    if (offset % ESP_PARTITION_SECTOR_SIZE != 0) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = sota_dev_need_flash();
    if (err != ESP_OK || size == 0) {
        return err;
    }
    uint32_t addr = partition->address + (uint32_t)offset;
    sota_dev_lock();
    nor_err_t nerr = nor_erase_range(g_sota_dev.flash, addr, size);
    if (nerr == NOR_OK && g_sota_dev.enc_written) {
        enc_mark(addr, size, false);
    }
    sota_dev_unlock();
    return sota_dev_flash_err(nerr, "erase", addr, size);
}

#define SHA_CHUNK 4096u
