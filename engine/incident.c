/*
 * The incident parts of a report (incident.h). Every word from the files
 * passes report_md.c's filters (md_inline, md_cell) on its way in, like the
 * rest of the report.
 */
#include "incident.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "paths.h"
#include "report_md.h"

#include <cjson/cJSON.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct pm_question postmortem_questions[] = {
    {"impact", "Impact (who or what was affected, how long)"},
    {"severity", "Severity (SEV1..SEV4)"},
    {"root_cause", "Root cause"},
    {"action_items", "Action items (item @owner; item @owner)"},
};
const size_t postmortem_nquestions = sizeof postmortem_questions / sizeof postmortem_questions[0];

static bool known_field(const char *field)
{
    for (size_t i = 0; i < postmortem_nquestions; i++) {
        if (strcmp(postmortem_questions[i].field, field) == 0) {
            return true;
        }
    }
    return false;
}

/* One "text @owner" item: the owner is the last @word; the text is the rest. */
static cJSON *action_item(const char *s, size_t len)
{
    char *item = xstrndup(s, len);
    char *text = str_trim(item);
    char *owner = NULL;
    char *at = strrchr(text, '@');
    if (at != NULL && at[1] != '\0' && strpbrk(at, " \t") == NULL &&
        (at == text || at[-1] == ' ' || at[-1] == '\t')) {
        owner = xstrdup(at + 1);
        *at = '\0';
        text = str_trim(text);
    }
    cJSON *o = NULL;
    if (text[0] != '\0' || owner != NULL) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", text);
        cJSON_AddStringToObject(o, "owner", owner != NULL ? owner : "(no owner)");
    }
    free(owner);
    free(item);
    return o;
}

cJSON *postmortem_event(const char *field, const char *value)
{
    if (field == NULL || !known_field(field)) {
        return NULL;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "field", field);
    cJSON_AddStringToObject(d, "value", value != NULL ? value : "");
    if (strcmp(field, "action_items") == 0 && value != NULL) {
        cJSON *items = cJSON_AddArrayToObject(d, "items");
        for (const char *p = value; *p != '\0';) {
            size_t len = strcspn(p, ";\n");
            cJSON *it = action_item(p, len);
            if (it != NULL) {
                cJSON_AddItemToArray(items, it);
            }
            p += len;
            p += *p != '\0';
        }
    }
    return d;
}

/* ---- sources ---- */

void incident_paths(const char *runs_dir, char **audit, char **alerts)
{
    char *state = NULL;
    if (runs_dir == NULL) {
        state = paths_state_dir();
    } else {
        size_t len = strlen(runs_dir);
        while (len > 1 && runs_dir[len - 1] == '/') {
            len--;
        }
        /* STATE/runs: its siblings; any other directory (tests) has none */
        if (len >= 5 && strncmp(runs_dir + len - 5, "/runs", 5) == 0) {
            state = xstrndup(runs_dir, len - 5);
        }
    }
    *audit = state != NULL ? xasprintf("%s/audit.jsonl", state) : NULL;
    *alerts = state != NULL ? xasprintf("%s/alerts.jsonl", state) : NULL;
    free(state);
}

struct leftover *incident_leftovers(const char *run, const struct store *st, size_t *n,
                                    char **cause)
{
    struct timeline t = {0};
    int64_t now = clock_wall_ms();
    /* a run: whatever it holds; none: what this host did */
    struct tl_select sel = {
        .run = run, .host = whoami_host(), .host_only = run == NULL, .until = now};
    if (run == NULL || !timeline_run_id_time(run, &sel.from)) {
        sel.from = now - INCIDENT_LOOKBACK_MS;
    }
    char *audit = NULL, *alerts = NULL;
    incident_paths(NULL, &audit, &alerts);
    if (audit != NULL && !timeline_load_audit(&t, audit, &sel, cause)) {
        *n = 0;
        free(audit);
        free(alerts);
        return NULL;
    }
    free(audit);
    free(alerts);
    timeline_sort(&t);
    struct leftover *v = leftovers_derive(&t, st, n);
    timeline_free(&t);
    return v;
}

