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
 *
 * Large answers (issue 19): when the rows pointer is a path of object members
 * (plugin_pointer_member), the array is read an element at a time in slices
 * on the loop (http_poll_parse), each element mapped and freed at once. An
 * answer the same as the last one published (http_poll_same) rebuilds
 * nothing. A pointer through an array index reads the whole document. When
 * the streamed reading finds no array at the pointer, the document around
 * it (the stream's rest) is mapped as a whole one would be, so the error says
 * what the pointer met, as it always has ("pointer /data/queue did not
 * resolve: no member 'queue' at /data"), without asking the server again.
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
    char *member;            /* the rows pointer as a member path, NULL: read the whole */
    bool row_failed;         /* the streamed parse stopped at a row */
    struct rowset *building; /* the streamed parse's rows */
    struct plugin_mapping mapping;
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
    free(h->member);
    h->member = NULL;
    if (!plugin_pointer_member(h->map.rows, &h->member)) {
        h->member = NULL; /* through an array index: the whole document */
    }
    return map_columns(h, cause) && http_settings_finish(&h->http, b->timeout_ms, cause);
}

static void on_fetch(const struct http_response *r, void *ud);

/* The whole document as one tree. */
static void read_whole(struct backend *b, const struct http_response *r)
{
    struct httpjson *h = b->priv;
    cJSON *doc = cJSON_ParseWithLength(r->body, r->len);
    if (doc == NULL) {
        backend_fail(b, "bad response: not JSON");
        return;
    }
    struct rowset *rs = rowset_create(h->kind, b->name);
    char *cause = NULL;
    if (plugin_map_rows(doc, &h->map, rs, NULL, &cause)) {
        backend_publish(b, rs);
        http_poll_took(&h->poll, r);
    } else {
        backend_fail(b, "%s", cause);
        free(cause);
        rowset_destroy(rs);
    }
    cJSON_Delete(doc);
}

static bool on_row(void *ud, cJSON *elem, char **cause)
{
    struct backend *b = ud;
    struct httpjson *h = b->priv;
    if (!plugin_mapping_row(&h->mapping, elem, cause)) {
        h->row_failed = true;
        return false;
    }
    return true;
}

static void on_parsed(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct backend *b = ud;
    struct httpjson *h = b->priv;
    (void)rest;
    (void)nelems;
    struct rowset *rs = h->building;
    h->building = NULL;
    char *why = NULL;
    if (ok && plugin_mapping_end(&h->mapping, &why)) {
        backend_publish(b, rs);
        http_poll_parse_took(&h->poll);
        http_poll_end(&h->poll);
        return;
    }
    rowset_destroy(rs);
    if (ok || h->row_failed) {
        backend_fail(b, "%s", why != NULL ? why : cause);
    } else if (!str_has_prefix(cause, "expected ")) {
        /* json_parse's words: invalid JSON, an empty response, data after the JSON */
        backend_fail(b, "bad response: not JSON (%s)", cause);
    } else {
        /* no array where the pointer points: the document (rest) says what is there */
        char *whole = NULL;
        struct rowset *scratch = rowset_create(h->kind, b->name);
        if (rest == NULL || plugin_map_rows(rest, &h->map, scratch, NULL, &whole)) {
            whole = xasprintf("bad response: %s", cause); /* only the stream refused it */
        }
        rowset_destroy(scratch);
        backend_fail(b, "%s", whole);
        free(whole);
    }
    free(why);
    http_poll_end(&h->poll);
}

static void on_fetch(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct httpjson *h = b->priv;
    bool whole = h->member == NULL;
    if (http_poll_same(&h->poll, r)) {
        backend_ok(b); /* the rows published from this answer are still right */
        http_poll_end(&h->poll);
        return;
    }
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        http_poll_end(&h->poll);
        return;
    }
    if (whole) {
        read_whole(b, r);
        http_poll_end(&h->poll);
        return;
    }
    h->building = rowset_create(h->kind, b->name);
    h->row_failed = false;
    plugin_mapping_begin(&h->mapping, &h->map, h->building, NULL);
    http_poll_parse(&h->poll, r, h->member, on_row, on_parsed, b);
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
    http_poll_finish(&h->poll); /* and the parse in flight */
    rowset_destroy(h->building);
    free(h->member);
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
