/*
 * The JSON list backends of issue 19 on a real loop, against a canned HTTP
 * server in a child process that answers from files the test rewrites
 * between polls (and logs every request): RabbitMQ (queues, bindings,
 * consumers), Kubernetes (a DeploymentList page) and http-json.
 *
 * What would fail if the feature broke: a poll whose answers are the same as
 * the last ones published rebuilds nothing (the store's generation stays),
 * a changed answer is read, an answer that failed is read (and fails) again,
 * a large list arrives whole through the sliced parse, ETag answers are
 * asked conditionally and a 304 whose body is needed after all is asked
 * again, and a backend destroyed while its parse is in flight leaks nothing
 * (run under the sanitizer build's LSan). Issue 20: RabbitMQ's bindings and
 * consumers are asked every fifth interval only (counted on the server), on
 * a poll asked for and after a failed read, and the rows keep their values
 * between two reads.
 */
#include "../../backends/backend.h"
#include "../../backends/httpjson.h"
#include "../../backends/kubernetes.h"
#include "../../backends/model.h"
#include "../../backends/rabbitmq.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "httpchild.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the canned server ---- */

static char dir[] = "/tmp/opsdeck-lists-XXXXXX";
static char logpath[512];

struct route {
    const char *path; /* the request's path, exactly (query included) */
    const char *file; /* the body, read at each request (under dir) */
    bool etag;        /* send an ETag (the body's hash) and answer 304 when it matches */
    int delay_ms;     /* answer this late (a slow server) */
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    struct strbuf sb = {0};
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        strbuf_add(&sb, buf, k);
    }
    fclose(f);
    strbuf_add(&sb, "", 0);
    *len = sb.n;
    return sb.s;
}

static void put(const char *name, const char *body)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL || fwrite(body, 1, strlen(body), f) != strlen(body) || fclose(f) != 0) {
        tap_diag("cannot write %s", tmp);
        exit(1);
    }
    rename(tmp, path); /* whole, never half */
    free(tmp);
    free(path);
}

static void log_request(const char *path, int status)
{
    int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        char line[1200];
        int n = snprintf(line, sizeof line, "%s %d\n", path, status);
        if (write(fd, line, (size_t)n) < 0) {
            /* the test will miss the line */
        }
        close(fd);
    }
}

/* A connection's child (httpchild_start_each): answer from the routes in ud. */
static void serve_one(struct httpchild_req *rq, void *ud)
{
    const struct route *routes = ud;
    int c = rq->fd;
    const char *path = rq->path;
    const char *end = rq->body - 4; /* the blank line after the headers */
    int status = 404;
    char *body = NULL;
    size_t len = 0;
    char etag[64] = "";
    for (const struct route *r = routes; r->path != NULL; r++) {
        if (strcmp(r->path, path) != 0) {
            continue;
        }
        if (r->delay_ms > 0) {
            struct timespec ts = {r->delay_ms / 1000, (long)(r->delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        char *file = xasprintf("%s/%s", dir, r->file);
        body = slurp(file, &len);
        free(file);
        status = body != NULL ? 200 : 404;
        if (body != NULL && r->etag) {
            snprintf(etag, sizeof etag, "\"%016llx\"",
                     (unsigned long long)fnv1a(FNV1A_OFFSET, body));
            const char *inm = str_casestr(rq->raw, "\r\nif-none-match:");
            if (inm != NULL && inm < end && strstr(inm, etag) != NULL &&
                strstr(inm, etag) < strstr(inm + 2, "\r\n")) {
                status = 304;
            }
        }
        break;
    }
    if (body == NULL) {
        body = xstrdup("{\"error\":\"Object Not Found\",\"reason\":\"Not Found\"}");
        len = strlen(body);
    }
    if (status == 304) {
        len = 0;
    }
    log_request(path, status);
    char head[512];
    int h =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "%s%s%sConnection: close\r\n\r\n",
                 status, len, etag[0] != '\0' ? "ETag: " : "", etag, etag[0] != '\0' ? "\r\n" : "");
    if (write(c, head, (size_t)h) >= 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t k = write(c, body + off, len - off);
            if (k <= 0) {
                break;
            }
            off += (size_t)k;
        }
    }
    free(body);
}

static struct httpchild server;

/* A child answering from routes on a loopback port, one child per connection. */
static void serve(const struct route *routes, int *port)
{
    if (!httpchild_start_each(&server, serve_one, (void *)routes)) {
        tap_diag("cannot listen on loopback");
        exit(1);
    }
    *port = server.port;
}

/* How many requests of path were answered with status since the log was cleared. */
static int logged(const char *path, int status)
{
    size_t len = 0;
    char *text = slurp(logpath, &len);
    char *want = xasprintf("%s %d\n", path, status);
    int n = 0;
    for (const char *p = text; p != NULL && (p = strstr(p, want)) != NULL; p++) {
        if (p == text || p[-1] == '\n') {
            n++;
        }
    }
    free(want);
    free(text);
    return n;
}

static void log_clear(void)
{
    unlink(logpath);
}

/* ---- the console's side ---- */

/* cond first, then the message (whose arguments may read what cond changed: b->error) */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        bool ok_ = (cond);                                                                         \
        tap_ok(ok_, __VA_ARGS__);                                                                  \
    } while (0)

