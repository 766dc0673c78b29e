/*
 * The people of a run or drill in its report (report_md.h; docs/runbooks.md
 * "The report", docs/war-room.md): who was there, with which role(s), when
 * they joined and left, and everything they did (every journal line with
 * their name as its actor, but the bookkeeping ones). A run one person did
 * alone has no such section: its report reads as it always has.
 *
 * Also the timeline's words for the people events (join, leave, role, claim,
 * propose, handover, approval.request), the same in both reports.
 */
#include "report_md.h"
#include "runlog.h"

#include "../common/clock.h"
#include "../common/json.h"

#include <stdlib.h>
#include <string.h>

struct person {
    const char *user;
    char **roles; /* in the order given, each once */
    size_t nroles;
    char **hosts;
    size_t nhosts;
};

struct people {
    struct person *p;
    size_t n;
};

static void add_once(char ***list, size_t *n, const char *s)
{
    for (size_t i = 0; s == NULL || i < *n; i++) {
        if (s == NULL || strcmp((*list)[i], s) == 0) {
            return;
        }
    }
    *list = xreallocarray(*list, *n + 1, sizeof **list);
    (*list)[(*n)++] = xstrdup(s);
}

static struct person *find(struct people *pp, const char *user)
{
    for (size_t i = 0; i < pp->n; i++) {
        if (strcmp(pp->p[i].user, user) == 0) {
            return &pp->p[i];
        }
    }
    pp->p = xreallocarray(pp->p, pp->n + 1, sizeof *pp->p);
    pp->p[pp->n] = (struct person){.user = user};
    return &pp->p[pp->n++];
}

static void gather(struct people *pp, const struct md_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *ev = lines[i].obj;
        const char *actor = md_str(ev, "actor");
        const cJSON *data = json_obj(ev, "data");
        enum runlog_kind kind = runlog_kind(md_str(ev, "action"));
        if (actor != NULL && *actor != '\0') {
            struct person *p = find(pp, actor);
            add_once(&p->hosts, &p->nhosts, md_str(ev, "host"));
            if (kind == RL_JOIN) {
                add_once(&p->roles, &p->nroles, md_str(data, "role"));
            } else if (kind == RL_HANDOVER_ACCEPT) {
                add_once(&p->roles, &p->nroles, "driver");
            }
        }
        const char *user = md_str(data, "user");
        if (kind == RL_ROLE && user != NULL && *user != '\0') {
            struct person *q = find(pp, user);
            add_once(&q->roles, &q->nroles, md_str(data, "role"));
        }
    }
}

static void people_free(struct people *pp)
{
    for (size_t i = 0; i < pp->n; i++) {
        for (size_t k = 0; k < pp->p[i].nroles; k++) {
            free(pp->p[i].roles[k]);
        }
        for (size_t k = 0; k < pp->p[i].nhosts; k++) {
            free(pp->p[i].hosts[k]);
        }
        free(pp->p[i].roles);
        free(pp->p[i].hosts);
    }
    free(pp->p);
}

/* ---- the words for one line ---- */

static void quoted(struct strbuf *sb, const char *s)
{
    strbuf_str(sb, "\"");
    md_inline(sb, s != NULL ? s : "");
    strbuf_str(sb, "\"");
}

/* A field's text, or "?" when it is missing. */
static void named(struct strbuf *sb, const cJSON *obj, const char *key)
{
    md_inline(sb, md_str(obj, key) != NULL ? md_str(obj, key) : "?");
}

/* " (prefix VALUE)" when the field says something. */
static void aside(struct strbuf *sb, const char *prefix, const cJSON *obj, const char *key)
{
    if (md_str(obj, key) != NULL && *md_str(obj, key) != '\0') {
        strbuf_printf(sb, " (%s", prefix);
        md_inline(sb, md_str(obj, key));
        strbuf_str(sb, ")");
    }
}

/* "step ID" or "inject ID (expectation N)". */
static void claimed(struct strbuf *sb, const cJSON *ev, const cJSON *data)
{
    const char *inj = md_str(data, "inject");
    double e;
    if (inj != NULL) {
        strbuf_str(sb, "inject ");
        md_inline(sb, inj);
        if (md_num(data, "expect", &e) && e >= 0 && e < 1e6) {
            strbuf_printf(sb, " (expectation %d)", (int)e + 1);
        }
    } else {
        strbuf_str(sb, "step ");
        named(sb, ev, "step");
    }
}

