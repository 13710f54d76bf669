/* host/idf esp_ota_ops with ESP-IDF master's semantics (ESP-FORMATS.md 2.2): begin
 * checks and erase modes, writes, verification, otadata written by set_boot, the boot
 * that follows (bootloader simulator), app states and rollback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "esp_app_desc.h"
#include "ptable.h"
#include "sota_host_idf.h"
#include "test_idf_ota_fixture.h"

#define SEQ_ERASED OTADATA_SEQ_ERASED

static fx_t *new_booted(bool rollback)
{
    fx_t *fx = fx_new(FX_PT("partitions_two_ota.bin"), FX_IMG("c01_valid_esp32_10k.bin"), rollback);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "factory");
    return fx;
}

static int setup(void **state)
{
    *state = new_booted(false);
    return 0;
}

static int setup_rollback(void **state)
{
    *state = new_booted(true);
    return 0;
}

static int teardown(void **state)
{
    fx_destroy(*state);
    return 0;
}

static void assert_entry(const otadata_entry_t *e, uint32_t seq, uint32_t state)
{
    assert_int_equal(e->ota_seq, seq);
    if (seq != SEQ_ERASED) {
        assert_int_equal(e->ota_state, state);
        assert_int_equal(e->crc, otadata_crc(seq));
    }
}

static void snapshot_otadata(fx_t *fx, uint8_t out[2][32])
{
    memcpy(out[0], nor_map(fx->flash) + FX_OTADATA, 32);
    memcpy(out[1], nor_map(fx->flash) + FX_OTADATA + 0x1000, 32);
}

/* Update slot `label` with img and make it the boot partition. */
static void update_to(const char *label, const char *img)
{
    assert_int_equal(fx_ota(fx_part(label), img, OTA_SIZE_UNKNOWN, 4096), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(fx_part(label)), ESP_OK);
}

/* update_to, then reboot into it. */
static void update_and_boot(fx_t *fx, const char *label, const char *img)
{
    update_to(label, img);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, label);
}

/* ------------------------------------------------------------- esp_ota_begin */

