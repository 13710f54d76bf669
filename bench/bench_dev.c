/* The benchmark's simulated device: see bench_dev.h. */
#include "bench_dev.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imagegen.h"
#include "ptable.h"
#include "sota_host.h"

static nor_flash_t *s_flash;

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sota_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void bench_image(uint32_t len, const char *version, uint64_t seed, bool sha256, uint8_t **out,
                 size_t *out_len)
{
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.project = BENCH_PROJECT;
    o.version = version;
    o.size = len;
    o.seed = seed;
    o.hash = sha256;
    int rc = imagegen_build(&o, out, out_len);
    if (rc != IMAGEGEN_OK) {
        bench_die("could not build a %u-byte test image: %s", (unsigned)len, imagegen_strerror(rc));
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = malloc(64 * 1024 + 1);
    size_t n = buf ? fread(buf, 1, 64 * 1024, f) : 0;
    fclose(f);
    if (buf) {
        buf[n] = '\0';
    }
    return buf;
}

nor_flash_t *bench_dev_on(const uint8_t *old_image, size_t old_len, void (*restart_hook)(void *))
{
    const char *csv_path = SOTA_ROOT "/partitions.csv";
    char *csv = read_file(csv_path);
    if (!csv) {
        bench_die("cannot read %s", csv_path);
    }
    ptable_t *t = malloc(sizeof *t);
    static uint8_t bin[PT_MAX_LEN];
    char err[256];
    pt_opts_t po = { .flash_size = NOR_DEFAULT_SIZE };
    if (!t || pt_from_csv(csv, &po, t, err, sizeof err) || pt_to_bin(t, &po, bin, err, sizeof err)) {
        bench_die("partition table %s: %s", csv_path, t ? err : "out of memory");
    }
    free(csv);
    const pt_entry_t *factory = pt_find(t, PT_TYPE_APP, PT_SUBTYPE_FACTORY);
    const pt_entry_t *ota0 = pt_find(t, PT_TYPE_APP, PT_SUBTYPE_OTA_0);
    if (!factory || !ota0) {
        bench_die("%s needs a factory and an ota_0 partition", csv_path);
    }

    uint8_t *fimg;
    size_t flen;
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.project = BENCH_PROJECT;
    o.version = BENCH_FACTORY_VER;
    o.size = 200 * 1024;
    o.seed = 1;
    if (imagegen_build(&o, &fimg, &flen) != IMAGEGEN_OK) {
        bench_die("could not build the factory image");
    }

    nor_err_t ne = NOR_OK;
    s_flash = nor_open_mem(NOR_DEFAULT_SIZE, &ne);
    if (!s_flash) {
        bench_die("no memory for the flash: %s", nor_strerror(ne));
    }
    ne = nor_load(s_flash, PT_OFFSET_DEFAULT, bin, sizeof bin);
    if (ne == NOR_OK) {
        ne = nor_load(s_flash, factory->offset, fimg, flen);
    }
    if (ne == NOR_OK && old_image) {
        ne = nor_load(s_flash, ota0->offset, old_image, old_len);
    }
    if (ne != NOR_OK) {
        bench_die("loading the flash: %s", nor_strerror(ne));
    }
    free(fimg);
    free(t);

    sota_host_config_t cfg = {
        .flash = s_flash,
        .rollback_enabled = true,
        .restart_hook = restart_hook,
        .quiet = true,
    };
    boot_result_t boot;
    if (sota_host_boot(&cfg, &boot) != ESP_OK) {
        bench_die("the simulated device does not boot: %s", boot.reason);
    }
    return s_flash;
}

void bench_dev_off(void)
{
    sota_host_shutdown();
    nor_close(s_flash);
    s_flash = NULL;
}
