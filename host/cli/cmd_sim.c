/* `sota sim`: run the device on the host. The first run creates the flash file (the
 * partition table of partitions.csv at 0x8000 and the updater's own image in factory);
 * every run boots it through the bootloader simulator and runs the app: the same
 * app_main and component sources as the device, on the host port of ESP-IDF.
 * esp_restart() re-executes this command on the same flash file. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_file.h"
#include "cli_opts.h"
#include "cmds.h"
#include "idf_built.h"
#include "esp_log.h"
#include "imagegen.h"
#include "nvs_flash.h"
#include "ptable.h"
#include "sim_app.h"
#include "softap_ota.h"
#include "sota_policy.h"
#include "sota_sig.h"
#include "sota_host.h"
#include "sota_host_httpd.h"
#include "sota_host_idf.h"
#include "sota_host_net.h"
#include "sota_host_nvs.h"

#define SIM_PROJECT "softap-ota"
#define SIM_VERSION "0.1.0"

/* The upload rules' flags, made from core/sota_policy.h's table: "--" and the rule's name
 * with '-' for '_' (--refuse-downgrade turns refuse_downgrade on). require_signed is the
 * one rule whose option takes a value (--require-signed FILE, in the table of
 * sota_cmd_sim): it has no plain flag. */
static bool rule_is_flag(const sota_policy_rule_t *r)
{
    return r->offset != offsetof(softap_ota_policy_t, require_signed);
}

static const char *rule_flag(size_t i)
{
    static char flags[SOTA_POLICY_N_RULES][48];
    char *f = flags[i];
    if (!f[0]) {
        snprintf(f, sizeof flags[i], "--%s", sota_policy_rules[i].name);
        for (char *c = f + 2; *c; c++) {
            *c = *c == '_' ? '-' : *c;
        }
    }
    return f;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sota sim [--flash FILE] [--port N] [--chip C] [--chip-rev X.Y]\n"
            "                [--dns-port N] [--health ok|fail|hang] [--no-rollback]\n"
            "                [--ptable CSV] [--flash-encryption] [--flash-timing]\n"
            "                [--efuse-blk-rev X.Y] [--country CC] [--channel N] [--idf X.Y.Z]\n"
            "Run the updater on an emulated 4 MB flash and serve it on http://127.0.0.1:N.\n"
            "  --flash FILE   flash image (default build/flash.bin), created if missing\n"
            "  --port N       HTTP port (default 8080)\n"
            "  --chip C       esp32 (default), esp32s2, esp32s3, esp32c3, esp32c6, ...\n"
            "  --chip-rev X.Y chip revision (default: the chip's common one)\n"
            "  --dns-port N   answer captive-portal DNS on 127.0.0.1:N (default off)\n"
            "  --health H     the running app's health check: ok (default), fail (roll back\n"
            "                 at once), hang (never confirm: rolled back at the next reset)\n"
            "  --no-rollback  bootloader without CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE\n"
            "  --ptable CSV   partition table for a new flash (default partitions.csv)\n"
            "  --flash-encryption  the chip has flash encryption on: app partitions take\n"
            "                 whole aligned 16-byte writes, erased flash reads as noise\n"
            "  --efuse-blk-rev X.Y  the chip's eFuse block revision (default 0.0)\n"
            "  --flash-timing every erase and page program takes the chip's typical time\n"
            "                 (64 KiB block 250 ms, 4 KiB sector 50 ms, page 0.6 ms): an\n"
            "                 upload is about as slow as on a device\n"
            "  --country CC   the access point's Wi-Fi country (softap_ota_config_t.country;\n"
            "                 default: ESP-IDF's \"01\", channels 1..11)\n"
            "  --channel N    the access point's channel (default 1)\n"
            "  --idf X.Y.Z    behave like this ESP-IDF release (default: the newest modelled):\n"
            "                 5.0, 5.1, 5.2.0, 5.2.4, 5.3.1, 5.4.2, 5.5.2 or 6.0\n"
            "Overrides of the updater's Kconfig defaults (for tests):\n"
            "  --recv-timeout S  --max-timeouts N  --deadline S  --header-deadline S\n"
            "  --health-delay MS\n"
            "  --fail-task NAME  the first xTaskCreate of task NAME fails (out of memory)\n"
            "  --resume-timeout S (0: interrupted uploads are not kept for a resume)\n"
            "  --no-fs-reboot    no restart after a filesystem image is written (fs_reboot off)\n"
            "Faults (for tests):\n"
            "  --cut-upload N[,N...]  the k-th request body longer than the k-th N loses its\n"
            "                         connection after N bytes (a phone leaving the AP); again\n"
            "                         after every restart\n"
            "Who may update (all off by default):\n"
            "  --ap-password P          WPA2 access point (8..63 characters)\n"
            "  --auth USER:PASS         HTTP Basic authentication on the page, API and upload\n"
            "  --auth-attempts N        wrong logins before a lockout (default 5)\n"
            "  --auth-lockout S         first lockout in seconds (default 30)\n"
            "  --no-origin-check        accept uploads sent by other sites' pages\n"
            "  --require-signed FILE    accept only apps signed by the key whose digest FILE\n"
            "                           holds (32 bytes, or 64 hex digits); the device gets\n"
            "                           Secure Boot V2 with that key (esp_ota_end checks too)\n"
            "Upload policy rules (each turns its rule on; Kconfig's defaults stay on):\n");
    for (size_t i = 0; i < SOTA_POLICY_N_RULES; i++) {
        if (rule_is_flag(&sota_policy_rules[i])) {
            fprintf(out, "  %-30s %s\n", rule_flag(i), sota_policy_rules[i].help);
        }
    }
}

