/* Live pane conditions against a store filled by hand. */
#include "../../engine/cond.h"
#include "tap.h"

#include <stdlib.h>

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
    int r = cond_eval(&c, st, why) ? 1 : 0;
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

int main(void)
{
    struct store *st = fixture();

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
                "unknown pane 'tables' (alerts, queues, pools, deploys, silences)");
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

    store_destroy(st);
    return tap_done();
}
