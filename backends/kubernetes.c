/*
 * The Kubernetes Deployments backend: GET /apis/apps/v1/deployments (or one
 * namespace's) on every refresh, page by page (limit/continue) into one
 * rowset that is published when the last page is in, so a pane never shows
 * half a list. At most MAX_PAGES pages of PAGE_LIMIT are read a poll; beyond
 * that the rows are cut and the pane says so in the first row's detail.
 *
 * ROLLOUT is what `kubectl rollout status` would say (kubernetes_parse.c
 * reads the answers: rows, rollout state, revisions, Status messages).
 *
 * Each page is read an item at a time in slices on the loop (issue 19:
 * http_poll_parse, common/jsonjob.h), so a page's tree is never whole in
 * memory and no key waits for it. A list that fit in one page and comes back
 * the same (http_poll_same: the same bytes, or a 304) rebuilds nothing.
 *
 * Actions fetch the deployment first (fresh state, and a 404 says it is gone
 * before anything is written), then PATCH it the way kubectl does:
 *   restart  strategic merge patch of the pod template's restartedAt annotation
 *   pause    strategic merge patch spec.paused = true (resume: false)
 *   scale    merge patch of the scale subresource's spec.replicas
 *   undo     list the namespace's ReplicaSets by the deployment's matchLabels,
 *            keep those it owns (ownerReferences uid), take the highest
 *            revision below the current one and JSON-patch spec.template to
 *            that ReplicaSet's template without its pod-template-hash label
 * Kubernetes explains refusals in Status bodies; their message is what the
 * user sees.
 */
#include "kubernetes.h"
#include "../common/json.h"

#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "doctor.h"
#include "http_action.h"
#include "http_poll.h"

#include <cjson/cJSON.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char API_PREFIX[] = "/apis/apps/v1";
static const char STRATEGIC_PATCH[] = "application/strategic-merge-patch+json";
static const char MERGE_PATCH[] = "application/merge-patch+json";
static const char JSON_PATCH[] = "application/json-patch+json";

enum {
    PAGE_LIMIT = 500,
    MAX_PAGES = 20, /* 10,000 deployments: more is not a list anyone reads at 3 a.m. */
    MAX_REPLICAS = 10000,
};

/* ---- the backend ---- */

struct kube_op;

struct kube {
    struct http_settings http;
    char *ns;        /* one namespace, or NULL for all */
    char *list_path; /* without the query */
    struct http_poll poll;
    struct rowset *building; /* the pages of this poll so far */
    struct model_keys keys;
    int64_t now; /* the wall clock of the page being read (ages) */
    int pages;
    struct http_actions actions; /* in flight */
};

static void op_free(struct http_action *act);

static void *kube_create(struct backend *b)
{
    struct kube *k = xcalloc(1, sizeof *k);
    http_settings_init(&k->http);
    http_poll_init(&k->poll, b, &k->http);
    http_actions_init(&k->actions, op_free);
    return k;
}

/* A DNS-1123 label: what a namespace name must be (it goes into paths). */
static bool is_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

static bool kube_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct kube *k = b->priv;
    int taken = http_settings_configure(&k->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "namespace") == 0) {
        if (!is_dns_label(value)) {
            *cause = xasprintf("bad namespace '%s' (lower-case letters, digits and '-')", value);
            return false;
        }
        free(k->ns);
        k->ns = xstrdup(value);
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a kubernetes backend", key);
    return false;
}

static bool kube_start(struct backend *b, char **cause)
{
    struct kube *k = b->priv;
    if (!http_settings_finish(&k->http, b->timeout_ms, cause)) {
        return false;
    }
    b->tls_unverified = k->http.insecure;
    free(k->list_path);
    k->list_path = k->ns != NULL ? xasprintf("%s/namespaces/%s/deployments", API_PREFIX, k->ns)
                                 : xasprintf("%s/deployments", API_PREFIX);
    return true;
}

static void on_poll(const struct http_response *r, void *ud);

static void page_send(struct backend *b, const char *cont)
{
    struct kube *k = b->priv;
    char *path;
    if (cont != NULL) {
        char *esc = http_escape(cont);
        path = xasprintf("%s?limit=%d&continue=%s", k->list_path, PAGE_LIMIT, esc);
        free(esc);
    } else {
        path = xasprintf("%s?limit=%d", k->list_path, PAGE_LIMIT);
    }
    http_poll_send(&k->poll, path, on_poll);
    free(path);
}

