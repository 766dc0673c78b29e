/*
 * The console's war room (console.h; docs/war-room.md): with [share] dir in
 * the config, every run or drill this console opens is shared there (the
 * pane's share op); :join follows a run another console owns; :handover,
 * :accept, :decline and :role go to the pane in the side slot; :takeover
 * takes over a followed run whose owner is gone (the usual resume, with its
 * lock), and shares it again, so its followers join the new owner.
 */
#include "console.h"

#include "../common/util.h"
#include "../engine/config.h"
#include "../engine/share.h"
#include "../panes/drill.h"
#include "../panes/runbook.h"

#include <stdlib.h>
#include <string.h>

static const char *share_dir(const struct ui *ui)
{
    return ui->opts.config != NULL ? ui->opts.config->share_dir : NULL;
}

void room_share(struct ui *ui)
{
    const char *dir = share_dir(ui);
    if (dir == NULL || ui->side.ops == NULL || ui->side.ops->share == NULL) {
        return;
    }
    char *cause = NULL;
    if (!ui->side.ops->share(ui->side.self, ui->loop, dir, ui->opts.config->share_participants,
                             &cause)) {
        ui_say(ui, true, "not shared: %s", cause != NULL ? cause : "?");
    }
    free(cause);
}

/* The kind on run id's card ("runbook", "drill"); NULL: no card. Caller frees. */
static char *card_kind(const char *dir, const char *id)
{
    size_t n = 0;
    struct share_card *cards = share_cards(dir, &n);
    char *kind = NULL;
    for (size_t i = 0; i < n && kind == NULL; i++) {
        if (strcmp(cards[i].run, id) == 0) {
            kind = xstrdup(cards[i].kind);
        }
    }
    share_cards_free(cards, n);
    return kind;
}

void room_join(struct ui *ui, const char *id)
{
    const char *dir = share_dir(ui);
    if (dir == NULL) {
        ui_say(ui, true, "no [share] dir in the config: nothing to join (docs/war-room.md)");
        return;
    }
    if (ui->side.ops != NULL) {
        ui_say(ui, true, "%s %s is open: :close it first", ui->side.ops->noun,
               ui->side.ops->run_id(ui->side.self));
        return;
    }
    char *kind = card_kind(dir, id);
    char *cause = NULL;
    void *self = NULL;
    const struct pane_ops *ops = NULL;
    if (kind != NULL && strcmp(kind, "drill") == 0) {
        ops = &drill_pane;
        self = drill_pane_join(ui->loop, dir, id, &ui->side.host, &cause);
    } else {
        ops = &runbook_pane;
        self = runbook_pane_join(ui->loop, dir, id, &ui->side.host, &cause);
    }
    free(kind);
    if (self == NULL) {
        ui_say(ui, true, "join %s: %s", id, cause != NULL ? cause : "failed");
        free(cause);
        return;
    }
    side_opened(ui, ops, self, "joined");
}

void room_command(struct ui *ui, const char *verb, const char *arg)
{
    if (ui->side.ops == NULL || ui->side.ops->room == NULL) {
        ui_say(ui, true, ":%s: no shared run is open", verb);
        return;
    }
    char *cause = NULL;
    if (!ui->side.ops->room(ui->side.self, verb, arg, &cause)) {
        ui_say(ui, true, "%s", cause != NULL ? cause : "not possible now");
    } else if (strcmp(verb, "handover") == 0) {
        ui_say(ui, false, "control offered to %s: they :accept it", arg);
    } else if (strcmp(verb, "role") == 0) {
        ui_say(ui, false, "role given: %s", arg);
    }
    free(cause);
    ui_dirty_all(ui);
}

void room_takeover(struct ui *ui)
{
    const char *gone = ui->side.ops != NULL && ui->side.ops->gone != NULL
                           ? ui->side.ops->gone(ui->side.self)
                           : NULL;
    if (gone == NULL) {
        ui_say(ui, true, ":takeover: the run you follow has an owner (or you follow none)");
        return;
    }
    char *id = xstrdup(gone);
    side_free(ui);
    ui->need_layout = true;
    side_resume(ui, id); /* takes the run's lock: one owner, then shares it again */
    free(id);
}
