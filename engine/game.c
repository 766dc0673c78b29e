/*
 * A running drill (the game half of drill.h): the drill clock, injects,
 * expectations, checks, chaos actions and their guaranteed rollback.
 *
 * The journal is the run journal (RUN-ID.jsonl, events as in docs/drills.md),
 * every event with data.t_ms, the drill clock. Every transition is journaled
 * before it takes effect; a chaos action is asked for only once its
 * chaos.plan (with the rollback) is on disk.
 *
 * Rollback is one machine for every way a drill stops. Each chaos.plan adds a
 * `plan` (the rollback as text, so a crashed run is rolled back from its
 * journal alone, even when the drill file changed or is gone). Ending,
 * aborting, game_close() and drill_recover() all start the same machine:
 * wait for chaos actions still in flight (a rollback sent before its action
 * would be undone by it), then run the rollbacks one at a time, newest first,
 * each once per process, each after its backend has answered once (a plugin
 * acts on the rows it printed; at most its timeout and a margin), then the
 * after checks and run.end (not after close: the run stays open for resume).
 * Nothing here runs the loop: the callers keep it turning and drawing.
 *
 * A plan stays pending until a rollback.end with ok true, or a
 * rollback.giveup (the operator's explicit, typed and audited decision). A
 * failed rollback is said plainly (NOT RESTORED) and is tried again by every
 * later start (drill_recover), even of a run that has ended; recovery does
 * not end a run while a plan of it is pending.
 *
 * Checks over live panes have three outcomes (cond.h): before and after
 * checks wait (bounded) for the panes' backends to answer afresh, and one
 * still unknown then does not pass; a during check that is unknown is said
 * but does not count toward the abort: only a failure seen on fresh data
 * does.
 *
 * The clock: base_ms of drill time banked, plus now - since while running.
 * Resume sets it to the last t_ms in the journal and pauses: the time between
 * the last event and a crash is not known.
 *
 * One opsdeck per run: the game holds flock() on its journal; drill_recover()
 * passes over a run that another opsdeck holds.
 */
#include "drill.h"

#include "../backends/backend.h"
#include "../common/proc.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../common/loop.h"
#include "action.h"
#include "cond.h"
#include "journal.h"
#include "notify.h"
#include "paths.h"
#include "run.h"
#include "runlog.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

enum {
    TICK_MS = 250,
    CHECK_INTERVAL_MS = 5000,
    CHECK_TIMEOUT_MS = 10000,
    DESTROY_LIMIT_MS = 15000,
    FRESH_RETRY_MS = 250,   /* a before/after check waiting for fresh data looks again */
    FRESH_MARGIN_MS = 2000, /* ... for at most the backends' timeout and this */
    READY_TICK_MS = 100,    /* a rollback waiting for its backend's first answer */
};

/* The Slack hook of `notify: live` drills (the sandbox one is the drill's sandbox_env). */
static const char LIVE_HOOK_ENV[] = "OPSDECK_SLACK_WEBHOOK";

enum ending { END_NONE, END_FINISH, END_ABORT, END_DESTROY, END_RECOVER };

struct game;

/* An action's report may come after the game is gone: it finds g NULL then. */
struct act_token {
    struct game *g;
    size_t plan;
    bool rollback;
};

/* A planned rollback (one per chaos.plan). */
struct plan {
    char *inject;
    int index;
    char *rollback; /* "PANE VERB TARGET [INPUT]" */
    char *backend;  /* or NULL: the first with the verb */
    size_t ii;      /* the inject's index in the drill, SIZE_MAX when unknown */
    bool chaos_inflight;
    bool attempted; /* rollback.start journaled (here or before a crash) */
    bool done;      /* the attempt's rollback.end journaled */
    bool ok;        /* ... and it succeeded */
    bool resolved;  /* not pending any more: rolled back, or given up */
    bool gave_up;
    bool prior;           /* resolved before this process (drill_recover reports only its own) */
    bool tried;           /* attempted in this process */
    uint64_t ready_until; /* waiting for the backend's first answer until (loop ms) */
    bool unanswered;      /* sent although its backend never answered */
    char *message;
    struct act_token *tok;
};

struct chaos_rt {
    enum chaos_state state;
    char *message;
};

struct inject_rt {
    enum inject_state state;
    uint64_t fired_ms;
    bool contingency_fired;
    enum expect_state *ex;
    struct chaos_rt *ch;
};

struct check_rt {
    int result; /* enum check_result */
    char *why;
    int journaled;        /* the last result journaled, -1 none (during checks journal changes) */
    uint64_t fresh_until; /* a before/after check waiting for fresh data, until (loop ms) */
    bool failing;
    uint64_t fail_since;
    uint64_t next_ms;
    struct proc *proc;
    struct act_token *ptok; /* the proc's callback data, freed if it is cancelled */
};

struct nreq {
    struct game *g;
    struct notify *n;
};

struct game {
    struct game_env env;
    char *runs_dir;
    struct drill *d; /* NULL while recovering a crashed run */
    char *id;
    struct journal *j;
    int lock_fd;
    struct game_hooks hooks;
    enum game_state state;
    char *message;
    bool began;

    uint64_t base_ms, since;
    struct loop_timer *timer;

    struct inject_rt *inj;
    struct check_rt *chk;
    struct loop_timer *seq_timer; /* a before/after check waiting for fresh data looks again */
    size_t seq_wait;              /* ... which one */
    size_t seq_i;                 /* before/after checks: the next one to run */
    bool seq_all_ok;              /* before checks so far */
    char *seq_failed;             /* the first before check that failed */

    struct plan *plans;
    size_t nplans;

    enum ending ending;
    char *abort_why;
    bool ending_done;
    bool after_running;
    bool was_ended;                 /* recovering a run that had ended (pending rollbacks) */
    bool closing;                   /* game_close() was called */
    uint64_t seq_since;             /* loop time the before/after checks began */
    uint64_t during_since;          /* ... this session of the drill began (during checks) */
    struct loop_timer *ready_timer; /* a rollback waits for its backend's first answer */

    struct nreq **nreqs;
    size_t nnreqs;
};

/* ---- small helpers ---- */

static void set_cause(char **cause, const char *text)
{
    if (cause != NULL) {
        *cause = xstrdup(text);
    }
}

static void set_message(struct game *g, char *msg)
{
    free(g->message);
    g->message = msg;
}

static void changed(struct game *g)
{
    if (g->hooks.changed != NULL) {
        g->hooks.changed(g, g->hooks.ud);
    }
}

static uint64_t now(const struct game *g)
{
    return g->env.now_ms != NULL ? g->env.now_ms(g->env.now_ud) : clock_mono_ms();
}

uint64_t game_clock_ms(const struct game *g)
{
    if (g->state == GAME_RUNNING) {
        uint64_t n = now(g);
        return g->base_ms + (n > g->since ? n - g->since : 0);
    }
    return g->base_ms;
}

static const char *jstr(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const cJSON *jdata(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "data");
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Append one event (data consumed, t_ms added); false when it is not on disk. */
static bool jlog(struct game *g, const char *step, const char *action, const char *target,
                 const char *result, cJSON *data)
{
    if (data == NULL) {
        data = cJSON_CreateObject();
    }
    cJSON_AddNumberToObject(data, "t_ms", (double)game_clock_ms(g));
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .run = g->id,
        .step = step,
        .action = action,
        .target = target,
        .result = result,
        .data = data,
    };
    char *why = NULL;
    bool ok = g->j != NULL && journal_append(g->j, &ev, &why);
    cJSON_Delete(data);
    if (!ok) {
        set_message(g,
                    xasprintf("the journal cannot be written: %s", why != NULL ? why : "not open"));
        free(why);
    }
    return ok;
}

static char *act_text(const struct drill_act *a)
{
    return xasprintf("%s %s %s%s%s", a->pane ? a->pane : "?", a->verb ? a->verb : "?",
                     a->target ? a->target : "?", a->input ? " " : "", a->input ? a->input : "");
}

/* Split "PANE VERB TARGET [INPUT]" (the journal's form) into a (strings are the caller's). */
static bool act_parse(const char *text, struct drill_act *a)
{
    memset(a, 0, sizeof *a);
    char *s = xstrdup(text != NULL ? text : "");
    char *save = NULL;
    char *pane = strtok_r(s, " ", &save);
    char *verb = pane != NULL ? strtok_r(NULL, " ", &save) : NULL;
    char *target = verb != NULL ? strtok_r(NULL, " ", &save) : NULL;
    char *rest = target != NULL ? strtok_r(NULL, "", &save) : NULL;
    if (target == NULL) {
        free(s);
        return false;
    }
    a->pane = xstrdup(pane);
    a->verb = xstrdup(verb);
    a->target = xstrdup(target);
    a->input = rest != NULL && *str_trim(rest) != '\0' ? xstrdup(rest) : NULL;
    free(s);
    return true;
}

static void act_clear(struct drill_act *a)
{
    free(a->pane);
    free(a->verb);
    free(a->target);
    free(a->input);
}

