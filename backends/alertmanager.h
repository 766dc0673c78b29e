/*
 * The Alertmanager backend (API v2): every alert Alertmanager knows, firing,
 * silenced or inhibited, with silence and expire actions, and every silence,
 * with an expire action.
 *
 * It also exports the pieces that show a Prometheus-style label set as an
 * alert row (JSON reading, RFC 3339 times, label hashing, the row itself), so
 * that the Prometheus backend shows the same alert the same way.
 *
 * Two files: alertmanager.c is the backend (settings, poll, actions),
 * alertmanager_parse.c reads what Alertmanager answers (every function here).
 */
#ifndef OPSDECK_ALERTMANAGER_H
#define OPSDECK_ALERTMANAGER_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

extern const struct backend_impl alertmanager_backend;

/*
 * Silence matchers as Alertmanager writes them: name="v", name!="v",
 * name=~"re", name!~"re", comma-separated, optionally in {}; bare values run
 * to the next comma. *out is a JSON array of {name, value, isRegex, isEqual}.
 */
bool alertmanager_parse_matchers(const char *text, struct cJSON **out, char **cause);

/*
 * Parse a GET /api/v2/alerts body (a JSON array of gettableAlert objects) into
 * rows of rs. now (wall-clock seconds) bounds start times from a server whose
 * clock runs ahead. False with *cause on anything that is not an array of
 * alerts; entries that are not objects are skipped, fields of the wrong type
 * count as missing.
 */
bool alertmanager_parse_alerts(const char *body, size_t len, struct rowset *rs, int64_t now,
                               char **cause);

/*
 * Parse a GET /api/v2/silences body (a JSON array of gettableSilence objects)
 * into MODEL_SILENCES rows of rs, keyed by the silence id: active first, then
 * pending, then expired, in the response's order otherwise. MATCHERS reads
 * as Alertmanager writes them (name="v", name!~"re", comma-separated); ENDS
 * says "in 1h", "starts in 5m" or "ended 3m ago" against now (wall-clock
 * seconds) and sorts by endsAt. False with *cause ("expected a JSON array of
 * silences") on anything that is not an array; entries that are not objects
 * are skipped, fields of the wrong type count as missing.
 */
bool alertmanager_parse_silences(const char *body, size_t len, struct rowset *rs, int64_t now,
                                 char **cause);

/*
 * The cause of a failed read of a list (common/jsonstream.h) as the parsers
 * word it: "expected a JSON array of WHAT" for a top-level value that is not
 * an array; invalid JSON as the stream says it. Caller frees.
 */
char *alertmanager_list_cause(const char *cause, const char *what);

/*
 * Unchanged silences (issue 19: an answer the same as the last one is not
 * read again): only the ENDS texts move on with the clock ("in 59m", "ended
 * 3m ago"). alertmanager_silences_again: the rows of kept (a copy of the last
 * silences published) read against now, or NULL when no ENDS text changed;
 * alertmanager_silences_copy: the copy to keep. Callers destroy either.
 */
struct rowset *alertmanager_silences_again(const struct rowset *kept, int64_t now);
struct rowset *alertmanager_silences_copy(const struct rowset *rs);

/* ---- shared with the Prometheus backend ---- */

/*
 * The fingerprint of a label set as Prometheus and Alertmanager compute it
 * (FNV-1a 64 over name, 0xff, value, 0xff for each label sorted by name),
 * as 16 hex digits: an alert seen through Prometheus and through
 * Alertmanager gets the same key. Members that are not strings are ignored.
 */
void alertmanager_labels_hash(const struct cJSON *labels, char out[17]);

/* What an alert row shows; the strings and objects are borrowed. */
struct alertmanager_row {
    const char *key;
    const struct cJSON *labels;      /* object of strings, or NULL */
    const struct cJSON *annotations; /* object of strings, or NULL */
    const char *state;
    enum tone state_tone; /* TONE_NORMAL: no tone on the STATE cell */
    enum tone row_tone;   /* TONE_NORMAL: the severity's tone */
    int64_t starts_at;    /* seconds since the epoch, 0 when unknown */
};

/*
 * Begin a row and fill every column, plus label.NAME and annotation.NAME
 * detail lines; the caller adds its own detail lines after.
 */
void alertmanager_row_begin(struct rowset *rs, const struct alertmanager_row *r);

/* critical, error, page: crit; warning: warn; info: info; else normal. */
enum tone alertmanager_severity_tone(const char *severity);

/* ---- for the actions (alertmanager.c) ---- */

/* A silence row's SILENCE cell shows this much of its id, as messages do. */
enum { ALERTMANAGER_SHORT_ID = 8 };

/*
 * One entry of a GET /api/v2/alerts array as a row of rs (what
 * alertmanager_parse_alerts does for each): false, and no row, when alert is
 * not an object. keys keeps the row keys of one response unique. The row is
 * left open (the caller may add detail lines; rowset_end ends it).
 */
bool alertmanager_add_alert(struct rowset *rs, const struct cJSON *alert, int64_t now,
                            struct model_keys *keys);

/*
 * What an action needs of an alert, read back from its row (the detail lines
 * alertmanager_row_begin and the parser wrote): the backend keeps no document.
 * alertmanager_row_labels: the "label.NAME" lines as an object of strings;
 * alertmanager_row_silences: the ids of "silencedBy" as an array of strings
 * (empty when not silenced). Caller deletes either.
 */
struct cJSON *alertmanager_row_labels(const struct rowset *rs, size_t row);
struct cJSON *alertmanager_row_silences(const struct rowset *rs, size_t row);
/*
 * A detail line keeps a value on one line (model.h: a newline or a tab reads
 * as a space), so a label set with one of those cannot be read back exactly
 * from its row: true for such a set (the backend keeps those few aside).
 */
bool alertmanager_labels_flattened(const struct cJSON *labels);

/*
 * One equality matcher per label (the narrowest silence), as a JSON array of
 * {name, value, isRegex, isEqual}; members that are not strings are left
 * out. Caller deletes.
 */
struct cJSON *alertmanager_label_matchers(const struct cJSON *labels);
/* Matchers as Alertmanager writes them: name="v", name!~"re", ... Caller frees. */
char *alertmanager_matchers_text(const struct cJSON *matchers);

#endif
