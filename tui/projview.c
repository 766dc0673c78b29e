/*
 * :projector in the console: the run or drill of the side slot drawn full
 * screen by the projector (panes/projector.h), for the room's screen of the
 * console that owns it (the owner is the driver: the score shows, and when
 * the next inject is due, not what it is). The panes go on updating and the
 * run or drill goes on underneath; nothing else is drawn while it is on.
 * Its only key is q, which leaves it (so does :projector again, typed before
 * it opened, and the side pane closing). A resize makes its window again.
 */
#include "console.h"

#include "../panes/drill.h"
#include "../panes/projector.h"
#include "../panes/runbook.h"

static struct projector_src source(const struct ui *ui)
{
    struct projector_src src = {.show_score = true, .show_next = true};
    if (ui->side.ops == &runbook_pane) {
        src.run = runbook_pane_view(ui->side.self);
    } else if (ui->side.ops == &drill_pane) {
        src.drill = drill_pane_view(ui->side.self);
        /* a participant's projector: the scoring key and what comes next are not the room's */
        src.show_score = src.show_next = !drill_pane_keyless(ui->side.self);
    }
    return src;
}

static void leave(struct ui *ui)
{
    delwin(ui->projector);
    ui->projector = NULL;
    ui->need_layout = true; /* everything is drawn again */
}

void projview_toggle(struct ui *ui)
{
    if (ui->projector != NULL) {
        leave(ui);
        return;
    }
    struct projector_src src = source(ui);
    if (src.run == NULL && src.drill == NULL) {
        ui_say(ui, true, ":projector: open a run or a drill first (:run FILE, :drill FILE)");
        return;
    }
    ui->projector = newwin(LINES, COLS, 0, 0);
    if (ui->projector != NULL) {
        leaveok(ui->projector, TRUE);
    }
    ui->side.dirty = true;
}

bool projview_key(struct ui *ui, wint_t ch, bool is_key)
{
    if (ui->projector == NULL && !ui->opts.projector) {
        return false;
    }
    if (!is_key && ch == 'q') {
        if (ui->opts.projector) {
            ui_quit(ui); /* opsdeck join --projector: the room's screen, q ends it */
        } else {
            leave(ui);
        }
    }
    return true; /* no other key: a room screen takes none */
}

bool projview_frame(struct ui *ui, uint64_t now)
{
    if (ui->projector == NULL && ui->opts.projector && ui->side.ops != NULL) {
        struct projector_src want = source(ui);
        if (want.run != NULL || want.drill != NULL) { /* joined: the owner's first word came */
            projview_toggle(ui);
        }
    }
    if (ui->projector == NULL) {
        return false;
    }
    struct projector_src src = source(ui);
    if (src.run == NULL && src.drill == NULL) {
        leave(ui); /* the run closed underneath */
        return false;
    }
    if (getmaxy(ui->projector) != LINES || getmaxx(ui->projector) != COLS) {
        delwin(ui->projector);
        ui->projector = newwin(LINES, COLS, 0, 0);
        ui->side.dirty = true;
        if (ui->projector == NULL) {
            return false;
        }
        leaveok(ui->projector, TRUE);
    }
    if (ui->side.ops->update(ui->side.self, now)) {
        ui->side.dirty = true;
    }
    if (!ui->side.dirty) {
        return false;
    }
    ui->side.dirty = false;
    projector_draw(ui->projector, &src, ui->g == screen_glyphs(true));
    return true;
}
