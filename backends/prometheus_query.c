/*
 * Ad-hoc PromQL (prometheus_query.h). Each round: the instant query; when
 * its result is a vector or a scalar, the range query of the last hour; then
 * one rowset built from both and published whole. A round still in flight
 * when the next refresh comes lets that refresh go (as a backend's poll
 * does). The HTTP settings are the backend's, copied with a smaller body
 * cap: an ad-hoc query may match far more than a person can read.
 *
 * Range samples are matched to instant series by their SERIES text, which
 * both answers format the same way (sorted labels): an index sorted by it
 * and a binary search per row.
 */
#include "prometheus_query.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/loop.h"
#include "../common/spark.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { QUERY_MAX_BODY = 16 << 20 };

/* ---- one series as text ---- */

static int label_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* The metric's labels sorted by name (__name__ left out); the caller frees the array. */
static size_t sorted_labels(const cJSON *metric, const cJSON ***out, const char **name)
{
    size_t n = 0;
    const cJSON *l;
    *name = NULL;
    cJSON_ArrayForEach(l, metric)
    {
        n++;
    }
    *out = xcalloc(n ? n : 1, sizeof **out);
    n = 0;
    cJSON_ArrayForEach(l, metric)
    {
        if (l->string == NULL || !cJSON_IsString(l)) {
            continue; /* a label value is a string; anything else is not a label */
        }
        if (strcmp(l->string, "__name__") == 0) {
            *name = l->valuestring;
        } else {
            (*out)[n++] = l;
        }
    }
    qsort(*out, n, sizeof **out, label_cmp);
    return n;
}

static void quote_value(struct strbuf *sb, const char *v)
{
    strbuf_str(sb, "\"");
    for (; *v != '\0'; v++) {
        switch (*v) {
        case '"':
            strbuf_str(sb, "\\\"");
            break;
        case '\\':
            strbuf_str(sb, "\\\\");
            break;
        case '\n':
            strbuf_str(sb, "\\n");
            break;
        default:
            strbuf_add(sb, v, 1);
        }
    }
    strbuf_str(sb, "\"");
}

/* name{a="x",b="y"}; name alone without labels; {} for no name and no labels. */
static char *series_text(const cJSON *metric)
{
    const cJSON **labels;
    const char *name;
    size_t n = sorted_labels(metric, &labels, &name);
    struct strbuf sb = {0};
    strbuf_str(&sb, name != NULL ? name : "");
    if (n > 0 || name == NULL) {
        strbuf_str(&sb, "{");
        for (size_t i = 0; i < n; i++) {
            strbuf_printf(&sb, "%s%s=", i ? "," : "", labels[i]->string);
            quote_value(&sb, labels[i]->valuestring);
        }
        strbuf_str(&sb, "}");
    }
    free(labels);
    return sb.s;
}

/* ---- samples ---- */

/* A sample value: "1.5", "NaN", "+Inf", "-Inf" (a number is taken too). */
static bool parse_value(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return true;
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        return false;
    }
    char *end;
    *out = strtod(v->valuestring, &end);
    return *end == '\0';
}

/* [time, "value"]: false when it is not that shape. */
static bool parse_sample(const cJSON *pair, double *t, const cJSON **raw, double *value)
{
    const cJSON *ts = cJSON_GetArrayItem(pair, 0);
    *raw = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(ts)) {
        return false;
    }
    *t = ts->valuedouble;
    return parse_value(*raw, value);
}

/* The samples of values ([[t, "v"], ...]) on the grid ending at end_s; the rest NaN. */
static void grid_samples(const cJSON *values, int64_t end_s, double *grid)
{
    double start = (double)end_s - (double)(PROMETHEUS_QUERY_STEPS - 1) * PROMETHEUS_QUERY_STEP_S;
    for (int i = 0; i < PROMETHEUS_QUERY_STEPS; i++) {
        grid[i] = NAN;
    }
    const cJSON *pair;
    cJSON_ArrayForEach(pair, values)
    {
        double t, v;
        const cJSON *raw;
        if (!parse_sample(pair, &t, &raw, &v)) {
            continue;
        }
        double k = floor((t - start) / PROMETHEUS_QUERY_STEP_S + 0.5);
        if (k >= 0 && k < PROMETHEUS_QUERY_STEPS) {
            grid[(int)k] = v; /* the newest sample of a step wins */
        }
    }
}