static void test_begin_errors(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *ota0 = fx_part("ota_0");
    fx_put(fx->flash, FX_OTA0, FX_IMG("c01_valid_esp32_10k.bin"));
    esp_partition_t stranger = *ota0;
    stranger.address = 0x310000;
    esp_ota_handle_t h = 0, h2 = 0;
    static const struct {
        int part; /* 0 NULL, 1 ota_0, 2 factory, 3 copy not in the table, 4 ota_0 with NULL handle */
        size_t size;
        esp_err_t want;
    } cases[] = {
        { 0, 0, ESP_ERR_INVALID_ARG },
        { 4, 0, ESP_ERR_INVALID_ARG },
        { 2, 0, ESP_ERR_INVALID_ARG },
        { 3, 0, ESP_ERR_NOT_FOUND },
        { 1, FX_SLOT + 1, ESP_ERR_INVALID_SIZE },      /* N+1: more than the slot */
        { 1, OTA_SIZE_UNKNOWN - 2, ESP_ERR_INVALID_SIZE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const esp_partition_t *p = cases[i].part == 0 ? NULL
                                   : cases[i].part == 2 ? fx_part("factory")
                                   : cases[i].part == 3 ? &stranger
                                                        : ota0;
        assert_int_equal(esp_ota_begin(p, cases[i].size, cases[i].part == 4 ? NULL : &h), cases[i].want);
    }
    /* A refused begin erased nothing and left no handle behind. */
    assert_int_equal(nor_map(fx->flash)[FX_OTA0], 0xE9);
    assert_int_equal(esp_ota_begin(ota0, FX_SLOT, &h), ESP_OK); /* N: exactly the slot */
    assert_true(fx_erased(fx, FX_OTA0, FX_SLOT));
    assert_int_equal(esp_ota_begin(ota0, 0, &h2), ESP_ERR_OTA_ALREADY_IN_PROGRESS);
    assert_int_equal(esp_ota_begin(fx_part("ota_1"), 0, &h2), ESP_OK);
    assert_int_not_equal(h, h2);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    assert_int_equal(esp_ota_abort(h2), ESP_OK);
    assert_int_equal(esp_ota_begin(ota0, 0, &h), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
}

/* Sectors and blocks erased by each esp_ota_begin size mode, then the image written in
 * chunks at their offsets (c02: 102480 bytes into ota_0 at 0x110000). The slot is filled
 * with zeros first so that a missing erase makes the writes fail. */
static void test_erase_per_begin_mode(void **state)
{
    fx_t *fx = *state;
    static const struct {
        size_t size_arg;
        size_t chunk;      /* 0: begin only */
        uint64_t sectors, blocks;
    } cases[] = {
        { 0, 4096, 0, 16 },
        { OTA_SIZE_UNKNOWN, 4096, 0, 16 },
        { 102480, 4096, 10, 1 },                     /* ALIGN_UP(len, 4K) = 0x1A000 */
        { 102480, 1000, 10, 1 },
        { 4096, 0, 1, 0 },                           /* N */
        { 4097, 0, 2, 0 },                           /* N+1 */
        { 1, 0, 1, 0 },
        { 65536, 0, 0, 1 },
        { 65537, 0, 1, 1 },
        { FX_SLOT, 0, 0, 16 },
        { OTA_WITH_SEQUENTIAL_WRITES, 0, 0, 0 },
    };
    fx_blob_t img = fx_load(FX_IMG("c02_valid_esp32_100k.bin"));
    assert_int_equal(img.len, 102480);
    uint8_t *zeros = calloc(1, FX_SLOT);
    assert_non_null(zeros);
    const esp_partition_t *ota0 = fx_part("ota_0");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(nor_load(fx->flash, FX_OTA0, zeros, FX_SLOT), NOR_OK);
        nor_reset_stats(fx->flash);
        esp_ota_handle_t h;
        assert_int_equal(esp_ota_begin(ota0, cases[i].size_arg, &h), ESP_OK);
        for (size_t off = 0; cases[i].chunk && off < img.len; off += cases[i].chunk) {
            size_t n = img.len - off < cases[i].chunk ? img.len - off : cases[i].chunk;
            assert_int_equal(esp_ota_write_with_offset(h, img.data + off, n, (uint32_t)off), ESP_OK);
        }
        nor_stats_t st;
        nor_stats(fx->flash, &st);
        assert_int_equal(st.sector_erases, cases[i].sectors);
        assert_int_equal(st.block_erases, cases[i].blocks);
        if (cases[i].chunk) {
            assert_int_equal(st.bytes_programmed, img.len);
            assert_int_equal(esp_ota_end(h), ESP_OK);
            assert_memory_equal(nor_map(fx->flash) + FX_OTA0, img.data, img.len);
        } else {
            assert_int_equal(esp_ota_abort(h), ESP_OK);
        }
    }
    free(zeros);
    fx_free(&img);
}

static void test_handles(void **state)
{
    (void)state;
    const esp_partition_t *ota0 = fx_part("ota_0");
    esp_ota_handle_t h, h2;
    const uint8_t magic = 0xE9;
    assert_int_equal(esp_ota_begin(ota0, 0, &h), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, &magic, 1, 0), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_end(h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_write_with_offset(h, &magic, 1, 0), ESP_ERR_INVALID_ARG);
    /* end without data: INVALID_ARG, and the handle is released anyway. */
    assert_int_equal(esp_ota_begin(ota0, 0, &h2), ESP_OK);
    assert_true(h2 > h);
    assert_int_equal(esp_ota_end(h2), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_abort(h2), ESP_ERR_NOT_FOUND);
    /* end of an invalid image: VALIDATE_FAILED, handle released. */
    assert_int_equal(esp_ota_begin(ota0, 0, &h), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, &magic, 1, 0), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(esp_ota_abort(h), ESP_ERR_NOT_FOUND);
    assert_true(strlen(sota_host_last_verify_message()) > 0);
}

static void test_write_with_offset(void **state)
{
    (void)state;
    const esp_partition_t *ota1 = fx_part("ota_1");
    fx_blob_t img = fx_load(FX_IMG("c02_valid_esp32_100k.bin"));
    esp_ota_handle_t h;
    size_t half = img.len / 2;
    assert_int_equal(esp_ota_begin(ota1, img.len, &h), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, img.data + half, img.len - half, (uint32_t)half), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, img.data, half, 0), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, NULL, 1, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_write_with_offset(h + 7, img.data, 1, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_write_with_offset(h, img.data, 1, FX_SLOT), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    /* ESP-IDF asserts on this; the host port refuses it. */
    assert_int_equal(esp_ota_begin(ota1, OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write_with_offset(h, img.data, 16, 0), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    fx_free(&img);
}

/* An OTA into a data partition is accepted without app checks, as in ESP-IDF. */
static void test_data_partition(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *nvs = fx_part("nvs");
    esp_ota_handle_t h;
    const uint8_t data[4] = { 1, 2, 3, 4 };
    assert_int_equal(esp_ota_begin(nvs, 0, &h), ESP_OK);
    assert_true(fx_erased(fx, nvs->address, nvs->size));
    assert_int_equal(esp_ota_write_with_offset(h, data, sizeof data, 0), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    assert_memory_equal(nor_map(fx->flash) + nvs->address, data, sizeof data);
}

/* ----------------------------------------------------------- verification */

static void test_invalid_images(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *img;
        size_t size_arg;
        esp_err_t want;         /* fx_ota: first error, or esp_ota_end's result */
        esp_err_t want_desc;    /* esp_ota_get_partition_description afterwards */
    } cases[] = {
        { "c02_valid_esp32_100k.bin", OTA_SIZE_UNKNOWN, ESP_OK, ESP_OK },
        { "c35_trailing_garbage.bin", OTA_SIZE_UNKNOWN, ESP_OK, ESP_OK },      /* ESP-IDF accepts */
        { "c08_bad_appdesc_magic.bin", OTA_SIZE_UNKNOWN, ESP_OK, ESP_ERR_NOT_FOUND },
        { "c07_valid_esp32_nohash.bin", OTA_SIZE_UNKNOWN, ESP_OK, ESP_OK },
        { "c14_flip_payload_byte.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c18_flip_sha_byte.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c27_wrong_chip_id.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c11_truncated_mid_segment.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c12_truncated_in_sha.bin", 0, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c25_seglen_16M.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c22_segcount17.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        /* written whole (write_with_offset checks no first byte): its description is there */
        { "c10_bad_magic.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_OK },
        { "c39_all_ff_64k.bin", OTA_SIZE_UNKNOWN, ESP_ERR_OTA_VALIDATE_FAILED, ESP_ERR_NOT_FOUND },
        { "c36_empty.bin", OTA_SIZE_UNKNOWN, ESP_ERR_INVALID_ARG, ESP_ERR_NOT_FOUND },
        { "c38_too_big_for_1M_slot.bin", 1433712, ESP_ERR_INVALID_SIZE, ESP_ERR_NOT_FOUND },
        { "c38_too_big_for_1M_slot.bin", OTA_SIZE_UNKNOWN, ESP_ERR_INVALID_SIZE, ESP_OK },
    };
    const esp_partition_t *ota0 = fx_part("ota_0");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/images/%s", SOTA_TESTDATA, cases[i].img);
        uint8_t before[2][32], after[2][32];
        assert_int_equal(esp_partition_erase_range(ota0, 0, ota0->size), ESP_OK);
        snapshot_otadata(fx, before);
        esp_err_t got = fx_ota(ota0, path, cases[i].size_arg, 4096);
        if (got != cases[i].want) {
            fail_msg("%s: got 0x%x want 0x%x (%s)", cases[i].img, got, cases[i].want,
                     sota_host_last_verify_message());
        }
        esp_app_desc_t d;
        assert_int_equal(esp_ota_get_partition_description(ota0, &d), cases[i].want_desc);
        esp_err_t set = esp_ota_set_boot_partition(ota0);
        snapshot_otadata(fx, after);
        if (cases[i].want == ESP_OK) {
            assert_int_equal(set, ESP_OK);
            assert_ptr_equal(esp_ota_get_boot_partition(), ota0);
            assert_int_equal(esp_ota_set_boot_partition(fx_part("factory")), ESP_OK);
        } else {
            assert_int_equal(set, ESP_ERR_OTA_VALIDATE_FAILED);
            assert_memory_equal(before, after, sizeof before);        /* otadata untouched */
            assert_ptr_equal(esp_ota_get_boot_partition(), fx_part("factory"));
            assert_true(strlen(sota_host_last_verify_message()) > 0);
        }
    }
    assert_int_equal(esp_ota_set_boot_partition(NULL), ESP_ERR_INVALID_ARG);
    /* A valid image in a data partition is not bootable. */
    const esp_partition_t *nvs = fx_part("nvs");
    assert_int_equal(esp_ota_set_boot_partition(nvs), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(esp_ota_set_boot_partition_skip_validate(nvs), ESP_ERR_INVALID_ARG);
}

/* ---------------------------------------------------- set_boot and booting */

static void test_update_cycle_without_rollback(void **state)
{
    fx_t *fx = *state;
    otadata_entry_t e[2];
    const esp_partition_t *factory = fx_part("factory");
    assert_ptr_equal(esp_ota_get_boot_partition(), factory);
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), fx_part("ota_0"));

    assert_int_equal(fx_ota(fx_part("ota_0"), FX_IMG("c09_valid_esp32_secver7.bin"), OTA_SIZE_UNKNOWN, 4096), ESP_OK);
    fx_otadata(fx, e);
    assert_entry(&e[0], SEQ_ERASED, 0);
    assert_entry(&e[1], SEQ_ERASED, 0);
    assert_int_equal(esp_ota_set_boot_partition(fx_part("ota_0")), ESP_OK);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_UNDEFINED);
    assert_int_equal(e[0].crc, 0x4743989A);
    assert_entry(&e[1], SEQ_ERASED, 0);
    assert_true(fx_erased(fx, FX_OTADATA + 0x1000, 0x1000));
    assert_ptr_equal(esp_ota_get_boot_partition(), fx_part("ota_0"));
    assert_ptr_equal(esp_ota_get_running_partition(), factory);

    assert_int_equal(fx_boot(fx), ESP_OK);
    const esp_partition_t *ota0 = fx_part("ota_0");
    assert_ptr_equal(esp_ota_get_running_partition(), ota0);
    assert_string_equal(esp_app_get_description()->version, "2.3.4-rc1");
    assert_string_equal(esp_app_get_description()->project_name, "ota_demo");
    assert_int_equal(esp_app_get_description()->secure_version, 7);
    esp_app_desc_t d;
    assert_int_equal(esp_ota_get_partition_description(ota0, &d), ESP_OK);
    assert_memory_equal(&d, esp_app_get_description(), sizeof d);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_UNDEFINED); /* rollback off: the bootloader writes nothing */
    esp_ota_img_states_t st;
    assert_int_equal(esp_ota_get_state_partition(ota0, &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_UNDEFINED);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(ota0, 0, &h), ESP_ERR_OTA_PARTITION_CONFLICT);

    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), fx_part("ota_1"));
    update_to("ota_1", FX_IMG("c02_valid_esp32_100k.bin"));
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_UNDEFINED);
    assert_entry(&e[1], 2, OTA_STATE_UNDEFINED);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_1");

    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), ota0);
    update_to("ota_0", FX_IMG("c01_valid_esp32_10k.bin"));
    fx_otadata(fx, e);
    assert_entry(&e[0], 3, OTA_STATE_UNDEFINED);
    assert_entry(&e[1], 2, OTA_STATE_UNDEFINED);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_ptr_equal(esp_ota_get_running_partition(), ota0);

    /* master: setting the active slot again rewrites its own entry, same seq. */
    assert_int_equal(esp_ota_set_boot_partition(ota0), ESP_OK);
    fx_otadata(fx, e);
    assert_entry(&e[0], 3, OTA_STATE_UNDEFINED);
    assert_entry(&e[1], 2, OTA_STATE_UNDEFINED);

    /* Back to factory: otadata erased. */
    assert_int_equal(esp_ota_set_boot_partition(factory), ESP_OK);
    assert_true(fx_erased(fx, FX_OTADATA, 0x2000));
    assert_ptr_equal(esp_ota_get_boot_partition(), factory);
    assert_int_equal(esp_ota_get_state_partition(ota0, &st), ESP_ERR_NOT_FOUND);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_ptr_equal(esp_ota_get_running_partition(), factory);
}

