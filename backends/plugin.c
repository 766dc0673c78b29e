/*
 * The plugin row schema, JSON pointers and shell templates (plugin.h).
 *
 * A plugin is untrusted input twice over: its output is parsed defensively
 * (wrong types are errors that name the row and column, never guesses), and
 * its row values may end up in action commands, which they reach only through
 * the child's environment (common/shtmpl.h): the template names them, the
 * shell expands them once, nothing reads them as syntax.
 */
#include "plugin.h"
#include "../common/json.h"
#include "../common/jsonstream.h"

#include "../common/shtmpl.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool plugin_pane(const char *name, enum model_kind *out)
{
    enum model_kind k;
    if (!model_kind_from_name(name, &k) || k == MODEL_SILENCES || k == MODEL_PROMQL ||
        k == MODEL_HISTORY) {
        return false;
    }
    *out = k;
    return true;
}

/* ---- kept rows ---- */

void plugin_rows_clear(struct plugin_rows *pr)
{
    for (size_t i = 0; i < pr->n; i++) {
        free(pr->rows[i].key);
        for (int c = 0; c < pr->ncols; c++) {
            free(pr->rows[i].cells[c]);
        }
        free(pr->rows[i].cells);
    }
    free(pr->rows);
    memset(pr, 0, sizeof *pr);
}

const struct plugin_row *plugin_rows_find(const struct plugin_rows *pr, const char *key)
{
    for (size_t i = 0; i < pr->n; i++) {
        if (strcmp(pr->rows[i].key, key) == 0) {
            return &pr->rows[i];
        }
    }
    return NULL;
}

static struct plugin_row *keep_add(struct plugin_rows *pr, int ncols, const char *key)
{
    if (pr->n == pr->cap) {
        pr->cap = pr->cap ? pr->cap * 2 : 16;
        pr->rows = xreallocarray(pr->rows, pr->cap, sizeof *pr->rows);
    }
    pr->ncols = ncols;
    struct plugin_row *r = &pr->rows[pr->n++];
    r->key = xstrdup(key);
    r->cells = xcalloc((size_t)ncols, sizeof *r->cells);
    return r;
}

/* ---- cells ---- */

/* A number as a shell argument would want it: integers without ".0". */
static char *num_text(double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        return xasprintf("%.0f", v);
    }
    return xasprintf("%.17g", v);
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    if (*s == '\0') {
        return false;
    }
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

/*
 * One cell of the current row. lenient: numeric strings count as numbers
 * (http-json maps APIs we do not control). kept gets the cell's text.
 */
static bool put_cell(struct rowset *rs, int col, const cJSON *v, bool lenient, char **kept,
                     const char *key, char **cause)
{
    const struct column_def *def = &model_schema(rs->kind)->cols[col];
    if (v == NULL || cJSON_IsNull(v)) {
        return true;
    }
    if (def->type == CELL_TEXT) {
        if (cJSON_IsString(v)) {
            rowset_text(rs, col, v->valuestring);
            *kept = xstrdup(v->valuestring);
        } else if (cJSON_IsNumber(v)) {
            *kept = num_text(v->valuedouble);
            rowset_text(rs, col, *kept);
        } else if (cJSON_IsBool(v)) {
            *kept = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
            rowset_text(rs, col, *kept);
        } else {
            *cause = xasprintf("row '%s': column %s wants text, got %s", key, def->title,
                               json_type_name(v));
            return false;
        }
        return true;
    }
    double num;
    if (cJSON_IsNumber(v)) {
        num = v->valuedouble;
    } else if (lenient && cJSON_IsString(v) && parse_number(v->valuestring, &num)) {
        /* taken */
    } else {
        *cause = xasprintf("row '%s': column %s wants a number, got %s", key, def->title,
                           json_type_name(v));
        return false;
    }
    if (def->type == CELL_AGE) {
        rowset_cell(rs, col, "", num); /* seconds since the epoch, drawn as an age */
    } else {
        rowset_num(rs, col, num);
    }
    *kept = num_text(num);
    return true;
}

static bool tone_parse(const char *s, enum tone *out)
{
    static const char *const names[] = {"normal", "ok", "info", "warn", "crit", "muted"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tone)i;
            return true;
        }
    }
    return false;
}

