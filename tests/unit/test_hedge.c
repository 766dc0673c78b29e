/*
 * Hedged reads (issue 20, http_poll.h): a cluster member's GET slower than
 * the p95 of its recent answers is sent to a live peer too, and the first
 * good answer wins. On the real loop, two forked child HTTP servers (httpchild.h) on free
 * loopback ports stand for two Alertmanagers of a cluster: each answers its
 * own body (which server answered is in it) after a delay the test sets, with
 * its own ETag, and logs each request with its If-None-Match and how it
 * ended ("answered", or "closed" when the client hung up first).
 *
 * Shown: with the window warm, a slow primary's answer comes from the peer at
 * about the p95 and the primary's request is cancelled (its server sees the
 * connection closed); the hedge goes out unconditional and the peer's ETag is
 * never sent to the primary; a hedge never before POLL_HEDGE_MIN_SAMPLES
 * answers, never for a POST, never without a live peer, never for members
 * that did not say they are replicas (http_poll_replicated); a peer's failure
 * leaves the primary's answer to win; a peer going away mid-hedge, and the
 * primary going away mid-hedge, cancel what is in flight (ASan: no leak).
 */
#include "../../backends/backend.h"
#include "../../backends/cluster.h"
#include "../../backends/http.h"
#include "../../backends/http_poll.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "httpchild.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct loop *loop;

/* ---- the servers ---- */

struct server {
    char name; /* 'A' or 'B': in its bodies and ETag */
    int delay; /* in the child: how /p answers, set by /set/DELAY/STATUS */
    int status;
    struct httpchild h;
    char url[64];
};

/*
 * The child's handler: /set/DELAY/STATUS sets how /p answers (after DELAY
 * ms, with STATUS); /log (httpchild) says what /p saw.
 */
static void serve(struct httpchild_req *rq, void *ud)
{
    struct server *s = ud;
    int c = rq->fd;
    char body[64], etag[16], etag_header[64], inm[256];
    snprintf(body, sizeof body, "[{\"server\":\"%c\"}]", s->name);
    snprintf(etag, sizeof etag, "\"%c1\"", s->name);
    snprintf(etag_header, sizeof etag_header, "ETag: %s\r\n", etag);
    httpchild_header(rq->raw, "If-None-Match", inm, sizeof inm);
    if (sscanf(rq->path, "/set/%d/%d", &s->delay, &s->status) == 2) {
        httpchild_reply(c, 200, "", "ok");
    } else if (strcmp(rq->path, "/p") == 0) {
        bool closed = s->delay > 0 && httpchild_hung_up(c, s->delay);
        strbuf_printf(rq->log, "%s inm=%s %s\n", rq->method, inm, closed ? "closed" : "answered");
        if (!closed) {
            if (s->status == 200 && strcmp(inm, etag) == 0) {
                httpchild_reply(c, 304, etag_header, "");
            } else {
                httpchild_reply(c, s->status, s->status == 200 ? etag_header : "",
                                s->status == 200 ? body : "failing");
            }
        }
    } else {
        httpchild_reply(c, 404, "", "no such path");
    }
}

static bool server_start(struct server *s, char name)
{
    s->name = name;
    s->delay = 0;
    s->status = 200;
    bool ok = httpchild_start(&s->h, serve, s);
    snprintf(s->url, sizeof s->url, "%s", s->h.url);
    return ok;
}

static void server_set(const struct server *s, int delay_ms, int status)
{
    char path[64];
    snprintf(path, sizeof path, "/set/%d/%d", delay_ms, status);
    free(httpchild_get(loop, &s->h, path));
}

/* The last line of s's log of /p ("GET inm=... answered"), caller frees; count: lines. */
static char *server_last(const struct server *s, int *count)
{
    return httpchild_saw(loop, &s->h, NULL, count);
}

/* ---- a cluster member polling /p through http_poll ---- */

struct member {
    struct http_settings http;
    struct http_poll poll;
    bool post;     /* poll with a POST (http_poll_post_form) */
    int answers;   /* answers handled */
    int same;      /* of which "the same" as the last taken */
    char server;   /* who answered the last one ('A', 'B'; '-' a failure; '=' unchanged) */
    bool req_gone; /* p->req was NULL in the callback (after http_poll_received) */
};

