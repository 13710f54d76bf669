/* Unit tests of the host FreeRTOS and esp_timer ports (host/idf/rtos_*.c, timer_esp.c):
 * constants, tasks, mutexes, semaphores, queues and notifications with their timeouts,
 * and one-shot / periodic timers. They assert behaviour (what was received, what timed
 * out), never how long something took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

/* ---- constants ------------------------------------------------------------------------ */

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(configTICK_RATE_HZ, 100);            /* ESP-IDF's default */
    assert_int_equal(portTICK_PERIOD_MS, 10);
    assert_int_equal(pdMS_TO_TICKS(1000), 100);
    assert_int_equal(pdMS_TO_TICKS(10), 1);                /* N */
    assert_int_equal(pdMS_TO_TICKS(9), 0);                 /* N-1 rounds down */
    assert_int_equal(pdMS_TO_TICKS(19), 1);
    assert_int_equal(pdTRUE, 1);
    assert_int_equal(pdPASS, pdTRUE);
    assert_int_equal(pdFAIL, pdFALSE);
    assert_int_equal(errQUEUE_FULL, 0);
    assert_true(portMAX_DELAY == 0xffffffffu);
    assert_int_equal(sizeof(TickType_t), 4);
    assert_int_equal(tskNO_AFFINITY, 0x7FFFFFFF);
}

/* ---- tasks ------------------------------------------------------------------------------ */

typedef struct {
    SemaphoreHandle_t done;
    TaskHandle_t seen_self;
    char name[configMAX_TASK_NAME_LEN];
    int arg_value;
} task_ctx_t;

static void recording_task(void *p)
{
    task_ctx_t *ctx = p;
    ctx->seen_self = xTaskGetCurrentTaskHandle();
    snprintf(ctx->name, sizeof ctx->name, "%s", pcTaskGetName(NULL));
    ctx->arg_value++;
    xSemaphoreGive(ctx->done);
    vTaskDelete(NULL);
}

static void test_task_create(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        BaseType_t core;
        const char *expect_name;
    } cases[] = {
        { "worker", tskNO_AFFINITY, "worker" },
        { "pinned0", 0, "pinned0" },
        { "pinned1", 1, "pinned1" },
        { "a_name_longer_than_16", tskNO_AFFINITY, "a_name_longer_t" },  /* 15 + NUL */
        { NULL, tskNO_AFFINITY, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        task_ctx_t ctx = { .done = xSemaphoreCreateBinary(), .arg_value = 41 };
        assert_non_null(ctx.done);
        TaskHandle_t h = NULL;
        assert_int_equal(xTaskCreatePinnedToCore(recording_task, cases[i].name, 4096, &ctx, 5,
                                                 &h, cases[i].core), pdPASS);
        assert_non_null(h);
        assert_int_equal(xSemaphoreTake(ctx.done, portMAX_DELAY), pdTRUE);
        assert_ptr_equal(ctx.seen_self, h);
        assert_string_equal(ctx.name, cases[i].expect_name);
        assert_int_equal(ctx.arg_value, 42);
        vSemaphoreDelete(ctx.done);
    }
    /* xTaskCreate is the same without a core; the handle pointer may be NULL. */
    task_ctx_t ctx = { .done = xSemaphoreCreateBinary() };
    assert_int_equal(xTaskCreate(recording_task, "plain", 2048, &ctx, 1, NULL), pdPASS);
    assert_int_equal(xSemaphoreTake(ctx.done, portMAX_DELAY), pdTRUE);
    vSemaphoreDelete(ctx.done);
}

