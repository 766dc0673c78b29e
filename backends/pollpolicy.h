/*
 * How hard a console may ask (issue 20): the poll schedule's and the retries'
 * policy as pure functions. No loop, no clock, no I/O, no randomness of its
 * own: the caller passes the time and a random number. backend.c (when the
 * next poll runs), http.c (whether a failed GET is tried again) and
 * http_poll.c (when a read is hedged) call them live; tests/unit/test_pollsim.c
 * runs the same functions on a fake clock for N consoles against a server
 * whose capacity falls and recovers.
 *
 * The policy (docs/architecture.md, "Polling under failure"):
 * - Backoff: after k consecutive failed polls the next one starts a uniformly
 *   random time between refresh and min(cap, refresh * 2^k) after the failed
 *   one started (full jitter above the refresh; cap 60 s by default,
 *   `backoff_cap`). The first success restores the refresh. Never "open for
 *   good": a failing backend is always tried again within the cap.
 * - Load: the next poll starts no sooner than POLL_LOAD_FACTOR times the last
 *   poll's duration after the last one started, so a console keeps a request
 *   in flight to one backend at most 1/POLL_LOAD_FACTOR of the time (up to the
 *   cap: a poll longer than cap/POLL_LOAD_FACTOR is followed by one at the cap).
 *   A failed poll counts the last good poll's time, not its own: a 503 in
 *   5 ms says nothing about what an answer costs the server, and a timeout
 *   only what the client waited (the backoff answers failures). The
 *   factor is 10, not the 5 the issue first named: test_pollsim shows 5 keeps a
 *   fleet at 1.1-1.3 x a shedding server's capacity (docs/architecture.md).
 * - A server's Retry-After (503, 429) is a floor for the next poll, up to the cap.
 * - Retry budget: a failed GET is tried again in transport only while a token
 *   is left. A first attempt answered well adds POLL_BUDGET_RATIO of a token;
 *   a retry takes one. Tokens are capped at POLL_BUDGET_RATIO times the first
 *   attempts of the last minute (at least one), so retries add at most about
 *   10% to the last minute's requests. A fresh budget holds one token.
 * - Secondary requests (RabbitMQ bindings and consumers, Kubernetes
 *   ReplicaSets) are read every POLL_SECONDARY_FACTOR-th interval of the main
 *   list, and on a poll asked for (a key, an action).
 * - Hedging: a read of a cluster member slower than the p95 of its last
 *   POLL_LATENCY_WINDOW answers (once POLL_HEDGE_MIN_SAMPLES are known) is
 *   also sent to a peer; the first answer wins. Never a write.
 */
#ifndef OPSDECK_POLLPOLICY_H
#define OPSDECK_POLLPOLICY_H

#include <stdbool.h>
#include <stdint.h>

enum {
    POLL_BACKOFF_CAP_MS = 60000, /* default backoff_cap */
    POLL_LOAD_FACTOR = 10,       /* in flight at most a tenth of the time */
    POLL_SECONDARY_FACTOR = 5,   /* secondary requests every 5th interval */
    POLL_BUDGET_SLOTS = 6,       /* the last minute, in slots of 10 s */
    POLL_BUDGET_SLOT_MS = 10000,
    POLL_LATENCY_WINDOW = 32,   /* answers kept for the p95 */
    POLL_HEDGE_MIN_SAMPLES = 8, /* fewer: no hedge */
    RETRY_BASE_MS = 250,        /* a transport retry waits up to 250 ms << attempt */
    RETRY_CAP_MS = 2000,        /* and never more than 2 s */
};
#define POLL_BUDGET_RATIO 0.1

/* One backend's schedule. Zero it, then set refresh_ms and cap_ms. */
struct poll_sched {
    uint64_t refresh_ms; /* the configured refresh */
    uint64_t cap_ms;     /* the backoff cap (>= refresh_ms in effect) */
    unsigned failures;   /* consecutive failed polls */
    uint64_t good_ms;    /* the last poll that ended well: its duration */
};

struct poll_outcome {
    bool ok;                 /* the poll ended well (published, or unchanged) */
    uint64_t duration_ms;    /* from its start to its end */
    uint64_t retry_after_ms; /* the server's Retry-After, 0 when none */
};

/*
 * A poll ended: count the outcome and return the delay from its end to the
 * next poll's start. rnd: a uniform random number (the jitter).
 */
uint64_t poll_next_delay(struct poll_sched *s, const struct poll_outcome *o, uint64_t rnd);
/* The interval from one poll's start to the next's, as poll_next_delay computes it. */
uint64_t poll_interval(const struct poll_sched *s, const struct poll_outcome *o, uint64_t rnd);

struct retry_budget {
    double tokens;
    uint32_t sent[POLL_BUDGET_SLOTS]; /* first attempts per 10 s slot */
    uint64_t slot;                    /* the slot index (now / 10 s) of the newest count */
    uint64_t retries;                 /* retries allowed so far */
    uint64_t refused;                 /* retries refused for want of a token */
};

void retry_budget_init(struct retry_budget *rb);
/* A first attempt goes out at now_ms. */
void retry_budget_sent(struct retry_budget *rb, uint64_t now_ms);
/* A first attempt was answered well (not a failure worth retrying): a tenth of a token. */
void retry_budget_success(struct retry_budget *rb, uint64_t now_ms);
/* May a failed attempt be tried again now? Takes a token when it may. */
bool retry_budget_take(struct retry_budget *rb, uint64_t now_ms);
/* The wait before transport retry number attempt+1 (attempt 0: the first retry): full jitter. */
uint64_t retry_delay(unsigned attempt, uint64_t rnd);
/* First attempts sent in the last minute. */
uint32_t retry_budget_recent(struct retry_budget *rb, uint64_t now_ms);

/* Are secondary requests due, the last read at last_ms (0: never) and the interval interval_ms? */
bool poll_secondary_due(uint64_t last_ms, uint64_t now_ms, uint64_t interval_ms);

/* The response times of a backend's reads, for hedging. */
struct latency_window {
    uint32_t ms[POLL_LATENCY_WINDOW];
    unsigned n;    /* how many are kept (up to the window) */
    unsigned next; /* where the next goes */
};

void latency_add(struct latency_window *w, uint64_t ms);
/* The 95th percentile of the kept times; 0 while fewer than POLL_HEDGE_MIN_SAMPLES are. */
uint64_t latency_p95(const struct latency_window *w);

#endif
