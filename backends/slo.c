/*
 * SLO arithmetic and the Signals row (slo.h).
 */
#include "slo.h"

#include "../common/clock.h"
#include "../common/spark.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define X_NAME(id, name, seconds) name,
static const char *const window_names[SLO_NWINDOWS] = {SLO_WINDOWS(X_NAME)};
#undef X_NAME
#define X_SEC(id, name, seconds) seconds,
static const double window_secs[SLO_NWINDOWS] = {SLO_WINDOWS(X_SEC)};
#undef X_SEC

const struct slo_pair slo_pairs[SLO_NPAIRS] = {
    {SLO_1H, SLO_5M, 14.4, SLO_PAGE},
    {SLO_6H, SLO_30M, 6, SLO_PAGE},
    {SLO_1D, SLO_2H, 3, SLO_TICKET},
    {SLO_3D, SLO_6H, 1, SLO_TICKET},
};

static const char *const signal_names[SLO_NSIGS] = {"traffic", "errors", "p50", "p99",
                                                    "saturation"};

const char *slo_window_name(enum slo_window w)
{
    return window_names[w];
}

double slo_window_seconds(enum slo_window w)
{
    return window_secs[w];
}

const char *slo_signal_name(enum slo_signal s)
{
    return signal_names[s];
}

static bool objective_ok(double objective)
{
    return isfinite(objective) && objective > 0 && objective < 1;
}

double slo_burn_rate(double error_ratio, double objective)
{
    if (!isfinite(error_ratio) || !objective_ok(objective)) {
        return NAN;
    }
    return error_ratio / (1 - objective);
}

double slo_budget_left(double window_error_ratio, double objective)
{
    double burn = slo_burn_rate(window_error_ratio, objective);
    return isfinite(burn) ? 1 - burn : NAN;
}

double slo_budget_spent(double burn_rate, double seconds, double window_s)
{
    return window_s > 0 ? burn_rate * seconds / window_s : NAN;
}

double slo_exhaustion_s(double burn_rate, double window_s)
{
    return burn_rate > 0 ? window_s / burn_rate : INFINITY;
}

double slo_detection_s(double objective, double error_ratio, double long_s, double factor)
{
    if (!(error_ratio > 0) || !objective_ok(objective)) {
        return INFINITY;
    }
    return (1 - objective) / error_ratio * long_s * factor;
}

/* burn >= factor, forgiving the rounding of a ratio divided by 1 - objective. */
static bool at_least(double burn, double factor)
{
    return burn >= factor * (1 - 1e-9);
}

void slo_evaluate(const double ratio[SLO_NWINDOWS], double objective, struct slo_result *out)
{
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        out->burn[w] = slo_burn_rate(ratio[w], objective);
    }
    out->worst = SLO_OK;
    bool any = false;
    for (int p = 0; p < SLO_NPAIRS; p++) {
        const struct slo_pair *pr = &slo_pairs[p];
        double l = out->burn[pr->long_w], s = out->burn[pr->short_w];
        enum slo_light light = SLO_OK;
        if (!isfinite(l) || !isfinite(s)) {
            light = SLO_NODATA;
        } else {
            any = true;
            if (at_least(l, pr->factor) && at_least(s, pr->factor)) {
                light = pr->raises;
            }
        }
        out->light[p] = light;
        if (light != SLO_NODATA && light > out->worst) {
            out->worst = light;
        }
    }
    if (!any) {
        out->worst = SLO_NODATA;
    }
}

enum tone slo_tone(enum slo_light l)
{
    switch (l) {
    case SLO_PAGE:
        return TONE_CRIT;
    case SLO_TICKET:
        return TONE_WARN;
    case SLO_OK:
        return TONE_OK;
    case SLO_NODATA:
        break;
    }
    return TONE_MUTED;
}

void slo_lights_text(char *buf, size_t len, const struct slo_result *r)
{
    static const char letters[] = {
        [SLO_OK] = '.', [SLO_NODATA] = '?', [SLO_TICKET] = 'T', [SLO_PAGE] = 'P'};
    size_t n = 0;
    for (int p = 0; p < SLO_NPAIRS && n + 1 < len; p++) {
        buf[n++] = letters[r->light[p]];
    }
    if (len > 0) {
        buf[n] = '\0';
    }
}

/* A percentage the way the pane shows it: 0.05, 1.44, 12.3, 100. */
static void format_pct(char *buf, size_t len, double pct)
{
    double a = fabs(pct);
    snprintf(buf, len, a < 10 ? "%.2f" : a < 100 ? "%.1f" : "%.0f", pct);
}

