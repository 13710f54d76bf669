/* The simulated device: attach a flash, run the bootloader simulator, remember what
 * booted (sota_host.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "device_internal.h"
#include "sota_host_idf.h"
#include "esp_log.h"
#include "sota_host.h"

static const char *TAG = "sota_host";

sota_dev_t g_sota_dev = {
    .reset_reason = ESP_RST_POWERON,
};

static pthread_mutex_t s_flash_lock = PTHREAD_MUTEX_INITIALIZER;

void sota_dev_lock(void)
{
    pthread_mutex_lock(&s_flash_lock);
}

void sota_dev_unlock(void)
{
    pthread_mutex_unlock(&s_flash_lock);
}

void sota_dev_default_app_desc(esp_app_desc_t *out)
{
    memset(out, 0, sizeof *out);
    out->magic_word = ESP_APP_DESC_MAGIC_WORD;
    snprintf(out->version, sizeof out->version, "%s", "host");
    snprintf(out->project_name, sizeof out->project_name, "%s", "softap-ota-host");
    char ver[16];
    snprintf(out->idf_ver, sizeof out->idf_ver, "v%s",
             sota_host_idf_str(sota_host_idf_release(), ver, sizeof ver));
    out->mmu_page_size = 16;
}

esp_err_t sota_dev_flash_err(nor_err_t err, const char *op, uint32_t addr, size_t len)
{
    if (err == NOR_OK) {
        return ESP_OK;
    }
    ESP_LOGE(TAG, "flash %s of %zu bytes at 0x%08x failed: %s", op, len, (unsigned)addr, nor_strerror(err));
    switch (err) {
    case NOR_ERR_ARG:
    case NOR_ERR_RANGE:
    case NOR_ERR_ALIGN:
        return ESP_ERR_INVALID_ARG;
    default:
        return ESP_ERR_FLASH_OP_FAIL;
    }
}

esp_err_t sota_dev_need_flash(void)
{
    if (g_sota_dev.flash == NULL) {
        ESP_LOGE(TAG, "no flash attached: call sota_host_boot() or sota_host_attach() first");
        return ESP_ERR_INVALID_STATE;
    }
    return ESP_OK;
}

typedef struct {
    nor_flash_t *flash;
    uint32_t base;
} verify_ctx_t;

/* sota_img_read_fn over the flash: image offsets relative to the partition start; reads
 * beyond the partition are allowed (the verifier reports TOO_BIG), beyond the chip not. */
static int verify_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    const verify_ctx_t *c = ctx;
    uint64_t addr = (uint64_t)c->base + offset;
    if (addr + len > nor_size(c->flash)) {
        return -1;
    }
    sota_dev_lock();
    nor_err_t err = nor_read(c->flash, (uint32_t)addr, buf, len);
    sota_dev_unlock();
    return err == NOR_OK ? 0 : -1;
}

sota_img_err_t sota_dev_verify_image(const esp_partition_t *p, bool silent)
{
    return sota_dev_verify_image_len(p, silent, NULL);
}

sota_img_err_t sota_dev_verify_image_len(const esp_partition_t *p, bool silent, uint32_t *image_len)
{
    if (image_len) {
        *image_len = 0;
    }
    if (sota_dev_need_flash() != ESP_OK) {
        snprintf(g_sota_dev.verify_msg, sizeof g_sota_dev.verify_msg, "no flash attached");
        return SOTA_IMG_ERR_ARG;
    }
    const sota_chip_t *chip = sota_host_chip();
    sota_img_params_t params = {
        .chip = chip,
        .chip_rev = sota_host_chip_rev(),
        .efuse_blk_rev = g_sota_dev.efuse_blk_rev,
        .slot_size = p->size,
        .slot_offset = p->address,
        .flash_size = (uint32_t)nor_size(g_sota_dev.flash),
    };
    verify_ctx_t ctx = { .flash = g_sota_dev.flash, .base = p->address };
    sota_img_t *v = malloc(sizeof *v);
    if (v == NULL) {
        snprintf(g_sota_dev.verify_msg, sizeof g_sota_dev.verify_msg, "out of memory");
        return SOTA_IMG_ERR_ARG;
    }
    sota_img_err_t err = sota_img_verify_from(v, &params, verify_read, &ctx);
    snprintf(g_sota_dev.verify_msg, sizeof g_sota_dev.verify_msg, "%s", sota_img_message(v));
    if (image_len && v->complete) {
        *image_len = v->image_len;
    }
    free(v);
    if (err != SOTA_IMG_OK && !silent) {
        ESP_LOGE(TAG, "image in partition '%s' (0x%08x) is invalid: %s", p->label, (unsigned)p->address,
                 g_sota_dev.verify_msg);
    }
    return err;
}