static struct loop *loop;
static struct store *st;

static struct backend *make(const struct backend_impl *impl, const char *url, const char *const *kv)
{
    struct backend *b = backend_create(impl, "x", st, loop);
    char *cause = NULL;
    bool ok = backend_configure(b, "url", url, &cause) &&
              backend_configure(b, "timeout", "5s", &cause) &&
              backend_configure(b, "retries", "0", &cause);
    for (size_t i = 0; ok && kv != NULL && kv[i] != NULL; i += 2) {
        ok = backend_configure(b, kv[i], kv[i + 1], &cause);
    }
    ok = ok && backend_start(b, &cause);
    if (!ok) {
        tap_diag("configure: %s", cause != NULL ? cause : "?");
    }
    free(cause);
    return b;
}

/* One poll, to its end (the parse included). False when it did not end in time. */
static bool poll_once(struct backend *b)
{
    b->impl->poll(b);
    uint64_t until = clock_mono_ms() + 10000;
    while (b->polling && clock_mono_ms() < until) {
        loop_run_once(loop, 20);
    }
    return !b->polling;
}

static const struct rowset *rows_of(enum model_kind kind)
{
    return store_nsets(st, kind) > 0 ? store_set(st, kind, 0) : NULL;
}

static const char *cell(enum model_kind kind, const char *key, int col)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(st, kind, "x", key, &rs, &row)) {
        return "(no row)";
    }
    const char *t = rowset_cell_text(rs, row, col);
    return t != NULL ? t : "";
}

/* ---- RabbitMQ ---- */

/* n queues q0000.. in vhost /, each dead-lettering into dlq (when dl), msgs messages each. */
static char *queues_json(int n, int msgs, bool dl)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "[");
    for (int i = 0; i < n; i++) {
        strbuf_printf(&sb,
                      "%s{\"name\":\"q%04d\",\"vhost\":\"/\",\"type\":\"classic\","
                      "\"state\":\"running\",\"messages\":%d,\"messages_ready\":%d,"
                      "\"messages_unacknowledged\":0,\"consumers\":1,\"node\":\"rabbit@a\","
                      "\"arguments\":{%s},\"garbage_collection\":{\"fullsweep_after\":65535,"
                      "\"max_heap_size\":0,\"min_bin_vheap_size\":46422,\"min_heap_size\":233},"
                      "\"message_stats\":{\"publish_details\":{\"rate\":1.5}}}",
                      i > 0 ? "," : "", i, msgs, msgs,
                      dl ? "\"x-dead-letter-exchange\":\"\",\"x-dead-letter-routing-key\":\"dlq\""
                         : "");
    }
    strbuf_printf(&sb, "%s{\"name\":\"dlq\",\"vhost\":\"/\",\"messages\":0}]", n > 0 ? "," : "");
    return sb.s;
}

/* The paths the backend asks: only the columns it reads (rabbitmq.h). */
static char *qpath, *bpath, *cpath;