static void test_task_create_errors(void **state)
{
    (void)state;
    TaskHandle_t h = (TaskHandle_t)1;
    assert_int_equal(xTaskCreatePinnedToCore(recording_task, "x", 2048, NULL, 1, &h, 2),
                     errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);         /* core N+1 */
    assert_null(h);
    assert_int_equal(xTaskCreatePinnedToCore(recording_task, "x", 2048, NULL, 1, &h, -1),
                     errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
    assert_int_equal(xTaskCreate(NULL, "x", 2048, NULL, 1, &h), errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
    assert_null(h);
}

static void test_current_task_and_ticks(void **state)
{
    (void)state;
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    assert_non_null(me);
    assert_ptr_equal(me, xTaskGetCurrentTaskHandle());
    assert_string_equal(pcTaskGetName(me), "");            /* a thread the port did not create */

    TickType_t t0 = xTaskGetTickCount();
    vTaskDelay(2);
    TickType_t t1 = xTaskGetTickCount();
    assert_true(t1 - t0 >= 2);                             /* at least the delay, never less */
    vTaskDelay(0);                                         /* a yield */

    TickType_t prev = xTaskGetTickCount();
    TickType_t start = prev;
    assert_int_equal(xTaskDelayUntil(&prev, 2), pdTRUE);
    assert_true(prev == start + 2);
    assert_true(xTaskGetTickCount() - start >= 2);
    prev -= 1000;                                          /* long past: no wait */
    TickType_t before = prev;
    assert_int_equal(xTaskDelayUntil(&prev, 3), pdFALSE);
    assert_true(prev == before + 3);

    int64_t a = esp_timer_get_time();
    int64_t b = esp_timer_get_time();
    assert_true(a >= 0 && b >= a);
}

/* ---- mutexes and semaphores --------------------------------------------------------------- */

typedef struct {
    SemaphoreHandle_t sem;
    TickType_t wait;
    BaseType_t take_result;
    BaseType_t give_result;
    SemaphoreHandle_t done;
} other_ctx_t;

/* From another task: try to take with a timeout, then try to give. */
static void other_task(void *p)
{
    other_ctx_t *c = p;
    c->take_result = xSemaphoreTake(c->sem, c->wait);
    c->give_result = c->take_result ? xSemaphoreGive(c->sem) : xSemaphoreGive(c->sem);
    xSemaphoreGive(c->done);
    vTaskDelete(NULL);
}

static void run_other(other_ctx_t *c)
{
    c->done = xSemaphoreCreateBinary();
    assert_int_equal(xTaskCreate(other_task, "other", 2048, c, 1, NULL), pdPASS);
    assert_int_equal(xSemaphoreTake(c->done, portMAX_DELAY), pdTRUE);
    vSemaphoreDelete(c->done);
}

static void test_mutex(void **state)
{
    (void)state;
    SemaphoreHandle_t m = xSemaphoreCreateMutex();
    assert_non_null(m);
    assert_int_equal(uxSemaphoreGetCount(m), 1);
    assert_int_equal(xSemaphoreGive(m), pdFALSE);          /* not taken: nothing to give */
    assert_int_equal(xSemaphoreTake(m, 0), pdTRUE);
    assert_int_equal(xSemaphoreTake(m, 0), pdFALSE);       /* not recursive */
    assert_int_equal(xSemaphoreTake(m, 1), pdFALSE);       /* times out */

    /* Another task cannot take it within its timeout, nor give it back. */
    other_ctx_t c = { .sem = m, .wait = 2 };
    run_other(&c);
    assert_int_equal(c.take_result, pdFALSE);
    assert_int_equal(c.give_result, pdFAIL);

    assert_int_equal(xSemaphoreGive(m), pdTRUE);
    /* Now the other task takes and gives it. */
    other_ctx_t d = { .sem = m, .wait = portMAX_DELAY };
    run_other(&d);
    assert_int_equal(d.take_result, pdTRUE);
    assert_int_equal(d.give_result, pdTRUE);
    assert_int_equal(xSemaphoreTake(m, 0), pdTRUE);
    assert_int_equal(xSemaphoreGive(m), pdTRUE);
    vSemaphoreDelete(m);
}

static void test_recursive_mutex(void **state)
{
    (void)state;
    SemaphoreHandle_t m = xSemaphoreCreateRecursiveMutex();
    assert_non_null(m);
    assert_int_equal(xSemaphoreGiveRecursive(m), pdFAIL);  /* not held */
    assert_int_equal(xSemaphoreTakeRecursive(m, 0), pdTRUE);
    assert_int_equal(xSemaphoreTakeRecursive(m, 0), pdTRUE);
    assert_int_equal(xSemaphoreGiveRecursive(m), pdTRUE);
    other_ctx_t c = { .sem = m, .wait = 1 };               /* still held once */
    run_other(&c);
    assert_int_equal(c.take_result, pdFALSE);
    assert_int_equal(xSemaphoreGiveRecursive(m), pdTRUE);
    assert_int_equal(xSemaphoreGiveRecursive(m), pdFAIL);  /* N+1 gives */
    assert_int_equal(xSemaphoreTakeRecursive(m, 0), pdTRUE);
    assert_int_equal(xSemaphoreGiveRecursive(m), pdTRUE);
    vSemaphoreDelete(m);
}

static void test_binary_semaphore(void **state)
{
    (void)state;
    SemaphoreHandle_t s = xSemaphoreCreateBinary();
    assert_non_null(s);
    assert_int_equal(xSemaphoreTake(s, 0), pdFALSE);       /* created empty */
    assert_int_equal(xSemaphoreTake(s, 1), pdFALSE);
    assert_int_equal(xSemaphoreGive(s), pdTRUE);
    assert_int_equal(xSemaphoreGive(s), pdFALSE);          /* already given */
    assert_int_equal(uxSemaphoreGetCount(s), 1);
    assert_int_equal(xSemaphoreTake(s, 0), pdTRUE);
    assert_int_equal(uxSemaphoreGetCount(s), 0);
    /* Anyone may give a binary semaphore. */
    other_ctx_t c = { .sem = s, .wait = 0 };
    run_other(&c);
    assert_int_equal(c.take_result, pdFALSE);
    assert_int_equal(c.give_result, pdTRUE);
    assert_int_equal(xSemaphoreTake(s, portMAX_DELAY), pdTRUE);
    vSemaphoreDelete(s);
}

static void test_counting_semaphore(void **state)
{
    (void)state;
    assert_null(xSemaphoreCreateCounting(0, 0));
    assert_null(xSemaphoreCreateCounting(2, 3));           /* initial > max */
    for (UBaseType_t max = 1; max <= 4; max++) {
        SemaphoreHandle_t s = xSemaphoreCreateCounting(max, 0);
        assert_non_null(s);
        for (UBaseType_t i = 0; i < max; i++) {
            assert_int_equal(xSemaphoreGive(s), pdTRUE);
        }
        assert_int_equal(xSemaphoreGive(s), pdFALSE);      /* N+1 */
        assert_int_equal(uxSemaphoreGetCount(s), max);
        for (UBaseType_t i = 0; i < max; i++) {
            assert_int_equal(xSemaphoreTake(s, 0), pdTRUE);
        }
        assert_int_equal(xSemaphoreTake(s, 0), pdFALSE);
        vSemaphoreDelete(s);
    }
    SemaphoreHandle_t s = xSemaphoreCreateCounting(3, 2);
    assert_int_equal(uxSemaphoreGetCount(s), 2);
    vSemaphoreDelete(s);
}

/* ---- queues ------------------------------------------------------------------------------ */

static void test_queue_limits(void **state)
{
    (void)state;
    assert_null(xQueueCreate(0, sizeof(int)));
    for (UBaseType_t len = 1; len <= 5; len++) {
        QueueHandle_t q = xQueueCreate(len, sizeof(int));
        assert_non_null(q);
        assert_int_equal(uxQueueSpacesAvailable(q), len);
        for (int i = 0; i < (int)len; i++) {
            assert_int_equal(xQueueSend(q, &i, 0), pdPASS);
        }
        int extra = 99;
        assert_int_equal(xQueueSend(q, &extra, 0), errQUEUE_FULL);   /* N+1 */
        assert_int_equal(xQueueSend(q, &extra, 1), errQUEUE_FULL);   /* after a timeout */
        assert_int_equal(uxQueueMessagesWaiting(q), len);
        for (int i = 0; i < (int)len; i++) {
            int v = -1;
            assert_int_equal(xQueueReceive(q, &v, 0), pdPASS);
            assert_int_equal(v, i);                                  /* FIFO */
        }
        int v = -1;
        assert_int_equal(xQueueReceive(q, &v, 0), errQUEUE_EMPTY);
        assert_int_equal(xQueueReceive(q, &v, 1), errQUEUE_EMPTY);
        assert_int_equal(v, -1);
        vQueueDelete(q);
    }
}

static void test_queue_front_peek_overwrite_reset(void **state)
{
    (void)state;
    QueueHandle_t q = xQueueCreate(3, sizeof(uint16_t));
    uint16_t a = 1, b = 2, c = 3, v = 0;
    assert_int_equal(xQueueSendToBack(q, &a, 0), pdPASS);
    assert_int_equal(xQueueSendToBack(q, &b, 0), pdPASS);
    assert_int_equal(xQueueSendToFront(q, &c, 0), pdPASS);          /* 3 1 2 */
    assert_int_equal(xQueuePeek(q, &v, 0), pdPASS);
    assert_int_equal(v, 3);
    assert_int_equal(uxQueueMessagesWaiting(q), 3);
    static const uint16_t order[] = { 3, 1, 2 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(xQueueReceive(q, &v, 0), pdPASS);
        assert_int_equal(v, order[i]);
    }
    assert_int_equal(xQueueSend(q, &a, 0), pdPASS);
    assert_int_equal(xQueueReset(q), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(q), 0);
    assert_int_equal(xQueueOverwrite(q, &a), pdFAIL);              /* only length-1 queues */
    vQueueDelete(q);

    QueueHandle_t one = xQueueCreate(1, sizeof(uint16_t));
    assert_int_equal(xQueueOverwrite(one, &a), pdPASS);
    assert_int_equal(xQueueOverwrite(one, &b), pdPASS);
    assert_int_equal(uxQueueMessagesWaiting(one), 1);
    assert_int_equal(xQueueReceive(one, &v, 0), pdPASS);
    assert_int_equal(v, 2);
    vQueueDelete(one);
}

typedef struct {
    QueueHandle_t q;
    int count;
    SemaphoreHandle_t done;
} producer_ctx_t;

static void producer_task(void *p)
{
    producer_ctx_t *c = p;
    for (int i = 0; i < c->count; i++) {
        xQueueSend(c->q, &i, portMAX_DELAY);
    }
    xSemaphoreGive(c->done);      /* the last use of c: the test may return after this */
    vTaskDelete(NULL);
}

/* A producer blocked on a full queue and a consumer blocked on an empty one keep each
 * other going: every item arrives, in order. */
static void test_queue_between_tasks(void **state)
{
    (void)state;
    producer_ctx_t c = { .q = xQueueCreate(2, sizeof(int)), .count = 500,
                         .done = xSemaphoreCreateBinary() };
    assert_non_null(c.q);
    assert_non_null(c.done);
    assert_int_equal(xTaskCreate(producer_task, "producer", 2048, &c, 1, NULL), pdPASS);
    for (int i = 0; i < c.count; i++) {
        int v = -1;
        assert_int_equal(xQueueReceive(c.q, &v, portMAX_DELAY), pdPASS);
        assert_int_equal(v, i);
    }
    assert_int_equal(xSemaphoreTake(c.done, portMAX_DELAY), pdTRUE);
    int v;
    assert_int_equal(xQueueReceive(c.q, &v, 0), errQUEUE_EMPTY);
    vQueueDelete(c.q);
    vSemaphoreDelete(c.done);
}

/* ---- notifications ---------------------------------------------------------------------- */

static void notifier_task(void *p)
{
    TaskHandle_t target = p;
    xTaskNotifyGive(target);
    vTaskDelete(NULL);
}

static void test_notifications(void **state)
{
    (void)state;
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 0), 0);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 1), 0);                /* times out */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(xTaskNotifyGive(me), pdPASS);
    }
    assert_int_equal(ulTaskNotifyTake(pdFALSE, 0), 3);               /* decrements */
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 0), 2);                /* clears */
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 0), 0);

    assert_int_equal(xTaskCreate(notifier_task, "notifier", 2048, me, 1, NULL), pdPASS);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, portMAX_DELAY), 1);

    uint32_t value = 0;
    assert_int_equal(xTaskNotify(me, 0x5, eSetBits), pdPASS);
    assert_int_equal(xTaskNotify(me, 0x2, eSetBits), pdPASS);
    assert_int_equal(xTaskNotifyWait(0, 0xffffffffu, &value, 0), pdTRUE);
    assert_int_equal(value, 0x7);
    assert_int_equal(xTaskNotifyWait(0, 0, &value, 1), pdFALSE);     /* none pending */
    assert_int_equal(xTaskNotify(me, 10, eSetValueWithoutOverwrite), pdPASS);
    assert_int_equal(xTaskNotify(me, 11, eSetValueWithoutOverwrite), pdFAIL);
    assert_int_equal(xTaskNotify(me, 12, eSetValueWithOverwrite), pdPASS);
    assert_int_equal(xTaskNotifyWait(0, 0xffffffffu, &value, 0), pdTRUE);
    assert_int_equal(value, 12);
    assert_int_equal(xTaskGenericNotify(me, 1, 0, eIncrement, NULL), pdFAIL); /* index 1 */
}

