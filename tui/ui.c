/*
 * The console (console.h says which module does what). State is one struct
 * ui; the loop runs one iteration, then ui_frame() redraws whatever became
 * dirty:
 *   - a panel is dirty when its pane's update says so (a table's model
 *     generation moved, a run changed), a key changed its view, or the
 *     wall-clock second changed (ages and the clock);
 *   - every dirty window is werase'd, drawn, wnoutrefresh'ed; one doupdate().
 * curses only sends the cells that differ, so an idle screen costs the clock.
 *
 * Modes stack simply: NORMAL, or one of LINE (the status line is an editor:
 * a command, a filter, a pane's question), CONFIRM (a dialog), VIEW (detail
 * or help viewer). Panes keep updating underneath every mode.
 *
 * The panes come from pane_registry (panes/pane.c), each in its slot;
 * layout.c places the slots. A run or a drill takes the side slot after the
 * last (side.c); the focused pane gets keys first (keys.c).
 */
#include "console.h"
#include "ctx.h"
#include "view.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../backends/backend.h"
#include "../common/util.h"
#include "../engine/alertlog.h"
#include "../engine/config.h"
#include "../panes/tablepane.h"
#include "keyconf.h"
#include "screen.h"
#include "theme.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- helpers the modules share ---- */

void ui_say(struct ui *ui, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_error = error;
    ui->message_until = clock_mono_ms() + 8000;
    ui->chrome_dirty = true;
}

void ui_dirty_all(struct ui *ui)
{
    for (size_t i = 0; i < ui->npanels; i++) {
        ui->panels[i].dirty = true;
    }
    ui->side.dirty = true;
    ui->chrome_dirty = true;
    ui->overlay_dirty = true;
}

struct panel *ui_slot_panel(struct ui *ui, int slot)
{
    if (slot == ui->nslots) {
        return &ui->side;
    }
    const struct slot *s = &ui->slots[slot];
    return &ui->panels[s->panel[s->shown]];
}

struct panel *ui_focused(struct ui *ui)
{
    return ui->side_focus ? &ui->side : ui_slot_panel(ui, ui->focus);
}

struct panel *ui_focused_table(struct ui *ui)
{
    struct panel *p = ui_focused(ui);
    return p->ops != NULL && p->ops->table != NULL ? p : NULL;
}

struct backend *ui_backend(struct ui *ui, const char *name)
{
    /* a cluster's name: its live member */
    return backend_for_source(ui->backends, ui->nbackends, name);
}

void ui_quit(struct ui *ui)
{
    loop_quit(ui->loop);
}

void ui_focus(struct ui *ui, int slot)
{
    bool side = slot == ui->nslots;
    if (side ? ui->side.ops == NULL || ui->side_focus : slot == ui->focus && !ui->side_focus) {
        return;
    }
    ui->side_focus = side;
    if (!side) {
        ui->focus = slot;
    }
    if (ui->layout.kind != LAYOUT_GRID || ui->zoom || ui->side_full) {
        ui->need_layout = true; /* a different pane fills the screen */
    }
    ui_dirty_all(ui);
}

void ui_swap(struct ui *ui)
{
    struct slot *s = &ui->slots[ui->focus];
    s->shown = (s->shown + 1) % s->n;
    ui->need_layout = true;
}

/* ---- panes a command opens ---- */

/* The slot an on-demand pane goes in: that of a pane registered in its slot, else the widest. */
static int demand_slot(const struct ui *ui, int reg)
{
    for (size_t i = 0; i < pane_count; i++) {
        if (pane_registry[i].slot == reg && ui->panels[i].slot >= 0) {
            return ui->panels[i].slot;
        }
    }
    int best = 0;
    for (int s = 1; s < ui->nslots; s++) {
        best = ui->layout.slot[s].w > ui->layout.slot[best].w ? s : best;
    }
    return best;
}

