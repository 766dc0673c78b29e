/*
 * :promql's rows (backends/prometheus_query.h) from answers captured from a
 * real Prometheus 2.42 (argv[1] is their directory: instant and range
 * answers of a vector, a sum, a scalar, a string, a range vector, NaN, an
 * empty result, a bad query), a few built in the same shapes (labels to
 * quote, every special value, gaps and strays in the history), and what a
 * broken server sends (garbage, a cut body). Then the loop part against a
 * port nothing listens on, and the refusals of prometheus_query_start.
 */
#include "../../backends/prometheus.h"
#include "../../backends/prometheus_query.h"
#include "../../common/loop.h"
#include "../../common/spark.h"
#include "../../common/util.h"
#include "tap.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *dir = "tests/fixtures/promql";
static int64_t end_s; /* range_end.txt: the last step of the captured range answers */

static const char SUM_Q[] = "sum by (code) (prometheus_http_requests_total)";

struct answer {
    struct rowset *rs;
    size_t total;
    char *range_cause;
    char *cause;
    bool ok;
};

static void answer_free(struct answer *a)
{
    rowset_destroy(a->rs);
    free(a->range_cause);
    free(a->cause);
}

/* Build the rows of fixture instant (and range, NULL: none). */
static struct answer rows_of(const char *instant, const char *range, const char *query)
{
    struct answer a = {.rs = rowset_create(MODEL_PROMQL, "prom")};
    size_t ilen, rlen = 0;
    char *ib = tap_fixture(dir, instant, &ilen);
    char *rb = range != NULL ? tap_fixture(dir, range, &rlen) : NULL;
    a.ok = prometheus_query_rows(ib, ilen, rb, rlen, end_s, query, a.rs, &a.total, &a.range_cause,
                                 &a.cause);
    free(ib);
    free(rb);
    return a;
}

/* The row whose SERIES is series, or -1. */
static long find(const struct rowset *rs, const char *series)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        if (strcmp(rowset_cell_text(rs, i, PROMQL_SERIES), series) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static size_t spark_of(const struct rowset *rs, long row, double *v)
{
    return row < 0 ? 0 : spark_parse(rowset_cell_text(rs, (size_t)row, PROMQL_TREND), v, 128);
}

static size_t count_finite(const double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += isfinite(v[i]) ? 1 : 0;
    }
    return k;
}

static void test_vector(void)
{
    struct answer a = rows_of("vector.json", "vector_range.json", "q");
    tap_ok(a.ok, "vector: parsed (%s)", a.cause ? a.cause : "");
    tap_is_int((long long)a.rs->nrows, 5, "vector: one row per series");
    tap_is_int((long long)a.total, 5, "vector: total counts them");
    const char *s = "prometheus_http_requests_total{code=\"200\",handler=\"/metrics\","
                    "instance=\"127.0.0.1:19391\",job=\"prometheus\"}";
    long r = find(a.rs, s);
    tap_ok(r >= 0, "vector: SERIES is name{labels} with the labels sorted and quoted");
    if (r >= 0) {
        tap_is_str(rowset_key(a.rs, (size_t)r), s, "vector: the key is the series");
        tap_is_str(rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE), "48", "vector: VALUE's text");
        tap_ok(rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE) == 48, "vector: VALUE's number");
        tap_is_str(rowset_cell_text(a.rs, (size_t)r, PROMQL_SOURCE), "prom",
                   "vector: SOURCE is the backend");
        double v[128];
        size_t n = spark_of(a.rs, r, v);
        tap_is_int((long long)n, PROMETHEUS_QUERY_STEPS, "vector: LAST 1h has a sample per step");
        tap_ok(n == PROMETHEUS_QUERY_STEPS && v[n - 1] == 48 && count_finite(v, n) == 1,
               "vector: the one range sample sits on the last step, the rest are gaps");
        tap_ok(rowset_cell_num(a.rs, (size_t)r, PROMQL_TREND) == 48,
               "vector: LAST 1h's number is its newest sample");
        tap_is_str(rowset_str(a.rs, a.rs->rows[r].detail),
                   "__name__\tprometheus_http_requests_total\ncode\t200\nhandler\t/metrics\n"
                   "instance\t127.0.0.1:19391\njob\tprometheus\nvalue\t48\nquery\tq\n",
                   "vector: detail lines are every label, the value and the query");
    }
    answer_free(&a);

    a = rows_of("sum.json", NULL, SUM_Q);
    tap_ok(a.ok && a.rs->nrows == 2, "sum by (code): two rows");
    r = find(a.rs, "{code=\"200\"}");
    tap_ok(r >= 0, "sum by (code): a series without a name is {labels}");
    tap_ok(r >= 0 && rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE) == 82, "sum: its value");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_TREND), "") == 0 &&
               isnan(rowset_cell_num(a.rs, (size_t)r, PROMQL_TREND)),
           "no range answer: LAST 1h is empty, no number");
    tap_ok(a.range_cause == NULL, "no range answer asked: no range cause");
    answer_free(&a);
}

