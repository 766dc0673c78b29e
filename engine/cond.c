/*
 * Live pane conditions: "PANE ROW COLUMN OP VALUE".
 *
 * Parsing splits on blanks, but a column title may itself hold a blank
 * ("RT ms"), so the column is everything between the row and the first
 * operator word, and the value is the rest of the line (quotes around it are
 * dropped). A row matches by its key or by the pane's name column; every
 * matching row of every source must hold, so "pools web2 status == UP" waits
 * for web2 behind every load balancer. Numbers compare as numbers, AGE columns
 * as durations ("deploys shop/api age > 2m"), anything else as text, ignoring
 * case, because the operator types what the screen shows.
 *
 * Only rows from a backend that answered since the step began (and is not
 * failing or stale now) count; when a backend of the pane has not, the
 * answer is unknown unless a fresh row already fails (cond.h).
 */
#include "cond.h"

#include "vars.h"

#include "../backends/backend.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The column a ROW word matches besides the key: what the pane shows as the row's name. */
static int name_column(enum model_kind kind)
{
    switch (kind) {
    case MODEL_ALERTS:
        return ALERT_NAME;
    case MODEL_QUEUES:
        return QUEUE_NAME;
    case MODEL_POOLS:
        return POOL_SERVER;
    case MODEL_DEPLOYS:
        return DEPLOY_NAME;
    case MODEL_SILENCES:
        return SILENCE_ID;
    case MODEL_SIGNALS:
        return SIGNAL_SERVICE;
    case MODEL_PROMQL:
        return PROMQL_SERIES;
    case MODEL_KINDS:
        break;
    }
    return -1;
}

static const char *const op_names[] = {
    [COND_LT] = "<",  [COND_LE] = "<=", [COND_GT] = ">",
    [COND_GE] = ">=", [COND_EQ] = "==", [COND_NE] = "!=",
};

static bool op_from(const char *s, enum cond_op *out)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcmp(s, op_names[i]) == 0) {
            *out = (enum cond_op)i;
            return true;
        }
    }
    return false;
}

/* A word made only of comparison characters: a typo of an operator, not a column word. */
static bool looks_like_op(const char *s)
{
    return s[0] != '\0' && strspn(s, "<>=!") == strlen(s);
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    if (*s == '\0') {
        return false;
    }
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || isnan(d) || isinf(d)) {
        return false;
    }
    *out = d;
    return true;
}

static bool fail(char **cause, char *msg)
{
    if (cause != NULL) {
        *cause = msg;
    } else {
        free(msg);
    }
    return false;
}

struct words {
    const char *start[64];
    size_t len[64];
    size_t n;
};

static void split(const char *text, struct words *w)
{
    const char *p = text;
    w->n = 0;
    while (w->n < sizeof w->start / sizeof w->start[0]) {
        p += strspn(p, " \t\r\n");
        if (*p == '\0') {
            break;
        }
        size_t n = strcspn(p, " \t\r\n");
        w->start[w->n] = p;
        w->len[w->n] = n;
        w->n++;
        p += n;
    }
}

static void set_true(const char *name, void *ud)
{
    (void)name;
    *(bool *)ud = true;
}

/* Does s[0..n) hold a ${reference}? */
static bool has_ref(const char *s, size_t n)
{
    char *copy = xstrndup(s, n);
    bool found = false;
    vars_each_ref(copy, set_true, &found);
    free(copy);
    return found;
}

/*
 * A field of the condition with its variables substituted (v NULL: as it is).
 * Each field is substituted on its own, after the split: a value holding
 * blanks or an operator stays inside its field.
 */
static char *field(const char *s, size_t n, const struct vars *v, char **cause)
{
    char *raw = xstrndup(s, n);
    if (v == NULL) {
        return raw;
    }
    char *missing = NULL;
    char *out = vars_expand(v, raw, VARS_TEXT, &missing);
    free(raw);
    if (out == NULL) {
        fail(cause, xasprintf("unset variable %s", missing));
        free(missing);
    }
    return out;
}

