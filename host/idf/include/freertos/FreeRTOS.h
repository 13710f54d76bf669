/* Host port of the FreeRTOS kernel types and constants ESP-IDF exposes through
 * freertos/FreeRTOS.h (FreeRTOSConfig.h, portmacro.h and projdefs.h folded into one).
 * Tasks are pthreads, ticks come from CLOCK_MONOTONIC; names, types and values are
 * ESP-IDF's (v5.0 and later) so device code compiles unchanged.
 *
 * Host differences, all deliberate:
 *  - There is no scheduler: tasks run truly in parallel, priorities and core affinity are
 *    accepted and ignored. Code that relies on priority to serialise tasks is wrong on the
 *    dual-core ESP32 too.
 *  - Stack depths are accepted and ignored (host threads get the default pthread stack,
 *    which sanitizer builds need).
 *  - Nothing here may be called from an interrupt: the host has none. */
#ifndef INC_FREERTOS_H
#define INC_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

#include "sdkconfig.h"

/* --- portmacro.h (Xtensa port; the RISC-V port uses the same widths) --- */
#define portSTACK_TYPE  uint8_t
#define portBASE_TYPE   int

typedef portSTACK_TYPE StackType_t;
typedef portBASE_TYPE BaseType_t;
typedef unsigned portBASE_TYPE UBaseType_t;
typedef uint32_t TickType_t;

/* Block for ever. */
#define portMAX_DELAY ((TickType_t)0xffffffffUL)

/* --- FreeRTOSConfig.h --- */
/* CONFIG_FREERTOS_HZ is 100 by default in ESP-IDF: one tick is 10 ms. */
#define configTICK_RATE_HZ          CONFIG_FREERTOS_HZ
#define configMAX_PRIORITIES        (25)
#define configMAX_TASK_NAME_LEN     CONFIG_FREERTOS_MAX_TASK_NAME_LEN
#define configMINIMAL_STACK_SIZE    (768)
#define configSTACK_DEPTH_TYPE      uint32_t
#define configUSE_16_BIT_TICKS      0
#define configTASK_NOTIFICATION_ARRAY_ENTRIES 1
#define portNUM_PROCESSORS          2

#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)

/* --- projdefs.h --- */
typedef void (*TaskFunction_t)(void *);

#define pdMS_TO_TICKS(xTimeInMs) \
    ((TickType_t)(((TickType_t)(xTimeInMs) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
/* ESP-IDF addition (freertos/idf_additions.h): ticks back to milliseconds. */
#define pdTICKS_TO_MS(xTicks) \
    ((TickType_t)((uint64_t)(xTicks) * 1000 / configTICK_RATE_HZ))

#define pdFALSE ((BaseType_t)0)
#define pdTRUE  ((BaseType_t)1)
#define pdPASS  (pdTRUE)
#define pdFAIL  (pdFALSE)
#define errQUEUE_EMPTY ((BaseType_t)0)
#define errQUEUE_FULL  ((BaseType_t)0)
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (-1)

#endif
