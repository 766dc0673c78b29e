/*
 * The demo shop's golden signals: five services whose numbers follow the
 * rest of the shop, so the Signals pane tells the same story as the others.
 *
 *   checkout       errors rise while be_web/web3 is down (its requests in
 *                  flight fail), latency follows be_web's response time and
 *                  the orders queue; pages (1h+5m) while web3 flaps
 *   cart           healthy
 *   payments       a slow burn just over its objective: a ticket (3d+6h)
 *                  and the least budget left; latency follows payments.settle
 *   search         latency follows the search.index queue
 *   notifications  saturation and latency follow notifications.push, whose
 *                  consumers crash now and then
 *
 * Signals run on shop minutes: one tick is one minute of the services'
 * history (the demo shows an hour of it in an hour of ticks, not of days),
 * so the windows' error ratios move at a pace a person can watch: each
 * window's ratio moves toward the current ratio by tick / window. The last
 * hour of every signal is kept (60 samples) and starts filled with a history
 * drawn the same way, so the sparklines are whole from the first frame.
 */
#include "demo_shop.h"

#include "../common/spark.h"
#include "../common/util.h"
#include "slo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TICK_S = 60 };

struct svc_def {
    const char *name;
    double traffic;             /* req/s at the load wave's middle */
    double errors;              /* the usual error ratio */
    double p50, p99;            /* ms, with nothing queued */
    int queue;                  /* enum named_queue whose depth slows it, or -1 */
    double objective;           /* 0..1 */
    double start[SLO_NWINDOWS]; /* the windows' ratios when the demo starts */
    double window;              /* the 30-day ratio at start: the budget spent so far */
};

/* Order: enum demo_service. Windows' ratios: 5m, 30m, 1h, 2h, 6h, 1d, 3d. */
static const struct svc_def defs[DEMO_SERVICES] = {
    [SVC_CHECKOUT] = {.name = "checkout",
                      .traffic = 180,
                      .errors = 0.0006,
                      .p50 = 42,
                      .p99 = 180,
                      .queue = Q_ORDERS,
                      .objective = 0.999,
                      .start = {0.03, 0.02, 0.018, 0.012, 0.007, 0.0025, 0.0009},
                      .window = 0.00085},
    [SVC_CART] = {.name = "cart",
                  .traffic = 120,
                  .errors = 0.0002,
                  .p50 = 18,
                  .p99 = 60,
                  .queue = -1,
                  .objective = 0.999,
                  .start = {0.0002, 0.0002, 0.0002, 0.0002, 0.0002, 0.0002, 0.0002},
                  .window = 0.00018},
    [SVC_PAYMENTS] = {.name = "payments",
                      .traffic = 35,
                      .errors = 0.0012,
                      .p50 = 120,
                      .p99 = 420,
                      .queue = Q_PAYMENTS,
                      .objective = 0.999,
                      .start = {0.0012, 0.0012, 0.0012, 0.0011, 0.0012, 0.0011, 0.0012},
                      .window = 0.00093},
    [SVC_SEARCH] = {.name = "search",
                    .traffic = 80,
                    .errors = 0.0008,
                    .p50 = 25,
                    .p99 = 140,
                    .queue = Q_SEARCH,
                    .objective = 0.995,
                    .start = {0.0008, 0.0008, 0.0008, 0.0008, 0.0008, 0.0008, 0.0008},
                    .window = 0.0012},
    [SVC_NOTIFY] = {.name = "notifications",
                    .traffic = 25,
                    .errors = 0.002,
                    .p50 = 30,
                    .p99 = 250,
                    .queue = Q_NOTIFY,
                    .objective = 0.99,
                    .start = {0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002},
                    .window = 0.003},
};

/* A die of the signals' own stream, so that adding them changed no other part's numbers. */
static double unit(struct demo *d)
{
    uint64_t shop = d->rng;
    d->rng = d->svc_rng;
    double u = demo_rng_unit(d);
    d->svc_rng = d->rng;
    d->rng = shop;
    return u;
}

/* How loaded a queue makes its service: 0 when empty (or absent), 1 at 1,000 waiting. */
static double queue_load(const struct demo *d, int q)
{
    /* with queues = N below the named ones, the missing queues are empty */
    return q < 0 || (size_t)q >= d->nqueues ? 0 : demo_queue_msgs(&d->queues[q]) / 1000.0;
}

