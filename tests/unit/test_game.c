/*
 * engine/game.c on a fake drill clock (the test moves it and calls
 * game_tick()), a real loop for check commands, and the demo backend for
 * chaos actions: injects at their offsets, pause, expectations met / late /
 * missed, contingencies once, the abort word, the score; and rollback on
 * abort, on a failing during check, on game_destroy(true), after a simulated
 * crash through drill_recover(), with a rollback that fails. Drills are built
 * by hand: the tests do not depend on the parser.
 */
#include "../../engine/game.h"
#include "../../backends/demo.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/cond.h"
#include "../../engine/drillview.h"
#include "../../engine/journal.h"
#include "../../common/loop.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp[64];
static char runs[128];
static struct loop *loop;
static struct store *store;
static struct backend *demo;
static uint64_t fake_now = 1000000;
static struct journal *audit_log;
static const char *audit_path_g;
static int changes;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static void on_changed(struct game *g, void *ud)
{
    (void)g;
    (void)ud;
    changes++;
}

static const struct game_hooks hooks = {.changed = on_changed};

static struct game_env env(void)
{
    struct game_env e = {
        .loop = loop,
        .store = store,
        .backends = &demo,
        .nbackends = 1,
        .runs_dir = runs,
        .now_ms = fake_clock,
        .no_timer = true,
    };
    return e;
}

/* ---- building drills by hand ---- */

static struct drill *mk_drill(const char *name, enum drill_kind kind, int duration_s)
{
    struct drill *d = xcalloc(1, sizeof *d);
    d->path = xasprintf("%s/%s.md", tmp, name);
    d->title = xstrdup(name);
    d->kind = kind;
    d->duration_s = duration_s;
    d->label = xstrdup("[DRILL]");
    d->abort_word = xstrdup("PINEAPPLE");
    d->roles = xcalloc(2, sizeof *d->roles);
    d->roles[0].id = xstrdup("gm");
    d->roles[0].name = xstrdup("Game master");
    d->roles[0].facilitator = true;
    d->roles[1].id = xstrdup("ic");
    d->roles[1].name = xstrdup("Incident commander");
    d->nroles = 2;
    return d;
}

static size_t add_inject(struct drill *d, const char *id, int at_s, const char *contingency)
{
    d->injects = xreallocarray(d->injects, d->ninjects + 1, sizeof *d->injects);
    struct drill_inject *in = &d->injects[d->ninjects];
    memset(in, 0, sizeof *in);
    in->id = xstrdup(id);
    in->title = xasprintf("Inject %s", id);
    in->text = xstrdup("Something happens.");
    in->at_s = at_s;
    in->to = xcalloc(1, sizeof *in->to);
    in->to[0] = xstrdup("ic");
    in->nto = 1;
    in->channel = xstrdup("page");
    in->contingency = contingency != NULL ? xstrdup(contingency) : NULL;
    return d->ninjects++;
}

static void add_expect(struct drill *d, size_t i, int deadline_s, int points, const char *text)
{
    struct drill_inject *in = &d->injects[i];
    in->expects = xreallocarray(in->expects, in->nexpects + 1, sizeof *in->expects);
    in->expects[in->nexpects++] =
        (struct drill_expect){.text = xstrdup(text), .deadline_s = deadline_s, .points = points};
}

static struct drill_act act(const char *pane, const char *verb, const char *target,
                            const char *input)
{
    return (struct drill_act){.pane = xstrdup(pane),
                              .verb = xstrdup(verb),
                              .target = xstrdup(target),
                              .input = input != NULL ? xstrdup(input) : NULL};
}

static void add_chaos(struct drill *d, size_t i, struct drill_act a, struct drill_act rb)
{
    struct drill_inject *in = &d->injects[i];
    in->chaos = xreallocarray(in->chaos, in->nchaos + 1, sizeof *in->chaos);
    in->chaos[in->nchaos++] = (struct drill_chaos){.action = a, .rollback = rb};
}

static size_t add_check(struct drill *d, const char *id, enum drill_when w, const char *until,
                        const char *run, int tolerance_s, int interval_ms)
{
    d->checks = xreallocarray(d->checks, d->nchecks + 1, sizeof *d->checks);
    d->checks[d->nchecks] = (struct drill_check){
        .id = xstrdup(id),
        .title = xstrdup(id),
        .when = w,
        .until = until != NULL ? xstrdup(until) : NULL,
        .run = run != NULL ? xstrdup(run) : NULL,
        .tolerance_s = tolerance_s,
        .interval_ms = interval_ms,
    };
    return d->nchecks++;
}

/* The live game day: drain web2 and stop the notification consumers at T+10. */
static struct drill *live_drill(const char *name)
{
    struct drill *d = mk_drill(name, DRILL_LIVE, 600);
    size_t i = add_inject(d, "chaos", 10, NULL);
    add_chaos(d, i, act("pools", "drain", "be_web/web2", NULL),
              act("pools", "ready", "be_web/web2", NULL));
    add_chaos(d, i, act("deploys", "scale", "shop/notifications", "0"),
              act("deploys", "scale", "shop/notifications", "2"));
    return d;
}

/* ---- helpers ---- */

static void advance(uint64_t ms, struct game *g)
{
    fake_now += ms;
    game_tick(g);
}

static void spin_until(struct game *g, enum game_state want, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (game_state(g) != want && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
        game_tick(g);
    }
}

static struct game *start(struct drill *d)
{
    struct game_env e = env();
    char *cause = NULL;
    struct game *g = game_start(&e, d, &hooks, &cause);
    if (g == NULL) {
        tap_diag("game_start: %s", cause);
        free(cause);
    }
    return g;
}

static cJSON **events(const char *id, size_t *n)
{
    char *path = xasprintf("%s/%s.jsonl", runs, id);
    FILE *f = fopen(path, "r");
    free(path);
    cJSON **ev = NULL;
    *n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        ev = xreallocarray(ev, *n + 1, sizeof *ev);
        ev[(*n)++] = cJSON_Parse(line);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return ev;
}

static void free_events(cJSON **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(ev[i]);
    }
    free(ev);
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *data(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "data");
}

static int count(const char *id, const char *action)
{
    size_t n;
    cJSON **ev = events(id, &n);
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        c += strcmp(str(ev[i], "action"), action) == 0;
    }
    free_events(ev, n);
    return c;
}

