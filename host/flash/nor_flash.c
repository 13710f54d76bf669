/* Strict NOR flash emulator: see nor_flash.h for the contract. */
#include "nor_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct nor_flash {
    uint8_t *mem;               /* the chip, mapped read/write */
    size_t size;
    bool file_backed;           /* MAP_SHARED on a file, else anonymous */
    bool dead;                  /* power was cut, waiting for nor_power_on */
    nor_stats_t stats;
    uint64_t cut_armed;         /* op index the countdown was armed with, 0 = off */
    uint64_t cut_left;          /* operations left until the cut (the cut one included) */
    nor_cut_mode_t cut_mode;
    nor_cut_handler_t cut_handler;
    void *cut_ctx;
    bool timed;                 /* each operation takes its typical time (nor_set_timed) */
};

/* Largest chip addressable with 32-bit addresses. */
#define NOR_MAX_SIZE ((uint64_t)1 << 32)

static void set_err(nor_err_t *err, nor_err_t v)
{
    if (err) {
        *err = v;
    }
}

static bool size_ok(size_t size)
{
    return size > 0 && size % NOR_BLOCK_SIZE == 0 && (uint64_t)size <= NOR_MAX_SIZE;
}

/* [addr, addr+len) inside the chip, without overflow. */
static bool in_range(const nor_flash_t *f, uint32_t addr, size_t len)
{
    return (size_t)addr <= f->size && len <= f->size - (size_t)addr;
}

static nor_flash_t *wrap(uint8_t *mem, size_t size, bool file_backed, nor_err_t *err)
{
    nor_flash_t *f = calloc(1, sizeof(*f));
    if (!f) {
        int e = errno;
        munmap(mem, size);
        errno = e;
        set_err(err, NOR_ERR_IO);
        return NULL;
    }
    f->mem = mem;
    f->size = size;
    f->file_backed = file_backed;
    set_err(err, NOR_OK);
    return f;
}

static uint8_t *map_anon(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Fail nor_open with NOR_ERR_IO, keeping errno of the failed call for the message. */
static nor_flash_t *open_fail(int fd, nor_err_t code, nor_err_t *err)
{
    int e = errno;
    if (fd >= 0) {
        close(fd);
    }
    errno = e;
    set_err(err, code);
    return NULL;
}

nor_flash_t *nor_open(const char *path, size_t create_size, bool truncate, nor_err_t *err)
{
    if (create_size == 0) {
        create_size = NOR_DEFAULT_SIZE;
    }
    if (!path || !size_ok(create_size)) {
        errno = EINVAL;
        return open_fail(-1, NOR_ERR_ARG, err);
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return open_fail(-1, NOR_ERR_IO, err);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return open_fail(fd, NOR_ERR_IO, err);
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return open_fail(fd, NOR_ERR_IO, err);
    }
    size_t cur = (size_t)st.st_size;
    /* An empty file (e.g. from mktemp) is as good as a missing one. */
    bool fresh = cur == 0 || (truncate && cur != create_size);
    size_t size = fresh ? create_size : cur;
    if (!fresh && !size_ok(size)) {
        /* An existing file that cannot be a chip: refuse rather than guess. */
        errno = EINVAL;
        return open_fail(fd, NOR_ERR_ARG, err);
    }
    if (fresh && (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0)) {
        return open_fail(fd, NOR_ERR_IO, err);
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        return open_fail(fd, NOR_ERR_IO, err);
    }
    close(fd); /* the mapping keeps the file open */
    if (fresh) {
        memset(p, 0xFF, size);
    }
    return wrap(p, size, true, err);
}

nor_flash_t *nor_open_mem(size_t size, nor_err_t *err)
{
    if (size == 0) {
        size = NOR_DEFAULT_SIZE;
    }
    if (!size_ok(size)) {
        errno = EINVAL;
        set_err(err, NOR_ERR_ARG);
        return NULL;
    }
    uint8_t *p = map_anon(size);
    if (!p) {
        set_err(err, NOR_ERR_IO);
        return NULL;
    }
    memset(p, 0xFF, size);
    return wrap(p, size, false, err);
}

nor_flash_t *nor_open_copy(const nor_flash_t *src, nor_err_t *err)
{
    if (!src) {
        errno = EINVAL;
        set_err(err, NOR_ERR_ARG);
        return NULL;
    }
    uint8_t *p = map_anon(src->size);
    if (!p) {
        set_err(err, NOR_ERR_IO);
        return NULL;
    }
    memcpy(p, src->mem, src->size);
    return wrap(p, src->size, false, err);
}

nor_err_t nor_restore(nor_flash_t *dst, const nor_flash_t *src)
{
    if (!dst || !src || dst->size != src->size) {
        return NOR_ERR_ARG;
    }
    if (dst != src) {
        memcpy(dst->mem, src->mem, dst->size);
    }
    return NOR_OK;
}

void nor_close(nor_flash_t *f)
{
    if (!f) {
        return;
    }
    if (f->file_backed) {
        (void)msync(f->mem, f->size, MS_SYNC);
    }
    (void)munmap(f->mem, f->size);
    free(f);
}

size_t nor_size(const nor_flash_t *f)
{
    return f ? f->size : 0;
}

const uint8_t *nor_map(const nor_flash_t *f)
{
    return f ? f->mem : NULL;
}

/* ---- power cut ---------------------------------------------------------------- */

/* One more operation is about to happen: true if the countdown cuts it. */
static bool countdown_hits(nor_flash_t *f)
{
    if (f->cut_left == 0) {
        return false;
    }
    return --f->cut_left == 0;
}

/* The cut operation's partial effect is on flash: kill the chip, then tell the
 * harness. Nothing is held across the handler call, so it may longjmp. */
static nor_err_t die(nor_flash_t *f)
{
    uint64_t index = f->cut_armed;
    nor_cut_handler_t handler = f->cut_handler;
    void *ctx = f->cut_ctx;
    f->dead = true;
    f->cut_armed = 0;
    f->cut_left = 0;
    f->cut_handler = NULL;
    f->cut_ctx = NULL;
    if (handler) {
        handler(ctx, index);
    }
    return NOR_ERR_POWER_CUT;
}

void nor_arm_power_cut(nor_flash_t *f, uint64_t op_index, nor_cut_mode_t mode,
                       nor_cut_handler_t handler, void *ctx)
{
    if (!f) {
        return;
    }
    f->cut_armed = op_index;
    f->cut_left = op_index;
    f->cut_mode = mode;
    f->cut_handler = op_index ? handler : NULL;
    f->cut_ctx = op_index ? ctx : NULL;
}

bool nor_is_dead(const nor_flash_t *f)
{
    return f && f->dead;
}

void nor_power_on(nor_flash_t *f)
{
    if (f) {
        f->dead = false;
    }
}

/* ---- operations ----------------------------------------------------------------- */

/* Bytes of an n-byte page program that a torn cut leaves written: about half, at
 * least one, fewer than all (n >= 2). */
static size_t torn_program_len(size_t n)
{
    return n / 2;
}

/* Bytes at the start of an erase of len bytes that a torn cut leaves erased: half
 * the sectors whole, then the first half of the next one. */
static size_t torn_erase_len(size_t len)
{
    size_t sectors = len / NOR_SECTOR_SIZE;
    return (sectors / 2) * NOR_SECTOR_SIZE + NOR_SECTOR_SIZE / 2;
}

/* With nor_set_timed: an operation takes as long as on the chip. */
static void take_time(const nor_flash_t *f, uint32_t us)
{
    if (f->timed) {
        struct timespec t = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };
        while (nanosleep(&t, &t) != 0) {
        }
    }
}

