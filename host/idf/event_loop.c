/* Host port of esp_event (esp_event.h): per loop, a bounded FIFO of posted events (with
 * copied data) and a list of registrations; a dispatching task (or esp_event_loop_run)
 * takes one event at a time and calls the matching handlers under the loop's recursive
 * handler lock, as ESP-IDF does. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "rtos_internal.h"
#include "sdkconfig.h"

static const char *TAG = "event";

typedef struct reg {
    esp_event_base_t base;        /* NULL: any base */
    int32_t id;                   /* ESP_EVENT_ANY_ID: any id */
    esp_event_handler_t handler;
    void *arg;
    bool legacy;                  /* made by esp_event_handler_register[_with] */
    bool dead;                    /* unregistered during a dispatch: freed afterwards */
    struct reg *next;
} reg_t;

typedef struct post {
    esp_event_base_t base;
    int32_t id;
    void *data;
    struct post *next;
} post_t;

typedef struct {
    /* the queue */
    pthread_mutex_t qlock;
    pthread_cond_t qitem;         /* an event arrived, or the loop stops */
    pthread_cond_t qspace;        /* an event left the queue, or the loop stops */
    pthread_cond_t qexited;       /* the task ended */
    post_t *head, *tail;
    int32_t count, size;
    bool deleting;
    bool task_exited;
    /* the registrations */
    pthread_mutex_t hlock;        /* recursive: handlers may (un)register */
    reg_t *regs;
    int depth;                    /* dispatches in progress (nested through the lock) */
    bool any_dead;
    /* who dispatches */
    TaskHandle_t task;            /* NULL: esp_event_loop_run */
    bool running;                 /* esp_event_loop_run: a thread is dispatching */
    pthread_t runner;
} loop_t;

static pthread_mutex_t s_default_lock = PTHREAD_MUTEX_INITIALIZER;
static loop_t *s_default;

/* --- dispatch --- */

static void call_matching(loop_t *loop, const post_t *p)
{
    /* Three passes: any base, then this base with any id, then this base and id. */
    for (int pass = 0; pass < 3; pass++) {
        for (reg_t *r = loop->regs; r; r = r->next) {
            if (r->dead) {
                continue;
            }
            bool match = pass == 0 ? r->base == NULL
                       : pass == 1 ? r->base == p->base && r->id == ESP_EVENT_ANY_ID
                       : r->base == p->base && r->id == p->id && r->id != ESP_EVENT_ANY_ID;
            if (match) {
                r->handler(r->arg, p->base, p->id, p->data);
            }
        }
    }
}

static void sweep_dead(loop_t *loop)
{
    reg_t **pp = &loop->regs;
    while (*pp) {
        reg_t *r = *pp;
        if (r->dead) {
            *pp = r->next;
            free(r);
        } else {
            pp = &r->next;
        }
    }
    loop->any_dead = false;
}

static void dispatch(loop_t *loop, post_t *p)
{
    pthread_mutex_lock(&loop->hlock);
    loop->depth++;
    call_matching(loop, p);
    loop->depth--;
    if (loop->depth == 0 && loop->any_dead) {
        sweep_dead(loop);
    }
    pthread_mutex_unlock(&loop->hlock);
    free(p->data);
    free(p);
}

/* Take the next event, waiting until dl. NULL on timeout or when the loop stops. */
static post_t *dequeue(loop_t *loop, const rtos_deadline_t *dl)
{
    pthread_mutex_lock(&loop->qlock);
    while (!loop->head && !loop->deleting) {
        if (rtos_cond_wait(&loop->qitem, &loop->qlock, dl) == ETIMEDOUT) {
            break;
        }
    }
    post_t *p = NULL;
    if (loop->head && !loop->deleting) {
        p = loop->head;
        loop->head = p->next;
        if (!loop->head) {
            loop->tail = NULL;
        }
        loop->count--;
        pthread_cond_signal(&loop->qspace);
    }
    pthread_mutex_unlock(&loop->qlock);
    return p;
}

static void loop_task(void *arg)
{
    loop_t *loop = arg;
    rtos_deadline_t forever = { .forever = true };
    post_t *p;
    while ((p = dequeue(loop, &forever)) != NULL) {
        dispatch(loop, p);
    }
    pthread_mutex_lock(&loop->qlock);
    loop->task_exited = true;
    pthread_cond_broadcast(&loop->qexited);
    pthread_mutex_unlock(&loop->qlock);
    vTaskDelete(NULL);
}

