/*
 * The snapshot printer. Text mode pads columns to the widest cell (no
 * truncation: this output is for pipes and diffs; CONTEXT only when more than
 * one context shows, as on screen); JSON mode gives every row with its
 * source, context, key, tone, cells by column title and detail fields.
 * Backends' text is shown, never obeyed (text.h): cells through utf8_fit as
 * on screen, other lines through text_printf(), and the JSON document with
 * TEXT_JSON, whose escapes keep the data exact.
 */
#include "snapshot.h"

#include "../backends/cluster.h"
#include "../common/text.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "../panes/pane.h"
#include "../common/loop.h"
#include "table.h"

#include "../common/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const tone_names[] = {"normal", "ok", "info", "warn", "crit", "muted"};

static bool all_answered(struct backend **backends, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (backends[i]->health == BACKEND_STARTING) {
            return false;
        }
    }
    return true;
}

void snapshot_wait(struct loop *loop, struct backend **backends, size_t n)
{
    int limit = 0;
    for (size_t i = 0; i < n; i++) {
        if (backends[i]->timeout_ms > limit) {
            limit = backends[i]->timeout_ms;
        }
    }
    uint64_t deadline = clock_mono_ms() + (uint64_t)limit + 1000;
    while (!all_answered(backends, n) && clock_mono_ms() < deadline) {
        loop_run_once(loop, 100);
    }
    for (size_t i = 0; i < n; i++) {
        if (backends[i]->health == BACKEND_STARTING) {
            backend_fail(backends[i], "no answer within %d ms", limit + 1000);
        }
    }
}

static void print_cell(FILE *out, const struct model_schema *s, int c, int width, const char *raw)
{
    /* the same cleaning as the screen: no control byte from an API reaches a terminal */
    char text[1024];
    utf8_fit(text, sizeof text, raw, 1000, "...");
    int pad = width - utf8_width(text);
    fputs(c ? "  " : "", out);
    if (s->cols[c].type != CELL_TEXT && s->cols[c].type != CELL_SPARK) {
        fprintf(out, "%*s%s", pad, "", text);
    } else {
        fprintf(out, "%s%*s", text, c == s->ncols - 1 ? 0 : pad, "");
    }
}

static void print_text_pane(const struct tableview *tv, int64_t now, FILE *out)
{
    const struct model_schema *s = model_schema(tv->kind);
    int width[16];
    char text[512];
    for (int c = 0; c < s->ncols; c++) {
        width[c] = utf8_width(s->cols[c].title);
        if (table_col_auto_hidden(tv, c)) {
            continue; /* CONTEXT with one context: as on screen */
        }
        for (size_t i = 0; i < tv->nrows; i++) {
            table_cell_text(tv, tv->rows[i].rs, tv->rows[i].row, c, now, text, sizeof text);
            int w = utf8_width(text);
            if (w > width[c]) {
                width[c] = w;
            }
        }
    }
    for (int c = 0; c < s->ncols; c++) {
        if (!table_col_auto_hidden(tv, c)) {
            print_cell(out, s, c, width[c], s->cols[c].title);
        }
    }
    fputc('\n', out);
    for (size_t i = 0; i < tv->nrows; i++) {
        for (int c = 0; c < s->ncols; c++) {
            if (table_col_auto_hidden(tv, c)) {
                continue;
            }
            table_cell_text(tv, tv->rows[i].rs, tv->rows[i].row, c, now, text, sizeof text);
            print_cell(out, s, c, width[c], text);
        }
        fputc('\n', out);
    }
}

static cJSON *row_json(const struct tableview *tv, size_t i, int64_t now)
{
    const struct model_schema *s = model_schema(tv->kind);
    const struct rowset *rs = tv->rows[i].rs;
    size_t row = tv->rows[i].row;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", rs->source);
    cJSON_AddStringToObject(o, "context", rs->context != NULL ? rs->context : "default");
    cJSON_AddStringToObject(o, "key", rowset_key(rs, row));
    cJSON_AddStringToObject(o, "tone", tone_names[rs->rows[row].tone]);
    cJSON *cells = cJSON_AddObjectToObject(o, "cells");
    for (int c = 0; c < s->ncols; c++) {
        char text[512];
        table_cell_text(tv, rs, row, c, now, text, sizeof text);
        double num = rowset_cell_num(rs, row, c);
        if (s->cols[c].type == CELL_TEXT || s->cols[c].type == CELL_SPARK) {
            /* a sparkline keeps its series, oldest first (common/spark.h) */
            cJSON_AddStringToObject(cells, s->cols[c].title, text);
        } else if (!isfinite(num)) {
            cJSON_AddNullToObject(cells, s->cols[c].title); /* no data */
        } else {
            cJSON_AddNumberToObject(cells, s->cols[c].title, num);
        }
    }
    cJSON *detail = cJSON_AddObjectToObject(o, "detail");
    const char *d = rowset_str(rs, rs->rows[row].detail);
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        size_t n = nl ? (size_t)(nl - d) : strlen(d);
        const char *tab = memchr(d, '\t', n);
        if (tab != NULL) {
            char *k = xstrndup(d, (size_t)(tab - d));
            char *v = xstrndup(tab + 1, n - (size_t)(tab - d) - 1);
            cJSON_AddStringToObject(detail, k, v);
            free(k);
            free(v);
        }
        d += n + (nl ? 1 : 0);
    }
    return o;
}

