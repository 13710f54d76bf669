/* Unit tests of the host esp_event, esp_netif, esp_wifi and lwIP-socket ports
 * (host/idf/event_*.c, net_*.c, wifi_*.c), the part the component uses: event dispatch
 * rules on the default loop (created by the first test and kept, as the component never
 * deletes it), the soft-AP interface, soft-AP configuration checks, the AP_START event and
 * log line, simulated stations and their DHCP leases, and the host socket helpers. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_idf_version.h"
#include "esp_wifi.h"
#include "sota_host_idf.h"
#include "lwip/err.h"
#include "lwip/inet.h"
#include "lwip/netdb.h"
#include "lwip/sockets.h"
#include "nvs_flash.h"
#include "sota_host_net.h"
#include "sota_host_nvs.h"

ESP_EVENT_DECLARE_BASE(TEST_EVENT);
ESP_EVENT_DEFINE_BASE(TEST_EVENT);
ESP_EVENT_DEFINE_BASE(OTHER_EVENT);

/* Generous guard against a hang; tests never depend on how fast things happen. */
#define WAIT_TICKS pdMS_TO_TICKS(10000)
#define SENTINEL_ID 999

/* ---- an event recorder --------------------------------------------------------------- */

typedef struct {
    esp_event_base_t base;
    int32_t id;
    uint8_t data[32];
    const char *tag;             /* which handler */
} rec_t;

static rec_t g_rec[64];
static int g_nrec;
static SemaphoreHandle_t g_rec_lock;
static TaskHandle_t g_waiter;        /* notified once per dispatched sentinel */

static void rec_reset(void)
{
    if (!g_rec_lock) {
        g_rec_lock = xSemaphoreCreateMutex();
    }
    g_waiter = xTaskGetCurrentTaskHandle();
    xSemaphoreTake(g_rec_lock, portMAX_DELAY);
    g_nrec = 0;
    xSemaphoreGive(g_rec_lock);
    while (ulTaskNotifyTake(pdTRUE, 0) != 0) {
    }
}

/* How many bytes of data the events the tests post carry. */
static size_t data_size(esp_event_base_t base, int32_t id)
{
    if (base == WIFI_EVENT && id == WIFI_EVENT_AP_STACONNECTED) {
        return sizeof(wifi_event_ap_staconnected_t);
    }
    if (base == WIFI_EVENT && id == WIFI_EVENT_AP_STADISCONNECTED) {
        return sizeof(wifi_event_ap_stadisconnected_t);
    }
    if (base == IP_EVENT && id == IP_EVENT_AP_STAIPASSIGNED) {
        return sizeof(ip_event_ap_staipassigned_t);
    }
    if (base == TEST_EVENT && id == 7) {
        return sizeof(uint32_t);
    }
    return 0;
}

/* arg: a tag string naming the registration. */
static void recorder(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    if (base == TEST_EVENT && id == SENTINEL_ID && arg == NULL) {
        xTaskNotifyGive(g_waiter);       /* the sentinel's own registration */
        return;
    }
    xSemaphoreTake(g_rec_lock, portMAX_DELAY);
    if (g_nrec < (int)(sizeof g_rec / sizeof g_rec[0])) {
        rec_t *r = &g_rec[g_nrec++];
        r->base = base;
        r->id = id;
        r->tag = arg;
        memset(r->data, 0, sizeof r->data);
        size_t n = data_size(base, id);
        assert_true(n <= sizeof r->data);
        if (n) {
            assert_non_null(data);
            memcpy(r->data, data, n);
        }
    }
    xSemaphoreGive(g_rec_lock);
}

/* Post a sentinel to the default loop and wait until it is dispatched: everything posted
 * before has been handled then. */
static void drain(void)
{
    assert_int_equal(esp_event_post(TEST_EVENT, SENTINEL_ID, NULL, 0, WAIT_TICKS), ESP_OK);
    assert_true(ulTaskNotifyTake(pdFALSE, WAIT_TICKS) >= 1);
}

/* Register recorder with tag as its argument on the default loop. */
static esp_event_handler_instance_t reg(esp_event_base_t base, int32_t id, char *tag)
{
    esp_event_handler_instance_t inst = NULL;
    assert_int_equal(esp_event_handler_instance_register(base, id, recorder, tag, &inst), ESP_OK);
    assert_non_null(inst);
    return inst;
}

/* ---- esp_event ------------------------------------------------------------------------ */