/* The backend and definition of a console action; NULL with *why. */
static struct backend *resolve(struct backend **bs, size_t n, const char *name,
                               const struct drill_act *a, const struct action_def **def, char **why)
{
    enum model_kind kind;
    if (a->pane == NULL || !model_kind_from_name(a->pane, &kind)) {
        *why = xasprintf("unknown pane '%s'", a->pane != NULL ? a->pane : "");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (name != NULL && strcmp(bs[i]->name, name) != 0) {
            continue;
        }
        *def = backend_action_by_verb(bs[i], kind, a->verb != NULL ? a->verb : "");
        if (*def != NULL) {
            return bs[i];
        }
    }
    *why = name != NULL
               ? xasprintf("backend '%s' has no action '%s' on %s", name, a->verb ? a->verb : "",
                           a->pane)
               : xasprintf("no backend has the action '%s' on %s", a->verb ? a->verb : "", a->pane);
    return NULL;
}

/* Send one console action through the action path; false with *why when it cannot be sent. */
static bool send_action(struct game *g, const char *backend, const struct drill_act *a,
                        const char *step, action_report_cb cb, struct act_token *tok, char **why)
{
    const struct action_def *def = NULL;
    struct backend *b = resolve(g->env.backends, g->env.nbackends, backend, a, &def, why);
    if (b == NULL) {
        return false;
    }
    const char *input = a->input;
    if (input == NULL && (def->flags & ACTION_INPUT)) {
        input = def->input_default;
    }
    struct action *act = action_create(b, def, a->target, input);
    act->run = xstrdup(g->id);
    act->step = step != NULL ? xstrdup(step) : NULL;
    action_run(act, cb, tok); /* may report before returning */
    return true;
}

static const char *when_name(enum drill_when w)
{
    return w == DRILL_BEFORE ? "before" : w == DRILL_DURING ? "during" : "after";
}

/* A plan not yet tried in this process that is still pending. */
static bool has_pending_rollback(const struct game *g)
{
    for (size_t i = 0; i < g->nplans; i++) {
        if (!g->plans[i].resolved && !g->plans[i].attempted) {
            return true;
        }
    }
    return false;
}

/* Plans still pending: not rolled back, not given up. */
static size_t count_unresolved(const struct game *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nplans; i++) {
        n += !g->plans[i].resolved;
    }
    return n;
}

/* The loop's time: the clock of backend.last_ok_ms (not the drill clock, which tests fake). */
static uint64_t loop_ms(const struct game *g)
{
    return g->env.loop != NULL ? loop_now_ms(g->env.loop) : clock_mono_ms();
}

/* ---- rollback ---- */

static void after_rollbacks(struct game *g);

static struct chaos_rt *plan_chaos(struct game *g, const struct plan *p)
{
    if (g->d == NULL || p->ii >= g->d->ninjects || p->index < 0 ||
        (size_t)p->index >= g->d->injects[p->ii].nchaos) {
        return NULL;
    }
    return &g->inj[p->ii].ch[p->index];
}

static void rollback_ended(struct game *g, size_t pi, bool ok, const char *message)
{
    struct plan *p = &g->plans[pi];
    const char *m0 = message != NULL ? message : (ok ? "done" : "failed");
    char *m = !ok && p->unanswered ? xasprintf("%s (its backend never answered)", m0) : xstrdup(m0);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "message", m);
    /* which plan it ends, so a reader needs no pairing by order */
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    bool on_disk = jlog(g, p->inject, "rollback.end", NULL, ok ? "ok" : m, d);
    /*
     * Failed, or not on disk: it stays pending, and the next start tries it
     * again (ready twice does no harm).
     */
    p->done = on_disk;
    p->ok = ok;
    p->resolved = on_disk && ok;
    free(p->message);
    p->message = m;
    struct chaos_rt *c = plan_chaos(g, p);
    if (c != NULL) {
        c->state = ok ? CHAOS_ROLLED_BACK : CHAOS_UNRESTORED;
        free(c->message);
        c->message = xstrdup(m);
    }
}

static void step_rollback(struct game *g);

static void on_rollback_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct act_token *t = ud;
    struct game *g = t->g;
    size_t pi = t->plan;
    (void)a;
    free(t);
    if (g == NULL) {
        return; /* freed meanwhile; no rollback.end: the next start runs it again */
    }
    g->plans[pi].tok = NULL;
    rollback_ended(g, pi, ok, message);
    changed(g);
    step_rollback(g);
}

static void on_ready_tick(void *ud)
{
    struct game *g = ud;
    g->ready_timer = NULL; /* one-shot: gone once fired */
    step_rollback(g);
}

/*
 * Is p's backend ready for its rollback? A backend that has not answered yet
 * may not know the target (a plugin acts on the rows it printed): wait for
 * its first answer, at most its timeout and a margin, on a timer; then send
 * anyway (a failure stays pending). false while waiting.
 */
static bool rollback_ready(struct game *g, struct plan *p)
{
    struct drill_act a;
    if (g->env.loop == NULL || !act_parse(p->rollback, &a)) {
        return true;
    }
    const struct action_def *def = NULL;
    char *why = NULL;
    struct backend *b = resolve(g->env.backends, g->env.nbackends, p->backend, &a, &def, &why);
    free(why);
    act_clear(&a);
    if (b == NULL || b->last_ok_ms != 0 || b->timer == NULL) {
        return true; /* not on a schedule: it will not answer by waiting */
    }
    uint64_t t = loop_ms(g);
    if (p->ready_until == 0) {
        p->ready_until = t + (uint64_t)b->timeout_ms + FRESH_MARGIN_MS;
    }
    if (t >= p->ready_until) {
        p->unanswered = true;
        return true;
    }
    set_message(g, xasprintf("rolling back %s: waiting for %s to answer first (at most %llu s)",
                             p->rollback, b->name,
                             (unsigned long long)((p->ready_until - t + 999) / 1000)));
    g->ready_timer = loop_timer_add(g->env.loop, READY_TICK_MS, 0, on_ready_tick, g);
    changed(g);
    return false;
}

/* Next rollback, newest plan first; after checks once none is left. */
static void step_rollback(struct game *g)
{
    if (g->ending == END_NONE || g->ending_done || g->after_running || g->ready_timer != NULL) {
        return;
    }
    for (size_t i = 0; i < g->nplans; i++) {
        if (g->plans[i].chaos_inflight || g->plans[i].tok != NULL) {
            return; /* its report calls us again */
        }
    }
    for (size_t k = g->nplans; k > 0; k--) {
        struct plan *p = &g->plans[k - 1];
        if (p->resolved || p->attempted) {
            continue;
        }
        if (!rollback_ready(g, p)) {
            return; /* the timer calls us again */
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "inject", p->inject);
        cJSON_AddNumberToObject(d, "index", p->index);
        cJSON_AddStringToObject(d, "action", p->rollback);
        if (!jlog(g, p->inject, "rollback.start", NULL, NULL, d)) {
            /* nothing runs unjournaled: leave it to drill_recover */
            p->attempted = true;
            continue;
        }
        p->attempted = true;
        p->tried = true;
        struct drill_act a;
        char *why = NULL;
        if (!act_parse(p->rollback, &a)) {
            why = xasprintf("cannot read the rollback '%s'", p->rollback);
        } else {
            p->tok = xcalloc(1, sizeof *p->tok);
            p->tok->g = g;
            p->tok->plan = (size_t)(p - g->plans);
            p->tok->rollback = true;
            size_t left = 0;
            for (size_t i = 0; i < g->nplans; i++) {
                left += !g->plans[i].resolved && !g->plans[i].attempted;
            }
            set_message(
                g, left > 0 ? xasprintf("rolling back: %s (%zu more after it)", p->rollback, left)
                            : xasprintf("rolling back: %s", p->rollback));
            changed(g);
            if (!send_action(g, p->backend, &a, p->inject, on_rollback_report, p->tok, &why)) {
                free(p->tok);
                p->tok = NULL;
            }
        }
        act_clear(&a);
        if (why != NULL) {
            rollback_ended(g, (size_t)(p - g->plans), false, why);
            free(why);
            changed(g);
            continue;
        }
        return; /* one at a time; the report calls us again */
    }
    after_rollbacks(g);
}

/* ---- checks ---- */

static void check_done(struct game *g, size_t i, int result, char *why);

static void on_check_proc(const struct proc_result *res, void *ud)
{
    struct act_token *t = ud; /* plan: the check's index */
    struct game *g = t->g;
    size_t i = t->plan;
    free(t);
    g->chk[i].proc = NULL;
    g->chk[i].ptok = NULL;
    const struct drill_check *c = &g->d->checks[i];
    bool ok = res->error == NULL && res->exit_code == c->expect_exit;
    char *last = proc_last_line(res->out != NULL ? res->out : "");
    char *why;
    if (res->error != NULL) {
        why = xstrdup(res->error);
    } else if (*last != '\0') {
        why = xasprintf("exit %d%s: %s", res->exit_code, ok ? "" : " (want 0)", last);
    } else {
        why = xasprintf("exit %d", res->exit_code);
    }
    if (!ok && res->error == NULL && c->expect_exit != 0) {
        free(why);
        why = xasprintf("exit %d (want %d)%s%s", res->exit_code, c->expect_exit,
                        *last != '\0' ? ": " : "", last);
    }
    free(last);
    check_done(g, i, ok ? CHECK_OK : CHECK_FAILED, why);
}

