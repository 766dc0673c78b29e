/*
 * The backend interface (DESIGN rule 3).
 *
 * A backend type is a const table of callbacks, registered by name in
 * backends/registry.c. An instance (struct backend) carries the settings every
 * backend shares plus the implementation's private state in priv.
 *
 * Contract of the callbacks:
 * - create: allocate priv (may be NULL). No I/O.
 * - configure: one "key = value" from the backend's config section that is not
 *   a common key (type, refresh, timeout, backoff_cap, actions, context,
 *   cluster). Return false with *cause set ("unknown key 'x'", "bad value
 *   ...") to reject it.
 * - start: validate the configuration as a whole; no I/O yet.
 * - poll: called by the core when the schedule says (once at start, then the
 *   refresh after each poll, longer after failures or slow answers: see the
 *   schedule below). Start a fetch on the loop between backend_poll_begin and
 *   backend_poll_end and return at once; when data arrives, build a rowset
 *   and call backend_publish(); on failure call backend_fail() (before or
 *   right after backend_poll_end: the schedule counts it). Must never block.
 *   A poll while the previous fetch is in flight should be skipped.
 * - act: perform the request (a verb of the type's action table on one
 *   row); return at once and answer with backend_done() exactly once, now
 *   or later. The request stays valid until then.
 * - destroy: free priv and cancel anything in flight.
 * A backend never calls curses. No callback a backend registers (HTTP, a
 * child, a socket, a timer) runs before the call that registered it returns.
 * HTTP backends share their bookkeeping: http_poll.h for the poll (one fetch
 * in flight, however many requests it chains), http_action.h for actions.
 */
#ifndef OPSDECK_BACKEND_H
#define OPSDECK_BACKEND_H

#include "model.h"
#include "pollpolicy.h"

#include <stdbool.h>
#include <stdint.h>

struct backend_request;
struct cluster;
struct doctor;
struct http_poll;
struct loop;
struct loop_timer;

enum action_flags {
    ACTION_INPUT = 1u << 0,      /* asks for a value (duration, weight) */
    ACTION_TYPED = 1u << 1,      /* irreversible: confirm by typing the target */
    ACTION_DISRUPTIVE = 1u << 2, /* drops traffic or restarts: shown as such */
};

struct action_def {
    const char *verb;          /* "drain", "ready", "maint", "silence", "restart" */
    const char *label;         /* "Drain server" */
    enum model_kind kind;      /* the pane whose rows it applies to */
    int key;                   /* the key in that pane */
    unsigned flags;            /* enum action_flags */
    const char *input_prompt;  /* for ACTION_INPUT */
    const char *input_default; /* for ACTION_INPUT */
};

struct backend;

/*
 * What a backend is asked to do: a verb on one row, with the value typed for
 * an input action. The engine makes it (engine/action.c: check, confirm,
 * audit) and hears the answer through done; a backend only reads it and
 * calls backend_done(). This is how results travel up without a backend
 * knowing the engine.
 */
struct backend_request {
    struct backend *backend;
    const struct action_def *def;
    const char *target; /* the row key, e.g. "be_web/web2" */
    const char *input;  /* the value typed for ACTION_INPUT, or NULL */
    void (*done)(struct backend_request *req, bool ok, const char *message);
    void (*drop)(struct backend_request *req);
    bool refused; /* backend_refuse(): it certainly did not apply (not a timeout, not unsure) */
};

/* The backend's answer to req, exactly once; message is its text or NULL. req may be gone after. */
void backend_done(struct backend_request *req, bool ok, const char *message);
/*
 * A failure that certainly changed nothing: the system said no (an error
 * reply), or the request never left. Use backend_done(req, false, ...) when
 * unsure (a timeout, a lost connection): a drill keeps that chaos's rollback.
 */
void backend_refuse(struct backend_request *req, const char *message);
/*
 * The backend goes away (destroy) with req unanswered: let it go without a
 * report, since whoever asked is shutting down too. Its "started" audit line
 * stays, as after a crash.
 */
void backend_drop(struct backend_request *req);

struct backend_impl {
    const char *type;
    const char *description;
    unsigned kinds; /* (1u << kind) for each model kind it publishes */
    const struct action_def *actions;
    int nactions;
    void *(*create)(struct backend *b);
    bool (*configure)(struct backend *b, const char *key, const char *value, char **cause);
    bool (*start)(struct backend *b, char **cause);
    void (*poll)(struct backend *b);
    void (*act)(struct backend *b, struct backend_request *req);
    /*
     * Optional: a form for def on one target, instead of the def's single
     * input. Fill labels (borrowed) and values (malloc'd, prefilled), at most
     * max, and return how many (0: no form). act() then receives the edited
     * values in a->input, joined by '\n' (a field cannot hold a newline).
     */
    int (*form)(struct backend *b, const struct action_def *def, const char *target,
                const char **labels, char **values, int max);
    /*
     * Optional: lines for def's confirmation dialog on target, from what the
     * backend knows now (how many messages go where, a warning); the caller
     * frees. NULL: nothing to add.
     */
    char *(*describe)(struct backend *b, const struct action_def *def, const char *target);
    /*
     * Optional: opsdeck doctor's checks beyond the first poll (version,
     * authentication, whether actions can work). backends/doctor.h.
     */
    void (*doctor)(struct backend *b, struct doctor *d);
    void (*destroy)(struct backend *b);
};

