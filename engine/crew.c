/*
 * Who is on a shared run (crew.h): one pass over the events, each applied
 * once, in order; a field of the wrong type is missing. A person leaving
 * drops their claims (nobody is on it any more). A handover accepted makes
 * the accepter the driver and the one who offered a participant, as the
 * owner applies it; a later role event says otherwise if it must.
 */
#include "crew.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"
#include "share.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

static void set(char **slot, const char *v)
{
    free(*slot);
    *slot = v != NULL ? xstrdup(v) : NULL;
}

static void proposal_clear(struct crew_proposal *p)
{
    free(p->user);
    free(p->step);
    free(p->text);
    *p = (struct crew_proposal){0};
}

static void request_clear(struct crew_request *q)
{
    free(q->user);
    free(q->step);
    free(q->role);
    *q = (struct crew_request){0};
}

static void claim_free(struct crew_claim *k)
{
    free(k->user);
    free(k->on);
}

void crew_finish(struct crew *c)
{
    for (size_t i = 0; i < c->npeople; i++) {
        free(c->people[i].user);
        free(c->people[i].host);
        free(c->people[i].role);
        free(c->people[i].left_reason);
    }
    free(c->people);
    for (size_t i = 0; i < c->nclaims; i++) {
        claim_free(&c->claims[i]);
    }
    free(c->claims);
    proposal_clear(&c->proposal);
    request_clear(&c->request);
    free(c->offer_from);
    free(c->offer_to);
    *c = (struct crew){0};
}

void crew_actor_set(struct crew_actor *a, const char *user, const char *host)
{
    char *u = user != NULL ? xstrdup(user) : NULL;
    char *h = user != NULL && host != NULL ? xstrdup(host) : NULL;
    free(a->user);
    free(a->host);
    a->user = u;
    a->host = h;
}

const char *crew_actor_user(const struct crew_actor *a)
{
    return a->user != NULL ? a->user : whoami_user();
}

const char *crew_actor_host(const struct crew_actor *a)
{
    return a->user != NULL ? a->host : whoami_host();
}

static struct crew_person *person(struct crew *c, const char *user)
{
    for (size_t i = 0; i < c->npeople; i++) {
        if (strcmp(c->people[i].user, user) == 0) {
            return &c->people[i];
        }
    }
    c->people = xreallocarray(c->people, c->npeople + 1, sizeof *c->people);
    struct crew_person *p = &c->people[c->npeople++];
    *p = (struct crew_person){.user = xstrdup(user)};
    return p;
}

static void drop_claims(struct crew *c, const char *user, const char *on, int expect, bool all)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->nclaims; i++) {
        struct crew_claim *k = &c->claims[i];
        bool mine = strcmp(k->user, user) == 0;
        if (mine && (all || (strcmp(k->on, on) == 0 && k->expect == expect))) {
            claim_free(k);
        } else {
            c->claims[kept++] = *k;
        }
    }
    c->nclaims = kept;
}

/* The step or inject a claim names, and the expectation (-1: none). */
static const char *claim_on(const struct runlog_event *ev, int *expect)
{
    double e = runlog_num(ev->data, "expect", -1);
    *expect = e >= 0 && e < 1e6 ? (int)e : -1;
    const char *inj = runlog_str(ev->data, "inject");
    return inj != NULL ? inj : ev->step;
}

static void apply_claim(struct crew *c, const struct runlog_event *ev)
{
    int expect;
    const char *on = claim_on(ev, &expect);
    if (on == NULL) {
        return;
    }
    drop_claims(c, ev->actor, on, expect, false);
    if (ev->kind == RL_CLAIM) {
        c->claims = xreallocarray(c->claims, c->nclaims + 1, sizeof *c->claims);
        c->claims[c->nclaims++] =
            (struct crew_claim){.user = xstrdup(ev->actor), .on = xstrdup(on), .expect = expect};
    }
}

static void apply_presence(struct crew *c, const struct runlog_event *ev)
{
    struct crew_person *p = person(c, ev->actor);
    if (ev->kind == RL_JOIN) {
        p->present = true;
        p->joined_ms = ev->ts_ms;
        p->left_ms = 0;
        set(&p->left_reason, NULL);
        set(&p->role, runlog_str(ev->data, "role"));
        if (ev->host != NULL) {
            set(&p->host, ev->host);
        }
        return;
    }
    p->present = false;
    p->left_ms = ev->ts_ms;
    set(&p->left_reason, runlog_str(ev->data, "reason"));
    drop_claims(c, ev->actor, NULL, 0, true);
    if (c->offer_to != NULL && strcmp(c->offer_to, ev->actor) == 0) {
        set(&c->offer_from, NULL);
        set(&c->offer_to, NULL);
    }
}

static void apply_handover(struct crew *c, const struct runlog_event *ev)
{
    const char *from = runlog_str(ev->data, "from");
    if (ev->kind == RL_HANDOVER_OFFER) {
        set(&c->offer_from, ev->actor);
        set(&c->offer_to, runlog_str(ev->data, "to"));
        return;
    }
    if (ev->kind == RL_HANDOVER_ACCEPT) {
        set(&person(c, ev->actor)->role, "driver");
        if (from != NULL) {
            set(&person(c, from)->role, "participant");
        }
    }
    set(&c->offer_from, NULL);
    set(&c->offer_to, NULL);
}