esp_err_t esp_event_loop_run(esp_event_loop_handle_t event_loop, TickType_t ticks_to_run)
{
    if (!event_loop) {
        return ESP_ERR_INVALID_ARG;
    }
    loop_t *loop = event_loop;
    rtos_deadline_t dl = rtos_deadline_ticks(ticks_to_run);
    pthread_mutex_lock(&loop->qlock);
    loop->running = true;
    loop->runner = pthread_self();
    pthread_mutex_unlock(&loop->qlock);
    for (;;) {
        post_t *p = dequeue(loop, &dl);
        if (!p) {
            break;
        }
        dispatch(loop, p);
        if (!dl.forever && ticks_to_run == 0) {
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!dl.forever && (now.tv_sec > dl.at.tv_sec ||
                            (now.tv_sec == dl.at.tv_sec && now.tv_nsec >= dl.at.tv_nsec))) {
            break;
        }
    }
    pthread_mutex_lock(&loop->qlock);
    loop->running = false;
    pthread_mutex_unlock(&loop->qlock);
    return ESP_OK;
}

/* --- loops --- */

static void loop_free(loop_t *loop)
{
    while (loop->head) {
        post_t *p = loop->head;
        loop->head = p->next;
        free(p->data);
        free(p);
    }
    while (loop->regs) {
        reg_t *r = loop->regs;
        loop->regs = r->next;
        free(r);
    }
    pthread_mutex_destroy(&loop->hlock);
    pthread_cond_destroy(&loop->qexited);
    pthread_cond_destroy(&loop->qspace);
    pthread_cond_destroy(&loop->qitem);
    pthread_mutex_destroy(&loop->qlock);
    free(loop);
}

esp_err_t esp_event_loop_create(const esp_event_loop_args_t *event_loop_args,
                                esp_event_loop_handle_t *event_loop)
{
    if (!event_loop_args || !event_loop || event_loop_args->queue_size < 1) {
        return ESP_ERR_INVALID_ARG;
    }
    loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        return ESP_ERR_NO_MEM;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init(&loop->hlock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0 || pthread_mutex_init(&loop->qlock, NULL) != 0 ||
        rtos_cond_init(&loop->qitem) != 0 || rtos_cond_init(&loop->qspace) != 0 ||
        rtos_cond_init(&loop->qexited) != 0) {
        /* Initialisation of these cannot fail on Linux short of memory exhaustion. */
        free(loop);
        return ESP_ERR_NO_MEM;
    }
    loop->size = event_loop_args->queue_size;
    if (event_loop_args->task_name) {
        if (xTaskCreatePinnedToCore(loop_task, event_loop_args->task_name,
                                    event_loop_args->task_stack_size, loop,
                                    event_loop_args->task_priority, &loop->task,
                                    event_loop_args->task_core_id) != pdPASS) {
            ESP_LOGE(TAG, "cannot create the task of event loop \"%s\"",
                     event_loop_args->task_name);
            loop_free(loop);
            return ESP_FAIL;
        }
    }
    *event_loop = loop;
    return ESP_OK;
}

esp_err_t esp_event_loop_delete(esp_event_loop_handle_t event_loop)
{
    if (!event_loop) {
        return ESP_ERR_INVALID_ARG;
    }
    loop_t *loop = event_loop;
    if (loop->task && loop->task == xTaskGetCurrentTaskHandle()) {
        ESP_LOGE(TAG, "esp_event_loop_delete called from a handler of the loop being deleted");
        return ESP_ERR_INVALID_STATE;
    }
    pthread_mutex_lock(&loop->qlock);
    loop->deleting = true;
    pthread_cond_broadcast(&loop->qitem);
    pthread_cond_broadcast(&loop->qspace);
    while (loop->task && !loop->task_exited) {
        rtos_deadline_t forever = { .forever = true };
        rtos_cond_wait(&loop->qexited, &loop->qlock, &forever);
    }
    pthread_mutex_unlock(&loop->qlock);
    loop_free(loop);
    return ESP_OK;
}

