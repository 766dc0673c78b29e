/*
 * Saved views and per-pane columns (view.h). The string is parsed and
 * written here; the console parts (:view, :cols, applying one at start) go
 * through the table pane (tablepane_edit) and the contexts (ctx.h), and the
 * views file through paths_write_whole like the other state files.
 */
#include "view.h"

#include "clipboard.h"
#include "console.h"
#include "ctx.h"
#include "table.h"

#include "../common/util.h"
#include "../engine/config.h"
#include "../engine/paths.h"
#include "../panes/tablepane.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { VIEW_FILE_MAX = 256 * 1024 };

void view_init(struct view *v, enum model_kind kind)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->sort_col = -1;
    v->group_col = -1;
}

void view_free(struct view *v)
{
    free(v->ctx);
    free(v->filter);
    v->ctx = NULL;
    v->filter = NULL;
}

/* ---- the string ---- */

char *view_escape(const char *s)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    for (; *s != '\0'; s++) {
        if (*s == ';' || *s == '%' || *s == ',') {
            strbuf_printf(&sb, "%%%02X", (unsigned char)*s);
        } else {
            strbuf_add(&sb, s, 1);
        }
    }
    return sb.s;
}

/* %XX of two hex digits is that byte (not a control character); any other '%' is itself. */
static char *unescape(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = s[i] == '%' && i + 2 < n ? str_hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? str_hex_value(s[i + 2]) : -1;
        int byte = hi * 16 + lo;
        if (hi >= 0 && lo >= 0 && byte >= 0x20 && byte != 0x7f) {
            out[k++] = (char)byte;
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

/* An unescaped, trimmed copy of s[0..n). */
static char *piece(const char *s, size_t n)
{
    char *raw = xstrndup(s, n);
    str_trim(raw);
    char *out = unescape(raw, strlen(raw));
    free(raw);
    return out;
}

static const char *pane_names(void)
{
    static char buf[256];
    if (buf[0] == '\0') {
        for (int k = 0; k < MODEL_KINDS; k++) {
            if (k == MODEL_PROMQL) {
                continue;
            }
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", model_schema(k)->name);
        }
    }
    return buf;
}

static bool column(enum model_kind kind, const char *title, const char *field, int *out,
                   char **cause)
{
    if (*title == '\0') {
        *cause = xasprintf("%s: a column title is missing", field);
        return false;
    }
    *out = model_column_by_title(kind, title);
    if (*out < 0) {
        *cause = xasprintf("%s: unknown column '%s' in %s", field, title, model_schema(kind)->name);
        return false;
    }
    return true;
}

/* A list of columns "A,B,C" into cols; false with *cause. */
static bool column_list(enum model_kind kind, const char *list, const char *field, int *cols,
                        int *n, char **cause)
{
    *n = 0;
    const char *s = list;
    for (;;) {
        size_t len = strcspn(s, ",");
        char *title = piece(s, len);
        int c;
        bool ok = column(kind, title, field, &c, cause);
        for (int i = 0; ok && i < *n; i++) {
            if (cols[i] == c) {
                *cause = xasprintf("%s: column '%s' given twice", field,
                                   model_schema(kind)->cols[c].title);
                ok = false;
            }
        }
        free(title);
        if (!ok) {
            return false;
        }
        cols[(*n)++] = c; /* at most ncols <= 16: a repeat fails first */
        if (s[len] == '\0') {
            return true;
        }
        s += len + 1;
    }
}

static bool parse_ctx(struct view *v, const char *val, char **cause)
{
    struct strbuf sb = {0};
    for (const char *s = val;;) {
        size_t len = strcspn(s, ",");
        char *name = piece(s, len);
        bool bad = *name == '\0';
        if (!bad) {
            strbuf_printf(&sb, "%s%s", sb.s != NULL ? "," : "", name);
        }
        free(name);
        if (bad) {
            free(sb.s);
            *cause = xstrdup("ctx: a context name is missing (ctx=all or ctx=NAME,NAME)");
            return false;
        }
        if (s[len] == '\0') {
            break;
        }
        s += len + 1;
    }
    v->ctx = sb.s;
    return true;
}

static bool parse_field(struct view *v, const char *key, const char *val, char **cause)
{
    if (strcasecmp(key, "ctx") == 0) {
        return parse_ctx(v, val, cause);
    }
    if (strcasecmp(key, "filter") == 0) {
        v->filter = unescape(val, strlen(val));
        if (strlen(v->filter) >= sizeof((struct tableview *)0)->filter) {
            *cause = xasprintf("filter: longer than %zu bytes",
                               sizeof((struct tableview *)0)->filter - 1);
            return false;
        }
        return true;
    }
    char *text = xstrdup(val);
    str_trim(text);
    bool ok = true;
    if (strcasecmp(key, "sort") == 0) {
        v->has_sort = true;
        v->sort_desc = *text == '-';
        char *title = piece(text + v->sort_desc, strlen(text + v->sort_desc));
        if (*text == '\0') {
            v->sort_col = -1; /* the order the backends published */
        } else if (*title == '\0') {
            *cause = xasprintf("sort: '%s' names no column (expected sort=COL or sort=-COL)", text);
            ok = false;
        } else {
            ok = column(v->kind, title, "sort", &v->sort_col, cause);
        }
        free(title);
    } else if (strcasecmp(key, "group") == 0) {
        char *title = piece(text, strlen(text));
        ok = column(v->kind, title, "group", &v->group_col, cause);
        free(title);
    } else if (strcasecmp(key, "cols") == 0) {
        ok = column_list(v->kind, text, "cols", v->cols, &v->ncols, cause);
    } else {
        *cause = xasprintf("unknown field '%s' (expected ctx, filter, sort, group or cols)", key);
        ok = false;
    }
    free(text);
    return ok;
}

bool view_parse(const char *text, struct view *out, char **cause)
{
    static const char *const fields[] = {"ctx", "filter", "sort", "group", "cols"};
    view_init(out, MODEL_ALERTS);
    size_t len = strcspn(text, ";");
    char *pane = piece(text, len);
    enum model_kind kind;
    if (*pane == '\0') {
        *cause = xasprintf("empty view: it starts with a pane (%s)", pane_names());
        free(pane);
        return false;
    }
    if (!model_kind_from_name(pane, &kind) || kind == MODEL_PROMQL) {
        *cause = xasprintf("unknown pane '%s' (expected %s)", pane, pane_names());
        free(pane);
        return false;
    }
    free(pane);
    out->kind = kind;
    bool seen[5] = {false};
    const char *s = text + len;
    while (*s == ';') {
        s++;
        size_t n = strcspn(s, ";");
        const char *eq = memchr(s, '=', n);
        char *key = eq != NULL ? xstrndup(s, (size_t)(eq - s)) : xstrndup(s, n);
        str_trim(key);
        bool ok = true;
        if (eq == NULL && *key != '\0') {
            *cause = xasprintf("field '%s' has no value (expected NAME=VALUE: ctx, filter, sort, "
                               "group or cols)",
                               key);
            ok = false;
        } else if (eq != NULL) {
            size_t f = 0;
            while (f < 5 && strcasecmp(key, fields[f]) != 0) {
                f++;
            }
            if (f < 5 && seen[f]) {
                *cause = xasprintf("field '%s' given twice", fields[f]);
                ok = false;
            } else {
                if (f < 5) {
                    seen[f] = true;
                }
                char *val = xstrndup(eq + 1, n - (size_t)(eq + 1 - s));
                ok = parse_field(out, key, val, cause);
                free(val);
            }
        }
        free(key);
        if (!ok) {
            view_free(out);
            return false;
        }
        s += n;
    }
    return true;
}

char *view_format(const struct view *v)
{
    const struct model_schema *s = model_schema(v->kind);
    struct strbuf sb = {0};
    strbuf_str(&sb, s->name);
    if (v->ctx != NULL) {
        strbuf_str(&sb, ";ctx=");
        const char *c = v->ctx;
        for (bool first = true;; first = false) {
            size_t n = strcspn(c, ",");
            char *one = xstrndup(c, n);
            char *e = view_escape(one);
            strbuf_printf(&sb, "%s%s", first ? "" : ",", e);
            free(e);
            free(one);
            if (c[n] == '\0') {
                break;
            }
            c += n + 1;
        }
    }
    if (v->filter != NULL && v->filter[0] != '\0') {
        char *e = view_escape(v->filter);
        strbuf_printf(&sb, ";filter=%s", e);
        free(e);
    }
    if (v->has_sort) {
        char *e = view_escape(v->sort_col >= 0 ? s->cols[v->sort_col].title : "");
        strbuf_printf(&sb, ";sort=%s%s", v->sort_col >= 0 && v->sort_desc ? "-" : "", e);
        free(e);
    }
    if (v->group_col >= 0) {
        char *e = view_escape(s->cols[v->group_col].title);
        strbuf_printf(&sb, ";group=%s", e);
        free(e);
    }
    if (v->ncols > 0) {
        strbuf_str(&sb, ";cols=");
        for (int i = 0; i < v->ncols; i++) {
            char *e = view_escape(s->cols[v->cols[i]].title);
            strbuf_printf(&sb, "%s%s", i ? "," : "", e);
            free(e);
        }
    }
    return sb.s;
}

/* ---- a tableview ---- */

void view_apply_table(const struct view *v, struct tableview *tv, const struct store *st,
                      int def_sort, bool def_desc)
{
    tableview_set_columns(tv, v->cols, v->ncols);
    tableview_set_group(tv, st, v->group_col);
    if (v->has_sort) {
        tableview_set_sort(tv, st, v->sort_col, v->sort_desc);
    } else {
        tableview_set_sort(tv, st, def_sort, def_desc);
    }
    tableview_set_filter(tv, st, v->filter != NULL ? v->filter : "");
}

void view_capture_table(struct view *out, const struct tableview *tv, int def_sort, bool def_desc)
{
    view_init(out, tv->kind);
    if (tv->filter[0] != '\0') {
        out->filter = xstrdup(tv->filter);
    }
    bool same = tv->sort_col == def_sort && (tv->sort_col < 0 || tv->sort_desc == def_desc);
    if (!same) {
        out->has_sort = true;
        out->sort_col = tv->sort_col;
        out->sort_desc = tv->sort_col >= 0 && tv->sort_desc;
    }
    out->group_col = tv->group_auto ? -1 : tv->group_col; /* the pane's own grouping is no choice */
    for (int i = 0; i < tv->ncolorder && i < VIEW_MAX_COLS; i++) {
        out->cols[out->ncols++] = tv->colorder[i];
    }
}

/* ---- :cols ---- */

static bool in_list(const int *cols, int n, int c, int *at)
{
    for (int i = 0; i < n; i++) {
        if (cols[i] == c) {
            if (at != NULL) {
                *at = i;
            }
            return true;
        }
    }
    return false;
}

bool view_cols_edit(const struct tableview *tv, const char *arg, int *cols, int *n, char **cause)
{
    const struct model_schema *s = model_schema(tv->kind);
    char *text = xstrdup(arg);
    str_trim(text);
    bool ok = true;
    if (strcasecmp(text, "reset") == 0) {
        *n = 0;
    } else if (text[0] != '+' && text[0] != '-') {
        ok = column_list(tv->kind, text, ":cols", cols, n, cause);
    } else {
        *n = table_shown_columns(tv, cols);
        for (char *t = text; ok && *t != '\0';) {
            t += strspn(t, " \t");
            if (*t == '\0') {
                break;
            }
            size_t len = strcspn(t, " \t");
            char sign = *t;
            char *title = piece(t + 1, len - 1);
            int c, at;
            if (sign != '+' && sign != '-') {
                *cause = xasprintf(":cols: '%.*s': expected +COL or -COL", (int)len, t);
                ok = false;
            } else if (!(ok = column(tv->kind, title, ":cols", &c, cause))) {
                /* said */
            } else if (sign == '-' && !in_list(cols, *n, c, &at)) {
                *cause = xasprintf(":cols: %s is hidden already", s->cols[c].title);
                ok = false;
            } else if (sign == '-' && *n == 1) {
                *cause = xasprintf(":cols: %s is the last column shown", s->cols[c].title);
                ok = false;
            } else if (sign == '-') {
                memmove(cols + at, cols + at + 1, (size_t)(*n - at - 1) * sizeof *cols);
                (*n)--;
            } else if (in_list(cols, *n, c, NULL)) {
                *cause = xasprintf(":cols: %s is shown already", s->cols[c].title);
                ok = false;
            } else {
                /* at its place in the schema when the others are in schema order */
                bool ordered = true;
                for (int i = 1; i < *n; i++) {
                    ordered = ordered && cols[i - 1] < cols[i];
                }
                int pos = *n;
                for (int i = 0; ordered && i < *n; i++) {
                    if (cols[i] > c) {
                        pos = i;
                        break;
                    }
                }
                memmove(cols + pos + 1, cols + pos, (size_t)(*n - pos) * sizeof *cols);
                cols[pos] = c;
                (*n)++;
            }
            free(title);
            t += len;
        }
    }
    free(text);
    return ok;
}

char *view_cols_describe(const struct tableview *tv)
{
    const struct model_schema *s = model_schema(tv->kind);
    int cols[16];
    int n = table_shown_columns(tv, cols);
    struct strbuf sb = {0};
    strbuf_str(&sb, "shown: ");
    for (int i = 0; i < n; i++) {
        strbuf_printf(&sb, "%s%s", i ? ", " : "", s->cols[cols[i]].title);
    }
    bool any = false;
    const char *auto_hidden = NULL; /* CONTEXT while one context is shown: not the user's doing */
    for (int c = 0; c < s->ncols; c++) {
        if (in_list(cols, n, c, NULL)) {
            continue;
        }
        if (tv->ncolorder == 0 && table_col_auto_hidden(tv, c)) {
            auto_hidden = s->cols[c].title;
            continue;
        }
        strbuf_printf(&sb, "%s%s", any ? ", " : "  hidden: ", s->cols[c].title);
        any = true;
    }
    if (!any) {
        strbuf_str(&sb, "  hidden: none");
    }
    if (tv->ncolorder == 0) {
        strbuf_str(&sb, "  (the default");
        if (auto_hidden != NULL) {
            strbuf_printf(&sb, "; %s shows with more than one context", auto_hidden);
        }
        strbuf_str(&sb, ")");
    }
    return sb.s;
}

/* ---- named views ---- */

bool view_name_ok(const char *name)
{
    if (*name == '\0' || strcmp(name, "save") == 0 || strcmp(name, "rm") == 0 ||
        strcmp(name, "show") == 0) {
        return false;
    }
    for (const char *s = name; *s != '\0'; s++) {
        bool alnum =
            (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9');
        if (!alnum && *s != '_' && *s != '.' && *s != '-') {
            return false;
        }
    }
    return true;
}

char *view_state_path(void)
{
    char *dir = paths_state_dir();
    char *path = xasprintf("%s/views", dir);
    free(dir);
    return path;
}

void view_file_free(struct view_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].text);
    }
    free(f->v);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static void add_entry(struct view_file *f, const char *name, const char *text, int line)
{
    f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
    f->v[f->n].name = xstrdup(name);
    f->v[f->n].text = xstrdup(text);
    f->v[f->n].line = line;
    f->n++;
}

bool view_file_load(struct view_file *f, const char *path, char **cause)
{
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    FILE *in = fopen(path, "re");
    if (in == NULL) {
        if (errno == ENOENT) {
            return true;
        }
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return false;
    }
    char buf[8192];
    int line = 0;
    size_t total = 0;
    bool ok = true;
    while (ok && fgets(buf, sizeof buf, in) != NULL) {
        line++;
        total += strlen(buf);
        if (total > VIEW_FILE_MAX || (strchr(buf, '\n') == NULL && !feof(in))) {
            *cause = xasprintf("%s:%d: line or file too long", path, line);
            ok = false;
            break;
        }
        char *s = str_trim(buf);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            *cause = xasprintf("%s:%d: expected NAME = VIEW-STRING", path, line);
            ok = false;
            break;
        }
        *eq = '\0';
        char *name = str_trim(s), *text = str_trim(eq + 1);
        if (!view_name_ok(name) || *text == '\0') {
            *cause = xasprintf("%s:%d: bad view line (NAME = VIEW-STRING; a name is letters, "
                               "digits, _ . -)",
                               path, line);
            ok = false;
            break;
        }
        if (view_file_find(f, name) != NULL) {
            view_file_remove(f, name); /* the last one wins, as a save would leave it */
        }
        add_entry(f, name, text, line);
    }
    fclose(in);
    if (!ok) {
        char *p = f->path;
        f->path = NULL;
        view_file_free(f);
        f->path = p;
    }
    return ok;
}

