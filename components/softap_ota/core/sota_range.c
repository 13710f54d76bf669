/* Content-Range and the head digest of a resumed upload: see sota_range.h. */
#include "sota_range.h"

#include <string.h>

#define RANGE_MAX_TOTAL 0x100000000ull /* larger than any app slot */

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* Decimal digits up to `stop` (consumed), or up to the end when stop is '\0' (trailing
 * blanks allowed); at most 12 digits, no sign. */
static bool number(const char **pp, char stop, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > 12) {
            return false;
        }
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (!stop) {
        p = skip_blanks(p);
    }
    if (n == 0 || *p != stop) {
        return false;
    }
    *pp = p + (stop ? 1 : 0);
    *out = v;
    return true;
}

bool sota_range_parse(const char *value, sota_range_t *r)
{
    if (!value) {
        return false;
    }
    const char *p = skip_blanks(value);
    if (strncmp(p, "bytes ", 6) != 0) {
        return false;
    }
    p = skip_blanks(p + 6);
    uint64_t first, last, total;
    if (!number(&p, '-', &first) || !number(&p, '/', &last) || !number(&p, '\0', &total)) {
        return false;
    }
    if (first > last || last >= total || total > RANGE_MAX_TOTAL) {
        return false;
    }
    r->first = first;
    r->last = last;
    r->total = total;
    return true;
}
