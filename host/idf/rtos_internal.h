/* Host port, private to host/idf: the time and wait helpers the FreeRTOS, esp_timer and
 * esp_event ports share. Every wait uses CLOCK_MONOTONIC, so wall-clock changes never
 * shorten or stretch a timeout. */
#ifndef SOTA_RTOS_INTERNAL_H
#define SOTA_RTOS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "freertos/FreeRTOS.h"

/* A deadline: "never" (for portMAX_DELAY) or an absolute CLOCK_MONOTONIC time. */
typedef struct {
    bool forever;
    struct timespec at;
} rtos_deadline_t;

/* The deadline xTicksToWait ticks from now (portMAX_DELAY: forever). */
rtos_deadline_t rtos_deadline_ticks(TickType_t ticks);

/* The deadline at monotonic time us (in esp_timer_get_time's time base). */
rtos_deadline_t rtos_deadline_us(int64_t us);

/* Initialise a condition variable that waits on CLOCK_MONOTONIC. Returns 0 or an errno. */
int rtos_cond_init(pthread_cond_t *cond);

/* pthread_cond_wait / pthread_cond_timedwait until dl. Returns 0 when woken (possibly
 * spuriously: callers loop on their predicate) or ETIMEDOUT once dl has passed. */
int rtos_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const rtos_deadline_t *dl);

/* Sleep until dl (not forever). */
void rtos_sleep_until(const rtos_deadline_t *dl);

#endif
