/*
 * Inside the runbook pane (runbook.h is its interface): its state, shared by
 * runbook.c (keys, the run's commands, life) and runbook_draw.c (drawing from
 * the view). The pane owns both the run (what the operator's commands go to)
 * and the view (what it shows, built from the run's events).
 */
#ifndef OPSDECK_RBPANE_H
#define OPSDECK_RBPANE_H

#include "../engine/runview.h"
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
};

/* werase and draw the whole window from the view. */
void rbpane_draw(struct rbpane *p, WINDOW *win, const struct pane_view *view);

#endif
