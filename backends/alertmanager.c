/*
 * The Alertmanager backend: GET /api/v2/alerts on every refresh, one row per
 * alert keyed by its fingerprint, and two actions that write to Alertmanager:
 * silence (POST /api/v2/silences with one equality matcher per label of the
 * alert) and expire (DELETE /api/v2/silence/{id} for each silence that mutes
 * it).
 *
 * An action reads what it needs (every label, the silence ids) from the
 * alert's row in the store, under the backend's source (a cluster's merged
 * rows for a member): the detail lines "label.NAME" and "silencedBy". No
 * document is kept between polls (issue 19: memory follows the rows). The
 * few label sets a row cannot give back exactly (a value with a newline or a
 * tab: alertmanager_labels_flattened) are kept aside, by row key, from the
 * last good poll. When an action names a key the store lacks (an alert newer
 * than the last poll, or an action before the first one), the action first
 * fetches the alerts itself and then looks again. Actions are small state
 * machines held in a list so that destroy() can cancel their requests.
 *
 * After the alerts, each poll fetches GET /api/v2/silences (chained: one
 * request in flight per backend) and publishes the alerts and the silences
 * together, so that a poll answers once. A silence row is keyed by the
 * silence id and has one action, expire, which shares the alert's expire
 * machinery with the id as the only silence to delete.
 *
 * Alert storms (issue 19): the alerts answer is read one element at a time,
 * in slices on the loop (http_poll_parse), each element a row at once and
 * freed. An answer the same as the last one taken (a 304, or the same bytes:
 * http_poll_same) rebuilds nothing: the store still holds its rows. Same
 * silences are not parsed either; only their ENDS texts, which move with the
 * clock, are read again from a kept copy of the rows, and published when one
 * changed. Any failure forgets what was taken (a cluster member's rows left
 * the merge), so the next answers are read again.
 *
 * alertmanager_parse.c reads the answers (defensively: a failed poll keeps
 * the last good rows and says why); this file is the backend: its settings,
 * the poll and the actions.
 */
#include "alertmanager.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/jsonstream.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "doctor.h"
#include "http.h"
#include "http_action.h"
#include "http_poll.h"

#include <cjson/cJSON.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALERTS_PATH[] = "/api/v2/alerts";
static const char SILENCES_PATH[] = "/api/v2/silences";

enum {
    SILENCE_MAX_SECONDS = 366 * 86400, /* a longer silence is a typo, not a plan */
};

static const char DEFAULT_COMMENT[] = "silenced from opsdeck";

/* ---- settings ---- */

struct am_op;

/* Row key -> labels, for the rare label sets a row flattens (alertmanager_labels_flattened). */
struct am_exact {
    char **keys;
    cJSON **labels;
    size_t n;
};

static void exact_free(struct am_exact *x)
{
    if (x == NULL) {
        return;
    }
    for (size_t i = 0; i < x->n; i++) {
        free(x->keys[i]);
        cJSON_Delete(x->labels[i]);
    }
    free(x->keys);
    free(x->labels);
    free(x);
}

static void exact_add(struct am_exact **x, const char *key, const cJSON *labels)
{
    if (*x == NULL) {
        *x = xcalloc(1, sizeof **x);
    }
    struct am_exact *e = *x;
    e->keys = xreallocarray(e->keys, e->n + 1, sizeof *e->keys);
    e->labels = xreallocarray(e->labels, e->n + 1, sizeof *e->labels);
    e->keys[e->n] = xstrdup(key);
    e->labels[e->n] = cJSON_Duplicate(labels, 1);
    e->n++;
}

/* An alerts answer being read: its rows, and the label sets kept aside. */
struct am_read {
    struct rowset *rs;
    struct model_keys keys;
    struct am_exact *exact;
    int64_t now;
};

/* Rare (a label value with a newline or a tab): a linear search is enough. */
static const cJSON *exact_find(const struct am_exact *x, const char *key)
{
    for (size_t i = 0; x != NULL && i < x->n; i++) {
        if (strcmp(x->keys[i], key) == 0) {
            return x->labels[i];
        }
    }
    return NULL;
}

