/*
 * What every backend shares: common settings, the poll schedule on the loop,
 * health bookkeeping and publishing into the store.
 *
 * The schedule (issue 20; the arithmetic is pollpolicy.c's): one timer per
 * backend, armed for one shot at a time. It fires at start (delay 0); a poll
 * that fetches (backend_poll_begin .. backend_poll_end) parks it, and its end
 * makes it fire at once to settle the outcome on the loop's next turn (most
 * backends say backend_fail or backend_ok right after ending the poll), then
 * arms it poll_next_delay() ahead: the refresh, stretched by failures
 * (backoff with full jitter up to backoff_cap), slow answers or Retry-After.
 * A poll that never begins a fetch (the demo) is followed by one a refresh
 * later. backend_poll_now resets the same timer to 0, or asks the poll in
 * flight for another as it ends: never two timers, never none while the
 * backend lives on a loop.
 */
#include "backend.h"

#include "cluster.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/loop.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    TIMER_PARKED_MS = 86400000, /* a day: the timer waits for the fetch in flight to end */
    BACKOFF_CAP_MAX_MS = 3600000,
};

extern const struct backend_impl demo_backend;
extern const struct backend_impl alertmanager_backend;
extern const struct backend_impl prometheus_backend;
extern const struct backend_impl haproxy_backend;
extern const struct backend_impl nats_backend;
extern const struct backend_impl kubernetes_backend;
extern const struct backend_impl exec_backend;
extern const struct backend_impl httpjson_backend;
extern const struct backend_impl rabbitmq_backend;

static const struct backend_impl *const registry[] = {
    &demo_backend,       &alertmanager_backend,
    &prometheus_backend, &haproxy_backend,
    &nats_backend,       &kubernetes_backend,
    &exec_backend,       &httpjson_backend,
    &rabbitmq_backend,   NULL,
};

const struct backend_impl *const *backend_impls(void)
{
    return registry;
}

