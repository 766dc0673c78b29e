/*
 * Line mode for runbooks: the do-nothing script, on the one loop.
 *
 * Input is read from stdin by linein.c when the loop says it is readable (one read(2),
 * which does not block on a readable pipe or tty, so stdin keeps its flags
 * for the shell after us) and split into lines kept in a queue. A line is
 * taken from the queue only while the machine waits for the operator, never
 * while a command, wait, action or notify is in flight: piped input
 * ("\n\ny\n") then means the same as typed input. End of input with nothing
 * left to do quits and keeps the run open for resume.
 *
 * Output is printed from the run's `changed` hook: a step when it is
 * entered, new command output (prefixed "  | "), each new message, and the
 * prompt once the machine waits again. Every byte printed passes text.h:
 * lines through text_printf() (outside text stays on its line), command
 * output through a text_stream (a character cut between two reads is shown
 * whole; a control is shown whatever came before it).
 *
 * After a resume, an interrupted step is re-run only on `r` and then `y` to
 * the question that says it may have run partly; a command's processes
 * left running by the session that died are waited for (`w`) or stopped
 * (`k`), and no line is taken meanwhile.
 *
 * Signals: SIGINT stops a running command (the machine's run_stop), or the
 * processes left running that line mode is waiting for; at the prompt it
 * quits with the run open. SIGHUP and SIGTERM stop every child and
 * leave the run open; the exit status is 128+N.
 */
#include "plain.h"

#include "../common/text.h"
#include "../common/util.h"
#include "../engine/drill_score.h"
#include "../engine/runlog.h"
#include "../engine/game.h"
#include "../engine/incident.h"
#include "../engine/run.h"

#include <cjson/cJSON.h>
#include "linein.h"
#include "../common/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

struct plain {
    struct loop *loop;
    struct run *run;
    FILE *out;
    struct linein *in;
    int status;
    bool finished;
    size_t shown_idx; /* the step last printed, or SIZE_MAX */
    bool show_again;  /* print the step even if its index did not change */
    bool prompted;
    char *last_message;
    uint64_t out_printed;
    struct text_stream out_text; /* the command output, cleaned as it comes */
    bool out_bol;                /* the next output byte starts a line */
    bool overtime_told;
    bool dispatching;
    bool echo; /* stdin is not a terminal: show what was read */
    bool tty;  /* stdin is a terminal: secrets are typed without echo */
    bool echo_off;
    bool confirm_rerun;  /* the next line answers "re-run the interrupted step?" */
    struct ph_list fill; /* x N: the block's placeholders, asked in turn (the next lines) */
    size_t fill_at, fill_block;
    struct termios saved;
    struct store *store;
    size_t review_q; /* the end-of-run question asked, + 1; 0: none */
    bool reviewed;   /* asked (or skipped) already */
};

static void say(struct plain *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct plain *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(p->out, fmt, ap);
    va_end(ap);
    fflush(p->out);
}

static void end_output_line(struct plain *p)
{
    if (!p->out_bol) {
        say(p, "\n");
        p->out_bol = true;
    }
}

static void quit(struct plain *p, int status)
{
    if (!p->finished) {
        p->finished = true;
        p->status = status;
        loop_quit(p->loop);
    }
}

/* Indent each line of text. */
static void print_block(struct plain *p, const char *text, const char *indent)
{
    const char *s = text;
    while (*s != '\0') {
        size_t n = strcspn(s, "\n");
        say(p, "%s%.*s\n", indent, (int)n, s);
        s += n;
        if (*s == '\n') {
            s++;
        }
    }
}

static const char *keys_for(const struct plain *p, const struct rb_step *s, enum run_state st)
{
    if (p->confirm_rerun) {
        return "y = re-run it, anything else = cancel";
    }
    if (p->fill_at < p->fill.n) {
        return "the value; Enter alone takes the one offered, or cancels when none is";
    }
    if (st == RUN_INTERRUPTED && run_orphan(p->run, NULL, NULL) != RUN_ORPHAN_NONE) {
        return "w = wait for it, k = stop it, c = continue past it, r = re-run it, j ID = jump";
    }
    if (st == RUN_INTERRUPTED) {
        return "c = continue past it, r = re-run it, j ID = jump";
    }
    if (st == RUN_FAILED) {
        return "Enter = retry, s = skip, b = back, j ID = jump, n TEXT = note, q = quit, a = abort";
    }
    switch (s->type) {
    case RB_MANUAL:
        return "Enter = done, s = skip, b = back, j ID = jump, n TEXT = note, q = quit, a = abort";
    case RB_PROMPT:
    case RB_APPROVAL:
        return "type the answer; !s = skip, !b = back, !j ID, !n TEXT, !q = quit, !a = abort";
    case RB_DECISION:
        return "choice number; s = skip, b = back, j ID = jump, n TEXT = note, q = quit, a = abort";
    default:
        return "Enter = do it, s = skip, b = back, j ID = jump, n TEXT = note, q = quit, "
               "a = abort";
    }
}

