/* Host port of ESP-IDF's esp_app_format.h (components/bootloader_support): the app image
 * header and segment header as they are laid out in flash (ESP-FORMATS.md 3). */
#ifndef ESP_APP_FORMAT_H
#define ESP_APP_FORMAT_H

#include <inttypes.h>
#include <stddef.h>

/* Chip ids stored in esp_image_header_t.chip_id. */
typedef enum {
    ESP_CHIP_ID_ESP32 = 0x0000,
    ESP_CHIP_ID_ESP32S2 = 0x0002,
    ESP_CHIP_ID_ESP32C3 = 0x0005,
    ESP_CHIP_ID_ESP32S3 = 0x0009,
    ESP_CHIP_ID_ESP32C2 = 0x000C,
    ESP_CHIP_ID_ESP32C6 = 0x000D,
    ESP_CHIP_ID_ESP32H2 = 0x0010,
    ESP_CHIP_ID_ESP32P4 = 0x0012,
    ESP_CHIP_ID_ESP32C61 = 0x0014,
    ESP_CHIP_ID_ESP32C5 = 0x0017,
    ESP_CHIP_ID_ESP32H21 = 0x0019,
    ESP_CHIP_ID_ESP32H4 = 0x001C,
    ESP_CHIP_ID_ESP32S31 = 0x0020,
    ESP_CHIP_ID_INVALID = 0xFFFF,
} __attribute__((packed)) esp_chip_id_t;

typedef enum {
    ESP_IMAGE_SPI_MODE_QIO,
    ESP_IMAGE_SPI_MODE_QOUT,
    ESP_IMAGE_SPI_MODE_DIO,
    ESP_IMAGE_SPI_MODE_DOUT,
    ESP_IMAGE_SPI_MODE_FAST_READ,
    ESP_IMAGE_SPI_MODE_SLOW_READ,
} esp_image_spi_mode_t;

typedef enum {
    ESP_IMAGE_SPI_SPEED_DIV_2,
    ESP_IMAGE_SPI_SPEED_DIV_3,
    ESP_IMAGE_SPI_SPEED_DIV_4,
    ESP_IMAGE_SPI_SPEED_DIV_1 = 0xF,
} esp_image_spi_freq_t;

typedef enum {
    ESP_IMAGE_FLASH_SIZE_1MB = 0,
    ESP_IMAGE_FLASH_SIZE_2MB,
    ESP_IMAGE_FLASH_SIZE_4MB,
    ESP_IMAGE_FLASH_SIZE_8MB,
    ESP_IMAGE_FLASH_SIZE_16MB,
    ESP_IMAGE_FLASH_SIZE_32MB,
    ESP_IMAGE_FLASH_SIZE_64MB,
    ESP_IMAGE_FLASH_SIZE_128MB,
    ESP_IMAGE_FLASH_SIZE_MAX,
} esp_image_flash_size_t;

#define ESP_IMAGE_HEADER_MAGIC 0xE9
#define ESP_IMAGE_MAX_SEGMENTS 16

/* The 24-byte header at the start of every app image. */
typedef struct {
    uint8_t magic;              /* ESP_IMAGE_HEADER_MAGIC */
    uint8_t segment_count;
    uint8_t spi_mode;           /* esp_image_spi_mode_t */
    uint8_t spi_speed: 4;       /* esp_image_spi_freq_t */
    uint8_t spi_size: 4;        /* esp_image_flash_size_t */
    uint32_t entry_addr;
    uint8_t wp_pin;             /* 0xEE: disabled */
    uint8_t spi_pin_drv[3];
    esp_chip_id_t chip_id;
    uint8_t min_chip_rev;       /* legacy: major revision only */
    uint16_t min_chip_rev_full; /* major * 100 + minor */
    uint16_t max_chip_rev_full; /* major * 100 + minor */
    uint8_t reserved[4];
    uint8_t hash_appended;      /* non-zero: a SHA-256 follows the checksum */
} __attribute__((packed)) esp_image_header_t;

/* Header of each segment; data_len bytes of data follow it. */
typedef struct {
    uint32_t load_addr;
    uint32_t data_len;
} esp_image_segment_header_t;

_Static_assert(sizeof(esp_chip_id_t) == 2, "esp_chip_id_t is 16 bits");
_Static_assert(sizeof(esp_image_header_t) == 24, "esp_image_header_t is 24 bytes");
_Static_assert(offsetof(esp_image_header_t, chip_id) == 12, "chip_id at byte 12");
_Static_assert(offsetof(esp_image_header_t, hash_appended) == 23, "hash_appended at byte 23");
_Static_assert(sizeof(esp_image_segment_header_t) == 8, "segment header is 8 bytes");

#endif
