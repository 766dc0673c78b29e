/*
 * Runs on disk (run.h): resuming one from its journal, and the list of them.
 *
 * Resume is a replay: the journal's events go through a view (runview.c,
 * the same rules every screen applies), and the run takes its position,
 * history, marks, variables, time per phase and what was in flight from it.
 * The runbook is reloaded from the path in run.start; a file changed since is
 * refused unless every step id the journal names is still there. Secret
 * answers are not in the journal: their steps are asked again first.
 */
#include "runstep.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void load_out_tail(struct run *r, uint64_t from)
{
    char *opath = xasprintf("%s/%s.out", r->runs_dir, r->id);
    int fd = open(opath, O_RDONLY | O_CLOEXEC);
    free(opath);
    if (fd < 0) {
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > from) {
        uint64_t len = (uint64_t)st.st_size - from;
        if (len > OUT_TAIL) {
            from += len - OUT_TAIL;
            len = OUT_TAIL;
        }
        char *buf = xmalloc((size_t)len);
        ssize_t got = pread(fd, buf, (size_t)len, (off_t)from);
        if (got > 0) {
            run_out_keep(r, buf, (size_t)got);
        }
        free(buf);
    }
    close(fd);
}

/* Every step id the journal names must still exist in a changed runbook. */
static const char *missing_step(const struct run *r, cJSON **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *id = runlog_str(ev[i], "step");
        if (id != NULL && runbook_find_step(r->rb, id) < 0) {
            return id;
        }
    }
    return NULL;
}

static const cJSON *data_of(const cJSON *e)
{
    return cJSON_GetObjectItemCaseSensitive(e, "data");
}

static bool resume_check(struct run *r, const cJSON *start, cJSON **ev, size_t n, char **cause)
{
    const char *hash = runlog_str(data_of(start), "hash");
    char now[24];
    snprintf(now, sizeof now, "%016llx", r->rb->hash);
    if (hash != NULL && strcmp(hash, now) != 0) {
        const char *gone = missing_step(r, ev, n);
        if (gone != NULL) {
            *cause = xasprintf("%s changed since run %s started and has no step '%s' any more: "
                               "cannot resume",
                               r->rb->path, r->id, gone);
            return false;
        }
        run_set_message(r, xasprintf("warning: %s changed since the run started (its steps "
                                     "still match)",
                                     r->rb->path));
    }
    return true;
}

/*
 * The journal of an open run and its runbook, reloaded; NULL with *cause when
 * there is nothing to resume (no such run, it ended, the runbook is gone or
 * does not parse clean any more).
 */
