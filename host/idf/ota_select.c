/* esp_ota_ops: otadata (which app boots next), app states, rollback, slot look-ups
 * (ESP-FORMATS.md 2.2, ESP-IDF master). */
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "otadata.h"

static const char *TAG = "esp_ota_ops";

#define OTA_SLOT(subtype) ((uint32_t)(subtype) & 0x0F)

/* Read both otadata entries. Returns the otadata partition, or NULL (none, or the read
 * failed: logged). */
static const esp_partition_t *read_otadata(otadata_entry_t e[2])
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
    if (p == NULL) {
        ESP_LOGE(TAG, "not found otadata");
        return NULL;
    }
    if (p->size < OTADATA_SIZE) {
        ESP_LOGE(TAG, "otadata partition '%s' is 0x%x bytes, needs 0x%x", p->label, (unsigned)p->size,
                 OTADATA_SIZE);
        return NULL;
    }
    sota_dev_lock();
    nor_err_t nerr = otadata_read(g_sota_dev.flash, p->address, e);
    sota_dev_unlock();
    if (sota_dev_flash_err(nerr, "read otadata", p->address, OTADATA_SIZE) != ESP_OK) {
        return NULL;
    }
    return p;
}

/* Erase sector idx of otadata and write e there (ESP-IDF's rewrite_ota_seq: the seq is
 * set and the CRC recomputed; label and state are what the caller left in e). */
static esp_err_t rewrite_entry(const esp_partition_t *otadata_part, int idx, otadata_entry_t *e, uint32_t seq)
{
    e->ota_seq = seq;
    e->crc = otadata_crc(seq);
    sota_dev_lock();
    nor_err_t nerr = otadata_write(g_sota_dev.flash, otadata_part->address, idx, e);
    sota_dev_unlock();
    return sota_dev_flash_err(nerr, "write otadata", otadata_part->address + (uint32_t)idx * OTADATA_SECTOR,
                              OTADATA_ENTRY_LEN);
}

/* bootloader_common_select_otadata: among the entries flagged in ok[], the one with the
 * highest (or lowest) seq; a tie picks entry 0. -1 if none is flagged. */
static int select_entry(const otadata_entry_t e[2], const bool ok[2], bool highest)
{
    if (ok[0] && ok[1]) {
        uint32_t a = e[0].ota_seq, b = e[1].ota_seq;
        uint32_t want = highest ? (a > b ? a : b) : (a < b ? a : b);
        return e[0].ota_seq == want ? 0 : 1;
    }
    if (ok[0]) {
        return 0;
    }
    if (ok[1]) {
        return 1;
    }
    return -1;
}

static bool crc_ok(const otadata_entry_t *e)
{
    return e->crc == otadata_crc(e->ota_seq);
}

static const esp_partition_t *find_slot(uint32_t slot)
{
    return esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(slot), NULL);
}

/* Number of consecutive OTA slots ota_0, ota_1, ... in the table (stops at the first
 * missing subtype), as ESP-IDF's function of that name. */
static uint8_t esp_ota_get_app_partition_count(void)
{
    uint8_t n = 0;
    while (n < 16 && find_slot(n) != NULL) {
        n++;
    }
    return n;
}

/* The seq that selects slot `slot`: ((slot + 1) mod n) + i * n with the smallest i >= 0
 * such that it is >= current (ESP-IDF's compute_ota_seq_for_target_slot). */
static uint32_t seq_for_slot(uint32_t current, uint32_t slot, uint32_t n)
{
    if (n == 0) {
        return 0;
    }
    uint64_t base = (slot + 1) % n;
    if (current <= base) {
        return (uint32_t)base;
    }
    uint64_t i = ((uint64_t)current - base + n - 1) / n;
    return (uint32_t)(base + i * n);
}

