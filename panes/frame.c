/* Text down a pane's window (frame.h). */
#include "frame.h"

#include "../common/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void lines_add(struct frame_lines *l, const char *text, unsigned attr)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n].text = xstrdup(text);
    l->v[l->n].attr = attr;
    l->n++;
}

void frame_lines_free(struct frame_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

struct frame frame_collect(struct frame_lines *lines, int w, const struct glyphs *gl)
{
    struct frame f = {.y = 0, .bottom = INT_MAX, .x = 0, .w = w, .gl = gl, .collect = lines};
    return f;
}

void frame_draw_lines(struct frame *f, const struct frame_lines *l, size_t first, int rows)
{
    for (size_t i = first; i < l->n && rows > 0; i++, rows--) {
        frame_put(f, l->v[i].text, l->v[i].attr);
    }
}

void frame_put(struct frame *f, const char *text, unsigned attr)
{
    if (f->collect != NULL) {
        lines_add(f->collect, text, attr);
        f->y++;
        return;
    }
    if (f->y < f->bottom) {
        screen_put(f->win, f->y, f->x, f->w, text, attr, f->gl);
        f->y++;
    }
}

struct wrap_put {
    struct frame *f;
    unsigned attr;
    int max; /* lines left for this text */
};

static void wrap_put_line(const char *line, void *ud)
{
    struct wrap_put *wp = ud;
    if (wp->max > 0) {
        frame_put(wp->f, line, wp->attr);
        wp->max--;
    }
}

void frame_put_wrapped(struct frame *f, const char *text, unsigned attr, int max, bool skip_blank)
{
    struct wrap_put wp = {.f = f, .attr = attr, .max = max};
    frame_wrap(text, f->w, skip_blank, wrap_put_line, &wp);
}

void frame_rule(struct frame *f, unsigned attr)
{
    if (f->y >= f->bottom) {
        return;
    }
    struct strbuf sb = {0};
    for (int i = 0; i < f->w; i++) {
        strbuf_str(&sb, f->gl->h);
    }
    frame_put(f, sb.s, attr);
    free(sb.s);
}

/* Bytes of s's longest prefix of whole characters that fits in width cells (at least one). */
static size_t fit_bytes(const char *s, int width)
{
    size_t at = 0;
    int used = 0;
    while (s[at] != '\0') {
        unsigned char c = (unsigned char)s[at];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        size_t k = 0;
        while (k < n && s[at + k] != '\0') {
            k++;
        }
        char ch[8] = {0};
        memcpy(ch, s + at, k);
        int cw = utf8_width(ch);
        if (used + cw > width && at > 0) {
            break;
        }
        used += cw;
        at += k;
    }
    return at;
}

int frame_wrap(const char *text, int width, bool skip_blank, void (*fn)(const char *line, void *ud),
               void *ud)
{
    int count = 0;
    struct strbuf line = {0};
    if (width < 4) {
        width = 4;
    }
    for (const char *p = text; *p != '\0' || line.n > 0;) {
        size_t n = strcspn(p, "\n");
        char *para = xstrndup(p, n);
        char *save = NULL;
        int lw = 0;
        line.n = 0;
        strbuf_add(&line, "", 0);
        for (char *word = strtok_r(para, " \t", &save); word != NULL;
             word = strtok_r(NULL, " \t", &save)) {
            int ww = utf8_width(word);
            while (ww > width) {
                /* a word wider than the line (a URL, a command): broken, never cut */
                if (lw > 0) {
                    fn(line.s, ud);
                    count++;
                    line.n = 0;
                    line.s[0] = '\0';
                    lw = 0;
                }
                size_t b = fit_bytes(word, width);
                char *piece = xstrndup(word, b);
                fn(piece, ud);
                free(piece);
                count++;
                word += b;
                ww = utf8_width(word);
            }
            if (ww == 0) {
                continue;
            }
            if (lw > 0 && lw + 1 + ww > width) {
                fn(line.s, ud);
                count++;
                line.n = 0;
                line.s[0] = '\0';
                lw = 0;
            }
            if (lw > 0) {
                strbuf_add(&line, " ", 1);
                lw++;
            }
            strbuf_str(&line, word);
            lw += ww;
        }
        if (lw > 0 || !skip_blank) {
            fn(line.s, ud);
            count++;
        }
        line.n = 0;
        free(para);
        p += n;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    free(line.s);
    return count;
}

char *frame_reflow(const char *text, const char *keep)
{
    char *s = xstrdup(text);
    for (char *p = strchr(s, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
        char next = p[1];
        bool brk =
            next == '\n' || next == '\0' || strchr(keep, next) != NULL || (p > s && p[-1] == '\n');
        if (!brk) {
            *p = ' ';
        }
    }
    return s;
}

void frame_put_hard(struct frame *f, const char *text, unsigned attr, int indent)
{
    int w = f->w;
    bool first = true;
    do {
        int room = first ? w : w - indent;
        if (room < 4) {
            room = 4;
        }
        size_t b = fit_bytes(text, room);
        char *piece = xstrndup(text, b);
        if (first) {
            frame_put(f, piece, attr);
        } else {
            char *line = xasprintf("%*s%s", indent, "", piece);
            frame_put(f, line, attr);
            free(line);
        }
        free(piece);
        text += b;
        first = false;
    } while (*text != '\0');
}

/* ---- Markdown tables ---- */

struct table {
    char ***cells; /* rows of cells */
    size_t *ncells;
    bool *head;
    size_t nrows, ncols;
};

static bool is_rule_row(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *c = cells[i];
        c += *c == ':';
        size_t dashes = strspn(c, "-");
        if (dashes == 0 || (c[dashes] != '\0' && strcmp(c + dashes, ":") != 0)) {
            return false;
        }
    }
    return n > 0;
}

/* "| a | b |" into its trimmed cells. */
static char **split_row(const char *line, size_t *n)
{
    const char *s = line + strspn(line, " ");
    s += *s == '|';
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == ' ') {
        len--;
    }
    if (len > 0 && s[len - 1] == '|') {
        len--;
    }
    char **cells = NULL;
    *n = 0;
    for (size_t at = 0;;) {
        size_t k = 0;
        while (at + k < len && s[at + k] != '|') {
            k++;
        }
        cells = xreallocarray(cells, *n + 1, sizeof *cells);
        char *c = xstrndup(s + at, k);
        str_trim(c);
        cells[(*n)++] = c;
        at += k;
        if (at >= len) {
            break;
        }
        at++;
    }
    return cells;
}

static void table_add(struct table *t, const char *line)
{
    size_t n;
    char **cells = split_row(line, &n);
    if (t->nrows > 0 && is_rule_row(cells, n)) {
        t->head[t->nrows - 1] = true;
        for (size_t i = 0; i < n; i++) {
            free(cells[i]);
        }
        free(cells);
        return;
    }
    t->cells = xreallocarray(t->cells, t->nrows + 1, sizeof *t->cells);
    t->ncells = xreallocarray(t->ncells, t->nrows + 1, sizeof *t->ncells);
    t->head = xreallocarray(t->head, t->nrows + 1, sizeof *t->head);
    t->cells[t->nrows] = cells;
    t->ncells[t->nrows] = n;
    t->head[t->nrows] = false;
    t->nrows++;
    if (n > t->ncols) {
        t->ncols = n;
    }
}

static void table_free(struct table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncells[r]; c++) {
            free(t->cells[r][c]);
        }
        free(t->cells[r]);
    }
    free(t->cells);
    free(t->ncells);
    free(t->head);
    memset(t, 0, sizeof *t);
}

