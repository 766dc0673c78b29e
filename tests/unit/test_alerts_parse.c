/*
 * The Alertmanager and Prometheus alert parsers: real responses captured from
 * Alertmanager 0.25 and Prometheus 2.42 (argv[1] is their directory), then
 * everything a broken or hostile server could send. Also the shared helpers
 * (RFC 3339, label fingerprints) and the backends' configuration keys. The
 * silences parser too, on a real response and on a mix built from real shapes.
 */
#include "../../backends/alertmanager.h"
#include "../../common/clock.h"
#include "../../common/json.h"
#include "../../backends/prometheus.h"
#include "../../common/util.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-23T09:30:00Z, a quarter of an hour after the fixtures' alerts started. */
static const int64_t NOW = 1795426200;
static const int64_t STARTED = 1795425179;   /* 2026-11-23T09:12:59Z */
static const int64_t ACTIVE_AT = 1795425231; /* 2026-11-23T09:13:51.913613353Z */

static const char *fixture_dir = "tests/fixtures/alerts";

static char *read_fixture(const char *name, size_t *len)
{
    return tap_fixture(fixture_dir, name, len);
}

/* Parse text with the Alertmanager parser; NULL (and *cause) on failure. */
static struct rowset *am_parse_len(const char *text, size_t len, char **cause)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    *cause = NULL;
    if (!alertmanager_parse_alerts(text, len, rs, NOW, cause)) {
        rowset_destroy(rs);
        return NULL;
    }
    return rs;
}

static struct rowset *am_parse(const char *text, char **cause)
{
    return am_parse_len(text, strlen(text), cause);
}

static struct rowset *prom_parse(const char *text, char **cause)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, "prom");
    *cause = NULL;
    if (!prometheus_parse_alerts(text, strlen(text), rs, cause)) {
        rowset_destroy(rs);
        return NULL;
    }
    return rs;
}

/* The value of a detail line, or NULL; the caller frees. */
static char *detail(const struct rowset *rs, size_t row, const char *key)
{
    const char *d = rowset_str(rs, rs->rows[row].detail);
    size_t kl = strlen(key);
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        size_t n = nl != NULL ? (size_t)(nl - d) : strlen(d);
        if (n > kl && strncmp(d, key, kl) == 0 && d[kl] == '\t') {
            return xstrndup(d + kl + 1, n - kl - 1);
        }
        d += n + (nl != NULL ? 1 : 0);
    }
    return NULL;
}

static void is_detail(const struct rowset *rs, size_t row, const char *key, const char *want,
                      const char *what)
{
    char *got = detail(rs, row, key);
    tap_is_str(got, want, what);
    free(got);
}

static int cell_tone(const struct rowset *rs, size_t row, int col)
{
    return rowset_cells(rs, row)[col].tone;
}

static void is_cell(const struct rowset *rs, size_t row, int col, const char *want,
                    const char *what)
{
    tap_is_str(rowset_cell_text(rs, row, col), want, what);
}

static void is_failure(struct rowset *rs, char *cause, const char *want, const char *what)
{
    tap_ok(rs == NULL, "%s: refused", what);
    tap_ok(cause != NULL && strstr(cause, want) != NULL, "%s: says '%s'", what, want);
    if (cause != NULL && strstr(cause, want) == NULL) {
        tap_diag("cause: %s", cause);
    }
    rowset_destroy(rs);
    free(cause);
}

static void am_fails_len(const char *text, size_t len, const char *want, const char *what)
{
    char *cause = NULL;
    struct rowset *rs = am_parse_len(text, len, &cause);
    is_failure(rs, cause, want, what);
}

static void am_fails(const char *text, const char *want, const char *what)
{
    am_fails_len(text, strlen(text), want, what);
}

static void prom_fails(const char *text, const char *want, const char *what)
{
    char *cause = NULL;
    struct rowset *rs = prom_parse(text, &cause);
    is_failure(rs, cause, want, what);
}

/* ---- Alertmanager, real responses ---- */

static void test_am_silenced_row(const struct rowset *rs)
{
    tap_is_str(rowset_key(rs, 0), "32d7b7cb7d16b511", "silenced: key is the fingerprint");
    is_cell(rs, 0, ALERT_SEV, "warning", "silenced: SEV");
    is_cell(rs, 0, ALERT_NAME, "QueueBacklog", "silenced: ALERT");
    is_cell(rs, 0, ALERT_STATE, "silenced", "silenced: STATE");
    tap_is_int((long long)rowset_cell_num(rs, 0, ALERT_AGE), STARTED, "silenced: AGE is startsAt");
    is_cell(rs, 0, ALERT_TARGET, "service=orders queue=orders.created", "silenced: TARGET");
    is_cell(rs, 0, ALERT_SUMMARY, "orders.created has > 10k ready messages", "silenced: SUMMARY");
    is_cell(rs, 0, ALERT_SOURCE, "am", "silenced: SOURCE is the backend");
    tap_is_int(rs->rows[0].tone, TONE_MUTED, "silenced: the row is muted");
    tap_is_int(cell_tone(rs, 0, ALERT_STATE), TONE_MUTED, "silenced: so is its STATE");
    tap_is_int(cell_tone(rs, 0, ALERT_SEV), TONE_WARN, "silenced: SEV keeps the severity's tone");
    is_detail(rs, 0, "silencedBy", "682b4414-5ca5-4d74-adce-36f5a74bc292",
              "silenced: detail silencedBy");
    is_detail(rs, 0, "inhibitedBy", NULL, "silenced: no inhibitedBy line");
    is_detail(rs, 0, "label.queue", "orders.created", "silenced: detail label.queue");
    is_detail(rs, 0, "label.alertname", "QueueBacklog", "silenced: detail label.alertname");
    is_detail(rs, 0, "annotation.summary", "orders.created has > 10k ready messages",
              "silenced: detail annotation.summary");
    is_detail(rs, 0, "startsAt", "2026-11-23T09:12:59.000Z", "silenced: detail startsAt");
    is_detail(rs, 0, "endsAt", "2026-11-23T10:12:59.000Z", "silenced: detail endsAt");
    is_detail(rs, 0, "updatedAt", "2026-11-23T09:12:59.798Z", "silenced: detail updatedAt");
    is_detail(rs, 0, "fingerprint", "32d7b7cb7d16b511", "silenced: detail fingerprint");
    is_detail(rs, 0, "receivers", "null", "silenced: detail receivers");
    is_detail(rs, 0, "status", "suppressed", "silenced: detail status");
}

