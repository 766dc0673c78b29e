/*
 * The poll and retry policy (pollpolicy.h): arithmetic only, so a fake clock
 * can run it for a whole fleet of consoles.
 */
#include "pollpolicy.h"

#include <string.h>

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t poll_interval(const struct poll_sched *s, const struct poll_outcome *o, uint64_t rnd)
{
    uint64_t refresh = s->refresh_ms > 0 ? s->refresh_ms : 1;
    uint64_t cap = max_u64(s->cap_ms, refresh);
    uint64_t interval = refresh;
    if (!o->ok && s->failures > 0) {
        /* full jitter between the refresh and min(cap, refresh * 2^k) */
        uint64_t ceiling = s->failures >= 32 || refresh > (cap >> s->failures)
                               ? cap
                               : min_u64(cap, refresh << s->failures);
        interval = refresh + rnd % (ceiling - refresh + 1);
    }
    /* in flight at most 1/POLL_LOAD_FACTOR of the time, up to the cap */
    uint64_t busy = o->ok ? o->duration_ms : s->good_ms;
    interval = max_u64(interval, min_u64(busy * POLL_LOAD_FACTOR, cap));
    if (o->retry_after_ms > 0) {
        interval = max_u64(interval, o->duration_ms + min_u64(o->retry_after_ms, cap));
    }
    return interval;
}

uint64_t poll_next_delay(struct poll_sched *s, const struct poll_outcome *o, uint64_t rnd)
{
    if (o->ok) {
        s->failures = 0;
        s->good_ms = o->duration_ms;
    } else if (s->failures < UINT32_MAX) {
        s->failures++;
    }
    uint64_t interval = poll_interval(s, o, rnd);
    return interval > o->duration_ms ? interval - o->duration_ms : 0;
}

void retry_budget_init(struct retry_budget *rb)
{
    memset(rb, 0, sizeof *rb);
    rb->tokens = 1.0;
}

/* Bring the slots up to now: the counts of slots that left the last minute go. */
static void advance(struct retry_budget *rb, uint64_t now_ms)
{
    uint64_t slot = now_ms / POLL_BUDGET_SLOT_MS;
    if (slot <= rb->slot) {
        return;
    }
    uint64_t gone = slot - rb->slot;
    for (uint64_t i = 1; i <= gone && i <= POLL_BUDGET_SLOTS; i++) {
        rb->sent[(rb->slot + i) % POLL_BUDGET_SLOTS] = 0;
    }
    rb->slot = slot;
}

uint32_t retry_budget_recent(struct retry_budget *rb, uint64_t now_ms)
{
    advance(rb, now_ms);
    uint32_t n = 0;
    for (int i = 0; i < POLL_BUDGET_SLOTS; i++) {
        n += rb->sent[i];
    }
    return n;
}

static double cap_tokens(struct retry_budget *rb, uint64_t now_ms)
{
    double cap = POLL_BUDGET_RATIO * (double)retry_budget_recent(rb, now_ms);
    return cap > 1.0 ? cap : 1.0;
}

void retry_budget_sent(struct retry_budget *rb, uint64_t now_ms)
{
    advance(rb, now_ms);
    if (rb->sent[rb->slot % POLL_BUDGET_SLOTS] < UINT32_MAX) {
        rb->sent[rb->slot % POLL_BUDGET_SLOTS]++;
    }
}

void retry_budget_success(struct retry_budget *rb, uint64_t now_ms)
{
    double cap = cap_tokens(rb, now_ms);
    rb->tokens += POLL_BUDGET_RATIO;
    if (rb->tokens > cap) {
        rb->tokens = cap;
    }
}

bool retry_budget_take(struct retry_budget *rb, uint64_t now_ms)
{
    double cap = cap_tokens(rb, now_ms);
    if (rb->tokens > cap) {
        rb->tokens = cap; /* the last minute was quieter than when they were earned */
    }
    /* tenths added one by one fall short of a whole by a rounding error: ten successes are a token
     */
    if (rb->tokens < 1.0 - 1e-9) {
        rb->refused++;
        return false;
    }
    rb->tokens -= 1.0;
    rb->retries++;
    return true;
}

uint64_t retry_delay(unsigned attempt, uint64_t rnd)
{
    uint64_t ceiling =
        attempt >= 16 ? RETRY_CAP_MS : min_u64(RETRY_CAP_MS, (uint64_t)RETRY_BASE_MS << attempt);
    return rnd % (ceiling + 1);
}

bool poll_secondary_due(uint64_t last_ms, uint64_t now_ms, uint64_t interval_ms)
{
    return last_ms == 0 || now_ms >= last_ms + POLL_SECONDARY_FACTOR * interval_ms;
}

void latency_add(struct latency_window *w, uint64_t ms)
{
    w->ms[w->next] = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    w->next = (w->next + 1) % POLL_LATENCY_WINDOW;
    if (w->n < POLL_LATENCY_WINDOW) {
        w->n++;
    }
}

uint64_t latency_p95(const struct latency_window *w)
{
    if (w->n < POLL_HEDGE_MIN_SAMPLES) {
        return 0;
    }
    uint32_t v[POLL_LATENCY_WINDOW];
    memcpy(v, w->ms, w->n * sizeof v[0]);
    for (unsigned i = 1; i < w->n; i++) { /* insertion sort: 32 at most */
        uint32_t x = v[i];
        unsigned j = i;
        for (; j > 0 && v[j - 1] > x; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
    /* nearest rank: the smallest value with at least 95% at or below it */
    unsigned rank = (95 * w->n + 99) / 100;
    return v[rank - 1];
}
