/*
 * Drills in line mode (drillplain.h): the facilitator's console for a plain
 * terminal or a pipe, on the one loop.
 *
 * Output is printed from the game's `changed` hook by comparing what the game
 * shows now with what was printed last (inject, expectation, chaos and check
 * states, the message), so every change is told once, stamped with the drill
 * clock. Lines typed are taken from the queue (linein.c) only while the game
 * is not busy (before checks, rolling back): piped commands then mean the same
 * as typed ones.
 *
 * Every line is printed through text_printf() (text.h): a drill's text, a
 * backend's message and a journal's words are shown, never obeyed.
 *
 * Leaving early (q, end of input, SIGHUP, SIGTERM, SIGINT) always goes through
 * game_close(): every pending rollback runs on the loop, told as it goes,
 * before we exit (at most GAME_CLOSE_LIMIT_MS), and the drill stays open for
 * --resume.
 */
#include "drillplain.h"

#include "../common/text.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "../engine/drillview.h"
#include "../engine/drill_extra.h"
#include "../engine/game.h"
#include "drillauto.h"
#include "linein.h"
#include "../common/loop.h"
#include "plain.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { RECOVER_LIMIT_MS = 30000 };

static const char HELP[] =
    "start, pause, resume, fire N, skip N, unskip N, choose N OPTION, contingency N, "
    "met N.M [at T+MM:SS] [BY], missed N.M, undo, +5m, note TEXT, debrief N TEXT, checks, "
    "y/n (run chaos?), end, abort, q";

struct dplain {
    struct loop *loop;
    struct game *g;
    FILE *out;
    struct linein *in;
    bool echo;
    bool finished;
    int status;
    bool dispatching;
    bool prompted;
    bool told_end;
    enum game_state last_state;
    enum inject_state *inj;
    enum expect_state **ex;
    enum chaos_state **ch;
    int *chk;
    char *last_message;
    int asked;     /* the inject whose chaos question was printed last, -1 none */
    bool auto_run; /* --auto: nobody types (drillauto.h) */
};

static void say(struct dplain *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct dplain *p, const char *fmt, ...)
{
    if (p->prompted) {
        fputc('\n', p->out);
        p->prompted = false;
    }
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(p->out, fmt, ap);
    va_end(ap);
    fflush(p->out);
}

static void clock_text(char buf[24], uint64_t ms)
{
    snprintf(buf, 24, "T+%02llu:%02llu", (unsigned long long)(ms / 60000),
             (unsigned long long)(ms / 1000 % 60));
}

static void stamp(struct dplain *p, char buf[24])
{
    clock_text(buf, game_clock_ms(p->g));
}

static void quit(struct dplain *p, int status)
{
    if (!p->finished) {
        p->finished = true;
        p->status = status;
        loop_quit(p->loop);
    }
}

static const char *state_name(enum game_state s)
{
    static const char *const names[] = {"running the before checks",
                                        "ready: type start",
                                        "blocked",
                                        "running",
                                        "paused",
                                        "rolling back",
                                        "ended",
                                        "aborted"};
    return names[s];
}

static const char *expect_name(enum expect_state s)
{
    static const char *const names[] = {"pending", "met", "late", "missed", "not reached"};
    return names[s];
}

static const char *chaos_name(enum chaos_state s)
{
    static const char *const names[] = {"not run", "asked for",   "active",
                                        "FAILED",  "rolled back", "NOT RESTORED"};
    return names[s];
}

static void print_block(struct dplain *p, const char *text, const char *indent)
{
    const char *s = text;
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "\n");
        say(p, "%s%.*s\n", indent, (int)n, s);
        s += n;
        if (*s == '\n') {
            s++;
        }
    }
}

static void join_roles(const struct drill_inject *in, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t k = 0; k < in->nto; k++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", k > 0 ? ", " : "", in->to[k]);
    }
}

static void print_act(struct dplain *p, const char *what, const struct drill_act *a)
{
    say(p, "%s%s %s %s%s%s", what, a->pane, a->verb, a->target, a->input ? " " : "",
        a->input ? a->input : "");
}

