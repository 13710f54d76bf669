/* otadata: the two-sector data/ota partition that tells the bootloader which OTA slot
 * to boot (ESP-FORMATS.md 2). Codec, CRC, the selection rules shared by the bootloader
 * and esp_ota_ops, and reading/writing the entries on the emulated flash. */
#ifndef OTADATA_H
#define OTADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "nor_flash.h"

#define OTADATA_SIZE       0x2000u
#define OTADATA_SECTOR     0x1000u
#define OTADATA_ENTRY_LEN  32u
#define OTADATA_SEQ_ERASED 0xFFFFFFFFu

/* esp_ota_img_states_t values */
#define OTA_STATE_NEW            0x0u
#define OTA_STATE_PENDING_VERIFY 0x1u
#define OTA_STATE_VALID          0x2u
#define OTA_STATE_INVALID        0x3u
#define OTA_STATE_ABORTED        0x4u
#define OTA_STATE_UNDEFINED      0xFFFFFFFFu

/* esp_ota_select_entry_t */
typedef struct {
    uint32_t ota_seq;
    uint8_t seq_label[20];
    uint32_t ota_state;
    uint32_t crc;
} otadata_entry_t;

/* CRC as ESP-IDF stores it: esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4). */
uint32_t otadata_crc(uint32_t ota_seq);
void otadata_decode(const uint8_t raw[OTADATA_ENTRY_LEN], otadata_entry_t *out);
void otadata_encode(const otadata_entry_t *e, uint8_t raw[OTADATA_ENTRY_LEN]);
/* A fresh entry {seq, 0xFF label, state, crc}. */
otadata_entry_t otadata_make(uint32_t seq, uint32_t state);

/* bootloader_common_ota_select_invalid / _valid */
bool otadata_is_invalid(const otadata_entry_t *e);
bool otadata_is_valid(const otadata_entry_t *e);
/* bootloader_common_get_active_otadata: index 0 or 1 of the active entry, or -1. */
int otadata_active(const otadata_entry_t e[2]);
/* Slot of an entry for app_count OTA slots: (seq - 1) mod app_count, uint32 wrap.
 * app_count 0 (no OTA slot): UINT32_MAX. */
uint32_t otadata_slot(const otadata_entry_t *e, uint32_t app_count);
/* "NEW", "PENDING_VERIFY", ... or "0x%08x" for other values (buf used then). */
const char *otadata_state_name(uint32_t state, char buf[12]);

/* Read both entries of the otadata partition at flash offset part_offset.
 * Returns NOR_OK, NOR_ERR_ARG (NULL), NOR_ERR_RANGE (past the chip end) or the
 * flash's error (NOR_ERR_POWER_CUT). e is undefined on failure. */
nor_err_t otadata_read(nor_flash_t *f, uint32_t part_offset, otadata_entry_t e[2]);
/* Erase sector idx (0 or 1) of the partition and write entry e there (all 32 bytes,
 * seq_label and crc as given). Returns NOR_OK, NOR_ERR_ARG (NULL or idx not 0/1),
 * NOR_ERR_RANGE/NOR_ERR_ALIGN (part_offset outside the chip or not sector aligned) or
 * the flash's error (NOR_ERR_POWER_CUT: the sector may be left erased or torn). */
nor_err_t otadata_write(nor_flash_t *f, uint32_t part_offset, int idx, const otadata_entry_t *e);

#endif