const struct backend_impl *backend_impl_find(const char *type)
{
    for (size_t i = 0; registry[i] != NULL; i++) {
        if (strcmp(registry[i]->type, type) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

struct backend *backend_create(const struct backend_impl *impl, const char *name,
                               struct store *store, struct loop *loop)
{
    struct backend *b = xcalloc(1, sizeof *b);
    b->impl = impl;
    b->name = xstrdup(name);
    b->store = store;
    b->loop = loop;
    b->refresh_ms = 2000;
    b->timeout_ms = 5000;
    b->actions_enabled = true;
    b->health = BACKEND_STARTING;
    b->sched.refresh_ms = (uint64_t)b->refresh_ms;
    b->sched.cap_ms = POLL_BACKOFF_CAP_MS;
    if (impl->create != NULL) {
        b->priv = impl->create(b);
    }
    return b;
}

void backend_destroy(struct backend *b)
{
    if (b == NULL) {
        return;
    }
    if (b->timer != NULL && b->loop != NULL) {
        loop_timer_cancel(b->loop, b->timer);
    }
    b->timer = NULL;
    if (b->impl->destroy != NULL) {
        b->impl->destroy(b);
    }
    if (b->cluster != NULL) {
        cluster_leave(b->cluster, b);
    }
    free(b->context);
    free(b->cluster_name);
    free(b->name);
    free(b->error);
    free(b);
}

static bool parse_ms(const char *value, int min_ms, int *out, char **cause)
{
    int64_t s;
    if (!duration_parse(value, &s) || s * 1000 < min_ms || s > 86400) {
        *cause = xasprintf("bad duration '%s' (e.g. 2s, 1m; at least %d ms)", value, min_ms);
        return false;
    }
    *out = (int)(s * 1000);
    return true;
}

/* A context or cluster name: what a backend name may be. */
static bool name_ok(const char *s)
{
    if (s[0] == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL) {
            return false;
        }
    }
    return true;
}

/* A context name: what a [context "NAME"] header takes (letters, digits, '_', '-', '.'). */
static bool set_context(struct backend *b, const char *value, char **cause)
{
    bool ok = value[0] != '\0' && strlen(value) <= 64;
    for (const char *c = value; ok && *c != '\0'; c++) {
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             strchr("_-.", *c) != NULL;
    }
    if (!ok) {
        *cause = xasprintf("bad context name '%s' (letters, digits, '_', '-' and '.')", value);
        return false;
    }
    free(b->context);
    b->context = xstrdup(value);
    return true;
}

const char *backend_context(const struct backend *b)
{
    return b->context != NULL ? b->context : "default";
}

bool backend_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    if (strcmp(key, "refresh") == 0) {
        bool ok = parse_ms(value, 1000, &b->refresh_ms, cause);
        b->sched.refresh_ms = (uint64_t)b->refresh_ms;
        return ok;
    }
    if (strcmp(key, "backoff_cap") == 0) {
        int cap;
        if (!parse_ms(value, 1000, &cap, cause)) {
            return false;
        }
        if (cap > BACKOFF_CAP_MAX_MS) {
            *cause = xasprintf("bad backoff_cap '%s' (at most 1h)", value);
            return false;
        }
        b->sched.cap_ms = (uint64_t)cap;
        return true;
    }
    if (strcmp(key, "timeout") == 0) {
        return parse_ms(value, 1000, &b->timeout_ms, cause);
    }
    if (strcmp(key, "actions") == 0) {
        if (!str_parse_bool(value, &b->actions_enabled)) {
            *cause = xasprintf("bad value '%s' for actions (on or off)", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "context") == 0) {
        return set_context(b, value, cause);
    }
    if (strcmp(key, "cluster") == 0) {
        if (!name_ok(value)) {
            *cause =
                xasprintf("bad cluster name '%s' (use letters, digits, '.', '_' and '-')", value);
            return false;
        }
        free(b->cluster_name);
        b->cluster_name = xstrdup(value);
        return true;
    }
    if (b->impl->configure == NULL) {
        *cause = xasprintf("unknown key '%s' for a %s backend", key, b->impl->type);
        return false;
    }
    return b->impl->configure(b, key, value, cause);
}

static uint64_t now_ms(const struct backend *b)
{
    return b->loop != NULL ? loop_now_ms(b->loop) : clock_mono_ms();
}

/* The next poll starts delay ms from now (asked: for a key or an action, not timed). */
static void arm(struct backend *b, uint64_t delay, bool asked)
{
    b->poll_asked = asked;
    b->next_poll_ms = now_ms(b) + delay;
    loop_timer_reset(b->loop, b->timer, delay);
}

static void run_poll(struct backend *b)
{
    b->next_poll_ms = 0;
    if (b->timer != NULL) {
        loop_timer_reset(b->loop, b->timer, TIMER_PARKED_MS);
    }
    b->polls++;
    b->impl->poll(b);
    if (!b->polling && !b->poll_settling && b->next_poll_ms == 0) {
        /* it fetched nothing (the demo) and nobody asked for more: a refresh from now */
        b->poll_asked = false;
        if (b->timer != NULL) {
            arm(b, (uint64_t)b->refresh_ms, false);
        }
    }
}

/* Count the poll that ended; the delay from now to the next one. */
static uint64_t settle(struct backend *b)
{
    b->poll_settling = false;
    struct poll_outcome o = {
        .ok = !b->poll_failed,
        .duration_ms =
            b->poll_ended_ms > b->poll_started_ms ? b->poll_ended_ms - b->poll_started_ms : 0,
        .retry_after_ms = b->retry_after_ms,
    };
    b->retry_after_ms = 0;
    b->sched.refresh_ms = (uint64_t)b->refresh_ms;
    uint64_t delay = poll_next_delay(&b->sched, &o, rng_u64());
    b->interval_ms = o.duration_ms + delay;
    uint64_t now = now_ms(b);
    uint64_t since = now > b->poll_ended_ms ? now - b->poll_ended_ms : 0;
    return delay > since ? delay - since : 0;
}

static void poll_timer(void *ud)
{
    struct backend *b = ud;
    if (b->poll_settling) {
        uint64_t delay = settle(b);
        if (b->repoll) {
            b->repoll = false;
            b->poll_asked = true;
            run_poll(b);
        } else {
            arm(b, delay, false);
        }
        return;
    }
    if (b->polling) {
        loop_timer_reset(b->loop, b->timer, TIMER_PARKED_MS); /* its end arms the next */
        return;
    }
    run_poll(b);
}

bool backend_validate(struct backend *b, char **cause)
{
    if (b->sched.cap_ms != POLL_BACKOFF_CAP_MS && b->sched.cap_ms < (uint64_t)b->refresh_ms) {
        *cause = xasprintf("backoff_cap (%llu s) is shorter than refresh (%d s)",
                           (unsigned long long)(b->sched.cap_ms / 1000), b->refresh_ms / 1000);
        return false;
    }
    return b->impl->start == NULL || b->impl->start(b, cause);
}

void backend_schedule(struct backend *b)
{
    if (b->loop != NULL && b->timer == NULL) {
        b->sched.refresh_ms = (uint64_t)b->refresh_ms;
        b->timer = loop_timer_add(b->loop, 0, TIMER_PARKED_MS, poll_timer, b);
        b->next_poll_ms = now_ms(b);
        b->poll_asked = false;
    }
}

void backend_unschedule(struct backend *b)
{
    if (b->poll_settling) {
        (void)settle(b); /* the poll that ended still counts */
    }
    if (b->timer != NULL) {
        loop_timer_cancel(b->loop, b->timer);
        b->timer = NULL;
    }
    b->next_poll_ms = 0;
}

bool backend_start(struct backend *b, char **cause)
{
    if (!backend_validate(b, cause)) {
        return false;
    }
    backend_schedule(b);
    return true;
}

void backend_poll_now(struct backend *b)
{
    if (b->polling || b->poll_settling) {
        b->repoll = true; /* right after the fetch in flight, whose answer may be older */
    } else if (b->timer != NULL) {
        arm(b, 0, true);
    } else {
        b->poll_asked = true;
        run_poll(b);
    }
}

bool backend_poll_begin(struct backend *b)
{
    if (b->polling) {
        return false;
    }
    if (b->poll_settling) {
        (void)settle(b); /* begun before the loop turned (a poll called directly) */
    }
    b->polling = true;
    b->poll_failed = false;
    b->retry_after_ms = 0;
    b->poll_started_ms = now_ms(b);
    return true;
}

void backend_poll_end(struct backend *b)
{
    if (!b->polling) {
        return;
    }
    b->polling = false;
    b->poll_ended_ms = now_ms(b);
    b->poll_settling = true;
    if (b->timer != NULL) {
        b->next_poll_ms = 0;
        loop_timer_reset(b->loop, b->timer, 0); /* settles on the loop's next turn */
        return;
    }
    /* not on a schedule (no loop, or doctor's single poll): count it now */
    (void)settle(b);
    if (b->repoll) {
        b->repoll = false;
        b->poll_asked = true;
        run_poll(b);
    } else {
        b->poll_asked = false;
    }
}

void backend_ok(struct backend *b)
{
    b->health = BACKEND_OK;
    b->last_ok_ms = now_ms(b);
    free(b->error);
    b->error = NULL;
}

void backend_stamp(const struct backend *b, struct rowset *rs)
{
    free(rs->context);
    rs->context = b->context != NULL ? xstrdup(b->context) : NULL;
    int col = model_context_column(rs->kind);
    if (col >= 0) {
        rowset_fill(rs, col, backend_context(b));
    }
}

void backend_publish_rows(struct backend *b, struct rowset *rs)
{
    backend_stamp(b, rs);
    if (b->cluster != NULL) {
        cluster_take(b->cluster, b, rs); /* publishes the merge */
    } else {
        store_publish(b->store, rs);
    }
}

void backend_publish(struct backend *b, struct rowset *rs)
{
    backend_ok(b);
    backend_publish_rows(b, rs);
}

/* Whatever backend_publish fills in every row, it must fill in a patch's rows too. */
void backend_patch(struct backend *b, struct rowset *rs)
{
    /* a cluster member's rows are the cluster's: it finds no set of its own and publishes whole */
    backend_stamp(b, rs);
    store_patch(b->store, rs);
    backend_ok(b);
}

void backend_fail(struct backend *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(b->error);
    b->error = xvasprintf(fmt, ap);
    va_end(ap);
    b->health = BACKEND_ERROR;
    if (b->polling || b->poll_settling) {
        b->poll_failed = true; /* the schedule backs off */
    }
    if (b->cluster != NULL) {
        cluster_drop(b->cluster, b); /* its rows leave the merge */
    }
}

unsigned backend_kinds(const struct backend *b)
{
    return b->kinds != 0 ? b->kinds : b->impl->kinds;
}

const struct action_def *backend_actions(const struct backend *b, int *n)
{
    if (b->actions != NULL) {
        *n = b->nactions;
        return b->actions;
    }
    *n = b->impl->nactions;
    return b->impl->actions;
}

const struct action_def *backend_action(const struct backend *b, enum model_kind kind, int key)
{
    int n;
    const struct action_def *defs = backend_actions(b, &n);
    for (int i = 0; i < n; i++) {
        if (defs[i].kind == kind && defs[i].key == key) {
            return &defs[i];
        }
    }
    return NULL;
}

const struct action_def *backend_action_by_verb(const struct backend *b, enum model_kind kind,
                                                const char *verb)
{
    int n;
    const struct action_def *defs = backend_actions(b, &n);
    for (int i = 0; i < n; i++) {
        if (defs[i].kind == kind && strcmp(defs[i].verb, verb) == 0) {
            return &defs[i];
        }
    }
    return NULL;
}

/* The interval a healthy b is polled at: the refresh, or longer for slow answers. */
static uint64_t ok_interval(const struct backend *b)
{
    uint64_t refresh = (uint64_t)b->refresh_ms;
    return b->sched.failures == 0 && b->interval_ms > refresh ? b->interval_ms : refresh;
}

bool backend_is_stale(const struct backend *b, uint64_t now)
{
    return b->last_ok_ms != 0 && now > b->last_ok_ms + 3u * ok_interval(b);
}

void backend_next_try_text(const struct backend *b, uint64_t now, char *buf, size_t len)
{
    if (b->next_poll_ms > now) {
        char in[16];
        duration_format(in, sizeof in, (int64_t)((b->next_poll_ms - now + 999) / 1000));
        snprintf(buf, len, "next try in %s", in);
    } else if (b->polling || b->poll_settling || b->next_poll_ms != 0) {
        snprintf(buf, len, "retrying now");
    } else {
        snprintf(buf, len, "%s", "");
    }
}

static void put_why(char **why, char *text)
{
    if (why != NULL) {
        *why = text;
    } else {
        free(text);
    }
}

/* A loop time as the wall clock shows it: "14:02:11 UTC" (the title bar's clock is UTC). */
static void wall_text(char *buf, size_t len, uint64_t at, uint64_t now)
{
    time_t t = (time_t)((clock_wall_ms() - (int64_t)(now > at ? now - at : 0)) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%H:%M:%S UTC", &tm);
}

static bool fresh_one(const struct backend *b, uint64_t since, uint64_t now, char **why);

bool backend_fresh(const struct backend *b, uint64_t since, uint64_t now, char **why)
{
    if (b->cluster == NULL) {
        return fresh_one(b, since, now, why);
    }
    struct strbuf sb = {0};
    for (size_t i = 0; i < cluster_size(b->cluster); i++) {
        char *one = NULL;
        if (fresh_one(cluster_member(b->cluster, i), since, now, why != NULL ? &one : NULL)) {
            free(sb.s);
            return true;
        }
        if (one != NULL) {
            strbuf_printf(&sb, "%s%s", sb.n ? "; " : "", one);
            free(one);
        }
    }
    put_why(why, xasprintf("%s: no member is fresh: %s", cluster_name(b->cluster),
                           sb.s != NULL ? sb.s : ""));
    free(sb.s);
    return false;
}

static bool fresh_one(const struct backend *b, uint64_t since, uint64_t now, char **why)
{
    char when[32];
    if (b->health == BACKEND_ERROR) {
        put_why(why, xasprintf("%s: error: %s", b->name, b->error != NULL ? b->error : "failed"));
        return false;
    }
    if (b->last_ok_ms == 0 || b->last_ok_ms < since) {
        if (since == 0) {
            put_why(why, xasprintf("%s has not answered yet", b->name));
        } else {
            wall_text(when, sizeof when, since, now);
            put_why(why, xasprintf("%s has not answered since %s", b->name, when));
        }
        return false;
    }
    if (backend_is_stale(b, now)) {
        char age[16];
        duration_format(age, sizeof age, (int64_t)((now - b->last_ok_ms) / 1000));
        put_why(why, xasprintf("%s: stale %s", b->name, age));
        return false;
    }
    return true;
}

bool backend_kind_fresh(struct backend *const *bs, size_t n, enum model_kind kind, uint64_t since,
                        uint64_t now, char **why)
{
    size_t feeding = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(backend_kinds(bs[i]) & (1u << kind))) {
            continue;
        }
        feeding++;
        char *one = NULL;
        if (!backend_fresh(bs[i], since, now, why != NULL ? &one : NULL)) {
            put_why(why, xasprintf("%s: %s", model_schema(kind)->name, one));
            free(one);
            return false;
        }
    }
    if (feeding == 0) {
        put_why(why, xasprintf("%s: no backend feeds this pane", model_schema(kind)->name));
        return false;
    }
    return true;
}

struct backend *backend_find(struct backend *const *bs, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++) {
        if (strcmp(bs[i]->name, name) == 0) {
            return bs[i];
        }
    }
    return NULL;
}

