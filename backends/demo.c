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
 * are formatted while publishing, so 100,000 queues cost one array.
 */
#include "demo.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "rabbitmq.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_QUEUES = 100000,
    BACKLOG_ALERT = 5000, /* emails.outbound ready messages that page */
    BACKLOG_WARN = 1000,  /* a growing queue this deep is tinted */
    DEADLINE_TICKS = 6,   /* progressDeadlineSeconds, in ticks */
};

static const uint64_t FNV_PRIME = 0x100000001b3ULL;

enum demo_mode { MODE_LIVE, MODE_STILL, MODE_TRICKLE };

/* ---- the shop: static definitions ---- */

struct pool_def {
    const char *name;
    const char *prefix; /* servers are <prefix>1..<prefix>N */
    int servers;
    int subnet;  /* addresses 10.0.<subnet>.1x */
    double sess; /* typical current sessions per server */
    double rt;   /* typical response time, ms */
};

static const struct pool_def pool_defs[] = {
    {"be_web", "web", 5, 1, 40, 45},
    {"be_api", "api", 4, 2, 25, 80},
    {"be_static", "static", 3, 3, 12, 4},
};

/* The server that flaps: be_web/web3. */
static const char FLAP_POOL[] = "be_web";
static const int FLAP_NUM = 3;

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

static const struct queue_def queue_defs[NAMED_QUEUES] = {
    [Q_ORDERS] = {.name = "orders.created",
                  .vhost = "prod",
                  .type = "quorum",
                  .shape = SHAPE_BUSY,
                  .rate = 120,
                  .consumers = 4,
                  .ready = 180,
                  .policy = "orders-ha",
                  .args = {{"x-queue-type", "quorum"},
                           {"x-dead-letter-exchange", "orders.dlx"},
                           {"x-dead-letter-routing-key", "orders.created.dlq"}}},
    [Q_DLQ] = {.name = "orders.created.dlq",
               .vhost = "prod",
               .type = "classic",
               .shape = SHAPE_DLQ,
               .rate = 1,
               .consumers = 0,
               .ready = 1342,
               .policy = "dlq-retain",
               .args = {{"x-queue-type", "classic"},
                        {"x-message-ttl", "1209600000"},
                        {"receives from", "orders.created (reason: rejected)"}}},
    [Q_PAYMENTS] = {.name = "payments.settle",
                    .vhost = "prod",
                    .type = "quorum",
                    .shape = SHAPE_BUSY,
                    .rate = 35,
                    .consumers = 3,
                    .ready = 40,
                    .policy = "payments-ha",
                    .args = {{"x-queue-type", "quorum"}, {"x-delivery-limit", "20"}}},
    [Q_EMAILS] = {.name = "emails.outbound",
                  .vhost = "prod",
                  .type = "classic",
                  .shape = SHAPE_BACKLOG,
                  .rate = 60,
                  .consumers = 2,
                  .ready = 2400,
                  .policy = "lazy",
                  .args = {{"x-queue-type", "classic"}, {"x-max-length", "200000"}}},
    [Q_INVENTORY] = {.name = "inventory.sync",
                     .vhost = "prod",
                     .type = "classic",
                     .shape = SHAPE_IDLE,
                     .rate = 0,
                     .consumers = 1,
                     .ready = 0,
                     .policy = "",
                     .args = {{"x-queue-type", "classic"}, {"x-expires", "86400000"}}},
    [Q_SEARCH] = {.name = "search.index",
                  .vhost = "prod",
                  .type = "quorum",
                  .shape = SHAPE_BUSY,
                  .rate = 80,
                  .consumers = 2,
                  .ready = 90,
                  .policy = "search-ha",
                  .args = {{"x-queue-type", "quorum"}}},
    [Q_NOTIFY] = {.name = "notifications.push",
                  .vhost = "prod",
                  .type = "classic",
                  .shape = SHAPE_FLAKY,
                  .rate = 25,
                  .consumers = 2,
                  .ready = 0,
                  .policy = "",
                  .args = {{"x-queue-type", "classic"}, {"x-max-priority", "5"}}},
    [Q_AUDIT] = {.name = "audit.events",
                 .vhost = "/",
                 .type = "stream",
                 .shape = SHAPE_STREAM,
                 .rate = 45,
                 .consumers = 1,
                 .ready = 1250000,
                 .policy = "audit-retention",
                 .args = {{"x-queue-type", "stream"}, {"x-max-age", "7D"}}},
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

static const struct deploy_def deploy_defs[NDEPLOYS] = {
    [D_CHECKOUT] = {"shop", "checkout", "registry.example.com/shop/checkout:v2.14.1", 4,
                    ROLLOUT_PROGRESSING, 1, 4, false, 41},
    [D_CART] = {"shop", "cart", "registry.example.com/shop/cart:v1.9.3", 3, ROLLOUT_COMPLETE, 3, 1,
                false, 63},
    [D_PAYMENTS] = {"payments", "payments-api", "registry.example.com/payments/payments-api:v3.2.0",
                    3, ROLLOUT_FAILED, 1, 1, true, 120},
    [D_SEARCH] = {"shop", "search", "registry.example.com/shop/search:v5.0.2", 2, ROLLOUT_COMPLETE,
                  2, 1, false, 88},
    [D_NOTIFY] = {"shop", "notifications", "registry.example.com/shop/notifications:v0.31.0", 2,
                  ROLLOUT_PAUSED, 1, 1, false, 17},
    [D_INGRESS] = {"platform", "ingress-nginx", "registry.k8s.io/ingress-nginx/controller:v1.10.1",
                   2, ROLLOUT_COMPLETE, 2, 1, false, 210},
};

enum severity { SEV_CRITICAL, SEV_WARNING, SEV_INFO };

static const char *const severity_names[] = {"critical", "warning", "info"};
static const enum tone severity_tones[] = {TONE_CRIT, TONE_WARN, TONE_INFO};

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

static const struct alert_def alert_defs[NALERTS] = {
    [AL_DLQ] =
        {
            .name = "DeadLetterQueueGrowing",
            .sev = SEV_CRITICAL,
            .labels = {"queue=orders.created.dlq", "service=orders", "vhost=prod"},
            .target = "queue=orders.created.dlq",
            .summary = "Dead-letter queue orders.created.dlq is growing",
            .description = "Orders are being rejected by their consumers and dead-lettered; "
                           "each one is a customer order that was not processed.",
            .runbook = "https://runbooks.example.com/shop/queue-backlog.md",
            .expr =
                "rate(rabbitmq_queue_messages_published_total{queue=\"orders.created.dlq\"}[5m])"
                " > 0",
            .pending = 1,
            .since_min = 47,
        },
    [AL_TARGET_DOWN] =
        {
            .name = "TargetDown",
            .sev = SEV_CRITICAL,
            .labels = {"instance=web3:8080", "job=haproxy-backends", "pool=be_web"},
            .target = "instance=web3:8080",
            .summary = "be_web/web3 fails its health checks",
            .description = "HAProxy marked web3 DOWN; be_web runs on the remaining servers.",
            .runbook = "https://runbooks.example.com/shop/pool-server-down.md",
            .expr = "haproxy_server_status{proxy=\"be_web\",server=\"web3\"} == 0",
            .pending = 1,
        },
    [AL_ERROR_RATE] =
        {
            .name = "HighErrorRate",
            .sev = SEV_CRITICAL,
            .labels = {"pool=be_web", "service=web"},
            .target = "pool=be_web",
            .summary = "5xx responses on be_web above 5%",
            .description = "Requests in flight on a failing server are answered with 502/503.",
            .runbook = "https://runbooks.example.com/shop/high-error-rate.md",
            .expr =
                "sum(rate(haproxy_server_http_responses_total{proxy=\"be_web\",code=\"5xx\"}[1m]))"
                " / sum(rate(haproxy_server_http_responses_total{proxy=\"be_web\"}[1m])) > 0.05",
            .pending = 2,
        },
    [AL_ROLLOUT_STUCK] =
        {
            .name = "KubeDeploymentRolloutStuck",
            .sev = SEV_CRITICAL,
            .labels = {"deployment=payments-api", "namespace=payments"},
            .target = "deployment=payments-api",
            .summary = "Rollout of payments/payments-api is stuck",
            .description = "The new ReplicaSet did not become available before the progress "
                           "deadline (ProgressDeadlineExceeded).",
            .runbook = "https://runbooks.example.com/k8s/deploy-rollback.md",
            .expr =
                "kube_deployment_status_condition{condition=\"Progressing\",status=\"false\"} == 1",
            .pending = 1,
            .since_min = 25,
        },
    [AL_CRASHLOOP] =
        {
            .name = "KubePodCrashLooping",
            .sev = SEV_WARNING,
            .labels = {"container=api", "namespace=payments", "pod=payments-api-6f7c9d8b5-k2x9q"},
            .target = "pod=payments-api-6f7c9d8b5-k2x9q",
            .summary = "payments-api pod is crash looping",
            .description = "Container api restarted 14 times in the last hour: "
                           "missing env SETTLEMENT_BANK_URL.",
            .runbook = "https://runbooks.example.com/k8s/crashloop.md",
            .expr = "increase(kube_pod_container_status_restarts_total[15m]) > 3",
            .pending = 1,
            .since_min = 31,
        },
    [AL_BACKLOG] =
        {
            .name = "QueueBacklog",
            .sev = SEV_WARNING,
            .labels = {"queue=emails.outbound", "service=email", "vhost=prod"},
            .target = "queue=emails.outbound",
            .summary = "emails.outbound has more than 5000 ready messages",
            .description = "The SMTP relay throttles us; mail goes out late but is not lost.",
            .runbook = "https://runbooks.example.com/shop/queue-backlog.md",
            .expr = "rabbitmq_queue_messages_ready{queue=\"emails.outbound\"} > 5000",
            .pending = 1,
        },
    [AL_NO_CONSUMERS] =
        {
            .name = "QueueNoConsumers",
            .sev = SEV_WARNING,
            .labels = {"queue=notifications.push", "service=notifications", "vhost=prod"},
            .target = "queue=notifications.push",
            .summary = "notifications.push has messages and no consumer",
            .description = "The push workers are down; notifications pile up.",
            .runbook = "https://runbooks.example.com/shop/no-consumers.md",
            .expr = "rabbitmq_queue_consumers{queue=\"notifications.push\"} == 0 and "
                    "rabbitmq_queue_messages > 0",
            .pending = 1,
        },
    [AL_CERT] =
        {
            .name = "CertificateExpiringSoon",
            .sev = SEV_INFO,
            .labels = {"instance=shop.example.com:443", "job=blackbox"},
            .target = "instance=shop.example.com:443",
            .summary = "TLS certificate of shop.example.com expires in 9 days",
            .description = "Automatic renewal failed: the ACME HTTP-01 challenge got a 404.",
            .runbook = "https://runbooks.example.com/shop/certificates.md",
            .expr = "probe_ssl_earliest_cert_expiry - time() < 14 * 86400",
            .pending = 1,
            .since_min = 3 * 24 * 60,
        },
    [AL_MEMORY] =
        {
            .name = "HighMemoryUsage",
            .sev = SEV_WARNING,
            .labels = {"instance=search-2:9100", "job=node"},
            .target = "instance=search-2:9100",
            .summary = "search-2 memory above 90%",
            .description = "The search indexer grows its heap during the nightly reindex.",
            .runbook = "https://runbooks.example.com/shop/memory.md",
            .expr = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1",
            .pending = 1,
            .since_min = 5 * 60,
        },
};

/* ---- the shop: simulated state ---- */

enum srv_admin { ADMIN_READY, ADMIN_DRAIN, ADMIN_MAINT };
enum srv_check { CHECK_OK, CHECK_CONN, CHECK_TIMEOUT };

static const char *const admin_names[] = {"ready", "drain", "maint"};

static const struct {
    const char *code;
    const char *desc;
} checks[] = {
    [CHECK_OK] = {"L7OK", "Layer7 check passed (200)"},
    [CHECK_CONN] = {"L4CON", "Layer4 connection problem: Connection refused"},
    [CHECK_TIMEOUT] = {"L4TOUT", "Layer4 timeout"},
};

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
    bool stopped;      /* consumers stopped by an action (a drill's chaos) */
    int was_consumers; /* what start brings back */
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

struct demo {
    /* configuration */
    uint64_t seed;
    bool have_epoch;
    int64_t epoch;
    size_t nqueues;
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
    struct deploy deploys[NDEPLOYS];
    struct alert alerts[NALERTS];
};

/* ---- small helpers ---- */

static uint64_t rng_next(struct demo *d)
{
    uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rng_below(struct demo *d, unsigned n)
{
    return (unsigned)(rng_next(d) % n);
}

/* Uniform in [0, 1). */
static double rng_unit(struct demo *d)
{
    return (double)(rng_next(d) >> 11) / 9007199254740992.0;
}

static double round0(double x)
{
    return x < 0 ? -(double)(int64_t)(-x + 0.5) : (double)(int64_t)(x + 0.5);
}

static double round1(double x)
{
    return round0(x * 10) / 10;
}

static double max0(double x)
{
    return x > 0 ? x : 0;
}

static void detail_time(struct rowset *rs, const char *key, int64_t wall_s)
{
    char buf[32];
    clock_format_rfc3339(buf, wall_s * 1000);
    rowset_detail(rs, key, buf);
}

static void url_encode(char *out, size_t len, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s != '\0' && n + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c) != NULL) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
}

