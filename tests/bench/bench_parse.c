/*
 * Parse and render at scale: 10,000 Alertmanager alerts (JSON in the v2 API
 * shape) and 5,000 HAProxy servers (stats CSV with HAProxy's real header).
 * Reports parse time, first-frame time (rebuild + draw of the visible rows on
 * a 160x48 curses screen writing to /dev/null) and steady frame time. Then
 * the JSON list read two ways at 10,000 and 50,000 alerts: the whole tree
 * (json_parse) against the stream (common/jsonstream.h, one element at a
 * time), time and the parser's peak heap (cJSON's allocations counted
 * through its hooks), and the stream in slices on a loop (common/jsonjob.h):
 * slices and the longest round of the loop. Numbers only; nothing is judged
 * here.
 */
#include "../../backends/alertmanager.h"
#include "../../backends/haproxy.h"
#include "../../common/clock.h"
#include "../../common/json.h"
#include "../../common/jsonjob.h"
#include "../../common/jsonstream.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../tui/table.h"
#include "../../tui/theme.h"

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ALERTS = 10000, SERVERS = 5000, RUNS = 30 };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    free(s);
}

static char *make_alerts(int n, size_t *len)
{
    static const char *sev[] = {"critical", "warning", "info"};
    struct buf b = {0};
    put(&b, "[");
    for (int i = 0; i < n; i++) {
        put(&b,
            "%s{\"annotations\":{\"summary\":\"queue q%05d has a backlog\",\"runbook_url\":"
            "\"https://runbooks.example/q\"},\"endsAt\":\"2026-11-23T10:12:59.000Z\","
            "\"fingerprint\":\"%016x\",\"receivers\":[{\"name\":\"null\"}],\"startsAt\":"
            "\"2026-11-23T09:%02d:59.000Z\",\"status\":{\"inhibitedBy\":[],\"silencedBy\":[],"
            "\"state\":\"active\"},\"updatedAt\":\"2026-11-23T09:12:59.798Z\",\"generatorURL\":"
            "\"http://prometheus:9090/graph\",\"labels\":{\"alertname\":\"QueueBacklog%d\","
            "\"queue\":\"q%05d\",\"service\":\"svc%d\",\"severity\":\"%s\",\"instance\":"
            "\"node%d:9100\"}}",
            i ? "," : "", i, (unsigned)(i * 2654435761u), i % 60, i % 40, i, i % 17, sev[i % 3],
            i % 300);
    }
    put(&b, "]");
    *len = b.len;
    return b.p;
}

/* One field of server i by its column name in the real header; the rest stay empty. */
static void server_field(struct buf *b, const char *name, int i)
{
    if (strcmp(name, "pxname") == 0) {
        put(b, "be_%d", i % 50);
    } else if (strcmp(name, "svname") == 0) {
        put(b, "srv%05d", i);
    } else if (strcmp(name, "status") == 0) {
        put(b, "%s", i % 13 ? "UP" : "DOWN");
    } else if (strcmp(name, "weight") == 0) {
        put(b, "100");
    } else if (strcmp(name, "scur") == 0 || strcmp(name, "qcur") == 0) {
        put(b, "%d", i % 40);
    } else if (strcmp(name, "stot") == 0 || strcmp(name, "hrsp_5xx") == 0) {
        put(b, "%d", i * 7);
    } else if (strcmp(name, "rtime") == 0) {
        put(b, "%d", i % 300);
    } else if (strcmp(name, "check_status") == 0) {
        put(b, "L7OK");
    } else if (strcmp(name, "addr") == 0) {
        put(b, "10.0.%d.%d:80", i / 250, i % 250);
    } else if (strcmp(name, "type") == 0) {
        put(b, "2");
    }
}

static char *make_servers(const char *header, size_t *len)
{
    struct buf b = {0};
    put(&b, "%s\n", header);
    char *names = xstrdup(header + 2); /* after "# " */
    for (int i = 0; i < SERVERS; i++) {
        char *save = NULL, *copy = xstrdup(names);
        bool first = true;
        for (char *n = strtok_r(copy, ",", &save); n != NULL; n = strtok_r(NULL, ",", &save)) {
            put(&b, "%s", first ? "" : ",");
            server_field(&b, n, i);
            first = false;
        }
        put(&b, ",\n");
        free(copy);
    }
    free(names);
    *len = b.len;
    return b.p;
}