struct panel *ui_pane_open(struct ui *ui, const struct pane_ops *ops, void (*closed)(struct ui *ui))
{
    size_t k = 0;
    while (k < pane_on_demand_count && pane_on_demand[k].ops != ops) {
        k++;
    }
    if (k == pane_on_demand_count || ui->nslots == 0) {
        return NULL;
    }
    size_t idx = pane_count + k;
    struct panel *p = &ui->panels[idx];
    if (p->slot < 0) {
        struct slot *s = &ui->slots[demand_slot(ui, pane_on_demand[k].slot)];
        if (s->n == LAYOUT_MAX_SLOTS) {
            return NULL;
        }
        p->slot = (int)(s - ui->slots);
        p->back = s->shown;
        s->panel[s->n++] = idx;
    }
    struct slot *s = &ui->slots[p->slot];
    for (size_t j = 0; j < s->n; j++) {
        s->shown = s->panel[j] == idx ? j : s->shown;
    }
    p->closed = closed;
    ui->side_focus = false;
    ui->focus = p->slot;
    ui->need_layout = true;
    ui_dirty_all(ui);
    return p;
}

void ui_pane_close(struct ui *ui, struct panel *p)
{
    if (p->slot < 0 || p->slot >= ui->nslots) {
        return;
    }
    struct slot *s = &ui->slots[p->slot];
    size_t idx = (size_t)(p - ui->panels), j = 0;
    while (j < s->n && s->panel[j] != idx) {
        j++;
    }
    if (j < s->n) {
        memmove(&s->panel[j], &s->panel[j + 1], (s->n - j - 1) * sizeof s->panel[0]);
        s->n--;
        s->shown = s->shown == j ? (p->back < s->n ? p->back : 0) : s->shown - (s->shown > j);
    }
    p->slot = -1;
    p->visible = false;
    ui->need_layout = true;
    ui_dirty_all(ui);
    void (*closed)(struct ui *) = p->closed;
    p->closed = NULL;
    if (closed != NULL) {
        closed(ui);
    }
}

/* ---- layout ---- */

static WINDOW *make_window(struct rect r)
{
    WINDOW *win = r.h > 0 ? newwin(r.h, r.w, r.y, r.x) : NULL;
    if (win != NULL) {
        leaveok(win, TRUE);
    }
    return win;
}

static void drop_window(WINDOW **w)
{
    if (*w != NULL) {
        delwin(*w);
        *w = NULL;
    }
}

static void drop_windows(struct ui *ui)
{
    for (size_t i = 0; i < ui->npanels; i++) {
        drop_window(&ui->panels[i].win);
        ui->panels[i].visible = false;
    }
    drop_window(&ui->side.win);
    ui->side.visible = false;
    drop_window(&ui->titlebar);
    drop_window(&ui->statusbar);
    drop_window(&ui->tabbar);
}

static void place(struct panel *p, struct rect r)
{
    p->win = make_window(r);
    p->visible = p->win != NULL;
    p->dirty = true;
    if (p->visible) {
        p->ops->resize(p->self, r.h, r.w);
    }
}

static void do_layout(struct ui *ui)
{
    drop_windows(ui);
    werase(stdscr);
    wnoutrefresh(stdscr);
    clearok(curscr, TRUE); /* a resize may leave garbage: repaint everything once */
    struct layout_req req = {
        .cols = COLS,
        .lines = LINES,
        .nslots = ui->nslots,
        .side = ui->side.ops != NULL,
        .zoom = ui->zoom != (ui->side_full = side_full_screen(ui)), /* z undoes a tabletop's */
        .focus = ui->side_focus ? ui->nslots : ui->focus,
    };
    layout_compute(&req, &ui->layout);
    ui->need_layout = false;
    if (ui->layout.kind == LAYOUT_TOO_SMALL) {
        ui->chrome_dirty = true;
        return;
    }
    ui->titlebar = make_window(ui->layout.title);
    ui->statusbar = make_window(ui->layout.status);
    ui->tabbar = make_window(ui->layout.tabs);
    for (int i = 0; i < ui->nslots; i++) {
        place(ui_slot_panel(ui, i), ui->layout.slot[i]);
    }
    if (ui->side.ops != NULL) {
        place(&ui->side, ui->layout.slot[ui->nslots]);
    }
    ui_dirty_all(ui);
}

