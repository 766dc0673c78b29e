/*
 * Filter + redraw and sort + redraw on the demo's 10,000-row queue table, in
 * process: a real curses screen (xterm-256color, 160x48) writing to /dev/null,
 * so the numbers are the console's own work per keystroke. Prints median, p95
 * and max over many runs; it judges nothing (targets live in the README).
 */
#include "../../backends/backend.h"
#include "../../backends/demo.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../tui/table.h"
#include "../../tui/theme.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RUNS = 200 };
static int ROWS = 10000; /* argv[1]: e.g. 100000 */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("%-34s median %7.3f ms  p95 %7.3f ms  max %7.3f ms  (%d runs)\n", what, t[n / 2] / 1000,
           t[n * 95 / 100] / 1000, t[n - 1] / 1000, n);
}

static void frame(WINDOW *w, struct tableview *tv, const struct glyphs *g)
{
    werase(w);
    table_draw(w, 0, 0, getmaxy(w), getmaxx(w), tv, true, clock_wall_s(), g);
    wnoutrefresh(w);
    doupdate();
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    if (argc > 1 && atoi(argv[1]) > 0) {
        ROWS = atoi(argv[1]);
    }
    struct store *st = store_create();
    struct backend *b = backend_create(&demo_backend, "demo", st, NULL);
    char *cause = NULL;
    char rows[16];
    snprintf(rows, sizeof rows, "%d", ROWS);
    if (!backend_configure(b, "queues", rows, &cause) || !backend_start(b, &cause)) {
        fprintf(stderr, "bench: %s\n", cause);
        return 1;
    }
    double t0 = now_us();
    demo_backend.poll(b);
    double tick = now_us() - t0;

    FILE *out = fopen("/dev/null", "w");
    FILE *in = fopen("/dev/null", "r");
    if (newterm("xterm-256color", out, in) == NULL) {
        fprintf(stderr, "bench: cannot open an xterm-256color screen\n");
        return 1;
    }
    resizeterm(48, 160);
    start_color();
    struct theme th;
    theme_builtin(&th);
    theme_apply(&th, THEME_TIER_256);
    WINDOW *w = newwin(46, 158, 1, 1);
    const struct glyphs *g = screen_glyphs(true);
    struct tableview tv;
    tableview_init(&tv, MODEL_QUEUES);
    t0 = now_us();
    tableview_refresh(&tv, st);
    frame(w, &tv, g);
    double first = now_us() - t0;

    static double t[RUNS];
    const char *filters[] = {"bulk.q01", "!bulk", "q0999", "orders", "", "grow", "bulk.q1"};
    for (int i = 0; i < RUNS; i++) {
        double s = now_us();
        tableview_set_filter(&tv, st, filters[i % 7]);
        frame(w, &tv, g);
        t[i] = now_us() - s;
    }
    printf("demo tick building %d queue rows: %.2f ms\n", ROWS, tick / 1000);
    printf("first rebuild + frame of %d rows: %.2f ms\n", ROWS, first / 1000);
    report("filter + redraw", t, RUNS);
    /* typed one key at a time, as / does: each keystroke filters */
    static const char *const words[] = {"bulk.q1", "q0042", "orders", "q9", "7x", "emails"};
    static double k[RUNS * 10];
    int nk = 0;
    for (int i = 0; i < RUNS / 4; i++) {
        char f[32] = "";
        const char *word = words[i % 6];
        for (size_t j = 0; word[j] != '\0' && nk < RUNS * 10 - 3; j++) {
            f[j] = word[j];
            f[j + 1] = '\0';
            double s = now_us();
            tableview_set_filter(&tv, st, f);
            frame(w, &tv, g);
            k[nk++] = now_us() - s;
        }
        for (int bs = 0; bs < 2 && nk < RUNS * 10 - 1; bs++) {
            f[strlen(f) - 1] = '\0';
            double s = now_us();
            tableview_set_filter(&tv, st, f);
            frame(w, &tv, g);
            k[nk++] = now_us() - s;
        }
        double s = now_us();
        tableview_set_filter(&tv, st, "");
        frame(w, &tv, g);
        k[nk++] = now_us() - s;
    }
    report("typing a filter, per keystroke", k, nk);
    /* a demo tick (the few queues that moved) and the refresh it causes */
    for (int i = 0; i < RUNS / 4; i++) {
        double s = now_us();
        demo_backend.poll(b);
        tableview_refresh(&tv, st);
        frame(w, &tv, g);
        k[i] = now_us() - s;
    }
    report("demo tick + refresh + redraw", k, RUNS / 4);
    tableview_set_filter(&tv, st, "");
    for (int i = 0; i < RUNS; i++) {
        double s = now_us();
        tableview_set_sort(&tv, st, i % 2 ? QUEUE_READY : QUEUE_NAME, i % 3 == 0);
        frame(w, &tv, g);
        t[i] = now_us() - s;
    }
    report("sort + redraw", t, RUNS);
    for (int i = 0; i < RUNS; i++) {
        double s = now_us();
        tableview_move(&tv, 1);
        frame(w, &tv, g);
        t[i] = now_us() - s;
    }
    report("move selection + redraw", t, RUNS);
    tableview_finish(&tv);
    delwin(w);
    endwin();
    delscreen(set_term(NULL));
    backend_destroy(b);
    store_destroy(st);
    fclose(out);
    fclose(in);
    return 0;
}
