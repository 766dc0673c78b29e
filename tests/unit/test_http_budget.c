/*
 * Issue 20, the HTTP client's side: the retry budget (pollpolicy.h) that
 * http.c consults before a transport retry, and the Retry-After it reads.
 *
 * A forked child (httpchild.h) serves HTTP on a free loopback port: /503 always answers
 * 503, /ok 200, /500 500, /429 and /503ra answer with a Retry-After in
 * seconds, /429date with an HTTP date, /200ra a 200 with a Retry-After
 * (ignored), /503bad a Retry-After nobody can read; /log lists every path
 * it was asked, so the test counts what reached the server, not what the
 * client thinks it sent.
 *
 * What must hold: fresh settings retry a failing GET once (the budget's one
 * token) and then no more; successes earn a tenth of a token each, so after
 * N of them a failing GET is retried about N/10 times (up to `retries`);
 * tokens never exceed a tenth of the last minute's first attempts; a 5xx
 * earns nothing; a 429 is never retried, nor a 503 that says when to come
 * back; the Retry-After of a 503 or 429 (seconds or a date) reaches the
 * caller in ms, anything else's does not.
 */
#include "../../backends/http.h"
#include "../../backends/pollpolicy.h"
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
static struct httpchild server;

static const char DATE[] = "Wed, 21 Oct 2015 07:28:00 GMT";
static const int64_t DATE_MS = 1445412480000; /* the same instant */

/* The child's handler: every path asked but /log (httpchild's) is logged. */
static void serve(struct httpchild_req *rq, void *ud)
{
    (void)ud;
    int c = rq->fd;
    const char *path = rq->path;
    strbuf_printf(rq->log, "%s\n", path);
    char h[128];
    if (strcmp(path, "/ok") == 0) {
        httpchild_reply(c, 200, "", "fine");
    } else if (strcmp(path, "/503") == 0) {
        httpchild_reply(c, 503, "", "down");
    } else if (strcmp(path, "/500") == 0) {
        httpchild_reply(c, 500, "", "broken");
    } else if (strcmp(path, "/429") == 0) {
        httpchild_reply(c, 429, "Retry-After: 3\r\n", "slower");
    } else if (strcmp(path, "/503ra") == 0) {
        httpchild_reply(c, 503, "retry-after:  7 \r\n", "later");
    } else if (strcmp(path, "/429date") == 0) {
        snprintf(h, sizeof h, "Retry-After: %s\r\n", DATE);
        httpchild_reply(c, 429, h, "slower");
    } else if (strcmp(path, "/200ra") == 0) {
        httpchild_reply(c, 200, "Retry-After: 5\r\n", "fine");
    } else if (strcmp(path, "/503bad") == 0) {
        httpchild_reply(c, 503, "Retry-After: soon\r\n", "down");
    } else {
        httpchild_reply(c, 404, "", "no such path");
    }
}

static void settings(struct http_settings *s, int retries)
{
    char *cause = NULL;
    http_settings_init(s);
    if (http_settings_configure(s, "url", server.url, &cause) != 1 ||
        !http_settings_finish(s, 3000, &cause)) {
        tap_diag("settings: %s", cause != NULL ? cause : "?");
        free(cause);
    }
    s->retries = retries;
}

struct got {
    int calls;
    long status;
    uint64_t retry_after_ms;
    char *body;
};

static void on_got(const struct http_response *r, void *ud)
{
    struct got *g = ud;
    g->calls++;
    g->status = r->status;
    g->retry_after_ms = r->retry_after_ms;
    free(g->body);
    g->body = r->error == NULL ? xstrndup(r->body, r->len) : NULL;
}

