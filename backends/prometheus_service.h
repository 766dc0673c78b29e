/*
 * A service's golden signals in PromQL: what a [service "NAME"] section of
 * the config says (docs/configuration.md), checked one key at a time, and the
 * queries it stands for, expanded.
 *
 * Every query is a template. {{labels}} becomes the service's matchers
 * (labels = service="checkout",namespace="shop"; default service="NAME"),
 * {{window}} a Prometheus duration (5m, 1h, 30d): the error ratio is asked
 * for over each window of the burn-rate lights (slo.h) and over the
 * objective's window (the budget). The defaults read the conventional
 * metrics http_requests_total{code} and http_request_duration_seconds_bucket;
 * saturation has no default. `rules = sloth` reads the recording rules sloth
 * generates instead (slo:sli_error:ratio_rate<WINDOW>,
 * slo:period_error_budget_remaining:ratio, slo:objective:ratio and
 * slo:time_period:days, selected by sloth_service and, with slo = NAME,
 * sloth_slo). Pyrra is refused: its record names are made of each SLO's own
 * metric name and of windows scaled from its window, so no fixed name reads
 * them (say the queries with traffic =, errors = instead).
 *
 * A query override may be any PromQL that gives one sample (an instant
 * vector); opsdeck tags each with label_replace and joins them with `or`
 * (prometheus_signals.h), so it must be a vector, not a scalar.
 */
#ifndef OPSDECK_PROMETHEUS_SERVICE_H
#define OPSDECK_PROMETHEUS_SERVICE_H

#include "slo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum prom_rules { PROM_RULES_NONE, PROM_RULES_SLOTH };

struct prom_service {
    char *name;
    char *labels;              /* NULL: service="NAME" */
    double objective;          /* fraction (0.999); NaN: not set (sloth's, else 0.999) */
    int64_t window_s;          /* 0: not set (sloth's, else 30d) */
    enum prom_rules rules;     /* where the error ratios come from */
    char *slo;                 /* rules = sloth: the sloth_slo to read; NULL: any */
    char *override[SLO_NSIGS]; /* traffic =, errors =, ...; NULL: the default */
};

/* Defaults when nothing says otherwise. */
#define PROM_SERVICE_OBJECTIVE 0.999
#define PROM_SERVICE_WINDOW_S  ((int64_t)30 * 86400)

/* A service with every key at its default. */
void prom_service_init(struct prom_service *s, const char *name);
void prom_service_finish(struct prom_service *s);

/*
 * One key of the section (not `backend`, which the config resolves): labels,
 * objective, window, rules, slo, traffic, errors, p50, p99, saturation. False
 * with *cause ("unknown key 'x' ...", "bad objective '100' ...") otherwise.
 */
bool prom_service_key(struct prom_service *s, const char *key, const char *value, char **cause);
/* The keys prom_service_key takes, for messages: "labels, objective, ...". */
const char *prom_service_keys(void);

/* The objective and window in effect (the defaults when not set). */
double prom_service_objective(const struct prom_service *s);
int64_t prom_service_window(const struct prom_service *s);

/*
 * The expanded PromQL of signal sig (errors: the error ratio over 5m), or
 * NULL when the service has none (saturation not configured). Caller frees.
 */
char *prom_service_signal(const struct prom_service *s, enum slo_signal sig);
/* The error ratio over window w (the lights). Caller frees. */
char *prom_service_ratio(const struct prom_service *s, enum slo_window w);
/*
 * What gives the budget: the error ratio over the objective's window, or
 * (*is_left true, rules = sloth) the budget left itself. Caller frees.
 */
char *prom_service_budget(const struct prom_service *s, bool *is_left);
/*
 * rules = sloth with no objective (window) in the config: the recorded
 * objective as a ratio (window in days); else NULL. Caller frees.
 */
char *prom_service_objective_query(const struct prom_service *s);
char *prom_service_window_query(const struct prom_service *s);

/*
 * tmpl with {{labels}} and {{window}} replaced; NULL with *cause when it
 * holds another {{placeholder}}. Caller frees.
 */
char *prom_template_expand(const char *tmpl, const char *labels, const char *window, char **cause);
/* seconds as Prometheus writes a duration: 30d, 6h, 90m, 45s. buf >= 24. */
void prom_duration(char *buf, size_t len, int64_t seconds);

#endif
