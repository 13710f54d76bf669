/* mkkinds DIR: writes one file of every kind of tests/unit/fixture_kinds.h into DIR, and
 * DIR/kinds.tsv: file, kind, HTTP status of an upload to an esp32 with 1 MiB slots, and a
 * piece of the reason, tab-separated (for test_file_kinds.sh). Exit 0 or 1. */
#include <stdio.h>
#include <string.h>

#include "fixture_kinds.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkkinds DIR\n");
        return 2;
    }
    fk_file_t files[FK_MAX];
    size_t n = fk_build(files);
    if (n == 0) {
        fprintf(stderr, "mkkinds: could not build the files\n");
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/kinds.tsv", argv[1]);
    FILE *tsv = fopen(path, "w");
    int rc = tsv ? 0 : 1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[1], files[i].file);
        FILE *out = fopen(path, "wb");
        if (!out || fwrite(files[i].b, 1, files[i].len, out) != files[i].len) {
            rc = 1;
        }
        if (out && fclose(out) != 0) {
            rc = 1;
        }
        fprintf(tsv, "%s\t%s\t%d\t%s\n", files[i].file, files[i].kind, files[i].status, files[i].says);
    }
    if (tsv && fclose(tsv) != 0) {
        rc = 1;
    }
    if (rc) {
        fprintf(stderr, "mkkinds: writing into %s failed\n", argv[1]);
    }
    fk_free(files, n);
    return rc;
}
