/*
 * The RabbitMQ backend: GET /api/queues (or /api/queues/{vhost}) on every
 * refresh, then GET /api/bindings to resolve dead-letter exchanges to queues,
 * then GET /api/consumers for each queue's consumers in its detail (chained:
 * one request in flight per poll, one consumers request for all queues); the
 * queues are published once all three have answered.
 *
 * Issue 20: the bindings and consumers (the secondary requests) are not asked
 * every poll. They are read on the first poll, on a poll asked for
 * (b->poll_asked: a key, an action's refresh), after a poll that failed,
 * after a secondary read that failed, and when poll_secondary_due() says so:
 * every POLL_SECONDARY_FACTOR-th interval, the interval being the one the
 * schedule keeps while the backend is healthy (the refresh, or longer when
 * polls are slow: poll_interval() of the last poll's duration). Between, the
 * last answers (kept, as taken) are used again, so the DLQ column, the
 * dead-letter lines and the consumers in the detail keep their last values:
 * they lag by up to five intervals (10 s at the default refresh); the
 * queues' own columns (MSGS .. CONS, rates) are fresh every poll. A 304 to a
 * secondary request is answered from the kept body too.
 *
 * Issue 19: the queues
 * are then read an element at a time in slices on the loop (common/jsonjob.h)
 * and only what each row needs is kept; when all three answers are the same
 * as the last ones published (http_poll_same: the same bytes, or a 304) and
 * no TREND moved, nothing is rebuilt. An answer is taken as it arrives and
 * all are forgotten when the queues fail to parse; a 304 whose body is
 * needed after all (another answer changed) makes the poll ask again
 * without validators. A bindings or consumers
 * failure does not hide the queues: their dead-letter links then say the
 * bindings were not read, their detail why the consumers are unknown.
 *
 * rabbitmq_parse.c reads the lists (queues, dead letters, consumers, the
 * memory between polls); rabbitmq_text.c turns what RabbitMQ says into text
 * (peeked messages, failure reasons). This file is the backend: settings,
 * the chained poll and the actions.
 *
 * Actions are small state machines in a list so that destroy() can cancel
 * their requests: purge (DELETE .../contents), peek (POST .../get with
 * ack_requeue_true: the messages go back, redelivered) and move-back (PUT a
 * dynamic shovel that deletes itself once it has moved the queue's length).
 */
#include "rabbitmq.h"

#include "../common/json.h"
#include "../common/jsonjob.h"
#include "../common/loop.h"
#include "../common/text.h"
#include "../common/util.h"
#include "doctor.h"
#include "http.h"
#include "http_action.h"
#include "http_poll.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PEEK_MAX = 100,        /* messages one peek may ask for */
    PEEK_TRUNCATE = 50000, /* RabbitMQ cuts payloads there */
};

static const char SHOVEL_HINT[] =
    "the shovel plugin is not enabled: enable rabbitmq_shovel and rabbitmq_shovel_management "
    "(rabbitmq-plugins enable rabbitmq_shovel rabbitmq_shovel_management)";

/* ---- the backend ---- */

struct rq_op;

struct rq {
    struct http_settings http;
    char *vhost;          /* one vhost, or NULL for all */
    char *queues_path;    /* GET /api/queues[/vhost]?columns=... */
    char *bindings_path;  /* GET /api/bindings[/vhost]?columns=... */
    char *consumers_path; /* GET /api/consumers[/vhost]?columns=... */
    struct http_poll poll;
    char *queues_body; /* this poll's queues, parsed once the consumers answer */
    size_t queues_len;
    char *bindings_body; /* the last bindings taken (kept between polls), or NULL */
    size_t bindings_len;
    char *consumers_body; /* the last consumers taken (kept between polls), or NULL */
    size_t consumers_len;
    char *consumers_why;                /* why they failed this poll */
    bool bindings_read, consumers_read; /* this poll has them (2xx, 304 or kept) */
    bool secondary;                     /* this poll asks the bindings and consumers */
    bool secondary_failed;              /* the last time they were asked, one failed */
    bool secondary_redo;                /* and the rows said so: rebuild them, same or not */
    uint64_t secondary_ms;              /* start of the poll that last asked them, 0 never */
    uint64_t poll_ms;                   /* this poll's start */
    uint64_t duration_ms;               /* the last poll's duration */
    int same;                           /* answers of this poll the same as the last taken */
    bool reread;                        /* this poll asked again without validators */
    bool queue_failed;                  /* the parse stopped at a queue */
    struct rabbitmq_reader *reader; /* the parse in flight: bindings, consumers, queues so far */
    struct json_job *job;
    struct loop_timer *rows_timer; /* the next slice of rows, once the queues are read */
    struct rowset *building;
    struct rabbitmq_memory *mem;
    struct http_actions actions; /* in flight */
};

static void op_free(struct http_action *act);

