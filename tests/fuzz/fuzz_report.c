/*
 * libFuzzer harness: a report from any journal bytes (a damaged or hand-edited
 * run) must be a report or an error, never a crash. The input is the journal;
 * RUN-ID.out beside it is fixed, so output offsets point anywhere in it or past it.
 * A report is printed in terminals and pasted: it must be a fixed point of the
 * text filter (text.h), whose fixed points fuzz_text proves hold no control,
 * C1, bidi or invisible character and are valid UTF-8.
 */
#include "../../common/text.h"
#include "../../common/util.h"
#include "../../engine/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;

static void put(const char *name, const void *bytes, size_t len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(bytes, 1, len, f) != len) {
        abort();
    }
    fclose(f);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir == NULL) {
        char tmpl[] = "/tmp/opsdeck-fuzz-report-XXXXXX";
        if (mkdtemp(tmpl) == NULL) {
            abort();
        }
        dir = xstrdup(tmpl);
        const char out[] = "line 1\nline 2\n\x1b[31mred\x1b[0m\n\xff\xfe partial utf-8 \xc3";
        put("fz.out", out, sizeof out - 1);
    }
    put("fz.jsonl", data, size);
    char *cause = NULL;
    char *md = report_markdown(dir, "fz", &cause);
    if ((md == NULL) == (cause == NULL)) {
        abort(); /* exactly one of a report or a reason */
    }
    if (md != NULL) {
        char *again = text_clean_str(md, TEXT_NEWLINE | TEXT_TAB);
        if (strcmp(again, md) != 0) {
            abort(); /* something outside text reached the report unfiltered */
        }
        free(again);
    }
    free(md);
    free(cause);
    return 0;
}
