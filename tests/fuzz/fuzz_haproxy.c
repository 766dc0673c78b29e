/*
 * libFuzzer harness: HAProxy stats CSV from a server we do not control. Any
 * bytes give rows or a cause, never a crash or a read past the input (the
 * input is copied into a buffer of exactly its size, without a NUL).
 */
#include "../../backends/haproxy.h"
#include "../../backends/model.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size ? size : 1);
    memcpy(text, data, size);
    struct rowset *rs = rowset_create(MODEL_POOLS, "fuzz");
    char *cause = NULL;
    bool ok = haproxy_parse_csv(text, size, rs, &cause);
    if (ok == (cause != NULL)) {
        abort(); /* a cause exactly when it fails */
    }
    for (size_t i = 0; i < rs->nrows; i++) {
        const char *key = rowset_key(rs, i);
        if (strchr(key, '/') == NULL || strlen(key) > size) {
            abort(); /* every row is backend/server, made of input bytes */
        }
        for (int c = 0; c < POOL_NCOLS; c++) {
            (void)strlen(rowset_cell_text(rs, i, c));
        }
    }
    rowset_destroy(rs);
    free(cause);
    free(text);
    return 0;
}