static int all_answers;        /* every answer, also after a member is gone */
static bool replicated = true; /* members made now call http_poll_replicated */

static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct member *m = b->priv;
    all_answers++;
    m->answers++;
    m->req_gone = m->poll.req == NULL;
    if (http_poll_same(&m->poll, r)) {
        m->same++;
        m->server = '=';
        backend_ok(b);
    } else if (http_ok(r)) {
        const char *at = strstr(r->body, "\"server\":\"");
        m->server = at != NULL ? at[10] : '?';
        http_poll_took(&m->poll, r);
        backend_ok(b);
    } else {
        m->server = '-';
        backend_fail(b, "HTTP %ld", r->status);
    }
    http_poll_end(&m->poll);
}

static void *member_create(struct backend *b)
{
    struct member *m = xcalloc(1, sizeof *m);
    http_settings_init(&m->http);
    http_poll_init(&m->poll, b, &m->http);
    if (replicated) {
        http_poll_replicated(&m->poll);
    }
    return m;
}

static bool member_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct member *m = b->priv;
    return http_settings_configure(&m->http, key, value, cause) == 1;
}

static bool member_start(struct backend *b, char **cause)
{
    struct member *m = b->priv;
    return http_settings_finish(&m->http, b->timeout_ms, cause);
}

static void member_poll(struct backend *b)
{
    struct member *m = b->priv;
    if (!http_poll_begin(&m->poll)) {
        return;
    }
    if (m->post) {
        http_poll_post_form(&m->poll, "/p", "a=1", on_poll);
    } else {
        http_poll_send(&m->poll, "/p", on_poll);
    }
}

static void member_destroy(struct backend *b)
{
    struct member *m = b->priv;
    http_poll_finish(&m->poll);
    http_settings_free(&m->http);
    free(m);
    b->priv = NULL;
}

static const struct backend_impl member_impl = {
    .type = "hedge-member",
    .description = "a cluster member polling one path",
    .kinds = 1u << MODEL_ALERTS,
    .create = member_create,
    .configure = member_configure,
    .start = member_start,
    .poll = member_poll,
    .destroy = member_destroy,
};

static struct store *st;
static struct server sa, sb;

static struct member *mem(struct backend *b)
{
    return b->priv;
}

/* The last answer was A's: its body, or a 304 to A's own ETag (B's never answered before). */
static bool from_a(struct backend *a)
{
    return mem(a)->server == 'A' || mem(a)->server == '=';
}

/* Poll b once (asked for) and wait for its answer; returns the ms it took, or -1. */
static long poll_once(struct backend *b)
{
    int before = mem(b)->answers;
    uint64_t start = clock_mono_ms();
    backend_poll_now(b);
    while (mem(b)->answers == before && clock_mono_ms() < start + 8000) {
        loop_run_once(loop, 5);
    }
    return mem(b)->answers > before ? (long)(clock_mono_ms() - start) : -1;
}

static struct backend *member_new(const char *name, const struct server *s, const char *cluster)
{
    struct backend *b = backend_create(&member_impl, name, st, loop);
    char *cause = NULL;
    if (!backend_configure(b, "url", s->url, &cause) ||
        !backend_configure(b, "retries", "0", &cause) ||
        (cluster != NULL && !backend_configure(b, "cluster", cluster, &cause))) {
        tap_diag("configure %s: %s", name, cause != NULL ? cause : "?");
        free(cause);
        cause = NULL;
    }
    b->refresh_ms = 3600 * 1000; /* only the polls asked for */
    return b;
}

/*
 * Members a (server A) and b (server B) of one cluster, both started and
 * answered once (healthy); lone: a alone in a cluster of one.
 */
static void pair(struct backend **a, struct backend **b, bool lone)
{
    server_set(&sa, 0, 200);
    server_set(&sb, 0, 200);
    *a = member_new("am1", &sa, "am");
    *b = member_new("am2", &sb, lone ? NULL : "am");
    struct backend *bs[2] = {*a, *b};
    char *cause = NULL;
    if (!backend_join_clusters(bs, 2, &cause) || !backend_start(*a, &cause) ||
        !backend_start(*b, &cause)) {
        tap_diag("pair: %s", cause != NULL ? cause : "?");
        free(cause);
    }
    uint64_t end = clock_mono_ms() + 5000;
    while ((mem(*a)->answers == 0 || mem(*b)->answers == 0) && clock_mono_ms() < end) {
        loop_run_once(loop, 5); /* their first polls, from the schedule */
    }
}

