/*
 * The demo shop, shared by the demo's files (demo.h is the backend; this
 * header is theirs alone): the fixed cast (demo_data.c), the simulated state
 * (struct demo), the dice, and what each part of the shop offers the others.
 *
 *   demo.c          the backend: settings, ticks, the action table, dispatch
 *   demo_data.c     the pools, named queues, deployments and alert rules
 *   demo_pools.c    HAProxy-like servers; drain, ready, maint
 *   demo_queues.c   RabbitMQ-like queues; purge, peek, move back, stop/start consumers
 *   demo_deploys.c  Kubernetes-like deployments; restart, pause, resume, scale, undo
 *   demo_alerts.c   Alertmanager-like alerts and silences; silence, expire
 *   demo_signals.c  the services' golden signals and SLOs, read off the rest
 *
 * Each part is initialised, stepped once per tick and published in that
 * order (alerts last: their rules read the rest); randomness comes only from
 * demo_rng_*(), so a seed replays the same shop.
 */
#ifndef OPSDECK_DEMO_SHOP_H
#define OPSDECK_DEMO_SHOP_H

#include "backend.h"
#include "model.h"
#include "slo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the fixed cast (demo_data.c) ---- */

enum demo_mode { MODE_LIVE, MODE_STILL, MODE_TRICKLE };

struct pool_def {
    const char *name;
    const char *prefix; /* servers are <prefix>1..<prefix>N */
    int servers;
    int subnet;  /* addresses 10.0.<subnet>.1x */
    double sess; /* typical current sessions per server */
    double rt;   /* typical response time, ms */
};

enum queue_shape {
    SHAPE_BUSY,    /* consumers keep up with a steady flow */
    SHAPE_DLQ,     /* nothing consumes; grows every tick */
    SHAPE_BACKLOG, /* builds past the alert threshold, then drains */
    SHAPE_IDLE,    /* mostly empty, a burst now and then */
    SHAPE_FLAKY,   /* its consumers crash for a while every cycle */
    SHAPE_STREAM,  /* retains everything; growth is not a backlog */
    SHAPE_BULK,    /* generated filler for benchmarks */
};

enum named_queue {
    Q_ORDERS,
    Q_DLQ,
    Q_PAYMENTS,
    Q_EMAILS,
    Q_INVENTORY,
    Q_SEARCH,
    Q_NOTIFY,
    Q_AUDIT,
    NAMED_QUEUES
};

struct queue_def {
    const char *name;
    const char *vhost;
    const char *type;
    enum queue_shape shape;
    double rate; /* typical publish rate, msg/s */
    int consumers;
    double ready; /* at start */
    const char *policy;
    const char *args[3][2]; /* queue arguments, shown in the detail */
};

enum named_deploy { D_CHECKOUT, D_CART, D_PAYMENTS, D_SEARCH, D_NOTIFY, D_INGRESS, NDEPLOYS };

struct deploy_def {
    const char *ns;
    const char *name;
    const char *image;
    int replicas;
    enum rollout state; /* at start */
    int updated;        /* pods on the current template at start */
    int pace;           /* ticks per pod of the rollout under way at start */
    bool broken;        /* new pods crash-loop: every rollout gets stuck */
    int age_days;
};

enum severity { SEV_CRITICAL, SEV_WARNING, SEV_INFO };

enum alert_id {
    AL_DLQ,
    AL_TARGET_DOWN,
    AL_ERROR_RATE,
    AL_ROLLOUT_STUCK,
    AL_CRASHLOOP,
    AL_BACKLOG,
    AL_NO_CONSUMERS,
    AL_CERT,
    AL_MEMORY,
    NALERTS
};

struct alert_def {
    const char *name;
    enum severity sev;
    const char *labels[4]; /* "key=value" besides alertname and severity */
    const char *target;    /* the identifying labels, as the TARGET column shows them */
    const char *summary;
    const char *description;
    const char *runbook;
    const char *expr;
    int pending;   /* the rule's `for:`, in ticks */
    int since_min; /* if true at start, it has been firing this long */
};

enum { DEMO_POOLS = 3 };

extern const struct pool_def demo_pool_defs[DEMO_POOLS];
extern const struct queue_def demo_queue_defs[NAMED_QUEUES];
extern const struct deploy_def demo_deploy_defs[NDEPLOYS];
extern const struct alert_def demo_alert_defs[NALERTS];

/* The services of the Signals pane (demo_signals.c). */
enum demo_service { SVC_CHECKOUT, SVC_CART, SVC_PAYMENTS, SVC_SEARCH, SVC_NOTIFY, DEMO_SERVICES };

/* ---- the simulated state ---- */

enum srv_admin { ADMIN_READY, ADMIN_DRAIN, ADMIN_MAINT };

enum srv_check { CHECK_OK, CHECK_CONN, CHECK_TIMEOUT };

struct server {
    const struct pool_def *pool;
    char name[16];
    int num;
    bool up;     /* health checks pass */
    bool flaps;  /* web3 */
    int flap_in; /* ticks to its next flap */
    enum srv_check check;
    enum srv_admin admin;
    double sess, drain_step, total, errors, rt;
    double qcur;
    int64_t changed; /* last status change, wall s */
};

struct queue {
    double ready, unacked;
    double prev; /* messages at the previous step, for TREND */
    double in, out, ack;
    int consumers;
    bool stopped;        /* consumers stopped by an action (a drill's chaos) */
    short was_consumers; /* what start brings back (short: 56 bytes a queue, not 64) */
};

