/*
 * No callback runs before the call that registered it returns (DESIGN rule
 * 2): http_request() answers every failure it can meet, even one found at
 * once, from the loop; cancelling right away means no answer at all; a
 * request made from another's callback is no exception. Then the poll helper
 * every HTTP backend shares (http_poll.h): one request in flight, begin and
 * end counted on the backend, a refresh asked for meanwhile run at the end;
 * and the action helper (http_action.h): one answer per request, dropped
 * (not answered) when the backend goes away.
 *
 * No server is needed for those: every request there fails (a closed port
 * on loopback, URLs curl refuses), which is the point.
 *
 * Issue 19 (unchanged input costs nothing) needs answers: a child process
 * serves HTTP on a free loopback port (fixed bodies, a counter, ETag and
 * Last-Modified paths that answer 304 to the right validators, a broken
 * body, a body cut once then whole, a large list) and logs the conditional
 * headers it saw, which /log answers. Through a backend's http_poll on the
 * real loop: the same bytes twice are "the same", a change is not, a GET
 * goes out conditional once validators were taken and its 304 is "the
 * same", an answer that failed to parse is not taken, the body is taken
 * without a copy and hashes as its bytes do, a 304 is not retried, a retry
 * starts the hash and the validators afresh, a parse is cancelled from its
 * element, from its done and before its first slice, and max_body's error
 * says how to raise it.
 */
#include "../../backends/backend.h"
#include "../../backends/http.h"
#include "../../backends/http_action.h"
#include "../../backends/http_poll.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "httpchild.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct loop *loop;

struct answer {
    bool returned; /* http_request() has returned */
    int calls;
    bool before_return; /* a call came while returned was still false */
    long status;
    char *error;
};

static void on_answer(const struct http_response *r, void *ud)
{
    struct answer *a = ud;
    a->calls++;
    a->before_return = a->before_return || !a->returned;
    a->status = r->status;
    free(a->error);
    a->error = r->error != NULL ? xstrdup(r->error) : NULL;
}

static void answer_reset(struct answer *a)
{
    free(a->error);
    memset(a, 0, sizeof *a);
}

/* Run the loop until a has an answer or timeout_ms passed, then a little longer. */
static void wait_answer(const struct answer *a, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
    while (a->calls == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    for (int i = 0; i < 5; i++) {
        loop_run_once(loop, 10); /* a second answer would come now */
    }
}

/* A loopback port nobody listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = 1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

/* Settings for url, finished; the url is taken as given (configure checks only the scheme). */
static void settings(struct http_settings *s, const char *url, int retries)
{
    char *cause = NULL;
    http_settings_init(s);
    if (http_settings_configure(s, "url", url, &cause) != 1 ||
        !http_settings_finish(s, 3000, &cause)) {
        tap_diag("settings %s: %s", url, cause != NULL ? cause : "?");
        free(cause);
    }
    s->retries = retries;
}

/* One request that must fail: answered once, from the loop, with an error. */
static void check_fails_later(const char *what, const char *url, const char *method,
                              const char *path, int retries)
{
    struct http_settings s;
    struct answer a = {0};
    settings(&s, url, retries);
    const char *body = strcmp(method, "GET") == 0 ? NULL : "{}";
    struct http_request *req = http_request(loop, &s, method, path, NULL, body,
                                            body != NULL ? strlen(body) : 0, on_answer, &a);
    a.returned = true;
    tap_ok(req != NULL, "%s: a handle comes back", what);
    tap_is_int(a.calls, 0, "no answer inside http_request()");
    wait_answer(&a, 5000);
    tap_ok(!a.before_return, "%s: never answered before http_request() returned", what);
    tap_is_int(a.calls, 1, "answered exactly once, on the loop");
    tap_ok(a.status == 0 && a.error != NULL && a.error[0] != '\0', "%s: as a transport error (%s)",
           what, a.error != NULL ? a.error : "none");
    answer_reset(&a);
    http_settings_free(&s);
}

static void test_failures(void)
{
    char refused[64], bad_port[64];
    snprintf(refused, sizeof refused, "http://127.0.0.1:%d", closed_port());
    snprintf(bad_port, sizeof bad_port, "http://127.0.0.1:99999");
    check_fails_later("refused connect", refused, "GET", "/", 0);
    check_fails_later("refused connect, retried twice", refused, "GET", "/", 2);
    check_fails_later("refused POST (never retried)", refused, "POST", "/x", 2);
    check_fails_later("refused DELETE", refused, "DELETE", "/x", 0);
    check_fails_later("a port out of range", bad_port, "GET", "/", 0);
    check_fails_later("a space in the host", "http://127.0.0.1 x", "GET", "/", 0);
    check_fails_later("a line break in the path", refused, "GET", "/a\r\nX-Evil: 1", 0);
    check_fails_later("an empty host", "http://", "GET", "/", 0);
    check_fails_later("an unclosed IPv6 literal", "http://[::1", "GET", "/", 0);
}

static void test_cancel(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    struct http_settings s;
    settings(&s, url, 2);
    struct answer a = {0};
    struct http_request *req = http_request(loop, &s, "GET", "/", NULL, NULL, 0, on_answer, &a);
    a.returned = true;
    http_cancel(req);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 10);
    }
    tap_is_int(a.calls, 0, "a request cancelled at once is never answered");
    http_cancel(NULL);
    tap_ok(true, "http_cancel(NULL) is a no-op");
    answer_reset(&a);
    http_settings_free(&s);
}

