/*
 * The step machine of a runbook run (run.h): moving between steps, the
 * operator's commands, and the journal every transition goes to first.
 *
 * Every transition is appended to RUN-ID.jsonl through the run's runlog (one
 * fsync per event) before it shows: the journal is the run, and resume is a
 * replay of it (run_resume.c, through a view). Replay rules, which the live
 * machine follows too:
 *   - step.enter sets the position and pushes the previous step on the history
 *     stack, except right after a `back` event (back pops instead);
 *   - step.done sets the step's mark; input / command.exit set variables;
 *   - a command.start, wait.start, action.start or notify "sending" without
 *     its end event after the last step.enter means the step was in flight
 *     when the session died: it comes back RUN_INTERRUPTED and nothing re-runs
 *     by itself.
 * Steps are named by id in the journal (never by index) so a runbook edited
 * between crash and resume is still understood when its ids did not change.
 *
 * What a step does when confirmed, stopped or replayed is its kind's
 * (runstep.h: one table and one file per kind). What the screen shows is told
 * to subscribers: the journaled events, and a status notice whenever the
 * state, the position or the message changed.
 */
#include "paths.h"
#include "runstep.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ---- */

static cJSON *status_data(const struct run *r)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "state", run_state_name(r->state));
    cJSON_AddNumberToObject(d, "index", (double)r->idx);
    if (r->message != NULL) {
        cJSON_AddStringToObject(d, "message", r->message);
    } else {
        cJSON_AddNullToObject(d, "message");
    }
    return d;
}

void run_publish(struct run *r)
{
    const char *m = r->message;
    const char *t = r->told_message;
    bool same_msg = (m == NULL && t == NULL) || (m != NULL && t != NULL && strcmp(m, t) == 0);
    if (r->log == NULL ||
        (r->told && r->told_state == r->state && r->told_idx == r->idx && same_msg)) {
        return;
    }
    r->told = true;
    r->told_state = r->state;
    r->told_idx = r->idx;
    free(r->told_message);
    r->told_message = m != NULL ? xstrdup(m) : NULL;
    run_notice(r, RL_STATUS, status_data(r), NULL, 0);
}

void run_set_message(struct run *r, char *msg)
{
    free(r->message);
    r->message = msg;
    run_publish(r);
}

void run_changed(struct run *r)
{
    run_publish(r);
    if (r->hooks.changed != NULL) {
        r->hooks.changed(r, r->hooks.ud);
    }
}

const struct rb_step *run_cur(const struct run *r)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED || r->idx >= r->rb->nsteps) {
        return NULL;
    }
    return &r->rb->steps[r->idx];
}

uint64_t run_now(const struct run *r)
{
    return r->loop != NULL ? loop_now_ms(r->loop) : clock_mono_ms();
}

struct step_text run_step_text(const struct run *r)
{
    return (struct step_text){r->rb, &r->vars, r->backends, r->nbackends};
}

static char *phase_str(enum rb_phase p)
{
    char s[2] = {rb_phase_letter(p), '\0'};
    return xstrdup(s);
}

bool run_log(struct run *r, const char *step, const char *action, const char *target,
             const char *result, cJSON *data)
{
    if (r->log == NULL) {
        cJSON_Delete(data);
        return true;
    }
    struct journal_event ev = {
        .actor = run_actor(r),
        .host = run_actor_host(r),
        .run = r->id,
        .step = step,
        .action = action,
        .target = target,
        .result = result,
        .data = data,
    };
    char *why = NULL;
    bool ok = runlog_append(r->log, &ev, &why);
    if (ok) {
        crew_apply_journal(&r->crew, &ev);
    }
    cJSON_Delete(data);
    if (ok) {
        /* a view derives from the event; the run's own words follow it */
        r->told = false;
        run_publish(r);
    } else {
        if (r->state != RUN_DONE && r->state != RUN_ABORTED) {
            r->state = RUN_FAILED;
        }
        run_set_message(r, xasprintf("the journal cannot be written: %s", why));
        free(why);
    }
    return ok;
}

