/* Host port of ESP-IDF's esp_partition.h (components/esp_partition): the partitions of
 * the simulated device's flash, with the same types, values and calls as ESP-IDF.
 *
 * The partition list is the partition table of the flash attached with sota_host_boot()
 * or sota_host_attach() (sota_host.h), read once at CONFIG_PARTITION_TABLE_OFFSET (or the
 * configured offset). Reads, writes and erases go to the NOR flash emulator
 * (host/flash/nor_flash.h) with the rules of real NOR flash:
 *   - a write may only clear bits: writing over bytes that are not erased fails with
 *     ESP_ERR_FLASH_OP_FAIL and changes nothing (ESP-IDF's CONFIG_ESP_PARTITION_ERASE_CHECK);
 *   - erases are whole 4 KiB sectors; aligned 64 KiB blocks inside the range use one
 *     block erase, as esp_flash_erase_region does;
 *   - a failure of the flash itself (power cut injected by a test, ...) is
 *     ESP_ERR_FLASH_OP_FAIL, and the reason is logged.
 * Flash encryption is off on the simulated device: `encrypted` is always false, as on
 * ESP-IDF's linux target, and `flash_chip` is NULL (the main flash).
 *
 * Not thread-safe: the simulated device serialises flash access like the real flash
 * driver does. */
#ifndef ESP_PARTITION_H
#define ESP_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

/* Image verification errors (esp_ota_end, esp_ota_set_boot_partition).
 * (ESP-IDF declares these in esp_image_format.h.) */
#ifndef ESP_ERR_IMAGE_BASE
#define ESP_ERR_IMAGE_BASE       0x2000
#define ESP_ERR_IMAGE_FLASH_FAIL (ESP_ERR_IMAGE_BASE + 1)
#define ESP_ERR_IMAGE_INVALID    (ESP_ERR_IMAGE_BASE + 2)
#endif
#ifndef ESP_ERR_FLASH_OP_FAIL
#define ESP_ERR_FLASH_OP_FAIL    (ESP_ERR_FLASH_BASE + 1)
#define ESP_ERR_FLASH_OP_TIMEOUT (ESP_ERR_FLASH_BASE + 2)
#endif

/* Size of one erase unit of the emulated flash (SPI_FLASH_SEC_SIZE). */
#define ESP_PARTITION_SECTOR_SIZE 0x1000

typedef struct esp_flash_t esp_flash_t;

typedef enum {
    ESP_PARTITION_MMAP_DATA = 0,
    ESP_PARTITION_MMAP_INST = 1,
    ESP_PARTITION_MMAP_BLOCKS_WRITE = 2,
} esp_partition_mmap_flag_t;

typedef uint32_t esp_partition_mmap_handle_t;

typedef enum {
    ESP_PARTITION_TYPE_APP = 0x00,
    ESP_PARTITION_TYPE_DATA = 0x01,
    ESP_PARTITION_TYPE_BOOTLOADER = 0x02,
    ESP_PARTITION_TYPE_PARTITION_TABLE = 0x03,
    ESP_PARTITION_TYPE_ANY = 0xff,
} esp_partition_type_t;

typedef enum {
    ESP_PARTITION_SUBTYPE_BOOTLOADER_PRIMARY = 0x00,
    ESP_PARTITION_SUBTYPE_BOOTLOADER_OTA = 0x01,
    ESP_PARTITION_SUBTYPE_BOOTLOADER_RECOVERY = 0x02,

    ESP_PARTITION_SUBTYPE_PARTITION_TABLE_PRIMARY = 0x00,
    ESP_PARTITION_SUBTYPE_PARTITION_TABLE_OTA = 0x01,

    ESP_PARTITION_SUBTYPE_APP_FACTORY = 0x00,
    ESP_PARTITION_SUBTYPE_APP_OTA_MIN = 0x10,
    ESP_PARTITION_SUBTYPE_APP_OTA_0 = 0x10,
    ESP_PARTITION_SUBTYPE_APP_OTA_1 = 0x11,
    ESP_PARTITION_SUBTYPE_APP_OTA_2 = 0x12,
    ESP_PARTITION_SUBTYPE_APP_OTA_3 = 0x13,
    ESP_PARTITION_SUBTYPE_APP_OTA_4 = 0x14,
    ESP_PARTITION_SUBTYPE_APP_OTA_5 = 0x15,
    ESP_PARTITION_SUBTYPE_APP_OTA_6 = 0x16,
    ESP_PARTITION_SUBTYPE_APP_OTA_7 = 0x17,
    ESP_PARTITION_SUBTYPE_APP_OTA_8 = 0x18,
    ESP_PARTITION_SUBTYPE_APP_OTA_9 = 0x19,
    ESP_PARTITION_SUBTYPE_APP_OTA_10 = 0x1a,
    ESP_PARTITION_SUBTYPE_APP_OTA_11 = 0x1b,
    ESP_PARTITION_SUBTYPE_APP_OTA_12 = 0x1c,
    ESP_PARTITION_SUBTYPE_APP_OTA_13 = 0x1d,
    ESP_PARTITION_SUBTYPE_APP_OTA_14 = 0x1e,
    ESP_PARTITION_SUBTYPE_APP_OTA_15 = 0x1f,
    ESP_PARTITION_SUBTYPE_APP_OTA_MAX = 0x20,   /* one past the last OTA subtype */
    ESP_PARTITION_SUBTYPE_APP_TEST = 0x20,

    ESP_PARTITION_SUBTYPE_APP_TEE_MIN = 0x30,
    ESP_PARTITION_SUBTYPE_APP_TEE_0 = 0x30,
    ESP_PARTITION_SUBTYPE_APP_TEE_1 = 0x31,
    ESP_PARTITION_SUBTYPE_APP_TEE_MAX = 0x31,

    ESP_PARTITION_SUBTYPE_DATA_OTA = 0x00,
    ESP_PARTITION_SUBTYPE_DATA_PHY = 0x01,
    ESP_PARTITION_SUBTYPE_DATA_NVS = 0x02,
    ESP_PARTITION_SUBTYPE_DATA_COREDUMP = 0x03,
    ESP_PARTITION_SUBTYPE_DATA_NVS_KEYS = 0x04,
    ESP_PARTITION_SUBTYPE_DATA_EFUSE_EM = 0x05,
    ESP_PARTITION_SUBTYPE_DATA_UNDEFINED = 0x06,
    ESP_PARTITION_SUBTYPE_DATA_ESPHTTPD = 0x80,
    ESP_PARTITION_SUBTYPE_DATA_FAT = 0x81,
    ESP_PARTITION_SUBTYPE_DATA_SPIFFS = 0x82,
    ESP_PARTITION_SUBTYPE_DATA_LITTLEFS = 0x83,
    ESP_PARTITION_SUBTYPE_DATA_TEE_OTA = 0x90,

    ESP_PARTITION_SUBTYPE_ANY = 0xff,
} esp_partition_subtype_t;