static void print_inject(struct dplain *p, size_t i)
{
    const struct drill *d = game_drill(p->g);
    const struct drill_inject *in = &d->injects[i];
    char t[24], roles[256];
    clock_text(t, game_inject_fired_ms(p->g, i));
    join_roles(in, roles, sizeof roles);
    say(p, "\n[%s] INJECT %zu: %s (%s) -> %s\n", t, i + 1, in->title,
        in->channel != NULL ? in->channel : "announce", *roles ? roles : "everyone");
    print_block(p, in->text, "   ");
    char *fl = drill_extra_facilitator_lines(in); /* line mode is the facilitator's */
    print_block(p, fl, "   ");
    free(fl);
    for (size_t e = 0; e < in->nexpects; e++) {
        char due[24];
        clock_text(due, game_inject_fired_ms(p->g, i) + (uint64_t)in->expects[e].deadline_s * 1000);
        say(p, "   expect %zu.%zu: %s (by %s, %d points)\n", i + 1, e + 1, in->expects[e].text, due,
            in->expects[e].points);
    }
    for (size_t c = 0; c < in->nchaos && d->kind == DRILL_LIVE; c++) {
        print_act(p, "   chaos: ", &in->chaos[c].action);
        print_act(p, " (rollback: ", &in->chaos[c].rollback);
        say(p, ")\n");
    }
}

static void print_overview(struct dplain *p)
{
    const struct drill *d = game_drill(p->g);
    char dur[24];
    duration_format2(dur, sizeof dur, d->duration_s);
    say(p, "Drill %s: %s (%s, %s)\n", game_run_id(p->g), d->title ? d->title : d->path,
        d->kind == DRILL_LIVE ? "live" : "tabletop", dur);
    if (d->intro_facilitator && d->intro != NULL && *d->intro != '\0') {
        say(p, "   (intro: facilitator only)\n");
    }
    print_block(p, d->intro, "   ");
    if (d->facilitator_notes != NULL) {
        say(p, "Facilitator notes (facilitator only):\n");
        print_block(p, d->facilitator_notes, "   ");
    }
    for (size_t i = 0; i < d->nobjectives; i++) {
        say(p, "Objective: %s\n", d->objectives[i]);
    }
    for (size_t i = 0; i < d->nroles; i++) {
        say(p, "Role %s: %s%s%s\n", d->roles[i].id, d->roles[i].name ? d->roles[i].name : "",
            d->roles[i].facilitator ? " (facilitator)" : "",
            d->roles[i].observer ? " (observer)" : "");
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        const struct drill_inject *in = &d->injects[i];
        char at[24], roles[256];
        if (in->at_s >= 0) {
            clock_text(at, (uint64_t)in->at_s * 1000);
        } else {
            snprintf(at, sizeof at, "contingency");
        }
        join_roles(in, roles, sizeof roles);
        say(p, "  %2zu. %-11s %s -> %s\n", i + 1, at, in->title, *roles ? roles : "everyone");
    }
    if (d->abort_word != NULL) {
        say(p, "Abort word: %s\n", d->abort_word);
    }
}

/* Tell what changed since the last look. */
static void report_changes(struct dplain *p)
{
    const struct drill *d = game_drill(p->g);
    char t[24];
    stamp(p, t);
    enum game_state st = game_state(p->g);
    if (st != p->last_state) {
        p->last_state = st;
        say(p, "[%s] %s\n", t, state_name(st));
    }
    for (size_t i = 0; i < d->nchecks; i++) {
        const char *why = NULL;
        int r = game_check_result(p->g, i, &why);
        if (r != p->chk[i]) {
            p->chk[i] = r;
            if (r >= 0) {
                struct check_status cs;
                game_check_status(p->g, i, &cs);
                say(p, "[%s] check %s (%s): %s%s%s\n", t, d->checks[i].id, cs.when, cs.state,
                    why ? " - " : "", why ? why : "");
            }
        }
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        enum inject_state is = game_inject_state(p->g, i);
        if (is != p->inj[i]) {
            p->inj[i] = is;
            if (is == INJECT_FIRED) {
                print_inject(p, i);
            } else if (is == INJECT_SKIPPED) {
                say(p, "[%s] inject %zu skipped: %s\n", t, i + 1, d->injects[i].title);
            }
        }
        for (size_t e = 0; e < d->injects[i].nexpects; e++) {
            enum expect_state es = game_expect_state(p->g, i, e);
            if (es != p->ex[i][e]) {
                p->ex[i][e] = es;
                say(p, "[%s] expect %zu.%zu %s: %s\n", t, i + 1, e + 1,
                    d->injects[i].expects[e].text, expect_name(es));
            }
        }
        for (size_t c = 0; c < d->injects[i].nchaos; c++) {
            enum chaos_state cs = game_chaos_state(p->g, i, c);
            if (cs != p->ch[i][c]) {
                p->ch[i][c] = cs;
                const char *m = game_chaos_message(p->g, i, c);
                say(p, "[%s] chaos %zu.%zu ", t, i + 1, c + 1);
                print_act(p, "",
                          cs == CHAOS_ROLLED_BACK || cs == CHAOS_UNRESTORED
                              ? &d->injects[i].chaos[c].rollback
                              : &d->injects[i].chaos[c].action);
                say(p, ": %s%s%s\n", chaos_name(cs), m ? " - " : "", m ? m : "");
            }
        }
    }
    int q = game_chaos_question(p->g);
    if (q != p->asked && q >= 0) {
        say(p, "[%s] inject %d fires chaos:", t, q + 1);
        for (size_t c = 0; c < d->injects[q].nchaos; c++) {
            print_act(p, c > 0 ? ", " : " ", &d->injects[q].chaos[c].action);
        }
        say(p, " - run it? y/n\n");
    }
    p->asked = q;
    const char *msg = game_message(p->g);
    if (msg != NULL && (p->last_message == NULL || strcmp(msg, p->last_message) != 0)) {
        say(p, "  -> %s\n", msg);
    }
    free(p->last_message);
    p->last_message = msg != NULL ? xstrdup(msg) : NULL;
}

