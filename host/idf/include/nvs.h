/* Host port of ESP-IDF's nvs.h (components/nvs_flash): namespaced key-value storage.
 * Storage and persistence on the host: sota_host_nvs.h.
 *
 * Semantics kept from ESP-IDF (nvs_api.cpp, nvs_storage.cpp, nvs_page.cpp):
 *  - Keys and namespace names are at most 15 characters (NVS_KEY_NAME_MAX_SIZE - 1).
 *    Writing a longer key, or creating a namespace with a longer name, fails with
 *    ESP_ERR_NVS_KEY_TOO_LONG; lookups compare only the first 15 characters.
 *  - A key holds one value of one type. Reading it as another type gives
 *    ESP_ERR_NVS_NOT_FOUND (ESP-IDF reports a type mismatch that way, not with
 *    ESP_ERR_NVS_TYPE_MISMATCH); writing it with another type replaces the old value.
 *  - Strings and blobs: get with out_value NULL returns the required length (with the
 *    NUL for strings); a buffer too small gives ESP_ERR_NVS_INVALID_LENGTH and the
 *    required length in *length.
 *  - Every call on a handle returns ESP_ERR_NVS_INVALID_HANDLE if it was closed (also by
 *    nvs_flash_erase) or never existed.
 * Host additions: NULL key or value pointers give ESP_ERR_INVALID_ARG instead of a crash.
 * Not provided: float/double, iterators, nvs_find_key, partitions other than "nvs". */
#ifndef ESP_NVS_H
#define ESP_NVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t nvs_handle_t;

#define ESP_ERR_NVS_BASE               0x1100
#define ESP_ERR_NVS_NOT_INITIALIZED    (ESP_ERR_NVS_BASE + 0x01) /* nvs_flash_init not called */
#define ESP_ERR_NVS_NOT_FOUND          (ESP_ERR_NVS_BASE + 0x02) /* no such key (of that type), or
                                                                    namespace missing for READONLY */
#define ESP_ERR_NVS_TYPE_MISMATCH      (ESP_ERR_NVS_BASE + 0x03)
#define ESP_ERR_NVS_READ_ONLY          (ESP_ERR_NVS_BASE + 0x04) /* write through a READONLY handle */
#define ESP_ERR_NVS_NOT_ENOUGH_SPACE   (ESP_ERR_NVS_BASE + 0x05) /* partition full */
#define ESP_ERR_NVS_INVALID_NAME       (ESP_ERR_NVS_BASE + 0x06)
#define ESP_ERR_NVS_INVALID_HANDLE     (ESP_ERR_NVS_BASE + 0x07) /* closed or unknown handle */
#define ESP_ERR_NVS_REMOVE_FAILED      (ESP_ERR_NVS_BASE + 0x08)
#define ESP_ERR_NVS_KEY_TOO_LONG       (ESP_ERR_NVS_BASE + 0x09) /* key / namespace > 15 chars */
#define ESP_ERR_NVS_PAGE_FULL          (ESP_ERR_NVS_BASE + 0x0a)
#define ESP_ERR_NVS_INVALID_STATE      (ESP_ERR_NVS_BASE + 0x0b)
#define ESP_ERR_NVS_INVALID_LENGTH     (ESP_ERR_NVS_BASE + 0x0c) /* buffer too small */
#define ESP_ERR_NVS_NO_FREE_PAGES      (ESP_ERR_NVS_BASE + 0x0d) /* unusable: erase and re-init */
#define ESP_ERR_NVS_VALUE_TOO_LONG     (ESP_ERR_NVS_BASE + 0x0e) /* string / blob too long */
#define ESP_ERR_NVS_PART_NOT_FOUND     (ESP_ERR_NVS_BASE + 0x0f)
#define ESP_ERR_NVS_NEW_VERSION_FOUND  (ESP_ERR_NVS_BASE + 0x10) /* newer format: erase and re-init */
#define ESP_ERR_NVS_XTS_ENCR_FAILED    (ESP_ERR_NVS_BASE + 0x11)
#define ESP_ERR_NVS_XTS_DECR_FAILED    (ESP_ERR_NVS_BASE + 0x12)
#define ESP_ERR_NVS_XTS_CFG_FAILED     (ESP_ERR_NVS_BASE + 0x13)
#define ESP_ERR_NVS_XTS_CFG_NOT_FOUND  (ESP_ERR_NVS_BASE + 0x14)
#define ESP_ERR_NVS_ENCR_NOT_SUPPORTED (ESP_ERR_NVS_BASE + 0x15)
#define ESP_ERR_NVS_KEYS_NOT_INITIALIZED (ESP_ERR_NVS_BASE + 0x16)
#define ESP_ERR_NVS_CORRUPT_KEY_PART   (ESP_ERR_NVS_BASE + 0x17)
#define ESP_ERR_NVS_CONTENT_DIFFERS    (ESP_ERR_NVS_BASE + 0x18)
#define ESP_ERR_NVS_WRONG_ENCRYPTION   (ESP_ERR_NVS_BASE + 0x19)

