/* Content-Range of a resumed upload (core/sota_range.h): a table of accepted and
 * refused values, limits at N and N+1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sota_range.h"

static void test_range_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool ok;
        uint64_t first, last, total;
    } rows[] = {
        { "bytes 0-99/100", true, 0, 99, 100 },
        { "bytes 70000-102479/102480", true, 70000, 102479, 102480 },
        { "  bytes 5-5/6\t", true, 5, 5, 6 },
        { "bytes  5-9/10", true, 5, 9, 10 },
        { "bytes 0-4294967295/4294967296", true, 0, 4294967295u, 4294967296ull },
        { "bytes 0-4294967296/4294967297", false, 0, 0, 0 },   /* total past 2^32 */
        { "bytes 9-5/10", false, 0, 0, 0 },                    /* first > last */
        { "bytes 5-10/10", false, 0, 0, 0 },                   /* last == total */
        { "bytes 0-0/0", false, 0, 0, 0 },
        { "bytes */100", false, 0, 0, 0 },
        { "bytes 0-99/*", false, 0, 0, 0 },
        { "bytes -1-99/100", false, 0, 0, 0 },
        { "bytes +1-99/100", false, 0, 0, 0 },
        { "bytes 1 -99/100", false, 0, 0, 0 },
        { "bytes 1-99 /100", false, 0, 0, 0 },
        { "bytes 1-99/100x", false, 0, 0, 0 },
        { "bytes 1-99/100 7", false, 0, 0, 0 },
        { "bytes 1-99", false, 0, 0, 0 },
        { "bytes=1-99/100", false, 0, 0, 0 },
        { "Bytes 1-99/100", false, 0, 0, 0 },
        { "items 1-99/100", false, 0, 0, 0 },
        { "bytes 0000000000001-99/100", false, 0, 0, 0 },      /* 13 digits */
        { "bytes 000000000001-99/100", true, 1, 99, 100 },     /* 12 digits */
        { "", false, 0, 0, 0 },
        { "bytes ", false, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sota_range_t r = { 7, 7, 7 };
        bool ok = sota_range_parse(rows[i].in, &r);
        if (ok != rows[i].ok) {
            fail_msg("'%s': parsed %d, want %d", rows[i].in, ok, rows[i].ok);
        }
        if (ok) {
            assert_int_equal(r.first, rows[i].first);
            assert_int_equal(r.last, rows[i].last);
            assert_int_equal(r.total, rows[i].total);
        } else {
            assert_int_equal(r.first, 7); /* unchanged */
            assert_int_equal(r.total, 7);
        }
    }
    assert_false(sota_range_parse(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
