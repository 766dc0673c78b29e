/*
 * The demo simulator, driven the way the core drives it (backend_create,
 * configure, start, poll) with actions through the real action path, and read
 * back through the store.
 */
#include "../../backends/demo.h"
#include "../../backends/model.h"
#include "../../backends/slo.h"
#include "../../common/spark.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char EPOCH[] = "1795000000";

struct sim {
    struct store *st;
    struct backend *b;
};

/* kv: key, value, key, value, ..., NULL */
static struct sim sim_open(const char *const *kv)
{
    struct sim s = {store_create(), NULL};
    char *cause = NULL;
    s.b = backend_create(&demo_backend, "demo", s.st, NULL);
    for (; kv != NULL && kv[0] != NULL; kv += 2) {
        if (!backend_configure(s.b, kv[0], kv[1], &cause)) {
            tap_diag("configure %s = %s: %s", kv[0], kv[1], cause);
            free(cause);
            cause = NULL;
        }
    }
    if (!backend_start(s.b, &cause)) {
        tap_diag("start: %s", cause);
        free(cause);
    }
    return s;
}

static void sim_close(struct sim *s)
{
    backend_destroy(s->b);
    store_destroy(s->st);
}

static void tick(struct sim *s, int n)
{
    for (int i = 0; i < n; i++) {
        demo_backend.poll(s->b);
    }
}

static const struct rowset *rows_of(const struct sim *s, enum model_kind kind)
{
    return store_nsets(s->st, kind) == 1 ? store_set(s->st, kind, 0) : NULL;
}

/* A cell of the row with this key, or NULL when the row is not published. */
static const char *cell(const struct sim *s, enum model_kind kind, const char *key, int col)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(s->st, kind, "demo", key, &rs, &row)) {
        return NULL;
    }
    return rowset_cell_text(rs, row, col);
}

static double num(const struct sim *s, enum model_kind kind, const char *key, int col)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(s->st, kind, "demo", key, &rs, &row)) {
        return -1;
    }
    return rowset_cell_num(rs, row, col);
}

static int cell_tone(const struct sim *s, enum model_kind kind, const char *key, int col)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(s->st, kind, "demo", key, &rs, &row)) {
        return -1;
    }
    return rowset_cells(rs, row)[col].tone;
}

static int row_tone(const struct sim *s, enum model_kind kind, const char *key)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(s->st, kind, "demo", key, &rs, &row)) {
        return -1;
    }
    return rs->rows[row].tone;
}

static const char *detail(const struct sim *s, enum model_kind kind, const char *key)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(s->st, kind, "demo", key, &rs, &row)) {
        return "";
    }
    return rowset_str(rs, rs->rows[row].detail);
}

/* The key of the alert named name (the caller frees), or NULL. */
static char *alert_key(const struct sim *s, const char *name)
{
    const struct rowset *rs = rows_of(s, MODEL_ALERTS);
    for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
        if (strcmp(rowset_cell_text(rs, r, ALERT_NAME), name) == 0) {
            return xstrdup(rowset_key(rs, r));
        }
    }
    return NULL;
}

/* ---- dumping rows, to compare everything a publish carries ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    free(s);
}

static void dump_row(struct buf *b, const struct rowset *rs, size_t r)
{
    buf_addf(b, "[%s] tone %d\n", rowset_key(rs, r), rs->rows[r].tone);
    for (int c = 0; c < rs->ncols; c++) {
        const struct cell *cl = &rowset_cells(rs, r)[c];
        buf_addf(b, "  %d '%s' %.17g %d\n", c, rowset_str(rs, cl->text), cl->num, cl->tone);
    }
    buf_addf(b, "%s", rowset_str(rs, rs->rows[r].detail));
}

/* Every row of a kind, as text; the caller frees. */
static char *dump_kind(const struct sim *s, enum model_kind kind)
{
    struct buf b = {xstrdup(""), 0, 1};
    const struct rowset *rs = rows_of(s, kind);
    for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
        dump_row(&b, rs, r);
    }
    return b.p;
}

static char *dump_all(const struct sim *s)
{
    struct buf b = {xstrdup(""), 0, 1};
    for (int k = 0; k < MODEL_KINDS; k++) {
        char *one = dump_kind(s, (enum model_kind)k);
        buf_addf(&b, "== %d\n%s", k, one);
        free(one);
    }
    return b.p;
}

/* ---- actions through action_run() ---- */

struct report {
    bool called, ok;
    char msg[4096]; /* a peek's report lists messages */
};

static void on_report(const struct action *a, bool ok, const char *message, void *ud)
{
    (void)a;
    struct report *r = ud;
    r->called = true;
    r->ok = ok;
    snprintf(r->msg, sizeof r->msg, "%s", message != NULL ? message : "");
}

static struct report act(struct sim *s, enum model_kind kind, const char *verb, const char *target,
                         const char *input)
{
    struct report r = {false, false, ""};
    const struct action_def *def = backend_action_by_verb(s->b, kind, verb);
    if (def == NULL) {
        snprintf(r.msg, sizeof r.msg, "no action %s", verb);
        return r;
    }
    action_run(action_create(s->b, def, target, input), on_report, &r);
    return r;
}

/* ---- the tests ---- */

static void test_config(void)
{
    static const char *const bad[][2] = {
        {"seed", "-1"},     {"seed", "abc"},  {"seed", ""},      {"seed", "99999999999999999999"},
        {"epoch", "today"}, {"epoch", "-5"},  {"queues", "0"},   {"queues", "100001"},
        {"queues", "1e3"},  {"mode", "fast"}, {"mode", "LIVE "},
    };
    struct sim s = sim_open(NULL);
    char *cause = NULL;
    tap_ok(!backend_configure(s.b, "colour", "red", &cause), "unknown key rejected");
    tap_is_str(cause, "unknown key 'colour' for a demo backend", "unknown key cause");
    free(cause);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cause = NULL;
        bool ok = backend_configure(s.b, bad[i][0], bad[i][1], &cause);
        tap_ok(!ok && cause != NULL && strstr(cause, bad[i][0]) != NULL &&
                   strstr(cause, bad[i][1]) != NULL,
               "%s = '%s' rejected with a cause naming it (%s)", bad[i][0], bad[i][1],
               cause != NULL ? cause : "no cause");
        free(cause);
    }
    static const char *const good[][2] = {
        {"seed", "0"},       {"seed", "18446744073709551615"},
        {"epoch", EPOCH},    {"queues", "100000"},
        {"queues", "3"},     {"mode", "still"},
        {"mode", "trickle"}, {"mode", "live"},
        {"refresh", "1s"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cause = NULL;
        tap_ok(backend_configure(s.b, good[i][0], good[i][1], &cause), "%s = %s accepted",
               good[i][0], good[i][1]);
        free(cause);
    }
    sim_close(&s);
}

