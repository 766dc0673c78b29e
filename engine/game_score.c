/*
 * The score part of a running drill (game.h, docs/drills.md "Scores"):
 * when the team responded (a mark's at_ms), what ending early leaves "not
 * reached", warnings before the end and extending it, undoing a skip or a
 * mark. game.c's marks call in here; the score itself is computed from the
 * journal (drill_score.c) or the view (drillview_score), by the same rules.
 *
 * Journal: expect {..., at_ms} (status "not_reached" at the end for what was
 * not yet due), drill.extend {by_s}, inject.unskip {id}, undo {of_seq,
 * inject, index, status} (status: what the expectation is again).
 */
#include "gamestate.h"

#include "../common/util.h"
#include "runlog.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    WARN_FIRST_MS = 120000, /* the first warning before the end */
    WARN_LAST_MS = 30000,   /* the last one */
    EXTEND_MAX_S = 24 * 3600,
};

static void t_text(char buf[24], uint64_t ms)
{
    uint64_t s = ms / 1000;
    snprintf(buf, 24, "T+%02llu:%02llu", (unsigned long long)(s / 60),
             (unsigned long long)(s % 60));
}

const char *game_expect_status(enum expect_state st)
{
    static const char *const names[] = {"pending", "met", "late", "missed", "not_reached"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "missed";
}

void game_expect_json(cJSON *o, const struct drill_expect *x)
{
    if (x->role != NULL) {
        cJSON_AddStringToObject(o, "role", x->role);
    } else {
        cJSON_AddNullToObject(o, "role");
    }
    cJSON *tags = cJSON_AddArrayToObject(o, "tags");
    for (size_t t = 0; t < x->ntags; t++) {
        cJSON_AddItemToArray(tags, cJSON_CreateString(x->tags[t]));
    }
}

bool game_mark_time_ok(struct game *g, size_t inject, bool met, uint64_t *at_ms, char **cause)
{
    uint64_t now = game_clock_ms(g);
    if (*at_ms == GAME_AT_NOW || !met) {
        *at_ms = now;
        return true;
    }
    uint64_t fired = g->dv->inj[inject].fired_ms;
    char a[24], b[24];
    t_text(a, *at_ms);
    char *why = NULL;
    /* a time typed to the second: the second the inject fired, or this one, counts */
    if (*at_ms < fired && *at_ms / 1000 == fired / 1000) {
        *at_ms = fired;
    } else if (*at_ms > now && *at_ms / 1000 == now / 1000) {
        *at_ms = now;
    }
    if (*at_ms < fired) {
        t_text(b, fired);
        why = xasprintf("%s is before inject %zu fired (%s)", a, inject + 1, b);
    } else if (*at_ms > now) {
        t_text(b, now);
        why = xasprintf("%s has not come yet (the clock says %s)", a, b);
    }
    if (why != NULL) {
        set_cause(cause, why);
        free(why);
        return false;
    }
    return true;
}

void game_undo_push(struct game *g, size_t inject, size_t expect, enum expect_state before)
{
    g->undo = xreallocarray(g->undo, g->nundo + 1, sizeof *g->undo);
    g->undo[g->nundo++] = (struct game_undo){
        .inject = inject, .expect = expect, .before = before, .seq = runlog_last_seq(g->log)};
}

void game_start_score_data(cJSON *o, const struct drill *d)
{
    /* every inject with its expectations: the planned denominator and the roll-ups */
    cJSON *plan = cJSON_AddArrayToObject(o, "plan");
    for (size_t i = 0; i < d->ninjects; i++) {
        const struct drill_inject *in = &d->injects[i];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "id", in->id);
        cJSON_AddStringToObject(p, "title", in->title != NULL ? in->title : "");
        cJSON_AddNumberToObject(p, "at_s", in->at_s);
        cJSON *ex = cJSON_AddArrayToObject(p, "expects");
        for (size_t e = 0; e < in->nexpects; e++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "text", in->expects[e].text);
            cJSON_AddNumberToObject(x, "deadline_s", in->expects[e].deadline_s);
            cJSON_AddNumberToObject(x, "points", in->expects[e].points);
            game_expect_json(x, &in->expects[e]);
            cJSON_AddItemToArray(ex, x);
        }
        cJSON_AddItemToArray(plan, p);
    }
    cJSON *ids = cJSON_AddArrayToObject(o, "objective_ids");
    for (size_t i = 0; i < d->nobjectives; i++) {
        const char *id = d->objective_ids != NULL ? d->objective_ids[i] : NULL;
        cJSON_AddItemToArray(ids, id != NULL ? cJSON_CreateString(id) : cJSON_CreateNull());
    }
    cJSON *prompts = cJSON_AddArrayToObject(o, "prompts");
    for (size_t i = 0; i < drill_prompt_count(d); i++) {
        cJSON_AddItemToArray(prompts, cJSON_CreateString(drill_prompt(d, i)));
    }
    cJSON *pl = game_players_json(d->players);
    if (pl != NULL) {
        cJSON_AddItemToObject(o, "players", pl);
    }
}