/* A new flash: table at 0x8000, the updater's image in factory. */
static int create_flash(const char *path, const char *csv_path, const sota_chip_t *chip)
{
    size_t csv_len;
    char *csv = (char *)cli_read_file("sim", csv_path, &csv_len);
    if (!csv) {
        return 1;
    }
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[256];
    static uint8_t bin[PT_MAX_LEN];
    int rc = pt_from_csv(csv, &o, &t, err, sizeof err);
    free(csv);
    if (rc || pt_to_bin(&t, &o, bin, err, sizeof err)) {
        fprintf(stderr, "sota sim: partition table %s: %s\n", csv_path, err);
        return 1;
    }
    const pt_entry_t *factory = pt_find(&t, PT_TYPE_APP, PT_SUBTYPE_FACTORY);
    if (!factory) {
        fprintf(stderr, "sota sim: %s has no factory app partition for the updater\n", csv_path);
        return 1;
    }
    imagegen_opts_t g;
    imagegen_defaults(&g);
    g.chip = chip;
    g.project = SIM_PROJECT;
    g.version = SIM_VERSION;
    g.size = 200 * 1024;
    g.seed = 1;
    uint8_t *img = NULL;
    size_t img_len = 0;
    if (imagegen_build(&g, &img, &img_len) != 0) {
        fprintf(stderr, "sota sim: could not build the factory image\n");
        return 1;
    }
    nor_err_t ne;
    nor_flash_t *f = nor_open(path, NOR_DEFAULT_SIZE, true, &ne);
    if (!f) {
        free(img);
        fprintf(stderr, "sota sim: cannot create %s: %s\n", path, nor_strerror(ne));
        return 1;
    }
    ne = nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin);
    if (ne == NOR_OK) {
        ne = nor_load(f, factory->offset, img, img_len);
    }
    nor_close(f);
    free(img);
    if (ne != NOR_OK) {
        fprintf(stderr, "sota sim: writing %s failed: %s\n", path, nor_strerror(ne));
        return 1;
    }
    fprintf(stderr, "sota sim: created %s (table %s, factory: %s %s for %s)\n", path, csv_path,
            SIM_PROJECT, SIM_VERSION, chip->name);
    return 0;
}

