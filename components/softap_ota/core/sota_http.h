/* Small rules of HTTP the handlers need, kept portable so they can be tested alone:
 * which content codings a client accepts (RFC 9110, 12.5.3 Accept-Encoding). */
#ifndef SOTA_HTTP_H
#define SOTA_HTTP_H

#include <stdbool.h>

/* Whether a client whose Accept-Encoding header is `value` (NULL: no such header)
 * accepts a gzip-coded body: "gzip" or "x-gzip", or "*" when gzip is not listed, with a
 * quality above 0. Names are compared without regard to case; parameters other than q
 * are ignored. A missing or empty header is taken as no gzip: plain curl sends none and
 * would print the compressed bytes. */
bool sota_http_accepts_gzip(const char *value);

#endif