/* The data of the k-th event with this action (0-based), as a string field, or NULL. */
static char *field(const char *id, const char *action, int k, const char *key)
{
    size_t n;
    cJSON **ev = events(id, &n);
    char *out = NULL;
    for (size_t i = 0; i < n && out == NULL; i++) {
        if (strcmp(str(ev[i], "action"), action) == 0 && k-- == 0) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(data(ev[i]), key);
            out = cJSON_IsString(v)   ? xstrdup(v->valuestring)
                  : cJSON_IsNumber(v) ? xasprintf("%g", v->valuedouble)
                  : cJSON_IsBool(v)   ? xstrdup(cJSON_IsTrue(v) ? "true" : "false")
                                      : NULL;
        }
    }
    free_events(ev, n);
    return out;
}

static bool field_is(const char *id, const char *action, int k, const char *key, const char *want,
                     const char *what)
{
    char *got = field(id, action, k, key);
    bool ok = tap_is_str(got, want, what);
    free(got);
    return ok;
}

static bool every_event_has_t_ms(const char *id)
{
    size_t n;
    cJSON **ev = events(id, &n);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++) {
        ok = ok && cJSON_IsNumber(cJSON_GetObjectItem(data(ev[i]), "t_ms")) &&
             str(ev[i], "ts") != NULL;
    }
    free_events(ev, n);
    return ok;
}

/* Does the live condition hold in the demo's store now? */
static bool holds(const char *text)
{
    struct cond c;
    char *why = NULL;
    if (!cond_parse(&c, text, &why)) {
        tap_diag("cond: %s", why);
        free(why);
        return false;
    }
    backend_poll_now(demo); /* a fresh answer: the demo here is on no loop */
    struct cond_env e = {
        .store = store, .backends = &demo, .nbackends = 1, .now_ms = clock_mono_ms()};
    bool ok = cond_eval(&c, &e, &why) == COND_MET;
    if (!ok) {
        tap_diag("%s: %s", text, why ? why : "?");
    }
    free(why);
    cond_free(&c);
    return ok;
}

static bool demo_restored(void)
{
    return holds("pools be_web/web2 status == UP") &&
           holds("deploys shop/notifications ready == 2/2");
}

/* ---- tests ---- */

static void test_clock(void)
{
    struct drill *d = mk_drill("tabletop", DRILL_TABLETOP, 600);
    size_t a = add_inject(d, "office", 0, NULL);
    add_expect(d, a, 60, 10, "Incident declared");
    add_expect(d, a, 120, 4, "Status page updated");
    size_t b = add_inject(d, "lag", 30, "ceo");
    add_expect(d, b, 10, 6, "DB expert paged");
    size_t c = add_inject(d, "ceo", -1, NULL);
    size_t s = add_inject(d, "skipped", 300, NULL);
    size_t e = add_inject(d, "early", 500, NULL);
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "clock: started")) {
        return;
    }
    const char *id = game_run_id(g);
    tap_is_int(game_state(g), GAME_READY, "no before checks: ready");
    tap_is_int(game_inject_state(g, a), INJECT_PENDING, "nothing fires before the clock starts");
    char *cause = NULL;
    tap_ok(!game_pause(g, &cause), "pause before start is refused");
    free(cause);
    cause = NULL;
    tap_ok(game_begin(g, &cause), "begin");
    tap_is_int(game_inject_state(g, a), INJECT_FIRED, "the T+0 inject fired at once");
    advance(29000, g);
    tap_is_int(game_inject_state(g, b), INJECT_PENDING, "T+29: the T+30 inject has not fired");
    advance(1000, g);
    tap_is_int(game_inject_state(g, b), INJECT_FIRED, "T+30: it fired");
    tap_is_int((long long)game_inject_fired_ms(g, b), 30000, "fired at 30000 ms drill time");
    advance(5000, g);
    tap_ok(game_pause(g, NULL), "pause at T+35");
    advance(100000, g);
    tap_is_int((long long)game_clock_ms(g), 35000, "paused: the clock stays at 35 s");
    tap_is_int(game_expect_state(g, b, 0), EXPECT_PENDING, "paused: no deadline passes");
    tap_ok(game_resume_clock(g, NULL), "resume");
    advance(4999, g);
    tap_is_int(game_expect_state(g, b, 0), EXPECT_PENDING, "T+39.999: still pending");
    advance(1, g);
    tap_is_int(game_expect_state(g, b, 0), EXPECT_MISSED, "T+40: missed at its deadline");
    tap_is_int(game_inject_state(g, c), INJECT_FIRED, "its contingency fired");
    tap_ok(!game_fire_contingency(g, b, &cause), "the contingency does not fire twice");
    free(cause);
    cause = NULL;
    tap_ok(game_mark(g, a, 0, true, "alice", NULL), "mark office.1 met at T+40");
    tap_is_int(game_expect_state(g, a, 0), EXPECT_MET, "met before its deadline");
    advance(80000, g);
    tap_is_int(game_expect_state(g, a, 1), EXPECT_MISSED, "T+120: office.2 missed");
    tap_ok(game_mark(g, a, 1, true, NULL, NULL), "marked met after the deadline");
    tap_is_int(game_expect_state(g, a, 1), EXPECT_LATE, "it is late");
    int max = 0;
    tap_is_int(game_score(g, &max), 12, "score: 10 met + 4/2 late + 0 missed");
    tap_is_int(max, 20, "max: the points of the fired injects");
    tap_ok(game_skip(g, s, NULL), "skip the T+300 inject");
    tap_ok(game_fire(g, e, NULL), "fire the T+500 inject early");
    advance(200000, g);
    tap_is_int(game_inject_state(g, s), INJECT_SKIPPED,
               "a skipped inject does not fire at its time");
    advance(280000, g);
    tap_is_int(game_state(g), GAME_ENDED, "T+600: the drill ends by itself");
    tap_is_int(count(id, "inject.fire"), 4, "four injects fired");
    field_is(id, "inject.fire", 0, "why", "clock", "the first by the clock");
    field_is(id, "inject.fire", 2, "why", "contingency", "the third as a contingency");
    field_is(id, "inject.fire", 3, "why", "early", "the fourth early");
    field_is(id, "inject.fire", 3, "t_ms", "120000", "with its drill time");
    field_is(id, "expect", 0, "status", "missed", "expect events: missed");
    field_is(id, "expect", 1, "by", "alice", "met, by alice");
    field_is(id, "expect", 3, "points", "2", "late scores half");
    tap_is_int(count(id, "drill.pause"), 1, "one drill.pause");
    tap_is_int(count(id, "inject.skip"), 1, "one inject.skip");
    field_is(id, "run.start", 0, "kind", "drill", "run.start says kind drill");
    field_is(id, "run.end", 0, "how", "finished", "run.end finished");
    tap_ok(every_event_has_t_ms(id), "every event has data.t_ms and ts");
    game_destroy(g, true);
}

