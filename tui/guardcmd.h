/*
 * The safety lever's commands (guardcmd.c): `opsdeck drill --stop-all
 * [REASON]` and `opsdeck drill --release-lever`. The audit log must be set
 * up (action_setup) first. Each returns the exit status.
 */
#ifndef OPSDECK_GUARDCMD_H
#define OPSDECK_GUARDCMD_H

#include <stdio.h>

int guardcmd_stop_all(const char *reason, FILE *out);
int guardcmd_release(FILE *out);

#endif