static void print_step(struct plain *p, size_t i, const struct rb_step *s, bool with_preview)
{
    const struct runbook *rb = run_runbook(p->run);
    end_output_line(p);
    say(p, "\n== [%c] step %zu/%zu: %s (%s)\n", rb_phase_letter(s->phase), i + 1, rb->nsteps,
        s->title, s->id);
    if (s->body != NULL && *s->body != '\0') {
        char *body = run_text(p->run, s->body);
        print_block(p, body, "   ");
        free(body);
    }
    for (size_t c = 0; c < s->ncode; c++) {
        say(p, "   code %zu:\n", c + 1);
        print_block(p, s->code[c], "     ");
    }
    if (s->type == RB_DECISION || (s->type == RB_PROMPT && s->nchoices > 0)) {
        for (size_t c = 0; c < s->nchoices; c++) {
            if (s->type == RB_DECISION) {
                say(p, "   %zu) %s -> %s\n", c + 1, s->choices[c].label,
                    s->choices[c].go ? s->choices[c].go : "next");
            } else {
                say(p, "   - %s\n", s->choices[c].label);
            }
        }
    }
    if (s->type == RB_PROMPT && s->default_value != NULL) {
        say(p, "   default: %s\n", s->default_value);
    }
    if (!with_preview) {
        return;
    }
    char *missing = NULL;
    char *pv = run_preview(p->run, &missing);
    if (pv != NULL) {
        /* a multi-line command keeps its lines, indented under the first */
        size_t n = strcspn(pv, "\n");
        say(p, "   > %.*s\n", (int)n, pv);
        if (pv[n] != '\0') {
            print_block(p, pv + n + 1, "     ");
        }
    }
    if (missing != NULL) {
        say(p, "   ! unset variable %s\n", missing);
    }
    free(pv);
    free(missing);
}

/* Cleaned output text, each line prefixed "  | ". */
static void put_output(struct plain *p, const struct strbuf *sb)
{
    for (size_t k = 0; k < sb->n; k++) {
        if (p->out_bol) {
            fputs("  | ", p->out);
            p->out_bol = false;
        }
        fputc(sb->s[k], p->out);
        if (sb->s[k] == '\n') {
            p->out_bol = true;
        }
    }
}

/* The output ended or jumped: a character it cut short is shown as invalid bytes. */
static void end_output_text(struct plain *p)
{
    struct strbuf sb = {0};
    text_stream_end(&p->out_text, &sb);
    put_output(p, &sb);
    free(sb.s);
}

static void print_new_output(struct plain *p)
{
    uint64_t total = run_output_total(p->run);
    if (total < p->out_printed) {
        end_output_text(p);
        p->out_printed = 0; /* another command started */
    }
    if (total == p->out_printed) {
        if (run_state(p->run) != RUN_BUSY) {
            end_output_text(p);
        }
        fflush(p->out);
        return;
    }
    size_t len;
    const char *tail = run_output(p->run, &len);
    uint64_t fresh = total - p->out_printed;
    if (fresh > len) {
        end_output_text(p);
        end_output_line(p);
        say(p, "  | [... %llu bytes not shown]\n", (unsigned long long)(fresh - len));
        fresh = len;
    }
    struct strbuf sb = {0};
    text_stream_add(&p->out_text, &sb, tail + len - fresh, (size_t)fresh);
    if (run_state(p->run) != RUN_BUSY) {
        text_stream_end(&p->out_text, &sb);
    }
    put_output(p, &sb);
    free(sb.s);
    fflush(p->out);
    p->out_printed = total;
}

