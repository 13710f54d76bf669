/* Unit tests of the host esp_http_server's pure functions: httpd_query_key_value, and
 * the argument checks every API makes before touching a server. Tables follow ESP-IDF's
 * documented semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_http_server.h"
#include "esp_log.h"

/* ---- httpd_query_key_value --------------------------------------------------------------- */

typedef struct {
    const char *qry;
    const char *key;
    size_t val_size;
    esp_err_t ret;
    const char *val;  /* expected value on ESP_OK */
} qkv_case_t;

static const qkv_case_t s_query[] = {
    { "name=esp32&mode=ap", "name", 16, ESP_OK, "esp32" },
    { "name=esp32&mode=ap", "mode", 16, ESP_OK, "ap" },
    { "name=esp32&mode=ap", "MODE", 16, ESP_OK, "ap" },     /* keys: any case */
    { "name=esp32&mode=ap", "nam", 16, ESP_ERR_NOT_FOUND, NULL },
    { "name=esp32&mode=ap", "names", 16, ESP_ERR_NOT_FOUND, NULL },
    { "name=esp32&mode=ap", "esp32", 16, ESP_ERR_NOT_FOUND, NULL }, /* values are not keys */
    { "empty=&x=1", "empty", 16, ESP_OK, "" },
    { "a=1&b=2&c=3", "c", 16, ESP_OK, "3" },
    { "v=%20x+y", "v", 16, ESP_OK, "%20x+y" },              /* nothing is decoded */
    { "", "a", 16, ESP_ERR_NOT_FOUND, NULL },
    { "flag&a=1", "a", 16, ESP_ERR_NOT_FOUND, NULL },        /* a pair without '=' hides the next */
    { "a=1&flag", "flag", 16, ESP_ERR_NOT_FOUND, NULL },
    /* value length at the buffer limit (N = val_size - 1) and one past */
    { "k=12345", "k", 6, ESP_OK, "12345" },
    { "k=123456", "k", 6, ESP_ERR_HTTPD_RESULT_TRUNC, NULL },
    { "k=", "k", 1, ESP_OK, "" },
    { "k=1", "k", 1, ESP_ERR_HTTPD_RESULT_TRUNC, NULL },
    { "k=1", "k", 0, ESP_ERR_INVALID_ARG, NULL },
};

static void test_query_key_value_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_query / sizeof s_query[0]; i++) {
        const qkv_case_t *c = &s_query[i];
        char val[32];
        memset(val, 'Z', sizeof val);
        esp_err_t ret = httpd_query_key_value(c->qry, c->key, val, c->val_size);
        if (ret != c->ret) {
            fail_msg("case %zu (\"%s\", \"%s\", %zu): got 0x%x, want 0x%x", i, c->qry, c->key,
                     c->val_size, (unsigned)ret, (unsigned)c->ret);
        }
        if (ret == ESP_OK) {
            assert_string_equal(val, c->val);
        } else {
            /* Nothing written on failure (current ESP-IDF leaves val alone). */
            assert_int_equal(val[0], 'Z');
        }
    }
}

static void test_query_key_value_null_args(void **state)
{
    (void)state;
    char val[8];
    assert_int_equal(httpd_query_key_value(NULL, "a", val, sizeof val), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_query_key_value("a=1", NULL, val, sizeof val), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_query_key_value("a=1", "a", NULL, sizeof val), ESP_ERR_INVALID_ARG);
}

/* ---- argument checks without a server ---------------------------------------------------- */

static esp_err_t dummy_handler(httpd_req_t *req)
{
    (void)req;
    return ESP_OK;
}

static void test_null_arguments(void **state)
{
    (void)state;
    httpd_config_t cfg = HTTPD_DEFAULT_CONFIG();
    httpd_handle_t h = NULL;
    httpd_uri_t uri = { .uri = "/", .method = HTTP_GET, .handler = dummy_handler };
    char buf[8];
    size_t n = 1;
    int fds[1];

    assert_int_equal(httpd_start(NULL, &cfg), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_start(&h, NULL), ESP_ERR_INVALID_ARG);
    assert_null(h);
    assert_int_equal(httpd_stop(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_register_uri_handler(NULL, &uri), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_register_err_handler(NULL, HTTPD_404_NOT_FOUND, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_queue_work(NULL, NULL, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_sess_trigger_close(NULL, 3), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_get_client_list(NULL, &n, fds), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_req_recv(NULL, buf, sizeof buf), HTTPD_SOCK_ERR_INVALID);
    assert_int_equal(httpd_req_to_sockfd(NULL), -1);
    assert_int_equal(httpd_req_get_hdr_value_str(NULL, "Host", buf, sizeof buf), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_req_get_url_query_str(NULL, buf, sizeof buf), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_resp_set_status(NULL, HTTPD_200), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_resp_set_type(NULL, HTTPD_TYPE_TEXT), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_resp_set_hdr(NULL, "a", "b"), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_resp_send(NULL, "x", 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(httpd_resp_sendstr(NULL, "x"), ESP_ERR_INVALID_ARG);
}

/* The default configuration holds ESP-IDF's values. */
static void test_default_config(void **state)
{
    (void)state;
    httpd_config_t cfg = HTTPD_DEFAULT_CONFIG();
    assert_int_equal(cfg.task_priority, 5);
    assert_int_equal(cfg.stack_size, 4096);
    assert_int_equal(cfg.server_port, 80);
    assert_int_equal(cfg.ctrl_port, 32768);
    assert_int_equal(cfg.max_open_sockets, 7);
    assert_int_equal(cfg.max_uri_handlers, 8);
    assert_int_equal(cfg.max_resp_headers, 8);
    assert_int_equal(cfg.backlog_conn, 5);
    assert_false(cfg.lru_purge_enable);
    assert_int_equal(cfg.recv_wait_timeout, 5);
    assert_int_equal(cfg.send_wait_timeout, 5);
    assert_int_equal(cfg.max_req_hdr_len, 1024);
    assert_int_equal(cfg.max_uri_len, 512);
    assert_int_equal(sizeof(((httpd_req_t *)0)->uri), 513);
    assert_null(cfg.uri_match_fn);
    assert_int_equal(ESP_ERR_HTTPD_TASK, 0xb008);
    assert_int_equal(HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE, 12);
    assert_int_equal(HTTPD_ERR_CODE_MAX, 13);
}

int main(void)
{
    esp_log_level_set("*", ESP_LOG_NONE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_key_value_table),
        cmocka_unit_test(test_query_key_value_null_args),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_default_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
