/*
 * The console. State is one struct ui; the loop runs one iteration, then
 * ui_frame() redraws whatever became dirty:
 *   - a pane is dirty when its model generation moved, its view changed
 *     (keys, filter, sort) or the wall-clock second changed (ages);
 *   - every dirty window is werase'd, drawn, wnoutrefresh'ed; one doupdate().
 * curses only sends the cells that differ, so an idle screen costs the clock.
 *
 * Modes stack simply: NORMAL, or one of FILTER/COMMAND (the status line is a
 * prompt), CONFIRM (a dialog), VIEW (detail or help viewer). Panes keep
 * updating underneath every mode.
 *
 * With a run open, the runbook pane (panes/runbook.c, a non-table pane) takes
 * the right of the grid or a fifth tab; it gets keys first when focused, and
 * borrows the status line (MODE_PROMPT) and dialogs through struct pane_host.
 * A drill (panes/drill.c) takes the same side slot: one side pane at a time.
 * Closing a drill with chaos to undo (:close, quitting, SIGTERM, SIGHUP) does
 * not run a loop of its own: game_close() starts the rollbacks, the pane
 * stays and shows them go, and the slot (or the console) closes once
 * game_closed() says they are done, or after GAME_CLOSE_LIMIT_MS.
 *
 * Rollbacks still pending in any drill's journal (one failed: every start
 * tries it again until it works or is given up) are said first in the status
 * line, NOT RESTORED in the critical tone, until they are resolved.
 */
#include "ui.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/action.h"
#include "../engine/journal.h"
#include "../engine/locate.h"
#include "../panes/drill.h"
#include "../panes/pane.h"
#include "../panes/runbook.h"
#include "../common/loop.h"
#include "screen.h"
#include "table.h"
#include "theme.h"
#include "widgets.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum layout { LAYOUT_GRID, LAYOUT_TABS, LAYOUT_TOO_SMALL };
enum mode { MODE_NORMAL, MODE_FILTER, MODE_COMMAND, MODE_CONFIRM, MODE_VIEW, MODE_PROMPT };

enum { MIN_COLS = 60, MIN_ROWS = 15, GRID_COLS = 120, GRID_ROWS = 30 };

struct pane_state {
    const struct pane_impl *impl;
    struct tableview tv;
    WINDOW *win;
    bool visible;
    bool dirty;
    char summary[96];
};

/* The action a dialog asks about: one target, or several (marked rows). */
struct pending {
    const struct action_def *def;
    size_t n;
    char **backend; /* per target */
    char **target;
    bool asking_input; /* bulk input actions: first the value, then the typed confirmation */
    char *input;
    char *must_type; /* single typed actions: the row's name (QUEUE, SERVER...), not its key */
};

struct ui {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    struct ui_options opts;
    const struct glyphs *g;
    struct theme theme;
    enum theme_tier tier;

    struct pane_state panes[MODEL_KINDS];
    int focus;          /* a model kind: the focused pane */
    bool show_silences; /* the first slot shows Silences instead of Alerts */
    bool zoom;
    enum layout layout;
    WINDOW *titlebar;
    WINDOW *statusbar;
    WINDOW *tabbar;
    WINDOW *overlay;
    bool need_layout;
    bool chrome_dirty;
    bool overlay_dirty;

    enum mode mode;
    struct lineedit line;
    char filter_before[128];
    struct dialog dialog;
    struct pending pending;
    struct viewer viewer;

    char message[256];
    bool message_error;
    uint64_t message_until;

    /* the runbook pane, a non-table pane: open while a run is shown */
    struct {
        const struct pane_ops *ops;
        void *self;
        WINDOW *win;
        bool visible, dirty, focus;
    } rb;
    struct pane_host rb_host;
    pane_answer_cb prompt_cb; /* MODE_PROMPT: the pane's question in the status line */
    char prompt_label[256];
    bool prompt_secret;
    pane_confirm_cb pane_confirm; /* MODE_CONFIRM for the pane instead of a pending action */
    char *resume_offer;           /* the newest unfinished run, for R */
    bool resume_offer_drill;      /* ... and it is a drill */
    bool rb_closing;              /* the drill pane is rolling back before it closes */
    uint64_t rb_close_until;      /* ... at most until (mono ms) */
    bool quit_after_close;        /* quitting waits for it */
    enum game_state drill_seen;   /* the drill's state at the last frame */
    size_t npending;              /* rollbacks pending in the journals (NOT RESTORED) */
    char pending_text[200];       /* the first of them, for the status line */
    uint64_t pending_checked;     /* when (mono ms) the journals were last read */

    int64_t last_second;
    uint64_t started_ms;
    long frames;
    int exit_status;
    struct loop_watch *tty_watch;
};

/* ---- helpers ---- */

static struct pane_state *focused(struct ui *ui)
{
    return &ui->panes[ui->focus];
}

/* The side slot holds a runbook run or a drill. */
static bool side_is_drill(const struct ui *ui)
{
    return ui->rb.self != NULL && ui->rb.ops == &drill_pane;
}

static const char *side_id(struct ui *ui)
{
    return side_is_drill(ui) ? game_run_id(drill_pane_game(ui->rb.self))
                             : run_id(runbook_pane_run(ui->rb.self));
}

enum { SLOTS = 4 };

/* The pane in screen slot 0-3: the first slot is Alerts or Silences. */
static int slot_kind(const struct ui *ui, int slot)
{
    if (slot == 0) {
        return ui->show_silences ? MODEL_SILENCES : MODEL_ALERTS;
    }
    return slot;
}

static int kind_slot(int kind)
{
    return kind == MODEL_SILENCES ? 0 : kind;
}

static struct backend *find_backend(struct ui *ui, const char *name)
{
    for (size_t i = 0; i < ui->nbackends; i++) {
        if (strcmp(ui->backends[i]->name, name) == 0) {
            return ui->backends[i];
        }
    }
    return NULL;
}

