/*
 * Widgets drawn in their own windows laid over the panes. They hold no
 * references to models: a dialog carries copies of what it asks about, so a
 * refresh underneath cannot change the question while the user reads it.
 */
#include "widgets.h"

#include "../common/util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

void lineedit_set(struct lineedit *le, const char *text)
{
    snprintf(le->buf, sizeof le->buf, "%s", text ? text : "");
    le->len = strlen(le->buf);
}

static void lineedit_backspace(struct lineedit *le)
{
    while (le->len > 0) {
        le->len--;
        /* stop at the first byte of a UTF-8 sequence */
        if (((unsigned char)le->buf[le->len] & 0xC0) != 0x80) {
            break;
        }
    }
    le->buf[le->len] = '\0';
}

bool lineedit_key(struct lineedit *le, wint_t ch, bool is_key)
{
    if (is_key) {
        if (ch == KEY_BACKSPACE || ch == KEY_DC) {
            size_t before = le->len;
            lineedit_backspace(le);
            return le->len != before;
        }
        return false;
    }
    if (ch == 127 || ch == 8) {
        size_t before = le->len;
        lineedit_backspace(le);
        return le->len != before;
    }
    if (ch == 21) { /* Ctrl-U */
        bool changed = le->len > 0;
        lineedit_set(le, "");
        return changed;
    }
    if (ch == 23) { /* Ctrl-W: drop trailing spaces, then the word */
        size_t before = le->len;
        while (le->len > 0 && le->buf[le->len - 1] == ' ') {
            lineedit_backspace(le);
        }
        while (le->len > 0 && le->buf[le->len - 1] != ' ') {
            lineedit_backspace(le);
        }
        return le->len != before;
    }
    if (!iswprint(ch)) {
        return false;
    }
    char mb[MB_LEN_MAX + 1];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)ch, &st);
    if (n == (size_t)-1 || le->len + n + 1 > sizeof le->buf) {
        return false;
    }
    memcpy(le->buf + le->len, mb, n);
    le->len += n;
    le->buf[le->len] = '\0';
    return true;
}

static void dialog_start(struct dialog *d, const char *title, const char *body, const char *confirm)
{
    memset(d, 0, sizeof *d);
    d->title = xstrdup(title);
    d->body = xstrdup(body);
    d->confirm_label = xstrdup(confirm);
}

void dialog_open(struct dialog *d, const char *title, const char *body, const char *confirm,
                 const char *input_label, const char *input_default, const char *must_type)
{
    dialog_start(d, title, body, confirm);
    if (must_type != NULL) {
        const char *nl = strchr(must_type, '\n');
        d->must_type =
            nl != NULL ? xstrndup(must_type, (size_t)(nl - must_type)) : xstrdup(must_type);
        d->also_type = nl != NULL && nl[1] != '\0' ? xstrdup(nl + 1) : NULL;
        d->labels[0] = d->also_type != NULL
                           ? xasprintf("Type '%s' (or '%s') to confirm", d->must_type, d->also_type)
                           : xasprintf("Type '%s' to confirm", d->must_type);
        d->nfields = 1;
    } else if (input_label != NULL) {
        d->labels[0] = xstrdup(input_label);
        lineedit_set(&d->fields[0], input_default);
        d->nfields = 1;
    }
    d->focus = dialog_first_focus(d);
}

void dialog_open_form(struct dialog *d, const char *title, const char *body, const char *confirm,
                      const char *const *labels, char *const *defaults, int n)
{
    dialog_start(d, title, body, confirm);
    d->nfields = n < DIALOG_MAX_FIELDS ? n : DIALOG_MAX_FIELDS;
    for (int i = 0; i < d->nfields; i++) {
        d->labels[i] = xstrdup(labels[i]);
        lineedit_set(&d->fields[i], defaults[i]);
    }
    d->focus = dialog_first_focus(d);
}

