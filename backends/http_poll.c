/*
 * The poll bookkeeping every HTTP backend shares (http_poll.h): one handle in
 * flight, begin and end as backend.h counts them; what each path answered
 * last (issue 19: unchanged input costs nothing); a parse in slices that
 * keeps the poll in flight.
 *
 * Unchanged: per key (a GET's path; a POST's path and form) the answer last
 * taken, as its body's hash and the server's validators (ETag,
 * Last-Modified). A GET for a key with validators goes out conditional, and
 * its 304 is "the same"; a 2xx is "the same" when its body hashes as the
 * taken one's did. Only taken answers count: a backend takes an answer once
 * its rows are published, so one that failed to parse is read again. Keys
 * are few per backend (alerts, silences, a page or two); a paginated list's
 * page tokens would grow them without end, so at most SEEN_MAX are kept, the
 * oldest taken going first.
 *
 * A parse (http_poll_parse) owns the body it took from the response, the
 * hash and validators of that answer (for http_poll_parse_took) and the
 * backend's callbacks. It is cancelled by http_poll_finish, also from inside
 * its own done (then it is only detached: done's caller frees it).
 *
 * Hedging (http_poll.h): the p95 comes from the answers of this poll's own
 * GETs (2xx and 304, their elapsed time), one window for every path of the
 * poll (its requests are of one server and of one kind). When a hedge wins,
 * the cancelled request's wait so far goes into the window as well: it was
 * at least that slow, so a server that stays slow raises its p95 and is
 * hedged less, rather than doubling every read. The hedge goes out
 * unconditional (validators are one server's) and a hedged answer's
 * validators are never kept for the next conditional GET to this server;
 * its body hash is compared (http_poll_same) as any. It uses the peer's
 * settings (auth, TLS, timeouts, retries): the peer lists the polls whose
 * hedge is in flight with them (hedged_by), and its http_poll_finish cancels
 * those hedges, whatever cluster either is in by then (a reload moves kept
 * backends into new clusters).
 */
#include "http_poll.h"

#include "cluster.h"

#include "../common/jsonjob.h"
#include "../common/loop.h"
#include "../common/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { SEEN_MAX = 32 };

struct http_poll_seen {
    char *key;
    uint64_t hash;
    char *etag; /* NULL when the server gave none */
    char *last_modified;
};

