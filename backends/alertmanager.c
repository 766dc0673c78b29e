/*
 * The Alertmanager backend: GET /api/v2/alerts on every refresh, one row per
 * alert keyed by its fingerprint, and two actions that write to Alertmanager:
 * silence (POST /api/v2/silences with one equality matcher per label of the
 * alert) and expire (DELETE /api/v2/silence/{id} for each silence that mutes
 * it).
 *
 * An action needs more than the row shows (every label, the silence ids), so
 * the backend keeps the parsed document of the last good poll and an index of
 * row key -> alert object; it is replaced whole on every good poll, never
 * patched. When an action names a key the index lacks (an alert newer than the
 * last poll, or an action before the first one), the action first fetches the
 * alerts itself and then looks again. Actions are small state machines held in
 * a list so that destroy() can cancel their requests.
 *
 * After the alerts, each poll fetches GET /api/v2/silences (chained: one
 * request in flight per backend) and publishes the alerts and the silences
 * together, so that a poll answers once. A silence row is keyed by the
 * silence id and has one action, expire, which shares the alert's expire
 * machinery with the id as the only silence to delete.
 *
 * Parsing is defensive (DESIGN rule 6): the top level must be an array; an
 * entry that is not an object is skipped; a field of the wrong type counts as
 * missing; a failed poll keeps the last good rows and says why.
 *
 * The label-set helpers at the top are shared with the Prometheus backend.
 */
#include "alertmanager.h"
#include "../common/json.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "http.h"
#include "http_poll.h"

#include <cjson/cJSON.h>
#include <ctype.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALERTS_PATH[] = "/api/v2/alerts";
static const char SILENCES_PATH[] = "/api/v2/silences";

enum {
    TARGET_LABELS_MAX = 3,             /* labels shown in the TARGET column */
    SILENCE_MAX_SECONDS = 366 * 86400, /* a longer silence is a typo, not a plan */
    SILENCE_SHORT_ID = 8,              /* the SILENCE column shows this much of an id */
};

static const char DEFAULT_COMMENT[] = "silenced from opsdeck";

/* The labels that say what an alert is about, most telling first. */
static const char *const target_labels[] = {"instance", "job",        "service",
                                            "queue",    "deployment", "pod"};

/* ---- label sets ---- */

/* Members that are strings: the labels. */
static int count_labels(const cJSON *labels)
{
    int n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        n += cJSON_IsString(l) && l->string != NULL;
    }
    return n;
}

static int cmp_label(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    int c = strcmp(x->string, y->string);
    return c != 0 ? c : strcmp(x->valuestring, y->valuestring);
}

void alertmanager_labels_hash(const cJSON *labels, char out[17])
{
    size_t n = (size_t)count_labels(labels), i = 0;
    const cJSON *l;
    const cJSON **sorted = xcalloc(n + 1, sizeof *sorted);
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            sorted[i++] = l;
        }
    }
    qsort(sorted, n, sizeof *sorted, cmp_label);
    uint64_t h = FNV1A_OFFSET;
    for (i = 0; i < n; i++) {
        /* 0xff never occurs in UTF-8, so names and values cannot run into each other */
        h = fnv1a(fnv1a(fnv1a(fnv1a(h, sorted[i]->string), "\xff"), sorted[i]->valuestring),
                  "\xff");
    }
    free(sorted);
    snprintf(out, 17, "%016" PRIx64, h);
}

/* ---- rows ---- */

enum tone alertmanager_severity_tone(const char *severity)
{
    static const struct {
        const char *name;
        enum tone tone;
    } tones[] = {
        {"critical", TONE_CRIT}, {"error", TONE_CRIT}, {"page", TONE_CRIT},
        {"warning", TONE_WARN},  {"warn", TONE_WARN},  {"info", TONE_INFO},
    };
    for (size_t i = 0; severity != NULL && i < sizeof tones / sizeof tones[0]; i++) {
        if (strcmp(severity, tones[i].name) == 0) {
            return tones[i].tone;
        }
    }
    return TONE_NORMAL;
}