/* ---- frames ---- */

static void draw_panel(struct ui *ui, struct panel *p)
{
    struct pane_view view = {
        .number = p->slot + 1,
        .focused = p == ui_focused(ui),
        .now_s = ui->last_second,
    };
    p->ops->draw(p->self, p->win, &view);
    p->dirty = false;
    ui->overlay_dirty = true;
}

/*
 * Bring every panel's rows up to the store's (its views hold rowsets a
 * publish frees): before a frame, and before keys are handled, since a
 * poll's answer can be published in the same loop round as a key arrives.
 */
static void update_panels(struct ui *ui, uint64_t now)
{
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *p = &ui->panels[i];
        if (p->ops->update(p->self, now)) {
            p->dirty = true;
            ui->chrome_dirty = true; /* tab counts */
        }
    }
}

/* Redraw what changed; one doupdate() per frame. */
static void ui_frame(struct ui *ui)
{
    int64_t sec = clock_wall_s();
    if (sec != ui->last_second) {
        ui->last_second = sec;
        ui_dirty_all(ui); /* ages and the clock; curses sends only what differs */
    }
    if (ui->message[0] != '\0' && clock_mono_ms() >= ui->message_until) {
        ui->chrome_dirty = true;
    }
    if (ui->need_layout) {
        do_layout(ui);
    }
    uint64_t now = loop_now_ms(ui->loop);
    bool drew = false;
    update_panels(ui, now);
    if (ui->projector != NULL) {
        drew = projview_frame(ui, now);
    } else if (ui->layout.kind == LAYOUT_TOO_SMALL) {
        if (ui->chrome_dirty) {
            chrome_too_small(ui);
            ui->chrome_dirty = false;
            drew = true;
        }
    } else {
        for (size_t i = 0; i < ui->npanels; i++) {
            if (ui->panels[i].visible && ui->panels[i].dirty) {
                draw_panel(ui, &ui->panels[i]);
                drew = true;
            }
        }
        if (ui->side.ops != NULL && ui->side.ops->update(ui->side.self, now)) {
            ui->side.dirty = true;
            ui->need_layout = ui->need_layout || side_full_screen(ui) != ui->side_full;
        }
        if (ui->side.visible && ui->side.dirty) {
            draw_panel(ui, &ui->side);
            drew = true;
        }
        if (ui->chrome_dirty) {
            chrome_draw(ui);
            ui->chrome_dirty = false;
            drew = true;
        }
        if (ui->overlay_dirty && (ui->mode == MODE_CONFIRM || ui->mode == MODE_VIEW ||
                                  ui->mode == MODE_LEFTOVERS || ui->overlay != NULL)) {
            dialogs_draw(ui);
            drew = true;
        }
        ui->overlay_dirty = false;
    }
    if (drew) {
        doupdate();
    }
    selstate_save(ui);
    ui->frames++;
    if ((ui->opts.exit_after_frames > 0 && ui->frames >= ui->opts.exit_after_frames) ||
        (ui->opts.exit_after_ms > 0 &&
         clock_mono_ms() - ui->started_ms >= (uint64_t)ui->opts.exit_after_ms)) {
        loop_quit(ui->loop);
    }
}

/* ---- terminal input and signals ---- */

static void hang_up(struct ui *ui)
{
    /* the terminal is gone (SSH dropped): leave without drawing, nor reading it again */
    ui->exit_status = 129;
    loop_unwatch(ui->loop, ui->tty_watch);
    ui->tty_watch = NULL;
    loop_quit(ui->loop);
}

/*
 * Readable with nothing to read: end of file. A hung-up tty fails the ioctl
 * (EIO); with an HTTP backend the loop polls through libcurl, whose
 * curl_waitfd has no POLLHUP: this is where a closed terminal shows.
 */
