/* sota_bench: the measurements behind `make bench` (bench/run.sh runs them and prints the
 * table). Each subcommand prints "key value" lines on stdout, keys named as in
 * build/bench.json; progress and problems go to stderr.
 *
 *   sota_bench flash
 *       Projected device time of one update per strategy and size, from the flash
 *       emulator's operation counts and its GD25Q32C timing model (nor_projected_us).
 *   sota_bench upload --size N [--multipart] [--nosha] [--old]
 *       One POST /update through the component's own HTTP handler, in process, on the
 *       simulated device: prints the answer's status and the heap peak of the upload
 *       (counting allocator). Under callgrind the counters are zeroed just before the
 *       upload and dumped just after it ("upload" dump), so only the upload is counted.
 *   sota_bench throughput --sota PATH [--size N] [--reps R] [--tmp DIR]
 *       The same bytes posted R times to `sota sim` (a separate process, fresh flash)
 *       and to a handler that only reads and discards them (an httpd server in this
 *       process); prints the median of the per-repetition time ratios.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_alloc.h"
#include "bench_dev.h"
#include "bench_http.h"
#include "esp_http_server.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "imagegen.h"
#include "ota_internal.h"
#include "sota_host_httpd.h"
#include "sota_update.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_CG_ZERO() CALLGRIND_ZERO_STATS
#define BENCH_CG_DUMP() CALLGRIND_DUMP_STATS_AT("upload")
#endif
#endif
#ifndef BENCH_CG_ZERO
#define BENCH_CG_ZERO() ((void)0)
#define BENCH_CG_DUMP() ((void)0)
#endif

#define CHUNK 4096u  /* what httpd hands the upload handler per receive */

static const struct {
    const char *key;
    uint32_t len;
} s_sizes[] = {
    { "256k", 256u * 1024u },
    { "1000k", 1000u * 1024u },
};

/* --- projected device time -------------------------------------------------------- */

typedef enum { ST_OURS, ST_OURS_BLANK, ST_WHOLE_SLOT, ST_SEQUENTIAL, ST_RESUMED_90, ST_RESTART_90 } strategy_t;

static const char *const s_strategy_key[] = { "ours", "ours_blank", "whole_slot", "sequential", "resumed_90",
                                              "restart_90" };

/* This project's update session over the component's writer, fed 4 KiB at a time. With
 * cut, the connection is lost after that many bytes: resume continues the kept session
 * from its offset (POST /update with Content-Range); else the session is released as
 * an aborted upload and the whole file is sent again (no resume). */
static void run_ours_cut(const uint8_t *img, size_t len, size_t cut, bool resume)
{
    softap_ota_config_t c = SOFTAP_OTA_CONFIG_DEFAULT();
    ota_writer_t w;
    sota_update_cfg_t cfg;
    if (ota_writer_target(&w, &c, &cfg) != ESP_OK) {
        bench_die("ota_writer_target failed");
    }
    cfg.announced_len = len;
    cfg.announced_exact = true;
    sota_update_t *u = malloc(sizeof *u);
    if (!u) {
        bench_die("out of memory");
    }
    sota_update_init(u, &cfg, &ota_writer_ops, &w);
    for (size_t off = 0; off < len;) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (cut > off && cut < off + n) {
            n = cut - off;
        }
        if (sota_update_feed(u, img + off, n) != SOTA_UPDATE_OK) {
            bench_die("update session refused the image: %s", u->msg);
        }
        off += n;
        if (off == cut && resume) {
            if (sota_update_resume_check(u, off, len, u->head_sha) != SOTA_UPDATE_OK) {
                bench_die("the kept session refused its own resume");
            }
            off = sota_update_offset(u);
            cut = 0;
        } else if (off == cut) {
            sota_update_cancel(u, "bench: connection lost");
            if (ota_writer_target(&w, &c, &cfg) != ESP_OK) {
                bench_die("ota_writer_target failed");
            }
            cfg.announced_len = len;
            cfg.announced_exact = true;
            sota_update_init(u, &cfg, &ota_writer_ops, &w);
            off = 0;
            cut = 0;
        }
    }
    if (sota_update_finish(u) != SOTA_UPDATE_OK) {
        bench_die("update session failed: %s", u->msg);
    }
    free(u);
}