static void add_pair(char **buf, const char *name, const char *value)
{
    char *s = xasprintf("%s%s%s=%s", *buf, (*buf)[0] != '\0' ? " " : "", name, value);
    free(*buf);
    *buf = s;
}

/* The key labels present ("instance=lb-1:443 service=checkout"); caller frees. */
static char *target_text(const cJSON *labels)
{
    char *buf = xstrdup("");
    int shown = 0;
    for (size_t i = 0; i < sizeof target_labels / sizeof target_labels[0]; i++) {
        const char *v = json_str(labels, target_labels[i]);
        if (v != NULL && v[0] != '\0' && shown < TARGET_LABELS_MAX) {
            add_pair(&buf, target_labels[i], v);
            shown++;
        }
    }
    if (shown > 0) {
        return buf;
    }
    /* none of those: the first label that is not the name or the severity */
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL && strcmp(l->string, "alertname") != 0 &&
            strcmp(l->string, "severity") != 0) {
            add_pair(&buf, l->string, l->valuestring);
            break;
        }
    }
    return buf;
}

/* One detail line per string member: "label.instance", "annotation.summary". */
static void detail_members(struct rowset *rs, const char *prefix, const cJSON *obj)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (cJSON_IsString(m) && m->string != NULL) {
            char *k = xasprintf("%s.%s", prefix, m->string);
            rowset_detail(rs, k, m->valuestring);
            free(k);
        }
    }
}

void alertmanager_row_begin(struct rowset *rs, const struct alertmanager_row *r)
{
    const char *sev = json_str(r->labels, "severity");
    const char *summary = json_str(r->annotations, "summary");
    if (summary == NULL || summary[0] == '\0') {
        summary = json_str(r->annotations, "description");
    }
    enum tone sev_tone = alertmanager_severity_tone(sev);
    rowset_begin(rs, r->key);
    rowset_text(rs, ALERT_SEV, sev);
    rowset_cell_tone(rs, ALERT_SEV, sev_tone);
    rowset_text(rs, ALERT_NAME, json_str(r->labels, "alertname"));
    rowset_text(rs, ALERT_STATE, r->state);
    rowset_cell_tone(rs, ALERT_STATE, r->state_tone);
    rowset_row_tone(rs, r->row_tone != TONE_NORMAL ? r->row_tone : sev_tone);
    rowset_cell(rs, ALERT_AGE, "", r->starts_at > 0 ? (double)r->starts_at : 0);
    char *target = target_text(r->labels);
    rowset_text(rs, ALERT_TARGET, target);
    free(target);
    rowset_text(rs, ALERT_SUMMARY, summary);
    rowset_text(rs, ALERT_SOURCE, rs->source);
    detail_members(rs, "label", r->labels);
    detail_members(rs, "annotation", r->annotations);
}

/* ---- the alerts response ---- */

/* Row key -> alert object of the last good poll (borrowed from doc). */
struct index_entry {
    char *key;
    const cJSON *alert;
};

struct alert_index {
    cJSON *doc;
    struct index_entry *entries;
    size_t n, cap;
};

static void index_add(struct alert_index *idx, const char *key, const cJSON *alert)
{
    if (idx->n == idx->cap) {
        idx->cap = idx->cap ? idx->cap * 2 : 16;
        idx->entries = xreallocarray(idx->entries, idx->cap, sizeof *idx->entries);
    }
    idx->entries[idx->n].key = xstrdup(key);
    idx->entries[idx->n].alert = alert;
    idx->n++;
}

static const cJSON *index_find(const struct alert_index *idx, const char *key)
{
    for (size_t i = 0; i < idx->n; i++) {
        if (strcmp(idx->entries[i].key, key) == 0) {
            return idx->entries[i].alert;
        }
    }
    return NULL;
}

static void index_free(struct alert_index *idx)
{
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->entries[i].key);
    }
    free(idx->entries);
    cJSON_Delete(idx->doc);
    memset(idx, 0, sizeof *idx);
}

