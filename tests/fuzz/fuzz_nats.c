/*
 * libFuzzer harness: the NATS /jsz report from a server we do not control.
 * Any bytes give rows or a cause, never a crash, a read past the input (it is
 * copied into a buffer of exactly its size, without a NUL) or UB on a number
 * (UBSan). Each input is parsed twice against one history, the second time
 * with an account filter, so the rate and trend paths run as well; keys must
 * be unique.
 */
#include "../../backends/model.h"
#include "../../backends/nats.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t size, const char *account, struct nats_history *h,
                  uint64_t now_ms)
{
    struct rowset *rs = rowset_create(MODEL_QUEUES, "fuzz");
    char *cause = NULL;
    if (nats_parse_jsz(text, size, account, h, now_ms, rs, &cause)) {
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size ? size : 1);
    memcpy(text, data, size);
    struct nats_history *h = nats_history_create();
    check(text, size, NULL, h, 1000);
    check(text, size, "$G", h, 3000);
    nats_history_destroy(h);
    free(text);
    return 0;
}
