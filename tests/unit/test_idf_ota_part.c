/* host/idf esp_partition on the simulated flash: look-ups, bounds and erase rules, NOR
 * write rules, block erases, SHA-256, and the device runtime (boot, reset reason,
 * restart, chip info, app description). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>
#include <unistd.h>

#include "esp_app_desc.h"
#include "esp_chip_info.h"
#include "esp_idf_version.h"
#include "ptable.h"
#include "test_idf_ota_fixture.h"

static int setup(void **state)
{
    fx_t *fx = fx_new(FX_PT("partitions_two_ota.bin"), FX_IMG("c01_valid_esp32_10k.bin"), false);
    assert_int_equal(fx_boot(fx), ESP_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_destroy(*state);
    return 0;
}

/* ---------------------------------------------------------------- look-ups */

static void test_find_order_and_fields(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        esp_partition_type_t type;
        esp_partition_subtype_t subtype;
        uint32_t address, size;
    } want[] = {
        { "nvs", ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, 0x9000, 0x4000 },
        { "otadata", ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, 0xd000, 0x2000 },
        { "phy_init", ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_PHY, 0xf000, 0x1000 },
        { "factory", ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, 0x10000, 0x100000 },
        { "ota_0", ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_0, 0x110000, 0x100000 },
        { "ota_1", ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_1, 0x210000, 0x100000 },
    };
    size_t n = 0;
    for (esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
         it; it = esp_partition_next(it), n++) {
        const esp_partition_t *p = esp_partition_get(it);
        assert_true(n < sizeof want / sizeof want[0]);
        assert_string_equal(p->label, want[n].label);
        assert_int_equal(p->type, want[n].type);
        assert_int_equal(p->subtype, want[n].subtype);
        assert_int_equal(p->address, want[n].address);
        assert_int_equal(p->size, want[n].size);
        assert_int_equal(p->erase_size, 0x1000);
        assert_null(p->flash_chip);
        assert_false(p->encrypted);
        assert_false(p->readonly);
    }
    assert_int_equal(n, sizeof want / sizeof want[0]);
}