void nor_set_timed(nor_flash_t *f, bool on)
{
    f->timed = on;
}

/* One erase operation over an aligned, in-range region. */
static nor_err_t erase_op(nor_flash_t *f, uint32_t addr, size_t len)
{
    if (countdown_hits(f)) {
        if (f->cut_mode == NOR_CUT_TORN) {
            memset(f->mem + addr, 0xFF, torn_erase_len(len));
        }
        return die(f);
    }
    memset(f->mem + addr, 0xFF, len);
    if (len == NOR_BLOCK_SIZE) {
        f->stats.block_erases++;
        take_time(f, NOR_T_BLOCK_ERASE_US);
    } else {
        f->stats.sector_erases++;
        take_time(f, NOR_T_SECTOR_ERASE_US);
    }
    f->stats.ops++;
    return NOR_OK;
}

/* One page program operation: n >= 1 bytes that do not cross a page boundary. */
static nor_err_t program_op(nor_flash_t *f, uint32_t addr, const uint8_t *src, size_t n)
{
    uint8_t *dst = f->mem + addr;
    for (size_t i = 0; i < n; i++) {
        if ((dst[i] & src[i]) != src[i]) {
            return NOR_ERR_NOT_ERASED; /* refused before the chip sees it: not an op */
        }
    }
    if (countdown_hits(f)) {
        if (f->cut_mode == NOR_CUT_TORN) {
            if (n == 1) {
                dst[0] &= (uint8_t)(src[0] | 0x0Fu); /* half the byte's bits */
            } else {
                size_t k = torn_program_len(n);
                for (size_t i = 0; i < k; i++) {
                    dst[i] &= src[i];
                }
            }
        }
        return die(f);
    }
    for (size_t i = 0; i < n; i++) {
        dst[i] &= src[i];
    }
    f->stats.page_programs++;
    f->stats.bytes_programmed += n;
    take_time(f, NOR_T_PAGE_PROGRAM_US);
    f->stats.ops++;
    return NOR_OK;
}

nor_err_t nor_read(nor_flash_t *f, uint32_t addr, void *buf, size_t len)
{
    if (!f || !buf) {
        return NOR_ERR_ARG;
    }
    if (f->dead) {
        return NOR_ERR_POWER_CUT;
    }
    if (!in_range(f, addr, len)) {
        return NOR_ERR_RANGE;
    }
    memcpy(buf, f->mem + addr, len);
    f->stats.reads++;
    f->stats.bytes_read += len;
    return NOR_OK;
}