static const char *step_id(const struct run *r)
{
    return r->idx < r->rb->nsteps ? r->rb->steps[r->idx].id : NULL;
}

bool run_log_step(struct run *r, const char *action, const char *result, cJSON *data)
{
    return run_log(r, step_id(r), action, NULL, result, data);
}

void run_notice(struct run *r, enum runlog_kind kind, cJSON *data, const char *bytes, size_t len)
{
    if (r->log != NULL) {
        struct runlog_event ev = {.kind = kind, .data = data, .bytes = bytes, .len = len};
        runlog_notice(r->log, &ev);
    }
    cJSON_Delete(data);
}

/* ---- moving between steps ---- */

static void timebox_fired(void *ud)
{
    struct run *r = ud;
    r->timebox_timer = NULL;
    run_changed(r);
}

static void leave_step(struct run *r)
{
    if (r->idx < r->rb->nsteps && r->step_started > 0) {
        int64_t d = clock_wall_ms() - r->step_started;
        r->phase_ms[r->rb->steps[r->idx].phase] += d > 0 ? (uint64_t)d : 0;
    }
    if (r->timebox_timer != NULL) {
        loop_timer_cancel(r->loop, r->timebox_timer);
        r->timebox_timer = NULL;
    }
}

static void arm_timebox(struct run *r)
{
    const struct rb_step *s = run_cur(r);
    if (s != NULL && s->timebox_s > 0 && r->loop != NULL) {
        int64_t left = (int64_t)s->timebox_s * 1000 - (clock_wall_ms() - r->step_started);
        r->timebox_timer =
            loop_timer_add(r->loop, left > 0 ? (uint64_t)left + 10 : 10, 0, timebox_fired, r);
    }
}

static void finish(struct run *r, const char *how)
{
    leave_step(r);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "how", how);
    run_log(r, NULL, "run.end", NULL, NULL, d);
    r->state = strcmp(how, "finished") == 0 ? RUN_DONE : RUN_ABORTED;
}

/* Enter step i (journal step.enter); push: remember where we came from. */
static bool enter(struct run *r, size_t i, bool push)
{
    leave_step(r);
    if (push && r->idx < r->rb->nsteps) {
        r->hist = xreallocarray(r->hist, r->nhist + 1, sizeof *r->hist);
        r->hist[r->nhist++] = r->idx;
    }
    r->idx = i;
    const struct rb_step *s = &r->rb->steps[i];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", (double)i);
    cJSON_AddStringToObject(d, "title", s->title);
    char *ph = phase_str(s->phase);
    cJSON_AddStringToObject(d, "phase", ph);
    free(ph);
    cJSON_AddStringToObject(d, "type", rb_step_type_name(s->type));
    r->state = RUN_READY;
    r->step_started = clock_wall_ms();
    r->overtime_dismissed = false;
    free(r->message);
    r->message = NULL;
    if (!run_log_step(r, "step.enter", NULL, d)) {
        return false;
    }
    arm_timebox(r);
    return true;
}

static void jump_event(struct run *r, size_t to, const char *action, const char *why)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "from", r->rb->steps[r->idx].id);
    cJSON_AddStringToObject(d, "to", r->rb->steps[to].id);
    cJSON_AddStringToObject(d, "why", why);
    run_log_step(r, action, NULL, d);
}

/* Go to step id go ("end" ends the run), or the next one in the file. */
static void advance(struct run *r, const char *go)
{
    if (go == NULL) {
        go = r->rb->steps[r->idx].next;
    }
    if (go != NULL && strcmp(go, "end") == 0) {
        finish(r, "finished");
        return;
    }
    size_t to = r->idx + 1;
    if (go != NULL) {
        int f = runbook_find_step(r->rb, go);
        if (f < 0) {
            r->state = RUN_FAILED;
            run_set_message(r, xasprintf("no step '%s' to go to", go));
            return;
        }
        to = (size_t)f;
    }
    if (to >= r->rb->nsteps) {
        finish(r, "finished");
        return;
    }
    enter(r, to, true);
}

