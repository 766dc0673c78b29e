/*
 * The step machine of a runbook run (run.h), its journal and resume.
 *
 * Every transition is appended to RUN-ID.jsonl (engine/journal.c, one fsync
 * per event) before it shows: the journal is the run, and resume is a replay
 * of it. Replay rules, which the live machine follows too:
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
 * Command output is appended raw to RUN-ID.out; the journal only references
 * byte ranges of it (command.output), at most once a second per command plus
 * a final one, so a chatty command does not cost an fsync per chunk.
 */
#include "run.h"

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
#include "runlog.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    OUT_TAIL = 64 * 1024,
    REF_EVERY_MS = 1000,
    UNKNOWN_RETRY_MS = 250, /* a wait whose condition is unknown looks again this soon */
    READY_TICK_MS = 100,    /* an action step waiting for its backend's first answer */
    READY_MARGIN_MS = 2000, /* ... waits at most the backend's timeout and this */
};

enum inflight { FLY_NONE, FLY_COMMAND, FLY_CODE, FLY_WAIT, FLY_ACTION, FLY_NOTIFY };

/* An action's report may come after the run is gone: it finds r NULL then. */
struct action_token {
    struct run *r;
};

struct run {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    bool dry_run;
    char *runs_dir;
    struct runbook *rb;
    char *id;
    struct journal *j;
    int out_fd;
    uint64_t out_size;
    struct run_hooks hooks;

    enum run_state state;
    enum run_state saved_state; /* while re-asking secrets after resume */
    size_t idx;
    size_t saved_idx;
    size_t *reask; /* secret prompt steps to ask again after resume */
    size_t nreask;
    enum run_mark *marks;
    struct vars vars;
    size_t *hist;
    size_t nhist;
    char *message;
    char *out;
    size_t out_len;
    uint64_t out_total;
    int64_t step_started; /* wall ms */
    uint64_t phase_ms[RB_PHASES];
    bool overtime_dismissed;
    struct loop_timer *timebox_timer;

    enum inflight fly;
    enum run_state fly_prev; /* state to return to after a one-off code block */
    struct proc *proc;
    uint64_t ref_from, last_ref_ms;
    struct loop_timer *ref_timer; /* output waiting for its reference */
    struct loop_timer *wait_timer;
    struct cond wcond;
    bool wcond_set;
    struct shtmpl_command wait_cmd; /* a wait on a command; zeroed otherwise */
    struct proc *wait_proc;
    int tries;
    int64_t wait_deadline;
    char *wait_seen;
    uint64_t wait_since;            /* loop time the wait began: older answers do not count */
    bool wait_unknown;              /* the last look could not say (cond.h) */
    struct loop_timer *ready_timer; /* an action waiting for its backend's first answer */
    struct backend *ready_backend;
    uint64_t ready_deadline;
    struct action_token *token;
    struct notify *notify;

    uint64_t out_lost;          /* bytes of the current command's output not saved (full disk) */
    char *out_error;            /* why, the first time */
    struct proc_ident *orphans; /* groups left running by a session that died */
    size_t norphans;
    enum run_orphan orphan_mode;
    struct loop_timer *orphan_timer;
    uint64_t orphan_term_ms; /* when SIGTERM was sent (stopping) */
    bool orphan_killed;      /* SIGKILL sent too */
};

/* ---- small helpers ---- */

static void set_message(struct run *r, char *msg)
{
    free(r->message);
    r->message = msg;
}

static void changed(struct run *r)
{
    if (r->hooks.changed != NULL) {
        r->hooks.changed(r, r->hooks.ud);
    }
}

/* A command step runs `run:`, else its first code block (docs/runbooks.md). */
static const char *step_command(const struct rb_step *s)
{
    return s->run != NULL ? s->run : (s->ncode > 0 ? s->code[0] : "");
}

static const struct rb_step *cur(const struct run *r)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED || r->idx >= r->rb->nsteps) {
        return NULL;
    }
    return &r->rb->steps[r->idx];
}

static void set_cause(char **cause, const char *text)
{
    if (cause != NULL) {
        *cause = xstrdup(text);
    }
}

static char *phase_str(enum rb_phase p)
{
    char s[2] = {rb_phase_letter(p), '\0'};
    return xstrdup(s);
}

/*
 * Append one event. data is consumed. On failure the run stops where it is:
 * nothing may run unjournaled.
 */
static bool jlog(struct run *r, const char *step, const char *action, const char *target,
                 const char *result, cJSON *data)
{
    if (r->dry_run || r->j == NULL) {
        cJSON_Delete(data);
        return true;
    }
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .run = r->id,
        .step = step,
        .action = action,
        .target = target,
        .result = result,
        .data = data,
    };
    char *why = NULL;
    bool ok = journal_append(r->j, &ev, &why);
    cJSON_Delete(data);
    if (!ok) {
        set_message(r, xasprintf("the journal cannot be written: %s", why));
        free(why);
        if (r->state != RUN_DONE && r->state != RUN_ABORTED) {
            r->state = RUN_FAILED;
        }
    }
    return ok;
}

static const char *step_id(const struct run *r)
{
    return r->idx < r->rb->nsteps ? r->rb->steps[r->idx].id : NULL;
}

static bool jstep(struct run *r, const char *action, const char *result, cJSON *data)
{
    return jlog(r, step_id(r), action, NULL, result, data);
}

/* ---- output ---- */

static void out_reset(struct run *r)
{
    r->out_len = 0;
    r->out_total = 0;
    r->out_lost = 0;
    free(r->out_error);
    r->out_error = NULL;
    if (r->out != NULL) {
        r->out[0] = '\0';
    }
}

static void out_keep(struct run *r, const char *buf, size_t n)
{
    if (r->out == NULL) {
        r->out = xmalloc(OUT_TAIL + 1);
    }
    if (n >= OUT_TAIL) {
        memcpy(r->out, buf + n - OUT_TAIL, OUT_TAIL);
        r->out_len = OUT_TAIL;
    } else {
        if (r->out_len + n > OUT_TAIL) {
            size_t drop = r->out_len + n - OUT_TAIL;
            memmove(r->out, r->out + drop, r->out_len - drop);
            r->out_len -= drop;
        }
        memcpy(r->out + r->out_len, buf, n);
        r->out_len += n;
    }
    r->out[r->out_len] = '\0';
    r->out_total += n;
}

static void out_write(struct run *r, const char *buf, size_t n)
{
    if (r->out_fd < 0) {
        return;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(r->out_fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            /* a full disk or a file size limit: the step and the report say output was cut */
            if (r->out_error == NULL) {
                r->out_error = xstrdup(w < 0 ? strerror(errno) : "nothing written");
            }
            break;
        }
        done += (size_t)w;
    }
    r->out_size += done;
    r->out_lost += n - done;
}

/* Journal the output written since the last reference. */
static void out_reference(struct run *r)
{
    if (r->out_size <= r->ref_from) {
        return;
    }
    if (r->out_fd >= 0) {
        fdatasync(r->out_fd);
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "offset", (double)r->ref_from);
    cJSON_AddNumberToObject(d, "length", (double)(r->out_size - r->ref_from));
    r->ref_from = r->out_size;
    r->last_ref_ms = clock_mono_ms();
    jstep(r, "command.output", NULL, d);
}

/* ---- moving between steps ---- */

static void stop_inflight(struct run *r);

