/*
 * Command steps (runstep.h), code blocks run by hand, and the processes a
 * session that died left running.
 *
 * The child is forked but held before exec until its process group is
 * journaled (command.pgid), so a session killed at any moment leaves either
 * no side effect or a group a later resume can find. Output is appended raw
 * to RUN-ID.out; the journal references byte ranges of it (command.output),
 * at most once a second per command plus a final one, so a chatty command
 * does not cost an fsync per chunk. The owner's view gets every chunk at once
 * in a live notice (output) that carries its offset in RUN-ID.out, so the
 * same bytes referenced later are not taken twice.
 *
 * After kill -9 the group lives on: resume finds it (run_orphans_found) when
 * it is still alive and still the same group, and the operator waits for it
 * or stops it (each journaled); re-running the step is refused meanwhile.
 */
#include "runstep.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    REF_EVERY_MS = 1000,
    ORPHAN_POLL_MS = 500,
    ORPHAN_GRACE_MS = 3000,
};

/* A command step runs `run:`, else its first code block (docs/runbooks.md). */
static const char *step_command_text(const struct rb_step *s)
{
    return s->run != NULL ? s->run : (s->ncode > 0 ? s->code[0] : "");
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

void run_out_keep(struct run *r, const char *buf, size_t n)
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
    run_log_step(r, "command.output", NULL, d);
}

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

/* ---- commands ---- */

static void on_cmd_output(const char *buf, size_t n, bool is_stderr, void *ud)
{
    struct run *r = ud;
    (void)is_stderr;
    uint64_t at = r->out_size;
    run_out_keep(r, buf, n);
    out_write(r, buf, n);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "offset", (double)at);
    run_notice(r, RL_OUTPUT, d, buf, n);
    uint64_t since = clock_mono_ms() - r->last_ref_ms;
    if (since >= REF_EVERY_MS) {
        cancel_ref_timer(r);
        out_reference(r);
    } else if (r->ref_timer == NULL) {
        /* output then silence: still referenced within the second */
        r->ref_timer = loop_timer_add(r->loop, REF_EVERY_MS - since, 0, ref_due, r);
    }
    run_changed(r);
}

static char *exit_message(const struct run *r, const struct proc_result *res, bool ok,
                          int expect_exit)
{
    char *msg;
    if (res->error != NULL) {
        msg = xstrdup(res->error);
    } else if (!ok) {
        msg = xasprintf("exit %d (want %d) in %.1f s", res->exit_code, expect_exit,
                        res->elapsed_ms / 1000.0);
    } else {
        msg = xasprintf("exit %d in %.1f s", res->exit_code, res->elapsed_ms / 1000.0);
    }
    if (r->out_lost > 0) {
        char *cut = xasprintf("%s; output cut: %llu bytes not saved (%s)", msg,
                              (unsigned long long)r->out_lost, r->out_error);
        free(msg);
        msg = cut;
    }
    return msg;
}

static void on_cmd_done(const struct proc_result *res, void *ud)
{
    struct run *r = ud;
    r->proc = NULL;
    cancel_ref_timer(r);
    out_reference(r);
    const struct rb_step *s = &r->rb->steps[r->idx];
    bool code = r->fly_code;
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
    char *msg = exit_message(r, res, ok, s->expect_exit);
    if (r->out_lost > 0) {
        cJSON_AddNumberToObject(d, "output_lost", (double)r->out_lost);
        cJSON_AddStringToObject(d, "output_error", r->out_error);
    }
    free(value);
    if (!run_log_step(r, "command.exit", msg, d)) {
        free(msg);
        r->fly = NULL;
        run_changed(r);
        return;
    }
    if (code) {
        r->fly = NULL;
        r->state = r->fly_prev;
        run_set_message(r, msg);
        run_changed(r);
    } else if (ok) {
        run_step_succeeded(r, msg, NULL);
    } else {
        run_step_failed(r, msg);
    }
}

/*
 * The child is forked but held before exec: journal its process group
 * (command.pgid: pgid, its start time, the boot id) and only then let it run.
 * Not journaled: the child never runs.
 */