static bool mark_step(struct run *r, enum run_mark m, const char *result)
{
    const char *how = m == RUN_MARK_DONE ? "done" : m == RUN_MARK_SKIPPED ? "skipped" : "failed";
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "how", how);
    if (!run_log_step(r, "step.done", result, d)) {
        return false;
    }
    r->marks[r->idx] = m;
    return true;
}

void run_step_failed(struct run *r, char *why)
{
    r->fly = NULL;
    run_set_message(r, why);
    if (mark_step(r, RUN_MARK_FAILED, why)) {
        r->state = RUN_FAILED;
    }
    run_changed(r);
}

void run_step_succeeded(struct run *r, char *msg, const char *go)
{
    r->fly = NULL;
    run_set_message(r, msg);
    if (!mark_step(r, RUN_MARK_DONE, msg)) {
        run_changed(r);
        return;
    }
    char *keep = r->message != NULL ? xstrdup(r->message) : NULL;
    advance(r, go);
    /* the result of the step just done stays visible on the next one */
    if (r->message == NULL) {
        r->message = keep;
    } else {
        free(keep);
    }
    run_changed(r);
}

/* ---- creating, destroying ---- */

struct run *run_alloc(const struct run_env *env, struct runbook *rb, const struct run_hooks *hooks)
{
    struct run *r = xcalloc(1, sizeof *r);
    r->loop = env->loop;
    r->store = env->store;
    r->backends = env->backends;
    r->nbackends = env->nbackends;
    r->dry_run = env->dry_run;
    r->runs_dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    r->rb = rb;
    r->out_fd = -1;
    r->marks = xcalloc(rb->nsteps > 0 ? rb->nsteps : 1, sizeof *r->marks);
    if (hooks != NULL) {
        r->hooks = *hooks;
    }
    return r;
}

char *run_default_dir(void)
{
    return runlog_default_dir();
}

/* The journal (with the run's lock: one opsdeck per run) and RUN-ID.out. */
bool run_open_files(struct run *r, bool create, char **cause)
{
    r->log = runlog_create(r->runs_dir, r->id, create ? RUNLOG_NEW : RUNLOG_OPEN, cause);
    if (r->log == NULL) {
        return false;
    }
    char *opath = xasprintf("%s/%s.out", r->runs_dir, r->id);
    r->out_fd = open(opath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (r->out_fd >= 0) {
        paths_share_mode(r->out_fd, opath);
    }
    struct stat st;
    if (r->out_fd < 0 || fstat(r->out_fd, &st) < 0) {
        *cause = xasprintf("%s: %s", opath, strerror(errno));
        free(opath);
        return false;
    }
    free(opath);
    r->out_size = (uint64_t)st.st_size;
    return true;
}

static cJSON *vars_json(const struct vars *v)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; v != NULL && i < v->n; i++) {
        cJSON_AddStringToObject(o, v->names[i], v->values[i]);
    }
    return o;
}

struct run *run_start(const struct run_env *env, struct runbook *rb, const struct vars *initial,
                      const struct run_hooks *hooks, char **cause)
{
    if (rb->nissues > 0) {
        *cause = xasprintf("%s:%d: %s%s", rb->path, rb->issues[0].line, rb->issues[0].message,
                           rb->nissues > 1 ? " (and more: see opsdeck lint)" : "");
        runbook_free(rb);
        return NULL;
    }
    if (rb->nsteps == 0) {
        *cause = xasprintf("%s: no steps", rb->path);
        runbook_free(rb);
        return NULL;
    }
    struct run *r = run_alloc(env, rb, hooks);
    for (size_t i = 0; i < rb->nvars; i++) {
        if (rb->vars[i].value != NULL) {
            vars_set(&r->vars, rb->vars[i].name, rb->vars[i].value);
        }
    }
    for (size_t i = 0; initial != NULL && i < initial->n; i++) {
        vars_set(&r->vars, initial->names[i], initial->values[i]);
    }
    r->id = runlog_unique_id(r->runs_dir, rb->path);
    if (r->dry_run) {
        /* nothing is written: the events reach the subscribers only */
        r->log = runlog_create(NULL, r->id, RUNLOG_MEMORY, cause);
    } else if (!run_open_files(r, true, cause)) {
        run_destroy(r);
        return NULL;
    }
    char *apath = realpath(rb->path, NULL);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "runbook", apath != NULL ? apath : rb->path);
    free(apath);
    cJSON_AddStringToObject(d, "title", rb->title != NULL ? rb->title : "");
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", rb->hash);
    cJSON_AddStringToObject(d, "hash", hash);
    cJSON_AddItemToObject(d, "vars", vars_json(&r->vars));
    cJSON_AddItemToObject(d, "argv_vars", vars_json(initial));
    if (!run_log(r, NULL, "run.start", NULL, NULL, d)) {
        *cause = xstrdup(r->message);
        run_destroy(r);
        return NULL;
    }
    r->idx = rb->nsteps; /* nothing to push */
    if (!enter(r, 0, false) && !r->dry_run) {
        *cause = xstrdup(r->message);
        run_destroy(r);
        return NULL;
    }
    run_publish(r);
    return r;
}

