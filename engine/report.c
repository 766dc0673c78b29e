/*
 * Reports (report.h): the journal of a run read back, and handed to the
 * document its kind wants: a runbook run's incident report (report_run.c) or
 * a drill's after-action report (report_drill.c), both in the Markdown of
 * report_md.c. The whole document passes text.h once more at the end, so a
 * field added later without care is still shown, never obeyed.
 */
#include "report.h"

#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "incident.h"
#include "journal.h"
#include "report_md.h"
#include "run.h"

#include <cjson/cJSON.h>

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

struct sources {
    struct report_sources src;
    char *audit, *alerts; /* ours, when derived */
};

static void sources_for(const struct report_opts *o, const char *dir, struct sources *s)
{
    memset(s, 0, sizeof *s);
    incident_paths(o->runs_dir != NULL ? dir : NULL, &s->audit, &s->alerts);
    s->src.audit = o->audit != NULL ? o->audit : s->audit;
    s->src.alerts = o->alerts != NULL ? o->alerts : s->alerts;
}

static void sources_free(struct sources *s)
{
    free(s->audit);
    free(s->alerts);
}

/* The document of a run: Markdown, or the JSON text; the summary when asked. */
static char *run_document(const struct report_opts *o, const char *run_id, char **summary,
                          char **cause)
{
    if (!valid_id(run_id)) {
        *cause = xasprintf("bad run id '%s'", run_id != NULL ? run_id : "");
        return NULL;
    }
    char *dir = runs_dir_or_default(o->runs_dir, cause);
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
    char *doc = NULL;
    if (!any) {
        *cause = xasprintf("%s: no readable events", path);
    } else if (report_is_drill(lines, n)) {
        doc =
            o->json ? report_drill_json(lines, n, run_id) : report_drill_markdown(lines, n, run_id);
    } else {
        struct sources s;
        sources_for(o, dir, &s);
        struct report_extra extra = {.want_json = o->json, .want_summary = summary != NULL};
        char *md = report_run_markdown(lines, n, dir, run_id, &s.src, &extra);
        if (o->json) {
            doc = cJSON_Print(extra.json);
            free(md);
        } else {
            doc = md;
        }
        cJSON_Delete(extra.json);
        if (summary != NULL) {
            *summary = extra.summary;
        }
        sources_free(&s);
    }
    /* the report borrows strings from the events: free them last */
    free(lines);
    journal_lines_free(jl, njl);
    free(path);
    free(dir);
    return doc;
}

/* A time range with no run: the audited actions and the alert transitions. */
static char *range_document(const struct report_opts *o, int64_t from, int64_t until,
                            char **summary, char **cause)
{
    if (until < from) {
        *cause = xstrdup("--until is before --since");
        return NULL;
    }
    char *dir = runs_dir_or_default(o->runs_dir, cause);
    if (dir == NULL) {
        return NULL;
    }
    struct sources s;
    sources_for(o, dir, &s);
    struct incident in = {0};
    in.fig.start_ms = from;
    struct tl_select sel = {.from = from, .until = until};
    incident_load(&in, s.src.audit, s.src.alerts, &sel);
    char a[80], b[80];
    md_date(a, from);
    md_date(b, until);
    char *title = xasprintf("%s to %s", a, b);
    struct strbuf out = {0};
    cJSON *json = o->json ? cJSON_CreateObject() : NULL;
    cJSON *items = json != NULL ? cJSON_CreateArray() : NULL;
    struct strbuf tl = {0};
    incident_emit_until(&in, &tl, items, INT64_MAX, from);
    if (json != NULL) {
        cJSON *range = cJSON_AddObjectToObject(json, "range");
        char ts[32];
        clock_format_rfc3339(ts, from);
        cJSON_AddStringToObject(range, "since", ts);
        clock_format_rfc3339(ts, until);
        cJSON_AddStringToObject(range, "until", ts);
        incident_json(json, &in);
        cJSON_AddItemToObject(json, "timeline", items);
        out.s = cJSON_Print(json);
        cJSON_Delete(json);
    } else {
        strbuf_str(&out, "# Incident timeline: ");
        strbuf_str(&out, title);
        strbuf_str(&out, "\n\n- Run: none (a time range)\n\n## Timeline\n\n");
        strbuf_str(&out, tl.s != NULL ? tl.s : "(no events)\n");
        incident_render(&out, &in);
    }
    if (summary != NULL) {
        *summary = incident_summary(title, &in);
    }
    free(tl.s);
    free(title);
    incident_free(&in);
    sources_free(&s);
    free(dir);
    return out.s;
}

char *report_build(const struct report_opts *o, const char *run_id, int64_t from, int64_t until,
                   char **summary, char **cause)
{
    char *doc = run_id != NULL ? run_document(o, run_id, summary, cause)
                               : range_document(o, from, until, summary, cause);
    if (doc == NULL) {
        return NULL;
    }
    if (o->json) {
        return doc; /* cJSON escapes every control character itself */
    }
    char *clean = text_clean_str(doc, TEXT_NEWLINE | TEXT_TAB);
    free(doc);
    if (summary != NULL && *summary != NULL) {
        char *s = text_clean_str(*summary, TEXT_NEWLINE | TEXT_TAB);
        free(*summary);
        *summary = s;
    }
    return clean;
}

char *report_markdown(const char *runs_dir, const char *run_id, char **cause)
{
    struct report_opts o = {.runs_dir = runs_dir};
    return report_build(&o, run_id, 0, 0, NULL, cause);
}

char *report_last_run(const char *runs_dir, char **cause)
{
    size_t n = 0;
    struct run_info *list = run_list(runs_dir, &n, cause);
    if (list == NULL) {
        return NULL;
    }
    char *id = NULL;
    for (size_t i = 0; i < n && id == NULL; i++) {
        if (!list[i].drill) {
            id = xstrdup(list[i].id);
        }
    }
    run_info_free(list, n);
    if (id == NULL) {
        *cause = xstrdup("no runbook run yet");
    }
    return id;
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
