/*
 * The HTTP client against a misbehaving server on loopback (faultserver.py):
 * refused connections, a server that never answers, a trickle, 401/500,
 * garbage, truncated and 100 MB bodies, flaky 503s and retries, auth, and one
 * backend hanging while another answers. Every failure must come back as a
 * clear error on the loop, never as a hang or a crash.
 */
#include "../../backends/http.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../common/loop.h"
#include "../unit/tap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct result {
    bool done;
    long status;
    char *body;
    char *error;
    double elapsed_ms;
    uint64_t at_ms;
};

static struct loop *loop;
static char base[64];
static pid_t server;

static void on_done(const struct http_response *r, void *ud)
{
    struct result *res = ud;
    res->done = true;
    res->status = r->status;
    res->body = xstrndup(r->body, r->len);
    res->error = r->error ? xstrdup(r->error) : NULL;
    res->elapsed_ms = r->elapsed_ms;
    res->at_ms = clock_mono_ms();
}

static void reset(struct result *r)
{
    free(r->body);
    free(r->error);
    memset(r, 0, sizeof *r);
}

static void wait_done(struct result *r, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
    while (!r->done && clock_mono_ms() < end) {
        loop_run_once(loop, 50);
    }
}

static void settings(struct http_settings *s, const char *url, int timeout_ms, int retries)
{
    char *cause = NULL;
    http_settings_init(s);
    http_settings_configure(s, "url", url, &cause);
    s->retries = retries;
    if (!http_settings_finish(s, timeout_ms, &cause)) {
        tap_diag("settings: %s", cause);
        free(cause);
    }
}

static void get(const struct http_settings *s, const char *path, struct result *r)
{
    reset(r);
    http_request(loop, s, "GET", path, NULL, NULL, 0, on_done, r);
}