static void test_find_filters(void **state)
{
    (void)state;
    static const struct {
        esp_partition_type_t type;
        esp_partition_subtype_t subtype;
        const char *label;
        const char *labels; /* expected matches, space separated; "" none */
    } cases[] = {
        { ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, NULL, "factory ota_0 ota_1" },
        { ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, NULL, "nvs otadata phy_init" },
        { ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_1, NULL, "ota_1" },
        { ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(1), NULL, "ota_1" },
        { ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(17), NULL, "ota_1" }, /* i mod 16 */
        { ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_2, NULL, "" },
        { ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, "ota_0", "ota_0" },
        { ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, "ota_0", "" },      /* label and type */
        { ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_DATA_NVS, NULL, "" },     /* subtype w/o type */
        { ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, "ota", "" },         /* exact label */
        { ESP_PARTITION_TYPE_BOOTLOADER, ESP_PARTITION_SUBTYPE_ANY, NULL, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[128] = "";
        for (esp_partition_iterator_t it = esp_partition_find(cases[i].type, cases[i].subtype, cases[i].label); it;
             it = esp_partition_next(it)) {
            if (got[0]) {
                strcat(got, " ");
            }
            strcat(got, esp_partition_get(it)->label);
        }
        assert_string_equal(got, cases[i].labels);
        const esp_partition_t *first = esp_partition_find_first(cases[i].type, cases[i].subtype, cases[i].label);
        if (cases[i].labels[0]) {
            assert_non_null(first);
            assert_memory_equal(first->label, cases[i].labels, strlen(first->label));
        } else {
            assert_null(first);
        }
    }
    esp_partition_iterator_release(NULL);
}

static void test_verify_copy(void **state)
{
    (void)state;
    const esp_partition_t *ota1 = fx_part("ota_1");
    esp_partition_t copy = *ota1;
    assert_ptr_equal(esp_partition_verify(&copy), ota1);
    copy.label[0] = '\0'; /* an empty label matches any */
    assert_ptr_equal(esp_partition_verify(&copy), ota1);
    static const struct {
        int field;
        uint32_t value;
    } bad[] = { { 0, 0x211000 }, { 1, 0x100001 }, { 2, ESP_PARTITION_SUBTYPE_APP_OTA_0 }, { 3, 1 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        copy = *ota1;
        switch (bad[i].field) {
        case 0: copy.address = bad[i].value; break;
        case 1: copy.size = bad[i].value; break;
        case 2: copy.subtype = (esp_partition_subtype_t)bad[i].value; break;
        default: copy.encrypted = true; break;
        }
        assert_null(esp_partition_verify(&copy));
    }
    assert_null(esp_partition_verify(NULL));
}

/* ------------------------------------------------------- read/write bounds */

static void test_read_write_bounds(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *nvs = fx_part("nvs"); /* 0x4000 bytes */
    static const struct {
        size_t offset, size;
        esp_err_t want;
    } cases[] = {
        { 0, 0x4000, ESP_OK },
        { 0, 0x4001, ESP_ERR_INVALID_SIZE },
        { 0x3FFF, 1, ESP_OK },
        { 0x3FFF, 2, ESP_ERR_INVALID_SIZE },
        { 0x4000, 0, ESP_OK },
        { 0x4000, 1, ESP_ERR_INVALID_SIZE },
        { 0x4001, 0, ESP_ERR_INVALID_ARG },
        { 0x100000, 4, ESP_ERR_INVALID_ARG },
        { 0x123, 0x1000, ESP_OK },
    };
    uint8_t *buf = malloc(0x4001);
    assert_non_null(buf);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(esp_partition_erase_range(nvs, 0, nvs->size), ESP_OK);
        memset(buf, 0x5A, 0x4001);
        assert_int_equal(esp_partition_write(nvs, cases[i].offset, buf, cases[i].size), cases[i].want);
        if (cases[i].want == ESP_OK && cases[i].size) {
            assert_int_equal(nor_map(fx->flash)[nvs->address + cases[i].offset], 0x5A);
            assert_int_equal(nor_map(fx->flash)[nvs->address + cases[i].offset + cases[i].size - 1], 0x5A);
        } else {
            assert_true(fx_erased(fx, nvs->address, nvs->size)); /* a refused write writes nothing */
        }
        memset(buf, 0, 0x4001);
        assert_int_equal(esp_partition_read(nvs, cases[i].offset, buf, cases[i].size), cases[i].want);
        if (cases[i].want == ESP_OK && cases[i].size) {
            assert_int_equal(buf[0], 0x5A);
            assert_int_equal(buf[cases[i].size - 1], 0x5A);
        }
    }
    assert_int_equal(esp_partition_read(NULL, 0, buf, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_read(nvs, 0, NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_write(nvs, 0, NULL, 1), ESP_ERR_INVALID_ARG);
    free(buf);
}

/* NOR rules: a write may only clear bits; over programmed bytes it fails and changes
 * nothing; after an erase the same write succeeds. */
static void test_write_needs_erase(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *nvs = fx_part("nvs");
    const uint8_t first[4] = { 0xF0, 0x0F, 0xAA, 0x55 };
    const uint8_t clear_only[4] = { 0x10, 0x0F, 0x00, 0x55 }; /* subset of first's bits */
    const uint8_t needs_set[4] = { 0xFF, 0x0F, 0xAA, 0x55 };  /* byte 0 needs 0 -> 1 */
    uint8_t got[4];
    assert_int_equal(esp_partition_erase_range(nvs, 0, 0x1000), ESP_OK);
    assert_int_equal(esp_partition_write(nvs, 16, first, 4), ESP_OK);
    assert_int_equal(esp_partition_write(nvs, 16, needs_set, 4), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(esp_partition_read(nvs, 16, got, 4), ESP_OK);
    assert_memory_equal(got, first, 4);
    assert_int_equal(esp_partition_write(nvs, 16, clear_only, 4), ESP_OK);
    assert_int_equal(esp_partition_read(nvs, 16, got, 4), ESP_OK);
    assert_memory_equal(got, clear_only, 4);
    assert_int_equal(esp_partition_erase_range(nvs, 0, 0x1000), ESP_OK);
    assert_int_equal(esp_partition_write(nvs, 16, needs_set, 4), ESP_OK);
    assert_true(fx_erased(fx, nvs->address, 16));
}

static void test_erase_rules(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *nvs = fx_part("nvs"); /* 0x4000 */
    static const struct {
        size_t offset, size;
        esp_err_t want;
    } cases[] = {
        { 0, 0x1000, ESP_OK },
        { 0, 0x4000, ESP_OK },
        { 0x3000, 0x1000, ESP_OK },
        { 0x3000, 0x2000, ESP_ERR_INVALID_SIZE },   /* past the end */
        { 0, 0x4001, ESP_ERR_INVALID_SIZE },
        { 0, 0x5000, ESP_ERR_INVALID_SIZE },
        { 0, 0xFFF, ESP_ERR_INVALID_SIZE },         /* not whole sectors */
        { 0, 0x1001, ESP_ERR_INVALID_SIZE },
        { 0x800, 0x1000, ESP_ERR_INVALID_ARG },     /* offset not on a sector */
        { 0x1, 0x1000, ESP_ERR_INVALID_ARG },
        { 0x4000, 0, ESP_OK },                      /* N: empty range at the end */
        { 0x4001, 0, ESP_ERR_INVALID_ARG },         /* N+1 */
        { 0x5000, 0x1000, ESP_ERR_INVALID_ARG },
    };
    uint8_t *zeros = calloc(1, 0x4000);
    assert_non_null(zeros);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(nor_load(fx->flash, nvs->address, zeros, 0x4000), NOR_OK);
        assert_int_equal(esp_partition_erase_range(nvs, cases[i].offset, cases[i].size), cases[i].want);
        for (size_t off = 0; off < 0x4000; off += 0x1000) {
            bool inside = cases[i].want == ESP_OK && off >= cases[i].offset && off < cases[i].offset + cases[i].size;
            assert_int_equal(fx_erased(fx, nvs->address + (uint32_t)off, 0x1000), inside);
        }
    }
    assert_int_equal(esp_partition_erase_range(NULL, 0, 0x1000), ESP_ERR_INVALID_ARG);
    free(zeros);
}

/* Aligned 64 KiB blocks inside an erase use one block erase (esp_flash_erase_region). */
static void test_erase_uses_blocks(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *label;
        size_t offset, size;
        uint64_t sectors, blocks;
    } cases[] = {
        { "factory", 0, 0x100000, 0, 16 },
        { "ota_0", 0, 0x10000, 0, 1 },
        { "ota_0", 0, 0xF000, 15, 0 },
        { "ota_0", 0, 0x11000, 1, 1 },
        { "ota_0", 0x1000, 0x20000, 16, 1 },   /* 15 sectors, block 0x120000, 1 sector */
        { "ota_0", 0x1000, 0x10000, 16, 0 },   /* 64 KiB but not block aligned */
        { "nvs", 0, 0x4000, 4, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nor_stats_t st;
        nor_reset_stats(fx->flash);
        assert_int_equal(esp_partition_erase_range(fx_part(cases[i].label), cases[i].offset, cases[i].size), ESP_OK);
        nor_stats(fx->flash, &st);
        assert_int_equal(st.sector_erases, cases[i].sectors);
        assert_int_equal(st.block_erases, cases[i].blocks);
        assert_int_equal(st.page_programs, 0);
    }
}

static void test_flash_failure_maps_to_op_fail(void **state)
{
    fx_t *fx = *state;
    const esp_partition_t *nvs = fx_part("nvs");
    const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(esp_partition_erase_range(nvs, 0, 0x1000), ESP_OK);
    nor_arm_power_cut(fx->flash, 1, NOR_CUT_CLEAN, NULL, NULL);
    assert_int_equal(esp_partition_write(nvs, 0, data, sizeof data), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(esp_partition_erase_range(nvs, 0, 0x1000), ESP_ERR_FLASH_OP_FAIL);
    nor_power_on(fx->flash);
    assert_int_equal(esp_partition_write(nvs, 0, data, sizeof data), ESP_OK);
}

static void test_readonly_partition(void **state)
{
    (void)state;
    static const char csv[] = "nvs, data, nvs, , 0x4000,\n"
                              "cfg, data, 0x40, , 0x1000, readonly\n"
                              "factory, app, factory, 0x10000, 1M,\n";
    ptable_t t;
    uint8_t bin[PT_MAX_LEN];
    char why[200];
    pt_opts_t opts = { 0 };
    assert_int_equal(pt_from_csv(csv, &opts, &t, why, sizeof why), 0);
    assert_int_equal(pt_to_bin(&t, &opts, bin, why, sizeof why), 0);
    nor_err_t nerr;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &nerr);
    assert_non_null(f);
    assert_int_equal(nor_load(f, 0x8000, bin, sizeof bin), NOR_OK);
    sota_host_config_t cfg = { .flash = f, .quiet = true };
    assert_int_equal(sota_host_attach(&cfg), ESP_OK);
    const esp_partition_t *ro = fx_part("cfg");
    assert_true(ro->readonly);
    uint8_t b[4] = { 0 };
    assert_int_equal(esp_partition_write(ro, 0, b, 4), ESP_ERR_NOT_ALLOWED);
    assert_int_equal(esp_partition_erase_range(ro, 0, 0x1000), ESP_ERR_NOT_ALLOWED);
    assert_int_equal(esp_partition_read(ro, 0, b, 4), ESP_OK);
    assert_int_equal(b[0], 0xFF);
    assert_false(fx_part("nvs")->readonly);
    sota_host_shutdown();
    nor_close(f);
}

/* The app requires the table's MD5 row (CONFIG_PARTITION_TABLE_MD5), unlike the
 * bootloader; a flash without a table has no partitions. */
static void test_table_problems(void **state)
{
    (void)state;
    static const struct {
        const char *table;
        bool found;
    } cases[] = {
        { FX_PT("partitions_two_ota.bin"), true },
        { FX_PT("invalid/bin_no_md5.bin"), false },
        { FX_PT("invalid/bin_md5_mismatch.bin"), false },
        { NULL, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nor_err_t nerr;
        nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &nerr);
        assert_non_null(f);
        if (cases[i].table) {
            fx_put(f, 0x8000, cases[i].table);
        }
        sota_host_config_t cfg = { .flash = f, .quiet = true };
        assert_int_equal(sota_host_attach(&cfg), ESP_OK);
        esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
        assert_int_equal(it != NULL, cases[i].found);
        esp_partition_iterator_release(it);
        sota_host_shutdown();
        nor_close(f);
    }
    /* Nothing attached at all. */
    esp_partition_t fake = { .type = ESP_PARTITION_TYPE_DATA, .address = 0x9000, .size = 0x1000,
                             .erase_size = 0x1000 };
    uint8_t b[4];
    assert_null(esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL));
    assert_int_equal(esp_partition_read(&fake, 0, b, 4), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_partition_erase_range(&fake, 0, 0x1000), ESP_ERR_INVALID_STATE);
    assert_null(esp_ota_get_running_partition());
}

/* ------------------------------------------------------------ the device */

static void test_boot_sets_running_app(void **state)
{
    (void)state;
    fx_blob_t img = fx_load(FX_IMG("c01_valid_esp32_10k.bin"));
    const esp_partition_t *run = esp_ota_get_running_partition();
    assert_non_null(run);
    assert_string_equal(run->label, "factory");
    assert_ptr_equal(run, fx_part("factory"));
    const esp_app_desc_t *d = esp_app_get_description();
    assert_memory_equal(d, img.data + 0x20, sizeof *d);
    assert_int_equal(d->magic_word, ESP_APP_DESC_MAGIC_WORD);
    assert_string_equal(d->project_name, "oracle_app");
    fx_free(&img);
}

static void test_restart_hook(void **state)
{
    fx_t *fx = *state;
    if (setjmp(fx->jb) == 0) {
        esp_restart();
    }
    assert_int_equal(fx->restarts, 1);
    assert_int_equal(fx_boot(fx), ESP_OK);
}

static void test_boot_failures(void **state)
{
    (void)state;
    /* No valid app anywhere. */
    fx_t *fx = fx_new(FX_PT("partitions_two_ota.bin"), FX_IMG("c14_flip_payload_byte.bin"), false);
    boot_result_t r;
    assert_int_equal(sota_host_boot(&fx->cfg, &r), ESP_ERR_NOT_FOUND);
    assert_int_equal(r.status, BOOT_ERR_NO_APP);
    assert_null(esp_ota_get_running_partition());
    assert_non_null(fx_part("factory")); /* the flash stays usable */
    assert_string_equal(esp_app_get_description()->project_name, "softap-ota-host");
    fx_destroy(fx);
    /* No partition table. */
    nor_err_t nerr;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &nerr);
    sota_host_config_t cfg = { .flash = f, .quiet = true };
    assert_int_equal(sota_host_boot(&cfg, &r), ESP_ERR_INVALID_STATE);
    assert_int_equal(r.status, BOOT_ERR_PTABLE);
    sota_host_shutdown();
    nor_close(f);
    /* No flash named. */
    sota_host_config_t none = { .quiet = true };
    assert_int_equal(sota_host_boot(&none, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(sota_host_boot(NULL, NULL), ESP_ERR_INVALID_ARG);
    sota_host_config_t bad_path = { .flash_path = "/nonexistent-dir/flash.bin", .quiet = true };
    assert_int_equal(sota_host_boot(&bad_path, NULL), ESP_ERR_FLASH_OP_FAIL);
}

static void test_chip_info(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint16_t rev;
        esp_chip_model_t model;
        uint8_t cores;
        uint16_t want_rev;
    } cases[] = {
        { "esp32", 0, CHIP_ESP32, 2, 0 },       /* 0: the chip's default revision */
        { "esp32", 301, CHIP_ESP32, 2, 301 },
        { "esp32s3", 2, CHIP_ESP32S3, 2, 2 },
        { "esp32c3", 4, CHIP_ESP32C3, 1, 4 },
    };
    nor_err_t nerr;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &nerr);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sota_chip_t *chip = sota_chip_by_name(cases[i].chip);
        assert_non_null(chip);
        sota_host_config_t cfg = { .flash = f, .chip = chip, .chip_rev = cases[i].rev, .quiet = true };
        assert_int_equal(sota_host_attach(&cfg), ESP_OK);
        esp_chip_info_t info;
        esp_chip_info(&info);
        assert_int_equal(info.model, cases[i].model);
        assert_int_equal(info.cores, cases[i].cores);
        assert_int_equal(info.revision, cases[i].want_rev ? cases[i].want_rev : chip->default_rev);
        assert_true(info.features & CHIP_FEATURE_WIFI_BGN);
        assert_ptr_equal(sota_host_chip(), chip);
    }
    sota_host_shutdown();
    nor_close(f);
}

