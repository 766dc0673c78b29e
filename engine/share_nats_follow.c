/*
 * A war-room follower over NATS JetStream (share_nats.h). An ordered
 * (ephemeral, unacknowledged) consumer replays the run's subjects from the
 * start, then follows. libnats' delivery thread checks each message against
 * what was delivered (under the bridge's mutex) and queues it for the loop:
 *   - a journal line carries its seq in Nats-Msg-Id: a seq already delivered
 *     is dropped; a seq past the next one is a gap, and the worker asks again
 *     from the stream seq after the last line delivered (a gap that is still
 *     there after asking again is the journal's own, and passes);
 *   - anything else (the document) passes once, by stream seq.
 * After a reconnect or missed heartbeats the worker makes a new consumer from
 * the stream seq after the last delivered: nothing twice, nothing lost.
 * Requests go out from the worker as core NATS requests on the user's own
 * subject; the answer (or a refusal made here) comes back as a line.
 */
#include "share_nats_int.h"

#include "../common/json.h"
#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

struct fjob {
    char *line;
    size_t len;
    struct fjob *next;
};

/* One consumer's closure: messages of a consumer replaced since are ignored. */
struct fsub {
    struct share_nats_follower *f;
    uint64_t id;
    struct fsub *next;
};

struct share_nats_follower {
    struct nbridge b; /* first: libnats' closures point here */
    share_nats_line_cb line_cb;
    share_nats_link_cb link_cb;
    void *ud;
    char *filter, *ev_subject, *req_subject;
    /* under b.mu */
    uint64_t last_sseq;  /* stream seq of the last message delivered */
    uint64_t last_seq;   /* journal seq of the last line delivered */
    uint64_t gap_seq;    /* a gap asked again for: passes if seen again */
    uint64_t subscribed; /* b.reconnects + 1 when the consumer was made */
    bool gap;            /* a gap was seen: make a new consumer */
    uint64_t sub_id;     /* the current consumer's */
    struct fsub *fsubs;  /* every closure, freed with the follower */
    struct fjob *jobs, **jtail;
    natsSubscription *sub;
    natsSubscription *inbox_sub;
    char *inbox;
};

/* ---- libnats' delivery thread ---- */

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    const struct fsub *fs = closure;
    struct share_nats_follower *f = fs->f;
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
        natsMsg_Destroy(msg);
        return;
    }
    uint64_t sseq = meta->Sequence.Stream, seq = 0;
    jsMsgMetaData_Destroy(meta);
    bool is_ev = strcmp(natsMsg_GetSubject(msg), f->ev_subject) == 0 && nbr_msg_seq(msg, &seq);
    pthread_mutex_lock(&f->b.mu);
    bool pass = fs->id == f->sub_id && sseq > f->last_sseq && !f->gap;
    if (pass && is_ev) {
        if (seq <= f->last_seq) {
            pass = false; /* published twice: delivered already */
            f->last_sseq = sseq;
        } else if (seq != f->last_seq + 1 && seq != f->gap_seq) {
            pass = false; /* a gap: ask again from the last line delivered */
            f->gap_seq = seq;
            f->gap = true;
            pthread_cond_broadcast(&f->b.cond);
        }
    }
    if (pass) {
        f->last_sseq = sseq;
        if (is_ev) {
            f->last_seq = seq;
            f->gap_seq = 0;
        }
        nbr_post_locked(&f->b,
                        nbr_line_event(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg)));
    }
    pthread_mutex_unlock(&f->b.mu);
    natsMsg_Destroy(msg);
}

/* ---- the worker ---- */

