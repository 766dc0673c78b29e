/*
 * The poll policy (backends/pollpolicy.h) for a fleet of consoles on a fake
 * clock: N consoles poll one server whose capacity falls and recovers, once
 * with the policy backend.c and http.c run, once with the old one, and the
 * offered load, the polls that ended well and the recovery are compared.
 *
 * What a console does here is what the real code does:
 * - a poll is two GETs in a chain (like alertmanager.c's alerts, then its
 *   silences); the poll fails when a request fails after its retries, and
 *   its second request is then not sent;
 * - a GET answered 503 is tried again up to 2 times (http.c's `retries`)
 *   after retry_delay(); new policy: only while retry_budget_take() allows,
 *   a first attempt counted with retry_budget_sent() and its good answer with
 *   retry_budget_success();
 * - new policy: the next poll starts poll_next_delay() after the poll's end
 *   (backend_poll_end: the outcome's duration is the poll's wall time with
 *   its retries and the server's queue); old policy: a repeating timer every
 *   refresh from the first start, a tick skipped while a poll is in flight
 *   (backend_poll_begin refuses), 2 retries always, no budget.
 *
 * The server serves its capacity C(t) requests a second from one FIFO queue
 * (a request's service takes 1000 / C ms, plus 20 ms on the wire each way):
 * 40, then 4 for five minutes, then 40 again (times 5 for 100 consoles). It
 * is overloaded in one of two ways: SHED, a request that would wait more than
 * a second in the queue is answered 503 at once (a proxy's queue timeout;
 * rejecting costs the server nothing here), or QUEUE, every request waits its
 * turn and the client gives up at http.c's 5 s timeout (a retryable failure)
 * while the server still does the work. A 503 or a timeout is retried alike.
 * No Retry-After (Alertmanager sends none). The figures and what they mean
 * are in docs/architecture.md, "Polling under failure".
 *
 * Everything random comes from one seeded generator per run: the same seed
 * gives the same figures (checked by running twice).
 */
#include "../../backends/pollpolicy.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    REQUESTS_PER_POLL = 2,
    RETRIES = 2,
    TIMEOUT_MS = 5000, /* http.c's default timeout */
    WIRE_MS = 20,
    SHED_QUEUE_MS = 1000,
    PHASES = 3,
    WINDOW_S = 30, /* the offered load is judged over 30 s windows */
};

/* How the server is overloaded. */
enum server_kind {
    SHED,  /* a request that would wait more than SHED_QUEUE_MS in the queue: 503 at once */
    QUEUE, /* every request waits its turn; the client gives up at TIMEOUT_MS, the work is done */
};

enum policy { OLD, NEW };

struct phase {
    const char *name;
    uint64_t end_ms;
    unsigned capacity; /* requests a second */
};

static const struct phase PHASE[PHASES] = {
    {"normal", 300000, 40},
    {"degraded", 600000, 4},
    {"recovered", 900000, 40},
};

struct sim_conf {
    unsigned consoles;
    uint64_t refresh_ms;
    uint64_t cap_ms;
    unsigned scale; /* the server's capacity times this */
    enum server_kind server;
    uint64_t seed;
    enum policy policy;
};

struct phase_figures {
    uint64_t offered;  /* attempts that reached the server */
    uint64_t answered; /* attempts answered 200 */
    uint64_t polls, polls_ok;
    uint64_t retries; /* attempts that were retries */
};

struct figures {
    struct phase_figures ph[PHASES];
    uint64_t late_offered; /* offered while degraded, after its first minute */
    unsigned windows_over; /* 30 s windows of that time over the capacity */
    uint64_t recover_ms;   /* from the recovery until every console has polled well */
    uint64_t max_gap_ms;   /* the longest time a console went without starting a poll */
    uint64_t max_poll_ms;  /* the longest poll (its wall time) */
    uint64_t retries, refused;
    uint64_t minute_before; /* offered in the minute before the fall */
};

