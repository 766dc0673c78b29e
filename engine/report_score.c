/*
 * The score's share of a drill report (report_drill.c; docs/drills.md "The
 * after-action report"): the summary leadership reads first (score, time to
 * detect / declare / mitigate, the three biggest misses, action items), the
 * expectations grouped by inject, the roll-ups per role and per objective,
 * the action items (notes and debrief answers naming an @owner), the debrief
 * questions nobody answered; Markdown and JSON from the same data. The score
 * itself is drill_score.c.
 */
#include "report_score.h"

#include "../common/json.h"
#include "../common/util.h"
#include "drill.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MISSES = 3 };

void report_score_str(cJSON *o, const char *name, const char *v)
{
    if (v != NULL) {
        cJSON_AddStringToObject(o, name, v);
    } else {
        cJSON_AddNullToObject(o, name);
    }
}

static void t_text(char buf[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    snprintf(buf, 32, "T+%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

/* The drill's events as objects, in journal order (NULL: unreadable). */
static const cJSON **objs(const struct md_line *lines, size_t n)
{
    const cJSON **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = lines[i].obj;
    }
    return v;
}

void report_score_compute(struct dscore *s, const struct md_line *lines, size_t n)
{
    const cJSON **v = objs(lines, n);
    dscore_compute(s, v, n);
    free(v);
}

/* ---- action items ---- */

/* The first "@owner" word of a text (not inside an address); caller frees; NULL: none. */
static char *owner_of(const char *text, const char **at)
{
    for (const char *s = text; s != NULL && (s = strchr(s, '@')) != NULL; s++) {
        bool start = s == text || s[-1] == ' ' || s[-1] == '\t' || s[-1] == '(';
        size_t len = strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789-_.");
        while (len > 0 && s[len] == '.') {
            len--; /* "@bob." ends a sentence */
        }
        if (start && len > 0) {
            *at = s;
            return xstrndup(s + 1, len);
        }
    }
    return NULL;
}

void report_score_actions(const struct md_line *lines, size_t n, struct rs_action **out,
                          size_t *count)
{
    *out = NULL;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *action = md_str(lines[i].obj, "action");
        const cJSON *d = json_obj(lines[i].obj, "data");
        bool note = action != NULL && strcmp(action, "note") == 0;
        bool debrief = action != NULL && strcmp(action, "debrief") == 0;
        const char *text = note ? md_str(d, "text") : debrief ? md_str(d, "answer") : NULL;
        const char *section = md_str(d, "section");
        if (text == NULL) {
            continue;
        }
        const char *at = NULL;
        char *owner = owner_of(text, &at);
        bool listed = note && section != NULL && strcasecmp(section, "action items") == 0;
        if (owner == NULL && !listed) {
            continue;
        }
        /* "@bob check the copy": the owner leads; elsewhere the text stays whole */
        const char *rest = text;
        while (*rest == ' ') {
            rest++;
        }
        if (owner != NULL && at == rest) {
            rest += 1 + strlen(owner);
            while (*rest == ' ' || *rest == ':' || *rest == ',' || *rest == '\t') {
                rest++;
            }
        }
        *out = xreallocarray(*out, *count + 1, sizeof **out);
        (*out)[(*count)++] = (struct rs_action){.owner = owner, .text = rest};
    }
}

void report_score_actions_free(struct rs_action *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].owner);
    }
    free(a);
}

void report_score_actions_md(struct strbuf *out, const struct rs_action *a, size_t n)
{
    strbuf_str(out, "\n## Action items\n\n");
    strbuf_str(out, n > 0 ? "| owner | action |\n|---|---|\n" : "(none)\n");
    for (size_t i = 0; i < n; i++) {
        strbuf_str(out, "| ");
        md_cell(out, a[i].owner != NULL ? a[i].owner : "(no owner)");
        strbuf_str(out, " | ");
        md_cell(out, a[i].text);
        strbuf_str(out, " |\n");
    }
}

/* ---- the summary ---- */

static void counts_text(struct strbuf *out, const struct dscore *s)
{
    strbuf_printf(out, ": %d met, %d late, %d missed", s->count[DS_MET], s->count[DS_LATE],
                  s->count[DS_MISSED]);
    if (s->count[DS_SKIPPED] > 0) {
        strbuf_printf(out, ", %d skipped", s->count[DS_SKIPPED]);
    }
    if (s->count[DS_PENDING] > 0) {
        strbuf_printf(out, ", %d not marked", s->count[DS_PENDING]);
    }
    if (s->count[DS_NOT_REACHED] > 0) {
        strbuf_printf(out, ", %d not reached (outside the score)", s->count[DS_NOT_REACHED]);
    }
}

