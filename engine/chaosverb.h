/*
 * What a chaos action's verb means for a drill (docs/drills.md "Rollback"),
 * from tables, not from code in the game:
 *
 * - the verbs a pane has: every built-in backend type's action table
 *   (backends/, through backend_impls()), read without a config, so lint
 *   knows `pools nuke` is not one. A plugin's verbs come from its config:
 *   an inject that names its `backend:` is not checked here.
 * - which verb undoes which (drain -> ready, pause -> resume, weight ->
 *   weight, ...): lint refuses a rollback that is not the chaos's inverse.
 * - `rollback: restore`: which field of the pane's row a verb changes and
 *   which action puts the value read before the chaos back (weight 37 ->
 *   "pools weight be_web/web2 37"; status MAINT -> "pools maint ...").
 *
 * No I/O; chaosverb_restore() reads the store it is given.
 */
#ifndef OPSDECK_CHAOSVERB_H
#define OPSDECK_CHAOSVERB_H

#include "../backends/model.h"
#include "drill.h"

#include <stdbool.h>

/* Does a built-in backend type have verb on this pane? */
bool chaosverb_known(enum model_kind kind, const char *verb);
/* "drain, ready, maint, weight" (each once), for messages; the caller frees. */
char *chaosverb_list(enum model_kind kind);
/*
 * Is rollback the inverse of chaos (same pane and target, a verb that undoes
 * chaos's)? false with *cause, a lint message. Neither may be a restore.
 */
bool chaosverb_inverse_ok(const struct drill_act *chaos, const struct drill_act *rollback,
                          char **cause);
/* Can `rollback: restore` undo this chaos (is its verb in the restore table)? false with *cause. */
bool chaosverb_restorable(const struct drill_act *chaos, char **cause);
/*
 * The rollback that puts back what the row (source, chaos->target) of the
 * chaos's pane says now, e.g. "pools weight be_web/web2 37"; *field and
 * *value say what was read ("weight", "37"). NULL with *cause when it cannot
 * be read (no such row, an empty cell, a verb the table does not know).
 */
char *chaosverb_restore(const struct store *st, const char *source, const struct drill_act *chaos,
                        char **field, char **value, char **cause);

/*
 * Lint every chaos action of d (issues added to d): a verb its pane's
 * backends do not have, a rollback that is not its inverse (or the same
 * action), `rollback: restore` on a verb the restore table does not know.
 */
void chaosverb_lint(struct drill *d);

#endif