/*
 * n polls of a at delay_ms each (the window fills with about delay_ms). B is
 * slow meanwhile: a hedge sent when A's answer is late by chance (about one
 * in twenty, more under ASan) never wins, so every answer is A's.
 */
static void warm(struct backend *a, int n, int delay_ms)
{
    server_set(&sb, delay_ms * 5 + 200, 200);
    server_set(&sa, delay_ms, 200);
    for (int i = 0; i < n; i++) {
        poll_once(a);
    }
    server_set(&sb, 0, 200);
}

static void drop_pair(struct backend *a, struct backend *b)
{
    backend_destroy(a);
    backend_destroy(b);
    for (int i = 0; i < 10; i++) {
        loop_run_once(loop, 5);
    }
}

static void test_slow_primary(void)
{
    struct backend *a, *b;
    pair(&a, &b, false);
    tap_ok(a->http == &mem(a)->poll && b->http == &mem(b)->poll, "http_poll_init sets b->http");
    tap_ok(cluster_peer(a->cluster, a, loop_now_ms(loop)) == b, "a's peer is b (healthy, HTTP)");
    char none[64];
    cluster_hedge_text(a->cluster, none, sizeof none);
    tap_is_str(none, "", "no read hedged yet: nothing to say");
    warm(a, 15, 40);
    uint64_t p95 = latency_p95(&mem(a)->poll.latency);
    tap_ok(p95 >= 40 && p95 < 400, "the window is warm: p95 %llu ms", (unsigned long long)p95);
    int lines0;
    free(server_last(&sa, &lines0));
    tap_ok(mem(a)->server == '=', "A's answers are taken and then the same (conditional 304s)");

    uint64_t sent = mem(a)->poll.hedges_sent, won = mem(a)->poll.hedges_won;
    int same = mem(a)->same;
    server_set(&sa, 2500, 200);
    long took = poll_once(a);
    tap_ok(mem(a)->server == 'B', "a slow primary: the answer comes from the peer (%c)",
           mem(a)->server);
    tap_ok(took >= (long)p95 && took < (long)p95 + 600, "at about the p95: %ld ms (p95 %llu)", took,
           (unsigned long long)p95);
    tap_ok(mem(a)->poll.hedges_sent == sent + 1 && mem(a)->poll.hedges_won == won + 1,
           "one hedge sent, and won (%llu sent, %llu won)",
           (unsigned long long)mem(a)->poll.hedges_sent,
           (unsigned long long)mem(a)->poll.hedges_won);
    tap_ok(mem(a)->req_gone && mem(a)->poll.hedge == NULL && mem(a)->poll.req == NULL,
           "the backend sees its request gone, as for its own answer; no hedge left");
    tap_ok(mem(a)->same == same, "B's body is not A's: not \"the same\"");
    tap_ok(!a->polling, "the poll ended");
    int lines;
    char *last = server_last(&sa, &lines);
    tap_ok(lines == lines0 + 1 && strstr(last, "closed") != NULL,
           "the slow request was cancelled: A saw the connection closed (%s)", last);
    free(last);
    last = server_last(&sb, &lines);
    tap_ok(strncmp(last, "GET inm= ", 9) == 0, "the hedge went out unconditional (%s)", last);
    free(last);

    /* A's ETag was taken before; B's is never kept for A */
    server_set(&sa, 0, 200);
    poll_once(a);
    last = server_last(&sa, &lines);
    tap_ok(strncmp(last, "GET inm= ", 9) == 0 && mem(a)->server == 'A',
           "after a hedged answer, A is asked unconditional, never with B's ETag (%s)", last);
    free(last);
    poll_once(a);
    last = server_last(&sa, &lines);
    tap_ok(strstr(last, "inm=\"A1\"") != NULL && mem(a)->server == '=',
           "then conditional with its own again, and the same (%s)", last);
    free(last);
    char text[128];
    cluster_hedge_text(a->cluster, text, sizeof text);
    char want[128];
    snprintf(want, sizeof want, "hedged %llu of %llu reads (%llu answered by a peer)",
             (unsigned long long)mem(a)->poll.hedges_sent,
             (unsigned long long)(mem(a)->poll.reads + mem(b)->poll.reads),
             (unsigned long long)mem(a)->poll.hedges_won);
    tap_is_str(text, want, "the cluster says its hedged reads");
    tap_ok(mem(a)->poll.reads >= 18, "every GET of the poll counted as a read");
    tap_ok(latency_p95(&mem(a)->poll.latency) >= p95,
           "the cancelled request's wait went into the window (p95 %llu ms)",
           (unsigned long long)latency_p95(&mem(a)->poll.latency));
    drop_pair(a, b);
}