/* A new ordered consumer from the stream seq after the last delivered (mu held). */
static void subscribe(struct share_nats_follower *f)
{
    struct nbridge *b = &f->b;
    uint64_t gen = b->reconnects + 1, from = f->last_sseq + 1;
    natsSubscription *old = f->sub;
    f->sub = NULL;
    f->gap = false;
    struct fsub *fs = xcalloc(1, sizeof *fs);
    fs->f = f;
    fs->id = ++f->sub_id;
    fs->next = f->fsubs;
    f->fsubs = fs;
    pthread_mutex_unlock(&b->mu);
    if (old != NULL) {
        /*
         * Destroy alone: it drops our interest but leaves the ephemeral
         * consumer to the server's inactivity cleanup. Unsubscribe would
         * delete the consumer, and libnats (3.4) reads the consumer's name
         * for that while its own ordered-consumer reset may free it (ASan:
         * a use after free in jsSub_deleteConsumer after an outage).
         */
        natsSubscription_Destroy(old);
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = b->stream;
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from;
    so.Config.Heartbeat = (int64_t)2 * 1000 * 1000 * 1000;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_Subscribe(&sub, b->js, f->filter, on_msg, fs, NULL, &so, &jerr);
    if (s == NATS_OK) {
        nbr_track_sub(b, sub);
    }
    pthread_mutex_lock(&b->mu);
    if (s == NATS_OK) {
        f->sub = sub;
        f->subscribed = gen; /* a reconnect meanwhile makes it stale: again */
        nbr_set_error(b, NULL);
    } else {
        nbr_set_error(b, nbr_status_text(b, "cannot follow the stream", s));
        nbr_wait(b, 500); /* JetStream may still be starting after a restart */
    }
}

/* {"t":"reply","id":N,"ok":false,"message":why} for the request line. */
static char *refusal(const char *line, size_t len, const char *why)
{
    cJSON *req = NULL, *out = cJSON_CreateObject();
    char *ignored = NULL;
    cJSON_AddStringToObject(out, "t", "reply");
    if (json_parse(line, len, &req, &ignored) && cJSON_IsNumber(json_get(req, "id"))) {
        cJSON_AddNumberToObject(out, "id", json_get(req, "id")->valuedouble);
    }
    free(ignored);
    cJSON_AddBoolToObject(out, "ok", false);
    cJSON_AddStringToObject(out, "message", why);
    char *s = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(req);
    return s;
}

/* Send one request and wait for its answer (worker, mu not held). */
static void request(struct share_nats_follower *f, struct fjob *j)
{
    struct nbridge *b = &f->b;
    natsStatus s = NATS_OK;
    natsMsg *m = NULL;
    if (f->inbox_sub == NULL) {
        s = natsInbox_Create(&f->inbox);
        if (s == NATS_OK) {
            s = natsConnection_SubscribeSync(&f->inbox_sub, b->nc, f->inbox);
        }
    }
    while (f->inbox_sub != NULL && natsSubscription_NextMsg(&m, f->inbox_sub, 0) == NATS_OK) {
        natsMsg_Destroy(m); /* a late answer to an earlier request */
        m = NULL;
    }
    if (s == NATS_OK) {
        s = natsMsg_Create(&m, f->req_subject, f->inbox, j->line, (int)j->len);
    }
    if (s == NATS_OK) {
        s = natsConnection_PublishMsg(b->nc, m);
    }
    natsMsg_Destroy(m);
    m = NULL;
    if (s == NATS_OK) { /* a permission violation comes back before the PONG */
        s = natsConnection_FlushTimeout(b->nc, b->timeout_ms);
    }
    const char *last = NULL;
    char *why = NULL;
    if (natsConnection_GetLastError(b->nc, &last) == NATS_NOT_PERMITTED && last != NULL &&
        strstr(last, f->req_subject) != NULL) {
        why = xasprintf("NATS refused the request: user %s may not publish on %s (%s)",
                        b->user ? b->user : "?", f->req_subject, last);
    } else if (s == NATS_OK) {
        s = natsSubscription_NextMsg(&m, f->inbox_sub, (int64_t)b->timeout_ms * 2);
        if (s == NATS_OK && natsMsg_GetDataLength(m) > 0) {
            nbr_post(b, nbr_line_event(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m)));
        } else if (s == NATS_OK) {
            why = xasprintf("nobody answers on %s: is the run's owner connected?", f->req_subject);
        } else {
            why = xasprintf("no answer from the run's owner in %d s", b->timeout_ms * 2 / 1000);
        }
        natsMsg_Destroy(m);
    } else {
        why = nbr_status_text(b, "the request was not sent", s);
    }
    if (why != NULL) {
        char *line = refusal(j->line, j->len, why);
        nbr_post(b, nbr_line_event(line, strlen(line)));
        free(line);
        free(why);
    }
}