cJSON *game_players_json(const char *spec)
{
    if (spec == NULL) {
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    char *copy = xstrdup(spec), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        char *role = str_trim(it), *who = str_trim(eq + 1);
        if (*role == '\0' || *who == '\0') {
            continue;
        }
        cJSON *list = cJSON_GetObjectItemCaseSensitive(o, role);
        if (list == NULL) {
            list = cJSON_AddArrayToObject(o, role);
        }
        cJSON_AddItemToArray(list, cJSON_CreateString(who));
    }
    free(copy);
    return o;
}

static char *start_players; /* game_players_set: for every drill this process starts */

void game_players_set(const char *spec)
{
    free(start_players);
    start_players = spec != NULL ? xstrdup(spec) : NULL;
}

static bool players_check(const struct drill *d, const char *spec, char **cause)
{
    cJSON *o = game_players_json(spec);
    size_t n = 0;
    bool ok = true;
    for (const cJSON *r = o != NULL ? o->child : NULL; r != NULL && ok; r = r->next, n++) {
        bool known = false;
        for (size_t i = 0; i < d->nroles && !known; i++) {
            known = strcmp(d->roles[i].id, r->string) == 0;
        }
        if (!known) {
            *cause = xasprintf("--players: '%s' is not a role of the drill", r->string);
            ok = false;
        }
    }
    if (ok && n == 0) {
        *cause = xstrdup("--players wants ROLE=NAME[,ROLE=NAME...], e.g. ic=alice,scribe=bob");
        ok = false;
    }
    cJSON_Delete(o);
    return ok;
}

bool game_players_take(struct drill *d, char **cause)
{
    if (start_players == NULL || d->players != NULL) {
        return true;
    }
    if (!players_check(d, start_players, cause)) {
        return false;
    }
    d->players = xstrdup(start_players);
    return true;
}

void game_warn_end(struct game *g, uint64_t t)
{
    uint64_t end = (uint64_t)g->d->duration_s * 1000;
    if (g->d->duration_s <= 0 || t >= end) {
        return;
    }
    uint64_t left = end - t;
    /* a warning as long as the drill itself says nothing: a 2-minute drill gets the 30 s one */
    int level = left <= WARN_LAST_MS && end > WARN_LAST_MS     ? 2
                : left <= WARN_FIRST_MS && end > WARN_FIRST_MS ? 1
                                                               : 0;
    if (level > g->end_warned) {
        g->end_warned = level;
        char at[24];
        t_text(at, end);
        game_set_message(g, xasprintf("%s left: the drill ends at %s (+5m extends it)",
                                      level == 2 ? "30 s" : "2 minutes", at));
    }
}

void game_mark_not_reached(struct game *g)
{
    if (g->d == NULL || !g->began) {
        return;
    }
    uint64_t t = game_clock_ms(g);
    for (size_t i = 0; i < g->d->ninjects; i++) {
        const struct drill_inject *in = &g->d->injects[i];
        if (g->dv->inj[i].state != INJECT_FIRED) {
            continue; /* a clock inject that never fired is not reached without a word */
        }
        for (size_t e = 0; e < in->nexpects; e++) {
            uint64_t due = g->dv->inj[i].fired_ms + (uint64_t)in->expects[e].deadline_s * 1000;
            if (g->dv->inj[i].ex[e] == EXPECT_PENDING) {
                bool reached = t >= due;
                game_journal_expect(g, i, e, reached ? EXPECT_MISSED : EXPECT_NOT_REACHED, NULL,
                                    reached ? due : t);
            }
        }
    }
}

static bool playing(const struct game *g, char **cause)
{
    if (g->d == NULL || (g->state != GAME_RUNNING && g->state != GAME_PAUSED)) {
        set_cause(cause, "the drill is not running");
        return false;
    }
    return true;
}

