/* Unit tests of the chip table (core/sota_chip.h) and the SHA-256 seam (core/sota_sha256.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sota_chip.h"
#include "sota_sha256.h"

/* Values checked against ESP-IDF master (esp_app_format.h, soc/<chip>/soc.h,
 * soc_caps.h, esp_rom/<chip>/Kconfig.soc_caps.in). */
static const struct {
    const char *name;
    uint16_t id;
    uint32_t irom_low, irom_high, drom_low, drom_high;
    bool configurable, limit32;
    uint16_t rev;
    uint32_t boot;
} s_expect[] = {
    { "esp32", 0, 0x400D0000, 0x40400000, 0x3F400000, 0x3F800000, false, false, 300, 0x1000 },
    { "esp32s2", 2, 0x40080000, 0x40800000, 0x3F000000, 0x3FF80000, false, false, 0, 0x1000 },
    { "esp32s3", 9, 0x42000000, 0x44000000, 0x3C000000, 0x3E000000, false, true, 2, 0 },
    { "esp32c3", 5, 0x42000000, 0x42800000, 0x3C000000, 0x3C800000, false, false, 4, 0 },
    { "esp32c2", 12, 0x42000000, 0x42400000, 0x3C000000, 0x3C400000, true, false, 0, 0 },
    { "esp32c6", 13, 0x42000000, 0x43000000, 0x42000000, 0x43000000, true, false, 0, 0 },
    { "esp32h2", 16, 0x42000000, 0x43000000, 0x42000000, 0x43000000, true, false, 0, 0 },
    { "esp32p4", 18, 0x40000000, 0x44000000, 0x40000000, 0x44000000, false, true, 0, 0x2000 },
    { "esp32c5", 23, 0x42000000, 0x44000000, 0x42000000, 0x44000000, false, true, 0, 0x2000 },
    { "esp32c61", 20, 0x42000000, 0x44000000, 0x42000000, 0x44000000, true, true, 0, 0 },
};

static void test_table(void **state)
{
    (void)state;
    size_t n = 0;
    const sota_chip_t *list = sota_chip_list(&n);
    assert_int_equal(n, sizeof s_expect / sizeof s_expect[0]);
    for (size_t i = 0; i < n; i++) {
        const sota_chip_t *c = sota_chip_by_name(s_expect[i].name);
        assert_non_null(c);
        assert_ptr_equal(sota_chip_by_id(s_expect[i].id), c);
        assert_string_equal(c->name, s_expect[i].name);
        assert_int_equal(c->chip_id, s_expect[i].id);
        assert_int_equal(c->irom_low, s_expect[i].irom_low);
        assert_int_equal(c->irom_high, s_expect[i].irom_high);
        assert_int_equal(c->drom_low, s_expect[i].drom_low);
        assert_int_equal(c->drom_high, s_expect[i].drom_high);
        assert_int_equal(c->mmu_page_configurable, s_expect[i].configurable);
        assert_int_equal(c->flash_32bit_limit, s_expect[i].limit32);
        assert_int_equal(c->default_rev, s_expect[i].rev);
        assert_int_equal(c->bootloader_offset, s_expect[i].boot);
        assert_int_equal(c->efuse_blk_check, s_expect[i].id != 0);
        /* unique ids and names */
        for (size_t k = 0; k < i; k++) {
            assert_int_not_equal(list[k].chip_id, list[i].chip_id);
            assert_string_not_equal(list[k].name, list[i].name);
        }
    }
    assert_ptr_equal(sota_chip_by_name("ESP32C3"), sota_chip_by_name("esp32c3"));
    assert_ptr_equal(sota_chip_by_name("Esp32S3"), sota_chip_by_name("esp32s3"));
    assert_null(sota_chip_by_name("esp32c"));
    assert_null(sota_chip_by_name("esp32c33"));
    assert_null(sota_chip_by_name("esp8266"));
    assert_null(sota_chip_by_name(""));
    assert_null(sota_chip_by_name(NULL));
    assert_null(sota_chip_by_id(1));
    assert_null(sota_chip_by_id(0xFFFF));
}

static void test_parse_rev(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rev;
    } cases[] = {
        { "3.0", 300 }, { "v3.0", 300 }, { "V3.0", 300 }, { "3", 300 }, { "0.2", 2 },
        { "0.4", 4 }, { "3.1", 301 }, { "1.10", 110 }, { "3.99", 399 }, { "0", 0 },
        { "655.35", 65535 }, { "655", 65500 }, { "0.0", 0 },
        { "", -1 }, { "v", -1 }, { "3.", -1 }, { ".3", -1 }, { "3.100", -1 }, { "656", -1 },
        { "1000", -1 }, { "3.0x", -1 }, { "-1", -1 }, { "3,0", -1 }, { " 3.0", -1 },
        { "3.0.1", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (sota_chip_parse_rev(cases[i].text) != cases[i].rev) {
            fail_msg("parse_rev('%s') = %d, expected %d", cases[i].text,
                     sota_chip_parse_rev(cases[i].text), cases[i].rev);
        }
    }
    assert_int_equal(sota_chip_parse_rev(NULL), -1);
}