static void *rq_create(struct backend *b)
{
    struct rq *rq = xcalloc(1, sizeof *rq);
    http_settings_init(&rq->http);
    http_poll_init(&rq->poll, b, &rq->http);
    http_actions_init(&rq->actions, op_free);
    rq->mem = rabbitmq_memory_create();
    return rq;
}

static bool rq_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct rq *rq = b->priv;
    int taken = http_settings_configure(&rq->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "vhost") == 0) {
        if (value[0] == '\0') {
            *cause = xstrdup("empty vhost (leave the key out for every vhost)");
            return false;
        }
        free(rq->vhost);
        rq->vhost = xstrdup(value);
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a rabbitmq backend", key);
    return false;
}

static bool rq_start(struct backend *b, char **cause)
{
    struct rq *rq = b->priv;
    if (!http_settings_finish(&rq->http, b->timeout_ms, cause)) {
        return false;
    }
    b->tls_unverified = rq->http.insecure;
    free(rq->queues_path);
    free(rq->bindings_path);
    free(rq->consumers_path);
    /* only the fields rabbitmq_parse.c reads (columns=): a tenth to a third of the bytes */
    char *esc = rq->vhost != NULL ? http_escape(rq->vhost) : NULL;
    const char *sep = esc != NULL ? "/" : "";
    const char *vh = esc != NULL ? esc : "";
    rq->queues_path = xasprintf("/api/queues%s%s?columns=%s", sep, vh, RABBITMQ_QUEUE_COLUMNS);
    rq->bindings_path =
        xasprintf("/api/bindings%s%s?columns=%s", sep, vh, RABBITMQ_BINDING_COLUMNS);
    rq->consumers_path =
        xasprintf("/api/consumers%s%s?columns=%s", sep, vh, RABBITMQ_CONSUMER_COLUMNS);
    free(esc);
    return true;
}

/* A path as errors name it: without its query (the columns). */
static int path_len(const char *path)
{
    return (int)strcspn(path, "?");
}

static void poll_done(struct backend *b)
{
    struct rq *rq = b->priv;
    free(rq->queues_body);
    rq->queues_body = NULL;
    free(rq->consumers_why);
    rq->consumers_why = NULL;
    uint64_t now = loop_now_ms(b->loop);
    rq->duration_ms = now > rq->poll_ms ? now - rq->poll_ms : 0;
    rabbitmq_reader_free(rq->reader);
    rq->reader = NULL;
    rowset_destroy(rq->building);
    rq->building = NULL;
    rq->reread = false;
    http_poll_end(&rq->poll);
}

/* The answer's body, taken (no copy); NULL for a 304, which has none. */
static char *take_body(const struct http_response *r, size_t *len)
{
    *len = 0;
    return r->not_modified ? NULL : http_take_body(r, len);
}

static void on_poll_queues(const struct http_response *r, void *ud);

static bool on_queue(void *ud, cJSON *elem, char **cause)
{
    struct backend *b = ud;
    struct rq *rq = b->priv;
    if (!rabbitmq_reader_queue(rq->reader, elem, cause)) {
        rq->queue_failed = true;
        return false;
    }
    return true;
}

/* Rows made a slice at a time; published once all are made. */
static void on_rows_slice(void *ud)
{
    struct backend *b = ud;
    struct rq *rq = b->priv;
    rq->rows_timer = NULL;
    if (!rabbitmq_reader_rows_some(rq->reader, rq->mem, rq->building, JSON_JOB_SLICE_MS)) {
        rq->rows_timer = loop_timer_add(b->loop, 0, 0, on_rows_slice, b);
        return;
    }
    backend_publish(b, rq->building);
    rq->building = NULL;
    poll_done(b);
}

static void on_queues_read(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct backend *b = ud;
    struct rq *rq = b->priv;
    (void)rest;
    (void)nelems;
    rq->job = NULL; /* gone */
    if (ok) {
        on_rows_slice(b); /* the rows too in slices: thousands of rows with their details */
        return;
    }
    char *why = rq->queue_failed ? xstrdup(cause) : rabbitmq_queues_cause(cause);
    backend_fail(b, "bad response from %.*s: %s", path_len(rq->queues_path), rq->queues_path, why);
    free(why);
    http_poll_forget(&rq->poll); /* what was taken this poll is read again next time */
    poll_done(b);
}

