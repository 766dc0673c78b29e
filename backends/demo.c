/*
 * The demo backend: a simulator of a small web shop, built in so that the
 * first run shows something alive and every action has a visible effect
 * (DESIGN rule 9).
 *
 * The simulation is plain state stepped once per poll (a "tick"): twelve
 * servers in three HAProxy-like pools (web3 flaps), RabbitMQ-like queues (a
 * dead-letter queue that only grows, a backlog that builds and drains, a
 * consumer that crashes now and then), Kubernetes-like deployments (one mid
 * rollout, one failed) and Alertmanager-like alerts whose conditions are read
 * from all of that. Publishing only reads the state, so an action changes the
 * state and publishes at once without advancing time.
 *
 * Everything random comes from one splitmix64 stream seeded by `seed`; with
 * `epoch` set, time is epoch + ticks * refresh. The same seed, epoch and
 * sequence of ticks and actions therefore publish identical rows, which tests
 * and golden screens rely on. `mode = still` freezes the simulation after the
 * first tick; `mode = trickle` then changes exactly one queue per tick, for
 * redraw benchmarks. Bulk queues (`queues` > 8) are only numbers: their names
 * are formatted while publishing, so 100,000 queues cost one array; a tick
 * moves the named queues and a rotating few dozen of the bulk ones (as a real
 * broker's idle filler does), and only the queues that changed are published
 * again (backend_patch), so 100,000 queues cost a few rows per tick.
 */
#include "demo.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "demo_shop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_QUEUES = 100000,
};

/* ---- the dice and small helpers (demo_shop.h) ---- */

static uint64_t rng_next(struct demo *d)
{
    uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned demo_rng_below(struct demo *d, unsigned n)
{
    return (unsigned)(rng_next(d) % n);
}

/* Uniform in [0, 1). */
double demo_rng_unit(struct demo *d)
{
    return (double)(rng_next(d) >> 11) / 9007199254740992.0;
}

double demo_round0(double x)
{
    return x < 0 ? -(double)(int64_t)(-x + 0.5) : (double)(int64_t)(x + 0.5);
}

double demo_round1(double x)
{
    return demo_round0(x * 10) / 10;
}

double demo_max0(double x)
{
    return x > 0 ? x : 0;
}

void demo_detail_time(struct rowset *rs, const char *key, int64_t wall_s)
{
    char buf[32];
    clock_format_rfc3339(buf, wall_s * 1000);
    rowset_detail(rs, key, buf);
}

/* ---- the simulation as a whole ---- */

static void sim_init(struct demo *d, double dt)
{
    d->rng = d->seed;
    d->t0 = d->have_epoch ? d->epoch : clock_wall_s();
    d->now = d->t0;
    demo_pools_init(d);
    demo_queues_init(d);
    /* one step in the dark, so the first trends compare two real steps */
    demo_queues_step(d, dt);
    demo_deploys_init(d);
    demo_alerts_init(d);
    demo_signals_init(d);
    d->started = true;
}

static void sim_step(struct demo *d, double dt)
{
    demo_pools_step(d, dt);
    demo_queues_step(d, dt);
    demo_deploys_step(d);
    /* last: alerts and signals read the state the steps above produced */
    demo_alerts_step(d);
    demo_signals_step(d);
}

static void publish_all(struct backend *b)
{
    struct demo *d = b->priv;
    demo_alerts_publish(b, d);
    demo_queues_publish(b, d);
    demo_pools_publish(b, d);
    demo_deploys_publish(b, d);
    demo_silences_publish(b, d);
    demo_signals_publish(b, d);
}

/* ---- actions ---- */

static const struct action_def demo_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', ACTION_DISRUPTIVE, NULL, NULL},
    {"ready", "Set server ready", MODEL_POOLS, 'r', 0, NULL, NULL},
    {"maint", "Put server in maintenance", MODEL_POOLS, 'm', ACTION_DISRUPTIVE, NULL, NULL},
    {"silence", "Silence alert", MODEL_ALERTS, 'm', ACTION_INPUT, "Duration", "2h"},
    {"expire", "Expire silence", MODEL_ALERTS, 'e', 0, NULL, NULL},
    {"expire", "Expire silence", MODEL_SILENCES, 'e', 0, NULL, NULL},
    {"restart", "Restart deployment", MODEL_DEPLOYS, 'R', ACTION_DISRUPTIVE, NULL, NULL},
    {"pause", "Pause rollout", MODEL_DEPLOYS, 'p', 0, NULL, NULL},
    {"resume", "Resume rollout", MODEL_DEPLOYS, 'r', 0, NULL, NULL},
    {"scale", "Scale deployment", MODEL_DEPLOYS, 'x', ACTION_INPUT | ACTION_DISRUPTIVE,
     "Replicas (0 stops every pod)", "1"},
    {"undo", "Undo rollout (previous revision)", MODEL_DEPLOYS, 'U', ACTION_DISRUPTIVE, NULL, NULL},
    {"purge", "Purge queue", MODEL_QUEUES, 'P', ACTION_TYPED, NULL, NULL},
    {"peek", "Peek messages", MODEL_QUEUES, 'p', ACTION_INPUT, "Messages to peek (requeued)", "5"},
    {"moveback", "Move dead letters back", MODEL_QUEUES, 'M', ACTION_DISRUPTIVE, NULL, NULL},
    {"stop", "Stop consumers", MODEL_QUEUES, 'c', ACTION_DISRUPTIVE, NULL, NULL},
    {"start", "Start consumers", MODEL_QUEUES, 'C', 0, NULL, NULL},
};

