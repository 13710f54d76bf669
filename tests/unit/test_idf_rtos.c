/* Unit tests of the host FreeRTOS and esp_timer ports (host/idf/rtos_*.c, timer_esp.c),
 * the part the component uses: constants, tasks, mutexes and notifications with their
 * timeouts, and one-shot timers. They assert behaviour (what was received, what timed
 * out), never how long something took. The product never deletes a mutex or a timer,
 * and neither does the port: the tests keep theirs in statics. */
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
    TaskHandle_t waiter;              /* notified when the task has run */
    TaskHandle_t seen_self;
    int arg_value;
} task_ctx_t;

static void recording_task(void *p)
{
    task_ctx_t *ctx = p;
    ctx->seen_self = xTaskGetCurrentTaskHandle();
    ctx->arg_value++;
    xTaskNotifyGive(ctx->waiter);     /* the last use of ctx: the test may return after this */
    vTaskDelete(NULL);
}

static void test_task_create(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        BaseType_t core;
    } cases[] = {
        { "worker", tskNO_AFFINITY },
        { "pinned0", 0 },
        { "pinned1", 1 },
        { "a_name_longer_than_16", tskNO_AFFINITY },
        { NULL, tskNO_AFFINITY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        task_ctx_t ctx = { .waiter = xTaskGetCurrentTaskHandle(), .arg_value = 41 };
        TaskHandle_t h = NULL;
        assert_int_equal(xTaskCreatePinnedToCore(recording_task, cases[i].name, 4096, &ctx, 5,
                                                 &h, cases[i].core), pdPASS);
        assert_non_null(h);
        assert_int_equal(ulTaskNotifyTake(pdTRUE, portMAX_DELAY), 1);
        assert_ptr_equal(ctx.seen_self, h);
        assert_int_equal(ctx.arg_value, 42);
    }
    /* xTaskCreate is the same without a core; the handle pointer may be NULL. */
    task_ctx_t ctx = { .waiter = xTaskGetCurrentTaskHandle() };
    assert_int_equal(xTaskCreate(recording_task, "plain", 2048, &ctx, 1, NULL), pdPASS);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, portMAX_DELAY), 1);
    assert_int_equal(ctx.arg_value, 1);
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

static void test_current_task_and_delay(void **state)
{
    (void)state;
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    assert_non_null(me);
    assert_ptr_equal(me, xTaskGetCurrentTaskHandle());

    int64_t t0 = esp_timer_get_time();
    vTaskDelay(2);
    assert_true(esp_timer_get_time() - t0 >= 2 * portTICK_PERIOD_MS * 1000); /* never less */
    vTaskDelay(0);                                         /* a yield */

    int64_t a = esp_timer_get_time();
    int64_t b = esp_timer_get_time();
    assert_true(a >= 0 && b >= a);
}

/* ---- mutexes ------------------------------------------------------------------------------ */

typedef struct {
    SemaphoreHandle_t sem;
    TickType_t wait;
    BaseType_t take_result;
    BaseType_t give_result;
    TaskHandle_t waiter;
} other_ctx_t;

/* From another task: try to take with a timeout, then try to give. */
static void other_task(void *p)
{
    other_ctx_t *c = p;
    c->take_result = xSemaphoreTake(c->sem, c->wait);
    c->give_result = xSemaphoreGive(c->sem);
    xTaskNotifyGive(c->waiter);
    vTaskDelete(NULL);
}

static void run_other(other_ctx_t *c)
{
    c->waiter = xTaskGetCurrentTaskHandle();
    assert_int_equal(xTaskCreate(other_task, "other", 2048, c, 1, NULL), pdPASS);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, portMAX_DELAY), 1);
}

