/*
 * What Alertmanager answers, read (alertmanager.h): label sets (their
 * fingerprint, the row an alert is shown as, shared with the Prometheus
 * backend), GET /api/v2/alerts (and an alert read back from its row, for
 * the actions), GET /api/v2/silences, and matchers both ways (the text
 * Alertmanager writes, and reading it back from a form).
 *
 * Parsing is defensive (DESIGN rule 6): the top level must be an array; an
 * entry that is not an object is skipped; a field of the wrong type counts as
 * missing.
 */
#include "alertmanager.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/jsonstream.h"
#include "../common/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TARGET_LABELS_MAX = 3, /* labels shown in the TARGET column */
};

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

cJSON *alertmanager_label_matchers(const cJSON *labels)
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

bool alertmanager_add_alert(struct rowset *rs, const cJSON *alert, int64_t now,
                            struct model_keys *keys)
{
    if (!cJSON_IsObject(alert)) {
        return false;
    }
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
    free(key);
    return true;
}

char *alertmanager_list_cause(const char *cause, const char *what)
{
    if (cause == NULL) {
        return xasprintf("expected a JSON array of %s", what);
    }
    /* the stream's "expected a JSON array" (any other top-level value) says what it expected */
    if (str_has_prefix(cause, "expected ")) {
        return xasprintf("expected a JSON array of %s", what);
    }
    return xstrdup(cause);
}

bool alertmanager_parse_alerts(const char *body, size_t len, struct rowset *rs, int64_t now,
                               char **cause)
{
    struct json_stream st;
    json_stream_init(&st, body, len, NULL);
    struct model_keys keys = {0};
    cJSON *alert;
    char *why = NULL;
    int rc;
    while ((rc = json_stream_next(&st, &alert, &why)) > 0) {
        alertmanager_add_alert(rs, alert, now, &keys);
        cJSON_Delete(alert);
    }
    json_stream_finish(&st);
    model_keys_free(&keys);
    if (rc < 0) {
        *cause = alertmanager_list_cause(why, "alerts");
        free(why);
        return false;
    }
    rowset_end(rs);
    return true;
}

/* ---- an alert read back from its row (for the actions) ---- */

/* Each detail line of a row: name (nlen bytes) and value (vlen bytes). */
struct detail_line {
    const char *name, *value;
    size_t nlen, vlen;
};

/* The next "name\tvalue" line of *p into l; false at the end. */
static bool next_detail(const char **p, struct detail_line *l)
{
    while (**p != '\0') {
        const char *line = *p;
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        *p = line + len + (end != NULL ? 1 : 0);
        const char *tab = memchr(line, '\t', len);
        if (tab != NULL) {
            l->name = line;
            l->nlen = (size_t)(tab - line);
            l->value = tab + 1;
            l->vlen = len - l->nlen - 1;
            return true;
        }
    }
    return false;
}

cJSON *alertmanager_row_labels(const struct rowset *rs, size_t row)
{
    static const char prefix[] = "label.";
    const size_t plen = sizeof prefix - 1;
    cJSON *labels = cJSON_CreateObject();
    const char *p = rowset_str(rs, rs->rows[row].detail);
    struct detail_line l;
    while (next_detail(&p, &l)) {
        if (l.nlen > plen && strncmp(l.name, prefix, plen) == 0) {
            char *name = xstrndup(l.name + plen, l.nlen - plen);
            char *value = xstrndup(l.value, l.vlen);
            cJSON_AddStringToObject(labels, name, value);
            free(name);
            free(value);
        }
    }
    return labels;
}

cJSON *alertmanager_row_silences(const struct rowset *rs, size_t row)
{
    cJSON *ids = cJSON_CreateArray();
    const char *p = rowset_str(rs, rs->rows[row].detail);
    struct detail_line l;
    while (next_detail(&p, &l)) {
        if (l.nlen != strlen("silencedBy") || strncmp(l.name, "silencedBy", l.nlen) != 0) {
            continue;
        }
        /* join_strings wrote them joined by ", " (ids are UUIDs: no commas) */
        const char *v = l.value, *end = l.value + l.vlen;
        while (v < end) {
            const char *comma = memchr(v, ',', (size_t)(end - v));
            const char *stop = comma != NULL ? comma : end;
            const char *s = v;
            while (s < stop && *s == ' ') {
                s++;
            }
            if (stop > s) {
                char *id = xstrndup(s, (size_t)(stop - s));
                cJSON_AddItemToArray(ids, cJSON_CreateString(id));
                free(id);
            }
            v = stop + (comma != NULL ? 1 : 0);
        }
        break;
    }
    return ids;
}

bool alertmanager_labels_flattened(const cJSON *labels)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL &&
            (strpbrk(l->valuestring, "\n\t") != NULL || strpbrk(l->string, "\n\t") != NULL)) {
            return true;
        }
    }
    return false;
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

char *alertmanager_matchers_text(const cJSON *matchers)
{
    struct strbuf all = {0};
    strbuf_str(&all, "");
    const cJSON *m;
    cJSON_ArrayForEach(m, matchers)
    {
        size_t before = all.n;
        if (before > 0) {
            strbuf_str(&all, ", ");
        }
        if (!matcher_text(&all, m)) {
            all.n = before;
            all.s[before] = '\0';
        }
    }
    return all.s;
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
    char short_id[ALERTMANAGER_SHORT_ID + 1];
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
    if (!json_parse_array(body, len, "silences", &doc, cause)) {
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

/* The text of a detail line of a row (name\tvalue), or NULL; caller frees. */
static char *row_detail(const struct rowset *rs, size_t row, const char *name)
{
    const char *p = rowset_str(rs, rs->rows[row].detail);
    size_t n = strlen(name);
    struct detail_line l;
    while (next_detail(&p, &l)) {
        if (l.nlen == n && strncmp(l.name, name, n) == 0) {
            return xstrndup(l.value, l.vlen);
        }
    }
    return NULL;
}

struct rowset *alertmanager_silences_copy(const struct rowset *rs)
{
    struct rowset *out = rowset_create(MODEL_SILENCES, rs->source);
    for (size_t i = 0; i < rs->nrows; i++) {
        rowset_copy_row(out, rs, i);
    }
    rowset_end(out);
    return out;
}

struct rowset *alertmanager_silences_again(const struct rowset *kept, int64_t now)
{
    if (kept == NULL) {
        return NULL;
    }
    struct rowset *out = rowset_create(MODEL_SILENCES, kept->source);
    bool moved = false;
    for (size_t i = 0; i < kept->nrows; i++) {
        rowset_copy_row(out, kept, i);
        char *starts_at = row_detail(kept, i, "startsAt");
        int64_t starts = 0;
        if (!clock_parse_rfc3339_s(starts_at, &starts)) {
            starts = 0;
        }
        free(starts_at);
        /* the state is the server's: only the time it is read against moves */
        char *state = xstrdup(rowset_cell_text(kept, i, SILENCE_STATE));
        rowset_silence_state(out, state, starts, (int64_t)rowset_cell_num(kept, i, SILENCE_ENDS),
                             now);
        free(state);
        moved = moved || strcmp(rowset_cell_text(out, out->nrows - 1, SILENCE_ENDS),
                                rowset_cell_text(kept, i, SILENCE_ENDS)) != 0;
    }
    rowset_end(out);
    if (!moved) {
        rowset_destroy(out);
        return NULL;
    }
    return out;
}

/* ---- matchers typed in a form ---- */

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