static void test_counts(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    const struct rowset *pools = rows_of(&s, MODEL_POOLS);
    tap_is_int((long long)store_nrows(s.st, MODEL_POOLS), 12, "12 pool servers");
    int distinct = 0;
    for (size_t r = 0; pools != NULL && r < pools->nrows; r++) {
        const char *p = rowset_cell_text(pools, r, POOL_NAME);
        if (r == 0 || strcmp(p, rowset_cell_text(pools, r - 1, POOL_NAME)) != 0) {
            distinct++;
        }
    }
    tap_is_int(distinct, 3, "in 3 pools");
    tap_is_int((long long)store_nrows(s.st, MODEL_QUEUES), 8, "8 queues");
    tap_is_int((long long)store_nrows(s.st, MODEL_DEPLOYS), 6, "6 deployments");
    tap_ok(store_nrows(s.st, MODEL_ALERTS) >= 4, "at least 4 alerts (%zu)",
           store_nrows(s.st, MODEL_ALERTS));
    tap_is_str(cell(&s, MODEL_POOLS, "be_web/web2", POOL_SERVER), "web2", "pool row key");
    tap_is_str(cell(&s, MODEL_QUEUES, "prod/orders.created", QUEUE_NAME), "orders.created",
               "queue row key");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_IMAGE),
               "registry.example.com/shop/checkout:v2.14.1", "deployment key and image");

    /* every column filled (ages carry their value in num), every row from "demo" */
    int empty = 0, foreign = 0;
    for (int k = 0; k < MODEL_KINDS; k++) {
        const struct rowset *rs = rows_of(&s, (enum model_kind)k);
        const struct model_schema *sc = model_schema((enum model_kind)k);
        for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
            for (int c = 0; c < rs->ncols; c++) {
                const char *t = rowset_cell_text(rs, r, c);
                if (k == MODEL_QUEUES && c == QUEUE_DLQ) {
                    continue; /* only queues with dead letters have a DLQ */
                }
                if (sc->cols[c].type == CELL_AGE ? rowset_cell_num(rs, r, c) <= 0 : t[0] == '\0') {
                    tap_diag("empty: %s row %s column %s", sc->name, rowset_key(rs, r),
                             sc->cols[c].title);
                    empty++;
                }
            }
            if (strcmp(rowset_cell_text(rs, r, rs->ncols - 1), "demo") != 0) {
                foreign++;
            }
        }
    }
    tap_is_int(empty, 0, "every cell of every row is filled");
    tap_is_int(foreign, 0, "the SOURCE column names the backend");
    sim_close(&s);
}

static void test_determinism(void)
{
    const char *const cfg[] = {"seed", "7", "epoch", EPOCH, NULL};
    struct sim a = sim_open(cfg), b = sim_open(cfg);
    int differ = 0;
    for (int t = 0; t < 60; t++) {
        tick(&a, 1);
        tick(&b, 1);
        if (t == 20) {
            /* the same actions at the same ticks, too */
            act(&a, MODEL_POOLS, "drain", "be_api/api2", NULL);
            act(&b, MODEL_POOLS, "drain", "be_api/api2", NULL);
        }
        char *da = dump_all(&a), *db = dump_all(&b);
        if (strcmp(da, db) != 0) {
            differ++;
        }
        free(da);
        free(db);
    }
    tap_is_int(differ, 0, "same seed and epoch: 60 ticks publish identical rows");
    sim_close(&a);
    sim_close(&b);

    struct sim c = sim_open(cfg);
    struct sim d = sim_open((const char *const[]){"seed", "8", "epoch", EPOCH, NULL});
    tick(&c, 5);
    tick(&d, 5);
    char *dc = dump_kind(&c, MODEL_POOLS), *dd = dump_kind(&d, MODEL_POOLS);
    tap_ok(strcmp(dc, dd) != 0, "a different seed gives different numbers");
    free(dc);
    free(dd);
    sim_close(&c);
    sim_close(&d);
}

static void test_epoch(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    double epoch = strtod(EPOCH, NULL);
    char *k = alert_key(&s, "DeadLetterQueueGrowing");
    double started = k != NULL ? num(&s, MODEL_ALERTS, k, ALERT_AGE) : 0;
    tap_ok(started < epoch && started > epoch - 86400, "DLQ alert started before the epoch");
    tap_ok(strstr(detail(&s, MODEL_ALERTS, k != NULL ? k : ""), "startsAt\t2026-") != NULL,
           "startsAt is RFC 3339 in sim time");
    double created = num(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_AGE);
    tap_ok(created < epoch - 86400, "deployment creation time is days before the epoch");
    free(k);
    sim_close(&s);
}

