/*
 * libFuzzer harness: the Alertmanager alerts and silences parsers must give
 * rows or an error, never crash; rows must have unique keys. What the actions
 * read back from an alert row (labels, silencedBy) must be what the element
 * had (issue 19: no document is kept for them); unchanged silences read
 * again later are the same rows. The input is not NUL-terminated,
 * as a response body cut at the cap would not be. The RFC 3339 parser gets
 * the same bytes as a string.
 */
#include "../../backends/alertmanager.h"
#include "../../common/clock.h"
#include "../../common/util.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_keys(const struct rowset *rs)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        for (size_t j = i + 1; j < rs->nrows; j++) {
            if (strcmp(rowset_key(rs, i), rowset_key(rs, j)) == 0) {
                abort(); /* keys must be unique within a source */
            }
        }
    }
}

/* The string members of obj that a row can give back (no newline or tab), in order. */
static cJSON *plain_labels(const cJSON *obj)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *l;
    cJSON_ArrayForEach(l, obj)
    {
        if (cJSON_IsString(l) && l->string != NULL && l->string[0] != '\0' &&
            strpbrk(l->string, "\n\t") == NULL) {
            cJSON_AddItemToObject(out, l->string, cJSON_CreateString(l->valuestring));
        }
    }
    return out;
}

/* No two members of the same name (cJSON_Compare finds the first of each). */
static bool unique_names(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a != NULL; a = a->next) {
        for (const cJSON *b = a->next; b != NULL; b = b->next) {
            if (strcmp(a->string, b->string) == 0) {
                return false;
            }
        }
    }
    return true;
}

/* Every alert row gives back its element's labels (those a row can hold exactly). */
static void check_read_back(const char *body, size_t size, const struct rowset *rs)
{
    cJSON *doc = cJSON_ParseWithLength(body, size);
    size_t row = 0;
    const cJSON *alert;
    cJSON_ArrayForEach(alert, doc)
    {
        if (!cJSON_IsObject(alert)) {
            continue;
        }
        if (row >= rs->nrows) {
            abort(); /* a row per object */
        }
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(alert, "labels");
        cJSON *got = alertmanager_row_labels(rs, row);
        cJSON *ids = alertmanager_row_silences(rs, row);
        if (cJSON_IsObject(labels) && !alertmanager_labels_flattened(labels)) {
            cJSON *want = plain_labels(labels);
            if (cJSON_GetArraySize(want) == cJSON_GetArraySize(labels) && unique_names(want) &&
                !cJSON_Compare(got, want, true)) {
                abort(); /* an action would silence other labels than the alert's */
            }
            cJSON_Delete(want);
        }
        cJSON_Delete(got);
        cJSON_Delete(ids);
        row++;
    }
    cJSON_Delete(doc);
}

typedef bool (*parse_fn)(const char *body, size_t len, struct rowset *rs, int64_t now,
                         char **cause);

static void parse_one(enum model_kind kind, parse_fn parse, const char *body, size_t size)
{
    struct rowset *rs = rowset_create(kind, "fuzz");
    char *cause = NULL;
    if (parse(body, size, rs, 1795426200, &cause)) {
        check_keys(rs);
        if (kind == MODEL_ALERTS) {
            check_read_back(body, size, rs);
        } else {
            struct rowset *kept = alertmanager_silences_copy(rs);
            struct rowset *again = alertmanager_silences_again(kept, 1795426200 + 3600);
            if (again != NULL && again->nrows != rs->nrows) {
                abort(); /* the same silences, read an hour later */
            }
            rowset_destroy(again);
            rowset_destroy(kept);
        }
    } else if (cause == NULL) {
        abort(); /* every failure says why */
    }
    free(cause);
    rowset_destroy(rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = xmalloc(size > 0 ? size : 1);
    memcpy(body, data, size);
    parse_one(MODEL_ALERTS, alertmanager_parse_alerts, body, size);
    parse_one(MODEL_SILENCES, alertmanager_parse_silences, body, size);

    char *text = xstrndup((const char *)data, size);
    int64_t t;
    clock_parse_rfc3339_s(text, &t);
    /* the silence form's matchers are typed by a person: any text, no crash */
    cJSON *matchers = NULL;
    char *why = NULL;
    if (alertmanager_parse_matchers(text, &matchers, &why)) {
        if (cJSON_GetArraySize(matchers) < 1) {
            abort(); /* success means at least one matcher */
        }
        cJSON_Delete(matchers);
    } else if (why == NULL) {
        abort();
    }
    free(why);
    free(text);
    free(body);
    return 0;
}
