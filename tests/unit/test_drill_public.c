/*
 * What a role may know of a drill (engine/drill_public.h), on a real game: a
 * live drill over the demo backend on a fake drill clock, its every event
 * (journaled and live) filtered for each role as it happens. The hidden
 * inject, the contingency, the expectation points and texts, the check's
 * condition and the chaos carry unique marker strings: the participant's
 * documents and lines hold none of them until the inject fires (then its
 * public text, never the points). A follower's view built from the document
 * and the filtered lines must show what the owner's view shows.
 */
#include "../../backends/demo.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/drill_public.h"
#include "../../engine/journal.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char DRILL[] = "# Public unit\n\n"
                            "The room is told this.\n\n"
                            "```opsdeck\n"
                            "drill: live\n"
                            "duration: 20m\n"
                            "abort_word: PINEAPPLE\n"
                            "objective: Declare within 1 minute\n"
                            "role: gm = Game master\n"
                            "role: ic = Incident commander\n"
                            "facilitator: gm\n"
                            "stop_when: pools be_web/MARKSTOPROW status == DOWN\n"
                            "```\n\n"
                            "## Web keeps serving\n"
                            "```opsdeck\n"
                            "check: during\n"
                            "until: pools be_web/MARKCHECKROW status == UP\n"
                            "tolerance: 1h\n"
                            "```\n\n"
                            "## Visible start\n"
                            "```opsdeck\n"
                            "at: T+00\n"
                            "to: ic\n"
                            "expect: 1m 11 MARKFIRSTEXP declared\n"
                            "contingency: markcont\n"
                            "hidden: MARKHIDDEN the fire is in row 3\n"
                            "```\n"
                            "Start now.\n\n"
                            "```\n"
                            "MARKLOG   500 GET /checkout\n"
                            "```\n\n"
                            "## Hidden MARKTITLE\n"
                            "```opsdeck\n"
                            "at: T+05\n"
                            "to: ic\n"
                            "channel: page\n"
                            "expect: 2m 37 MARKEXPECT done\n"
                            "chaos: pools drain be_web/web2\n"
                            "rollback: pools ready be_web/web2\n"
                            "```\n"
                            "MARKTEXT the database is gone.\n\n"
                            "## MARKCONTTITLE\n"
                            "```opsdeck\n"
                            "id: markcont\n"
                            "at: contingency\n"
                            "to: ic\n"
                            "```\n"
                            "MARKCONTTEXT the CEO calls.\n\n"
                            "## Facilitator notes\n\n"
                            "MARKNOTES keep the CEO call for later.\n\n"
                            "## Debrief\n\n"
                            "- What went well?\n";

static uint64_t fake_now = 7000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

/* Every line each role got so far, serialized as a transport would send it. */
struct seen {
    char **lines[3];
    size_t n[3];
    size_t events;
    struct drillview *owner; /* the owner's view of the whole drill */
    const struct drill *d;
};

static void collect(const struct runlog_event *ev, void *ud)
{
    struct seen *s = ud;
    s->events++;
    drillview_apply(ev, s->owner);
    for (int r = SHARE_OBSERVER; r <= SHARE_DRIVER; r++) {
        cJSON *line = drill_public_line(s->d, (enum share_role)r, ev);
        if (line != NULL) {
            s->lines[r] = xreallocarray(s->lines[r], s->n[r] + 1, sizeof *s->lines[r]);
            s->lines[r][s->n[r]++] = cJSON_PrintUnformatted(line);
            cJSON_Delete(line);
        }
    }
}

/* The participant's document and lines so far, as one text. */
static char *participant_text(struct seen *s, enum share_role role)
{
    cJSON *doc = drill_public_doc(s->d, role, s->owner);
    char *t = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    struct strbuf sb = {0};
    strbuf_str(&sb, t);
    free(t);
    for (size_t i = 0; i < s->n[role]; i++) {
        strbuf_printf(&sb, "\n%s", s->lines[role][i]);
    }
    return sb.s;
}

static bool absent(const char *text, const char *marker, const char *when)
{
    bool ok = strstr(text, marker) == NULL;
    tap_ok(ok, "%s: '%s' is not in what a participant got", when, marker);
    return ok;
}

