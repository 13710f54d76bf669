/* Small HTTP rules (core/sota_http): which Accept-Encoding values let the page go out
 * gzipped, one table of header values as browsers, curl and hand-written clients send
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sota_http.h"

static void test_accepts_gzip(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        bool want;
    } cases[] = {
        { NULL, false },                                  /* plain curl: no header */
        { "", false },
        { "gzip", true },
        { "GZIP", true },
        { "gzip, deflate, br, zstd", true },              /* Chromium */
        { "deflate, gzip", true },
        { "deflate,gzip", true },
        { "  gzip  ", true },
        { "x-gzip", true },
        { "identity", false },
        { "deflate, br", false },
        { "gzipx", false },                               /* a longer name is another coding */
        { "xgzip", false },
        { "gzip;q=0", false },
        { "gzip; q=0", false },
        { "gzip;Q=0.000", false },
        { "gzip;q=0.001", true },                         /* the smallest acceptable */
        { "gzip;q=1", true },
        { "gzip;q=1.000", true },
        { "gzip;q=1.001", false },                        /* above 1: malformed, refused */
        { "gzip;q=2", false },
        { "gzip;q=", false },
        { "gzip;q=abc", false },
        { "gzip;level=9", true },                         /* other parameters are ignored */
        { "*", true },
        { "*;q=0", false },
        { "*, gzip;q=0", false },                         /* gzip itself excluded */
        { "gzip;q=0, *", false },
        { "br;q=1, *;q=0.5", true },
        { "gzip;q=0, x-gzip", true },                     /* the better of the two names */
        { ",,gzip,,", true },
        { ";q=1", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (sota_http_accepts_gzip(cases[i].value) != cases[i].want) {
            fail_msg("case %zu (\"%s\"): want %s", i, cases[i].value ? cases[i].value : "(none)",
                     cases[i].want ? "gzip" : "no gzip");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