void incident_load(struct incident *in, const char *audit, const char *alerts,
                   const struct tl_select *sel)
{
    char *cause = NULL;
    /* an unreadable log adds nothing, and the report says so under its figures */
    if (audit != NULL && !timeline_load_audit(&in->t, audit, sel, &cause)) {
        in->problem =
            xasprintf("the audit log could not be read (%s): its actions are missing", cause);
        free(cause);
        cause = NULL;
    }
    if (alerts != NULL && !timeline_load_alerts(&in->t, alerts, sel, &cause)) {
        free(in->problem);
        in->problem = xasprintf("the alert log could not be read (%s)", cause);
        free(cause);
    }
    timeline_sort(&in->t);
}

static int phase_of(const cJSON *v)
{
    static const char letters[] = "SAFE";
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 4) {
        return (int)v->valuedouble;
    }
    if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
        const char *p = strchr(letters, v->valuestring[0] & ~0x20);
        return p != NULL ? (int)(p - letters) : -1;
    }
    return -1;
}

void incident_event(struct incident *in, const cJSON *ev)
{
    const char *action = md_str(ev, "action");
    const cJSON *data = json_obj(ev, "data");
    if (action == NULL) {
        return;
    }
    if (strcmp(action, "postmortem") == 0) {
        const char *field = md_str(data, "field");
        const char *value = md_str(data, "value");
        if (field == NULL || value == NULL) {
            return;
        }
        if (strcmp(field, "impact") == 0) {
            in->impact = value;
        } else if (strcmp(field, "severity") == 0) {
            in->severity = value;
        } else if (strcmp(field, "root_cause") == 0) {
            in->root_cause = value;
        } else if (strcmp(field, "action_items") == 0) {
            in->items = json_arr(data, "items");
        }
    } else if (strcmp(action, "leftovers") == 0) {
        in->leftovers = json_arr(data, "items");
    }
}

void incident_step_done(struct incident *in, const cJSON *phase, int64_t ms, const char *title)
{
    tl_figures_step(&in->fig, phase_of(phase), ms, title);
}

/* ---- the timeline's lines ---- */

static void item_prefix(struct strbuf *sb, int64_t ms, int64_t start_ms)
{
    char clock[16];
    md_clock(clock, ms);
    int64_t rel = (ms - start_ms) / 1000;
    const char *sign = rel < 0 ? "-" : "+";
    rel = rel < 0 ? -rel : rel;
    strbuf_printf(sb, "- %s %s%02lld:%02lld ", clock, sign, (long long)(rel / 60),
                  (long long)(rel % 60));
}

static void who(struct strbuf *sb, const struct tl_entry *e)
{
    md_inline(sb, e->actor != NULL ? e->actor : "unknown");
    strbuf_str(sb, "@");
    md_inline(sb, e->host != NULL ? e->host : "unknown");
}

static void action_line(struct strbuf *sb, const struct tl_entry *e)
{
    who(sb, e);
    strbuf_str(sb, ": ");
    md_inline(sb, e->what);
    strbuf_str(sb, " ");
    md_inline(sb, e->target != NULL ? e->target : "");
    if (e->input != NULL && e->input[0] != '\0') {
        strbuf_str(sb, " with ");
        md_inline(sb, e->input);
    }
    if (e->backend != NULL) {
        strbuf_str(sb, " on ");
        md_inline(sb, e->backend);
    }
    strbuf_str(sb, " -> ");
    md_inline(sb, e->result != NULL ? e->result : "no outcome recorded");
    if (e->done_ms > 0) {
        char clock[16];
        md_clock(clock, e->done_ms);
        strbuf_printf(sb, " at %s", clock);
    }
    if (e->message != NULL && e->message[0] != '\0' && e->result != NULL &&
        strcmp(e->result, "ok") == 0) {
        strbuf_str(sb, ": ");
        md_inline(sb, e->message);
    }
    if (e->run == NULL) {
        strbuf_str(sb, " (no run named)");
    }
}

