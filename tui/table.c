/*
 * The table widget. Widths come from the view's measurements (made once per
 * rebuild over every visible row, so scrolling does not make columns jump);
 * the layout keeps the shown columns in their order (the schema's, or the
 * pane's own: :cols, a view) and drops the highest-priority numbers first
 * until the rest fit.
 */
#include "table.h"

#include "../common/clock.h"
#include "../common/spark.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned table_tone_attr(enum tone tone)
{
    switch (tone) {
    case TONE_OK:
        return theme_attr(THEME_OK);
    case TONE_INFO:
        return theme_attr(THEME_INFO);
    case TONE_WARN:
        return theme_attr(THEME_WARN);
    case TONE_CRIT:
        return theme_attr(THEME_CRIT);
    case TONE_MUTED:
        return theme_attr(THEME_MUTED);
    case TONE_NORMAL:
        break;
    }
    return theme_attr(THEME_NORMAL);
}

static int col_want(const struct tableview *tv, int c)
{
    const struct column_def *d = &model_schema(tv->kind)->cols[c];
    int w = tv->widths[c];
    int tw = utf8_width(d->title) + 1; /* room for the sort arrow */
    if (w < tw) {
        w = tw;
    }
    if (w < d->min_width) {
        w = d->min_width;
    }
    if (w > d->max_width) {
        w = d->max_width;
    }
    return w;
}

bool table_col_auto_hidden(const struct tableview *tv, int col)
{
    return tableview_col_auto_hidden(tv, col);
}

int table_shown_columns(const struct tableview *tv, int *out)
{
    const struct model_schema *s = model_schema(tv->kind);
    int n = 0;
    if (tv->ncolorder > 0) {
        for (int i = 0; i < tv->ncolorder && i < 16; i++) {
            if (tv->colorder[i] >= 0 && tv->colorder[i] < s->ncols) {
                out[n++] = tv->colorder[i];
            }
        }
        if (n > 0) {
            return n;
        }
    }
    for (int c = 0; c < s->ncols && c < 16; c++) {
        if (!table_col_auto_hidden(tv, c)) {
            out[n++] = c;
        }
    }
    return n;
}

bool table_columns_default(const struct tableview *tv, const int *cols, int n)
{
    struct tableview d = *tv; /* read only: the default order of the same view */
    d.ncolorder = 0;
    int def[16];
    int dn = table_shown_columns(&d, def);
    return n == dn && memcmp(cols, def, (size_t)n * sizeof *cols) == 0;
}

/*
 * The shown columns (cols, n of them, in order) and what each wants (by
 * position). Drop the least important (highest priority number; the last
 * of equals) until the rest fit.
 */
static int drop_columns(const struct model_schema *s, const int *cols, int n, const int *want,
                        bool *keep, int width)
{
    int total = 0, kept = 0;
    for (int i = 0; i < n; i++) {
        keep[i] = true;
        total += want[i];
        kept++;
    }
    while (kept > 1 && total + kept - 1 > width) {
        int drop = -1;
        for (int i = 0; i < n; i++) {
            if (keep[i] &&
                (drop < 0 || s->cols[cols[i]].priority >= s->cols[cols[drop]].priority)) {
                drop = i;
            }
        }
        if (s->cols[cols[drop]].priority == 0) {
            break; /* essential columns stay; they get squeezed instead */
        }
        keep[drop] = false;
        total -= want[drop];
        kept--;
    }
    return total + kept - 1;
}

/* Bring dropped columns back, most important first, where the slack holds them. */
static int readmit_columns(const struct model_schema *s, const int *cols, int n, int *want,
                           bool *keep, int used, int width)
{
    for (int prio = 0; prio <= 9; prio++) {
        for (int i = 0; i < n; i++) {
            const struct column_def *d = &s->cols[cols[i]];
            int room = width - used - 1;
            if (keep[i] || d->priority != prio || room < d->min_width) {
                continue;
            }
            if (want[i] > room) {
                want[i] = room;
            }
            keep[i] = true;
            used += want[i] + 1;
        }
    }
    return used;
}