static bool tty_eof(int fd)
{
    int pending = 0;
    return ioctl(fd, FIONREAD, &pending) != 0 || pending == 0;
}

/* Has the terminal hung up (POLLHUP, an error, end of file)? Looked at without reading it. */
static bool tty_gone(void)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&p, 1, 0) < 0) {
        return false; /* EINTR: no news is not a hang-up */
    }
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
        return true;
    }
    return (p.revents & POLLIN) && tty_eof(STDIN_FILENO);
}

static void on_tty(int fd, short revents, void *ud)
{
    struct ui *ui = ud;
    if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
        hang_up(ui);
        return;
    }
    if (tty_eof(fd)) {
        hang_up(ui);
        return;
    }
    update_panels(ui, loop_now_ms(ui->loop));
    wint_t ch;
    int rc;
    while ((rc = wget_wch(stdscr, &ch)) != ERR) {
        keys_handle(ui, ch, rc == KEY_CODE_YES);
        if (loop_quitting(ui->loop)) {
            break;
        }
    }
}

static void on_signal(int signo, void *ud)
{
    struct ui *ui = ud;
    switch (signo) {
    case SIGWINCH:
        screen_resize();
        ui->need_layout = true;
        break;
    case SIGHUP:
        /*
         * A closed terminal (an SSH drop) sends SIGHUP too: the tty says
         * which. Gone: leave with 129 as ever. Still there: someone sent it
         * (kill -HUP): re-read the config after this loop iteration, once
         * the tty had its say (tui/reload.c).
         */
        if (tty_gone()) {
            hang_up(ui);
        } else {
            ui->reload_asked = true;
        }
        break;
    case SIGTERM:
        ui->exit_status = 143;
        loop_quit(ui->loop);
        break;
    case SIGINT:
        /* Ctrl-C while a runbook command runs stops the command, not opsdeck */
        if (ui->side.ops != NULL && ui->side.ops->interrupt(ui->side.self)) {
            break;
        }
        ui->exit_status = 130;
        loop_quit(ui->loop);
        break;
    default:
        break;
    }
}

/* ---- life cycle ---- */

/* Does any backend feed this pane's kind? */
static bool pane_fed(const struct ui *ui, const struct pane_ops *ops)
{
    for (size_t i = 0; i < ui->nbackends && ops->table != NULL; i++) {
        if (backend_kinds(ui->backends[i]) & (1u << ops->table->kind)) {
            return true;
        }
    }
    return false;
}

/*
 * The table panes from the registry, each in its slot. A pane no backend
 * feeds gets no slot (its slot == -1): the layout re-flows over the others
 * and the console opens on the first that has a backend. With none fed at
 * all, every pane shows (and says there is no backend).
 */
static void make_panels(struct ui *ui)
{
    ui->npanels = pane_count + pane_on_demand_count; /* those: off screen until opened */
    ui->panels = xcalloc(ui->npanels, sizeof *ui->panels);
    bool any = false;
    for (size_t i = 0; i < pane_count; i++) {
        any = any || pane_fed(ui, pane_registry[i].ops);
    }
    int compact[LAYOUT_MAX_SLOTS + 1];
    for (int i = 0; i <= LAYOUT_MAX_SLOTS; i++) {
        compact[i] = -1;
    }
    for (size_t i = 0; i < pane_count; i++) {
        int reg = pane_registry[i].slot;
        ui->panels[i].slot = -1;
        if (any && !pane_fed(ui, pane_registry[i].ops)) {
            continue;
        }
        if (compact[reg] < 0) {
            compact[reg] = ui->nslots++;
        }
        struct slot *s = &ui->slots[compact[reg]];
        s->panel[s->n++] = i;
        ui->panels[i].slot = compact[reg];
    }
    for (size_t i = pane_count; i < ui->npanels; i++) {
        ui->panels[i].slot = -1;
    }
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *p = &ui->panels[i];
        p->ui = ui;
        p->ops = i < pane_count ? pane_registry[i].ops : pane_on_demand[i - pane_count].ops;
        p->host.ops = &host_ops;
        p->host.host = p;
        struct pane_env env = {
            .loop = ui->loop,
            .store = ui->store,
            .backends = ui->backends,
            .nbackends = ui->nbackends,
            .host = &p->host,
            .g = ui->g,
            .group_above =
                ui->opts.config != NULL ? ui->opts.config->group_above : CONFIG_GROUP_ABOVE,
        };
        p->self = p->ops->create(p->ops, &env);
    }
    ui->side.ui = ui;
    ui->side.slot = ui->nslots;
    ui->side.host.ops = &host_ops;
    ui->side.host.host = &ui->side;
}