static void value_text(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, len, "%sInf", v > 0 ? "+" : "-");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
    } else {
        snprintf(buf, len, "%.6g", v);
    }
}

/* ---- the answer's shape ---- */

/* {"status":"error","errorType":"bad_data","error":"..."}: Prometheus's words. */
static bool api_status(const cJSON *doc, char **cause)
{
    const char *status = json_str(doc, "status");
    if (status != NULL && strcmp(status, "success") == 0) {
        return true;
    }
    const char *type = json_str(doc, "errorType"), *error = json_str(doc, "error");
    if (status != NULL && strcmp(status, "error") == 0) {
        *cause = xasprintf("Prometheus error (%s): %s", type != NULL ? type : "unknown",
                           error != NULL ? error : "no message");
    } else {
        *cause = xstrdup(status == NULL ? "not a Prometheus API answer (no status)"
                                        : "not a Prometheus API answer (bad status)");
    }
    return false;
}

/* The document's data.resultType and data.result; false with *cause. */
static bool api_result(const char *body, size_t len, cJSON **doc, const char **type,
                       const cJSON **result, char **cause)
{
    if (!json_parse(body, len, doc, cause)) {
        return false;
    }
    if (!cJSON_IsObject(*doc)) {
        *cause = xstrdup("not a Prometheus API answer (not a JSON object)");
        return false;
    }
    if (!api_status(*doc, cause)) {
        return false;
    }
    const cJSON *data = json_obj(*doc, "data");
    *type = json_str(data, "resultType");
    *result = json_get(data, "result");
    if (*type == NULL || *result == NULL) {
        *cause = xstrdup("not a Prometheus API answer (no data.resultType or data.result)");
        return false;
    }
    return true;
}

bool prometheus_query_wants_range(const char *instant, size_t ilen)
{
    cJSON *doc = NULL;
    const char *type;
    const cJSON *result;
    char *cause = NULL;
    bool ok = api_result(instant, ilen, &doc, &type, &result, &cause);
    bool wants = ok && (strcmp(type, "vector") == 0 || strcmp(type, "scalar") == 0);
    free(cause);
    cJSON_Delete(doc);
    return wants;
}

/* ---- the range answer, indexed by series text ---- */

struct range_series {
    char *series;
    const cJSON *values;
};

struct range_index {
    cJSON *doc;
    struct range_series *s;
    size_t n;
};

static int range_cmp(const void *a, const void *b)
{
    const struct range_series *x = a, *y = b;
    return strcmp(x->series, y->series);
}

static bool range_load(struct range_index *ri, const char *body, size_t len, char **cause)
{
    const char *type;
    const cJSON *result;
    if (!api_result(body, len, &ri->doc, &type, &result, cause)) {
        return false;
    }
    if (strcmp(type, "matrix") != 0 || !cJSON_IsArray(result)) {
        *cause = xasprintf("the range answer is a %s, not a matrix", type);
        return false;
    }
    ri->s = xcalloc((size_t)cJSON_GetArraySize(result) + 1, sizeof *ri->s);
    const cJSON *e;
    cJSON_ArrayForEach(e, result)
    {
        const cJSON *values = json_arr(e, "values");
        if (cJSON_IsObject(e) && values != NULL) {
            ri->s[ri->n].series = series_text(json_obj(e, "metric"));
            ri->s[ri->n++].values = values;
        }
    }
    qsort(ri->s, ri->n, sizeof *ri->s, range_cmp);
    return true;
}

static void range_free(struct range_index *ri)
{
    for (size_t i = 0; i < ri->n; i++) {
        free(ri->s[i].series);
    }
    free(ri->s);
    cJSON_Delete(ri->doc);
}

/* The samples of series; a scalar's are the one series the range has. */
static const cJSON *range_find(const struct range_index *ri, const char *series, bool scalar)
{
    if (scalar) {
        return ri->n == 1 ? ri->s[0].values : NULL;
    }
    struct range_series key = {.series = (char *)series};
    const struct range_series *hit = bsearch(&key, ri->s, ri->n, sizeof *ri->s, range_cmp);
    return hit != NULL ? hit->values : NULL;
}