/* A cell with value v in the column's units, empty (NaN) when not measured. */
static void num_cell(struct rowset *rs, int col, double v, bool pct)
{
    if (!isfinite(v)) {
        rowset_cell(rs, col, "", NAN);
        return;
    }
    char buf[32];
    if (pct) {
        format_pct(buf, sizeof buf, v);
    } else {
        model_format_num(buf, sizeof buf, v);
    }
    rowset_cell(rs, col, buf, v);
}

static void detail_num(struct rowset *rs, const char *key, double v, const char *unit)
{
    if (isfinite(v)) {
        rowset_detailf(rs, key, "%.6g%s", v, unit);
    } else {
        rowset_detail(rs, key, "no data");
    }
}

void slo_row(struct rowset *rs, const struct slo_service *s)
{
    struct slo_result r;
    slo_evaluate(s->ratio, s->objective, &r);
    double budget =
        isfinite(s->budget_left) ? s->budget_left : slo_budget_left(s->window_ratio, s->objective);

    rowset_begin(rs, s->name);
    rowset_text(rs, SIGNAL_SERVICE, s->name);
    num_cell(rs, SIGNAL_TRAFFIC, s->traffic, false);
    num_cell(rs, SIGNAL_ERRORS, s->errors * 100, true);
    num_cell(rs, SIGNAL_P50, s->p50 * 1000, false);
    num_cell(rs, SIGNAL_P99, s->p99 * 1000, false);
    num_cell(rs, SIGNAL_SATURATION, s->saturation * 100, true);
    if (objective_ok(s->objective)) {
        char obj[32];
        snprintf(obj, sizeof obj, "%.6g", s->objective * 100);
        rowset_cell(rs, SIGNAL_OBJECTIVE, obj, s->objective * 100);
    } else {
        num_cell(rs, SIGNAL_OBJECTIVE, NAN, false);
    }
    num_cell(rs, SIGNAL_BUDGET, budget * 100, true);

    char lights[SLO_NPAIRS + 1];
    slo_lights_text(lights, sizeof lights, &r);
    rowset_cell(rs, SIGNAL_BURN, lights, r.burn[SLO_1H]);
    rowset_cell_tone(rs, SIGNAL_BURN, slo_tone(r.worst));

    const char *trend = s->series[SLO_SIG_ERRORS] != NULL ? s->series[SLO_SIG_ERRORS] : "";
    double samples[256];
    size_t n = spark_parse(trend, samples, sizeof samples / sizeof samples[0]);
    rowset_cell(rs, SIGNAL_TREND, trend, spark_last(samples, n));
    rowset_text(rs, SIGNAL_SOURCE, rs->source);

    enum tone budget_tone = !isfinite(budget) ? TONE_MUTED
                            : budget < 0      ? TONE_CRIT
                            : budget < 0.25   ? TONE_WARN
                                              : TONE_OK;
    rowset_cell_tone(rs, SIGNAL_BUDGET, budget_tone);
    if (r.worst == SLO_PAGE || r.worst == SLO_TICKET) {
        rowset_cell_tone(rs, SIGNAL_ERRORS, slo_tone(r.worst));
        rowset_row_tone(rs, slo_tone(r.worst));
    }
    if (isfinite(s->saturation) && s->saturation >= 0.8) {
        rowset_cell_tone(rs, SIGNAL_SATURATION, s->saturation >= 0.95 ? TONE_CRIT : TONE_WARN);
    }

    rowset_detail(rs, "service", s->name);
    detail_num(rs, "objective", objective_ok(s->objective) ? s->objective * 100 : NAN, "%");
    char window[32];
    duration_format2(window, sizeof window, (int64_t)s->window_s);
    rowset_detail(rs, "window", window);
    detail_num(rs, "budget left", budget * 100, "%");
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        char key[32];
        snprintf(key, sizeof key, "burn %s", window_names[w]);
        detail_num(rs, key, r.burn[w], "x");
    }
    for (int p = 0; p < SLO_NPAIRS; p++) {
        static const char *const words[] = {[SLO_OK] = "ok",
                                            [SLO_NODATA] = "no data",
                                            [SLO_TICKET] = "ticket",
                                            [SLO_PAGE] = "page"};
        char key[48];
        snprintf(key, sizeof key, "pair %s+%s %.3gx", window_names[slo_pairs[p].long_w],
                 window_names[slo_pairs[p].short_w], slo_pairs[p].factor);
        rowset_detail(rs, key, words[r.light[p]]);
    }
    for (int g = 0; g < SLO_NSIGS; g++) {
        char key[32];
        snprintf(key, sizeof key, "series %s", signal_names[g]);
        rowset_detail_nonempty(rs, key, s->series[g]);
        snprintf(key, sizeof key, "query %s", signal_names[g]);
        rowset_detail_nonempty(rs, key, s->query[g]);
    }
    rowset_end(rs);
}