static void dispatch(struct plain *p);
static void after_end(struct plain *p);

static void on_changed(struct run *r, void *ud)
{
    struct plain *p = ud;
    (void)r;
    print_new_output(p);
    enum run_state st = run_state(p->run);
    const char *msg = run_message(p->run);
    if (msg != NULL && (p->last_message == NULL || strcmp(msg, p->last_message) != 0)) {
        end_output_line(p);
        say(p, "  -> %s\n", msg);
    }
    free(p->last_message);
    p->last_message = msg != NULL ? xstrdup(msg) : NULL;
    if (st == RUN_DONE || st == RUN_ABORTED) {
        after_end(p);
        return;
    }
    size_t i = run_index(p->run);
    if (i != p->shown_idx || p->show_again) {
        p->shown_idx = i;
        p->show_again = false;
        p->overtime_told = false;
        p->prompted = false;
        print_step(p, i, run_step(p->run), true);
    }
    if (run_overtime(p->run) && !p->overtime_told) {
        p->overtime_told = true;
        p->prompted = false;
        say(p, "  ! this step is over its time box (%ds): e = escalate now, d = dismiss\n",
            run_step(p->run)->timebox_s);
    }
    if (!p->dispatching) {
        dispatch(p);
    }
}

/* A secret prompt on a terminal is typed without echo; everything else with. */
static void set_echo(struct plain *p, bool on)
{
    if (!p->tty || p->echo_off == !on) {
        return;
    }
    struct termios t = p->saved;
    if (!on) {
        t.c_lflag &= ~(tcflag_t)ECHO;
        t.c_lflag |= ECHONL;
    }
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
    p->echo_off = !on;
}

static void prompt(struct plain *p)
{
    if (p->prompted || p->finished) {
        return;
    }
    p->prompted = true;
    end_output_line(p);
    const struct rb_step *s = run_step(p->run);
    set_echo(p, !(s->type == RB_PROMPT && s->secret && run_state(p->run) == RUN_READY));
    enum run_state st = run_state(p->run);
    /* after continuing past it, the left-over command's keys are still offered */
    bool left = run_orphan(p->run, NULL, NULL) != RUN_ORPHAN_NONE && st != RUN_INTERRUPTED &&
                !p->confirm_rerun;
    bool asks = (s->type == RB_PROMPT || s->type == RB_APPROVAL) && st == RUN_READY;
    say(p, "[%s%s%s] > ", keys_for(p, s, st),
        s->ncode > 0 && st != RUN_INTERRUPTED ? ", x N = run code block N" : "",
        !left  ? ""
        : asks ? ", !w / !k = wait for / stop the interrupted command"
               : ", w / k = wait for / stop the interrupted command");
}

static void show_cause(struct plain *p, char *cause)
{
    end_output_line(p);
    say(p, "  ! %s\n", cause != NULL ? cause : "not possible now");
    free(cause);
    p->prompted = false;
}