/* The second request, made from the first one's callback. */
struct chain {
    struct http_settings *s;
    struct answer first, second;
    struct http_request *second_req;
};

static void on_first(const struct http_response *r, void *ud)
{
    struct chain *c = ud;
    on_answer(r, &c->first);
    c->second_req = http_request(loop, c->s, "GET", "/again", NULL, NULL, 0, on_answer, &c->second);
    c->second.returned = true;
}

static void test_chained(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    struct http_settings s;
    settings(&s, url, 0);
    struct chain c = {.s = &s};
    http_request(loop, &s, "GET", "/", NULL, NULL, 0, on_first, &c);
    c.first.returned = true;
    wait_answer(&c.first, 5000);
    wait_answer(&c.second, 5000);
    tap_is_int(c.first.calls, 1, "the first request answers");
    tap_ok(c.second_req != NULL && !c.second.before_return,
           "a request made in another's callback does not answer inside its own call");
    tap_is_int(c.second.calls, 1, "and answers once, later");
    answer_reset(&c.first);
    answer_reset(&c.second);
    http_settings_free(&s);
}

/* ---- the poll helper ---- */

static int fake_answers; /* every answer, also after a fake is gone */

struct fake {
    struct http_settings http;
    struct http_poll poll;
    int answers;
    bool in_flight_at_answer; /* b->polling was still set when the answer came */
};

static void fake_on_answer(const struct http_response *r, void *ud)
{
    (void)r;
    struct backend *b = http_poll_received(ud);
    struct fake *f = b->priv;
    f->answers++;
    fake_answers++;
    f->in_flight_at_answer = b->polling && f->poll.req == NULL;
    http_poll_end(&f->poll);
}

static void *fake_create(struct backend *b)
{
    struct fake *f = xcalloc(1, sizeof *f);
    http_settings_init(&f->http);
    http_poll_init(&f->poll, b, &f->http);
    return f;
}

static bool fake_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct fake *f = b->priv;
    return http_settings_configure(&f->http, key, value, cause) == 1;
}

static bool fake_start(struct backend *b, char **cause)
{
    struct fake *f = b->priv;
    return http_settings_finish(&f->http, b->timeout_ms, cause);
}

static void fake_poll(struct backend *b)
{
    struct fake *f = b->priv;
    if (http_poll_begin(&f->poll)) {
        http_poll_send(&f->poll, "/", fake_on_answer);
    }
}

static void fake_destroy(struct backend *b)
{
    struct fake *f = b->priv;
    http_poll_finish(&f->poll);
    http_settings_free(&f->http);
    free(f);
    b->priv = NULL;
}

