/* The counting allocator: see bench_alloc.h. */
#include "bench_alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

#define HDR_MAGIC 0x53b7a11c0c0ffee5ull
#define HDR_LEN   16u /* keeps the 16-byte alignment malloc gives */

typedef struct {
    uint64_t magic;
    uint64_t size;
} hdr_t;

static atomic_size_t s_live;
static atomic_size_t s_peak;

static void count_add(size_t n)
{
    size_t now = atomic_fetch_add(&s_live, n) + n;
    size_t peak = atomic_load(&s_peak);
    while (now > peak && !atomic_compare_exchange_weak(&s_peak, &peak, now)) {
    }
}

static void count_sub(size_t n)
{
    atomic_fetch_sub(&s_live, n);
}

static hdr_t *ours(void *p)
{
    if (p == NULL) {
        return NULL;
    }
    hdr_t *h = (hdr_t *)((uint8_t *)p - HDR_LEN);
    return h->magic == HDR_MAGIC ? h : NULL;
}

static void *finish(hdr_t *h, size_t n)
{
    if (h == NULL) {
        return NULL;
    }
    h->magic = HDR_MAGIC;
    h->size = n;
    count_add(n);
    return (uint8_t *)h + HDR_LEN;
}

void *__wrap_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR_LEN) {
        return NULL;
    }
    return finish(__real_malloc(n + HDR_LEN), n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX - HDR_LEN) / size) {
        return NULL;
    }
    return finish(__real_calloc(1, n * size + HDR_LEN), n * size);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (p == NULL) {
        return __wrap_malloc(n);
    }
    hdr_t *h = ours(p);
    if (h == NULL) {
        return __real_realloc(p, n); /* a library's block: stays uncounted */
    }
    if (n > SIZE_MAX - HDR_LEN) {
        return NULL;
    }
    size_t old = (size_t)h->size;
    hdr_t *nh = __real_realloc(h, n + HDR_LEN);
    if (nh == NULL) {
        return NULL; /* p is still valid and still counted */
    }
    count_sub(old);
    return finish(nh, n);
}

void __wrap_free(void *p)
{
    hdr_t *h = ours(p);
    if (h == NULL) {
        __real_free(p);
        return;
    }
    count_sub((size_t)h->size);
    h->magic = 0;
    __real_free(h);
}

size_t bench_alloc_live(void)
{
    return atomic_load(&s_live);
}

size_t bench_alloc_peak(void)
{
    return atomic_load(&s_peak);
}

void bench_alloc_reset_peak(void)
{
    atomic_store(&s_peak, atomic_load(&s_live));
}

void bench_alloc_hook_cjson(void)
{
    cJSON_Hooks hooks = { .malloc_fn = __wrap_malloc, .free_fn = __wrap_free };
    cJSON_InitHooks(&hooks);
}
