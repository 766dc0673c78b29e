/*
 * What a role may know of a drill (docs/war-room.md, share.h): the document
 * a follower gets and the journal lines it hears. The facilitator's secrets
 * (injects not fired yet, contingencies, expectation points and the score,
 * check commands and conditions, chaos actions and their rollbacks, where
 * the drill file is) never leave the owner's process for a participant or an
 * observer: they are not in what these functions return, so no transport can
 * leak them.
 *
 * The driver gets everything: the whole drill and every line as written.
 * Anybody else gets what the players may know:
 *   - the document: title, intro, kind, duration, label, abort word, roles,
 *     objectives, the checks' ids, titles and when, debrief questions, report
 *     sections, players_mark, the state and clock now, and the injects that have fired (id, title,
 *     text, at, to, channel, expectation deadlines; an expectation's text
 *     only when the drill lets players mark them). Injects still to come are
 *     absent, not anonymous slots: even a count or an offset tells the room
 *     that something happens at T+10, and the view resolves injects by id, so
 *     a document with only the fired ones needs no placeholders.
 *   - the lines: a whitelist (drill_public.c), each event rebuilt from the
 *     fields it may carry; everything else is dropped (chaos, rollbacks,
 *     skips of injects that never fired, notifications, runbook events). No
 *     points, max, score, check reasons (a command's output), status
 *     messages (they name rollbacks and checks), drill path or hash.
 *
 * Consistency: the view (drillview.h) resolves injects and checks by id and
 * expectations by their index inside their inject, which a public document
 * keeps. A follower builds its view from drill_from_public(doc) and replays
 * the filtered lines into it; when an inject fires the owner sends a new
 * document (drill_public_doc with its view) and the follower builds the view
 * again from it, replays, and settles the view on the document's status (the
 * state and clock when it was made). Lines are filtered from the event alone, so
 * replaying old lines against a newer document gives the same view.
 */
#ifndef OPSDECK_DRILL_PUBLIC_H
#define OPSDECK_DRILL_PUBLIC_H

#include "drill.h"
#include "drillview.h"
#include "runlog.h"
#include "share.h"

struct cJSON;

/* Does role see the whole drill (the facilitator's secrets)? Only the driver. */
bool drill_public_full(enum share_role role);

/*
 * The document of d for role (a new object, the caller's). fired: the owner's
 * view of d (what has fired so far); NULL: nothing has. Its inject states are
 * read by index, so it must be a view of d.
 */
struct cJSON *drill_public_doc(const struct drill *d, enum share_role role,
                               const struct drillview *fired);

/*
 * After replaying the lines into a view built from doc: set the state and the
 * clock the document was made at (its "status": a replay sets the clock to
 * each old event's time as of now). false when doc has none.
 */
bool drill_public_settle(const struct cJSON *doc, struct drillview *v);

/*
 * A drill from a document (either kind): the view and the drill pane work
 * with it. NULL with *cause (caller frees) when doc is not a drill document:
 * a missing or mistyped field names itself ("injects[2].id: missing").
 */
struct drill *drill_from_public(const struct cJSON *doc, char **cause);

/*
 * The event as role may see it: a new journal line ({seq, ts, actor, host,
 * run, step, action, target, result, data}; a notice is {"live": true,
 * "action", "data"}), the caller's; NULL when it is not for role. d is the
 * whole drill (players_mark decides whether expectation texts go).
 */
struct cJSON *drill_public_line(const struct drill *d, enum share_role role,
                                const struct runlog_event *ev);

#endif