/* Subtype of OTA slot i (0..15; i is taken mod 16). */
#define ESP_PARTITION_SUBTYPE_OTA(i) \
    ((esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_MIN + ((i) & 0xf)))

typedef struct esp_partition_iterator_opaque_ *esp_partition_iterator_t;

/* A partition as this API describes it (not the on-flash row: esp_partition_info_t). */
typedef struct {
    esp_flash_t *flash_chip;          /* NULL: the main (simulated) flash */
    esp_partition_type_t type;
    esp_partition_subtype_t subtype;
    uint32_t address;                 /* absolute flash offset of the first byte */
    uint32_t size;                    /* bytes */
    uint32_t erase_size;              /* erase alignment: 0x1000 */
    char label[17];                   /* NUL-terminated */
    bool encrypted;                   /* flash encryption on (sota_host_config_t) and an app
                                         partition or flagged "encrypted" */
    bool readonly;                    /* table flag "readonly": writes/erases refused */
} esp_partition_t;

/* Start iterating over the partitions matching type, subtype (ESP_PARTITION_SUBTYPE_ANY:
 * any) and label (NULL: any; the string must stay valid while the iterator is used), in
 * partition table order. type ANY requires subtype ANY.
 * Returns an iterator positioned on the first match (release it with
 * esp_partition_iterator_release), or NULL if nothing matches, the arguments are
 * inconsistent, no flash is attached or its partition table cannot be read (logged). */
esp_partition_iterator_t esp_partition_find(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                            const char *label);

/* The first partition esp_partition_find would give, or NULL. The pointer stays valid
 * until the simulated device is shut down or reboots (sota_host.h). */
const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label);

/* The partition the iterator is on. iterator must not be NULL. */
const esp_partition_t *esp_partition_get(esp_partition_iterator_t iterator);

/* Move to the next match. Returns the iterator, or NULL at the end: the iterator has
 * then been released. iterator must not be NULL. */
esp_partition_iterator_t esp_partition_next(esp_partition_iterator_t iterator);

/* Free an iterator. NULL is accepted. */
void esp_partition_iterator_release(esp_partition_iterator_t iterator);

/* Find the table's own entry for a partition description (which may be a copy in RAM):
 * type, subtype, label (if not empty), flash_chip, address, size and encrypted must all
 * match. Returns the table's pointer (comparable with ==), or NULL. */
const esp_partition_t *esp_partition_verify(const esp_partition_t *partition);

/* Read size bytes at src_offset of the partition into dst.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if partition or dst is NULL or src_offset is past
 * the partition end; ESP_ERR_INVALID_SIZE if the range runs past the partition end;
 * ESP_ERR_INVALID_STATE if no flash is attached; ESP_ERR_FLASH_OP_FAIL if the flash
 * failed. */
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size);

/* Write size bytes from src at dst_offset of the partition. The bytes must have been
 * erased (or the write may only clear bits).
 * Returns ESP_OK; ESP_ERR_NOT_ALLOWED if the partition is read-only; ESP_ERR_INVALID_ARG
 * if partition or src is NULL or dst_offset is past the end; ESP_ERR_INVALID_SIZE if the
 * range runs past the end; ESP_ERR_INVALID_STATE if no flash is attached;
 * ESP_ERR_FLASH_OP_FAIL if the bytes were not erased (nothing is written then) or the
 * flash failed. */
esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size);

/* Erase [offset, offset + size) of the partition to 0xFF. Checks in ESP-IDF's order:
 * ESP_ERR_NOT_ALLOWED if read-only; ESP_ERR_INVALID_ARG if partition is NULL or offset is
 * past the end; ESP_ERR_INVALID_SIZE if the range runs past the end or size is not a
 * multiple of 4 KiB; ESP_ERR_INVALID_ARG if offset is not a multiple of 4 KiB. Then
 * ESP_ERR_INVALID_STATE if no flash is attached, ESP_ERR_FLASH_OP_FAIL if the flash
 * failed, else ESP_OK (size 0 erases nothing). */
esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size);

#endif
