/* sota push: send a firmware file to a device (or the simulator) over its HTTP API, the
 * way a developer does after idf.py build: pre-check, upload with a progress bar,
 * resume by itself after a dropped connection, then wait until the device runs the new
 * version. HTTP through libcurl. Exit 0 only when the new version runs. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "cli_file.h"
#include "cmds.h"
#include "sota_sha256.h"
#include "sota_update.h"

#define PUSH_MAX_LOSSES   8      /* connection losses before giving up */
#define PUSH_BODY_MAX     65536  /* the longest answer kept */
#define PUSH_CHECK_LEN    8448u  /* what POST /api/check takes at most: the device's head */

typedef struct {
    CURL *curl;
    char base[512];             /* URL without a trailing '/' */
    const char *user, *password;
    bool tty;                   /* progress bar on stderr */
    /* the file */
    const uint8_t *data;
    size_t len;
    char proof[2 * SOTA_SHA256_LEN + 1];
    /* progress of the current attempt */
    size_t from;
    double t0, last_draw;
    int last_step;
} push_t;

typedef struct {
    char *p;
    size_t n;
} body_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sota push [--resume] [--user U --password P] [--wait S] URL FILE\n"
            "\n"
            "Send FILE (an app .bin) to the updater at URL (http://192.168.4.1, or a simulator's\n"
            "http://127.0.0.1:8080): ask the device whether it takes the file (POST /api/check;\n"
            "skipped on a device without it), upload it with a progress bar, resume by itself\n"
            "when the connection drops, then wait until the device runs the new version.\n"
            "\n"
            "  --resume        continue an upload of FILE that the device keeps from an earlier,\n"
            "                  interrupted run (see resume in /api/status), instead of starting over\n"
            "  --user U --password P   HTTP Basic authentication\n"
            "  --wait S        how long to wait for the new version to run (default 90 s)\n"
            "\n"
            "Exit status: 0 the new version runs; 1 refused, rolled back, or not confirmed in\n"
            "time (the message says which); 2 usage.\n"
            "Typical use: idf.py build && sota push http://192.168.4.1 build/app.bin\n");
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    body_t *b = ctx;
    size_t n = size * nmemb;
    if (b->n + n > PUSH_BODY_MAX) {
        return n; /* keep the start of a runaway answer */
    }
    char *q = realloc(b->p, b->n + n + 1);
    if (!q) {
        return 0;
    }
    memcpy(q + b->n, ptr, n);
    b->p = q;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

/* One request. Returns the HTTP status, or 0 when no answer came (*cc says why). The
 * answer's JSON goes to *json (NULL if none; caller frees). */
static long request(push_t *p, const char *path, const uint8_t *body, size_t len, struct curl_slist *hdrs,
                    long timeout_s, bool progress, cJSON **json, CURLcode *cc)
{
    CURL *c = p->curl;
    char url[640];
    snprintf(url, sizeof url, "%s%s", p->base, path);
    body_t b = { NULL, 0 };
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (timeout_s) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    }
    /* a stalled transfer (device gone, phone out of range) counts as a lost connection */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    if (p->user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, p->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, p->password ? p->password : "");
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (hdrs) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    if (progress) {
        /* an upload on its own connection: libcurl silently re-sends a request whose reused
         * connection died, which would start a second upload beside the interrupted one */
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    *cc = curl_easy_perform(c);
    long status = 0;
    if (*cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    *json = b.p ? cJSON_Parse(b.p) : NULL;
    free(b.p);
    return status;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static long get_status(push_t *p, cJSON **json, CURLcode *cc)
{
    return request(p, "/api/status", NULL, 0, NULL, 5, false, json, cc);
}

/* --- progress ------------------------------------------------------------------------ */

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    push_t *p = ctx;
    double t = now_s();
    size_t done = p->from + (size_t)ulnow;
    int pct = p->len ? (int)(100.0 * (double)done / (double)p->len) : 100;
    if (!p->tty) {
        int step = pct / 10;
        if (step > p->last_step) {
            p->last_step = step;
            fprintf(stderr, "sota push: %d %% sent (%zu of %zu bytes)\n", pct, done, p->len);
        }
        return 0;
    }
    if (t - p->last_draw < 0.2 && done < p->len) {
        return 0;
    }
    p->last_draw = t;
    double el = t - p->t0;
    double speed = el > 0.05 ? (double)ulnow / el : 0;
    double left = speed > 0 ? (double)(p->len - done) / speed : 0;
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++) {
        bar[i] = i < fill ? '#' : '-';
    }
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %3d %%  %7.1f/%.1f KiB  %7.1f KiB/s  %2d:%02d left ", bar, pct, done / 1024.0,
            p->len / 1024.0, speed / 1024.0, (int)left / 60, (int)left % 60);
    return 0;
}

