/* The component's public API on the simulated device: softap_ota_start refuses bad
 * configurations, and softap_ota_reboot_to_factory selects the factory app and
 * restarts into it (the way back to the updater from any app). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cJSON.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_ota_ops.h"
#include "esp_wifi.h"
#include "fixture_device.h"
#include "imagegen.h"
#include "nor_flash.h"
#include "nvs_flash.h"
#include "ota_internal.h"
#include "ptable.h"
#include "softap_ota.h"
#include "esp_idf_version.h"
#include "sota_host.h"
#include "sota_host_idf.h"
#include "sota_host_httpd.h"
#include "sota_host_net.h"
#include "sota_host_nvs.h"

static jmp_buf s_restart;
static int s_restarts;

static void on_restart(void *ctx)
{
    (void)ctx;
    s_restarts++;
    longjmp(s_restart, 1);
}

static const char *const s_csv =
    "nvs,data,nvs,0x9000,0x4000,\n"
    "otadata,data,ota,0xd000,0x2000,\n"
    "phy_init,data,phy,0xf000,0x1000,\n"
    "factory,app,factory,0x10000,1M,\n"
    "ota_0,app,ota_0,0x110000,1M,\n"
    "ota_1,app,ota_1,0x210000,1M,\n";

/* A flash with the table, "updater 1.0" in factory and "app 2.0" in ota_0, booted into
 * ota_0 (otadata selects it). */
