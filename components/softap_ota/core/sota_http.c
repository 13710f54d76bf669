/* Small rules of HTTP (see sota_http.h). */
#include "sota_http.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Quality of one list element's parameters ("; q=0.5"): 1000 when absent, else the
 * value in thousandths; malformed values count as 0 (not acceptable). */
static unsigned quality(const char *p, const char *end)
{
    unsigned q = 1000;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi) {
            break;
        }
        p = semi + 1;
        while (p < end && is_space(*p)) {
            p++;
        }
        if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') {
            continue;
        }
        p += 2;
        if (p >= end || (*p != '0' && *p != '1')) {
            return 0;
        }
        q = (unsigned)(*p++ - '0') * 1000;
        if (p < end && *p == '.') {
            unsigned scale = 100;
            for (p++; p < end && *p >= '0' && *p <= '9' && scale; p++, scale /= 10) {
                q += (unsigned)(*p - '0') * scale;
            }
        }
        if (q > 1000) {
            return 0;
        }
    }
    return q;
}

bool sota_http_accepts_gzip(const char *value)
{
    if (!value) {
        return false;
    }
    int gzip = -1, star = -1; /* quality of each, -1: not listed */
    const char *p = value;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end) {
            end = p + strlen(p);
        }
        while (p < end && is_space(*p)) {
            p++;
        }
        const char *name_end = p;
        while (name_end < end && *name_end != ';' && !is_space(*name_end)) {
            name_end++;
        }
        size_t n = (size_t)(name_end - p);
        int q = (int)quality(name_end, end);
        if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 6 && strncasecmp(p, "x-gzip", 6) == 0)) {
            gzip = q > gzip ? q : gzip;
        } else if (n == 1 && *p == '*') {
            star = q;
        }
        p = *end ? end + 1 : end;
    }
    return gzip >= 0 ? gzip > 0 : star > 0;
}
