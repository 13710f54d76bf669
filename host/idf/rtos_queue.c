/* Host port of FreeRTOS mutexes (freertos/semphr.h over freertos/queue.h), the only kind
 * of queue the component creates: available or held by one task, under a pthread mutex
 * with a condition variable for "it was given back". As in FreeRTOS, only the holder may
 * give a mutex back. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "rtos_internal.h"

static const char *TAG = "freertos";

struct QueueDefinition {
    pthread_mutex_t lock;
    pthread_cond_t given;      /* it became available */
    bool held;                 /* taken, by holder */
    pthread_t holder;
};

static bool handle_ok(QueueHandle_t q, const char *fn)
{
    if (!q) {
        ESP_LOGE(TAG, "%s: the semaphore handle is NULL (did its creation fail?)", fn);
        return false;
    }
    return true;
}

QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType)
{
    if (ucQueueType != queueQUEUE_TYPE_MUTEX) {
        ESP_LOGE(TAG, "xQueueCreateMutex: only plain mutexes are modelled (type %u)",
                 (unsigned)ucQueueType);
        return NULL;
    }
    struct QueueDefinition *q = calloc(1, sizeof(*q));
    if (!q) {
        return NULL;
    }
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        free(q);
        return NULL;
    }
    if (rtos_cond_init(&q->given) != 0) {
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
    }
    return q;
}

BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue,
                             TickType_t xTicksToWait, const BaseType_t xCopyPosition)
{
    (void)pvItemToQueue;      /* NULL: a mutex has no items */
    (void)xTicksToWait;       /* giving never waits: a mutex is given by its holder only */
    (void)xCopyPosition;
    if (!handle_ok(xQueue, "xSemaphoreGive")) {
        return pdFAIL;
    }
    struct QueueDefinition *q = xQueue;
    pthread_mutex_lock(&q->lock);
    if (!q->held) {
        pthread_mutex_unlock(&q->lock);
        return errQUEUE_FULL;  /* not taken: nothing to give back */
    }
    if (!pthread_equal(q->holder, pthread_self())) {
        /* Only its holder may give a mutex back (FreeRTOS asserts otherwise). */
        pthread_mutex_unlock(&q->lock);
        ESP_LOGE(TAG, "xSemaphoreGive: this task does not hold the mutex it gives back");
        return pdFAIL;
    }
    q->held = false;
    pthread_cond_signal(&q->given);
    pthread_mutex_unlock(&q->lock);
    return pdPASS;
}

BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait)
{
    if (!handle_ok(xQueue, "xSemaphoreTake")) {
        return pdFAIL;
    }
    struct QueueDefinition *q = xQueue;
    rtos_deadline_t dl = rtos_deadline_ticks(xTicksToWait);
    pthread_mutex_lock(&q->lock);
    while (q->held) {
        if (xTicksToWait == 0 || rtos_cond_wait(&q->given, &q->lock, &dl) == ETIMEDOUT) {
            if (q->held) {
                pthread_mutex_unlock(&q->lock);
                return errQUEUE_EMPTY;
            }
        }
    }
    q->held = true;
    q->holder = pthread_self();
    pthread_mutex_unlock(&q->lock);
    return pdPASS;
}