/* A follower's view: the document, then every filtered line replayed, each parsed back. */
static struct drillview *follower_view(struct seen *s, enum share_role role, struct drill **out)
{
    cJSON *doc = drill_public_doc(s->d, role, s->owner);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    cJSON *back = cJSON_Parse(text);
    char *cause = NULL;
    *out = drill_from_public(back, &cause);
    cJSON_Delete(back);
    if (*out == NULL) {
        tap_diag("drill_from_public: %s", cause);
        free(cause);
        free(text);
        return NULL;
    }
    cJSON *status = cJSON_Parse(text);
    free(text);
    struct drillview *v = drillview_create(*out, fake_clock, NULL);
    for (size_t i = 0; i < s->n[role]; i++) {
        cJSON *line = cJSON_Parse(s->lines[role][i]);
        struct runlog_event ev;
        if (runlog_event_parse(line, &ev)) {
            ev.live = cJSON_IsTrue(cJSON_GetObjectItem(line, "live"));
            if (ev.live) {
                ev.obj = NULL;
            }
            drillview_apply(&ev, v);
        }
        cJSON_Delete(line);
    }
    tap_ok(drill_public_settle(status, v), "the document's status settles the view");
    cJSON_Delete(status);
    return v;
}

/* The follower shows what the owner shows: state, clock, fired injects and their marks. */
static void same_view(struct seen *s, enum share_role role, const char *when)
{
    struct drill *fd = NULL;
    struct drillview *fv = follower_view(s, role, &fd);
    if (!tap_ok(fv != NULL, "%s: the follower's view builds", when)) {
        return;
    }
    bool same = drillview_state(fv) == drillview_state(s->owner) &&
                drillview_clock_ms(fv) == drillview_clock_ms(s->owner);
    if (!same) {
        tap_diag("state %d/%d clock %llu/%llu", drillview_state(fv), drillview_state(s->owner),
                 (unsigned long long)drillview_clock_ms(fv),
                 (unsigned long long)drillview_clock_ms(s->owner));
    }
    size_t fired = 0;
    for (size_t i = 0; i < s->d->ninjects; i++) {
        int fi = drill_find_inject(fd, s->d->injects[i].id);
        if (drillview_inject_state(s->owner, i) != INJECT_FIRED) {
            same = same && fi < 0; /* not fired: not in the document at all */
            continue;
        }
        fired++;
        same = same && fi >= 0 && drillview_inject_state(fv, (size_t)fi) == INJECT_FIRED &&
               drillview_inject_fired_ms(fv, (size_t)fi) == drillview_inject_fired_ms(s->owner, i);
        for (size_t e = 0; fi >= 0 && e < s->d->injects[i].nexpects; e++) {
            same = same && drillview_expect_state(fv, (size_t)fi, e) ==
                               drillview_expect_state(s->owner, i, e);
        }
    }
    for (size_t c = 0; c < s->d->nchecks; c++) {
        same = same &&
               drillview_check_result(fv, c, NULL) == drillview_check_result(s->owner, c, NULL);
    }
    int max = -1;
    drillview_score(fv, &max);
    tap_ok(same && fd->ninjects == fired, "%s: the %s's view shows the owner's states (%zu fired)",
           when, share_role_name(role), fired);
    tap_ok(max == 0, "%s: no points in the %s's view", when, share_role_name(role));
    drillview_destroy(fv);
    drill_free(fd);
}

static void advance(struct game *g, uint64_t ms)
{
    for (uint64_t t = 0; t < ms; t += 1000) {
        fake_now += 1000;
        game_tick(g);
    }
}

