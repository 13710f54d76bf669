/* Host port of the FreeRTOS semaphore API subset (freertos/semphr.h). As in FreeRTOS the
 * semaphores are queues (queue.h) and these are macros over the queue functions. */
#ifndef SEMAPHORE_H
#define SEMAPHORE_H

#include "freertos/queue.h"

typedef QueueHandle_t SemaphoreHandle_t;

#define semSEMAPHORE_QUEUE_ITEM_LENGTH ((uint8_t)0U)
#define semGIVE_BLOCK_TIME             ((TickType_t)0U)

/* A binary semaphore, created empty ("taken"): the first take blocks until a give.
 * NULL if out of memory. */
#define xSemaphoreCreateBinary()                                             \
    xQueueGenericCreate((UBaseType_t)1, semSEMAPHORE_QUEUE_ITEM_LENGTH, \
                        queueQUEUE_TYPE_BINARY_SEMAPHORE)

/* A mutex, created available. Only the task that took it may give it back. */
#define xSemaphoreCreateMutex() xQueueCreateMutex(queueQUEUE_TYPE_MUTEX)

/* A mutex the holder may take again; it is released after as many gives as takes. */
#define xSemaphoreCreateRecursiveMutex() xQueueCreateMutex(queueQUEUE_TYPE_RECURSIVE_MUTEX)

/* A counting semaphore; NULL if uxMaxCount is 0, uxInitialCount > uxMaxCount, or out of
 * memory. */
#define xSemaphoreCreateCounting(uxMaxCount, uxInitialCount) \
    xQueueCreateCountingSemaphore((uxMaxCount), (uxInitialCount))

/* Take, waiting up to xBlockTime ticks. pdTRUE if taken, pdFALSE on timeout. */
#define xSemaphoreTake(xSemaphore, xBlockTime) xQueueSemaphoreTake((xSemaphore), (xBlockTime))

/* Give. pdTRUE, or pdFALSE if the semaphore was already available (binary: already given;
 * counting: at its maximum) or, for a mutex, the caller does not hold it. */
#define xSemaphoreGive(xSemaphore) \
    xQueueGenericSend((QueueHandle_t)(xSemaphore), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK)

#define xSemaphoreTakeRecursive(xMutex, xBlockTime) xQueueTakeMutexRecursive((xMutex), (xBlockTime))
#define xSemaphoreGiveRecursive(xMutex) xQueueGiveMutexRecursive((xMutex))

/* The count of a counting semaphore (1/0 for binary semaphores and mutexes: available or not). */
#define uxSemaphoreGetCount(xSemaphore) uxQueueMessagesWaiting((QueueHandle_t)(xSemaphore))

/* Free a semaphore; no task may be waiting on it. */
#define vSemaphoreDelete(xSemaphore) vQueueDelete((QueueHandle_t)(xSemaphore))

#endif
