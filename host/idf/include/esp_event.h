/* Host port of ESP-IDF's esp_event.h (components/esp_event), the part the component
 * uses: the default ("system") event loop the Wi-Fi and IP events go to, with a queue of
 * posted events and a dispatching task, and handler registration by instance.
 *
 * Semantics kept from ESP-IDF:
 *  - esp_event_post copies the data; handlers run later, on the loop's task, one event
 *    at a time, in this order: handlers for any base, then for the event's base with
 *    ESP_EVENT_ANY_ID, then for its base and id; each group in registration order.
 *  - Bases are compared by pointer.
 *  - Handlers may register, unregister and post from inside a handler. A post from the
 *    loop's own task never blocks (a full queue gives ESP_ERR_TIMEOUT at once).
 *  - Every registration is an instance: registering the same handler twice calls it twice.
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

/* Create the default loop (task "sys_evt", queue of CONFIG_ESP_SYSTEM_EVENT_QUEUE_SIZE).
 * It is never deleted. Returns ESP_OK; ESP_ERR_INVALID_STATE if it already exists;
 * ESP_ERR_NO_MEM; ESP_FAIL if its task could not be created. */
esp_err_t esp_event_loop_create_default(void);

/* Call event_handler(event_handler_arg, base, id, data) for events of event_base
 * (ESP_EVENT_ANY_BASE: every base, then event_id must be ESP_EVENT_ANY_ID) and event_id
 * (ESP_EVENT_ANY_ID: every id) posted to the default loop. Every call adds a
 * registration, identified by *instance (instance may be NULL if it will never be
 * unregistered). Returns ESP_OK; ESP_ERR_INVALID_STATE if the default loop does not
 * exist; ESP_ERR_INVALID_ARG for a NULL handler or any base with a specific id;
 * ESP_ERR_NO_MEM. */
esp_err_t esp_event_handler_instance_register(esp_event_base_t event_base, int32_t event_id,
                                              esp_event_handler_t event_handler,
                                              void *event_handler_arg,
                                              esp_event_handler_instance_t *instance);

/* Remove the registration instance made for exactly (event_base, event_id); from inside
 * a handler too. Returns ESP_OK; ESP_ERR_NOT_FOUND; ESP_ERR_INVALID_STATE if the default
 * loop does not exist; ESP_ERR_INVALID_ARG if instance is NULL or for any base with a
 * specific id. */
esp_err_t esp_event_handler_instance_unregister(esp_event_base_t event_base, int32_t event_id,
                                                esp_event_handler_instance_t instance);

/* Queue an event: event_data_size bytes at event_data are copied (event_data NULL or
 * size 0: handlers get NULL). Waits up to ticks_to_wait for room in the queue.
 * Returns ESP_OK; ESP_ERR_INVALID_ARG for a wildcard base or id; ESP_ERR_TIMEOUT if the
 * queue stayed full; ESP_ERR_NO_MEM; ESP_ERR_INVALID_STATE if the default loop does not
 * exist. */
esp_err_t esp_event_post(esp_event_base_t event_base, int32_t event_id, const void *event_data,
                         size_t event_data_size, TickType_t ticks_to_wait);

#ifdef __cplusplus
}
#endif

#endif
