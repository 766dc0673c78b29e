/*
 * Fair scores (docs/drills.md "Scores"): expectations with @role and #tags
 * (and lint of them), on_miss, the score rules from a journal
 * (engine/drill_score.c: planned denominator, not reached, skipped, late by
 * at_ms, undo, the same score whatever order the lines come in, roll-ups per
 * role and per tag, milestones, the biggest misses), and the game on a fake
 * clock: met / late decided by the time the team responded, not reached at
 * an early end, the drill extended, on_miss firing its contingency, undo.
 */
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/drill_score.h"
#include "../../engine/game.h"
#include "../../engine/runlog.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp[64];
static uint64_t fake_now = 1000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static const char DRILL[] = "# Score day\n\n```opsdeck\n"
                            "drill: tabletop\nduration: 20m\n"
                            "objective: comms = Tell customers early\n"
                            "objective: Keep calm\n"
                            "role: gm = Game master\nrole: ic = Incident commander\n"
                            "role: scribe = Scribe\nfacilitator: gm\n```\n\n"
                            "## Alert fires\n```opsdeck\nat: T+00\nto: ic\n"
                            "expect: @ic #detect 2m 10 Alert acknowledged\n"
                            "expect: @ic #declare #comms 5m 20 SEV1 declared # a comment\n"
                            "on_miss: ceo-calls\n"
                            "expect: 10m 4 Status page updated\n```\nAn alert.\n\n"
                            "## Late news\n```opsdeck\nat: T+15\nto: ic\n"
                            "expect: @scribe #mitigate 3m 6 Timeline written\n```\nNews.\n\n"
                            "## CEO calls\n```opsdeck\nat: contingency\nto: ic\n"
                            "expect: 2m 5 CEO answered\n```\nThe CEO.\n\n"
                            "## Report\n- What went well\n- Action items\n";

static struct drill *parse(const char *text)
{
    char *cause = NULL;
    struct drill *d = drill_parse(text, strlen(text), "/nonexistent/score.md", &cause);
    free(cause);
    return d;
}

