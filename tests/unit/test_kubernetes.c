/*
 * The Kubernetes backend's parsers: the DeploymentList fixture (argv[1] =
 * tests/fixtures/kubernetes) into rows; the rollout state against a table of
 * cases in kubectl's order; the previous-revision pick from a ReplicaSetList;
 * Status error bodies; and hostile input (garbage, cut, wrong types, huge
 * numbers, duplicates) that must give an error or sane rows, never a crash.
 */
#include "../../backends/kubernetes.h"
#include "../../backends/model.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtures = "tests/fixtures/kubernetes";
static const int64_t NOW = 1795431600; /* 2026-11-23T09:00:00Z */

static char *read_file(const char *name, size_t *len)
{
    return tap_fixture(fixtures, name, len);
}

/* Parse exactly len bytes from a buffer of exactly len bytes (ASan sees overreads). */
static struct rowset *parse(const char *text, size_t len, bool *ok, char **cont, char **cause)
{
    char *exact = xmalloc(len > 0 ? len : 1);
    memcpy(exact, text, len);
    struct rowset *rs = rowset_create(MODEL_DEPLOYS, "k8s");
    *cause = NULL;
    *ok = kubernetes_parse_deployments(exact, len, rs, NOW, NULL, cont, cause);
    free(exact);
    return rs;
}