static void set_message(struct ui *ui, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_message(struct ui *ui, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_error = error;
    ui->message_until = clock_mono_ms() + 8000;
    ui->chrome_dirty = true;
}

static void mark_panes_dirty(struct ui *ui)
{
    for (int k = 0; k < MODEL_KINDS; k++) {
        ui->panes[k].dirty = true;
    }
    ui->rb.dirty = true;
    ui->chrome_dirty = true;
    ui->overlay_dirty = true;
}

static void refresh_summary(struct pane_state *p)
{
    p->impl->summary(&p->tv, p->summary, sizeof p->summary);
}

/* ---- layout ---- */

static void drop_windows(struct ui *ui)
{
    for (int k = 0; k < MODEL_KINDS; k++) {
        if (ui->panes[k].win != NULL) {
            delwin(ui->panes[k].win);
            ui->panes[k].win = NULL;
        }
        ui->panes[k].visible = false;
    }
    if (ui->rb.win != NULL) {
        delwin(ui->rb.win);
        ui->rb.win = NULL;
    }
    ui->rb.visible = false;
    WINDOW **bars[] = {&ui->titlebar, &ui->statusbar, &ui->tabbar};
    for (size_t i = 0; i < sizeof bars / sizeof bars[0]; i++) {
        if (*bars[i] != NULL) {
            delwin(*bars[i]);
            *bars[i] = NULL;
        }
    }
}

static WINDOW *make_window(int h, int w, int y, int x)
{
    WINDOW *win = newwin(h, w, y, x);
    if (win != NULL) {
        leaveok(win, TRUE);
    }
    return win;
}

static void place_pane(struct ui *ui, int k, int h, int w, int y, int x)
{
    ui->panes[k].win = make_window(h, w, y, x);
    ui->panes[k].visible = ui->panes[k].win != NULL;
    ui->panes[k].dirty = true;
}

static void place_rb(struct ui *ui, int h, int w, int y, int x)
{
    ui->rb.win = make_window(h, w, y, x);
    ui->rb.visible = ui->rb.win != NULL;
    ui->rb.dirty = true;
    if (ui->rb.visible) {
        ui->rb.ops->resize(ui->rb.self, h, w);
    }
}

static void do_layout(struct ui *ui)
{
    drop_windows(ui);
    werase(stdscr);
    wnoutrefresh(stdscr);
    clearok(curscr, TRUE); /* a resize may leave garbage: repaint everything once */
    int H = LINES, W = COLS;
    if (W < MIN_COLS || H < MIN_ROWS) {
        ui->layout = LAYOUT_TOO_SMALL;
        ui->need_layout = false;
        ui->chrome_dirty = true;
        return;
    }
    ui->titlebar = make_window(1, W, 0, 0);
    ui->statusbar = make_window(1, W, H - 1, 0);
    int top = 1, area = H - 2;
    if (W >= GRID_COLS && H >= GRID_ROWS && !ui->zoom) {
        ui->layout = LAYOUT_GRID;
        /* a run open: the grid keeps the left 55%, the runbook the right, full height */
        int GW = ui->rb.self != NULL ? W * 55 / 100 : W;
        int lw = GW / 2, th = area / 2;
        place_pane(ui, slot_kind(ui, 0), th, lw, top, 0);
        place_pane(ui, MODEL_QUEUES, th, GW - lw, top, lw);
        place_pane(ui, MODEL_POOLS, area - th, lw, top + th, 0);
        place_pane(ui, MODEL_DEPLOYS, area - th, GW - lw, top + th, lw);
        if (ui->rb.self != NULL) {
            place_rb(ui, area, W - GW, top, GW);
        }
    } else if (ui->zoom && W >= GRID_COLS && H >= GRID_ROWS) {
        ui->layout = LAYOUT_GRID;
        if (ui->rb.focus) {
            place_rb(ui, area, W, top, 0);
        } else {
            place_pane(ui, ui->focus, area, W, top, 0);
        }
    } else {
        ui->layout = LAYOUT_TABS;
        ui->tabbar = make_window(1, W, top, 0);
        if (ui->rb.focus) {
            place_rb(ui, area - 1, W, top + 1, 0);
        } else {
            place_pane(ui, ui->focus, area - 1, W, top + 1, 0);
        }
    }
    ui->need_layout = false;
    mark_panes_dirty(ui);
}

/* ---- drawing ---- */

static bool kind_has_backend(struct ui *ui, enum model_kind kind)
{
    for (size_t i = 0; i < ui->nbackends; i++) {
        if (backend_kinds(ui->backends[i]) & (1u << kind)) {
            return true;
        }
    }
    return false;
}

/* The worst health among the backends feeding a kind, as text; false if all fine. */
static bool kind_problem(struct ui *ui, enum model_kind kind, char *buf, size_t len, bool *starting)
{
    uint64_t now = loop_now_ms(ui->loop);
    *starting = false;
    for (size_t i = 0; i < ui->nbackends; i++) {
        struct backend *b = ui->backends[i];
        if (!(backend_kinds(b) & (1u << kind))) {
            continue;
        }
        if (b->health == BACKEND_STARTING) {
            *starting = true;
        }
        if (b->health == BACKEND_ERROR || backend_is_stale(b, now)) {
            size_t n = (size_t)snprintf(buf, len, "%s: ", b->name);
            if (n < len) {
                backend_health_text(b, now, buf + n, len - n);
            }
            return true;
        }
    }
    return false;
}

static void draw_pane_empty(struct ui *ui, struct pane_state *p, int h, int w)
{
    char msg[200];
    bool starting = false;
    char problem[200];
    bool bad = kind_problem(ui, p->impl->kind, problem, sizeof problem, &starting);
    if (!kind_has_backend(ui, p->impl->kind)) {
        snprintf(msg, sizeof msg, "no backend configured for %s", p->impl->name);
    } else if (bad) {
        snprintf(msg, sizeof msg, "%s", problem);
    } else if (starting && p->tv.total == 0) {
        snprintf(msg, sizeof msg, "waiting for data%s", ui->g->ellipsis);
    } else if (p->tv.filter[0] != '\0') {
        snprintf(msg, sizeof msg, "no rows match '%s' (Esc clears the filter)", p->tv.filter);
    } else {
        snprintf(msg, sizeof msg, "nothing here");
    }
    int mw = utf8_width(msg);
    if (mw > w - 4) {
        mw = w - 4;
    }
    screen_put(p->win, h / 2, (w - mw) / 2, mw, msg, theme_attr(bad ? THEME_ERROR : THEME_MUTED),
               ui->g);
}

static void draw_pane_frame(struct ui *ui, struct pane_state *p, bool is_focus, int h, int w)
{
    const struct glyphs *g = ui->g;
    screen_box(p->win, g, theme_attr(is_focus ? THEME_BORDER_FOCUS : THEME_BORDER));
    char title[200];
    snprintf(title, sizeof title, " %d %s ", kind_slot(p->impl->kind) + 1,
             model_schema(p->impl->kind)->title);
    int x = 2;
    x += screen_put(p->win, 0, x, w - 4, title,
                    theme_attr(is_focus ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, g);
    char sum[120];
    /* a pane nothing feeds says so in its body; a summary of zeros would mislead */
    snprintf(sum, sizeof sum, "%s ", kind_has_backend(ui, p->impl->kind) ? p->summary : "");
    x += screen_put(p->win, 0, x, w - 2 - x, sum, theme_attr(THEME_TITLE), g);
    bool starting;
    char problem[200];
    if (kind_problem(ui, p->impl->kind, problem, sizeof problem, &starting)) {
        char tag[220];
        snprintf(tag, sizeof tag, " %s %s ", g->bad, problem);
        int tw = utf8_width(tag);
        int room = w - 2 - x;
        if (room > 8) {
            screen_put(p->win, 0, tw < room ? w - 2 - tw : x, room, tag, theme_attr(THEME_ERROR),
                       g);
        }
    }
    char foot[200];
    int n = snprintf(foot, sizeof foot, " %zu", p->tv.nrows);
    if (p->tv.nrows != p->tv.total) {
        n += snprintf(foot + n, sizeof foot - (size_t)n, " of %zu", p->tv.total);
    }
    n += snprintf(foot + n, sizeof foot - (size_t)n, " rows");
    size_t shown = h > 3 ? (size_t)(h - 3) : 0;
    if (p->tv.nrows > shown && shown > 0) {
        size_t last = p->tv.top + shown < p->tv.nrows ? p->tv.top + shown : p->tv.nrows;
        n += snprintf(foot + n, sizeof foot - (size_t)n, " (%zu-%zu shown)", p->tv.top + 1, last);
    }
    size_t marked = tableview_marked(&p->tv, NULL, 0);
    if (marked > 0) {
        n += snprintf(foot + n, sizeof foot - (size_t)n, "  %zu marked", marked);
    }
    if (p->tv.group_col >= 0) {
        n += snprintf(foot + n, sizeof foot - (size_t)n, "  grouped by %s",
                      model_schema(p->impl->kind)->cols[p->tv.group_col].title);
    }
    if (p->tv.filter[0] != '\0') {
        n += snprintf(foot + n, sizeof foot - (size_t)n, "  filter: %s", p->tv.filter);
    }
    if (p->tv.sort_col >= 0) {
        snprintf(foot + n, sizeof foot - (size_t)n, "  sort: %s%s",
                 model_schema(p->impl->kind)->cols[p->tv.sort_col].title,
                 p->tv.sort_desc ? g->down : g->up);
    }
    strncat(foot, " ", sizeof foot - strlen(foot) - 1);
    screen_put(p->win, h - 1, 2, w - 4, foot, theme_attr(THEME_BORDER), g);
}

static void draw_pane(struct ui *ui, struct pane_state *p)
{
    int h = getmaxy(p->win), w = getmaxx(p->win);
    bool is_focus = p == focused(ui) && !ui->rb.focus;
    werase(p->win);
    if (p->tv.nrows == 0) {
        table_draw(p->win, 1, 1, 1, w - 2, &p->tv, false, ui->last_second, ui->g);
        draw_pane_empty(ui, p, h, w);
    } else {
        table_draw(p->win, 1, 1, h - 2, w - 2, &p->tv, is_focus, ui->last_second, ui->g);
    }
    /* after the table, which scrolls the view: the footer tells the position */
    draw_pane_frame(ui, p, is_focus, h, w);
    wnoutrefresh(p->win);
    p->dirty = false;
}

static void draw_titlebar(struct ui *ui)
{
    WINDOW *w = ui->titlebar;
    int W = getmaxx(w);
    unsigned st = theme_attr(THEME_STATUS);
    werase(w);
    screen_fill(w, 0, 0, W, st);
    int x = screen_put(w, 0, 0, W, " opsdeck ", st | A_BOLD, ui->g);
    if (ui->opts.demo) {
        x += screen_put(w, 0, x, W - x, " DEMO ", theme_attr(THEME_DEMO), ui->g);
        x += screen_put(w, 0, x, W - x, " simulated data, actions affect nothing real ", st, ui->g);
    }
    if (ui->opts.read_only) {
        x += screen_put(w, 0, x, W - x, " READ-ONLY ", theme_attr(THEME_WARN) | A_REVERSE, ui->g);
    }
    if (ui->opts.read_only && ui->opts.read_only_why != NULL) {
        char why[400];
        snprintf(why, sizeof why, " %s ", ui->opts.read_only_why);
        x += screen_put(w, 0, x, W - x, why, theme_attr(THEME_WARN), ui->g);
    }
    char right[160];
    time_t now = (time_t)ui->last_second;
    struct tm tm;
    gmtime_r(&now, &tm);
    char clock[16];
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    snprintf(right, sizeof right, "%s@%s  %s UTC ", whoami_user(), whoami_host(), clock);
    int rw = utf8_width(right);
    if (W - x > rw) {
        screen_put(w, 0, W - rw, rw, right, st, ui->g);
    }
    wnoutrefresh(w);
}

static void draw_tabbar(struct ui *ui)
{
    WINDOW *w = ui->tabbar;
    int W = getmaxx(w), x = 0;
    werase(w);
    for (int slot = 0; slot < SLOTS && x < W; slot++) {
        int k = slot_kind(ui, slot);
        char tab[64];
        snprintf(tab, sizeof tab, " %d %s %zu ", slot + 1, model_schema((enum model_kind)k)->title,
                 ui->panes[k].tv.nrows);
        unsigned attr = k == ui->focus && !ui->rb.focus ? theme_attr(THEME_SELECTED) | A_BOLD
                                                        : theme_attr(THEME_TITLE);
        x += screen_put(w, 0, x, W - x, tab, attr, ui->g);
        if (x < W) {
            x += screen_put(w, 0, x, W - x, " ", theme_attr(THEME_NORMAL), ui->g);
        }
    }
    if (ui->rb.self != NULL && x < W) {
        unsigned attr =
            ui->rb.focus ? theme_attr(THEME_SELECTED) | A_BOLD : theme_attr(THEME_TITLE);
        screen_put(w, 0, x, W - x, side_is_drill(ui) ? " 5 Drill " : " 5 Runbook ", attr, ui->g);
    }
    wnoutrefresh(w);
}

static void draw_backends(struct ui *ui, WINDOW *w, int *x, int limit)
{
    uint64_t now = loop_now_ms(ui->loop);
    for (size_t i = 0; i < ui->nbackends && *x < limit; i++) {
        struct backend *b = ui->backends[i];
        char h[200], item[260];
        backend_health_text(b, now, h, sizeof h);
        snprintf(item, sizeof item, "%s%s: %s", i ? ui->g->sep : " ", b->name, h);
        bool bad = b->health == BACKEND_ERROR || backend_is_stale(b, now);
        *x += screen_put(w, 0, *x, limit - *x, item, theme_attr(bad ? THEME_ERROR : THEME_STATUS),
                         ui->g);
    }
}

static void draw_statusbar(struct ui *ui)
{
    WINDOW *w = ui->statusbar;
    int W = getmaxx(w);
    unsigned st = theme_attr(THEME_STATUS);
    werase(w);
    screen_fill(w, 0, 0, W, st);
    if (ui->mode == MODE_PROMPT) {
        struct strbuf sb = {0};
        strbuf_str(&sb, ui->prompt_label);
        for (size_t i = 0; i < ui->line.len && ui->prompt_secret; i++) {
            strbuf_str(&sb, "*"); /* a secret is not echoed; its length shows typing works */
        }
        strbuf_printf(&sb, "%s_", ui->prompt_secret ? "" : ui->line.buf);
        screen_put_tail(w, 0, 0, W, sb.s, theme_attr(THEME_NORMAL) | A_BOLD, ui->g);
        free(sb.s);
        wnoutrefresh(w);
        return;
    }
    if (ui->mode == MODE_FILTER || ui->mode == MODE_COMMAND) {
        char prompt[300];
        snprintf(prompt, sizeof prompt, "%s%s_", ui->mode == MODE_FILTER ? "/" : ":", ui->line.buf);
        screen_put(w, 0, 0, W, prompt, theme_attr(THEME_NORMAL) | A_BOLD, ui->g);
        const char *hint = ui->mode == MODE_FILTER ? " Enter keep  Esc cancel  !text inverts "
                                                   : " Enter run  Esc cancel ";
        int hw = utf8_width(hint);
        if (W > hw + 20) {
            screen_put(w, 0, W - hw, hw, hint, st, ui->g);
        }
        wnoutrefresh(w);
        return;
    }
    int x = 0;
    const char *hint = " ? help  q quit ";
    int hw = utf8_width(hint);
    if (ui->npending > 0) {
        /* before anything else: chaos a drill left that nothing has put back */
        char crit[300];
        snprintf(crit, sizeof crit, " NOT RESTORED: %s ", ui->pending_text);
        x += screen_put(w, 0, x, W - hw - 1, crit, theme_attr(THEME_CRIT) | A_REVERSE | A_BOLD,
                        ui->g);
    }
    if (ui->message[0] != '\0' && clock_mono_ms() < ui->message_until) {
        char msg[300];
        snprintf(msg, sizeof msg, " %s %s ", ui->message_error ? ui->g->bad : ui->g->ok,
                 ui->message);
        /* after NOT RESTORED, a long message leaves the hint its place */
        x += screen_put(w, 0, x, ui->npending > 0 ? W - hw - x - 1 : W - hw - x, msg,
                        theme_attr(ui->message_error ? THEME_ERROR : THEME_OK) | A_REVERSE, ui->g);
    } else {
        ui->message[0] = '\0';
        draw_backends(ui, w, &x, ui->npending > 0 ? W - hw - 1 : W - hw);
    }
    if (W - x > hw) {
        screen_put(w, 0, W - hw, hw, hint, st, ui->g);
    }
    wnoutrefresh(w);
}

static void draw_too_small(struct ui *ui)
{
    werase(stdscr);
    char msg[120];
    snprintf(msg, sizeof msg, "terminal too small: %dx%d", COLS, LINES);
    char need[120];
    snprintf(need, sizeof need, "opsdeck needs at least %dx%d (q quits)", MIN_COLS, MIN_ROWS);
    int y = LINES / 2 - 1;
    screen_put(stdscr, y < 0 ? 0 : y, 0, COLS, msg, theme_attr(THEME_WARN) | A_BOLD, ui->g);
    if (y + 1 < LINES) {
        screen_put(stdscr, y + 1, 0, COLS, need, theme_attr(THEME_NORMAL), ui->g);
    }
    wnoutrefresh(stdscr);
}

static void draw_overlay(struct ui *ui)
{
    if (ui->mode == MODE_CONFIRM) {
        ui->overlay = dialog_draw(&ui->dialog, ui->overlay, ui->g);
    } else if (ui->mode == MODE_VIEW) {
        int h = LINES - 4, w = COLS - 8;
        if (w > 110) {
            w = 110;
        }
        ui->overlay = viewer_draw(&ui->viewer, ui->overlay, 2, (COLS - w) / 2, h, w, ui->g);
    } else {
        if (ui->overlay != NULL) {
            delwin(ui->overlay);
            ui->overlay = NULL;
            mark_panes_dirty(ui);
        }
        return;
    }
    if (ui->overlay != NULL) {
        wnoutrefresh(ui->overlay);
    }
}

/* Redraw what changed; one doupdate() per frame. */
static void ui_frame(struct ui *ui)
{
    int64_t sec = clock_wall_s();
    if (sec != ui->last_second) {
        ui->last_second = sec;
        mark_panes_dirty(ui); /* ages and the clock; curses sends only what differs */
    }
    if (ui->message[0] != '\0' && clock_mono_ms() >= ui->message_until) {
        ui->chrome_dirty = true;
    }
    if (ui->need_layout) {
        do_layout(ui);
    }
    bool drew = false;
    for (int k = 0; k < MODEL_KINDS; k++) {
        struct pane_state *p = &ui->panes[k];
        if (tableview_refresh(&p->tv, ui->store)) {
            refresh_summary(p);
            p->dirty = true;
            ui->chrome_dirty = true; /* tab counts */
        }
    }
    if (ui->layout == LAYOUT_TOO_SMALL) {
        if (ui->chrome_dirty) {
            draw_too_small(ui);
            ui->chrome_dirty = false;
            drew = true;
        }
    } else {
        for (int k = 0; k < MODEL_KINDS; k++) {
            struct pane_state *p = &ui->panes[k];
            if (p->visible && p->dirty) {
                draw_pane(ui, p);
                drew = true;
                ui->overlay_dirty = true;
            }
        }
        if (ui->rb.self != NULL && ui->rb.ops->update(ui->rb.self, loop_now_ms(ui->loop))) {
            ui->rb.dirty = true;
        }
        if (ui->rb.visible && ui->rb.dirty) {
            ui->rb.ops->draw(ui->rb.self, ui->rb.win, ui->rb.focus);
            ui->rb.dirty = false;
            drew = true;
            ui->overlay_dirty = true;
        }
        if (ui->chrome_dirty) {
            draw_titlebar(ui);
            draw_statusbar(ui);
            if (ui->tabbar != NULL) {
                draw_tabbar(ui);
            }
            ui->chrome_dirty = false;
            drew = true;
        }
        if (ui->overlay_dirty &&
            (ui->mode == MODE_CONFIRM || ui->mode == MODE_VIEW || ui->overlay != NULL)) {
            draw_overlay(ui);
            drew = true;
        }
        ui->overlay_dirty = false;
    }
    if (drew) {
        doupdate();
    }
    ui->frames++;
    if ((ui->opts.exit_after_frames > 0 && ui->frames >= ui->opts.exit_after_frames) ||
        (ui->opts.exit_after_ms > 0 &&
         clock_mono_ms() - ui->started_ms >= (uint64_t)ui->opts.exit_after_ms)) {
        loop_quit(ui->loop);
    }
}

/* ---- actions ---- */

/* Results of one confirmed action over one or more targets, summed up once. */
struct outcome {
    struct ui *ui;
    const char *label;
    size_t total, done, ok;
    char *first_error;
    char *single; /* the one target's message, for a single action */
};

/*
 * A report of several lines (peeked messages) opens in the viewer, the first
 * line in the status bar; a dialog the operator opened meanwhile is left alone.
 */
static void show_long_report(struct ui *ui, const char *label, const char *text)
{
    size_t first = strcspn(text, "\n");
    set_message(ui, false, "%.*s", (int)first, text);
    if (ui->mode != MODE_NORMAL && ui->mode != MODE_VIEW) {
        return;
    }
    viewer_close(&ui->viewer);
    viewer_open(&ui->viewer, label);
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        viewer_add(&ui->viewer, "%.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}

/* Say the result once every report is in, then let the outcome go. */
static void outcome_settle(struct outcome *o)
{
    if (o->done < o->total) {
        return;
    }
    if (o->total == 0) {
        set_message(o->ui, true, "%s: the backend is gone", o->label);
    } else if (o->total == 1 && o->ok == 1 && strchr(o->single, '\n') != NULL) {
        show_long_report(o->ui, o->label, o->single);
    } else if (o->total == 1) {
        set_message(o->ui, o->ok == 0, "%s", o->single);
    } else if (o->ok == o->total) {
        set_message(o->ui, false, "%s: %zu of %zu ok", o->label, o->ok, o->total);
    } else {
        set_message(o->ui, true, "%s: %zu of %zu ok; %s", o->label, o->ok, o->total,
                    o->first_error);
    }
    mark_panes_dirty(o->ui);
    free(o->first_error);
    free(o->single);
    free(o);
}

static void on_action_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct outcome *o = ud;
    const char *text = message && message[0] ? message : (ok ? "done" : "failed");
    o->done++;
    if (ok) {
        o->ok++;
        backend_poll_now(a->backend);
    } else if (o->first_error == NULL) {
        o->first_error = xasprintf("%s: %s", a->target, text);
    }
    if (o->single == NULL) {
        o->single = xasprintf("%s %s: %s", o->label, a->target, text);
    }
    outcome_settle(o);
}

static void pending_clear(struct ui *ui)
{
    for (size_t i = 0; i < ui->pending.n; i++) {
        free(ui->pending.backend[i]);
        free(ui->pending.target[i]);
    }
    free(ui->pending.backend);
    free(ui->pending.target);
    free(ui->pending.input);
    free(ui->pending.must_type);
    memset(&ui->pending, 0, sizeof ui->pending);
}

static void pending_add(struct ui *ui, const char *backend, const char *target)
{
    struct pending *p = &ui->pending;
    p->backend = xreallocarray(p->backend, p->n + 1, sizeof *p->backend);
    p->target = xreallocarray(p->target, p->n + 1, sizeof *p->target);
    p->backend[p->n] = xstrdup(backend);
    p->target[p->n] = xstrdup(target);
    p->n++;
}

static char *capitalised(const char *verb)
{
    char *s = xstrdup(verb);
    if (s[0] >= 'a' && s[0] <= 'z') {
        s[0] = (char)(s[0] - 'a' + 'A');
    }
    return s;
}

/* "be_web/web1 (lb1)" lines for as many targets as the screen holds. */
static void list_targets(const struct pending *p, char *buf, size_t len, size_t room)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        if (i == room && p->n > room + 1) {
            snprintf(buf + n, len - n, "\n  ... and %zu more", p->n - i);
            return;
        }
        n += (size_t)snprintf(buf + n, len - n, "\n  %s (%s)", p->target[i], p->backend[i]);
        if (n >= len) {
            return;
        }
    }
}

/* Open the dialog for the pending action: single, bulk value, or bulk confirmation. */
static void open_pending_dialog(struct ui *ui)
{
    struct pending *p = &ui->pending;
    const struct action_def *def = p->def;
    bool input = (def->flags & ACTION_INPUT) != 0;
    char body[4096], typed[96];
    char *confirm = capitalised(def->verb);
    if (p->n == 1) {
        struct backend *b = find_backend(ui, p->backend[0]);
        snprintf(body, sizeof body, "%s %s\non backend '%s' (%s)%s%s", def->label, p->target[0],
                 p->backend[0], b ? b->impl->type : "?",
                 (def->flags & ACTION_DISRUPTIVE) ? "\nThis changes live traffic." : "",
                 (def->flags & ACTION_TYPED) ? "\nThis cannot be undone." : "");
        const char *labels[DIALOG_MAX_FIELDS];
        char *values[DIALOG_MAX_FIELDS];
        int nform = b != NULL && b->impl->form != NULL
                        ? b->impl->form(b, def, p->target[0], labels, values, DIALOG_MAX_FIELDS)
                        : 0;
        if (nform > 0) {
            dialog_open_form(&ui->dialog, def->label, body, confirm, labels, values, nform);
            for (int i = 0; i < nform; i++) {
                free(values[i]);
            }
        } else {
            dialog_open(&ui->dialog, def->label, body, confirm, input ? def->input_prompt : NULL,
                        def->input_default, (def->flags & ACTION_TYPED) ? p->must_type : NULL);
        }
    } else {
        char list[3500];
        size_t room = LINES > 16 ? (size_t)(LINES - 16) : 1;
        list_targets(p, list, sizeof list, room);
        if (p->asking_input) {
            snprintf(body, sizeof body, "%s on %zu targets:%s", def->label, p->n, list);
            dialog_open(&ui->dialog, def->label, body, "Next", def->input_prompt,
                        def->input_default, NULL);
        } else {
            snprintf(typed, sizeof typed, "%s %zu", def->verb, p->n);
            snprintf(body, sizeof body, "%s on %zu targets%s%s:%s", def->label, p->n,
                     p->input ? " with " : "", p->input ? p->input : "", list);
            dialog_open(&ui->dialog, def->label, body, confirm, NULL, NULL, typed);
        }
    }
    free(confirm);
    ui->mode = MODE_CONFIRM;
    ui->overlay_dirty = true;
}

static void confirm_action(struct ui *ui)
{
    struct pending *p = &ui->pending;
    if (p->n > 1 && p->asking_input) {
        /* the value is in; now show every target again and ask for the typed confirmation */
        p->input = xstrdup(dialog_field(&ui->dialog, 0));
        p->asking_input = false;
        dialog_close(&ui->dialog);
        open_pending_dialog(ui);
        return;
    }
    if (p->n == 1 && ui->dialog.nfields > 0 && ui->dialog.must_type == NULL) {
        /* the value typed, or a form's fields joined by newlines */
        free(p->input);
        p->input = xstrdup(dialog_field(&ui->dialog, 0));
        for (int i = 1; i < ui->dialog.nfields; i++) {
            char *joined = xasprintf("%s\n%s", p->input, dialog_field(&ui->dialog, i));
            free(p->input);
            p->input = joined;
        }
    }
    const char *input = p->input;
    struct outcome *o = xcalloc(1, sizeof *o);
    o->ui = ui;
    o->label = p->def->label;
    /* one extra count while dispatching: backends may report before action_run returns */
    o->total = p->n + 1;
    for (size_t i = 0; i < p->n; i++) {
        struct backend *b = find_backend(ui, p->backend[i]);
        if (b == NULL) {
            o->total--;
            continue;
        }
        action_run(action_create(b, p->def, p->target[i], input), on_action_report, o);
    }
    if (p->n > 1) {
        tableview_clear_marks(&focused(ui)->tv);
        focused(ui)->dirty = true;
    }
    o->total--;
    outcome_settle(o);
}

static bool ask_single(struct ui *ui, const struct rowset *rs, size_t row, int key)
{
    struct backend *b = find_backend(ui, rs->source);
    const struct action_def *def =
        b != NULL ? backend_action(b, focused(ui)->impl->kind, key) : NULL;
    if (def == NULL) {
        return false;
    }
    char *cause = NULL;
    if (!action_check(b, def, &cause)) {
        set_message(ui, true, "%s %s: %s", def->label, rowset_key(rs, row), cause);
        free(cause);
        return true;
    }
    pending_clear(ui);
    ui->pending.def = def;
    pending_add(ui, b->name, rowset_key(rs, row));
    if (def->flags & ACTION_TYPED) {
        /* "orders.created", not "%2F/orders.created": what the person sees in the row */
        const char *name = rowset_cell_text(rs, row, focused(ui)->impl->name_col);
        ui->pending.must_type = xstrdup(name[0] != '\0' ? name : rowset_key(rs, row));
    }
    open_pending_dialog(ui);
    return true;
}

/* Every marked row must offer the action and allow it; otherwise say which does not. */
static bool ask_bulk(struct ui *ui, const struct rowref *refs, size_t n, int key)
{
    enum model_kind kind = focused(ui)->impl->kind;
    pending_clear(ui);
    for (size_t i = 0; i < n; i++) {
        const char *target = rowset_key(refs[i].rs, refs[i].row);
        struct backend *b = find_backend(ui, refs[i].rs->source);
        const struct action_def *def = b != NULL ? backend_action(b, kind, key) : NULL;
        if (def == NULL || (ui->pending.def != NULL && strcmp(def->verb, ui->pending.def->verb))) {
            set_message(ui, true, "'%c' does not apply to every marked row (%s)", key, target);
            pending_clear(ui);
            return true;
        }
        char *cause = NULL;
        if (!action_check(b, def, &cause)) {
            set_message(ui, true, "%s %s: %s", def->label, target, cause);
            free(cause);
            pending_clear(ui);
            return true;
        }
        ui->pending.def = def;
        pending_add(ui, b->name, target);
    }
    ui->pending.asking_input = (ui->pending.def->flags & ACTION_INPUT) != 0;
    open_pending_dialog(ui);
    return true;
}

/* The rows an action key applies to: marked rows, else the selected one; groups expand. */
static size_t action_rows(struct ui *ui, struct rowref **out)
{
    struct tableview *tv = &focused(ui)->tv;
    size_t nsel = tableview_marked(tv, NULL, 0);
    size_t *idx = xcalloc(nsel ? nsel : 1, sizeof *idx);
    if (nsel > 0) {
        for (size_t i = 0, k = 0; i < tv->nrows; i++) {
            if (tableview_is_marked(tv, tv->rows[i].rs, tv->rows[i].row)) {
                idx[k++] = i;
            }
        }
    } else if (tv->nrows > 0) {
        idx[0] = tv->sel;
        nsel = 1;
    }
    size_t n = 0;
    *out = NULL;
    for (size_t i = 0; i < nsel; i++) {
        size_t m = tableview_members(tv, idx[i], NULL, 0);
        *out = xreallocarray(*out, n + m, sizeof **out);
        n += tableview_members(tv, idx[i], *out + n, m);
    }
    free(idx);
    return n;
}

static bool try_action_key(struct ui *ui, int key)
{
    struct pane_state *p = focused(ui);
    struct rowref *refs = NULL;
    size_t n = action_rows(ui, &refs);
    bool known = false;
    for (size_t i = 0; i < n && !known; i++) {
        struct backend *b = find_backend(ui, refs[i].rs->source);
        known = b != NULL && backend_action(b, p->impl->kind, key) != NULL;
    }
    bool handled = false;
    if (known && n == 1) {
        handled = ask_single(ui, refs[0].rs, refs[0].row, key);
    } else if (known) {
        handled = ask_bulk(ui, refs, n, key);
    }
    free(refs);
    return handled;
}

/* ---- views: detail and help ---- */

static void open_detail(struct ui *ui)
{
    struct pane_state *p = focused(ui);
    const struct rowset *rs;
    size_t row;
    if (!tableview_selected(&p->tv, &rs, &row)) {
        return;
    }
    const struct model_schema *s = model_schema(p->impl->kind);
    char title[200];
    snprintf(title, sizeof title, "%s %s (%s)", s->title, rowset_key(rs, row), rs->source);
    viewer_open(&ui->viewer, title);
    for (int c = 0; c < s->ncols; c++) {
        char text[512];
        table_cell_text(&p->tv, rs, row, c, ui->last_second, text, sizeof text);
        viewer_add(&ui->viewer, "%-12s %s", s->cols[c].title, text);
    }
    size_t members = tableview_members(&p->tv, p->tv.sel, NULL, 0);
    if (members > 1) {
        struct rowref *m = xcalloc(members, sizeof *m);
        tableview_members(&p->tv, p->tv.sel, m, members);
        viewer_add(&ui->viewer, "%s", "");
        viewer_add(&ui->viewer, "Group of %zu (an action here acts on all of them):", members);
        for (size_t i = 0; i < members; i++) {
            viewer_add(&ui->viewer, "  %s (%s)", rowset_key(m[i].rs, m[i].row), m[i].rs->source);
        }
        free(m);
    }
    const char *d = rowset_str(rs, rs->rows[row].detail);
    if (*d != '\0') {
        viewer_add(&ui->viewer, "%s", "");
    }
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        const char *tab = memchr(d, '\t', nl ? (size_t)(nl - d) : strlen(d));
        size_t n = nl ? (size_t)(nl - d) : strlen(d);
        if (tab != NULL) {
            viewer_add(&ui->viewer, "%-20.*s %.*s", (int)(tab - d), d,
                       (int)(n - (size_t)(tab - d) - 1), tab + 1);
        } else {
            viewer_add(&ui->viewer, "%.*s", (int)n, d);
        }
        d = nl ? nl + 1 : d + n;
    }
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}