static void test_abort_word(void)
{
    struct drill *d = mk_drill("abortword", DRILL_TABLETOP, 600);
    add_inject(d, "one", 0, NULL);
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "abort word: started")) {
        return;
    }
    game_begin(g, NULL);
    tap_ok(game_note(g, "we like pineapples", NULL, NULL), "a note");
    tap_is_int(game_state(g), GAME_RUNNING, "part of a word does not abort");
    tap_ok(game_note(g, "ops says: pineapple, real incident", NULL, NULL), "a note with the word");
    tap_is_int(game_state(g), GAME_RUNNING, "the abort word inside a note does not abort");
    tap_ok(!game_says_abort_word(g, "stop: Pineapple!"), "nor as part of a message");
    tap_ok(game_says_abort_word(g, "  Pineapple \n"), "the word alone, trimmed, any case, is it");
    game_note(g, " PINEAPPLE ", NULL, NULL);
    tap_is_int(game_state(g), GAME_ABORTED, "the abort word as a whole note (any case) aborts");
    tap_ok(str_casestr(game_message(g), "abort word") != NULL, "the message says why");
    field_is(game_run_id(g), "drill.abort", 0, "why", "abort word",
             "drill.abort {why: abort word}");
    field_is(game_run_id(g), "run.end", 0, "how", "aborted", "run.end aborted");
    tap_is_int(count(game_run_id(g), "drill.abort"), 1, "one drill.abort");
    game_destroy(g, true);
}

static void test_before_checks(void)
{
    struct drill *d = mk_drill("blocked", DRILL_LIVE, 600);
    add_check(d, "web2-drained", DRILL_BEFORE, "pools be_web/web2 status == DRAIN", NULL, 0, 0);
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "before: started")) {
        return;
    }
    tap_is_int(game_state(g), GAME_BLOCKED, "a failing before check blocks");
    tap_ok(strstr(game_message(g), "web2-drained") != NULL, "naming the check");
    tap_ok(!game_begin(g, NULL), "the clock does not start");
    game_abort(g, "blocked");
    game_destroy(g, true);

    d = mk_drill("gate", DRILL_LIVE, 600);
    add_check(d, "cmd", DRILL_BEFORE, NULL, "exit 0", 0, 0);
    add_check(d, "up", DRILL_BEFORE, "pools be_web/web2 status == UP", NULL, 0, 0);
    g = start(d);
    tap_is_int(game_state(g), GAME_CHECKING, "a command check runs on the loop");
    spin_until(g, GAME_READY, 5000);
    tap_is_int(game_state(g), GAME_READY, "both pass: ready");
    tap_is_int(game_check_result(g, 0, NULL), 1, "check result 1");
    tap_is_int(count(game_run_id(g), "check"), 2, "two check events");
    game_abort(g, "done");
    game_destroy(g, true);
}

static void chaos_fired(struct game *g)
{
    game_begin(g, NULL);
    advance(10000, g);
}

static void test_rollback_abort(void)
{
    struct game *g = start(live_drill("abort"));
    if (!tap_ok(g != NULL, "abort: started")) {
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ACTIVE, "the drain is active");
    tap_is_int(game_chaos_state(g, 0, 1), CHAOS_ACTIVE, "the scale is active");
    tap_ok(holds("pools be_web/web2 status == DRAIN"), "the demo shows web2 DRAIN");
    tap_ok(holds("deploys shop/notifications ready == 0/0"), "and the consumers stopped");
    field_is(id, "chaos.plan", 0, "rollback", "pools ready be_web/web2",
             "chaos.plan carries the rollback");
    {
        size_t n;
        cJSON **ev = events(id, &n);
        int plan = -1, end = -1;
        for (size_t i = 0; i < n; i++) {
            const char *a = str(ev[i], "action");
            if (plan < 0 && strcmp(a, "chaos.plan") == 0) {
                plan = (int)i;
            }
            if (end < 0 && strcmp(a, "chaos.end") == 0) {
                end = (int)i;
            }
        }
        tap_ok(plan >= 0 && end > plan, "the plan is journaled before the action ends");
        free_events(ev, n);
    }
    struct game_env e = env();
    char *report = NULL;
    tap_is_int((long long)drill_recover(&e, 5000, NULL, &report), 0,
               "recover leaves a drill that is running alone");
    tap_ok(report == NULL, "and says nothing about it");
    free(report);
    tap_ok(holds("pools be_web/web2 status == DRAIN"), "web2 still drained");
    tap_is_int(count(id, "rollback.start"), 0, "nothing journaled into the running drill");
    game_abort(g, "by the facilitator");
    tap_is_int(game_state(g), GAME_ABORTED, "aborted");
    tap_is_int(count(id, "rollback.end"), 2, "two rollbacks");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ROLLED_BACK, "the drain is rolled back");
    tap_ok(demo_restored(), "web2 UP and the consumers back");
    field_is(id, "rollback.start", 0, "action", "deploys scale shop/notifications 2",
             "newest first");
    game_destroy(g, true);
    tap_is_int(count(id, "rollback.end"), 2, "destroy after the end rolls back nothing more");
    size_t failed = 9;
    tap_is_int(
        (long long)drill_recover(
            &(struct game_env){
                .loop = loop, .store = store, .backends = &demo, .nbackends = 1, .runs_dir = runs},
            5000, &failed, NULL),
        0, "recover finds nothing to do");
    free(id);
}