void run_resume_position(struct run *r, bool entered, bool completed, const char *go)
{
    if (!entered) {
        r->idx = r->rb->nsteps; /* nothing to push */
        enter(r, 0, false);
    } else if (completed) {
        /* done was journaled but the next step.enter was not: move on now */
        advance(r, go);
    } else {
        arm_timebox(r);
    }
}

void run_drop_inflight(struct run *r)
{
    for (size_t i = 0; step_kinds[i] != NULL; i++) {
        if (step_kinds[i]->drop != NULL) {
            step_kinds[i]->drop(r);
        }
    }
    r->fly = NULL;
}

void run_destroy(struct run *r)
{
    if (r == NULL) {
        return;
    }
    run_drop_inflight(r);
    if (r->timebox_timer != NULL) {
        loop_timer_cancel(r->loop, r->timebox_timer);
    }
    /* groups left from before are not killed here: the next resume finds them again */
    run_orphan_timer_stop(r);
    free(r->orphans);
    free(r->out_error);
    runlog_destroy(r->log);
    if (r->out_fd >= 0) {
        close(r->out_fd);
    }
    runbook_free(r->rb);
    vars_clear(&r->vars);
    free(r->runs_dir);
    free(r->id);
    free(r->marks);
    free(r->hist);
    free(r->reask);
    free(r->message);
    free(r->told_message);
    free(r->out);
    free(r->wait_seen);
    crew_actor_set(&r->actor, NULL, NULL);
    crew_finish(&r->crew);
    free(r);
}

/* ---- the event stream ---- */

bool run_history(const struct run *r, runlog_event_cb cb, void *ud, char **cause)
{
    /* and where it is now, in its own words */
    return runlog_history_status(r->log, r->id, status_data(r), cb, ud, cause);
}

void run_subscribe(struct run *r, runlog_event_cb cb, void *ud)
{
    runlog_subscribe(r->log, cb, ud);
}

void run_unsubscribe(struct run *r, runlog_event_cb cb, void *ud)
{
    runlog_unsubscribe(r->log, cb, ud);
}

const char *run_journal(const struct run *r)
{
    return r->log != NULL ? runlog_file(r->log) : NULL;
}

/* ---- what line mode shows ---- */

const char *run_id(const struct run *r)
{
    return r->id;
}

const struct runbook *run_runbook(const struct run *r)
{
    return r->rb;
}

enum run_state run_state(const struct run *r)
{
    return r->state;
}

size_t run_index(const struct run *r)
{
    return r->idx;
}

const struct rb_step *run_step(const struct run *r)
{
    return run_cur(r);
}

enum run_mark run_mark(const struct run *r, size_t i)
{
    return i < r->rb->nsteps ? r->marks[i] : RUN_MARK_TODO;
}

const struct vars *run_vars(const struct run *r)
{
    return &r->vars;
}