/* A key digest file: 32 raw bytes, or 64 hex digits (and optional whitespace). */
static int read_key_digest(const char *path, uint8_t out[SOTA_SIG_DIGEST_LEN], char hex[2 * SOTA_SIG_DIGEST_LEN + 1])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sota sim: --require-signed %s: %s\n", path, strerror(errno));
        return -1;
    }
    char buf[200];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    sota_sig_key_t k;
    if (n == SOTA_SIG_DIGEST_LEN) {
        memcpy(k.d, buf, SOTA_SIG_DIGEST_LEN);
    } else {
        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) {
            buf[--n] = '\0';
        }
        if (!sota_sig_key_from_hex(buf, &k)) {
            fprintf(stderr, "sota sim: --require-signed %s: expected 32 bytes (espsecure.py "
                    "digest_sbv2_public_key) or 64 hex digits\n", path);
            return -1;
        }
    }
    memcpy(out, k.d, SOTA_SIG_DIGEST_LEN);
    sota_sig_key_to_hex(&k, hex);
    return 0;
}

/* The pid holding a flock() on the file with inode `ino`, from /proc/locks, or 0. */
static long flock_holder(ino_t ino)
{
    FILE *f = fopen("/proc/locks", "r");
    if (!f) {
        return 0;
    }
    char line[256];
    long pid = 0;
    while (!pid && fgets(line, sizeof line, f)) {
        /* "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF" */
        char kind[16];
        long p;
        unsigned long long i;
        if (sscanf(line, "%*d: %15s %*s %*s %ld %*x:%*x:%llu", kind, &p, &i) == 3 &&
            !strcmp(kind, "FLOCK") && i == (unsigned long long)ino) {
            pid = p;
        }
    }
    fclose(f);
    return pid;
}

/* Hold an exclusive lock on the flash file for as long as this simulator runs (the
 * descriptor closes at esp_restart()'s exec, and the new image locks again): two
 * simulators on one file would overwrite each other's slots. */
static int lock_flash(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "sota sim: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        return 0; /* fd stays open: the lock lives as long as the process image */
    }
    int e = errno;
    struct stat st;
    long pid = fstat(fd, &st) == 0 ? flock_holder(st.st_ino) : 0;
    close(fd);
    if (e == EWOULDBLOCK) {
        if (pid > 0) {
            fprintf(stderr, "sota sim: %s is in use by another simulator (pid %ld): stop it, or give "
                    "this one its own file with --flash FILE\n", path, pid);
        } else {
            fprintf(stderr, "sota sim: %s is in use by another simulator: stop it, or give this one "
                    "its own file with --flash FILE\n", path);
        }
    } else {
        fprintf(stderr, "sota sim: cannot lock %s: %s\n", path, strerror(e));
    }
    return -1;
}

/* Whether the HTTP server will be able to listen on 127.0.0.1:port (as it binds: with
 * SO_REUSEADDR); says why not. */
static bool port_usable(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "sota sim: cannot create a socket: %s\n", strerror(errno));
        return false;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (rc == 0) {
        return true;
    }
    if (e == EADDRINUSE) {
        fprintf(stderr, "sota sim: port %u is in use (another simulator or program listens on it): "
                "stop it, or choose another port with --port N\n", (unsigned)port);
    } else {
        fprintf(stderr, "sota sim: cannot listen on 127.0.0.1:%u: %s%s\n", (unsigned)port, strerror(e),
                e == EACCES ? " (ports below 1024 need privileges: choose another with --port N)" : "");
    }
    return false;
}

