/* The chip table. Sources (ESP-IDF master): chip ids from esp_app_format.h; IROM/DROM
 * windows, IRAM/DRAM and the P4's external RAM window from components/soc/<chip>/include/
 * soc/soc.h (C6/H2: SOC_IROM_HIGH = low + (SOC_MMU_PAGE_SIZE << 8) with a 64 KiB page);
 * SOC_MMU_PAGE_SIZE_CONFIGURABLE and SOC_SPI_MEM_SUPPORT_CACHE_32BIT_ADDR_MAP from
 * soc_caps.h; the bootloader offset from esp_rom/<chip>/Kconfig.soc_caps.in
 * (ESP_ROM_BOOTLOADER_OFFSET_FLASH). */
#include "sota_chip.h"

#include <string.h>

static const sota_chip_t s_chips[] = {
    { .name = "esp32", .chip_id = 0,
      .irom_low = 0x400D0000, .irom_high = 0x40400000,
      .drom_low = 0x3F400000, .drom_high = 0x3F800000,
      .mmu_page_configurable = false, .flash_32bit_limit = false,
      .default_rev = 300, .bootloader_offset = 0x1000,
      .iram_low = 0x40080000, .iram_high = 0x400AA000,
      .dram_low = 0x3FFAE000, .dram_high = 0x40000000, .efuse_blk_check = false },
    { .name = "esp32s2", .chip_id = 2,
      .irom_low = 0x40080000, .irom_high = 0x40800000,
      .drom_low = 0x3F000000, .drom_high = 0x3FF80000,
      .mmu_page_configurable = false, .flash_32bit_limit = false,
      .default_rev = 0, .bootloader_offset = 0x1000,
      .iram_low = 0x40020000, .iram_high = 0x40070000,
      .dram_low = 0x3FFB0000, .dram_high = 0x40000000, .efuse_blk_check = true },
    { .name = "esp32s3", .chip_id = 9,
      .irom_low = 0x42000000, .irom_high = 0x44000000,
      .drom_low = 0x3C000000, .drom_high = 0x3E000000,
      .mmu_page_configurable = false, .flash_32bit_limit = true,
      .default_rev = 2, .bootloader_offset = 0x0,
      .iram_low = 0x40370000, .iram_high = 0x403E0000,
      .dram_low = 0x3FC88000, .dram_high = 0x3FD00000, .efuse_blk_check = true },
    { .name = "esp32c3", .chip_id = 5,
      .irom_low = 0x42000000, .irom_high = 0x42800000,
      .drom_low = 0x3C000000, .drom_high = 0x3C800000,
      .mmu_page_configurable = false, .flash_32bit_limit = false,
      .default_rev = 4, .bootloader_offset = 0x0,
      .iram_low = 0x4037C000, .iram_high = 0x403E0000,
      .dram_low = 0x3FC80000, .dram_high = 0x3FCE0000, .efuse_blk_check = true },
    { .name = "esp32c2", .chip_id = 12,
      .irom_low = 0x42000000, .irom_high = 0x42400000,
      .drom_low = 0x3C000000, .drom_high = 0x3C400000,
      .mmu_page_configurable = true, .flash_32bit_limit = false,
      .default_rev = 0, .bootloader_offset = 0x0,
      .iram_low = 0x4037C000, .iram_high = 0x403C0000,
      .dram_low = 0x3FCA0000, .dram_high = 0x3FCE0000, .efuse_blk_check = true },
    { .name = "esp32c6", .chip_id = 13,
      .irom_low = 0x42000000, .irom_high = 0x43000000,
      .drom_low = 0x42000000, .drom_high = 0x43000000,
      .mmu_page_configurable = true, .flash_32bit_limit = false,
      .default_rev = 0, .bootloader_offset = 0x0,
      .iram_low = 0x40800000, .iram_high = 0x40880000,
      .dram_low = 0x40800000, .dram_high = 0x40880000, .efuse_blk_check = true },
    { .name = "esp32h2", .chip_id = 16,
      .irom_low = 0x42000000, .irom_high = 0x43000000,
      .drom_low = 0x42000000, .drom_high = 0x43000000,
      .mmu_page_configurable = true, .flash_32bit_limit = false,
      .default_rev = 0, .bootloader_offset = 0x0,
      .iram_low = 0x40800000, .iram_high = 0x40850000,
      .dram_low = 0x40800000, .dram_high = 0x40850000, .efuse_blk_check = true },
    { .name = "esp32p4", .chip_id = 18,
      .irom_low = 0x40000000, .irom_high = 0x44000000,
      .drom_low = 0x40000000, .drom_high = 0x44000000,
      .mmu_page_configurable = false, .flash_32bit_limit = true,
      .default_rev = 0, .bootloader_offset = 0x2000,
      .extram_low = 0x48000000, .extram_high = 0x4C000000,
      .iram_low = 0x4FF00000, .iram_high = 0x4FFC0000,
      .dram_low = 0x4FF00000, .dram_high = 0x4FFC0000, .efuse_blk_check = true },
    { .name = "esp32c5", .chip_id = 23,
      .irom_low = 0x42000000, .irom_high = 0x44000000,
      .drom_low = 0x42000000, .drom_high = 0x44000000,
      .mmu_page_configurable = false, .flash_32bit_limit = true,
      .default_rev = 0, .bootloader_offset = 0x2000,
      .iram_low = 0x40800000, .iram_high = 0x40860000,
      .dram_low = 0x40800000, .dram_high = 0x40860000, .efuse_blk_check = true },
    { .name = "esp32c61", .chip_id = 20,
      .irom_low = 0x42000000, .irom_high = 0x44000000,
      .drom_low = 0x42000000, .drom_high = 0x44000000,
      .mmu_page_configurable = true, .flash_32bit_limit = true,
      .default_rev = 0, .bootloader_offset = 0x0,
      .iram_low = 0x40800000, .iram_high = 0x40850000,
      .dram_low = 0x40800000, .dram_high = 0x40850000, .efuse_blk_check = true },
};