/* Column widths that fit width: narrow columns keep theirs, wide ones share the rest. */
static void column_widths(const struct table *t, int width, int sepw, int *w)
{
    int avail = width - sepw * (int)(t->ncols - 1);
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = 1;
        for (size_t r = 0; r < t->nrows; r++) {
            if (c < t->ncells[r]) {
                int cw = utf8_width(t->cells[r][c]);
                w[c] = cw > w[c] ? cw : w[c];
            }
        }
    }
    bool *fixed = xcalloc(t->ncols, sizeof *fixed);
    size_t left = t->ncols;
    for (bool again = true; again && left > 0;) {
        again = false;
        int share = avail / (int)left;
        for (size_t c = 0; c < t->ncols; c++) {
            if (!fixed[c] && w[c] <= share) {
                fixed[c] = true;
                avail -= w[c];
                left--;
                again = true;
            }
        }
    }
    for (size_t c = 0, k = 0; c < t->ncols; c++) {
        if (!fixed[c]) {
            int share = avail / (int)left + ((int)k < avail % (int)left ? 1 : 0);
            w[c] = share > 3 ? share : 3;
            k++;
        }
    }
    free(fixed);
}

struct cell_lines {
    char **v;
    size_t n;
};

static void cell_line(const char *line, void *ud)
{
    struct cell_lines *cl = ud;
    cl->v = xreallocarray(cl->v, cl->n + 1, sizeof *cl->v);
    cl->v[cl->n++] = xstrdup(line);
}