static void prompt(struct dplain *p)
{
    if (p->prompted || p->finished) {
        return;
    }
    char t[24];
    stamp(p, t);
    say(p, "[%s %s] > ", t, state_name(game_state(p->g)));
    p->prompted = true;
}

static bool busy(const struct dplain *p)
{
    enum game_state st = game_state(p->g);
    return st == GAME_CHECKING || st == GAME_ROLLING_BACK;
}

static bool over(const struct dplain *p)
{
    enum game_state st = game_state(p->g);
    return st == GAME_ENDED || st == GAME_ABORTED || st == GAME_BLOCKED;
}

static int end_status(const struct dplain *p)
{
    return game_state(p->g) == GAME_ENDED ? PLAIN_EXIT_OK : PLAIN_EXIT_ABORTED;
}

static void tell_end(struct dplain *p)
{
    if (p->told_end) {
        return;
    }
    p->told_end = true;
    const struct drill *d = game_drill(p->g);
    if (game_state(p->g) == GAME_BLOCKED) {
        char *why = xstrdup(game_message(p->g) ? game_message(p->g) : "a before check failed");
        game_abort(p->g, why);
        free(why);
        say(p, "\nDrill %s did not start: a before check failed.\n", game_run_id(p->g));
        quit(p, PLAIN_EXIT_ABORTED);
        return;
    }
    int max = 0, score = game_score(p->g, &max);
    say(p, "\nDrill %s %s. Score %d/%d.\n", game_run_id(p->g),
        game_state(p->g) == GAME_ENDED ? "finished" : "aborted", score, max);
    for (size_t i = 0; i < d->ninjects; i++) {
        for (size_t c = 0; c < d->injects[i].nchaos; c++) {
            if (game_chaos_state(p->g, i, c) == CHAOS_UNRESTORED) {
                print_act(p, "NOT RESTORED: ", &d->injects[i].chaos[c].action);
                say(p, ": %s\n", game_chaos_message(p->g, i, c));
            }
        }
    }
    for (size_t q = 0; q < d->ndebrief; q++) {
        say(p, "Debrief %zu: %s\n", q + 1, d->debrief[q]);
    }
    say(p, "Report: opsdeck report %s\n", game_run_id(p->g));
}

bool drillplain_ref(const char *s, size_t *a, size_t *b, bool want_b, const char **rest)
{
    char *end;
    long x = strtol(s, &end, 10), y = 0;
    if (end == s || x < 1) {
        return false;
    }
    if (want_b) {
        if (*end != '.') {
            return false;
        }
        const char *s2 = end + 1;
        y = strtol(s2, &end, 10);
        if (end == s2 || y < 1) {
            return false;
        }
        *b = (size_t)(y - 1);
    }
    *a = (size_t)(x - 1);
    while (*end == ' ') {
        end++;
    }
    if (rest != NULL) {
        *rest = end;
    } else if (*end != '\0') {
        return false;
    }
    return true;
}