/* ---- esp_timer -------------------------------------------------------------------------- */

typedef struct {
    atomic_int calls;
    SemaphoreHandle_t fired;          /* counting: one give per call */
    esp_timer_handle_t self;
    int stop_after;                   /* periodic: stop itself after this many calls */
    bool delete_self;                 /* one-shot: delete itself */
    esp_err_t self_op_result;
} timer_ctx_t;

static void timer_cb(void *arg)
{
    timer_ctx_t *c = arg;
    int n = atomic_fetch_add(&c->calls, 1) + 1;
    if (c->stop_after && n == c->stop_after) {
        c->self_op_result = esp_timer_stop(c->self);
    }
    if (c->delete_self) {
        c->self_op_result = esp_timer_delete(c->self);
    }
    xSemaphoreGive(c->fired);
}

static esp_timer_handle_t make_timer(timer_ctx_t *c, const char *name)
{
    c->fired = xSemaphoreCreateCounting(1000, 0);
    assert_non_null(c->fired);
    const esp_timer_create_args_t args = { .callback = timer_cb, .arg = c, .name = name };
    assert_int_equal(esp_timer_create(&args, &c->self), ESP_OK);
    return c->self;
}

static void test_timer_once(void **state)
{
    (void)state;
    timer_ctx_t c = { .calls = 0 };
    esp_timer_handle_t t = make_timer(&c, "once");
    assert_false(esp_timer_is_active(t));
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_OK);
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_ERR_INVALID_STATE);   /* running */
    assert_int_equal(xSemaphoreTake(c.fired, portMAX_DELAY), pdTRUE);
    assert_int_equal(xSemaphoreTake(c.fired, pdMS_TO_TICKS(30)), pdFALSE);    /* only once */
    assert_int_equal(atomic_load(&c.calls), 1);
    assert_int_equal(esp_timer_stop(t), ESP_ERR_INVALID_STATE);               /* expired */
    uint64_t expiry = 1, period = 1;
    assert_int_equal(esp_timer_get_expiry_time(t, &expiry), ESP_OK);
    assert_int_equal(expiry, 0);
    assert_int_equal(esp_timer_get_period(t, &period), ESP_OK);
    assert_int_equal(period, 0);
    /* Restart it, then stop it before it fires. */
    assert_int_equal(esp_timer_start_once(t, 60 * 1000000ULL), ESP_OK);
    assert_true(esp_timer_is_active(t));
    assert_int_equal(esp_timer_get_expiry_time(t, &expiry), ESP_OK);
    assert_true(expiry > (uint64_t)esp_timer_get_time());
    assert_true(esp_timer_get_next_alarm() <= (int64_t)expiry);
    assert_int_equal(esp_timer_restart(t, 50 * 1000000ULL), ESP_OK);
    assert_int_equal(esp_timer_delete(t), ESP_ERR_INVALID_STATE);             /* running */
    assert_int_equal(esp_timer_stop(t), ESP_OK);
    assert_false(esp_timer_is_active(t));
    assert_int_equal(esp_timer_restart(t, 1000), ESP_ERR_INVALID_STATE);      /* stopped */
    assert_int_equal(esp_timer_delete(t), ESP_OK);
    assert_int_equal(atomic_load(&c.calls), 1);
    vSemaphoreDelete(c.fired);
}

