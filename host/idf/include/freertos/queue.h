/* Host port of the FreeRTOS queue API subset (freertos/queue.h): fixed-size items copied
 * in and out, blocking with tick timeouts, on a pthread mutex and condition variables.
 * Semaphores and mutexes (semphr.h) are queues of zero-size items, as in FreeRTOS. */
#ifndef INC_QUEUE_H
#define INC_QUEUE_H

#include "freertos/FreeRTOS.h"

typedef struct QueueDefinition *QueueHandle_t;

#define queueSEND_TO_BACK  ((BaseType_t)0)
#define queueSEND_TO_FRONT ((BaseType_t)1)
#define queueOVERWRITE     ((BaseType_t)2)

#define queueQUEUE_TYPE_BASE               ((uint8_t)0U)
#define queueQUEUE_TYPE_SET                ((uint8_t)0U)
#define queueQUEUE_TYPE_MUTEX              ((uint8_t)1U)
#define queueQUEUE_TYPE_COUNTING_SEMAPHORE ((uint8_t)2U)
#define queueQUEUE_TYPE_BINARY_SEMAPHORE   ((uint8_t)3U)
#define queueQUEUE_TYPE_RECURSIVE_MUTEX    ((uint8_t)4U)

/* Copy uxItemSize bytes from pvItemToQueue into the queue (back, front, or overwriting
 * the only item of a length-1 queue), waiting up to xTicksToWait ticks for space
 * (portMAX_DELAY: for ever). For semaphores pvItemToQueue is NULL and this is "give".
 * Returns pdPASS, or errQUEUE_FULL if there was no space in time. Giving a mutex the
 * calling task does not hold returns pdFAIL (logged: a bug; FreeRTOS asserts). */
BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue,
                             TickType_t xTicksToWait, const BaseType_t xCopyPosition);
#define xQueueSend(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_BACK)
#define xQueueSendToBack(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_BACK)
#define xQueueSendToFront(xQueue, pvItemToQueue, xTicksToWait) \
    xQueueGenericSend((xQueue), (pvItemToQueue), (xTicksToWait), queueSEND_TO_FRONT)
#define xQueueOverwrite(xQueue, pvItemToQueue) \
    xQueueGenericSend((xQueue), (pvItemToQueue), 0, queueOVERWRITE)

/* --- used by the semphr.h macros --- */
QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType);
BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait);

#endif
