/*
 * libFuzzer harness: the streamed list (common/jsonstream.h) must say what
 * the whole tree says (tests/unit/jsonstream_ref.h): the same elements and
 * rest when the text is good, the same error at the same byte when it is
 * not. The first byte picks the member path; the rest is the text, not
 * NUL-terminated, as a response body cut at the cap would not be.
 */
#include "../../common/util.h"
#include "../unit/jsonstream_ref.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const members[] = {NULL, "items", "data.alerts", "a.b.c"};
    if (size == 0) {
        return 0;
    }
    const char *member = members[data[0] % 4];
    size_t len = size - 1;
    char *body = xmalloc(len > 0 ? len : 1);
    memcpy(body, data + 1, len);
    struct jsref_result want = jsref_tree(body, len, member);
    struct jsref_result got = jsref_stream(body, len, member);
    if (!jsref_same(&want, &got)) {
        abort(); /* the stream and the tree disagree */
    }
    if (got.rc < 0 && got.cause == NULL) {
        abort(); /* every failure says why */
    }
    jsref_free(&want);
    jsref_free(&got);
    free(body);
    return 0;
}