static void test_rollback_cycle(void **state)
{
    fx_t *fx = *state;
    otadata_entry_t e[2];
    esp_ota_img_states_t st;
    esp_ota_handle_t h;
    const esp_partition_t *factory = fx_part("factory");
    assert_int_equal(esp_ota_get_state_partition(factory, &st), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_FAIL); /* running factory */

    update_to("ota_0", FX_IMG("c09_valid_esp32_secver7.bin"));
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_NEW);
    assert_entry(&e[1], SEQ_ERASED, 0);

    /* First boot: the bootloader turns NEW into PENDING_VERIFY. */
    assert_int_equal(fx_boot(fx), ESP_OK);
    const esp_partition_t *ota0 = fx_part("ota_0"), *ota1 = fx_part("ota_1");
    assert_ptr_equal(esp_ota_get_running_partition(), ota0);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_PENDING_VERIFY);
    assert_int_equal(esp_ota_get_state_partition(ota0, &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_PENDING_VERIFY);
    assert_int_equal(esp_ota_get_state_partition(ota1, &st), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_begin(ota1, 0, &h), ESP_ERR_OTA_ROLLBACK_INVALID_STATE);

    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_VALID);
    nor_reset_stats(fx->flash);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK); /* already VALID: no write */
    nor_stats_t ns;
    nor_stats(fx->flash, &ns);
    assert_int_equal(ns.ops, 0);

    update_to("ota_1", FX_IMG("c02_valid_esp32_100k.bin"));
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_VALID);
    assert_entry(&e[1], 2, OTA_STATE_NEW);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_ptr_equal(esp_ota_get_running_partition(), ota1);
    fx_otadata(fx, e);
    assert_entry(&e[1], 2, OTA_STATE_PENDING_VERIFY);
    assert_null(esp_ota_get_last_invalid_partition());

    /* The new app is bad: mark it and reboot into the previous one. */
    if (setjmp(fx->jb) == 0) {
        esp_ota_mark_app_invalid_rollback_and_reboot();
        fail_msg("esp_ota_mark_app_invalid_rollback_and_reboot returned");
    }
    assert_int_equal(fx->restarts, 1);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_VALID);
    assert_entry(&e[1], 2, OTA_STATE_INVALID);
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_ptr_equal(esp_ota_get_running_partition(), ota0);
    assert_ptr_equal(esp_ota_get_boot_partition(), ota0);
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), ota1);
    assert_int_equal(esp_ota_get_state_partition(ota1, &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_INVALID);

    /* The next update first forgets the invalid entry (it names another slot). */
    assert_int_equal(esp_ota_begin(ota1, 0, &h), ESP_OK);
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_VALID);
    assert_entry(&e[1], SEQ_ERASED, 0);
    assert_true(fx_erased(fx, FX_OTADATA + 0x1000, 0x1000));
    assert_null(esp_ota_get_last_invalid_partition());
    assert_int_equal(esp_ota_abort(h), ESP_OK);
}

