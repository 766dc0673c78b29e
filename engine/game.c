/*
 * A running drill (game.h): the drill clock, injects, expectations, the
 * facilitator's commands and the game's life; checks, rollback and replay are
 * in the files gamestate.h lists.
 *
 * The journal is the run journal (RUN-ID.jsonl through runlog.h, events as in
 * docs/drills.md), every event with data.t_ms, the drill clock. Every
 * transition is journaled before it takes effect; a chaos action is asked for
 * only once its chaos.plan (with the rollback) is on disk.
 *
 * The clock: base_ms of drill time banked, plus now - since while running.
 * Resume sets it to the last t_ms in the journal and pauses: the time between
 * the last event and a crash is not known.
 *
 * What a screen shows is told to the subscribers: every journaled event, and
 * a status notice (state, clock, message, closing) whenever one of them
 * changed. One opsdeck per run: the game holds its run's lock (runlog.h).
 */
#include "gamestate.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/proc.h"
#include "../common/util.h"
#include "journal.h"
#include "notify.h"
#include "drill_extra.h"
#include "run.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The Slack hook of `notify: live` drills (the sandbox one is the drill's sandbox_env). */
static const char LIVE_HOOK_ENV[] = "OPSDECK_SLACK_WEBHOOK";

static const char *const state_names[] = {"checking", "ready",        "blocked", "running",
                                          "paused",   "rolling back", "ended",   "aborted"};

/* ---- small helpers ---- */

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

uint64_t game_loop_ms(const struct game *g)
{
    return g->env.loop != NULL ? loop_now_ms(g->env.loop) : clock_mono_ms();
}

static cJSON *status_data(const struct game *g)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "state", state_names[g->state]);
    if (g->message != NULL) {
        cJSON_AddStringToObject(d, "message", g->message);
    } else {
        cJSON_AddNullToObject(d, "message");
    }
    cJSON_AddNumberToObject(d, "t_ms", (double)game_clock_ms(g));
    cJSON_AddBoolToObject(d, "running", g->state == GAME_RUNNING);
    cJSON_AddBoolToObject(d, "closing", game_closing(g));
    return d;
}

/* Tell the subscribers the state, the clock, the message and closing, when one changed. */
static void publish(struct game *g)
{
    bool closing = game_closing(g);
    const char *m = g->message, *t = g->told_message;
    bool same_msg = (m == NULL && t == NULL) || (m != NULL && t != NULL && strcmp(m, t) == 0);
    if (g->log == NULL || (g->told && g->told_state == g->state && g->told_base == g->base_ms &&
                           g->told_since == g->since && g->told_closing == closing && same_msg)) {
        return;
    }
    g->told = true;
    g->told_state = g->state;
    g->told_base = g->base_ms;
    g->told_since = g->since;
    g->told_closing = closing;
    free(g->told_message);
    g->told_message = m != NULL ? xstrdup(m) : NULL;
    game_notice(g, RL_STATUS, status_data(g));
}

void game_set_message(struct game *g, char *msg)
{
    free(g->message);
    g->message = msg;
    publish(g);
}

void game_changed(struct game *g)
{
    publish(g);
    if (g->hooks.changed != NULL) {
        g->hooks.changed(g, g->hooks.ud);
    }
}

void game_notice(struct game *g, enum runlog_kind kind, cJSON *data)
{
    if (g->log != NULL) {
        struct runlog_event ev = {.kind = kind, .data = data};
        runlog_notice(g->log, &ev);
    }
    cJSON_Delete(data);
}

bool game_log(struct game *g, const char *step, const char *action, const char *target,
              const char *result, cJSON *data)
{
    if (data == NULL) {
        data = cJSON_CreateObject();
    }
    cJSON_AddNumberToObject(data, "t_ms", (double)game_clock_ms(g));
    struct journal_event ev = {
        .actor = crew_actor_user(&g->actor),
        .host = crew_actor_host(&g->actor),
        .run = g->id,
        .step = step,
        .action = action,
        .target = target,
        .result = result,
        .data = data,
    };
    char *why = NULL;
    bool ok = g->log != NULL && runlog_append(g->log, &ev, &why);
    if (ok && g->dv != NULL) {
        crew_apply_journal(&g->dv->crew, &ev);
    }
    cJSON_Delete(data);
    if (ok) {
        /* a view derives from the event; the game's own words follow it */
        g->told = false;
        publish(g);
    } else {
        game_set_message(
            g, xasprintf("the journal cannot be written: %s", why != NULL ? why : "not open"));
        free(why);
    }
    return ok;
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
    game_log(g, NULL, "notify", NULL, ok ? "ok" : (message ? message : "failed"), d);
    game_changed(g);
}