static void test_bad_documents(void)
{
    static const struct {
        const char *json, *cause;
    } bad[] = {
        {"[1,2]", "must be a JSON object"},
        {"{\"kind\":\"live\",\"duration_s\":60}", "title: missing"},
        {"{\"title\":\"t\",\"kind\":\"bogus\",\"duration_s\":60}", "kind: 'bogus'"},
        {"{\"title\":\"t\",\"kind\":\"live\"}", "duration_s: missing"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":-5}", "duration_s: expected a whole"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"roles\":{}}",
         "roles: expected an array, got an object"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"injects\":[{\"id\":\"a\","
         "\"title\":\"A\"},{\"title\":\"B\"}]}",
         "injects[1].id: missing"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"injects\":[{\"id\":\"a\","
         "\"title\":\"A\",\"expects\":[{\"deadline_s\":\"5m\"}]}]}",
         "injects[0].expects[0].deadline_s: expected a whole"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"injects\":[{\"id\":\"a\","
         "\"title\":\"A\"},{\"id\":\"a\",\"title\":\"B\"}]}",
         "injects[1].id: 'a' twice"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"checks\":[{\"id\":\"c\","
         "\"when\":\"sometimes\"}]}",
         "checks[0].when: 'sometimes'"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"injects\":[{\"id\":\"a\","
         "\"title\":\"A\",\"chaos\":[{\"action\":\"pools\",\"rollback\":\"pools ready x\"}]}]}",
         "injects[0].chaos[0].action: 'pools' is not PANE VERB TARGET"},
        {"{\"title\":\"t\",\"kind\":\"live\",\"duration_s\":60,\"objectives\":[1]}",
         "objectives[0]: expected a string, got a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *doc = cJSON_Parse(bad[i].json);
        char *cause = NULL;
        struct drill *d = drill_from_public(doc, &cause);
        tap_ok(d == NULL && cause != NULL && strstr(cause, bad[i].cause) != NULL,
               "a bad document is refused: %s (%s)", bad[i].cause, cause ? cause : "accepted");
        drill_free(d);
        free(cause);
        cJSON_Delete(doc);
    }
    char *cause = NULL;
    tap_ok(drill_from_public(NULL, &cause) == NULL && cause != NULL, "no document: refused");
    struct runlog_event secret = {.kind = RL_SECRET, .action = "secret", .live = true};
    tap_ok(drill_public_line(NULL, SHARE_DRIVER, &secret) == NULL,
           "a secret answer goes to nobody, not even the driver");
    free(cause);
}

static void test_players_mark(void)
{
    static const char *const kinds[] = {"true", "maybe"};
    for (int k = 0; k < 2; k++) {
        char *md = xasprintf("# M\n\n```opsdeck\ndrill: tabletop\nduration: 5m\nplayers_mark: %s\n"
                             "role: gm = GM\nfacilitator: gm\n```\n\n## One\n```opsdeck\nat: T+00\n"
                             "expect: 1m 5 MARKPLAYERS text\n```\nHi.\n",
                             kinds[k]);
        char *cause = NULL;
        struct drill *d = drill_parse(md, strlen(md), "m.md", &cause);
        if (k == 1) {
            tap_ok(d != NULL && d->nissues == 1 &&
                       strstr(d->issues[0].message, "bad players_mark 'maybe'") != NULL,
                   "players_mark: maybe is an issue (%s)",
                   d && d->nissues ? d->issues[0].message : "none");
        } else {
            tap_ok(d != NULL && d->nissues == 0 && d->players_mark, "players_mark: true is read");
            struct drillview *v = drillview_create(d, fake_clock, NULL);
            cJSON *fire =
                cJSON_Parse("{\"seq\":1,\"action\":\"inject.fire\",\"data\":{\"id\":\"one\","
                            "\"expects\":[{\"text\":\"MARKPLAYERS text\",\"deadline_s\":"
                            "60,\"points\":5}]}}");
            struct runlog_event ev;
            runlog_event_parse(fire, &ev);
            drillview_apply(&ev, v);
            cJSON *line = drill_public_line(d, SHARE_PARTICIPANT, &ev);
            cJSON *doc = drill_public_doc(d, SHARE_PARTICIPANT, v);
            char *lt = cJSON_PrintUnformatted(line), *dt = cJSON_PrintUnformatted(doc);
            tap_ok(strstr(lt, "MARKPLAYERS") != NULL && strstr(dt, "MARKPLAYERS") != NULL,
                   "players may mark: the expectation's text is in the line and the document");
            tap_ok(strstr(lt, "points") == NULL && strstr(dt, "points") == NULL,
                   "... and still no points");
            free(lt);
            free(dt);
            cJSON_Delete(line);
            cJSON_Delete(doc);
            cJSON_Delete(fire);
            drillview_destroy(v);
        }
        drill_free(d);
        free(cause);
        free(md);
    }
}

/* intro: facilitator, choices and draws are the facilitator's; the driver round-trips them. */
static void test_facilitator_only(void)
{
    static const char md[] = "# F\n\nMARKINTRO the scenario is a flood.\n\n```opsdeck\n"
                             "drill: tabletop\nduration: 30m\nintro: facilitator\nseed: 7\n"
                             "role: gm = GM\nrole: ic = IC\nfacilitator: gm\nnotify_ic: MARKHOOK\n"
                             "```\n\n"
                             "## Flood\n```opsdeck\nat: T+00\nto: all\n"
                             "choice: MARKOPTA -> a | MARKOPTB -> b\n```\nWater.\n\n"
                             "## A\n```opsdeck\nid: a\nat: contingency\n```\nA.\n\n"
                             "## B\n```opsdeck\nid: b\nat: T+10..15\n```\nB.\n";
    char *cause = NULL;
    struct drill *d = drill_parse(md, strlen(md), "f.md", &cause);
    if (!tap_ok(d != NULL && d->nissues == 0, "the facilitator-only drill parses (%s)",
                d && d->nissues ? d->issues[0].message : "ok")) {
        drill_free(d);
        return;
    }
    struct drillview *v = drillview_create(d, fake_clock, NULL);
    cJSON *fire = cJSON_Parse("{\"seq\":1,\"action\":\"inject.fire\",\"data\":{\"id\":\"flood\","
                              "\"to\":[\"gm\",\"ic\"]}}");
    struct runlog_event ev;
    runlog_event_parse(fire, &ev);
    drillview_apply(&ev, v);
    cJSON *pdoc = drill_public_doc(d, SHARE_PARTICIPANT, v);
    char *pt = cJSON_PrintUnformatted(pdoc);
    tap_ok(strstr(pt, "Water.") != NULL, "the fired inject reaches the participant");
    static const char *const never[] = {"MARKINTRO", "MARKOPTA", "MARKHOOK",
                                        "choices",   "at_max_s", "\"intro\""};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        absent(pt, never[i], "intro: facilitator");
    }
    static const char *const lines[] = {
        "{\"seq\":2,\"action\":\"drill.draw\",\"data\":{\"inject\":\"b\",\"at_s\":720,"
        "\"seed\":7}}",
        "{\"seq\":3,\"action\":\"choice\",\"data\":{\"inject\":\"flood\",\"option\":"
        "\"MARKOPTA\"}}"};
    for (size_t i = 0; i < 2; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        struct runlog_event le;
        runlog_event_parse(o, &le);
        cJSON *pl = drill_public_line(d, SHARE_PARTICIPANT, &le);
        cJSON *dl = drill_public_line(d, SHARE_DRIVER, &le);
        tap_ok(pl == NULL && dl != NULL, "%s goes to the driver only", le.action);
        cJSON_Delete(pl);
        cJSON_Delete(dl);
        cJSON_Delete(o);
    }
    cJSON *ddoc = drill_public_doc(d, SHARE_DRIVER, NULL);
    struct drill *back = drill_from_public(ddoc, &cause);
    tap_ok(back != NULL && back->intro_facilitator && strstr(back->intro, "MARKINTRO") &&
               back->injects[0].nchoices == 2 &&
               strcmp(back->injects[0].choices[1].injects[0], "b") == 0 &&
               back->injects[drill_find_inject(back, "b")].at_max_s == 900 &&
               back->roles[1].notify_env != NULL &&
               strcmp(back->roles[1].notify_env, "MARKHOOK") == 0,
           "the driver's document keeps the intro, the choices, the range and the role hook");
    drill_free(back);
    free(cause);
    free(pt);
    cJSON_Delete(pdoc);
    cJSON_Delete(ddoc);
    cJSON_Delete(fire);
    drillview_destroy(v);
    drill_free(d);
}