/* How long a before/after check waits for kind's backends to answer: their timeout and a margin. */
static uint64_t fresh_limit(const struct game *g, enum model_kind kind)
{
    int most = -1;
    for (size_t i = 0; i < g->env.nbackends; i++) {
        const struct backend *b = g->env.backends[i];
        if ((backend_kinds(b) & (1u << kind)) && b->timeout_ms > most) {
            most = b->timeout_ms;
        }
    }
    return most < 0 ? 0 : (uint64_t)most + FRESH_MARGIN_MS;
}

static void look_check(struct game *g, size_t i, bool first);

static void on_seq_retry(void *ud)
{
    struct game *g = ud;
    g->seq_timer = NULL; /* one-shot: gone once fired */
    look_check(g, g->seq_wait, false);
}

/*
 * A condition check: met, not met, or unknown (cond.h). Before and after
 * checks count only answers since their sequence began: the first look asks
 * the pane's backends for one, and while unknown they look again until the
 * backends' timeout and a margin have passed.
 */
static void look_check(struct game *g, size_t i, bool first)
{
    const struct drill_check *c = &g->d->checks[i];
    bool seq = c->when != DRILL_DURING;
    struct cond cd;
    char *why = NULL;
    if (!cond_parse(&cd, c->until, &why)) {
        check_done(g, i, CHECK_FAILED, why);
        return;
    }
    if (first && seq) {
        for (size_t k = 0; k < g->env.nbackends; k++) {
            if (backend_kinds(g->env.backends[k]) & (1u << cd.kind)) {
                backend_refresh_soon(g->env.backends[k]);
            }
        }
        g->chk[i].fresh_until = loop_ms(g) + fresh_limit(g, cd.kind);
    }
    struct cond_env ce = {
        .store = g->env.store,
        .backends = g->env.backends,
        .nbackends = g->env.nbackends,
        .since_ms = seq ? g->seq_since : g->during_since,
        .now_ms = loop_ms(g),
    };
    enum cond_result res = cond_eval(&cd, &ce, &why);
    cond_free(&cd);
    if (res == COND_UNKNOWN && seq && g->env.loop != NULL && loop_ms(g) < g->chk[i].fresh_until) {
        set_message(g, xasprintf("check '%s' waits for fresh data: %s", c->id, why));
        free(why);
        g->seq_wait = i;
        g->seq_timer = loop_timer_add(g->env.loop, FRESH_RETRY_MS, 0, on_seq_retry, g);
        changed(g);
        return;
    }
    check_done(g, i,
               res == COND_MET       ? CHECK_OK
               : res == COND_NOT_MET ? CHECK_FAILED
                                     : CHECK_UNKNOWN,
               why);
}

/* Start check i: a condition answers now or soon, a command later (all end in check_done). */
static void run_check(struct game *g, size_t i)
{
    const struct drill_check *c = &g->d->checks[i];
    if (c->until != NULL) {
        look_check(g, i, true);
        return;
    }
    struct proc_options o = {
        .command = c->run != NULL ? c->run : "false",
        .timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : CHECK_TIMEOUT_MS,
    };
    char *why = NULL;
    struct act_token *t = xcalloc(1, sizeof *t);
    t->g = g;
    t->plan = i;
    g->chk[i].proc =
        g->env.loop != NULL ? proc_spawn(g->env.loop, &o, on_check_proc, t, &why) : NULL;
    g->chk[i].ptok = t;
    if (g->chk[i].proc == NULL) {
        free(t);
        g->chk[i].ptok = NULL;
        check_done(g, i, CHECK_FAILED, why != NULL ? why : xstrdup("no event loop to run it on"));
    }
}

static void journal_check(struct game *g, size_t i, int result, const char *why)
{
    const struct drill_check *c = &g->d->checks[i];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", c->id);
    cJSON_AddStringToObject(d, "when", when_name(c->when));
    cJSON_AddBoolToObject(d, "ok", result == CHECK_OK);
    if (result == CHECK_UNKNOWN) {
        cJSON_AddBoolToObject(d, "unknown", true);
    }
    cJSON_AddStringToObject(d, "reason", why);
    jlog(g, c->id, "check", NULL,
         result == CHECK_OK        ? "ok"
         : result == CHECK_UNKNOWN ? "unknown"
                                   : why,
         d);
    g->chk[i].journaled = result;
}

static void next_sequential(struct game *g, enum drill_when when);
static void finish(struct game *g);

static void check_done(struct game *g, size_t i, int result, char *why)
{
    struct check_rt *r = &g->chk[i];
    const struct drill_check *c = &g->d->checks[i];
    bool ok = result == CHECK_OK;
    r->result = result;
    free(r->why);
    r->why = why;
    if (c->when == DRILL_DURING) {
        if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
            return;
        }
        if (r->journaled != result) {
            journal_check(g, i, result, why);
        }
        if (result == CHECK_UNKNOWN) {
            /* said, but blindness is not a failure: only one seen on fresh data counts */
            changed(g);
            return;
        }
        uint64_t t = game_clock_ms(g);
        if (ok) {
            r->failing = false;
        } else if (!r->failing) {
            r->failing = true;
            r->fail_since = t;
        }
        changed(g);
        if (r->failing && t - r->fail_since >= (uint64_t)c->tolerance_s * 1000) {
            char *msg = xasprintf("check '%s' failed%s: %s", c->id,
                                  c->tolerance_s > 0 ? " past its tolerance" : "", why);
            game_abort(g, msg);
            free(msg);
        }
        return;
    }
    if (c->when == DRILL_BEFORE && g->state != GAME_CHECKING) {
        return;
    }
    journal_check(g, i, result, why);
    if (!ok && c->when == DRILL_BEFORE && g->seq_all_ok) {
        /* unknown does not pass: the gate opens only on what was seen */
        g->seq_all_ok = false;
        g->seq_failed = xasprintf("before check '%s' %s: %s", c->id,
                                  result == CHECK_UNKNOWN ? "is unknown" : "failed", why);
    }
    changed(g);
    next_sequential(g, c->when);
}

/* Before and after checks run one after the other; then the game moves on. */
static void next_sequential(struct game *g, enum drill_when when)
{
    while (g->seq_i < g->d->nchecks && g->d->checks[g->seq_i].when != when) {
        g->seq_i++;
    }
    if (g->seq_i < g->d->nchecks) {
        run_check(g, g->seq_i++);
        return;
    }
    if (when == DRILL_BEFORE) {
        if (g->seq_all_ok) {
            g->state = GAME_READY;
            set_message(g, xstrdup("ready: start the clock"));
        } else {
            g->state = GAME_BLOCKED;
            set_message(g, g->seq_failed);
            g->seq_failed = NULL;
        }
        changed(g);
    } else {
        g->after_running = false;
        finish(g);
    }
}

static void start_sequential(struct game *g, enum drill_when when)
{
    g->seq_since = loop_ms(g);
    g->seq_i = 0;
    g->seq_all_ok = true;
    next_sequential(g, when);
}

/* ---- ending ---- */

static void finish(struct game *g)
{
    bool aborted = g->ending == END_ABORT || g->ending == END_RECOVER;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "how", aborted ? "aborted" : "finished");
    jlog(g, NULL, "run.end", NULL, NULL, d);
    g->ending_done = true;
    if (g->d != NULL) {
        g->state = aborted ? GAME_ABORTED : GAME_ENDED;
        size_t bad = count_unresolved(g);
        char *base = aborted ? xasprintf("aborted: %s", g->abort_why ? g->abort_why : "aborted")
                             : xstrdup("the drill is over");
        if (bad > 0) {
            set_message(g, xasprintf("%s; %zu rollback%s failed: NOT restored", base, bad,
                                     bad == 1 ? "" : "s"));
            free(base);
        } else {
            set_message(g, base);
        }
        changed(g);
    }
}

static void after_rollbacks(struct game *g)
{
    if (g->ending == END_DESTROY) {
        g->ending_done = true;
        size_t bad = count_unresolved(g);
        set_message(g, bad > 0 ? xasprintf("closed; %zu rollback%s failed: NOT restored (every "
                                           "start tries again)",
                                           bad, bad == 1 ? "" : "s")
                               : xstrdup("closed: every chaos action is rolled back"));
        changed(g);
        return;
    }
    if (g->ending == END_RECOVER) {
        /* a run with a rollback still pending is not closed: the next start tries again */
        if (!g->was_ended && count_unresolved(g) == 0) {
            finish(g);
        } else {
            g->ending_done = true;
        }
        return;
    }
    if (g->d == NULL || !g->began) {
        finish(g);
        return;
    }
    /*
     * A condition read now would see the panes from before the rollbacks:
     * the after checks count only answers from now on (look_check asks for
     * them and waits, bounded).
     */
    g->after_running = true;
    start_sequential(g, DRILL_AFTER);
}

static void stop_checks(struct game *g)
{
    if (g->seq_timer != NULL) {
        loop_timer_cancel(g->env.loop, g->seq_timer);
        g->seq_timer = NULL;
    }
    for (size_t i = 0; g->d != NULL && i < g->d->nchecks; i++) {
        if (g->chk[i].proc != NULL) {
            proc_cancel(g->chk[i].proc);
            g->chk[i].proc = NULL;
            free(g->chk[i].ptok);
            g->chk[i].ptok = NULL;
        }
    }
}

