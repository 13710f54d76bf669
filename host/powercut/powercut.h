/* Power-cut sweep (host only): proves on the emulated device that no power cut leaves
 * it unbootable or running a half-written app (DESIGN.md, "Invariant").
 *
 * A scenario is a short piece of the device's life that writes flash: an update (the
 * component's update session over its ESP-IDF writer, first byte to set-boot), the
 * first boot of the new app with its confirmation, a rollback... A sweep
 *   1. runs the scenario once without a cut and counts its flash operations N
 *      (sector erases, block erases, page programs: nor_stats ops);
 *   2. for every cut point k = 1..N and both modes (NOR_CUT_CLEAN: before operation k,
 *      NOR_CUT_TORN: inside it) restores the scenario's starting flash, arms the cut,
 *      runs the scenario again: after the cut the chip is dead, every flash call fails
 *      and the code under test unwinds through its own error paths (no longjmp);
 *   3. powers on, reboots the device on the same flash (sota_host_boot) and checks:
 *      - something boots, and it is the previous app or the new app of the scenario;
 *      - the bootloader booted what otadata selected (it never had to fall back from a
 *        selected slot whose image does not verify: otadata named an incomplete image);
 *      - the booted slot holds exactly that app's bytes, and they verify;
 *      - the device reports what booted: esp_ota_get_running_partition(),
 *        esp_app_get_description(), esp_ota_get_state_partition() (agreeing with the
 *        bootloader's otadata, and never NEW/INVALID/ABORTED for the running app),
 *        esp_ota_get_boot_partition() (the next boot keeps it), and the component's
 *        GET /api/status JSON (running_partition, project, version, running_state);
 *      - the device can still be updated: the running app is confirmed if it is pending
 *        verification (as the component does once its health check passes), then one
 *        more complete, uncut update of another app (the new app's project, its version
 *        with ".1" appended) through the same session and writer, a reboot, and that
 *        app must boot from the slot it was written to, selected by otadata, with
 *        exactly its bytes, verifying.
 *   A run without a cut must end in the scenario's success outcome (e.g. the new app),
 *   and must leave the device updatable too.
 *
 * The device: esp32 (or the chip of the given image), the given partition table (with
 * factory, ota_0, ota_1, otadata), app rollback enabled, the component's default
 * configuration (SOFTAP_OTA_CONFIG_DEFAULT). The factory app and the older apps of the
 * scenarios are made with imagegen, with the new image's project name.
 *
 * Process-wide state: the harness drives the host ESP-IDF port (one simulated device per
 * process): open one harness at a time, from one thread. pc_open sets the ESP-IDF log
 * level to none unless opts.verbose.
 */
#ifndef SOTA_POWERCUT_H
#define SOTA_POWERCUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nor_flash.h"
#include "sota_update.h"

/* Size of the default new image (an imagegen app): small enough for a fast sweep. */
#define PC_DEFAULT_IMAGE_SIZE (40u * 1024u)
/* Bytes fed to the update session at a time when pc_opts_t.chunk is 0. */
#define PC_DEFAULT_CHUNK 4096u

typedef enum {
    /* "update-blank": factory runs; an upload into the blank ota_0, from the first byte
     * to esp_ota_set_boot_partition. Previous app: factory; new: ota_0. */
    PC_SC_UPDATE_BLANK,
    /* "update-older": ota_0 runs (confirmed), ota_1 holds an older confirmed app; an
     * upload into ota_1. Previous: ota_0; new: ota_1. */
    PC_SC_UPDATE_OLDER,
    /* "update-resumed": as update-older, but the connection drops halfway; the session
     * is kept in RAM (a cut from there on loses it) and the same client resumes it from
     * its offset to esp_ota_set_boot_partition. Previous: ota_0; new: ota_1. */
    PC_SC_UPDATE_RESUMED,
    /* "first-boot": after update-blank, the first boot of the new app (the bootloader
     * writes NEW -> PENDING_VERIFY) and its confirmation
     * (esp_ota_mark_app_valid_cancel_rollback). Previous: factory; new: ota_0. */
    PC_SC_FIRST_BOOT,
    /* "rollback": first boot, then the health check fails:
     * esp_ota_mark_app_invalid_rollback_and_reboot and the boot that follows. Success
     * outcome: factory. */
    PC_SC_ROLLBACK,
    /* "reset-pending": first boot, then a reset before the app confirmed itself: the
     * bootloader writes PENDING_VERIFY -> ABORTED and boots factory. Success: factory. */
    PC_SC_RESET_PENDING,
    /* "fs-update": factory runs; a LittleFS image is written to the table's first
     * filesystem data partition (littlefs, else spiffs or fat; without one the harness
     * adds "sota_fs, data, littlefs, , 32K" after the last partition), which holds an
     * older image: from the first byte to the read-back and the cleared record.
     * Previous and new app: factory. After every cut the partition must hold exactly
     * the new image with the rest erased, or be reported incomplete
     * (softap_ota_fs_incomplete and /api/status "storage"), and a complete upload of
     * another image must then succeed. NVS is the host's (a file the cut does not
     * reach: ESP-IDF's NVS writes an entry whole or not at all), fresh for each run. */
    PC_SC_FS_UPDATE,
    PC_SC_COUNT
} pc_scenario_t;

