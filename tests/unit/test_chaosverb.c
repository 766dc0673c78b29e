/* Chaos verbs (engine/chaosverb.h): the verbs of a pane, inverse pairs, the restore table. */
#include "../../backends/model.h"
#include "../../common/util.h"
#include "../../engine/chaosverb.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static struct drill_act act(const char *pane, const char *verb, const char *target,
                            const char *input)
{
    return (struct drill_act){(char *)pane, (char *)verb, (char *)target, (char *)input};
}

static void test_known(void)
{
    tap_ok(chaosverb_known(MODEL_POOLS, "drain"), "pools drain is a verb (haproxy, demo)");
    tap_ok(chaosverb_known(MODEL_POOLS, "weight"), "pools weight is a verb (haproxy)");
    tap_ok(chaosverb_known(MODEL_DEPLOYS, "scale"), "deploys scale is a verb");
    tap_ok(!chaosverb_known(MODEL_POOLS, "nuke"), "pools nuke is not");
    tap_ok(!chaosverb_known(MODEL_POOLS, "scale"), "scale is a deploys verb, not a pools one");
    char *l = chaosverb_list(MODEL_POOLS);
    tap_is_str(l, "drain, ready, maint, weight", "the pools verbs, each once");
    free(l);
}

static void inverse(const char *cv, const char *ci, const char *rv, const char *ri,
                    const char *want, const char *what)
{
    struct drill_act c = act("pools", cv, "be_web/web2", ci),
                     r = act(strcmp(cv, "scale") == 0 ? "deploys" : "pools", rv, "be_web/web2", ri);
    if (strcmp(cv, "scale") == 0) {
        c.pane = "deploys";
    }
    char *cause = NULL;
    bool ok = chaosverb_inverse_ok(&c, &r, &cause);
    if (want == NULL) {
        tap_ok(ok && cause == NULL, "%s", what);
    } else {
        tap_ok(!ok && cause != NULL && strcmp(cause, want) == 0, "%s", what);
        if (cause == NULL || strcmp(cause, want) != 0) {
            tap_diag("got: %s", cause != NULL ? cause : "(ok)");
        }
    }
    free(cause);
}

static void test_inverse(void)
{
    inverse("drain", NULL, "ready", NULL, NULL, "drain -> ready");
    inverse("maint", NULL, "ready", NULL, NULL, "maint -> ready");
    inverse("ready", NULL, "maint", NULL, NULL, "ready -> maint");
    inverse("weight", "1", "weight", "100", NULL, "weight 1 -> weight 100");
    inverse("scale", "0", "scale", "3", NULL, "scale 0 -> scale 3");
    inverse("pause", NULL, "resume", NULL, NULL, "pause -> resume");
    inverse("drain", NULL, "drain", NULL,
            "rollback 'pools drain be_web/web2' is the same action as its chaos: it undoes nothing",
            "a rollback identical to its chaos");
    inverse(
        "weight", "1", "weight", "1",
        "rollback 'pools weight be_web/web2' is the same action as its chaos: it undoes nothing",
        "weight 1 rolled back by weight 1");
    inverse("drain", NULL, "maint", NULL,
            "rollback 'maint' does not undo 'drain' (use ready, or rollback: restore)",
            "maint does not undo a drain");
    inverse("pause", NULL, "pause", "x",
            "rollback 'pause' does not undo 'pause' (use resume, or rollback: restore)",
            "pause does not undo pause");
    inverse("purge", NULL, "peek", NULL,
            "no verb undoes 'pools purge': it cannot be a chaos action with a rollback",
            "purge has no inverse");
    struct drill_act c = act("pools", "drain", "be_web/web2", NULL),
                     r = act("pools", "ready", "be_web/web3", NULL);
    char *cause = NULL;
    tap_ok(!chaosverb_inverse_ok(&c, &r, &cause) &&
               strcmp(cause, "rollback acts on pools be_web/web3, its chaos on pools be_web/web2: "
                             "a rollback undoes its chaos on the same target") == 0,
           "a rollback on another target");
    free(cause);
}

