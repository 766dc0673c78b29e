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
 *
 * Alert storms (issue 19): data.alerts is read one element at a time (in
 * slices on the loop when the answer is large: http_poll_parse), and an
 * answer the same as the last one taken rebuilds nothing.
 *
 * The same backend measures the golden signals of the services the config
 * gives it ([service "NAME"] sections, prometheus_signals.h): it then
 * publishes MODEL_SIGNALS too, from two more requests chained after the
 * alerts on every refresh.
 */
#include "prometheus.h"
#include "../common/clock.h"
#include "../common/json.h"
#include "../common/jsonstream.h"

#include "../common/util.h"
#include "alertmanager.h"
#include "doctor.h"
#include "http.h"
#include "http_poll.h"
#include "prometheus_signals.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALERTS_PATH[] = "/api/v1/alerts";

/*
 * An answer this small is read at once (well under a millisecond), so that a
 * failure can be said from the whole document (a 200 whose status is
 * "error"); a larger one is read in slices on the loop.
 */
enum { SMALL_ANSWER = 64 * 1024 };

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

/*
 * Why a GET /api/v1/alerts answer could not be read, as the parser words it:
 * a stream's cause (jsonstream.h) for the shape, or the answer's own error.
 */
static char *shape_cause(const char *cause)
{
    if (cause == NULL || !str_has_prefix(cause, "expected ")) {
        return xstrdup(cause != NULL ? cause : "no data.alerts array");
    }
    /* the stream names the path it expected; the top level is the object */
    return xstrdup(strstr(cause, "data") != NULL ? "no data.alerts array"
                                                 : "expected a JSON object");
}

/*
 * A failed stream of body, said as the whole document says it (an error
 * response, not an object, no data.alerts): the body is small then or broken.
 */
static char *whole_cause(const char *body, size_t len, const char *stream_cause)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!json_parse(body, len, &doc, &cause)) {
        return cause;
    }
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(json_obj(doc, "data"), "alerts");
    if (!cJSON_IsObject(doc)) {
        cause = xstrdup("expected a JSON object");
    } else if (!check_status(doc, &cause)) {
        /* cause set */
    } else if (!cJSON_IsArray(alerts)) {
        cause = xstrdup("no data.alerts array");
    } else {
        cause = shape_cause(stream_cause);
    }
    cJSON_Delete(doc);
    return cause;
}

bool prometheus_parse_alerts(const char *body, size_t len, struct rowset *rs, char **cause)
{
    struct json_stream st;
    json_stream_init(&st, body, len, "data.alerts");
    struct model_keys keys = {0};
    cJSON *alert;
    char *why = NULL;
    int rc;
    while ((rc = json_stream_next(&st, &alert, &why)) > 0) {
        if (cJSON_IsObject(alert)) {
            add_alert(rs, alert, &keys);
        }
        cJSON_Delete(alert);
    }
    model_keys_free(&keys);
    bool ok = rc == 0 && check_status(json_stream_rest(&st), cause);
    if (rc < 0) {
        *cause = whole_cause(body, len, why);
        free(why);
    }
    json_stream_finish(&st);
    if (ok) {
        rowset_end(rs);
    }
    return ok;
}

/* ---- the backend ---- */

/*
 * With services (prometheus_signals.h) a poll is a chain: the alerts, then
 * the signals' instant query, then their range query. The alerts are stored
 * as soon as they come; the health is settled once, at the end of the chain,
 * so that whoever waits for a first answer (snapshot) sees the signals too.
 * A failed step keeps the last rows of what it fetches and names itself in
 * the health ("signals: ..."); the alerts never wait for the signals' fate.
 */
struct prom {
    struct http_settings http;
    struct http_poll poll;
    struct prom_signals *signals;
    int64_t signals_at;         /* signals_at: evaluate at this wall time (s); 0: now */
    char *alerts_error;         /* this poll's alerts failure, or NULL */
    struct prom_answer *answer; /* this poll's signals, while the chain runs */
    struct rowset *reading;     /* the alerts answer being read (in slices) */
    struct model_keys keys;     /* ... its row keys */
    double range_start, range_end;
};

static const char QUERY_PATH[] = "/api/v1/query";
static const char RANGE_PATH[] = "/api/v1/query_range";

static void *prom_create(struct backend *b)
{
    struct prom *p = xcalloc(1, sizeof *p);
    http_settings_init(&p->http);
    http_poll_init(&p->poll, b, &p->http);
    p->signals = prom_signals_create();
    return p;
}

static bool parse_at(const char *value, int64_t *out)
{
    double secs;
    if (str_parse_decimal(value, &secs) && secs > 0 && secs < 1e11) {
        *out = (int64_t)secs;
        return true;
    }
    return clock_parse_rfc3339_s(value, out) && *out > 0;
}