char *run_preview(const struct run *r, char **missing)
{
    const struct rb_step *s = run_cur(r);
    struct step_text t = run_step_text(r);
    return s != NULL ? step_preview(&t, s, missing) : NULL;
}

char *run_text(const struct run *r, const char *text)
{
    struct step_text t = run_step_text(r);
    return step_text(&t, text);
}

const char *run_message(const struct run *r)
{
    return r->message;
}

const char *run_output(const struct run *r, size_t *len)
{
    *len = r->out_len;
    return r->out != NULL ? r->out : "";
}

uint64_t run_output_total(const struct run *r)
{
    return r->out_total;
}

uint64_t run_step_elapsed_ms(const struct run *r)
{
    int64_t d = clock_wall_ms() - r->step_started;
    return run_cur(r) != NULL && d > 0 ? (uint64_t)d : 0;
}

bool run_overtime(const struct run *r)
{
    const struct rb_step *s = run_cur(r);
    return s != NULL && s->timebox_s > 0 && !r->overtime_dismissed &&
           run_step_elapsed_ms(r) > (uint64_t)s->timebox_s * 1000;
}

void run_phase_ms(const struct run *r, uint64_t out[RB_PHASES])
{
    memcpy(out, r->phase_ms, sizeof r->phase_ms);
    const struct rb_step *s = run_cur(r);
    if (s != NULL) {
        out[s->phase] += run_step_elapsed_ms(r);
    }
}

/* ---- what the operator does ---- */

static bool can_act(const struct run *r, char **cause)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED) {
        set_cause(cause, r->state == RUN_DONE ? "the run is finished" : "the run was aborted");
        return false;
    }
    if (r->state == RUN_BUSY) {
        set_cause(cause, "a step is in flight: stop it first");
        return false;
    }
    return true;
}

bool run_can_act(const struct run *r, char **cause)
{
    return can_act(r, cause);
}

static bool reasking(const struct run *r)
{
    return r->nreask > 0;
}

bool run_reasking(const struct run *r)
{
    return reasking(r);
}

/* The secret was asked again (or skipped): on to the next, or back to the position. */
void run_reask_next(struct run *r)
{
    memmove(r->reask, r->reask + 1, (r->nreask - 1) * sizeof *r->reask);
    r->nreask--;
    if (r->nreask > 0) {
        r->idx = r->reask[0];
    } else {
        r->idx = r->saved_idx;
        r->state = r->saved_state;
    }
    run_changed(r);
}

bool run_confirm(struct run *r, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (r->state == RUN_INTERRUPTED) {
        /* never by accident: the UI asks first, then calls run_rerun() */
        set_cause(cause, "this step was interrupted and may have run partly: re-running it "
                         "needs a confirmation");
        return false;
    }
    bool ok;
    if (run_two_person_confirm(r, &ok, cause)) {
        return ok;
    }
    return step_kind_of(run_cur(r)->type)->start(r, cause);
}

