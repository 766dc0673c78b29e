/*
 * The war room's owner over NATS JetStream (share_nats.h): one worker thread
 * publishes the run's journal lines in seq order, each acknowledged by the
 * stream before the next, with Nats-Msg-Id "RUN:SEQ"; the loop only queues.
 *
 * The queue: lines wait in memory up to queue_max bytes. Past that the
 * in-memory copies are dropped and the worker reads the journal file instead
 * (the journal is the durable queue), from the first seq the stream has not
 * acknowledged, until it has caught up with every line dropped; then memory
 * again. On every (re)connect the worker asks the stream for the last seq it
 * holds for the run, so nothing is published twice even after the server's
 * duplicate window, and a new owner (a taken-over run) publishes only what
 * is missing.
 */
#include "share_nats_int.h"

#include "../common/clock.h"
#include "journal.h"
#include "../common/loop.h"
#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oline {
    uint64_t seq; /* 0: a reply (subject set) */
    char *subject;
    char *line;
    size_t len;
    struct oline *next;
};

struct share_nats_reply {
    char *subject;
};

struct share_nats_owner {
    struct nbridge b; /* first: libnats' closures point here */
    share_nats_request_cb cb;
    void *ud;
    char *(*filter)(void *ud, const char *line, size_t len); /* opts.filter */
    void *filter_ud;
    char *journal;
    char *ev_subject, *doc_subject;
    size_t queue_max;
    /* under b.mu */
    struct oline *head, **tail; /* journal lines, in seq order */
    size_t queued_bytes;
    struct oline *replies, **rtail;
    char *doc;
    size_t doc_len;
    bool from_journal;    /* the memory copies were dropped: read the journal */
    uint64_t dropped_max; /* the highest seq not kept in memory */
    uint64_t acked;       /* the stream holds every seq up to here */
    uint64_t published;   /* lines this owner published */
    uint64_t synced;      /* b.reconnects when the stream was last asked */
    natsSubscription *req_sub;
};

static void free_oline(struct oline *l)
{
    free(l->subject);
    free(l->line);
    free(l);
}

/* ---- libnats' threads ---- */

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    struct share_nats_owner *own = closure;
    const char *subj = natsMsg_GetSubject(msg);
    const char *user = strrchr(subj, '.');
    const char *reply = natsMsg_GetReply(msg);
    int len = natsMsg_GetDataLength(msg);
    if (user != NULL && user[1] != '\0' && len > 0) {
        struct nbr_event *ev = nbr_line_event(natsMsg_GetData(msg), (size_t)len);
        ev->kind = NBR_REQ;
        ev->user = xstrdup(user + 1);
        ev->reply = xstrdup(reply != NULL ? reply : "");
        nbr_post(&own->b, ev);
    }
    natsMsg_Destroy(msg);
}

/* ---- the worker ---- */

/* After a connect: the stream, the request subscription. */
static bool setup(struct share_nats_owner *own, char **cause)
{
    struct nbridge *b = &own->b;
    if (!nbr_stream(b, true, cause)) {
        return false;
    }
    char *subj = nbr_subject(b, "req", "*");
    natsStatus s = natsConnection_Subscribe(&own->req_sub, b->nc, subj, on_request, own);
    free(subj);
    if (s == NATS_OK) {
        nbr_track_sub(b, own->req_sub);
        s = natsConnection_FlushTimeout(b->nc, b->timeout_ms);
    }
    if (s != NATS_OK) {
        *cause = nbr_status_text(b, "cannot listen for requests", s);
        return false;
    }
    return true;
}

/* The last seq the stream holds for this run (0: none); false when it cannot say. */
static bool stored_seq(struct share_nats_owner *own, uint64_t *seq)
{
    natsMsg *msg = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetLastMsg(&msg, own->b.js, own->b.stream, own->ev_subject, NULL, &jerr);
    *seq = 0;
    if (s == NATS_NOT_FOUND) {
        return true;
    }
    bool ok = s == NATS_OK && nbr_msg_seq(msg, seq);
    natsMsg_Destroy(msg);
    return ok;
}

