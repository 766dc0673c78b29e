/*
 * What a screen shows of a runbook run, built from its event stream alone
 * (runlog.h): step states and marks, the current step, the message, the
 * output tail, time per phase, processes left running. The runbook pane draws
 * from a view, never from the run, so another console renders the same run
 * by following its journal (runlog_follow into runview_apply).
 *
 * Durable events carry everything a follower needs: the view derives the
 * state and a message from them as resume does (docs/runbooks.md "Journal
 * events"). The owner's run also tells live notices: its exact state, index
 * and message (status), command output as it comes (output; a follower reads
 * the same bytes from RUN-ID.out through command.output), and the values of
 * secret answers, only so that they are masked wherever they show (secret).
 *
 * The view borrows the runbook (the document: steps, titles, phases); it must
 * outlive the view. No curses, no I/O but reading RUN-ID.out.
 */
#ifndef OPSDECK_RUNVIEW_H
#define OPSDECK_RUNVIEW_H

#include "runbook.h"
#include "runlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;

enum run_state { RUN_READY, RUN_BUSY, RUN_FAILED, RUN_INTERRUPTED, RUN_DONE, RUN_ABORTED };
/* Step i is done / skipped / not yet (for the checklist). */
enum run_mark { RUN_MARK_TODO, RUN_MARK_DONE, RUN_MARK_SKIPPED, RUN_MARK_FAILED };
/* Processes a session that died left running (run.h run_orphan()). */
enum run_orphan { RUN_ORPHAN_NONE, RUN_ORPHAN_ALIVE, RUN_ORPHAN_WAITING, RUN_ORPHAN_STOPPING };

/* "ready", "busy", "failed", "interrupted", "done", "aborted". */
const char *run_state_name(enum run_state s);

struct runview;

/*
 * An empty view of a run of rb (borrowed). journal: the run's journal path,
 * whose RUN-ID.out holds the output; NULL: output only from notices.
 */
struct runview *runview_create(const struct runbook *rb, const char *journal);
void runview_destroy(struct runview *v); /* NULL is a no-op */
/* Apply one event; a runlog_event_cb with the view as ud. */
void runview_apply(const struct runlog_event *ev, void *v);
/* The stream stops here (the session died): what was in flight is interrupted. */
void runview_settle(struct runview *v);
/* The backends an action step's preview names (borrowed; none by default). */
void runview_set_backends(struct runview *v, struct backend **backends, size_t n);

const struct runbook *runview_runbook(const struct runview *v);
const char *runview_id(const struct runview *v); /* "" before run.start */
enum run_state runview_state(const struct runview *v);
size_t runview_index(const struct runview *v);
const struct rb_step *runview_step(const struct runview *v); /* NULL when DONE/ABORTED */
enum run_mark runview_mark(const struct runview *v, size_t i);
const char *runview_message(const struct runview *v);
const char *runview_output(const struct runview *v, size_t *len);
/*
 * The step the output belongs to (-1: none yet) and when its command started
 * (*ts_ms, wall ms; may be NULL): output is shown under that step only.
 */
int runview_output_step(const struct runview *v, int64_t *ts_ms);
/* Step i ran something: its command, a code block, a block done as the console's action. */
bool runview_code_ran(const struct runview *v, size_t i);
/* A variable's value as shown (a secret answer: "[secret]"); NULL when unset. */
const char *runview_var(const struct runview *v, const char *name);
uint64_t runview_step_elapsed_ms(const struct runview *v);
bool runview_overtime(const struct runview *v);
/* The end-of-run review (answers, leftovers) is in the journal: do not ask again. */
bool runview_reviewed(const struct runview *v);
void runview_phase_ms(const struct runview *v, uint64_t out[RB_PHASES]);
enum run_orphan runview_orphan(const struct runview *v, int *pgid, size_t *n);
/* run_text() and run_preview() of run.h, from what the view knows. */
char *runview_text(const struct runview *v, const char *text);
char *runview_preview(const struct runview *v, char **missing);
/* Every secret answer this view was told replaced by [secret]; takes text, returns it. */
char *runview_mask(const struct runview *v, char *text);

/*
 * The war room (crew.h, docs/war-room.md): who is on the run with which
 * role, their claims per step (crew_claim_text(c, step id, -1)), the latest
 * proposal, a pending handover offer, a pending approval request. Empty for
 * a run nobody shared. Borrowed; changes with every event applied.
 */
struct crew;
const struct crew *runview_crew(const struct runview *v);
/* Who asked for the approval the current step waits for; NULL: nothing pending. */
const char *runview_approval_pending(const struct runview *v);

#endif