struct http_poll_parse {
    struct http_poll *p; /* NULL once detached (cancelled while its done runs) */
    bool (*elem)(void *ud, cJSON *elem, char **cause);
    void (*done)(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems);
    void *ud;
    bool in_done;
    struct http_poll_seen answer; /* what http_poll_parse_took takes */
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static void seen_clear(struct http_poll_seen *e)
{
    free(e->key);
    free(e->etag);
    free(e->last_modified);
    memset(e, 0, sizeof *e);
}

static struct http_poll_seen *seen_find(struct http_poll *p, const char *key)
{
    for (size_t i = 0; key != NULL && i < p->nseen; i++) {
        if (strcmp(p->seen[i].key, key) == 0) {
            return &p->seen[i];
        }
    }
    return NULL;
}

/* Record (key, hash, validators) as taken: the newest entry, at the end. */
static void seen_take(struct http_poll *p, const char *key, uint64_t hash, const char *etag,
                      const char *last_modified)
{
    if (key == NULL) {
        return;
    }
    struct http_poll_seen *old = seen_find(p, key);
    size_t at = old != NULL ? (size_t)(old - p->seen) : 0;
    if (old != NULL || p->nseen == SEEN_MAX) {
        seen_clear(&p->seen[at]); /* this key's last answer, or the oldest of all */
        memmove(&p->seen[at], &p->seen[at + 1], (p->nseen - at - 1) * sizeof *p->seen);
        p->nseen--;
    }
    if (p->seen == NULL) {
        p->seen = xcalloc(SEEN_MAX, sizeof *p->seen);
    }
    p->seen[p->nseen++] = (struct http_poll_seen){
        .key = xstrdup(key),
        .hash = hash,
        .etag = dup_or_null(etag),
        .last_modified = dup_or_null(last_modified),
    };
}

void http_poll_init(struct http_poll *p, struct backend *b, const struct http_settings *http)
{
    *p = (struct http_poll){.b = b, .http = http};
    b->http = p;
}

/* Stop the parse in flight, if any: no callback of it runs any more. */
static void parse_cancel(struct http_poll *p)
{
    json_job_cancel(p->job);
    p->job = NULL;
    struct http_poll_parse *ps = p->parse;
    p->parse = NULL;
    if (ps == NULL) {
        return;
    }
    if (ps->in_done) {
        ps->p = NULL; /* parse_done frees it once done returns */
        return;
    }
    seen_clear(&ps->answer);
    free(ps);
}

/* The hedge in flight is over: p leaves its peer's list. */
static void hedge_unlink(struct http_poll *p)
{
    struct http_poll *peer = p->hedge_peer;
    for (struct http_poll **at = peer != NULL ? &peer->hedged_by : NULL; at != NULL && *at != NULL;
         at = &(*at)->hedge_next) {
        if (*at == p) {
            *at = p->hedge_next;
            break;
        }
    }
    p->hedge_peer = NULL;
    p->hedge_next = NULL;
}

/* Stop the hedge: its timer, and its request if it went out. */
static void hedge_stop(struct http_poll *p)
{
    if (p->hedge_timer != NULL) {
        loop_timer_cancel(p->b->loop, p->hedge_timer);
        p->hedge_timer = NULL;
    }
    http_cancel(p->hedge);
    p->hedge = NULL;
    hedge_unlink(p);
}

void http_poll_finish(struct http_poll *p)
{
    hedge_stop(p);
    while (p->hedged_by != NULL) {
        hedge_stop(p->hedged_by); /* it used p's settings: it waits for its own server */
    }
    if (p->b->http == p) {
        p->b->http = NULL; /* no longer a peer to hedge to */
    }
    http_cancel(p->req);
    p->req = NULL;
    parse_cancel(p);
    http_poll_forget(p);
    free(p->seen);
    p->seen = NULL;
    free(p->path);
    free(p->key);
    free(p->answered);
    p->path = p->key = p->answered = NULL;
}

void http_poll_replicated(struct http_poll *p)
{
    p->replicated = true;
}

bool http_poll_begin(struct http_poll *p)
{
    return backend_poll_begin(p->b);
}

static void sending(struct http_poll *p, const char *path, char *key)
{
    free(p->path);
    p->path = xstrdup(path);
    free(p->key);
    p->key = key;
}

/* An answer reaches the backend's callback: what the backend's schedule needs from it first. */
static void deliver(struct http_poll *p, const struct http_response *r, bool hedged)
{
    if (r->retry_after_ms > p->b->retry_after_ms) {
        p->b->retry_after_ms = r->retry_after_ms; /* backend_poll_end reads it */
    }
    p->answer_hedged = hedged;
    p->cb(r, p);
}

/* The poll's own request answered: it wins (a failure too: it is this server's health). */
static void on_answer(const struct http_response *r, void *ud)
{
    struct http_poll *p = ud;
    if (p->hedgeable && (http_ok(r) || r->not_modified)) {
        latency_add(&p->latency, (uint64_t)r->elapsed_ms);
    }
    hedge_stop(p);
    deliver(p, r, false);
}

/* The peer answered the hedge: a good answer wins, a failure leaves it to the poll's own. */
static void on_hedge_answer(const struct http_response *r, void *ud)
{
    struct http_poll *p = ud;
    p->hedge = NULL; /* gone */
    hedge_unlink(p);
    if (!http_ok(r)) {
        return;
    }
    p->hedges_won++;
    latency_add(&p->latency, loop_now_ms(p->b->loop) - p->sent_ms); /* at least this slow */
    http_cancel(p->req);
    p->req = NULL;
    deliver(p, r, true);
}

/* The p95 has passed without an answer: the same GET to a live peer, if there is one. */
static void hedge_fire(void *ud)
{
    struct http_poll *p = ud;
    p->hedge_timer = NULL; /* one-shot: freed by the loop */
    struct backend *peer =
        p->b->cluster != NULL ? cluster_peer(p->b->cluster, p->b, loop_now_ms(p->b->loop)) : NULL;
    if (p->req == NULL || peer == NULL) {
        return;
    }
    p->hedge_peer = peer->http;
    p->hedge_next = peer->http->hedged_by;
    peer->http->hedged_by = p;
    p->hedges_sent++;
    p->hedge = http_request(p->b->loop, peer->http->http, "GET", p->path, NULL, NULL, 0,
                            on_hedge_answer, p);
}

/* A GET went out: arm its hedge when the poll is a cluster member's and its p95 is known. */
static void hedge_arm(struct http_poll *p)
{
    hedge_stop(p);
    p->sent_ms = loop_now_ms(p->b->loop);
    uint64_t p95 = latency_p95(&p->latency);
    if (!p->hedgeable || !p->replicated || p95 == 0 || p->b->cluster == NULL ||
        cluster_peer(p->b->cluster, p->b, p->sent_ms) == NULL) {
        return;
    }
    p->hedge_timer = loop_timer_add(p->b->loop, p95, 0, hedge_fire, p);
}

void http_poll_send(struct http_poll *p, const char *path, http_done_cb cb)
{
    sending(p, path, xstrdup(path));
    p->cb = cb;
    const struct http_poll_seen *e = seen_find(p, p->key);
    if (e != NULL && (e->etag != NULL || e->last_modified != NULL)) {
        p->req = http_request_conditional(p->b->loop, p->http, path, e->etag, e->last_modified,
                                          on_answer, p);
    } else {
        p->req = http_request(p->b->loop, p->http, "GET", path, NULL, NULL, 0, on_answer, p);
    }
    p->hedgeable = true;
    p->reads++;
    hedge_arm(p);
}

void http_poll_post_form(struct http_poll *p, const char *path, const char *form, http_done_cb cb)
{
    sending(p, path, xasprintf("POST %s\n%s", path, form));
    p->cb = cb;
    p->hedgeable = false; /* never a write */
    hedge_stop(p);
    p->req = http_request(p->b->loop, p->http, "POST", path, "application/x-www-form-urlencoded",
                          form, strlen(form), on_answer, p);
}

struct backend *http_poll_received(void *ud)
{
    struct http_poll *p = ud;
    p->req = NULL;
    free(p->answered);
    p->answered = p->key;
    p->key = NULL;
    return p->b;
}

void http_poll_end(struct http_poll *p)
{
    backend_poll_end(p->b);
}

bool http_poll_same(struct http_poll *p, const struct http_response *r)
{
    struct http_poll_seen *e = seen_find(p, p->answered);
    if (e == NULL || r->error != NULL) {
        return false;
    }
    if (r->not_modified) {
        return true;
    }
    if (!http_ok(r) || r->hash != e->hash) {
        return false;
    }
    /* the same bytes: this answer's validators describe what was taken as well */
    if (!p->answer_hedged && (r->etag != NULL || r->last_modified != NULL)) {
        free(e->etag);
        free(e->last_modified);
        e->etag = dup_or_null(r->etag);
        e->last_modified = dup_or_null(r->last_modified);
    }
    return true;
}

void http_poll_took(struct http_poll *p, const struct http_response *r)
{
    if (http_ok(r) && !r->not_modified) {
        bool own = !p->answer_hedged; /* a peer's validators mean nothing to this server */
        seen_take(p, p->answered, r->hash, own ? r->etag : NULL, own ? r->last_modified : NULL);
    }
}

void http_poll_forget(struct http_poll *p)
{
    for (size_t i = 0; i < p->nseen; i++) {
        seen_clear(&p->seen[i]);
    }
    p->nseen = 0;
}

static bool parse_elem(void *ud, cJSON *elem, char **cause)
{
    struct http_poll_parse *ps = ud;
    return ps->elem(ps->ud, elem, cause);
}

static void parse_done(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct http_poll_parse *ps = ud;
    struct http_poll *p = ps->p;
    p->job = NULL; /* the job is gone once done returns */
    ps->in_done = true;
    ps->done(ps->ud, ok, cause, rest, nelems);
    /* done may have finished the poll (ps->p NULL: p may be gone) or started another parse */
    if (ps->p != NULL && ps->p->parse == ps) {
        ps->p->parse = NULL;
    }
    seen_clear(&ps->answer);
    free(ps);
}

void http_poll_parse(struct http_poll *p, const struct http_response *r, const char *member,
                     bool (*elem)(void *ud, cJSON *elem, char **cause),
                     void (*done)(void *ud, bool ok, const char *cause, const cJSON *rest,
                                  size_t nelems),
                     void *ud)
{
    parse_cancel(p); /* one parse at a time */
    struct http_poll_parse *ps = xcalloc(1, sizeof *ps);
    *ps = (struct http_poll_parse){
        .p = p,
        .elem = elem,
        .done = done,
        .ud = ud,
        .answer =
            {
                .key = dup_or_null(p->answered),
                .hash = r->hash,
                .etag = p->answer_hedged ? NULL : dup_or_null(r->etag),
                .last_modified = p->answer_hedged ? NULL : dup_or_null(r->last_modified),
            },
    };
    /* a parse is of a 2xx; anything else is taken as it is, never as "the same" */
    if (!http_ok(r) || r->not_modified) {
        free(ps->answer.key);
        ps->answer.key = NULL;
    }
    size_t len;
    char *body = http_take_body(r, &len);
    if (body == NULL) {
        body = xstrdup(""); /* the job says "empty response" */
        len = 0;
    }
    p->parse = ps;
    p->job = json_job_start(p->b->loop, body, len, member, 0, parse_elem, parse_done, ps);
}

void http_poll_parse_took(struct http_poll *p)
{
    struct http_poll_parse *ps = p->parse;
    if (ps != NULL) {
        seen_take(p, ps->answer.key, ps->answer.hash, ps->answer.etag, ps->answer.last_modified);
    }
}
