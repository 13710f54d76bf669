/* Host port of the part of ESP-IDF's esp_flash.h (components/spi_flash) the component
 * uses: the size of the main flash chip. */
#ifndef ESP_FLASH_H
#define ESP_FLASH_H

#include <stdint.h>

#include "esp_err.h"

typedef struct esp_flash_t esp_flash_t;

/* The size of the flash chip in bytes (chip: NULL, the main flash chip, the only one on
 * the simulated device).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if out_size is NULL or chip is another chip;
 * ESP_ERR_INVALID_STATE if no flash is attached. */
esp_err_t esp_flash_get_size(esp_flash_t *chip, uint32_t *out_size);

#endif