static bool web3_down(const struct demo *d)
{
    const struct server *s = demo_server_flapper(d);
    return s != NULL && !s->up;
}

/* One minute of a service: its signals now, from the shop's state (down: web3 is). */
static void measure(struct demo *d, enum demo_service i, double load, bool down, double now[])
{
    const struct svc_def *def = &defs[i];
    double noise = 0.9 + 0.2 * unit(d);
    double wave = 0.8 + 0.4 * unit(d);
    double err = def->errors * noise;
    double slow = 1 + load;
    if (i == SVC_CHECKOUT && down) {
        err += 0.06; /* a quarter of be_web's capacity answers 502 */
        slow *= 1.6;
    }
    now[SLO_SIG_TRAFFIC] = demo_round1(def->traffic * wave);
    now[SLO_SIG_ERRORS] = err;
    now[SLO_SIG_P50] = demo_round0(def->p50 * noise * (1 + load / 4));
    now[SLO_SIG_P99] = demo_round0(def->p99 * noise * slow);
    now[SLO_SIG_SATURATION] = fmin(0.99, 0.35 * wave + 0.6 * fmin(load, 1));
}

/* Push a sample into a series of the last hour, in the cell's units. */
static void push(double *series, double v)
{
    memmove(series, series + 1, (DEMO_SIGNAL_SAMPLES - 1) * sizeof *series);
    series[DEMO_SIGNAL_SAMPLES - 1] = v;
}

static void record(struct svc *s, const double now[])
{
    for (int g = 0; g < SLO_NSIGS; g++) {
        double v = now[g];
        if (g == SLO_SIG_ERRORS || g == SLO_SIG_SATURATION) {
            v *= 100;
        }
        push(s->series[g], v);
        s->now[g] = now[g];
    }
}

void demo_signals_init(struct demo *d)
{
    d->svc_rng = d->seed ^ 0x5167a15ULL;
    for (int i = 0; i < DEMO_SERVICES; i++) {
        struct svc *s = &d->svcs[i];
        const struct svc_def *def = &defs[i];
        memcpy(s->ratio, def->start, sizeof s->ratio);
        s->window = def->window;
        /* an hour of history; web3 was down 4 minutes in every 11 */
        for (int m = 0; m < DEMO_SIGNAL_SAMPLES; m++) {
            double now[SLO_NSIGS];
            measure(d, (enum demo_service)i, queue_load(d, def->queue), m % 11 >= 7, now);
            record(s, now);
        }
    }
}

void demo_signals_step(struct demo *d)
{
    bool down = web3_down(d);
    for (int i = 0; i < DEMO_SERVICES; i++) {
        struct svc *s = &d->svcs[i];
        double now[SLO_NSIGS];
        measure(d, (enum demo_service)i, queue_load(d, defs[i].queue), down, now);
        record(s, now);
        for (int w = 0; w < SLO_NWINDOWS; w++) {
            double a = TICK_S / slo_window_seconds((enum slo_window)w);
            s->ratio[w] += (now[SLO_SIG_ERRORS] - s->ratio[w]) * fmin(1, a);
        }
        s->window += (now[SLO_SIG_ERRORS] - s->window) * TICK_S / (30.0 * 86400);
    }
}

void demo_signals_publish(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_SIGNALS, b->name);
    for (int i = 0; i < DEMO_SERVICES; i++) {
        const struct svc *s = &d->svcs[i];
        struct slo_service in = {
            .name = defs[i].name,
            .traffic = s->now[SLO_SIG_TRAFFIC],
            .errors = s->now[SLO_SIG_ERRORS],
            .p50 = s->now[SLO_SIG_P50] / 1000,
            .p99 = s->now[SLO_SIG_P99] / 1000,
            .saturation = s->now[SLO_SIG_SATURATION],
            .objective = defs[i].objective,
            .window_s = 30 * 86400,
            .budget_left = NAN,
            .window_ratio = s->window,
        };
        memcpy(in.ratio, s->ratio, sizeof in.ratio);
        char *series[SLO_NSIGS];
        for (int g = 0; g < SLO_NSIGS; g++) {
            series[g] = spark_format(s->series[g], DEMO_SIGNAL_SAMPLES);
            in.series[g] = series[g];
        }
        slo_row(rs, &in);
        for (int g = 0; g < SLO_NSIGS; g++) {
            free(series[g]);
        }
    }
    backend_publish(b, rs);
}