bool view_file_save(const struct view_file *f, char **cause)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "# opsdeck saved views (:view save NAME); NAME = VIEW-STRING\n");
    for (size_t i = 0; i < f->n; i++) {
        strbuf_printf(&sb, "%s = %s\n", f->v[i].name, f->v[i].text);
    }
    bool ok = paths_write_whole(f->path, sb.s, 0600, cause);
    free(sb.s);
    return ok;
}

const struct view_entry *view_file_find(const struct view_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].name, name) == 0) {
            return &f->v[i];
        }
    }
    return NULL;
}

void view_file_set(struct view_file *f, const char *name, const char *text)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].name, name) == 0) {
            free(f->v[i].text);
            f->v[i].text = xstrdup(text);
            return;
        }
    }
    add_entry(f, name, text, 0);
}

bool view_file_remove(struct view_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].name, name) == 0) {
            free(f->v[i].name);
            free(f->v[i].text);
            memmove(f->v + i, f->v + i + 1, (f->n - i - 1) * sizeof *f->v);
            f->n--;
            return true;
        }
    }
    return false;
}

static const struct config_entry *config_view(const struct config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nviews; i++) {
        if (strcmp(cfg->views[i].key, name) == 0) {
            return &cfg->views[i];
        }
    }
    return NULL;
}