static bool is_cmd(const char *line, const char *cmd)
{
    size_t n = strlen(cmd);
    return strncmp(line, cmd, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* w and k: the processes a session that died left running. */
static bool orphan_keys(struct plain *p, const char *line, char **cause, bool *ok)
{
    if (run_orphan(p->run, NULL, NULL) == RUN_ORPHAN_NONE) {
        return false;
    }
    if (strcmp(line, "w") == 0) {
        *ok = run_orphan_wait(p->run, cause);
    } else if (strcmp(line, "k") == 0) {
        *ok = run_orphan_stop(p->run, cause);
    } else {
        return false;
    }
    return true;
}

/* x N: ask the block's next placeholder (its guess offered), or run it once all are answered. */
static bool ask_fill(struct plain *p, char **cause)
{
    if (p->fill_at >= p->fill.n) {
        placeholder_list_free(&p->fill);
        p->fill_at = 0;
        return run_code(p->run, p->fill_block, cause);
    }
    const struct placeholder *ph = &p->fill.v[p->fill_at];
    const char *guess = run_placeholder_guess(p->run, ph);
    say(p, "  ? value for %s (%zu/%zu)%s%s%s\n", ph->raw, p->fill_at + 1, p->fill.n,
        guess != NULL ? ", Enter alone takes '" : "", guess != NULL ? guess : "",
        guess != NULL ? "'" : "");
    return true;
}

static bool fill_or_run(struct plain *p, size_t block, char **cause)
{
    const struct rb_step *s = run_step(p->run);
    if (s == NULL || block >= s->ncode) {
        set_cause(cause, "no such code block");
        return false;
    }
    placeholder_list_free(&p->fill);
    p->fill_at = 0;
    p->fill_block = block;
    run_code_placeholders(p->run, s->code[block], &p->fill);
    return ask_fill(p, cause);
}

/* A line that answers the placeholder asked; an empty one with nothing offered runs nothing. */
static void answer_fill(struct plain *p, const char *line)
{
    const struct placeholder *ph = &p->fill.v[p->fill_at];
    const char *value = line[0] != '\0' ? line : run_placeholder_guess(p->run, ph);
    char *cause = NULL;
    if (value == NULL) {
        say(p, "  not run: %s has no value\n", ph->raw);
        placeholder_list_free(&p->fill);
        p->fill_at = 0;
        return;
    }
    if (!run_fill(p->run, ph, value, &cause) || (p->fill_at++, !ask_fill(p, &cause))) {
        placeholder_list_free(&p->fill);
        p->fill_at = 0;
        show_cause(p, cause);
    }
}

/* The operator's keys; true when the line was one of them. */
static bool keys(struct plain *p, const char *line, char **cause, bool *ok)
{
    struct run *r = p->run;
    if (orphan_keys(p, line, cause, ok)) {
        return true; /* a prompt's answer "w" is not taken for this: there it is !w */
    }
    if (strcmp(line, "s") == 0) {
        *ok = run_skip(r, cause);
    } else if (strcmp(line, "b") == 0) {
        *ok = run_back(r, cause);
        p->show_again = true;
    } else if (is_cmd(line, "j")) {
        const char *id = line[1] != '\0' ? line + 2 : "";
        *ok = run_jump(r, id, cause);
        p->show_again = true;
    } else if (is_cmd(line, "n")) {
        *ok = run_note(r, line[1] != '\0' ? line + 2 : "", cause);
        if (*ok) {
            say(p, "  noted\n");
        }
    } else if (is_cmd(line, "x")) {
        long n = line[1] != '\0' ? strtol(line + 2, NULL, 10) : 1;
        *ok = n >= 1 && fill_or_run(p, (size_t)(n - 1), cause);
    } else if (strcmp(line, "q") == 0) {
        say(p, "\nLeft open: resume with  opsdeck run --resume %s --plain\n", run_id(r));
        quit(p, PLAIN_EXIT_OPEN);
        *ok = true;
    } else if (strcmp(line, "a") == 0) {
        run_abort(r);
        *ok = true;
    } else if (strcmp(line, "e") == 0) {
        *ok = run_escalate(r, cause);
    } else if (strcmp(line, "d") == 0) {
        run_dismiss_overtime(r);
        *ok = true;
    } else {
        return false;
    }
    return true;
}

/* The answer to "re-run the interrupted step?": only y (or yes) runs it. */
static void answer_rerun(struct plain *p, const char *line)
{
    p->confirm_rerun = false;
    if (strcasecmp(line, "y") != 0 && strcasecmp(line, "yes") != 0) {
        say(p, "  cancelled: the step did not run\n");
        return;
    }
    char *cause = NULL;
    p->show_again = true;
    if (!run_rerun(p->run, &cause)) {
        show_cause(p, cause);
    }
}

static void ask_rerun(struct plain *p, const struct rb_step *s)
{
    char *missing = NULL;
    char *pv = run_preview(p->run, &missing);
    free(missing);
    say(p,
        "  ? Re-run \"%s\"? It was in flight when the session ended and may have run partly:\n"
        "    its side effects may have happened already.%s%s\n",
        s->title, pv != NULL ? "\n    > " : "", pv != NULL ? pv : "");
    free(pv);
    p->confirm_rerun = true;
}

/* The keys of an interrupted step; true when the line was one of them. */
static bool interrupted_keys(struct plain *p, const char *line, char **cause, bool *ok)
{
    struct run *r = p->run;
    bool orphan = run_orphan(r, NULL, NULL) != RUN_ORPHAN_NONE;
    if (strcmp(line, "c") == 0) {
        *ok = run_skip(r, cause);
    } else if (strcmp(line, "r") == 0 && orphan) {
        int pgid = 0;
        run_orphan(r, &pgid, NULL);
        *ok = false;
        *cause = xasprintf("the interrupted command is still running (process group %d): wait for "
                           "it (w) or stop it (k) first",
                           pgid);
    } else if (strcmp(line, "r") == 0) {
        ask_rerun(p, run_step(r));
    } else if (*line == '\0') {
        *ok = false;
        *cause = xstrdup(orphan ? "choose w (wait for it), k (stop it), c (continue past it), r "
                                  "(re-run it) or j ID (jump)"
                                : "choose c (continue past it), r (re-run it) or j ID (jump)");
    } else {
        return false;
    }
    return true;
}

static void handle_line(struct plain *p, char *line)
{
    struct run *r = p->run;
    const struct rb_step *s = run_step(r);
    enum run_state st = run_state(r);
    char *cause = NULL;
    bool ok = true;
    str_trim(line);
    p->prompted = false;
    set_echo(p, true);
    if (p->confirm_rerun) {
        answer_rerun(p, line);
        return;
    }
    if (p->fill_at < p->fill.n) {
        answer_fill(p, line);
        return;
    }
    bool asks = (s->type == RB_PROMPT || s->type == RB_APPROVAL) && st == RUN_READY;
    if (st == RUN_INTERRUPTED && interrupted_keys(p, line, &cause, &ok)) {
        /* done */
    } else if (asks && line[0] == '!') {
        if (!keys(p, line + 1, &cause, &ok)) {
            ok = false;
            cause = xasprintf("unknown command '%s'", line);
        }
    } else if (asks) {
        ok = run_input(r, line, &cause);
    } else if (keys(p, line, &cause, &ok)) {
        /* done */
    } else if (s->type == RB_DECISION && st == RUN_READY) {
        char *end;
        long n = strtol(line, &end, 10);
        ok = false;
        if (*line != '\0' && *end == '\0' && n >= 1) {
            ok = run_choose(r, (size_t)(n - 1), &cause);
        } else {
            for (size_t i = 0; i < s->nchoices; i++) {
                if (strcasecmp(s->choices[i].label, line) == 0) {
                    ok = run_choose(r, i, &cause);
                    break;
                }
            }
            if (!ok && cause == NULL) {
                cause = xstrdup("type a choice number");
            }
        }
    } else if (*line == '\0') {
        if (st == RUN_FAILED) {
            p->show_again = false;
        }
        ok = run_confirm(r, &cause);
    } else {
        ok = false;
        cause = xasprintf("unknown command '%s'", line);
    }
    if (!ok) {
        show_cause(p, cause);
    } else {
        free(cause);
    }
}

/* ---- the end-of-run review (a person at a terminal only; engine/incident.h) ---- */

static void record(struct plain *p, const char *action, cJSON *data)
{
    char *cause = NULL;
    if (!run_record(p->run, action, data, &cause)) {
        say(p, "  ! the run's journal: %s\n", cause);
        free(cause);
    }
}

/* The leftovers into the run, and on screen with the command that undoes each. */
static void review_finish(struct plain *p, bool skipped)
{
    p->review_q = 0;
    p->reviewed = true;
    size_t n = 0;
    char *cause = NULL;
    struct leftover *v = incident_leftovers(run_id(p->run), p->store, &n, &cause);
    if (cause != NULL) {
        say(p, "  ! leftovers: %s\n", cause);
        free(cause);
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "items", leftovers_json(v, n));
    cJSON_AddBoolToObject(d, "review_skipped", skipped);
    record(p, "leftovers", d);
    say(p, "%s\n", n == 0 ? "Left in place: nothing." : "Left in place:");
    for (size_t i = 0; i < n; i++) {
        say(p, "  %s (%s): %s%s\n", v[i].name, v[i].backend, v[i].what,
            v[i].checked ? "" : " (state unknown)");
        if (v[i].undo_verb != NULL) {
            say(p, "    undo: opsdeck act --yes%s%s %s %s %s %s\n",
                v[i].undo_input != NULL ? " --input " : "",
                v[i].undo_input != NULL ? v[i].undo_input : "", v[i].backend,
                model_schema(v[i].kind)->name, v[i].undo_verb, v[i].target);
        }
    }
    leftovers_free(v, n);
}

static void review_ask(struct plain *p)
{
    size_t q = p->review_q - 1;
    if (q >= postmortem_nquestions) {
        review_finish(p, false);
        return;
    }
    say(p, "%s [%zu/%zu, Enter: none, -: skip the rest]: ", postmortem_questions[q].prompt, q + 1,
        postmortem_nquestions);
}

static void review_line(struct plain *p, char *line)
{
    str_trim(line);
    if (strcmp(line, "-") == 0) {
        say(p, "post-incident questions skipped\n");
        review_finish(p, true);
        return;
    }
    if (line[0] != '\0') {
        record(p, "postmortem",
               postmortem_event(postmortem_questions[p->review_q - 1].field, line));
    }
    p->review_q++;
    review_ask(p);
}

static void after_end(struct plain *p)
{
    enum run_state st = run_state(p->run);
    if (st == RUN_DONE && p->tty && !p->reviewed) {
        if (p->review_q == 0) {
            end_output_line(p);
            say(p, "\nThe run is over. Post-incident review:\n");
            p->review_q = 1;
            review_ask(p);
        }
        return;
    }
    if (st == RUN_DONE) {
        end_output_line(p);
        say(p, "\nRun %s finished.\n", run_id(p->run));
        quit(p, PLAIN_EXIT_OK);
    } else if (st == RUN_ABORTED) {
        end_output_line(p);
        say(p, "\nRun %s aborted.\n", run_id(p->run));
        quit(p, PLAIN_EXIT_ABORTED);
    }
}

/* Take queued lines while the machine waits for the operator. */
static void dispatch(struct plain *p)
{
    p->dispatching = true;
    while (!p->finished) {
        after_end(p);
        enum run_orphan o = run_orphan(p->run, NULL, NULL);
        if (p->finished || run_state(p->run) == RUN_BUSY || o == RUN_ORPHAN_WAITING ||
            o == RUN_ORPHAN_STOPPING) {
            break;
        }
        char *line = linein_take(p->in);
        if (p->review_q > 0) {
            if (line != NULL) {
                review_line(p, line);
                free(line);
                continue;
            }
            if (!linein_eof(p->in)) {
                break; /* the next answer comes later */
            }
            review_finish(p, true);
            continue; /* after_end says finished */
        }
        if (line == NULL) {
            if (linein_eof(p->in)) {
                end_output_line(p);
                say(p, "\nEnd of input: the run stays open: opsdeck run --resume %s --plain\n",
                    run_id(p->run));
                quit(p, PLAIN_EXIT_OPEN);
            } else {
                prompt(p);
            }
            break;
        }
        prompt(p);
        if (p->echo) {
            /* a terminal echoes typed input; a pipe does not, and a secret is never shown */
            const struct rb_step *s = run_step(p->run);
            bool secret =
                s != NULL && s->type == RB_PROMPT && s->secret && run_state(p->run) == RUN_READY;
            say(p, "%s\n", secret ? "[secret]" : line);
        }
        handle_line(p, line);
        free(line);
    }
    p->dispatching = false;
}

static void on_input(void *ud)
{
    dispatch(ud);
}

static void on_signal(int signo, void *ud)
{
    struct plain *p = ud;
    if (signo == SIGINT && p->run != NULL && run_state(p->run) == RUN_BUSY) {
        char *cause = NULL;
        if (!run_stop(p->run, &cause)) {
            show_cause(p, cause);
        }
        return;
    }
    enum run_orphan o = p->run != NULL ? run_orphan(p->run, NULL, NULL) : RUN_ORPHAN_NONE;
    if (signo == SIGINT && (o == RUN_ORPHAN_WAITING || o == RUN_ORPHAN_STOPPING)) {
        char *cause = NULL;
        if (o == RUN_ORPHAN_WAITING && !run_orphan_stop(p->run, &cause)) {
            show_cause(p, cause);
        }
        return;
    }
    if (signo == SIGINT || signo == SIGHUP || signo == SIGTERM) {
        end_output_line(p);
        if (signo != SIGHUP) {
            say(p, "\nStopped by signal %d: the run stays open: opsdeck run --resume %s --plain\n",
                signo, p->run != NULL ? run_id(p->run) : "?");
        }
        quit(p, 128 + signo);
    }
}

static bool parse_vars(const char *const *list, struct vars *v)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        const char *eq = strchr(list[i], '=');
        char *name = eq != NULL ? xstrndup(list[i], (size_t)(eq - list[i])) : NULL;
        if (name == NULL || !vars_valid_name(name)) {
            text_printf(stderr, "opsdeck: bad --var '%s' (want name=value)\n", list[i]);
            free(name);
            return false;
        }
        vars_set(v, name, eq + 1);
        free(name);
    }
    return true;
}