static const struct backend_impl fake_impl = {
    .type = "fake-http",
    .description = "a poll over HTTP that always fails",
    .kinds = 1u << MODEL_ALERTS,
    .create = fake_create,
    .configure = fake_configure,
    .start = fake_start,
    .poll = fake_poll,
    .destroy = fake_destroy,
};

static void run_until(const int *answers, int want, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
    while (*answers < want && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
}

static void test_poll_helper(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    struct store *st = store_create();
    struct backend *b = backend_create(&fake_impl, "fake", st, loop);
    char *cause = NULL;
    tap_ok(backend_configure(b, "url", url, &cause) && backend_configure(b, "retries", "0", &cause),
           "the HTTP keys go to the settings the poll uses");
    b->refresh_ms = 3600 * 1000; /* only the first poll and the ones asked for */
    tap_ok(backend_start(b, &cause), "start");
    struct fake *f = b->priv;

    loop_run_once(loop, 0); /* the first poll, from the schedule */
    tap_ok(b->polling && f->poll.req != NULL, "a poll in flight holds its one request");
    struct http_request *held = f->poll.req;
    fake_poll(b);
    tap_ok(f->poll.req == held, "a poll while one is in flight is skipped");
    tap_is_int(f->answers, 0, "no answer yet");

    run_until(&f->answers, 1, 5000);
    tap_is_int(f->answers, 1, "the request answers");
    tap_ok(f->in_flight_at_answer, "received: the handle is forgotten, the poll still counted");
    tap_ok(!b->polling && f->poll.req == NULL, "end: nothing in flight");

    /* an action's refresh during a poll waits for it, then runs */
    uint64_t polls = b->polls;
    backend_poll_now(b);
    loop_run_once(loop, 0);
    tap_ok(b->polling, "polling again");
    backend_poll_now(b);
    tap_is_int((long long)(b->polls - polls), 1, "a refresh asked for meanwhile waits");
    run_until(&f->answers, 2, 5000);
    loop_run_once(loop, 0);
    tap_is_int((long long)(b->polls - polls), 2, "and runs once the poll ends");
    run_until(&f->answers, 3, 5000);
    tap_is_int(f->answers, 3, "which answers too");

    /* destroy with a request in flight: cancelled, never answered */
    backend_poll_now(b);
    loop_run_once(loop, 0);
    tap_ok(b->polling && f->poll.req != NULL, "a last poll in flight");
    int before = fake_answers;
    backend_destroy(b);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 10);
    }
    tap_is_int(fake_answers - before, 0, "destroy cancels it: never answered");
    store_destroy(st);
}

/* ---- the action helper ---- */

struct asked {
    struct backend_request req;
    int done, dropped;
    bool ok;
    char *message;
};

static void on_req_done(struct backend_request *req, bool ok, const char *message)
{
    struct asked *a = (struct asked *)req;
    a->done++;
    a->ok = ok;
    free(a->message);
    a->message = message != NULL ? xstrdup(message) : NULL;
}

static void on_req_drop(struct backend_request *req)
{
    ((struct asked *)req)->dropped++;
}

struct test_op {
    struct http_action act; /* first */
    char *note;
};

static int ops_freed;

static void test_op_free(struct http_action *act)
{
    struct test_op *op = (struct test_op *)act;
    free(op->note);
    free(op);
    ops_freed++;
}

static void on_op_answer(const struct http_response *r, void *ud)
{
    struct test_op *op = http_action_received(ud);
    http_action_end(&op->act, r->error == NULL, r->error != NULL ? r->error : "fine");
}