/* The strings of an array, joined by ", " (names of objects with field); caller frees. */
static char *join_strings(const cJSON *arr, const char *field)
{
    char *out = xstrdup("");
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const char *s =
            field != NULL ? json_str(e, field) : (cJSON_IsString(e) ? e->valuestring : NULL);
        if (s == NULL) {
            continue;
        }
        char *next = xasprintf("%s%s%s", out, out[0] != '\0' ? ", " : "", s);
        free(out);
        out = next;
    }
    return out;
}

static int count_strings(const cJSON *arr)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        n += cJSON_IsString(e) && e->valuestring[0] != '\0';
    }
    return n;
}

static void detail_list(struct rowset *rs, const char *key, const cJSON *arr, const char *field)
{
    char *s = join_strings(arr, field);
    rowset_detail_nonempty(rs, key, s);
    free(s);
}

static void alert_details(struct rowset *rs, const cJSON *alert, const cJSON *status)
{
    rowset_detail_nonempty(rs, "generatorURL", json_str(alert, "generatorURL"));
    rowset_detail_nonempty(rs, "startsAt", json_str(alert, "startsAt"));
    rowset_detail_nonempty(rs, "endsAt", json_str(alert, "endsAt"));
    rowset_detail_nonempty(rs, "updatedAt", json_str(alert, "updatedAt"));
    rowset_detail_nonempty(rs, "fingerprint", json_str(alert, "fingerprint"));
    rowset_detail_nonempty(rs, "status", json_str(status, "state"));
    detail_list(rs, "silencedBy", json_arr(status, "silencedBy"), NULL);
    detail_list(rs, "inhibitedBy", json_arr(status, "inhibitedBy"), NULL);
    detail_list(rs, "receivers", json_arr(alert, "receivers"), "name");
}

/* STATE and its tones from status.silencedBy, status.inhibitedBy and status.state. */
static void alert_state(const cJSON *status, struct alertmanager_row *r)
{
    const char *state = json_str(status, "state");
    r->state = "firing";
    if (count_strings(json_arr(status, "silencedBy")) > 0) {
        r->state = "silenced";
    } else if (count_strings(json_arr(status, "inhibitedBy")) > 0) {
        r->state = "inhibited";
    } else if (state != NULL && strcmp(state, "suppressed") == 0) {
        r->state = "suppressed";
    }
    if (strcmp(r->state, "firing") != 0) {
        r->state_tone = TONE_MUTED;
        r->row_tone = TONE_MUTED;
    }
}

static void add_alert(struct rowset *rs, const cJSON *alert, int64_t now, struct model_keys *keys,
                      struct alert_index *idx)
{
    const cJSON *labels = json_obj(alert, "labels");
    const cJSON *status = json_obj(alert, "status");
    const char *fp = json_str(alert, "fingerprint");
    char hash[17];
    if (fp == NULL || fp[0] == '\0') {
        alertmanager_labels_hash(labels, hash);
        fp = hash;
    }
    struct alertmanager_row r = {.labels = labels, .annotations = json_obj(alert, "annotations")};
    int64_t t;
    if (clock_parse_rfc3339_s(json_str(alert, "startsAt"), &t) && t > 0) {
        /* a server clock ahead of ours would show a negative age */
        r.starts_at = now > 0 && t > now ? now : t;
    }
    alert_state(status, &r);
    char *key = model_keys_unique(keys, fp);
    r.key = key;
    alertmanager_row_begin(rs, &r);
    alert_details(rs, alert, status);
    if (idx != NULL) {
        index_add(idx, key, alert);
    }
    free(key);
}

/* With idx, the document and the key -> alert index are kept there. */
static bool parse_alerts(const char *body, size_t len, struct rowset *rs, int64_t now,
                         struct alert_index *idx, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    if (!cJSON_IsArray(doc)) {
        cJSON_Delete(doc);
        *cause = xstrdup("expected a JSON array of alerts");
        return false;
    }
    struct model_keys keys = {0};
    const cJSON *alert;
    cJSON_ArrayForEach(alert, doc)
    {
        if (cJSON_IsObject(alert)) {
            add_alert(rs, alert, now, &keys, idx);
        }
    }
    model_keys_free(&keys);
    rowset_end(rs);
    if (idx != NULL) {
        idx->doc = doc;
    } else {
        cJSON_Delete(doc);
    }
    return true;
}

