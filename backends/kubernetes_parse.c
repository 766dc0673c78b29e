/*
 * What the Kubernetes API answers, read (kubernetes.h): a DeploymentList page
 * as rows, a Deployment's rollout state, a ReplicaSetList's previous
 * revision, a Status body as a message. Defensive as every parser of
 * untrusted bytes (DESIGN rule 6): a field of the wrong type counts as
 * missing, a count is clamped to what a replica count can be.
 *
 * ROLLOUT is what `kubectl rollout status` would say, in its order: a spec
 * the controller has not observed yet is progressing; a Progressing condition
 * with reason ProgressDeadlineExceeded is failed; a paused deployment is
 * paused; then the replica counts (not all updated, old replicas still
 * terminating, updated ones not yet available) are progressing; else complete.
 */
#include "kubernetes.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/jsonstream.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char REVISION_ANNOTATION[] = "deployment.kubernetes.io/revision";
static const char HASH_LABEL[] = "pod-template-hash";

/* ---- JSON helpers: a field of the wrong type counts as missing ---- */

/* An integer field clamped to what a replica count or generation can be; dflt if missing. */
static int64_t json_int(const cJSON *obj, const char *name, int64_t dflt)
{
    const cJSON *v = json_get(obj, name);
    if (!cJSON_IsNumber(v) || isnan(v->valuedouble)) {
        return dflt;
    }
    double d = v->valuedouble;
    if (d < 0) {
        return 0;
    }
    return d > (double)INT32_MAX * 1024 ? (int64_t)INT32_MAX * 1024 : (int64_t)d;
}

/* A decimal revision annotation; -1 when missing or not a number. */
static long parse_revision(const char *s)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 0 && v < LONG_MAX ? v : -1;
}

long kubernetes_revision(const cJSON *obj)
{
    return parse_revision(
        json_str(json_obj(json_obj(obj, "metadata"), "annotations"), REVISION_ANNOTATION));
}

int64_t kubernetes_replicas(const cJSON *deploy)
{
    /* the API server defaults spec.replicas to 1 */
    return json_int(json_obj(deploy, "spec"), "replicas", 1);
}

/* ---- the rollout state ---- */

static const cJSON *find_condition(const cJSON *status, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_arr(status, "conditions"))
    {
        const char *t = json_str(c, "type");
        if (t != NULL && strcmp(t, type) == 0) {
            return c;
        }
    }
    return NULL;
}

enum rollout kubernetes_rollout_state(const cJSON *deploy, char **why)
{
    const cJSON *meta = json_obj(deploy, "metadata");
    const cJSON *spec = json_obj(deploy, "spec");
    const cJSON *status = json_obj(deploy, "status");
    *why = NULL;
    if (json_int(meta, "generation", 0) > json_int(status, "observedGeneration", 0)) {
        *why = xstrdup("waiting for the deployment spec update to be observed");
        return ROLLOUT_PROGRESSING;
    }
    const char *reason = json_str(find_condition(status, "Progressing"), "reason");
    if (reason != NULL && strcmp(reason, "ProgressDeadlineExceeded") == 0) {
        *why = xstrdup("exceeded its progress deadline");
        return ROLLOUT_FAILED;
    }
    if (json_bool(spec, "paused", false)) {
        return ROLLOUT_PAUSED;
    }
    /* the API server defaults spec.replicas to 1 */
    int64_t desired = json_int(spec, "replicas", 1);
    int64_t updated = json_int(status, "updatedReplicas", 0);
    int64_t total = json_int(status, "replicas", 0);
    int64_t available = json_int(status, "availableReplicas", 0);
    if (updated < desired) {
        *why = xasprintf("%" PRId64 " out of %" PRId64 " new replicas have been updated", updated,
                         desired);
    } else if (total > updated) {
        *why = xasprintf("%" PRId64 " old replicas are pending termination", total - updated);
    } else if (available < updated) {
        *why = xasprintf("%" PRId64 " of %" PRId64 " updated replicas are available", available,
                         updated);
    } else {
        return ROLLOUT_COMPLETE;
    }
    return ROLLOUT_PROGRESSING;
}

