/*
 * Live pane conditions against a store filled by hand, each source a backend
 * that answered (fresh) unless a test says otherwise: met, not met, and
 * unknown when the console does not have the data (never answered, failing,
 * stale, no backend for the pane).
 */
#include "../../engine/cond.h"
#include "../../backends/backend.h"
#include "../../backends/slo.h"
#include "../../engine/vars.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Backends that only stand for the sources of the fixture's rows. */
static const struct backend_impl fake_impl = {
    .type = "fake",
    .kinds = (1u << MODEL_KINDS) - 1,
};

static const char *const sources[] = {"rabbit", "lb1", "lb2", "am", "k8s", "prom"};
static const unsigned feeds[] = {1u << MODEL_QUEUES,  1u << MODEL_POOLS,
                                 1u << MODEL_POOLS,   1u << MODEL_ALERTS | 1u << MODEL_SILENCES,
                                 1u << MODEL_DEPLOYS, 1u << MODEL_SIGNALS};
enum { NSOURCES = sizeof sources / sizeof sources[0] };
static struct backend *backends[NSOURCES];
static struct cond_env cenv;

static void fresh_backends(struct store *st)
{
    for (size_t i = 0; i < NSOURCES; i++) {
        backends[i] = backend_create(&fake_impl, sources[i], st, NULL);
        backends[i]->kinds = feeds[i];
        backend_ok(backends[i]);
    }
    cenv = (struct cond_env){
        .store = st,
        .backends = backends,
        .nbackends = NSOURCES,
        .since_ms = clock_mono_ms() - 1,
        .now_ms = clock_mono_ms(),
    };
}

static struct store *fixture(void)
{
    struct store *st = store_create();

    struct rowset *q = rowset_create(MODEL_QUEUES, "rabbit");
    rowset_begin(q, "/orders.dlq");
    rowset_text(q, QUEUE_NAME, "orders.dlq");
    rowset_num(q, QUEUE_READY, 42);
    rowset_num(q, QUEUE_MSGS, 50);
    rowset_text(q, QUEUE_STATE, "running");
    rowset_begin(q, "/payments");
    rowset_text(q, QUEUE_NAME, "payments");
    rowset_num(q, QUEUE_READY, 3);
    rowset_end(q);
    store_publish(st, q);

    /* web2 behind two load balancers: both must hold. */
    struct rowset *p1 = rowset_create(MODEL_POOLS, "lb1");
    rowset_begin(p1, "be_web/web1");
    rowset_text(p1, POOL_NAME, "be_web");
    rowset_text(p1, POOL_SERVER, "web1");
    rowset_text(p1, POOL_STATUS, "UP");
    rowset_num(p1, POOL_RT, 12);
    rowset_begin(p1, "be_web/web2");
    rowset_text(p1, POOL_NAME, "be_web");
    rowset_text(p1, POOL_SERVER, "web2");
    rowset_text(p1, POOL_STATUS, "UP");
    rowset_end(p1);
    store_publish(st, p1);
    struct rowset *p2 = rowset_create(MODEL_POOLS, "lb2");
    rowset_begin(p2, "be_web/web2");
    rowset_text(p2, POOL_NAME, "be_web");
    rowset_text(p2, POOL_SERVER, "web2");
    rowset_text(p2, POOL_STATUS, "DOWN");
    rowset_end(p2);
    store_publish(st, p2);

    struct rowset *a = rowset_create(MODEL_ALERTS, "am");
    rowset_begin(a, "fp1");
    rowset_text(a, ALERT_NAME, "CheckoutHighErrorRate");
    rowset_text(a, ALERT_STATE, "firing");
    rowset_cell(a, ALERT_AGE, "", (double)(clock_wall_s() - 600));
    rowset_end(a);
    store_publish(st, a);

    struct rowset *d = rowset_create(MODEL_DEPLOYS, "k8s");
    rowset_begin(d, "shop/checkout");
    rowset_text(d, DEPLOY_NAMESPACE, "shop");
    rowset_text(d, DEPLOY_NAME, "checkout");
    rowset_text(d, DEPLOY_STATE, "complete");
    rowset_text(d, DEPLOY_READY, "3/3");
    rowset_end(d);
    store_publish(st, d);

