/*
 * The demo's Kubernetes-like deployments (demo_shop.h): one mid rollout, one
 * whose new pods crash-loop until its deadline fails it, one paused. Pods
 * roll one at a time at each deployment's pace. Actions with kubectl's words
 * and refusals: restart, pause, resume, scale, undo (which leaves a broken
 * image behind).
 */
#include "demo_shop.h"

#include "../common/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    DEADLINE_TICKS = 6, /* progressDeadlineSeconds, in ticks */
};

/* ---- the simulation ---- */

void demo_deploys_init(struct demo *d)
{
    for (int i = 0; i < NDEPLOYS; i++) {
        const struct deploy_def *def = &demo_deploy_defs[i];
        struct deploy *dp = &d->deploys[i];
        dp->state = def->state;
        dp->updated = def->updated;
        dp->pace = def->pace;
        dp->wait = def->pace - 1;
        dp->revision = 3 + (int)demo_rng_below(d, 40);
        dp->prev_revision = dp->revision - 1;
        dp->replicas = def->replicas;
        dp->created = d->t0 - (int64_t)def->age_days * 86400 - (int64_t)demo_rng_below(d, 86400);
        dp->changed = d->t0 - 600 - (int64_t)demo_rng_below(d, 3000);
    }
}

/* Ready pods: a rollout under way or stuck keeps one pod unavailable. */
static int deploy_ready(const struct deploy *dp, const struct deploy_def *def)
{
    (void)def;
    bool short_one = dp->state == ROLLOUT_PROGRESSING || dp->state == ROLLOUT_FAILED;
    return short_one && dp->replicas > 0 ? dp->replicas - 1 : dp->replicas;
}

static void deploy_step(struct demo *d, struct deploy *dp, const struct deploy_def *def)
{
    if (dp->state != ROLLOUT_PROGRESSING) {
        return;
    }
    if (dp->wait > 0) {
        dp->wait--;
        return;
    }
    if (def->broken && !dp->fixed && dp->updated >= 1) {
        if (++dp->stuck >= DEADLINE_TICKS) {
            dp->state = ROLLOUT_FAILED;
            dp->changed = d->now;
        }
        return;
    }
    if (dp->updated < dp->replicas) { /* scaled to 0 mid-rollout: nothing to update */
        dp->updated++;
    }
    dp->wait = dp->pace - 1 + (int)demo_rng_below(d, 2);
    if (dp->updated >= dp->replicas) {
        dp->state = ROLLOUT_COMPLETE;
        dp->changed = d->now;
    }
}

void demo_deploys_step(struct demo *d)
{
    for (int i = 0; i < NDEPLOYS; i++) {
        deploy_step(d, &d->deploys[i], &demo_deploy_defs[i]);
    }
}

static struct deploy *deploy_find(struct demo *d, const char *key, const struct deploy_def **def)
{
    for (int i = 0; i < NDEPLOYS; i++) {
        size_t nl = strlen(demo_deploy_defs[i].ns);
        if (strncmp(key, demo_deploy_defs[i].ns, nl) == 0 && key[nl] == '/' &&
            strcmp(key + nl + 1, demo_deploy_defs[i].name) == 0) {
            *def = &demo_deploy_defs[i];
            return &d->deploys[i];
        }
    }
    return NULL;
}

/* ---- rows ---- */

static void deploy_conditions(struct rowset *rs, const struct deploy *dp, const char *rs_name)
{
    switch (dp->state) {
    case ROLLOUT_COMPLETE:
        rowset_detail(rs, "condition.Progressing", "True (NewReplicaSetAvailable)");
        break;
    case ROLLOUT_PROGRESSING:
        rowset_detail(rs, "condition.Progressing", "True (ReplicaSetUpdated)");
        break;
    case ROLLOUT_FAILED:
        rowset_detail(rs, "condition.Progressing", "False (ProgressDeadlineExceeded)");
        rowset_detail(rs, "reason", "ProgressDeadlineExceeded");
        rowset_detailf(rs, "message", "ReplicaSet \"%s\" has timed out progressing.", rs_name);
        break;
    case ROLLOUT_PAUSED:
        rowset_detail(rs, "condition.Progressing", "Unknown (DeploymentPaused)");
        rowset_detail(rs, "paused", "true");
        break;
    }
}

