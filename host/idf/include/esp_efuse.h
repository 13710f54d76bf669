/* Host port of the part of ESP-IDF's esp_efuse.h (components/efuse, >= 6.0.1) the
 * component uses. */
#ifndef ESP_EFUSE_H
#define ESP_EFUSE_H

#include <stdbool.h>

#endif