static void timebox_fired(void *ud)
{
    struct run *r = ud;
    r->timebox_timer = NULL;
    changed(r);
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
    const struct rb_step *s = cur(r);
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
    jlog(r, NULL, "run.end", NULL, NULL, d);
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
    set_message(r, NULL);
    if (!jstep(r, "step.enter", NULL, d)) {
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
    jstep(r, action, NULL, d);
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
            set_message(r, xasprintf("no step '%s' to go to", go));
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
    if (!jstep(r, "step.done", result, d)) {
        return false;
    }
    r->marks[r->idx] = m;
    return true;
}

static void step_failed(struct run *r, char *why)
{
    r->fly = FLY_NONE;
    set_message(r, why);
    if (mark_step(r, RUN_MARK_FAILED, why)) {
        r->state = RUN_FAILED;
    }
    changed(r);
}

static void step_succeeded(struct run *r, char *msg, const char *go)
{
    r->fly = FLY_NONE;
    set_message(r, msg);
    if (!mark_step(r, RUN_MARK_DONE, msg)) {
        changed(r);
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
    changed(r);
}

/* ---- secrets ---- */

/*
 * The text as it may be shown or journaled: expanded with the value of every
 * secret prompt's variable replaced by [secret]. The real expansion goes only
 * to the child, the backend or the notify request.
 */
static char *expand_shown(const struct run *r, const char *text, enum vars_mode mode)
{
    struct vars masked = {0};
    for (size_t i = 0; i < r->vars.n; i++) {
        vars_set(&masked, r->vars.names[i], r->vars.values[i]);
    }
    for (size_t i = 0; i < r->rb->nsteps; i++) {
        const struct rb_step *s = &r->rb->steps[i];
        if (s->type == RB_PROMPT && s->secret && s->var != NULL &&
            vars_get(&masked, s->var) != NULL) {
            vars_set(&masked, s->var, "[secret]");
        }
    }
    char *missing = NULL;
    char *out = vars_expand(&masked, text != NULL ? text : "", mode, &missing);
    free(missing);
    vars_clear(&masked);
    return out != NULL ? out : xstrdup(text != NULL ? text : "");
}

/* ---- commands ---- */

static void ref_due(void *ud)
{
    struct run *r = ud;
    r->ref_timer = NULL;
    out_reference(r);
}

static void cancel_ref_timer(struct run *r)
{
    if (r->ref_timer != NULL) {
        loop_timer_cancel(r->loop, r->ref_timer);
        r->ref_timer = NULL;
    }
}

static void on_cmd_output(const char *buf, size_t n, bool is_stderr, void *ud)
{
    struct run *r = ud;
    (void)is_stderr;
    out_keep(r, buf, n);
    out_write(r, buf, n);
    uint64_t since = clock_mono_ms() - r->last_ref_ms;
    if (since >= REF_EVERY_MS) {
        cancel_ref_timer(r);
        out_reference(r);
    } else if (r->ref_timer == NULL) {
        /* output then silence: still referenced within the second */
        r->ref_timer = loop_timer_add(r->loop, REF_EVERY_MS - since, 0, ref_due, r);
    }
    changed(r);
}

static void on_cmd_done(const struct proc_result *res, void *ud)
{
    struct run *r = ud;
    r->proc = NULL;
    cancel_ref_timer(r);
    out_reference(r);
    const struct rb_step *s = &r->rb->steps[r->idx];
    bool code = r->fly == FLY_CODE;
    bool ok =
        res->error == NULL && (code || s->expect_exit < 0 || res->exit_code == s->expect_exit);
    char *value = NULL;
    if (ok && !code && s->capture != NULL) {
        value = str_trim(xstrdup(res->out != NULL ? res->out : ""));
        vars_set(&r->vars, s->capture, value);
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "code", res->exit_code);
    if (res->error != NULL) {
        cJSON_AddStringToObject(d, "error", res->error);
    } else {
        cJSON_AddNullToObject(d, "error");
    }
    cJSON_AddNumberToObject(d, "elapsed_ms", (double)(int64_t)res->elapsed_ms);
    if (value != NULL) {
        cJSON_AddStringToObject(d, "var", s->capture);
        cJSON_AddStringToObject(d, "value", value);
    }
    char *msg;
    if (res->error != NULL) {
        msg = xstrdup(res->error);
    } else if (!ok) {
        msg = xasprintf("exit %d (want %d) in %.1f s", res->exit_code, s->expect_exit,
                        res->elapsed_ms / 1000.0);
    } else {
        msg = xasprintf("exit %d in %.1f s", res->exit_code, res->elapsed_ms / 1000.0);
    }
    if (r->out_lost > 0) {
        cJSON_AddNumberToObject(d, "output_lost", (double)r->out_lost);
        cJSON_AddStringToObject(d, "output_error", r->out_error);
        char *cut = xasprintf("%s; output cut: %llu bytes not saved (%s)", msg,
                              (unsigned long long)r->out_lost, r->out_error);
        free(msg);
        msg = cut;
    }
    free(value);
    if (!jstep(r, "command.exit", msg, d)) {
        free(msg);
        r->fly = FLY_NONE;
        changed(r);
        return;
    }
    if (code) {
        r->fly = FLY_NONE;
        r->state = r->fly_prev;
        set_message(r, msg);
        changed(r);
    } else if (ok) {
        step_succeeded(r, msg, NULL);
    } else {
        step_failed(r, msg);
    }
}

/*
 * The child is forked but held before exec: journal its process group
 * (command.pgid: pgid, its start time, the boot id) and only then let it run,
 * so a session killed at any moment leaves either no side effect or a group a
 * later resume can find. Not journaled: the child never runs.
 */
static bool journal_group(struct run *r, char **cause)
{
    struct proc_ident id;
    proc_ident(r->proc, &id);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pgid", id.pgid);
    cJSON_AddNumberToObject(d, "start", (double)id.start);
    cJSON_AddStringToObject(d, "boot", id.boot);
    if (!jstep(r, "command.pgid", NULL, d)) {
        proc_cancel(r->proc);
        r->proc = NULL;
        r->fly = FLY_NONE; /* jlog() failed the run: nothing runs unjournaled */
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    proc_release(r->proc);
    return true;
}

static bool start_command(struct run *r, const char *text, bool one_off, char **cause)
{
    struct shtmpl_command cmd;
    char *why = NULL;
    if (!vars_command(&r->vars, text, &cmd, &why)) {
        set_cause(cause, why);
        if (one_off) {
            free(why);
        } else {
            step_failed(r, why);
        }
        return false;
    }
    char *shown = expand_shown(r, text, VARS_SHOWN_COMMAND);
    if (r->dry_run) {
        set_message(r, xasprintf("dry run: would run: %s", shown));
        free(shown);
        shtmpl_command_finish(&cmd);
        if (!one_off) {
            step_succeeded(r, xstrdup(r->message), NULL);
        }
        return true;
    }
    out_reset(r);
    r->ref_from = r->out_size;
    r->last_ref_ms = clock_mono_ms();
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "command", shown);
    cJSON_AddNumberToObject(d, "offset", (double)r->out_size);
    if (one_off) {
        cJSON_AddBoolToObject(d, "code", true);
    }
    if (!jstep(r, "command.start", NULL, d)) {
        free(shown);
        shtmpl_command_finish(&cmd);
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    const struct rb_step *s = &r->rb->steps[r->idx];
    struct proc_options o = {
        .command = cmd.command,
        .env_add = (const char *const *)cmd.env,
        .timeout_ms = one_off ? 0 : s->timeout_ms,
        .on_output = on_cmd_output,
        .hold = true, /* until its group is journaled: see journal_group() */
    };
    r->fly = one_off ? FLY_CODE : FLY_COMMAND;
    r->fly_prev = r->state;
    r->state = RUN_BUSY;
    set_message(r, xasprintf("running: %s", shown));
    free(shown);
    r->proc = proc_spawn(r->loop, &o, on_cmd_done, r, &why);
    shtmpl_command_finish(&cmd);
    if (r->proc == NULL) {
        /* journal the end too, or resume would call it interrupted */
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "code", -1);
        cJSON_AddStringToObject(e, "error", why);
        cJSON_AddNumberToObject(e, "elapsed_ms", 0);
        jstep(r, "command.exit", why, e);
        set_cause(cause, why);
        if (one_off) {
            r->fly = FLY_NONE;
            r->state = r->fly_prev;
            set_message(r, why);
        } else {
            step_failed(r, why);
            return false;
        }
        return false;
    }
    if (!journal_group(r, cause)) {
        return false;
    }
    changed(r);
    return true;
}

/* ---- commands left running by a session that died ---- */

enum { ORPHAN_POLL_MS = 500, ORPHAN_GRACE_MS = 3000 };

static bool orphan_event(struct run *r, const char *action, const struct proc_ident *id,
                         const char *key, const char *value)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pgid", id->pgid);
    if (key != NULL) {
        cJSON_AddStringToObject(d, key, value);
    }
    return jstep(r, action, value, d);
}

static void orphan_timer_stop(struct run *r)
{
    if (r->orphan_timer != NULL) {
        loop_timer_cancel(r->loop, r->orphan_timer);
        r->orphan_timer = NULL;
    }
}

/* SIGKILL to every group still there, each journaled first. */
static void orphan_kill(struct run *r)
{
    r->orphan_killed = true;
    for (size_t i = 0; i < r->norphans; i++) {
        if (orphan_event(r, "orphan.signal", &r->orphans[i], "signal", "SIGKILL")) {
            proc_group_signal(&r->orphans[i], SIGKILL);
        }
    }
    set_message(
        r, xasprintf("process group %d did not stop on SIGTERM: sent SIGKILL", r->orphans[0].pgid));
}

/*
 * Check every group left running: the end of each one gone is journaled
 * (orphan.end, how: ended or stopped); a stop past its grace gets SIGKILL.
 */
static void orphan_poll(struct run *r)
{
    if (r->norphans == 0) {
        return;
    }
    const char *how = r->orphan_mode == RUN_ORPHAN_STOPPING ? "stopped" : "ended";
    size_t kept = 0;
    int last = 0;
    for (size_t i = 0; i < r->norphans; i++) {
        if (proc_group_alive(&r->orphans[i])) {
            r->orphans[kept++] = r->orphans[i];
        } else {
            last = r->orphans[i].pgid;
            orphan_event(r, "orphan.end", &r->orphans[i], "how", how);
        }
    }
    r->norphans = kept;
    if (kept == 0) {
        orphan_timer_stop(r);
        set_message(r, r->orphan_mode == RUN_ORPHAN_STOPPING
                           ? xasprintf("stopped: process group %d of the interrupted command is "
                                       "gone",
                                       last)
                           : xasprintf("process group %d of the interrupted command has ended "
                                       "(its exit status is unknown: see its output)",
                                       last));
        r->orphan_mode = RUN_ORPHAN_NONE;
        changed(r);
    } else if (r->orphan_mode == RUN_ORPHAN_STOPPING && !r->orphan_killed &&
               clock_mono_ms() - r->orphan_term_ms >= ORPHAN_GRACE_MS) {
        orphan_kill(r);
        changed(r);
    }
}

static void orphan_tick(void *ud)
{
    orphan_poll(ud);
}

/* At resume: which of the journaled groups are still alive and ours. */
static void orphans_found(struct run *r, const struct proc_ident *groups, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!proc_group_alive(&groups[i])) {
            continue;
        }
        r->orphans = xreallocarray(r->orphans, r->norphans + 1, sizeof *r->orphans);
        r->orphans[r->norphans++] = groups[i];
        orphan_event(r, "orphan.found", &groups[i], NULL, NULL);
    }
    if (r->norphans == 0) {
        return;
    }
    r->orphan_mode = RUN_ORPHAN_ALIVE;
    if (r->loop != NULL) {
        r->orphan_timer = loop_timer_add(r->loop, ORPHAN_POLL_MS, ORPHAN_POLL_MS, orphan_tick, r);
    }
    char *said = r->message;
    r->message = NULL;
    set_message(r,
                xasprintf("%s%sthe command's processes (process group %d) are still running: "
                          "its side effects may still happen; wait for it or stop it",
                          said != NULL ? said : "", said != NULL ? "; " : "", r->orphans[0].pgid));
    free(said);
}