static void test_flap(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    int down_at = -1, up_at = -1;
    bool tones = false, check = false, alert_while_down = false;
    for (int t = 1; t <= 40 && up_at < 0; t++) {
        tick(&s, 1);
        const char *st = cell(&s, MODEL_POOLS, "be_web/web3", POOL_STATUS);
        if (down_at < 0 && st != NULL && strcmp(st, "DOWN") == 0) {
            down_at = t;
            tones = cell_tone(&s, MODEL_POOLS, "be_web/web3", POOL_STATUS) == TONE_CRIT &&
                    row_tone(&s, MODEL_POOLS, "be_web/web3") == TONE_CRIT;
            const char *c = cell(&s, MODEL_POOLS, "be_web/web3", POOL_CHECK);
            check = strcmp(c, "L4CON") == 0 || strcmp(c, "L4TOUT") == 0;
        } else if (down_at > 0 && st != NULL && strcmp(st, "UP") == 0) {
            up_at = t;
        }
        char *k = alert_key(&s, "TargetDown");
        if (down_at > 0 && up_at < 0 && k != NULL) {
            alert_while_down = true;
        }
        free(k);
    }
    tap_ok(down_at > 0 && down_at <= 20, "web3 goes DOWN (tick %d)", down_at);
    tap_ok(up_at > down_at && up_at - down_at <= 10, "and comes back UP (tick %d)", up_at);
    tap_ok(tones, "DOWN is toned crit, cell and row");
    tap_ok(check, "a DOWN server's check is L4CON or L4TOUT");
    tap_ok(alert_while_down, "TargetDown shows while web3 is down");
    tap_is_int(cell_tone(&s, MODEL_POOLS, "be_web/web3", POOL_STATUS), TONE_OK, "UP is toned ok");
    tick(&s, 2);
    char *k = alert_key(&s, "TargetDown");
    tap_ok(k == NULL, "TargetDown is gone two ticks after web3 is back");
    free(k);
    sim_close(&s);
}

static void test_queues(void)
{
    const char *dlq = "prod/orders.created.dlq";
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    bool grows = true;
    double prev = num(&s, MODEL_QUEUES, dlq, QUEUE_READY);
    for (int t = 0; t < 10; t++) {
        tick(&s, 1);
        double now = num(&s, MODEL_QUEUES, dlq, QUEUE_READY);
        grows = grows && now > prev;
        prev = now;
    }
    tap_ok(grows, "the DLQ's ready count grows every tick (%g)", prev);
    tap_is_str(cell(&s, MODEL_QUEUES, dlq, QUEUE_TREND), "grow", "its trend says grow");
    tap_is_int(cell_tone(&s, MODEL_QUEUES, dlq, QUEUE_NAME), TONE_CRIT,
               "a DLQ with messages is crit");
    tap_ok(num(&s, MODEL_QUEUES, dlq, QUEUE_MSGS) ==
               num(&s, MODEL_QUEUES, dlq, QUEUE_READY) + num(&s, MODEL_QUEUES, dlq, QUEUE_UNACK),
           "messages = ready + unacked");
    tap_ok(strstr(detail(&s, MODEL_QUEUES, "prod/orders.created"),
                  "x-dead-letter-routing-key\torders.created.dlq\n") != NULL,
           "orders.created dead-letters into the DLQ");
    tap_is_str(cell(&s, MODEL_QUEUES, "%2F/audit.events", QUEUE_TYPE), "stream",
               "the default vhost is %2F in keys");

    char *k = alert_key(&s, "DeadLetterQueueGrowing");
    tap_ok(k != NULL && strlen(k) == 16, "DLQ alert keyed by a 16-hex fingerprint");
    const char *det = detail(&s, MODEL_ALERTS, k != NULL ? k : "");
    tap_ok(strstr(det, "label.queue\torders.created.dlq\n") != NULL &&
               strstr(det, "runbook_url\thttps://runbooks.example.com/shop/queue-backlog.md\n") !=
                   NULL &&
               strstr(det, "generatorURL\thttp") != NULL,
           "DLQ alert details: labels, runbook, generator");
    tap_is_str(k != NULL ? cell(&s, MODEL_ALERTS, k, ALERT_TARGET) : NULL,
               "queue=orders.created.dlq", "DLQ alert target");
    tap_is_int(k != NULL ? row_tone(&s, MODEL_ALERTS, k) : -1, TONE_CRIT, "critical is toned crit");
    free(k);

    /* emails.outbound builds past the threshold and pages, then drains */
    bool backlog = false, warned = false, drained = false;
    for (int t = 0; t < 40; t++) {
        tick(&s, 1);
        k = alert_key(&s, "QueueBacklog");
        if (k != NULL && strcmp(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "firing") == 0) {
            backlog = true;
            warned = warned || row_tone(&s, MODEL_ALERTS, k) == TONE_WARN;
        }
        const char *trend = cell(&s, MODEL_QUEUES, "prod/emails.outbound", QUEUE_TREND);
        drained = drained || (backlog && strcmp(trend, "drain") == 0);
        free(k);
    }
    tap_ok(backlog && warned, "QueueBacklog fires as a warning");
    tap_ok(drained, "and emails.outbound drains afterwards");
    sim_close(&s);
}

static void test_deploys(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "failed",
               "payments-api rollout failed");
    tap_ok(strstr(detail(&s, MODEL_DEPLOYS, "payments/payments-api"),
                  "reason\tProgressDeadlineExceeded\n") != NULL,
           "with reason ProgressDeadlineExceeded");
    tap_is_int(row_tone(&s, MODEL_DEPLOYS, "payments/payments-api"), TONE_CRIT, "failed is crit");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_STATE), "progressing",
               "checkout is mid-rollout");
    tap_is_int(cell_tone(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_STATE), TONE_INFO,
               "progressing is info");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_READY), "3/4", "READY text");
    tap_is_int((long long)num(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_READY), 3, "READY num");
    char *k = alert_key(&s, "KubeDeploymentRolloutStuck");
    tap_ok(k != NULL, "KubeDeploymentRolloutStuck fires for payments-api");
    free(k);
    int done = -1;
    for (int t = 1; t <= 40 && done < 0; t++) {
        tick(&s, 1);
        if (strcmp(cell(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_STATE), "complete") == 0) {
            done = t;
        }
    }
    tap_ok(done > 3, "checkout finishes its rollout after a while (tick %d)", done);
    tap_is_int((long long)num(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_UPTODATE), 4,
               "with all 4 pods up to date");
    tap_is_int(cell_tone(&s, MODEL_DEPLOYS, "shop/checkout", DEPLOY_STATE), TONE_OK,
               "complete is ok");
    sim_close(&s);
}

