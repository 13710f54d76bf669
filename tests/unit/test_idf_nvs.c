/* Unit tests of the host NVS port (host/idf/nvs_*.c: nvs.h, nvs_flash.h,
 * sota_host_nvs.h), the part the component uses (u8 and string values): values,
 * persistence through the file, ESP-IDF's error semantics at their limits, and rejection
 * of damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_files.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sota_host_nvs.h"

static char g_path[1024];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Fresh, initialised NVS on an empty file. */
static int setup(void **state)
{
    (void)state;
    mkdir(SOTA_TMPDIR, 0777);
    snprintf(g_path, sizeof g_path, "%s/test_idf_nvs_%d.dat", SOTA_TMPDIR, (int)getpid());
    nvs_host_reset();
    nvs_host_set_path(g_path);
    if (nvs_flash_erase() != ESP_OK || nvs_flash_init() != ESP_OK) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nvs_host_reset();
    unlink(g_path);
    nvs_host_set_path(NULL);
    return 0;
}

static nvs_handle_t open_rw(const char *ns)
{
    nvs_handle_t h = 0;
    assert_int_equal(nvs_open(ns, NVS_READWRITE, &h), ESP_OK);
    return h;
}

/* Reset and init again: what a restart sees (only committed values). */
static void reload(void)
{
    nvs_host_reset();
    assert_int_equal(nvs_flash_init(), ESP_OK);
}

/* ---- u8 values at their limits, in RAM and through the file --------------------------- */

static void test_u8_roundtrip(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        uint8_t v;
    } k_u8[] = { { "u8max", UINT8_MAX }, { "u8zero", 0 }, { "u8one", 1 } };
    nvs_handle_t h = open_rw("ints");
    for (size_t i = 0; i < sizeof k_u8 / sizeof k_u8[0]; i++) {
        assert_int_equal(nvs_set_u8(h, k_u8[i].key, k_u8[i].v), ESP_OK);
    }
    for (int pass = 0; pass < 2; pass++) {     /* in RAM, then after a commit and a reload */
        for (size_t i = 0; i < sizeof k_u8 / sizeof k_u8[0]; i++) {
            uint8_t v = 7;
            assert_int_equal(nvs_get_u8(h, k_u8[i].key, &v), ESP_OK);
            assert_int_equal(v, k_u8[i].v);
        }
        if (pass == 0) {
            assert_int_equal(nvs_commit(h), ESP_OK);
            reload();
            h = open_rw("ints");
        }
    }
    nvs_close(h);
}

/* Strings with bytes the file must escape, through a commit and a reload. */
static void test_strings_persist(void **state)
{
    (void)state;
    static const char *const strs[] = { "", "plain", "two words", "100%", "line\nbreak\t",
                                        "\x01\x7f\xff utf8 \xc3\xa9", "=:% " };
    nvs_handle_t h = open_rw("odd ns%");
    char key[16];
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        snprintf(key, sizeof key, "s %zu", i);
        assert_int_equal(nvs_set_str(h, key, strs[i]), ESP_OK);
    }
    assert_int_equal(nvs_commit(h), ESP_OK);
    reload();
    h = open_rw("odd ns%");
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char buf[64];
        size_t len = sizeof buf;
        snprintf(key, sizeof key, "s %zu", i);
        assert_int_equal(nvs_get_str(h, key, buf, &len), ESP_OK);
        assert_int_equal(len, strlen(strs[i]) + 1);
        assert_string_equal(buf, strs[i]);
    }
    /* The file is the documented text format. */
    char *text = (char *)fx_read_file(g_path, NULL);
    assert_non_null(strstr(text, "SOTA-NVS 1\n"));
    assert_non_null(strstr(text, "N :odd%20ns%25\n"));
    assert_non_null(strstr(text, "E :odd%20ns%25 :s%203 str =100%25\n"));
    free(text);
    nvs_close(h);
}