static bool start_server(const char *script)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return false;
    }
    server = fork();
    if (server == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execlp("python3", "python3", script, "120", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* the port may arrive in pieces: read up to the newline */
    char port[16] = "";
    size_t got = 0;
    while (got + 1 < sizeof port && strchr(port, '\n') == NULL) {
        ssize_t n = read(fds[0], port + got, sizeof port - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        port[got] = '\0';
    }
    close(fds[0]);
    if (strchr(port, '\n') == NULL) {
        return false;
    }
    str_trim(port);
    snprintf(base, sizeof base, "http://127.0.0.1:%s", port);
    return true;
}

static void test_basics(void)
{
    struct http_settings s;
    struct result r = {0};
    settings(&s, base, 5000, 0);
    get(&s, "/ok", &r);
    wait_done(&r, 5000);
    tap_ok(r.done && r.status == 200 && r.error == NULL, "GET /ok answers 200");
    tap_is_str(r.body, "{\"ok\": true}", "with its body");

    get(&s, "/status/401", &r);
    wait_done(&r, 5000);
    tap_is_int(r.status, 401, "401 comes back as a status, not a transport error");
    struct http_response resp = {.status = 401, .body = r.body, .len = strlen(r.body)};
    char *d = http_describe_failure(&resp);
    tap_is_str(d, "HTTP 401 Unauthorized: something went wrong", "and is described plainly");
    free(d);
    const char *hostile = "\r\n\x1b]52;c;QQ==\x07 \xc2\x9b"
                          "31m \xe2\x80\xae evil\nsecond line";
    resp = (struct http_response){.status = 500, .body = hostile, .len = strlen(hostile)};
    d = http_describe_failure(&resp);
    tap_is_str(d, "HTTP 500 Internal Server Error: ^[]52;c;QQ==^G <U+009B>31m <U+202E> evil",
               "a hostile error body: its first line, controls shown, not obeyed");
    free(d);
    get(&s, "/status/500", &r);
    wait_done(&r, 5000);
    tap_is_int(r.status, 500, "500 comes back as a status");
    get(&s, "/garbage", &r);
    wait_done(&r, 5000);
    tap_ok(r.status == 200 && r.error == NULL, "garbage is delivered for the parser to judge");
    get(&s, "/truncated", &r);
    wait_done(&r, 5000);
    tap_ok(r.done && r.error != NULL, "a truncated body is an error (%s)", r.error ? r.error : "-");
    reset(&r);
    http_settings_free(&s);
}

static void test_timeouts(void)
{
    struct http_settings s;
    struct result r = {0};
    settings(&s, base, 1000, 0);
    uint64_t t0 = clock_mono_ms();
    get(&s, "/hang", &r);
    wait_done(&r, 5000);
    uint64_t took = clock_mono_ms() - t0;
    tap_is_str(r.error, "timed out after 1000 ms", "a server that never answers times out");
    tap_ok(took >= 900 && took < 3000, "at the timeout (%llu ms)", (unsigned long long)took);
    t0 = clock_mono_ms();
    get(&s, "/trickle", &r);
    wait_done(&r, 5000);
    tap_is_str(r.error, "timed out after 1000 ms", "a trickle is cut at the total timeout");
    reset(&r);
    http_settings_free(&s);

    /* a port nothing listens on: bind one, close it */
    settings(&s, "http://127.0.0.1:9", 2000, 0);
    t0 = clock_mono_ms();
    get(&s, "/ok", &r);
    wait_done(&r, 5000);
    tap_ok(r.done && r.status == 0 && r.error != NULL, "refused connection is an error (%s)",
           r.error ? r.error : "-");
    tap_ok(clock_mono_ms() - t0 < 1000, "and comes back at once");
    reset(&r);
    http_settings_free(&s);
}

static void test_huge(void)
{
    struct http_settings s;
    struct result r = {0};
    settings(&s, base, 10000, 0);
    s.max_body = 1u << 20;
    const char *paths[] = {"/huge", "/huge-chunked"};
    for (int i = 0; i < 2; i++) {
        uint64_t t0 = clock_mono_ms();
        get(&s, paths[i], &r);
        wait_done(&r, 10000);
        tap_is_str(r.error,
                   "response larger than max_body (1 MiB): raise max_body in this backend's "
                   "section (e.g. max_body = 2M)",
                   i ? "a 100 MB chunked body is cut at max_body" : "a 100 MB body is refused");
        tap_ok(clock_mono_ms() - t0 < 3000, "without downloading it (%llu ms)",
               (unsigned long long)(clock_mono_ms() - t0));
    }
    reset(&r);
    http_settings_free(&s);
}

static void test_retries(void)
{
    struct http_settings s;
    struct result r = {0};
    settings(&s, base, 3000, 2);
    /* issue 20: fresh settings hold one retry token; twenty answers earn two */
    get(&s, "/flaky/a", &r);
    wait_done(&r, 10000);
    tap_is_int(r.status, 503, "fresh settings: a GET that meets 503 twice is tried once more");
    get(&s, "/count/a", &r);
    wait_done(&r, 5000);
    tap_is_str(r.body, "2", "after two requests: the budget's one token is spent");
    for (int i = 0; i < 20; i++) {
        get(&s, "/ok", &r);
        wait_done(&r, 5000);
    }
    get(&s, "/flaky/c", &r);
    wait_done(&r, 10000);
    tap_is_int(r.status, 200, "after 20 answers, a GET that meets 503 twice succeeds");
    get(&s, "/count/c", &r);
    wait_done(&r, 5000);
    tap_is_str(r.body, "3", "on the third try");
    reset(&r);
    http_request(loop, &s, "POST", "/flaky/b", NULL, "{}", 2, on_done, &r);
    wait_done(&r, 5000);
    tap_is_int(r.status, 503, "a POST is never retried");
    get(&s, "/count/b", &r);
    wait_done(&r, 5000);
    tap_is_str(r.body, "1", "it was sent once");
    reset(&r);
    http_settings_free(&s);
}

static void test_isolation(void)
{
    struct http_settings slow, fast;
    struct result hang = {0}, ok = {0};
    settings(&slow, base, 4000, 0);
    settings(&fast, base, 4000, 0);
    uint64_t t0 = clock_mono_ms();
    get(&slow, "/hang", &hang);
    get(&fast, "/ok", &ok);
    wait_done(&ok, 4000);
    tap_ok(ok.done && ok.status == 200 && !hang.done, "a hung backend does not hold up another");
    tap_ok(ok.at_ms - t0 < 500, "the other answers in %llu ms",
           (unsigned long long)(ok.at_ms - t0));

    /* cancel: the callback never runs */
    struct result cancelled = {0};
    struct http_request *req =
        http_request(loop, &slow, "GET", "/hang", NULL, NULL, 0, on_done, &cancelled);
    http_cancel(req);
    uint64_t end = clock_mono_ms() + 300;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 50);
    }
    tap_ok(!cancelled.done, "a cancelled request never calls back");
    wait_done(&hang, 6000);
    tap_ok(hang.done && hang.error != NULL, "the hung one still ends in its own timeout");
    reset(&hang);
    reset(&ok);
    http_settings_free(&slow);
    http_settings_free(&fast);
}

