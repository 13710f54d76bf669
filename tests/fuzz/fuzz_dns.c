/* libFuzzer target: the captive-portal DNS responder (core/sota_dns.h).
 *
 * Input: one UDP payload as a client would send it to port 53.
 * Checked for every packet: the response fits the buffer and SOTA_DNS_RESP_MAX, keeps the
 * ID, is a response (QR=1) with an RCODE the policy allows and at most one question and
 * one answer (whose data is the AP address); answering in place gives the same bytes; a
 * buffer one byte short is refused (NOSPACE, nothing written) and an exact one accepted;
 * when nothing is to be sent the length is 0. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sota_dns.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint32_t ip = sota_dns_ipv4(192, 168, 4, 1);
    uint8_t *query = fuzz_dup(data, size);  /* exact size: ASan sees over-reads */
    uint8_t resp[SOTA_DNS_RESP_MAX];
    size_t len = 12345;
    sota_dns_err_t err = sota_dns_answer(query, size, ip, resp, sizeof resp, &len);
    FUZZ_CHECK((unsigned)err < SOTA_DNS_ERR__COUNT, "result %d out of range", (int)err);
    const char *msg = sota_dns_strerror(err);
    FUZZ_CHECK(msg && msg[0], "no message for %d", (int)err);
    FUZZ_CHECK(err != SOTA_DNS_ERR_ARG && err != SOTA_DNS_ERR_NOSPACE,
               "%s with a SOTA_DNS_RESP_MAX buffer", msg);
    FUZZ_CHECK(memcmp(query, data, size) == 0 || size == 0, "the query was modified");

    if (err != SOTA_DNS_OK) {
        FUZZ_CHECK(len == 0, "nothing to send but length %zu", len);
        FUZZ_CHECK(size < SOTA_DNS_HEADER_LEN || (data[2] & 0x80),
                   "a %zu-byte query (QR=0) was dropped: %s", size, msg);
        free(query);
        return 0;
    }
    FUZZ_CHECK(size >= SOTA_DNS_HEADER_LEN && !(data[2] & 0x80), "answered a %s",
               size < SOTA_DNS_HEADER_LEN ? "short packet" : "response");
    FUZZ_CHECK(len >= SOTA_DNS_HEADER_LEN && len <= SOTA_DNS_RESP_MAX, "response of %zu bytes", len);
    FUZZ_CHECK(resp[0] == data[0] && resp[1] == data[1], "ID not copied");
    FUZZ_CHECK(resp[2] & 0x80, "QR not set");
    FUZZ_CHECK((resp[2] & 0x78) == (data[2] & 0x78), "OPCODE not copied");
    FUZZ_CHECK((resp[2] & 0x01) == (data[2] & 0x01), "RD not copied");
    FUZZ_CHECK(!(resp[2] & 0x02), "TC set");
    unsigned rcode = resp[3] & 0x0F;
    FUZZ_CHECK(rcode == SOTA_DNS_RCODE_NOERROR || rcode == SOTA_DNS_RCODE_FORMERR ||
               rcode == SOTA_DNS_RCODE_NOTIMP, "RCODE %u", rcode);
    FUZZ_CHECK((data[2] & 0x78) == 0 || rcode == SOTA_DNS_RCODE_NOTIMP,
               "OPCODE %u answered with RCODE %u", (unsigned)((data[2] >> 3) & 15), rcode);
    uint16_t qd = be16(resp + 4), an = be16(resp + 6), ns = be16(resp + 8), ar = be16(resp + 10);
    FUZZ_CHECK(qd <= 1 && an <= 1 && ns == 0 && ar == 0, "counts %u/%u/%u/%u", qd, an, ns, ar);
    if (rcode != SOTA_DNS_RCODE_NOERROR) {
        FUZZ_CHECK(len == SOTA_DNS_HEADER_LEN && qd == 0 && an == 0,
                   "error response with a body (%zu bytes)", len);
    } else {
        FUZZ_CHECK(qd == 1, "NOERROR without the question");
        FUZZ_CHECK(resp[2] & 0x04, "NOERROR without AA");
    }
    if (an == 1) {
        FUZZ_CHECK(len >= SOTA_DNS_HEADER_LEN + 16 + 1 &&
                   memcmp(resp + len - 4, &ip, 4) == 0, "answer is not the AP address");
        FUZZ_CHECK(be16(resp + len - 16) == 0xC00C, "answer name is not a pointer to the question");
        FUZZ_CHECK(be16(resp + len - 14) == 1 && be16(resp + len - 12) == 1, "answer not A/IN");
        FUZZ_CHECK(be16(resp + len - 6) == 4, "RDLENGTH not 4");
    }

    /* in place, in a buffer as large as the query or SOTA_DNS_RESP_MAX */
    size_t cap = size > SOTA_DNS_RESP_MAX ? size : SOTA_DNS_RESP_MAX;
    uint8_t *buf = malloc(cap);
    FUZZ_CHECK(buf != NULL, "out of memory");
    memcpy(buf, data, size);
    size_t len2 = 0;
    sota_dns_err_t err2 = sota_dns_answer(buf, size, ip, buf, cap, &len2);
    FUZZ_CHECK(err2 == SOTA_DNS_OK && len2 == len && memcmp(buf, resp, len) == 0,
               "answering in place differs (%d, %zu bytes vs %zu)", (int)err2, len2, len);
    free(buf);

    /* exact and one-short buffers, exact-size allocations */
    uint8_t *exact = malloc(len);
    FUZZ_CHECK(exact != NULL, "out of memory");
    size_t len3 = 0;
    FUZZ_CHECK(sota_dns_answer(query, size, ip, exact, len, &len3) == SOTA_DNS_OK && len3 == len &&
               memcmp(exact, resp, len) == 0, "exact-size buffer refused or different");
    size_t len4 = 99;
    sota_dns_err_t e4 = sota_dns_answer(query, size, ip, exact, len - 1, &len4);
    FUZZ_CHECK(e4 == SOTA_DNS_ERR_NOSPACE && len4 == 0, "one byte short: %d, length %zu",
               (int)e4, len4);
    free(exact);
    free(query);
    return 0;
}
