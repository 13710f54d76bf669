/* Reading whole input files for the `sota` subcommands. */
#ifndef SOTA_CLI_FILE_H
#define SOTA_CLI_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Files larger than this are refused: 64 MiB is more than any flash image. */
#define CLI_FILE_MAX (64u * 1024u * 1024u)

/* Read the whole file at path ("-": standard input) into a malloc'd buffer with a NUL
 * after its last byte (not counted in *len), so text files can be used as strings.
 * On failure prints "sota CMD: <what went wrong with path>" to stderr and returns NULL:
 * the file cannot be opened or read, is larger than CLI_FILE_MAX, or memory ran out. */
uint8_t *cli_read_file(const char *cmd, const char *path, size_t *len);

#endif