bool alertmanager_parse_alerts(const char *body, size_t len, struct rowset *rs, int64_t now,
                               char **cause)
{
    return parse_alerts(body, len, rs, now, NULL, cause);
}

/* ---- the silences response ---- */

/* name, the operator, then the value in quotes with \\ and \" escaped. */
static void sb_matcher(struct strbuf *sb, const char *name, const char *op, const char *value)
{
    strbuf_str(sb, name);
    strbuf_str(sb, op);
    strbuf_add(sb, "\"", 1);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            strbuf_add(sb, "\\", 1);
        }
        strbuf_add(sb, p, 1);
    }
    strbuf_add(sb, "\"", 1);
}

/* One matcher as Alertmanager writes it (name="v", name!~"re"); false when it has no name. */
static bool matcher_text(struct strbuf *sb, const cJSON *m)
{
    const char *name = json_str(m, "name");
    if (name == NULL) {
        return false;
    }
    const char *value = json_str(m, "value");
    bool regex = json_bool(m, "isRegex", false);
    bool equal = json_bool(m, "isEqual", true);
    const char *op = regex ? (equal ? "=~" : "!~") : (equal ? "=" : "!=");
    sb_matcher(sb, name, op, value != NULL ? value : "");
    return true;
}

/* The MATCHERS cell and a matcher.N detail line for each; the caller ends the row after. */
static void silence_matchers(struct rowset *rs, const cJSON *matchers)
{
    struct strbuf all = {0}, one = {0};
    strbuf_str(&all, "");
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, matchers)
    {
        one.n = 0;
        if (!matcher_text(&one, m)) {
            continue;
        }
        if (n++ > 0) {
            strbuf_str(&all, ", ");
        }
        strbuf_add(&all, one.s, one.n);
        char key[32];
        snprintf(key, sizeof key, "matcher.%d", n);
        rowset_detail(rs, key, one.s);
    }
    rowset_text(rs, SILENCE_MATCHERS, all.s);
    free(all.s);
    free(one.s);
}

enum silence_state { SILENCE_ACTIVE, SILENCE_PENDING, SILENCE_EXPIRED, SILENCE_OTHER };

static enum silence_state silence_state(const cJSON *silence)
{
    static const char *const names[] = {"active", "pending", "expired"};
    const char *state = json_str(json_obj(silence, "status"), "state");
    for (int i = 0; state != NULL && i < SILENCE_OTHER; i++) {
        if (strcmp(state, names[i]) == 0) {
            return (enum silence_state)i;
        }
    }
    return SILENCE_OTHER;
}

/* RFC 3339 field to seconds, 0 when missing or not a time. */
static int64_t json_time(const cJSON *obj, const char *name)
{
    int64_t t = 0;
    return clock_parse_rfc3339_s(json_str(obj, name), &t) ? t : 0;
}

static void add_silence(struct rowset *rs, const cJSON *silence, int64_t now,
                        struct model_keys *keys)
{
    static const char *const detail_fields[] = {"id",        "startsAt",  "endsAt",
                                                "updatedAt", "createdBy", "comment"};
    const char *id = json_str(silence, "id");
    char *key = model_keys_unique(keys, id != NULL ? id : "");
    rowset_begin(rs, key);
    free(key);
    char short_id[SILENCE_SHORT_ID + 1];
    snprintf(short_id, sizeof short_id, "%s", id != NULL ? id : "");
    rowset_text(rs, SILENCE_ID, short_id);
    rowset_silence_state(rs, json_str(json_obj(silence, "status"), "state"),
                         json_time(silence, "startsAt"), json_time(silence, "endsAt"), now);
    rowset_text(rs, SILENCE_BY, json_str(silence, "createdBy"));
    rowset_text(rs, SILENCE_COMMENT, json_str(silence, "comment"));
    rowset_text(rs, SILENCE_SOURCE, rs->source);
    for (size_t i = 0; i < sizeof detail_fields / sizeof detail_fields[0]; i++) {
        rowset_detail_nonempty(rs, detail_fields[i], json_str(silence, detail_fields[i]));
    }
    silence_matchers(rs, json_arr(silence, "matchers"));
}