static bool journal_group(struct run *r, char **cause)
{
    struct proc_ident id;
    proc_ident(r->proc, &id);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pgid", id.pgid);
    cJSON_AddNumberToObject(d, "start", (double)id.start);
    cJSON_AddStringToObject(d, "boot", id.boot);
    if (!run_log_step(r, "command.pgid", NULL, d)) {
        proc_cancel(r->proc);
        r->proc = NULL;
        r->fly = NULL; /* run_log() failed the run: nothing runs unjournaled */
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    proc_release(r->proc);
    return true;
}

/* The child could not start: journal its end too, or resume would call it interrupted. */
static bool spawn_failed(struct run *r, bool one_off, char *why, char **cause)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "code", -1);
    cJSON_AddStringToObject(e, "error", why);
    cJSON_AddNumberToObject(e, "elapsed_ms", 0);
    run_log_step(r, "command.exit", why, e);
    set_cause(cause, why);
    if (one_off) {
        r->fly = NULL;
        r->state = r->fly_prev;
        run_set_message(r, why);
    } else {
        run_step_failed(r, why);
    }
    return false;
}

bool run_start_command(struct run *r, const char *given, bool one_off, char **cause)
{
    struct shtmpl_command cmd;
    char *why = NULL;
    /* a placeholder is never run as written: its value comes in as data, or nothing runs */
    char *text = run_code_template(r, given, &why);
    if (text == NULL || !vars_command(&r->vars, text, &cmd, &why)) {
        free(text);
        set_cause(cause, why);
        if (one_off) {
            free(why);
        } else {
            run_step_failed(r, why);
        }
        return false;
    }
    struct step_text t = run_step_text(r);
    char *shown = step_shown(&t, text, VARS_SHOWN_COMMAND);
    free(text);
    if (r->dry_run) {
        run_set_message(r, xasprintf("dry run: would run: %s", shown));
        free(shown);
        shtmpl_command_finish(&cmd);
        if (!one_off) {
            run_step_succeeded(r, xstrdup(r->message), NULL);
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
    if (!run_log_step(r, "command.start", NULL, d)) {
        free(shown);
        shtmpl_command_finish(&cmd);
        set_cause(cause, r->message);
        run_changed(r);
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
    r->fly = &step_command;
    r->fly_code = one_off;
    r->fly_prev = r->state;
    r->state = RUN_BUSY;
    run_set_message(r, xasprintf("running: %s", shown));
    free(shown);
    r->proc = proc_spawn(r->loop, &o, on_cmd_done, r, &why);
    shtmpl_command_finish(&cmd);
    if (r->proc == NULL) {
        return spawn_failed(r, one_off, why, cause);
    }
    if (!journal_group(r, cause)) {
        return false;
    }
    run_changed(r);
    return true;
}

static bool command_start(struct run *r, char **cause)
{
    return run_start_command(r, step_command_text(run_cur(r)), false, cause);
}

static bool command_stop(struct run *r, char **cause)
{
    (void)cause;
    proc_stop(r->proc);
    run_set_message(r, xstrdup("stopping..."));
    run_changed(r);
    return true;
}

static void command_drop(struct run *r)
{
    proc_cancel(r->proc);
    r->proc = NULL;
    cancel_ref_timer(r);
}

/* ---- commands left running by a session that died ---- */

static bool orphan_event(struct run *r, const char *action, const struct proc_ident *id,
                         const char *key, const char *value)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pgid", id->pgid);
    if (key != NULL) {
        cJSON_AddStringToObject(d, key, value);
    }
    return run_log_step(r, action, value, d);
}

void run_orphan_timer_stop(struct run *r)
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
    run_set_message(
        r, xasprintf("process group %d did not stop on SIGTERM: sent SIGKILL", r->orphans[0].pgid));
}

/*
 * Check every group left running: the end of each one gone is journaled
 * (orphan.end, how: ended or stopped); a stop past its grace gets SIGKILL.
 */
void run_orphan_poll(struct run *r)
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
        run_orphan_timer_stop(r);
        r->orphan_mode = RUN_ORPHAN_NONE;
        run_set_message(r, strcmp(how, "stopped") == 0
                               ? xasprintf("stopped: process group %d of the interrupted command "
                                           "is gone",
                                           last)
                               : xasprintf("process group %d of the interrupted command has ended "
                                           "(its exit status is unknown: see its output)",
                                           last));
        run_changed(r);
    } else if (r->orphan_mode == RUN_ORPHAN_STOPPING && !r->orphan_killed &&
               clock_mono_ms() - r->orphan_term_ms >= ORPHAN_GRACE_MS) {
        orphan_kill(r);
        run_changed(r);
    }
}

static void orphan_tick(void *ud)
{
    run_orphan_poll(ud);
}