/* Every answer is in: the same as the last rows, or read the queues in slices. */
static void read_answers(struct backend *b)
{
    struct rq *rq = b->priv;
    int answers = rq->secondary ? 3 : 1; /* skipped secondary answers are the last ones taken */
    if (rq->same == answers && !rabbitmq_memory_moved(rq->mem)) {
        backend_ok(b); /* the rows of these very answers are published */
        poll_done(b);
        return;
    }
    if (rq->queues_body == NULL && !rq->reread) {
        /* a 304 said "the same" for the queues, whose body is needed now: ask it all again */
        http_poll_forget(&rq->poll);
        rq->reread = true;
        rq->same = 0;
        http_poll_send(&rq->poll, rq->queues_path, on_poll_queues);
        return;
    }
    if (rq->queues_body == NULL) {
        backend_fail(b, "bad response from %.*s: empty response", path_len(rq->queues_path),
                     rq->queues_path);
        poll_done(b);
        return;
    }
    struct rabbitmq_bodies in = {
        .bindings = rq->bindings_read ? rq->bindings_body : NULL,
        .blen = rq->bindings_len,
        .consumers = rq->consumers_read ? rq->consumers_body : NULL,
        .clen = rq->consumers_len,
        .consumers_error = rq->consumers_why,
    };
    rq->reader = rabbitmq_reader_create(&in); /* parses them: the kept bodies stay as they are */
    rq->building = rowset_create(MODEL_QUEUES, b->name);
    rq->queue_failed = false;
    const char *member = rabbitmq_queues_member(rq->queues_body, rq->queues_len);
    char *text = rq->queues_body;
    rq->queues_body = NULL; /* the job's now */
    rq->job = json_job_start(b->loop, text, rq->queues_len, member, 0, on_queue, on_queues_read, b);
}

/*
 * A secondary answer: a 2xx replaces the kept body, a 304 (or the same bytes)
 * keeps it. *read: this poll has it; false when it failed (the rows then say
 * why) or when a 304 came for a body not kept (then the poll asks again).
 */
static bool take_secondary(struct rq *rq, const struct http_response *r, char **body, size_t *len)
{
    bool same = http_poll_same(&rq->poll, r);
    if (http_ok(r) && !r->not_modified) {
        free(*body);
        *body = take_body(r, len);
        http_poll_took(&rq->poll, r); /* forgotten if the queues fail to parse */
    }
    bool read = (same || http_ok(r)) && *body != NULL;
    rq->same += same && read && !rq->secondary_redo;
    rq->secondary_failed |= !read;
    return read;
}

static void on_poll_consumers(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct rq *rq = b->priv;
    /* without consumers (an old server, a user without the monitoring tag) the queues still
     * show; their detail says why the consumers are missing */
    rq->consumers_read = take_secondary(rq, r, &rq->consumers_body, &rq->consumers_len);
    free(rq->consumers_why);
    rq->consumers_why =
        rq->consumers_read || http_ok(r) || r->not_modified ? NULL : rabbitmq_describe_failure(r);
    read_answers(b);
}

static void on_poll_bindings(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct rq *rq = b->priv;
    /* without bindings the queues still show; their DLQ links say why they are missing */
    rq->bindings_read = take_secondary(rq, r, &rq->bindings_body, &rq->bindings_len);
    http_poll_send(&rq->poll, rq->consumers_path, on_poll_consumers);
}

static void on_poll_queues(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct rq *rq = b->priv;
    bool same = http_poll_same(&rq->poll, r);
    if (!same && !http_ok(r)) {
        char *why = rabbitmq_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        poll_done(b);
        return;
    }
    rq->same = same;
    free(rq->queues_body);
    rq->queues_body = take_body(r, &rq->queues_len);
    if (http_ok(r)) {
        http_poll_took(&rq->poll, r); /* forgotten if they fail to parse */
    }
    if (!rq->secondary) {
        read_answers(b); /* the last bindings and consumers stand */
        return;
    }
    rq->secondary_ms = rq->poll_ms;
    rq->secondary_redo = rq->secondary_failed;
    rq->secondary_failed = false;
    http_poll_send(&rq->poll, rq->bindings_path, on_poll_bindings);
}

/* Are the bindings and consumers asked this poll? (the top of this file says when) */
static bool secondary_due(struct backend *b, uint64_t now)
{
    struct rq *rq = b->priv;
    if (rq->secondary_ms == 0 || rq->secondary_failed || b->poll_asked || b->health != BACKEND_OK) {
        return true;
    }
    /* the interval a healthy poll of this duration is followed by (never the backoff's) */
    struct poll_sched s = b->sched;
    if (s.refresh_ms == 0) {
        s.refresh_ms = (uint64_t)b->refresh_ms;
    }
    struct poll_outcome o = {.ok = true, .duration_ms = rq->duration_ms};
    return poll_secondary_due(rq->secondary_ms, now, poll_interval(&s, &o, 0));
}

static void rq_poll(struct backend *b)
{
    struct rq *rq = b->priv;
    if (http_poll_begin(&rq->poll)) {
        uint64_t now = loop_now_ms(b->loop);
        rq->poll_ms = now > 0 ? now : 1; /* secondary_ms 0 is "never" */
        rq->secondary = secondary_due(b, now);
        rq->bindings_read = rq->consumers_read = !rq->secondary;
        http_poll_send(&rq->poll, rq->queues_path, on_poll_queues);
    }
}

/* ---- actions ---- */