static void test_event_default_loop_lifecycle(void **state)
{
    (void)state;
    esp_event_handler_instance_t inst = NULL;
    assert_int_equal(esp_event_post(TEST_EVENT, 1, NULL, 0, 0), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_event_handler_instance_register(TEST_EVENT, 1, recorder, NULL, &inst),
                     ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 1, inst),
                     ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    assert_int_equal(esp_event_loop_create_default(), ESP_ERR_INVALID_STATE);
    /* the default loop stays for the other tests, with the sentinel (no instance kept) */
    assert_int_equal(esp_event_handler_instance_register(TEST_EVENT, SENTINEL_ID, recorder, NULL,
                                                         NULL), ESP_OK);
}

/* Handlers run in ESP-IDF's order (any base, base + any id, base + id), each group in
 * registration order; data is the poster's copy. */
static void test_event_dispatch_order_and_data(void **state)
{
    (void)state;
    rec_reset();
    static char specific1[] = "specific1", specific2[] = "specific2", base_any[] = "base_any",
                any_any[] = "any_any", other[] = "other";
    esp_event_handler_instance_t i1 = reg(TEST_EVENT, 7, specific1);
    esp_event_handler_instance_t i2 = reg(TEST_EVENT, 7, specific2);
    esp_event_handler_instance_t i3 = reg(TEST_EVENT, ESP_EVENT_ANY_ID, base_any);
    esp_event_handler_instance_t i4 = reg(ESP_EVENT_ANY_BASE, ESP_EVENT_ANY_ID, any_any);
    esp_event_handler_instance_t i5 = reg(OTHER_EVENT, 7, other);

    uint32_t payload = 0xC0FFEE;
    assert_int_equal(esp_event_post(TEST_EVENT, 7, &payload, sizeof payload, 0), ESP_OK);
    payload = 0;                                   /* the loop has its own copy */
    assert_int_equal(esp_event_post(TEST_EVENT, 8, NULL, 0, 0), ESP_OK);
    drain();

    static const struct {
        int32_t id;
        const char *tag;
    } expect[] = {
        { 7, "any_any" }, { 7, "base_any" }, { 7, "specific1" }, { 7, "specific2" },
        { 8, "any_any" }, { 8, "base_any" },
        { SENTINEL_ID, "any_any" }, { SENTINEL_ID, "base_any" },
    };
    assert_int_equal(g_nrec, sizeof expect / sizeof expect[0]);
    for (int i = 0; i < g_nrec; i++) {
        assert_ptr_equal(g_rec[i].base, TEST_EVENT);
        assert_int_equal(g_rec[i].id, expect[i].id);
        assert_string_equal(g_rec[i].tag, expect[i].tag);
    }
    uint32_t got;
    memcpy(&got, g_rec[0].data, sizeof got);
    assert_int_equal(got, 0xC0FFEE);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 7, i1), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 7, i2), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, ESP_EVENT_ANY_ID, i3), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(ESP_EVENT_ANY_BASE, ESP_EVENT_ANY_ID, i4),
                     ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(OTHER_EVENT, 7, i5), ESP_OK);
}

static void test_event_argument_errors(void **state)
{
    (void)state;
    esp_event_handler_instance_t inst = NULL;
    assert_int_equal(esp_event_handler_instance_register(ESP_EVENT_ANY_BASE, 3, recorder, NULL,
                                                         &inst), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_handler_instance_register(TEST_EVENT, 3, NULL, NULL, &inst),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post(ESP_EVENT_ANY_BASE, 3, NULL, 0, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_post(TEST_EVENT, ESP_EVENT_ANY_ID, NULL, 0, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 3, NULL), ESP_ERR_INVALID_ARG);
}

/* Instances of one handler with one argument are separate registrations. */
static void test_event_register_unregister(void **state)
{
    (void)state;
    rec_reset();
    static char inst[] = "inst";
    esp_event_handler_instance_t i1 = reg(TEST_EVENT, 1, inst);
    esp_event_handler_instance_t i2 = reg(TEST_EVENT, 1, inst);
    assert_ptr_not_equal(i1, i2);
    assert_int_equal(esp_event_post(TEST_EVENT, 1, NULL, 0, 0), ESP_OK);
    drain();
    assert_int_equal(g_nrec, 2);
    assert_string_equal(g_rec[0].tag, "inst");
    assert_string_equal(g_rec[1].tag, "inst");

    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 1, i1), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 1, i1), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 2, i2), ESP_ERR_NOT_FOUND);
    rec_reset();
    assert_int_equal(esp_event_post(TEST_EVENT, 1, NULL, 0, 0), ESP_OK);
    drain();
    assert_int_equal(g_nrec, 1);                   /* only i2 left */
    assert_string_equal(g_rec[0].tag, "inst");
    assert_int_equal(esp_event_handler_instance_unregister(TEST_EVENT, 1, i2), ESP_OK);
}