static char *column_list(enum model_kind kind)
{
    const struct model_schema *s = model_schema(kind);
    size_t len = 1;
    for (int i = 0; i < s->ncols; i++) {
        len += strlen(s->cols[i].title) + 2;
    }
    char *out = xcalloc(1, len);
    for (int i = 0; i < s->ncols; i++) {
        if (strcmp(s->cols[i].title, "SOURCE") == 0 || (s->cols[i].flags & COL_CONTEXT)) {
            continue; /* ours */
        }
        if (out[0] != '\0') {
            strcat(out, ", ");
        }
        strcat(out, s->cols[i].title);
    }
    return out;
}

/* A cell name of the pane, never SOURCE nor CONTEXT (ours); -1 with *cause otherwise. */
static int column_named(enum model_kind kind, const char *name, const char *key, char **cause)
{
    int col = model_column_by_title(kind, name);
    if (col >= 0 && (strcmp(model_schema(kind)->cols[col].title, "SOURCE") == 0 ||
                     (model_schema(kind)->cols[col].flags & COL_CONTEXT))) {
        *cause = xasprintf("row '%s': %s is filled by opsdeck", key,
                           model_schema(kind)->cols[col].title);
        return -1;
    }
    if (col < 0) {
        char *cols = column_list(kind);
        *cause = xasprintf("row '%s': unknown column '%s' for %s (columns: %s)", key, name,
                           model_schema(kind)->name, cols);
        free(cols);
    }
    return col;
}

static bool put_tones(struct rowset *rs, const cJSON *row, const char *key, char **cause)
{
    const cJSON *tone = cJSON_GetObjectItemCaseSensitive(row, "tone");
    enum tone t;
    if (tone != NULL) {
        if (!cJSON_IsString(tone) || !tone_parse(tone->valuestring, &t)) {
            *cause = xasprintf("row '%s': bad tone (normal, ok, info, warn, crit or muted)", key);
            return false;
        }
        rowset_row_tone(rs, t);
    }
    const cJSON *tones = cJSON_GetObjectItemCaseSensitive(row, "tones");
    if (tones == NULL) {
        return true;
    }
    if (!cJSON_IsObject(tones)) {
        *cause = xasprintf("row '%s': tones must be an object", key);
        return false;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, tones)
    {
        int col = column_named(rs->kind, c->string, key, cause);
        if (col < 0) {
            return false;
        }
        if (!cJSON_IsString(c) || !tone_parse(c->valuestring, &t)) {
            *cause = xasprintf("row '%s': bad tone for %s", key, c->string);
            return false;
        }
        rowset_cell_tone(rs, col, t);
    }
    return true;
}

static bool put_detail(struct rowset *rs, const cJSON *row, const char *key, char **cause)
{
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(row, "detail");
    if (detail == NULL) {
        return true;
    }
    if (!cJSON_IsObject(detail)) {
        *cause = xasprintf("row '%s': detail must be an object", key);
        return false;
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, detail)
    {
        if (cJSON_IsString(d)) {
            rowset_detail(rs, d->string, d->valuestring);
        } else if (cJSON_IsNumber(d) || cJSON_IsBool(d)) {
            char *text = cJSON_IsNumber(d) ? num_text(d->valuedouble)
                                           : xstrdup(cJSON_IsTrue(d) ? "true" : "false");
            rowset_detail(rs, d->string, text);
            free(text);
        } else if (!cJSON_IsNull(d)) {
            *cause = xasprintf("row '%s': detail %s must be text or a number", key, d->string);
            return false;
        }
    }
    return true;
}

static bool member_known(const char *name)
{
    static const char *const known[] = {"key", "cells", "tone", "tones", "detail"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i]) == 0) {
            return true;
        }
    }
    return false;
}

struct keyref {
    const char *key;
    size_t row;
};

static int keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0) {
        return c;
    }
    return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * The first row (in output order) whose key an earlier row already has: a
 * second row would hide the first. Sorted, not pairwise: a plugin may print
 * 100,000 rows and the loop must not stall on them.
 */