/* Only committed values survive a reload or a power loss; nothing is written before. */
static void test_commit_is_what_persists(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    assert_int_equal(nvs_set_u8(h, "kept", 7), ESP_OK);
    assert_int_equal(nvs_commit(h), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "lost", 8), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "kept", 9), ESP_OK);

    nvs_host_reset();                                   /* power loss */
    assert_false(nvs_host_is_initialized());
    assert_int_equal(nvs_get_u8(h, "kept", &(uint8_t){ 0 }), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    h = open_rw("app");
    uint8_t v = 0;
    assert_int_equal(nvs_get_u8(h, "kept", &v), ESP_OK);
    assert_int_equal(v, 7);
    assert_int_equal(nvs_get_u8(h, "lost", &v), ESP_ERR_NVS_NOT_FOUND);

    /* Initialising again does not reload: RAM values stay. */
    assert_int_equal(nvs_set_u8(h, "ram", 1), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    assert_int_equal(nvs_get_u8(h, "ram", &v), ESP_OK);
    nvs_close(h);
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_missing_key(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    uint8_t u8;
    char buf[8];
    size_t len = sizeof buf;
    assert_int_equal(nvs_get_u8(h, "nope", &u8), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_get_str(h, "nope", buf, &len), ESP_ERR_NVS_NOT_FOUND);
    /* Keys live in their namespace only. */
    assert_int_equal(nvs_set_u8(h, "k", 1), ESP_OK);
    nvs_handle_t other = open_rw("other");
    assert_int_equal(nvs_get_u8(other, "k", &u8), ESP_ERR_NVS_NOT_FOUND);
    nvs_close(other);
    nvs_close(h);
}

/* Buffer sizes N-1, N, N+1 and the NULL-buffer size query. */
static void test_too_small_buffer(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    assert_int_equal(nvs_set_str(h, "s", "hello"), ESP_OK);        /* needs 6 */
    const size_t need = 6;
    size_t len = 0;
    assert_int_equal(nvs_get_str(h, "s", NULL, &len), ESP_OK);
    assert_int_equal(len, need);

    char buf[16];
    memset(buf, 'x', sizeof buf);
    len = need - 1;
    assert_int_equal(nvs_get_str(h, "s", buf, &len), ESP_ERR_NVS_INVALID_LENGTH);
    assert_int_equal(len, need);                             /* required length written back */
    assert_int_equal(buf[0], 'x');                           /* buffer untouched */

    len = need;
    assert_int_equal(nvs_get_str(h, "s", buf, &len), ESP_OK);
    assert_int_equal(len, need);
    assert_string_equal(buf, "hello");
    len = need + 1;
    assert_int_equal(nvs_get_str(h, "s", buf, &len), ESP_OK);
    assert_int_equal(len, need);                             /* actual length */

    assert_int_equal(nvs_get_str(h, "s", buf, NULL), ESP_ERR_NVS_INVALID_LENGTH);
    nvs_close(h);
}

/* Keys: 15 characters work, 16 are refused on write; lookups compare 15 (as ESP-IDF). */
static void test_key_length(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    const char *k15 = "abcdefghijklmno";
    const char *k16 = "abcdefghijklmnoX";
    assert_int_equal(strlen(k15), NVS_KEY_NAME_MAX_SIZE - 1);
    assert_int_equal(nvs_set_u8(h, k15, 15), ESP_OK);
    assert_int_equal(nvs_set_u8(h, k16, 16), ESP_ERR_NVS_KEY_TOO_LONG);
    assert_int_equal(nvs_set_str(h, k16, "x"), ESP_ERR_NVS_KEY_TOO_LONG);
    uint8_t v = 0;
    assert_int_equal(nvs_get_u8(h, k15, &v), ESP_OK);
    assert_int_equal(v, 15);
    assert_int_equal(nvs_get_u8(h, k16, &v), ESP_OK);      /* first 15 match */
    assert_int_equal(v, 15);
    assert_int_equal(nvs_set_u8(h, "", 1), ESP_OK);        /* empty key is allowed */
    nvs_close(h);
}

static void test_namespace_length(void **state)
{
    (void)state;
    nvs_handle_t h;
    assert_int_equal(nvs_open("abcdefghijklmno", NVS_READWRITE, &h), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_open("bbcdefghijklmnoX", NVS_READWRITE, &h), ESP_ERR_NVS_KEY_TOO_LONG);
    assert_int_equal(nvs_open("bbcdefghijklmnoX", NVS_READONLY, &h), ESP_ERR_NVS_NOT_FOUND);
    /* An existing 15-character namespace is found through a longer name, as in ESP-IDF. */
    assert_int_equal(nvs_open("abcdefghijklmnoX", NVS_READONLY, &h), ESP_OK);
    nvs_close(h);
}

static void test_readonly_handle(void **state)
{
    (void)state;
    nvs_handle_t h;
    assert_int_equal(nvs_open("cfg", NVS_READONLY, &h), ESP_ERR_NVS_NOT_FOUND);
    h = open_rw("cfg");
    assert_int_equal(nvs_set_u8(h, "k", 5), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_open("cfg", NVS_READONLY, &h), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "k", 6), ESP_ERR_NVS_READ_ONLY);
    assert_int_equal(nvs_set_str(h, "k", "s"), ESP_ERR_NVS_READ_ONLY);
    uint8_t v = 0;
    assert_int_equal(nvs_get_u8(h, "k", &v), ESP_OK);
    assert_int_equal(v, 5);
    nvs_close(h);
}

/* Another type under the same key: "not found" on read (ESP-IDF's storage layer), and a
 * write of another type replaces the value. */
static void test_type_mismatch(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    assert_int_equal(nvs_set_u8(h, "k", 3), ESP_OK);
    char buf[8];
    size_t len = sizeof buf;
    assert_int_equal(nvs_get_str(h, "k", buf, &len), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_set_str(h, "k", "now"), ESP_OK);
    uint8_t u8;
    assert_int_equal(nvs_get_u8(h, "k", &u8), ESP_ERR_NVS_NOT_FOUND);
    len = sizeof buf;
    assert_int_equal(nvs_get_str(h, "k", buf, &len), ESP_OK);
    assert_string_equal(buf, "now");
    nvs_close(h);
}

static void test_invalid_handle(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    nvs_close(h);
    nvs_close(h);                                          /* harmless */
    uint8_t v;
    size_t len = 1;
    assert_int_equal(nvs_set_u8(h, "k", 1), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_get_u8(h, "k", &v), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_get_str(h, "k", NULL, &len), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_commit(h), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_get_u8(0, "k", &v), ESP_ERR_NVS_INVALID_HANDLE);
    /* a reset and an erase close every handle */
    h = open_rw("app");
    nvs_host_reset();
    assert_int_equal(nvs_get_u8(h, "k", &v), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_open("app", NVS_READWRITE, &h), ESP_ERR_NVS_NOT_INITIALIZED);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    h = open_rw("app");
    assert_int_equal(nvs_flash_erase(), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "k", 1), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_open("app", NVS_READWRITE, &h), ESP_ERR_NVS_NOT_INITIALIZED);
}

