/* Host port of FreeRTOS queues, semaphores and mutexes (freertos/queue.h, semphr.h): a
 * ring buffer of fixed-size items under a pthread mutex, with one condition variable for
 * "an item arrived" and one for "a place freed". Semaphores are zero-size-item queues
 * whose count is the number of items, as in FreeRTOS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "rtos_internal.h"

static const char *TAG = "freertos";

struct QueueDefinition {
    pthread_mutex_t lock;
    pthread_cond_t can_recv;   /* count went up */
    pthread_cond_t can_send;   /* count went down */
    uint8_t type;
    UBaseType_t length;
    UBaseType_t item_size;
    UBaseType_t count;
    UBaseType_t head;          /* index of the front item */
    uint8_t *storage;          /* length * item_size bytes (NULL for semaphores) */
    bool held;                 /* mutexes: taken, by holder */
    pthread_t holder;
    UBaseType_t recursion;     /* recursive mutexes: takes beyond the first */
};

static bool is_mutex(const struct QueueDefinition *q)
{
    return q->type == queueQUEUE_TYPE_MUTEX || q->type == queueQUEUE_TYPE_RECURSIVE_MUTEX;
}

static bool handle_ok(QueueHandle_t q, const char *fn)
{
    if (!q) {
        ESP_LOGE(TAG, "%s: the queue/semaphore handle is NULL (did its creation fail?)", fn);
        return false;
    }
    return true;
}

static QueueHandle_t queue_new(UBaseType_t length, UBaseType_t item_size, uint8_t type,
                               UBaseType_t initial_count)
{
    if (length == 0) {
        return NULL;
    }
    struct QueueDefinition *q = calloc(1, sizeof(*q));
    if (!q) {
        return NULL;
    }
    if (item_size) {
        if ((size_t)length > SIZE_MAX / item_size ||
            !(q->storage = malloc((size_t)length * item_size))) {
            free(q);
            return NULL;
        }
    }
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        goto fail;
    }
    if (rtos_cond_init(&q->can_recv) != 0) {
        pthread_mutex_destroy(&q->lock);
        goto fail;
    }
    if (rtos_cond_init(&q->can_send) != 0) {
        pthread_cond_destroy(&q->can_recv);
        pthread_mutex_destroy(&q->lock);
        goto fail;
    }
    q->type = type;
    q->length = length;
    q->item_size = item_size;
    q->count = initial_count;
    return q;
fail:
    free(q->storage);
    free(q);
    return NULL;
}

QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType)
{
    return queue_new(1, 0, ucQueueType, 1);
}

/* Called with the lock held and a free place (or overwrite of a length-1 queue). */
static void put_item(struct QueueDefinition *q, const void *item, BaseType_t pos)
{
    if (pos == queueOVERWRITE && q->count == q->length) {
        /* Only length-1 queues may be overwritten: replace the single item. */
        if (q->item_size) {
            memcpy(q->storage + (size_t)q->head * q->item_size, item, q->item_size);
        }
        return;
    }
    UBaseType_t slot;
    if (pos == queueSEND_TO_FRONT) {
        q->head = (q->head + q->length - 1) % q->length;
        slot = q->head;
    } else {
        slot = (q->head + q->count) % q->length;
    }
    if (q->item_size) {
        memcpy(q->storage + (size_t)slot * q->item_size, item, q->item_size);
    }
    q->count++;
}

BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue,
                             TickType_t xTicksToWait, const BaseType_t xCopyPosition)
{
    if (!handle_ok(xQueue, "xQueueSend/xSemaphoreGive")) {
        return pdFAIL;
    }
    struct QueueDefinition *q = xQueue;
    if (q->item_size && !pvItemToQueue) {
        ESP_LOGE(TAG, "xQueueSend: the item pointer is NULL");
        return pdFAIL;
    }
    if (xCopyPosition == queueOVERWRITE && q->length != 1) {
        ESP_LOGE(TAG, "xQueueOverwrite: only queues of length 1 can be overwritten (this one "
                 "holds %u)", (unsigned)q->length);
        return pdFAIL;
    }
    rtos_deadline_t dl = rtos_deadline_ticks(xTicksToWait);
    pthread_mutex_lock(&q->lock);
    if (is_mutex(q)) {
        /* Giving back a mutex: only its holder may (FreeRTOS asserts otherwise). */
        if (q->held && !pthread_equal(q->holder, pthread_self())) {
            pthread_mutex_unlock(&q->lock);
            ESP_LOGE(TAG, "xSemaphoreGive: this task does not hold the mutex it gives back");
            return pdFAIL;
        }
        if (q->type == queueQUEUE_TYPE_RECURSIVE_MUTEX && q->held && q->recursion) {
            pthread_mutex_unlock(&q->lock);
            ESP_LOGE(TAG, "xSemaphoreGive on a recursive mutex taken %u times: use "
                     "xSemaphoreGiveRecursive", (unsigned)q->recursion + 1);
            return pdFAIL;
        }
    }
    while (q->count == q->length && xCopyPosition != queueOVERWRITE) {
        if (xTicksToWait == 0 || rtos_cond_wait(&q->can_send, &q->lock, &dl) == ETIMEDOUT) {
            if (q->count == q->length) {
                pthread_mutex_unlock(&q->lock);
                return errQUEUE_FULL;
            }
        }
    }
    put_item(q, pvItemToQueue, xCopyPosition);
    if (is_mutex(q)) {
        q->held = false;
        q->recursion = 0;
    }
    pthread_cond_signal(&q->can_recv);
    pthread_mutex_unlock(&q->lock);
    return pdPASS;
}

/* Wait for an item and copy (and if remove, take) it. */
static BaseType_t get_item(struct QueueDefinition *q, void *buf, TickType_t ticks, bool remove)
{
    rtos_deadline_t dl = rtos_deadline_ticks(ticks);
    pthread_mutex_lock(&q->lock);
    while (q->count == 0) {
        if (ticks == 0 || rtos_cond_wait(&q->can_recv, &q->lock, &dl) == ETIMEDOUT) {
            if (q->count == 0) {
                pthread_mutex_unlock(&q->lock);
                return errQUEUE_EMPTY;
            }
        }
    }
    if (q->item_size) {
        memcpy(buf, q->storage + (size_t)q->head * q->item_size, q->item_size);
    }
    if (remove) {
        q->head = (q->head + 1) % q->length;
        q->count--;
        if (is_mutex(q)) {
            q->held = true;
            q->holder = pthread_self();
            q->recursion = 0;
        }
        pthread_cond_signal(&q->can_send);
    } else {
        /* Another reader may take it. */
        pthread_cond_signal(&q->can_recv);
    }
    pthread_mutex_unlock(&q->lock);
    return pdPASS;
}

BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait)
{
    if (!handle_ok(xQueue, "xSemaphoreTake")) {
        return pdFAIL;
    }
    return get_item(xQueue, NULL, xTicksToWait, true);
}
