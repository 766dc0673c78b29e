/*
 * A run shared with other consoles (run.h "War room"; docs/war-room.md): who
 * the journal lines are by, the people events the owner applies for its
 * followers, and the two-person rule.
 *
 * The owner applies every follower's request by calling the run's functions
 * between run_set_actor(r, user, host) and run_set_actor(r, NULL, NULL), so
 * each line it journals meanwhile names that person. The run keeps a crew
 * (crew.h) fed with every line it journals (and rebuilt by resume), which is
 * where a pending approval request lives: resume finds it again.
 *
 * The two-person rule, in a shared run only: an approval step, and any step
 * with `two-person: true`, is not done by the driver's confirm. The confirm
 * journals approval.request (by the actor) and the step waits; another person
 * approves (run_approve: approval {role, by, requested_by}, by the approver)
 * and then the step is done, or for an automated step, runs (its lines by the
 * one who asked: the driver drives it). Nobody approves their own request.
 */
#include "runstep.h"

#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

/* ---- who ---- */

void run_set_actor(struct run *r, const char *user, const char *host)
{
    crew_actor_set(&r->actor, user, host);
}

const char *run_actor(const struct run *r)
{
    return crew_actor_user(&r->actor);
}

const char *run_actor_host(const struct run *r)
{
    return crew_actor_host(&r->actor);
}

void run_set_shared(struct run *r, bool shared)
{
    r->shared = shared;
}

bool run_shared(const struct run *r)
{
    return r->shared;
}

const struct crew *run_crew(const struct run *r)
{
    return &r->crew;
}

/* Where user is, as far as the run knows: their join, or this process's own user. */
static const char *host_of(const struct run *r, const char *user)
{
    const struct crew_person *p = crew_find(&r->crew, user);
    if (p != NULL && p->host != NULL) {
        return p->host;
    }
    if (r->actor.user != NULL && strcmp(r->actor.user, user) == 0) {
        return r->actor.host;
    }
    return strcmp(user, whoami_user()) == 0 ? whoami_host() : NULL;
}

/* Journal as user for a while (as_begin), then as before (as_end). */
static struct crew_actor as_begin(struct run *r, const char *user)
{
    struct crew_actor saved = r->actor;
    const char *host = host_of(r, user);
    r->actor = (struct crew_actor){0};
    crew_actor_set(&r->actor, user, host);
    return saved;
}

static void as_end(struct run *r, struct crew_actor saved)
{
    crew_actor_set(&r->actor, NULL, NULL);
    r->actor = saved;
}

/* ---- the two-person rule ---- */

static bool gated(const struct run *r, const struct rb_step *s)
{
    return r->shared && s != NULL && (s->type == RB_APPROVAL || s->two_person) && !run_reasking(r);
}

const char *run_approval_pending(const struct run *r)
{
    const struct rb_step *s = run_cur(r);
    const struct crew_request *q = &r->crew.request;
    bool here = s != NULL && q->user != NULL && q->step != NULL && strcmp(q->step, s->id) == 0;
    return here ? q->user : NULL;
}