static const struct action_def rq_actions[] = {
    {"purge", "Purge queue", MODEL_QUEUES, 'P', ACTION_TYPED, NULL, NULL},
    {"peek", "Peek messages", MODEL_QUEUES, 'p', ACTION_INPUT, "Messages to peek (requeued)", "5"},
    {"moveback", "Move dead letters back", MODEL_QUEUES, 'M', ACTION_DISRUPTIVE, NULL, NULL},
};

enum op_verb { OP_PURGE, OP_PEEK, OP_MOVEBACK };

struct rq_op {
    struct http_action act; /* first: http_action.h */
    enum op_verb verb;
    char *vhost, *name; /* the queue acted on (move-back: the DLQ) */
    char *dest;         /* move-back: the source queue the letters go back to */
    double msgs;        /* the queue's messages at the last poll, -1 unknown */
};

static void op_free(struct http_action *act)
{
    struct rq_op *op = (struct rq_op *)act;
    free(op->vhost);
    free(op->name);
    free(op->dest);
    free(op);
}

static void op_finish(struct rq_op *op, bool ok, const char *message)
{
    http_action_end(&op->act, ok, message);
}

static void op_send(struct rq_op *op, const char *method, const char *path, const char *body,
                    http_done_cb cb)
{
    struct rq *rq = op->act.b->priv;
    http_action_send(&op->act, &rq->http, method, path, body != NULL ? "application/json" : NULL,
                     body, cb);
}

/* "/api/queues/{vh}/{q}" + suffix, both escaped. */
static char *queue_path(const char *vhost, const char *name, const char *suffix)
{
    char *vh = http_escape(vhost), *q = http_escape(name);
    char *path = xasprintf("/api/queues/%s/%s%s", vh, q, suffix);
    free(vh);
    free(q);
    return path;
}

static bool op_failed(struct rq_op *op, const struct http_response *r)
{
    if (http_ok(r)) {
        return false;
    }
    if (r->error == NULL && r->status == 404) {
        char *msg = xasprintf("no queue '%s' in vhost '%s' (HTTP 404)", op->name, op->vhost);
        op_finish(op, false, msg);
        free(msg);
        return true;
    }
    char *why = rabbitmq_describe_failure(r);
    op_finish(op, false, why);
    free(why);
    return true;
}

static void on_purged(const struct http_response *r, void *ud)
{
    struct rq_op *op = http_action_received(ud);
    if (op_failed(op, r)) {
        return;
    }
    char *msg = op->msgs >= 0
                    ? xasprintf("purged %s (%.0f messages at the last refresh)", op->name, op->msgs)
                    : xasprintf("purged %s", op->name);
    op_finish(op, true, msg);
    free(msg);
}

static void on_peeked(const struct http_response *r, void *ud)
{
    struct rq_op *op = http_action_received(ud);
    if (op_failed(op, r)) {
        return;
    }
    char *text = NULL, *cause = NULL;
    if (!rabbitmq_format_peek(r->body, r->len, op->name, &text, &cause)) {
        char *msg = xasprintf("bad answer to peek: %s", cause);
        op_finish(op, false, msg);
        free(msg);
        free(cause);
        return;
    }
    op_finish(op, true, text);
    free(text);
}

static void on_shovel(const struct http_response *r, void *ud)
{
    struct rq_op *op = http_action_received(ud);
    if (!http_ok(r)) {
        char *why = rabbitmq_describe_failure(r);
        /* 3.10 answers 400 "Validation failed ... component shovel not found" */
        bool no_plugin = r->error == NULL && strstr(why, "component shovel not found") != NULL;
        op_finish(op, false, no_plugin ? SHOVEL_HINT : why);
        free(why);
        return;
    }
    char *msg = op->msgs >= 0
                    ? xasprintf("moving %.0f messages from %s back to %s (a shovel that removes "
                                "itself when done)",
                                op->msgs, op->name, op->dest)
                    : xasprintf("moving the messages of %s back to %s (a shovel that removes "
                                "itself when done)",
                                op->name, op->dest);
    op_finish(op, true, msg);
    free(msg);
}

static char *shovel_body(const struct rq_op *op)
{
    char *esc = http_escape(op->vhost);
    /* amqp:// is the local node's default vhost; another vhost is the URI's path */
    char *uri = strcmp(op->vhost, "/") == 0 ? xstrdup("amqp://") : xasprintf("amqp:///%s", esc);
    free(esc);
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(o, "value");
    cJSON_AddStringToObject(v, "src-protocol", "amqp091");
    cJSON_AddStringToObject(v, "src-uri", uri);
    cJSON_AddStringToObject(v, "src-queue", op->name);
    cJSON_AddStringToObject(v, "src-delete-after", "queue-length");
    cJSON_AddStringToObject(v, "dest-protocol", "amqp091");
    cJSON_AddStringToObject(v, "dest-uri", uri);
    cJSON_AddStringToObject(v, "dest-queue", op->dest);
    cJSON_AddStringToObject(v, "ack-mode", "on-confirm");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(text);
    cJSON_free(text);
    free(uri);
    return out;
}