static void test_server_actions(void)
{
    const char *web2 = "be_web/web2";
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    uint64_t gen = store_generation(s.st, MODEL_POOLS);
    struct report r = act(&s, MODEL_POOLS, "drain", web2, NULL);
    tap_ok(r.called && r.ok, "drain succeeds");
    tap_is_str(r.msg, "be_web/web2 set to DRAIN", "drain message");
    tap_ok(store_generation(s.st, MODEL_POOLS) > gen, "drain publishes at once");
    tap_is_str(cell(&s, MODEL_POOLS, web2, POOL_STATUS), "DRAIN", "status DRAIN without a tick");
    tap_is_int(cell_tone(&s, MODEL_POOLS, web2, POOL_STATUS), TONE_WARN, "DRAIN is warn");
    tap_ok(num(&s, MODEL_POOLS, web2, POOL_SESS) > 0, "sessions still open right after drain");
    int zero_at = -1;
    for (int t = 1; t <= 5 && zero_at < 0; t++) {
        tick(&s, 1);
        if (num(&s, MODEL_POOLS, web2, POOL_SESS) == 0) {
            zero_at = t;
        }
    }
    tap_ok(zero_at > 1, "sessions fall to 0 within 5 ticks, not at once (tick %d)", zero_at);
    tap_is_str(cell(&s, MODEL_POOLS, web2, POOL_STATUS), "DRAIN", "still DRAIN");

    r = act(&s, MODEL_POOLS, "ready", web2, NULL);
    tap_ok(r.ok, "ready succeeds (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_POOLS, web2, POOL_STATUS), "UP", "ready -> UP");
    tick(&s, 3);
    tap_ok(num(&s, MODEL_POOLS, web2, POOL_SESS) > 0, "sessions recover after ready");

    r = act(&s, MODEL_POOLS, "maint", "be_api/api1", NULL);
    tap_ok(r.ok, "maint succeeds (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_POOLS, "be_api/api1", POOL_STATUS), "MAINT", "maint -> MAINT");
    tap_ok(num(&s, MODEL_POOLS, "be_api/api1", POOL_SESS) == 0, "MAINT has no sessions");
    tick(&s, 2);
    tap_is_str(cell(&s, MODEL_POOLS, "be_api/api1", POOL_STATUS), "MAINT", "MAINT stays");

    r = act(&s, MODEL_POOLS, "drain", "be_web/web9", NULL);
    tap_ok(r.called && !r.ok, "drain of an unknown server fails");
    tap_is_str(r.msg, "no such server: be_web/web9", "and says so");
    sim_close(&s);
}

static void test_silence(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    char *k = alert_key(&s, "DeadLetterQueueGrowing");
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "firing", "DLQ alert firing at start");
    struct report r = act(&s, MODEL_ALERTS, "silence", k, "2h");
    tap_ok(r.ok, "silence succeeds (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "silenced", "STATE silenced at once");
    tap_is_int(row_tone(&s, MODEL_ALERTS, k), TONE_MUTED, "a silenced alert is muted");
    tap_ok(strstr(detail(&s, MODEL_ALERTS, k), "silencedBy\t") != NULL, "detail has silencedBy");
    tick(&s, 30);
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "silenced", "still silenced a minute later");
    r = act(&s, MODEL_ALERTS, "expire", k, NULL);
    tap_ok(r.ok, "expire succeeds (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "firing", "firing again after expire");
    r = act(&s, MODEL_ALERTS, "expire", k, NULL);
    tap_ok(!r.ok, "expire of an unsilenced alert fails");
    tap_is_str(r.msg, "not silenced", "and says not silenced");

    r = act(&s, MODEL_ALERTS, "silence", k, "soon");
    tap_ok(!r.ok, "silence with a bad duration fails");
    tap_is_str(r.msg, "bad duration 'soon'", "and names the duration");
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "firing", "and silences nothing");

    r = act(&s, MODEL_ALERTS, "silence", k, "30s");
    tap_ok(r.ok, "a 30s silence");
    tick(&s, 20); /* 2s per tick: 40s of sim time */
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "firing", "ends when sim time passes it");

    r = act(&s, MODEL_ALERTS, "silence", "0123456789abcdef", "1h");
    tap_ok(!r.ok && strstr(r.msg, "no such alert") != NULL, "silence of an unknown alert fails");
    free(k);
    sim_close(&s);
}

