/*
 * Terminal setup and teardown. opsdeck takes over SIGWINCH itself (through the
 * loop's self-pipe), so a resize is: read TIOCGWINSZ, resizeterm(), redraw.
 * Text goes through utf8_fit() so a label from an API can never put control
 * bytes on the terminal or overflow its cell.
 */
#include "screen.h"

#include "../common/util.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct glyphs glyphs_utf8 = {
    .h = "─",
    .v = "│",
    .tl = "┌",
    .tr = "┐",
    .bl = "└",
    .br = "┘",
    .ellipsis = "…",
    .up = "▲",
    .down = "▼",
    .ok = "✓",
    .bad = "✗",
    .sep = " │ ",
    .mark = "›",
    .marked = "● ",
    .left = "◂",
    .right = "▸",
    .lit = "●",
    .unlit = "○",
    .nodata = "·",
    .ascii = false,
};

static const struct glyphs glyphs_ascii = {
    .h = "-",
    .v = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .ellipsis = "~",
    .up = "^",
    .down = "v",
    .ok = "OK",
    .bad = "!!",
    .sep = " | ",
    .mark = ">",
    .marked = "* ",
    .left = "<",
    .right = ">",
    .lit = NULL, /* ASCII: the lights' letters as they are (. ? T P) */
    .unlit = NULL,
    .nodata = NULL,
    .ascii = true,
};

static bool screen_active;

bool screen_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

const struct glyphs *screen_glyphs(bool utf8)
{
    return utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

bool screen_init(char **cause)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        *cause = xstrdup("the console needs a terminal (try 'opsdeck snapshot' for plain output)");
        return false;
    }
    const char *term = getenv("TERM");
    if (term == NULL || term[0] == '\0') {
        *cause = xstrdup("TERM is not set");
        return false;
    }
    if (newterm(NULL, stdout, stdin) == NULL) {
        *cause = xasprintf("cannot use terminal type '%s'", term);
        return false;
    }
    screen_active = true;
    if (getenv("ESCDELAY") == NULL) {
        set_escdelay(25);
    }
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    leaveok(stdscr, TRUE);
    return true;
}

void screen_finish(void)
{
    if (screen_active) {
        curs_set(1);
        endwin();
        screen_active = false;
    }
}

bool screen_resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
        return false;
    }
    if (ws.ws_row == LINES && ws.ws_col == COLS) {
        return false;
    }
    resizeterm(ws.ws_row, ws.ws_col);
    return true;
}

void screen_fill(WINDOW *w, int y, int x, int width, unsigned attr)
{
    if (width <= 0) {
        return;
    }
    wattrset(w, (int)attr);
    mvwhline(w, y, x, ' ', width);
    wattrset(w, A_NORMAL);
}

static int put_fitted(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
                      const struct glyphs *g, bool keep_tail)
{
    if (width <= 0) {
        return 0;
    }
    char buf[1024];
    int used = keep_tail ? utf8_fit_tail(buf, sizeof buf, text, width, g->ellipsis)
                         : utf8_fit(buf, sizeof buf, text, width, g->ellipsis);
    wattrset(w, (int)attr);
    mvwaddstr(w, y, x, buf);
    wattrset(w, A_NORMAL);
    return used;
}

int screen_put(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
               const struct glyphs *g)
{
    return put_fitted(w, y, x, width, text, attr, g, false);
}

int screen_put_tail(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
                    const struct glyphs *g)
{
    return put_fitted(w, y, x, width, text, attr, g, true);
}

int screen_put_right(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
                     const struct glyphs *g)
{
    int tw = utf8_width(text);
    if (tw > width) {
        tw = width;
    }
    return screen_put(w, y, x + width - tw, tw, text, attr, g);
}

void screen_box(WINDOW *w, const struct glyphs *g, unsigned attr)
{
    int h = getmaxy(w), wd = getmaxx(w);
    if (h < 2 || wd < 2) {
        return;
    }
    wattrset(w, (int)attr);
    mvwaddstr(w, 0, 0, g->tl);
    for (int x = 1; x < wd - 1; x++) {
        waddstr(w, g->h);
    }
    waddstr(w, g->tr);
    for (int y = 1; y < h - 1; y++) {
        mvwaddstr(w, y, 0, g->v);
        mvwaddstr(w, y, wd - 1, g->v);
    }
    mvwaddstr(w, h - 1, 0, g->bl);
    for (int x = 1; x < wd - 1; x++) {
        waddstr(w, g->h);
    }
    /* on the screen's last cell curses reports ERR but still draws the glyph */
    mvwaddstr(w, h - 1, wd - 1, g->br);
    wattrset(w, A_NORMAL);
}