static long find_row(const struct rowset *rs, const char *key)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        if (strcmp(rowset_key(rs, i), key) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* The detail value of key in row i, or NULL. */
static char *detail_of(const struct rowset *rs, size_t i, const char *key)
{
    const char *d = rowset_str(rs, rs->rows[i].detail);
    size_t kl = strlen(key);
    for (const char *line = d; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (n > kl && strncmp(line, key, kl) == 0 && line[kl] == '\t') {
            return xstrndup(line + kl + 1, n - kl - 1);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    return NULL;
}

static void is_detail(const struct rowset *rs, size_t i, const char *key, const char *want)
{
    char *got = detail_of(rs, i, key);
    char *what = xasprintf("%s: detail %s", rowset_key(rs, i), key);
    tap_is_str(got, want, what);
    free(what);
    free(got);
}

static void test_fixture(void)
{
    size_t len;
    char *body = read_file("deployments.json", &len);
    bool ok;
    char *cont = NULL, *cause = NULL;
    struct rowset *rs = parse(body, len, &ok, &cont, &cause);
    tap_ok(ok, "the DeploymentList fixture parses (%s)", cause != NULL ? cause : "");
    tap_is_int((long long)rs->nrows, 5, "five deployments");
    tap_ok(cont == NULL, "no continue token on the last page");
    static const struct {
        const char *key, *ready, *state, *image;
        int up2d, avail;
    } want[] = {
        {"shop/cart", "3/3", "complete", "registry.example.com/shop/cart:v1.9.3", 3, 3},
        {"shop/checkout", "3/4", "progressing",
         "registry.example.com/shop/checkout:v2.14.1,envoyproxy/envoy:v1.30.1", 2, 3},
        {"payments/payments-api", "3/3", "failed",
         "registry.example.com/payments/payments-api:v3.2.0", 1, 3},
        {"shop/notifications", "2/2", "paused", "registry.example.com/shop/notifications:v0.31.0",
         1, 2},
        {"shop/search", "2/2", "progressing", "registry.example.com/shop/search:v5.0.2", 2, 2},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        long i = find_row(rs, want[w].key);
        if (!tap_ok(i >= 0, "row %s", want[w].key)) {
            continue;
        }
        char what[128];
        snprintf(what, sizeof what, "%s READY", want[w].key);
        tap_is_str(rowset_cell_text(rs, (size_t)i, DEPLOY_READY), want[w].ready, what);
        snprintf(what, sizeof what, "%s ROLLOUT", want[w].key);
        tap_is_str(rowset_cell_text(rs, (size_t)i, DEPLOY_STATE), want[w].state, what);
        snprintf(what, sizeof what, "%s IMAGE", want[w].key);
        tap_is_str(rowset_cell_text(rs, (size_t)i, DEPLOY_IMAGE), want[w].image, what);
        snprintf(what, sizeof what, "%s UP2D", want[w].key);
        tap_is_int((long long)rowset_cell_num(rs, (size_t)i, DEPLOY_UPTODATE), want[w].up2d, what);
        snprintf(what, sizeof what, "%s AVAIL", want[w].key);
        tap_is_int((long long)rowset_cell_num(rs, (size_t)i, DEPLOY_AVAILABLE), want[w].avail,
                   what);
    }
    long cart = find_row(rs, "shop/cart");
    long pay = find_row(rs, "payments/payments-api");
    long chk = find_row(rs, "shop/checkout");
    long search = find_row(rs, "shop/search");
    if (cart >= 0 && pay >= 0 && chk >= 0 && search >= 0) {
        tap_is_str(rowset_cell_text(rs, (size_t)cart, DEPLOY_NAMESPACE), "shop", "NAMESPACE");
        tap_is_str(rowset_cell_text(rs, (size_t)cart, DEPLOY_NAME), "cart", "DEPLOYMENT");
        tap_is_int((long long)rowset_cell_num(rs, (size_t)cart, DEPLOY_AGE), 1790841600,
                   "AGE from creationTimestamp 2026-10-01T08:00:00Z");
        tap_is_str(rowset_cell_text(rs, (size_t)cart, DEPLOY_SOURCE), "k8s", "SOURCE");
        tap_ok(rowset_cells(rs, (size_t)cart)[DEPLOY_STATE].tone == TONE_OK, "complete is OK tone");
        tap_ok(rs->rows[pay].tone == TONE_CRIT, "a failed rollout makes the row critical");
        tap_ok(rowset_cells(rs, (size_t)chk)[DEPLOY_READY].tone == TONE_WARN,
               "READY short of desired is a warning");
        is_detail(rs, (size_t)cart, "revision", "3");
        is_detail(rs, (size_t)cart, "selector", "app=cart");
        is_detail(rs, (size_t)cart, "strategy", "RollingUpdate (maxSurge 25%, maxUnavailable 25%)");
        is_detail(rs, (size_t)cart, "restartedAt", "2026-11-20T08:15:00Z");
        is_detail(rs, (size_t)cart, "paused", "false");
        is_detail(rs, (size_t)cart, "replicas",
                  "3 desired, 3 updated, 3 ready, 3 available, 3 total");
        is_detail(rs, (size_t)chk, "image.envoy", "envoyproxy/envoy:v1.30.1");
        is_detail(rs, (size_t)chk, "rollout", "2 out of 4 new replicas have been updated");
        is_detail(rs, (size_t)pay, "condition.Progressing",
                  "False (ProgressDeadlineExceeded): ReplicaSet \"payments-api-7b8c9d6f5c\" has "
                  "timed out progressing.");
        is_detail(rs, (size_t)search, "rollout",
                  "waiting for the deployment spec update to be observed");
        is_detail(rs, (size_t)search, "generation", "7 (observed 6)");
    }
    free(cont);
    free(cause);
    rowset_destroy(rs);
    free(body);
}

/* One Deployment from its numbers, as JSON; -1 leaves a field out. */
static cJSON *make_deploy(int gen, int observed, int replicas, int updated, int total,
                          int available, bool paused, const char *progressing_reason)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(d, "metadata");
    cJSON *spec = cJSON_AddObjectToObject(d, "spec");
    cJSON *st = cJSON_AddObjectToObject(d, "status");
    if (gen >= 0) {
        cJSON_AddNumberToObject(meta, "generation", gen);
    }
    if (observed >= 0) {
        cJSON_AddNumberToObject(st, "observedGeneration", observed);
    }
    if (replicas >= 0) {
        cJSON_AddNumberToObject(spec, "replicas", replicas);
    }
    if (paused) {
        cJSON_AddBoolToObject(spec, "paused", true);
    }
    if (updated >= 0) {
        cJSON_AddNumberToObject(st, "updatedReplicas", updated);
    }
    if (total >= 0) {
        cJSON_AddNumberToObject(st, "replicas", total);
    }
    if (available >= 0) {
        cJSON_AddNumberToObject(st, "availableReplicas", available);
    }
    if (progressing_reason != NULL) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", "Progressing");
        cJSON_AddStringToObject(c, "status", "False");
        cJSON_AddStringToObject(c, "reason", progressing_reason);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "conditions"), c);
    }
    return d;
}