/* A silence and where it came in the response: the order is state, then arrival. */
struct silence_ref {
    const cJSON *silence;
    enum silence_state state;
    size_t pos;
};

static int cmp_silence(const void *a, const void *b)
{
    const struct silence_ref *x = a, *y = b;
    if (x->state != y->state) {
        return x->state < y->state ? -1 : 1;
    }
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

bool alertmanager_parse_silences(const char *body, size_t len, struct rowset *rs, int64_t now,
                                 char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    if (!cJSON_IsArray(doc)) {
        cJSON_Delete(doc);
        *cause = xstrdup("expected a JSON array of silences");
        return false;
    }
    size_t n = 0;
    struct silence_ref *refs = xcalloc((size_t)cJSON_GetArraySize(doc) + 1, sizeof *refs);
    const cJSON *s;
    cJSON_ArrayForEach(s, doc)
    {
        if (cJSON_IsObject(s)) {
            refs[n] = (struct silence_ref){s, silence_state(s), n};
            n++;
        }
    }
    qsort(refs, n, sizeof *refs, cmp_silence);
    struct model_keys keys = {0};
    for (size_t i = 0; i < n; i++) {
        add_silence(rs, refs[i].silence, now, &keys);
    }
    rowset_end(rs);
    model_keys_free(&keys);
    free(refs);
    cJSON_Delete(doc);
    return true;
}

/* ---- the backend ---- */

struct am_op;

struct am {
    struct http_settings http;
    char **filters; /* matchers, each sent as filter=... */
    size_t nfilters;
    char *path;            /* GET path with the query */
    struct http_poll poll; /* the poll's alerts request, then its silences request */
    struct rowset *alerts; /* this poll's alerts, published once its silences answer */
    struct alert_index index;
    struct am_op *ops; /* actions in flight */
};

static void *am_create(struct backend *b)
{
    struct am *am = xcalloc(1, sizeof *am);
    http_settings_init(&am->http);
    http_poll_init(&am->poll, b, &am->http);
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

/*
 * Read a GET /api/v2/alerts response: its rows, and the index for actions.
 * NULL after backend_fail(); the last rows stay.
 */
static struct rowset *read_alerts(struct backend *b, const struct http_response *r)
{
    struct am *am = b->priv;
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        return NULL;
    }
    struct rowset *rs = rowset_create(MODEL_ALERTS, b->name);
    struct alert_index idx = {0};
    char *cause = NULL;
    if (!parse_alerts(r->body, r->len, rs, clock_wall_s(), &idx, &cause)) {
        backend_fail(b, "bad response from %s: %s", ALERTS_PATH, cause);
        free(cause);
        rowset_destroy(rs);
        return NULL;
    }
    index_free(&am->index);
    am->index = idx;
    return rs;
}

/* Publish an alerts response at once (an action's own fetch), or fail the backend. */
static bool take_alerts(struct backend *b, const struct http_response *r)
{
    struct am *am = b->priv;
    struct rowset *rs = read_alerts(b, r);
    if (rs == NULL) {
        return false;
    }
    /* newer than the rows a poll in flight holds: those must not come after these */
    rowset_destroy(am->alerts);
    am->alerts = NULL;
    backend_publish(b, rs);
    return true;
}

/* Publish a GET /api/v2/silences response, or fail the backend; the last rows stay. */
static void take_silences(struct backend *b, const struct http_response *r)
{
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(b, "silences: %s", why);
        free(why);
        return;
    }
    struct rowset *rs = rowset_create(MODEL_SILENCES, b->name);
    char *cause = NULL;
    if (!alertmanager_parse_silences(r->body, r->len, rs, clock_wall_s(), &cause)) {
        backend_fail(b, "silences: bad response from %s: %s", SILENCES_PATH, cause);
        free(cause);
        rowset_destroy(rs);
        return;
    }
    backend_publish(b, rs);
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

static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct am *am = b->priv;
    rowset_destroy(am->alerts);
    am->alerts = read_alerts(b, r);
    if (am->alerts == NULL) {
        http_poll_end(&am->poll);
        return;
    }
    http_poll_send(&am->poll, SILENCES_PATH, on_poll_silences);
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
    struct backend *b;
    struct backend_request *a;
    enum op_verb verb;
    int64_t seconds; /* silence: how long */
    cJSON *matchers; /* silence from the form: the edited matchers; NULL: every label */
    char *comment;   /* silence from the form */
    bool fetched;    /* the alerts were fetched for this action */
    struct http_request *req;
    char **ids; /* expire: the silences, and the next one to delete */
    size_t nids, next;
    bool by_id;      /* expire from a silence row: its id is the target */
    char *done_text; /* expire: what was done so far */
    struct am_op *next_op;
};