static void poll_done(struct backend *b)
{
    struct kube *k = b->priv;
    rowset_destroy(k->building);
    k->building = NULL;
    model_keys_free(&k->keys);
    http_poll_end(&k->poll);
}

static bool on_item(void *ud, cJSON *elem, char **cause)
{
    struct backend *b = ud;
    struct kube *k = b->priv;
    (void)cause;
    kubernetes_list_item(k->building, elem, k->now, &k->keys);
    return true;
}

static void on_page(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct backend *b = ud;
    struct kube *k = b->priv;
    (void)nelems;
    rowset_end(k->building);
    char *cont = NULL, *why = NULL;
    if (!ok || !kubernetes_list_end(rest, &cont, &why)) {
        if (why == NULL) {
            why = kubernetes_list_cause(cause);
        }
        backend_fail(b, "bad response from %s: %s", k->list_path, why);
        free(why);
        poll_done(b);
        return;
    }
    if (cont != NULL && ++k->pages < MAX_PAGES) {
        page_send(b, cont);
        free(cont);
        return;
    }
    if (cont != NULL && k->building->nrows > 0) {
        /* the cap, said where someone looking at the list will see it */
        rowset_begin(k->building, "~more");
        rowset_textf(k->building, DEPLOY_NAME, "(more than %zu: list cut)", k->building->nrows - 1);
        rowset_row_tone(k->building, TONE_MUTED);
        rowset_end(k->building);
    }
    bool whole = cont == NULL && k->pages == 0;
    free(cont);
    backend_publish(b, k->building);
    k->building = NULL;
    if (whole) {
        /* one page was the whole list: the same page next time is the same list */
        http_poll_parse_took(&k->poll);
    }
    poll_done(b);
}

static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct kube *k = b->priv;
    if (k->pages == 0 && http_poll_same(&k->poll, r)) {
        backend_ok(b); /* the rows published from this very list are still right */
        poll_done(b);
        return;
    }
    if (!http_ok(r)) {
        char *why = kubernetes_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        poll_done(b);
        return;
    }
    k->now = clock_wall_s();
    http_poll_parse(&k->poll, r, "items", on_item, on_page, b);
}

static void kube_poll(struct backend *b)
{
    struct kube *k = b->priv;
    if (!http_poll_begin(&k->poll)) {
        return;
    }
    k->pages = 0;
    k->building = rowset_create(MODEL_DEPLOYS, b->name);
    page_send(b, NULL);
}

/* ---- actions ---- */

static const struct action_def kube_actions[] = {
    {"restart", "Restart deployment", MODEL_DEPLOYS, 'R', ACTION_DISRUPTIVE, NULL, NULL},
    {"pause", "Pause rollout", MODEL_DEPLOYS, 'p', 0, NULL, NULL},
    {"resume", "Resume rollout", MODEL_DEPLOYS, 'r', 0, NULL, NULL},
    {"scale", "Scale deployment", MODEL_DEPLOYS, 'x', ACTION_INPUT | ACTION_DISRUPTIVE,
     "Replicas (0 stops every pod)", "1"},
    {"undo", "Undo rollout (previous revision)", MODEL_DEPLOYS, 'U', ACTION_DISRUPTIVE, NULL, NULL},
};

enum op_verb { OP_RESTART, OP_PAUSE, OP_RESUME, OP_SCALE, OP_UNDO };

static const char *const verb_names[] = {"restart", "pause", "resume", "scale", "undo"};

struct kube_op {
    struct http_action act; /* first: http_action.h */
    enum op_verb verb;
    char *ns, *name;
    char *path; /* the deployment's */
    long replicas;
    cJSON *deploy;   /* as fetched */
    cJSON *template; /* undo: the one to go back to */
    long revision;   /* undo: its revision */
};

static void op_free(struct http_action *act)
{
    struct kube_op *op = (struct kube_op *)act;
    free(op->ns);
    free(op->name);
    free(op->path);
    cJSON_Delete(op->deploy);
    cJSON_Delete(op->template);
    free(op);
}