/* One hook: env names the variable holding its URL (NULL: the drill has no sandbox_env). */
static void send_notify_to(struct game *g, const struct drill_inject *in, const char *env)
{
    const struct drill *dr = g->d;
    char *msg = dr->label != NULL ? xasprintf("%s %s", dr->label, in->notify) : xstrdup(in->notify);
    struct notify_request q = {
        .service = "slack",
        .message = msg,
        .url_env = env,
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
        game_log(g, in->id, "notify", NULL, why != NULL ? why : "failed", d);
        free(why);
        return;
    }
    r->n = n;
    g->nreqs = xreallocarray(g->nreqs, g->nnreqs + 1, sizeof *g->nreqs);
    g->nreqs[g->nnreqs++] = r;
}

/* To each targeted role's own hook (notify_ROLE), once each, else the drill's (drill_extra.h). */
static void send_notify(struct game *g, const struct drill_inject *in)
{
    const char *envs[64];
    size_t n =
        drill_extra_notify_envs(g->d, in, g->d->notify_live ? LIVE_HOOK_ENV : g->d->sandbox_env,
                                envs, sizeof envs / sizeof envs[0]);
    for (size_t k = 0; k < n; k++) {
        send_notify_to(g, in, envs[k]);
    }
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
    drill_extra_fire_data(in, d); /* text (attachments), hidden: the report's; never public */
    /* what is expected, so the report can list what nobody marked and score like game_score */
    cJSON *ex = cJSON_AddArrayToObject(d, "expects");
    for (size_t k = 0; k < in->nexpects; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", in->expects[k].text != NULL ? in->expects[k].text : "");
        cJSON_AddNumberToObject(o, "deadline_s", in->expects[k].deadline_s);
        cJSON_AddNumberToObject(o, "points", in->expects[k].points);
        game_expect_json(o, &in->expects[k]);
        cJSON_AddItemToArray(ex, o);
    }
    if (!game_log(g, in->id, "inject.fire", NULL, why, d)) {
        return;
    }
    g->dv->inj[i].state = INJECT_FIRED;
    g->dv->inj[i].fired_ms = game_clock_ms(g);
    if (in->notify != NULL) {
        send_notify(g, in);
    }
    if (game_chaos_ask(g, i)) {
        return; /* the facilitator answers first (game_ask.c) */
    }
    for (size_t c = 0; c < in->nchaos && g->d->kind == DRILL_LIVE; c++) {
        game_start_chaos(g, i, c);
    }
}

static void fire_contingency_of(struct game *g, size_t i)
{
    const struct drill_inject *in = &g->d->injects[i];
    if (g->dv->inj[i].contingency_fired || in->contingency == NULL) {
        return;
    }
    g->dv->inj[i].contingency_fired = true;
    int c = drill_find_inject(g->d, in->contingency);
    if (c >= 0 && g->dv->inj[c].state == INJECT_PENDING) {
        fire(g, (size_t)c, "contingency");
    }
}

/* A missed expectation fires its on_miss, else its inject's contingency (once). */
static void fire_on_miss(struct game *g, size_t i, size_t e)
{
    const char *om = g->d->injects[i].expects[e].on_miss;
    int c = om != NULL ? drill_find_inject(g->d, om) : -1;
    if (c >= 0 && g->dv->inj[c].state == INJECT_PENDING) {
        fire(g, (size_t)c, "contingency");
    } else if (om == NULL) {
        fire_contingency_of(g, i);
    }
}

void game_journal_expect(struct game *g, size_t i, size_t e, enum expect_state st, const char *by,
                         uint64_t at_ms)
{
    const struct drill_inject *in = &g->d->injects[i];
    const struct drill_expect *x = &in->expects[e];
    const char *status = game_expect_status(st);
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
    cJSON_AddNumberToObject(d, "at_ms", (double)(at_ms != GAME_AT_NOW ? at_ms : game_clock_ms(g)));
    if (game_log(g, in->id, "expect", NULL, status, d)) {
        g->dv->inj[i].ex[e] = st;
    }
}

