/*
 * Post-incident reports from a run journal (docs/runbooks.md "Journal
 * events" and "The report").
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
#include "report.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/text.h"
#include "../common/util.h"
#include "journal.h"
#include "run.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    OUT_LINES = 10,
    OUT_BYTES = 1024,
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
    int64_t mitigated_ms;
    char *mitigated_step;
    /* the command in flight */
    bool cmd_open;
    struct strbuf cmd_out;
    /* the last action started, for its end line */
    char *action_desc;
    struct var *vars;
    size_t nvars;
};

/* ---- small helpers ---- */

static const char *str_of(const cJSON *obj, const char *name)
{
    return json_str(obj, name);
}

static bool num_of(const cJSON *obj, const char *name, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v)) {
        return false;
    }
    *out = v->valuedouble;
    return true;
}

/* A scalar as text (ids and indexes may be either); NULL for anything else. */
static char *scalar_text(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    if (cJSON_IsNumber(v)) {
        return xasprintf("%.15g", v->valuedouble);
    }
    if (cJSON_IsBool(v)) {
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    }
    return NULL;
}

static void fmt_clock(char buf[16], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 16, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void fmt_date(char buf[80], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 80, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "4s", "12m05s", "1h02m03s". */
static void fmt_dur(char buf[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s >= 3600) {
        snprintf(buf, 32, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    } else if (s >= 60) {
        snprintf(buf, 32, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    } else {
        snprintf(buf, 32, "%llds", (long long)s);
    }
}

/* Inline text: newlines would break the list item (blanks instead); controls are shown. */
static void add_inline(struct strbuf *sb, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "\r\n\t");
        text_add(sb, s, n, 0);
        s += n;
        if (*s != '\0') {
            strbuf_add(sb, " ", 1);
            s++;
        }
    }
}

/* A table cell: | escaped, newlines as <br>, tabs as blanks, controls shown. */
static void add_cell(struct strbuf *sb, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "|\r\n\t");
        text_add(sb, s, n, 0);
        s += n;
        if (*s == '|') {
            strbuf_str(sb, "\\|");
        } else if (*s == '\n') {
            strbuf_str(sb, "<br>");
        } else if (*s != '\0' && !(*s == '\r' && s[1] == '\n')) {
            strbuf_add(sb, " ", 1);
        }
        s += *s != '\0';
    }
}

/*
 * s cut to max bytes and max_lines lines (never inside a UTF-8 sequence),
 * "..." marking a cut: a captured variable may hold a whole command's output.
 */
static char *clip(const char *s, size_t max, int max_lines)
{
    size_t n = 0;
    int lines = 1;
    for (; s[n] != '\0' && n < max; n++) {
        if (s[n] == '\n' && ++lines > max_lines) {
            break;
        }
    }
    if (s[n] == '\0') {
        return xstrdup(s);
    }
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    return xasprintf("%.*s...", (int)n, s);
}

/* `text` as a code span whose fence no backtick run inside can close. */
static void add_code_span(struct strbuf *sb, const char *s)
{
    size_t run = 0, longest = 0;
    for (const char *p = s; *p != '\0'; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    bool pad = s[0] == '`' || (s[0] != '\0' && s[strlen(s) - 1] == '`');
    for (size_t i = 0; i <= longest; i++) {
        strbuf_str(sb, "`");
    }
    strbuf_str(sb, pad ? " " : "");
    add_inline(sb, s);
    strbuf_str(sb, pad ? " " : "");
    for (size_t i = 0; i <= longest; i++) {
        strbuf_str(sb, "`");
    }
}

/* Lines as an indented code block inside a list item (6 spaces: 2 + 4). */
static void add_block_line(struct strbuf *sb, const char *line, size_t len)
{
    strbuf_str(sb, "      ");
    /* terminal escapes from a command's colours are shown (^[[31m), never obeyed */
    text_add(sb, line, len, TEXT_TAB);
    strbuf_str(sb, "\n");
}

static void add_block(struct strbuf *sb, const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        add_block_line(sb, p, n);
        p += n;
        p += *p == '\n';
    }
}

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
    v->value = secret ? NULL : scalar_text(value);
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
    fmt_clock(clock, ms);
    int64_t rel = (ms - r->start_ms) / 1000;
    rel = rel > 0 ? rel : 0;
    strbuf_printf(&r->timeline, "- %s +%02lld:%02lld ", clock, (long long)(rel / 60),
                  (long long)(rel % 60));
    if (in_step && r->in_step) {
        char letter = r->phase >= 0 ? phase_letters[r->phase] : '?';
        strbuf_printf(&r->timeline, "[%c] ", letter);
        add_inline(&r->timeline, r->step_title != NULL ? r->step_title : "(untitled step)");
        strbuf_str(&r->timeline, ": ");
    }
}

/* Add the event's actor@host to a list of distinct ones (both kinds of report). */
static void add_actor(char ***actors, size_t *n, const cJSON *ev)
{
    const char *actor = str_of(ev, "actor");
    const char *host = str_of(ev, "host");
    char *who = xasprintf("%s@%s", actor ? actor : "unknown", host ? host : "unknown");
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*actors)[i], who) == 0) {
            free(who);
            return;
        }
    }
    *actors = xreallocarray(*actors, *n + 1, sizeof **actors);
    (*actors)[(*n)++] = who;
}