/* A slow load curve shared by every pool, so traffic visibly rises and falls. */
static double load_wave(const struct demo *d)
{
    int t = (int)(d->ticks % 40);
    return 0.8 + 0.4 * (t < 20 ? t : 40 - t) / 20.0;
}

/* ---- pools ---- */

static const char *server_status(const struct server *s)
{
    if (s->admin == ADMIN_MAINT) {
        return "MAINT";
    }
    if (!s->up) {
        return "DOWN";
    }
    return s->admin == ADMIN_DRAIN ? "DRAIN" : "UP";
}

static enum tone server_tone(const struct server *s)
{
    if (s->admin == ADMIN_MAINT) {
        return TONE_WARN;
    }
    if (!s->up) {
        return TONE_CRIT;
    }
    return s->admin == ADMIN_DRAIN ? TONE_WARN : TONE_OK;
}

/* Serving traffic: neither down nor in maintenance. */
static bool server_serving(const struct server *s)
{
    return s->up && s->admin != ADMIN_MAINT;
}

static void servers_init(struct demo *d)
{
    size_t n = 0;
    for (size_t p = 0; p < sizeof pool_defs / sizeof pool_defs[0]; p++) {
        n += (size_t)pool_defs[p].servers;
    }
    d->servers = xcalloc(n, sizeof *d->servers);
    d->nservers = n;
    struct server *s = d->servers;
    for (size_t p = 0; p < sizeof pool_defs / sizeof pool_defs[0]; p++) {
        for (int i = 1; i <= pool_defs[p].servers; i++, s++) {
            s->pool = &pool_defs[p];
            s->num = i;
            snprintf(s->name, sizeof s->name, "%s%d", s->pool->prefix, i);
            s->up = true;
            s->flaps = strcmp(s->pool->name, FLAP_POOL) == 0 && i == FLAP_NUM;
            s->flap_in = 5 + (int)rng_below(d, 3);
            s->sess = round0(s->pool->sess * (0.8 + 0.4 * rng_unit(d)));
            s->total = 100000 + rng_below(d, 900000);
            s->errors = rng_below(d, 50);
            s->rt = round0(s->pool->rt * (0.8 + 0.4 * rng_unit(d)));
            s->changed = d->t0 - 86400 - (int64_t)rng_below(d, 30 * 86400);
        }
    }
}

static void server_flap(struct demo *d, struct server *s)
{
    s->up = !s->up;
    s->changed = d->now;
    if (s->up) {
        s->check = CHECK_OK;
        s->flap_in = 7 + (int)rng_below(d, 4);
    } else {
        /* requests in flight when it died were answered with 5xx */
        s->check = rng_below(d, 2) == 0 ? CHECK_CONN : CHECK_TIMEOUT;
        s->errors += 20 + rng_below(d, 40);
        s->flap_in = 3 + (int)rng_below(d, 2);
    }
}

