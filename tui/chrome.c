/*
 * The chrome around the panes (console.h): the title bar (the contexts shown
 * in their tone, DEMO, READ-ONLY and why, who and where, the UTC clock), the status bar (the line
 * being edited; else rollbacks NOT RESTORED first, then the last message or every backend's health,
 * and the help hint), the tab bar (one tab per slot and the side pane, with row counts) and the
 * "too small" notice.
 */
#include "console.h"

#include "../backends/cluster.h"
#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../panes/tablepane.h"
#include "ctx.h"
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void draw_titlebar(struct ui *ui)
{
    WINDOW *w = ui->titlebar;
    int W = getmaxx(w);
    unsigned st = theme_attr(THEME_STATUS);
    werase(w);
    screen_fill(w, 0, 0, W, st);
    int x = screen_put(w, 0, 0, W, " opsdeck ", st | A_BOLD, ui->g);
    char ctx[200];
    enum tone tone;
    if (ctx_title(ui, ctx, sizeof ctx, &tone)) {
        /* the context(s) shown, first: in their tone, and in words for a mono terminal */
        unsigned attr = table_tone_attr(tone) | A_BOLD;
        if (tone == TONE_CRIT || tone == TONE_WARN) {
            attr |= A_REVERSE;
        }
        x += screen_put(w, 0, x, W - x, ctx, attr, ui->g);
        x += screen_put(w, 0, x, W - x, " ", st, ui->g);
    }
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
    for (int slot = 0; slot < ui->nslots && x < W; slot++) {
        struct panel *p = ui_slot_panel(ui, slot);
        char tab[64];
        if (p->ops->table != NULL) {
            snprintf(tab, sizeof tab, " %d %s %zu ", slot + 1, p->ops->title,
                     tablepane_view(p->self)->nrows);
        } else {
            snprintf(tab, sizeof tab, " %d %s ", slot + 1, p->ops->title);
        }
        unsigned attr =
            p == ui_focused(ui) ? theme_attr(THEME_SELECTED) | A_BOLD : theme_attr(THEME_TITLE);
        x += screen_put(w, 0, x, W - x, tab, attr, ui->g);
        if (x < W) {
            x += screen_put(w, 0, x, W - x, " ", theme_attr(THEME_NORMAL), ui->g);
        }
    }
    if (ui->side.ops != NULL && x < W) {
        char tab[64];
        snprintf(tab, sizeof tab, " %d %s ", ui->nslots + 1, ui->side.ops->title);
        unsigned attr =
            ui->side_focus ? theme_attr(THEME_SELECTED) | A_BOLD : theme_attr(THEME_TITLE);
        screen_put(w, 0, x, W - x, tab, attr, ui->g);
    }
    wnoutrefresh(w);
}

static void draw_backends(struct ui *ui, WINDOW *w, int *x, int limit)
{
    uint64_t now = loop_now_ms(ui->loop);
    for (size_t i = 0; i < ui->nbackends && *x < limit; i++) {
        struct backend *b = ui->backends[i];
        char h[200], item[260];
        bool bad = b->health == BACKEND_ERROR || backend_is_stale(b, now);
        if (b->cluster != NULL && cluster_member(b->cluster, 0) != b) {
            continue; /* a cluster is one item, at its first member */
        }
        if (b->cluster != NULL) {
            cluster_health_text(b->cluster, now, h, sizeof h);
            bad = cluster_degraded(b->cluster, now);
        } else {
            backend_health_text(b, now, h, sizeof h);
        }
        snprintf(item, sizeof item, "%s%s: %s", i ? ui->g->sep : " ", backend_source(b), h);
        *x += screen_put(w, 0, *x, limit - *x, item, theme_attr(bad ? THEME_ERROR : THEME_STATUS),
                         ui->g);
    }
}

/* The status line as an editor: a question keeps its end in view; a command or filter has a hint.
 */
static void draw_line(struct ui *ui, WINDOW *w, int W)
{
    const struct line_mode *l = &ui->line;
    struct strbuf sb = {0};
    strbuf_str(&sb, l->label);
    for (size_t i = 0; i < l->edit.len && l->secret; i++) {
        strbuf_str(&sb, "*"); /* a secret is not echoed; its length shows typing works */
    }
    strbuf_printf(&sb, "%s_", l->secret ? "" : l->edit.buf);
    if (l->hint == NULL) {
        screen_put_tail(w, 0, 0, W, sb.s, theme_attr(THEME_NORMAL) | A_BOLD, ui->g);
    } else {
        screen_put(w, 0, 0, W, sb.s, theme_attr(THEME_NORMAL) | A_BOLD, ui->g);
        int hw = utf8_width(l->hint);
        if (W > hw + 20) {
            screen_put(w, 0, W - hw, hw, l->hint, theme_attr(THEME_STATUS), ui->g);
        }
    }
    free(sb.s);
}

static void draw_statusbar(struct ui *ui)
{
    WINDOW *w = ui->statusbar;
    int W = getmaxx(w);
    unsigned st = theme_attr(THEME_STATUS);
    werase(w);
    screen_fill(w, 0, 0, W, st);
    if (ui->mode == MODE_LINE) {
        draw_line(ui, w, W);
        wnoutrefresh(w);
        return;
    }
    int x = 0;
    /* the keys in effect (a user's key map may move them): " ? help  q quit " by default */
    const char *scope = ui_focused(ui)->ops != NULL ? ui_focused(ui)->ops->name : NULL;
    char help[32], quit[32], hint[80];
    bool has_help = keymap_spec(scope, "help", "?", help, sizeof help);
    bool has_quit = keymap_spec(scope, "quit", "q", quit, sizeof quit);
    if (has_help && has_quit) {
        snprintf(hint, sizeof hint, " %s help  %s quit ", help, quit);
    } else {
        snprintf(hint, sizeof hint, " %s %s ", has_help ? help : quit, has_help ? "help" : "quit");
    }
    if (!has_help && !has_quit) {
        hint[0] = '\0';
    }
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

void chrome_draw(struct ui *ui)
{
    draw_titlebar(ui);
    draw_statusbar(ui);
    if (ui->tabbar != NULL) {
        draw_tabbar(ui);
    }
}

void chrome_too_small(struct ui *ui)
{
    werase(stdscr);
    char msg[120];
    snprintf(msg, sizeof msg, "terminal too small: %dx%d", COLS, LINES);
    char need[120];
    snprintf(need, sizeof need, "opsdeck needs at least %dx%d (q quits)", LAYOUT_MIN_COLS,
             LAYOUT_MIN_ROWS);
    int y = LINES / 2 - 1;
    screen_put(stdscr, y < 0 ? 0 : y, 0, COLS, msg, theme_attr(THEME_WARN) | A_BOLD, ui->g);
    if (y + 1 < LINES) {
        screen_put(stdscr, y + 1, 0, COLS, need, theme_attr(THEME_NORMAL), ui->g);
    }
    wnoutrefresh(stdscr);
}
