/*
 * The war room's run and drill side (engine/crew.c, run_share.c,
 * game_share.c, report_people.c): journal lines by the actor the owner sets,
 * the two-person rule (a self-approval refused with its reason, another
 * person's approval journaled with both names, a pending request kept by
 * resume), people events and their checks, what the views learn from them
 * (presence, claims, proposals, offers), and the People section of the
 * report.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../common/whoami.h"
#include "../../engine/crew.h"
#include "../../engine/drillview.h"
#include "../../engine/game.h"
#include "../../engine/report.h"
#include "../../engine/run.h"
#include "../../engine/runview.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmp[64];
static char runs[128];
static struct loop *loop;

static const char *const two_rb =
    "{\"title\": \"Two\", \"steps\": [\n"
    " {\"id\": \"ack\", \"title\": \"Acknowledge\", \"phase\": \"S\"},\n"
    " {\"id\": \"ok\", \"title\": \"Approve\", \"type\": \"approval\", \"role\": \"IC\"},\n"
    " {\"id\": \"cmd\", \"title\": \"Restart\", \"phase\": \"F\", \"type\": \"command\",\n"
    "  \"run\": \"echo restarted\", \"two-person\": true},\n"
    " {\"id\": \"close\", \"title\": \"Close\", \"phase\": \"E\"}\n"
    "]}\n";

static struct run *start_run(const char *text)
{
    char *path = xasprintf("%s/two.json", tmp);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char *cause = NULL;
    struct runbook *rb = runbook_load(path, &cause);
    free(path);
    if (rb == NULL) {
        tap_diag("runbook: %s", cause);
        free(cause);
        return NULL;
    }
    struct run_env env = {.loop = loop, .runs_dir = runs};
    struct run *r = run_start(&env, rb, NULL, NULL, &cause);
    if (r == NULL) {
        tap_diag("run_start: %s", cause);
        free(cause);
    }
    return r;
}

static cJSON **events(const char *id, size_t *n)
{
    char *path = xasprintf("%s/%s.jsonl", runs, id);
    char *cause = NULL;
    cJSON **ev = runlog_read(path, n, &cause);
    free(path);
    free(cause);
    return ev;
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *dstr(const cJSON *o, const char *k)
{
    return str(cJSON_GetObjectItemCaseSensitive(o, "data"), k);
}

/* The last line of this action in run id's journal (a copy; caller deletes). */
static cJSON *last(const char *id, const char *action)
{
    size_t n = 0;
    cJSON **ev = events(id, &n);
    cJSON *found = NULL;
    for (size_t i = n; i > 0 && found == NULL; i--) {
        const char *a = str(ev[i - 1], "action");
        if (a != NULL && strcmp(a, action) == 0) {
            found = cJSON_Duplicate(ev[i - 1], true);
        }
    }
    runlog_free(ev, n);
    return found;
}

/* ok is false and *cause is want (the call is made before: *cause is read here). */
static bool refused(bool ok, char **cause, const char *want, const char *what)
{
    bool good = !ok && *cause != NULL && strcmp(*cause, want) == 0;
    if (!good) {
        tap_diag("%s: ok %d, cause '%s', want '%s'", what, ok, *cause ? *cause : "(none)", want);
    }
    free(*cause);
    *cause = NULL;
    return tap_ok(good, "%s", what);
}

static bool record(struct run *r, const char *actor, const char *action, const char *json,
                   char **cause)
{
    run_set_actor(r, actor, actor != NULL ? "bastion" : NULL);
    bool ok = run_record(r, action, json != NULL ? cJSON_Parse(json) : NULL, cause);
    run_set_actor(r, NULL, NULL);
    return ok;
}

