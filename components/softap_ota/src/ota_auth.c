/* Who may use the HTTP server: Basic authentication with a lockout, the same-origin rule
 * for uploads, and the headers that keep the page out of other sites' frames. The rules
 * themselves are portable (core/sota_auth.h); this file reads the request headers and
 * the clock. Runs in the HTTP server's task only (handlers are serialised there). */
#include <string.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "ota_internal.h"

static const char *TAG = "softap_ota";

static sota_auth_t s_auth;
static bool s_check_origin;
static uint32_t s_failures_total;   /* wrong credentials since the start */

esp_err_t ota_auth_init(const softap_ota_config_t *cfg)
{
    sota_auth_cfg_err_t e = sota_auth_init(&s_auth, cfg->http_user, cfg->http_password,
                                           cfg->auth_free_attempts, cfg->auth_lockout_s);
    s_check_origin = cfg->check_origin;
    s_failures_total = 0;
    if (e != SOTA_AUTH_CFG_OK && e != SOTA_AUTH_CFG_OFF) {
        /* the message names the setting, never the credentials */
        ESP_LOGE(TAG, "%s", sota_auth_strerror(e));
        return ESP_ERR_INVALID_ARG;
    }
    ESP_LOGI(TAG, "%s; cross-site uploads %s", sota_auth_strerror(e),
             s_check_origin ? "refused" : "allowed");
    return ESP_OK;
}

void ota_auth_deinit(void)
{
    sota_auth_clear(&s_auth);
}

sota_auth_verdict_t ota_auth_check(httpd_req_t *req, uint32_t *retry_after_s)
{
    if (!s_auth.enabled) {
        return SOTA_AUTH_PASS;
    }
    char value[SOTA_AUTH_TOKEN_MAX + 32];
    esp_err_t err = httpd_req_get_hdr_value_str(req, "Authorization", value, sizeof value);
    bool truncated = err == ESP_ERR_HTTPD_RESULT_TRUNC;
    const char *hdr = (err == ESP_OK || truncated) ? value : NULL;
    uint64_t now_ms = (uint64_t)esp_timer_get_time() / 1000;
    sota_auth_verdict_t v = sota_auth_check(&s_auth, hdr, truncated, now_ms, retry_after_s);
    memset(value, 0, sizeof value);
    if (v == SOTA_AUTH_WRONG) {
        s_failures_total++;
        ESP_LOGW(TAG, "wrong credentials for %s (%u in a row)", req->uri, (unsigned)s_auth.failures);
    }
    return v;
}

bool ota_auth_same_origin(httpd_req_t *req)
{
    if (!s_check_origin) {
        return true;
    }
    char host[96], origin[160], referer[160];
    bool has_host = httpd_req_get_hdr_value_str(req, "Host", host, sizeof host) == ESP_OK;
    esp_err_t oe = httpd_req_get_hdr_value_str(req, "Origin", origin, sizeof origin);
    esp_err_t re = httpd_req_get_hdr_value_str(req, "Referer", referer, sizeof referer);
    /* a truncated value still starts with its scheme and host, all that is compared */
    bool has_origin = oe == ESP_OK || oe == ESP_ERR_HTTPD_RESULT_TRUNC;
    bool has_referer = re == ESP_OK || re == ESP_ERR_HTTPD_RESULT_TRUNC;
    return sota_auth_same_origin(has_host ? host : NULL, has_origin ? origin : NULL,
                                 has_referer ? referer : NULL);
}

void ota_auth_protect(httpd_req_t *req)
{
    httpd_resp_set_hdr(req, "X-Frame-Options", "DENY");
    httpd_resp_set_hdr(req, "Content-Security-Policy", "frame-ancestors 'none'");
    httpd_resp_set_hdr(req, "X-Content-Type-Options", "nosniff");
}

void ota_auth_info(bool *enabled, uint32_t *failures)
{
    *enabled = s_auth.enabled;
    *failures = s_failures_total;
}

bool ota_auth_origin_checked(void)
{
    return s_check_origin;
}