static void free_argv(void)
{
    if (g_sota_dev.argv) {
        for (char **a = g_sota_dev.argv; *a; a++) {
            free(*a);
        }
        free(g_sota_dev.argv);
        g_sota_dev.argv = NULL;
    }
}

static bool copy_argv(char *const *argv)
{
    if (argv == NULL) {
        return true;
    }
    size_t n = 0;
    while (argv[n]) {
        n++;
    }
    char **copy = calloc(n + 1, sizeof *copy);
    if (copy == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = strdup(argv[i]);
        if (copy[i] == NULL) {
            for (size_t j = 0; j < i; j++) {
                free(copy[j]);
            }
            free(copy);
            return false;
        }
    }
    g_sota_dev.argv = copy;
    return true;
}

void sota_host_shutdown(void)
{
    sota_dev_ota_drop_all();
    sota_dev_unload_partitions();
    sota_dev_enc_detach();
    if (g_sota_dev.own_flash) {
        nor_close(g_sota_dev.flash);
    }
    free_argv();
    bool sw_reset = g_sota_dev.sw_reset_pending;
    memset(&g_sota_dev, 0, sizeof g_sota_dev);
    g_sota_dev.reset_reason = ESP_RST_POWERON;
    /* A reset requested by esp_restart survives the power cycle of the RAM state: the
     * next boot reports it. */
    g_sota_dev.sw_reset_pending = sw_reset;
}

esp_err_t sota_host_attach(const sota_host_config_t *cfg)
{
    if (cfg == NULL || (cfg->flash == NULL && (cfg->flash_path == NULL || cfg->flash_path[0] == '\0'))) {
        ESP_LOGE(TAG, "no flash given: set sota_host_config_t.flash or .flash_path");
        return ESP_ERR_INVALID_ARG;
    }
    /* An open flash passed again must survive the shutdown of the previous attach. */
    bool same_flash = cfg->flash != NULL && cfg->flash == g_sota_dev.flash;
    if (same_flash) {
        g_sota_dev.own_flash = false;
    }
    sota_host_shutdown();
    /* Power-on: a lock left held by a task that a power cut unwound is gone. */
    s_flash_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;

    nor_flash_t *f = cfg->flash;
    bool own = false;
    if (f == NULL) {
        nor_err_t nerr = NOR_OK;
        f = nor_open(cfg->flash_path, cfg->flash_size, false, &nerr);
        if (f == NULL) {
            ESP_LOGE(TAG, "cannot open flash file '%s': %s",
                     cfg->flash_path, nor_strerror(nerr));
            return ESP_ERR_FLASH_OP_FAIL;
        }
        own = true;
    }
    if (!copy_argv(cfg->argv)) {
        if (own) {
            nor_close(f);
        }
        return ESP_ERR_NO_MEM;
    }
    g_sota_dev.attached = true;
    g_sota_dev.flash = f;
    nor_set_timed(f, cfg->flash_timing);
    g_sota_dev.own_flash = own;
    g_sota_dev.chip = cfg->chip ? cfg->chip : sota_chip_by_name("esp32");
    g_sota_dev.chip_rev = cfg->chip_rev;
    if (g_sota_dev.chip_rev == 0 && g_sota_dev.chip) {
        g_sota_dev.chip_rev = g_sota_dev.chip->default_rev;
    }
    g_sota_dev.rollback_enabled = cfg->rollback_enabled;
    g_sota_dev.table_offset = cfg->table_offset ? cfg->table_offset : PT_OFFSET_DEFAULT;
    g_sota_dev.restart_hook = cfg->restart_hook;
    g_sota_dev.restart_ctx = cfg->restart_ctx;
    g_sota_dev.quiet = cfg->quiet;
    g_sota_dev.efuse_blk_rev = cfg->efuse_blk_rev;
    g_sota_dev.flash_encryption = cfg->flash_encryption;
    if (sota_dev_enc_attach() != ESP_OK) {
        sota_host_shutdown();
        return ESP_ERR_NO_MEM;
    }
    g_sota_dev.secure_boot = cfg->secure_boot_key_digest != NULL;
    if (g_sota_dev.secure_boot) {
        memcpy(g_sota_dev.sb_key_digest, cfg->secure_boot_key_digest, sizeof g_sota_dev.sb_key_digest);
    }
    sota_dev_default_app_desc(&g_sota_dev.app_desc);

    if (cfg->reset_reason != ESP_RST_UNKNOWN) {
        g_sota_dev.reset_reason = cfg->reset_reason;
    } else {
        const char *env = getenv(SOTA_HOST_RESET_ENV);
        bool sw = g_sota_dev.sw_reset_pending || (env && strcmp(env, "SW") == 0);
        g_sota_dev.reset_reason = sw ? ESP_RST_SW : ESP_RST_POWERON;
    }
    g_sota_dev.sw_reset_pending = false;
    unsetenv(SOTA_HOST_RESET_ENV);
    return ESP_OK;
}