static void op_finish(struct kube_op *op, bool ok, const char *message)
{
    http_action_end(&op->act, ok, message);
}

static void op_finishf(struct kube_op *op, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void op_finishf(struct kube_op *op, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    op_finish(op, ok, s);
    free(s);
}

static void op_send(struct kube_op *op, const char *method, const char *path,
                    const char *content_type, const char *body, http_done_cb cb)
{
    struct kube *k = op->act.b->priv;
    http_action_send(&op->act, &k->http, method, path, content_type, body, cb);
}

/* A failed response: the Status message, else the HTTP status and the body's start. */
static bool op_failed(struct kube_op *op, const struct http_response *r)
{
    if (http_ok(r)) {
        return false;
    }
    char *why = kubernetes_describe_failure(r);
    /* the action's label and target go with the message already */
    op_finish(op, false, why);
    free(why);
    return true;
}

static void on_patched(const struct http_response *r, void *ud)
{
    struct kube_op *op = http_action_received(ud);
    if (op_failed(op, r)) {
        return;
    }
    int64_t before = kubernetes_replicas(op->deploy);
    switch (op->verb) {
    case OP_RESTART:
        op_finishf(op, true, "%s/%s restarted", op->ns, op->name);
        break;
    case OP_PAUSE:
        op_finishf(op, true, "%s/%s paused", op->ns, op->name);
        break;
    case OP_RESUME:
        op_finishf(op, true, "%s/%s resumed", op->ns, op->name);
        break;
    case OP_SCALE:
        if (op->replicas == 0) {
            op_finishf(op, true, "%s/%s scaled from %" PRId64 " to 0 replicas: no pods will run",
                       op->ns, op->name, before);
        } else {
            op_finishf(op, true, "%s/%s scaled from %" PRId64 " to %ld replicas", op->ns, op->name,
                       before, op->replicas);
        }
        break;
    case OP_UNDO:
        op_finishf(op, true, "%s/%s rolled back to revision %ld", op->ns, op->name, op->revision);
        break;
    }
}

static void patch_json(struct kube_op *op, const char *path, const char *content_type, cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *body = xstrdup(text);
    cJSON_free(text);
    op_send(op, "PATCH", path, content_type, body, on_patched);
    free(body);
}

static void start_restart(struct kube_op *op)
{
    char now[32];
    clock_format_rfc3339_s(now, clock_wall_s()); /* kubectl writes seconds; so do we */
    cJSON *o = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "spec"), "template"), "metadata"),
        "annotations");
    cJSON_AddStringToObject(ann, KUBERNETES_RESTARTED_ANNOTATION, now);
    patch_json(op, op->path, STRATEGIC_PATCH, o);
}

static void start_pause(struct kube_op *op, bool paused)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "spec"), "paused", paused);
    patch_json(op, op->path, STRATEGIC_PATCH, o);
}

static void start_scale(struct kube_op *op)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "spec"), "replicas", (double)op->replicas);
    char *path = xasprintf("%s/scale", op->path);
    patch_json(op, path, MERGE_PATCH, o);
    free(path);
}

static void on_replicasets(const struct http_response *r, void *ud)
{
    struct kube_op *op = http_action_received(ud);
    if (op_failed(op, r)) {
        return;
    }
    const cJSON *meta = json_obj(op->deploy, "metadata");
    long current = kubernetes_revision(op->deploy);
    char *cause = NULL;
    if (!kubernetes_previous_revision(r->body, r->len, json_str(meta, "uid"), current,
                                      &op->template, &op->revision, &cause)) {
        op_finish(op, false, cause);
        free(cause);
        return;
    }
    const cJSON *now = json_obj(json_obj(op->deploy, "spec"), "template");
    if (now != NULL && cJSON_Compare(now, op->template, true)) {
        /* as kubectl: nothing to write, and that is not an error */
        op_finishf(op, true,
                   "%s/%s: skipped rollback (current template already matches revision %ld)",
                   op->ns, op->name, op->revision);
        return;
    }
    cJSON *ops = cJSON_CreateArray();
    cJSON *rep = cJSON_CreateObject();
    cJSON_AddStringToObject(rep, "op", "replace");
    cJSON_AddStringToObject(rep, "path", "/spec/template");
    cJSON_AddItemToObject(rep, "value", cJSON_Duplicate(op->template, 1));
    cJSON_AddItemToArray(ops, rep);
    patch_json(op, op->path, JSON_PATCH, ops);
}