static void help_actions(struct ui *ui, enum model_kind kind)
{
    bool any = false;
    for (size_t i = 0; i < ui->nbackends; i++) {
        struct backend *b = ui->backends[i];
        int nactions;
        const struct action_def *defs = backend_actions(b, &nactions);
        for (int a = 0; a < nactions; a++) {
            const struct action_def *def = &defs[a];
            if (def->kind != kind) {
                continue;
            }
            char *cause = NULL;
            bool ok = action_check(b, def, &cause);
            char key[8];
            snprintf(key, sizeof key, "%c", def->key);
            if (ok) {
                viewer_add(&ui->viewer, "  %-12s %s (%s)", key, def->label, b->name);
            } else {
                viewer_add(&ui->viewer, "  %-12s %s (%s): disabled, %s", key, def->label, b->name,
                           cause);
            }
            free(cause);
            any = true;
        }
    }
    if (!any) {
        viewer_add(&ui->viewer, "  (no actions for this pane's backends)");
    }
}

static void open_rb_help(struct ui *ui)
{
    viewer_open(&ui->viewer, side_is_drill(ui) ? "Help: Drill pane" : "Help: Runbook pane");
    ui->rb.ops->help(ui->rb.self, &ui->viewer);
    viewer_add(&ui->viewer, "Moving around");
    viewer_add(&ui->viewer, "  %-12s %s", "Tab S-Tab", "next / previous pane");
    viewer_add(&ui->viewer, "  %-12s %s", "1 2 3 4 5",
               side_is_drill(ui) ? "Alerts, Queues, Pools, Deployments, Drill"
                                 : "Alerts, Queues, Pools, Deployments, Runbook");
    viewer_add(&ui->viewer, "  %-12s %s", ":q",
               side_is_drill(ui) ? "quit (also q); chaos rolls back, the drill stays resumable"
                                 : "quit (also q); the run stays resumable");
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}