static void test_scalar_string_matrix(void)
{
    struct answer a = rows_of("scalar.json", "scalar_range.json", "1+1");
    tap_ok(a.ok && a.rs->nrows == 1, "scalar: one row");
    tap_is_str(a.rs->nrows ? rowset_cell_text(a.rs, 0, PROMQL_SERIES) : "", "scalar",
               "scalar: SERIES says scalar");
    tap_ok(a.rs->nrows && rowset_cell_num(a.rs, 0, PROMQL_VALUE) == 2, "scalar: its value");
    double v[128];
    size_t n = spark_of(a.rs, a.rs->nrows ? 0 : -1, v);
    tap_ok(n == PROMETHEUS_QUERY_STEPS && count_finite(v, n) == PROMETHEUS_QUERY_STEPS && v[0] == 2,
           "scalar: its history is the range's one series, every step");
    answer_free(&a);

    a = rows_of("nan.json", NULL, "0/0");
    tap_ok(a.ok && a.rs->nrows == 1, "NaN scalar: one row");
    tap_is_str(a.rs->nrows ? rowset_cell_text(a.rs, 0, PROMQL_VALUE) : "", "NaN",
               "NaN scalar: shown as NaN");
    tap_ok(a.rs->nrows && isnan(rowset_cell_num(a.rs, 0, PROMQL_VALUE)), "NaN scalar: no number");
    tap_ok(a.rs->nrows && rowset_cells(a.rs, 0)[PROMQL_VALUE].tone == TONE_MUTED,
           "NaN scalar: muted");
    answer_free(&a);

    a = rows_of("string.json", NULL, "\"hello\"");
    tap_ok(a.ok && a.rs->nrows == 1, "string: one row");
    tap_is_str(a.rs->nrows ? rowset_cell_text(a.rs, 0, PROMQL_SERIES) : "", "string",
               "string: SERIES says string");
    tap_is_str(a.rs->nrows ? rowset_cell_text(a.rs, 0, PROMQL_VALUE) : "", "hello",
               "string: VALUE is its text");
    tap_ok(a.rs->nrows && isnan(rowset_cell_num(a.rs, 0, PROMQL_VALUE)), "string: no number");
    answer_free(&a);

    a = rows_of("matrix.json", NULL, "up[5s]");
    tap_ok(a.ok && a.rs->nrows == 1, "range vector: one row per series");
    long r = find(a.rs, "up{instance=\"127.0.0.1:19391\",job=\"prometheus\"}");
    tap_ok(r >= 0 && rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE) == 1,
           "range vector: VALUE is the newest sample");
    n = spark_of(a.rs, r, v);
    tap_ok(n == PROMETHEUS_QUERY_STEPS && v[n - 1] == 1,
           "range vector: its own samples on the grid");
    answer_free(&a);

    a = rows_of("empty.json", NULL, "nonexistent_metric_xyz");
    tap_ok(a.ok && a.rs->nrows == 0 && a.total == 0, "empty vector: no rows, not an error");
    answer_free(&a);

    size_t len;
    const char *wants[] = {"vector.json", "scalar.json", "sum.json"};
    const char * not [] = {"string.json", "matrix.json", "error.json", "garbage.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *b = tap_fixture(dir, wants[i], &len);
        tap_ok(prometheus_query_wants_range(b, len), "%s: a range query follows", wants[i]);
        free(b);
    }
    for (size_t i = 0; i < 4; i++) {
        char *b = tap_fixture(dir, not [i], &len);
        tap_ok(!prometheus_query_wants_range(b, len), "%s: no range query", not [i]);
        free(b);
    }
}