static void apply_propose(struct crew *c, const struct runlog_event *ev)
{
    proposal_clear(&c->proposal);
    const char *step = runlog_str(ev->data, "step");
    const char *text = runlog_str(ev->data, "text");
    c->proposal.user = xstrdup(ev->actor);
    c->proposal.step = step != NULL ? xstrdup(step) : NULL;
    c->proposal.text = text != NULL ? xstrdup(text) : NULL;
    c->proposal.ts_ms = ev->ts_ms;
}

/* What ends a pending request, or a proposal that was followed. */
static void apply_step(struct crew *c, const struct runlog_event *ev)
{
    bool same =
        ev->step != NULL && c->request.step != NULL && strcmp(ev->step, c->request.step) == 0;
    if (ev->kind == RL_STEP_ENTER || ev->kind == RL_RUN_END || ev->kind == RL_BACK ||
        ev->kind == RL_JUMP || same) {
        request_clear(&c->request);
    }
    if (ev->kind == RL_STEP_ENTER && c->proposal.step != NULL && ev->step != NULL &&
        strcmp(c->proposal.step, ev->step) == 0) {
        proposal_clear(&c->proposal);
    }
}

void crew_apply(struct crew *c, const struct runlog_event *ev)
{
    if (ev->live) {
        return;
    }
    switch (ev->kind) {
    case RL_STEP_ENTER:
    case RL_STEP_DONE:
    case RL_RUN_END:
    case RL_APPROVAL:
    case RL_BACK:
    case RL_JUMP:
        apply_step(c, ev);
        return;
    default:
        break;
    }
    if (!crew_kind(ev->kind) || ev->actor == NULL) {
        return;
    }
    switch (ev->kind) {
    case RL_JOIN:
    case RL_LEAVE:
        apply_presence(c, ev);
        break;
    case RL_ROLE: {
        const char *user = runlog_str(ev->data, "user");
        if (user != NULL) {
            set(&person(c, user)->role, runlog_str(ev->data, "role"));
        }
        break;
    }
    case RL_CLAIM:
    case RL_UNCLAIM:
        apply_claim(c, ev);
        break;
    case RL_PROPOSE:
        apply_propose(c, ev);
        break;
    case RL_APPROVAL_REQUEST:
        request_clear(&c->request);
        c->request.user = xstrdup(ev->actor);
        c->request.step = ev->step != NULL ? xstrdup(ev->step) : NULL;
        c->request.role =
            runlog_str(ev->data, "role") != NULL ? xstrdup(runlog_str(ev->data, "role")) : NULL;
        c->request.ts_ms = ev->ts_ms;
        break;
    default:
        apply_handover(c, ev);
        break;
    }
}

void crew_apply_journal(struct crew *c, const struct journal_event *ev)
{
    struct runlog_event e = {
        .kind = runlog_kind(ev->action),
        .action = ev->action,
        .ts_ms = clock_wall_ms(),
        .actor = ev->actor,
        .host = ev->host,
        .run = ev->run,
        .step = ev->step,
        .target = ev->target,
        .result = ev->result,
        .data = ev->data,
    };
    crew_apply(c, &e);
}

/* ---- what it shows ---- */

size_t crew_present(const struct crew *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->npeople; i++) {
        n += c->people[i].present ? 1 : 0;
    }
    return n;
}

const struct crew_person *crew_find(const struct crew *c, const char *user)
{
    for (size_t i = 0; user != NULL && i < c->npeople; i++) {
        if (strcmp(c->people[i].user, user) == 0) {
            return &c->people[i];
        }
    }
    return NULL;
}

bool crew_holds(const struct crew *c, const char *user, const char *on, int expect)
{
    for (size_t i = 0; i < c->nclaims; i++) {
        const struct crew_claim *k = &c->claims[i];
        if (k->expect == expect && strcmp(k->user, user) == 0 && strcmp(k->on, on) == 0) {
            return true;
        }
    }
    return false;
}

size_t crew_claimers(const struct crew *c, const char *on, int expect, const char **first)
{
    size_t n = 0;
    if (first != NULL) {
        *first = NULL;
    }
    for (size_t i = 0; on != NULL && i < c->nclaims; i++) {
        if (c->claims[i].expect == expect && strcmp(c->claims[i].on, on) == 0) {
            if (n++ == 0 && first != NULL) {
                *first = c->claims[i].user;
            }
        }
    }
    return n;
}

char *crew_claim_text(const struct crew *c, const char *on, int expect)
{
    const char *first;
    size_t n = crew_claimers(c, on, expect, &first);
    if (n == 0) {
        return NULL;
    }
    if (n == 1) {
        return xasprintf("%s is on it", first);
    }
    if (n > 2) {
        return xasprintf("%s and %zu others are on it", first, n - 1);
    }
    const char *second = NULL;
    for (size_t i = 0; i < c->nclaims && second == NULL; i++) {
        const struct crew_claim *k = &c->claims[i];
        if (k->expect == expect && strcmp(k->on, on) == 0 && strcmp(k->user, first) != 0) {
            second = k->user;
        }
    }
    return xasprintf("%s and %s are on it", first, second != NULL ? second : "?");
}

