/* Host port of ESP-IDF's esp_flash_partitions.h (components/bootloader_support): the
 * on-flash structures of the partition table and of otadata, and the OTA image states.
 * Same names, values and layouts as ESP-IDF (ESP-FORMATS.md 1 and 2). */
#ifndef ESP_FLASH_PARTITIONS_H
#define ESP_FLASH_PARTITIONS_H

#include <stdint.h>

#include "esp_err.h"
#include "sdkconfig.h"

#define ESP_PARTITION_MAGIC     0x50AA
#define ESP_PARTITION_MAGIC_MD5 0xEBEB

#define PART_TYPE_APP          0x00
#define PART_SUBTYPE_FACTORY   0x00
#define PART_SUBTYPE_OTA_FLAG  0x10
#define PART_SUBTYPE_OTA_MASK  0x0f
#define PART_SUBTYPE_TEST      0x20

#define PART_TYPE_DATA         0x01
#define PART_SUBTYPE_DATA_OTA  0x00
#define PART_SUBTYPE_DATA_RF   0x01
#define PART_SUBTYPE_DATA_WIFI 0x02

#define PART_TYPE_BOOTLOADER        0x02
#define PART_TYPE_PARTITION_TABLE   0x03

#define PART_TYPE_END    0xff
#define PART_SUBTYPE_END 0xff

#define PART_FLAG_ENCRYPTED (1 << 0)
#define PART_FLAG_READONLY  (1 << 1)

/* Bytes after an MD5 row's magic where its digest starts. */
#define ESP_PARTITION_MD5_OFFSET 16

#define ESP_PARTITION_TABLE_OFFSET         CONFIG_PARTITION_TABLE_OFFSET
#define ESP_PRIMARY_PARTITION_TABLE_OFFSET CONFIG_PARTITION_TABLE_OFFSET
#define ESP_PARTITION_TABLE_SIZE           0x1000
#define ESP_PARTITION_TABLE_MAX_LEN        0xC00

/* State of an app in otadata (esp_ota_select_entry_t.ota_state). The bootloader turns
 * NEW into PENDING_VERIFY on the first boot and PENDING_VERIFY into ABORTED on the next
 * one (rollback enabled); INVALID and ABORTED entries are never selected. Any value not
 * listed here behaves like VALID. */
typedef enum {
    ESP_OTA_IMG_NEW            = 0x0U,
    ESP_OTA_IMG_PENDING_VERIFY = 0x1U,
    ESP_OTA_IMG_VALID          = 0x2U,
    ESP_OTA_IMG_INVALID        = 0x3U,
    ESP_OTA_IMG_ABORTED        = 0x4U,
    ESP_OTA_IMG_UNDEFINED      = 0xFFFFFFFFU,
} esp_ota_img_states_t;

/* One of the two otadata entries (at otadata offsets 0 and 0x1000), 32 bytes. crc is
 * esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4): over ota_seq only. */
typedef struct {
    uint32_t ota_seq;
    uint8_t seq_label[20];
    uint32_t ota_state;
    uint32_t crc;
} esp_ota_select_entry_t;

/* Position of a partition in flash. */
typedef struct {
    uint32_t offset;
    uint32_t size;
} esp_partition_pos_t;

/* A partition table row as stored in flash, 32 bytes. */
typedef struct {
    uint16_t magic;
    uint8_t type;
    uint8_t subtype;
    esp_partition_pos_t pos;
    uint8_t label[16];
    uint32_t flags;
} esp_partition_info_t;

_Static_assert(sizeof(esp_ota_select_entry_t) == 32, "esp_ota_select_entry_t is 32 bytes");
_Static_assert(sizeof(esp_partition_info_t) == 32, "esp_partition_info_t is 32 bytes");

#endif