static void server_step(struct demo *d, struct server *s, double dt, bool degraded)
{
    if (!server_serving(s)) {
        s->sess = 0;
        s->qcur = 0;
        return;
    }
    if (s->admin == ADMIN_DRAIN) {
        s->sess = max0(s->sess - s->drain_step);
    } else {
        double target = s->pool->sess * (0.7 + 0.6 * rng_unit(d)) * load_wave(d);
        s->sess = round0(s->sess + (target - s->sess) / 2);
    }
    s->total += round0(s->sess * dt * (2 + rng_unit(d)));
    /* a pool short of a server queues and errors a little on the others */
    s->errors += (rng_below(d, 4) == 0 ? 1 : 0) + (degraded ? rng_below(d, 4) : 0);
    s->rt = round0(s->pool->rt * (0.8 + 0.5 * rng_unit(d)) * (degraded ? 1.6 : 1.0));
    s->qcur = degraded ? rng_below(d, 4) : 0;
}

static void servers_step(struct demo *d, double dt)
{
    for (size_t i = 0; i < d->nservers; i++) {
        struct server *s = &d->servers[i];
        if (s->flaps && --s->flap_in <= 0) {
            server_flap(d, s);
        }
    }
    for (size_t i = 0; i < d->nservers; i++) {
        bool degraded = false;
        for (size_t j = 0; j < d->nservers; j++) {
            if (d->servers[j].pool == d->servers[i].pool && !d->servers[j].up) {
                degraded = true;
            }
        }
        server_step(d, &d->servers[i], dt, degraded);
    }
}

static struct server *server_find(struct demo *d, const char *key)
{
    for (size_t i = 0; i < d->nservers; i++) {
        struct server *s = &d->servers[i];
        size_t pl = strlen(s->pool->name);
        if (strncmp(key, s->pool->name, pl) == 0 && key[pl] == '/' &&
            strcmp(key + pl + 1, s->name) == 0) {
            return s;
        }
    }
    return NULL;
}

static const struct server *server_flapper(const struct demo *d)
{
    for (size_t i = 0; i < d->nservers; i++) {
        if (d->servers[i].flaps) {
            return &d->servers[i];
        }
    }
    return NULL;
}

static void publish_server(struct rowset *rs, const struct server *s, const char *source)
{
    char key[64];
    snprintf(key, sizeof key, "%s/%s", s->pool->name, s->name);
    rowset_begin(rs, key);
    rowset_text(rs, POOL_NAME, s->pool->name);
    rowset_text(rs, POOL_SERVER, s->name);
    rowset_text(rs, POOL_STATUS, server_status(s));
    rowset_cell_tone(rs, POOL_STATUS, server_tone(s));
    if (server_tone(s) == TONE_CRIT) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    rowset_num(rs, POOL_WEIGHT, 100);
    rowset_num(rs, POOL_SESS, s->sess);
    rowset_num(rs, POOL_TOTAL, s->total);
    rowset_num(rs, POOL_QUEUE, s->qcur);
    /* HAProxy reports no check status for a server in maintenance */
    rowset_text(rs, POOL_CHECK, s->admin == ADMIN_MAINT ? "" : checks[s->check].code);
    if (s->admin != ADMIN_MAINT && s->check != CHECK_OK) {
        rowset_cell_tone(rs, POOL_CHECK, TONE_CRIT);
    }
    rowset_num(rs, POOL_5XX, s->errors);
    rowset_num(rs, POOL_RT, s->rt);
    rowset_text(rs, POOL_SOURCE, source);

    rowset_detailf(rs, "address", "10.0.%d.%d:8080", s->pool->subnet, 10 + s->num);
    rowset_detail(rs, "check",
                  s->admin == ADMIN_MAINT ? "disabled (maintenance)" : checks[s->check].desc);
    rowset_detail(rs, "admin state", admin_names[s->admin]);
    detail_time(rs, "last change", s->changed);
    rowset_detail(rs, "balance", "roundrobin");
    rowset_detail(rs, "mode", "http");
}

static void publish_pools(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    for (size_t i = 0; i < d->nservers; i++) {
        publish_server(rs, &d->servers[i], b->name);
    }
    backend_publish(b, rs);
}

/* ---- queues ---- */

static enum queue_shape queue_shape(size_t i)
{
    return i < NAMED_QUEUES ? queue_defs[i].shape : SHAPE_BULK;
}

static double queue_msgs(const struct queue *q)
{
    return q->ready + q->unacked;
}

static void queues_init(struct demo *d)
{
    d->queues = xcalloc(d->nqueues, sizeof *d->queues);
    for (size_t i = 0; i < d->nqueues; i++) {
        struct queue *q = &d->queues[i];
        if (i < NAMED_QUEUES) {
            q->ready = round0(queue_defs[i].ready * (0.9 + 0.2 * rng_unit(d)));
            q->consumers = queue_defs[i].consumers;
        } else {
            q->ready = rng_below(d, 200);
            q->consumers = 1 + (int)rng_below(d, 3);
        }
        q->prev = queue_msgs(q);
    }
}

/* Move messages through a queue for one step; rates in msg/s. */
static void queue_flow(struct queue *q, double in, double out, double dt)
{
    in = round1(max0(in));
    out = round1(max0(out));
    if (out * dt > q->ready + in * dt) {
        out = round1((q->ready + in * dt) / dt);
    }
    q->in = in;
    q->out = out;
    q->ack = out;
    q->ready = max0(round0(q->ready + (in - out) * dt));
}

static void queue_busy(struct demo *d, struct queue *q, double rate, double dt)
{
    double in = rate * (0.85 + 0.3 * rng_unit(d));
    /* consumers speed up when they fall behind, so the depth hovers */
    double out = in * (q->ready > 2 * rate ? 1.2 : 0.9 + 0.2 * rng_unit(d));
    queue_flow(q, in, out, dt);
    q->unacked = q->consumers * (3.0 + rng_below(d, 8));
}

static void queue_dlq(struct demo *d, struct queue *q, double dt)
{
    double added = 1 + rng_below(d, 3);
    q->ready += added;
    q->in = round1(added / dt);
    q->out = 0;
    q->ack = 0;
    q->unacked = 0;
}

static void queue_backlog(struct demo *d, struct queue *q, double rate, double dt)
{
    /* the SMTP relay throttles for 15 ticks, then lets the backlog go */
    bool throttled = d->ticks % 26 < 15;
    double jitter = 0.9 + 0.2 * rng_unit(d);
    if (throttled) {
        queue_flow(q, rate * 2.5 * jitter, rate * 0.4, dt);
    } else {
        queue_flow(q, rate * 0.6 * jitter, rate * 3.5, dt);
    }
    q->unacked = q->consumers * 10;
}

static void queue_idle(struct demo *d, struct queue *q, double dt)
{
    if (d->ticks % 9 == 4) {
        queue_flow(q, (20 + rng_below(d, 40)) / dt, 0, dt);
    } else {
        queue_flow(q, 0, q->ready / dt, dt);
    }
    q->unacked = 0;
}

static void queue_flaky(struct demo *d, struct queue *q, const struct queue_def *def, double dt)
{
    uint64_t phase = d->ticks % 30;
    q->consumers = phase >= 12 && phase < 20 ? 0 : def->consumers;
    double in = def->rate * (0.8 + 0.4 * rng_unit(d));
    if (q->consumers == 0) {
        queue_flow(q, in, 0, dt);
        q->unacked = 0;
    } else {
        queue_flow(q, in, in + q->ready / (2 * dt), dt);
        q->unacked = q->consumers * 5;
    }
}

static void queue_stream(struct demo *d, struct queue *q, double rate, double dt)
{
    double in = round1(rate * (0.8 + 0.4 * rng_unit(d)));
    q->ready += round0(in * dt);
    if (q->ready > 1300000) {
        q->ready -= 100000; /* retention dropped the oldest segment */
    }
    q->in = in;
    q->out = in; /* its one consumer reads at the tail */
    q->ack = in;
    q->unacked = 0;
}

