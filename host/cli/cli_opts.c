/* One option parser for the `sota` subcommands (cli_opts.h). */
#include "cli_opts.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, void (*usage)(FILE *out), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sota %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return 2;
}

static const cli_opt_t *find(const cli_opt_t *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(opts[i].name, name)) {
            return &opts[i];
        }
    }
    return NULL;
}

static int set_long(const char *cmd, const cli_opt_t *o, const char *v)
{
    char *end;
    long val = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || val < o->min || val > o->max) {
        fprintf(stderr, "sota %s: %s %s: expected a number %ld..%ld\n", cmd, o->name, v, o->min, o->max);
        return 2;
    }
    *(long *)o->dest = val;
    return 0;
}

int cli_opts_parse(const char *cmd, const cli_opt_t *opts, size_t n, int argc, char **argv,
                   void (*usage)(FILE *out))
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OPTS_HELP;
        }
        const cli_opt_t *o = find(opts, n, a);
        if (!o) {
            return cli_usage_error(cmd, usage, "unknown option '%s'", a);
        }
        if (o->kind == CLI_FLAG) {
            *(bool *)o->dest = true;
            continue;
        }
        if (i + 1 >= argc) {
            return cli_usage_error(cmd, usage, "%s needs a value", a);
        }
        const char *v = argv[++i];
        int rc = 0;
        switch (o->kind) {
        case CLI_STR:
            *(const char **)o->dest = v;
            break;
        case CLI_LONG:
            rc = set_long(cmd, o, v);
            break;
        case CLI_FN:
            rc = o->fn(cmd, a, v, o->dest);
            break;
        case CLI_FLAG:
            break;
        }
        if (rc) {
            return rc;
        }
    }
    return 0;
}
