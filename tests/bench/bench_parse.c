/*
 * Parse and render at scale: 10,000 Alertmanager alerts (JSON in the v2 API
 * shape) and 5,000 HAProxy servers (stats CSV with HAProxy's real header).
 * Reports parse time, first-frame time (rebuild + draw of the visible rows on
 * a 160x48 curses screen writing to /dev/null) and steady frame time. Numbers
 * only; nothing is judged here.
 */
#include "../../backends/alertmanager.h"
#include "../../backends/haproxy.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../tui/table.h"
#include "../../tui/theme.h"

#include <locale.h>
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

static char *make_alerts(size_t *len)
{
    static const char *sev[] = {"critical", "warning", "info"};
    struct buf b = {0};
    put(&b, "[");
    for (int i = 0; i < ALERTS; i++) {
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

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    char *header = read_header(argc > 1 ? argv[1] : "tests/fixtures/haproxy/haproxy_show_stat.csv");
    if (header == NULL) {
        fprintf(stderr, "bench: pass the path of a HAProxy stats CSV for its header\n");
        return 1;
    }
    size_t alen, slen;
    char *alerts = make_alerts(&alen);
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
