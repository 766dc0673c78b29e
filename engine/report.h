/*
 * Post-incident reports (docs/runbooks.md "The report"): Markdown built from
 * a run's journal alone, so a report can be written for a run whose runbook
 * file has changed or gone. Secrets never appear: secret inputs are not in the
 * journal, and notify URLs and keys never were.
 */
#ifndef OPSDECK_REPORT_H
#define OPSDECK_REPORT_H

/*
 * The Markdown report of RUN-ID in runs_dir (NULL: the default runs
 * directory). Caller frees; NULL with *cause (no such run, unreadable journal).
 * A torn last line (a crash mid-write) is ignored; other bad lines are
 * reported in the text as "(journal line N unreadable)".
 */
char *report_markdown(const char *runs_dir, const char *run_id, char **cause);

#endif