static bool request(struct run *r, char **cause)
{
    const struct rb_step *s = run_cur(r);
    const char *asked = run_approval_pending(r);
    if (asked != NULL) {
        if (cause != NULL) {
            *cause = crew_waiting_text(asked);
        }
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "role", s->role != NULL ? s->role : "");
    if (!run_log_step(r, "approval.request", NULL, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    run_set_message(r, crew_waiting_text(run_actor(r)));
    run_changed(r);
    return true;
}

bool run_two_person_confirm(struct run *r, bool *ok, char **cause)
{
    if (!gated(r, run_cur(r))) {
        return false;
    }
    *ok = request(r, cause);
    return true;
}

bool run_approve(struct run *r, const char *approver, char **cause)
{
    if (!run_can_act(r, cause)) {
        return false;
    }
    const char *asked = run_approval_pending(r);
    if (asked == NULL) {
        set_cause(cause, "no approval is asked for on this step");
        return false;
    }
    char *by = str_trim(xstrdup(approver != NULL ? approver : ""));
    if (*by == '\0' || strcmp(by, asked) == 0) {
        if (cause != NULL) {
            *cause = *by == '\0' ? xstrdup("who approves?")
                                 : xasprintf("two-person rule: %s asked; another person must "
                                             "approve",
                                             asked);
        }
        free(by);
        return false;
    }
    const struct rb_step *s = run_cur(r);
    char *asker = xstrdup(asked);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "role", s->role != NULL ? s->role : "");
    cJSON_AddStringToObject(d, "by", by);
    cJSON_AddStringToObject(d, "requested_by", asker);
    struct crew_actor saved = as_begin(r, by);
    bool ok = run_log_step(r, "approval", by, d);
    as_end(r, saved);
    if (!ok) {
        set_cause(cause, r->message);
        run_changed(r);
    } else if (s->type == RB_APPROVAL) {
        run_step_succeeded(r, xasprintf("approved by %s (asked by %s)", by, asker), NULL);
    } else {
        /* the step itself is the driver's, who asked */
        saved = as_begin(r, asker);
        ok = step_kind_of(s->type)->start(r, cause);
        as_end(r, saved);
    }
    free(by);
    free(asker);
    return ok;
}

/* ---- people events (crew.h) ---- */

/* A claim's step: data's "step", or the current one; NULL with *cause. */
static const char *claim_step(struct run *r, enum runlog_kind kind, const cJSON *data, char **cause)
{
    const char *id = runlog_str(data, "step");
    const struct rb_step *cur = run_cur(r);
    id = id != NULL ? id : cur != NULL ? cur->id : NULL;
    if (id == NULL || runbook_find_step(r->rb, id) < 0) {
        if (cause != NULL) {
            *cause = id != NULL
                         ? xasprintf("%s: no step '%s' in this runbook", runlog_kind_name(kind), id)
                         : xasprintf("%s: which step?", runlog_kind_name(kind));
        }
        return NULL;
    }
    bool held = crew_holds(&r->crew, run_actor(r), id, -1);
    if (kind == RL_CLAIM && held) {
        if (cause != NULL) {
            *cause = xasprintf("claim: %s is already on step '%s'", run_actor(r), id);
        }
        return NULL;
    }
    if (kind == RL_UNCLAIM && !held) {
        if (cause != NULL) {
            *cause = xasprintf("unclaim: %s has no claim on step '%s'", run_actor(r), id);
        }
        return NULL;
    }
    return id;
}

static bool people_check(struct run *r, enum runlog_kind kind, const cJSON *data, char **cause)
{
    bool ended = r->state == RUN_DONE || r->state == RUN_ABORTED;
    if (ended && kind != RL_JOIN && kind != RL_LEAVE && kind != RL_ROLE) {
        set_cause(cause, "the run has ended");
        return false;
    }
    if (!crew_check(&r->crew, kind, data, run_actor(r), cause)) {
        return false;
    }
    const char *step = runlog_str(data, "step");
    if (kind == RL_PROPOSE && step != NULL && runbook_find_step(r->rb, step) < 0) {
        if (cause != NULL) {
            *cause = xasprintf("propose: no step '%s' in this runbook", step);
        }
        return false;
    }
    return true;
}

bool run_record_people(struct run *r, enum runlog_kind kind, cJSON *data, char **cause)
{
    if (kind == RL_APPROVAL_REQUEST) {
        cJSON_Delete(data);
        if (!gated(r, run_cur(r))) {
            set_cause(cause, !r->shared ? "the two-person rule holds in a shared run only"
                                        : "this step needs no second person");
            return false;
        }
        return run_can_act(r, cause) && request(r, cause);
    }
    if (data == NULL) {
        data = cJSON_CreateObject();
    }
    char *step = NULL;
    bool ok = people_check(r, kind, data, cause);
    if (ok && (kind == RL_CLAIM || kind == RL_UNCLAIM)) {
        const char *id = claim_step(r, kind, data, cause);
        step = id != NULL ? xstrdup(id) : NULL;
        ok = id != NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(data, "step");
    }
    if (!ok) {
        cJSON_Delete(data);
        free(step);
        return false;
    }
    ok = run_log(r, step, runlog_kind_name(kind), NULL, NULL, data);
    free(step);
    if (!ok) {
        set_cause(cause, r->message);
    }
    run_changed(r);
    return ok;
}
