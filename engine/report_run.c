/*
 * The incident report of a runbook run (docs/runbooks.md "Journal events"
 * and "The report"), from its journal alone.
 *
 * One pass over the events builds everything: the timeline (one list item
 * per event, command output as an indented block under its exit), time per
 * phase, time to mitigation, notes and the variables at the end. The report
 * trusts nothing in the journal: a field of the wrong type is missing, a line
 * that does not parse is named and skipped, and times that go backwards count
 * as zero rather than negative.
 *
 * Time per phase: a step's time runs from its step.enter to the next
 * step.enter (or run.end, or the last event of a run still open), and counts
 * for the phase that step.enter named. Time to mitigation runs from run.start
 * to the latest step.done "done" of a Focus step.
 *
 * The timeline is a list, not a table: command output needs lines of its own
 * to stay readable as plain text. Tables (phases, variables) escape | and
 * newlines in their cells.
 *
 * Reports are read in terminals and pasted into documents: the journal's
 * words pass text.h as they are added (a control shown as ^[, U+202E as
 * <U+202E>; newlines and tabs in one-line fields as blanks), and the whole
 * document once more at the end, so a field added later without care is
 * still shown, never obeyed.
 */
#include "incident.h"
#include "report_md.h"
#include "runlog.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    INLINE_BYTES = 80,
    OUT_READ_MAX = 16 << 20,
    JOURNAL_MAX = 256 << 20,
    NPHASES = 4,
};

static const char phase_letters[NPHASES] = {'S', 'A', 'F', 'E'};
static const char *const phase_names[NPHASES] = {"Stay calm", "Assess", "Focus", "Escalate"};

struct var {
    char *name;
    char *value; /* NULL: unset */
    bool secret;
};

struct report {
    struct strbuf timeline;
    struct strbuf notes;
    int fd_out; /* RUN-ID.out, -1 when absent */
    /* the run */
    const char *title, *runbook;
    char *starter; /* actor@host of run.start */
    char **actors;
    size_t nactors;
    int64_t start_ms, end_ms, last_ms;
    const char *how; /* run.end's how, NULL while open */
    /* the current step */
    const char *step_title;
    const char *step_id; /* the event's step field at step.enter */
    int phase;           /* index in phase_letters, -1 unknown */
    int64_t step_ms;
    bool in_step;
    uint64_t phase_ms[NPHASES];
    /* the audited actions and alert transitions merged in, the figures, the answers */
    struct incident in;
    cJSON *items; /* the timeline as JSON, when asked for; NULL otherwise */
    char *action_verb, *action_target;
    /* the command in flight */
    bool cmd_open;
    struct strbuf cmd_out;
    /* the last action started, for its end line */
    char *action_desc;
    struct var *vars;
    size_t nvars;
};

/* ---- variables ---- */

static struct var *var_slot(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->nvars; i++) {
        if (strcmp(r->vars[i].name, name) == 0) {
            return &r->vars[i];
        }
    }
    r->vars = xreallocarray(r->vars, r->nvars + 1, sizeof *r->vars);
    struct var *v = &r->vars[r->nvars++];
    v->name = xstrdup(name);
    v->value = NULL;
    v->secret = false;
    return v;
}

static void var_set(struct report *r, const char *name, const cJSON *value, bool secret)
{
    if (name == NULL || name[0] == '\0') {
        return;
    }
    struct var *v = var_slot(r, name);
    free(v->value);
    v->secret = secret;
    /* a secret's value never reaches the report, even from a journal that had it */
    v->value = secret ? NULL : md_scalar(value);
}

static void vars_from(struct report *r, const cJSON *obj)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (it->string != NULL) {
            var_set(r, it->string, it, false);
        }
    }
}

/* ---- the timeline ---- */

static void begin_item(struct report *r, int64_t ms, bool in_step)
{
    char clock[16];
    md_clock(clock, ms);
    int64_t rel = (ms - r->start_ms) / 1000;
    rel = rel > 0 ? rel : 0;
    strbuf_printf(&r->timeline, "- %s +%02lld:%02lld ", clock, (long long)(rel / 60),
                  (long long)(rel % 60));
    if (in_step && r->in_step) {
        char letter = r->phase >= 0 ? phase_letters[r->phase] : '?';
        strbuf_printf(&r->timeline, "[%c] ", letter);
        md_inline(&r->timeline, r->step_title != NULL ? r->step_title : "(untitled step)");
        strbuf_str(&r->timeline, ": ");
    }
}

