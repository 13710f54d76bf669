/* Host port of FreeRTOS tasks (freertos/task.h): one detached pthread per task, a
 * per-thread control block found through a pthread key, ticks from esp_timer_get_time. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "rtos_internal.h"
#include "sota_host.h"

static const char *TAG = "freertos";

struct tskTaskControlBlock {
    char name[configMAX_TASK_NAME_LEN];
    TaskFunction_t fn;
    void *arg;
    /* notification state (index 0) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint32_t notify_value;
    bool notify_pending;
};

static pthread_key_t s_self_key;
static pthread_once_t s_key_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t s_fail_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_fail_name[configMAX_TASK_NAME_LEN];
static unsigned s_fail_count;

void sota_host_fail_task_create(const char *name, unsigned count)
{
    pthread_mutex_lock(&s_fail_lock);
    snprintf(s_fail_name, sizeof s_fail_name, "%s", name ? name : "");
    s_fail_count = count;
    pthread_mutex_unlock(&s_fail_lock);
}

static bool fail_injected(const char *name)
{
    pthread_mutex_lock(&s_fail_lock);
    bool fail = s_fail_count > 0 && name && strncmp(name, s_fail_name, sizeof s_fail_name - 1) == 0;
    if (fail) {
        s_fail_count--;
    }
    pthread_mutex_unlock(&s_fail_lock);
    return fail;
}

static void tcb_free(void *p)
{
    TaskHandle_t tcb = p;
    pthread_cond_destroy(&tcb->cond);
    pthread_mutex_destroy(&tcb->lock);
    free(tcb);
}

static void key_init(void)
{
    if (pthread_key_create(&s_self_key, tcb_free) != 0) {
        /* Without the key no task API can work; nothing sensible to fall back to. */
        fprintf(stderr, "freertos host port: pthread_key_create failed\n");
        abort();
    }
}

static TaskHandle_t tcb_new(const char *name)
{
    TaskHandle_t tcb = calloc(1, sizeof(*tcb));
    if (!tcb) {
        return NULL;
    }
    snprintf(tcb->name, sizeof tcb->name, "%s", name ? name : "");
    if (pthread_mutex_init(&tcb->lock, NULL) != 0) {
        free(tcb);
        return NULL;
    }
    if (rtos_cond_init(&tcb->cond) != 0) {
        pthread_mutex_destroy(&tcb->lock);
        free(tcb);
        return NULL;
    }
    return tcb;
}

static void *task_entry(void *p)
{
    TaskHandle_t self = p;
    pthread_setspecific(s_self_key, self);
    self->fn(self->arg);
    /* ESP-IDF aborts here too: a FreeRTOS task function must never return. */
    ESP_LOGE(TAG, "task \"%s\" returned from its function; a task must end with "
             "vTaskDelete(NULL). Aborting.", self->name);
    abort();
}

BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pvTaskCode, const char *const pcName,
                                   const uint32_t usStackDepth, void *const pvParameters,
                                   UBaseType_t uxPriority, TaskHandle_t *const pvCreatedTask,
                                   const BaseType_t xCoreID)
{
    (void)usStackDepth;
    (void)uxPriority;
    if (pvCreatedTask) {
        *pvCreatedTask = NULL;
    }
    if (!pvTaskCode) {
        ESP_LOGE(TAG, "xTaskCreate(\"%s\"): the task function is NULL", pcName ? pcName : "");
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    if (xCoreID != tskNO_AFFINITY && (xCoreID < 0 || xCoreID >= portNUM_PROCESSORS)) {
        ESP_LOGE(TAG, "xTaskCreatePinnedToCore(\"%s\"): core %d does not exist "
                 "(use 0, 1 or tskNO_AFFINITY)", pcName ? pcName : "", xCoreID);
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    if (fail_injected(pcName)) {
        ESP_LOGW(TAG, "xTaskCreate(\"%s\"): out of memory (injected)", pcName);
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    pthread_once(&s_key_once, key_init);
    TaskHandle_t tcb = tcb_new(pcName);
    if (!tcb) {
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    tcb->fn = pvTaskCode;
    tcb->arg = pvParameters;
    if (pvCreatedTask) {
        *pvCreatedTask = tcb;
    }

    pthread_attr_t attr;
    pthread_t thread;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&thread, &attr, task_entry, tcb);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        ESP_LOGE(TAG, "xTaskCreate(\"%s\"): cannot start a thread: %s", tcb->name, strerror(rc));
        if (pvCreatedTask) {
            *pvCreatedTask = NULL;
        }
        tcb_free(tcb);
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    return pdPASS;
}

TaskHandle_t xTaskGetCurrentTaskHandle(void)
{
    pthread_once(&s_key_once, key_init);
    TaskHandle_t self = pthread_getspecific(s_self_key);
    if (!self) {
        /* A thread the port did not create (main thread, host server threads). */
        self = tcb_new("");
        if (!self) {
            fprintf(stderr, "freertos host port: out of memory for a task handle\n");
            abort();
        }
        pthread_setspecific(s_self_key, self);
    }
    return self;
}

void vTaskDelete(TaskHandle_t xTaskToDelete)
{
    TaskHandle_t self = xTaskGetCurrentTaskHandle();
    if (xTaskToDelete == NULL || xTaskToDelete == self) {
        /* The key's destructor frees the control block. */
        pthread_exit(NULL);
    }
    ESP_LOGE(TAG, "vTaskDelete(\"%s\") from task \"%s\": deleting another task is not "
             "supported on the host; it keeps running. Let the task call vTaskDelete(NULL).",
             xTaskToDelete->name, self->name);
}

void vTaskDelay(const TickType_t xTicksToDelay)
{
    if (xTicksToDelay == 0) {
        sched_yield();
        return;
    }
    rtos_deadline_t dl = rtos_deadline_ticks(xTicksToDelay);
    if (dl.forever) {
        /* portMAX_DELAY: block for ever, as a suspended task would. */
        for (;;) {
            rtos_deadline_t day = rtos_deadline_ticks(configTICK_RATE_HZ * 86400);
            rtos_sleep_until(&day);
        }
    }
    rtos_sleep_until(&dl);
}

/* --- notifications --- */

static bool notify_index_ok(UBaseType_t index, const char *what)
{
    if (index != 0) {
        ESP_LOGE(TAG, "%s: notification index %u does not exist (only 0)", what, (unsigned)index);
        return false;
    }
    return true;
}

BaseType_t xTaskGenericNotify(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                              uint32_t ulValue, eNotifyAction eAction,
                              uint32_t *pulPreviousNotificationValue)
{
    if (!xTaskToNotify || !notify_index_ok(uxIndexToNotify, "xTaskNotify")) {
        return pdFAIL;
    }
    BaseType_t ret = pdPASS;
    pthread_mutex_lock(&xTaskToNotify->lock);
    if (pulPreviousNotificationValue) {
        *pulPreviousNotificationValue = xTaskToNotify->notify_value;
    }
    switch (eAction) {
    case eSetBits:
        xTaskToNotify->notify_value |= ulValue;
        break;
    case eIncrement:
        xTaskToNotify->notify_value++;
        break;
    case eSetValueWithOverwrite:
        xTaskToNotify->notify_value = ulValue;
        break;
    case eSetValueWithoutOverwrite:
        if (xTaskToNotify->notify_pending) {
            ret = pdFAIL;
        } else {
            xTaskToNotify->notify_value = ulValue;
        }
        break;
    case eNoAction:
    default:
        break;
    }
    if (ret == pdPASS) {
        xTaskToNotify->notify_pending = true;
        pthread_cond_broadcast(&xTaskToNotify->cond);
    }
    pthread_mutex_unlock(&xTaskToNotify->lock);
    return ret;
}

uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit,
                                 TickType_t xTicksToWait)
{
    if (!notify_index_ok(uxIndexToWaitOn, "ulTaskNotifyTake")) {
        return 0;
    }
    TaskHandle_t self = xTaskGetCurrentTaskHandle();
    rtos_deadline_t dl = rtos_deadline_ticks(xTicksToWait);
    pthread_mutex_lock(&self->lock);
    while (self->notify_value == 0 && xTicksToWait != 0) {
        if (rtos_cond_wait(&self->cond, &self->lock, &dl) == ETIMEDOUT) {
            break;
        }
    }
    uint32_t value = self->notify_value;
    if (value != 0) {
        self->notify_value = xClearCountOnExit ? 0 : value - 1;
    }
    self->notify_pending = false;
    pthread_mutex_unlock(&self->lock);
    return value;
}
