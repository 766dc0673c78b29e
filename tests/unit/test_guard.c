/*
 * The chaos ttl, the two-process rule and the safety lever
 * (engine/game_guard.c, engine/game_lever.c) on the demo backend, a fake
 * drill clock and a pinned wall clock (the ttl counts wall time): a chaos
 * rolled back alone when its ttl passes and not before, the drill going on;
 * a rollback another process journaled is taken from the journal, not run a
 * second time; `ttl:` parsed, its default; the lever file pulled, read
 * (garbage reads as pulled), refusing a live drill with chaos but not a
 * tabletop one, aborting a running one on its tick, released, all audited.
 * The guard process itself is tests/integration/drill-guard.sh.
 */
#include "../../engine/game.h"
#include "../../engine/gamestate.h"
#include "../../backends/demo.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/cond.h"
#include "../../engine/journal.h"
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
static int64_t wall = 1764806400000; /* 2025-12-04 */

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static struct game *start(struct drill *d, char **cause)
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
    return game_start(&e, d, NULL, cause);
}

/* A drill draining web2 at T+0 (live) with the inject's ttl (0: the default). */
static struct drill *mk(const char *name, enum drill_kind kind, int ttl_s)
{
    struct drill *d = xcalloc(1, sizeof *d);
    d->path = xasprintf("%s/%s.md", tmp, name);
    d->title = xstrdup(name);
    d->kind = kind;
    d->duration_s = 600;
    d->label = xstrdup("[DRILL]");
    d->abort_word = xstrdup("PINEAPPLE");
    d->injects = xcalloc(1, sizeof *d->injects);
    d->ninjects = 1;
    struct drill_inject *in = &d->injects[0];
    in->id = xstrdup("drain");
    in->title = xstrdup("Drain");
    in->text = xstrdup("web2 leaves.");
    in->channel = xstrdup("page");
    in->ttl_s = ttl_s;
    if (kind == DRILL_LIVE) {
        in->chaos = xcalloc(1, sizeof *in->chaos);
        in->nchaos = 1;
        in->chaos[0].action = (struct drill_act){
            .pane = xstrdup("pools"), .verb = xstrdup("drain"), .target = xstrdup("be_web/web2")};
        in->chaos[0].rollback = (struct drill_act){
            .pane = xstrdup("pools"), .verb = xstrdup("ready"), .target = xstrdup("be_web/web2")};
    }
    return d;
}

static void tick(struct game *g, int spins)
{
    for (int i = 0; i < spins; i++) {
        loop_run_once(loop, 10);
        game_tick(g);
    }
}

static bool web2_is(const char *status)
{
    char *text = xasprintf("pools be_web/web2 status == %s", status);
    struct cond c;
    char *why = NULL;
    bool ok = cond_parse(&c, text, &why);
    backend_poll_now(demo);
    struct cond_env e = {
        .store = store, .backends = &demo, .nbackends = 1, .now_ms = clock_mono_ms()};
    ok = ok && cond_eval(&c, &e, &why) == COND_MET;
    free(why);
    free(text);
    cond_free(&c);
    return ok;
}

/* The events of run id with this action whose data has key == want (a string), or any when NULL. */
static int count(const char *id, const char *action, const char *key, const char *want)
{
    char *path = xasprintf("%s/%s.jsonl", runs, id);
    FILE *f = fopen(path, "r");
    free(path);
    int c = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "data");
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "action"));
        const cJSON *v = key != NULL ? cJSON_GetObjectItemCaseSensitive(d, key) : NULL;
        bool match = key == NULL ||
                     (cJSON_IsString(v) && strncmp(v->valuestring, want, strlen(want)) == 0) ||
                     (cJSON_IsNumber(v) && v->valuedouble == atof(want));
        c += a != NULL && strcmp(a, action) == 0 && match;
        cJSON_Delete(o);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return c;
}

static void test_ttl_parse(void)
{
    const char *md = "# T\n\n```opsdeck\ndrill: live\nduration: 20m\n"
                     "role: gm = GM\nfacilitator: gm\n```\n\n"
                     "## A\n```opsdeck\nat: T+00\nchaos: pools drain be_web/web2\n"
                     "rollback: pools ready be_web/web2\nttl: 3s\n```\n\n"
                     "## B\n```opsdeck\nat: T+01\nchaos: pools drain be_web/web1\n"
                     "rollback: pools ready be_web/web1\n```\n\n"
                     "## C\n```opsdeck\nat: T+02\nttl: soon\n```\n";
    char *cause = NULL;
    struct drill *d = drill_parse(md, strlen(md), "t.md", &cause);
    if (!tap_ok(d != NULL, "ttl: parsed")) {
        free(cause);
        return;
    }
    tap_is_int(drill_ttl_s(d, 0), 3, "ttl: 3s is 3 s");
    tap_is_int(drill_ttl_s(d, 1), 20 * 60 + 300, "no ttl: the drill's duration + 5m");
    bool bad = false;
    for (size_t i = 0; i < d->nissues; i++) {
        bad = bad || strstr(d->issues[i].message, "bad duration 'soon' for ttl") != NULL;
    }
    tap_ok(bad, "ttl: soon is a lint error naming the key");
    drill_free(d);
}

