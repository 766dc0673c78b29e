/*
 * The Signals of a prometheus backend's services without a server: the
 * service keys and their PromQL (defaults, labels, window, sloth's names,
 * overrides and their placeholders), the one batched instant query and the
 * one range query, their tags, and the answers: captured from Prometheus 2.42
 * (prometheus_instant.json, prometheus_bad_data.json: argv[1] is their
 * directory) and constructed ones for what a server rarely says ("NaN",
 * "+Inf", "-Inf", a tag twice, foreign tags, wrong shapes, gaps in a series),
 * garbage, truncated and huge answers. The rows come out of slo_row().
 */
#include "../../backends/prometheus_service.h"
#include "../../backends/prometheus_signals.h"
#include "../../common/spark.h"
#include "../../common/util.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixture_dir = "tests/fixtures/signals";

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what)) {
        n++;
    }
    return n;
}

/* checkout: the defaults and a saturation; payments: rules = sloth. */
static struct prom_signals *two_services(void)
{
    static const char *const kv[][2] = {
        {"service", "checkout"},
        {"service.checkout.saturation",
         "max(process_open_fds{{{labels}}}) / max(process_max_fds{{{labels}}})"},
        {"service", "payments"},
        {"service.payments.rules", "sloth"},
    };
    struct prom_signals *ps = prom_signals_create();
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        char *cause = NULL;
        if (prom_signals_configure(ps, kv[i][0], kv[i][1], &cause) != 1) {
            tap_diag("%s = %s: %s", kv[i][0], kv[i][1], cause);
            free(cause);
        }
    }
    return ps;
}

static void test_templates(void)
{
    char *cause = NULL;
    char *q = prom_template_expand("x{{{labels}}}[{{window}}] {{labels}}", "a=\"b\"", "1h", &cause);
    tap_is_str(q, "x{a=\"b\"}[1h] a=\"b\"", "{{labels}} and {{window}}, braces around them kept");
    free(q);
    q = prom_template_expand("rate(x{{{lables}}}[5m])", "a=\"b\"", "5m", &cause);
    tap_ok(q == NULL && cause != NULL && strstr(cause, "'{{lables}}'") != NULL,
           "an unknown placeholder is refused, named: %s", cause ? cause : "(none)");
    free(cause);
    cause = NULL;
    q = prom_template_expand("{x=~\"{{.*}}\"} {{ labels }}", "l", "w", &cause);
    tap_is_str(q, "{x=~\"{{.*}}\"} {{ labels }}",
               "braces that are no placeholder stay as they are");
    free(q);

    char buf[24];
    const struct {
        int64_t s;
        const char *want;
    } d[] = {{2592000, "30d"}, {86400 * 28, "28d"}, {7200, "2h"}, {5400, "90m"}, {45, "45s"}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        prom_duration(buf, sizeof buf, d[i].s);
        tap_is_str(buf, d[i].want, "prom_duration");
    }
}