static bool act_apply(struct demo *d, const struct backend_request *a, char **msg)
{
    const char *verb = a->def->verb;
    switch (a->def->kind) {
    case MODEL_POOLS:
        return demo_pools_act(d, verb, a->target, msg);
    case MODEL_ALERTS:
        if (strcmp(verb, "silence") == 0) {
            return demo_alerts_silence(d, a->target,
                                       a->input != NULL ? a->input : a->def->input_default, msg);
        }
        return demo_alerts_expire(d, MODEL_ALERTS, a->target, msg);
    case MODEL_SILENCES:
        return demo_alerts_expire(d, MODEL_SILENCES, a->target, msg);
    case MODEL_DEPLOYS:
        return demo_deploys_act(d, verb, a->target,
                                a->input != NULL ? a->input : a->def->input_default, msg);
    case MODEL_QUEUES:
        return demo_queues_act(d, a, msg);
    case MODEL_SIGNALS:
    case MODEL_PROMQL:
    case MODEL_HISTORY:
    case MODEL_KINDS:
        break;
    }
    *msg = xasprintf("unknown action '%s'", verb);
    return false;
}

/* ---- the backend_impl callbacks ---- */

/* Scale is prefilled with the deployment's desired replicas, as the kubernetes backend does. */
static int demo_form(struct backend *b, const struct action_def *def, const char *target,
                     const char **labels, char **values, int max)
{
    return demo_deploys_form(b->priv, def, target, labels, values, max);
}

/* Simulated seconds per tick: the refresh interval (whole seconds). */
static double tick_seconds(const struct backend *b)
{
    return b->refresh_ms / 1000.0;
}

static void *demo_create(struct backend *b)
{
    (void)b;
    struct demo *d = xcalloc(1, sizeof *d);
    d->seed = 1;
    d->nqueues = NAMED_QUEUES;
    d->mode = MODE_LIVE;
    return d;
}

/* Decimal digits only: strtoull alone would take "-1", " 7" and "0x10". */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool configure_mode(struct demo *d, const char *value, char **cause)
{
    static const char *const names[] = {
        [MODE_LIVE] = "live", [MODE_STILL] = "still", [MODE_TRICKLE] = "trickle"};
    for (int m = 0; m < 3; m++) {
        if (strcmp(value, names[m]) == 0) {
            d->mode = (enum demo_mode)m;
            return true;
        }
    }
    *cause = xasprintf("bad mode '%s' (live, still or trickle)", value);
    return false;
}