static bool find_duplicate(const struct rowset *rs, size_t *dup)
{
    if (rs->nrows < 2) {
        return false;
    }
    struct keyref *refs = xcalloc(rs->nrows, sizeof *refs);
    for (size_t i = 0; i < rs->nrows; i++) {
        refs[i] = (struct keyref){rowset_key(rs, i), i};
    }
    qsort(refs, rs->nrows, sizeof *refs, keyref_cmp);
    bool found = false;
    for (size_t i = 1; i < rs->nrows; i++) {
        if (strcmp(refs[i - 1].key, refs[i].key) == 0 && (!found || refs[i].row < *dup)) {
            *dup = refs[i].row;
            found = true;
        }
    }
    free(refs);
    return found;
}

static bool row_key(const cJSON *row, size_t index, char **key, char **cause)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(row, "key");
    if (cJSON_IsString(k) && k->valuestring[0] != '\0') {
        *key = xstrdup(k->valuestring);
    } else if (cJSON_IsNumber(k)) {
        *key = num_text(k->valuedouble);
    } else {
        *cause = xasprintf("row %zu: no key (a non-empty string)", index + 1);
        return false;
    }
    return true;
}

static bool parse_row(const cJSON *row, size_t index, struct rowset *rs, struct plugin_rows *keep,
                      char **cause)
{
    if (!cJSON_IsObject(row)) {
        *cause = xasprintf("row %zu: not an object", index + 1);
        return false;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, row)
    {
        if (!member_known(m->string)) {
            *cause = xasprintf("row %zu: unknown member '%s' (key, cells, tone, tones, detail)",
                               index + 1, m->string);
            return false;
        }
    }
    char *key;
    if (!row_key(row, index, &key, cause)) {
        return false;
    }
    bool ok = false;
    rowset_begin(rs, key);
    char *dummy[PLUGIN_MAX_COLS] = {0};
    char **kept = keep != NULL ? keep_add(keep, rs->ncols, key)->cells : dummy;
    int source = model_column_by_title(rs->kind, "SOURCE");
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(row, "cells");
    if (cells != NULL && !cJSON_IsObject(cells)) {
        *cause = xasprintf("row '%s': cells must be an object", key);
        goto out;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cells)
    {
        int col = column_named(rs->kind, c->string, key, cause);
        if (col < 0) {
            goto out;
        }
        free(kept[col]); /* a name given twice: the last one counts */
        kept[col] = NULL;
        if (!put_cell(rs, col, c, false, &kept[col], key, cause)) {
            goto out;
        }
    }
    if (source >= 0) {
        rowset_text(rs, source, rs->source);
    }
    ok = put_tones(rs, row, key, cause) && put_detail(rs, row, key, cause);
out:
    if (keep == NULL) {
        for (int i = 0; i < PLUGIN_MAX_COLS; i++) {
            free(dummy[i]);
        }
    }
    free(key);
    return ok;
}

static bool parse_doc(const char *text, size_t len, cJSON **doc, char **cause)
{
    *doc = cJSON_ParseWithLength(text, len);
    if (*doc == NULL) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at != NULL && at >= text && at <= text + len ? (size_t)(at - text) : 0;
        *cause = xasprintf("bad output: not JSON (error near byte %zu)", off);
        return false;
    }
    return true;
}

/* "plugin error: TEXT" when the document's error member is set (not null). */
static bool plugin_error(const cJSON *doc, char **cause)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    if (error == NULL || cJSON_IsNull(error)) {
        return false;
    }
    /* the plugin's own words, not a protocol error */
    *cause = xasprintf("plugin error: %s",
                       cJSON_IsString(error) ? error->valuestring : "(not given as text)");
    return true;
}

/*
 * The whole document as one cJSON tree: the reference reading, used to word
 * a failure of the streamed one exactly as it always was.
 */
static bool parse_rows_tree(const char *text, size_t len, struct rowset *rs,
                            struct plugin_rows *keep, char **cause)
{
    cJSON *doc;
    if (!parse_doc(text, len, &doc, cause)) {
        return false;
    }
    bool ok = false;
    char *why = NULL;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
    if (!cJSON_IsObject(doc)) {
        why = xstrdup("expected a JSON object with \"rows\" (or \"error\")");
    } else if (plugin_error(doc, cause)) {
        /* said */
    } else if (!cJSON_IsArray(rows)) {
        why = xstrdup("no \"rows\" array");
    } else {
        ok = true;
        size_t i = 0;
        const cJSON *row;
        cJSON_ArrayForEach(row, rows)
        {
            if (!parse_row(row, i++, rs, keep, &why)) {
                ok = false;
                break;
            }
        }
        rowset_end(rs);
        size_t dup;
        if (ok && find_duplicate(rs, &dup)) {
            why = xasprintf("row %zu: duplicate key '%s'", dup + 1, rowset_key(rs, dup));
            ok = false;
        }
    }
    if (why != NULL) {
        *cause = xasprintf("bad output: %s", why);
        free(why);
    }
    cJSON_Delete(doc);
    return ok;
}

