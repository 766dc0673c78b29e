/*
 * `opsdeck drill FILE --auto` (docs/drills.md "Scheduled game days"): what
 * is not line mode's. Once the drill is over, its report (the text of
 * `opsdeck report RUN-ID`) goes to the webhook whose URL is in the
 * environment variable OPSDECK_REPORT_WEBHOOK (--report-to sets it),
 * as `opsdeck report --post` sends it (a Slack-style {"text": ...} POST; the
 * URL is never printed); without one it is printed to out. No shell.
 */
#ifndef OPSDECK_DRILLAUTO_H
#define OPSDECK_DRILLAUTO_H

#include <stdbool.h>
#include <stdio.h>

/* The environment variable holding the report's webhook URL. */
#define DRILLAUTO_REPORT_ENV "OPSDECK_REPORT_WEBHOOK"

/* Send (or print) run_id's report; false when it could not be (a line on err says why). */
bool drillauto_report(const char *runs_dir, const char *run_id, FILE *out, FILE *err);

#endif
