/* Host port of the FreeRTOS task API subset ESP-IDF code uses (freertos/task.h).
 * A task is a detached pthread; see FreeRTOS.h for what the host ignores. */
#ifndef INC_TASK_H
#define INC_TASK_H

#include "freertos/FreeRTOS.h"

typedef struct tskTaskControlBlock *TaskHandle_t;

/* Priority of the idle task; tasks normally use tskIDLE_PRIORITY + n. Ignored on host. */
#define tskIDLE_PRIORITY ((UBaseType_t)0U)
/* xCoreID value for "any core". */
#define tskNO_AFFINITY (0x7FFFFFFF)
#define tskDEFAULT_INDEX_TO_NOTIFY (0)

/* Create a task running pvTaskCode(pvParameters) on its own thread.
 * pcName: copied, truncated to configMAX_TASK_NAME_LEN - 1 characters (NULL: "").
 * usStackDepth (bytes in ESP-IDF), uxPriority: ignored on host.
 * pvCreatedTask: may be NULL; else receives the handle before the task starts running.
 * xCoreID: 0, 1 or tskNO_AFFINITY.
 * The task must end with vTaskDelete(NULL); as in ESP-IDF, a task function that returns
 * is a bug and aborts the program with a message naming the task.
 * Returns pdPASS, or errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY if pvTaskCode is NULL,
 * xCoreID is invalid (both logged: on a device these fail an assertion), or memory or
 * a thread could not be had. */
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pvTaskCode, const char *const pcName,
                                   const uint32_t usStackDepth, void *const pvParameters,
                                   UBaseType_t uxPriority, TaskHandle_t *const pvCreatedTask,
                                   const BaseType_t xCoreID);

/* xTaskCreatePinnedToCore with tskNO_AFFINITY (an inline function in ESP-IDF too). */
static inline BaseType_t xTaskCreate(TaskFunction_t pvTaskCode, const char *const pcName,
                                     const configSTACK_DEPTH_TYPE usStackDepth,
                                     void *const pvParameters, UBaseType_t uxPriority,
                                     TaskHandle_t *const pxCreatedTask)
{
    return xTaskCreatePinnedToCore(pvTaskCode, pcName, usStackDepth, pvParameters, uxPriority,
                                   pxCreatedTask, tskNO_AFFINITY);
}

/* xTaskToDelete NULL: end the calling task (its thread exits; does not return). The
 * handle becomes invalid. Deleting another task is not supported on host (a thread
 * cannot be stopped safely at an arbitrary point): it is logged as an error and the
 * other task keeps running. Have the task delete itself instead. */
void vTaskDelete(TaskHandle_t xTaskToDelete);

/* Block the calling task for xTicksToDelay ticks (0: just yield). */
void vTaskDelay(const TickType_t xTicksToDelay);

/* The calling task. Threads not created by xTaskCreate (the main thread, host server
 * threads) get a handle on first use too, named after nothing (""), released when the
 * thread ends. Never NULL. */
TaskHandle_t xTaskGetCurrentTaskHandle(void);

/* --- Task notifications (index 0 only: configTASK_NOTIFICATION_ARRAY_ENTRIES is 1) --- */
typedef enum {
    eNoAction = 0,
    eSetBits,
    eIncrement,
    eSetValueWithOverwrite,
    eSetValueWithoutOverwrite,
} eNotifyAction;

/* Notify xTaskToNotify (must not be NULL). pulPreviousNotificationValue may be NULL.
 * Returns pdPASS, or pdFAIL for eSetValueWithoutOverwrite when a notification is already
 * pending, or when uxIndexToNotify is not 0 (logged). */
BaseType_t xTaskGenericNotify(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                              uint32_t ulValue, eNotifyAction eAction,
                              uint32_t *pulPreviousNotificationValue);

/* Wait up to xTicksToWait for the calling task's notification value to be non-zero; then
 * return it and either clear it (xClearCountOnExit pdTRUE) or decrement it. Returns 0 on
 * timeout. */
uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit,
                                 TickType_t xTicksToWait);

#define xTaskNotifyGive(xTaskToNotify) \
    xTaskGenericNotify((xTaskToNotify), tskDEFAULT_INDEX_TO_NOTIFY, 0, eIncrement, NULL)
#define ulTaskNotifyTake(xClearCountOnExit, xTicksToWait) \
    ulTaskGenericNotifyTake(tskDEFAULT_INDEX_TO_NOTIFY, (xClearCountOnExit), (xTicksToWait))
#define xTaskNotify(xTaskToNotify, ulValue, eAction) \
    xTaskGenericNotify((xTaskToNotify), tskDEFAULT_INDEX_TO_NOTIFY, (ulValue), (eAction), NULL)

#endif