/*
 * Load and check. Problems found by parsing (unknown keys or types, bad
 * durations) refuse the run, as `opsdeck lint` would. What only the static
 * checks find (a notify env var not set here, a variable nothing sets yet) is
 * printed as a warning and the run goes on: at 3 a.m. a runbook must not
 * refuse to start because Slack is not configured; that step fails when it
 * runs, with the same reason, and can be skipped.
 */
static struct runbook *load(const char *file, const struct vars *v)
{
    char *cause = NULL;
    struct runbook *rb = runbook_load(file, &cause);
    if (rb == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        return NULL;
    }
    if (rb->nissues > 0) {
        for (size_t i = 0; i < rb->nissues; i++) {
            text_printf(stderr, "%s:%d: %s\n", rb->path, rb->issues[i].line, rb->issues[i].message);
        }
        runbook_free(rb);
        return NULL;
    }
    const char **known = xcalloc(v->n + 1, sizeof *known);
    for (size_t i = 0; i < v->n; i++) {
        known[i] = v->names[i];
    }
    runbook_lint(rb, known);
    free(known);
    for (size_t i = 0; i < rb->nissues; i++) {
        text_printf(stderr, "%s:%d: warning: %s\n", rb->path, rb->issues[i].line,
                    rb->issues[i].message);
        free(rb->issues[i].message);
    }
    rb->nissues = 0;
    return rb;
}

