/*
 * The after-action report of a drill (docs/drills.md "The after-action
 * report"), from its journal alone.
 *
 * A drill run's journal carries data.t_ms, the drill clock, on every event:
 * the timeline is at T+mm:ss. Expectations, checks and chaos actions are
 * collected as the events go by and rendered as tables after the timeline;
 * a rollback that failed or never ran is listed on its own, plainly.
 */
#include "report_score.h"

#include "../common/json.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dr_inject {
    const char *id, *title;
    int64_t fired_ms;     /* drill time; -1: not fired */
    const cJSON *expects; /* [{text, deadline_s, points}] as fired, or NULL */
};

struct dr_expect {
    const char *inject, *text, *status, *by;
    double points, max; /* max < 0: not journaled */
    int64_t t_ms;
};

struct dr_check {
    const char *id, *when;
    int runs, failures, unknowns;
    bool last_ok, last_unknown;
    const char *last_reason, *first_failure;
    int64_t first_failure_ms;
};

struct dr_chaos {
    const char *inject;
    double index;
    const char *action, *rollback, *message, *rb_message;
    int ok;    /* chaos.end: 1 ok, 0 failed, -1 none */
    int rb_ok; /* rollback.end: 1, 0, -1 none */
    bool rb_started;
    const char *gave_up_by; /* rollback.giveup: who gave it up, or NULL */
    bool not_applied;       /* chaos.end applied: false: it changed nothing, nothing to restore */
};

struct dr_note {
    const char *text, *section, *actor;
    int64_t t_ms;
};

struct drill_report {
    struct strbuf timeline;
    const char *title, *path, *how, *abort_why;
    const cJSON *roles, *objectives;
    char *starter;
    char **actors;
    size_t nactors;
    int64_t start_ms, end_ms, last_ms, t_ms, end_t_ms;
    bool started;
    struct dr_inject *injects;
    size_t ninjects;
    struct dr_expect *expects;
    size_t nexpects;
    struct dr_check *checks;
    size_t nchecks;
    struct dr_chaos *chaos;
    size_t nchaos;
    struct dr_chaos *last_rollback; /* rollback.end has no inject in the documented data */
    struct dr_note *notes;
    size_t nnotes;
    const char **questions, **answers;
    size_t ndebrief;
};

/* Grow an array by one zeroed element; returns it. */
static void *dr_push(void *v, size_t *n, size_t size)
{
    char *p = xreallocarray(v, *n + 1, size);
    memset(p + *n * size, 0, size);
    (*n)++;
    return p;
}