static void test_timer_periodic(void **state)
{
    (void)state;
    timer_ctx_t c = { .calls = 0 };
    esp_timer_handle_t t = make_timer(&c, "periodic");
    assert_int_equal(esp_timer_start_periodic(t, 10), ESP_OK);   /* raised to 50 us */
    uint64_t period = 0, expiry;
    assert_int_equal(esp_timer_get_period(t, &period), ESP_OK);
    assert_int_equal(period, 50);
    assert_int_equal(esp_timer_get_expiry_time(t, &expiry), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_timer_stop(t), ESP_OK);
    assert_int_equal(esp_timer_start_periodic(t, 2000), ESP_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(xSemaphoreTake(c.fired, portMAX_DELAY), pdTRUE);
    }
    assert_int_equal(esp_timer_stop(t), ESP_OK);
    int after_stop = atomic_load(&c.calls);
    assert_true(after_stop >= 3);
    vTaskDelay(pdMS_TO_TICKS(50));                /* 25 periods would pass if it ran on */
    /* A callback already dispatched when stop was called may still complete. */
    assert_true(atomic_load(&c.calls) <= after_stop + 1);
    assert_int_equal(esp_timer_delete(t), ESP_OK);
    vSemaphoreDelete(c.fired);
}

/* Stopping from its own callback ends a periodic timer; a one-shot may delete itself. */
static void test_timer_self_ops(void **state)
{
    (void)state;
    timer_ctx_t c = { .calls = 0, .stop_after = 4, .self_op_result = -1 };
    esp_timer_handle_t t = make_timer(&c, "stops");
    assert_int_equal(esp_timer_start_periodic(t, 1000), ESP_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(xSemaphoreTake(c.fired, portMAX_DELAY), pdTRUE);
    }
    assert_int_equal(c.self_op_result, ESP_OK);
    assert_int_equal(xSemaphoreTake(c.fired, pdMS_TO_TICKS(30)), pdFALSE);
    assert_int_equal(atomic_load(&c.calls), 4);
    assert_int_equal(esp_timer_delete(t), ESP_OK);
    vSemaphoreDelete(c.fired);

    timer_ctx_t d = { .calls = 0, .delete_self = true, .self_op_result = -1 };
    t = make_timer(&d, "deletes");
    assert_int_equal(esp_timer_start_once(t, 0), ESP_OK);
    assert_int_equal(xSemaphoreTake(d.fired, portMAX_DELAY), pdTRUE);
    assert_int_equal(d.self_op_result, ESP_OK);   /* freed after the callback (ASan checks) */
    vSemaphoreDelete(d.fired);
}