static void test_values_and_gaps(void)
{
    struct answer a = rows_of("labels.json", "labels_range.json", "odd");
    tap_ok(a.ok, "labels: parsed");
    tap_is_int((long long)a.rs->nrows, 6, "labels: an element that is not an object is skipped");
    long r = find(a.rs, "odd_metric{app=\"x\",path=\"/a\\\"b\\\\c\",zone=\"b\"}");
    tap_ok(r >= 0, "labels: the name first, labels sorted, quotes and backslashes escaped");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE), "NaN") == 0 &&
               isnan(rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE)),
           "NaN: text NaN, no number");
    double v[128];
    size_t n = spark_of(a.rs, r, v);
    tap_ok(n == PROMETHEUS_QUERY_STEPS && v[n - 1] == 3 && count_finite(v, n) == 1,
           "the history is found by the same series text");
    r = find(a.rs, "{app=\"y\"}");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE), "+Inf") == 0 &&
               isinf(rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE)),
           "+Inf: text +Inf, number +Inf");
    r = find(a.rs, "{}");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE), "-Inf") == 0,
           "no labels at all: {} and -Inf");
    r = find(a.rs, "{app=\"z\"}");
    tap_is_str(r >= 0 ? rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE) : "", "0.766667",
               "a fraction: six significant digits");
    n = spark_of(a.rs, r, v);
    tap_ok(n == PROMETHEUS_QUERY_STEPS && v[0] == 1 && v[1] == 2 && isnan(v[2]) && isnan(v[3]) &&
               isnan(v[4]) && v[58] == 4 && v[59] == 5 && count_finite(v, n) == 4,
           "history: samples on their steps; missing steps, NaN, strays and bad pairs are gaps");
    r = find(a.rs, "{app=\"w\"}");
    tap_is_str(r >= 0 ? rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE) : "", "1e+21",
               "a huge value in exponent form");
    r = find(a.rs, "{app=\"v\"}");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_VALUE), "twelve") == 0 &&
               isnan(rowset_cell_num(a.rs, (size_t)r, PROMQL_VALUE)),
           "a value that is no number: its text, no number");
    tap_ok(r >= 0 && strcmp(rowset_cell_text(a.rs, (size_t)r, PROMQL_TREND), "") == 0,
           "a series the range does not have: no history");
    answer_free(&a);

    a = rows_of("sum.json", "garbage.txt", SUM_Q);
    tap_ok(a.ok && a.rs->nrows == 2, "a range answer that is garbage: the values still show");
    tap_ok(a.range_cause != NULL, "... and the range's failure is said (%s)",
           a.range_cause ? a.range_cause : "");
    answer_free(&a);
    a = rows_of("sum.json", "error.json", SUM_Q);
    tap_ok(a.ok && a.range_cause != NULL && strstr(a.range_cause, "bad_data") != NULL,
           "a range answer that is an error: said with Prometheus's words");
    answer_free(&a);
}

static void test_failures(void)
{
    struct answer a = rows_of("error.json", NULL, "sum((");
    tap_ok(!a.ok, "bad PromQL: an error");
    tap_is_str(a.cause,
               "Prometheus error (bad_data): invalid parameter \"query\": 1:6: parse error: "
               "unclosed left parenthesis",
               "bad PromQL: Prometheus's own words");
    tap_is_int((long long)a.rs->nrows, 0, "bad PromQL: nothing half-built");
    answer_free(&a);
    const char *bad[] = {"garbage.txt", "truncated.json"};
    for (size_t i = 0; i < 2; i++) {
        a = rows_of(bad[i], "vector_range.json", "q");
        tap_ok(!a.ok && a.cause != NULL && a.rs->nrows == 0, "%s: an error (%s), no rows", bad[i],
               a.cause ? a.cause : "none");
        answer_free(&a);
    }
    const char *shapes[] = {
        "",
        "[]",
        "{}",
        "{\"status\":\"success\"}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":\"x\"}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"histogram\",\"result\":[]}}",
        "{\"status\":\"warning\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
        "{\"status\":\"error\"}",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        struct rowset *rs = rowset_create(MODEL_PROMQL, "prom");
        size_t total;
        char *cause = NULL;
        bool ok = prometheus_query_rows(shapes[i], strlen(shapes[i]), NULL, 0, end_s, "q", rs,
                                        &total, NULL, &cause);
        tap_ok(!ok && cause != NULL && rs->nrows == 0, "'%s': refused (%s)", shapes[i],
               cause ? cause : "no cause");
        free(cause);
        rowset_destroy(rs);
    }
    /* a vector element with junk inside still makes a row: labels of other types are left out */
    const char *odd =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
        "[{\"metric\":{\"a\":1,\"b\":\"x\"},\"value\":\"no\"},{\"value\":[1,\"2\"]}]}}";
    struct rowset *rs = rowset_create(MODEL_PROMQL, "prom");
    size_t total;
    char *cause = NULL;
    tap_ok(prometheus_query_rows(odd, strlen(odd), NULL, 0, end_s, "q", rs, &total, NULL, &cause) &&
               rs->nrows == 2 && find(rs, "{b=\"x\"}") >= 0 && find(rs, "{}") >= 0,
           "odd elements: rows with what can be read");
    free(cause);
    rowset_destroy(rs);
}

