/* Unit tests of the captive-portal DNS responder (core/sota_dns.h).
 *
 * Queries are built here byte by byte as a resolver would send them; every response is
 * decoded field by field. Every prefix of every query is answered from an exact-size
 * heap copy, so AddressSanitizer catches any read past the packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sota_dns.h"

#define AP sota_dns_ipv4(192, 168, 4, 1)

/* ---- query builder ------------------------------------------------------------------- */

typedef struct {
    uint8_t b[600];
    size_t len;
} pkt_t;

static void p8(pkt_t *p, unsigned v)
{
    assert_true(p->len < sizeof p->b);
    p->b[p->len++] = (uint8_t)v;
}

static void p16(pkt_t *p, unsigned v)
{
    p8(p, (v >> 8) & 0xFF);
    p8(p, v & 0xFF);
}

/* "www.example.com" -> 3www7example3com0; "" and "." -> the root. */
static void pname(pkt_t *p, const char *name)
{
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (n > 0) {
            p8(p, (unsigned)n);
            for (size_t i = 0; i < n; i++) {
                p8(p, (uint8_t)name[i]);
            }
        }
        name += n + (dot ? 1 : 0);
    }
    p8(p, 0);
}

static void pheader(pkt_t *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
                    unsigned ns, unsigned ar)
{
    p->len = 0;
    p16(p, id);
    p16(p, flags);
    p16(p, qd);
    p16(p, an);
    p16(p, ns);
    p16(p, ar);
}

/* EDNS(0) OPT pseudo-record as dig and systemd-resolved append. */
static void popt(pkt_t *p)
{
    p8(p, 0);            /* root name */
    p16(p, 41);          /* OPT */
    p16(p, 1232);        /* UDP payload size */
    p16(p, 0);           /* extended RCODE, version */
    p16(p, 0);           /* flags */
    p16(p, 0);           /* RDLEN */
}

#define RD 0x0100u
#define T_A 1u
#define T_AAAA 28u
#define T_HTTPS 65u
#define T_ANY 255u
#define C_IN 1u
#define C_CH 3u

typedef enum { BUILD_NORMAL, BUILD_EDNS, BUILD_TRAILING } build_t;

typedef struct {
    const char *what;
    unsigned id, flags, qdcount;
    const char *name;
    unsigned qtype, qclass;
    build_t build;
    /* expected */
    sota_dns_err_t err;
    unsigned rcode;
    bool answered;       /* one A record */
    bool echo_question;  /* NOERROR: question copied; else header only */
} qvec_t;

static void build(const qvec_t *v, pkt_t *p)
{
    pheader(p, v->id, v->flags, v->qdcount, 0, 0, v->build == BUILD_EDNS ? 1 : 0);
    pname(p, v->name);
    p16(p, v->qtype);
    p16(p, v->qclass);
    if (v->build == BUILD_EDNS) {
        popt(p);
    } else if (v->build == BUILD_TRAILING) {
        p16(p, 0xDEAD);
        p8(p, 0xC0);
    }
}

