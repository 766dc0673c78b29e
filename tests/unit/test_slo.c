/*
 * SLO arithmetic (backends/slo.h) against the worked examples of the SRE
 * workbook's "Alerting on SLOs" (a 99.9 % objective over 30 days): the
 * budget each pair spends before it fires, the error rate of 14.4x, the
 * time to exhaustion and the detection time; the lights at their threshold
 * and just below, with no data; and the Signals row slo_row() builds.
 */
#include "../../backends/slo.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double DAY = 86400, MONTH = 30 * 86400.0;

static bool near(double got, double want, double tol)
{
    return fabs(got - want) <= tol;
}

static void is_near(double got, double want, double tol, const char *what)
{
    if (!tap_ok(near(got, want, tol), "%s", what)) {
        tap_diag("got %.12g, want %.12g", got, want);
    }
}

static void test_workbook(void)
{
    /* burn rate: error ratio over the budget's ratio */
    is_near(slo_burn_rate(0.0144, 0.999), 14.4, 1e-9, "1.44 % errors at 99.9 % burn 14.4x");
    is_near(slo_burn_rate(0.001, 0.999), 1, 1e-9, "0.1 % errors at 99.9 % burn 1x");
    is_near(slo_burn_rate(0, 0.999), 0, 0, "no errors burn nothing");
    /* the error rate a factor stands for: factor x (1 - objective) */
    is_near(14.4 * (1 - 0.999), 0.0144, 1e-12, "14.4x at 99.9 % is a 1.44 % error rate");
    is_near(slo_burn_rate(14.4 * (1 - 0.999), 0.999), 14.4, 1e-9, "and back");

    /* the budget each pair has spent when it fires (30-day window) */
    is_near(slo_budget_spent(14.4, 3600, MONTH), 0.02, 1e-12, "14.4x for 1h spends 2 %");
    is_near(slo_budget_spent(6, 6 * 3600, MONTH), 0.05, 1e-12, "6x for 6h spends 5 %");
    is_near(slo_budget_spent(3, DAY, MONTH), 0.10, 1e-12, "3x for 1d spends 10 %");
    is_near(slo_budget_spent(1, 3 * DAY, MONTH), 0.10, 1e-12, "1x for 3d spends 10 %");
    is_near(slo_budget_spent(1, MONTH, MONTH), 1, 1e-12, "1x for the whole window spends it all");
    tap_ok(isnan(slo_budget_spent(1, 3600, 0)), "a window of 0 s: NaN");

    /* the pairs are the workbook's */
    tap_ok(slo_pairs[0].long_w == SLO_1H && slo_pairs[0].short_w == SLO_5M &&
               slo_pairs[0].factor == 14.4 && slo_pairs[0].raises == SLO_PAGE,
           "pair 1: 1h + 5m at 14.4x pages");
    tap_ok(slo_pairs[1].long_w == SLO_6H && slo_pairs[1].short_w == SLO_30M &&
               slo_pairs[1].factor == 6 && slo_pairs[1].raises == SLO_PAGE,
           "pair 2: 6h + 30m at 6x pages");
    tap_ok(slo_pairs[2].long_w == SLO_1D && slo_pairs[2].short_w == SLO_2H &&
               slo_pairs[2].factor == 3 && slo_pairs[2].raises == SLO_TICKET,
           "pair 3: 1d + 2h at 3x tickets");
    tap_ok(slo_pairs[3].long_w == SLO_3D && slo_pairs[3].short_w == SLO_6H &&
               slo_pairs[3].factor == 1 && slo_pairs[3].raises == SLO_TICKET,
           "pair 4: 3d + 6h at 1x tickets");
    /* each pair's budget spent, from its own long window */
    for (int p = 0; p < SLO_NPAIRS; p++) {
        static const double spent[] = {0.02, 0.05, 0.10, 0.10};
        is_near(
            slo_budget_spent(slo_pairs[p].factor, slo_window_seconds(slo_pairs[p].long_w), MONTH),
            spent[p], 1e-12, "pair's long window at its factor spends the workbook's share");
    }

    /* time to exhaustion: 30 d / 14.4 = 50 h */
    is_near(slo_exhaustion_s(14.4, MONTH), 50 * 3600.0, 1e-6, "14.4x exhausts 30 days in 50 h");
    is_near(slo_exhaustion_s(1, MONTH), MONTH, 1e-6, "1x exhausts it in 30 days");
    tap_ok(isinf(slo_exhaustion_s(0, MONTH)), "0x never exhausts it");

    /* detection at 100 % errors: (1 - 0.999) / 1 x 1 h x 14.4 = 0.0144 h = 51.84 s */
    is_near(slo_detection_s(0.999, 1.0, 3600, 14.4), 51.84, 1e-9,
            "1h / 14.4x at 100 % errors detects in 51.84 s");
    is_near(slo_detection_s(0.999, 1.0, 3600, 14.4) / 3600, 0.0144, 1e-12, "that is 0.0144 h");
    is_near(slo_detection_s(0.999, 1.0, 6 * 3600, 6), 129.6, 1e-9,
            "6h / 6x at 100 % errors detects in 129.6 s");
    is_near(slo_detection_s(0.999, 0.0144, 3600, 14.4), 3600, 1e-6,
            "at exactly 14.4x it takes the whole hour");
    tap_ok(isinf(slo_detection_s(0.999, 0, 3600, 14.4)), "no errors are never detected");

    /* budget left over the window */
    is_near(slo_budget_left(0.0005, 0.999), 0.5, 1e-12, "half the budget's ratio: 50 % left");
    is_near(slo_budget_left(0.002, 0.999), -1, 1e-12, "twice the budget: -100 % (overspent)");
    is_near(slo_budget_left(0, 0.999), 1, 0, "no errors: all of it");

    /* objectives that are no objective, ratios that are no data */
    tap_ok(isnan(slo_burn_rate(0.01, 1)) && isnan(slo_burn_rate(0.01, 0)) &&
               isnan(slo_burn_rate(0.01, 1.5)) && isnan(slo_burn_rate(0.01, NAN)),
           "objective outside (0, 1): no burn rate");
    tap_ok(isnan(slo_burn_rate(NAN, 0.999)) && isnan(slo_budget_left(NAN, 0.999)),
           "no data: no burn rate, no budget");
    tap_is_str(slo_window_name(SLO_3D), "3d", "window names");
    is_near(slo_window_seconds(SLO_30M), 1800, 0, "window seconds");
}