/* Which DLQ goes back to which source: the target is the DLQ, or a queue that has one. */
static bool moveback_queues(struct rq_op *op, char **why)
{
    struct rq *rq = op->act.b->priv;
    const char *dlq = rabbitmq_memory_dlq(rq->mem, op->act.request->target);
    if (dlq != NULL) { /* a source queue: take its letters back from its DLQ */
        op->dest = op->name;
        op->name = xstrdup(dlq);
        char *key = rabbitmq_key(op->vhost, dlq);
        const struct rowset *rs;
        size_t row;
        op->msgs = store_find(op->act.b->store, MODEL_QUEUES, op->act.b->name, key, &rs, &row)
                       ? rowset_cell_num(rs, row, QUEUE_MSGS)
                       : -1;
        free(key);
        return true;
    }
    char *sources = rabbitmq_memory_sources(rq->mem, op->act.request->target);
    if (sources == NULL) {
        *why = xasprintf("%s is not a dead-letter queue of any queue here", op->name);
        return false;
    }
    if (strchr(sources, ',') != NULL) {
        *why = xasprintf("%s takes dead letters from several queues (%s): move them by hand",
                         op->name, sources);
        free(sources);
        return false;
    }
    op->dest = sources;
    return true;
}

static void start_moveback(struct rq_op *op)
{
    char *why = NULL;
    if (!moveback_queues(op, &why)) {
        op_finish(op, false, why);
        free(why);
        return;
    }
    char *vh = http_escape(op->vhost), *dlq = http_escape(op->name);
    char *path = xasprintf("/api/parameters/shovel/%s/opsdeck-move-back-%s", vh, dlq);
    char *body = shovel_body(op);
    op_send(op, "PUT", path, body, on_shovel);
    free(body);
    free(path);
    free(dlq);
    free(vh);
}

