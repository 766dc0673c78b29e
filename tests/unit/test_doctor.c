/*
 * backends/doctor.c, the backend's side of opsdeck doctor: lines kept in
 * order, doctor_end exactly once, cancel hooks run on cancel and only then,
 * nothing said after the end, HTTP through doctor_http cancelled for real on
 * the loop (its callback never runs), and doctor_http_answered's reading of
 * an answer (transport error, 401/403 with and without credentials, other
 * failures, 2xx with and without authentication).
 */
#include "../../backends/backend.h"
#include "../../backends/doctor.h"
#include "../../backends/http.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void plain_poll(struct backend *b)
{
    (void)b;
}

static const struct backend_impl plain_impl = {
    .type = "plain",
    .kinds = 1u << MODEL_POOLS,
    .poll = plain_poll,
};

/* ---- a type whose probe says two lines and ends at once, then tries to say more ---- */

static void quick_doctor(struct backend *b, struct doctor *d)
{
    tap_ok(doctor_backend(d) == b, "doctor_backend is the backend probed");
    doctor_say(d, DOCTOR_OK, "version %d.%d", 1, 2);
    doctor_say(d, DOCTOR_WARN, "a warning");
    doctor_end(d);
    doctor_say(d, DOCTOR_FAIL, "said after the end"); /* ignored */
    doctor_end(d);                                    /* a second end: ignored */
}

static const struct backend_impl quick_impl = {
    .type = "quick",
    .kinds = 1u << MODEL_POOLS,
    .poll = plain_poll,
    .doctor = quick_doctor,
};

/* ---- a type whose probe waits on work of its own, with a cancel hook ---- */

static int hook_runs;

static void on_cancel_hook(void *ud)
{
    int *runs = ud;
    (*runs)++;
}

static void slow_doctor(struct backend *b, struct doctor *d)
{
    (void)b;
    doctor_say(d, DOCTOR_INFO, "started");
    doctor_on_cancel(d, on_cancel_hook, &hook_runs);
}

static const struct backend_impl slow_impl = {
    .type = "slow",
    .kinds = 1u << MODEL_POOLS,
    .poll = plain_poll,
    .doctor = slow_doctor,
};

static int ended_calls;

static void on_ended(struct doctor *d, void *ud)
{
    (void)d;
    (void)ud;
    ended_calls++;
}

static void test_lifecycle(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&plain_impl, "p", st, NULL);
    ended_calls = 0;
    struct doctor *d = doctor_create(b, on_ended, NULL);
    doctor_start(d);
    size_t n = 99;
    doctor_lines(d, &n);
    tap_ok(doctor_ended(d) && ended_calls == 1 && n == 0,
           "a type without a probe: ended at once, no line, ended called once");
    doctor_free(d);
    backend_destroy(b);

    b = backend_create(&quick_impl, "q", st, NULL);
    ended_calls = 0;
    d = doctor_create(b, on_ended, NULL);
    doctor_start(d);
    const struct doctor_line *lines = doctor_lines(d, &n);
    tap_is_int((long long)n, 2, "a probe's lines are kept, none after its end");
    tap_ok(n == 2 && lines[0].level == DOCTOR_OK && strcmp(lines[0].text, "version 1.2") == 0 &&
               lines[1].level == DOCTOR_WARN,
           "in order, formatted, with their levels");
    tap_is_int(ended_calls, 1, "a second doctor_end calls ended no more");
    doctor_free(d);
    backend_destroy(b);

    b = backend_create(&slow_impl, "s", st, NULL);
    ended_calls = 0;
    hook_runs = 0;
    d = doctor_create(b, on_ended, NULL);
    doctor_start(d);
    tap_ok(!doctor_ended(d) && hook_runs == 0, "a probe in flight: not ended, hook not run");
    doctor_cancel(d);
    tap_is_int(hook_runs, 1, "doctor_cancel runs the cancel hook");
    doctor_say(d, DOCTOR_FAIL, "late");
    doctor_end(d);
    doctor_lines(d, &n);
    tap_ok(n == 1 && ended_calls == 0 && !doctor_ended(d),
           "after a cancel: nothing said, ended never called (the driver says the timeout)");
    doctor_free(d);
    tap_is_int(hook_runs, 1, "doctor_free after a cancel runs no hook again");

    /* ended normally: its hooks are dropped, never run */
    b->impl = &slow_impl;
    hook_runs = 0;
    d = doctor_create(b, on_ended, NULL);
    doctor_start(d);
    doctor_end(d);
    doctor_free(d);
    tap_is_int(hook_runs, 0, "a probe that ended: its cancel hooks never run");
    backend_destroy(b);
    store_destroy(st);
}

