/* libFuzzer target: the streaming image verifier (core/sota_image.h).
 *
 * Input: byte 0 picks where the rest is split in two pieces (0: all in the second piece,
 * 255: all in the first); bytes 1.. are the image file.
 * For every chip in the table, both as an app slot and at the chip's bootloader offset:
 *  - feed the two pieces and finish: never a crash, a known error code, a message;
 *  - sota_img_verify_from() over the same bytes in an erased slot gives the same verdict;
 *  - finishing twice gives the same verdict; a valid app is complete and fits the slot. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sota_chip.h"
#include "sota_image.h"

#define APP_SLOT_OFFSET 0x10000u
#define APP_SLOT_SIZE   0x20000u
#define BOOT_SLOT_SIZE  0x7000u
/* Small flash: whatever the header claims, finishing reads at most this much. */
#define FLASH_SIZE      0x40000u

typedef struct {
    const uint8_t *data;
    size_t len;
    uint64_t avail;          /* slot bytes before the end of the flash */
} slot_reader_t;

/* The file written at the start of an erased slot. */
static int read_slot(void *ctx, uint32_t offset, void *buf, size_t len)
{
    const slot_reader_t *r = ctx;
    if ((uint64_t)offset + len > r->avail) {
        return -1;
    }
    uint8_t *out = buf;
    for (size_t i = 0; i < len; i++) {
        uint64_t at = (uint64_t)offset + i;
        out[i] = at < r->len ? r->data[at] : 0xFF;
    }
    return 0;
}

static void check_message(const sota_img_t *v, sota_img_err_t err)
{
    FUZZ_CHECK((unsigned)err < SOTA_IMG_ERR__COUNT, "error code %d out of range", (int)err);
    const char *msg = sota_img_message(v);
    FUZZ_CHECK(msg != NULL && msg[0] != '\0', "empty message for %s", sota_img_err_code(err));
    const char *name = sota_img_err_code(err);
    FUZZ_CHECK(name != NULL && name[0] != '\0', "no name for error %d", (int)err);
}

static void run_one(const sota_chip_t *chip, bool boot, const uint8_t *img, size_t len,
                    size_t split)
{
    sota_img_params_t p = {
        .chip = chip,
        .chip_rev = chip->default_rev,
        .efuse_blk_rev = 0,
        .slot_size = boot ? BOOT_SLOT_SIZE : APP_SLOT_SIZE,
        .slot_offset = boot ? chip->bootloader_offset : APP_SLOT_OFFSET,
        .flash_size = FLASH_SIZE,
    };

    /* streamed in two pieces */
    static sota_img_t v;
    sota_img_init(&v, &p);
    sota_img_err_t e1 = sota_img_feed(&v, img, split);
    sota_img_err_t e2 = sota_img_feed(&v, img + split, len - split);
    FUZZ_CHECK(e1 == SOTA_IMG_OK || e2 == e1, "%s: error %s not sticky (then %s)", chip->name,
               sota_img_err_code(e1), sota_img_err_code(e2));
    sota_img_err_t fed = sota_img_finish(&v);
    check_message(&v, fed);
    FUZZ_CHECK(e2 == SOTA_IMG_OK || fed == e2, "%s: feed said %s, finish %s", chip->name,
               sota_img_err_code(e2), sota_img_err_code(fed));
    FUZZ_CHECK(e2 != SOTA_IMG_OK || v.fed == len, "%s: counted %llu bytes fed, gave %zu", chip->name,
               (unsigned long long)v.fed, len);
    sota_img_err_t again = sota_img_finish(&v);
    FUZZ_CHECK(again == fed, "%s: second finish %s, first %s", chip->name,
               sota_img_err_code(again), sota_img_err_code(fed));
    if (fed == SOTA_IMG_OK) {
        FUZZ_CHECK(v.complete && v.have_header, "%s: valid but incomplete", chip->name);
        FUZZ_CHECK(v.image_len <= p.slot_size || boot, "%s: valid image of %u bytes in a %u "
                   "byte slot", chip->name, (unsigned)v.image_len, (unsigned)p.slot_size);
        FUZZ_CHECK(strncmp(v.msg, "valid", 5) == 0, "%s: valid image, message '%s'",
                   chip->name, v.msg);
    }

    /* read back from the slot */
    static sota_img_t w;
    slot_reader_t rd = { .data = img, .len = len, .avail = FLASH_SIZE - p.slot_offset };
    sota_img_err_t read = sota_img_verify_from(&w, &p, read_slot, &rd);
    check_message(&w, read);
    FUZZ_CHECK(read == fed, "%s (%s): streamed verdict %s (%s), from the slot %s (%s)",
               chip->name, boot ? "bootloader offset" : "app slot", sota_img_err_code(fed),
               v.msg, sota_img_err_code(read), w.msg);
    if (read == SOTA_IMG_OK) {
        FUZZ_CHECK(w.image_len == v.image_len, "%s: image length %u streamed, %u from the slot",
                   chip->name, (unsigned)v.image_len, (unsigned)w.image_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size_t len = size - 1;
    /* An exact-size copy: ASan catches a read past the file. */
    uint8_t *img = fuzz_dup(data + 1, len);
    size_t split = (size_t)data[0] * len / 255;

    size_t count = 0;
    const sota_chip_t *chips = sota_chip_list(&count);
    FUZZ_CHECK(chips != NULL && count > 0, "empty chip table");
    for (size_t i = 0; i < count; i++) {
        run_one(&chips[i], false, img, len, split);
        run_one(&chips[i], true, img, len, split);
    }
    free(img);
    return 0;
}