struct am {
    struct http_settings http;
    char **filters; /* matchers, each sent as filter=... */
    size_t nfilters;
    char *path;                  /* GET path with the query */
    struct http_poll poll;       /* the poll's alerts request, then its silences request */
    struct rowset *alerts;       /* this poll's alerts, published once its silences answer */
    struct am_exact *exact;      /* label sets a row cannot give back, of the last good alerts */
    struct am_read reading;      /* the alerts answer being read (in slices) */
    bool alerts_stale;           /* an action's fetch published newer alerts than those read */
    struct rowset *silences;     /* a copy of the last silences published (ENDS moves on) */
    struct rowset_size size;     /* of the last alerts read: the next are made that big at once */
    struct http_actions actions; /* in flight */
};

static void op_free(struct http_action *act);

static void *am_create(struct backend *b)
{
    struct am *am = xcalloc(1, sizeof *am);
    http_settings_init(&am->http);
    http_poll_init(&am->poll, b, &am->http);
    http_poll_replicated(&am->poll); /* HA Alertmanagers gossip: one's answer is another's */
    http_actions_init(&am->actions, op_free);
    return am;
}

static bool is_label_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* name, then =, !=, =~ or !~, then anything: the shape Alertmanager parses. */
static bool matcher_ok(const char *m)
{
    const char *p = m;
    if (*p == '"') { /* a quoted name */
        p = strchr(p + 1, '"');
        if (p == NULL) {
            return false;
        }
        p++;
    } else {
        while (is_label_char(*p, p == m)) {
            p++;
        }
        if (p == m) {
            return false;
        }
    }
    while (*p == ' ') {
        p++;
    }
    return str_has_prefix(p, "=") || str_has_prefix(p, "!=") || str_has_prefix(p, "!~");
}

static void add_filter(struct am *am, const char *start, size_t n)
{
    char *m = str_trim(xstrndup(start, n));
    if (m[0] == '\0') {
        free(m);
        return;
    }
    am->filters = xreallocarray(am->filters, am->nfilters + 1, sizeof *am->filters);
    am->filters[am->nfilters++] = m;
}

/*
 * `severity=~"critical|warning", team="sre"` or the same in braces: split at
 * the commas outside quotes. Each filter line adds to the ones before.
 */
static bool configure_filter(struct am *am, const char *value, char **cause)
{
    char *v = str_trim(xstrdup(value));
    size_t n = strlen(v);
    char *s = v;
    if (n >= 2 && v[0] == '{' && v[n - 1] == '}') {
        v[n - 1] = '\0';
        s = v + 1;
    }
    size_t before = am->nfilters;
    bool quoted = false;
    const char *start = s;
    for (const char *p = s; *p != '\0'; p++) {
        if (quoted && *p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if (*p == ',' && !quoted) {
            add_filter(am, start, (size_t)(p - start));
            start = p + 1;
        }
    }
    add_filter(am, start, strlen(start));
    free(v);
    bool ok = !quoted && am->nfilters > before;
    for (size_t i = before; ok && i < am->nfilters; i++) {
        ok = matcher_ok(am->filters[i]);
    }
    if (!ok) {
        *cause = xasprintf("bad filter '%s' (matchers like severity=~\"critical|warning\", "
                           "separated by commas)",
                           value);
    }
    return ok;
}

static bool am_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct am *am = b->priv;
    int taken = http_settings_configure(&am->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "filter") == 0) {
        return configure_filter(am, value, cause);
    }
    *cause = xasprintf("unknown key '%s' for an alertmanager backend", key);
    return false;
}

static char *build_path(const struct am *am)
{
    char *path = xasprintf("%s?active=true&silenced=true&inhibited=true", ALERTS_PATH);
    for (size_t i = 0; i < am->nfilters; i++) {
        char *esc = http_escape(am->filters[i]);
        char *next = xasprintf("%s&filter=%s", path, esc);
        free(esc);
        free(path);
        path = next;
    }
    return path;
}

static bool am_start(struct backend *b, char **cause)
{
    struct am *am = b->priv;
    if (!http_settings_finish(&am->http, b->timeout_ms, cause)) {
        return false;
    }
    b->tls_unverified = am->http.insecure;
    free(am->path);
    am->path = build_path(am);
    return true;
}

static void read_begin(struct am_read *rd, struct backend *b)
{
    struct am *am = b->priv;
    *rd = (struct am_read){.rs = rowset_create(MODEL_ALERTS, b->name), .now = clock_wall_s()};
    rowset_reserve_as(rd->rs, am->size);
}