static void begin_end(struct game *g, enum ending how)
{
    g->base_ms = game_clock_ms(g);
    g->state = GAME_ROLLING_BACK;
    g->ending = how;
    stop_checks(g);
    changed(g);
    step_rollback(g);
}

void game_abort(struct game *g, const char *why)
{
    if (g == NULL || g->state == GAME_ENDED || g->state == GAME_ABORTED || g->ending == END_ABORT) {
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "why", why != NULL ? why : "aborted");
    jlog(g, NULL, "drill.abort", NULL, NULL, d);
    free(g->abort_why);
    g->abort_why = xstrdup(why != NULL ? why : "by the facilitator");
    set_message(g, xasprintf("aborted: %s", g->abort_why));
    if (g->state == GAME_ROLLING_BACK) {
        g->ending = END_ABORT; /* an end already rolling back finishes as an abort */
        changed(g);
        return;
    }
    begin_end(g, END_ABORT);
}

bool game_end(struct game *g, char **cause)
{
    if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
        set_cause(cause, "the drill is not running (abort it instead)");
        return false;
    }
    set_message(g, xstrdup("ending: rolling back"));
    begin_end(g, END_FINISH);
    return true;
}

/* ---- injects ---- */

static void on_notify_done(bool ok, long status, const char *message, void *ud)
{
    struct nreq *q = ud;
    struct game *g = q->g;
    for (size_t i = 0; i < g->nnreqs; i++) {
        if (g->nreqs[i] == q) {
            g->nreqs[i] = g->nreqs[--g->nnreqs];
            break;
        }
    }
    free(q);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "service", "slack");
    cJSON_AddStringToObject(d, "event", "trigger");
    cJSON_AddNumberToObject(d, "status", (double)status);
    if (ok) {
        cJSON_AddNullToObject(d, "error");
    } else {
        cJSON_AddStringToObject(d, "error", message != NULL ? message : "failed");
    }
    jlog(g, NULL, "notify", NULL, ok ? "ok" : (message ? message : "failed"), d);
    changed(g);
}

static void send_notify(struct game *g, const struct drill_inject *in)
{
    const struct drill *dr = g->d;
    char *msg = dr->label != NULL ? xasprintf("%s %s", dr->label, in->notify) : xstrdup(in->notify);
    struct notify_request q = {
        .service = "slack",
        .message = msg,
        .url_env = dr->notify_live ? LIVE_HOOK_ENV : dr->sandbox_env,
    };
    char *why = NULL;
    struct notify *n = NULL;
    struct nreq *r = xcalloc(1, sizeof *r);
    r->g = g;
    if (q.url_env == NULL) {
        why = xstrdup("no sandbox hook: the drill sets no sandbox_env");
    } else if (g->env.loop == NULL) {
        why = xstrdup("no event loop to send on");
    } else if (notify_check(&q, &why)) {
        n = notify_send(g->env.loop, &q, on_notify_done, r, &why);
    }
    free(msg);
    if (n == NULL) {
        free(r);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "service", "slack");
        cJSON_AddStringToObject(d, "event", "trigger");
        cJSON_AddNumberToObject(d, "status", 0);
        cJSON_AddStringToObject(d, "error", why != NULL ? why : "failed");
        jlog(g, in->id, "notify", NULL, why != NULL ? why : "failed", d);
        free(why);
        return;
    }
    r->n = n;
    g->nreqs = xreallocarray(g->nreqs, g->nnreqs + 1, sizeof *g->nreqs);
    g->nreqs[g->nnreqs++] = r;
}

static void on_chaos_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct act_token *t = ud;
    struct game *g = t->g;
    size_t pi = t->plan;
    (void)a;
    free(t);
    if (g == NULL) {
        return;
    }
    struct plan *p = &g->plans[pi];
    p->tok = NULL;
    p->chaos_inflight = false;
    const char *m = message != NULL ? message : (ok ? "done" : "failed");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "message", m);
    jlog(g, p->inject, "chaos.end", NULL, ok ? "ok" : m, d);
    struct chaos_rt *c = plan_chaos(g, p);
    if (c != NULL && c->state == CHAOS_PLANNED) {
        c->state = ok ? CHAOS_ACTIVE : CHAOS_FAILED;
        free(c->message);
        c->message = xstrdup(m);
    }
    changed(g);
    step_rollback(g);
}

static struct plan *add_plan(struct game *g, const char *inject, int index, const char *rollback,
                             const char *backend, size_t ii)
{
    g->plans = xreallocarray(g->plans, g->nplans + 1, sizeof *g->plans);
    struct plan *p = &g->plans[g->nplans++];
    memset(p, 0, sizeof *p);
    p->inject = xstrdup(inject != NULL ? inject : "?");
    p->index = index;
    p->rollback = xstrdup(rollback != NULL ? rollback : "");
    p->backend = backend != NULL ? xstrdup(backend) : NULL;
    p->ii = ii;
    return p;
}

/* Journal the plan with its rollback, then ask for the action. */
static void start_chaos(struct game *g, size_t ii, size_t ci)
{
    const struct drill_inject *in = &g->d->injects[ii];
    const struct drill_chaos *ch = &in->chaos[ci];
    struct chaos_rt *c = &g->inj[ii].ch[ci];
    char *action = act_text(&ch->action), *rollback = act_text(&ch->rollback);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", in->id);
    cJSON_AddNumberToObject(d, "index", (double)ci);
    cJSON_AddStringToObject(d, "action", action);
    cJSON_AddStringToObject(d, "rollback", rollback);
    if (in->backend != NULL) {
        cJSON_AddStringToObject(d, "backend", in->backend);
    } else {
        cJSON_AddNullToObject(d, "backend");
    }
    if (!jlog(g, in->id, "chaos.plan", ch->action.target, NULL, d)) {
        /* the rollback is not on disk: the action must not run */
        c->state = CHAOS_FAILED;
        free(c->message);
        c->message = xstrdup(g->message);
        free(action);
        free(rollback);
        return;
    }
    struct plan *p = add_plan(g, in->id, (int)ci, rollback, in->backend, ii);
    size_t pi = (size_t)(p - g->plans);
    c->state = CHAOS_PLANNED;
    p->chaos_inflight = true;
    p->tok = xcalloc(1, sizeof *p->tok);
    p->tok->g = g;
    p->tok->plan = pi;
    struct act_token *tok = p->tok;
    char *why = NULL;
    if (!send_action(g, in->backend, &ch->action, in->id, on_chaos_report, tok, &why)) {
        free(tok);
        g->plans[pi].tok = NULL;
        g->plans[pi].chaos_inflight = false;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "inject", in->id);
        cJSON_AddNumberToObject(e, "index", (double)ci);
        cJSON_AddBoolToObject(e, "ok", false);
        cJSON_AddStringToObject(e, "message", why);
        jlog(g, in->id, "chaos.end", NULL, why, e);
        c->state = CHAOS_FAILED;
        free(c->message);
        c->message = why;
    }
    free(action);
    free(rollback);
}

static void fire(struct game *g, size_t i, const char *why)
{
    const struct drill_inject *in = &g->d->injects[i];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", in->id);
    cJSON_AddStringToObject(d, "title", in->title != NULL ? in->title : "");
    cJSON *to = cJSON_AddArrayToObject(d, "to");
    for (size_t k = 0; k < in->nto; k++) {
        cJSON_AddItemToArray(to, cJSON_CreateString(in->to[k]));
    }
    cJSON_AddStringToObject(d, "channel", in->channel != NULL ? in->channel : "announce");
    cJSON_AddStringToObject(d, "why", why);
    /* what is expected, so the report can list what nobody marked and score like game_score */
    cJSON *ex = cJSON_AddArrayToObject(d, "expects");
    for (size_t k = 0; k < in->nexpects; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", in->expects[k].text != NULL ? in->expects[k].text : "");
        cJSON_AddNumberToObject(o, "deadline_s", in->expects[k].deadline_s);
        cJSON_AddNumberToObject(o, "points", in->expects[k].points);
        cJSON_AddItemToArray(ex, o);
    }
    if (!jlog(g, in->id, "inject.fire", NULL, why, d)) {
        return;
    }
    g->inj[i].state = INJECT_FIRED;
    g->inj[i].fired_ms = game_clock_ms(g);
    if (in->notify != NULL) {
        send_notify(g, in);
    }
    for (size_t c = 0; c < in->nchaos && g->d->kind == DRILL_LIVE; c++) {
        start_chaos(g, i, c);
    }
}

static void fire_contingency_of(struct game *g, size_t i)
{
    const struct drill_inject *in = &g->d->injects[i];
    if (g->inj[i].contingency_fired || in->contingency == NULL) {
        return;
    }
    g->inj[i].contingency_fired = true;
    int c = drill_find_inject(g->d, in->contingency);
    if (c >= 0 && g->inj[c].state == INJECT_PENDING) {
        fire(g, (size_t)c, "contingency");
    }
}