static void fmt_t(char buf[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s >= 6000) {
        snprintf(buf, 32, "T+%lldh%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    } else {
        snprintf(buf, 32, "T+%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
    }
}

static struct dr_inject *dr_inject(struct drill_report *r, const char *id)
{
    for (size_t i = 0; id != NULL && i < r->ninjects; i++) {
        if (strcmp(r->injects[i].id, id) == 0) {
            return &r->injects[i];
        }
    }
    return NULL;
}

static const char *dr_inject_title(struct drill_report *r, const char *id)
{
    struct dr_inject *in = dr_inject(r, id);
    return in != NULL && in->title != NULL && in->title[0] != '\0' ? in->title
           : id != NULL                                            ? id
                                                                   : "?";
}

static struct dr_chaos *dr_chaos(struct drill_report *r, const cJSON *data, bool create)
{
    const char *inject = md_str(data, "inject");
    double index = -1;
    md_num(data, "index", &index);
    if (inject == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < r->nchaos; i++) {
        if (strcmp(r->chaos[i].inject, inject) == 0 && r->chaos[i].index == index) {
            return &r->chaos[i];
        }
    }
    if (!create) {
        return NULL;
    }
    r->chaos = dr_push(r->chaos, &r->nchaos, sizeof *r->chaos);
    struct dr_chaos *c = &r->chaos[r->nchaos - 1];
    c->inject = inject;
    c->index = index;
    c->ok = -1;
    c->rb_ok = -1;
    return c;
}

static void dr_item(struct drill_report *r, int64_t ms)
{
    char t[32], clock[16];
    fmt_t(t, r->t_ms);
    md_clock(clock, ms);
    strbuf_printf(&r->timeline, "- %s (%s) ", t, clock);
}

static void dr_quoted(struct strbuf *sb, const char *s)
{
    strbuf_str(sb, "\"");
    md_inline(sb, s != NULL ? s : "");
    strbuf_str(sb, "\"");
}

static void dr_run_start(struct drill_report *r, const cJSON *ev, const cJSON *data)
{
    r->title = md_str(data, "title");
    r->path = md_str(data, "drill");
    r->roles = cJSON_GetObjectItemCaseSensitive(data, "roles");
    r->objectives = cJSON_GetObjectItemCaseSensitive(data, "objectives");
    const char *actor = md_str(ev, "actor");
    const char *host = md_str(ev, "host");
    free(r->starter);
    r->starter = xasprintf("%s@%s", actor ? actor : "unknown", host ? host : "unknown");
    strbuf_printf(&r->timeline, "drill opened by %s\n", r->starter);
}

/* A check on the timeline; false for a passing during check (summarised after it instead). */
static bool dr_check(struct drill_report *r, const cJSON *data)
{
    const char *id = md_str(data, "id");
    const char *when = md_str(data, "when");
    const char *reason = md_str(data, "reason");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok"));
    bool unknown = !ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "unknown"));
    struct dr_check *c = NULL;
    id = id != NULL ? id : "?";
    when = when != NULL ? when : "?";
    for (size_t i = 0; i < r->nchecks && c == NULL; i++) {
        if (strcmp(r->checks[i].id, id) == 0 && strcmp(r->checks[i].when, when) == 0) {
            c = &r->checks[i];
        }
    }
    if (c == NULL) {
        r->checks = dr_push(r->checks, &r->nchecks, sizeof *r->checks);
        c = &r->checks[r->nchecks - 1];
        c->id = id;
        c->when = when;
    }
    c->runs++;
    c->last_ok = ok;
    c->last_unknown = unknown;
    c->last_reason = reason;
    /* unknown (no fresh data to say) is neither a pass nor a failure */
    c->unknowns += unknown;
    if (!ok && !unknown && c->failures++ == 0) {
        c->first_failure = reason;
        c->first_failure_ms = r->t_ms;
    }
    if (ok && strcmp(when, "during") == 0) {
        return false;
    }
    strbuf_printf(&r->timeline, "check %s ", when);
    dr_quoted(&r->timeline, id);
    strbuf_str(&r->timeline, ok ? ": ok" : unknown ? ": UNKNOWN" : ": FAILED");
    if (reason != NULL && reason[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        md_inline(&r->timeline, reason);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
    return true;
}

static void dr_fire(struct drill_report *r, const cJSON *data)
{
    const char *id = md_str(data, "id");
    const char *why = md_str(data, "why");
    const char *channel = md_str(data, "channel");
    struct dr_inject *in = dr_inject(r, id);
    if (in == NULL && id != NULL) {
        r->injects = dr_push(r->injects, &r->ninjects, sizeof *r->injects);
        in = &r->injects[r->ninjects - 1];
        in->id = id;
    }
    if (in != NULL) {
        in->title = md_str(data, "title");
        in->fired_ms = r->t_ms;
        in->expects = cJSON_GetObjectItemCaseSensitive(data, "expects");
    }
    strbuf_str(&r->timeline, "inject ");
    dr_quoted(&r->timeline, dr_inject_title(r, id));
    strbuf_str(&r->timeline, " to ");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(data, "to");
    const cJSON *it;
    const char *sep = "";
    cJSON_ArrayForEach(it, to)
    {
        if (cJSON_IsString(it)) {
            strbuf_str(&r->timeline, sep);
            md_inline(&r->timeline, it->valuestring);
            sep = ", ";
        }
    }
    strbuf_str(&r->timeline, sep[0] == '\0' ? "everyone" : "");
    strbuf_str(&r->timeline, " by ");
    md_inline(&r->timeline, channel != NULL ? channel : "announce");
    if (why != NULL && strcmp(why, "clock") != 0) {
        strbuf_str(&r->timeline, strcmp(why, "early") == 0 ? ", fired early" : ", as a ");
        if (strcmp(why, "early") != 0) {
            md_inline(&r->timeline, why);
        }
    }
    strbuf_str(&r->timeline, "\n");
}

static void dr_expect(struct drill_report *r, const cJSON *data)
{
    r->expects = dr_push(r->expects, &r->nexpects, sizeof *r->expects);
    struct dr_expect *e = &r->expects[r->nexpects - 1];
    e->inject = md_str(data, "inject");
    e->text = md_str(data, "text");
    e->status = md_str(data, "status");
    e->status = e->status != NULL ? e->status : "?";
    e->by = md_str(data, "by");
    e->t_ms = r->t_ms;
    e->max = -1;
    md_num(data, "points", &e->points);
    md_num(data, "max", &e->max);
    strbuf_str(&r->timeline, "expectation ");
    md_inline(&r->timeline, e->status);
    strbuf_str(&r->timeline, ": ");
    dr_quoted(&r->timeline, e->text);
    strbuf_printf(&r->timeline, " (%g point%s", e->points, e->points == 1 ? "" : "s");
    if (e->by != NULL && e->by[0] != '\0') {
        strbuf_str(&r->timeline, ", by ");
        md_inline(&r->timeline, e->by);
    }
    strbuf_str(&r->timeline, ")\n");
}

static void dr_chaos_event(struct drill_report *r, const char *action, const cJSON *ev,
                           const cJSON *data)
{
    const char *message = md_str(data, "message");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok"));
    if (strcmp(action, "chaos.plan") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->action = md_str(data, "action");
            c->rollback = md_str(data, "rollback");
        }
        strbuf_str(&r->timeline, "chaos planned: ");
        md_code_span(&r->timeline, md_str(data, "action") ? md_str(data, "action") : "?");
        strbuf_str(&r->timeline, ", its rollback journaled first: ");
        md_code_span(&r->timeline, md_str(data, "rollback") ? md_str(data, "rollback") : "?");
    } else if (strcmp(action, "chaos.end") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->ok = ok;
            c->message = message;
            c->not_applied = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(data, "applied"));
            c->action = c->action != NULL ? c->action : md_str(data, "action"); /* no plan */
        }
        strbuf_str(&r->timeline, "chaos ");
        md_code_span(&r->timeline, c != NULL && c->action != NULL ? c->action : "?");
        strbuf_str(&r->timeline, ok ? ": done" : ": FAILED");
    } else if (strcmp(action, "rollback.start") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->rb_started = true;
            c->rollback = md_str(data, "action") ? md_str(data, "action") : c->rollback;
        }
        r->last_rollback = c != NULL ? c : r->last_rollback;
        strbuf_str(&r->timeline, "rollback: ");
        md_code_span(&r->timeline, md_str(data, "action") ? md_str(data, "action") : "?");
    } else if (strcmp(action, "chaos.skip") == 0) {
        strbuf_str(&r->timeline, "chaos of inject ");
        md_code_span(&r->timeline, md_str(data, "inject") ? md_str(data, "inject") : "?");
        strbuf_str(&r->timeline, " not run: ");
        md_inline(&r->timeline, md_str(data, "why") ? md_str(data, "why") : "declined");
        strbuf_str(&r->timeline, "\n");
        return;
    } else if (strcmp(action, "rollback.giveup") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, false);
        const char *by = md_str(ev, "actor") != NULL ? md_str(ev, "actor") : "?";
        if (c != NULL) {
            c->gave_up_by = by;
        }
        strbuf_str(&r->timeline, "rollback ");
        md_code_span(&r->timeline, c != NULL && c->rollback != NULL ? c->rollback : "?");
        strbuf_str(&r->timeline, ": given up by ");
        md_inline(&r->timeline, by);
        strbuf_str(&r->timeline, " (to be put back by hand)\n");
        return;
    } else {
        /* rollback.end names its chaos when the game says so, else it ends the last started */
        struct dr_chaos *c = dr_chaos(r, data, false);
        c = c != NULL ? c : r->last_rollback;
        if (c != NULL) {
            c->rb_ok = ok;
            c->rb_message = message;
        }
        strbuf_str(&r->timeline, "rollback ");
        md_code_span(&r->timeline, c != NULL && c->rollback != NULL ? c->rollback : "?");
        strbuf_str(&r->timeline, ok ? ": rolled back" : ": FAILED, not restored");
    }
    if (message != NULL && message[0] != '\0' && strcmp(action, "chaos.plan") != 0) {
        strbuf_str(&r->timeline, " (");
        md_inline(&r->timeline, message);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void dr_note(struct drill_report *r, const cJSON *ev, const cJSON *data)
{
    r->notes = dr_push(r->notes, &r->nnotes, sizeof *r->notes);
    struct dr_note *n = &r->notes[r->nnotes - 1];
    n->text = md_str(data, "text");
    n->text = n->text != NULL ? n->text : "";
    n->section = md_str(data, "section");
    n->actor = md_str(ev, "actor");
    n->t_ms = r->t_ms;
    strbuf_str(&r->timeline, "note");
    if (n->section != NULL && n->section[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        md_inline(&r->timeline, n->section);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, ": ");
    md_inline(&r->timeline, n->text);
    strbuf_str(&r->timeline, "\n");
}

static void dr_debrief(struct drill_report *r, const cJSON *data)
{
    size_t n = r->ndebrief;
    r->questions = dr_push(r->questions, &n, sizeof *r->questions);
    n = r->ndebrief;
    r->answers = dr_push(r->answers, &n, sizeof *r->answers);
    r->questions[r->ndebrief] = md_str(data, "question");
    r->answers[r->ndebrief] = md_str(data, "answer");
    strbuf_str(&r->timeline, "debrief: ");
    dr_quoted(&r->timeline, r->questions[r->ndebrief]);
    strbuf_str(&r->timeline, " answered\n");
    r->ndebrief++;
}

static void dr_other(struct drill_report *r, const char *action, const cJSON *ev, const cJSON *data,
                     int64_t ms)
{
    if (strcmp(action, "drill.start") == 0) {
        r->started = true;
        strbuf_str(&r->timeline, "drill clock started\n");
    } else if (strcmp(action, "drill.pause") == 0) {
        strbuf_str(&r->timeline, "drill paused\n");
    } else if (strcmp(action, "drill.resume") == 0) {
        strbuf_str(&r->timeline, "drill resumed\n");
    } else if (strcmp(action, "inject.skip") == 0) {
        strbuf_str(&r->timeline, "inject ");
        dr_quoted(&r->timeline, dr_inject_title(r, md_str(data, "id")));
        strbuf_str(&r->timeline, " skipped\n");
    } else if (strcmp(action, "drill.abort") == 0) {
        r->abort_why = md_str(data, "why");
        strbuf_str(&r->timeline, "DRILL ABORTED: ");
        md_inline(&r->timeline, r->abort_why != NULL ? r->abort_why : "(no reason given)");
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "run.end") == 0) {
        r->how = md_str(data, "how");
        r->how = r->how != NULL ? r->how : "finished";
        r->end_ms = ms;
        r->end_t_ms = r->t_ms;
        strbuf_str(&r->timeline, "drill ");
        md_inline(&r->timeline, r->how);
        strbuf_str(&r->timeline, "\n");
    } else if (report_people_line(&r->timeline, action, ev, data)) {
        /* join, leave, claim...: said by report_people.c */
    } else if (report_drill_extra_line(&r->timeline, action, data)) {
        /* drill.draw, choice: said by report_inject.c */
    } else if (strcmp(action, "run.resume") == 0 || strcmp(action, "drill.recover") == 0) {
        const char *actor = md_str(ev, "actor");
        strbuf_printf(&r->timeline, "run resumed by %s\n", actor != NULL ? actor : "unknown");
    } else {
        const char *result = md_str(ev, "result");
        md_inline(&r->timeline, action);
        if (result != NULL && result[0] != '\0') {
            strbuf_str(&r->timeline, ": ");
            md_inline(&r->timeline, result);
        }
        strbuf_str(&r->timeline, "\n");
    }
}

static void dr_actor(struct drill_report *r, const cJSON *ev)
{
    md_actor(&r->actors, &r->nactors, ev);
}

static void dr_event(struct drill_report *r, const cJSON *ev, int64_t ms)
{
    const char *action = md_str(ev, "action");
    const cJSON *data = json_obj(ev, "data");
    double t;
    action = action != NULL ? action : "(no action)";
    if (md_num(data, "t_ms", &t) && t >= 0 && t < 1e15) {
        r->t_ms = (int64_t)t; /* an event without it happened at the clock of the one before */
    }
    dr_actor(r, ev);
    r->last_ms = ms;
    size_t at = r->timeline.n;
    dr_item(r, ms);
    if (strcmp(action, "run.start") == 0) {
        dr_run_start(r, ev, data);
    } else if (strcmp(action, "check") == 0) {
        if (!dr_check(r, data)) {
            r->timeline.n = at; /* check noise: summarised after the timeline */
            r->timeline.s[at] = '\0';
        }
    } else if (strcmp(action, "inject.fire") == 0) {
        dr_fire(r, data);
    } else if (strcmp(action, "expect") == 0) {
        dr_expect(r, data);
    } else if (strncmp(action, "chaos.", 6) == 0 || strncmp(action, "rollback.", 9) == 0) {
        dr_chaos_event(r, action, ev, data);
    } else if (strcmp(action, "notify") == 0) {
        md_notify(&r->timeline, data);
    } else if (strcmp(action, "note") == 0) {
        dr_note(r, ev, data);
    } else if (strcmp(action, "debrief") == 0) {
        dr_debrief(r, data);
    } else {
        dr_other(r, action, ev, data, ms);
    }
}

static void dr_header(struct strbuf *out, const struct drill_report *r, const char *run_id)
{
    char date[80], d[32], t[32];
    strbuf_str(out, "# Drill report: ");
    md_inline(out, r->title != NULL && r->title[0] != '\0' ? r->title : run_id);
    strbuf_str(out, "\n\n- Drill: ");
    md_inline(out, r->path != NULL ? r->path : "(unknown)");
    strbuf_str(out, "\n- Run: ");
    md_inline(out, run_id);
    strbuf_str(out, "\n- Facilitated from: ");
    md_inline(out, r->starter != NULL ? r->starter : "(unknown)");
    for (size_t i = 0; i < r->nactors; i++) {
        if (r->starter == NULL || strcmp(r->actors[i], r->starter) != 0) {
            strbuf_str(out, ", ");
            md_inline(out, r->actors[i]);
        }
    }
    md_date(date, r->start_ms);
    strbuf_printf(out, "\n- Started: %s\n", date);
    if (r->how != NULL) {
        md_date(date, r->end_ms);
        md_dur(d, r->end_ms - r->start_ms);
        fmt_t(t, r->end_t_ms);
        strbuf_printf(out, "- Ended: %s, after %s (drill clock %s)\n- Outcome: ", date, d, t);
        md_inline(out, r->how);
        if (r->abort_why != NULL) {
            strbuf_str(out, " (");
            md_inline(out, r->abort_why);
            strbuf_str(out, ")");
        }
        strbuf_str(out, "\n");
    } else {
        md_date(date, r->last_ms);
        strbuf_printf(out, "- Ended: not yet (last event %s)\n- Outcome: still open%s\n", date,
                      r->started ? "" : ", the drill clock never started");
    }
}

/* Who played a role: the names given at start (--players), then who joined with it; once each. */
static void dr_people(struct strbuf *out, const char *role, const struct md_line *lines, size_t n)
{
    const char **seen = xcalloc(n + 1, sizeof *seen);
    size_t nseen = 0;
    for (size_t i = 0; i < n && role != NULL; i++) {
        const char *action = md_str(lines[i].obj, "action");
        const cJSON *d = json_obj(lines[i].obj, "data"), *p;
        const cJSON *given = action != NULL && strcmp(action, "run.start") == 0
                                 ? json_arr(json_obj(d, "players"), role)
                                 : NULL;
        const char *who = action == NULL                ? NULL
                          : strcmp(action, "join") == 0 ? md_str(lines[i].obj, "actor")
                          : strcmp(action, "role") == 0 ? md_str(d, "user")
                                                        : NULL;
        const char *as = md_str(d, "role");
        if (who != NULL && as != NULL && strcmp(as, role) == 0) {
            seen[nseen++] = who;
        }
        cJSON_ArrayForEach(p, given)
        {
            if (cJSON_IsString(p)) {
                seen = xreallocarray(seen, nseen + n + 1, sizeof *seen);
                seen[nseen++] = p->valuestring;
            }
        }
    }
    for (size_t i = 0; i < nseen; i++) {
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) {
            dup = strcmp(seen[k], seen[i]) == 0;
        }
        if (!dup) {
            strbuf_str(out, i > 0 ? ", " : "");
            md_cell(out, seen[i]);
        }
    }
    strbuf_str(out, nseen == 0 ? "-" : "");
    free(seen);
}

