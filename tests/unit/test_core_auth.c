/* Who may use the HTTP server (core/sota_auth): credential settings and their limits,
 * Basic authentication header forms, the lockout schedule on a fake clock, and the
 * same-origin rule for uploads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sota_auth.h"

#define P64 "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
#define U32 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_settings(void **state)
{
    (void)state;
    static const struct {
        const char *user, *password;
        uint32_t free_attempts, lockout_s;
        sota_auth_cfg_err_t want;
        const char *token;   /* expected base64 when OK */
    } cases[] = {
        { NULL, NULL, 5, 30, SOTA_AUTH_CFG_OFF, NULL },
        { "admin", "", 5, 30, SOTA_AUTH_CFG_OFF, NULL },
        { "admin", NULL, 5, 30, SOTA_AUTH_CFG_OFF, NULL },
        { "", "12345678", 5, 30, SOTA_AUTH_CFG_NO_USER, NULL },
        { NULL, "12345678", 5, 30, SOTA_AUTH_CFG_NO_USER, NULL },
        { "Aladdin", "open sesame", 5, 30, SOTA_AUTH_CFG_OK, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==" },
        { "u", "12345678", 5, 30, SOTA_AUTH_CFG_OK, "dToxMjM0NTY3OA==" },
        { "us", "12345678", 5, 30, SOTA_AUTH_CFG_OK, "dXM6MTIzNDU2Nzg=" },
        { "usr", "12345678", 5, 30, SOTA_AUTH_CFG_OK, "dXNyOjEyMzQ1Njc4" },
        { "usr", "1234567", 5, 30, SOTA_AUTH_CFG_PASSWORD_SHORT, NULL },          /* 8 - 1 */
        { U32, P64, 1, 1, SOTA_AUTH_CFG_OK,
          "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE6cHBwcHBwcHBwcHBw"
          "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcA==" },
        { U32 "a", "12345678", 5, 30, SOTA_AUTH_CFG_USER_TOO_LONG, NULL },          /* 32 + 1 */
        { "usr", P64 "p", 5, 30, SOTA_AUTH_CFG_PASSWORD_LONG, NULL },              /* 64 + 1 */
        { "a:b", "12345678", 5, 30, SOTA_AUTH_CFG_USER_COLON, NULL },
        { "usr", "1234:5678", 5, 30, SOTA_AUTH_CFG_OK, "dXNyOjEyMzQ6NTY3OA==" },  /* ':' fine in a password */
        { "usr", "1234\n5678", 5, 30, SOTA_AUTH_CFG_BAD_CHAR, NULL },
        { "u\tsr", "12345678", 5, 30, SOTA_AUTH_CFG_BAD_CHAR, NULL },
        { "usr", "12345678", 0, 30, SOTA_AUTH_CFG_LIMITS, NULL },
        { "usr", "12345678", 5, 0, SOTA_AUTH_CFG_LIMITS, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sota_auth_t a;
        memset(&a, 0x5A, sizeof a);
        sota_auth_cfg_err_t e = sota_auth_init(&a, cases[i].user, cases[i].password, cases[i].free_attempts,
                                               cases[i].lockout_s);
        if (e != cases[i].want) {
            fail_msg("case %zu: got %d, want %d", i, e, cases[i].want);
        }
        assert_int_equal(a.enabled, e == SOTA_AUTH_CFG_OK);
        if (cases[i].token) {
            assert_string_equal(a.token, cases[i].token);
            assert_int_equal(a.token_len, strlen(cases[i].token));
        }
        /* the message about a setting never carries the credentials */
        const char *msg = sota_auth_strerror(e);
        assert_true(strlen(msg) > 10);
        if (cases[i].password && cases[i].password[0]) {
            assert_null(strstr(msg, cases[i].password));
        }
        /* a disabled checker lets everything through */
        if (!a.enabled) {
            assert_int_equal(sota_auth_check(&a, "garbage", false, 0, NULL), SOTA_AUTH_PASS);
            assert_int_equal(sota_auth_check(&a, NULL, false, 0, NULL), SOTA_AUTH_PASS);
        }
    }
}

/* Header forms, with a lockout far away. */
static void test_header_forms(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        bool truncated;
        sota_auth_verdict_t want;
    } cases[] = {
        { NULL, false, SOTA_AUTH_MISSING },
        { "", false, SOTA_AUTH_MISSING },
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_PASS },
        { "basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_PASS },
        { "BASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ", false, SOTA_AUTH_PASS },
        { " \tBasic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_PASS },
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", true, SOTA_AUTH_WRONG },      /* cut off */
        { "", true, SOTA_AUTH_WRONG },
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=", false, SOTA_AUTH_WRONG },      /* one '=' short */
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", false, SOTA_AUTH_WRONG },       /* unpadded */
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==A", false, SOTA_AUTH_WRONG },    /* one more */
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==", false, SOTA_AUTH_WRONG },     /* last char */
        { "Basic RWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },     /* first char */
        { "Basic qWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },     /* case matters */
        { "Basic Q", false, SOTA_AUTH_WRONG },
        { "Basic ", false, SOTA_AUTH_WRONG },
        { "Basic", false, SOTA_AUTH_WRONG },
        { "BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },
        { "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },
        { "Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },
        { "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false, SOTA_AUTH_WRONG },
        { "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== x", false, SOTA_AUTH_WRONG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sota_auth_t a;
        assert_int_equal(sota_auth_init(&a, "Aladdin", "open sesame", 1000, 30), SOTA_AUTH_CFG_OK);
        sota_auth_verdict_t v = sota_auth_check(&a, cases[i].value, cases[i].truncated, 1000, NULL);
        if (v != cases[i].want) {
            fail_msg("case %zu '%s': got %d, want %d", i, cases[i].value ? cases[i].value : "(none)", v,
                     cases[i].want);
        }
        assert_int_equal(a.failures, v == SOTA_AUTH_WRONG ? 1 : 0);
    }
}

#define RIGHT "Basic dXNyOjEyMzQ1Njc4"
#define WRONG "Basic dXNyOjEyMzQ1Njc5"

typedef struct {
    uint64_t t_ms;
    const char *hdr;
    sota_auth_verdict_t want;
    uint32_t retry_s;     /* for LOCKED */
} step_t;

static void run_steps(const step_t *steps, size_t n, uint32_t free_attempts, uint32_t lockout_s)
{
    sota_auth_t a;
    assert_int_equal(sota_auth_init(&a, "usr", "12345678", free_attempts, lockout_s), SOTA_AUTH_CFG_OK);
    for (size_t i = 0; i < n; i++) {
        uint32_t retry = 0;
        sota_auth_verdict_t v = sota_auth_check(&a, steps[i].hdr, false, steps[i].t_ms, &retry);
        if (v != steps[i].want || (v == SOTA_AUTH_LOCKED && retry != steps[i].retry_s)) {
            fail_msg("step %zu at %llu ms: got %d (retry %u), want %d (retry %u)", i,
                     (unsigned long long)steps[i].t_ms, v, retry, steps[i].want, steps[i].retry_s);
        }
    }
}

/* 3 free attempts, 10 s first lockout, doubling to 16 x 10 s. */
static void test_lockout_schedule(void **state)
{
    (void)state;
    static const step_t steps[] = {
        { 0, WRONG, SOTA_AUTH_WRONG, 0 },
        { 1, WRONG, SOTA_AUTH_WRONG, 0 },
        { 2, RIGHT, SOTA_AUTH_PASS, 0 },          /* resets the count */
        { 3, WRONG, SOTA_AUTH_WRONG, 0 },
        { 4, WRONG, SOTA_AUTH_WRONG, 0 },
        { 5, NULL, SOTA_AUTH_MISSING, 0 },        /* not a failure */
        { 6, WRONG, SOTA_AUTH_WRONG, 0 },         /* 3rd: locked until 10006 */
        { 7, RIGHT, SOTA_AUTH_LOCKED, 10 },       /* even the right password waits */
        { 8, NULL, SOTA_AUTH_LOCKED, 10 },
        { 9005, WRONG, SOTA_AUTH_LOCKED, 2 },     /* not examined, not counted */
        { 10005, RIGHT, SOTA_AUTH_LOCKED, 1 },    /* N - 1 ms */
        { 10006, WRONG, SOTA_AUTH_WRONG, 0 },     /* N: open again; 4th: 20 s */
        { 10007, RIGHT, SOTA_AUTH_LOCKED, 20 },
        { 30006, WRONG, SOTA_AUTH_WRONG, 0 },     /* 5th: 40 s */
        { 30007, RIGHT, SOTA_AUTH_LOCKED, 40 },
        { 70006, WRONG, SOTA_AUTH_WRONG, 0 },     /* 6th: 80 s */
        { 70007, RIGHT, SOTA_AUTH_LOCKED, 80 },
        { 150006, WRONG, SOTA_AUTH_WRONG, 0 },    /* 7th: 160 s = 16 x */
        { 150007, RIGHT, SOTA_AUTH_LOCKED, 160 },
        { 310006, WRONG, SOTA_AUTH_WRONG, 0 },    /* 8th: still 160 s */
        { 310007, RIGHT, SOTA_AUTH_LOCKED, 160 },
        { 470006, RIGHT, SOTA_AUTH_PASS, 0 },     /* the right password after the wait */
        { 470007, WRONG, SOTA_AUTH_WRONG, 0 },    /* counting starts again */
        { 470008, RIGHT, SOTA_AUTH_PASS, 0 },
    };
    run_steps(steps, sizeof steps / sizeof steps[0], 3, 10);
}

/* One free attempt: the first failure locks; missing credentials never do. */
static void test_lockout_one_attempt(void **state)
{
    (void)state;
    static const step_t steps[] = {
        { 0, NULL, SOTA_AUTH_MISSING, 0 },
        { 0, NULL, SOTA_AUTH_MISSING, 0 },
        { 0, "", SOTA_AUTH_MISSING, 0 },
        { 0, RIGHT, SOTA_AUTH_PASS, 0 },
        { 100, WRONG, SOTA_AUTH_WRONG, 0 },
        { 101, RIGHT, SOTA_AUTH_LOCKED, 1 },
        { 1099, RIGHT, SOTA_AUTH_LOCKED, 1 },
        { 1100, RIGHT, SOTA_AUTH_PASS, 0 },
    };
    run_steps(steps, sizeof steps / sizeof steps[0], 1, 1);
}

static void test_clear(void **state)
{
    (void)state;
    sota_auth_t a;
    assert_int_equal(sota_auth_init(&a, "usr", "12345678", 3, 10), SOTA_AUTH_CFG_OK);
    sota_auth_clear(&a);
    assert_false(a.enabled);
    for (size_t i = 0; i < sizeof a.token; i++) {
        assert_int_equal(a.token[i], 0);
    }
    assert_int_equal(sota_auth_check(&a, WRONG, false, 0, NULL), SOTA_AUTH_PASS);
}

static void test_same_origin(void **state)
{
    (void)state;
    static const struct {
        const char *host, *origin, *referer;
        bool want;
    } cases[] = {
        /* neither header: curl, scripts */
        { "192.168.4.1", NULL, NULL, true },
        { NULL, NULL, NULL, true },
        { "evil.example", NULL, NULL, true },
        /* Origin */
        { "192.168.4.1", "http://192.168.4.1", NULL, true },
        { "192.168.4.1", "http://192.168.4.1:80", NULL, true },
        { "192.168.4.1:80", "http://192.168.4.1", NULL, true },
        { "192.168.4.1:8080", "http://192.168.4.1", NULL, false },
        { "127.0.0.1:8080", "http://127.0.0.1:8080", NULL, true },
        { "127.0.0.1:8080", "http://127.0.0.1:8081", NULL, false },
        { "localhost:8080", "HTTP://LocalHost:8080", NULL, true },
        { "[::1]:8080", "http://[::1]:8080", NULL, true },
        { "[::1]:8080", "http://[::2]:8080", NULL, false },
        { "192.168.4.1", "http://evil.example", NULL, false },
        { "evil.example", "http://evil.example", NULL, false },     /* DNS name: rebinding */
        { "192.168.4.1", "null", NULL, false },
        { "192.168.4.1", "https://192.168.4.1", NULL, false },
        { "192.168.4.1", "http://192.168.4.1.evil.example", NULL, false },
        { "192.168.4.1", "http://192.168.4.10", NULL, false },
        { "192.168.4.10", "http://192.168.4.1", NULL, false },
        { "192.168.4.1", "http://192.168.4.1/", NULL, false },       /* an Origin has no path */
        { "192.168.4.1", "", NULL, false },
        { NULL, "http://192.168.4.1", NULL, false },
        { "", "http://192.168.4.1", NULL, false },
        /* Origin decides when both are present */
        { "192.168.4.1", "http://192.168.4.1", "http://evil.example/", true },
        { "192.168.4.1", "http://evil.example", "http://192.168.4.1/", false },
        /* Referer */
        { "192.168.4.1", NULL, "http://192.168.4.1/", true },
        { "192.168.4.1", NULL, "http://192.168.4.1", true },
        { "192.168.4.1", NULL, "http://192.168.4.1?x=1", true },
        { "192.168.4.1", NULL, "http://192.168.4.1#top", true },
        { "192.168.4.1", NULL, "http://192.168.4.1/index.html?a=b", true },
        { "192.168.4.1", NULL, "http://192.168.4.1.evil.example/", false },
        { "192.168.4.1", NULL, "http://192.168.4.1@evil.example/", false },
        { "192.168.4.1", NULL, "http://evil.example/http://192.168.4.1/", false },
        { "192.168.4.1", NULL, "https://192.168.4.1/", false },
        { "192.168.4.1", NULL, "", false },
        /* host forms and limits */
        { "1.2.3.4:65535", "http://1.2.3.4:65535", NULL, true },       /* 5 port digits */
        { "1.2.3.4:655350", "http://1.2.3.4:655350", NULL, false },    /* 6 */
        { "1.2.3.4:", "http://1.2.3.4:", NULL, false },
        { "255.255.255.255", "http://255.255.255.255", NULL, true },
        { "256.1.1.1", "http://256.1.1.1", NULL, false },
        { "1.2.3", "http://1.2.3", NULL, false },
        { "1.2.3.4.5", "http://1.2.3.4.5", NULL, false },
        { "1.2.3.", "http://1.2.3.", NULL, false },
        { "1..3.4", "http://1..3.4", NULL, false },
        { "1.2.3.4x", "http://1.2.3.4x", NULL, false },
        { "0001.2.3.4", "http://0001.2.3.4", NULL, false },
        { "[::1", "http://[::1", NULL, false },
        { "[]", "http://[]", NULL, false },
        { "[evil]", "http://[evil]", NULL, false },
        { "localhost.evil", "http://localhost.evil", NULL, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = sota_auth_same_origin(cases[i].host, cases[i].origin, cases[i].referer);
        if (got != cases[i].want) {
            fail_msg("case %zu: host '%s' origin '%s' referer '%s': got %d", i, cases[i].host ? cases[i].host : "-",
                     cases[i].origin ? cases[i].origin : "-", cases[i].referer ? cases[i].referer : "-", got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_header_forms),
        cmocka_unit_test(test_lockout_schedule),
        cmocka_unit_test(test_lockout_one_attempt),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_same_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
