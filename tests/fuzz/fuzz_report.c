/*
 * libFuzzer harness: a report from any journal bytes (a damaged or hand-edited
 * run) must be a report or an error, never a crash. The input is the journal;
 * RUN-ID.out beside it is fixed, so output offsets point anywhere in it or past it.
 * A report is printed in terminals and pasted: it must be a fixed point of the
 * text filter (text.h), whose fixed points fuzz_text proves hold no control,
 * C1, bidi or invisible character and are valid UTF-8.
 * The same bytes are then the audit log and the alert log of a state
 * directory whose one run is open since 2000 (its timeline merges them), and
 * of a time range report: the same promises hold, and --json is JSON.
 */
#include "../../common/text.h"
#include "../../common/util.h"
#include "../../engine/report.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        char *runs = xasprintf("%s/state/runs", dir);
        char *state = xasprintf("%s/state", dir);
        if (mkdir(state, 0700) != 0 || mkdir(runs, 0700) != 0) {
            abort();
        }
        free(state);
        free(runs);
        const char run[] = "{\"seq\":1,\"ts\":\"2000-01-01T00:00:00.000Z\",\"actor\":\"a\","
                           "\"host\":\"h\",\"run\":\"fz\",\"step\":null,\"action\":"
                           "\"run.start\",\"target\":null,\"result\":null,\"data\":{}}\n";
        put("state/runs/fz.jsonl", run, sizeof run - 1);
    }
    put("fz.jsonl", data, size);
    put("state/audit.jsonl", data, size);
    put("state/alerts.jsonl", data, size);
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
    cause = NULL;
    char *runs = xasprintf("%s/state/runs", dir);
    for (int i = 0; i < 4; i++) {
        struct report_opts o = {.runs_dir = runs, .json = i % 2 == 1};
        char *summary = NULL;
        char *doc = report_build(&o, i < 2 ? "fz" : NULL, 0, INT64_MAX / 4, &summary, &cause);
        if (doc == NULL) {
            abort(); /* the run is fine and the range is valid: a report comes */
        }
        cJSON *j = o.json ? cJSON_Parse(doc) : NULL;
        char *again = o.json ? NULL : text_clean_str(doc, TEXT_NEWLINE | TEXT_TAB);
        if ((o.json && j == NULL) || (!o.json && strcmp(again, doc) != 0)) {
            abort();
        }
        cJSON_Delete(j);
        free(again);
        free(summary);
        free(doc);
    }
    free(runs);
    return 0;
}