static const qvec_t s_queries[] = {
    { "Android probe, A", 0x1234, RD, 1, "connectivitycheck.gstatic.com", T_A, C_IN,
      BUILD_NORMAL, SOTA_DNS_OK, 0, true, true },
    { "Apple probe, A with EDNS, no RD", 0xBEEF, 0, 1, "captive.apple.com", T_A, C_IN,
      BUILD_EDNS, SOTA_DNS_OK, 0, true, true },
    { "Windows probe, AAAA: no answer", 0x0001, RD, 1, "www.msftconnecttest.com", T_AAAA,
      C_IN, BUILD_NORMAL, SOTA_DNS_OK, 0, false, true },
    { "HTTPS record: no answer", 0xFFFF, RD, 1, "dns.google", T_HTTPS, C_IN, BUILD_EDNS,
      SOTA_DNS_OK, 0, false, true },
    { "ANY: no answer", 0x0000, RD, 1, "example.com", T_ANY, C_IN, BUILD_NORMAL,
      SOTA_DNS_OK, 0, false, true },
    { "class CHAOS: no answer", 0x4242, 0, 1, "version.bind", T_A, C_CH, BUILD_NORMAL,
      SOTA_DNS_OK, 0, false, true },
    { "0x20 mixed case kept verbatim", 0x7A7A, RD, 1, "WwW.ExAmPlE.CoM", T_A, C_IN,
      BUILD_NORMAL, SOTA_DNS_OK, 0, true, true },
    { "root name", 0x0102, RD, 1, ".", T_A, C_IN, BUILD_NORMAL, SOTA_DNS_OK, 0, true, true },
    { "TC, Z, AD, CD bits in the query are not echoed", 0x0303, RD | 0x0200 | 0x0070, 1,
      "a.b", T_A, C_IN, BUILD_NORMAL, SOTA_DNS_OK, 0, true, true },
    { "bytes after the question ignored", 0x5555, RD, 1, "x.y", T_A, C_IN, BUILD_TRAILING,
      SOTA_DNS_OK, 0, true, true },
    { "OPCODE 2 (status): NOTIMP", 0x0A0A, RD | (2u << 11), 1, "a.b", T_A, C_IN,
      BUILD_NORMAL, SOTA_DNS_OK, SOTA_DNS_RCODE_NOTIMP, false, false },
    { "OPCODE 1 (inverse): NOTIMP", 0x0B0B, 1u << 11, 1, "a.b", T_A, C_IN, BUILD_NORMAL,
      SOTA_DNS_OK, SOTA_DNS_RCODE_NOTIMP, false, false },
    { "QDCOUNT 0: FORMERR", 0x0C0C, RD, 0, "a.b", T_A, C_IN, BUILD_NORMAL, SOTA_DNS_OK,
      SOTA_DNS_RCODE_FORMERR, false, false },
    { "QDCOUNT 2: FORMERR", 0x0D0D, RD, 2, "a.b", T_A, C_IN, BUILD_NORMAL, SOTA_DNS_OK,
      SOTA_DNS_RCODE_FORMERR, false, false },
    { "a response (QR=1): dropped", 0x0E0E, 0x8000 | RD, 1, "a.b", T_A, C_IN,
      BUILD_NORMAL, SOTA_DNS_ERR_NOT_QUERY, 0, false, false },
};

/* ---- response decoder ---------------------------------------------------------------- */

static unsigned g16(const uint8_t *p)
{
    return (unsigned)(p[0] << 8 | p[1]);
}

static uint32_t g32(const uint8_t *p)
{
    return (uint32_t)g16(p) << 16 | g16(p + 2);
}

/* Check resp against what query should produce; qend is where the query's question
 * ends (0 if the question is malformed). */
static void check_response(const char *what, const uint8_t *query, size_t qend,
                           unsigned rcode, bool echo, bool answered, const uint8_t *resp,
                           size_t rlen)
{
    unsigned qflags = g16(query + 2);
    unsigned rflags = g16(resp + 2);
    if (g16(resp) != g16(query)) {
        fail_msg("%s: ID %04x, query had %04x", what, g16(resp), g16(query));
    }
    assert_true(rflags & 0x8000);                                  /* QR */
    assert_int_equal(rflags & 0x7800, echo ? 0 : (qflags & 0x7800)); /* OPCODE */
    assert_int_equal(!!(rflags & 0x0400), rcode == 0);             /* AA on NOERROR */
    assert_int_equal(rflags & 0x0200, 0);                          /* TC */
    assert_int_equal(rflags & 0x0100, qflags & 0x0100);            /* RD copied */
    assert_int_equal(rflags & 0x0080, 0x0080);                     /* RA */
    assert_int_equal(rflags & 0x0070, 0);                          /* Z, AD, CD */
    if ((rflags & 0x000F) != rcode) {
        fail_msg("%s: RCODE %u, expected %u", what, rflags & 0xF, rcode);
    }
    assert_int_equal(g16(resp + 8), 0);                            /* NSCOUNT */
    assert_int_equal(g16(resp + 10), 0);                           /* ARCOUNT */
    if (!echo) {
        assert_int_equal(rlen, SOTA_DNS_HEADER_LEN);
        assert_int_equal(g16(resp + 4), 0);
        assert_int_equal(g16(resp + 6), 0);
        return;
    }
    assert_int_equal(g16(resp + 4), 1);                            /* QDCOUNT */
    assert_int_equal(g16(resp + 6), answered ? 1 : 0);             /* ANCOUNT */
    assert_int_equal(rlen, qend + (answered ? 16 : 0));
    assert_memory_equal(resp + 12, query + 12, qend - 12);         /* question verbatim */
    if (answered) {
        const uint8_t *a = resp + qend;
        assert_int_equal(g16(a), 0xC00C);                          /* name -> question */
        assert_int_equal(g16(a + 2), 1);                           /* A */
        assert_int_equal(g16(a + 4), 1);                           /* IN */
        assert_int_equal(g32(a + 6), SOTA_DNS_TTL);
        assert_int_equal(g32(a + 6), 60);
        assert_int_equal(g16(a + 10), 4);
        static const uint8_t ip[4] = { 192, 168, 4, 1 };
        assert_memory_equal(a + 12, ip, 4);
    }
}

