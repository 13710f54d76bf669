/* Who may use the updater over HTTP: Basic authentication with a failure lockout, and
 * the same-origin rule for requests that change state. Portable: the caller passes the
 * header values and the time; nothing here knows HTTP servers or clocks.
 *
 * Basic auth (RFC 7617): the client sends "Authorization: Basic base64(user:password)".
 * The expected value is computed once (sota_auth_init) and compared in constant time
 * with what the client sent, so the time taken does not tell how much of a guess was
 * right. There are no default credentials: authentication is off until a password is
 * set.
 *
 * Lockout: after `free_attempts` wrong credentials in a row, every request is refused
 * (SOTA_AUTH_LOCKED, without looking at its credentials) for `lockout_s` seconds; each
 * further wrong attempt doubles that, up to 16 times lockout_s. Right credentials reset
 * the count. A missing Authorization header is not a failure (browsers ask first without
 * credentials, then show the login prompt).
 *
 * Not thread-safe: call it from one task (the HTTP server's). */
#ifndef SOTA_AUTH_H
#define SOTA_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOTA_AUTH_USER_MAX      32   /* bytes of a user name */
#define SOTA_AUTH_PASSWORD_MIN  8    /* bytes of a password, at least */
#define SOTA_AUTH_PASSWORD_MAX  64   /* bytes of a password, at most */
#define SOTA_AUTH_LOCKOUT_MAX_FACTOR 16u /* the lockout grows up to this many lockout_s */
/* base64 of "user:password" and its NUL */
#define SOTA_AUTH_TOKEN_MAX (((SOTA_AUTH_USER_MAX + 1 + SOTA_AUTH_PASSWORD_MAX) + 2) / 3 * 4 + 1)

typedef enum {
    SOTA_AUTH_CFG_OK = 0,
    SOTA_AUTH_CFG_OFF,            /* no password: authentication off (not an error) */
    SOTA_AUTH_CFG_NO_USER,        /* a password without a user name */
    SOTA_AUTH_CFG_USER_TOO_LONG,  /* user longer than SOTA_AUTH_USER_MAX */
    SOTA_AUTH_CFG_USER_COLON,     /* a ':' in the user name (Basic auth cannot carry it) */
    SOTA_AUTH_CFG_BAD_CHAR,       /* a control character in the user or password */
    SOTA_AUTH_CFG_PASSWORD_SHORT, /* fewer than SOTA_AUTH_PASSWORD_MIN bytes */
    SOTA_AUTH_CFG_PASSWORD_LONG,  /* more than SOTA_AUTH_PASSWORD_MAX bytes */
    SOTA_AUTH_CFG_LIMITS,         /* free_attempts or lockout_s is 0 */
} sota_auth_cfg_err_t;

typedef enum {
    SOTA_AUTH_PASS = 0,   /* authentication off, or right credentials */
    SOTA_AUTH_MISSING,    /* no credentials sent: answer 401 with a challenge */
    SOTA_AUTH_WRONG,      /* wrong credentials (counted): answer 401 */
    SOTA_AUTH_LOCKED,     /* too many failures: answer 429, retry after *retry_after_s */
} sota_auth_verdict_t;

typedef struct {
    bool enabled;
    char token[SOTA_AUTH_TOKEN_MAX];   /* base64("user:password"): a secret */
    size_t token_len;
    uint32_t free_attempts;
    uint32_t lockout_s;
    uint32_t failures;                 /* wrong attempts in a row */
    uint64_t locked_until_ms;          /* refuse everything before this time */
} sota_auth_t;

/* Set up a. user/password NULL or "" password: authentication off (returns
 * SOTA_AUTH_CFG_OFF, a is usable and lets everything through). Otherwise checks the
 * credentials and the limits; on any error a is left disabled. Nothing of the
 * credentials is kept but their encoded form. */
sota_auth_cfg_err_t sota_auth_init(sota_auth_t *a, const char *user, const char *password,
                                   uint32_t free_attempts, uint32_t lockout_s);

/* What is wrong with a configuration, for the log (never contains the credentials). */
const char *sota_auth_strerror(sota_auth_cfg_err_t err);

/* Judge one request. authorization: the Authorization header's value, NULL if absent;
 * truncated: the header was longer than the caller could read (counted as wrong).
 * now_ms: a monotonic clock. *retry_after_s (may be NULL) is set for SOTA_AUTH_LOCKED
 * to the whole seconds left (at least 1). */
sota_auth_verdict_t sota_auth_check(sota_auth_t *a, const char *authorization, bool truncated,
                                    uint64_t now_ms, uint32_t *retry_after_s);

/* Erase the stored token (stop). */
void sota_auth_clear(sota_auth_t *a);

/* Same-origin rule for a request that changes state. host: the Host header (NULL if
 * absent); origin, referer: the Origin and Referer headers (NULL if absent).
 *   - neither Origin nor Referer: allowed (curl and scripts send neither; a browser
 *     always sends Origin with a cross-site POST, so a foreign page cannot get here);
 *   - Origin present: it must be "http://" + Host exactly (case-insensitive, ":80"
 *     optional); "null" (sandboxed frames, file: pages) never matches;
 *   - else Referer must start with "http://" + Host followed by '/', '?', '#' or end;
 *   - and Host must be an IP address ("192.168.4.1", "[::1]", with an optional port) or
 *     "localhost": a DNS name could be rebound to the device by a foreign site.
 * Returns true if allowed. */
bool sota_auth_same_origin(const char *host, const char *origin, const char *referer);

#endif