/* One element of the alerts array as a row, keeping aside a label set its row flattens. */
static void read_alert(struct am_read *rd, const cJSON *alert)
{
    if (alertmanager_add_alert(rd->rs, alert, rd->now, &rd->keys)) {
        const cJSON *labels = json_obj(alert, "labels");
        if (alertmanager_labels_flattened(labels)) {
            exact_add(&rd->exact, rowset_key(rd->rs, rd->rs->nrows - 1), labels);
        }
    }
}

static void read_abandon(struct am_read *rd)
{
    rowset_destroy(rd->rs);
    model_keys_free(&rd->keys);
    exact_free(rd->exact);
    *rd = (struct am_read){0};
}

/* The answer read whole: its rows (the caller's); its label sets aside are the good ones now. */
static struct rowset *read_take(struct am *am, struct am_read *rd)
{
    struct rowset *rs = rd->rs;
    rowset_end(rs);
    am->size = rowset_size(rs);
    exact_free(am->exact);
    am->exact = rd->exact;
    rd->rs = NULL;
    rd->exact = NULL;
    read_abandon(rd);
    return rs;
}

/*
 * The backend failed with why (taken): its rows left a cluster's merge if it
 * is in one, so the next answers are read again even when they are the same.
 */
static void am_failed(struct backend *b, char *why)
{
    struct am *am = b->priv;
    backend_fail(b, "%s", why);
    free(why);
    http_poll_forget(&am->poll);
}

/*
 * An action's own fetch of the alerts, read at once (rare: an alert newer
 * than the last poll) and published: rows newer than those of a poll in
 * flight, which are dropped. False after the backend failed.
 */
static bool take_alerts(struct backend *b, const struct http_response *r)
{
    struct am *am = b->priv;
    if (!http_ok(r)) {
        am_failed(b, http_describe_failure(r));
        return false;
    }
    struct am_read rd;
    read_begin(&rd, b);
    struct json_stream st;
    json_stream_init(&st, r->body, r->len, NULL);
    cJSON *e;
    char *cause = NULL;
    int rc;
    while ((rc = json_stream_next(&st, &e, &cause)) > 0) {
        read_alert(&rd, e);
        cJSON_Delete(e);
    }
    json_stream_finish(&st);
    if (rc < 0) {
        read_abandon(&rd);
        char *why = alertmanager_list_cause(cause, "alerts");
        free(cause);
        am_failed(b, xasprintf("bad response from %s: %s", ALERTS_PATH, why));
        free(why);
        return false;
    }
    rowset_destroy(am->alerts);
    am->alerts = NULL;
    am->alerts_stale = am->poll.job != NULL;
    http_poll_forget(&am->poll); /* the store no longer holds what the poll took */
    backend_publish(b, read_take(am, &rd));
    return true;
}

/* Publish a GET /api/v2/silences response, or fail the backend; the last rows stay. */
static void take_silences(struct backend *b, const struct http_response *r)
{
    struct am *am = b->priv;
    if (http_poll_same(&am->poll, r)) {
        /* unchanged: only the ENDS texts may have moved on ("in 59m") */
        struct rowset *again = alertmanager_silences_again(am->silences, clock_wall_s());
        if (again != NULL) {
            rowset_destroy(am->silences);
            am->silences = alertmanager_silences_copy(again);
            backend_publish(b, again);
        } else {
            backend_ok(b);
        }
        return;
    }
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        am_failed(b, xasprintf("silences: %s", why));
        free(why);
        return;
    }
    struct rowset *rs = rowset_create(MODEL_SILENCES, b->name);
    char *cause = NULL;
    if (!alertmanager_parse_silences(r->body, r->len, rs, clock_wall_s(), &cause)) {
        am_failed(b, xasprintf("silences: bad response from %s: %s", SILENCES_PATH, cause));
        free(cause);
        rowset_destroy(rs);
        return;
    }
    rowset_destroy(am->silences);
    am->silences = alertmanager_silences_copy(rs);
    backend_publish(b, rs);
    http_poll_took(&am->poll, r);
}

/*
 * The alerts are published with the silences, so that a poll is one answer:
 * the health says "ok" once both are in (a snapshot waits for that).
 */
static void on_poll_silences(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct am *am = b->priv;
    if (am->alerts != NULL) {
        backend_publish(b, am->alerts);
        am->alerts = NULL;
    }
    take_silences(b, r);
    http_poll_end(&am->poll);
}

static bool on_alert_elem(void *ud, cJSON *elem, char **cause)
{
    struct backend *b = ud;
    struct am *am = b->priv;
    (void)cause;
    read_alert(&am->reading, elem);
    return true;
}