static void check_markers(struct seen *s, const char *when, bool hidden_fired, bool cont_fired)
{
    for (int r = SHARE_OBSERVER; r <= SHARE_PARTICIPANT; r++) {
        char *t = participant_text(s, (enum share_role)r);
        static const char *const always[] = {
            "MARKEXPECT",        "MARKFIRSTEXP",     "MARKCHECKROW", "\"points\"", "\"max\"",
            "\"score\"",         "be_web/web2",      "chaos.",       "rollback",   "drain",
            "public.md",         "\"hash\"",         "\"until\"",    "\"reason\"", "\"message\"",
            "inject.skip",       "\"contingency\":", "MARKHIDDEN",   "MARKNOTES",  "\"hidden\"",
            "facilitator_notes", "MARKSTOPROW"};
        for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) {
            absent(t, always[i], when);
        }
        if (!hidden_fired) {
            absent(t, "MARKTITLE", when);
            absent(t, "MARKTEXT", when);
            absent(t, "T+05", when);
        } else {
            tap_ok(strstr(t, "MARKTITLE") != NULL && strstr(t, "MARKTEXT") != NULL,
                   "%s: the fired inject's title and text reach the %s", when,
                   share_role_name((enum share_role)r));
        }
        if (!cont_fired) {
            absent(t, "MARKCONT", when);
            absent(t, "markcont", when);
        } else {
            tap_ok(strstr(t, "MARKCONTTEXT") != NULL, "%s: the fired contingency's text arrives",
                   when);
        }
        free(t);
    }
    same_view(s, SHARE_PARTICIPANT, when);
    same_view(s, SHARE_OBSERVER, when);
}

