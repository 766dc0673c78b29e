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
 * Some panes also name their columns in words (signals: errors, budget,
 * p99, ...; aliases[] below), and a column may have a unit: a percentage
 * takes "1%" as 1, a millisecond column takes "300ms" or "0.3s" as 300, a
 * burn rate "14.4x". A number with no data (NaN: a signal nobody measured)
 * never satisfies a condition, whatever the operator: the answer is
 * unknown, and the reason says "no data".
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
    case MODEL_HISTORY:
        return HISTORY_ALERT;
    case MODEL_KINDS:
        break;
    }
    return -1;
}

/* A column's other names in conditions, per pane (any case). */
static const struct {
    enum model_kind kind;
    const char *word;
    int col;
} aliases[] = {
    {MODEL_SIGNALS, "traffic", SIGNAL_TRAFFIC},
    {MODEL_SIGNALS, "rate", SIGNAL_TRAFFIC},
    {MODEL_SIGNALS, "errors", SIGNAL_ERRORS},
    {MODEL_SIGNALS, "p50", SIGNAL_P50},
    {MODEL_SIGNALS, "p99", SIGNAL_P99},
    {MODEL_SIGNALS, "saturation", SIGNAL_SATURATION},
    {MODEL_SIGNALS, "sat", SIGNAL_SATURATION},
    {MODEL_SIGNALS, "slo", SIGNAL_OBJECTIVE},
    {MODEL_SIGNALS, "budget", SIGNAL_BUDGET},
    {MODEL_SIGNALS, "burn", SIGNAL_BURN}, /* the 1h burn rate (a number), or the lights */
    {MODEL_SIGNALS, "trend", SIGNAL_TREND},
};

enum unit { UNIT_NONE, UNIT_PCT, UNIT_MS, UNIT_TIMES };

static enum unit column_unit(enum model_kind kind, int col)
{
    if (kind != MODEL_SIGNALS) {
        return UNIT_NONE;
    }
    switch ((enum signal_column)col) {
    case SIGNAL_ERRORS:
    case SIGNAL_SATURATION:
    case SIGNAL_OBJECTIVE:
    case SIGNAL_BUDGET:
    case SIGNAL_TREND:
        return UNIT_PCT;
    case SIGNAL_P50:
    case SIGNAL_P99:
        return UNIT_MS;
    case SIGNAL_BURN:
        return UNIT_TIMES;
    default:
        break;
    }
    return UNIT_NONE;
}

/*
 * Is the column compared by its number when the value is one? Numbers and
 * sparklines (their last sample); the BURN lights by the 1h burn rate their
 * cell holds (a value that is not a number compares the lights as text).
 */
static bool numeric_column(enum model_kind kind, int col)
{
    enum cell_type t = model_schema(kind)->cols[col].type;
    return t == CELL_NUM || t == CELL_SPARK || (kind == MODEL_SIGNALS && col == SIGNAL_BURN);
}

/* The column a COLUMN word names: a title, or one of the pane's aliases; -1 if none. */
static int column_from(enum model_kind kind, const char *word)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (aliases[i].kind == kind && strcasecmp(aliases[i].word, word) == 0) {
            return aliases[i].col;
        }
    }
    return model_column_by_title(kind, word);
}

/* The aliases of a pane, for an error ("errors, budget, ..."); "" when none. */
static char *alias_list(enum model_kind kind)
{
    struct strbuf sb = {0};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (aliases[i].kind == kind) {
            strbuf_printf(&sb, "%s%s", sb.s != NULL ? ", " : "", aliases[i].word);
        }
    }
    return sb.s != NULL ? sb.s : xstrdup("");
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

/*
 * A number with the column's unit: "1%" on a percentage, "300ms" or "0.3s"
 * on milliseconds, "14.4x" on a burn rate; a bare number anywhere. false
 * when it is not a number; *bad when it is one in a unit the column is not.
 */
