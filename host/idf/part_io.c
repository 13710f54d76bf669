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

bool esp_efuse_is_flash_encryption_enabled(void)
{
    return g_sota_dev.flash_encryption;
}

esp_flash_t *esp_flash_default_chip;

esp_err_t esp_flash_get_size(esp_flash_t *chip, uint32_t *out_size)
{
    if (out_size == NULL || (chip != NULL && chip != esp_flash_default_chip)) {
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

esp_err_t esp_partition_read_raw(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
    return esp_partition_read(partition, src_offset, dst, size);
}

esp_err_t esp_partition_write_raw(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size)
{
    return esp_partition_write(partition, dst_offset, src, size);
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

esp_err_t esp_partition_mmap(const esp_partition_t *partition, size_t offset, size_t size,
                             esp_partition_mmap_flag_t flags, const void **out_ptr,
                             esp_partition_mmap_handle_t *out_handle)
{
    (void)flags;
    if (partition == NULL || out_ptr == NULL || out_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = check_range(partition, offset, size);
    if (err == ESP_OK) {
        err = sota_dev_need_flash();
    }
    if (err != ESP_OK) {
        return err;
    }
    if ((uint64_t)partition->address + offset + size > nor_size(g_sota_dev.flash)) {
        return ESP_ERR_INVALID_SIZE;
    }
    *out_ptr = nor_map(g_sota_dev.flash) + partition->address + offset;
    *out_handle = 1;
    return ESP_OK;
}

void esp_partition_munmap(esp_partition_mmap_handle_t handle)
{
    (void)handle;
}

uint32_t esp_partition_get_main_flash_sector_size(void)
{
    return ESP_PARTITION_SECTOR_SIZE;
}

#define SHA_CHUNK 4096u

/* SHA-256 of [start, start + len) of the partition. */
static esp_err_t sha256_range(const esp_partition_t *p, uint32_t start, uint32_t len, uint8_t out[32])
{
    uint8_t *buf = malloc(SHA_CHUNK);
    if (buf == NULL) {
        return ESP_ERR_NO_MEM;
    }
    sota_sha256_t ctx;
    esp_err_t err = sota_sha256_start(&ctx) == 0 ? ESP_OK : ESP_FAIL;
    for (uint32_t done = 0; err == ESP_OK && done < len;) {
        uint32_t n = len - done < SHA_CHUNK ? len - done : SHA_CHUNK;
        err = esp_partition_read(p, start + done, buf, n);
        if (err == ESP_OK && sota_sha256_update(&ctx, buf, n) != 0) {
            err = ESP_FAIL;
        }
        done += n;
    }
    if (err == ESP_OK) {
        err = sota_sha256_finish(&ctx, out) == 0 ? ESP_OK : ESP_FAIL;
    } else {
        sota_sha256_free(&ctx);
    }
    free(buf);
    return err;
}

/* The length of the app image at the start of p as esp_image_get_metadata finds it
 * (header, segments, checksum block, appended hash), without checking chip, checksum or
 * hash. Returns ESP_OK, ESP_ERR_IMAGE_INVALID, or a read error. */
static esp_err_t image_length(const esp_partition_t *p, uint32_t *len, bool *hash_appended)
{
    esp_image_header_t hdr;
    esp_err_t err = esp_partition_read(p, 0, &hdr, sizeof hdr);
    if (err != ESP_OK) {
        return err == ESP_ERR_INVALID_SIZE ? ESP_ERR_IMAGE_INVALID : err;
    }
    if (hdr.magic != ESP_IMAGE_HEADER_MAGIC || hdr.segment_count > ESP_IMAGE_MAX_SEGMENTS) {
        return ESP_ERR_IMAGE_INVALID;
    }
    uint64_t pos = sizeof hdr;
    for (unsigned i = 0; i < hdr.segment_count; i++) {
        esp_image_segment_header_t seg;
        if (pos + sizeof seg > p->size) {
            return ESP_ERR_IMAGE_INVALID;
        }
        err = esp_partition_read(p, (size_t)pos, &seg, sizeof seg);
        if (err != ESP_OK) {
            return err;
        }
        pos += sizeof seg + (uint64_t)seg.data_len;
    }
    pos = (pos + 16) & ~(uint64_t)15; /* checksum byte ends a 16-byte block */
    if (hdr.hash_appended) {
        pos += 32;
    }
    if (pos > p->size) {
        return ESP_ERR_IMAGE_INVALID;
    }
    *len = (uint32_t)pos;
    *hash_appended = hdr.hash_appended != 0;
    return ESP_OK;
}

esp_err_t esp_partition_get_sha256(const esp_partition_t *partition, uint8_t *sha_256)
{
    if (partition == NULL || sha_256 == NULL || partition->size == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    uint32_t len = partition->size;
    if (partition->type == ESP_PARTITION_TYPE_APP || partition->type == ESP_PARTITION_TYPE_BOOTLOADER) {
        bool hashed = false;
        esp_err_t err = image_length(partition, &len, &hashed);
        if (err != ESP_OK) {
            return err;
        }
        if (hashed) {
            uint8_t stored[32], calc[32];
            err = esp_partition_read(partition, len - 32, stored, sizeof stored);
            if (err == ESP_OK) {
                err = sha256_range(partition, 0, len - 32, calc);
            }
            if (err != ESP_OK) {
                return err;
            }
            if (memcmp(stored, calc, sizeof calc) != 0) {
                return ESP_ERR_IMAGE_INVALID;
            }
            memcpy(sha_256, stored, sizeof stored);
            return ESP_OK;
        }
    }
    return sha256_range(partition, 0, len, sha_256);
}

bool esp_partition_check_identity(const esp_partition_t *partition_1, const esp_partition_t *partition_2)
{
    uint8_t a[32], b[32];
    return esp_partition_get_sha256(partition_1, a) == ESP_OK && esp_partition_get_sha256(partition_2, b) == ESP_OK &&
           memcmp(a, b, sizeof a) == 0;
}