static bool demo_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct demo *d = b->priv;
    uint64_t v;
    if (strcmp(key, "seed") == 0) {
        if (!parse_u64(value, UINT64_MAX, &d->seed)) {
            *cause = xasprintf("bad seed '%s' (an unsigned integer)", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "epoch") == 0) {
        /* up to the end of year 9999, so formatted times stay four-digit */
        if (!parse_u64(value, 253402300799ULL, &v)) {
            *cause = xasprintf("bad epoch '%s' (unix seconds)", value);
            return false;
        }
        d->epoch = (int64_t)v;
        d->have_epoch = true;
        return true;
    }
    if (strcmp(key, "queues") == 0) {
        if (!parse_u64(value, MAX_QUEUES, &v) || v == 0) {
            *cause = xasprintf("bad queues '%s' (1 to %d)", value, MAX_QUEUES);
            return false;
        }
        d->nqueues = (size_t)v;
        return true;
    }
    if (strcmp(key, "alerts") == 0) {
        if (!parse_u64(value, DEMO_MAX_STORM, &v)) {
            *cause = xasprintf("bad alerts '%s' (0 to %d)", value, DEMO_MAX_STORM);
            return false;
        }
        d->nstorm = (size_t)v;
        return true;
    }
    if (strcmp(key, "mode") == 0) {
        return configure_mode(d, value, cause);
    }
    *cause = xasprintf("unknown key '%s' for a demo backend", key);
    return false;
}

static bool demo_start(struct backend *b, char **cause)
{
    (void)cause;
    struct demo *d = b->priv;
    if (!d->started) {
        sim_init(d, tick_seconds(b));
    }
    return true;
}

/* One tick: advance (unless frozen by the mode) and publish everything. */
static void demo_poll(struct backend *b)
{
    struct demo *d = b->priv;
    if (!d->started) {
        sim_init(d, tick_seconds(b));
    }
    if (d->ticks == 0 || d->mode == MODE_LIVE) {
        double dt = tick_seconds(b);
        d->now = d->have_epoch ? d->epoch + (int64_t)d->ticks * (int64_t)dt : clock_wall_s();
        sim_step(d, dt);
    } else if (d->mode == MODE_TRICKLE) {
        demo_queues_trickle(d);
    }
    d->ticks++;
    publish_all(b);
}

static void demo_act(struct backend *b, struct backend_request *a)
{
    struct demo *d = b->priv;
    char *msg = NULL;
    if (!d->started) {
        sim_init(d, tick_seconds(b));
    }
    bool ok = act_apply(d, a, &msg);
    if (ok) {
        publish_all(b); /* show the reaction now, without advancing time */
    }
    backend_done(a, ok, msg);
    free(msg);
}

static void demo_destroy(struct backend *b)
{
    struct demo *d = b->priv;
    if (d == NULL) {
        return;
    }
    free(d->servers);
    free(d->queues);
    free(d->qdirty);
    free(d);
    b->priv = NULL;
}

const struct backend_impl demo_backend = {
    .type = "demo",
    .description = "built-in simulator of a small shop (queues, pools, deploys, alerts, signals)",
    .kinds = (1u << MODEL_ALERTS) | (1u << MODEL_QUEUES) | (1u << MODEL_POOLS) |
             (1u << MODEL_DEPLOYS) | (1u << MODEL_SILENCES) | (1u << MODEL_SIGNALS),
    .actions = demo_actions,
    .nactions = (int)(sizeof demo_actions / sizeof demo_actions[0]),
    .create = demo_create,
    .configure = demo_configure,
    .start = demo_start,
    .poll = demo_poll,
    .act = demo_act,
    .form = demo_form,
    .destroy = demo_destroy,
};
