/*
 * A drill as a role may see it (drill_public.h): the document both ways and
 * the journal lines filtered by a whitelist.
 *
 * The document is JSON with the drill's fields under their drill.h names
 * ("duration_s", "at_s", "deadline_s"); what a role may not know is not
 * written at all, so a reader cannot tell an empty list from a hidden one.
 * The lines are rebuilt field by field from the event (never copied and
 * pruned): a field added to an event later stays with the driver until
 * somebody adds it here.
 */
#include "drill_public.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "gamestate.h"

#include <cjson/cJSON.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const when_names[] = {"before", "during", "after", "stop"};

bool drill_public_full(enum share_role role)
{
    return role == SHARE_DRIVER;
}

/* ---- the document ---- */

static cJSON *str_array(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i] != NULL ? v[i] : ""));
    }
    return a;
}

static cJSON *doc_check(const struct drill_check *c, bool full)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "id", c->id);
    /* a stop_when line's title is its condition: a participant sees its id */
    json_add_str(o, "title", !full && c->from_stop_when ? c->id : c->title);
    cJSON_AddStringToObject(o, "when", when_names[c->when]);
    /* the tolerance is no secret: every screen counts down to an automatic abort */
    cJSON_AddNumberToObject(o, "tolerance_s", c->tolerance_s);
    if (full) {
        json_add_str(o, "until", c->until);
        json_add_str(o, "run", c->run);
        cJSON_AddNumberToObject(o, "expect_exit", c->expect_exit);
        cJSON_AddNumberToObject(o, "interval_ms", c->interval_ms);
        cJSON_AddNumberToObject(o, "timeout_ms", c->timeout_ms);
    }
    return o;
}

static cJSON *doc_inject(const struct drill *d, const struct drill_inject *in, bool full)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "id", in->id);
    json_add_str(o, "title", in->title);
    json_add_str(o, "text", in->text);
    cJSON_AddNumberToObject(o, "at_s", in->at_s);
    cJSON_AddItemToObject(o, "to", str_array(in->to, in->nto));
    json_add_str(o, "channel", in->channel);
    cJSON *ex = cJSON_AddArrayToObject(o, "expects");
    for (size_t e = 0; e < in->nexpects; e++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "deadline_s", in->expects[e].deadline_s);
        if (full || d->players_mark) {
            json_add_str(x, "text", in->expects[e].text);
        }
        if (full) {
            cJSON_AddNumberToObject(x, "points", in->expects[e].points);
        }
        cJSON_AddItemToArray(ex, x);
    }
    if (!full) {
        return o;
    }
    json_add_str(o, "contingency", in->contingency);
    cJSON *ch = cJSON_AddArrayToObject(o, "chaos");
    for (size_t c = 0; c < in->nchaos; c++) {
        cJSON *x = cJSON_CreateObject();
        char *a = game_act_text(&in->chaos[c].action), *r = game_act_text(&in->chaos[c].rollback);
        cJSON_AddStringToObject(x, "action", a);
        cJSON_AddStringToObject(x, "rollback", r);
        free(a);
        free(r);
        cJSON_AddItemToArray(ch, x);
    }
    json_add_str(o, "backend", in->backend);
    cJSON_AddBoolToObject(o, "auto", in->auto_chaos); /* the driver's: chaos asks first */
    json_add_str(o, "notify", in->notify);
    /* the facilitator's own: hidden text, the range an offset was drawn from, the branches */
    json_add_str(o, "hidden", in->hidden);
    cJSON_AddNumberToObject(o, "at_max_s", in->at_max_s);
    cJSON_AddNumberToObject(o, "at_min_s", in->at_min_s);
    cJSON *chs = cJSON_AddArrayToObject(o, "choices");
    for (size_t c = 0; c < in->nchoices; c++) {
        cJSON *x = cJSON_CreateObject();
        json_add_str(x, "option", in->choices[c].option);
        cJSON_AddItemToObject(x, "injects",
                              str_array(in->choices[c].injects, in->choices[c].ninjects));
        cJSON_AddItemToArray(chs, x);
    }
    cJSON_AddNumberToObject(o, "chosen", in->chosen);
    return o;
}