static void end_progress_line(push_t *p)
{
    if (p->tty) {
        fputc('\n', stderr);
    }
}

/* --- steps --------------------------------------------------------------------------- */

/* POST /api/check?size=N with the first bytes. 0: go on (ok, or a device without the
 * endpoint); 1: refused (printed). */
static int precheck(push_t *p)
{
    char path[64];
    snprintf(path, sizeof path, "/api/check?size=%zu", p->len);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    size_t n = p->len < PUSH_CHECK_LEN ? p->len : PUSH_CHECK_LEN;
    cJSON *j = NULL;
    CURLcode cc;
    long st = request(p, path, p->data, n, h, 20, false, &j, &cc);
    curl_slist_free_all(h);
    int rc = 0;
    if (st == 0) {
        fprintf(stderr, "sota push: %s%s: %s; is the device's access point joined?\n", p->base, path,
                curl_easy_strerror(cc));
        rc = 1;
    } else if (st == 404 || st == 405 || st == 400) {
        printf("pre-check: not offered by this device (HTTP %ld): the upload itself will check the file\n", st);
    } else if (st == 200 && j && jstr(j, "verdict") && !strcmp(jstr(j, "verdict"), "ok")) {
        const char *pj = jstr(j, "project"), *vj = jstr(j, "version");
        if (pj && vj) {
            printf("pre-check: ok, %s %s\n", pj, vj);
        } else {
            printf("pre-check: ok\n");
        }
    } else {
        const char *m = j ? jstr(j, "message") : NULL;
        const char *a = j ? jstr(j, "advice") : NULL;
        fprintf(stderr, "sota push: the device refuses this file (HTTP %ld%s%s): %s%s%s\n", st,
                j && jstr(j, "error") ? " " : "", j && jstr(j, "error") ? jstr(j, "error") : "",
                m ? m : "no reason given", a ? "\n  " : "", a ? a : "");
        rc = 1;
    }
    cJSON_Delete(j);
    return rc;
}

/* One POST /update from byte `from`. Returns the HTTP status (0: the connection broke). */
static long send_from(push_t *p, size_t from, cJSON **json)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    h = curl_slist_append(h, "Expect:");
    char range[96], proof[96];
    if (from > 0) {
        snprintf(range, sizeof range, "Content-Range: bytes %zu-%zu/%zu", from, p->len - 1, p->len);
        snprintf(proof, sizeof proof, "X-Sota-Head-SHA256: %s", p->proof);
        h = curl_slist_append(h, range);
        h = curl_slist_append(h, proof);
    }
    p->from = from;
    p->t0 = now_s();
    p->last_draw = 0;
    p->last_step = (int)(10.0 * (double)from / (double)p->len);
    CURLcode cc;
    long st = request(p, "/update", p->data + from, p->len - from, h, 0, true, json, &cc);
    curl_slist_free_all(h);
    end_progress_line(p);
    if (st == 0) {
        fprintf(stderr, "sota push: %s\n", curl_easy_strerror(cc));
    }
    return st;
}