static void milestone_text(struct strbuf *out, const struct dscore *s, int m)
{
    char t[32], d[32];
    if (s->milestone_ms[m] < 0) {
        strbuf_str(out, "not met\n");
        return;
    }
    int64_t from = s->first_fired_ms >= 0 ? s->first_fired_ms : 0;
    t_text(t, s->milestone_ms[m]);
    md_dur(d, s->milestone_ms[m] > from ? s->milestone_ms[m] - from : 0);
    strbuf_printf(out, "%s (at %s)\n", d, t);
}

static void miss_text(struct strbuf *out, const struct dscore_item *it)
{
    strbuf_str(out, "\"");
    md_inline(out, it->text != NULL ? it->text : "?");
    strbuf_str(out, "\" (");
    md_inline(out, it->title);
    if (it->role != NULL) {
        strbuf_str(out, ", @");
        md_inline(out, it->role);
    }
    strbuf_printf(out, "): %s, %d point%s lost\n", dscore_status_name(it->status),
                  it->max - it->points, it->max - it->points == 1 ? "" : "s");
}

void report_score_summary_md(struct strbuf *out, const struct dscore *s, const struct rs_action *a,
                             size_t na)
{
    static const char *const names[] = {"detect", "declare", "mitigate"};
    char *score = dscore_text(s);
    strbuf_str(out, "\n## Summary\n\n- Score: ");
    strbuf_str(out, score);
    free(score);
    counts_text(out, s);
    strbuf_str(out, "\n");
    for (int m = 0; m < 3; m++) {
        strbuf_printf(out, "- Time to %s: ", names[m]);
        milestone_text(out, s, m);
    }
    size_t idx[MISSES];
    size_t nm = dscore_misses(s, idx, MISSES);
    strbuf_str(out, nm > 0 ? "- Biggest misses:\n" : "- Biggest misses: none\n");
    for (size_t i = 0; i < nm; i++) {
        strbuf_printf(out, "  %zu. ", i + 1);
        miss_text(out, &s->items[idx[i]]);
    }
    strbuf_str(out, na > 0 ? "- Action items:\n" : "- Action items: none\n");
    for (size_t i = 0; i < na; i++) {
        strbuf_str(out, "  - ");
        md_inline(out, a[i].owner != NULL ? a[i].owner : "(no owner)");
        strbuf_str(out, ": ");
        md_inline(out, a[i].text);
        strbuf_str(out, "\n");
    }
}

/* ---- expectations and roll-ups ---- */

static void item_actual(struct strbuf *out, const struct dscore_item *it)
{
    char t[32], d[32];
    if (it->status == DS_NOT_REACHED || it->status == DS_SKIPPED || it->status == DS_PENDING) {
        strbuf_str(out, dscore_status_name(it->status));
        return;
    }
    t_text(t, it->at_ms);
    if (it->status == DS_MISSED && (it->by == NULL || it->by[0] == '\0')) {
        strbuf_printf(out, "no response by the deadline (%s)", t);
        return;
    }
    strbuf_printf(out, "%s at %s", it->status == DS_MISSED ? "marked missed" : "done", t);
    if (it->fired_ms >= 0 && it->at_ms >= it->fired_ms) {
        md_dur(d, it->at_ms - it->fired_ms);
        strbuf_printf(out, ", %s after the inject", d);
    }
    if (it->by != NULL && it->by[0] != '\0') {
        strbuf_str(out, ", by ");
        md_cell(out, it->by);
    }
}

