/*
 * What the incident report adds to a run's journal (issue 13), shared by the
 * run report (report_run.c) and the report of a time range (report.c):
 *
 *   - the other sources of the timeline (timeline.h: audited actions, alert
 *     transitions), their lines in Markdown and their JSON objects;
 *   - the incident figures (detected, acknowledged, first mitigation,
 *     resolved, each with its time after detection);
 *   - the post-incident answers (impact, severity, root cause, action items
 *     with owners) the run journaled as "postmortem" events;
 *   - the leftovers (leftovers.h): the run's "leftovers" event (checked
 *     against the live models when the run ended), else derived from the
 *     audit log alone (unchecked).
 *
 * The questions asked at the end of a run are postmortem_questions[]; the
 * console and the plain mode ask them in this order and journal each answer
 * with postmortem_event() through the run (engine/run.h run_record()).
 */
#ifndef OPSDECK_INCIDENT_H
#define OPSDECK_INCIDENT_H

#include "../common/util.h"
#include "leftovers.h"
#include "timeline.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* ---- the questions ---- */

struct pm_question {
    const char *field;  /* impact, severity, root_cause, action_items */
    const char *prompt; /* what the operator is asked */
};
extern const struct pm_question postmortem_questions[];
extern const size_t postmortem_nquestions;

/*
 * The data of a "postmortem" event for one answer: {field, value}, and for
 * action_items {field, value, items: [{text, owner}]} parsed from
 * "fix the alert @bob; add a dashboard @carol" (items split on ';', the owner
 * is the last @word of an item; none: "(no owner)"). NULL for an unknown field.
 */
struct cJSON *postmortem_event(const char *field, const char *value);

/*
 * What is left in place (leftovers.h) by the actions of run (its audit lines,
 * and this host's unattributed ones since it started), or with run NULL by
 * this host's actions of the last week; checked against st (NULL: unchecked).
 */
enum { INCIDENT_LOOKBACK_MS = 7 * 24 * 3600 * 1000 };
struct leftover *incident_leftovers(const char *run, const struct store *st, size_t *n,
                                    char **cause);

/* ---- the incident ---- */

struct incident {
    struct timeline t;
    struct tl_figures fig;
    size_t next; /* the next entry of t to put on the timeline */
    /* answers, borrowed from the journal's events */
    const char *impact, *severity, *root_cause;
    const struct cJSON *items;     /* array of {text, owner} */
    const struct cJSON *leftovers; /* the run's "leftovers" event data.items, or NULL */
    bool figured;                  /* the timeline is in the figures */
    char *problem;                 /* a source that could not be read, said in the report */
};

/* The state directory's audit.jsonl and alerts.jsonl next to runs_dir (NULL: the defaults). */
void incident_paths(const char *runs_dir, char **audit, char **alerts);

/* Load the audit and alert sources (a missing file is none) into in->t, sorted. */
void incident_load(struct incident *in, const char *audit, const char *alerts,
                   const struct tl_select *sel);
/* A journal event of the run that matters here (postmortem, leftovers, step.done...). */
void incident_event(struct incident *in, const struct cJSON *ev);
/* A run's step.done "done" (phase: the step.enter's). */
void incident_step_done(struct incident *in, const struct cJSON *phase, int64_t ms,
                        const char *title);
/*
 * Put the entries up to ms (inclusive) on the timeline (INT64_MAX: all the
 * rest); start_ms: the +MM:SS origin. arr (may be NULL) gets each as JSON.
 */
void incident_emit_until(struct incident *in, struct strbuf *sb, struct cJSON *arr, int64_t ms,
                         int64_t start_ms);

/* ## Incident figures, ## Post-incident review, ## Left in place */
void incident_render(struct strbuf *out, struct incident *in);
/* The same as JSON members of obj: figures, postmortem, leftovers. */
void incident_json(struct cJSON *obj, struct incident *in);
/* The entry as a JSON object ({ts, source, actor, host, action, target, result, ...}). */
struct cJSON *incident_entry_json(const struct tl_entry *e);
/* A one-line summary for Slack: title, figures, left in place. Caller frees. */
char *incident_summary(const char *title, struct incident *in);
void incident_free(struct incident *in);

#endif
