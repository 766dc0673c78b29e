/*
 * The table panes (tablepane.h). Inside the box: the header and the visible
 * rows (tui/table.c); in the top border the slot digit, the title, the
 * pane's summary and, on the right, the first backend of the kind that is
 * failing or stale; in the bottom border the row counts, the marks, the
 * grouping, the filter and the sort. With no rows the body says why: no
 * backend feeds the kind, one fails, data is still coming, or the filter
 * hides everything.
 *
 * o opens the column chooser in the pane itself: every column of the schema,
 * the shown ones first in their order; Space shows or hides, J/K (Shift-Up,
 * Shift-Down) move one, Enter keeps, Esc cancels. While it is open it takes
 * every key of the pane.
 *
 * The pane redraws when the store's generation for its kind moved (update)
 * or a key changed the view (update says so once, the console keeps the
 * window dirty until it is drawn); ages follow the console's clock (pane_view).
 */
#include "tablepane.h"

#include "../backends/backend.h"
#include "../backends/cluster.h"
#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../tui/table.h"
#include "../tui/theme.h"
#include "../tui/viewer.h"
#include "../tui/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* o: the columns being chosen (the tableview changes on Enter only). */
struct colchooser {
    bool open;
    int n;         /* every column of the schema */
    int order[16]; /* the shown ones first, in their order, then the hidden in schema order */
    bool shown[16];
    int cur, top;
};

struct tablepane {
    const struct pane_ops *ops;
    const struct pane_table *t;
    struct pane_env env;
    struct tableview tv;
    char summary[128];
    uint64_t summary_gen; /* the store generation the summary was made from */
    uint64_t summary_ms;  /* when it was made (mono): a summary may read the clock */
    bool group_chosen;    /* = or a view's group= chose the grouping: no more auto */
    char *title;          /* tablepane_set_title: what a command opened it on; NULL: ops->title */
    char *status;         /* tablepane_set_status: what its source says, or NULL */
    bool status_error;
    int h, w;
    bool changed; /* since the last update: the console redraws it */
    struct colchooser cc;
};

#define X_KEY(i, k, v, h) {.keys = k, .verb = v, .id = i, .help = h},
const struct key_def tablepane_keys[] = {TABLEPANE_KEYS(X_KEY){0}};
#undef X_KEY

void *tablepane_create(const struct pane_ops *ops, const struct pane_env *env)
{
    struct tablepane *p = xcalloc(1, sizeof *p);
    p->ops = ops;
    p->t = ops->table;
    p->env = *env;
    tableview_init(&p->tv, p->t->kind);
    p->tv.sort_col = p->t->sort_col;
    p->tv.sort_desc = p->t->sort_desc;
    p->tv.then_col = p->t->then_by ? p->t->then_col : -1;
    p->tv.then_desc = p->t->then_desc;
    p->tv.group_counts_col = p->t->group_counts ? p->t->group_counts_col : -1;
    p->t->summary(&p->tv, p->summary, sizeof p->summary);
    p->changed = true;
    return p;
}

void tablepane_free(void *self)
{
    struct tablepane *p = self;
    tableview_finish(&p->tv);
    free(p->title);
    free(p->status);
    free(p);
}

void tablepane_resize(void *self, int h, int w)
{
    struct tablepane *p = self;
    p->h = h;
    p->w = w;
    p->changed = true;
}

/*
 * [opsdeck] group_above: above it the pane groups by itself, at or below it
 * ungroups, until the operator chooses (=, a view's group=). true: regrouped.
 */
static bool auto_group(struct tablepane *p)
{
    if (p->group_chosen || p->env.group_above == 0 || p->t->group_col < 0) {
        return false;
    }
    const struct rowref *rows;
    bool want = tableview_filtered(&p->tv, &rows) > p->env.group_above;
    if (want == (p->tv.group_col >= 0)) {
        return false;
    }
    tableview_set_group(&p->tv, p->env.store, want ? p->t->group_col : -1);
    p->tv.group_auto = want;
    return true;
}

