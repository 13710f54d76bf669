/* Which data partition a filesystem image goes to. The device lists its partitions
 * (sota_fs_part_t, any type); the file's kind (sota_ident) and the label the client
 * named (?partition=LABEL, or none) choose one, or say why none fits:
 *  - no label: the one data partition whose subtype is the kind's (fat 0x81, spiffs
 *    0x82, littlefs 0x83); none -> SOTA_FS_PICK_NONE, several -> SOTA_FS_PICK_SEVERAL
 *    (the reason lists their labels);
 *  - a label: that partition; unknown -> SOTA_FS_PICK_NO_SUCH, another type or subtype
 *    than the file's -> SOTA_FS_PICK_WRONG_TYPE;
 *  - the chosen partition is encrypted or read-only -> SOTA_FS_PICK_UNWRITABLE.
 * Pure: no flash, no state. */
#ifndef SOTA_FS_H
#define SOTA_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sota_ident.h"

#define SOTA_FS_LABEL_LEN 17   /* 16 characters and the NUL, as esp_partition_t.label */
#define SOTA_FS_MAX_PARTS 24   /* partitions the device describes (more are ignored) */

typedef struct {
    char label[SOTA_FS_LABEL_LEN];
    uint8_t type;       /* 0 app, 1 data, other: custom */
    uint8_t subtype;
    uint32_t size;      /* bytes */
    bool encrypted;
    bool readonly;
} sota_fs_part_t;

typedef enum {
    SOTA_FS_PICK_OK = 0,
    SOTA_FS_PICK_NONE,        /* no data partition of the file's subtype */
    SOTA_FS_PICK_SEVERAL,     /* more than one, and no label named */
    SOTA_FS_PICK_NO_SUCH,     /* the label names no partition */
    SOTA_FS_PICK_WRONG_TYPE,  /* the label names a partition of another type or subtype */
    SOTA_FS_PICK_UNWRITABLE,  /* encrypted or read-only */
} sota_fs_pick_t;

/* Choose the partition for a file of kind (a filesystem kind) among parts[0..n).
 * label: what the client named, NULL or "" for none. *index: the chosen entry
 * (SOTA_FS_PICK_OK only). reason/advice (sizes rn, an): what happened and what to do,
 * always written (on success reason names the partition). */
sota_fs_pick_t sota_fs_pick(const sota_fs_part_t *parts, size_t n, sota_file_kind_t kind,
                            const char *label, size_t *index, char *reason, size_t rn,
                            char *advice, size_t an);

/* ESP-IDF's name of a partition's subtype ("littlefs", "nvs", "ota_0", ...) or, for one
 * it does not name, "subtype 0xNN" written to buf. */
const char *sota_fs_subtype_name(uint8_t type, uint8_t subtype, char *buf, size_t n);

#endif
