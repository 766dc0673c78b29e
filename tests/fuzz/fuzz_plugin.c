/*
 * libFuzzer harness for the plugin parsers (backends/plugin.c). The first
 * byte picks what the rest of the input is:
 *   0  plugin output in the row schema, for the pane (byte 1 % 4): rows or an
 *      error with a cause, never a crash; keys unique; the kept copy matches
 *      the rows; every kept row expands an action template;
 *   1  "POINTER\nJSON": resolve the pointer, then map the document with it as
 *      the rows pointer;
 *   2  a value for display as a shell word: quoting it and reading the result
 *      back the way sh reads single quotes gives the value again, and no
 *      byte of it stands outside quotes;
 *   3  a command template: checked, and when accepted, built into a command
 *      whose values are all in its environment.
 * The input is not NUL-terminated.
 */
#include "../../backends/plugin.h"
#include "../../common/shtmpl.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum model_kind kinds[] = {MODEL_ALERTS, MODEL_QUEUES, MODEL_POOLS, MODEL_DEPLOYS};

static void rows(const char *body, size_t len, enum model_kind kind)
{
    struct rowset *rs = rowset_create(kind, "fuzz");
    struct plugin_rows keep = {0};
    char *cause = NULL;
    if (plugin_parse_rows(body, len, rs, &keep, &cause)) {
        if (keep.n != rs->nrows) {
            abort(); /* the kept copy is the rows, one for one */
        }
        for (size_t i = 0; i < rs->nrows; i++) {
            for (size_t j = i + 1; j < rs->nrows; j++) {
                if (strcmp(rowset_key(rs, i), rowset_key(rs, j)) == 0) {
                    abort(); /* keys must be unique within a source */
                }
            }
            const struct plugin_row *r = plugin_rows_find(&keep, rowset_key(rs, i));
            if (r == NULL) {
                abort();
            }
            const char *col = model_schema(kind)->cols[0].title;
            char *tmpl = xasprintf("echo ${%s} ${key} ${input}", col);
            struct shtmpl_command cmd;
            if (!plugin_command(kind, tmpl, r->key, r, "in", &cmd, &cause)) {
                abort(); /* a good template always builds */
            }
            shtmpl_command_finish(&cmd);
            free(tmpl);
        }
    } else if (cause == NULL) {
        abort(); /* every failure says why */
    }
    free(cause);
    plugin_rows_clear(&keep);
    rowset_destroy(rs);
}

static void pointer(const char *body, size_t len)
{
    const char *nl = memchr(body, '\n', len);
    if (nl == NULL) {
        return;
    }
    char *ptr = xstrndup(body, (size_t)(nl - body));
    cJSON *doc = cJSON_ParseWithLength(nl + 1, len - (size_t)(nl + 1 - body));
    char *cause = NULL;
    if (plugin_pointer(doc, ptr, &cause) == NULL && cause == NULL) {
        abort();
    }
    free(cause);
    cause = NULL;
    if (plugin_pointer_valid(ptr, &cause)) {
        struct plugin_map m = {0};
        m.rows = ptr;
        m.key = xstrdup("/k");
        m.cols[0] = xstrdup("/a");
        m.cols[1] = xstrdup("/b/0");
        struct rowset *rs = rowset_create(MODEL_QUEUES, "fuzz");
        if (!plugin_map_rows(doc, &m, rs, NULL, &cause) && cause == NULL) {
            abort();
        }
        rowset_destroy(rs);
        plugin_map_free(&m);
        ptr = NULL;
    }
    free(cause);
    free(ptr);
    cJSON_Delete(doc);
}

/* Read a quoted word as sh does: '...' literally, \x outside quotes as x. */
static void quoting(const char *value)
{
    char *q = shtmpl_quote(value);
    size_t n = strlen(q);
    char *back = xmalloc(n + 1);
    size_t o = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '\'') {
            in = !in;
        } else if (in) {
            back[o++] = q[i];
        } else if (q[i] == '\\' && i + 1 < n && q[i + 1] == '\'') {
            back[o++] = '\'';
            i++;
        } else {
            abort(); /* a byte outside quotes that is not an escaped quote */
        }
    }
    back[o] = '\0';
    if (in || strcmp(back, value) != 0) {
        abort();
    }
    free(back);
    free(q);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void templates(const char *tmpl, enum model_kind kind)
{
    char *cause = NULL;
    if (plugin_template_check(kind, tmpl, true, &cause)) {
        struct shtmpl_command cmd;
        if (!plugin_command(kind, tmpl, "k'ey", NULL, "$(x)", &cmd, &cause)) {
            abort();
        }
        if (count(cmd.command, "$(x)") > count(tmpl, "$(x)")) {
            abort(); /* a value is never pasted into the command's text */
        }
        shtmpl_command_finish(&cmd);
    } else if (cause == NULL) {
        abort();
    }
    free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t len = size - 2;
    char *body = xmalloc(len + 1);
    memcpy(body, data + 2, len);
    body[len] = '\0';
    enum model_kind kind = kinds[data[1] % 4];
    switch (data[0] % 4) {
    case 0:
        rows(body, len, kind);
        break;
    case 1:
        pointer(body, len);
        break;
    case 2:
        quoting(body);
        break;
    default:
        templates(body, kind);
        break;
    }
    free(body);
    return 0;
}
