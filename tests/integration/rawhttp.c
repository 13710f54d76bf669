/* rawhttp: send exact bytes to 127.0.0.1:PORT and report what the server answered.
 * A test tool for tests/integration/test_http_hostile.sh: curl refuses to send most
 * malformed requests, and bash /dev/tcp can't pace writes or watch many sockets.
 *
 * usage: rawhttp [-c N] [-H] [-d MS] [-t S] [-i MS] [-n N] [-r N] [-p MS] [-s] [-k] [-b FILE] PORT [FILE]
 *   Sends the request bytes (REQUEST_FILE, or stdin) on each connection, then reads.
 *   -c N   write at most N bytes per send() (default: all at once); TCP_NODELAY is on
 *   -H     with -c: send the head (up to the first blank line) in one write, pace the rest
 *   -d MS  wait MS milliseconds between two writes of a connection
 *   -t S   stop waiting S seconds after the start (default 10): every wait is bounded
 *   -i MS  after a complete response, wait MS for another one or the close (default 300)
 *   -n N   open N connections at once, all sending the same request (default 1)
 *   -r N   send the request N times on each connection, each after the previous answer
 *   -p MS  wait MS milliseconds after an answer before sending the request again
 *   -s     shut down the sending side once the (last) request is sent (half-close)
 *   -b F   write the body of the first response of the first connection to F
 *   -k     close each connection as soon as its request is sent, reading nothing (a
 *          client that goes away in the middle of an upload); its line says "killed"
 * Prints one line per connection: the status code of every complete response, then
 * "closed" (the server closed or reset the connection) or "open" (still open when the
 * waiting stopped). Examples: "200 open", "400 closed", "closed", "open".
 * Exit status 0, or 2 on a usage or local error. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_CODES 8
#define RX_CAP    (256 * 1024)

typedef struct {
    int fd;
    bool connected;
    bool sent_all;
    bool done;
    bool closed;
    bool killed;             /* closed by us once sent (-k) */
    int rounds_sent;         /* times the whole request was sent */
    size_t sent;
    int64_t next_write_ms;   /* earliest time of the next write */
    int64_t idle_until_ms;   /* after a complete response: when to stop waiting */
    char *rx;                /* bytes received and not yet consumed as responses */
    size_t rx_len;
    int codes[MAX_CODES];
    int ncodes;
} conn_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
    fprintf(stderr, "usage: rawhttp [-c N] [-H] [-d MS] [-t S] [-i MS] [-n N] [-r N] [-p MS] [-s] [-k] [-b FILE] "
                    "PORT [FILE]\n");
    exit(2);
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "rawhttp: out of memory\n");
            exit(2);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    *len = n;
    return buf;
}

/* Value of header `name` in the head [p, p+len), or NULL. */
static const char *find_header(const char *p, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < len; i++) {
        if ((i == 0 || p[i - 1] == '\n') && strncasecmp(p + i, name, nl) == 0 && p[i + nl] == ':') {
            return p + i + nl + 1;
        }
    }
    return NULL;
}

/* Consume complete responses from the front of c->rx. Sets *body_out for the first one
 * when asked. A response without Content-Length runs to the close. */
static void take_responses(conn_t *c, FILE *body_out, int64_t idle_ms)
{
    for (;;) {
        char *end = NULL;
        for (size_t i = 0; i + 3 < c->rx_len; i++) {
            if (memcmp(c->rx + i, "\r\n\r\n", 4) == 0) {
                end = c->rx + i + 4;
                break;
            }
        }
        if (!end) {
            return;
        }
        size_t head = (size_t)(end - c->rx);
        const char *cl = find_header(c->rx, head, "Content-Length");
        if (!cl) {
            return; /* read to the close */
        }
        size_t body = strtoul(cl, NULL, 10);
        if (c->rx_len - head < body) {
            return;
        }
        int code = 0;
        if (c->rx_len >= 12 && strncmp(c->rx, "HTTP/1.", 7) == 0) {
            code = atoi(c->rx + 9);
        }
        if (body_out && c->ncodes == 0) {
            fwrite(end, 1, body, body_out);
        }
        if (c->ncodes < MAX_CODES) {
            c->codes[c->ncodes++] = code;
        }
        memmove(c->rx, end + body, c->rx_len - head - body);
        c->rx_len -= head + body;
        c->idle_until_ms = now_ms() + idle_ms;
    }
}

