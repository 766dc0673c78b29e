/*
 * The batched Signals queries of a prometheus backend and their answers
 * (prometheus_signals.h).
 */
#include "prometheus_signals.h"

#include "../common/json.h"
#include "../common/spark.h"
#include "../common/util.h"
#include "prometheus_service.h"
#include "slo.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one instant subquery measures; the error ratio now is the 5m ratio. */
enum prom_q {
    Q_TRAFFIC,
    Q_P50,
    Q_P99,
    Q_SATURATION,
    Q_RATIO, /* Q_RATIO + w for each slo_window w */
    Q_BUDGET = Q_RATIO + SLO_NWINDOWS,
    Q_OBJECTIVE,
    Q_WINDOW,
    NQ
};

static const char *const q_names[NQ] = {
    "traffic", "p50", "p99", "saturation", "r5m",    "r30m",      "r1h",
    "r2h",     "r6h", "r1d", "r3d",        "budget", "objective", "window",
};

struct svc {
    struct prom_service cfg;
    char *q[NQ];            /* the instant subqueries; NULL: not asked */
    char *sig_q[SLO_NSIGS]; /* the signals' queries, for the range and for Enter */
    bool budget_left;       /* q[Q_BUDGET] gives the budget left, not a ratio */
};

struct prom_signals {
    struct svc *svcs;
    size_t n;
};

struct prom_answer {
    const struct prom_signals *ps;
    double (*v)[NQ];
    int (*seen)[NQ];
    char *(*series)[SLO_NSIGS];
};

struct prom_signals *prom_signals_create(void)
{
    return xcalloc(1, sizeof(struct prom_signals));
}

static void svc_clear_queries(struct svc *s)
{
    for (int i = 0; i < NQ; i++) {
        free(s->q[i]);
        s->q[i] = NULL;
    }
    for (int i = 0; i < SLO_NSIGS; i++) {
        free(s->sig_q[i]);
        s->sig_q[i] = NULL;
    }
}

void prom_signals_destroy(struct prom_signals *ps)
{
    if (ps == NULL) {
        return;
    }
    for (size_t i = 0; i < ps->n; i++) {
        svc_clear_queries(&ps->svcs[i]);
        prom_service_finish(&ps->svcs[i].cfg);
    }
    free(ps->svcs);
    free(ps);
}

size_t prom_signals_count(const struct prom_signals *ps)
{
    return ps->n;
}

/* The queries follow the keys: rebuilt whenever one is set. */
static void svc_build(struct svc *s)
{
    svc_clear_queries(s);
    for (int g = 0; g < SLO_NSIGS; g++) {
        s->sig_q[g] = prom_service_signal(&s->cfg, (enum slo_signal)g);
    }
    s->q[Q_TRAFFIC] = s->sig_q[SLO_SIG_TRAFFIC] ? xstrdup(s->sig_q[SLO_SIG_TRAFFIC]) : NULL;
    s->q[Q_P50] = s->sig_q[SLO_SIG_P50] ? xstrdup(s->sig_q[SLO_SIG_P50]) : NULL;
    s->q[Q_P99] = s->sig_q[SLO_SIG_P99] ? xstrdup(s->sig_q[SLO_SIG_P99]) : NULL;
    s->q[Q_SATURATION] =
        s->sig_q[SLO_SIG_SATURATION] ? xstrdup(s->sig_q[SLO_SIG_SATURATION]) : NULL;
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        s->q[Q_RATIO + w] = prom_service_ratio(&s->cfg, (enum slo_window)w);
    }
    s->q[Q_BUDGET] = prom_service_budget(&s->cfg, &s->budget_left);
    s->q[Q_OBJECTIVE] = prom_service_objective_query(&s->cfg);
    s->q[Q_WINDOW] = prom_service_window_query(&s->cfg);
}

static struct svc *svc_find(struct prom_signals *ps, const char *name, size_t len)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (strlen(ps->svcs[i].cfg.name) == len && strncmp(ps->svcs[i].cfg.name, name, len) == 0) {
            return &ps->svcs[i];
        }
    }
    return NULL;
}

