/*
 * The http-json plugin backend (docs/plugins.md): GET `url` through the one
 * HTTP client (every shared HTTP key works: auth, TLS, timeouts, body cap)
 * and map the JSON it answers to rows of `pane` with JSON pointers:
 *
 *   rows = /data/queues         the array of rows ("" = the document itself)
 *   key = /name                 within a row: the row's stable key
 *   column.QUEUE = /name        within a row: one per mapped column
 *   column.MSGS = /stats/depth
 *
 * Read-only: a system worth acting on through HTTP deserves a real backend,
 * or an exec plugin whose actions are commands.
 */
#include "httpjson.h"

#include "../common/util.h"
#include "http.h"
#include "http_poll.h"
#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct httpjson {
    struct http_settings http;
    struct http_poll poll;
    enum model_kind kind;
    bool have_pane;
    struct plugin_map map;
    /* column.TITLE keys are checked at start, when the pane is known */
    char **col_names, **col_ptrs;
    size_t ncols;
};

static void *hj_create(struct backend *b)
{
    struct httpjson *h = xcalloc(1, sizeof *h);
    http_settings_init(&h->http);
    http_poll_init(&h->poll, b, &h->http);
    return h;
}

static bool set_pointer(char **slot, const char *key, const char *value, char **cause)
{
    if (*slot != NULL) {
        *cause = xasprintf("%s given twice", key);
        return false;
    }
    if (!plugin_pointer_valid(value, cause)) {
        return false;
    }
    *slot = xstrdup(value);
    return true;
}

static bool hj_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct httpjson *h = b->priv;
    int taken = http_settings_configure(&h->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "pane") == 0) {
        if (!plugin_pane(value, &h->kind)) {
            *cause = xasprintf("bad pane '%s' (queues, pools, deployments or alerts)", value);
            return false;
        }
        h->have_pane = true;
        return true;
    }
    if (strcmp(key, "rows") == 0) {
        return set_pointer(&h->map.rows, key, value, cause);
    }
    if (strcmp(key, "key") == 0) {
        return set_pointer(&h->map.key, key, value, cause);
    }
    if (str_has_prefix(key, "column.")) {
        if (!plugin_pointer_valid(value, cause)) {
            return false;
        }
        h->col_names = xreallocarray(h->col_names, h->ncols + 1, sizeof *h->col_names);
        h->col_ptrs = xreallocarray(h->col_ptrs, h->ncols + 1, sizeof *h->col_ptrs);
        h->col_names[h->ncols] = xstrdup(key + strlen("column."));
        h->col_ptrs[h->ncols] = xstrdup(value);
        h->ncols++;
        return true;
    }
    *cause = xasprintf("unknown key '%s' for an http-json backend", key);
    return false;
}

static bool map_columns(struct httpjson *h, char **cause)
{
    for (size_t i = 0; i < h->ncols; i++) {
        int col = model_column_by_title(h->kind, h->col_names[i]);
        const struct model_schema *s = model_schema(h->kind);
        if (col < 0 || col >= PLUGIN_MAX_COLS || strcmp(s->cols[col].title, "SOURCE") == 0 ||
            (s->cols[col].flags & COL_CONTEXT)) {
            *cause = xasprintf("column.%s: %s has no such column (SOURCE and CONTEXT are filled by "
                               "opsdeck)",
                               h->col_names[i], s->name);
            return false;
        }
        if (h->map.cols[col] != NULL) {
            *cause = xasprintf("column.%s given twice", s->cols[col].title);
            return false;
        }
        h->map.cols[col] = xstrdup(h->col_ptrs[i]);
    }
    return true;
}

static bool hj_start(struct backend *b, char **cause)
{
    struct httpjson *h = b->priv;
    b->tls_unverified = h->http.insecure;
    if (!h->have_pane) {
        *cause = xstrdup("pane is required (queues, pools, deployments or alerts)");
        return false;
    }
    if (h->map.key == NULL) {
        *cause = xstrdup("key is required (a JSON pointer within a row, e.g. key = /name)");
        return false;
    }
    b->kinds = 1u << h->kind;
    if (h->ncols == 0) {
        *cause = xstrdup("map at least one column (column.TITLE = /pointer)");
        return false;
    }
    return map_columns(h, cause) && http_settings_finish(&h->http, b->timeout_ms, cause);
}

static void on_fetch(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct httpjson *h = b->priv;
    http_poll_end(&h->poll);
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        return;
    }
    cJSON *doc = cJSON_ParseWithLength(r->body, r->len);
    if (doc == NULL) {
        backend_fail(b, "bad response: not JSON");
        return;
    }
    struct rowset *rs = rowset_create(h->kind, b->name);
    char *cause = NULL;
    if (plugin_map_rows(doc, &h->map, rs, NULL, &cause)) {
        backend_publish(b, rs);
    } else {
        backend_fail(b, "%s", cause);
        free(cause);
        rowset_destroy(rs);
    }
    cJSON_Delete(doc);
}

static void hj_poll(struct backend *b)
{
    struct httpjson *h = b->priv;
    if (http_poll_begin(&h->poll)) {
        http_poll_send(&h->poll, "", on_fetch);
    }
}

static void hj_destroy(struct backend *b)
{
    struct httpjson *h = b->priv;
    if (h == NULL) {
        return;
    }
    http_poll_finish(&h->poll);
    http_settings_free(&h->http);
    plugin_map_free(&h->map);
    for (size_t i = 0; i < h->ncols; i++) {
        free(h->col_names[i]);
        free(h->col_ptrs[i]);
    }
    free(h->col_names);
    free(h->col_ptrs);
    free(h);
    b->priv = NULL;
}

const struct backend_impl httpjson_backend = {
    .type = "http-json",
    .description = "plugin: any JSON over HTTP, mapped to rows by JSON pointers (docs/plugins.md)",
    .kinds =
        (1u << MODEL_ALERTS) | (1u << MODEL_QUEUES) | (1u << MODEL_POOLS) | (1u << MODEL_DEPLOYS),
    .actions = NULL,
    .nactions = 0,
    .create = hj_create,
    .configure = hj_configure,
    .start = hj_start,
    .poll = hj_poll,
    .act = NULL,
    .destroy = hj_destroy,
};