static esp_event_handler_instance_t g_self_inst;
static int g_self_calls;

static void unregisters_itself(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)data;
    g_self_calls++;
    assert_int_equal(esp_event_handler_instance_unregister(base, id, g_self_inst), ESP_OK);
    /* Posting from the loop's own task must not block even on a full queue. */
    assert_int_equal(esp_event_post(TEST_EVENT, 5, NULL, 0, portMAX_DELAY), ESP_OK);
}

static void test_event_unregister_inside_handler(void **state)
{
    (void)state;
    rec_reset();
    g_self_calls = 0;
    assert_int_equal(esp_event_handler_instance_register(TEST_EVENT, 5, unregisters_itself, NULL,
                                                         &g_self_inst), ESP_OK);
    assert_int_equal(esp_event_post(TEST_EVENT, 5, NULL, 0, 0), ESP_OK);
    drain();
    drain();
    assert_int_equal(g_self_calls, 1);             /* its own re-post found no handler */
}

/* ---- esp_netif ------------------------------------------------------------------------ */

static void test_netif_ap(void **state)
{
    (void)state;
    /* Must come first: esp_netif_init cannot be undone. */
    assert_null(esp_netif_create_default_wifi_ap());
    assert_int_equal(esp_netif_init(), ESP_OK);
    assert_int_equal(esp_netif_init(), ESP_OK);

    esp_netif_t *ap = esp_netif_create_default_wifi_ap();
    assert_non_null(ap);
    /* only once: a second one asserts (duplicate if_key), as on a device */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        esp_netif_create_default_wifi_ap();
        _exit(0);
    }
    int wst = 0;
    assert_int_equal(waitpid(child, &wst, 0), child);
    assert_true(WIFSIGNALED(wst));
    assert_int_equal(WTERMSIG(wst), SIGABRT);
    assert_ptr_equal(esp_netif_get_handle_from_ifkey("WIFI_AP_DEF"), ap);
    assert_null(esp_netif_get_handle_from_ifkey("WIFI_STA_DEF"));

    esp_netif_ip_info_t ip;
    assert_int_equal(esp_netif_get_ip_info(ap, &ip), ESP_OK);
    assert_int_equal(ip.ip.addr, ESP_IP4TOADDR(192, 168, 4, 1));
    assert_int_equal(ip.gw.addr, ESP_IP4TOADDR(192, 168, 4, 1));
    assert_int_equal(ip.netmask.addr, ESP_IP4TOADDR(255, 255, 255, 0));
    char text[32];
    snprintf(text, sizeof text, IPSTR, IP2STR(&ip.ip));
    assert_string_equal(text, "192.168.4.1");
    assert_int_equal(ip.ip.addr, inet_addr("192.168.4.1"));   /* network byte order */
    assert_int_equal(esp_netif_get_ip_info(NULL, &ip), ESP_ERR_INVALID_ARG);
}

/* ---- esp_wifi -------------------------------------------------------------------------- */

static char g_nvs_path[1024];

static int wifi_setup(void **state)
{
    (void)state;
    rec_reset();
    mkdir(SOTA_TMPDIR, 0777);
    snprintf(g_nvs_path, sizeof g_nvs_path, "%s/test_idf_wifi_nvs_%d.dat", SOTA_TMPDIR, (int)getpid());
    nvs_host_reset();
    nvs_host_set_path(g_nvs_path);
    if (nvs_flash_erase() != ESP_OK || nvs_flash_init() != ESP_OK) {
        return -1;
    }
    return 0;
}

static int wifi_teardown(void **state)
{
    (void)state;
    esp_wifi_stop();
    esp_wifi_deinit();
    nvs_host_reset();
    unlink(g_nvs_path);
    nvs_host_set_path(NULL);
    return 0;
}

