/* The simulated device (host only: no ESP-IDF counterpart). It owns what a real ESP32
 * has in hardware and ROM: the flash chip, the chip model and revision, the bootloader's
 * configuration, and what a reset does. The host ESP-IDF port (esp_partition,
 * esp_ota_ops, esp_system, esp_app_desc, esp_chip_info) works on the device set up here.
 *
 * Typical use (the `sota sim` command):
 *     sota_host_config_t cfg = { .flash_path = "build/flash.bin", .argv = argv,
 *                                .rollback_enabled = true };
 *     boot_result_t boot;
 *     if (sota_host_boot(&cfg, &boot) != ESP_OK) { print boot.reason; exit(1); }
 *     app_main();              // esp_restart() re-executes the program on the same flash
 *
 * Tests set restart_hook to a function that longjmps back to the test, which then calls
 * sota_host_boot again ("the device reboots").
 *
 * Not thread-safe: boot, attach and shutdown must not run while other threads use the
 * ESP-IDF port. */
#ifndef SOTA_HOST_H
#define SOTA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "esp_err.h"
#include "esp_system.h"
#include "nor_flash.h"
#include "sota_chip.h"

/* Environment variable esp_restart sets for the re-executed program ("SW"); read and
 * removed by sota_host_boot. */
#define SOTA_HOST_RESET_ENV "SOTA_HOST_RESET_REASON"

/* Called by esp_restart() instead of re-executing the program. Must not return (longjmp
 * or exit). */
typedef void (*sota_host_restart_hook_t)(void *ctx);

typedef struct {
    /* The flash: an open one (the caller keeps ownership and closes it after
     * sota_host_shutdown), or else the file at flash_path, opened (created with
     * flash_size bytes of 0xFF if missing; 0: 4 MiB) and owned by the device. */
    nor_flash_t *flash;
    const char *flash_path;
    size_t flash_size;
    const sota_chip_t *chip;          /* NULL: esp32 */
    uint16_t chip_rev;                /* major * 100 + minor; 0: the chip's default */
    uint16_t efuse_blk_rev;           /* eFuse block revision, major * 100 + minor */
    bool flash_encryption;            /* flash encryption on: app partitions are encrypted
                                         (esp_partition.h says what that changes) */
    bool rollback_enabled;            /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool flash_timing;                /* erases and programs take the chip's typical time */
    uint32_t table_offset;            /* 0: CONFIG_PARTITION_TABLE_OFFSET (0x8000) */
    char *const *argv;                /* NULL-terminated, re-executed by esp_restart();
                                         copied. NULL: esp_restart exits instead */
    sota_host_restart_hook_t restart_hook; /* optional, see above */
    void *restart_ctx;
    esp_reset_reason_t reset_reason;  /* ESP_RST_UNKNOWN (0): automatic (ESP_RST_SW after
                                         esp_restart, else ESP_RST_POWERON); else forced */
    bool quiet;                       /* don't print the bootloader's log to stderr */
    const uint8_t *secure_boot_key_digest; /* 32 bytes: the device has Secure Boot V2 with
                                         this public key digest in eFuse, and esp_ota_end
                                         refuses app images not signed by that key (copied);
                                         NULL: no secure boot. The simulated bootloader
                                         does not check signatures. */
} sota_host_config_t;

/* Power the simulated device on (or restart it): set up the flash and configuration as
 * sota_host_attach does, then run the bootloader (boot_select with write = true: the
 * bootloader's otadata updates reach the flash; its log goes to stderr unless quiet),
 * and make what booted the running app: esp_ota_get_running_partition() and
 * esp_app_get_description() (the 256 bytes at offset 0x20 of its image) follow it. Any
 * OTA handle left open is dropped (RAM is lost).
 * out (may be NULL) receives the bootloader's result whenever the bootloader ran.
 * Returns ESP_OK if an app booted;
 *   ESP_ERR_INVALID_ARG: cfg is NULL or names no flash;
 *   ESP_ERR_FLASH_OP_FAIL: the flash file could not be opened (logged), or a flash
 *     operation failed during boot (e.g. an injected power cut);
 *   ESP_ERR_INVALID_STATE: the partition table was rejected (out->reason says why);
 *   ESP_ERR_NOT_FOUND: no partition holds a bootable app (out->reason says why).
 * On failure no app is running, but the flash stays attached (esp_partition works if
 * the table could be read). */
esp_err_t sota_host_boot(const sota_host_config_t *cfg, boot_result_t *out);

/* Attach the flash and configuration without booting anything (host tools and tests of
 * esp_partition): the partition table is read at table_offset on first use. Whatever was
 * attached before is shut down first. Returns ESP_OK, ESP_ERR_INVALID_ARG or
 * ESP_ERR_FLASH_OP_FAIL as sota_host_boot. */
esp_err_t sota_host_attach(const sota_host_config_t *cfg);

/* Power off: drop open OTA handles and the partition list, close the flash if the
 * device opened it, forget the configuration. Pointers returned by esp_partition_* and
 * esp_ota_* are invalid afterwards. Safe to call when nothing is attached. */
void sota_host_shutdown(void);

/* The simulated chip and its revision (esp32 / its default before anything is attached). */
const sota_chip_t *sota_host_chip(void);
uint16_t sota_host_chip_rev(void);

/* The simulated chip's eFuse block revision (major * 100 + minor). */
uint16_t sota_host_efuse_blk_rev(void);

/* The message of the last image verification esp_ota_end / esp_ota_set_boot_partition
 * ran ("valid ..." or which check failed), "" if none yet. Valid until the next one. */
const char *sota_host_last_verify_message(void);

/* Fault injection for tests: the next `count` xTaskCreate calls for a task named `name`
 * fail as on a device out of memory (errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY). */
void sota_host_fail_task_create(const char *name, unsigned count);

#endif