static void dr_roles(struct strbuf *out, const struct drill_report *r, const struct md_line *lines,
                     size_t n)
{
    strbuf_str(out, "\n## Participants by role\n\n");
    if (cJSON_GetArraySize(r->roles) == 0) {
        strbuf_str(out, "(no roles recorded)\n");
        return;
    }
    strbuf_str(out, "| role | who | part | people |\n|---|---|---|---|\n");
    const cJSON *it;
    cJSON_ArrayForEach(it, r->roles)
    {
        const char *id = md_str(it, "id");
        const char *name = md_str(it, "name");
        bool fac = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "facilitator"));
        bool obs = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "observer"));
        strbuf_str(out, "| ");
        md_cell(out, id != NULL ? id : (cJSON_IsString(it) ? it->valuestring : "?"));
        strbuf_str(out, " | ");
        md_cell(out, name != NULL ? name : "");
        strbuf_printf(out, " | %s | ", fac ? "facilitator" : obs ? "observer" : "plays");
        dr_people(out, id, lines, n);
        strbuf_str(out, " |\n");
    }
}

static void dr_objectives(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Objectives\n\n");
    bool any = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, r->objectives)
    {
        if (cJSON_IsString(it)) {
            strbuf_str(out, "- ");
            md_inline(out, it->valuestring);
            strbuf_str(out, "\n");
            any = true;
        }
    }
    strbuf_str(out, any ? "" : "(none)\n");
}