bool game_extend(struct game *g, int by_s, char **cause)
{
    if (!playing(g, cause)) {
        return false;
    }
    if (g->d->duration_s <= 0) {
        set_cause(cause, "the drill has no duration: nothing to extend");
        return false;
    }
    if (by_s <= 0 || by_s > EXTEND_MAX_S) {
        set_cause(cause, "extend by 1 s to 24 h (+5m, +90s)");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "by_s", by_s);
    if (!game_log(g, NULL, "drill.extend", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    g->d->duration_s += by_s;
    game_plans_extend(g, by_s);
    g->end_warned = 0;
    char at[24];
    t_text(at, (uint64_t)g->d->duration_s * 1000);
    game_set_message(g, xasprintf("extended: the drill ends at %s", at));
    game_changed(g);
    return true;
}

void game_plans_extend(struct game *g, int by_s)
{
    for (size_t i = 0; by_s > 0 && by_s <= EXTEND_MAX_S && i < g->nplans; i++) {
        struct plan *p = &g->plans[i];
        p->ttl_s += p->ttl_extends && !p->resolved ? by_s : 0;
    }
}

void game_apply_extend(struct drill *d, const struct runlog_event *ev)
{
    int by = runlog_int(ev->data, "by_s", 0);
    if (d != NULL && by > 0 && by <= EXTEND_MAX_S && d->duration_s > 0) {
        d->duration_s += by;
    }
}

bool game_unskip(struct game *g, size_t inject, char **cause)
{
    if (!playing(g, cause)) {
        return false;
    }
    if (inject >= g->d->ninjects || g->dv->inj[inject].state != INJECT_SKIPPED) {
        set_cause(cause, "only a skipped inject can be unskipped");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", g->d->injects[inject].id);
    if (!game_log(g, g->d->injects[inject].id, "inject.unskip", NULL, NULL, d)) {
        set_cause(cause, g->message);
        return false;
    }
    g->dv->inj[inject].state = INJECT_PENDING;
    game_changed(g);
    game_tick(g); /* due already: it fires now */
    return true;
}

/* Take a mark back: the expectation is as it was before it (journaled as undo). */
static bool undo_mark(struct game *g, const struct game_undo *u, char **cause)
{
    const struct drill_inject *in = &g->d->injects[u->inject];
    enum expect_state now = g->dv->inj[u->inject].ex[u->expect];
    if (now == EXPECT_NOT_REACHED || now == EXPECT_PENDING) {
        set_cause(cause, "that mark cannot be undone any more");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", in->id);
    cJSON_AddNumberToObject(d, "index", (double)u->expect);
    cJSON_AddStringToObject(d, "status", game_expect_status(u->before));
    cJSON_AddNumberToObject(d, "of_seq", (double)u->seq);
    if (!game_log(g, in->id, "undo", NULL, game_expect_status(u->before), d)) {
        set_cause(cause, g->message);
        return false;
    }
    g->dv->inj[u->inject].ex[u->expect] = u->before;
    return true;
}

bool game_undo(struct game *g, char **what, char **cause)
{
    if (!playing(g, cause)) {
        return false;
    }
    if (g->nundo == 0) {
        set_cause(cause, "nothing to undo (a skip or a mark of this session)");
        return false;
    }
    struct game_undo u = g->undo[g->nundo - 1];
    bool ok;
    if (u.expect == SIZE_MAX) {
        ok = game_unskip(g, u.inject, cause);
        if (ok) {
            *what = xasprintf("inject %zu unskipped", u.inject + 1);
        }
    } else {
        ok = undo_mark(g, &u, cause);
        if (ok) {
            *what = xasprintf("expectation %zu.%zu is %s again", u.inject + 1, u.expect + 1,
                              game_expect_status(u.before));
            game_changed(g);
        }
    }
    if (ok) {
        g->nundo--;
    }
    return ok;
}

bool game_score_cmd(struct game *g, const char *cmd, int inject, const cJSON *args, char **cause)
{
    if (strcmp(cmd, "undo") == 0) {
        char *what = NULL;
        bool ok = game_undo(g, &what, cause);
        if (ok) {
            game_set_message(g, xasprintf("undone: %s", what));
        }
        free(what);
        return ok;
    }
    if (strcmp(cmd, "extend") == 0) {
        return game_extend(g, runlog_int(args, "by_s", 0), cause);
    }
    if (inject < 0) {
        set_cause(cause, "which inject? (its id)");
        return false;
    }
    return game_unskip(g, (size_t)inject, cause);
}

bool game_debrief_answered(const struct game *g, size_t i)
{
    if (g->d == NULL || i >= drill_prompt_count(g->d) || game_journal(g) == NULL) {
        return false;
    }
    size_t n = 0;
    char *why = NULL;
    cJSON **ev = runlog_read(game_journal(g), &n, &why);
    free(why);
    bool yes = false;
    for (size_t k = 0; ev != NULL && k < n && !yes; k++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev[k], "data");
        const char *a = runlog_str(ev[k], "action"), *q = runlog_str(d, "question");
        const char *ans = runlog_str(d, "answer");
        yes = a != NULL && strcmp(a, "debrief") == 0 && q != NULL &&
              strcmp(q, drill_prompt(g->d, i)) == 0 && ans != NULL && ans[0] != '\0';
    }
    runlog_free(ev, n);
    return yes;
}
