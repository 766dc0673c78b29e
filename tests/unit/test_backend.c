/*
 * What every backend shares: common keys, health text, staleness, publishing,
 * and the poll schedule (issue 20) on a real loop with a fake fetching backend.
 */
#include "../../backends/backend.h"
#include "../../backends/cluster.h"
#include "../../backends/http.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool fake_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    (void)b;
    (void)value;
    *cause = xasprintf("unknown key '%s' for a fake backend", key);
    return false;
}

static void fake_poll(struct backend *b)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    rowset_begin(rs, "be/s1");
    rowset_text(rs, POOL_SERVER, "s1");
    backend_publish(b, rs);
}

static const struct backend_impl fake_impl = {
    .type = "fake",
    .kinds = 1u << MODEL_POOLS,
    .configure = fake_configure,
    .poll = fake_poll,
};

static char secdir[] = "/tmp/opsdeck-secret-XXXXXX";

static char *sec_path(const char *name)
{
    return xasprintf("%s/%s", secdir, name);
}

static void sec_write(const char *name, const char *text, int mode)
{
    char *p = sec_path(name);
    FILE *f = fopen(p, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    chmod(p, (mode_t)mode);
    free(p);
}

/* http_settings_finish with token_file = name in secdir (or an env var); the cause or NULL. */
static char *bearer_from(const char *key, const char *value, char **secret)
{
    struct http_settings s;
    http_settings_init(&s);
    char *cause = NULL;
    char *v = strcmp(key, "token_file") == 0 ? sec_path(value) : xstrdup(value);
    http_settings_configure(&s, "url", "http://127.0.0.1:9", &cause);
    http_settings_configure(&s, "auth", "bearer", &cause);
    http_settings_configure(&s, key, v, &cause);
    free(v);
    if (http_settings_finish(&s, 1000, &cause) && secret != NULL) {
        *secret = xstrdup(s.secret);
    }
    http_settings_free(&s);
    return cause;
}

static bool has(const char *cause, const char *a, const char *b)
{
    return cause != NULL && strstr(cause, a) != NULL && (b == NULL || strstr(cause, b) != NULL);
}

/* Token files: no header injection, no empty token, symlinks as Kubernetes mounts them. */
static void test_secret_files(void)
{
    if (mkdtemp(secdir) == NULL) {
        tap_ok(false, "mkdtemp");
        return;
    }
    char *secret = NULL;
    char *cause;

    sec_write("crlf", "tok-1\r\nX-Injected: yes\n", 0600);
    cause = bearer_from("token_file", "crlf", NULL);
    tap_ok(has(cause, "crlf", "line break"), "a token file with CR/LF inside is refused (%s)",
           cause ? cause : "accepted");
    free(cause);
    sec_write("ctl", "tok\001x\n", 0600);
    cause = bearer_from("token_file", "ctl", NULL);
    tap_ok(has(cause, "control character", NULL), "so is one with another control byte");
    free(cause);
    sec_write("empty", "\n", 0600);
    cause = bearer_from("token_file", "empty", NULL);
    tap_ok(has(cause, "empty", "is empty"), "an empty token file is refused (%s)",
           cause ? cause : "accepted: would send 'Bearer '");
    free(cause);
    setenv("OPSDECK_TEST_TOKEN", "tok\nX-Injected: yes", 1);
    cause = bearer_from("token_env", "OPSDECK_TEST_TOKEN", NULL);
    tap_ok(has(cause, "OPSDECK_TEST_TOKEN", "line break"), "so is a token env var with a LF");
    free(cause);
    unsetenv("OPSDECK_TEST_TOKEN");

    /* as a Kubernetes projected volume: token -> ..data/token, ..data -> ..2026_01_01/ */
    char *real = sec_path("..2026_01_01");
    mkdir(real, 0700);
    free(real);
    sec_write("..2026_01_01/token", "tok-k8s\n", 0400);
    char *data = sec_path("..data");
    char *link = sec_path("token");
    tap_ok(symlink("..2026_01_01", data) == 0 && symlink("..data/token", link) == 0,
           "a token mounted through two symlinks");
    cause = bearer_from("token_file", "token", &secret);
    tap_ok(cause == NULL && secret != NULL && strcmp(secret, "tok-k8s") == 0,
           "is read through them (%s)", cause ? cause : "ok");
    free(cause);
    free(secret);
    secret = NULL;
    char *target = sec_path("..2026_01_01/token");
    chmod(target, 0644);
    cause = bearer_from("token_file", "token", NULL);
    tap_ok(has(cause, "a symlink to ", "..2026_01_01/token") && has(cause, "chmod 600", NULL),
           "a symlink to a readable file names the target to fix (%s)", cause ? cause : "");
    free(cause);
    unlink(target);
    cause = bearer_from("token_file", "token", NULL);
    tap_ok(has(cause, "symlink", "does not exist"), "a dangling symlink says so (%s)",
           cause ? cause : "");
    free(cause);
    char *dirlink = sec_path("dirlink");
    tap_ok(symlink(secdir, dirlink) == 0, "a symlink to a directory");
    cause = bearer_from("token_file", "dirlink", NULL);
    tap_ok(has(cause, "not a regular file", NULL), "is refused: not a regular file");
    free(cause);
    char *loop1 = sec_path("loop");
    tap_ok(symlink("loop", loop1) == 0, "a symlink loop");
    cause = bearer_from("token_file", "loop", NULL);
    tap_ok(has(cause, "loop", "symbolic links"), "is refused, naming the problem (%s)",
           cause ? cause : "");
    free(cause);

    char *rm = xasprintf("rm -rf '%s'", secdir);
    tap_ok(system(rm) == 0, "secret files removed");
    free(rm);
    free(loop1);
    free(dirlink);
    free(target);
    free(data);
    free(link);
}

/*
 * A backend that fetches: each poll begins, and a loop timer ends it took_ms
 * later, with a 503 (fail) or a success; like most HTTP backends it ends the
 * poll first and says the health right after.
 */
enum { MAX_STARTS = 64 };
static struct fetch {
    struct loop *loop;
    bool fail;
    uint64_t took_ms;
    uint64_t retry_after_ms;
    struct loop_timer *t; /* the fetch in flight */
    int n;                /* polls begun */
    int skipped;          /* polls skipped: a fetch was in flight */
    uint64_t start[MAX_STARTS];
    uint64_t end[MAX_STARTS];
    bool asked[MAX_STARTS];
} ff;

static void fetch_done(void *ud)
{
    struct backend *b = ud;
    ff.t = NULL;
    if (ff.n <= MAX_STARTS) {
        ff.end[ff.n - 1] = clock_mono_ms();
    }
    b->retry_after_ms = ff.retry_after_ms;
    backend_poll_end(b);
    if (ff.fail) {
        backend_fail(b, "HTTP 503");
    } else {
        backend_ok(b);
    }
}

static void fetch_poll(struct backend *b)
{
    if (!backend_poll_begin(b)) {
        ff.skipped++;
        return;
    }
    if (ff.n < MAX_STARTS) {
        ff.start[ff.n] = clock_mono_ms();
        ff.asked[ff.n] = b->poll_asked;
    }
    ff.n++;
    ff.t = loop_timer_add(ff.loop, ff.took_ms, 0, fetch_done, b);
}

static void fetch_destroy(struct backend *b)
{
    (void)b;
    if (ff.t != NULL) {
        loop_timer_cancel(ff.loop, ff.t);
        ff.t = NULL;
    }
}

static const struct backend_impl fetch_impl = {
    .type = "fetch",
    .kinds = 1u << MODEL_POOLS,
    .poll = fetch_poll,
    .destroy = fetch_destroy,
};

/* Run the loop until n polls have begun, or max_ms passed. */
static void run_until_polls(int n, uint64_t max_ms)
{
    uint64_t end = clock_mono_ms() + max_ms;
    while (ff.n < n && clock_mono_ms() < end) {
        loop_run_once(ff.loop, 5);
    }
}

static void run_for(uint64_t ms)
{
    uint64_t end = clock_mono_ms() + ms;
    while (clock_mono_ms() < end) {
        loop_run_once(ff.loop, (int)(end - clock_mono_ms()));
    }
}

static struct backend *fetch_backend(struct store *st, int refresh_ms, uint64_t cap_ms)
{
    memset(&ff, 0, sizeof ff);
    ff.loop = loop_create();
    struct backend *b = backend_create(&fetch_impl, "am", st, ff.loop);
    b->refresh_ms = refresh_ms; /* below the 1 s a config allows: a fast test */
    b->sched.cap_ms = cap_ms;
    char *cause = NULL;
    tap_ok(backend_start(b, &cause), "the fetching backend starts");
    free(cause);
    return b;
}

static void fetch_free(struct backend *b)
{
    backend_destroy(b);
    loop_destroy(ff.loop);
    ff.loop = NULL;
}

enum { SLACK_MS = 80 }; /* the loop's lateness a busy (sanitizer) host may add */

static void test_backoff(struct store *st)
{
    const uint64_t refresh = 40, cap = 600;
    struct backend *b = fetch_backend(st, (int)refresh, cap);
    ff.fail = true;
    run_until_polls(9, 8000);
    tap_is_int(ff.n, 9, "nine failing polls ran");
    bool within = true;
    uint64_t longest = 0;
    for (int k = 1; k < ff.n && k < MAX_STARTS; k++) {
        /* after k failures: a random time in [refresh, min(cap, refresh * 2^k)] */
        uint64_t gap = ff.start[k] - ff.start[k - 1];
        uint64_t ceiling = refresh << k < cap ? refresh << k : cap;
        if (gap + 2 < refresh || gap > ceiling + SLACK_MS) {
            within = false;
            tap_diag("after %d failures: %llu ms, want [%llu, %llu]", k, (unsigned long long)gap,
                     (unsigned long long)refresh, (unsigned long long)ceiling);
        }
        longest = gap > longest ? gap : longest;
    }
    tap_ok(within, "every gap after k failures is within [refresh, min(cap, refresh*2^k)]");
    tap_ok(longest > 3 * refresh, "and the gaps grow: the longest was %llu ms (refresh %llu)",
           (unsigned long long)longest, (unsigned long long)refresh);
    tap_ok(b->sched.failures >= 8, "the schedule counts consecutive failures (%u)",
           b->sched.failures);
    tap_ok(!ff.asked[1] && !ff.asked[5], "timed polls are not asked for");

    ff.fail = false;
    int n = ff.n;
    run_until_polls(n + 3, 4000);
    tap_is_int(b->sched.failures, 0, "a success resets the failures");
    uint64_t gap = ff.start[n + 2] - ff.start[n + 1];
    tap_ok(gap + 2 >= refresh && gap <= refresh + SLACK_MS,
           "and the next poll is a refresh later again (%llu ms)", (unsigned long long)gap);
    char buf[256];
    backend_health_text(b, loop_now_ms(ff.loop), buf, sizeof buf);
    tap_is_str(buf, "ok", "healthy at the refresh: plain ok");
    fetch_free(b);
}

static void test_slow_and_retry_after(struct store *st)
{
    /* a poll of 60 ms at a 40 ms refresh: the next starts 5 x 60 = 300 ms after */
    struct backend *b = fetch_backend(st, 40, 2000);
    ff.took_ms = 60;
    run_until_polls(3, 4000);
    uint64_t gap = ff.start[2] - ff.start[1];
    uint64_t took = ff.end[1] - ff.start[1]; /* 60 ms, or more on a busy host */
    tap_ok(gap + 2 >= 60 * POLL_LOAD_FACTOR && gap <= took * POLL_LOAD_FACTOR + SLACK_MS,
           "a slow backend is polled every %d x its answer time (%llu ms after a %llu ms poll)",
           POLL_LOAD_FACTOR, (unsigned long long)gap, (unsigned long long)took);
    tap_ok(b->interval_ms >= 300, "the interval is kept for the health (%llu ms)",
           (unsigned long long)b->interval_ms);
    tap_ok(!backend_is_stale(b, b->last_ok_ms + 3 * 300 - 10),
           "and staleness counts that interval, not the refresh");
    fetch_free(b);

    /* a 503 with Retry-After: 500 ms is a floor */
    b = fetch_backend(st, 40, 2000);
    ff.fail = true;
    ff.retry_after_ms = 500;
    run_until_polls(3, 4000);
    gap = ff.start[2] - ff.start[1];
    tap_ok(gap + 2 >= 500 && gap <= 2000 + SLACK_MS, "Retry-After is a floor (%llu ms)",
           (unsigned long long)gap);
    tap_is_int((long long)b->retry_after_ms, 0, "and it is cleared once counted");
    fetch_free(b);
}

static void test_poll_now(struct store *st)
{
    struct backend *b = fetch_backend(st, 40, 60000);
    ff.fail = true;
    ff.retry_after_ms = 30000; /* the next timed poll is 30 s away */
    run_until_polls(1, 2000);
    run_for(30);
    char buf[256];
    backend_health_text(b, loop_now_ms(ff.loop), buf, sizeof buf);
    tap_is_str(buf, "error: HTTP 503, next try in 30s", "the health says when the next try is");
    tap_ok(b->next_poll_ms > loop_now_ms(ff.loop) + 29000, "the timer is 30 s ahead");

    uint64_t asked_at = clock_mono_ms();
    backend_poll_now(b);
    run_until_polls(2, 2000);
    tap_is_int(ff.n, 2, "poll now during the backoff polls");
    tap_ok(ff.start[1] - asked_at <= SLACK_MS, "at once (%llu ms)",
           (unsigned long long)(ff.start[1] - asked_at));
    tap_ok(ff.asked[1], "that poll is asked for (poll_asked)");
    run_for(150);
    tap_is_int(ff.n, 2, "and no second timer polls after it");
    tap_ok(!b->poll_asked, "the timed schedule is back: poll_asked is cleared");

    /* asked twice while a fetch is in flight: one more poll, right after it */
    ff.took_ms = 60;
    backend_poll_now(b);
    run_until_polls(3, 2000);
    backend_poll_now(b);
    backend_poll_now(b);
    backend_poll_now(b);
    run_for(250);
    tap_is_int(ff.n, 4, "asks during a fetch give one poll after it");
    tap_is_int(ff.skipped, 0, "and no poll was tried while one was in flight");
    tap_ok(ff.start[3] - ff.start[2] <= 60 + SLACK_MS, "right after it ended (%llu ms)",
           (unsigned long long)(ff.start[3] - ff.start[2]));
    run_for(200);
    tap_is_int(ff.n, 4, "then the backoff holds again");

    /* destroyed in backoff, and with a fetch in flight: nothing fires after */
    fetch_free(b);
    b = fetch_backend(st, 40, 60000);
    ff.took_ms = 100;
    run_until_polls(1, 2000);
    tap_ok(ff.t != NULL, "a fetch is in flight");
    backend_destroy(b);
    run_for(150);
    tap_is_int(ff.n, 1, "destroyed mid-fetch: no poll after");
    loop_destroy(ff.loop);
}

static int demo_polls;

static void beginless_poll(struct backend *b)
{
    demo_polls++;
    fake_poll(b);
}

static const struct backend_impl beginless_impl = {
    .type = "beginless",
    .kinds = 1u << MODEL_POOLS,
    .poll = beginless_poll,
};

static void test_beginless(struct store *st)
{
    struct loop *loop = loop_create();
    struct backend *b = backend_create(&beginless_impl, "demo", st, loop);
    b->refresh_ms = 50;
    char *cause = NULL;
    backend_start(b, &cause);
    uint64_t end = clock_mono_ms() + 520;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(demo_polls >= 8 && demo_polls <= 12,
           "a backend that never begins a fetch is polled every refresh (%d in 520 ms at 50)",
           demo_polls);
    tap_ok(b->next_poll_ms != 0, "its timer is always armed");
    backend_destroy(b);
    loop_destroy(loop);
}

static void test_health_texts(struct store *st)
{
    struct backend *b = backend_create(&fake_impl, "am", st, NULL);
    char buf[256];
    fake_impl.poll(b); /* ok at t */
    uint64_t t = b->last_ok_ms;
    b->interval_ms = 15000; /* a slow backend: polled every 15 s at a 2 s refresh */
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "ok, every 15s (slow answers)", "a stretched interval is said");
    tap_ok(!backend_is_stale(b, t + 40000), "not stale within three such intervals");
    b->interval_ms = 2300;
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "ok", "a stretch under a second is not");
    backend_fail(b, "HTTP 503");
    b->sched.failures = 3;
    b->next_poll_ms = t + 24000;
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "error: HTTP 503, next try in 23s (data 1s old)",
               "an error says the next try and the data's age");
    b->next_poll_ms = t + 200000;
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "error: HTTP 503, next try in 3m (data 1s old)", "in minutes past one");
    b->next_poll_ms = 0;
    b->polling = true;
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "error: HTTP 503, retrying now (data 1s old)", "while it tries again");
    b->polling = false;

    /* a cluster says each down member's next try */
    struct backend *m2 = backend_create(&fake_impl, "am2", st, NULL);
    char *cause = NULL;
    backend_configure(b, "cluster", "am-eu", &cause);
    backend_configure(m2, "cluster", "am-eu", &cause);
    struct backend *pair[2] = {b, m2};
    tap_ok(backend_join_clusters(pair, 2, &cause), "a cluster of two");
    fake_impl.poll(m2);
    b->next_poll_ms = t + 24000;
    cluster_health_text(b->cluster, t + 1000, buf, sizeof buf);
    tap_is_str(buf, "1 of 2 members down: am: HTTP 503, next try in 23s",
               "the cluster's health says when the member down is tried next");
    backend_destroy(m2);
    backend_health_text(b, t + 1000, buf, sizeof buf);
    tap_ok(strstr(buf, "next try in 23s") != NULL, "and the member's own health too");

    tap_ok(backend_configure(b, "backoff_cap", "5m", &cause) && b->sched.cap_ms == 300000,
           "backoff_cap 5m");
    tap_ok(!backend_configure(b, "backoff_cap", "2h", &cause), "backoff_cap over 1h is refused");
    tap_ok(cause != NULL && strstr(cause, "at most 1h") != NULL, "saying the limit");
    free(cause);
    cause = NULL;
    tap_ok(backend_configure(b, "refresh", "10s", &cause) && b->sched.refresh_ms == 10000,
           "refresh goes to the schedule");
    backend_configure(b, "backoff_cap", "5s", &cause);
    tap_ok(!backend_validate(b, &cause), "a cap shorter than the refresh is refused at start");
    tap_ok(cause != NULL && strstr(cause, "shorter than refresh") != NULL, "naming both");
    free(cause);
    backend_destroy(b);
}