static void test_actor(void)
{
    struct run *r = start_run(two_rb);
    if (!tap_ok(r != NULL, "actor: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    run_set_actor(r, "bob", "bastion2");
    tap_ok(run_note(r, "bob's note", NULL), "a note as bob");
    run_set_actor(r, NULL, NULL);
    tap_ok(run_note(r, "mine", NULL), "a note as the local user");
    size_t n = 0;
    cJSON **ev = events(id, &n);
    const cJSON *bob = NULL, *mine = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *t = dstr(ev[i], "text");
        bob = t != NULL && strcmp(t, "bob's note") == 0 ? ev[i] : bob;
        mine = t != NULL && strcmp(t, "mine") == 0 ? ev[i] : mine;
    }
    tap_ok(bob != NULL && strcmp(str(bob, "actor"), "bob") == 0 &&
               strcmp(str(bob, "host"), "bastion2") == 0,
           "the line written while bob is the actor names bob@bastion2");
    tap_ok(mine != NULL && strcmp(str(mine, "actor"), whoami_user()) == 0 &&
               strcmp(str(mine, "host"), whoami_host()) == 0,
           "after run_set_actor(NULL) the local user again");
    runlog_free(ev, n);
    run_destroy(r);
    free(id);
}

static void test_two_person(void)
{
    struct run *r = start_run(two_rb);
    if (!tap_ok(r != NULL, "two-person: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_set_shared(r, true);
    tap_ok(run_confirm(r, NULL) && run_index(r) == 1, "a manual step is done as before");

    run_set_actor(r, "alice", "bastion");
    tap_ok(run_confirm(r, &cause), "alice's confirm on the approval step asks");
    run_set_actor(r, NULL, NULL);
    tap_ok(run_index(r) == 1 && run_state(r) == RUN_READY, "the step waits");
    tap_is_str(run_approval_pending(r), "alice", "the pending request is alice's");
    tap_is_str(run_message(r), "approval asked by alice: waiting for a second person",
               "the run says so");
    cJSON *q = last(id, "approval.request");
    tap_ok(q != NULL && strcmp(str(q, "actor"), "alice") == 0 &&
               strcmp(str(q, "step"), "ok") == 0 && strcmp(dstr(q, "role"), "IC") == 0,
           "approval.request journaled by alice on the step with its role");
    cJSON_Delete(q);

    cause = NULL;
    refused(run_approve(r, "alice", &cause), &cause,
            "two-person rule: alice asked; another person must approve",
            "alice approving her own request is refused with the reason");
    cause = NULL;
    refused(run_input(r, "alice", &cause), &cause,
            "two-person rule: another person on the run approves this step",
            "typing who approved is refused in a shared run");
    cause = NULL;
    refused(run_confirm(r, &cause), &cause, "approval asked by alice: waiting for a second person",
            "a second confirm does not ask twice");
    tap_ok(last(id, "approval") == NULL, "nothing approved yet");

    /* the session dies here: resume finds the request again */
    run_destroy(r);
    struct run_env env = {.loop = loop, .runs_dir = runs};
    r = run_resume(&env, id, NULL, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "ok")) {
        free(cause);
        free(id);
        return;
    }
    run_set_shared(r, true);
    tap_ok(run_index(r) == 1, "resume: at the approval step");
    tap_is_str(run_approval_pending(r), "alice", "resume keeps alice's pending request");
    cause = NULL;
    refused(run_approve(r, "alice", &cause), &cause,
            "two-person rule: alice asked; another person must approve",
            "after resume alice still cannot approve it");
    tap_ok(run_approve(r, "bob", &cause), "bob approves (%s)", cause ? cause : "ok");
    cJSON *a = last(id, "approval");
    tap_ok(a != NULL && strcmp(str(a, "actor"), "bob") == 0 && strcmp(dstr(a, "by"), "bob") == 0 &&
               strcmp(dstr(a, "requested_by"), "alice") == 0 && strcmp(dstr(a, "role"), "IC") == 0,
           "approval journaled by bob with both names and the role");
    cJSON_Delete(a);
    tap_ok(run_index(r) == 2 && run_mark(r, 1) == RUN_MARK_DONE,
           "the step is done, on to the next");
    tap_ok(run_approval_pending(r) == NULL, "nothing pending on the next step");
    char *md = report_markdown(runs, id, NULL);
    tap_ok(md != NULL && strstr(md, "approved by bob as IC, asked by alice\n") != NULL &&
               strstr(md, "alice asked for approval (IC): waiting for a second person") != NULL,
           "the report's timeline has the request and the approval with both names");
    free(md);

    /* a two-person command: asked, not run, until somebody else approves */
    run_set_actor(r, "alice", "bastion");
    tap_ok(run_confirm(r, NULL), "alice confirms the two-person command");
    run_set_actor(r, NULL, NULL);
    tap_ok(run_state(r) == RUN_READY && last(id, "command.start") == NULL,
           "the command has not run");
    cause = NULL;
    refused(run_approve(r, "alice", &cause), &cause,
            "two-person rule: alice asked; another person must approve",
            "self-approval of the command refused");
    tap_ok(run_approve(r, "carol", NULL), "carol approves the command");
    uint64_t end = clock_mono_ms() + 5000;
    while (run_state(r) == RUN_BUSY && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    cJSON *c = last(id, "command.start");
    tap_ok(c != NULL && strcmp(str(c, "actor"), "alice") == 0,
           "then it runs, journaled as the driver's (alice asked)");
    cJSON_Delete(c);
    tap_ok(run_index(r) == 3 && run_mark(r, 2) == RUN_MARK_DONE, "the command ran and moved on");
    run_destroy(r);
    free(id);

    /* not shared: as before */
    r = start_run(two_rb);
    run_confirm(r, NULL);
    cause = NULL;
    tap_ok(run_input(r, "dave", &cause) && run_index(r) == 2,
           "not shared: the operator types who approved, as before");
    cause = NULL;
    refused(run_approve(r, "erin", &cause), &cause, "no approval is asked for on this step",
            "not shared: nothing to approve");
    run_destroy(r);
}

static void test_people(void)
{
    struct run *r = start_run(two_rb);
    if (!tap_ok(r != NULL, "people: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    struct runview *v = runview_create(run_runbook(r), run_journal(r));
    run_history(r, runview_apply, v, NULL);
    run_subscribe(r, runview_apply, v);
    const struct crew *c = runview_crew(v);
    tap_ok(crew_presence_line(c, " · ") == NULL, "nobody joined: no presence line");

    tap_ok(record(r, "alice", "join", "{\"role\":\"driver\",\"via\":\"local\"}", NULL),
           "the owner's join");
    tap_ok(record(r, "bob", "join", "{\"role\":\"participant\",\"via\":\"unix\"}", NULL),
           "bob joins");
    tap_ok(record(r, "carol", "join", "{\"role\":\"observer\",\"via\":\"nats\"}", NULL),
           "carol joins");
    refused(record(r, "dave", "join", "{\"role\":\"king\",\"via\":\"unix\"}", &cause), &cause,
            "join: role must be observer, participant or driver", "a join with a bad role");
    char *line = crew_presence_line(c, " · ");
    tap_is_str(line, "alice driver · bob participant · carol observer", "the view's presence line");
    free(line);

    cause = NULL;
    refused(record(r, "bob", "claim", "{\"step\":\"nope\"}", &cause), &cause,
            "claim: no step 'nope' in this runbook", "a claim of an unknown step");
    tap_ok(record(r, "bob", "claim", "{\"step\":\"cmd\"}", NULL), "bob claims cmd");
    cJSON *k = last(id, "claim");
    tap_ok(k != NULL && strcmp(str(k, "actor"), "bob") == 0 && strcmp(str(k, "step"), "cmd") == 0,
           "claim journaled by bob with step = the step id");
    cJSON_Delete(k);
    char *t = crew_claim_text(c, "cmd", -1);
    tap_is_str(t, "bob is on it", "the view: bob is on cmd");
    free(t);
    tap_ok(crew_claim_text(c, "ack", -1) == NULL, "nobody is on ack");
    cause = NULL;
    refused(record(r, "carol", "unclaim", "{\"step\":\"cmd\"}", &cause), &cause,
            "unclaim: carol has no claim on step 'cmd'", "carol cannot drop bob's claim");
    cause = NULL;
    refused(record(r, "bob", "claim", "{\"step\":\"cmd\"}", &cause), &cause,
            "claim: bob is already on step 'cmd'", "no claim twice");
    tap_ok(record(r, "carol", "claim", "{\"step\":\"cmd\"}", NULL), "carol claims it too");
    t = crew_claim_text(c, "cmd", -1);
    tap_is_str(t, "bob and carol are on it", "two people on it");
    free(t);
    tap_ok(record(r, "carol", "unclaim", "{\"step\":\"cmd\"}", NULL), "carol lets go");

    cause = NULL;
    refused(record(r, "bob", "propose", "{\"step\":\"zzz\"}", &cause), &cause,
            "propose: no step 'zzz' in this runbook", "a proposal of an unknown step");
    tap_ok(record(r, "bob", "propose", "{\"step\":\"close\",\"text\":\"skip to the end\"}", NULL),
           "bob proposes");
    tap_ok(c->proposal.user != NULL && strcmp(c->proposal.user, "bob") == 0 &&
               strcmp(c->proposal.step, "close") == 0 &&
               strcmp(c->proposal.text, "skip to the end") == 0,
           "the view has bob's proposal");

    cause = NULL;
    refused(record(r, "alice", "handover.offer", "{\"to\":\"alice\"}", &cause), &cause,
            "handover: alice already drives", "no handover to oneself");
    tap_ok(record(r, "alice", "handover.offer", "{\"to\":\"bob\"}", NULL), "alice offers bob");
    tap_ok(c->offer_to != NULL && strcmp(c->offer_to, "bob") == 0 &&
               strcmp(c->offer_from, "alice") == 0,
           "the view has the pending offer");
    cause = NULL;
    refused(record(r, "carol", "handover.accept", "{\"from\":\"alice\"}", &cause), &cause,
            "handover.accept: alice offered carol no control",
            "carol cannot take an offer made to bob");
    tap_ok(record(r, "bob", "handover.accept", "{\"from\":\"alice\"}", NULL), "bob accepts");
    tap_ok(c->offer_to == NULL, "no offer pending after the answer");
    line = crew_presence_line(c, ", ");
    tap_is_str(line, "alice participant, bob driver, carol observer", "roles after the handover");
    free(line);
    tap_ok(record(r, "bob", "role", "{\"user\":\"carol\",\"role\":\"participant\"}", NULL),
           "bob makes carol a participant");
    tap_ok(record(r, "bob", "claim", "{\"step\":\"close\"}", NULL), "bob claims close");
    tap_ok(record(r, "bob", "leave", "{\"reason\":\"gone\"}", NULL), "bob's link dies");
    line = crew_presence_line(c, ", ");
    tap_is_str(line, "alice participant, carol participant", "bob is not present any more");
    free(line);
    tap_ok(crew_claimers(c, "close", -1, NULL) == 0, "a person gone holds no claim");
    const struct crew_person *b = crew_find(c, "bob");
    tap_ok(b != NULL && !b->present && b->left_ms > 0 && strcmp(b->left_reason, "gone") == 0,
           "bob's leave is kept with its reason");
    cause = NULL;
    refused(record(r, "carol", "leave", "{\"reason\":\"bored\"}", &cause), &cause,
            "leave: reason must be left, gone or dropped", "a leave with a bad reason");
    cause = NULL;
    refused(record(r, "alice", "approval.request", NULL, &cause), &cause,
            "the two-person rule holds in a shared run only",
            "approval.request in a run not shared");

    /* a second console following the journal sees the same people */
    struct runview *f = runview_create(run_runbook(r), run_journal(r));
    runlog_replay(run_journal(r), runview_apply, f, NULL, NULL);
    line = crew_presence_line(runview_crew(f), ", ");
    tap_is_str(line, "alice participant, carol participant", "a follower's view agrees");
    free(line);
    runview_destroy(f);

    /* the report lists people: more than one person acted */
    tap_ok(run_note(r, "owner's note", NULL), "a note by the local user");
    char *md = report_markdown(runs, id, &cause);
    tap_ok(md != NULL && strstr(md, "\n## People\n") != NULL, "the report has a People section");
    tap_ok(md != NULL && strstr(md, "bob joined as participant (unix)") != NULL,
           "bob's join is on the timeline");
    tap_ok(md != NULL && strstr(md, "bob left (gone)") != NULL, "and his leave");
    tap_ok(md != NULL && strstr(md, "### bob\n") != NULL && strstr(md, "claimed step cmd") != NULL,
           "bob's claim is among his actions");
    free(md);
    run_unsubscribe(r, runview_apply, v);
    runview_destroy(v);
    run_destroy(r);
    free(id);
}

static const char DRILL[] = "# Unit tabletop\n\n```opsdeck\ndrill: tabletop\nduration: 10m\n"
                            "role: gm = Game master\nrole: ic = Incident commander\n"
                            "facilitator: gm\n```\n\n## Office lost\n```opsdeck\nat: T+00\n"
                            "to: ic\nchannel: announce\nexpect: 1m 10 Incident declared\n"
                            "expect: 2m 4 Status page updated\n```\nThe office is evacuated.\n";

static uint64_t fake_now = 1000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static bool grecord(struct game *g, const char *actor, const char *action, const char *json,
                    char **cause)
{
    game_set_actor(g, actor, actor != NULL ? "bastion" : NULL);
    bool ok = game_record(g, action, json != NULL ? cJSON_Parse(json) : NULL, cause);
    game_set_actor(g, NULL, NULL);
    return ok;
}

static void test_drill(void)
{
    char *cause = NULL;
    char *path = xasprintf("%s/unit.md", tmp);
    FILE *f = fopen(path, "w");
    fputs(DRILL, f);
    fclose(f);
    struct drill *d = drill_load(path, &cause);
    free(path);
    if (!tap_ok(d != NULL, "drill parsed (%s)", cause ? cause : "ok")) {
        free(cause);
        return;
    }
    char *inj = xstrdup(d->injects[0].id);
    struct game_env env = {.loop = loop, .runs_dir = runs, .now_ms = fake_clock, .no_timer = true};
    struct game *g = game_start(&env, d, NULL, &cause);
    if (!tap_ok(g != NULL, "drill: started (%s)", cause ? cause : "ok")) {
        free(cause);
        free(inj);
        return;
    }
    char *id = xstrdup(game_run_id(g));
    struct drillview *v = drillview_create(game_drill(g), fake_clock, NULL);
    game_history(g, drillview_apply, v, NULL);
    game_subscribe(g, drillview_apply, v);

    game_set_actor(g, "bob", "bastion2");
    tap_ok(game_note(g, "bob's drill note", NULL, NULL), "a drill note as bob");
    game_set_actor(g, NULL, NULL);
    cJSON *n = last(id, "note");
    tap_ok(n != NULL && strcmp(str(n, "actor"), "bob") == 0 &&
               strcmp(str(n, "host"), "bastion2") == 0,
           "the drill's journal line names bob@bastion2");
    cJSON_Delete(n);

    tap_ok(grecord(g, "alice", "join", "{\"role\":\"driver\",\"via\":\"local\"}", NULL) &&
               grecord(g, "bob", "join", "{\"role\":\"participant\",\"via\":\"unix\"}", NULL),
           "two people join the drill");
    char *line = crew_presence_line(drillview_crew(v), " · ");
    tap_is_str(line, "alice driver · bob participant", "the drill view's presence line");
    free(line);
    cause = NULL;
    refused(grecord(g, "bob", "claim", "{\"inject\":\"nosuch\"}", &cause), &cause,
            "claim: no inject 'nosuch' in this drill", "a claim of an unknown inject");
    char *json = xasprintf("{\"inject\":\"%s\",\"expect\":5}", inj);
    cause = NULL;
    char *want = xasprintf("claim: inject '%s' has no expectation of that number", inj);
    refused(grecord(g, "bob", "claim", json, &cause), &cause, want,
            "a claim of an expectation that does not exist");
    free(want);
    free(json);
    json = xasprintf("{\"inject\":\"%s\",\"expect\":1}", inj);
    tap_ok(grecord(g, "bob", "claim", json, NULL), "bob claims expectation 2 of the inject");
    char *t = crew_claim_text(drillview_crew(v), inj, 1);
    tap_is_str(t, "bob is on it", "the drill view: bob is on the expectation");
    free(t);
    tap_ok(crew_claim_text(drillview_crew(v), inj, 0) == NULL, "not on the other one");
    cause = NULL;
    refused(grecord(g, "alice", "unclaim", json, &cause), &cause,
            "unclaim: alice has no claim on it", "alice cannot drop bob's claim");
    free(json);
    cause = NULL;
    refused(grecord(g, "alice", "approval.request", NULL, &cause), &cause,
            "not an event the console may record in a drill", "no approval requests in a drill");

    /* resume: the game's crew comes back from the journal */
    game_unsubscribe(g, drillview_apply, v);
    drillview_destroy(v);
    game_destroy(g, false);
    g = game_resume(&env, id, NULL, &cause);
    if (tap_ok(g != NULL, "drill resumed (%s)", cause ? cause : "ok")) {
        json = xasprintf("{\"inject\":\"%s\",\"expect\":1}", inj);
        cause = NULL;
        refused(grecord(g, "bob", "claim", json, &cause), &cause, "claim: bob is already on it",
                "after resume the claim is still bob's");
        tap_ok(grecord(g, "bob", "unclaim", json, NULL), "bob lets go after resume");
        free(json);
        char *md = report_markdown(runs, id, &cause);
        tap_ok(md != NULL && strstr(md, "\n## People\n") != NULL &&
                   strstr(md, "bob joined as participant (unix)") != NULL,
               "the drill report has people and joins");
        free(md);
        game_destroy(g, false);
    }
    free(cause);
    free(id);
    free(inj);
}

static void test_single_person_report(void)
{
    struct run *r = start_run(two_rb);
    if (r == NULL) {
        return;
    }
    char *id = xstrdup(run_id(r));
    run_note(r, "alone", NULL);
    run_confirm(r, NULL);
    run_destroy(r);
    char *md = report_markdown(runs, id, NULL);
    tap_ok(md != NULL && strstr(md, "People") == NULL && strstr(md, "joined") == NULL,
           "a run with one person has no People section");
    free(md);
    free(id);
}

/* The step key two-person: parsed in Markdown, linted (a bad value, a step it means nothing on). */
static void test_two_person_key(void)
{
    static const char md[] = "# K\n\n## Restart\n```opsdeck\ntype: command\nrun: echo hi\n"
                             "two-person: true\n```\n\n## Plain\nNothing.\n";
    char *cause = NULL;
    struct runbook *rb = runbook_parse(md, strlen(md), "k.md", &cause);
    tap_ok(rb != NULL && rb->nissues == 0 && rb->steps[0].two_person && !rb->steps[1].two_person,
           "two-person: true marks the step (and only it)");
    runbook_free(rb);
    static const char bad[] = "# K\n\n## Restart\n```opsdeck\ntype: command\nrun: echo hi\n"
                              "two-person: maybe\n```\n";
    rb = runbook_parse(bad, strlen(bad), "k.md", &cause);
    tap_ok(rb != NULL && rb->nissues == 1 &&
               strcmp(rb->issues[0].message, "bad two-person 'maybe' (true or false)") == 0,
           "a bad value is an issue naming it (%s)",
           rb != NULL && rb->nissues > 0 ? rb->issues[0].message : "none");
    runbook_free(rb);
    static const char prompt[] = "# K\n\n## Ask\n```opsdeck\ntype: prompt\nvar: x\n"
                                 "two-person: true\n```\n";
    rb = runbook_parse(prompt, strlen(prompt), "k.md", &cause);
    tap_ok(rb != NULL && rb->nissues == 1 &&
               strstr(rb->issues[0].message, "'two-person' is not a key of a prompt step") != NULL,
           "two-person on a prompt is refused (%s)",
           rb != NULL && rb->nissues > 0 ? rb->issues[0].message : "none");
    runbook_free(rb);
    free(cause);
}

/* The JSON report lists the people too, with their actions. */
static void test_people_json(void)
{
    struct run *r = start_run(two_rb);
    if (r == NULL) {
        return;
    }
    char *id = xstrdup(run_id(r));
    record(r, "bob", "join", "{\"role\":\"participant\",\"via\":\"unix\"}", NULL);
    record(r, "bob", "claim", "{\"step\":\"cmd\"}", NULL);
    record(r, "bob", "leave", "{\"reason\":\"left\"}", NULL);
    run_destroy(r);
    struct report_opts o = {.runs_dir = runs, .json = true};
    char *cause = NULL;
    char *text = report_build(&o, id, 0, 0, NULL, &cause);
    cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *people = cJSON_GetObjectItemCaseSensitive(doc, "people");
    const cJSON *bob = NULL, *it;
    cJSON_ArrayForEach(it, people)
    {
        const char *u = str(it, "user");
        bob = u != NULL && strcmp(u, "bob") == 0 ? it : bob;
    }
    tap_ok(cJSON_GetArraySize(people) == 2 && bob != NULL,
           "the JSON report has two people, bob one of them (%s)", cause ? cause : "ok");
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(bob, "roles");
    tap_ok(cJSON_GetArraySize(roles) == 1 &&
               strcmp(cJSON_GetArrayItem(roles, 0)->valuestring, "participant") == 0,
           "bob's role");
    tap_ok(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bob, "joined")) == 1 &&
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bob, "left")) == 1,
           "when bob joined and left");
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(bob, "actions");
    const cJSON *claim = cJSON_GetArrayItem(acts, 1);
    tap_ok(cJSON_GetArraySize(acts) == 3 && strcmp(str(claim, "action"), "claim") == 0 &&
               strcmp(str(claim, "step"), "cmd") == 0 &&
               strcmp(str(claim, "text"), "bob claimed step cmd") == 0,
           "bob's actions: join, claim (with its step and words), leave");
    cJSON_Delete(doc);
    free(text);
    free(cause);
    free(id);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-warroom-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    loop = loop_create();
    test_actor();
    test_two_person();
    test_people();
    test_drill();
    test_single_person_report();
    test_two_person_key();
    test_people_json();
    loop_destroy(loop);
    char *cmd = xasprintf("rm -rf '%s'", tmp);
    if (system(cmd) != 0) {
        tap_diag("could not remove %s", tmp);
    }
    free(cmd);
    return tap_done();
}
