/*
 * A runbook run: the step machine, its journal, resume.
 *
 * The machine is driven by the operator (confirm, skip, back, jump, input,
 * choose, approve, note, stop) and by the loop (command output and exit,
 * wait ticks, action and notify results). Nothing blocks; the UI (the runbook
 * pane or line mode) calls these functions and redraws when the `changed` hook
 * fires. No curses here.
 *
 * States of the current step:
 *   RUN_READY    shown; waiting for the operator. run_confirm() does the step:
 *                manual: done; command/wait/action/notify: start it;
 *                prompt/approval: need run_input(); decision: run_choose().
 *   RUN_BUSY     a command, wait, action or notify is in flight; run_stop()
 *                stops it (Ctrl-C): the step becomes RUN_FAILED "stopped".
 *   RUN_FAILED   the automated part failed (exit code, timeout, action error):
 *                run_confirm() retries, run_skip() moves on, run_back() goes back.
 *   RUN_INTERRUPTED  after resume: the step was in flight when the session
 *                died and may have run partly. run_rerun() re-runs it (only
 *                after the UI's confirmation, default Cancel: run_confirm()
 *                refuses here), run_skip() continues past it, run_jump() goes
 *                elsewhere. Nothing re-runs by itself.
 *   RUN_DONE     the last step is done (or a `next: end`); run.end is journaled.
 *   RUN_ABORTED  run_abort() was called.
 * A step that succeeds moves to the next one by itself (its output stays in
 * run_output() until another command starts).
 *
 * A command's process group is journaled (command.pgid) before it may exec.
 * After kill -9 the group lives on; resume finds it (run_orphan()) when it
 * is still alive and still the same group, and the operator waits for it or
 * stops it (each journaled); re-running the step is refused meanwhile.
 *
 * Journal: $state/runs/RUN-ID.jsonl (events as in docs/runbooks.md, written
 * through runlog.h) and RUN-ID.out (raw command output). Output that cannot be saved (a full disk)
 * is counted: the step's message and command.exit say it was cut. Every transition is journaled
 * before it takes effect on the screen; if the journal cannot be written the run stops with
 * RUN_FAILED and says so (nothing runs unjournaled).
 */
#ifndef OPSDECK_RUN_H
#define OPSDECK_RUN_H

#include "placeholder.h"
#include "recognise.h"
#include "runbook.h"
#include "runlog.h"
#include "runview.h"
#include "share.h"
#include "vars.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct backend;
struct run;

struct run_hooks {
    /* Something visible changed (state, step, output, wait status). */
    void (*changed)(struct run *r, void *ud);
    void *ud;
};

struct run_env {
    struct loop *loop;
    struct store *store;       /* live pane conditions; may be NULL (conditions then fail) */
    struct backend **backends; /* action steps */
    size_t nbackends;
    const char *runs_dir; /* NULL: $XDG_STATE_HOME/opsdeck/runs */
    bool dry_run;         /* nothing runs, nothing is sent, no journal */
};

/*
 * Start a new run of rb (the run takes ownership of rb). initial: variables
 * from the alert's labels and the command line (copied). Fails with *cause
 * when rb has issues, or the journal cannot be created.
 */
struct run *run_start(const struct run_env *env, struct runbook *rb, const struct vars *initial,
                      const struct run_hooks *hooks, char **cause);
/*
 * Resume RUN-ID from its journal: reload the runbook (its path is in the
 * journal; a changed file is refused unless its step ids still match), rebuild
 * variables, history and position. Secret inputs are asked again.
 */
struct run *run_resume(const struct run_env *env, const char *run_id, const struct run_hooks *hooks,
                       char **cause);
/*
 * Stop whatever is in flight and free. The run stays open in its journal
 * (resumable: SIGHUP, a closed pty and quitting all end here) unless it
 * finished or run_abort() ended it. NULL is a no-op.
 */
void run_destroy(struct run *r);

/*
 * The run's event stream (runlog.h), for a view (runview.h): run_history()
 * replays what is journaled so far into cb, now; run_subscribe() then tells
 * cb every later event and notice, as they happen. The run's journal file
 * (NULL in a dry run) is where a console that is not the owner follows it.
 */
bool run_history(const struct run *r, runlog_event_cb cb, void *ud, char **cause);
void run_subscribe(struct run *r, runlog_event_cb cb, void *ud);
void run_unsubscribe(struct run *r, runlog_event_cb cb, void *ud);
const char *run_journal(const struct run *r);