static void test_service_keys(void)
{
    struct prom_service s;
    prom_service_init(&s, "checkout");
    char *q = prom_service_signal(&s, SLO_SIG_TRAFFIC);
    tap_is_str(q, "sum(rate(http_requests_total{service=\"checkout\"}[5m]))",
               "default traffic over service=\"NAME\"");
    free(q);
    q = prom_service_signal(&s, SLO_SIG_ERRORS);
    tap_is_str(q,
               "(sum(rate(http_requests_total{service=\"checkout\",code=~\"5..\"}[5m])) or "
               "vector(0)) / sum(rate(http_requests_total{service=\"checkout\"}[5m]))",
               "default errors: the 5xx ratio over 5m (no 5xx series: 0)");
    free(q);
    q = prom_service_signal(&s, SLO_SIG_P99);
    tap_is_str(q,
               "histogram_quantile(0.99, sum by (le) "
               "(rate(http_request_duration_seconds_bucket{service=\"checkout\"}[5m])))",
               "default p99 from the histogram's buckets");
    free(q);
    tap_ok(prom_service_signal(&s, SLO_SIG_SATURATION) == NULL, "no saturation by default");
    bool left = true;
    q = prom_service_budget(&s, &left);
    tap_ok(!left && strstr(q, "[30d]") != NULL, "the budget: the error ratio over 30d");
    free(q);
    tap_ok(prom_service_objective(&s) == 0.999, "objective 99.9 by default");
    tap_ok(prom_service_objective_query(&s) == NULL, "no objective query without sloth");

    char *cause = NULL;
    const struct {
        const char *key, *value, *error;
    } bad[] = {
        {"objective", "100", "bad objective '100'"},
        {"objective", "0", "bad objective '0'"},
        {"objective", "high", "bad objective 'high'"},
        {"objective", "-5", "bad objective"},
        {"window", "59m", "bad window '59m'"},
        {"window", "soon", "bad window 'soon'"},
        {"rules", "pyrra", "rules = pyrra is not supported"},
        {"rules", "openslo", "bad rules 'openslo'"},
        {"labels", "{service=\"x\"}", "without braces"},
        {"labels", "", "bad labels"},
        {"p99", "", "empty query for 'p99'"},
        {"errors", "rate(x[{{windw}}])", "unknown placeholder '{{windw}}'"},
        {"colour", "red", "unknown key 'colour' in [service \"checkout\"]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok = prom_service_key(&s, bad[i].key, bad[i].value, &cause);
        tap_ok(!ok && cause != NULL && strstr(cause, bad[i].error) != NULL, "%s = %s: %s",
               bad[i].key, bad[i].value, cause != NULL ? cause : "(accepted)");
        free(cause);
        cause = NULL;
    }
    tap_ok(prom_service_objective(&s) == 0.999, "a refused objective leaves the default");

    tap_ok(prom_service_key(&s, "objective", "99.95", &cause), "objective 99.95");
    tap_ok(fabs(prom_service_objective(&s) - 0.9995) < 1e-12, "is 0.9995");
    tap_ok(prom_service_key(&s, "window", "28d", &cause), "window 28d");
    tap_ok(prom_service_key(&s, "labels", "job=\"shop\",env=\"prod\"", &cause), "labels");
    tap_ok(prom_service_key(
               &s, "errors",
               "sum(rate(e{{{labels}}}[{{window}}])) / sum(rate(t{{{labels}}}[{{window}}]))",
               &cause),
           "an errors override with {{window}}");
    q = prom_service_ratio(&s, SLO_1D);
    tap_is_str(
        q,
        "sum(rate(e{job=\"shop\",env=\"prod\"}[1d])) / sum(rate(t{job=\"shop\",env=\"prod\"}[1d]))",
        "the override over a window of the lights, with the labels");
    free(q);
    q = prom_service_budget(&s, &left);
    tap_ok(strstr(q, "[28d]") != NULL, "the budget over the configured window: %s", q);
    free(q);
    q = prom_service_signal(&s, SLO_SIG_TRAFFIC);
    tap_is_str(q, "sum(rate(http_requests_total{job=\"shop\",env=\"prod\"}[5m]))",
               "labels go into the defaults");
    free(q);
    prom_service_finish(&s);

    prom_service_init(&s, "payments");
    tap_ok(prom_service_key(&s, "rules", "sloth", &cause) &&
               prom_service_key(&s, "slo", "requests-availability", &cause),
           "rules = sloth, slo = requests-availability");
    q = prom_service_ratio(&s, SLO_6H);
    tap_is_str(q,
               "max(slo:sli_error:ratio_rate6h{sloth_service=\"payments\",sloth_slo=\"requests-"
               "availability\"})",
               "sloth's ratio for 6h, by sloth_service and sloth_slo");
    free(q);
    q = prom_service_budget(&s, &left);
    tap_ok(left, "sloth gives the budget left itself");
    tap_is_str(q,
               "min(slo:period_error_budget_remaining:ratio{sloth_service=\"payments\","
               "sloth_slo=\"requests-availability\"})",
               "slo:period_error_budget_remaining:ratio");
    free(q);
    q = prom_service_objective_query(&s);
    tap_is_str(q,
               "max(slo:objective:ratio{sloth_service=\"payments\",sloth_slo=\"requests-"
               "availability\"})",
               "the objective from slo:objective:ratio when the config has none");
    free(q);
    q = prom_service_window_query(&s);
    tap_ok(q != NULL && strstr(q, "slo:time_period:days") != NULL, "the window from sloth too");
    free(q);
    tap_ok(prom_service_key(&s, "objective", "99", &cause), "objective 99 set");
    tap_ok(prom_service_objective_query(&s) == NULL, "then the config's objective wins");
    q = prom_service_signal(&s, SLO_SIG_P50);
    tap_ok(strstr(q, "{service=\"payments\"}") != NULL,
           "latency under sloth: the default query over the service's labels");
    free(q);
    prom_service_finish(&s);
}

static void test_configure(void)
{
    struct prom_signals *ps = prom_signals_create();
    char *cause = NULL;
    tap_is_int(prom_signals_configure(ps, "url", "http://x", &cause), 0,
               "not a service key: left to the backend");
    tap_is_int(prom_signals_configure(ps, "service.checkout.labels", "a=\"b\"", &cause), -1,
               "a key of an undeclared service");
    tap_ok(cause != NULL && strstr(cause, "no such service") != NULL, "says so: %s", cause);
    free(cause);
    cause = NULL;
    tap_is_int(prom_signals_configure(ps, "service", "checkout", &cause), 1, "service = checkout");
    tap_is_int(prom_signals_configure(ps, "service", "checkout", &cause), -1, "twice: refused");
    free(cause);
    cause = NULL;
    tap_is_int(prom_signals_configure(ps, "service", "a\"b", &cause), -1, "a bad name: refused");
    free(cause);
    cause = NULL;
    tap_is_int(prom_signals_configure(ps, "service.checkout.objective", "101", &cause), -1,
               "a bad value: refused");
    tap_ok(cause != NULL && strstr(cause, "bad objective") != NULL, "with the service's message");
    free(cause);
    cause = NULL;
    tap_is_int((long long)prom_signals_count(ps), 1, "one service");
    prom_signals_destroy(ps);
    prom_signals_destroy(NULL);
}

static void test_queries(void)
{
    struct prom_signals *ps = two_services();
    char *q = prom_signals_instant_query(ps);
    /* checkout: traffic p50 p99 saturation + 7 ratios + budget = 12; payments: 3 + 7 + budget,
       objective, window = 13 */
    tap_is_int((long long)count_of(q, "label_replace("), 25, "25 subqueries in one instant query");
    tap_is_int((long long)count_of(q, ") or label_replace("), 24, "joined with or");
    tap_ok(strstr(q, "label_replace(sum(rate(http_requests_total{service=\"checkout\"}[5m])), "
                     "\"opsdeck_q\", \"0:traffic\", \"\", \"\")") != NULL,
           "each tagged with label_replace(Q, \"opsdeck_q\", \"<i>:<what>\", \"\", \"\")");
    tap_ok(strstr(q, "label_replace(max(slo:sli_error:ratio_rate3d{sloth_service=\"payments\"}), "
                     "\"opsdeck_q\", \"1:r3d\"") != NULL,
           "sloth's 3d ratio tagged 1:r3d");
    tap_ok(strstr(q, "\"0:saturation\"") != NULL && strstr(q, "\"1:saturation\"") == NULL,
           "saturation only where configured");
    static const char *const windows[] = {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"};
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "[%s]))", windows[i]);
        tap_ok(strstr(q, want) != NULL, "checkout's ratio over %s is asked", windows[i]);
    }
    free(q);
    q = prom_signals_range_query(ps);
    tap_is_int((long long)count_of(q, "label_replace("), 9, "9 series in one range query");
    tap_ok(strstr(q, "\"0:errors\"") != NULL && strstr(q, "\"1:p99\"") != NULL &&
               strstr(q, "r5m") == NULL,
           "the series are the signals (errors, p99...), not the windows");
    free(q);
    prom_signals_destroy(ps);

    ps = prom_signals_create();
    q = prom_signals_instant_query(ps);
    tap_is_str(q, "", "no service: no query");
    free(q);
    prom_signals_destroy(ps);
}

