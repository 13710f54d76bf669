/* otadata codec and selection rules (ESP-FORMATS.md 2). See otadata.h. */
#include "otadata.h"
#include "sota_crc32.h"
#include "sota_le.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* esp_rom_crc32_le(UINT32_MAX, le32(seq), 4). */
uint32_t otadata_crc(uint32_t ota_seq)
{
    uint8_t bytes[4];
    sota_wr32(bytes, ota_seq);
    return sota_crc32_le(UINT32_MAX, bytes, sizeof bytes);
}

void otadata_decode(const uint8_t raw[OTADATA_ENTRY_LEN], otadata_entry_t *out)
{
    assert(raw && out);
    out->ota_seq = sota_rd32(raw);
    memcpy(out->seq_label, raw + 4, sizeof out->seq_label);
    out->ota_state = sota_rd32(raw + 24);
    out->crc = sota_rd32(raw + 28);
}

void otadata_encode(const otadata_entry_t *e, uint8_t raw[OTADATA_ENTRY_LEN])
{
    assert(e && raw);
    sota_wr32(raw, e->ota_seq);
    memcpy(raw + 4, e->seq_label, sizeof e->seq_label);
    sota_wr32(raw + 24, e->ota_state);
    sota_wr32(raw + 28, e->crc);
}

otadata_entry_t otadata_make(uint32_t seq, uint32_t state)
{
    otadata_entry_t e;
    e.ota_seq = seq;
    memset(e.seq_label, 0xFF, sizeof e.seq_label);
    e.ota_state = state;
    e.crc = otadata_crc(seq);
    return e;
}

bool otadata_is_invalid(const otadata_entry_t *e)
{
    assert(e);
    return e->ota_seq == OTADATA_SEQ_ERASED || e->ota_state == OTA_STATE_INVALID ||
           e->ota_state == OTA_STATE_ABORTED;
}

bool otadata_is_valid(const otadata_entry_t *e)
{
    return !otadata_is_invalid(e) && e->crc == otadata_crc(e->ota_seq);
}

int otadata_active(const otadata_entry_t e[2])
{
    assert(e);
    bool v0 = otadata_is_valid(&e[0]);
    bool v1 = otadata_is_valid(&e[1]);
    if (v0 && v1) {
        /* the higher sequence number wins; equal numbers: entry 0 */
        return e[1].ota_seq > e[0].ota_seq ? 1 : 0;
    }
    if (v0) {
        return 0;
    }
    if (v1) {
        return 1;
    }
    return -1;
}

uint32_t otadata_slot(const otadata_entry_t *e, uint32_t app_count)
{
    assert(e);
    if (app_count == 0) {
        return UINT32_MAX; /* no OTA slot to map to */
    }
    return (e->ota_seq - 1u) % app_count; /* seq 0 wraps to UINT32_MAX first */
}

const char *otadata_state_name(uint32_t state, char buf[12])
{
    switch (state) {
    case OTA_STATE_NEW: return "NEW";
    case OTA_STATE_PENDING_VERIFY: return "PENDING_VERIFY";
    case OTA_STATE_VALID: return "VALID";
    case OTA_STATE_INVALID: return "INVALID";
    case OTA_STATE_ABORTED: return "ABORTED";
    case OTA_STATE_UNDEFINED: return "UNDEFINED";
    default:
        assert(buf);
        snprintf(buf, 12, "0x%08x", (unsigned)state);
        return buf;
    }
}

nor_err_t otadata_read(nor_flash_t *f, uint32_t part_offset, otadata_entry_t e[2])
{
    if (!f || !e) {
        return NOR_ERR_ARG;
    }
    if (part_offset > UINT32_MAX - OTADATA_SECTOR) {
        return NOR_ERR_RANGE;
    }
    for (int i = 0; i < 2; i++) {
        uint8_t raw[OTADATA_ENTRY_LEN];
        nor_err_t err = nor_read(f, part_offset + (uint32_t)i * OTADATA_SECTOR, raw, sizeof raw);
        if (err != NOR_OK) {
            return err;
        }
        otadata_decode(raw, &e[i]);
    }
    return NOR_OK;
}

nor_err_t otadata_write(nor_flash_t *f, uint32_t part_offset, int idx, const otadata_entry_t *e)
{
    if (!f || !e || (idx != 0 && idx != 1)) {
        return NOR_ERR_ARG;
    }
    if (part_offset > UINT32_MAX - OTADATA_SECTOR) {
        return NOR_ERR_RANGE;
    }
    uint32_t addr = part_offset + (uint32_t)idx * OTADATA_SECTOR;
    uint8_t raw[OTADATA_ENTRY_LEN];
    otadata_encode(e, raw);
    nor_err_t err = nor_erase_sector(f, addr);
    if (err != NOR_OK) {
        return err;
    }
    return nor_program(f, addr, raw, sizeof raw);
}
