/*
 * Inside the drill pane (drill.h is its interface): its state, shared by
 * drill.c (drawing, keys, life) and drill_share.c (the war room). The pane
 * owns the game (the facilitator's) or, following another console's drill,
 * only the view built from the owner's stream.
 */
#ifndef OPSDECK_DPANE_H
#define OPSDECK_DPANE_H

#include "../engine/drill.h"
#include "../engine/drillview.h"
#include "../engine/share.h"
#include "drill.h"
#include "follow.h"
#include "owner.h"

#include <stdbool.h>
#include <stdint.h>

struct cJSON;

struct dpane {
    struct game *g;
    struct drillview *view;
    struct pane_host host;
    char *runs_dir; /* where the journal is: the report goes next to it */
    bool utf8;
    bool dirty;
    int h, w;
    size_t sel;      /* the selected inject */
    size_t esel;     /* the selected expectation of it */
    bool follow;     /* the selection follows the newest fired inject */
    bool mark_met;   /* what the scribe prompt is for: met or missed */
    char *scribe;    /* who marks, remembered */
    uint64_t last_s; /* the second last drawn, for the clock */
    enum game_state told;
    char *warning; /* lint's finding, said once the pane is on screen */
    bool *said;    /* per inject: its firing was said in the status line */

    /* the war room (drill_share.c) */
    struct pane_owner own; /* the facilitator shares the drill: own.server */
    bool following;        /* g is NULL: the view is built from the owner's stream */
    struct pane_follow fol;
    struct drill *doc;   /* a follower's drill, from the owner's document */
    struct cJSON *hello; /* the last hello (its document settles the view) */
    int chaos_asking;    /* the inject whose chaos question is on screen, -1 none (drill_ask.c) */
    size_t debrief_q;    /* the debrief form's prompt (drill_debrief.c) */
    char end_said[96];   /* the last warning before the end said in the status line */
};

/* drill_share.c */
bool dpane_share(struct dpane *p, struct loop *loop, const struct pane_share *how, char **cause);
bool dpane_join(struct dpane *p, struct loop *loop, const struct pane_share *how, const char *id,
                char **cause);
/* One path for the keys: the game (owner) or a request (follower). Takes args. */
bool dpane_do(struct dpane *p, enum share_op op, struct cJSON *args);
/* The emergency stop (A, :abort): a typed confirmation, then abort, here or at the owner's. */
void dpane_ask_abort(struct dpane *p);
/* The checks block, in at most rows rows (drill_checks.c). */
struct frame;
void dpane_draw_checks(struct dpane *p, struct frame *f, int rows);
bool dpane_room(struct dpane *p, const char *verb, const char *arg, char **cause);
const char *dpane_gone(const struct dpane *p);
/* " · shared: 2 joined", " · alice's · you: participant", " · OWNER GONE: :takeover". */
void dpane_share_foot(const struct dpane *p, char *buf, size_t len);
void dpane_share_free(struct dpane *p);

/* drill_ask.c: chaos asks the facilitator first */
void dpane_chaos_ask(struct dpane *p);
/* The facilitator fired inject by hand with its chaos listed: that was the answer. */
void dpane_chaos_confirmed(struct dpane *p, size_t inject);
/* drill_extra.c: an inject's text with its attachments and the facilitator's lines; choices */
struct frame;
void dpane_inject_text(struct dpane *p, struct frame *f, const struct drill_inject *in, int room);
void dpane_ask_choice(struct dpane *p);
/* drill_debrief.c: skip / contingency confirmed first; a mark asks its time (p->scribe marks);
 * verb drill-undo, drill-extend, drill-debrief (the form). */
void dpane_ask_skip(struct dpane *p, bool contingency);
void dpane_ask_when(struct dpane *p);
void dpane_score_key(struct dpane *p, const char *verb);
/* The game's warning before the end ("2 minutes left: ..."), said once in the status line. */
void dpane_warn_end(struct dpane *p);

#endif
