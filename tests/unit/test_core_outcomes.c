/* The one table of outcomes (core/sota_update.c): every outcome has a code and an HTTP
 * status, no two outcomes share a code, the statuses are the documented ones, values
 * out of range fall back to the internal error, and README.md names every code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sota_update.h"

/* The API's contract, written out once more by hand: a change of the table must be a
 * change of this list too. */
static const struct {
    sota_update_err_t err;
    const char *code;
    int status;
} WANT[] = {
    { SOTA_UPDATE_OK, "ok", 200 },
    { SOTA_UPDATE_ERR_NOT_APP, "not_app_image", 415 },
    { SOTA_UPDATE_ERR_TOO_BIG, "too_big", 413 },
    { SOTA_UPDATE_ERR_VERIFY, "verify_failed", 422 },
    { SOTA_UPDATE_ERR_POLICY, "policy", 422 },
    { SOTA_UPDATE_ERR_FLASH, "flash_error", 500 },
    { SOTA_UPDATE_ERR_STATE, "internal_error", 500 },
    { SOTA_UPDATE_ERR_BAD_REQUEST, "bad_request", 400 },
    { SOTA_UPDATE_ERR_DISCONNECTED, "disconnected", 400 },
    { SOTA_UPDATE_ERR_TIMEOUT, "timeout", 408 },
    { SOTA_UPDATE_ERR_STOPPED, "stopped", 503 },
    { SOTA_UPDATE_ERR_LENGTH_REQUIRED, "length_required", 411 },
    { SOTA_UPDATE_ERR_NO_MEMORY, "no_memory", 500 },
    { SOTA_UPDATE_ERR_NO_SLOT, "no_slot", 500 },
    { SOTA_UPDATE_ERR_BUSY, "busy", 409 },
    { SOTA_UPDATE_ERR_PENDING_VERIFY, "pending_verify", 409 },
    { SOTA_UPDATE_ERR_UNAUTHORIZED, "unauthorized", 401 },
    { SOTA_UPDATE_ERR_LOCKED_OUT, "locked_out", 429 },
    { SOTA_UPDATE_ERR_CROSS_SITE, "cross_site", 403 },
    { SOTA_UPDATE_ERR_BAD_RANGE, "bad_range", 400 },
    { SOTA_UPDATE_ERR_RESUME_PENDING, "resume_pending", 409 },
    { SOTA_UPDATE_ERR_NOTHING_TO_RESUME, "nothing_to_resume", 416 },
    { SOTA_UPDATE_ERR_WRONG_OFFSET, "wrong_offset", 416 },
    { SOTA_UPDATE_ERR_WRONG_TOTAL, "wrong_total", 409 },
    { SOTA_UPDATE_ERR_DIFFERENT_FILE, "different_file", 409 },
    { SOTA_UPDATE_ERR_NO_SUCH_SLOT, "no_such_slot", 404 },
    { SOTA_UPDATE_ERR_ALREADY_RUNNING, "already_running", 409 },
    { SOTA_UPDATE_ERR_NOT_BOOTABLE, "not_bootable", 422 },
    { SOTA_UPDATE_ERR_NO_PARTITION, "no_such_partition", 404 },
    { SOTA_UPDATE_ERR_WRONG_PARTITION, "wrong_partition", 422 },
    { SOTA_UPDATE_ERR_CHOOSE_PARTITION, "choose_partition", 400 },
    { SOTA_UPDATE_ERR_MISMATCH, "sha256_mismatch", 422 },
    { SOTA_UPDATE_ERR_REFUSED, "storage_in_use", 409 },
    { SOTA_UPDATE_ERR_NOT_FOUND, "not_found", 404 },
    { SOTA_UPDATE_ERR_METHOD, "method_not_allowed", 405 },
    { SOTA_UPDATE_ERR_FORBIDDEN, "forbidden", 403 },
    { SOTA_UPDATE_ERR_URI_TOO_LONG, "uri_too_long", 414 },
    { SOTA_UPDATE_ERR_HEADERS_TOO_LARGE, "headers_too_large", 431 },
    { SOTA_UPDATE_ERR_NOT_IMPLEMENTED, "not_implemented", 501 },
    { SOTA_UPDATE_ERR_HTTP_VERSION, "http_version", 505 },
};

static void test_every_outcome(void **state)
{
    (void)state;
    assert_int_equal(sizeof WANT / sizeof WANT[0], SOTA_UPDATE_ERR__COUNT);
    bool seen[SOTA_UPDATE_ERR__COUNT] = { false };
    for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
        sota_update_err_t e = WANT[i].err;
        assert_false(seen[e]);
        seen[e] = true;
        const char *code = sota_update_err_code(e);
        if (code == NULL || strcmp(code, WANT[i].code) != 0 || sota_update_http_status(e) != WANT[i].status) {
            fail_msg("outcome %d: %s %d, want %s %d", (int)e, code ? code : "(null)",
                     sota_update_http_status(e), WANT[i].code, WANT[i].status);
        }
    }
    /* no two outcomes answer with the same code */
    for (int a = 0; a < SOTA_UPDATE_ERR__COUNT; a++) {
        for (int b = a + 1; b < SOTA_UPDATE_ERR__COUNT; b++) {
            if (strcmp(sota_update_err_code((sota_update_err_t)a), sota_update_err_code((sota_update_err_t)b)) == 0) {
                fail_msg("outcomes %d and %d share the code %s", a, b, sota_update_err_code((sota_update_err_t)a));
            }
        }
    }
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_string_equal(sota_update_err_code(SOTA_UPDATE_ERR__COUNT), "internal_error");
    assert_int_equal(sota_update_http_status(SOTA_UPDATE_ERR__COUNT), 500);
    assert_string_equal(sota_update_err_code((sota_update_err_t)-1), "internal_error");
    assert_int_equal(sota_update_http_status((sota_update_err_t)-1), 500);
}

static void test_readme_names_every_code(void **state)
{
    (void)state;
    FILE *f = fopen(SOTA_ROOT "/README.md", "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    for (int e = 1; e < SOTA_UPDATE_ERR__COUNT; e++) {
        char quoted[48];
        snprintf(quoted, sizeof quoted, "`%s`", sota_update_err_code((sota_update_err_t)e));
        if (!strstr(text, quoted)) {
            free(text);
            fail_msg("README.md does not name the error code %s", quoted);
        }
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_outcome),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_readme_names_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