static void open_help(struct ui *ui)
{
    if (ui->rb.focus) {
        open_rb_help(ui);
        return;
    }
    struct pane_state *p = focused(ui);
    char title[96];
    snprintf(title, sizeof title, "Help: %s pane", model_schema(p->impl->kind)->title);
    viewer_open(&ui->viewer, title);
    viewer_add(&ui->viewer,
               "Actions on the selected row, or on every marked row (each asks first;");
    viewer_add(&ui->viewer, "Cancel is the default; a bulk action shows every target and wants");
    viewer_add(&ui->viewer, "its verb and count typed, e.g. 'drain 3')");
    help_actions(ui, p->impl->kind);
    viewer_add(&ui->viewer, "%s", "");
    viewer_add(&ui->viewer, "Moving around");
    viewer_add(&ui->viewer, "  %-12s %s", "Tab S-Tab", "next / previous pane");
    viewer_add(&ui->viewer, "  %-12s %s", "1 2 3 4", "Alerts, Queues, Pools, Deployments");
    if (ui->rb.self != NULL) {
        viewer_add(&ui->viewer, "  %-12s %s", "5",
                   side_is_drill(ui) ? "the drill pane" : "the runbook pane");
    }
    if (kind_slot(p->impl->kind) == 0) {
        viewer_add(&ui->viewer, "  %-12s %s", "v", "switch between Alerts and Silences");
    }
    if (p->impl->kind == MODEL_ALERTS) {
        viewer_add(&ui->viewer, "  %-12s %s", "r", "open the selected alert's runbook");
    }
    viewer_add(&ui->viewer, "  %-12s %s", "j k  Up Down", "select row");
    viewer_add(&ui->viewer, "  %-12s %s", "PgUp PgDn", "page");
    viewer_add(&ui->viewer, "  %-12s %s", "g G", "first / last row");
    viewer_add(&ui->viewer, "  %-12s %s", "Enter", "details of the selected row");
    if (ui->layout == LAYOUT_GRID) {
        viewer_add(&ui->viewer, "  %-12s %s", "z", "zoom this pane full-screen (again: back)");
    }
    viewer_add(&ui->viewer, "%s", "");
    viewer_add(&ui->viewer, "This table");
    viewer_add(&ui->viewer, "  %-12s %s", "/", "filter rows (substring; !text inverts)");
    viewer_add(&ui->viewer, "  %-12s %s", "Esc", "clear the filter");
    viewer_add(&ui->viewer, "  %-12s %s", "space",
               "mark the row for a bulk action (u: unmark all)");
    viewer_add(&ui->viewer, "  %-12s group rows by %s (toggle); an action on a group acts on all",
               "=", model_schema(p->impl->kind)->cols[p->impl->group_col].title);
    viewer_add(&ui->viewer, "  %-12s %s", "s", "sort by the next column");
    viewer_add(&ui->viewer, "  %-12s %s", "S", "reverse the sort");
    viewer_add(&ui->viewer, "%s", "");
    viewer_add(&ui->viewer, "Commands");
    viewer_add(&ui->viewer, "  %-12s %s", ":theme NAME", "switch theme (:themes lists them)");
    viewer_add(&ui->viewer, "  %-12s %s", ":sort COL", "sort by a column title");
    viewer_add(&ui->viewer, "  %-12s %s", ":run FILE",
               "open a runbook (r on an alert: its runbook)");
    viewer_add(&ui->viewer, "  %-12s %s", ":drill FILE",
               "open a drill (game day) in the drill pane");
    viewer_add(&ui->viewer, "  %-12s %s", ":resume ID", "resume a run (R: the newest unfinished)");
    viewer_add(&ui->viewer, "  %-12s %s", ":help", "this help");
    viewer_add(&ui->viewer, "  %-12s %s", ":q", "quit (also q)");
    viewer_add(&ui->viewer, "  %-12s %s", "?", "this help");
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}