void dialog_close(struct dialog *d)
{
    free(d->title);
    free(d->body);
    free(d->confirm_label);
    for (int i = 0; i < d->nfields; i++) {
        free(d->labels[i]);
    }
    free(d->must_type);
    free(d->also_type);
    free(d->error);
    memset(d, 0, sizeof *d);
}

/* A typed word, trimmed, against the word asked for, case-insensitively. */
static bool typed_is(const char *typed, const char *word)
{
    char *t = str_trim(xstrdup(typed));
    bool same = strcasecmp(t, word) == 0;
    free(t);
    return same;
}

/* Enter on a typed confirmation that is not the word: say so, keep the dialog. */
static enum dialog_result typed_refused(struct dialog *d)
{
    free(d->error);
    char *t = str_trim(xstrdup(d->fields[0].buf));
    if (t[0] == '\0') {
        d->error = xasprintf("type %s then Enter; Esc cancels", d->must_type);
    } else {
        d->error = xasprintf("'%s' is not '%s': type %s then Enter; Esc cancels", t, d->must_type,
                             d->must_type);
    }
    free(t);
    d->focus = 0;
    return DIALOG_OPEN;
}

const char *dialog_field(const struct dialog *d, int i)
{
    return i < d->nfields ? d->fields[i].buf : "";
}

bool dialog_can_confirm(const struct dialog *d)
{
    if (d->must_type != NULL) {
        return typed_is(d->fields[0].buf, d->must_type) ||
               (d->also_type != NULL && typed_is(d->fields[0].buf, d->also_type));
    }
    for (int i = 0; i < d->nfields; i++) {
        if (d->fields[i].len == 0) {
            return false;
        }
    }
    return true;
}

int dialog_confirm_at(const struct dialog *d)
{
    return d->nfields;
}

int dialog_cancel_at(const struct dialog *d)
{
    return d->nfields + 1;
}

int dialog_first_focus(const struct dialog *d)
{
    return d->nfields > 0 ? 0 : dialog_cancel_at(d);
}

static void dialog_move(struct dialog *d, int step)
{
    int n = d->nfields + 2;
    d->focus = (d->focus + step + n) % n;
}

static void dialog_scroll(struct dialog *d, int delta)
{
    int max = d->body_rows - d->body_shown;
    d->scroll += delta;
    if (d->scroll > max) {
        d->scroll = max;
    }
    if (d->scroll < 0) {
        d->scroll = 0;
    }
}

enum dialog_result dialog_key(struct dialog *d, wint_t ch, bool is_key)
{
    if (!is_key && ch == 27) {
        return DIALOG_CANCEL;
    }
    free(d->error); /* said until the next key */
    d->error = NULL;
    if ((!is_key && ch == '\t') || (is_key && ch == KEY_RIGHT)) {
        dialog_move(d, 1);
        return DIALOG_OPEN;
    }
    if (is_key && (ch == KEY_BTAB || ch == KEY_LEFT)) {
        dialog_move(d, -1);
        return DIALOG_OPEN;
    }
    if (is_key && (ch == KEY_UP || ch == KEY_DOWN || ch == KEY_PPAGE || ch == KEY_NPAGE)) {
        int page = d->body_shown > 1 ? d->body_shown - 1 : 1;
        dialog_scroll(d, ch == KEY_UP ? -1 : ch == KEY_DOWN ? 1 : ch == KEY_PPAGE ? -page : page);
        return DIALOG_OPEN;
    }
    if ((!is_key && (ch == '\r' || ch == '\n')) || (is_key && ch == KEY_ENTER)) {
        if (d->must_type != NULL && d->focus != dialog_cancel_at(d)) {
            return dialog_can_confirm(d) ? DIALOG_CONFIRM : typed_refused(d);
        }
        if (d->focus < d->nfields) {
            d->focus++; /* the next field, after the last the confirm button: never confirms */
            return DIALOG_OPEN;
        }
        if (d->focus == dialog_cancel_at(d)) {
            return DIALOG_CANCEL;
        }
        return dialog_can_confirm(d) ? DIALOG_CONFIRM : DIALOG_OPEN;
    }
    if (d->nfields > 0) {
        int field = d->focus < d->nfields ? d->focus : 0;
        lineedit_key(&d->fields[field], ch, is_key);
    }
    return DIALOG_OPEN;
}

