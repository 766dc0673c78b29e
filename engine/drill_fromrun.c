/*
 * A past incident as a tabletop drill (drill_fromrun.h, docs/drills.md
 * "Wheel of Misfortune"): the run's journal (steps entered, notes, actions
 * and commands) and the alerts this console saw fire during it (alertlog,
 * through timeline.h) become injects at their offsets from the run's start.
 * What the team should do is the facilitator's to write: each inject carries
 * a commented `# expect:` line to fill in, so the file lints clean as it is.
 *
 * Every text from the journal goes into the body as a quote ("> "), one line
 * each, cleaned (common/text.h): a note cannot open a code block, a heading
 * or an annotation of its own.
 */
#include "drill_fromrun.h"

#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "incident.h"
#include "runlog.h"
#include "timeline.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INJECTS = 99 };

struct item {
    int64_t ms;
    char *title;  /* the heading */
    char *text;   /* the body (quoted) */
    size_t order; /* qsort is not stable: ties keep the journal's order */
};

struct items {
    struct item *v;
    size_t n;
};

static void add(struct items *it, int64_t ms, char *title, char *text)
{
    it->v = xreallocarray(it->v, it->n + 1, sizeof *it->v);
    it->v[it->n] = (struct item){.ms = ms, .title = title, .text = text, .order = it->n};
    it->n++;
}

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->ms != y->ms) {
        return x->ms < y->ms ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

/* One line of outside text, safe in a heading or a quote: cleaned, no line breaks, no fences. */
static char *one_line(const char *s)
{
    char *c = text_clean_str(s != NULL ? s : "", 0);
    for (char *p = c; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '`') {
            *p = *p == '`' ? '\'' : ' ';
        }
    }
    return c;
}

/* The journal's share: steps entered, notes, actions, commands. */
static void from_events(struct items *it, cJSON **ev, size_t n, int64_t start)
{
    for (size_t i = 1; i < n; i++) {
        struct runlog_event e;
        int64_t ms;
        const char *ts = runlog_str(ev[i], "ts");
        if (!runlog_event_parse(ev[i], &e) || ts == NULL || !clock_parse_rfc3339(ts, &ms)) {
            continue;
        }
        ms = ms > start ? ms - start : 0;
        char *a = NULL, *b = NULL;
        switch (e.kind) {
        case RL_STEP_ENTER:
            a = one_line(runlog_str(e.data, "title"));
            b = one_line(runlog_str(e.data, "phase"));
            add(it, ms, xasprintf("Step: %s", a),
                xasprintf("The on-call reached the step \"%s\" (phase %s).", a, b));
            break;
        case RL_NOTE:
            a = one_line(runlog_str(e.data, "text"));
            b = one_line(e.actor);
            add(it, ms, xasprintf("Note by %s", b), xasprintf("> %s", a));
            break;
        case RL_ACTION_END:
            a = one_line(runlog_str(e.data, "action") != NULL ? runlog_str(e.data, "action")
                                                              : e.target);
            b = one_line(e.result);
            add(it, ms, xasprintf("Action: %s", a), xasprintf("> %s: %s", a, b));
            break;
        case RL_COMMAND_START:
            a = one_line(runlog_str(e.data, "command"));
            add(it, ms, xasprintf("Command run"), xasprintf("> %s", a));
            break;
        default:
            break;
        }
        free(a);
        free(b);
    }
}

/* The alerts seen firing while the run was open. */
static void from_alerts(struct items *it, const char *runs_dir, const char *id, int64_t start,
                        int64_t end)
{
    char *audit = NULL, *alerts = NULL;
    incident_paths(runs_dir, &audit, &alerts);
    struct timeline t = {0};
    struct tl_select sel = {.run = id, .from = start, .until = end};
    char *cause = NULL;
    if (alerts != NULL && timeline_load_alerts(&t, alerts, &sel, &cause)) {
        for (size_t i = 0; i < t.n; i++) {
            const struct tl_entry *x = &t.v[i];
            if (x->source != TL_ALERT || x->what == NULL || strcmp(x->what, "fired") != 0) {
                continue;
            }
            char *name = one_line(x->target), *labels = one_line(x->message);
            add(it, x->ms > start ? x->ms - start : 0, xasprintf("Alert: %s fires", name),
                xasprintf("> %s fires (%s)", name, labels));
            free(name);
            free(labels);
        }
    }
    free(cause);
    timeline_free(&t);
    free(audit);
    free(alerts);
}

