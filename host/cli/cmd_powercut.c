/* `sota powercut`: the power-cut sweep on the emulated device (host/powercut). Every
 * scenario's clean run is counted, then cut at each of its flash operations, cleanly
 * and torn; after each cut the device reboots, the invariant of DESIGN.md is checked,
 * and one more uncut update must succeed and boot. The last line is always "cut points: N tried, F failed". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_file.h"
#include "cli_opts.h"
#include "cmds.h"
#include "powercut.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sota powercut [--image FILE] [--scenario NAME] [--cut N] [--mode clean|torn]\n"
            "                     [--ptable CSV] [--verbose]\n"
            "Cut the power at every flash operation of an update, a first boot, a rollback...\n"
            "on the emulated device, reboot after each cut and check that it boots the\n"
            "previous app or the complete new one, reports what booted, and still takes an\n"
            "update: after every run one more uncut update of another app must boot.\n"
            "  --image FILE     the uploaded app (default: a %u KiB imagegen app for esp32)\n"
            "  --scenario NAME  only this scenario (default: all):\n",
            PC_DEFAULT_IMAGE_SIZE / 1024u);
    for (int i = 0; i < PC_SC_COUNT; i++) {
        fprintf(out, "                     %-14s %s\n", pc_scenario_name((pc_scenario_t)i),
                pc_scenario_summary((pc_scenario_t)i));
    }
    fprintf(out,
            "  --cut N          only cut point N (0: the run without a cut), to replay a failure\n"
            "  --mode M         only clean cuts (before the operation) or torn ones (inside it)\n"
            "  --ptable CSV     partition table (default partitions.csv of the source tree)\n"
            "  --verbose        print the device's and the bootloader's logs\n"
            "Exit 0 if every cut point passed, 1 if one failed, 2 for a usage error.\n");
}

/* A decimal number, digits only (no sign, no space): 0, or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno) {
        return -1;
    }
    *out = v;
    return 0;
}

static int opt_scenario(const char *cmd, const char *name, const char *v, void *dest)
{
    (void)name;
    *(int *)dest = pc_scenario_by_name(v);
    if (*(int *)dest < 0) {
        fprintf(stderr, "sota %s: unknown scenario '%s' (see --help)\n", cmd, v);
        return 2;
    }
    return 0;
}

/* --cut and --mode: the value and whether it was given */
typedef struct {
    uint64_t cut;
    bool have_cut;
    nor_cut_mode_t mode;
    bool have_mode;
} cut_opts_t;

static int opt_cut(const char *cmd, const char *name, const char *v, void *dest)
{
    cut_opts_t *c = dest;
    if (parse_u64(v, &c->cut)) {
        fprintf(stderr, "sota %s: %s %s: expected a flash operation number, 0 or more\n", cmd, name, v);
        return 2;
    }
    c->have_cut = true;
    return 0;
}

static int opt_mode(const char *cmd, const char *name, const char *v, void *dest)
{
    cut_opts_t *c = dest;
    if (pc_mode_by_name(v, &c->mode)) {
        fprintf(stderr, "sota %s: %s %s: expected clean or torn\n", cmd, name, v);
        return 2;
    }
    c->have_mode = true;
    return 0;
}

/* The command line: what to cut, and with what */
typedef struct {
    const char *image_path, *csv_path;
    int only_sc;                  /* -1: every scenario */
    bool verbose;
    cut_opts_t c;
} powercut_opts_t;

/* The command line into *o (its defaults set here): 0, CLI_OPTS_HELP after --help, or the
 * exit status of a bad command line. */
static int parse_powercut_opts(powercut_opts_t *o, int argc, char **argv)
{
    *o = (powercut_opts_t){ .csv_path = SOTA_ROOT "/partitions.csv", .only_sc = -1,
                            .c = { .cut = 0, .mode = NOR_CUT_CLEAN } };
    const cli_opt_t table[] = {
        { "--image", CLI_STR, &o->image_path, 0, 0, NULL },
        { "--ptable", CLI_STR, &o->csv_path, 0, 0, NULL },
        { "--scenario", CLI_FN, &o->only_sc, 0, 0, opt_scenario },
        { "--cut", CLI_FN, &o->c, 0, 0, opt_cut },
        { "--mode", CLI_FN, &o->c, 0, 0, opt_mode },
        { "--verbose", CLI_FLAG, &o->verbose, 0, 0, NULL },
    };
    return cli_opts_parse("powercut", table, sizeof table / sizeof table[0], argc, argv, usage);
}

/* The emulated device with the table and the app of the command line: 0 and *h, or the
 * exit status after saying why not. */
static int open_harness(const powercut_opts_t *o, pc_harness_t **h)
{
    size_t csv_len = 0, image_len = 0;
    char *csv = (char *)cli_read_file("powercut", o->csv_path, &csv_len);
    if (!csv) {
        return 1;
    }
    uint8_t *image = NULL;
    if (o->image_path) {
        image = cli_read_file("powercut", o->image_path, &image_len);
        if (!image) {
            free(csv);
            return 1;
        }
    }
    pc_opts_t opts = {
        .image = image,
        .image_len = image_len,
        .ptable_csv = csv,
        .verbose = o->verbose,
    };
    char err[400];
    int rc = pc_open(&opts, h, err, sizeof err);
    free(image);
    free(csv);
    if (rc != PC_OK) {
        fprintf(stderr, "sota powercut: %s\n", err);
        return rc == PC_ERR_ARG ? 2 : 1;
    }
    return 0;
}