static void start_undo(struct kube_op *op)
{
    const cJSON *meta = json_obj(op->deploy, "metadata");
    long current = kubernetes_revision(op->deploy);
    if (current < 0 || json_str(meta, "uid") == NULL) {
        op_finishf(op, false, "%s/%s has no revision yet (the controller has not rolled it out)",
                   op->ns, op->name);
        return;
    }
    struct strbuf sel = {0};
    kubernetes_selector_text(&sel, json_obj(json_obj(op->deploy, "spec"), "selector"));
    char *esc_ns = http_escape(op->ns);
    char *path;
    if (sel.n > 0) {
        char *esc = http_escape(sel.s);
        path = xasprintf("%s/namespaces/%s/replicasets?labelSelector=%s", API_PREFIX, esc_ns, esc);
        free(esc);
    } else {
        path = xasprintf("%s/namespaces/%s/replicasets", API_PREFIX, esc_ns);
    }
    op_send(op, "GET", path, NULL, NULL, on_replicasets);
    free(path);
    free(esc_ns);
    free(sel.s);
}

static void on_deployment(const struct http_response *r, void *ud)
{
    struct kube_op *op = http_action_received(ud);
    if (op_failed(op, r)) {
        return;
    }
    char *cause = NULL;
    if (!json_parse(r->body, r->len, &op->deploy, &cause) || !cJSON_IsObject(op->deploy)) {
        op_finishf(op, false, "bad response from %s: %s", op->path,
                   cause != NULL ? cause : "not a Deployment object");
        free(cause);
        return;
    }
    bool paused = json_bool(json_obj(op->deploy, "spec"), "paused", false);
    switch (op->verb) {
    case OP_RESTART:
        if (paused) {
            /* what kubectl rollout restart says, too */
            op_finishf(op, false,
                       "can't restart paused deployment %s/%s (run rollout resume first)", op->ns,
                       op->name);
            return;
        }
        start_restart(op);
        return;
    case OP_PAUSE:
        if (paused) {
            op_finishf(op, false, "%s/%s is already paused", op->ns, op->name);
            return;
        }
        start_pause(op, true);
        return;
    case OP_RESUME:
        if (!paused) {
            op_finishf(op, false, "%s/%s is not paused", op->ns, op->name);
            return;
        }
        start_pause(op, false);
        return;
    case OP_SCALE:
        start_scale(op);
        return;
    case OP_UNDO:
        if (paused) {
            op_finishf(op, false, "can't undo paused deployment %s/%s (run rollout resume first)",
                       op->ns, op->name);
            return;
        }
        start_undo(op);
        return;
    }
}

/* "namespace/name", both DNS names: they go into a path. */
static bool split_target(const char *target, char **ns, char **name)
{
    const char *slash = target != NULL ? strchr(target, '/') : NULL;
    if (slash == NULL || slash == target || slash[1] == '\0' || strchr(slash + 1, '/') != NULL) {
        return false;
    }
    *ns = xstrndup(target, (size_t)(slash - target));
    *name = xstrdup(slash + 1);
    return true;
}

static bool parse_replicas(const char *input, long *out)
{
    char *s = str_trim(xstrdup(input != NULL ? input : ""));
    char *end;
    bool ok = s[0] >= '0' && s[0] <= '9';
    long v = ok ? strtol(s, &end, 10) : -1;
    ok = ok && *end == '\0' && v >= 0 && v <= MAX_REPLICAS;
    free(s);
    *out = v;
    return ok;
}