static void dr_check_summary(struct strbuf *out, const struct drill_report *r)
{
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct dr_check *c = &r->checks[i];
        if (strcmp(c->when, "during") == 0) {
            strbuf_str(out, "- during check ");
            dr_quoted(out, c->id);
            strbuf_printf(out, ": %d ok, %d failed", c->runs - c->failures - c->unknowns,
                          c->failures);
            strbuf_printf(out, c->unknowns > 0 ? ", %d unknown\n" : "\n", c->unknowns);
        }
    }
}

static bool ran_when(const struct drill_report *r, const char *when)
{
    for (size_t i = 0; i < r->nchecks; i++) {
        if (strcmp(r->checks[i].when, when) == 0) {
            return true;
        }
    }
    return false;
}

static void dr_checks(struct strbuf *out, const struct drill_report *r)
{
    static const char *const whens[] = {"before", "during", "after", "stop"};
    static const char *const heads[] = {"Before the drill (the gate)", "During the drill",
                                        "After the rollbacks (steady state restored?)",
                                        "Stop conditions (FAILED: the condition held)"};
    strbuf_str(out, "\n## Checks\n");
    /* stop conditions only in the drills that have them */
    for (size_t w = 0; w < (ran_when(r, "stop") ? 4u : 3u); w++) {
        strbuf_printf(out, "\n### %s\n\n", heads[w]);
        bool any = false;
        for (size_t i = 0; i < r->nchecks; i++) {
            const struct dr_check *c = &r->checks[i];
            if (strcmp(c->when, whens[w]) != 0) {
                continue;
            }
            if (!any) {
                strbuf_str(out, "| check | result | detail |\n|---|---|---|\n");
                any = true;
            }
            strbuf_str(out, "| ");
            md_cell(out, c->id);
            if (c->failures == 0 && c->last_unknown) {
                strbuf_printf(out, " | UNKNOWN (%d of %d)", c->unknowns, c->runs);
            } else if (c->failures == 0 && c->unknowns > 0) {
                strbuf_printf(out, " | ok (unknown %d of %d)", c->unknowns, c->runs);
            } else if (c->failures == 0) {
                strbuf_str(out, " | ok");
            } else if (c->last_ok) {
                strbuf_printf(out, " | ok in the end (failed %d of %d)", c->failures, c->runs);
            } else {
                strbuf_printf(out, " | FAILED (%d of %d)", c->failures, c->runs);
            }
            strbuf_str(out, " | ");
            const char *why = c->last_ok && c->failures > 0 ? c->first_failure : c->last_reason;
            if (c->failures > 0 && c->last_ok) {
                char t[32];
                fmt_t(t, c->first_failure_ms);
                strbuf_printf(out, "first failure at %s: ", t);
            }
            md_cell(out, why != NULL ? why : "");
            strbuf_str(out, " |\n");
        }
        strbuf_str(out, any ? "" : "(none run)\n");
    }
}