static void note_actor(struct report *r, const cJSON *ev)
{
    md_actor(&r->actors, &r->nactors, ev);
}

static int phase_index(const cJSON *v)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < NPHASES) {
        return (int)v->valuedouble;
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        return -1;
    }
    char c = v->valuestring[0];
    c = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    for (int i = 0; i < NPHASES; i++) {
        if (c == phase_letters[i]) {
            return i;
        }
    }
    return c == 'M' ? 2 : -1; /* "Mitigate" */
}

static void close_step(struct report *r, int64_t ms)
{
    if (r->in_step && r->phase >= 0 && ms > r->step_ms) {
        r->phase_ms[r->phase] += (uint64_t)(ms - r->step_ms);
    }
    r->step_ms = ms;
}

/* The command's output, trimmed to MD_OUT_LINES lines and MD_OUT_BYTES bytes. */
static void flush_output(struct report *r)
{
    struct strbuf *o = &r->cmd_out;
    size_t len = o->n;
    while (len > 0 && (o->s[len - 1] == '\n' || o->s[len - 1] == '\r' || o->s[len - 1] == ' ')) {
        len--;
    }
    size_t total = 0, shown = 0, used = 0, pos = 0;
    while (pos < len) {
        size_t n = strcspn(o->s + pos, "\n");
        n = pos + n > len ? len - pos : n;
        total++;
        if (shown < MD_OUT_LINES && used < MD_OUT_BYTES) {
            size_t take = n;
            bool cut = used + take > MD_OUT_BYTES;
            if (cut) {
                take = MD_OUT_BYTES - used;
                while (take > 0 && ((unsigned char)o->s[pos + take] & 0xc0) == 0x80) {
                    take--; /* not inside a UTF-8 sequence */
                }
            }
            char *line =
                cut ? xasprintf("%.*s...", (int)take, o->s + pos) : xstrndup(o->s + pos, take);
            md_block_line(&r->timeline, line, strlen(line));
            free(line);
            used += take + 1;
            shown++;
        }
        pos += n + 1;
    }
    if (total > shown) {
        strbuf_printf(&r->timeline, "      (%zu more line%s)\n", total - shown,
                      total - shown == 1 ? "" : "s");
    }
    free(o->s);
    memset(o, 0, sizeof *o);
    r->cmd_open = false;
}

/* A command that never exited (the session died while it ran). */
static void abandon_command(struct report *r)
{
    if (!r->cmd_open) {
        return;
    }
    strbuf_str(&r->timeline, "- (no exit recorded: the session ended while the command ran)\n");
    flush_output(r);
}

/* Offsets are bounded before the cast to off_t: a garbled one must not overflow it. */
static void read_output(struct report *r, const cJSON *data)
{
    double off, len;
    if (r->fd_out < 0 || !md_num(data, "offset", &off) || !md_num(data, "length", &len) ||
        off < 0 || off > (double)JOURNAL_MAX * 1024 || len <= 0 ||
        r->cmd_out.n + len > OUT_READ_MAX) {
        return;
    }
    char *buf = xmalloc((size_t)len);
    ssize_t n = pread(r->fd_out, buf, (size_t)len, (off_t)off);
    if (n > 0) {
        strbuf_add(&r->cmd_out, buf, (size_t)n);
    }
    free(buf);
}

static void ev_command_start(struct report *r, const cJSON *data)
{
    r->cmd_open = true;
    const char *cmd = md_str(data, "command");
    cmd = cmd != NULL ? cmd : "";
    if (strchr(cmd, '\n') != NULL) {
        strbuf_str(&r->timeline, "ran:\n");
        md_block(&r->timeline, cmd);
        return;
    }
    strbuf_str(&r->timeline, "ran ");
    md_code_span(&r->timeline, cmd);
    strbuf_str(&r->timeline, "\n");
}