bool tablepane_update(void *self, uint64_t now_ms)
{
    struct tablepane *p = self;
    bool rebuilt = tableview_refresh(&p->tv, p->env.store);
    rebuilt = auto_group(p) || rebuilt;
    /*
     * a filter or a sort rebuilds too, and may take new rows with it: the
     * summary follows; and once a second, for what it says of the clock
     * ("3 fired in the last minute")
     */
    if (rebuilt || p->tv.generation != p->summary_gen ||
        (p->t->summary_clock && now_ms - p->summary_ms >= 1000)) {
        char was[sizeof p->summary];
        memcpy(was, p->summary, sizeof was);
        p->t->summary(&p->tv, p->summary, sizeof p->summary);
        p->changed = p->changed || rebuilt || p->tv.generation != p->summary_gen ||
                     strcmp(was, p->summary) != 0;
        p->summary_gen = p->tv.generation;
        p->summary_ms = now_ms;
    }
    bool changed = p->changed;
    p->changed = false; /* a hidden pane stays dirty in the console, not here */
    return changed;
}

bool tablepane_interrupt(void *self)
{
    (void)self;
    return false;
}

/* ---- drawing ---- */

static bool kind_has_backend(const struct tablepane *p)
{
    if (p->title != NULL) {
        return true; /* opened by a command, which feeds it */
    }
    for (size_t i = 0; i < p->env.nbackends; i++) {
        if (backend_kinds(p->env.backends[i]) & (1u << p->t->kind)) {
            return true;
        }
    }
    return false;
}

/* The worst health among the backends feeding the kind, as text; false if all fine. */
static bool kind_problem(const struct tablepane *p, char *buf, size_t len, bool *starting)
{
    uint64_t now = loop_now_ms(p->env.loop);
    *starting = false;
    if (p->status != NULL && p->status_error) {
        snprintf(buf, len, "%s", p->status);
        return true;
    }
    for (size_t i = 0; i < p->env.nbackends; i++) {
        struct backend *b = p->env.backends[i];
        if (!(backend_kinds(b) & (1u << p->t->kind))) {
            continue;
        }
        if (b->health == BACKEND_STARTING) {
            *starting = true;
        }
        if (b->health == BACKEND_ERROR || backend_is_stale(b, now)) {
            /* a cluster says its one line: "1 of 2 members down: am2: ..." */
            size_t n = (size_t)snprintf(buf, len, "%s: ", backend_source(b));
            if (n < len && b->cluster != NULL) {
                cluster_health_text(b->cluster, now, buf + n, len - n);
            } else if (n < len) {
                backend_health_text(b, now, buf + n, len - n);
            }
            return true;
        }
    }
    return false;
}

static void draw_empty(struct tablepane *p, WINDOW *win, int h, int w)
{
    const struct glyphs *g = p->env.g;
    char msg[200];
    bool starting = false;
    char problem[200];
    bool bad = kind_problem(p, problem, sizeof problem, &starting);
    if (!kind_has_backend(p)) {
        snprintf(msg, sizeof msg, "no backend configured for %s", p->ops->name);
    } else if (bad || (p->status != NULL && p->tv.filter[0] == '\0')) {
        snprintf(msg, sizeof msg, "%s", bad ? problem : p->status);
    } else if (starting && p->tv.total == 0) {
        snprintf(msg, sizeof msg, "waiting for data%s", g->ellipsis);
    } else if (p->tv.filter[0] != '\0') {
        snprintf(msg, sizeof msg, "no rows match '%s' (Esc clears the filter)", p->tv.filter);
    } else {
        snprintf(msg, sizeof msg, "nothing here");
    }
    int mw = utf8_width(msg);
    if (mw > w - 4) {
        mw = w - 4;
    }
    screen_put(win, h / 2, (w - mw) / 2, mw, msg, theme_attr(bad ? THEME_ERROR : THEME_MUTED), g);
}

