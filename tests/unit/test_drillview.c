/*
 * engine/drillview.c: a drill's view built from its event stream. A real
 * game of a tabletop drill on a fake drill clock, seen three ways: the game
 * itself, the owner's view (history, then subscribed, as the drill pane
 * does) and a follower's view (runlog_follow on the journal, as a second
 * console would). The owner's view says exactly what the game says; the
 * follower, reading the file alone, agrees on the state, the injects, the
 * expectations and the score.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/drillview.h"
#include "../../engine/game.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char DRILL[] = "# View tabletop\n"
                            "\n"
                            "```opsdeck\n"
                            "drill: tabletop\n"
                            "duration: 10m\n"
                            "role: gm = Game master\n"
                            "role: ic = Incident commander\n"
                            "facilitator: gm\n"
                            "```\n"
                            "\n"
                            "## Office lost\n"
                            "```opsdeck\n"
                            "at: T+00\n"
                            "to: ic\n"
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
                            "```\n"
                            "Replication lag is 900 s.\n"
                            "\n"
                            "## The CEO calls\n"
                            "```opsdeck\n"
                            "id: ceo-calls\n"
                            "at: contingency\n"
                            "to: ic\n"
                            "```\n"
                            "Why is nobody telling me anything?\n";

static uint64_t fake_now = 7000000;
static struct loop *loop;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static void advance(struct game *g, uint64_t ms)
{
    fake_now += ms;
    game_tick(g);
    uint64_t end = clock_mono_ms() + 80;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 10); /* the follower looks every 10 ms */
    }
}

static bool same_injects(const struct game *g, const struct drillview *v)
{
    const struct drill *d = game_drill(g);
    for (size_t i = 0; i < d->ninjects; i++) {
        if (game_inject_state(g, i) != drillview_inject_state(v, i) ||
            game_inject_fired_ms(g, i) != drillview_inject_fired_ms(v, i)) {
            return false;
        }
        for (size_t e = 0; e < d->injects[i].nexpects; e++) {
            if (game_expect_state(g, i, e) != drillview_expect_state(v, i, e)) {
                return false;
            }
        }
    }
    int m1 = 0, m2 = 0;
    return game_score(g, &m1) == drillview_score(v, &m2) && m1 == m2;
}

static void owner_agrees(const struct game *g, const struct drillview *v, const char *when)
{
    const char *a = game_message(g), *b = drillview_message(v);
    bool ok = game_state(g) == drillview_state(v) && game_clock_ms(g) == drillview_clock_ms(v) &&
              same_injects(g, v) &&
              ((a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0)) &&
              game_closing(g) == drillview_closing(v);
    tap_ok(ok, "%s: the owner's view says what the game says", when);
    if (!ok) {
        tap_diag("game: state %d clock %llu '%s'; view: state %d clock %llu '%s'", game_state(g),
                 (unsigned long long)game_clock_ms(g), a ? a : "(null)", drillview_state(v),
                 (unsigned long long)drillview_clock_ms(v), b ? b : "(null)");
    }
}

static void follower_agrees(const struct game *g, const struct drillview *f, const char *when)
{
    bool ok = game_state(g) == drillview_state(f) && same_injects(g, f);
    tap_ok(ok, "%s: a follower agrees on the state, injects and score", when);
    if (!ok) {
        tap_diag("game: state %d; follower: state %d", game_state(g), drillview_state(f));
    }
}

int main(void)
{
    char tmpl[] = "/tmp/opsdeck-drillview-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (dir == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char *file = xasprintf("%s/view.md", dir);
    FILE *fp = fopen(file, "w");
    fputs(DRILL, fp);
    fclose(fp);
    loop = loop_create();
    struct game_env env = {.loop = loop, .runs_dir = dir, .now_ms = fake_clock, .no_timer = true};
    char *cause = NULL;
    struct drill *d = drill_load(file, &cause);
    struct game *g = d != NULL ? game_start(&env, d, NULL, &cause) : NULL;
    if (!tap_ok(g != NULL, "a game starts (%s)", cause != NULL ? cause : "")) {
        return tap_done();
    }
    struct drillview *v = drillview_create(game_drill(g), fake_clock, NULL);
    game_history(g, drillview_apply, v, &cause);
    game_subscribe(g, drillview_apply, v);
    struct drill *fd = drill_load(file, &cause);
    struct drillview *f = drillview_create(fd, fake_clock, NULL);
    struct runlog_follow *fl = runlog_follow(loop, game_journal(g), 10, drillview_apply, f, &cause);
    advance(g, 0);
    tap_is_str(drillview_id(f), game_run_id(g), "the follower knows the run");
    owner_agrees(g, v, "ready");
    follower_agrees(g, f, "ready");

    tap_ok(game_begin(g, &cause), "the clock starts");
    advance(g, 1000);
    owner_agrees(g, v, "running");
    follower_agrees(g, f, "running");
    tap_ok(game_mark(g, 0, 0, true, "scribe", &cause), "an expectation met");
    advance(g, 125000); /* the second expectation is missed: the contingency fires */
    owner_agrees(g, v, "missed, contingency");
    follower_agrees(g, f, "missed, contingency");
    tap_is_int(drillview_inject_state(f, 2), INJECT_FIRED, "the follower saw the contingency");
    tap_ok(game_pause(g, &cause), "paused");
    advance(g, 5000);
    owner_agrees(g, v, "paused");
    follower_agrees(g, f, "paused");
    tap_ok(drillview_clock_ms(v) == game_clock_ms(g), "the clock stands still in the view too");
    tap_ok(game_resume_clock(g, &cause) && game_end(g, &cause), "resumed, then ended");
    advance(g, 100);
    owner_agrees(g, v, "ended");
    follower_agrees(g, f, "ended");
    int max = 0;
    tap_ok(drillview_score(f, &max) == 10 && max == 14, "the follower scores 10/14");

    runlog_unfollow(fl);
    game_unsubscribe(g, drillview_apply, v);
    drillview_destroy(v);
    drillview_destroy(f);
    drill_free(fd);
    game_destroy(g, false);
    loop_destroy(loop);
    free(cause);
    free(file);
    char *rm = xasprintf("rm -rf '%s'", dir);
    tap_ok(system(rm) == 0, "temporary directory removed");
    free(rm);
    return tap_done();
}