static bool svc_name_ok(const char *name)
{
    if (*name == '\0') {
        return false;
    }
    for (const char *c = name; *c != '\0'; c++) {
        if (strchr("\"\\{}\n\t =", *c) != NULL) {
            return false;
        }
    }
    return true;
}

int prom_signals_configure(struct prom_signals *ps, const char *key, const char *value,
                           char **cause)
{
    if (strcmp(key, "service") == 0) {
        if (!svc_name_ok(value) || strchr(value, '.') != NULL) {
            *cause = xasprintf("bad service name '%s'", value);
            return -1;
        }
        if (svc_find(ps, value, strlen(value)) != NULL) {
            *cause = xasprintf("duplicate service '%s'", value);
            return -1;
        }
        ps->svcs = xreallocarray(ps->svcs, ps->n + 1, sizeof *ps->svcs);
        struct svc *s = &ps->svcs[ps->n++];
        memset(s, 0, sizeof *s);
        prom_service_init(&s->cfg, value);
        svc_build(s);
        return 1;
    }
    if (!str_has_prefix(key, "service.")) {
        return 0;
    }
    const char *name = key + 8;
    const char *dot = strrchr(name, '.');
    struct svc *s = dot != NULL ? svc_find(ps, name, (size_t)(dot - name)) : NULL;
    if (s == NULL) {
        *cause = xasprintf("'%s': no such service (declare it with [service \"NAME\"])", key);
        return -1;
    }
    if (!prom_service_key(&s->cfg, dot + 1, value, cause)) {
        return -1;
    }
    svc_build(s);
    return 1;
}

/* label_replace(Q, "opsdeck_q", "<i>:<what>", "", ""): the tag keeps each answer apart. */
static void add_tagged(struct strbuf *sb, const char *q, size_t i, const char *what)
{
    if (sb->n > 0) {
        strbuf_str(sb, " or ");
    }
    strbuf_printf(sb, "label_replace(%s, \"opsdeck_q\", \"%zu:%s\", \"\", \"\")", q, i, what);
}

