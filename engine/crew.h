/*
 * Who is on a shared run or drill (docs/war-room.md), from its journal alone:
 * the people and their roles, what each one claims ("bob is on it"), the
 * latest proposal, a pending handover offer and a pending approval request
 * (the two-person rule). Both views (runview.h, drillview.h) and the owner's
 * run and game keep one, fed with every event; the reports read the same
 * events (report_people.c).
 *
 * Events (docs/runbooks.md "Journal events"); the actor of each is who did it:
 *   join {role, via}        the actor joined (the owner's own join too)
 *   leave {reason}          left, gone (its connection died), dropped
 *   role {user, role}       the driver gave user a role
 *   claim / unclaim         runbook: step = the step id; drill: data
 *                           {inject, expect: INDEX or absent}
 *   propose {step, text}    the next step the actor proposes
 *   handover.offer {to}     handover.accept {from}     handover.decline {from}
 *   approval.request {role} on step; approval {by, requested_by} ends it, and
 *                           so do step.enter, step.done of that step, run.end.
 * Nothing here refuses anything: crew_check() is what the writers ask first.
 * No I/O.
 */
#ifndef OPSDECK_CREW_H
#define OPSDECK_CREW_H

#include "runlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

struct crew_person {
    char *user;
    char *host; /* NULL: unknown */
    char *role; /* "observer", "participant", "driver" (as journaled) */
    int64_t joined_ms;
    int64_t left_ms; /* 0 while present */
    char *left_reason;
    bool present;
};

struct crew_claim {
    char *user;
    char *on;   /* the runbook step id, or the drill inject id */
    int expect; /* the drill expectation's index; -1: the step or inject itself */
};

struct crew_proposal {
    char *user;
    char *step; /* NULL: none named */
    char *text; /* NULL: none */
    int64_t ts_ms;
};

struct crew_request {
    char *user; /* who asked */
    char *step;
    char *role; /* NULL: none named */
    int64_t ts_ms;
};

/* Read-only outside crew.c. */
struct crew {
    struct crew_person *people; /* in the order they first appeared */
    size_t npeople;
    struct crew_claim *claims;
    size_t nclaims;
    struct crew_proposal proposal; /* user NULL: none */
    char *offer_from, *offer_to;   /* a handover offered and not answered; NULL: none */
    struct crew_request request;   /* user NULL: none pending */
};

void crew_finish(struct crew *c); /* frees what c holds; c is empty after */

/*
 * Who a writer's journal lines are by now (run_set_actor, game_set_actor):
 * user NULL is this process's own user and host (whoami).
 */
struct crew_actor {
    char *user, *host;
};
void crew_actor_set(struct crew_actor *a, const char *user, const char *host); /* NULL: reset */
const char *crew_actor_user(const struct crew_actor *a);
const char *crew_actor_host(const struct crew_actor *a);
/* Apply one event (any kind: those that are not about people are ignored). */
void crew_apply(struct crew *c, const struct runlog_event *ev);
/* The same for a line its writer has just journaled (now). */
struct journal_event;
void crew_apply_journal(struct crew *c, const struct journal_event *ev);

/* How many people are present now. */
size_t crew_present(const struct crew *c);
/* user's entry (present or not), NULL when never seen. */
const struct crew_person *crew_find(const struct crew *c, const char *user);
/*
 * Who claims on (a step or inject id) with expect (-1: itself): how many
 * (*first: the first one's name, may be NULL).
 */
size_t crew_claimers(const struct crew *c, const char *on, int expect, const char **first);
/* Does user claim on (a step or inject id) with expect (-1: itself)? */
bool crew_holds(const struct crew *c, const char *user, const char *on, int expect);
/* "bob is on it", "bob and carol are on it", "bob and 2 others are on it"; NULL: nobody. */
char *crew_claim_text(const struct crew *c, const char *on, int expect);
/*
 * One line of who is present with which role ("alice driver · bob
 * participant"; sep between people), NULL when one person or nobody is:
 * a run nobody follows shows nothing new.
 */
char *crew_presence_line(const struct crew *c, const char *sep);

/* "bob proposes close: skip to the end", "bob proposes: fire it now"; NULL: none. */
char *crew_proposal_text(const struct crew *c);
/* "alice offers control to bob: waiting for an answer"; NULL: no offer pending. */
char *crew_offer_text(const struct crew *c);
/* "approval asked by alice: waiting for a second person" (caller frees). */
char *crew_waiting_text(const char *who);

/*
 * The checks every writer makes before it journals one of these kinds
 * (run_record, game_record): the fields it needs, words it knows (roles,
 * via, reasons), nobody handing over to themselves, an answer to a handover
 * only from the one it was offered to (c: what the run holds now). actor: who
 * asks. The step or inject a claim names is the writer's to check. false
 * with *cause.
 */
bool crew_check(const struct crew *c, enum runlog_kind kind, const struct cJSON *data,
                const char *actor, char **cause);
/* Is kind one of the people events above (approval.request included)? */
bool crew_kind(enum runlog_kind kind);

#endif