/* --dry-run: every step in file order, with what it would do. */
static int dry_run(struct plain *p)
{
    const struct runbook *rb = run_runbook(p->run);
    say(p, "Dry run of %s: %s (%zu steps). Nothing runs, nothing is written.\n", rb->path,
        rb->title != NULL ? rb->title : "", rb->nsteps);
    if (rb->intro != NULL && *rb->intro != '\0') {
        print_block(p, rb->intro, "   ");
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        char *cause = NULL;
        if (i > 0 && !run_jump(p->run, rb->steps[i].id, &cause)) {
            say(p, "  ! %s\n", cause);
            free(cause);
            continue;
        }
        print_step(p, i, &rb->steps[i], true);
        const struct rb_step *s = &rb->steps[i];
        if (s->next != NULL) {
            say(p, "   then: %s\n", s->next);
        }
        if (s->timebox_s > 0) {
            say(p, "   time box: %ds\n", s->timebox_s);
        }
    }
    return PLAIN_EXIT_OK;
}

static void print_resume(struct plain *p)
{
    const struct runbook *rb = run_runbook(p->run);
    size_t i = run_index(p->run);
    say(p, "Resuming run %s of %s at step %zu/%zu: %s\n", run_id(p->run), rb->path, i + 1,
        rb->nsteps, rb->steps[i].title);
    const struct rb_step *s = run_step(p->run);
    if (s != NULL && s->type == RB_PROMPT && s->secret && s->var != NULL &&
        vars_get(run_vars(p->run), s->var) == NULL) {
        say(p, "  ! secret answers are not journaled: \"%s\" is asked again first\n", s->title);
    }
    if (run_state(p->run) == RUN_INTERRUPTED) {
        say(p, "  ! the step was in flight when the session ended: c = continue past it, r = "
               "re-run it, j ID = jump\n");
    }
    int pgid = 0;
    if (run_orphan(p->run, &pgid, NULL) != RUN_ORPHAN_NONE) {
        say(p,
            "  ! its processes (process group %d) are still running: w = wait for them to end, "
            "k = stop them (SIGTERM, then SIGKILL)\n",
            pgid);
    }
}

