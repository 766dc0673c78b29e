/*
 * The one path every write takes (DESIGN rule 4):
 *   action_check()   read-only mode, the backend's `actions` setting, the verb,
 *                    a read-only context (its backends are never acted on)
 *   (the caller confirms with the user; default answer Cancel)
 *   action_run()     audit "started", ask the backend to perform
 *   action_done()    the backend reports; audit the result; tell the caller
 * Keys, runbooks and drills all come through here.
 */
#ifndef OPSDECK_ACTION_H
#define OPSDECK_ACTION_H

#include "../backends/backend.h"

#include <stdbool.h>

struct journal;
struct action;
struct cJSON;

typedef void (*action_report_cb)(const struct action *a, bool ok, const char *message, void *ud);

struct action {
    struct backend_request req; /* what the backend sees (req.target, req.input: ours below) */
    struct backend *backend;
    const struct action_def *def;
    char *target; /* the row key, e.g. "be_web/web2" */
    char *input;  /* the value typed for ACTION_INPUT, or NULL */
    char *run;    /* run id when a runbook or drill acts, or the run open in the console; NULL */
    char *prior;  /* the value an input action replaces (scale: the replicas), audited; NULL */
    char *step;
    /*
     * The operator typed the confirmation (the row's name) for this very
     * action: a protected context's actions run only then (action_run).
     */
    bool typed;
    action_report_cb report;
    void *report_ud;
};

/* Process-wide settings: the audit journal (may be NULL in tests) and read-only. */
void action_setup(struct journal *audit, bool read_only);
bool action_read_only(void);
/*
 * Why actions are off when it is not --read-only (say, "no audit log: ...":
 * the console then starts read-only). Borrowed until the next call; NULL
 * restores "read-only mode (--read-only)".
 */
void action_read_only_why(const char *why);

/*
 * May this action be taken at all? false with *cause ("read-only mode",
 * "context prod-eu is read-only", ...).
 */
bool action_check(const struct backend *b, const struct action_def *def, char **cause);

/*
 * A protected context (`protected = true`): the name of b's context when
 * every action on it needs the typed confirmation, else NULL. action_run
 * refuses such an action unless a->typed, or a grant for it is waiting.
 */
const char *action_protected(const struct backend *b);
/*
 * A typed confirmation given in a dialog whose answer starts the action
 * through another module (a run's action step, a drill's chaos): the next
 * action_run of def on target on b takes it, once. Grants lapse after a
 * minute; action_grants_clear() drops them all (tests, shutdown).
 */
void action_grant_typed(const struct backend *b, const struct action_def *def, const char *target);
void action_grants_clear(void);

struct action *action_create(struct backend *b, const struct action_def *def, const char *target,
                             const char *input);
void action_destroy(struct action *a);

/*
 * Check, audit and perform. Takes ownership of a. report is called exactly
 * once with the result (maybe before this returns: a refusal, or a backend
 * that answers at once); a is freed after it.
 * Returns false when the action was refused before reaching the backend
 * (report has then been called with the reason).
 */
bool action_run(struct action *a, action_report_cb report, void *ud);
/* In a report: the failure certainly changed nothing (refused here, or by the backend). */
bool action_refused(const struct action *a);

/*
 * A decision that changes no system but must be on record like an action
 * (giving up a drill's rollback): one audit line with the same fields
 * (actor, host, run, step, action: verb, target, result, data). Refused in
 * read-only mode. false with *cause when refused or not written: then the
 * decision must not take effect.
 */
bool action_record(const char *verb, const char *target, const char *run, const char *step,
                   const char *result, const struct cJSON *data, char **cause);

#endif