/* Two timers fire in the order of their alarms, on the one dispatcher. */
static void test_timer_order(void **state)
{
    (void)state;
    timer_ctx_t late = { .calls = 0 }, early = { .calls = 0 };
    esp_timer_handle_t tl = make_timer(&late, "late");
    esp_timer_handle_t te = make_timer(&early, "early");
    assert_int_equal(esp_timer_start_once(tl, 200000), ESP_OK);
    assert_int_equal(esp_timer_start_once(te, 1000), ESP_OK);
    assert_int_equal(xSemaphoreTake(early.fired, portMAX_DELAY), pdTRUE);
    assert_int_equal(atomic_load(&late.calls), 0);
    assert_int_equal(xSemaphoreTake(late.fired, portMAX_DELAY), pdTRUE);
    assert_int_equal(esp_timer_delete(tl), ESP_OK);
    assert_int_equal(esp_timer_delete(te), ESP_OK);
    vSemaphoreDelete(late.fired);
    vSemaphoreDelete(early.fired);
}

static void test_timer_errors(void **state)
{
    (void)state;
    esp_timer_handle_t t = NULL;
    esp_timer_create_args_t args = { .callback = timer_cb };
    assert_int_equal(esp_timer_create(NULL, &t), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_create(&args, NULL), ESP_ERR_INVALID_ARG);
    args.callback = NULL;
    assert_int_equal(esp_timer_create(&args, &t), ESP_ERR_INVALID_ARG);
    args.callback = timer_cb;
    args.dispatch_method = ESP_TIMER_MAX;
    assert_int_equal(esp_timer_create(&args, &t), ESP_ERR_INVALID_ARG);
    assert_null(t);
    assert_int_equal(esp_timer_start_once(NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_start_periodic(NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_restart(NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_stop(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_delete(NULL), ESP_ERR_INVALID_ARG);
    assert_false(esp_timer_is_active(NULL));
    assert_int_equal(esp_timer_dump(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_timer_init(), ESP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_task_create),
        cmocka_unit_test(test_task_create_errors),
        cmocka_unit_test(test_current_task_and_ticks),
        cmocka_unit_test(test_mutex),
        cmocka_unit_test(test_recursive_mutex),
        cmocka_unit_test(test_binary_semaphore),
        cmocka_unit_test(test_counting_semaphore),
        cmocka_unit_test(test_queue_limits),
        cmocka_unit_test(test_queue_front_peek_overwrite_reset),
        cmocka_unit_test(test_queue_between_tasks),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_timer_once),
        cmocka_unit_test(test_timer_periodic),
        cmocka_unit_test(test_timer_self_ops),
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