/*
 * Streamed (common/jsonstream.h): one row's tree at a time, so a plugin that
 * prints 100,000 rows costs the rows, not a tree of the whole output. The
 * stream reads the output synchronously: an exec plugin's output is capped
 * (max_output, 8 MiB by default) and arrives whole when the child exits, and
 * the rows it maps are small. A failure is worded by the tree reading
 * (parse_rows_tree), so every message stays what it was; a failure costs a
 * second parse, success only the stream.
 */
bool plugin_parse_rows(const char *text, size_t len, struct rowset *rs, struct plugin_rows *keep,
                       char **cause)
{
    if (keep != NULL) {
        plugin_rows_clear(keep);
        keep->ncols = rs->ncols;
    }
    struct json_stream s;
    json_stream_init(&s, text, len, "rows");
    cJSON *row;
    char *why = NULL;
    size_t i = 0;
    int rc;
    bool ok = true;
    while ((rc = json_stream_next(&s, &row, &why)) > 0) {
        ok = parse_row(row, i++, rs, keep, &why);
        cJSON_Delete(row);
        if (!ok) {
            break;
        }
    }
    rowset_end(rs);
    size_t dup;
    ok = ok && rc == 0 && !plugin_error(json_stream_rest(&s), cause) && !find_duplicate(rs, &dup);
    if (!ok && *cause == NULL) {
        /* word it as the whole document says it */
        struct rowset *scratch = rowset_create(rs->kind, rs->source);
        if (parse_rows_tree(text, len, scratch, NULL, cause)) {
            /* only the stream refused it (it never should): its own words */
            *cause = xasprintf("bad output: %s", why != NULL ? why : "not a list of rows");
        }
        rowset_destroy(scratch);
    }
    free(why);
    json_stream_finish(&s);
    return ok;
}

/* ---- JSON pointers ---- */

bool plugin_pointer_valid(const char *ptr, char **cause)
{
    if (ptr[0] != '\0' && ptr[0] != '/') {
        *cause =
            xasprintf("bad JSON pointer '%s' (starts with '/', or is empty for the whole)", ptr);
        return false;
    }
    for (const char *p = ptr; *p != '\0'; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1') {
            *cause = xasprintf("bad JSON pointer '%s' ('~' is written ~0, '/' ~1)", ptr);
            return false;
        }
    }
    return true;
}

/* The next token of a pointer, unescaped; *rest moves past it. */
static char *next_token(const char **rest)
{
    const char *s = *rest + 1; /* past '/' */
    const char *end = strchr(s, '/');
    size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
    char *tok = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            tok[o++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            tok[o++] = s[i];
        }
    }
    tok[o] = '\0';
    *rest = s + n;
    return tok;
}

static bool array_index(const char *tok, int size, int *out)
{
    if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0') || strlen(tok) > 9) {
        return false;
    }
    int v = 0;
    for (const char *p = tok; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return v < size;
}

const cJSON *plugin_pointer(const cJSON *doc, const char *ptr, char **cause)
{
    if (!plugin_pointer_valid(ptr, cause)) {
        return NULL;
    }
    if (doc == NULL) {
        *cause = xasprintf("pointer %s did not resolve: no document", ptr);
        return NULL;
    }
    const cJSON *cur = doc;
    const char *rest = ptr;
    while (*rest != '\0') {
        const char *at = rest;
        char *tok = next_token(&rest);
        const cJSON *next = NULL;
        int idx;
        if (cJSON_IsObject(cur)) {
            next = cJSON_GetObjectItemCaseSensitive(cur, tok);
        } else if (cJSON_IsArray(cur) && array_index(tok, cJSON_GetArraySize(cur), &idx)) {
            next = cJSON_GetArrayItem(cur, idx);
        }
        if (next == NULL) {
            *cause = xasprintf("pointer %s did not resolve: %s '%s' at %.*s", ptr,
                               cJSON_IsObject(cur)  ? "no member"
                               : cJSON_IsArray(cur) ? "no element"
                                                    : "not an object or array for",
                               tok, (int)(at - ptr), at == ptr ? "/" : ptr);
            free(tok);
            return NULL;
        }
        free(tok);
        cur = next;
    }
    return cur;
}