struct deploy {
    enum rollout state;
    int updated;
    int wait;  /* ticks to the next pod */
    int pace;  /* ticks per pod */
    int stuck; /* ticks without progress */
    int revision;
    int prev_revision; /* what undo goes back to; 0: none */
    int replicas;      /* desired: scale changes it */
    bool fixed;        /* rolled back off a broken image: new pods start */
    int64_t created, changed;
};

/* Kept, like Alertmanager, for a while after they end: the silences view shows them. */
enum { DEMO_SILENCES = 16 };

struct silence {
    char id[40];
    enum alert_id alert;
    int64_t starts, ends; /* ends: when it was due to end, or when it was expired */
    char by[80];
    char comment[80];
};

struct alert {
    bool active;   /* the condition holds */
    bool resolved; /* just stopped firing: shown once as "resolved" */
    int age;       /* ticks the condition has held */
    int64_t starts_at;
    int64_t silenced_until; /* 0: not silenced */
    char silence_id[40];
    char fp[17];
};

enum { DEMO_SIGNAL_SAMPLES = 60 }; /* the last hour, a sample a (shop) minute */

struct svc {
    double ratio[SLO_NWINDOWS];                    /* error ratio over each window */
    double window;                                 /* error ratio over the objective's 30 days */
    double now[SLO_NSIGS];                         /* this minute: req/s, ratio, ms, ms, 0..1 */
    double series[SLO_NSIGS][DEMO_SIGNAL_SAMPLES]; /* in the cells' units */
};

struct demo {
    /* configuration */
    uint64_t seed;
    bool have_epoch;
    int64_t epoch;
    size_t nqueues;
    size_t nstorm; /* `alerts`: an alert storm of this many more alerts (demo_alerts.c) */
    enum demo_mode mode;

    /* simulation */
    bool started;
    uint64_t rng;
    uint64_t ticks;
    int64_t t0, now;
    size_t trickle;    /* the next queue trickle mode changes */
    unsigned silences; /* made so far: the next id's seed */
    struct silence silence[DEMO_SILENCES];
    size_t nsilence;
    struct server *servers;
    size_t nservers;
    struct queue *queues;
    uint64_t *qdirty; /* a bit per queue changed since the queues were last published */
    struct deploy deploys[NDEPLOYS];
    struct alert alerts[NALERTS];
    struct svc svcs[DEMO_SERVICES];
    uint64_t svc_rng; /* the signals' own dice: they never shift the rest of the shop's */
};

/* ---- the dice and small helpers (demo.c) ---- */

/* Uniform in [0, n) and in [0, 1), from the shop's one splitmix64 stream. */
unsigned demo_rng_below(struct demo *d, unsigned n);
double demo_rng_unit(struct demo *d);
/* Rounded to a whole number, to one decimal; x, or 0 when negative. */
double demo_round0(double x);
double demo_round1(double x);
double demo_max0(double x);
/* A detail line with a wall-clock time in RFC 3339. */
void demo_detail_time(struct rowset *rs, const char *key, int64_t wall_s);

/* ---- pools (demo_pools.c) ---- */

void demo_pools_init(struct demo *d);
void demo_pools_step(struct demo *d, double dt);
void demo_pools_publish(struct backend *b, const struct demo *d);
/* drain, ready or maint on the server "pool/server"; *msg says what happened (caller frees). */
bool demo_pools_act(struct demo *d, const char *verb, const char *target, char **msg);
/* The server that flaps (be_web/web3), for the alert that watches it. */
const struct server *demo_server_flapper(const struct demo *d);

/* ---- queues (demo_queues.c) ---- */

void demo_queues_init(struct demo *d);
void demo_queues_step(struct demo *d, double dt);
/* One more message in one queue, round-robin; everything else stands still (mode = trickle). */
void demo_queues_trickle(struct demo *d);
void demo_queues_publish(struct backend *b, struct demo *d);
bool demo_queues_act(struct demo *d, const struct backend_request *a, char **msg);
/* Ready plus unacknowledged: the MSGS column. */
double demo_queue_msgs(const struct queue *q);

/* ---- deployments (demo_deploys.c) ---- */

void demo_deploys_init(struct demo *d);
void demo_deploys_step(struct demo *d);
void demo_deploys_publish(struct backend *b, const struct demo *d);
/* restart, pause, resume, scale (input: replicas) or undo on "namespace/name". */
bool demo_deploys_act(struct demo *d, const char *verb, const char *target, const char *input,
                      char **msg);
/* The scale form, prefilled with the desired replicas (backend.h's form). */
int demo_deploys_form(struct demo *d, const struct action_def *def, const char *target,
                      const char **labels, char **values, int max);

/* ---- alerts and silences (demo_alerts.c) ---- */

enum { DEMO_MAX_STORM = 200000 }; /* `alerts` */

void demo_alerts_init(struct demo *d);
void demo_alerts_step(struct demo *d);
void demo_alerts_publish(struct backend *b, const struct demo *d);
void demo_silences_publish(struct backend *b, const struct demo *d);
/* Silence the alert with fingerprint target for input (a duration). */
bool demo_alerts_silence(struct demo *d, const char *target, const char *input, char **msg);
/* Expire a silence by its id (MODEL_SILENCES) or by the alert it mutes (MODEL_ALERTS). */
bool demo_alerts_expire(struct demo *d, enum model_kind kind, const char *target, char **msg);

/* ---- golden signals (demo_signals.c) ---- */

void demo_signals_init(struct demo *d);
void demo_signals_step(struct demo *d);
void demo_signals_publish(struct backend *b, const struct demo *d);

#endif