int plain_run(struct loop *loop, struct store *store, struct backend **backends, size_t nbackends,
              const struct plain_options *o)
{
    struct plain p = {
        .loop = loop, .out = stdout, .shown_idx = SIZE_MAX, .out_bol = true, .store = store};
    text_stream_init(&p.out_text, TEXT_NEWLINE | TEXT_TAB);
    p.echo = !isatty(STDIN_FILENO);
    p.tty = !p.echo && tcgetattr(STDIN_FILENO, &p.saved) == 0;
    struct run_env env = {
        .loop = loop,
        .store = store,
        .backends = backends,
        .nbackends = nbackends,
        .runs_dir = o->runs_dir,
        .dry_run = o->dry_run,
    };
    struct run_hooks hooks = {.changed = on_changed, .ud = &p};
    char *cause = NULL;
    struct vars v = {0};
    if (!parse_vars(o->vars, &v)) {
        return PLAIN_EXIT_USAGE;
    }
    if (o->resume != NULL) {
        p.run = run_resume(&env, o->resume, &hooks, &cause);
    } else {
        struct runbook *rb = load(o->file, &v);
        if (rb == NULL) {
            vars_clear(&v);
            return PLAIN_EXIT_USAGE;
        }
        if (o->dry_run) {
            hooks.changed = NULL; /* the walk prints by itself */
        }
        p.run = run_start(&env, rb, &v, &hooks, &cause);
    }
    vars_clear(&v);
    if (p.run == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        return PLAIN_EXIT_FAIL;
    }
    if (o->dry_run) {
        int st = dry_run(&p);
        run_destroy(p.run);
        free(p.last_message);
        return st;
    }
    loop_on_signal(loop, on_signal, &p);
    if (o->resume != NULL) {
        print_resume(&p);
    } else {
        const struct runbook *rb = run_runbook(p.run);
        say(&p, "Run %s: %s\n", run_id(p.run), rb->title != NULL ? rb->title : rb->path);
        if (rb->intro != NULL && *rb->intro != '\0') {
            print_block(&p, rb->intro, "   ");
        }
    }
    p.in = linein_create(loop, STDIN_FILENO, on_input, &p);
    on_changed(p.run, &p);
    while (!p.finished) {
        loop_run_once(loop, 1000);
        if (!p.finished && run_overtime(p.run) && !p.overtime_told) {
            on_changed(p.run, &p);
        }
    }
    linein_destroy(p.in);
    set_echo(&p, true);
    end_output_line(&p);
    run_destroy(p.run);
    free(p.last_message);
    placeholder_list_free(&p.fill);
    return p.status;
}

