/*
 * libFuzzer harness: the Alertmanager alerts and silences parsers must give
 * rows or an error, never crash; rows must have unique keys. The input is not
 * NUL-terminated, as a response body cut at the cap would not be. The RFC 3339
 * parser gets the same bytes as a string.
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

typedef bool (*parse_fn)(const char *body, size_t len, struct rowset *rs, int64_t now,
                         char **cause);

static void parse_one(enum model_kind kind, parse_fn parse, const char *body, size_t size)
{
    struct rowset *rs = rowset_create(kind, "fuzz");
    char *cause = NULL;
    if (parse(body, size, rs, 1795426200, &cause)) {
        check_keys(rs);
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