static void test_am_inhibited_row(const struct rowset *rs)
{
    tap_is_str(rowset_key(rs, 1), "bfb63050ae783a8e", "inhibited: key");
    is_cell(rs, 1, ALERT_NAME, "HighLatencyP99", "inhibited: ALERT");
    is_cell(rs, 1, ALERT_STATE, "inhibited", "inhibited: STATE");
    is_cell(rs, 1, ALERT_TARGET, "instance=lb-1:443 service=checkout", "inhibited: TARGET");
    tap_is_int(rs->rows[1].tone, TONE_MUTED, "inhibited: the row is muted");
    is_detail(rs, 1, "inhibitedBy", "f3487ba69fc1f735", "inhibited: detail inhibitedBy");
    is_detail(rs, 1, "silencedBy", NULL, "inhibited: no silencedBy line");
    is_detail(rs, 1, "generatorURL", NULL, "inhibited: no generatorURL line when absent");
}

static void test_am_firing_row(const struct rowset *rs)
{
    tap_is_str(rowset_key(rs, 2), "f3487ba69fc1f735", "firing: key");
    is_cell(rs, 2, ALERT_SEV, "critical", "firing: SEV");
    is_cell(rs, 2, ALERT_NAME, "HighErrorRate", "firing: ALERT");
    is_cell(rs, 2, ALERT_STATE, "firing", "firing: STATE");
    is_cell(rs, 2, ALERT_SUMMARY, "5xx ratio above 5% for checkout", "firing: SUMMARY");
    tap_is_int(rs->rows[2].tone, TONE_CRIT, "firing: a critical row is crit");
    tap_is_int(cell_tone(rs, 2, ALERT_SEV), TONE_CRIT, "firing: SEV is crit");
    tap_is_int(cell_tone(rs, 2, ALERT_STATE), TONE_NORMAL, "firing: STATE has no tone of its own");
    is_detail(rs, 2, "annotation.runbook_url", "https://runbooks.example/checkout-5xx",
              "firing: detail annotation.runbook_url");
    is_detail(rs, 2, "generatorURL", "http://127.0.0.1:9090/graph?g0.expr=...",
              "firing: detail generatorURL");
    is_detail(rs, 2, "label.severity", "critical", "firing: detail label.severity");
    is_detail(rs, 2, "status", "active", "firing: detail status");
}

static void test_am_fixtures(void)
{
    size_t len;
    char *cause;
    char *text = read_fixture("alertmanager_alerts.json", &len);
    struct rowset *rs = am_parse_len(text, len, &cause);
    tap_ok(rs != NULL, "alertmanager_alerts.json parses");
    if (rs == NULL) {
        tap_diag("cause: %s", cause);
        exit(1);
    }
    tap_is_int((long long)rs->nrows, 3, "three alerts");
    test_am_silenced_row(rs);
    test_am_inhibited_row(rs);
    test_am_firing_row(rs);
    rowset_destroy(rs);
    free(text);

    text = read_fixture("alertmanager_alerts_active_only.json", &len);
    rs = am_parse_len(text, len, &cause);
    tap_ok(rs != NULL && rs->nrows == 1, "active only: one alert");
    if (rs != NULL && rs->nrows == 1) {
        is_cell(rs, 0, ALERT_STATE, "firing", "active only: firing");
        tap_is_int(rs->rows[0].tone, TONE_CRIT, "active only: crit");
    }
    rowset_destroy(rs);
    free(text);
}

/* ---- Prometheus, real responses ---- */

static void test_prom_fixture(void)
{
    size_t len;
    char *cause;
    char *text = read_fixture("prometheus_alerts.json", &len);
    struct rowset *rs = prom_parse(text, &cause);
    tap_ok(rs != NULL, "prometheus_alerts.json parses");
    if (rs == NULL) {
        tap_diag("cause: %s", cause);
        exit(1);
    }
    tap_is_int((long long)rs->nrows, 3, "three alerts");
    tap_is_str(rowset_key(rs, 0), "5b769cbb1bf37009", "TargetDown: key is the label fingerprint");
    is_cell(rs, 0, ALERT_SEV, "critical", "TargetDown: SEV");
    is_cell(rs, 0, ALERT_NAME, "TargetDown", "TargetDown: ALERT");
    is_cell(rs, 0, ALERT_STATE, "firing", "TargetDown: STATE");
    tap_is_int((long long)rowset_cell_num(rs, 0, ALERT_AGE), ACTIVE_AT,
               "TargetDown: AGE is activeAt (nanoseconds dropped)");
    is_cell(rs, 0, ALERT_TARGET, "instance=127.0.0.1:15692 job=rabbitmq", "TargetDown: TARGET");
    is_cell(rs, 0, ALERT_SUMMARY, "rabbitmq target 127.0.0.1:15692 is down", "TargetDown: SUMMARY");
    is_cell(rs, 0, ALERT_SOURCE, "prom", "TargetDown: SOURCE");
    tap_is_int(rs->rows[0].tone, TONE_CRIT, "TargetDown: crit");
    is_detail(rs, 0, "value", "0e+00", "TargetDown: detail value");
    is_detail(rs, 0, "state", "firing", "TargetDown: detail state");
    is_detail(rs, 0, "activeAt", "2026-11-23T09:13:51.913613353Z", "TargetDown: detail activeAt");
    is_detail(rs, 0, "label.job", "rabbitmq", "TargetDown: detail label.job");
    is_detail(rs, 0, "annotation.runbook_url", "https://runbooks.example/target-down",
              "TargetDown: detail annotation.runbook_url");

    tap_is_str(rowset_key(rs, 1), "97caaa8d129624a0",
               "AlwaysFiringDemo: key equals Alertmanager's fingerprint of the same alert");
    is_cell(rs, 1, ALERT_TARGET, "service=console-demo", "AlwaysFiringDemo: TARGET");
    tap_is_int(rs->rows[1].tone, TONE_INFO, "AlwaysFiringDemo: info");

    tap_is_str(rowset_key(rs, 2), "f3a7d93effd3efbf", "PendingDemo: key");
    is_cell(rs, 2, ALERT_STATE, "pending", "PendingDemo: STATE");
    tap_is_int(rs->rows[2].tone, TONE_INFO, "PendingDemo: a pending row is info");
    tap_is_int(cell_tone(rs, 2, ALERT_STATE), TONE_WARN, "PendingDemo: its STATE is warn");
    tap_is_int(cell_tone(rs, 2, ALERT_SEV), TONE_WARN, "PendingDemo: SEV warning is warn");
    is_cell(rs, 2, ALERT_TARGET, "", "PendingDemo: no target labels, empty TARGET");
    rowset_destroy(rs);
    free(text);

    text = read_fixture("alertmanager_alerts_from_prometheus.json", &len);
    rs = am_parse_len(text, len, &cause);
    tap_ok(rs != NULL && rs->nrows == 1 && strcmp(rowset_key(rs, 0), "97caaa8d129624a0") == 0,
           "the same alert through Alertmanager has the same key");
    rowset_destroy(rs);
    free(text);
}

