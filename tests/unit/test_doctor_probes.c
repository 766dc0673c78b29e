/*
 * The doctor probes of rabbitmq, kubernetes and nats (backends/doctor.h)
 * through the real driver functions (doctor_create, doctor_start,
 * doctor_lines, doctor_cancel) on a real loop, against a canned HTTP server
 * in a child process: the answers real servers cannot easily be made to give
 * (an older RabbitMQ's tags as a string, an API server without the
 * authorization API, an evaluationError, a /varz without JetStream, escapes
 * in a version) and a cancel while requests are in flight (no callback
 * after, nothing leaked: run under the sanitizer build's LSan).
 */
#include "../../backends/backend.h"
#include "../../backends/doctor.h"
#include "../../backends/kubernetes.h"
#include "../../backends/nats.h"
#include "../../backends/rabbitmq.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "httpchild.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the canned server ---- */

struct route {
    const char *method;
    const char *path; /* the request's path, exactly (query included) */
    int status;       /* 0: never answer */
    const char *body;
};

/* A connection's child (httpchild_start_each): answer from the routes in ud. */
static void serve_one(struct httpchild_req *rq, void *ud)
{
    const struct route *routes = ud;
    int status = 404;
    const char *body = "{\"error\":\"Object Not Found\",\"reason\":\"Not Found\"}";
    for (const struct route *r = routes; r->method != NULL; r++) {
        if (strcmp(r->method, rq->method) == 0 && strcmp(r->path, rq->path) == 0) {
            status = r->status;
            body = r->body;
            break;
        }
    }
    if (status == 0) {
        pause(); /* a server that never answers */
    }
    httpchild_reply(rq->fd, status, "", body);
}

static struct httpchild server;

/*
 * A child answering from routes on a loopback port, one child per connection:
 * a hang holds only its own, and the stop kills the group, hanging ones too.
 */
static void serve(const struct route *routes, int *port)
{
    if (!httpchild_start_each(&server, serve_one, (void *)routes)) {
        tap_diag("cannot listen on loopback");
        exit(1);
    }
    *port = server.port;
}

/* ---- the driver's side ---- */

static struct loop *loop;
static struct store *st;

static void on_ended(struct doctor *d, void *ud)
{
    (void)d;
    (*(int *)ud)++;
}

static struct backend *make(const struct backend_impl *impl, int port, const char *const *kv)
{
    struct backend *b = backend_create(impl, "x", st, loop);
    char *url = xasprintf("http://127.0.0.1:%d", port);
    char *cause = NULL;
    bool ok = backend_configure(b, "url", url, &cause) &&
              backend_configure(b, "timeout", "2s", &cause) &&
              backend_configure(b, "retries", "0", &cause);
    for (size_t i = 0; ok && kv != NULL && kv[i] != NULL; i += 2) {
        ok = backend_configure(b, kv[i], kv[i + 1], &cause);
    }
    ok = ok && backend_start(b, &cause);
    if (!ok) {
        tap_diag("configure: %s", cause != NULL ? cause : "?");
    }
    free(cause);
    free(url);
    return b;
}

static const char *const level_names[] = {"ok", "info", "WARN", "FAIL"};

/* Every line, "LEVEL text\n" each. */
static char *lines_text(const struct doctor *d)
{
    size_t n = 0;
    const struct doctor_line *l = doctor_lines(d, &n);
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(&sb, "%s %s\n", level_names[l[i].level], l[i].text);
    }
    return sb.s;
}

/* Run impl's probe against routes; the lines it said, or "(not ended)". */
static char *probe(const struct backend_impl *impl, const struct route *routes,
                   const char *const *kv)
{
    int port = 0;
    serve(routes, &port);
    struct backend *b = make(impl, port, kv);
    int ended = 0;
    struct doctor *d = doctor_create(b, on_ended, &ended);
    doctor_start(d);
    uint64_t until = clock_mono_ms() + 5000;
    while (ended == 0 && clock_mono_ms() < until) {
        loop_run_once(loop, 20);
    }
    char *out = ended == 1 ? lines_text(d) : xstrdup("(not ended)");
    doctor_free(d);
    backend_destroy(b);
    httpchild_stop(&server);
    return out;
}

static void check_probe(const char *what, const struct backend_impl *impl,
                        const struct route *routes, const char *const *kv, const char *want)
{
    char *got = probe(impl, routes, kv);
    tap_is_str(got, want, what);
    free(got);
}

static const char OVERVIEW[] = "{\"rabbitmq_version\":\"3.8.9\",\"management_version\":\"3.8.9\","
                               "\"erlang_version\":\"23.2\",\"cluster_name\":\"rabbit@old\"}";