/* Answer from an exact-size heap copy of query[0..len). */
static sota_dns_err_t answer_exact(const uint8_t *query, size_t len, uint8_t *resp,
                                   size_t cap, size_t *rlen)
{
    uint8_t *q = malloc(len ? len : 1);
    assert_non_null(q);
    memcpy(q, query, len);
    sota_dns_err_t err = sota_dns_answer(q, len, AP, resp, cap, rlen);
    free(q);
    return err;
}

/* Where the single question of a built query ends. */
static size_t built_qend(const qvec_t *v)
{
    pkt_t p;
    pheader(&p, 0, 0, 0, 0, 0, 0);
    pname(&p, v->name);
    return p.len + 4;
}

static void test_query_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_queries / sizeof s_queries[0]; i++) {
        const qvec_t *v = &s_queries[i];
        pkt_t q;
        build(v, &q);
        uint8_t resp[SOTA_DNS_RESP_MAX];
        size_t rlen = 99;
        sota_dns_err_t err = answer_exact(q.b, q.len, resp, sizeof resp, &rlen);
        if (err != v->err) {
            fail_msg("%s: %d (%s), expected %d", v->what, err, sota_dns_strerror(err),
                     v->err);
        }
        if (err != SOTA_DNS_OK) {
            assert_int_equal(rlen, 0);
            continue;
        }
        check_response(v->what, q.b, built_qend(v), v->rcode, v->echo_question,
                       v->answered, resp, rlen);
    }
}

/* Every prefix of every query: < 12 bytes dropped, inside the question FORMERR, from the
 * end of the question on the same as the whole packet. */
static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_queries / sizeof s_queries[0]; i++) {
        const qvec_t *v = &s_queries[i];
        pkt_t q;
        build(v, &q);
        size_t qend = built_qend(v);
        for (size_t len = 0; len <= q.len; len++) {
            uint8_t resp[SOTA_DNS_RESP_MAX];
            size_t rlen = 99;
            sota_dns_err_t err = answer_exact(q.b, len, resp, sizeof resp, &rlen);
            char what[160];
            snprintf(what, sizeof what, "%s, first %zu bytes", v->what, len);
            if (len < SOTA_DNS_HEADER_LEN) {
                assert_int_equal(err, SOTA_DNS_ERR_SHORT);
                assert_int_equal(rlen, 0);
            } else if (v->err != SOTA_DNS_OK) {
                assert_int_equal(err, v->err);
            } else if (len < qend && v->echo_question) {
                assert_int_equal(err, SOTA_DNS_OK);
                check_response(what, q.b, 0, SOTA_DNS_RCODE_FORMERR, false, false, resp,
                               rlen);
            } else {
                assert_int_equal(err, SOTA_DNS_OK);
                check_response(what, q.b, qend, v->rcode, v->echo_question, v->answered,
                               resp, rlen);
            }
        }
    }
}

/* A name of exactly `total` wire bytes (labels of up to `label` bytes). */
static void long_name_query(pkt_t *p, size_t total, size_t label)
{
    pheader(p, 0x2222, RD, 1, 0, 0, 0);
    size_t left = total - 1;               /* the root byte */
    while (left > 0) {
        size_t n = left - 1 < label ? left - 1 : label;
        assert_true(n > 0);                /* callers pick totals that split cleanly */
        p8(p, (unsigned)n);
        for (size_t k = 0; k < n; k++) {
            p8(p, 'a' + (unsigned)(k % 26));
        }
        left -= n + 1;
    }
    p8(p, 0);
    p16(p, T_A);
    p16(p, C_IN);
}