static void start_peek(struct rq_op *op)
{
    const char *input = op->act.request->input != NULL ? op->act.request->input
                                                       : op->act.request->def->input_default;
    char *end = NULL;
    long n = strtol(input, &end, 10);
    while (end != NULL && *end == ' ') {
        end++;
    }
    if (end == input || end == NULL || *end != '\0' || n < 1 || n > PEEK_MAX) {
        char *msg = xasprintf("bad count '%s' (1 to %d)", input, PEEK_MAX);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    char *body = xasprintf("{\"count\":%ld,\"ackmode\":\"ack_requeue_true\",\"encoding\":\"auto\","
                           "\"truncate\":%d}",
                           n, PEEK_TRUNCATE);
    char *path = queue_path(op->vhost, op->name, "/get");
    op_send(op, "POST", path, body, on_peeked);
    free(path);
    free(body);
}

static void rq_act(struct backend *b, struct backend_request *a)
{
    struct rq *rq = b->priv;
    struct rq_op *op = xcalloc(1, sizeof *op);
    http_action_begin(&rq->actions, &op->act, b, a);
    op->msgs = -1;
    op->verb = strcmp(a->def->verb, "purge") == 0  ? OP_PURGE
               : strcmp(a->def->verb, "peek") == 0 ? OP_PEEK
                                                   : OP_MOVEBACK;
    if (!rabbitmq_split_key(a->target, &op->vhost, &op->name)) {
        char *msg =
            xasprintf("bad queue '%s' (vhost/name, the vhost %%-encoded: %%2F/orders)", a->target);
        op_finish(op, false, msg);
        free(msg);
        return;
    }
    const struct rowset *rs;
    size_t row;
    if (store_find(b->store, MODEL_QUEUES, b->name, a->target, &rs, &row)) {
        op->msgs = rowset_cell_num(rs, row, QUEUE_MSGS);
    }
    if (op->verb == OP_PURGE) {
        char *path = queue_path(op->vhost, op->name, "/contents");
        op_send(op, "DELETE", path, NULL, on_purged);
        free(path);
    } else if (op->verb == OP_PEEK) {
        start_peek(op);
    } else {
        start_moveback(op);
    }
}

/* A cell of a queue of this backend, by vhost and name; -1 when it is not known. */
static double queue_num(struct backend *b, const char *vhost, const char *name, int col)
{
    char *key = rabbitmq_key(vhost, name);
    const struct rowset *rs;
    size_t row;
    double v = store_find(b->store, MODEL_QUEUES, b->name, key, &rs, &row)
                   ? rowset_cell_num(rs, row, col)
                   : -1;
    free(key);
    return v;
}

/* Move-back: how many messages go from which queue to which, and whether anyone consumes there. */
static char *rq_describe(struct backend *b, const struct action_def *def, const char *target)
{
    struct rq *rq = b->priv;
    char *vhost = NULL, *name = NULL;
    if (strcmp(def->verb, "moveback") != 0 || !rabbitmq_split_key(target, &vhost, &name)) {
        return NULL;
    }
    const char *dlq = rabbitmq_memory_dlq(rq->mem, target);
    char *from = xstrdup(dlq != NULL ? dlq : name);
    char *to = dlq != NULL ? xstrdup(name) : rabbitmq_memory_sources(rq->mem, target);
    struct strbuf sb = {0};
    if (to == NULL || strchr(to, ',') != NULL) {
        strbuf_printf(&sb, "%s is not the dead-letter queue of one queue here: nothing will move",
                      from);
    } else {
        double msgs = queue_num(b, vhost, from, QUEUE_MSGS);
        double consumers = queue_num(b, vhost, to, QUEUE_CONSUMERS);
        if (msgs >= 0) {
            strbuf_printf(&sb, "Moves %.0f message%s from %s back to %s.", msgs,
                          msgs == 1 ? "" : "s", from, to);
        } else {
            strbuf_printf(&sb, "Moves the messages of %s (how many is not known) back to %s.", from,
                          to);
        }
        if (consumers == 0) {
            strbuf_printf(&sb,
                          "\nWarning: %s has no consumers: the messages will wait there, "
                          "unprocessed.",
                          to);
        } else if (consumers < 0) {
            strbuf_printf(&sb, "\nWhether %s has consumers is not known.", to);
        } else {
            strbuf_printf(&sb, "\n%s has %.0f consumer%s.", to, consumers,
                          consumers == 1 ? "" : "s");
        }
    }
    free(from);
    free(to);
    free(vhost);
    free(name);
    return sb.s;
}

/* ---- opsdeck doctor ----
 *
 * GET /api/overview (versions, cluster), GET /api/whoami (user, tags), then
 * what the actions need, asked without changing anything:
 *   purge, peek  read permission on the queue (AMQP queue.purge, basic.get);
 *                GET /api/users/{user}/permissions shows it, but only to an
 *                administrator: anyone else is told RabbitMQ checks it then
 *   move-back    a shovel is a runtime parameter: the policymaker or
 *                administrator tag (GET /api/parameters/shovel/{vhost}
 *                answers 401 otherwise) and the shovel plugin (its
 *                management extension shows in GET /api/extensions)
 * An action that will be refused is a WARN; FAIL is for what stops the
 * backend itself (unreachable, authentication).
 */

struct rq_doc {
    struct doctor *d;
    struct rq *rq;
    char *user;
    char *tags; /* "monitoring, policymaker" */
    bool admin;
};

static void doc_free(struct rq_doc *x)
{
    free(x->user);
    free(x->tags);
    free(x);
}

/* Out of time: the driver cancelled d, whose requests' callbacks will not run. */
static void doc_cancelled(void *ud)
{
    doc_free(ud);
}

static void doc_end(struct rq_doc *x)
{
    struct doctor *d = x->d;
    doc_free(x);
    doctor_end(d); /* drops doc_cancelled unrun */
}

/* A string the server sent, fit for one line of text. */
static char *doc_str(const cJSON *o, const char *name)
{
    const char *v = json_str(o, name);
    return text_clean_str(v != NULL && v[0] != '\0' ? v : "?", 0);
}

static const char *doc_vhost_path(const struct rq *rq, char **own)
{
    *own = http_escape(rq->vhost != NULL ? rq->vhost : "/");
    return *own;
}

static void on_doc_extensions(struct doctor *d, const struct http_response *r, void *ud)
{
    struct rq_doc *x = ud;
    if (!http_ok(r)) {
        char *why = rabbitmq_describe_failure(r);
        doctor_say(d, DOCTOR_WARN,
                   "actions: move-back: cannot tell whether the shovel plugin is "
                   "enabled (/api/extensions: %s)",
                   why);
        free(why);
    } else if (strstr(r->body, "\"shovel.js\"") != NULL) {
        doctor_say(d, DOCTOR_OK,
                   "actions: move-back possible: '%s' may create shovels (tags %s), the shovel "
                   "plugin is enabled",
                   x->user, x->tags);
    } else {
        doctor_say(d, DOCTOR_WARN, "actions: move-back impossible: %s", SHOVEL_HINT);
    }
    doc_end(x);
}

static void on_doc_parameters(struct doctor *d, const struct http_response *r, void *ud)
{
    struct rq_doc *x = ud;
    if (http_ok(r)) {
        doctor_http(d, &x->rq->http, "GET", "/api/extensions", NULL, NULL, on_doc_extensions, x);
        return;
    }
    char *why = rabbitmq_describe_failure(r);
    if (r->error == NULL && (r->status == 401 || r->status == 403)) {
        doctor_say(d, DOCTOR_WARN,
                   "actions: move-back denied: it creates a shovel (a runtime parameter), which "
                   "needs the policymaker or administrator tag; '%s' has tags %s (RabbitMQ: %s)",
                   x->user, x->tags, why);
    } else {
        doctor_say(d, DOCTOR_WARN, "actions: move-back: cannot tell (/api/parameters/shovel: %s)",
                   why);
    }
    free(why);
    doc_end(x);
}

static void doc_moveback(struct rq_doc *x)
{
    char *vh = NULL;
    char *path = xasprintf("/api/parameters/shovel/%s", doc_vhost_path(x->rq, &vh));
    doctor_http(x->d, &x->rq->http, "GET", path, NULL, NULL, on_doc_parameters, x);
    free(path);
    free(vh);
}

static void on_doc_permissions(struct doctor *d, const struct http_response *r, void *ud)
{
    struct rq_doc *x = ud;
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!http_ok(r) || !json_parse(r->body, r->len, &doc, &cause) || !cJSON_IsArray(doc)) {
        char *why = http_ok(r) ? xstrdup(cause != NULL ? cause : "not a JSON array")
                               : rabbitmq_describe_failure(r);
        doctor_say(d, DOCTOR_WARN, "actions: purge, peek: permissions of '%s' not readable (%s)",
                   x->user, why);
        free(why);
    } else {
        struct strbuf ok = {0}, denied = {0};
        const cJSON *p;
        cJSON_ArrayForEach(p, doc)
        {
            const char *vhost = json_str(p, "vhost"), *read = json_str(p, "read");
            if (vhost == NULL || read == NULL ||
                (x->rq->vhost != NULL && strcmp(vhost, x->rq->vhost) != 0)) {
                continue;
            }
            char *v = text_clean_str(vhost, 0), *rd = text_clean_str(read, 0);
            struct strbuf *sb = read[0] != '\0' ? &ok : &denied;
            strbuf_printf(sb, "%s'%s'", sb->n > 0 ? ", " : "", v);
            if (read[0] != '\0') {
                strbuf_printf(sb, " (read '%s')", rd);
            }
            free(v);
            free(rd);
        }
        if (denied.n > 0) {
            doctor_say(d, DOCTOR_WARN,
                       "actions: purge, peek denied in vhost %s: '%s' has no read permission "
                       "there",
                       denied.s, x->user);
        }
        if (ok.n > 0) {
            doctor_say(d, DOCTOR_OK,
                       "actions: purge, peek possible on the queues that match the read "
                       "permission of '%s' in vhost %s",
                       x->user, ok.s);
        } else if (denied.n == 0) {
            doctor_say(d, DOCTOR_WARN,
                       "actions: purge, peek denied: '%s' has no permissions in %s%s%s", x->user,
                       x->rq->vhost != NULL ? "vhost '" : "any vhost",
                       x->rq->vhost != NULL ? x->rq->vhost : "", x->rq->vhost != NULL ? "'" : "");
        }
        free(ok.s);
        free(denied.s);
    }
    free(cause);
    cJSON_Delete(doc);
    doc_moveback(x);
}

