/* Host port of ESP-IDF's esp_system.h (components/esp_system): restart and reset reason
 * of the simulated device (sota_host.h). */
#ifndef ESP_SYSTEM_H
#define ESP_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_idf_version.h"

typedef enum {
    ESP_RST_UNKNOWN,
    ESP_RST_POWERON,
    ESP_RST_EXT,
    ESP_RST_SW,
    ESP_RST_PANIC,
    ESP_RST_INT_WDT,
    ESP_RST_TASK_WDT,
    ESP_RST_WDT,
    ESP_RST_DEEPSLEEP,
    ESP_RST_BROWNOUT,
    ESP_RST_SDIO,
    ESP_RST_USB,
    ESP_RST_JTAG,
    ESP_RST_EFUSE,
    ESP_RST_PWR_GLITCH,
    ESP_RST_CPU_LOCKUP,
} esp_reset_reason_t;

/* Software reset of the simulated device. The flash keeps its contents; RAM does not.
 * If the device was booted with a restart hook, the hook is called (it must not return:
 * longjmp or exit; if it returns the process aborts). Otherwise the flash is flushed and
 * closed, every descriptor above stderr is marked close-on-exec (sockets are released as
 * on a real reset) and the program re-executes itself (/proc/self/exe) with the argv
 * given at boot, marked as a software reset; without argv it exits with status 0.
 * The next sota_host_boot reports ESP_RST_SW. */
void esp_restart(void) __attribute__((__noreturn__));

#endif
