/*
 * libFuzzer harness: drill detect, parse, lint and free. Either a drill or an
 * error naming the file, never a crash; every issue has a line inside the
 * text; ids are unique and set; injects are in clock order, contingencies last;
 * every chaos has its rollback in a drill without issues.
 */
#include "../../common/util.h"
#include "../../engine/drill.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, not NUL-terminated, so ASan sees any read past the end. */
    char *text = xmalloc(size > 0 ? size : 1);
    memcpy(text, data, size);
    bool detected = drill_detect(text, size);
    char *cause = NULL;
    struct drill *d = drill_parse(text, size, "fuzz.md", &cause);
    if (d == NULL) {
        if (cause == NULL || strncmp(cause, "fuzz.md", 7) != 0) {
            abort(); /* every error must name the file */
        }
    } else {
        if (!detected) {
            abort(); /* what parses as a drill is detected as one */
        }
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) {
            lines += data[i] == '\n' || data[i] == '\r';
        }
        drill_lint(d);
        for (size_t i = 0; i < d->nissues; i++) {
            if (d->issues[i].line < 1 || (size_t)d->issues[i].line > lines) {
                abort(); /* a line that is not in the file */
            }
        }
        for (size_t i = 0; i < d->ninjects; i++) {
            const struct drill_inject *in = &d->injects[i];
            if (in->id == NULL || drill_find_inject(d, in->id) != (int)i) {
                abort(); /* ids are unique and all set */
            }
            if (i > 0 && (unsigned)d->injects[i - 1].at_s > (unsigned)in->at_s) {
                abort(); /* clock order, contingencies (-1) last */
            }
            for (size_t c = 0; d->nissues == 0 && c < in->nchaos; c++) {
                if (in->chaos[c].action.verb == NULL || in->chaos[c].rollback.verb == NULL) {
                    abort(); /* a clean drill never has a chaos without its rollback */
                }
            }
        }
        for (size_t i = 0; i < d->nchecks; i++) {
            if (d->checks[i].id == NULL ||
                (d->nissues == 0 && d->checks[i].until == NULL && d->checks[i].run == NULL)) {
                abort();
            }
        }
    }
    drill_free(d);
    free(cause);
    free(text);
    return 0;
}