static int parse_port(const char *s, uint16_t *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 65535) {
        return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

/* --idf: run the simulator build of that release (build/sota-idf-X.Y.Z beside this
 * program; plain sota is the newest). Returns only on an error (exit code) or when this
 * build is the one asked for (0). */
static int select_release(int argc, char **argv)
{
    const char *want = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--idf")) {
            want = argv[i + 1];
        }
    }
    char name[16];
    uint32_t rel = sota_idf_built;
    if (want && (!sota_host_idf_parse(want, &rel) || !sota_host_idf_is_modelled(rel))) {
        size_t n;
        const uint32_t *all = sota_host_idf_modelled(&n);
        fprintf(stderr, "sota sim: --idf %s: not a modelled ESP-IDF release; choose one of:", want);
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, " %s", sota_host_idf_str(all[i], name, sizeof name));
        }
        fprintf(stderr, "\n");
        return 2;
    }
    if (rel == sota_idf_built) {
        sota_host_idf_set_release(rel);
        return 0;
    }
    size_t n;
    const uint32_t *all = sota_host_idf_modelled(&n);
    char self[4096], path[4200];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "sota sim: cannot find this program's directory: %s\n", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    if (rel == all[n - 1]) {
        snprintf(path, sizeof path, "%s/sota", self);
    } else {
        snprintf(path, sizeof path, "%s/sota-idf-%s", self, sota_host_idf_str(rel, name, sizeof name));
    }
    char *args[128];
    int k = 0;
    args[k++] = "sota";
    for (int i = 0; i < argc && k < 127; i++) {
        args[k++] = argv[i];
    }
    args[k] = NULL;
    execv(path, args);
    fprintf(stderr, "sota sim: --idf %s: cannot run %s (%s): build it with make (it builds one "
            "simulator per modelled release)\n", want, path, strerror(errno));
    return 1;
}

/* "N[,N...]": 1..8 positive byte counts. Returns 0, or -1 (cuts unchanged). */
static int parse_cuts(const char *v, uint64_t *cuts, size_t *n)
{
    uint64_t tmp[8];
    size_t k = 0;
    const char *p = v;
    for (;;) {
        char *end;
        unsigned long long x = strtoull(p, &end, 10);
        if (end == p || x == 0 || *p == '-' || *p == '+' || k == 8) {
            return -1;
        }
        tmp[k++] = x;
        if (*end == '\0') {
            break;
        }
        if (*end != ',') {
            return -1;
        }
        p = end + 1;
    }
    memcpy(cuts, tmp, k * sizeof *tmp);
    *n = k;
    return 0;
}

/* --- the options (one table; their CLI_FN parsers) ------------------------------------- */

typedef struct {
    const char *flash, *csv, *idf, *fail_task, *auth;
    const sota_chip_t *chip;
    long chip_rev, efuse_blk_rev, port, dns_port, channel;
    long recv_timeout, max_timeouts, deadline, header_deadline, auth_attempts, auth_lockout;
    bool no_rollback, flash_encryption, flash_timing;
    uint64_t cuts[8];
    size_t ncuts;
    sim_app_opts_t app;
    uint8_t sb_digest[SOTA_SIG_DIGEST_LEN];
    char sb_hex[2 * SOTA_SIG_DIGEST_LEN + 1];
    char auth_user[64];
} sim_opts_t;

static int opt_chip(const char *cmd, const char *name, const char *v, void *dest)
{
    (void)name;
    *(const sota_chip_t **)dest = sota_chip_by_name(v);
    if (!*(const sota_chip_t **)dest) {
        fprintf(stderr, "sota %s: unknown chip '%s'\n", cmd, v);
        return 2;
    }
    return 0;
}

static int opt_rev(const char *cmd, const char *name, const char *v, void *dest)
{
    long rev = sota_chip_parse_rev(v);
    if (rev < 0) {
        fprintf(stderr, "sota %s: %s %s: expected X.Y, e.g. %s\n", cmd, name, v,
                strcmp(name, "--chip-rev") ? "1.0" : "3.0");
        return 2;
    }
    *(long *)dest = rev;
    return 0;
}