static void test_rollout_table(void)
{
    static const struct {
        const char *what;
        int gen, observed, replicas, updated, total, available;
        bool paused;
        const char *reason;
        enum rollout want;
        const char *why;
    } cases[] = {
        {"settled", 3, 3, 3, 3, 3, 3, false, NULL, ROLLOUT_COMPLETE, NULL},
        {"spec not observed yet wins over everything", 4, 3, 3, 3, 3, 3, true,
         "ProgressDeadlineExceeded", ROLLOUT_PROGRESSING,
         "waiting for the deployment spec update to be observed"},
        {"deadline exceeded", 3, 3, 3, 1, 4, 3, false, "ProgressDeadlineExceeded", ROLLOUT_FAILED,
         "exceeded its progress deadline"},
        {"deadline exceeded beats paused", 3, 3, 3, 1, 4, 3, true, "ProgressDeadlineExceeded",
         ROLLOUT_FAILED, "exceeded its progress deadline"},
        {"paused mid-rollout", 3, 3, 3, 1, 4, 3, true, NULL, ROLLOUT_PAUSED, NULL},
        {"not all updated", 3, 3, 4, 2, 5, 3, false, NULL, ROLLOUT_PROGRESSING,
         "2 out of 4 new replicas have been updated"},
        {"old replicas terminating", 3, 3, 3, 3, 5, 3, false, NULL, ROLLOUT_PROGRESSING,
         "2 old replicas are pending termination"},
        {"updated not yet available", 3, 3, 3, 3, 3, 2, false, NULL, ROLLOUT_PROGRESSING,
         "2 of 3 updated replicas are available"},
        {"other Progressing reasons do not fail", 3, 3, 2, 2, 2, 2, false, "ReplicaSetUpdated",
         ROLLOUT_COMPLETE, NULL},
        {"scaled to zero and settled", 5, 5, 0, 0, 0, 0, false, NULL, ROLLOUT_COMPLETE, NULL},
        {"replicas missing: the API default 1", 1, 1, -1, 0, 0, 0, false, NULL, ROLLOUT_PROGRESSING,
         "0 out of 1 new replicas have been updated"},
        {"empty status (new object)", 1, -1, 2, -1, -1, -1, false, NULL, ROLLOUT_PROGRESSING,
         "waiting for the deployment spec update to be observed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *d =
            make_deploy(cases[i].gen, cases[i].observed, cases[i].replicas, cases[i].updated,
                        cases[i].total, cases[i].available, cases[i].paused, cases[i].reason);
        char *why = NULL;
        enum rollout got = kubernetes_rollout_state(d, &why);
        char *what =
            xasprintf("rollout: %s -> %s", cases[i].what, model_rollout_name(cases[i].want));
        tap_is_str(model_rollout_name(got), model_rollout_name(cases[i].want), what);
        free(what);
        what = xasprintf("rollout: %s: why", cases[i].what);
        tap_is_str(why, cases[i].why, what);
        free(what);
        free(why);
        cJSON_Delete(d);
    }
}

static void test_replicasets(void)
{
    size_t len;
    char *body = read_file("replicasets.json", &len);
    cJSON *t = NULL;
    long rev = 0;
    char *cause = NULL;
    const char *cart = "3f1b7c52-6a0e-4d1e-9b51-2c8f0a7e6d11";
    bool ok = kubernetes_previous_revision(body, len, cart, 3, &t, &rev, &cause);
    tap_ok(ok, "cart has a revision before 3 (%s)", cause != NULL ? cause : "");
    tap_is_int(rev, 2, "the previous revision is 2 (not the other owner's 2, not 1)");
    const cJSON *c0 =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "spec"), "containers"), 0);
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(c0, "image")),
               "registry.example.com/shop/cart:v1.9.2", "its template has v1.9.2");
    const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "metadata"), "labels");
    tap_ok(cJSON_GetObjectItem(labels, "pod-template-hash") == NULL,
           "the pod-template-hash label is dropped");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(labels, "app")), "cart",
               "the other labels stay");
    cJSON_Delete(t);
    t = NULL;

    ok = kubernetes_previous_revision(body, len, cart, 2, &t, &rev, &cause);
    tap_ok(ok && rev == 1, "below 2 comes 1");
    cJSON_Delete(t);
    t = NULL;
    ok = kubernetes_previous_revision(body, len, cart, 1, &t, &rev, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, "no previous revision") != NULL,
           "below 1 there is none, said plainly (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    ok = kubernetes_previous_revision(body, len, "no-such-uid", 9, &t, &rev, &cause);
    tap_ok(!ok && cause != NULL, "a uid that owns nothing has no previous revision");
    free(cause);
    cause = NULL;
    free(body);

    static const char *const bad[] = {"", "[]", "{\"items\":{}}", "{\"items\":[1,\"x\",null]}",
                                      ("{\"items\":[{\"metadata\":{\"annotations\":{"
                                       "\"deployment.kubernetes.io/revision\":\"1x\"}}}]}")};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok = kubernetes_previous_revision(bad[i], strlen(bad[i]), cart, 5, &t, &rev, &cause);
        tap_ok(!ok && cause != NULL, "hostile ReplicaSetList %zu: an error (%s)", i,
               cause != NULL ? cause : "");
        free(cause);
        cause = NULL;
    }
}