/* ---- shared helpers ---- */

static void is_time(const char *s, bool ok, int64_t want)
{
    int64_t got = -1;
    bool parsed = clock_parse_rfc3339_s(s, &got);
    if (ok) {
        tap_ok(parsed && got == want, "time '%s' is %lld", s, (long long)want);
        if (!parsed || got != want) {
            tap_diag("parsed %d, got %lld", parsed, (long long)got);
        }
    } else {
        tap_ok(!parsed && got == -1, "time '%s' is refused", s);
    }
}

static void test_times(void)
{
    is_time("2026-11-23T09:12:59Z", true, STARTED);
    is_time("2026-11-23T09:12:59.000Z", true, STARTED);
    is_time("2026-11-23T09:12:59.999999999Z", true, STARTED);
    is_time("2026-11-23t09:12:59z", true, STARTED);
    is_time("2026-11-23 09:12:59Z", true, STARTED);
    is_time("2026-11-23T11:12:59+02:00", true, STARTED);
    is_time("2026-11-23T03:42:59-05:30", true, STARTED);
    is_time("2026-11-23T11:12:59+0200", true, STARTED);
    is_time("1970-01-01T00:00:00Z", true, 0);
    is_time("2024-02-29T00:00:00Z", true, 1709164800);
    is_time("2000-03-01T00:00:00Z", true, 951868800);
    is_time("0001-01-01T00:00:00Z", true, -62135596800LL);
    is_time("9999-12-31T23:59:59Z", true, 253402300799LL);
    is_time("2016-12-31T23:59:60Z", true, 1483228800);
    is_time("2023-02-29T00:00:00Z", false, 0);
    is_time("1900-02-29T00:00:00Z", false, 0);
    is_time("2026-13-01T00:00:00Z", false, 0);
    is_time("2026-00-01T00:00:00Z", false, 0);
    is_time("2026-11-31T00:00:00Z", false, 0);
    is_time("2026-11-23T24:00:00Z", false, 0);
    is_time("2026-11-23T09:60:00Z", false, 0);
    is_time("2026-11-23T09:12:59", false, 0);
    is_time("2026-11-23T09:12:59.Z", false, 0);
    is_time("2026-11-23T09:12:59Zjunk", false, 0);
    is_time("2026-11-23T09:12:59+24:00", false, 0);
    is_time("2026-11-23T09:12:59+02:", false, 0);
    is_time("2026-11-23", false, 0);
    is_time("26-11-23T09:12:59Z", false, 0);
    is_time("２026-11-23T09:12:59Z", false, 0);
    is_time("", false, 0);
    is_time(NULL, false, 0);
}

static void test_fingerprints(void)
{
    char *cause = NULL;
    struct rowset *a = am_parse("[{\"labels\":{\"b\":\"2\",\"a\":\"1\"}}]", &cause);
    struct rowset *b = am_parse("[{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}]", &cause);
    struct rowset *c =
        am_parse("[{\"labels\":{\"a\":\"12\"}},{\"labels\":{\"a1\":\"2\"}}]", &cause);
    tap_ok(a != NULL && b != NULL && c != NULL, "label sets without fingerprints parse");
    if (a != NULL && b != NULL && c != NULL) {
        tap_is_str(rowset_key(a, 0), rowset_key(b, 0),
                   "a missing fingerprint: hash of the labels, "
                   "whatever their order");
        tap_ok(strlen(rowset_key(a, 0)) == 16, "16 hex digits");
        tap_ok(strcmp(rowset_key(c, 0), rowset_key(c, 1)) != 0,
               "a=12 and a1=2 do not run into each other");
    }
    rowset_destroy(a);
    rowset_destroy(b);
    rowset_destroy(c);
}

/* ---- Alertmanager, bad input ---- */

static void test_am_garbage(void)
{
    char *cause = NULL;
    struct rowset *rs;
    am_fails("", "empty response", "empty body");
    am_fails("  \n ", "empty response", "blank body");
    am_fails("<html>502 Bad Gateway</html>", "invalid JSON at byte 0", "HTML");
    am_fails("{}", "expected a JSON array of alerts", "an object");
    am_fails("\"bad matcher format\"", "expected a JSON array of alerts",
             "a bare string (Alertmanager's 400 body)");
    am_fails("null", "expected a JSON array of alerts", "null");
    am_fails("[] []", "unexpected data after the JSON at byte 3", "trailing data");

    size_t len;
    char *text = read_fixture("alertmanager_alerts.json", &len);
    am_fails_len(text, len / 2, "invalid JSON", "truncated JSON");
    rs = am_parse_len("[]\0[garbage", 11, &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "a NUL ends the body");
    rowset_destroy(rs);
    free(text);

    char *deep = xmalloc(20001);
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    am_fails(deep, "invalid JSON", "nesting 10000 deep");
    free(deep);

    rs = am_parse("[]", &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "an empty array is no alerts");
    rowset_destroy(rs);
}

