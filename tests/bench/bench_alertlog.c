/*
 * The alert log (engine/alertlog.c) in an alert storm, in process: N new
 * alerts in Alertmanager's shape (eight labels each), then the same N again
 * (a new poll, nothing changed), then 100 of them silenced, then all gone;
 * then the rotation of a file whose open set alone passes the cap. Prints the
 * time of each observe (all its slices, and the longest: what a key may wait),
 * the bytes it wrote, the history's publish (its slices too), the heap per
 * open alert and a restart's replay (time, peak RSS); with strace,
 * the fsyncs: `strace -c -e fsync build/tests/bench/bench_alertlog 10000`).
 * It judges nothing.
 *
 *   bench_alertlog [N...]   (default: 10000 50000)
 */
#include "../../backends/model.h"
#include "../../common/util.h"
#include "../../engine/alertlog.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double heap_mb(void)
{
    return (double)mallinfo2().uordblks / (1 << 20);
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* n alerts; the first `silenced` of them silenced; none when gone. */
static void publish(struct store *st, int n, int silenced, bool gone)
{
    static const char *const names[] = {"HighErrorRate", "DiskFull",     "NodeDown",
                                        "TargetMissing", "CPUThrottled", "PodCrashLooping"};
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    rowset_reserve(rs, gone ? 0 : (size_t)n, 600);
    for (int i = 0; !gone && i < n; i++) {
        char key[32], inst[64], pod[64];
        const char *name = names[i % 6];
        snprintf(key, sizeof key, "%016x", (unsigned)i * 2654435761u);
        snprintf(inst, sizeof inst, "10.%d.%d.%d:9100", i >> 16, (i >> 8) & 255, i & 255);
        snprintf(pod, sizeof pod, "web-%d-7d9f8c6b5-x%04d", i % 97, i);
        rowset_begin(rs, key);
        rowset_text(rs, ALERT_NAME, name);
        rowset_text(rs, ALERT_STATE, i < silenced ? "silenced" : "firing");
        rowset_text(rs, ALERT_SEV, i % 10 == 0 ? "critical" : "warning");
        rowset_text(rs, ALERT_TARGET, inst);
        rowset_cell(rs, ALERT_AGE, "", 1795444650);
        rowset_detail(rs, "fingerprint", key);
        rowset_detail(rs, "label.alertname", name);
        rowset_detail(rs, "label.instance", inst);
        rowset_detail(rs, "label.job", "node-exporter");
        rowset_detail(rs, "label.namespace", "production");
        rowset_detail(rs, "label.pod", pod);
        rowset_detail(rs, "label.cluster", "eu-west-1");
        rowset_detail(rs, "label.severity", i % 10 == 0 ? "critical" : "warning");
        rowset_detail(rs, "label.team", "platform");
    }
    rowset_end(rs);
    store_publish(st, rs);
}

static void step(struct alertlog *al, struct store *st, const char *path, const char *what)
{
    long long before = file_size(path);
    char *cause = NULL;
    double all = 0, longest = 0;
    int slices = 0;
    bool ok = true;
    do { /* the console: one slice per loop iteration */
        double t0 = now_ms();
        ok = alertlog_observe(al, st, &cause) && ok;
        double t = now_ms() - t0;
        all += t;
        longest = t > longest ? t : longest;
        slices++;
    } while (alertlog_observing(al));
    long long after = file_size(path);
    printf("  %-34s %7.1f ms in %3d slices (longest %5.1f)  %+10lld bytes  %zu open%s%s\n", what,
           all, slices, longest, after - before, alertlog_open_count(al),
           ok ? "" : "  FAILED: ", ok ? "" : cause);
    free(cause);
}

static void storm(int n)
{
    char tmpl[] = "/tmp/opsdeck-bench-alertlog-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (dir == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    char *path = xasprintf("%s/alerts.jsonl", dir);
    char *old = xasprintf("%s.1", path);
    char *cause = NULL;
    /* a cap no phase passes: each phase's own cost, no rotation in it */
    struct alertlog *al = alertlog_open(path, (size_t)1 << 30, &cause);
    if (al == NULL) {
        fprintf(stderr, "%s\n", cause);
        exit(1);
    }
    struct store *st = store_create();
    printf("%d alerts:\n", n);
    double heap0 = heap_mb();
    publish(st, n, 0, false);
    double heap1 = heap_mb();
    step(al, st, path, "new (all fired)");
    store_forget(st, MODEL_ALERTS, "am");
    double heap2 = heap_mb();
    publish(st, n, 0, false);
    printf("  %-34s %9.1f MB (%.0f bytes per open alert, the history's %d lines included)\n",
           "heap: the alert log", heap2 - heap0, (heap2 - heap0) * (1 << 20) / n, ALERTLOG_HISTORY);
    (void)heap1;
    publish(st, n, 0, false);
    step(al, st, path, "unchanged (a new poll)");
    publish(st, n, 100, false);
    step(al, st, path, "100 changed (silenced)");
    publish(st, n, 100, false);
    step(al, st, path, "unchanged again");
    double best = 1e9, slice = 0, t0;
    int calls = 0;
    for (int i = 0; i < 10; i++) {
        alertlog_set_history_cap(al, ALERTLOG_HISTORY); /* the same rows, to publish again */
        double all = 0, longest = 0;
        calls = 0;
        bool done = false;
        while (!done) {
            t0 = now_ms();
            done = alertlog_publish(al, st);
            double t = now_ms() - t0;
            all += t;
            longest = t > longest ? t : longest;
            calls++;
        }
        slice = all < best ? longest : slice; /* the longest slice of the best run */
        best = all < best ? all : best;
    }
    printf("  %-34s %9.1f ms  (%zu rows in %d slices, its longest %.1f ms; the best of 10)\n",
           "history published", best, alertlog_history_count(al), calls, slice);
    publish(st, n, 100, true);
    step(al, st, path, "all gone");
    alertlog_close(al);

    /* the open set alone larger than the cap: one rotation, not one per observe */
    unlink(path);
    unlink(old);
    al = alertlog_open(path, 64 << 10, &cause);
    publish(st, n, 0, false);
    step(al, st, path, "new, cap 64 KiB (rotates)");
    for (int i = 0; i < 3; i++) {
        publish(st, n, i % 2 == 0 ? 1 : 0, false);
        step(al, st, path, "one changed, cap 64 KiB");
    }
    t0 = now_ms();
    alertlog_close(al);
    double rss0 = peak_rss_mb();
    al = alertlog_open(path, 64 << 10, &cause);
    printf("  %-34s %9.1f ms  %zu open (file %.1f MB + .1 %.1f MB; peak RSS %.0f -> %.0f MB)\n",
           "reopen (replay)", now_ms() - t0, alertlog_open_count(al),
           (double)file_size(path) / (1 << 20), (double)file_size(old) / (1 << 20), rss0,
           peak_rss_mb());
    alertlog_close(al);
    store_destroy(st);
    unlink(path);
    unlink(old);
    rmdir(dir);
    free(path);
    free(old);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        storm(10000);
        storm(50000);
    }
    for (int i = 1; i < argc; i++) {
        storm(atoi(argv[i]));
    }
    return 0;
}