static void test_parse(void)
{
    struct drill *d = parse(DRILL);
    tap_ok(d != NULL && d->nissues == 0, "a drill with roles and tags on expectations parses");
    if (d == NULL || d->nissues > 0) {
        for (size_t i = 0; d != NULL && i < d->nissues; i++) {
            tap_diag("%d: %s", d->issues[i].line, d->issues[i].message);
        }
        drill_free(d);
        return;
    }
    const struct drill_expect *x = &d->injects[0].expects[1];
    tap_ok(x->role != NULL && strcmp(x->role, "ic") == 0, "@ic is the expectation's role");
    tap_ok(x->ntags == 2 && strcmp(x->tags[0], "declare") == 0 && strcmp(x->tags[1], "comms") == 0,
           "#declare #comms are its tags");
    tap_ok(strcmp(x->text, "SEV1 declared") == 0 && x->deadline_s == 300 && x->points == 20,
           "deadline, points, text after them; a comment is dropped");
    tap_ok(x->on_miss != NULL && strcmp(x->on_miss, "ceo-calls") == 0,
           "on_miss after an expect: belongs to that expectation");
    tap_ok(d->injects[0].expects[0].on_miss == NULL && d->injects[0].contingency == NULL,
           "... and to no other");
    tap_ok(d->injects[0].expects[2].role == NULL && d->injects[0].expects[2].ntags == 0,
           "an expectation without @ or # has neither");
    tap_ok(d->nobjectives == 2 && strcmp(d->objectives[0], "Tell customers early") == 0 &&
               strcmp(d->objective_ids[0], "comms") == 0 && d->objective_ids[1] == NULL,
           "objective: ID = text, the ID optional");
    tap_ok(drill_prompt_count(d) == 2 && strcmp(drill_prompt(d, 0), "What went well") == 0,
           "## Report items are debrief prompts");
    drill_free(d);

    d = parse("# D\n\n```opsdeck\ndrill: tabletop\nrole: ic = IC\nfacilitator: ic\n```\n\n"
              "## A\n```opsdeck\nat: T+00\nto: ic\non_miss: b\nexpect: 2m 1 x\n```\nA.\n\n"
              "## B\n```opsdeck\nat: contingency\nto: ic\n```\nB.\n");
    tap_ok(d != NULL && d->nissues == 0 && d->injects[0].contingency != NULL &&
               strcmp(d->injects[0].contingency, "b") == 0 &&
               d->injects[0].expects[0].on_miss == NULL,
           "on_miss before any expect: is the inject's contingency");
    drill_free(d);

    static const struct {
        const char *expect, *message;
    } bad[] = {
        {"expect: @cook 2m 1 x", "role '@cook' of the expectation is not declared"},
        {"expect: #speed 2m 1 x", "tag '#speed' is neither an objective id"},
        {"expect: @ 2m 1 x", "'@' needs a word right after it"},
        {"expect: @ic @gm 2m 1 x", "two roles (@ic, @gm)"},
        {"expect: 2m 1 x\non_miss: late-news", "on_miss 'late-news' is not a contingency inject"},
        {"expect: 2m 1 x\non_miss: nope", "on_miss 'nope' is not an inject"},
        {"expect: @ic #detect x 1 y", "expect needs DEADLINE POINTS TEXT"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = xasprintf("# D\n\n```opsdeck\ndrill: tabletop\nrole: ic = IC\nfacilitator: "
                               "ic\n```\n\n## A\n```opsdeck\nat: T+00\nto: ic\n%s\n```\nA.\n\n"
                               "## Late news\n```opsdeck\nat: T+01\nto: ic\n```\nB.\n",
                               bad[i].expect);
        d = parse(text);
        bool found = false;
        for (size_t k = 0; d != NULL && k < d->nissues && !found; k++) {
            found = strstr(d->issues[k].message, bad[i].message) != NULL;
        }
        tap_ok(found, "lint: %s", bad[i].message);
        drill_free(d);
        free(text);
    }
}

/* ---- the score from a journal ---- */

static cJSON *line(int seq, const char *action, const char *data)
{
    char *s = xasprintf("{\"seq\":%d,\"action\":\"%s\",\"data\":%s}", seq, action, data);
    cJSON *o = cJSON_Parse(s);
    free(s);
    return o;
}

/* A journal: two clock injects (one never fired), a skipped one, a contingency nobody fired. */
static size_t journal(cJSON **ev, bool ended)
{
    size_t n = 0;
    ev[n++] = line(1, "run.start",
                   "{\"kind\":\"drill\",\"objective_ids\":[\"comms\"],\"objectives\":[\"Tell\"],"
                   "\"prompts\":[\"What went well\"],\"plan\":["
                   "{\"id\":\"a\",\"title\":\"A\",\"at_s\":0,\"expects\":["
                   "{\"text\":\"ack\",\"deadline_s\":120,\"points\":10,\"role\":\"ic\","
                   "\"tags\":[\"detect\"]},"
                   "{\"text\":\"sev1\",\"deadline_s\":300,\"points\":20,\"role\":\"ic\","
                   "\"tags\":[\"declare\",\"comms\"]},"
                   "{\"text\":\"status\",\"deadline_s\":600,\"points\":4,\"role\":null,"
                   "\"tags\":[]}]},"
                   "{\"id\":\"b\",\"title\":\"B\",\"at_s\":900,\"expects\":["
                   "{\"text\":\"timeline\",\"deadline_s\":180,\"points\":6,\"role\":\"scribe\","
                   "\"tags\":[\"mitigate\"]}]},"
                   "{\"id\":\"s\",\"title\":\"S\",\"at_s\":60,\"expects\":["
                   "{\"text\":\"skipped one\",\"deadline_s\":60,\"points\":3}]},"
                   "{\"id\":\"c\",\"title\":\"C\",\"at_s\":-1,\"expects\":["
                   "{\"text\":\"ceo\",\"deadline_s\":60,\"points\":50}]}]}");
    ev[n++] = line(2, "drill.start", "{\"t_ms\":0}");
    ev[n++] = line(3, "inject.fire", "{\"id\":\"a\",\"why\":\"clock\",\"t_ms\":2000}");
    ev[n++] = line(4, "expect",
                   "{\"inject\":\"a\",\"index\":0,\"status\":\"met\",\"t_ms\":200000,"
                   "\"at_ms\":62000,\"by\":\"bob\"}");
    ev[n++] = line(5, "inject.skip", "{\"id\":\"s\",\"t_ms\":3000}");
    ev[n++] = line(6, "expect",
                   "{\"inject\":\"a\",\"index\":1,\"status\":\"late\",\"t_ms\":400000,"
                   "\"at_ms\":400000}");
    ev[n++] = line(7, "expect",
                   "{\"inject\":\"a\",\"index\":2,\"status\":\"met\",\"t_ms\":410000,"
                   "\"at_ms\":410000}");
    ev[n++] = line(8, "undo",
                   "{\"inject\":\"a\",\"index\":2,\"status\":\"pending\",\"of_seq\":7,"
                   "\"t_ms\":411000}");
    if (ended) {
        ev[n++] = line(9, "expect",
                       "{\"inject\":\"a\",\"index\":2,\"status\":\"not_reached\","
                       "\"t_ms\":420000}");
        ev[n++] = line(10, "run.end", "{\"how\":\"finished\",\"t_ms\":420000}");
    }
    return n;
}

static const struct dscore_group *grp(const struct dscore_group *g, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(g[i].key, key) == 0) {
            return &g[i];
        }
    }
    return NULL;
}

