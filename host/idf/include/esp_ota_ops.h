/* Host port of ESP-IDF's esp_ota_ops.h (components/app_update) with ESP-IDF master's
 * semantics (ESP-FORMATS.md 2.2), on the simulated device of sota_host.h.
 *
 * What ESP-IDF decides with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is decided here by the
 * simulated device's run-time flag (sota_host_config_t.rollback_enabled). Images are
 * verified from flash with the portable verifier (core/sota_image.h), which reaches
 * esp_image_verify's verdict; its message says which check failed and is logged.
 * Not thread-safe (one OTA writer at a time, as the device code runs it). */
#ifndef ESP_OTA_OPS_H
#define ESP_OTA_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_partition.h"

/* esp_ota_begin image_size: size unknown, erase the whole partition now. */
#define OTA_SIZE_UNKNOWN 0xffffffff
/* esp_ota_begin image_size: size unknown, erase each sector when a write first reaches it. */
#define OTA_WITH_SEQUENTIAL_WRITES 0xfffffffe

#define ESP_ERR_OTA_BASE                   0x1500
#define ESP_ERR_OTA_PARTITION_CONFLICT     (ESP_ERR_OTA_BASE + 0x01) /* partition is the running app */
#define ESP_ERR_OTA_SELECT_INFO_INVALID    (ESP_ERR_OTA_BASE + 0x02) /* otadata content invalid */
#define ESP_ERR_OTA_VALIDATE_FAILED        (ESP_ERR_OTA_BASE + 0x03) /* not a valid app image */
#define ESP_ERR_OTA_SMALL_SEC_VER          (ESP_ERR_OTA_BASE + 0x04) /* secure version too low */
#define ESP_ERR_OTA_ROLLBACK_FAILED        (ESP_ERR_OTA_BASE + 0x05) /* no other app to roll back to */
#define ESP_ERR_OTA_ROLLBACK_INVALID_STATE (ESP_ERR_OTA_BASE + 0x06) /* running app still PENDING_VERIFY */
#define ESP_ERR_OTA_ALREADY_IN_PROGRESS    (ESP_ERR_OTA_BASE + 0x07) /* an OTA on that partition is open */
#define ESP_ERR_OTA_SPI_MODE_MISMATCH      (ESP_ERR_OTA_BASE + 0x08) /* SPI flash mode differs */

typedef uint32_t esp_ota_handle_t;

/* Start writing an update into `partition` (an OTA app slot; data, bootloader and
 * partition-table partitions are accepted without the app checks, as ESP-IDF does).
 * Checks: partition and out_handle not NULL (ESP_ERR_INVALID_ARG); partition in the
 * table (ESP_ERR_NOT_FOUND); an app partition must be an OTA slot, not factory/test
 * (ESP_ERR_INVALID_ARG) and not the running app (ESP_ERR_OTA_PARTITION_CONFLICT); with
 * rollback enabled, the running app must not be PENDING_VERIFY
 * (ESP_ERR_OTA_ROLLBACK_INVALID_STATE: call esp_ota_mark_app_valid_cancel_rollback
 * first); no other open handle on it (ESP_ERR_OTA_ALREADY_IN_PROGRESS).
 * Erase: image_size 0 or OTA_SIZE_UNKNOWN erases the whole partition,
 * OTA_WITH_SEQUENTIAL_WRITES erases nothing (ESP-IDF's esp_ota_write would erase as it
 * goes; it is not in this port, and esp_ota_write_with_offset refuses such a handle), any
 * other size erases the first ALIGN_UP(image_size, 4 KiB) bytes (ESP_ERR_INVALID_SIZE if
 * more than the partition). An erase failure is returned (ESP_ERR_FLASH_OP_FAIL) and,
 * unlike ESP-IDF, leaves no open handle behind. With rollback enabled, it then erases the
 * inactive otadata entry if that names a slot other than the running one
 * (esp_ota_invalidate_inactive_ota_data_slot). Returns ESP_OK with *out_handle set. */
esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle);

/* Write size bytes at `offset` of the partition (out-of-order writes; the region must
 * have been erased by esp_ota_begin). Returns ESP_OK; ESP_ERR_INVALID_ARG if data is NULL
 * or the handle is unknown; ESP_ERR_INVALID_STATE if the handle was opened with
 * OTA_WITH_SEQUENTIAL_WRITES (ESP-IDF asserts: nothing erased the region; logged);
 * otherwise as esp_partition_write. */
esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size, uint32_t offset);

/* Finish the update: verify the image in the partition as esp_image_verify does, and,
 * when the simulated device has Secure Boot V2 (sota_host_config_t.
 * secure_boot_key_digest), its signature sector against that key digest (sota_sig.h,
 * as CONFIG_SECURE_BOOT_V2_ENABLED does). The handle is released whatever the result.
 * Returns ESP_OK if the image is valid;
 * ESP_ERR_NOT_FOUND if the handle is unknown; ESP_ERR_INVALID_ARG if nothing was written;
 * ESP_ERR_OTA_VALIDATE_FAILED if the image is invalid (the failing check is logged). */
esp_err_t esp_ota_end(esp_ota_handle_t handle);

/* Release a handle without verifying. Returns ESP_OK or ESP_ERR_NOT_FOUND. */
esp_err_t esp_ota_abort(esp_ota_handle_t handle);

/* Make `partition` the app the bootloader starts next. The image in it is verified
 * first (ESP_ERR_OTA_VALIDATE_FAILED, logged, otadata untouched). Factory: both otadata
 * sectors are erased. OTA slot s (must be below the number of consecutive OTA slots
 * ota_0, ota_1, ... in the table, else ESP_ERR_INVALID_ARG): with no active entry, otadata[0] := {seq s+1}; if the active
 * entry already names s, it is rewritten with the same seq; else the other entry gets the
 * smallest seq >= the active one that names s. The state written is NEW with rollback
 * enabled, else UNDEFINED. Returns ESP_OK; ESP_ERR_INVALID_ARG (NULL, not an app);
 * ESP_ERR_NOT_FOUND (no otadata partition, or it cannot be read);
 * ESP_ERR_FLASH_OP_FAIL. */
esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition);

/* esp_ota_set_boot_partition without the image verification. */
esp_err_t esp_ota_set_boot_partition_skip_validate(const esp_partition_t *partition);

/* The app partition otadata selects now (what the bootloader would try first): factory
 * (or the first OTA slot, or test) if otadata has no usable entry or there are no OTA
 * slots; else the active entry's slot. NULL if there is no otadata partition, it cannot
 * be read, or there is no app partition. */
const esp_partition_t *esp_ota_get_boot_partition(void);

/* The partition the simulated device booted (set by sota_host_boot), or NULL before the
 * first boot. */
const esp_partition_t *esp_ota_get_running_partition(void);

/* The OTA slot to write the next update to: the slot after start_from (NULL: the running
 * partition) in subtype order, or the first slot if start_from is the last one or not a
 * slot. NULL if there are no OTA slots. */
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from);

/* Read the app description at offset 0x20 of an app partition. Returns ESP_OK;
 * ESP_ERR_INVALID_ARG if an argument is NULL; ESP_ERR_NOT_SUPPORTED if not an app
 * partition; ESP_ERR_NOT_FOUND if the magic word is wrong (no image there); else as
 * esp_partition_read. */
esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition, esp_app_desc_t *app_desc);

/* Mark the running app good: the active otadata entry becomes VALID (if it is not
 * already). Returns ESP_OK; ESP_FAIL if there is no active entry or no OTA slot
 * ("running firmware is factory"); ESP_ERR_NOT_FOUND without otadata;
 * ESP_ERR_FLASH_OP_FAIL. */
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void);

/* Mark the running app bad and restart: the active otadata entry becomes INVALID, so the
 * next boot starts the previous app, then esp_restart() (does not return). Only if
 * another app could boot instead (the inactive otadata entry is valid and its slot holds
 * a valid image, or it is not valid and the factory partition holds one), else
 * ESP_ERR_OTA_ROLLBACK_FAILED and nothing is written. Other returns as
 * esp_ota_mark_app_valid_cancel_rollback. */
esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void);

/* The slot of the most recent INVALID or ABORTED otadata entry (lowest seq of the two if
 * both are), if it still holds a valid image; else NULL. */
const esp_partition_t *esp_ota_get_last_invalid_partition(void);

/* The otadata state of an OTA slot: the first entry (0, then 1) whose seq names the slot
 * and whose CRC is right. Returns ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_ERR_NOT_SUPPORTED
 * (not an OTA slot); ESP_ERR_NOT_FOUND (no otadata, no OTA slots, or no entry names it). */
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state);

/* The same, but only the otadata entry is erased; the app stays in its slot. */
esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void);

#endif