static void test_am_odd_alerts(void)
{
    char *cause;
    struct rowset *rs = am_parse("[1, \"x\", null, true, [], {}]", &cause);
    tap_ok(rs != NULL && rs->nrows == 1, "entries that are not objects are skipped");
    if (rs != NULL && rs->nrows == 1) {
        tap_is_str(rowset_key(rs, 0), "cbf29ce484222325", "no labels: the empty set's fingerprint");
        is_cell(rs, 0, ALERT_STATE, "firing", "no status: firing");
        is_cell(rs, 0, ALERT_NAME, "", "no labels: empty ALERT");
        tap_ok(rowset_cell_num(rs, 0, ALERT_AGE) == 0, "no startsAt: AGE 0");
        tap_is_int(rs->rows[0].tone, TONE_NORMAL, "no severity: normal");
    }
    rowset_destroy(rs);

    rs = am_parse("[{\"labels\":\"x\",\"annotations\":[1],\"fingerprint\":5,\"startsAt\":12,"
                  "\"status\":\"active\",\"receivers\":{\"name\":\"x\"},\"generatorURL\":{}}]",
                  &cause);
    tap_ok(rs != NULL && rs->nrows == 1, "fields of the wrong type count as missing");
    if (rs != NULL && rs->nrows == 1) {
        tap_is_str(rowset_key(rs, 0), "cbf29ce484222325", "a numeric fingerprint is ignored");
        is_detail(rs, 0, "receivers", NULL, "receivers that are not an array: no line");
        tap_ok(rowset_cell_num(rs, 0, ALERT_AGE) == 0, "a numeric startsAt: AGE 0");
    }
    rowset_destroy(rs);

    rs = am_parse("[{\"fingerprint\":\"f\",\"labels\":{\"alertname\":\"A\",\"severity\":7,"
                  "\"instance\":null,\"pod\":\"p1\"},\"status\":{\"silencedBy\":[1,null,\"\"],"
                  "\"inhibitedBy\":\"x\",\"state\":\"suppressed\"},\"startsAt\":\"yesterday\"}]",
                  &cause);
    tap_ok(rs != NULL && rs->nrows == 1, "labels and ids of the wrong type");
    if (rs != NULL && rs->nrows == 1) {
        is_cell(rs, 0, ALERT_NAME, "A", "string labels are read");
        is_cell(rs, 0, ALERT_SEV, "", "a numeric severity is ignored");
        is_cell(rs, 0, ALERT_TARGET, "pod=p1", "a null instance is ignored");
        is_cell(rs, 0, ALERT_STATE, "suppressed", "suppressed without usable ids");
        tap_is_int(rs->rows[0].tone, TONE_MUTED, "and muted");
        tap_ok(rowset_cell_num(rs, 0, ALERT_AGE) == 0, "a bad startsAt: AGE 0");
        is_detail(rs, 0, "label.severity", NULL, "no detail line for a numeric label");
    }
    rowset_destroy(rs);
}

static void test_am_edges(void)
{
    char *cause;
    struct rowset *rs = am_parse("[{\"fingerprint\":\"f\"},{\"fingerprint\":\"f\"},"
                                 "{\"fingerprint\":\"f\"}]",
                                 &cause);
    tap_ok(rs != NULL && rs->nrows == 3, "duplicate fingerprints: every alert shows");
    if (rs != NULL && rs->nrows == 3) {
        tap_ok(strcmp(rowset_key(rs, 0), "f") == 0 && strcmp(rowset_key(rs, 1), "f~2") == 0 &&
                   strcmp(rowset_key(rs, 2), "f~3") == 0,
               "with unique keys f, f~2, f~3");
    }
    rowset_destroy(rs);

    rs = am_parse("[{\"startsAt\":\"2030-01-01T00:00:00Z\"},{\"startsAt\":1e999},"
                  "{\"startsAt\":\"-0001-01-01T00:00:00Z\"},{\"fingerprint\":\"x\","
                  "\"startsAt\":-1e308}]",
                  &cause);
    tap_ok(rs != NULL && rs->nrows == 4, "odd start times parse");
    if (rs != NULL && rs->nrows == 4) {
        tap_is_int((long long)rowset_cell_num(rs, 0, ALERT_AGE), NOW,
                   "a start in the future is now (server clock ahead)");
        tap_ok(rowset_cell_num(rs, 1, ALERT_AGE) == 0, "1e999 is not a time");
        tap_ok(rowset_cell_num(rs, 2, ALERT_AGE) == 0, "a negative year is not a time");
    }
    rowset_destroy(rs);

    char *big = xmalloc(200000);
    strcpy(big, "[{\"labels\":{\"alertname\":\"");
    memset(big + strlen(big), 'x', 100000);
    strcpy(big + strlen("[{\"labels\":{\"alertname\":\"") + 100000, "\"}}]");
    rs = am_parse(big, &cause);
    tap_ok(rs != NULL && rs->nrows == 1 && strlen(rowset_cell_text(rs, 0, ALERT_NAME)) == 100000,
           "a 100 kB label value is kept whole");
    rowset_destroy(rs);
    free(big);

    rs = am_parse("[{\"labels\":{\"alertname\":\"a\\u0000b\",\"instance\":\"x\\ny\\tz\"},"
                  "\"annotations\":{\"summary\":\"\\u001b[31mred\"}}]",
                  &cause);
    tap_ok(rs != NULL && rs->nrows == 1, "NUL, newline and escape in strings");
    if (rs != NULL && rs->nrows == 1) {
        is_cell(rs, 0, ALERT_NAME, "a", "\\u0000 ends a string");
        is_detail(rs, 0, "label.instance", "x y z", "a detail stays on one line");
    }
    rowset_destroy(rs);
}

/* ---- Prometheus, bad input ---- */

static void test_prom_garbage(void)
{
    char *cause = NULL;
    struct rowset *rs;
    prom_fails("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid "
               "parameter 'query'\"}",
               "Prometheus error (bad_data): invalid parameter 'query'", "an error response");
    prom_fails("{\"status\":\"error\"}", "Prometheus error (unknown): no message",
               "an error without details");
    prom_fails("{\"status\":\"maybe\",\"data\":{\"alerts\":[]}}", "unexpected status 'maybe'",
               "an unknown status");
    prom_fails("[]", "expected a JSON object", "an array");
    prom_fails("{\"status\":\"success\",\"data\":{}}", "no data.alerts array", "no alerts");
    prom_fails("{\"status\":\"success\",\"data\":{\"alerts\":{}}}", "no data.alerts array",
               "alerts that are not an array");
    prom_fails("{\"status\":\"success\",\"data\":{\"alerts\":[", "invalid JSON", "truncated");
    prom_fails("", "empty response", "empty");

    rs = prom_parse("{\"status\":\"success\",\"data\":{\"alerts\":[]}}", &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "no alerts firing");
    rowset_destroy(rs);
}

static void test_prom_values(void)
{
    char *cause;
    struct rowset *rs =
        prom_parse("{\"status\":\"success\",\"data\":{\"alerts\":["
                   "{\"labels\":{\"alertname\":\"A\"},\"state\":\"firing\",\"value\":\"NaN\"},"
                   "{\"labels\":{\"alertname\":\"B\"},\"state\":\"firing\",\"value\":\"+Inf\"},"
                   "{\"labels\":{\"alertname\":\"C\"},\"state\":\"inactive\",\"value\":1.5},"
                   "{\"labels\":{\"alertname\":\"C\"},\"value\":1e999,\"activeAt\":7},"
                   "5, null]}}",
                   &cause);
    tap_ok(rs != NULL && rs->nrows == 4, "odd values parse; non-objects are skipped");
    if (rs != NULL && rs->nrows == 4) {
        is_detail(rs, 0, "value", "NaN", "NaN is shown as is");
        is_detail(rs, 1, "value", "+Inf", "+Inf is shown as is");
        is_detail(rs, 2, "value", "1.5", "a numeric value is taken");
        is_detail(rs, 3, "value", "inf", "1e999 is infinite, not a crash");
        is_cell(rs, 2, ALERT_STATE, "inactive", "an unknown state is shown");
        tap_is_int(rs->rows[2].tone, TONE_MUTED, "and muted");
        is_cell(rs, 3, ALERT_STATE, "", "no state: empty");
        tap_ok(rowset_cell_num(rs, 3, ALERT_AGE) == 0, "a numeric activeAt: AGE 0");
        tap_ok(strcmp(rowset_key(rs, 2), rowset_key(rs, 3)) != 0,
               "the same labels twice get distinct keys");
    }
    rowset_destroy(rs);
}