static double cell(const struct rowset *rs, size_t row, int col)
{
    return rowset_cell_num(rs, row, col);
}

static bool near(double got, double want)
{
    return fabs(got - want) <= 1e-9 * fmax(fabs(want), 1e-12);
}

static const char *detail(const struct rowset *rs, size_t row, const char *key, char *buf,
                          size_t len)
{
    const char *d = rowset_str(rs, rs->rows[row].detail);
    size_t kl = strlen(key);
    for (const char *p = d; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '\t') {
            snprintf(buf, len, "%.*s", (int)(n - kl - 1), p + kl + 1);
            return buf;
        }
        p += n + (nl != NULL);
    }
    return NULL;
}

static void test_real_answer(void)
{
    struct prom_signals *ps = two_services();
    struct prom_answer *a = prom_answer_create(ps);
    size_t len;
    char *body = tap_fixture(fixture_dir, "prometheus_instant.json", &len);
    char *cause = NULL;
    tap_ok(prom_answer_instant(a, body, len, &cause), "Prometheus 2.42's answer parses");
    free(body);
    struct rowset *rs = rowset_create(MODEL_SIGNALS, "prom");
    prom_answer_rows(a, rs);
    tap_is_int((long long)rs->nrows, 2, "one row per service");
    tap_is_str(rowset_key(rs, 0), "checkout", "in config order: checkout");
    tap_is_str(rowset_key(rs, 1), "payments", "then payments");
    tap_ok(near(cell(rs, 0, SIGNAL_TRAFFIC), 1.766621111111107), "REQ/s as Prometheus said");
    tap_ok(near(cell(rs, 0, SIGNAL_ERRORS), 5.000000000000006), "ERR%% = the 5m ratio x 100");
    tap_ok(near(cell(rs, 0, SIGNAL_P50), 82.2433459530644), "P50ms = seconds x 1000");
    tap_ok(near(cell(rs, 0, SIGNAL_P99), 619.0221527342045), "P99ms");
    tap_ok(isnan(cell(rs, 0, SIGNAL_SATURATION)) &&
               strcmp(rowset_cell_text(rs, 0, SIGNAL_SATURATION), "") == 0,
           "saturation: its series is missing, so no data (empty, NaN)");
    tap_ok(near(cell(rs, 0, SIGNAL_BUDGET), (1 - 0.05000000000000006 / (1 - 0.999)) * 100),
           "BUDGET from the 30d ratio: overspent, %g", cell(rs, 0, SIGNAL_BUDGET));
    tap_ok(near(cell(rs, 0, SIGNAL_BURN), 0.050000000000000065 / (1 - 0.999)),
           "BURN's number is the 1h burn rate");
    tap_is_str(rowset_cell_text(rs, 0, SIGNAL_BURN), "PPTT",
               "at 50x both page pairs page, both ticket pairs ticket");
    tap_ok(near(cell(rs, 1, SIGNAL_OBJECTIVE), 99.5), "payments: sloth's objective, 99.5");
    tap_ok(near(cell(rs, 1, SIGNAL_BUDGET), 75), "payments: sloth's budget left, 75 %%");
    tap_ok(near(cell(rs, 1, SIGNAL_ERRORS), 2.0000000000000056), "payments: sloth's 5m ratio");
    tap_is_str(rowset_cell_text(rs, 1, SIGNAL_BURN), "????",
               "payments: its other windows were not recorded: no data, never ok");
    char buf[512];
    tap_is_str(detail(rs, 1, "window", buf, sizeof buf), "30d",
               "payments: no slo:time_period:days answer, the default window");
    tap_is_str(detail(rs, 0, "query traffic", buf, sizeof buf),
               "sum(rate(http_requests_total{service=\"checkout\"}[5m]))",
               "the query behind each signal is in the row for Enter");
    tap_ok(detail(rs, 0, "query saturation", buf, sizeof buf) != NULL,
           "the saturation query too, though it had no data");
    rowset_destroy(rs);
    prom_answer_destroy(a);
    prom_signals_destroy(ps);
}

