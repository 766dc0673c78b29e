/*
 * `opsdeck lint FILE` on a document (lintdoc.h): a runbook or a drill, told
 * apart by drill_detect. Findings one "FILE:LINE: message" each on stderr,
 * what was guessed as notes and "FILE: ok (...)" on stdout.
 */
#include "lintdoc.h"

#include "../common/text.h"
#include "../common/util.h"
#include "../engine/drill.h"
#include "../engine/runbook.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * Print lint's findings, one "FILE:LINE: message" per error and one
 * "FILE:LINE: warning: message" per warning (what is missing only here, an
 * environment variable). Returns the exit status: 2 with an error, or with a
 * warning under --strict; else 0. *warnings: how many there were.
 */
static int print_issues(const char *file, const struct mdoc_issue *v, size_t n, bool strict,
                        size_t *warnings)
{
    size_t errors = 0;
    *warnings = 0;
    for (size_t i = 0; i < n; i++) {
        text_printf(stderr, "%s:%d: %s%s\n", file, v[i].line, v[i].warning ? "warning: " : "",
                    v[i].message);
        *warnings += v[i].warning;
        errors += !v[i].warning;
    }
    return errors > 0 || (strict && *warnings > 0) ? 2 : 0;
}

static void print_warned(size_t warnings)
{
    if (warnings > 0) {
        printf("; %zu warning%s", warnings, warnings == 1 ? "" : "s");
    }
}

/* A drill's problems, as for a runbook. */
static int lint_drill(const char *file, bool strict)
{
    char *cause = NULL;
    struct drill *d = drill_load(file, &cause);
    if (d == NULL) {
        text_printf(stderr, "%s\n", cause);
        free(cause);
        return 2;
    }
    size_t warnings;
    int status = print_issues(file, d->issues, drill_lint(d), strict, &warnings);
    if (status == 0) {
        text_printf(stdout, "%s: ok (%zu inject%s, %zu check%s", file, d->ninjects,
                    d->ninjects == 1 ? "" : "s", d->nchecks, d->nchecks == 1 ? "" : "s");
        print_warned(warnings);
        printf(")\n");
    }
    drill_free(d);
    return status;
}

/* Is this Markdown file a drill? Unreadable files are left to the runbook path's message. */
static bool file_is_drill(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        return false;
    }
    size_t cap = 4u << 20, len = 0;
    char *buf = xmalloc(cap);
    len = fread(buf, 1, cap, f);
    fclose(f);
    bool yes = drill_detect(buf, len);
    free(buf);
    return yes;
}

/* What lint guessed, on stdout: "FILE:LINE: note: ..." (runbook_notes). */
static void print_note(int line, const char *message, void *ud)
{
    text_printf(stdout, "%s:%d: note: %s\n", (const char *)ud, line, message);
}

/* A runbook's problems, one "FILE:LINE: message" each; exit 2 when there is an error. */
int lintdoc_run(const char *file, bool strict)
{
    char *cause = NULL;
    if (file_is_drill(file)) {
        return lint_drill(file, strict);
    }
    struct runbook *rb = runbook_load(file, &cause);
    if (rb == NULL) {
        text_printf(stderr, "%s\n", cause);
        free(cause);
        return 2;
    }
    size_t warnings;
    int status = print_issues(file, rb->issues, runbook_lint(rb, NULL), strict, &warnings);
    if (status == 0) {
        runbook_notes(rb, print_note, (void *)file); /* what was guessed, once nothing is wrong */
        text_printf(stdout, "%s: ok (%zu step%s", file, rb->nsteps, rb->nsteps == 1 ? "" : "s");
        print_warned(warnings);
        printf(")\n");
    }
    runbook_free(rb);
    return status;
}
