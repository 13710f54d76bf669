/* esp_system, esp_chip_info, esp_idf_version and esp_app_desc of the simulated device. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_internal.h"
#include "esp_app_desc.h"
#include "esp_chip_info.h"
#include "hal/efuse_hal.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_system.h"
#include "sdkconfig.h"
#include "sota_host.h"

static const char *TAG = "system";

/* Mark every descriptor above stderr close-on-exec, so that the re-executed program
 * starts like a device after reset (listening sockets released). */
static void cloexec_all(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end == '\0' && fd > 2) {
            int flags = fcntl((int)fd, F_GETFD);
            if (flags >= 0) {
                fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
            }
        }
    }
    closedir(d);
}

void esp_restart(void)
{
    ESP_LOGI(TAG, "esp_restart: software reset");
    g_sota_dev.sw_reset_pending = true;
    if (g_sota_dev.restart_hook) {
        g_sota_dev.restart_hook(g_sota_dev.restart_ctx);
        fprintf(stderr, "sota_host: the restart hook returned; it must longjmp or exit\n");
        abort();
    }
    char **argv = g_sota_dev.argv;
    g_sota_dev.argv = NULL;
    /* RAM is lost, flash keeps what was written: flush it to the file. The flash lock
     * is taken for good so that no other task touches the flash once it is closed. */
    sota_dev_lock();
    sota_dev_ota_drop_all();
    nor_close(g_sota_dev.flash);
    g_sota_dev.flash = NULL;
    fflush(NULL);
    if (argv == NULL) {
        exit(0);
    }
    cloexec_all();
    setenv(SOTA_HOST_RESET_ENV, "SW", 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "sota_host: esp_restart could not re-execute %s: %s\n", argv[0], strerror(errno));
    exit(EXIT_FAILURE);
}

typedef struct {
    uint16_t image_chip_id;
    esp_chip_model_t model;
    uint32_t features;
    uint8_t cores;
} chip_model_t;

/* Image chip id -> esp_chip_info model, features and cores (ESP-IDF's per-target values). */
static const chip_model_t s_models[] = {
    { 0x0000, CHIP_ESP32, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BT | CHIP_FEATURE_BLE, 2 },
    { 0x0002, CHIP_ESP32S2, CHIP_FEATURE_WIFI_BGN, 1 },
    { 0x0005, CHIP_ESP32C3, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE, 1 },
    { 0x0009, CHIP_ESP32S3, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE, 2 },
    { 0x000C, CHIP_ESP32C2, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE, 1 },
    { 0x000D, CHIP_ESP32C6, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 1 },
    { 0x0010, CHIP_ESP32H2, CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 1 },
    { 0x0012, CHIP_ESP32P4, 0, 2 },
    { 0x0014, CHIP_ESP32C61, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE, 1 },
    { 0x0017, CHIP_ESP32C5, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 1 },
    { 0x0019, CHIP_ESP32H21, CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 1 },
    { 0x001C, CHIP_ESP32H4, CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 2 },
    { 0x0020, CHIP_ESP32S31, CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE | CHIP_FEATURE_IEEE802154, 2 },
};

void esp_chip_info(esp_chip_info_t *out_info)
{
    if (out_info == NULL) {
        return;
    }
    const sota_chip_t *chip = sota_host_chip();
    memset(out_info, 0, sizeof *out_info);
    out_info->model = CHIP_POSIX_LINUX;
    out_info->cores = 1;
    for (size_t i = 0; chip && i < sizeof s_models / sizeof s_models[0]; i++) {
        if (s_models[i].image_chip_id == chip->chip_id) {
            out_info->model = s_models[i].model;
            out_info->features = s_models[i].features;
            out_info->cores = s_models[i].cores;
            break;
        }
    }
    out_info->revision = sota_host_chip_rev();
}

const esp_app_desc_t *esp_app_get_description(void)
{
    if (g_sota_dev.running == NULL) {
        /* Before the first boot (or after a failed one): the host build's description. */
        static esp_app_desc_t s_default;
        sota_dev_default_app_desc(&s_default);
        return &s_default;
    }
    return &g_sota_dev.app_desc;
}

uint32_t efuse_hal_blk_version(void)
{
    return sota_host_efuse_blk_rev();
}
