/* loadhttp: hostile load on 127.0.0.1:PORT while one firmware upload runs, and what every
 * client saw. A test tool of tests/integration/test_hostile_clients.sh and of make bench.
 *
 * usage: loadhttp [-s N] [-d MS] [-c N] [-i MS] [-t S] [-w MS] [-r KIB] PORT IMAGE
 *   -s N   slow-header clients (default 0): each sends a request head one byte every
 *          -d MS (default 500) and, when the server closes it, connects again at its
 *          next byte time
 *   -c N   clients polling GET /api/status in a loop, one request per connection
 *          (default 0), each waiting about -i MS (default 0; from half to 1.5 times
 *          that, at random) between two polls
 *   -t S   stop everything S seconds after the start at the latest (default 120)
 *   -w MS  start the upload this long after the other clients (default 1000)
 *   -r KIB send the upload at KIB KiB/s (default: as fast as the server reads)
 * The upload (raw POST /update of IMAGE) starts once the other clients run; they stop
 * 1 s after it is answered. A poll counts from its first connect to a complete answer;
 * when the server closes or refuses its connection first, it connects again, still the
 * same poll. Prints one JSON object: the upload's status and seconds, the number of
 * answered polls and how many of them were not 200, their latencies (p50, p99, max, ms),
 * the age of the oldest poll still waiting at the stop, the reconnects the polls needed,
 * and how often the slow clients connected and were cut; "upload_window" has the same
 * latency figures for the polls that started while the upload was being sent.
 * Exit status 0, or 2 on a usage or local error. Loopback only; every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_POLLS 200000

static int s_port;
static int64_t s_end_ms;            /* hard stop */
static atomic_bool s_stop;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *s_lat;             /* answered polls' latencies, ms */
static int64_t *s_lat_t0;           /* ... and when each started */
static size_t s_nlat, s_polls, s_retries, s_not200;
static uint32_t s_open_ms;          /* the oldest poll still unanswered at the stop */
static unsigned long s_slow_conns, s_slow_cut;
static int s_slow_delay_ms = 500;
static int s_poll_gap_ms;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopping(void)
{
    return atomic_load(&s_stop) || now_ms() >= s_end_ms;
}

/* A blocking loopback connection whose every receive and send waits at most `to_ms`. */
static int dial(int to_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = { .tv_sec = to_ms / 1000, .tv_usec = (to_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s_port),
                             .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Read one answer: its head, then Content-Length bytes of body (esp_http_server keeps
 * the connection open after an answer, whatever the request asked). Returns the status
 * code, 0 if no complete answer came. */
static int read_answer(int fd)
{
    char buf[8192];
    size_t got = 0;
    const char *end = NULL;
    while (!end) {
        if (got == sizeof buf - 1) {
            return 0;
        }
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0) {
            return 0;
        }
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int code = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1) {
        return 0;
    }
    size_t body = 0;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (cl && cl < end) {
        body = strtoul(cl + 17, NULL, 10);
    }
    size_t have = got - (size_t)(end + 4 - buf);
    while (have < body) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            return 0;
        }
        have += (size_t)n;
    }
    return code;
}

static void *poller(void *arg)
{
    unsigned *seed = arg;
    static const char req[] = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    while (!stopping()) {
        int64_t t0 = now_ms();
        size_t tries = 0;
        int code = 0;
        while (!stopping()) {
            tries++;
            int fd = dial(20000);
            if (fd >= 0) {
                if (send_all(fd, req, sizeof req - 1)) {
                    code = read_answer(fd);
                }
                close(fd);
            }
            if (code) {
                break;
            }
            usleep(10000);
        }
        uint32_t ms = (uint32_t)(now_ms() - t0);
        pthread_mutex_lock(&s_lock);
        if (!code) {
            s_open_ms = ms > s_open_ms ? ms : s_open_ms; /* stopped while waiting */
        } else {
            s_polls++;
            s_retries += tries - 1;
            if (code != 200) {
                s_not200++;
                fprintf(stderr, "loadhttp: a poll was answered %d\n", code);
            }
            if (s_nlat < MAX_POLLS) {
                s_lat_t0[s_nlat] = t0;
                s_lat[s_nlat++] = ms;
            }
        }
        pthread_mutex_unlock(&s_lock);
        if (s_poll_gap_ms) {
            unsigned r = (unsigned)rand_r(seed);
            usleep((useconds_t)(s_poll_gap_ms / 2 + (int)(r % (unsigned)(s_poll_gap_ms + 1))) * 1000);
        }
    }
    return NULL;
}

static void *slow_client(void *arg)
{
    (void)arg;
    static const char req[] = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    while (!stopping()) {
        int fd = dial(s_slow_delay_ms + 1000);
        if (fd < 0) {
            usleep(50000);
            continue;
        }
        pthread_mutex_lock(&s_lock);
        s_slow_conns++;
        pthread_mutex_unlock(&s_lock);
        bool cut = false;
        for (size_t i = 0; i < sizeof req - 1 && !stopping(); i++) {
            if (!send_all(fd, req + i, 1)) {
                cut = true;
                break;
            }
            /* a close or an answer from the server before the head is complete */
            char b;
            ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || n > 0) {
                cut = true;
                break;
            }
            usleep((useconds_t)s_slow_delay_ms * 1000);
        }
        close(fd);
        if (cut) {
            pthread_mutex_lock(&s_lock);
            s_slow_cut++;
            pthread_mutex_unlock(&s_lock);
            usleep((useconds_t)s_slow_delay_ms * 1000);
        }
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* p50, p99 and max of v[0..n) (sorted here), as a JSON fragment. */
static void print_lat(const char *name, uint32_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u32);
    printf("\"%s\": {\"polls\": %zu, \"p50_ms\": %u, \"p99_ms\": %u, \"max_ms\": %u}", name, n,
           n ? v[(size_t)(0.50 * (double)(n - 1) + 0.5)] : 0, n ? v[(size_t)(0.99 * (double)(n - 1) + 0.5)] : 0,
           n ? v[n - 1] : 0);
}