static bool prom_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct prom *p = b->priv;
    int taken = http_settings_configure(&p->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    taken = prom_signals_configure(p->signals, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "signals_at") == 0) {
        if (!parse_at(value, &p->signals_at)) {
            *cause = xasprintf("bad signals_at '%s' (Unix seconds or RFC 3339)", value);
            return false;
        }
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a prometheus backend", key);
    return false;
}

static bool prom_start(struct backend *b, char **cause)
{
    struct prom *p = b->priv;
    b->tls_unverified = p->http.insecure;
    if (prom_signals_count(p->signals) == 0) {
        b->kinds = 1u << MODEL_ALERTS; /* no services: this one feeds no Signals */
    }
    return http_settings_finish(&p->http, b->timeout_ms, cause);
}

/* Prometheus answers errors with a JSON body too (400, 422, 503): say what it says. */
static char *describe_http(const struct http_response *r)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    char *out;
    if (r->error == NULL && json_parse(r->body, r->len, &doc, &cause) &&
        !check_status(doc, &cause)) {
        out = xasprintf("HTTP %ld: %s", r->status, cause);
    } else {
        out = http_describe_failure(r);
    }
    free(cause);
    cJSON_Delete(doc);
    return out;
}

/* The chain is over: settle the health once. signals_error may be NULL. */
static void chain_end(struct backend *b, char *signals_error)
{
    struct prom *p = b->priv;
    prom_answer_destroy(p->answer);
    p->answer = NULL;
    http_poll_end(&p->poll);
    if (p->alerts_error != NULL || signals_error != NULL) {
        http_poll_forget(&p->poll); /* a failed backend reads every answer again */
    }
    if (p->alerts_error != NULL && signals_error != NULL) {
        backend_fail(b, "%s; signals: %s", p->alerts_error, signals_error);
    } else if (p->alerts_error != NULL) {
        backend_fail(b, "%s", p->alerts_error);
    } else if (signals_error != NULL) {
        backend_fail(b, "signals: %s", signals_error);
    } else {
        backend_ok(b);
    }
    free(p->alerts_error);
    p->alerts_error = NULL;
    free(signals_error);
}

static double signals_time(const struct prom *p)
{
    return p->signals_at != 0 ? (double)p->signals_at : (double)clock_wall_ms() / 1000;
}

static void on_range(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct prom *p = b->priv;
    char *cause = NULL;
    if (!http_ok(r)) {
        char *why = describe_http(r);
        cause = xasprintf("%s: %s", RANGE_PATH, why);
        free(why);
    } else if (!prom_answer_range(p->answer, r->body, r->len, p->range_start, PROM_STEP_S,
                                  &cause)) {
        char *why = cause;
        cause = xasprintf("bad response from %s: %s", RANGE_PATH, why);
        free(why);
    } else {
        struct rowset *rs = rowset_create(MODEL_SIGNALS, b->name);
        prom_answer_rows(p->answer, rs);
        backend_publish_rows(b, rs);
    }
    chain_end(b, cause);
}

static void send_range(struct prom *p)
{
    char *q = prom_signals_range_query(p->signals);
    char *eq = http_escape(q);
    p->range_end = signals_time(p);
    p->range_start = p->range_end - PROM_RANGE_S;
    char *form = xasprintf("query=%s&start=%.3f&end=%.3f&step=%d", eq, p->range_start, p->range_end,
                           (int)PROM_STEP_S);
    http_poll_post_form(&p->poll, RANGE_PATH, form, on_range);
    free(form);
    free(eq);
    free(q);
}

static void on_instant(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct prom *p = b->priv;
    char *cause = NULL;
    if (!http_ok(r)) {
        char *why = describe_http(r);
        cause = xasprintf("%s: %s", QUERY_PATH, why);
        free(why);
    } else if (!prom_answer_instant(p->answer, r->body, r->len, &cause)) {
        char *why = cause;
        cause = xasprintf("bad response from %s: %s", QUERY_PATH, why);
        free(why);
    }
    if (cause != NULL) {
        chain_end(b, cause);
        return;
    }
    send_range(p);
}

static void send_instant(struct prom *p)
{
    p->answer = prom_answer_create(p->signals);
    char *q = prom_signals_instant_query(p->signals);
    char *eq = http_escape(q);
    char *form = p->signals_at != 0 ? xasprintf("query=%s&time=%lld", eq, (long long)p->signals_at)
                                    : xasprintf("query=%s", eq);
    http_poll_post_form(&p->poll, QUERY_PATH, form, on_instant);
    free(form);
    free(eq);
    free(q);
}

/* The alerts are in (rs NULL: unchanged, or failed with error): then the signals, or the end. */
static void alerts_in(struct backend *b, struct rowset *rs, char *error)
{
    struct prom *p = b->priv;
    if (prom_signals_count(p->signals) > 0) {
        if (rs != NULL) {
            backend_publish_rows(b, rs); /* the health waits for the end of the chain */
        }
        p->alerts_error = error;
        send_instant(p);
        return;
    }
    http_poll_end(&p->poll);
    if (rs != NULL) {
        backend_publish(b, rs);
    } else if (error != NULL) {
        backend_fail(b, "%s", error);
        http_poll_forget(&p->poll);
    } else {
        backend_ok(b);
    }
    free(error);
}