static void test_game_roles(const char *dir, struct loop *loop, struct store *store,
                            struct backend *demo)
{
    char *cause = NULL;
    struct drill *d = drill_parse(DRILL, strlen(DRILL), "/srv/drills/public.md", &cause);
    tap_ok(d != NULL && d->nissues == 0, "the drill parses (%s)",
           d && d->nissues ? d->issues[0].message : "ok");
    struct seen s = {.d = d};
    s.owner = drillview_create(d, fake_clock, NULL);
    struct game_env env = {.loop = loop,
                           .store = store,
                           .backends = &demo,
                           .nbackends = 1,
                           .runs_dir = dir,
                           .now_ms = fake_clock,
                           .no_timer = true};
    struct game *g = game_start(&env, d, NULL, &cause);
    if (!tap_ok(g != NULL, "the game starts (%s)", cause ? cause : "ok")) {
        return;
    }
    game_history(g, collect, &s, NULL);
    game_subscribe(g, collect, &s);
    check_markers(&s, "ready", false, false);

    tap_ok(game_begin(g, &cause), "the clock starts");
    advance(g, 2000);
    tap_ok(game_inject_state(g, 0) == INJECT_FIRED, "the first inject fired");
    check_markers(&s, "T+00:02", false, false);
    char *pt = participant_text(&s, SHARE_PARTICIPANT);
    tap_ok(strstr(pt, "MARKLOG   500 GET /checkout") != NULL,
           "the fired inject's code block reaches the participant as written");
    free(pt);

    advance(g, 60000); /* its expectation is missed: the contingency fires */
    tap_ok(game_inject_state(g, 2) == INJECT_FIRED, "the contingency fired");
    check_markers(&s, "T+01:02", false, true);

    advance(g, 240000);
    tap_ok(game_inject_state(g, 1) == INJECT_FIRED, "the hidden inject fired at T+05:00");
    tap_ok(game_mark(g, 1, 0, true, "bob", &cause), "bob's expectation is marked met");
    check_markers(&s, "T+05:02", true, true);
    tap_ok(game_pause(g, &cause), "paused");
    check_markers(&s, "paused", true, true);

    /* the driver gets everything, as written */
    char *full = participant_text(&s, SHARE_DRIVER);
    tap_ok(strstr(full, "MARKHIDDEN") && strstr(full, "MARKNOTES"),
           "the driver's document holds the hidden text and the facilitator notes");
    tap_ok(strstr(full, "MARKEXPECT") && strstr(full, "\"points\":37") &&
               strstr(full, "MARKCHECKROW") && strstr(full, "chaos.plan") &&
               strstr(full, "public.md"),
           "the driver's document and lines hold everything");
    free(full);
    tap_is_int((long long)s.n[SHARE_DRIVER], (long long)s.events, "the driver gets every event");
    tap_ok(s.n[SHARE_PARTICIPANT] < s.n[SHARE_DRIVER], "a participant gets fewer lines");