bool run_rerun(struct run *r, char **cause)
{
    if (r->state != RUN_INTERRUPTED) {
        set_cause(cause, "the step was not interrupted");
        return false;
    }
    run_orphan_poll(r);
    if (r->norphans > 0) {
        if (cause != NULL) {
            *cause = xasprintf("the interrupted command is still running (process group %d): "
                               "wait for it or stop it first",
                               r->orphans[0].pgid);
        }
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "confirmed", true);
    if (!run_log_step(r, "step.rerun", NULL, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    r->state = RUN_READY;
    return run_confirm(r, cause);
}

bool run_skip(struct run *r, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (reasking(r)) {
        run_reask_next(r);
        return true;
    }
    if (!mark_step(r, RUN_MARK_SKIPPED, NULL)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    /* skipping past a decision has no choice to follow: the next step in the file */
    const char *go = r->rb->steps[r->idx].type == RB_DECISION ? NULL : r->rb->steps[r->idx].next;
    if (go == NULL && r->idx + 1 >= r->rb->nsteps) {
        finish(r, "finished");
    } else if (go == NULL) {
        enter(r, r->idx + 1, true);
    } else {
        advance(r, go);
    }
    run_changed(r);
    return true;
}

bool run_back(struct run *r, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (reasking(r)) {
        set_cause(cause, "answer the secret again first (or skip it)");
        return false;
    }
    if (r->nhist == 0) {
        set_cause(cause, "this is the first step");
        return false;
    }
    size_t to = r->hist[r->nhist - 1];
    jump_event(r, to, "back", "back");
    r->nhist--;
    enter(r, to, false);
    run_changed(r);
    return true;
}

bool run_jump(struct run *r, const char *id, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (reasking(r)) {
        set_cause(cause, "answer the secret again first (or skip it)");
        return false;
    }
    int to = runbook_find_step(r->rb, id);
    if (to < 0) {
        if (cause != NULL) {
            *cause = xasprintf("no step '%s'", id);
        }
        return false;
    }
    jump_event(r, (size_t)to, "jump", "jump");
    enter(r, (size_t)to, true);
    run_changed(r);
    return true;
}

bool run_note(struct run *r, const char *text, char **cause)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED) {
        set_cause(cause, "the run has ended");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "text", text);
    if (!run_log(r, step_id(r), "note", NULL, NULL, d)) {
        set_cause(cause, r->message);
        return false;
    }
    return true;
}

bool run_record(struct run *r, const char *action, cJSON *data, char **cause)
{
    enum runlog_kind kind = runlog_kind(action);
    if (crew_kind(kind)) {
        return run_record_people(r, kind, data, cause);
    }
    if (kind != RL_POSTMORTEM && kind != RL_LEFTOVERS) {
        cJSON_Delete(data);
        set_cause(cause, "not an event the console may record in a run");
        return false;
    }
    if (!run_log(r, NULL, action, NULL, NULL, data)) {
        set_cause(cause, r->message);
        return false;
    }
    return true;
}

bool run_code(struct run *r, size_t i, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    const struct rb_step *s = run_cur(r);
    if (i >= s->ncode) {
        set_cause(cause, "no such code block");
        return false;
    }
    return run_start_command(r, s->code[i], true, cause);
}

bool run_stop(struct run *r, char **cause)
{
    if (r->state != RUN_BUSY || r->fly == NULL || r->fly->stop == NULL) {
        set_cause(cause, "nothing is running");
        return false;
    }
    return r->fly->stop(r, cause);
}

bool run_escalate(struct run *r, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (reasking(r)) {
        set_cause(cause, "answer the secret again first (or skip it)");
        return false;
    }
    size_t n = r->rb->nsteps, to = n;
    for (size_t i = r->idx + 1; i < n && to == n; i++) {
        if (r->rb->steps[i].phase == RB_PHASE_E) {
            to = i;
        }
    }
    for (size_t i = 0; i < n && to == n; i++) {
        if (r->rb->steps[i].phase == RB_PHASE_E) {
            to = i;
        }
    }
    if (to == n) {
        set_cause(cause, "this runbook has no Escalate step");
        return false;
    }
    const struct rb_step *s = run_cur(r);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "timebox_s", s->timebox_s);
    cJSON_AddBoolToObject(d, "escalated", true);
    run_log_step(r, "overtime", NULL, d);
    jump_event(r, to, "jump", "escalate");
    enter(r, to, true);
    run_changed(r);
    return true;
}

void run_dismiss_overtime(struct run *r)
{
    const struct rb_step *s = run_cur(r);
    if (s == NULL || r->overtime_dismissed) {
        return;
    }
    r->overtime_dismissed = true;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "timebox_s", s->timebox_s);
    cJSON_AddBoolToObject(d, "escalated", false);
    run_log_step(r, "overtime", NULL, d);
    run_changed(r);
}

void run_abort(struct run *r)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED) {
        return;
    }
    bool was_busy = r->state == RUN_BUSY;
    run_drop_inflight(r);
    if (was_busy) {
        mark_step(r, RUN_MARK_FAILED, "aborted");
    }
    if (reasking(r)) {
        r->idx = r->saved_idx;
        r->nreask = 0;
    }
    finish(r, "aborted");
    run_changed(r);
}