static bool on_alert_elem(void *ud, cJSON *elem, char **cause)
{
    struct backend *b = ud;
    struct prom *p = b->priv;
    (void)cause;
    if (cJSON_IsObject(elem)) {
        add_alert(p->reading, elem, &p->keys);
    }
    return true;
}

static void reading_drop(struct prom *p)
{
    rowset_destroy(p->reading);
    p->reading = NULL;
    model_keys_free(&p->keys);
}

static void on_alerts_read(void *ud, bool ok, const char *cause, const cJSON *rest, size_t n)
{
    struct backend *b = ud;
    struct prom *p = b->priv;
    (void)n;
    char *why = NULL;
    if (!ok) {
        why = shape_cause(cause);
    } else if (!check_status(rest, &why)) {
        ok = false;
    }
    if (!ok) {
        reading_drop(p);
        char *error = xasprintf("bad response from %s: %s", ALERTS_PATH, why);
        free(why);
        alerts_in(b, NULL, error);
        return;
    }
    struct rowset *rs = p->reading;
    p->reading = NULL;
    model_keys_free(&p->keys);
    rowset_end(rs);
    http_poll_parse_took(&p->poll);
    alerts_in(b, rs, NULL);
}

/*
 * The alerts answer: unchanged, nothing is rebuilt (the store holds its
 * rows); else data.alerts is read one element at a time, in slices on the
 * loop (http_poll_parse) when the answer is large.
 */
static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct prom *p = b->priv;
    if (http_poll_same(&p->poll, r)) {
        alerts_in(b, NULL, NULL);
        return;
    }
    if (!http_ok(r)) {
        alerts_in(b, NULL, describe_http(r));
        return;
    }
    reading_drop(p);
    p->reading = rowset_create(MODEL_ALERTS, b->name);
    if (r->len > SMALL_ANSWER) {
        http_poll_parse(&p->poll, r, "data.alerts", on_alert_elem, on_alerts_read, b);
        return;
    }
    /* small: read at once, and a failure said as the whole document says it */
    char *cause = NULL;
    if (!prometheus_parse_alerts(r->body, r->len, p->reading, &cause)) {
        reading_drop(p);
        char *error = xasprintf("bad response from %s: %s", ALERTS_PATH, cause);
        free(cause);
        alerts_in(b, NULL, error);
        return;
    }
    struct rowset *rs = p->reading;
    p->reading = NULL;
    http_poll_took(&p->poll, r);
    alerts_in(b, rs, NULL);
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
    reading_drop(p);
    http_settings_free(&p->http);
    prom_answer_destroy(p->answer);
    prom_signals_destroy(p->signals);
    free(p->alerts_error);
    free(p);
    b->priv = NULL;
}

/* ---- opsdeck doctor (doctor.h): version, authentication ---- */

static void on_doctor_buildinfo(struct doctor *d, const struct http_response *r, void *ud)
{
    struct backend *b = ud;
    struct prom *p = b->priv;
    if (!doctor_http_answered(d, &p->http, "GET /api/v1/status/buildinfo", r)) {
        doctor_end(d);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *version = NULL;
    if (!json_parse(r->body, r->len, &doc, &cause) ||
        (version = json_str(json_obj(doc, "data"), "version")) == NULL) {
        doctor_say(d, DOCTOR_FAIL,
                   "GET /api/v1/status/buildinfo: no data.version in the "
                   "answer%s%s (not a Prometheus?)",
                   cause != NULL ? ": " : "", cause != NULL ? cause : "");
    } else {
        doctor_say(d, DOCTOR_OK, "Prometheus %s", version);
    }
    free(cause);
    cJSON_Delete(doc);
    doctor_say(d, DOCTOR_INFO, "actions: none (read only: alerts and signals)");
    doctor_end(d);
}

static void prom_doctor(struct backend *b, struct doctor *d)
{
    struct prom *p = b->priv;
    doctor_http(d, &p->http, "GET", "/api/v1/status/buildinfo", NULL, NULL, on_doctor_buildinfo, b);
}

const struct backend_impl prometheus_backend = {
    .type = "prometheus",
    .description = "Prometheus (API v1): pending and firing alerts, read-only; the golden "
                   "signals and SLOs of [service] sections",
    .kinds = (1u << MODEL_ALERTS) | (1u << MODEL_SIGNALS),
    .actions = NULL,
    .nactions = 0,
    .create = prom_create,
    .configure = prom_configure,
    .start = prom_start,
    .poll = prom_poll,
    .act = NULL,
    .doctor = prom_doctor,
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
