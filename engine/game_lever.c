/*
 * The safety lever (game.h; docs/drills.md "Dead-man guard, ttl and the
 * safety lever"), as AWS FIS has it: one file that stops every live drill
 * on the host and keeps new ones from starting until someone releases it.
 *
 * The lever is a small JSON file, `lever`, in the state directory
 * ($XDG_STATE_HOME/opsdeck) and, with [share] dir, beside the shared runs
 * (SHARE/lever, the parent of the runs directory), so the consoles of the
 * whole on-call group see it. Pulling and releasing are audited first
 * (action_record: nothing happens unrecorded) and then written. Anyone who
 * reads it (an owner's tick, a guard, a drill about to start) only stats
 * and reads the file: no lock, no daemon.
 */
#include "gamestate.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "action.h"
#include "paths.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { LEVER_MAX = 4096, LEVER_PATHS = 2 };

/* The lever's files: the state one, and the shared one when runs live elsewhere. */
static size_t lever_paths(char *out[LEVER_PATHS])
{
    size_t n = 0;
    char *state = paths_state_dir();
    if (state != NULL) {
        out[n++] = xasprintf("%s/lever", state);
    }
    free(state);
    char *runs = runlog_default_dir();
    char *slash = runs != NULL ? strrchr(runs, '/') : NULL;
    if (slash != NULL && slash != runs) {
        *slash = '\0';
        char *p = xasprintf("%s/lever", runs);
        if (n > 0 && strcmp(p, out[0]) == 0) {
            free(p);
        } else {
            out[n++] = p;
        }
    }
    free(runs);
    return n;
}

static void free_paths(char *p[LEVER_PATHS], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i]);
    }
}

/* "REASON (pulled by USER@HOST at TS)" from a lever file's bytes (outside text: the caller cleans).
 */
static char *lever_text(const char *bytes)
{
    cJSON *o = cJSON_Parse(bytes);
    const char *reason = runlog_str(o, "reason"), *by = runlog_str(o, "by");
    const char *host = runlog_str(o, "host"), *ts = runlog_str(o, "ts");
    char *t = o == NULL ? xstrdup("(a lever file that is not JSON: pulled all the same)")
                        : xasprintf("%s (pulled by %s@%s at %s)",
                                    reason != NULL && *reason != '\0' ? reason : "no reason given",
                                    by != NULL ? by : "?", host != NULL ? host : "?",
                                    ts != NULL ? ts : "?");
    cJSON_Delete(o);
    return t;
}

char *drill_lever_pulled(char **path)
{
    char *paths[LEVER_PATHS];
    size_t n = lever_paths(paths);
    char *text = NULL;
    for (size_t i = 0; i < n && text == NULL; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            continue; /* not pulled here */
        }
        char buf[LEVER_MAX + 1];
        FILE *f = fopen(paths[i], "re");
        size_t len = f != NULL ? fread(buf, 1, LEVER_MAX, f) : 0;
        if (f != NULL) {
            fclose(f);
        }
        buf[len] = '\0';
        /* there and unreadable is pulled all the same: a lever never fails open */
        text = lever_text(buf);
        if (path != NULL) {
            *path = xstrdup(paths[i]);
        }
    }
    free_paths(paths, n);
    return text;
}

/* Write one lever file: a temporary one renamed over it (readers see it whole). */
static bool write_lever(const char *path, const char *json, char **cause)
{
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(json);
    bool ok = fd >= 0 && write(fd, json, len) == (ssize_t)len && fsync(fd) == 0;
    int err = errno;
    if (fd >= 0) {
        close(fd);
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        *cause = xasprintf("%s: %s", path, strerror(err));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

bool drill_lever_pull(const char *reason, char **report, char **cause)
{
    char *paths[LEVER_PATHS];
    size_t n = lever_paths(paths);
    if (n == 0) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        return false;
    }
    char ts[40];
    clock_format_rfc3339(ts, clock_wall_ms());
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "reason", reason != NULL ? reason : "");
    cJSON_AddStringToObject(d, "by", whoami_user());
    cJSON_AddStringToObject(d, "host", whoami_host());
    cJSON_AddStringToObject(d, "ts", ts);
    char *json = cJSON_PrintUnformatted(d);
    struct strbuf rep = {0};
    bool ok = action_record("lever.pull", paths[0], NULL, NULL, "pulled", d, cause);
    for (size_t i = 0; ok && i < n; i++) {
        char *dir = xstrdup(paths[i]);
        *strrchr(dir, '/') = '\0';
        ok = paths_mkdir_p(dir, 0700, cause) && write_lever(paths[i], json, cause);
        free(dir);
        if (ok) {
            strbuf_printf(&rep, "safety lever pulled: %s\n", paths[i]);
        }
    }
    free(json);
    cJSON_Delete(d);
    free_paths(paths, n);
    *report = rep.s;
    return ok;
}

bool drill_lever_release(char **report, char **cause)
{
    char *paths[LEVER_PATHS];
    size_t n = lever_paths(paths);
    char *was = drill_lever_pulled(NULL);
    bool ok = true;
    struct strbuf rep = {0};
    if (was == NULL) {
        set_cause(cause, "the safety lever is not pulled");
        ok = false;
    } else {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "was", was);
        ok = action_record("lever.release", paths[0], NULL, NULL, "released", d, cause);
        cJSON_Delete(d);
    }
    for (size_t i = 0; ok && i < n; i++) {
        if (unlink(paths[i]) == 0) {
            strbuf_printf(&rep, "safety lever released: %s\n", paths[i]);
        } else if (errno != ENOENT) {
            *cause = xasprintf("%s: %s", paths[i], strerror(errno));
            ok = false;
        }
    }
    free(was);
    free_paths(paths, n);
    *report = rep.s;
    return ok;
}

/* A drill that acts on real systems: live, with chaos. */
static bool has_chaos(const struct drill *d)
{
    for (size_t i = 0; d->kind == DRILL_LIVE && i < d->ninjects; i++) {
        if (d->injects[i].nchaos > 0) {
            return true;
        }
    }
    return false;
}

bool game_guard_lever_allows(const struct drill *d, char **cause)
{
    if (!has_chaos(d)) {
        return true;
    }
    char *path = NULL;
    char *text = drill_lever_pulled(&path);
    if (text == NULL) {
        return true;
    }
    *cause = xasprintf("the safety lever is pulled (%s: %s): no live drill starts until it is "
                       "released with: opsdeck drill --release-lever",
                       path, text);
    free(text);
    free(path);
    return false;
}

bool game_has_chaos(const struct drill *d)
{
    return d != NULL && has_chaos(d);
}