bool view_check_config(const struct config *cfg, char **cause)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nviews; i++) {
        const struct config_entry *e = &cfg->views[i];
        struct view v;
        char *why = NULL;
        if (!view_name_ok(e->key)) {
            *cause = xasprintf("%s:%d: view '%s': save, rm and show are :view's words, not names",
                               cfg->path, e->line, e->key);
            return false;
        }
        if (!view_parse(e->value, &v, &why)) {
            *cause = xasprintf("%s:%d: view %s: %s", cfg->path, e->line, e->key, why);
            free(why);
            return false;
        }
        view_free(&v);
    }
    return true;
}

bool view_resolve(const struct config *cfg, const char *state_path, const char *arg,
                  struct view *out, char **name, char **cause)
{
    char *why = NULL;
    if (name != NULL) {
        *name = NULL;
    }
    if (view_name_ok(arg)) {
        const struct config_entry *e = config_view(cfg, arg);
        if (e != NULL) {
            if (!view_parse(e->value, out, &why)) {
                *cause = xasprintf("%s:%d: view %s: %s", cfg->path, e->line, arg, why);
                free(why);
                return false;
            }
            if (name != NULL) {
                *name = xstrdup(arg);
            }
            return true;
        }
        struct view_file f;
        if (state_path != NULL && !view_file_load(&f, state_path, cause)) {
            view_file_free(&f);
            return false;
        }
        const struct view_entry *s = state_path != NULL ? view_file_find(&f, arg) : NULL;
        bool ok = true;
        if (s != NULL && !(ok = view_parse(s->text, out, &why))) {
            *cause = xasprintf("%s:%d: view %s: %s", f.path, s->line, arg, why);
            free(why);
        }
        if (s != NULL && ok && name != NULL) {
            *name = xstrdup(arg);
        }
        if (state_path != NULL) {
            view_file_free(&f);
        }
        if (s != NULL) {
            return ok;
        }
    }
    if (!view_parse(arg, out, &why)) {
        if (view_name_ok(arg)) {
            *cause = xasprintf("no view '%s' in the config or the saved views, and as a view "
                               "string: %s",
                               arg, why);
        } else {
            *cause = xasprintf("bad view '%s': %s", arg, why);
        }
        free(why);
        return false;
    }
    return true;
}

