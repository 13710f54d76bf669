/* Host port: monotonic deadlines and waits shared by the FreeRTOS, esp_timer and
 * esp_event ports (rtos_internal.h). */
#include "rtos_internal.h"

#include <errno.h>

#include "esp_timer.h"

static struct timespec monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static void add_us(struct timespec *ts, int64_t us)
{
    ts->tv_sec += (time_t)(us / 1000000);
    ts->tv_nsec += (long)(us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

rtos_deadline_t rtos_deadline_ticks(TickType_t ticks)
{
    rtos_deadline_t dl = { .forever = (ticks == portMAX_DELAY) };
    if (!dl.forever) {
        dl.at = monotonic_now();
        add_us(&dl.at, (int64_t)ticks * (1000000 / configTICK_RATE_HZ));
    }
    return dl;
}

rtos_deadline_t rtos_deadline_us(int64_t us)
{
    rtos_deadline_t dl = { .forever = false };
    int64_t delta = us - esp_timer_get_time();
    dl.at = monotonic_now();
    if (delta > 0) {
        add_us(&dl.at, delta);
    }
    return dl;
}

int rtos_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (rc == 0) {
            rc = pthread_cond_init(cond, &attr);
        }
        pthread_condattr_destroy(&attr);
    }
    return rc;
}

int rtos_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const rtos_deadline_t *dl)
{
    if (dl->forever) {
        return pthread_cond_wait(cond, mutex);
    }
    return pthread_cond_timedwait(cond, mutex, &dl->at) == ETIMEDOUT ? ETIMEDOUT : 0;
}

void rtos_sleep_until(const rtos_deadline_t *dl)
{
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl->at, NULL) == EINTR) {
    }
}
