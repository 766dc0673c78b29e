/*
 * Notifications against a local webhook receiver (webhook.py): the bodies
 * Slack and PagerDuty expect, failures (missing env vars, HTTP 500, refused,
 * a receiver that never answers) and cancel. Every message that comes back is
 * checked for the secrets: the webhook path and the routing key.
 */
#include "../../common/json.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../common/whoami.h"
#include "../../engine/journal.h"
#include "../../engine/notify.h"
#include "../../common/loop.h"
#include "../unit/tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct result {
    bool done;
    int calls;
    bool ok;
    long status;
    char *message;
};

static struct loop *loop;
static char base[64];
static char log_path[256];
static pid_t server;

static const char slack_secret[] = "/services/T0SECRET/B0SECRET/xoxsecret";
static const char routing_key[] = "R0UTINGKEYsecret42";

static void on_done(bool ok, long status, const char *message, void *ud)
{
    struct result *r = ud;
    r->done = true;
    r->calls++;
    r->ok = ok;
    r->status = status;
    free(r->message);
    r->message = xstrdup(message);
}

static void reset(struct result *r)
{
    free(r->message);
    memset(r, 0, sizeof *r);
}

static void wait_done(struct result *r, int timeout_ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
    while (!r->done && clock_mono_ms() < end) {
        loop_run_once(loop, 50);
    }
}

