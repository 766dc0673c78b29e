/*
 * The poll and retry policy (backends/pollpolicy.h), one function at a time:
 * the backoff's bounds and cap, the first success restoring the refresh, the
 * Retry-After floor, the load factor, the retry budget over a minute (slot
 * rollover, the cap at a tenth of the recent first attempts), the transport
 * retry's jitter, the secondary cadence and the p95 window. The fleet on a
 * fake clock is tests/unit/test_pollsim.c.
 */
#include "../../backends/pollpolicy.h"
#include "tap.h"

#include <stdint.h>

static struct poll_sched sched(uint64_t refresh, uint64_t cap)
{
    struct poll_sched s = {0};
    s.refresh_ms = refresh;
    s.cap_ms = cap;
    return s;
}

static const struct poll_outcome OK_FAST = {true, 100, 0};
static const struct poll_outcome FAILED_FAST = {false, 100, 0};

/* A cheap deterministic sequence of "random" numbers for the sweeps. */
static uint64_t next_rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_success(void)
{
    struct poll_sched s = sched(2000, 60000);
    uint64_t d = poll_next_delay(&s, &OK_FAST, 12345);
    tap_is_int((long long)d, 1900,
               "success: the next poll starts a refresh after this one's start");
    tap_is_int(s.failures, 0, "success: no failure counted");
    struct poll_outcome slow_ok = {true, 2500, 0};
    tap_is_int(
        (long long)poll_interval(&s, &slow_ok, 0), 2500 * POLL_LOAD_FACTOR,
        "success: a 2.5 s poll stretches the interval to POLL_LOAD_FACTOR times its duration");
    tap_is_int((long long)poll_next_delay(&s, &slow_ok, 0), 2500 * (POLL_LOAD_FACTOR - 1),
               "success: the delay is counted from the poll's end");
    /* a fast failure after a slow success: the slow answer's cost still counts */
    struct poll_outcome fast_fail = {false, 5, 0};
    tap_is_int((long long)poll_next_delay(&s, &fast_fail, 0), 2500 * POLL_LOAD_FACTOR - 5,
               "failure: a 5 ms 503 after a 2.5 s good poll waits as the good poll's load says");
    struct poll_outcome long_ok = {true, 70000, 0};
    tap_is_int((long long)poll_interval(&s, &long_ok, 0), 60000,
               "load: a poll longer than cap / 5 is followed at the cap");
    tap_is_int((long long)poll_next_delay(&s, &long_ok, 0), 0,
               "load: a poll longer than the cap is followed at once, never a wrap-around");
    struct poll_sched z = sched(0, 0);
    tap_is_int((long long)poll_interval(&z, &OK_FAST, 0), 1,
               "a zero refresh and cap: 1 ms (the cap is at least the refresh, at least 1 ms)");
}

