/* Host port of ESP-IDF's esp_event.h (components/esp_event): event loops with a queue of
 * posted events and a dispatching task, the default ("system") loop the Wi-Fi and IP
 * events go to, and handler registration.
 *
 * Semantics kept from ESP-IDF:
 *  - esp_event_post copies the data; handlers run later, on the loop's task, one event
 *    at a time, in this order: handlers for any base, then for the event's base with
 *    ESP_EVENT_ANY_ID, then for its base and id; each group in registration order.
 *  - Bases are compared by pointer.
 *  - Handlers may register, unregister and post from inside a handler. A post from the
 *    loop's own task never blocks (a full queue gives ESP_ERR_TIMEOUT at once).
 *  - The legacy esp_event_handler_register keeps one registration per (base, id, function):
 *    registering again replaces the argument. Instances allow duplicates.
 * Host differences: no profiling, no ISR posting, no esp_event_dump. */
#ifndef ESP_EVENT_H_
#define ESP_EVENT_H_

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_event_base.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t queue_size;          /* events the queue holds (> 0) */
    const char *task_name;       /* name of the dispatching task; NULL: no task, the
                                    owner calls esp_event_loop_run */
    UBaseType_t task_priority;   /* ignored on host */
    uint32_t task_stack_size;    /* ignored on host */
    BaseType_t task_core_id;     /* 0, 1 or tskNO_AFFINITY */
} esp_event_loop_args_t;

/* Create a loop. Returns ESP_OK; ESP_ERR_INVALID_ARG if an argument is NULL or
 * queue_size < 1; ESP_ERR_NO_MEM; ESP_FAIL if the task could not be created. */
esp_err_t esp_event_loop_create(const esp_event_loop_args_t *event_loop_args,
                                esp_event_loop_handle_t *event_loop);

/* Delete a loop: its task stops (after the handler it is running returns), queued events
 * are dropped, registrations are freed. Must not be called from the loop's own handlers.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG if event_loop is NULL; ESP_ERR_INVALID_STATE if
 * called from the loop's task (logged). */
esp_err_t esp_event_loop_delete(esp_event_loop_handle_t event_loop);

/* Create the default loop (task "sys_evt", queue of CONFIG_ESP_SYSTEM_EVENT_QUEUE_SIZE).
 * Returns ESP_OK; ESP_ERR_INVALID_STATE if it already exists; else as
 * esp_event_loop_create. */
esp_err_t esp_event_loop_create_default(void);

/* Delete the default loop. ESP_OK, or ESP_ERR_INVALID_STATE if there is none. */
esp_err_t esp_event_loop_delete_default(void);

/* Dispatch events of a loop created without a task, for about ticks_to_run ticks
 * (portMAX_DELAY: for ever). Returns ESP_OK (also when no event came);
 * ESP_ERR_INVALID_ARG if event_loop is NULL. */
esp_err_t esp_event_loop_run(esp_event_loop_handle_t event_loop, TickType_t ticks_to_run);

/* Register event_handler for (event_base, event_id) on the default loop / on event_loop.
 * event_base ESP_EVENT_ANY_BASE requires event_id ESP_EVENT_ANY_ID. The argument is not
 * copied: it must stay valid while registered.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for ANY_BASE with a specific id or a NULL handler;
 * ESP_ERR_NO_MEM; ESP_ERR_INVALID_STATE (default loop only) if it does not exist. */
esp_err_t esp_event_handler_register(esp_event_base_t event_base, int32_t event_id,
                                     esp_event_handler_t event_handler, void *event_handler_arg);
esp_err_t esp_event_handler_register_with(esp_event_loop_handle_t event_loop,
                                          esp_event_base_t event_base, int32_t event_id,
                                          esp_event_handler_t event_handler,
                                          void *event_handler_arg);

/* As the above, but every call adds a registration, identified by *instance (instance may
 * be NULL if it will never be unregistered). Same return codes. */
esp_err_t esp_event_handler_instance_register_with(esp_event_loop_handle_t event_loop,
                                                   esp_event_base_t event_base, int32_t event_id,
                                                   esp_event_handler_t event_handler,
                                                   void *event_handler_arg,
                                                   esp_event_handler_instance_t *instance);
esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler,
                                              void *event_handler_arg,
                                              esp_event_handler_instance_t *instance);

/* Remove the first registration of event_handler made for exactly (event_base, event_id)
 * (wildcards match only the same wildcards). Returns ESP_OK; ESP_ERR_INVALID_ARG for
 * ANY_BASE with a specific id; ESP_ERR_NOT_FOUND if there is no such registration (as
 * ESP-IDF >= 5.1; 5.0 returned ESP_OK); ESP_ERR_INVALID_STATE (default loop only) if it
 * does not exist. */
esp_err_t esp_event_handler_unregister(esp_event_base_t event_base, int32_t event_id,
                                       esp_event_handler_t event_handler);
esp_err_t esp_event_handler_unregister_with(esp_event_loop_handle_t event_loop,
                                            esp_event_base_t event_base, int32_t event_id,
                                            esp_event_handler_t event_handler);

/* Remove the registration instance made for exactly (event_base, event_id). Returns as
 * esp_event_handler_unregister; ESP_ERR_INVALID_ARG also if instance is NULL. */
esp_err_t esp_event_handler_instance_unregister_with(esp_event_loop_handle_t event_loop,
                                                     esp_event_base_t event_base,
                                                     int32_t event_id,
                                                     esp_event_handler_instance_t instance);
esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance);

/* Queue an event: event_data_size bytes at event_data are copied (event_data NULL or
 * size 0: handlers get NULL). Waits up to ticks_to_wait for room in the queue.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for a wildcard base or id; ESP_ERR_TIMEOUT if the
 * queue stayed full; ESP_ERR_NO_MEM; ESP_ERR_INVALID_STATE (default loop only) if it does
 * not exist, or if the loop is being deleted. */
esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data,
                         size_t event_data_size, TickType_t ticks_to_wait);
esp_err_t esp_event_post_to(esp_event_loop_handle_t event_loop, esp_event_base_t event_base,
                            int32_t event_id, const void *event_data, size_t event_data_size,
                            TickType_t ticks_to_wait);

#ifdef __cplusplus
}
#endif

#endif