/* ---- what line mode shows (the runbook pane draws a view instead) ---- */
const char *run_id(const struct run *r);
const struct runbook *run_runbook(const struct run *r);
enum run_state run_state(const struct run *r);
size_t run_index(const struct run *r);               /* current step */
const struct rb_step *run_step(const struct run *r); /* NULL when DONE/ABORTED */
enum run_mark run_mark(const struct run *r, size_t i);
const struct vars *run_vars(const struct run *r);
/*
 * The current step's automated part with variables substituted, as it will
 * run: "sh: curl -sf 'http://...'", "drain pools be_web/web2 on demo",
 * "slack: [message]", "wait until queues orders.dlq ready < 10". NULL for a
 * manual step. *missing is set when a variable is unset (caller frees).
 */
char *run_preview(const struct run *r, char **missing);
/*
 * Runbook text (a body, a question) as every view shows it: each ${name}
 * replaced by its value, a secret answer by [secret], an unset variable left
 * as ${name}. NULL for NULL; caller frees.
 */
char *run_text(const struct run *r, const char *text);
/* The last message: why it failed, what a wait sees now, "exit 0 in 1.2 s". */
const char *run_message(const struct run *r);
/* Output of the last command (tail, at most 64 KiB), and its length. */
const char *run_output(const struct run *r, size_t *len);
/*
 * Bytes of output of the last command so far, all of them (not only the
 * kept tail): line mode prints what is new since it last looked.
 */
uint64_t run_output_total(const struct run *r);
/* Time in the current step (ms) and whether it has run over its time box. */
uint64_t run_step_elapsed_ms(const struct run *r);
bool run_overtime(const struct run *r);
/* Time per phase so far, in ms (for the progress bar). */
void run_phase_ms(const struct run *r, uint64_t out[RB_PHASES]);

/*
 * Command process groups left running by a session that died (kill -9),
 * found alive at resume: ALIVE until the operator chooses, WAITING (polled
 * on a timer, nothing blocks), STOPPING (SIGTERM sent; SIGKILL after a
 * grace). When the last one is gone, orphan.end is journaled, the mode goes
 * back to NONE and the changed hook fires. *pgid: the first group; *n: how
 * many (either may be NULL).
 */
enum run_orphan run_orphan(const struct run *r, int *pgid, size_t *n);

/* ---- what the operator does; false with *cause when not possible now ---- */
bool run_confirm(struct run *r, char **cause);
/* Re-run an interrupted step, after the UI asked (it may have run partly); step.rerun. */
bool run_rerun(struct run *r, char **cause);
/* Wait for the groups left running (orphan.wait), or stop them (orphan.signal). */
bool run_orphan_wait(struct run *r, char **cause);
bool run_orphan_stop(struct run *r, char **cause);
bool run_skip(struct run *r, char **cause);
bool run_back(struct run *r, char **cause);
bool run_jump(struct run *r, const char *step_id, char **cause);
bool run_input(struct run *r, const char *value, char **cause); /* prompt, approval */
bool run_choose(struct run *r, size_t choice, char **cause);    /* decision */
bool run_note(struct run *r, const char *text, char **cause);
/*
 * The end-of-run records the console adds (also after the run ended): a
 * "postmortem" answer (incident.h postmortem_event) or the "leftovers" it
 * found ({items: [...]}, leftovers.h). Takes data. false with *cause.
 */
bool run_record(struct run *r, const char *action, struct cJSON *data, char **cause);
/*
 * ---- the war room (run_share.c; docs/war-room.md) ----
 * The owner applies a follower's request between run_set_actor(r, user,
 * host) and run_set_actor(r, NULL, NULL): every journal line written
 * meanwhile names that actor and host (NULL user: the local user again).
 * run_record() also takes the people events (crew.h): "join" {role, via},
 * "leave" {reason}, "role" {user, role}, "claim" / "unclaim" {step: id, or
 * the current step}, "propose" {step, text}, "handover.offer" {to},
 * "handover.accept" / "handover.decline" {from}, "approval.request" (the
 * current step, as run_confirm() under the two-person rule), each by the
 * actor and checked first (an unknown step, a claim not held, a handover
 * nobody offered: false with *cause).
 */
void run_set_actor(struct run *r, const char *user, const char *host);
/*
 * The run is shared (the console sets it when it shares the run): the
 * two-person rule holds. An approval step or a `two-person: true` step is not
 * done by run_confirm(): it journals approval.request by the actor and the
 * step waits for run_approve() by somebody else. run_input() on an approval
 * step is refused. Not shared (the default): as before, the operator types
 * who approved.
 */
