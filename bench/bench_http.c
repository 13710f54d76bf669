/* The benchmark's HTTP client: see bench_http.h. */
#include "bench_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_local(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = { .tv_sec = 60 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

/* Send all of buf; 0, or -1 when the peer stopped reading (it may have answered). */
static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read the answer: status line, headers, then Content-Length bytes of body (or up to
 * the close). */
static void read_answer(int fd, bench_resp_t *out)
{
    char buf[8192];
    size_t have = 0;
    char *body = NULL;
    long clen = -1;
    for (;;) {
        if (have == sizeof buf - 1) {
            break;
        }
        ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        have += (size_t)n;
        buf[have] = '\0';
        if (!body) {
            body = strstr(buf, "\r\n\r\n");
            if (body) {
                body += 4;
                for (char *h = strstr(buf, "\r\n"); h && h < body; h = strstr(h + 2, "\r\n")) {
                    if (strncasecmp(h + 2, "Content-Length:", 15) == 0) {
                        clen = strtol(h + 17, NULL, 10);
                    }
                }
            }
        }
        if (body && clen >= 0 && (size_t)(buf + have - body) >= (size_t)clen) {
            break;
        }
    }
    buf[have] = '\0';
    int major, minor, status;
    if (sscanf(buf, "HTTP/%d.%d %d", &major, &minor, &status) == 3) {
        out->status = status;
    }
    if (body) {
        snprintf(out->body, sizeof out->body, "%s", body);
    }
}

int bench_http_post(uint16_t port, const char *path, const char *ctype, const bench_body_t *body,
                    bench_resp_t *out)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        total += body->p[i] ? body->n[i] : 0;
    }
    double t0 = now_s();
    int fd = connect_local(port);
    if (fd < 0) {
        return -1;
    }
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: %s\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      path, (unsigned)port, ctype, total);
    int rc = send_all(fd, head, (size_t)hl);
    for (int i = 0; rc == 0 && i < 3; i++) {
        const char *p = body->p[i];
        for (size_t off = 0; rc == 0 && p && off < body->n[i]; off += BENCH_SEND_CHUNK) {
            size_t n = body->n[i] - off < BENCH_SEND_CHUNK ? body->n[i] - off : BENCH_SEND_CHUNK;
            rc = send_all(fd, p + off, n);
        }
    }
    read_answer(fd, out);
    close(fd);
    out->seconds = now_s() - t0;
    return out->status;
}

int bench_http_get(uint16_t port, const char *path, bench_resp_t *out)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    double t0 = now_s();
    int fd = connect_local(port);
    if (fd < 0) {
        return -1;
    }
    char head[256];
    int hl = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
                      path, (unsigned)port);
    if (send_all(fd, head, (size_t)hl) == 0) {
        read_answer(fd, out);
    }
    close(fd);
    out->seconds = now_s() - t0;
    return out->status;
}

uint16_t bench_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    uint16_t port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &al) == 0) {
        port = ntohs(a.sin_port);
    }
    close(fd);
    return port;
}