enum ev_kind { EV_POLL, EV_SEND, EV_ANSWER };

struct ev {
    uint64_t t;
    uint64_t seq; /* ties in time keep the order they were scheduled in */
    int kind;
    unsigned console;
    bool ok; /* EV_ANSWER: 200, else 503 */
};

struct heap {
    struct ev *v;
    size_t n, cap;
    uint64_t seq;
};

static bool before(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(struct heap *h, uint64_t t, int kind, unsigned console, bool ok)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->v = xrealloc(h->v, h->cap * sizeof h->v[0]);
    }
    struct ev e = {t, h->seq++, kind, console, ok};
    size_t i = h->n++;
    while (i > 0 && before(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
}

static struct ev heap_pop(struct heap *h)
{
    struct ev top = h->v[0];
    struct ev last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) {
            break;
        }
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c])) {
            c++;
        }
        if (!before(&h->v[c], &last)) {
            break;
        }
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0) {
        h->v[i] = last;
    }
    return top;
}

struct console {
    struct poll_sched sched;
    struct retry_budget budget;
    bool polling;
    uint64_t poll_start;
    uint64_t last_start;
    unsigned req, attempt;
    bool recovered; /* a poll started after the recovery ended well */
};

struct sim {
    struct sim_conf conf;
    struct heap heap;
    struct console *c;
    uint64_t rng;
    uint64_t server_free_at;
    uint32_t *offered_per_s; /* attempts reaching the server, per second */
    unsigned recovered;
    struct figures fig;
};