static void draw_title(struct tablepane *p, WINDOW *win, const struct pane_view *view, int w)
{
    const struct glyphs *g = p->env.g;
    char title[200];
    snprintf(title, sizeof title, " %d %s ", view->number, p->title ? p->title : p->ops->title);
    int x = 2;
    x += screen_put(win, 0, x, w - 4, title,
                    theme_attr(view->focused ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, g);
    char sum[200];
    /* a pane nothing feeds says so in its body; a summary of zeros would mislead */
    snprintf(sum, sizeof sum, "%s%s%s ", kind_has_backend(p) ? p->summary : "",
             p->status != NULL && !p->status_error ? "  " : "",
             p->status != NULL && !p->status_error ? p->status : "");
    x += screen_put(win, 0, x, w - 2 - x, sum, theme_attr(THEME_TITLE), g);
    bool starting;
    char problem[200];
    if (kind_problem(p, problem, sizeof problem, &starting)) {
        char tag[220];
        snprintf(tag, sizeof tag, " %s %s ", g->bad, problem);
        int tw = utf8_width(tag);
        int room = w - 2 - x;
        if (room > 8) {
            screen_put(win, 0, tw < room ? w - 2 - tw : x, room, tag, theme_attr(THEME_ERROR), g);
        }
    }
}

static void draw_footer(struct tablepane *p, WINDOW *win, int h, int w)
{
    const struct glyphs *g = p->env.g;
    const struct model_schema *s = model_schema(p->t->kind);
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
                      s->cols[p->tv.group_col].title);
        if (p->tv.group_auto) {
            n += snprintf(foot + n, sizeof foot - (size_t)n,
                          " (auto: more than %zu rows; = to ungroup)", p->env.group_above);
        }
    }
    if (p->tv.filter[0] != '\0') {
        n += snprintf(foot + n, sizeof foot - (size_t)n, "  filter: %s", p->tv.filter);
    }
    if (p->tv.sort_col >= 0) {
        snprintf(foot + n, sizeof foot - (size_t)n, "  sort: %s%s", s->cols[p->tv.sort_col].title,
                 p->tv.sort_desc ? g->down : g->up);
    }
    strncat(foot, " ", sizeof foot - strlen(foot) - 1);
    screen_put(win, h - 1, 2, w - 4, foot, theme_attr(THEME_BORDER), g);
}