/* ---- the console ---- */

struct apply_arg {
    const struct view *v;
    const struct pane_table *t;
};

static void apply_cb(struct tableview *tv, const struct store *st, void *ud)
{
    const struct apply_arg *a = ud;
    view_apply_table(a->v, tv, st, a->t->sort_col, a->t->sort_desc);
}

bool view_apply(struct ui *ui, const struct view *v, char **cause)
{
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *to = &ui->panels[i];
        if (to->ops->table == NULL || to->ops->table->kind != v->kind || to->slot < 0 ||
            to->closed != NULL) {
            continue;
        }
        if (v->ctx != NULL && !ctx_select(ui, v->ctx, cause)) {
            return false;
        }
        struct apply_arg a = {v, to->ops->table};
        tablepane_edit(to->self, apply_cb, &a);
        struct slot *s = &ui->slots[to->slot];
        for (size_t j = 0; j < s->n; j++) {
            if (s->panel[j] == i) {
                s->shown = j;
            }
        }
        ui->need_layout = true;
        ui_focus(ui, to->slot);
        ui_dirty_all(ui);
        return true;
    }
    *cause = xasprintf("no pane %s on this screen", model_schema(v->kind)->name);
    return false;
}

bool view_capture(struct ui *ui, struct view *out, char **cause)
{
    struct panel *p = ui_focused_table(ui);
    enum model_kind kind;
    if (p == NULL || !model_kind_from_name(p->ops->name, &kind) || kind == MODEL_PROMQL) {
        *cause = xstrdup("the focused pane has no view (a table pane: Alerts, Queues, Pools...)");
        return false;
    }
    view_capture_table(out, tablepane_view(p->self), p->ops->table->sort_col,
                       p->ops->table->sort_desc);
    out->ctx = ctx_spec(ui);
    return true;
}