static void queue_bulk(struct demo *d, struct queue *q, double dt)
{
    double in = rng_below(d, 12);
    queue_flow(q, in, in * (q->ready > 500 ? 1.3 : 0.8 + 0.4 * rng_unit(d)), dt);
    q->unacked = q->consumers;
}

/* Nobody consumes: publishers go on, so the depth grows until start. */
static void queue_stopped(struct demo *d, struct queue *q, const struct queue_def *def, double dt)
{
    double rate = def != NULL ? def->rate : 6;
    queue_flow(q, rate * (0.85 + 0.3 * rng_unit(d)), 0, dt);
    q->unacked = 0;
    q->consumers = 0;
}

static void queue_step(struct demo *d, size_t i, double dt)
{
    struct queue *q = &d->queues[i];
    const struct queue_def *def = i < NAMED_QUEUES ? &queue_defs[i] : NULL;
    q->prev = queue_msgs(q);
    if (q->stopped) {
        queue_stopped(d, q, def, dt);
        return;
    }
    switch (queue_shape(i)) {
    case SHAPE_BUSY:
        queue_busy(d, q, def->rate, dt);
        break;
    case SHAPE_DLQ:
        queue_dlq(d, q, dt);
        break;
    case SHAPE_BACKLOG:
        queue_backlog(d, q, def->rate, dt);
        break;
    case SHAPE_IDLE:
        queue_idle(d, q, dt);
        break;
    case SHAPE_FLAKY:
        queue_flaky(d, q, def, dt);
        break;
    case SHAPE_STREAM:
        queue_stream(d, q, def->rate, dt);
        break;
    case SHAPE_BULK:
        queue_bulk(d, q, dt);
        break;
    }
}

static const char *queue_trend(const struct queue *q)
{
    double now = queue_msgs(q);
    return now > q->prev ? "grow" : now < q->prev ? "drain" : "flat";
}

static enum tone queue_tone(const struct queue *q, enum queue_shape shape)
{
    double msgs = queue_msgs(q);
    if (shape == SHAPE_DLQ && msgs > 0) {
        return TONE_CRIT;
    }
    if (q->consumers == 0 && msgs > 0) {
        return TONE_WARN;
    }
    /* a stream keeps what it is sent: growth there is retention, not a backlog */
    if (shape != SHAPE_STREAM && msgs > q->prev && q->ready >= BACKLOG_WARN) {
        return TONE_WARN;
    }
    return TONE_NORMAL;
}

static void queue_details(struct rowset *rs, size_t i)
{
    rowset_detailf(rs, "node", "rabbit@mq-%zu.prod", i % 3 + 1);
    rowset_detail(rs, "durable", "true");
    if (i >= NAMED_QUEUES) {
        return;
    }
    const struct queue_def *def = &queue_defs[i];
    rowset_detail(rs, "policy", def->policy[0] != '\0' ? def->policy : "(none)");
    for (size_t a = 0; a < 3 && def->args[a][0] != NULL; a++) {
        rowset_detail(rs, def->args[a][0], def->args[a][1]);
    }
    if (i == Q_ORDERS) {
        rowset_detail(rs, "dead-letter queue", queue_defs[Q_DLQ].name);
        rowset_detail(rs, "dead-letter resolved by",
                      "binding of orders.dlx with routing key "
                      "'orders.created.dlq'");
    } else if (i == Q_DLQ) {
        rowset_detail(rs, "dead letters from", queue_defs[Q_ORDERS].name);
    }
}

static void publish_queue(struct rowset *rs, const struct demo *d, size_t i, const char *source)
{
    const struct queue *q = &d->queues[i];
    char name[32], key[64];
    const char *vhost = i < NAMED_QUEUES ? queue_defs[i].vhost : "/";
    if (i < NAMED_QUEUES) {
        snprintf(name, sizeof name, "%s", queue_defs[i].name);
    } else {
        snprintf(name, sizeof name, "bulk.q%05zu", i - NAMED_QUEUES + 1);
    }
    /* the default vhost is spelled %2F, as in the management API's URLs */
    snprintf(key, sizeof key, "%s/%s", strcmp(vhost, "/") == 0 ? "%2F" : vhost, name);
    rowset_begin(rs, key);
    rowset_text(rs, QUEUE_NAME, name);
    rowset_cell_tone(rs, QUEUE_NAME, queue_tone(q, queue_shape(i)));
    rowset_text(rs, QUEUE_VHOST, vhost);
    rowset_text(rs, QUEUE_TYPE, i < NAMED_QUEUES ? queue_defs[i].type : "classic");
    bool idle = queue_msgs(q) == 0 && q->in == 0 && q->out == 0;
    rowset_text(rs, QUEUE_STATE, idle ? "idle" : "running");
    rowset_num(rs, QUEUE_MSGS, queue_msgs(q));
    rowset_num(rs, QUEUE_READY, q->ready);
    rowset_num(rs, QUEUE_UNACK, q->unacked);
    rowset_num(rs, QUEUE_CONSUMERS, q->consumers);
    if (q->consumers == 0 && queue_msgs(q) > 0) {
        rowset_cell_tone(rs, QUEUE_CONSUMERS, TONE_WARN);
    }
    rowset_num(rs, QUEUE_IN, q->in);
    rowset_num(rs, QUEUE_OUT, q->out);
    rowset_num(rs, QUEUE_ACK, q->ack);
    rowset_text(rs, QUEUE_TREND, queue_trend(q));
    rowset_text(rs, QUEUE_SOURCE, source);
    if (i == Q_ORDERS) {
        rowset_text(rs, QUEUE_DLQ, queue_defs[Q_DLQ].name);
    } else if (i == Q_DLQ) {
        rowset_textf(rs, QUEUE_DLQ, "<- %s", queue_defs[Q_ORDERS].name);
    }
    queue_details(rs, i);
}

static void publish_queues(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_QUEUES, b->name);
    rowset_reserve(rs, d->nqueues, 160);
    for (size_t i = 0; i < d->nqueues; i++) {
        publish_queue(rs, d, i, b->name);
    }
    backend_publish(b, rs);
}

/* ---- deployments ---- */

static void deploys_init(struct demo *d)
{
    for (int i = 0; i < NDEPLOYS; i++) {
        const struct deploy_def *def = &deploy_defs[i];
        struct deploy *dp = &d->deploys[i];
        dp->state = def->state;
        dp->updated = def->updated;
        dp->pace = def->pace;
        dp->wait = def->pace - 1;
        dp->revision = 3 + (int)rng_below(d, 40);
        dp->prev_revision = dp->revision - 1;
        dp->replicas = def->replicas;
        dp->created = d->t0 - (int64_t)def->age_days * 86400 - (int64_t)rng_below(d, 86400);
        dp->changed = d->t0 - 600 - (int64_t)rng_below(d, 3000);
    }
}

/* Ready pods: a rollout under way or stuck keeps one pod unavailable. */
static int deploy_ready(const struct deploy *dp, const struct deploy_def *def)
{
    (void)def;
    bool short_one = dp->state == ROLLOUT_PROGRESSING || dp->state == ROLLOUT_FAILED;
    return short_one && dp->replicas > 0 ? dp->replicas - 1 : dp->replicas;
}

static void deploy_step(struct demo *d, struct deploy *dp, const struct deploy_def *def)
{
    if (dp->state != ROLLOUT_PROGRESSING) {
        return;
    }
    if (dp->wait > 0) {
        dp->wait--;
        return;
    }
    if (def->broken && !dp->fixed && dp->updated >= 1) {
        if (++dp->stuck >= DEADLINE_TICKS) {
            dp->state = ROLLOUT_FAILED;
            dp->changed = d->now;
        }
        return;
    }
    if (dp->updated < dp->replicas) { /* scaled to 0 mid-rollout: nothing to update */
        dp->updated++;
    }
    dp->wait = dp->pace - 1 + (int)rng_below(d, 2);
    if (dp->updated >= dp->replicas) {
        dp->state = ROLLOUT_COMPLETE;
        dp->changed = d->now;
    }
}

