/*
 * Runbooks in line mode, without curses (DESIGN rule 10): `opsdeck run FILE
 * --plain`, `opsdeck run --resume ID --plain`, `opsdeck runs`. Works through a
 * pipe and in a plain SSH session: stdin is read on the loop, line by line, so
 * commands and waits keep running while it waits for the operator.
 *
 * Exit status (also in --help and docs/runbooks.md "Line mode"):
 *   0  the run finished (or --dry-run printed it)
 *   1  runtime failure: the journal cannot be written, the run cannot resume
 *   2  usage error, or a runbook that does not load or has lint problems
 *   3  quit (q, end of input) with the run open: resume it with --resume ID
 *   4  the run was aborted (a)
 *   128+N  ended by signal N (SIGHUP, SIGTERM, SIGINT at the prompt); the run
 *      stays open
 */
#ifndef OPSDECK_PLAIN_H
#define OPSDECK_PLAIN_H

#include "../backends/backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct loop;
struct store;

enum {
    PLAIN_EXIT_OK = 0,
    PLAIN_EXIT_FAIL = 1,
    PLAIN_EXIT_USAGE = 2,
    PLAIN_EXIT_OPEN = 3,
    PLAIN_EXIT_ABORTED = 4,
};

struct plain_options {
    const char *file;        /* a runbook to start, or */
    const char *resume;      /* a run id to resume */
    const char *const *vars; /* "name=value" from --var, NULL-terminated; may be NULL */
    bool dry_run;
    const char *runs_dir; /* NULL: the default */
};

/* Run or resume one runbook on stdin/stdout; returns the exit status. */
int plain_run(struct loop *loop, struct store *store, struct backend **backends, size_t nbackends,
              const struct plain_options *o);
/* `opsdeck runs`: the runs in the state directory, newest first; the exit status. */
int plain_list_runs(const char *runs_dir, FILE *out);

#endif
