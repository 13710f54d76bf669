/* The app the simulator runs: the device's own app_main, or the same updater with a
 * health check that fails or never finishes (to exercise rollback). */
#ifndef SOTA_SIM_APP_H
#define SOTA_SIM_APP_H

typedef enum {
    SIM_HEALTH_OK,    /* main/main.c's app_main, unchanged */
    SIM_HEALTH_FAIL,  /* a new app reports itself unhealthy: rolled back at once */
    SIM_HEALTH_HANG,  /* a new app never confirms: rolled back at the next reset */
} sim_health_t;

/* Overrides of the Kconfig defaults for tests (0: keep the default). */
typedef struct {
    sim_health_t health;
    unsigned recv_timeout_s;
    unsigned max_recv_timeouts;
    unsigned upload_deadline_s;
    long health_delay_ms;      /* -1: keep */
} sim_app_opts_t;

/* Start the app; returns once it runs (its tasks go on). With no override it is
 * main/main.c's app_main itself. */
void sim_app_run(const sim_app_opts_t *o);

#endif