/* esp_restart without a hook re-executes the program on the same flash file. The child
 * process boots, updates to ota_0 and restarts; the re-executed program checks that it
 * consumed the software-reset mark and booted ota_0 (see main). */
#define REEXEC_ARG "--reexec-child"

static int reexec_child(const char *flash_path)
{
    sota_host_config_t cfg = { .flash_path = flash_path, .quiet = true };
    if (sota_host_boot(&cfg, NULL) != ESP_OK) {
        return 10;
    }
    if (getenv(SOTA_HOST_RESET_ENV) != NULL) {
        return 11;
    }
    if (strcmp(esp_ota_get_running_partition()->label, "ota_0") != 0) {
        return 13;
    }
    sota_host_shutdown();
    return 0;
}

static void test_restart_reexecutes(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/idf_ota_reexec_%d.bin", SOTA_TMPDIR, (int)getpid());
    nor_err_t nerr;
    nor_flash_t *f = nor_open(path, NOR_DEFAULT_SIZE, true, &nerr);
    assert_non_null(f);
    fx_put(f, 0x8000, FX_PT("partitions_two_ota.bin"));
    fx_put(f, FX_FACTORY, FX_IMG("c01_valid_esp32_10k.bin"));
    nor_close(f);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char self[] = "test_idf_ota_part";
        char arg[] = REEXEC_ARG;
        char *argv[] = { self, arg, path, NULL };
        sota_host_config_t cfg = { .flash_path = path, .argv = argv, .quiet = true };
        if (sota_host_boot(&cfg, NULL) != ESP_OK) {
            _exit(20);
        }
        /* Update to ota_0 so that the re-executed program must see the flash's new state. */
        if (fx_ota(fx_part("ota_0"), FX_IMG("c09_valid_esp32_secver7.bin"), OTA_SIZE_UNKNOWN, 4096) != ESP_OK ||
            esp_ota_set_boot_partition(fx_part("ota_0")) != ESP_OK) {
            _exit(21);
        }
        esp_restart();
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], REEXEC_ARG) == 0) {
        return reexec_child(argv[2]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_find_order_and_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_write_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_needs_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_uses_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_failure_maps_to_op_fail, setup, teardown),
        cmocka_unit_test(test_readonly_partition),
        cmocka_unit_test(test_table_problems),
        cmocka_unit_test_setup_teardown(test_boot_sets_running_app, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_hook, setup, teardown),
        cmocka_unit_test(test_boot_failures),
        cmocka_unit_test(test_chip_info),
        cmocka_unit_test(test_restart_reexecutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