static const char *arg(const char *line, const char *cmd)
{
    size_t n = strlen(cmd);
    if (strncmp(line, cmd, n) != 0 || (line[n] != '\0' && line[n] != ' ')) {
        return NULL;
    }
    line += n;
    while (*line == ' ') {
        line++;
    }
    return line;
}

/* checks: every check, its state and the countdown to an automatic abort (drillview_checks.c). */
static void print_checks(struct dplain *p)
{
    size_t n = game_drill(p->g)->nchecks;
    if (n == 0) {
        say(p, "  no checks in this drill\n");
    }
    for (size_t i = 0; i < n; i++) {
        char *line = game_check_text(p->g, i);
        say(p, "  %s\n", line);
        free(line);
    }
}

static void leave_open(struct dplain *p, int status, const char *why)
{
    say(p,
        "\n%s: rolling back what is pending; the drill stays open: opsdeck drill --resume %s "
        "--plain\n",
        why, game_run_id(p->g));
    quit(p, status);
}

/* A dead-man guard watches (from the start of the clock, or a resume). */
static void say_guard(struct dplain *p)
{
    if (game_guard_pid(p->g) > 0) {
        say(p, "Guard pid %d watches: if this opsdeck dies, it rolls the chaos back\n",
            game_guard_pid(p->g));
    }
}

static void handle_line(struct dplain *p, char *line)
{
    struct game *g = p->g;
    char *cause = NULL, *said = NULL;
    bool ok = true;
    size_t a = 0, b = 0;
    const char *v, *rest = NULL;
    str_trim(line);
    if (*line == '\0') {
        return;
    } else if (game_says_abort_word(g, line)) {
        game_abort(g, "abort word"); /* the word alone; inside a note it is a note */
    } else if (strcmp(line, "start") == 0) {
        ok = game_begin(g, &cause);
        if (ok) {
            say_guard(p);
        }
    } else if (strcmp(line, "pause") == 0) {
        ok = game_pause(g, &cause);
    } else if (strcmp(line, "resume") == 0) {
        ok = game_resume_clock(g, &cause);
    } else if ((v = arg(line, "fire")) != NULL) {
        ok = drillplain_ref(v, &a, NULL, false, NULL) ? game_fire(g, a, &cause)
                                                      : (cause = xstrdup("fire N"), false);
    } else if ((v = arg(line, "skip")) != NULL) {
        ok = drillplain_ref(v, &a, NULL, false, NULL) ? game_skip(g, a, &cause)
                                                      : (cause = xstrdup("skip N"), false);
    } else if ((v = arg(line, "choose")) != NULL) {
        ok = drillplain_ref(v, &a, NULL, false, &rest) && rest != NULL && *rest != '\0'
                 ? game_choose(g, a, rest, &cause)
                 : (cause = xstrdup("choose N OPTION"), false);
        if (ok) {
            say(p, "  chosen: %s\n", rest);
        }
    } else if ((v = arg(line, "contingency")) != NULL) {
        ok = drillplain_ref(v, &a, NULL, false, NULL) ? game_fire_contingency(g, a, &cause)
                                                      : (cause = xstrdup("contingency N"), false);
    } else if ((v = arg(line, "met")) != NULL) {
        ok = drillplain_met(g, v, &cause);
    } else if (drillplain_score_cmd(g, line, &ok, &said, &cause)) {
        /* unskip, undo, +5m: drillplain_score.c */
    } else if ((v = arg(line, "missed")) != NULL) {
        ok = drillplain_ref(v, &a, &b, true, NULL) ? game_mark(g, a, b, false, NULL, &cause)
                                                   : (cause = xstrdup("missed N.M"), false);
    } else if ((v = arg(line, "note")) != NULL) {
        ok = game_note(g, v, NULL, &cause);
        if (ok) {
            say(p, "  noted\n");
        }
    } else if ((v = arg(line, "debrief")) != NULL) {
        ok = drillplain_ref(v, &a, NULL, false, &rest) ? game_debrief(g, a, rest, &cause)
                                                       : (cause = xstrdup("debrief N TEXT"), false);
    } else if (str_in(line, (const char *const[]){"y", "yes", "n", "no", NULL})) {
        ok = game_chaos_answer(g, line[0] == 'y', &cause); /* chaos asks first (game.h) */
    } else if (strcmp(line, "end") == 0) {
        ok = game_end(g, &cause);
    } else if (strcmp(line, "checks") == 0) {
        print_checks(p);
    } else if (strcmp(line, "abort") == 0) {
        game_abort(g, "by the facilitator");

    } else if (strcmp(line, "q") == 0 || strcmp(line, "quit") == 0) {
        if (over(p)) {
            quit(p, end_status(p));
        } else {
            leave_open(p, PLAIN_EXIT_OPEN, "Quit");
        }
    } else if (strcmp(line, "help") == 0 || strcmp(line, "?") == 0) {
        say(p, "  %s\n", HELP);
    } else {
        ok = false;
        cause = xasprintf("unknown command '%s' (%s)", line, HELP);
    }
    if (!ok) {
        say(p, "  ! %s\n", cause != NULL ? cause : "not possible now");
    } else if (said != NULL) {
        say(p, "  %s\n", said);
    }
    free(said);
    free(cause);
}