static void test_rollback_during_check(void)
{
    struct drill *d = live_drill("during");
    char *flag = xasprintf("%s/broken", tmp);
    char *run = xasprintf("test ! -e '%s'", flag);
    add_check(d, "healthy", DRILL_DURING, NULL, run, 5, 1000);
    add_check(d, "restored", DRILL_AFTER, "pools be_web/web2 status == UP", NULL, 0, 0);
    free(run);
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "during: started")) {
        free(flag);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    uint64_t end = clock_mono_ms() + 3000;
    while (game_check_result(g, 0, NULL) != 1 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_int(game_check_result(g, 0, NULL), 1, "the during check passes");
    FILE *f = fopen(flag, "w");
    fclose(f);
    advance(1000, g);
    end = clock_mono_ms() + 3000;
    while (game_check_result(g, 0, NULL) != 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_int(game_check_result(g, 0, NULL), 0, "then fails");
    tap_is_int(game_state(g), GAME_RUNNING, "within its tolerance the drill goes on");
    advance(3000, g);
    loop_run_once(loop, 200);
    tap_is_int(game_state(g), GAME_RUNNING, "4 s into its 5 s tolerance: still running");
    advance(2000, g);
    spin_until(g, GAME_ABORTED, 3000);
    tap_is_int(game_state(g), GAME_ABORTED, "past its tolerance the drill aborts");
    tap_ok(strstr(game_message(g), "healthy") != NULL, "naming the check");
    tap_is_int(count(id, "rollback.end"), 2, "both rolled back");
    tap_ok(demo_restored(), "web2 UP and the consumers back");
    field_is(id, "check", 2, "when", "after", "the after check ran");
    field_is(id, "check", 2, "ok", "true", "and saw web2 UP");
    game_destroy(g, true);
    unlink(flag);
    free(flag);
    free(id);
}

static void test_rollback_destroy(void)
{
    struct game *g = start(live_drill("destroy"));
    if (!tap_ok(g != NULL, "destroy: started")) {
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    tap_ok(holds("pools be_web/web2 status == DRAIN"), "web2 drained");
    game_destroy(g, true);
    tap_is_int(count(id, "rollback.end"), 2, "destroy(true) ran both rollbacks");
    tap_is_int(count(id, "run.end"), 0, "the run stays open");
    tap_ok(demo_restored(), "web2 UP and the consumers back");
    struct game_env e = env();
    size_t failed = 0;
    tap_is_int((long long)drill_recover(&e, 5000, &failed, NULL), 0,
               "recover has nothing left to roll back");
    tap_is_int(count(id, "rollback.end"), 2, "each exactly once");
    free(id);
}

static void test_rollback_crash(void)
{
    struct game *g = start(live_drill("crash"));
    if (!tap_ok(g != NULL, "crash: started")) {
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    game_destroy(g, false); /* as kill -9 would leave it */
    tap_is_int(count(id, "rollback.end"), 0, "a crash rolls nothing back");
    tap_ok(holds("pools be_web/web2 status == DRAIN"), "web2 is still drained");
    struct game_env e = env();
    size_t failed = 9;
    char *report = NULL;
    tap_is_int((long long)drill_recover(&e, 5000, &failed, &report), 2,
               "drill_recover rolled back two");
    tap_is_int((long long)failed, 0, "none failed");
    tap_ok(report != NULL && strstr(report, "rolled back pools ready be_web/web2") != NULL,
           "the report names each rollback");
    free(report);
    tap_ok(demo_restored(), "web2 UP and the consumers back");
    tap_is_int(count(id, "rollback.end"), 2, "journaled into the run");
    field_is(id, "drill.abort", 0, "why", "recovered after a crash", "drill.abort says why");
    field_is(id, "run.end", 0, "how", "aborted", "the run ends aborted");
    tap_is_int((long long)drill_recover(&e, 5000, &failed, NULL), 0, "a second recover: nothing");
    tap_is_int(count(id, "rollback.end"), 2, "each rolled back exactly once");
    free(id);
}

static void ignore_report(const struct action *a, bool ok, const char *message, void *ud)
{
    (void)a;
    (void)ok;
    (void)message;
    (void)ud;
}

static const char live_md[] = "# Resumable\n\n"
                              "```opsdeck\n"
                              "drill: live\n"
                              "duration: 30m\n"
                              "role: gm = Game master\n"
                              "role: ic = Incident commander\n"
                              "facilitator: gm\n"
                              "```\n\n"
                              "## Drain web2\n"
                              "```opsdeck\n"
                              "at: 10s\n"
                              "to: ic\n"
                              "expect: 5m 10 Noticed\n"
                              "chaos: pools drain be_web/web2\n"
                              "rollback: pools ready be_web/web2\n"
                              "```\n"
                              "web2 goes.\n\n"
                              "## Later\n"
                              "```opsdeck\n"
                              "at: 20s\n"
                              "to: ic\n"
                              "```\n"
                              "More.\n";

static void test_resume(void)
{
    char *path = xasprintf("%s/resumable.md", tmp);
    FILE *f = fopen(path, "w");
    fputs(live_md, f);
    fclose(f);
    char *cause = NULL;
    struct drill *d = drill_load(path, &cause);
    free(path);
    if (!tap_ok(d != NULL && d->nissues == 0, "resume: the drill parses")) {
        tap_diag("%s", cause ? cause : d->issues[0].message);
        free(cause);
        drill_free(d);
        return;
    }
    struct game *g = start(d);
    char *id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    advance(10000, g); /* the drain */
    advance(2000, g);
    game_mark(g, 0, 0, true, "bob", NULL);
    game_destroy(g, true); /* SIGTERM */
    tap_ok(holds("pools be_web/web2 status == UP"), "resume: rolled back when the session ended");
    struct game_env e = env();
    g = game_resume(&e, id, &hooks, &cause);
    if (!tap_ok(g != NULL, "game_resume")) {
        tap_diag("%s", cause);
        free(cause);
        free(id);
        return;
    }
    tap_is_int(game_state(g), GAME_PAUSED, "it comes back paused");
    tap_ok(game_clock_ms(g) >= 10000 && game_clock_ms(g) <= 12000,
           "at the drill time of its last event");
    tap_is_int(game_inject_state(g, 0), INJECT_FIRED, "the fired inject stays fired");
    tap_is_int(game_expect_state(g, 0, 0), EXPECT_MET, "its mark stays");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ROLLED_BACK, "its chaos is rolled back");
    tap_is_int(game_inject_state(g, 1), INJECT_PENDING, "the next inject is still to come");
    tap_ok(game_resume_clock(g, NULL), "resume the clock");
    advance(10000, g);
    tap_is_int(game_inject_state(g, 1), INJECT_FIRED, "and it fires on the resumed clock");
    tap_is_int(count(id, "inject.fire"), 2, "no inject fired twice");
    tap_ok(game_end(g, NULL), "end");
    tap_is_int(game_state(g), GAME_ENDED, "ended");
    tap_is_int(count(id, "rollback.end"), 1, "the chaos was rolled back exactly once");
    game_destroy(g, true);
    g = game_resume(&e, id, &hooks, &cause);
    tap_ok(g == NULL && cause != NULL && strstr(cause, "ended") != NULL,
           "an ended drill does not resume");
    free(cause);
    free(id);
}

static void test_rollback_fails(void)
{
    struct drill *d = mk_drill("unrestored", DRILL_LIVE, 600);
    size_t i = add_inject(d, "chaos", 0, NULL);
    add_chaos(d, i, act("pools", "drain", "be_web/web1", NULL),
              act("pools", "ready", "be_web/web1", NULL));
    add_chaos(d, i, act("pools", "drain", "be_web/web2", NULL),
              act("pools", "ready", "be_web/nosuch", NULL));
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "failing rollback: started")) {
        return;
    }
    char *id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    game_abort(g, "test");
    tap_is_int(game_chaos_state(g, 0, 1), CHAOS_UNRESTORED, "the bad rollback: unrestored");
    tap_ok(game_chaos_message(g, 0, 1) != NULL &&
               strstr(game_chaos_message(g, 0, 1), "nosuch") != NULL,
           "with the backend's message");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ROLLED_BACK, "the other still ran");
    tap_ok(holds("pools be_web/web1 status == UP"), "web1 UP again");
    tap_ok(strstr(game_message(g), "NOT restored") != NULL, "the message says so plainly");
    tap_is_int(count(id, "rollback.end"), 2, "two rollback.end");
    field_is(id, "rollback.end", 0, "ok", "false", "the first (newest) failed");
    game_destroy(g, true);
    /* put web2 back for the tests after */
    struct action *a = action_create(demo, backend_action_by_verb(demo, MODEL_POOLS, "ready"),
                                     "be_web/web2", NULL);
    action_run(a, ignore_report, NULL);
    free(id);
}