static void test_rabbitmq(void)
{
    static const char *const user[] = {"auth",         "basic",  "user", "ops",
                                       "password_env", "DOC_PW", NULL};
    const struct route older[] = {
        {"GET", "/api/overview", 200, OVERVIEW},
        /* before 3.9, tags are one comma-separated string */
        {"GET", "/api/whoami", 200, "{\"name\":\"ops\",\"tags\":\"monitoring,policymaker\"}"},
        {"GET", "/api/parameters/shovel/%2F", 200, "[]"},
        {"GET", "/api/extensions", 200, "[{\"javascript\":\"dispatcher.js\"}]"},
        {NULL, NULL, 0, NULL},
    };
    check_probe("rabbitmq: tags as a string (before 3.9); no shovel extension", &rabbitmq_backend,
                older, user,
                "ok RabbitMQ 3.8.9 (management 3.8.9, Erlang 23.2), cluster 'rabbit@old'\n"
                "ok authenticated as 'ops', tags [monitoring,policymaker]\n"
                "info actions: purge, peek need read permission on the queue; only an "
                "administrator may list permissions, so RabbitMQ will tell at the action "
                "(rabbitmqctl list_user_permissions ops)\n"
                "WARN actions: move-back impossible: the shovel plugin is not enabled: enable "
                "rabbitmq_shovel and rabbitmq_shovel_management (rabbitmq-plugins enable "
                "rabbitmq_shovel rabbitmq_shovel_management)\n");

    static const char *const off[] = {"auth",   "basic",   "user", "ops", "password_env",
                                      "DOC_PW", "actions", "off",  NULL};
    check_probe("rabbitmq: actions = off: no action checks", &rabbitmq_backend, older, off,
                "ok RabbitMQ 3.8.9 (management 3.8.9, Erlang 23.2), cluster 'rabbit@old'\n"
                "ok authenticated as 'ops', tags [monitoring,policymaker]\n");

    /* the permissions are asked for the user whoami names */
    const struct route admin_named[] = {
        {"GET", "/api/overview", 200, OVERVIEW},
        {"GET", "/api/whoami", 200, "{\"name\":\"ops\",\"tags\":[\"administrator\"]}"},
        {"GET", "/api/users/ops/permissions", 200,
         "[{\"user\":\"ops\",\"vhost\":\"/\",\"configure\":\".*\",\"write\":\".*\",\"read\":\"\"},"
         "{\"user\":\"ops\",\"vhost\":\"prod\",\"configure\":\".*\",\"write\":\".*\","
         "\"read\":\".*\"}]"},
        {"GET", "/api/parameters/shovel/prod", 200, "[]"},
        {"GET", "/api/extensions", 200, "[{\"javascript\":\"shovel.js\"}]"},
        {NULL, NULL, 0, NULL},
    };
    static const char *const prod[] = {"auth",   "basic", "user", "ops", "password_env",
                                       "DOC_PW", "vhost", "prod", NULL};
    check_probe("rabbitmq: vhost = prod: only prod's permission counts", &rabbitmq_backend,
                admin_named, prod,
                "ok RabbitMQ 3.8.9 (management 3.8.9, Erlang 23.2), cluster 'rabbit@old'\n"
                "ok authenticated as 'ops', tags [administrator]\n"
                "ok actions: purge, peek possible on the queues that match the read permission "
                "of 'ops' in vhost 'prod' (read '.*')\n"
                "ok actions: move-back possible: 'ops' may create shovels (tags [administrator]), "
                "the shovel plugin is enabled\n");

    const struct route hostile[] = {
        {"GET", "/api/overview", 200,
         "{\"rabbitmq_version\":\"3.12\\u001b]0;owned\\u0007\",\"management_version\":\"x\"}"},
        {"GET", "/api/whoami", 404, "{}"},
        {NULL, NULL, 0, NULL},
    };
    char *got = probe(&rabbitmq_backend, hostile, user);
    tap_ok(strchr(got, '\033') == NULL && strchr(got, '\007') == NULL,
           "rabbitmq: escapes in the server's version are not passed to the terminal");
    tap_ok(strstr(got, "WARN who am I: /api/whoami: HTTP 404") != NULL,
           "rabbitmq: a whoami that fails is a warning, said with its status");
    free(got);

    const struct route garbage[] = {
        {"GET", "/api/overview", 200, "<html>proxy</html>"},
        {NULL, NULL, 0, NULL},
    };
    got = probe(&rabbitmq_backend, garbage, user);
    tap_ok(str_has_prefix(got, "FAIL /api/overview: not RabbitMQ's answer (") &&
               strchr(got, '\n') == got + strlen(got) - 1,
           "rabbitmq: an overview that is not JSON: one FAIL, and the end");
    free(got);
}

static const char VERSION[] = "{\"gitVersion\":\"v1.27.2\",\"platform\":\"linux/arm64\"}";
static const char SSAR[] = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

