/* The app the simulator runs: the device's own app_main, or the same updater with a
 * health check that fails or never finishes (to exercise rollback). */
#ifndef SOTA_SIM_APP_H
#define SOTA_SIM_APP_H

#include <stdbool.h>

#include "esp_err.h"
#include "softap_ota_policy.h"

typedef enum {
    SIM_HEALTH_OK,    /* main/main.c's app_main, unchanged */
    SIM_HEALTH_FAIL,  /* a new app reports itself unhealthy: rolled back at once */
    SIM_HEALTH_HANG,  /* a new app never confirms: rolled back at the next reset */
} sim_health_t;

/* Overrides of the Kconfig defaults for tests (0, NULL, false: keep the default; the
 * policy is the one to run with). */
typedef struct {
    sim_health_t health;
    unsigned recv_timeout_s;
    unsigned max_recv_timeouts;
    unsigned upload_deadline_s;
    unsigned header_deadline_s;
    long health_delay_ms;      /* -1: keep */
    const char *country;       /* Wi-Fi country code */
    unsigned channel;          /* Wi-Fi channel */
    long resume_timeout_s;     /* -1: keep; 0: interrupted uploads are not kept */
    bool no_fs_reboot;         /* fs_reboot = false: no restart after a filesystem update */
    /* who may update */
    const char *ap_password;   /* Wi-Fi password (WPA2) */
    const char *http_user;     /* HTTP Basic authentication */
    const char *http_password;
    unsigned auth_free_attempts;
    unsigned auth_lockout_s;
    bool no_origin_check;      /* allow cross-site uploads */
    const char *signing_key_digest; /* 64 hex digits */
    softap_ota_policy_t policy; /* the upload rules: the caller starts from Kconfig's
                                   (SOFTAP_OTA_POLICY_DEFAULT()) and turns rules on */
} sim_app_opts_t;

/* Start the app; returns once it runs (its tasks go on). With no override it is
 * main/main.c's app_main itself (which aborts on a failure, as on the device);
 * otherwise the error of softap_ota_start (its log says why). */
esp_err_t sim_app_run(const sim_app_opts_t *o);

#endif