static bool parse(struct cond *c, const char *text, const struct vars *v, char **cause)
{
    struct words w;
    memset(c, 0, sizeof *c);
    split(text, &w);
    if (w.n < 5) {
        return fail(cause, xasprintf("expected PANE ROW COLUMN OP VALUE, got '%s'", text));
    }
    char *pane = xstrndup(w.start[0], w.len[0]);
    if (!model_kind_from_name(pane, &c->kind)) {
        char *msg = xasprintf("unknown pane '%s' (alerts, queues, pools, deploys, silences)", pane);
        free(pane);
        return fail(cause, msg);
    }
    free(pane);

    size_t opi = 0;
    for (size_t i = 3; i < w.n; i++) {
        char *word = xstrndup(w.start[i], w.len[i]);
        bool is_op = looks_like_op(word);
        free(word);
        if (is_op) {
            opi = i;
            break;
        }
    }
    if (opi == 0) {
        return fail(cause, xasprintf("no operator (<, <=, >, >=, ==, !=) in '%s'", text));
    }
    for (size_t i = 0; i <= opi; i++) {
        if (i != 1 && has_ref(w.start[i], w.len[i])) {
            return fail(cause, xasprintf("a variable can stand only for the row or the value, "
                                         "not in '%.*s'",
                                         (int)w.len[i], w.start[i]));
        }
    }
    char *opword = xstrndup(w.start[opi], w.len[opi]);
    if (!op_from(opword, &c->op)) {
        char *msg = xasprintf("unknown operator '%s' (<, <=, >, >=, ==, !=)", opword);
        free(opword);
        return fail(cause, msg);
    }
    free(opword);

    const char *col_end = w.start[opi - 1] + w.len[opi - 1];
    char *col = xstrndup(w.start[2], (size_t)(col_end - w.start[2]));
    c->col = model_column_by_title(c->kind, col);
    if (c->col < 0) {
        char *msg = xasprintf("unknown column '%s' in %s", col, model_schema(c->kind)->name);
        free(col);
        return fail(cause, msg);
    }
    free(col);

    char *value = field(w.start[opi] + w.len[opi], strlen(w.start[opi] + w.len[opi]), v, cause);
    if (value == NULL) {
        return false;
    }
    str_trim(value);
    size_t vlen = strlen(value);
    if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
        memmove(value, value + 1, vlen - 2);
        value[vlen - 2] = '\0';
    }
    if (value[0] == '\0') {
        free(value);
        return fail(cause, xasprintf("no value after '%s'", op_names[c->op]));
    }
    const struct column_def *def = &model_schema(c->kind)->cols[c->col];
    if (def->type == CELL_AGE) {
        int64_t secs;
        if (!duration_parse(value, &secs)) {
            char *msg =
                xasprintf("%s is an age: '%s' is not a duration (90s, 5m, 1h)", def->title, value);
            free(value);
            return fail(cause, msg);
        }
        c->num = (double)secs;
        c->is_num = true;
    } else if (parse_number(value, &c->num)) {
        c->is_num = true;
    } else if (def->type == CELL_NUM) {
        char *msg = xasprintf("%s is a number: '%s' is not", def->title, value);
        free(value);
        return fail(cause, msg);
    }
    c->row = field(w.start[1], w.len[1], v, cause);
    if (c->row == NULL) {
        free(value);
        return false;
    }
    c->value = value;
    return true;
}

bool cond_parse(struct cond *c, const char *text, char **cause)
{
    return parse(c, text, NULL, cause);
}

bool cond_parse_vars(struct cond *c, const char *text, const struct vars *v, char **cause)
{
    return parse(c, text, v, cause);
}

void cond_free(struct cond *c)
{
    if (c == NULL) {
        return;
    }
    free(c->row);
    free(c->value);
    c->row = NULL;
    c->value = NULL;
}

static bool compare(enum cond_op op, int cmp)
{
    switch (op) {
    case COND_LT:
        return cmp < 0;
    case COND_LE:
        return cmp <= 0;
    case COND_GT:
        return cmp > 0;
    case COND_GE:
        return cmp >= 0;
    case COND_EQ:
        return cmp == 0;
    case COND_NE:
        return cmp != 0;
    }
    return false;
}

