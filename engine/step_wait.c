/*
 * Wait steps (runstep.h): until a live pane condition holds (cond.h) or a
 * command succeeds, looked at every interval, at most the step's timeout.
 *
 * A condition counts only answers from after the wait began (the panes'
 * backends are asked for one at once); while it is unknown (the console does
 * not have the data) it looks again soon and the try does not count. Unknown
 * until the end fails with why it was unknown, never as met.
 */
#include "runstep.h"

#include "../backends/backend.h"
#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

enum {
    UNKNOWN_RETRY_MS = 250, /* a wait whose condition is unknown looks again this soon */
};

static void wait_drop(struct run *r)
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
}

static void wait_end(struct run *r, bool met, char *reason)
{
    wait_drop(r);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "met", met);
    cJSON_AddNumberToObject(d, "tries", r->tries);
    cJSON_AddStringToObject(d, "reason", reason);
    if (!run_log_step(r, "wait.end", reason, d)) {
        free(reason);
        r->fly = NULL;
        run_changed(r);
        return;
    }
    if (met) {
        run_step_succeeded(r, reason, NULL);
    } else {
        run_step_failed(r, reason);
    }
}

static void wait_check_deadline(struct run *r)
{
    if (r->fly == &step_wait && clock_wall_ms() >= r->wait_deadline) {
        const char *seen = r->wait_seen != NULL ? r->wait_seen : "nothing yet";
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
    run_set_message(r, xasprintf("try %d: %s", r->tries, r->wait_seen));
    wait_check_deadline(r);
    run_changed(r);
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
        run_set_message(r, xasprintf("unknown: %s", r->wait_seen));
        const struct rb_step *s = &r->rb->steps[r->idx];
        if (r->wait_timer != NULL && (s->interval_ms <= 0 || s->interval_ms > UNKNOWN_RETRY_MS)) {
            loop_timer_reset(r->loop, r->wait_timer, UNKNOWN_RETRY_MS);
        }
    } else {
        r->tries++;
        run_set_message(r, xasprintf("try %d: %s", r->tries, r->wait_seen));
    }
    wait_check_deadline(r);
    run_changed(r);
}

static void wait_tick(void *ud)
{
    struct run *r = ud;
    if (r->fly != &step_wait || r->wait_proc != NULL) {
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

static bool wait_start(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    char *why = NULL;
    bool ok = s->until != NULL ? cond_parse_vars(&r->wcond, s->until, &r->vars, &why)
                               : vars_command(&r->vars, s->run, &r->wait_cmd, &why);
    if (!ok) {
        set_cause(cause, why);
        run_step_failed(r, why);
        return false;
    }
    r->wcond_set = s->until != NULL;
    struct step_text t = run_step_text(r);
    char *shown = s->until != NULL ? step_shown(&t, s->until, VARS_TEXT)
                                   : step_shown(&t, s->run, VARS_SHOWN_COMMAND);
    if (r->dry_run) {
        wait_drop(r);
        char *msg = xasprintf("dry run: would wait until %s", shown);
        free(shown);
        run_step_succeeded(r, msg, NULL);
        return true;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "condition", shown);
    free(shown);
    if (!run_log_step(r, "wait.start", NULL, d)) {
        wait_drop(r);
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    r->fly = &step_wait;
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
                backend_poll_now(r->backends[i]);
            }
        }
    }
    r->wait_deadline = clock_wall_ms() + (s->timeout_ms > 0 ? s->timeout_ms : 600000);
    int interval = s->interval_ms > 0 ? s->interval_ms : 5000;
    run_set_message(r, xstrdup("waiting"));
    r->wait_timer = loop_timer_add(r->loop, (uint64_t)interval, (uint64_t)interval, wait_tick, r);
    run_changed(r);
    wait_tick(r);
    return true;
}

static bool wait_stop(struct run *r, char **cause)
{
    (void)cause;
    wait_end(r, false, xstrdup("stopped"));
    return true;
}

static bool wait_replay(struct runview *v, const struct runlog_event *ev)
{
    if (ev->kind == RL_WAIT_START) {
        runview_open(v, ev->kind, runlog_str(ev->data, "condition"), xstrdup("waiting"));
    } else if (ev->kind == RL_WAIT_END) {
        runview_close(v, runlog_str(ev->data, "reason"));
    } else {
        return false;
    }
    return true;
}

static char *wait_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    char *a = s->until != NULL ? step_shown_or_missing(t, s->until, VARS_TEXT, missing)
                               : step_shown_or_missing(t, s->run, VARS_SHOWN_COMMAND, missing);
    char *out = xasprintf("wait until %s%s", s->until != NULL ? "" : "this succeeds: sh: ", a);
    free(a);
    return out;
}

const struct step_kind step_wait = {
    .name = "wait",
    .start = wait_start,
    .stop = wait_stop,
    .drop = wait_drop,
    .replay = wait_replay,
    .preview = wait_preview,
};