/* ---- rows ---- */

static void sb_sep(struct strbuf *sb, const char *sep)
{
    if (sb->n > 0) {
        strbuf_str(sb, sep);
    }
}

static const char *sb_text(const struct strbuf *sb)
{
    return sb->s != NULL ? sb->s : "";
}

void kubernetes_selector_text(struct strbuf *sb, const cJSON *selector)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, json_obj(selector, "matchLabels"))
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            sb_sep(sb, ",");
            strbuf_str(sb, l->string);
            strbuf_str(sb, "=");
            strbuf_str(sb, l->valuestring);
        }
    }
}

/* maxSurge and maxUnavailable are an int or a percentage string. */
static char *int_or_string(const cJSON *obj, const char *name)
{
    const cJSON *v = json_get(obj, name);
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    if (cJSON_IsNumber(v)) {
        return xasprintf("%" PRId64, json_int(obj, name, 0));
    }
    return xstrdup("?");
}

static void strategy_detail(struct rowset *rs, const cJSON *spec)
{
    const cJSON *strategy = json_obj(spec, "strategy");
    const char *type = json_str(strategy, "type");
    const cJSON *ru = json_obj(strategy, "rollingUpdate");
    if (type == NULL) {
        return;
    }
    if (ru == NULL) {
        rowset_detail(rs, "strategy", type);
        return;
    }
    char *surge = int_or_string(ru, "maxSurge");
    char *unavail = int_or_string(ru, "maxUnavailable");
    rowset_detailf(rs, "strategy", "%s (maxSurge %s, maxUnavailable %s)", type, surge, unavail);
    free(surge);
    free(unavail);
}

/* condition.Progressing = "True (NewReplicaSetAvailable): ReplicaSet \"x\" has ..." */
static void conditions_detail(struct rowset *rs, const cJSON *status)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_arr(status, "conditions"))
    {
        const char *type = json_str(c, "type");
        if (type == NULL) {
            continue;
        }
        const char *st = json_str(c, "status");
        const char *reason = json_str(c, "reason");
        const char *msg = json_str(c, "message");
        char *key = xasprintf("condition.%s", type);
        rowset_detailf(rs, key, "%s%s%s%s%s%s", st != NULL ? st : "?", reason != NULL ? " (" : "",
                       reason != NULL ? reason : "", reason != NULL ? ")" : "",
                       msg != NULL ? ": " : "", msg != NULL ? msg : "");
        free(key);
    }
}

/* The IMAGE cell (every container's image, comma-joined) and an image.NAME line each. */
static void images(struct rowset *rs, const cJSON *pod_spec)
{
    struct strbuf all = {0};
    const cJSON *c;
    cJSON_ArrayForEach(c, json_arr(pod_spec, "containers"))
    {
        const char *image = json_str(c, "image");
        const char *name = json_str(c, "name");
        if (image == NULL) {
            continue;
        }
        sb_sep(&all, ",");
        strbuf_str(&all, image);
        char *key = xasprintf("image.%s", name != NULL ? name : "?");
        rowset_detail(rs, key, image);
        free(key);
    }
    rowset_text(rs, DEPLOY_IMAGE, sb_text(&all));
    free(all.s);
}