    /*
     * Signals, built the one way (slo_row): checkout burns (2.1 % errors, 1h
     * burn 20x), payments is at 300 ms p99 with its budget overspent, cart
     * has no data at all.
     */
    struct rowset *g = rowset_create(MODEL_SIGNALS, "prom");
    struct slo_service checkout = {
        .name = "checkout",
        .traffic = 174,
        .errors = 0.021,
        .p50 = 0.049,
        .p99 = 0.245,
        .saturation = 0.488,
        .objective = 0.999,
        .window_s = 30 * 86400.0,
        .budget_left = 0.15,
        .window_ratio = NAN,
        .ratio = {0.02, 0.02, 0.02, 0.02, 0.001, 0.001, 0.0005},
        .series = {[SLO_SIG_ERRORS] = "1 1.5 nan 2.1"},
    };
    slo_row(g, &checkout);
    struct slo_service payments = checkout;
    payments.name = "payments";
    payments.errors = 0.005;
    payments.p99 = 0.3;
    payments.budget_left = -0.05;
    payments.series[SLO_SIG_ERRORS] = NULL;
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        payments.ratio[w] = 0.005; /* 5x everywhere: the 3d+6h ticket, no page */
    }
    slo_row(g, &payments);
    struct slo_service cart = {.name = "cart",
                               .traffic = NAN,
                               .errors = NAN,
                               .p50 = NAN,
                               .p99 = NAN,
                               .saturation = NAN,
                               .objective = NAN,
                               .window_s = 30 * 86400.0,
                               .budget_left = NAN,
                               .window_ratio = NAN,
                               .ratio = {NAN, NAN, NAN, NAN, NAN, NAN, NAN}};
    slo_row(g, &cart);
    rowset_end(g);
    store_publish(st, g);
    return st;
}

/* Parse and evaluate; -1 when it does not parse. */
static int check(const struct store *st, const char *text, char **why)
{
    struct cond c;
    char *cause = NULL;
    if (!cond_parse(&c, text, &cause)) {
        tap_diag("parse of '%s' failed: %s", text, cause ? cause : "?");
        free(cause);
        return -1;
    }
    struct cond_env e = cenv;
    e.store = st;
    int r = cond_eval(&c, &e, why) == COND_MET ? 1 : 0;
    cond_free(&c);
    return r;
}

static void holds(const struct store *st, const char *text, int want)
{
    char *why = NULL;
    int got = check(st, text, &why);
    tap_ok(got == want, "%s -> %s", text, want ? "holds" : "does not hold");
    if (got != want) {
        tap_diag("why: %s", why ? why : "(none)");
    }
    free(why);
}

static void parse_error(const char *text, const char *want)
{
    struct cond c;
    char *cause = NULL;
    bool ok = cond_parse(&c, text, &cause);
    tap_ok(!ok, "'%s' does not parse", text);
    tap_is_str(cause, want, "  with a clear message");
    if (ok) {
        cond_free(&c);
    }
    free(cause);
}

/* Evaluate text over env e: the result, and why in *why (caller frees). */
static enum cond_result eval(const struct cond_env *e, const char *text, char **why)
{
    struct cond c;
    *why = NULL;
    if (!cond_parse(&c, text, why)) {
        return COND_NOT_MET;
    }
    enum cond_result r = cond_eval(&c, e, why);
    cond_free(&c);
    return r;
}

static void result_is(const struct cond_env *e, const char *text, enum cond_result want,
                      const char *why_has, const char *what)
{
    char *why = NULL;
    enum cond_result got = eval(e, text, &why);
    tap_ok(got == want && why != NULL && strstr(why, why_has) != NULL, "%s: %s", what,
           cond_result_name(want));
    if (got != want || why == NULL || strstr(why, why_has) == NULL) {
        tap_diag("got %s: %s (want %s with '%s')", cond_result_name(got), why ? why : "(none)",
                 cond_result_name(want), why_has);
    }
    free(why);
}