/* Reset while PENDING_VERIFY: the bootloader aborts the app and boots the previous one. */
static void test_pending_reset_aborts(void **state)
{
    fx_t *fx = *state;
    otadata_entry_t e[2];
    esp_ota_img_states_t st;
    update_to("ota_0", FX_IMG("c09_valid_esp32_secver7.bin"));
    assert_int_equal(fx_boot(fx), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_int_equal(fx_boot(fx), ESP_OK); /* no mark_valid before this reset */
    fx_otadata(fx, e);
    assert_entry(&e[0], 1, OTA_STATE_ABORTED);
    assert_string_equal(esp_ota_get_running_partition()->label, "factory");
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), fx_part("ota_0"));
    assert_int_equal(esp_ota_get_state_partition(fx_part("ota_0"), &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_ABORTED);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_FAIL);
}

static void test_rollback_impossible(void **state)
{
    fx_t *fx = *state;
    update_to("ota_0", FX_IMG("c09_valid_esp32_secver7.bin"));
    assert_int_equal(fx_boot(fx), ESP_OK);
    /* Without a valid factory app there is nothing to go back to. */
    assert_int_equal(esp_partition_erase_range(fx_part("factory"), 0, 0x1000), ESP_OK);
    uint8_t before[2][32], after[2][32];
    snapshot_otadata(fx, before);
    if (setjmp(fx->jb) == 0) {
        assert_int_equal(esp_ota_mark_app_invalid_rollback_and_reboot(), ESP_ERR_OTA_ROLLBACK_FAILED);
    } else {
        fail_msg("restarted although rollback is impossible");
    }
    snapshot_otadata(fx, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(fx->restarts, 0);
    /* Marking it valid is still possible. */
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
}

/* Which entry esp_ota_set_boot_partition writes, with which seq (master). */
static void test_set_boot_seq(void **state)
{
    (void)state;
    enum { ERASED = -1, BADCRC = -2 };
    static const struct {
        const char *table;
        int64_t seq0, seq1;    /* ERASED: sector erased; else seq (BADCRC: seq 1, wrong CRC) */
        uint32_t st0, st1;
        int target;
        bool rollback;
        int want_idx;
        uint32_t want_seq;
    } cases[] = {
        { "partitions_two_ota.bin", ERASED, ERASED, 0, 0, 0, false, 0, 1 },
        { "partitions_two_ota.bin", ERASED, ERASED, 0, 0, 1, true, 0, 2 },
        { "partitions_two_ota.bin", 1, ERASED, OTA_STATE_VALID, 0, 1, false, 1, 2 },
        { "partitions_two_ota.bin", 1, ERASED, OTA_STATE_VALID, 0, 0, true, 0, 1 },
        { "partitions_two_ota.bin", 5, 4, OTA_STATE_VALID, OTA_STATE_VALID, 1, false, 1, 6 },
        { "partitions_two_ota.bin", 5, 6, OTA_STATE_VALID, OTA_STATE_VALID, 0, false, 0, 7 },
        { "partitions_two_ota.bin", 5, 6, OTA_STATE_VALID, OTA_STATE_VALID, 1, true, 1, 6 },
        { "partitions_two_ota.bin", 3, 2, OTA_STATE_INVALID, OTA_STATE_VALID, 0, false, 0, 3 },
        { "partitions_two_ota.bin", 0, ERASED, OTA_STATE_VALID, 0, 1, false, 0, 0 }, /* seq 0 names ota_1 */
        { "partitions_two_ota.bin", 0, ERASED, OTA_STATE_VALID, 0, 0, false, 1, 1 },
        { "partitions_two_ota.bin", BADCRC, ERASED, OTA_STATE_VALID, 0, 1, false, 0, 2 },
        { "partitions_two_ota.bin", 7, 7, OTA_STATE_VALID, OTA_STATE_VALID, 1, false, 1, 8 }, /* tie: entry 0 */
        { "custom_16ota_small.bin", 3, ERASED, OTA_STATE_VALID, 0, 0, false, 1, 17 },
        { "custom_16ota_small.bin", 3, ERASED, OTA_STATE_VALID, 0, 5, false, 1, 6 },
        { "custom_16ota_small.bin", 3, ERASED, OTA_STATE_VALID, 0, 2, false, 0, 3 },
        { "custom_16ota_small.bin", 16, 15, OTA_STATE_VALID, OTA_STATE_VALID, 15, false, 0, 16 },
        { "custom_16ota_small.bin", 16, 15, OTA_STATE_VALID, OTA_STATE_VALID, 0, false, 1, 17 },
        { "custom_16ota_small.bin", 0xFFFFFFF0, ERASED, OTA_STATE_VALID, 0, 0, false, 1, 0xFFFFFFF1 },
    };
    fx_blob_t img = fx_load(FX_IMG("c01_valid_esp32_10k.bin"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/ptables/%s", SOTA_TESTDATA, cases[i].table);
        fx_t *fx = fx_new(path, NULL, cases[i].rollback);
        assert_int_equal(sota_host_attach(&fx->cfg), ESP_OK);
        const esp_partition_t *od = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
        assert_non_null(od);
        const esp_partition_t *slot;
        for (uint8_t s = 0; s < 16 && (slot = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                                                       ESP_PARTITION_SUBTYPE_OTA(s),
                                                                       NULL)) != NULL; s++) {
            assert_int_equal(nor_load(fx->flash, slot->address, img.data, img.len), NOR_OK);
        }
        const int64_t seqs[2] = { cases[i].seq0, cases[i].seq1 };
        const uint32_t sts[2] = { cases[i].st0, cases[i].st1 };
        for (int k = 0; k < 2; k++) {
            if (seqs[k] == ERASED) {
                continue;
            }
            otadata_entry_t e = otadata_make(seqs[k] == BADCRC ? 1 : (uint32_t)seqs[k], sts[k]);
            if (seqs[k] == BADCRC) {
                e.crc ^= 1;
            }
            assert_int_equal(otadata_write(fx->flash, od->address, k, &e), NOR_OK);
        }
        otadata_entry_t before[2], e[2];
        assert_int_equal(otadata_read(fx->flash, od->address, before), NOR_OK);
        const esp_partition_t *target =
            esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(cases[i].target), NULL);
        assert_int_equal(esp_ota_set_boot_partition(target), ESP_OK);
        assert_int_equal(otadata_read(fx->flash, od->address, e), NOR_OK);
        int idx = cases[i].want_idx;
        if (e[idx].ota_seq != cases[i].want_seq) {
            fail_msg("case %zu: entry %d seq %u, want %u", i, idx, e[idx].ota_seq, cases[i].want_seq);
        }
        assert_int_equal(e[idx].crc, otadata_crc(cases[i].want_seq));
        assert_int_equal(e[idx].ota_state, cases[i].rollback ? OTA_STATE_NEW : OTA_STATE_UNDEFINED);
        assert_memory_equal(&e[idx ^ 1], &before[idx ^ 1], sizeof e[0]); /* the other is untouched */
        assert_ptr_equal(esp_ota_get_boot_partition(), target);
        /* The bootloader agrees. */
        boot_opts_t bo = { .rollback_enabled = cases[i].rollback, .write = false };
        boot_result_t br;
        assert_int_equal(boot_select(fx->flash, &bo, &br), BOOT_OK);
        assert_int_equal(br.offset, target->address);
        fx_destroy(fx);
    }
    fx_free(&img);
}