static void run_ours(const uint8_t *img, size_t len)
{
    run_ours_cut(img, len, 0, false);
}

/* What a minimal updater does with ESP-IDF's OTA API: begin, esp_ota_write per 4 KiB
 * received, end, select. The host port has only esp_ota_write_with_offset (what the
 * product calls), so the same bytes go there at their offsets, and the flash sees what
 * esp_ota_write would do:
 *   whole_slot  esp_ota_begin(OTA_SIZE_UNKNOWN) erases the slot, the writes program it;
 *   sequential  esp_ota_begin(OTA_WITH_SEQUENTIAL_WRITES) erases nothing and each
 *               esp_ota_write erases the sectors it reaches first. Replayed here: begin
 *               with one sector (it erases that one), then each later chunk's sectors
 *               erased (esp_partition_erase_range) just before it is written. */
static void run_reference(const uint8_t *img, size_t len, bool sequential)
{
    const esp_partition_t *p = esp_ota_get_next_update_partition(NULL);
    esp_ota_handle_t h;
    esp_err_t err = p ? esp_ota_begin(p, sequential ? CHUNK : OTA_SIZE_UNKNOWN, &h) : ESP_ERR_NOT_FOUND;
    for (size_t off = 0; err == ESP_OK && off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (sequential && off > 0) {
            size_t sector = p->erase_size;
            err = esp_partition_erase_range(p, off, (n + sector - 1) / sector * sector);
        }
        if (err == ESP_OK) {
            err = esp_ota_write_with_offset(h, img + off, n, (uint32_t)off);
        }
    }
    if (err == ESP_OK) {
        err = esp_ota_end(h);
    }
    if (err == ESP_OK) {
        err = esp_ota_set_boot_partition(p);
    }
    if (err != ESP_OK) {
        bench_die("reference OTA sequence failed: %s", esp_err_to_name(err));
    }
}

static int cmd_flash(void)
{
    for (size_t si = 0; si < sizeof s_sizes / sizeof s_sizes[0]; si++) {
        uint32_t len = s_sizes[si].len;
        uint8_t *img, *old;
        size_t img_len, old_len;
        bench_image(len, BENCH_NEW_VER, 2, true, &img, &img_len);
        /* the slot holds the previous release, of the same size */
        bench_image(len, BENCH_OLD_VER, 3, true, &old, &old_len);
        for (int s = ST_OURS; s <= ST_RESTART_90; s++) {
            nor_flash_t *f = bench_dev_on(s == ST_OURS_BLANK ? NULL : old, old_len, NULL);
            nor_reset_stats(f);
            switch ((strategy_t)s) {
            case ST_OURS:
            case ST_OURS_BLANK:
                run_ours(img, img_len);
                break;
            case ST_WHOLE_SLOT:
                run_reference(img, img_len, false);
                break;
            case ST_SEQUENTIAL:
                run_reference(img, img_len, true);
                break;
            case ST_RESUMED_90:
            case ST_RESTART_90:
                run_ours_cut(img, img_len, img_len * 9 / 10, s == ST_RESUMED_90);
                break;
            }
            nor_stats_t st;
            nor_stats(f, &st);
            printf("projected_s.%s.%s %.3f\n", s_strategy_key[s], s_sizes[si].key,
                   (double)nor_projected_us(&st) / 1e6);
            fprintf(stderr, "  %-10s %-5s: %3llu block erases, %3llu sector erases, %5llu page programs, "
                    "%8llu bytes read\n", s_strategy_key[s], s_sizes[si].key,
                    (unsigned long long)st.block_erases, (unsigned long long)st.sector_erases,
                    (unsigned long long)st.page_programs, (unsigned long long)st.bytes_read);
            bench_dev_off();
        }
        free(img);
        free(old);
    }
    return 0;
}

/* --- one upload through the component's HTTP handler ------------------------------- */

/* esp_restart after a successful update: the bench has what it needs; park the timer
 * task that called it until the process exits. */
static void park_on_restart(void *ctx)
{
    (void)ctx;
    for (;;) {
        pause();
    }
}

static uint32_t parse_size(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end == 'k' || *end == 'K') {
        v *= 1024, end++;
    }
    if (*s == '\0' || *end != '\0' || v == 0 || v > IMAGEGEN_MAX_SIZE) {
        bench_die("bad size '%s' (bytes, or N k)", s);
    }
    return (uint32_t)v;
}