static void rabbitmq_paths(void)
{
    qpath = xasprintf("/api/queues?columns=%s", RABBITMQ_QUEUE_COLUMNS);
    bpath = xasprintf("/api/bindings?columns=%s", RABBITMQ_BINDING_COLUMNS);
    cpath = xasprintf("/api/consumers?columns=%s", RABBITMQ_CONSUMER_COLUMNS);
}

/* A poll asked for (a key, an action's refresh): the bindings and consumers are read too. */
static bool poll_asked(struct backend *b)
{
    b->poll_asked = true;
    bool ok = poll_once(b);
    b->poll_asked = false;
    return ok;
}

static void test_rabbitmq(void)
{
    const struct route routes[] = {
        {qpath, "queues.json", true, 0},
        {bpath, "bindings.json", false, 0},
        {cpath, "consumers.json", true, 0},
        {NULL, NULL, false, 0},
    };
    char *q = queues_json(3, 5, true);
    put("queues.json", q);
    free(q);
    put("bindings.json", "[]");
    put("consumers.json",
        "[{\"consumer_tag\":\"c1\",\"queue\":{\"name\":\"q0001\",\"vhost\":\"/\"},"
        "\"channel_details\":{\"name\":\"ch\",\"user\":\"guest\"}}]");
    int port = 0;
    serve(routes, &port);
    char *url = xasprintf("http://127.0.0.1:%d", port);
    struct backend *b = make(&rabbitmq_backend, url, NULL);

    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_QUEUES) != NULL &&
              rows_of(MODEL_QUEUES)->nrows == 4,
          "rabbitmq: the first poll publishes every queue (%s)", b->error != NULL ? b->error : "");
    tap_is_str(cell(MODEL_QUEUES, "%2F/q0000", QUEUE_DLQ), "dlq",
               "rabbitmq: a dead-letter queue resolved after the streamed parse");
    tap_is_str(cell(MODEL_QUEUES, "%2F/dlq", QUEUE_DLQ), "<- q0000 +2",
               "rabbitmq: the DLQ names its sources");

    uint64_t gen = store_generation(st, MODEL_QUEUES);
    log_clear();
    CHECK(poll_asked(b) && b->health == BACKEND_OK, "rabbitmq: the same answers, polled again");
    tap_ok(store_generation(st, MODEL_QUEUES) == gen,
           "rabbitmq: the same answers rebuild nothing (generation %llu, was %llu)",
           (unsigned long long)store_generation(st, MODEL_QUEUES), (unsigned long long)gen);
    tap_ok(logged(qpath, 304) == 1 && logged(cpath, 304) == 1,
           "rabbitmq: the queues and consumers (an ETag server) were asked conditionally: 304");

    /* the consumers change, the queues answer 304: their body is needed, so asked again */
    put("consumers.json", "[]");
    log_clear();
    CHECK(poll_asked(b) && b->health == BACKEND_OK && store_generation(st, MODEL_QUEUES) != gen,
          "rabbitmq: one changed answer rebuilds the rows");
    tap_ok(logged(qpath, 304) == 1 && logged(qpath, 200) == 1 && logged(cpath, 200) == 2,
           "rabbitmq: a 304 whose body is needed after all: the poll asks again without "
           "validators (queues 304 then 200)");
    gen = store_generation(st, MODEL_QUEUES);

    /* the queues change, the consumers answer 304: their kept body is used, no second ask */
    q = queues_json(3, 7, true);
    put("queues.json", q);
    free(q);
    log_clear();
    CHECK(poll_asked(b) && b->health == BACKEND_OK && store_generation(st, MODEL_QUEUES) != gen,
          "rabbitmq: changed queues are read");
    tap_is_str(cell(MODEL_QUEUES, "%2F/q0002", QUEUE_MSGS), "7", "rabbitmq: with their new counts");
    tap_is_str(cell(MODEL_QUEUES, "%2F/q0002", QUEUE_TREND), "grow", "rabbitmq: TREND moved");
    tap_ok(logged(cpath, 304) == 1 && logged(cpath, 200) == 0 && logged(qpath, 200) == 1,
           "rabbitmq: a 304 for the consumers is answered from their kept body (queues once, "
           "consumers 304 once)");

    /* the same answers after TREND moved: read once more (now flat), then nothing */
    gen = store_generation(st, MODEL_QUEUES);
    CHECK(poll_once(b) && store_generation(st, MODEL_QUEUES) != gen,
          "rabbitmq: the same answers after a TREND moved are read once more");
    tap_is_str(cell(MODEL_QUEUES, "%2F/q0002", QUEUE_TREND), "flat", "rabbitmq: now flat");
    gen = store_generation(st, MODEL_QUEUES);
    CHECK(poll_once(b) && store_generation(st, MODEL_QUEUES) == gen,
          "rabbitmq: and then rebuild nothing");

    /* a bad answer is not taken: the same bad answer fails again */
    put("queues.json", "[{\"name\":\"a\",\"vhost\":\"/\",\"messages\":\"many\"}]");
    CHECK(poll_once(b) && b->health == BACKEND_ERROR && b->error != NULL &&
              strstr(b->error, "queue a: messages is not a count") != NULL,
          "rabbitmq: a bad queue is said (%s)", b->error != NULL ? b->error : "");
    CHECK(poll_once(b) && b->health == BACKEND_ERROR, "rabbitmq: the same bad answer fails again");
    put("queues.json", "{\"error\":\"Object Not Found\"}");
    CHECK(poll_once(b) && b->error != NULL &&
              strstr(b->error, "expected a JSON array of queues") != NULL,
          "rabbitmq: not a list: said as before (%s)", b->error != NULL ? b->error : "");
    put("queues.json", "[{\"name\":\"a\",\"vhost\":\"/\"},");
    CHECK(poll_once(b) && b->error != NULL && strstr(b->error, "invalid JSON") != NULL,
          "rabbitmq: cut JSON: said where (%s)", b->error != NULL ? b->error : "");

    /* a paginated answer: the queues are its items */
    put("queues.json", "{\"page\":1,\"page_count\":1,\"items\":[{\"name\":\"p\",\"vhost\":\"/\","
                       "\"messages\":2}],\"total_count\":1}");
    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_QUEUES)->nrows == 1 &&
              strcmp(cell(MODEL_QUEUES, "%2F/p", QUEUE_MSGS), "2") == 0,
          "rabbitmq: a paginated answer's items are the queues");

    /* a storm of queues arrives whole through the sliced parse */
    q = queues_json(20000, 1, false);
    put("queues.json", q);
    free(q);
    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_QUEUES)->nrows == 20001,
          "rabbitmq: 20,001 queues, every one a row");

    /* destroyed at every stage of a poll (requests, the parse): nothing leaks */
    q = queues_json(5000, 2, true);
    put("queues.json", q);
    free(q);
    backend_destroy(b);
    int destroyed = 0;
    for (int steps = 0; steps < 60; steps += 3) {
        b = make(&rabbitmq_backend, url, NULL);
        b->impl->poll(b);
        for (int i = 0; i < steps && b->polling; i++) {
            loop_run_once(loop, 5);
        }
        destroyed += b->polling;
        backend_destroy(b);
    }
    tap_ok(destroyed > 0, "rabbitmq: destroyed %d times with a poll in flight", destroyed);
    store_forget(st, MODEL_QUEUES, "x");
    free(url);
    httpchild_stop(&server);
}