static void test_mutex(void **state)
{
    (void)state;
    static SemaphoreHandle_t m;
    m = xSemaphoreCreateMutex();
    assert_non_null(m);
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

    assert_int_equal(xTaskNotify(me, 0x5, eSetBits), pdPASS);
    assert_int_equal(xTaskNotify(me, 0x2, eSetBits), pdPASS);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 0), 0x7);
    assert_int_equal(xTaskNotify(me, 10, eSetValueWithoutOverwrite), pdPASS);
    assert_int_equal(xTaskNotify(me, 11, eSetValueWithoutOverwrite), pdFAIL);
    assert_int_equal(xTaskNotify(me, 12, eSetValueWithOverwrite), pdPASS);
    assert_int_equal(ulTaskNotifyTake(pdTRUE, 0), 12);
    assert_int_equal(xTaskGenericNotify(me, 1, 0, eIncrement, NULL), pdFAIL); /* index 1 */
}

/* ---- esp_timer -------------------------------------------------------------------------- */

typedef struct {
    atomic_int calls;
    TaskHandle_t waiter;              /* notified once per call */
} timer_ctx_t;

static void timer_cb(void *arg)
{
    timer_ctx_t *c = arg;
    atomic_fetch_add(&c->calls, 1);
    xTaskNotifyGive(c->waiter);
}

/* A timer the test keeps: c must be static too (the timer is never deleted). */
static esp_timer_handle_t make_timer(timer_ctx_t *c, const char *name)
{
    c->waiter = xTaskGetCurrentTaskHandle();
    const esp_timer_create_args_t args = { .callback = timer_cb, .arg = c, .name = name };
    esp_timer_handle_t t = NULL;
    assert_int_equal(esp_timer_create(&args, &t), ESP_OK);
    return t;
}

static void test_timer_once(void **state)
{
    (void)state;
    static timer_ctx_t c;
    static esp_timer_handle_t t;
    t = make_timer(&c, "once");
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_OK);
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_ERR_INVALID_STATE);   /* running */
    assert_int_equal(ulTaskNotifyTake(pdFALSE, portMAX_DELAY), 1);
    assert_int_equal(ulTaskNotifyTake(pdFALSE, pdMS_TO_TICKS(30)), 0);        /* only once */
    assert_int_equal(atomic_load(&c.calls), 1);
    assert_int_equal(esp_timer_stop(t), ESP_ERR_INVALID_STATE);               /* expired */
    /* Start it again, then stop it before it fires. */
    assert_int_equal(esp_timer_start_once(t, 60 * 1000000ULL), ESP_OK);
    assert_int_equal(esp_timer_stop(t), ESP_OK);
    assert_int_equal(esp_timer_stop(t), ESP_ERR_INVALID_STATE);               /* stopped */
    assert_int_equal(ulTaskNotifyTake(pdFALSE, pdMS_TO_TICKS(30)), 0);
    assert_int_equal(atomic_load(&c.calls), 1);
}

/* Two timers fire in the order of their alarms, on the one dispatcher. */
static void test_timer_order(void **state)
{
    (void)state;
    static timer_ctx_t late, early;
    static esp_timer_handle_t tl, te;
    tl = make_timer(&late, "late");
    te = make_timer(&early, "early");
    assert_int_equal(esp_timer_start_once(tl, 200000), ESP_OK);
    assert_int_equal(esp_timer_start_once(te, 1000), ESP_OK);
    assert_int_equal(ulTaskNotifyTake(pdFALSE, portMAX_DELAY), 1);
    assert_int_equal(atomic_load(&early.calls), 1);
    assert_int_equal(atomic_load(&late.calls), 0);
    assert_int_equal(ulTaskNotifyTake(pdFALSE, portMAX_DELAY), 1);
    assert_int_equal(atomic_load(&late.calls), 1);
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
    assert_int_equal(esp_timer_stop(NULL), ESP_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_task_create),
        cmocka_unit_test(test_task_create_errors),
        cmocka_unit_test(test_current_task_and_delay),
        cmocka_unit_test(test_mutex),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_timer_once),
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