/* The operator's edit of a code block, before it ran: the journal keeps both. */
static void ev_command_edit(struct report *r, const cJSON *data)
{
    double block = 0;
    md_num(data, "block", &block);
    const char *was = md_str(data, "original");
    const char *now = md_str(data, "edited");
    strbuf_printf(&r->timeline, "edited code block %.0f before running it; it was:\n", block + 1);
    md_block(&r->timeline, was != NULL ? was : "");
    strbuf_str(&r->timeline, "  and became:\n");
    md_block(&r->timeline, now != NULL ? now : "");
}

static void ev_command_exit(struct report *r, const cJSON *data)
{
    double code, elapsed;
    const char *error = md_str(data, "error");
    if (error != NULL && error[0] != '\0') {
        strbuf_str(&r->timeline, "command failed: ");
        md_inline(&r->timeline, error);
    } else if (md_num(data, "code", &code)) {
        strbuf_printf(&r->timeline, "exit %.0f", code);
    } else {
        strbuf_str(&r->timeline, "command ended");
    }
    if (md_num(data, "elapsed_ms", &elapsed)) {
        strbuf_printf(&r->timeline, " in %.1f s", elapsed / 1000.0);
    }
    double lost;
    if (md_num(data, "output_lost", &lost) && lost > 0) {
        /* a full disk when it ran: the output below is not all of it */
        strbuf_printf(&r->timeline, ", output cut: %.0f bytes not saved", lost);
        const char *why = md_str(data, "output_error");
        if (why != NULL && why[0] != '\0') {
            strbuf_str(&r->timeline, " (");
            md_inline(&r->timeline, why);
            strbuf_str(&r->timeline, ")");
        }
    }
    const char *var = md_str(data, "var");
    if (var != NULL && var[0] != '\0') {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(data, "value");
        char *text = md_scalar(value);
        char *shown = md_clip(text != NULL ? text : "", INLINE_BYTES, 1);
        strbuf_str(&r->timeline, ", captured ");
        md_inline(&r->timeline, var);
        strbuf_str(&r->timeline, " = ");
        md_inline(&r->timeline, shown);
        free(shown);
        var_set(r, var, value, false);
        free(text);
    }
    strbuf_str(&r->timeline, "\n");
    if (r->cmd_open) {
        flush_output(r);
    }
}

static void ev_step_enter(struct report *r, const cJSON *data, int64_t ms)
{
    close_step(r, ms);
    r->in_step = true;
    r->step_title = md_str(data, "title");
    r->phase = phase_index(cJSON_GetObjectItemCaseSensitive(data, "phase"));
    r->step_ms = ms;
}

static void ev_step_done(struct report *r, const cJSON *ev, const cJSON *data, int64_t ms)
{
    const char *how = md_str(data, "how");
    const char *result = md_str(ev, "result");
    md_inline(&r->timeline, how != NULL ? how : "done");
    if (result != NULL && result[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        md_inline(&r->timeline, result);
    }
    strbuf_str(&r->timeline, "\n");
    if ((how == NULL || strcmp(how, "done") == 0) && r->in_step) {
        tl_figures_step(&r->in.fig, r->phase, ms, r->step_title);
    }
}

static void ev_input(struct report *r, const cJSON *ev, const cJSON *data)
{
    const char *var = md_str(data, "var");
    bool secret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "secret"));
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(data, "value");
    strbuf_str(&r->timeline, "input ");
    md_inline(&r->timeline, var != NULL ? var : "?");
    /* resume asks secrets again while showing another step: say whose they are */
    const char *step = md_str(ev, "step");
    bool elsewhere = step != NULL && (r->step_id == NULL || strcmp(step, r->step_id) != 0);
    if (secret) {
        strbuf_str(&r->timeline, " (secret, not recorded)");
        if (elsewhere) {
            strbuf_str(&r->timeline, " for step ");
            md_inline(&r->timeline, step);
        }
        strbuf_str(&r->timeline, "\n");
    } else {
        char *text = md_scalar(value);
        char *shown = md_clip(text != NULL ? text : "", INLINE_BYTES, 2);
        strbuf_str(&r->timeline, " = ");
        md_inline(&r->timeline, shown);
        strbuf_str(&r->timeline, "\n");
        free(shown);
        free(text);
    }
    var_set(r, var, value, secret);
}