static void alert_line(struct strbuf *sb, const struct tl_entry *e)
{
    strbuf_str(sb, "alert ");
    md_inline(sb, e->target != NULL && e->target[0] != '\0' ? e->target : "(unnamed)");
    strbuf_str(sb, " ");
    md_inline(sb, e->what);
    if (e->result != NULL && strcmp(e->result, "gone") == 0) {
        strbuf_str(sb, " (no longer reported)");
    }
    if (e->message != NULL && e->message[0] != '\0') {
        strbuf_str(sb, " {");
        md_inline(sb, e->message);
        strbuf_str(sb, "}");
    }
    if (e->backend != NULL) {
        strbuf_str(sb, " from ");
        md_inline(sb, e->backend);
    }
    if (e->starts_ms > 0 && strcmp(e->what, "fired") == 0) {
        char clock[16];
        md_clock(clock, e->starts_ms);
        strbuf_printf(sb, ", started %s", clock);
    }
    strbuf_str(sb, "; seen by ");
    who(sb, e);
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char ts[32];
    clock_format_rfc3339(ts, ms);
    cJSON_AddStringToObject(o, name, ts);
}

cJSON *incident_entry_json(const struct tl_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    add_time(o, "ts", e->ms);
    cJSON_AddStringToObject(o, "source", e->source == TL_ACTION ? "action" : "alert");
    json_add_str(o, "actor", e->actor);
    json_add_str(o, "host", e->host);
    json_add_str(o, "action", e->what);
    json_add_str(o, "target", e->target);
    json_add_str(o, "result", e->result);
    json_add_str(o, "backend", e->backend);
    json_add_str(o, "input", e->input);
    json_add_str(o, "message", e->message);
    json_add_str(o, "key", e->key);
    json_add_str(o, "run", e->run);
    if (e->done_ms > 0) {
        add_time(o, "done", e->done_ms);
    }
    if (e->starts_ms > 0) {
        add_time(o, "starts_at", e->starts_ms);
    }
    return o;
}

void incident_emit_until(struct incident *in, struct strbuf *sb, cJSON *arr, int64_t ms,
                         int64_t start_ms)
{
    while (in->next < in->t.n && in->t.v[in->next].ms <= ms) {
        const struct tl_entry *e = &in->t.v[in->next++];
        if (e->journaled) {
            continue; /* the run's own journal tells it */
        }
        item_prefix(sb, e->ms, start_ms);
        if (e->source == TL_ACTION) {
            action_line(sb, e);
        } else {
            alert_line(sb, e);
        }
        strbuf_str(sb, "\n");
        if (arr != NULL) {
            cJSON_AddItemToArray(arr, incident_entry_json(e));
        }
    }
}

/* ---- figures, answers, leftovers ---- */

static const struct {
    const char *label, *key;
    size_t off;
} marks[] = {
    {"Detected", "detected", offsetof(struct tl_figures, detected)},
    {"Acknowledged", "acknowledged", offsetof(struct tl_figures, acknowledged)},
    {"First mitigation", "mitigated", offsetof(struct tl_figures, mitigated)},
    {"Resolved", "resolved", offsetof(struct tl_figures, resolved)},
};

static const struct tl_mark *mark_at(const struct tl_figures *f, size_t i)
{
    return (const struct tl_mark *)(const void *)((const char *)f + marks[i].off);
}

/* Durations count from detection, else from the start. */
static int64_t origin(const struct tl_figures *f)
{
    return f->detected.ms > 0 ? f->detected.ms : f->start_ms;
}