static void test_limits(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        size_t name_total;    /* wire bytes of the name */
        size_t label;         /* the longest label */
        unsigned rcode;
    } t[] = {
        { "label of 63", 1 + 63 + 1, 63, SOTA_DNS_RCODE_NOERROR },
        { "label of 64", 1 + 64 + 1, 64, SOTA_DNS_RCODE_FORMERR },
        { "name of 255", 255, 63, SOTA_DNS_RCODE_NOERROR },  /* labels 63,63,63,61 + root */
        { "name of 256", 256, 63, SOTA_DNS_RCODE_FORMERR },
        { "name of 254", 254, 63, SOTA_DNS_RCODE_NOERROR },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pkt_t q;
        long_name_query(&q, t[i].name_total, t[i].label);
        assert_int_equal(q.len, 12 + t[i].name_total + 4);
        uint8_t resp[SOTA_DNS_RESP_MAX + 8];
        size_t rlen = 0;
        assert_int_equal(answer_exact(q.b, q.len, resp, sizeof resp, &rlen), SOTA_DNS_OK);
        bool ok = t[i].rcode == SOTA_DNS_RCODE_NOERROR;
        check_response(t[i].what, q.b, ok ? q.len : 0, t[i].rcode, ok, ok, resp, rlen);
        if (ok && t[i].name_total == SOTA_DNS_NAME_MAX) {
            assert_int_equal(rlen, SOTA_DNS_RESP_MAX);      /* the largest response */
        }
    }
}

static void test_malformed_names(void **state)
{
    (void)state;
    /* Name bytes after the header; each must give FORMERR. */
    static const struct {
        const char *what;
        uint8_t name[8];
        size_t n;
    } t[] = {
        { "compression pointer as the name", { 0xC0, 0x0C }, 2 },
        { "compression pointer after a label", { 1, 'a', 0xC0, 0x0C }, 4 },
        { "label type 01 (0x40)", { 0x40, 'a' }, 2 },
        { "label type 10 (0x80)", { 0x80, 'a' }, 2 },
        { "length 0xFF", { 0xFF }, 1 },
        { "label longer than the packet", { 5, 'a', 'b' }, 3 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pkt_t q;
        pheader(&q, 0x3333, RD, 1, 0, 0, 0);
        for (size_t k = 0; k < t[i].n; k++) {
            p8(&q, t[i].name[k]);
        }
        /* Type and class, so only the name is wrong (and "longer" really is). */
        p16(&q, T_A);
        p16(&q, C_IN);
        if (i == sizeof t / sizeof t[0] - 1) {
            q.len = 12 + t[i].n;
        }
        uint8_t resp[SOTA_DNS_RESP_MAX];
        size_t rlen = 0;
        assert_int_equal(answer_exact(q.b, q.len, resp, sizeof resp, &rlen), SOTA_DNS_OK);
        check_response(t[i].what, q.b, 0, SOTA_DNS_RCODE_FORMERR, false, false, resp, rlen);
    }
}

/* The response buffer: exactly the response fits, one byte less does not. */
static void test_resp_cap(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_queries / sizeof s_queries[0]; i++) {
        const qvec_t *v = &s_queries[i];
        if (v->err != SOTA_DNS_OK) {
            continue;
        }
        pkt_t q;
        build(v, &q);
        uint8_t full[SOTA_DNS_RESP_MAX];
        size_t need = 0;
        assert_int_equal(sota_dns_answer(q.b, q.len, AP, full, sizeof full, &need),
                         SOTA_DNS_OK);
        for (size_t cap = 0; cap <= need; cap++) {
            uint8_t *r = malloc(cap ? cap : 1);
            assert_non_null(r);
            size_t rlen = 99;
            sota_dns_err_t err = sota_dns_answer(q.b, q.len, AP, r, cap, &rlen);
            if (cap < need) {
                assert_int_equal(err, SOTA_DNS_ERR_NOSPACE);
                assert_int_equal(rlen, 0);
            } else {
                assert_int_equal(err, SOTA_DNS_OK);
                assert_int_equal(rlen, need);
                assert_memory_equal(r, full, need);
            }
            free(r);
        }
    }
}

/* Answering in place gives the same bytes as answering into another buffer. */
static void test_in_place(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_queries / sizeof s_queries[0]; i++) {
        pkt_t q;
        build(&s_queries[i], &q);
        uint8_t sep[SOTA_DNS_RESP_MAX];
        size_t sep_len = 0, in_len = 0;
        sota_dns_err_t e1 = sota_dns_answer(q.b, q.len, AP, sep, sizeof sep, &sep_len);
        sota_dns_err_t e2 = sota_dns_answer(q.b, q.len, AP, q.b, sizeof q.b, &in_len);
        assert_int_equal(e1, e2);
        assert_int_equal(sep_len, in_len);
        if (e1 == SOTA_DNS_OK) {
            assert_memory_equal(sep, q.b, sep_len);
        }
    }
}

