/*
 * Hidden information, attachments, per-role hooks, randomness and branches
 * (engine/drill_extra.h): what the parser reads and refuses, where an
 * inject's notify goes, and a tabletop game on a fake clock whose drawn
 * offset is journaled and comes back on resume, and whose choice skips the
 * other branch and holds a branch inject until its option is picked.
 */
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/drill_extra.h"
#include "../../engine/game.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char DRILL[] = "# Flood\n\n"
                            "Only the facilitator reads this.\n\n"
                            "```opsdeck\n"
                            "drill: tabletop\n"
                            "duration: 30m\n"
                            "intro: facilitator\n"
                            "seed: 42\n"
                            "sandbox_env: SANDBOX_HOOK\n"
                            "role: gm = Game master\n"
                            "role: ic = Incident commander\n"
                            "role: db = DB expert\n"
                            "facilitator: gm\n"
                            "notify_ic: IC_HOOK\n"
                            "notify_db: DB_HOOK\n"
                            "```\n\n"
                            "## Water\n"
                            "```opsdeck\n"
                            "at: T+00\n"
                            "to: all\n"
                            "hidden: the pumps fail at T+10 # not a comment\n"
                            "choice: failover -> db-failover | wait -> db-wait, db-later\n"
                            "```\n"
                            "Water is coming in.\n\n"
                            "```\n"
                            "12:01:03 ERROR  disk   I/O error\n"
                            "| a | b |\n"
                            "```\n\n"
                            "See ![floor plan](https://wiki.example/b.png) now.\n\n"
                            "## Fail over\n"
                            "```opsdeck\n"
                            "id: db-failover\n"
                            "at: contingency\n"
                            "to: db\n"
                            "```\n"
                            "You fail over.\n\n"
                            "## Wait\n"
                            "```opsdeck\n"
                            "id: db-wait\n"
                            "at: T+10..15\n"
                            "to: db, ic\n"
                            "```\n"
                            "You wait.\n\n"
                            "## Later\n"
                            "```opsdeck\n"
                            "id: db-later\n"
                            "at: T+20\n"
                            "to: db\n"
                            "```\n"
                            "Later.\n\n"
                            "## Facilitator notes\n\n"
                            "Keep the CEO call for later.\n";

static uint64_t fake_now = 5000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static struct drill *parse(const char *md)
{
    char *cause = NULL;
    struct drill *d = drill_parse(md, strlen(md), "x.md", &cause);
    free(cause);
    return d;
}

static bool has_issue(const struct drill *d, const char *text)
{
    for (size_t i = 0; d != NULL && i < d->nissues; i++) {
        if (strstr(d->issues[i].message, text) != NULL) {
            return true;
        }
    }
    return false;
}

