/*
 * Stop conditions (drill.h DRILL_STOP): `check: stop` headings, and the short
 * form `stop_when: CONDITION` in the drill block (repeatable), which becomes
 * one stop check per line, titled by its condition. A stop check looks at its
 * condition every interval while the clock runs (game_check.c); true for
 * longer than its tolerance (default 0) aborts the drill and rolls back.
 */
#include "drill.h"

#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void drill_stop_when_add(struct drill *d, const char *cond, int line)
{
    d->stop_when = xreallocarray(d->stop_when, d->nstop_when + 1, sizeof *d->stop_when);
    d->stop_when_line =
        xreallocarray(d->stop_when_line, d->nstop_when + 1, sizeof *d->stop_when_line);
    d->stop_when[d->nstop_when] = xstrdup(cond);
    d->stop_when_line[d->nstop_when++] = line;
}

static bool id_taken(const struct drill *d, const char *id)
{
    for (size_t i = 0; i < d->nchecks; i++) {
        if (d->checks[i].id != NULL && strcmp(d->checks[i].id, id) == 0) {
            return true;
        }
    }
    return false;
}

/* d->checks has room for them (drill.c build): one stop check per stop_when line. */
void drill_stop_when_checks(struct drill *d)
{
    for (size_t i = 0; i < d->nstop_when; i++) {
        struct drill_check *c = &d->checks[d->nchecks];
        memset(c, 0, sizeof *c);
        char *id = xasprintf("stop-when-%zu", i + 1);
        for (int n = 2; id_taken(d, id); n++) {
            free(id);
            id = xasprintf("stop-when-%zu-%d", i + 1, n);
        }
        c->id = id;
        c->title = xasprintf("stop when %s", d->stop_when[i]);
        c->line = d->stop_when_line[i];
        c->when = DRILL_STOP;
        c->from_stop_when = true;
        c->until = xstrdup(d->stop_when[i]);
        c->interval_ms = 5000;
        c->timeout_ms = 30000;
        d->nchecks++;
    }
}

void drill_stop_when_free(struct drill *d)
{
    for (size_t i = 0; i < d->nstop_when; i++) {
        free(d->stop_when[i]);
    }
    free(d->stop_when);
    free(d->stop_when_line);
}