static void journal_expect(struct game *g, size_t i, size_t e, enum expect_state st, const char *by)
{
    const struct drill_inject *in = &g->d->injects[i];
    const struct drill_expect *x = &in->expects[e];
    const char *status = st == EXPECT_MET ? "met" : st == EXPECT_LATE ? "late" : "missed";
    int points = st == EXPECT_MET ? x->points : st == EXPECT_LATE ? x->points / 2 : 0;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", in->id);
    cJSON_AddNumberToObject(d, "index", (double)e);
    cJSON_AddStringToObject(d, "text", x->text != NULL ? x->text : "");
    cJSON_AddStringToObject(d, "status", status);
    cJSON_AddNumberToObject(d, "points", points);
    cJSON_AddNumberToObject(d, "max", x->points);
    if (by != NULL && *by != '\0') {
        cJSON_AddStringToObject(d, "by", by);
    } else {
        cJSON_AddNullToObject(d, "by");
    }
    if (jlog(g, in->id, "expect", NULL, status, d)) {
        g->inj[i].ex[e] = st;
    }
}

void game_tick(struct game *g)
{
    if (g->state != GAME_RUNNING) {
        return;
    }
    uint64_t t = game_clock_ms(g);
    const struct drill *d = g->d;
    bool any = false;
    for (size_t i = 0; i < d->ninjects && g->state == GAME_RUNNING; i++) {
        if (g->inj[i].state == INJECT_PENDING && d->injects[i].at_s >= 0 &&
            (uint64_t)d->injects[i].at_s * 1000 <= t) {
            fire(g, i, "clock");
            any = true;
        }
    }
    for (size_t i = 0; i < d->ninjects && g->state == GAME_RUNNING; i++) {
        const struct drill_inject *in = &d->injects[i];
        if (g->inj[i].state != INJECT_FIRED) {
            continue;
        }
        for (size_t e = 0; e < in->nexpects; e++) {
            uint64_t due = g->inj[i].fired_ms + (uint64_t)in->expects[e].deadline_s * 1000;
            if (g->inj[i].ex[e] == EXPECT_PENDING && t >= due) {
                journal_expect(g, i, e, EXPECT_MISSED, NULL);
                fire_contingency_of(g, i);
                any = true;
            }
        }
    }
    for (size_t i = 0; i < d->nchecks && g->state == GAME_RUNNING; i++) {
        if (d->checks[i].when == DRILL_DURING && g->chk[i].proc == NULL && t >= g->chk[i].next_ms) {
            g->chk[i].next_ms =
                t + (uint64_t)(d->checks[i].interval_ms > 0 ? d->checks[i].interval_ms
                                                            : CHECK_INTERVAL_MS);
            run_check(g, i);
        }
    }
    if (g->state == GAME_RUNNING && d->duration_s > 0 && t >= (uint64_t)d->duration_s * 1000) {
        set_message(g, xstrdup("time is up: rolling back"));
        begin_end(g, END_FINISH);
        return;
    }
    if (any) {
        changed(g);
    }
}

static void on_timer(void *ud)
{
    game_tick(ud);
}

/* ---- the facilitator ---- */

bool game_begin(struct game *g, char **cause)
{
    if (g->state != GAME_READY) {
        set_cause(cause, g->state == GAME_CHECKING ? "the before checks are still running"
                         : g->state == GAME_BLOCKED
                             ? "a before check failed: the drill cannot start"
                             : "the clock has started already");
        return false;
    }
    g->state = GAME_RUNNING;
    g->since = now(g);
    g->base_ms = 0;
    if (!jlog(g, NULL, "drill.start", NULL, NULL, NULL)) {
        g->state = GAME_READY;
        set_cause(cause, g->message);
        return false;
    }
    g->began = true;
    set_message(g, xstrdup("the clock runs"));
    changed(g);
    game_tick(g);
    return true;
}

bool game_pause(struct game *g, char **cause)
{
    if (g->state != GAME_RUNNING) {
        set_cause(cause, "the clock is not running");
        return false;
    }
    g->base_ms = game_clock_ms(g);
    g->state = GAME_PAUSED;
    jlog(g, NULL, "drill.pause", NULL, NULL, NULL);
    set_message(g, xstrdup("paused"));
    changed(g);
    return true;
}

bool game_resume_clock(struct game *g, char **cause)
{
    if (g->state != GAME_PAUSED) {
        set_cause(cause, "the clock is not paused");
        return false;
    }
    jlog(g, NULL, "drill.resume", NULL, NULL, NULL);
    g->since = now(g);
    g->state = GAME_RUNNING;
    set_message(g, xstrdup("the clock runs"));
    changed(g);
    game_tick(g);
    return true;
}

static bool in_play(const struct game *g, size_t inject, char **cause)
{
    if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
        set_cause(cause, "the drill is not running");
        return false;
    }
    if (inject >= g->d->ninjects) {
        set_cause(cause, "no such inject");
        return false;
    }
    return true;
}

bool game_fire(struct game *g, size_t inject, char **cause)
{
    if (!in_play(g, inject, cause)) {
        return false;
    }
    if (g->inj[inject].state != INJECT_PENDING) {
        set_cause(cause,
                  g->inj[inject].state == INJECT_FIRED ? "it has fired already" : "it was skipped");
        return false;
    }
    fire(g, inject, "early");
    changed(g);
    return g->inj[inject].state == INJECT_FIRED;
}