/* ---- commands ---- */

static void apply_theme(struct ui *ui, const char *name)
{
    struct theme t;
    char *cause = NULL;
    if (!theme_load(&t, name, ui->opts.theme_dirs, &cause)) {
        set_message(ui, true, "%s", cause);
        free(cause);
        return;
    }
    ui->theme = t;
    theme_apply(&ui->theme, ui->tier);
    clearok(curscr, TRUE);
    mark_panes_dirty(ui);
    set_message(ui, false, "theme %s", name);
}

static void list_themes(struct ui *ui)
{
    char **names = theme_list(ui->opts.theme_dirs);
    char buf[256] = "";
    for (size_t i = 0; names[i] != NULL; i++) {
        strncat(buf, i ? ", " : "themes: ", sizeof buf - strlen(buf) - 1);
        strncat(buf, names[i], sizeof buf - strlen(buf) - 1);
    }
    theme_list_free(names);
    set_message(ui, false, "%s", buf);
}

static bool run_pane_command(struct ui *ui, const char *cmd, const char *arg);
static void open_alert_runbook(struct ui *ui);
static void resume_newest(struct ui *ui);
static void focus_rb(struct ui *ui);

static void run_command(struct ui *ui, char *cmd)
{
    str_trim(cmd);
    char *arg = strchr(cmd, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        str_trim(arg);
    }
    struct pane_state *p = focused(ui);
    if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0 || strcmp(cmd, "q!") == 0) {
        loop_quit(ui->loop);
    } else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "h") == 0) {
        open_help(ui);
    } else if (strcmp(cmd, "theme") == 0 && arg != NULL && *arg != '\0') {
        apply_theme(ui, arg);
    } else if (strcmp(cmd, "themes") == 0 || strcmp(cmd, "theme") == 0) {
        list_themes(ui);
    } else if (strcmp(cmd, "sort") == 0 && arg != NULL) {
        int col = model_column_by_title(p->impl->kind, arg);
        if (col < 0) {
            set_message(ui, true, "no column '%s' in %s", arg, p->impl->name);
        } else {
            tableview_set_sort(&p->tv, ui->store, col, p->tv.sort_col == col && !p->tv.sort_desc);
            p->dirty = true;
        }
    } else if (run_pane_command(ui, cmd, arg)) {
        /* :run :resume :abort :close */
    } else if (strcmp(cmd, "filter") == 0) {
        tableview_set_filter(&p->tv, ui->store, arg ? arg : "");
        p->dirty = true;
    } else if (cmd[0] != '\0') {
        set_message(ui, true, "unknown command ':%s' (:help lists them)", cmd);
    }
}

/* ---- keys ---- */

static void focus_pane(struct ui *ui, int k)
{
    if (k == ui->focus && !ui->rb.focus) {
        return;
    }
    if (ui->rb.focus && ui->layout == LAYOUT_GRID && !ui->zoom) {
        ui->rb.dirty = true; /* its border loses the focus colour */
    }
    ui->rb.focus = false;
    ui->focus = k;
    if (ui->layout != LAYOUT_GRID || ui->zoom) {
        ui->need_layout = true; /* a different pane fills the screen */
    }
    mark_panes_dirty(ui);
}

static void focus_rb(struct ui *ui)
{
    if (ui->rb.self == NULL || ui->rb.focus) {
        return;
    }
    ui->rb.focus = true;
    if (ui->layout != LAYOUT_GRID || ui->zoom) {
        ui->need_layout = true;
    }
    mark_panes_dirty(ui);
}

static int page_rows(struct ui *ui)
{
    struct pane_state *p = focused(ui);
    int h = p->win ? getmaxy(p->win) - 3 : 10;
    return h > 1 ? h : 1;
}

static void cycle_sort(struct ui *ui)
{
    struct pane_state *p = focused(ui);
    int n = model_schema(p->impl->kind)->ncols;
    int next = p->tv.sort_col + 1;
    if (next >= n) {
        next = -1;
    }
    tableview_set_sort(&p->tv, ui->store, next, p->tv.sort_desc);
    p->dirty = true;
}

static bool key_navigation(struct ui *ui, wint_t ch, bool is_key)
{
    struct pane_state *p = focused(ui);
    if ((is_key && ch == KEY_BTAB) || (!is_key && ch == '\t')) {
        /* the runbook, when open, is the fifth slot */
        int slots = ui->rb.self != NULL ? SLOTS + 1 : SLOTS;
        int step = is_key ? slots - 1 : 1;
        int next = ((ui->rb.focus ? SLOTS : kind_slot(ui->focus)) + step) % slots;
        if (next == SLOTS) {
            focus_rb(ui);
        } else {
            focus_pane(ui, slot_kind(ui, next));
        }
        return true;
    }
    if (!is_key && ch >= '1' && ch <= '4') {
        focus_pane(ui, slot_kind(ui, (int)(ch - '1')));
        return true;
    }
    if (!is_key && ch == '5' && ui->rb.self != NULL) {
        focus_rb(ui);
        return true;
    }
    if (ui->rb.focus) {
        return false; /* the table under the runbook does not move */
    }
    long delta = 0;
    if (!widgets_move_key(ch, is_key, page_rows(ui), (long)p->tv.nrows, &delta)) {
        return false;
    }
    tableview_move(&p->tv, delta);
    p->dirty = true;
    return true;
}