const char *backend_source(const struct backend *b)
{
    return b->cluster != NULL ? cluster_name(b->cluster) : b->name;
}

struct backend *backend_for_row(struct backend *const *bs, size_t n, const char *source,
                                enum model_kind kind, const char *key)
{
    struct backend *b = backend_find(bs, n, source);
    if (b != NULL || source == NULL) {
        return b;
    }
    for (size_t i = 0; i < n; i++) {
        if (bs[i]->cluster != NULL && strcmp(cluster_name(bs[i]->cluster), source) == 0) {
            return cluster_pick(bs[i]->cluster, kind, key, now_ms(bs[i]));
        }
    }
    return NULL;
}

struct backend *backend_for_source(struct backend *const *bs, size_t n, const char *source)
{
    return backend_for_row(bs, n, source, MODEL_ALERTS, NULL);
}

bool backend_join_clusters(struct backend *const *bs, size_t n, char **cause)
{
    for (size_t i = 0; i < n; i++) {
        struct backend *b = bs[i];
        if (b->cluster_name == NULL || b->cluster != NULL) {
            continue;
        }
        if (backend_find(bs, n, b->cluster_name) != NULL) {
            *cause = xasprintf("cluster '%s' has the name of a backend", b->cluster_name);
            return false;
        }
        struct cluster *c = cluster_create(b->cluster_name, b->store);
        for (size_t j = i; j < n; j++) {
            struct backend *o = bs[j];
            if (o->cluster_name == NULL || strcmp(o->cluster_name, b->cluster_name) != 0) {
                continue;
            }
            const char *bc = b->context != NULL ? b->context : "default";
            const char *oc = o->context != NULL ? o->context : "default";
            const char *why = strcmp(o->impl->type, b->impl->type) != 0 ? "type"
                              : strcmp(oc, bc) != 0                     ? "context"
                                                                        : NULL;
            if (why == NULL && !cluster_add(c, o)) {
                why = "size (at most 32 members)";
            }
            if (why != NULL) {
                *cause = xasprintf("cluster '%s': backend '%s' is not of the %s of '%s'",
                                   b->cluster_name, o->name, why, b->name);
                return false;
            }
        }
    }
    return true;
}