/* One pools row and one deploys row from source "lb". */
static struct store *make_store(const char *status, double weight)
{
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_POOLS, "lb");
    rowset_begin(rs, "be_web/web2");
    rowset_text(rs, POOL_STATUS, status);
    rowset_num(rs, POOL_WEIGHT, weight);
    rowset_end(rs);
    store_publish(st, rs);
    rs = rowset_create(MODEL_DEPLOYS, "lb");
    rowset_begin(rs, "shop/api");
    rowset_cell(rs, DEPLOY_READY, "2/3", 2);
    rowset_text(rs, DEPLOY_STATE, "paused");
    rowset_end(rs);
    store_publish(st, rs);
    return st;
}

static void restore(const struct store *st, const char *pane, const char *verb, const char *input,
                    const char *want, const char *field, const char *value, const char *what)
{
    struct drill_act c =
        act(pane, verb, strcmp(pane, "pools") == 0 ? "be_web/web2" : "shop/api", input);
    char *f = NULL, *v = NULL, *cause = NULL;
    char *got = chaosverb_restore(st, "lb", &c, &f, &v, &cause);
    bool ok =
        got != NULL && strcmp(got, want) == 0 && strcmp(f, field) == 0 && strcmp(v, value) == 0;
    tap_ok(ok, "%s", what);
    if (!ok) {
        tap_diag("got %s (%s=%s) %s", got ? got : "NULL", f ? f : "", v ? v : "",
                 cause ? cause : "");
    }
    free(got);
    free(f);
    free(v);
    free(cause);
}

static void test_restore(void)
{
    struct store *st = make_store("UP", 37);
    restore(st, "pools", "weight", "1", "pools weight be_web/web2 37", "weight", "37",
            "weight: the weight read before is put back");
    restore(st, "pools", "drain", NULL, "pools ready be_web/web2", "status", "UP",
            "drain of a server UP: ready");
    restore(st, "deploys", "scale", "0", "deploys scale shop/api 3", "replicas", "2/3",
            "scale: the desired replicas (READY 2/3 -> 3)");
    restore(st, "deploys", "resume", NULL, "deploys pause shop/api", "rollout", "paused",
            "resume of a paused rollout: pause");
    store_destroy(st);
    st = make_store("MAINT", 100);
    restore(st, "pools", "drain", NULL, "pools maint be_web/web2", "status", "MAINT",
            "drain of a server in MAINT: it stays in maint");
    store_destroy(st);
    st = make_store("DOWN drain", 100);
    restore(st, "pools", "maint", NULL, "pools drain be_web/web2", "status", "DOWN drain",
            "maint of a server DOWN and drained: drain");
    store_destroy(st);

    st = make_store("UP", 37);
    struct drill_act c = act("pools", "weight", "be_web/web9", "1");
    char *f = NULL, *v = NULL, *cause = NULL;
    tap_ok(chaosverb_restore(st, "lb", &c, &f, &v, &cause) == NULL && cause != NULL &&
               strcmp(cause, "cannot read what to restore: pools be_web/web9 is not in the pools "
                             "of lb") == 0,
           "no row: nothing to restore, said");
    free(cause);
    cause = NULL;
    tap_ok(chaosverb_restore(st, "other", &c, &f, &v, &cause) == NULL && cause != NULL,
           "another source has no such row");
    free(cause);
    cause = NULL;
    c = act("deploys", "restart", "shop/api", NULL);
    tap_ok(chaosverb_restore(st, "lb", &c, &f, &v, &cause) == NULL && cause != NULL &&
               strcmp(cause, "rollback: restore cannot undo 'deploys restart' (on deploys it "
                             "restores after scale, pause, resume); name the rollback action "
                             "instead") == 0,
           "restart: restore cannot undo it");
    free(cause);
    tap_ok(f == NULL && v == NULL, "nothing read on failure");
    store_destroy(st);
}

int main(void)
{
    test_known();
    test_inverse();
    test_restore();
    return tap_done();
}
