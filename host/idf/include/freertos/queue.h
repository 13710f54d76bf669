/* Host port of FreeRTOS's freertos/queue.h, the part semphr.h's mutex macros use: the
 * component creates no queue of items, only mutexes (rtos_queue.c). */
#ifndef INC_QUEUE_H
#define INC_QUEUE_H

#include "freertos/FreeRTOS.h"

typedef struct QueueDefinition *QueueHandle_t;

#define queueSEND_TO_BACK     ((BaseType_t)0)
#define queueQUEUE_TYPE_MUTEX ((uint8_t)1U)

/* Give a mutex back (pvItemToQueue NULL): pdPASS; errQUEUE_FULL if it was not taken;
 * pdFAIL if the calling task does not hold it (logged: a bug; FreeRTOS asserts). */
BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void *const pvItemToQueue,
                             TickType_t xTicksToWait, const BaseType_t xCopyPosition);

/* A mutex, available (ucQueueType: queueQUEUE_TYPE_MUTEX, the only type modelled; NULL
 * for any other, logged), or NULL if out of memory. */
QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType);
/* Take a mutex, waiting up to xTicksToWait ticks: pdPASS, or errQUEUE_EMPTY (pdFALSE) on
 * timeout. */
BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait);

#endif
