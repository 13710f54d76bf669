/* What is this file? Identification of an upload from its first bytes, so that a file
 * that is not an app image for this chip is refused before anything is erased, with a
 * message that says what the file is and which file to upload instead.
 *
 * Every kind has one name, one description and one piece of advice (a table in
 * sota_ident.c); the upload, the pre-check endpoint, `sota image` and the page all show
 * what sota_ident() wrote, so they cannot disagree.
 *
 * Usage: buffer the first SOTA_IDENT_HEAD_LEN bytes of the upload (or the whole file if
 * it is shorter), then
 *     sota_ident_t id;
 *     sota_ident(head, head_len, total_len, chip, &id);
 *     if (id.kind != SOTA_FILE_APP) refuse(id.message);
 *
 * Rules, first match wins (offsets in the file; multi-byte values little-endian):
 *  1. empty: no byte at all.
 *  2. need_more: fewer than min(total, SOTA_IDENT_HEAD_LEN) bytes given (caller error).
 *  3. ELF 7F 45 4C 46; gzip 1F 8B; zip 50 4B 03 04; UF2 "UF2\n" + 0x9E5D5157 at 4;
 *     partition table AA 50; LittleFS "littlefs" at 8 (or at 0x1008, second block).
 *  4. FAT: a boot sector at 0 (jump EB ?? 90 or E9, bytes per sector 512..4096, a power
 *     of two sectors per cluster, reserved sectors >= 1, 1 or 2 FATs, and 55 AA at 510
 *     when visible or "FAT" at 0x36/0x52 when not).
 *  5. ESP8266 firmware: magic EA with 4 segments (esptool's v2 image), or E9 whose bytes
 *     8..11 are a load address of the ESP8266 (where ESP32 images have the WP pin 0xEE)
 *     -> app_other_chip for "esp8266".
 *  6. E9 at 0, an ESP image; chip from the chip id at 12 (le16):
 *     - app: the app description magic 0xABCD5432 at 0x20, or segment 0 (load address
 *       at 24) flash-mapped (DROM/IROM) on that chip, or segment 0 not yet visible.
 *       SOTA_FILE_APP if the chip is this chip, else SOTA_FILE_APP_OTHER_CHIP (also for
 *       an unknown chip id);
 *     - else (segment 0 loads into RAM, no app description) a bootloader, rule 8.
 *  7. 0xFF up to 0x1000 or 0x2000, then E9 with a known chip id: a bootloader there
 *     (rule 8); a FAT boot sector at 0x1000 -> FAT with ESP-IDF's wear levelling.
 *  8. A bootloader at file offset F of a chip whose bootloader sits at flash B: the file
 *     starts at flash A = B - F (0 if F > B), the partition table is at file offset
 *     0x8000 - A. By the file's length: up to the partition table -> bootloader; up to
 *     64 KiB -> bootloader_part (bootloader + partition table, no app: what web
 *     installers flash at A); longer -> merged (the whole flash). Length unknown:
 *     merged, with decide_len 64 KiB.
 *  9. otadata: exactly 8 KiB, each 4 KiB sector an otadata entry (erased, ota_seq with
 *     its CRC, or an ota_seq alone) then 0xFF (Arduino's boot_app0.bin, ESP-IDF's
 *     ota_data_initial.bin).
 * 10. SPIFFS as ESP-IDF, spiffsgen.py and mkspiffs write it (4 KiB blocks, 256/512-byte
 *     pages): the lookup page of block 0 (and block 1 when visible) holds object ids or
 *     0xFF, erased up to its end, and either the magic 0x20140529 ^ page [^ blocks - bix]
 *     4 bytes before the page end or at least one object index id (bit 15 set).
 * Filesystem images (littlefs, spiffs, fat) also get their parameters (out->fs):
 *  - LittleFS: the superblock entry of the metadata block holding "littlefs" (block 0,
 *    else block 1): its first tag (big-endian, XOR 0xFFFFFFFF) is the superblock name
 *    (type 0x0FF, length 8), the next (XOR the first) its inline struct (type 0x201,
 *    at least 24 bytes): disk version (minor, major as le16s), block size, block count.
 *  - SPIFFS: 4 KiB blocks, the page size found, the block count from the length magic
 *    or the file's length.
 *  - FAT: bytes per sector, sectors per cluster, total sectors (le16 at 0x13, else le32
 *    at 0x20), FAT12/16/32 (FAT32 when the le16 at 0x16, sectors per FAT, is 0), and the
 *    volume label (at 0x2B, or 0x47 on FAT32, when the extended boot signature 0x29 is
 *    at 0x26 / 0x42); the boot sector's offset (0x1000 with wear levelling).
 * 11. erased: every byte given is 0xFF.
 * 12. unknown.
 * An app image of this chip may still fail sota_image's checks: ident only says what the
 * file is meant to be. */
#ifndef SOTA_IDENT_H
#define SOTA_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sota_chip.h"

/* Bytes needed to identify any kind: shows an esp32p4/c5 merged image's bootloader
 * header and first segment at 0x2000 and a whole otadata image (8 KiB). */
#define SOTA_IDENT_HEAD_LEN 0x2100u

/* Past this length a file that starts with a bootloader is a whole flash image. */
#define SOTA_IDENT_BOOT_REGION 0x10000u

