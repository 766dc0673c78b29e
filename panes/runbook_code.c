/*
 * The runbook pane's code blocks (rbpane.h): running one (x), editing one
 * before it runs (e), doing one as the console action it stands for (a),
 * and the line under the blocks that says what the selected one does.
 *
 * Before anything of a block runs, each of its placeholders (<server>,
 * {{name}}, $SERVER...) is asked in the status line, in turn, prefilled with
 * the run's guess (a variable or an alert label of that name, or an alias:
 * <server> from `instance`); the answers are journaled (run_fill). Esc or an
 * empty answer stops there and nothing runs. Then the same dialog as always:
 * the command as it will run for x and e, the action keys' own dialog for a.
 * The engine refuses a placeholder with no value whatever the pane does.
 */
#include "rbpane.h"

#include "../backends/backend.h"
#include "../common/clock.h"
#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

enum { EDIT_MAX = 250 }; /* the status line's editor holds 255 bytes */

static void say(struct rbpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

static const char *block_of(const struct rbpane *p)
{
    const struct rb_step *s = runview_step(p->view);
    return s != NULL && p->code_sel < s->ncode ? s->code[p->code_sel] : NULL;
}

/* ---- after the values ---- */

static void on_run_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    char *cause = NULL;
    p->dirty = true;
    if (!yes) {
        say(p, false, "cancelled: the code block did not run");
    } else if (p->edited != NULL) {
        pane_check(&p->host, run_code_edited(p->run, p->fill_block, p->edited, &cause), &cause);
    } else {
        pane_check(&p->host, run_code(p->run, p->fill_block, &cause), &cause);
    }
    free(p->edited);
    p->edited = NULL;
}

static void on_action_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    char *cause = NULL;
    p->dirty = true;
    if (!yes) {
        say(p, false, "cancelled: nothing was done");
        return;
    }
    pane_check(&p->host, run_code_action(p->run, p->fill_block, &cause), &cause);
}

static void confirm_run(struct rbpane *p)
{
    const char *text = p->edited != NULL ? p->edited : block_of(p);
    char *cause = NULL;
    char *shown = text != NULL ? run_code_shown(p->run, text, &cause) : NULL;
    if (shown == NULL) {
        say(p, true, cause != NULL ? cause : "this step has no code block");
        free(cause);
        return;
    }
    char *body = xasprintf("Run %scode block %zu with /bin/sh -c:\n\n%s",
                           p->edited != NULL ? "your edit of " : "", p->fill_block + 1, shown);
    p->host.ops->confirm(p->host.host,
                         p->edited != NULL ? "Run edited code block" : "Run code block", body,
                         "Run", NULL, on_run_confirmed);
    free(body);
    free(shown);
}

static void confirm_action(struct rbpane *p)
{
    struct run_recognised m;
    if (!run_code_recognise(p->run, p->fill_block, &m)) {
        say(p, true, "this block is not one console action: x runs it as shell");
        return;
    }
    if (m.b == NULL) {
        char *why = xasprintf("not offered: %s", m.why != NULL ? m.why : "no backend does it");
        say(p, true, why);
        free(why);
    } else {
        p->host.ops->confirm_action(p->host.host, m.b->name, m.rc.pane, m.def->verb, m.key, m.input,
                                    on_action_confirmed);
    }
    run_recognised_finish(&m);
}

static void then(struct rbpane *p)
{
    placeholder_list_free(&p->fill);
    if (p->fill_then == RB_FILL_ACTION) {
        confirm_action(p);
    } else if (p->fill_then == RB_FILL_STEP) {
        char *cause = NULL; /* the step's preview was its confirmation */
        p->dirty = true;
        pane_check(&p->host, run_confirm(p->run, &cause), &cause);
    } else {
        confirm_run(p);
    }
}

/* ---- asking the values ---- */

static void ask_next(struct rbpane *p);