static void figures_md(struct strbuf *out, const struct tl_figures *f)
{
    strbuf_str(out, "\n## Incident figures\n\n| figure | when (UTC) | after detection | what |\n"
                    "|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const struct tl_mark *m = mark_at(f, i);
        strbuf_printf(out, "| %s | ", marks[i].label);
        if (m->ms == 0) {
            strbuf_str(out, "not reached | | ");
            if (i == 3 && f->open_alerts > 0) {
                strbuf_printf(out, "%zu alert%s still open", f->open_alerts,
                              f->open_alerts == 1 ? "" : "s");
            } else if (i == 0) {
                strbuf_str(out, "no alert seen firing");
            }
            strbuf_str(out, " |\n");
            continue;
        }
        char date[80], d[32];
        md_date(date, m->ms);
        int64_t rel = m->ms - origin(f);
        md_dur(d, rel < 0 ? -rel : rel);
        strbuf_printf(out, "%s | %s%s%s | ", date, rel < 0 ? "-" : "", d,
                      f->detected.ms > 0 || i == 0 ? "" : " (from the start)");
        md_cell(out, m->what != NULL ? m->what : "");
        strbuf_str(out, " |\n");
    }
    if (f->mitigated.ms > 0) {
        char d[32];
        md_dur(d, f->mitigated.ms - origin(f));
        strbuf_printf(out, "\nTime to mitigation: %s\n", d);
    } else {
        strbuf_str(out, "\nTime to mitigation: not reached (no Focus step done, no mitigating "
                        "action taken)\n");
    }
}

static void answer_md(struct strbuf *out, const char *label, const char *value)
{
    strbuf_printf(out, "- %s: ", label);
    md_inline(out, value != NULL && value[0] != '\0' ? value : "(not answered)");
    strbuf_str(out, "\n");
}

static void postmortem_md(struct strbuf *out, const struct incident *in)
{
    strbuf_str(out, "\n## Post-incident review\n\n");
    answer_md(out, "Impact", in->impact);
    answer_md(out, "Severity", in->severity);
    answer_md(out, "Root cause", in->root_cause);
    strbuf_str(out, "\n### Action items\n\n");
    if (cJSON_GetArraySize(in->items) == 0) {
        strbuf_str(out, "(none)\n");
        return;
    }
    strbuf_str(out, "| item | owner |\n|---|---|\n");
    const cJSON *it;
    cJSON_ArrayForEach(it, in->items)
    {
        strbuf_str(out, "| ");
        md_cell(out, md_str(it, "text"));
        strbuf_str(out, " | ");
        md_cell(out, md_str(it, "owner"));
        strbuf_str(out, " |\n");
    }
}

/* The run's own list, else one derived from the audit log alone. */
static struct leftover *leftovers_of(const struct incident *in, size_t *n)
{
    if (in->leftovers != NULL) {
        return leftovers_from_json(in->leftovers, n);
    }
    return leftovers_derive(&in->t, NULL, n);
}

static void leftovers_md(struct strbuf *out, const struct incident *in)
{
    size_t n;
    struct leftover *v = leftovers_of(in, &n);
    strbuf_str(out, "\n## Left in place\n\n");
    if (n == 0) {
        strbuf_str(out, "(nothing)\n");
    } else {
        strbuf_str(out, "| what | state | since | by | undo |\n|---|---|---|---|---|\n");
    }
    for (size_t i = 0; i < n; i++) {
        char clock[16];
        md_clock(clock, v[i].since_ms);
        strbuf_str(out, "| ");
        md_cell(out, v[i].name);
        strbuf_str(out, " (");
        md_cell(out, v[i].backend);
        strbuf_str(out, ") | ");
        md_cell(out, v[i].what);
        strbuf_str(out, v[i].checked ? "" : " (not checked live)");
        strbuf_printf(out, " | %s | ", clock);
        md_cell(out, v[i].actor != NULL ? v[i].actor : "");
        strbuf_str(out, " | ");
        md_cell(out, v[i].undo_verb != NULL ? v[i].undo_verb : "(none)");
        if (v[i].undo_input != NULL) {
            strbuf_str(out, " ");
            md_cell(out, v[i].undo_input);
        }
        strbuf_str(out, " |\n");
    }
    leftovers_free(v, n);
}