static void test_null_arguments(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("app");
    uint8_t v;
    assert_int_equal(nvs_open(NULL, NVS_READWRITE, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_open("app", NVS_READWRITE, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_open("app", (nvs_open_mode_t)7, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_set_u8(h, NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_set_str(h, "k", NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_get_u8(h, NULL, &v), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_get_u8(h, "k", NULL), ESP_ERR_INVALID_ARG);
    nvs_close(h);
}

/* String length limit at N and N+1. */
static void test_value_limits(void **state)
{
    (void)state;
    nvs_handle_t h = open_rw("big");
    char *s = malloc(4001);
    assert_non_null(s);
    memset(s, 'a', 4000);
    s[3999] = '\0';                                        /* 3999 chars + NUL = 4000 */
    assert_int_equal(nvs_set_str(h, "s", s), ESP_OK);
    s[3999] = 'a';
    s[4000] = '\0';                                        /* 4001 with the NUL */
    assert_int_equal(nvs_set_str(h, "s2", s), ESP_ERR_NVS_VALUE_TOO_LONG);
    free(s);
    nvs_close(h);
}

/* A commit that cannot write says so and keeps the values in RAM. */
static void test_commit_failure(void **state)
{
    (void)state;
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/no-such-dir/nvs.dat", SOTA_TMPDIR);
    nvs_host_reset();
    nvs_host_set_path(bad);
    assert_int_equal(nvs_flash_init(), ESP_OK);            /* missing file: empty */
    nvs_handle_t h = open_rw("app");
    assert_int_equal(nvs_set_u8(h, "k", 4), ESP_OK);
    assert_int_equal(nvs_commit(h), ESP_FAIL);
    uint8_t v = 0;
    assert_int_equal(nvs_get_u8(h, "k", &v), ESP_OK);
    assert_int_equal(v, 4);
    nvs_close(h);
    nvs_host_reset();
    nvs_host_set_path(g_path);
}

/* ---- damaged files ----------------------------------------------------------------- */

typedef struct {
    const char *text;
    esp_err_t init;
} file_case_t;

static const file_case_t k_files[] = {
    { "SOTA-NVS 1\n", ESP_OK },
    { "SOTA-NVS 1\nN :a\nE :a :k u8 =255\n", ESP_OK },
    { "SOTA-NVS 1\nN :a\nE :a :k u8 =256\n", ESP_ERR_NVS_NO_FREE_PAGES },        /* N+1 */
    { "SOTA-NVS 1\nN :a\nE :a :k i8 =-128\n", ESP_OK },
    { "SOTA-NVS 1\nN :a\nE :a :k i8 =-129\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k u64 =18446744073709551615\n", ESP_OK },
    { "SOTA-NVS 1\nN :a\nE :a :k u64 =18446744073709551616\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k u32 =-1\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k u32 =\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :abcdefghijklmno\n", ESP_OK },
    { "SOTA-NVS 1\nN :abcdefghijklmnop\n", ESP_ERR_NVS_NO_FREE_PAGES },           /* 16 */
    { "SOTA-NVS 1\nN :a\nE :a :k str =%4\n", ESP_ERR_NVS_NO_FREE_PAGES },         /* bad escape */
    { "SOTA-NVS 1\nN :a\nE :a :k str =a%00b\n", ESP_ERR_NVS_NO_FREE_PAGES },      /* NUL */
    { "SOTA-NVS 1\nN :a\nE :a :k blob =abc\n", ESP_ERR_NVS_NO_FREE_PAGES },       /* odd */
    { "SOTA-NVS 1\nN :a\nE :a :k blob =zz\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k f32 =1\n", ESP_ERR_NVS_NO_FREE_PAGES },          /* type */
    { "SOTA-NVS 1\nE :a :k u8 =1\n", ESP_ERR_NVS_NO_FREE_PAGES },                 /* no N */
    { "SOTA-NVS 1\nN :a\nN :a\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k u8 =1\nE :a :k u8 =2\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN :a\nE :a :k u8 =1", ESP_ERR_NVS_NO_FREE_PAGES },             /* no \n */
    { "SOTA-NVS 1\nN :a\nE :a :k u8 1\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nN a\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\nX :a\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1\n\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 2\n", ESP_ERR_NVS_NEW_VERSION_FOUND },
    { "SOTA-NVS 0\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "SOTA-NVS 1x\n", ESP_ERR_NVS_NO_FREE_PAGES },
    { "", ESP_ERR_NVS_NO_FREE_PAGES },
    { "\xff\xff\xff\xff", ESP_ERR_NVS_NO_FREE_PAGES },
};

static void test_damaged_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_files / sizeof k_files[0]; i++) {
        nvs_host_reset();
        write_file(g_path, k_files[i].text);
        esp_err_t err = nvs_flash_init();
        if (err != k_files[i].init) {
            print_error("file case %zu: init gave 0x%x, expected 0x%x\n", i, (unsigned)err,
                        (unsigned)k_files[i].init);
            fail();
        }
        assert_int_equal(nvs_host_is_initialized(), err == ESP_OK);
        if (err != ESP_OK) {
            /* The documented recovery: erase, init again, use. */
            assert_int_equal(nvs_flash_erase(), ESP_OK);
            assert_int_equal(nvs_flash_init(), ESP_OK);
            nvs_handle_t h = open_rw("a");
            uint8_t v;
            assert_int_equal(nvs_get_u8(h, "k", &v), ESP_ERR_NVS_NOT_FOUND);
            nvs_close(h);
        }
    }
}

/* A file at the partition's capacity loads; one entry more does not. */
static void test_file_capacity(void **state)
{
    (void)state;
    /* 630 usable entries: the namespace plus 629 one-entry integers. */
    size_t cap = 64 + 630 * 40;
    for (int extra = 0; extra <= 1; extra++) {
        char *text = malloc(cap);
        assert_non_null(text);
        size_t n = (size_t)sprintf(text, "SOTA-NVS 1\nN :a\n");
        for (int i = 0; i < 629 + extra; i++) {
            n += (size_t)sprintf(text + n, "E :a :k%d u8 =1\n", i);
        }
        nvs_host_reset();
        write_file(g_path, text);
        free(text);
        assert_int_equal(nvs_flash_init(), extra ? ESP_ERR_NVS_NO_FREE_PAGES : ESP_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_u8_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_is_what_persists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_small_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_capacity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
