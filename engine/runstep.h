/*
 * Inside a runbook run (engine only; run.h is the interface): the run's
 * state, its view's state, and the step-kind table.
 *
 * The step machine (run.c) knows steps only through their kind: one const
 * table per kind of step says how it starts (run_confirm), how it stops while
 * in flight (run_stop), how it is dropped without a word (destroy, abort),
 * how its events replay into a view (resume and every screen) and how its
 * preview reads. One file per kind:
 *   step_ask.c      manual, prompt, approval, decision (what the operator does)
 *   step_command.c  command (and a code block run by hand; processes a dead
 *                   session left running)
 *   step_wait.c     wait until a condition or a command
 *   step_action.c   a console action through the action path
 *   step_notify.c   Slack, PagerDuty
 * run.c moves between steps and journals; run_resume.c rebuilds a run from
 * its journal through a view (runview.c); steptext.c is what every view says
 * of a step (variables substituted, secrets masked).
 */
#ifndef OPSDECK_RUNSTEP_H
#define OPSDECK_RUNSTEP_H

#include "../common/proc.h"
#include "cond.h"
#include "crew.h"
#include "run.h"

struct cJSON;
struct action_def;
struct notify;
struct loop_timer;

enum { OUT_TAIL = 64 * 1024 };

/* A secret answer's value wherever a view would show it. */
extern const char SECRET_SHOWN[];

struct step_kind;

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
    struct runlog *log;
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

    /* the status last told to the subscribers */
    enum run_state told_state;
    size_t told_idx;
    char *told_message;
    bool told;

    const struct step_kind *fly; /* what is in flight, NULL: nothing */
    bool fly_code;               /* ... a code block run by hand */
    enum run_state fly_prev;     /* state to return to after a code block */
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

    /* the war room (run_share.c) */
    struct crew_actor actor; /* who the journal lines are by now */
    bool shared;             /* other consoles follow: the two-person rule holds */
    struct crew crew;        /* who is on it, claims, a pending approval request */
};

/* What a view knows (runview.c); the replay fields follow the rules of run_resume(). */
struct runview {
    const struct runbook *rb;
    char *out_path; /* RUN-ID.out, or NULL */
    struct backend **backends;
    size_t nbackends;
    char *id;

    enum run_state state;
    enum run_state code_prev; /* before a code block run by hand */
    size_t idx;               /* the step shown */
    char *message;
    enum run_mark *marks;
    struct vars vars;    /* a secret answer is "[secret]" */
    struct vars secrets; /* values of secret answers, told only to the owner's view */
    uint64_t phase_ms[RB_PHASES];
    int64_t step_started; /* wall ms of the step's step.enter */
    bool reviewed;        /* the end-of-run review was journaled (its "leftovers" event) */
    bool overtime_dismissed;
    char *out; /* the output tail */
    size_t out_len;
    uint64_t out_end; /* RUN-ID.out is in the tail up to here */
    int *orphans;     /* process groups found alive at resume */
    size_t norphans;
    enum run_orphan orphan_mode;

    int pos; /* the position, -1 before the first step.enter */
    bool after_back;
    size_t *hist;
    size_t nhist;
    enum runlog_kind open; /* the in-flight event, RL_UNKNOWN: none */
    char *open_what;       /* what it was doing */
    bool open_code;        /* a code block run by hand */
    bool completed;        /* the current step was done/skipped after its enter */
    char *go;              /* where a choice said to go */
    char *last_failed;     /* the failure message of the current step */
    int64_t entered_ts;
    uint64_t out_from;
    bool has_out;
    int out_step;   /* the step whose command the output is, -1: none */
    int64_t out_ts; /* ... and when that command started (wall ms) */
    bool *ran;      /* per step: its command or a code block of it ran (or was done as an action) */
    struct proc_ident *groups; /* command groups with no exit journaled: maybe still running */
    size_t ngroups;
    bool group_open; /* the last group is the open command's */
    size_t *reask;   /* steps whose secret answer is lost at resume */
    size_t nreask;
    size_t *asking; /* after run.resume: the secrets asked again, in turn */
    size_t nasking;
    size_t asked_idx; /* ... and where the run is meanwhile */
    enum run_state asked_state;
    struct crew crew; /* who is on it (crew.h) */
};

/* What every view says of a step: variables substituted, secret answers masked. */
struct step_text {
    const struct runbook *rb;
    const struct vars *vars;
    struct backend **backends;
    size_t nbackends;
};