/* Publish one line and wait for the stream's ack (worker, mu not held). */
static natsStatus publish_one(struct share_nats_owner *own, uint64_t seq, const char *line,
                              size_t len)
{
    struct nbridge *b = &own->b;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = b->timeout_ms;
    char id[160];
    const char *subj = own->doc_subject;
    if (seq > 0) {
        snprintf(id, sizeof id, "%s:%llu", b->run, (unsigned long long)seq);
        po.MsgId = id;
        subj = own->ev_subject;
    }
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_Publish(&ack, b->js, subj, line, (int)len, &po, &jerr);
    jsPubAck_Destroy(ack);
    return s;
}

/* Read the journal and publish every line after own->acked; true at its end. */
static bool catch_up(struct share_nats_owner *own, uint64_t *sent)
{
    FILE *f = fopen(own->journal, "r");
    if (f == NULL) {
        return true; /* no line written yet */
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool done = true;
    while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
        uint64_t seq = 0;
        pthread_mutex_lock(&own->b.mu);
        uint64_t acked = own->acked;
        bool stop = own->b.stop;
        pthread_mutex_unlock(&own->b.mu);
        if (stop) {
            done = false;
            break;
        }
        if (!journal_line_seq(line, (size_t)n - 1, &seq) || seq <= acked) {
            continue;
        }
        char *shown = own->filter != NULL ? own->filter(own->filter_ud, line, (size_t)n - 1) : NULL;
        natsStatus s = own->filter == NULL ? publish_one(own, seq, line, (size_t)n - 1)
                       : shown != NULL     ? publish_one(own, seq, shown, strlen(shown))
                                           : NATS_OK; /* not for the stream: counted as done */
        free(shown);
        pthread_mutex_lock(&own->b.mu);
        if (s == NATS_OK) {
            own->acked = seq;
            own->published++;
            (*sent)++;
        } else {
            nbr_set_error(&own->b, nbr_status_text(&own->b, "publish", s));
        }
        pthread_mutex_unlock(&own->b.mu);
        if (s != NATS_OK) {
            done = false;
            break;
        }
    }
    free(line);
    fclose(f);
    return done;
}

/* One round with mu held: false when there was nothing to do. */
static bool work(struct share_nats_owner *own)
{
    struct nbridge *b = &own->b;
    if (own->replies != NULL) {
        struct oline *r = own->replies;
        own->replies = r->next;
        if (own->replies == NULL) {
            own->rtail = &own->replies;
        }
        pthread_mutex_unlock(&b->mu);
        natsConnection_Publish(b->nc, r->subject, r->line, (int)r->len);
        free_oline(r);
        pthread_mutex_lock(&b->mu);
        return true;
    }
    if (own->doc != NULL) {
        char *doc = own->doc;
        size_t len = own->doc_len;
        own->doc = NULL;
        pthread_mutex_unlock(&b->mu);
        natsStatus s = publish_one(own, 0, doc, len);
        pthread_mutex_lock(&b->mu);
        if (s != NATS_OK && own->doc == NULL) {
            own->doc = doc; /* again, unless a newer one came */
            own->doc_len = len;
            return false;
        }
        free(doc);
        return s == NATS_OK;
    }
    if (own->from_journal) {
        uint64_t sent = 0;
        pthread_mutex_unlock(&b->mu);
        bool done = catch_up(own, &sent);
        pthread_mutex_lock(&b->mu);
        if (done && own->dropped_max <= own->acked) {
            own->from_journal = false; /* caught up: memory again */
            nbr_set_error(b, NULL);
        } else if (done && sent == 0) { /* not there (yet): look again in a while */
            nbr_set_error(b, xasprintf("journal %s has no line with seq %llu", own->journal,
                                       (unsigned long long)own->dropped_max));
            return false;
        }
        return done;
    }
    struct oline *l = own->head;
    if (l == NULL) {
        return false;
    }
    own->head = l->next; /* ours while we publish it: an overflow cannot free it */
    if (own->head == NULL) {
        own->tail = &own->head;
    }
    own->queued_bytes -= l->len;
    natsStatus s = NATS_OK;
    if (l->seq > own->acked) {
        pthread_mutex_unlock(&b->mu);
        s = publish_one(own, l->seq, l->line, l->len);
        pthread_mutex_lock(&b->mu);
    }
    if (s != NATS_OK) {
        nbr_set_error(b, nbr_status_text(b, "publish", s));
        if (own->from_journal) {
            free_oline(l); /* dropped meanwhile: the journal has it */
        } else {
            l->next = own->head; /* first again */
            own->head = l;
            if (l->next == NULL) {
                own->tail = &l->next;
            }
            own->queued_bytes += l->len;
        }
        return false;
    }
    if (l->seq > own->acked) {
        own->acked = l->seq;
        own->published++;
    }
    free_oline(l);
    nbr_set_error(b, NULL);
    return true;
}