static void add_backends(cJSON *root, struct backend **backends, size_t n, uint64_t now)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "backends");
    for (size_t i = 0; i < n; i++) {
        char health[256];
        backend_health_text(backends[i], now, health, sizeof health);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", backends[i]->name);
        cJSON_AddStringToObject(o, "type", backends[i]->impl->type);
        cJSON_AddStringToObject(o, "health", health);
        if (backends[i]->cluster != NULL) {
            cJSON_AddStringToObject(o, "cluster", cluster_name(backends[i]->cluster));
        }
        cJSON_AddItemToArray(arr, o);
    }
    /* each cluster once, at its first member: its one line of health */
    cJSON *clusters = cJSON_AddArrayToObject(root, "clusters");
    for (size_t i = 0; i < n; i++) {
        const struct cluster *c = backends[i]->cluster;
        if (c == NULL || cluster_member(c, 0) != backends[i]) {
            continue;
        }
        char health[512];
        cluster_health_text(c, now, health, sizeof health);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", cluster_name(c));
        cJSON_AddStringToObject(o, "type", backends[i]->impl->type);
        cJSON *members = cJSON_AddArrayToObject(o, "members");
        for (size_t m = 0; m < cluster_size(c); m++) {
            cJSON_AddItemToArray(members, cJSON_CreateString(cluster_member(c, m)->name));
        }
        cJSON_AddStringToObject(o, "health", health);
        cJSON_AddItemToArray(clusters, o);
    }
}

int snapshot_run(struct loop *loop, struct store *store, struct backend **backends,
                 size_t nbackends, bool json, FILE *out)
{
    snapshot_wait(loop, backends, nbackends);
    for (size_t i = 0; i < nbackends; i++) {
        backend_unschedule(backends[i]); /* it reports and exits: no next try */
    }
    int64_t now = clock_wall_s();
    uint64_t mono = clock_mono_ms();
    int status = 0;
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *panes = json ? cJSON_AddObjectToObject(root, "panes") : NULL;
    for (size_t k = 0; k < pane_count; k++) {
        const struct pane_ops *pane = pane_registry[k].ops;
        const struct pane_table *t = pane->table;
        if (t == NULL) {
            continue;
        }
        struct tableview tv;
        tableview_init(&tv, t->kind);
        tv.sort_col = t->sort_col;
        tv.sort_desc = t->sort_desc;
        tableview_rebuild(&tv, store);
        if (json) {
            cJSON *rows = cJSON_AddArrayToObject(panes, pane->name);
            for (size_t i = 0; i < tv.nrows; i++) {
                cJSON_AddItemToArray(rows, row_json(&tv, i, now));
            }
        } else {
            char summary[128];
            t->summary(&tv, summary, sizeof summary);
            fputs(k ? "\n" : "", out);
            text_printf(out, "== %s: %s ==\n", model_schema(tv.kind)->title, summary);
            print_text_pane(&tv, now, out);
        }
        tableview_finish(&tv);
    }
    for (size_t i = 0; i < nbackends; i++) {
        if (backends[i]->health == BACKEND_ERROR) {
            status = 1;
        }
    }
    if (json) {
        add_backends(root, backends, nbackends, mono);
        json_print_clean(out, root);
        cJSON_Delete(root);
    } else {
        fputc('\n', out);
        for (size_t i = 0; i < nbackends; i++) {
            char health[256];
            backend_health_text(backends[i], mono, health, sizeof health);
            text_printf(out, "backend %s (%s): %s\n", backends[i]->name, backends[i]->impl->type,
                        health);
        }
        for (size_t i = 0; i < nbackends; i++) {
            const struct cluster *c = backends[i]->cluster;
            if (c != NULL && cluster_member(c, 0) == backends[i]) {
                char health[512];
                cluster_health_text(c, mono, health, sizeof health);
                text_printf(out, "cluster %s (%s, %zu members): %s\n", cluster_name(c),
                            backends[i]->impl->type, cluster_size(c), health);
            }
        }
    }
    return status;
}