static void kube_act(struct backend *b, struct backend_request *a)
{
    struct kube *k = b->priv;
    struct kube_op *op = xcalloc(1, sizeof *op);
    http_action_begin(&k->actions, &op->act, b, a);
    for (int i = 0; i < (int)(sizeof verb_names / sizeof verb_names[0]); i++) {
        if (strcmp(a->def->verb, verb_names[i]) == 0) {
            op->verb = (enum op_verb)i;
        }
    }
    if (!split_target(a->target, &op->ns, &op->name)) {
        op_finishf(op, false, "not a deployment: '%s' (namespace/name)", a->target);
        return;
    }
    if (op->verb == OP_SCALE && !parse_replicas(a->input, &op->replicas)) {
        op_finishf(op, false, "bad replica count '%s' (a whole number from 0 to %d)",
                   a->input != NULL ? a->input : "", MAX_REPLICAS);
        return;
    }
    char *esc_ns = http_escape(op->ns), *esc_name = http_escape(op->name);
    op->path = xasprintf("%s/namespaces/%s/deployments/%s", API_PREFIX, esc_ns, esc_name);
    free(esc_ns);
    free(esc_name);
    op_send(op, "GET", op->path, NULL, NULL, on_deployment);
}

/* Scale is prefilled with the replicas the deployment wants now. */
static int kube_form(struct backend *b, const struct action_def *def, const char *target,
                     const char **labels, char **values, int max)
{
    const struct rowset *rs;
    size_t row;
    if (strcmp(def->verb, "scale") != 0 || max < 1 ||
        !store_find(b->store, MODEL_DEPLOYS, b->name, target, &rs, &row)) {
        return 0;
    }
    const char *ready = rowset_cell_text(rs, row, DEPLOY_READY);
    const char *slash = ready != NULL ? strchr(ready, '/') : NULL;
    labels[0] = def->input_prompt;
    values[0] = xstrdup(slash != NULL ? slash + 1 : def->input_default);
    return 1;
}

/* ---- opsdeck doctor ----
 *
 * GET /version (gitVersion, platform; a 401 there is the credentials), then
 * one SelfSubjectAccessReview (POST /apis/authorization.k8s.io/v1/
 * selfsubjectaccessreviews) for each permission the actions use, in the
 * configured namespace (none: every namespace), all at once:
 *   get deployments        every action reads the deployment first
 *   patch deployments      restart, pause, resume, undo
 *   patch deployments/scale  scale
 *   list replicasets       undo finds the previous revision there
 * and one line sums up which actions RBAC allows. A denied one is a WARN
 * with the API server's reason; FAIL is for the server unreachable or the
 * credentials refused. The reviews create nothing: the API server answers
 * them without storing them.
 */

enum { DOC_GET, DOC_PATCH, DOC_SCALE, DOC_LIST_RS, DOC_NCHECKS };

static const struct {
    const char *verb, *group, *resource, *subresource, *text;
} doc_checks[DOC_NCHECKS] = {
    {"get", "apps", "deployments", NULL, "get deployments"},
    {"patch", "apps", "deployments", NULL, "patch deployments"},
    {"patch", "apps", "deployments", "scale", "patch deployments/scale"},
    {"list", "apps", "replicasets", NULL, "list replicasets"},
};

struct kube_doc;

struct kube_doc_review {
    struct kube_doc *x;
    int i;
};

struct kube_doc {
    struct doctor *d;
    struct kube *k;
    int pending;
    bool answered[DOC_NCHECKS];
    bool allowed[DOC_NCHECKS];
    char *why[DOC_NCHECKS]; /* the reason, or why the review failed */
    bool failed;            /* a review itself failed (not a denial) */
    struct kube_doc_review reviews[DOC_NCHECKS];
};

static void doc_free(struct kube_doc *x)
{
    for (int i = 0; i < DOC_NCHECKS; i++) {
        free(x->why[i]);
    }
    free(x);
}

static void doc_cancelled(void *ud)
{
    doc_free(ud);
}

static void doc_end(struct kube_doc *x)
{
    struct doctor *d = x->d;
    doc_free(x);
    doctor_end(d); /* drops doc_cancelled unrun */
}

static const char *doc_scope(const struct kube *k, char *buf, size_t len)
{
    if (k->ns != NULL) {
        snprintf(buf, len, "namespace %s", k->ns);
    } else {
        snprintf(buf, len, "every namespace");
    }
    return buf;
}