    /* the driver's document round trip: the same document again */
    cJSON *doc = drill_public_doc(d, SHARE_DRIVER, s.owner);
    struct drill *back = drill_from_public(doc, &cause);
    cJSON *again = back != NULL ? drill_public_doc(back, SHARE_DRIVER, NULL) : NULL;
    cJSON_DeleteItemFromObject(doc, "status"); /* the state now: only with a view */
    tap_ok(again != NULL && cJSON_Compare(doc, again, true), "driver document round trip");
    tap_ok(back != NULL && back->ninjects == 3 && back->injects[1].expects[0].points == 37 &&
               back->injects[1].nchaos == 1 &&
               strcmp(back->injects[1].chaos[0].rollback.verb, "ready") == 0 &&
               strcmp(back->checks[0].until, "pools be_web/MARKCHECKROW status == UP") == 0,
           "... with the points, the chaos and the check's condition");
    cJSON_Delete(again);
    cJSON_Delete(doc);
    drill_free(back);
    /* the participant's round trip */
    doc = drill_public_doc(d, SHARE_PARTICIPANT, s.owner);
    back = drill_from_public(doc, &cause);
    again = back != NULL ? drill_public_doc(back, SHARE_PARTICIPANT, NULL) : NULL;
    cJSON_DeleteItemFromObject(doc, "injects"); /* a document with no view has no fired inject */
    cJSON_DeleteItemFromObject(doc, "status");
    cJSON_DeleteItemFromObject(again, "injects");
    tap_ok(again != NULL && cJSON_Compare(doc, again, true), "participant document round trip");
    tap_ok(back != NULL && back->ninjects == 3 &&
               strcmp(back->injects[0].text,
                      "Start now.\n\n```\nMARKLOG   500 GET /checkout\n```") == 0 &&
               back->injects[0].expects[0].deadline_s == 60 &&
               strcmp(back->injects[0].expects[0].text, "") == 0 && back->nchecks == 2 &&
               back->checks[0].until == NULL && strcmp(back->title, "Public unit") == 0 &&
               back->checks[1].when == DRILL_STOP &&
               strcmp(back->checks[1].title, "stop-when-1") == 0 &&
               back->checks[0].tolerance_s == 3600 && back->ndebrief == 1,
           "the participant's drill: fired injects with deadlines, no texts, no conditions "
           "(a stop_when by its id), the tolerances");
    cJSON_Delete(again);
    cJSON_Delete(doc);
    drill_free(back);

    game_unsubscribe(g, collect, &s);
    game_end(g, &cause);
    for (int i = 0; i < 200 && !game_closed(g); i++) {
        loop_run_once(loop, 10);
    }
    game_destroy(g, true);
    for (int r = 0; r < 3; r++) {
        for (size_t i = 0; i < s.n[r]; i++) {
            free(s.lines[r][i]);
        }
        free(s.lines[r]);
    }
    drillview_destroy(s.owner);
    free(cause);
}

int main(void)
{
    char dir[] = "/tmp/opsdeck-drillpub.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    setenv("XDG_STATE_HOME", dir, 1);
    struct loop *loop = loop_create();
    struct store *store = store_create();
    struct backend *demo = backend_create(&demo_backend, "demo", store, NULL);
    char *cause = NULL;
    backend_configure(demo, "seed", "4", &cause);
    backend_configure(demo, "mode", "still", &cause);
    demo->impl->poll(demo);
    char *audit_path = xasprintf("%s/audit.jsonl", dir);
    struct journal *audit = journal_open(audit_path, &cause);
    action_setup(audit, false);

    test_bad_documents();
    test_players_mark();
    test_facilitator_only();
    test_game_roles(dir, loop, store, demo);

    action_setup(NULL, false);
    journal_close(audit);
    backend_destroy(demo);
    store_destroy(store);
    loop_destroy(loop);
    free(audit_path);
    char *rm = xasprintf("rm -rf %s", dir);
    tap_ok(system(rm) == 0, "cleaned up");
    free(rm);
    return tap_done();
}