static void test_wifi_not_initialised(void **state)
{
    (void)state;
    wifi_config_t cfg = { 0 };
    wifi_mode_t mode;
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_AP), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_get_mode(&mode), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_get_config(WIFI_IF_AP, &cfg), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_start(), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_stop(), ESP_ERR_WIFI_NOT_INIT);
    assert_int_equal(esp_wifi_deinit(), ESP_ERR_WIFI_NOT_INIT);

    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    assert_int_equal(init.magic, WIFI_INIT_CONFIG_MAGIC);
    assert_int_equal(esp_wifi_init(NULL), ESP_ERR_INVALID_ARG);
    init.magic = 0;
    assert_int_equal(esp_wifi_init(&init), ESP_ERR_INVALID_ARG);
    init.magic = WIFI_INIT_CONFIG_MAGIC;
    /* As on a device, the driver needs NVS unless told not to use it. */
    nvs_host_reset();
    assert_int_equal(esp_wifi_init(&init), ESP_ERR_NVS_NOT_INITIALIZED);
    init.nvs_enable = 0;
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    init.nvs_enable = 1;
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    sota_host_idf_set_release(ESP_IDF_VERSION_VAL(5, 5, 2));
    assert_int_equal(esp_wifi_init(&init), ESP_OK);       /* again: harmless on 5.x */
    assert_int_equal(esp_wifi_get_mode(&mode), ESP_OK);
    assert_int_equal(mode, WIFI_MODE_STA);                /* ESP-IDF's default */
    assert_int_equal(esp_wifi_get_config(WIFI_IF_AP, &cfg), ESP_OK);
    assert_string_equal((char *)cfg.ap.ssid, "ESP_000002");
    assert_int_equal(cfg.ap.authmode, WIFI_AUTH_OPEN);
    assert_int_equal(cfg.ap.channel, 1);
    assert_int_equal(cfg.ap.max_connection, 4);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
}

static wifi_config_t base_ap(void)
{
    wifi_config_t c = { 0 };
    strcpy((char *)c.ap.ssid, "ESP32 OTA Update");
    c.ap.ssid_len = (uint8_t)strlen((char *)c.ap.ssid);
    c.ap.channel = 1;
    c.ap.authmode = WIFI_AUTH_OPEN;
    c.ap.max_connection = 4;
    c.ap.pmf_cfg.required = false;
    return c;
}

typedef struct {
    const char *what;
    wifi_auth_mode_t auth;
    const char *password;
    int channel;
    int max_conn;
    int ssid_len;                 /* -1: base */
    int beacon;
    esp_err_t expect;
} ap_case_t;

#define PW63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define HEX64 "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
#define NONHEX64 "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdeg"

static const ap_case_t k_ap_cases[] = {
    { "open, no password", WIFI_AUTH_OPEN, "", 1, 4, -1, 0, ESP_OK },
    { "open ignores a short password", WIFI_AUTH_OPEN, "short", 1, 4, -1, 0, ESP_OK },
    { "wpa2 7 chars", WIFI_AUTH_WPA2_PSK, "1234567", 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wpa2 8 chars", WIFI_AUTH_WPA2_PSK, "12345678", 1, 4, -1, 0, ESP_OK },
    { "wpa2 63 chars", WIFI_AUTH_WPA2_PSK, PW63, 1, 4, -1, 0, ESP_OK },
    { "wpa2 64 hex", WIFI_AUTH_WPA2_PSK, HEX64, 1, 4, -1, 0, ESP_OK },
    { "wpa2 64 not hex", WIFI_AUTH_WPA2_PSK, NONHEX64, 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wpa2 empty", WIFI_AUTH_WPA2_PSK, "", 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wpa/wpa2 7", WIFI_AUTH_WPA_WPA2_PSK, "1234567", 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wpa3 7", WIFI_AUTH_WPA3_PSK, "1234567", 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wpa3 8", WIFI_AUTH_WPA3_PSK, "12345678", 1, 4, -1, 0, ESP_OK },
    { "wpa2/wpa3 7", WIFI_AUTH_WPA2_WPA3_PSK, "1234567", 1, 4, -1, 0, ESP_ERR_WIFI_PASSWORD },
    { "wep", WIFI_AUTH_WEP, "12345678", 1, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "enterprise", WIFI_AUTH_WPA2_ENTERPRISE, "12345678", 1, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "authmode max", WIFI_AUTH_MAX, "12345678", 1, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "channel 0", WIFI_AUTH_OPEN, "", 0, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "channel 1", WIFI_AUTH_OPEN, "", 1, 4, -1, 0, ESP_OK },
    { "channel 11", WIFI_AUTH_OPEN, "", 11, 4, -1, 0, ESP_OK },      /* country "01": 1..11 */
    { "channel 12", WIFI_AUTH_OPEN, "", 12, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "channel 13", WIFI_AUTH_OPEN, "", 13, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "channel 14", WIFI_AUTH_OPEN, "", 14, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "channel 15", WIFI_AUTH_OPEN, "", 15, 4, -1, 0, ESP_ERR_INVALID_ARG },
    { "10 stations", WIFI_AUTH_OPEN, "", 1, 10, -1, 0, ESP_OK },
    { "11 stations", WIFI_AUTH_OPEN, "", 1, 11, -1, 0, ESP_ERR_INVALID_ARG },
    { "ssid_len 32", WIFI_AUTH_OPEN, "", 1, 4, 32, 0, ESP_OK },
    { "ssid_len 33", WIFI_AUTH_OPEN, "", 1, 4, 33, 0, ESP_ERR_WIFI_SSID },
    { "beacon 99", WIFI_AUTH_OPEN, "", 1, 4, -1, 99, ESP_ERR_INVALID_ARG },
    { "beacon 100", WIFI_AUTH_OPEN, "", 1, 4, -1, 100, ESP_OK },
    { "beacon 60000", WIFI_AUTH_OPEN, "", 1, 4, -1, 60000, ESP_OK },
    { "beacon 60001", WIFI_AUTH_OPEN, "", 1, 4, -1, 60001, ESP_ERR_INVALID_ARG },
};

static void init_wifi_ap(void)
{
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_AP), ESP_OK);
}