/*
 * Why a rollback that worked is not yet "restored": the after checks did not
 * all pass (or there is none); NULL when they confirm it. The caller frees.
 */
static char *dr_unconfirmed(const struct drill_report *r)
{
    size_t nafter = 0;
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct dr_check *c = &r->checks[i];
        if (strcmp(c->when, "after") != 0) {
            continue;
        }
        nafter++;
        if (!c->last_ok) {
            return xasprintf("after check %s %s", c->id, c->last_unknown ? "UNKNOWN" : "FAILED");
        }
    }
    return nafter == 0 ? xstrdup("no after check") : NULL;
}

static void dr_chaos_section(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Chaos actions and rollbacks\n\n");
    if (r->nchaos == 0) {
        strbuf_str(out, "(none)\n");
        return;
    }
    strbuf_str(out, "| inject | chaos | result | rollback | restored |\n|---|---|---|---|---|\n");
    size_t unrestored = 0;
    char *why = dr_unconfirmed(r);
    for (size_t i = 0; i < r->nchaos; i++) {
        const struct dr_chaos *c = &r->chaos[i];
        strbuf_str(out, "| ");
        md_cell(out, c->inject);
        strbuf_str(out, " | ");
        md_cell(out, c->action != NULL ? c->action : "?");
        strbuf_str(out, " | ");
        md_cell(out, c->ok == 1 ? "done" : c->ok == 0 ? "failed" : "no result journaled");
        if (c->message != NULL && c->message[0] != '\0') {
            strbuf_str(out, ": ");
            md_cell(out, c->message);
        }
        strbuf_str(out, " | ");
        md_cell(out, c->rollback != NULL ? c->rollback : "?");
        strbuf_str(out, " | ");
        md_cell(out, c->not_applied          ? "nothing to restore: the chaos did not apply"
                     : c->rb_ok == 1 && !why ? "yes"
                     : c->rb_ok == 1         ? "rolled back, not confirmed"
                     : c->gave_up_by != NULL ? "NO: given up (by hand)"
                     : c->rb_ok == 0         ? "NO"
                     : c->rb_started         ? "NO: the rollback started but never finished"
                                             : "NO: the rollback never ran");
        if (c->rb_ok == 1 && why != NULL && !c->not_applied) {
            strbuf_str(out, " (");
            md_cell(out, why);
            strbuf_str(out, ")");
        }
        if (c->rb_message != NULL && c->rb_message[0] != '\0') {
            strbuf_str(out, ": ");
            md_cell(out, c->rb_message);
        }
        strbuf_str(out, " |\n");
        unrestored += c->rb_ok != 1 && !c->not_applied;
    }
    free(why);
    if (unrestored == 0) {
        strbuf_str(out, "\nEvery chaos action was rolled back.\n");
        return;
    }
    strbuf_printf(out, "\n**Not restored (%zu): put these back by hand.**\n\n", unrestored);
    for (size_t i = 0; i < r->nchaos; i++) {
        const struct dr_chaos *c = &r->chaos[i];
        if (c->rb_ok == 1 || c->not_applied) {
            continue;
        }
        strbuf_str(out, "- ");
        md_code_span(out, c->rollback != NULL ? c->rollback : "?");
        strbuf_str(out, " (undoes ");
        md_code_span(out, c->action != NULL ? c->action : "?");
        strbuf_str(out, c->gave_up_by != NULL ? ") was given up by "
                        : c->rb_ok == 0       ? ") failed"
                                              : ") has not run");
        if (c->gave_up_by != NULL) {
            md_inline(out, c->gave_up_by);
        }
        if (c->rb_message != NULL && c->rb_message[0] != '\0') {
            strbuf_str(out, ": ");
            md_inline(out, c->rb_message);
        }
        strbuf_str(out, "\n");
    }
}