enum backend_health { BACKEND_STARTING, BACKEND_OK, BACKEND_ERROR };

struct backend {
    const struct backend_impl *impl;
    char *name;
    struct store *store;
    struct loop *loop;
    void *priv;
    int refresh_ms;
    int timeout_ms;
    bool actions_enabled;
    enum backend_health health;
    char *error;         /* last error when health == BACKEND_ERROR */
    uint64_t last_ok_ms; /* monotonic time of the last publish, 0 = never */
    uint64_t polls;      /* number of polls started */
    bool tls_unverified; /* insecure = true: said next to the health, always */
    struct loop_timer *timer;
    bool polling;      /* a fetch is in flight: between backend_poll_begin and backend_poll_end */
    unsigned inflight; /* actions asked (backend_act) and not yet answered, dropped or refused */
    bool repoll;       /* a refresh was asked for meanwhile: it runs when the fetch ends */
    /*
     * The schedule (issue 20, pollpolicy.h): the timer is one-shot, armed
     * again when a poll ends (backend_poll_end) with poll_next_delay() from
     * how it ended and how long it took. A backend that never calls
     * backend_poll_begin is polled every refresh. The timer is one handle for
     * the backend's life (NULL: not on a schedule), armed for one shot at a
     * time (loop_timer_reset) and parked a day ahead while a fetch is in
     * flight; destroy cancels it.
     */
    struct poll_sched sched;  /* refresh, backoff cap, consecutive failures */
    uint64_t poll_started_ms; /* loop time the poll in flight began */
    uint64_t next_poll_ms;    /* loop time the next poll is due, 0 = not armed */
    uint64_t retry_after_ms;  /* the server's Retry-After in the poll in flight, 0 = none */
    bool poll_asked;          /* the poll in flight was asked for (a key, an action), not timed */
    struct http_poll *http;   /* an HTTP backend's poll (http_poll_init), for hedging; or NULL */
    /*
     * Private to backend.c. A poll's outcome is settled on the loop's next
     * turn after backend_poll_end (the timer fires at once), since many
     * backends end the poll first and say backend_fail or backend_ok after.
     */
    bool poll_failed;       /* backend_fail since the poll began */
    bool poll_settling;     /* ended, its outcome not counted yet */
    uint64_t poll_ended_ms; /* loop time the last poll ended */
    uint64_t interval_ms;   /* from the last poll's start to the next's, as scheduled */
    /* Optional per-instance actions (exec plugins), used instead of impl->actions when set. */
    const struct action_def *actions;
    int nactions;
    /* Optional: the kinds this instance feeds (plugins feed one pane); 0: impl->kinds. */
    unsigned kinds;
    /*
     * Its context (`context = NAME`; NULL: "default"), stamped on every rowset
     * it publishes. The [context] section's policy is copied here at start
     * (tui/main.c): read_only refuses every action (engine/action.c),
     * protected asks the typed confirmation for every one.
     */
    char *context;
    bool context_read_only;
    bool context_protected;
    /*
     * `cluster = NAME`: the HA cluster it is a member of (backends/cluster.h),
     * joined by backend_join_clusters(); its rows are published merged, under
     * the cluster's name. NULL: none.
     */
    char *cluster_name;
    struct cluster *cluster;
};

/* The name of b's context: its `context`, else "default". */
const char *backend_context(const struct backend *b);
/*
 * Set rs's context and fill its CONTEXT column (one arena string for every
 * row). backend_publish does it; a backend that publishes straight into the
 * store (a chain whose health waits) calls it itself.
 */
void backend_stamp(const struct backend *b, struct rowset *rs);

const struct backend_impl *backend_impl_find(const char *type);
/* NULL-terminated list of every registered type, for --help and errors. */
const struct backend_impl *const *backend_impls(void);

struct backend *backend_create(const struct backend_impl *impl, const char *name,
                               struct store *store, struct loop *loop);
void backend_destroy(struct backend *b);
/*
 * Common keys first (refresh, timeout, backoff_cap, actions, context,
 * cluster), then the implementation's.
 */
bool backend_configure(struct backend *b, const char *key, const char *value, char **cause);
/* Validate and schedule polling on the loop (first poll at once). */
bool backend_start(struct backend *b, char **cause);
/* backend_start in two halves: validate (impl->start, no I/O), then schedule the polls. */
bool backend_validate(struct backend *b, char **cause);
void backend_schedule(struct backend *b);
/*
 * No more polls on the schedule (a fetch in flight still ends as usual): a
 * one-shot command (snapshot) that reports its backends' health then says
 * no "next try in" it will never make.
 */