static void *follow_worker(void *arg)
{
    struct share_nats_follower *f = arg;
    struct nbridge *b = &f->b;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        if (!b->up) {
            nbr_wait(b, 1000);
        } else if (f->subscribed != b->reconnects + 1 || f->gap) {
            subscribe(f);
        } else if (f->jobs != NULL) {
            struct fjob *j = f->jobs;
            f->jobs = j->next;
            if (f->jobs == NULL) {
                f->jtail = &f->jobs;
            }
            pthread_mutex_unlock(&b->mu);
            request(f, j);
            free(j->line);
            free(j);
            pthread_mutex_lock(&b->mu);
        } else {
            nbr_wait(b, 1000);
        }
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- the loop's side ---- */

static void follow_event(struct nbr_event *ev, void *ud)
{
    struct share_nats_follower *f = ud;
    if (ev->kind == NBR_LINE && f->line_cb != NULL) {
        f->line_cb(f->ud, ev->text, ev->len);
    } else if (ev->kind == NBR_LINK && f->link_cb != NULL) {
        f->link_cb(f->ud, ev->up, ev->since_ms);
    }
}

struct share_nats_follower *share_nats_follow(struct loop *loop, const struct share_nats_opts *o,
                                              const char *run_id, share_nats_line_cb line_cb,
                                              share_nats_link_cb link_cb, void *ud, char **cause)
{
    struct share_nats_follower *f = xcalloc(1, sizeof *f);
    f->line_cb = line_cb;
    f->link_cb = link_cb;
    f->ud = ud;
    f->jtail = &f->jobs;
    bool transient = false;
    if (!nbr_init(&f->b, loop, o, run_id, "follower", follow_event, f, cause) ||
        !nbr_dial(&f->b, &transient, cause) || !nbr_stream(&f->b, false, cause)) {
        share_nats_unfollow(f);
        return NULL;
    }
    f->filter = xasprintf("%s.run.%s.>", f->b.prefix, f->b.run);
    f->ev_subject = nbr_subject(&f->b, "run", "ev");
    f->req_subject = nbr_subject(&f->b, "req", f->b.as != NULL ? f->b.as : "?");
    if (!nbr_start(&f->b, follow_worker, f, cause)) {
        share_nats_unfollow(f);
        return NULL;
    }
    return f;
}

void share_nats_unfollow(struct share_nats_follower *f)
{
    if (f == NULL) {
        return;
    }
    nbr_fini(&f->b); /* the worker is gone, the connection closed: no more callbacks */
    natsSubscription_Destroy(f->sub);
    natsSubscription_Destroy(f->inbox_sub);
    natsInbox_Destroy(f->inbox);
    for (struct fsub *fs = f->fsubs, *next; fs != NULL; fs = next) {
        next = fs->next;
        free(fs);
    }
    for (struct fjob *j = f->jobs, *next; j != NULL; j = next) {
        next = j->next;
        free(j->line);
        free(j);
    }
    free(f->filter);
    free(f->ev_subject);
    free(f->req_subject);
    free(f);
}

bool share_nats_request(struct share_nats_follower *f, const char *line, size_t len, char **cause)
{
    if (f->b.as == NULL) {
        *cause = xstrdup("NATS: no user name for requests (OPSDECK_NATS_USER, or \"user =\" "
                         "in the credentials file)");
        return false;
    }
    struct fjob *j = xcalloc(1, sizeof *j);
    j->line = xstrndup(line, len);
    j->len = len;
    pthread_mutex_lock(&f->b.mu);
    *f->jtail = j;
    f->jtail = &j->next;
    pthread_cond_broadcast(&f->b.cond);
    pthread_mutex_unlock(&f->b.mu);
    return true;
}

uint64_t share_nats_follower_seq(struct share_nats_follower *f)
{
    pthread_mutex_lock(&f->b.mu);
    uint64_t v = f->last_seq;
    pthread_mutex_unlock(&f->b.mu);
    return v;
}
