/* Host port of ESP-IDF's esp_app_desc.h (components/esp_app_format): the 256-byte app
 * description every app image carries at image offset 0x20, and the running app's. */
#ifndef ESP_APP_DESC_H
#define ESP_APP_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#define ESP_APP_DESC_MAGIC_WORD (0xABCD5432)

/* Layout of esp_app_desc_t in flash and in memory (little-endian, 256 bytes). Strings
 * are NUL-padded and need not be NUL-terminated when they fill their field. */
typedef struct {
    uint32_t magic_word;             /* ESP_APP_DESC_MAGIC_WORD */
    uint32_t secure_version;
    uint32_t reserv1[2];
    char version[32];
    char project_name[32];
    char time[16];
    char date[16];
    char idf_ver[32];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full; /* major * 100 + minor */
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size;           /* log2 */
    uint8_t spi_flash_mode;          /* CONFIG_ESPTOOLPY_FLASHMODE_VAL; 0 in older images */
    uint8_t reserv3[2];
    uint32_t reserv2[18];
} esp_app_desc_t;

_Static_assert(sizeof(esp_app_desc_t) == 256, "esp_app_desc_t is 256 bytes");
_Static_assert(offsetof(esp_app_desc_t, version) == 0x10, "version at 0x10");
_Static_assert(offsetof(esp_app_desc_t, project_name) == 0x30, "project_name at 0x30");
_Static_assert(offsetof(esp_app_desc_t, idf_ver) == 0x70, "idf_ver at 0x70");
_Static_assert(offsetof(esp_app_desc_t, app_elf_sha256) == 0x90, "app_elf_sha256 at 0x90");
_Static_assert(offsetof(esp_app_desc_t, min_efuse_blk_rev_full) == 0xB0, "efuse rev at 0xB0");
_Static_assert(offsetof(esp_app_desc_t, mmu_page_size) == 0xB4, "mmu_page_size at 0xB4");
_Static_assert(offsetof(esp_app_desc_t, reserv2) == 0xB8, "reserv2 at 0xB8");

/* The description of the running app: on the simulated device, the 256 bytes at offset
 * 0x20 of the image that booted (read from flash by sota_host_boot). Before any boot, a
 * description of the host build (project "softap-ota-host", idf_ver "v<ESP_IDF_VERSION>").
 * Never NULL; valid until the next boot. */
const esp_app_desc_t *esp_app_get_description(void);

#endif
