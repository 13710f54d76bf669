/* Captive-portal DNS: the answer to one DNS query packet (RFC 1035 4.1), built without
 * any state. Every A question, whatever the name, gets the access point's address, so
 * that a phone or laptop joining the AP finds the update page (and its connectivity
 * probe lands there too). Transport (the UDP socket on port 53) is the caller's job.
 *
 * Policy (decisions, not accidents):
 * - Dropped, no response (return code != SOTA_DNS_OK): packets shorter than the 12-byte
 *   header (no ID to answer to) and packets with QR=1 (responses are never answered, so
 *   two portals cannot ping-pong).
 * - OPCODE != 0 (inverse query, status, notify, update...): NOTIMP, header only.
 * - A malformed question: FORMERR, header only (ID, OPCODE and RD copied, all counts 0).
 *   Malformed means QDCOUNT != 1, a compression pointer in the question name, a label
 *   type other than a plain label (a length byte 0x40..0xFF: a label over 63 bytes is
 *   not expressible), a name over 255 bytes in wire form, or a packet that ends inside
 *   the question. The parser never reads outside query[0..qlen).
 * - A valid question of type A (1) and class IN (1): NOERROR with one answer: name
 *   pointer 0xC00C to the question name, type A, class IN, TTL SOTA_DNS_TTL, the address.
 * - Any other type or class (AAAA, HTTPS, ANY, ...): NOERROR with no answer, so clients
 *   fall back to IPv4 at once instead of waiting for a timeout.
 * - Answer, authority and additional records in the query (e.g. an EDNS OPT record) and
 *   bytes after the question are ignored; the response has none (no EDNS).
 * - Response flags: QR=1; OPCODE copied; AA=1 on NOERROR (this server owns every name);
 *   TC=0; RD copied; RA=1 (to the clients of the AP this is their recursive resolver);
 *   Z, AD, CD = 0.
 */
#ifndef SOTA_DNS_H
#define SOTA_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SOTA_DNS_PORT       53
#define SOTA_DNS_HEADER_LEN 12
#define SOTA_DNS_LABEL_MAX  63
#define SOTA_DNS_NAME_MAX   255   /* wire form: length bytes + labels + the root 0 */
#define SOTA_DNS_TTL        60    /* seconds: short, so that wrong answers cached while
                                     on the AP expire soon after leaving it */
/* A response never exceeds this: header, the largest question, one A record. */
#define SOTA_DNS_RESP_MAX   (SOTA_DNS_HEADER_LEN + SOTA_DNS_NAME_MAX + 4 + 16)

/* The ipv4 argument for a.b.c.d: network byte order on any host (the same value as
 * ESP-IDF's ESP_IP4TOADDR(a, b, c, d)). */
static inline uint32_t sota_dns_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    const uint8_t bytes[4] = { a, b, c, d };
    uint32_t v;
    memcpy(&v, bytes, sizeof v);
    return v;
}

/* DNS RCODE values used in responses (RFC 1035 4.1.1). */
#define SOTA_DNS_RCODE_NOERROR 0
#define SOTA_DNS_RCODE_FORMERR 1
#define SOTA_DNS_RCODE_NOTIMP  4

typedef enum {
    SOTA_DNS_OK = 0,          /* a response is in resp[0..*resp_len): send it */
    SOTA_DNS_ERR_ARG,         /* caller error: NULL query, resp or resp_len */
    SOTA_DNS_ERR_SHORT,       /* shorter than a DNS header: drop it */
    SOTA_DNS_ERR_NOT_QUERY,   /* a response (QR=1), not a query: drop it */
    SOTA_DNS_ERR_NOSPACE,     /* resp_cap is too small for the response: nothing sent */
    SOTA_DNS_ERR__COUNT
} sota_dns_err_t;

/* Build the response to the query in query[0..qlen).
 * ipv4: the address every A question gets, in NETWORK byte order, exactly as lwIP and
 *       ESP-IDF keep it (esp_netif_ip_info_t.ip.addr, ESP_IP4TOADDR(), sota_dns_ipv4()):
 *       its four bytes in memory are the address in wire order, and are copied into
 *       the answer as they are. (Not 0xC0A80401 for 192.168.4.1 on a little-endian
 *       CPU: that is host order.)
 * resp, resp_cap: where to write the response; SOTA_DNS_RESP_MAX bytes always suffice.
 *       resp may be the query buffer itself (answer in place; then resp_cap is that
 *       buffer's size, not qlen); otherwise the two must not overlap.
 * *resp_len: the response length on SOTA_DNS_OK, 0 otherwise.
 * Returns SOTA_DNS_OK (send it: NOERROR, FORMERR or NOTIMP as the policy above says) or
 * an error code meaning "send nothing". */
sota_dns_err_t sota_dns_answer(const uint8_t *query, size_t qlen, uint32_t ipv4,
                               uint8_t *resp, size_t resp_cap, size_t *resp_len);

/* A short sentence for logs. Never NULL. */
const char *sota_dns_strerror(sota_dns_err_t err);

#endif