bool game_skip(struct game *g, size_t inject, char **cause)
{
    if (!in_play(g, inject, cause)) {
        return false;
    }
    if (g->inj[inject].state != INJECT_PENDING) {
        set_cause(cause, "only an inject that has not fired can be skipped");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", g->d->injects[inject].id);
    if (!jlog(g, g->d->injects[inject].id, "inject.skip", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    g->inj[inject].state = INJECT_SKIPPED;
    changed(g);
    return true;
}

bool game_fire_contingency(struct game *g, size_t inject, char **cause)
{
    if (!in_play(g, inject, cause)) {
        return false;
    }
    const char *cid = g->d->injects[inject].contingency;
    int c = cid != NULL ? drill_find_inject(g->d, cid) : -1;
    if (c < 0) {
        set_cause(cause, "this inject has no contingency");
        return false;
    }
    if (g->inj[c].state != INJECT_PENDING) {
        set_cause(cause, "its contingency has fired already (or was skipped)");
        return false;
    }
    g->inj[inject].contingency_fired = true;
    fire(g, (size_t)c, "contingency");
    changed(g);
    return true;
}

bool game_mark(struct game *g, size_t inject, size_t expect, bool met, const char *by, char **cause)
{
    if (inject >= g->d->ninjects || expect >= g->d->injects[inject].nexpects) {
        set_cause(cause, "no such expectation");
        return false;
    }
    if (g->inj[inject].state != INJECT_FIRED) {
        set_cause(cause, "that inject has not fired");
        return false;
    }
    enum expect_state st = g->inj[inject].ex[expect];
    if (st == EXPECT_MET || st == EXPECT_LATE || (!met && st == EXPECT_MISSED)) {
        set_cause(cause, "it is marked already");
        return false;
    }
    enum expect_state to = EXPECT_MISSED;
    if (met) {
        uint64_t due = g->inj[inject].fired_ms +
                       (uint64_t)g->d->injects[inject].expects[expect].deadline_s * 1000;
        to = game_clock_ms(g) < due ? EXPECT_MET : EXPECT_LATE;
    }
    journal_expect(g, inject, expect, to, by);
    if (g->inj[inject].ex[expect] != to) {
        set_cause(cause, g->message);
        return false;
    }
    if (to == EXPECT_MISSED && (g->state == GAME_RUNNING || g->state == GAME_PAUSED)) {
        fire_contingency_of(g, inject);
    }
    changed(g);
    return true;
}

/* The abort word as a whole word, any case. */
static bool says_abort_word(const char *text, const char *word)
{
    size_t n = word != NULL ? strlen(word) : 0;
    if (n == 0) {
        return false;
    }
    for (const char *s = text; (s = str_casestr(s, word)) != NULL; s++) {
        bool start = s == text || !isalnum((unsigned char)s[-1]);
        bool end = !isalnum((unsigned char)s[n]);
        if (start && end) {
            return true;
        }
    }
    return false;
}

bool game_note(struct game *g, const char *text, const char *section, char **cause)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "text", text);
    if (section != NULL) {
        cJSON_AddStringToObject(d, "section", section);
    } else {
        cJSON_AddNullToObject(d, "section");
    }
    if (!jlog(g, NULL, "note", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    if (says_abort_word(text, g->d->abort_word) && g->state != GAME_ENDED &&
        g->state != GAME_ABORTED) {
        char *why = xasprintf("the abort word was said: %s", text);
        game_abort(g, why);
        free(why);
    }
    changed(g);
    return true;
}

bool game_debrief(struct game *g, size_t question, const char *answer, char **cause)
{
    if (question >= g->d->ndebrief) {
        set_cause(cause, "no such debrief question");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "question", g->d->debrief[question]);
    cJSON_AddStringToObject(d, "answer", answer);
    if (!jlog(g, NULL, "debrief", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    changed(g);
    return true;
}

/* ---- creating, resuming, destroying ---- */

static struct game *alloc_game(const struct game_env *env, struct drill *d,
                               const struct game_hooks *h)
{
    struct game *g = xcalloc(1, sizeof *g);
    g->env = *env;
    g->runs_dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    g->env.runs_dir = g->runs_dir;
    g->during_since = loop_ms(g);
    g->d = d;
    g->lock_fd = -1;
    if (h != NULL) {
        g->hooks = *h;
    }
    if (d != NULL) {
        g->inj = xcalloc(d->ninjects + 1, sizeof *g->inj);
        for (size_t i = 0; i < d->ninjects; i++) {
            g->inj[i].ex = xcalloc(d->injects[i].nexpects + 1, sizeof *g->inj[i].ex);
            g->inj[i].ch = xcalloc(d->injects[i].nchaos + 1, sizeof *g->inj[i].ch);
        }
        g->chk = xcalloc(d->nchecks + 1, sizeof *g->chk);
        for (size_t i = 0; i < d->nchecks; i++) {
            g->chk[i].result = -1;
            g->chk[i].journaled = -1;
        }
    }
    return g;
}

/* Open (create) the journal and take the run's lock; false with *cause. */
static bool open_journal(struct game *g, bool create, char **cause)
{
    g->j = runlog_open(g->runs_dir, g->id, create, cause);
    if (g->j == NULL) {
        return false;
    }
    /* one opsdeck per drill; the lock goes with the descriptor, so kill -9 leaves none */
    g->lock_fd = open(journal_path(g->j), O_RDONLY | O_CLOEXEC);
    if (g->lock_fd < 0 || flock(g->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        *cause = xasprintf("run %s is in use by another opsdeck", g->id);
        return false;
    }
    return true;
}

static void arm_timer(struct game *g)
{
    if (g->env.loop != NULL && !g->env.no_timer) {
        g->timer = loop_timer_add(g->env.loop, TICK_MS, TICK_MS, on_timer, g);
    }
}

static void free_game(struct game *g)
{
    if (g->timer != NULL) {
        loop_timer_cancel(g->env.loop, g->timer);
    }
    if (g->seq_timer != NULL) {
        loop_timer_cancel(g->env.loop, g->seq_timer);
    }
    if (g->ready_timer != NULL) {
        loop_timer_cancel(g->env.loop, g->ready_timer);
    }
    for (size_t i = 0; i < g->nplans; i++) {
        if (g->plans[i].tok != NULL) {
            g->plans[i].tok->g = NULL;
        }
        free(g->plans[i].inject);
        free(g->plans[i].rollback);
        free(g->plans[i].backend);
        free(g->plans[i].message);
    }
    free(g->plans);
    for (size_t i = 0; i < g->nnreqs; i++) {
        notify_cancel(g->nreqs[i]->n);
        free(g->nreqs[i]);
    }
    free(g->nreqs);
    if (g->d != NULL) {
        stop_checks(g);
        for (size_t i = 0; i < g->d->nchecks; i++) {
            free(g->chk[i].why);
        }
        for (size_t i = 0; i < g->d->ninjects; i++) {
            for (size_t c = 0; c < g->d->injects[i].nchaos; c++) {
                free(g->inj[i].ch[c].message);
            }
            free(g->inj[i].ex);
            free(g->inj[i].ch);
        }
    }
    free(g->inj);
    free(g->chk);
    journal_close(g->j);
    if (g->lock_fd >= 0) {
        close(g->lock_fd);
    }
    drill_free(g->d);
    free(g->seq_failed);
    free(g->abort_why);
    free(g->runs_dir);
    free(g->id);
    free(g->message);
    free(g);
}

static cJSON *start_data(const struct drill *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "drill");
    char *apath = realpath(d->path, NULL);
    cJSON_AddStringToObject(o, "drill", apath != NULL ? apath : d->path);
    free(apath);
    cJSON_AddStringToObject(o, "title", d->title != NULL ? d->title : "");
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", d->hash);
    cJSON_AddStringToObject(o, "hash", hash);
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    for (size_t i = 0; i < d->nroles; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", d->roles[i].id);
        cJSON_AddStringToObject(r, "name", d->roles[i].name != NULL ? d->roles[i].name : "");
        cJSON_AddBoolToObject(r, "facilitator", d->roles[i].facilitator);
        cJSON_AddBoolToObject(r, "observer", d->roles[i].observer);
        cJSON_AddItemToArray(roles, r);
    }
    cJSON *obj = cJSON_AddArrayToObject(o, "objectives");
    for (size_t i = 0; i < d->nobjectives; i++) {
        cJSON_AddItemToArray(obj, cJSON_CreateString(d->objectives[i]));
    }
    return o;
}

struct game *game_start(const struct game_env *env, struct drill *d, const struct game_hooks *h,
                        char **cause)
{
    if (d->nissues > 0) {
        *cause = xasprintf("%s:%d: %s%s", d->path, d->issues[0].line, d->issues[0].message,
                           d->nissues > 1 ? " (and more: see opsdeck lint)" : "");
        drill_free(d);
        return NULL;
    }
    struct game *g = alloc_game(env, d, h);
    for (int tries = 0; g->id == NULL; tries++) {
        g->id = runlog_new_id(d->path);
        char *p = g->runs_dir != NULL ? xasprintf("%s/%s.jsonl", g->runs_dir, g->id) : NULL;
        if (p != NULL && tries < 8 && access(p, F_OK) == 0) {
            free(g->id);
            g->id = NULL;
        }
        free(p);
    }
    if (!open_journal(g, true, cause) || !jlog(g, NULL, "run.start", NULL, NULL, start_data(d))) {
        if (*cause == NULL) {
            *cause = xstrdup(g->message);
        }
        free_game(g);
        return NULL;
    }
    g->state = GAME_CHECKING;
    set_message(g, xstrdup("before checks"));
    arm_timer(g);
    start_sequential(g, DRILL_BEFORE);
    return g;
}

/* Rebuild states from the journal's events (no drill: only the plans). */
struct replay {
    bool running, aborted, ended;
    uint64_t t;
};

static size_t find_plan(const struct game *g, const char *inject, int index)
{
    for (size_t i = g->nplans; i > 0; i--) {
        const struct plan *p = &g->plans[i - 1];
        if (!p->resolved && strcmp(p->inject, inject) == 0 && p->index == index) {
            return i - 1;
        }
    }
    return SIZE_MAX;
}

static int find_check(const struct drill *d, const char *id)
{
    for (size_t i = 0; d != NULL && id != NULL && i < d->nchecks; i++) {
        if (strcmp(d->checks[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* rollback.end (ok: resolved; failed: still pending) or rollback.giveup (resolved, not restored).
 */
static void replay_rollback_end(struct game *g, struct plan *pl, const char *a, const cJSON *e,
                                const cJSON *d)
{
    bool giveup = strcmp(a, "rollback.giveup") == 0;
    const char *m = jstr(d, "message") != NULL ? jstr(d, "message") : "";
    free(pl->message);
    if (giveup) {
        pl->gave_up = true;
        pl->resolved = true;
        pl->message = xasprintf("given up by %s%s%s", jstr(e, "actor") ? jstr(e, "actor") : "?",
                                *m != '\0' ? " after: " : "", m);
    } else {
        pl->done = true;
        pl->ok = cJSON_IsTrue(cJSON_GetObjectItem(d, "ok"));
        pl->resolved = pl->ok;
        pl->message = xstrdup(m);
    }
    struct chaos_rt *c = plan_chaos(g, pl);
    if (c != NULL) {
        c->state = pl->ok ? CHAOS_ROLLED_BACK : CHAOS_UNRESTORED;
        free(c->message);
        c->message = xstrdup(pl->message);
    }
}

static void replay_one(struct game *g, struct replay *r, const cJSON *e)
{
    const char *a = jstr(e, "action");
    const cJSON *d = jdata(e);
    uint64_t t = (uint64_t)jnum(d, "t_ms", 0);
    r->t = t > r->t ? t : r->t;
    const char *inj = jstr(d, "inject") != NULL ? jstr(d, "inject") : jstr(d, "id");
    int ii = g->d != NULL && inj != NULL ? drill_find_inject(g->d, inj) : -1;
    int idx = (int)jnum(d, "index", -1);
    if (strcmp(a, "drill.start") == 0 || strcmp(a, "drill.resume") == 0) {
        g->began = true;
        r->running = true;
    } else if (strcmp(a, "drill.pause") == 0) {
        r->running = false;
    } else if (strcmp(a, "drill.abort") == 0) {
        r->aborted = true;
    } else if (strcmp(a, "run.end") == 0) {
        r->ended = true;
    } else if (strcmp(a, "check") == 0) {
        int c = find_check(g->d, jstr(d, "id"));
        if (c >= 0) {
            g->chk[c].result = cJSON_IsTrue(cJSON_GetObjectItem(d, "ok"))        ? CHECK_OK
                               : cJSON_IsTrue(cJSON_GetObjectItem(d, "unknown")) ? CHECK_UNKNOWN
                                                                                 : CHECK_FAILED;
            free(g->chk[c].why);
            g->chk[c].why = xstrdup(jstr(d, "reason") != NULL ? jstr(d, "reason") : "");
        }
    } else if (strcmp(a, "inject.fire") == 0 && ii >= 0) {
        g->inj[ii].state = INJECT_FIRED;
        g->inj[ii].fired_ms = t;
        const char *why = jstr(d, "why");
        for (size_t k = 0; why != NULL && strcmp(why, "contingency") == 0 && k < g->d->ninjects;
             k++) {
            const char *c = g->d->injects[k].contingency;
            if (c != NULL && strcmp(c, inj) == 0) {
                g->inj[k].contingency_fired = true;
            }
        }
    } else if (strcmp(a, "inject.skip") == 0 && ii >= 0) {
        g->inj[ii].state = INJECT_SKIPPED;
    } else if (strcmp(a, "expect") == 0 && ii >= 0 && idx >= 0 &&
               (size_t)idx < g->d->injects[ii].nexpects) {
        const char *s = jstr(d, "status");
        g->inj[ii].ex[idx] = s == NULL                ? EXPECT_PENDING
                             : strcmp(s, "met") == 0  ? EXPECT_MET
                             : strcmp(s, "late") == 0 ? EXPECT_LATE
                                                      : EXPECT_MISSED;
    } else if (strcmp(a, "chaos.plan") == 0 && inj != NULL) {
        add_plan(g, inj, idx, jstr(d, "rollback"), jstr(d, "backend"),
                 ii >= 0 ? (size_t)ii : SIZE_MAX);
        struct chaos_rt *c = plan_chaos(g, &g->plans[g->nplans - 1]);
        if (c != NULL) {
            c->state = CHAOS_PLANNED;
        }
    } else if (strcmp(a, "chaos.end") == 0 && inj != NULL) {
        size_t p = find_plan(g, inj, idx);
        struct chaos_rt *c = p != SIZE_MAX ? plan_chaos(g, &g->plans[p]) : NULL;
        if (c != NULL) {
            bool ok = cJSON_IsTrue(cJSON_GetObjectItem(d, "ok"));
            c->state = ok ? CHAOS_ACTIVE : CHAOS_FAILED;
            free(c->message);
            c->message = xstrdup(jstr(d, "message") != NULL ? jstr(d, "message") : "");
        }
    } else if (strcmp(a, "rollback.start") == 0 && inj != NULL) {
        size_t p = find_plan(g, inj, idx);
        if (p != SIZE_MAX) {
            g->plans[p].attempted = true;
        }
    } else if ((strcmp(a, "rollback.end") == 0 || strcmp(a, "rollback.giveup") == 0) &&
               inj != NULL) {
        size_t p = find_plan(g, inj, idx);
        if (p != SIZE_MAX) {
            replay_rollback_end(g, &g->plans[p], a, e, d);
        }
    }
}

static cJSON **load_run(const char *dir, const char *run_id, size_t *n, char **cause)
{
    if (strchr(run_id, '/') != NULL || run_id[0] == '.') {
        *cause = xasprintf("bad run id '%s'", run_id);
        return NULL;
    }
    char *path = xasprintf("%s/%s.jsonl", dir, run_id);
    cJSON **ev = runlog_read(path, n, cause);
    free(path);
    if (ev != NULL &&
        (*n == 0 || strcmp(jstr(ev[0], "action"), "run.start") != 0 ||
         jstr(jdata(ev[0]), "kind") == NULL || strcmp(jstr(jdata(ev[0]), "kind"), "drill") != 0)) {
        *cause = xasprintf("run %s is not a drill", run_id);
        runlog_free(ev, *n);
        return NULL;
    }
    return ev;
}

/* Every pending plan is tried again: cut short by a crash, or failed before. */
static void replay_reopen(struct game *g)
{
    for (size_t i = 0; i < g->nplans; i++) {
        if (!g->plans[i].resolved) {
            g->plans[i].attempted = false;
            g->plans[i].done = false;
        }
    }
}

struct game *game_resume(const struct game_env *env, const char *run_id, const struct game_hooks *h,
                         char **cause)
{
    char *dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    if (dir == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        return NULL;
    }
    size_t n = 0;
    cJSON **ev = load_run(dir, run_id, &n, cause);
    free(dir);
    if (ev == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(jstr(ev[i], "action"), "run.end") == 0) {
            *cause = xasprintf("run %s has ended: nothing to resume", run_id);
            runlog_free(ev, n);
            return NULL;
        }
    }
    const char *path = jstr(jdata(ev[0]), "drill");
    char *why = NULL;
    struct drill *d = path != NULL ? drill_load(path, &why) : NULL;
    if (d == NULL || d->nissues > 0) {
        *cause = xasprintf("run %s: cannot reload its drill: %s", run_id,
                           why != NULL ? why
                           : d != NULL ? d->issues[0].message
                                       : "no path in the journal");
        free(why);
        drill_free(d);
        runlog_free(ev, n);
        return NULL;
    }
    struct game *g = alloc_game(env, d, h);
    g->id = xstrdup(run_id);
    struct replay r = {0};
    for (size_t i = 1; i < n; i++) {
        replay_one(g, &r, ev[i]);
    }
    runlog_free(ev, n);
    replay_reopen(g);
    g->base_ms = r.t;
    if (!open_journal(g, false, cause)) {
        free_game(g);
        return NULL;
    }
    arm_timer(g);
    if (r.aborted) {
        set_message(g, xstrdup("it was aborting when the session ended: rolling back"));
        begin_end(g, END_ABORT);
    } else if (g->began) {
        g->state = GAME_PAUSED;
        if (r.running) {
            jlog(g, NULL, "drill.pause", NULL, NULL, NULL);
        }
        char clk[32];
        snprintf(clk, sizeof clk, "T+%02llu:%02llu", (unsigned long long)(r.t / 60000),
                 (unsigned long long)(r.t / 1000 % 60));
        set_message(g, xasprintf("resumed at %s, paused: resume the clock", clk));
    } else {
        g->state = GAME_CHECKING;
        start_sequential(g, DRILL_BEFORE);
    }
    return g;
}

void game_close(struct game *g)
{
    g->closing = true;
    if (g->ending == END_NONE && g->state != GAME_ENDED && g->state != GAME_ABORTED &&
        has_pending_rollback(g)) {
        g->base_ms = game_clock_ms(g);
        g->state = GAME_ROLLING_BACK;
        g->ending = END_DESTROY;
        stop_checks(g);
        set_message(g, xstrdup("closing: rolling back first"));
        changed(g);
        step_rollback(g);
    }
}

bool game_closed(const struct game *g)
{
    return g->ending == END_NONE || g->ending_done;
}

bool game_closing(const struct game *g)
{
    return g->closing && !game_closed(g);
}

void game_destroy(struct game *g, bool rollback)
{
    if (g == NULL) {
        return;
    }
    g->hooks.changed = NULL; /* the UI is going away */
    if (rollback) {
        /*
         * What finishes now (an answer in the same call) is journaled; a
         * rollback still in flight is left pending for the next start.
         * Callers that can keep the loop turning use game_close() first.
         */
        game_close(g);
    }
    free_game(g);
}

/* ---- what the pane shows ---- */

const struct drill *game_drill(const struct game *g)
{
    return g->d;
}

const char *game_run_id(const struct game *g)
{
    return g->id;
}

enum game_state game_state(const struct game *g)
{
    return g->state;
}

enum inject_state game_inject_state(const struct game *g, size_t i)
{
    return i < g->d->ninjects ? g->inj[i].state : INJECT_PENDING;
}

uint64_t game_inject_fired_ms(const struct game *g, size_t i)
{
    return i < g->d->ninjects ? g->inj[i].fired_ms : 0;
}

enum expect_state game_expect_state(const struct game *g, size_t inject, size_t e)
{
    if (inject >= g->d->ninjects || e >= g->d->injects[inject].nexpects) {
        return EXPECT_PENDING;
    }
    return g->inj[inject].ex[e];
}

enum chaos_state game_chaos_state(const struct game *g, size_t inject, size_t c)
{
    if (inject >= g->d->ninjects || c >= g->d->injects[inject].nchaos) {
        return CHAOS_NONE;
    }
    return g->inj[inject].ch[c].state;
}

const char *game_chaos_message(const struct game *g, size_t inject, size_t c)
{
    if (inject >= g->d->ninjects || c >= g->d->injects[inject].nchaos) {
        return NULL;
    }
    return g->inj[inject].ch[c].message;
}

int game_check_result(const struct game *g, size_t i, const char **why)
{
    if (i >= g->d->nchecks) {
        return -1;
    }
    if (why != NULL) {
        *why = g->chk[i].why;
    }
    return g->chk[i].result;
}

int game_score(const struct game *g, int *max)
{
    int score = 0, top = 0;
    for (size_t i = 0; i < g->d->ninjects; i++) {
        if (g->inj[i].state != INJECT_FIRED) {
            continue;
        }
        for (size_t e = 0; e < g->d->injects[i].nexpects; e++) {
            int p = g->d->injects[i].expects[e].points;
            top += p;
            score += g->inj[i].ex[e] == EXPECT_MET ? p : g->inj[i].ex[e] == EXPECT_LATE ? p / 2 : 0;
        }
    }
    if (max != NULL) {
        *max = top;
    }
    return score;
}

const char *game_message(const struct game *g)
{
    return g->message;
}

/* ---- after a crash ---- */

/* A drill run's plans from its journal alone (no drill file); NULL when it is not a drill. */
static struct game *replay_plans(const struct game_env *env, const char *dir, const char *id,
                                 struct replay *r, char **cause)
{
    size_t n = 0;
    cJSON **ev = load_run(dir, id, &n, cause);
    if (ev == NULL) {
        return NULL;
    }
    struct game *g = alloc_game(env, NULL, NULL);
    g->id = xstrdup(id);
    for (size_t i = 1; i < n; i++) {
        replay_one(g, r, ev[i]);
    }
    runlog_free(ev, n);
    return g;
}

/* Does another opsdeck hold run id (it is running that drill)? */
static bool run_busy(const char *dir, const char *id)
{
    char *path = xasprintf("%s/%s.jsonl", dir, id);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    bool busy = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) {
        close(fd);
    }
    return busy;
}

static void recover_run(const struct game_env *env, const char *dir, const char *id,
                        int64_t deadline, size_t *done, size_t *failed, struct strbuf *rep)
{
    struct replay r = {0};
    char *why = NULL;
    struct game *g = replay_plans(env, dir, id, &r, &why);
    free(why);
    if (g == NULL) {
        return;
    }
    for (size_t i = 0; i < g->nplans; i++) {
        g->plans[i].prior = g->plans[i].resolved;
    }
    replay_reopen(g);
    /* an ended run too: a rollback that failed stays pending until it works or is given up */
    if (!has_pending_rollback(g)) {
        free_game(g);
        return;
    }
    g->was_ended = r.ended;
    g->base_ms = r.t;
    g->state = GAME_ROLLING_BACK;
    /* a drill another opsdeck is running has not crashed: not ours to touch */
    if (run_busy(dir, id)) {
        free_game(g);
        return;
    }
    char *cause = NULL;
    if (!open_journal(g, false, &cause)) {
        strbuf_printf(rep, "run %s: not recovered: %s\n", id, cause);
        free(cause);
        free_game(g);
        return;
    }
    if (!r.ended && !r.aborted) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "why", "recovered after a crash");
        jlog(g, NULL, "drill.abort", NULL, NULL, d);
    }
    g->ending = END_RECOVER;
    step_rollback(g);
    while (!g->ending_done && g->env.loop != NULL && clock_wall_ms() < deadline) {
        loop_run_once(g->env.loop, 50);
    }
    for (size_t i = 0; i < g->nplans; i++) {
        const struct plan *p = &g->plans[i];
        if (p->prior) {
            continue;
        }
        if (p->resolved) {
            (*done)++;
            strbuf_printf(rep, "run %s: rolled back %s (inject %s): %s\n", id, p->rollback,
                          p->inject, p->message);
        } else {
            (*failed)++;
            strbuf_printf(rep, "run %s: NOT restored: %s (inject %s): %s\n", id, p->rollback,
                          p->inject,
                          p->done && p->message != NULL ? p->message : "no answer in time");
        }
    }
    if (count_unresolved(g) > 0) {
        strbuf_printf(rep,
                      "run %s: still pending: every start of opsdeck tries again; to stop, put it "
                      "back by hand and run: opsdeck drill --give-up %s\n",
                      id, id);
    }
    free_game(g);
}

size_t drill_recover(const struct game_env *env, int timeout_ms, size_t *failed, char **report)
{
    size_t done = 0, bad = 0;
    struct strbuf rep = {0};
    char *dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    DIR *dh = dir != NULL ? opendir(dir) : NULL;
    int64_t deadline = clock_wall_ms() + (timeout_ms > 0 ? timeout_ms : DESTROY_LIMIT_MS);
    struct dirent *de;
    while (dh != NULL && (de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0) {
            continue;
        }
        char *id = xstrndup(de->d_name, len - 6);
        recover_run(env, dir, id, deadline, &done, &bad, &rep);
        free(id);
    }
    if (dh != NULL) {
        closedir(dh);
    }
    free(dir);
    if (failed != NULL) {
        *failed = bad;
    }
    if (report != NULL) {
        *report = rep.s;
    } else {
        free(rep.s);
    }
    return done;
}

/* ---- what is still pending, and giving it up ---- */

/* Every *.jsonl run id in dir, or NULL when it cannot be read. */
static char **run_ids(const char *dir, size_t *n)
{
    *n = 0;
    DIR *dh = dir != NULL ? opendir(dir) : NULL;
    if (dh == NULL) {
        return NULL;
    }
    char **ids = NULL;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".jsonl") == 0) {
            ids = xreallocarray(ids, *n + 1, sizeof *ids);
            ids[(*n)++] = xstrndup(de->d_name, len - 6);
        }
    }
    closedir(dh);
    return ids;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a); /* ids start with the start time */
}

struct drill_pending *drill_pending_list(const char *runs_dir, size_t *n)
{
    *n = 0;
    char *dir = runs_dir != NULL ? xstrdup(runs_dir) : run_default_dir();
    if (dir == NULL) {
        return NULL;
    }
    size_t nids = 0;
    char **ids = run_ids(dir, &nids);
    if (nids > 1) {
        qsort(ids, nids, sizeof *ids, newest_first);
    }
    struct drill_pending *list = xcalloc(1, sizeof *list);
    struct game_env env = {.runs_dir = dir};
    for (size_t k = 0; k < nids; k++) {
        struct replay r = {0};
        char *why = NULL;
        struct game *g = replay_plans(&env, dir, ids[k], &r, &why);
        free(why);
        int live = -1;
        for (size_t i = 0; g != NULL && i < g->nplans; i++) {
            const struct plan *p = &g->plans[i];
            if (p->resolved) {
                continue;
            }
            list = xreallocarray(list, *n + 1, sizeof *list);
            list[(*n)++] = (struct drill_pending){
                .run = xstrdup(ids[k]),
                .inject = xstrdup(p->inject),
                .index = p->index,
                .rollback = xstrdup(p->rollback),
                .message = p->done && p->message != NULL ? xstrdup(p->message) : NULL,
                .ended = r.ended,
            };
            /* the lock is looked at only when it matters (once): no failure yet, run not ended */
            struct drill_pending *e = &list[*n - 1];
            if (live < 0 && !p->done && !r.ended) {
                live = run_busy(dir, ids[k]);
            }
            e->live = !p->done && live > 0;
            e->failed = p->done || (p->attempted && !e->live);
        }
        if (g != NULL) {
            free_game(g);
        }
        free(ids[k]);
    }
    free(ids);
    free(dir);
    return list;
}

void drill_pending_free(struct drill_pending *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        free(list[i].run);
        free(list[i].inject);
        free(list[i].rollback);
        free(list[i].message);
    }
    free(list);
}

/* The target of a rollback's text ("pools ready be_web/web2" -> "be_web/web2"), caller frees. */
static char *rollback_target(const char *rollback)
{
    struct drill_act a;
    if (!act_parse(rollback, &a)) {
        return NULL;
    }
    char *t = xstrdup(a.target);
    act_clear(&a);
    return t;
}

/* Audit, then journal, one give-up; false with *cause (nothing after it is given up). */
static bool give_up_one(struct game *g, struct plan *p, const char *typed, char **cause)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    cJSON_AddStringToObject(d, "action", p->rollback);
    cJSON_AddStringToObject(d, "typed", typed != NULL ? typed : "");
    if (p->done && p->message != NULL) {
        cJSON_AddStringToObject(d, "message", p->message);
    } else {
        cJSON_AddNullToObject(d, "message");
    }
    char *target = rollback_target(p->rollback);
    bool ok = action_record("rollback.giveup", target, g->id, p->inject, "given up", d, cause);
    free(target);
    if (!ok) {
        cJSON_Delete(d);
        return false;
    }
    if (!jlog(g, p->inject, "rollback.giveup", NULL, "given up", d)) {
        *cause = xstrdup(g->message);
        return false;
    }
    p->resolved = true;
    p->gave_up = true;
    return true;
}