static struct runbook *resume_load(const struct run_env *env, const char *run_id, cJSON ***evp,
                                   size_t *np, char **cause)
{
    char *dir = runlog_dir(env->runs_dir, cause);
    char *jpath = dir != NULL ? runlog_path(dir, run_id, NULL, cause) : NULL;
    free(dir);
    if (jpath == NULL) {
        return NULL;
    }
    size_t n = 0;
    cJSON **ev = runlog_read(jpath, &n, cause);
    free(jpath);
    if (ev == NULL && *cause != NULL) {
        return NULL;
    }
    const cJSON *start = n > 0 ? ev[0] : NULL;
    if (start == NULL || runlog_kind(runlog_str(start, "action")) != RL_RUN_START) {
        *cause = xasprintf("run %s: the journal has no run.start", run_id);
        runlog_free(ev, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (runlog_kind(runlog_str(ev[i], "action")) == RL_RUN_END) {
            const char *how = runlog_str(data_of(ev[i]), "how");
            *cause = xasprintf("run %s has ended (%s): nothing to resume", run_id,
                               how != NULL ? how : "ended");
            runlog_free(ev, n);
            return NULL;
        }
    }
    const char *path = runlog_str(data_of(start), "runbook");
    char *why = NULL;
    struct runbook *rb = path != NULL ? runbook_load(path, &why) : NULL;
    if (rb == NULL) {
        *cause = xasprintf("run %s: cannot reload its runbook: %s", run_id,
                           why != NULL ? why : "no path in the journal");
        free(why);
        runlog_free(ev, n);
        return NULL;
    }
    if (rb->nissues > 0) {
        *cause = xasprintf("run %s: its runbook has problems now: %s:%d: %s", run_id, rb->path,
                           rb->issues[0].line, rb->issues[0].message);
        runbook_free(rb);
        runlog_free(ev, n);
        return NULL;
    }
    *evp = ev;
    *np = n;
    return rb;
}

/* The run takes what the replay found: position, history, marks, variables, times. */
static void take_replay(struct run *r, struct runview *v, bool entered)
{
    for (size_t i = 0; i < v->vars.n; i++) {
        vars_set(&r->vars, v->vars.names[i], v->vars.values[i]);
    }
    memcpy(r->marks, v->marks, r->rb->nsteps * sizeof *r->marks);
    memcpy(r->phase_ms, v->phase_ms, sizeof r->phase_ms);
    r->hist = xreallocarray(NULL, v->nhist + 1, sizeof *r->hist);
    if (v->nhist > 0) {
        memcpy(r->hist, v->hist, v->nhist * sizeof *r->hist);
    }
    r->nhist = v->nhist;
    r->reask = xreallocarray(NULL, v->nreask + 1, sizeof *r->reask);
    if (v->nreask > 0) {
        memcpy(r->reask, v->reask, v->nreask * sizeof *r->reask);
    }
    r->nreask = v->nreask;
    /* who is on it, and an approval request still pending */
    r->crew = v->crew;
    v->crew = (struct crew){0};
    r->idx = entered ? (size_t)v->pos : 0;
    r->state = entered ? v->state : RUN_READY;
    if (v->has_out) {
        load_out_tail(r, v->out_from);
    }
    /* a warning about a changed runbook comes first */
    char *warn = r->message;
    r->message = NULL;
    const char *said = entered ? v->message : NULL;
    if (warn != NULL) {
        run_set_message(r, said != NULL ? xasprintf("%s; %s", warn, said) : xstrdup(warn));
        free(warn);
    } else if (said != NULL) {
        run_set_message(r, xstrdup(said));
    }
}

struct run *run_resume(const struct run_env *env, const char *run_id, const struct run_hooks *hooks,
                       char **cause)
{
    cJSON **ev = NULL;
    size_t n = 0;
    struct runbook *rb = resume_load(env, run_id, &ev, &n, cause);
    if (rb == NULL) {
        return NULL;
    }
    struct run *r = run_alloc(env, rb, hooks);
    r->id = xstrdup(run_id);
    if (!resume_check(r, ev[0], ev, n, cause)) {
        runlog_free(ev, n);
        run_destroy(r);
        return NULL;
    }
    struct runview *v = runview_create(rb, NULL);
    for (size_t i = 0; i < n; i++) {
        struct runlog_event e;
        if (runlog_event_parse(ev[i], &e)) {
            runview_apply(&e, v);
        }
    }
    runlog_free(ev, n);
    bool entered = v->pos >= 0; /* false: it died between run.start and the first step */
    runview_settle(v);
    take_replay(r, v, entered);
    if (!r->dry_run && !run_open_files(r, false, cause)) {
        runview_destroy(v);
        run_destroy(r);
        return NULL;
    }
    r->step_started = v->entered_ts > 0 ? v->entered_ts : clock_wall_ms();
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "at", r->rb->steps[r->idx].id);
    if (!run_log_step(r, "run.resume", NULL, d)) {
        *cause = xstrdup(r->message);
        runview_destroy(v);
        run_destroy(r);
        return NULL;
    }
    run_resume_position(r, entered, v->completed, v->go);
    run_orphans_found(r, v->groups, v->ngroups);
    runview_destroy(v);
    if (r->nreask > 0 && r->state != RUN_DONE) {
        r->saved_idx = r->idx;
        r->saved_state = r->state;
        r->idx = r->reask[0];
        r->state = RUN_READY;
    }
    run_publish(r);
    return r;
}

