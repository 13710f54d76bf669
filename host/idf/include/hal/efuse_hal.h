/* Host port of ESP-IDF's hal/efuse_hal.h (components/hal, >= 5.2): the eFuse values the
 * bootloader checks an app against, from the simulated chip. */
#ifndef HAL_EFUSE_HAL_H
#define HAL_EFUSE_HAL_H

#include <stdbool.h>
#include <stdint.h>

/* The eFuse block revision, major * 100 + minor (sota_host_config_t.efuse_blk_rev). */
uint32_t efuse_hal_blk_version(void);

#endif