static void on_value(void *self, const char *answer)
{
    struct rbpane *p = self;
    const struct placeholder *ph = &p->fill.v[p->fill_at];
    char *cause = NULL;
    if (answer[0] == '\0') {
        char *m = xasprintf("not run: %s has no value", ph->raw);
        say(p, true, m);
        free(m);
        placeholder_list_free(&p->fill);
        free(p->edited);
        p->edited = NULL;
        return;
    }
    if (!pane_check(&p->host, run_fill(p->run, ph, answer, &cause), &cause)) {
        placeholder_list_free(&p->fill);
        return;
    }
    p->fill_at++;
    ask_next(p);
}

static void ask_next(struct rbpane *p)
{
    if (p->fill_at >= p->fill.n) {
        then(p);
        return;
    }
    const struct placeholder *ph = &p->fill.v[p->fill_at];
    const char *guess = run_placeholder_guess(p->run, ph);
    char label[200];
    snprintf(label, sizeof label, "Value for %s (%zu/%zu, Esc: nothing runs): ", ph->raw,
             p->fill_at + 1, p->fill.n);
    p->host.ops->prompt(p->host.host, label, guess != NULL ? guess : "", false, on_value);
    p->dirty = true;
}

/* Ask the placeholders of text (none: go on at once), then do what `what` says. */
static void fill_then(struct rbpane *p, const char *text, enum rb_fill what)
{
    placeholder_list_free(&p->fill);
    p->fill_at = 0;
    p->fill_then = what;
    p->fill_block = p->code_sel;
    run_code_placeholders(p->run, text, &p->fill);
    ask_next(p);
}

/* ---- the keys ---- */

bool rbpane_code_run(struct rbpane *p)
{
    const char *code = block_of(p);
    if (code == NULL) {
        say(p, true, "this step has no code block");
        return true;
    }
    free(p->edited);
    p->edited = NULL;
    fill_then(p, code, RB_FILL_RUN);
    return true;
}

static void on_edited(void *self, const char *answer)
{
    struct rbpane *p = self;
    if (answer[strspn(answer, " \t")] == '\0') {
        say(p, false, "cancelled: the edited command is empty");
        return;
    }
    free(p->edited);
    p->edited = xstrdup(answer);
    fill_then(p, p->edited, RB_FILL_RUN);
}

/*
 * A block as one line for the editor: continuation lines joined, commands
 * by "; " (after |, &&, ||, do, then, { a space); NULL with *why when one
 * line cannot hold it the same (a here-document, a comment inside a line).
 */
static char *one_line(const char *code, const char **why)
{
    if (strstr(code, "<<") != NULL && strstr(code, "<<<") == NULL) {
        *why = "a block with a here-document cannot be edited in one line: y copies it";
        return NULL;
    }
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    const char *glue = "";
    for (const char *c = code; *c != '\0';) {
        size_t n = strcspn(c, "\n");
        char *line = str_trim(xstrndup(c, n));
        c += n + (c[n] == '\n');
        if (line[0] == '\0' || line[0] == '#') {
            free(line);
            continue;
        }
        if (strstr(line, " #") != NULL) {
            free(line);
            free(sb.s);
            *why = "a block with a comment inside a line cannot be edited in one line: y copies it";
            return NULL;
        }
        size_t len = strlen(line);
        bool cont = len > 0 && line[len - 1] == '\\';
        if (cont) {
            line[--len] = '\0';
        }
        strbuf_printf(&sb, "%s%s", glue, line);
        static const char *const opens[] = {"|", "&&", "||", "do", "then", "{", "else", NULL};
        const char *last = strrchr(line, ' ') != NULL ? strrchr(line, ' ') + 1 : line;
        glue = cont || str_in(last, opens) ? " " : "; ";
        free(line);
    }
    if (strlen(sb.s) > EDIT_MAX) {
        free(sb.s);
        *why = "this block is too long to edit in the status line: y copies it for your shell";
        return NULL;
    }
    return sb.s;
}

bool rbpane_code_edit(struct rbpane *p)
{
    const char *code = block_of(p);
    if (code == NULL) {
        say(p, true, "this step has no code block");
        return true;
    }
    const char *why = NULL;
    char *line = one_line(code, &why);
    if (line == NULL) {
        say(p, true, why);
        return true;
    }
    p->host.ops->prompt(p->host.host, "Edit, Enter runs it (asks first): ", line, false, on_edited);
    free(line);
    return true;
}