static int count_lines(const char *s, int *widest)
{
    int n = 1, w = 0, cur = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\n') {
            n++;
            cur = 0;
            continue;
        }
        if (((unsigned char)*p & 0xC0) != 0x80) {
            cur++;
        }
        if (cur > w) {
            w = cur;
        }
    }
    *widest = w;
    return n;
}

/* A fresh boxed window in the dialog colours with a title on its top border. */
WINDOW *widgets_framed(WINDOW *old, int h, int w, int y, int x, const char *title,
                       const struct glyphs *g)
{
    if (old != NULL) {
        delwin(old);
    }
    WINDOW *win = newwin(h, w, y, x);
    if (win == NULL) {
        return NULL;
    }
    leaveok(win, TRUE);
    unsigned base = theme_attr(THEME_DIALOG);
    wbkgdset(win, (chtype)base);
    werase(win);
    screen_box(win, g, base);
    char text[200];
    snprintf(text, sizeof text, " %s ", title);
    screen_put(win, 0, 2, w - 4, text, base | A_BOLD, g);
    return win;
}

bool widgets_move_key(wint_t ch, bool is_key, long page, long count, long *delta)
{
    if (is_key) {
        switch (ch) {
        case KEY_UP:
            *delta = -1;
            return true;
        case KEY_DOWN:
            *delta = 1;
            return true;
        case KEY_PPAGE:
            *delta = -page;
            return true;
        case KEY_NPAGE:
            *delta = page;
            return true;
        case KEY_HOME:
            *delta = -count;
            return true;
        case KEY_END:
            *delta = count;
            return true;
        default:
            return false;
        }
    }
    switch (ch) {
    case 'k':
        *delta = -1;
        return true;
    case 'j':
        *delta = 1;
        return true;
    case 2: /* Ctrl-B */
        *delta = -page;
        return true;
    case 6: /* Ctrl-F */
        *delta = page;
        return true;
    case 'g':
        *delta = -count;
        return true;
    case 'G':
        *delta = count;
        return true;
    default:
        return false;
    }
}

static void draw_buttons(WINDOW *win, const struct dialog *d, int y, int w, const struct glyphs *g)
{
    char cancel[32], ok[64];
    snprintf(cancel, sizeof cancel, "[ Cancel ]");
    snprintf(ok, sizeof ok, "[ %s ]", d->confirm_label);
    int total = utf8_width(cancel) + 2 + utf8_width(ok);
    int x = (w - total) / 2;
    unsigned base = theme_attr(THEME_DIALOG), sel = theme_attr(THEME_SELECTED);
    unsigned okattr = d->focus == dialog_confirm_at(d) ? sel : base;
    if (!dialog_can_confirm(d)) {
        okattr = theme_attr(THEME_MUTED);
    }
    x += screen_put(win, y, x, utf8_width(cancel), cancel,
                    d->focus == dialog_cancel_at(d) ? sel : base, g) +
         2;
    screen_put(win, y, x, utf8_width(ok), ok, okattr, g);
}

/* Rows of text wrapped to width; with put, drawn from row y on (first..first+max-1 of them). */
static int wrap_rows(WINDOW *win, const char *text, int width, int y, int first, int max,
                     unsigned attr, const struct glyphs *g)
{
    int row = 0;
    for (const char *p = text;;) {
        size_t shown;
        size_t n = utf8_wrap_next(p, width, &shown);
        if (win != NULL && row >= first && row < first + max) {
            char *line = xstrndup(p, shown);
            screen_put(win, y + row - first, 2, width, line, attr, g);
            free(line);
        }
        row++;
        p += n;
        if (*p == '\0') {
            break;
        }
        if (*p == '\n') {
            p++;
        }
    }
    return row;
}

