/*
 * The Signals pane: one row per service (backends/slo.h builds every row,
 * whatever measured it), the worst budget on top. Shown in the Alerts slot
 * in turn with Silences (v).
 *
 * Enter shows each signal of the selected service over the last hour as a
 * chart with its min, max and now, the query behind it (a field, so y in
 * the viewer copies it), then the objective, the budget left, the burn rate
 * of every window and the state of the workbook's four pairs (the row's
 * detail lines as slo_row wrote them).
 */
#include "tablepane.h"

#include "../backends/slo.h"
#include "../common/spark.h"
#include "../common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SIGNALS_CHART_HEIGHT = 8 };

/* The worst light of a BURN cell's lights (". ? T P"): 'P', 'T', '.' or '?' (all no data). */
static char worst_light(const char *lights)
{
    if (strchr(lights, 'P') != NULL) {
        return 'P';
    }
    if (strchr(lights, 'T') != NULL) {
        return 'T';
    }
    return strchr(lights, '.') != NULL ? '.' : '?';
}

static void signals_summary(const struct tableview *tv, char *buf, size_t len)
{
    const struct rowref *rows;
    size_t n = tableview_filtered(tv, &rows);
    size_t page = 0, ticket = 0, ok = 0, none = 0;
    for (size_t i = 0; i < n; i++) {
        switch (worst_light(rowset_cell_text(rows[i].rs, rows[i].row, SIGNAL_BURN))) {
        case 'P':
            page++;
            break;
        case 'T':
            ticket++;
            break;
        case '.':
            ok++;
            break;
        default:
            none++;
            break;
        }
    }
    int w = snprintf(buf, len, "%zu page, %zu ticket, %zu ok", page, ticket, ok);
    if (none > 0 && w >= 0 && (size_t)w < len) {
        snprintf(buf + w, len - (size_t)w, ", %zu no data", none);
    }
}

/* The value of detail line KEY (the caller frees), or NULL. */
static char *detail_get(const char *detail, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = detail; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (n > klen && strncmp(line, key, klen) == 0 && line[klen] == '\t') {
            return xstrndup(line + klen + 1, n - klen - 1);
        }
        line += n;
        line += *line == '\n';
    }
    return NULL;
}

static const char *const signal_units[SLO_NSIGS] = {
    [SLO_SIG_TRAFFIC] = "req/s", [SLO_SIG_ERRORS] = "%",     [SLO_SIG_P50] = "ms",
    [SLO_SIG_P99] = "ms",        [SLO_SIG_SATURATION] = "%",
};

/* One signal: its heading, its chart, min / max / now and its query. */
static void add_signal(struct strbuf *sb, enum slo_signal sig, const char *series,
                       const char *query, int width, bool ascii)
{
    double v[512];
    size_t n = spark_parse(series, v, sizeof v / sizeof v[0]);
    const char *unit = signal_units[sig];
    strbuf_printf(sb, "\n%s (%s), last hour\n", slo_signal_name(sig), unit);
    double min = 0, max = 0;
    if (!spark_range(v, n, &min, &max)) {
        strbuf_str(sb, "no data\n");
    } else {
        /* one cell a sample when they fit: a minute a column */
        int cw = n > 0 && (size_t)width > n ? (int)n : width;
        char *chart = spark_chart(v, n, cw, SIGNALS_CHART_HEIGHT, ascii);
        strbuf_str(sb, chart);
        free(chart);
        char a[32], b[32], c[32];
        snprintf(a, sizeof a, "%.4g", min);
        snprintf(b, sizeof b, "%.4g", max);
        snprintf(c, sizeof c, "%.4g", spark_last(v, n));
        strbuf_printf(sb, "min %s  max %s  now %s %s\n", a, b, c, unit);
    }
    if (query != NULL && query[0] != '\0') {
        strbuf_printf(sb, "query %s\t%s\n", slo_signal_name(sig), query);
    }
}

/* Is this detail line's key one of the signals' (shown by add_signal)? */
static bool signal_line(const char *line, size_t n)
{
    return (n > 7 && strncmp(line, "series ", 7) == 0) ||
           (n > 6 && strncmp(line, "query ", 6) == 0);
}

static char *signals_detail(void *self, const struct rowset *rs, size_t row, int width,
                            const struct glyphs *g)
{
    (void)self;
    const char *detail = rowset_str(rs, rs->rows[row].detail);
    struct strbuf sb = {0};
    strbuf_printf(&sb, "service\t%s\n", rowset_cell_text(rs, row, SIGNAL_SERVICE));
    strbuf_printf(&sb, "lights\t%s (1h+5m 6h+30m page, 1d+2h 3d+6h ticket)\n",
                  rowset_cell_text(rs, row, SIGNAL_BURN));
    /* each signal over the last hour, with the query behind it */
    for (int s = 0; s < SLO_NSIGS; s++) {
        char key[32];
        snprintf(key, sizeof key, "series %s", slo_signal_name((enum slo_signal)s));
        char *series = detail_get(detail, key);
        snprintf(key, sizeof key, "query %s", slo_signal_name((enum slo_signal)s));
        char *query = detail_get(detail, key);
        if (series != NULL) {
            add_signal(&sb, (enum slo_signal)s, series, query, width, g->ascii);
        } else if (query != NULL) {
            strbuf_printf(&sb, "\n%s\tno series\nquery %s\t%s\n",
                          slo_signal_name((enum slo_signal)s), slo_signal_name((enum slo_signal)s),
                          query);
        }
        free(series);
        free(query);
    }
    /* then the numbers: objective, budget, the burn rate of each window, the pairs */
    strbuf_str(&sb, "\n");
    for (const char *line = detail; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (!signal_line(line, n) && strncmp(line, "service\t", 8) != 0) {
            strbuf_printf(&sb, "%.*s\n", (int)n, line);
        }
        line += n;
        line += *line == '\n';
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

static const struct pane_table signals_table = {
    .kind = MODEL_SIGNALS,
    /* the least budget left first: the service closest to breaking its promise */
    .sort_col = SIGNAL_BUDGET,
    .sort_desc = false,
    .then_by = true,
    .then_col = SIGNAL_ERRORS,
    .then_desc = true,
    .group_col = SIGNAL_SOURCE,
    .name_col = SIGNAL_SERVICE,
    .summary = signals_summary,
    .detail = signals_detail,
};

const struct pane_ops signals_pane = {
    .name = "signals",
    .title = "Signals",
    .keys = tablepane_keys,
    .table = &signals_table,
    TABLEPANE_CALLBACKS,
};