static void on_alerts_read(void *ud, bool ok, const char *cause, const cJSON *rest, size_t n)
{
    struct backend *b = ud;
    struct am *am = b->priv;
    (void)rest;
    (void)n;
    if (!ok) {
        read_abandon(&am->reading);
        char *why = alertmanager_list_cause(cause, "alerts");
        am_failed(b, xasprintf("bad response from %s: %s", ALERTS_PATH, why));
        free(why);
        am->alerts_stale = false;
        http_poll_end(&am->poll);
        return;
    }
    if (am->alerts_stale) { /* an action published newer rows meanwhile */
        read_abandon(&am->reading);
    } else {
        am->alerts = read_take(am, &am->reading);
        http_poll_parse_took(&am->poll);
    }
    am->alerts_stale = false;
    http_poll_send(&am->poll, SILENCES_PATH, on_poll_silences);
}

/*
 * The alerts answer: unchanged, nothing is rebuilt (the store holds its
 * rows); else it is read one element at a time, in slices on the loop
 * (http_poll_parse), then the silences are fetched.
 */
static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct am *am = b->priv;
    rowset_destroy(am->alerts);
    am->alerts = NULL;
    am->alerts_stale = false;
    if (http_poll_same(&am->poll, r)) {
        http_poll_send(&am->poll, SILENCES_PATH, on_poll_silences);
        return;
    }
    if (!http_ok(r)) {
        am_failed(b, http_describe_failure(r));
        http_poll_end(&am->poll);
        return;
    }
    read_abandon(&am->reading);
    read_begin(&am->reading, b);
    http_poll_parse(&am->poll, r, NULL, on_alert_elem, on_alerts_read, b);
}

static void am_poll(struct backend *b)
{
    struct am *am = b->priv;
    if (http_poll_begin(&am->poll)) {
        http_poll_send(&am->poll, am->path, on_poll);
    }
}

/* ---- actions ---- */

static const struct action_def am_actions[] = {
    {"silence", "Silence alert", MODEL_ALERTS, 'm', ACTION_INPUT, "Duration", "2h"},
    {"expire", "Expire silence", MODEL_ALERTS, 'e', 0, NULL, NULL},
    {"expire", "Expire silence", MODEL_SILENCES, 'e', 0, NULL, NULL},
};

enum op_verb { OP_SILENCE, OP_EXPIRE };

struct am_op {
    struct http_action act; /* first: http_action.h */
    enum op_verb verb;
    int64_t seconds; /* silence: how long */
    cJSON *matchers; /* silence from the form: the edited matchers; NULL: every label */
    char *comment;   /* silence from the form */
    bool fetched;    /* the alerts were fetched for this action */
    char *name;      /* the alert's name for messages (its alertname, else its key) */
    char **ids;      /* expire: the silences, and the next one to delete */
    size_t nids, next;
    bool by_id;      /* expire from a silence row: its id is the target */
    char *done_text; /* expire: what was done so far */
};

static void op_free(struct http_action *act)
{
    struct am_op *op = (struct am_op *)act;
    for (size_t i = 0; i < op->nids; i++) {
        free(op->ids[i]);
    }
    free(op->ids);
    free(op->done_text);
    free(op->name);
    cJSON_Delete(op->matchers);
    free(op->comment);
    free(op);
}

/* Report exactly once and let the op go. */
static void op_finish(struct am_op *op, bool ok, const char *message)
{
    http_action_end(&op->act, ok, message);
}

static void op_send(struct am_op *op, const char *method, const char *path, const char *body,
                    http_done_cb cb)
{
    struct am *am = op->act.b->priv;
    http_action_send(&op->act, &am->http, method, path, body != NULL ? "application/json" : NULL,
                     body, cb);
}

/* Take the response off the op: the request is gone after the callback. */
static void op_proceed(struct am_op *op);

