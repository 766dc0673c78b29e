/*
 * The Signals of a prometheus backend's services: two requests per refresh,
 * however many services.
 *
 * 1. One instant query (POST /api/v1/query) for every service x every signal,
 *    every window of the burn-rate lights and the budget. Each subquery is
 *    tagged with label_replace(Q, "opsdeck_q", "<i>:<what>", "", "") and the
 *    tagged queries are joined with `or`: the tags keep them apart (no two
 *    share a label set) and say which answer is which.
 * 2. One range query (POST /api/v1/query_range, the last hour, 60 s step) for
 *    every service's series (traffic, errors, p50, p99, saturation), tagged
 *    the same way.
 *
 * A tag that does not come back is no data (NaN); so is "NaN" and a tag that
 * came back more than once (an override that gives several series: which one
 * is meant?). "+Inf" and "-Inf" are kept as infinities (slo_row shows them as
 * no data too). The answers are parsed defensively (common/json.h):
 * Prometheus's "status":"error" becomes its error text; anything unexpected
 * is an error, never a crash. Rows are built with slo_row() only.
 *
 * prometheus.c owns the HTTP side: it chains these two after the alerts.
 */
#ifndef OPSDECK_PROMETHEUS_SIGNALS_H
#define OPSDECK_PROMETHEUS_SIGNALS_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom_signals;
/* One refresh's answers, filled by the two parses, turned into rows. */
struct prom_answer;

struct prom_signals *prom_signals_create(void);
void prom_signals_destroy(struct prom_signals *ps);

/*
 * A backend key for services, as the config hands them over from each
 * [service "NAME"] section: `service = NAME` declares one (in file order),
 * `service.NAME.KEY = VALUE` sets one of its keys (prometheus_service.h).
 * Returns 1 when taken, 0 when not a service key, -1 with *cause on a bad
 * one.
 */
int prom_signals_configure(struct prom_signals *ps, const char *key, const char *value,
                           char **cause);
size_t prom_signals_count(const struct prom_signals *ps);

/* The two queries (PromQL), caller frees. */
char *prom_signals_instant_query(const struct prom_signals *ps);
char *prom_signals_range_query(const struct prom_signals *ps);

struct prom_answer *prom_answer_create(const struct prom_signals *ps);
void prom_answer_destroy(struct prom_answer *a);
/*
 * Read the instant query's answer (a vector) and the range query's (a
 * matrix from start, one sample every step seconds) into a. False with
 * *cause ("Prometheus error (bad_data): ...", "invalid JSON at byte 3 of 9",
 * "expected resultType vector, got matrix").
 */
bool prom_answer_instant(struct prom_answer *a, const char *body, size_t len, char **cause);
bool prom_answer_range(struct prom_answer *a, const char *body, size_t len, double start,
                       double step, char **cause);
/* One row per service into rs (MODEL_SIGNALS), through slo_row(). */
void prom_answer_rows(const struct prom_answer *a, struct rowset *rs);

/* The samples of the range query: an hour at 60 s is 61 of them. */
enum { PROM_RANGE_S = 3600, PROM_STEP_S = 60, PROM_SAMPLES = PROM_RANGE_S / PROM_STEP_S + 1 };

#endif
