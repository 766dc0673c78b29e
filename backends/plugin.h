/*
 * What the two plugin backends share (exec and http-json, docs/plugins.md):
 *
 * - the row schema a plugin prints:
 *     {"rows":[{"key":"orders","cells":{"QUEUE":"orders","MSGS":12},
 *               "tone":"warn","tones":{"MSGS":"crit"},"detail":{"k":"v"}}]}
 *   or {"error":"text"}. Cells are named by the pane's column titles
 *   (model_schema()), numeric columns take JSON numbers, SOURCE is ours, keys
 *   are unique;
 * - JSON pointers (RFC 6901) and the column mapping of http-json;
 * - the text of the last rows per key, for ${COLUMN} in action commands;
 * - command templates (common/shtmpl.h): ${COLUMN}, ${key} and ${input}
 *   reach the command in its environment, never as shell text; a template
 *   where a value could be read as code is refused when the config is read.
 *
 * Everything here is pure (no I/O) so the unit tests and the fuzzer drive it.
 */
#ifndef OPSDECK_PLUGIN_H
#define OPSDECK_PLUGIN_H

#include "model.h"

#include "../common/shtmpl.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stddef.h>

/* The pane a plugin feeds: alerts, queues, pools, deployments (or deploys). */
bool plugin_pane(const char *name, enum model_kind *out);

/* One row as the plugin gave it: its key and each column's value as text. */
struct plugin_row {
    char *key;
    char **cells; /* ncols entries, NULL when the cell is empty */
};

struct plugin_rows {
    int ncols;
    struct plugin_row *rows;
    size_t n, cap;
};

void plugin_rows_clear(struct plugin_rows *pr);
const struct plugin_row *plugin_rows_find(const struct plugin_rows *pr, const char *key);

/*
 * Parse a plugin's output (the row schema) into rs (of kind rs->kind, ended)
 * and, when keep is not NULL, the rows' text into keep (cleared first).
 * On failure returns false with *cause; rs and keep are then half-filled and
 * should be dropped.
 */
bool plugin_parse_rows(const char *text, size_t len, struct rowset *rs, struct plugin_rows *keep,
                       char **cause);

/* Is ptr a JSON pointer ("" or "/a/b~1c")? false with *cause if not. */
bool plugin_pointer_valid(const char *ptr, char **cause);
/*
 * Resolve an RFC 6901 pointer in doc. NULL when it does not resolve, with
 * *cause naming the pointer and the first token that failed.
 */
const cJSON *plugin_pointer(const cJSON *doc, const char *ptr, char **cause);

enum { PLUGIN_MAX_COLS = 16 }; /* more than any pane's schema has */

/* The http-json mapping: pointers to the rows, the key and each column. */
struct plugin_map {
    char *rows;                  /* pointer to the array of rows in the document */
    char *key;                   /* pointer to the key within a row */
    char *cols[PLUGIN_MAX_COLS]; /* per column index, NULL when unmapped */
};

void plugin_map_free(struct plugin_map *m);
/*
 * Map a fetched document to rows of rs->kind. Strings that are numbers are
 * taken for numeric columns (APIs often quote them). A column pointer that
 * resolves in none of the rows is an error: it is a typo more often than not.
 */
bool plugin_map_rows(const cJSON *doc, const struct plugin_map *m, struct rowset *rs,
                     struct plugin_rows *keep, char **cause);

/*
 * The mapping a row at a time, for a list read element by element
 * (common/jsonstream.h, jsonjob.h): begin, one call per element of the rows
 * array (in order), end (duplicate keys, columns that never resolved).
 * plugin_map_rows is these three over a whole document.
 */
struct plugin_mapping {
    const struct plugin_map *m;
    struct rowset *rs;
    struct plugin_rows *keep;
    bool hit[PLUGIN_MAX_COLS];
    size_t n;
};

void plugin_mapping_begin(struct plugin_mapping *pm, const struct plugin_map *m, struct rowset *rs,
                          struct plugin_rows *keep);
bool plugin_mapping_row(struct plugin_mapping *pm, const cJSON *row, char **cause);
bool plugin_mapping_end(struct plugin_mapping *pm, char **cause);
/*
 * The member path (jsonstream.h) of a rows pointer: "/data/queues" is
 * "data.queues", "" the document itself (caller frees *member). False when
 * the pointer has no such path (a token that is empty, holds a '.' or is all
 * digits, i.e. may index an array): read the whole document then.
 */
bool plugin_pointer_member(const char *ptr, char **member);

/*
 * Check a command template: every ${NAME} is a column of kind, key, or input
 * (only when has_input), and stands where the shell reads it as data.
 */
bool plugin_template_check(enum model_kind kind, const char *tmpl, bool has_input, char **cause);

/*
 * Build what an action runs for one row (row may be NULL: empty cells); free
 * it with shtmpl_command_finish.
 */
bool plugin_command(enum model_kind kind, const char *tmpl, const char *key,
                    const struct plugin_row *row, const char *input, struct shtmpl_command *out,
                    char **cause);

#endif