static void test_backoff(void)
{
    const uint64_t refresh = 2000, cap = 60000;
    bool bounded = true, reaches_low = true, reaches_high = true;
    for (unsigned k = 1; k <= 40; k++) {
        struct poll_sched s = sched(refresh, cap);
        s.failures = k - 1;
        struct poll_sched lo = s, hi = s;
        uint64_t ceiling = k >= 5 ? cap : refresh << k;
        if (ceiling > cap) {
            ceiling = cap;
        }
        uint64_t x = 0x9e3779b97f4a7c15ull + k;
        for (int i = 0; i < 2000; i++) {
            struct poll_sched t = s;
            uint64_t d = poll_next_delay(&t, &FAILED_FAST, next_rnd(&x));
            uint64_t interval = d + FAILED_FAST.duration_ms;
            if (interval < refresh || interval > ceiling || t.failures != k) {
                bounded = false;
                tap_diag("k=%u: interval %llu not in [%llu, %llu]", k, (unsigned long long)interval,
                         (unsigned long long)refresh, (unsigned long long)ceiling);
                break;
            }
        }
        /* rnd 0 is the refresh; rnd = the span is the ceiling itself */
        if (poll_next_delay(&lo, &FAILED_FAST, 0) + 100 != refresh) {
            reaches_low = false;
        }
        if (poll_next_delay(&hi, &FAILED_FAST, ceiling - refresh) + 100 != ceiling) {
            reaches_high = false;
        }
    }
    tap_ok(bounded, "backoff: after k failures the interval is in [refresh, min(cap, refresh*2^k)] "
                    "(k = 1..40, 2000 draws each)");
    tap_ok(reaches_low && reaches_high, "backoff: full jitter reaches both ends of the range");

    /* the jitter is spread: the mean of many draws at the cap is near the middle */
    struct poll_sched s = sched(refresh, cap);
    s.failures = 20;
    uint64_t x = 42, sum = 0;
    for (int i = 0; i < 10000; i++) {
        struct poll_sched t = s;
        sum += poll_next_delay(&t, &FAILED_FAST, next_rnd(&x)) + 100;
    }
    uint64_t mean = sum / 10000;
    tap_ok(mean > 29000 && mean < 33000, "backoff: the jitter is uniform (mean %llu ms at the cap)",
           (unsigned long long)mean);

    /* the first success restores the refresh */
    s.failures = 7;
    tap_is_int((long long)poll_next_delay(&s, &OK_FAST, UINT64_MAX) + 100, (long long)refresh,
               "backoff: the first success restores the refresh");
    tap_is_int(s.failures, 0, "backoff: and clears the failures");

    /* a cap below the refresh: the refresh wins, never below it */
    struct poll_sched low = sched(5000, 1000);
    low.failures = 3;
    tap_is_int((long long)poll_next_delay(&low, &FAILED_FAST, UINT64_MAX) + 100, 5000,
               "backoff: a cap under the refresh means the refresh");
    /* failures never wrap */
    struct poll_sched many = sched(refresh, cap);
    many.failures = UINT32_MAX;
    uint64_t d = poll_next_delay(&many, &FAILED_FAST, UINT64_MAX);
    tap_ok(many.failures == UINT32_MAX && d + 100 <= cap && d + 100 >= refresh,
           "backoff: the failure count saturates, the interval stays within the cap");
}

static void test_retry_after(void)
{
    struct poll_sched s = sched(2000, 60000);
    struct poll_outcome o = {false, 300, 30000};
    uint64_t d = poll_next_delay(&s, &o, 0);
    tap_is_int((long long)d, 30000, "Retry-After: 30 s is the floor of the delay after the answer");
    struct poll_outcome far = {false, 300, 3600000};
    tap_is_int((long long)poll_next_delay(&s, &far, 0), 60000,
               "Retry-After: an hour is held to the cap");
    struct poll_outcome small = {true, 100, 500};
    struct poll_sched t = sched(2000, 60000);
    tap_is_int((long long)poll_next_delay(&t, &small, 0), 1900,
               "Retry-After: a floor under the refresh changes nothing");
}

static void test_budget_basic(void)
{
    struct retry_budget rb;
    retry_budget_init(&rb);
    tap_ok(rb.tokens == 1.0, "budget: a fresh budget holds one token");
    retry_budget_sent(&rb, 1000);
    tap_ok(retry_budget_take(&rb, 1100), "budget: the fresh token allows one retry");
    tap_ok(!retry_budget_take(&rb, 1200), "budget: and no second");
    tap_ok(rb.retries == 1 && rb.refused == 1, "budget: retries 1, refused 1");

    /* 100 first attempts answered well in the last minute: about 10 tokens, never more */
    retry_budget_init(&rb);
    for (int i = 0; i < 100; i++) {
        retry_budget_sent(&rb, 20000 + (uint64_t)i * 100);
        retry_budget_success(&rb, 20000 + (uint64_t)i * 100);
    }
    tap_ok(rb.tokens > 9.99 && rb.tokens <= 10.0 + 1e-9,
           "budget: 100 successes leave about 10 tokens (%.2f)", rb.tokens);
    int taken = 0;
    while (retry_budget_take(&rb, 31000)) {
        taken++;
    }
    tap_is_int(taken, 10, "budget: 10 retries after 100 good first attempts");

    /* successes over the cap: the bucket stays at a tenth of the recent first attempts */
    retry_budget_init(&rb);
    for (int i = 0; i < 30; i++) {
        retry_budget_sent(&rb, 5000);
    }
    for (int i = 0; i < 200; i++) {
        retry_budget_success(&rb, 5000);
    }
    tap_ok(rb.tokens <= 3.0 + 1e-9,
           "budget: tokens capped at 10%% of 30 recent first attempts (%.2f)", rb.tokens);
}