/* One request with s, waited for (a retry may take up to 2 s). */
static struct got get(const struct http_settings *s, const char *method, const char *path)
{
    struct got g = {0};
    http_request(loop, s, method, path, NULL, NULL, 0, on_got, &g);
    uint64_t end = clock_mono_ms() + 10000;
    while (g.calls == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    return g;
}

/* How many requests for path reached the server so far (its /log). */
static int server_saw(const char *path)
{
    int count;
    free(httpchild_saw(loop, &server, path, &count));
    return count;
}

static void test_budget(void)
{
    struct http_settings s;
    settings(&s, 2);
    struct retry_budget *rb = s.budget;
    tap_ok(rb != NULL && rb->tokens == 1.0, "fresh settings hold a budget of one token");

    struct got g = get(&s, "GET", "/503");
    tap_is_int(g.status, 503, "a GET against an always-503 server fails");
    tap_is_int(server_saw("/503"), 2, "after one retry: the fresh token, retries = 2 or not");
    tap_ok(rb->retries == 1 && rb->refused == 1, "one retry allowed, the next refused");
    free(g.body);

    g = get(&s, "GET", "/503");
    tap_is_int(server_saw("/503"), 3, "the next failing GET goes out once: no token left");
    free(g.body);

    for (int i = 0; i < 10; i++) {
        g = get(&s, "GET", "/500");
        free(g.body);
    }
    tap_ok(rb->tokens < 0.05, "a 500 earns nothing (tokens %.2f)", rb->tokens);
    tap_is_int(server_saw("/500"), 10, "nor is it retried");

    /* N successes: N/10 tokens, and never above a tenth of the last minute's first attempts */
    bool capped = true;
    double worst = 0;
    for (int i = 0; i < 30; i++) {
        g = get(&s, "GET", "/ok");
        free(g.body);
        double cap = POLL_BUDGET_RATIO * retry_budget_recent(rb, clock_mono_ms());
        capped = capped && rb->tokens <= (cap > 1.0 ? cap : 1.0) + 1e-9;
        worst = rb->tokens / (cap > 1.0 ? cap : 1.0) > worst ? rb->tokens / (cap > 1.0 ? cap : 1.0)
                                                             : worst;
    }
    tap_ok(rb->tokens > 2.99 && rb->tokens < 3.01, "30 answers earn 3 tokens (%.2f)", rb->tokens);
    tap_ok(capped,
           "tokens never above 10%% of the last minute's first attempts (at most %.0f%% "
           "of the cap)",
           worst * 100);
    s.retries = 5;
    g = get(&s, "GET", "/503");
    tap_is_int(server_saw("/503"), 3 + 4, "a failing GET is then retried 3 times of 5 allowed");
    tap_ok(rb->tokens < 1.0, "which spends them (%.2f left)", rb->tokens);
    free(g.body);

    /* 200 more answers: the cap is a tenth of the minute's first attempts, about 24 */
    for (int i = 0; i < 200; i++) {
        g = get(&s, "GET", "/ok");
        free(g.body);
    }
    uint32_t recent = retry_budget_recent(rb, clock_mono_ms());
    tap_ok(rb->tokens <= POLL_BUDGET_RATIO * recent + 1e-9 && rb->tokens > 19.0,
           "after 200 more answers: %.1f tokens, the cap %.1f (%u first attempts in the last "
           "minute)",
           rb->tokens, POLL_BUDGET_RATIO * recent, recent);

    /* a POST is never retried, tokens or not */
    g = get(&s, "POST", "/503");
    tap_is_int(server_saw("/503"), 8, "a POST against 503 goes out once");
    free(g.body);
    http_settings_free(&s);
}

static void test_retry_after(void)
{
    struct http_settings s;
    settings(&s, 2);
    for (int i = 0; i < 40; i++) { /* 4 tokens: what is not retried is not for want of one */
        struct got ok = get(&s, "GET", "/ok");
        free(ok.body);
    }

    struct got g = get(&s, "GET", "/429");
    tap_is_int(g.status, 429, "429 comes back as such");
    tap_is_int(server_saw("/429"), 1, "and is never retried (it means: slower)");
    tap_is_int((long long)g.retry_after_ms, 3000, "its Retry-After: 3 is 3000 ms");
    free(g.body);

    g = get(&s, "GET", "/503ra");
    tap_is_int((long long)g.retry_after_ms, 7000, "a 503's Retry-After (blanks, any case) is read");
    tap_is_int(server_saw("/503ra"), 1, "a 503 that says when to come back is not retried");
    free(g.body);

    clock_pin_wall(DATE_MS - 30000);
    g = get(&s, "GET", "/429date");
    tap_is_int((long long)g.retry_after_ms, 30000, "an HTTP date 30 s ahead is 30000 ms");
    free(g.body);
    clock_pin_wall(DATE_MS + 1000);
    g = get(&s, "GET", "/429date");
    tap_is_int((long long)g.retry_after_ms, 0, "a date already past says nothing");
    free(g.body);
    clock_pin_wall(-1);

    g = get(&s, "GET", "/200ra");
    tap_ok(g.status == 200 && g.retry_after_ms == 0, "a 200's Retry-After is not passed on");
    free(g.body);
    double before = s.budget->tokens;
    g = get(&s, "GET", "/503bad");
    tap_ok(g.status == 503 && g.retry_after_ms == 0, "an unreadable Retry-After is none");
    tap_is_int(server_saw("/503bad"), 3, "and that 503 is retried as any other (retries = 2)");
    tap_ok(before - s.budget->tokens > 1.9, "taking two tokens");
    free(g.body);
    g = get(&s, "GET", "/503");
    tap_ok(g.status == 503 && g.retry_after_ms == 0, "a 503 without one: 0");
    free(g.body);
    http_settings_free(&s);

    struct http_settings bare = {0};
    settings(&bare, 0);
    tap_ok(bare.budget != NULL, "init allocates the budget");
    http_settings_free(&bare);
    tap_ok(bare.budget == NULL, "free releases it");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!httpchild_start(&server, serve, NULL)) {
        printf("1..0 # SKIP cannot start the child server\n");
        return 1;
    }
    loop = loop_create();
    test_budget();
    test_retry_after();
    loop_destroy(loop);
    httpchild_stop(&server);
    return tap_done();
}