void backend_unschedule(struct backend *b);
/*
 * Ask b to perform req (impl->act; "this backend cannot perform actions"
 * when it has none). b->inflight counts it until backend_done, backend_refuse
 * or backend_drop answers it: a reload keeps a busy backend (tui/reload.c).
 */
void backend_act(struct backend *b, struct backend_request *req);
/*
 * Poll now, outside the schedule (a key, right after an action), also in
 * backoff: the timer is reset to fire at once, or, while a fetch is in flight,
 * the next poll runs as soon as it ends. That poll has b->poll_asked set.
 */
void backend_poll_now(struct backend *b);

/* Called by implementations. */
void backend_publish(struct backend *b, struct rowset *rs);
/*
 * Publish rows (stamped with b's context, merged when b is in a cluster)
 * without a word on the health (a chain of requests says it at its end).
 */
void backend_publish_rows(struct backend *b, struct rowset *rs);
/* Publish only the rows that changed since the last publish (store_patch). */
void backend_patch(struct backend *b, struct rowset *rs);
void backend_fail(struct backend *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark a successful poll that published nothing new. */
void backend_ok(struct backend *b);

/*
 * Poll bookkeeping for implementations that fetch: begin is false while a
 * fetch is in flight (skip this poll); end is called once the fetch is over,
 * however it ended. After an action, backend_poll_now polls now, or right
 * after the fetch in flight, whose answer may predate the change.
 */
bool backend_poll_begin(struct backend *b);
void backend_poll_end(struct backend *b);

/* The kinds this instance publishes: its own when set, else the type's. */
unsigned backend_kinds(const struct backend *b);
/* The action table in effect: the instance's own when set, else the type's. */
const struct action_def *backend_actions(const struct backend *b, int *n);
const struct action_def *backend_action(const struct backend *b, enum model_kind kind, int key);
const struct action_def *backend_action_by_verb(const struct backend *b, enum model_kind kind,
                                                const char *verb);

/*
 * One-line health for the status bar: "ok", "ok, every 30s (slow answers)"
 * (polled less often than the refresh: issue 20's load-aware interval),
 * "starting", "stale 42s" (no fresh data for more than three intervals),
 * "error: reason, next try in 23s (data 1m old)". buf >= 128.
 * This is b's own; a cluster's is cluster_health_text (backends/cluster.h).
 */
void backend_health_text(const struct backend *b, uint64_t now_ms, char *buf, size_t len);
/*
 * True when the newest data is older than three intervals: the refresh, or
 * the longer interval a slow backend is polled at (pollpolicy.h).
 */
bool backend_is_stale(const struct backend *b, uint64_t now_ms);
/*
 * When b polls next, for a failing backend's health: "next try in 23s",
 * "retrying now" (a fetch in flight), or "" when not on a schedule.
 */
void backend_next_try_text(const struct backend *b, uint64_t now_ms, char *buf, size_t len);

/*
 * Freshness (DESIGN rule 7: data the console does not have is unknown). Has b
 * answered successfully since `since` (the clock of last_ok_ms: the loop's),
 * and is what it shows still good now (its last poll did not fail, it is not
 * stale)? false with *why (caller frees; why may be NULL): "am has not
 * answered since 14:02:11 UTC", "am: error: connection refused", "am: stale
 * 42s". since 0: any answer counts. A member of a cluster is fresh when some
 * member of its cluster is (the cluster's rows are whole from the others);
 * *why then names every member.
 */
bool backend_fresh(const struct backend *b, uint64_t since, uint64_t now_ms, char **why);
/*
 * The same for a pane: have all the backends feeding kind answered since
 * `since`, and is none of them failing or stale? false with *why naming the
 * first that is not ("alerts: am has not answered since 14:02:11 UTC"), or
 * "alerts: no backend feeds this pane".
 */
bool backend_kind_fresh(struct backend *const *bs, size_t n, enum model_kind kind, uint64_t since,
                        uint64_t now_ms, char **why);
/* The backend named name among bs, or NULL. */
struct backend *backend_find(struct backend *const *bs, size_t n, const char *name);

/*
 * Make the clusters `cluster = NAME` names (backends/cluster.h): members of one
 * cluster must be of one type and one context, and no backend may be named
 * like a cluster; false with *cause otherwise (engine/config.c says it with
 * file:line first). Call once, after configuring every backend of bs.
 */
bool backend_join_clusters(struct backend *const *bs, size_t n, char **cause);
/* The source b's rows are published under: its cluster's name, else its own. */
const char *backend_source(const struct backend *b);
/*
 * The backend that acts for the rows of source: the backend of that name, or
 * for a cluster's name its live member (the freshest healthy one); NULL when
 * none. backend_for_row prefers a live member whose rows of kind have key.
 */
struct backend *backend_for_source(struct backend *const *bs, size_t n, const char *source);
struct backend *backend_for_row(struct backend *const *bs, size_t n, const char *source,
                                enum model_kind kind, const char *key);

#endif