static void dispatch(struct dplain *p)
{
    if (p->dispatching) {
        return;
    }
    p->dispatching = true;
    while (!p->finished) {
        if (over(p)) {
            tell_end(p);
        }
        if (busy(p)) {
            break;
        }
        if (p->auto_run) {
            /* unattended: start once the before checks passed, leave once it is over */
            char *cause = NULL;
            if (game_state(p->g) == GAME_READY) {
                say(p, "--auto: starting the clock\n");
                if (!game_begin(p->g, &cause)) {
                    say(p, "--auto: the drill cannot start: %s\n", cause);
                    game_abort(p->g, cause); /* nobody will start it again */
                }
                free(cause);
            }
            if (over(p)) {
                tell_end(p);
                quit(p, end_status(p));
            }
            break;
        }
        char *line = linein_take(p->in);
        if (line == NULL) {
            if (linein_eof(p->in)) {
                if (over(p)) {
                    quit(p, end_status(p));
                } else {
                    leave_open(p, PLAIN_EXIT_OPEN, "End of input");
                }
            } else {
                prompt(p);
            }
            break;
        }
        if (p->echo) {
            prompt(p);
            p->prompted = false;
            say(p, "%s\n", line); /* a terminal echoes typed input; a pipe does not */
        }
        p->prompted = false;
        handle_line(p, line);
        free(line);
    }
    p->dispatching = false;
}

static void on_changed(struct game *g, void *ud)
{
    struct dplain *p = ud;
    if (p->inj == NULL || p->g == NULL) {
        (void)g;
        return;
    }
    report_changes(p);
    dispatch(p);
}

static void on_input(void *ud)
{
    dispatch(ud);
}

static void on_signal(int signo, void *ud)
{
    struct dplain *p = ud;
    if (p->finished) {
        return; /* leaving already: the rollbacks run first */
    }
    if (signo == SIGINT || signo == SIGHUP || signo == SIGTERM) {
        char why[32];
        snprintf(why, sizeof why, "Stopped by signal %d", signo);
        if (signo == SIGHUP) {
            quit(p, 128 + signo); /* nobody reads a closed terminal */
        } else {
            leave_open(p, 128 + signo, why);
        }
    }
}

static struct drill *load(const char *file)
{
    char *cause = NULL;
    struct drill *d = drill_load(file, &cause);
    if (d == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause != NULL ? cause : "not a drill");
        free(cause);
        return NULL;
    }
    if (d->nissues > 0) {
        for (size_t i = 0; i < d->nissues; i++) {
            text_printf(stderr, "%s:%d: %s\n", file, d->issues[i].line, d->issues[i].message);
        }
        drill_free(d);
        return NULL;
    }
    /* what only lint finds (a sandbox hook not set here) is a warning, as for runbooks */
    drill_lint(d);
    for (size_t i = 0; i < d->nissues; i++) {
        text_printf(stderr, "%s:%d: warning: %s\n", file, d->issues[i].line, d->issues[i].message);
        free(d->issues[i].message);
    }
    d->nissues = 0;
    return d;
}

static void alloc_seen(struct dplain *p)
{
    const struct drill *d = game_drill(p->g);
    p->last_state = (enum game_state) - 1;
    p->inj = xcalloc(d->ninjects + 1, sizeof *p->inj);
    p->ex = xcalloc(d->ninjects + 1, sizeof *p->ex);
    p->ch = xcalloc(d->ninjects + 1, sizeof *p->ch);
    for (size_t i = 0; i < d->ninjects; i++) {
        p->ex[i] = xcalloc(d->injects[i].nexpects + 1, sizeof *p->ex[i]);
        p->ch[i] = xcalloc(d->injects[i].nchaos + 1, sizeof *p->ch[i]);
    }
    p->chk = xcalloc(d->nchecks + 1, sizeof *p->chk);
    for (size_t i = 0; i < d->nchecks; i++) {
        p->chk[i] = -1;
    }
}