/* The detail line key of the row key of the queues pane ("" when none). */
static char *detail_of(const char *key, const char *line)
{
    const struct rowset *rs;
    size_t row;
    if (!store_find(st, MODEL_QUEUES, "x", key, &rs, &row)) {
        return xstrdup("(no row)");
    }
    const char *d = rowset_str(rs, rs->rows[row].detail);
    char *want = xasprintf("%s\t", line);
    for (const char *p = d; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, want, strlen(want)) == 0) {
            const char *v = p + strlen(want), *nl = strchr(v, '\n');
            free(want);
            return xstrndup(v, nl != NULL ? (size_t)(nl - v) : strlen(v));
        }
    }
    free(want);
    return xstrdup("");
}

/*
 * Issue 20: the bindings and consumers are read every POLL_SECONDARY_FACTOR-th
 * interval only (counted on the server), on a poll asked for, and again after
 * one failed; between, the rows keep what they said (DLQ through a binding,
 * the consumers in the detail).
 */
static void test_rabbitmq_secondary(void)
{
    const struct route routes[] = {
        {qpath, "sq.json", false, 0},
        {bpath, "sb.json", false, 0},
        {cpath, "sc.json", false, 0},
        {NULL, NULL, false, 0},
    };
    static const char queues[] =
        "[{\"name\":\"orders\",\"vhost\":\"/\",\"messages\":%d,\"consumers\":1,"
        "\"arguments\":{\"x-dead-letter-exchange\":\"dlx\",\"x-dead-letter-routing-key\":\"k\"}},"
        "{\"name\":\"orders.dlq\",\"vhost\":\"/\",\"messages\":0}]";
    char *q = xasprintf(queues, 1);
    put("sq.json", q);
    free(q);
    put("sb.json", "[{\"source\":\"dlx\",\"vhost\":\"/\",\"destination\":\"orders.dlq\","
                   "\"destination_type\":\"queue\",\"routing_key\":\"k\"}]");
    put("sc.json", "[{\"consumer_tag\":\"c1\",\"queue\":{\"name\":\"orders\",\"vhost\":\"/\"}}]");
    int port = 0;
    serve(routes, &port);
    char *url = xasprintf("http://127.0.0.1:%d", port);
    struct backend *b = make(&rabbitmq_backend, url, NULL);
    /* a short refresh (below the config's 1 s floor) keeps the test short: due every 1 s */
    b->refresh_ms = 200;
    b->sched.refresh_ms = 200;
    uint64_t interval = POLL_SECONDARY_FACTOR * 200;

    log_clear();
    CHECK(poll_once(b) && b->health == BACKEND_OK && logged(bpath, 200) == 1 &&
              logged(cpath, 200) == 1,
          "rabbitmq: the first poll reads the bindings and consumers (%s)",
          b->error != NULL ? b->error : "");
    /* polls back to back for 2.5 intervals: the queues every time, the others every interval */
    uint64_t start = clock_mono_ms(), until = start + interval * 5 / 2;
    while (clock_mono_ms() < until) {
        if (!b->polling) {
            b->impl->poll(b);
        }
        loop_run_once(loop, 5);
    }
    CHECK(poll_once(b), "rabbitmq: polled back to back for %llu ms",
          (unsigned long long)(clock_mono_ms() - start));
    int nq = logged(qpath, 200), nb = logged(bpath, 200);
    int nc = logged(cpath, 200);
    /*
     * At most one read an interval (plus the first poll's), far fewer than the
     * queues'; no lower bound beyond the first: on a loaded host a slow poll
     * stretches the interval (the load rule), which is the policy working.
     */
    uint64_t took = clock_mono_ms() - start;
    int most = 2 + (int)(took / interval);
    tap_ok(nq >= 10 && nb >= 1 && nb <= most && nq >= 3 * nb && (nc == nb || nc == nb - 1),
           "rabbitmq: %d polls asked the queues, %d the bindings and %d the consumers (one read "
           "every %llu ms, %llu ms after the first)",
           nq, nb, nc, (unsigned long long)interval, (unsigned long long)(clock_mono_ms() - start));

    /* between two reads the rows keep what the last bindings and consumers said */
    poll_asked(b);
    q = xasprintf(queues, 9);
    put("sq.json", q);
    free(q);
    put("sb.json", "[]");
    put("sc.json", "[]");
    log_clear();
    CHECK(poll_once(b) && b->health == BACKEND_OK && logged(bpath, 200) == 0 &&
              logged(cpath, 200) == 0,
          "rabbitmq: a poll between two reads asks the queues only");
    tap_is_str(cell(MODEL_QUEUES, "%2F/orders", QUEUE_MSGS), "9",
               "rabbitmq: the queues' own columns are fresh");
    tap_is_str(cell(MODEL_QUEUES, "%2F/orders", QUEUE_DLQ), "orders.dlq",
               "rabbitmq: the DLQ (through the last bindings) keeps its value");
    char *d = detail_of("%2F/orders", "consumer.1");
    tap_is_str(d, "c1", "rabbitmq: the consumers in the detail keep theirs");
    free(d);

    /* a poll asked for (a key, an action's refresh) reads them at once */
    log_clear();
    CHECK(poll_asked(b) && logged(bpath, 200) == 1 && logged(cpath, 200) == 1,
          "rabbitmq: a poll asked for reads the bindings and consumers");
    tap_is_str(cell(MODEL_QUEUES, "%2F/orders", QUEUE_DLQ), "",
               "rabbitmq: and the rows say what they say now (no binding: no DLQ)");

    /* a failed secondary read is asked again on the next poll, until it answers */
    char *gone = xasprintf("%s/sc.json", dir);
    unlink(gone);
    free(gone);
    log_clear();
    CHECK(poll_asked(b) && b->health == BACKEND_OK && logged(cpath, 404) == 1,
          "rabbitmq: the consumers fail (404), the queues still show");
    d = detail_of("%2F/orders", "consumers");
    tap_ok(strncmp(d, "unavailable: HTTP 404", 21) == 0, "rabbitmq: the detail says why (%s)", d);
    free(d);
    CHECK(poll_once(b) && logged(cpath, 404) == 2,
          "rabbitmq: the next poll asks the failed consumers again");
    put("sc.json", "[]");
    CHECK(poll_once(b) && logged(cpath, 200) == 1 && logged(bpath, 200) == 3,
          "rabbitmq: and again until they answer");
    d = detail_of("%2F/orders", "consumers");
    tap_is_str(d, "",
               "rabbitmq: the rows no longer say they are unavailable (the answer is the "
               "one taken before they failed: rebuilt all the same)");
    free(d);
    CHECK(poll_once(b) && logged(cpath, 200) == 1, "rabbitmq: then they wait for their interval");

    backend_destroy(b);
    store_forget(st, MODEL_QUEUES, "x");
    httpchild_stop(&server);

    /* slow answers stretch the interval (poll_interval: 5 x the poll's duration), and the
     * secondary reads with it: at 150 ms a poll, every 5 x 750 ms, not every 5 x 200 ms */
    const struct route slow[] = {
        {qpath, "sq.json", false, 150},
        {bpath, "sb.json", false, 0},
        {cpath, "sc.json", false, 0},
        {NULL, NULL, false, 0},
    };
    serve(slow, &port);
    free(url);
    url = xasprintf("http://127.0.0.1:%d", port);
    b = make(&rabbitmq_backend, url, NULL);
    b->refresh_ms = 200;
    b->sched.refresh_ms = 200;
    log_clear();
    start = clock_mono_ms();
    until = start + 2500;
    while (clock_mono_ms() < until) {
        if (!b->polling) {
            b->impl->poll(b);
        }
        loop_run_once(loop, 5);
    }
    CHECK(poll_once(b), "rabbitmq: a slow server polled back to back for %llu ms",
          (unsigned long long)(clock_mono_ms() - start));
    nq = logged(qpath, 200);
    nb = logged(bpath, 200);
    tap_ok(nq >= 5 && nb == 1,
           "rabbitmq: slow answers (150 ms): %d polls, %d read the bindings (the interval is 5 x "
           "the duration: none due again within 3.75 s; at the refresh's pace it would be 3)",
           nq, nb);
    backend_destroy(b);
    store_forget(st, MODEL_QUEUES, "x");
    free(url);
    httpchild_stop(&server);
}