/* Data the console does not have is unknown, never met (DESIGN rule 7). */
static void test_unknown(struct store *st)
{
    struct backend *am = backends[3], *lb2 = backends[2];
    struct cond_env e = cenv;

    /* am has not answered since the step began */
    e.since_ms = am->last_ok_ms + 1;
    e.now_ms = am->last_ok_ms + 2;
    result_is(&e, "alerts GoneAlert state != firing", COND_UNKNOWN,
              "alerts: am has not answered since", "a missing row before a fresh answer");
    result_is(&e, "alerts CheckoutHighErrorRate state == firing", COND_UNKNOWN,
              "am has not answered since", "a row from before the step began");
    e = cenv;

    /* never answered at all */
    uint64_t saved = am->last_ok_ms;
    am->last_ok_ms = 0;
    am->health = BACKEND_STARTING;
    result_is(&e, "alerts GoneAlert state != firing", COND_UNKNOWN, "am has not answered",
              "a backend that never answered");
    am->last_ok_ms = saved;

    /* its last poll failed: Alertmanager is down */
    backend_fail(am, "connection refused");
    result_is(&e, "alerts GoneAlert state != firing", COND_UNKNOWN,
              "alerts: am: error: connection refused", "a missing row while the backend fails");
    result_is(&e, "alerts CheckoutHighErrorRate state == firing", COND_UNKNOWN,
              "am: error: connection refused", "a row shown by a failing backend");
    backend_ok(am);
    result_is(&e, "alerts GoneAlert state != firing", COND_MET, "no row GoneAlert in alerts",
              "once it answers, a missing row counts");

    /* stale: nothing for more than three refresh intervals */
    e.now_ms = am->last_ok_ms + 3u * (uint64_t)am->refresh_ms + 1000;
    result_is(&e, "alerts GoneAlert state != firing", COND_UNKNOWN, "am: stale",
              "a missing row on stale data");
    e = cenv;

    /* one of two load balancers failing: web2 is unknown, unless a fresh row fails */
    backend_fail(lb2, "timeout");
    result_is(&e, "pools web2 status != gone", COND_UNKNOWN, "pools: lb2: error: timeout",
              "every source must hold: one failing says nothing");
    result_is(&e, "pools web2 status == DOWN", COND_NOT_MET, "be_web/web2 STATUS is UP",
              "a fresh row that fails fails");
    result_is(&e, "pools web1 status == UP", COND_UNKNOWN, "lb2: error: timeout",
              "lb2 might show web1 too: unknown");
    backend_ok(lb2);
    result_is(&e, "pools web2 status != gone", COND_MET, "on every one", "both answered: met");

    /* no backend feeds the pane; no store */
    e.nbackends = 0;
    result_is(&e, "queues nope ready < 10", COND_UNKNOWN, "queues: no backend feeds this pane",
              "no backend for the pane");
    e = cenv;
    e.store = NULL;
    result_is(&e, "queues orders.dlq ready < 10", COND_UNKNOWN, "no live data", "no store");
    e = cenv;

    /* rows whose source is not a live backend of the pane */
    struct rowset *x = rowset_create(MODEL_QUEUES, "ghost");
    rowset_begin(x, "/orders.dlq");
    rowset_text(x, QUEUE_NAME, "orders.dlq");
    rowset_num(x, QUEUE_READY, 1);
    rowset_end(x);
    store_publish(st, x);
    result_is(&e, "queues orders.dlq ready < 100", COND_UNKNOWN, "not a live backend",
              "a row from a source that is not a backend");
    store_forget(st, MODEL_QUEUES, "ghost");
    result_is(&e, "queues orders.dlq ready < 100", COND_MET, "READY is 42", "without it: met");
    tap_is_str(cond_result_name(COND_NOT_MET), "not met", "result names");
}

/*
 * A cluster (backends/cluster.h): its rows are one source named after it;
 * they count while one member is fresh; unknown once every member is down.
 */
