/*
 * engine/game.c on a fake drill clock (the test moves it and calls
 * game_tick()), a real loop for check commands, and the demo backend for
 * chaos actions: injects at their offsets, pause, expectations met / late /
 * missed, contingencies once, the abort word, the score; and rollback on
 * abort, on a failing during check, on game_destroy(true), after a simulated
 * crash through drill_recover(), with a rollback that fails. Drills are built
 * by hand: the tests do not depend on the parser.
 */
#include "../../engine/drill.h"
#include "../../backends/demo.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/cond.h"
#include "../../engine/journal.h"
#include "../../tui/loop.h"
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
    game_note(g, "stop: Pineapple!", NULL, NULL);
    tap_is_int(game_state(g), GAME_ABORTED, "the abort word (any case) aborts");
    tap_ok(str_casestr(game_message(g), "abort word") != NULL, "the message says why");
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