static void test_action_helper(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    struct http_settings s;
    settings(&s, url, 0);
    struct store *st = store_create();
    struct backend *b = backend_create(&fake_impl, "acts", st, loop);
    struct http_actions list;
    http_actions_init(&list, test_op_free);

    struct asked one = {.req = {.done = on_req_done, .drop = on_req_drop}};
    struct test_op *op = xcalloc(1, sizeof *op);
    op->note = xstrdup("first");
    http_action_begin(&list, &op->act, b, &one.req);
    http_action_send(&op->act, &s, "POST", "/x", "application/json", "{}", on_op_answer);
    tap_ok(list.head == &op->act && op->act.http != NULL, "an action in flight is listed");
    tap_is_int(one.done, 0, "and not answered inside the send");
    uint64_t end = clock_mono_ms() + 5000;
    while (one.done == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_int(one.done, 1, "its request is answered once");
    tap_ok(!one.ok && one.message != NULL, "with the failure (%s)",
           one.message != NULL ? one.message : "none");
    tap_ok(list.head == NULL && ops_freed == 1, "it leaves the list, freed");

    struct asked two = {.req = {.done = on_req_done, .drop = on_req_drop}};
    struct asked three = {.req = {.done = on_req_done, .drop = on_req_drop}};
    struct test_op *a = xcalloc(1, sizeof *a), *c = xcalloc(1, sizeof *c);
    http_action_begin(&list, &a->act, b, &two.req);
    http_action_send(&a->act, &s, "DELETE", "/y", NULL, NULL, on_op_answer);
    http_action_begin(&list, &c->act, b, &three.req);
    http_actions_drop(&list);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(two.done == 0 && three.done == 0, "dropped actions are never answered");
    tap_ok(two.dropped == 1 && three.dropped == 1, "their requests are dropped, once each");
    tap_ok(list.head == NULL && ops_freed == 3, "and the ops freed");
    free(one.message);
    backend_destroy(b);
    store_destroy(st);
    http_settings_free(&s);
}

/* ---- issue 19: unchanged input, the body taken, the parse via the poll ---- */

static struct httpchild server;

static const char FIXED[] = "[{\"a\":1},{\"a\":2}]";
static const char BROKEN[] = "[{\"a\":1},";
static const char WHOLE[] = "[{\"whole\":true}]";
static const char LAST_MODIFIED[] = "Wed, 21 Oct 2015 07:28:00 GMT";
enum { BIG_ELEMS = 20000 };

/* The child's state: its copy of what the parent set before the fork. */
struct served {
    struct strbuf big; /* /big: BIG_ELEMS objects */
    int counter, partial;
};

/* The child's handler: every path asked but /log (httpchild's) is logged with its validators. */
static void serve(struct httpchild_req *rq, void *ud)
{
    struct served *sv = ud;
    int c = rq->fd;
    const char *path = rq->path;
    char inm[512], ims[512], body[256];
    httpchild_header(rq->raw, "If-None-Match", inm, sizeof inm);
    httpchild_header(rq->raw, "If-Modified-Since", ims, sizeof ims);
    strbuf_printf(rq->log, "%s inm=%s ims=%s\n", path, inm, ims);
    if (strcmp(path, "/fixed") == 0) {
        httpchild_reply(c, 200, "", FIXED);
    } else if (strcmp(path, "/counter") == 0) {
        snprintf(body, sizeof body, "[{\"n\":%d}]", ++sv->counter);
        httpchild_reply(c, 200, "", body);
    } else if (strcmp(path, "/etag") == 0 || strcmp(path, "/broken-etag") == 0) {
        bool broken = path[1] == 'b';
        const char *tag = broken ? "\"b1\"" : "\"v1\"";
        char h[64];
        snprintf(h, sizeof h, "ETag: %s\r\n", tag);
        if (strcmp(inm, tag) == 0) {
            httpchild_reply(c, 304, h, "");
        } else {
            httpchild_reply(c, 200, h, broken ? BROKEN : FIXED);
        }
    } else if (strcmp(path, "/lm") == 0) {
        char h[128];
        snprintf(h, sizeof h, "Last-Modified: %s\r\n", LAST_MODIFIED);
        if (strcmp(ims, LAST_MODIFIED) == 0) {
            httpchild_reply(c, 304, h, "");
        } else {
            httpchild_reply(c, 200, h, FIXED);
        }
    } else if (strcmp(path, "/broken") == 0) {
        httpchild_reply(c, 200, "", BROKEN);
    } else if (strcmp(path, "/partial") == 0) {
        if (sv->partial++ % 2 == 0) {
            /* promises 100 bytes, sends 10 and hangs up: curl retries the GET */
            const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nETag: \"bad\"\r\n"
                              "Connection: close\r\n\r\n[{\"cut\":1";
            if (write(c, cut, strlen(cut)) < 0) {
                /* the client is gone: nothing to do */
            }
        } else {
            httpchild_reply(c, 200, "ETag: \"good\"\r\n", WHOLE);
        }
    } else if (strcmp(path, "/big") == 0) {
        httpchild_reply_n(c, 200, "", sv->big.s, sv->big.n);
    } else {
        httpchild_reply(c, 404, "", "no such path");
    }
}

/* Start the server; its state is built here and inherited by the child. */
static bool start_server(void)
{
    struct served sv = {0};
    strbuf_str(&sv.big, "[");
    for (int i = 0; i < BIG_ELEMS; i++) {
        strbuf_printf(&sv.big, "%s{\"i\":%d,\"labels\":{\"alertname\":\"A%d\",\"x\":\"[\\\"}\"}}",
                      i ? "," : "", i, i % 50);
    }
    strbuf_str(&sv.big, "]");
    bool ok = httpchild_start(&server, serve, &sv);
    free(sv.big.s);
    return ok;
}
/* As http.c hashes a body: FNV-1a 64 over its 8-byte words, then its last bytes one by one. */
static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    }
    return n > 0 ? h : 0;
}