static void deploy_details(struct rowset *rs, const cJSON *d, const char *why)
{
    const cJSON *meta = json_obj(d, "metadata");
    const cJSON *spec = json_obj(d, "spec");
    const cJSON *status = json_obj(d, "status");
    const cJSON *tmeta = json_obj(json_obj(spec, "template"), "metadata");
    rowset_detail_nonempty(rs, "rollout", why);
    rowset_detailf(rs, "replicas",
                   "%" PRId64 " desired, %" PRId64 " updated, %" PRId64 " ready, %" PRId64
                   " available, %" PRId64 " total",
                   json_int(spec, "replicas", 1), json_int(status, "updatedReplicas", 0),
                   json_int(status, "readyReplicas", 0), json_int(status, "availableReplicas", 0),
                   json_int(status, "replicas", 0));
    rowset_detail(rs, "paused", json_bool(spec, "paused", false) ? "true" : "false");
    rowset_detail_nonempty(rs, "revision",
                           json_str(json_obj(meta, "annotations"), REVISION_ANNOTATION));
    rowset_detailf(rs, "generation", "%" PRId64 " (observed %" PRId64 ")",
                   json_int(meta, "generation", 0), json_int(status, "observedGeneration", 0));
    strategy_detail(rs, spec);
    struct strbuf sel = {0};
    kubernetes_selector_text(&sel, json_obj(spec, "selector"));
    rowset_detail_nonempty(rs, "selector", sb_text(&sel));
    free(sel.s);
    rowset_detail_nonempty(
        rs, "restartedAt",
        json_str(json_obj(tmeta, "annotations"), KUBERNETES_RESTARTED_ANNOTATION));
    rowset_detail_nonempty(rs, "created", json_str(meta, "creationTimestamp"));
    rowset_detail_nonempty(rs, "uid", json_str(meta, "uid"));
    conditions_detail(rs, status);
}

static void add_deploy(struct rowset *rs, const cJSON *d, int64_t now, struct model_keys *keys)
{
    const cJSON *meta = json_obj(d, "metadata");
    const cJSON *spec = json_obj(d, "spec");
    const cJSON *status = json_obj(d, "status");
    const char *ns = json_str(meta, "namespace");
    const char *name = json_str(meta, "name");
    char *k = xasprintf("%s/%s", ns != NULL ? ns : "", name != NULL ? name : "");
    char *key = model_keys_unique(keys, k);
    free(k);
    rowset_begin(rs, key);
    free(key);

    char *why = NULL;
    enum rollout state = kubernetes_rollout_state(d, &why);
    int64_t desired = json_int(spec, "replicas", 1);
    int64_t ready = json_int(status, "readyReplicas", 0);
    char readytext[48];
    snprintf(readytext, sizeof readytext, "%" PRId64 "/%" PRId64, ready, desired);
    rowset_text(rs, DEPLOY_NAMESPACE, ns);
    rowset_text(rs, DEPLOY_NAME, name);
    rowset_cell(rs, DEPLOY_READY, readytext, (double)ready);
    if (ready < desired) {
        rowset_cell_tone(rs, DEPLOY_READY, TONE_WARN);
    }
    rowset_num(rs, DEPLOY_UPTODATE, (double)json_int(status, "updatedReplicas", 0));
    rowset_num(rs, DEPLOY_AVAILABLE, (double)json_int(status, "availableReplicas", 0));
    int64_t created = 0;
    if (clock_parse_rfc3339_s(json_str(meta, "creationTimestamp"), &created) && created > 0) {
        /* an API server clock ahead of ours would show a negative age */
        rowset_cell(rs, DEPLOY_AGE, "", (double)(now > 0 && created > now ? now : created));
    }
    rowset_text(rs, DEPLOY_STATE, model_rollout_name(state));
    rowset_cell_tone(rs, DEPLOY_STATE, model_rollout_tone(state));
    if (state == ROLLOUT_FAILED) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    rowset_text(rs, DEPLOY_SOURCE, rs->source);
    images(rs, json_obj(json_obj(spec, "template"), "spec"));
    deploy_details(rs, d, why);
    free(why);
}

void kubernetes_list_item(struct rowset *rs, const cJSON *item, int64_t now,
                          struct model_keys *keys)
{
    if (cJSON_IsObject(item)) {
        add_deploy(rs, item, now, keys);
    }
}

static const char NOT_A_LIST[] = "expected a DeploymentList (an object with items)";

char *kubernetes_list_cause(const char *stream_cause)
{
    if (!str_has_prefix(stream_cause, "expected ")) {
        return xstrdup(stream_cause); /* json_parse's words: invalid, empty, trailing data */
    }
    return xstrdup(NOT_A_LIST);
}