/* Every window at ratio r, then the ones named set to their own. */
static void ratios(double out[SLO_NWINDOWS], double r)
{
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        out[w] = r;
    }
}

static void lights_are(const double ratio[SLO_NWINDOWS], const char *want, enum slo_light worst,
                       const char *what)
{
    struct slo_result r;
    slo_evaluate(ratio, 0.999, &r);
    char text[8];
    slo_lights_text(text, sizeof text, &r);
    bool ok = strcmp(text, want) == 0 && r.worst == worst;
    tap_ok(ok, "%s: %s", what, want);
    if (!ok) {
        tap_diag("got %s (worst %d)", text, (int)r.worst);
    }
}

static void test_lights(void)
{
    double r[SLO_NWINDOWS];
    ratios(r, 0);
    lights_are(r, "....", SLO_OK, "no errors");

    /* 1h + 5m: exactly at 14.4x fires, just below does not, one window alone does not */
    ratios(r, 0);
    r[SLO_1H] = r[SLO_5M] = 0.0144;
    lights_are(r, "P...", SLO_PAGE, "1h and 5m exactly at 14.4x page");
    r[SLO_1H] = 0.0144 * (1 - 1e-6);
    lights_are(r, "....", SLO_OK, "1h just below 14.4x does not");
    r[SLO_1H] = 0.0144;
    r[SLO_5M] = 0.0143;
    lights_are(r, "....", SLO_OK, "5m below 14.4x does not (both windows)");
    r[SLO_5M] = 0.5;
    r[SLO_1H] = 0.0143;
    lights_are(r, "....", SLO_OK, "a spike in 5m alone does not");

    /* 6h + 30m at 6x */
    ratios(r, 0);
    r[SLO_6H] = r[SLO_30M] = 0.006;
    lights_are(r, ".P..", SLO_PAGE, "6h and 30m at 6x page");
    r[SLO_6H] = 0.00599;
    lights_are(r, "....", SLO_OK, "6h just below 6x does not");

    /* 1d + 2h at 3x, 3d + 6h at 1x: tickets */
    ratios(r, 0);
    r[SLO_1D] = r[SLO_2H] = 0.003;
    lights_are(r, "..T.", SLO_TICKET, "1d and 2h at 3x ticket");
    ratios(r, 0);
    r[SLO_3D] = r[SLO_6H] = 0.001;
    lights_are(r, "...T", SLO_TICKET, "3d and 6h at 1x ticket");
    r[SLO_3D] = 0.000999;
    lights_are(r, "....", SLO_OK, "3d just below 1x does not");

    /* 100 % errors everywhere: every pair */
    ratios(r, 1);
    lights_are(r, "PPTT", SLO_PAGE, "everything burning");

    /* no data */
    ratios(r, 0);
    r[SLO_5M] = NAN;
    lights_are(r, "?...", SLO_OK, "5m with no data: pair 1 unknown, the rest ok");
    ratios(r, 0.0144);
    r[SLO_5M] = NAN;
    lights_are(r, "?PTT", SLO_PAGE, "no data in 5m never lights pair 1");
    ratios(r, NAN);
    lights_are(r, "????", SLO_NODATA, "no data at all");
    ratios(r, 0.5);
    struct slo_result res;
    slo_evaluate(r, 1.0, &res); /* no objective: nothing can be said */
    tap_ok(res.worst == SLO_NODATA && res.light[0] == SLO_NODATA,
           "an objective of 100 %%: no data");

    tap_ok(slo_tone(SLO_PAGE) == TONE_CRIT && slo_tone(SLO_TICKET) == TONE_WARN &&
               slo_tone(SLO_OK) == TONE_OK && slo_tone(SLO_NODATA) == TONE_MUTED,
           "tones: page crit, ticket warn, ok ok, no data muted");
    char small[3];
    ratios(r, 1);
    slo_evaluate(r, 0.999, &res);
    slo_lights_text(small, sizeof small, &res);
    tap_is_str(small, "PP", "lights text cut to its buffer");
}