/* ---- Kubernetes ---- */

static char *deployments_json(const char *prefix, int n, int replicas, const char *cont)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "{\"kind\":\"DeploymentList\",\"apiVersion\":\"apps/v1\",\"items\":[");
    for (int i = 0; i < n; i++) {
        strbuf_printf(&sb,
                      "%s{\"metadata\":{\"name\":\"%s%d\",\"namespace\":\"n\",\"generation\":1},"
                      "\"spec\":{\"replicas\":%d},\"status\":{\"observedGeneration\":1,"
                      "\"replicas\":%d,\"updatedReplicas\":%d,\"availableReplicas\":%d}}",
                      i > 0 ? "," : "", prefix, i, replicas, replicas, replicas, replicas);
    }
    /* metadata after the items: the stream keeps it in the rest */
    strbuf_printf(&sb, "],\"metadata\":{\"resourceVersion\":\"1\"%s%s%s}}",
                  cont != NULL ? ",\"continue\":\"" : "", cont != NULL ? cont : "",
                  cont != NULL ? "\"" : "");
    return sb.s;
}

static void test_kubernetes(void)
{
    static const struct route routes[] = {
        {"/apis/apps/v1/deployments?limit=500", "page1.json", true, 0},
        {"/apis/apps/v1/deployments?limit=500&continue=next", "page2.json", false, 0},
        {NULL, NULL, false, 0},
    };
    char *d = deployments_json("d", 300, 2, NULL);
    put("page1.json", d);
    free(d);
    put("page2.json", "{\"kind\":\"DeploymentList\",\"items\":[]}");
    int port = 0;
    serve(routes, &port);
    char *url = xasprintf("http://127.0.0.1:%d", port);
    struct backend *b = make(&kubernetes_backend, url, NULL);
    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_DEPLOYS) != NULL &&
              rows_of(MODEL_DEPLOYS)->nrows == 300,
          "kubernetes: a page of 300 deployments, streamed (%s)", b->error != NULL ? b->error : "");
    uint64_t gen = store_generation(st, MODEL_DEPLOYS);
    log_clear();
    CHECK(poll_once(b) && b->health == BACKEND_OK && store_generation(st, MODEL_DEPLOYS) == gen,
          "kubernetes: the same one-page list rebuilds nothing");
    tap_ok(logged("/apis/apps/v1/deployments?limit=500", 304) == 1,
           "kubernetes: asked with the ETag it gave: 304");

    d = deployments_json("d", 2, 3, "next");
    put("page1.json", d);
    free(d);
    d = deployments_json("e", 1, 1, NULL);
    put("page2.json", d);
    free(d);
    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_DEPLOYS)->nrows == 3,
          "kubernetes: two pages, continue read from the rest after the items (%s)",
          b->error != NULL ? b->error : "");
    gen = store_generation(st, MODEL_DEPLOYS);
    CHECK(poll_once(b) && store_generation(st, MODEL_DEPLOYS) != gen,
          "kubernetes: a list of several pages is read again each poll");

    put("page1.json", "{\"items\":[],\"kind\":\"ReplicaSetList\"}");
    CHECK(poll_once(b) && b->health == BACKEND_ERROR && b->error != NULL &&
              strstr(b->error, "expected a DeploymentList, got a ReplicaSetList") != NULL,
          "kubernetes: the kind after the items is checked (%s)", b->error != NULL ? b->error : "");
    put("page1.json", "<html>502</html>");
    CHECK(poll_once(b) && b->error != NULL &&
              str_has_prefix(b->error, "bad response from /apis/apps/v1/deployments: invalid JSON"),
          "kubernetes: garbage said as before (%s)", b->error != NULL ? b->error : "");
    put("page1.json", "{\"kind\":\"Status\"}");
    CHECK(poll_once(b) && b->error != NULL && strstr(b->error, "expected a DeploymentList"),
          "kubernetes: no items: not a DeploymentList (%s)", b->error != NULL ? b->error : "");

    d = deployments_json("d", 400, 1, NULL);
    put("page1.json", d);
    free(d);
    backend_destroy(b);
    int destroyed = 0;
    for (int steps = 0; steps < 30; steps += 2) {
        b = make(&kubernetes_backend, url, NULL);
        b->impl->poll(b);
        for (int i = 0; i < steps && b->polling; i++) {
            loop_run_once(loop, 5);
        }
        destroyed += b->polling;
        backend_destroy(b);
    }
    tap_ok(destroyed > 0, "kubernetes: destroyed %d times with a poll in flight", destroyed);
    store_forget(st, MODEL_DEPLOYS, "x");
    free(url);
    httpchild_stop(&server);
}

