/* Host port of esp_timer (esp_timer.h): a list of armed timers sorted by alarm time and
 * one dispatcher task that sleeps until the earliest alarm, then runs its callback with
 * the list unlocked, as ESP-IDF's timer task does. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "rtos_internal.h"

static const char *TAG = "esp_timer";

/* ESP-IDF's shortest period (esp_timer_impl_get_min_period_us). */
#define MIN_PERIOD_US 50

struct esp_timer {
    esp_timer_cb_t callback;
    void *arg;
    const char *name;
    bool skip_unhandled_events;
    bool armed;
    int64_t alarm;            /* when armed */
    uint64_t period;          /* 0: one-shot */
    bool in_callback;
    bool delete_pending;      /* deleted from its own callback: free after it returns */
    struct esp_timer *next;   /* armed list, earliest first */
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_wake;
static struct esp_timer *s_armed;
static bool s_dispatcher_started;

/* --- the clock --- */

static struct timespec s_boot;

__attribute__((constructor)) static void clock_boot(void)
{
    clock_gettime(CLOCK_MONOTONIC, &s_boot);
}

int64_t esp_timer_get_time(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - s_boot.tv_sec) * 1000000 + (now.tv_nsec - s_boot.tv_nsec) / 1000;
}

/* --- the armed list (s_lock held) --- */

static void list_insert(struct esp_timer *t)
{
    struct esp_timer **pp = &s_armed;
    while (*pp && (*pp)->alarm <= t->alarm) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    t->armed = true;
    if (s_armed == t) {
        pthread_cond_signal(&s_wake);
    }
}

static void list_remove(struct esp_timer *t)
{
    for (struct esp_timer **pp = &s_armed; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
    pthread_cond_signal(&s_wake);
}

static void dispatcher(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&s_lock);
    for (;;) {
        struct esp_timer *t = s_armed;
        if (!t) {
            rtos_deadline_t forever = { .forever = true };
            rtos_cond_wait(&s_wake, &s_lock, &forever);
            continue;
        }
        int64_t now = esp_timer_get_time();
        if (t->alarm > now) {
            rtos_deadline_t dl = rtos_deadline_us(t->alarm);
            rtos_cond_wait(&s_wake, &s_lock, &dl);
            continue;
        }
        s_armed = t->next;
        t->next = NULL;
        t->armed = false;
        if (t->period) {
            int64_t skipped = (now - t->alarm) / (int64_t)t->period;
            if (t->skip_unhandled_events && skipped > 1) {
                t->alarm = now + (int64_t)t->period;
            } else {
                t->alarm += (int64_t)t->period;
            }
            list_insert(t);
        }
        t->in_callback = true;
        esp_timer_cb_t cb = t->callback;
        void *arg = t->arg;
        pthread_mutex_unlock(&s_lock);
        cb(arg);
        pthread_mutex_lock(&s_lock);
        t->in_callback = false;
        if (t->delete_pending) {
            free(t);
        }
    }
}

/* Start the dispatcher task once. s_lock held. */
static esp_err_t ensure_dispatcher(void)
{
    if (s_dispatcher_started) {
        return ESP_OK;
    }
    if (rtos_cond_init(&s_wake) != 0) {
        return ESP_ERR_NO_MEM;
    }
    if (xTaskCreatePinnedToCore(dispatcher, "esp_timer", 4096, NULL, 22, NULL, 0) != pdPASS) {
        pthread_cond_destroy(&s_wake);
        return ESP_ERR_NO_MEM;
    }
    s_dispatcher_started = true;
    return ESP_OK;
}

/* --- API --- */

esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args,
                           esp_timer_handle_t *out_handle)
{
    if (!create_args || !create_args->callback || !out_handle ||
        create_args->dispatch_method != ESP_TIMER_TASK) {
        return ESP_ERR_INVALID_ARG;
    }
    struct esp_timer *t = calloc(1, sizeof(*t));
    if (!t) {
        return ESP_ERR_NO_MEM;
    }
    t->callback = create_args->callback;
    t->arg = create_args->arg;
    t->name = create_args->name;
    t->skip_unhandled_events = create_args->skip_unhandled_events;

    pthread_mutex_lock(&s_lock);
    esp_err_t err = ensure_dispatcher();
    pthread_mutex_unlock(&s_lock);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot start the esp_timer task");
        free(t);
        return err;
    }
    *out_handle = t;
    return ESP_OK;
}

static esp_err_t start(esp_timer_handle_t timer, uint64_t timeout_us, uint64_t period)
{
    if (!timer) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    if (timer->armed || timer->delete_pending) {
        pthread_mutex_unlock(&s_lock);
        return ESP_ERR_INVALID_STATE;
    }
    timer->period = period;
    timer->alarm = esp_timer_get_time() + (int64_t)timeout_us;
    list_insert(timer);
    pthread_mutex_unlock(&s_lock);
    return ESP_OK;
}

esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us)
{
    return start(timer, timeout_us, 0);
}

esp_err_t esp_timer_stop(esp_timer_handle_t timer)
{
    if (!timer) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    if (!timer->armed) {
        pthread_mutex_unlock(&s_lock);
        return ESP_ERR_INVALID_STATE;
    }
    list_remove(timer);
    timer->period = 0;
    pthread_mutex_unlock(&s_lock);
    return ESP_OK;
}
