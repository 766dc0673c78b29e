/*
 * The drill's emergency stop (A, :abort), for the facilitator and for anyone
 * following a shared drill: a dialog that asks the word typed, `abort` or the
 * drill's abort word, and Enter on the word aborts (tui/widgets.h: other text
 * keeps the dialog open and says so, Esc cancels). The facilitator aborts the
 * game here; a follower sends the stop to the owner's console (SOP_ABORT, any
 * role), which journals drill.abort {why: "emergency stop by USER"}.
 */
#include "dpane.h"

#include "../common/util.h"
#include "../engine/drillview.h"
#include "../engine/game.h"

#include <stdlib.h>

static void on_stop(void *self, bool yes)
{
    struct dpane *p = self;
    if (!yes) {
        pane_say(&p->host, false, "cancelled: the drill goes on");
        return;
    }
    if (p->following) {
        dpane_do(p, SOP_ABORT, NULL);
        return;
    }
    drill_pane_abort(p);
}

void dpane_ask_abort(struct dpane *p)
{
    enum game_state st = drillview_state(p->view);
    if (st == GAME_ENDED || st == GAME_ABORTED) {
        pane_say(&p->host, true, "the drill is over already");
        return;
    }
    const struct drill *d = drillview_drill(p->view);
    const char *word =
        d != NULL && d->abort_word != NULL && d->abort_word[0] != '\0' ? d->abort_word : NULL;
    char *body = xasprintf(
        "Abort drill %s?\nEvery chaos action is rolled back and the drill ends as aborted.%s",
        drillview_id(p->view) != NULL ? drillview_id(p->view) : "",
        p->following ? "\nThe stop goes to the facilitator's console, with your name." : "");
    char *must = word != NULL ? xasprintf("abort\n%s", word) : xstrdup("abort");
    p->host.ops->confirm(p->host.host, "Emergency stop", body, "Abort", must, on_stop);
    free(must);
    free(body);
}