static void test_peer_fails(void)
{
    struct backend *a, *b;
    pair(&a, &b, false);
    warm(a, 12, 30);
    server_set(&sb, 0, 500);
    uint64_t sent = mem(a)->poll.hedges_sent, won = mem(a)->poll.hedges_won;
    server_set(&sa, 600, 200);
    long took = poll_once(a);
    tap_ok(mem(a)->poll.hedges_sent == sent + 1, "a slow primary is hedged");
    tap_ok(from_a(a) && took >= 550,
           "the peer's failure does not win: the primary's answer does (%c, %ld ms)",
           mem(a)->server, took);
    tap_ok(mem(a)->poll.hedges_won == won && a->health == BACKEND_OK, "no hedge won; a is ok");
    drop_pair(a, b);
}

static void test_never_early(void)
{
    struct backend *a, *b;
    pair(&a, &b, false);
    /* the first poll gave one answer: POLL_HEDGE_MIN_SAMPLES - 2 more leaves the window short */
    warm(a, POLL_HEDGE_MIN_SAMPLES - 2, 5);
    server_set(&sa, 300, 200);
    long took = poll_once(a);
    tap_ok(mem(a)->poll.hedges_sent == 0 && from_a(a) && took >= 250,
           "fewer than %d answers known: no hedge (%ld ms, from %c)", POLL_HEDGE_MIN_SAMPLES, took,
           mem(a)->server);
    drop_pair(a, b);
}

static void test_never_post(void)
{
    struct backend *a, *b;
    pair(&a, &b, false);
    warm(a, 12, 30);
    mem(a)->post = true;
    uint64_t sent = mem(a)->poll.hedges_sent;
    server_set(&sa, 500, 200);
    long took = poll_once(a);
    int lines;
    char *last = server_last(&sa, &lines);
    tap_ok(mem(a)->poll.hedges_sent == sent && from_a(a) && took >= 450 &&
               strncmp(last, "POST", 4) == 0,
           "a slow POST is never hedged (%ld ms, %s)", took, last);
    free(last);
    drop_pair(a, b);
}

static void test_never_without_peer(void)
{
    struct backend *a, *b;
    pair(&a, &b, true); /* a alone in its cluster */
    warm(a, 12, 30);
    server_set(&sa, 400, 200);
    long took = poll_once(a);
    tap_ok(mem(a)->poll.hedges_sent == 0 && from_a(a) && took >= 350,
           "a member alone in its cluster: no hedge (%ld ms)", took);
    drop_pair(a, b);

    pair(&a, &b, false);
    warm(a, 12, 30);
    backend_fail(b, "down");
    tap_ok(cluster_peer(a->cluster, a, loop_now_ms(loop)) == NULL, "a failed peer is no peer");
    uint64_t sent = mem(a)->poll.hedges_sent;
    server_set(&sa, 400, 200);
    took = poll_once(a);
    tap_ok(mem(a)->poll.hedges_sent == sent && from_a(a) && took >= 350,
           "the peer down: no hedge (%ld ms)", took);
    drop_pair(a, b);
}

static void test_never_unreplicated(void)
{
    replicated = false; /* each server answers its own (HAProxy, NATS) */
    struct backend *a, *b;
    pair(&a, &b, false);
    replicated = true;
    warm(a, 12, 30);
    tap_ok(latency_p95(&mem(a)->poll.latency) > 0 &&
               cluster_peer(a->cluster, a, loop_now_ms(loop)) == b,
           "a warm window and a live peer");
    server_set(&sa, 400, 200);
    long took = poll_once(a);
    tap_ok(mem(a)->poll.hedges_sent == 0 && from_a(a) && took >= 350,
           "members that did not say they are replicas: never hedged (%ld ms)", took);
    drop_pair(a, b);
}