static void test_status(void)
{
    size_t len;
    char *body = read_file("status_403.json", &len);
    struct http_response r = {.status = 403, .body = body, .len = len};
    char *s = kubernetes_describe_failure(&r);
    tap_is_str(s,
               "HTTP 403 Forbidden: deployments.apps is forbidden: User "
               "\"system:serviceaccount:ops:opsdeck\" cannot list resource \"deployments\" in API "
               "group \"apps\" at the cluster scope",
               "a Status body is shown by its message");
    free(s);
    free(body);
    const char *html = "<html>oops</html>";
    r = (struct http_response){.status = 502, .body = html, .len = strlen(html)};
    s = kubernetes_describe_failure(&r);
    tap_ok(strstr(s, "502") != NULL && strstr(s, "oops") != NULL,
           "a non-Status body is shown as it starts (%s)", s);
    free(s);
    const char *notstatus = "{\"kind\":\"Deployment\",\"message\":\"x\"}";
    r = (struct http_response){.status = 500, .body = notstatus, .len = strlen(notstatus)};
    s = kubernetes_describe_failure(&r);
    tap_ok(strstr(s, "HTTP 500") != NULL, "only kind Status is trusted for a message (%s)", s);
    free(s);
    r = (struct http_response){.status = 0, .error = "connection refused"};
    s = kubernetes_describe_failure(&r);
    tap_is_str(s, "connection refused", "a transport error as is");
    free(s);
}

static void test_paging(void)
{
    const char *page = "{\"kind\":\"DeploymentList\",\"apiVersion\":\"apps/v1\",\"metadata\":{"
                       "\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ\",\"remainingItemCount\":3},"
                       "\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}]}";
    bool ok;
    char *cont = NULL, *cause = NULL;
    struct rowset *rs = parse(page, strlen(page), &ok, &cont, &cause);
    tap_ok(ok && rs->nrows == 1, "a first page parses");
    tap_is_str(cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "its continue token is returned");
    free(cont);
    rowset_destroy(rs);

    /* streamed (issue 19): what comes after the items is read too */
    const char *after = "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}],"
                        "\"kind\":\"DeploymentList\",\"metadata\":{\"continue\":\"tok\"}}";
    cont = NULL;
    rs = parse(after, strlen(after), &ok, &cont, &cause);
    tap_ok(ok && rs->nrows == 1, "items before the kind and metadata parse");
    tap_is_str(cont, "tok", "a continue token after the items is returned");
    free(cont);
    rowset_destroy(rs);
    const char *late = "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}],"
                       "\"kind\":\"ReplicaSetList\"}";
    cont = NULL;
    cause = NULL;
    rs = parse(late, strlen(late), &ok, &cont, &cause);
    tap_ok(!ok && cause != NULL &&
               strcmp(cause, "expected a DeploymentList, got a ReplicaSetList") == 0 &&
               cont == NULL,
           "a wrong kind after the items is refused (%s)", cause != NULL ? cause : "");
    free(cause);
    rowset_destroy(rs);
}