static nor_flash_t *make_device(sota_host_config_t *cfg)
{
    nor_flash_t *f = fx_flash_with_table(s_csv);
    static const struct {
        uint32_t at;
        const char *project, *version;
    } apps[] = { { 0x10000, "updater", "1.0" }, { 0x110000, "app", "2.0" } };
    for (size_t i = 0; i < 2; i++) {
        imagegen_opts_t g;
        imagegen_defaults(&g);
        g.project = apps[i].project;
        g.version = apps[i].version;
        g.size = 20000;
        g.seed = i + 1;
        uint8_t *img;
        size_t len;
        assert_int_equal(imagegen_build(&g, &img, &len), 0);
        assert_int_equal(nor_load(f, apps[i].at, img, len), NOR_OK);
        free(img);
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->flash = f;
    cfg->rollback_enabled = true;
    cfg->quiet = true;
    cfg->restart_hook = on_restart;
    /* select ota_0 as a finished update would, then boot */
    assert_int_equal(sota_host_attach(cfg), ESP_OK);
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                                        ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    assert_non_null(p);
    assert_int_equal(esp_ota_set_boot_partition(p), ESP_OK);
    assert_int_equal(sota_host_boot(cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    return f;
}

static void test_reboot_to_factory(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    s_restarts = 0;
    if (setjmp(s_restart) == 0) {
        softap_ota_reboot_to_factory();
        fail_msg("softap_ota_reboot_to_factory returned");
    }
    assert_int_equal(s_restarts, 1);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    assert_string_equal(esp_ota_get_running_partition()->label, "factory");
    assert_string_equal(esp_app_get_description()->project_name, "updater");
    sota_host_shutdown();
    nor_close(f);
}

static void test_reboot_to_factory_without_factory(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    /* a table without factory: ota_0 + ota_1 only */
    static const char *const csv = "otadata,data,ota,0xd000,0x2000,\n"
                                   "ota_0,app,ota_0,0x110000,1M,\n"
                                   "ota_1,app,ota_1,0x210000,1M,\n";
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[200];
    uint8_t bin[PT_MAX_LEN];
    assert_int_equal(pt_from_csv(csv, &o, &t, err, sizeof err), 0);
    assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
    assert_int_equal(nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin), NOR_OK);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    s_restarts = 0;
    assert_int_equal(softap_ota_reboot_to_factory(), ESP_ERR_NOT_FOUND);
    assert_int_equal(s_restarts, 0);
    sota_host_shutdown();
    nor_close(f);
}

/* Bad configurations are refused with ESP_ERR_INVALID_ARG before anything starts. */
static void test_start_refuses_bad_config(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    typedef struct {
        const char *ssid, *password;
        uint8_t channel, max_conn;
        uint32_t recv_timeout;
    } bad_t;
    static const bad_t bad[] = {
        { "x", "short", 1, 4, 5 },                /* WPA2 needs 8..63 characters */
        { "x", "1234567", 1, 4, 5 },              /* 7: one short */
        { "x", "0123456789012345678901234567890123456789012345678901234567890123", 1, 4, 5 }, /* 64 */
        { "", "", 1, 4, 5 },                      /* empty SSID */
        { "012345678901234567890123456789012", "", 1, 4, 5 }, /* 33 bytes */
        { "x", "", 0, 4, 5 },                     /* channel 0 */
        { "x", "", 14, 4, 5 },                    /* channel 14 */
        { "x", "", 1, 0, 5 },                     /* no stations */
        { "x", "", 1, 11, 5 },                    /* too many */
        { "x", "", 1, 4, 0 },                     /* no receive timeout */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
        c.ssid = bad[i].ssid;
        c.password = bad[i].password;
        c.channel = bad[i].channel;
        c.max_connections = bad[i].max_conn;
        c.recv_timeout_s = bad[i].recv_timeout;
        if (softap_ota_start(&c) != ESP_ERR_INVALID_ARG) {
            fail_msg("case %zu was not refused", i);
        }
    }
    assert_int_equal(softap_ota_start(NULL), ESP_ERR_INVALID_ARG);
    sota_host_shutdown();
    nor_close(f);
}

/* make_device, with the running app confirmed (no health check runs) and NVS up. */
static nor_flash_t *make_running_device(sota_host_config_t *cfg)
{
    nor_flash_t *f = make_device(cfg);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    return f;
}

/* The updater's settings for these tests: an ephemeral HTTP port on 127.0.0.1. */
static softap_ota_config_t start_cfg(void)
{
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    c.http_port = 0;
    return c;
}

/* The way back goes through the same verification as POST /api/boot: a factory app that
 * does not verify is not selected, nothing restarts and ota_0 keeps booting. */
static void test_reboot_to_factory_that_does_not_verify(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    const esp_partition_t *fp = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    uint8_t b;
    assert_int_equal(esp_partition_read(fp, 0x400, &b, 1), ESP_OK);
    b &= 0x7F; /* one payload bit cleared (programming only clears bits): the checksum fails */
    if (b == 0xFF) {
        b = 0;
    }
    assert_int_equal(esp_partition_write(fp, 0x400, &b, 1), ESP_OK);
    s_restarts = 0;
    esp_err_t err = ESP_OK;
    if (setjmp(s_restart) == 0) {
        err = softap_ota_reboot_to_factory();
    }
    assert_int_equal(s_restarts, 0);
    assert_int_equal(err, ESP_ERR_OTA_VALIDATE_FAILED);
    assert_string_equal(esp_ota_get_boot_partition()->label, "ota_0");
    sota_host_shutdown();
    nor_close(f);
}

/* A new app that passes its health check: the result the status shows (in RAM, not only
 * in NVS) says it runs and is confirmed, no longer that it boots next; before the check
 * it says the app runs and waits for it. */
static void test_health_confirmation_updates_the_shown_result(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_device(&cfg);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    ota_store_save(true, "installed app 2.0 (20000 bytes), verified; it boots next", "ota_0", true);
    softap_ota_config_t c = start_cfg();
    c.start_ap = false;
    c.health_delay_ms = 1000; /* the first status read comes well before it */
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    softap_ota_status_t st = { 0 };
    softap_ota_get_status(&st);
    assert_string_equal(st.last_message, "installed app 2.0 (20000 bytes), verified; it runs now and waits for "
                                          "its health check");
    /* waits are bounded generously (10 s): a loaded machine under ASan is slow, and a
     * wait that ends early costs nothing */
    for (int i = 0; i < 1000 && !strstr(st.last_message, "confirmed"); i++) {
        usleep(10000);
        softap_ota_get_status(&st);
    }
    assert_true(st.have_last);
    assert_true(st.last_ok);
    assert_string_equal(st.last_message, "installed app 2.0 (20000 bytes), verified; now runs from slot A (ota_0); "
                                          "it passed its health check and is confirmed");
    bool ok = false, wait = true;
    char msg[320], slot[17];
    assert_true(ota_store_load(&ok, msg, sizeof msg, slot, sizeof slot, &wait));
    assert_string_equal(msg, st.last_message);
    assert_false(wait);
    softap_ota_stop();
    sota_host_shutdown();
    nor_close(f);
}

/* An app that brought its own Wi-Fi (default AP interface, driver initialised and
 * started as a station): the component reuses the interface (a second one asserts),
 * adds the AP to the app's mode, and on stop gives the mode back without
 * de-initialising the app's driver. Must run before any other test creates the AP
 * interface (esp_netif cannot be de-initialised). */
static void test_start_inside_app_with_wifi(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    assert_int_equal(esp_netif_init(), ESP_OK);
    esp_err_t e = esp_event_loop_create_default();
    assert_true(e == ESP_OK || e == ESP_ERR_INVALID_STATE);
    assert_null(esp_netif_get_handle_from_ifkey("WIFI_AP_DEF"));
    esp_netif_t *app_ap = esp_netif_create_default_wifi_ap();
    assert_non_null(app_ap);
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    assert_int_equal(esp_wifi_set_mode(WIFI_MODE_STA), ESP_OK);
    assert_int_equal(esp_wifi_start(), ESP_OK);

    softap_ota_config_t c = start_cfg();
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    assert_ptr_equal(esp_netif_get_handle_from_ifkey("WIFI_AP_DEF"), app_ap);
    wifi_mode_t m;
    assert_int_equal(esp_wifi_get_mode(&m), ESP_OK);
    assert_int_equal(m, WIFI_MODE_APSTA);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    assert_int_equal(esp_wifi_get_mode(&m), ESP_OK); /* still initialised */
    assert_int_equal(m, WIFI_MODE_STA);

    assert_int_equal(esp_wifi_stop(), ESP_OK);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    sota_host_shutdown();
    nor_close(f);
}

/* ESP-IDF 6.0 answers a second esp_wifi_init with ESP_ERR_INVALID_STATE: an app that
 * initialised Wi-Fi (and nothing else) still gets the updater, and keeps its driver. */
static void test_start_after_app_wifi_init_on_idf6(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    sota_host_idf_set_release(ESP_IDF_VERSION_VAL(6, 0, 0));
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    assert_int_equal(esp_wifi_init(&init), ESP_OK);
    softap_ota_config_t c = start_cfg();
    esp_err_t err = softap_ota_start(&c);
    assert_int_equal(err, ESP_OK);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    wifi_mode_t m;
    assert_int_equal(esp_wifi_get_mode(&m), ESP_OK);
    assert_int_equal(esp_wifi_stop(), ESP_OK);
    assert_int_equal(esp_wifi_deinit(), ESP_OK);
    /* a driver the component initialised itself is de-initialised by stop */
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    assert_int_equal(esp_wifi_get_mode(&m), ESP_ERR_WIFI_NOT_INIT);
    sota_host_shutdown();
    nor_close(f);
}

/* Channels 12 and 13 are outside ESP-IDF's default country "01": refused with no
 * country, accepted with one that has them; channel 11 works without. */
static void test_start_channel_needs_country(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    static const struct {
        uint8_t channel;
        const char *country;
        esp_err_t want;
    } rows[] = {
        { 11, "", ESP_OK }, { 12, "", ESP_ERR_INVALID_ARG }, { 13, NULL, ESP_ERR_INVALID_ARG },
        { 12, "DE", ESP_OK }, { 13, "DE", ESP_OK }, { 13, "US", ESP_ERR_INVALID_ARG },
        { 1, "XX", ESP_ERR_INVALID_ARG }, { 1, "DEU", ESP_ERR_INVALID_ARG },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        softap_ota_config_t c = start_cfg();
        c.channel = rows[i].channel;
        c.country = rows[i].country;
        esp_err_t err = softap_ota_start(&c);
        if (err != rows[i].want) {
            fail_msg("channel %u country %s: got %s", rows[i].channel, rows[i].country ? rows[i].country : "NULL",
                     esp_err_to_name(err));
        }
        if (err == ESP_OK) {
            wifi_config_t wc;
            assert_int_equal(esp_wifi_get_config(WIFI_IF_AP, &wc), ESP_OK);
            assert_int_equal(wc.ap.channel, rows[i].channel);
            assert_int_equal(softap_ota_stop(), ESP_OK);
        }
    }
    sota_host_shutdown();
    nor_close(f);
}

/* The stations the AP accepts when 10 are asked for: 10 with this project's
 * sdkconfig.defaults (10 DHCP leases); as many as the leases where an app keeps fewer
 * (test_component_api_leases8: lwIP's default of 8, host/CMakeLists.txt). */
#if CONFIG_LWIP_DHCPS_MAX_STATION_NUM < 10
#define STATIONS_ALLOWED CONFIG_LWIP_DHCPS_MAX_STATION_NUM
#else
#define STATIONS_ALLOWED 10
#endif

/* With 10 stations asked for, the AP accepts no more than there are DHCP leases, and
 * each station it accepts holds a lease; the next one is refused. */
static void test_start_every_station_gets_a_lease(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    softap_ota_config_t c = start_cfg();
    c.max_connections = 10;
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    wifi_config_t wc;
    assert_int_equal(esp_wifi_get_config(WIFI_IF_AP, &wc), ESP_OK);
    esp_netif_pair_mac_ip_t pairs[ESP_WIFI_MAX_CONN_NUM];
    memset(pairs, 0, sizeof pairs);
    int joined = 0;
    for (int i = 0; i < ESP_WIFI_MAX_CONN_NUM; i++) {
        pairs[i].mac[0] = 0x02;
        pairs[i].mac[5] = (uint8_t)(0x40 + i);
        joined += sota_host_wifi_sta_connect(pairs[i].mac) == ESP_OK;
    }
    assert_int_equal(wc.ap.max_connection, STATIONS_ALLOWED);
    assert_int_equal(joined, STATIONS_ALLOWED);
    assert_int_equal(esp_netif_dhcps_get_clients_by_mac(esp_netif_get_handle_from_ifkey("WIFI_AP_DEF"),
                                                        joined, pairs), ESP_OK);
    for (int i = 0; i < joined; i++) {
        if (pairs[i].ip.addr == 0) {
            fail_msg("station %d of %d joined without a DHCP lease", i + 1, joined);
        }
    }
    assert_int_equal(softap_ota_stop(), ESP_OK);
    sota_host_shutdown();
    nor_close(f);
}

/* A start that fails half-way (the access point does not start) leaves no
 * authentication state and no copy of the passwords behind. */
static void test_failed_start_leaves_nothing(void **state)
{
    (void)state;
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    softap_ota_config_t c = start_cfg();
    c.channel = 13; /* not in country "01": the AP does not start */
    c.password = "wifi-secret-1";
    c.http_user = "admin";
    c.http_password = "http-secret-1";
    assert_int_equal(softap_ota_start(&c), ESP_ERR_INVALID_ARG);
    bool auth_on = true;
    uint32_t failures = 0;
    ota_auth_info(&auth_on, &failures);
    assert_false(auth_on);
    assert_string_equal(ota_state_config()->password, "");
    assert_string_equal(ota_state_config()->http_password, "");
    wifi_mode_t m;
    assert_int_equal(esp_wifi_get_mode(&m), ESP_ERR_WIFI_NOT_INIT);
    /* and the next start works */
    c.channel = 6;
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    sota_host_shutdown();
    nor_close(f);
}

static bool health_bad(void *ctx)
{
    (void)ctx;
    return false;
}

/* A new app fails its health check but no other app can boot (ota_0 and ota_1 only,
 * ota_1 empty): the rollback is impossible, so the app keeps running and is marked
 * valid; left pending verification it would refuse every upload until a reset. */
static void test_failed_health_without_rollback_target_confirms(void **state)
{
    (void)state;
    nor_err_t ne;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &ne);
    assert_non_null(f);
    static const char *const csv = "nvs,data,nvs,0x9000,0x4000,\n"
                                   "otadata,data,ota,0xd000,0x2000,\n"
                                   "ota_0,app,ota_0,0x110000,1M,\n"
                                   "ota_1,app,ota_1,0x210000,1M,\n";
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[200];
    uint8_t bin[PT_MAX_LEN];
    assert_int_equal(pt_from_csv(csv, &o, &t, err, sizeof err), 0);
    assert_int_equal(pt_to_bin(&t, &o, bin, err, sizeof err), 0);
    assert_int_equal(nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin), NOR_OK);
    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.project = "app";
    g.version = "2.0";
    g.size = 20000;
    uint8_t *img;
    size_t len;
    assert_int_equal(imagegen_build(&g, &img, &len), 0);
    assert_int_equal(nor_load(f, 0x110000, img, len), NOR_OK);
    free(img);
    sota_host_config_t cfg = { .flash = f, .rollback_enabled = true, .quiet = true, .restart_hook = on_restart };
    assert_int_equal(sota_host_attach(&cfg), ESP_OK);
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    assert_int_equal(esp_ota_set_boot_partition(p), ESP_OK);
    assert_int_equal(sota_host_boot(&cfg, NULL), ESP_OK);
    p = esp_ota_get_running_partition();
    esp_ota_img_states_t st;
    assert_int_equal(esp_ota_get_state_partition(p, &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_PENDING_VERIFY);
    assert_int_equal(nvs_flash_init(), ESP_OK);

    softap_ota_config_t c = start_cfg();
    c.health_check = health_bad;
    c.health_delay_ms = 0;
    s_restarts = 0;
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    /* the health task's recorded result (kept for after the next reboot): at most 10 s */
    bool ok = true;
    char msg[320] = "", slot[17];
    for (int i = 0; i < 1000 && !strstr(msg, "no other app can boot"); i++) {
        usleep(10000);
        bool wait;
        ota_store_load(&ok, msg, sizeof msg, slot, sizeof slot, &wait);
    }
    usleep(50000);
    assert_int_equal(s_restarts, 0);
    assert_false(ok);
    if (!strstr(msg, "marked valid")) {
        fail_msg("recorded: %s", msg);
    }
    assert_int_equal(esp_ota_get_state_partition(p, &st), ESP_OK);
    assert_int_equal(st, ESP_OTA_IMG_VALID);
    /* an update can begin */
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(esp_ota_get_next_update_partition(NULL), 4096, &h), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    sota_host_shutdown();
    nor_close(f);
}

/* A loopback TCP port nobody listens on. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A running device whose HTTP server will listen on a free loopback port (*port). */
static nor_flash_t *device_on_port(uint16_t *port)
{
    sota_host_config_t cfg;
    nor_flash_t *f = make_running_device(&cfg);
    *port = free_port();
    httpd_host_set_port_override(*port);
    return f;
}

static int connect_loopback(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* softap_ota_stop while an upload streams in its own task: the upload is ended and
 * waited for before the server (whose request the task uses) is stopped; the result
 * says the app stopped it. */
static void test_stop_during_upload(void **state)
{
    (void)state;
    uint16_t port;
    nor_flash_t *f = device_on_port(&port);
    softap_ota_config_t c = start_cfg();
    c.recv_timeout_s = 1;
    c.max_recv_timeouts = 30;
    assert_int_equal(softap_ota_start(&c), ESP_OK);

    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.size = 200000;
    uint8_t *img;
    size_t len;
    assert_int_equal(imagegen_build(&g, &img, &len), 0);
    int fd = connect_loopback(port);
    char head[200];
    int hl = snprintf(head, sizeof head, "POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                      "application/octet-stream\r\nContent-Length: %zu\r\n\r\n", len);
    assert_int_equal(send(fd, head, (size_t)hl, 0), hl);
    assert_int_equal(send(fd, img, 65536, 0), 65536); /* then nothing more */
    free(img);
    softap_ota_status_t st = { 0 };
    for (int i = 0; i < 1000 && !(st.state == SOFTAP_OTA_RECEIVING && st.received >= 65536); i++) {
        usleep(10000);
        assert_int_equal(softap_ota_get_status(&st), ESP_OK);
    }
    assert_int_equal(st.state, SOFTAP_OTA_RECEIVING);

    assert_int_equal(softap_ota_stop(), ESP_OK);
    /* the upload ended before stop returned */
    assert_int_equal(softap_ota_get_status(&st), ESP_OK);
    assert_int_equal(st.state, SOFTAP_OTA_FAILED);
    if (!strstr(st.last_message, "stopped by the app")) {
        fail_msg("last message: %s", st.last_message);
    }
    close(fd);
    httpd_host_set_port_override(0);
    /* the running app is untouched and another start works */
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    assert_int_equal(softap_ota_stop(), ESP_OK);
    sota_host_shutdown();
    nor_close(f);
}

static void *no_malloc(size_t n)
{
    (void)n;
    return NULL;
}

/* The status cannot be built (cJSON out of memory): the client gets a JSON 500 that
 * says so, like every other answer of the API, not ESP-IDF's text/html one. */
static void test_status_out_of_memory_is_json(void **state)
{
    (void)state;
    uint16_t port;
    nor_flash_t *f = device_on_port(&port);
    softap_ota_config_t c = start_cfg();
    assert_int_equal(softap_ota_start(&c), ESP_OK);
    int fd = connect_loopback(port);
    cJSON_Hooks hooks = { .malloc_fn = no_malloc, .free_fn = free };
    cJSON_InitHooks(&hooks);
    static const char req[] = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    char resp[2048];
    size_t got = 0;
    struct timeval tv = { .tv_sec = 5 };
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    resp[0] = '\0';
    /* until the head and its JSON body are in (ESP-IDF's server keeps the connection) */
    for (ssize_t n; got < sizeof resp - 1 && !(strstr(resp, "\r\n\r\n") && resp[got - 1] == '}') &&
                    (n = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0;) {
        got += (size_t)n;
        resp[got] = '\0';
    }
    cJSON_InitHooks(NULL);
    close(fd);
    if (strncmp(resp, "HTTP/1.1 500 ", 13) != 0 || !strstr(resp, "Content-Type: application/json") ||
        !strstr(resp, "{\"error\":\"no_memory\",\"message\":\"the device ran out of memory")) {
        fail_msg("answer: %s", resp);
    }
    assert_int_equal(softap_ota_stop(), ESP_OK);
    httpd_host_set_port_override(0);
    sota_host_shutdown();
    nor_close(f);
}

int main(void)
{
    char nvs[512];
    /* one file per build: test_component_api and its _leases8 build may run at once */
    snprintf(nvs, sizeof nvs, "%s/test_component_api_%d.nvs", SOTA_TMPDIR, STATIONS_ALLOWED);
    remove(nvs);
    nvs_host_set_path(nvs);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reboot_to_factory),
        cmocka_unit_test(test_reboot_to_factory_without_factory),
        cmocka_unit_test(test_start_refuses_bad_config),
        cmocka_unit_test(test_start_inside_app_with_wifi), /* first to make the AP interface */
        cmocka_unit_test(test_start_after_app_wifi_init_on_idf6),
        cmocka_unit_test(test_start_channel_needs_country),
        cmocka_unit_test(test_start_every_station_gets_a_lease),
        cmocka_unit_test(test_failed_start_leaves_nothing),
        cmocka_unit_test(test_failed_health_without_rollback_target_confirms),
        cmocka_unit_test(test_reboot_to_factory_that_does_not_verify),
        cmocka_unit_test(test_health_confirmation_updates_the_shown_result),
        cmocka_unit_test(test_stop_during_upload),
        cmocka_unit_test(test_status_out_of_memory_is_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
