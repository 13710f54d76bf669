/* Bounded messages and hex digits: see sota_text.h. */
#include "sota_text.h"

#include <stdio.h>
#include <string.h>

size_t sota_text_vput(char *buf, size_t len, const char *fmt, va_list ap)
{
    if (buf == NULL || len == 0) {
        return 0;
    }
    int n = vsnprintf(buf, len, fmt, ap);
    if (n < 0) {
        buf[0] = '\0';  /* an encoding error: no partial text */
        return 0;
    }
    return (size_t)n < len ? (size_t)n : len - 1;
}

size_t sota_text_put(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = sota_text_vput(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

size_t sota_text_vadd(char *buf, size_t len, const char *fmt, va_list ap)
{
    if (buf == NULL || len == 0) {
        return 0;
    }
    const char *nul = memchr(buf, '\0', len);
    if (nul == NULL) {
        buf[len - 1] = '\0';  /* not a string yet: its first len - 1 bytes are kept */
        return len - 1;
    }
    size_t at = (size_t)(nul - buf);
    return at + sota_text_vput(buf + at, len - at, fmt, ap);
}

size_t sota_text_add(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = sota_text_vadd(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

int sota_text_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}
