/* HTTP authentication and the same-origin rule: see sota_auth.h. */
#include "sota_auth.h"

#include <string.h>

#include "sota_text.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; out must hold 4 * ceil(len / 3) + 1 bytes. */
static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= in[i + 2];
        }
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static bool has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            return true;
        }
    }
    return false;
}

sota_auth_cfg_err_t sota_auth_init(sota_auth_t *a, const char *user, const char *password,
                                   uint32_t free_attempts, uint32_t lockout_s)
{
    memset(a, 0, sizeof *a);
    if (!password || !password[0]) {
        return SOTA_AUTH_CFG_OFF;
    }
    size_t ul = user ? strlen(user) : 0;
    size_t pl = strlen(password);
    if (ul == 0) {
        return SOTA_AUTH_CFG_NO_USER;
    }
    if (ul > SOTA_AUTH_USER_MAX) {
        return SOTA_AUTH_CFG_USER_TOO_LONG;
    }
    if (strchr(user, ':')) {
        return SOTA_AUTH_CFG_USER_COLON;
    }
    if (has_control(user) || has_control(password)) {
        return SOTA_AUTH_CFG_BAD_CHAR;
    }
    if (pl < SOTA_AUTH_PASSWORD_MIN) {
        return SOTA_AUTH_CFG_PASSWORD_SHORT;
    }
    if (pl > SOTA_AUTH_PASSWORD_MAX) {
        return SOTA_AUTH_CFG_PASSWORD_LONG;
    }
    if (free_attempts == 0 || lockout_s == 0) {
        return SOTA_AUTH_CFG_LIMITS;
    }
    uint8_t plain[SOTA_AUTH_USER_MAX + 1 + SOTA_AUTH_PASSWORD_MAX];
    memcpy(plain, user, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, password, pl);
    a->token_len = b64_encode(plain, ul + 1 + pl, a->token);
    memset(plain, 0, sizeof plain);
    a->enabled = true;
    a->free_attempts = free_attempts;
    a->lockout_s = lockout_s;
    return SOTA_AUTH_CFG_OK;
}

const char *sota_auth_strerror(sota_auth_cfg_err_t err)
{
    switch (err) {
    case SOTA_AUTH_CFG_OK: return "HTTP authentication on";
    case SOTA_AUTH_CFG_OFF: return "HTTP authentication off (no password set)";
    case SOTA_AUTH_CFG_NO_USER:
        return "an HTTP password is set but no user name: set CONFIG_SOFTAP_OTA_HTTP_USER (http_user)";
    case SOTA_AUTH_CFG_USER_TOO_LONG: return "the HTTP user name is longer than 32 bytes";
    case SOTA_AUTH_CFG_USER_COLON: return "the HTTP user name contains ':', which Basic authentication cannot carry";
    case SOTA_AUTH_CFG_BAD_CHAR: return "the HTTP user name or password contains a control character";
    case SOTA_AUTH_CFG_PASSWORD_SHORT:
        return "the HTTP password is shorter than 8 characters: choose a longer one";
    case SOTA_AUTH_CFG_PASSWORD_LONG: return "the HTTP password is longer than 64 bytes";
    case SOTA_AUTH_CFG_LIMITS:
        return "auth_free_attempts and auth_lockout_s must be at least 1";
    }
    return "invalid HTTP authentication settings";
}

/* Equal, in a time that depends only on the expected length. */
static bool ct_equal(const char *got, size_t got_len, const char *want, size_t want_len)
{
    volatile unsigned diff = got_len != want_len;
    for (size_t i = 0; i < want_len; i++) {
        unsigned char g = i < got_len ? (unsigned char)got[i] : 0;
        diff |= g ^ (unsigned char)want[i];
    }
    return diff == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        if (lower(*s) != *prefix) {
            return false;
        }
    }
    return true;
}