static void on_doc_whoami(struct doctor *d, const struct http_response *r, void *ud)
{
    struct rq_doc *x = ud;
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!http_ok(r) || !json_parse(r->body, r->len, &doc, &cause) || !cJSON_IsObject(doc)) {
        char *why = http_ok(r) ? xstrdup(cause != NULL ? cause : "not a JSON object")
                               : rabbitmq_describe_failure(r);
        doctor_say(d, DOCTOR_WARN, "who am I: /api/whoami: %s", why);
        free(why);
        free(cause);
        cJSON_Delete(doc);
        doc_end(x);
        return;
    }
    x->user = doc_str(doc, "name");
    /* 3.10 says tags as a list; older servers as one comma-separated string */
    struct strbuf tags = {0};
    const cJSON *t = json_get(doc, "tags");
    if (cJSON_IsArray(t)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, t)
        {
            if (cJSON_IsString(e) && e->valuestring[0] != '\0') {
                strbuf_printf(&tags, "%s%s", tags.n > 0 ? ", " : "", e->valuestring);
            }
        }
    } else if (cJSON_IsString(t)) {
        strbuf_str(&tags, t->valuestring);
    }
    char *clean = text_clean_str(tags.n > 0 ? tags.s : "", 0);
    free(tags.s);
    x->tags = xasprintf("[%s]", clean);
    x->admin = strstr(clean, "administrator") != NULL;
    free(clean);
    cJSON_Delete(doc);
    doctor_say(d, DOCTOR_OK, "authenticated as '%s', tags %s", x->user, x->tags);
    if (!doctor_actions_wanted(d)) {
        doc_end(x); /* the driver said actions are off */
        return;
    }
    if (!x->admin) {
        doctor_say(d, DOCTOR_INFO,
                   "actions: purge, peek need read permission on the queue; only an "
                   "administrator may list permissions, so RabbitMQ will tell at the action "
                   "(rabbitmqctl list_user_permissions %s)",
                   x->user);
        doc_moveback(x);
        return;
    }
    char *esc = http_escape(x->user);
    char *path = xasprintf("/api/users/%s/permissions", esc);
    doctor_http(d, &x->rq->http, "GET", path, NULL, NULL, on_doc_permissions, x);
    free(path);
    free(esc);
}