static void test_values(void)
{
    struct prom_signals *ps = two_services();
    struct prom_answer *a = prom_answer_create(ps);
    size_t len;
    char *body = tap_fixture(fixture_dir, "values.json", &len);
    char *cause = NULL;
    tap_ok(prom_answer_instant(a, body, len, &cause), "odd values and foreign entries parse");
    free(body);
    body = tap_fixture(fixture_dir, "range.json", &len);
    tap_ok(prom_answer_range(a, body, len, 1000, 60, &cause), "a range answer with gaps");
    free(body);
    struct rowset *rs = rowset_create(MODEL_SIGNALS, "prom");
    prom_answer_rows(a, rs);
    tap_ok(isnan(cell(rs, 0, SIGNAL_TRAFFIC)), "\"NaN\" is no data");
    tap_ok(strcmp(rowset_cell_text(rs, 0, SIGNAL_P50), "") == 0, "\"+Inf\" shows as no data");
    tap_ok(strcmp(rowset_cell_text(rs, 0, SIGNAL_P99), "") == 0, "\"-Inf\" too");
    tap_ok(near(cell(rs, 0, SIGNAL_ERRORS), 1), "\"1e-02\" is 1 %%");
    tap_ok(isnan(cell(rs, 0, SIGNAL_BURN)), "a tag answered twice (r1h) is no data");
    char buf[4096];
    tap_is_str(detail(rs, 0, "burn 30m", buf, sizeof buf), "no data",
               "a number instead of a string is no data");
    tap_is_str(detail(rs, 0, "burn 2h", buf, sizeof buf), "no data", "\"0,5\" is no number");
    tap_is_str(detail(rs, 0, "burn 6h", buf, sizeof buf), "no data",
               "a timestamp in a string: the sample is skipped");
    tap_is_str(detail(rs, 0, "burn 1d", buf, sizeof buf), "no data", "a pair without a value");
    tap_is_str(detail(rs, 0, "burn 3d", buf, sizeof buf), "no data", "a triple");
    tap_ok(near(cell(rs, 0, SIGNAL_BUDGET), 50),
           "window ratio 0.0005 of a 0.001 budget: 50 %% left");
    tap_ok(near(cell(rs, 1, SIGNAL_TRAFFIC), 250) && near(cell(rs, 1, SIGNAL_ERRORS), 0),
           "service 1 read, foreign tags (7:, 0:bogus, -1:, 0x:, none) ignored");
    tap_ok(near(cell(rs, 1, SIGNAL_OBJECTIVE), 99.9),
           "no objective answered for sloth: the default");

    const char *trend = rowset_cell_text(rs, 0, SIGNAL_TREND);
    double v[PROM_SAMPLES + 5];
    size_t n = spark_parse(trend, v, PROM_SAMPLES + 5);
    tap_is_int((long long)n, PROM_SAMPLES, "the ERRORS 1h series has 61 samples");
    tap_ok(n == PROM_SAMPLES && near(v[0], 1) && near(v[1], 2) && isnan(v[2]) && isnan(v[3]) &&
               near(v[4], 4) && isnan(v[30]) && near(v[60], 5),
           "in %%, each at its step, missing steps and \"NaN\" as gaps: %s", trend);
    tap_ok(near(cell(rs, 0, SIGNAL_TREND), 5), "the cell's number is the newest sample");
    tap_ok(detail(rs, 0, "series traffic", buf, sizeof buf) != NULL &&
               strstr(buf, "nan 10") != NULL && spark_parse(buf, v, PROM_SAMPLES) == PROM_SAMPLES,
           "traffic: out-of-range and bad samples dropped, the last at the last step");
    tap_ok(detail(rs, 0, "series p99", buf, sizeof buf) == NULL, "p99 answered twice: no series");
    tap_ok(detail(rs, 1, "series p50", buf, sizeof buf) == NULL, "values that are no array: none");
    tap_ok(detail(rs, 1, "series errors", buf, sizeof buf) != NULL && strstr(buf, " 0.1") != NULL,
           "payments' errors series in %%: %s", buf);
    rowset_destroy(rs);
    prom_answer_destroy(a);
    prom_signals_destroy(ps);
}