static void test_wifi_ap_config_checks(void **state)
{
    (void)state;
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    wifi_config_t good = base_ap();
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &good), ESP_ERR_WIFI_MODE);  /* STA mode */
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_MAX), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_AP), ESP_OK);
    assert_int_equal(esp_wifi_set_config(WIFI_IF_STA, &good), ESP_ERR_WIFI_MODE);
    assert_int_equal(esp_wifi_set_config((wifi_interface_t)2, &good), ESP_ERR_WIFI_IF);
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &good), ESP_OK);

    for (size_t i = 0; i < sizeof k_ap_cases / sizeof k_ap_cases[0]; i++) {
        const ap_case_t *c = &k_ap_cases[i];
        wifi_config_t cfg = base_ap();
        cfg.ap.authmode = c->auth;
        memcpy(cfg.ap.password, c->password, strlen(c->password)); /* 64: no NUL, as allowed */
        cfg.ap.channel = (uint8_t)c->channel;
        cfg.ap.max_connection = (uint8_t)c->max_conn;
        cfg.ap.beacon_interval = (uint16_t)c->beacon;
        if (c->ssid_len >= 0) {
            memset(cfg.ap.ssid, 'S', sizeof cfg.ap.ssid);
            cfg.ap.ssid_len = (uint8_t)c->ssid_len;
        }
        esp_err_t err = esp_wifi_set_config(WIFI_IF_AP, &cfg);
        if (err != c->expect) {
            print_error("AP case '%s': got %s, expected %s\n", c->what, esp_err_to_name(err),
                        esp_err_to_name(c->expect));
            fail();
        }
        wifi_config_t now;
        assert_int_equal(esp_wifi_get_config(WIFI_IF_AP, &now), ESP_OK);
        if (err == ESP_OK) {
            assert_int_equal(now.ap.channel, c->channel);
            assert_int_equal(now.ap.authmode, c->auth);
            assert_int_equal(now.ap.beacon_interval, c->beacon ? c->beacon : 100);
        }
        assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &good), ESP_OK);
    }
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
}

/* Run fn with stderr captured into buf (info logs on, whatever SOTA_LOG_LEVEL says). */
static void capture_stderr(esp_err_t (*fn)(void), esp_err_t expect, char *buf, size_t len)
{
    esp_log_level_set("*", ESP_LOG_INFO);
    char path[1100];
    snprintf(path, sizeof path, "%s/test_idf_wifi_stderr_%d.txt", SOTA_TMPDIR, (int)getpid());
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    esp_err_t err = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    assert_int_equal(err, expect);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
}

