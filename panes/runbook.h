/*
 * The runbook pane: one run of a runbook (engine/run.h) beside the live
 * panes. It shows the S.A.F.E. progress, the checklist, the current step
 * with its exact preview, the state and the output tail, drawn from a view of
 * the run's event stream (engine/runview.h), and turns keys into run_* calls. Dialogs, prompts and
 * the clipboard are the console's (struct pane_host); the pane owns the run and destroys it (never
 * aborts it) when freed, so a closed pane leaves the run resumable.
 */
#ifndef OPSDECK_RUNBOOK_PANE_H
#define OPSDECK_RUNBOOK_PANE_H

#include "../engine/run.h"
#include "pane.h"

extern const struct pane_ops runbook_pane;

/* Load FILE and start a run with these variables; NULL with *cause. */
void *runbook_pane_start(const struct run_env *env, const char *file, const struct vars *initial,
                         const struct pane_host *host, char **cause);
/* Resume RUN-ID; NULL with *cause. */
void *runbook_pane_resume(const struct run_env *env, const char *run_id,
                          const struct pane_host *host, char **cause);
/*
 * Follow run RUN-ID that another console owns and shares in how->dir, or
 * over NATS when how->nats is set (the war room, docs/war-room.md): the pane draws the owner's
 * stream and its keys become requests. NULL with *cause (no such run, owner gone, permission).
 */
void *runbook_pane_join(struct loop *loop, const struct pane_share *how, const char *run_id,
                        const struct pane_host *host, char **cause);
/* The pane's run (borrowed; NULL when it follows another console's run). */
struct run *runbook_pane_run(void *self);
/* The pane's view of its run (borrowed): what the projector draws. */
const struct runview *runbook_pane_view(void *self);
/* End the run for good (:abort, after the console's typed confirmation). */
void runbook_pane_abort(void *self);

#endif