static void test_cluster(void)
{
    struct store *st = store_create();
    struct backend *bs[2];
    for (int i = 0; i < 2; i++) {
        bs[i] = backend_create(&fake_impl, i == 0 ? "am1" : "am2", st, NULL);
        bs[i]->kinds = 1u << MODEL_ALERTS;
        char *cause = NULL;
        backend_configure(bs[i], "cluster", "am-eu", &cause);
        free(cause);
    }
    char *cause = NULL;
    tap_ok(backend_join_clusters(bs, 2, &cause), "cluster: joined");
    free(cause);
    uint64_t since = clock_mono_ms(); /* the answers below come after it */
    for (int i = 0; i < 2; i++) {
        struct rowset *rs = rowset_create(MODEL_ALERTS, bs[i]->name);
        rowset_begin(rs, "fp1");
        rowset_text(rs, ALERT_NAME, "DiskFull");
        rowset_text(rs, ALERT_STATE, "firing");
        backend_publish(bs[i], rs);
    }
    struct cond_env e = {
        .store = st,
        .backends = bs,
        .nbackends = 2,
        .since_ms = since,
        .now_ms = clock_mono_ms(),
    };
    result_is(&e, "alerts DiskFull state == firing", COND_MET, "DiskFull",
              "cluster: a row of the cluster's source counts");
    backend_fail(bs[1], "connection refused");
    result_is(&e, "alerts DiskFull state == firing", COND_MET, "DiskFull",
              "cluster: one member down, the other fresh: still counts");
    result_is(&e, "alerts GoneAlert state != firing", COND_MET, "no row GoneAlert",
              "cluster: a missing row counts while a member is fresh");
    backend_fail(bs[0], "timeout");
    result_is(&e, "alerts GoneAlert state != firing", COND_UNKNOWN,
              "am-eu: no member is fresh: am1: error: timeout; am2: error: connection refused",
              "cluster: every member down: unknown, naming each");
    backend_destroy(bs[0]);
    backend_destroy(bs[1]);
    store_destroy(st);
}

