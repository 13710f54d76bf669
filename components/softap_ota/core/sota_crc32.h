/* CRC-32 (reflected polynomial 0xEDB88320, bit by bit: small, no table) with the
 * calling convention of ESP-IDF's esp_rom_crc32_le(crc, buf, len): the seed is inverted
 * on entry and the result on exit, so
 *   sota_crc32_le(0, buf, len)          is zlib's crc32 (Secure Boot V2 signature blocks);
 *   sota_crc32_le(UINT32_MAX, seq, 4)   is the CRC of an otadata entry's ota_seq.
 * A running CRC continues by passing the previous result as crc. buf may be NULL when
 * len is 0. */
#ifndef SOTA_CRC32_H
#define SOTA_CRC32_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t sota_crc32_le(uint32_t crc, const uint8_t *buf, size_t len)
{
    uint32_t reg = ~crc;
    for (size_t i = 0; i < len; i++) {
        reg ^= buf[i];
        for (int bit = 0; bit < 8; bit++) {
            reg = (reg >> 1) ^ (0xEDB88320u & (0u - (reg & 1u)));
        }
    }
    return ~reg;
}

#endif