static int opt_port(const char *cmd, const char *name, const char *v, void *dest)
{
    uint16_t port;
    if (parse_port(v, &port)) {
        fprintf(stderr, "sota %s: %s %s: expected a port number 1..65535\n", cmd, name, v);
        return 2;
    }
    *(long *)dest = port;
    return 0;
}

static int opt_cuts(const char *cmd, const char *name, const char *v, void *dest)
{
    sim_opts_t *o = dest;
    if (parse_cuts(v, o->cuts, &o->ncuts)) {
        fprintf(stderr, "sota %s: %s %s: expected up to 8 byte counts, e.g. 40000,90000\n", cmd, name, v);
        return 2;
    }
    return 0;
}

static int opt_country(const char *cmd, const char *name, const char *v, void *dest)
{
    if (strlen(v) != 2) {
        fprintf(stderr, "sota %s: %s %s: expected a two-letter country code "
                "(e.g. DE, US, JP) or 01 (world safe mode)\n", cmd, name, v);
        return 2;
    }
    *(const char **)dest = v;
    return 0;
}

static int opt_auth(const char *cmd, const char *name, const char *v, void *dest)
{
    sim_opts_t *o = dest;
    const char *colon = strchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof o->auth_user) {
        fprintf(stderr, "sota %s: %s: expected USER:PASSWORD\n", cmd, name);
        return 2;
    }
    memcpy(o->auth_user, v, (size_t)(colon - v));
    o->auth_user[colon - v] = '\0';
    o->app.http_user = o->auth_user;
    o->app.http_password = colon + 1;
    return 0;
}

static int opt_signed(const char *cmd, const char *name, const char *v, void *dest)
{
    (void)cmd, (void)name;
    sim_opts_t *o = dest;
    if (read_key_digest(v, o->sb_digest, o->sb_hex) != 0) {
        return 2;
    }
    o->app.policy.require_signed = true;
    o->app.signing_key_digest = o->sb_hex;
    return 0;
}

static int opt_health(const char *cmd, const char *name, const char *v, void *dest)
{
    static const char *const names[] = { [SIM_HEALTH_OK] = "ok", [SIM_HEALTH_FAIL] = "fail",
                                         [SIM_HEALTH_HANG] = "hang" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(v, names[i])) {
            *(sim_health_t *)dest = (sim_health_t)i;
            return 0;
        }
    }
    fprintf(stderr, "sota %s: %s %s: expected ok, fail or hang\n", cmd, name, v);
    return 2;
}

static int opt_fail_task(const char *cmd, const char *name, const char *v, void *dest)
{
    (void)cmd, (void)name, (void)dest;
    sota_host_fail_task_create(v, 1);
    return 0;
}

/* The command line into *o (its defaults set by the caller): 0, CLI_OPTS_HELP after
 * --help, or the exit status of a bad command line. */