/* After a lost connection: wait (with back-off) until the device answers /api/status
 * again and has noticed the loss itself (it no longer says "receiving": a stalled
 * connection takes it up to its receive timeouts). Returns its status JSON, or NULL
 * when it stayed silent. */
static cJSON *wait_device(push_t *p)
{
    double delay = 0.2;
    for (int i = 0; i < 16; i++) {
        cJSON *j = NULL;
        CURLcode cc;
        long st = get_status(p, &j, &cc);
        const char *state = j ? jstr(j, "update_state") : NULL;
        if (st == 200 && j && (!state || strcmp(state, "receiving") != 0)) {
            return j;
        }
        cJSON_Delete(j);
        if (st == 401 || st == 429) {
            fprintf(stderr, "sota push: the device answers %ld to /api/status: check --user/--password\n", st);
            return NULL;
        }
        usleep((useconds_t)(delay * 1e6));
        delay = delay * 2 > 8 ? 8 : delay * 2;
    }
    fprintf(stderr, "sota push: the device did not answer /api/status for about a minute\n");
    return NULL;
}

/* The upload, resumed after every lost connection. Returns 0 with the answer's JSON in
 * *done (or NULL when the answer itself was lost but the device has every byte), or 1
 * (printed). */
static int upload(push_t *p, size_t from, bool from_status, cJSON **done)
{
    *done = NULL;
    int losses = 0;
    for (;;) {
        cJSON *j = NULL;
        long st = send_from(p, from, &j);
        if (st == 200) {
            *done = j;
            return 0;
        }
        const char *err = j ? jstr(j, "error") : NULL;
        if (st == 416 && err && !strcmp(err, "wrong_offset") && ++losses <= PUSH_MAX_LOSSES) {
            from = (size_t)jnum(j, "offset", 0); /* the device says where it is */
            cJSON_Delete(j);
            continue;
        }
        if (st == 416 && err && !strcmp(err, "nothing_to_resume") && ++losses <= PUSH_MAX_LOSSES) {
            printf("the device keeps no interrupted upload: starting over\n");
            from = 0;
            cJSON_Delete(j);
            continue;
        }
        if (st == 409 && from_status && err && (!strcmp(err, "different_file") || !strcmp(err, "wrong_total"))) {
            printf("the interrupted upload on the device is of another file: starting over\n");
            from = 0;
            from_status = false;
            cJSON_Delete(j);
            continue;
        }
        if (st != 0) {
            const char *m = j ? jstr(j, "message") : NULL;
            fprintf(stderr, "sota push: the device refused the upload (HTTP %ld%s%s): %s\n", st, err ? " " : "",
                    err ? err : "", m ? m : "no reason given");
            cJSON_Delete(j);
            return 1;
        }
        cJSON_Delete(j);
        /* the connection broke: find out where the device is, and go on from there */
        if (++losses > PUSH_MAX_LOSSES) {
            fprintf(stderr, "sota push: the connection was lost %d times: giving up. Move closer to the "
                    "device and run sota push --resume %s FILE within the device's resume timeout\n",
                    PUSH_MAX_LOSSES, p->base);
            return 1;
        }
        cJSON *s = wait_device(p);
        if (!s) {
            return 1;
        }
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "resume");
        const char *state = jstr(s, "update_state");
        if (cJSON_IsObject(r) && (size_t)jnum(r, "total", 0) == p->len) {
            size_t off = (size_t)jnum(r, "offset", 0);
            printf("connection lost at %d %%, resuming at byte %zu...\n", (int)(100.0 * (double)off / (double)p->len),
                   off);
            from = off;
            from_status = false;
        } else if (state && (!strcmp(state, "verifying") || !strcmp(state, "rebooting"))) {
            cJSON_Delete(s);
            printf("connection lost, but the device has every byte: waiting for it\n");
            return 0;
        } else {
            printf("connection lost; the device keeps nothing to resume: starting over\n");
            from = 0;
        }
        cJSON_Delete(s);
    }
}