static void test_rules(void)
{
    cJSON *ev[16];
    size_t n = journal(ev, true);
    struct dscore s;
    dscore_compute(&s, (const cJSON *const *)ev, n);
    /* planned: a (10+20+4) + b (6, never fired: not reached) + s (3, skipped); c never fired */
    tap_ok(s.nitems == 5, "planned: every clock inject's expectations, not the idle contingency");
    tap_ok(s.points == 20 && s.max == 33,
           "score 20 of 33: met 10 + late 20/2; not reached (status, timeline) left out, the "
           "skipped one counts (got %d of %d)",
           s.points, s.max);
    tap_ok(s.count[DS_MET] == 1 && s.count[DS_LATE] == 1 && s.count[DS_SKIPPED] == 1 &&
               s.count[DS_NOT_REACHED] == 2,
           "counts: 1 met, 1 late, 1 skipped, 2 not reached");
    char *text = dscore_text(&s);
    tap_ok(strcmp(text, "20 of 33 points (61%)") == 0, "the text: %s", text);
    free(text);
    const struct dscore_group *ic = grp(s.roles, s.nroles, "ic");
    tap_ok(ic != NULL && ic->points == 20 && ic->max == 30, "roll-up @ic: 20 of 30");
    const struct dscore_group *sc = grp(s.roles, s.nroles, "scribe");
    tap_ok(sc != NULL && sc->max == 0 && sc->count[DS_NOT_REACHED] == 1,
           "roll-up @scribe: its only one not reached, outside the score");
    const struct dscore_group *comms = grp(s.tags, s.ntags, "comms");
    tap_ok(comms != NULL && comms->points == 10 && comms->max == 20,
           "roll-up per objective #comms: 10 of 20");
    tap_ok(s.milestone_ms[0] == 62000 && s.milestone_ms[1] == 400000 && s.milestone_ms[2] == -1,
           "milestones: detect when the team responded (at_ms), declare late, mitigate never");
    tap_ok(s.first_fired_ms == 2000, "the first inject fired at T+00:02");
    size_t miss[3];
    size_t nm = dscore_misses(&s, miss, 3);
    tap_ok(nm == 2 && strcmp(s.items[miss[0]].text, "sev1") == 0 &&
               strcmp(s.items[miss[1]].text, "skipped one") == 0,
           "biggest misses by points lost: sev1 (10 lost), then the skipped one (3)");

    /* the same lines in another order: the same score (seq decides) */
    cJSON *rev[16];
    for (size_t i = 0; i < n; i++) {
        rev[i] = ev[n - 1 - i];
    }
    struct dscore s2;
    dscore_compute(&s2, (const cJSON *const *)rev, n);
    tap_ok(s2.points == s.points && s2.max == s.max && s2.count[DS_LATE] == 1,
           "stable: the journal's lines reversed give the same score");
    dscore_free(&s2);
    dscore_free(&s);
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(ev[i]);
    }

    /* still running: the clock inject to come counts, nothing is not reached yet */
    n = journal(ev, false);
    dscore_compute(&s, (const cJSON *const *)ev, n);
    tap_ok(s.max == 43 && s.count[DS_NOT_REACHED] == 0 && s.count[DS_PENDING] == 2,
           "open run: denominator 43 (b to come counts), 2 pending, the undone mark pending");
    dscore_free(&s);
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(ev[i]);
    }
}