size_t drill_give_up(const char *runs_dir, const char *run_id, const char *typed, char **report,
                     char **cause)
{
    *report = NULL;
    char *dir = runs_dir != NULL ? xstrdup(runs_dir) : run_default_dir();
    if (dir == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        return 0;
    }
    struct game_env env = {.runs_dir = dir};
    struct replay r = {0};
    struct game *g = replay_plans(&env, dir, run_id, &r, cause);
    if (g == NULL) {
        free(dir);
        return 0;
    }
    size_t given = 0;
    if (count_unresolved(g) == 0) {
        *cause = xasprintf("run %s has no pending rollback", run_id);
    } else if (action_read_only()) {
        *cause = xstrdup("read-only mode (--read-only): nothing is given up");
    } else if (run_busy(dir, run_id)) {
        *cause = xasprintf("run %s is in use by another opsdeck", run_id);
    } else if (open_journal(g, false, cause)) {
        struct strbuf rep = {0};
        for (size_t i = 0; i < g->nplans; i++) {
            struct plan *p = &g->plans[i];
            if (p->resolved) {
                continue;
            }
            if (!give_up_one(g, p, typed, cause)) {
                break;
            }
            given++;
            strbuf_printf(&rep, "run %s: given up: %s (inject %s): put it back by hand\n", run_id,
                          p->rollback, p->inject);
        }
        if (r.aborted && !r.ended && count_unresolved(g) == 0) {
            /* a crashed drill recovery kept open only for this: it ends as recovery would */
            g->ending = END_RECOVER;
            finish(g);
        }
        *report = rep.s;
    }
    free_game(g);
    free(dir);
    return given;
}