/* Every shown column whole, in order: the wide view that h/l scroll. */
static void wide_layout(const struct tableview *tv, int width, struct table_layout *out)
{
    const struct model_schema *s = model_schema(tv->kind);
    int cols[16];
    int n = table_shown_columns(tv, cols);
    out->ncols = 0;
    out->total = -1;
    for (int i = 0; i < n; i++) {
        int c = cols[i];
        int w = tv->full[c];
        int tw = utf8_width(s->cols[c].title) + 1;
        w = w < tw ? tw : w;
        w = w < s->cols[c].min_width ? s->cols[c].min_width : w;
        out->col[out->ncols] = c;
        out->width[out->ncols++] = w;
        out->total += w + 1;
    }
    if (out->total < width && out->ncols > 0) {
        out->width[out->ncols - 1] += width - out->total;
        out->total = width;
    }
    out->natural = out->total;
}

void table_layout(const struct tableview *tv, int width, struct table_layout *out)
{
    const struct model_schema *s = model_schema(tv->kind);
    if (tv->wide) {
        wide_layout(tv, width, out);
        return;
    }
    int cols[16];
    int n = table_shown_columns(tv, cols);
    int want[16];
    bool keep[16];
    out->natural = -1;
    for (int i = 0; i < n; i++) {
        int c = cols[i];
        want[i] = col_want(tv, c);
        int tw = utf8_width(s->cols[c].title) + 1;
        out->natural += (tv->full[c] > want[i] ? tv->full[c] : want[i] > tw ? want[i] : tw) + 1;
    }
    int used = drop_columns(s, cols, n, want, keep, width);
    used = readmit_columns(s, cols, n, want, keep, used, width);
    out->ncols = 0;
    int widest_text = -1;
    for (int i = 0; i < n; i++) {
        int c = cols[i];
        if (!keep[i]) {
            continue;
        }
        out->col[out->ncols] = c;
        out->width[out->ncols] = want[i];
        if (s->cols[c].type == CELL_TEXT &&
            (widest_text < 0 || s->cols[c].max_width > s->cols[out->col[widest_text]].max_width)) {
            widest_text = out->ncols;
        }
        out->ncols++;
    }
    int slack = width - used;
    if (out->ncols == 0) {
        out->total = width;
        return;
    }
    if (slack < 0) {
        /* squeeze columns from the right down to their minimum */
        for (int i = out->ncols - 1; i >= 0 && slack < 0; i--) {
            int give = out->width[i] - s->cols[out->col[i]].min_width;
            if (give > -slack) {
                give = -slack;
            }
            if (give > 0) {
                out->width[i] -= give;
                slack += give;
            }
        }
        if (slack < 0) {
            out->width[out->ncols - 1] += slack;
            if (out->width[out->ncols - 1] < 1) {
                out->width[out->ncols - 1] = 1;
            }
        }
    } else if (widest_text >= 0) {
        out->width[widest_text] += slack;
    }
    out->total = width;
}

bool table_hscroll(struct tableview *tv, int width, int dir)
{
    int step = width / 3 > 8 ? width / 3 : 8;
    if (dir < 0) {
        if (!tv->wide) {
            return false;
        }
        if (tv->hoff == 0) {
            tv->wide = false; /* back to the fitted view */
        }
        tv->hoff = tv->hoff > step ? tv->hoff - step : 0;
        return true;
    }
    struct table_layout lay;
    if (!tv->wide) {
        table_layout(tv, width, &lay);
        if (lay.natural <= width) {
            return false; /* everything shows already */
        }
        tv->wide = true;
        tv->hoff = 0;
        return true;
    }
    table_layout(tv, width, &lay);
    int max = lay.total > width ? lay.total - width : 0;
    if (tv->hoff >= max) {
        return false;
    }
    tv->hoff = tv->hoff + step < max ? tv->hoff + step : max;
    return true;
}

void table_cell_text(const struct tableview *tv, const struct rowset *rs, size_t row, int col,
                     int64_t now_wall, char *buf, size_t len)
{
    const struct cell *cell = &rowset_cells(rs, row)[col];
    if (model_schema(tv->kind)->cols[col].type == CELL_AGE) {
        if (cell->num <= 0) {
            snprintf(buf, len, "%s", rowset_str(rs, cell->text));
        } else {
            duration_format(buf, len, now_wall - (int64_t)cell->num);
        }
        return;
    }
    if (model_schema(tv->kind)->cols[col].type == CELL_NUM && isnan(cell->num)) {
        buf[0] = '\0'; /* no data: an empty cell, never "NaN" */
        return;
    }
    snprintf(buf, len, "%s", rowset_str(rs, cell->text));
}