/* Signals: the columns' words, their units, and no data never holding. */
static void test_signals(struct store *st)
{
    /* the words of the issue, each mapped to its column */
    holds(st, "signals checkout errors < 1%", 0);
    holds(st, "signals checkout errors < 3%", 1);
    holds(st, "signals checkout errors > 2", 1);
    holds(st, "signals checkout ERR% < 3", 1);
    holds(st, "signals checkout budget > 0", 1);
    holds(st, "signals payments budget > 0", 0);
    holds(st, "signals payments budget < 0%", 1);
    holds(st, "signals checkout p99 < 300ms", 1);
    holds(st, "signals checkout p99 < 0.3s", 1);
    holds(st, "signals checkout p99 < 0.2s", 0);
    holds(st, "signals payments p99 < 300ms", 0);
    holds(st, "signals payments p99 <= 0.3s", 1);
    holds(st, "signals payments p99 == 300", 1);
    holds(st, "signals checkout p50 < 50ms", 1);
    holds(st, "signals checkout p50 < 49ms", 0);
    holds(st, "signals checkout burn < 14.4", 0);
    holds(st, "signals checkout burn >= 14.4x", 1);
    holds(st, "signals payments burn < 14.4", 1);
    holds(st, "signals checkout burn == P...", 1); /* not a number: the lights */
    holds(st, "signals checkout traffic > 0", 1);
    holds(st, "signals checkout rate > 200", 0);
    holds(st, "signals checkout saturation < 50%", 1);
    holds(st, "signals checkout sat > 50", 0);
    holds(st, "signals checkout slo == 99.9", 1);
    holds(st, "signals checkout slo >= 99.9%", 1);
    holds(st, "signals checkout trend > 2", 1); /* the last finite sample: 2.1 */
    holds(st, "signals checkout trend < 2%", 0);
    holds(st, "signals checkout ERRORS 1h > 2", 1);
    holds(st, "signals checkout service == CHECKOUT", 1);
    char *why = NULL;
    check(st, "signals checkout errors < 1%", &why);
    tap_is_str(why, "checkout ERR% is 2.10 (want < 1%)", "why names the column and the unit");
    free(why);
    why = NULL;
    check(st, "signals checkout burn < 14.4", &why);
    tap_is_str(why, "checkout BURN is 20 (want < 14.4)", "burn: the 1h burn rate");
    free(why);

    /* no data is never met, whatever the operator: unknown, saying so */
    const char *nodata[] = {
        "signals cart errors < 1%", "signals cart errors > 1%",  "signals cart errors != 5",
        "signals cart budget > 0",  "signals cart p99 < 300ms",  "signals cart burn < 14.4",
        "signals cart traffic > 0", "signals cart trend < 100%", "signals cart slo == 99.9",
    };
    for (size_t i = 0; i < sizeof nodata / sizeof nodata[0]; i++) {
        result_is(&cenv, nodata[i], COND_UNKNOWN, "cart", "no data");
        why = NULL;
        eval(&cenv, nodata[i], &why);
        tap_ok(why != NULL && strstr(why, "no data") != NULL, "  and says 'no data' (%s)",
               why ? why : "");
        free(why);
    }
    /* one row failing on data is not met, even with another row unknown */
    result_is(&cenv, "signals checkout errors < 1%", COND_NOT_MET, "ERR% is 2.10", "a row fails");

    /* units the column is not in, and unknown words */
    parse_error("signals checkout p99 < 1%",
                "P99ms is in milliseconds (300ms, 0.3s): '1%' is in another unit");
    parse_error("signals checkout errors < 5ms",
                "ERR% is a percentage (1%): '5ms' is in another unit");
    parse_error("signals checkout traffic < 5%",
                "REQ/s is a plain number: '5%' is in another unit");
    parse_error("signals checkout errors < lots", "ERR% is a number: 'lots' is not");
    parse_error("signals checkout latency < 1",
                "unknown column 'latency' in signals (a title, or traffic, rate, errors, p50, p99, "
                "saturation, sat, slo, budget, burn, trend)");
    /* units belong to signals' columns: a queue's number has none */
    parse_error("queues orders.dlq ready < 1%", "READY is a plain number: '1%' is in another unit");

    /* a runbook's wait and lint read it with variables: the same words */
    struct vars v = {0};
    vars_set(&v, "service", "checkout");
    struct cond c;
    char *cause = NULL;
    tap_ok(cond_parse_vars(&c, "signals ${service} errors < 1%", &v, &cause) &&
               c.kind == MODEL_SIGNALS && c.col == SIGNAL_ERRORS && c.is_num && c.num == 1 &&
               strcmp(c.row, "checkout") == 0,
           "wait until: signals ${service} errors < 1%%");
    cond_free(&c);
    tap_ok(cond_check("signals ${service} p99 < 0.3s", &cause), "lint: signals ${service} p99");
    free(cause);
    cause = NULL;
    tap_ok(!cond_check("signals ${service} p99 < 3%", &cause) && cause != NULL,
           "lint refuses a unit the column is not in");
    free(cause);
    vars_clear(&v);
}

