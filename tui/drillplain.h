/*
 * Drills in line mode, without curses (DESIGN rule 10): `opsdeck drill FILE
 * --plain`, `opsdeck drill --resume ID --plain`, and `opsdeck drill
 * --recover`. Works through a pipe: stdin is read on the loop, so the drill
 * clock, checks and chaos actions keep running while it waits for the
 * facilitator.
 *
 * Exit status: 0 the drill finished; 1 runtime failure (journal, resume
 * refused, a rollback that failed in --recover); 2 usage error or a drill
 * with problems; 3 quit or end of input with the drill open (its chaos rolled
 * back first); 4 aborted or blocked by a before check; 128+N ended by signal N
 * (rolled back, the drill open).
 */
#ifndef OPSDECK_DRILLPLAIN_H
#define OPSDECK_DRILLPLAIN_H

#include "../backends/backend.h"

#include <stddef.h>
#include <stdio.h>

struct loop;
struct store;

struct drillplain_options {
    const char *file;     /* a drill to start, or */
    const char *resume;   /* a run id to resume */
    const char *runs_dir; /* NULL: the default */
    /* --auto: no input; starts once the before checks pass, chaos without asking, the report
     * to the webhook at the end (drillauto.h) */
    bool auto_run;
};

int drillplain_run(struct loop *loop, struct store *store, struct backend **backends,
                   size_t nbackends, const struct drillplain_options *o);
/*
 * Roll back what crashed drills left behind (drill_recover) and print one line
 * per rollback to out; quiet: print nothing when there was nothing to do.
 * Returns how many could not be restored.
 */
size_t drillplain_recover(struct loop *loop, struct store *store, struct backend **backends,
                          size_t nbackends, const char *runs_dir, FILE *out, bool quiet);

/*
 * drillplain_score.c: the score's commands. `met N.M [at T+MM:SS] [BY]`;
 * and drillplain_score_cmd() takes `unskip N`, `undo`, `+5m` (true when the
 * line was one of them: *ok, *said (a line to print) and *cause set).
 */
struct game;
/* "N" or "N.M" (1-based) into indexes, the rest past blanks in *rest (NULL: none may follow). */
bool drillplain_ref(const char *s, size_t *a, size_t *b, bool want_b, const char **rest);
bool drillplain_met(struct game *g, const char *args, char **cause);
bool drillplain_score_cmd(struct game *g, const char *line, bool *ok, char **said, char **cause);

#endif