struct got {
    int calls;
    char *body;
};

static void on_got(const struct http_response *r, void *ud)
{
    struct got *g = ud;
    g->calls++;
    free(g->body);
    g->body = r->error == NULL ? xstrndup(r->body, r->len) : NULL;
}

/*
 * What the server saw for path: the number of requests in *count, and the
 * last one's conditional headers ("inm=... ims=...", caller frees).
 */
static char *server_saw(const char *path, int *count)
{
    return httpchild_saw(loop, &server, path, count);
}

static int pb_done_calls; /* every done, also after a backend is gone */

/* A backend whose poll GETs one path and reads it as a list through http_poll_parse. */
struct pb {
    struct http_settings http;
    struct http_poll poll;
    const char *path;
    /* what the test asks */
    bool take_only;      /* take the body and http_poll_took (no parse) */
    int finish_at_elem;  /* http_poll_finish in elem once this many have come */
    bool finish_at_once; /* http_poll_finish right after http_poll_parse */
    bool finish_in_done; /* http_poll_finish in done */
    /* what happened */
    int answers, sames, dones, oks, elems;
    long status;
    bool not_modified, job_after_parse;
    uint64_t hash, body_hash;
    char *etag, *last_modified, *error, *cause, *body;
    size_t body_len;
    size_t nelems;
};

static void pb_clear(struct pb *x)
{
    free(x->etag);
    free(x->last_modified);
    free(x->error);
    free(x->cause);
    free(x->body);
    x->etag = x->last_modified = x->error = x->cause = x->body = NULL;
    x->status = 0;
    x->not_modified = x->job_after_parse = false;
    x->hash = x->body_hash = 0;
    x->body_len = x->nelems = 0;
}

static bool pb_elem(void *ud, cJSON *elem, char **cause)
{
    (void)cause;
    struct backend *b = ud;
    struct pb *x = b->priv;
    x->elems += cJSON_IsObject(elem) ? 1 : 1000000; /* only objects are served */
    if (x->finish_at_elem > 0 && x->elems == x->finish_at_elem) {
        http_poll_finish(&x->poll);
        http_poll_end(&x->poll);
    }
    return true;
}

static void pb_done(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    (void)rest;
    struct backend *b = ud;
    struct pb *x = b->priv;
    x->dones++;
    pb_done_calls++;
    x->nelems = nelems;
    if (ok) {
        x->oks++;
        http_poll_parse_took(&x->poll);
    } else {
        free(x->cause);
        x->cause = xstrdup(cause);
    }
    if (x->finish_in_done) {
        http_poll_finish(&x->poll);
    }
    http_poll_end(&x->poll);
}