/* ---- doctor_http on a real loop ---- */

struct http_seen {
    int calls;
    long status;
    bool error;
};

static void on_http_seen(struct doctor *d, const struct http_response *r, void *ud)
{
    struct http_seen *s = ud;
    (void)d;
    s->calls++;
    s->status = r->status;
    s->error = r->error != NULL;
}

static int listener(int *port, bool listen_too)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0 || (listen_too && listen(fd, 8) != 0)) {
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static void run_for(struct loop *loop, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
}

static void test_http(void)
{
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend *b = backend_create(&slow_impl, "h", st, loop);
    int port;
    int hang =
        listener(&port, true); /* listens, never accepts: the kernel queues, nobody answers */
    if (hang < 0) {
        tap_ok(false, "a loopback listener");
        return;
    }
    struct http_settings s;
    http_settings_init(&s);
    char *url = xasprintf("http://127.0.0.1:%d", port);
    char *cause = NULL;
    http_settings_configure(&s, "url", url, &cause);
    http_settings_configure(&s, "retries", "0", &cause);
    http_settings_finish(&s, 5000, &cause);

    struct http_seen seen = {0};
    hook_runs = 0;
    struct doctor *d = doctor_create(b, NULL, NULL);
    doctor_start(d);
    doctor_http(d, &s, "GET", "/api/v2/status", NULL, NULL, on_http_seen, &seen);
    run_for(loop, 200);
    tap_is_int(seen.calls, 0, "doctor_http to a server that never answers: no callback yet");
    uint64_t t0 = clock_mono_ms();
    doctor_cancel(d);
    run_for(loop, 300);
    tap_ok(seen.calls == 0 && hook_runs == 1,
           "cancelled: the request's callback never runs, the hook ran");
    tap_ok(clock_mono_ms() - t0 < 1000, "the cancel is at once");
    doctor_free(d);
    close(hang);

    /* a refused port: the callback runs with the transport error */
    int refused_fd = listener(&port, false); /* bound, not listening: connect is refused */
    free(url);
    url = xasprintf("http://127.0.0.1:%d", port);
    http_settings_configure(&s, "url", url, &cause);
    struct http_seen seen2 = {0};
    d = doctor_create(b, NULL, NULL);
    doctor_http(d, &s, "GET", "/x", NULL, NULL, on_http_seen, &seen2);
    uint64_t end = clock_mono_ms() + 3000;
    while (seen2.calls == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 50);
    }
    tap_ok(seen2.calls == 1 && seen2.error && seen2.status == 0,
           "a refused port: the callback runs once, with the transport error");
    doctor_free(d);
    close(refused_fd);
    free(url);
    free(cause);
    http_settings_free(&s);
    backend_destroy(b);
    store_destroy(st);
    loop_destroy(loop);
}

/* ---- doctor_http_answered ---- */

