/*
 * The Alertmanager and Prometheus alert polls on a real loop against a child
 * HTTP server (httpchild.h; issue 19): an answer read in slices publishes its
 * rows, the same answer again rebuilds nothing, a changed one does, an error
 * keeps the last rows; an action's form and silence read the alert from its
 * row.
 */
#include "../../backends/alertmanager.h"
#include "../../backends/http.h"
#include "../../backends/prometheus.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "httpchild.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct httpchild server;

static const char AM_V1[] =
    "[{\"labels\":{\"alertname\":\"A\",\"severity\":\"critical\",\"instance\":\"h1\"},"
    "\"fingerprint\":\"00000000000000a1\",\"status\":{\"state\":\"active\",\"silencedBy\":[]}},"
    "{\"labels\":{\"alertname\":\"B\",\"severity\":\"warning\",\"stack\":\"x\\ny\"},"
    "\"fingerprint\":\"00000000000000b2\",\"status\":{\"state\":\"suppressed\","
    "\"silencedBy\":[\"s-1\"]}}]";
static const char AM_V2[] =
    "[{\"labels\":{\"alertname\":\"C\"},\"fingerprint\":\"00000000000000c3\"}]";
static const char SILENCES[] =
    "[{\"id\":\"s-1\",\"status\":{\"state\":\"active\"},\"startsAt\":\"2026-11-23T09:00:00Z\","
    "\"endsAt\":\"2099-01-01T00:00:00Z\",\"matchers\":[{\"name\":\"alertname\",\"value\":\"B\"}]}]";
static const char PROM_V1[] =
    "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{\"alertname\":\"P\"},"
    "\"state\":\"firing\"},{\"labels\":{\"alertname\":\"Q\"},\"state\":\"pending\"}]}}";
static const char PROM_ERROR[] =
    "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no\"}";

/* The child's state: which version it answers, what was POSTed last. */
struct served {
    int version;
    char *posted;
};

/* The child: /next switches every answer to its second version; POSTs are echoed into /posted. */
static void serve(struct httpchild_req *rq, void *ud)
{
    struct served *sv = ud;
    int c = rq->fd;
    const char *path = rq->path;
    if (strcmp(rq->method, "POST") == 0) {
        free(sv->posted);
        sv->posted = xstrdup(rq->body);
        httpchild_reply(c, 200, "", "{\"silenceID\":\"new-1\"}");
    } else if (strcmp(path, "/next") == 0) {
        sv->version = 2;
        httpchild_reply(c, 200, "", "[]");
    } else if (strcmp(path, "/posted") == 0) {
        httpchild_reply(c, 200, "", sv->posted != NULL ? sv->posted : "");
    } else if (strncmp(path, "/api/v2/alerts", 14) == 0) {
        httpchild_reply(c, 200, "", sv->version == 1 ? AM_V1 : AM_V2);
    } else if (strcmp(path, "/api/v2/silences") == 0) {
        httpchild_reply(c, 200, "", SILENCES);
    } else if (strcmp(path, "/api/v1/alerts") == 0) {
        httpchild_reply(c, 200, "", sv->version == 1 ? PROM_V1 : PROM_ERROR);
    } else {
        httpchild_reply(c, 200, "", "[]");
    }
}

static bool start_server(void)
{
    struct served sv = {.version = 1};
    return httpchild_start(&server, serve, &sv);
}

/* A GET of the test server's own paths, on the loop; the body (caller frees). */
static char *server_get(struct loop *loop, const char *path)
{
    return httpchild_get(loop, &server, path);
}

/* One poll, to its end. */
static void poll_once(struct loop *loop, struct backend *b)
{
    b->impl->poll(b);
    for (int i = 0; i < 1000 && b->polling; i++) {
        loop_run_once(loop, 10);
    }
}

static struct backend *backend_on(const struct backend_impl *impl, const char *name,
                                  struct store *st, struct loop *loop)
{
    struct backend *b = backend_create(impl, name, st, loop);
    char *cause = NULL;
    bool ok = backend_configure(b, "url", server.url, &cause) &&
              backend_configure(b, "retries", "0", &cause) && backend_start(b, &cause);
    tap_ok(ok, "%s: configured and started%s%s", name, cause ? ": " : "", cause ? cause : "");
    free(cause);
    b->refresh_ms = 3600 * 1000; /* only the polls this test makes */
    return b;
}

/* The alert's row's key in the store, or NULL. */
static bool has_row(const struct store *st, enum model_kind kind, const char *source,
                    const char *key)
{
    const struct rowset *rs;
    size_t row;
    return store_find(st, kind, source, key, &rs, &row);
}

static struct asked {
    int done;
    bool ok;
    char *message;
} asked;