static void op_free(struct am_op *op)
{
    for (size_t i = 0; i < op->nids; i++) {
        free(op->ids[i]);
    }
    free(op->ids);
    free(op->done_text);
    cJSON_Delete(op->matchers);
    free(op->comment);
    free(op);
}

static void op_unlink(struct am_op *op)
{
    struct am *am = op->b->priv;
    for (struct am_op **p = &am->ops; *p != NULL; p = &(*p)->next_op) {
        if (*p == op) {
            *p = op->next_op;
            return;
        }
    }
}

/* Report exactly once and let the op go. */
static void op_finish(struct am_op *op, bool ok, const char *message)
{
    struct backend *b = op->b;
    op_unlink(op);
    backend_done(op->a, ok, message);
    op_free(op);
    if (ok) {
        backend_refresh_soon(b);
    }
}

static void op_send(struct am_op *op, const char *method, const char *path, const char *body,
                    http_done_cb cb)
{
    struct am *am = op->b->priv;
    op->req =
        http_request(op->b->loop, &am->http, method, path, body != NULL ? "application/json" : NULL,
                     body, body != NULL ? strlen(body) : 0, cb, op);
}

/* Take the response off the op: the request is gone after the callback. */
static struct am_op *op_received(void *ud)
{
    struct am_op *op = ud;
    op->req = NULL;
    return op;
}

static void op_proceed(struct am_op *op);

static void on_op_fetch(const struct http_response *r, void *ud)
{
    struct am_op *op = op_received(ud);
    op->fetched = true;
    if (!take_alerts(op->b, r)) {
        char *msg = xasprintf("cannot read the alerts: %s", op->b->error);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    op_proceed(op);
}

/* One equality matcher per label: the narrowest silence, the default. */
static cJSON *label_matchers(const cJSON *labels)
{
    cJSON *matchers = cJSON_CreateArray();
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", l->string);
            cJSON_AddStringToObject(m, "value", l->valuestring);
            cJSON_AddBoolToObject(m, "isRegex", false);
            cJSON_AddBoolToObject(m, "isEqual", true);
            cJSON_AddItemToArray(matchers, m);
        }
    }
    return matchers;
}

static char *silence_body(const struct am_op *op, const cJSON *labels)
{
    char starts[32], ends[32];
    int64_t now_ms = clock_wall_ms();
    clock_format_rfc3339(starts, now_ms);
    clock_format_rfc3339(ends, now_ms + op->seconds * 1000);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "matchers",
                          op->matchers != NULL ? cJSON_Duplicate(op->matchers, 1)
                                               : label_matchers(labels));
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

static const char *op_alertname(const struct am_op *op)
{
    struct am *am = op->b->priv;
    const cJSON *alert = index_find(&am->index, op->a->target);
    const char *name = json_str(json_obj(alert, "labels"), "alertname");
    return name != NULL && name[0] != '\0' ? name : op->a->target;
}

static void on_silenced(const struct http_response *r, void *ud)
{
    struct am_op *op = op_received(ud);
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
    char *msg = id != NULL ? xasprintf("silenced %s for %s (silence %s)", op_alertname(op), dur, id)
                           : xasprintf("silenced %s for %s", op_alertname(op), dur);
    op_finish(op, true, msg);
    free(msg);
    free(cause);
    cJSON_Delete(doc);
}