char *crew_presence_line(const struct crew *c, const char *sep)
{
    if (crew_present(c) < 2) {
        return NULL;
    }
    struct strbuf sb = {0};
    for (size_t i = 0; i < c->npeople; i++) {
        const struct crew_person *p = &c->people[i];
        if (p->present) {
            strbuf_printf(&sb, "%s%s %s", sb.n > 0 ? sep : "", p->user,
                          p->role != NULL ? p->role : "observer");
        }
    }
    return sb.s;
}

char *crew_proposal_text(const struct crew *c)
{
    const struct crew_proposal *q = &c->proposal;
    if (q->user == NULL) {
        return NULL;
    }
    if (q->text == NULL) {
        return xasprintf("%s proposes %s", q->user, q->step != NULL ? q->step : "?");
    }
    return xasprintf("%s proposes%s%s: %s", q->user, q->step != NULL ? " " : "",
                     q->step != NULL ? q->step : "", q->text);
}

char *crew_offer_text(const struct crew *c)
{
    if (c->offer_to == NULL) {
        return NULL;
    }
    return xasprintf("%s offers control to %s: waiting for an answer",
                     c->offer_from != NULL ? c->offer_from : "?", c->offer_to);
}

char *crew_waiting_text(const char *who)
{
    return xasprintf("approval asked by %s: waiting for a second person", who);
}

/* ---- the writers' checks ---- */

bool crew_kind(enum runlog_kind kind)
{
    switch (kind) {
    case RL_JOIN:
    case RL_LEAVE:
    case RL_ROLE:
    case RL_CLAIM:
    case RL_UNCLAIM:
    case RL_PROPOSE:
    case RL_HANDOVER_OFFER:
    case RL_HANDOVER_ACCEPT:
    case RL_HANDOVER_DECLINE:
    case RL_APPROVAL_REQUEST:
        return true;
    default:
        return false;
    }
}

static bool one_of(const char *v, const char *const *words)
{
    for (size_t i = 0; v != NULL && words[i] != NULL; i++) {
        if (strcmp(v, words[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool fail(char **cause, char *text)
{
    if (cause != NULL) {
        *cause = text;
    } else {
        free(text);
    }
    return false;
}

bool crew_check(const struct crew *c, enum runlog_kind kind, const cJSON *data, const char *actor,
                char **cause)
{
    static const char *const vias[] = {"unix", "nats", "local", NULL};
    static const char *const reasons[] = {"left", "gone", "dropped", NULL};
    enum share_role role;
    const char *name = runlog_kind_name(kind);
    if (actor == NULL || *actor == '\0') {
        return fail(cause, xasprintf("%s: nobody is named as who did it", name));
    }
    switch (kind) {
    case RL_JOIN:
        if (!share_role_parse(runlog_str(data, "role"), &role)) {
            return fail(cause, xstrdup("join: role must be observer, participant or driver"));
        }
        if (!one_of(runlog_str(data, "via"), vias)) {
            return fail(cause, xstrdup("join: via must be unix, nats or local"));
        }
        return true;
    case RL_LEAVE:
        return one_of(runlog_str(data, "reason"), reasons) ||
               fail(cause, xstrdup("leave: reason must be left, gone or dropped"));
    case RL_ROLE: {
        const char *user = runlog_str(data, "user");
        if (user == NULL || *user == '\0') {
            return fail(cause, xstrdup("role: whose role? (user)"));
        }
        return share_role_parse(runlog_str(data, "role"), &role) ||
               fail(cause, xstrdup("role: role must be observer, participant or driver"));
    }
    case RL_PROPOSE: {
        const char *step = runlog_str(data, "step"), *text = runlog_str(data, "text");
        return (step != NULL && *step != '\0') || (text != NULL && *text != '\0') ||
               fail(cause, xstrdup("propose: name a step or say what (step, text)"));
    }
    case RL_HANDOVER_OFFER: {
        const char *to = runlog_str(data, "to");
        if (to == NULL || *to == '\0') {
            return fail(cause, xstrdup("handover: to whom?"));
        }
        return strcmp(to, actor) != 0 ||
               fail(cause, xasprintf("handover: %s already drives", actor));
    }
    case RL_HANDOVER_ACCEPT:
    case RL_HANDOVER_DECLINE: {
        const char *from = runlog_str(data, "from");
        if (from == NULL || *from == '\0') {
            return fail(cause, xasprintf("%s: from whom? (from)", name));
        }
        if (c->offer_to == NULL || strcmp(c->offer_to, actor) != 0 ||
            strcmp(c->offer_from, from) != 0) {
            return fail(cause, xasprintf("%s: %s offered %s no control", name, from, actor));
        }
        return true;
    }
    default:
        return true;
    }
}