/* Poll /api/status until the device runs `version` from `partition` (confirmed), or
 * reports that it rolled back, or wait_s pass. Returns 0 when it runs. */
static int wait_new_version(push_t *p, const char *project, const char *version, const char *partition,
                            double wait_s)
{
    double end = now_s() + wait_s;
    bool said_pending = false;
    char last[400] = "";
    while (now_s() < end) {
        cJSON *j = NULL;
        CURLcode cc;
        long st = get_status(p, &j, &cc);
        if (st == 200 && j) {
            const char *run = jstr(j, "running_partition"), *ver = jstr(j, "version"), *proj = jstr(j, "project");
            const char *rst = jstr(j, "running_state");
            const cJSON *lu = cJSON_GetObjectItemCaseSensitive(j, "last_update");
            bool runs = run && ver && proj && !strcmp(ver, version) && !strcmp(proj, project) &&
                        (!partition || !strcmp(run, partition));
            if (runs && rst && (!strcmp(rst, "pending_verify") || !strcmp(rst, "new"))) {
                if (!said_pending) {
                    printf("the device runs %s %s from %s, checking its health...\n", proj, ver, run);
                    said_pending = true;
                }
            } else if (runs) {
                printf("the device runs %s %s from %s (%s)\n", proj, ver, run, rst ? rst : "?");
                cJSON_Delete(j);
                return 0;
            } else if (cJSON_IsObject(lu) && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(lu, "ok"))) {
                fprintf(stderr, "sota push: %s %s does not run: %s\n", project, version,
                        jstr(lu, "message") ? jstr(lu, "message") : "the update failed");
                cJSON_Delete(j);
                return 1;
            }
            snprintf(last, sizeof last, "it runs %s %s from %s", proj ? proj : "?", ver ? ver : "?", run ? run : "?");
        }
        cJSON_Delete(j);
        usleep(300 * 1000);
    }
    fprintf(stderr, "sota push: the device did not report running %s %s within %.0f s%s%s (an app without "
            "the updater has no /api/status: check it on its serial console)\n",
            project, version, wait_s, last[0] ? ": " : "", last);
    return 1;
}

static void head_proof(push_t *p)
{
    sota_sha256_t h;
    uint8_t d[SOTA_SHA256_LEN];
    size_t n = p->len < SOTA_UPDATE_PROOF_LEN ? p->len : SOTA_UPDATE_PROOF_LEN;
    sota_sha256_start(&h);
    sota_sha256_update(&h, p->data, n);
    sota_sha256_finish(&h, d);
    for (size_t i = 0; i < sizeof d; i++) {
        snprintf(p->proof + 2 * i, 3, "%02x", d[i]);
    }
}