/* ---- rows ---- */

struct build {
    struct rowset *rs;
    struct model_keys keys;
    const struct range_index *range; /* NULL: no history */
    int64_t end_s;
    const char *query;
};

static void spark_cell(struct build *bd, const cJSON *values)
{
    if (values == NULL) {
        rowset_cell(bd->rs, PROMQL_TREND, "", NAN);
        return;
    }
    double grid[PROMETHEUS_QUERY_STEPS];
    grid_samples(values, bd->end_s, grid);
    char *text = spark_format(grid, PROMETHEUS_QUERY_STEPS);
    rowset_cell(bd->rs, PROMQL_TREND, text, spark_last(grid, PROMETHEUS_QUERY_STEPS));
    free(text);
}

/* One row: series is its SERIES text, raw the value as Prometheus sent it. */
static void add_row(struct build *bd, const char *series, const cJSON *metric, const cJSON *raw,
                    const cJSON *history)
{
    struct rowset *rs = bd->rs;
    char *key = model_keys_unique(&bd->keys, series);
    rowset_begin(rs, key);
    free(key);
    rowset_text(rs, PROMQL_SERIES, series);
    double v;
    char text[64];
    if (parse_value(raw, &v)) {
        value_text(text, sizeof text, v);
        rowset_cell(rs, PROMQL_VALUE, text, v);
        if (isnan(v)) {
            rowset_cell_tone(rs, PROMQL_VALUE, TONE_MUTED);
        }
    } else {
        /* a string result, or a value that is no number: its text, no number */
        rowset_cell(rs, PROMQL_VALUE, cJSON_IsString(raw) ? raw->valuestring : "", NAN);
    }
    spark_cell(bd, history);
    rowset_text(rs, PROMQL_SOURCE, rs->source);
    const cJSON **labels;
    const char *name;
    size_t n = metric != NULL ? sorted_labels(metric, &labels, &name) : 0;
    if (metric != NULL) {
        rowset_detail_nonempty(rs, "__name__", name);
        for (size_t i = 0; i < n; i++) {
            rowset_detail(rs, labels[i]->string, labels[i]->valuestring);
        }
        free(labels);
    }
    if (cJSON_IsString(raw)) {
        rowset_detail(rs, "value", raw->valuestring);
    }
    rowset_detail(rs, "query", bd->query);
}

static const cJSON *history_of(const struct build *bd, const char *series, bool scalar)
{
    return bd->range != NULL ? range_find(bd->range, series, scalar) : NULL;
}

/* A vector or a matrix: one row per element, at most PROMETHEUS_QUERY_MAX_ROWS. */
static bool add_series(struct build *bd, const cJSON *result, bool matrix, size_t *total,
                       char **cause)
{
    if (!cJSON_IsArray(result)) {
        *cause = xstrdup("not a Prometheus API answer (data.result is not an array)");
        return false;
    }
    *total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, result)
    {
        if (!cJSON_IsObject(e)) {
            continue;
        }
        if (++*total > PROMETHEUS_QUERY_MAX_ROWS) {
            continue; /* counted, not shown */
        }
        const cJSON *metric = json_obj(e, "metric");
        char *series = series_text(metric);
        const cJSON *raw = NULL;
        if (matrix) {
            const cJSON *values = json_arr(e, "values");
            raw = cJSON_GetArrayItem(cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1), 1);
            add_row(bd, series, metric, raw, values);
        } else {
            raw = cJSON_GetArrayItem(json_arr(e, "value"), 1);
            add_row(bd, series, metric, raw, history_of(bd, series, false));
        }
        free(series);
    }
    return true;
}