struct step_kind {
    const char *name;
    /* run_confirm on a ready step: do it, or start its automated part. */
    bool (*start)(struct run *r, char **cause);
    /* run_stop while in flight (NULL: nothing of it is ever in flight). */
    bool (*stop)(struct run *r, char **cause);
    /* Forget what is in flight without journaling (destroy, abort). */
    void (*drop)(struct run *r);
    /* Apply one of its events to a view; false when the event is not its. */
    bool (*replay)(struct runview *v, const struct runlog_event *ev);
    /* The automated part as it will run (run_preview); NULL: none. */
    char *(*preview)(const struct step_text *t, const struct rb_step *s, char **missing);
};

extern const struct step_kind step_manual, step_ask, step_command, step_wait, step_action,
    step_notify;
const struct step_kind *step_kind_of(enum rb_step_type type);
/* Every kind once, for replay; NULL-terminated. */
extern const struct step_kind *const step_kinds[];

/* ---- run.c, for the kinds and for resume ---- */

struct run *run_alloc(const struct run_env *env, struct runbook *rb, const struct run_hooks *hooks);
/* The journal (with the run's lock: one opsdeck per run) and RUN-ID.out. */
bool run_open_files(struct run *r, bool create, char **cause);
/* Enter the first step of a run resumed before it had one; or move on from a done one. */
void run_resume_position(struct run *r, bool entered, bool completed, const char *go);
bool run_can_act(const struct run *r, char **cause);
/* Secrets lost at resume are being asked again. */
bool run_reasking(const struct run *r);
void run_reask_next(struct run *r);

void run_set_message(struct run *r, char *msg);
/* Tell the subscribers the state, position and message, when one of them changed. */
void run_publish(struct run *r);
void run_changed(struct run *r);
/* Append one event (data consumed); on failure the run stops where it is. */
bool run_log(struct run *r, const char *step, const char *action, const char *target,
             const char *result, struct cJSON *data);
/* ... for the current step. */
bool run_log_step(struct run *r, const char *action, const char *result, struct cJSON *data);
/* Tell the subscribers a notice (runlog_notice); data consumed. */
void run_notice(struct run *r, enum runlog_kind kind, struct cJSON *data, const char *bytes,
                size_t len);
void run_step_failed(struct run *r, char *why);
void run_step_succeeded(struct run *r, char *msg, const char *go);
const struct rb_step *run_cur(const struct run *r);
uint64_t run_now(const struct run *r);
struct step_text run_step_text(const struct run *r);
void run_drop_inflight(struct run *r);
/* step_command.c: the tail of the output, and processes left running. */
void run_out_keep(struct run *r, const char *buf, size_t n);
void run_orphans_found(struct run *r, const struct proc_ident *groups, size_t n);
void run_orphan_poll(struct run *r);
void run_orphan_timer_stop(struct run *r);
bool run_start_command(struct run *r, const char *text, bool one_off, char **cause);
/* run_share.c: the journal's actor and host now. */
const char *run_actor(const struct run *r);
const char *run_actor_host(const struct run *r);
/* run_confirm under the two-person rule: true when the rule took it (*ok: its result). */
bool run_two_person_confirm(struct run *r, bool *ok, char **cause);
/* run_record of a people event (crew.h): checked, then journaled. */
bool run_record_people(struct run *r, enum runlog_kind kind, struct cJSON *data, char **cause);
/* step_notify.c: the notify event of a request that never got an answer. */
void run_notify_refused(struct run *r, const struct rb_step *s, const char *why);

/* ---- steptext.c ---- */

/* The text with every variable's value, a secret answer as [secret] (journal, screen). */
char *step_shown(const struct step_text *t, const char *text, enum vars_mode mode);
/* The same, or the text unexpanded when a variable is unset (*missing: the first). */
char *step_shown_or_missing(const struct step_text *t, const char *text, enum vars_mode mode,
                            char **missing);
/* run_text(): an unset variable stays ${name}. */
char *step_text(const struct step_text *t, const char *text);
char *step_preview(const struct step_text *t, const struct rb_step *s, char **missing);

/* ---- step_action.c: an action's report (action.end), for a step or a code block (fly_code) ----
 */
struct action;
void step_action_report(const struct action *a, bool ok, const char *message, void *ud);

/* ---- step_action.c: which backend and definition an action step means; NULL with *cause ---- */
struct backend *step_find_action(struct backend **backends, size_t n, const struct rb_step *s,
                                 const struct action_def **def, char **cause);

/* ---- runview.c, for the kinds' replays ---- */

void runview_set_state(struct runview *v, enum run_state st, char *message);
void runview_open(struct runview *v, enum runlog_kind kind, const char *what, char *message);
void runview_close(struct runview *v, const char *message);
void runview_out_reset(struct runview *v, uint64_t from);
void runview_out_range(struct runview *v, uint64_t offset, uint64_t length);
/* The current step ran something (a command, a code block, a block done as an action). */
void runview_ran(struct runview *v);

#endif