/* ---- waits ---- */

static void wait_end(struct run *r, bool met, char *reason)
{
    if (r->wait_timer != NULL) {
        loop_timer_cancel(r->loop, r->wait_timer);
        r->wait_timer = NULL;
    }
    proc_cancel(r->wait_proc);
    r->wait_proc = NULL;
    if (r->wcond_set) {
        cond_free(&r->wcond);
        r->wcond_set = false;
    }
    shtmpl_command_finish(&r->wait_cmd);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "met", met);
    cJSON_AddNumberToObject(d, "tries", r->tries);
    cJSON_AddStringToObject(d, "reason", reason);
    if (!jstep(r, "wait.end", reason, d)) {
        free(reason);
        r->fly = FLY_NONE;
        changed(r);
        return;
    }
    if (met) {
        step_succeeded(r, reason, NULL);
    } else {
        step_failed(r, reason);
    }
}

static void wait_check_deadline(struct run *r)
{
    if (r->fly == FLY_WAIT && clock_wall_ms() >= r->wait_deadline) {
        const char *seen = r->wait_seen != NULL ? r->wait_seen : "nothing yet";
        /* unknown until the end fails with why it was unknown, never as met */
        char *why = !r->wait_unknown
                        ? xasprintf("timed out after %d tries; last: %s", r->tries, seen)
                    : r->tries > 0
                        ? xasprintf("timed out after %d tries; last: unknown: %s", r->tries, seen)
                        : xasprintf("timed out; the condition stayed unknown: %s", seen);
        wait_end(r, false, why);
    }
}

static void on_wait_proc(const struct proc_result *res, void *ud)
{
    struct run *r = ud;
    r->wait_proc = NULL;
    const struct rb_step *s = &r->rb->steps[r->idx];
    bool met = res->error == NULL && (s->expect_exit < 0 || res->exit_code == s->expect_exit);
    char *last = proc_last_line(res->out != NULL ? res->out : "");
    free(r->wait_seen);
    if (res->error != NULL) {
        r->wait_seen = xstrdup(res->error);
    } else if (*last != '\0') {
        r->wait_seen = xasprintf("exit %d: %s", res->exit_code, last);
    } else {
        r->wait_seen = xasprintf("exit %d", res->exit_code);
    }
    free(last);
    if (met) {
        wait_end(r, true, xasprintf("met after %d tries (%s)", r->tries, r->wait_seen));
        return;
    }
    set_message(r, xasprintf("try %d: %s", r->tries, r->wait_seen));
    wait_check_deadline(r);
    changed(r);
}

static uint64_t run_now(const struct run *r)
{
    return r->loop != NULL ? loop_now_ms(r->loop) : clock_mono_ms();
}

/* A condition's look: a try counts only when the console has the data to say. */
static void wait_look(struct run *r)
{
    char *why = NULL;
    struct cond_env ce = {
        .store = r->store,
        .backends = r->backends,
        .nbackends = r->nbackends,
        .since_ms = r->wait_since,
        .now_ms = run_now(r),
    };
    enum cond_result res = cond_eval(&r->wcond, &ce, &why);
    free(r->wait_seen);
    r->wait_seen = why != NULL ? why : xstrdup("?");
    r->wait_unknown = res == COND_UNKNOWN;
    if (res == COND_MET) {
        r->tries++;
        wait_end(r, true, xasprintf("met after %d tries: %s", r->tries, r->wait_seen));
        return;
    }
    if (res == COND_UNKNOWN) {
        set_message(r, xasprintf("unknown: %s", r->wait_seen));
        const struct rb_step *s = &r->rb->steps[r->idx];
        if (r->wait_timer != NULL && (s->interval_ms <= 0 || s->interval_ms > UNKNOWN_RETRY_MS)) {
            loop_timer_reset(r->loop, r->wait_timer, UNKNOWN_RETRY_MS);
        }
    } else {
        r->tries++;
        set_message(r, xasprintf("try %d: %s", r->tries, r->wait_seen));
    }
    wait_check_deadline(r);
    changed(r);
}

static void wait_tick(void *ud)
{
    struct run *r = ud;
    if (r->fly != FLY_WAIT || r->wait_proc != NULL) {
        return;
    }
    if (r->wcond_set) {
        wait_look(r);
        return;
    }
    r->tries++;
    int64_t left = r->wait_deadline - clock_wall_ms();
    struct proc_options o = {
        .command = r->wait_cmd.command,
        .env_add = (const char *const *)r->wait_cmd.env,
        .timeout_ms = left > 1000 ? (int)left : 1000,
    };
    char *why = NULL;
    r->wait_proc = proc_spawn(r->loop, &o, on_wait_proc, r, &why);
    if (r->wait_proc == NULL) {
        free(r->wait_seen);
        r->wait_seen = why;
        wait_check_deadline(r);
    }
}

static bool start_wait(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    char *why = NULL;
    bool ok = s->until != NULL ? cond_parse_vars(&r->wcond, s->until, &r->vars, &why)
                               : vars_command(&r->vars, s->run, &r->wait_cmd, &why);
    if (!ok) {
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    r->wcond_set = s->until != NULL;
    char *shown = s->until != NULL ? expand_shown(r, s->until, VARS_TEXT)
                                   : expand_shown(r, s->run, VARS_SHOWN_COMMAND);
    if (r->dry_run) {
        if (r->wcond_set) {
            cond_free(&r->wcond);
            r->wcond_set = false;
        }
        shtmpl_command_finish(&r->wait_cmd);
        char *msg = xasprintf("dry run: would wait until %s", shown);
        free(shown);
        step_succeeded(r, msg, NULL);
        return true;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "condition", shown);
    free(shown);
    if (!jstep(r, "wait.start", NULL, d)) {
        if (r->wcond_set) {
            cond_free(&r->wcond);
            r->wcond_set = false;
        }
        shtmpl_command_finish(&r->wait_cmd);
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    r->fly = FLY_WAIT;
    r->state = RUN_BUSY;
    r->tries = 0;
    free(r->wait_seen);
    r->wait_seen = NULL;
    r->wait_unknown = false;
    r->wait_since = run_now(r);
    if (r->wcond_set) {
        /* only answers from now on count: ask the pane's backends for one at once */
        for (size_t i = 0; i < r->nbackends; i++) {
            if (backend_kinds(r->backends[i]) & (1u << r->wcond.kind)) {
                backend_refresh_soon(r->backends[i]);
            }
        }
    }
    r->wait_deadline = clock_wall_ms() + (s->timeout_ms > 0 ? s->timeout_ms : 600000);
    int interval = s->interval_ms > 0 ? s->interval_ms : 5000;
    set_message(r, xstrdup("waiting"));
    r->wait_timer = loop_timer_add(r->loop, (uint64_t)interval, (uint64_t)interval, wait_tick, r);
    changed(r);
    wait_tick(r);
    return true;
}

/* ---- actions ---- */

static void on_action_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct action_token *t = ud;
    struct run *r = t->r;
    (void)a;
    free(t);
    if (r == NULL) {
        return; /* the run was destroyed meanwhile; the audit log has the outcome */
    }
    r->token = NULL;
    const char *m = message != NULL ? message : (ok ? "done" : "failed");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "message", m);
    if (!jstep(r, "action.end", m, d)) {
        r->fly = FLY_NONE;
        changed(r);
        return;
    }
    if (ok) {
        step_succeeded(r, xstrdup(m), NULL);
    } else {
        step_failed(r, xstrdup(m));
    }
}

