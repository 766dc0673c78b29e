/*
 * The score of a drill run, from its journal alone (docs/drills.md
 * "Scores"): one rule for the report, its JSON, `opsdeck runs` and the
 * tests. The events are taken in seq order whatever order they come in, so
 * the same journal always gives the same score.
 *
 * Planned expectations: those of every inject on the clock (run.start's
 * plan; a journal without one: those of the injects that fired on the
 * clock) and of the contingencies that fired. Each is met (all its points),
 * late (half, rounded down), missed, skipped (its inject was skipped: 0),
 * pending / not marked (0), or not reached (the drill ended before it was
 * due): outside the score. The denominator is the planned points less the
 * not reached ones.
 */
#ifndef OPSDECK_DRILL_SCORE_H
#define OPSDECK_DRILL_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

enum dscore_status {
    DS_PENDING, /* not marked (yet) */
    DS_MET,
    DS_LATE,
    DS_MISSED,
    DS_SKIPPED,
    DS_NOT_REACHED,
};

/* One planned expectation; strings borrow the events. */
struct dscore_item {
    const char *inject, *title, *text, *role, *by;
    const struct cJSON *tags; /* array of strings, or NULL */
    size_t inject_order;      /* the inject's place in the plan */
    int index, deadline_s, max, points;
    enum dscore_status status;
    int64_t fired_ms, at_ms; /* drill ms; -1 unknown */
};

/* A roll-up: one role or one tag. */
struct dscore_group {
    const char *key;
    int points, max;
    int count[DS_NOT_REACHED + 1];
};

struct dscore {
    struct dscore_item *items;
    size_t nitems;
    int points, max;
    int count[DS_NOT_REACHED + 1];
    struct dscore_group *roles, *tags;
    size_t nroles, ntags;
    int64_t first_fired_ms;  /* the first inject fired (drill ms), -1: none */
    int64_t milestone_ms[3]; /* detect, declare, mitigate: when met (drill ms), -1: not */
    bool over, began;
    const struct cJSON *start; /* run.start's data */
};

/* Score the events (objects, NULL entries skipped); fills s, which borrows them. */
void dscore_compute(struct dscore *s, const struct cJSON *const *ev, size_t n);
void dscore_free(struct dscore *s);
const char *dscore_status_name(enum dscore_status st); /* "met", ..., "not reached" */
/* The n biggest misses (points lost, then plan order): indexes into s->items; returns the count. */
size_t dscore_misses(const struct dscore *s, size_t *out, size_t n);
/* points of max as a whole percent, half rounded up (0 without a maximum) */
int dscore_percent(const struct dscore *s);
/* "10 of 28 points (36%)" (or "10 points" with no maximum); caller frees. */
char *dscore_text(const struct dscore *s);
/* The score of run_id's journal in runs_dir (NULL: default) as dscore_text; NULL: unreadable. */
char *dscore_run_text(const char *runs_dir, const char *run_id);

#endif