bool kubernetes_list_end(const cJSON *rest, char **cont, char **cause)
{
    *cont = NULL;
    const char *kind = json_str(rest, "kind");
    if (kind != NULL && strcmp(kind, "DeploymentList") != 0) {
        *cause = xasprintf("expected a DeploymentList, got a %s", kind);
        return false;
    }
    const char *c = json_str(json_obj(rest, "metadata"), "continue");
    if (c != NULL && c[0] != '\0') {
        *cont = xstrdup(c);
    }
    return true;
}

bool kubernetes_parse_deployments(const char *body, size_t len, struct rowset *rs, int64_t now,
                                  struct model_keys *keys, char **cont, char **cause)
{
    *cont = NULL;
    struct model_keys local = {0};
    struct json_stream s;
    json_stream_init(&s, body, len, "items");
    cJSON *d;
    char *why = NULL;
    int rc;
    while ((rc = json_stream_next(&s, &d, &why)) > 0) {
        kubernetes_list_item(rs, d, now, keys != NULL ? keys : &local);
        cJSON_Delete(d);
    }
    rowset_end(rs);
    model_keys_free(&local);
    bool ok;
    if (rc < 0) {
        *cause = kubernetes_list_cause(why);
        free(why);
        ok = false;
    } else {
        ok = kubernetes_list_end(json_stream_rest(&s), cont, cause);
    }
    json_stream_finish(&s);
    return ok;
}

/* ---- ReplicaSets ---- */

static bool owned_by(const cJSON *rs, const char *uid)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, json_arr(json_obj(rs, "metadata"), "ownerReferences"))
    {
        const char *u = json_str(o, "uid");
        if (u != NULL && strcmp(u, uid) == 0) {
            return true;
        }
    }
    return false;
}

bool kubernetes_previous_revision(const char *body, size_t len, const char *owner_uid, long current,
                                  cJSON **template_out, long *revision, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    const cJSON *items = json_arr(doc, "items");
    if (items == NULL) {
        *cause = xstrdup("expected a ReplicaSetList (an object with items)");
        cJSON_Delete(doc);
        return false;
    }
    const cJSON *best = NULL, *rs;
    long best_rev = -1;
    cJSON_ArrayForEach(rs, items)
    {
        long rev = kubernetes_revision(rs);
        if (rev >= 0 && rev < current && rev > best_rev && owner_uid != NULL &&
            owned_by(rs, owner_uid) && json_obj(json_obj(rs, "spec"), "template") != NULL) {
            best = rs;
            best_rev = rev;
        }
    }
    if (best == NULL) {
        *cause = xasprintf("no previous revision (revision %ld is the oldest kept)", current);
        cJSON_Delete(doc);
        return false;
    }
    cJSON *t = cJSON_Duplicate(json_obj(json_obj(best, "spec"), "template"), 1);
    cJSON *labels =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "metadata"), "labels");
    if (cJSON_IsObject(labels)) {
        cJSON_DeleteItemFromObjectCaseSensitive(labels, HASH_LABEL);
    }
    *template_out = t;
    *revision = best_rev;
    cJSON_Delete(doc);
    return true;
}

/* ---- errors ---- */

char *kubernetes_describe_failure(const struct http_response *r)
{
    if (r->error != NULL || r->body == NULL) {
        return http_describe_failure(r);
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *msg = NULL;
    if (json_parse(r->body, r->len, &doc, &cause)) {
        const char *kind = json_str(doc, "kind");
        if (kind != NULL && strcmp(kind, "Status") == 0) {
            msg = json_str(doc, "message");
        }
    }
    free(cause);
    if (msg == NULL || msg[0] == '\0') {
        cJSON_Delete(doc);
        return http_describe_failure(r);
    }
    struct http_response bare = {.status = r->status, .body = "", .len = 0};
    char *head = http_describe_failure(&bare);
    char *out = xasprintf("%s: %.300s", head, msg);
    free(head);
    cJSON_Delete(doc);
    /* Status messages are one line in practice; a pane line must be */
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    return out;
}