int plain_list_runs(const char *runs_dir, FILE *out)
{
    size_t n = 0;
    char *cause = NULL;
    struct run_info *list = run_list(runs_dir, &n, &cause);
    if (list == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        return PLAIN_EXIT_FAIL;
    }
    if (n == 0) {
        fprintf(out, "no runs\n");
    }
    size_t np = 0;
    struct drill_pending *pend = drill_pending_list(runs_dir, &np);
    char *rdir = runlog_dir(runs_dir, NULL);
    for (size_t i = 0; i < n; i++) {
        text_printf(out, "%s  %-8s  %s  (%s)  at: %s", list[i].id,
                    list[i].ended ? list[i].how : "open", list[i].title, list[i].runbook,
                    list[i].step != NULL ? list[i].step : "-");
        /* chaos a drill left that nothing has put back: failed, or its drill crashed */
        size_t lost = 0;
        for (size_t k = 0; k < np; k++) {
            lost += strcmp(pend[k].run, list[i].id) == 0 && (pend[k].failed || !pend[k].live);
        }
        if (list[i].drill) {
            char *score = dscore_run_text(runs_dir, list[i].id);
            const char *state = list[i].ended ? NULL
                                : rdir != NULL && runlog_busy(rdir, list[i].id)
                                    ? "drill running, "
                                    : "drill open (nobody runs it), ";
            text_printf(out, "  %sscore %s", state != NULL ? state : "",
                        score != NULL ? score : "unknown");
            free(score);
        }
        int guard = list[i].ended ? 0 : drill_guard_pid(runs_dir, list[i].id);
        if (guard > 0) {
            fprintf(out, "  guard pid %d", guard);
        }
        if (lost > 0) {
            text_printf(out,
                        "  NOT RESTORED: %zu rollback%s (opsdeck drill --recover, or --give-up %s)",
                        lost, lost == 1 ? "" : "s", list[i].id);
        }
        fputc('\n', out);
    }
    drill_pending_free(pend, np);
    free(rdir);
    run_info_free(list, n);
    return PLAIN_EXIT_OK;
}
