/*
 * The drill pane: one running drill (engine/drill.h, the game) beside the
 * live panes, for the facilitator. It shows the state, the drill clock, the
 * checks, the injects with the next due one, and under the selected inject
 * its text, expectations and chaos actions; it turns keys into game_* calls.
 * Dialogs, prompts and the viewer are the console's (struct pane_host). The
 * pane owns the game; the console closes it first (game_close on
 * drill_pane_game, then waits while it draws until game_closed), so
 * quitting, SIGHUP or SIGTERM never leave chaos behind, and the drill stays
 * resumable unless it ended. Freeing it calls game_destroy(g, true) as a
 * last resort: what does not finish then stays pending for the next start.
 */
#ifndef OPSDECK_DRILL_PANE_H
#define OPSDECK_DRILL_PANE_H

#include "../engine/game.h"
#include "pane.h"

extern const struct pane_ops drill_pane;

/* Load FILE and start a game (its before checks run at once); NULL with *cause. */
void *drill_pane_start(const struct game_env *env, const char *file, const struct pane_host *host,
                       char **cause);
/* Resume the drill run RUN-ID; NULL with *cause. */
void *drill_pane_resume(const struct game_env *env, const char *run_id,
                        const struct pane_host *host, char **cause);
/*
 * Follow drill RUN-ID that another console owns and shares in dir (the war
 * room): the document and the lines the owner lets our role see. NULL with
 * *cause.
 */
void *drill_pane_join(struct loop *loop, const struct pane_share *how, const char *run_id,
                      const struct pane_host *host, char **cause);
/* The pane's game (borrowed; NULL when it follows another console's drill). */
struct game *drill_pane_game(void *self);
/* The pane's view of its game (borrowed): what the projector draws. */
const struct drillview *drill_pane_view(void *self);
/* A follower who is not the driver: the scoring key and what comes next are not shown. */
bool drill_pane_keyless(void *self);
/* Abort the drill (:abort, after the console's typed confirmation): everything rolls back. */
void drill_pane_abort(void *self);

#endif