static void note_actor(struct report *r, const cJSON *ev)
{
    add_actor(&r->actors, &r->nactors, ev);
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

/* The command's output, trimmed to OUT_LINES lines and OUT_BYTES bytes. */
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
        if (shown < OUT_LINES && used < OUT_BYTES) {
            size_t take = n;
            bool cut = used + take > OUT_BYTES;
            if (cut) {
                take = OUT_BYTES - used;
                while (take > 0 && ((unsigned char)o->s[pos + take] & 0xc0) == 0x80) {
                    take--; /* not inside a UTF-8 sequence */
                }
            }
            char *line =
                cut ? xasprintf("%.*s...", (int)take, o->s + pos) : xstrndup(o->s + pos, take);
            add_block_line(&r->timeline, line, strlen(line));
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
    if (r->fd_out < 0 || !num_of(data, "offset", &off) || !num_of(data, "length", &len) ||
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
    const char *cmd = str_of(data, "command");
    cmd = cmd != NULL ? cmd : "";
    if (strchr(cmd, '\n') != NULL) {
        strbuf_str(&r->timeline, "ran:\n");
        add_block(&r->timeline, cmd);
        return;
    }
    strbuf_str(&r->timeline, "ran ");
    add_code_span(&r->timeline, cmd);
    strbuf_str(&r->timeline, "\n");
}

static void ev_command_exit(struct report *r, const cJSON *data)
{
    double code, elapsed;
    const char *error = str_of(data, "error");
    if (error != NULL && error[0] != '\0') {
        strbuf_str(&r->timeline, "command failed: ");
        add_inline(&r->timeline, error);
    } else if (num_of(data, "code", &code)) {
        strbuf_printf(&r->timeline, "exit %.0f", code);
    } else {
        strbuf_str(&r->timeline, "command ended");
    }
    if (num_of(data, "elapsed_ms", &elapsed)) {
        strbuf_printf(&r->timeline, " in %.1f s", elapsed / 1000.0);
    }
    double lost;
    if (num_of(data, "output_lost", &lost) && lost > 0) {
        /* a full disk when it ran: the output below is not all of it */
        strbuf_printf(&r->timeline, ", output cut: %.0f bytes not saved", lost);
        const char *why = str_of(data, "output_error");
        if (why != NULL && why[0] != '\0') {
            strbuf_str(&r->timeline, " (");
            add_inline(&r->timeline, why);
            strbuf_str(&r->timeline, ")");
        }
    }
    const char *var = str_of(data, "var");
    if (var != NULL && var[0] != '\0') {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(data, "value");
        char *text = scalar_text(value);
        char *shown = clip(text != NULL ? text : "", INLINE_BYTES, 1);
        strbuf_str(&r->timeline, ", captured ");
        add_inline(&r->timeline, var);
        strbuf_str(&r->timeline, " = ");
        add_inline(&r->timeline, shown);
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
    r->step_title = str_of(data, "title");
    r->phase = phase_index(cJSON_GetObjectItemCaseSensitive(data, "phase"));
    r->step_ms = ms;
}

static void ev_step_done(struct report *r, const cJSON *ev, const cJSON *data, int64_t ms)
{
    const char *how = str_of(data, "how");
    const char *result = str_of(ev, "result");
    add_inline(&r->timeline, how != NULL ? how : "done");
    if (result != NULL && result[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        add_inline(&r->timeline, result);
    }
    strbuf_str(&r->timeline, "\n");
    if ((how == NULL || strcmp(how, "done") == 0) && r->in_step && r->phase == 2) {
        r->mitigated_ms = ms;
        free(r->mitigated_step);
        r->mitigated_step = xstrdup(r->step_title != NULL ? r->step_title : "(untitled step)");
    }
}

static void ev_input(struct report *r, const cJSON *ev, const cJSON *data)
{
    const char *var = str_of(data, "var");
    bool secret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "secret"));
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(data, "value");
    strbuf_str(&r->timeline, "input ");
    add_inline(&r->timeline, var != NULL ? var : "?");
    /* resume asks secrets again while showing another step: say whose they are */
    const char *step = str_of(ev, "step");
    bool elsewhere = step != NULL && (r->step_id == NULL || strcmp(step, r->step_id) != 0);
    if (secret) {
        strbuf_str(&r->timeline, " (secret, not recorded)");
        if (elsewhere) {
            strbuf_str(&r->timeline, " for step ");
            add_inline(&r->timeline, step);
        }
        strbuf_str(&r->timeline, "\n");
    } else {
        char *text = scalar_text(value);
        char *shown = clip(text != NULL ? text : "", INLINE_BYTES, 2);
        strbuf_str(&r->timeline, " = ");
        add_inline(&r->timeline, shown);
        strbuf_str(&r->timeline, "\n");
        free(shown);
        free(text);
    }
    var_set(r, var, value, secret);
}

static void add_field(struct strbuf *sb, const char *prefix, const cJSON *v)
{
    char *text = scalar_text(v);
    if (text != NULL && text[0] != '\0') {
        strbuf_str(sb, prefix);
        add_inline(sb, text);
    }
    free(text);
}

static void ev_action_start(struct report *r, const cJSON *data)
{
    struct strbuf d = {0};
    const char *verb = str_of(data, "verb");
    add_inline(&d, verb != NULL ? verb : "action");
    add_field(&d, " ", cJSON_GetObjectItemCaseSensitive(data, "pane"));
    add_field(&d, " ", cJSON_GetObjectItemCaseSensitive(data, "target"));
    free(r->action_desc);
    r->action_desc = d.s != NULL ? d.s : xstrdup("action");
    strbuf_str(&r->timeline, "action ");
    strbuf_str(&r->timeline, r->action_desc);
    add_field(&r->timeline, " input ", cJSON_GetObjectItemCaseSensitive(data, "input"));
    add_field(&r->timeline, " on ", cJSON_GetObjectItemCaseSensitive(data, "backend"));
    strbuf_str(&r->timeline, "\n");
}

static void ev_action_end(struct report *r, const cJSON *data)
{
    const char *msg = str_of(data, "message");
    strbuf_printf(&r->timeline, "action %s -> %s", r->action_desc ? r->action_desc : "",
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok")) ? "ok" : "failed");
    if (msg != NULL && msg[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        add_inline(&r->timeline, msg);
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_notify(struct report *r, const cJSON *data)
{
    strbuf_str(&r->timeline, "notify ");
    const char *svc = str_of(data, "service");
    add_inline(&r->timeline, svc != NULL ? svc : "?");
    /* Slack has no events; the step machine may still journal the default one */
    if (svc == NULL || strcmp(svc, "slack") != 0) {
        add_field(&r->timeline, "/", cJSON_GetObjectItemCaseSensitive(data, "event"));
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(data, "status");
    const char *error = str_of(data, "error");
    bool failed = error != NULL && error[0] != '\0';
    if (!failed && !cJSON_IsNumber(status)) {
        strbuf_str(&r->timeline, ": sending\n"); /* journaled before the request goes out */
        return;
    }
    strbuf_str(&r->timeline, " ->");
    if (cJSON_IsNumber(status) && status->valuedouble > 0) {
        strbuf_printf(&r->timeline, " HTTP %.0f", status->valuedouble);
    }
    if (failed) {
        strbuf_str(&r->timeline, " failed: ");
        add_inline(&r->timeline, error);
    } else {
        strbuf_str(&r->timeline, " sent");
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_wait_end(struct report *r, const cJSON *data)
{
    double tries = 0;
    num_of(data, "tries", &tries);
    bool met = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "met"));
    strbuf_printf(&r->timeline, "%s after %.0f tr%s", met ? "condition met" : "wait gave up", tries,
                  tries == 1 ? "y" : "ies");
    const char *reason = str_of(data, "reason");
    if (reason != NULL && reason[0] != '\0') {
        strbuf_str(&r->timeline, ": ");
        add_inline(&r->timeline, reason);
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_move(struct report *r, const char *what, const cJSON *data)
{
    strbuf_str(&r->timeline, what);
    add_field(&r->timeline, " from ", cJSON_GetObjectItemCaseSensitive(data, "from"));
    add_field(&r->timeline, " to ", cJSON_GetObjectItemCaseSensitive(data, "to"));
    const char *why = str_of(data, "why");
    if (why != NULL && why[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        add_inline(&r->timeline, why);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void ev_overtime(struct report *r, const cJSON *data)
{
    double s;
    strbuf_str(&r->timeline, "over its time box");
    if (num_of(data, "timebox_s", &s)) {
        char d[32];
        fmt_dur(d, (int64_t)(s * 1000));
        strbuf_printf(&r->timeline, " of %s", d);
    }
    strbuf_str(&r->timeline, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "escalated"))
                                 ? ", escalated\n"
                                 : ", not escalated\n");
}

static void ev_note(struct report *r, const cJSON *ev, const cJSON *data, int64_t ms)
{
    const char *text = str_of(data, "text");
    strbuf_str(&r->timeline, "note: ");
    add_inline(&r->timeline, text);
    strbuf_str(&r->timeline, "\n");
    char clock[16];
    fmt_clock(clock, ms);
    const char *actor = str_of(ev, "actor");
    strbuf_printf(&r->notes, "- %s %s: ", clock, actor != NULL ? actor : "unknown");
    add_inline(&r->notes, text);
    strbuf_str(&r->notes, "\n");
}

static void ev_run_start(struct report *r, const cJSON *ev, const cJSON *data)
{
    r->title = str_of(data, "title");
    r->runbook = str_of(data, "runbook");
    const char *actor = str_of(ev, "actor");
    const char *host = str_of(ev, "host");
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
        char *text = scalar_text(it);
        strbuf_str(&r->timeline, sep);
        add_inline(&r->timeline, it->string);
        strbuf_str(&r->timeline, "=");
        add_inline(&r->timeline, text != NULL ? text : "");
        free(text);
        sep = ", ";
    }
    strbuf_str(&r->timeline, "\n");
}

/* A command's processes left running by a session killed with SIGKILL, and what was done. */
static void ev_orphan(struct report *r, const char *action, const cJSON *data)
{
    double pgid = 0;
    num_of(data, "pgid", &pgid);
    const char *how = str_of(data, "how");
    const char *sig = str_of(data, "signal");
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
        add_inline(&r->timeline, sig != NULL ? sig : "a signal");
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
        const char *actor = str_of(ev, "actor");
        const char *host = str_of(ev, "host");
        strbuf_printf(&r->timeline, "run resumed by %s@%s", actor ? actor : "unknown",
                      host ? host : "unknown");
        add_field(&r->timeline, " at step ", cJSON_GetObjectItemCaseSensitive(data, "at"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "run.end") == 0) {
        close_step(r, ms);
        r->in_step = false;
        r->how = str_of(data, "how");
        r->how = r->how != NULL ? r->how : "finished";
        r->end_ms = ms;
        strbuf_str(&r->timeline, "run ");
        add_inline(&r->timeline, r->how);
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "choice") == 0) {
        const char *label = str_of(data, "label");
        strbuf_str(&r->timeline, "chose \"");
        add_inline(&r->timeline, label != NULL ? label : "");
        strbuf_str(&r->timeline, "\"");
        add_field(&r->timeline, " -> ", cJSON_GetObjectItemCaseSensitive(data, "goto"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "approval") == 0) {
        const char *by = str_of(data, "by");
        strbuf_str(&r->timeline, "approved by ");
        add_inline(&r->timeline, by != NULL ? by : "?");
        add_field(&r->timeline, " as ", cJSON_GetObjectItemCaseSensitive(data, "role"));
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "wait.start") == 0) {
        strbuf_str(&r->timeline, "waiting until ");
        add_inline(&r->timeline, str_of(data, "condition"));
        strbuf_str(&r->timeline, "\n");
    } else {
        const char *result = str_of(ev, "result");
        add_inline(&r->timeline, action);
        if (result != NULL && result[0] != '\0') {
            strbuf_str(&r->timeline, ": ");
            add_inline(&r->timeline, result);
        }
        strbuf_str(&r->timeline, "\n");
    }
}

/* Events that belong to the run, not to a step, start their line without one. */
static bool run_level(const char *action)
{
    return strcmp(action, "run.start") == 0 || strcmp(action, "run.resume") == 0 ||
           strcmp(action, "run.end") == 0;
}

static void event(struct report *r, const cJSON *ev, int64_t ms)
{
    const char *action = str_of(ev, "action");
    const cJSON *data = json_obj(ev, "data");
    action = action != NULL ? action : "(no action)";
    note_actor(r, ev);
    r->last_ms = ms;
    if (strcmp(action, "command.output") == 0) {
        read_output(r, data); /* no line of its own: shown under the exit */
        return;
    }
    if (strcmp(action, "command.pgid") == 0) {
        return; /* bookkeeping for resume, not an event of the incident */
    }
    bool enter = strcmp(action, "step.enter") == 0;
    if (enter || strcmp(action, "command.start") == 0 || strcmp(action, "run.end") == 0) {
        abandon_command(r); /* its note goes under the item before this one */
    }
    if (enter) {
        ev_step_enter(r, data, ms);
        r->step_id = str_of(ev, "step");
    }
    begin_item(r, ms, !run_level(action));
    if (enter) {
        strbuf_str(&r->timeline, "entered\n");
    } else if (strcmp(action, "step.done") == 0) {
        ev_step_done(r, ev, data, ms);
    } else if (strcmp(action, "input") == 0) {
        ev_input(r, ev, data);
    } else if (strcmp(action, "command.start") == 0) {
        ev_command_start(r, data);
    } else if (strcmp(action, "command.exit") == 0) {
        ev_command_exit(r, data);
    } else if (strcmp(action, "wait.end") == 0) {
        ev_wait_end(r, data);
    } else if (strcmp(action, "action.start") == 0) {
        ev_action_start(r, data);
    } else if (strcmp(action, "action.end") == 0) {
        ev_action_end(r, data);
    } else if (strcmp(action, "notify") == 0) {
        ev_notify(r, data);
    } else if (strcmp(action, "note") == 0) {
        ev_note(r, ev, data, ms);
    } else if (strcmp(action, "jump") == 0 || strcmp(action, "back") == 0) {
        ev_move(r, strcmp(action, "jump") == 0 ? "jumped" : "went back", data);
    } else if (strcmp(action, "overtime") == 0) {
        ev_overtime(r, data);
    } else if (strcmp(action, "run.start") == 0) {
        ev_run_start(r, ev, data);
    } else if (str_has_prefix(action, "orphan.") || strcmp(action, "step.rerun") == 0) {
        ev_orphan(r, action, data);
    } else {
        ev_other(r, action, ev, data, ms);
    }
}

/* ---- reading the journal ---- */

static bool valid_id(const char *id)
{
    return id != NULL && id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL;
}

struct line {
    int number;
    cJSON *obj; /* NULL: unreadable */
    int64_t ms;
};

/* The journal's events with their times; a line without a readable time carries the last one. */
static struct line *timed_lines(const struct journal_line *jl, size_t count, size_t *nout)
{
    struct line *lines = xcalloc(count > 0 ? count : 1, sizeof *lines);
    int64_t last_ms = INT64_MIN;
    for (size_t i = 0; i < count; i++) {
        int64_t ms;
        if (jl[i].obj != NULL && clock_parse_rfc3339(str_of(jl[i].obj, "ts"), &ms)) {
            last_ms = ms;
        }
        lines[i] = (struct line){.number = jl[i].number, .obj = jl[i].obj, .ms = last_ms};
    }
    /* events before the first readable time take the first one known */
    int64_t first = INT64_MIN;
    for (size_t i = 0; i < count && first == INT64_MIN; i++) {
        first = lines[i].ms;
    }
    for (size_t i = 0; i < count && lines[i].ms == INT64_MIN; i++) {
        lines[i].ms = first != INT64_MIN ? first : 0;
    }
    *nout = count;
    return lines;
}

static int64_t start_time(const struct line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = str_of(lines[i].obj, "action");
        if (action != NULL && strcmp(action, "run.start") == 0) {
            return lines[i].ms;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj != NULL) {
            return lines[i].ms;
        }
    }
    return 0;
}

/* ---- the document ---- */

static void render_header(struct strbuf *out, const struct report *r, const char *run_id)
{
    char date[80], d[32];
    strbuf_str(out, "# Incident report: ");
    add_inline(out, r->title != NULL && r->title[0] != '\0' ? r->title : run_id);
    strbuf_str(out, "\n\n- Runbook: ");
    add_inline(out, r->runbook != NULL ? r->runbook : "(unknown)");
    strbuf_str(out, "\n- Run: ");
    add_inline(out, run_id);
    strbuf_str(out, "\n- Who: ");
    if (r->starter != NULL) {
        add_inline(out, r->starter);
    }
    for (size_t i = 0; i < r->nactors; i++) {
        if (r->starter == NULL || strcmp(r->actors[i], r->starter) != 0) {
            strbuf_str(out, r->starter != NULL || i > 0 ? ", " : "");
            add_inline(out, r->actors[i]);
        }
    }
    fmt_date(date, r->start_ms);
    strbuf_printf(out, "\n- Started: %s\n", date);
    if (r->how != NULL) {
        fmt_date(date, r->end_ms);
        fmt_dur(d, r->end_ms - r->start_ms);
        strbuf_printf(out, "- Ended: %s, after %s\n- Outcome: ", date, d);
        add_inline(out, r->how);
        strbuf_str(out, "\n");
    } else {
        fmt_date(date, r->last_ms);
        strbuf_printf(out, "- Ended: not yet (last event %s)\n- Outcome: still open\n", date);
    }
}

static void render_tail(struct strbuf *out, const struct report *r)
{
    char d[32];
    strbuf_str(out, "\n## Time per phase\n\n| phase | time |\n|---|---|\n");
    for (int i = 0; i < NPHASES; i++) {
        fmt_dur(d, (int64_t)r->phase_ms[i]);
        strbuf_printf(out, "| %c %s | %s |\n", phase_letters[i], phase_names[i], d);
    }
    strbuf_str(out, "\n## Time to mitigation\n\n");
    if (r->mitigated_step != NULL) {
        char clock[16];
        fmt_dur(d, r->mitigated_ms - r->start_ms);
        fmt_clock(clock, r->mitigated_ms);
        strbuf_printf(out, "%s (\"", d);
        add_inline(out, r->mitigated_step);
        strbuf_printf(out, "\" done at %s UTC)\n", clock);
    } else {
        strbuf_str(out, "not reached (no Focus step was done)\n");
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
        add_cell(out, v->name);
        strbuf_str(out, " | ");
        if (v->secret) {
            strbuf_str(out, "(secret, not recorded)");
        } else if (v->value == NULL) {
            strbuf_str(out, "(unset)");
        } else {
            char *shown = clip(v->value, OUT_BYTES, OUT_LINES);
            add_cell(out, shown);
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
    free(r->mitigated_step);
    free(r->action_desc);
    for (size_t i = 0; i < r->nvars; i++) {
        free(r->vars[i].name);
        free(r->vars[i].value);
    }
    free(r->vars);
    if (r->fd_out >= 0) {
        close(r->fd_out);
    }
}

/* ---- drill runs (docs/drills.md "The after-action report") ---- */

/*
 * A drill run's journal carries data.t_ms, the drill clock, on every event:
 * the timeline is at T+mm:ss. Expectations, checks and chaos actions are
 * collected as the events go by and rendered as tables after the timeline;
 * a rollback that failed or never ran is listed on its own, plainly.
 */

struct dr_inject {
    const char *id, *title;
    int64_t fired_ms;     /* drill time; -1: not fired */
    const cJSON *expects; /* [{text, deadline_s, points}] as fired, or NULL */
};

struct dr_expect {
    const char *inject, *text, *status, *by;
    double points, max; /* max < 0: not journaled */
    int64_t t_ms;
};

struct dr_check {
    const char *id, *when;
    int runs, failures, unknowns;
    bool last_ok, last_unknown;
    const char *last_reason, *first_failure;
    int64_t first_failure_ms;
};

struct dr_chaos {
    const char *inject;
    double index;
    const char *action, *rollback, *message, *rb_message;
    int ok;    /* chaos.end: 1 ok, 0 failed, -1 none */
    int rb_ok; /* rollback.end: 1, 0, -1 none */
    bool rb_started;
    const char *gave_up_by; /* rollback.giveup: who gave it up, or NULL */
};

struct dr_note {
    const char *text, *section, *actor;
    int64_t t_ms;
};

struct drill_report {
    struct strbuf timeline;
    const char *title, *path, *how, *abort_why;
    const cJSON *roles, *objectives;
    char *starter;
    char **actors;
    size_t nactors;
    int64_t start_ms, end_ms, last_ms, t_ms, end_t_ms;
    bool started;
    struct dr_inject *injects;
    size_t ninjects;
    struct dr_expect *expects;
    size_t nexpects;
    struct dr_check *checks;
    size_t nchecks;
    struct dr_chaos *chaos;
    size_t nchaos;
    struct dr_chaos *last_rollback; /* rollback.end has no inject in the documented data */
    struct dr_note *notes;
    size_t nnotes;
    const char **questions, **answers;
    size_t ndebrief;
};

/* Grow an array by one zeroed element; returns it. */
static void *dr_push(void *v, size_t *n, size_t size)
{
    char *p = xreallocarray(v, *n + 1, size);
    memset(p + *n * size, 0, size);
    (*n)++;
    return p;
}

static void fmt_t(char buf[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s >= 6000) {
        snprintf(buf, 32, "T+%lldh%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    } else {
        snprintf(buf, 32, "T+%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
    }
}

static struct dr_inject *dr_inject(struct drill_report *r, const char *id)
{
    for (size_t i = 0; id != NULL && i < r->ninjects; i++) {
        if (strcmp(r->injects[i].id, id) == 0) {
            return &r->injects[i];
        }
    }
    return NULL;
}

static const char *dr_inject_title(struct drill_report *r, const char *id)
{
    struct dr_inject *in = dr_inject(r, id);
    return in != NULL && in->title != NULL && in->title[0] != '\0' ? in->title
           : id != NULL                                            ? id
                                                                   : "?";
}

static struct dr_chaos *dr_chaos(struct drill_report *r, const cJSON *data, bool create)
{
    const char *inject = str_of(data, "inject");
    double index = -1;
    num_of(data, "index", &index);
    if (inject == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < r->nchaos; i++) {
        if (strcmp(r->chaos[i].inject, inject) == 0 && r->chaos[i].index == index) {
            return &r->chaos[i];
        }
    }
    if (!create) {
        return NULL;
    }
    r->chaos = dr_push(r->chaos, &r->nchaos, sizeof *r->chaos);
    struct dr_chaos *c = &r->chaos[r->nchaos - 1];
    c->inject = inject;
    c->index = index;
    c->ok = -1;
    c->rb_ok = -1;
    return c;
}

static void dr_item(struct drill_report *r, int64_t ms)
{
    char t[32], clock[16];
    fmt_t(t, r->t_ms);
    fmt_clock(clock, ms);
    strbuf_printf(&r->timeline, "- %s (%s) ", t, clock);
}

static void dr_quoted(struct strbuf *sb, const char *s)
{
    strbuf_str(sb, "\"");
    add_inline(sb, s != NULL ? s : "");
    strbuf_str(sb, "\"");
}

static void dr_run_start(struct drill_report *r, const cJSON *ev, const cJSON *data)
{
    r->title = str_of(data, "title");
    r->path = str_of(data, "drill");
    r->roles = cJSON_GetObjectItemCaseSensitive(data, "roles");
    r->objectives = cJSON_GetObjectItemCaseSensitive(data, "objectives");
    const char *actor = str_of(ev, "actor");
    const char *host = str_of(ev, "host");
    free(r->starter);
    r->starter = xasprintf("%s@%s", actor ? actor : "unknown", host ? host : "unknown");
    strbuf_printf(&r->timeline, "drill opened by %s\n", r->starter);
}

static void dr_check(struct drill_report *r, const cJSON *data)
{
    const char *id = str_of(data, "id");
    const char *when = str_of(data, "when");
    const char *reason = str_of(data, "reason");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok"));
    bool unknown = !ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "unknown"));
    struct dr_check *c = NULL;
    id = id != NULL ? id : "?";
    when = when != NULL ? when : "?";
    for (size_t i = 0; i < r->nchecks && c == NULL; i++) {
        if (strcmp(r->checks[i].id, id) == 0 && strcmp(r->checks[i].when, when) == 0) {
            c = &r->checks[i];
        }
    }
    if (c == NULL) {
        r->checks = dr_push(r->checks, &r->nchecks, sizeof *r->checks);
        c = &r->checks[r->nchecks - 1];
        c->id = id;
        c->when = when;
    }
    c->runs++;
    c->last_ok = ok;
    c->last_unknown = unknown;
    c->last_reason = reason;
    /* unknown (no fresh data to say) is neither a pass nor a failure */
    c->unknowns += unknown;
    if (!ok && !unknown && c->failures++ == 0) {
        c->first_failure = reason;
        c->first_failure_ms = r->t_ms;
    }
    strbuf_printf(&r->timeline, "check %s ", when);
    dr_quoted(&r->timeline, id);
    strbuf_str(&r->timeline, ok ? ": ok" : unknown ? ": UNKNOWN" : ": FAILED");
    if (reason != NULL && reason[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        add_inline(&r->timeline, reason);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void dr_fire(struct drill_report *r, const cJSON *data)
{
    const char *id = str_of(data, "id");
    const char *why = str_of(data, "why");
    const char *channel = str_of(data, "channel");
    struct dr_inject *in = dr_inject(r, id);
    if (in == NULL && id != NULL) {
        r->injects = dr_push(r->injects, &r->ninjects, sizeof *r->injects);
        in = &r->injects[r->ninjects - 1];
        in->id = id;
    }
    if (in != NULL) {
        in->title = str_of(data, "title");
        in->fired_ms = r->t_ms;
        in->expects = cJSON_GetObjectItemCaseSensitive(data, "expects");
    }
    strbuf_str(&r->timeline, "inject ");
    dr_quoted(&r->timeline, dr_inject_title(r, id));
    strbuf_str(&r->timeline, " to ");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(data, "to");
    const cJSON *it;
    const char *sep = "";
    cJSON_ArrayForEach(it, to)
    {
        if (cJSON_IsString(it)) {
            strbuf_str(&r->timeline, sep);
            add_inline(&r->timeline, it->valuestring);
            sep = ", ";
        }
    }
    strbuf_str(&r->timeline, sep[0] == '\0' ? "everyone" : "");
    strbuf_str(&r->timeline, " by ");
    add_inline(&r->timeline, channel != NULL ? channel : "announce");
    if (why != NULL && strcmp(why, "clock") != 0) {
        strbuf_str(&r->timeline, strcmp(why, "early") == 0 ? ", fired early" : ", as a ");
        if (strcmp(why, "early") != 0) {
            add_inline(&r->timeline, why);
        }
    }
    strbuf_str(&r->timeline, "\n");
}

static void dr_expect(struct drill_report *r, const cJSON *data)
{
    r->expects = dr_push(r->expects, &r->nexpects, sizeof *r->expects);
    struct dr_expect *e = &r->expects[r->nexpects - 1];
    e->inject = str_of(data, "inject");
    e->text = str_of(data, "text");
    e->status = str_of(data, "status");
    e->status = e->status != NULL ? e->status : "?";
    e->by = str_of(data, "by");
    e->t_ms = r->t_ms;
    e->max = -1;
    num_of(data, "points", &e->points);
    num_of(data, "max", &e->max);
    strbuf_str(&r->timeline, "expectation ");
    add_inline(&r->timeline, e->status);
    strbuf_str(&r->timeline, ": ");
    dr_quoted(&r->timeline, e->text);
    strbuf_printf(&r->timeline, " (%g point%s", e->points, e->points == 1 ? "" : "s");
    if (e->by != NULL && e->by[0] != '\0') {
        strbuf_str(&r->timeline, ", by ");
        add_inline(&r->timeline, e->by);
    }
    strbuf_str(&r->timeline, ")\n");
}

static void dr_chaos_event(struct drill_report *r, const char *action, const cJSON *ev,
                           const cJSON *data)
{
    const char *message = str_of(data, "message");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "ok"));
    if (strcmp(action, "chaos.plan") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->action = str_of(data, "action");
            c->rollback = str_of(data, "rollback");
        }
        strbuf_str(&r->timeline, "chaos planned: ");
        add_code_span(&r->timeline, str_of(data, "action") ? str_of(data, "action") : "?");
        strbuf_str(&r->timeline, ", its rollback journaled first: ");
        add_code_span(&r->timeline, str_of(data, "rollback") ? str_of(data, "rollback") : "?");
    } else if (strcmp(action, "chaos.end") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->ok = ok;
            c->message = message;
        }
        strbuf_str(&r->timeline, "chaos ");
        add_code_span(&r->timeline, c != NULL && c->action != NULL ? c->action : "?");
        strbuf_str(&r->timeline, ok ? ": done" : ": FAILED");
    } else if (strcmp(action, "rollback.start") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, true);
        if (c != NULL) {
            c->rb_started = true;
            c->rollback = str_of(data, "action") ? str_of(data, "action") : c->rollback;
        }
        r->last_rollback = c != NULL ? c : r->last_rollback;
        strbuf_str(&r->timeline, "rollback: ");
        add_code_span(&r->timeline, str_of(data, "action") ? str_of(data, "action") : "?");
    } else if (strcmp(action, "rollback.giveup") == 0) {
        struct dr_chaos *c = dr_chaos(r, data, false);
        const char *by = str_of(ev, "actor") != NULL ? str_of(ev, "actor") : "?";
        if (c != NULL) {
            c->gave_up_by = by;
        }
        strbuf_str(&r->timeline, "rollback ");
        add_code_span(&r->timeline, c != NULL && c->rollback != NULL ? c->rollback : "?");
        strbuf_str(&r->timeline, ": given up by ");
        add_inline(&r->timeline, by);
        strbuf_str(&r->timeline, " (to be put back by hand)\n");
        return;
    } else {
        /* rollback.end names its chaos when the game says so, else it ends the last started */
        struct dr_chaos *c = dr_chaos(r, data, false);
        c = c != NULL ? c : r->last_rollback;
        if (c != NULL) {
            c->rb_ok = ok;
            c->rb_message = message;
        }
        strbuf_str(&r->timeline, "rollback ");
        add_code_span(&r->timeline, c != NULL && c->rollback != NULL ? c->rollback : "?");
        strbuf_str(&r->timeline, ok ? ": restored" : ": FAILED, not restored");
    }
    if (message != NULL && message[0] != '\0' && strcmp(action, "chaos.plan") != 0) {
        strbuf_str(&r->timeline, " (");
        add_inline(&r->timeline, message);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, "\n");
}

static void dr_note(struct drill_report *r, const cJSON *ev, const cJSON *data)
{
    r->notes = dr_push(r->notes, &r->nnotes, sizeof *r->notes);
    struct dr_note *n = &r->notes[r->nnotes - 1];
    n->text = str_of(data, "text");
    n->text = n->text != NULL ? n->text : "";
    n->section = str_of(data, "section");
    n->actor = str_of(ev, "actor");
    n->t_ms = r->t_ms;
    strbuf_str(&r->timeline, "note");
    if (n->section != NULL && n->section[0] != '\0') {
        strbuf_str(&r->timeline, " (");
        add_inline(&r->timeline, n->section);
        strbuf_str(&r->timeline, ")");
    }
    strbuf_str(&r->timeline, ": ");
    add_inline(&r->timeline, n->text);
    strbuf_str(&r->timeline, "\n");
}

static void dr_debrief(struct drill_report *r, const cJSON *data)
{
    size_t n = r->ndebrief;
    r->questions = dr_push(r->questions, &n, sizeof *r->questions);
    n = r->ndebrief;
    r->answers = dr_push(r->answers, &n, sizeof *r->answers);
    r->questions[r->ndebrief] = str_of(data, "question");
    r->answers[r->ndebrief] = str_of(data, "answer");
    strbuf_str(&r->timeline, "debrief: ");
    dr_quoted(&r->timeline, r->questions[r->ndebrief]);
    strbuf_str(&r->timeline, " answered\n");
    r->ndebrief++;
}

static void dr_other(struct drill_report *r, const char *action, const cJSON *ev, const cJSON *data,
                     int64_t ms)
{
    if (strcmp(action, "drill.start") == 0) {
        r->started = true;
        strbuf_str(&r->timeline, "drill clock started\n");
    } else if (strcmp(action, "drill.pause") == 0) {
        strbuf_str(&r->timeline, "drill paused\n");
    } else if (strcmp(action, "drill.resume") == 0) {
        strbuf_str(&r->timeline, "drill resumed\n");
    } else if (strcmp(action, "inject.skip") == 0) {
        strbuf_str(&r->timeline, "inject ");
        dr_quoted(&r->timeline, dr_inject_title(r, str_of(data, "id")));
        strbuf_str(&r->timeline, " skipped\n");
    } else if (strcmp(action, "drill.abort") == 0) {
        r->abort_why = str_of(data, "why");
        strbuf_str(&r->timeline, "DRILL ABORTED: ");
        add_inline(&r->timeline, r->abort_why != NULL ? r->abort_why : "(no reason given)");
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "run.end") == 0) {
        r->how = str_of(data, "how");
        r->how = r->how != NULL ? r->how : "finished";
        r->end_ms = ms;
        r->end_t_ms = r->t_ms;
        strbuf_str(&r->timeline, "drill ");
        add_inline(&r->timeline, r->how);
        strbuf_str(&r->timeline, "\n");
    } else if (strcmp(action, "run.resume") == 0 || strcmp(action, "drill.recover") == 0) {
        const char *actor = str_of(ev, "actor");
        strbuf_printf(&r->timeline, "run resumed by %s\n", actor != NULL ? actor : "unknown");
    } else {
        const char *result = str_of(ev, "result");
        add_inline(&r->timeline, action);
        if (result != NULL && result[0] != '\0') {
            strbuf_str(&r->timeline, ": ");
            add_inline(&r->timeline, result);
        }
        strbuf_str(&r->timeline, "\n");
    }
}

static void dr_actor(struct drill_report *r, const cJSON *ev)
{
    add_actor(&r->actors, &r->nactors, ev);
}

static void dr_event(struct drill_report *r, const cJSON *ev, int64_t ms)
{
    const char *action = str_of(ev, "action");
    const cJSON *data = json_obj(ev, "data");
    double t;
    action = action != NULL ? action : "(no action)";
    if (num_of(data, "t_ms", &t) && t >= 0 && t < 1e15) {
        r->t_ms = (int64_t)t; /* an event without it happened at the clock of the one before */
    }
    dr_actor(r, ev);
    r->last_ms = ms;
    dr_item(r, ms);
    if (strcmp(action, "run.start") == 0) {
        dr_run_start(r, ev, data);
    } else if (strcmp(action, "check") == 0) {
        dr_check(r, data);
    } else if (strcmp(action, "inject.fire") == 0) {
        dr_fire(r, data);
    } else if (strcmp(action, "expect") == 0) {
        dr_expect(r, data);
    } else if (strncmp(action, "chaos.", 6) == 0 || strncmp(action, "rollback.", 9) == 0) {
        dr_chaos_event(r, action, ev, data);
    } else if (strcmp(action, "notify") == 0) {
        struct report tmp = {0};
        ev_notify(&tmp, data);
        strbuf_str(&r->timeline, tmp.timeline.s != NULL ? tmp.timeline.s : "\n");
        free(tmp.timeline.s);
    } else if (strcmp(action, "note") == 0) {
        dr_note(r, ev, data);
    } else if (strcmp(action, "debrief") == 0) {
        dr_debrief(r, data);
    } else {
        dr_other(r, action, ev, data, ms);
    }
}

static void dr_header(struct strbuf *out, const struct drill_report *r, const char *run_id)
{
    char date[80], d[32], t[32];
    strbuf_str(out, "# Drill report: ");
    add_inline(out, r->title != NULL && r->title[0] != '\0' ? r->title : run_id);
    strbuf_str(out, "\n\n- Drill: ");
    add_inline(out, r->path != NULL ? r->path : "(unknown)");
    strbuf_str(out, "\n- Run: ");
    add_inline(out, run_id);
    strbuf_str(out, "\n- Facilitated from: ");
    add_inline(out, r->starter != NULL ? r->starter : "(unknown)");
    for (size_t i = 0; i < r->nactors; i++) {
        if (r->starter == NULL || strcmp(r->actors[i], r->starter) != 0) {
            strbuf_str(out, ", ");
            add_inline(out, r->actors[i]);
        }
    }
    fmt_date(date, r->start_ms);
    strbuf_printf(out, "\n- Started: %s\n", date);
    if (r->how != NULL) {
        fmt_date(date, r->end_ms);
        fmt_dur(d, r->end_ms - r->start_ms);
        fmt_t(t, r->end_t_ms);
        strbuf_printf(out, "- Ended: %s, after %s (drill clock %s)\n- Outcome: ", date, d, t);
        add_inline(out, r->how);
        if (r->abort_why != NULL) {
            strbuf_str(out, " (");
            add_inline(out, r->abort_why);
            strbuf_str(out, ")");
        }
        strbuf_str(out, "\n");
    } else {
        fmt_date(date, r->last_ms);
        strbuf_printf(out, "- Ended: not yet (last event %s)\n- Outcome: still open%s\n", date,
                      r->started ? "" : ", the drill clock never started");
    }
}

static void dr_roles(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Participants by role\n\n");
    if (cJSON_GetArraySize(r->roles) == 0) {
        strbuf_str(out, "(no roles recorded)\n");
        return;
    }
    strbuf_str(out, "| role | who | part |\n|---|---|---|\n");
    const cJSON *it;
    cJSON_ArrayForEach(it, r->roles)
    {
        const char *id = str_of(it, "id");
        const char *name = str_of(it, "name");
        bool fac = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "facilitator"));
        bool obs = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "observer"));
        strbuf_str(out, "| ");
        add_cell(out, id != NULL ? id : (cJSON_IsString(it) ? it->valuestring : "?"));
        strbuf_str(out, " | ");
        add_cell(out, name != NULL ? name : "");
        strbuf_printf(out, " | %s |\n", fac ? "facilitator" : obs ? "observer" : "plays");
    }
}

static void dr_objectives(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Objectives\n\n");
    bool any = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, r->objectives)
    {
        if (cJSON_IsString(it)) {
            strbuf_str(out, "- ");
            add_inline(out, it->valuestring);
            strbuf_str(out, "\n");
            any = true;
        }
    }
    strbuf_str(out, any ? "" : "(none)\n");
}

/* The last mark of each expectation counts (a scribe may correct a mark). */
static bool dr_expect_superseded(const struct drill_report *r, size_t i)
{
    const struct dr_expect *e = &r->expects[i];
    for (size_t k = i + 1; k < r->nexpects; k++) {
        const struct dr_expect *f = &r->expects[k];
        if (e->inject != NULL && f->inject != NULL && strcmp(e->inject, f->inject) == 0 &&
            e->text != NULL && f->text != NULL && strcmp(e->text, f->text) == 0) {
            return true;
        }
    }
    return false;
}

/* Was this expectation of this inject marked (an expect event)? */
static bool dr_marked(const struct drill_report *r, const char *inject, const char *text)
{
    for (size_t i = 0; i < r->nexpects; i++) {
        const struct dr_expect *e = &r->expects[i];
        if (inject != NULL && text != NULL && e->inject != NULL && e->text != NULL &&
            strcmp(e->inject, inject) == 0 && strcmp(e->text, text) == 0) {
            return true;
        }
    }
    return false;
}

static void dr_expectations(struct strbuf *out, struct drill_report *r)
{
    char t[32], d[32];
    double score = 0, max = 0;
    int met = 0, late = 0, missed = 0;
    bool max_known = true;
    strbuf_str(out, "\n## Expectations\n\n");
    if (r->nexpects == 0) {
        strbuf_str(out, "(no expectation was marked)\n");
    } else {
        strbuf_str(out,
                   "| inject | expected | actual | status | points |\n|---|---|---|---|---|\n");
    }
    for (size_t i = 0; i < r->nexpects; i++) {
        const struct dr_expect *e = &r->expects[i];
        if (dr_expect_superseded(r, i)) {
            continue;
        }
        struct dr_inject *in = dr_inject(r, e->inject);
        strbuf_str(out, "| ");
        add_cell(out, dr_inject_title(r, e->inject));
        strbuf_str(out, " | ");
        add_cell(out, e->text != NULL ? e->text : "?");
        strbuf_str(out, " | ");
        fmt_t(t, e->t_ms);
        bool is_missed = strcmp(e->status, "missed") == 0;
        if (is_missed && (e->by == NULL || e->by[0] == '\0')) {
            strbuf_printf(out, "no response by the deadline (%s)", t);
        } else {
            strbuf_printf(out, "%s at %s", is_missed ? "marked missed" : "done", t);
            if (in != NULL && in->fired_ms >= 0 && e->t_ms >= in->fired_ms) {
                fmt_dur(d, e->t_ms - in->fired_ms);
                strbuf_printf(out, ", %s after the inject", d);
            }
            if (e->by != NULL && e->by[0] != '\0') {
                strbuf_str(out, ", by ");
                add_cell(out, e->by);
            }
        }
        strbuf_str(out, " | ");
        add_cell(out, e->status);
        strbuf_printf(out, " | %g", e->points);
        if (e->max >= 0) {
            strbuf_printf(out, " of %g", e->max);
        }
        strbuf_str(out, " |\n");
        score += e->points;
        met += strcmp(e->status, "met") == 0;
        late += strcmp(e->status, "late") == 0;
        missed += is_missed;
        if (e->max >= 0) {
            max += e->max;
        } else if (strcmp(e->status, "met") == 0) {
            max += e->points; /* met earns all of it */
        } else {
            max_known = false;
        }
    }
    /*
     * What the fired injects expected and nobody marked: listed, worth nothing.
     * When the journal says what each inject expected, the maximum is all of it,
     * as the drill pane's score counts it.
     */
    double fired_max = 0;
    bool fired_known = r->ninjects > 0;
    int unmarked = 0;
    for (size_t i = 0; i < r->ninjects; i++) {
        const struct dr_inject *in = &r->injects[i];
        if (in->fired_ms < 0) {
            continue;
        }
        if (!cJSON_IsArray(in->expects)) {
            fired_known = false;
            continue;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, in->expects)
        {
            double pts = 0;
            num_of(x, "points", &pts);
            fired_max += pts;
            const char *text = str_of(x, "text");
            if (dr_marked(r, in->id, text)) {
                continue;
            }
            if (r->nexpects == 0 && unmarked == 0) {
                strbuf_str(out, "| inject | expected | actual | status | points |\n"
                                "|---|---|---|---|---|\n");
            }
            unmarked++;
            strbuf_str(out, "| ");
            add_cell(out, dr_inject_title(r, in->id));
            strbuf_str(out, " | ");
            add_cell(out, text != NULL ? text : "?");
            strbuf_printf(out, " | not marked | not marked | 0 of %g |\n", pts);
        }
    }
    if (fired_known) {
        max = fired_max;
        max_known = true;
    }
    strbuf_str(out, "\n## Score\n\n");
    if (max_known && max > 0) {
        strbuf_printf(out, "%g of %g points (%.0f%%)", score, max, 100.0 * score / max);
    } else {
        strbuf_printf(out, "%g points", score);
    }
    strbuf_printf(out, ": %d met, %d late, %d missed", met, late, missed);
    strbuf_printf(out, unmarked > 0 ? ", %d not marked.\n" : ".\n", unmarked);
}

static void dr_checks(struct strbuf *out, const struct drill_report *r)
{
    static const char *const whens[] = {"before", "during", "after"};
    static const char *const heads[] = {"Before the drill (the gate)", "During the drill",
                                        "After the rollbacks (steady state restored?)"};
    strbuf_str(out, "\n## Checks\n");
    for (size_t w = 0; w < 3; w++) {
        strbuf_printf(out, "\n### %s\n\n", heads[w]);
        bool any = false;
        for (size_t i = 0; i < r->nchecks; i++) {
            const struct dr_check *c = &r->checks[i];
            if (strcmp(c->when, whens[w]) != 0) {
                continue;
            }
            if (!any) {
                strbuf_str(out, "| check | result | detail |\n|---|---|---|\n");
                any = true;
            }
            strbuf_str(out, "| ");
            add_cell(out, c->id);
            if (c->failures == 0 && c->last_unknown) {
                strbuf_printf(out, " | UNKNOWN (%d of %d)", c->unknowns, c->runs);
            } else if (c->failures == 0 && c->unknowns > 0) {
                strbuf_printf(out, " | ok (unknown %d of %d)", c->unknowns, c->runs);
            } else if (c->failures == 0) {
                strbuf_str(out, " | ok");
            } else if (c->last_ok) {
                strbuf_printf(out, " | ok in the end (failed %d of %d)", c->failures, c->runs);
            } else {
                strbuf_printf(out, " | FAILED (%d of %d)", c->failures, c->runs);
            }
            strbuf_str(out, " | ");
            const char *why = c->last_ok && c->failures > 0 ? c->first_failure : c->last_reason;
            if (c->failures > 0 && c->last_ok) {
                char t[32];
                fmt_t(t, c->first_failure_ms);
                strbuf_printf(out, "first failure at %s: ", t);
            }
            add_cell(out, why != NULL ? why : "");
            strbuf_str(out, " |\n");
        }
        strbuf_str(out, any ? "" : "(none run)\n");
    }
}

static void dr_chaos_section(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Chaos actions and rollbacks\n\n");
    if (r->nchaos == 0) {
        strbuf_str(out, "(none)\n");
        return;
    }
    strbuf_str(out, "| inject | chaos | result | rollback | restored |\n|---|---|---|---|---|\n");
    size_t unrestored = 0;
    for (size_t i = 0; i < r->nchaos; i++) {
        const struct dr_chaos *c = &r->chaos[i];
        strbuf_str(out, "| ");
        add_cell(out, c->inject);
        strbuf_str(out, " | ");
        add_cell(out, c->action != NULL ? c->action : "?");
        strbuf_str(out, " | ");
        add_cell(out, c->ok == 1 ? "done" : c->ok == 0 ? "failed" : "no result journaled");
        if (c->message != NULL && c->message[0] != '\0') {
            strbuf_str(out, ": ");
            add_cell(out, c->message);
        }
        strbuf_str(out, " | ");
        add_cell(out, c->rollback != NULL ? c->rollback : "?");
        strbuf_str(out, " | ");
        add_cell(out, c->rb_ok == 1           ? "yes"
                      : c->gave_up_by != NULL ? "NO: given up (by hand)"
                      : c->rb_ok == 0         ? "NO"
                      : c->rb_started         ? "NO: the rollback started but never finished"
                                              : "NO: the rollback never ran");
        if (c->rb_message != NULL && c->rb_message[0] != '\0') {
            strbuf_str(out, ": ");
            add_cell(out, c->rb_message);
        }
        strbuf_str(out, " |\n");
        unrestored += c->rb_ok != 1;
    }
    if (unrestored == 0) {
        strbuf_str(out, "\nEvery chaos action was rolled back.\n");
        return;
    }
    strbuf_printf(out, "\n**Not restored (%zu): put these back by hand.**\n\n", unrestored);
    for (size_t i = 0; i < r->nchaos; i++) {
        const struct dr_chaos *c = &r->chaos[i];
        if (c->rb_ok == 1) {
            continue;
        }
        strbuf_str(out, "- ");
        add_code_span(out, c->rollback != NULL ? c->rollback : "?");
        strbuf_str(out, " (undoes ");
        add_code_span(out, c->action != NULL ? c->action : "?");
        strbuf_str(out, c->gave_up_by != NULL ? ") was given up by "
                        : c->rb_ok == 0       ? ") failed"
                                              : ") has not run");
        if (c->gave_up_by != NULL) {
            add_inline(out, c->gave_up_by);
        }
        if (c->rb_message != NULL && c->rb_message[0] != '\0') {
            strbuf_str(out, ": ");
            add_inline(out, c->rb_message);
        }
        strbuf_str(out, "\n");
    }
}

static void dr_debrief_section(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Debrief\n\n");
    if (r->ndebrief == 0) {
        strbuf_str(out, "(no answers recorded)\n");
    }
    for (size_t i = 0; i < r->ndebrief; i++) {
        strbuf_str(out, "- **");
        add_inline(out, r->questions[i] != NULL ? r->questions[i] : "?");
        strbuf_str(out, "**\n  ");
        add_inline(out, r->answers[i] != NULL ? r->answers[i] : "");
        strbuf_str(out, "\n");
    }
}

static bool dr_is_actions(const char *section)
{
    return section != NULL && strcasecmp(section, "action items") == 0;
}

static void dr_action_items(struct strbuf *out, const struct drill_report *r)
{
    strbuf_str(out, "\n## Action items\n\n");
    bool any = false;
    for (size_t i = 0; i < r->nnotes; i++) {
        const struct dr_note *n = &r->notes[i];
        if (!dr_is_actions(n->section)) {
            continue;
        }
        if (!any) {
            strbuf_str(out, "| owner | action |\n|---|---|\n");
            any = true;
        }
        /* "@bob check the runbook copy": the owner is the first word, without its @ */
        const char *text = n->text;
        while (*text == ' ') {
            text++;
        }
        char *owner = NULL;
        if (text[0] == '@' && text[1] != '\0' && text[1] != ' ') {
            size_t len = strcspn(text + 1, " \t:,");
            owner = xstrndup(text + 1, len);
            text += 1 + len;
            while (*text == ' ' || *text == ':' || *text == ',' || *text == '\t') {
                text++;
            }
        }
        strbuf_str(out, "| ");
        add_cell(out, owner != NULL ? owner : "(no owner)");
        strbuf_str(out, " | ");
        add_cell(out, text);
        strbuf_str(out, " |\n");
        free(owner);
    }
    strbuf_str(out, any ? "" : "(none)\n");
}

static void dr_note_line(struct strbuf *out, const struct dr_note *n)
{
    char t[32];
    fmt_t(t, n->t_ms);
    strbuf_printf(out, "- %s %s: ", t, n->actor != NULL ? n->actor : "unknown");
    add_inline(out, n->text);
    strbuf_str(out, "\n");
}

/* Sections named by notes (the drill's Report list), in the order first used. */
static void dr_sections(struct strbuf *out, const struct drill_report *r)
{
    for (size_t i = 0; i < r->nnotes; i++) {
        const char *s = r->notes[i].section;
        bool first = s != NULL && s[0] != '\0' && !dr_is_actions(s);
        for (size_t k = 0; first && k < i; k++) {
            first = r->notes[k].section == NULL || strcmp(r->notes[k].section, s) != 0;
        }
        if (!first) {
            continue;
        }
        strbuf_str(out, "\n## ");
        add_inline(out, s);
        strbuf_str(out, "\n\n");
        for (size_t k = i; k < r->nnotes; k++) {
            if (r->notes[k].section != NULL && strcmp(r->notes[k].section, s) == 0) {
                dr_note_line(out, &r->notes[k]);
            }
        }
    }
    strbuf_str(out, "\n## Notes\n\n");
    bool any = false;
    for (size_t i = 0; i < r->nnotes; i++) {
        if (r->notes[i].section == NULL || r->notes[i].section[0] == '\0') {
            dr_note_line(out, &r->notes[i]);
            any = true;
        }
    }
    strbuf_str(out, any ? "" : "(none)\n");
}

static void dr_free(struct drill_report *r)
{
    free(r->timeline.s);
    free(r->starter);
    for (size_t i = 0; i < r->nactors; i++) {
        free(r->actors[i]);
    }
    free(r->actors);
    free(r->injects);
    free(r->expects);
    free(r->checks);
    free(r->chaos);
    free(r->notes);
    free(r->questions);
    free(r->answers);
}

/* Is this a drill run: its run.start says kind "drill"? */
static bool is_drill_run(const struct line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = str_of(lines[i].obj, "action");
        if (action != NULL && strcmp(action, "run.start") == 0) {
            const char *kind = str_of(json_obj(lines[i].obj, "data"), "kind");
            return kind != NULL && strcmp(kind, "drill") == 0;
        }
    }
    return false;
}

