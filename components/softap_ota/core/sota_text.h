/* Small text helpers shared by core/ and host/: the one way a module writes a message
 * for people into a fixed buffer (bounded, always NUL-terminated, cut short rather than
 * overflowed), and the one hex-digit parser. */
#ifndef SOTA_TEXT_H
#define SOTA_TEXT_H

#include <stdarg.h>
#include <stddef.h>

/* Write fmt into buf of len bytes, replacing what was there. Nothing is written when
 * buf is NULL or len is 0. Returns the length of the text now in buf (less than what
 * fmt wanted when it was cut short). */
size_t sota_text_put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t sota_text_vput(char *buf, size_t len, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* The same, after the text already in buf (appended, cut short at the end of buf). */
size_t sota_text_add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t sota_text_vadd(char *buf, size_t len, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other character. */
int sota_text_hex(char c);

#endif