static void spin(int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 50);
    }
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
        execlp("python3", "python3", script, "0", log_path, "120", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
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

/* A loopback port nobody listens on: bind one, close it. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* The last request the receiver logged, parsed; NULL when none. */
static cJSON *last_request(void)
{
    size_t len;
    char *dir = xstrdup(log_path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    char *text = tap_fixture(dir, slash + 1, &len);
    free(dir);
    char *end = text + len;
    while (end > text && end[-1] == '\n') {
        end--;
    }
    *end = '\0';
    char *start = strrchr(text, '\n');
    start = start != NULL ? start + 1 : text;
    cJSON *obj = cJSON_Parse(start);
    free(text);
    return obj;
}

static int count_requests(void)
{
    size_t len;
    char *dir = xstrdup(log_path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    char *text = tap_fixture(dir, slash + 1, &len);
    free(dir);
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        n += text[i] == '\n';
    }
    free(text);
    return n;
}

/* The request's body, parsed. */
static cJSON *request_body(const cJSON *req)
{
    const char *b = json_str(req, "body");
    return b != NULL ? cJSON_Parse(b) : NULL;
}

static const char *header(const cJSON *req, const char *name)
{
    const cJSON *h = json_obj(req, "headers");
    const cJSON *it;
    cJSON_ArrayForEach(it, h)
    {
        if (strcasecmp(it->string, name) == 0 && cJSON_IsString(it)) {
            return it->valuestring;
        }
    }
    return NULL;
}

static bool clean(const char *msg)
{
    return msg != NULL && strstr(msg, slack_secret) == NULL && strstr(msg, "T0SECRET") == NULL &&
           strstr(msg, "xoxsecret") == NULL && strstr(msg, routing_key) == NULL;
}

static void send_and_wait(const struct notify_request *req, struct result *r, int timeout_ms)
{
    char *cause = NULL;
    reset(r);
    struct notify *n = notify_send(loop, req, on_done, r, &cause);
    if (n == NULL) {
        tap_diag("notify_send: %s", cause);
        free(cause);
        return;
    }
    wait_done(r, timeout_ms);
}

static void test_slack(void)
{
    char *url = xasprintf("%s%s", base, slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    struct notify_request req = {.service = "slack",
                                 .message = "checkout 5xx: \"rolled back\" \xc3\xa4",
                                 .url_env = "OPSDECK_T_SLACK"};
    char *cause = NULL;
    tap_ok(notify_check(&req, &cause), "slack with its env var passes the check");
    struct result r = {0};
    send_and_wait(&req, &r, 5000);
    tap_ok(r.done && r.ok && r.status == 200, "slack: 200 is success (%s)",
           r.message ? r.message : "-");
    tap_ok(clean(r.message), "slack: the message has no webhook path");
    cJSON *got = last_request();
    tap_is_str(json_str(got, "method"), "POST", "slack: a POST");
    tap_is_str(json_str(got, "path"), slack_secret, "slack: to the webhook's path");
    tap_is_str(header(got, "Content-Type"), "application/json", "slack: JSON content type");
    cJSON *body = request_body(got);
    tap_is_str(json_str(body, "text"), req.message, "slack: {\"text\": message}");
    tap_is_int(cJSON_GetArraySize(body), 1, "slack: and nothing else");
    cJSON_Delete(body);
    cJSON_Delete(got);

    /* text from alert labels must not mention a channel or forge a link */
    req.message = "<!channel> R&D <http://evil|click>";
    send_and_wait(&req, &r, 5000);
    got = last_request();
    body = request_body(got);
    tap_is_str(json_str(body, "text"), "&lt;!channel&gt; R&amp;D &lt;http://evil|click&gt;",
               "slack: &, < and > are escaped");
    cJSON_Delete(body);
    cJSON_Delete(got);
    reset(&r);
    free(url);
}

static void test_pagerduty(void)
{
    char *url = xasprintf("%s/v2/enqueue", base);
    setenv("OPSDECK_T_PD_URL", url, 1);
    setenv("OPSDECK_T_PD_KEY", routing_key, 1);
    struct notify_request req = {.service = "pagerduty",
                                 .message = "checkout 5xx",
                                 .url_env = "OPSDECK_T_PD_URL",
                                 .routing_key_env = "OPSDECK_T_PD_KEY",
                                 .dedup_key = "run-20261123-1"};
    struct result r = {0};
    send_and_wait(&req, &r, 5000);
    tap_ok(r.ok && r.status == 202, "pagerduty trigger: 202 is success");
    tap_ok(r.message && strstr(r.message, "dedup_key run-20261123-1"),
           "pagerduty trigger: the dedup key is reported (%s)", r.message ? r.message : "-");
    tap_ok(clean(r.message), "pagerduty trigger: no routing key in the message");
    cJSON *got = last_request();
    cJSON *body = request_body(got);
    tap_is_str(json_str(got, "path"), "/v2/enqueue", "pagerduty: to the override URL");
    tap_is_str(header(got, "Content-Type"), "application/json", "pagerduty: JSON content type");
    tap_is_str(json_str(body, "routing_key"), routing_key, "pagerduty: routing_key");
    tap_is_str(json_str(body, "event_action"), "trigger", "pagerduty: event_action trigger");
    tap_is_str(json_str(body, "dedup_key"), "run-20261123-1", "pagerduty: dedup_key");
    const cJSON *p = json_obj(body, "payload");
    tap_is_str(json_str(p, "summary"), "checkout 5xx", "pagerduty: payload.summary");
    tap_is_str(json_str(p, "severity"), "error", "pagerduty: severity defaults to error");
    tap_is_str(json_str(p, "source"), whoami_host(), "pagerduty: source defaults to the host");
    cJSON_Delete(body);
    cJSON_Delete(got);

    const char *events[] = {"acknowledge", "resolve"};
    for (int i = 0; i < 2; i++) {
        req.event = events[i];
        req.severity = "critical";
        req.source = "bastion-7";
        send_and_wait(&req, &r, 5000);
        tap_ok(r.ok && r.status == 202, "pagerduty %s: accepted", events[i]);
        got = last_request();
        body = request_body(got);
        tap_is_str(json_str(body, "event_action"), events[i], "pagerduty: event_action");
        tap_is_str(json_str(body, "dedup_key"), "run-20261123-1", "pagerduty: same dedup_key");
        tap_is_str(json_str(body, "routing_key"), routing_key, "pagerduty: routing key again");
        p = json_obj(body, "payload");
        tap_is_str(json_str(p, "severity"), "critical", "pagerduty: severity as given");
        tap_is_str(json_str(p, "source"), "bastion-7", "pagerduty: source as given");
        cJSON_Delete(body);
        cJSON_Delete(got);
    }

    /* without a dedup key PagerDuty makes one up and says which */
    req.event = NULL;
    req.dedup_key = NULL;
    send_and_wait(&req, &r, 5000);
    tap_ok(r.ok && r.message && strstr(r.message, "dedup_key made-up-"),
           "pagerduty trigger without a dedup key reports the one made up (%s)",
           r.message ? r.message : "-");
    got = last_request();
    body = request_body(got);
    tap_ok(body != NULL && json_str(body, "dedup_key") == NULL, "and sends none");
    cJSON_Delete(body);
    cJSON_Delete(got);

    /* acknowledge needs to know which incident */
    req.event = "resolve";
    char *cause = NULL;
    bool refused;
    refused = !notify_check(&req, &cause);
    tap_ok(refused && cause && strstr(cause, "dedup_key"),
           "resolve without a dedup key is refused (%s)", cause ? cause : "-");
    free(cause);
    reset(&r);
    free(url);
}

static void test_missing(void)
{
    unsetenv("OPSDECK_T_NOPE");
    int before = count_requests();
    struct notify_request slack = {
        .service = "slack", .message = "hi", .url_env = "OPSDECK_T_NOPE"};
    char *cause = NULL;
    bool refused;
    refused = !notify_check(&slack, &cause);
    tap_ok(refused && cause && strstr(cause, "OPSDECK_T_NOPE") && strstr(cause, "not set"),
           "slack: a missing env var is named (%s)", cause ? cause : "-");
    free(cause);
    cause = NULL;
    struct result r = {0};
    refused = notify_send(loop, &slack, on_done, &r, &cause) == NULL;
    tap_ok(refused && cause && strstr(cause, "OPSDECK_T_NOPE"),
           "slack: notify_send refuses to start, naming it");
    free(cause);
    cause = NULL;

    struct notify_request pd = {.service = "pagerduty",
                                .message = "x",
                                .routing_key_env = "OPSDECK_T_NOPE",
                                .dedup_key = "d"};
    refused = notify_send(loop, &pd, on_done, &r, &cause) == NULL;
    tap_ok(refused && cause && strstr(cause, "OPSDECK_T_NOPE"),
           "pagerduty: a missing routing key env var is named (%s)", cause ? cause : "-");
    free(cause);
    cause = NULL;

    /* a value that is no URL: the cause names the variable, never quotes it */
    setenv("OPSDECK_T_BADURL", "hooks.example/services/T0SECRET/B0SECRET/xoxsecret", 1);
    slack.url_env = "OPSDECK_T_BADURL";
    refused = !notify_check(&slack, &cause);
    tap_ok(refused && cause && strstr(cause, "OPSDECK_T_BADURL") && clean(cause),
           "a value that is not a URL is refused without quoting it (%s)", cause ? cause : "-");
    free(cause);
    cause = NULL;

    struct notify_request bad = {.service = "email", .message = "x"};
    refused = !notify_check(&bad, &cause);
    tap_ok(refused && cause && strstr(cause, "email"), "an unknown service is refused (%s)",
           cause ? cause : "-");
    free(cause);
    cause = NULL;
    pd.routing_key_env = "OPSDECK_T_PD_KEY";
    pd.event = "snooze";
    refused = !notify_check(&pd, &cause);
    tap_ok(refused && cause && strstr(cause, "snooze"), "an unknown event is refused");
    free(cause);
    cause = NULL;
    pd.event = NULL;
    pd.severity = "meh";
    refused = !notify_check(&pd, &cause);
    tap_ok(refused && cause && strstr(cause, "meh"), "an unknown severity is refused");
    free(cause);
    spin(100);
    tap_ok(!r.done, "no callback for a send that never started");
    tap_is_int(count_requests(), before, "and nothing reached the receiver");
}

static void test_failures(void)
{
    struct result r = {0};
    /* the receiver echoes path and body in its error: the secrets must be scrubbed */
    char *url = xasprintf("%s/status/500%s", base, slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    struct notify_request slack = {
        .service = "slack", .message = "hi", .url_env = "OPSDECK_T_SLACK"};
    send_and_wait(&slack, &r, 5000);
    tap_ok(r.done && !r.ok && r.status == 500, "slack: HTTP 500 is a failure");
    tap_ok(r.message && strstr(r.message, "HTTP 500") && clean(r.message) &&
               strstr(r.message, "/status/500") == NULL,
           "slack: the message says 500 and not the URL path (%s)", r.message ? r.message : "-");
    free(url);

    url = xasprintf("%s/status/500/v2/enqueue", base);
    setenv("OPSDECK_T_PD_URL", url, 1);
    struct notify_request pd = {.service = "pagerduty",
                                .message = "x",
                                .url_env = "OPSDECK_T_PD_URL",
                                .routing_key_env = "OPSDECK_T_PD_KEY",
                                .dedup_key = "d"};
    send_and_wait(&pd, &r, 5000);
    tap_ok(r.done && !r.ok && r.status == 500, "pagerduty: HTTP 500 is a failure");
    tap_ok(r.message && strstr(r.message, "HTTP 500") && clean(r.message),
           "pagerduty: the message has no routing key (%s)", r.message ? r.message : "-");
    free(url);

    url = xasprintf("http://127.0.0.1:%d%s", closed_port(), slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    uint64_t t0 = clock_mono_ms();
    send_and_wait(&slack, &r, 5000);
    tap_ok(r.done && !r.ok && r.status == 0 && clean(r.message),
           "connection refused is a failure without the path (%s)", r.message ? r.message : "-");
    tap_ok(clock_mono_ms() - t0 < 2000, "and comes back at once");
    free(url);

    url = xasprintf("%s/hang%s", base, slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    slack.timeout_ms = 1000;
    t0 = clock_mono_ms();
    send_and_wait(&slack, &r, 5000);
    uint64_t took = clock_mono_ms() - t0;
    tap_ok(r.done && !r.ok && r.status == 0 && r.message && strstr(r.message, "timed out") &&
               clean(r.message),
           "a receiver that never answers times out (%s)", r.message ? r.message : "-");
    tap_ok(took >= 900 && took < 3000, "at the timeout (%llu ms)", (unsigned long long)took);
    free(url);
    reset(&r);
}

static void test_cancel(void)
{
    char *url = xasprintf("%s/hang%s", base, slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    struct notify_request slack = {
        .service = "slack", .message = "hi", .url_env = "OPSDECK_T_SLACK", .timeout_ms = 300};
    struct result r = {0};
    char *cause = NULL;
    struct notify *n = notify_send(loop, &slack, on_done, &r, &cause);
    tap_ok(n != NULL, "a send to a hanging receiver starts");
    spin(100);
    notify_cancel(n);
    spin(700);
    tap_ok(!r.done, "cancelled before its timeout: no callback");
    free(url);

    url = xasprintf("%s%s", base, slack_secret);
    setenv("OPSDECK_T_SLACK", url, 1);
    n = notify_send(loop, &slack, on_done, &r, &cause);
    notify_cancel(n);
    spin(300);
    tap_ok(!r.done, "cancelled at once: no callback either");
    notify_cancel(NULL);

    send_and_wait(&slack, &r, 5000);
    spin(200);
    tap_is_int(r.calls, 1, "a send that completes calls back exactly once");
    reset(&r);
    free(url);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/opsdeck-notify-XXXXXX";
    if (argc < 2 || mkdtemp(dir) == NULL) {
        printf("not ok 1 - usage: test_notify webhook.py\n1..1\n");
        return 1;
    }
    snprintf(log_path, sizeof log_path, "%s/requests.jsonl", dir);
    if (!start_server(argv[1])) {
        printf("not ok 1 - cannot start the webhook receiver\n1..1\n");
        return 1;
    }
    loop = loop_create();
    test_slack();
    test_pagerduty();
    test_missing();
    test_failures();
    test_cancel();
    loop_destroy(loop);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    unlink(log_path);
    rmdir(dir);
    return tap_done();
}
