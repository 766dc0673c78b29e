/* The command line's help text (usage.c), printed by --help and on a usage error. */
#ifndef OPSDECK_USAGE_H
#define OPSDECK_USAGE_H

#include <stdio.h>

void usage(FILE *out);

#endif