#define NVS_DEFAULT_PART_NAME  "nvs"
#define NVS_PART_NAME_MAX_SIZE 16   /* partition name length, without the NUL */
#define NVS_KEY_NAME_MAX_SIZE  16   /* key name size, with the NUL */

typedef enum {
    NVS_READONLY,
    NVS_READWRITE
} nvs_open_mode_t;

typedef enum {
    NVS_TYPE_U8   = 0x01,
    NVS_TYPE_I8   = 0x11,
    NVS_TYPE_U16  = 0x02,
    NVS_TYPE_I16  = 0x12,
    NVS_TYPE_U32  = 0x04,
    NVS_TYPE_I32  = 0x14,
    NVS_TYPE_U64  = 0x08,
    NVS_TYPE_I64  = 0x18,
    NVS_TYPE_STR  = 0x21,
    NVS_TYPE_BLOB = 0x42,
    NVS_TYPE_ANY  = 0xff
} nvs_type_t;

typedef struct {
    size_t used_entries;
    size_t free_entries;
    size_t total_entries;
    size_t namespace_count;
} nvs_stats_t;

/* Open namespace_name (1..15 characters) of the default partition.
 * NVS_READWRITE creates the namespace if needed; NVS_READONLY requires it to exist.
 * Returns ESP_OK and *out_handle;
 * ESP_ERR_NVS_NOT_INITIALIZED before nvs_flash_init;
 * ESP_ERR_NVS_NOT_FOUND for NVS_READONLY and a namespace that does not exist yet;
 * ESP_ERR_NVS_KEY_TOO_LONG when creating a namespace whose name is longer than 15;
 * ESP_ERR_NVS_NOT_ENOUGH_SPACE if 254 namespaces exist or the partition is full;
 * ESP_ERR_INVALID_ARG if namespace_name or out_handle is NULL, or open_mode is invalid;
 * ESP_ERR_NO_MEM. */
esp_err_t nvs_open(const char *namespace_name, nvs_open_mode_t open_mode, nvs_handle_t *out_handle);

/* Set a value (replacing any value of any type under key).
 * Returns ESP_OK; ESP_ERR_NVS_INVALID_HANDLE; ESP_ERR_NVS_READ_ONLY;
 * ESP_ERR_NVS_KEY_TOO_LONG (key longer than 15); ESP_ERR_NVS_NOT_ENOUGH_SPACE;
 * ESP_ERR_NVS_VALUE_TOO_LONG (string over 4000 bytes with its NUL, blob over 20000);
 * ESP_ERR_INVALID_ARG (NULL key, or NULL value with a non-zero blob length);
 * ESP_ERR_NO_MEM. The value is only guaranteed to persist after nvs_commit. */
esp_err_t nvs_set_u8(nvs_handle_t handle, const char *key, uint8_t value);
esp_err_t nvs_set_str(nvs_handle_t handle, const char *key, const char *value);

/* Get an integer. *out_value is untouched unless ESP_OK.
 * Returns ESP_OK; ESP_ERR_NVS_NOT_FOUND (no such key, or it holds another type);
 * ESP_ERR_NVS_INVALID_HANDLE; ESP_ERR_INVALID_ARG (NULL key or out_value). */
esp_err_t nvs_get_u8(nvs_handle_t handle, const char *key, uint8_t *out_value);

/* Get a string (with its NUL) or a blob. length must not be NULL.
 * out_value NULL: *length receives the size needed, ESP_OK.
 * Else *length is the buffer size on entry; on ESP_OK it is the size written; if too
 * small, ESP_ERR_NVS_INVALID_LENGTH and *length receives the size needed (buffer
 * untouched).
 * Returns also ESP_ERR_NVS_NOT_FOUND (no such key, or not a string / blob);
 * ESP_ERR_NVS_INVALID_HANDLE; ESP_ERR_NVS_INVALID_LENGTH if length is NULL;
 * ESP_ERR_INVALID_ARG if key is NULL. */
esp_err_t nvs_get_str(nvs_handle_t handle, const char *key, char *out_value, size_t *length);

/* Make every change so far persistent (the whole store is written: see
 * sota_host_nvs.h). ESP_OK; ESP_ERR_NVS_INVALID_HANDLE; ESP_FAIL if the file could not
 * be written (logged with the path and the system's reason; the RAM copy is kept). */
esp_err_t nvs_commit(nvs_handle_t handle);

/* Close the handle (an unknown handle is ignored). Uncommitted changes stay in RAM. */
void nvs_close(nvs_handle_t handle);

#ifdef __cplusplus
}
#endif

#endif