static void deploy_details(struct rowset *rs, const struct deploy *dp, const struct deploy_def *def)
{
    char rs_name[64];
    uint64_t h = fnv1a(fnv1a(FNV1A_OFFSET, def->name), def->image) + (uint64_t)dp->revision;
    snprintf(rs_name, sizeof rs_name, "%s-%09" PRIx64, def->name, h >> 28);
    rowset_detail(rs, "namespace", def->ns);
    rowset_detailf(rs, "replicas", "%d desired, %d updated, %d ready", dp->replicas, dp->updated,
                   deploy_ready(dp, def));
    rowset_detail(rs, "strategy", "RollingUpdate (maxSurge 25%, maxUnavailable 25%)");
    rowset_detailf(rs, "selector", "app=%s", def->name);
    rowset_detailf(rs, "revision", "%d", dp->revision);
    rowset_detail(rs, "replicaset", rs_name);
    rowset_detail(rs, "image", def->image);
    demo_detail_time(rs, "created", dp->created);
    demo_detail_time(rs, "last transition", dp->changed);
    rowset_detail(rs, "condition.Available",
                  deploy_ready(dp, def) > 0 ? "True (MinimumReplicasAvailable)"
                                            : "False (MinimumReplicasUnavailable)");
    deploy_conditions(rs, dp, rs_name);
}

static void publish_deploy(struct rowset *rs, const struct deploy *dp, const struct deploy_def *def,
                           const char *source)
{
    char key[96], ready[32];
    int nready = deploy_ready(dp, def);
    snprintf(key, sizeof key, "%s/%s", def->ns, def->name);
    snprintf(ready, sizeof ready, "%d/%d", nready, dp->replicas);
    rowset_begin(rs, key);
    rowset_text(rs, DEPLOY_NAMESPACE, def->ns);
    rowset_text(rs, DEPLOY_NAME, def->name);
    rowset_cell(rs, DEPLOY_READY, ready, nready);
    if (nready < dp->replicas) {
        rowset_cell_tone(rs, DEPLOY_READY, TONE_WARN);
    }
    rowset_num(rs, DEPLOY_UPTODATE, dp->updated);
    rowset_num(rs, DEPLOY_AVAILABLE, nready);
    rowset_cell(rs, DEPLOY_AGE, "", (double)dp->created);
    rowset_text(rs, DEPLOY_STATE, model_rollout_name(dp->state));
    rowset_cell_tone(rs, DEPLOY_STATE, model_rollout_tone(dp->state));
    if (dp->state == ROLLOUT_FAILED) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    rowset_text(rs, DEPLOY_IMAGE, def->image);
    rowset_text(rs, DEPLOY_SOURCE, source);
    deploy_details(rs, dp, def);
}

void demo_deploys_publish(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_DEPLOYS, b->name);
    for (int i = 0; i < NDEPLOYS; i++) {
        publish_deploy(rs, &d->deploys[i], &demo_deploy_defs[i], b->name);
    }
    backend_publish(b, rs);
}

/* ---- actions ---- */

/* A new revision rolls out from the first pod. */
static void deploy_roll(struct demo *d, struct deploy *dp)
{
    dp->state = ROLLOUT_PROGRESSING;
    dp->updated = 0;
    dp->wait = 0;
    dp->pace = 1;
    dp->stuck = 0;
    dp->prev_revision = dp->revision;
    dp->revision++;
    dp->changed = d->now;
}

