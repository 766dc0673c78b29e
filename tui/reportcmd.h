/*
 * `opsdeck report ...` (reportcmd.c): argv as main() got it, argv[1] being
 * "report". Returns the exit status: 0, 1 (no such run, a failed post), 2 (usage).
 */
#ifndef OPSDECK_REPORTCMD_H
#define OPSDECK_REPORTCMD_H

#include <stdbool.h>

int reportcmd_main(int argc, char **argv);
/*
 * POST text to the Slack-style webhook whose URL is in the environment
 * variable env (on a loop of its own; the notify timeout bounds it); says on
 * stderr how it went. false when it was not sent.
 */
bool reportcmd_post(const char *env, const char *text);

#endif