/* The silences view: the one made before the start, new ones, expire by id. */
static void test_silences_view(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    const struct rowset *rs = rows_of(&s, MODEL_SILENCES);
    tap_ok(rs != NULL && rs->nrows == 1, "one silence at start");
    if (rs == NULL || rs->nrows != 1) {
        sim_close(&s);
        return;
    }
    char *mem = xstrdup(rowset_key(rs, 0));
    tap_is_str(rowset_cell_text(rs, 0, SILENCE_STATE), "active", "it is active");
    tap_ok(strstr(rowset_cell_text(rs, 0, SILENCE_MATCHERS), "alertname=\"HighMemoryUsage\"") !=
               NULL,
           "its matchers name the memory alert");
    tap_ok(strncmp(rowset_cell_text(rs, 0, SILENCE_ID), mem, 8) == 0 &&
               strlen(rowset_cell_text(rs, 0, SILENCE_ID)) == 8,
           "the SILENCE column shows the first 8 characters of the id");

    char *k = alert_key(&s, "DeadLetterQueueGrowing");
    struct report r = act(&s, MODEL_ALERTS, "silence", k, "2h");
    tap_ok(r.ok, "silence the DLQ alert");
    rs = rows_of(&s, MODEL_SILENCES);
    tap_is_int((long)rs->nrows, 2, "two silences now");
    tap_ok(strstr(rowset_cell_text(rs, 0, SILENCE_MATCHERS), "DeadLetterQueueGrowing") != NULL,
           "the newest is listed first");
    tap_is_str(rowset_cell_text(rs, 0, SILENCE_ENDS), "in 2h", "and ends in 2h");
    tap_is_str(rowset_cell_text(rs, 0, SILENCE_COMMENT), "silenced from opsdeck",
               "with opsdeck's comment");

    r = act(&s, MODEL_SILENCES, "expire", mem, NULL);
    tap_ok(r.ok, "expire the memory silence by id (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_SILENCES, mem, SILENCE_STATE), "expired", "it shows expired");
    tap_is_int(row_tone(&s, MODEL_SILENCES, mem), TONE_MUTED, "muted");
    char *memalert = alert_key(&s, "HighMemoryUsage");
    tap_ok(memalert != NULL &&
               strcmp(cell(&s, MODEL_ALERTS, memalert, ALERT_STATE), "silenced") != 0,
           "its alert is no longer silenced");
    rs = rows_of(&s, MODEL_SILENCES);
    tap_is_str(rowset_cell_text(rs, rs->nrows - 1, SILENCE_STATE), "expired",
               "expired silences come after active ones");
    r = act(&s, MODEL_SILENCES, "expire", mem, NULL);
    tap_ok(!r.ok && strstr(r.msg, "already expired") != NULL, "expiring it again fails (%s)",
           r.msg);
    r = act(&s, MODEL_SILENCES, "expire", "no-such-id", NULL);
    tap_ok(!r.ok && strstr(r.msg, "no such silence") != NULL, "an unknown id fails");

    /* twenty more silences: the list stays bounded, expired ones go first */
    for (int i = 0; i < 20; i++) {
        act(&s, MODEL_ALERTS, "silence", k, "1h");
    }
    rs = rows_of(&s, MODEL_SILENCES);
    tap_is_int((long)rs->nrows, 16, "at most 16 silences kept");
    tap_is_str(cell(&s, MODEL_ALERTS, k, ALERT_STATE), "silenced", "the alert stays silenced");
    free(memalert);
    free(mem);
    free(k);
    sim_close(&s);
}

static void test_restart(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    struct report r = act(&s, MODEL_DEPLOYS, "restart", "shop/cart", NULL);
    tap_ok(r.ok, "restart succeeds (%s)", r.msg);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_STATE), "progressing",
               "restart -> progressing at once");
    tap_is_int((long long)num(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_UPTODATE), 0,
               "UP2D drops to 0");
    int done = -1;
    bool climbs = true;
    double prev = 0;
    for (int t = 1; t <= 20 && done < 0; t++) {
        tick(&s, 1);
        double up = num(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_UPTODATE);
        climbs = climbs && up >= prev && up <= prev + 1;
        prev = up;
        if (strcmp(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_STATE), "complete") == 0) {
            done = t;
        }
    }
    tap_ok(done > 0, "complete within 20 ticks (tick %d)", done);
    tap_ok(climbs, "UP2D climbs one pod at a time");
    tap_is_int((long long)prev, 3, "all 3 pods up to date");

    r = act(&s, MODEL_DEPLOYS, "restart", "shop/nope", NULL);
    tap_ok(!r.ok, "restart of an unknown deployment fails");
    tap_is_str(r.msg, "no such deployment: shop/nope", "and says so");
    r = act(&s, MODEL_DEPLOYS, "restart", "shop/notifications", NULL);
    tap_ok(!r.ok && strstr(r.msg, "paused") != NULL, "a paused deployment is not restarted");

    /* payments-api's new pods crash: a restart gets stuck and fails again */
    r = act(&s, MODEL_DEPLOYS, "restart", "payments/payments-api", NULL);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "progressing",
               "payments-api restarts");
    tick(&s, 15);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "failed",
               "and fails again at the deadline");
    sim_close(&s);
}

/* Pause, resume, scale and undo on the simulated deployments, as kubectl words them. */
static void test_deploy_actions(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    struct report r = act(&s, MODEL_DEPLOYS, "pause", "shop/cart", NULL);
    tap_ok(r.ok, "pause succeeds (%s)", r.msg);
    tap_is_str(r.msg, "shop/cart paused", "and says so");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_STATE), "paused", "cart is paused");
    r = act(&s, MODEL_DEPLOYS, "pause", "shop/cart", NULL);
    tap_ok(!r.ok && strcmp(r.msg, "shop/cart is already paused") == 0, "pausing twice is refused");
    r = act(&s, MODEL_DEPLOYS, "restart", "shop/cart", NULL);
    tap_ok(!r.ok, "a paused deployment does not restart");
    r = act(&s, MODEL_DEPLOYS, "undo", "shop/cart", NULL);
    tap_ok(!r.ok && strstr(r.msg, "run rollout resume first") != NULL, "nor undo (%s)", r.msg);
    r = act(&s, MODEL_DEPLOYS, "resume", "shop/cart", NULL);
    tap_is_str(r.msg, "shop/cart resumed", "resume succeeds");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_STATE), "complete",
               "a settled deployment resumes complete");
    r = act(&s, MODEL_DEPLOYS, "resume", "shop/cart", NULL);
    tap_ok(!r.ok && strcmp(r.msg, "shop/cart is not paused") == 0, "resuming twice is refused");

    /* notifications was paused mid-rollout: resumed, it finishes */
    r = act(&s, MODEL_DEPLOYS, "resume", "shop/notifications", NULL);
    tap_ok(r.ok, "resume notifications");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/notifications", DEPLOY_STATE), "progressing",
               "its rollout goes on");
    tick(&s, 10);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/notifications", DEPLOY_STATE), "complete",
               "and completes");

    const struct action_def *scale = backend_action_by_verb(s.b, MODEL_DEPLOYS, "scale");
    const char *labels[4];
    char *values[4] = {0};
    int nf = s.b->impl->form(s.b, scale, "shop/cart", labels, values, 4);
    tap_ok(nf == 1 && values[0] != NULL && strcmp(values[0], "3") == 0,
           "the scale form is prefilled with the current 3 replicas");
    free(values[0]);
    r = act(&s, MODEL_DEPLOYS, "scale", "shop/cart", "5");
    tap_is_str(r.msg, "shop/cart scaled from 3 to 5 replicas", "scale 3 -> 5");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_READY), "5/5", "READY 5/5");
    r = act(&s, MODEL_DEPLOYS, "scale", "shop/cart", "0");
    tap_is_str(r.msg, "shop/cart scaled from 5 to 0 replicas: no pods will run",
               "scale to 0 is said clearly");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_READY), "0/0", "READY 0/0");
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_STATE), "complete",
               "zero replicas is a complete rollout");
    static const char *const bad[] = {"-1", "10001", "3x", "", " 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = act(&s, MODEL_DEPLOYS, "scale", "shop/cart", bad[i]);
        tap_ok(!r.ok && strstr(r.msg, "bad replica count") != NULL, "scale to '%s' is refused",
               bad[i]);
    }
    tap_is_str(cell(&s, MODEL_DEPLOYS, "shop/cart", DEPLOY_READY), "0/0",
               "refusals change nothing");

    /* payments-api is stuck on a broken image: undo goes back to the one that worked */
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "failed",
               "payments-api starts failed");
    const char *det = detail(&s, MODEL_DEPLOYS, "payments/payments-api");
    const char *revp = det != NULL ? strstr(det, "revision\t") : NULL;
    int rev = revp != NULL ? atoi(revp + strlen("revision\t")) : -1;
    r = act(&s, MODEL_DEPLOYS, "undo", "payments/payments-api", NULL);
    char *want = xasprintf("payments/payments-api rolled back to revision %d", rev - 1);
    tap_is_str(r.msg, want, "undo names the previous revision");
    free(want);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "progressing",
               "undo starts a rollout");
    tick(&s, 15);
    tap_is_str(cell(&s, MODEL_DEPLOYS, "payments/payments-api", DEPLOY_STATE), "complete",
               "and the old template's pods come up");
    r = act(&s, MODEL_DEPLOYS, "undo", "shop/nope", NULL);
    tap_is_str(r.msg, "no such deployment: shop/nope", "undo of an unknown deployment");
    sim_close(&s);
}