static int parse_sim_opts(sim_opts_t *o, int argc, char **argv)
{
    sim_app_opts_t *app = &o->app;
    const cli_opt_t fixed[] = {
        { "--flash", CLI_STR, &o->flash, 0, 0, NULL },
        { "--ptable", CLI_STR, &o->csv, 0, 0, NULL },
        { "--idf", CLI_STR, &o->idf, 0, 0, NULL }, /* select_release, above */
        { "--port", CLI_FN, &o->port, 0, 0, opt_port },
        { "--dns-port", CLI_FN, &o->dns_port, 0, 0, opt_port },
        { "--chip", CLI_FN, &o->chip, 0, 0, opt_chip },
        { "--chip-rev", CLI_FN, &o->chip_rev, 0, 0, opt_rev },
        { "--efuse-blk-rev", CLI_FN, &o->efuse_blk_rev, 0, 0, opt_rev },
        { "--no-rollback", CLI_FLAG, &o->no_rollback, 0, 0, NULL },
        { "--flash-encryption", CLI_FLAG, &o->flash_encryption, 0, 0, NULL },
        { "--flash-timing", CLI_FLAG, &o->flash_timing, 0, 0, NULL },
        { "--health", CLI_FN, &app->health, 0, 0, opt_health },
        { "--country", CLI_FN, &app->country, 0, 0, opt_country },
        { "--channel", CLI_LONG, &o->channel, 1, 14, NULL },
        /* Kconfig overrides for tests */
        { "--recv-timeout", CLI_LONG, &o->recv_timeout, 1, 3600, NULL },
        { "--max-timeouts", CLI_LONG, &o->max_timeouts, 1, 3600, NULL },
        { "--deadline", CLI_LONG, &o->deadline, 1, 3600, NULL },
        { "--header-deadline", CLI_LONG, &o->header_deadline, 1, 3600, NULL },
        { "--health-delay", CLI_LONG, &app->health_delay_ms, 0, 600000, NULL },
        { "--resume-timeout", CLI_LONG, &app->resume_timeout_s, 0, 3600, NULL },
        { "--no-fs-reboot", CLI_FLAG, &app->no_fs_reboot, 0, 0, NULL },
        { "--fail-task", CLI_FN, NULL, 0, 0, opt_fail_task },
        { "--cut-upload", CLI_FN, o, 0, 0, opt_cuts },
        /* who may update, and the upload policy */
        { "--ap-password", CLI_STR, &app->ap_password, 0, 0, NULL },
        { "--auth", CLI_FN, o, 0, 0, opt_auth },
        { "--auth-attempts", CLI_LONG, &o->auth_attempts, 1, 3600, NULL },
        { "--auth-lockout", CLI_LONG, &o->auth_lockout, 1, 3600, NULL },
        { "--no-origin-check", CLI_FLAG, &app->no_origin_check, 0, 0, NULL },
        { "--require-signed", CLI_FN, o, 0, 0, opt_signed },
    };
    /* and a flag per upload rule (rule_flag) */
    enum { N_FIXED = sizeof fixed / sizeof fixed[0] };
    cli_opt_t opts[N_FIXED + SOTA_POLICY_N_RULES];
    memcpy(opts, fixed, sizeof fixed);
    size_t nopts = N_FIXED;
    for (size_t i = 0; i < SOTA_POLICY_N_RULES; i++) {
        const sota_policy_rule_t *r = &sota_policy_rules[i];
        if (rule_is_flag(r)) {
            opts[nopts++] = (cli_opt_t){ rule_flag(i), CLI_FLAG, sota_policy_rule(&app->policy, r),
                                         0, 0, NULL };
        }
    }
    int rc = cli_opts_parse("sim", opts, nopts, argc, argv, usage);
    if (rc) {
        return rc;
    }
    app->channel = (unsigned)o->channel;
    app->recv_timeout_s = (unsigned)o->recv_timeout;
    app->max_recv_timeouts = (unsigned)o->max_timeouts;
    app->upload_deadline_s = (unsigned)o->deadline;
    app->header_deadline_s = (unsigned)o->header_deadline;
    app->auth_free_attempts = (unsigned)o->auth_attempts;
    app->auth_lockout_s = (unsigned)o->auth_lockout;
    return 0;
}

/* Take the flash file (created from the table if missing, then locked) and boot the
 * device from it, as `sota sim` with this command line (esp_restart() runs it again):
 * 0, or the exit status. */