cJSON *drill_public_doc(const struct drill *d, enum share_role role, const struct drillview *fired)
{
    bool full = drill_public_full(role);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", share_role_name(role));
    cJSON_AddBoolToObject(o, "full", full);
    cJSON_AddStringToObject(o, "title", d->title != NULL ? d->title : "");
    if (full || !d->intro_facilitator) {
        json_add_str(o, "intro", d->intro); /* intro: facilitator keeps it from the room */
    }
    cJSON_AddStringToObject(o, "kind", d->kind == DRILL_LIVE ? "live" : "tabletop");
    cJSON_AddNumberToObject(o, "duration_s", d->duration_s);
    json_add_str(o, "label", d->label);
    json_add_str(o, "abort_word", d->abort_word);
    cJSON_AddBoolToObject(o, "players_mark", d->players_mark);
    cJSON_AddItemToObject(o, "objectives", str_array(d->objectives, d->nobjectives));
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    for (size_t i = 0; i < d->nroles; i++) {
        cJSON *r = cJSON_CreateObject();
        json_add_str(r, "id", d->roles[i].id);
        json_add_str(r, "name", d->roles[i].name);
        cJSON_AddBoolToObject(r, "facilitator", d->roles[i].facilitator);
        cJSON_AddBoolToObject(r, "observer", d->roles[i].observer);
        if (full) {
            json_add_str(r, "notify_env", d->roles[i].notify_env);
        }
        cJSON_AddItemToArray(roles, r);
    }
    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < d->nchecks; i++) {
        cJSON_AddItemToArray(checks, doc_check(&d->checks[i], full));
    }
    cJSON *injects = cJSON_AddArrayToObject(o, "injects");
    for (size_t i = 0; i < d->ninjects; i++) {
        if (full || (fired != NULL && drillview_inject_state(fired, i) == INJECT_FIRED)) {
            cJSON_AddItemToArray(injects, doc_inject(d, &d->injects[i], full));
        }
    }
    if (fired != NULL) {
        cJSON *st = cJSON_AddObjectToObject(o, "status");
        cJSON_AddStringToObject(st, "state", drillview_state_name(drillview_state(fired)));
        cJSON_AddNumberToObject(st, "t_ms", (double)drillview_clock_ms(fired));
        cJSON_AddBoolToObject(st, "running", drillview_state(fired) == GAME_RUNNING);
        cJSON_AddBoolToObject(st, "closing", drillview_closing(fired));
    }
    cJSON_AddItemToObject(o, "debrief", str_array(d->debrief, d->ndebrief));
    cJSON_AddItemToObject(o, "sections", str_array(d->sections, d->nsections));
    if (full) {
        json_add_str(o, "path", d->path);
        cJSON_AddBoolToObject(o, "notify_live", d->notify_live);
        json_add_str(o, "sandbox_env", d->sandbox_env);
        json_add_str(o, "facilitator_notes", d->facilitator_notes);
        cJSON_AddBoolToObject(o, "intro_facilitator", d->intro_facilitator);
        char hash[24];
        snprintf(hash, sizeof hash, "%016llx", d->hash);
        cJSON_AddStringToObject(o, "hash", hash);
    }
    return o;
}

bool drill_public_settle(const cJSON *doc, struct drillview *v)
{
    const cJSON *st = json_obj(doc, "status");
    if (st == NULL || v == NULL) {
        return false;
    }
    struct runlog_event ev = {.kind = RL_STATUS, .action = "status", .live = true, .data = st};
    drillview_apply(&ev, v);
    return true;
}

/* ---- reading a document back ---- */

struct reader {
    char *cause; /* the first problem */
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->cause != NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    r->cause = xvasprintf(fmt, ap);
    va_end(ap);
}

/* A string field; missing: NULL (an error when required). */
static char *get_str(struct reader *r, const cJSON *o, const char *where, const char *key,
                     bool required)
{
    const cJSON *v = json_get(o, key);
    if (v == NULL || cJSON_IsNull(v)) {
        if (required) {
            fail(r, "%s%s: missing", where, key);
        }
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        fail(r, "%s%s: expected a string, got %s", where, key, json_type_name(v));
        return NULL;
    }
    return xstrdup(v->valuestring);
}

/* A whole number in [lo, hi]; missing: dflt. */
static int get_int(struct reader *r, const cJSON *o, const char *where, const char *key, int dflt,
                   int lo, int hi)
{
    const cJSON *v = json_get(o, key);
    if (v == NULL) {
        return dflt;
    }
    /* in range first: the cast of a NaN or a huge number is undefined */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int)v->valuedouble) {
        fail(r, "%s%s: expected a whole number from %d to %d", where, key, lo, hi);
        return dflt;
    }
    return (int)v->valuedouble;
}