static void start_line(struct ui *ui, enum mode mode, const char *text)
{
    ui->mode = mode;
    lineedit_set(&ui->line, text);
    ui->chrome_dirty = true;
}

static bool pane_has_key(struct ui *ui, int key)
{
    for (size_t i = 0; i < ui->nbackends; i++) {
        if (backend_action(ui->backends[i], focused(ui)->impl->kind, key) != NULL) {
            return true;
        }
    }
    return false;
}

/* The focused runbook pane sees keys first; table keys do not reach the table under it. */
static bool key_rb(struct ui *ui, wint_t ch, bool is_key)
{
    if (ui->rb_closing) {
        /* the pane is closing: its keys wait, the console's (q, :, ?, Tab, 1-5) do not */
        if (!is_key && ch < 128 && ch != 0 && strchr("q?:z\t12345R", (int)ch) != NULL) {
            return false;
        }
        struct game *g = drill_pane_game(ui->rb.self);
        set_message(ui, false, "closing drill %s: %s", game_run_id(g),
                    game_message(g) != NULL ? game_message(g) : "rolling back");
        return true;
    }
    if (ui->rb.ops->key(ui->rb.self, ch, is_key)) {
        return true;
    }
    if (is_key) {
        return ch != KEY_BTAB && ch != KEY_RESIZE;
    }
    return ch == 0 || ch >= 128 || (strchr("q?:z\t12345R", (int)ch) == NULL && ch != 12);
}

static void key_normal(struct ui *ui, wint_t ch, bool is_key)
{
    struct pane_state *p = focused(ui);
    if (ui->rb.focus && key_rb(ui, ch, is_key)) {
        return;
    }
    if (key_navigation(ui, ch, is_key)) {
        return;
    }
    if (is_key) {
        if (ch == KEY_ENTER) {
            open_detail(ui);
        }
        return;
    }
    switch (ch) {
    case 'q':
        loop_quit(ui->loop);
        return;
    case '?':
        open_help(ui);
        return;
    case ':':
        start_line(ui, MODE_COMMAND, "");
        return;
    case '/':
        snprintf(ui->filter_before, sizeof ui->filter_before, "%s", p->tv.filter);
        start_line(ui, MODE_FILTER, p->tv.filter);
        return;
    case '\r':
    case '\n':
        open_detail(ui);
        return;
    case 'z':
        ui->zoom = !ui->zoom;
        ui->need_layout = true;
        return;
    case 'r':
        if (ui->focus == MODEL_ALERTS && !ui->rb.focus) {
            open_alert_runbook(ui);
            return;
        }
        break;
    case 'R':
        /* an action on R (restart a deployment) keeps its key */
        if (ui->rb.focus || !pane_has_key(ui, 'R')) {
            resume_newest(ui);
            return;
        }
        break;
    case 'v':
        if (kind_slot(ui->focus) == 0) {
            ui->show_silences = !ui->show_silences;
            ui->focus = slot_kind(ui, 0);
            ui->need_layout = true;
            return;
        }
        break;
    case '=':
        tableview_set_group(&p->tv, ui->store, p->tv.group_col >= 0 ? -1 : p->impl->group_col);
        p->dirty = true;
        return;
    case ' ':
        tableview_toggle_mark(&p->tv);
        tableview_move(&p->tv, 1);
        p->dirty = true;
        return;
    case 'u':
        if (p->tv.nmarks > 0) {
            tableview_clear_marks(&p->tv);
            p->dirty = true;
            return;
        }
        break;
    case 's':
        cycle_sort(ui);
        return;
    case 'S':
        tableview_set_sort(&p->tv, ui->store, p->tv.sort_col, !p->tv.sort_desc);
        p->dirty = true;
        return;
    case 27:
        if (p->tv.filter[0] != '\0') {
            tableview_set_filter(&p->tv, ui->store, "");
            p->dirty = true;
        }
        return;
    case 12: /* Ctrl-L */
        clearok(curscr, TRUE);
        mark_panes_dirty(ui);
        return;
    default:
        break;
    }
    if (ch < 128 && try_action_key(ui, (int)ch)) {
        return;
    }
}

/* The runbook pane's question in the status line: Enter answers, Esc drops it. */
static void key_prompt(struct ui *ui, wint_t ch, bool is_key)
{
    bool enter = (!is_key && (ch == '\r' || ch == '\n')) || (is_key && ch == KEY_ENTER);
    if (!is_key && ch == 27) {
        ui->mode = MODE_NORMAL;
        set_message(ui, false, "cancelled");
    } else if (enter) {
        ui->mode = MODE_NORMAL;
        char answer[sizeof ui->line.buf];
        snprintf(answer, sizeof answer, "%s", ui->line.buf);
        lineedit_set(&ui->line, ""); /* a secret does not linger */
        if (ui->rb.self != NULL && ui->prompt_cb != NULL) {
            ui->prompt_cb(ui->rb.self, answer);
        }
        explicit_bzero(answer, sizeof answer);
    } else {
        lineedit_key(&ui->line, ch, is_key);
    }
    ui->chrome_dirty = true;
}

static void key_line(struct ui *ui, wint_t ch, bool is_key)
{
    struct pane_state *p = focused(ui);
    bool enter = (!is_key && (ch == '\r' || ch == '\n')) || (is_key && ch == KEY_ENTER);
    if (ui->mode == MODE_PROMPT) {
        key_prompt(ui, ch, is_key);
        return;
    }
    if (!is_key && ch == 27) {
        if (ui->mode == MODE_FILTER) {
            tableview_set_filter(&p->tv, ui->store, ui->filter_before);
            p->dirty = true;
        }
        ui->mode = MODE_NORMAL;
    } else if (enter) {
        enum mode m = ui->mode;
        ui->mode = MODE_NORMAL;
        if (m == MODE_COMMAND) {
            char cmd[256];
            snprintf(cmd, sizeof cmd, "%s", ui->line.buf);
            run_command(ui, cmd);
        }
    } else if (lineedit_key(&ui->line, ch, is_key) && ui->mode == MODE_FILTER) {
        tableview_set_filter(&p->tv, ui->store, ui->line.buf); /* filter as you type */
        p->dirty = true;
    } else if (is_key && ch == KEY_BACKSPACE && ui->line.len == 0) {
        ui->mode = MODE_NORMAL;
    }
    ui->chrome_dirty = true;
}

static void key_modal(struct ui *ui, wint_t ch, bool is_key)
{
    if (ui->mode == MODE_CONFIRM && ui->pane_confirm != NULL) {
        enum dialog_result r = dialog_key(&ui->dialog, ch, is_key);
        if (r != DIALOG_OPEN) {
            pane_confirm_cb cb = ui->pane_confirm;
            ui->pane_confirm = NULL;
            ui->mode = MODE_NORMAL;
            dialog_close(&ui->dialog);
            if (ui->rb.self != NULL) {
                cb(ui->rb.self, r == DIALOG_CONFIRM);
            }
        }
    } else if (ui->mode == MODE_CONFIRM) {
        enum dialog_result r = dialog_key(&ui->dialog, ch, is_key);
        if (r == DIALOG_CONFIRM) {
            ui->mode = MODE_NORMAL;
            confirm_action(ui); /* may open the next step of a bulk action */
        } else if (r == DIALOG_CANCEL) {
            ui->mode = MODE_NORMAL;
            if (ui->pending.n == 1) {
                set_message(ui, false, "cancelled: %s %s", ui->pending.def->label,
                            ui->pending.target[0]);
            } else {
                set_message(ui, false, "cancelled: %s on %zu targets", ui->pending.def->label,
                            ui->pending.n);
            }
        }
        if (ui->mode == MODE_NORMAL) {
            dialog_close(&ui->dialog);
            pending_clear(ui);
        }
    } else if (ui->mode == MODE_VIEW) {
        int page = LINES - 6;
        if (!viewer_key(&ui->viewer, ch, is_key, page > 1 ? page : 1)) {
            viewer_close(&ui->viewer);
            ui->mode = MODE_NORMAL;
        }
    }
    ui->overlay_dirty = true;
}

static void handle_key(struct ui *ui, wint_t ch, bool is_key)
{
    if (ui->layout == LAYOUT_TOO_SMALL) {
        if (!is_key && (ch == 'q' || ch == 3)) {
            loop_quit(ui->loop);
        }
        return;
    }
    switch (ui->mode) {
    case MODE_NORMAL:
        key_normal(ui, ch, is_key);
        break;
    case MODE_FILTER:
    case MODE_COMMAND:
    case MODE_PROMPT:
        key_line(ui, ch, is_key);
        break;
    case MODE_CONFIRM:
    case MODE_VIEW:
        key_modal(ui, ch, is_key);
        break;
    }
}

/* ---- the runbook pane: opening, closing, and what the console lends it ---- */

static void host_message(void *host, bool error, const char *text)
{
    set_message(host, error, "%s", text);
}

static bool host_prompt(void *host, const char *label, const char *initial, bool secret,
                        pane_answer_cb cb)
{
    struct ui *ui = host;
    if (ui->mode != MODE_NORMAL) {
        return false;
    }
    snprintf(ui->prompt_label, sizeof ui->prompt_label, "%s", label);
    ui->prompt_secret = secret;
    ui->prompt_cb = cb;
    start_line(ui, MODE_PROMPT, initial);
    return true;
}

static bool host_confirm(void *host, const char *title, const char *body, const char *confirm,
                         const char *must_type, pane_confirm_cb cb)
{
    struct ui *ui = host;
    if (ui->mode != MODE_NORMAL) {
        return false; /* asked again later: the operator is answering something else */
    }
    dialog_open(&ui->dialog, title, body, confirm, NULL, NULL, must_type);
    ui->pane_confirm = cb;
    ui->mode = MODE_CONFIRM;
    ui->overlay_dirty = true;
    return true;
}