/* Send the upload body at `kib_s` KiB/s (0: at once). */
static bool send_paced(int fd, const char *p, size_t len, int kib_s)
{
    if (kib_s <= 0) {
        return send_all(fd, p, len);
    }
    int64_t t0 = now_ms();
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 4096 ? len - off : 4096;
        if (!send_all(fd, p + off, n)) {
            return false;
        }
        off += n;
        int64_t due = t0 + (int64_t)(off * 1000 / ((size_t)kib_s * 1024));
        int64_t t = now_ms();
        if (due > t) {
            usleep((useconds_t)(due - t) * 1000);
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    int nslow = 0, npoll = 0, max_s = 120, wait_ms = 1000, kib_s = 0, opt;
    while ((opt = getopt(argc, argv, "s:d:c:i:t:w:r:")) != -1) {
        switch (opt) {
        case 's': nslow = atoi(optarg); break;
        case 'd': s_slow_delay_ms = atoi(optarg); break;
        case 'c': npoll = atoi(optarg); break;
        case 'i': s_poll_gap_ms = atoi(optarg); break;
        case 't': max_s = atoi(optarg); break;
        case 'w': wait_ms = atoi(optarg); break;
        case 'r': kib_s = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (optind + 2 != argc || nslow < 0 || nslow > 64 || npoll < 0 || npoll > 64 || max_s < 1 ||
        s_slow_delay_ms < 1 || wait_ms < 0) {
        goto usage;
    }
    s_port = atoi(argv[optind]);
    if (s_port < 1 || s_port > 65535) {
        goto usage;
    }
    FILE *f = fopen(argv[optind + 1], "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "loadhttp: %s: %s\n", argv[optind + 1], strerror(errno));
        return 2;
    }
    size_t img_len = (size_t)st.st_size;
    char *img = malloc(img_len ? img_len : 1);
    s_lat = malloc(MAX_POLLS * sizeof *s_lat);
    s_lat_t0 = malloc(MAX_POLLS * sizeof *s_lat_t0);
    uint32_t *win = malloc(MAX_POLLS * sizeof *win);
    if (!img || !s_lat || !s_lat_t0 || !win || fread(img, 1, img_len, f) != img_len) {
        fprintf(stderr, "loadhttp: cannot read %s\n", argv[optind + 1]);
        return 2;
    }
    fclose(f);

    s_end_ms = now_ms() + (int64_t)max_s * 1000;
    pthread_t th[128];
    int nth = 0;
    for (int i = 0; i < nslow; i++) {
        pthread_create(&th[nth++], NULL, slow_client, NULL);
    }
    static unsigned seeds[64];
    for (int i = 0; i < npoll; i++) {
        seeds[i] = (unsigned)i + 1;
        pthread_create(&th[nth++], NULL, poller, &seeds[i]);
    }
    usleep((useconds_t)wait_ms * 1000);

    /* the upload, retried like a poll while the server refuses the connection */
    int64_t t0 = now_ms();
    int code = 0;
    while (!code && !stopping()) {
        int fd = dial(30000);
        if (fd < 0) {
            usleep(50000);
            continue;
        }
        char head[200];
        int hl = snprintf(head, sizeof head, "POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                          "application/octet-stream\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          img_len);
        if (send_all(fd, head, (size_t)hl) && send_paced(fd, img, img_len, kib_s)) {
            code = read_answer(fd);
        }
        close(fd);
    }
    int64_t t1 = now_ms();
    double up_s = (double)(t1 - t0) / 1000.0;
    usleep(1000000);
    atomic_store(&s_stop, true);
    for (int i = 0; i < nth; i++) {
        pthread_join(th[i], NULL);
    }
    size_t nwin = 0;
    for (size_t i = 0; i < s_nlat; i++) {
        if (s_lat_t0[i] >= t0 && s_lat_t0[i] <= t1) {
            win[nwin++] = s_lat[i];
        }
    }
    printf("{\"upload_status\": %d, \"upload_s\": %.3f, \"not_200\": %zu, \"open_at_stop_ms\": %u, "
           "\"reconnects\": %zu, \"slow_connections\": %lu, \"slow_cut\": %lu, ",
           code, up_s, s_not200, s_open_ms, s_retries, s_slow_conns, s_slow_cut);
    print_lat("all", s_lat, s_nlat);
    printf(", ");
    print_lat("upload_window", win, nwin);
    printf("}\n");
    free(img);
    free(s_lat);
    free(s_lat_t0);
    free(win);
    return 0;
usage:
    fprintf(stderr, "usage: loadhttp [-s N] [-d MS] [-c N] [-i MS] [-t S] [-w MS] [-r KIB] "
                    "PORT IMAGE\n");
    return 2;
}