static void test_hostile(void)
{
    static const struct {
        const char *what, *body;
        bool ok;
        int rows;
    } cases[] = {
        {"empty", "", false, 0},
        {"garbage", "<html><body>502 Bad Gateway</body></html>", false, 0},
        {"truncated", "{\"kind\":\"DeploymentList\",\"items\":[{\"metad", false, 0},
        {"an array", "[]", false, 0},
        {"items not an array", "{\"kind\":\"DeploymentList\",\"items\":\"none\"}", false, 0},
        {"a Status with 200", "{\"kind\":\"Status\",\"status\":\"Failure\",\"items\":[]}", false,
         0},
        {"a ReplicaSetList", "{\"kind\":\"ReplicaSetList\",\"items\":[]}", false, 0},
        {"trailing data", "{\"items\":[]} x", false, 0},
        {"empty list", "{\"kind\":\"DeploymentList\",\"items\":[]}", true, 0},
        {"items of every wrong type", "{\"items\":[1,\"x\",null,true,[]]}", true, 0},
        {"fields of wrong types",
         "{\"items\":[{\"metadata\":{\"name\":7,\"namespace\":[],\"generation\":\"9\"},"
         "\"spec\":{\"replicas\":\"3\",\"paused\":\"yes\",\"template\":{\"spec\":{\"containers\":"
         "[{\"image\":5},\"x\",{\"name\":\"c\",\"image\":\"i:1\"}]}}},\"status\":[]}]}",
         true, 1},
        {"huge and negative numbers",
         "{\"items\":[{\"metadata\":{\"name\":\"h\",\"namespace\":\"n\",\"generation\":1e308},"
         "\"spec\":{\"replicas\":-5},\"status\":{\"observedGeneration\":-1e308,"
         "\"updatedReplicas\":1e300,\"availableReplicas\":-0.5}}]}",
         true, 1},
        {"duplicate names",
         "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}},{\"metadata\":{\"name\":"
         "\"a\",\"namespace\":\"n\"}}]}",
         true, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool ok;
        char *cont = NULL, *cause = NULL;
        struct rowset *rs = parse(cases[i].body, strlen(cases[i].body), &ok, &cont, &cause);
        tap_ok(ok == cases[i].ok && (ok || cause != NULL) && (int)rs->nrows == cases[i].rows,
               "hostile: %s -> %s%s%s", cases[i].what,
               ok ? "rows" : "error: ", cause != NULL ? cause : "", "");
        if (ok && rs->nrows == 2) {
            tap_ok(strcmp(rowset_key(rs, 0), rowset_key(rs, 1)) != 0, "keys stay unique (%s, %s)",
                   rowset_key(rs, 0), rowset_key(rs, 1));
        }
        if (ok && rs->nrows == 1 && strcmp(cases[i].what, "fields of wrong types") == 0) {
            tap_is_str(rowset_key(rs, 0), "/", "wrong-typed names count as missing");
            tap_is_str(rowset_cell_text(rs, 0, DEPLOY_IMAGE), "i:1", "only string images count");
            tap_is_str(rowset_cell_text(rs, 0, DEPLOY_READY), "0/1",
                       "a string replicas counts as missing (the default 1)");
        }
        if (ok && rs->nrows == 1 && strcmp(cases[i].what, "huge and negative numbers") == 0) {
            tap_is_str(rowset_cell_text(rs, 0, DEPLOY_STATE), "progressing",
                       "huge generations compare without overflow");
            tap_is_str(rowset_cell_text(rs, 0, DEPLOY_READY), "0/0", "negatives clamp to 0");
        }
        free(cont);
        free(cause);
        rowset_destroy(rs);
    }
}

/* The scale dialog is prefilled with the desired replicas of the row the store holds. */
static void test_scale_form(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&kubernetes_backend, "k8s", st, NULL);
    size_t len;
    char *body = read_file("deployments.json", &len);
    bool ok;
    char *cont = NULL, *cause = NULL;
    store_publish(st, parse(body, len, &ok, &cont, &cause));
    const struct action_def *scale = backend_action_by_verb(b, MODEL_DEPLOYS, "scale");
    const char *labels[4];
    char *values[4] = {0};
    int n = scale != NULL ? b->impl->form(b, scale, "shop/checkout", labels, values, 4) : 0;
    tap_ok(n == 1 && strcmp(values[0], "4") == 0, "scale is prefilled with checkout's 4 replicas");
    free(values[0]);
    values[0] = NULL;
    n = scale != NULL ? b->impl->form(b, scale, "shop/gone", labels, values, 4) : 0;
    tap_ok(n == 0, "a row the store lacks: the plain input with its default");
    const struct action_def *pause = backend_action_by_verb(b, MODEL_DEPLOYS, "pause");
    tap_ok(pause != NULL && b->impl->form(b, pause, "shop/cart", labels, values, 4) == 0,
           "other actions have no form");
    static const struct {
        const char *verb;
        int key;
    } keys[] = {{"restart", 'R'}, {"pause", 'p'}, {"resume", 'r'}, {"scale", 'x'}, {"undo", 'U'}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct action_def *def = backend_action(b, MODEL_DEPLOYS, keys[i].key);
        tap_ok(def != NULL && strcmp(def->verb, keys[i].verb) == 0, "key %c is %s", keys[i].key,
               keys[i].verb);
    }
    char *why = NULL;
    tap_ok(backend_configure(b, "namespace", "shop", &why), "namespace = shop is taken");
    tap_ok(!backend_configure(b, "namespace", "Shop/../x", &why) && why != NULL &&
               strstr(why, "bad namespace") != NULL,
           "a namespace that is no DNS label is refused, saying so");
    free(why);
    why = NULL;
    tap_ok(!backend_configure(b, "contxt", "prod", &why) && why != NULL &&
               strcmp(why, "unknown key 'contxt' for a kubernetes backend") == 0,
           "an unknown key is refused by name");
    free(why);
    free(cont);
    free(cause);
    free(body);
    backend_destroy(b);
    store_destroy(st);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }
    action_setup(NULL, false);
    test_fixture();
    test_rollout_table();
    test_replicasets();
    test_status();
    test_paging();
    test_hostile();
    test_scale_form();
    return tap_done();
}