/*
 * A load balancer outside the demo, whose state (web2's status) outlives
 * the backend instances that talk to it, as a real one outlives a crashed
 * opsdeck. Its backend answers each poll answer_ms later on the loop (never
 * when -1), acts like an exec plugin (only on a row it has printed), refuses
 * while `broken`, and reports after act_ms (0: at once).
 */
static struct {
    char status[16];
    bool broken;
    int act_ms;
} lbsys = {"UP", false, 0};

struct fake_lb {
    int answer_ms;
    struct loop_timer *t;
    struct backend_request *pending;
    struct loop_timer *act_t;
};

static void *lb_create(struct backend *b)
{
    (void)b;
    return xcalloc(1, sizeof(struct fake_lb));
}

static void lb_publish(struct backend *b)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    rowset_begin(rs, "be_web/web2");
    rowset_text(rs, POOL_NAME, "be_web");
    rowset_text(rs, POOL_SERVER, "web2");
    rowset_text(rs, POOL_STATUS, lbsys.status);
    rowset_end(rs);
    backend_publish(b, rs);
}

static void lb_answered(void *ud)
{
    struct backend *b = ud;
    ((struct fake_lb *)b->priv)->t = NULL;
    lb_publish(b);
    backend_poll_end(b);
}

static void lb_poll(struct backend *b)
{
    struct fake_lb *f = b->priv;
    if (f->answer_ms < 0 || !backend_poll_begin(b)) {
        return;
    }
    f->t = loop_timer_add(b->loop, (uint64_t)f->answer_ms, 0, lb_answered, b);
}

static void lb_finish(struct backend *b, struct backend_request *a)
{
    if (b->last_ok_ms == 0) {
        char *why = xasprintf("no row '%s' in %s's last output", a->target, b->name);
        backend_done(a, false, why);
        free(why);
        return;
    }
    if (lbsys.broken) {
        backend_done(a, false, "refused: the runtime API is read-only");
        return;
    }
    snprintf(lbsys.status, sizeof lbsys.status, "%s",
             strcmp(a->def->verb, "drain") == 0 ? "DRAIN" : "UP");
    lb_publish(b);
    backend_done(a, true, lbsys.status);
}

static void lb_acted(void *ud)
{
    struct backend *b = ud;
    struct fake_lb *f = b->priv;
    struct backend_request *a = f->pending;
    f->act_t = NULL;
    f->pending = NULL;
    lb_finish(b, a);
}

static void lb_act(struct backend *b, struct backend_request *a)
{
    struct fake_lb *f = b->priv;
    if (lbsys.act_ms <= 0) {
        lb_finish(b, a);
        return;
    }
    f->pending = a;
    f->act_t = loop_timer_add(b->loop, (uint64_t)lbsys.act_ms, 0, lb_acted, b);
}

static void lb_destroy(struct backend *b)
{
    struct fake_lb *f = b->priv;
    if (f->t != NULL) {
        loop_timer_cancel(b->loop, f->t);
    }
    if (f->act_t != NULL) {
        loop_timer_cancel(b->loop, f->act_t);
        backend_done(f->pending, false, "cancelled");
    }
    free(f);
}

static const struct action_def lb_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', 0, NULL, NULL},
    {"ready", "Ready server", MODEL_POOLS, 'r', 0, NULL, NULL},
};

static const struct backend_impl fake_lb_impl = {
    .type = "fake-lb",
    .kinds = 1u << MODEL_POOLS,
    .actions = lb_actions,
    .nactions = 2,
    .create = lb_create,
    .poll = lb_poll,
    .act = lb_act,
    .destroy = lb_destroy,
};

/* A new backend instance for the load balancer, started on the loop (first poll at once). */
static struct backend *fake_lb(const char *name, int answer_ms)
{
    struct backend *b = backend_create(&fake_lb_impl, name, store, loop);
    char *cause = NULL;
    backend_configure(b, "timeout", "1s", &cause);
    backend_configure(b, "refresh", "1s", &cause);
    ((struct fake_lb *)b->priv)->answer_ms = answer_ms;
    backend_start(b, &cause);
    return b;
}

/* Spin the loop until the backend has answered once. */
static void answered(struct backend *b)
{
    uint64_t end = clock_mono_ms() + 3000;
    while (b->last_ok_ms == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
}

/* A live drill whose one chaos drains web2 on the fake load balancer at T+0. */
static struct drill *lb_drill(const char *name)
{
    struct drill *d = mk_drill(name, DRILL_LIVE, 600);
    size_t i = add_inject(d, "drain", 0, NULL);
    add_chaos(d, i, act("pools", "drain", "be_web/web2", NULL),
              act("pools", "ready", "be_web/web2", NULL));
    d->injects[i].backend = xstrdup("lb");
    return d;
}

static struct game *start_on(struct drill *d, struct backend **bs, size_t n)
{
    struct game_env e = env();
    e.backends = bs;
    e.nbackends = n;
    char *cause = NULL;
    struct game *g = game_start(&e, d, &hooks, &cause);
    if (g == NULL) {
        tap_diag("game_start: %s", cause);
        free(cause);
    }
    return g;
}

/* Rollbacks pending in runs for run id (failed or never run). */
static size_t pending_of(const char *id, bool *failed, char **message)
{
    size_t n = 0, mine = 0;
    struct drill_pending *list = drill_pending_list(runs, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].run, id) == 0) {
            mine++;
            if (failed != NULL) {
                *failed = list[i].failed;
            }
            if (message != NULL) {
                free(*message);
                *message = list[i].message != NULL ? xstrdup(list[i].message) : NULL;
            }
        }
    }
    drill_pending_free(list, n);
    return mine;
}