static bool act_scale(struct demo *d, struct deploy *dp, const char *target, const char *input,
                      char **msg)
{
    char *end = NULL;
    long n = input != NULL && input[0] >= '0' && input[0] <= '9' ? strtol(input, &end, 10) : -1;
    if (end == NULL || *end != '\0' || n < 0 || n > 10000) {
        *msg = xasprintf("bad replica count '%s' (a whole number from 0 to 10000)",
                         input != NULL ? input : "");
        return false;
    }
    int before = dp->replicas;
    dp->replicas = (int)n;
    /* a settled deployment scales at once; in a rollout, new pods are new-template pods */
    if (dp->state == ROLLOUT_COMPLETE || dp->updated > dp->replicas) {
        dp->updated = dp->replicas;
    }
    dp->changed = d->now;
    *msg = n == 0 ? xasprintf("%s scaled from %d to 0 replicas: no pods will run", target, before)
                  : xasprintf("%s scaled from %d to %ld replicas", target, before, n);
    return true;
}

static bool act_restart(struct demo *d, const char *target, char **msg)
{
    const struct deploy_def *def;
    struct deploy *dp = deploy_find(d, target, &def);
    if (dp == NULL) {
        *msg = xasprintf("no such deployment: %s", target);
        return false;
    }
    if (dp->state == ROLLOUT_PAUSED) {
        /* what kubectl rollout restart says, too */
        *msg = xasprintf("can't restart paused deployment %s (run rollout resume first)", target);
        return false;
    }
    deploy_roll(d, dp);
    *msg = xasprintf("%s restarted", target);
    return true;
}

/* Pause, resume, scale and undo, with kubectl's refusals and words. */
static bool act_deploy(struct demo *d, const char *verb, const char *target, const char *input,
                       char **msg)
{
    const struct deploy_def *def;
    struct deploy *dp = deploy_find(d, target, &def);
    if (dp == NULL) {
        *msg = xasprintf("no such deployment: %s", target);
        return false;
    }
    bool paused = dp->state == ROLLOUT_PAUSED;
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        bool pause = verb[0] == 'p';
        if (pause == paused) {
            *msg = xasprintf(pause ? "%s is already paused" : "%s is not paused", target);
            return false;
        }
        dp->state = pause                        ? ROLLOUT_PAUSED
                    : dp->updated < dp->replicas ? ROLLOUT_PROGRESSING
                                                 : ROLLOUT_COMPLETE;
        dp->changed = d->now;
        *msg = xasprintf("%s %s", target, pause ? "paused" : "resumed");
        return true;
    }
    if (strcmp(verb, "scale") == 0) {
        return act_scale(d, dp, target, input, msg);
    }
    if (paused) {
        *msg = xasprintf("can't undo paused deployment %s (run rollout resume first)", target);
        return false;
    }
    if (dp->prev_revision <= 0) {
        *msg = xasprintf("no previous revision of %s", target);
        return false;
    }
    int back = dp->prev_revision;
    /* the old template comes back as a new revision; a broken image is left behind */
    dp->fixed = def->broken ? !dp->fixed : dp->fixed;
    deploy_roll(d, dp);
    *msg = xasprintf("%s rolled back to revision %d", target, back);
    return true;
}

int demo_deploys_form(struct demo *d, const struct action_def *def, const char *target,
                      const char **labels, char **values, int max)
{
    const struct deploy_def *ddef;
    struct deploy *dp = strcmp(def->verb, "scale") == 0 && def->kind == MODEL_DEPLOYS && max >= 1
                            ? deploy_find(d, target, &ddef)
                            : NULL;
    if (dp == NULL) {
        return 0;
    }
    labels[0] = def->input_prompt;
    values[0] = xasprintf("%d", dp->replicas);
    return 1;
}

bool demo_deploys_act(struct demo *d, const char *verb, const char *target, const char *input,
                      char **msg)
{
    if (strcmp(verb, "restart") == 0) {
        return act_restart(d, target, msg);
    }
    return act_deploy(d, verb, target, input, msg);
}
