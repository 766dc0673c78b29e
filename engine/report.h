/*
 * Post-incident reports (docs/runbooks.md "The report"): Markdown built from
 * a run's journal alone, so a report can be written for a run whose runbook
 * file has changed or gone. Secrets never appear: secret inputs are not in the
 * journal, and notify URLs and keys never were.
 */
#ifndef OPSDECK_REPORT_H
#define OPSDECK_REPORT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The Markdown report of RUN-ID in runs_dir (NULL: the default runs
 * directory). Caller frees; NULL with *cause (no such run, unreadable journal).
 * A torn last line (a crash mid-write) is ignored; other bad lines are
 * reported in the text as "(journal line N unreadable)".
 */
char *report_markdown(const char *runs_dir, const char *run_id, char **cause);
/*
 * The report of a run (run_id) or of a time range (run_id NULL: from, until
 * in wall ms) as one timeline: the run's journal, the audited actions and
 * the alert transitions (incident.h), the incident figures, the answers and
 * what was left in place. Markdown, or JSON text with json. *summary (may be
 * NULL; caller frees) gets a short text for a chat post. NULL with *cause.
 */
struct report_opts {
    const char *runs_dir; /* NULL: the default */
    const char *audit;    /* NULL: audit.jsonl beside runs_dir (STATE/runs), if that is it */
    const char *alerts;   /* NULL: alerts.jsonl, the same way */
    bool json;
};
char *report_build(const struct report_opts *o, const char *run_id, int64_t from, int64_t until,
                   char **summary, char **cause);
/* The newest runbook run (not a drill) in runs_dir (NULL: default); caller frees. */
char *report_last_run(const char *runs_dir, char **cause);

/*
 * Write md as RUN-ID.md next to the run's journal in runs_dir, mode 0600 like
 * everything opsdeck writes (an existing file gets 0600 too). *path is the
 * caller's, set on success and failure; false with *cause.
 */
bool report_write(const char *runs_dir, const char *run_id, const char *md, char **path,
                  char **cause);

#endif
