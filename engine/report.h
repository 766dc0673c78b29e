/*
 * Post-incident reports (docs/runbooks.md "The report"): Markdown built from
 * a run's journal alone, so a report can be written for a run whose runbook
 * file has changed or gone. Secrets never appear: secret inputs are not in the
 * journal, and notify URLs and keys never were.
 */
#ifndef OPSDECK_REPORT_H
#define OPSDECK_REPORT_H

#include <stdbool.h>

/*
 * The Markdown report of RUN-ID in runs_dir (NULL: the default runs
 * directory). Caller frees; NULL with *cause (no such run, unreadable journal).
 * A torn last line (a crash mid-write) is ignored; other bad lines are
 * reported in the text as "(journal line N unreadable)".
 */
char *report_markdown(const char *runs_dir, const char *run_id, char **cause);
/*
 * Write md as RUN-ID.md next to the run's journal in runs_dir, mode 0600 like
 * everything opsdeck writes (an existing file gets 0600 too). *path is the
 * caller's, set on success and failure; false with *cause.
 */
bool report_write(const char *runs_dir, const char *run_id, const char *md, char **path,
                  char **cause);

#endif