/* ---- the game ---- */

static struct game *start(struct loop *loop, const char *runs)
{
    struct game_env e = {.loop = loop, .runs_dir = runs, .now_ms = fake_clock, .no_timer = true};
    char *cause = NULL;
    struct game *g = game_start(&e, parse(DRILL), NULL, &cause);
    if (g == NULL) {
        tap_diag("%s", cause);
        free(cause);
        return NULL;
    }
    for (int i = 0; i < 100 && game_state(g) == GAME_CHECKING; i++) {
        loop_run_once(loop, 10);
    }
    game_begin(g, NULL);
    return g;
}

static cJSON **journal_of(struct game *g, size_t *n)
{
    char *cause = NULL;
    cJSON **ev = runlog_read(game_journal(g), n, &cause);
    free(cause);
    return ev;
}

static void test_game(struct loop *loop, const char *runs)
{
    struct game *g = start(loop, runs);
    if (!tap_ok(g != NULL, "the drill starts")) {
        return;
    }
    char *cause = NULL;
    fake_now += 60000; /* T+01:00 */
    game_tick(g);
    tap_ok(game_mark_at(g, 0, 0, true, "bob", 30000, &cause) &&
               game_expect_state(g, 0, 0) == EXPECT_MET,
           "met at T+00:30, recorded at T+01:00: met");
    fake_now += 240000; /* T+05:00 */
    game_tick(g);
    free(cause);
    cause = NULL;
    tap_ok(!game_mark_at(g, 0, 2, true, NULL, 400000, &cause) && cause != NULL &&
               strstr(cause, "has not come yet") != NULL,
           "a time still to come is refused: %s", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    tap_ok(game_expect_state(g, 0, 1) == EXPECT_MISSED,
           "at its deadline nobody had marked 1.2: missed");
    tap_ok(game_inject_state(g, 2) == INJECT_FIRED, "its on_miss fired the contingency it names");
    tap_ok(game_mark_at(g, 0, 1, true, "carol", 299000, &cause) &&
               game_expect_state(g, 0, 1) == EXPECT_MET,
           "missed, then the scribe records it was done at T+04:59: met after all");
    char *what = NULL;
    tap_ok(game_undo(g, &what, &cause) && game_expect_state(g, 0, 1) == EXPECT_MISSED,
           "undo takes that mark back: missed again (%s)", what != NULL ? what : "");
    free(what);
    tap_ok(game_mark_at(g, 0, 1, true, "carol", 300000, &cause) &&
               game_expect_state(g, 0, 1) == EXPECT_LATE,
           "done at T+05:00, the deadline itself: late");
    tap_ok(game_extend(g, 300, &cause) && game_drill(g)->duration_s == 1500,
           "+5m: the drill ends at T+25:00");
    fake_now += 60000; /* T+06:00: end early */
    game_tick(g);
    tap_ok(game_end(g, &cause), "end early");
    for (int i = 0; i < 100 && game_state(g) != GAME_ENDED; i++) {
        loop_run_once(loop, 10);
    }
    tap_ok(game_expect_state(g, 0, 2) == EXPECT_NOT_REACHED,
           "the status page (due T+10:00) is not reached");
    int max = 0;
    int score = game_score(g, &max);
    /* a: 10 met + 20/2 late, status not reached; b never fired, the CEO's (due T+07:00): not
     * reached */
    tap_ok(score == 20 && max == 30, "the pane's score uses the same rule: %d of %d", score, max);
    size_t n = 0;
    cJSON **ev = journal_of(g, &n);
    struct dscore s;
    dscore_compute(&s, (const cJSON *const *)ev, n);
    tap_ok(s.points == score && s.max == max, "the journal's score is the pane's (%d of %d)",
           s.points, s.max);
    bool extend = false, at = false, undo = false;
    for (size_t i = 0; i < n; i++) {
        const char *a = runlog_str(ev[i], "action");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev[i], "data");
        extend |= a != NULL && strcmp(a, "drill.extend") == 0 && runlog_int(d, "by_s", 0) == 300;
        undo |= a != NULL && strcmp(a, "undo") == 0 && runlog_str(d, "status") != NULL &&
                strcmp(runlog_str(d, "status"), "missed") == 0 && runlog_u64(d, "of_seq", 0) > 0;
        at |= a != NULL && strcmp(a, "expect") == 0 && runlog_u64(d, "at_ms", 0) == 300000;
    }
    tap_ok(extend && at && undo, "journaled: drill.extend {by_s}, expect {at_ms}, undo {of_seq}");
    dscore_free(&s);
    runlog_free(ev, n);
    free(cause);
    game_destroy(g, false);
}

