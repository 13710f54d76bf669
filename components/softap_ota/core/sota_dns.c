/* Captive-portal DNS answers. See sota_dns.h for the policy. */
#include "sota_dns.h"

#include <stdbool.h>
#include <string.h>

#define FLAG1_QR     0x80u   /* byte 2 of the header */
#define FLAG1_OPCODE 0x78u
#define FLAG1_AA     0x04u
#define FLAG1_RD     0x01u
#define FLAG2_RA     0x80u   /* byte 3 */

#define TYPE_A   1u
#define CLASS_IN 1u
#define ANSWER_LEN 16u       /* pointer 2, type 2, class 2, TTL 4, rdlength 2, address 4 */

static const char *const s_messages[SOTA_DNS_ERR__COUNT] = {
    [SOTA_DNS_OK] = "ok",
    [SOTA_DNS_ERR_ARG] = "internal error: invalid argument to the DNS responder",
    [SOTA_DNS_ERR_SHORT] = "packet shorter than a DNS header: dropped",
    [SOTA_DNS_ERR_NOT_QUERY] = "packet is a DNS response, not a query: dropped",
    [SOTA_DNS_ERR_NOSPACE] = "response buffer too small: query dropped",
};

const char *sota_dns_strerror(sota_dns_err_t err)
{
    if ((unsigned)err >= SOTA_DNS_ERR__COUNT) {
        return "unknown DNS error";
    }
    return s_messages[err];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* The length of the question (name, type, class) starting at offset 12, or 0 if it is
 * malformed or runs past qlen. Reads only query[12..qlen). */
static size_t question_len(const uint8_t *query, size_t qlen)
{
    size_t pos = SOTA_DNS_HEADER_LEN;
    size_t name = 0;
    for (;;) {
        if (pos >= qlen) {
            return 0;                         /* ends inside the name */
        }
        uint8_t l = query[pos];
        if (l == 0) {
            pos++;
            name++;
            break;
        }
        if (l > SOTA_DNS_LABEL_MAX) {
            return 0;                         /* compression pointer or reserved type */
        }
        name += 1u + l;
        if (name + 1u > SOTA_DNS_NAME_MAX) {  /* + 1: the root label still to come */
            return 0;
        }
        pos += 1u + l;
    }
    if (qlen - pos < 4) {
        return 0;                             /* ends inside type or class */
    }
    return pos + 4 - SOTA_DNS_HEADER_LEN;
}

/* Header-only response (FORMERR, NOTIMP). */
static sota_dns_err_t header_only(uint16_t id, uint8_t flags1, uint8_t rcode, uint8_t *resp,
                                  size_t resp_cap, size_t *resp_len)
{
    if (resp_cap < SOTA_DNS_HEADER_LEN) {
        return SOTA_DNS_ERR_NOSPACE;
    }
    put16(resp, id);
    resp[2] = (uint8_t)(FLAG1_QR | (flags1 & (FLAG1_OPCODE | FLAG1_RD)));
    resp[3] = (uint8_t)(FLAG2_RA | rcode);
    memset(resp + 4, 0, 8);                   /* QD, AN, NS, AR counts */
    *resp_len = SOTA_DNS_HEADER_LEN;
    return SOTA_DNS_OK;
}

sota_dns_err_t sota_dns_answer(const uint8_t *query, size_t qlen, uint32_t ipv4,
                               uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    if (resp_len != NULL) {
        *resp_len = 0;
    }
    if (query == NULL || resp == NULL || resp_len == NULL) {
        return SOTA_DNS_ERR_ARG;
    }
    if (qlen < SOTA_DNS_HEADER_LEN) {
        return SOTA_DNS_ERR_SHORT;
    }
    /* Everything needed from the header, read before resp (maybe the same buffer) is
     * written. */
    uint16_t id = get16(query);
    uint8_t flags1 = query[2];
    uint16_t qdcount = get16(query + 4);
    if (flags1 & FLAG1_QR) {
        return SOTA_DNS_ERR_NOT_QUERY;
    }
    if (flags1 & FLAG1_OPCODE) {
        return header_only(id, flags1, SOTA_DNS_RCODE_NOTIMP, resp, resp_cap, resp_len);
    }
    size_t qsec = qdcount == 1 ? question_len(query, qlen) : 0;
    if (qsec == 0) {
        return header_only(id, flags1, SOTA_DNS_RCODE_FORMERR, resp, resp_cap, resp_len);
    }
    size_t qend = SOTA_DNS_HEADER_LEN + qsec;
    uint16_t qtype = get16(query + qend - 4);
    uint16_t qclass = get16(query + qend - 2);
    bool answer = qtype == TYPE_A && qclass == CLASS_IN;
    size_t need = qend + (answer ? ANSWER_LEN : 0);
    if (resp_cap < need) {
        return SOTA_DNS_ERR_NOSPACE;
    }

    if (resp != query) {
        memcpy(resp + SOTA_DNS_HEADER_LEN, query + SOTA_DNS_HEADER_LEN, qsec);
    }
    put16(resp, id);
    resp[2] = (uint8_t)(FLAG1_QR | FLAG1_AA | (flags1 & FLAG1_RD));
    resp[3] = (uint8_t)(FLAG2_RA | SOTA_DNS_RCODE_NOERROR);
    put16(resp + 4, 1);                       /* QDCOUNT */
    put16(resp + 6, answer ? 1 : 0);          /* ANCOUNT */
    put16(resp + 8, 0);                       /* NSCOUNT */
    put16(resp + 10, 0);                      /* ARCOUNT */
    if (answer) {
        uint8_t *a = resp + qend;
        put16(a, 0xC000u | SOTA_DNS_HEADER_LEN); /* pointer to the question name */
        put16(a + 2, TYPE_A);
        put16(a + 4, CLASS_IN);
        put32(a + 6, SOTA_DNS_TTL);
        put16(a + 10, 4);
        memcpy(a + 12, &ipv4, 4);             /* network order: bytes already in order */
    }
    *resp_len = need;
    return SOTA_DNS_OK;
}