static void test_wifi_start_posts_ap_start(void **state)
{
    (void)state;
    esp_netif_t *ap = esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
    assert_non_null(ap);                          /* made by test_netif_ap */
    static char tag[] = "wifi";
    esp_event_handler_instance_t iw = reg(WIFI_EVENT, ESP_EVENT_ANY_ID, tag);
    esp_event_handler_instance_t ii = reg(IP_EVENT, ESP_EVENT_ANY_ID, tag);
    init_wifi_ap();
    wifi_config_t cfg = base_ap();
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_OK);

    char log[2048];
    capture_stderr(esp_wifi_start, ESP_OK, log, sizeof log);
    if (!strstr(log, "wifi: AP 'ESP32 OTA Update' channel 1 open, max 4 stations, 192.168.4.1")) {
        print_error("log was: %s\n", log);
        fail();
    }
    drain();
    assert_int_equal(g_nrec, 1);
    assert_ptr_equal(g_rec[0].base, WIFI_EVENT);
    assert_int_equal(g_rec[0].id, WIFI_EVENT_AP_START);
    assert_int_equal(esp_wifi_start(), ESP_OK);   /* already started: no second event */
    assert_int_equal(esp_wifi_deinit(), ESP_ERR_WIFI_NOT_STOPPED);

    drain();
    assert_int_equal(g_nrec, 1);                  /* still only the first AP_START */
    rec_reset();
    assert_int_equal(esp_wifi_stop(), ESP_OK);
    drain();
    assert_int_equal(g_nrec, 1);
    assert_int_equal(g_rec[0].id, WIFI_EVENT_AP_STOP);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, iw), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(IP_EVENT, ESP_EVENT_ANY_ID, ii), ESP_OK);
}

/* WPA2 log line and mode switching while started. */
static void test_wifi_log_and_mode_switch(void **state)
{
    (void)state;
    static char tag[] = "wifi";
    esp_event_handler_instance_t iw = reg(WIFI_EVENT, ESP_EVENT_ANY_ID, tag);
    init_wifi_ap();
    wifi_config_t cfg = base_ap();
    cfg.ap.authmode = WIFI_AUTH_WPA2_PSK;
    strcpy((char *)cfg.ap.password, "update-me-123");
    cfg.ap.channel = 6;
    cfg.ap.ssid_len = 0;                          /* NUL-terminated instead */
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_OK);
    char log[2048];
    capture_stderr(esp_wifi_start, ESP_OK, log, sizeof log);
    assert_non_null(strstr(log, "AP 'ESP32 OTA Update' channel 6 WPA2-PSK, max 4 stations"));
    assert_null(strstr(log, "update-me-123"));     /* never log the password */
    drain();
    rec_reset();
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_STA), ESP_OK);   /* AP goes away */
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_APSTA), ESP_OK); /* and comes back */
    drain();
    static const int32_t expect[] = { WIFI_EVENT_AP_STOP, WIFI_EVENT_STA_START,
                                      WIFI_EVENT_AP_START };
    assert_int_equal(g_nrec, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_rec[i].id, expect[i]);
    }
    assert_int_equal(esp_wifi_stop(), ESP_OK);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, iw), ESP_OK);
}

static void test_wifi_simulated_stations(void **state)
{
    (void)state;
    static char tag[] = "wifi";
    esp_event_handler_instance_t iw = reg(WIFI_EVENT, ESP_EVENT_ANY_ID, tag);
    esp_event_handler_instance_t ii = reg(IP_EVENT, ESP_EVENT_ANY_ID, tag);
    const uint8_t phone[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    assert_int_equal(sota_host_wifi_sta_connect(phone), ESP_ERR_WIFI_NOT_STARTED);
    init_wifi_ap();
    wifi_config_t cfg = base_ap();
    cfg.ap.max_connection = 2;
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_OK);
    assert_int_equal(sota_host_wifi_sta_connect(phone), ESP_ERR_WIFI_NOT_STARTED);
    assert_int_equal(esp_wifi_start(), ESP_OK);
    drain();
    rec_reset();

    assert_int_equal(sota_host_wifi_sta_connect(phone), ESP_OK);
    assert_int_equal(sota_host_wifi_sta_connect(phone), ESP_ERR_INVALID_STATE);
    drain();
    assert_int_equal(g_nrec, 2);
    assert_ptr_equal(g_rec[0].base, WIFI_EVENT);
    assert_int_equal(g_rec[0].id, WIFI_EVENT_AP_STACONNECTED);
    wifi_event_ap_staconnected_t con;
    memcpy(&con, g_rec[0].data, sizeof con);
    assert_memory_equal(con.mac, phone, 6);
    assert_int_equal(con.aid, 1);
    assert_ptr_equal(g_rec[1].base, IP_EVENT);
    assert_int_equal(g_rec[1].id, IP_EVENT_AP_STAIPASSIGNED);
    ip_event_ap_staipassigned_t ipev;
    memcpy(&ipev, g_rec[1].data, sizeof ipev);
    assert_int_equal(ipev.ip.addr, ESP_IP4TOADDR(192, 168, 4, 2));
    assert_memory_equal(ipev.mac, phone, 6);
    assert_ptr_equal(ipev.esp_netif, esp_netif_get_handle_from_ifkey("WIFI_AP_DEF"));

    /* max_connection N accepted, N+1 refused. */
    const uint8_t laptop[6] = { 0x02, 0, 0, 0, 0, 2 }, third[6] = { 0x02, 0, 0, 0, 0, 3 };
    assert_int_equal(sota_host_wifi_sta_connect(laptop), ESP_OK);
    assert_int_equal(sota_host_wifi_sta_connect(third), ESP_ERR_NO_MEM);
    assert_int_equal(sota_host_wifi_sta_connect(NULL), ESP_ERR_INVALID_ARG);
    drain();

    /* Stopping the AP drops the stations first. */
    rec_reset();
    assert_int_equal(esp_wifi_stop(), ESP_OK);
    drain();
    assert_int_equal(g_nrec, 3);
    assert_int_equal(g_rec[0].id, WIFI_EVENT_AP_STADISCONNECTED);
    wifi_event_ap_stadisconnected_t dis;
    memcpy(&dis, g_rec[0].data, sizeof dis);
    assert_memory_equal(dis.mac, phone, 6);
    assert_int_equal(dis.aid, 1);
    assert_int_equal(g_rec[1].id, WIFI_EVENT_AP_STADISCONNECTED);
    assert_int_equal(g_rec[2].id, WIFI_EVENT_AP_STOP);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, iw), ESP_OK);
    assert_int_equal(esp_event_handler_instance_unregister(IP_EVENT, ESP_EVENT_ANY_ID, ii), ESP_OK);
}