static void *owner_worker(void *arg)
{
    struct share_nats_owner *own = arg;
    struct nbridge *b = &own->b;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        if (b->nc == NULL) { /* the first connect failed: keep trying */
            pthread_mutex_unlock(&b->mu);
            char *cause = NULL;
            bool transient = true;
            bool ok = nbr_dial(b, &transient, &cause) && setup(own, &cause);
            pthread_mutex_lock(&b->mu);
            if (!ok) {
                nbr_set_error(b, cause);
                nbr_wait(b, transient ? 500 : 5000);
                continue;
            }
            struct nbr_event *ev = xcalloc(1, sizeof *ev);
            ev->kind = NBR_LINK;
            ev->up = true;
            ev->since_ms = b->down_since_ms;
            nbr_post_locked(b, ev);
            nbr_set_error(b, NULL);
        }
        if (!b->up) {
            nbr_wait(b, 1000);
            continue;
        }
        if (own->synced != b->reconnects + 1) {
            uint64_t gen = b->reconnects + 1, seq = 0;
            pthread_mutex_unlock(&b->mu);
            bool ok = stored_seq(own, &seq);
            pthread_mutex_lock(&b->mu);
            if (!ok) { /* JetStream may still be starting after a restart */
                nbr_wait(b, 250);
                continue;
            }
            own->synced = gen;
            if (seq > own->acked) {
                own->acked = seq;
            }
        }
        if (!work(own)) {
            nbr_wait(b, own->head != NULL || own->from_journal ? 250 : 1000);
        }
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- the loop's side ---- */

static void owner_event(struct nbr_event *ev, void *ud)
{
    struct share_nats_owner *own = ud;
    if (ev->kind == NBR_REQ && own->cb != NULL) {
        struct share_nats_reply *r = xcalloc(1, sizeof *r);
        r->subject = ev->reply;
        ev->reply = NULL;
        own->cb(own->ud, ev->user, ev->text, ev->len, r);
    }
}

struct share_nats_owner *share_nats_owner_create(struct loop *loop, const struct share_nats_opts *o,
                                                 const char *run_id, const char *journal,
                                                 share_nats_request_cb cb, void *ud, char **cause)
{
    struct share_nats_owner *own = xcalloc(1, sizeof *own);
    own->tail = &own->head;
    own->rtail = &own->replies;
    own->cb = cb;
    own->ud = ud;
    own->filter = o->filter;
    own->filter_ud = o->filter_ud;
    if (!nbr_init(&own->b, loop, o, run_id, "owner", owner_event, own, cause)) {
        share_nats_owner_destroy(own);
        return NULL;
    }
    own->queue_max = o->queue_max > 0 ? o->queue_max : (size_t)1 << 20;
    own->journal = journal != NULL ? xstrdup(journal) : NULL;
    own->from_journal = journal != NULL; /* publish what the stream lacks first */
    own->ev_subject = nbr_subject(&own->b, "run", "ev");
    own->doc_subject = nbr_subject(&own->b, "run", "doc");
    bool transient = false;
    char *why = NULL;
    if (!nbr_dial(&own->b, &transient, &why) || !setup(own, &why)) {
        if (!transient || own->b.nc != NULL) {
            *cause = why;
            share_nats_owner_destroy(own);
            return NULL;
        }
        own->b.error = why; /* unreachable now: the link starts down, the worker retries */
    }
    if (!nbr_start(&own->b, owner_worker, own, cause)) {
        share_nats_owner_destroy(own);
        return NULL;
    }
    return own;
}

void share_nats_owner_destroy(struct share_nats_owner *own)
{
    if (own == NULL) {
        return;
    }
    nbr_fini(&own->b); /* the worker is gone, the connection closed: no more callbacks */
    natsSubscription_Destroy(own->req_sub);
    for (struct oline *l = own->head, *next; l != NULL; l = next) {
        next = l->next;
        free_oline(l);
    }
    for (struct oline *l = own->replies, *next; l != NULL; l = next) {
        next = l->next;
        free_oline(l);
    }
    free(own->doc);
    free(own->journal);
    free(own->ev_subject);
    free(own->doc_subject);
    free(own);
}

void share_nats_publish(struct share_nats_owner *own, uint64_t seq, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        len--;
    }
    pthread_mutex_lock(&own->b.mu);
    if (own->from_journal) {
        if (seq > own->dropped_max) {
            own->dropped_max = seq;
        }
    } else if (own->queued_bytes + len > own->queue_max && own->journal != NULL) {
        /* over the cap: drop the copies, the journal has every line */
        for (struct oline *l = own->head, *next; l != NULL; l = next) {
            next = l->next;
            free_oline(l);
        }
        own->head = NULL;
        own->tail = &own->head;
        own->queued_bytes = 0;
        own->from_journal = true;
        own->dropped_max = seq;
    } else {
        while (own->queued_bytes + len > own->queue_max && own->head != NULL) {
            struct oline *l = own->head; /* no journal (a dry run): the oldest go */
            own->head = l->next;
            own->queued_bytes -= l->len;
            free_oline(l);
            nbr_set_error(&own->b, xstrdup("queue full without a journal: old lines dropped"));
        }
        if (own->head == NULL) {
            own->tail = &own->head;
        }
        struct oline *l = xcalloc(1, sizeof *l);
        l->seq = seq;
        l->line = xstrndup(line, len);
        l->len = len;
        *own->tail = l;
        own->tail = &l->next;
        own->queued_bytes += len;
    }
    pthread_cond_broadcast(&own->b.cond);
    pthread_mutex_unlock(&own->b.mu);
}