static void test_kubernetes(void)
{
    const struct route no_authz[] = {
        {"GET", "/version", 200, VERSION},
        {NULL, NULL, 0, NULL},
    };
    check_probe("kubernetes: no authorization API (404): RBAC not asked, said", &kubernetes_backend,
                no_authz, NULL,
                "ok Kubernetes v1.27.2 (linux/arm64)\n"
                "info authentication: none configured (auth = none)\n"
                "WARN actions: RBAC not asked: SelfSubjectAccessReview for get deployments "
                "failed: HTTP 404 Not Found: {\"error\":\"Object Not Found\",\"reason\":\"Not "
                "Found\"}\n");

    /* every review answers the same: denied with an evaluationError */
    const struct route evalerr[] = {
        {"GET", "/version", 200, VERSION},
        {"POST", SSAR, 201,
         "{\"kind\":\"SelfSubjectAccessReview\",\"status\":{\"allowed\":false,"
         "\"evaluationError\":\"webhook authorizer timed out\"}}"},
        {NULL, NULL, 0, NULL},
    };
    static const char *const ns[] = {"namespace", "shop", NULL};
    char *got = probe(&kubernetes_backend, evalerr, ns);
    tap_ok(strstr(got, "WARN actions: RBAC in namespace shop: restart denied (get deployments: "
                       "evaluation error: webhook authorizer timed out); ") != NULL,
           "kubernetes: an evaluationError is the denial's reason");
    free(got);

    const struct route noversion[] = {
        {"GET", "/version", 200, "{\"major\":\"1\"}"},
        {"POST", SSAR, 201, "{\"status\":{\"allowed\":true}}"},
        {NULL, NULL, 0, NULL},
    };
    check_probe("kubernetes: no gitVersion: a warning; allowed reviews without a reason",
                &kubernetes_backend, noversion, ns,
                "WARN /version: no gitVersion (missing): not a Kubernetes API server?\n"
                "info authentication: none configured (auth = none)\n"
                "ok actions: RBAC allows restart, pause, resume, scale, undo in namespace shop\n");

    /* "denied": true wins over "allowed": true, as the API documents */
    const struct route denied[] = {
        {"GET", "/version", 200, VERSION},
        {"POST", SSAR, 201, "{\"status\":{\"allowed\":true,\"denied\":true}}"},
        {NULL, NULL, 0, NULL},
    };
    got = probe(&kubernetes_backend, denied, ns);
    tap_ok(strstr(got, "restart denied (get deployments)") != NULL,
           "kubernetes: denied true is a denial");
    free(got);
}

static void test_nats(void)
{
    const struct route nojs[] = {
        {"GET", "/varz", 200,
         "{\"server_id\":\"NABC\",\"server_name\":\"n1\",\"version\":\"2.10.4\",\"go\":\"go1.21\","
         "\"jetstream\":{}}"},
        {NULL, NULL, 0, NULL},
    };
    check_probe("nats: /varz without JetStream's config: off, FAIL", &nats_backend, nojs, NULL,
                "ok NATS 2.10.4 (go1.21), server n1\n"
                "info authentication: none asked (nats-server's monitoring port has none)\n"
                "FAIL JetStream is off on this server (-js or a jetstream block turns it on): the "
                "backend shows JetStream streams only\n"
                "info actions: none (the nats backend is read-only)\n");
}

/* Out of time while requests are in flight: cancelled, nothing runs after, nothing leaks. */
static void test_cancel(void)
{
    const struct route hang[] = {
        {"GET", "/version", 200, VERSION},
        {"POST", SSAR, 0, NULL}, /* four reviews in flight, never answered */
        {"GET", "/api/overview", 0, NULL},
        {NULL, NULL, 0, NULL},
    };
    const struct backend_impl *impls[] = {&kubernetes_backend, &rabbitmq_backend};
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        int port = 0;
        serve(hang, &port);
        struct backend *b = make(impls[i], port, NULL);
        int ended = 0;
        struct doctor *d = doctor_create(b, on_ended, &ended);
        doctor_start(d);
        uint64_t until = clock_mono_ms() + 400;
        while (clock_mono_ms() < until) {
            loop_run_once(loop, 20);
        }
        size_t before = 0;
        doctor_lines(d, &before);
        doctor_cancel(d);
        until = clock_mono_ms() + 300;
        while (clock_mono_ms() < until) {
            loop_run_once(loop, 20);
        }
        size_t after = 0;
        doctor_lines(d, &after);
        tap_ok(ended == 0 && !doctor_ended(d) && after == before,
               "%s: cancelled in flight, nothing said or ended after", impls[i]->type);
        doctor_free(d);
        backend_destroy(b);
        httpchild_stop(&server);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("DOC_PW", "pw", 1);
    loop = loop_create();
    st = store_create();
    test_rabbitmq();
    test_kubernetes();
    test_nats();
    test_cancel();
    store_destroy(st);
    loop_destroy(loop);
    return tap_done();
}
