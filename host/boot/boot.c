/* Bootloader simulator (ESP-FORMATS.md 2.1): the choice of ESP-IDF's second-stage
 * bootloader, with its otadata writes, on the emulated flash. See boot.h. */
#include "boot.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

#include "sota_text.h"

#define BOOT_MAX_OTA 16

/* What bootloader_utility_load_partition_table keeps of the table. */
typedef struct {
    const pt_entry_t *factory;
    const pt_entry_t *test;
    const pt_entry_t *ota_info;
    const pt_entry_t *ota[BOOT_MAX_OTA];
    uint32_t app_count; /* every ota_N entry, gaps included */
} boot_layout_t;

typedef struct {
    nor_flash_t *f;
    uint32_t base;
} boot_reader_t;

static int read_slot(void *ctx, uint32_t offset, void *buf, size_t len)
{
    const boot_reader_t *rd = ctx;
    uint64_t end = (uint64_t)rd->base + offset + len;
    if (end > nor_size(rd->f)) {
        return -1;
    }
    return nor_read(rd->f, rd->base + offset, buf, len) == NOR_OK ? 0 : -1;
}

/* The verification with the revision taken as given. */
static sota_img_err_t verify_slot(nor_flash_t *f, const sota_chip_t *chip, uint16_t chip_rev,
                                  uint16_t efuse_blk_rev, uint32_t offset, uint32_t size, sota_img_t *v)
{
    sota_img_params_t p = {
        .chip = chip,
        .chip_rev = chip_rev,
        .efuse_blk_rev = efuse_blk_rev,
        .slot_size = size,
        .slot_offset = offset,
        .flash_size = (uint32_t)nor_size(f),
    };
    boot_reader_t rd = { .f = f, .base = offset };
    return sota_img_verify_from(v, &p, read_slot, &rd);
}

sota_img_err_t boot_verify_partition(nor_flash_t *f, const sota_chip_t *chip, uint16_t chip_rev,
                                     uint32_t offset, uint32_t size, sota_img_t *v)
{
    assert(f && v);
    if (!chip) {
        chip = sota_chip_by_name("esp32");
        assert(chip);
    }
    return verify_slot(f, chip, chip_rev ? chip_rev : chip->default_rev, 0, offset, size, v);
}

/* ---- reason and log ---------------------------------------------------------------- */

static void vlog_line(const boot_opts_t *opts, const char *fmt, va_list ap)
{
    if (!opts->log) {
        return;
    }
    fputs("boot: ", opts->log);
    vfprintf(opts->log, fmt, ap);
    fputc('\n', opts->log);
}