/* Reading otadata: state per slot, boot partition, last invalid partition. */
static void test_otadata_queries(void **state)
{
    fx_t *fx = *state;
    enum { ERASED = -1, BADCRC = -2, NF = -1 };
    static const struct {
        int64_t seq0, seq1;
        uint32_t st0, st1;
        const char *boot;
        int64_t state0, state1;  /* esp_ota_get_state_partition; NF: ESP_ERR_NOT_FOUND */
        const char *last_invalid;
    } cases[] = {
        { ERASED, ERASED, 0, 0, "factory", NF, NF, NULL },
        { 1, ERASED, OTA_STATE_NEW, 0, "ota_0", OTA_STATE_NEW, NF, NULL },
        { 1, 2, OTA_STATE_VALID, OTA_STATE_ABORTED, "ota_0", OTA_STATE_VALID, OTA_STATE_ABORTED, "ota_1" },
        { 3, 1, OTA_STATE_INVALID, OTA_STATE_VALID, "ota_0", OTA_STATE_INVALID, NF, "ota_0" },
        { BADCRC, 3, OTA_STATE_VALID, OTA_STATE_PENDING_VERIFY, "ota_0", OTA_STATE_PENDING_VERIFY, NF, NULL },
        { BADCRC, ERASED, OTA_STATE_VALID, 0, "factory", NF, NF, NULL },           /* no active entry */
        { 2, 4, OTA_STATE_VALID, OTA_STATE_UNDEFINED, "ota_1", NF, OTA_STATE_VALID, NULL },
        { 4, 3, OTA_STATE_ABORTED, OTA_STATE_INVALID, "factory", OTA_STATE_INVALID, OTA_STATE_ABORTED, "ota_0" },
        { 0x55, ERASED, 0x55, 0, "ota_0", 0x55, NF, NULL },                       /* odd state: like VALID */
    };
    fx_put(fx->flash, FX_OTA0, FX_IMG("c01_valid_esp32_10k.bin"));
    fx_put(fx->flash, FX_OTA1, FX_IMG("c02_valid_esp32_100k.bin"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t seqs[2] = { cases[i].seq0, cases[i].seq1 };
        const uint32_t sts[2] = { cases[i].st0, cases[i].st1 };
        for (int k = 0; k < 2; k++) {
            assert_int_equal(nor_erase_sector(fx->flash, FX_OTADATA + (uint32_t)k * 0x1000), NOR_OK);
            if (seqs[k] != ERASED) {
                otadata_entry_t e = otadata_make(seqs[k] == BADCRC ? 1 : (uint32_t)seqs[k], sts[k]);
                if (seqs[k] == BADCRC) {
                    e.crc ^= 1;
                }
                assert_int_equal(otadata_write(fx->flash, FX_OTADATA, k, &e), NOR_OK);
            }
        }
        const esp_partition_t *boot = esp_ota_get_boot_partition();
        assert_non_null(boot);
        assert_string_equal(boot->label, cases[i].boot);
        const int64_t want[2] = { cases[i].state0, cases[i].state1 };
        for (int s = 0; s < 2; s++) {
            esp_ota_img_states_t st = (esp_ota_img_states_t)0x77;
            const esp_partition_t *slot = fx_part(s ? "ota_1" : "ota_0");
            esp_err_t err = esp_ota_get_state_partition(slot, &st);
            if (want[s] == NF) {
                assert_int_equal(err, ESP_ERR_NOT_FOUND);
            } else {
                assert_int_equal(err, ESP_OK);
                assert_int_equal((uint32_t)st, (uint32_t)want[s]);
            }
        }
        const esp_partition_t *li = esp_ota_get_last_invalid_partition();
        if (cases[i].last_invalid) {
            assert_non_null(li);
            assert_string_equal(li->label, cases[i].last_invalid);
        } else {
            assert_null(li);
        }
    }
    esp_ota_img_states_t st;
    assert_int_equal(esp_ota_get_state_partition(NULL, &st), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_state_partition(fx_part("ota_0"), NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_state_partition(fx_part("nvs"), &st), ESP_ERR_NOT_SUPPORTED);
}

static void test_next_update_partition(void **state)
{
    (void)state;
    static const struct {
        const char *table;
        const char *from; /* NULL: the running partition (factory or ota_0) */
        const char *want;
    } cases[] = {
        { "partitions_two_ota.bin", "factory", "ota_0" },
        { "partitions_two_ota.bin", "ota_0", "ota_1" },
        { "partitions_two_ota.bin", "ota_1", "ota_0" },
        { "partitions_two_ota.bin", "nvs", "ota_0" },
        { "partitions_two_ota.bin", NULL, "ota_0" },
        { "custom_16ota_small.bin", "ota_3", "ota_4" },
        { "custom_16ota_small.bin", "ota_15", "ota_0" },
        { "custom_16ota_small.bin", NULL, "ota_1" },
        { "partitions_singleapp.bin", "factory", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/ptables/%s", SOTA_TESTDATA, cases[i].table);
        bool factory = strcmp(cases[i].table, "custom_16ota_small.bin") != 0;
        fx_t *fx = fx_new(path, factory ? FX_IMG("c01_valid_esp32_10k.bin") : NULL, false);
        if (!factory) {
            /* No factory: the bootloader tries ota_0 first. */
            const uint32_t ota0 = 0x10000;
            fx_put(fx->flash, ota0, FX_IMG("c01_valid_esp32_10k.bin"));
        }
        assert_int_equal(fx_boot(fx), ESP_OK);
        const esp_partition_t *from = cases[i].from ? fx_part(cases[i].from) : NULL;
        const esp_partition_t *got = esp_ota_get_next_update_partition(from);
        if (cases[i].want) {
            assert_non_null(got);
            assert_string_equal(got->label, cases[i].want);
        } else {
            assert_null(got);
        }
        fx_destroy(fx);
    }
}

static void test_partition_description(void **state)
{
    fx_t *fx = *state;
    esp_app_desc_t d;
    assert_int_equal(esp_ota_get_partition_description(fx_part("factory"), &d), ESP_OK);
    assert_string_equal(d.project_name, "oracle_app");
    assert_string_equal(d.version, "1.0.0");
    assert_int_equal(esp_ota_get_partition_description(fx_part("ota_0"), &d), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_get_partition_description(fx_part("nvs"), &d), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_ota_get_partition_description(NULL, &d), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_partition_description(fx_part("ota_0"), NULL), ESP_ERR_INVALID_ARG);
    fx_put(fx->flash, FX_OTA1, FX_IMG("c09_valid_esp32_secver7.bin"));
    assert_int_equal(esp_ota_get_partition_description(fx_part("ota_1"), &d), ESP_OK);
    assert_string_equal(d.version, "2.3.4-rc1");
    assert_int_equal(d.secure_version, 7);
}

static void test_invalidate_inactive_ota_data_slot(void **state)
{
    (void)state;
    fx_t *fx = new_booted(false);
    assert_int_equal(esp_ota_invalidate_inactive_ota_data_slot(), ESP_FAIL); /* running factory */
    update_and_boot(fx, "ota_0", FX_IMG("c01_valid_esp32_10k.bin"));
    assert_int_equal(esp_ota_invalidate_inactive_ota_data_slot(), ESP_FAIL); /* no inactive entry */
    update_and_boot(fx, "ota_1", FX_IMG("c02_valid_esp32_100k.bin"));
    assert_int_equal(esp_ota_invalidate_inactive_ota_data_slot(), ESP_OK);
    otadata_entry_t e[2];
    fx_otadata(fx, e);
    assert_entry(&e[0], SEQ_ERASED, 0);
    assert_entry(&e[1], 2, OTA_STATE_UNDEFINED);
    assert_false(fx_erased(fx, FX_OTA0, FX_SLOT));                 /* the app stays */
    assert_int_equal(esp_ota_invalidate_inactive_ota_data_slot(), ESP_FAIL);
    fx_destroy(fx);
}

/* esp_ota_begin into an OTA slot erases the inactive otadata entry on ESP-IDF 5.5 and
 * later (esp_ota_invalidate_inactive_ota_data_slot, with rollback); earlier releases
 * leave otadata alone until the new slot is selected. */
static void test_begin_inactive_entry_by_release(void **state)
{
    (void)state;
    static const struct { uint32_t release; bool erased; } rows[] = {
        { ESP_IDF_VERSION_VAL(5, 0, 0), false }, { ESP_IDF_VERSION_VAL(5, 4, 2), false },
        { ESP_IDF_VERSION_VAL(5, 5, 2), true },  { ESP_IDF_VERSION_VAL(6, 0, 0), true },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sota_host_idf_set_release(rows[i].release);
        fx_t *fx = new_booted(true);
        update_and_boot(fx, "ota_0", FX_IMG("c01_valid_esp32_10k.bin"));
        assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
        update_and_boot(fx, "ota_1", FX_IMG("c02_valid_esp32_100k.bin"));
        assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
        otadata_entry_t e[2];
        fx_otadata(fx, e);
        assert_entry(&e[0], 1, OTA_STATE_VALID);
        assert_entry(&e[1], 2, OTA_STATE_VALID);
        esp_ota_handle_t h;
        assert_int_equal(esp_ota_begin(fx_part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
        fx_otadata(fx, e);
        if (rows[i].erased) {
            assert_entry(&e[0], SEQ_ERASED, 0);
        } else {
            assert_entry(&e[0], 1, OTA_STATE_VALID);
        }
        assert_entry(&e[1], 2, OTA_STATE_VALID);
        assert_int_equal(esp_ota_abort(h), ESP_OK);
        fx_destroy(fx);
    }
    size_t n;
    sota_host_idf_set_release(sota_host_idf_modelled(&n)[n - 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_begin_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_per_begin_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_with_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_cycle_without_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_cycle, setup_rollback, teardown),
        cmocka_unit_test_setup_teardown(test_pending_reset_aborts, setup_rollback, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_impossible, setup_rollback, teardown),
        cmocka_unit_test(test_set_boot_seq),
        cmocka_unit_test_setup_teardown(test_otadata_queries, setup, teardown),
        cmocka_unit_test(test_next_update_partition),
        cmocka_unit_test_setup_teardown(test_partition_description, setup, teardown),
        cmocka_unit_test(test_invalidate_inactive_ota_data_slot),
        cmocka_unit_test(test_begin_inactive_entry_by_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