void share_nats_publish_doc(struct share_nats_owner *own, const char *line, size_t len)
{
    pthread_mutex_lock(&own->b.mu);
    free(own->doc);
    own->doc = xstrndup(line, len);
    own->doc_len = len;
    pthread_cond_broadcast(&own->b.cond);
    pthread_mutex_unlock(&own->b.mu);
}

void share_nats_reply(struct share_nats_owner *own, struct share_nats_reply *reply,
                      const char *line, size_t len)
{
    if (reply == NULL) {
        return;
    }
    if (line != NULL && reply->subject != NULL && reply->subject[0] != '\0') {
        struct oline *r = xcalloc(1, sizeof *r);
        r->subject = reply->subject;
        reply->subject = NULL;
        r->line = xstrndup(line, len);
        r->len = len;
        pthread_mutex_lock(&own->b.mu);
        *own->rtail = r;
        own->rtail = &r->next;
        pthread_cond_broadcast(&own->b.cond);
        pthread_mutex_unlock(&own->b.mu);
    }
    free(reply->subject);
    free(reply);
}

char *share_nats_owner_status(struct share_nats_owner *own)
{
    pthread_mutex_lock(&own->b.mu);
    struct strbuf sb = {0};
    if (own->b.up) {
        strbuf_printf(&sb, "nats: up, %llu published", (unsigned long long)own->published);
    } else {
        char hms[16] = "?";
        time_t t = (time_t)(own->b.down_since_ms / 1000);
        struct tm tm;
        if (localtime_r(&t, &tm) != NULL) {
            strftime(hms, sizeof hms, "%H:%M:%S", &tm);
        }
        strbuf_printf(&sb, "nats: link down since %s", hms);
    }
    size_t n = 0;
    for (const struct oline *l = own->head; l != NULL; l = l->next) {
        n++;
    }
    if (own->from_journal) {
        strbuf_printf(&sb, ", catching up from the journal after seq %llu",
                      (unsigned long long)own->acked);
    } else if (n > 0) {
        strbuf_printf(&sb, ", %zu queued", n);
    }
    if (own->b.error != NULL) {
        strbuf_printf(&sb, " (%s)", own->b.error);
    }
    pthread_mutex_unlock(&own->b.mu);
    return sb.s;
}

uint64_t share_nats_owner_acked(struct share_nats_owner *own)
{
    pthread_mutex_lock(&own->b.mu);
    uint64_t v = own->acked;
    pthread_mutex_unlock(&own->b.mu);
    return v;
}
