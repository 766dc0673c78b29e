/*
 * What runbook runs and drills share about runs on disk: run ids
 * (20261123T101259Z-SLUG-1a2b, unique per second by four random hex digits)
 * and reading a journal back (every line that parses; a torn tail after
 * kill -9 is skipped).
 */
#ifndef OPSDECK_RUNLOG_H
#define OPSDECK_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* A new run id for a script at path (its file name gives the slug); caller frees. */
char *runlog_new_id(const char *path);
/* Every event of the journal at path, in order; NULL with *cause when it cannot be opened. */
struct cJSON **runlog_read(const char *path, size_t *n, char **cause);
void runlog_free(struct cJSON **ev, size_t n);

struct journal;
/*
 * Open the journal of run id in dir (NULL: no home, an error), creating dir
 * (0700) as needed; with create, a journal that exists already is an error.
 */
struct journal *runlog_open(const char *dir, const char *id, bool create, char **cause);

#endif
