/*
 * Leftovers (issue 13): the temporary state this console created that is
 * still in place. Derived from the audited actions (timeline.h entries, in
 * time order) and, when a store is given, checked against the current models:
 *
 *   drain / maint   a server           undo: ready    (pools: STATUS says DRAIN or MAINT;
 *                                                     UP: over; DOWN alone: unknown)
 *   silence         an Alertmanager    undo: expire   (silences: the row is active)
 *                   silence
 *   pause           a deployment       undo: resume   (deploys: ROLLOUT paused)
 *   scale (prior)   a deployment       undo: scale back to the prior replicas
 *                                      (deploys: READY's desired is not the prior)
 *   moveback        a move-back shovel no undo: it deletes itself once the
 *                                      queue is moved (queues: the DLQ still
 *                                      holds messages)
 *
 * A later action that undoes it (ready after drain, expire of the silence or
 * of the alert it silenced, resume, a scale back) clears it. Without a store,
 * or when the row is not in the model (a backend down, a row gone), the
 * state is unknown and the leftover stays, marked unchecked: a condition
 * over missing data is never met.
 */
#ifndef OPSDECK_LEFTOVERS_H
#define OPSDECK_LEFTOVERS_H

#include "../backends/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timeline;
struct cJSON;

struct leftover {
    enum model_kind kind; /* the pane whose row it is (MODEL_SILENCES for a silence) */
    char *backend;
    char *target; /* the row key the undo acts on (the silence id for a silence) */
    char *name;   /* what a person calls it: be_web/web3, HighErrorRate, shop/api */
    char *what;   /* "drained", "in maint", "silence active, ends in 1h", "scaled to 1 (was 3)" */
    char *undo_verb;  /* "ready", "expire", "resume", "scale"; NULL: nothing to undo by a key */
    char *undo_input; /* the value for an input undo ("3"); NULL */
    int64_t since_ms; /* when the action was taken */
    char *actor;
    char *run;    /* the run it belongs to, or NULL */
    bool checked; /* the live model confirmed it; false: from the audit log alone */
};

/* The leftovers of the actions in t (TL_ACTION entries), checked against st when not NULL. */
struct leftover *leftovers_derive(const struct timeline *t, const struct store *st, size_t *n);
void leftovers_free(struct leftover *v, size_t n);
/* Free one's fields (not the struct). */
void leftover_finish(struct leftover *lo);

/* As JSON (an array of objects) and back, for a run's journal ("leftovers" event). */
struct cJSON *leftovers_json(const struct leftover *v, size_t n);
struct leftover *leftovers_from_json(const struct cJSON *arr, size_t *n);

#endif
