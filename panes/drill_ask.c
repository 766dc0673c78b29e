/*
 * The drill pane asks the facilitator before chaos runs (engine/game.h
 * game_chaos_question; docs/drills.md "Chaos asks first"): a confirmation
 * dialog, "inject 2 fires chaos: pools drain be_web/web2 - run it?", whose
 * default is Cancel (the chaos does not run: chaos.skip). One question at a
 * time; a dialog that cannot open now (another is open) is tried again at
 * the next change. A fire the facilitator confirmed with its chaos listed
 * (the f dialog) is not asked twice, unless a chaos is in a protected
 * context: then the question asks its target typed, and the answer grants it.
 */
#include "dpane.h"

#include "../common/util.h"
#include "../engine/game.h"

#include <stdlib.h>

static void on_answer(void *self, bool yes)
{
    struct dpane *p = self;
    int q = p->chaos_asking;
    p->chaos_asking = -1;
    char *cause = NULL;
    const char *target = NULL;
    if (yes && p->g != NULL && q >= 0 && game_chaos_question(p->g) == q &&
        game_chaos_protected(p->g, (size_t)q, &target) != NULL) {
        game_chaos_grant(p->g, (size_t)q); /* typed in the dialog: a protected context's pass */
    }
    if (p->g != NULL && !game_chaos_answer(p->g, yes, &cause)) {
        pane_say(&p->host, true, cause != NULL ? cause : "the chaos question is gone");
    } else {
        pane_say(&p->host, false, yes ? "chaos runs" : "declined: the chaos did not run");
    }
    free(cause);
    p->dirty = true;
}

void dpane_chaos_ask(struct dpane *p)
{
    int q = p->g != NULL ? game_chaos_question(p->g) : -1;
    if (q < 0 || p->chaos_asking >= 0) {
        return;
    }
    const struct drill_inject *in = &game_drill(p->g)->injects[q];
    struct strbuf sb = {0};
    strbuf_printf(&sb, "inject %d \"%s\" fires chaos:", q + 1, in->title);
    for (size_t c = 0; c < in->nchaos; c++) {
        const struct drill_act *a = &in->chaos[c].action;
        strbuf_printf(&sb, "\n  %s %s %s%s%s", a->pane, a->verb, a->target, a->input ? " " : "",
                      a->input ? a->input : "");
    }
    strbuf_str(&sb, "\n\nRun it? (Cancel: it does not run)");
    const char *target = NULL;
    const char *prot = game_chaos_protected(p->g, (size_t)q, &target);
    if (prot != NULL) {
        strbuf_printf(&sb, "\n%s is protected: type %s to confirm", prot, target);
    }
    if (p->host.ops->confirm(p->host.host, "Chaos: run it?", sb.s, "Run", prot ? target : NULL,
                             on_answer)) {
        p->chaos_asking = q;
    }
    free(sb.s);
}

void dpane_chaos_confirmed(struct dpane *p, size_t inject)
{
    const char *target = NULL;
    if (p->g != NULL && game_chaos_protected(p->g, inject, &target) != NULL) {
        return; /* a protected context: its own question, with the typed confirmation */
    }
    if (p->g != NULL && game_chaos_question(p->g) == (int)inject) {
        game_chaos_answer(p->g, true, NULL);
    }
}