static void test_ttl(void)
{
    clock_pin_wall(wall);
    char *cause = NULL;
    struct game *g = start(mk("ttl", DRILL_LIVE, 60), &cause);
    if (!tap_ok(g != NULL, "ttl: started")) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    const char *id = game_run_id(g);
    tick(g, 3);
    tap_ok(game_begin(g, NULL), "ttl: the clock runs");
    tick(g, 5);
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ACTIVE, "ttl: the chaos is active");
    tap_ok(web2_is("DRAIN"), "ttl: web2 DRAIN");
    tap_is_int(count(id, "chaos.plan", "ttl_s", "60"), 1, "chaos.plan carries ttl_s 60");
    clock_pin_wall(wall + 59000);
    tick(g, 5);
    tap_is_int(count(id, "rollback.start", NULL, NULL), 0, "59 s: nothing rolled back");
    clock_pin_wall(wall + 61000);
    tick(g, 10);
    tap_is_int(count(id, "rollback.start", "why", "ttl"), 1, "61 s: rolled back, why ttl");
    tap_is_int(count(id, "rollback.end", "why", "ttl"), 1, "... rollback.end says why ttl");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ROLLED_BACK, "... the chaos is rolled back");
    tap_ok(web2_is("UP"), "... web2 UP");
    tap_is_int(game_state(g), GAME_RUNNING, "... and the drill goes on");
    tap_ok(game_end(g, NULL), "ended");
    tick(g, 10);
    tap_is_int(count(id, "rollback.start", NULL, NULL), 1, "the end runs no second rollback");
    game_destroy(g, true);
}

/*
 * +2m lengthens the default ttl of the chaos in place (duration + margin: the
 * drill runs longer, so may its chaos), in this process and in a replay (the
 * guard's view); an explicit `ttl:` stays as written.
 */
static void test_ttl_extend(void)
{
    for (int explicit = 0; explicit <= 1; explicit ++) {
        clock_pin_wall(wall);
        char *cause = NULL;
        struct game *g =
            start(mk(explicit ? "ttlx" : "ttld", DRILL_LIVE, explicit ? 60 : 0), &cause);
        if (!tap_ok(g != NULL, "ttl extend: started")) {
            tap_diag("%s", cause);
            free(cause);
            return;
        }
        const char *id = game_run_id(g);
        int ttl = explicit ? 60 : 600 + 300;
        tick(g, 3);
        game_begin(g, NULL);
        tick(g, 5);
        tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ACTIVE, "ttl extend: the chaos is active");
        tap_is_int(count(id, "chaos.plan", NULL, NULL), 1, "chaos.plan journaled");
        tap_ok(game_extend(g, 120, NULL), "ttl extend: +2m");
        struct game_env env = {.loop = loop, .store = store, .backends = &demo, .nbackends = 1};
        struct game *r = game_replay_plans(&env, runs, id, &cause);
        tap_ok(r != NULL && r->nplans == 1 && r->plans[0].ttl_s == (explicit ? 60 : ttl + 120),
               "%s: the replay (the guard) has ttl %d", explicit ? "ttl: 60s" : "default ttl",
               explicit ? 60 : ttl + 120);
        if (r != NULL) {
            game_free(r);
        }
        clock_pin_wall(wall + (ttl + 1) * 1000LL);
        tick(g, 10);
        tap_is_int(count(id, "rollback.start", "why", "ttl"), explicit ? 1 : 0,
                   explicit ? "ttl: 60s: rolled back at 61 s, +2m or not"
                            : "default ttl: not rolled back at its first ttl");
        if (!explicit) {
            clock_pin_wall(wall + (ttl + 121) * 1000LL);
            tick(g, 10);
            tap_is_int(count(id, "rollback.start", "why", "ttl"), 1,
                       "default ttl: rolled back once the 2 minutes more passed too");
        }
        game_end(g, NULL);
        tick(g, 10);
        game_destroy(g, true);
    }
}

/* Another process (a guard) journals the rollback: the owner takes it from the journal. */
static void test_taken(void)
{
    clock_pin_wall(wall);
    char *cause = NULL;
    struct game *g = start(mk("taken", DRILL_LIVE, 30), &cause);
    if (!tap_ok(g != NULL, "taken: started")) {
        free(cause);
        return;
    }
    const char *id = game_run_id(g);
    tick(g, 3);
    game_begin(g, NULL);
    tick(g, 5);
    tap_ok(web2_is("DRAIN"), "taken: web2 DRAIN");
    /* the guard's lines, written by another writer of the same journal */
    char *path = xasprintf("%s/%s.jsonl", runs, id);
    struct journal *j = journal_open(path, &cause);
    free(path);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", "drain");
    cJSON_AddNumberToObject(d, "index", 0);
    struct journal_event e = {
        .actor = "guard", .host = "h", .run = id, .action = "rollback.start", .data = d};
    journal_append(j, &e, &cause);
    cJSON_AddBoolToObject(d, "ok", true);
    cJSON_AddStringToObject(d, "message", "ready by the guard");
    e.action = "rollback.end";
    journal_append(j, &e, &cause);
    cJSON_Delete(d);
    journal_close(j);
    clock_pin_wall(wall + 31000);
    tick(g, 10);
    tap_is_int(count(id, "rollback.start", NULL, NULL), 1,
               "ttl past: the owner runs no rollback of its own");
    tap_is_int(game_chaos_state(g, 0, 0), CHAOS_ROLLED_BACK, "the guard's rollback.end counts");
    tap_ok(web2_is("DRAIN"), "web2 still DRAIN: nothing ran here (the guard's was only written)");
    game_abort(g, "done");
    tick(g, 10);
    tap_is_int(count(id, "rollback.start", NULL, NULL), 1, "the abort runs none either");
    tap_is_int(game_state(g), GAME_ABORTED, "aborted");
    game_destroy(g, true);
    /* put web2 back for the next test, through the action path */
    struct game *h = start(mk("putback", DRILL_LIVE, 0), &cause);
    tick(h, 3);
    game_begin(h, NULL);
    tick(h, 5);
    game_abort(h, "put back");
    tick(h, 10);
    game_destroy(h, true);
}