static void test_parse(void)
{
    struct drill *d = parse(DRILL);
    if (!tap_ok(d != NULL && d->nissues == 0, "the drill parses (%s)",
                d && d->nissues ? d->issues[0].message : "ok")) {
        drill_free(d);
        return;
    }
    const struct drill_inject *w = &d->injects[drill_find_inject(d, "water")];
    tap_ok(d->intro_facilitator && strstr(d->intro, "Only the facilitator") != NULL,
           "intro: facilitator is read");
    tap_ok(d->seeded && d->seed == 42, "seed: 42 is read");
    tap_is_str(d->facilitator_notes, "Keep the CEO call for later.", "the Facilitator notes");
    tap_is_str(w->hidden, "the pumps fail at T+10 # not a comment", "hidden: is taken whole");
    tap_is_str(w->text,
               "Water is coming in.\n\n```\n12:01:03 ERROR  disk   I/O error\n| a | b |\n```\n\n"
               "See [image: floor plan <https://wiki.example/b.png>] now.",
               "the code block stays in the text as written, the image as its URL");
    tap_ok(w->to_all && w->nto == 3 && strcmp(w->to[0], "gm") == 0 && strcmp(w->to[2], "db") == 0,
           "to: all is every role");
    tap_ok(w->nchoices == 2 && strcmp(w->choices[0].option, "failover") == 0 &&
               w->choices[1].ninjects == 2 && strcmp(w->choices[1].injects[1], "db-later") == 0,
           "the choice's options and their injects");
    tap_ok(w->chosen == -1, "nothing is chosen before the game");
    const struct drill_inject *wait = &d->injects[drill_find_inject(d, "db-wait")];
    tap_ok(wait->at_min_s == 600 && wait->at_max_s == 900 && wait->at_s == 600,
           "at: T+10..15 is 600..900 s");
    tap_ok(strcmp(d->roles[1].notify_env, "IC_HOOK") == 0 && d->roles[0].notify_env == NULL,
           "notify_ic names the IC's hook");
    tap_ok(drill_extra_draw(wait, 42) == drill_extra_draw(wait, 42) &&
               drill_extra_draw(wait, 42) >= 600 && drill_extra_draw(wait, 42) <= 900,
           "a draw is in the range and the same for the same seed");
    bool spread = false;
    for (unsigned long long s = 1; s < 50 && !spread; s++) {
        spread = drill_extra_draw(wait, s) != drill_extra_draw(wait, 0);
    }
    tap_ok(spread, "another seed draws another offset");

    /* where the notify of the first inject goes: gm has no hook (the sandbox), ic and db theirs */
    const char *envs[8];
    size_t n = drill_extra_notify_envs(d, w, "SANDBOX_HOOK", envs, 8);
    tap_ok(n == 3 && strcmp(envs[0], "IC_HOOK") == 0 && strcmp(envs[1], "DB_HOOK") == 0 &&
               strcmp(envs[2], "SANDBOX_HOOK") == 0,
           "to: all notifies each role's hook once and the sandbox for the one without");
    n = drill_extra_notify_envs(d, wait, "SANDBOX_HOOK", envs, 8);
    tap_ok(n == 2 && strcmp(envs[0], "DB_HOOK") == 0 && strcmp(envs[1], "IC_HOOK") == 0,
           "two roles with hooks: no sandbox");
    char *lines = drill_extra_facilitator_lines(w);
    tap_ok(lines != NULL && strstr(lines, "facilitator only: the pumps") != NULL &&
               strstr(lines, "choice: 1. failover -> db-failover | 2. wait -> db-wait, db-later"),
           "the facilitator's lines: hidden text and choice");
    free(lines);
    tap_ok(!drill_extra_uses_panes(d), "a tabletop without pane checks takes the screen");
    drill_free(d);
}

static void test_refused(void)
{
    static const struct {
        const char *from, *to, *issue;
    } bad[] = {
        {"at: T+10..15\n", "at: T+15..10\n", "bad range 'T+15..10'"},
        {"at: T+10..15\n", "at: T+10..45\n", "may be after the end"},
        {"intro: facilitator\n", "intro: sometimes\n", "bad intro 'sometimes'"},
        {"seed: 42\n", "seed: lots\n", "bad seed 'lots'"},
        {"notify_db: DB_HOOK\n", "notify_ops: OPS_HOOK\n", "notify_ops: 'ops' is not a role"},
        {"notify_db: DB_HOOK\n", "notify_db: not a var\n", "name of an environment variable"},
        {"choice: failover -> db-failover | wait -> db-wait, db-later\n",
         "choice: failover -> db-failover\n", "at least two options"},
        {"choice: failover -> db-failover | wait -> db-wait, db-later\n",
         "choice: failover -> nowhere | wait -> db-wait\n", "'nowhere' is not an inject"},
        {"choice: failover -> db-failover | wait -> db-wait, db-later\n",
         "choice: failover db-failover | wait -> db-wait\n", "choice needs OPTION -> INJECT"},
        {"Water is coming in.\n", "Water <b>is</b> coming in.\n", "raw HTML"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *at = strstr(DRILL, bad[i].from);
        char *md =
            xasprintf("%.*s%s%s", (int)(at - DRILL), DRILL, bad[i].to, at + strlen(bad[i].from));
        struct drill *d = parse(md);
        tap_ok(has_issue(d, bad[i].issue), "refused: %s (%s)", bad[i].issue,
               d && d->nissues ? d->issues[0].message : "accepted");
        drill_free(d);
        free(md);
    }
    /* an HTML comment is meant not to be shown: no warning */
    const char *at = strstr(DRILL, "Water is coming in.\n");
    char *md = xasprintf("%.*s<!-- for authors -->\n%s", (int)(at - DRILL), DRILL, at);
    struct drill *d = parse(md);
    tap_ok(d != NULL && d->nissues == 0, "an HTML comment is no issue");
    drill_free(d);
    free(md);
}

static const char *journal_of(const char *dir, const char *id)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, id);
    return path;
}