static char *field_text(const struct dialog *d, int i)
{
    /* the cursor shows where typing goes: the focused field, or the only one */
    bool typing = d->focus == i || (d->nfields == 1 && d->focus >= d->nfields);
    return xasprintf("%s: %s%s", d->labels[i], d->fields[i].buf, typing ? "_" : "");
}

WINDOW *dialog_draw(struct dialog *d, WINDOW *old, const struct glyphs *g)
{
    int widest;
    count_lines(d->body, &widest);
    for (int i = 0; i < d->nfields; i++) {
        int fw = utf8_width(d->labels[i]) + 3 + utf8_width(d->fields[i].buf);
        widest = fw > widest ? fw : widest;
    }
    int inner = widest < 40 ? 40 : widest;
    if (inner > COLS - 6) {
        inner = COLS - 6 > 10 ? COLS - 6 : 10;
    }
    int w = inner + 4;
    d->body_rows = wrap_rows(NULL, d->body, inner, 0, 0, 0, 0, g);
    int field_rows = 0;
    for (int i = 0; i < d->nfields; i++) {
        char *f = field_text(d, i);
        field_rows += wrap_rows(NULL, f, inner, 0, 0, 0, 0, g);
        free(f);
    }
    if (d->error != NULL) {
        field_rows += wrap_rows(NULL, d->error, inner, 0, 0, 0, 0, g);
    }
    int below = d->nfields > 0 ? field_rows + 1 : 0; /* the fields after a blank row */
    int h = d->body_rows + below + 4;
    if (h > LINES - 2) {
        h = LINES - 2;
    }
    d->body_shown = h - 4 - below;
    if (d->body_shown < 1) {
        d->body_shown = 1;
    }
    dialog_scroll(d, 0); /* clamp to the rows there are now */
    WINDOW *win = widgets_framed(old, h, w, (LINES - h) / 2, (COLS - w) / 2, d->title, g);
    if (win == NULL) {
        return NULL;
    }
    unsigned base = theme_attr(THEME_DIALOG);
    wrap_rows(win, d->body, inner, 1, d->scroll, d->body_shown, base, g);
    int y = 1 + d->body_shown + 1;
    for (int i = 0; i < d->nfields; i++) {
        unsigned attr = base | A_BOLD;
        if (d->nfields > 1 && d->focus == i) {
            attr = theme_attr(THEME_SELECTED);
        }
        char *f = field_text(d, i);
        int rows = wrap_rows(NULL, f, inner, 0, 0, 0, 0, g);
        int room = h - 2 - y;
        wrap_rows(win, f, inner, y, 0, rows < room ? rows : room, attr, g);
        y += rows;
        free(f);
    }
    if (d->error != NULL && y < h - 2) {
        int rows = wrap_rows(NULL, d->error, inner, 0, 0, 0, 0, g);
        int room = h - 2 - y;
        wrap_rows(win, d->error, inner, y, 0, rows < room ? rows : room,
                  theme_attr(THEME_ERROR) | A_BOLD, g);
    }
    if (d->body_rows > d->body_shown) {
        /* more above or below: say where, and how to get there; the buttons stay */
        char more[80];
        snprintf(more, sizeof more, " %d-%d/%d %s ", d->scroll + 1, d->scroll + d->body_shown,
                 d->body_rows, d->scroll + d->body_shown < d->body_rows ? "more: PgDn" : "PgUp");
        screen_put_right(win, 1 + d->body_shown, 2, w - 4, more, theme_attr(THEME_MUTED), g);
    }
    draw_buttons(win, d, h - 2, w, g);
    return win;
}