/* 2,500 series: 2,000 rows, total 2,500, every key unique. */
static void test_cap(void)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int i = 0; i < 2500; i++) {
        strbuf_printf(&sb, "%s{\"metric\":{\"i\":\"%d\"},\"value\":[1,\"%d\"]}", i ? "," : "", i,
                      i);
    }
    strbuf_str(&sb, "]}}");
    struct rowset *rs = rowset_create(MODEL_PROMQL, "prom");
    size_t total = 0;
    char *cause = NULL;
    bool ok = prometheus_query_rows(sb.s, sb.n, NULL, 0, end_s, "q", rs, &total, NULL, &cause);
    tap_ok(ok, "2,500 series: parsed");
    tap_is_int((long long)rs->nrows, PROMETHEUS_QUERY_MAX_ROWS, "2,500 series: 2,000 rows");
    tap_is_int((long long)total, 2500, "2,500 series: the total says how many there were");
    bool unique = true;
    for (size_t i = 1; i < rs->nrows; i++) {
        unique = unique && strcmp(rowset_key(rs, i - 1), rowset_key(rs, i)) != 0;
    }
    tap_ok(unique, "2,500 series: keys differ");
    free(cause);
    free(sb.s);
    rowset_destroy(rs);
}

/* ---- the loop part ---- */

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static int answers;
static void on_answer(void *ud)
{
    (void)ud;
    answers++;
}

static void test_loop(void)
{
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend *b = backend_create(&prometheus_backend, "prom", st, loop);
    char *cause = NULL;
    char *url = xasprintf("http://127.0.0.1:%d", closed_port());
    tap_ok(backend_configure(b, "url", url, &cause) && backend_configure(b, "retries", "0", &cause),
           "a prometheus backend on a closed port");
    tap_ok(b->impl->start(b, &cause), "started (no poll: no loop timer for the backend itself)");

    tap_ok(prometheus_query_start(b, "", on_answer, NULL, &cause) == NULL && cause != NULL,
           "an empty query is refused (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    char *longq = xcalloc(PROMETHEUS_QUERY_MAX_LEN + 2, 1);
    memset(longq, 'a', PROMETHEUS_QUERY_MAX_LEN + 1);
    tap_ok(prometheus_query_start(b, longq, on_answer, NULL, &cause) == NULL && cause != NULL,
           "a query too long is refused");
    free(cause);
    cause = NULL;
    free(longq);
    struct backend *am = backend_create(backend_impl_find("alertmanager"), "am", st, loop);
    tap_ok(prometheus_query_start(am, "up", on_answer, NULL, &cause) == NULL && cause != NULL &&
               strstr(cause, "not prometheus") != NULL,
           "a backend of another type is refused (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    backend_destroy(am);

    /* rows a query left are dropped by the next */
    struct rowset *old = rowset_create(MODEL_PROMQL, "prom");
    rowset_begin(old, "stale");
    rowset_end(old);
    store_publish(st, old);
    struct prometheus_query *q = prometheus_query_start(b, "up", on_answer, NULL, &cause);
    tap_ok(q != NULL, "a query starts");
    tap_is_int((long long)store_nrows(st, MODEL_PROMQL), 0,
               "the rows of an earlier query are gone");
    tap_is_int(answers, 0, "no answer before start returns");
    for (int i = 0; i < 500 && answers == 0; i++) {
        loop_run_once(loop, 10);
    }
    tap_is_int(answers, 1, "a refused connection is answered once");
    const char *err = q != NULL ? prometheus_query_error(q) : NULL;
    tap_ok(err != NULL && strstr(err, "prom: ") == err &&
               (strstr(err, "refused") != NULL || strstr(err, "connect") != NULL),
           "... with a clear error (%s)", err ? err : "none");
    tap_ok(q != NULL && prometheus_query_answered(q), "answered");
    tap_is_int((long long)store_nrows(st, MODEL_PROMQL), 0, "... and no rows");
    tap_ok(b->health != BACKEND_ERROR, "the backend's own health is left alone");
    prometheus_query_stop(q);
    prometheus_query_stop(NULL);
    backend_destroy(b);
    store_destroy(st);
    loop_destroy(loop);
    free(url);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        dir = argv[1];
    }
    size_t len;
    char *e = tap_fixture(dir, "range_end.txt", &len);
    end_s = strtoll(e, NULL, 10);
    free(e);
    test_vector();
    test_scalar_string_matrix();
    test_values_and_gaps();
    test_failures();
    test_cap();
    test_loop();
    return tap_done();
}