static char *drill_markdown(const struct line *lines, size_t n, const char *run_id)
{
    struct drill_report r = {0};
    r.start_ms = start_time(lines, n);
    r.last_ms = r.start_ms;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj == NULL) {
            strbuf_printf(&r.timeline, "- (journal line %d unreadable)\n", lines[i].number);
        } else {
            dr_event(&r, lines[i].obj, lines[i].ms);
        }
    }
    struct strbuf out = {0};
    dr_header(&out, &r, run_id);
    dr_roles(&out, &r);
    dr_objectives(&out, &r);
    strbuf_str(&out, "\n## Timeline\n\n");
    strbuf_str(&out, r.timeline.s != NULL ? r.timeline.s : "(no events)\n");
    dr_expectations(&out, &r);
    dr_checks(&out, &r);
    dr_chaos_section(&out, &r);
    dr_debrief_section(&out, &r);
    dr_action_items(&out, &r);
    dr_sections(&out, &r);
    dr_free(&r);
    return out.s;
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
    struct line *lines = timed_lines(jl, njl, &n);
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
    if (is_drill_run(lines, n)) {
        char *md = drill_markdown(lines, n, run_id);
        free(lines);
        journal_lines_free(jl, njl);
        free(path);
        free(dir);
        return md;
    }
    char *out_path = xasprintf("%s/%s.out", dir, run_id);
    struct report r = {.fd_out = open(out_path, O_RDONLY | O_CLOEXEC), .phase = -1};
    free(out_path);
    r.start_ms = start_time(lines, n);
    r.last_ms = r.start_ms;
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
    struct strbuf out = {0};
    render_header(&out, &r, run_id);
    strbuf_str(&out, "\n## Timeline\n\n");
    strbuf_str(&out, r.timeline.s != NULL ? r.timeline.s : "(no events)\n");
    render_tail(&out, &r);
    report_finish(&r);
    /* the report borrows strings from the events: free them last */
    free(lines);
    journal_lines_free(jl, njl);
    free(path);
    free(dir);
    return out.s;
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
