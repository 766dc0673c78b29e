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
 * No server is needed: every request here fails (a closed port on loopback,
 * URLs curl refuses), which is the point.
 */
#include "../../backends/backend.h"
#include "../../backends/http.h"
#include "../../backends/http_action.h"
#include "../../backends/http_poll.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
    backend_refresh_soon(b);
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

int main(void)
{
    loop = loop_create();
    test_failures();
    test_cancel();
    test_chained();
    test_poll_helper();
    test_action_helper();
    loop_destroy(loop);
    return tap_done();
}