static struct deploy *deploy_find(struct demo *d, const char *key, const struct deploy_def **def)
{
    for (int i = 0; i < NDEPLOYS; i++) {
        size_t nl = strlen(deploy_defs[i].ns);
        if (strncmp(key, deploy_defs[i].ns, nl) == 0 && key[nl] == '/' &&
            strcmp(key + nl + 1, deploy_defs[i].name) == 0) {
            *def = &deploy_defs[i];
            return &d->deploys[i];
        }
    }
    return NULL;
}

static void deploy_conditions(struct rowset *rs, const struct deploy *dp, const char *rs_name)
{
    switch (dp->state) {
    case ROLLOUT_COMPLETE:
        rowset_detail(rs, "condition.Progressing", "True (NewReplicaSetAvailable)");
        break;
    case ROLLOUT_PROGRESSING:
        rowset_detail(rs, "condition.Progressing", "True (ReplicaSetUpdated)");
        break;
    case ROLLOUT_FAILED:
        rowset_detail(rs, "condition.Progressing", "False (ProgressDeadlineExceeded)");
        rowset_detail(rs, "reason", "ProgressDeadlineExceeded");
        rowset_detailf(rs, "message", "ReplicaSet \"%s\" has timed out progressing.", rs_name);
        break;
    case ROLLOUT_PAUSED:
        rowset_detail(rs, "condition.Progressing", "Unknown (DeploymentPaused)");
        rowset_detail(rs, "paused", "true");
        break;
    }
}

static void deploy_details(struct rowset *rs, const struct deploy *dp, const struct deploy_def *def)
{
    char rs_name[64];
    uint64_t h = fnv1a(fnv1a(FNV1A_OFFSET, def->name), def->image) + (uint64_t)dp->revision;
    snprintf(rs_name, sizeof rs_name, "%s-%09" PRIx64, def->name, h >> 28);
    rowset_detail(rs, "namespace", def->ns);
    rowset_detailf(rs, "replicas", "%d desired, %d updated, %d ready", dp->replicas, dp->updated,
                   deploy_ready(dp, def));
    rowset_detail(rs, "strategy", "RollingUpdate (maxSurge 25%, maxUnavailable 25%)");
    rowset_detailf(rs, "selector", "app=%s", def->name);
    rowset_detailf(rs, "revision", "%d", dp->revision);
    rowset_detail(rs, "replicaset", rs_name);
    rowset_detail(rs, "image", def->image);
    detail_time(rs, "created", dp->created);
    detail_time(rs, "last transition", dp->changed);
    rowset_detail(rs, "condition.Available",
                  deploy_ready(dp, def) > 0 ? "True (MinimumReplicasAvailable)"
                                            : "False (MinimumReplicasUnavailable)");
    deploy_conditions(rs, dp, rs_name);
}

static void publish_deploy(struct rowset *rs, const struct deploy *dp, const struct deploy_def *def,
                           const char *source)
{
    char key[96], ready[32];
    int nready = deploy_ready(dp, def);
    snprintf(key, sizeof key, "%s/%s", def->ns, def->name);
    snprintf(ready, sizeof ready, "%d/%d", nready, dp->replicas);
    rowset_begin(rs, key);
    rowset_text(rs, DEPLOY_NAMESPACE, def->ns);
    rowset_text(rs, DEPLOY_NAME, def->name);
    rowset_cell(rs, DEPLOY_READY, ready, nready);
    if (nready < dp->replicas) {
        rowset_cell_tone(rs, DEPLOY_READY, TONE_WARN);
    }
    rowset_num(rs, DEPLOY_UPTODATE, dp->updated);
    rowset_num(rs, DEPLOY_AVAILABLE, nready);
    rowset_cell(rs, DEPLOY_AGE, "", (double)dp->created);
    rowset_text(rs, DEPLOY_STATE, model_rollout_name(dp->state));
    rowset_cell_tone(rs, DEPLOY_STATE, model_rollout_tone(dp->state));
    if (dp->state == ROLLOUT_FAILED) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    rowset_text(rs, DEPLOY_IMAGE, def->image);
    rowset_text(rs, DEPLOY_SOURCE, source);
    deploy_details(rs, dp, def);
}

static void publish_deploys(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_DEPLOYS, b->name);
    for (int i = 0; i < NDEPLOYS; i++) {
        publish_deploy(rs, &d->deploys[i], &deploy_defs[i], b->name);
    }
    backend_publish(b, rs);
}

/* ---- alerts ---- */

static const struct queue *named_queue(const struct demo *d, enum named_queue q)
{
    return (size_t)q < d->nqueues ? &d->queues[q] : NULL;
}

static bool alert_condition(const struct demo *d, enum alert_id id)
{
    const struct server *web3 = server_flapper(d);
    const struct queue *q;
    const struct deploy *pay = &d->deploys[D_PAYMENTS];
    switch (id) {
    case AL_DLQ:
        q = named_queue(d, Q_DLQ);
        return q != NULL && queue_msgs(q) > 0;
    case AL_TARGET_DOWN:
    case AL_ERROR_RATE:
        return web3 != NULL && !web3->up && web3->admin != ADMIN_MAINT;
    case AL_ROLLOUT_STUCK:
        return pay->state == ROLLOUT_FAILED;
    case AL_CRASHLOOP:
        return pay->updated >= 1 &&
               (pay->state == ROLLOUT_FAILED || pay->state == ROLLOUT_PROGRESSING);
    case AL_BACKLOG:
        q = named_queue(d, Q_EMAILS);
        return q != NULL && q->ready > BACKLOG_ALERT;
    case AL_NO_CONSUMERS:
        q = named_queue(d, Q_NOTIFY);
        return q != NULL && q->consumers == 0 && queue_msgs(q) > 0;
    case AL_CERT:
    case AL_MEMORY:
    case NALERTS:
        break;
    }
    return true;
}

/* Silence ids look like Alertmanager's UUIDs and are derived, not random. */
static void silence_id(struct demo *d, const struct alert *al, char id[40])
{
    uint64_t h1 = fnv1a(FNV1A_OFFSET, al->fp) ^ (uint64_t)d->silences++ * FNV_PRIME;
    uint64_t h2 = fnv1a(h1, "silence") ^ (uint64_t)d->now;
    h1 = fnv1a(h1, "id");
    snprintf(id, 40, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
             h1 >> 32, (h1 >> 16) & 0xffff, h1 & 0xfff, h2 >> 52, h2 >> 16);
}

/* Silence an alert from now (or from starts) for secs; the oldest silence goes when full. */
static const struct silence *silence_add(struct demo *d, enum alert_id id, int64_t starts,
                                         int64_t secs, const char *by, const char *comment)
{
    struct alert *al = &d->alerts[id];
    if (d->nsilence == DEMO_SILENCES) {
        /* the oldest expired one goes; if none has expired, the oldest, and its alert rings */
        size_t drop = 0;
        while (drop < DEMO_SILENCES && d->silence[drop].ends > d->now) {
            drop++;
        }
        if (drop == DEMO_SILENCES) {
            drop = 0;
            struct alert *old = &d->alerts[d->silence[0].alert];
            if (strcmp(old->silence_id, d->silence[0].id) == 0) {
                old->silenced_until = 0;
            }
        }
        memmove(&d->silence[drop], &d->silence[drop + 1],
                (DEMO_SILENCES - 1 - drop) * sizeof d->silence[0]);
        d->nsilence--;
    }
    struct silence *sl = &d->silence[d->nsilence++];
    silence_id(d, al, sl->id);
    sl->alert = id;
    sl->starts = starts;
    sl->ends = d->now + secs;
    snprintf(sl->by, sizeof sl->by, "%s", by);
    snprintf(sl->comment, sizeof sl->comment, "%s", comment);
    al->silenced_until = sl->ends;
    memcpy(al->silence_id, sl->id, sizeof al->silence_id);
    return sl;
}

static struct silence *silence_find(struct demo *d, const char *id)
{
    for (size_t i = 0; i < d->nsilence; i++) {
        if (strcmp(d->silence[i].id, id) == 0) {
            return &d->silence[i];
        }
    }
    return NULL;
}

static const char *silence_state(const struct demo *d, const struct silence *sl)
{
    return sl->ends <= d->now ? "expired" : sl->starts > d->now ? "pending" : "active";
}

