/*
 * One timeline of an incident (issue 13): the audited actions (audit.jsonl)
 * and the alert transitions this console saw (alerts.jsonl, alertlog.h),
 * read back into entries in time order, for the report to merge with a run's
 * journal; and the incident figures computed from all of it.
 *
 * Which audit lines belong:
 *   - with a run (tl_select.run): the lines naming the run, and the lines
 *     naming no run in its window [from, until] written on the run's host
 *     (this console, before the run was attached); lines of the run's own
 *     action steps (a step named) are left out, the run's journal has them;
 *   - without a run: every line in [from, until].
 * An action is one entry: its "started" line, with the outcome line that
 * follows it (same verb, target, run, actor and host); a refusal alone is an
 * entry too.
 *
 * Which alert transitions belong: those in [from, until], and, for an alert
 * still open at from, its last transition before from (when it fired), and
 * its transitions up to until + TL_RESOLVE_GRACE_MS (when it resolved just
 * after the run ended).
 *
 * The figures (tl_figures): detected is the first alert fired; acknowledged
 * the first Stay-calm step done or silence/ack action; first mitigation the
 * first Focus step done or mitigating action that succeeded (drain, maint,
 * weight, scale, restart, undo, pause, moveback, purge, stop; a silence is an
 * acknowledgement, not a mitigation); resolved the time the last of the
 * alerts seen firing resolved, with none still open. Each is 0 when not
 * reached; durations are from detected (or from the start when nothing was
 * seen firing).
 */
#ifndef OPSDECK_TIMELINE_H
#define OPSDECK_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TL_RESOLVE_GRACE_MS = 60 * 60 * 1000 };

enum tl_source { TL_ACTION, TL_ALERT };

struct tl_entry {
    enum tl_source source;
    int64_t ms;        /* when it was taken / seen */
    int64_t done_ms;   /* an action's outcome; 0: none recorded */
    int64_t starts_ms; /* an alert: when its source says it started; 0: unknown */
    char *actor, *host;
    char *what;    /* the verb ("drain"); an alert: fired, silenced, resolved, ... */
    char *target;  /* the row key; an alert: its alertname */
    char *result;  /* "ok", "error: ...", "refused: ..."; NULL: no outcome; an alert: its state */
    char *backend; /* an alert: its source */
    char *input;   /* what was typed (a duration, a weight); NULL */
    char *prior;   /* the value before (scale: replicas); NULL */
    char *message; /* the outcome's message; an alert: its labels "k=v, k=v" */
    char *key;     /* an alert: the source's key */
    char *run, *step;
    /* an action of the selected run's steps: its journal tells it on the timeline and in the
     * figures; still counted for leftovers */
    bool journaled;
};

struct timeline {
    struct tl_entry *v;
    size_t n;
};

struct tl_select {
    const char *run;  /* NULL: by time only */
    const char *host; /* with run: the host of unattributed lines; NULL: any */
    bool host_only;   /* every line must be from host (a console's own actions) */
    int64_t from, until;
};

/* Add the audit log's actions (a missing file adds none). false with *cause when unreadable. */
bool timeline_load_audit(struct timeline *t, const char *path, const struct tl_select *sel,
                         char **cause);
/* Add the alert transitions of path.1 and path (missing files add none). */
bool timeline_load_alerts(struct timeline *t, const char *path, const struct tl_select *sel,
                          char **cause);
/* When a run started, from its id (20261123T101259Z-...); false for another shape. */
bool timeline_run_id_time(const char *run_id, int64_t *ms);
/* In time order (stable). */
void timeline_sort(struct timeline *t);
void timeline_free(struct timeline *t);

/* Does this verb mitigate (drain, scale...)? acknowledge (silence, ack)? */
bool timeline_mitigates(const char *verb);
bool timeline_acknowledges(const char *verb);

struct tl_mark {
    int64_t ms; /* 0: not reached */
    char *what; /* "drain be_web/web3 by alice", "step \"Drain\" done" */
};

struct tl_figures {
    int64_t start_ms; /* the run's start or --since; durations without a detection */
    struct tl_mark detected, acknowledged, mitigated, resolved;
    size_t open_alerts; /* alerts still open at the end */
};

/* Fold a run's step.done "done" of phase (0 S .. 3 E) into the figures. */
void tl_figures_step(struct tl_figures *f, int phase, int64_t ms, const char *title);
/* Fold a run's own action (an action step) that succeeded. */
void tl_figures_action(struct tl_figures *f, const char *verb, const char *target, int64_t ms,
                       const char *actor);
/* Fold the timeline's entries (call once, after the steps or before: order does not matter). */
void tl_figures_timeline(struct tl_figures *f, const struct timeline *t);
void tl_figures_free(struct tl_figures *f);

#endif