char *prom_signals_instant_query(const struct prom_signals *ps)
{
    struct strbuf sb = {0};
    for (size_t i = 0; i < ps->n; i++) {
        for (int k = 0; k < NQ; k++) {
            if (ps->svcs[i].q[k] != NULL) {
                add_tagged(&sb, ps->svcs[i].q[k], i, q_names[k]);
            }
        }
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

char *prom_signals_range_query(const struct prom_signals *ps)
{
    struct strbuf sb = {0};
    for (size_t i = 0; i < ps->n; i++) {
        for (int g = 0; g < SLO_NSIGS; g++) {
            if (ps->svcs[i].sig_q[g] != NULL) {
                add_tagged(&sb, ps->svcs[i].sig_q[g], i, slo_signal_name((enum slo_signal)g));
            }
        }
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

struct prom_answer *prom_answer_create(const struct prom_signals *ps)
{
    struct prom_answer *a = xcalloc(1, sizeof *a);
    size_t n = ps->n > 0 ? ps->n : 1;
    a->ps = ps;
    a->v = xcalloc(n, sizeof *a->v);
    a->seen = xcalloc(n, sizeof *a->seen);
    a->series = xcalloc(n, sizeof *a->series);
    for (size_t i = 0; i < ps->n; i++) {
        for (int k = 0; k < NQ; k++) {
            a->v[i][k] = NAN;
        }
    }
    return a;
}

void prom_answer_destroy(struct prom_answer *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->ps->n; i++) {
        for (int g = 0; g < SLO_NSIGS; g++) {
            free(a->series[i][g]);
        }
    }
    free(a->v);
    free(a->seen);
    free(a->series);
    free(a);
}

/*
 * A sample value as Prometheus writes it ("0.25", "1e-05", "NaN", "+Inf"),
 * whatever the console's locale: the C locale's strtod, the whole string.
 */
static bool parse_value(const char *s, double *out)
{
    static locale_t c_locale;
    if (c_locale == (locale_t)0) {
        c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    }
    if (s == NULL || *s == '\0' || strlen(s) > 64) {
        return false;
    }
    for (const char *c = s; *c != '\0'; c++) {
        if (strchr("0123456789+-.eEInfNa", *c) == NULL) {
            return false;
        }
    }
    locale_t old = c_locale != (locale_t)0 ? uselocale(c_locale) : (locale_t)0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (old != (locale_t)0) {
        uselocale(old);
    }
    if (*end != '\0' || end == s) {
        return false;
    }
    *out = v;
    return true;
}

/* "<i>:<what>" -> the service index and the name's index in names; false when not ours. */
static bool parse_tag(const char *tag, size_t n, const char *const *names, int nnames, size_t *i,
                      int *what)
{
    if (tag == NULL) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long idx = strtoull(tag, &end, 10);
    if (end == tag || *end != ':' || errno != 0 || tag[0] < '0' || tag[0] > '9' || idx >= n) {
        return false;
    }
    for (int k = 0; k < nnames; k++) {
        if (strcmp(end + 1, names[k]) == 0) {
            *i = (size_t)idx;
            *what = k;
            return true;
        }
    }
    return false;
}

/* {"status":"error","errorType":"bad_data","error":"..."}: say what Prometheus says. */
static bool check_status(const cJSON *doc, char **cause)
{
    const char *status = json_str(doc, "status");
    if (status != NULL && strcmp(status, "success") == 0) {
        return true;
    }
    if (status != NULL && strcmp(status, "error") == 0) {
        const char *type = json_str(doc, "errorType");
        const char *error = json_str(doc, "error");
        *cause = xasprintf("Prometheus error (%s): %s", type != NULL ? type : "unknown",
                           error != NULL ? error : "no message");
    } else if (status == NULL) {
        *cause = xstrdup("no status in the answer");
    } else {
        *cause = xasprintf("unexpected status '%s'", status);
    }
    return false;
}

/* The data.result array of a successful answer of resultType want. */
static const cJSON *result_of(const cJSON *doc, const char *want, char **cause)
{
    if (!cJSON_IsObject(doc)) {
        *cause = xstrdup("expected a JSON object");
        return NULL;
    }
    if (!check_status(doc, cause)) {
        return NULL;
    }
    const cJSON *data = json_obj(doc, "data");
    const char *type = json_str(data, "resultType");
    const cJSON *result = json_arr(data, "result");
    if (type == NULL || result == NULL) {
        *cause = xstrdup("no data.resultType and data.result");
        return NULL;
    }
    if (strcmp(type, want) != 0) {
        *cause = xasprintf("expected resultType %s, got %.32s", want, type);
        return NULL;
    }
    return result;
}

/* [ts, "value"]: false when it is not that shape. */
static bool sample(const cJSON *pair, double *ts, double *v)
{
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2) {
        return false;
    }
    const cJSON *t = cJSON_GetArrayItem(pair, 0);
    const cJSON *s = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsNumber(t) || !cJSON_IsString(s)) {
        return false;
    }
    *ts = t->valuedouble;
    return parse_value(s->valuestring, v);
}

static const char *tag_of(const cJSON *item)
{
    return json_str(json_obj(item, "metric"), "opsdeck_q");
}

bool prom_answer_instant(struct prom_answer *a, const char *body, size_t len, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    const cJSON *result = result_of(doc, "vector", cause);
    if (result == NULL) {
        cJSON_Delete(doc);
        return false;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, result)
    {
        size_t i;
        int k;
        double ts, v;
        if (!parse_tag(tag_of(item), a->ps->n, q_names, NQ, &i, &k) ||
            !sample(json_get(item, "value"), &ts, &v)) {
            continue;
        }
        /* a tag answered twice (an override with several series): which one is meant? none */
        a->v[i][k] = ++a->seen[i][k] == 1 ? v : NAN;
    }
    cJSON_Delete(doc);
    return true;
}

/* The unit a series is drawn in: the cell's (ERR% and SAT% in %, latencies in ms). */
static double series_scale(int g)
{
    switch (g) {
    case SLO_SIG_ERRORS:
    case SLO_SIG_SATURATION:
        return 100;
    case SLO_SIG_P50:
    case SLO_SIG_P99:
        return 1000;
    default:
        return 1;
    }
}

static const char *const *signal_names(void)
{
    static const char *names[SLO_NSIGS];
    for (int g = 0; g < SLO_NSIGS; g++) {
        names[g] = slo_signal_name((enum slo_signal)g);
    }
    return names;
}

bool prom_answer_range(struct prom_answer *a, const char *body, size_t len, double start,
                       double step, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    const cJSON *result = result_of(doc, "matrix", cause);
    if (result == NULL) {
        cJSON_Delete(doc);
        return false;
    }
    const char *const *names = signal_names();
    size_t n = a->ps->n;
    int(*seen)[SLO_NSIGS] = xcalloc(n > 0 ? n : 1, sizeof *seen);
    const cJSON *item;
    cJSON_ArrayForEach(item, result)
    {
        size_t i;
        int g;
        const cJSON *values = json_arr(item, "values");
        if (!parse_tag(tag_of(item), n, names, SLO_NSIGS, &i, &g) || values == NULL) {
            continue;
        }
        free(a->series[i][g]);
        a->series[i][g] = NULL;
        if (++seen[i][g] > 1) {
            continue; /* several series for one signal: none is shown */
        }
        double v[PROM_SAMPLES];
        for (int s = 0; s < PROM_SAMPLES; s++) {
            v[s] = NAN;
        }
        const cJSON *pair;
        cJSON_ArrayForEach(pair, values)
        {
            double ts, x;
            if (!sample(pair, &ts, &x) || !(step > 0)) {
                continue;
            }
            double slot = round((ts - start) / step);
            if (slot >= 0 && slot < PROM_SAMPLES) {
                v[(int)slot] = x * series_scale(g);
            }
        }
        a->series[i][g] = spark_format(v, PROM_SAMPLES);
    }
    free(seen);
    cJSON_Delete(doc);
    return true;
}

void prom_answer_rows(const struct prom_answer *a, struct rowset *rs)
{
    for (size_t i = 0; i < a->ps->n; i++) {
        const struct svc *sv = &a->ps->svcs[i];
        const double *v = a->v[i];
        struct slo_service s = {
            .name = sv->cfg.name,
            .traffic = v[Q_TRAFFIC],
            .errors = v[Q_RATIO + SLO_5M],
            .p50 = v[Q_P50],
            .p99 = v[Q_P99],
            .saturation = v[Q_SATURATION],
            .objective = prom_service_objective(&sv->cfg),
            .window_s = (double)prom_service_window(&sv->cfg),
            .budget_left = sv->budget_left ? v[Q_BUDGET] : NAN,
            .window_ratio = sv->budget_left ? NAN : v[Q_BUDGET],
        };
        /* sloth's own objective and period, when the config leaves them to it */
        if (sv->q[Q_OBJECTIVE] != NULL && v[Q_OBJECTIVE] > 0 && v[Q_OBJECTIVE] < 1) {
            s.objective = v[Q_OBJECTIVE];
        }
        if (sv->q[Q_WINDOW] != NULL && v[Q_WINDOW] > 0 && v[Q_WINDOW] <= 400) {
            s.window_s = v[Q_WINDOW] * 86400;
        }
        for (int w = 0; w < SLO_NWINDOWS; w++) {
            s.ratio[w] = v[Q_RATIO + w];
        }
        for (int g = 0; g < SLO_NSIGS; g++) {
            s.series[g] = a->series[i][g];
            s.query[g] = sv->sig_q[g];
        }
        slo_row(rs, &s);
    }
    rowset_end(rs);
}
