/*
 * A service's signals as PromQL templates (prometheus_service.h).
 */
#include "prometheus_service.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The defaults, over the conventional metrics. No 5xx series at all means no
 * errors, not no data: hence `or vector(0)` on the numerator.
 */
static const char DEFAULT_TRAFFIC[] = "sum(rate(http_requests_total{{{labels}}}[5m]))";
static const char DEFAULT_ERRORS[] =
    "(sum(rate(http_requests_total{{{labels}},code=~\"5..\"}[{{window}}])) or vector(0))"
    " / sum(rate(http_requests_total{{{labels}}}[{{window}}]))";
static const char DEFAULT_P50[] = "histogram_quantile(0.5, sum by (le) "
                                  "(rate(http_request_duration_seconds_bucket{{{labels}}}[5m])))";
static const char DEFAULT_P99[] = "histogram_quantile(0.99, sum by (le) "
                                  "(rate(http_request_duration_seconds_bucket{{{labels}}}[5m])))";

static const char *const signal_keys[SLO_NSIGS] = {"traffic", "errors", "p50", "p99", "saturation"};

void prom_service_init(struct prom_service *s, const char *name)
{
    memset(s, 0, sizeof *s);
    s->name = xstrdup(name);
    s->objective = NAN;
}

void prom_service_finish(struct prom_service *s)
{
    free(s->name);
    free(s->labels);
    free(s->slo);
    for (int i = 0; i < SLO_NSIGS; i++) {
        free(s->override[i]);
    }
    memset(s, 0, sizeof *s);
}

const char *prom_service_keys(void)
{
    return "backend, labels, objective, window, rules, slo, traffic, errors, p50, p99, saturation";
}