void game_tick(struct game *g)
{
    game_guard_tick(g); /* the safety lever and ttls, in every state */
    if (g->state != GAME_RUNNING) {
        return;
    }
    uint64_t t = game_clock_ms(g);
    const struct drill *d = g->d;
    struct dv_inject *inj = g->dv->inj;
    bool any = false;
    for (size_t i = 0; i < d->ninjects && g->state == GAME_RUNNING; i++) {
        if (inj[i].state == INJECT_PENDING && d->injects[i].at_s >= 0 &&
            (uint64_t)d->injects[i].at_s * 1000 <= t && drill_extra_may_fire(d, i)) {
            fire(g, i, "clock");
            any = true;
        }
    }
    for (size_t i = 0; i < d->ninjects && g->state == GAME_RUNNING; i++) {
        const struct drill_inject *in = &d->injects[i];
        if (inj[i].state != INJECT_FIRED) {
            continue;
        }
        for (size_t e = 0; e < in->nexpects; e++) {
            uint64_t due = inj[i].fired_ms + (uint64_t)in->expects[e].deadline_s * 1000;
            if (inj[i].ex[e] == EXPECT_PENDING && t >= due) {
                game_journal_expect(g, i, e, EXPECT_MISSED, NULL, due);
                fire_on_miss(g, i, e);
                any = true;
            }
        }
    }
    game_warn_end(g, t);
    for (size_t i = 0; i < d->nchecks && g->state == GAME_RUNNING; i++) {
        if ((d->checks[i].when == DRILL_DURING || d->checks[i].when == DRILL_STOP) &&
            g->chk[i].proc == NULL && t >= g->chk[i].next_ms) {
            g->chk[i].next_ms =
                t + (uint64_t)(d->checks[i].interval_ms > 0 ? d->checks[i].interval_ms
                                                            : CHECK_INTERVAL_MS);
            game_run_check(g, i);
        }
    }
    if (g->state == GAME_RUNNING && d->duration_s > 0 && t >= (uint64_t)d->duration_s * 1000) {
        game_set_message(g, xstrdup("time is up: rolling back"));
        game_begin_end(g, END_FINISH);
        return;
    }
    if (any) {
        game_changed(g);
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
    if (!game_chaos_targets(g, cause)) {
        return false; /* a chaos target not in the live data (game_restore.c) */
    }
    /* the dead-man guard watches before any chaos can run; none, no start */
    char *why = NULL;
    if (!game_guard_spawn(g, &why)) {
        game_set_message(g, xasprintf("not started: %s", why));
        set_cause(cause, why);
        free(why);
        game_changed(g);
        return false;
    }
    g->state = GAME_RUNNING;
    g->since = now(g);
    g->base_ms = 0;
    if (!game_log(g, NULL, "drill.start", NULL, NULL, NULL)) {
        g->state = GAME_READY;
        set_cause(cause, g->message);
        return false;
    }
    g->began = true;
    game_set_message(g, xstrdup("the clock runs"));
    game_changed(g);
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
    game_log(g, NULL, "drill.pause", NULL, NULL, NULL);
    game_set_message(g, xstrdup("paused"));
    game_changed(g);
    return true;
}

bool game_resume_clock(struct game *g, char **cause)
{
    if (g->state != GAME_PAUSED) {
        set_cause(cause, "the clock is not paused");
        return false;
    }
    game_log(g, NULL, "drill.resume", NULL, NULL, NULL);
    g->since = now(g);
    g->state = GAME_RUNNING;
    game_set_message(g, xstrdup("the clock runs"));
    game_changed(g);
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

bool game_in_play(const struct game *g, size_t inject, char **cause)
{
    return in_play(g, inject, cause);
}

bool game_fire(struct game *g, size_t inject, char **cause)
{
    if (!in_play(g, inject, cause)) {
        return false;
    }
    if (g->dv->inj[inject].state != INJECT_PENDING) {
        set_cause(cause, g->dv->inj[inject].state == INJECT_FIRED ? "it has fired already"
                                                                  : "it was skipped");
        return false;
    }
    fire(g, inject, "early");
    game_changed(g);
    return g->dv->inj[inject].state == INJECT_FIRED;
}

bool game_skip(struct game *g, size_t inject, char **cause)
{
    if (!in_play(g, inject, cause)) {
        return false;
    }
    if (g->dv->inj[inject].state != INJECT_PENDING) {
        set_cause(cause, "only an inject that has not fired can be skipped");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", g->d->injects[inject].id);
    if (!game_log(g, g->d->injects[inject].id, "inject.skip", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    g->dv->inj[inject].state = INJECT_SKIPPED;
    game_undo_push(g, inject, SIZE_MAX, EXPECT_PENDING);
    game_changed(g);
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
    if (g->dv->inj[c].state != INJECT_PENDING) {
        set_cause(cause, "its contingency has fired already (or was skipped)");
        return false;
    }
    g->dv->inj[inject].contingency_fired = true;
    fire(g, (size_t)c, "contingency");
    game_changed(g);
    return true;
}

bool game_mark(struct game *g, size_t inject, size_t expect, bool met, const char *by, char **cause)
{
    return game_mark_at(g, inject, expect, met, by, GAME_AT_NOW, cause);
}

bool game_mark_at(struct game *g, size_t inject, size_t expect, bool met, const char *by,
                  uint64_t at_ms, char **cause)
{
    if (inject >= g->d->ninjects || expect >= g->d->injects[inject].nexpects) {
        set_cause(cause, "no such expectation");
        return false;
    }
    struct dv_inject *in = &g->dv->inj[inject];
    if (in->state != INJECT_FIRED) {
        set_cause(cause, "that inject has not fired");
        return false;
    }
    enum expect_state st = in->ex[expect];
    if (st == EXPECT_MET || st == EXPECT_LATE || (!met && st == EXPECT_MISSED)) {
        set_cause(cause, "it is marked already");
        return false;
    }
    uint64_t due = in->fired_ms + (uint64_t)g->d->injects[inject].expects[expect].deadline_s * 1000;
    if (!game_mark_time_ok(g, inject, met, &at_ms, cause)) {
        return false;
    }
    enum expect_state to = !met ? EXPECT_MISSED : at_ms < due ? EXPECT_MET : EXPECT_LATE;
    game_journal_expect(g, inject, expect, to, by, at_ms);
    if (in->ex[expect] != to) {
        set_cause(cause, g->message);
        return false;
    }
    game_undo_push(g, inject, expect, st);
    if (to == EXPECT_MISSED && (g->state == GAME_RUNNING || g->state == GAME_PAUSED)) {
        fire_on_miss(g, inject, expect);
    }
    game_changed(g);
    return true;
}

/*
 * The abort word counts as a whole message only (trimmed, any case): a note
 * that mentions it ("ops says: rhubarb, real incident") is a note.
 */
bool game_says_abort_word(const struct game *g, const char *text)
{
    const char *word = g->d != NULL ? g->d->abort_word : NULL;
    if (word == NULL || word[0] == '\0' || text == NULL) {
        return false;
    }
    char *t = str_trim(xstrdup(text));
    bool is = strcasecmp(t, word) == 0;
    free(t);
    return is;
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
    if (!game_log(g, NULL, "note", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    if (game_says_abort_word(g, text)) {
        game_abort(g, "abort word");
    }
    game_changed(g);
    return true;
}

bool game_debrief(struct game *g, size_t question, const char *answer, char **cause)
{
    if (question >= drill_prompt_count(g->d)) {
        set_cause(cause, "no such debrief question");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "question", drill_prompt(g->d, question));
    cJSON_AddStringToObject(d, "answer", answer);
    if (!game_log(g, NULL, "debrief", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    game_changed(g);
    return true;
}

/* ---- creating, destroying ---- */

struct game *game_alloc(const struct game_env *env, struct drill *d, const struct game_hooks *h)
{
    struct game *g = xcalloc(1, sizeof *g);
    g->env = *env;
    g->runs_dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    g->env.runs_dir = g->runs_dir;
    g->during_since = game_loop_ms(g);
    g->guard_fd = -1;
    g->d = d;
    if (h != NULL) {
        g->hooks = *h;
    }
    g->dv = drillview_create(d, env->now_ms, env->now_ud);
    if (d != NULL) {
        g->chk = xcalloc(d->nchecks + 1, sizeof *g->chk);
        for (size_t i = 0; i < d->nchecks; i++) {
            g->chk[i].journaled = -1;
        }
    }
    return g;
}

bool game_open_journal(struct game *g, bool create, char **cause)
{
    g->log = runlog_create(g->runs_dir, g->id, create ? RUNLOG_NEW : RUNLOG_OPEN, cause);
    return g->log != NULL;
}

void game_arm_timer(struct game *g)
{
    if (g->env.loop != NULL && !g->env.no_timer) {
        g->timer = loop_timer_add(g->env.loop, TICK_MS, TICK_MS, on_timer, g);
    }
}

void game_free(struct game *g)
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
    game_guard_release(g, "closed"); /* counts the plans left: before they are freed */
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
    free(g->asks);
    for (size_t i = 0; i < g->nnreqs; i++) {
        notify_cancel(g->nreqs[i]->n);
        free(g->nreqs[i]);
    }
    free(g->nreqs);
    if (g->d != NULL) {
        game_stop_checks(g);
    }
    drillview_destroy(g->dv);
    crew_actor_set(&g->actor, NULL, NULL);
    free(g->chk);
    runlog_destroy(g->log);
    drill_free(g->d);
    free(g->seq_failed);
    free(g->abort_why);
    free(g->runs_dir);
    free(g->id);
    free(g->message);
    free(g->told_message);
    free(g->undo);
    free(g);
}

static cJSON *start_data(const struct drill *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "drill");
    if (d->facilitator_notes != NULL) { /* the report's; not in drill_public's whitelist */
        cJSON_AddStringToObject(o, "facilitator_notes", d->facilitator_notes);
    }
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
    game_start_score_data(o, d);
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
    if (!game_guard_lever_allows(d, cause) || !game_players_take(d, cause)) {
        drill_free(d);
        return NULL;
    }
    struct game *g = game_alloc(env, d, h);
    g->id = runlog_unique_id(g->runs_dir, d->path);
    if (!game_open_journal(g, true, cause) ||
        !game_log(g, NULL, "run.start", NULL, NULL, start_data(d))) {
        if (*cause == NULL) {
            *cause = xstrdup(g->message);
        }
        game_free(g);
        return NULL;
    }
    game_branch_start(g);
    g->state = GAME_CHECKING;
    game_set_message(g, xstrdup("before checks"));
    game_arm_timer(g);
    game_start_checks(g, DRILL_BEFORE);
    return g;
}

/* ---- the event stream ---- */

bool game_history(const struct game *g, runlog_event_cb cb, void *ud, char **cause)
{
    /* and where it is now, in its own words */
    return runlog_history_status(g->log, g->id, status_data(g), cb, ud, cause);
}

void game_subscribe(struct game *g, runlog_event_cb cb, void *ud)
{
    runlog_subscribe(g->log, cb, ud);
}

void game_unsubscribe(struct game *g, runlog_event_cb cb, void *ud)
{
    runlog_unsubscribe(g->log, cb, ud);
}

const char *game_journal(const struct game *g)
{
    return g->log != NULL ? runlog_file(g->log) : NULL;
}

/* ---- what line mode shows ---- */

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
    return drillview_inject_state(g->dv, i);
}

uint64_t game_inject_fired_ms(const struct game *g, size_t i)
{
    return drillview_inject_fired_ms(g->dv, i);
}

enum expect_state game_expect_state(const struct game *g, size_t inject, size_t e)
{
    return drillview_expect_state(g->dv, inject, e);
}

enum chaos_state game_chaos_state(const struct game *g, size_t inject, size_t c)
{
    return drillview_chaos_state(g->dv, inject, c);
}

const char *game_chaos_message(const struct game *g, size_t inject, size_t c)
{
    return drillview_chaos_message(g->dv, inject, c);
}

int game_check_result(const struct game *g, size_t i, const char **why)
{
    return drillview_check_result(g->dv, i, why);
}

int game_score(const struct game *g, int *max)
{
    return drillview_score(g->dv, max);
}

const char *game_message(const struct game *g)
{
    return g->message;
}