bool report_people_line(struct strbuf *sb, const char *action, const cJSON *ev, const cJSON *data)
{
    const char *actor = md_str(ev, "actor");
    enum runlog_kind kind = runlog_kind(action);
    if (kind != RL_JOIN && kind != RL_LEAVE && kind != RL_ROLE && kind != RL_CLAIM &&
        kind != RL_UNCLAIM && kind != RL_PROPOSE && kind != RL_HANDOVER_OFFER &&
        kind != RL_HANDOVER_ACCEPT && kind != RL_HANDOVER_DECLINE && kind != RL_APPROVAL_REQUEST) {
        return false;
    }
    md_inline(sb, actor != NULL ? actor : "someone");
    switch (kind) {
    case RL_JOIN:
        strbuf_str(sb, " joined as ");
        named(sb, data, "role");
        aside(sb, "", data, "via");
        break;
    case RL_LEAVE:
        strbuf_str(sb, " left");
        aside(sb, "", data, "reason");
        break;
    case RL_ROLE:
        strbuf_str(sb, " made ");
        named(sb, data, "user");
        strbuf_str(sb, " ");
        named(sb, data, "role");
        break;
    case RL_CLAIM:
    case RL_UNCLAIM:
        strbuf_str(sb, kind == RL_CLAIM ? " claimed " : " let go of ");
        claimed(sb, ev, data);
        break;
    case RL_PROPOSE:
        strbuf_str(sb, " proposed");
        md_field(sb, " step ", json_get(data, "step"));
        if (md_str(data, "text") != NULL) {
            strbuf_str(sb, ": ");
            quoted(sb, md_str(data, "text"));
        }
        break;
    case RL_HANDOVER_OFFER:
        strbuf_str(sb, " offered control to ");
        named(sb, data, "to");
        break;
    case RL_HANDOVER_ACCEPT:
    case RL_HANDOVER_DECLINE:
        strbuf_str(sb,
                   kind == RL_HANDOVER_ACCEPT ? " took control from " : " declined control from ");
        named(sb, data, "from");
        break;
    default:
        strbuf_str(sb, " asked for approval");
        aside(sb, "", data, "role");
        strbuf_str(sb, ": waiting for a second person");
        break;
    }
    strbuf_str(sb, "\n");
    return true;
}

/* One action of a person, in a few words. */
static void action_words(struct strbuf *sb, const char *action, const cJSON *ev, const cJSON *data)
{
    enum runlog_kind kind = runlog_kind(action);
    if (report_people_line(sb, action, ev, data)) {
        return;
    }
    switch (kind) {
    case RL_NOTE:
        strbuf_str(sb, "note ");
        quoted(sb, md_str(data, "text"));
        break;
    case RL_APPROVAL:
        strbuf_str(sb, "approved");
        md_field(sb, " step ", json_get(ev, "step"));
        aside(sb, "asked by ", data, "requested_by");
        break;
    case RL_COMMAND_START:
        strbuf_str(sb, "ran ");
        md_code_span(sb, md_str(data, "command") != NULL ? md_str(data, "command") : "");
        break;
    case RL_CHOICE:
        strbuf_str(sb, "chose ");
        quoted(sb, md_str(data, "label"));
        break;
    default:
        md_inline(sb, action);
        md_field(sb, " ", json_get(ev, "step"));
        md_field(sb, ": ", json_get(ev, "result"));
        break;
    }
    strbuf_str(sb, "\n");
}

/* The action of a line user did (but bookkeeping: output references, checks); NULL otherwise. */
static const char *mine(const cJSON *ev, const char *user)
{
    const char *actor = md_str(ev, "actor");
    const char *action = md_str(ev, "action");
    enum runlog_kind kind = runlog_kind(action);
    bool bookkeeping = kind == RL_COMMAND_OUTPUT || kind == RL_COMMAND_PGID || kind == RL_CHECK;
    return actor != NULL && action != NULL && strcmp(actor, user) == 0 && !bookkeeping ? action
                                                                                       : NULL;
}

/* ---- the section ---- */