static void alerts_init(struct demo *d)
{
    for (int i = 0; i < NALERTS; i++) {
        const struct alert_def *def = &alert_defs[i];
        struct alert *al = &d->alerts[i];
        uint64_t h = fnv1a(fnv1a(FNV1A_OFFSET, "alertname="), def->name);
        h = fnv1a(fnv1a(h, "severity="), severity_names[def->sev]);
        for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
            h = fnv1a(h, def->labels[l]);
        }
        snprintf(al->fp, sizeof al->fp, "%016" PRIx64, h);
        if (def->since_min > 0 && alert_condition(d, (enum alert_id)i)) {
            al->active = true;
            al->age = def->pending + 1;
            al->starts_at = d->t0 - (int64_t)def->since_min * 60;
        }
    }
    /* someone silenced the memory alert before the demo started */
    silence_add(d, AL_MEMORY, d->t0 - 4 * 3600, 80 * 60, "maria@ops-jump-1",
                "known leak in search-2, fix ships Thursday (INC-4211)");
}

static void alert_step(struct demo *d, enum alert_id id)
{
    struct alert *al = &d->alerts[id];
    if (alert_condition(d, id)) {
        if (!al->active) {
            al->active = true;
            al->age = 0;
            al->starts_at = d->now;
        }
        al->age++;
        al->resolved = false;
    } else {
        /* a firing alert shows "resolved" once; a pending one just goes */
        al->resolved = al->active && al->age > alert_defs[id].pending;
        al->active = false;
    }
    if (al->silenced_until != 0 && al->silenced_until <= d->now) {
        al->silenced_until = 0;
    }
}

static bool alert_shown(const struct alert *al)
{
    return al->active || al->resolved;
}

static struct alert *alert_find(struct demo *d, const char *fp, enum alert_id *id)
{
    for (int i = 0; i < NALERTS; i++) {
        if (alert_shown(&d->alerts[i]) && strcmp(d->alerts[i].fp, fp) == 0) {
            *id = (enum alert_id)i;
            return &d->alerts[i];
        }
    }
    return NULL;
}

static const char *alert_state(const struct alert *al, const struct alert_def *def)
{
    if (al->resolved) {
        return "resolved";
    }
    if (al->silenced_until != 0) {
        return "silenced";
    }
    return al->age > def->pending ? "firing" : "pending";
}

static void alert_details(struct rowset *rs, const struct alert *al, const struct alert_def *def)
{
    char enc[512];
    rowset_detail(rs, "fingerprint", al->fp);
    rowset_detail(rs, "label.alertname", def->name);
    for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
        const char *eq = strchr(def->labels[l], '=');
        char key[64];
        snprintf(key, sizeof key, "label.%.*s", (int)(eq - def->labels[l]), def->labels[l]);
        rowset_detail(rs, key, eq + 1);
    }
    rowset_detail(rs, "label.severity", severity_names[def->sev]);
    rowset_detail(rs, "summary", def->summary);
    rowset_detail(rs, "description", def->description);
    rowset_detail(rs, "runbook_url", def->runbook);
    url_encode(enc, sizeof enc, def->expr);
    rowset_detailf(rs, "generatorURL",
                   "http://prometheus.example.com:9090/graph?g0.expr=%s&g0.tab=1", enc);
    detail_time(rs, "startsAt", al->starts_at);
    if (al->silenced_until != 0) {
        rowset_detail(rs, "silencedBy", al->silence_id);
        detail_time(rs, "silencedUntil", al->silenced_until);
    }
}

static void publish_alert(struct rowset *rs, const struct alert *al, const struct alert_def *def,
                          const char *source)
{
    const char *state = alert_state(al, def);
    rowset_begin(rs, al->fp);
    rowset_text(rs, ALERT_SEV, severity_names[def->sev]);
    rowset_cell_tone(rs, ALERT_SEV, severity_tones[def->sev]);
    rowset_text(rs, ALERT_NAME, def->name);
    rowset_text(rs, ALERT_STATE, state);
    if (al->resolved) {
        rowset_cell_tone(rs, ALERT_STATE, TONE_OK);
        rowset_row_tone(rs, TONE_OK);
    } else if (al->silenced_until != 0) {
        rowset_cell_tone(rs, ALERT_STATE, TONE_MUTED);
        rowset_row_tone(rs, TONE_MUTED);
    } else {
        rowset_row_tone(rs, severity_tones[def->sev]);
    }
    rowset_cell(rs, ALERT_AGE, "", (double)al->starts_at);
    rowset_text(rs, ALERT_TARGET, def->target);
    rowset_text(rs, ALERT_SUMMARY, def->summary);
    rowset_text(rs, ALERT_SOURCE, source);
    alert_details(rs, al, def);
}

static void publish_alerts(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, b->name);
    for (int i = 0; i < NALERTS; i++) {
        if (alert_shown(&d->alerts[i])) {
            publish_alert(rs, &d->alerts[i], &alert_defs[i], b->name);
        }
    }
    backend_publish(b, rs);
}

static void publish_silence(struct rowset *rs, const struct demo *d, const struct silence *sl)
{
    const struct alert_def *def = &alert_defs[sl->alert];
    char matchers[256], key[32];
    int n = snprintf(matchers, sizeof matchers, "alertname=\"%s\"", def->name);
    rowset_begin(rs, sl->id);
    rowset_detail(rs, "id", sl->id);
    rowset_detail(rs, "matcher.1", matchers);
    for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
        const char *eq = strchr(def->labels[l], '=');
        char one[128];
        snprintf(one, sizeof one, "%.*s=\"%s\"", (int)(eq - def->labels[l]), def->labels[l],
                 eq + 1);
        snprintf(key, sizeof key, "matcher.%zu", l + 2);
        rowset_detail(rs, key, one);
        if (n > 0 && (size_t)n < sizeof matchers) {
            n += snprintf(matchers + n, sizeof matchers - (size_t)n, ", %s", one);
        }
    }
    rowset_textf(rs, SILENCE_ID, "%.8s", sl->id);
    rowset_silence_state(rs, silence_state(d, sl), sl->starts, sl->ends, d->now);
    rowset_text(rs, SILENCE_MATCHERS, matchers);
    rowset_text(rs, SILENCE_BY, sl->by);
    rowset_text(rs, SILENCE_COMMENT, sl->comment);
    rowset_text(rs, SILENCE_SOURCE, rs->source);
    detail_time(rs, "startsAt", sl->starts);
    detail_time(rs, "endsAt", sl->ends);
    rowset_detail(rs, "createdBy", sl->by);
    rowset_detail(rs, "comment", sl->comment);
}

/* Active first, then expired; newest first within each, as Alertmanager's UI lists them. */
static void publish_silences(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_SILENCES, b->name);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = d->nsilence; i-- > 0;) {
            const struct silence *sl = &d->silence[i];
            if ((sl->ends <= d->now) == (pass == 1)) {
                publish_silence(rs, d, sl);
            }
        }
    }
    rowset_end(rs);
    backend_publish(b, rs);
}

/* ---- the simulation as a whole ---- */

static void sim_init(struct demo *d, double dt)
{
    d->rng = d->seed;
    d->t0 = d->have_epoch ? d->epoch : clock_wall_s();
    d->now = d->t0;
    servers_init(d);
    queues_init(d);
    /* one step in the dark, so the first trends compare two real steps */
    for (size_t i = 0; i < d->nqueues; i++) {
        queue_step(d, i, dt);
    }
    deploys_init(d);
    alerts_init(d);
    d->started = true;
}

static void sim_step(struct demo *d, double dt)
{
    servers_step(d, dt);
    for (size_t i = 0; i < d->nqueues; i++) {
        queue_step(d, i, dt);
    }
    for (int i = 0; i < NDEPLOYS; i++) {
        deploy_step(d, &d->deploys[i], &deploy_defs[i]);
    }
    /* last: alerts read the state the steps above produced */
    for (int i = 0; i < NALERTS; i++) {
        alert_step(d, (enum alert_id)i);
    }
}