static void start_silence(struct am_op *op, const cJSON *alert)
{
    const cJSON *labels = json_obj(alert, "labels");
    if (count_labels(labels) == 0) {
        op_finish(op, false, "the alert has no labels to match");
        return;
    }
    char *body = silence_body(op, labels);
    op_send(op, "POST", SILENCES_PATH, body, on_silenced);
    free(body);
}

static void expire_next(struct am_op *op);

/* The id as messages show it: whole, or as a silence row shows it (its first 8 characters). */
static int id_width(const struct am_op *op)
{
    return op->by_id ? SILENCE_SHORT_ID : INT_MAX;
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
    struct am_op *op = op_received(ud);
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

/* Every silence that mutes the alert. */
static void start_expire(struct am_op *op, const cJSON *alert)
{
    const cJSON *ids = json_arr(json_obj(alert, "status"), "silencedBy");
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
    const char *id = op->a->target;
    if (id == NULL || id[0] == '\0') {
        op_finish(op, false, "no silence id");
        return;
    }
    op->by_id = true;
    /* Alertmanager answers 200 to expiring an expired silence; say what it is instead */
    const struct rowset *rs;
    size_t row;
    if (store_find(op->b->store, MODEL_SILENCES, op->b->name, id, &rs, &row) &&
        strcmp(rowset_cell_text(rs, row, SILENCE_STATE), "expired") == 0) {
        char *msg = xasprintf("silence %.*s has already expired", SILENCE_SHORT_ID, id);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    add_id(op, id);
    expire_next(op);
}

/* Find the alert (fetching the alerts once if it is not known yet), then act. */
static void op_proceed(struct am_op *op)
{
    struct am *am = op->b->priv;
    const cJSON *alert = index_find(&am->index, op->a->target);
    if (alert == NULL && !op->fetched) {
        op_send(op, "GET", am->path, NULL, on_op_fetch);
        return;
    }
    if (alert == NULL) {
        char *msg = xasprintf("no such alert: %s (resolved?)", op->a->target);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    if (op->verb == OP_SILENCE) {
        start_silence(op, alert);
    } else {
        start_expire(op, alert);
    }
}

/*
 * The silence's input: a duration alone (a key's dialog, `opsdeck act
 * --input 2h`), or the form's "matchers\nduration\ncomment".
 */
static bool silence_input(struct am_op *op, char **cause)
{
    const char *input = op->a->input != NULL ? op->a->input : op->a->def->input_default;
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
    op->b = b;
    op->a = a;
    op->verb = strcmp(a->def->verb, "silence") == 0 ? OP_SILENCE : OP_EXPIRE;
    op->next_op = am->ops;
    am->ops = op;
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

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* A quoted value with \" and \\ escapes, or a bare one up to ',' or '}'. */
static const char *matcher_value(const char *p, char **value, char **cause)
{
    size_t n = strlen(p);
    char *v = xmalloc(n + 1);
    size_t o = 0;
    if (*p == '"') {
        for (p++; *p != '"'; p++) {
            if (*p == '\0') {
                free(v);
                *cause = xstrdup("a quoted value is not closed");
                return NULL;
            }
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            v[o++] = *p;
        }
        p++;
    } else {
        while (*p != '\0' && *p != ',' && *p != '}') {
            v[o++] = *p++;
        }
        while (o > 0 && (v[o - 1] == ' ' || v[o - 1] == '\t')) {
            o--;
        }
    }
    v[o] = '\0';
    *value = v;
    return p;
}

static const char *matcher_op(const char *p, bool *regex, bool *equal)
{
    static const struct {
        const char *text;
        bool regex, equal;
    } ops[] = {{"=~", true, true}, {"!~", true, false}, {"!=", false, false}, {"=", false, true}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(p, ops[i].text, n) == 0) {
            *regex = ops[i].regex;
            *equal = ops[i].equal;
            return p + n;
        }
    }
    return NULL;
}

/* One name, operator and value; the matcher is added to arr. */
static const char *one_matcher(const char *p, cJSON *arr, char **cause)
{
    const char *name = p;
    while (isalnum((unsigned char)*p) || *p == '_') {
        p++;
    }
    if (p == name || isdigit((unsigned char)*name)) {
        *cause = xasprintf("expected a label name at '%.20s'", name);
        return NULL;
    }
    char *label = xstrndup(name, (size_t)(p - name));
    bool regex = false, equal = true;
    const char *after = matcher_op(skip_space(p), &regex, &equal);
    char *value = NULL;
    if (after == NULL) {
        *cause = xasprintf("expected =, !=, =~ or !~ after %s", label);
    } else if ((p = matcher_value(skip_space(after), &value, cause)) != NULL) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "name", label);
        cJSON_AddStringToObject(m, "value", value);
        cJSON_AddBoolToObject(m, "isRegex", regex);
        cJSON_AddBoolToObject(m, "isEqual", equal);
        cJSON_AddItemToArray(arr, m);
    }
    free(label);
    free(value);
    return after == NULL ? NULL : p;
}

bool alertmanager_parse_matchers(const char *text, cJSON **out, char **cause)
{
    cJSON *arr = cJSON_CreateArray();
    const char *p = skip_space(text);
    bool braces = *p == '{';
    p = skip_space(p + (braces ? 1 : 0));
    while (p != NULL && *p != '\0' && *p != '}') {
        p = one_matcher(p, arr, cause);
        if (p != NULL) {
            p = skip_space(p);
            if (*p == ',') {
                p = skip_space(p + 1);
            } else if (*p != '\0' && *p != '}') {
                *cause = xasprintf("expected ',' between matchers at '%.20s'", p);
                p = NULL;
            }
        }
    }
    if (p != NULL && *p == '}' && *skip_space(p + 1) != '\0') {
        *cause = xstrdup("text after '}'");
        p = NULL;
    }
    if (p != NULL && cJSON_GetArraySize(arr) == 0) {
        *cause = xstrdup("at least one matcher is needed, e.g. alertname=\"X\"");
        p = NULL;
    }
    if (p == NULL) {
        cJSON_Delete(arr);
        return false;
    }
    *out = arr;
    return true;
}

/* Quote a matcher value the way Alertmanager writes them: "..." with \\ and \" escaped. */
static void append_quoted(char **out, const char *name, const char *value)
{
    size_t n = strlen(value);
    char *q = xmalloc(n * 2 + 3);
    size_t o = 0;
    q[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '"' || value[i] == '\\') {
            q[o++] = '\\';
        }
        q[o++] = value[i];
    }
    q[o++] = '"';
    q[o] = '\0';
    char *next = xasprintf("%s%s%s=%s", *out, (*out)[0] ? ", " : "", name, q);
    free(*out);
    free(q);
    *out = next;
}