static int cmd_upload(int argc, char **argv)
{
    uint32_t size = 0;
    bool multipart = false, nosha = false, old = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = parse_size(argv[++i]);
        } else if (!strcmp(argv[i], "--multipart")) {
            multipart = true;
        } else if (!strcmp(argv[i], "--nosha")) {
            nosha = true;
        } else if (!strcmp(argv[i], "--old")) {
            old = true;
        } else {
            bench_die("upload: unknown argument '%s'", argv[i]);
        }
    }
    if (!size) {
        bench_die("upload: --size is required");
    }
    bench_alloc_hook_cjson();
    esp_log_level_set("*", ESP_LOG_ERROR);

    uint8_t *img, *prev = NULL;
    size_t img_len, prev_len = 0;
    bench_image(size, BENCH_NEW_VER, 2, !nosha, &img, &img_len);
    if (old) {
        bench_image(size, BENCH_OLD_VER, 3, true, &prev, &prev_len);
    }
    bench_dev_on(prev, prev_len, park_on_restart);
    free(prev);

    /* the updater as softap_ota_start() sets it up, without the access point */
    softap_ota_config_t cfg = SOFTAP_OTA_CONFIG_DEFAULT();
    cfg.start_ap = false;
    cfg.http_port = 0; /* host: any free port */
    cfg.policy.require_sha256 = !nosha;
    httpd_handle_t h = NULL;
    if (ota_state_init(&cfg) != ESP_OK || ota_http_start(ota_state_config(), &h) != ESP_OK) {
        bench_die("the updater's HTTP server did not start");
    }
    uint16_t port = httpd_host_port(h);

    bench_body_t body = { { NULL, img, NULL }, { 0, img_len, 0 } };
    if (multipart) {
        body.p[0] = BENCH_MP_HEAD, body.n[0] = strlen(BENCH_MP_HEAD);
        body.p[2] = BENCH_MP_TAIL, body.n[2] = strlen(BENCH_MP_TAIL);
    }
    size_t body_len = body.n[0] + body.n[1] + body.n[2];

    bench_resp_t r;
    size_t base = bench_alloc_live();
    bench_alloc_reset_peak();
    BENCH_CG_ZERO();
    bench_http_post(port, "/update", multipart ? BENCH_MP_CTYPE : "application/octet-stream", &body, &r);
    BENCH_CG_DUMP();
    size_t peak = bench_alloc_peak() - base;

    printf("status %d\nbody_bytes %zu\nheap_peak_bytes %zu\n", r.status, body_len, peak);
    if (r.status != 200) {
        fprintf(stderr, "sota_bench: upload answered %d: %s\n", r.status, r.body);
    }
    fflush(NULL);
    _exit(r.status == 200 ? 0 : 1); /* the server's tasks are still running */
}

/* --- host throughput: the simulator against a discarding handler ------------------- */

static esp_err_t discard_post(httpd_req_t *req)
{
    static char buf[CHUNK]; /* one request at a time */
    size_t left = req->content_len;
    while (left > 0) {
        int n = httpd_req_recv(req, buf, left < sizeof buf ? left : sizeof buf);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            continue;
        }
        if (n <= 0) {
            return ESP_FAIL;
        }
        left -= (size_t)n;
    }
    httpd_resp_set_type(req, "application/json");
    return httpd_resp_send(req, "{\"ok\":true}", HTTPD_RESP_USE_STRLEN);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Start `sota sim` on a fresh flash file; returns its pid once it answers. */
