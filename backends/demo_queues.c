/*
 * The demo's RabbitMQ-like queues (demo_shop.h): eight named queues, each
 * with a shape (a steady flow, a dead-letter queue that only grows, a backlog
 * that builds past the alert and drains, a consumer that crashes now and
 * then, a stream that keeps everything), and bulk filler queues (`queues` >
 * 8) that are only numbers, named while publishing. Actions: purge, peek (a
 * fake message in RabbitMQ's own shape, formatted by rabbitmq_text.c), move
 * back, stop and start consumers.
 */
#include "demo_shop.h"

#include "../common/util.h"
#include "rabbitmq.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    BACKLOG_WARN = 1000, /* a growing queue this deep is tinted */
    BULK_PER_TICK = 32,  /* bulk queues that move in one tick, in turn */
};

static void queue_touch(struct demo *d, size_t i)
{
    d->qdirty[i / 64] |= 1ull << (i % 64);
}

/* ---- the simulation ---- */

static enum queue_shape queue_shape(size_t i)
{
    return i < NAMED_QUEUES ? demo_queue_defs[i].shape : SHAPE_BULK;
}

double demo_queue_msgs(const struct queue *q)
{
    return q->ready + q->unacked;
}

void demo_queues_init(struct demo *d)
{
    d->queues = xcalloc(d->nqueues, sizeof *d->queues);
    d->qdirty = xcalloc((d->nqueues + 63) / 64, sizeof *d->qdirty);
    for (size_t i = 0; i < d->nqueues; i++) {
        struct queue *q = &d->queues[i];
        if (i < NAMED_QUEUES) {
            q->ready = demo_round0(demo_queue_defs[i].ready * (0.9 + 0.2 * demo_rng_unit(d)));
            q->consumers = demo_queue_defs[i].consumers;
        } else {
            q->ready = demo_rng_below(d, 200);
            q->consumers = 1 + (int)demo_rng_below(d, 3);
        }
        q->prev = demo_queue_msgs(q);
    }
}

/* Move messages through a queue for one step; rates in msg/s. */
static void queue_flow(struct queue *q, double in, double out, double dt)
{
    in = demo_round1(demo_max0(in));
    out = demo_round1(demo_max0(out));
    if (out * dt > q->ready + in * dt) {
        out = demo_round1((q->ready + in * dt) / dt);
    }
    q->in = in;
    q->out = out;
    q->ack = out;
    q->ready = demo_max0(demo_round0(q->ready + (in - out) * dt));
}

static void queue_busy(struct demo *d, struct queue *q, double rate, double dt)
{
    double in = rate * (0.85 + 0.3 * demo_rng_unit(d));
    /* consumers speed up when they fall behind, so the depth hovers */
    double out = in * (q->ready > 2 * rate ? 1.2 : 0.9 + 0.2 * demo_rng_unit(d));
    queue_flow(q, in, out, dt);
    q->unacked = q->consumers * (3.0 + demo_rng_below(d, 8));
}

static void queue_dlq(struct demo *d, struct queue *q, double dt)
{
    double added = 1 + demo_rng_below(d, 3);
    q->ready += added;
    q->in = demo_round1(added / dt);
    q->out = 0;
    q->ack = 0;
    q->unacked = 0;
}

static void queue_backlog(struct demo *d, struct queue *q, double rate, double dt)
{
    /* the SMTP relay throttles for 15 ticks, then lets the backlog go */
    bool throttled = d->ticks % 26 < 15;
    double jitter = 0.9 + 0.2 * demo_rng_unit(d);
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
        queue_flow(q, (20 + demo_rng_below(d, 40)) / dt, 0, dt);
    } else {
        queue_flow(q, 0, q->ready / dt, dt);
    }
    q->unacked = 0;
}

static void queue_flaky(struct demo *d, struct queue *q, const struct queue_def *def, double dt)
{
    uint64_t phase = d->ticks % 30;
    q->consumers = phase >= 12 && phase < 20 ? 0 : def->consumers;
    double in = def->rate * (0.8 + 0.4 * demo_rng_unit(d));
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
    double in = demo_round1(rate * (0.8 + 0.4 * demo_rng_unit(d)));
    q->ready += demo_round0(in * dt);
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
    double in = demo_rng_below(d, 12);
    queue_flow(q, in, in * (q->ready > 500 ? 1.3 : 0.8 + 0.4 * demo_rng_unit(d)), dt);
    q->unacked = q->consumers;
}

/* Nobody consumes: publishers go on, so the depth grows until start. */
static void queue_stopped(struct demo *d, struct queue *q, const struct queue_def *def, double dt)
{
    double rate = def != NULL ? def->rate : 6;
    queue_flow(q, rate * (0.85 + 0.3 * demo_rng_unit(d)), 0, dt);
    q->unacked = 0;
    q->consumers = 0;
}