/* ---- Alertmanager silences ---- */

static struct rowset *sil_parse_len(const char *text, size_t len, char **cause)
{
    struct rowset *rs = rowset_create(MODEL_SILENCES, "am");
    *cause = NULL;
    if (!alertmanager_parse_silences(text, len, rs, NOW, cause)) {
        rowset_destroy(rs);
        return NULL;
    }
    return rs;
}

static struct rowset *sil_parse(const char *text, char **cause)
{
    return sil_parse_len(text, strlen(text), cause);
}

static struct rowset *sil_fixture(const char *name)
{
    size_t len;
    char *cause;
    char *text = read_fixture(name, &len);
    struct rowset *rs = sil_parse_len(text, len, &cause);
    tap_ok(rs != NULL, "%s parses", name);
    if (rs == NULL) {
        tap_diag("cause: %s", cause);
        exit(1);
    }
    free(text);
    return rs;
}

static void sil_fails(const char *text, const char *want, const char *what)
{
    char *cause = NULL;
    struct rowset *rs = sil_parse(text, &cause);
    is_failure(rs, cause, want, what);
}

/* The real GET /api/v2/silences response: one active silence of two equality matchers. */
static void test_silences_real(void)
{
    struct rowset *rs = sil_fixture("alertmanager_silences.json");
    tap_is_int((long long)rs->nrows, 1, "silences: one silence");
    tap_is_str(rowset_key(rs, 0), "682b4414-5ca5-4d74-adce-36f5a74bc292",
               "silences: the key is the whole id");
    is_cell(rs, 0, SILENCE_ID, "682b4414", "silences: SILENCE is the first 8 characters");
    is_cell(rs, 0, SILENCE_STATE, "active", "silences: STATE");
    is_cell(rs, 0, SILENCE_MATCHERS, "alertname=\"QueueBacklog\", service=\"orders\"",
            "silences: MATCHERS as Alertmanager writes them");
    is_cell(rs, 0, SILENCE_ENDS, "in 1h43m",
            "silences: ENDS 1h43m away reads 'in 1h43m', not 'in 1h'");
    tap_is_int((long long)rowset_cell_num(rs, 0, SILENCE_ENDS), NOW + 6181,
               "silences: ENDS sorts by endsAt (11:13:01)");
    is_cell(rs, 0, SILENCE_BY, "oncall-console", "silences: BY");
    is_cell(rs, 0, SILENCE_COMMENT, "ack from console: investigating consumer lag",
            "silences: COMMENT");
    is_cell(rs, 0, SILENCE_SOURCE, "am", "silences: SOURCE is the backend");
    tap_is_int(rs->rows[0].tone, TONE_INFO, "silences: an active silence is info");
    is_detail(rs, 0, "id", "682b4414-5ca5-4d74-adce-36f5a74bc292", "silences: detail id");
    is_detail(rs, 0, "startsAt", "2026-11-23T09:13:01.881Z", "silences: detail startsAt");
    is_detail(rs, 0, "endsAt", "2026-11-23T11:13:01.000Z", "silences: detail endsAt");
    is_detail(rs, 0, "updatedAt", "2026-11-23T09:13:01.881Z", "silences: detail updatedAt");
    is_detail(rs, 0, "createdBy", "oncall-console", "silences: detail createdBy");
    is_detail(rs, 0, "comment", "ack from console: investigating consumer lag",
              "silences: detail comment");
    is_detail(rs, 0, "matcher.1", "alertname=\"QueueBacklog\"", "silences: detail matcher.1");
    is_detail(rs, 0, "matcher.2", "service=\"orders\"", "silences: detail matcher.2");
    is_detail(rs, 0, "matcher.3", NULL, "silences: no matcher.3");
    rowset_destroy(rs);
}

static void test_silences_order(const struct rowset *rs)
{
    static const char *const keys[] = {
        "682b4414-5ca5-4d74-adce-36f5a74bc292", "9a8b7c6d-0000-4000-8000-00000000abcd",
        "c0ffee00-1111-4222-8333-944445555666", "58e4de23-ae5d-4424-a648-d75f1a8e22b8"};
    static const char *const states[] = {"active", "active", "pending", "expired"};
    static const int tones[] = {TONE_INFO, TONE_INFO, TONE_WARN, TONE_MUTED};
    for (size_t i = 0; i < 4 && i < rs->nrows; i++) {
        char what[64];
        snprintf(what, sizeof what, "mixed: row %zu is %s", i, states[i]);
        tap_is_str(rowset_key(rs, i), keys[i], what);
        is_cell(rs, i, SILENCE_STATE, states[i], what);
        tap_is_int(rs->rows[i].tone, tones[i], what);
    }
}

/* The real expired silence, a pending one and one of every operator, out of order. */
static void test_silences_mixed(void)
{
    struct rowset *rs = sil_fixture("alertmanager_silences_mixed.json");
    tap_is_int((long long)rs->nrows, 4, "mixed: four silences");
    if (rs->nrows != 4) {
        exit(1);
    }
    test_silences_order(rs);
    is_cell(rs, 1, SILENCE_MATCHERS,
            "env=\"staging\", severity!=\"critical\", service=~\"check.*\", "
            "instance!~\"lb-[12]:443\", msg=\"say \\\"hi\\\" \\\\o/\"",
            "mixed: all four operators, isEqual missing is =, quotes and backslashes escaped");
    is_detail(rs, 1, "matcher.4", "instance!~\"lb-[12]:443\"", "mixed: detail matcher.4");
    is_cell(rs, 1, SILENCE_ENDS, "in 42s", "mixed: ENDS in 42s");
    is_cell(rs, 2, SILENCE_ENDS, "starts in 5m", "mixed: pending ENDS 'starts in 5m'");
    tap_is_int((long long)rowset_cell_num(rs, 2, SILENCE_ENDS), NOW + 3900,
               "mixed: pending sorts by its endsAt");
    is_cell(rs, 2, SILENCE_BY, "dba@bastion-1", "mixed: pending BY");
    is_cell(rs, 3, SILENCE_ID, "58e4de23", "mixed: expired SILENCE");
    is_cell(rs, 3, SILENCE_MATCHERS, "service=~\"check.*\"", "mixed: the real regex matcher");
    is_cell(rs, 3, SILENCE_ENDS, "ended 16m ago", "mixed: expired ENDS 'ended 16m ago'");
    tap_is_int((long long)rowset_cell_num(rs, 3, SILENCE_ENDS), NOW - 1000,
               "mixed: expired ENDS sorts by endsAt (fraction dropped)");
    is_cell(rs, 3, SILENCE_COMMENT, "temp", "mixed: expired COMMENT");
    rowset_destroy(rs);
}

