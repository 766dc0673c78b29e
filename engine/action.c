/*
 * The one path every write takes (DESIGN rule 4).
 *
 * The audit record comes first: action_run() appends "started" (fsynced)
 * before the backend is asked to do anything, and if that append fails the
 * action does not run at all. An operator may be annoyed by a refused action
 * with a full disk; an unrecorded change to production at 3 a.m. is worse.
 * A refusal is audited too ("refused: <reason>"), and action_done() audits
 * the outcome ("ok" or "error: <message>") before telling the caller.
 *
 * Each audit line is {action: verb, target: row key, run/step when a runbook
 * or drill acts (run alone: an action taken in the console while the run is
 * open), data: {backend, type, input, prior, message}}; prior is the value an
 * input action replaced (a scale's replicas), so that it can be undone. input is the value
 * the operator typed for an ACTION_INPUT action (a duration, a weight) and
 * message the backend's text. Neither may carry a secret: no action today
 * takes one, and a backend must keep credentials out of its messages.
 *
 * The settings are process-wide because there is one audit log and one
 * read-only switch per process, set once at start.
 */
#include "action.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static struct {
    struct journal *audit;
    bool read_only;
    const char *why;
} settings;

void action_setup(struct journal *audit, bool read_only)
{
    settings.audit = audit;
    settings.read_only = read_only;
}

bool action_read_only(void)
{
    return settings.read_only;
}

void action_read_only_why(const char *why)
{
    settings.why = why;
}

/* By identity: a def from another type's table is not ours, even if its verb is. */
static bool backend_has(const struct backend *b, const struct action_def *def)
{
    int n;
    const struct action_def *defs = backend_actions(b, &n);
    for (int i = 0; i < n; i++) {
        if (&defs[i] == def) {
            return true;
        }
    }
    return false;
}

bool action_check(const struct backend *b, const struct action_def *def, char **cause)
{
    if (settings.read_only) {
        *cause = settings.why != NULL ? xasprintf("read-only mode: %s", settings.why)
                                      : xstrdup("read-only mode (--read-only)");
        return false;
    }
    if (!b->actions_enabled) {
        *cause = xasprintf("actions are off for backend '%s'", b->name);
        return false;
    }
    if (b->context_read_only) {
        *cause = xasprintf("context %s is read-only", backend_context(b));
        return false;
    }
    if (def == NULL || !backend_has(b, def)) {
        *cause = xasprintf("%s does not support %s", b->name, def != NULL ? def->verb : "that");
        return false;
    }
    return true;
}

const char *action_protected(const struct backend *b)
{
    return b != NULL && b->context_protected ? backend_context(b) : NULL;
}

/* Typed confirmations waiting for their action (action_grant_typed); few, and short-lived. */
enum { GRANT_MAX = 16, GRANT_TTL_MS = 60000 };
static struct grant {
    const struct backend *b;
    const struct action_def *def;
    char *target;
    uint64_t at;
} grants[GRANT_MAX];

static void grant_drop(struct grant *g)
{
    free(g->target);
    memset(g, 0, sizeof *g);
}

void action_grant_typed(const struct backend *b, const struct action_def *def, const char *target)
{
    uint64_t now = clock_mono_ms();
    struct grant *slot = &grants[0];
    for (size_t i = 0; i < GRANT_MAX; i++) {
        if (grants[i].b == NULL || now - grants[i].at > GRANT_TTL_MS) {
            slot = &grants[i];
            break;
        }
        if (grants[i].at < slot->at) {
            slot = &grants[i]; /* full: the oldest goes */
        }
    }
    grant_drop(slot);
    *slot = (struct grant){.b = b, .def = def, .target = xstrdup(target), .at = now};
}

void action_grants_clear(void)
{
    for (size_t i = 0; i < GRANT_MAX; i++) {
        grant_drop(&grants[i]);
    }
}

static bool grant_take(const struct action *a)
{
    uint64_t now = clock_mono_ms();
    for (size_t i = 0; i < GRANT_MAX; i++) {
        struct grant *g = &grants[i];
        if (g->b == a->backend && g->def == a->def && now - g->at <= GRANT_TTL_MS &&
            a->target != NULL && strcmp(g->target, a->target) == 0) {
            grant_drop(g);
            return true;
        }
    }
    return false;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

struct action *action_create(struct backend *b, const struct action_def *def, const char *target,
                             const char *input)
{
    struct action *a = xcalloc(1, sizeof *a);
    a->backend = b;
    a->def = def;
    a->target = dup_or_null(target);
    a->input = dup_or_null(input);
    return a;
}

void action_destroy(struct action *a)
{
    if (a == NULL) {
        return;
    }
    free(a->target);
    free(a->input);
    free(a->run);
    free(a->prior);
    free(a->step);
    free(a);
}

/* with_message: whether the line records an outcome (message may be NULL). */
static cJSON *audit_data(const struct action *a, bool with_message, const char *message)
{
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "backend", a->backend->name);
    cJSON_AddStringToObject(data, "type", a->backend->impl->type);
    if (a->input != NULL) {
        cJSON_AddStringToObject(data, "input", a->input);
    }
    if (a->prior != NULL) {
        cJSON_AddStringToObject(data, "prior", a->prior);
    }
    if (with_message && message != NULL) {
        cJSON_AddStringToObject(data, "message", message);
    } else if (with_message) {
        cJSON_AddNullToObject(data, "message");
    }
    return data;
}

