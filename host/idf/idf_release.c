/* The ESP-IDF release the host port behaves like: see sota_host_idf.h. The facts below
 * were read in ESP-IDF's own sources of each tag (esp_http_server/src/httpd_txrx.c,
 * esp_wifi/src/wifi_init.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_idf_version.h"
#include "sota_host_idf.h"

#define V(a, b, c) ESP_IDF_VERSION_VAL(a, b, c)

static uint32_t s_modelled[16];
static size_t s_count;
static uint32_t s_release;

static void load(void)
{
    if (s_count) {
        return;
    }
    const char *p = SOTA_HOST_IDF_RELEASES;
    while (*p && s_count < sizeof s_modelled / sizeof s_modelled[0]) {
        char one[16];
        size_t n = strcspn(p, " ");
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        if (!sota_host_idf_parse(one, &s_modelled[s_count])) {
            abort(); /* a typo in host/CMakeLists.txt */
        }
        s_count++;
        p += n + (p[n] == ' ');
    }
    if (!s_release) {
        s_release = s_modelled[s_count - 1];
    }
}

uint32_t sota_host_idf_release(void)
{
    load();
    return s_release;
}

void sota_host_idf_set_release(uint32_t release)
{
    load();
    s_release = release;
}

bool sota_host_idf_parse(const char *s, uint32_t *release)
{
    unsigned a, b, c = 0;
    char tail;
    if (s && *s == 'v') {
        s++;
    }
    if (!s || *s < '0' || *s > '9') {
        return false;
    }
    if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 && sscanf(s, "%u.%u%c", &a, &b, &tail) != 2) {
        return false;
    }
    if (a > 255 || b > 255 || c > 255) {
        return false;
    }
    *release = V(a, b, c);
    return true;
}

const char *sota_host_idf_str(uint32_t release, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u", (unsigned)(release >> 16), (unsigned)((release >> 8) & 0xFF),
             (unsigned)(release & 0xFF));
    return buf;
}

const uint32_t *sota_host_idf_modelled(size_t *count)
{
    load();
    *count = s_count;
    return s_modelled;
}

bool sota_host_idf_is_modelled(uint32_t release)
{
    load();
    for (size_t i = 0; i < s_count; i++) {
        if (s_modelled[i] == release) {
            return true;
        }
    }
    return false;
}

/* first <= r < end */
static bool in(uint32_t first, uint32_t end)
{
    uint32_t r = sota_host_idf_release();
    return r >= first && r < end;
}

bool sota_host_idf_has_async_req(void)
{
    return sota_host_idf_release() >= V(5, 2, 0);
}

bool sota_host_idf_async_drains_original(void)
{
    return in(V(5, 2, 0), V(5, 2, 4)) || in(V(5, 3, 0), V(5, 3, 2));
}

bool sota_host_idf_async_shares_resp_hdrs(void)
{
    return in(V(5, 2, 0), V(5, 2, 4));
}

bool sota_host_idf_async_complete_wakes(void)
{
    return in(V(5, 4, 3), V(5, 5, 0)) || sota_host_idf_release() >= V(5, 5, 2);
}

bool sota_host_idf_wifi_reinit_fails(void)
{
    return sota_host_idf_release() >= V(6, 0, 0);
}

bool sota_host_idf_ota_begin_invalidates_inactive(void)
{
    return sota_host_idf_release() >= V(5, 5, 0);
}