/* Unchanged silences are not parsed again: only ENDS moves on with the clock (issue 19). */
static void test_silences_again(void)
{
    struct rowset *rs = sil_fixture("alertmanager_silences_mixed.json");
    struct rowset *kept = alertmanager_silences_copy(rs);
    tap_is_int((long long)kept->nrows, (long long)rs->nrows, "again: the copy has every row");
    struct rowset *again = alertmanager_silences_again(kept, NOW);
    tap_ok(again == NULL, "again: read at the same time, nothing moved (nothing to publish)");
    rowset_destroy(again);
    again = alertmanager_silences_again(kept, NOW + 60);
    tap_ok(again != NULL && again->nrows == 4, "again: a minute later, the rows again");
    if (again != NULL && again->nrows == 4) {
        test_silences_order(again);
        is_cell(again, 1, SILENCE_ENDS, "in 0s", "again: 'in 42s' a minute later is 'in 0s'");
        is_cell(again, 2, SILENCE_ENDS, "starts in 4m", "again: pending 'starts in 4m'");
        is_cell(again, 3, SILENCE_ENDS, "ended 17m ago", "again: expired 'ended 17m ago'");
        tap_is_int((long long)rowset_cell_num(again, 3, SILENCE_ENDS), NOW - 1000,
                   "again: ENDS still sorts by endsAt");
        is_cell(again, 1, SILENCE_MATCHERS, rowset_cell_text(rs, 1, SILENCE_MATCHERS),
                "again: MATCHERS kept");
        is_cell(again, 3, SILENCE_COMMENT, "temp", "again: COMMENT kept");
        is_detail(again, 1, "matcher.4", "instance!~\"lb-[12]:443\"", "again: details kept");
    }
    rowset_destroy(again);
    tap_ok(alertmanager_silences_again(NULL, NOW) == NULL, "again: nothing kept, nothing to do");
    rowset_destroy(kept);
    rowset_destroy(rs);
}

static void test_silences_garbage(void)
{
    size_t len;
    char *text = read_fixture("alertmanager_silence_expired.json", &len);
    char *cause = NULL;
    struct rowset *rs = sil_parse_len(text, len, &cause);
    is_failure(rs, cause, "expected a JSON array of silences",
               "GET /api/v2/silence/{id} (one object)");
    free(text);
    sil_fails("", "empty response", "silences: empty body");
    sil_fails("  \n", "empty response", "silences: blank body");
    sil_fails("<html>502 Bad Gateway</html>", "invalid JSON", "silences: HTML");
    sil_fails("[{\"id\": \"a\"", "invalid JSON", "silences: truncated");
    sil_fails("[] []", "unexpected data after the JSON", "silences: trailing data");
    sil_fails("{\"silences\": []}", "expected a JSON array of silences", "silences: an object");
    sil_fails("null", "expected a JSON array of silences", "silences: null");
    sil_fails("\"[]\"", "expected a JSON array of silences", "silences: a string");
    sil_fails("42", "expected a JSON array of silences", "silences: a number");

    rs = sil_parse(" [ ] ", &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "silences: an empty array is no silences");
    rowset_destroy(rs);
    rs = sil_parse("[1, \"x\", null, true, [], [{\"id\": \"n\"}]]", &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "silences: entries that are not objects are skipped");
    rowset_destroy(rs);
}

static const char ODD_SILENCES[] =
    "[{\"id\": 42, \"status\": \"active\", \"createdBy\": 7, \"comment\": [\"c\"],"
    "  \"endsAt\": 5, \"startsAt\": {}, \"matchers\": {\"name\": \"a\"}},"
    " {\"id\": \"dup\", \"status\": {\"state\": \"active\"}, \"endsAt\": \"not a time\","
    "  \"matchers\": [1, null, {\"name\": 3, \"value\": \"x\"}, {\"name\": \"a\"},"
    "   {\"name\": \"b\", \"value\": 2, \"isRegex\": \"yes\", \"isEqual\": \"no\"}]},"
    " {\"id\": \"dup\", \"status\": {\"state\": \"weird\"}},"
    " {}]";

static void test_silences_odd(void)
{
    char *cause = NULL;
    struct rowset *rs = sil_parse(ODD_SILENCES, &cause);
    tap_ok(rs != NULL && rs->nrows == 4, "odd silences: every object is a row");
    if (rs == NULL || rs->nrows != 4) {
        tap_diag("cause: %s", cause != NULL ? cause : "(none)");
        rowset_destroy(rs);
        free(cause);
        return;
    }
    tap_is_str(rowset_key(rs, 0), "dup", "odd silences: the active one first");
    is_cell(rs, 0, SILENCE_ID, "dup", "odd silences: a short id is shown whole");
    is_cell(rs, 0, SILENCE_MATCHERS, "a=\"\", b=\"\"",
            "odd silences: matchers without a name skipped, wrong types are defaults");
    is_cell(rs, 0, SILENCE_ENDS, "", "odd silences: no ENDS without a time");
    tap_is_int((long long)rowset_cell_num(rs, 0, SILENCE_ENDS), 0, "odd silences: ENDS num 0");
    tap_is_str(rowset_key(rs, 1), "", "odd silences: an id that is not a string is empty");
    is_cell(rs, 1, SILENCE_STATE, "", "odd silences: a status that is not an object");
    is_cell(rs, 1, SILENCE_BY, "", "odd silences: a createdBy that is not a string");
    is_cell(rs, 1, SILENCE_COMMENT, "", "odd silences: a comment that is not a string");
    is_cell(rs, 1, SILENCE_MATCHERS, "", "odd silences: matchers that are not an array");
    tap_is_int(rs->rows[1].tone, TONE_NORMAL, "odd silences: no state, no tone");
    is_detail(rs, 1, "id", NULL, "odd silences: no id detail");
    tap_is_str(rowset_key(rs, 2), "dup~2", "odd silences: a repeated id gets a unique key");
    is_cell(rs, 2, SILENCE_STATE, "weird", "odd silences: an unknown state is shown");
    tap_is_int(rs->rows[2].tone, TONE_NORMAL, "odd silences: an unknown state has no tone");
    tap_ok(strcmp(rowset_key(rs, 3), rowset_key(rs, 1)) != 0,
           "odd silences: two missing ids get distinct keys");
    is_cell(rs, 3, SILENCE_SOURCE, "am", "odd silences: an empty object still has its SOURCE");
    rowset_destroy(rs);
}