static void on_op_fetch(const struct http_response *r, void *ud)
{
    struct am_op *op = http_action_received(ud);
    op->fetched = true;
    if (!take_alerts(op->act.b, r)) {
        char *msg = xasprintf("cannot read the alerts: %s", op->act.b->error);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    op_proceed(op);
}

/* The silence to POST: the form's matchers, or one equality matcher per label (the default). */
static char *silence_body(const struct am_op *op, cJSON *label_matchers)
{
    char starts[32], ends[32];
    int64_t now_ms = clock_wall_ms();
    clock_format_rfc3339(starts, now_ms);
    clock_format_rfc3339(ends, now_ms + op->seconds * 1000);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "matchers",
                          op->matchers != NULL ? cJSON_Duplicate(op->matchers, 1) : label_matchers);
    if (op->matchers != NULL) {
        cJSON_Delete(label_matchers);
    }
    cJSON_AddStringToObject(o, "startsAt", starts);
    cJSON_AddStringToObject(o, "endsAt", ends);
    char *by = xasprintf("%s@%s", whoami_user(), whoami_host());
    cJSON_AddStringToObject(o, "createdBy", by);
    free(by);
    cJSON_AddStringToObject(o, "comment", op->comment != NULL ? op->comment : DEFAULT_COMMENT);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static void on_silenced(const struct http_response *r, void *ud)
{
    struct am_op *op = http_action_received(ud);
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        op_finish(op, false, why);
        free(why);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *id = NULL;
    if (json_parse(r->body, r->len, &doc, &cause)) {
        id = json_str(doc, "silenceID");
    }
    char dur[16];
    duration_format(dur, sizeof dur, op->seconds);
    char *msg = id != NULL ? xasprintf("silenced %s for %s (silence %s)", op->name, dur, id)
                           : xasprintf("silenced %s for %s", op->name, dur);
    op_finish(op, true, msg);
    free(msg);
    free(cause);
    cJSON_Delete(doc);
}

static void start_silence(struct am_op *op, const cJSON *labels)
{
    cJSON *matchers = alertmanager_label_matchers(labels);
    if (cJSON_GetArraySize(matchers) == 0) {
        cJSON_Delete(matchers);
        op_finish(op, false, "the alert has no labels to match");
        return;
    }
    char *body = silence_body(op, matchers);
    op_send(op, "POST", SILENCES_PATH, body, on_silenced);
    free(body);
}

static void expire_next(struct am_op *op);

/* The id as messages show it: whole, or as a silence row shows it (its first 8 characters). */
static int id_width(const struct am_op *op)
{
    return op->by_id ? ALERTMANAGER_SHORT_ID : INT_MAX;
}

static void expire_failed(struct am_op *op, const struct http_response *r)
{
    const char *id = op->ids[op->next];
    char *why = http_describe_failure(r);
    if (op->by_id) { /* one silence, the one the user chose: Alertmanager's answer says it */
        op_finish(op, false, why);
        free(why);
        return;
    }
    char *msg = op->done_text != NULL
                    ? xasprintf("expired %s; silence %s: %s", op->done_text, id, why)
                    : xasprintf("silence %s: %s", id, why);
    op_finish(op, false, msg);
    free(msg);
    free(why);
}

static void on_expired(const struct http_response *r, void *ud)
{
    struct am_op *op = http_action_received(ud);
    if (!http_ok(r)) {
        expire_failed(op, r);
        return;
    }
    const char *id = op->ids[op->next];
    char *text = op->done_text != NULL ? xasprintf("%s, %.*s", op->done_text, id_width(op), id)
                                       : xasprintf("silence %.*s", id_width(op), id);
    free(op->done_text);
    op->done_text = text;
    op->next++;
    expire_next(op);
}

static void expire_next(struct am_op *op)
{
    if (op->next == op->nids) {
        char *msg = xasprintf("expired %s", op->done_text);
        op_finish(op, true, msg);
        free(msg);
        return;
    }
    char *esc = http_escape(op->ids[op->next]);
    char *path = xasprintf("/api/v2/silence/%s", esc);
    op_send(op, "DELETE", path, NULL, on_expired);
    free(path);
    free(esc);
}

static void add_id(struct am_op *op, const char *id)
{
    op->ids = xreallocarray(op->ids, op->nids + 1, sizeof *op->ids);
    op->ids[op->nids++] = xstrdup(id);
}

/* Every silence that mutes the alert (ids: its row's silencedBy). */
static void start_expire(struct am_op *op, const cJSON *ids)
{
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        if (cJSON_IsString(id) && id->valuestring[0] != '\0') {
            add_id(op, id->valuestring);
        }
    }
    if (op->nids == 0) {
        op_finish(op, false, "not silenced");
        return;
    }
    expire_next(op);
}