esp_err_t esp_event_loop_create_default(void)
{
    pthread_mutex_lock(&s_default_lock);
    if (s_default) {
        pthread_mutex_unlock(&s_default_lock);
        return ESP_ERR_INVALID_STATE;
    }
    esp_event_loop_args_t args = {
        .queue_size = CONFIG_ESP_SYSTEM_EVENT_QUEUE_SIZE,
        .task_name = "sys_evt",
        .task_priority = 20,
        .task_stack_size = CONFIG_ESP_SYSTEM_EVENT_TASK_STACK_SIZE,
        .task_core_id = 0,
    };
    esp_event_loop_handle_t loop;
    esp_err_t err = esp_event_loop_create(&args, &loop);
    if (err == ESP_OK) {
        s_default = loop;
    }
    pthread_mutex_unlock(&s_default_lock);
    return err;
}

esp_err_t esp_event_loop_delete_default(void)
{
    pthread_mutex_lock(&s_default_lock);
    loop_t *loop = s_default;
    if (!loop) {
        pthread_mutex_unlock(&s_default_lock);
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t err = esp_event_loop_delete(loop);
    if (err == ESP_OK) {
        s_default = NULL;
    }
    pthread_mutex_unlock(&s_default_lock);
    return err;
}

/* The default loop, or NULL. Registration and posting on it race with its deletion in
 * ESP-IDF too; the application must not delete it while using it. */
static loop_t *default_loop(void)
{
    pthread_mutex_lock(&s_default_lock);
    loop_t *loop = s_default;
    pthread_mutex_unlock(&s_default_lock);
    return loop;
}

/* --- registration --- */

static esp_err_t add_reg(loop_t *loop, esp_event_base_t base, int32_t id,
                         esp_event_handler_t handler, void *arg, bool legacy,
                         esp_event_handler_instance_t *instance)
{
    if (!loop || !handler) {
        return ESP_ERR_INVALID_ARG;
    }
    if (base == ESP_EVENT_ANY_BASE && id != ESP_EVENT_ANY_ID) {
        ESP_LOGE(TAG, "registering for any event base with a specific id is not supported");
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&loop->hlock);
    if (legacy) {
        for (reg_t *r = loop->regs; r; r = r->next) {
            if (!r->dead && r->base == base && r->id == id && r->handler == handler) {
                r->arg = arg;
                pthread_mutex_unlock(&loop->hlock);
                ESP_LOGW(TAG, "handler already registered, overwriting its argument");
                return ESP_OK;
            }
        }
    }
    reg_t *n = calloc(1, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&loop->hlock);
        return ESP_ERR_NO_MEM;
    }
    n->base = base;
    n->id = id;
    n->handler = handler;
    n->arg = arg;
    n->legacy = legacy;
    reg_t **pp = &loop->regs;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = n;
    if (instance) {
        *instance = n;
    }
    pthread_mutex_unlock(&loop->hlock);
    return ESP_OK;
}

/* Remove the first live registration for exactly (base, id) that is instance (if given)
 * or has handler. */
static esp_err_t remove_reg(loop_t *loop, esp_event_base_t base, int32_t id,
                            esp_event_handler_t handler, esp_event_handler_instance_t instance)
{
    if (!loop) {
        return ESP_ERR_INVALID_ARG;
    }
    if (base == ESP_EVENT_ANY_BASE && id != ESP_EVENT_ANY_ID) {
        ESP_LOGE(TAG, "unregistering from any event base with a specific id is not supported");
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = ESP_ERR_NOT_FOUND;
    pthread_mutex_lock(&loop->hlock);
    for (reg_t **pp = &loop->regs; *pp; pp = &(*pp)->next) {
        reg_t *r = *pp;
        bool same = instance ? (void *)r == instance : r->handler == handler;
        if (r->dead || !same || r->base != base || r->id != id) {
            continue;
        }
        if (loop->depth > 0) {
            /* A handler of this loop is running (on this thread): free it afterwards. */
            r->dead = true;
            loop->any_dead = true;
        } else {
            *pp = r->next;
            free(r);
        }
        err = ESP_OK;
        break;
    }
    pthread_mutex_unlock(&loop->hlock);
    return err;
}

esp_err_t esp_event_handler_register_with(esp_event_loop_handle_t event_loop,
                                          esp_event_base_t event_base, int32_t event_id,
                                          esp_event_handler_t event_handler,
                                          void *event_handler_arg)
{
    return add_reg(event_loop, event_base, event_id, event_handler, event_handler_arg, true, NULL);
}

esp_err_t esp_event_handler_instance_register_with(esp_event_loop_handle_t event_loop,
                                                   esp_event_base_t event_base, int32_t event_id,
                                                   esp_event_handler_t event_handler,
                                                   void *event_handler_arg,
                                                   esp_event_handler_instance_t *instance)
{
    return add_reg(event_loop, event_base, event_id, event_handler, event_handler_arg, false,
                   instance);
}

esp_err_t esp_event_handler_unregister_with(esp_event_loop_handle_t event_loop,
                                            esp_event_base_t event_base, int32_t event_id,
                                            esp_event_handler_t event_handler)
{
    if (!event_handler) {
        return ESP_ERR_INVALID_ARG;
    }
    return remove_reg(event_loop, event_base, event_id, event_handler, NULL);
}

esp_err_t esp_event_handler_instance_unregister_with(esp_event_loop_handle_t event_loop,
                                                     esp_event_base_t event_base,
                                                     int32_t event_id,
                                                     esp_event_handler_instance_t instance)
{
    if (!instance) {
        return ESP_ERR_INVALID_ARG;
    }
    return remove_reg(event_loop, event_base, event_id, NULL, instance);
}

esp_err_t esp_event_handler_register(esp_event_base_t event_base, int32_t event_id,
                                     esp_event_handler_t event_handler, void *event_handler_arg)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return esp_event_handler_register_with(loop, event_base, event_id, event_handler,
                                           event_handler_arg);
}

esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler,
                                              void *event_handler_arg,
                                              esp_event_handler_instance_t *instance)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return esp_event_handler_instance_register_with(loop, event_base, event_id, event_handler,
                                                    event_handler_arg, instance);
}

esp_err_t esp_event_handler_unregister(esp_event_base_t event_base, int32_t event_id,
                                       esp_event_handler_t event_handler)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return esp_event_handler_unregister_with(loop, event_base, event_id, event_handler);
}

esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return esp_event_handler_instance_unregister_with(loop, event_base, event_id, instance);
}

/* --- posting --- */

esp_err_t esp_event_post_to(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                            int32_t event_id, const void *event_data, size_t event_data_size,
                            TickType_t ticks_to_wait)
{
    if (!event_loop) {
        return ESP_ERR_INVALID_ARG;
    }
    if (event_base == ESP_EVENT_ANY_BASE || event_id == ESP_EVENT_ANY_ID) {
        return ESP_ERR_INVALID_ARG;
    }
    loop_t *loop = event_loop;
    post_t *p = calloc(1, sizeof(*p));
    if (!p) {
        return ESP_ERR_NO_MEM;
    }
    p->base = event_base;
    p->id = event_id;
    if (event_data && event_data_size) {
        p->data = malloc(event_data_size);
        if (!p->data) {
            free(p);
            return ESP_ERR_NO_MEM;
        }
        memcpy(p->data, event_data, event_data_size);
    }

    pthread_mutex_lock(&loop->qlock);
    /* A post from the dispatching thread itself must not wait for room it would have to
     * make itself. */
    bool own = (loop->task && loop->task == xTaskGetCurrentTaskHandle()) ||
               (loop->running && pthread_equal(loop->runner, pthread_self()));
    TickType_t ticks = own ? 0 : ticks_to_wait;
    rtos_deadline_t dl = rtos_deadline_ticks(ticks);
    esp_err_t err = ESP_OK;
    while (!loop->deleting && loop->count >= loop->size) {
        if (ticks == 0 || rtos_cond_wait(&loop->qspace, &loop->qlock, &dl) == ETIMEDOUT) {
            if (loop->count >= loop->size) {
                err = ESP_ERR_TIMEOUT;
                break;
            }
        }
    }
    if (err == ESP_OK && loop->deleting) {
        err = ESP_ERR_INVALID_STATE;
    }
    if (err == ESP_OK) {
        if (loop->tail) {
            loop->tail->next = p;
        } else {
            loop->head = p;
        }
        loop->tail = p;
        loop->count++;
        pthread_cond_signal(&loop->qitem);
    }
    pthread_mutex_unlock(&loop->qlock);
    if (err != ESP_OK) {
        free(p->data);
        free(p);
    }
    return err;
}

esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data,
                         size_t event_data_size, TickType_t ticks_to_wait)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return esp_event_post_to(loop, event_base, event_id, event_data, event_data_size,
                             ticks_to_wait);
}