static void write_drill(struct strbuf *sb, const char *id, const char *title, const char *started,
                        const char *actor, struct items *it)
{
    int64_t last = it->n > 0 ? it->v[it->n - 1].ms : 0;
    int64_t minutes = last / 60000 + 15; /* room for the last inject's responses */
    strbuf_printf(sb, "# Drill: %s\n\n", title);
    strbuf_printf(sb,
                  "A tabletop replay of run %s (%s), started %s. Each inject is what happened, "
                  "at its offset from the run's start. Fill in what the team should do: each "
                  "inject has a commented expect line.\n\n",
                  id, title, started);
    strbuf_str(sb, "```opsdeck\n");
    strbuf_printf(sb, "drill: tabletop\nduration: %lldm\nlabel: [DRILL]\n", (long long)minutes);
    strbuf_str(sb, "objective: TODO what this replay should teach\n");
    strbuf_str(sb, "role: gm = Game master\nrole: ic = Incident commander\n");
    strbuf_printf(sb, "role: oncall = On-call engineer (was %s)\n", actor);
    strbuf_str(sb, "facilitator: gm\n```\n");
    for (size_t i = 0; i < it->n && i < MAX_INJECTS; i++) {
        const struct item *x = &it->v[i];
        long long s = (long long)(x->ms / 1000);
        strbuf_printf(sb, "\n## T+%02lld:%02lld %s\n", s / 60, s % 60, x->title);
        strbuf_printf(sb, "```opsdeck\nid: e%zu\nat: T+%02lld:%02lld\nto: ic, oncall\n", i + 1,
                      s / 60, s % 60);
        strbuf_str(sb, "# expect: 5m 10 TODO what the team should do by then (DEADLINE POINTS "
                       "TEXT)\n```\n");
        strbuf_printf(sb, "%s\n", x->text);
    }
    if (it->n > MAX_INJECTS) {
        strbuf_printf(sb, "\n## Facilitator notes\n\n%zu more events were left out.\n",
                      it->n - MAX_INJECTS);
    }
    strbuf_str(sb, "\n## Debrief\n\n- What would have found this sooner?\n"
                   "- What did the runbook miss?\n");
}

char *drill_from_run(const char *runs_dir, const char *id, char **cause)
{
    char *dir = runlog_dir(runs_dir, cause);
    if (dir == NULL) {
        return NULL;
    }
    char *path = runlog_path(dir, id, NULL, cause);
    size_t n = 0;
    cJSON **ev = path != NULL ? runlog_read(path, &n, cause) : NULL;
    free(path);
    if (ev == NULL) {
        free(dir);
        return NULL;
    }
    struct runlog_event st;
    int64_t start = 0, end = 0;
    const char *ts = n > 0 ? runlog_str(ev[0], "ts") : NULL;
    if (n == 0 || !runlog_event_parse(ev[0], &st) || st.kind != RL_RUN_START || ts == NULL ||
        !clock_parse_rfc3339(ts, &start)) {
        *cause = xasprintf("run %s: its journal does not begin with run.start", id);
        runlog_free(ev, n);
        free(dir);
        return NULL;
    }
    if (runlog_str(st.data, "kind") != NULL && strcmp(runlog_str(st.data, "kind"), "drill") == 0) {
        *cause = xasprintf("run %s is a drill: --from-run takes a runbook run (an incident)", id);
        runlog_free(ev, n);
        free(dir);
        return NULL;
    }
    const char *lts = runlog_str(ev[n - 1], "ts");
    if (lts == NULL || !clock_parse_rfc3339(lts, &end)) {
        end = start;
    }
    struct items it = {0};
    from_events(&it, ev, n, start);
    from_alerts(&it, dir, id, start, end);
    qsort(it.v, it.n, sizeof *it.v, item_cmp);
    char *title =
        one_line(runlog_str(st.data, "title") != NULL ? runlog_str(st.data, "title") : id);
    char *actor = one_line(st.actor != NULL ? st.actor : "?");
    char *when = one_line(ts);
    struct strbuf sb = {0};
    write_drill(&sb, id, title, when, actor, &it);
    free(when);
    for (size_t i = 0; i < it.n; i++) {
        free(it.v[i].title);
        free(it.v[i].text);
    }
    free(it.v);
    free(title);
    free(actor);
    runlog_free(ev, n);
    free(dir);
    return sb.s;
}