/* ---- http-json mapping ---- */

void plugin_map_free(struct plugin_map *m)
{
    free(m->rows);
    free(m->key);
    for (int i = 0; i < PLUGIN_MAX_COLS; i++) {
        free(m->cols[i]);
    }
    memset(m, 0, sizeof *m);
}

static bool map_key(const cJSON *row, const struct plugin_map *m, size_t index, char **key,
                    char **cause)
{
    char *why = NULL;
    const cJSON *k = plugin_pointer(row, m->key, &why);
    if (cJSON_IsString(k) && k->valuestring[0] != '\0') {
        *key = xstrdup(k->valuestring);
    } else if (cJSON_IsNumber(k)) {
        *key = num_text(k->valuedouble);
    } else {
        *cause = why != NULL ? xasprintf("row %zu: key %s", index + 1, why)
                             : xasprintf("row %zu: key %s is not a non-empty string or a number",
                                         index + 1, m->key);
        free(why);
        return false;
    }
    return true;
}

static bool map_row(const cJSON *row, const struct plugin_map *m, size_t index, struct rowset *rs,
                    struct plugin_rows *keep, bool *hit, char **cause)
{
    char *key;
    if (!map_key(row, m, index, &key, cause)) {
        return false;
    }
    bool ok = true;
    rowset_begin(rs, key);
    char *dummy[PLUGIN_MAX_COLS] = {0};
    char **kept = keep != NULL ? keep_add(keep, rs->ncols, key)->cells : dummy;
    for (int col = 0; ok && col < rs->ncols && col < PLUGIN_MAX_COLS; col++) {
        if (m->cols[col] == NULL) {
            continue;
        }
        char *why = NULL;
        const cJSON *v = plugin_pointer(row, m->cols[col], &why);
        free(why); /* a missing value is an empty cell */
        if (v != NULL) {
            hit[col] = true;
            ok = put_cell(rs, col, v, true, &kept[col], key, cause);
        }
    }
    int source = model_column_by_title(rs->kind, "SOURCE");
    if (ok && source >= 0) {
        rowset_text(rs, source, rs->source);
    }
    if (keep == NULL) {
        for (int i = 0; i < PLUGIN_MAX_COLS; i++) {
            free(dummy[i]);
        }
    }
    free(key);
    return ok;
}

void plugin_mapping_begin(struct plugin_mapping *pm, const struct plugin_map *m, struct rowset *rs,
                          struct plugin_rows *keep)
{
    *pm = (struct plugin_mapping){.m = m, .rs = rs, .keep = keep};
    if (keep != NULL) {
        plugin_rows_clear(keep);
        keep->ncols = rs->ncols;
    }
}

bool plugin_mapping_row(struct plugin_mapping *pm, const cJSON *row, char **cause)
{
    return map_row(row, pm->m, pm->n++, pm->rs, pm->keep, pm->hit, cause);
}

bool plugin_mapping_end(struct plugin_mapping *pm, char **cause)
{
    struct rowset *rs = pm->rs;
    rowset_end(rs);
    size_t dup;
    if (find_duplicate(rs, &dup)) {
        *cause = xasprintf("row %zu: duplicate key '%s' (from %s)", dup + 1, rowset_key(rs, dup),
                           pm->m->key);
        return false;
    }
    for (int col = 0; pm->n > 0 && col < rs->ncols && col < PLUGIN_MAX_COLS; col++) {
        if (pm->m->cols[col] != NULL && !pm->hit[col]) {
            *cause = xasprintf("column.%s = %s resolved in none of the %zu rows",
                               model_schema(rs->kind)->cols[col].title, pm->m->cols[col], pm->n);
            return false;
        }
    }
    return true;
}

