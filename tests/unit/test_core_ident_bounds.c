/* File identification at the edges of its rules (core/sota_ident.h), each row next to
 * its neighbour on the other side of the edge, and each file also sent through an update
 * session: a file that is not an app for this chip is refused with 415 before the slot
 * sees anything (ESP-IDF's own esp_ota_write refuses all of these but the bootloader on
 * their first byte, which is not 0xE9; the bootloader it would take, the component does
 * not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_kinds.h"
#include "fixture_slot.h"
#include "sota_ident.h"
#include "sota_le.h"

typedef struct {
    const char *name;
    void (*build)(uint8_t *b, size_t len);
    size_t len;
    sota_file_kind_t want;
} row_t;

/* gzip: the two magic bytes and nothing else */
static void b_gzip2(uint8_t *b, size_t len)
{
    (void)len;
    b[0] = 0x1F;
    b[1] = 0x8B;
}

/* A FAT12 boot sector as mkfs.fat writes it, with fats FATs. FatFs (ESP-IDF's FAT
 * driver) mounts only 1 or 2 FATs (ff.c: n_fats must be 1 or 2). */
static void fat_boot(uint8_t *b, uint8_t fats)
{
    memset(b, 0, 512);
    b[0] = 0xEB;
    b[1] = 0x3C;
    b[2] = 0x90;
    memcpy(b + 3, "MSDOS5.0", 8);
    sota_wr16(b + 0x0B, 512);
    b[0x0D] = 1;
    sota_wr16(b + 0x0E, 1);
    b[0x10] = fats;
    memcpy(b + 0x36, "FAT12   ", 8);
    b[510] = 0x55;
    b[511] = 0xAA;
}

static void b_fat3(uint8_t *b, size_t len)
{
    (void)len;
    fat_boot(b, 3);
}

static void b_fat2(uint8_t *b, size_t len)
{
    (void)len;
    fat_boot(b, 2);
}

/* SPIFFS (spiffsgen.py --use-magic --use-magic-len, 256-byte pages): 4 bytes before the
 * end of each block's lookup page, 0x20140529 ^ page ^ (block_count - block). The block
 * count is the file's length / 4 KiB. SPIFFS needs 2 blocks at least (one free block
 * for its garbage collection): a header that claims 1 block is not taken for SPIFFS
 * (it is still refused: it is no app image). */
static void b_spiffs(uint8_t *b, size_t len)
{
    size_t blocks = len / 0x1000;
    memset(b, 0x5A, len);   /* the pages after each lookup page hold data */
    for (size_t k = 0; k < blocks; k++) {
        memset(b + k * 0x1000, 0xFF, 0x100);
        sota_wr16(b + k * 0x1000, 0x0001);   /* object id 1 in the first page */
        sota_wr16(b + k * 0x1000 + 0xFC, (0x20140529u ^ 256u ^ (uint32_t)(blocks - k)) & 0xFFFF);
    }
}

/* An esp32 bootloader (segment 0 loads into RAM, no app description; flash 0x1000) and
 * no partition table: told apart by the file's length alone (sota_ident.h rule 8): up
 * to the table (file offset 0x7000) a bootloader, up to 64 KiB the bootloader part of a
 * web installer, longer a merged flash image. */
static void b_bootloader(uint8_t *b, size_t len)
{
    memset(b, 0x22, len);
    fk_bootloader(b, 0, 0x3FFF0030);
}

static const row_t s_rows[] = {
    { "gzip of 2 bytes", b_gzip2, 2, SOTA_FILE_GZIP },
    { "FAT, 3 FATs", b_fat3, 0x10000, SOTA_FILE_UNKNOWN },
    { "FAT, 2 FATs", b_fat2, 0x10000, SOTA_FILE_FAT },
    { "SPIFFS, 1 block", b_spiffs, 0x1000, SOTA_FILE_UNKNOWN },
    { "SPIFFS, 2 blocks", b_spiffs, 0x2000, SOTA_FILE_SPIFFS },
    { "bootloader, up to the table", b_bootloader, 0x7000, SOTA_FILE_BOOTLOADER },
    { "bootloader, 1 byte into the table", b_bootloader, 0x7001, SOTA_FILE_BOOTLOADER_PART },
    { "bootloader, 64 KiB, no table", b_bootloader, 0x10000, SOTA_FILE_BOOTLOADER_PART },
    { "bootloader, 64 KiB + 1, no table", b_bootloader, 0x10001, SOTA_FILE_MERGED },
};

static void test_rows(void **state)
{
    (void)state;
    const sota_chip_t *esp32 = sota_chip_by_name("esp32");
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        const row_t *r = &s_rows[i];
        uint8_t *b = calloc(1, r->len);
        assert_non_null(b);
        r->build(b, r->len);
        size_t head = r->len < SOTA_IDENT_HEAD_LEN ? r->len : SOTA_IDENT_HEAD_LEN;
        sota_ident_t id;
        sota_ident(b, head, r->len, esp32, &id);
        if (id.kind != r->want) {
            fail_msg("%s: identified as %s ('%s'), want %s", r->name,
                     sota_ident_kind_name(id.kind), id.message, sota_ident_kind_name(r->want));
        }
        /* the upload: refused on its first bytes, the slot untouched */
        fx_slot_t *s = fx_slot_new(0x10000 * 4, 0xFF);
        s->on_early = FX_FAIL;
        sota_update_t *u = malloc(sizeof *u);
        assert_non_null(u);
        sota_update_cfg_t c = fx_slot_cfg(r->len, true);
        c.img.slot_size = s->size;
        sota_update_err_t e = fx_slot_run(u, s, &c, &fx_slot_ops_no_read, b, r->len, 4096);
        if (sota_update_http_status(e) != 415) {
            fail_msg("%s: upload answered %d %s (%s), want 415", r->name,
                     sota_update_http_status(e), sota_update_err_code(e), u->msg);
        }
        assert_int_equal(s->begins + s->erases + s->writes, 0);
        free(u);
        fx_slot_free(s);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
