/* Host port of the FreeRTOS semaphore API subset (freertos/semphr.h): mutexes. As in
 * FreeRTOS these are macros over the queue functions (queue.h). */
#ifndef SEMAPHORE_H
#define SEMAPHORE_H

#include "freertos/queue.h"

typedef QueueHandle_t SemaphoreHandle_t;

#define semGIVE_BLOCK_TIME ((TickType_t)0U)

/* A mutex, created available. Only the task that took it may give it back. */
#define xSemaphoreCreateMutex() xQueueCreateMutex(queueQUEUE_TYPE_MUTEX)

/* Take, waiting up to xBlockTime ticks. pdTRUE if taken, pdFALSE on timeout. */
#define xSemaphoreTake(xSemaphore, xBlockTime) xQueueSemaphoreTake((xSemaphore), (xBlockTime))

/* Give back. pdTRUE, or pdFALSE if the mutex was available or the caller does not hold
 * it. */
#define xSemaphoreGive(xSemaphore) \
    xQueueGenericSend((QueueHandle_t)(xSemaphore), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK)

#endif
