/* A counting allocator for the benchmark: sota_bench is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so every allocation made
 * by the code linked into it (the component, core/, the host ESP-IDF port) goes through
 * the __wrap_ functions below, which keep the live and peak byte counts. cJSON (a shared
 * library) is pointed at them with bench_alloc_hook_cjson().
 *
 * Each block carries a 16-byte header (a magic word and the requested size). A pointer
 * without the magic (allocated inside a shared library, e.g. by strdup) is passed to
 * the real free/realloc uncounted. Counters are atomic: any thread may allocate. */
#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H

#include <stddef.h>

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

/* Requested bytes currently allocated (headers not included). */
size_t bench_alloc_live(void);
/* The highest bench_alloc_live() since the last bench_alloc_reset_peak(). */
size_t bench_alloc_peak(void);
/* Start a new peak measurement at the current live count. */
void bench_alloc_reset_peak(void);
/* Route cJSON's allocations through the counting allocator. */
void bench_alloc_hook_cjson(void);

#endif
