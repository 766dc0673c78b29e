/*
 * A run as its events tell it (runview.h).
 *
 * The run's own events are applied with the replay rules of run.c (which
 * resume uses through this very code): step.enter moves and pushes history,
 * back pops, step.done marks, input and command.exit set variables, and an
 * event that starts something in flight leaves the step busy until its end
 * event. Each kind of step replays its own events (runstep.h); the rest is
 * here. The message a follower sees is derived from the events; the owner's
 * status notice says the run's own words.
 *
 * Output: the tail of the current command, at most OUT_TAIL bytes. Live
 * output notices carry their offset in RUN-ID.out; command.output references
 * read from the file only what the view does not have yet (out_end), so the
 * owner's view never takes a byte twice and a follower reads each once.
 */
#include "runstep.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char SECRET_SHOWN[] = "[secret]";

static const char *const state_names[] = {"ready",       "busy", "failed",
                                          "interrupted", "done", "aborted"};

const char *run_state_name(enum run_state s)
{
    return (size_t)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

static enum run_state state_by_name(const char *name, enum run_state dflt)
{
    for (size_t i = 0; name != NULL && i < sizeof state_names / sizeof state_names[0]; i++) {
        if (strcmp(state_names[i], name) == 0) {
            return (enum run_state)i;
        }
    }
    return dflt;
}

struct runview *runview_create(const struct runbook *rb, const char *journal)
{
    struct runview *v = xcalloc(1, sizeof *v);
    v->rb = rb;
    v->marks = xcalloc(rb->nsteps > 0 ? rb->nsteps : 1, sizeof *v->marks);
    v->ran = xcalloc(rb->nsteps > 0 ? rb->nsteps : 1, sizeof *v->ran);
    v->pos = -1;
    v->out_step = -1;
    v->open = RL_UNKNOWN;
    v->id = xstrdup("");
    size_t n = journal != NULL ? strlen(journal) : 0;
    if (n > 6 && strcmp(journal + n - 6, ".jsonl") == 0) {
        v->out_path = xasprintf("%.*s.out", (int)(n - 6), journal);
    }
    return v;
}

void runview_destroy(struct runview *v)
{
    if (v == NULL) {
        return;
    }
    free(v->out_path);
    free(v->id);
    free(v->message);
    free(v->marks);
    free(v->ran);
    vars_clear(&v->vars);
    vars_clear(&v->secrets);
    free(v->out);
    free(v->orphans);
    free(v->hist);
    free(v->open_what);
    free(v->go);
    free(v->last_failed);
    free(v->groups);
    free(v->reask);
    free(v->asking);
    crew_finish(&v->crew);
    free(v);
}

void runview_set_backends(struct runview *v, struct backend **backends, size_t n)
{
    v->backends = backends;
    v->nbackends = n;
}

/* ---- for the kinds' replays ---- */

static void set_message(struct runview *v, char *message)
{
    free(v->message);
    v->message = message;
}

void runview_set_state(struct runview *v, enum run_state st, char *message)
{
    v->state = st;
    if (message != NULL) {
        set_message(v, message);
    }
}

void runview_open(struct runview *v, enum runlog_kind kind, const char *what, char *message)
{
    v->open = kind;
    free(v->open_what);
    v->open_what = what != NULL ? xstrdup(what) : NULL;
    v->open_code = false;
    runview_set_state(v, RUN_BUSY, message);
}

void runview_close(struct runview *v, const char *message)
{
    v->open = RL_UNKNOWN;
    if (message != NULL) {
        set_message(v, xstrdup(message));
    }
}

static void out_keep(struct runview *v, const char *buf, size_t n)
{
    if (v->out == NULL) {
        v->out = xmalloc(OUT_TAIL + 1);
    }
    if (n >= OUT_TAIL) {
        memcpy(v->out, buf + n - OUT_TAIL, OUT_TAIL);
        v->out_len = OUT_TAIL;
    } else {
        if (v->out_len + n > OUT_TAIL) {
            size_t drop = v->out_len + n - OUT_TAIL;
            memmove(v->out, v->out + drop, v->out_len - drop);
            v->out_len -= drop;
        }
        memcpy(v->out + v->out_len, buf, n);
        v->out_len += n;
    }
    v->out[v->out_len] = '\0';
}

void runview_out_reset(struct runview *v, uint64_t from)
{
    v->out_len = 0;
    if (v->out != NULL) {
        v->out[0] = '\0';
    }
    v->out_end = from;
}

/* Bytes [from, to) of RUN-ID.out (to UINT64_MAX: its end), at most the tail's worth. */
static void out_read(struct runview *v, uint64_t from, uint64_t to)
{
    int fd = v->out_path != NULL ? open(v->out_path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    to = to < (uint64_t)st.st_size ? to : (uint64_t)st.st_size;
    if (to > from) {
        from = to - from > OUT_TAIL ? to - OUT_TAIL : from;
        char *buf = xmalloc((size_t)(to - from));
        ssize_t got = pread(fd, buf, (size_t)(to - from), (off_t)from);
        if (got > 0) {
            out_keep(v, buf, (size_t)got);
            v->out_end = from + (uint64_t)got;
        }
        free(buf);
    }
    close(fd);
}

void runview_ran(struct runview *v)
{
    if (v->pos >= 0) {
        v->ran[v->pos] = true;
    }
}

void runview_out_range(struct runview *v, uint64_t offset, uint64_t length)
{
    if (offset + length > v->out_end) {
        out_read(v, offset > v->out_end ? offset : v->out_end, offset + length);
    }
}

/* ---- applying events ---- */

static int step_of(const struct runview *v, const struct runlog_event *ev)
{
    return ev->step != NULL ? runbook_find_step(v->rb, ev->step) : -1;
}

/* The time of the current step counts for its phase, up to ts. */
static void close_phase(struct runview *v, int64_t ts)
{
    if (v->pos >= 0 && ts > v->entered_ts && v->entered_ts > 0) {
        v->phase_ms[v->rb->steps[v->pos].phase] += (uint64_t)(ts - v->entered_ts);
    }
}

static void apply_enter(struct runview *v, const struct runlog_event *ev, int step)
{
    if (step < 0) {
        return;
    }
    /* the result of a step just done stays visible on the next one */
    bool keep = v->completed && v->pos >= 0 && v->marks[v->pos] == RUN_MARK_DONE;
    if (v->pos >= 0) {
        if (!v->after_back) {
            v->hist = xreallocarray(v->hist, v->nhist + 1, sizeof *v->hist);
            v->hist[v->nhist++] = (size_t)v->pos;
        }
        close_phase(v, ev->ts_ms);
    }
    v->pos = step;
    v->after_back = false;
    v->open = RL_UNKNOWN;
    v->completed = false;
    free(v->go);
    v->go = NULL;
    free(v->last_failed);
    v->last_failed = NULL;
    v->entered_ts = ev->ts_ms;
    v->idx = (size_t)step;
    v->state = RUN_READY;
    v->step_started = ev->ts_ms;
    v->overtime_dismissed = false;
    if (!keep) {
        set_message(v, NULL);
    }
}

static void apply_done(struct runview *v, const struct runlog_event *ev, int step)
{
    if (step < 0) {
        return;
    }
    const char *how = runlog_str(ev->data, "how");
    enum run_mark m = how == NULL                   ? RUN_MARK_DONE
                      : strcmp(how, "skipped") == 0 ? RUN_MARK_SKIPPED
                      : strcmp(how, "failed") == 0  ? RUN_MARK_FAILED
                                                    : RUN_MARK_DONE;
    v->marks[step] = m;
    if (step != v->pos) {
        return;
    }
    v->completed = m != RUN_MARK_FAILED;
    free(v->last_failed);
    v->last_failed = m == RUN_MARK_FAILED && ev->result != NULL ? xstrdup(ev->result) : NULL;
    if (m == RUN_MARK_FAILED) {
        runview_set_state(v, RUN_FAILED, xstrdup(ev->result != NULL ? ev->result : "failed"));
    } else if (m == RUN_MARK_DONE) {
        set_message(v, ev->result != NULL ? xstrdup(ev->result) : NULL);
    }
}

static void drop_orphan(struct runview *v, int pgid)
{
    size_t kept = 0;
    for (size_t i = 0; i < v->norphans; i++) {
        if (v->orphans[i] != pgid) {
            v->orphans[kept++] = v->orphans[i];
        }
    }
    v->norphans = kept;
    if (kept == 0) {
        v->orphan_mode = RUN_ORPHAN_NONE;
    }
    /* nor is it a group resume has to look for */
    kept = 0;
    for (size_t i = 0; i < v->ngroups; i++) {
        if (v->groups[i].pgid != pgid) {
            v->groups[kept++] = v->groups[i];
        }
    }
    v->group_open = v->group_open && kept == v->ngroups;
    v->ngroups = kept;
}

static void apply_orphan(struct runview *v, const struct runlog_event *ev)
{
    int pgid = runlog_int(ev->data, "pgid", 0);
    switch (ev->kind) {
    case RL_ORPHAN_FOUND:
        v->orphans = xreallocarray(v->orphans, v->norphans + 1, sizeof *v->orphans);
        v->orphans[v->norphans++] = pgid;
        v->orphan_mode = RUN_ORPHAN_ALIVE;
        set_message(v, xasprintf("the command's processes (process group %d) are still running",
                                 v->orphans[0]));
        break;
    case RL_ORPHAN_WAIT:
        v->orphan_mode = v->norphans > 0 ? RUN_ORPHAN_WAITING : RUN_ORPHAN_NONE;
        break;
    case RL_ORPHAN_SIGNAL:
        v->orphan_mode = v->norphans > 0 ? RUN_ORPHAN_STOPPING : RUN_ORPHAN_NONE;
        break;
    default:
        drop_orphan(v, pgid);
        if (v->norphans == 0) {
            set_message(v, xasprintf("process group %d of the interrupted command has %s", pgid,
                                     ev->result != NULL && strcmp(ev->result, "stopped") == 0
                                         ? "stopped"
                                         : "ended"));
        }
        break;
    }
}

/* The owner's own words: its state, position and message. */
static void apply_status(struct runview *v, const struct runlog_event *ev)
{
    v->state = state_by_name(runlog_str(ev->data, "state"), v->state);
    double idx = runlog_num(ev->data, "index", (double)v->idx);
    if (idx >= 0 && idx <= (double)v->rb->nsteps) {
        v->idx = (size_t)idx;
    }
    const char *m = runlog_str(ev->data, "message");
    set_message(v, m != NULL ? xstrdup(m) : NULL);
}

static void apply_output(struct runview *v, const struct runlog_event *ev)
{
    uint64_t off = runlog_u64(ev->data, "offset", UINT64_MAX);
    out_keep(v, ev->bytes, ev->len);
    if (off != UINT64_MAX && off + ev->len > v->out_end) {
        v->out_end = off + ev->len;
    }
}

static void apply_run(struct runview *v, const struct runlog_event *ev)
{
    if (ev->kind == RL_RUN_START) {
        free(v->id);
        v->id = xstrdup(ev->run != NULL ? ev->run : "");
        const cJSON *vars = cJSON_GetObjectItemCaseSensitive(ev->data, "vars");
        const cJSON *it;
        cJSON_ArrayForEach(it, vars)
        {
            if (cJSON_IsString(it)) {
                vars_set(&v->vars, it->string, it->valuestring);
            }
        }
    } else if (ev->kind == RL_RUN_END) {
        close_phase(v, ev->ts_ms);
        v->entered_ts = 0;
        const char *how = runlog_str(ev->data, "how");
        v->state = how == NULL || strcmp(how, "finished") == 0 ? RUN_DONE : RUN_ABORTED;
    } else {
        runview_settle(v); /* run.resume: the run was resumed from here */
        if (v->nreask > 0 && v->pos >= 0 && v->state != RUN_DONE) {
            /* the run asks the lost secrets again first, where it shows them */
            v->asking = xreallocarray(v->asking, v->nreask, sizeof *v->asking);
            memcpy(v->asking, v->reask, v->nreask * sizeof *v->asking);
            v->nasking = v->nreask;
            v->asked_idx = v->idx;
            v->asked_state = v->state;
            v->idx = v->asking[0];
            v->state = RUN_READY;
        }
    }
}

/*
 * Asking secrets again after a resume: an answer asks the next one; anything
 * else the run journals means it went on (a skipped one is not journaled).
 */
static void asked(struct runview *v, bool answered)
{
    if (answered && v->nasking > 1) {
        memmove(v->asking, v->asking + 1, (v->nasking - 1) * sizeof *v->asking);
        v->nasking--;
        v->idx = v->asking[0];
        return;
    }
    v->nasking = 0;
    v->idx = v->asked_idx;
    v->state = v->asked_state;
}

/* An event of a kind of step: its replay. */
static void runview_apply_kinds(struct runview *v, const struct runlog_event *ev)
{
    for (size_t i = 0; step_kinds[i] != NULL; i++) {
        if (step_kinds[i]->replay != NULL && step_kinds[i]->replay(v, ev)) {
            return;
        }
    }
}

void runview_apply(const struct runlog_event *ev, void *ud)
{
    struct runview *v = ud;
    int step = step_of(v, ev);
    crew_apply(&v->crew, ev);
    if (v->nasking > 0 && !ev->live) {
        bool answer = ev->kind == RL_INPUT && step >= 0 && (size_t)step == v->asking[0];
        if (!answer) {
            asked(v, false);
        } else {
            runview_apply_kinds(v, ev);
            asked(v, true);
            return;
        }
    }
    switch (ev->kind) {
    case RL_RUN_START:
    case RL_RUN_RESUME:
    case RL_RUN_END:
        apply_run(v, ev);
        return;
    case RL_STEP_ENTER:
        apply_enter(v, ev, step);
        return;
    case RL_STEP_DONE:
        apply_done(v, ev, step);
        return;
    case RL_STEP_RERUN:
        v->state = RUN_READY;
        return;
    case RL_BACK:
        if (v->nhist > 0) {
            v->nhist--;
        }
        v->after_back = true;
        return;
    case RL_OVERTIME:
        v->overtime_dismissed = v->overtime_dismissed || !runlog_true(ev->data, "escalated");
        return;
    case RL_LEFTOVERS:
        v->reviewed = true;
        return;
    case RL_APPROVAL_REQUEST:
        if (runview_approval_pending(v) != NULL) {
            set_message(v, crew_waiting_text(v->crew.request.user));
        }
        return;
    case RL_ORPHAN_FOUND:
    case RL_ORPHAN_WAIT:
    case RL_ORPHAN_SIGNAL:
    case RL_ORPHAN_END:
        apply_orphan(v, ev);
        return;
    case RL_STATUS:
        apply_status(v, ev);
        return;
    case RL_OUTPUT:
        apply_output(v, ev);
        return;
    case RL_SECRET:
        if (runlog_str(ev->data, "var") != NULL && runlog_str(ev->data, "value") != NULL) {
            vars_set(&v->secrets, runlog_str(ev->data, "var"), runlog_str(ev->data, "value"));
        }
        return;
    default:
        break;
    }
    runview_apply_kinds(v, ev);
}

void runview_settle(struct runview *v)
{
    /* a resumed run lost its secret answers (asked again) and finds its processes again */
    for (size_t i = 0; i < v->nreask; i++) {
        const char *var = v->rb->steps[v->reask[i]].var;
        const char *val = var != NULL ? vars_get(&v->vars, var) : NULL;
        if (val != NULL && strcmp(val, SECRET_SHOWN) == 0) {
            vars_unset(&v->vars, var);
        }
        if (var != NULL) {
            vars_unset(&v->secrets, var);
        }
    }
    v->norphans = 0;
    v->orphan_mode = RUN_ORPHAN_NONE;
    v->overtime_dismissed = false;
    if (v->pos < 0) {
        return;
    }
    v->idx = (size_t)v->pos;
    v->state = RUN_READY;
    set_message(v, NULL);
    if (v->has_out) {
        out_read(v, v->out_from > v->out_end ? v->out_from : v->out_end, UINT64_MAX);
    }
    if (v->open != RL_UNKNOWN && !v->open_code) {
        v->state = RUN_INTERRUPTED;
        set_message(v,
                    xasprintf("interrupted: %s %s was in flight when the session ended",
                              runlog_kind_name(v->open), v->open_what != NULL ? v->open_what : ""));
    } else if (v->open != RL_UNKNOWN) {
        set_message(v, xstrdup("a code block was running when the session ended"));
    } else if (v->last_failed != NULL) {
        v->state = RUN_FAILED;
        set_message(v, xstrdup(v->last_failed));
    } else if (runview_approval_pending(v) != NULL) {
        set_message(v, crew_waiting_text(v->crew.request.user));
    }
}

/* ---- what it shows ---- */

const struct runbook *runview_runbook(const struct runview *v)
{
    return v->rb;
}

const char *runview_id(const struct runview *v)
{
    return v->id;
}

enum run_state runview_state(const struct runview *v)
{
    return v->state;
}

size_t runview_index(const struct runview *v)
{
    return v->idx;
}

const struct rb_step *runview_step(const struct runview *v)
{
    if (v->state == RUN_DONE || v->state == RUN_ABORTED || v->idx >= v->rb->nsteps) {
        return NULL;
    }
    return &v->rb->steps[v->idx];
}

enum run_mark runview_mark(const struct runview *v, size_t i)
{
    return i < v->rb->nsteps ? v->marks[i] : RUN_MARK_TODO;
}

const char *runview_message(const struct runview *v)
{
    return v->message;
}

int runview_output_step(const struct runview *v, int64_t *ts_ms)
{
    if (ts_ms != NULL) {
        *ts_ms = v->out_ts;
    }
    return v->out_step;
}

bool runview_code_ran(const struct runview *v, size_t i)
{
    return i < v->rb->nsteps && v->ran[i];
}

const char *runview_output(const struct runview *v, size_t *len)
{
    *len = v->out_len;
    return v->out != NULL ? v->out : "";
}

const char *runview_var(const struct runview *v, const char *name)
{
    return vars_get(&v->vars, name);
}

uint64_t runview_step_elapsed_ms(const struct runview *v)
{
    int64_t d = clock_wall_ms() - v->step_started;
    return runview_step(v) != NULL && v->step_started > 0 && d > 0 ? (uint64_t)d : 0;
}

bool runview_reviewed(const struct runview *v)
{
    return v->reviewed;
}

bool runview_overtime(const struct runview *v)
{
    const struct rb_step *s = runview_step(v);
    return s != NULL && s->timebox_s > 0 && !v->overtime_dismissed &&
           runview_step_elapsed_ms(v) > (uint64_t)s->timebox_s * 1000;
}

void runview_phase_ms(const struct runview *v, uint64_t out[RB_PHASES])
{
    memcpy(out, v->phase_ms, sizeof v->phase_ms);
    const struct rb_step *s = runview_step(v);
    if (s != NULL) {
        out[s->phase] += runview_step_elapsed_ms(v);
    }
}

enum run_orphan runview_orphan(const struct runview *v, int *pgid, size_t *n)
{
    if (pgid != NULL) {
        *pgid = v->norphans > 0 ? v->orphans[0] : 0;
    }
    if (n != NULL) {
        *n = v->norphans;
    }
    return v->norphans > 0 ? v->orphan_mode : RUN_ORPHAN_NONE;
}

static struct step_text text_of(const struct runview *v)
{
    return (struct step_text){v->rb, &v->vars, v->backends, v->nbackends};
}

char *runview_text(const struct runview *v, const char *text)
{
    struct step_text t = text_of(v);
    return step_text(&t, text);
}

char *runview_preview(const struct runview *v, char **missing)
{
    const struct rb_step *s = runview_step(v);
    struct step_text t = text_of(v);
    return s != NULL ? step_preview(&t, s, missing) : NULL;
}

char *runview_mask(const struct runview *v, char *text)
{
    for (size_t i = 0; text != NULL && i < v->rb->nsteps; i++) {
        const struct rb_step *s = &v->rb->steps[i];
        const char *val = s->secret && s->var ? vars_get(&v->secrets, s->var) : NULL;
        if (val == NULL || *val == '\0') {
            continue;
        }
        struct strbuf sb = {0};
        size_t vn = strlen(val);
        const char *c = text;
        for (const char *hit = strstr(c, val); hit != NULL; hit = strstr(c, val)) {
            strbuf_add(&sb, c, (size_t)(hit - c));
            strbuf_str(&sb, "[secret]"); /* as the previews say it */
            c = hit + vn;
        }
        strbuf_str(&sb, c);
        free(text);
        text = sb.s;
    }
    return text;
}

const struct crew *runview_crew(const struct runview *v)
{
    return &v->crew;
}

const char *runview_approval_pending(const struct runview *v)
{
    const struct rb_step *s = runview_step(v);
    const struct crew_request *q = &v->crew.request;
    bool here = s != NULL && q->user != NULL && q->step != NULL && strcmp(q->step, s->id) == 0;
    return here ? q->user : NULL;
}