static void list_views(struct ui *ui)
{
    char *path = view_state_path(), *cause = NULL;
    struct view_file f;
    bool loaded = view_file_load(&f, path, &cause);
    const struct config *cfg = ui->opts.config;
    struct strbuf sb = {0};
    size_t n = 0;
    for (size_t i = 0; cfg != NULL && i < cfg->nviews; i++, n++) {
        strbuf_printf(&sb, "%s\t%s\n", cfg->views[i].key, cfg->views[i].value);
    }
    for (size_t i = 0; loaded && i < f.n; i++) {
        if (config_view(cfg, f.v[i].name) == NULL) {
            strbuf_printf(&sb, "%s\t%s (saved)\n", f.v[i].name, f.v[i].text);
            n++;
        }
    }
    if (!loaded) {
        strbuf_printf(&sb, "\nsaved views: %s\n", cause);
    }
    if (n == 0 && loaded) {
        ui_say(ui, false,
               "no views yet: :view save NAME saves the focused pane's ([views] in the "
               "config too)");
    } else {
        strbuf_str(&sb, "\n:view NAME shows one; :view show prints the focused pane's\n");
        dialogs_view(ui, NULL, "Views", sb.s);
    }
    free(sb.s);
    free(cause);
    free(path);
    view_file_free(&f);
}