static bool parse_unit_number(const char *s, enum unit unit, double *out, bool *bad)
{
    *bad = false;
    if (parse_number(s, out)) {
        return true;
    }
    static const struct {
        const char *suffix;
        enum unit unit;
        double scale;
    } units[] = {
        {"%", UNIT_PCT, 1}, {"ms", UNIT_MS, 1}, {"s", UNIT_MS, 1000}, {"x", UNIT_TIMES, 1}};
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t sl = strlen(units[i].suffix);
        if (n <= sl || strcmp(s + n - sl, units[i].suffix) != 0) {
            continue;
        }
        char *num = xstrndup(s, n - sl);
        str_trim(num);
        bool ok = parse_number(num, out);
        free(num);
        if (!ok) {
            continue; /* "5ms" is not "5m" + "s": try the next suffix */
        }
        if (units[i].unit != unit) {
            *bad = true;
            return false;
        }
        *out *= units[i].scale;
        return true;
    }
    return false;
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
        char *msg = xasprintf(
            "unknown pane '%s' (alerts, queues, pools, deploys, silences, signals)", pane);
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
    c->col = column_from(c->kind, col);
    if (c->col < 0) {
        char *also = alias_list(c->kind);
        char *msg =
            xasprintf("unknown column '%s' in %s%s%s%s", col, model_schema(c->kind)->name,
                      also[0] != '\0' ? " (a title, or " : "", also, also[0] != '\0' ? ")" : "");
        free(also);
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
    bool bad_unit = false;
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
    } else if (parse_unit_number(value, column_unit(c->kind, c->col), &c->num, &bad_unit)) {
        c->is_num = true;
    } else if (bad_unit && numeric_column(c->kind, c->col)) {
        static const char *const says[] = {[UNIT_NONE] = "a plain number",
                                           [UNIT_PCT] = "a percentage (1%)",
                                           [UNIT_MS] = "in milliseconds (300ms, 0.3s)",
                                           [UNIT_TIMES] = "a rate (14.4x)"};
        char *msg = xasprintf("%s is %s: '%s' is in another unit", def->title,
                              says[column_unit(c->kind, c->col)], value);
        free(value);
        return fail(cause, msg);
    } else if (def->type == CELL_NUM || def->type == CELL_SPARK) {
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

enum holds { HOLDS_NO, HOLDS_YES, HOLDS_NODATA };

/* One row: does it hold, and what it shows (caller frees *seen). */
static enum holds row_holds(const struct cond *c, const struct rowset *rs, size_t row, char **seen)
{
    const struct column_def *def = &model_schema(c->kind)->cols[c->col];
    const char *text = rowset_cell_text(rs, row, c->col);
    double num;
    if (def->type == CELL_AGE) {
        double at = rowset_cell_num(rs, row, c->col);
        if (at <= 0) {
            *seen = xstrdup("unknown");
            return c->op == COND_NE ? HOLDS_YES : HOLDS_NO;
        }
        double age = (double)clock_wall_s() - at;
        char buf[24];
        duration_format2(buf, sizeof buf, (int64_t)age);
        *seen = xstrdup(buf);
        return compare(c->op, num_cmp(age, c->num)) ? HOLDS_YES : HOLDS_NO;
    }
    if (c->is_num && numeric_column(c->kind, c->col)) {
        num = rowset_cell_num(rs, row, c->col);
        if (isnan(num)) {
            /* no data is neither above nor below anything: never holds, not even != */
            *seen = xstrdup("no data");
            return HOLDS_NODATA;
        }
        if (text[0] == '\0' && def->type == CELL_NUM) {
            /* No data is not zero: "ready < 10" must not hold on an empty cell. */
            *seen = xstrdup("empty");
            return c->op == COND_NE ? HOLDS_YES : HOLDS_NO;
        }
        if (def->type == CELL_NUM) {
            *seen = xstrdup(text);
        } else {
            *seen = xasprintf("%.4g", num); /* a sparkline's last sample, a burn rate */
        }
        return compare(c->op, num_cmp(num, c->num)) ? HOLDS_YES : HOLDS_NO;
    }
    *seen = xstrdup(text[0] != '\0' ? text : "empty");
    if (c->is_num && parse_number(text, &num)) {
        return compare(c->op, num_cmp(num, c->num)) ? HOLDS_YES : HOLDS_NO;
    }
    return compare(c->op, strcasecmp(text, c->value)) ? HOLDS_YES : HOLDS_NO;
}

const char *cond_result_name(enum cond_result r)
{
    return r == COND_MET ? "met" : r == COND_NOT_MET ? "not met" : "unknown";
}

/* Rows of this source count: it is a backend of the pane that answered afresh. */
static bool source_fresh(const struct cond_env *env, enum model_kind kind, const char *source)
{
    const struct backend *b = backend_for_source(env->backends, env->nbackends, source);
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
            enum holds h = row_holds(c, rs, r, &seen);
            if (h == HOLDS_NODATA) {
                /* said by nobody: unknown (DESIGN rule 7), unless another row fails */
                if (unknown == NULL) {
                    unknown = xasprintf("%s %s: no data", shown, title);
                }
                free(seen);
                continue;
            }
            bool ok = h == HOLDS_YES;
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
