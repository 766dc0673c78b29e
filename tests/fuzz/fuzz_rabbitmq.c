/*
 * libFuzzer harness: the RabbitMQ queues parser (with and without bindings
 * and consumers, twice through the same memory, as two polls) and the peek
 * formatter must give rows or text or an error, never crash; keys must be
 * unique; the key splitter takes the same bytes as a row key. The input is
 * not NUL-terminated, as a response body cut at the cap would not be. The
 * first NUL byte, if any, splits it into the queues and the rest; a second
 * splits the rest into the bindings and the consumers.
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

/* The consumer lines this backend writes carry no control bytes (names from the server). */
static void check_consumer_lines(const char *d)
{
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        size_t n = nl != NULL ? (size_t)(nl - d) : strlen(d);
        if (strncmp(d, "consumer", 8) == 0) {
            const char *tab = memchr(d, '\t', n);
            for (const char *p = tab != NULL ? tab + 1 : d + n; p < d + n; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    abort();
                }
            }
        }
        d += n + (nl != NULL);
    }
}

static void parse(const struct rabbitmq_bodies *in, struct rabbitmq_memory *mem)
{
    struct rowset *rs = rowset_create(MODEL_QUEUES, "fuzz");
    char *cause = NULL;
    if (rabbitmq_parse(in, mem, rs, &cause)) {
        check_keys(rs);
        for (size_t i = 0; i < rs->nrows; i++) {
            char *vh = NULL, *name = NULL;
            if (!rabbitmq_split_key(rowset_key(rs, i), &vh, &name)) {
                abort(); /* every key the parser makes must split back */
            }
            free(vh);
            free(name);
            free(rabbitmq_memory_sources(mem, rowset_key(rs, i)));
            check_consumer_lines(rowset_str(rs, rs->rows[i].detail));
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
    size_t rest = nul != NULL ? size - qlen - 1 : 0;
    const uint8_t *nul2 = rest > 0 ? memchr(nul + 1, 0, rest) : NULL;
    size_t blen = nul2 != NULL ? (size_t)(nul2 - nul - 1) : rest;
    size_t clen = nul2 != NULL ? rest - blen - 1 : 0;
    /* each body in a buffer of exactly its length: ASan sees overreads */
    char *b = xmalloc(blen > 0 ? blen : 1);
    if (blen > 0) {
        memcpy(b, nul + 1, blen);
    }
    char *c = xmalloc(clen > 0 ? clen : 1);
    if (clen > 0) {
        memcpy(c, nul2 + 1, clen);
    }
    struct rabbitmq_memory *mem = rabbitmq_memory_create();
    struct rabbitmq_bodies in = {.queues = q,
                                 .qlen = qlen,
                                 .bindings = nul != NULL ? b : NULL,
                                 .blen = blen,
                                 .consumers = nul2 != NULL ? c : NULL,
                                 .clen = clen,
                                 .consumers_error = nul2 != NULL ? NULL : "HTTP 403 Forbidden"};
    parse(&in, mem);
    /* the second poll: the queues as consumers too (a wrong answer from a proxy) */
    in.bindings = b;
    in.consumers = nul2 != NULL ? c : q;
    in.clen = nul2 != NULL ? clen : qlen;
    parse(&in, mem);
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
    free(c);
    return 0;
}