static void dr_debrief_section(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Debrief\n\n");
    if (r->ndebrief == 0) {
        strbuf_str(out, "(no answers recorded)\n");
    }
    for (size_t i = 0; i < r->ndebrief; i++) {
        strbuf_str(out, "- **");
        md_inline(out, r->questions[i] != NULL ? r->questions[i] : "?");
        strbuf_str(out, "**\n  ");
        md_inline(out, r->answers[i] != NULL ? r->answers[i] : "");
        strbuf_str(out, "\n");
    }
}

static bool dr_is_actions(const char *section)
{
    return section != NULL && strcasecmp(section, "action items") == 0;
}

static void dr_note_line(struct strbuf *out, const struct dr_note *n)
{
    char t[32];
    fmt_t(t, n->t_ms);
    strbuf_printf(out, "- %s %s: ", t, n->actor != NULL ? n->actor : "unknown");
    md_inline(out, n->text);
    strbuf_str(out, "\n");
}

/* Sections named by notes (the drill's Report list), in the order first used. */
static void dr_sections(struct strbuf *out, const struct drill_report *r)
{
    for (size_t i = 0; i < r->nnotes; i++) {
        const char *s = r->notes[i].section;
        bool first = s != NULL && s[0] != '\0' && !dr_is_actions(s);
        for (size_t k = 0; first && k < i; k++) {
            first = r->notes[k].section == NULL || strcmp(r->notes[k].section, s) != 0;
        }
        if (!first) {
            continue;
        }
        strbuf_str(out, "\n## ");
        md_inline(out, s);
        strbuf_str(out, "\n\n");
        for (size_t k = i; k < r->nnotes; k++) {
            if (r->notes[k].section != NULL && strcmp(r->notes[k].section, s) == 0) {
                dr_note_line(out, &r->notes[k]);
            }
        }
    }
    strbuf_str(out, "\n## Notes\n\n");
    bool any = false;
    for (size_t i = 0; i < r->nnotes; i++) {
        if (r->notes[i].section == NULL || r->notes[i].section[0] == '\0') {
            dr_note_line(out, &r->notes[i]);
            any = true;
        }
    }
    strbuf_str(out, any ? "" : "(none)\n");
}