static void test_methods(void)
{
    struct http_settings s;
    struct result r = {0};
    settings(&s, base, 3000, 0);
    http_request(loop, &s, "POST", "/echo", "application/json", "{\"a\":1}", 7, on_done, &r);
    wait_done(&r, 5000);
    tap_ok(r.status == 200 && strstr(r.body, "\"method\": \"POST\"") &&
               strstr(r.body, "\"content_type\": \"application/json\"") &&
               strstr(r.body, "\"body\": \"{\\\"a\\\":1}\""),
           "POST sends the body and content type");
    reset(&r);
    http_request(loop, &s, "DELETE", "/echo", NULL, NULL, 0, on_done, &r);
    wait_done(&r, 5000);
    tap_ok(r.status == 200 && strstr(r.body, "\"method\": \"DELETE\""), "DELETE is sent as such");
    reset(&r);
    http_settings_free(&s);
}

static void test_auth(void)
{
    char *cause = NULL;
    struct http_settings s;
    struct result r = {0};
    http_settings_init(&s);
    http_settings_configure(&s, "url", base, &cause);
    http_settings_configure(&s, "auth", "basic", &cause);
    http_settings_configure(&s, "user", "alice", &cause);
    http_settings_configure(&s, "password_env", "OPSDECK_TEST_PASSWORD", &cause);
    setenv("OPSDECK_TEST_PASSWORD", "s3cret", 1);
    tap_ok(http_settings_finish(&s, 3000, &cause), "basic auth from an env var");
    get(&s, "/auth", &r);
    wait_done(&r, 5000);
    tap_ok(r.body && strstr(r.body, "Basic YWxpY2U6czNjcmV0"), "sends alice:s3cret");
    http_settings_free(&s);

    char dir[] = "/tmp/opsdeck-http-XXXXXX";
    mkdtemp(dir);
    char *file = xasprintf("%s/token", dir);
    FILE *f = fopen(file, "w");
    fputs("tok-123\n", f);
    fclose(f);
    chmod(file, 0600);
    http_settings_init(&s);
    http_settings_configure(&s, "url", base, &cause);
    http_settings_configure(&s, "auth", "bearer", &cause);
    http_settings_configure(&s, "token_file", file, &cause);
    tap_ok(http_settings_finish(&s, 3000, &cause), "bearer token from a 0600 file");
    get(&s, "/auth", &r);
    wait_done(&r, 5000);
    tap_ok(r.body && strstr(r.body, "Bearer tok-123"), "sends the token without its newline");
    http_settings_free(&s);

    chmod(file, 0644);
    http_settings_init(&s);
    http_settings_configure(&s, "url", base, &cause);
    http_settings_configure(&s, "auth", "bearer", &cause);
    http_settings_configure(&s, "token_file", file, &cause);
    tap_ok(!http_settings_finish(&s, 3000, &cause) && strstr(cause, "chmod 600"),
           "a world-readable secret file is refused");
    free(cause);
    cause = NULL;
    http_settings_free(&s);
    unlink(file);
    rmdir(dir);
    free(file);
    reset(&r);
}

static void test_config_errors(void)
{
    struct http_settings s;
    char *cause = NULL;
    http_settings_init(&s);
    tap_is_int(http_settings_configure(&s, "url", "ftp://x", &cause), -1, "ftp url refused");
    free(cause);
    cause = NULL;
    tap_is_int(http_settings_configure(&s, "max_body", "lots", &cause), -1, "bad max_body");
    free(cause);
    cause = NULL;
    tap_is_int(http_settings_configure(&s, "retries", "9", &cause), -1, "retries 9 refused");
    free(cause);
    cause = NULL;
    tap_is_int(http_settings_configure(&s, "colour", "red", &cause), 0,
               "unknown keys are not ours");
    tap_ok(!http_settings_finish(&s, 1000, &cause) && strcmp(cause, "url is required") == 0,
           "url is required");
    free(cause);
    cause = NULL;
    http_settings_configure(&s, "url", "http://x/", &cause);
    tap_is_str(s.url, "http://x", "trailing slashes dropped");
    http_settings_configure(&s, "auth", "bearer", &cause);
    tap_ok(!http_settings_finish(&s, 1000, &cause) && strstr(cause, "token_file"),
           "auth without a secret refused");
    free(cause);
    cause = NULL;
    http_settings_configure(&s, "token_env", "OPSDECK_NO_SUCH_VAR", &cause);
    tap_ok(!http_settings_finish(&s, 1000, &cause) && strstr(cause, "OPSDECK_NO_SUCH_VAR"),
           "a missing env var is named");
    free(cause);
    http_settings_free(&s);
    char *e = http_escape("orders.created/dlq ä");
    tap_is_str(e, "orders.created%2Fdlq%20%C3%A4", "escape");
    free(e);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !start_server(argv[1])) {
        printf("1..0 # SKIP cannot start the fault server\n");
        return 1;
    }
    loop = loop_create();
    test_config_errors();
    test_basics();
    test_timeouts();
    test_huge();
    test_retries();
    test_isolation();
    test_methods();
    test_auth();
    loop_destroy(loop);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    return tap_done();
}
