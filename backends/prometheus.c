/*
 * The Prometheus backend: GET /api/v1/alerts on every refresh, one row per
 * alert that a rule evaluates as pending or firing. Prometheus gives alerts
 * no id, so the row key is the fingerprint of the label set, computed the way
 * Alertmanager computes its own: the same alert has the same key in both.
 *
 * Rows look like the Alertmanager backend's (the shared helpers in
 * alertmanager.h build them), so an alert seen by both reads the same. There
 * are no actions: Prometheus alerts are read-only and silencing happens in
 * Alertmanager.
 *
 * Parsing is defensive (DESIGN rule 6): an error response becomes the
 * backend's error, an entry that is not an object is skipped, a field of the
 * wrong type counts as missing; a failed poll keeps the last good rows.
 */
#include "prometheus.h"
#include "../common/clock.h"
#include "../common/json.h"

#include "../common/util.h"
#include "alertmanager.h"
#include "http.h"
#include "http_poll.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALERTS_PATH[] = "/api/v1/alerts";

/* Sample values are strings ("1e+00", "NaN", "+Inf"); a number is taken too. */
static void detail_value(struct rowset *rs, const cJSON *alert)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(alert, "value");
    if (cJSON_IsString(v)) {
        rowset_detail_nonempty(rs, "value", v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%g", v->valuedouble);
        rowset_detail(rs, "value", buf);
    }
}

/* firing: loud as its severity; pending: about to fire, quieter; else muted. */
static void alert_state(const char *state, struct alertmanager_row *r)
{
    r->state = state != NULL ? state : "";
    if (state == NULL || strcmp(state, "firing") == 0) {
        return;
    }
    if (strcmp(state, "pending") == 0) {
        r->state_tone = TONE_WARN;
        r->row_tone = TONE_INFO;
    } else {
        r->state_tone = TONE_MUTED;
        r->row_tone = TONE_MUTED;
    }
}

static void add_alert(struct rowset *rs, const cJSON *alert, struct model_keys *keys)
{
    const cJSON *labels = json_obj(alert, "labels");
    struct alertmanager_row r = {.labels = labels, .annotations = json_obj(alert, "annotations")};
    char hash[17];
    int64_t t;
    alertmanager_labels_hash(labels, hash);
    if (clock_parse_rfc3339_s(json_str(alert, "activeAt"), &t) && t > 0) {
        r.starts_at = t;
    }
    alert_state(json_str(alert, "state"), &r);
    char *key = model_keys_unique(keys, hash);
    r.key = key;
    alertmanager_row_begin(rs, &r);
    rowset_detail_nonempty(rs, "state", json_str(alert, "state"));
    rowset_detail_nonempty(rs, "activeAt", json_str(alert, "activeAt"));
    rowset_detail_nonempty(rs, "keepFiringSince", json_str(alert, "keepFiringSince"));
    detail_value(rs, alert);
    rowset_detail(rs, "fingerprint", hash);
    free(key);
}

/* {"status":"error","errorType":"bad_data","error":"..."} and other non-successes. */
static bool check_status(const cJSON *doc, char **cause)
{
    const char *status = json_str(doc, "status");
    if (status == NULL || strcmp(status, "success") == 0) {
        return true;
    }
    const char *type = json_str(doc, "errorType");
    const char *error = json_str(doc, "error");
    if (strcmp(status, "error") == 0) {
        *cause = xasprintf("Prometheus error (%s): %s", type != NULL ? type : "unknown",
                           error != NULL ? error : "no message");
    } else {
        *cause = xasprintf("unexpected status '%s'", status);
    }
    return false;
}

bool prometheus_parse_alerts(const char *body, size_t len, struct rowset *rs, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    bool ok = false;
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(json_obj(doc, "data"), "alerts");
    if (!cJSON_IsObject(doc)) {
        *cause = xstrdup("expected a JSON object");
    } else if (!check_status(doc, cause)) {
        /* cause set */
    } else if (!cJSON_IsArray(alerts)) {
        *cause = xstrdup("no data.alerts array");
    } else {
        struct model_keys keys = {0};
        const cJSON *alert;
        cJSON_ArrayForEach(alert, alerts)
        {
            if (cJSON_IsObject(alert)) {
                add_alert(rs, alert, &keys);
            }
        }
        model_keys_free(&keys);
        rowset_end(rs);
        ok = true;
    }
    cJSON_Delete(doc);
    return ok;
}

/* ---- the backend ---- */

struct prom {
    struct http_settings http;
    struct http_poll poll;
};

static void *prom_create(struct backend *b)
{
    struct prom *p = xcalloc(1, sizeof *p);
    http_settings_init(&p->http);
    http_poll_init(&p->poll, b, &p->http);
    return p;
}

static bool prom_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct prom *p = b->priv;
    int taken = http_settings_configure(&p->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    *cause = xasprintf("unknown key '%s' for a prometheus backend", key);
    return false;
}

static bool prom_start(struct backend *b, char **cause)
{
    struct prom *p = b->priv;
    b->tls_unverified = p->http.insecure;
    return http_settings_finish(&p->http, b->timeout_ms, cause);
}

/* Prometheus answers errors with a JSON body too (400, 422, 503): say what it says. */
static void fail_http(struct backend *b, const struct http_response *r)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    if (r->error == NULL && json_parse(r->body, r->len, &doc, &cause) &&
        !check_status(doc, &cause)) {
        backend_fail(b, "HTTP %ld: %s", r->status, cause);
    } else {
        char *why = http_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
    }
    free(cause);
    cJSON_Delete(doc);
}

static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct prom *p = b->priv;
    http_poll_end(&p->poll);
    if (!http_ok(r)) {
        fail_http(b, r);
        return;
    }
    struct rowset *rs = rowset_create(MODEL_ALERTS, b->name);
    char *cause = NULL;
    if (!prometheus_parse_alerts(r->body, r->len, rs, &cause)) {
        backend_fail(b, "bad response from %s: %s", ALERTS_PATH, cause);
        free(cause);
        rowset_destroy(rs);
        return;
    }
    backend_publish(b, rs);
}

static void prom_poll(struct backend *b)
{
    struct prom *p = b->priv;
    if (http_poll_begin(&p->poll)) {
        http_poll_send(&p->poll, ALERTS_PATH, on_poll);
    }
}

static void prom_destroy(struct backend *b)
{
    struct prom *p = b->priv;
    if (p == NULL) {
        return;
    }
    http_poll_finish(&p->poll);
    http_settings_free(&p->http);
    free(p);
    b->priv = NULL;
}

const struct backend_impl prometheus_backend = {
    .type = "prometheus",
    .description = "Prometheus (API v1): pending and firing alerts, read-only",
    .kinds = 1u << MODEL_ALERTS,
    .actions = NULL,
    .nactions = 0,
    .create = prom_create,
    .configure = prom_configure,
    .start = prom_start,
    .poll = prom_poll,
    .act = NULL,
    .destroy = prom_destroy,
};

/* ---- :promql (prometheus_query.c) runs its queries over this backend's connection ---- */

#include "prometheus_query.h"

const struct http_settings *prometheus_http(const struct backend *b)
{
    return b != NULL && b->impl == &prometheus_backend && b->priv != NULL
               ? &((const struct prom *)b->priv)->http
               : NULL;
}
