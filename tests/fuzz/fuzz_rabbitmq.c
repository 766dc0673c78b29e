/*
 * libFuzzer harness: the RabbitMQ queues parser (with and without bindings,
 * twice through the same memory, as two polls) and the peek formatter must
 * give rows or text or an error, never crash; keys must be unique; the key
 * splitter takes the same bytes as a row key. The input is not
 * NUL-terminated, as a response body cut at the cap would not be. The first
 * NUL byte, if any, splits it into the queues and the bindings.
 */
#include "../../backends/rabbitmq.h"
#include "../../common/util.h"

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

static void parse(const char *q, size_t qlen, const char *b, size_t blen,
                  struct rabbitmq_memory *mem)
{
    struct rowset *rs = rowset_create(MODEL_QUEUES, "fuzz");
    char *cause = NULL;
    if (rabbitmq_parse_queues(q, qlen, b, blen, mem, rs, &cause)) {
        check_keys(rs);
        for (size_t i = 0; i < rs->nrows; i++) {
            char *vh = NULL, *name = NULL;
            if (!rabbitmq_split_key(rowset_key(rs, i), &vh, &name)) {
                abort(); /* every key the parser makes must split back */
            }
            free(vh);
            free(name);
            free(rabbitmq_memory_sources(mem, rowset_key(rs, i)));
        }
    } else if (cause == NULL) {
        abort(); /* every failure says why */
    }
    free(cause);
    rowset_destroy(rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t qlen = nul != NULL ? (size_t)(nul - data) : size;
    char *q = xmalloc(qlen > 0 ? qlen : 1);
    memcpy(q, data, qlen);
    size_t blen = nul != NULL ? size - qlen - 1 : 0;
    char *b = xmalloc(blen > 0 ? blen : 1);
    if (blen > 0) {
        memcpy(b, nul + 1, blen);
    }
    struct rabbitmq_memory *mem = rabbitmq_memory_create();
    parse(q, qlen, nul != NULL ? b : NULL, blen, mem);
    parse(q, qlen, b, blen, mem);
    rabbitmq_memory_destroy(mem);

    char *text = NULL, *cause = NULL;
    if (rabbitmq_format_peek(q, qlen, "fuzz.q", &text, &cause)) {
        if (text == NULL) {
            abort();
        }
        for (const char *p = text; *p != '\0'; p++) {
            if ((unsigned char)*p < 0x20 && *p != '\n') {
                abort(); /* control bytes never reach the screen */
            }
        }
        free(text);
    } else if (cause == NULL) {
        abort();
    }
    free(cause);

    char *key = xstrndup((const char *)data, size);
    char *vh = NULL, *name = NULL;
    if (rabbitmq_split_key(key, &vh, &name)) {
        free(vh);
        free(name);
    }
    free(key);
    free(q);
    free(b);
    return 0;
}