/* The queue actions the RabbitMQ backend has, on the simulation (mode still: nothing moves). */
static void test_queue_actions(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, "mode", "still", NULL});
    tick(&s, 1);
    const char *orders = "prod/orders.created", *dlq = "prod/orders.created.dlq";
    tap_is_str(cell(&s, MODEL_QUEUES, orders, QUEUE_DLQ), "orders.created.dlq",
               "DLQ: orders.created names its dead-letter queue");
    tap_is_str(cell(&s, MODEL_QUEUES, dlq, QUEUE_DLQ), "<- orders.created",
               "DLQ: the dead-letter queue names its source");
    tap_is_int(row_tone(&s, MODEL_QUEUES, dlq), TONE_NORMAL,
               "the DLQ's row tone is left to the name cell (crit there)");
    tap_is_int(cell_tone(&s, MODEL_QUEUES, dlq, QUEUE_NAME), TONE_CRIT,
               "a DLQ with messages is crit");

    double in_dlq = num(&s, MODEL_QUEUES, dlq, QUEUE_READY);
    struct report r = act(&s, MODEL_QUEUES, "peek", dlq, "3");
    tap_ok(r.ok, "peek succeeds");
    tap_ok(strncmp(r.msg, "peeked 3 messages of orders.created.dlq", 39) == 0,
           "peek sums up in its first line (%.60s)", r.msg);
    tap_ok(strstr(r.msg, "--- message 3 of 3 ---") != NULL, "and lists every message");
    tap_ok(strstr(r.msg, "x-death: queue orders.created, reason rejected") != NULL,
           "dead letters carry x-death");
    tap_ok(strstr(r.msg, "\"order_id\":") != NULL, "with an order payload");
    tap_ok(num(&s, MODEL_QUEUES, dlq, QUEUE_READY) == in_dlq, "peek leaves the messages");
    r = act(&s, MODEL_QUEUES, "peek", dlq, "many");
    tap_ok(!r.ok && strstr(r.msg, "bad count 'many'") != NULL, "a bad count is refused");

    double in_orders = num(&s, MODEL_QUEUES, orders, QUEUE_READY);
    r = act(&s, MODEL_QUEUES, "moveback", "prod/payments.settle", NULL);
    tap_ok(!r.ok && strstr(r.msg, "not a dead-letter queue") != NULL,
           "move-back refuses a queue without dead letters");
    r = act(&s, MODEL_QUEUES, "moveback", dlq, NULL);
    tap_ok(r.ok, "move-back succeeds (%s)", r.msg);
    tap_is_int((long long)num(&s, MODEL_QUEUES, dlq, QUEUE_READY), 0, "the DLQ is drained");
    tap_is_int((long long)num(&s, MODEL_QUEUES, orders, QUEUE_READY),
               (long long)(in_orders + in_dlq), "into its source");
    tap_is_int(cell_tone(&s, MODEL_QUEUES, dlq, QUEUE_NAME), TONE_NORMAL,
               "an empty DLQ no longer stands out");
    r = act(&s, MODEL_QUEUES, "peek", dlq, "5");
    tap_is_str(r.msg, "orders.created.dlq is empty: no message to peek", "peek on an empty queue");

    tap_ok(num(&s, MODEL_QUEUES, "prod/emails.outbound", QUEUE_READY) > 0, "emails has messages");
    r = act(&s, MODEL_QUEUES, "purge", "prod/emails.outbound", NULL);
    tap_ok(r.ok && strncmp(r.msg, "purged emails.outbound (", 24) == 0, "purge succeeds (%s)",
           r.msg);
    tap_is_int((long long)num(&s, MODEL_QUEUES, "prod/emails.outbound", QUEUE_READY), 0,
               "purge empties READY");
    r = act(&s, MODEL_QUEUES, "purge", "prod/nope", NULL);
    tap_is_str(r.msg, "no such queue: prod/nope", "purge of an unknown queue");
    const struct action_def *def = backend_action_by_verb(s.b, MODEL_QUEUES, "purge");
    tap_ok(def != NULL && (def->flags & ACTION_TYPED) && def->key == 'P',
           "purge is P, with the name typed");
    def = backend_action_by_verb(s.b, MODEL_QUEUES, "peek");
    tap_ok(def != NULL && def->key == 'p' && strcmp(def->input_default, "5") == 0,
           "peek is p, 5 by default");
    def = backend_action_by_verb(s.b, MODEL_QUEUES, "moveback");
    tap_ok(def != NULL && def->key == 'M', "move-back is M");
    sim_close(&s);
}