static bool get_bool(struct reader *r, const cJSON *o, const char *where, const char *key)
{
    const cJSON *v = json_get(o, key);
    if (v != NULL && !cJSON_IsBool(v)) {
        fail(r, "%s%s: expected true or false, got %s", where, key, json_type_name(v));
    }
    return cJSON_IsTrue(v);
}

/* An array field (missing: empty); NULL and a cause when it is something else. */
static const cJSON *get_arr(struct reader *r, const cJSON *o, const char *where, const char *key)
{
    static cJSON empty = {.type = cJSON_Array};
    const cJSON *v = json_get(o, key);
    if (v == NULL) {
        return &empty;
    }
    if (!cJSON_IsArray(v)) {
        fail(r, "%s%s: expected an array, got %s", where, key, json_type_name(v));
        return &empty;
    }
    return v;
}

static char **get_strs(struct reader *r, const cJSON *o, const char *where, const char *key,
                       size_t *n)
{
    const cJSON *a = get_arr(r, o, where, key);
    size_t cnt = (size_t)cJSON_GetArraySize(a), i = 0;
    char **v = xcalloc(cnt + 1, sizeof *v);
    for (const cJSON *it = a->child; it != NULL; it = it->next, i++) {
        if (!cJSON_IsString(it)) {
            fail(r, "%s%s[%zu]: expected a string, got %s", where, key, i, json_type_name(it));
            v[i] = xstrdup("");
        } else {
            v[i] = xstrdup(it->valuestring);
        }
    }
    *n = cnt;
    return v;
}

/* The item's place for messages: "injects[2]." */
static const cJSON *item(struct reader *r, const cJSON *it, char *where, size_t len,
                         const char *list, size_t i)
{
    snprintf(where, len, "%s[%zu].", list, i);
    if (!cJSON_IsObject(it)) {
        fail(r, "%s[%zu]: expected an object, got %s", list, i, json_type_name(it));
        return NULL;
    }
    return it;
}

static void read_roles(struct reader *r, struct drill *d, const cJSON *doc)
{
    const cJSON *a = get_arr(r, doc, "", "roles");
    d->roles = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *d->roles);
    size_t i = 0;
    char where[64];
    for (const cJSON *it = a->child; it != NULL && r->cause == NULL; it = it->next, i++) {
        const cJSON *o = item(r, it, where, sizeof where, "roles", i);
        struct drill_role *ro = &d->roles[d->nroles++];
        ro->id = get_str(r, o, where, "id", true);
        ro->name = get_str(r, o, where, "name", false);
        ro->facilitator = get_bool(r, o, where, "facilitator");
        ro->observer = get_bool(r, o, where, "observer");
        ro->notify_env = get_str(r, o, where, "notify_env", false);
    }
}

static void read_checks(struct reader *r, struct drill *d, const cJSON *doc)
{
    const cJSON *a = get_arr(r, doc, "", "checks");
    d->checks = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *d->checks);
    size_t i = 0;
    char where[64];
    for (const cJSON *it = a->child; it != NULL && r->cause == NULL; it = it->next, i++) {
        const cJSON *o = item(r, it, where, sizeof where, "checks", i);
        struct drill_check *c = &d->checks[d->nchecks++];
        c->id = get_str(r, o, where, "id", true);
        c->title = get_str(r, o, where, "title", false);
        char *when = get_str(r, o, where, "when", true);
        size_t w = 0;
        while (when != NULL && w < 4 && strcmp(when, when_names[w]) != 0) {
            w++;
        }
        if (when != NULL && w == 4) {
            fail(r, "%swhen: '%s' is not before, during, after or stop", where, when);
        }
        c->when = w < 4 ? (enum drill_when)w : DRILL_DURING;
        free(when);
        c->until = get_str(r, o, where, "until", false);
        c->run = get_str(r, o, where, "run", false);
        c->expect_exit = get_int(r, o, where, "expect_exit", 0, 0, 255);
        c->tolerance_s = get_int(r, o, where, "tolerance_s", 0, 0, INT32_MAX);
        c->interval_ms = get_int(r, o, where, "interval_ms", 0, 0, INT32_MAX);
        c->timeout_ms = get_int(r, o, where, "timeout_ms", 0, 0, INT32_MAX);
    }
}

static void read_chaos(struct reader *r, struct drill_inject *in, const cJSON *o, const char *at)
{
    const cJSON *a = get_arr(r, o, at, "chaos");
    in->chaos = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *in->chaos);
    size_t i = 0;
    char where[96];
    for (const cJSON *it = a->child; it != NULL && r->cause == NULL; it = it->next, i++) {
        snprintf(where, sizeof where, "%schaos[%zu].", at, i);
        struct drill_chaos *c = &in->chaos[in->nchaos++];
        char *act = get_str(r, it, where, "action", true),
             *rb = get_str(r, it, where, "rollback", true);
        if (act != NULL && !game_act_parse(act, &c->action)) {
            fail(r, "%saction: '%s' is not PANE VERB TARGET", where, act);
        }
        if (rb != NULL && !game_act_parse(rb, &c->rollback)) {
            fail(r, "%srollback: '%s' is not PANE VERB TARGET", where, rb);
        }
        /* `rollback: restore` travels as "PANE restore TARGET" (drill.c) */
        c->restore = c->rollback.verb != NULL && strcmp(c->rollback.verb, "restore") == 0;
        free(act);
        free(rb);
    }
}

/* What only the driver's document has (drill_extra.h): absent for everyone else. */
static void read_extra(struct reader *r, struct drill_inject *in, const cJSON *o, const char *at)
{
    in->hidden = get_str(r, o, at, "hidden", false);
    in->at_max_s = get_int(r, o, at, "at_max_s", in->at_s, -1, INT32_MAX);
    in->at_min_s = get_int(r, o, at, "at_min_s", in->at_s, -1, INT32_MAX);
    in->chosen = get_int(r, o, at, "chosen", -1, -1, INT32_MAX);
    const cJSON *a = get_arr(r, o, at, "choices");
    in->choices = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *in->choices);
    size_t i = 0;
    char where[128];
    for (const cJSON *it = a->child; it != NULL && r->cause == NULL; it = it->next, i++) {
        snprintf(where, sizeof where, "%schoices[%zu].", at, i);
        struct drill_choice *c = &in->choices[in->nchoices++];
        c->option = get_str(r, it, where, "option", true);
        c->injects = get_strs(r, it, where, "injects", &c->ninjects);
    }
    if (in->chosen >= (int)in->nchoices) {
        fail(r, "%schosen: %d is not one of its %zu options", at, in->chosen, in->nchoices);
    }
}

static void read_inject(struct reader *r, struct drill *d, const cJSON *o, const char *where)
{
    struct drill_inject *in = &d->injects[d->ninjects++];
    in->id = get_str(r, o, where, "id", true);
    in->title = get_str(r, o, where, "title", true);
    in->text = get_str(r, o, where, "text", false);
    in->at_s = get_int(r, o, where, "at_s", -1, -1, INT32_MAX);
    in->to = get_strs(r, o, where, "to", &in->nto);
    in->channel = get_str(r, o, where, "channel", false);
    in->contingency = get_str(r, o, where, "contingency", false);
    in->backend = get_str(r, o, where, "backend", false);
    in->notify = get_str(r, o, where, "notify", false);
    in->auto_chaos = get_bool(r, o, where, "auto");
    const cJSON *a = get_arr(r, o, where, "expects");
    in->expects = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *in->expects);
    size_t e = 0;
    char at[96];
    for (const cJSON *it = a->child; it != NULL && r->cause == NULL; it = it->next, e++) {
        snprintf(at, sizeof at, "%sexpects[%zu].", where, e);
        if (!cJSON_IsObject(it)) {
            fail(r, "%.*s: expected an object, got %s", (int)strlen(at) - 1, at,
                 json_type_name(it));
            break;
        }
        struct drill_expect *x = &in->expects[in->nexpects++];
        if (json_get(it, "deadline_s") == NULL) {
            fail(r, "%sdeadline_s: missing", at);
        }
        x->deadline_s = get_int(r, it, at, "deadline_s", 0, 0, INT32_MAX);
        x->points = get_int(r, it, at, "points", 0, 0, INT32_MAX);
        x->text = get_str(r, it, at, "text", false);
        if (x->text == NULL) {
            x->text = xstrdup(""); /* hidden from this role */
        }
    }
    read_chaos(r, in, o, where);
    read_extra(r, in, o, where);
    if (in->id != NULL && r->cause == NULL &&
        drill_find_inject(d, in->id) != (int)d->ninjects - 1) {
        fail(r, "%sid: '%s' twice", where, in->id);
    }
}