static void pb_answer(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct pb *x = b->priv;
    x->answers++;
    x->status = r->status;
    x->not_modified = r->not_modified;
    x->hash = r->hash;
    x->etag = r->etag != NULL ? xstrdup(r->etag) : NULL;
    x->last_modified = r->last_modified != NULL ? xstrdup(r->last_modified) : NULL;
    x->error = r->error != NULL ? xstrdup(r->error) : NULL;
    if (http_poll_same(&x->poll, r)) {
        x->sames++;
        http_poll_end(&x->poll);
        return;
    }
    if (!http_ok(r)) {
        http_poll_end(&x->poll);
        return;
    }
    if (x->take_only) {
        x->body_hash = fnv(r->body, r->len);
        x->body = http_take_body(r, &x->body_len);
        http_poll_took(&x->poll, r);
        http_poll_end(&x->poll);
        return;
    }
    http_poll_parse(&x->poll, r, NULL, pb_elem, pb_done, b);
    x->job_after_parse = x->poll.job != NULL && b->polling;
    if (x->finish_at_once) {
        http_poll_finish(&x->poll);
        http_poll_end(&x->poll);
    }
}

static void *pb_create(struct backend *b)
{
    struct pb *x = xcalloc(1, sizeof *x);
    http_settings_init(&x->http);
    http_poll_init(&x->poll, b, &x->http);
    return x;
}

static bool pb_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct pb *x = b->priv;
    return http_settings_configure(&x->http, key, value, cause) == 1;
}

static bool pb_start(struct backend *b, char **cause)
{
    struct pb *x = b->priv;
    return http_settings_finish(&x->http, b->timeout_ms, cause);
}

static void pb_poll(struct backend *b)
{
    struct pb *x = b->priv;
    if (x->path != NULL && http_poll_begin(&x->poll)) {
        http_poll_send(&x->poll, x->path, pb_answer);
    }
}

static void pb_destroy(struct backend *b)
{
    struct pb *x = b->priv;
    http_poll_finish(&x->poll);
    http_settings_free(&x->http);
    pb_clear(x);
    free(x);
    b->priv = NULL;
}

static const struct backend_impl pb_impl = {
    .type = "poll-http",
    .description = "a poll over HTTP that reads a list",
    .kinds = 1u << MODEL_ALERTS,
    .create = pb_create,
    .configure = pb_configure,
    .start = pb_start,
    .poll = pb_poll,
    .destroy = pb_destroy,
};

static struct backend *pb_backend(struct store *st, const char *name, const char *retries,
                                  const char *max_body)
{
    struct backend *b = backend_create(&pb_impl, name, st, loop);
    char *cause = NULL;
    bool ok = backend_configure(b, "url", server.url, &cause) &&
              backend_configure(b, "retries", retries, &cause) &&
              (max_body == NULL || backend_configure(b, "max_body", max_body, &cause));
    b->refresh_ms = 3600 * 1000; /* the test polls */
    ok = ok && backend_start(b, &cause);
    if (!ok) {
        tap_diag("backend %s: %s", name, cause != NULL ? cause : "?");
        free(cause);
    }
    loop_run_once(loop, 0); /* the first poll from the schedule: no path yet, nothing sent */
    return b;
}