/* A game day's "a consumer died": stop makes CONS 0 and the depth grow, start brings them back. */
static void test_consumer_actions(void)
{
    const char *orders = "prod/orders.created";
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    struct sim twin = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 2);
    tick(&twin, 2);
    const struct action_def *def = backend_action_by_verb(s.b, MODEL_QUEUES, "stop");
    tap_ok(def != NULL && def->key == 'c' && (def->flags & ACTION_DISRUPTIVE),
           "stop consumers is c, disruptive");
    def = backend_action_by_verb(s.b, MODEL_QUEUES, "start");
    tap_ok(def != NULL && def->key == 'C', "start consumers is C");
    double cons = num(&s, MODEL_QUEUES, orders, QUEUE_CONSUMERS);
    double msgs = num(&s, MODEL_QUEUES, orders, QUEUE_MSGS);
    tap_is_int((long long)cons, 4, "orders.created has 4 consumers");
    struct report r = act(&s, MODEL_QUEUES, "stop", orders, NULL);
    tap_ok(r.ok, "stop succeeds");
    tap_is_str(r.msg, "stopped 4 consumers of orders.created", "and says how many");
    tap_is_int((long long)num(&s, MODEL_QUEUES, orders, QUEUE_CONSUMERS), 0, "CONS is 0 at once");
    tap_is_int((long long)num(&s, MODEL_QUEUES, orders, QUEUE_UNACK), 0,
               "unacknowledged deliveries go back to the queue");
    tap_ok(num(&s, MODEL_QUEUES, orders, QUEUE_MSGS) == msgs, "no message is lost (%g)", msgs);
    bool grows = true;
    double prev = num(&s, MODEL_QUEUES, orders, QUEUE_READY);
    for (int t = 0; t < 5; t++) {
        tick(&s, 1);
        double now = num(&s, MODEL_QUEUES, orders, QUEUE_READY);
        grows = grows && now > prev && num(&s, MODEL_QUEUES, orders, QUEUE_CONSUMERS) == 0;
        prev = now;
    }
    tap_ok(grows, "while stopped the depth grows every tick and CONS stays 0 (%g)", prev);
    tap_is_str(cell(&s, MODEL_QUEUES, orders, QUEUE_TREND), "grow", "its trend says grow");
    r = act(&s, MODEL_QUEUES, "stop", orders, NULL);
    tap_ok(r.ok && strstr(r.msg, "already stopped") != NULL, "a second stop says so (%s)", r.msg);
    r = act(&s, MODEL_QUEUES, "stop", "prod/orders.created.dlq", NULL);
    tap_ok(!r.ok && strstr(r.msg, "has no consumers to stop") != NULL,
           "a queue nobody consumes cannot be stopped");
    r = act(&s, MODEL_QUEUES, "start", orders, NULL);
    tap_ok(r.ok, "start succeeds");
    tap_is_str(r.msg, "started 4 consumers of orders.created", "and says how many");
    tap_is_int((long long)num(&s, MODEL_QUEUES, orders, QUEUE_CONSUMERS), 4, "CONS is back to 4");
    bool drained = false;
    for (int t = 0; t < 10 && !drained; t++) {
        tick(&s, 1);
        drained = num(&s, MODEL_QUEUES, orders, QUEUE_READY) < prev;
    }
    tap_ok(drained, "the consumers work the backlog off");
    r = act(&s, MODEL_QUEUES, "start", orders, NULL);
    tap_ok(r.ok && strstr(r.msg, "already has 4 consumers running") != NULL,
           "start on a running queue is a no-op that succeeds (a rollback never fails on it)");
    r = act(&s, MODEL_QUEUES, "stop", "prod/nope", NULL);
    tap_is_str(r.msg, "no such queue: prod/nope", "stop of an unknown queue");
    /* The rest of the shop is not touched: payments.settle matches a twin that saw no action. */
    tick(&twin, 16);
    tap_ok(num(&s, MODEL_QUEUES, "prod/payments.settle", QUEUE_CONSUMERS) ==
               num(&twin, MODEL_QUEUES, "prod/payments.settle", QUEUE_CONSUMERS),
           "other queues keep their consumers");
    sim_close(&twin);
    sim_close(&s);
}

static void test_still(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, "mode", "still", NULL});
    tick(&s, 1);
    char *first = dump_all(&s);
    int differ = 0;
    for (int t = 0; t < 10; t++) {
        tick(&s, 1);
        char *now = dump_all(&s);
        differ += strcmp(first, now) != 0;
        free(now);
    }
    tap_is_int(differ, 0, "mode=still: 10 more ticks publish identical rows");
    free(first);
    sim_close(&s);
}

/* Each row of a kind as text, keyed by position; the caller frees with free_dumps(). */
static char **row_dumps(const struct rowset *rs)
{
    char **d = xcalloc(rs->nrows + 1, sizeof *d);
    for (size_t r = 0; r < rs->nrows; r++) {
        struct buf b = {xstrdup(""), 0, 1};
        dump_row(&b, rs, r);
        d[r] = b.p;
    }
    return d;
}

static void free_dumps(char **d)
{
    for (size_t r = 0; d[r] != NULL; r++) {
        free(d[r]);
    }
    free(d);
}

static char *dump_others(const struct sim *s)
{
    char *a = dump_kind(s, MODEL_ALERTS), *p = dump_kind(s, MODEL_POOLS);
    char *d = dump_kind(s, MODEL_DEPLOYS);
    char *all = xasprintf("%s%s%s", a, p, d);
    free(a);
    free(p);
    free(d);
    return all;
}