static esp_err_t rewrite_ota_data(esp_partition_subtype_t subtype)
{
    otadata_entry_t e[2];
    const esp_partition_t *od = read_otadata(e);
    if (od == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    uint32_t n = esp_ota_get_app_partition_count();
    uint32_t slot = OTA_SLOT(subtype);
    if (slot >= n) {
        ESP_LOGE(TAG, "ota_%u is not one of the %u consecutive OTA slots", (unsigned)slot, (unsigned)n);
        return ESP_ERR_INVALID_ARG;
    }
    int active = otadata_active(e);
    int next;
    uint32_t seq;
    if (active != -1) {
        if (otadata_slot(&e[active], n) == slot) {
            next = active;
            seq = e[active].ota_seq;
        } else {
            next = active ^ 1;
            seq = seq_for_slot(e[active].ota_seq, slot, n);
        }
    } else {
        next = 0;
        seq = slot + 1;
    }
    e[next].ota_state = g_sota_dev.rollback_enabled ? OTA_STATE_NEW : OTA_STATE_UNDEFINED;
    return rewrite_entry(od, next, &e[next], seq);
}

static esp_err_t set_boot_internal(const esp_partition_t *partition)
{
    if (partition->type != ESP_PARTITION_TYPE_APP) {
        ESP_LOGE(TAG, "'%s' is not an app partition", partition->label);
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY) {
        const esp_partition_t *od = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA,
                                                             NULL);
        if (od == NULL) {
            return ESP_ERR_NOT_FOUND;
        }
        return esp_partition_erase_range(od, 0, od->size);
    }
    return rewrite_ota_data(partition->subtype);
}

esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (sota_dev_verify_image(partition, false) != SOTA_IMG_OK) {
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    return set_boot_internal(partition);
}

esp_err_t esp_ota_set_boot_partition_skip_validate(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    return set_boot_internal(partition);
}

/* What the bootloader falls back to without usable otadata: factory, else the first OTA
 * slot, else test. */
static const esp_partition_t *default_boot_partition(void)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    for (uint32_t s = 0; p == NULL && s < 16; s++) {
        p = find_slot(s);
    }
    if (p == NULL) {
        p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_TEST, NULL);
    }
    if (p == NULL) {
        ESP_LOGE(TAG, "invalid partition table, no app partitions");
    }
    return p;
}

const esp_partition_t *esp_ota_get_boot_partition(void)
{
    otadata_entry_t e[2];
    if (read_otadata(e) == NULL) {
        return NULL;
    }
    uint32_t n = esp_ota_get_app_partition_count();
    if ((otadata_is_invalid(&e[0]) && otadata_is_invalid(&e[1])) || n == 0) {
        return default_boot_partition();
    }
    int active = otadata_active(e);
    if (active == -1) {
        ESP_LOGE(TAG, "ota data invalid, no current app. Assuming factory");
        return default_boot_partition();
    }
    return find_slot(otadata_slot(&e[active], n));
}

const esp_partition_t *esp_ota_get_running_partition(void)
{
    return g_sota_dev.running;
}

const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from)
{
    start_from = start_from ? esp_partition_verify(start_from) : esp_ota_get_running_partition();
    const esp_partition_t *first = NULL;
    bool next_is_result = false;
    for (uint32_t s = 0; s < 16; s++) {
        const esp_partition_t *p = find_slot(s);
        if (p == NULL) {
            continue;
        }
        if (first == NULL) {
            first = p;
        }
        if (p == start_from) {
            next_is_result = true;
        } else if (next_is_result) {
            return p;
        }
    }
    return first;
}

esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition, esp_app_desc_t *app_desc)
{
    if (partition == NULL || app_desc == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->type != ESP_PARTITION_TYPE_APP) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_err_t err = esp_partition_read(partition, sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t),
                                       app_desc, sizeof *app_desc);
    if (err != ESP_OK) {
        return err;
    }
    return app_desc->magic_word == ESP_APP_DESC_MAGIC_WORD ? ESP_OK : ESP_ERR_NOT_FOUND;
}

/* true if another app could boot instead of the running one: the inactive otadata entry
 * is valid and its slot holds a valid image, or it is not valid and the factory
 * partition holds a valid image (ESP-IDF's function of that name). */
static bool esp_ota_check_rollback_is_possible(void)
{
    otadata_entry_t e[2];
    if (read_otadata(e) == NULL) {
        return false;
    }
    uint32_t n = esp_ota_get_app_partition_count();
    if (n == 0) {
        return false;
    }
    bool valid[2] = { otadata_is_valid(&e[0]), otadata_is_valid(&e[1]) };
    int active = select_entry(e, valid, true);
    if (active == -1) {
        return false;
    }
    int other = active ^ 1;
    if (!valid[other]) {
        const esp_partition_t *factory =
            esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
        if (factory != NULL && sota_dev_verify_image(factory, true) == SOTA_IMG_OK) {
            return true;
        }
        return false;
    }
    const esp_partition_t *p = find_slot(otadata_slot(&e[other], n));
    return p != NULL && sota_dev_verify_image(p, true) == SOTA_IMG_OK;
}

