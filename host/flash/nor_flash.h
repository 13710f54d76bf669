/* Strict NOR flash emulator: a file-backed SPI flash chip with the rules of real NOR.
 *
 * - The chip's contents live in a file mapped into memory (MAP_SHARED), so what is on
 *   "flash" survives the process, like a real chip across resets.
 * - Read anywhere inside the chip.
 * - Erase only whole 4 KiB sectors (sector erase) or 64 KiB blocks (block erase) at
 *   aligned addresses: erased bytes read 0xFF.
 * - Program ANDs data into the cells (bits go 1 -> 0 only). A program that would need a
 *   0 -> 1 transition is refused with NOR_ERR_NOT_ERASED and changes nothing; it is a bug
 *   in the caller (a write over data that was not erased first).
 * - A program is split into page-program operations that never cross a 256-byte page
 *   boundary, as the chip's page program command does.
 * - Every sector erase, block erase and page program is one "operation": counted, timed
 *   with the GD25Q32C typicals, and the unit of the power-cut countdown.
 *
 * Not thread-safe: the owner serialises access.
 */
#ifndef NOR_FLASH_H
#define NOR_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOR_SECTOR_SIZE 0x1000u
#define NOR_BLOCK_SIZE  0x10000u
#define NOR_PAGE_SIZE   0x100u
#define NOR_DEFAULT_SIZE (4u * 1024u * 1024u)

/* GD25Q32C typical timings (datasheet), microseconds. */
#define NOR_T_PAGE_PROGRAM_US  600u    /* page program, up to 256 bytes */
#define NOR_T_SECTOR_ERASE_US  50000u  /* 4 KiB sector erase */
#define NOR_T_BLOCK_ERASE_US   250000u /* 64 KiB block erase */
/* Reads: fast read at 40 MHz on dual I/O, ~10 MB/s effective, 0.1 us per byte. */
#define NOR_T_READ_NS_PER_BYTE 100u

typedef enum {
    NOR_OK = 0,
    NOR_ERR_ARG,         /* NULL pointer or bad size */
    NOR_ERR_RANGE,       /* address range outside the chip */
    NOR_ERR_ALIGN,       /* erase not on a sector/block boundary or not whole sectors */
    NOR_ERR_NOT_ERASED,  /* program needs a 0 -> 1 transition: erase first */
    NOR_ERR_POWER_CUT,   /* power was cut: the operation stopped part-way, chip is dead */
    NOR_ERR_IO,          /* the backing file could not be created, sized or mapped */
} nor_err_t;

typedef enum {
    NOR_CUT_CLEAN, /* the cut falls just before the operation: it does not happen at all */
    NOR_CUT_TORN,  /* the cut falls inside it: a program leaves a prefix of its bytes
                      written, an erase leaves a part of its range erased (whole sectors
                      first, then a prefix of the next sector reads 0xFF) */
} nor_cut_mode_t;

typedef struct {
    uint64_t reads;           /* read calls */
    uint64_t bytes_read;
    uint64_t sector_erases;   /* 4 KiB sector erase operations */
    uint64_t block_erases;    /* 64 KiB block erase operations */
    uint64_t page_programs;   /* page program operations */
    uint64_t bytes_programmed;
    uint64_t ops;             /* sector erases + block erases + page programs */
} nor_stats_t;

typedef struct nor_flash nor_flash_t;

/* Called once when the countdown cuts the power, after the partial effect is on flash
 * and before the failing call returns NOR_ERR_POWER_CUT. A harness may longjmp out of
 * it to unwind the code under test. op_index is the value the countdown was armed with
 * (the cut operation's 1-based index counted from nor_arm_power_cut). When it is called
 * the chip is already dead and disarmed, and the emulator holds no lock or allocation. */
typedef void (*nor_cut_handler_t)(void *ctx, uint64_t op_index);

/* Open the flash file at path. If it does not exist (or create_size differs from its
 * size and truncate is true) it is created with create_size bytes of 0xFF.
 * size 0 means NOR_DEFAULT_SIZE. An existing file keeps its size unless truncate.
 * Size must be a multiple of NOR_BLOCK_SIZE. Returns NULL and sets *err on failure. */
/* Details: an existing empty file counts as missing (is created). err may be NULL.
 * Errors: NOR_ERR_ARG - path NULL, create_size not a multiple of 64 KiB (or > 4 GiB),
 * or an existing file whose size is not (and truncate is false); NOR_ERR_IO - the file
 * could not be opened/created, is not a regular file, or could not be sized or mapped.
 * On either error errno tells why (EINVAL for the size cases), for the caller's
 * message. The returned flash is owned by the caller: release it with nor_close. */
nor_flash_t *nor_open(const char *path, size_t create_size, bool truncate, nor_err_t *err);
/* An anonymous flash in memory (not backed by a file), all 0xFF. size 0 means
 * NOR_DEFAULT_SIZE; else a multiple of NOR_BLOCK_SIZE (NOR_ERR_ARG otherwise);
 * NOR_ERR_IO (errno set) if the memory could not be mapped. Release with nor_close. */
nor_flash_t *nor_open_mem(size_t size, nor_err_t *err);
/* An in-memory clone of src's contents (same size; src may be dead), for a power-cut
 * sweep to restart each run from a snapshot. The clone is powered, disarmed and has
 * zeroed counters. Errors as nor_open_mem (NOR_ERR_ARG if src is NULL). */
nor_flash_t *nor_open_copy(const nor_flash_t *src, nor_err_t *err);
/* Copy src's contents over dst's (a programmer rewriting the whole chip): both must
 * have the same size (else NOR_ERR_ARG, nothing copied). Only contents change: dst's
 * counters, power state (dead or not) and armed countdown stay as they are. Works on a
 * dead dst; dst == src is a no-op. Returns NOR_OK or NOR_ERR_ARG. */
