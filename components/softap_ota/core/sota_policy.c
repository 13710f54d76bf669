/* The upload policy's rules: see sota_policy.h. */
#include "sota_policy.h"

#include <string.h>

#include "sota_update.h"

/* A row names its field once: a misspelt name does not compile, and a missing row fails
 * the assertion below. */
#define RULE(field, help) { #field, help, offsetof(softap_ota_policy_t, field) }

const sota_policy_rule_t sota_policy_rules[] = {
    RULE(require_app_desc, "refuse images without a valid app description"),
    RULE(require_sha256, "refuse images without an appended SHA-256"),
    RULE(require_same_project, "refuse another project's firmware"),
    RULE(refuse_downgrade, "refuse a lower version than the running one"),
    RULE(refuse_lower_secure_version, "refuse a lower secure_version (anti-rollback)"),
    RULE(refuse_failed_version, "refuse the version that last failed its health check"),
    RULE(require_signed, "refuse apps not signed by a trusted key"),
};

_Static_assert(sizeof sota_policy_rules / sizeof sota_policy_rules[0] == SOTA_POLICY_N_RULES,
               "one row per field of softap_ota_policy_t");

sota_policy_verdict_t sota_policy_identity(const softap_ota_policy_t *p, const sota_policy_app_t *app,
                                           const sota_policy_app_t *running,
                                           const sota_policy_app_t *failed)
{
    if (p->require_same_project && running->project && app->project &&
        strcmp(app->project, running->project) != 0) {
        return SOTA_POLICY_OTHER_PROJECT;
    }
    if (p->refuse_downgrade && sota_update_version_older(app->version, running->version)) {
        return SOTA_POLICY_DOWNGRADE;
    }
    if (p->refuse_lower_secure_version && app->secure_version < running->secure_version) {
        return SOTA_POLICY_LOWER_SECURE_VERSION;
    }
    if (p->refuse_failed_version && failed && failed->project && failed->version && app->project &&
        app->version && strcmp(app->project, failed->project) == 0 &&
        strcmp(app->version, failed->version) == 0) {
        return SOTA_POLICY_FAILED_VERSION;
    }
    return SOTA_POLICY_ALLOWED;
}