static int boot_device(const sim_opts_t *o, int argc, char **argv, boot_result_t *boot)
{
    const char *flash = o->flash;
    bool secure_boot = o->app.signing_key_digest != NULL; /* --require-signed */
    if (!port_usable((uint16_t)o->port)) {
        return 2;
    }
    if (access(flash, F_OK) != 0 && create_flash(flash, o->csv, o->chip) != 0) {
        return 1;
    }
    if (lock_flash(flash) != 0) {
        return 2;
    }

    /* esp_restart() re-executes exactly this command line */
    static char *exec_argv[64];
    int n = 0;
    exec_argv[n++] = "sota";
    for (int i = 0; i < argc && n < 63; i++) {
        exec_argv[n++] = argv[i];
    }
    exec_argv[n] = NULL;

    sota_host_config_t cfg = {
        .flash_path = flash,
        .chip = o->chip,
        .chip_rev = (uint16_t)o->chip_rev,
        .efuse_blk_rev = (uint16_t)o->efuse_blk_rev,
        .flash_encryption = o->flash_encryption,
        .flash_timing = o->flash_timing,
        .rollback_enabled = !o->no_rollback,
        .argv = exec_argv,
        .secure_boot_key_digest = secure_boot ? o->sb_digest : NULL,
    };
    if (sota_host_boot(&cfg, boot) != ESP_OK) {
        fprintf(stderr, "sota sim: the device does not boot: %s\n", boot->reason);
        return 1;
    }
    return 0;
}

/* Start the updater on the booted device, say where it serves, and wait for Ctrl-C or
 * kill (then leave at once); the exit status if the updater does not start. */
static int serve(const sim_opts_t *o, const boot_result_t *boot)
{
    const char *flash = o->flash;
    uint16_t port = (uint16_t)o->port, dns_port = (uint16_t)o->dns_port;
    char nvs_path[4096];
    snprintf(nvs_path, sizeof nvs_path, "%s.nvs", flash);
    nvs_host_set_path(nvs_path);
    httpd_host_set_port_override(port);
    httpd_host_set_body_cuts(o->cuts, o->ncuts);
    sota_host_set_dns_port(dns_port);
    if (dns_port == 0) {
        fprintf(stderr, "sota sim: captive DNS is off in this simulation (--dns-port N serves it "
                "on 127.0.0.1:N); the device's warning about port 53 below is expected\n");
    }

    /* Ctrl-C and kill are taken by this thread alone (sigwait below): block them before
     * the app starts its threads, which inherit the mask. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    esp_err_t err = sim_app_run(&o->app);
    if (err != ESP_OK) {
        fprintf(stderr, "sota sim: the updater did not start (%s): the log above says why\n",
                esp_err_to_name(err));
        return 2;
    }
    /* Only now is the server listening. */
    char idf[16];
    printf("softap-ota simulator: http://127.0.0.1:%u/  (%s %s from %s, flash %s, ESP-IDF %s)\n",
           (unsigned)port, boot->desc.project_name, boot->desc.version, boot->label, flash,
           sota_host_idf_str(sota_idf_built, idf, sizeof idf));
    printf("sota sim: the device's lines above name port 80 and http://192.168.4.1/ as on a board; "
           "here it serves the URL above\n");
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    /* Killed: the flash file is a shared mapping, already up to date. Leave at once
     * rather than tear down threads that may be inside a request. */
    fprintf(stderr, "sota sim: stopped\n");
    fflush(stdout);
    _exit(0);
}

int sota_cmd_sim(int argc, char **argv)
{
    int sel = select_release(argc, argv);
    if (sel != 0) {
        return sel;
    }
    static sim_opts_t o = {
        .flash = "build/flash.bin",
        .csv = SOTA_ROOT "/partitions.csv",
        .port = 8080,
        .app = { .health = SIM_HEALTH_OK, .health_delay_ms = -1, .resume_timeout_s = -1,
                 .policy = SOFTAP_OTA_POLICY_DEFAULT() },
    };
    o.chip = sota_chip_by_name("esp32");
    int rc = parse_sim_opts(&o, argc, argv);
    if (rc) {
        return rc == CLI_OPTS_HELP ? 0 : rc;
    }
    boot_result_t boot;
    rc = boot_device(&o, argc, argv, &boot);
    return rc ? rc : serve(&o, &boot);
}