/* Which checks each action needs, by verb_names order. */
static bool doc_action_allowed(const struct kube_doc *x, enum op_verb v, int *missing)
{
    static const int need[][3] = {
        [OP_RESTART] = {DOC_GET, DOC_PATCH, -1},       [OP_PAUSE] = {DOC_GET, DOC_PATCH, -1},
        [OP_RESUME] = {DOC_GET, DOC_PATCH, -1},        [OP_SCALE] = {DOC_GET, DOC_SCALE, -1},
        [OP_UNDO] = {DOC_GET, DOC_LIST_RS, DOC_PATCH},
    };
    for (int j = 0; j < 3; j++) {
        int c = need[v][j];
        if (c >= 0 && !x->allowed[c]) {
            *missing = c;
            return false;
        }
    }
    return true;
}

static void doc_summary(struct kube_doc *x)
{
    struct doctor *d = x->d;
    char scope[96];
    doc_scope(x->k, scope, sizeof scope);
    if (x->failed) {
        for (int i = 0; i < DOC_NCHECKS; i++) {
            if (!x->answered[i]) {
                doctor_say(d, DOCTOR_WARN,
                           "actions: RBAC not asked: SelfSubjectAccessReview for %s failed: %s",
                           doc_checks[i].text, x->why[i] != NULL ? x->why[i] : "?");
                break;
            }
        }
        doc_end(x);
        return;
    }
    struct strbuf ok = {0}, denied = {0};
    int nverbs = (int)(sizeof verb_names / sizeof verb_names[0]);
    bool none = true;
    for (int v = 0; v < nverbs; v++) {
        int missing = -1;
        if (doc_action_allowed(x, (enum op_verb)v, &missing)) {
            strbuf_printf(&ok, "%s%s", ok.n > 0 ? ", " : "", verb_names[v]);
            none = false;
        } else {
            strbuf_printf(&denied, "%s%s denied (%s", denied.n > 0 ? "; " : "", verb_names[v],
                          doc_checks[missing].text);
            if (x->why[missing] != NULL && x->why[missing][0] != '\0') {
                strbuf_printf(&denied, ": %s", x->why[missing]);
            }
            strbuf_str(&denied, ")");
        }
    }
    if (denied.n == 0) {
        doctor_say(d, DOCTOR_OK, "actions: RBAC allows %s in %s", ok.s, scope);
    } else {
        doctor_say(d, DOCTOR_WARN, "actions: RBAC in %s: %s%s%s", scope, none ? "" : ok.s,
                   none ? "" : " ok; ", denied.s);
    }
    free(ok.s);
    free(denied.s);
    doc_end(x);
}

static void on_doc_review(struct doctor *d, const struct http_response *r, void *ud)
{
    struct kube_doc_review *rv = ud;
    struct kube_doc *x = rv->x;
    int i = rv->i;
    (void)d;
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!http_ok(r)) {
        x->why[i] = kubernetes_describe_failure(r);
        x->failed = true;
    } else if (!json_parse(r->body, r->len, &doc, &cause) ||
               !cJSON_IsObject(json_obj(doc, "status"))) {
        x->why[i] =
            xasprintf("not a SelfSubjectAccessReview (%s)", cause != NULL ? cause : "no status");
        x->failed = true;
    } else {
        const cJSON *st = json_obj(doc, "status");
        x->answered[i] = true;
        x->allowed[i] = json_bool(st, "allowed", false) && !json_bool(st, "denied", false);
        const char *reason = json_str(st, "reason");
        const char *err = json_str(st, "evaluationError");
        if (reason != NULL && reason[0] != '\0') {
            x->why[i] = text_clean_str(reason, 0);
        } else if (err != NULL && err[0] != '\0') {
            char *e = text_clean_str(err, 0);
            x->why[i] = xasprintf("evaluation error: %s", e);
            free(e);
        } /* RBAC leaves a denial's reason empty: the check's name says it then */
    }
    free(cause);
    cJSON_Delete(doc);
    if (--x->pending == 0) {
        doc_summary(x);
    }
}

