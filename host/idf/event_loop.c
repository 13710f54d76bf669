/* Host port of esp_event (esp_event.h), the default loop only: a bounded FIFO of posted
 * events (with copied data) and a list of registrations; a dispatching task takes one
 * event at a time and calls the matching handlers under the loop's recursive handler
 * lock, as ESP-IDF does. The loop lives until the program ends. */
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
    pthread_cond_t qitem;         /* an event arrived */
    pthread_cond_t qspace;        /* an event left the queue */
    post_t *head, *tail;
    int32_t count, size;
    /* the registrations */
    pthread_mutex_t hlock;        /* recursive: handlers may (un)register */
    reg_t *regs;
    int depth;                    /* dispatches in progress (nested through the lock) */
    bool any_dead;
    TaskHandle_t task;            /* the dispatching task */
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

/* Take the next event, waiting for one. */
static post_t *dequeue(loop_t *loop)
{
    pthread_mutex_lock(&loop->qlock);
    while (!loop->head) {
        pthread_cond_wait(&loop->qitem, &loop->qlock);
    }
    post_t *p = loop->head;
    loop->head = p->next;
    if (!loop->head) {
        loop->tail = NULL;
    }
    loop->count--;
    pthread_cond_signal(&loop->qspace);
    pthread_mutex_unlock(&loop->qlock);
    return p;
}

static void loop_task(void *arg)
{
    loop_t *loop = arg;
    for (;;) {
        dispatch(loop, dequeue(loop));
    }
}

/* --- the default loop --- */

esp_err_t esp_event_loop_create_default(void)
{
    pthread_mutex_lock(&s_default_lock);
    if (s_default) {
        pthread_mutex_unlock(&s_default_lock);
        return ESP_ERR_INVALID_STATE;
    }
    loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        pthread_mutex_unlock(&s_default_lock);
        return ESP_ERR_NO_MEM;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init(&loop->hlock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0 || pthread_mutex_init(&loop->qlock, NULL) != 0 ||
        rtos_cond_init(&loop->qitem) != 0 || rtos_cond_init(&loop->qspace) != 0) {
        /* Initialisation of these cannot fail on Linux short of memory exhaustion. */
        free(loop);
        pthread_mutex_unlock(&s_default_lock);
        return ESP_ERR_NO_MEM;
    }
    loop->size = CONFIG_ESP_SYSTEM_EVENT_QUEUE_SIZE;
    /* ESP-IDF: priority 20, CONFIG_ESP_SYSTEM_EVENT_TASK_STACK_SIZE, core 0 */
    if (xTaskCreatePinnedToCore(loop_task, "sys_evt", CONFIG_ESP_SYSTEM_EVENT_TASK_STACK_SIZE,
                                loop, 20, &loop->task, 0) != pdPASS) {
        ESP_LOGE(TAG, "cannot create the task of the default event loop");
        pthread_mutex_destroy(&loop->hlock);
        pthread_cond_destroy(&loop->qspace);
        pthread_cond_destroy(&loop->qitem);
        pthread_mutex_destroy(&loop->qlock);
        free(loop);
        pthread_mutex_unlock(&s_default_lock);
        return ESP_FAIL;
    }
    s_default = loop;
    pthread_mutex_unlock(&s_default_lock);
    return ESP_OK;
}

/* The default loop, or NULL. */
static loop_t *default_loop(void)
{
    pthread_mutex_lock(&s_default_lock);
    loop_t *loop = s_default;
    pthread_mutex_unlock(&s_default_lock);
    return loop;
}

/* --- registration --- */

static esp_err_t add_reg(loop_t *loop, esp_event_base_t base, int32_t id,
                         esp_event_handler_t handler, void *arg,
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
    reg_t *n = calloc(1, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&loop->hlock);
        return ESP_ERR_NO_MEM;
    }
    n->base = base;
    n->id = id;
    n->handler = handler;
    n->arg = arg;
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

/* Remove the live registration instance made for exactly (base, id). */
static esp_err_t remove_reg(loop_t *loop, esp_event_base_t base, int32_t id,
                            esp_event_handler_instance_t instance)
{
    if (!instance) {
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
        if (r->dead || (void *)r != instance || r->base != base || r->id != id) {
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

esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler,
                                              void *event_handler_arg,
                                              esp_event_handler_instance_t *instance)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return add_reg(loop, event_base, event_id, event_handler, event_handler_arg, instance);
}

esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    return remove_reg(loop, event_base, event_id, instance);
}

/* --- posting --- */

esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data,
                         size_t event_data_size, TickType_t ticks_to_wait)
{
    loop_t *loop = default_loop();
    if (!loop) {
        return ESP_ERR_INVALID_STATE;
    }
    if (event_base == ESP_EVENT_ANY_BASE || event_id == ESP_EVENT_ANY_ID) {
        return ESP_ERR_INVALID_ARG;
    }
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
    /* A post from the dispatching task itself must not wait for room it would have to
     * make itself. */
    TickType_t ticks = loop->task == xTaskGetCurrentTaskHandle() ? 0 : ticks_to_wait;
    rtos_deadline_t dl = rtos_deadline_ticks(ticks);
    esp_err_t err = ESP_OK;
    while (loop->count >= loop->size) {
        if (ticks == 0 || rtos_cond_wait(&loop->qspace, &loop->qlock, &dl) == ETIMEDOUT) {
            if (loop->count >= loop->size) {
                err = ESP_ERR_TIMEOUT;
                break;
            }
        }
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