static void expect_error(struct prom_signals *ps, bool range, const char *body, size_t len,
                         const char *want, const char *what)
{
    struct prom_answer *a = prom_answer_create(ps);
    char *cause = NULL;
    bool ok = range ? prom_answer_range(a, body, len, 0, 60, &cause)
                    : prom_answer_instant(a, body, len, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, want) != NULL, "%s: %s", what,
           cause != NULL ? cause : "(accepted)");
    free(cause);
    prom_answer_destroy(a);
}

static void test_errors(void)
{
    struct prom_signals *ps = two_services();
    size_t len;
    char *body = tap_fixture(fixture_dir, "prometheus_bad_data.json", &len);
    expect_error(ps, false, body, len,
                 "Prometheus error (bad_data): invalid parameter \"query\": 1:19: parse error: "
                 "unclosed left parenthesis",
                 "Prometheus's own error, its text");
    free(body);
    body = tap_fixture(fixture_dir, "wrong_type.json", &len);
    expect_error(ps, false, body, len, "expected resultType vector, got scalar", "a scalar");
    free(body);
    body = tap_fixture(fixture_dir, "prometheus_instant.json", &len);
    expect_error(ps, true, body, len, "expected resultType matrix, got vector",
                 "a vector where a matrix is due");
    expect_error(ps, false, body, len / 2, "", "truncated");
    free(body);
    body = tap_fixture(fixture_dir, "range.json", &len);
    expect_error(ps, false, body, len, "expected resultType vector, got matrix",
                 "a matrix where a vector is due");
    free(body);
    const char garbage[] = "\x89PNG\r\n\x1a\n\0\0garbage";
    expect_error(ps, false, garbage, sizeof garbage - 1, "", "garbage");
    expect_error(ps, false, "", 0, "", "an empty body");
    expect_error(ps, false, "[]", 2, "expected a JSON object", "an array");
    expect_error(ps, false, "{\"status\":\"success\"}", 20, "no data.resultType",
                 "success without data");
    expect_error(ps, false, "{\"data\":{}}", 11, "no status", "no status");
    expect_error(ps, false, "{\"status\":\"weird\"}", 18, "unexpected status 'weird'",
                 "an unknown status");
    expect_error(ps, false, "{\"status\":\"error\"}", 18, "Prometheus error (unknown): no message",
                 "an error without its text");

    /* huge: 200,000 entries, every one foreign but the last */
    struct strbuf sb = {0};
    strbuf_str(&sb, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int i = 0; i < 200000; i++) {
        strbuf_printf(&sb, "{\"metric\":{\"opsdeck_q\":\"%d:traffic\"},\"value\":[1,\"%d\"]},",
                      i + 2, i);
    }
    strbuf_str(&sb, "{\"metric\":{\"opsdeck_q\":\"0:traffic\"},\"value\":[1,\"42\"]}]}}");
    struct prom_answer *a = prom_answer_create(ps);
    char *cause = NULL;
    tap_ok(prom_answer_instant(a, sb.s, sb.n, &cause), "a huge answer (%zu MB) parses", sb.n >> 20);
    struct rowset *rs = rowset_create(MODEL_SIGNALS, "prom");
    prom_answer_rows(a, rs);
    tap_ok(rs->nrows == 2 && near(cell(rs, 0, SIGNAL_TRAFFIC), 42), "and only its own tags count");
    rowset_destroy(rs);
    prom_answer_destroy(a);
    free(sb.s);
    free(cause);
    prom_signals_destroy(ps);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixture_dir = argv[1];
    }
    test_templates();
    test_service_keys();
    test_configure();
    test_queries();
    test_real_answer();
    test_values();
    test_errors();
    return tap_done();
}