static void health_core(const struct backend *b, uint64_t now, char *buf, size_t len);

void backend_health_text(const struct backend *b, uint64_t now, char *buf, size_t len)
{
    health_core(b, now, buf, len);
    if (b->tls_unverified) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, " (TLS unverified)");
    }
}

static void health_core(const struct backend *b, uint64_t now, char *buf, size_t len)
{
    char age[16];
    if (b->last_ok_ms != 0) {
        duration_format(age, sizeof age, (int64_t)((now - b->last_ok_ms) / 1000));
    }
    switch (b->health) {
    case BACKEND_STARTING:
        snprintf(buf, len, "starting");
        break;
    case BACKEND_OK:
        if (backend_is_stale(b, now)) {
            snprintf(buf, len, "stale %s", age);
        } else if (ok_interval(b) >= (uint64_t)b->refresh_ms + 1000) {
            /* a user must see why the data is older than the refresh */
            char every[16];
            duration_format(every, sizeof every, (int64_t)((ok_interval(b) + 500) / 1000));
            snprintf(buf, len, "ok, every %s (slow answers)", every);
        } else {
            snprintf(buf, len, "ok");
        }
        break;
    case BACKEND_ERROR: {
        char next[48];
        backend_next_try_text(b, now, next, sizeof next);
        snprintf(buf, len, "error: %s%s%s", b->error, next[0] != '\0' ? ", " : "", next);
        if (b->last_ok_ms != 0) {
            size_t n = strlen(buf);
            snprintf(buf + n, len - n, " (data %s old)", age);
        }
        break;
    }
    }
}

/* req is answered: it no longer counts (before the answer, which may free req) */
static void answered(struct backend_request *req)
{
    if (req->backend != NULL && req->backend->inflight > 0) {
        req->backend->inflight--;
    }
}

void backend_act(struct backend *b, struct backend_request *req)
{
    b->inflight++;
    if (b->impl->act == NULL) {
        backend_refuse(req, "this backend cannot perform actions");
        return;
    }
    b->impl->act(b, req);
}

void backend_done(struct backend_request *req, bool ok, const char *message)
{
    answered(req);
    req->done(req, ok, message);
}

void backend_refuse(struct backend_request *req, const char *message)
{
    answered(req);
    req->refused = true;
    req->done(req, false, message);
}

void backend_drop(struct backend_request *req)
{
    if (req != NULL) {
        answered(req);
        req->drop(req);
    }
}