static size_t recover_on(struct backend **bs, size_t n, size_t *failed, char **report)
{
    struct game_env e = {
        .loop = loop, .store = store, .backends = bs, .nbackends = n, .runs_dir = runs};
    return drill_recover(&e, 10000, failed, report);
}

/* Checks over a pane whose backend never answered are unknown: not passed, not a failure. */
static void test_unknown_checks(void)
{
    struct backend *mute = fake_lb("mute", -1);
    struct backend *bs[] = {demo, mute};
    char *cause = NULL;
    backend_configure(demo, "timeout", "1s", &cause); /* the bound: the backends' timeout + 2 s */
    struct drill *d = mk_drill("unknown-before", DRILL_LIVE, 600);
    add_check(d, "web2-up", DRILL_BEFORE, "pools be_web/web2 status == UP", NULL, 0, 0);
    struct game *g = start_on(d, bs, 2);
    if (!tap_ok(g != NULL, "unknown before check: started")) {
        backend_destroy(mute);
        return;
    }
    tap_is_int(game_state(g), GAME_CHECKING,
               "web2 is UP on the demo, but mute has not answered: "
               "the check waits for it");
    tap_ok(strstr(game_message(g), "waits for fresh data") != NULL, "saying so (%s)",
           game_message(g));
    spin_until(g, GAME_BLOCKED, 6000);
    tap_is_int(game_state(g), GAME_BLOCKED, "still unknown after the bound: the gate stays shut");
    tap_ok(strstr(game_message(g), "before check 'web2-up' is unknown: pools: mute has not "
                                   "answered") != NULL,
           "naming the check and why (%s)", game_message(g));
    tap_is_int(game_check_result(g, 0, NULL), CHECK_UNKNOWN, "its result is unknown");
    field_is(game_run_id(g), "check", 0, "unknown", "true", "journaled as unknown");
    field_is(game_run_id(g), "check", 0, "ok", "false", "and not ok");
    game_abort(g, "blocked");
    game_destroy(g, true);

    /* during: unknown is said but does not abort; a failure on fresh data does */
    d = mk_drill("unknown-during", DRILL_LIVE, 600);
    add_inject(d, "quiet", 500, NULL);
    add_check(d, "web2-up", DRILL_DURING, "pools be_web/web2 status == UP", NULL, 0, 1000);
    g = start_on(d, bs, 2);
    game_begin(g, NULL);
    tap_is_int(game_check_result(g, 0, NULL), CHECK_UNKNOWN, "during, mute silent: unknown");
    advance(5000, g);
    tap_is_int(game_state(g), GAME_RUNNING,
               "unknown does not count toward the abort (tolerance 0)");
    struct action *a = action_create(demo, backend_action_by_verb(demo, MODEL_POOLS, "drain"),
                                     "be_web/web2", NULL);
    action_run(a, ignore_report, NULL);
    backend_poll_now(demo);
    advance(1000, g);
    spin_until(g, GAME_ABORTED, 3000);
    tap_is_int(game_state(g), GAME_ABORTED, "web2 DRAIN on the demo's fresh data: fails, aborts");
    tap_ok(strstr(game_message(g), "DRAIN") != NULL, "on what was seen (%s)", game_message(g));
    game_destroy(g, true);
    a = action_create(demo, backend_action_by_verb(demo, MODEL_POOLS, "ready"), "be_web/web2",
                      NULL);
    action_run(a, ignore_report, NULL);
    backend_configure(demo, "timeout", "5s", &cause);
    store_forget(store, MODEL_POOLS, "mute");
    backend_destroy(mute);
}

/* A failed rollback stays pending: every later recovery tries again, even of an ended run. */
static void test_rollback_stays_pending(void)
{
    struct backend *lb = fake_lb("lb", 0);
    answered(lb);
    struct game *g = start_on(lb_drill("pending"), &lb, 1);
    if (!tap_ok(g != NULL, "pending: started")) {
        backend_destroy(lb);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    tap_is_str(lbsys.status, "DRAIN", "the chaos drained web2");
    lbsys.broken = true;
    game_abort(g, "test");
    tap_is_int(game_state(g), GAME_ABORTED, "aborted");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_UNRESTORED, "its rollback failed: NOT RESTORED");
    game_destroy(g, true);
    bool failed = false;
    char *msg = NULL;
    tap_is_int((long long)pending_of(id, &failed, &msg), 1, "the rollback is still pending");
    tap_ok(failed && msg != NULL && strstr(msg, "read-only") != NULL,
           "as a failure, with its message (%s)", msg ? msg : "");
    free(msg);
    msg = NULL;

    size_t bad = 0;
    char *report = NULL;
    tap_is_int((long long)recover_on(&lb, 1, &bad, &report), 0,
               "recovery tries the ended run again: still failing");
    tap_is_int((long long)bad, 1, "one NOT restored");
    tap_ok(report != NULL && strstr(report, "still pending") != NULL &&
               strstr(report, "--give-up") != NULL,
           "the report says it stays pending and how to give up");
    free(report);
    report = NULL;
    tap_is_int(count(id, "rollback.end"), 2, "two attempts journaled");
    tap_is_int(count(id, "run.end"), 1, "the run ended once");
    tap_is_int((long long)pending_of(id, NULL, NULL), 1, "still pending");

    lbsys.broken = false;
    tap_is_int((long long)recover_on(&lb, 1, &bad, &report), 1, "once it works: rolled back");
    tap_ok(report != NULL && strstr(report, "rolled back pools ready be_web/web2") != NULL,
           "the report says so");
    free(report);
    tap_is_str(lbsys.status, "UP", "web2 UP again");
    tap_is_int((long long)pending_of(id, NULL, NULL), 0, "nothing pending");
    tap_is_int((long long)recover_on(&lb, 1, &bad, NULL), 0, "a later recovery: nothing to do");
    tap_is_int(count(id, "rollback.end"), 3, "three attempts, the last ok");
    tap_is_int(count(id, "run.end"), 1, "still one run.end");
    free(id);
    store_forget(store, MODEL_POOLS, "lb");
    backend_destroy(lb);
}

