/* Host port of ESP-IDF's esp_timer.h (components/esp_timer): a 64-bit microsecond clock
 * and one-shot / periodic software timers. Callbacks run one at a time on a single
 * dispatcher task ("esp_timer", created on first use), as ESP_TIMER_TASK timers do on a
 * device; keep them short and hand work to other tasks.
 *
 * Host specifics: the clock is CLOCK_MONOTONIC counted from program start (a simulated
 * restart re-executes the program, so it restarts from 0 like a reboot); the library
 * needs no initialisation; ESP_TIMER_ISR does not exist (no interrupts). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "esp_err.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct esp_timer *esp_timer_handle_t;

/* Timer callback; arg is esp_timer_create_args_t.arg. */
typedef void (*esp_timer_cb_t)(void *arg);

typedef enum {
    ESP_TIMER_TASK,     /* callback runs on the esp_timer task */
    ESP_TIMER_MAX,      /* number of dispatch methods */
} esp_timer_dispatch_t;

typedef struct {
    esp_timer_cb_t callback;               /* required */
    void *arg;                             /* passed to callback */
    esp_timer_dispatch_t dispatch_method;  /* ESP_TIMER_TASK */
    const char *name;                      /* not copied, may be NULL */
    bool skip_unhandled_events;            /* periodic: after a late dispatch, skip the
                                              missed periods instead of catching up */
} esp_timer_create_args_t;

/* Create a stopped timer. create_args is copied (except name); *out_handle receives it.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if create_args, its callback or out_handle is NULL
 * or dispatch_method is not ESP_TIMER_TASK; ESP_ERR_NO_MEM. */
esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args,
                           esp_timer_handle_t *out_handle);

/* Fire once, timeout_us microseconds from now (0: as soon as the dispatcher runs).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is
 * already running (stop it first). */
esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us);

/* Stop a running timer. Its callback may still be running on the dispatcher when this
 * returns (as on a device), but will not be called again. Returns ESP_OK;
 * ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is not running. */
esp_err_t esp_timer_stop(esp_timer_handle_t timer);

/* Microseconds since the program (the simulated device) started. */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif
