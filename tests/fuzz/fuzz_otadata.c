/* libFuzzer target: otadata (host/otadata/otadata.h) and the bootloader's choice
 * (host/boot/boot.h) on an in-memory flash.
 *
 * Input: bytes 0-31 and 32-63 are the two otadata entries (missing bytes read as erased
 * 0xFF), byte 64 options: bit 0 rollback enabled, bits 1-4 which of factory, ota_0,
 * ota_1, ota_2 hold a valid app (else a corrupt one), bit 5 the partition table without
 * a factory app, bit 6 an otadata partition smaller than 0x2000.
 *
 * Codec: decode/encode round-trips every 32 bytes; the selection predicates agree with
 * each other. Boot: boot_select() with write=false leaves the flash untouched, with
 * write=true changes nothing but the otadata sectors, both make the same decision, the
 * entries on flash afterwards are the ones reported, and the app booted is an app
 * partition that verifies. */
#include <stdbool.h>

#include "boot.h"
#include "fuzz_util.h"
#include "imagegen.h"
#include "nor_flash.h"
#include "otadata.h"
#include "ptable.h"

#define FLASH_SIZE  0x100000u
#define OTADATA_OFF 0xD000u
#define APP_SIZE    0x4000u   /* the test apps; slots are 64 KiB */
#define NSLOTS      4         /* factory, ota_0, ota_1, ota_2 */

static const char *const s_csv[4] = {
    /* with factory */
    "nvs,      data, nvs,     0x9000,  0x4000\n"
    "otadata,  data, ota,     0xd000,  0x2000\n"
    "phy_init, data, phy,     0xf000,  0x1000\n"
    "factory,  app,  factory, 0x10000, 64K\n"
    "ota_0,    app,  ota_0,   0x20000, 64K\n"
    "ota_1,    app,  ota_1,   0x30000, 64K\n"
    "ota_2,    app,  ota_2,   0x40000, 64K\n",
    /* without factory */
    "nvs,      data, nvs,     0x9000,  0x4000\n"
    "otadata,  data, ota,     0xd000,  0x2000\n"
    "phy_init, data, phy,     0xf000,  0x1000\n"
    "ota_0,    app,  ota_0,   0x20000, 64K\n"
    "ota_1,    app,  ota_1,   0x30000, 64K\n"
    "ota_2,    app,  ota_2,   0x40000, 64K\n",
    NULL, NULL,
};
static const uint32_t s_slot_off[NSLOTS] = { 0x10000, 0x20000, 0x30000, 0x40000 };

static nor_flash_t *s_flash[4];   /* per table variant, apps valid */
static nor_flash_t *s_work;       /* the flash of one run */
static uint8_t *s_before;         /* snapshot of s_work before boot_select */
static uint8_t s_app[NSLOTS][APP_SIZE], s_bad[NSLOTS][APP_SIZE];

static nor_flash_t *make_flash(const char *csv, bool small_otadata)
{
    char err[256];
    static ptable_t t;
    pt_opts_t o = { .flash_size = FLASH_SIZE };
    if (pt_from_csv(csv, &o, &t, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_otadata: table: %s\n", err);
        abort();
    }
    if (small_otadata) {
        /* the bootloader refuses an otadata partition under 0x2000 bytes */
        for (unsigned i = 0; i < t.count; i++) {
            if (t.e[i].type == PT_TYPE_DATA && t.e[i].subtype == PT_SUBTYPE_DATA_OTA) {
                t.e[i].size = 0x1000;
            }
        }
    }
    uint8_t bin[PT_MAX_LEN];
    if (pt_to_bin(&t, &o, bin, err, sizeof err) != 0) {
        abort();
    }
    nor_flash_t *f = nor_open_mem(FLASH_SIZE, NULL);
    if (!f || nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin) != NOR_OK) {
        abort();
    }
    return f;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < NSLOTS; i++) {
        imagegen_opts_t o;
        imagegen_defaults(&o);
        o.size = APP_SIZE;
        o.seed = (uint64_t)i + 1;
        o.version = i == 0 ? "0.1.0" : "1.0.0";
        uint8_t *img = NULL;
        size_t len = 0;
        if (imagegen_build(&o, &img, &len) != IMAGEGEN_OK || len > APP_SIZE) {
            fprintf(stderr, "fuzz_otadata: imagegen failed\n");
            abort();
        }
        memset(s_app[i], 0xFF, APP_SIZE);
        memcpy(s_app[i], img, len);
        memcpy(s_bad[i], s_app[i], APP_SIZE);
        s_bad[i][len / 2] ^= 0x40;   /* payload byte: checksum and SHA-256 fail */
        free(img);
    }
    s_flash[0] = make_flash(s_csv[0], false);
    s_flash[1] = make_flash(s_csv[1], false);
    s_flash[2] = make_flash(s_csv[0], true);
    s_flash[3] = make_flash(s_csv[1], true);
    s_work = nor_open_mem(FLASH_SIZE, NULL);
    s_before = malloc(FLASH_SIZE);
    if (!s_work || !s_before) {
        abort();
    }
    return 0;
}

static void check_codec(const uint8_t raw[2][OTADATA_ENTRY_LEN])
{
    otadata_entry_t e[2];
    for (int i = 0; i < 2; i++) {
        uint8_t back[OTADATA_ENTRY_LEN];
        otadata_decode(raw[i], &e[i]);
        otadata_encode(&e[i], back);
        FUZZ_CHECK(memcmp(back, raw[i], OTADATA_ENTRY_LEN) == 0, "entry %d: encode(decode) "
                   "differs", i);
        bool valid = otadata_is_valid(&e[i]), invalid = otadata_is_invalid(&e[i]);
        FUZZ_CHECK(!(valid && invalid), "entry %d both valid and invalid", i);
        FUZZ_CHECK(valid == (!invalid && e[i].crc == otadata_crc(e[i].ota_seq)),
                   "entry %d: valid means not invalid and a good CRC", i);
        char buf[12];
        const char *name = otadata_state_name(e[i].ota_state, buf);
        FUZZ_CHECK(name && name[0], "no state name");
        FUZZ_CHECK(otadata_slot(&e[i], 0) == UINT32_MAX, "slot with no OTA partitions");
        for (uint32_t n = 1; n <= 16; n++) {
            FUZZ_CHECK(otadata_slot(&e[i], n) < n, "slot %u of %u", otadata_slot(&e[i], n), n);
        }
        otadata_entry_t m = otadata_make(e[i].ota_seq, e[i].ota_state);
        FUZZ_CHECK(otadata_is_valid(&m) == !otadata_is_invalid(&m), "made entry: crc bad");
    }
    int a = otadata_active(e);
    FUZZ_CHECK(a >= -1 && a <= 1, "active %d", a);
    if (a < 0) {
        FUZZ_CHECK(!otadata_is_valid(&e[0]) && !otadata_is_valid(&e[1]),
                   "a valid entry but none active");
    } else {
        FUZZ_CHECK(otadata_is_valid(&e[a]), "active entry %d not valid", a);
        const otadata_entry_t *o = &e[1 - a];
        FUZZ_CHECK(!otadata_is_valid(o) || o->ota_seq <= e[a].ota_seq,
                   "active seq %u below the other valid seq %u", (unsigned)e[a].ota_seq,
                   (unsigned)o->ota_seq);
    }
}

static void load_run(int variant, unsigned apps, const uint8_t raw[2][OTADATA_ENTRY_LEN])
{
    FUZZ_CHECK(nor_restore(s_work, s_flash[variant]) == NOR_OK, "restore");
    for (int i = 0; i < NSLOTS; i++) {
        const uint8_t *img = (apps >> i) & 1 ? s_app[i] : s_bad[i];
        FUZZ_CHECK(nor_load(s_work, s_slot_off[i], img, APP_SIZE) == NOR_OK, "load app");
    }
    for (int i = 0; i < 2; i++) {
        FUZZ_CHECK(nor_load(s_work, OTADATA_OFF + (uint32_t)i * OTADATA_SECTOR, raw[i],
                            OTADATA_ENTRY_LEN) == NOR_OK, "load otadata");
    }
    nor_reset_stats(s_work);
    memcpy(s_before, nor_map(s_work), FLASH_SIZE);
}

static void check_result(const boot_result_t *r, bool factory)
{
    FUZZ_CHECK(r->reason[0] != '\0', "no reason given");
    FUZZ_CHECK(memchr(r->reason, '\0', sizeof r->reason) != NULL, "reason not terminated");
    FUZZ_CHECK(r->status == BOOT_OK || r->status == BOOT_ERR_NO_APP,
               "status %d on a good table and a powered flash: %s", (int)r->status, r->reason);
    if (r->status != BOOT_OK) {
        return;
    }
    int idx = r->booted_index;
    int slot = idx == BOOT_FACTORY_INDEX ? 0 : idx + 1;
    FUZZ_CHECK(idx >= BOOT_FACTORY_INDEX && idx <= 2 && (factory || idx >= 0),
               "booted index %d (%s)", idx, r->label);
    FUZZ_CHECK(r->offset == s_slot_off[slot], "booted '%s' at 0x%x, index %d", r->label,
               (unsigned)r->offset, idx);
    static sota_img_t v;
    FUZZ_CHECK(boot_verify_partition(s_work, NULL, 0, r->offset, r->size, &v) == SOTA_IMG_OK,
               "booted '%s', which does not verify: %s", r->label, v.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t raw[2][OTADATA_ENTRY_LEN];
    memset(raw, 0xFF, sizeof raw);
    memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
    uint8_t opt = size > sizeof raw ? data[sizeof raw] : 0x1E;
    check_codec((const uint8_t(*)[OTADATA_ENTRY_LEN])raw);

    bool rollback = opt & 1;
    unsigned apps = (opt >> 1) & 15u;
    bool no_factory = (opt >> 5) & 1;
    bool small = (opt >> 6) & 1;
    int variant = (no_factory ? 1 : 0) + (small ? 2 : 0);

    /* decide only */
    static boot_result_t dry, wet;
    load_run(variant, apps, (const uint8_t(*)[OTADATA_ENTRY_LEN])raw);
    boot_opts_t bo = { .rollback_enabled = rollback, .write = false };
    boot_status_t st = boot_select(s_work, &bo, &dry);
    FUZZ_CHECK(st == dry.status, "returned %d, result says %d", (int)st, (int)dry.status);
    check_result(&dry, !no_factory);
    nor_stats_t ns;
    nor_stats(s_work, &ns);
    FUZZ_CHECK(ns.ops == 0 && memcmp(s_before, nor_map(s_work), FLASH_SIZE) == 0,
               "write=false changed the flash (%llu operations)", (unsigned long long)ns.ops);
    if (small) {
        FUZZ_CHECK(st == BOOT_ERR_NO_APP, "otadata of 0x1000 bytes accepted");
    }

    /* and apply the otadata writes */
    load_run(variant, apps, (const uint8_t(*)[OTADATA_ENTRY_LEN])raw);
    bo.write = true;
    st = boot_select(s_work, &bo, &wet);
    check_result(&wet, !no_factory);
    FUZZ_CHECK(wet.status == dry.status && wet.booted_index == dry.booted_index &&
               wet.selected_index == dry.selected_index && strcmp(wet.label, dry.label) == 0,
               "write=true booted %d '%s' (status %d), write=false %d '%s' (status %d)",
               wet.booted_index, wet.label, (int)wet.status, dry.booted_index, dry.label,
               (int)dry.status);
    const uint8_t *now = nor_map(s_work);
    FUZZ_CHECK(memcmp(s_before, now, OTADATA_OFF) == 0 &&
               memcmp(s_before + OTADATA_OFF + OTADATA_SIZE, now + OTADATA_OFF + OTADATA_SIZE,
                      FLASH_SIZE - OTADATA_OFF - OTADATA_SIZE) == 0,
               "the bootloader wrote outside otadata");
    if (wet.has_otadata && !small) {   /* entries read only from a 0x2000-byte otadata */
        FUZZ_CHECK(memcmp(wet.otadata_after, dry.otadata_after, sizeof wet.otadata_after) == 0,
                   "otadata after boot differs between write=true and write=false");
        otadata_entry_t e[2];
        FUZZ_CHECK(otadata_read(s_work, OTADATA_OFF, e) == NOR_OK, "read back");
        FUZZ_CHECK(memcmp(e, wet.otadata_after, sizeof e) == 0,
                   "otadata on flash differs from otadata_after");
        nor_stats(s_work, &ns);
        if (memcmp(wet.otadata_after, wet.otadata_before, sizeof e) == 0) {
            FUZZ_CHECK(ns.ops == 0, "otadata unchanged but %llu flash operations",
                       (unsigned long long)ns.ops);
        }
        /* a rollback boot never leaves a (readable) entry pending from before */
        if (rollback && wet.status == BOOT_OK) {
            for (int i = 0; i < 2; i++) {
                const otadata_entry_t *b = &wet.otadata_before[i];
                bool readable = b->ota_seq != OTADATA_SEQ_ERASED &&
                                b->crc == otadata_crc(b->ota_seq);
                FUZZ_CHECK(!readable || b->ota_state != OTA_STATE_PENDING_VERIFY ||
                           e[i].ota_state == OTA_STATE_ABORTED,
                           "entry %d was PENDING_VERIFY and is %u after a rollback boot", i,
                           (unsigned)e[i].ota_state);
            }
        }
    }
    return 0;
}
