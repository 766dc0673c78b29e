/*
 * `opsdeck report ...` (reportcmd.c): argv as main() got it, argv[1] being
 * "report". Returns the exit status: 0, 1 (no such run, a failed post), 2 (usage).
 */
#ifndef OPSDECK_REPORTCMD_H
#define OPSDECK_REPORTCMD_H

int reportcmd_main(int argc, char **argv);

#endif