struct drill *drill_from_public(const cJSON *doc, char **cause)
{
    if (!cJSON_IsObject(doc)) {
        set_cause(cause, "a drill document must be a JSON object");
        return NULL;
    }
    struct reader r = {0};
    struct drill *d = xcalloc(1, sizeof *d);
    d->title = get_str(&r, doc, "", "title", true);
    d->intro = get_str(&r, doc, "", "intro", false);
    char *kind = get_str(&r, doc, "", "kind", true);
    if (kind != NULL && strcmp(kind, "live") != 0 && strcmp(kind, "tabletop") != 0) {
        fail(&r, "kind: '%s' is not tabletop or live", kind);
    }
    d->kind = kind != NULL && strcmp(kind, "live") == 0 ? DRILL_LIVE : DRILL_TABLETOP;
    free(kind);
    if (json_get(doc, "duration_s") == NULL) {
        fail(&r, "duration_s: missing");
    }
    d->duration_s = get_int(&r, doc, "", "duration_s", 0, 0, INT32_MAX);
    d->label = get_str(&r, doc, "", "label", false);
    d->abort_word = get_str(&r, doc, "", "abort_word", false);
    d->players_mark = get_bool(&r, doc, "", "players_mark");
    d->notify_live = get_bool(&r, doc, "", "notify_live");
    d->sandbox_env = get_str(&r, doc, "", "sandbox_env", false);
    d->facilitator_notes = get_str(&r, doc, "", "facilitator_notes", false);
    d->intro_facilitator = get_bool(&r, doc, "", "intro_facilitator");
    d->path = get_str(&r, doc, "", "path", false);
    char *hash = get_str(&r, doc, "", "hash", false);
    d->hash = hash != NULL ? strtoull(hash, NULL, 16) : 0;
    free(hash);
    d->objectives = get_strs(&r, doc, "", "objectives", &d->nobjectives);
    d->debrief = get_strs(&r, doc, "", "debrief", &d->ndebrief);
    d->sections = get_strs(&r, doc, "", "sections", &d->nsections);
    read_roles(&r, d, doc);
    read_checks(&r, d, doc);
    const cJSON *a = get_arr(&r, doc, "", "injects");
    d->injects = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *d->injects);
    size_t i = 0;
    char where[64];
    for (const cJSON *it = a->child; it != NULL && r.cause == NULL; it = it->next, i++) {
        const cJSON *o = item(&r, it, where, sizeof where, "injects", i);
        if (o != NULL) {
            read_inject(&r, d, o, where);
        }
    }
    if (r.cause != NULL) {
        drill_free(d);
        if (cause != NULL) {
            *cause = xasprintf("bad drill document: %s", r.cause);
        }
        free(r.cause);
        return NULL;
    }
    return d;
}

/* ---- lines ---- */

/* data fields a role other than the driver may see, per action (a whitelist) */
static const struct {
    const char *action;
    const char *keys[8];
    bool result; /* the line's result may go as written */
} public_lines[] = {
    {"run.start", {"kind", "title", "roles", "objectives"}, false},
    {"run.resume", {NULL}, false},
    {"run.end", {"how"}, true},
    {"drill.start", {NULL}, false},
    {"drill.pause", {NULL}, false},
    {"drill.resume", {NULL}, false},
    {"drill.abort", {NULL}, false}, /* why: public_why() */
    {"check", {"id", "when", "ok", "unknown"}, false},
    {"inject.fire", {"id", "title", "to", "channel", "why"}, true}, /* expects: see below */
    {"expect", {"inject", "index", "status", "by", "at_ms"}, true}, /* text: players_mark */
    {"undo", {"inject", "index", "status"}, true}, /* a mark taken back (a skip: never) */
    {"drill.extend", {"by_s"}, false},
    {"note", {"text", "section"}, false},
    {"debrief", {"question", "answer"}, false},
    {"status", {"state", "running", "closing"}, false}, /* no message: it names rollbacks */
    /* the war room's people (crew.h): who is on the drill, who is on what */
    {"join", {"role", "via"}, false},
    {"leave", {"reason"}, false},
    {"role", {"user", "role"}, false},
    {"claim", {"inject", "expect"}, false},
    {"unclaim", {"inject", "expect"}, false},
    {"propose", {"step", "text"}, false},
    {"handover.offer", {"to"}, false},
    {"handover.accept", {"from"}, false},
    {"handover.decline", {"from"}, false},
    /* a dead-man guard watches (game_guard.c): everyone may know the drill is safe */
    {"guard.start", {"pid"}, false},
    {"guard.stop", {NULL}, false},
};