static void save_view(struct ui *ui, const char *name)
{
    char *cause = NULL;
    const struct config_entry *ce = config_view(ui->opts.config, name);
    if (!view_name_ok(name)) {
        ui_say(ui, true, "usage: :view save NAME (letters, digits, _ . -)");
        return;
    }
    if (ce != NULL) {
        ui_say(ui, true, "%s is a view of the config (%s:%d): pick another name", name,
               ui->opts.config->path, ce->line);
        return;
    }
    struct view v;
    if (!view_capture(ui, &v, &cause)) {
        ui_say(ui, true, ":view save: %s", cause);
        free(cause);
        return;
    }
    char *text = view_format(&v);
    char *path = view_state_path();
    struct view_file f;
    if (view_file_load(&f, path, &cause)) {
        view_file_set(&f, name, text);
        if (view_file_save(&f, &cause)) {
            ui_say(ui, false, "view %s saved: %s", name, text);
        }
    }
    if (cause != NULL) {
        ui_say(ui, true, ":view save: %s", cause);
        free(cause);
    }
    view_file_free(&f);
    free(path);
    free(text);
    view_free(&v);
}

static void remove_view(struct ui *ui, const char *name)
{
    char *cause = NULL;
    char *path = view_state_path();
    struct view_file f;
    const struct config_entry *ce = config_view(ui->opts.config, name);
    if (view_file_load(&f, path, &cause)) {
        if (view_file_remove(&f, name)) {
            if (view_file_save(&f, &cause)) {
                ui_say(ui, false, "view %s removed", name);
            }
        } else if (ce != NULL) {
            ui_say(ui, true, "%s is a view of the config (%s:%d): remove it there", name,
                   ui->opts.config->path, ce->line);
        } else {
            ui_say(ui, true, "no saved view '%s' (:view lists them)", name);
        }
    }
    if (cause != NULL) {
        ui_say(ui, true, ":view rm: %s", cause);
        free(cause);
    }
    view_file_free(&f);
    free(path);
}