static pid_t start_sim(const char *sota, const char *tmp, uint16_t port)
{
    char flash[1024], nvs[1100], log[1024], portstr[8];
    snprintf(flash, sizeof flash, "%s/sim_flash.bin", tmp);
    snprintf(nvs, sizeof nvs, "%s.nvs", flash);
    snprintf(log, sizeof log, "%s/sim.log", tmp);
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    unlink(flash);
    unlink(nvs);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        bench_die("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0) {
            _exit(127);
        }
        execl(sota, "sota", "sim", "--flash", flash, "--port", portstr, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1500; i++) { /* up to 30 s */
        bench_resp_t r;
        if (bench_http_get(port, "/api/status", &r) == 200) {
            return pid;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            bench_die("`%s sim` exited before answering; see %s", sota, log);
        }
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    bench_die("`%s sim` did not answer on port %u within 30 s; see %s", sota, (unsigned)port, log);
}

/* The simulator keeps nothing the bench needs: stop it at once. */
static void stop_sim(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Seconds of one post of body to the discard handler: the median of three. */
static double discard_seconds(uint16_t port, const bench_body_t *body)
{
    double t[3];
    for (int i = 0; i < 3; i++) {
        bench_resp_t r;
        if (bench_http_post(port, "/discard", "application/octet-stream", body, &r) != 200) {
            bench_die("the discard server answered %d", r.status);
        }
        t[i] = r.seconds;
    }
    qsort(t, 3, sizeof t[0], cmp_double);
    return t[1];
}

static int cmd_throughput(int argc, char **argv)
{
    const char *sota = NULL, *tmp = "/tmp";
    uint32_t size = 1000u * 1024u;
    int reps = 11;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--sota") && v) {
            sota = v, i++;
        } else if (!strcmp(argv[i], "--tmp") && v) {
            tmp = v, i++;
        } else if (!strcmp(argv[i], "--size") && v) {
            size = parse_size(v), i++;
        } else if (!strcmp(argv[i], "--reps") && v) {
            reps = atoi(v), i++;
        } else {
            bench_die("throughput: unknown argument '%s'", argv[i]);
        }
    }
    if (!sota || reps < 1 || reps > 99) {
        bench_die("throughput: --sota PATH is required, --reps 1..99");
    }
    signal(SIGPIPE, SIG_IGN);
    esp_log_level_set("*", ESP_LOG_ERROR);

    uint8_t *img;
    size_t img_len;
    bench_image(size, BENCH_NEW_VER, 2, true, &img, &img_len);
    bench_body_t body = { { NULL, img, NULL }, { 0, img_len, 0 } };

    httpd_config_t hc = HTTPD_DEFAULT_CONFIG();
    hc.server_port = 0;
    hc.stack_size = 8192;
    httpd_handle_t h = NULL;
    httpd_uri_t uri = { .uri = "/discard", .method = HTTP_POST, .handler = discard_post };
    if (httpd_start(&h, &hc) != ESP_OK || httpd_register_uri_handler(h, &uri) != ESP_OK) {
        bench_die("the discard server did not start");
    }
    uint16_t dport = httpd_host_port(h);
    bench_resp_t r;
    discard_seconds(dport, &body); /* warm-up */

    double ratios[99];
    for (int i = 0; i < reps; i++) {
        uint16_t port = bench_free_port();
        pid_t pid = start_sim(sota, tmp, port);
        for (int k = 0; k < 3; k++) { /* warm the simulator's server path */
            bench_http_get(port, "/api/status", &r);
        }
        double t_discard = discard_seconds(dport, &body);
        int status = bench_http_post(port, "/update", "application/octet-stream", &body, &r);
        stop_sim(pid);
        if (status != 200) {
            bench_die("the simulator answered %d to the upload: %s", status, r.body);
        }
        ratios[i] = r.seconds / t_discard;
        fprintf(stderr, "  repetition %d: simulator %.1f ms / discard %.2f ms = %.2f\n", i + 1,
                r.seconds * 1e3, t_discard * 1e3, ratios[i]);
    }
    qsort(ratios, (size_t)reps, sizeof ratios[0], cmp_double);
    double median = reps % 2 ? ratios[reps / 2] : (ratios[reps / 2 - 1] + ratios[reps / 2]) / 2;
    printf("host_upload_ratio %.2f\n", median);
    httpd_stop(h);
    free(img);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: sota_bench flash\n"
                 "       sota_bench upload --size N [--multipart] [--nosha] [--old]\n"
                 "       sota_bench throughput --sota PATH [--size N] [--reps R] [--tmp DIR]\n"
                 "Measurements for `make bench` (bench/run.sh prints the table).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "flash")) {
        return cmd_flash();
    } else if (!strcmp(argv[1], "upload")) {
        return cmd_upload(argc - 2, argv + 2);
    } else if (!strcmp(argv[1], "throughput")) {
        return cmd_throughput(argc - 2, argv + 2);
    } else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
