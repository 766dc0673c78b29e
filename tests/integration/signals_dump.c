/*
 * The Signals rows of a config's backends, as the console's store holds them,
 * for tests/integration/signals.sh:
 *
 *   signals_dump CONFIG SECONDS
 *
 * builds every backend of CONFIG the way the console does (config_load, then
 * backend_configure with each key, backend_start), runs the loop for SECONDS
 * and prints one JSON line whenever what it would print changes: {"health":
 * {NAME: TEXT}, "polls": {NAME: N}, "rows": [{"key", "tone", "cells": {TITLE:
 * number or text}, "detail": {KEY: VALUE}}]} with the MODEL_SIGNALS rows of
 * the store. It reads the store, not a pane: the Signals pane is another
 * helper's, and this test is about what the backend publishes.
 */
#include "../../backends/backend.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tone_names[] = {"normal", "ok", "info", "warn", "crit", "muted"};

static cJSON *row_json(const struct rowset *rs, size_t row)
{
    const struct model_schema *s = model_schema(MODEL_SIGNALS);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", rs->source);
    cJSON_AddStringToObject(o, "key", rowset_key(rs, row));
    cJSON_AddStringToObject(o, "tone", tone_names[rs->rows[row].tone]);
    cJSON *cells = cJSON_AddObjectToObject(o, "cells");
    cJSON *texts = cJSON_AddObjectToObject(o, "texts");
    cJSON *nums = cJSON_AddObjectToObject(o, "nums");
    for (int c = 0; c < s->ncols; c++) {
        const char *text = rowset_cell_text(rs, row, c);
        double num = rowset_cell_num(rs, row, c);
        cJSON_AddStringToObject(texts, s->cols[c].title, text);
        if (num == num) {
            cJSON_AddNumberToObject(nums, s->cols[c].title, num);
        } else {
            cJSON_AddNullToObject(nums, s->cols[c].title);
        }
        if (s->cols[c].type == CELL_TEXT) {
            cJSON_AddStringToObject(cells, s->cols[c].title, text);
        } else {
            double v = rowset_cell_num(rs, row, c);
            if (v == v) {
                cJSON_AddNumberToObject(cells, s->cols[c].title, v);
            } else {
                cJSON_AddNullToObject(cells, s->cols[c].title);
            }
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

static char *dump(struct store *st, struct backend **bs, size_t n, uint64_t now)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *health = cJSON_AddObjectToObject(root, "health");
    for (size_t i = 0; i < n; i++) {
        char text[512];
        backend_health_text(bs[i], now, text, sizeof text);
        /* the age of old data moves every second: not a change worth a line */
        char *paren = strstr(text, " (data ");
        if (paren != NULL) {
            *paren = '\0';
        }
        cJSON_AddStringToObject(health, bs[i]->name, text);
    }
    cJSON *polls = cJSON_AddObjectToObject(root, "polls");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddNumberToObject(polls, bs[i]->name, (double)bs[i]->polls);
    }
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (size_t s = 0; s < store_nsets(st, MODEL_SIGNALS); s++) {
        const struct rowset *rs = store_set(st, MODEL_SIGNALS, s);
        for (size_t r = 0; r < rs->nrows; r++) {
            cJSON_AddItemToArray(rows, row_json(rs, r));
        }
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: signals_dump CONFIG SECONDS\n");
        return 2;
    }
    char *cause = NULL;
    struct config *cfg = config_load(argv[1], &cause);
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", cause);
        free(cause);
        return 2;
    }
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend **bs = xcalloc(cfg->nbackends + 1, sizeof *bs);
    size_t n = 0;
    int status = 0;
    for (size_t i = 0; i < cfg->nbackends && status == 0; i++) {
        const struct config_backend *cb = &cfg->backends[i];
        const struct backend_impl *impl = backend_impl_find(cb->type);
        if (impl == NULL) {
            fprintf(stderr, "unknown type %s\n", cb->type);
            status = 2;
            break;
        }
        struct backend *b = backend_create(impl, cb->name, st, loop);
        bs[n++] = b;
        for (size_t e = 0; e < cb->nentries && status == 0; e++) {
            if (!backend_configure(b, cb->entries[e].key, cb->entries[e].value, &cause)) {
                fprintf(stderr, "%s:%d: %s\n", cfg->path, cb->entries[e].line, cause);
                status = 2;
            }
        }
        if (status == 0 && !backend_start(b, &cause)) {
            fprintf(stderr, "backend '%s': %s\n", b->name, cause);
            status = 2;
        }
    }
    uint64_t end = clock_mono_ms() + (uint64_t)(atof(argv[2]) * 1000);
    char *last = NULL;
    while (status == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 100);
        char *now = dump(st, bs, n, loop_now_ms(loop));
        if (last == NULL || strcmp(now, last) != 0) {
            printf("%s\n", now);
            fflush(stdout);
            free(last);
            last = now;
        } else {
            free(now);
        }
    }
    free(last);
    free(cause);
    for (size_t i = 0; i < n; i++) {
        backend_destroy(bs[i]);
    }
    free(bs);
    store_destroy(st);
    loop_destroy(loop);
    config_destroy(cfg);
    return status;
}
