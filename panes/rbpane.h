/*
 * Inside the runbook pane (runbook.h is its interface): its state, shared by
 * runbook.c (keys, the run's commands, life) and runbook_draw.c (drawing from
 * the view). The pane owns both the run (what the operator's commands go to)
 * and the view (what it shows, built from the run's events).
 */
#ifndef OPSDECK_RBPANE_H
#define OPSDECK_RBPANE_H

#include "../engine/run.h"
#include "../engine/runview.h"
#include "follow.h"
#include "owner.h"
#include "frame.h"
#include "runbook.h"

struct rbpane {
    struct run *run;
    struct runview *view;
    struct pane_host host;
    bool utf8;
    bool dirty;
    int h, w;
    size_t code_sel;
    size_t shown_step;  /* the step code_sel and out_scroll belong to */
    long out_scroll;    /* output lines up from the bottom */
    long text_scroll;   /* the step's text lines scrolled past (when it does not fit) */
    int text_page;      /* rows of text last shown: how far Up/Down scroll */
    bool show_overview; /* the overview is shown in the step's place (o) */
    uint64_t last_tick;
    size_t overtime_asked; /* step index + 1 already asked about */
    char *warning;         /* lint's finding, said once the pane is on screen */

    /* a code block's placeholders being asked, in turn (runbook_code.c) */
    struct ph_list fill;
    size_t fill_at;
    size_t fill_block;
    enum rb_fill { RB_FILL_RUN, RB_FILL_ACTION, RB_FILL_STEP } fill_then;
    char *edited; /* the operator's edit of the block, waiting for its values and dialog */

    /* the war room (runbook_share.c): the owner shares the run, or the pane follows one */
    struct pane_owner own; /* the owner: own.server is where followers connect */
    char *share_src;       /* the runbook's text, sent to them */
    bool following;        /* run is NULL: the view is built from the owner's stream */
    struct pane_follow fol;
    struct runbook *rb; /* a follower's copy of the document (view is NULL until "hello") */
};

/* runbook_share.c: the war room */
bool rbpane_share(struct rbpane *p, struct loop *loop, const struct pane_share *how, char **cause);
void rbpane_unshare(struct rbpane *p, const char *reason);
bool rbpane_join(struct rbpane *p, struct loop *loop, const struct pane_share *how, const char *id,
                 char **cause);
/* One path for what keys ask: the run (owner) or a request (follower). Takes args. */
bool rbpane_do(struct rbpane *p, enum share_op op, struct cJSON *args);
/* :handover USER, :accept, :decline, :role USER ROLE. */
bool rbpane_room(struct rbpane *p, const char *verb, const char *arg, char **cause);
/* The run id whose owner is gone (a follower), else NULL. */
const char *rbpane_gone(const struct rbpane *p);
/* " · shared: 2 joined", " · alice's · you: observer", " · OWNER GONE: :takeover". */
void rbpane_share_foot(const struct rbpane *p, char *buf, size_t len);
void rbpane_share_free(struct rbpane *p);

/* runbook_code.c: the keys x, e, a on the selected code block (true: the key was used). */
bool rbpane_code_run(struct rbpane *p);
bool rbpane_code_edit(struct rbpane *p);
bool rbpane_code_action(struct rbpane *p);
/* The line under the blocks: what the selected block does or holds; NULL: nothing to say. */
char *rbpane_code_hint(const struct rbpane *p);
/* o: the last command's output whole in the viewer, titled with its step and time. */
bool rbpane_output_view(struct rbpane *p);
/* Enter on a command step whose command has placeholders: ask them, then do it (true: asked). */
bool rbpane_ask_step_values(struct rbpane *p, const struct rb_step *s);
/* Enter on a manual step whose code never ran: ask first (true: asked). */
bool rbpane_ask_unrun(struct rbpane *p, const struct rb_step *s);

/* werase and draw the whole window from the view. */
void rbpane_draw(struct rbpane *p, WINDOW *win, const struct pane_view *view);

#endif