/* At resume: which of the journaled groups are still alive and ours. */
void run_orphans_found(struct run *r, const struct proc_ident *groups, size_t n)
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
    run_set_message(
        r, xasprintf("%s%sthe command's processes (process group %d) are still running: "
                     "its side effects may still happen; wait for it or stop it",
                     said != NULL ? said : "", said != NULL ? "; " : "", r->orphans[0].pgid));
    free(said);
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
    run_orphan_poll(r);
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
    run_set_message(r, xasprintf("waiting for process group %d of the interrupted command to end",
                                 r->orphans[0].pgid));
    run_changed(r);
    return true;
}

bool run_orphan_stop(struct run *r, char **cause)
{
    run_orphan_poll(r);
    if (r->norphans == 0 || r->orphan_mode == RUN_ORPHAN_STOPPING) {
        set_cause(cause, r->norphans == 0 ? "no command from before the resume is running"
                                          : "it is being stopped already");
        return false;
    }
    /* journaled before each signal: a stop the journal cannot record is not done */
    for (size_t i = 0; i < r->norphans; i++) {
        if (!orphan_event(r, "orphan.signal", &r->orphans[i], "signal", "SIGTERM")) {
            set_cause(cause, r->message);
            run_changed(r);
            return false;
        }
        proc_group_signal(&r->orphans[i], SIGTERM);
    }
    r->orphan_mode = RUN_ORPHAN_STOPPING;
    r->orphan_term_ms = clock_mono_ms();
    r->orphan_killed = false;
    run_set_message(r, xasprintf("stopping process group %d: SIGTERM sent, SIGKILL in %d s if it "
                                 "does not end",
                                 r->orphans[0].pgid, ORPHAN_GRACE_MS / 1000));
    run_changed(r);
    return true;
}

/* ---- replay ---- */

/* Process groups journaled without the command's exit: maybe still running. */
static void replay_group(struct runview *v, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    if (ev->kind == RL_COMMAND_START) {
        v->group_open = false;
    } else if (ev->kind == RL_COMMAND_PGID && runlog_num(d, "pgid", 0) > 1) {
        struct proc_ident id = {.pgid = runlog_int(d, "pgid", 0),
                                .start = runlog_u64(d, "start", 0)};
        const char *boot = runlog_str(d, "boot");
        snprintf(id.boot, sizeof id.boot, "%s", boot != NULL ? boot : "");
        v->groups = xreallocarray(v->groups, v->ngroups + 1, sizeof *v->groups);
        v->groups[v->ngroups++] = id;
        v->group_open = true;
    } else if (ev->kind == RL_COMMAND_EXIT && v->group_open) {
        v->ngroups--;
        v->group_open = false;
    }
}

static bool command_replay(struct runview *v, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    switch (ev->kind) {
    case RL_COMMAND_START: {
        replay_group(v, ev);
        const char *cmd = runlog_str(d, "command");
        bool code = runlog_true(d, "code");
        if (code) {
            v->code_prev = v->state;
        }
        runview_open(v, ev->kind, cmd, xasprintf("running: %s", cmd != NULL ? cmd : ""));
        v->open_code = code;
        v->out_from = runlog_u64(d, "offset", 0);
        v->has_out = true;
        runview_out_reset(v, v->out_from);
        runview_ran(v);
        v->out_step = v->pos;
        v->out_ts = ev->ts_ms;
        return true;
    }
    case RL_COMMAND_PGID:
        replay_group(v, ev);
        return true;
    case RL_COMMAND_OUTPUT:
        runview_out_range(v, runlog_u64(d, "offset", 0), runlog_u64(d, "length", 0));
        return true;
    case RL_COMMAND_EXIT: {
        replay_group(v, ev);
        bool code = v->open == RL_COMMAND_START && v->open_code;
        runview_close(v, ev->result);
        if (code) {
            runview_set_state(v, v->code_prev, NULL);
        }
        const char *var = runlog_str(d, "var");
        const char *value = runlog_str(d, "value");
        if (var != NULL && value != NULL) {
            vars_set(&v->vars, var, value);
        }
        return true;
    }
    default:
        return false;
    }
}

static char *command_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    char *a = step_shown_or_missing(t, step_command_text(s), VARS_SHOWN_COMMAND, missing);
    char *out = xasprintf("sh: %s", a);
    free(a);
    return out;
}

const struct step_kind step_command = {
    .name = "command",
    .start = command_start,
    .stop = command_stop,
    .drop = command_drop,
    .replay = command_replay,
    .preview = command_preview,
};