nor_err_t nor_restore(nor_flash_t *dst, const nor_flash_t *src);
/* Flush (msync) and unmap. NULL is accepted. */
void nor_close(nor_flash_t *f);

size_t nor_size(const nor_flash_t *f);
/* The whole chip, read-only, as the cache would map it. Valid until nor_close. */
const uint8_t *nor_map(const nor_flash_t *f);

/* Return codes shared by the calls below (which apply is listed per call):
 *   NOR_ERR_ARG        f or a buffer is NULL (even with len 0);
 *   NOR_ERR_POWER_CUT  the chip is dead (nothing done), or the countdown cut this call;
 *   NOR_ERR_RANGE      [addr, addr+len) is not inside the chip (checked before ALIGN;
 *                      len 0 at addr == size is in range);
 *   NOR_ERR_ALIGN      erase address or length not aligned;
 *   NOR_ERR_NOT_ERASED program needs 0 -> 1.
 * Arguments are checked in that order. A range or alignment error changes nothing; a
 * multi-operation call (program over pages, erase_range) that fails in its k-th
 * operation leaves operations 1..k-1 done, as a real chip does. */
/* Copy len bytes at addr into buf. Counted in reads/bytes_read, never an operation.
 * NOR_ERR_ARG, NOR_ERR_POWER_CUT, NOR_ERR_RANGE. */
nor_err_t nor_read(nor_flash_t *f, uint32_t addr, void *buf, size_t len);
/* Program len bytes at addr (any alignment), split at page boundaries. */
/* Each page op is checked whole before it runs: if any of its bytes needs 0 -> 1 it
 * returns NOR_ERR_NOT_ERASED with that page untouched (earlier pages of this call stay
 * written); a refused page op is not an operation (not counted, no countdown). len 0
 * is a no-op. NOR_ERR_ARG, NOR_ERR_POWER_CUT, NOR_ERR_RANGE, NOR_ERR_NOT_ERASED. */
nor_err_t nor_program(nor_flash_t *f, uint32_t addr, const void *data, size_t len);
/* Erase one 4 KiB sector / one 64 KiB block. addr must be aligned to its size. */
/* NOR_ERR_ARG, NOR_ERR_POWER_CUT, NOR_ERR_RANGE, NOR_ERR_ALIGN. */
nor_err_t nor_erase_sector(nor_flash_t *f, uint32_t addr);
nor_err_t nor_erase_block(nor_flash_t *f, uint32_t addr);
/* Erase [addr, addr+len): both multiples of 4 KiB. Uses a block erase for every 64 KiB
 * aligned whole block inside the range and sector erases for the rest, as
 * esp_flash_erase_region does. len 0 is a no-op. Operations run in address order.
 * NOR_ERR_ARG, NOR_ERR_POWER_CUT, NOR_ERR_RANGE, NOR_ERR_ALIGN. */
nor_err_t nor_erase_range(nor_flash_t *f, uint32_t addr, size_t len);
/* Load raw bytes at addr bypassing the NOR rules and the counters: for building test
 * flash images as a programmer (esptool write_flash) would. Not an operation (no
 * countdown), but refused on a dead chip. NOR_ERR_ARG, NOR_ERR_POWER_CUT,
 * NOR_ERR_RANGE. */
nor_err_t nor_load(nor_flash_t *f, uint32_t addr, const void *data, size_t len);

void nor_stats(const nor_flash_t *f, nor_stats_t *out);
/* on: every erase and page program then takes its typical time (NOR_T_*, in the calling
 * thread), so that a simulated device writes about as fast as a real chip. Off by default. */
void nor_set_timed(nor_flash_t *f, bool on);
void nor_reset_stats(nor_flash_t *f);
/* Projected device time of the counted operations, in microseconds (timing model):
 * page_programs x 600 us + sector_erases x 50 ms + block_erases x 250 ms
 * + bytes_read x 100 ns, the total rounded down to whole microseconds. NULL gives 0.
 * A cut operation (see below) is not counted in the stats. */
uint64_t nor_projected_us(const nor_stats_t *s);

/* Arm the power-cut countdown: the op_index-th operation from now (1-based) is cut in
 * the given mode. 0 disarms. After a cut the chip is dead: every call returns
 * NOR_ERR_POWER_CUT and changes nothing, until nor_power_on(). */
/* Details: counted operations are sector erases, block erases and page programs (not
 * reads, loads or refused programs). The cut operation is not counted in the stats, so
 * a run cut at N shows N-1 more ops. "Every call" means the chip commands (read,
 * program, erase_*, load); nor_map, nor_stats, nor_restore, nor_open_copy and
 * nor_arm_power_cut still work on a dead chip. Re-arming replaces any pending countdown; the
 * countdown fires at most once (disarmed when it fires). A torn cut leaves, for a page
 * program of n >= 2 bytes, its first n/2 bytes programmed; of n == 1 byte, only the
 * 0 bits of the byte's high nibble programmed; for a sector erase its first 2 KiB erased; for a block
 * erase its first 8 sectors and the first 2 KiB of the 9th erased. */
void nor_arm_power_cut(nor_flash_t *f, uint64_t op_index, nor_cut_mode_t mode,
                       nor_cut_handler_t handler, void *ctx);
bool nor_is_dead(const nor_flash_t *f);
/* Power the chip back up after a cut (contents stay as the cut left them). The
 * countdown stays disarmed; counters are kept. */
void nor_power_on(nor_flash_t *f);

/* A static, human-readable message for err that says what to do about it. */
const char *nor_strerror(nor_err_t err);

#endif