static void test_wifi_error_codes(void **state)
{
    (void)state;
    assert_int_equal(esp_err_to_name(ESP_ERR_WIFI_PASSWORD), esp_err_to_name(0x300b));
    assert_string_equal(esp_err_to_name(ESP_ERR_WIFI_PASSWORD), "ESP_ERR_WIFI_PASSWORD");
    assert_string_equal(esp_err_to_name(ESP_ERR_ESP_NETIF_DHCP_NOT_STOPPED),
                        "ESP_ERR_ESP_NETIF_DHCP_NOT_STOPPED");
    assert_int_equal(ESP_ERR_WIFI_NOT_INIT, 0x3001);
    assert_int_equal(ESP_ERR_WIFI_PASSWORD, 0x300b);
}

/* ---- host sockets ---------------------------------------------------------------------- */

/* The country decides the AP's channels: "01" after esp_wifi_init (1..11), 1..13 for most
 * countries, 1..14 for JP; unknown codes are refused and change nothing. */
static void test_wifi_country_channels(void **state)
{
    (void)state;
    assert_int_equal(esp_wifi_set_country_code("DE", false), ESP_ERR_WIFI_NOT_INIT);
    init_wifi_ap();
    static const struct {
        const char *cc;
        esp_err_t set;
        uint8_t last_ok;            /* highest channel accepted afterwards */
    } rows[] = {
        { "01", ESP_OK, 11 }, { "US", ESP_OK, 11 }, { "DE", ESP_OK, 13 }, { "CN", ESP_OK, 13 },
        { "JP", ESP_OK, 14 }, { "XX", ESP_ERR_INVALID_ARG, 14 }, { "0", ESP_ERR_INVALID_ARG, 14 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(esp_wifi_set_country_code(rows[i].cc, false), rows[i].set);
        wifi_country_t c;
        assert_int_equal(esp_wifi_get_country(&c), ESP_OK);
        assert_int_equal(c.schan, 1);
        assert_int_equal(c.nchan, rows[i].last_ok);
        wifi_config_t cfg = base_ap();
        cfg.ap.channel = rows[i].last_ok;
        assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_OK);
        cfg.ap.channel = (uint8_t)(rows[i].last_ok + 1);
        assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_ERR_INVALID_ARG);
    }
    /* a new init starts from "01" (1..11) again */
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    init_wifi_ap();
    wifi_country_t c;
    assert_int_equal(esp_wifi_get_country(&c), ESP_OK);
    assert_int_equal(c.nchan, 11);
}

/* esp_wifi_init on an initialised driver: ESP_OK as ESP-IDF 5.x answers, or
 * ESP_ERR_INVALID_STATE as 6.0 does; the driver stays initialised either way. */