nor_err_t nor_program(nor_flash_t *f, uint32_t addr, const void *data, size_t len)
{
    if (!f || !data) {
        return NOR_ERR_ARG;
    }
    if (f->dead) {
        return NOR_ERR_POWER_CUT;
    }
    if (!in_range(f, addr, len)) {
        return NOR_ERR_RANGE;
    }
    const uint8_t *src = data;
    size_t done = 0;
    while (done < len) {
        uint32_t a = addr + (uint32_t)done;
        size_t room = NOR_PAGE_SIZE - (a % NOR_PAGE_SIZE);
        size_t n = len - done < room ? len - done : room;
        nor_err_t rc = program_op(f, a, src + done, n);
        if (rc != NOR_OK) {
            return rc;
        }
        done += n;
    }
    return NOR_OK;
}

/* Common checks of the erase calls: alive, in range, aligned to align. */
static nor_err_t erase_check(const nor_flash_t *f, uint32_t addr, size_t len, size_t align)
{
    if (!f) {
        return NOR_ERR_ARG;
    }
    if (f->dead) {
        return NOR_ERR_POWER_CUT;
    }
    if (!in_range(f, addr, len)) {
        return NOR_ERR_RANGE;
    }
    if (addr % align != 0 || len % align != 0) {
        return NOR_ERR_ALIGN;
    }
    return NOR_OK;
}

nor_err_t nor_erase_sector(nor_flash_t *f, uint32_t addr)
{
    nor_err_t rc = erase_check(f, addr, NOR_SECTOR_SIZE, NOR_SECTOR_SIZE);
    return rc != NOR_OK ? rc : erase_op(f, addr, NOR_SECTOR_SIZE);
}

nor_err_t nor_erase_block(nor_flash_t *f, uint32_t addr)
{
    nor_err_t rc = erase_check(f, addr, NOR_BLOCK_SIZE, NOR_BLOCK_SIZE);
    return rc != NOR_OK ? rc : erase_op(f, addr, NOR_BLOCK_SIZE);
}

nor_err_t nor_erase_range(nor_flash_t *f, uint32_t addr, size_t len)
{
    nor_err_t rc = erase_check(f, addr, len, NOR_SECTOR_SIZE);
    if (rc != NOR_OK) {
        return rc;
    }
    size_t a = addr;
    size_t end = (size_t)addr + len;
    while (a < end) {
        size_t n = (a % NOR_BLOCK_SIZE == 0 && end - a >= NOR_BLOCK_SIZE) ? NOR_BLOCK_SIZE
                                                                         : NOR_SECTOR_SIZE;
        rc = erase_op(f, (uint32_t)a, n);
        if (rc != NOR_OK) {
            return rc;
        }
        a += n;
    }
    return NOR_OK;
}

nor_err_t nor_load(nor_flash_t *f, uint32_t addr, const void *data, size_t len)
{
    if (!f || !data) {
        return NOR_ERR_ARG;
    }
    if (f->dead) {
        return NOR_ERR_POWER_CUT;
    }
    if (!in_range(f, addr, len)) {
        return NOR_ERR_RANGE;
    }
    memcpy(f->mem + addr, data, len);
    return NOR_OK;
}

/* ---- counters and timing -------------------------------------------------------- */

void nor_stats(const nor_flash_t *f, nor_stats_t *out)
{
    if (!out) {
        return;
    }
    if (!f) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = f->stats;
}

void nor_reset_stats(nor_flash_t *f)
{
    if (f) {
        memset(&f->stats, 0, sizeof(f->stats));
    }
}

uint64_t nor_projected_us(const nor_stats_t *s)
{
    if (!s) {
        return 0;
    }
    uint64_t ns = s->page_programs * NOR_T_PAGE_PROGRAM_US * 1000u
                  + s->sector_erases * NOR_T_SECTOR_ERASE_US * 1000u
                  + s->block_erases * NOR_T_BLOCK_ERASE_US * 1000u
                  + s->bytes_read * NOR_T_READ_NS_PER_BYTE;
    return ns / 1000u;
}

const char *nor_strerror(nor_err_t err)
{
    switch (err) {
    case NOR_OK:
        return "ok";
    case NOR_ERR_ARG:
        return "invalid argument: NULL pointer, or a flash size that is not a non-zero "
               "multiple of 64 KiB";
    case NOR_ERR_RANGE:
        return "address range lies outside the flash chip: check the offset and length "
               "against the flash size";
    case NOR_ERR_ALIGN:
        return "erase not aligned: sector erases need 4 KiB and block erases 64 KiB "
               "aligned addresses and lengths";
    case NOR_ERR_NOT_ERASED:
        return "program over data that was not erased (a bit would have to go 0 -> 1): "
               "erase the sector first";
    case NOR_ERR_POWER_CUT:
        return "power was cut (simulated): the flash is unpowered until it is powered on "
               "again";
    case NOR_ERR_IO:
        return "the flash backing file could not be opened, sized or mapped: check the "
               "path, its permissions and free disk space";
    }
    return "unknown flash error";
}
