/* Private to host/idf: the state of the simulated device shared by device_*.c, part_*.c,
 * ota_*.c and sys_*.c. Not an API for other rooms (they use sota_host.h). */
#ifndef SOTA_DEVICE_INTERNAL_H
#define SOTA_DEVICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "nor_flash.h"
#include "ptable.h"
#include "sota_chip.h"
#include "sota_host.h"
#include "sota_image.h"

typedef struct {
    bool attached;
    nor_flash_t *flash;
    bool own_flash;
    const sota_chip_t *chip;
    uint16_t chip_rev;
    bool rollback_enabled;
    uint32_t table_offset;
    char **argv;                       /* deep copy, NULL-terminated, or NULL */
    sota_host_restart_hook_t restart_hook;
    void *restart_ctx;
    bool quiet;

    bool parts_loaded;
    esp_partition_t parts[PT_MAX_ENTRIES];
    unsigned nparts;

    const esp_partition_t *running;    /* NULL until an app booted */
    esp_app_desc_t app_desc;           /* the running app's (or the host default) */
    esp_reset_reason_t reset_reason;
    bool sw_reset_pending;             /* esp_restart ran in this process */

    char verify_msg[200];

    uint16_t efuse_blk_rev;
    bool flash_encryption;             /* app partitions are encrypted (part_io.c) */
    uint8_t *enc_written;              /* flash encryption: one bit per 16-byte block of
                                          the chip, set once programmed, cleared by erase */

    bool secure_boot;                  /* Secure Boot V2: esp_ota_end checks signatures */
    uint8_t sb_key_digest[32];         /* the trusted key digest ("eFuse") */
} sota_dev_t;

extern sota_dev_t g_sota_dev;

/* Serialise flash access between the simulated device's tasks (threads), as ESP-IDF's
 * flash driver does. Held only around single flash emulator calls (never nested). A
 * power-cut harness may longjmp out of a flash call while it is held: attaching the
 * flash again (the next power-on) resets it. */
void sota_dev_lock(void);
void sota_dev_unlock(void);

/* Map a flash emulator error to esp_err_t and log it (what failed, where).
 * NOR_OK -> ESP_OK; argument/range/alignment errors -> ESP_ERR_INVALID_ARG; not erased,
 * power cut, I/O -> ESP_ERR_FLASH_OP_FAIL. */
esp_err_t sota_dev_flash_err(nor_err_t err, const char *op, uint32_t addr, size_t len);

/* ESP_OK if a flash is attached, else ESP_ERR_INVALID_STATE (logged). */
esp_err_t sota_dev_need_flash(void);

/* Load the partition list from the table in flash if not loaded yet. */
esp_err_t sota_dev_load_partitions(void);

/* Forget the partition list (pointers into it become stale, not dangling). */
void sota_dev_unload_partitions(void);

/* Verify the app image in partition p from flash with the core verifier (the verdict of
 * esp_image_verify). The message goes to g_sota_dev.verify_msg and, unless silent, to
 * the log as an error. Returns SOTA_IMG_OK if valid. */
sota_img_err_t sota_dev_verify_image(const esp_partition_t *p, bool silent);
/* The same, and *image_len (may be NULL) gets the image's length (checksum and appended
 * SHA-256 included) when the verifier got to its end, else 0. */
sota_img_err_t sota_dev_verify_image_len(const esp_partition_t *p, bool silent, uint32_t *image_len);

/* Flash encryption (part_io.c): set up the written-block map from the flash contents
 * at power-on (a block that is not all 0xFF is programmed; one that is counts as
 * erased, which a block written as 0xFF before a reset is not on a device), and free
 * it. Returns ESP_OK or ESP_ERR_NO_MEM. */
esp_err_t sota_dev_enc_attach(void);
void sota_dev_enc_detach(void);

/* Drop every open OTA handle (reboot / shutdown). */
void sota_dev_ota_drop_all(void);

/* The default app description of the host build (before any boot). */
void sota_dev_default_app_desc(esp_app_desc_t *out);

#endif
