/*
 * The score's share of a drill report (report_score.c): summary,
 * expectations by inject, roll-ups, action items, unanswered debrief
 * questions, in Markdown and JSON. Engine only; report.h is the interface.
 */
#ifndef OPSDECK_REPORT_SCORE_H
#define OPSDECK_REPORT_SCORE_H

#include "drill_score.h"
#include "report_md.h"

/* An action item: a note (or debrief answer) naming an @owner, or a note under Action items. */
struct rs_action {
    char *owner;      /* NULL: no owner */
    const char *text; /* borrowed from the event */
};

/* A string or null into o: the JSON keeps its shape. */
void report_score_str(cJSON *o, const char *name, const char *v);
void report_score_compute(struct dscore *s, const struct md_line *lines, size_t n);
void report_score_actions(const struct md_line *lines, size_t n, struct rs_action **out,
                          size_t *count);
void report_score_actions_free(struct rs_action *a, size_t n);
void report_score_actions_md(struct strbuf *out, const struct rs_action *a, size_t n);
void report_score_summary_md(struct strbuf *out, const struct dscore *s, const struct rs_action *a,
                             size_t na);
void report_score_expectations_md(struct strbuf *out, const struct dscore *s);
/* The debrief prompts of run.start nobody answered (a JSON array of strings). */
cJSON *report_score_unanswered(const struct dscore *s, const struct md_line *lines, size_t n);
void report_score_unanswered_md(struct strbuf *out, const struct dscore *s,
                                const struct md_line *lines, size_t n);
/* summary, expectations, by_role, by_objective, unanswered into root. */
void report_score_json(cJSON *root, const struct dscore *s, const struct rs_action *a, size_t na,
                       const struct md_line *lines, size_t n);

#endif