static void figure(struct incident *in)
{
    if (!in->figured) {
        in->figured = true;
        tl_figures_timeline(&in->fig, &in->t);
    }
}

void incident_render(struct strbuf *out, struct incident *in)
{
    figure(in);
    figures_md(out, &in->fig);
    if (in->problem != NULL) {
        strbuf_str(out, "\nIncomplete: ");
        md_inline(out, in->problem);
        strbuf_str(out, "\n");
    }
    postmortem_md(out, in);
    leftovers_md(out, in);
}

void incident_json(cJSON *obj, struct incident *in)
{
    figure(in);
    cJSON *fig = cJSON_AddObjectToObject(obj, "figures");
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const struct tl_mark *m = mark_at(&in->fig, i);
        if (m->ms == 0) {
            cJSON_AddNullToObject(fig, marks[i].key);
            continue;
        }
        cJSON *o = cJSON_AddObjectToObject(fig, marks[i].key);
        add_time(o, "at", m->ms);
        cJSON_AddNumberToObject(o, "after_s", (double)((m->ms - origin(&in->fig)) / 1000));
        json_add_str(o, "what", m->what);
    }
    cJSON_AddNumberToObject(fig, "open_alerts", (double)in->fig.open_alerts);
    if (in->problem != NULL) {
        cJSON_AddStringToObject(obj, "incomplete", in->problem);
    }
    cJSON *pm = cJSON_AddObjectToObject(obj, "postmortem");
    json_add_str(pm, "impact", in->impact);
    json_add_str(pm, "severity", in->severity);
    json_add_str(pm, "root_cause", in->root_cause);
    cJSON_AddItemToObject(pm, "action_items",
                          in->items != NULL ? cJSON_Duplicate(in->items, true)
                                            : cJSON_CreateArray());
    size_t n;
    struct leftover *v = leftovers_of(in, &n);
    cJSON_AddItemToObject(obj, "leftovers", leftovers_json(v, n));
    leftovers_free(v, n);
}

char *incident_summary(const char *title, struct incident *in)
{
    figure(in);
    struct strbuf sb = {0};
    strbuf_printf(&sb, "Incident: %s\n", title);
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const struct tl_mark *m = mark_at(&in->fig, i);
        if (m->ms == 0) {
            strbuf_printf(&sb, "%s: not reached\n", marks[i].label);
            continue;
        }
        char clock[16], d[32];
        md_clock(clock, m->ms);
        int64_t rel = m->ms - origin(&in->fig);
        md_dur(d, rel < 0 ? -rel : rel);
        strbuf_printf(&sb, "%s: %s UTC (+%s) %s\n", marks[i].label, clock, d,
                      m->what != NULL ? m->what : "");
    }
    if (in->severity != NULL) {
        strbuf_printf(&sb, "Severity: %s\n", in->severity);
    }
    if (in->impact != NULL) {
        strbuf_printf(&sb, "Impact: %s\n", in->impact);
    }
    if (in->root_cause != NULL) {
        strbuf_printf(&sb, "Root cause: %s\n", in->root_cause);
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, in->items)
    {
        const char *text = md_str(it, "text"), *owner = md_str(it, "owner");
        strbuf_printf(&sb, "Action item: %s (%s)\n", text ? text : "", owner ? owner : "");
    }
    size_t n;
    struct leftover *v = leftovers_of(in, &n);
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(&sb, "Left in place: %s %s\n", v[i].name, v[i].what);
    }
    leftovers_free(v, n);
    return sb.s;
}

void incident_free(struct incident *in)
{
    free(in->problem);
    timeline_free(&in->t);
    tl_figures_free(&in->fig);
}