/* One poll of path, run until it is over (the answer and any parse). */
static struct pb *poll_path(struct backend *b, const char *path)
{
    struct pb *x = b->priv;
    pb_clear(x);
    x->path = path;
    pb_poll(b);
    uint64_t end = clock_mono_ms() + 10000;
    while (b->polling && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_ok(!b->polling, "%s: the poll is over", path);
    return x;
}

static void test_unchanged(void)
{
    struct store *st = store_create();
    struct backend *b = pb_backend(st, "same", "0", NULL);
    struct pb *x = poll_path(b, "/fixed");
    tap_ok(x->status == 200 && x->sames == 0 && x->oks == 1 && x->elems == 2,
           "a first answer is parsed through the poll (%d elements)", x->elems);
    tap_ok(x->job_after_parse, "the parse keeps the poll in flight until its done");
    tap_ok(x->hash == fnv(FIXED, strlen(FIXED)), "its hash is FNV-1a of its bytes");
    x = poll_path(b, "/fixed");
    tap_ok(x->sames == 1 && x->dones == 1 && x->elems == 2,
           "the same bytes again: the same, nothing parsed");
    int n;
    char *saw = server_saw("/fixed", &n);
    tap_is_str(saw, "inm= ims=", "no validators given: no conditional GET");
    free(saw);

    x = poll_path(b, "/counter");
    x = poll_path(b, "/counter");
    tap_ok(x->sames == 1 && x->oks == 3, "changed bytes: not the same, parsed again");

    /* a failed parse is not taken: the same bytes are read (and fail) again */
    x = poll_path(b, "/broken");
    tap_ok(x->oks == 3 && x->dones == 4 && x->cause != NULL && strstr(x->cause, "invalid JSON"),
           "a broken body fails its parse (%s)", x->cause != NULL ? x->cause : "none");
    x = poll_path(b, "/broken");
    tap_ok(x->sames == 1 && x->dones == 5 && x->oks == 3,
           "its identical successor is not the same: parsed again");
    x = poll_path(b, "/broken-etag");
    x = poll_path(b, "/broken-etag");
    saw = server_saw("/broken-etag", &n);
    tap_ok(n == 2 && strcmp(saw, "inm= ims=") == 0 && x->status == 200 && x->sames == 1,
           "a failed parse's ETag is not sent back (%s)", saw);
    free(saw);
    backend_destroy(b);
    store_destroy(st);
}

static void test_validators(void)
{
    struct store *st = store_create();
    struct backend *b = pb_backend(st, "validators", "2", NULL);
    struct pb *x = poll_path(b, "/etag");
    tap_ok(x->status == 200 && x->oks == 1, "an ETag answer is parsed");
    tap_is_str(x->etag, "\"v1\"", "its ETag is kept as the server wrote it");
    x = poll_path(b, "/etag");
    int n;
    char *saw = server_saw("/etag", &n);
    tap_is_str(saw, "inm=\"v1\" ims=", "then the GET is conditional: If-None-Match sent");
    free(saw);
    tap_ok(x->status == 304 && x->not_modified && x->error == NULL, "answered 304, not modified");
    tap_ok(x->sames == 1 && x->oks == 1, "a 304 is the same: nothing parsed");
    tap_is_int(n, 2, "a 304 with retries = 2 is not retried: two polls, two requests");

    x = poll_path(b, "/lm");
    tap_is_str(x->last_modified, LAST_MODIFIED, "a Last-Modified answer: the header kept");
    x = poll_path(b, "/lm");
    saw = server_saw("/lm", &n);
    char want[128];
    snprintf(want, sizeof want, "inm= ims=%s", LAST_MODIFIED);
    tap_is_str(saw, want, "then If-Modified-Since is sent");
    free(saw);
    tap_ok(x->status == 304 && x->sames == 2, "its 304 is the same too");

    /* forget: read everything again, unconditionally */
    http_poll_forget(&x->poll);
    x = poll_path(b, "/etag");
    saw = server_saw("/etag", &n);
    tap_ok(strcmp(saw, "inm= ims=") == 0 && x->status == 200 && x->oks == 3,
           "after forget: no validators sent, parsed again (%s)", saw);
    free(saw);

    /* a retry starts the hash and the validators afresh */
    x->elems = 0;
    x = poll_path(b, "/partial");
    tap_ok(x->status == 200 && x->oks == 4 && x->elems == 1,
           "a body cut short is retried and read whole");
    tap_ok(x->hash == fnv(WHOLE, strlen(WHOLE)), "its hash is of the whole body alone");
    tap_is_str(x->etag, "\"good\"", "its ETag is the retry's, not the cut attempt's");
    backend_destroy(b);
    store_destroy(st);

    /* validators that would inject a header are not sent */
    struct http_settings s;
    settings(&s, server.url, 0);
    struct got g = {0};
    http_request_conditional(loop, &s, "/etag", "\"v1\"\r\nX-Evil: 1", "x\ny", on_got, &g);
    uint64_t end = clock_mono_ms() + 5000;
    while (g.calls == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    saw = server_saw("/etag", &n);
    tap_ok(strcmp(saw, "inm= ims=") == 0 && g.body != NULL && strcmp(g.body, FIXED) == 0,
           "validators with a line break are not sent (%s)", saw);
    free(saw);
    free(g.body);
    http_settings_free(&s);
}

static void test_take_body(void)
{
    struct store *st = store_create();
    struct backend *b = pb_backend(st, "take", "0", NULL);
    struct pb *x = b->priv;
    x->take_only = true;
    poll_path(b, "/big");
    tap_ok(x->body != NULL && x->body_len > 100000 && x->body[0] == '[' &&
               x->body[x->body_len - 1] == ']' && x->body[x->body_len] == '\0',
           "the body taken: all of it, NUL-terminated (%zu bytes)", x->body_len);
    tap_ok(x->hash == x->body_hash && fnv(x->body, x->body_len) == x->hash,
           "its hash, made as it arrived, is its bytes' FNV-1a");
    poll_path(b, "/big");
    tap_is_int(x->sames, 1, "took without a parse counts as taken");
    backend_destroy(b);
    store_destroy(st);

    struct http_response fake = {.status = 200, .body = "[1]", .len = 3};
    size_t len;
    char *copy = http_take_body(&fake, &len);
    tap_ok(copy != NULL && len == 3 && strcmp(copy, "[1]") == 0,
           "a response the client did not deliver: a copy");
    free(copy);
    fake.len = 0;
    tap_ok(http_take_body(&fake, &len) == NULL && len == 0, "no body: NULL");
}

static void test_parse_cancel(void)
{
    struct store *st = store_create();
    struct backend *b = pb_backend(st, "cancel", "0", NULL);
    struct pb *x = b->priv;
    x->finish_at_elem = 5;
    poll_path(b, "/big");
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 5);
    }
    tap_ok(x->elems == 5 && x->dones == 0 && x->poll.job == NULL,
           "finish in an element: no element nor done after it (%d elements)", x->elems);