/* The silence the target names; Alertmanager itself says whether it exists. */
static void start_expire_id(struct am_op *op)
{
    const char *id = op->act.request->target;
    if (id == NULL || id[0] == '\0') {
        op_finish(op, false, "no silence id");
        return;
    }
    op->by_id = true;
    /* Alertmanager answers 200 to expiring an expired silence; say what it is instead */
    const struct rowset *rs;
    size_t row;
    if (store_find(op->act.b->store, MODEL_SILENCES, op->act.b->name, id, &rs, &row) &&
        strcmp(rowset_cell_text(rs, row, SILENCE_STATE), "expired") == 0) {
        char *msg = xasprintf("silence %.*s has already expired", ALERTMANAGER_SHORT_ID, id);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    add_id(op, id);
    expire_next(op);
}

/*
 * The alert's row: under the backend's source (a cluster's merged rows for a
 * member) and the key; false when the store has no such alert.
 */
static bool find_alert(struct backend *b, const char *key, const struct rowset **rs, size_t *row)
{
    return key != NULL && b->store != NULL &&
           store_find(b->store, MODEL_ALERTS, backend_source(b), key, rs, row);
}

/* The labels of the alert (caller deletes), or NULL when it is not known. */
static cJSON *alert_labels(struct backend *b, const char *key, const struct rowset **rs,
                           size_t *row)
{
    struct am *am = b->priv;
    if (!find_alert(b, key, rs, row)) {
        return NULL;
    }
    const cJSON *exact = exact_find(am->exact, key);
    return exact != NULL ? cJSON_Duplicate(exact, 1) : alertmanager_row_labels(*rs, *row);
}

/* Find the alert (fetching the alerts once if it is not known yet), then act. */
static void op_proceed(struct am_op *op)
{
    struct am *am = op->act.b->priv;
    const char *key = op->act.request->target;
    const struct rowset *rs = NULL;
    size_t row = 0;
    cJSON *labels = alert_labels(op->act.b, key, &rs, &row);
    if (labels == NULL && !op->fetched) {
        op_send(op, "GET", am->path, NULL, on_op_fetch);
        return;
    }
    if (labels == NULL) {
        char *msg = xasprintf("no such alert: %s (resolved?)", key);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    const char *name = json_str(labels, "alertname");
    free(op->name);
    op->name = xstrdup(name != NULL && name[0] != '\0' ? name : key);
    if (op->verb == OP_SILENCE) {
        start_silence(op, labels);
    } else {
        cJSON *ids = alertmanager_row_silences(rs, row);
        start_expire(op, ids);
        cJSON_Delete(ids);
    }
    cJSON_Delete(labels);
}

/*
 * The silence's input: a duration alone (a key's dialog, `opsdeck act
 * --input 2h`), or the form's "matchers\nduration\ncomment".
 */
static bool silence_input(struct am_op *op, char **cause)
{
    const char *input = op->act.request->input != NULL ? op->act.request->input
                                                       : op->act.request->def->input_default;
    char *copy = xstrdup(input);
    char *dur = copy, *comment = NULL;
    char *nl = strchr(copy, '\n');
    bool ok = true;
    if (nl != NULL) {
        *nl = '\0';
        dur = nl + 1;
        char *nl2 = strchr(dur, '\n');
        if (nl2 != NULL) {
            *nl2 = '\0';
            comment = nl2 + 1;
        }
        ok = alertmanager_parse_matchers(copy, &op->matchers, cause);
    }
    str_trim(dur);
    if (ok && (!duration_parse(dur, &op->seconds) || op->seconds <= 0 ||
               op->seconds > SILENCE_MAX_SECONDS)) {
        *cause = xasprintf("bad duration '%s' (e.g. 30m, 2h, 1d; at most 366d)", dur);
        ok = false;
    }
    if (ok && comment != NULL) {
        str_trim(comment);
        op->comment = xstrdup(comment[0] != '\0' ? comment : DEFAULT_COMMENT);
    }
    free(copy);
    return ok;
}

static void am_act(struct backend *b, struct backend_request *a)
{
    struct am *am = b->priv;
    struct am_op *op = xcalloc(1, sizeof *op);
    http_action_begin(&am->actions, &op->act, b, a);
    op->verb = strcmp(a->def->verb, "silence") == 0 ? OP_SILENCE : OP_EXPIRE;
    char *cause = NULL;
    if (op->verb == OP_SILENCE && !silence_input(op, &cause)) {
        op_finish(op, false, cause);
        free(cause);
        return;
    }
    if (a->def->kind == MODEL_SILENCES) {
        start_expire_id(op);
        return;
    }
    op_proceed(op);
}

/* The silence form: the alert's labels as editable matchers, a duration, a comment. */
static int am_form(struct backend *b, const struct action_def *def, const char *target,
                   const char **labels, char **values, int max)
{
    if (strcmp(def->verb, "silence") != 0 || max < 3) {
        return 0;
    }
    const struct rowset *rs;
    size_t row;
    cJSON *alert = alert_labels(b, target, &rs, &row);
    if (alert == NULL) {
        return 0;
    }
    cJSON *matchers = alertmanager_label_matchers(alert);
    cJSON_Delete(alert);
    labels[0] = "Matchers (=, !=, =~, !~)";
    values[0] = alertmanager_matchers_text(matchers);
    cJSON_Delete(matchers);
    labels[1] = "Duration";
    values[1] = xstrdup(def->input_default);
    labels[2] = "Comment";
    values[2] = xstrdup(DEFAULT_COMMENT);
    return 3;
}

/* ---- opsdeck doctor (doctor.h): version, cluster, authentication, actions ---- */

static const char STATUS_PATH[] = "/api/v2/status";

static void on_doctor_status(struct doctor *d, const struct http_response *r, void *ud)
{
    struct backend *b = ud;
    struct am *am = b->priv;
    if (!doctor_http_answered(d, &am->http, "GET /api/v2/status", r)) {
        doctor_end(d);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *version = NULL;
    if (!json_parse(r->body, r->len, &doc, &cause) ||
        (version = json_str(json_obj(doc, "versionInfo"), "version")) == NULL) {
        doctor_say(d, DOCTOR_FAIL,
                   "GET /api/v2/status: no versionInfo.version in the answer%s%s "
                   "(not an Alertmanager?)",
                   cause != NULL ? ": " : "", cause != NULL ? cause : "");
        free(cause);
        cJSON_Delete(doc);
        doctor_end(d);
        return;
    }
    const cJSON *cluster = json_obj(doc, "cluster");
    const char *state = json_str(cluster, "status");
    const cJSON *peers = json_arr(cluster, "peers");
    int npeers = peers != NULL ? cJSON_GetArraySize(peers) : 0;
    if (state == NULL || strcmp(state, "disabled") == 0) {
        doctor_say(d, DOCTOR_OK, "Alertmanager %s (no cluster)", version);
    } else {
        doctor_say(d, strcmp(state, "ready") == 0 ? DOCTOR_OK : DOCTOR_WARN,
                   "Alertmanager %s (cluster %s, %d peer%s)", version, state, npeers,
                   npeers == 1 ? "" : "s");
    }
    if (doctor_actions_wanted(d)) {
        /* Alertmanager has no permissions of its own to ask: a silence is not tried */
        doctor_say(d, DOCTOR_INFO,
                   "actions on (silences via API v2: POST %s, DELETE "
                   "/api/v2/silence/ID; not tried, doctor changes nothing)",
                   SILENCES_PATH);
    }
    cJSON_Delete(doc);
    doctor_end(d);
}

static void am_doctor(struct backend *b, struct doctor *d)
{
    struct am *am = b->priv;
    doctor_http(d, &am->http, "GET", STATUS_PATH, NULL, NULL, on_doctor_status, b);
}

static void am_destroy(struct backend *b)
{
    struct am *am = b->priv;
    if (am == NULL) {
        return;
    }
    http_poll_finish(&am->poll);
    rowset_destroy(am->alerts);
    http_actions_drop(&am->actions);
    exact_free(am->exact);
    read_abandon(&am->reading);
    rowset_destroy(am->silences);
    for (size_t i = 0; i < am->nfilters; i++) {
        free(am->filters[i]);
    }
    free(am->filters);
    free(am->path);
    http_settings_free(&am->http);
    free(am);
    b->priv = NULL;
}

const struct backend_impl alertmanager_backend = {
    .type = "alertmanager",
    .description = "Prometheus Alertmanager (API v2): alerts, silences",
    .kinds = (1u << MODEL_ALERTS) | (1u << MODEL_SILENCES),
    .actions = am_actions,
    .nactions = (int)(sizeof am_actions / sizeof am_actions[0]),
    .create = am_create,
    .configure = am_configure,
    .start = am_start,
    .poll = am_poll,
    .act = am_act,
    .form = am_form,
    .doctor = am_doctor,
    .destroy = am_destroy,
};