esp_err_t sota_host_boot(const sota_host_config_t *cfg, boot_result_t *out)
{
    esp_err_t err = sota_host_attach(cfg);
    if (err != ESP_OK) {
        return err;
    }
    boot_result_t *r = out ? out : malloc(sizeof *r);
    if (r == NULL) {
        return ESP_ERR_NO_MEM;
    }
    boot_opts_t opts = {
        .chip = g_sota_dev.chip,
        .chip_rev = g_sota_dev.chip_rev,
        .efuse_blk_rev = g_sota_dev.efuse_blk_rev,
        .rollback_enabled = g_sota_dev.rollback_enabled,
        .write = true,
        .table_offset = g_sota_dev.table_offset,
        .log = g_sota_dev.quiet ? NULL : stderr,
    };
    boot_status_t st = boot_select(g_sota_dev.flash, &opts, r);
    switch (st) {
    case BOOT_OK:
        err = ESP_OK;
        break;
    case BOOT_ERR_PTABLE:
        err = ESP_ERR_INVALID_STATE;
        break;
    case BOOT_ERR_NO_APP:
        err = ESP_ERR_NOT_FOUND;
        break;
    default:
        err = ESP_ERR_FLASH_OP_FAIL;
        break;
    }
    if (err == ESP_OK) {
        err = sota_dev_load_partitions();
        const esp_partition_t *run = NULL;
        for (unsigned i = 0; err == ESP_OK && i < g_sota_dev.nparts; i++) {
            const esp_partition_t *p = &g_sota_dev.parts[i];
            if (p->type == ESP_PARTITION_TYPE_APP && p->address == r->offset) {
                run = p;
                break;
            }
        }
        if (err == ESP_OK && run == NULL) {
            ESP_LOGE(TAG, "the bootloader booted 0x%08x, which is no app partition of the table",
                     (unsigned)r->offset);
            err = ESP_ERR_INVALID_STATE;
        }
        if (err == ESP_OK) {
            esp_app_desc_t desc;
            nor_err_t nerr = nor_read(g_sota_dev.flash, run->address + SOTA_APP_DESC_OFFSET, &desc, sizeof desc);
            err = sota_dev_flash_err(nerr, "read", run->address + SOTA_APP_DESC_OFFSET, sizeof desc);
            if (err == ESP_OK && desc.magic_word != ESP_APP_DESC_MAGIC_WORD) {
                /* An app built without esp_app_desc_t (Arduino-ESP32 1.x) booted: it has no
                 * project or version to report, rather than the bytes in its place. */
                memset(&desc, 0, sizeof desc);
            }
            if (err == ESP_OK) {
                g_sota_dev.running = run;
                g_sota_dev.app_desc = desc;
                ESP_LOGI(TAG, "running '%s' (0x%08x): %.32s %.32s, %.32s, reset reason %d", run->label,
                         (unsigned)run->address, desc.project_name, desc.version, desc.idf_ver,
                         (int)g_sota_dev.reset_reason);
            }
        }
    } else {
        ESP_LOGE(TAG, "nothing boots: %s", r->reason);
    }
    if (r != out) {
        free(r);
    }
    return err;
}

const sota_chip_t *sota_host_chip(void)
{
    return g_sota_dev.chip ? g_sota_dev.chip : sota_chip_by_name("esp32");
}

uint16_t sota_host_efuse_blk_rev(void)
{
    return g_sota_dev.efuse_blk_rev;
}

uint16_t sota_host_chip_rev(void)
{
    if (g_sota_dev.chip_rev) {
        return g_sota_dev.chip_rev;
    }
    const sota_chip_t *c = sota_host_chip();
    return c ? c->default_rev : 0;
}

const char *sota_host_last_verify_message(void)
{
    return g_sota_dev.verify_msg;
}
