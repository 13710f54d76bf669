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
    const char *name;                      /* for esp_timer_dump; not copied, may be NULL */
    bool skip_unhandled_events;            /* periodic: after a late dispatch, skip the
                                              missed periods instead of catching up */
} esp_timer_create_args_t;

/* No-ops kept for code that calls them: ESP_OK (the host port initialises itself). */
esp_err_t esp_timer_early_init(void);
esp_err_t esp_timer_init(void);

/* Create a stopped timer. create_args is copied (except name); *out_handle receives it.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if create_args, its callback or out_handle is NULL
 * or dispatch_method is not ESP_TIMER_TASK; ESP_ERR_NO_MEM. */
esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args,
                           esp_timer_handle_t *out_handle);

/* Fire once, timeout_us microseconds from now (0: as soon as the dispatcher runs).
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is
 * already running (stop it first, or use esp_timer_restart). */
esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us);

/* Fire every period microseconds (raised to the 50 us minimum ESP-IDF applies), the
 * first time one period from now. Returns as esp_timer_start_once. */
esp_err_t esp_timer_start_periodic(esp_timer_handle_t timer, uint64_t period);

/* Re-arm a running timer: a one-shot fires timeout_us from now; a periodic one gets
 * timeout_us as its new period, starting now. (ESP-IDF >= 5.1.) Returns ESP_OK;
 * ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is not running. */
esp_err_t esp_timer_restart(esp_timer_handle_t timer, uint64_t timeout_us);

/* Stop a running timer. Its callback may still be running on the dispatcher when this
 * returns (as on a device), but will not be called again. Returns ESP_OK;
 * ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is not running. */
esp_err_t esp_timer_stop(esp_timer_handle_t timer);

/* Free a stopped timer (an expired one-shot counts as stopped). May be called from the
 * timer's own callback; the memory is released once the callback returns. Returns ESP_OK;
 * ESP_ERR_INVALID_ARG if timer is NULL; ESP_ERR_INVALID_STATE if it is still running. */
esp_err_t esp_timer_delete(esp_timer_handle_t timer);

/* Microseconds since the program (the simulated device) started. */
int64_t esp_timer_get_time(void);

/* When the earliest running timer fires (esp_timer_get_time base), INT64_MAX if none. */
int64_t esp_timer_get_next_alarm(void);

/* The timer's period in microseconds, 0 for a one-shot. ESP_OK or ESP_ERR_INVALID_ARG. */
esp_err_t esp_timer_get_period(esp_timer_handle_t timer, uint64_t *period);

/* When a one-shot timer fires (0 if stopped). ESP_OK; ESP_ERR_INVALID_ARG;
 * ESP_ERR_NOT_SUPPORTED for a periodic timer. */
esp_err_t esp_timer_get_expiry_time(esp_timer_handle_t timer, uint64_t *expiry);

/* Whether the timer is running (armed, or its callback is executing). false for NULL. */
bool esp_timer_is_active(esp_timer_handle_t timer);

/* Print the running timers, one per line: name, period, next alarm. ESP_OK, or
 * ESP_ERR_INVALID_ARG if stream is NULL. */
esp_err_t esp_timer_dump(FILE *stream);

#ifdef __cplusplus
}
#endif