static void list(struct strbuf *out, const char *label, char **items, size_t n)
{
    strbuf_printf(out, "- %s: ", label);
    for (size_t i = 0; i < n; i++) {
        strbuf_str(out, i > 0 ? ", then " : "");
        md_inline(out, items[i]);
    }
    strbuf_str(out, n == 0 ? "(none journaled)\n" : "\n");
}

static void one_person(struct strbuf *out, const struct person *p, const struct md_line *lines,
                       size_t n)
{
    char clock[16];
    strbuf_str(out, "\n### ");
    md_inline(out, p->user);
    strbuf_str(out, "\n\n");
    list(out, "Role", p->roles, p->nroles);
    list(out, "Host", p->hosts, p->nhosts);
    struct strbuf acts = {0};
    for (size_t i = 0; i < n; i++) {
        const cJSON *ev = lines[i].obj;
        const char *action = mine(ev, p->user);
        if (action == NULL) {
            continue;
        }
        enum runlog_kind kind = runlog_kind(action);
        md_clock(clock, lines[i].ms);
        if (kind == RL_JOIN || kind == RL_LEAVE) {
            strbuf_printf(out, "- %s %s", kind == RL_JOIN ? "Joined" : "Left", clock);
            aside(out, kind == RL_JOIN ? "as " : "", json_obj(ev, "data"),
                  kind == RL_JOIN ? "role" : "reason");
            strbuf_str(out, "\n");
        }
        strbuf_printf(&acts, "  - %s ", clock);
        action_words(&acts, action, ev, json_obj(ev, "data"));
    }
    strbuf_str(out, "- Actions:");
    strbuf_str(out, acts.n > 0 ? "\n" : " (none)\n");
    strbuf_str(out, acts.n > 0 ? acts.s : "");
    free(acts.s);
}

void report_people_md(struct strbuf *out, const struct md_line *lines, size_t n)
{
    struct people pp = {0};
    gather(&pp, lines, n);
    if (pp.n >= 2) {
        strbuf_str(out, "\n## People\n");
        for (size_t i = 0; i < pp.n; i++) {
            one_person(out, &pp.p[i], lines, n);
        }
    }
    people_free(&pp);
}

static cJSON *strings(char **items, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
    }
    return a;
}

cJSON *report_people_json(const struct md_line *lines, size_t n)
{
    struct people pp = {0};
    gather(&pp, lines, n);
    cJSON *arr = NULL;
    if (pp.n >= 2) {
        arr = cJSON_CreateArray();
        for (size_t i = 0; i < pp.n; i++) {
            const struct person *p = &pp.p[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "user", p->user);
            cJSON_AddItemToObject(o, "roles", strings(p->roles, p->nroles));
            cJSON_AddItemToObject(o, "hosts", strings(p->hosts, p->nhosts));
            cJSON *joins = cJSON_AddArrayToObject(o, "joined");
            cJSON *leaves = cJSON_AddArrayToObject(o, "left");
            cJSON *acts = cJSON_AddArrayToObject(o, "actions");
            for (size_t k = 0; k < n; k++) {
                const cJSON *ev = lines[k].obj;
                const char *action = mine(ev, p->user);
                if (action == NULL) {
                    continue;
                }
                enum runlog_kind kind = runlog_kind(action);
                char ts[32];
                clock_format_rfc3339(ts, lines[k].ms);
                if (kind == RL_JOIN || kind == RL_LEAVE) {
                    cJSON_AddItemToArray(kind == RL_JOIN ? joins : leaves, cJSON_CreateString(ts));
                }
                struct strbuf sb = {0};
                action_words(&sb, action, ev, json_obj(ev, "data"));
                if (sb.n > 0 && sb.s[sb.n - 1] == '\n') {
                    sb.s[--sb.n] = '\0';
                }
                cJSON *a = cJSON_CreateObject();
                cJSON_AddStringToObject(a, "ts", ts);
                cJSON_AddStringToObject(a, "action", action);
                json_add_str(a, "step", md_str(ev, "step"));
                cJSON_AddStringToObject(a, "text", sb.s != NULL ? sb.s : "");
                free(sb.s);
                cJSON_AddItemToArray(acts, a);
            }
            cJSON_AddItemToArray(arr, o);
        }
    }
    people_free(&pp);
    return arr;
}
