/* Host port of ESP-IDF's esp_event_base.h (components/esp_event): event bases, handler
 * types and wildcards. An event base is identified by the address of its string, not by
 * its text: declare it once (ESP_EVENT_DECLARE_BASE in a header) and define it once
 * (ESP_EVENT_DEFINE_BASE in one .c file). */
#ifndef ESP_EVENT_BASE_H_
#define ESP_EVENT_BASE_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_EVENT_DECLARE_BASE(id) extern esp_event_base_t const id
#define ESP_EVENT_DEFINE_BASE(id) esp_event_base_t const id = #id

typedef const char *esp_event_base_t;        /* unique pointer naming a subsystem */
typedef void *esp_event_loop_handle_t;       /* an event loop */
/* Called on the loop's task with the handler argument given at registration, the
 * event's base and id, and a pointer to the loop's copy of the posted data (NULL if none
 * was posted), valid only during the call. */
typedef void (*esp_event_handler_t)(void *event_handler_arg, esp_event_base_t event_base,
                                    int32_t event_id, void *event_data);
typedef void *esp_event_handler_instance_t;  /* identifies one registration */

#define ESP_EVENT_ANY_BASE NULL   /* register for every base */
#define ESP_EVENT_ANY_ID   -1     /* register for every id of a base */

#ifdef __cplusplus
}
#endif

#endif