/* The series of a CELL_SPARK cell drawn in width cells. */
static void spark_cell(const char *series, int width, bool ascii, char *buf, size_t len)
{
    double v[512];
    size_t n = spark_parse(series, v, sizeof v / sizeof v[0]);
    int max = (int)((len - 1) / 3);
    spark_render(buf, len, v, n, width < max ? width : max, ascii);
}

/* The BURN lights ("..TP") as glyphs; ASCII keeps the letters. */
static void lights_cell(const char *lights, const struct glyphs *g, char *buf, size_t len)
{
    if (g->ascii || g->lit == NULL) {
        snprintf(buf, len, "%s", lights);
        return;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (const char *p = lights; *p != '\0'; p++) {
        char other[2] = {*p, '\0'}; /* not a light: shown as it is (the screen filters it) */
        const char *s = *p == '.'                ? g->unlit
                        : *p == '?'              ? g->nodata
                        : *p == 'T' || *p == 'P' ? g->lit
                                                 : other;
        size_t n = strlen(s);
        if (at + n + 1 > len) {
            break;
        }
        memcpy(buf + at, s, n + 1);
        at += n;
    }
}

void table_cell_shown(const struct tableview *tv, const struct rowset *rs, size_t row, int col,
                      int width, int64_t now_wall, const struct glyphs *g, char *buf, size_t len)
{
    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    if (width < 1) {
        return;
    }
    const char *raw = rowset_cell_text(rs, row, col);
    if (model_schema(tv->kind)->cols[col].type == CELL_SPARK) {
        spark_cell(raw, width, g->ascii, buf, len);
    } else if (tv->kind == MODEL_SIGNALS && col == SIGNAL_BURN) {
        lights_cell(raw, g, buf, len);
    } else {
        table_cell_text(tv, rs, row, col, now_wall, buf, len);
    }
}

enum align { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_TAIL };

/*
 * A cell at virtual column vx (cw cells) of a row scrolled by hoff, in a
 * window of width cells from screen column x: only the part in view, cut at
 * either edge. Unscrolled cells that fit are drawn as they always were.
 */
static void put_cell(WINDOW *w, int y, int x, int vx, int cw, int hoff, int width, const char *text,
                     unsigned attr, enum align align, const struct glyphs *g)
{
    if (hoff == 0 && vx + cw <= width) {
        if (align == ALIGN_RIGHT) {
            screen_put_right(w, y, x + vx, cw, text, attr, g);
        } else if (align == ALIGN_TAIL) {
            screen_put_tail(w, y, x + vx, cw, text, attr, g);
        } else {
            screen_put(w, y, x + vx, cw, text, attr, g);
        }
        return;
    }
    int lo = vx > hoff ? vx : hoff;
    int hi = vx + cw < hoff + width ? vx + cw : hoff + width;
    if (hi <= lo) {
        return;
    }
    char fit[1024];
    int fw = align == ALIGN_TAIL ? utf8_fit_tail(fit, sizeof fit, text, cw, g->ellipsis)
                                 : utf8_fit(fit, sizeof fit, text, cw, g->ellipsis);
    char *cell = align == ALIGN_RIGHT ? xasprintf("%*s%s", cw - fw, "", fit)
                                      : xasprintf("%s%*s", fit, cw - fw, "");
    int over;
    const char *rest = utf8_skip_width(cell, lo - vx, &over);
    if (hi - lo - over > 0) {
        struct glyphs clean =
            *g; /* cut clean at the window's edge: the marker says there is more */
        clean.ellipsis = "";
        screen_put(w, y, x + (lo - hoff) + over, hi - lo - over, rest, attr, &clean);
    }
    free(cell);
}

static void draw_header(WINDOW *w, int y, int x, const struct tableview *tv,
                        const struct table_layout *lay, int width, const struct glyphs *g)
{
    const struct model_schema *s = model_schema(tv->kind);
    unsigned attr = theme_attr(THEME_HEADER);
    screen_fill(w, y, x, width, attr);
    int hoff = tv->wide ? tv->hoff : 0;
    int vx = 0;
    for (int i = 0; i < lay->ncols; i++) {
        int c = lay->col[i];
        char title[64];
        snprintf(title, sizeof title, "%s%s", s->cols[c].title,
                 tv->sort_col == c ? (tv->sort_desc ? g->down : g->up) : "");
        put_cell(w, y, x, vx, lay->width[i], hoff, width, title, attr,
                 s->cols[c].type == CELL_TEXT ? ALIGN_LEFT : ALIGN_RIGHT, g);
        vx += lay->width[i] + 1;
    }
    /* more to a side: h/l show it */
    if (hoff > 0) {
        screen_put(w, y, x, 1, g->left, attr | A_BOLD, g);
    }
    if ((tv->wide && hoff + width < lay->total) || (!tv->wide && lay->natural > width)) {
        screen_put(w, y, x + width - 1, 1, g->right, attr | A_BOLD, g);
    }
}

static void draw_row(WINDOW *w, int y, int x, const struct tableview *tv, size_t idx,
                     const struct table_layout *lay, int width, bool selected, int64_t now_wall,
                     const struct glyphs *g)
{
    const struct model_schema *s = model_schema(tv->kind);
    const struct rowset *rs = tv->rows[idx].rs;
    size_t row = tv->rows[idx].row;
    const struct cell *cells = rowset_cells(rs, row);
    unsigned row_attr = table_tone_attr((enum tone)rs->rows[row].tone);
    unsigned sel_attr = theme_attr(THEME_SELECTED);
    if (selected) {
        screen_fill(w, y, x, width, sel_attr);
    }
    int hoff = tv->wide ? tv->hoff : 0;
    int vx = 0;
    for (int i = 0; i < lay->ncols; i++) {
        int c = lay->col[i];
        char text[1024];
        if (c != tv->group_counts_col || !tableview_group_counts(tv, idx, text, sizeof text)) {
            table_cell_shown(tv, rs, row, c, lay->width[i], now_wall, g, text, sizeof text);
        }
        if (c == tv->group_col && tv->group_size != NULL && tv->group_size[idx] > 1) {
            size_t n = strlen(text);
            snprintf(text + n, sizeof text - n, " (%u)", tv->group_size[idx]);
        }
        unsigned attr =
            cells[c].tone != TONE_NORMAL ? table_tone_attr((enum tone)cells[c].tone) : row_attr;
        if (selected) {
            attr = sel_attr;
        }
        enum align align = s->cols[c].type != CELL_TEXT         ? ALIGN_RIGHT
                           : (s->cols[c].flags & COL_KEEP_TAIL) ? ALIGN_TAIL
                                                                : ALIGN_LEFT;
        put_cell(w, y, x, vx, lay->width[i], hoff, width, text, attr, align, g);
        vx += lay->width[i] + 1;
    }
}

void table_draw(WINDOW *w, int y, int x, int height, int width, struct tableview *tv, bool focused,
                int64_t now_wall, const struct glyphs *g)
{
    if (height < 1 || width < 4) {
        return;
    }
    /* marked rows get a gutter, only while there are marks */
    int gutter = tv->nmarks > 0 ? 2 : 0;
    struct table_layout lay;
    table_layout(tv, width - gutter, &lay);
    if (gutter) {
        screen_fill(w, y, x, gutter, theme_attr(THEME_HEADER));
    }
    draw_header(w, y, x + gutter, tv, &lay, width - gutter, g);
    int body = height - 1;
    tableview_scroll(tv, body);
    for (int i = 0; i < body; i++) {
        size_t idx = tv->top + (size_t)i;
        if (idx >= tv->nrows) {
            break;
        }
        bool selected = focused && idx == tv->sel;
        if (gutter && tableview_is_marked(tv, tv->rows[idx].rs, tv->rows[idx].row)) {
            screen_put(w, y + 1 + i, x, gutter, g->marked,
                       selected ? theme_attr(THEME_SELECTED) : theme_attr(THEME_KEY), g);
        } else if (gutter && selected) {
            screen_fill(w, y + 1 + i, x, gutter, theme_attr(THEME_SELECTED));
        }
        draw_row(w, y + 1 + i, x + gutter, tv, idx, &lay, width - gutter, selected, now_wall, g);
    }
}