/* Many silences, and one of many matchers: linear work, every row there. */
static void test_silences_big(void)
{
    enum { NSIL = 20000, NMATCH = 50000 };
    size_t cap = (size_t)NSIL * 120 + (size_t)NMATCH * 40 + 256, n = 0;
    char *text = xmalloc(cap);
    n += (size_t)snprintf(text + n, cap - n,
                          "[{\"id\":\"big\",\"status\":{\"state\":\"expired\"},"
                          "\"matchers\":[");
    for (int i = 0; i < NMATCH; i++) {
        n += (size_t)snprintf(text + n, cap - n, "%s{\"name\":\"l%d\",\"value\":\"v\"}",
                              i ? "," : "", i);
    }
    n += (size_t)snprintf(text + n, cap - n, "]}");
    for (int i = 0; i < NSIL; i++) {
        n += (size_t)snprintf(text + n, cap - n,
                              ",{\"id\":\"s%d\",\"status\":{\"state\":\"active\"},"
                              "\"matchers\":[{\"name\":\"a\",\"value\":\"b\"}]}",
                              i);
    }
    n += (size_t)snprintf(text + n, cap - n, "]");
    char *cause = NULL;
    struct rowset *rs = sil_parse_len(text, n, &cause);
    tap_ok(rs != NULL && rs->nrows == NSIL + 1, "big: %d silences parse", NSIL + 1);
    if (rs != NULL && rs->nrows == NSIL + 1) {
        tap_is_str(rowset_key(rs, NSIL), "big", "big: the expired one comes last");
        tap_ok(strlen(rowset_cell_text(rs, NSIL, SILENCE_MATCHERS)) > (size_t)NMATCH * 8,
               "big: %d matchers in one cell", NMATCH);
        tap_is_str(rowset_key(rs, 0), "s0", "big: the active ones keep their order");
    }
    rowset_destroy(rs);
    free(cause);
    free(text);
}

/* ---- configuration ---- */

static bool configure(struct backend *b, const char *key, const char *value, const char *want)
{
    char *cause = NULL;
    bool ok = backend_configure(b, key, value, &cause);
    bool as_wanted = want == NULL ? ok : (!ok && cause != NULL && strstr(cause, want) != NULL);
    tap_ok(as_wanted, "%s %s = %s", want == NULL ? "accepts" : "refuses", key, value);
    if (!as_wanted) {
        tap_diag("cause: %s", cause != NULL ? cause : "(none)");
    }
    free(cause);
    return ok;
}

static void test_config(void)
{
    struct store *st = store_create();
    struct backend *am = backend_create(&alertmanager_backend, "am", st, NULL);
    struct backend *prom = backend_create(&prometheus_backend, "prom", st, NULL);
    char *cause = NULL;

    tap_ok(!backend_start(am, &cause) && cause != NULL && strstr(cause, "url") != NULL,
           "alertmanager: url is required");
    free(cause);
    cause = NULL;
    configure(am, "url", "http://127.0.0.1:9093/", NULL);
    configure(am, "filter", "severity=~\"critical|warning\"", NULL);
    configure(am, "filter", "{team=\"sre\", msg=~\"a,b\"}", NULL);
    configure(am, "filter", "service!=\"x\"", NULL);
    configure(am, "filter", "severity", "bad filter 'severity'");
    configure(am, "filter", "a=\"unterminated", "bad filter");
    configure(am, "filter", "=x", "bad filter");
    configure(am, "filter", " , ", "bad filter");
    configure(am, "color", "red", "unknown key 'color' for an alertmanager backend");
    configure(am, "retries", "9", "bad retries");
    tap_ok(backend_start(am, &cause), "alertmanager: starts with url and filters");
    free(cause);
    cause = NULL;
    tap_ok(alertmanager_backend.nactions == 3 && backend_action(am, MODEL_ALERTS, 'm') != NULL &&
               backend_action(am, MODEL_ALERTS, 'e') != NULL,
           "alertmanager: silence on m, expire on e");
    const struct action_def *expire = backend_action(am, MODEL_SILENCES, 'e');
    tap_ok(expire != NULL && strcmp(expire->verb, "expire") == 0 && expire->flags == 0 &&
               expire == backend_action_by_verb(am, MODEL_SILENCES, "expire"),
           "alertmanager: expire on e in the silences too");
    tap_ok((alertmanager_backend.kinds & (1u << MODEL_ALERTS)) &&
               (alertmanager_backend.kinds & (1u << MODEL_SILENCES)),
           "alertmanager: publishes alerts and silences");
    const struct action_def *silence = backend_action_by_verb(am, MODEL_ALERTS, "silence");
    tap_ok(silence != NULL && (silence->flags & ACTION_INPUT) &&
               strcmp(silence->input_default, "2h") == 0,
           "alertmanager: silence asks for a duration, 2h by default");

    configure(prom, "url", "http://127.0.0.1:9090", NULL);
    configure(prom, "filter", "a=\"b\"", "unknown key 'filter' for a prometheus backend");
    tap_ok(backend_start(prom, &cause), "prometheus: starts with a url");
    free(cause);
    tap_ok(prometheus_backend.nactions == 0 && backend_action(prom, MODEL_ALERTS, 'm') == NULL,
           "prometheus: no actions");
    tap_ok(backend_impl_find("alertmanager") == &alertmanager_backend &&
               backend_impl_find("prometheus") == &prometheus_backend,
           "both types are registered");
    backend_destroy(am);
    backend_destroy(prom);
    store_destroy(st);
}

/* name op value for matcher i, as "name=~value" with the operator rebuilt. */
static char *matcher_text(const cJSON *arr, int i)
{
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    bool regex = cJSON_IsTrue(cJSON_GetObjectItem(m, "isRegex"));
    bool equal = cJSON_IsTrue(cJSON_GetObjectItem(m, "isEqual"));
    const char *op = regex ? (equal ? "=~" : "!~") : (equal ? "=" : "!=");
    return xasprintf("%s%s%s", cJSON_GetObjectItem(m, "name")->valuestring, op,
                     cJSON_GetObjectItem(m, "value")->valuestring);
}