static void groups_md(struct strbuf *out, const char *head, const char *col,
                      const struct dscore_group *g, size_t n, const struct dscore *s)
{
    strbuf_printf(out, "\n### %s\n\n", head);
    if (n == 0) {
        strbuf_str(out, "(none)\n");
        return;
    }
    strbuf_printf(out,
                  "| %s | score | met | late | missed | not reached |\n"
                  "|---|---|---|---|---|---|\n",
                  col);
    for (size_t i = 0; i < n; i++) {
        strbuf_str(out, "| ");
        md_cell(out, g[i].key);
        const char *obj = NULL;
        const cJSON *ids = json_arr(s->start, "objective_ids");
        const cJSON *texts = json_arr(s->start, "objectives");
        for (int k = 0; k < cJSON_GetArraySize(ids) && obj == NULL; k++) {
            const cJSON *id = cJSON_GetArrayItem(ids, k);
            if (cJSON_IsString(id) && strcmp(id->valuestring, g[i].key) == 0) {
                const cJSON *t = cJSON_GetArrayItem(texts, k);
                obj = cJSON_IsString(t) ? t->valuestring : NULL;
            }
        }
        if (obj != NULL) {
            strbuf_str(out, ": ");
            md_cell(out, obj);
        }
        strbuf_printf(out, " | %d of %d | %d | %d | %d | %d |\n", g[i].points, g[i].max,
                      g[i].count[DS_MET], g[i].count[DS_LATE], g[i].count[DS_MISSED],
                      g[i].count[DS_NOT_REACHED]);
    }
}

void report_score_expectations_md(struct strbuf *out, const struct dscore *s)
{
    strbuf_str(out, "\n## Expectations\n\n");
    if (s->nitems == 0) {
        strbuf_str(out, "(no expectations)\n");
    } else {
        strbuf_str(out, "| inject | expected | role | actual | status | points |\n"
                        "|---|---|---|---|---|---|\n");
    }
    for (size_t i = 0; i < s->nitems; i++) {
        const struct dscore_item *it = &s->items[i];
        bool first = i == 0 || s->items[i - 1].inject_order != it->inject_order;
        strbuf_str(out, "| ");
        md_cell(out, first ? it->title : "");
        strbuf_str(out, " | ");
        md_cell(out, it->text != NULL ? it->text : "?");
        strbuf_str(out, " | ");
        md_cell(out, it->role != NULL ? it->role : "");
        strbuf_str(out, " | ");
        item_actual(out, it);
        strbuf_str(out, " | ");
        md_cell(out, dscore_status_name(it->status));
        if (it->status == DS_NOT_REACHED) {
            strbuf_str(out, " | - |\n");
        } else {
            strbuf_printf(out, " | %d of %d |\n", it->points, it->max);
        }
    }
    char *score = dscore_text(s);
    strbuf_str(out, "\n## Score\n\n");
    strbuf_str(out, score);
    free(score);
    counts_text(out, s);
    strbuf_str(out, ".\n\nThe score counts every expectation of the injects on the clock and of "
                    "the contingencies that fired; not reached ones are outside it "
                    "(docs/drills.md \"Scores\").\n");
    groups_md(out, "By role", "role", s->roles, s->nroles, s);
    groups_md(out, "By objective", "objective", s->tags, s->ntags, s);
}

/* ---- the debrief ---- */

static bool answered(const struct md_line *lines, size_t n, const char *q)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = md_str(lines[i].obj, "action");
        const cJSON *d = json_obj(lines[i].obj, "data");
        const char *a = md_str(d, "answer");
        if (action != NULL && strcmp(action, "debrief") == 0 && md_str(d, "question") != NULL &&
            strcmp(md_str(d, "question"), q) == 0 && a != NULL && a[0] != '\0') {
            return true;
        }
    }
    return false;
}

cJSON *report_score_unanswered(const struct dscore *s, const struct md_line *lines, size_t n)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *q;
    cJSON_ArrayForEach(q, json_arr(s->start, "prompts"))
    {
        if (cJSON_IsString(q) && !answered(lines, n, q->valuestring)) {
            cJSON_AddItemToArray(out, cJSON_CreateString(q->valuestring));
        }
    }
    return out;
}

void report_score_unanswered_md(struct strbuf *out, const struct dscore *s,
                                const struct md_line *lines, size_t n)
{
    cJSON *u = report_score_unanswered(s, lines, n);
    const cJSON *q;
    if (cJSON_GetArraySize(u) > 0) {
        strbuf_str(out, "\nUnanswered:\n\n");
    }
    cJSON_ArrayForEach(q, u)
    {
        strbuf_str(out, "- ");
        md_inline(out, q->valuestring);
        strbuf_str(out, "\n");
    }
    cJSON_Delete(u);
}

/* ---- JSON ---- */