static void test_budget_window(void)
{
    struct retry_budget rb;
    retry_budget_init(&rb);
    /* 50 first attempts in the slot [0, 10 s), 30 in [30 s, 40 s) */
    for (int i = 0; i < 50; i++) {
        retry_budget_sent(&rb, 1000);
    }
    for (int i = 0; i < 30; i++) {
        retry_budget_sent(&rb, 35000);
    }
    tap_is_int(retry_budget_recent(&rb, 59999), 80, "window: all 80 within the minute at 59.999 s");
    tap_is_int(retry_budget_recent(&rb, 60000), 30, "window: the first slot leaves at 60 s");
    tap_is_int(retry_budget_recent(&rb, 89999), 30, "window: the 35 s slot stays until 90 s");
    tap_is_int(retry_budget_recent(&rb, 90000), 0, "window: and leaves at 90 s");
    /* a long silence clears everything, whatever the gap */
    for (int i = 0; i < 7; i++) {
        retry_budget_sent(&rb, 100000 + (uint64_t)i * 10000);
    }
    tap_is_int(retry_budget_recent(&rb, 165000), 6, "window: one per slot, six slots kept");
    tap_is_int(retry_budget_recent(&rb, 10000000), 0, "window: a gap of hours clears every slot");
    /* a clock that goes back (never on a monotonic clock) does not clear or crash */
    retry_budget_sent(&rb, 10000000);
    tap_is_int(retry_budget_recent(&rb, 5000), 1, "window: an earlier now keeps the counts");

    /* tokens earned in a busy minute shrink to the quieter minute's cap */
    retry_budget_init(&rb);
    for (int i = 0; i < 100; i++) {
        retry_budget_sent(&rb, 1000);
        retry_budget_success(&rb, 1000);
    }
    for (int i = 0; i < 20; i++) {
        retry_budget_sent(&rb, 65000);
    }
    int taken = 0;
    while (retry_budget_take(&rb, 66000)) {
        taken++;
    }
    tap_is_int(taken, 2, "window: 10 tokens from a busy minute give 2 retries when 20 are recent");
    /* no first attempts at all: one retry still allowed (at least one token) */
    retry_budget_init(&rb);
    rb.tokens = 5.0;
    tap_ok(retry_budget_take(&rb, 500000) && !retry_budget_take(&rb, 500000),
           "window: a quiet minute caps the bucket at one token");
}