static uint64_t rnd(struct sim *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static int phase_of(uint64_t t)
{
    for (int i = 0; i < PHASES; i++) {
        if (t < PHASE[i].end_ms) {
            return i;
        }
    }
    return PHASES - 1;
}

/* An attempt reaches the server at t: when is it answered, and how? */
static void server_take(struct sim *s, uint64_t t, unsigned console)
{
    uint64_t service = 1000 / (PHASE[phase_of(t)].capacity * s->conf.scale);
    uint64_t start = s->server_free_at > t ? s->server_free_at : t;
    if (s->conf.server == SHED && start - t > SHED_QUEUE_MS) {
        heap_push(&s->heap, t + WIRE_MS, EV_ANSWER, console, false);
        return;
    }
    s->server_free_at = start + service;
    /* sent at t - WIRE_MS: past the timeout the client has given up (a retryable failure) */
    if (s->server_free_at + WIRE_MS > t - WIRE_MS + TIMEOUT_MS) {
        heap_push(&s->heap, t - WIRE_MS + TIMEOUT_MS, EV_ANSWER, console, false);
        return;
    }
    heap_push(&s->heap, s->server_free_at + WIRE_MS, EV_ANSWER, console, true);
}

static void send_attempt(struct sim *s, unsigned i, uint64_t now)
{
    heap_push(&s->heap, now + WIRE_MS, EV_SEND, i, false);
    if (s->conf.policy == NEW && s->c[i].attempt == 0) {
        retry_budget_sent(&s->c[i].budget, now);
    }
}

static void poll_start(struct sim *s, unsigned i, uint64_t now)
{
    struct console *c = &s->c[i];
    if (c->polling) {
        return; /* the old timer's tick while a poll is in flight: skipped */
    }
    if (now >= PHASE[0].end_ms && now < PHASE[1].end_ms &&
        now - c->last_start > s->fig.max_gap_ms) {
        s->fig.max_gap_ms = now - c->last_start;
    }
    c->polling = true;
    c->poll_start = c->last_start = now;
    c->req = 0;
    c->attempt = 0;
    s->fig.ph[phase_of(now)].polls++;
    send_attempt(s, i, now);
}

static void poll_end(struct sim *s, unsigned i, uint64_t now, bool ok)
{
    struct console *c = &s->c[i];
    c->polling = false;
    uint64_t duration = now - c->poll_start;
    if (duration > s->fig.max_poll_ms) {
        s->fig.max_poll_ms = duration;
    }
    if (ok) {
        s->fig.ph[phase_of(c->poll_start)].polls_ok++;
        if (!c->recovered && c->poll_start >= PHASE[1].end_ms) {
            c->recovered = true;
            if (++s->recovered == s->conf.consoles) {
                s->fig.recover_ms = now - PHASE[1].end_ms;
            }
        }
    }
    if (s->conf.policy == NEW) {
        struct poll_outcome o = {ok, duration, 0};
        heap_push(&s->heap, now + poll_next_delay(&c->sched, &o, rnd(s)), EV_POLL, i, false);
    }
}

static void answer(struct sim *s, unsigned i, uint64_t now, bool ok)
{
    struct console *c = &s->c[i];
    if (ok) {
        s->fig.ph[phase_of(now)].answered++;
        if (s->conf.policy == NEW && c->attempt == 0) {
            retry_budget_success(&c->budget, now);
        }
        if (++c->req == REQUESTS_PER_POLL) {
            poll_end(s, i, now, true);
        } else {
            c->attempt = 0;
            send_attempt(s, i, now);
        }
        return;
    }
    if (c->attempt < RETRIES && (s->conf.policy == OLD || retry_budget_take(&c->budget, now))) {
        uint64_t wait = retry_delay(c->attempt, rnd(s));
        c->attempt++;
        s->fig.retries++;
        s->fig.ph[phase_of(now)].retries++;
        send_attempt(s, i, now + wait);
        return;
    }
    if (s->conf.policy == NEW && c->attempt < RETRIES) {
        s->fig.refused++;
    }
    poll_end(s, i, now, false);
}

/* The 30 s windows of [from_s, to_s) whose offered load is over the capacity. */
static unsigned windows_over(const uint32_t *per_s, uint64_t from_s, uint64_t to_s,
                             unsigned capacity)
{
    unsigned over = 0;
    for (uint64_t w = from_s; w + WINDOW_S <= to_s; w += WINDOW_S) {
        uint64_t sum = 0;
        for (uint64_t k = w; k < w + WINDOW_S; k++) {
            sum += per_s[k];
        }
        over += sum > (uint64_t)capacity * WINDOW_S;
    }
    return over;
}

static struct figures simulate(const struct sim_conf *conf)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    s.conf = *conf;
    s.rng =
        conf->seed * 0x9e3779b97f4a7c15ull + 0xbf58476d1ce4e5b9ull; /* never 0 for small seeds */
    s.c = xcalloc(conf->consoles, sizeof s.c[0]);
    uint64_t end = PHASE[PHASES - 1].end_ms;
    s.offered_per_s = xcalloc(end / 1000 + 1, sizeof s.offered_per_s[0]);
    for (unsigned i = 0; i < conf->consoles; i++) {
        struct console *c = &s.c[i];
        c->sched.refresh_ms = conf->refresh_ms;
        c->sched.cap_ms = conf->cap_ms;
        retry_budget_init(&c->budget);
        /* the consoles are opened at random times within the first refresh */
        uint64_t first = rnd(&s) % conf->refresh_ms;
        c->last_start = first;
        heap_push(&s.heap, first, EV_POLL, i, false);
    }
    s.fig.recover_ms = UINT64_MAX;
    while (s.heap.n > 0) {
        struct ev e = heap_pop(&s.heap);
        if (e.t >= end) {
            break;
        }
        switch (e.kind) {
        case EV_POLL:
            if (conf->policy == OLD) {
                heap_push(&s.heap, e.t + conf->refresh_ms, EV_POLL, e.console, false);
            }
            poll_start(&s, e.console, e.t);
            break;
        case EV_SEND:
            s.fig.ph[phase_of(e.t)].offered++;
            s.offered_per_s[e.t / 1000]++;
            server_take(&s, e.t, e.console);
            break;
        case EV_ANSWER:
            answer(&s, e.console, e.t, e.ok);
            break;
        default:
            break;
        }
    }
    for (uint64_t k = PHASE[0].end_ms / 1000 - 60; k < PHASE[0].end_ms / 1000; k++) {
        s.fig.minute_before += s.offered_per_s[k];
    }
    uint64_t late = (PHASE[0].end_ms + conf->cap_ms) / 1000;
    for (uint64_t k = late; k < PHASE[1].end_ms / 1000; k++) {
        s.fig.late_offered += s.offered_per_s[k];
    }
    s.fig.windows_over = windows_over(s.offered_per_s, late, PHASE[1].end_ms / 1000,
                                      PHASE[1].capacity * conf->scale);
    free(s.heap.v);
    free(s.c);
    free(s.offered_per_s);
    return s.fig;
}