/* Which backend and definition the step means; NULL with *cause. */
static struct backend *find_action(const struct run *r, const struct rb_step *s,
                                   const struct action_def **def, char **cause)
{
    enum model_kind kind;
    if (s->pane == NULL || !model_kind_from_name(s->pane, &kind)) {
        *cause = xasprintf("unknown pane '%s'", s->pane != NULL ? s->pane : "");
        return NULL;
    }
    for (size_t i = 0; i < r->nbackends; i++) {
        struct backend *b = r->backends[i];
        if (s->backend != NULL && strcmp(b->name, s->backend) != 0) {
            continue;
        }
        *def = backend_action_by_verb(b, kind, s->action != NULL ? s->action : "");
        if (*def != NULL) {
            return b;
        }
        if (s->backend != NULL) {
            *cause = xasprintf("backend '%s' has no action '%s' on %s", s->backend,
                               s->action ? s->action : "", s->pane);
            return NULL;
        }
    }
    *cause = s->backend != NULL ? xasprintf("no backend '%s'", s->backend)
                                : xasprintf("no backend has the action '%s' on %s",
                                            s->action ? s->action : "", s->pane);
    return NULL;
}

/* Target and input with variables substituted; false with *why. */
static bool action_args(const struct run *r, const struct rb_step *s, const struct action_def *def,
                        char **target, char **input, char **why)
{
    char *missing = NULL;
    *input = NULL;
    *target = vars_expand(&r->vars, s->target != NULL ? s->target : "", VARS_TEXT, &missing);
    if (*target != NULL && s->input != NULL) {
        *input = vars_expand(&r->vars, s->input, VARS_TEXT, &missing);
    } else if (*target != NULL && def != NULL && (def->flags & ACTION_INPUT) &&
               def->input_default != NULL) {
        *input = xstrdup(def->input_default);
    }
    if (*target == NULL || (s->input != NULL && *input == NULL)) {
        *why = xasprintf("unset variable %s", missing);
        free(missing);
        free(*target);
        *target = NULL;
        return false;
    }
    return true;
}

static bool send_step_action(struct run *r, char **cause);

static void cancel_ready(struct run *r)
{
    if (r->ready_timer != NULL) {
        loop_timer_cancel(r->loop, r->ready_timer);
        r->ready_timer = NULL;
    }
    r->ready_backend = NULL;
}

/* Waiting for the action's backend to answer once: send when it has, fail at the bound. */
static void ready_tick(void *ud)
{
    struct run *r = ud;
    struct backend *b = r->ready_backend;
    if (b->last_ok_ms == 0 && run_now(r) < r->ready_deadline) {
        return;
    }
    cancel_ready(r);
    if (b->last_ok_ms == 0) {
        int secs = (b->timeout_ms + READY_MARGIN_MS + 999) / 1000;
        step_failed(r, b->health == BACKEND_ERROR
                           ? xasprintf("not sent: %s has not answered in %d s (error: %s); Enter "
                                       "tries again",
                                       b->name, secs, b->error != NULL ? b->error : "?")
                           : xasprintf("not sent: %s has not answered in %d s; Enter tries again",
                                       b->name, secs));
        return;
    }
    char *cause = NULL;
    send_step_action(r, &cause);
    free(cause);
}

