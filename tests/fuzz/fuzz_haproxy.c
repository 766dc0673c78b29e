/*
 * libFuzzer harness: HAProxy stats CSV and `show servers state` from a
 * server we do not control. Any bytes give rows or a cause, never a crash or
 * a read past the input (the input is copied into a buffer of exactly its
 * size, without a NUL); the admin states parsed from the same bytes are
 * applied to the CSV's rows.
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
    struct haproxy_admin admin = {0};
    haproxy_parse_admin(text, size, &admin);
    for (size_t i = 0; i < admin.n; i++) {
        if (strchr(admin.key[i], '/') == NULL || strlen(admin.key[i]) > size) {
            abort(); /* backend/server, made of input bytes */
        }
    }
    struct rowset *rs = rowset_create(MODEL_POOLS, "fuzz");
    char *cause = NULL;
    bool ok = haproxy_parse_csv_admin(text, size, &admin, rs, &cause);
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
    haproxy_admin_clear(&admin);
    free(cause);
    free(text);
    return 0;
}