static int num_cmp(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

/* One row: does it hold, and what it shows (caller frees *seen). */
static bool row_holds(const struct cond *c, const struct rowset *rs, size_t row, char **seen)
{
    const struct column_def *def = &model_schema(c->kind)->cols[c->col];
    const char *text = rowset_cell_text(rs, row, c->col);
    double num;
    if (def->type == CELL_AGE) {
        double at = rowset_cell_num(rs, row, c->col);
        if (at <= 0) {
            *seen = xstrdup("unknown");
            return c->op == COND_NE;
        }
        double age = (double)clock_wall_s() - at;
        char buf[24];
        duration_format2(buf, sizeof buf, (int64_t)age);
        *seen = xstrdup(buf);
        return compare(c->op, num_cmp(age, c->num));
    }
    if (c->is_num && def->type == CELL_NUM) {
        if (text[0] == '\0') {
            /* No data is not zero: "ready < 10" must not hold on an empty cell. */
            *seen = xstrdup("empty");
            return c->op == COND_NE;
        }
        num = rowset_cell_num(rs, row, c->col);
        *seen = xstrdup(text);
        return compare(c->op, num_cmp(num, c->num));
    }
    *seen = xstrdup(text[0] != '\0' ? text : "empty");
    if (c->is_num && parse_number(text, &num)) {
        return compare(c->op, num_cmp(num, c->num));
    }
    return compare(c->op, strcasecmp(text, c->value));
}

const char *cond_result_name(enum cond_result r)
{
    return r == COND_MET ? "met" : r == COND_NOT_MET ? "not met" : "unknown";
}

/* Rows of this source count: it is a backend of the pane that answered afresh. */
static bool source_fresh(const struct cond_env *env, enum model_kind kind, const char *source)
{
    const struct backend *b = backend_find(env->backends, env->nbackends, source);
    return b != NULL && (backend_kinds(b) & (1u << kind)) &&
           backend_fresh(b, env->since_ms, env->now_ms, NULL);
}

static enum cond_result give(enum cond_result r, char *msg, char **why)
{
    if (why != NULL) {
        *why = msg;
    } else {
        free(msg);
    }
    return r;
}

enum cond_result cond_eval(const struct cond *c, const struct cond_env *env, char **why)
{
    if (env->store == NULL) {
        return give(COND_UNKNOWN, xstrdup("no live data"), why);
    }
    const struct store *st = env->store;
    char *unknown = NULL;
    backend_kind_fresh(env->backends, env->nbackends, c->kind, env->since_ms, env->now_ms,
                       &unknown);
    int ncol = name_column(c->kind);
    size_t matched = 0;
    bool all = true;
    char *first_fail = NULL;
    char *last_seen = NULL;
    const char *last_name = NULL;
    const char *title = model_schema(c->kind)->cols[c->col].title;
    size_t nsets = store_nsets(st, c->kind);
    for (size_t s = 0; s < nsets; s++) {
        const struct rowset *rs = store_set(st, c->kind, s);
        bool fresh = source_fresh(env, c->kind, rs->source);
        for (size_t r = 0; r < rs->nrows; r++) {
            const char *key = rowset_key(rs, r);
            const char *name = ncol >= 0 ? rowset_cell_text(rs, r, ncol) : "";
            if (strcmp(key, c->row) != 0 && strcmp(name, c->row) != 0) {
                continue;
            }
            if (!fresh) {
                /* what a failing, stale or unknown source shows says nothing */
                if (unknown == NULL) {
                    unknown = xasprintf("%s: %s comes from '%s', which is not a live backend",
                                        model_schema(c->kind)->name, key, rs->source);
                }
                continue;
            }
            matched++;
            /* an alert's key is its fingerprint: one named by its name is said by it */
            const char *shown = c->kind == MODEL_ALERTS && strcmp(key, c->row) != 0 ? name : key;
            char *seen = NULL;
            bool ok = row_holds(c, rs, r, &seen);
            if (!ok && first_fail == NULL) {
                first_fail = xasprintf("%s %s is %s (want %s %s)", shown, title, seen,
                                       op_names[c->op], c->value);
            }
            all = all && ok;
            free(last_seen);
            last_seen = seen;
            last_name = shown;
        }
    }
    enum cond_result result;
    char *msg;
    if (!all) {
        /* a row that fails on fresh data fails, whatever the other sources say */
        result = COND_NOT_MET;
        msg = first_fail;
        first_fail = NULL;
    } else if (unknown != NULL) {
        result = COND_UNKNOWN;
        msg = unknown;
        unknown = NULL;
    } else if (matched == 0) {
        result = c->op == COND_NE ? COND_MET : COND_NOT_MET;
        msg = xasprintf("no row %s in %s", c->row, model_schema(c->kind)->name);
    } else if (matched == 1) {
        result = COND_MET;
        msg = xasprintf("%s %s is %s (want %s %s)", last_name, title, last_seen, op_names[c->op],
                        c->value);
    } else {
        result = COND_MET;
        msg = xasprintf("%zu rows %s: %s %s %s on every one", matched, c->row, title,
                        op_names[c->op], c->value);
    }
    free(unknown);
    free(first_fail);
    free(last_seen);
    return give(result, msg, why);
}

static void placeholder(const char *name, void *ud)
{
    vars_set(ud, name, "0");
}

bool cond_check(const char *text, char **cause)
{
    struct vars ph = {0};
    vars_each_ref(text, placeholder, &ph);
    struct cond c;
    bool ok = parse(&c, text, &ph, cause);
    vars_clear(&ph);
    if (ok) {
        cond_free(&c);
    }
    return ok;
}