static bool start_action(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    const struct action_def *def = NULL;
    char *why = NULL, *target = NULL, *input = NULL;
    struct backend *b = find_action(r, s, &def, &why);
    if (b == NULL || !action_args(r, s, def, &target, &input, &why)) {
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    if (r->dry_run) {
        char *msg = xasprintf("dry run: would %s %s %s on %s", def->verb, s->pane, target, b->name);
        free(target);
        free(input);
        step_succeeded(r, msg, NULL);
        return true;
    }
    free(target);
    free(input);
    if (b->last_ok_ms == 0 && b->timer != NULL && r->loop != NULL) {
        /*
         * A backend that has not answered yet may not know the target (a
         * plugin acts on the rows it printed): wait for its first answer,
         * at most its timeout and a margin, while the loop goes on.
         */
        r->ready_backend = b;
        r->ready_deadline = run_now(r) + (uint64_t)b->timeout_ms + READY_MARGIN_MS;
        r->ready_timer = loop_timer_add(r->loop, READY_TICK_MS, READY_TICK_MS, ready_tick, r);
        r->fly = FLY_ACTION;
        r->state = RUN_BUSY;
        set_message(r, xasprintf("waiting for %s to answer before %s (at most %d s)", b->name,
                                 def->verb, (b->timeout_ms + READY_MARGIN_MS + 999) / 1000));
        changed(r);
        return true;
    }
    return send_step_action(r, cause);
}

/* Journal action.start, then send the step's action through the action path. */
static bool send_step_action(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    const struct action_def *def = NULL;
    char *why = NULL, *target = NULL, *input = NULL;
    struct backend *b = find_action(r, s, &def, &why);
    if (b == NULL || !action_args(r, s, def, &target, &input, &why)) {
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "backend", b->name);
    cJSON_AddStringToObject(d, "pane", s->pane);
    cJSON_AddStringToObject(d, "verb", def->verb);
    char *shown = expand_shown(r, s->target, VARS_TEXT);
    cJSON_AddStringToObject(d, "target", shown);
    free(shown);
    if (input != NULL && s->input != NULL) {
        shown = expand_shown(r, s->input, VARS_TEXT);
        cJSON_AddStringToObject(d, "input", shown);
        free(shown);
    } else if (input != NULL) {
        cJSON_AddStringToObject(d, "input", input);
    } else {
        cJSON_AddNullToObject(d, "input");
    }
    if (!jlog(r, s->id, "action.start", target, NULL, d)) {
        free(target);
        free(input);
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    struct action *a = action_create(b, def, target, input);
    a->run = xstrdup(r->id);
    a->step = xstrdup(s->id);
    set_message(r, xasprintf("%s %s on %s...", def->verb, target, b->name));
    free(target);
    free(input);
    r->fly = FLY_ACTION;
    r->state = RUN_BUSY;
    r->token = xcalloc(1, sizeof *r->token);
    r->token->r = r;
    changed(r);
    /* may report before returning: the token is then gone already */
    action_run(a, on_action_report, r->token);
    return true;
}

/* ---- notify ---- */

static void on_notify(bool ok, long status, const char *message, void *ud)
{
    struct run *r = ud;
    r->notify = NULL;
    const struct rb_step *s = &r->rb->steps[r->idx];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(d, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNumberToObject(d, "status", (double)status);
    if (ok) {
        cJSON_AddNullToObject(d, "error");
    } else {
        cJSON_AddStringToObject(d, "error", message != NULL ? message : "failed");
    }
    const char *m = message != NULL ? message : (ok ? "sent" : "failed");
    if (!jstep(r, "notify", ok ? "ok" : m, d)) {
        r->fly = FLY_NONE;
        changed(r);
        return;
    }
    if (ok) {
        step_succeeded(r, xstrdup(m), NULL);
    } else {
        step_failed(r, xstrdup(m));
    }
}

/* The notify event of a request that never got an answer. */
static void notify_refused(struct run *r, const struct rb_step *s, const char *why)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(e, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNumberToObject(e, "status", 0);
    cJSON_AddStringToObject(e, "error", why);
    jstep(r, "notify", why, e);
}

static bool start_notify(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    char *missing = NULL;
    char *msg =
        vars_expand(&r->vars, s->message != NULL ? s->message : s->title, VARS_TEXT, &missing);
    char *dedup = msg == NULL            ? NULL
                  : s->dedup_key != NULL ? vars_expand(&r->vars, s->dedup_key, VARS_TEXT, &missing)
                                         : xstrdup(r->id);
    if (msg == NULL || dedup == NULL) {
        char *why = xasprintf("unset variable %s", missing);
        free(missing);
        free(msg);
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    struct notify_request q = {
        .service = s->service,
        .message = msg,
        .url_env = s->url_env,
        .routing_key_env = s->routing_key_env,
        .event = s->event,
        .severity = s->severity,
        .dedup_key = dedup,
    };
    if (r->dry_run) {
        step_succeeded(r, xasprintf("dry run: would notify %s: %s", s->service, msg), NULL);
        free(msg);
        free(dedup);
        return true;
    }
    char *why = NULL;
    /* refused before sending (a missing env var): one event, nothing in flight */
    if (!notify_check(&q, &why)) {
        free(msg);
        free(dedup);
        notify_refused(r, s, why);
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(d, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNullToObject(d, "status");
    cJSON_AddNullToObject(d, "error");
    if (!jstep(r, "notify", "sending", d)) {
        free(msg);
        free(dedup);
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    r->fly = FLY_NOTIFY;
    r->state = RUN_BUSY;
    set_message(r, xasprintf("sending to %s...", s->service));
    r->notify = notify_send(r->loop, &q, on_notify, r, &why);
    free(msg);
    free(dedup);
    if (r->notify == NULL) {
        notify_refused(r, s, why);
        set_cause(cause, why);
        step_failed(r, why);
        return false;
    }
    changed(r);
    return true;
}

/* ---- creating, resuming, destroying ---- */

static struct run *run_alloc(const struct run_env *env, struct runbook *rb,
                             const struct run_hooks *hooks)
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
    char *state = paths_state_dir();
    if (state == NULL) {
        return NULL;
    }
    char *dir = xasprintf("%s/runs", state);
    free(state);
    return dir;
}

static bool open_files(struct run *r, bool create, char **cause)
{
    r->j = runlog_open(r->runs_dir, r->id, create, cause);
    if (r->j == NULL) {
        return false;
    }
    char *opath = xasprintf("%s/%s.out", r->runs_dir, r->id);
    r->out_fd = open(opath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    if (r->out_fd < 0 || fstat(r->out_fd, &st) < 0) {
        *cause = xasprintf("%s: %s", opath, strerror(errno));
        free(opath);
        return false;
    }
    free(opath);
    /*
     * One opsdeck per run: a second one (the console offering to resume a run
     * still going in line mode) would interleave its events. The lock goes
     * with the descriptor, so a killed opsdeck never leaves it behind.
     */
    if (flock(r->out_fd, LOCK_EX | LOCK_NB) != 0) {
        *cause = xasprintf("run %s is in use by another opsdeck", r->id);
        return false;
    }
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
    /* two runs of one runbook in the same second: another 4 hex digits */
    for (int tries = 0; r->id == NULL; tries++) {
        r->id = runlog_new_id(rb->path);
        char *jpath = r->runs_dir != NULL ? xasprintf("%s/%s.jsonl", r->runs_dir, r->id) : NULL;
        if (jpath != NULL && tries < 8 && access(jpath, F_OK) == 0) {
            free(r->id);
            r->id = NULL;
        }
        free(jpath);
    }
    if (!r->dry_run) {
        if (!open_files(r, true, cause)) {
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
        if (!jlog(r, NULL, "run.start", NULL, NULL, d)) {
            *cause = xstrdup(r->message);
            run_destroy(r);
            return NULL;
        }
    }
    r->idx = rb->nsteps; /* nothing to push */
    if (!enter(r, 0, false) && !r->dry_run) {
        *cause = xstrdup(r->message);
        run_destroy(r);
        return NULL;
    }
    return r;
}

static void stop_inflight(struct run *r)
{
    proc_cancel(r->proc);
    r->proc = NULL;
    cancel_ref_timer(r);
    proc_cancel(r->wait_proc);
    r->wait_proc = NULL;
    if (r->wait_timer != NULL) {
        loop_timer_cancel(r->loop, r->wait_timer);
        r->wait_timer = NULL;
    }
    if (r->wcond_set) {
        cond_free(&r->wcond);
        r->wcond_set = false;
    }
    shtmpl_command_finish(&r->wait_cmd);
    if (r->token != NULL) {
        r->token->r = NULL;
        r->token = NULL;
    }
    notify_cancel(r->notify);
    r->notify = NULL;
    cancel_ready(r);
    r->fly = FLY_NONE;
}

void run_destroy(struct run *r)
{
    if (r == NULL) {
        return;
    }
    stop_inflight(r);
    if (r->timebox_timer != NULL) {
        loop_timer_cancel(r->loop, r->timebox_timer);
    }
    /* groups left from before are not killed here: the next resume finds them again */
    orphan_timer_stop(r);
    free(r->orphans);
    free(r->out_error);
    journal_close(r->j);
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
    free(r->out);
    free(r->wait_seen);
    free(r);
}

/* ---- reading journals ---- */

static const char *jstr(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const cJSON *jdata(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "data");
}

static void load_out_tail(struct run *r, uint64_t from)
{
    char *opath = xasprintf("%s/%s.out", r->runs_dir, r->id);
    int fd = open(opath, O_RDONLY | O_CLOEXEC);
    free(opath);
    if (fd < 0) {
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > from) {
        uint64_t len = (uint64_t)st.st_size - from;
        if (len > OUT_TAIL) {
            from += len - OUT_TAIL;
            len = OUT_TAIL;
        }
        char *buf = xmalloc((size_t)len);
        ssize_t got = pread(fd, buf, (size_t)len, (off_t)from);
        if (got > 0) {
            out_keep(r, buf, (size_t)got);
        }
        free(buf);
    }
    close(fd);
}

/* The step of an event by id; -1 when it has none or the runbook lost it. */
static int ev_step(const struct run *r, const cJSON *e)
{
    const char *id = jstr(e, "step");
    return id != NULL ? runbook_find_step(r->rb, id) : -1;
}

struct replay {
    int pos;
    bool after_back;
    const char *open;        /* the in-flight event, or NULL */
    const char *open_what;   /* what it was doing */
    bool open_code;          /* a one-off code block */
    bool completed;          /* the current step was done/skipped after its enter */
    const char *go;          /* where a choice said to go */
    const char *last_failed; /* the failure message of the current step */
    int64_t entered_ts;
    double out_from;
    bool has_out;
    struct proc_ident *groups; /* command groups with no exit journaled: maybe still running */
    size_t ngroups;
    bool group_open; /* the last group is the open command's */
};

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

static void replay_group(struct replay *p, const char *a, const cJSON *d)
{
    if (strcmp(a, "command.start") == 0) {
        p->group_open = false;
    } else if (strcmp(a, "command.pgid") == 0 && jnum(d, "pgid") > 1) {
        struct proc_ident id = {.pgid = (int)jnum(d, "pgid"),
                                .start = (unsigned long long)jnum(d, "start")};
        snprintf(id.boot, sizeof id.boot, "%s", jstr(d, "boot") != NULL ? jstr(d, "boot") : "");
        p->groups = xreallocarray(p->groups, p->ngroups + 1, sizeof *p->groups);
        p->groups[p->ngroups++] = id;
        p->group_open = true;
    } else if (strcmp(a, "command.exit") == 0 && p->group_open) {
        p->ngroups--;
        p->group_open = false;
    } else if (strcmp(a, "orphan.end") == 0) {
        int pgid = (int)jnum(d, "pgid");
        size_t kept = 0;
        for (size_t i = 0; i < p->ngroups; i++) {
            if (p->groups[i].pgid != pgid) {
                p->groups[kept++] = p->groups[i];
            }
        }
        p->group_open = p->group_open && kept == p->ngroups;
        p->ngroups = kept;
    }
}

static void replay_vars_input(struct run *r, const cJSON *d, int step)
{
    const char *var = jstr(d, "var");
    const char *value = jstr(d, "value");
    if (var == NULL) {
        return;
    }
    if (value != NULL) {
        vars_set(&r->vars, var, value);
    } else if (cJSON_IsTrue(cJSON_GetObjectItem(d, "secret")) && step >= 0) {
        vars_unset(&r->vars, var);
        for (size_t i = 0; i < r->nreask; i++) {
            if (r->reask[i] == (size_t)step) {
                return;
            }
        }
        r->reask = xreallocarray(r->reask, r->nreask + 1, sizeof *r->reask);
        r->reask[r->nreask++] = (size_t)step;
    }
}

static void replay_one(struct run *r, struct replay *p, const cJSON *e)
{
    const char *a = jstr(e, "action");
    const cJSON *d = jdata(e);
    int step = ev_step(r, e);
    replay_group(p, a, d);
    if (strcmp(a, "step.enter") == 0 && step >= 0) {
        int64_t ts = 0;
        clock_parse_rfc3339(jstr(e, "ts"), &ts);
        if (p->pos >= 0) {
            if (!p->after_back) {
                r->hist = xreallocarray(r->hist, r->nhist + 1, sizeof *r->hist);
                r->hist[r->nhist++] = (size_t)p->pos;
            }
            if (ts > p->entered_ts && p->entered_ts > 0) {
                r->phase_ms[r->rb->steps[p->pos].phase] += (uint64_t)(ts - p->entered_ts);
            }
        }
        p->pos = step;
        p->after_back = false;
        p->open = NULL;
        p->completed = false;
        p->go = NULL;
        p->last_failed = NULL;
        p->entered_ts = ts;
    } else if (strcmp(a, "back") == 0) {
        if (r->nhist > 0) {
            r->nhist--;
        }
        p->after_back = true;
    } else if (strcmp(a, "step.done") == 0 && step >= 0) {
        const char *how = jstr(d, "how");
        enum run_mark m = how == NULL                   ? RUN_MARK_DONE
                          : strcmp(how, "skipped") == 0 ? RUN_MARK_SKIPPED
                          : strcmp(how, "failed") == 0  ? RUN_MARK_FAILED
                                                        : RUN_MARK_DONE;
        r->marks[step] = m;
        if (step == p->pos) {
            p->completed = m != RUN_MARK_FAILED;
            p->last_failed = m == RUN_MARK_FAILED ? jstr(e, "result") : NULL;
        }
    } else if (strcmp(a, "input") == 0) {
        replay_vars_input(r, d, step);
    } else if (strcmp(a, "choice") == 0) {
        p->go = jstr(d, "goto");
    } else if (strcmp(a, "command.start") == 0) {
        p->open = a;
        p->open_what = jstr(d, "command");
        p->open_code = cJSON_IsTrue(cJSON_GetObjectItem(d, "code"));
        const cJSON *off = cJSON_GetObjectItem(d, "offset");
        p->out_from = cJSON_IsNumber(off) ? off->valuedouble : 0;
        p->has_out = true;
    } else if (strcmp(a, "command.exit") == 0) {
        p->open = NULL;
        const char *var = jstr(d, "var");
        const char *value = jstr(d, "value");
        if (var != NULL && value != NULL) {
            vars_set(&r->vars, var, value);
        }
    } else if (strcmp(a, "wait.start") == 0) {
        p->open = a;
        p->open_what = jstr(d, "condition");
    } else if (strcmp(a, "action.start") == 0) {
        p->open = a;
        p->open_what = jstr(d, "verb");
    } else if (strcmp(a, "notify") == 0) {
        const char *res = jstr(e, "result");
        if (res != NULL && strcmp(res, "sending") == 0) {
            p->open = a;
            p->open_what = jstr(d, "service");
        } else {
            p->open = NULL;
        }
    } else if (strcmp(a, "wait.end") == 0 || strcmp(a, "action.end") == 0) {
        p->open = NULL;
    }
}

/* Every step id the journal names must still exist in a changed runbook. */
static const char *missing_step(const struct run *r, cJSON **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *id = jstr(ev[i], "step");
        if (id != NULL && runbook_find_step(r->rb, id) < 0) {
            return id;
        }
    }
    return NULL;
}

static bool resume_check(struct run *r, const cJSON *start, cJSON **ev, size_t n, char **cause)
{
    const cJSON *d = jdata(start);
    const char *hash = jstr(d, "hash");
    char now[24];
    snprintf(now, sizeof now, "%016llx", r->rb->hash);
    if (hash != NULL && strcmp(hash, now) != 0) {
        const char *gone = missing_step(r, ev, n);
        if (gone != NULL) {
            *cause = xasprintf("%s changed since run %s started and has no step '%s' any more: "
                               "cannot resume",
                               r->rb->path, r->id, gone);
            return false;
        }
        set_message(r, xasprintf("warning: %s changed since the run started (its steps still "
                                 "match)",
                                 r->rb->path));
    }
    return true;
}

static void resume_state(struct run *r, struct replay *p)
{
    r->idx = (size_t)p->pos;
    r->state = RUN_READY;
    if (p->has_out) {
        load_out_tail(r, (uint64_t)p->out_from);
    }
    char *warn = r->message;
    r->message = NULL;
    if (p->open != NULL && !p->open_code) {
        r->state = RUN_INTERRUPTED;
        set_message(r, xasprintf("interrupted: %s %s was in flight when the session ended", p->open,
                                 p->open_what != NULL ? p->open_what : ""));
    } else if (p->open != NULL) {
        set_message(r, xstrdup("a code block was running when the session ended"));
    } else if (p->last_failed != NULL) {
        r->state = RUN_FAILED;
        set_message(r, xstrdup(p->last_failed));
    }
    if (warn != NULL) {
        char *both = r->message != NULL ? xasprintf("%s; %s", warn, r->message) : xstrdup(warn);
        set_message(r, both);
        free(warn);
    }
}

/*
 * The journal of an open run and its runbook, reloaded; NULL with *cause when
 * there is nothing to resume (no such run, it ended, the runbook is gone or
 * does not parse clean any more).
 */
static struct runbook *resume_load(const struct run_env *env, const char *run_id, cJSON ***evp,
                                   size_t *np, char **cause)
{
    char *dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    if (dir == NULL) {
        *cause = xstrdup("no home directory for the state: set XDG_STATE_HOME or HOME");
        return NULL;
    }
    if (strchr(run_id, '/') != NULL || run_id[0] == '.') {
        *cause = xasprintf("bad run id '%s'", run_id);
        free(dir);
        return NULL;
    }
    char *jpath = xasprintf("%s/%s.jsonl", dir, run_id);
    size_t n = 0;
    cJSON **ev = runlog_read(jpath, &n, cause);
    free(jpath);
    free(dir);
    if (ev == NULL && *cause != NULL) {
        return NULL;
    }
    const cJSON *start = n > 0 ? ev[0] : NULL;
    if (start == NULL || strcmp(jstr(start, "action"), "run.start") != 0) {
        *cause = xasprintf("run %s: the journal has no run.start", run_id);
        runlog_free(ev, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(jstr(ev[i], "action"), "run.end") == 0) {
            const char *how = jstr(jdata(ev[i]), "how");
            *cause = xasprintf("run %s has ended (%s): nothing to resume", run_id,
                               how != NULL ? how : "ended");
            runlog_free(ev, n);
            return NULL;
        }
    }
    const char *path = jstr(jdata(start), "runbook");
    char *why = NULL;
    struct runbook *rb = path != NULL ? runbook_load(path, &why) : NULL;
    if (rb == NULL) {
        *cause = xasprintf("run %s: cannot reload its runbook: %s", run_id,
                           why != NULL ? why : "no path in the journal");
        free(why);
        runlog_free(ev, n);
        return NULL;
    }
    if (rb->nissues > 0) {
        *cause = xasprintf("run %s: its runbook has problems now: %s:%d: %s", run_id, rb->path,
                           rb->issues[0].line, rb->issues[0].message);
        runbook_free(rb);
        runlog_free(ev, n);
        return NULL;
    }
    *evp = ev;
    *np = n;
    return rb;
}

struct run *run_resume(const struct run_env *env, const char *run_id, const struct run_hooks *hooks,
                       char **cause)
{
    cJSON **ev = NULL;
    size_t n = 0;
    struct runbook *rb = resume_load(env, run_id, &ev, &n, cause);
    if (rb == NULL) {
        return NULL;
    }
    const cJSON *start = ev[0];
    struct run *r = run_alloc(env, rb, hooks);
    r->id = xstrdup(run_id);
    if (!resume_check(r, start, ev, n, cause)) {
        runlog_free(ev, n);
        run_destroy(r);
        return NULL;
    }
    const cJSON *vars = cJSON_GetObjectItem(jdata(start), "vars");
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (cJSON_IsString(v)) {
            vars_set(&r->vars, v->string, v->valuestring);
        }
    }
    struct replay p = {.pos = -1};
    for (size_t i = 1; i < n; i++) {
        replay_one(r, &p, ev[i]);
    }
    bool entered = p.pos >= 0; /* false: it died between run.start and the first step */
    if (!entered) {
        p.pos = 0;
    }
    resume_state(r, &p);
    if (!r->dry_run && !open_files(r, false, cause)) {
        runlog_free(ev, n);
        free(p.groups);
        run_destroy(r);
        return NULL;
    }
    r->step_started = p.entered_ts > 0 ? p.entered_ts : clock_wall_ms();
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "at", r->rb->steps[r->idx].id);
    bool completed = p.completed;
    char *go = p.go != NULL ? xstrdup(p.go) : NULL;
    runlog_free(ev, n);
    if (!jstep(r, "run.resume", NULL, d)) {
        *cause = xstrdup(r->message);
        free(go);
        free(p.groups);
        run_destroy(r);
        return NULL;
    }
    if (!entered) {
        r->idx = r->rb->nsteps; /* nothing to push */
        enter(r, 0, false);
    } else if (completed) {
        /* done was journaled but the next step.enter was not: move on now */
        advance(r, go);
    } else {
        arm_timebox(r);
    }
    free(go);
    orphans_found(r, p.groups, p.ngroups);
    free(p.groups);
    if (r->nreask > 0 && r->state != RUN_DONE) {
        r->saved_idx = r->idx;
        r->saved_state = r->state;
        r->idx = r->reask[0];
        r->state = RUN_READY;
    }
    return r;
}

/* ---- what the UI shows ---- */

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
    return cur(r);
}

enum run_mark run_mark(const struct run *r, size_t i)
{
    return i < r->rb->nsteps ? r->marks[i] : RUN_MARK_TODO;
}

const struct vars *run_vars(const struct run *r)
{
    return &r->vars;
}

static char *expand_or_missing(const struct run *r, const char *text, enum vars_mode mode,
                               char **missing)
{
    char *m = NULL;
    char *out = vars_expand(&r->vars, text != NULL ? text : "", mode, &m);
    if (out == NULL) {
        /* show it anyway, unexpanded, and say what is missing */
        if (missing != NULL && *missing == NULL) {
            *missing = m;
        } else {
            free(m);
        }
        return xstrdup(text != NULL ? text : "");
    }
    free(out);
    return expand_shown(r, text, mode);
}

char *run_preview(const struct run *r, char **missing)
{
    const struct rb_step *s = cur(r);
    if (s == NULL) {
        return NULL;
    }
    char *out = NULL, *a = NULL;
    switch (s->type) {
    case RB_COMMAND:
        a = expand_or_missing(r, step_command(s), VARS_SHOWN_COMMAND, missing);
        out = xasprintf("sh: %s", a);
        break;
    case RB_WAIT:
        a = s->until != NULL ? expand_or_missing(r, s->until, VARS_TEXT, missing)
                             : expand_or_missing(r, s->run, VARS_SHOWN_COMMAND, missing);
        out = xasprintf("wait until %s%s", s->until != NULL ? "" : "this succeeds: sh: ", a);
        break;
    case RB_ACTION: {
        const struct action_def *def = NULL;
        char *why = NULL;
        struct backend *b = find_action(r, s, &def, &why);
        a = expand_or_missing(r, s->target, VARS_TEXT, missing);
        char *in = s->input != NULL ? expand_or_missing(r, s->input, VARS_TEXT, missing) : NULL;
        out = xasprintf("%s %s %s%s%s on %s", s->action ? s->action : "?", s->pane ? s->pane : "?",
                        a, in != NULL ? " " : "", in != NULL ? in : "",
                        b != NULL ? b->name : (why != NULL ? why : "?"));
        free(in);
        free(why);
        break;
    }
    case RB_NOTIFY:
        a = expand_or_missing(r, s->message != NULL ? s->message : s->title, VARS_TEXT, missing);
        out = xasprintf("%s%s%s: %s", s->service ? s->service : "?", s->event ? " " : "",
                        s->event ? s->event : "", a);
        break;
    case RB_PROMPT:
        a = expand_or_missing(r, s->ask != NULL ? s->ask : s->title, VARS_TEXT, missing);
        out = xasprintf("ask: %s -> ${%s}", a, s->var ? s->var : "?");
        break;
    case RB_APPROVAL:
        a = expand_or_missing(r, s->ask != NULL ? s->ask : s->title, VARS_TEXT, missing);
        out = xasprintf("approval by %s: %s", s->role ? s->role : "?", a);
        break;
    case RB_DECISION:
        a = expand_or_missing(r, s->ask != NULL ? s->ask : s->title, VARS_TEXT, missing);
        out = xasprintf("decide: %s", a);
        break;
    case RB_MANUAL:
        return NULL;
    }
    free(a);
    return out;
}

struct shown_refs {
    const struct run *r;
    struct vars *masked;
};

/* An unset variable stays visible as itself: its value is the text ${name}. */
static void keep_unset(const char *name, void *ud)
{
    struct shown_refs *sr = ud;
    if (vars_get(sr->masked, name) == NULL) {
        char *self = xasprintf("${%s}", name);
        vars_set(sr->masked, name, self);
        free(self);
    }
}

char *run_text(const struct run *r, const char *text)
{
    if (text == NULL) {
        return NULL;
    }
    /* substitution is one pass: a value (even "${x}" or "[secret]") is never scanned again */
    struct vars masked = {0};
    for (size_t i = 0; i < r->vars.n; i++) {
        vars_set(&masked, r->vars.names[i], r->vars.values[i]);
    }
    for (size_t i = 0; i < r->rb->nsteps; i++) {
        const struct rb_step *s = &r->rb->steps[i];
        if (s->type == RB_PROMPT && s->secret && s->var != NULL &&
            vars_get(&masked, s->var) != NULL) {
            vars_set(&masked, s->var, "[secret]");
        }
    }
    struct shown_refs sr = {r, &masked};
    vars_each_ref(text, keep_unset, &sr);
    char *missing = NULL;
    char *out = vars_expand(&masked, text, VARS_TEXT, &missing);
    free(missing);
    vars_clear(&masked);
    return out != NULL ? out : xstrdup(text);
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
    return cur(r) != NULL && d > 0 ? (uint64_t)d : 0;
}

bool run_overtime(const struct run *r)
{
    const struct rb_step *s = cur(r);
    return s != NULL && s->timebox_s > 0 && !r->overtime_dismissed &&
           run_step_elapsed_ms(r) > (uint64_t)s->timebox_s * 1000;
}

void run_phase_ms(const struct run *r, uint64_t out[RB_PHASES])
{
    memcpy(out, r->phase_ms, sizeof r->phase_ms);
    const struct rb_step *s = cur(r);
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

static bool reasking(const struct run *r)
{
    return r->nreask > 0;
}

/* The secret was asked again (or skipped): on to the next, or back to the position. */
static void reask_next(struct run *r)
{
    memmove(r->reask, r->reask + 1, (r->nreask - 1) * sizeof *r->reask);
    r->nreask--;
    if (r->nreask > 0) {
        r->idx = r->reask[0];
    } else {
        r->idx = r->saved_idx;
        r->state = r->saved_state;
    }
    changed(r);
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
    const struct rb_step *s = cur(r);
    switch (s->type) {
    case RB_MANUAL:
        step_succeeded(r, NULL, NULL);
        return r->state != RUN_FAILED;
    case RB_COMMAND:
        return start_command(r, step_command(s), false, cause);
    case RB_WAIT:
        return start_wait(r, cause);
    case RB_ACTION:
        return start_action(r, cause);
    case RB_NOTIFY:
        return start_notify(r, cause);
    case RB_PROMPT:
    case RB_APPROVAL:
        set_cause(cause, s->type == RB_PROMPT ? "type the answer" : "type who approved");
        return false;
    case RB_DECISION:
        set_cause(cause, "pick a choice");
        return false;
    }
    return false;
}

bool run_rerun(struct run *r, char **cause)
{
    if (r->state != RUN_INTERRUPTED) {
        set_cause(cause, "the step was not interrupted");
        return false;
    }
    orphan_poll(r);
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
    if (!jstep(r, "step.rerun", NULL, d)) {
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    r->state = RUN_READY;
    return run_confirm(r, cause);
}

enum run_orphan run_orphan(const struct run *r, int *pgid, size_t *n)
{
    if (pgid != NULL) {
        *pgid = r->norphans > 0 ? r->orphans[0].pgid : 0;
    }
    if (n != NULL) {
        *n = r->norphans;
    }
    return r->norphans > 0 ? r->orphan_mode : RUN_ORPHAN_NONE;
}

bool run_orphan_wait(struct run *r, char **cause)
{
    orphan_poll(r);
    if (r->norphans == 0 || r->orphan_mode == RUN_ORPHAN_STOPPING) {
        set_cause(cause, r->norphans == 0 ? "no command from before the resume is running"
                                          : "it is being stopped already");
        return false;
    }
    if (r->orphan_mode == RUN_ORPHAN_WAITING) {
        return true;
    }
    for (size_t i = 0; i < r->norphans; i++) {
        orphan_event(r, "orphan.wait", &r->orphans[i], NULL, NULL);
    }
    r->orphan_mode = RUN_ORPHAN_WAITING;
    set_message(r, xasprintf("waiting for process group %d of the interrupted command to end",
                             r->orphans[0].pgid));
    changed(r);
    return true;
}

bool run_orphan_stop(struct run *r, char **cause)
{
    orphan_poll(r);
    if (r->norphans == 0 || r->orphan_mode == RUN_ORPHAN_STOPPING) {
        set_cause(cause, r->norphans == 0 ? "no command from before the resume is running"
                                          : "it is being stopped already");
        return false;
    }
    /* journaled before each signal: a stop the journal cannot record is not done */
    for (size_t i = 0; i < r->norphans; i++) {
        if (!orphan_event(r, "orphan.signal", &r->orphans[i], "signal", "SIGTERM")) {
            set_cause(cause, r->message);
            changed(r);
            return false;
        }
        proc_group_signal(&r->orphans[i], SIGTERM);
    }
    r->orphan_mode = RUN_ORPHAN_STOPPING;
    r->orphan_term_ms = clock_mono_ms();
    r->orphan_killed = false;
    set_message(r, xasprintf("stopping process group %d: SIGTERM sent, SIGKILL in %d s if it "
                             "does not end",
                             r->orphans[0].pgid, ORPHAN_GRACE_MS / 1000));
    changed(r);
    return true;
}

bool run_skip(struct run *r, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    if (reasking(r)) {
        reask_next(r);
        return true;
    }
    if (!mark_step(r, RUN_MARK_SKIPPED, NULL)) {
        set_cause(cause, r->message);
        changed(r);
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
    changed(r);
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
    changed(r);
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
    changed(r);
    return true;
}

static const char *match_choice(const struct rb_step *s, const char *v)
{
    for (size_t i = 0; i < s->nchoices; i++) {
        if (strcasecmp(s->choices[i].label, v) == 0) {
            return s->choices[i].label;
        }
    }
    return NULL;
}

static bool prompt_input(struct run *r, const struct rb_step *s, const char *value, char **cause)
{
    if (*value == '\0' && s->default_value != NULL) {
        value = s->default_value;
    }
    if (s->nchoices > 0) {
        const char *m = match_choice(s, value);
        if (m == NULL) {
            struct strbuf sb = {0};
            strbuf_str(&sb, "answer one of: ");
            for (size_t i = 0; i < s->nchoices; i++) {
                strbuf_printf(&sb, "%s%s", i > 0 ? ", " : "", s->choices[i].label);
            }
            if (cause != NULL) {
                *cause = sb.s;
            } else {
                free(sb.s);
            }
            return false;
        }
        value = m;
    }
    if (*value == '\0') {
        set_cause(cause, "an answer is needed (or skip the step)");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "var", s->var != NULL ? s->var : "");
    if (s->secret) {
        cJSON_AddBoolToObject(d, "secret", true);
    } else {
        cJSON_AddStringToObject(d, "value", value);
    }
    if (!jlog(r, s->id, "input", NULL, NULL, d)) {
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    if (s->var != NULL) {
        vars_set(&r->vars, s->var, value);
    }
    return true;
}

bool run_input(struct run *r, const char *value, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    const struct rb_step *s = cur(r);
    if (s->type == RB_PROMPT) {
        if (!prompt_input(r, s, value, cause)) {
            return false;
        }
        if (reasking(r)) {
            reask_next(r);
            return true;
        }
        step_succeeded(r, NULL, NULL);
        return true;
    }
    if (s->type != RB_APPROVAL) {
        set_cause(cause, "this step asks nothing");
        return false;
    }
    char *by = str_trim(xstrdup(value));
    if (*by == '\0') {
        free(by);
        set_cause(cause, "type the name of who approved");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "role", s->role != NULL ? s->role : "");
    cJSON_AddStringToObject(d, "by", by);
    bool ok = jstep(r, "approval", by, d);
    char *msg = xasprintf("approved by %s", by);
    free(by);
    if (!ok) {
        free(msg);
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    step_succeeded(r, msg, NULL);
    return true;
}

bool run_choose(struct run *r, size_t choice, char **cause)
{
    if (!can_act(r, cause)) {
        return false;
    }
    const struct rb_step *s = cur(r);
    if (s->type != RB_DECISION || reasking(r)) {
        set_cause(cause, "this step is not a decision");
        return false;
    }
    if (choice >= s->nchoices) {
        set_cause(cause, "no such choice");
        return false;
    }
    const struct rb_choice *c = &s->choices[choice];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "label", c->label);
    cJSON_AddStringToObject(d, "goto", c->go != NULL ? c->go : "");
    if (!jstep(r, "choice", c->label, d)) {
        set_cause(cause, r->message);
        changed(r);
        return false;
    }
    char *go = c->go != NULL ? xstrdup(c->go) : NULL;
    step_succeeded(r, xasprintf("chose %s", c->label), go);
    free(go);
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
    if (!jlog(r, step_id(r), "note", NULL, NULL, d)) {
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
    const struct rb_step *s = cur(r);
    if (i >= s->ncode) {
        set_cause(cause, "no such code block");
        return false;
    }
    return start_command(r, s->code[i], true, cause);
}

bool run_stop(struct run *r, char **cause)
{
    if (r->state != RUN_BUSY) {
        set_cause(cause, "nothing is running");
        return false;
    }
    switch (r->fly) {
    case FLY_COMMAND:
    case FLY_CODE:
        proc_stop(r->proc);
        set_message(r, xstrdup("stopping..."));
        changed(r);
        return true;
    case FLY_WAIT:
        wait_end(r, false, xstrdup("stopped"));
        return true;
    case FLY_NOTIFY:
        notify_cancel(r->notify);
        r->notify = NULL;
        notify_refused(r, &r->rb->steps[r->idx], "stopped");
        step_failed(r, xstrdup("stopped"));
        return true;
    case FLY_ACTION:
        if (r->ready_timer != NULL) {
            cancel_ready(r); /* not sent yet: waiting for the backend's first answer */
            step_failed(r, xstrdup("stopped"));
            return true;
        }
        set_cause(cause, "an action cannot be stopped once sent: wait for its result");
        return false;
    case FLY_NONE:
        break;
    }
    set_cause(cause, "nothing is running");
    return false;
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
    const struct rb_step *s = cur(r);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "timebox_s", s->timebox_s);
    cJSON_AddBoolToObject(d, "escalated", true);
    jstep(r, "overtime", NULL, d);
    jump_event(r, to, "jump", "escalate");
    enter(r, to, true);
    changed(r);
    return true;
}

void run_dismiss_overtime(struct run *r)
{
    const struct rb_step *s = cur(r);
    if (s == NULL || r->overtime_dismissed) {
        return;
    }
    r->overtime_dismissed = true;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "timebox_s", s->timebox_s);
    cJSON_AddBoolToObject(d, "escalated", false);
    jstep(r, "overtime", NULL, d);
    changed(r);
}

void run_abort(struct run *r)
{
    if (r->state == RUN_DONE || r->state == RUN_ABORTED) {
        return;
    }
    bool was_busy = r->state == RUN_BUSY;
    stop_inflight(r);
    if (was_busy) {
        mark_step(r, RUN_MARK_FAILED, "aborted");
    }
    if (reasking(r)) {
        r->idx = r->saved_idx;
        r->nreask = 0;
    }
    finish(r, "aborted");
    changed(r);
}

/* ---- runs on disk ---- */

static bool read_info(const char *dir, const char *name, struct run_info *ri)
{
    char *path = xasprintf("%s/%s", dir, name);
    size_t n = 0;
    char *why = NULL;
    cJSON **ev = runlog_read(path, &n, &why);
    free(path);
    free(why);
    if (ev == NULL || n == 0 || strcmp(jstr(ev[0], "action"), "run.start") != 0) {
        runlog_free(ev, n);
        return false;
    }
    memset(ri, 0, sizeof *ri);
    ri->id = xstrndup(name, strlen(name) - strlen(".jsonl"));
    const cJSON *d = jdata(ev[0]);
    ri->title = xstrdup(jstr(d, "title") != NULL ? jstr(d, "title") : "");
    ri->runbook = xstrdup(jstr(d, "runbook") != NULL ? jstr(d, "runbook") : "");
    ri->started = xstrdup(jstr(ev[0], "ts") != NULL ? jstr(ev[0], "ts") : "");
    ri->drill = jstr(d, "kind") != NULL && strcmp(jstr(d, "kind"), "drill") == 0;
    for (size_t i = 1; i < n; i++) {
        const char *a = jstr(ev[i], "action");
        if (strcmp(a, "step.enter") == 0 && jstr(jdata(ev[i]), "title") != NULL) {
            free(ri->step);
            ri->step = xstrdup(jstr(jdata(ev[i]), "title"));
        } else if (strcmp(a, "run.end") == 0) {
            ri->ended = true;
            free(ri->how);
            const char *how = jstr(jdata(ev[i]), "how");
            ri->how = xstrdup(how != NULL ? how : "ended");
        }
    }
    runlog_free(ev, n);
    return true;
}

static int info_cmp(const void *a, const void *b)
{
    const struct run_info *x = a, *y = b;
    int c = strcmp(y->started, x->started);
    return c != 0 ? c : strcmp(y->id, x->id);
}

struct run_info *run_list(const char *runs_dir, size_t *n, char **cause)
{
    char *dir = runs_dir != NULL ? xstrdup(runs_dir) : run_default_dir();
    *n = 0;
    if (dir == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        return NULL;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) {
            free(dir);
            return xcalloc(1, sizeof(struct run_info));
        }
        if (cause != NULL) {
            *cause = xasprintf("%s: %s", dir, strerror(errno));
        }
        free(dir);
        return NULL;
    }
    struct run_info *list = xcalloc(1, sizeof *list);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0) {
            continue;
        }
        struct run_info ri;
        if (read_info(dir, de->d_name, &ri)) {
            list = xreallocarray(list, *n + 1, sizeof *list);
            list[(*n)++] = ri;
        }
    }
    closedir(d);
    free(dir);
    qsort(list, *n, sizeof *list, info_cmp);
    return list;
}

void run_info_free(struct run_info *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        free(list[i].id);
        free(list[i].title);
        free(list[i].runbook);
        free(list[i].started);
        free(list[i].step);
        free(list[i].how);
    }
    free(list);
}