bool rbpane_code_action(struct rbpane *p)
{
    const char *code = block_of(p);
    if (code == NULL) {
        say(p, true, "this step has no code block");
        return true;
    }
    struct run_recognised m;
    if (!run_code_recognise(p->run, p->code_sel, &m)) {
        say(p, true, "this block is not one console action: x runs it as shell");
        return true;
    }
    run_recognised_finish(&m);
    fill_then(p, code, RB_FILL_ACTION);
    return true;
}

char *rbpane_code_hint(const struct rbpane *p)
{
    const char *code = block_of(p);
    if (code == NULL || p->run == NULL) {
        return NULL;
    }
    struct run_recognised m;
    char *hint = NULL;
    if (run_code_recognise(p->run, p->code_sel, &m)) {
        if (m.filled && m.b == NULL) {
            hint = xasprintf("block %zu %s; not offered as an action: %s", p->code_sel + 1, m.what,
                             m.why != NULL ? m.why : "?");
        } else {
            hint = xasprintf("this block %s: press a to do it as the console's audited %s%s",
                             m.what, m.rc.verb, m.filled ? "" : " (asks its values first)");
        }
        run_recognised_finish(&m);
        return hint;
    }
    struct ph_list l = {0};
    if (run_code_placeholders(p->run, code, &l)) {
        struct strbuf sb = {0};
        strbuf_printf(&sb, "block %zu has placeholders:", p->code_sel + 1);
        for (size_t i = 0; i < l.n; i++) {
            const char *v = vars_get(run_vars(p->run), l.v[i].var);
            strbuf_printf(&sb, " %s%s%s", l.v[i].raw, v != NULL ? "=" : "", v != NULL ? v : "");
        }
        strbuf_str(&sb, " (x asks for them; never run as written)");
        hint = sb.s;
    }
    placeholder_list_free(&l);
    return hint;
}

bool rbpane_ask_step_values(struct rbpane *p, const struct rb_step *s)
{
    const char *text = s->run != NULL ? s->run : (s->ncode > 0 ? s->code[0] : NULL);
    struct ph_list l = {0};
    if (s->type != RB_COMMAND || !run_code_placeholders(p->run, text, &l)) {
        return false;
    }
    placeholder_list_free(&l);
    fill_then(p, text, RB_FILL_STEP);
    return true;
}

/* ---- Enter on a step whose code did not run ---- */

static void on_done_anyway(void *self, const char *answer)
{
    struct rbpane *p = self;
    char *cause = NULL;
    if (answer[0] != 'y' && answer[0] != 'Y') {
        say(p, false, "not marked done");
        return;
    }
    p->dirty = true;
    pane_check(&p->host, run_confirm(p->run, &cause), &cause);
}

bool rbpane_ask_unrun(struct rbpane *p, const struct rb_step *s)
{
    if (s->type != RB_MANUAL || s->ncode == 0 ||
        runview_code_ran(p->view, runview_index(p->view))) {
        return false;
    }
    p->host.ops->prompt(p->host.host, "the command in this step was not run: done anyway? y/N ", "",
                        false, on_done_anyway);
    return true;
}

/* ---- the output, whole, in the viewer ---- */

bool rbpane_output_view(struct rbpane *p)
{
    size_t len = 0;
    const char *out = runview_output(p->view, &len);
    int64_t ts = 0;
    int step = runview_output_step(p->view, &ts);
    const struct runbook *rb = runview_runbook(p->view);
    if (step < 0 || (size_t)step >= rb->nsteps || len == 0) {
        say(p, false, "no command of this run has printed anything yet");
        return true;
    }
    char t[32] = "";
    if (ts > 0) {
        clock_format_rfc3339(t, ts);
    }
    char *title = xasprintf("Output of step %d (%s), started %.8s UTC", step + 1,
                            rb->steps[step].title, ts > 0 ? t + 11 : "?");
    char *text = runview_mask(p->view, xstrndup(out, len));
    if (!p->host.ops->view(p->host.host, title, text)) {
        say(p, true, "busy: answer the question open first");
    }
    free(text);
    free(title);
    return true;
}