/* The one line doctor_http_answered says for r under s, and what it returns. */
static char *answered_after(struct http_settings *s, long status, const char *error, bool *ret,
                            enum doctor_level *level, enum backend_health health)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&slow_impl, "a", st, NULL);
    b->health = health;
    struct doctor *d = doctor_create(b, NULL, NULL);
    struct http_response r = {.status = status, .error = error, .body = "", .len = 0};
    *ret = doctor_http_answered(d, s, "GET /api/v2/status", &r);
    size_t n;
    const struct doctor_line *lines = doctor_lines(d, &n);
    char *text = n == 1 ? xstrdup(lines[0].text) : xasprintf("%zu lines", n);
    *level = n == 1 ? lines[0].level : DOCTOR_INFO;
    doctor_free(d);
    backend_destroy(b);
    store_destroy(st);
    return text;
}

static char *answered(struct http_settings *s, long status, const char *error, bool *ret,
                      enum doctor_level *level)
{
    return answered_after(s, status, error, ret, level, BACKEND_STARTING);
}

static void test_answered(void)
{
    struct http_settings none, basic, bearer;
    http_settings_init(&none);
    http_settings_init(&basic);
    http_settings_init(&bearer);
    basic.auth = HTTP_AUTH_BASIC;
    basic.user = xstrdup("ops");
    basic.secret = xstrdup("s3cret");
    bearer.auth = HTTP_AUTH_BEARER;
    bearer.secret = xstrdup("tok3n");
    bool ret;
    enum doctor_level level;

    char *t = answered(&none, 0, "connection refused", &ret, &level);
    tap_ok(!ret && level == DOCTOR_FAIL, "a transport error: FAIL, false");
    tap_is_str(t, "GET /api/v2/status: connection refused", "... the error said");
    free(t);
    t = answered_after(&none, 0, "connection refused", &ret, &level, BACKEND_ERROR);
    tap_ok(!ret, "a transport error after the first poll failed: false");
    tap_is_str(t, "0 lines", "... and nothing repeated (the poll's line said it)");
    free(t);

    t = answered(&none, 401, NULL, &ret, &level);
    tap_ok(!ret && level == DOCTOR_FAIL &&
               str_has_prefix(t, "authentication failed: HTTP 401 on "
                                 "GET /api/v2/status (no credentials "
                                 "configured"),
           "401 without credentials: authentication failed, none configured");
    free(t);

    t = answered(&basic, 403, NULL, &ret, &level);
    tap_is_str(t, "authentication failed: HTTP 403 on GET /api/v2/status (basic, user ops)",
               "403 with basic: authentication failed, how it was tried");
    tap_ok(strstr(t, "s3cret") == NULL, "... the password never said");
    free(t);

    t = answered(&none, 500, NULL, &ret, &level);
    tap_ok(!ret && level == DOCTOR_FAIL && str_has_prefix(t, "GET /api/v2/status: HTTP 500"),
           "500: FAIL with the status");
    free(t);

    t = answered(&none, 200, NULL, &ret, &level);
    tap_ok(ret && level == DOCTOR_INFO && strstr(t, "no authentication asked") != NULL,
           "200 without credentials: no authentication asked (info), true");
    free(t);

    t = answered(&bearer, 200, NULL, &ret, &level);
    tap_ok(ret && level == DOCTOR_OK &&
               strcmp(t, "authentication: the credentials sent were accepted (bearer token)") == 0,
           "200 with a bearer token: accepted (ok)");
    tap_ok(strstr(t, "tok3n") == NULL, "... the token never said");
    free(t);

    http_settings_free(&none);
    http_settings_free(&basic);
    http_settings_free(&bearer);
}

static void test_actions_wanted(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&slow_impl, "w", st, NULL);
    struct doctor *d = doctor_create(b, NULL, NULL);
    tap_ok(doctor_actions_wanted(d), "actions on by default: wanted");
    b->context_read_only = true;
    tap_ok(!doctor_actions_wanted(d), "a read-only context: not wanted");
    b->context_read_only = false;
    b->actions_enabled = false;
    tap_ok(!doctor_actions_wanted(d), "actions = off: not wanted");
    doctor_free(d);
    backend_destroy(b);
    store_destroy(st);
}

int main(void)
{
    test_lifecycle();
    test_http();
    test_answered();
    test_actions_wanted();
    return tap_done();
}