/* valid == true: the running app is good; false: it is bad, roll back on next boot. */
static esp_err_t current_ota_is_workable(bool valid)
{
    otadata_entry_t e[2];
    const esp_partition_t *od = read_otadata(e);
    if (od == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    int active = otadata_active(e);
    if (active == -1 || esp_ota_get_app_partition_count() == 0) {
        ESP_LOGE(TAG, "Running firmware is factory");
        return ESP_FAIL;
    }
    if (valid) {
        if (e[active].ota_state != OTA_STATE_VALID) {
            e[active].ota_state = OTA_STATE_VALID;
            return rewrite_entry(od, active, &e[active], e[active].ota_seq);
        }
        return ESP_OK;
    }
    if (!esp_ota_check_rollback_is_possible()) {
        ESP_LOGE(TAG, "Rollback is not possible, do not have any suitable apps in slots");
        return ESP_ERR_OTA_ROLLBACK_FAILED;
    }
    e[active].ota_state = OTA_STATE_INVALID;
    esp_err_t err = rewrite_entry(od, active, &e[active], e[active].ota_seq);
    if (err == ESP_OK) {
        ESP_LOGI(TAG, "Rollback to previously worked partition.");
    }
    return err;
}

esp_err_t esp_ota_mark_app_valid_cancel_rollback(void)
{
    return current_ota_is_workable(true);
}

/* The running app's active otadata entry becomes INVALID (ESP-IDF's function of that
 * name); ESP_ERR_OTA_ROLLBACK_FAILED (nothing written) unless
 * esp_ota_check_rollback_is_possible(). */
static esp_err_t esp_ota_mark_app_invalid_rollback(void)
{
    return current_ota_is_workable(false);
}

esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void)
{
    esp_err_t err = esp_ota_mark_app_invalid_rollback();
    if (err == ESP_OK) {
        esp_restart();
    }
    return err;
}

const esp_partition_t *esp_ota_get_last_invalid_partition(void)
{
    otadata_entry_t e[2];
    if (read_otadata(e) == NULL) {
        return NULL;
    }
    bool bad[2];
    for (int i = 0; i < 2; i++) {
        bad[i] = e[i].ota_seq != OTADATA_SEQ_ERASED && crc_ok(&e[i]) &&
                 (e[i].ota_state == OTA_STATE_INVALID || e[i].ota_state == OTA_STATE_ABORTED);
    }
    int idx = select_entry(e, bad, false);
    uint32_t n = esp_ota_get_app_partition_count();
    if (idx == -1 || n == 0) {
        return NULL;
    }
    const esp_partition_t *p = find_slot(otadata_slot(&e[idx], n));
    if (p != NULL && sota_dev_verify_image(p, true) != SOTA_IMG_OK) {
        return NULL;
    }
    return p;
}

esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state)
{
    if (partition == NULL || ota_state == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->type != ESP_PARTITION_TYPE_APP || partition->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_0 ||
        partition->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_MAX) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    otadata_entry_t e[2];
    uint32_t n = esp_ota_get_app_partition_count();
    if (n == 0 || read_otadata(e) == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    uint32_t want = (uint32_t)partition->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN;
    for (int i = 0; i < 2; i++) {
        if (otadata_slot(&e[i], n) == want && crc_ok(&e[i])) {
            *ota_state = (esp_ota_img_states_t)e[i].ota_state;
            return ESP_OK;
        }
    }
    return ESP_ERR_NOT_FOUND;
}

static esp_err_t erase_last_boot_app_partition(bool keep_app)
{
    otadata_entry_t e[2];
    const esp_partition_t *od = read_otadata(e);
    if (od == NULL) {
        return ESP_FAIL;
    }
    int active = otadata_active(e);
    uint32_t n = esp_ota_get_app_partition_count();
    if (active == -1 || n == 0) {
        return ESP_FAIL;
    }
    int inactive = active ^ 1;
    if (e[inactive].ota_seq == OTADATA_SEQ_ERASED || !crc_ok(&e[inactive])) {
        return ESP_FAIL;
    }
    const esp_partition_t *last = find_slot(otadata_slot(&e[inactive], n));
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (last == NULL || running == NULL || last == running) {
        return ESP_FAIL;
    }
    if (!keep_app) {
        esp_err_t err = esp_partition_erase_range(last, 0, last->size);
        if (err != ESP_OK) {
            return err;
        }
    }
    return esp_partition_erase_range(od, (size_t)inactive * od->erase_size, od->erase_size);
}

esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void)
{
    return erase_last_boot_app_partition(true);
}