bool plugin_map_rows(const cJSON *doc, const struct plugin_map *m, struct rowset *rs,
                     struct plugin_rows *keep, char **cause)
{
    struct plugin_mapping pm;
    plugin_mapping_begin(&pm, m, rs, keep);
    const cJSON *rows = plugin_pointer(doc, m->rows != NULL ? m->rows : "", cause);
    if (rows == NULL) {
        return false;
    }
    if (!cJSON_IsArray(rows)) {
        *cause = xasprintf("rows = %s is %s, not an array", m->rows != NULL ? m->rows : "\"\"",
                           json_type_name(rows));
        return false;
    }
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (!plugin_mapping_row(&pm, row, cause)) {
            rowset_end(rs);
            return false;
        }
    }
    return plugin_mapping_end(&pm, cause);
}

bool plugin_pointer_member(const char *ptr, char **member)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    const char *rest = ptr != NULL ? ptr : "";
    while (*rest == '/') {
        char *tok = next_token(&rest);
        bool digits = tok[0] != '\0' && strspn(tok, "0123456789") == strlen(tok);
        /* an empty token, a '.' (the path's separator) or an index (arrays are not entered) */
        if (tok[0] == '\0' || strchr(tok, '.') != NULL || digits) {
            free(tok);
            free(sb.s);
            return false;
        }
        strbuf_printf(&sb, "%s%s", sb.n > 0 ? "." : "", tok);
        free(tok);
    }
    if (*rest != '\0') {
        free(sb.s);
        return false;
    }
    *member = sb.s;
    return true;
}

/* ---- shell templates ---- */

struct row_values {
    enum model_kind kind;
    const char *key;
    const struct plugin_row *row;
    const char *input;
    bool has_input;
    char *cause; /* the first unknown name */
};

/* The value of ${name}: key, input, or a column of the row ("" when the row has none). */
static const char *row_value(const char *name, void *ud)
{
    struct row_values *rv = ud;
    if (strcmp(name, "key") == 0) {
        return rv->key != NULL ? rv->key : "";
    }
    if (strcmp(name, "input") == 0 && rv->has_input) {
        return rv->input != NULL ? rv->input : "";
    }
    int col = model_column_by_title(rv->kind, name);
    if (col < 0 || strcmp(name, "input") == 0) {
        if (rv->cause == NULL) {
            char *cols = column_list(rv->kind);
            rv->cause = xasprintf("unknown variable ${%s} (known: ${key}%s, and the columns of "
                                  "%s: %s)",
                                  name, rv->has_input ? ", ${input}" : "",
                                  model_schema(rv->kind)->name, cols);
            free(cols);
        }
        return NULL;
    }
    if (rv->row != NULL && col < PLUGIN_MAX_COLS && rv->row->cells[col] != NULL) {
        return rv->row->cells[col];
    }
    return "";
}

/* Compile tmpl and check every name; false with *cause. */
static bool compile(struct shtmpl *t, const char *tmpl, struct row_values *rv, char **cause)
{
    char *why = NULL;
    if (!shtmpl_compile(t, tmpl, SHTMPL_ANY, NULL, &why)) {
        *cause = xasprintf("%s (in '%s')", why, tmpl);
        free(why);
        return false;
    }
    for (size_t i = 0; i < t->nrefs; i++) {
        if (row_value(t->refs[i].name, rv) == NULL) {
            *cause = rv->cause;
            shtmpl_finish(t);
            return false;
        }
    }
    return true;
}

bool plugin_template_check(enum model_kind kind, const char *tmpl, bool has_input, char **cause)
{
    struct row_values rv = {.kind = kind, .has_input = has_input};
    struct shtmpl t;
    if (!compile(&t, tmpl, &rv, cause)) {
        return false;
    }
    shtmpl_finish(&t);
    return true;
}

bool plugin_command(enum model_kind kind, const char *tmpl, const char *key,
                    const struct plugin_row *row, const char *input, struct shtmpl_command *out,
                    char **cause)
{
    struct row_values rv = {kind, key, row, input, true, NULL};
    char *why = NULL;
    if (shtmpl_command(tmpl, SHTMPL_ANY, row_value, &rv, out, NULL, &why)) {
        return true;
    }
    /* an unknown name is said as the config check says it */
    *cause = rv.cause != NULL ? rv.cause : xasprintf("%s (in '%s')", why, tmpl);
    free(why);
    return false;
}