/* One more message in one queue, round-robin; everything else stands still. */
static void sim_trickle(struct demo *d)
{
    struct queue *q = &d->queues[d->trickle++ % d->nqueues];
    q->prev = queue_msgs(q);
    q->ready += 1;
}

static void publish_all(struct backend *b)
{
    const struct demo *d = b->priv;
    publish_alerts(b, d);
    publish_queues(b, d);
    publish_pools(b, d);
    publish_deploys(b, d);
    publish_silences(b, d);
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

/* The queue whose row key is key ("prod/orders.created", "%2F/bulk.q00001"). */
static struct queue *queue_find(struct demo *d, const char *key, char *name, size_t len)
{
    for (size_t i = 0; i < d->nqueues; i++) {
        const char *vhost = i < NAMED_QUEUES ? queue_defs[i].vhost : "/";
        if (i < NAMED_QUEUES) {
            snprintf(name, len, "%s", queue_defs[i].name);
        } else {
            snprintf(name, len, "bulk.q%05zu", i - NAMED_QUEUES + 1);
        }
        char k[64];
        snprintf(k, sizeof k, "%s/%s", strcmp(vhost, "/") == 0 ? "%2F" : vhost, name);
        if (strcmp(k, key) == 0) {
            return &d->queues[i];
        }
    }
    return NULL;
}

/* A plausible message of queue i, in the shape RabbitMQ's get answers. */
static cJSON *fake_message(struct demo *d, size_t i, const char *name, int n, int left)
{
    cJSON *m = cJSON_CreateObject();
    bool dead = i == Q_DLQ;
    unsigned id = 100000 + rng_below(d, 900000);
    char payload[160];
    if (i == Q_ORDERS || dead) {
        snprintf(payload, sizeof payload, "{\"order_id\":%u,\"sku\":\"SKU-%u\",\"qty\":%u}", id,
                 1000 + rng_below(d, 9000), 1 + rng_below(d, 4));
    } else {
        snprintf(payload, sizeof payload, "{\"id\":%u,\"queue\":\"%s\",\"seq\":%d}", id, name, n);
    }
    cJSON_AddNumberToObject(m, "payload_bytes", (double)strlen(payload));
    cJSON_AddBoolToObject(m, "redelivered", false);
    cJSON_AddStringToObject(m, "exchange", dead ? "orders.dlx" : "");
    cJSON_AddStringToObject(m, "routing_key", dead ? "orders.created.dlq" : name);
    cJSON_AddNumberToObject(m, "message_count", left);
    cJSON *props = cJSON_AddObjectToObject(m, "properties");
    cJSON_AddNumberToObject(props, "delivery_mode", 2);
    cJSON_AddStringToObject(props, "content_type", "application/json");
    if (dead) {
        cJSON *h = cJSON_AddObjectToObject(props, "headers");
        cJSON *deaths = cJSON_AddArrayToObject(h, "x-death");
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "count", 1);
        cJSON_AddStringToObject(x, "exchange", "");
        cJSON_AddStringToObject(x, "queue", queue_defs[Q_ORDERS].name);
        cJSON_AddStringToObject(x, "reason", "rejected");
        cJSON *keys = cJSON_AddArrayToObject(x, "routing-keys");
        cJSON_AddItemToArray(keys, cJSON_CreateString(queue_defs[Q_ORDERS].name));
        cJSON_AddNumberToObject(x, "time", (double)(d->now - 60 * n));
        cJSON_AddItemToArray(deaths, x);
        cJSON_AddStringToObject(h, "x-first-death-queue", queue_defs[Q_ORDERS].name);
        cJSON_AddStringToObject(h, "x-first-death-reason", "rejected");
    }
    cJSON_AddStringToObject(m, "payload", payload);
    cJSON_AddStringToObject(m, "payload_encoding", "string");
    return m;
}

/* Peek: what the real backend shows, from fake messages in RabbitMQ's own shape. */
static bool act_peek(struct demo *d, struct queue *q, const char *name, const char *input,
                     char **msg)
{
    char *end = NULL;
    long n = input != NULL ? strtol(input, &end, 10) : 0;
    if (input == NULL || end == input || *end != '\0' || n < 1 || n > 100) {
        *msg = xasprintf("bad count '%s' (1 to 100)", input != NULL ? input : "");
        return false;
    }
    size_t i = (size_t)(q - d->queues);
    long have = (long)q->ready;
    cJSON *arr = cJSON_CreateArray();
    for (long k = 0; k < n && k < have; k++) {
        cJSON_AddItemToArray(arr, fake_message(d, i, name, (int)k + 1, (int)(have - k - 1)));
    }
    char *body = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *cause = NULL;
    bool ok = rabbitmq_format_peek(body, strlen(body), name, msg, &cause);
    cJSON_free(body);
    if (!ok) {
        *msg = cause;
    }
    return ok;
}

/*
 * Stop or start a queue's consumers (game days: "a consumer died"). Both are
 * idempotent like the server actions, so a rollback after a half-done stop
 * still succeeds; stopping a queue nobody consumes is a mistake and says so.
 */
static bool act_consumers(struct queue *q, const char *name, bool stop, char **msg)
{
    q->prev = queue_msgs(q);
    if (stop && q->stopped) {
        *msg = xasprintf("the consumers of %s are already stopped", name);
    } else if (stop && q->consumers == 0) {
        *msg = xasprintf("%s has no consumers to stop", name);
        return false;
    } else if (stop) {
        *msg = xasprintf("stopped %d consumers of %s", q->consumers, name);
        q->was_consumers = q->consumers;
        q->consumers = 0;
        q->ready += q->unacked; /* unacknowledged deliveries go back to the queue */
        q->unacked = 0;
        q->out = 0;
        q->ack = 0;
        q->stopped = true;
    } else if (!q->stopped) {
        *msg = xasprintf("%s already has %d consumers running", name, q->consumers);
    } else {
        q->consumers = q->was_consumers;
        q->stopped = false;
        *msg = xasprintf("started %d consumers of %s", q->consumers, name);
    }
    return true;
}

static bool act_queue(struct demo *d, const struct backend_request *a, char **msg)
{
    char name[32];
    struct queue *q = queue_find(d, a->target, name, sizeof name);
    const char *verb = a->def->verb;
    if (q == NULL) {
        *msg = xasprintf("no such queue: %s", a->target);
        return false;
    }
    if (strcmp(verb, "stop") == 0 || strcmp(verb, "start") == 0) {
        return act_consumers(q, name, strcmp(verb, "stop") == 0, msg);
    }
    if (strcmp(verb, "peek") == 0) {
        return act_peek(d, q, name, a->input != NULL ? a->input : a->def->input_default, msg);
    }
    if (strcmp(verb, "purge") == 0) {
        /* like RabbitMQ: the ready messages go, the unacknowledged stay with their consumers */
        *msg = xasprintf("purged %s (%.0f messages)", name, q->ready);
        q->prev = queue_msgs(q);
        q->ready = 0;
        return true;
    }
    /* --demo-queues 1 has no DLQ */
    struct queue *dlq = d->nqueues > Q_DLQ ? &d->queues[Q_DLQ] : NULL, *src = &d->queues[Q_ORDERS];
    if (dlq == NULL || (q != dlq && q != src)) {
        *msg = xasprintf("%s is not a dead-letter queue of any queue here", name);
        return false;
    }
    *msg = xasprintf("moved %.0f messages from %s back to %s", dlq->ready, queue_defs[Q_DLQ].name,
                     queue_defs[Q_ORDERS].name);
    dlq->prev = queue_msgs(dlq);
    src->prev = queue_msgs(src);
    src->ready += dlq->ready;
    dlq->ready = 0;
    return true;
}

static bool act_server(struct demo *d, const char *verb, const char *target, char **msg)
{
    struct server *s = server_find(d, target);
    if (s == NULL) {
        *msg = xasprintf("no such server: %s", target);
        return false;
    }
    if (strcmp(verb, "drain") == 0) {
        s->admin = ADMIN_DRAIN;
        /* established sessions finish over about three ticks */
        s->drain_step = s->sess > 3 ? round0(s->sess / 3 + 0.49) : 1;
    } else if (strcmp(verb, "maint") == 0) {
        s->admin = ADMIN_MAINT;
        s->sess = 0;
        s->qcur = 0;
    } else {
        s->admin = ADMIN_READY;
    }
    s->changed = d->now;
    *msg = xasprintf("%s set to %s", target,
                     s->admin == ADMIN_DRAIN   ? "DRAIN"
                     : s->admin == ADMIN_MAINT ? "MAINT"
                                               : "READY");
    return true;
}

