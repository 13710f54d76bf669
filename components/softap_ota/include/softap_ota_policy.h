/* softap-ota's upload policy: the rules, stricter than ESP-IDF's own verification, that
 * an upload (and a switch with POST /api/boot, for the rules about the app's identity)
 * must pass. One struct, used as it is by the public configuration
 * (softap_ota_config_t.policy), the update session (core/sota_update.h) and the
 * simulator; plain C with no ESP-IDF header, so that the portable core includes it too.
 *
 * Every field is a bool that turns one rule on; core/sota_policy.h lists them in a table
 * (name, help, offset) from which /api/status and `sota sim` are made. A new rule: a
 * field here, its row there, its check in core/sota_update.c, its Kconfig option and
 * its line in SOFTAP_OTA_POLICY_DEFAULT() (softap_ota.h), and the README.
 */
#ifndef SOFTAP_OTA_POLICY_H
#define SOFTAP_OTA_POLICY_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    bool require_app_desc;        /* refuse images without a valid app description
                                     (esp_app_desc_t) */
    bool require_sha256;          /* refuse images without an appended SHA-256 */
    bool require_same_project;    /* refuse another project's firmware (project_name must
                                     equal the running app's) */
    bool refuse_downgrade;        /* refuse a lower version than the running one */
    bool refuse_lower_secure_version; /* refuse a lower secure_version (anti-rollback) */
    bool refuse_failed_version;   /* refuse the project+version that last failed its
                                     health check (kept in NVS) */
    bool require_signed;          /* refuse uploads not signed by a trusted key: the file
                                     must be the image, 0xFF up to 4 KiB, and a Secure Boot
                                     V2 signature sector (see softap_ota_config_t's
                                     signing_key_digest for which key is trusted) */
} softap_ota_policy_t;

#ifdef __cplusplus
}
#endif

#endif
