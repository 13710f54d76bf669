/* Command-line options of the `sota` subcommands from one table per command: each row
 * names an option, what kind of value it takes and where that value goes, so a new option
 * is one row and every command reports a missing value, a bad number or an unknown option
 * the same way. */
#ifndef SOTA_CLI_OPTS_H
#define SOTA_CLI_OPTS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    CLI_FLAG,   /* no value: *(bool *)dest = true */
    CLI_STR,    /* *(const char **)dest = the value */
    CLI_LONG,   /* *(long *)dest = the value, a decimal number min..max */
    CLI_FN,     /* fn(cmd, name, value, dest): 0, or 2 after printing why */
} cli_opt_kind_t;

typedef struct {
    const char *name;       /* "--port" */
    cli_opt_kind_t kind;
    void *dest;
    long min, max;          /* CLI_LONG */
    int (*fn)(const char *cmd, const char *name, const char *value, void *dest);
} cli_opt_t;

#define CLI_OPTS_HELP (-1)

/* "sota CMD: <message>", a blank line and the usage, to stderr; returns 2 (the exit
 * status of a command line that cannot be run). */
int cli_usage_error(const char *cmd, void (*usage)(FILE *out), const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse argv[1..argc-1] with the table of n rows: every argument must be an option of the
 * table, followed by its value unless it is a CLI_FLAG. Returns 0; CLI_OPTS_HELP for
 * --help or -h (usage printed to stdout); or 2 after printing "sota CMD: ..." and, for
 * an unknown option or a missing value, the usage to stderr. */
int cli_opts_parse(const char *cmd, const cli_opt_t *opts, size_t n, int argc, char **argv,
                   void (*usage)(FILE *out));

#endif