static void replace(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

static bool set_objective(struct prom_service *s, const char *value, char **cause)
{
    double pct;
    if (!str_parse_decimal(value, &pct) || !(pct > 0) || !(pct < 100)) {
        *cause =
            xasprintf("bad objective '%s' (a percentage above 0 and below 100, e.g. 99.9)", value);
        return false;
    }
    s->objective = pct / 100;
    return true;
}

static bool set_window(struct prom_service *s, const char *value, char **cause)
{
    int64_t secs;
    if (!duration_parse(value, &secs) || secs < 3600 || secs > (int64_t)400 * 86400) {
        *cause = xasprintf("bad window '%s' (at least 1h, at most 400d, e.g. 30d or 28d)", value);
        return false;
    }
    s->window_s = secs;
    return true;
}

static bool set_rules(struct prom_service *s, const char *value, char **cause)
{
    if (strcmp(value, "sloth") == 0) {
        s->rules = PROM_RULES_SLOTH;
        return true;
    }
    if (strcmp(value, "pyrra") == 0) {
        *cause = xstrdup("rules = pyrra is not supported: Pyrra names its recording rules after "
                         "each SLO's own metric and windows scaled from its window, so no fixed "
                         "name reads them; give the queries with errors = (and traffic =, p99 =)");
        return false;
    }
    *cause = xasprintf("bad rules '%s' (sloth, or leave it out for the default queries)", value);
    return false;
}

/* A query must be one line of PromQL whose placeholders we know. */
static bool set_query(struct prom_service *s, int sig, const char *value, char **cause)
{
    if (*value == '\0') {
        *cause = xasprintf("empty query for '%s'", signal_keys[sig]);
        return false;
    }
    char *why = NULL;
    char *test = prom_template_expand(value, "x=\"y\"", "5m", &why);
    if (test == NULL) {
        *cause = xasprintf("bad query for '%s': %s", signal_keys[sig], why);
        free(why);
        return false;
    }
    free(test);
    replace(&s->override[sig], value);
    return true;
}

/* Matchers go between braces: no braces, no newline, something there. */
static bool set_labels(struct prom_service *s, const char *value, char **cause)
{
    if (*value == '\0' || strpbrk(value, "{}\n") != NULL) {
        *cause = xasprintf("bad labels '%s' (label matchers without braces, e.g. "
                           "service=\"checkout\",namespace=\"shop\")",
                           value);
        return false;
    }
    replace(&s->labels, value);
    return true;
}

static bool set_slo(struct prom_service *s, const char *value, char **cause)
{
    if (*value == '\0' || strpbrk(value, "\"\\\n") != NULL) {
        *cause = xasprintf("bad slo '%s' (the name of a sloth SLO)", value);
        return false;
    }
    replace(&s->slo, value);
    return true;
}

bool prom_service_key(struct prom_service *s, const char *key, const char *value, char **cause)
{
    if (strcmp(key, "labels") == 0) {
        return set_labels(s, value, cause);
    }
    if (strcmp(key, "objective") == 0) {
        return set_objective(s, value, cause);
    }
    if (strcmp(key, "window") == 0) {
        return set_window(s, value, cause);
    }
    if (strcmp(key, "rules") == 0) {
        return set_rules(s, value, cause);
    }
    if (strcmp(key, "slo") == 0) {
        return set_slo(s, value, cause);
    }
    for (int i = 0; i < SLO_NSIGS; i++) {
        if (strcmp(key, signal_keys[i]) == 0) {
            return set_query(s, i, value, cause);
        }
    }
    *cause = xasprintf("unknown key '%s' in [service \"%s\"] (expected %s)", key, s->name,
                       prom_service_keys());
    return false;
}

double prom_service_objective(const struct prom_service *s)
{
    return isnan(s->objective) ? PROM_SERVICE_OBJECTIVE : s->objective;
}

int64_t prom_service_window(const struct prom_service *s)
{
    return s->window_s != 0 ? s->window_s : PROM_SERVICE_WINDOW_S;
}

void prom_duration(char *buf, size_t len, int64_t seconds)
{
    static const struct {
        int64_t secs;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (seconds > 0 && seconds % units[i].secs == 0) {
            snprintf(buf, len, "%lld%c", (long long)(seconds / units[i].secs), units[i].unit);
            return;
        }
    }
    snprintf(buf, len, "%llds", (long long)seconds);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *prom_template_expand(const char *tmpl, const char *labels, const char *window, char **cause)
{
    static const char L[] = "{{labels}}", W[] = "{{window}}";
    struct strbuf sb = {0};
    const char *p = tmpl;
    while (*p != '\0') {
        if (strncmp(p, L, sizeof L - 1) == 0) {
            strbuf_str(&sb, labels);
            p += sizeof L - 1;
            continue;
        }
        if (strncmp(p, W, sizeof W - 1) == 0) {
            strbuf_str(&sb, window);
            p += sizeof W - 1;
            continue;
        }
        if (p[0] == '{' && p[1] == '{' && name_char(p[2])) {
            const char *q = p + 2;
            while (name_char(*q)) {
                q++;
            }
            if (q[0] == '}' && q[1] == '}') {
                *cause = xasprintf("unknown placeholder '%.*s' (use {{labels}} and {{window}})",
                                   (int)(q + 2 - p), p);
                free(sb.s);
                return NULL;
            }
        }
        strbuf_add(&sb, p, 1);
        p++;
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

static char *default_labels(const struct prom_service *s)
{
    return s->labels != NULL ? xstrdup(s->labels) : xasprintf("service=\"%s\"", s->name);
}

static char *expand(const struct prom_service *s, const char *tmpl, const char *window)
{
    char *labels = default_labels(s);
    char *cause = NULL;
    char *q = prom_template_expand(tmpl, labels, window, &cause);
    if (q == NULL) { /* checked when the key was set: cannot happen */
        free(cause);
        q = xstrdup(tmpl);
    }
    free(labels);
    return q;
}

/* sloth's selector: {sloth_service="NAME"[,sloth_slo="SLO"]}. */
static char *sloth_selector(const struct prom_service *s)
{
    if (s->slo != NULL) {
        return xasprintf("{sloth_service=\"%s\",sloth_slo=\"%s\"}", s->name, s->slo);
    }
    return xasprintf("{sloth_service=\"%s\"}", s->name);
}

/* agg(metric{selector}): several SLOs of one service read as their worst. */
static char *sloth_query(const struct prom_service *s, const char *agg, const char *metric)
{
    char *sel = sloth_selector(s);
    char *q = xasprintf("%s(%s%s)", agg, metric, sel);
    free(sel);
    return q;
}

static char *ratio_over(const struct prom_service *s, const char *window)
{
    if (s->override[SLO_SIG_ERRORS] != NULL) {
        return expand(s, s->override[SLO_SIG_ERRORS], window);
    }
    if (s->rules == PROM_RULES_SLOTH) {
        char metric[64];
        snprintf(metric, sizeof metric, "slo:sli_error:ratio_rate%s", window);
        return sloth_query(s, "max", metric);
    }
    return expand(s, DEFAULT_ERRORS, window);
}

char *prom_service_signal(const struct prom_service *s, enum slo_signal sig)
{
    if (sig == SLO_SIG_ERRORS) {
        return ratio_over(s, "5m");
    }
    const char *tmpl = s->override[sig];
    if (tmpl == NULL) {
        tmpl = sig == SLO_SIG_TRAFFIC ? DEFAULT_TRAFFIC
               : sig == SLO_SIG_P50   ? DEFAULT_P50
               : sig == SLO_SIG_P99   ? DEFAULT_P99
                                      : NULL;
    }
    return tmpl != NULL ? expand(s, tmpl, "5m") : NULL;
}

char *prom_service_ratio(const struct prom_service *s, enum slo_window w)
{
    return ratio_over(s, slo_window_name(w));
}

char *prom_service_budget(const struct prom_service *s, bool *is_left)
{
    *is_left = false;
    if (s->rules == PROM_RULES_SLOTH && s->override[SLO_SIG_ERRORS] == NULL && s->window_s == 0) {
        *is_left = true;
        return sloth_query(s, "min", "slo:period_error_budget_remaining:ratio");
    }
    char window[24];
    prom_duration(window, sizeof window, prom_service_window(s));
    return ratio_over(s, window);
}

char *prom_service_objective_query(const struct prom_service *s)
{
    if (s->rules != PROM_RULES_SLOTH || !isnan(s->objective)) {
        return NULL;
    }
    return sloth_query(s, "max", "slo:objective:ratio");
}

char *prom_service_window_query(const struct prom_service *s)
{
    if (s->rules != PROM_RULES_SLOTH || s->window_s != 0) {
        return NULL;
    }
    return sloth_query(s, "max", "slo:time_period:days");
}