static void dr_free(struct drill_report *r)
{
    free(r->timeline.s);
    free(r->starter);
    for (size_t i = 0; i < r->nactors; i++) {
        free(r->actors[i]);
    }
    free(r->actors);
    free(r->injects);
    free(r->expects);
    free(r->checks);
    free(r->chaos);
    free(r->notes);
    free(r->questions);
    free(r->answers);
}

/* Is this a drill run: its run.start says kind "drill"? */
bool report_is_drill(const struct md_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = md_str(lines[i].obj, "action");
        if (action != NULL && strcmp(action, "run.start") == 0) {
            const char *kind = md_str(json_obj(lines[i].obj, "data"), "kind");
            return kind != NULL && strcmp(kind, "drill") == 0;
        }
    }
    return false;
}

/* Walk the journal into r (the timeline and the tables), the score and the action items. */
static void dr_build(struct drill_report *r, const struct md_line *lines, size_t n,
                     struct dscore *sc, struct rs_action **acts, size_t *nacts)
{
    r->start_ms = md_start_time(lines, n);
    r->last_ms = r->start_ms;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj == NULL) {
            strbuf_printf(&r->timeline, "- (journal line %d unreadable)\n", lines[i].number);
        } else {
            dr_event(r, lines[i].obj, lines[i].ms);
        }
    }
    report_score_compute(sc, lines, n);
    report_score_actions(lines, n, acts, nacts);
}