/* Resume replays drill.extend: the drill still ends later. */
static void test_resume_extend(struct loop *loop, const char *runs)
{
    char *path = xasprintf("%s/score.md", tmp);
    FILE *f = fopen(path, "w");
    fputs(DRILL, f);
    fclose(f);
    char *cause = NULL;
    struct game_env e = {.loop = loop, .runs_dir = runs, .now_ms = fake_clock, .no_timer = true};
    struct game *g = game_start(&e, drill_load(path, &cause), NULL, &cause);
    for (int i = 0; g != NULL && i < 100 && game_state(g) == GAME_CHECKING; i++) {
        loop_run_once(loop, 10);
    }
    bool ok = g != NULL && game_begin(g, &cause) && game_extend(g, 600, &cause);
    char *id = g != NULL ? xstrdup(game_run_id(g)) : NULL;
    game_destroy(g, false);
    struct game *r = ok ? game_resume(&e, id, NULL, &cause) : NULL;
    tap_ok(r != NULL && game_drill(r)->duration_s == 1800,
           "resume honours drill.extend: 20m + 10m (%s)", cause != NULL ? cause : "");
    game_destroy(r, false);
    free(cause);
    free(id);
    free(path);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-score-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char *runs = xasprintf("%s/runs", tmp);
    struct loop *loop = loop_create();
    test_parse();
    test_rules();
    test_game(loop, runs);
    test_resume_extend(loop, runs);
    loop_destroy(loop);
    char *rm = xasprintf("rm -rf '%s'", tmp);
    if (getenv("KEEP") == NULL && system(rm) != 0) {
        tap_diag("could not remove %s", tmp);
    }
    free(rm);
    free(runs);
    return tap_done();
}