bool prometheus_query_rows(const char *instant, size_t ilen, const char *range, size_t rlen,
                           int64_t end_s, const char *query, struct rowset *rs, size_t *total,
                           char **range_cause, char **cause)
{
    cJSON *doc = NULL;
    const char *type;
    const cJSON *result;
    *total = 0;
    if (!api_result(instant, ilen, &doc, &type, &result, cause)) {
        cJSON_Delete(doc);
        return false;
    }
    struct range_index ri = {0};
    char *rcause = NULL;
    bool have_range = range != NULL && range_load(&ri, range, rlen, &rcause);
    struct build bd = {.rs = rs, .range = have_range ? &ri : NULL, .end_s = end_s, .query = query};
    bool ok = true;
    if (strcmp(type, "vector") == 0 || strcmp(type, "matrix") == 0) {
        ok = add_series(&bd, result, strcmp(type, "matrix") == 0, total, cause);
    } else if (strcmp(type, "scalar") == 0 || strcmp(type, "string") == 0) {
        const cJSON *raw = cJSON_GetArrayItem(result, 1);
        double t, v;
        ok = parse_sample(result, &t, &raw, &v) ||
             (strcmp(type, "string") == 0 && raw != NULL && cJSON_IsString(raw));
        if (ok) {
            add_row(&bd, type, NULL, raw, history_of(&bd, type, true));
            *total = 1;
        } else {
            *cause =
                xasprintf("not a Prometheus API answer (a %s that is not [time, value])", type);
        }
    } else {
        ok = false;
        *cause = xasprintf("unknown result type '%s'", type);
    }
    if (ok) {
        rowset_end(rs);
    }
    if (range_cause != NULL) {
        *range_cause = rcause;
    } else {
        free(rcause);
    }
    model_keys_free(&bd.keys);
    range_free(&ri);
    cJSON_Delete(doc);
    return ok;
}

/* ---- on the loop ---- */

struct prometheus_query {
    struct backend *b;
    struct http_settings http; /* the backend's, with a smaller body cap; borrows its strings */
    char *query;
    prometheus_query_cb cb;
    void *ud;
    struct loop_timer *timer;
    struct http_request *req; /* the request in flight, or NULL */
    char *instant;            /* the instant answer while the range query runs */
    size_t ilen;
    int64_t end_s; /* the last step of the range asked for */
    bool answered;
    char *error;
    char *note;
};

static void set_text(char **slot, char *text)
{
    free(*slot);
    *slot = text;
}

static void finish_round(struct prometheus_query *q)
{
    free(q->instant);
    q->instant = NULL;
    q->answered = true;
    if (q->cb != NULL) {
        q->cb(q->ud);
    }
}

/* Prometheus answers errors with its JSON too (400 bad_data, 422, 503): say what it says. */
static char *failure_text(const struct http_response *r)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    char *text;
    if (r->error == NULL && json_parse(r->body, r->len, &doc, &cause) && cJSON_IsObject(doc) &&
        !api_status(doc, &cause)) {
        text = xasprintf("HTTP %ld: %s", r->status, cause);
    } else {
        text = http_describe_failure(r);
    }
    free(cause);
    cJSON_Delete(doc);
    return text;
}

static void fail(struct prometheus_query *q, char *why)
{
    set_text(&q->error, xasprintf("%s: %s", q->b->name, why));
    free(why);
    finish_round(q);
}

/* Both answers are in (range NULL: none asked, or it failed with range_why). */
static void publish(struct prometheus_query *q, const char *range, size_t rlen, char *range_why)
{
    struct rowset *rs = rowset_create(MODEL_PROMQL, q->b->name);
    size_t total = 0;
    char *cause = NULL, *rcause = NULL;
    if (!prometheus_query_rows(q->instant, q->ilen, range, rlen, q->end_s, q->query, rs, &total,
                               &rcause, &cause)) {
        rowset_destroy(rs);
        free(range_why);
        free(rcause);
        fail(q, cause);
        return;
    }
    backend_stamp(q->b, rs);
    store_publish(q->b->store, rs); /* not backend_publish: the backend's health is its own */
    if (range_why == NULL) {
        range_why = rcause;
        rcause = NULL;
    }
    free(rcause);
    set_text(&q->error, NULL);
    if (total > PROMETHEUS_QUERY_MAX_ROWS) {
        set_text(&q->note, xasprintf("showing %d of %zu series", PROMETHEUS_QUERY_MAX_ROWS, total));
    } else if (range_why != NULL) {
        set_text(&q->note, xasprintf("no history: %s", range_why));
    } else {
        set_text(&q->note, NULL);
    }
    free(range_why);
    finish_round(q);
}