static void free_seen(struct dplain *p, const struct drill *d)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        free(p->ex[i]);
        free(p->ch[i]);
    }
    free(p->inj);
    free(p->ex);
    free(p->ch);
    free(p->chk);
}

int drillplain_run(struct loop *loop, struct store *store, struct backend **backends,
                   size_t nbackends, const struct drillplain_options *o)
{
    struct dplain p = {.loop = loop, .out = stdout};
    p.echo = !isatty(STDIN_FILENO);
    struct game_env env = {
        .loop = loop,
        .store = store,
        .backends = backends,
        .nbackends = nbackends,
        .runs_dir = o->runs_dir,
        .ask_chaos = !o->auto_run,
    };
    p.asked = -1;
    p.auto_run = o->auto_run;
    /* changes before the seen-state arrays exist are printed by the first look */
    struct game_hooks h = {.changed = on_changed, .ud = &p};
    char *cause = NULL;
    if (o->resume != NULL) {
        p.g = game_resume(&env, o->resume, &h, &cause);
    } else {
        struct drill *d = load(o->file);
        if (d == NULL) {
            return PLAIN_EXIT_USAGE;
        }
        p.g = game_start(&env, d, &h, &cause);
    }
    if (p.g == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        return PLAIN_EXIT_FAIL;
    }
    alloc_seen(&p);
    if (o->resume != NULL) {
        say(&p, "Resuming drill %s\n", game_run_id(p.g));
    }
    print_overview(&p);
    say_guard(&p);
    if (!o->auto_run) {
        say(&p, "Commands: %s\n", HELP);
    }
    loop_on_signal(loop, on_signal, &p);
    p.in = o->auto_run ? NULL : linein_create(loop, STDIN_FILENO, on_input, &p);
    on_changed(p.g, &p);
    while (!p.finished) {
        loop_run_once(loop, 1000);
    }
    linein_destroy(p.in);
    p.in = NULL;
    /* leaving: the rollbacks are work on this loop, each told as it ends (on_changed) */
    loop_cancel_quit(loop); /* a quitting loop dispatches nothing */
    game_close(p.g);
    uint64_t until = clock_mono_ms() + GAME_CLOSE_LIMIT_MS;
    while (!game_closed(p.g) && clock_mono_ms() < until) {
        loop_run_once(loop, 100);
    }
    loop_quit(loop);
    if (!game_closed(p.g)) {
        say(&p, "Rollbacks still running after %d s: left pending, the next start tries again.\n",
            GAME_CLOSE_LIMIT_MS / 1000);
    }
    if (o->auto_run && !drillauto_report(o->runs_dir, game_run_id(p.g), p.out, stderr) &&
        p.status == PLAIN_EXIT_OK) {
        p.status = PLAIN_EXIT_FAIL; /* nobody is watching: a report not sent is a failure */
    }
    const struct drill *d = game_drill(p.g);
    free_seen(&p, d);
    game_destroy(p.g, true);
    free(p.last_message);
    return p.status;
}

size_t drillplain_recover(struct loop *loop, struct store *store, struct backend **backends,
                          size_t nbackends, const char *runs_dir, FILE *out, bool quiet)
{
    struct game_env env = {
        .loop = loop,
        .store = store,
        .backends = backends,
        .nbackends = nbackends,
        .runs_dir = runs_dir,
    };
    size_t failed = 0;
    char *report = NULL;
    size_t done = drill_recover(&env, RECOVER_LIMIT_MS, &failed, &report);
    if (done + failed == 0 && report == NULL) {
        if (!quiet) {
            fprintf(out, "no drill left anything to roll back\n");
        }
    } else {
        /* the report quotes backends' answers: lines of outside text */
        char *text = text_clean_str(report != NULL ? report : "", TEXT_NEWLINE | TEXT_TAB);
        fprintf(out, "drill recovery: %zu rolled back, %zu NOT restored\n%s", done, failed, text);
        free(text);
    }
    fflush(out);
    free(report);
    return failed;
}