char *report_drill_markdown(const struct md_line *lines, size_t n, const char *run_id)
{
    struct drill_report r = {0};
    struct dscore sc;
    struct rs_action *acts = NULL;
    size_t nacts = 0;
    dr_build(&r, lines, n, &sc, &acts, &nacts);
    struct strbuf out = {0};
    dr_header(&out, &r, run_id);
    report_score_summary_md(&out, &sc, acts, nacts);
    dr_roles(&out, &r, lines, n);
    dr_objectives(&out, &r);
    report_score_expectations_md(&out, &sc);
    strbuf_str(&out, "\n## Timeline\n\n");
    strbuf_str(&out, r.timeline.s != NULL ? r.timeline.s : "(no events)\n");
    dr_check_summary(&out, &r);
    dr_checks(&out, &r);
    dr_chaos_section(&out, &r);
    dr_debrief_section(&out, &r);
    report_score_unanswered_md(&out, &sc, lines, n);
    report_score_actions_md(&out, acts, nacts);
    dr_sections(&out, &r);
    report_drill_injects(&out, lines, n); /* report_inject.c: texts, attachments, hidden */
    report_people_md(&out, lines, n);
    report_score_actions_free(acts, nacts);
    dscore_free(&sc);
    dr_free(&r);
    return out.s;
}

/* The timeline's items as strings. */
static cJSON *dr_timeline_json(const struct drill_report *r)
{
    cJSON *a = cJSON_CreateArray();
    const char *s = r->timeline.s != NULL ? r->timeline.s : "";
    while (*s != '\0') {
        size_t len = strcspn(s, "\n");
        char *line = xstrndup(s[0] == '-' && s[1] == ' ' ? s + 2 : s,
                              s[0] == '-' && s[1] == ' ' ? len - 2 : len);
        cJSON_AddItemToArray(a, cJSON_CreateString(line));
        free(line);
        s += len + (s[len] == '\n');
    }
    return a;
}

static cJSON *dr_lists_json(cJSON *root, const struct drill_report *r)
{
    cJSON *checks = cJSON_AddArrayToObject(root, "checks");
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct dr_check *c = &r->checks[i];
        cJSON *o = cJSON_CreateObject();
        report_score_str(o, "id", c->id);
        report_score_str(o, "when", c->when);
        cJSON_AddNumberToObject(o, "runs", c->runs);
        cJSON_AddNumberToObject(o, "failed", c->failures);
        cJSON_AddNumberToObject(o, "unknown", c->unknowns);
        report_score_str(o, "last", c->last_ok ? "ok" : c->last_unknown ? "unknown" : "failed");
        cJSON_AddItemToArray(checks, o);
    }
    cJSON *chaos = cJSON_AddArrayToObject(root, "chaos");
    for (size_t i = 0; i < r->nchaos; i++) {
        const struct dr_chaos *c = &r->chaos[i];
        cJSON *o = cJSON_CreateObject();
        report_score_str(o, "inject", c->inject);
        report_score_str(o, "action", c->action);
        report_score_str(o, "rollback", c->rollback);
        report_score_str(o, "chaos", c->ok == 1 ? "done" : c->ok == 0 ? "failed" : "no result");
        report_score_str(o, "rolled_back",
                         c->gave_up_by != NULL ? "given up"
                         : c->rb_ok == 1       ? "yes"
                         : c->rb_ok == 0       ? "failed"
                                               : "not run");
        cJSON_AddItemToArray(chaos, o);
    }
    cJSON *deb = cJSON_AddArrayToObject(root, "debrief");
    for (size_t i = 0; i < r->ndebrief; i++) {
        cJSON *o = cJSON_CreateObject();
        report_score_str(o, "question", r->questions[i]);
        report_score_str(o, "answer", r->answers[i]);
        cJSON_AddItemToArray(deb, o);
    }
    return root;
}

char *report_drill_json(const struct md_line *lines, size_t n, const char *run_id)
{
    struct drill_report r = {0};
    struct dscore sc;
    struct rs_action *acts = NULL;
    size_t nacts = 0;
    dr_build(&r, lines, n, &sc, &acts, &nacts);
    cJSON *root = cJSON_CreateObject();
    report_score_str(root, "run", run_id);
    report_score_str(root, "kind", "drill");
    report_score_str(root, "title", r.title);
    report_score_str(root, "drill", r.path);
    report_score_str(root, "outcome", r.how != NULL ? r.how : "open");
    report_score_str(root, "abort_why", r.abort_why);
    report_score_json(root, &sc, acts, nacts, lines, n);
    cJSON *roles = cJSON_AddArrayToObject(root, "participants");
    const cJSON *it;
    cJSON_ArrayForEach(it, r.roles)
    {
        struct strbuf people = {0};
        dr_people(&people, md_str(it, "id"), lines, n);
        cJSON *o = cJSON_CreateObject();
        report_score_str(o, "role", md_str(it, "id"));
        report_score_str(o, "name", md_str(it, "name"));
        report_score_str(o, "people", people.s != NULL ? people.s : "");
        cJSON_AddItemToArray(roles, o);
        free(people.s);
    }
    cJSON_AddItemToObject(root, "timeline", dr_timeline_json(&r));
    dr_lists_json(root, &r);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    report_score_actions_free(acts, nacts);
    dscore_free(&sc);
    dr_free(&r);
    return text;
}
