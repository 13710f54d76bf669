/* Host port of ESP-IDF's esp_flash_encrypt.h (components/bootloader_support): whether
 * the simulated device has flash encryption on (sota_host_config_t.flash_encryption). */
#ifndef ESP_FLASH_ENCRYPT_H
#define ESP_FLASH_ENCRYPT_H

#include <stdbool.h>

/* true if flash encryption is on: every app partition (and every partition flagged
 * "encrypted") is then encrypted; see esp_partition.h for what that changes. */
bool esp_flash_encryption_enabled(void);

#endif