static int push_run(push_t *p, bool resume, double wait_s)
{
    cJSON *s = NULL;
    CURLcode cc;
    long st = get_status(p, &s, &cc);
    if (st != 200 || !s) {
        if (st == 0) {
            fprintf(stderr, "sota push: %s/api/status: %s; join the device's access point (\"ESP32 OTA "
                    "Update\") and check the URL\n", p->base, curl_easy_strerror(cc));
        } else {
            fprintf(stderr, "sota push: %s/api/status answered %ld%s\n", p->base, st,
                    st == 401 ? ": give --user and --password" : "");
        }
        cJSON_Delete(s);
        return 1;
    }
    printf("device: %s %s on %s, running from %s; writing to %s\n", jstr(s, "project") ? jstr(s, "project") : "?",
           jstr(s, "version") ? jstr(s, "version") : "?", jstr(s, "chip") ? jstr(s, "chip") : "?",
           jstr(s, "running_partition") ? jstr(s, "running_partition") : "?",
           jstr(s, "next_partition") ? jstr(s, "next_partition") : "?");
    size_t from = 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "resume");
    if (resume && cJSON_IsObject(r) && (size_t)jnum(r, "total", 0) == p->len) {
        from = (size_t)jnum(r, "offset", 0);
        printf("resuming the interrupted upload at byte %zu of %zu\n", from, p->len);
    } else if (resume) {
        printf("the device keeps no interrupted upload of a %zu-byte file: sending all of it\n", p->len);
    }
    cJSON_Delete(s);
    if (from == 0 && precheck(p)) {
        return 1;
    }
    cJSON *done = NULL;
    if (upload(p, from, from > 0, &done)) {
        return 1;
    }
    char project[64] = "", version[64] = "", partition[32] = "";
    if (done && jstr(done, "sha256")) {
        /* a filesystem image: written and read back; no app to wait for */
        printf("%s\n", jstr(done, "message") ? jstr(done, "message") : "written");
        if (jnum(done, "reboot_in_ms", 0) > 0) {
            printf("the device restarts so that nothing keeps the old filesystem mounted\n");
        }
        cJSON_Delete(done);
        return 0;
    }
    if (done) {
        snprintf(project, sizeof project, "%s", jstr(done, "project") ? jstr(done, "project") : "");
        snprintf(version, sizeof version, "%s", jstr(done, "version") ? jstr(done, "version") : "");
        snprintf(partition, sizeof partition, "%s", jstr(done, "partition") ? jstr(done, "partition") : "");
        printf("%s\n", jstr(done, "message") ? jstr(done, "message") : "uploaded");
        cJSON_Delete(done);
    } else {
        /* the answer was lost: the file's own app description says what must run */
        sota_app_desc_t d; /* after the 24-byte image header and the first segment's 8 */
        if (p->len >= 32 + SOTA_APP_DESC_LEN && sota_img_desc_decode(p->data + 32, &d)) {
            snprintf(project, sizeof project, "%s", d.project_name);
            snprintf(version, sizeof version, "%s", d.version);
        }
    }
    if (!project[0] || !version[0]) {
        fprintf(stderr, "sota push: the device took the file, but it names no project and version: "
                "cannot tell when it runs\n");
        return 1;
    }
    return wait_new_version(p, project, version, partition[0] ? partition : NULL, wait_s);
}

int sota_cmd_push(int argc, char **argv)
{
    bool resume = false;
    const char *user = NULL, *password = NULL, *url = NULL, *file = NULL;
    double wait_s = 90;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--resume")) {
            resume = true;
        } else if ((!strcmp(a, "--user") || !strcmp(a, "--password") || !strcmp(a, "--wait")) && v) {
            if (!strcmp(a, "--user")) {
                user = v;
            } else if (!strcmp(a, "--password")) {
                password = v;
            } else {
                char *end;
                wait_s = strtod(v, &end);
                if (*end || wait_s <= 0 || wait_s > 3600) {
                    fprintf(stderr, "sota push: --wait %s: expected seconds, 1..3600\n", v);
                    return 2;
                }
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sota push: unknown option %s\n\n", a);
            usage(stderr);
            return 2;
        } else if (!url) {
            url = a;
        } else if (!file) {
            file = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!url || !file || (password && !user)) {
        usage(stderr);
        return 2;
    }
    push_t p = { .user = user, .password = password, .tty = isatty(2) };
    snprintf(p.base, sizeof p.base, "%s", url);
    size_t bl = strlen(p.base);
    while (bl && p.base[bl - 1] == '/') {
        p.base[--bl] = '\0';
    }
    uint8_t *data = cli_read_file("push", file, &p.len);
    if (!data) {
        return 1;
    }
    if (p.len == 0) {
        fprintf(stderr, "sota push: %s is empty: pick the app .bin from your project's build/ folder\n", file);
        free(data);
        return 1;
    }
    p.data = data;
    head_proof(&p);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(p.curl = curl_easy_init())) {
        fprintf(stderr, "sota push: libcurl did not start\n");
        free(data);
        return 1;
    }
    int rc = push_run(&p, resume, wait_s);
    curl_easy_cleanup(p.curl);
    curl_global_cleanup();
    free(data);
    return rc;
}