int main(void)
{
    struct store *st = fixture();
    fresh_backends(st);
    test_cluster();

    /* numbers, every operator, matched by name and by key */
    holds(st, "queues orders.dlq ready < 10", 0);
    holds(st, "queues orders.dlq ready < 43", 1);
    holds(st, "queues orders.dlq ready <= 42", 1);
    holds(st, "queues orders.dlq ready <= 41", 0);
    holds(st, "queues orders.dlq ready > 41.5", 1);
    holds(st, "queues orders.dlq ready > 42", 0);
    holds(st, "queues orders.dlq ready >= 42", 1);
    holds(st, "queues orders.dlq ready >= 43", 0);
    holds(st, "queues orders.dlq ready == 42", 1);
    holds(st, "queues orders.dlq ready == 4", 0);
    holds(st, "queues orders.dlq ready != 4", 1);
    holds(st, "queues orders.dlq ready != 42", 0);
    holds(st, "queues /orders.dlq READY == 42", 1);
    holds(st, "queues payments ready < 10", 1);
    /* "9" < "42" as numbers but not as text */
    holds(st, "queues orders.dlq msgs > 9", 1);
    /* an empty numeric cell is no data, not zero */
    holds(st, "queues payments msgs < 10", 0);

    /* text, case-insensitive */
    holds(st, "queues orders.dlq state == RUNNING", 1);
    holds(st, "queues orders.dlq state != running", 0);
    holds(st, "deploys shop/checkout rollout == complete", 1);
    holds(st, "deploys checkout rollout == progressing", 0);
    holds(st, "deploys checkout ready == 3/3", 1);
    holds(st, "deploys checkout ready == \"3/3\"", 1);
    holds(st, "alerts CheckoutHighErrorRate state != firing", 0);
    holds(st, "alerts CheckoutHighErrorRate state == firing", 1);
    holds(st, "queues orders.dlq state < s", 1);
    holds(st, "queues orders.dlq state > s", 0);

    /* a column title with a blank */
    holds(st, "pools be_web/web1 RT ms < 20", 1);
    holds(st, "pools web1 rt ms >= 20", 0);

    /* ages compare as durations */
    holds(st, "alerts CheckoutHighErrorRate age > 5m", 1);
    holds(st, "alerts CheckoutHighErrorRate age < 5m", 0);

    /* several rows: every one must hold */
    holds(st, "pools web2 status == UP", 0);
    holds(st, "pools web2 status != gone", 1);
    holds(st, "pools web1 status == UP", 1);
    char *why = NULL;
    check(st, "pools web2 status == UP", &why);
    tap_is_str(why, "be_web/web2 STATUS is DOWN (want == UP)", "why names the row that fails");
    free(why);
    why = NULL;
    check(st, "queues orders.dlq ready < 10", &why);
    tap_is_str(why, "/orders.dlq READY is 42 (want < 10)", "why says what was seen");
    free(why);

    /* a missing row: false, except != */
    holds(st, "pools web9 status == UP", 0);
    holds(st, "alerts GoneAlert state != firing", 1);
    holds(st, "queues nope ready < 10", 0);
    why = NULL;
    check(st, "pools web9 status == UP", &why);
    tap_is_str(why, "no row web9 in pools", "why for a missing row");
    free(why);
    holds(st, "silences abc state == active", 0);

    /* parse errors */
    parse_error("queues orders.dlq ready",
                "expected PANE ROW COLUMN OP VALUE, got 'queues orders.dlq ready'");
    parse_error("", "expected PANE ROW COLUMN OP VALUE, got ''");
    parse_error("tables x ready < 10",
                "unknown pane 'tables' (alerts, queues, pools, deploys, silences, signals)");
    parse_error("queues x readiness < 10", "unknown column 'readiness' in queues");
    parse_error("queues x ready => 10", "unknown operator '=>' (<, <=, >, >=, ==, !=)");
    parse_error("queues x ready = 10", "unknown operator '=' (<, <=, >, >=, ==, !=)");
    parse_error("queues x ready is not 10",
                "no operator (<, <=, >, >=, ==, !=) in 'queues x ready is not 10'");
    parse_error("queues x ready < lots", "READY is a number: 'lots' is not");
    parse_error("alerts x age > soon", "AGE is an age: 'soon' is not a duration (90s, 5m, 1h)");
    parse_error("queues x ready < \"\"", "no value after '<'");

    struct cond c;
    char *cause = NULL;
    tap_ok(cond_parse(&c, "  pools   be_web/web2\tstatus  ==   UP  ", &cause),
           "extra blanks are fine");
    tap_ok(c.kind == MODEL_POOLS && c.col == POOL_STATUS && c.op == COND_EQ &&
               strcmp(c.row, "be_web/web2") == 0 && strcmp(c.value, "UP") == 0 && !c.is_num,
           "and every field is parsed");
    cond_free(&c);
    tap_ok(cond_parse(&c, "Deployments shop/api up2d >= 2", &cause) && c.kind == MODEL_DEPLOYS &&
               c.is_num && c.num == 2,
           "pane by title, numeric value");
    cond_free(&c);
    cond_free(NULL);

    test_unknown(st);
    test_signals(st);

    for (size_t i = 0; i < NSOURCES; i++) {
        backend_destroy(backends[i]);
    }
    store_destroy(st);
    return tap_done();
}