    x->finish_at_elem = 0;
    x->finish_at_once = true;
    x->elems = 0;
    poll_path(b, "/big");
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 5);
    }
    tap_ok(x->elems == 0 && x->dones == 0, "finish before the first slice: nothing runs");

    x->finish_at_once = false;
    x->finish_in_done = true;
    poll_path(b, "/big");
    tap_ok(x->dones == 1 && x->oks == 1 && x->elems == BIG_ELEMS,
           "a large list parsed whole (%d elements), then finish in its done", x->elems);
    x->finish_in_done = false;
    x->elems = 0;
    poll_path(b, "/big");
    tap_ok(x->sames == 0 && x->oks == 2 && x->elems == BIG_ELEMS,
           "after finish the poll works again, and has forgotten what it took");

    /* destroyed with a parse in flight */
    http_poll_forget(&x->poll);
    x->path = "/big";
    pb_poll(b);
    uint64_t end = clock_mono_ms() + 10000;
    while (x->poll.job == NULL && b->polling && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    int dones = pb_done_calls;
    tap_ok(x->poll.job != NULL, "a parse in flight");
    backend_destroy(b);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 5);
    }
    tap_is_int(pb_done_calls - dones, 0,
               "destroy cancels it: no done (ASan: nothing leaks, nothing used after)");
    store_destroy(st);
}

static void test_max_body(void)
{
    struct store *st = store_create();
    struct backend *b = pb_backend(st, "capped", "2", "64K");
    int before;
    free(server_saw("/big", &before));
    struct pb *x = poll_path(b, "/big");
    tap_is_str(x->error,
               "response larger than max_body (64 KiB): raise max_body in this backend's section "
               "(e.g. max_body = 128K)",
               "a body over max_body says how to raise it");
    int n;
    char *saw = server_saw("/big", &n);
    tap_is_int(n - before, 1, "and is not retried");
    free(saw);
    backend_destroy(b);
    store_destroy(st);
}

int main(void)
{
    bool served = start_server(); /* before the loop and curl: a plain child */
    loop = loop_create();
    test_failures();
    test_cancel();
    test_chained();
    test_poll_helper();
    test_action_helper();
    if (served) {
        test_unchanged();
        test_validators();
        test_take_body();
        test_parse_cancel();
        test_max_body();
    } else {
        tap_ok(false, "start the test server");
    }
    loop_destroy(loop);
    httpchild_stop(&server);
    return tap_done();
}
