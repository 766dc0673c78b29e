/*
 * Reports (report.h): the journal of a run read back, and handed to the
 * document its kind wants: a runbook run's incident report (report_run.c) or
 * a drill's after-action report (report_drill.c), both in the Markdown of
 * report_md.c. The whole document passes text.h once more at the end, so a
 * field added later without care is still shown, never obeyed.
 */
#include "report.h"

#include "../common/text.h"
#include "../common/util.h"
#include "journal.h"
#include "report_md.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool valid_id(const char *id)
{
    return id != NULL && id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL;
}

static char *runs_dir_or_default(const char *runs_dir, char **cause)
{
    if (runs_dir != NULL) {
        return xstrdup(runs_dir);
    }
    char *dir = run_default_dir();
    if (dir == NULL) {
        *cause = xstrdup("no home directory: cannot find the runs directory");
    }
    return dir;
}

static char *markdown(const char *runs_dir, const char *run_id, char **cause)
{
    if (!valid_id(run_id)) {
        *cause = xasprintf("bad run id '%s'", run_id != NULL ? run_id : "");
        return NULL;
    }
    char *dir = runs_dir_or_default(runs_dir, cause);
    if (dir == NULL) {
        return NULL;
    }
    char *path = xasprintf("%s/%s.jsonl", dir, run_id);
    struct journal_line *jl = NULL;
    size_t njl = 0;
    int err = 0;
    if (!journal_read(path, &jl, &njl, &err)) {
        *cause = err == ENOENT ? xasprintf("no run %s in %s", run_id, dir)
                               : xasprintf("%s: %s", path, strerror(err));
        free(path);
        free(dir);
        return NULL;
    }
    size_t n;
    struct md_line *lines = md_timed_lines(jl, njl, &n);
    bool any = false;
    for (size_t i = 0; i < n && !any; i++) {
        any = lines[i].obj != NULL;
    }
    if (!any) {
        *cause = xasprintf("%s: no readable events", path);
        free(lines);
        journal_lines_free(jl, njl);
        free(path);
        free(dir);
        return NULL;
    }
    char *md = report_is_drill(lines, n) ? report_drill_markdown(lines, n, run_id)
                                         : report_run_markdown(lines, n, dir, run_id);
    /* the report borrows strings from the events: free them last */
    free(lines);
    journal_lines_free(jl, njl);
    free(path);
    free(dir);
    return md;
}

char *report_markdown(const char *runs_dir, const char *run_id, char **cause)
{
    char *md = markdown(runs_dir, run_id, cause);
    char *clean = text_clean_str(md, TEXT_NEWLINE | TEXT_TAB);
    free(md);
    return clean;
}

bool report_write(const char *runs_dir, const char *run_id, const char *md, char **path,
                  char **cause)
{
    *path = xasprintf("%s/%s.md", runs_dir != NULL ? runs_dir : ".", run_id);
    if (!valid_id(run_id) || runs_dir == NULL) {
        *cause = xasprintf("bad run id '%s'", run_id);
        return false;
    }
    int fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        *cause = xasprintf("cannot write %s: %s", *path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    size_t len = strlen(md), done = 0;
    while (done < len) {
        ssize_t n = write(fd, md + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            *cause =
                xasprintf("cannot write %s: %s", *path, n < 0 ? strerror(errno) : "short write");
            close(fd);
            return false;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        *cause = xasprintf("cannot write %s: %s", *path, strerror(errno));
        return false;
    }
    return true;
}