/* The dialog of the action keys (open_pending_dialog), for an action step of a run. */
static bool host_confirm_action(void *host, const char *backend, const char *pane, const char *verb,
                                const char *target, const char *input, pane_confirm_cb cb)
{
    struct ui *ui = host;
    int kind = -1;
    for (int k = 0; k < MODEL_KINDS && pane != NULL; k++) {
        if (strcmp(live_panes[k]->name, pane) == 0) {
            kind = k;
        }
    }
    struct backend *b = NULL;
    const struct action_def *def = NULL;
    for (size_t i = 0; i < ui->nbackends && kind >= 0 && verb != NULL && def == NULL; i++) {
        if (backend == NULL || strcmp(ui->backends[i]->name, backend) == 0) {
            b = ui->backends[i];
            def = backend_action_by_verb(b, (enum model_kind)kind, verb);
        }
    }
    if (def == NULL) {
        set_message(ui, true, "no backend offers '%s' on %s", verb ? verb : "?", pane ? pane : "?");
        return false;
    }
    char *cause = NULL;
    if (!action_check(b, def, &cause)) {
        set_message(ui, true, "%s %s: %s", def->label, target, cause);
        free(cause);
        return false;
    }
    char *body = xasprintf("%s %s%s%s\non backend '%s' (%s)%s%s\nRunbook step: recorded in the run "
                           "and the audit log.",
                           def->label, target, input ? " with " : "", input ? input : "", b->name,
                           b->impl->type,
                           (def->flags & ACTION_DISRUPTIVE) ? "\nThis changes live traffic." : "",
                           (def->flags & ACTION_TYPED) ? "\nThis cannot be undone." : "");
    char *confirm = capitalised(def->verb);
    bool ok = host_confirm(ui, def->label, body, confirm,
                           (def->flags & ACTION_TYPED) ? target : NULL, cb);
    free(confirm);
    free(body);
    return ok;
}

/* OSC 52: the terminal (or tmux with set-clipboard) puts the text on the clipboard. */
static void host_clipboard(void *host, const char *text)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (void)host;
    struct strbuf sb = {0};
    strbuf_str(&sb, "\033]52;c;");
    const unsigned char *in = (const unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        strbuf_add(&sb, q, 4);
    }
    strbuf_str(&sb, "\a");
    /* straight to the terminal: curses has no call for it, and a frame is not in progress */
    for (size_t off = 0; off < sb.n;) {
        ssize_t w = write(STDOUT_FILENO, sb.s + off, sb.n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
    free(sb.s);
}

/* A long text (a drill's report) in the viewer, one viewer line per line. */
static bool host_view(void *host, const char *title, const char *text)
{
    struct ui *ui = host;
    if (ui->mode != MODE_NORMAL) {
        return false;
    }
    viewer_open(&ui->viewer, title);
    for (const char *s = text; *s != '\0';) {
        size_t n = strcspn(s, "\n");
        viewer_add(&ui->viewer, "%.*s", (int)n, s);
        s += n;
        s += *s == '\n';
    }
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
    return true;
}

static const struct pane_host_ops rb_host_ops = {
    .message = host_message,
    .prompt = host_prompt,
    .confirm = host_confirm,
    .confirm_action = host_confirm_action,
    .clipboard = host_clipboard,
    .view = host_view,
};

static void rb_env(struct ui *ui, struct run_env *env)
{
    memset(env, 0, sizeof *env);
    env->loop = ui->loop;
    env->store = ui->store;
    env->backends = ui->backends;
    env->nbackends = ui->nbackends;
}

static bool rb_already_open(struct ui *ui)
{
    if (ui->rb.self == NULL) {
        return false;
    }
    set_message(ui, true, "%s %s is open: :close it first", side_is_drill(ui) ? "drill" : "run",
                side_id(ui));
    return true;
}

static void rb_opened(struct ui *ui, void *self, const char *how)
{
    ui->rb.ops = &runbook_pane;
    ui->rb.self = self;
    ui->resume_offer_drill = false;
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    focus_rb(ui);
    ui->need_layout = true; /* the grid makes room */
    set_message(ui, false, "run %s %s", run_id(runbook_pane_run(self)), how);
}

static void open_run_file(struct ui *ui, const char *file, const struct vars *vars)
{
    if (rb_already_open(ui)) {
        return;
    }
    struct run_env env;
    rb_env(ui, &env);
    char *cause = NULL;
    void *self = runbook_pane_start(&env, file, vars, &ui->rb_host, &cause);
    if (self == NULL) {
        set_message(ui, true, "%s", cause ? cause : "the run did not start");
        free(cause);
        return;
    }
    rb_opened(ui, self, "started");
}

/* ---- the drill pane: the same side slot ---- */

static void drill_env(struct ui *ui, struct game_env *env)
{
    memset(env, 0, sizeof *env);
    env->loop = ui->loop;
    env->store = ui->store;
    env->backends = ui->backends;
    env->nbackends = ui->nbackends;
}

static void drill_opened(struct ui *ui, void *self, const char *how)
{
    ui->rb.ops = &drill_pane;
    ui->rb.self = self;
    ui->resume_offer_drill = false;
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    focus_rb(ui);
    ui->need_layout = true;
    set_message(ui, false, "drill %s %s", game_run_id(drill_pane_game(self)), how);
}

static void open_drill_file(struct ui *ui, const char *file)
{
    if (rb_already_open(ui)) {
        return;
    }
    struct game_env env;
    drill_env(ui, &env);
    char *cause = NULL;
    void *self = drill_pane_start(&env, file, &ui->rb_host, &cause);
    if (self == NULL) {
        set_message(ui, true, "%s", cause ? cause : "the drill did not start");
        free(cause);
        return;
    }
    drill_opened(ui, self, "opened: before checks");
}

static void open_drill_resume(struct ui *ui, const char *id)
{
    if (rb_already_open(ui)) {
        return;
    }
    struct game_env env;
    drill_env(ui, &env);
    char *cause = NULL;
    void *self = drill_pane_resume(&env, id, &ui->rb_host, &cause);
    if (self == NULL) {
        set_message(ui, true, "resume %s: %s", id, cause ? cause : "failed");
        free(cause);
        return;
    }
    drill_opened(ui, self, "resumed");
}

/* Is run ID a drill (its run.start says kind drill)? */
static bool run_is_drill(const char *id)
{
    size_t n = 0;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &n, &cause);
    free(cause);
    bool drill = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].id, id) == 0) {
            drill = list[i].drill;
        }
    }
    run_info_free(list, n);
    return drill;
}

static void open_run_resume(struct ui *ui, const char *id)
{
    if (rb_already_open(ui)) {
        return;
    }
    if (run_is_drill(id)) {
        open_drill_resume(ui, id);
        return;
    }
    struct run_env env;
    rb_env(ui, &env);
    char *cause = NULL;
    void *self = runbook_pane_resume(&env, id, &ui->rb_host, &cause);
    if (self == NULL) {
        set_message(ui, true, "resume %s: %s", id, cause ? cause : "failed");
        free(cause);
        return;
    }
    rb_opened(ui, self, "resumed");
}

/* Unfinished runs on disk: say so, and remember the newest for R. */
static size_t offer_unfinished(struct ui *ui)
{
    size_t n = 0, open = 0;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &n, &cause);
    free(cause);
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!list[i].ended) {
            if (ui->resume_offer == NULL) {
                ui->resume_offer = xstrdup(list[i].id); /* newest first */
                ui->resume_offer_drill = list[i].drill;
            }
            open++;
        }
    }
    if (open > 0) {
        set_message(ui, false, "%zu unfinished run%s: press R to resume %s%s", open,
                    open == 1 ? "" : "s", ui->resume_offer_drill ? "the drill " : "",
                    ui->resume_offer);
    }
    run_info_free(list, n);
    return open;
}

static void resume_newest(struct ui *ui)
{
    if (ui->rb.self != NULL) {
        focus_rb(ui);
        return;
    }
    if (ui->resume_offer == NULL && offer_unfinished(ui) == 0) {
        set_message(ui, false, "no unfinished run to resume");
        return;
    }
    char *id = xstrdup(ui->resume_offer);
    if (ui->resume_offer_drill) {
        open_drill_resume(ui, id);
    } else {
        open_run_resume(ui, id);
    }
    free(id);
}

enum { PENDING_EVERY_MS = 30000 };

/* Read the journals again: rollbacks NOT RESTORED (failed, or a crashed drill's) for the status
 * line. */
static void refresh_pending(struct ui *ui)
{
    size_t n = 0, shown = 0;
    struct drill_pending *list = drill_pending_list(NULL, &n);
    const struct drill_pending *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (list[i].failed || !list[i].live) {
            first = first != NULL ? first : &list[i];
            shown++;
        }
    }
    char text[sizeof ui->pending_text] = "";
    if (first != NULL) {
        snprintf(text, sizeof text, "%zu rollback%s of drill %s%s%s", shown, shown == 1 ? "" : "s",
                 first->run, shown == 1 ? ": " : "", shown == 1 ? first->rollback : "");
    }
    if (shown != ui->npending || strcmp(text, ui->pending_text) != 0) {
        ui->chrome_dirty = true;
    }
    ui->npending = shown;
    snprintf(ui->pending_text, sizeof ui->pending_text, "%s", text);
    ui->pending_checked = clock_mono_ms();
    drill_pending_free(list, n);
}

static void close_now(struct ui *ui);

/* The drill pane's rollbacks are done (or took too long): close it for good. */
static void finish_close(struct ui *ui)
{
    ui->rb_closing = false;
    close_now(ui);
    refresh_pending(ui);
    if (ui->quit_after_close) {
        loop_quit(ui->loop);
    }
}

/* Every frame: how a drill's closing goes, and whether its end changed what is pending. */
static void watch_drill(struct ui *ui)
{
    if (side_is_drill(ui)) {
        struct game *g = drill_pane_game(ui->rb.self);
        enum game_state st = game_state(g);
        if (st != ui->drill_seen) {
            ui->drill_seen = st;
            if (st == GAME_ENDED || st == GAME_ABORTED) {
                refresh_pending(ui); /* a failed rollback is NOT RESTORED from now on */
            }
        }
        if (ui->rb_closing && !game_closed(g)) {
            /* the status line follows the rollbacks too (the pane may be hidden) */
            char now[sizeof ui->message];
            snprintf(now, sizeof now, "closing drill %s: %s", game_run_id(g),
                     game_message(g) != NULL ? game_message(g) : "rolling back");
            if (strcmp(now, ui->message) != 0) {
                set_message(ui, false, "%s", now);
            }
        }
        if (ui->rb_closing) {
            if (game_closed(g)) {
                finish_close(ui);
            } else if (clock_mono_ms() >= ui->rb_close_until) {
                set_message(ui, true,
                            "rollbacks still running after %d s: left pending for the "
                            "next start",
                            GAME_CLOSE_LIMIT_MS / 1000);
                finish_close(ui);
            }
        }
    }
    if (clock_mono_ms() - ui->pending_checked >= PENDING_EVERY_MS) {
        refresh_pending(ui);
    }
}

