/*
 * Service level objectives: the error budget and the multi-window,
 * multi-burn-rate lights of the SRE workbook ("Alerting on SLOs"), and the
 * one way a Signals row is built from a service's numbers, whatever source
 * measured them (the demo, Prometheus, a plugin's values).
 *
 * Words. The objective is a fraction (0.999). The error ratio over a window
 * is bad / total events in it (0.0144 = 1.44 %). The burn rate is how fast
 * the budget goes: error ratio / (1 - objective); 1 spends exactly the whole
 * budget over the objective's window, 14.4 spends it in 1/14.4 of it.
 *
 * The four pairs (long window, short window, factor, what it raises):
 *     1h + 5m   14.4x  page     (2 % of a 30-day budget in an hour)
 *     6h + 30m  6x     page     (5 % in six hours)
 *     1d + 2h   3x     ticket   (10 % in a day)
 *     3d + 6h   1x     ticket   (10 % in three days)
 * A pair lights when both its windows burn at or above its factor (within
 * 1e-9 relative, so 14.4 computed as 0.0144 / 0.001 counts); it has no data
 * when either window has none (NaN), and then never lights and never says ok.
 */
#ifndef OPSDECK_SLO_H
#define OPSDECK_SLO_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>

/* id, name, seconds */
#define SLO_WINDOWS(X)                                                                             \
    X(SLO_5M, "5m", 300)                                                                           \
    X(SLO_30M, "30m", 1800)                                                                        \
    X(SLO_1H, "1h", 3600)                                                                          \
    X(SLO_2H, "2h", 7200)                                                                          \
    X(SLO_6H, "6h", 21600)                                                                         \
    X(SLO_1D, "1d", 86400)                                                                         \
    X(SLO_3D, "3d", 259200)

#define X_ENUM(id, name, seconds) id,
enum slo_window { SLO_WINDOWS(X_ENUM) SLO_NWINDOWS };
#undef X_ENUM

const char *slo_window_name(enum slo_window w);
double slo_window_seconds(enum slo_window w);

/* A pair's state, in rising order of concern; the BURN cell writes them as ". ? T P". */
enum slo_light { SLO_OK, SLO_NODATA, SLO_TICKET, SLO_PAGE };

enum { SLO_NPAIRS = 4 };
struct slo_pair {
    enum slo_window long_w, short_w;
    double factor;
    enum slo_light raises; /* SLO_PAGE or SLO_TICKET */
};
extern const struct slo_pair slo_pairs[SLO_NPAIRS];

/* error_ratio / (1 - objective); NaN when the ratio is NaN or the objective not in (0, 1). */
double slo_burn_rate(double error_ratio, double objective);
/* The budget left, a fraction: 1 - ratio / (1 - objective) (below 0: overspent); NaN as above. */
double slo_budget_left(double window_error_ratio, double objective);
/* The fraction of the budget a burn rate spends in seconds of a window_s window. */
double slo_budget_spent(double burn_rate, double seconds, double window_s);
/* How long until a full budget is gone at this burn rate (INFINITY when <= 0). */
double slo_exhaustion_s(double burn_rate, double window_s);
/*
 * How long an error ratio takes to light a pair with this long window and
 * factor: (1 - objective) / error_ratio * long window * factor.
 */
double slo_detection_s(double objective, double error_ratio, double long_s, double factor);

struct slo_result {
    double burn[SLO_NWINDOWS];
    enum slo_light light[SLO_NPAIRS];
    enum slo_light worst; /* the highest light; SLO_NODATA only when no pair has data */
};
/* The burn rates and the lights from the error ratio of each window (NaN: no data). */
void slo_evaluate(const double ratio[SLO_NWINDOWS], double objective, struct slo_result *out);
/* page crit, ticket warn, ok ok, no data muted. */
enum tone slo_tone(enum slo_light l);
/* The four lights as four characters, pairs in slo_pairs order ("..TP"); buf >= 5. */
void slo_lights_text(char *buf, size_t len, const struct slo_result *r);

/*
 * A service's numbers, as any source measured them. NaN: not measured (the
 * cell stays empty, shown as no data). Series are common/spark.h text, oldest
 * first, one sample a minute over the last hour (NULL: none).
 */
enum slo_signal {
    SLO_SIG_TRAFFIC,
    SLO_SIG_ERRORS,
    SLO_SIG_P50,
    SLO_SIG_P99,
    SLO_SIG_SATURATION,
    SLO_NSIGS
};
struct slo_service {
    const char *name;
    double traffic;                /* req/s */
    double errors;                 /* error ratio now, 0..1 */
    double p50, p99;               /* seconds */
    double saturation;             /* 0..1 */
    double objective;              /* 0..1 */
    double window_s;               /* the objective's window (30 d) */
    double budget_left;            /* fraction; NaN: from window_ratio */
    double window_ratio;           /* error ratio over the whole window */
    double ratio[SLO_NWINDOWS];    /* error ratios for the lights */
    const char *series[SLO_NSIGS]; /* last hour, in the cell's units (ERR% in %, ms) */
    const char *query[SLO_NSIGS];  /* what measured it (PromQL), shown by Enter; may be NULL */
};

/*
 * Append the service's row to a MODEL_SIGNALS rowset: cells in the schema's
 * units, tones (ERR% and BUDGET by the lights and the budget, BURN by the
 * worst light, the row by the worst light), and the detail lines Enter
 * shows: "objective", "window", "burn 1h" ... per window, then
 * "series <signal>" and "query <signal>" per signal (signal names:
 * slo_signal_name).
 */
void slo_row(struct rowset *rs, const struct slo_service *s);
/* "traffic", "errors", "p50", "p99", "saturation". */
const char *slo_signal_name(enum slo_signal s);

#endif