void run_set_shared(struct run *r, bool shared);
bool run_shared(const struct run *r);
/* Who asked for the approval the current step waits for; NULL: none pending (also after resume). */
const char *run_approval_pending(const struct run *r);
/*
 * approver approves the pending request: refused when approver asked it
 * ("two-person rule: alice asked; another person must approve") or nothing
 * is pending. Journals approval {role, by, requested_by} by the approver;
 * then the step is done, or (a two-person automated step) it runs, its lines
 * by the one who asked.
 */
bool run_approve(struct run *r, const char *approver, char **cause);
/* Who is on the run as its journal says (crew.h); borrowed. */
struct crew;
const struct crew *run_crew(const struct run *r);
/*
 * A war-room request (share.h) applied to the run: the owner's keys and a
 * follower's requests take this one path (run_apply.c). args: the request's
 * fields (text, step, value, choice, to, from). false with *cause: refused.
 */
bool run_apply(struct run *r, enum share_op op, const struct cJSON *args, char **cause);

/* Run code block i of the current step as a one-off command (confirmed by the caller). */
bool run_code(struct run *r, size_t i, char **cause);

/*
 * ---- code blocks of a wiki page (run_code.c; docs/runbooks.md "Placeholders") ----
 * A command (a step's, a code block, an edit) with a placeholder that has no
 * value never runs: run_code() and the others refuse it, saying which one.
 */
/* The placeholders of text (a code block), one per variable; false when it has none. */
bool run_code_placeholders(const struct run *r, const char *text, struct ph_list *out);
/* What to offer as p's value: the variable of that name (any case), an alias, the user. */
const char *run_placeholder_guess(const struct run *r, const struct placeholder *p);
/* p's value: journaled (input {var, value, placeholder}), a variable from then on. */
bool run_fill(struct run *r, const struct placeholder *p, const char *value, char **cause);
/* text with each placeholder as a ${var} reference; NULL with *cause when one has no value. */
char *run_code_template(const struct run *r, const char *text, char **cause);
/* The command as it will run, values where they stand (the confirmation); NULL as above. */
char *run_code_shown(const struct run *r, const char *text, char **cause);
/* Run the operator's edit of code block i: command.edit {block, original, edited} first. */
bool run_code_edited(struct run *r, size_t i, const char *text, char **cause);

/* Code block i of the current step does a console action (recognise.h). */
struct run_recognised {
    struct recog rc;
    char *what;        /* "drains be_web/web3" (a placeholder with no value as written) */
    bool filled;       /* every placeholder of the block has a value: the rest is set */
    struct backend *b; /* who does it; NULL: why says why not */
    const struct action_def *def;
    char *key;   /* the row it acts on */
    char *input; /* weight, replicas, duration */
    char *why;
};
/* false when the block is not one console action. */
bool run_code_recognise(const struct run *r, size_t i, struct run_recognised *m);
void run_recognised_finish(struct run_recognised *m);
/*
 * Do code block i as the console action (after the caller's confirm_action
 * dialog): the action path audits it with the run and step; journaled
 * action.start/end with {code: true, block, command}. The step stays where it is.
 */
bool run_code_action(struct run *r, size_t i, char **cause);

/* Stop what is in flight (Ctrl-C). */
bool run_stop(struct run *r, char **cause);
/* Over time: escalate jumps to the next Escalate step; dismiss stops asking for this step. */
bool run_escalate(struct run *r, char **cause);
void run_dismiss_overtime(struct run *r);
/* End the run for good: run.end "aborted" is journaled; it is no longer offered for resume. */
void run_abort(struct run *r);

/* ---- runs on disk ---- */
struct run_info {
    char *id;
    char *title;
    char *runbook;
    char *started; /* RFC 3339 */
    char *step;    /* title of the last step entered */
    bool ended;
    char *how;   /* "finished", "aborted", or NULL while open */
    bool drill;  /* a drill's run (resumed by the drill pane) */
    char *alert; /* the alert it was opened for (run_alert_key of its first variables), or NULL */
};
/*
 * Who a run is for: the "name=value" lines of variables, sorted, when they
 * name an alert (alertname is one of them); NULL otherwise. r on an alert
 * and the run it opened give the same key (its labels are the variables).
 */
char *run_alert_key(const struct vars *v);
/* Every run in runs_dir (NULL: default), newest first. */
struct run_info *run_list(const char *runs_dir, size_t *n, char **cause);
void run_info_free(struct run_info *list, size_t n);

/* The runs directory ($XDG_STATE_HOME/opsdeck/runs), caller frees; NULL without a home. */
char *run_default_dir(void);

#endif