/*
 * A drill with chaos to undo closes in two steps: game_close() starts the
 * rollbacks and the pane stays, showing them; watch_drill() closes the slot
 * once they are done. true when it has to wait.
 */
static bool drill_close_starts(struct ui *ui)
{
    struct game *g = drill_pane_game(ui->rb.self);
    if (ui->rb_closing) {
        set_message(ui, false, "closing drill %s: %s", game_run_id(g),
                    game_message(g) != NULL ? game_message(g) : "rolling back");
        return true;
    }
    game_close(g);
    if (game_closed(g)) {
        return false;
    }
    ui->rb_closing = true;
    ui->rb_close_until = clock_mono_ms() + GAME_CLOSE_LIMIT_MS;
    ui->rb.dirty = true;
    set_message(ui, false, "closing drill %s: rolling back every chaos action first",
                game_run_id(g));
    return true;
}

static void close_rb(struct ui *ui)
{
    if (ui->rb.self == NULL) {
        set_message(ui, true, "no run is open");
        return;
    }
    if (side_is_drill(ui) && drill_close_starts(ui)) {
        return; /* watch_drill() closes it when the rollbacks are done */
    }
    close_now(ui);
}

/* Free the side pane now: the run (or drill, rolled back) stays resumable unless it ended. */
static void close_now(struct ui *ui)
{
    bool drill = side_is_drill(ui);
    char *id = xstrdup(side_id(ui));
    bool ended;
    if (drill) {
        enum game_state st = game_state(drill_pane_game(ui->rb.self));
        ended = st == GAME_ENDED || st == GAME_ABORTED;
    } else {
        struct run *r = runbook_pane_run(ui->rb.self);
        ended = run_state(r) == RUN_DONE || run_state(r) == RUN_ABORTED;
    }
    /* run_destroy, or game_destroy once the rollbacks are done: both stay resumable */
    void *self = ui->rb.self;
    ui->rb.self = NULL;
    ui->rb.focus = false;
    ui->rb_closing = false;
    ui->drill_seen = GAME_CHECKING;
    ui->rb.ops->free(self);
    ui->need_layout = true;
    if (ended) {
        set_message(ui, false, "%s %s closed", drill ? "drill" : "run", id);
        free(id);
    } else {
        set_message(ui, false, "%s %s closed, still open: R resumes it", drill ? "drill" : "run",
                    id);
        free(ui->resume_offer);
        ui->resume_offer = id;
        ui->resume_offer_drill = drill;
    }
}

static void on_abort_confirmed(void *self, bool yes)
{
    if (yes) {
        runbook_pane_abort(self);
    }
}

static void on_drill_abort_confirmed(void *self, bool yes)
{
    if (yes) {
        drill_pane_abort(self);
    }
}

static bool run_pane_command(struct ui *ui, const char *cmd, const char *arg)
{
    if (strcmp(cmd, "run") == 0) {
        if (arg == NULL || *arg == '\0') {
            set_message(ui, true, "usage: :run FILE");
        } else {
            open_run_file(ui, arg, NULL);
        }
    } else if (strcmp(cmd, "drill") == 0) {
        if (arg == NULL || *arg == '\0') {
            set_message(ui, true, "usage: :drill FILE");
        } else {
            open_drill_file(ui, arg);
        }
    } else if (strcmp(cmd, "resume") == 0) {
        if (arg == NULL || *arg == '\0') {
            resume_newest(ui);
        } else {
            open_run_resume(ui, arg);
        }
    } else if (strcmp(cmd, "close") == 0) {
        close_rb(ui);
    } else if (strcmp(cmd, "abort") == 0) {
        if (ui->rb.self == NULL) {
            set_message(ui, true, "no run is open");
            return true;
        }
        if (side_is_drill(ui)) {
            char *body =
                xasprintf("Abort drill %s? Every chaos action is rolled back.", side_id(ui));
            host_confirm(ui, "Abort the drill", body, "Abort", "abort", on_drill_abort_confirmed);
            free(body);
            return true;
        }
        char *body = xasprintf("End run %s for good? It will not be offered for resume.",
                               run_id(runbook_pane_run(ui->rb.self)));
        host_confirm(ui, "Abort the run", body, "Abort", "abort", on_abort_confirmed);
        free(body);
    } else {
        return false;
    }
    return true;
}

/* r on an alert: its runbook (engine/locate.h), its labels as the run's variables. */
static void open_alert_runbook(struct ui *ui)
{
    struct pane_state *p = &ui->panes[MODEL_ALERTS];
    const struct rowset *rs;
    size_t row;
    if (!tableview_selected(&p->tv, &rs, &row)) {
        set_message(ui, true, "no alert selected");
        return;
    }
    const char *name = rowset_cell_text(rs, row, ALERT_NAME);
    const char *detail = rowset_str(rs, rs->rows[row].detail);
    char *cause = NULL;
    char *path = locate_runbook(ui->opts.config, name, detail, &cause);
    if (path == NULL) {
        set_message(ui, true, "no runbook for %s: %s", name, cause ? cause : "not found");
        free(cause);
        return;
    }
    struct vars v = {0};
    locate_alert_vars(detail, name, &v);
    open_run_file(ui, path, &v);
    vars_clear(&v);
    free(path);
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

static void on_tty(int fd, short revents, void *ud)
{
    struct ui *ui = ud;
    if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
        hang_up(ui);
        return;
    }
    int pending = 0;
    if (ioctl(fd, FIONREAD, &pending) == 0 && pending == 0) {
        hang_up(ui); /* readable with nothing to read: end of file */
        return;
    }
    wint_t ch;
    int rc;
    while ((rc = wget_wch(stdscr, &ch)) != ERR) {
        handle_key(ui, ch, rc == KEY_CODE_YES);
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
        ui->exit_status = 129;
        loop_quit(ui->loop);
        break;
    case SIGTERM:
        ui->exit_status = 143;
        loop_quit(ui->loop);
        break;
    case SIGINT:
        /* Ctrl-C while a runbook command runs stops the command, not opsdeck */
        if (ui->rb.self != NULL && ui->rb.ops->interrupt(ui->rb.self)) {
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

struct ui *ui_create(struct loop *loop, struct store *store, struct backend **backends,
                     size_t nbackends, const struct ui_options *opts, char **cause)
{
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
    for (int k = 0; k < MODEL_KINDS; k++) {
        struct pane_state *p = &ui->panes[k];
        p->impl = live_panes[k];
        tableview_init(&p->tv, (enum model_kind)k);
        p->tv.sort_col = p->impl->sort_col;
        p->tv.sort_desc = p->impl->sort_desc;
        refresh_summary(p);
    }
    ui->need_layout = true;
    ui->started_ms = clock_mono_ms();
    loop_on_signal(loop, on_signal, ui);
    ui->tty_watch = loop_watch_fd(loop, STDIN_FILENO, POLLIN, on_tty, ui);
    screen_resize();
    ui->rb_host.ops = &rb_host_ops;
    ui->rb_host.host = ui;
    if (opts->run_file != NULL) {
        struct vars v = {0};
        for (size_t i = 0; opts->run_vars != NULL && opts->run_vars[i] != NULL; i++) {
            const char *eq = strchr(opts->run_vars[i], '=');
            if (eq != NULL) {
                char *name = xstrndup(opts->run_vars[i], (size_t)(eq - opts->run_vars[i]));
                vars_set(&v, name, eq + 1);
                free(name);
            }
        }
        open_run_file(ui, opts->run_file, &v);
        vars_clear(&v);
    } else if (opts->run_resume != NULL) {
        open_run_resume(ui, opts->run_resume);
    } else if (opts->drill_file != NULL) {
        open_drill_file(ui, opts->drill_file);
    } else if (opts->drill_resume != NULL) {
        open_drill_resume(ui, opts->drill_resume);
    } else {
        offer_unfinished(ui);
    }
    refresh_pending(ui);
    if (opts->start_message != NULL) {
        /* first: what recovery rolled back matters more than a resume offer */
        char *said = ui->message[0] != '\0' ? xstrdup(ui->message) : NULL;
        set_message(ui, false, "%s%s%s", opts->start_message, said ? "; " : "", said ? said : "");
        free(said);
    }
    return ui;
}

/*
 * Quitting (q, :q, SIGTERM, SIGHUP, a closed terminal) with a drill whose
 * chaos is active: the quit waits, the rollbacks run on the loop and the
 * screen draws them (not after a hang-up: nobody is there), then it quits.
 * true when the quit was put off.
 */
static bool quit_waits(struct ui *ui)
{
    if (ui->quit_after_close || !side_is_drill(ui)) {
        return ui->rb_closing;
    }
    ui->quit_after_close = true;
    if (!ui->rb_closing && !drill_close_starts(ui)) {
        return false;
    }
    set_message(ui, false, "quitting once drill %s is rolled back",
                game_run_id(drill_pane_game(ui->rb.self)));
    return true;
}

int ui_run(struct ui *ui)
{
    ui_frame(ui);
    for (;;) {
        loop_run_once(ui->loop, 1000);
        watch_drill(ui);
        if (loop_quitting(ui->loop) && quit_waits(ui)) {
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
    if (ui->mode == MODE_CONFIRM) {
        dialog_close(&ui->dialog);
    }
    if (ui->mode == MODE_VIEW) {
        viewer_close(&ui->viewer);
    }
    pending_clear(ui);
    if (ui->rb.self != NULL) {
        /* no key may reach the pane while a drill's rollbacks run the loop in free */
        loop_unwatch(ui->loop, ui->tty_watch);
        ui->tty_watch = NULL;
        ui->rb.ops->free(ui->rb.self); /* left open for resume, never aborted */
    }
    free(ui->resume_offer);
    if (ui->overlay != NULL) {
        delwin(ui->overlay);
    }
    drop_windows(ui);
    for (int k = 0; k < MODEL_KINDS; k++) {
        tableview_finish(&ui->panes[k].tv);
    }
    loop_unwatch(ui->loop, ui->tty_watch);
    screen_finish();
    free(ui);
}