/* The silence form: the alert's labels as editable matchers, a duration, a comment. */
static int am_form(struct backend *b, const struct action_def *def, const char *target,
                   const char **labels, char **values, int max)
{
    struct am *am = b->priv;
    const cJSON *alert = index_find(&am->index, target);
    if (strcmp(def->verb, "silence") != 0 || alert == NULL || max < 3) {
        return 0;
    }
    char *matchers = xstrdup("");
    const cJSON *l;
    cJSON_ArrayForEach(l, json_obj(alert, "labels"))
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            append_quoted(&matchers, l->string, l->valuestring);
        }
    }
    labels[0] = "Matchers (=, !=, =~, !~)";
    values[0] = matchers;
    labels[1] = "Duration";
    values[1] = xstrdup(def->input_default);
    labels[2] = "Comment";
    values[2] = xstrdup(DEFAULT_COMMENT);
    return 3;
}

static void am_destroy(struct backend *b)
{
    struct am *am = b->priv;
    if (am == NULL) {
        return;
    }
    http_poll_finish(&am->poll);
    rowset_destroy(am->alerts);
    /*
     * Actions still in flight are dropped without a report: whoever asked is
     * shutting down too (its report callback may point at a finished frame).
     * Their "started" audit line stays, as after a crash.
     */
    while (am->ops != NULL) {
        struct am_op *op = am->ops;
        am->ops = op->next_op;
        http_cancel(op->req);
        backend_drop(op->a);
        op_free(op);
    }
    index_free(&am->index);
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
    .destroy = am_destroy,
};