static void test_wifi_init_again(void **state)
{
    (void)state;
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    sota_host_idf_set_release(ESP_IDF_VERSION_VAL(5, 5, 2));
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    sota_host_idf_set_release(ESP_IDF_VERSION_VAL(6, 0, 0));
    assert_int_equal(esp_wifi_init(&init), ESP_ERR_INVALID_STATE);
    wifi_mode_t m;
    assert_int_equal(esp_wifi_get_mode(&m), ESP_OK);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    assert_int_equal(esp_wifi_init(&init), ESP_OK); /* a first init is fine on 6.0 too */
}

/* The DHCP server has CONFIG_LWIP_DHCPS_MAX_STATION_NUM leases: up to that many stations
 * each hold an address; one more takes the oldest station's lease, silently. */
static void test_wifi_dhcp_leases(void **state)
{
    (void)state;
    init_wifi_ap();
    wifi_config_t cfg = base_ap();
    cfg.ap.max_connection = ESP_WIFI_MAX_CONN_NUM;
    assert_int_equal(esp_wifi_set_config(WIFI_IF_AP, &cfg), ESP_OK);
    assert_int_equal(esp_wifi_start(), ESP_OK);
    esp_netif_t *ap = esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
    assert_non_null(ap);
    const int leases = CONFIG_LWIP_DHCPS_MAX_STATION_NUM;
    const int n = leases < ESP_WIFI_MAX_CONN_NUM ? leases + 1 : ESP_WIFI_MAX_CONN_NUM;
    esp_netif_pair_mac_ip_t pairs[ESP_WIFI_MAX_CONN_NUM];
    memset(pairs, 0, sizeof pairs);
    for (int i = 0; i < n; i++) {
        pairs[i].mac[0] = 0x02;
        pairs[i].mac[5] = (uint8_t)(i + 1);
        assert_int_equal(sota_host_wifi_sta_connect(pairs[i].mac), ESP_OK);
    }
    drain();
    assert_int_equal(esp_netif_dhcps_get_clients_by_mac(ap, n, pairs), ESP_OK);
    int with_ip = 0;
    for (int i = 0; i < n; i++) {
        with_ip += pairs[i].ip.addr != 0;
    }
    assert_int_equal(with_ip, n <= leases ? n : leases);
    if (n > leases) {
        assert_int_equal(pairs[0].ip.addr, 0);      /* the oldest lost its lease */
        assert_int_equal(pairs[n - 1].ip.addr, ESP_IP4TOADDR(192, 168, 4, 2)); /* and its address */
    }
    assert_int_equal(esp_netif_dhcps_get_clients_by_mac(ap, 0, pairs), ESP_ERR_ESP_NETIF_INVALID_PARAMS);
}

static void test_host_net_helpers(void **state)
{
    (void)state;
    assert_int_equal(ERR_OK, 0);
    assert_int_equal(ERR_ARG, -16);

    /* A UDP exchange through the lwIP-named POSIX API, on loopback only. */
    int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_true(s >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t alen = sizeof addr;
    assert_int_equal(getsockname(s, (struct sockaddr *)&addr, &alen), 0);
    struct timeval tv = { .tv_sec = 5 };
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(sendto(s, "ping", 4, 0, (struct sockaddr *)&addr, sizeof addr), 4);
    char buf[8];
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    assert_int_equal(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 4);
    assert_memory_equal(buf, "ping", 4);
    char text[16];
    assert_ptr_equal(inet_ntoa_r(from.sin_addr, text, sizeof text), text);
    assert_string_equal(text, "127.0.0.1");
    assert_null(inet_ntoa_r(from.sin_addr, text, 9));     /* does not fit */
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_default_loop_lifecycle),
        cmocka_unit_test(test_event_dispatch_order_and_data),
        cmocka_unit_test(test_event_argument_errors),
        cmocka_unit_test(test_event_register_unregister),
        cmocka_unit_test(test_event_unregister_inside_handler),
        cmocka_unit_test(test_netif_ap),
        cmocka_unit_test_setup_teardown(test_wifi_not_initialised, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_ap_config_checks, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_start_posts_ap_start, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_log_and_mode_switch, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_simulated_stations, wifi_setup, wifi_teardown),
        cmocka_unit_test(test_wifi_error_codes),
        cmocka_unit_test_setup_teardown(test_wifi_country_channels, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_init_again, wifi_setup, wifi_teardown),
        cmocka_unit_test_setup_teardown(test_wifi_dhcp_leases, wifi_setup, wifi_teardown),
        cmocka_unit_test(test_host_net_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