static void on_doc_overview(struct doctor *d, const struct http_response *r, void *ud)
{
    struct rq_doc *x = ud;
    if (!http_ok(r)) {
        char *why = rabbitmq_describe_failure(r);
        bool poll_said = doctor_backend(d)->health == BACKEND_ERROR;
        if (poll_said && (r->error != NULL || (r->status != 401 && r->status != 403))) {
            /* the first poll failed just so and said it: nothing to add */
        } else if (r->error != NULL) {
            doctor_say(d, DOCTOR_FAIL, "management API unreachable: %s", why);
        } else if (r->status == 401 && strstr(why, "Not management user") != NULL) {
            const char *user = x->rq->http.user != NULL ? x->rq->http.user : "USER";
            doctor_say(d, DOCTOR_FAIL,
                       "authentication: user '%s' logged in, but may not use the management API "
                       "(HTTP 401, RabbitMQ says 'Not management user'): give it a tag "
                       "(rabbitmqctl set_user_tags %s monitoring)",
                       user, user);
        } else if (r->status == 401 || r->status == 403) {
            const char *words = doctor_server_words(why);
            char *user = xasprintf("user '%s'", x->rq->http.user != NULL ? x->rq->http.user : "");
            doctor_say(d, DOCTOR_FAIL, "authentication failed (HTTP %ld%s%s%s): %s", r->status,
                       words != NULL ? ", RabbitMQ says '" : "", words != NULL ? words : "",
                       words != NULL ? "'" : "",
                       x->rq->http.auth == HTTP_AUTH_NONE
                           ? "auth = none sends no credentials (set auth = basic, user and "
                             "password_file)"
                           : user);
            free(user);
        } else {
            doctor_say(d, DOCTOR_FAIL, "/api/overview: %s", why);
        }
        free(why);
        doc_end(x);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!json_parse(r->body, r->len, &doc, &cause) || !cJSON_IsObject(doc)) {
        doctor_say(d, DOCTOR_FAIL, "/api/overview: not RabbitMQ's answer (%s)",
                   cause != NULL ? cause : "not a JSON object");
        free(cause);
        cJSON_Delete(doc);
        doc_end(x);
        return;
    }
    char *ver = doc_str(doc, "rabbitmq_version"), *mgmt = doc_str(doc, "management_version");
    char *erl = doc_str(doc, "erlang_version"), *cluster = doc_str(doc, "cluster_name");
    /* the node is said to monitoring and administrator users only */
    char *node = json_str(doc, "node") != NULL ? doc_str(doc, "node") : NULL;
    doctor_say(d, DOCTOR_OK, "RabbitMQ %s (management %s, Erlang %s), cluster '%s'%s%s", ver, mgmt,
               erl, cluster, node != NULL ? ", node " : "", node != NULL ? node : "");
    free(ver);
    free(mgmt);
    free(erl);
    free(cluster);
    free(node);
    cJSON_Delete(doc);
    doctor_http(d, &x->rq->http, "GET", "/api/whoami", NULL, NULL, on_doc_whoami, x);
}

static void rq_doctor(struct backend *b, struct doctor *d)
{
    struct rq_doc *x = xcalloc(1, sizeof *x);
    x->d = d;
    x->rq = b->priv;
    doctor_on_cancel(d, doc_cancelled, x); /* else doc_end frees x */
    doctor_http(d, &x->rq->http, "GET", "/api/overview", NULL, NULL, on_doc_overview, x);
}

static void rq_destroy(struct backend *b)
{
    struct rq *rq = b->priv;
    if (rq == NULL) {
        return;
    }
    http_poll_finish(&rq->poll);
    json_job_cancel(rq->job);
    loop_timer_cancel(b->loop, rq->rows_timer);
    rabbitmq_reader_free(rq->reader);
    rowset_destroy(rq->building);
    free(rq->consumers_body);
    free(rq->consumers_why);
    http_actions_drop(&rq->actions);
    rabbitmq_memory_destroy(rq->mem);
    free(rq->queues_body);
    free(rq->bindings_body);
    free(rq->queues_path);
    free(rq->bindings_path);
    free(rq->consumers_path);
    free(rq->vhost);
    http_settings_free(&rq->http);
    free(rq);
    b->priv = NULL;
}

const struct backend_impl rabbitmq_backend = {
    .type = "rabbitmq",
    .description = "RabbitMQ (management HTTP API): queues, dead letters; purge, peek, move back",
    .kinds = 1u << MODEL_QUEUES,
    .actions = rq_actions,
    .nactions = (int)(sizeof rq_actions / sizeof rq_actions[0]),
    .create = rq_create,
    .configure = rq_configure,
    .start = rq_start,
    .poll = rq_poll,
    .act = rq_act,
    .describe = rq_describe,
    .doctor = rq_doctor,
    .destroy = rq_destroy,
};
