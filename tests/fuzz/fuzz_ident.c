/* libFuzzer target: file identification (core/sota_ident.h).
 *
 * Input: byte 0 picks how total_len is told (unknown, exact, larger by the u16 in bytes
 * 3-4, or huge), bytes 1-2 (u16) a head_len of their own; bytes 5.. are the file.
 * Each file is identified with several (head_len, total_len) pairs: the whole file, the
 * first SOTA_IDENT_HEAD_LEN bytes, one byte less than needed, total unknown, and the pair
 * from the input; each for every chip in the table and for "any chip" (NULL). Checked:
 * a known kind and a message, the empty / need_more rules, the ESP image header the
 * result points at, and that only app-vs-other-chip depends on the device's chip. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_util.h"
#include "sota_chip.h"
#include "sota_ident.h"

#define HEADER_LEN 5

static bool is_app_kind(sota_file_kind_t k)
{
    return k == SOTA_FILE_APP || k == SOTA_FILE_APP_OTHER_CHIP;
}

static void check_result(const uint8_t *head, size_t head_len, uint64_t total,
                         const sota_chip_t *this_chip, const sota_ident_t *id)
{
    const char *who = this_chip ? this_chip->name : "any chip";
    FUZZ_CHECK((unsigned)id->kind < SOTA_FILE__COUNT, "kind %d out of range", (int)id->kind);
    const char *name = sota_ident_kind_name(id->kind);
    FUZZ_CHECK(name && name[0], "kind %d has no name", (int)id->kind);
    FUZZ_CHECK(memchr(id->message, '\0', sizeof id->message) != NULL, "message not terminated");
    FUZZ_CHECK(id->message[0] != '\0', "%s: empty message for %s", who, name);

    FUZZ_CHECK(id->decide_len == 0 || total == 0, "%s: %s waits for a length it was given", who, name);
    FUZZ_CHECK(strstr(id->message, id->reason) == id->message && id->advice[0] != '\0',
               "%s: %s: the message is not its reason and advice", who, name);
    if (head_len == 0 && total == 0) {
        FUZZ_CHECK(id->kind == SOTA_FILE_EMPTY, "no bytes, total unknown: %s, not empty", name);
        return;
    }
    uint64_t need = (total != 0 && total < SOTA_IDENT_HEAD_LEN) ? total : SOTA_IDENT_HEAD_LEN;
    FUZZ_CHECK((id->kind == SOTA_FILE_NEED_MORE) == (head_len < need),
               "%s: %zu of %llu bytes (need %llu) gave %s", who, head_len,
               (unsigned long long)total, (unsigned long long)need, name);

    /* An E9 file shorter than an image header (and no other kind) is taken as a truncated
     * app of this chip (the verifier then names what is wrong): no chip id is read. */
    if (id->kind == SOTA_FILE_APP && head_len > 0 && head_len < 24 && head[0] == 0xE9) {
        FUZZ_CHECK(id->chip == this_chip && id->offset == 0,
                   "%s: %zu-byte file starting with E9: app for %s at 0x%x", who, head_len,
                   id->chip ? id->chip->name : "no chip", (unsigned)id->offset);
        return;
    }
    if (id->offset != UINT32_MAX) {
        FUZZ_CHECK(id->offset < head_len && head[id->offset] == 0xE9,
                   "%s: %s points at an ESP image header at 0x%x that is not there", who,
                   name, (unsigned)id->offset);
        if ((size_t)id->offset + 14 <= head_len) {
            uint16_t cid = (uint16_t)(head[id->offset + 12] | head[id->offset + 13] << 8);
            FUZZ_CHECK(cid == id->chip_id, "%s: chip id %u reported, %u in the header", who,
                       (unsigned)id->chip_id, (unsigned)cid);
        }
    }
    switch (id->kind) {
    case SOTA_FILE_APP:
        FUZZ_CHECK(id->chip != NULL && id->offset == 0, "%s: app without chip or not at 0", who);
        FUZZ_CHECK(this_chip == NULL || id->chip == this_chip,
                   "%s: app for %s counted as this chip's", who, id->chip->name);
        break;
    case SOTA_FILE_APP_OTHER_CHIP:
        FUZZ_CHECK(id->offset == 0 || (id->offset == UINT32_MAX && head[0] == 0xEA),
                   "%s: app image not at 0 (nor an ESP8266 v2 image)", who);
        FUZZ_CHECK(id->chip == NULL || id->chip != this_chip,
                   "%s: app for this chip counted as another chip's", who);
        FUZZ_CHECK(this_chip != NULL || id->chip == NULL,
                   "any chip: app for known chip %s counted as another chip's", id->chip->name);
        break;
    case SOTA_FILE_MERGED:
    case SOTA_FILE_BOOTLOADER:
    case SOTA_FILE_BOOTLOADER_PART:
        FUZZ_CHECK(id->offset != UINT32_MAX, "%s: %s without the image offset", who, name);
        break;
    default:
        break;
    }
}