static double per_s(uint64_t n, int phase)
{
    uint64_t from = phase > 0 ? PHASE[phase - 1].end_ms : 0;
    return (double)n * 1000.0 / (double)(PHASE[phase].end_ms - from);
}

static double share(uint64_t part, uint64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void secs(char *buf, size_t len, uint64_t ms)
{
    if (ms == UINT64_MAX) {
        snprintf(buf, len, "never");
    } else {
        snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
    }
}

static const char *server_name(enum server_kind k)
{
    return k == SHED ? "503 past 1s of queue" : "queue, client timeout 5s";
}

/* Offered req/s while degraded, after its first cap (the time the policy gets to settle). */
static double late_rate(const struct sim_conf *conf, const struct figures *f)
{
    return (double)f->late_offered * 1000.0 /
           (double)(PHASE[1].end_ms - PHASE[0].end_ms - conf->cap_ms);
}

static void print_figures(const struct sim_conf *conf, const struct figures *old,
                          const struct figures *new)
{
    tap_diag("%u consoles (refresh %llus, cap %llus), server: %s", conf->consoles,
             (unsigned long long)(conf->refresh_ms / 1000),
             (unsigned long long)(conf->cap_ms / 1000), server_name(conf->server));
    tap_diag("  %-9s %4s | offered/s old    new | ok polls old   new | all ok after old new",
             "phase", "C/s");
    for (int p = 0; p < PHASES; p++) {
        char a[32] = "", b[32] = "";
        if (p == 2) {
            secs(a, sizeof a, old->recover_ms);
            secs(b, sizeof b, new->recover_ms);
        }
        tap_diag("  %-9s %4u |       %6.1f %6.1f |     %5.1f%% %5.1f%% | %s %s", PHASE[p].name,
                 PHASE[p].capacity * conf->scale, per_s(old->ph[p].offered, p),
                 per_s(new->ph[p].offered, p), share(old->ph[p].polls_ok, old->ph[p].polls),
                 share(new->ph[p].polls_ok, new->ph[p].polls), a, b);
    }
    unsigned windows =
        (unsigned)((PHASE[1].end_ms - PHASE[0].end_ms - conf->cap_ms) / 1000 / WINDOW_S);
    tap_diag("  degraded after its first %llus: offered old %.1f new %.1f req/s; 30s windows over "
             "C: old %u/%u new %u/%u",
             (unsigned long long)(conf->cap_ms / 1000), late_rate(conf, old), late_rate(conf, new),
             old->windows_over, windows, new->windows_over, windows);
    tap_diag("  new: %llu retries, %llu refused by the budget; longest poll %.1fs; longest wait "
             "for a poll while degraded %.1fs",
             (unsigned long long)new->retries, (unsigned long long)new->refused,
             (double)new->max_poll_ms / 1000.0, (double)new->max_gap_ms / 1000.0);
}

static void fleet(unsigned consoles, unsigned scale, enum server_kind server, uint64_t seed)
{
    struct sim_conf conf = {consoles, 2000, POLL_BACKOFF_CAP_MS, scale, server, seed, OLD};
    struct figures old = simulate(&conf);
    conf.policy = NEW;
    struct figures new = simulate(&conf);
    print_figures(&conf, &old, &new);

    const char *srv = server == SHED ? "503 server" : "queueing server";
    double degraded = PHASE[1].capacity * scale;
    double new_late = late_rate(&conf, &new), old_late = late_rate(&conf, &old);
    tap_ok(new_late < degraded,
           "%u consoles, %s: degraded, after one cap the new policy offers %.1f req/s, "
           "under the capacity %.0f",
           consoles, srv, new_late, degraded);
    if (server == QUEUE) {
        tap_ok(old_late >= new_late, "%u consoles, %s: the old policy offers more (%.1f req/s)",
               consoles, srv, old_late);
    } else {
        tap_ok(old_late > 5 * degraded && old_late > 4 * new_late,
               "%u consoles, %s: the old policy offers %.1f req/s, over 5 x the capacity and 4 x "
               "the new",
               consoles, srv, old_late);
    }
    tap_ok(new.ph[1].polls_ok *old.ph[1].polls >= old.ph[1].polls_ok *new.ph[1].polls,
           "%u consoles, %s: degraded, no smaller share of polls ends well (%.1f%% vs %.1f%%)",
           consoles, srv, share(new.ph[1].polls_ok, new.ph[1].polls),
           share(old.ph[1].polls_ok, old.ph[1].polls));
    tap_ok(new.recover_ms <= conf.cap_ms + new.max_poll_ms,
           "%u consoles, %s: every console has polled well %.1f s after the recovery (<= one cap "
           "+ a poll)",
           consoles, srv, (double)new.recover_ms / 1000.0);
    tap_ok(new.max_gap_ms <= conf.cap_ms + new.max_poll_ms,
           "%u consoles, %s: degraded, no console waits more than the cap + a poll for its next "
           "poll (%.1f s): never open for good",
           consoles, srv, (double)new.max_gap_ms / 1000.0);
    tap_ok(new.ph[0].offered * 10 >= old.ph[0].offered * 9 && new.ph[0].polls_ok == new.ph[0].polls,
           "%u consoles, %s: a healthy server is polled at the refresh as before (%.1f vs %.1f "
           "req/s, every poll ok)",
           consoles, srv, per_s(new.ph[0].offered, 0), per_s(old.ph[0].offered, 0));

    /*
     * While degraded: retries <= a tenth of the phase's first attempts, plus
     * the tokens carried in (a tenth of the minute before's first attempts,
     * every one of which was answered well), plus one fresh token a console.
     */
    uint64_t firsts = new.ph[1].offered - new.ph[1].retries;
    tap_ok(new.ph[1].retries * 10 <= firsts + new.minute_before + 10 * (uint64_t)consoles,
           "%u consoles, %s: degraded, the budget holds retries to a tenth (%llu retries, %llu "
           "first attempts; old: %llu retries)",
           consoles, srv, (unsigned long long)new.ph[1].retries, (unsigned long long)firsts,
           (unsigned long long)old.ph[1].retries);

    struct figures again = simulate(&conf);
    tap_ok(memcmp(&again, &new, sizeof new) == 0,
           "%u consoles, %s: the same seed gives the same figures", consoles, srv);
    conf.seed++;
    struct figures other = simulate(&conf);
    tap_ok(memcmp(&other, &new, sizeof new) != 0,
           "%u consoles, %s: another seed gives other figures (the jitter is the seed's)", consoles,
           srv);
}

int main(void)
{
    const uint64_t seed = 20261205;
    fleet(20, 1, SHED, seed);
    fleet(20, 1, QUEUE, seed);
    fleet(100, 5, SHED, seed);
    fleet(100, 5, QUEUE, seed);
    return tap_done();
}
