/* The upload policy's rules as a table: each rule's name, what it refuses and where it
 * sits in softap_ota_policy_t (include/softap_ota_policy.h, the one struct of the rules).
 * What lists the rules is made from this table, not written rule by rule: the "policy"
 * object of /api/status (src/ota_status.c) and the `sota sim` flags and their help
 * (host/cli/cmd_sim.c). The checks themselves are in sota_update.c. */
#ifndef SOTA_POLICY_H
#define SOTA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softap_ota_policy.h"

/* Every field of softap_ota_policy_t is a bool (one byte, no padding): so many rules. */
#define SOTA_POLICY_N_RULES (sizeof(softap_ota_policy_t) / sizeof(bool))

typedef struct {
    const char *name;   /* the field's name: the key in /api/status "policy", the rule a
                           refusal names ("policy <name>: ..."); `sota sim --<name>` with
                           '-' for '_' */
    const char *help;   /* what the rule refuses, one line */
    size_t offset;      /* offsetof(softap_ota_policy_t, <name>) */
} sota_policy_rule_t;

/* SOTA_POLICY_N_RULES rows, one per field, in the struct's order (sota_policy.c checks
 * the count when it compiles). */
extern const sota_policy_rule_t sota_policy_rules[];

/* The rule's switch in *p. */
static inline bool *sota_policy_rule(softap_ota_policy_t *p, const sota_policy_rule_t *r)
{
    return (bool *)((char *)p + r->offset);
}

static inline bool sota_policy_on(const softap_ota_policy_t *p, const sota_policy_rule_t *r)
{
    return *(const bool *)((const char *)p + r->offset);
}

/* An app as the identity rules see it (from its app description). */
typedef struct {
    const char *project;      /* NULL: unknown */
    const char *version;      /* NULL or "": unknown */
    uint32_t secure_version;
} sota_policy_app_t;

typedef enum {
    SOTA_POLICY_ALLOWED = 0,
    SOTA_POLICY_OTHER_PROJECT,        /* require_same_project */
    SOTA_POLICY_DOWNGRADE,            /* refuse_downgrade */
    SOTA_POLICY_LOWER_SECURE_VERSION, /* refuse_lower_secure_version */
    SOTA_POLICY_FAILED_VERSION,       /* refuse_failed_version */
} sota_policy_verdict_t;

/* The rules that compare an app with the running one and with the one that last failed
 * its health check (failed: NULL if none), in this order, for an upload and for a
 * switch alike (the caller words the refusal): the first rule that refuses it, or
 * SOTA_POLICY_ALLOWED. An unknown running project or version passes its rule; an empty
 * version is unknown, never older (sota_update_version_older). */
sota_policy_verdict_t sota_policy_identity(const softap_ota_policy_t *p, const sota_policy_app_t *app,
                                           const sota_policy_app_t *running,
                                           const sota_policy_app_t *failed);

#endif