/* ---- http-json ---- */

static void test_httpjson(void)
{
    static const struct route routes[] = {
        {"/q", "hj.json", false, 0},
        {NULL, NULL, false, 0},
    };
    put("hj.json", "{\"data\":{\"total\":2,\"queues\":[{\"name\":\"a\",\"depth\":1},"
                   "{\"name\":\"b\",\"depth\":\"2\"}],\"after\":[1,2]}}");
    int port = 0;
    serve(routes, &port);
    char *url = xasprintf("http://127.0.0.1:%d/q", port);
    static const char *const kv[] = {"pane",  "queues",       "rows",  "/data/queues", "key",
                                     "/name", "column.QUEUE", "/name", "column.MSGS",  "/depth",
                                     NULL};
    struct backend *b = make(&httpjson_backend, url, kv);
    CHECK(poll_once(b) && b->health == BACKEND_OK && rows_of(MODEL_QUEUES) != NULL &&
              rows_of(MODEL_QUEUES)->nrows == 2 &&
              strcmp(cell(MODEL_QUEUES, "b", QUEUE_MSGS), "2") == 0,
          "http-json: the rows at /data/queues, streamed (%s)", b->error != NULL ? b->error : "");
    uint64_t gen = store_generation(st, MODEL_QUEUES);
    CHECK(poll_once(b) && b->health == BACKEND_OK && store_generation(st, MODEL_QUEUES) == gen,
          "http-json: the same answer rebuilds nothing");
    put("hj.json", "{\"data\":{\"queues\":[{\"name\":\"a\",\"depth\":4}]}}");
    CHECK(poll_once(b) && store_generation(st, MODEL_QUEUES) != gen &&
              strcmp(cell(MODEL_QUEUES, "a", QUEUE_MSGS), "4") == 0,
          "http-json: a changed answer is read");
    put("hj.json", "{\"data\":{\"queue\":[]}}");
    log_clear();
    CHECK(poll_once(b) && b->error != NULL &&
              strstr(b->error, "pointer /data/queues did not resolve: no member 'queues' at "
                               "/data") != NULL,
          "http-json: a pointer that does not resolve is named as before (%s)",
          b->error != NULL ? b->error : "");
    tap_ok(logged("/q", 200) == 1, "http-json: (said from the one answer: no second request)");
    put("hj.json", "{\"data\":{\"queues\":{\"a\":1}}}");
    CHECK(poll_once(b) && b->error != NULL &&
              strstr(b->error, "rows = /data/queues is an object, not an array") != NULL,
          "http-json: rows that are not an array are named as before (%s)",
          b->error != NULL ? b->error : "");
    put("hj.json", "[{\"data\":1}]");
    log_clear();
    CHECK(poll_once(b) && b->error != NULL && strstr(b->error, "pointer /data/queues") != NULL &&
              logged("/q", 200) == 1,
          "http-json: a document that is not an object is named from the one answer (%s)",
          b->error != NULL ? b->error : "");
    put("hj.json", "{\"data\":{\"queues\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}");
    CHECK(poll_once(b) && b->error != NULL && strstr(b->error, "duplicate key 'a'") != NULL,
          "http-json: a duplicate key (%s)", b->error != NULL ? b->error : "");
    CHECK(poll_once(b) && b->health == BACKEND_ERROR,
          "http-json: the same failing answer fails again");
    put("hj.json", "{\"data\":{\"queues\":[{\"name\":\"a\"");
    CHECK(poll_once(b) && b->error != NULL && strstr(b->error, "not JSON") != NULL,
          "http-json: cut JSON (%s)", b->error != NULL ? b->error : "");
    backend_destroy(b);
    store_forget(st, MODEL_QUEUES, "x");
    free(url);
    httpchild_stop(&server);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL) {
        tap_diag("mkdtemp");
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/requests.log", dir);
    loop = loop_create();
    st = store_create();
    rabbitmq_paths();
    test_rabbitmq();
    test_rabbitmq_secondary();
    free(qpath);
    free(bpath);
    free(cpath);
    test_kubernetes();
    test_httpjson();
    store_destroy(st);
    loop_destroy(loop);
    char *rm = xasprintf("rm -rf '%s'", dir);
    if (system(rm) != 0) {
        tap_diag("could not remove %s", dir);
    }
    free(rm);
    return tap_done();
}
