/*
 * libFuzzer harness: the Prometheus alerts parser must give rows or an error,
 * never crash; rows must have unique keys. The input is not NUL-terminated.
 */
#include "../../backends/prometheus.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = xmalloc(size > 0 ? size : 1);
    memcpy(body, data, size);
    struct rowset *rs = rowset_create(MODEL_ALERTS, "fuzz");
    char *cause = NULL;
    if (prometheus_parse_alerts(body, size, rs, &cause)) {
        for (size_t i = 0; i < rs->nrows; i++) {
            for (size_t j = i + 1; j < rs->nrows; j++) {
                if (strcmp(rowset_key(rs, i), rowset_key(rs, j)) == 0) {
                    abort(); /* keys must be unique within a source */
                }
            }
        }
    } else if (cause == NULL) {
        abort(); /* every failure says why */
    }
    free(cause);
    rowset_destroy(rs);
    free(body);
    return 0;
}