/* The command that replays one cut point: this one's --image and --ptable (the sweep
 * adds the scenario and the cut). */
static void replay_command(const powercut_opts_t *o, char *replay, size_t len)
{
    snprintf(replay, len, "sota powercut%s%s", o->image_path ? " --image " : "",
             o->image_path ? o->image_path : "");
    if (strcmp(o->csv_path, SOTA_ROOT "/partitions.csv") != 0) {
        size_t n = strlen(replay);
        snprintf(replay + n, len - n, " --ptable %s", o->csv_path);
    }
}

/* The line of one run of cut point `cut` in mode md (rc: pc_run's), counted in *tally. */
static void report_point(const char *name, uint64_t cut, nor_cut_mode_t md, int rc,
                         const pc_result_t *r, pc_tally_t *tally)
{
    tally->tried++;
    char point[64];
    if (cut == 0) {
        snprintf(point, sizeof point, "no cut");
    } else {
        snprintf(point, sizeof point, "cut %" PRIu64 " %s", cut, pc_mode_name(md));
    }
    if (rc == PC_OK && r->ok) {
        printf("%s %s: ok: %" PRIu64 " flash operations %s, then booted %s, then an uncut update "
               "booted\n", name, point, r->ops, cut ? "before the cut" : "in the run", r->what);
    } else {
        tally->failed++;
        printf("FAIL %s %s: booted %s: %s\n", name, point, rc == PC_OK ? r->what : "(not run)", r->why);
    }
}

/* --cut N: that cut point of scenario s, in the mode asked for or both (no cut has no
 * mode: run once). 0, or 2 when the scenario named by --scenario is shorter. */
static int run_point(pc_harness_t *h, const powercut_opts_t *o, pc_scenario_t s, pc_result_t *r,
                     pc_tally_t *tally)
{
    const char *name = pc_scenario_name(s);
    uint64_t cut = o->c.cut;
    for (int m = 0; m < 2; m++) {
        nor_cut_mode_t md = m ? NOR_CUT_TORN : NOR_CUT_CLEAN;
        if ((o->c.have_mode && md != o->c.mode) || (cut == 0 && m == 1)) {
            continue;
        }
        int rc = pc_run(h, s, cut, md, r);
        if (rc == PC_ERR_RANGE) {
            /* with every scenario, skip those that are shorter; named, it is an error */
            fprintf(o->only_sc >= 0 ? stderr : stdout, "%s%s: %s\n",
                    o->only_sc >= 0 ? "sota powercut: " : "", name, r->why);
            return o->only_sc >= 0 ? 2 : 0;
        }
        report_point(name, cut, md, rc, r, tally);
    }
    return 0;
}

/* Every scenario asked for: swept at each cut point, or at the one --cut names. The exit
 * status apart from failed cut points: 0, 1 (out of memory in a sweep) or 2 (see
 * run_point); -1 if there is no memory for a result (nothing ran). */
static int run_scenarios(pc_harness_t *h, const powercut_opts_t *o, const char *replay,
                         pc_tally_t *tally)
{
    pc_result_t *r = malloc(sizeof *r);
    if (!r) {
        return -1;
    }
    int status = 0;
    for (int s = 0; s < PC_SC_COUNT; s++) {
        if (o->only_sc >= 0 && s != o->only_sc) {
            continue;
        }
        if (o->c.have_cut) {
            int rc = run_point(h, o, (pc_scenario_t)s, r, tally);
            status = rc ? rc : status;
            continue;
        }
        bool have_mode = o->c.have_mode;
        int rc = pc_sweep(h, (pc_scenario_t)s, !have_mode || o->c.mode == NOR_CUT_CLEAN,
                          !have_mode || o->c.mode == NOR_CUT_TORN, stdout, replay, tally);
        if (rc == PC_ERR_NOMEM) {
            status = 1;
            break;
        }
    }
    free(r);
    return status;
}

int sota_cmd_powercut(int argc, char **argv)
{
    powercut_opts_t o;
    int rc = parse_powercut_opts(&o, argc, argv);
    if (rc) {
        return rc == CLI_OPTS_HELP ? 0 : rc;
    }
    pc_harness_t *h = NULL;
    rc = open_harness(&o, &h);
    if (rc) {
        return rc;
    }
    char replay[1200];
    replay_command(&o, replay, sizeof replay);

    pc_tally_t tally = { 0, 0 };
    int status = run_scenarios(h, &o, replay, &tally);
    pc_close(h);
    if (status < 0) {
        fprintf(stderr, "sota powercut: out of memory\n");
        return 1;
    }
    printf("cut points: %" PRIu64 " tried, %" PRIu64 " failed\n", tally.tried, tally.failed);
    fflush(stdout);
    if (tally.failed) {
        return 1;
    }
    return status;
}