static bool audited(const char *verb)
{
    char *path = xasprintf("%s/audit.jsonl", tmp);
    FILE *f = fopen(path, "r");
    free(path);
    bool found = false;
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        found = found || strstr(line, verb) != NULL;
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return found;
}

static void test_lever(void)
{
    char *path = NULL, *report = NULL, *cause = NULL;
    tap_ok(drill_lever_pulled(&path) == NULL, "lever: not pulled at first");
    tap_ok(drill_lever_pull("real incident", &report, &cause), "lever: pulled");
    char *want = xasprintf("safety lever pulled: %s/state/opsdeck/lever\n", tmp);
    tap_is_str(report, want, "lever: the report names the file");
    free(want);
    free(report);
    char *text = drill_lever_pulled(&path);
    tap_ok(text != NULL && strncmp(text, "real incident (pulled by ", 25) == 0,
           "lever: read back with its reason and who");
    free(text);
    tap_ok(path != NULL && strstr(path, "/state/opsdeck/lever") != NULL, "lever: its path");
    free(path);
    tap_ok(audited("\"lever.pull\""), "lever: the pull is audited");

    struct game *g = start(mk("refused", DRILL_LIVE, 0), &cause);
    tap_ok(g == NULL, "lever: a live drill with chaos does not start");
    tap_ok(cause != NULL && strstr(cause, "/state/opsdeck/lever") != NULL &&
               strstr(cause, "opsdeck drill --release-lever") != NULL,
           "lever: the error names the file and how to release it");
    free(cause);
    cause = NULL;
    g = start(mk("tabletop", DRILL_TABLETOP, 0), &cause);
    tap_ok(g != NULL, "lever: a tabletop drill starts (nothing to roll back)");
    game_destroy(g, true);

    /* a running drill sees it on its tick */
    char *release = NULL;
    drill_lever_release(&release, &cause);
    free(release);
    g = start(mk("running", DRILL_LIVE, 0), &cause);
    tick(g, 3);
    game_begin(g, NULL);
    tick(g, 5);
    tap_ok(web2_is("DRAIN"), "lever: a running drill drained web2");
    tap_ok(drill_lever_pull("stop now", &report, &cause), "lever: pulled again");
    free(report);
    /* an owner looks every half second (loop time) */
    uint64_t until = clock_mono_ms() + 3000;
    while (game_state(g) != GAME_ABORTED && clock_mono_ms() < until) {
        tick(g, 1);
    }
    tap_is_int(game_state(g), GAME_ABORTED, "lever: the running drill aborted on its tick");
    tap_is_int(count(game_run_id(g), "drill.abort", "why", "safety lever: stop now"), 1,
               "lever: drill.abort says safety lever: REASON");
    tap_ok(web2_is("UP"), "lever: and rolled back");
    game_destroy(g, true);

    tap_ok(drill_lever_release(&report, &cause), "lever: released");
    free(report);
    tap_ok(drill_lever_pulled(NULL) == NULL, "lever: not pulled any more");
    tap_ok(audited("\"lever.release\""), "lever: the release is audited");
    tap_ok(!drill_lever_release(&report, &cause) && cause != NULL &&
               strcmp(cause, "the safety lever is not pulled") == 0,
           "lever: releasing it twice says it is not pulled");
    free(report);
    free(cause);

    /* garbage in the file: pulled all the same (a lever never fails open) */
    char *lp = xasprintf("%s/state/opsdeck/lever", tmp);
    FILE *f = fopen(lp, "w");
    fputs("\x01garbage", f);
    fclose(f);
    text = drill_lever_pulled(NULL);
    tap_ok(text != NULL && strstr(text, "not JSON") != NULL, "lever: garbage reads as pulled");
    free(text);
    unlink(lp);
    free(lp);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-guard-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    char *state = xasprintf("%s/state", tmp);
    setenv("XDG_STATE_HOME", state, 1);
    free(state);
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

    test_ttl_parse();
    test_ttl();
    test_ttl_extend();
    test_taken();
    test_lever();

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
