/* Which data partition a filesystem image goes to: see sota_fs.h. */
#include "sota_fs.h"

#include <stdio.h>
#include <string.h>

const char *sota_fs_subtype_name(uint8_t type, uint8_t subtype, char *buf, size_t n)
{
    static const char *const data[] = { "ota", "phy", "nvs", "coredump", "nvs_keys", "efuse",
                                         "undefined" };
    if (type == 1 && subtype < sizeof data / sizeof data[0]) {
        return data[subtype];
    }
    if (type == 1 && subtype >= 0x80 && subtype <= 0x83) {
        static const char *const fs[] = { "esphttpd", "fat", "spiffs", "littlefs" };
        return fs[subtype - 0x80];
    }
    if (type == 0 && subtype == 0) {
        return "factory";
    }
    if (type == 0 && subtype >= 0x10 && subtype < 0x20) {
        snprintf(buf, n, "ota_%u", (unsigned)(subtype - 0x10));
        return buf;
    }
    snprintf(buf, n, "%s subtype 0x%02x", type == 0 ? "app" : type == 1 ? "data" : "custom",
             (unsigned)subtype);
    return buf;
}

/* "a, b and c" of the labels of every data partition of subtype sub. */
static size_t list_of(const sota_fs_part_t *parts, size_t n, uint8_t sub, char *out, size_t on)
{
    size_t count = 0, o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (parts[i].type == 1 && parts[i].subtype == sub) {
            count++;
        }
    }
    size_t seen = 0;
    for (size_t i = 0; i < n && o + 1 < on; i++) {
        if (parts[i].type != 1 || parts[i].subtype != sub) {
            continue;
        }
        seen++;
        const char *sep = seen == 1 ? "" : seen == count ? " and " : ", ";
        int w = snprintf(out + o, on - o, "%s%.16s", sep, parts[i].label);
        if (w < 0) {
            break;
        }
        o += (size_t)w < on - o ? (size_t)w : on - o - 1;
    }
    return count;
}

sota_fs_pick_t sota_fs_pick(const sota_fs_part_t *parts, size_t n, sota_file_kind_t kind,
                            const char *label, size_t *index, char *reason, size_t rn,
                            char *advice, size_t an)
{
    uint8_t sub = sota_ident_fs_subtype(kind);
    const char *kname = sota_ident_kind_name(kind);
    char labels[160], nb[32];
    size_t count = list_of(parts, n, sub, labels, sizeof labels);
    size_t at = n;
    if (label != NULL && label[0] != '\0') {
        for (size_t i = 0; i < n; i++) {
            if (strncmp(parts[i].label, label, SOTA_FS_LABEL_LEN) == 0) {
                at = i;
                break;
            }
        }
        if (at == n) {
            snprintf(reason, rn, "There is no partition \"%.40s\" on this device.", label);
            if (count) {
                snprintf(advice, an, "Name %s %s partition%s (%s) with ?partition=LABEL.",
                         count > 1 ? "one of its" : "its", kname, count > 1 ? "s" : "", labels);
            } else {
                snprintf(advice, an, "This device has no %s data partition; add one to the "
                         "partition table and flash that over USB.", kname);
            }
            return SOTA_FS_PICK_NO_SUCH;
        }
        if (parts[at].type != 1 || parts[at].subtype != sub) {
            snprintf(reason, rn, "Partition \"%.16s\" is %s %s partition, but the file is a %s "
                     "image.", parts[at].label, parts[at].type == 1 ? "a data" : "an app",
                     sota_fs_subtype_name(parts[at].type, parts[at].subtype, nb, sizeof nb), kname);
            if (count) {
                snprintf(advice, an, "Name a %s partition (%s), or upload an image for \"%.16s\".",
                         kname, labels, parts[at].label);
            } else {
                snprintf(advice, an, "This device has no %s data partition: upload an image of "
                         "the filesystem partition \"%.16s\" holds.", kname, parts[at].label);
            }
            return SOTA_FS_PICK_WRONG_TYPE;
        }
    } else if (count == 0) {
        snprintf(reason, rn, "This device has no %s data partition (subtype 0x%02x) to write it to.",
                 kname, (unsigned)sub);
        snprintf(advice, an, "Add one to the partition table and flash that over USB, or upload "
                 "an app image.");
        return SOTA_FS_PICK_NONE;
    } else if (count > 1) {
        snprintf(reason, rn, "This device has %u %s partitions (%s) and the upload does not say "
                 "which one to write.", (unsigned)count, kname, labels);
        snprintf(advice, an, "Name one: POST /update?partition=LABEL (the page asks).");
        return SOTA_FS_PICK_SEVERAL;
    } else {
        for (at = 0; at < n && !(parts[at].type == 1 && parts[at].subtype == sub); at++) {
        }
    }
    if (parts[at].encrypted || parts[at].readonly) {
        snprintf(reason, rn, "Partition \"%.16s\" is %s: it cannot be written over the air.",
                 parts[at].label, parts[at].encrypted ? "encrypted" : "read-only");
        snprintf(advice, an, "Write it over USB (esptool or parttool.py).");
        return SOTA_FS_PICK_UNWRITABLE;
    }
    *index = at;
    snprintf(reason, rn, "It goes to the %s partition \"%.16s\" (%u KiB).", kname, parts[at].label,
             (unsigned)(parts[at].size / 1024));
    advice[0] = '\0';
    return SOTA_FS_PICK_OK;
}