static void test_trickle(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, "mode", "trickle", NULL});
    tick(&s, 1);
    bool one_each = true;
    int others_changed = 0;
    char *others = dump_others(&s);
    char **prev = row_dumps(rows_of(&s, MODEL_QUEUES));
    for (int t = 0; t < 12; t++) {
        tick(&s, 1);
        char **cur = row_dumps(rows_of(&s, MODEL_QUEUES));
        int n = 0;
        for (size_t r = 0; prev[r] != NULL && cur[r] != NULL; r++) {
            n += strcmp(prev[r], cur[r]) != 0;
        }
        if (n != 1) {
            tap_diag("tick %d: %d queue rows changed", t + 2, n);
            one_each = false;
        }
        free_dumps(prev);
        prev = cur;
        char *now = dump_others(&s);
        others_changed += strcmp(now, others) != 0;
        free(now);
    }
    tap_ok(one_each, "mode=trickle: exactly one queue row changes per tick");
    tap_is_int(others_changed, 0, "mode=trickle: alerts, pools and deploys do not change");
    tap_is_int((long long)store_nrows(s.st, MODEL_QUEUES), 8, "and no queue row comes or goes");
    free_dumps(prev);
    free(others);
    sim_close(&s);
}

static void test_bulk(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, "queues", "10000", NULL});
    uint64_t t0 = clock_mono_ms();
    tick(&s, 3);
    uint64_t ms = clock_mono_ms() - t0;
    tap_is_int((long long)store_nrows(s.st, MODEL_QUEUES), 10000, "queues=10000: 10000 rows");
    tap_ok(cell(&s, MODEL_QUEUES, "%2F/bulk.q09992", QUEUE_NAME) != NULL,
           "bulk queues are named bulk.qNNNNN");
    tap_ok(cell(&s, MODEL_QUEUES, "prod/orders.created.dlq", QUEUE_NAME) != NULL,
           "the named queues are still there");
    tap_diag("3 ticks of 10,000 queues: %llu ms", (unsigned long long)ms);
    sim_close(&s);

    struct sim few = sim_open((const char *const[]){"epoch", EPOCH, "queues", "3", NULL});
    tick(&few, 2);
    tap_is_int((long long)store_nrows(few.st, MODEL_QUEUES), 3, "queues=3: 3 rows");
    sim_close(&few);
}

/* The Signals rows tell the shop's story: checkout pages while web3 flaps, payments is a ticket. */
static void test_signals(void)
{
    struct sim s = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&s, 1);
    const struct rowset *rs = rows_of(&s, MODEL_SIGNALS);
    tap_ok(rs != NULL && rs->nrows == 5, "five services publish signals");
    static const char *const names[] = {"checkout", "cart", "payments", "search", "notifications"};
    bool whole = true;
    for (size_t i = 0; i < 5; i++) {
        const char *trend = cell(&s, MODEL_SIGNALS, names[i], SIGNAL_TREND);
        double v[128];
        size_t n = trend != NULL ? spark_parse(trend, v, 128) : 0;
        double lo, hi;
        whole = whole && n == 60 && spark_range(v, n, &lo, &hi) &&
                num(&s, MODEL_SIGNALS, names[i], SIGNAL_TRAFFIC) > 0 &&
                num(&s, MODEL_SIGNALS, names[i], SIGNAL_P99) >=
                    num(&s, MODEL_SIGNALS, names[i], SIGNAL_P50);
    }
    tap_ok(whole, "every service: an hour of samples, traffic, p99 >= p50");
    tap_is_str(cell(&s, MODEL_SIGNALS, "checkout", SIGNAL_BURN), "PP..",
               "checkout pages on 1h+5m and 6h+30m at the start");
    tap_is_int(row_tone(&s, MODEL_SIGNALS, "checkout"), TONE_CRIT, "checkout's row is crit");
    tap_is_str(cell(&s, MODEL_SIGNALS, "payments", SIGNAL_BURN), "...T",
               "payments burns slowly: a ticket on 3d+6h");
    tap_is_int(cell_tone(&s, MODEL_SIGNALS, "payments", SIGNAL_BURN), TONE_WARN,
               "payments' lights are warn");
    tap_is_str(cell(&s, MODEL_SIGNALS, "cart", SIGNAL_BURN), "....", "cart is ok");
    tap_ok(num(&s, MODEL_SIGNALS, "payments", SIGNAL_BUDGET) <
               num(&s, MODEL_SIGNALS, "checkout", SIGNAL_BUDGET),
           "payments has the least budget left");
    tap_is_str(cell(&s, MODEL_SIGNALS, "search", SIGNAL_OBJECTIVE), "99.5", "search's objective");

    /* checkout's error ratio follows web3: higher while it is down than while it is up */
    double down = 0, up = 0;
    int ndown = 0, nup = 0;
    for (int t = 0; t < 60; t++) {
        tick(&s, 1);
        const char *st = cell(&s, MODEL_POOLS, "be_web/web3", POOL_STATUS);
        double e = num(&s, MODEL_SIGNALS, "checkout", SIGNAL_ERRORS);
        if (st != NULL && strcmp(st, "DOWN") == 0) {
            down += e;
            ndown++;
        } else {
            up += e;
            nup++;
        }
    }
    tap_ok(ndown > 0 && nup > 0 && down / ndown > 10 * (up / nup),
           "checkout's ERR%% is >10x higher while web3 is down (%.2f vs %.2f)",
           ndown ? down / ndown : 0, nup ? up / nup : 0);
    tap_ok(strstr(detail(&s, MODEL_SIGNALS, "checkout"), "series p99\t") != NULL &&
               strstr(detail(&s, MODEL_SIGNALS, "checkout"), "pair 1h+5m 14.4x\t") != NULL,
           "the detail carries the series and the pairs");

    /* the same seed tells the same story; the signals' dice move no other part */
    struct sim a = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    struct sim b = sim_open((const char *const[]){"epoch", EPOCH, NULL});
    tick(&a, 7);
    tick(&b, 7);
    tap_is_str(cell(&a, MODEL_SIGNALS, "search", SIGNAL_TREND),
               cell(&b, MODEL_SIGNALS, "search", SIGNAL_TREND), "same seed, same series");
    sim_close(&a);
    sim_close(&b);
    sim_close(&s);
}

int main(void)
{
    action_setup(NULL, false);
    test_config();
    test_counts();
    test_determinism();
    test_epoch();
    test_flap();
    test_queues();
    test_deploys();
    test_server_actions();
    test_silence();
    test_silences_view();
    test_restart();
    test_deploy_actions();
    test_queue_actions();
    test_consumer_actions();
    test_still();
    test_trickle();
    test_bulk();
    test_signals();
    return tap_done();
}