static int public_index(const char *action)
{
    for (size_t i = 0; action != NULL && i < sizeof public_lines / sizeof public_lines[0]; i++) {
        if (strcmp(public_lines[i].action, action) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void copy_key(cJSON *to, const cJSON *from, const char *key)
{
    const cJSON *v = json_get(from, key);
    if (v != NULL) {
        cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, true));
    }
}

/* Why it aborted, in words that name no check output, rollback or command. */
static const char *public_why(const char *why)
{
    if (why == NULL) {
        return "aborted";
    }
    if (str_has_prefix(why, "the abort word was said") || strcmp(why, "by the facilitator") == 0 ||
        str_has_prefix(why, "owner gone (pid ") || str_has_prefix(why, "safety lever: ")) {
        return why; /* the note that said it is public too */
    }
    if (str_has_prefix(why, "check '")) {
        return "a check failed";
    }
    return "aborted";
}

static cJSON *public_data(const struct drill *d, int row, const struct runlog_event *ev)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t k = 0; k < 8 && public_lines[row].keys[k] != NULL; k++) {
        copy_key(o, ev->data, public_lines[row].keys[k]);
    }
    switch (ev->kind) {
    case RL_DRILL_ABORT:
        cJSON_AddStringToObject(o, "why", public_why(runlog_str(ev->data, "why")));
        break;
    case RL_INJECT_FIRE: {
        cJSON *ex = cJSON_AddArrayToObject(o, "expects");
        const cJSON *a = json_arr(ev->data, "expects");
        for (const cJSON *it = a != NULL ? a->child : NULL; it != NULL; it = it->next) {
            cJSON *x = cJSON_CreateObject();
            copy_key(x, it, "deadline_s");
            if (d->players_mark) {
                copy_key(x, it, "text");
            }
            cJSON_AddItemToArray(ex, x);
        }
        break;
    }
    case RL_EXPECT:
        if (d->players_mark) {
            copy_key(o, ev->data, "text");
        }
        break;
    default:
        break;
    }
    copy_key(o, ev->data, "t_ms");
    return o;
}

cJSON *drill_public_line(const struct drill *d, enum share_role role, const struct runlog_event *ev)
{
    if (ev == NULL || ev->action == NULL || runlog_kind_where(ev->kind) == RUNLOG_LOCAL) {
        return NULL; /* a secret answer never leaves the process, whoever asks */
    }
    bool full = drill_public_full(role);
    int row = full ? -1 : public_index(ev->action);
    if (!full && row < 0) {
        return NULL;
    }
    if (full && ev->obj != NULL) {
        return cJSON_Duplicate(ev->obj, true);
    }
    cJSON *o = cJSON_CreateObject();
    if (ev->live) {
        cJSON_AddBoolToObject(o, "live", true);
    } else {
        cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
        const char *ts = ev->obj != NULL ? runlog_str(ev->obj, "ts") : NULL;
        char buf[32];
        if (ts == NULL && ev->ts_ms > 0) {
            clock_format_rfc3339(buf, ev->ts_ms);
            ts = buf;
        }
        json_add_str(o, "ts", ts);
        json_add_str(o, "actor", ev->actor);
        json_add_str(o, "host", ev->host);
        json_add_str(o, "run", ev->run);
        json_add_str(o, "step", ev->step);
    }
    cJSON_AddStringToObject(o, "action", ev->action);
    if (full) {
        json_add_str(o, "target", ev->target);
        json_add_str(o, "result", ev->result);
        if (ev->data != NULL) {
            cJSON_AddItemToObject(o, "data", cJSON_Duplicate(ev->data, true));
        }
        return o;
    }
    if (ev->kind == RL_CHECK && !ev->live) {
        bool ok = runlog_true(ev->data, "ok"), unknown = runlog_true(ev->data, "unknown");
        json_add_str(o, "result", ok ? "ok" : unknown ? "unknown" : "failed");
    } else if (public_lines[row].result) {
        json_add_str(o, "result", ev->result);
    }
    cJSON_AddItemToObject(o, "data", public_data(d, row, ev));
    return o;
}