/* Run the loop until a has sent a hedge (or 3 s passed). */
static void until_hedged(struct backend *a)
{
    uint64_t end = clock_mono_ms() + 3000;
    while (mem(a)->poll.hedge == NULL && clock_mono_ms() < end) {
        loop_run_once(loop, 5);
    }
}

static void test_gone_mid_hedge(void)
{
    /* the peer goes away with the hedge in flight: it is cancelled, A's answer comes */
    struct backend *a, *b;
    pair(&a, &b, false);
    warm(a, 12, 30);
    server_set(&sb, 1500, 200);
    server_set(&sa, 700, 200);
    int before = mem(a)->answers;
    backend_poll_now(a);
    until_hedged(a);
    tap_ok(mem(a)->poll.hedge != NULL && mem(a)->poll.hedge_peer == &mem(b)->poll,
           "a hedge to b in flight");
    backend_destroy(b);
    tap_ok(mem(a)->poll.hedge == NULL && mem(a)->poll.req != NULL,
           "b destroyed: the hedge with b's settings is cancelled; a's own request goes on");
    uint64_t end = clock_mono_ms() + 5000;
    while (mem(a)->answers == before && clock_mono_ms() < end) {
        loop_run_once(loop, 5);
    }
    tap_ok(mem(a)->answers == before + 1 && from_a(a), "A answers (%c)", mem(a)->server);
    backend_destroy(a);

    /* the same when the peer left the cluster first (a reload moves kept members) */
    pair(&a, &b, false);
    warm(a, 12, 30);
    server_set(&sb, 1500, 200);
    server_set(&sa, 700, 200);
    before = mem(a)->answers;
    backend_poll_now(a);
    until_hedged(a);
    tap_ok(mem(a)->poll.hedge_peer == &mem(b)->poll, "a hedge to b in flight, again");
    cluster_leave(b->cluster, b);
    backend_destroy(b);
    tap_ok(mem(a)->poll.hedge == NULL && mem(a)->poll.hedge_peer == NULL,
           "b out of the cluster, then destroyed: the hedge is cancelled all the same");
    end = clock_mono_ms() + 5000;
    while (mem(a)->answers == before && clock_mono_ms() < end) {
        loop_run_once(loop, 5);
    }
    tap_ok(mem(a)->answers == before + 1 && from_a(a), "A answers (%c)", mem(a)->server);
    backend_destroy(a);

    /* the primary goes away with its hedge in flight, or with its hedge timer armed */
    pair(&a, &b, false);
    warm(a, 12, 30);
    server_set(&sb, 1000, 200);
    server_set(&sa, 1000, 200);
    int all = all_answers;
    backend_poll_now(a);
    until_hedged(a);
    tap_ok(mem(a)->poll.hedge != NULL, "a hedge in flight");
    backend_destroy(a);
    for (int i = 0; i < 10; i++) {
        loop_run_once(loop, 5);
    }
    tap_ok(all_answers == all, "a destroyed mid-hedge: nothing answers (both cancelled)");
    backend_destroy(b);

    pair(&a, &b, false);
    warm(a, 12, 30);
    server_set(&sa, 1000, 200);
    all = all_answers;
    backend_poll_now(a);
    loop_run_once(loop, 0);
    tap_ok(mem(a)->poll.hedge_timer != NULL && mem(a)->poll.hedge == NULL,
           "a poll in flight with its hedge timer armed");
    backend_destroy(a);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(all_answers == all, "destroyed: the timer is cancelled, nothing answers");
    backend_destroy(b);
    for (int i = 0; i < 10; i++) {
        loop_run_once(loop, 5);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = loop_create();
    st = store_create();
    if (!server_start(&sa, 'A') || !server_start(&sb, 'B')) {
        tap_ok(false, "cannot start the servers");
        return tap_done();
    }
    test_slow_primary();
    test_peer_fails();
    test_never_early();
    test_never_post();
    test_never_without_peer();
    test_never_unreplicated();
    test_gone_mid_hedge();
    httpchild_stop(&sa.h);
    httpchild_stop(&sb.h);
    store_destroy(st);
    loop_destroy(loop);
    return tap_done();
}
