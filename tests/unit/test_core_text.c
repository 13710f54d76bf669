/* The shared text helpers (core/sota_text): bounded messages at every buffer length
 * around the text's own, appends, NULL and empty buffers, and the hex digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sota_text.h"

static void test_put_every_length(void **state)
{
    (void)state;
    const char *want = "slot ota_0: 12345 bytes";
    size_t full = strlen(want);
    for (size_t len = 1; len <= full + 3; len++) {
        char buf[40];
        memset(buf, '#', sizeof buf);
        size_t n = sota_text_put(buf, len, "slot %s: %d bytes", "ota_0", 12345);
        size_t expect = full < len ? full : len - 1;
        assert_int_equal(n, expect);
        assert_int_equal(strlen(buf), expect);
        assert_memory_equal(buf, want, expect);
        assert_int_equal(buf[len], '#'); /* nothing past the buffer */
    }
}

static void test_put_no_buffer(void **state)
{
    (void)state;
    char buf[4] = "abc";
    assert_int_equal(sota_text_put(NULL, 10, "x%d", 1), 0);
    assert_int_equal(sota_text_put(buf, 0, "x%d", 1), 0);
    assert_string_equal(buf, "abc"); /* len 0: untouched */
}

static void test_add(void **state)
{
    (void)state;
    char buf[16];
    sota_text_put(buf, sizeof buf, "line %d: ", 7);
    assert_int_equal(sota_text_add(buf, sizeof buf, "%s", "bad"), 11);
    assert_string_equal(buf, "line 7: bad");
    /* cut short at the end of the buffer, never past it */
    assert_int_equal(sota_text_add(buf, sizeof buf, " key '%s'", "wifi"), sizeof buf - 1);
    assert_string_equal(buf, "line 7: bad key");
    /* a full buffer stays as it is */
    assert_int_equal(sota_text_add(buf, sizeof buf, "more"), sizeof buf - 1);
    assert_string_equal(buf, "line 7: bad key");
    assert_int_equal(sota_text_add(NULL, 8, "x"), 0);
    /* an empty buffer: the same as put */
    char e[8] = "";
    assert_int_equal(sota_text_add(e, sizeof e, "%u", 42u), 2);
    assert_string_equal(e, "42");
    /* no NUL in the buffer: it is ended at its last byte, nothing written past it */
    char raw[5] = { 'a', 'b', 'c', 'd', 'e' };
    assert_int_equal(sota_text_add(raw, 4, "x"), 3);
    assert_string_equal(raw, "abc");
    assert_int_equal(raw[4], 'e');
}

static void test_hex(void **state)
{
    (void)state;
    static const struct {
        char c;
        int want;
    } cases[] = {
        { '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'f', 15 }, { 'A', 10 }, { 'F', 15 },
        { 'g', -1 }, { 'G', -1 }, { '/', -1 }, { ':', -1 }, { '@', -1 }, { '`', -1 },
        { ' ', -1 }, { '\0', -1 }, { (char)0xE9, -1 }, { 'x', -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (sota_text_hex(cases[i].c) != cases[i].want) {
            fail_msg("case %zu (0x%02x): want %d, got %d", i, (unsigned char)cases[i].c, cases[i].want,
                     sota_text_hex(cases[i].c));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_every_length),
        cmocka_unit_test(test_put_no_buffer),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
