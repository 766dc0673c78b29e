/*
 * libFuzzer harness: :promql's rows (backends/prometheus_query.h) from an
 * instant answer and a range answer must be rows or an error, never a crash:
 * the input up to its first NUL byte is the instant answer, the rest the
 * range answer (none when there is no NUL). Rows must have unique keys, a
 * failure must say why and leave no row, and no more than the cap is shown.
 * The input is not NUL-terminated.
 */
#include "../../backends/prometheus_query.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t ilen = nul != NULL ? (size_t)(nul - data) : size;
    char *instant = xmalloc(ilen > 0 ? ilen : 1);
    memcpy(instant, data, ilen);
    size_t rlen = nul != NULL ? size - ilen - 1 : 0;
    char *range = nul != NULL ? xmalloc(rlen > 0 ? rlen : 1) : NULL;
    if (range != NULL) {
        memcpy(range, nul + 1, rlen);
    }
    struct rowset *rs = rowset_create(MODEL_PROMQL, "fuzz");
    char *cause = NULL, *range_cause = NULL;
    size_t total = 0;
    (void)prometheus_query_wants_range(instant, ilen);
    if (prometheus_query_rows(instant, ilen, range, rlen, 1796390520, "q", rs, &total, &range_cause,
                              &cause)) {
        if (rs->nrows > PROMETHEUS_QUERY_MAX_ROWS || rs->nrows > total) {
            abort(); /* the cap holds, and the total counts every row */
        }
        for (size_t i = 0; i < rs->nrows; i++) {
            for (size_t j = i + 1; j < rs->nrows; j++) {
                if (strcmp(rowset_key(rs, i), rowset_key(rs, j)) == 0) {
                    abort(); /* keys must be unique within a source */
                }
            }
        }
    } else if (cause == NULL || rs->nrows != 0) {
        abort(); /* every failure says why, and leaves nothing half-built */
    }
    free(cause);
    free(range_cause);
    rowset_destroy(rs);
    free(instant);
    free(range);
    return 0;
}