static char *read_header(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    char line[8192];
    char *h = fgets(line, sizeof line, f) ? xstrdup(str_trim(line)) : NULL;
    fclose(f);
    return h;
}

static void frames(const char *what, enum model_kind kind, struct store *st)
{
    WINDOW *w = newwin(46, 158, 1, 1);
    const struct glyphs *g = screen_glyphs(true);
    struct tableview tv;
    tableview_init(&tv, kind);
    double t0 = now_ms();
    tableview_refresh(&tv, st);
    werase(w);
    table_draw(w, 0, 0, 46, 158, &tv, true, clock_wall_s(), g);
    wnoutrefresh(w);
    doupdate();
    double first = now_ms() - t0;
    double worst = 0, total = 0;
    for (int i = 0; i < RUNS; i++) {
        t0 = now_ms();
        tableview_move(&tv, 37);
        werase(w);
        table_draw(w, 0, 0, 46, 158, &tv, true, clock_wall_s(), g);
        wnoutrefresh(w);
        doupdate();
        double t = now_ms() - t0;
        total += t;
        worst = t > worst ? t : worst;
    }
    printf("%-8s rebuild + first frame %7.2f ms; frame (scroll) mean %.3f ms, max %.3f ms\n", what,
           first, total / RUNS, worst);
    tableview_finish(&tv);
    delwin(w);
}

/* cJSON's allocations counted: the bytes held now and at most. */
static size_t heap_now, heap_peak;

static void *count_malloc(size_t n)
{
    size_t *p = xmalloc(n + sizeof(max_align_t));
    *p = n;
    heap_now += n;
    heap_peak = heap_now > heap_peak ? heap_now : heap_peak;
    return (char *)p + sizeof(max_align_t);
}

static void count_free(void *q)
{
    if (q != NULL) {
        size_t *p = (size_t *)(void *)((char *)q - sizeof(max_align_t));
        heap_now -= *p;
        free(p);
    }
}

static void count_start(void)
{
    cJSON_Hooks hooks = {count_malloc, count_free};
    cJSON_InitHooks(&hooks);
    heap_now = heap_peak = 0;
}

static void count_stop(void)
{
    cJSON_InitHooks(NULL);
}

/* What a backend reads of an alert: its name (the work both ways do). */
static size_t use_alert(const cJSON *a)
{
    const char *name = json_str(json_obj(a, "labels"), "alertname");
    return name != NULL ? strlen(name) : 0;
}

struct jobrun {
    size_t n, used;
    bool done, ok;
};

static bool job_elem(void *ud, cJSON *elem, char **cause)
{
    struct jobrun *r = ud;
    (void)cause;
    r->n++;
    r->used += use_alert(elem);
    return true;
}