static const char *detail_value(const struct rowset *rs, size_t row, const char *key, char *buf,
                                size_t len)
{
    const char *d = rowset_str(rs, rs->rows[row].detail);
    size_t kl = strlen(key);
    for (const char *line = d; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (n > kl && strncmp(line, key, kl) == 0 && line[kl] == '\t') {
            snprintf(buf, len, "%.*s", (int)(n - kl - 1), line + kl + 1);
            return buf;
        }
        line += n;
        line += *line == '\n';
    }
    return NULL;
}

static void test_row(void)
{
    struct rowset *rs = rowset_create(MODEL_SIGNALS, "test");
    struct slo_service s = {
        .name = "checkout",
        .traffic = 174,
        .errors = 0.0144,
        .p50 = 0.049,
        .p99 = 0.245,
        .saturation = 0.96,
        .objective = 0.999,
        .window_s = MONTH,
        .budget_left = NAN,
        .window_ratio = 0.0009,
        .series = {[SLO_SIG_ERRORS] = "0.1 nan 1.44", [SLO_SIG_P99] = "200 245"},
        .query = {[SLO_SIG_ERRORS] = "sum(rate(errors[5m]))"},
    };
    ratios(s.ratio, 0.0144);
    slo_row(rs, &s);
    struct slo_service none = {.name = "cart", .objective = NAN, .window_s = MONTH};
    none.traffic = none.errors = none.p50 = none.p99 = none.saturation = NAN;
    none.budget_left = none.window_ratio = NAN;
    ratios(none.ratio, NAN);
    slo_row(rs, &none);
    rowset_end(rs);

    tap_is_str(rowset_key(rs, 0), "checkout", "the row's key is the service");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_ERRORS), "1.44", "ERR% in percent");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_P99), "245", "P99 in ms");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_OBJECTIVE), "99.9", "SLO in percent");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_BUDGET), "10.0", "BUDGET left from the window");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_BURN), "PPTT", "BURN: the four lights");
    is_near(rowset_cell_num(rs, 0, SIGNAL_BURN), 14.4, 1e-9, "BURN's number: the 1h burn rate");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_TREND), "0.1 nan 1.44", "the trend is the series");
    is_near(rowset_cell_num(rs, 0, SIGNAL_TREND), 1.44, 1e-12, "its number: the last sample");
    const struct cell *c = rowset_cells(rs, 0);
    tap_ok(c[SIGNAL_BURN].tone == TONE_CRIT && c[SIGNAL_ERRORS].tone == TONE_CRIT &&
               rs->rows[0].tone == TONE_CRIT && c[SIGNAL_SATURATION].tone == TONE_CRIT &&
               c[SIGNAL_BUDGET].tone == TONE_WARN,
           "tones: page crit, 96 %% saturation crit, 10 %% budget warn");
    char buf[256];
    tap_is_str(detail_value(rs, 0, "pair 1h+5m 14.4x", buf, sizeof buf), "page",
               "detail: the pair's state");
    tap_is_str(detail_value(rs, 0, "pair 3d+6h 1x", buf, sizeof buf), "ticket",
               "detail: the ticket pair");
    tap_is_str(detail_value(rs, 0, "burn 1h", buf, sizeof buf), "14.4x", "detail: burn 1h");
    tap_is_str(detail_value(rs, 0, "series p99", buf, sizeof buf), "200 245", "detail: series");
    tap_is_str(detail_value(rs, 0, "query errors", buf, sizeof buf), "sum(rate(errors[5m]))",
               "detail: the query");
    tap_ok(detail_value(rs, 0, "query p99", buf, sizeof buf) == NULL, "no query: no line");

    /* no data: empty cells holding NaN, muted, lights unknown */
    bool empty = true;
    for (int col = SIGNAL_TRAFFIC; col <= SIGNAL_BUDGET; col++) {
        empty =
            empty && rowset_cell_text(rs, 1, col)[0] == '\0' && isnan(rowset_cell_num(rs, 1, col));
    }
    tap_ok(empty, "no data: every number empty and NaN");
    tap_is_str(rowset_cell_text(rs, 1, SIGNAL_BURN), "????", "no data: lights unknown");
    tap_ok(isnan(rowset_cell_num(rs, 1, SIGNAL_BURN)) &&
               isnan(rowset_cell_num(rs, 1, SIGNAL_TREND)),
           "no data: no burn rate, no last sample");
    tap_ok(rowset_cells(rs, 1)[SIGNAL_BURN].tone == TONE_MUTED, "no data: muted");
    tap_is_str(detail_value(rs, 1, "burn 1h", buf, sizeof buf), "no data", "detail: no data");
    rowset_destroy(rs);
}

int main(void)
{
    test_workbook();
    test_lights();
    test_row();
    return tap_done();
}