/* ---- runs on disk ---- */

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *run_alert_key(const struct vars *v)
{
    if (v == NULL || vars_get(v, "alertname") == NULL) {
        return NULL;
    }
    char **lines = xcalloc(v->n ? v->n : 1, sizeof *lines);
    for (size_t i = 0; i < v->n; i++) {
        lines[i] = xasprintf("%s=%s", v->names[i], v->values[i]);
    }
    qsort(lines, v->n, sizeof *lines, line_cmp);
    struct strbuf sb = {0};
    for (size_t i = 0; i < v->n; i++) {
        strbuf_printf(&sb, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return sb.s;
}

/* The alert key of a run.start's argv_vars (the variables it was opened with). */
static char *start_alert_key(const cJSON *data)
{
    const cJSON *argv = json_obj(data, "argv_vars"), *it;
    struct vars v = {0};
    cJSON_ArrayForEach(it, argv)
    {
        if (it->string != NULL && cJSON_IsString(it)) {
            vars_set(&v, it->string, it->valuestring);
        }
    }
    char *key = run_alert_key(&v);
    vars_clear(&v);
    return key;
}

static bool read_info(const char *dir, const char *name, struct run_info *ri)
{
    char *path = xasprintf("%s/%s", dir, name);
    size_t n = 0;
    char *why = NULL;
    cJSON **ev = runlog_read(path, &n, &why);
    free(path);
    free(why);
    struct runlog_event e;
    if (ev == NULL || n == 0 || !runlog_event_parse(ev[0], &e) || e.kind != RL_RUN_START) {
        runlog_free(ev, n);
        return false;
    }
    memset(ri, 0, sizeof *ri);
    ri->id = xstrndup(name, strlen(name) - strlen(".jsonl"));
    const char *title = runlog_str(e.data, "title");
    const char *runbook = runlog_str(e.data, "runbook");
    const char *kind = runlog_str(e.data, "kind");
    const char *ts = runlog_str(ev[0], "ts");
    ri->title = xstrdup(title != NULL ? title : "");
    ri->runbook = xstrdup(runbook != NULL ? runbook : "");
    ri->started = xstrdup(ts != NULL ? ts : "");
    ri->drill = kind != NULL && strcmp(kind, "drill") == 0;
    ri->alert = start_alert_key(e.data);
    for (size_t i = 1; i < n; i++) {
        if (!runlog_event_parse(ev[i], &e)) {
            continue;
        }
        if (e.kind == RL_STEP_ENTER && runlog_str(e.data, "title") != NULL) {
            free(ri->step);
            ri->step = xstrdup(runlog_str(e.data, "title"));
        } else if (e.kind == RL_RUN_END) {
            ri->ended = true;
            free(ri->how);
            const char *how = runlog_str(e.data, "how");
            ri->how = xstrdup(how != NULL ? how : "ended");
        }
    }
    runlog_free(ev, n);
    return true;
}

static int info_cmp(const void *a, const void *b)
{
    const struct run_info *x = a, *y = b;
    int c = strcmp(y->started, x->started);
    return c != 0 ? c : strcmp(y->id, x->id);
}

struct run_info *run_list(const char *runs_dir, size_t *n, char **cause)
{
    *n = 0;
    char *dir = runlog_dir(runs_dir, cause);
    if (dir == NULL) {
        return NULL;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) {
            free(dir);
            return xcalloc(1, sizeof(struct run_info));
        }
        if (cause != NULL) {
            *cause = xasprintf("%s: %s", dir, strerror(errno));
        }
        free(dir);
        return NULL;
    }
    struct run_info *list = xcalloc(1, sizeof *list);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0) {
            continue;
        }
        struct run_info ri;
        if (read_info(dir, de->d_name, &ri)) {
            list = xreallocarray(list, *n + 1, sizeof *list);
            list[(*n)++] = ri;
        }
    }
    closedir(d);
    free(dir);
    qsort(list, *n, sizeof *list, info_cmp);
    return list;
}

void run_info_free(struct run_info *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        free(list[i].id);
        free(list[i].title);
        free(list[i].runbook);
        free(list[i].started);
        free(list[i].step);
        free(list[i].how);
        free(list[i].alert);
    }
    free(list);
}