/* What a table pane showed before a reload made the panes again (view.h: its view string). */
struct panes_saved {
    char *ctx;          /* the contexts shown; NULL: all */
    struct view *views; /* per registered pane (pane_count); kind MODEL_KINDS: none */
    int focus_pane;     /* the registered pane focused; -1: none */
};

struct saved_view {
    const struct view *v;
    const struct pane_table *t;
};

static void apply_saved(struct tableview *tv, const struct store *st, void *ud)
{
    const struct saved_view *sv = ud;
    view_apply_table(sv->v, tv, st, sv->t->sort_col, sv->t->sort_desc);
}

struct panes_saved *ui_panels_drop(struct ui *ui)
{
    selstate_save(ui);
    struct panes_saved *sv = xcalloc(1, sizeof *sv);
    sv->ctx = ui->ctx != NULL ? ctx_spec(ui) : NULL;
    sv->views = xcalloc(pane_count > 0 ? pane_count : 1, sizeof *sv->views);
    sv->focus_pane = -1;
    struct panel *focused = ui->side_focus ? NULL : ui_focused(ui);
    for (size_t i = 0; i < pane_count; i++) {
        const struct panel *p = &ui->panels[i];
        const struct pane_table *t = p->ops->table;
        sv->views[i].kind = MODEL_KINDS;
        if (t != NULL && t->kind != MODEL_PROMQL && p->self != NULL) {
            view_capture_table(&sv->views[i], tablepane_view(p->self), t->sort_col, t->sort_desc);
        }
        sv->focus_pane = p == focused ? (int)i : sv->focus_pane;
    }
    promqlcmd_closed(ui);
    drop_windows(ui);
    for (size_t i = 0; i < ui->npanels; i++) {
        ui->panels[i].ops->free(ui->panels[i].self);
    }
    free(ui->panels);
    ui->panels = NULL;
    ui->npanels = 0;
    memset(ui->slots, 0, sizeof ui->slots);
    ui->nslots = 0;
    ui->focus = 0;
    ui->zoom = false;
    ui->viewer_opener = NULL;
    ctx_free(ui);
    return sv;
}

void ui_panels_make(struct ui *ui, struct panes_saved *sv)
{
    make_panels(ui);
    char *cause = NULL;
    if (sv->ctx != NULL && !ctx_select(ui, sv->ctx, &cause)) {
        free(cause); /* a context the new config has not: all are shown */
    }
    ctx_apply(ui);
    for (size_t i = 0; i < pane_count; i++) {
        if (sv->views[i].kind != MODEL_KINDS) {
            struct saved_view arg = {&sv->views[i], ui->panels[i].ops->table};
            tablepane_edit(ui->panels[i].self, apply_saved, &arg);
            view_free(&sv->views[i]);
        }
    }
    selstate_load(ui);
    if (sv->focus_pane >= 0 && ui->panels[sv->focus_pane].slot >= 0) {
        struct panel *p = &ui->panels[sv->focus_pane];
        struct slot *s = &ui->slots[p->slot];
        for (size_t j = 0; j < s->n; j++) {
            s->shown = s->panel[j] == (size_t)sv->focus_pane ? j : s->shown;
        }
        ui->focus = p->slot;
    }
    free(sv->views);
    free(sv->ctx);
    free(sv);
    ui->need_layout = true;
    ui_dirty_all(ui);
}