static cJSON *counts_json(const int count[DS_NOT_REACHED + 1], int points, int max)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "points", points);
    cJSON_AddNumberToObject(o, "max", max);
    cJSON_AddNumberToObject(o, "met", count[DS_MET]);
    cJSON_AddNumberToObject(o, "late", count[DS_LATE]);
    cJSON_AddNumberToObject(o, "missed", count[DS_MISSED]);
    cJSON_AddNumberToObject(o, "skipped", count[DS_SKIPPED]);
    cJSON_AddNumberToObject(o, "not_marked", count[DS_PENDING]);
    cJSON_AddNumberToObject(o, "not_reached", count[DS_NOT_REACHED]);
    return o;
}

static void add_ms(cJSON *o, const char *name, int64_t ms)
{
    if (ms >= 0) {
        cJSON_AddNumberToObject(o, name, (double)ms);
    } else {
        cJSON_AddNullToObject(o, name);
    }
}

static cJSON *item_json(const struct dscore_item *it)
{
    cJSON *o = cJSON_CreateObject();
    report_score_str(o, "inject", it->inject);
    report_score_str(o, "title", it->title);
    cJSON_AddNumberToObject(o, "index", it->index);
    report_score_str(o, "text", it->text);
    report_score_str(o, "role", it->role);
    cJSON_AddItemToObject(o, "tags",
                          it->tags != NULL ? cJSON_Duplicate(it->tags, true) : cJSON_CreateArray());
    cJSON_AddNumberToObject(o, "deadline_s", it->deadline_s);
    report_score_str(o, "status", dscore_status_name(it->status));
    cJSON_AddNumberToObject(o, "points", it->points);
    cJSON_AddNumberToObject(o, "max", it->max);
    add_ms(o, "fired_ms", it->fired_ms);
    add_ms(o, "at_ms",
           it->status == DS_MET || it->status == DS_LATE || it->status == DS_MISSED ? it->at_ms
                                                                                    : -1);
    report_score_str(o, "by", it->by);
    return o;
}

static cJSON *groups_json(const struct dscore_group *g, size_t n, const char *key)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = counts_json(g[i].count, g[i].points, g[i].max);
        report_score_str(o, key, g[i].key);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

void report_score_json(cJSON *root, const struct dscore *s, const struct rs_action *a, size_t na,
                       const struct md_line *lines, size_t n)
{
    static const char *const names[] = {"detect_ms", "declare_ms", "mitigate_ms"};
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    cJSON *score = counts_json(s->count, s->points, s->max);
    if (s->max > 0) {
        cJSON_AddNumberToObject(score, "percent", dscore_percent(s));
    }
    cJSON_AddItemToObject(sum, "score", score);
    cJSON *times = cJSON_AddObjectToObject(sum, "times");
    for (int m = 0; m < 3; m++) {
        int64_t from = s->first_fired_ms >= 0 ? s->first_fired_ms : 0;
        add_ms(times, names[m],
               s->milestone_ms[m] >= 0 ? (s->milestone_ms[m] > from ? s->milestone_ms[m] - from : 0)
                                       : -1);
    }
    size_t idx[MISSES];
    size_t nm = dscore_misses(s, idx, MISSES);
    cJSON *misses = cJSON_AddArrayToObject(sum, "misses");
    for (size_t i = 0; i < nm; i++) {
        cJSON *o = item_json(&s->items[idx[i]]);
        cJSON_AddNumberToObject(o, "lost", s->items[idx[i]].max - s->items[idx[i]].points);
        cJSON_AddItemToArray(misses, o);
    }
    cJSON *acts = cJSON_AddArrayToObject(sum, "action_items");
    for (size_t i = 0; i < na; i++) {
        cJSON *o = cJSON_CreateObject();
        report_score_str(o, "owner", a[i].owner);
        report_score_str(o, "text", a[i].text);
        cJSON_AddItemToArray(acts, o);
    }
    cJSON *ex = cJSON_AddArrayToObject(root, "expectations");
    for (size_t i = 0; i < s->nitems; i++) {
        cJSON_AddItemToArray(ex, item_json(&s->items[i]));
    }
    cJSON_AddItemToObject(root, "by_role", groups_json(s->roles, s->nroles, "role"));
    cJSON_AddItemToObject(root, "by_objective", groups_json(s->tags, s->ntags, "objective"));
    cJSON_AddItemToObject(root, "unanswered", report_score_unanswered(s, lines, n));
}