/* Detail for the log only. */
static void log_line(const boot_opts_t *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(const boot_opts_t *opts, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(opts, fmt, ap);
    va_end(ap);
}

/* A step of the decision: appended to r->reason ("; " between steps, "..." when the
 * paragraph is full) and logged. */
static void note(boot_result_t *r, const boot_opts_t *opts, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(boot_result_t *r, const boot_opts_t *opts, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    vlog_line(opts, fmt, ap);
    va_end(ap);

    size_t cap = sizeof r->reason;
    size_t used = strlen(r->reason);
    if (used + 4 < cap) {
        if (used) {
            sota_text_add(r->reason, cap, "; ");
        }
        if (sota_text_vadd(r->reason, cap, fmt, ap2) == cap - 1) {
            strcpy(r->reason + cap - 4, "...");   /* full: the step was (or may be) cut short */
        }
    }
    va_end(ap2);
}

/* The last step (what boots, or that nothing does): always kept whole, earlier steps
 * are cut short with "..." to make room for it. */
static void note_final(boot_result_t *r, const boot_opts_t *opts, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_final(boot_result_t *r, const boot_opts_t *opts, const char *fmt, ...)
{
    char last[sizeof r->reason];
    va_list ap;
    va_start(ap, fmt);
    sota_text_vput(last, sizeof last, fmt, ap);
    va_end(ap);
    log_line(opts, "%s", last);

    size_t cap = sizeof r->reason;
    size_t used = strlen(r->reason);
    size_t need = strlen(last) + (used ? 2 : 0);
    if (used + need >= cap) {
        if (need + 4 <= cap) {
            /* room left for the earlier steps: cap - 1 - need bytes, the last 3 "..." */
            strcpy(r->reason + (cap - 1 - need) - 3, "...");
        } else {
            r->reason[0] = '\0';   /* the last step alone fills the paragraph */
        }
        used = strlen(r->reason);
    }
    sota_text_add(r->reason, cap, "%s%s", used ? "; " : "", last);
}

/* ---- helpers ----------------------------------------------------------------------- */

static const pt_entry_t *index_to_partition(const boot_layout_t *lay, int index)
{
    if (index == BOOT_FACTORY_INDEX) {
        return lay->factory;
    }
    if (index == BOOT_TEST_INDEX) {
        return lay->test;
    }
    if (index >= 0 && index < BOOT_MAX_OTA && (uint32_t)index < lay->app_count) {
        return lay->ota[index];
    }
    return NULL;
}

static void classify(const ptable_t *t, boot_layout_t *lay)
{
    memset(lay, 0, sizeof *lay);
    for (unsigned i = 0; i < t->count; i++) {
        const pt_entry_t *e = &t->e[i];
        if (e->type == PT_TYPE_APP) {
            if (e->subtype == PT_SUBTYPE_FACTORY) {
                lay->factory = e;
            } else if (e->subtype == PT_SUBTYPE_TEST) {
                lay->test = e;
            } else if ((e->subtype & 0xF0u) == PT_SUBTYPE_OTA_0) {
                lay->ota[e->subtype & 0x0Fu] = e;
                lay->app_count++;
            }
        } else if (e->type == PT_TYPE_DATA && e->subtype == PT_SUBTYPE_DATA_OTA) {
            lay->ota_info = e;
        }
    }
}

static bool crc_ok(const otadata_entry_t *e)
{
    return e->crc == otadata_crc(e->ota_seq);
}

static void log_entry(const boot_opts_t *opts, int i, const otadata_entry_t *e)
{
    char buf[12];
    log_line(opts, "otadata[%d] seq %u state %s crc %s%s", i, (unsigned)e->ota_seq,
             otadata_state_name(e->ota_state, buf), crc_ok(e) ? "ok" : "bad",
             e->ota_seq == OTADATA_SEQ_ERASED ? " (erased)" : "");
}

/* Apply one bootloader otadata write: to r->otadata_after always, to flash if asked. */
static bool put_entry(nor_flash_t *f, const boot_opts_t *opts, boot_result_t *r, int idx,
                      const otadata_entry_t *e)
{
    r->otadata_after[idx] = *e;
    if (!opts->write) {
        return true;
    }
    nor_err_t err = otadata_write(f, r->otadata_offset, idx, e);
    if (err != NOR_OK) {
        r->status = BOOT_ERR_FLASH;
        note(r, opts, "writing otadata[%d] at 0x%x failed: %s", idx,
             (unsigned)(r->otadata_offset + (uint32_t)idx * OTADATA_SECTOR), nor_strerror(err));
        return false;
    }
    return true;
}

static const char *desc_text(const sota_app_desc_t *d, char *buf, size_t len)
{
    if (d->magic_word != SOTA_APP_DESC_MAGIC) {
        return "no app description";
    }
    snprintf(buf, len, "project %s version %s", d->project_name, d->version);
    return buf;
}

/* ---- the choice -------------------------------------------------------------------- */

/* Steps 1-6 of ESP-FORMATS.md 2.1: the index to start from, or BOOT_NO_INDEX with
 * r->status set. *initial: ota_has_initial_contents. */
static int select_start(nor_flash_t *f, const boot_opts_t *opts, const boot_layout_t *lay,
                        boot_result_t *r, bool *initial)
{
    char sbuf[12];
    *initial = false;
    if (!lay->ota_info) {
        note(r, opts, "no otadata partition: starting with factory");
        return BOOT_FACTORY_INDEX;
    }
    r->has_otadata = true;
    r->otadata_offset = lay->ota_info->offset;
    if (lay->ota_info->size < OTADATA_SIZE) {
        r->status = BOOT_ERR_NO_APP;
        note(r, opts, "otadata partition '%s' is 0x%x bytes, less than 0x%x: the bootloader "
             "resets and loops; give it 0x2000 bytes in the partition table",
             lay->ota_info->label, (unsigned)lay->ota_info->size, OTADATA_SIZE);
        return BOOT_NO_INDEX;
    }
    nor_err_t err = otadata_read(f, r->otadata_offset, r->otadata_before);
    if (err != NOR_OK) {
        r->status = BOOT_ERR_FLASH;
        note(r, opts, "reading otadata at 0x%x failed: %s", (unsigned)r->otadata_offset,
             nor_strerror(err));
        return BOOT_NO_INDEX;
    }
    memcpy(r->otadata_after, r->otadata_before, sizeof r->otadata_after);
    otadata_entry_t *e = r->otadata_after;
    log_entry(opts, 0, &e[0]);
    log_entry(opts, 1, &e[1]);

    if (opts->rollback_enabled) {
        for (int i = 0; i < 2; i++) {
            if (e[i].ota_state == OTA_STATE_PENDING_VERIFY) {
                otadata_entry_t n = e[i];
                n.ota_state = OTA_STATE_ABORTED;
                log_line(opts, "otadata[%d]: its app never confirmed itself (rollback)", i);
                note(r, opts, "otadata[%d] seq %u state PENDING_VERIFY -> ABORTED", i,
                     (unsigned)n.ota_seq);
                if (!put_entry(f, opts, r, i, &n)) {
                    return BOOT_NO_INDEX;
                }
            }
        }
    }

    if ((otadata_is_invalid(&e[0]) && otadata_is_invalid(&e[1])) || lay->app_count == 0) {
        const char *why = lay->app_count == 0 ? "no OTA app partition"
                                              : "no usable otadata entry (erased, INVALID or ABORTED)";
        if (lay->factory) {
            note(r, opts, "%s: starting with factory", why);
            return BOOT_FACTORY_INDEX;
        }
        note(r, opts, "%s and no factory: trying ota_0 first", why);
        *initial = (e[0].ota_seq == OTADATA_SEQ_ERASED || !crc_ok(&e[0])) &&
                   (e[1].ota_seq == OTADATA_SEQ_ERASED || !crc_ok(&e[1]));
        return 0;
    }

    int a = otadata_active(e);
    if (a < 0) {
        note(r, opts, lay->factory ? "no otadata entry has a good CRC: starting with factory"
                                   : "no otadata entry has a good CRC and no factory: trying "
                                     "every partition");
        return BOOT_FACTORY_INDEX;
    }
    uint32_t slot = otadata_slot(&e[a], lay->app_count);
    const pt_entry_t *p = index_to_partition(lay, (int)slot);
    note(r, opts, "otadata[%d] seq %u state %s is active: slot %u (%s)", a,
         (unsigned)e[a].ota_seq, otadata_state_name(e[a].ota_state, sbuf), (unsigned)slot,
         p ? p->label : "no such partition");
    if (opts->rollback_enabled && e[a].ota_state == OTA_STATE_NEW) {
        otadata_entry_t n = e[a];
        n.ota_state = OTA_STATE_PENDING_VERIFY;
        note(r, opts, "otadata[%d] seq %u state NEW -> PENDING_VERIFY", a, (unsigned)n.ota_seq);
        if (!put_entry(f, opts, r, a, &n)) {
            return BOOT_NO_INDEX;
        }
    }
    return (int)slot;
}

/* bootloader_utility_load_partition_table: the table at opts->table_offset into r->table
 * and *lay, or false with r->status set (nothing boots). */
static bool load_table(nor_flash_t *f, const boot_opts_t *opts, boot_result_t *r, boot_layout_t *lay)
{
    uint32_t toff = opts->table_offset ? opts->table_offset : PT_OFFSET_DEFAULT;
    uint8_t bin[PT_MAX_LEN];
    nor_err_t nerr = nor_read(f, toff, bin, sizeof bin);
    if (nerr == NOR_ERR_RANGE || nerr == NOR_ERR_ARG) {
        r->status = BOOT_ERR_PTABLE;
        note(r, opts, "partition table offset 0x%x is outside the 0x%zx-byte flash: nothing boots",
             (unsigned)toff, nor_size(f));
        return false;
    }
    if (nerr != NOR_OK) {
        r->status = BOOT_ERR_FLASH;
        note(r, opts, "reading the partition table at 0x%x failed: %s", (unsigned)toff,
             nor_strerror(nerr));
        return false;
    }
    char perr[200] = "";
    if (pt_verify_like_bootloader(bin, sizeof bin, (uint32_t)nor_size(f), &r->table, perr,
                                  sizeof perr) != 0) {
        memset(&r->table, 0, sizeof r->table);
        r->status = BOOT_ERR_PTABLE;
        note(r, opts, "partition table at 0x%x rejected: %s; the bootloader stops, nothing "
             "boots: write a valid table (sota ptable CSV -o BIN)", (unsigned)toff, perr);
        return false;
    }
    classify(&r->table, lay);
    log_line(opts, "partition table at 0x%x: %u partitions, %u OTA slot(s), %s factory, %s test, "
             "otadata %s", (unsigned)toff, r->table.count, (unsigned)lay->app_count,
             lay->factory ? "a" : "no", lay->test ? "a" : "no", lay->ota_info ? "present" : "absent");
    return true;
}

/* bootloader_utility_load_boot_image's order of trial: start, start-1 .. 0, factory,
 * start+1 .., test. Returns how many indexes it put in order[]. */
static int boot_order(int start, const boot_layout_t *lay, int order[2 * BOOT_MAX_OTA + 4])
{
    int n = 0;
    for (int i = start; i >= BOOT_FACTORY_INDEX; i--) {
        order[n++] = i;
    }
    for (int i = start + 1; i < (int)lay->app_count && i < BOOT_MAX_OTA; i++) {
        order[n++] = i;
    }
    order[n++] = BOOT_TEST_INDEX;
    return n;
}

/* The reason names the first three partitions that are not bootable; the log has all. */
static void note_not_bootable(boot_result_t *r, const boot_opts_t *opts, const pt_entry_t *p,
                              const sota_img_t *v, sota_img_err_t ierr, int failed)
{
    log_line(opts, "%s at 0x%x: %s", p->label, (unsigned)p->offset, sota_img_message(v));
    if (failed <= 3) {
        note(r, opts, "%s is not bootable (%s)", p->label, sota_img_err_code(ierr));
    } else {
        log_line(opts, "%s is not bootable (%s)", p->label, sota_img_err_code(ierr));
    }
}

/* "N more not bootable": those note_not_bootable logged only. */
static void note_more_failed(boot_result_t *r, const boot_opts_t *opts, int failed)
{
    if (failed > 3) {
        note(r, opts, "%d more not bootable", failed - 3);
    }
}

/* Boot partition p (index idx), whose image v verified, after `failed` partitions that
 * did not: on a first boot without factory (initial) otadata[0] names it first. */
static boot_status_t boot_partition(nor_flash_t *f, const boot_opts_t *opts, boot_result_t *r,
                                    int idx, const pt_entry_t *p, const sota_img_t *v,
                                    bool initial, int failed)
{
    char dbuf[96];
    note_more_failed(r, opts, failed);
    if (idx == BOOT_TEST_INDEX) {
        note(r, opts, "falling back to the test app as the only bootable partition");
    }
    if (idx >= 0 && initial) {
        otadata_entry_t e0 = otadata_make((uint32_t)idx + 1u, OTA_STATE_VALID);
        note(r, opts, "otadata[0] set to seq %u state VALID (first boot without factory)",
             (unsigned)e0.ota_seq);
        if (!put_entry(f, opts, r, 0, &e0)) {
            return r->status;
        }
    }
    r->booted_index = idx;
    snprintf(r->label, sizeof r->label, "%s", p->label);
    r->offset = p->offset;
    r->size = p->size;
    if (v->have_desc) {
        r->desc = v->desc;
    }
    note_final(r, opts, "booting %s (%s) at 0x%x", p->label,
               desc_text(&r->desc, dbuf, sizeof dbuf), (unsigned)p->offset);
    return r->status;
}

/* bootloader_utility_load_boot_image: the first partition in boot_order from start whose
 * image verifies for the chip boots; none, and the bootloader resets and loops. */
static boot_status_t load_boot_image(nor_flash_t *f, const boot_opts_t *opts, const boot_layout_t *lay,
                                     int start, bool initial, boot_result_t *r)
{
    const sota_chip_t *chip = opts->chip ? opts->chip : sota_chip_by_name("esp32");
    assert(chip);
    uint16_t rev = (opts->chip_rev || opts->chip_rev_exact) ? opts->chip_rev : chip->default_rev;
    int order[2 * BOOT_MAX_OTA + 4];
    int n = boot_order(start, lay, order);
    int failed = 0;
    for (int k = 0; k < n; k++) {
        int idx = order[k];
        const pt_entry_t *p = index_to_partition(lay, idx);
        if (!p || p->size == 0) {
            continue;
        }
        sota_img_t v;
        sota_img_err_t ierr = verify_slot(f, chip, rev, opts->efuse_blk_rev, p->offset, p->size, &v);
        if (ierr == SOTA_IMG_OK) {
            return boot_partition(f, opts, r, idx, p, &v, initial, failed);
        }
        if (nor_is_dead(f)) {
            r->status = BOOT_ERR_FLASH;
            note(r, opts, "reading %s at 0x%x failed: the flash is dead (power cut)",
                 p->label, (unsigned)p->offset);
            return r->status;
        }
        note_not_bootable(r, opts, p, &v, ierr, ++failed);
    }
    r->status = BOOT_ERR_NO_APP;
    note_more_failed(r, opts, failed);
    note_final(r, opts, "no bootable app partition: the bootloader resets and loops; flash a valid app");
    return r->status;
}

boot_status_t boot_select(nor_flash_t *f, const boot_opts_t *opts, boot_result_t *r)
{
    static const boot_opts_t defaults;
    assert(f && r);
    if (!opts) {
        opts = &defaults;
    }
    memset(r, 0, sizeof *r);
    r->status = BOOT_OK;
    r->selected_index = BOOT_NO_INDEX;
    r->booted_index = BOOT_NO_INDEX;

    /* partition table */
    boot_layout_t lay;
    if (!load_table(f, opts, r, &lay)) {
        return r->status;
    }
    /* otadata */
    bool initial;
    int start = select_start(f, opts, &lay, r, &initial);
    if (start == BOOT_NO_INDEX) {
        return r->status;
    }
    r->selected_index = start;
    /* the app */
    return load_boot_image(f, opts, &lay, start, initial, r);
}