static void on_range(const struct http_response *r, void *ud)
{
    struct prometheus_query *q = ud;
    q->req = NULL;
    if (http_ok(r)) {
        publish(q, r->body, r->len, NULL);
    } else {
        publish(q, NULL, 0, failure_text(r));
    }
}

static void send_range(struct prometheus_query *q)
{
    char *esc = http_escape(q->query);
    int64_t start = q->end_s - (int64_t)(PROMETHEUS_QUERY_STEPS - 1) * PROMETHEUS_QUERY_STEP_S;
    char *path = xasprintf("/api/v1/query_range?query=%s&start=%lld&end=%lld&step=%d", esc,
                           (long long)start, (long long)q->end_s, PROMETHEUS_QUERY_STEP_S);
    q->req = http_request(q->b->loop, &q->http, "GET", path, NULL, NULL, 0, on_range, q);
    free(path);
    free(esc);
}

static void on_instant(const struct http_response *r, void *ud)
{
    struct prometheus_query *q = ud;
    q->req = NULL;
    if (!http_ok(r)) {
        fail(q, failure_text(r));
        return;
    }
    q->instant = xstrndup(r->body, r->len);
    q->ilen = strlen(q->instant); /* a NUL inside ends the text, as json_parse reads it */
    if (prometheus_query_wants_range(q->instant, q->ilen)) {
        send_range(q);
    } else {
        publish(q, NULL, 0, NULL); /* a string or a range vector; or an error, said there */
    }
}

static void on_timer(void *ud)
{
    struct prometheus_query *q = ud;
    if (q->req != NULL) {
        return; /* the last round is still out: this refresh lets it finish */
    }
    int64_t now = clock_wall_s();
    q->end_s = now - now % PROMETHEUS_QUERY_STEP_S;
    char *esc = http_escape(q->query);
    char *path = xasprintf("/api/v1/query?query=%s", esc);
    q->req = http_request(q->b->loop, &q->http, "GET", path, NULL, NULL, 0, on_instant, q);
    free(path);
    free(esc);
}

struct prometheus_query *prometheus_query_start(struct backend *b, const char *query,
                                                prometheus_query_cb cb, void *ud, char **cause)
{
    const struct http_settings *http = prometheus_http(b);
    if (http == NULL) {
        *cause = xasprintf("%s is a %s backend, not prometheus", b->name, b->impl->type);
        return NULL;
    }
    if (b->loop == NULL) {
        *cause = xstrdup("no event loop to run a query on");
        return NULL;
    }
    size_t len = query != NULL ? strlen(query) : 0;
    if (len == 0 || strspn(query, " \t") == len) {
        *cause = xstrdup("no query");
        return NULL;
    }
    if (len > PROMETHEUS_QUERY_MAX_LEN) {
        *cause = xasprintf("the query is longer than %d bytes", PROMETHEUS_QUERY_MAX_LEN);
        return NULL;
    }
    struct prometheus_query *q = xcalloc(1, sizeof *q);
    q->b = b;
    q->http = *http;
    if (q->http.max_body > QUERY_MAX_BODY) {
        q->http.max_body = QUERY_MAX_BODY;
    }
    q->query = xstrdup(query);
    q->cb = cb;
    q->ud = ud;
    store_forget(b->store, MODEL_PROMQL, b->name);
    q->timer = loop_timer_add(b->loop, 0, (uint64_t)b->refresh_ms, on_timer, q);
    return q;
}

void prometheus_query_stop(struct prometheus_query *q)
{
    if (q == NULL) {
        return;
    }
    loop_timer_cancel(q->b->loop, q->timer);
    http_cancel(q->req);
    store_forget(q->b->store, MODEL_PROMQL, q->b->name);
    free(q->instant);
    free(q->query);
    free(q->error);
    free(q->note);
    free(q);
}

const char *prometheus_query_text(const struct prometheus_query *q)
{
    return q->query;
}

struct backend *prometheus_query_backend(const struct prometheus_query *q)
{
    return q->b;
}

bool prometheus_query_answered(const struct prometheus_query *q)
{
    return q->answered;
}

const char *prometheus_query_error(const struct prometheus_query *q)
{
    return q->error;
}

const char *prometheus_query_note(const struct prometheus_query *q)
{
    return q->note;
}