/* The address argument is network order (lwIP's and ESP_IP4TOADDR's): its bytes in
 * memory are the answer's bytes, on any host. */
static void test_address_order(void **state)
{
    (void)state;
    static const uint8_t t[][4] = {
        { 192, 168, 4, 1 }, { 10, 0, 0, 1 }, { 255, 254, 1, 0 }, { 1, 2, 3, 4 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pkt_t q;
        build(&s_queries[0], &q);
        uint32_t net = sota_dns_ipv4(t[i][0], t[i][1], t[i][2], t[i][3]);
        assert_memory_equal(&net, t[i], 4);
        /* ESP_IP4TOADDR is htonl of a.b.c.d read as a big-endian number. */
        uint32_t as_number = (uint32_t)t[i][0] << 24 | (uint32_t)t[i][1] << 16
                             | (uint32_t)t[i][2] << 8 | t[i][3];
        const uint16_t one = 1;
        bool little = *(const uint8_t *)&one == 1;
        uint32_t swapped = as_number >> 24 | (as_number >> 8 & 0xFF00u)
                           | (as_number << 8 & 0xFF0000u) | as_number << 24;
        assert_int_equal(net, little ? swapped : as_number);
        uint8_t resp[SOTA_DNS_RESP_MAX];
        size_t rlen = 0;
        assert_int_equal(sota_dns_answer(q.b, q.len, net, resp, sizeof resp, &rlen),
                         SOTA_DNS_OK);
        assert_memory_equal(resp + rlen - 4, t[i], 4);
    }
}

/* Random packets (deterministic): never a crash or an out-of-bounds read, and whatever
 * comes back is a well-formed response to that packet. */
static void test_random_packets(void **state)
{
    (void)state;
    uint32_t x = 0x12345678u;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t q[64];
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t len = x % sizeof q;
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            q[k] = (uint8_t)x;
            /* Bias towards plausible headers and short labels. */
            if (k == 2) {
                q[k] &= 0x07;
            } else if (k == 4) {
                q[k] = 0;
            } else if (k == 5) {
                q[k] = 1;
            } else if (k >= 12) {
                q[k] &= (x & 0x100) ? 0x07 : 0xFF;
            }
        }
        uint8_t resp[SOTA_DNS_RESP_MAX];
        size_t rlen = 0;
        sota_dns_err_t err = answer_exact(q, len, resp, sizeof resp, &rlen);
        if (len < 12) {
            assert_int_equal(err, SOTA_DNS_ERR_SHORT);
            continue;
        }
        assert_int_equal(err, SOTA_DNS_OK);
        assert_true(rlen >= 12 && rlen <= sizeof resp && rlen <= len + 16);
        assert_int_equal(g16(resp), g16(q));
        unsigned rcode = g16(resp + 2) & 0xF;
        if (rcode == SOTA_DNS_RCODE_NOERROR) {
            size_t qend = rlen - 16 * g16(resp + 6);
            check_response("random", q, qend, 0, true, g16(resp + 6) == 1, resp, rlen);
        }
    }
}

static void test_args_and_messages(void **state)
{
    (void)state;
    pkt_t q;
    build(&s_queries[0], &q);
    uint8_t resp[SOTA_DNS_RESP_MAX];
    size_t rlen = 5;
    assert_int_equal(sota_dns_answer(NULL, q.len, AP, resp, sizeof resp, &rlen),
                     SOTA_DNS_ERR_ARG);
    assert_int_equal(rlen, 0);
    assert_int_equal(sota_dns_answer(q.b, q.len, AP, NULL, sizeof resp, &rlen),
                     SOTA_DNS_ERR_ARG);
    assert_int_equal(sota_dns_answer(q.b, q.len, AP, resp, sizeof resp, NULL),
                     SOTA_DNS_ERR_ARG);
    for (int i = 0; i < SOTA_DNS_ERR__COUNT; i++) {
        const char *m = sota_dns_strerror((sota_dns_err_t)i);
        assert_non_null(m);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(m, sota_dns_strerror((sota_dns_err_t)j));
        }
    }
    assert_non_null(sota_dns_strerror((sota_dns_err_t)42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_table),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed_names),
        cmocka_unit_test(test_resp_cap),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_address_order),
        cmocka_unit_test(test_random_packets),
        cmocka_unit_test(test_args_and_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