static int count_in(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int n = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        n += strstr(line, needle) != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void advance(struct game *g, uint64_t ms)
{
    for (uint64_t t = 0; t < ms; t += 1000) {
        fake_now += 1000;
        game_tick(g);
    }
}

static void test_game(const char *dir, struct loop *loop)
{
    struct game_env env = {.loop = loop, .runs_dir = dir, .now_ms = fake_clock, .no_timer = true};
    char *cause = NULL;
    char *file = xasprintf("%s/flood.md", dir); /* resume reloads the drill from its file */
    FILE *f = fopen(file, "w");
    fputs(DRILL, f);
    fclose(f);
    struct game *g = game_start(&env, drill_load(file, &cause), NULL, &cause);
    free(file);
    if (!tap_ok(g != NULL, "the game starts (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    const struct drill *d = game_drill(g);
    size_t wi = (size_t)drill_find_inject(d, "db-wait"),
           fi = (size_t)drill_find_inject(d, "db-failover"),
           li = (size_t)drill_find_inject(d, "db-later"),
           water = (size_t)drill_find_inject(d, "water");
    int drawn = d->injects[wi].at_s;
    tap_ok(drawn >= 600 && drawn <= 900 && drawn == drill_extra_draw(&d->injects[wi], 42),
           "the offset was drawn at start from seed 42 (T+%d:%02d)", drawn / 60, drawn % 60);
    char *id = xstrdup(game_run_id(g));
    const char *path = journal_of(dir, id);
    tap_ok(count_in(path, "\"drill.draw\"") == 1 && count_in(path, "\"seed\":\"42\"") == 1,
           "drill.draw is journaled once, with the seed");
    for (int i = 0; i < 5 && game_state(g) != GAME_READY; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(game_begin(g, &cause), "the clock starts");
    advance(g, 2000);
    tap_ok(game_inject_state(g, water) == INJECT_FIRED, "the first inject fired");
    tap_ok(!game_choose(g, water, "swim", &cause) && strstr(cause, "no option 'swim'") != NULL,
           "an unknown option is refused (%s)", cause ? cause : "accepted");
    free(cause);
    cause = NULL;
    advance(g, 1000 * 60 * 16);
    tap_ok(game_inject_state(g, wi) == INJECT_PENDING,
           "past its time, a branch inject waits for its choice");
    tap_ok(game_pause(g, &cause), "paused");
    game_destroy(g, false);

    /* resume: the same drawn offset, the choice still open */
    g = game_resume(&env, id, NULL, &cause);
    if (!tap_ok(g != NULL, "the drill resumes (%s)", cause ? cause : "ok")) {
        free(cause);
        free(id);
        return;
    }
    d = game_drill(g);
    tap_ok(d->injects[wi].at_s == drawn, "the resumed drill fires at the drawn offset");
    tap_ok(game_resume_clock(g, &cause), "the clock runs again");
    tap_ok(game_choose(g, water, "2", &cause), "option 2 (wait) is picked by number");
    tap_ok(game_inject_state(g, fi) == INJECT_SKIPPED, "the other branch is skipped");
    advance(g, 2000);
    tap_ok(game_inject_state(g, wi) == INJECT_FIRED, "the picked branch fires on the clock");
    tap_ok(game_inject_state(g, li) == INJECT_PENDING, "its later inject waits for T+20");
    tap_ok(!game_choose(g, water, "failover", &cause) && strstr(cause, "chosen already") != NULL,
           "a choice is made once");
    tap_ok(count_in(path, "\"action\":\"choice\"") == 1 &&
               count_in(path, "\"option\":\"wait\"") == 1,
           "choice {inject, option} is journaled");
    free(cause);
    game_destroy(g, false);
    free(id);
}

int main(void)
{
    char dir[] = "/tmp/opsdeck-drillextra.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    setenv("XDG_STATE_HOME", dir, 1);
    unsetenv("OPSDECK_DRILL_SEED");
    struct loop *loop = loop_create();
    test_parse();
    test_refused();
    test_game(dir, loop);
    loop_destroy(loop);
    char *rm = xasprintf("rm -rf %s", dir);
    tap_ok(system(rm) == 0, "cleaned up");
    free(rm);
    return tap_done();
}
