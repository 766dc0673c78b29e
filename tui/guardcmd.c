/*
 * `opsdeck drill --stop-all [REASON]` and `opsdeck drill --release-lever`:
 * the safety lever from the command line; `opsdeck drill --guard SPEC`, the
 * dead-man guard a live drill starts (engine/game_guard.c does its work) (engine/game_lever.c holds
 * the lever; docs/drills.md). The caller has set up the audit log (both are audited before they
 * take effect).
 *
 * --stop-all pulls the lever, then waits (bounded) while every drill an
 * opsdeck runs on this host sees it in its tick, aborts and rolls back, and
 * says which it stopped. Exit status: 0 all stopped, 1 the lever could not
 * be pulled or a drill was still running at the bound.
 */
#include "guardcmd.h"

#include "../backends/backend.h"
#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/game.h"
#include "../engine/run.h"
#include "../engine/runlog.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { STOP_WAIT_MS = 45000, STOP_LOOK_MS = 200 };

/* The drill runs an opsdeck holds now (not ended, its lock taken). */
static char **running_drills(size_t *n)
{
    *n = 0;
    char *dir = runlog_default_dir();
    size_t nl = 0;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &nl, &cause);
    free(cause);
    char **ids = NULL;
    for (size_t i = 0; list != NULL && i < nl; i++) {
        if (dir != NULL && list[i].drill && !list[i].ended && runlog_busy(dir, list[i].id)) {
            ids = xreallocarray(ids, *n + 1, sizeof *ids);
            ids[(*n)++] = xstrdup(list[i].id);
        }
    }
    run_info_free(list, nl);
    free(dir);
    return ids;
}

/* How run id ended ("aborted"), or NULL while it is open. */
static char *ended_how(const char *id)
{
    size_t nl = 0;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &nl, &cause);
    free(cause);
    char *how = NULL;
    for (size_t i = 0; list != NULL && i < nl && how == NULL; i++) {
        if (list[i].ended && strcmp(list[i].id, id) == 0) {
            how = xstrdup(list[i].how != NULL ? list[i].how : "ended");
        }
    }
    run_info_free(list, nl);
    return how;
}

/* Lines of the lever's report (paths: cleaned, newlines kept); frees it. */
static void say_report(FILE *out, char *report)
{
    char *text = text_clean_str(report != NULL ? report : "", TEXT_NEWLINE | TEXT_TAB);
    fputs(text, out);
    free(text);
    free(report);
}

int guardcmd_stop_all(const char *reason, FILE *out)
{
    size_t n = 0;
    char **ids = running_drills(&n);
    char *report = NULL, *cause = NULL;
    if (!drill_lever_pull(reason != NULL ? reason : "", &report, &cause)) {
        text_printf(stderr, "opsdeck: the safety lever: %s\n", cause);
        free(cause);
        free(report);
        for (size_t i = 0; i < n; i++) {
            free(ids[i]);
        }
        free(ids);
        return 1;
    }
    say_report(out, report);
    if (n == 0) {
        fprintf(out, "no drill is running on this host\n");
    } else {
        fprintf(out, "stopping %zu running drill%s (each rolls its chaos back)...\n", n,
                n == 1 ? "" : "s");
    }
    fflush(out);
    uint64_t until = clock_mono_ms() + STOP_WAIT_MS;
    char **how = xcalloc(n + 1, sizeof *how);
    size_t left = n;
    while (left > 0 && clock_mono_ms() < until) {
        for (size_t i = 0; i < n; i++) {
            if (how[i] == NULL && (how[i] = ended_how(ids[i])) != NULL) {
                left--;
                text_printf(out, "stopped %s: %s\n", ids[i], how[i]);
                fflush(out);
            }
        }
        if (left > 0) {
            usleep(STOP_LOOK_MS * 1000);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (how[i] == NULL) {
            text_printf(out, "STILL RUNNING after %d s: %s (its owner and guard did not stop it)\n",
                        STOP_WAIT_MS / 1000, ids[i]);
        }
        free(how[i]);
        free(ids[i]);
    }
    free(how);
    free(ids);
    fprintf(out, "new live drills refuse to start until: opsdeck drill --release-lever\n");
    return left == 0 ? 0 : 1;
}

void guardcmd_setup(struct backend **backends, size_t n, const char *config)
{
    bool real = false;
    for (size_t i = 0; i < n; i++) {
        real = real || strcmp(backends[i]->impl->type, "demo") != 0;
    }
    if (real) {
        game_guard_setup(getenv("OPSDECK"), config);
    }
}

int guardcmd_main(const struct guardcmd *g, FILE *out)
{
    if (g->spec != NULL) {
        struct game_env env = {
            .loop = g->loop, .store = g->store, .backends = g->backends, .nbackends = g->nbackends};
        return drill_guard_main(&env, g->spec, g->error);
    }
    if (g->error != NULL) {
        return 1; /* said already (no audit log: nothing unrecorded) */
    }
    return g->stop_all ? guardcmd_stop_all(g->reason, out) : guardcmd_release(out);
}

int guardcmd_release(FILE *out)
{
    char *report = NULL, *cause = NULL;
    bool ok = drill_lever_release(&report, &cause);
    say_report(out, report);
    report = NULL;
    if (!ok) {
        text_printf(stderr, "opsdeck: %s\n", cause);
    }
    free(report);
    free(cause);
    return ok ? 0 : 1;
}