/* The column chooser in place of the table. */
static void draw_chooser(struct tablepane *p, WINDOW *win, const struct pane_view *view)
{
    const struct glyphs *g = p->env.g;
    const struct model_schema *s = model_schema(p->t->kind);
    struct colchooser *cc = &p->cc;
    int h = getmaxy(win), w = getmaxx(win);
    int body = h - 3 > 1 ? h - 3 : 1;
    if (cc->cur < cc->top) {
        cc->top = cc->cur;
    } else if (cc->cur >= cc->top + body) {
        cc->top = cc->cur - body + 1;
    }
    screen_put(win, 1, 2, w - 4, "Columns: shown first, in this order", theme_attr(THEME_HEADER),
               g);
    for (int i = 0; i < body && cc->top + i < cc->n; i++) {
        int at = cc->top + i;
        char line[96];
        snprintf(line, sizeof line, "[%s] %s", cc->shown[at] ? "x" : " ",
                 s->cols[cc->order[at]].title);
        unsigned attr = at == cc->cur   ? theme_attr(THEME_SELECTED)
                        : cc->shown[at] ? theme_attr(THEME_NORMAL)
                                        : theme_attr(THEME_MUTED);
        if (at == cc->cur) {
            screen_fill(win, 2 + i, 1, w - 2, attr);
        }
        screen_put(win, 2 + i, 2, w - 4, line, attr, g);
    }
    screen_box(win, g, theme_attr(view->focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    char title[200];
    snprintf(title, sizeof title, " %d %s: columns ", view->number,
             p->title ? p->title : p->ops->title);
    screen_put(win, 0, 2, w - 4, title,
               theme_attr(view->focused ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, g);
    screen_put(win, h - 1, 2, w - 4, " Space show/hide  J/K move  Enter keep  Esc cancel ",
               theme_attr(THEME_BORDER), g);
    wnoutrefresh(win);
}

void tablepane_draw(void *self, WINDOW *win, const struct pane_view *view)
{
    struct tablepane *p = self;
    const struct glyphs *g = p->env.g;
    int h = getmaxy(win), w = getmaxx(win);
    werase(win);
    if (p->cc.open) {
        draw_chooser(p, win, view);
        return;
    }
    if (p->tv.nrows == 0) {
        table_draw(win, 1, 1, 1, w - 2, &p->tv, false, view->now_s, g);
        draw_empty(p, win, h, w);
    } else {
        table_draw(win, 1, 1, h - 2, w - 2, &p->tv, view->focused, view->now_s, g);
    }
    /* after the table, which scrolls the view: the footer tells the position */
    screen_box(win, g, theme_attr(view->focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    draw_title(p, win, view, w);
    draw_footer(p, win, h, w);
    wnoutrefresh(win);
}

/* ---- keys ---- */

/*
 * Enter: every column of the selected row, the members of its group, the
 * backend's detail; as fields ("LABEL\tvalue"), which the viewer wraps and y copies.
 */
static void open_detail(struct tablepane *p)
{
    const struct rowset *rs;
    size_t row;
    if (!tableview_selected(&p->tv, &rs, &row)) {
        return;
    }
    const struct model_schema *s = model_schema(p->t->kind);
    char *title = xasprintf("%s %s (%s)", s->title, rowset_key(rs, row), rs->source);
    const struct pane_host *h = p->env.host;
    if (p->t->detail != NULL) {
        char *text = p->t->detail(p, rs, row, viewer_text_width(COLS), p->env.g);
        h->ops->view(h->host, title, text);
        free(text);
        free(title);
        return;
    }
    struct strbuf sb = {0};
    for (int c = 0; c < s->ncols; c++) {
        char text[4096];
        if (table_col_auto_hidden(&p->tv, c)) {
            continue; /* CONTEXT, when there is one context: as in the table */
        }
        table_cell_text(&p->tv, rs, row, c, clock_wall_s(), text, sizeof text);
        strbuf_printf(&sb, "%s\t%s\n", s->cols[c].title, text);
    }
    size_t members = tableview_members(&p->tv, p->tv.sel, NULL, 0);
    if (members > 1) {
        struct rowref *m = xcalloc(members, sizeof *m);
        tableview_members(&p->tv, p->tv.sel, m, members);
        strbuf_printf(&sb, "\nGroup of %zu (an action here acts on all of them):\n", members);
        for (size_t i = 0; i < members; i++) {
            strbuf_printf(&sb, "  %s (%s)\n", rowset_key(m[i].rs, m[i].row), m[i].rs->source);
        }
        free(m);
    }
    const char *d = rowset_str(rs, rs->rows[row].detail);
    if (*d != '\0') {
        strbuf_str(&sb, "\n");
    }
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        size_t n = nl ? (size_t)(nl - d) : strlen(d);
        const char *tab = memchr(d, '\t', n);
        if (tab != NULL) {
            strbuf_printf(&sb, "%.*s\t%.*s\n", (int)(tab - d), d, (int)(n - (size_t)(tab - d) - 1),
                          tab + 1);
        } else {
            strbuf_printf(&sb, "%.*s\n", (int)n, d);
        }
        d = nl ? nl + 1 : d + n;
    }
    h->ops->view(h->host, title, sb.s != NULL ? sb.s : "");
    free(sb.s);
    free(title);
}

static void on_filter(void *self, const char *text)
{
    struct tablepane *p = self;
    tableview_set_filter(&p->tv, p->env.store, text);
    p->changed = true;
}

static void ask_filter(struct tablepane *p)
{
    struct pane_edit e = {
        .label = "/",
        .initial = p->tv.filter,
        .hint = " Enter keep  Esc cancel  !text inverts ",
        .change = on_filter,
        .cancel = on_filter,
    };
    p->env.host->ops->edit(p->env.host->host, &e);
}

static void cycle_sort(struct tablepane *p)
{
    int n = model_schema(p->t->kind)->ncols;
    int next = p->tv.sort_col + 1;
    if (next < n && table_col_auto_hidden(&p->tv, next)) {
        next++; /* a column not shown is not a sort to step through */
    }
    if (next >= n) {
        next = -1;
    }
    tableview_set_sort(&p->tv, p->env.store, next, p->tv.sort_desc);
}

static void move_selection(struct tablepane *p, int id)
{
    long page = p->h - 3 > 1 ? p->h - 3 : 1;
    long count = (long)p->tv.nrows;
    long delta[] = {
        [TABLEPANE_DOWN] = 1,        [TABLEPANE_UP] = -1,        [TABLEPANE_PAGE_DOWN] = page,
        [TABLEPANE_PAGE_UP] = -page, [TABLEPANE_FIRST] = -count, [TABLEPANE_LAST] = count,
    };
    tableview_move(&p->tv, delta[id]);
}

static void open_chooser(struct tablepane *p)
{
    struct colchooser *cc = &p->cc;
    const struct model_schema *s = model_schema(p->t->kind);
    int shown[16];
    int n = table_shown_columns(&p->tv, shown);
    memset(cc, 0, sizeof *cc);
    for (int i = 0; i < n; i++) {
        cc->order[cc->n] = shown[i];
        cc->shown[cc->n++] = true;
    }
    for (int c = 0; c < s->ncols && c < 16; c++) {
        bool in = false;
        for (int i = 0; i < n; i++) {
            in = in || shown[i] == c;
        }
        if (!in) {
            cc->order[cc->n] = c;
            cc->shown[cc->n++] = false;
        }
    }
    cc->open = true;
}

/* Enter: the columns checked, in the chooser's order; every column in schema order is the default.
 */
static void keep_chooser(struct tablepane *p)
{
    struct colchooser *cc = &p->cc;
    int cols[16], n = 0;
    for (int i = 0; i < cc->n; i++) {
        if (cc->shown[i]) {
            cols[n++] = cc->order[i];
        }
    }
    const struct pane_host *h = p->env.host;
    if (n == 0) {
        pane_say(h, true, "at least one column must show (Space on one)");
        return;
    }
    bool all = table_columns_default(&p->tv, cols, n);
    tableview_set_columns(&p->tv, cols, all ? 0 : n);
    cc->open = false;
    pane_say(h, false, all ? "columns: every column" : "columns kept (:cols lists them)");
}

/* Every key while the chooser is open. */
static void chooser_key(struct tablepane *p, wint_t ch, bool is_key)
{
    struct colchooser *cc = &p->cc;
    bool enter = (!is_key && (ch == '\r' || ch == '\n')) || (is_key && ch == KEY_ENTER);
    int move = 0, swap = 0;
    if (!is_key && ch == 27) {
        cc->open = false;
        pane_say(p->env.host, false, "columns unchanged");
    } else if (enter) {
        keep_chooser(p);
    } else if (!is_key && ch == ' ') {
        cc->shown[cc->cur] = !cc->shown[cc->cur];
    } else if ((!is_key && ch == 'j') || (is_key && ch == KEY_DOWN)) {
        move = 1;
    } else if ((!is_key && ch == 'k') || (is_key && ch == KEY_UP)) {
        move = -1;
    } else if ((!is_key && ch == 'J') || (is_key && ch == KEY_SF)) {
        swap = 1;
    } else if ((!is_key && ch == 'K') || (is_key && ch == KEY_SR)) {
        swap = -1;
    }
    int to = cc->cur + move + swap;
    if ((move || swap) && to >= 0 && to < cc->n) {
        if (swap) {
            int o = cc->order[to];
            bool sh = cc->shown[to];
            cc->order[to] = cc->order[cc->cur];
            cc->shown[to] = cc->shown[cc->cur];
            cc->order[cc->cur] = o;
            cc->shown[cc->cur] = sh;
        }
        cc->cur = to;
    }
    p->changed = true;
}

bool tablepane_key(void *self, wint_t ch, bool is_key)
{
    struct tablepane *p = self;
    if (p->cc.open) {
        chooser_key(p, ch, is_key);
        return true;
    }
    const struct key_def *k = key_find_in(p->ops->name, p->ops->keys, p, ch, is_key);
    if (k == NULL) {
        return false;
    }
    if (k->id >= TABLEPANE_KEY_OWN) {
        return p->t->key != NULL && p->t->key(p, k->id);
    }
    switch ((enum tablepane_key)k->id) {
    case TABLEPANE_DOWN:
    case TABLEPANE_UP:
    case TABLEPANE_PAGE_DOWN:
    case TABLEPANE_PAGE_UP:
    case TABLEPANE_FIRST:
    case TABLEPANE_LAST:
        move_selection(p, k->id);
        break;
    case TABLEPANE_DETAIL:
        open_detail(p);
        return true;
    case TABLEPANE_FILTER:
        ask_filter(p);
        return true;
    case TABLEPANE_CLEAR_FILTER:
        if (p->tv.filter[0] == '\0') {
            return true;
        }
        tableview_set_filter(&p->tv, p->env.store, "");
        break;
    case TABLEPANE_MARK:
        tableview_toggle_mark(&p->tv);
        tableview_move(&p->tv, 1);
        break;
    case TABLEPANE_UNMARK:
        if (p->tv.nmarks == 0) {
            return false; /* the key may be a backend's action */
        }
        tableview_clear_marks(&p->tv);
        break;
    case TABLEPANE_GROUP:
        tableview_set_group(&p->tv, p->env.store, p->tv.group_col >= 0 ? -1 : p->t->group_col);
        p->group_chosen = true; /* the operator's: no more grouping by itself in this pane */
        break;
    case TABLEPANE_SORT:
        cycle_sort(p);
        break;
    case TABLEPANE_REVERSE:
        tableview_set_sort(&p->tv, p->env.store, p->tv.sort_col, !p->tv.sort_desc);
        break;
    case TABLEPANE_LEFT:
    case TABLEPANE_RIGHT:
        if (!table_hscroll(&p->tv, p->w - 2 - (p->tv.nmarks > 0 ? 2 : 0),
                           k->id == TABLEPANE_LEFT ? -1 : 1)) {
            return true; /* nothing more to that side */
        }
        break;
    case TABLEPANE_COLUMNS:
        open_chooser(p);
        break;
    case TABLEPANE_NONE:
    case TABLEPANE_KEY_OWN:
        return false;
    }
    p->changed = true;
    return true;
}

/* ---- for the console ---- */

const struct tableview *tablepane_view(const void *self)
{
    const struct tablepane *p = self;
    return &p->tv;
}

const struct pane_host *tablepane_host(const void *self)
{
    const struct tablepane *p = self;
    return p->env.host;
}

bool tablepane_selected(const void *self, const struct rowset **rs, size_t *row)
{
    const struct tablepane *p = self;
    return tableview_selected(&p->tv, rs, row);
}

size_t tablepane_action_rows(void *self, struct rowref **out)
{
    struct tablepane *p = self;
    struct tableview *tv = &p->tv;
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

void tablepane_clear_marks(void *self)
{
    struct tablepane *p = self;
    tableview_clear_marks(&p->tv);
    p->changed = true;
}

void tablepane_set_contexts(void *self, const char *const *names, size_t n)
{
    struct tablepane *p = self;
    tableview_set_contexts(&p->tv, p->env.store, names, n);
    p->changed = true;
}

bool tablepane_sort_by(void *self, const char *title, char **cause)
{
    struct tablepane *p = self;
    int col = model_column_by_title(p->t->kind, title);
    if (col < 0) {
        *cause = xasprintf("no column '%s' in %s", title, p->ops->name);
        return false;
    }
    tableview_set_sort(&p->tv, p->env.store, col, p->tv.sort_col == col && !p->tv.sort_desc);
    p->changed = true;
    return true;
}

void tablepane_filter(void *self, const char *text)
{
    on_filter(self, text);
}

void tablepane_edit(void *self, void (*fn)(struct tableview *tv, const struct store *st, void *ud),
                    void *ud)
{
    struct tablepane *p = self;
    unsigned sets = p->tv.group_sets;
    fn(&p->tv, p->env.store, ud);
    if (p->tv.group_sets != sets && p->tv.group_col >= 0) {
        p->group_chosen = true; /* a view's group=: it sticks as = does */
    }
    p->tv.group_auto = p->tv.group_auto && p->tv.group_sets == sets;
    p->cc.open = false;
    p->changed = true;
}

void tablepane_set_group_above(void *self, size_t n)
{
    struct tablepane *p = self;
    p->env.group_above = n;
    if (n == 0 && !p->group_chosen && p->tv.group_auto) {
        tableview_set_group(&p->tv, p->env.store, -1); /* 0 never groups: undo the pane's own */
    }
    p->changed = true;
}

void tablepane_select_key(void *self, const char *source, const char *key)
{
    struct tablepane *p = self;
    tableview_select_key(&p->tv, source, key);
    p->changed = true;
}

void tablepane_set_title(void *self, const char *title)
{
    struct tablepane *p = self;
    free(p->title);
    p->title = title != NULL ? xstrdup(title) : NULL;
    p->changed = true;
}

void tablepane_set_status(void *self, const char *text, bool error)
{
    struct tablepane *p = self;
    free(p->status);
    p->status = text != NULL ? xstrdup(text) : NULL;
    p->status_error = text != NULL && error;
    p->changed = true;
}
