/*
 * The runbook pane headless: a real run (journal in a temp dir, commands on a
 * real loop) drawn into a curses window of a terminal that writes to
 * /dev/null, read back cell by cell. The console is a stub host that records
 * what the pane asked of it (prompts, dialogs, the action dialog, OSC 52).
 */
#include "../../common/util.h"
#include "../../common/whoami.h"
#include "../../panes/runbook.h"
#include "../../common/loop.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char RUNBOOK[] = "# Unit drill\n"
                              "\n"
                              "## Stay calm: read this\n"
                              "alpha\n"
                              "beta continues the paragraph.\n"
                              "\n"
                              "    echo first block\n"
                              "\n"
                              "```\n"
                              "echo second block\n"
                              "```\n"
                              "\n"
                              "- a list item\n"
                              "\n"
                              "## Assess: the token\n"
                              "```opsdeck\n"
                              "type: prompt\n"
                              "var: token\n"
                              "secret: true\n"
                              "ask: Token?\n"
                              "```\n"
                              "\n"
                              "## Use the token\n"
                              "```opsdeck\n"
                              "type: command\n"
                              "run: echo using ${token}; sleep 20\n"
                              "```\n"
                              "\n"
                              "## Focus: drain web2\n"
                              "```opsdeck\n"
                              "type: action\n"
                              "action: drain\n"
                              "pane: pools\n"
                              "target: be_web/web2\n"
                              "```\n";

/* What the stub console was asked. */
static struct {
    char message[512];
    char prompt[256];
    bool prompt_secret;
    pane_answer_cb answer;
    char dialog[1024];
    pane_confirm_cb confirm;
    char action[256];
    char clipboard[256];
} host;

static void h_message(void *h, bool error, const char *text)
{
    (void)h;
    snprintf(host.message, sizeof host.message, "%s%s", error ? "ERR " : "", text);
}

static bool h_prompt(void *h, const char *label, const char *initial, bool secret,
                     pane_answer_cb cb)
{
    (void)h;
    (void)initial;
    snprintf(host.prompt, sizeof host.prompt, "%s", label);
    host.prompt_secret = secret;
    host.answer = cb;
    return true;
}

static bool h_confirm(void *h, const char *title, const char *body, const char *confirm,
                      const char *must_type, pane_confirm_cb cb)
{
    (void)h;
    (void)must_type;
    snprintf(host.dialog, sizeof host.dialog, "%s|%s|%s", title, body, confirm);
    host.confirm = cb;
    return true;
}

static bool h_confirm_action(void *h, const char *backend, const char *pane, const char *verb,
                             const char *target, const char *input, pane_confirm_cb cb)
{
    (void)h;
    snprintf(host.action, sizeof host.action, "%s %s %s %s %s", backend ? backend : "-", pane, verb,
             target, input ? input : "-");
    host.confirm = cb;
    return true;
}

static void h_clipboard(void *h, const char *text)
{
    (void)h;
    snprintf(host.clipboard, sizeof host.clipboard, "%s", text);
}

static const struct pane_host_ops host_ops = {
    .message = h_message,
    .prompt = h_prompt,
    .confirm = h_confirm,
    .confirm_action = h_confirm_action,
    .clipboard = h_clipboard,
};

/* The window as text, one line per row, trailing blanks kept. */
static char *screen_text(void *pane, WINDOW *win)
{
    runbook_pane.draw(pane, win, &(struct pane_view){.number = 5, .focused = true});
    struct strbuf sb = {0};
    int h = getmaxy(win), w = getmaxx(win);
    for (int y = 0; y < h; y++) {
        char row[512];
        mvwinnstr(win, y, 0, row, w < 511 ? w : 511);
        strbuf_printf(&sb, "%s\n", row);
    }
    return sb.s;
}

static bool shows(void *pane, WINDOW *win, const char *text)
{
    char *s = screen_text(pane, win);
    bool found = strstr(s, text) != NULL;
    if (!found) {
        tap_diag("not on screen: '%s'; screen:\n%s", text, s);
    }
    free(s);
    return found;
}

static bool key(void *pane, int ch)
{
    return runbook_pane.key(pane, (wint_t)ch, false);
}

static bool spin_until(struct loop *loop, struct run *r, enum run_state want)
{
    for (int i = 0; i < 300 && run_state(r) != want; i++) {
        loop_run_once(loop, 20);
    }
    return run_state(r) == want;
}