static char *doc_review_body(const struct kube *k, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(o, "kind", "SelfSubjectAccessReview");
    cJSON *ra = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "spec"), "resourceAttributes");
    cJSON_AddStringToObject(ra, "namespace", k->ns != NULL ? k->ns : "");
    cJSON_AddStringToObject(ra, "verb", doc_checks[i].verb);
    cJSON_AddStringToObject(ra, "group", doc_checks[i].group);
    cJSON_AddStringToObject(ra, "resource", doc_checks[i].resource);
    if (doc_checks[i].subresource != NULL) {
        cJSON_AddStringToObject(ra, "subresource", doc_checks[i].subresource);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static void on_doc_version(struct doctor *d, const struct http_response *r, void *ud)
{
    struct kube_doc *x = ud;
    if (!http_ok(r)) {
        char *why = kubernetes_describe_failure(r);
        bool poll_said = doctor_backend(d)->health == BACKEND_ERROR;
        if (poll_said && (r->error != NULL || (r->status != 401 && r->status != 403))) {
            /* the first poll failed just so and said it: nothing to add */
        } else if (r->error != NULL) {
            doctor_say(d, DOCTOR_FAIL, "API server unreachable: %s", why);
        } else if (r->status == 401) {
            const char *words = doctor_server_words(why);
            doctor_say(d, DOCTOR_FAIL, "authentication failed (HTTP 401%s%s%s): %s",
                       words != NULL ? ", the API server says '" : "", words != NULL ? words : "",
                       words != NULL ? "'" : "",
                       x->k->http.auth == HTTP_AUTH_NONE
                           ? "auth = none sends no token (set auth = bearer and token_file)"
                           : "the credentials sent were refused");
        } else {
            doctor_say(d, DOCTOR_FAIL, "/version: %s", why);
        }
        free(why);
        doc_end(x);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *git = NULL;
    if (json_parse(r->body, r->len, &doc, &cause)) {
        git = json_str(doc, "gitVersion");
    }
    if (git == NULL) {
        doctor_say(d, DOCTOR_WARN, "/version: no gitVersion (%s): not a Kubernetes API server?",
                   cause != NULL ? cause : "missing");
    } else {
        char *v = text_clean_str(git, 0);
        const char *plat = json_str(doc, "platform");
        char *p = plat != NULL ? text_clean_str(plat, 0) : NULL;
        doctor_say(d, DOCTOR_OK, "Kubernetes %s%s%s%s", v, p != NULL ? " (" : "",
                   p != NULL ? p : "", p != NULL ? ")" : "");
        free(v);
        free(p);
    }
    free(cause);
    cJSON_Delete(doc);
    if (x->k->http.auth == HTTP_AUTH_NONE) {
        doctor_say(d, DOCTOR_INFO, "authentication: none configured (auth = none)");
    }
    if (!doctor_actions_wanted(d)) {
        doc_end(x); /* the driver said actions are off */
        return;
    }
    x->pending = DOC_NCHECKS;
    for (int i = 0; i < DOC_NCHECKS; i++) {
        x->reviews[i] = (struct kube_doc_review){.x = x, .i = i};
        char *body = doc_review_body(x->k, i);
        doctor_http(d, &x->k->http, "POST",
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json",
                    body, on_doc_review, &x->reviews[i]);
        free(body);
    }
}

static void kube_doctor(struct backend *b, struct doctor *d)
{
    struct kube_doc *x = xcalloc(1, sizeof *x);
    x->d = d;
    x->k = b->priv;
    doctor_on_cancel(d, doc_cancelled, x); /* else doc_end frees x */
    doctor_http(d, &x->k->http, "GET", "/version", NULL, NULL, on_doc_version, x);
}

static void kube_destroy(struct backend *b)
{
    struct kube *k = b->priv;
    if (k == NULL) {
        return;
    }
    http_poll_finish(&k->poll);
    rowset_destroy(k->building);
    model_keys_free(&k->keys);
    http_actions_drop(&k->actions);
    free(k->ns);
    free(k->list_path);
    http_settings_free(&k->http);
    free(k);
    b->priv = NULL;
}

const struct backend_impl kubernetes_backend = {
    .type = "kubernetes",
    .description = "Kubernetes apps/v1 Deployments: rollout state, restart, pause, scale, undo",
    .kinds = 1u << MODEL_DEPLOYS,
    .actions = kube_actions,
    .nactions = (int)(sizeof kube_actions / sizeof kube_actions[0]),
    .create = kube_create,
    .configure = kube_configure,
    .start = kube_start,
    .poll = kube_poll,
    .act = kube_act,
    .form = kube_form,
    .doctor = kube_doctor,
    .destroy = kube_destroy,
};