static void test_budget_ratio(void)
{
    /*
     * A server failing every other first attempt and every retry, for ten
     * minutes at one first attempt a second; each failure asks for 2 retries.
     * In every whole minute the retries stay within a tenth of that minute's
     * first attempts plus one token.
     */
    struct retry_budget rb;
    retry_budget_init(&rb);
    unsigned firsts = 0, retries = 0, minute_firsts = 0, minute_retries = 0, worst = 0;
    bool within = true;
    for (uint64_t t = 0; t < 600000; t += 1000) {
        if (t % 60000 == 0 && t > 0) {
            if (minute_retries > minute_firsts / 10 + 1) {
                within = false;
            }
            worst = minute_retries > worst ? minute_retries : worst;
            minute_firsts = minute_retries = 0;
        }
        retry_budget_sent(&rb, t);
        firsts++;
        minute_firsts++;
        if ((t / 1000) % 2 == 0) {
            retry_budget_success(&rb, t);
            continue;
        }
        for (int a = 0; a < 2 && retry_budget_take(&rb, t + 10); a++) {
            retries++;
            minute_retries++;
        }
    }
    tap_ok(within,
           "budget: at most 10%% + 1 retries in every minute (worst %u for 60 first "
           "attempts)",
           worst);
    tap_ok(retries <= firsts / 10 + 1 && retries >= firsts / 20 - 1,
           "budget: %u retries for %u first attempts: within 10%%, and used (about 5%%)", retries,
           firsts);

    /* all failing: only the fresh token is ever spent */
    retry_budget_init(&rb);
    retries = 0;
    for (uint64_t t = 0; t < 600000; t += 1000) {
        retry_budget_sent(&rb, t);
        retries += retry_budget_take(&rb, t + 10) ? 1 : 0;
    }
    tap_is_int(retries, 1, "budget: against a server that always fails, one retry in 10 minutes");
}

static void test_retry_delay(void)
{
    uint64_t want[] = {250, 500, 1000, 2000, 2000};
    bool ok = true;
    for (unsigned a = 0; a < 5; a++) {
        uint64_t x = 7 + a;
        for (int i = 0; i < 1000; i++) {
            if (retry_delay(a, next_rnd(&x)) > want[a]) {
                ok = false;
            }
        }
        if (retry_delay(a, want[a]) != want[a] || retry_delay(a, 0) != 0) {
            ok = false;
        }
    }
    tap_ok(ok, "retry_delay: full jitter in [0, 250 ms << attempt], both ends reached");
    tap_ok(retry_delay(100, UINT64_MAX) <= 2000 && retry_delay(16, 2000) == 2000,
           "retry_delay: capped at 2 s for any attempt, no shift overflow");
}

static void test_secondary(void)
{
    tap_ok(poll_secondary_due(0, 5, 2000), "secondary: never read: due");
    tap_ok(!poll_secondary_due(1000, 10999, 2000), "secondary: not before 5 intervals");
    tap_ok(poll_secondary_due(1000, 11000, 2000), "secondary: due at 5 intervals");
}

static void test_p95(void)
{
    struct latency_window w = {0};
    for (int i = 1; i < POLL_HEDGE_MIN_SAMPLES; i++) {
        latency_add(&w, 100);
    }
    tap_is_int((long long)latency_p95(&w), 0, "p95: 0 while fewer than the minimum samples");
    latency_add(&w, 100);
    tap_is_int((long long)latency_p95(&w), 100, "p95: known at the minimum");

    struct latency_window v = {0};
    for (int i = 20; i >= 1; i--) {
        latency_add(&v, (uint64_t)i * 10);
    }
    tap_is_int((long long)latency_p95(&v), 190, "p95: nearest rank of 10..200 is 190");
    /* the window keeps the last 32: 100 slow then 32 fast answers forget the slow ones */
    struct latency_window u = {0};
    for (int i = 0; i < 100; i++) {
        latency_add(&u, 5000);
    }
    for (int i = 0; i < POLL_LATENCY_WINDOW; i++) {
        latency_add(&u, 50);
    }
    tap_is_int((long long)latency_p95(&u), 50, "p95: the window keeps only the last 32 answers");
    latency_add(&u, 9000);
    latency_add(&u, 8000);
    tap_is_int((long long)latency_p95(&u), 8000, "p95: 2 slow in 32 is the 95th percentile");
    latency_add(&u, UINT64_MAX);
    tap_ok(u.n == POLL_LATENCY_WINDOW && latency_p95(&u) == 9000,
           "p95: a huge time is clamped, the count stays at the window");
}

int main(void)
{
    test_success();
    test_backoff();
    test_retry_after();
    test_budget_basic();
    test_budget_window();
    test_budget_ratio();
    test_retry_delay();
    test_secondary();
    test_p95();
    return tap_done();
}