static void check_matchers(const char *text, const char *const *want, int n, const char *what)
{
    cJSON *arr = NULL;
    char *cause = NULL;
    bool ok = alertmanager_parse_matchers(text, &arr, &cause);
    bool same = ok && cJSON_GetArraySize(arr) == n;
    for (int i = 0; same && i < n; i++) {
        char *t = matcher_text(arr, i);
        same = strcmp(t, want[i]) == 0;
        if (!same) {
            tap_diag("matcher %d: got %s want %s", i, t, want[i]);
        }
        free(t);
    }
    tap_ok(same, "%s%s%s", what, cause ? ": " : "", cause ? cause : "");
    cJSON_Delete(arr);
    free(cause);
}

static void refuse_matchers(const char *text, const char *needle, const char *what)
{
    cJSON *arr = NULL;
    char *cause = NULL;
    bool ok = alertmanager_parse_matchers(text, &arr, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, needle) != NULL, "%s (%s)", what,
           cause ? cause : "accepted");
    free(cause);
}

static void test_matchers(void)
{
    const char *const simple[] = {"alertname=CheckoutErrors", "service=checkout"};
    check_matchers("alertname=\"CheckoutErrors\", service=\"checkout\"", simple, 2,
                   "quoted equality matchers");
    check_matchers("{alertname=\"CheckoutErrors\",service=checkout}", simple, 2,
                   "braces and a bare value");
    const char *const ops[] = {"a=1", "b!=2", "c=~x.*", "d!~y|z"};
    check_matchers("a=\"1\", b!=\"2\", c=~\"x.*\", d!~\"y|z\"", ops, 4, "all four operators");
    const char *const esc[] = {"msg=say \"hi\", then \\ go"};
    check_matchers("msg=\"say \\\"hi\\\", then \\\\ go\"", esc, 1,
                   "escapes and a comma inside quotes");
    refuse_matchers("", "at least one matcher", "empty is refused");
    refuse_matchers("alertname", "expected =, !=, =~ or !~", "a name alone is refused");
    refuse_matchers("a=\"open", "not closed", "an open quote is refused");
    refuse_matchers("9x=1", "label name", "a name starting with a digit is refused");
    refuse_matchers("a=\"1\" b=\"2\"", "expected ','", "a missing comma is refused");
    refuse_matchers("{a=1} tail", "after '}'", "text after the braces is refused");
}

/* ---- an alert read back from its row (what the actions use) ---- */

static void test_am_from_rows(void)
{
    size_t len;
    char *text = read_fixture("alertmanager_alerts.json", &len);
    char *cause;
    struct rowset *rs = am_parse_len(text, len, &cause);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    tap_ok(rs != NULL && cJSON_GetArraySize(doc) == (int)rs->nrows, "fixture: a row per alert");
    size_t i = 0, same_labels = 0, same_ids = 0, silenced = 0;
    const cJSON *alert;
    cJSON_ArrayForEach(alert, doc)
    {
        if (rs == NULL || i >= rs->nrows) {
            break;
        }
        cJSON *labels = alertmanager_row_labels(rs, i);
        same_labels += cJSON_Compare(labels, cJSON_GetObjectItem(alert, "labels"), true);
        cJSON_Delete(labels);
        cJSON *ids = alertmanager_row_silences(rs, i);
        const cJSON *want = cJSON_GetObjectItem(cJSON_GetObjectItem(alert, "status"), "silencedBy");
        same_ids += cJSON_Compare(ids, want, true);
        silenced += cJSON_GetArraySize(ids) > 0;
        cJSON_Delete(ids);
        i++;
    }
    tap_ok(rs != NULL && same_labels == rs->nrows, "every row gives back its alert's labels");
    tap_ok(rs != NULL && same_ids == rs->nrows, "every row gives back its alert's silencedBy");
    tap_ok(silenced == 1, "one of them silenced (the fixture's)");
    rowset_destroy(rs);
    cJSON_Delete(doc);
    free(text);

    /* two silences, a label with an = and quotes, no labels at all */
    rs = am_parse("[{\"labels\":{\"alertname\":\"X\",\"q\":\"a=\\\"b\\\", c\"},"
                  "\"status\":{\"silencedBy\":[\"s-1\",\"s-2\"]}},"
                  "{\"status\":{\"silencedBy\":[]}}]",
                  &cause);
    tap_ok(rs != NULL && rs->nrows == 2, "two alerts");
    if (rs != NULL && rs->nrows == 2) {
        cJSON *labels = alertmanager_row_labels(rs, 0);
        tap_is_str(json_str(labels, "q"), "a=\"b\", c", "a value with = , and quotes comes back");
        tap_is_str(json_str(labels, "alertname"), "X", "the name comes back");
        tap_ok(!alertmanager_labels_flattened(labels), "such a set is not flattened");
        cJSON_Delete(labels);
        cJSON *ids = alertmanager_row_silences(rs, 0);
        char *got = cJSON_PrintUnformatted(ids);
        tap_is_str(got, "[\"s-1\",\"s-2\"]", "both silences come back, in order");
        cJSON_free(got);
        cJSON_Delete(ids);
        labels = alertmanager_row_labels(rs, 1);
        ids = alertmanager_row_silences(rs, 1);
        tap_ok(cJSON_GetArraySize(labels) == 0 && cJSON_GetArraySize(ids) == 0,
               "no labels, not silenced: both empty");
        cJSON_Delete(labels);
        cJSON_Delete(ids);
    }
    rowset_destroy(rs);

    cJSON *multi = cJSON_Parse("{\"alertname\":\"X\",\"stack\":\"line 1\\nline 2\"}");
    tap_ok(alertmanager_labels_flattened(multi),
           "a newline in a value: the row cannot give it back");
    cJSON_Delete(multi);
    cJSON *tab = cJSON_Parse("{\"t\":\"a\\tb\"}");
    tap_ok(alertmanager_labels_flattened(tab), "a tab likewise");
    cJSON_Delete(tab);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixture_dir = argv[1];
    }
    test_matchers();
    test_am_fixtures();
    test_silences_real();
    test_silences_mixed();
    test_silences_garbage();
    test_silences_again();
    test_silences_odd();
    test_silences_big();
    test_prom_fixture();
    test_times();
    test_fingerprints();
    test_am_garbage();
    test_am_odd_alerts();
    test_am_edges();
    test_am_from_rows();
    test_prom_garbage();
    test_prom_values();
    test_config();
    return tap_done();
}