/* should_map() at every window edge: low-1, low, high-1, high. */
static void test_mapping_edges(void **state)
{
    (void)state;
    size_t n = 0;
    const sota_chip_t *list = sota_chip_list(&n);
    for (size_t i = 0; i < n; i++) {
        const sota_chip_t *c = &list[i];
        const uint32_t lows[] = { c->irom_low, c->drom_low };
        const uint32_t highs[] = { c->irom_high, c->drom_high };
        for (int w = 0; w < 2; w++) {
            assert_true(sota_chip_is_mapped(c, lows[w]));
            assert_true(sota_chip_is_mapped(c, highs[w] - 1));
        }
        /* just outside both windows (where the other window does not continue) */
        uint32_t below = (c->irom_low < c->drom_low ? c->irom_low : c->drom_low) - 1;
        uint32_t above = c->irom_high > c->drom_high ? c->irom_high : c->drom_high;
        if (!(c->extram_low <= above && above < c->extram_high)) {
            assert_false(sota_chip_is_mapped(c, above));
        }
        if (c->drom_high != c->irom_low && c->irom_high != c->drom_low) {
            assert_false(sota_chip_is_mapped(c, below));
        }
        assert_false(sota_chip_is_mapped(c, c->iram_low));
        assert_false(sota_chip_is_mapped(c, c->dram_low));
        assert_false(sota_chip_is_mapped(c, 0));
    }
    const sota_chip_t *p4 = sota_chip_by_name("esp32p4");
    assert_true(sota_chip_is_mapped(p4, 0x48000000));      /* PSRAM window */
    assert_true(sota_chip_is_mapped(p4, 0x4BFFFFFF));
    assert_false(sota_chip_is_mapped(p4, 0x4C000000));
}

static void test_regions(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint32_t addr;
        sota_region_t region;
        const char *name;
    } cases[] = {
        { "esp32", 0x3F400020, SOTA_REGION_DROM, "DROM" },
        { "esp32", 0x400D0020, SOTA_REGION_IROM, "IROM" },
        { "esp32", 0x3FFB0000, SOTA_REGION_DRAM, "DRAM" },
        { "esp32", 0x40080000, SOTA_REGION_IRAM, "IRAM" },
        { "esp32", 0x00000000, SOTA_REGION_NONE, "not loaded" },
        { "esp32", 0x0FFFFFFF, SOTA_REGION_NONE, "not loaded" },
        { "esp32", 0x50000000, SOTA_REGION_OTHER, "other RAM" },   /* RTC slow memory */
        { "esp32c6", 0x42000020, SOTA_REGION_FLASH, "IROM/DROM" },
        { "esp32c6", 0x40800000, SOTA_REGION_RAM, "RAM" },
        { "esp32p4", 0x48000000, SOTA_REGION_EXTRAM, "EXTRAM" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sota_chip_t *c = sota_chip_by_name(cases[i].chip);
        assert_int_equal(sota_chip_region(c, cases[i].addr), cases[i].region);
        assert_string_equal(sota_chip_region_name(cases[i].region), cases[i].name);
    }
    assert_string_equal(sota_chip_region_name((sota_region_t)99), "?");
}

/* ---- SHA-256 seam ---- */

static void hex(const uint8_t *d, char out[65])
{
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void test_sha256(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        size_t repeat;
        const char *digest;
    } cases[] = {   /* FIPS 180-2 examples */
        { "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          10000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].msg);
        /* whole pieces, then byte by byte for the short ones */
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            if (bytewise && cases[i].repeat > 1) {
                continue;
            }
            sota_sha256_t ctx;
            uint8_t d[SOTA_SHA256_LEN];
            char got[65];
            assert_int_equal(sota_sha256_start(&ctx), 0);
            for (size_t r = 0; r < cases[i].repeat; r++) {
                if (bytewise) {
                    for (size_t k = 0; k < len; k++) {
                        assert_int_equal(sota_sha256_update(&ctx, cases[i].msg + k, 1), 0);
                    }
                } else {
                    assert_int_equal(sota_sha256_update(&ctx, cases[i].msg, len), 0);
                }
            }
            assert_int_equal(sota_sha256_update(&ctx, NULL, 0), 0);
            assert_int_equal(sota_sha256_finish(&ctx, d), 0);
            hex(d, got);
            assert_string_equal(got, cases[i].digest);
        }
    }
    /* an abandoned context can be released, twice */
    sota_sha256_t ctx;
    assert_int_equal(sota_sha256_start(&ctx), 0);
    assert_int_equal(sota_sha256_update(&ctx, "abc", 3), 0);
    sota_sha256_free(&ctx);
    sota_sha256_free(&ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_parse_rev),
        cmocka_unit_test(test_mapping_edges),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