static void ev_action_start(struct report *r, const cJSON *data)
{
    struct strbuf d = {0};
    const char *verb = md_str(data, "verb");
    md_inline(&d, verb != NULL ? verb : "action");
    md_field(&d, " ", cJSON_GetObjectItemCaseSensitive(data, "pane"));
    md_field(&d, " ", cJSON_GetObjectItemCaseSensitive(data, "target"));
    free(r->action_desc);
    r->action_desc = d.s != NULL ? d.s : xstrdup("action");
    free(r->action_verb);
    r->action_verb = verb != NULL ? xstrdup(verb) : NULL;
    free(r->action_target);
    r->action_target = md_scalar(cJSON_GetObjectItemCaseSensitive(data, "target"));
    strbuf_str(&r->timeline, "action ");
    strbuf_str(&r->timeline, r->action_desc);
    md_field(&r->timeline, " input ", cJSON_GetObjectItemCaseSensitive(data, "input"));
    md_field(&r->timeline, " on ", cJSON_GetObjectItemCaseSensitive(data, "backend"));
    double block;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "code")) &&
        md_num(data, "block", &block)) {
        /* a wiki page's shell block, done as the console's audited action instead */
        strbuf_printf(&r->timeline, " (code block %.0f, as the console's action instead of ",
                      block + 1);
        md_code_span(&r->timeline, md_str(data, "command") ? md_str(data, "command") : "");
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_action_end(struct report *r, const cJSON *ev, const cJSON *data, int64_t ms)
{
    const char *msg = md_str(data, "message");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok"))) {
        tl_figures_action(&r->in.fig, r->action_verb, r->action_target, ms, md_str(ev, "actor"));
    }
    strbuf_printf(&r->timeline, "action %s -> %s", r->action_desc ? r->action_desc : "",
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok")) ? "ok" : "failed");
    if (msg != NULL && msg[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        md_inline(&r->timeline, msg);
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_wait_end(struct report *r, const cJSON *data)
{
    double tries = 0;
    md_num(data, "tries", &tries);
    bool met = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "met"));
    strbuf_printf(&r->timeline, "%s after %.0f tr%s", met ? "condition met" : "wait gave up", tries,
                  tries == 1 ? "y" : "ies");
    const char *reason = md_str(data, "reason");
    if (reason != NULL && reason[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        md_inline(&r->timeline, reason);
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_move(struct report *r, const char *what, const cJSON *data)
{
    strbuf_str(&r->timeline, what);
    md_field(&r->timeline, " from ", cJSON_GetObjectItemCaseSensitive(data, "from"));
    md_field(&r->timeline, " to ", cJSON_GetObjectItemCaseSensitive(data, "to"));
    const char *why = md_str(data, "why");
    if (why != NULL && why[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        md_inline(&r->timeline, why);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_overtime(struct report *r, const cJSON *data)
{
    double s;
    strbuf_str(&r->timeline, "over its time box");
    if (md_num(data, "timebox_s", &s)) {
        char d[32];
        md_dur(d, (int64_t)(s * 1000));
        strbuf_printf(&r->timeline, " of %s", d);
    }
    strbuf_str(&r->timeline, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "escalated"))
                                 ? ", escalated\n"
                                 : ", not escalated\n");
}

static void ev_note(struct report *r, const cJSON *ev, const cJSON *data, int64_t ms)
{
    const char *text = md_str(data, "text");
    strbuf_str(&r->timeline, "note: ");
    md_inline(&r->timeline, text);
    strbuf_str(&r->timeline, "\n");
    char clock[16];
    md_clock(clock, ms);
    const char *actor = md_str(ev, "actor");
    strbuf_printf(&r->notes, "- %s %s: ", clock, actor != NULL ? actor : "unknown");
    md_inline(&r->notes, text);
    strbuf_str(&r->notes, "\n");
}

static void ev_run_start(struct report *r, const cJSON *ev, const cJSON *data)
{
    r->title = md_str(data, "title");
    r->runbook = md_str(data, "runbook");
    const char *actor = md_str(ev, "actor");
    const char *host = md_str(ev, "host");
    free(r->starter);
    r->starter = xasprintf("%s@%s", actor ? actor : "unknown", host ? host : "unknown");
    strbuf_printf(&r->timeline, "run started by %s", r->starter);
    vars_from(r, json_obj(data, "vars"));
    const cJSON *argv = json_obj(data, "argv_vars");
    vars_from(r, argv);
    const char *sep = "; variables given: ";
    const cJSON *it;
    cJSON_ArrayForEach(it, argv)
    {
        char *text = md_scalar(it);
        strbuf_str(&r->timeline, sep);
        md_inline(&r->timeline, it->string);
        strbuf_str(&r->timeline, "=");
        md_inline(&r->timeline, text != NULL ? text : "");
        free(text);
        sep = ", ";
    }
    strbuf_str(&r->timeline, "\n");
}

/* A command's processes left running by a session killed with SIGKILL, and what was done. */
static void ev_orphan(struct report *r, const char *action, const cJSON *data)
{
    double pgid = 0;
    md_num(data, "pgid", &pgid);
    const char *how = md_str(data, "how");
    const char *sig = md_str(data, "signal");
    if (strcmp(action, "step.rerun") == 0) {
        strbuf_str(&r->timeline, "re-run after the interruption (confirmed)\n");
    } else if (strcmp(action, "orphan.found") == 0) {
        strbuf_printf(&r->timeline,
                      "the interrupted command was still running at resume (process group "
                      "%.0f)\n",
                      pgid);
    } else if (strcmp(action, "orphan.wait") == 0) {
        strbuf_printf(&r->timeline, "waited for process group %.0f\n", pgid);
    } else if (strcmp(action, "orphan.signal") == 0) {
        strbuf_str(&r->timeline, "sent ");
        md_inline(&r->timeline, sig != NULL ? sig : "a signal");
        strbuf_printf(&r->timeline, " to process group %.0f\n", pgid);
    } else {
        strbuf_printf(&r->timeline, "process group %.0f %s\n", pgid,
                      how != NULL && strcmp(how, "stopped") == 0 ? "stopped" : "ended by itself");
    }
}

static void ev_other(struct report *r, const char *action, const cJSON *ev, const cJSON *data,
                     int64_t ms)
{
    if (strcmp(action, "run.resume") == 0) {
        const char *actor = md_str(ev, "actor");
        const char *host = md_str(ev, "host");
        strbuf_printf(&r->timeline, "run resumed by %s@%s", actor ? actor : "unknown",
                      host ? host : "unknown");
        md_field(&r->timeline, " at step ", cJSON_GetObjectItemCaseSensitive(data, "at"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "run.end") == 0) {
        close_step(r, ms);
        r->in_step = false;
        r->how = md_str(data, "how");
        r->how = r->how != NULL ? r->how : "finished";
        r->end_ms = ms;
        strbuf_str(&r->timeline, "run ");
        md_inline(&r->timeline, r->how);
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "choice") == 0) {
        const char *label = md_str(data, "label");
        strbuf_str(&r->timeline, "chose \"");
        md_inline(&r->timeline, label != NULL ? label : "");
        strbuf_str(&r->timeline, "\"");
        md_field(&r->timeline, " -> ", cJSON_GetObjectItemCaseSensitive(data, "goto"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "approval") == 0) {
        const char *by = md_str(data, "by");
        strbuf_str(&r->timeline, "approved by ");
        md_inline(&r->timeline, by != NULL ? by : "?");
        md_field(&r->timeline, " as ", cJSON_GetObjectItemCaseSensitive(data, "role"));
        md_field(&r->timeline, ", asked by ",
                 cJSON_GetObjectItemCaseSensitive(data, "requested_by"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "postmortem") == 0) {
        strbuf_str(&r->timeline, "post-incident review: ");
        md_inline(&r->timeline, md_str(data, "field"));
        strbuf_str(&r->timeline, " = ");
        md_inline(&r->timeline, md_str(data, "value"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "leftovers") == 0) {
        int n = cJSON_GetArraySize(json_arr(data, "items"));
        strbuf_printf(&r->timeline, "left in place at the end: %d item%s\n", n, n == 1 ? "" : "s");
    } else if (report_people_line(&r->timeline, action, ev, data)) {
        /* join, leave, claim...: said by report_people.c */
    } else if (strcmp(action, "wait.start") == 0) {
        strbuf_str(&r->timeline, "waiting until ");
        md_inline(&r->timeline, md_str(data, "condition"));
        strbuf_str(&r->timeline, "\n");
    } else {
        const char *result = md_str(ev, "result");
        md_inline(&r->timeline, action);
        if (result != NULL && result[0] != '\0') {
            strbuf_str(&r->timeline, ": ");
            md_inline(&r->timeline, result);
        }
        strbuf_str(&r->timeline, "\n");
    }
}

/* Events that belong to the run, not to a step, start their line without one. */
static bool run_level(const char *action)
{
    return strcmp(action, "run.start") == 0 || strcmp(action, "run.resume") == 0 ||
           strcmp(action, "run.end") == 0 || strcmp(action, "postmortem") == 0 ||
           strcmp(action, "leftovers") == 0;
}

/* The line of one event after its time (and step), by its kind (runlog.h). */
static void event_line(struct report *r, enum runlog_kind kind, const char *action, const cJSON *ev,
                       const cJSON *data, int64_t ms)
{
    switch (kind) {
    case RL_STEP_ENTER:
        strbuf_str(&r->timeline, "entered\n");
        return;
    case RL_STEP_DONE:
        ev_step_done(r, ev, data, ms);
        return;
    case RL_INPUT:
        ev_input(r, ev, data);
        return;
    case RL_COMMAND_START:
        ev_command_start(r, data);
        return;
    case RL_COMMAND_EXIT:
        ev_command_exit(r, data);
        return;
    case RL_COMMAND_EDIT:
        ev_command_edit(r, data);
        return;
    case RL_WAIT_END:
        ev_wait_end(r, data);
        return;
    case RL_ACTION_START:
        ev_action_start(r, data);
        return;
    case RL_ACTION_END:
        ev_action_end(r, ev, data, ms);
        return;
    case RL_NOTIFY:
        md_notify(&r->timeline, data);
        return;
    case RL_NOTE:
        ev_note(r, ev, data, ms);
        return;
    case RL_JUMP:
    case RL_BACK:
        ev_move(r, kind == RL_JUMP ? "jumped" : "went back", data);
        return;
    case RL_OVERTIME:
        ev_overtime(r, data);
        return;
    case RL_RUN_START:
        ev_run_start(r, ev, data);
        return;
    case RL_STEP_RERUN:
        ev_orphan(r, action, data);
        return;
    default:
        break;
    }
    /* orphan.* of this version and any later one */
    if (str_has_prefix(action, "orphan.")) {
        ev_orphan(r, action, data);
    } else {
        ev_other(r, action, ev, data, ms);
    }
}

/* A run event on the JSON timeline: its fields and the line the Markdown has. */
static void item_json(struct report *r, const cJSON *ev, const char *action, int64_t ms, size_t at)
{
    cJSON *o = cJSON_CreateObject();
    char ts[32];
    clock_format_rfc3339(ts, ms);
    cJSON_AddStringToObject(o, "ts", ts);
    cJSON_AddStringToObject(o, "source", "run");
    static const char *const fields[] = {"actor", "host", "step"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = md_str(ev, fields[i]);
        if (v != NULL) {
            cJSON_AddStringToObject(o, fields[i], v);
        }
    }
    cJSON_AddStringToObject(o, "action", action);
    if (r->in_step && r->phase >= 0 && !run_level(action)) {
        char letter[2] = {phase_letters[r->phase], '\0'};
        cJSON_AddStringToObject(o, "phase", letter);
    }
    size_t len = r->timeline.n - at;
    while (len > 0 && r->timeline.s[at + len - 1] == '\n') {
        len--;
    }
    char *text = xstrndup(r->timeline.s != NULL ? r->timeline.s + at : "", len);
    cJSON_AddStringToObject(o, "text", text);
    free(text);
    cJSON_AddItemToArray(r->items, o);
}

static void event(struct report *r, const cJSON *ev, int64_t ms)
{
    const char *action = md_str(ev, "action");
    const cJSON *data = json_obj(ev, "data");
    action = action != NULL ? action : "(no action)";
    enum runlog_kind kind = runlog_kind(action);
    note_actor(r, ev);
    r->last_ms = ms;
    if (kind == RL_COMMAND_OUTPUT) {
        read_output(r, data); /* no line of its own: shown under the exit */
        return;
    }
    if (kind == RL_COMMAND_PGID) {
        return; /* bookkeeping for resume, not an event of the incident */
    }
    if (kind == RL_STEP_ENTER || kind == RL_COMMAND_START || kind == RL_RUN_END) {
        abandon_command(r); /* its note goes under the item before this one */
    }
    if (kind == RL_STEP_ENTER) {
        ev_step_enter(r, data, ms);
        r->step_id = md_str(ev, "step");
    }
    incident_emit_until(&r->in, &r->timeline, r->items, ms, r->start_ms);
    incident_event(&r->in, ev);
    begin_item(r, ms, !run_level(action));
    size_t at = r->timeline.n;
    event_line(r, kind, action, ev, data, ms);
    if (r->items != NULL) {
        item_json(r, ev, action, ms, at);
    }
}

/* ---- the document ---- */

static void render_header(struct strbuf *out, const struct report *r, const char *run_id)
{
    char date[80], d[32];
    strbuf_str(out, "# Incident report: ");
    md_inline(out, r->title != NULL && r->title[0] != '\0' ? r->title : run_id);
    strbuf_str(out, "\n\n- Runbook: ");
    md_inline(out, r->runbook != NULL ? r->runbook : "(unknown)");
    strbuf_str(out, "\n- Run: ");
    md_inline(out, run_id);
    strbuf_str(out, "\n- Who: ");
    if (r->starter != NULL) {
        md_inline(out, r->starter);
    }
    for (size_t i = 0; i < r->nactors; i++) {
        if (r->starter == NULL || strcmp(r->actors[i], r->starter) != 0) {
            strbuf_str(out, r->starter != NULL || i > 0 ? ", " : "");
            md_inline(out, r->actors[i]);
        }
    }
    md_date(date, r->start_ms);
    strbuf_printf(out, "\n- Started: %s\n", date);
    if (r->how != NULL) {
        md_date(date, r->end_ms);
        md_dur(d, r->end_ms - r->start_ms);
        strbuf_printf(out, "- Ended: %s, after %s\n- Outcome: ", date, d);
        md_inline(out, r->how);
        strbuf_str(out, "\n");
    } else {
        md_date(date, r->last_ms);
        strbuf_printf(out, "- Ended: not yet (last event %s)\n- Outcome: still open\n", date);
    }
}

static void render_tail(struct strbuf *out, struct report *r)
{
    char d[32];
    strbuf_str(out, "\n## Time per phase\n\n| phase | time |\n|---|---|\n");
    for (int i = 0; i < NPHASES; i++) {
        md_dur(d, (int64_t)r->phase_ms[i]);
        strbuf_printf(out, "| %c %s | %s |\n", phase_letters[i], phase_names[i], d);
    }
    strbuf_str(out, "\n## Notes\n\n");
    strbuf_str(out, r->notes.n > 0 ? r->notes.s : "(none)\n");
    strbuf_str(out, "\n## Variables at the end\n\n");
    if (r->nvars == 0) {
        strbuf_str(out, "(none)\n");
        return;
    }
    strbuf_str(out, "| variable | value |\n|---|---|\n");
    for (size_t i = 0; i < r->nvars; i++) {
        const struct var *v = &r->vars[i];
        strbuf_str(out, "| ");
        md_cell(out, v->name);
        strbuf_str(out, " | ");
        if (v->secret) {
            strbuf_str(out, "(secret, not recorded)");
        } else if (v->value == NULL) {
            strbuf_str(out, "(unset)");
        } else {
            char *shown = md_clip(v->value, MD_OUT_BYTES, MD_OUT_LINES);
            md_cell(out, shown);
            free(shown);
        }
        strbuf_str(out, " |\n");
    }
}

static void report_finish(struct report *r)
{
    free(r->timeline.s);
    free(r->notes.s);
    free(r->cmd_out.s);
    free(r->starter);
    for (size_t i = 0; i < r->nactors; i++) {
        free(r->actors[i]);
    }
    free(r->actors);
    free(r->action_verb);
    free(r->action_target);
    free(r->action_desc);
    incident_free(&r->in);
    cJSON_Delete(r->items);
    for (size_t i = 0; i < r->nvars; i++) {
        free(r->vars[i].name);
        free(r->vars[i].value);
    }
    free(r->vars);
    if (r->fd_out >= 0) {
        close(r->fd_out);
    }
}

/* The report as JSON: the run, the figures, the timeline, the answers, the leftovers. */
static cJSON *run_json(struct report *r, const char *run_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *run = cJSON_AddObjectToObject(o, "run");
    cJSON_AddStringToObject(run, "id", run_id);
    cJSON_AddStringToObject(run, "title", r->title != NULL ? r->title : "");
    cJSON_AddStringToObject(run, "runbook", r->runbook != NULL ? r->runbook : "");
    cJSON_AddStringToObject(run, "started_by", r->starter != NULL ? r->starter : "");
    char ts[32];
    clock_format_rfc3339(ts, r->start_ms);
    cJSON_AddStringToObject(run, "started", ts);
    if (r->how != NULL) {
        clock_format_rfc3339(ts, r->end_ms);
        cJSON_AddStringToObject(run, "ended", ts);
        cJSON_AddStringToObject(run, "outcome", r->how);
    } else {
        cJSON_AddNullToObject(run, "ended");
        cJSON_AddStringToObject(run, "outcome", "open");
    }
    incident_json(o, &r->in);
    cJSON_AddItemToObject(o, "timeline", r->items);
    r->items = NULL;
    return o;
}

/* Which audit lines and alert transitions belong to the run: its window, its host. */
static void select_for(const struct md_line *lines, size_t n, const char *run_id, int64_t start_ms,
                       struct tl_select *sel)
{
    sel->run = run_id;
    sel->from = start_ms;
    sel->until = clock_wall_ms(); /* still open: up to now */
    for (size_t i = 0; i < n; i++) {
        const char *action = md_str(lines[i].obj, "action");
        if (action != NULL && strcmp(action, "run.start") == 0 && sel->host == NULL) {
            sel->host = md_str(lines[i].obj, "host");
        } else if (action != NULL && strcmp(action, "run.end") == 0) {
            sel->until = lines[i].ms;
        }
    }
}

char *report_run_markdown(const struct md_line *lines, size_t n, const char *dir,
                          const char *run_id, const struct report_sources *src,
                          struct report_extra *extra)
{
    char *out_path = xasprintf("%s/%s.out", dir, run_id);
    struct report r = {.fd_out = open(out_path, O_RDONLY | O_CLOEXEC), .phase = -1};
    free(out_path);
    r.start_ms = md_start_time(lines, n);
    r.last_ms = r.start_ms;
    r.in.fig.start_ms = r.start_ms;
    struct tl_select sel = {0};
    select_for(lines, n, run_id, r.start_ms, &sel);
    incident_load(&r.in, src->audit, src->alerts, &sel);
    r.items = extra != NULL && extra->want_json ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj == NULL) {
            strbuf_printf(&r.timeline, "- (journal line %d unreadable)\n", lines[i].number);
        } else {
            event(&r, lines[i].obj, lines[i].ms);
        }
    }
    if (r.how == NULL) {
        abandon_command(&r);
        close_step(&r, r.last_ms);
    }
    incident_emit_until(&r.in, &r.timeline, r.items, INT64_MAX, r.start_ms);
    struct strbuf out = {0};
    render_header(&out, &r, run_id);
    strbuf_str(&out, "\n## Timeline\n\n");
    strbuf_str(&out, r.timeline.s != NULL ? r.timeline.s : "(no events)\n");
    incident_render(&out, &r.in);
    render_tail(&out, &r);
    report_people_md(&out, lines, n);
    if (extra != NULL && extra->want_json) {
        extra->json = run_json(&r, run_id);
        cJSON *people = report_people_json(lines, n);
        if (people != NULL) {
            cJSON_AddItemToObject(extra->json, "people", people);
        }
    }
    if (extra != NULL && extra->want_summary) {
        char *title = xasprintf("%s (run %s)", r.title != NULL ? r.title : run_id, run_id);
        extra->summary = incident_summary(title, &r.in);
        free(title);
    }
    report_finish(&r);
    return out.s;
}