static char *write_rb(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* Step text shows values (a secret as [secret], an unset one as itself), as line mode does. */
static void test_vars_shown(const struct run_env *env, const struct pane_host *ph, WINDOW *win,
                            const char *dir)
{
    char *file = write_rb(dir, "vars.md",
                          "# V\n\n```opsdeck\nvar: v = hello\n```\n\n"
                          "## Tell\nDeploying ${v}; owner ${who}.\n\n"
                          "```opsdeck\ntype: prompt\nvar: pw\nsecret: true\nask: Password for "
                          "${v}?\n```\n\n"
                          "## Say\nToken was ${pw}.\n\n"
                          "```opsdeck\ntype: prompt\nvar: said\nask: Say ${v} now\n```\n\n"
                          "## Decide\n```opsdeck\ntype: decision\nask: Roll back ${v}?\n"
                          "choice: yes -> end\n```\n");
    char *cause = NULL;
    void *pane = runbook_pane_start(env, file, NULL, ph, &cause);
    free(file);
    if (!tap_ok(pane != NULL, "vars: the pane starts (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    runbook_pane.resize(pane, 34, 72);
    tap_ok(shows(pane, win, "Deploying hello; owner ${who}."),
           "the body shows a value, and an unset variable as itself");
    tap_ok(shows(pane, win, "asks: Password for hello?"), "the question shows the value");
    key(pane, '\r');
    tap_ok(strstr(host.prompt, "Password for hello?") != NULL, "so does the status-line prompt");
    host.answer(pane, "pw-s3cret");
    tap_ok(shows(pane, win, "Token was [secret]."), "a secret answer in a body is [secret]");
    tap_ok(shows(pane, win, "asks: Say hello now"), "asks: Say ${v} now shows the value");
    char *screen = screen_text(pane, win);
    tap_ok(strstr(screen, "pw-s3cret") == NULL, "the secret is nowhere on screen");
    free(screen);
    key(pane, '\r');
    host.answer(pane, "ok");
    tap_ok(shows(pane, win, "decide: Roll back hello?"), "a decision's question too");
    runbook_pane.free(pane);
}

static bool hides(void *pane, WINDOW *win, const char *text)
{
    char *s = screen_text(pane, win);
    bool gone = strstr(s, text) == NULL;
    free(s);
    return gone;
}

static bool record(struct run *r, const char *who, const char *action, const char *json)
{
    run_set_actor(r, who, "bastion");
    char *cause = NULL;
    bool ok = run_record(r, action, cJSON_Parse(json), &cause);
    run_set_actor(r, NULL, NULL);
    if (!ok) {
        tap_diag("%s %s: %s", who, action, cause);
        free(cause);
    }
    return ok;
}

/* A shared run: presence, "bob is on it", a proposal, a request waiting for a second person. */
static void test_people_drawn(const struct run_env *env, const struct pane_host *ph, WINDOW *win,
                              const char *dir)
{
    char *file = write_rb(dir, "people.md",
                          "# P\n\n## Look\nLook around.\n\n## Go ahead\n```opsdeck\n"
                          "type: approval\nrole: IC\n```\n\n## Drain\nDrain it.\n");
    char *cause = NULL;
    void *pane = runbook_pane_start(env, file, NULL, ph, &cause);
    free(file);
    if (!tap_ok(pane != NULL, "people: the pane starts (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    runbook_pane.resize(pane, 34, 72);
    struct run *r = runbook_pane_run(pane);
    char *before = screen_text(pane, win);
    tap_ok(strstr(before, "participant") == NULL && strstr(before, "is on it") == NULL,
           "a run nobody shares shows no people");
    run_set_shared(r, true);
    char *shared = screen_text(pane, win);
    /* the phase bar's and the step's times may tick meanwhile: the rest must not move */
    for (char *t = before; *t != '\0'; t++) {
        *t = isdigit((unsigned char)*t) ? '0' : *t;
    }
    for (char *t = shared; *t != '\0'; t++) {
        *t = isdigit((unsigned char)*t) ? '0' : *t;
    }
    /* a phase with no time yet says "--", one that began this second "0s" */
    for (char *t = before; (t = strstr(t, " --")) != NULL; t += 3) {
        memcpy(t, " 0s", 3);
    }
    for (char *t = shared; (t = strstr(t, " --")) != NULL; t += 3) {
        memcpy(t, " 0s", 3);
    }
    char *bar = strchr(before, '\n'), *bar2 = strchr(shared, '\n');
    char *end = bar != NULL ? strchr(bar + 1, '\n') : NULL,
         *end2 = bar2 != NULL ? strchr(bar2 + 1, '\n') : NULL;
    if (end != NULL && end2 != NULL) {
        memmove(bar, end, strlen(end) + 1);
        memmove(bar2, end2, strlen(end2) + 1);
    }
    tap_is_str(shared, before, "sharing alone changes nothing on screen");
    free(before);
    free(shared);
    record(r, "alice", "join", "{\"role\":\"driver\",\"via\":\"local\"}");
    tap_ok(hides(pane, win, "alice driver"), "one person: no presence line");
    record(r, "bob", "join", "{\"role\":\"participant\",\"via\":\"unix\"}");
    record(r, "carol", "join", "{\"role\":\"observer\",\"via\":\"unix\"}");
    tap_ok(shows(pane, win, "alice driver, bob participant, carol observer"),
           "one presence line with every role (ASCII separators)");
    const struct runbook *rb = run_runbook(r);
    char *claim = xasprintf("{\"step\":\"%s\"}", rb->steps[2].id);
    record(r, "bob", "claim", claim);
    free(claim);
    tap_ok(shows(pane, win, "3. [F] Drain  - bob is on it"), "bob is on it beside the step");
    tap_ok(hides(pane, win, "Look  - "), "an unclaimed step says nothing");
    char *prop = xasprintf("{\"step\":\"%s\",\"text\":\"drain now\"}", rb->steps[2].id);
    record(r, "bob", "propose", prop);
    free(prop);
    char *want = xasprintf("bob proposes %s: drain now", rb->steps[2].id);
    tap_ok(shows(pane, win, want), "the latest proposal is shown");
    free(want);
    key(pane, '\r');
    tap_ok(shows(pane, win, "Enter ask a second person to approve"),
           "the hint of an approval step in a shared run");
    host.prompt[0] = '\0';
    key(pane, '\r');
    tap_ok(host.prompt[0] == '\0' && run_approval_pending(r) != NULL &&
               strcmp(run_approval_pending(r), whoami_user()) == 0,
           "Enter on an approval step of a shared run asks, as the local user (no prompt)");
    char *asked = xasprintf("approval asked by %s: waiting for a second person", whoami_user());
    tap_ok(shows(pane, win, asked), "the pending request says who asked");
    tap_ok(shows(pane, win, "waiting for a second person to approve  s skip"),
           "the key hint says what the step waits for");
    free(asked);
    tap_ok(!run_approve(r, whoami_user(), NULL), "the one who asked cannot approve");
    tap_ok(run_approve(r, "bob", NULL), "bob approves");
    tap_ok(hides(pane, win, "waiting for a second person"), "no request pending once approved");
    char *both = xasprintf("approved by bob (asked by %s)", whoami_user());
    tap_ok(shows(pane, win, both), "the result names both");
    free(both);
    runbook_pane.free(pane);
}

/* After a resume, Enter on an interrupted command asks first; Cancel is the default. */
static void test_rerun_asks(const struct run_env *env, const struct pane_host *ph, WINDOW *win,
                            const char *dir)
{
    char *file = write_rb(dir, "rerun.md",
                          "# R\n\n## Deploy\n```opsdeck\ntype: command\nrun: sleep 20\n```\n\n"
                          "## After\nDone.\n");
    char *cause = NULL;
    void *pane = runbook_pane_start(env, file, NULL, ph, &cause);
    free(file);
    if (!tap_ok(pane != NULL, "rerun: the pane starts (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    key(pane, '\r');
    tap_is_int(run_state(runbook_pane_run(pane)), RUN_BUSY, "the command runs");
    char *id = xstrdup(run_id(runbook_pane_run(pane)));
    runbook_pane.free(pane); /* the session ends mid-command */
    pane = runbook_pane_resume(env, id, ph, &cause);
    free(id);
    if (!tap_ok(pane != NULL, "resumed in the pane (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    struct run *r = runbook_pane_run(pane);
    runbook_pane.resize(pane, 34, 72);
    tap_is_int(run_state(r), RUN_INTERRUPTED, "the command is interrupted");
    tap_ok(shows(pane, win, "Enter re-run (asks)"), "the hint says Enter asks");
    host.dialog[0] = '\0';
    host.confirm = NULL;
    key(pane, '\r');
    tap_ok(strstr(host.dialog, "Re-run interrupted step|") != NULL &&
               strstr(host.dialog, "may have run partly") != NULL &&
               strstr(host.dialog, "sh: sleep 20") != NULL,
           "Enter opens a dialog saying it may have run partly");
    tap_is_int(run_state(r), RUN_INTERRUPTED, "nothing runs before the dialog is answered");
    if (host.confirm != NULL) {
        host.confirm(pane, false);
    }
    tap_ok(strstr(host.message, "cancelled: the step did not run") != NULL,
           "Cancel: the step did not run");
    tap_is_int(run_state(r), RUN_INTERRUPTED, "still interrupted");
    key(pane, '\r');
    if (host.confirm != NULL) {
        host.confirm(pane, true);
    }
    tap_is_int(run_state(r), RUN_BUSY, "confirmed, it runs again");
    runbook_pane.free(pane);
}

/* A run started in a child process that dies of SIGKILL mid-command: its group lives on. */
static char *killed_mid_command(const struct run_env *env, const char *file)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return NULL;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct run_env e = *env;
        e.loop = loop_create();
        char *cause = NULL;
        struct runbook *rb = runbook_load(file, &cause);
        struct run *r = rb != NULL ? run_start(&e, rb, NULL, NULL, &cause) : NULL;
        bool ok = r != NULL && run_confirm(r, &cause) && run_state(r) == RUN_BUSY;
        const char *id = ok ? run_id(r) : "";
        ssize_t w = write(fds[1], id, strlen(id) + 1);
        (void)w;
        for (;;) {
            pause();
        }
    }
    close(fds[1]);
    char id[256] = "";
    size_t got = 0;
    for (ssize_t n; got + 1 < sizeof id && (n = read(fds[0], id + got, 1)) == 1 && id[got];) {
        got++;
    }
    id[got] = '\0';
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return id[0] != '\0' ? xstrdup(id) : NULL;
}

/* After kill -9: the pane says the command still runs, and w / K wait for it or stop it. */
static void test_orphan_keys(const struct run_env *env, const struct pane_host *ph, WINDOW *win,
                             struct loop *loop, const char *dir)
{
    char *file = write_rb(dir, "orphan.md",
                          "# O\n\n## Deploy\n```opsdeck\ntype: command\nrun: sleep 20\n```\n\n"
                          "## After\nDone.\n");
    char *id = killed_mid_command(env, file);
    free(file);
    char *cause = NULL;
    void *pane = id != NULL ? runbook_pane_resume(env, id, ph, &cause) : NULL;
    free(id);
    if (!tap_ok(pane != NULL, "orphan: resumed in the pane (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    struct run *r = runbook_pane_run(pane);
    runbook_pane.resize(pane, 34, 72);
    int pgid = 0;
    tap_is_int(run_orphan(r, &pgid, NULL), RUN_ORPHAN_ALIVE, "the command's group is alive");
    char *want = xasprintf("(process group %d) are still running: w wait for", pgid);
    tap_ok(shows(pane, win, want), "the pane says so, with the keys");
    free(want);
    tap_ok(shows(pane, win, "w wait for it  K stop it"), "and the hint");
    host.dialog[0] = '\0';
    key(pane, '\r');
    tap_ok(host.dialog[0] == '\0' && strstr(host.message, "still running") != NULL,
           "Enter opens no re-run dialog while it runs (%s)", host.message);
    tap_ok(key(pane, 'w') && run_orphan(r, NULL, NULL) == RUN_ORPHAN_WAITING, "w waits for it");
    tap_ok(shows(pane, win, "waiting for process group"), "and says so");
    tap_ok(key(pane, 'K') && run_orphan(r, NULL, NULL) == RUN_ORPHAN_STOPPING, "K stops it");
    for (int i = 0; i < 300 && run_orphan(r, NULL, NULL) != RUN_ORPHAN_NONE; i++) {
        loop_run_once(loop, 20);
    }
    tap_is_int(run_orphan(r, NULL, NULL), RUN_ORPHAN_NONE, "it is gone");
    tap_ok(shows(pane, win, "Enter re-run it (asks first"), "then re-running is offered again");
    tap_ok(!key(pane, 'w'), "w is not the pane's key any more");
    runbook_pane.free(pane);
}

int main(void)
{
    setlocale(LC_ALL, "C"); /* ASCII glyphs: what a terminal without UTF-8 gets */
    char dir[] = "/tmp/opsdeck-rbpane.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char *file = xasprintf("%s/drill.md", dir);
    FILE *f = fopen(file, "w");
    fputs(RUNBOOK, f);
    fclose(f);

    FILE *out = fopen("/dev/null", "w");
    SCREEN *scr = newterm("xterm", out, stdin);
    if (scr == NULL) {
        tap_ok(false, "newterm(xterm) works");
        return tap_done();
    }
    WINDOW *win = newwin(34, 72, 0, 0);

    struct loop *loop = loop_create();
    struct run_env env = {.loop = loop, .runs_dir = dir};
    struct pane_host ph = {.ops = &host_ops, .host = NULL};
    char *cause = NULL;
    void *pane = runbook_pane_start(&env, file, NULL, &ph, &cause);
    tap_ok(pane != NULL, "the pane starts a run (%s)", cause ? cause : "ok");
    if (pane == NULL) {
        return tap_done();
    }
    struct run *r = runbook_pane_run(pane);
    runbook_pane.resize(pane, 34, 72);
    tap_ok(runbook_pane.update(pane, 1000), "a new pane wants drawing");

    tap_ok(shows(pane, win, "5 Runbook: Unit drill"), "title names the runbook");
    tap_ok(shows(pane, win, " ready "), "and the state");
    tap_ok(shows(pane, win, run_id(r)), "the run id is on screen");
    tap_ok(shows(pane, win, "S 0/1"), "the phase bar counts the S step");
    tap_ok(shows(pane, win, "A 0/2"), "and both A steps");
    tap_ok(shows(pane, win, "F 0/1"), "and the F step");
    tap_ok(shows(pane, win, ">  1. [S] Stay calm: read this"), "step 1 is marked current");
    tap_ok(shows(pane, win, "alpha beta continues the paragraph."),
           "a paragraph's source line break flows");
    tap_ok(shows(pane, win, "- a list item"), "a list item keeps its own line");
    tap_ok(shows(pane, win, "[1] echo first block"), "code blocks are numbered");
    tap_ok(shows(pane, win, "[2] echo second block"), "both of them");
    tap_ok(shows(pane, win, "Enter done"), "the hint fits a manual step with code");
    tap_ok(!runbook_pane.update(pane, 1500), "nothing changed: no redraw");

    key(pane, 'y');
    tap_is_str(host.clipboard, "echo first block", "y copies the selected block");
    key(pane, ']');
    tap_ok(runbook_pane.update(pane, 1600), "selecting a block redraws");
    key(pane, 'y');
    tap_is_str(host.clipboard, "echo second block", "] selects the next block");
    key(pane, 'x');
    tap_ok(strstr(host.dialog, "echo second block") != NULL && strstr(host.dialog, "|Run") != NULL,
           "x asks first, showing the exact command");

    host.message[0] = '\0';
    key(pane, 'b');
    tap_ok(strstr(host.message, "this is the first step") != NULL,
           "a refusal says the engine's reason (%s)", host.message);
    key(pane, '\r');
    tap_ok(strstr(host.prompt, "was not run: done anyway? y/N") != NULL,
           "Enter on a step whose code never ran asks first (%s)", host.prompt);
    host.answer(pane, "");
    tap_is_int(run_index(r), 0, "... and anything but y keeps the step");
    key(pane, '\r');
    host.answer(pane, "y");
    tap_is_int(run_index(r), 1, "Enter on a manual step moves on");
    tap_ok(shows(pane, win, "x  1. [S] Stay calm"), "step 1 shows done");
    key(pane, '\r');
    tap_ok(strstr(host.prompt, "Token?") != NULL, "Enter on a prompt asks in the status line");
    tap_ok(host.prompt_secret, "a secret prompt asks not to echo");
    host.answer(pane, "s3cr3t-value");
    tap_is_int(run_index(r), 2, "the answer moves on");
    tap_ok(shows(pane, win, "will run: sh: echo using '[secret]'; sleep 20"),
           "a later step shows the secret masked");
    char *screen = screen_text(pane, win);
    tap_ok(strstr(screen, "s3cr3t") == NULL, "the secret is nowhere on screen");
    free(screen);

    tap_ok(!runbook_pane.interrupt(pane), "Ctrl-C is not taken while nothing runs");
    key(pane, '\r');
    tap_is_int(run_state(r), RUN_BUSY, "Enter on a command runs it");
    size_t outlen = 0;
    for (int i = 0; i < 300 && (run_output(r, &outlen) == NULL || outlen == 0); i++) {
        loop_run_once(loop, 20);
    }
    tap_ok(outlen > 0, "its output streams in while it runs");
    tap_ok(shows(pane, win, "running"), "a busy step says it is running");
    tap_ok(runbook_pane.interrupt(pane), "Ctrl-C is taken while a command runs");
    tap_ok(spin_until(loop, r, RUN_FAILED), "and stops it: the step fails");
    tap_ok(shows(pane, win, "failed: "), "the failure is shown");
    tap_ok(shows(pane, win, "Enter retry  s skip"), "with its choices");
    tap_ok(shows(pane, win, "using [secret]"), "output that prints the secret shows it masked");
    screen = screen_text(pane, win);
    tap_ok(strstr(screen, "s3cr3t") == NULL, "the secret is still nowhere on screen");
    free(screen);
    key(pane, 's');
    tap_is_int(run_index(r), 3, "s skips the failed step");
    tap_ok(shows(pane, win, "will do: drain pools be_web/web2"), "the action step previews");
    key(pane, '\r');
    tap_is_str(host.action, "- pools drain be_web/web2 -",
               "Enter asks the console's action dialog");
    tap_is_int(run_state(r), RUN_READY, "nothing happens before the dialog is confirmed");
    host.confirm(pane, false);
    tap_is_int(run_state(r), RUN_READY, "Cancel leaves the step as it was");

    key(pane, 'J');
    tap_ok(strstr(host.prompt, "Jump to step") != NULL, "J asks for a step");
    host.answer(pane, "1");
    tap_is_int(run_index(r), 0, "a number jumps to that step");
    host.answer(pane, "99");
    tap_ok(strstr(host.message, "no such step") != NULL, "a bad number is refused");

    runbook_pane.free(pane); /* run_destroy: the run stays open */
    size_t n = 0;
    struct run_info *list = run_list(dir, &n, NULL);
    tap_ok(n == 1 && !list[0].ended, "freeing the pane leaves the run open for resume");
    run_info_free(list, n);

    /* what only lint finds is a warning, as in line mode; a parse problem refuses */
    char *notify = xasprintf("%s/notify.md", dir);
    f = fopen(notify, "w");
    fputs("# N\n\n## Tell them\n```opsdeck\ntype: notify\nservice: slack\n"
          "url_env: OPSDECK_TEST_UNSET_HOOK\nmessage: hi\n```\n",
          f);
    fclose(f);
    unsetenv("OPSDECK_TEST_UNSET_HOOK");
    host.message[0] = '\0';
    pane = runbook_pane_start(&env, notify, NULL, &ph, &cause);
    tap_ok(pane != NULL, "a notify whose env var is not set still starts");
    if (pane != NULL) {
        runbook_pane.update(pane, 5000);
        tap_ok(strstr(host.message, "warning") != NULL &&
                   strstr(host.message, "OPSDECK_TEST_UNSET_HOOK") != NULL,
               "and says so once on screen: %s", host.message);
        runbook_pane.free(pane);
    }
    f = fopen(notify, "w");
    fputs("# N\n\n## Broken\n```opsdeck\ntype: teleport\n```\n", f);
    fclose(f);
    cause = NULL;
    pane = runbook_pane_start(&env, notify, NULL, &ph, &cause);
    tap_ok(pane == NULL && cause != NULL && strstr(cause, "notify.md:") != NULL,
           "a parse problem refuses, naming file:line (%s)", cause ? cause : "no cause");
    free(cause);
    free(notify);

    test_vars_shown(&env, &ph, win, dir);
    test_people_drawn(&env, &ph, win, dir);
    test_rerun_asks(&env, &ph, win, dir);
    test_orphan_keys(&env, &ph, win, loop, dir);

    loop_destroy(loop);
    delwin(win);
    endwin();
    delscreen(scr);
    fclose(out);
    free(file);
    char *rm = xasprintf("rm -rf '%s'", dir);
    if (system(rm) != 0) {
        tap_diag("could not remove %s", dir);
    }
    free(rm);
    return tap_done();
}
