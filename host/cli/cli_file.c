/* Reading whole input files for the `sota` subcommands: see cli_file.h. */
#include "cli_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *cli_read_file(const char *cmd, const char *path, size_t *len)
{
    const int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sota %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap + 1);
    const char *fail = buf ? NULL : "out of memory";
    while (!fail) {
        if (n == cap) {
            if (cap >= CLI_FILE_MAX) {
                fail = "larger than 64 MiB, more than any flash image";
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                fail = "out of memory";
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fail = strerror(errno ? errno : EIO);
            }
            break;
        }
    }
    if (!is_stdin) {
        fclose(f);
    }
    if (fail) {
        fprintf(stderr, "sota %s: cannot read %s: %s\n", cmd, path, fail);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