static bool act_silence(struct demo *d, const char *target, const char *input, char **msg)
{
    enum alert_id id;
    struct alert *al = alert_find(d, target, &id);
    int64_t secs;
    if (al == NULL) {
        *msg = xasprintf("no such alert: %s", target);
        return false;
    }
    if (input == NULL || !duration_parse(input, &secs) || secs <= 0) {
        *msg = xasprintf("bad duration '%s'", input != NULL ? input : "");
        return false;
    }
    char by[80];
    snprintf(by, sizeof by, "%s@%s", whoami_user(), whoami_host());
    const struct silence *sl = silence_add(d, id, d->now, secs, by, "silenced from opsdeck");
    *msg = xasprintf("silenced %s for %s (silence %s)", alert_defs[id].name, input, sl->id);
    return true;
}

/* Expire a silence, by its id (silences view) or by the alert it mutes (alerts pane). */
static bool act_expire(struct demo *d, enum model_kind kind, const char *target, char **msg)
{
    struct silence *sl;
    if (kind == MODEL_SILENCES) {
        sl = silence_find(d, target);
        if (sl == NULL) {
            *msg = xasprintf("no such silence: %s", target);
            return false;
        }
    } else {
        enum alert_id id;
        struct alert *al = alert_find(d, target, &id);
        if (al == NULL) {
            *msg = xasprintf("no such alert: %s", target);
            return false;
        }
        sl = al->silenced_until != 0 ? silence_find(d, al->silence_id) : NULL;
        if (sl == NULL) {
            *msg = xasprintf("not silenced");
            return false;
        }
    }
    if (sl->ends <= d->now) {
        *msg = xasprintf("silence %s already expired", sl->id);
        return false;
    }
    sl->ends = d->now;
    struct alert *al = &d->alerts[sl->alert];
    if (strcmp(al->silence_id, sl->id) == 0) {
        al->silenced_until = 0;
    }
    *msg = xasprintf("silence %s expired", sl->id);
    return true;
}

/* A new revision rolls out from the first pod. */
static void deploy_roll(struct demo *d, struct deploy *dp)
{
    dp->state = ROLLOUT_PROGRESSING;
    dp->updated = 0;
    dp->wait = 0;
    dp->pace = 1;
    dp->stuck = 0;
    dp->prev_revision = dp->revision;
    dp->revision++;
    dp->changed = d->now;
}

static bool act_scale(struct demo *d, struct deploy *dp, const char *target, const char *input,
                      char **msg)
{
    char *end = NULL;
    long n = input != NULL && input[0] >= '0' && input[0] <= '9' ? strtol(input, &end, 10) : -1;
    if (end == NULL || *end != '\0' || n < 0 || n > 10000) {
        *msg = xasprintf("bad replica count '%s' (a whole number from 0 to 10000)",
                         input != NULL ? input : "");
        return false;
    }
    int before = dp->replicas;
    dp->replicas = (int)n;
    /* a settled deployment scales at once; in a rollout, new pods are new-template pods */
    if (dp->state == ROLLOUT_COMPLETE || dp->updated > dp->replicas) {
        dp->updated = dp->replicas;
    }
    dp->changed = d->now;
    *msg = n == 0 ? xasprintf("%s scaled from %d to 0 replicas: no pods will run", target, before)
                  : xasprintf("%s scaled from %d to %ld replicas", target, before, n);
    return true;
}

static bool act_restart(struct demo *d, const char *target, char **msg)
{
    const struct deploy_def *def;
    struct deploy *dp = deploy_find(d, target, &def);
    if (dp == NULL) {
        *msg = xasprintf("no such deployment: %s", target);
        return false;
    }
    if (dp->state == ROLLOUT_PAUSED) {
        /* what kubectl rollout restart says, too */
        *msg = xasprintf("can't restart paused deployment %s (run rollout resume first)", target);
        return false;
    }
    deploy_roll(d, dp);
    *msg = xasprintf("%s restarted", target);
    return true;
}

/* Pause, resume, scale and undo, with kubectl's refusals and words. */
static bool act_deploy(struct demo *d, const char *verb, const char *target, const char *input,
                       char **msg)
{
    const struct deploy_def *def;
    struct deploy *dp = deploy_find(d, target, &def);
    if (dp == NULL) {
        *msg = xasprintf("no such deployment: %s", target);
        return false;
    }
    bool paused = dp->state == ROLLOUT_PAUSED;
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        bool pause = verb[0] == 'p';
        if (pause == paused) {
            *msg = xasprintf(pause ? "%s is already paused" : "%s is not paused", target);
            return false;
        }
        dp->state = pause                        ? ROLLOUT_PAUSED
                    : dp->updated < dp->replicas ? ROLLOUT_PROGRESSING
                                                 : ROLLOUT_COMPLETE;
        dp->changed = d->now;
        *msg = xasprintf("%s %s", target, pause ? "paused" : "resumed");
        return true;
    }
    if (strcmp(verb, "scale") == 0) {
        return act_scale(d, dp, target, input, msg);
    }
    if (paused) {
        *msg = xasprintf("can't undo paused deployment %s (run rollout resume first)", target);
        return false;
    }
    if (dp->prev_revision <= 0) {
        *msg = xasprintf("no previous revision of %s", target);
        return false;
    }
    int back = dp->prev_revision;
    /* the old template comes back as a new revision; a broken image is left behind */
    dp->fixed = def->broken ? !dp->fixed : dp->fixed;
    deploy_roll(d, dp);
    *msg = xasprintf("%s rolled back to revision %d", target, back);
    return true;
}

/* Scale is prefilled with the deployment's desired replicas, as the kubernetes backend does. */
static int demo_form(struct backend *b, const struct action_def *def, const char *target,
                     const char **labels, char **values, int max)
{
    const struct deploy_def *ddef;
    struct deploy *dp = strcmp(def->verb, "scale") == 0 && def->kind == MODEL_DEPLOYS && max >= 1
                            ? deploy_find(b->priv, target, &ddef)
                            : NULL;
    if (dp == NULL) {
        return 0;
    }
    labels[0] = def->input_prompt;
    values[0] = xasprintf("%d", dp->replicas);
    return 1;
}

static bool act_apply(struct demo *d, const struct backend_request *a, char **msg)
{
    const char *verb = a->def->verb;
    switch (a->def->kind) {
    case MODEL_POOLS:
        return act_server(d, verb, a->target, msg);
    case MODEL_ALERTS:
        if (strcmp(verb, "silence") == 0) {
            return act_silence(d, a->target, a->input != NULL ? a->input : a->def->input_default,
                               msg);
        }
        return act_expire(d, MODEL_ALERTS, a->target, msg);
    case MODEL_SILENCES:
        return act_expire(d, MODEL_SILENCES, a->target, msg);
    case MODEL_DEPLOYS:
        if (strcmp(verb, "restart") == 0) {
            return act_restart(d, a->target, msg);
        }
        return act_deploy(d, verb, a->target, a->input != NULL ? a->input : a->def->input_default,
                          msg);
    case MODEL_QUEUES:
        return act_queue(d, a, msg);
    case MODEL_KINDS:
        break;
    }
    *msg = xasprintf("unknown action '%s'", verb);
    return false;
}

/* ---- the backend_impl callbacks ---- */

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
        sim_trickle(d);
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
    free(d);
    b->priv = NULL;
}

const struct backend_impl demo_backend = {
    .type = "demo",
    .description = "built-in simulator of a small shop (queues, pools, deploys, alerts)",
    .kinds = (1u << MODEL_ALERTS) | (1u << MODEL_QUEUES) | (1u << MODEL_POOLS) |
             (1u << MODEL_DEPLOYS) | (1u << MODEL_SILENCES),
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