static void ident_all(const uint8_t *file, size_t head_len, uint64_t total)
{
    /* exact-size copy of the head so that ASan sees a read past head_len */
    uint8_t *head = fuzz_dup(file, head_len);
    static sota_ident_t any, one;
    sota_ident(head, head_len, total, NULL, &any);
    check_result(head, head_len, total, NULL, &any);

    size_t count = 0;
    const sota_chip_t *chips = sota_chip_list(&count);
    for (size_t i = 0; i < count; i++) {
        const sota_chip_t *c = &chips[i];
        sota_ident(head, head_len, total, c, &one);
        check_result(head, head_len, total, c, &one);
        if (any.kind == SOTA_FILE_APP && any.chip == NULL) {
            FUZZ_CHECK(one.kind == SOTA_FILE_APP, "truncated header: app for any chip, %s on "
                       "%s", sota_ident_kind_name(one.kind), c->name);
        } else if (is_app_kind(any.kind)) {
            FUZZ_CHECK(is_app_kind(one.kind), "any chip: %s, %s: %s", sota_ident_kind_name(any.kind),
                       c->name, sota_ident_kind_name(one.kind));
            bool mine = any.chip == c;
            FUZZ_CHECK(one.kind == (mine ? SOTA_FILE_APP : SOTA_FILE_APP_OTHER_CHIP),
                       "app with chip id %u on %s: %s", (unsigned)any.chip_id, c->name,
                       sota_ident_kind_name(one.kind));
        } else {
            FUZZ_CHECK(one.kind == any.kind, "any chip: %s, %s: %s (only app kinds depend on "
                       "the device's chip)", sota_ident_kind_name(any.kind), c->name,
                       sota_ident_kind_name(one.kind));
        }
        FUZZ_CHECK(one.offset == any.offset, "image offset 0x%x for any chip, 0x%x on %s",
                   (unsigned)any.offset, (unsigned)one.offset, c->name);
    }
    free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = { data, size };
    uint8_t mode = fuzz_u8(&in);
    uint16_t hl = fuzz_u16(&in);
    uint16_t extra = fuzz_u16(&in);
    const uint8_t *file = in.p;
    size_t n = in.n;
    size_t min = n < SOTA_IDENT_HEAD_LEN ? n : SOTA_IDENT_HEAD_LEN;

    ident_all(file, n, n);
    ident_all(file, min, n);
    /* bytes past the head never change the answer: every path sees the same first bytes */
    static sota_ident_t whole, first;
    sota_ident(file, n, n, NULL, &whole);
    sota_ident(file, min, n, NULL, &first);
    FUZZ_CHECK(whole.kind == first.kind && whole.flash_addr == first.flash_addr,
               "%zu bytes: %s from the whole file, %s from the first %zu", n,
               sota_ident_kind_name(whole.kind), sota_ident_kind_name(first.kind), min);
    if (min > 0) {
        ident_all(file, min - 1, n);
    }
    ident_all(file, n, 0);

    uint64_t total;
    switch (mode & 3) {
    case 0: total = 0; break;
    case 1: total = n; break;
    case 2: total = (uint64_t)n + extra; break;
    default: total = UINT64_MAX - extra; break;
    }
    ident_all(file, (size_t)hl % (n + 1), total);
    return 0;
}