static void pad_to(struct strbuf *sb, const char *text, int width)
{
    strbuf_str(sb, text);
    for (int k = utf8_width(text); k < width; k++) {
        strbuf_add(sb, " ", 1);
    }
}

static void table_put(struct frame *f, const struct table *t, unsigned attr)
{
    const char *sep = f->gl->v[0] == '|' ? " | " : " \xe2\x94\x82 "; /* " │ " */
    int *w = xcalloc(t->ncols, sizeof *w);
    column_widths(t, f->w, 3, w);
    for (size_t r = 0; r < t->nrows; r++) {
        struct cell_lines *cl = xcalloc(t->ncols, sizeof *cl);
        size_t height = 1;
        for (size_t c = 0; c < t->ncols; c++) {
            frame_wrap(c < t->ncells[r] ? t->cells[r][c] : "", w[c], true, cell_line, &cl[c]);
            height = cl[c].n > height ? cl[c].n : height;
        }
        for (size_t k = 0; k < height; k++) {
            struct strbuf sb = {0};
            strbuf_add(&sb, "", 0);
            for (size_t c = 0; c < t->ncols; c++) {
                if (c > 0) {
                    strbuf_str(&sb, sep);
                }
                pad_to(&sb, k < cl[c].n ? cl[c].v[k] : "", c + 1 < t->ncols ? w[c] : 0);
            }
            frame_put(f, sb.s, t->head[r] ? attr | A_BOLD : attr);
            free(sb.s);
        }
        if (t->head[r]) {
            struct strbuf sb = {0};
            int total = 3 * (int)(t->ncols - 1);
            for (size_t c = 0; c < t->ncols; c++) {
                total += w[c];
            }
            for (int k = 0; k < total && k < f->w; k++) {
                strbuf_str(&sb, f->gl->h);
            }
            frame_put(f, sb.s, attr);
            free(sb.s);
        }
        for (size_t c = 0; c < t->ncols; c++) {
            for (size_t k = 0; k < cl[c].n; k++) {
                free(cl[c].v[k]);
            }
            free(cl[c].v);
        }
        free(cl);
    }
    free(w);
}

static bool table_line(const char *s, size_t n)
{
    size_t sp = 0;
    while (sp < n && s[sp] == ' ') {
        sp++;
    }
    return sp < n && s[sp] == '|';
}

void frame_put_text(struct frame *f, const char *text, unsigned attr, const char *keep)
{
    struct strbuf para = {0};
    strbuf_add(&para, "", 0);
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        if (table_line(p, n)) {
            if (para.n > 0) {
                char *flowed = frame_reflow(para.s, keep);
                frame_put_wrapped(f, flowed, attr, INT_MAX, false);
                free(flowed);
                para.n = 0;
                para.s[0] = '\0';
            }
            struct table t = {0};
            while (table_line(p, n)) {
                char *row = xstrndup(p, n);
                table_add(&t, row);
                free(row);
                p += n + (p[n] == '\n');
                n = strcspn(p, "\n");
            }
            table_put(f, &t, attr);
            table_free(&t);
            continue;
        }
        strbuf_add(&para, p, n);
        p += n;
        if (*p == '\n') {
            p++;
            if (*p != '\0' && !table_line(p, strcspn(p, "\n"))) {
                strbuf_add(&para, "\n", 1);
            }
        }
    }
    if (para.n > 0) {
        char *flowed = frame_reflow(para.s, keep);
        frame_put_wrapped(f, flowed, attr, INT_MAX, false);
        free(flowed);
    }
    free(para.s);
}