static void job_done(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct jobrun *r = ud;
    (void)cause;
    (void)rest;
    (void)nelems;
    r->done = true;
    r->ok = ok;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The whole tree, then a walk: the old way. The time, *peak the heap at most. */
static double by_tree(const char *text, size_t len, size_t *used, size_t *peak)
{
    char *cause = NULL;
    count_start();
    double t0 = now_ms();
    cJSON *doc = NULL;
    *used = 0;
    if (json_parse(text, len, &doc, &cause)) {
        for (const cJSON *a = doc->child; a != NULL; a = a->next) {
            *used += use_alert(a);
        }
    }
    cJSON_Delete(doc);
    double t = now_ms() - t0;
    *peak = heap_peak;
    count_stop();
    free(cause);
    return t;
}

/* One element at a time. */
static double by_stream(const char *text, size_t len, size_t *used, size_t *peak)
{
    char *cause = NULL;
    count_start();
    double t0 = now_ms();
    struct json_stream s;
    json_stream_init(&s, text, len, NULL);
    cJSON *e = NULL;
    *used = 0;
    while (json_stream_next(&s, &e, &cause) > 0) {
        *used += use_alert(e);
        cJSON_Delete(e);
    }
    json_stream_finish(&s);
    double t = now_ms() - t0;
    *peak = heap_peak;
    count_stop();
    free(cause);
    return t;
}

static void tree_vs_stream(int n)
{
    size_t len;
    char *text = make_alerts(n, &len);
    double tt = 1e9, ts = 1e9;
    size_t tpeak = 0, speak = 0, tused = 0, sused = 0;
    for (int i = 0; i < 3; i++) { /* the best of three: the machine may be shared */
        double t = by_tree(text, len, &tused, &tpeak);
        tt = t < tt ? t : tt;
        t = by_stream(text, len, &sused, &speak);
        ts = t < ts ? t : ts;
    }
    printf("list     %d alerts (%.1f MB JSON): tree   %7.1f ms, cJSON peak heap %9.1f KB\n", n,
           (double)len / 1e6, tt, (double)tpeak / 1e3);
    printf("list     %d alerts (%.1f MB JSON): stream %7.1f ms, cJSON peak heap %9.1f KB%s\n", n,
           (double)len / 1e6, ts, (double)speak / 1e3, sused == tused ? "" : " DIFFERENT");

    /*
     * the stream in slices on a loop: the longest round is what a key can wait.
     * BENCH_NO_TRIM: leave the tree's freed nodes in glibc's fast bins, where
     * the first large free() (the job's text, at its end) consolidates them.
     */
    if (getenv("BENCH_NO_TRIM") == NULL) {
        malloc_trim(0);
    }
    struct loop *loop = loop_create();
    struct jobrun r = {0};
    double t0 = now_ms();
    struct json_job *job = json_job_start(loop, text, len, NULL, 0, job_elem, job_done, &r);
    unsigned slices = 0;
    double worst = 0, worst_cpu = 0;
    while (!r.done) {
        slices = json_job_slices(job);
        double r0 = now_ms(), c0 = cpu_ms();
        loop_run_once(loop, 100);
        double d = now_ms() - r0, c = cpu_ms() - c0;
        worst = d > worst ? d : worst;
        worst_cpu = c > worst_cpu ? c : worst_cpu;
    }
    double tj = now_ms() - t0;
    printf("list     %d alerts in %d ms slices: %7.1f ms, %u slices, longest round %.2f ms "
           "(%.2f ms of CPU)%s\n",
           n, JSON_JOB_SLICE_MS, tj, slices + 1, worst, worst_cpu,
           r.ok && r.n == (size_t)n ? "" : " FAILED");
    loop_destroy(loop);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    char *header = read_header(argc > 1 ? argv[1] : "tests/fixtures/haproxy/haproxy_show_stat.csv");
    if (header == NULL) {
        fprintf(stderr, "bench: pass the path of a HAProxy stats CSV for its header\n");
        return 1;
    }
    size_t alen, slen;
    char *alerts = make_alerts(ALERTS, &alen);
    char *servers = make_servers(header, &slen);
    struct store *st = store_create();
    char *cause = NULL;

    double t0 = now_ms();
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    bool ok = alertmanager_parse_alerts(alerts, alen, rs, clock_wall_s(), &cause);
    double ta = now_ms() - t0;
    printf("alerts   parse %d alerts (%.1f MB JSON): %.1f ms%s%s\n", ALERTS, (double)alen / 1e6, ta,
           ok ? "" : " FAILED: ", ok ? "" : cause);
    store_publish(st, rs);

    t0 = now_ms();
    rs = rowset_create(MODEL_POOLS, "lb");
    ok = haproxy_parse_csv(servers, slen, rs, &cause);
    double ts = now_ms() - t0;
    printf("servers  parse %d servers (%.1f MB CSV): %.1f ms, %zu rows%s%s\n", SERVERS,
           (double)slen / 1e6, ts, rs->nrows, ok ? "" : " FAILED: ", ok ? "" : cause);
    store_publish(st, rs);

    tree_vs_stream(10000);
    tree_vs_stream(50000);

    FILE *out = fopen("/dev/null", "w");
    FILE *in = fopen("/dev/null", "r");
    if (newterm("xterm-256color", out, in) == NULL) {
        return 1;
    }
    resizeterm(48, 160);
    start_color();
    struct theme th;
    theme_builtin(&th);
    theme_apply(&th, THEME_TIER_256);
    frames("alerts", MODEL_ALERTS, st);
    frames("servers", MODEL_POOLS, st);
    endwin();
    delscreen(set_term(NULL));
    fclose(out);
    fclose(in);
    store_destroy(st);
    free(cause);
    free(alerts);
    free(servers);
    free(header);
    return 0;
}