int main(int argc, char **argv)
{
    size_t chunk = 0;
    bool head_whole = false;
    int64_t delay_ms = 0, idle_ms = 300, timeout_s = 10;
    int nconns = 1, rounds = 1;
    int64_t pause_ms = 0;
    bool half_close = false;
    bool kill_sent = false;
    const char *body_path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:Hd:t:i:n:r:p:skb:")) != -1) {
        switch (opt) {
        case 'c': chunk = strtoul(optarg, NULL, 10); break;
        case 'H': head_whole = true; break;
        case 'd': delay_ms = strtol(optarg, NULL, 10); break;
        case 't': timeout_s = strtol(optarg, NULL, 10); break;
        case 'i': idle_ms = strtol(optarg, NULL, 10); break;
        case 'n': nconns = atoi(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'p': pause_ms = strtol(optarg, NULL, 10); break;
        case 's': half_close = true; break;
        case 'k': kill_sent = true; break;
        case 'b': body_path = optarg; break;
        default: usage();
        }
    }
    if (optind >= argc || nconns < 1 || nconns > MAX_CONNS || timeout_s < 1 || rounds < 1) {
        usage();
    }
    int port = atoi(argv[optind]);
    FILE *in = stdin;
    if (optind + 1 < argc && !(in = fopen(argv[optind + 1], "rb"))) {
        fprintf(stderr, "rawhttp: %s: %s\n", argv[optind + 1], strerror(errno));
        return 2;
    }
    size_t req_len;
    char *req = read_all(in, &req_len);
    if (in != stdin) {
        fclose(in);
    }
    if (chunk == 0) {
        chunk = req_len ? req_len : 1;
    }
    size_t head_len = 0; /* -H: bytes up to and including the first blank line */
    for (size_t k = 0; head_whole && k + 4 <= req_len; k++) {
        if (!memcmp(req + k, "\r\n\r\n", 4)) {
            head_len = k + 4;
            break;
        }
    }
    FILE *body_out = NULL;
    if (body_path && !(body_out = fopen(body_path, "wb"))) {
        fprintf(stderr, "rawhttp: %s: %s\n", body_path, strerror(errno));
        return 2;
    }

    static conn_t conns[MAX_CONNS];
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        c->rx = malloc(RX_CAP);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c->fd < 0 || !c->rx) {
            fprintf(stderr, "rawhttp: socket: %s\n", strerror(errno));
            return 2;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
            c->connected = true;
        } else if (errno != EINPROGRESS) {
            c->done = c->closed = true; /* refused: nobody listens */
        }
    }

    const int64_t deadline = now_ms() + timeout_s * 1000;
    for (;;) {
        int64_t t = now_ms();
        struct pollfd pfd[MAX_CONNS];
        int64_t wake = deadline;
        int active = 0;
        for (int i = 0; i < nconns; i++) {
            conn_t *c = &conns[i];
            pfd[i].fd = -1;
            pfd[i].events = 0;
            if (c->done) {
                continue;
            }
            if (c->sent_all && c->rounds_sent < rounds && c->ncodes >= c->rounds_sent) {
                /* answered: the same request again, after the pause */
                c->sent = 0;
                c->sent_all = false;
                c->next_write_ms = t + pause_ms;
            }
            if (c->rounds_sent >= rounds && c->ncodes >= c->rounds_sent && c->ncodes > 0 &&
                c->rx_len == 0 && t >= c->idle_until_ms) {
                c->done = true; /* every round answered, and nothing more came */
                continue;
            }
            active++;
            pfd[i].fd = c->fd;
            pfd[i].events = POLLIN;
            if (!c->connected || (!c->sent_all && t >= c->next_write_ms)) {
                pfd[i].events |= POLLOUT;
            }
            if (!c->sent_all && c->connected && c->next_write_ms < wake) {
                wake = c->next_write_ms;
            }
            if (c->ncodes > 0 && c->idle_until_ms > t && c->idle_until_ms < wake) {
                wake = c->idle_until_ms;
            }
        }
        if (active == 0 || t >= deadline) {
            break;
        }
        int wait = wake > t ? (int)(wake - t) : 0;
        if (poll(pfd, (nfds_t)nconns, wait) < 0 && errno != EINTR) {
            fprintf(stderr, "rawhttp: poll: %s\n", strerror(errno));
            return 2;
        }
        t = now_ms();
        for (int i = 0; i < nconns; i++) {
            conn_t *c = &conns[i];
            if (pfd[i].fd < 0 || !pfd[i].revents) {
                continue;
            }
            if (!c->connected && (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    c->done = c->closed = true;
                    continue;
                }
                c->connected = true;
            }
            if (c->connected && !c->sent_all && (pfd[i].revents & POLLOUT) && t >= c->next_write_ms) {
                size_t n = req_len - c->sent < chunk ? req_len - c->sent : chunk;
                if (head_whole && c->sent < head_len) {
                    n = head_len - c->sent;
                }
                ssize_t w = n ? send(c->fd, req + c->sent, n, MSG_NOSIGNAL) : 0;
                if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    c->sent_all = true; /* the server gave up on us: go and read why */
                } else if (w > 0) {
                    c->sent += (size_t)w;
                    c->next_write_ms = t + delay_ms;
                }
                if (c->sent == req_len) {
                    c->sent_all = true;
                }
                if (c->sent_all) {
                    c->rounds_sent++;
                }
                if (c->sent_all && half_close && c->rounds_sent >= rounds) {
                    shutdown(c->fd, SHUT_WR);
                }
                if (c->sent_all && kill_sent) {
                    close(c->fd);
                    c->fd = -1;
                    c->done = c->killed = true;
                    continue;
                }
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = recv(c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len, 0);
                if (r > 0) {
                    c->rx_len += (size_t)r;
                    take_responses(c, i == 0 ? body_out : NULL, idle_ms);
                    if (c->rx_len == RX_CAP) {
                        c->rx_len = 0; /* a runaway answer: keep reading, count nothing */
                    }
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    c->done = c->closed = true;
                }
            }
        }
    }

    for (int i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        for (int k = 0; k < c->ncodes; k++) {
            printf("%d ", c->codes[k]);
        }
        printf("%s\n", c->killed ? "killed" : c->closed ? "closed" : "open");
        if (c->fd >= 0) {
            close(c->fd);
        }
        free(c->rx);
    }
    if (body_out) {
        fclose(body_out);
    }
    free(req);
    return 0;
}