static void on_asked(struct backend_request *req, bool ok, const char *message)
{
    (void)req;
    asked.done++;
    asked.ok = ok;
    free(asked.message);
    asked.message = xstrdup(message != NULL ? message : "");
}

static void test_polls(void)
{
    if (!start_server()) {
        tap_ok(false, "a test server on loopback");
        return;
    }
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend *b = backend_on(&alertmanager_backend, "am", st, loop);

    poll_once(loop, b);
    tap_is_int(b->health, BACKEND_OK, "am: the first poll is ok");
    tap_is_int((long long)store_nrows(st, MODEL_ALERTS), 2, "am: its two alerts");
    tap_is_int((long long)store_nrows(st, MODEL_SILENCES), 1, "am: its silence");
    uint64_t ga = store_generation(st, MODEL_ALERTS), gs = store_generation(st, MODEL_SILENCES);
    poll_once(loop, b);
    tap_is_int(b->health, BACKEND_OK, "am: the same answers again: ok");
    tap_ok(store_generation(st, MODEL_ALERTS) == ga, "am: the same alerts are not published again");
    tap_ok(store_generation(st, MODEL_SILENCES) == gs,
           "am: the same silences are not published again (ENDS did not move)");
    tap_is_int((long long)store_nrows(st, MODEL_ALERTS), 2, "am: the rows stay");

    /* actions read the row: the labels (one exactly, newline and all) and silencedBy */
    const struct action_def *defs = alertmanager_backend.actions;
    char *values[3] = {0};
    const char *labels[3] = {0};
    int nf = alertmanager_backend.form(b, &defs[0], "00000000000000b2", labels, values, 3);
    tap_ok(nf == 3 && values[0] != NULL && strstr(values[0], "stack=\"x\ny\"") != NULL,
           "am: the silence form's matchers come from the row, a newline kept (%s)",
           values[0] != NULL ? values[0] : "none");
    for (int i = 0; i < nf; i++) {
        free(values[i]);
    }
    tap_is_int(alertmanager_backend.form(b, &defs[0], "no-such-alert", labels, values, 3), 0,
               "am: no form for an alert the store does not have");
    struct backend_request req = {
        .def = &defs[0], .target = "00000000000000a1", .input = "1h", .done = on_asked};
    backend_act(b, &req);
    for (int i = 0; i < 500 && asked.done == 0; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(asked.done == 1 && asked.ok, "am: silence from the row: done (%s)",
           asked.message != NULL ? asked.message : "");
    tap_is_str(asked.message, "silenced A for 1h (silence new-1)", "am: the message names it");
    char *posted = server_get(loop, "/posted");
    cJSON *doc = posted != NULL ? cJSON_Parse(posted) : NULL;
    char *m = alertmanager_matchers_text(cJSON_GetObjectItem(doc, "matchers"));
    tap_is_str(m, "alertname=\"A\", severity=\"critical\", instance=\"h1\"",
               "am: the silence POSTed matches every label of the row");
    free(m);
    cJSON_Delete(doc);
    free(posted);

    /* Prometheus: the same answer twice is read once */
    struct store *st2 = store_create();
    struct backend *p = backend_on(&prometheus_backend, "prom", st2, loop);
    poll_once(loop, p);
    tap_is_int((long long)store_nrows(st2, MODEL_ALERTS), 2, "prom: data.alerts read");
    uint64_t gp = store_generation(st2, MODEL_ALERTS);
    poll_once(loop, p);
    tap_ok(p->health == BACKEND_OK && store_generation(st2, MODEL_ALERTS) == gp,
           "prom: the same answer again: ok, not published again");

    char *next = server_get(loop, "/next");
    free(next);
    poll_once(loop, b);
    tap_ok(store_generation(st, MODEL_ALERTS) != ga, "am: changed alerts are published");
    tap_ok(has_row(st, MODEL_ALERTS, "am", "00000000000000c3") &&
               !has_row(st, MODEL_ALERTS, "am", "00000000000000a1"),
           "am: the new rows replace the old");
    backend_destroy(b);

    /* then an error answer (a 200 saying status error): the last rows stay */
    poll_once(loop, p);
    tap_is_int((long long)store_nrows(st2, MODEL_ALERTS), 2, "prom: an error keeps the last rows");
    tap_ok(p->health == BACKEND_ERROR && p->error != NULL &&
               strstr(p->error, "Prometheus error (bad_data): no") != NULL,
           "prom: the answer's own error (%s)", p->error != NULL ? p->error : "none");
    backend_destroy(p);
    store_destroy(st2);

    httpchild_stop(&server);
    store_destroy(st);
    loop_destroy(loop);
    free(asked.message);
}

int main(void)
{
    test_polls();
    return tap_done();
}
