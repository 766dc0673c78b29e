/*
 * libFuzzer harness: a drill document from another console
 * (drill_from_public) gives a drill or an error with its cause, never a
 * crash; an accepted one makes a document again that is accepted again, and
 * a view of it takes the same bytes as a journal line, filtered for a
 * participant first as the owner would.
 */
#include "../../common/json.h"
#include "../../common/util.h"
#include "../../engine/drill_public.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!json_parse((const char *)data, size, &doc, &cause)) {
        free(cause);
        return 0;
    }
    struct drill *d = drill_from_public(doc, &cause);
    if (d == NULL) {
        if (cause == NULL) {
            abort(); /* every refusal says why */
        }
        free(cause);
        cJSON_Delete(doc);
        return 0;
    }
    cJSON *again = drill_public_doc(d, SHARE_DRIVER, NULL);
    struct drill *d2 = drill_from_public(again, &cause);
    if (d2 == NULL) {
        abort(); /* what we write we read */
    }
    struct drillview *v = drillview_create(d2, NULL, NULL);
    struct runlog_event ev;
    const cJSON *line = json_obj(doc, "line");
    if (line != NULL && runlog_event_parse(line, &ev)) {
        cJSON *pub = drill_public_line(d2, SHARE_PARTICIPANT, &ev);
        struct runlog_event pev;
        if (pub != NULL && runlog_event_parse(pub, &pev)) {
            drillview_apply(&pev, v);
        }
        cJSON_Delete(pub);
        drillview_apply(&ev, v);
    }
    drill_public_settle(doc, v);
    cJSON *pdoc = drill_public_doc(d2, SHARE_PARTICIPANT, v);
    cJSON_Delete(pdoc);
    drillview_destroy(v);
    drill_free(d2);
    cJSON_Delete(again);
    drill_free(d);
    cJSON_Delete(doc);
    return 0;
}
