/*
 * Ad-hoc PromQL (:promql) over a prometheus backend's connection: an instant
 * query (GET /api/v1/query) and, for the sparkline, a range query over the
 * last hour (GET /api/v1/query_range, one sample a minute), run on the loop
 * at start and then every refresh interval of that backend while the query
 * is open, published as the MODEL_PROMQL rowset of the backend's name.
 *
 * Rows: SERIES is the series as Prometheus writes it, name{a="x",b="y"}
 * (labels sorted, the metric name first, values quoted); VALUE the instant
 * value (NaN and infinities shown as such, a string result as its text);
 * LAST 1h the range samples on the minute grid (a missing step is a gap);
 * the detail lines every label, the raw value and the query. A scalar or a
 * string result is one row; a range vector result (x[5m]) shows its newest
 * sample and its own samples on the grid. At most PROMETHEUS_QUERY_MAX_ROWS
 * rows; the note says how many there were.
 *
 * Failures (Prometheus's own error text for bad PromQL, HTTP errors, bodies
 * that are not the API's shape, a refused connection, a timeout) publish
 * nothing: the rows of the last good answer stay and the error says why. A
 * failed range query alone still publishes the values, without history,
 * and the note says why.
 *
 * The query borrows the backend: stop it before the backend is destroyed.
 */
#ifndef OPSDECK_PROMETHEUS_QUERY_H
#define OPSDECK_PROMETHEUS_QUERY_H

#include "backend.h"
#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PROMETHEUS_QUERY_MAX_ROWS = 2000,
    PROMETHEUS_QUERY_STEP_S = 60,   /* the sparkline's step */
    PROMETHEUS_QUERY_STEPS = 60,    /* an hour of it */
    PROMETHEUS_QUERY_MAX_LEN = 2048 /* bytes of PromQL */
};

struct prometheus_query;

/* After every answer, good or bad, on the loop (never before start returns). */
typedef void (*prometheus_query_cb)(void *ud);

/*
 * Start QUERY on b (a prometheus backend) now and at every refresh of b;
 * false with *cause when b is not a prometheus backend or the query is empty
 * or too long. Rows a previous query left under b's name are dropped.
 */
struct prometheus_query *prometheus_query_start(struct backend *b, const char *query,
                                                prometheus_query_cb cb, void *ud, char **cause);
/* Cancel what is in flight and drop the rows from the store. NULL is a no-op. */
void prometheus_query_stop(struct prometheus_query *q);

const char *prometheus_query_text(const struct prometheus_query *q);
struct backend *prometheus_query_backend(const struct prometheus_query *q);
/* Has any answer come (good or bad)? */
bool prometheus_query_answered(const struct prometheus_query *q);
/* Why the last answer failed ("Prometheus error (bad_data): ..."); NULL when it did not. */
const char *prometheus_query_error(const struct prometheus_query *q);
/* What the last good answer left out ("showing 2000 of 5312 series", "no history: ..."); or NULL.
 */
const char *prometheus_query_note(const struct prometheus_query *q);

/*
 * The rows of one answer, without I/O (tests, fuzzing): instant is the body
 * of /api/v1/query; range (NULL: none) the body of /api/v1/query_range
 * whose last step is end_s. Rows go into rs (ended); *total is how many
 * series the answer had (rs holds at most PROMETHEUS_QUERY_MAX_ROWS). False
 * with *cause when the instant answer is an error or not the API's shape
 * (rs then holds nothing). A range body that cannot be read leaves every
 * LAST 1h empty and says why in *range_cause (caller frees; may be NULL).
 */
bool prometheus_query_rows(const char *instant, size_t ilen, const char *range, size_t rlen,
                           int64_t end_s, const char *query, struct rowset *rs, size_t *total,
                           char **range_cause, char **cause);

/*
 * Only read the instant answer's result type, to know whether a range query
 * makes sense: "vector" or "scalar" (true), "matrix" or "string" (false).
 */
bool prometheus_query_wants_range(const char *instant, size_t ilen);

/* The backend's HTTP settings (prometheus.c), or NULL when b is not a prometheus backend. */
const struct http_settings *prometheus_http(const struct backend *b);

#endif
