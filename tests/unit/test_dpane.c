/*
 * The drill pane headless: a real game of a tabletop drill (journal in a temp
 * dir) on a fake drill clock, drawn into a curses window of a terminal that
 * writes to /dev/null and read back. The console is a stub host that records
 * what the pane asked of it (prompts, dialogs, the viewer).
 */
#include "../../backends/demo.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/journal.h"
#include "../../panes/drill.h"
#include "../../common/loop.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char DRILL[] = "# Unit tabletop\n"
                            "\n"
                            "```opsdeck\n"
                            "drill: tabletop\n"
                            "duration: 10m\n"
                            "label: [UNIT]\n"
                            "abort_word: PINEAPPLE\n"
                            "role: gm = Game master\n"
                            "role: ic = Incident commander\n"
                            "facilitator: gm\n"
                            "```\n"
                            "\n"
                            "## Office lost\n"
                            "```opsdeck\n"
                            "at: T+00\n"
                            "to: ic\n"
                            "channel: announce\n"
                            "expect: 1m 10 Incident declared\n"
                            "expect: 2m 4 Status page updated\n"
                            "contingency: ceo-calls\n"
                            "```\n"
                            "The office is being evacuated.\n"
                            "\n"
                            "## Replication lag\n"
                            "```opsdeck\n"
                            "at: T+03\n"
                            "to: ic\n"
                            "channel: page\n"
                            "```\n"
                            "Replication lag is 900 s.\n"
                            "\n"
                            "## The CEO calls\n"
                            "```opsdeck\n"
                            "id: ceo-calls\n"
                            "at: contingency\n"
                            "to: ic\n"
                            "channel: email\n"
                            "```\n"
                            "Why is nobody telling me anything?\n";

static struct {
    char message[512];
    char prompt[256];
    char initial[256];
    pane_answer_cb answer;
    char dialog[1024];
    char must_type[64];
    pane_confirm_cb confirm;
    char view_title[256];
    char *view_text;
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
    (void)secret;
    snprintf(host.prompt, sizeof host.prompt, "%s", label);
    snprintf(host.initial, sizeof host.initial, "%s", initial ? initial : "");
    host.answer = cb;
    return true;
}

static bool h_confirm(void *h, const char *title, const char *body, const char *confirm,
                      const char *must_type, pane_confirm_cb cb)
{
    (void)h;
    snprintf(host.dialog, sizeof host.dialog, "%s|%s|%s", title, body, confirm);
    snprintf(host.must_type, sizeof host.must_type, "%s", must_type ? must_type : "");
    host.confirm = cb;
    return true;
}

static bool h_view(void *h, const char *title, const char *text)
{
    (void)h;
    snprintf(host.view_title, sizeof host.view_title, "%s", title);
    free(host.view_text);
    host.view_text = xstrdup(text);
    return true;
}

static const struct pane_host_ops host_ops = {
    .message = h_message,
    .prompt = h_prompt,
    .confirm = h_confirm,
    .view = h_view,
};

static uint64_t fake_now = 5000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static const char BLOCKED[] = "# Blocked\n\n```opsdeck\ndrill: tabletop\nduration: 5m\n"
                              "role: gm = GM\nfacilitator: gm\n```\n\n## The database\n"
                              "```opsdeck\ncheck: before\nrun: echo db is down; exit 1\n```\n\n"
                              "## Hello\n```opsdeck\nat: T+00\n```\nHello.\n";

/* web1's rollback names a server that does not exist: it cannot be restored */
static const char LIVE[] = "# Live unit\n\n```opsdeck\ndrill: live\nduration: 5m\n"
                           "role: gm = GM\nfacilitator: gm\n```\n\n## Drain web1\n```opsdeck\n"
                           "at: T+00\nchaos: pools drain be_web/web1\n"
                           "rollback: pools ready be_web/nosuch\n```\nweb1 goes.\n\n"
                           "## Drain web3\n```opsdeck\nat: T+05\nchaos: pools drain be_web/web3\n"
                           "rollback: pools ready be_web/web3\n```\nweb3 goes.\n";

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static char *screen_text(void *pane, WINDOW *win)
{
    drill_pane.draw(pane, win, &(struct pane_view){.number = 5, .focused = true});
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
    return drill_pane.key(pane, (wint_t)ch, false);
}