typedef enum {
    SOTA_FILE_EMPTY = 0,
    SOTA_FILE_APP,            /* app image for this chip: go on and verify it */
    SOTA_FILE_APP_OTHER_CHIP, /* app image for another (or an unknown) chip, or ESP8266 */
    SOTA_FILE_MERGED,         /* whole-flash image: bootloader + partition table + app */
    SOTA_FILE_BOOTLOADER,     /* second-stage bootloader (build/bootloader/bootloader.bin) */
    SOTA_FILE_PTABLE,         /* partition table binary */
    SOTA_FILE_ELF,
    SOTA_FILE_GZIP,
    SOTA_FILE_ZIP,
    SOTA_FILE_UF2,
    SOTA_FILE_LITTLEFS,
    SOTA_FILE_SPIFFS,
    SOTA_FILE_FAT,
    SOTA_FILE_ERASED,         /* all 0xFF */
    SOTA_FILE_UNKNOWN,
    SOTA_FILE_NEED_MORE,      /* caller error: fewer bytes than required */
    SOTA_FILE_BOOTLOADER_PART,/* bootloader + partition table, no app (<= 64 KiB) */
    SOTA_FILE_OTADATA,        /* otadata partition image (boot_app0.bin) */
    SOTA_FILE__COUNT
} sota_file_kind_t;

/* What a filesystem image's head says of the filesystem (sota_ident_t.fs). */
typedef struct {
    bool known;              /* the fields below were read (false: the superblock or boot
                              * sector is damaged; kind is still the filesystem's) */
    uint32_t block_size;     /* littlefs block, SPIFFS block (4096), FAT sector, in bytes */
    uint32_t block_count;    /* blocks (FAT: sectors) of the filesystem; SPIFFS without its
                              * length magic and with an unknown file length: 0 */
    uint32_t page_size;      /* SPIFFS page (256 or 512), else 0 */
    uint16_t version_major;  /* littlefs disk version, else 0 */
    uint16_t version_minor;
    uint32_t offset;         /* file offset the filesystem starts at (FAT behind ESP-IDF's
                              * wear levelling: 0x1000), else 0 */
    uint8_t fat_bits;        /* 12, 16 or 32 (FAT only; from the cluster count) */
    uint32_t cluster_size;   /* FAT: bytes per cluster */
    char label[12];          /* FAT volume label without trailing spaces, "" if none or
                              * "NO NAME" */
    uint64_t size;           /* offset + block_size * block_count: the bytes the filesystem
                              * spans in the file (0: not known) */
} sota_fs_params_t;

typedef struct {
    sota_file_kind_t kind;
    const sota_chip_t *chip;  /* chip of the ESP image found (app, bootloader, merged);
                               * NULL if none, an unknown chip id or an ESP8266 */
    uint16_t chip_id;         /* its chip id as read (valid when offset != UINT32_MAX);
                               * a file that starts with 0xE9 but is shorter than the
                               * 24-byte header has no chip id to read: it is reported
                               * as an app of this_chip (chip and chip_id are this_chip's)
                               * and left to the verifier, which calls it truncated */
    uint32_t offset;          /* file offset of that ESP image header, else UINT32_MAX */
    uint32_t flash_addr;      /* bootloader, bootloader_part, merged: the flash address
                               * the file is written at over USB (the chip's bootloader
                               * offset minus the padding the file starts with) */
    uint32_t decide_len;      /* total_len was 0 and the kind depends on whether the file
                               * is longer than this many bytes: kind is the one for a
                               * longer file. Identify again once the length is known
                               * (or known to exceed it). 0: decided. */
    bool has_desc;            /* app: it carries an app description (project, version) */
    char project[33], version[33];
    sota_fs_params_t fs;      /* littlefs, spiffs, fat: the filesystem's parameters */
    char reason[256];         /* what the file is (the kind's description, filled in) */
    char advice[256];         /* what to do (the kind's advice, filled in) */
    char message[512];        /* reason, a space, advice: never empty */
} sota_ident_t;

/* Identify a file from its first bytes.
 *  head, head_len: the first bytes of the file; head_len must be at least
 *      min(total_len, SOTA_IDENT_HEAD_LEN); more is allowed but never changes the
 *      result (every path sees the same first bytes); fewer gives SOTA_FILE_NEED_MORE.
 *  total_len: the file's length, or 0 if not known yet (then head_len == 0 means empty,
 *      and decide_len may be set).
 *  this_chip: the device's chip (NULL: any known chip counts as this chip).
 *  out: filled in completely; out->message is never empty. */
void sota_ident(const uint8_t *head, size_t head_len, uint64_t total_len,
                const sota_chip_t *this_chip, sota_ident_t *out);

/* Stable short name of a kind: "empty", "app", "app_other_chip", "merged", "bootloader",
 * "bootloader_part", "otadata", "ptable", "elf", "gzip", "zip", "uf2", "littlefs",
 * "spiffs", "fat", "erased", "unknown", "need_more". Never NULL. */
const char *sota_ident_kind_name(sota_file_kind_t kind);

/* True for the filesystem kinds (littlefs, spiffs, fat). */
bool sota_ident_kind_is_fs(sota_file_kind_t kind);

/* The partition subtype ESP-IDF gives a data partition of a filesystem kind: fat 0x81,
 * spiffs 0x82, littlefs 0x83; 0 for any other kind. */
uint8_t sota_ident_fs_subtype(sota_file_kind_t kind);

/* The parameters of a filesystem image in words, for people ("4096-byte blocks, 8 blocks
 * (32 KiB), disk version 2.1"); "its superblock could not be read" when !fs->known. */
void sota_ident_fs_describe(sota_file_kind_t kind, const sota_fs_params_t *fs, char *out, size_t n);

#endif