static void queue_step(struct demo *d, size_t i, double dt)
{
    struct queue *q = &d->queues[i];
    queue_touch(d, i);
    const struct queue_def *def = i < NAMED_QUEUES ? &demo_queue_defs[i] : NULL;
    q->prev = demo_queue_msgs(q);
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

/*
 * The named queues move every tick; of the bulk ones BULK_PER_TICK in turn
 * (all of them when there are no more), so that 100,000 queues are a big
 * broker whose filler mostly sits still, not 100,000 rows changing at once.
 */
void demo_queues_step(struct demo *d, double dt)
{
    size_t named = d->nqueues < NAMED_QUEUES ? d->nqueues : NAMED_QUEUES;
    for (size_t i = 0; i < named; i++) {
        queue_step(d, i, dt);
    }
    size_t bulk = d->nqueues - named;
    if (bulk <= BULK_PER_TICK) {
        for (size_t i = named; i < d->nqueues; i++) {
            queue_step(d, i, dt);
        }
        return;
    }
    size_t first = (size_t)(d->ticks * BULK_PER_TICK % bulk);
    for (size_t k = 0; k < BULK_PER_TICK; k++) {
        queue_step(d, named + (first + k) % bulk, dt);
    }
    /* a queue whose consumers an action stopped keeps growing wherever it is */
    for (size_t i = named; i < d->nqueues; i++) {
        if (d->queues[i].stopped) {
            size_t off = (i - named + bulk - first) % bulk;
            if (off >= BULK_PER_TICK) {
                queue_step(d, i, dt);
            }
        }
    }
}

/* ---- rows ---- */

static const char *queue_trend(const struct queue *q)
{
    double now = demo_queue_msgs(q);
    return now > q->prev ? "grow" : now < q->prev ? "drain" : "flat";
}

static enum tone queue_tone(const struct queue *q, enum queue_shape shape)
{
    double msgs = demo_queue_msgs(q);
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
    const struct queue_def *def = &demo_queue_defs[i];
    rowset_detail(rs, "policy", def->policy[0] != '\0' ? def->policy : "(none)");
    for (size_t a = 0; a < 3 && def->args[a][0] != NULL; a++) {
        rowset_detail(rs, def->args[a][0], def->args[a][1]);
    }
    if (i == Q_ORDERS) {
        rowset_detail(rs, "dead-letter queue", demo_queue_defs[Q_DLQ].name);
        rowset_detail(rs, "dead-letter resolved by",
                      "binding of orders.dlx with routing key "
                      "'orders.created.dlq'");
    } else if (i == Q_DLQ) {
        rowset_detail(rs, "dead letters from", demo_queue_defs[Q_ORDERS].name);
    }
}

static void publish_queue(struct rowset *rs, const struct demo *d, size_t i, const char *source)
{
    const struct queue *q = &d->queues[i];
    char name[32], key[64];
    const char *vhost = i < NAMED_QUEUES ? demo_queue_defs[i].vhost : "/";
    if (i < NAMED_QUEUES) {
        snprintf(name, sizeof name, "%s", demo_queue_defs[i].name);
    } else {
        snprintf(name, sizeof name, "bulk.q%05zu", i - NAMED_QUEUES + 1);
    }
    /* the default vhost is spelled %2F, as in the management API's URLs */
    snprintf(key, sizeof key, "%s/%s", strcmp(vhost, "/") == 0 ? "%2F" : vhost, name);
    rowset_begin(rs, key);
    rowset_text(rs, QUEUE_NAME, name);
    rowset_cell_tone(rs, QUEUE_NAME, queue_tone(q, queue_shape(i)));
    rowset_text(rs, QUEUE_VHOST, vhost);
    rowset_text(rs, QUEUE_TYPE, i < NAMED_QUEUES ? demo_queue_defs[i].type : "classic");
    bool idle = demo_queue_msgs(q) == 0 && q->in == 0 && q->out == 0;
    rowset_text(rs, QUEUE_STATE, idle ? "idle" : "running");
    rowset_num(rs, QUEUE_MSGS, demo_queue_msgs(q));
    rowset_num(rs, QUEUE_READY, q->ready);
    rowset_num(rs, QUEUE_UNACK, q->unacked);
    rowset_num(rs, QUEUE_CONSUMERS, q->consumers);
    if (q->consumers == 0 && demo_queue_msgs(q) > 0) {
        rowset_cell_tone(rs, QUEUE_CONSUMERS, TONE_WARN);
    }
    rowset_num(rs, QUEUE_IN, q->in);
    rowset_num(rs, QUEUE_OUT, q->out);
    rowset_num(rs, QUEUE_ACK, q->ack);
    rowset_text(rs, QUEUE_TREND, queue_trend(q));
    rowset_text(rs, QUEUE_SOURCE, source);
    if (i == Q_ORDERS) {
        rowset_text(rs, QUEUE_DLQ, demo_queue_defs[Q_DLQ].name);
    } else if (i == Q_DLQ) {
        rowset_textf(rs, QUEUE_DLQ, "<- %s", demo_queue_defs[Q_ORDERS].name);
    }
    queue_details(rs, i);
}

static bool queues_in_store(const struct backend *b)
{
    for (size_t i = 0; i < store_nsets(b->store, MODEL_QUEUES); i++) {
        if (strcmp(store_set(b->store, MODEL_QUEUES, i)->source, b->name) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * The first time, every queue; then only those a step or an action touched
 * (backend_patch), whose rows replace theirs in the store.
 */
void demo_queues_publish(struct backend *b, struct demo *d)
{
    size_t words = (d->nqueues + 63) / 64;
    if (!queues_in_store(b)) {
        struct rowset *rs = rowset_create(MODEL_QUEUES, b->name);
        rowset_reserve(rs, d->nqueues, 48);
        for (size_t i = 0; i < d->nqueues; i++) {
            publish_queue(rs, d, i, b->name);
        }
        memset(d->qdirty, 0, words * sizeof *d->qdirty);
        backend_publish(b, rs);
        return;
    }
    struct rowset *rs = rowset_create(MODEL_QUEUES, b->name);
    for (size_t w = 0; w < words; w++) {
        for (uint64_t bits = d->qdirty[w]; bits != 0; bits &= bits - 1) {
            publish_queue(rs, d, w * 64 + (size_t)__builtin_ctzll(bits), b->name);
        }
        d->qdirty[w] = 0;
    }
    backend_patch(b, rs);
}

/* ---- trickle mode ---- */

/* One more message in one queue, round-robin; everything else stands still. */
void demo_queues_trickle(struct demo *d)
{
    queue_touch(d, d->trickle % d->nqueues);
    struct queue *q = &d->queues[d->trickle++ % d->nqueues];
    q->prev = demo_queue_msgs(q);
    q->ready += 1;
}

/* ---- actions ---- */

/* The queue whose row key is key ("prod/orders.created", "%2F/bulk.q00001"). */
static struct queue *queue_find(struct demo *d, const char *key, char *name, size_t len)
{
    for (size_t i = 0; i < d->nqueues; i++) {
        const char *vhost = i < NAMED_QUEUES ? demo_queue_defs[i].vhost : "/";
        if (i < NAMED_QUEUES) {
            snprintf(name, len, "%s", demo_queue_defs[i].name);
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
    unsigned id = 100000 + demo_rng_below(d, 900000);
    char payload[160];
    if (i == Q_ORDERS || dead) {
        snprintf(payload, sizeof payload, "{\"order_id\":%u,\"sku\":\"SKU-%u\",\"qty\":%u}", id,
                 1000 + demo_rng_below(d, 9000), 1 + demo_rng_below(d, 4));
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
        cJSON_AddStringToObject(x, "queue", demo_queue_defs[Q_ORDERS].name);
        cJSON_AddStringToObject(x, "reason", "rejected");
        cJSON *keys = cJSON_AddArrayToObject(x, "routing-keys");
        cJSON_AddItemToArray(keys, cJSON_CreateString(demo_queue_defs[Q_ORDERS].name));
        cJSON_AddNumberToObject(x, "time", (double)(d->now - 60 * n));
        cJSON_AddItemToArray(deaths, x);
        cJSON_AddStringToObject(h, "x-first-death-queue", demo_queue_defs[Q_ORDERS].name);
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
    q->prev = demo_queue_msgs(q);
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

bool demo_queues_act(struct demo *d, const struct backend_request *a, char **msg)
{
    char name[32];
    struct queue *q = queue_find(d, a->target, name, sizeof name);
    const char *verb = a->def->verb;
    if (q == NULL) {
        *msg = xasprintf("no such queue: %s", a->target);
        return false;
    }
    queue_touch(d, (size_t)(q - d->queues));
    if (d->nqueues > Q_DLQ) {
        queue_touch(d, Q_DLQ); /* move back changes both ends */
        queue_touch(d, Q_ORDERS);
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
        q->prev = demo_queue_msgs(q);
        q->ready = 0;
        return true;
    }
    /* --demo-queues 1 has no DLQ */
    struct queue *dlq = d->nqueues > Q_DLQ ? &d->queues[Q_DLQ] : NULL, *src = &d->queues[Q_ORDERS];
    if (dlq == NULL || (q != dlq && q != src)) {
        *msg = xasprintf("%s is not a dead-letter queue of any queue here", name);
        return false;
    }
    *msg = xasprintf("moved %.0f messages from %s back to %s", dlq->ready,
                     demo_queue_defs[Q_DLQ].name, demo_queue_defs[Q_ORDERS].name);
    dlq->prev = demo_queue_msgs(dlq);
    src->prev = demo_queue_msgs(src);
    src->ready += dlq->ready;
    dlq->ready = 0;
    return true;
}