#define CHIP_COUNT (sizeof s_chips / sizeof s_chips[0])

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool same_name(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower(*a++) != lower(*b++)) {
            return false;
        }
    }
    return *a == *b;
}

const sota_chip_t *sota_chip_by_name(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < CHIP_COUNT; i++) {
        if (same_name(name, s_chips[i].name)) {
            return &s_chips[i];
        }
    }
    return NULL;
}

const sota_chip_t *sota_chip_by_id(uint16_t chip_id)
{
    for (size_t i = 0; i < CHIP_COUNT; i++) {
        if (s_chips[i].chip_id == chip_id) {
            return &s_chips[i];
        }
    }
    return NULL;
}

const sota_chip_t *sota_chip_list(size_t *count)
{
    if (count != NULL) {
        *count = CHIP_COUNT;
    }
    return s_chips;
}

/* Reads 1..max_digits decimal digits at *p; returns the value or -1. */
static long read_digits(const char **p, int max_digits)
{
    long v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > max_digits) {
            return -1;
        }
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return n == 0 ? -1 : v;
}

int sota_chip_parse_rev(const char *text)
{
    if (text == NULL) {
        return -1;
    }
    const char *p = text;
    if (*p == 'v' || *p == 'V') {
        p++;
    }
    long major = read_digits(&p, 3);
    if (major < 0 || major > 655) {
        return -1;
    }
    long minor = 0;
    if (*p == '.') {
        p++;
        minor = read_digits(&p, 2);
        if (minor < 0) {
            return -1;
        }
    }
    if (*p != '\0') {
        return -1;
    }
    return (int)(major * 100 + minor);
}

static bool in(uint32_t addr, uint32_t low, uint32_t high)
{
    return addr >= low && addr < high;
}

bool sota_chip_is_mapped(const sota_chip_t *chip, uint32_t addr)
{
    return in(addr, chip->irom_low, chip->irom_high) || in(addr, chip->drom_low, chip->drom_high)
           || in(addr, chip->extram_low, chip->extram_high);
}

sota_region_t sota_chip_region(const sota_chip_t *chip, uint32_t addr)
{
    bool irom = in(addr, chip->irom_low, chip->irom_high);
    bool drom = in(addr, chip->drom_low, chip->drom_high);
    bool iram = in(addr, chip->iram_low, chip->iram_high);
    bool dram = in(addr, chip->dram_low, chip->dram_high);
    if (irom && drom) {
        return SOTA_REGION_FLASH;
    }
    if (irom) {
        return SOTA_REGION_IROM;
    }
    if (drom) {
        return SOTA_REGION_DROM;
    }
    if (in(addr, chip->extram_low, chip->extram_high)) {
        return SOTA_REGION_EXTRAM;
    }
    if (addr < 0x10000000u) {
        return SOTA_REGION_NONE; /* esp_image_format.c: reserved, never loaded */
    }
    if (iram && dram) {
        return SOTA_REGION_RAM;
    }
    if (iram) {
        return SOTA_REGION_IRAM;
    }
    if (dram) {
        return SOTA_REGION_DRAM;
    }
    return SOTA_REGION_OTHER;
}

const char *sota_chip_region_name(sota_region_t region)
{
    switch (region) {
    case SOTA_REGION_NONE:   return "not loaded";
    case SOTA_REGION_IROM:   return "IROM";
    case SOTA_REGION_DROM:   return "DROM";
    case SOTA_REGION_FLASH:  return "IROM/DROM";
    case SOTA_REGION_EXTRAM: return "EXTRAM";
    case SOTA_REGION_IRAM:   return "IRAM";
    case SOTA_REGION_DRAM:   return "DRAM";
    case SOTA_REGION_RAM:    return "RAM";
    case SOTA_REGION_OTHER:  return "other RAM";
    }
    return "?";
}