static void advance(void *pane, uint64_t ms)
{
    fake_now += ms;
    game_tick(drill_pane_game(pane));
    drill_pane.update(pane, fake_now);
}

int main(void)
{
    setlocale(LC_ALL, "C");
    setenv("USER", "carol", 1);
    char dir[] = "/tmp/opsdeck-dpane.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char *file = xasprintf("%s/tabletop.md", dir);
    FILE *f = fopen(file, "w");
    fputs(DRILL, f);
    fclose(f);

    FILE *out = fopen("/dev/null", "w");
    SCREEN *scr = newterm("xterm", out, stdin);
    if (scr == NULL) {
        tap_ok(false, "newterm(xterm) works");
        return tap_done();
    }
    WINDOW *win = newwin(30, 76, 0, 0);
    struct loop *loop = loop_create();
    struct game_env env = {.loop = loop, .runs_dir = dir, .now_ms = fake_clock, .no_timer = true};
    struct pane_host ph = {.ops = &host_ops, .host = NULL};
    char *cause = NULL;
    void *pane = drill_pane_start(&env, file, &ph, &cause);
    tap_ok(pane != NULL, "the pane starts a game (%s)", cause ? cause : "ok");
    if (pane == NULL) {
        return tap_done();
    }
    struct game *g = drill_pane_game(pane);
    drill_pane.resize(pane, 30, 76);
    tap_ok(drill_pane.update(pane, fake_now), "a new pane wants drawing");
    tap_ok(game_state(g) == GAME_READY, "no before check: ready");
    tap_ok(shows(pane, win, "5 [UNIT] Unit tabletop"), "the title has the label and the title");
    tap_ok(shows(pane, win, " ready "), "the state is in the border");
    tap_ok(shows(pane, win, "tabletop  T+00:00 / 10:00  ready"), "kind, clock and duration");
    tap_ok(shows(pane, win, game_run_id(g)), "the run id is on screen");
    tap_ok(shows(pane, win, "> T+00:00  Office lost -> ic [announce] NEXT in 0:00"),
           "the first inject is selected and due next");
    tap_ok(shows(pane, win, "conting. The CEO calls -> ic [email] pending"),
           "a contingency-only inject says so");
    tap_ok(key(pane, 'm') && strstr(host.message, "ERR") == NULL && host.answer != NULL,
           "m on a pending expectation asks who marks");
    tap_ok(strcmp(host.initial, "carol") == 0, "the scribe prompt is prefilled with $USER");
    host.answer(pane, "");
    tap_ok(strstr(host.prompt, "1.1 done at (T+MM:SS, Enter: now)") != NULL,
           "then it asks when it was done (%s)", host.prompt);
    host.answer(pane, "");
    tap_ok(strstr(host.message, "ERR") != NULL, "marking before the start is refused, said");

    key(pane, '\r');
    drill_pane.update(pane, fake_now);
    tap_ok(game_state(g) == GAME_RUNNING, "Enter starts the clock");
    tap_ok(shows(pane, win, "Office lost -> ic [announce] fired T+00:00"),
           "the first inject fired at T+00:00");
    tap_ok(shows(pane, win, "Replication lag -> ic [page] NEXT in 3:00"),
           "the next one counts down");
    tap_ok(shows(pane, win, "The office is being evacuated."), "the selected inject's text");
    tap_ok(shows(pane, win, ">1. [pending, 1:00 left] 10p Incident declared"),
           "its first expectation with the time left");
    advance(pane, 20000);
    tap_ok(shows(pane, win, "T+00:20"), "the clock moves");
    tap_ok(shows(pane, win, "[pending, 0:40 left] 10p Incident declared"), "the deadline nears");

    host.answer = NULL;
    key(pane, 'm');
    tap_ok(strstr(host.prompt, "1.1 met") != NULL, "m asks for expectation 1.1 (%s)", host.prompt);
    host.answer(pane, "dave");
    host.answer(pane, "T+99:00");
    tap_ok(strstr(host.message, "has not come yet") != NULL, "a time still to come is refused (%s)",
           host.message);
    key(pane, 'm');
    host.answer(pane, "dave");
    host.answer(pane, "T+00:10");
    tap_ok(game_expect_state(g, 0, 0) == EXPECT_MET, "marked met, done at T+00:10");
    tap_ok(strstr(host.message, "marked met by dave") != NULL, "the status says who (%s)",
           host.message);
    tap_ok(shows(pane, win, "[met] 10p Incident declared"), "shown met");
    tap_ok(key(pane, '2'), "2 selects the second expectation");
    key(pane, 'm');
    tap_ok(strcmp(host.initial, "dave") == 0, "the scribe's name is remembered");
    tap_ok(!key(pane, '3'), "3 is not an expectation here: the console gets it (pane switch)");

    key(pane, 'p');
    tap_ok(game_state(g) == GAME_PAUSED, "p pauses");
    advance(pane, 60000);
    tap_ok(shows(pane, win, "T+00:20 / 10:00  paused"), "the clock stands still while paused");
    key(pane, 'p');
    tap_ok(game_state(g) == GAME_RUNNING, "p resumes");
    advance(pane, 101000);
    tap_ok(game_expect_state(g, 0, 1) == EXPECT_MISSED, "the second expectation turned missed");
    tap_ok(game_inject_state(g, 2) == INJECT_FIRED, "its contingency fired");
    tap_ok(shows(pane, win, "> conting. The CEO calls -> ic [email] fired T+02:01"),
           "the selection follows the newest fired inject");
    key(pane, 'k');
    key(pane, 'k');
    tap_ok(shows(pane, win, "[missed] 4p Status page updated"), "k k: the missed one shown");
    tap_ok(shows(pane, win, "score 10/14"), "the score counts met and missed");

    key(pane, 'j');
    host.confirm = NULL;
    key(pane, 'f');
    tap_ok(host.confirm != NULL && strstr(host.dialog, "Fire inject 2 \"Replication lag\" now? "
                                                       "(due at T+03:00)") != NULL,
           "f asks before firing early (%s)", host.dialog);
    host.confirm(pane, false);
    tap_ok(game_inject_state(g, 1) == INJECT_PENDING, "Cancel does not fire");
    key(pane, 'f');
    host.confirm(pane, true);
    tap_ok(game_inject_state(g, 1) == INJECT_FIRED, "confirmed, it fires");
    drill_pane.update(pane, fake_now);
    tap_ok(strstr(host.message, "[UNIT] T+02:01 inject 2: Replication lag -> ic") != NULL,
           "a fired inject is said in the status line (%s)", host.message);

    key(pane, 'r');
    tap_ok(strstr(host.message, "ERR") != NULL && host.view_text == NULL,
           "r before the end is refused");
    key(pane, 'A');
    tap_ok(strcmp(host.must_type, "abort\nPINEAPPLE") == 0,
           "A wants the word abort (or the drill's abort word) typed");
    tap_ok(strstr(host.dialog, "Emergency stop|") == host.dialog,
           "the dialog is the emergency stop");
    host.confirm(pane, false);
    tap_ok(game_state(g) == GAME_RUNNING, "cancelled: still running");
    tap_ok(strstr(host.message, "cancelled: the drill goes on") != NULL,
           "a cancel is said, not silent (%s)", host.message);
    key(pane, 'n');
    host.answer(pane, "the CEO says PINEAPPLE");
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(game_state(g) == GAME_RUNNING, "the abort word inside a note is a note");
    key(pane, 'n');
    host.answer(pane, " pineapple ");
    for (int i = 0; i < 100 && game_state(g) != GAME_ABORTED; i++) {
        loop_run_once(loop, 10);
    }
    drill_pane.update(pane, fake_now);
    tap_ok(game_state(g) == GAME_ABORTED, "a note that is the abort word alone aborts");
    tap_ok(strstr(host.message, "aborted, score 10/14: r writes the report") != NULL,
           "the end is said in the status line (%s)", host.message);
    tap_ok(shows(pane, win, "r report"), "the hint offers the report");
    tap_ok(shows(pane, win, "aborted: abort word"), "why it aborted");
    mode_t old_mask = umask(022); /* the usual one: files are 0644 unless opsdeck says 0600 */
    key(pane, 'r');
    umask(old_mask);
    char *md = xasprintf("%s/%s.md", dir, game_run_id(g));
    tap_ok(access(md, R_OK) == 0, "r writes RUN-ID.md next to the journal");
    struct stat mst = {0};
    bool got = stat(md, &mst) == 0; /* before the call: its arguments' order is not fixed */
    tap_ok(got && (mst.st_mode & 0777) == 0600, "mode 0600, as all opsdeck writes (%o)",
           (unsigned)(mst.st_mode & 0777));
    tap_ok(host.view_text != NULL && strstr(host.view_text, "## Expectations") != NULL,
           "and shows the report in the viewer");
    free(md);

    drill_pane.free(pane);

    /* a shared drill: presence, claims beside the inject and the expectation, a proposal */
    char *file5 = write_file(dir, "shared.md", DRILL);
    pane = drill_pane_start(&env, file5, &ph, &cause);
    tap_ok(pane != NULL, "the shared drill opens (%s)", cause ? cause : "ok");
    if (pane != NULL) {
        g = drill_pane_game(pane);
        drill_pane.resize(pane, 30, 76);
        char *alone = screen_text(pane, win);
        tap_ok(strstr(alone, "participant") == NULL && strstr(alone, "is on it") == NULL,
               "a drill nobody shares shows no people");
        free(alone);
        static const char *const people[][3] = {
            {"alice", "join", "{\"role\":\"driver\",\"via\":\"local\"}"},
            {"bob", "join", "{\"role\":\"participant\",\"via\":\"unix\"}"},
            {"bob", "claim", "{\"inject\":\"office-lost\",\"expect\":1}"},
            {"carol", "join", "{\"role\":\"participant\",\"via\":\"nats\"}"},
            {"carol", "claim", "{\"inject\":\"office-lost\"}"},
            {"carol", "propose", "{\"text\":\"fire the CEO call now\"}"},
        };
        for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
            game_set_actor(g, people[i][0], "bastion");
            char *why = NULL;
            if (!game_record(g, people[i][1], cJSON_Parse(people[i][2]), &why)) {
                tap_diag("%s %s: %s", people[i][0], people[i][1], why);
                free(why);
            }
            game_set_actor(g, NULL, NULL);
        }
        tap_ok(shows(pane, win, "alice driver, bob participant, carol participant"),
               "one presence line with the roles");
        tap_ok(shows(pane, win, "Office lost -> ic [announce] NEXT in 0:00  - carol is on it"),
               "carol is on the inject, beside it");
        tap_ok(shows(pane, win, "2. [pending] 4p Status page updated  - bob is on it"),
               "bob is on the second expectation, beside it");
        tap_ok(shows(pane, win, ">1. [pending] 10p Incident declared          "),
               "nobody on the first expectation: nothing beside it");
        tap_ok(shows(pane, win, "carol proposes: fire the CEO call now"), "the latest proposal");
        drill_pane.free(pane);
    }
    free(file5);

    /* what only lint finds does not refuse the drill: it is said once it is on screen */
    char *file2 = xasprintf("%s/notify.md", dir);
    f = fopen(file2, "w");
    fputs("# Notify\n\n```opsdeck\ndrill: tabletop\nduration: 5m\nsandbox_env: "
          "UNIT_UNSET_HOOK\nrole: gm = GM\nfacilitator: gm\n```\n\n## Hello\n```opsdeck\n"
          "at: T+00\nnotify: hello\n```\nHello.\n",
          f);
    fclose(f);
    unsetenv("UNIT_UNSET_HOOK");
    host.message[0] = '\0';
    pane = drill_pane_start(&env, file2, &ph, &cause);
    tap_ok(pane != NULL, "a drill with a lint warning still opens (%s)", cause ? cause : "ok");
    if (pane != NULL) {
        drill_pane.update(pane, fake_now);
        tap_ok(strstr(host.message, "warning") != NULL &&
                   strstr(host.message, "UNIT_UNSET_HOOK") != NULL,
               "the warning is said (%s)", host.message);
        drill_pane.free(pane);
    }
    free(file2);

    /* a failing before check blocks, and says which and why */
    char *file3 = write_file(dir, "blocked.md", BLOCKED);
    pane = drill_pane_start(&env, file3, &ph, &cause);
    tap_ok(pane != NULL, "the blocked drill opens (%s)", cause ? cause : "ok");
    if (pane != NULL) {
        g = drill_pane_game(pane);
        for (int i = 0; i < 300 && game_state(g) == GAME_CHECKING; i++) {
            loop_run_once(loop, 10);
        }
        tap_ok(game_state(g) == GAME_BLOCKED, "a failing before check blocks the drill");
        tap_ok(shows(pane, win, " blocked "), "blocked in the border");
        tap_ok(shows(pane, win, "before FAILED The database: exit 1"), "the check FAILED");
        tap_ok(shows(pane, win, "db is down"), "with why");
        tap_ok(shows(pane, win, "blocked by a before check"), "the hint says what is left");
        key(pane, '\r');
        tap_ok(game_state(g) == GAME_BLOCKED &&
                   strstr(host.message, "ERR a before check failed") != NULL,
               "Enter does not start a blocked drill (%s)", host.message);
        drill_pane.free(pane);
    }
    free(file3);

    /* live: the fire dialog lists the chaos; a rollback that fails is said plainly */
    struct store *store = store_create();
    struct backend *demo = backend_create(&demo_backend, "demo", store, NULL);
    backend_configure(demo, "seed", "4", &cause);
    backend_configure(demo, "mode", "still", &cause);
    demo->impl->poll(demo);
    char *audit_path = xasprintf("%s/audit.jsonl", dir);
    struct journal *audit = journal_open(audit_path, &cause);
    action_setup(audit, false);
    struct game_env lenv = env;
    lenv.store = store;
    lenv.backends = &demo;
    lenv.nbackends = 1;
    char *file4 = write_file(dir, "live.md", LIVE);
    pane = drill_pane_start(&lenv, file4, &ph, &cause);
    tap_ok(pane != NULL, "the live drill opens (%s)", cause ? cause : "ok");
    if (pane != NULL) {
        g = drill_pane_game(pane);
        key(pane, 'S');
        advance(pane, 100);
        tap_ok(shows(pane, win, "chaos pools drain be_web/web1: active"), "the chaos is active");
        key(pane, 'j');
        key(pane, 'f');
        tap_ok(strstr(host.dialog, "pools drain be_web/web3 (rollback: pools ready be_web/web3)") !=
                   NULL,
               "the fire dialog lists the chaos and its rollback");
        host.confirm(pane, false);
        key(pane, 'A');
        host.confirm(pane, true);
        for (int i = 0; i < 300 && game_state(g) != GAME_ABORTED; i++) {
            loop_run_once(loop, 10);
        }
        drill_pane.update(pane, fake_now);
        tap_ok(game_state(g) == GAME_ABORTED, "A (confirmed) aborts");
        tap_ok(shows(pane, win, "NOT RESTORED: pools drain be_web/web1"),
               "the banner says what could not be restored");
        key(pane, 'k');
        tap_ok(shows(pane, win, "chaos pools drain be_web/web1: NOT RESTORED"),
               "the chaos line says it too");
        drill_pane.free(pane);
    }
    free(file4);
    action_setup(NULL, false);
    journal_close(audit);
    free(audit_path);
    backend_destroy(demo);
    store_destroy(store);
    free(host.view_text);
    loop_destroy(loop);
    delwin(win);
    endwin();
    delscreen(scr);
    fclose(out);
    free(file);
    char *rm = xasprintf("rm -rf '%s'", dir);
    tap_ok(system(rm) == 0, "cleanup");
    free(rm);
    return tap_done();
}