/* Append one audit line; true without writing when there is no audit log. */
static bool audit(const struct action *a, const char *result, const cJSON *data, char **cause)
{
    if (settings.audit == NULL) {
        return true;
    }
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .run = a->run,
        .step = a->step,
        .action = a->def != NULL ? a->def->verb : NULL,
        .target = a->target,
        .result = result,
        .data = data,
    };
    return journal_append(settings.audit, &ev, cause);
}

/* Tell the caller, exactly once, and let the action go. */
static void finish(struct action *a, bool ok, const char *message)
{
    if (a->report != NULL) {
        a->report(a, ok, message, a->report_ud);
    }
    action_destroy(a);
}

static void refuse(struct action *a, char *reason)
{
    a->req.refused = true; /* it never reached the backend */
    char *result = xasprintf("refused: %s", reason);
    cJSON *data = audit_data(a, false, NULL);
    char *cause = NULL;
    if (!audit(a, result, data, &cause)) {
        /* The refusal stands; say that it could not be recorded either. */
        char *both = xasprintf("%s (and the audit log failed: %s)", reason, cause);
        free(reason);
        free(cause);
        reason = both;
    }
    cJSON_Delete(data);
    free(result);
    finish(a, false, reason);
    free(reason);
}

static void done(struct backend_request *req, bool ok, const char *message);

static struct action *of_request(struct backend_request *req)
{
    return (struct action *)(void *)((char *)req - offsetof(struct action, req));
}

static void drop(struct backend_request *req)
{
    action_destroy(of_request(req));
}

bool action_run(struct action *a, action_report_cb report, void *ud)
{
    a->report = report;
    a->report_ud = ud;
    char *cause = NULL;
    if (!action_check(a->backend, a->def, &cause)) {
        refuse(a, cause);
        return false;
    }
    const char *prot = action_protected(a->backend);
    if (prot != NULL && !a->typed && !grant_take(a)) {
        refuse(a, xasprintf("context %s is protected: %s %s needs the typed confirmation (the "
                            "console's dialog)",
                            prot, a->def->verb, a->target != NULL ? a->target : "?"));
        return false;
    }
    cJSON *data = audit_data(a, false, NULL);
    bool recorded = audit(a, "started", data, &cause);
    cJSON_Delete(data);
    if (!recorded) {
        char *reason = xasprintf("not done: cannot write the audit log: %s", cause);
        free(cause);
        a->req.refused = true;
        finish(a, false, reason);
        free(reason);
        return false;
    }
    a->req = (struct backend_request){.backend = a->backend,
                                      .def = a->def,
                                      .target = a->target,
                                      .input = a->input,
                                      .done = done,
                                      .drop = drop};
    /* May answer, and free a, before returning. */
    backend_act(a->backend, &a->req);
    return true;
}

/* The backend's answer: audit the outcome, then tell the caller. */
static void done(struct backend_request *req, bool ok, const char *message)
{
    struct action *a = of_request(req);
    /*
     * A multi-line message (peeked messages) is for the screen; the audit
     * keeps its first line: payloads may carry customer data or secrets.
     */
    char *first = message != NULL ? xstrndup(message, strcspn(message, "\n")) : NULL;
    char *result = ok ? xstrdup("ok") : xasprintf("error: %s", first != NULL ? first : "failed");
    cJSON *data = audit_data(a, true, first);
    free(first);
    char *cause = NULL;
    bool recorded = audit(a, result, data, &cause);
    cJSON_Delete(data);
    free(result);
    if (recorded) {
        finish(a, ok, message);
        return;
    }
    /* Done is done; the operator must at least learn the record is missing. */
    char *text = xasprintf("%s (not recorded in the audit log: %s)",
                           message != NULL ? message : (ok ? "done" : "failed"), cause);
    free(cause);
    finish(a, ok, text);
    free(text);
}

bool action_record(const char *verb, const char *target, const char *run, const char *step,
                   const char *result, const cJSON *data, char **cause)
{
    if (settings.read_only) {
        *cause = xstrdup("read-only mode (--read-only)");
        return false;
    }
    if (settings.audit == NULL) {
        return true;
    }
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .run = run,
        .step = step,
        .action = verb,
        .target = target,
        .result = result,
        .data = data,
    };
    return journal_append(settings.audit, &ev, cause);
}

bool action_refused(const struct action *a)
{
    return a->req.refused;
}
