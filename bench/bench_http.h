/* A minimal HTTP/1.1 client for the benchmark, on 127.0.0.1 only: one request per
 * connection (Connection: close), the body sent in pieces of a fixed size, the answer's
 * status and the start of its body kept. */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SEND_CHUNK 4096u  /* body bytes per send(): what httpd hands the handler */

typedef struct {
    int status;          /* HTTP status, or -1 if the exchange failed */
    char body[512];      /* start of the answer's body, NUL-terminated */
    double seconds;      /* from connect to the end of the answer (CLOCK_MONOTONIC) */
} bench_resp_t;

/* The body of a request as up to three pieces sent back to back (NULL/0 to skip one):
 * e.g. a multipart preamble, the file, the closing delimiter. */
typedef struct {
    const void *p[3];
    size_t n[3];
} bench_body_t;

/* POST path with Content-Type ctype. Returns out->status. */
int bench_http_post(uint16_t port, const char *path, const char *ctype, const bench_body_t *body,
                    bench_resp_t *out);
/* GET path. Returns the status, -1 if nothing answered. */
int bench_http_get(uint16_t port, const char *path, bench_resp_t *out);

/* A TCP port on 127.0.0.1 that was free a moment ago (0 if none could be found). */
uint16_t bench_free_port(void);

/* The multipart/form-data framing curl -F file=@app.bin sends around a file. */
#define BENCH_MP_BOUNDARY "------------------------sotabench0123456789"
#define BENCH_MP_CTYPE    "multipart/form-data; boundary=" BENCH_MP_BOUNDARY
#define BENCH_MP_HEAD     "--" BENCH_MP_BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; " \
                          "filename=\"app.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
#define BENCH_MP_TAIL     "\r\n--" BENCH_MP_BOUNDARY "--\r\n"

#endif
