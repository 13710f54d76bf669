/* The upload policy's rules as a table: each rule's name, what it refuses and where it
 * sits in softap_ota_policy_t (include/softap_ota_policy.h, the one struct of the rules).
 * What lists the rules is made from this table, not written rule by rule: the "policy"
 * object of /api/status (src/ota_status.c) and the `sota sim` flags and their help
 * (host/cli/cmd_sim.c). The checks themselves are in sota_update.c. */
#ifndef SOTA_POLICY_H
#define SOTA_POLICY_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