sota_auth_verdict_t sota_auth_check(sota_auth_t *a, const char *authorization, bool truncated,
                                    uint64_t now_ms, uint32_t *retry_after_s)
{
    if (!a->enabled) {
        return SOTA_AUTH_PASS;
    }
    if (now_ms < a->locked_until_ms) {
        if (retry_after_s) {
            *retry_after_s = (uint32_t)((a->locked_until_ms - now_ms + 999) / 1000);
        }
        return SOTA_AUTH_LOCKED;
    }
    if (!authorization || (!authorization[0] && !truncated)) {
        return SOTA_AUTH_MISSING;
    }
    const char *p = authorization;
    while (is_space(*p)) {
        p++;
    }
    bool ok = false;
    if (!truncated && prefix_ci(p, "basic") && is_space(p[5])) {
        p += 5;
        while (is_space(*p)) {
            p++;
        }
        size_t n = strlen(p);
        while (n && is_space(p[n - 1])) {
            n--;
        }
        ok = ct_equal(p, n, a->token, a->token_len);
    }
    if (ok) {
        a->failures = 0;
        a->locked_until_ms = 0;
        return SOTA_AUTH_PASS;
    }
    if (a->failures < UINT32_MAX) {
        a->failures++;
    }
    if (a->failures >= a->free_attempts) {
        uint32_t over = a->failures - a->free_attempts;
        uint64_t factor = over >= 4 ? SOTA_AUTH_LOCKOUT_MAX_FACTOR : (uint64_t)1 << over;
        a->locked_until_ms = now_ms + factor * a->lockout_s * 1000u;
    }
    return SOTA_AUTH_WRONG;
}

void sota_auth_clear(sota_auth_t *a)
{
    volatile char *t = a->token;
    for (size_t i = 0; i < sizeof a->token; i++) {
        t[i] = 0;
    }
    a->enabled = false;
    a->token_len = 0;
}

/* --- same origin ------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A dotted IPv4 address, exactly. */
static bool is_ipv4(const char *s, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (i < n) {
        unsigned v = 0, digits = 0;
        while (i < n && is_digit(s[i])) {
            v = v * 10 + (unsigned)(s[i++] - '0');
            if (++digits > 3) {
                return false;
            }
        }
        if (digits == 0 || v > 255) {
            return false;
        }
        parts++;
        if (i < n) {
            if (s[i] != '.' || parts == 4) {
                return false;
            }
            i++;
            if (i == n) {
                return false;
            }
        }
    }
    return parts == 4;
}

/* Whether an authority "host[:port]" names an IP literal or localhost, with a valid
 * port if any; *hlen gets the length of the host part. */
static bool authority_ok(const char *s, size_t n, size_t *hlen)
{
    size_t h;
    if (n && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        if (!end) {
            return false;
        }
        h = (size_t)(end - s) + 1;
        if (h < 4) {
            return false;
        }
        for (size_t i = 1; i + 1 < h; i++) {
            if (sota_text_hex(s[i]) < 0 && s[i] != ':' && s[i] != '.') {
                return false;
            }
        }
    } else {
        const char *colon = memchr(s, ':', n);
        h = colon ? (size_t)(colon - s) : n;
        bool local = h == 9 && prefix_ci(s, "localhost");
        if (!local && !is_ipv4(s, h)) {
            return false;
        }
    }
    if (h < n) {
        if (s[h] != ':' || n - h < 2 || n - h > 6) {
            return false;
        }
        for (size_t i = h + 1; i < n; i++) {
            if (!is_digit(s[i])) {
                return false;
            }
        }
    }
    *hlen = h;
    return true;
}

/* The authority without a default ":80". */
static size_t strip_default_port(const char *s, size_t n, size_t hlen)
{
    if (n - hlen == 3 && s[hlen] == ':' && s[hlen + 1] == '8' && s[hlen + 2] == '0') {
        return hlen;
    }
    return n;
}

static bool same_authority(const char *a, size_t an, const char *b, size_t bn)
{
    size_t ah, bh;
    if (!authority_ok(a, an, &ah) || !authority_ok(b, bn, &bh)) {
        return false;
    }
    an = strip_default_port(a, an, ah);
    bn = strip_default_port(b, bn, bh);
    if (an != bn) {
        return false;
    }
    for (size_t i = 0; i < an; i++) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool sota_auth_same_origin(const char *host, const char *origin, const char *referer)
{
    if (!origin && !referer) {
        return true;
    }
    if (!host || !host[0]) {
        return false;
    }
    const char *url = origin ? origin : referer;
    if (!prefix_ci(url, "http://")) {
        return false; /* "null", https:, file:, another scheme */
    }
    const char *auth = url + 7;
    size_t n = origin ? strlen(auth) : strcspn(auth, "/?#");
    return same_authority(auth, n, host, strlen(host));
}