struct ui *ui_create(struct loop *loop, struct store *store, struct backend **backends,
                     size_t nbackends, const struct ui_options *opts, char **cause)
{
    /* the user's key map ([keys]) before the screen: its errors are the config's */
    if (!keyconf_install(opts->config, backends, nbackends, cause)) {
        return NULL;
    }
    struct theme theme;
    if (!theme_load(&theme, opts->theme ? opts->theme : "dark", opts->theme_dirs, cause)) {
        return NULL;
    }
    if (!screen_init(cause)) {
        return NULL;
    }
    struct ui *ui = xcalloc(1, sizeof *ui);
    ui->loop = loop;
    ui->store = store;
    ui->backends = backends;
    ui->nbackends = nbackends;
    ui->opts = *opts;
    ui->theme = theme;
    ui->g = screen_glyphs(screen_locale_utf8());
    /* NO_COLOR: do not even start colour, which would paint a default pair */
    const char *no_color = getenv("NO_COLOR");
    ui->tier = THEME_TIER_NONE;
    if ((no_color == NULL || no_color[0] == '\0') && has_colors()) {
        start_color();
        ui->tier = theme_detect_tier();
    }
    theme_apply(&ui->theme, ui->tier);
    make_panels(ui);
    selstate_load(ui);
    if (opts->view != NULL && !view_apply(ui, opts->view, cause)) {
        char *why = *cause;
        *cause = xasprintf("--view: %s", why);
        free(why);
        ui_destroy(ui);
        return NULL;
    }
    ui->need_layout = true;
    ui->started_ms = clock_mono_ms();
    loop_on_signal(loop, on_signal, ui);
    ui->tty_watch = loop_watch_fd(loop, STDIN_FILENO, POLLIN, on_tty, ui);
    screen_resize();
    char *alerts = alertlog_default_path();
    char *why = NULL;
    ui->alertlog = alerts != NULL ? alertlog_open(alerts, 0, &why) : NULL;
    free(why); /* no state directory: the report has no alert transitions, the console runs */
    free(alerts);
    side_open_at_start(ui, opts);
    return ui;
}

int ui_run(struct ui *ui)
{
    ui_frame(ui);
    for (;;) {
        loop_run_once(ui->loop, 1000);
        if (ui->reload_asked && !loop_quitting(ui->loop)) {
            ui->reload_asked = false;
            if (tty_gone()) {
                hang_up(ui); /* the hang-up's SIGHUP came before the tty said it */
            } else {
                reload_run(ui, "SIGHUP");
            }
        }
        side_watch(ui);
        leftovers_watch(ui);
        if (loop_quitting(ui->loop) && side_quit_waits(ui)) {
            loop_cancel_quit(ui->loop);
        }
        bool quitting = loop_quitting(ui->loop);
        bool blind = ui->exit_status == 129; /* the terminal is gone */
        if ((!quitting && !blind) || (quitting && ui->exit_status == 0)) {
            ui_frame(ui);
        }
        if (quitting) {
            break;
        }
    }
    return ui->exit_status;
}

void ui_destroy(struct ui *ui)
{
    if (ui == NULL) {
        return;
    }
    dialogs_free(ui);
    drop_window(&ui->projector);
    if (ui->side.ops != NULL) {
        /* no key may reach the pane while a drill's rollbacks run the loop in free */
        loop_unwatch(ui->loop, ui->tty_watch);
        ui->tty_watch = NULL;
    }
    room_free(ui);
    side_free(ui);
    promqlcmd_free(ui);
    alertlog_close(ui->alertlog);
    keyconf_free();
    drop_window(&ui->overlay);
    drop_windows(ui);
    for (size_t i = 0; i < ui->npanels; i++) {
        ui->panels[i].ops->free(ui->panels[i].self);
    }
    free(ui->panels);
    free(ui->selstate_saved);
    ctx_free(ui);
    loop_unwatch(ui->loop, ui->tty_watch);
    screen_finish();
    free(ui);
}
