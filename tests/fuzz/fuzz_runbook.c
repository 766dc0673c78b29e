/*
 * libFuzzer harness: runbook parse, lint and free. Either a runbook or an
 * error naming the file, never a crash; every issue has a line inside the text.
 */
#include "../../common/util.h"
#include "../../engine/runbook.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, not NUL-terminated, so ASan sees any read past the end. */
    char *text = xmalloc(size > 0 ? size : 1);
    memcpy(text, data, size);
    char *cause = NULL;
    struct runbook *rb = runbook_parse(text, size, "fuzz.md", &cause);
    if (rb == NULL) {
        if (cause == NULL || strncmp(cause, "fuzz.md", 7) != 0) {
            abort(); /* every error must name the file */
        }
    } else {
        static const char *const known[] = {"instance", NULL};
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) {
            lines += data[i] == '\n' || data[i] == '\r';
        }
        runbook_lint(rb, known);
        for (size_t i = 0; i < rb->nissues; i++) {
            if (rb->issues[i].line < 1 || (size_t)rb->issues[i].line > lines) {
                abort(); /* a line that is not in the file */
            }
        }
        for (size_t i = 0; i < rb->nsteps; i++) {
            if (rb->steps[i].id == NULL || runbook_find_step(rb, rb->steps[i].id) != (int)i) {
                abort(); /* ids are unique and all set */
            }
        }
    }
    runbook_free(rb);
    free(cause);
    free(text);
    return 0;
}