/* After a crash, recovery waits for the backend's first answer (a plugin acts on its rows). */
static void test_recover_waits(void)
{
    struct backend *lb = fake_lb("lb", 0);
    answered(lb);
    struct game *g = start_on(lb_drill("crash-lb"), &lb, 1);
    if (!tap_ok(g != NULL, "crash-lb: started")) {
        backend_destroy(lb);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    tap_is_str(lbsys.status, "DRAIN", "web2 drained");
    game_destroy(g, false); /* kill -9 */
    store_forget(store, MODEL_POOLS, "lb");
    backend_destroy(lb);

    /* the next start: a new backend that answers its first poll 400 ms later */
    lb = fake_lb("lb", 400);
    size_t bad = 9;
    char *report = NULL;
    tap_is_int((long long)recover_on(&lb, 1, &bad, &report), 1,
               "recovery waited for the first answer, then rolled back");
    if (!tap_ok(bad == 0, "none failed")) {
        tap_diag("%s", report ? report : "");
    }
    tap_is_str(lbsys.status, "UP", "web2 UP again");
    field_is(id, "run.end", 0, "how", "aborted", "the crashed run ends aborted");
    free(report);
    store_forget(store, MODEL_POOLS, "lb");
    backend_destroy(lb);

    /* crashed again, and the rollback fails: the run stays open, pending, until given up */
    lb = fake_lb("lb", 0);
    answered(lb);
    g = start_on(lb_drill("crash-giveup"), &lb, 1);
    free(id);
    id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    game_destroy(g, false);
    lbsys.broken = true;
    tap_is_int((long long)recover_on(&lb, 1, &bad, NULL), 0, "crashed, rollback refused");
    tap_is_int((long long)recover_on(&lb, 1, &bad, NULL), 0, "and again");
    tap_is_int(count(id, "rollback.end"), 2, "tried at each start");
    tap_is_int(count(id, "drill.abort"), 1, "one drill.abort");
    tap_is_int(count(id, "run.end"), 0, "the run is not closed while its rollback is pending");

    char *cause = NULL;
    action_setup(NULL, true);
    tap_is_int((long long)drill_give_up(runs, id, id, &report, &cause), 0, "read-only: no give-up");
    tap_ok(cause != NULL && strstr(cause, "read-only") != NULL, "saying why");
    free(cause);
    free(report);
    cause = NULL;
    action_setup(audit_log, false);
    tap_is_int((long long)drill_give_up(runs, id, id, &report, &cause), 1, "given up");
    tap_ok(report != NULL && strstr(report, "given up: pools ready be_web/web2") != NULL,
           "the report names it");
    free(report);
    report = NULL;
    field_is(id, "rollback.giveup", 0, "typed", id, "journaled with what was typed");
    field_is(id, "rollback.giveup", 0, "message", "refused: the runtime API is read-only",
             "and the last failure");
    field_is(id, "run.end", 0, "how", "aborted", "nothing pending: the crashed run ends");
    tap_is_int((long long)pending_of(id, NULL, NULL), 0, "nothing pending");
    tap_is_int((long long)recover_on(&lb, 1, &bad, &report), 0, "no start tries it again");
    tap_ok(report == NULL, "and says nothing");
    tap_is_int(count(id, "rollback.end"), 2, "no third attempt");
    tap_is_int((long long)drill_give_up(runs, id, id, &report, &cause), 0,
               "nothing left to give up");
    free(cause);
    free(report);
    {
        FILE *f = fopen(audit_path_g, "r");
        char *line = NULL;
        size_t cap = 0;
        int gave = 0;
        while (f != NULL && getline(&line, &cap, f) > 0) {
            cJSON *o = cJSON_Parse(line);
            gave += str(o, "action") != NULL && strcmp(str(o, "action"), "rollback.giveup") == 0 &&
                    str(o, "run") != NULL && strcmp(str(o, "run"), id) == 0 &&
                    strcmp(str(o, "target"), "be_web/web2") == 0;
            cJSON_Delete(o);
        }
        free(line);
        if (f != NULL) {
            fclose(f);
        }
        tap_is_int(gave, 1, "the audit log has the give-up, with its run and target");
    }
    lbsys.broken = false;
    snprintf(lbsys.status, sizeof lbsys.status, "UP");
    free(id);
    store_forget(store, MODEL_POOLS, "lb");
    backend_destroy(lb);
}

/* Closing rolls back as work on the loop: game_close returns at once, the loop finishes it. */
static void test_close_async(void)
{
    struct backend *lb = fake_lb("lb", 0);
    answered(lb);
    lbsys.act_ms = 300;
    struct game *g = start_on(lb_drill("close"), &lb, 1);
    if (!tap_ok(g != NULL, "close: started")) {
        backend_destroy(lb);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    game_begin(g, NULL);
    uint64_t end = clock_mono_ms() + 3000;
    while (game_chaos_state(g, 0, 0) != CHAOS_ACTIVE && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_str(lbsys.status, "DRAIN", "the chaos drained web2 (asynchronously)");
    int before = changes;
    uint64_t t0 = clock_mono_ms();
    game_close(g);
    tap_ok(clock_mono_ms() - t0 < 150, "game_close returns at once (no loop of its own)");
    tap_ok(!game_closed(g) && game_closing(g), "closing, not closed");
    tap_is_int(game_state(g), GAME_ROLLING_BACK, "rolling back");
    tap_ok(strstr(game_message(g), "rolling back: pools ready be_web/web2") != NULL,
           "the message says what runs (%s)", game_message(g));
    tap_is_str(lbsys.status, "DRAIN", "not rolled back yet");
    end = clock_mono_ms() + 3000;
    while (!game_closed(g) && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_ok(game_closed(g), "the loop finished it");
    tap_ok(changes > before, "the changed hook told each step");
    tap_is_str(lbsys.status, "UP", "web2 UP again");
    tap_is_int(count(id, "rollback.end"), 1, "one rollback.end");
    tap_is_int(count(id, "run.end"), 0, "the run stays open for resume");
    tap_ok(strstr(game_message(g), "closed: every chaos action is rolled back") != NULL,
           "and says it is done (%s)", game_message(g));
    game_destroy(g, false);
    lbsys.act_ms = 0;
    free(id);
    store_forget(store, MODEL_POOLS, "lb");
    backend_destroy(lb);
}

/* Stop conditions: a command's signal, and a pane condition; unknown never stops. */
static void test_stop_conditions(void)
{
    struct drill *d = live_drill("stop");
    char *flag = xasprintf("%s/error-rate-high", tmp);
    char *run = xasprintf("test -e '%s'", flag);
    add_check(d, "errors", DRILL_STOP, NULL, run, 3, 1000);
    size_t slow = add_check(d, "blind", DRILL_STOP, NULL, "sleep 5", 0, 1000);
    add_check(d, "garbled", DRILL_STOP, "lobby web1 status == UP", NULL, 0, 1000);
    d->checks[slow].timeout_ms = 200;
    free(run);
    struct game *g = start(d);
    if (!tap_ok(g != NULL, "stop: started")) {
        free(flag);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    uint64_t end = clock_mono_ms() + 3000;
    while ((game_check_result(g, 0, NULL) != CHECK_OK ||
            game_check_result(g, 1, NULL) != CHECK_UNKNOWN) &&
           clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_int(game_check_result(g, 0, NULL), CHECK_OK, "the signal is low: quiet");
    tap_is_int(game_check_result(g, 1, NULL), CHECK_UNKNOWN, "a command that times out is unknown");
    struct check_status cs;
    game_check_status(g, 0, &cs);
    tap_ok(strcmp(cs.when, "stop") == 0 && strcmp(cs.state, "quiet") == 0 && cs.abort_in_ms < 0,
           "shown: stop, quiet, no abort coming (%s %s)", cs.when, cs.state);
    FILE *f = fopen(flag, "w");
    fclose(f);
    advance(1000, g);
    end = clock_mono_ms() + 3000;
    while (game_check_result(g, 0, NULL) != CHECK_FAILED && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_is_int(game_check_result(g, 0, NULL), CHECK_FAILED, "the signal is high: the stop holds");
    tap_is_int(game_state(g), GAME_RUNNING, "within its 3 s tolerance the drill goes on");
    game_check_status(g, 0, &cs);
    tap_ok(strcmp(cs.state, "STOP") == 0 && cs.abort_in_ms > 0 && cs.abort_in_ms <= 3000,
           "shown: STOP with the countdown to the abort (%s, %lld ms)", cs.state,
           (long long)cs.abort_in_ms);
    char *text = game_check_text(g, 0);
    tap_ok(strstr(text, "stop   STOP   abort in 0:0") == text, "as text: %s", text);
    free(text);
    advance(2000, g);
    loop_run_once(loop, 200);
    tap_is_int(game_state(g), GAME_RUNNING, "2 s into it: still running");
    tap_is_int(game_check_result(g, 1, NULL), CHECK_UNKNOWN, "the blind one never stopped it");
    tap_is_int(game_check_result(g, 2, NULL), CHECK_UNKNOWN,
               "a condition that cannot be read is unknown, and never stopped it");
    advance(1500, g);
    spin_until(g, GAME_ABORTED, 3000);
    tap_is_int(game_state(g), GAME_ABORTED, "past its tolerance the drill aborts");
    char *why = field(id, "drill.abort", 0, "why");
    tap_ok(why != NULL && strncmp(why, "stop condition 'errors': exit 0", 31) == 0,
           "drill.abort names the stop condition (%s)", why ? why : "(none)");
    free(why);
    field_is(id, "check", 0, "when", "stop", "check {when: stop} journaled");
    tap_is_int(count(id, "rollback.end"), 2, "both chaos actions rolled back");
    tap_ok(demo_restored(), "web2 UP and the consumers back");
    game_destroy(g, true);
    unlink(flag);
    free(flag);
    free(id);

    /* a pane condition, no tolerance: the drain itself trips it at once */
    d = live_drill("stopcond");
    add_check(d, "drained", DRILL_STOP, "pools be_web/web2 status == DRAIN", NULL, 0, 1000);
    g = start(d);
    if (!tap_ok(g != NULL, "stop on a pane condition: started")) {
        return;
    }
    id = xstrdup(game_run_id(g));
    chaos_fired(g);
    for (int i = 0; i < 10 && game_state(g) == GAME_RUNNING; i++) {
        demo->impl->poll(demo);
        advance(1000, g);
        spin_until(g, GAME_ABORTED, 300);
    }
    tap_is_int(game_state(g), GAME_ABORTED, "the condition met aborts (tolerance 0)");
    tap_ok(strstr(game_message(g), "stop condition 'drained': be_web/web2") != NULL,
           "saying what was seen (%s)", game_message(g));
    tap_ok(demo_restored(), "and rolls back");
    game_destroy(g, true);
    free(id);
}

/* Anyone in a shared drill may pull the emergency stop; it is named. */
static void test_emergency_stop(void)
{
    struct game *g = start(live_drill("estop"));
    if (!tap_ok(g != NULL, "emergency stop: started")) {
        return;
    }
    char *id = xstrdup(game_run_id(g));
    chaos_fired(g);
    tap_is_int(share_op_role(SOP_ABORT), SHARE_OBSERVER, "an observer may send it");
    game_set_actor(g, "bob", "laptop");
    char *cause = NULL;
    tap_ok(game_apply(g, SOP_ABORT, NULL, &cause), "applied (%s)", cause ? cause : "ok");
    game_set_actor(g, NULL, NULL);
    spin_until(g, GAME_ABORTED, 3000);
    tap_is_int(game_state(g), GAME_ABORTED, "the drill aborts");
    field_is(id, "drill.abort", 0, "why", "emergency stop by bob", "the journal names who");
    tap_ok(demo_restored(), "and everything is rolled back");
    tap_ok(!game_apply(g, SOP_ABORT, NULL, &cause), "once over, a second stop is refused");
    tap_ok(cause != NULL && strstr(cause, "ended") != NULL, "saying so (%s)", cause);
    free(cause);
    game_destroy(g, true);
    free(id);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-game-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    loop = loop_create();
    store = store_create();
    demo = backend_create(&demo_backend, "demo", store, NULL);
    char *cause = NULL;
    backend_configure(demo, "seed", "4", &cause);
    backend_configure(demo, "mode", "still", &cause);
    demo->impl->poll(demo);
    char *audit_path = xasprintf("%s/audit.jsonl", tmp);
    struct journal *audit = journal_open(audit_path, &cause);
    action_setup(audit, false);
    audit_log = audit;
    audit_path_g = audit_path;
    tap_ok(demo_restored(), "the demo starts with web2 UP and the consumers running");

    test_clock();
    test_abort_word();
    test_before_checks();
    test_rollback_abort();
    test_rollback_during_check();
    test_rollback_destroy();
    test_rollback_crash();
    test_rollback_fails();
    test_resume();
    /* the runs above leave a rollback pending (be_web/nosuch): the tests below count their own */
    snprintf(runs, sizeof runs, "%s/runs2", tmp);
    test_unknown_checks();
    test_rollback_stays_pending();
    test_recover_waits();
    test_close_async();
    test_stop_conditions();
    test_emergency_stop();
    tap_ok(changes > 0, "the changed hook fired");

    action_setup(NULL, false);
    journal_close(audit);
    backend_destroy(demo);
    store_destroy(store);
    loop_destroy(loop);
    free(audit_path);
    char *rm = xasprintf("rm -rf '%s'", tmp);
    tap_ok(system(rm) == 0, "temporary directory removed");
    free(rm);
    return tap_done();
}
