/* Content-Range of a resumed upload (POST /update, raw body): "bytes N-M/T", the body
 * is bytes N..M (inclusive) of a T-byte file. Parsed strictly: decimal digits only, no
 * sign, no "*" forms. (The head digest, X-Sota-Head-SHA256, is 64 hex digits:
 * sota_sig_key_from_hex parses it.) */
#ifndef SOTA_RANGE_H
#define SOTA_RANGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t first;   /* N */
    uint64_t last;    /* M, >= N */
    uint64_t total;   /* T, > M */
} sota_range_t;

/* Parse a Content-Range value. Optional spaces and tabs around it are allowed. Returns
 * true and fills *r for "bytes N-M/T" with N <= M < T <= 2^32; false otherwise (r
 * unchanged). */
bool sota_range_parse(const char *value, sota_range_t *r);

#endif