int main(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&fake_impl, "lb1", st, NULL);
    char *cause = NULL;
    char buf[256];

    tap_ok(backend_configure(b, "refresh", "5s", &cause) && b->refresh_ms == 5000, "refresh 5s");
    tap_ok(backend_configure(b, "timeout", "1m", &cause) && b->timeout_ms == 60000, "timeout 1m");
    tap_ok(backend_configure(b, "refresh", "100", &cause), "refresh 100 s is accepted");
    tap_ok(!backend_configure(b, "refresh", "0", &cause), "refresh 0 is refused");
    tap_ok(cause != NULL && str_casestr(cause, "bad duration '0'") != NULL, "naming the value");
    free(cause);
    cause = NULL;
    backend_configure(b, "refresh", "2s", &cause);
    tap_ok(backend_configure(b, "actions", "off", &cause) && !b->actions_enabled, "actions off");
    tap_ok(!backend_configure(b, "actions", "maybe", &cause), "actions maybe is refused");
    free(cause);
    cause = NULL;
    tap_ok(!backend_configure(b, "url", "http://x", &cause), "impl keys go to the impl");
    tap_is_str(cause, "unknown key 'url' for a fake backend", "and its message comes back");
    free(cause);
    cause = NULL;

    backend_health_text(b, 1000, buf, sizeof buf);
    tap_is_str(buf, "starting", "health before any data");
    tap_ok(backend_start(b, &cause), "start without a loop");
    fake_impl.poll(b);
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 1, "publish lands in the store");
    uint64_t t0 = b->last_ok_ms;
    backend_health_text(b, t0 + 1000, buf, sizeof buf);
    tap_is_str(buf, "ok", "fresh data is ok");
    tap_ok(!backend_is_stale(b, t0 + 6000), "not stale within three refreshes");
    backend_health_text(b, t0 + 42000, buf, sizeof buf);
    tap_is_str(buf, "stale 42s", "stale after three refreshes, with the age");
    backend_fail(b, "connection refused");
    backend_health_text(b, t0 + 5000, buf, sizeof buf);
    tap_is_str(buf, "error: connection refused (data 5s old)", "an error keeps the data's age");
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 1, "the last good rows stay");
    fake_impl.poll(b);
    backend_health_text(b, b->last_ok_ms, buf, sizeof buf);
    tap_is_str(buf, "ok", "recovery clears the error");

    b->tls_unverified = true;
    backend_health_text(b, b->last_ok_ms, buf, sizeof buf);
    tap_is_str(buf, "ok (TLS unverified)", "insecure TLS is always said");

    /* one fetch at a time; a refresh asked for meanwhile runs when it ends */
    uint64_t polls = b->polls;
    tap_ok(backend_poll_begin(b), "a poll may begin");
    tap_ok(!backend_poll_begin(b), "a second may not while the first is in flight");
    backend_poll_now(b);
    tap_is_int((long long)(b->polls - polls), 0, "a refresh during a fetch waits for it");
    backend_poll_end(b);
    tap_is_int((long long)(b->polls - polls), 1, "and runs when the fetch ends");
    backend_poll_end(b);
    tap_is_int((long long)(b->polls - polls), 1, "once");
    backend_poll_now(b);
    tap_is_int((long long)(b->polls - polls), 2, "with nothing in flight, a refresh polls at once");
    tap_ok(backend_poll_begin(b), "and nothing is left in flight after");
    backend_poll_end(b);

    tap_ok(backend_impl_find("demo") != NULL, "demo is registered");
    tap_ok(backend_impl_find("nosuch") == NULL, "unknown types are not");
    backend_destroy(b);
    backend_destroy(NULL);
    test_health_texts(st);
    test_backoff(st);
    test_slow_and_retry_after(st);
    test_poll_now(st);
    test_beginless(st);
    store_destroy(st);
    test_secret_files();
    return tap_done();
}