static void show_view(struct ui *ui)
{
    char *cause = NULL;
    struct view v;
    if (!view_capture(ui, &v, &cause)) {
        ui_say(ui, true, ":view show: %s", cause);
        free(cause);
        return;
    }
    char *text = view_format(&v);
    /* the string, and on the clipboard (OSC 52) to paste to a colleague */
    ui_say(ui, false, "%s", text);
    if (!clipboard_copy(text, &cause)) {
        ui_say(ui, true, "%s (not copied: %s)", text, cause);
        free(cause);
    }
    free(text);
    view_free(&v);
}

void view_command(struct ui *ui, const char *arg)
{
    if (arg == NULL || *arg == '\0') {
        list_views(ui);
        return;
    }
    size_t w = strcspn(arg, " \t");
    const char *rest = arg + w + strspn(arg + w, " \t");
    if (w == 4 && strncmp(arg, "save", 4) == 0) {
        save_view(ui, rest);
        return;
    }
    if (w == 2 && strncmp(arg, "rm", 2) == 0) {
        if (*rest == '\0') {
            ui_say(ui, true, "usage: :view rm NAME");
        } else {
            remove_view(ui, rest);
        }
        return;
    }
    if (w == 4 && strncmp(arg, "show", 4) == 0 && *rest == '\0') {
        show_view(ui);
        return;
    }
    char *path = view_state_path(), *cause = NULL, *name = NULL;
    struct view v;
    if (!view_resolve(ui->opts.config, path, arg, &v, &name, &cause)) {
        ui_say(ui, true, ":view: %s", cause);
    } else if (!view_apply(ui, &v, &cause)) {
        ui_say(ui, true, ":view: %s", cause);
        view_free(&v);
    } else {
        char *text = view_format(&v);
        ui_say(ui, false, "view %s%s%s", name != NULL ? name : "", name != NULL ? ": " : "", text);
        free(text);
        view_free(&v);
    }
    free(cause);
    free(name);
    free(path);
}

struct cols_arg {
    const int *cols;
    int n;
};

static void cols_cb(struct tableview *tv, const struct store *st, void *ud)
{
    const struct cols_arg *a = ud;
    (void)st;
    tableview_set_columns(tv, a->cols, a->n);
}

void view_cols_command(struct ui *ui, const char *arg)
{
    struct panel *p = ui_focused_table(ui);
    if (p == NULL) {
        ui_say(ui, true, ":cols: the focused pane is not a table");
        return;
    }
    const struct tableview *tv = tablepane_view(p->self);
    char *cause = NULL;
    if (arg != NULL && *arg != '\0') {
        int cols[16], n;
        if (!view_cols_edit(tv, arg, cols, &n, &cause)) {
            ui_say(ui, true, "%s", cause);
            free(cause);
            return;
        }
        if (table_columns_default(tv, cols, n)) {
            n = 0; /* back to the default, which follows the contexts shown */
        }
        struct cols_arg a = {cols, n};
        tablepane_edit(p->self, cols_cb, &a);
        ui_dirty_all(ui);
    }
    char *text = view_cols_describe(tv);
    ui_say(ui, false, "%s: %s", p->ops->title, text);
    free(text);
}