/* Return codes of the calls below. */
typedef enum {
    PC_OK = 0,
    PC_ERR_ARG = -1,    /* NULL argument, unknown scenario, bad option (message says) */
    PC_ERR_NOMEM = -2,  /* out of memory */
    PC_ERR_SETUP = -3,  /* the device or a scenario's starting flash could not be made:
                           bad partition table, image rejected by a clean update... */
    PC_ERR_RANGE = -4,  /* the cut point is past the end of the run (the run has fewer
                           flash operations): nothing was checked */
} pc_err_t;

typedef struct {
    /* The new app (copied by pc_open). NULL: an imagegen app of PC_DEFAULT_IMAGE_SIZE
     * bytes ("softap-ota" 2.0.0, esp32). Its chip id picks the simulated chip. */
    const uint8_t *image;
    size_t image_len;
    /* Partition table CSV text (required), as partitions.csv; needs a factory app,
     * ota_0, ota_1 and a 0x2000-byte otadata partition, on a 4 MiB flash. */
    const char *ptable_csv;
    /* The update session's writer, for the scenario's update and for the update that
     * follows every run. NULL: the component's ota_writer_ops. Its ctx is an
     * ota_writer_t (ota_internal.h) set up by ota_writer_target; tests put a broken
     * writer here to prove the checks can fail. */
    const sota_update_ops_t *writer;
    size_t chunk;       /* bytes per sota_update_feed call; 0: PC_DEFAULT_CHUNK */
    bool verbose;       /* device and bootloader logs to stderr */
} pc_opts_t;

typedef struct {
    bool ok;            /* the invariant (and, without a cut, the success outcome) held */
    bool cut_fired;     /* the armed cut happened (false for cut 0) */
    uint64_t ops;       /* cut 0: flash operations of the run (N); else those done
                           before the cut */
    char booted[17];    /* label of what booted after the cut, "" if nothing did */
    char what[200];     /* what booted: "ota_0 (softap-ota 2.0.0, pending_verify)" or
                           "nothing" */
    char why[480];      /* on failure: which check failed and why; else "" */
} pc_result_t;

typedef struct {
    uint64_t tried;     /* cut points run */
    uint64_t failed;    /* of which the invariant did not hold */
} pc_tally_t;

typedef struct pc_harness pc_harness_t;

/* Scenario name ("update-blank", ...) and a one-line description; "?" if unknown. */
const char *pc_scenario_name(pc_scenario_t sc);
const char *pc_scenario_summary(pc_scenario_t sc);
/* The scenario called name, or -1. */
int pc_scenario_by_name(const char *name);
/* "clean" / "torn"; and back: 0 and *mode set, or -1 for another word. */
const char *pc_mode_name(nor_cut_mode_t mode);
int pc_mode_by_name(const char *name, nor_cut_mode_t *mode);

/* Build the harness: the device's flash (table + factory app) and the images.
 * Returns PC_OK and *out (free with pc_close), or PC_ERR_ARG (NULL opts/out, no
 * ptable_csv, an image too short to carry a header or of an unknown chip),
 * PC_ERR_SETUP (the table is rejected or lacks a needed partition, imagegen failed),
 * PC_ERR_NOMEM; err (may be NULL if errlen is 0) says what and what to do. */
int pc_open(const pc_opts_t *opts, pc_harness_t **out, char *err, size_t errlen);
/* Power the device off and free everything. NULL is accepted. */
void pc_close(pc_harness_t *h);

/* One run of scenario sc with a cut at flash operation `cut` (1-based) in `mode`, or
 * none (cut 0: the clean run, which must end in the scenario's success outcome), then
 * the reboot and the checks. The scenario's starting flash is built on first use.
 * Returns PC_OK with the verdict in *res; PC_ERR_RANGE if the run ended before
 * operation `cut` (res->ops says how many it has, res->why says so); PC_ERR_SETUP if
 * the starting flash could not be built (res->why says why); PC_ERR_ARG for NULL
 * arguments or an unknown scenario. */
int pc_run(pc_harness_t *h, pc_scenario_t sc, uint64_t cut, nor_cut_mode_t mode, pc_result_t *res);

/* The sweep of one scenario: the clean run, then cut points 1..N in each mode asked
 * for. Prints to out (may be NULL) one line with N, one line per mode with its count of
 * failures, and for each failure the scenario, cut point, mode, what booted and why,
 * followed by the command that replays it: "<replay> --scenario S --cut K --mode M"
 * (replay NULL: "sota powercut"). A failing clean run counts as one tried and failed
 * cut point (cut 0) and ends the scenario's sweep. Adds to *tally (may be NULL).
 * Returns PC_OK, or the error of pc_run that stopped it (PC_ERR_SETUP: counted as one
 * failed point too, and printed). */
int pc_sweep(pc_harness_t *h, pc_scenario_t sc, bool clean, bool torn, FILE *out, const char *replay,
             pc_tally_t *tally);

#endif
