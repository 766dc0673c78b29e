/*
 * engine/runview.c: a run's view built from its event stream. A real run on
 * a real loop, seen three ways: the run itself, the owner's view (history,
 * then subscribed, as the runbook pane does) and a follower's view
 * (runlog_follow on the journal, as a second console would). The owner's
 * view must say exactly what the run says; the follower, reading the file
 * alone, must agree on position, states, marks, variables and output, and
 * never learn a secret.
 */
#include "../../backends/demo.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/run.h"
#include "../../engine/runview.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[64];
static char runs[128];
static struct loop *loop;
static struct store *store;
static struct backend *demo;

static const char RUNBOOK[] =
    "{\"title\": \"Views\", \"vars\": {\"service\": \"checkout\"}, \"steps\": [\n"
    " {\"id\": \"ack\", \"title\": \"Acknowledge\", \"phase\": \"S\"},\n"
    " {\"id\": \"host\", \"title\": \"Find the host\", \"phase\": \"A\", \"type\": \"command\",\n"
    "  \"run\": \"echo host-of-${service}\", \"capture\": \"host\"},\n"
    " {\"id\": \"token\", \"title\": \"The token\", \"phase\": \"A\", \"type\": \"prompt\",\n"
    "  \"var\": \"token\", \"secret\": true, \"ask\": \"Token?\"},\n"
    " {\"id\": \"use\", \"title\": \"Use it\", \"phase\": \"F\", \"type\": \"command\",\n"
    "  \"run\": \"echo using ${token} on ${host}\"},\n"
    " {\"id\": \"long\", \"title\": \"Long\", \"phase\": \"F\", \"type\": \"command\",\n"
    "  \"run\": \"echo started; sleep 30\"},\n"
    " {\"id\": \"pick\", \"title\": \"Pick\", \"phase\": \"F\", \"type\": \"decision\",\n"
    "  \"choices\": [{\"label\": \"done\", \"goto\": \"page\"},\n"
    "               {\"label\": \"again\", \"goto\": \"ack\"}]},\n"
    " {\"id\": \"page\", \"title\": \"Page someone\", \"phase\": \"E\"}\n"
    "]}\n";

static struct run_env env(void)
{
    struct run_env e = {
        .loop = loop, .store = store, .backends = &demo, .nbackends = 1, .runs_dir = runs};
    return e;
}

static void spin(int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
}

static void settle(struct run *r)
{
    uint64_t end = clock_mono_ms() + 5000;
    while (run_state(r) == RUN_BUSY && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    spin(150); /* the follower looks every 10 ms */
}

/* The owner's view: what is journaled, then subscribed. */
static struct runview *owner_view(struct run *r)
{
    struct runview *v = runview_create(run_runbook(r), run_journal(r));
    runview_set_backends(v, &demo, 1);
    char *cause = NULL;
    if (!run_history(r, runview_apply, v, &cause)) {
        tap_diag("run_history: %s", cause);
        free(cause);
    }
    run_subscribe(r, runview_apply, v);
    return v;
}

static bool same_marks(const struct run *r, const struct runview *v)
{
    for (size_t i = 0; i < run_runbook(r)->nsteps; i++) {
        if (run_mark(r, i) != runview_mark(v, i)) {
            return false;
        }
    }
    return true;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The owner's view says what the run says. */
static void owner_agrees(struct run *r, struct runview *v, const char *when)
{
    bool ok = run_state(r) == runview_state(v) && run_index(r) == runview_index(v) &&
              same_marks(r, v) && same_str(run_message(r), runview_message(v)) &&
              run_overtime(r) == runview_overtime(v);
    size_t a = 0, b = 0;
    const char *ra = run_output(r, &a);
    const char *vb = runview_output(v, &b);
    ok = ok && a == b && memcmp(ra, vb, a) == 0;
    char *p1 = run_preview(r, NULL), *p2 = runview_preview(v, NULL);
    ok = ok && same_str(p1, p2);
    free(p1);
    free(p2);
    tap_ok(ok, "%s: the owner's view says what the run says", when);
    if (!ok) {
        tap_diag("run: state %d index %zu message '%s'; view: state %d index %zu message '%s'",
                 run_state(r), run_index(r), run_message(r) ? run_message(r) : "(null)",
                 runview_state(v), runview_index(v),
                 runview_message(v) ? runview_message(v) : "(null)");
    }
}

/* A follower, from the file alone, agrees on where the run is. */
static void follower_agrees(struct run *r, struct runview *f, const char *when)
{
    bool ok =
        run_state(r) == runview_state(f) && run_index(r) == runview_index(f) && same_marks(r, f);
    tap_ok(ok, "%s: a follower agrees on position, state and marks", when);
    if (!ok) {
        tap_diag("run: state %d index %zu; follower: state %d index %zu", run_state(r),
                 run_index(r), runview_state(f), runview_index(f));
    }
}

static void test_views(void)
{
    char *path = xasprintf("%s/views.json", tmp);
    FILE *fp = fopen(path, "w");
    fputs(RUNBOOK, fp);
    fclose(fp);
    char *cause = NULL;
    struct runbook *rb = runbook_load(path, &cause);
    struct run_env e = env();
    struct run *r = rb != NULL ? run_start(&e, rb, NULL, NULL, &cause) : NULL;
    if (!tap_ok(r != NULL, "a run starts (%s)", cause != NULL ? cause : "")) {
        free(cause);
        free(path);
        return;
    }
    char *id = xstrdup(run_id(r));
    struct runview *v = owner_view(r);
    /* the follower has its own copy of the runbook, as another console would */
    struct runbook *frb = runbook_load(path, &cause);
    struct runview *f = runview_create(frb, run_journal(r));
    struct runlog_follow *fl = runlog_follow(loop, run_journal(r), 10, runview_apply, f, &cause);
    tap_ok(fl != NULL, "a follower follows the journal");
    spin(100);
    tap_is_str(runview_id(f), id, "the follower knows the run");
    owner_agrees(r, v, "started");
    follower_agrees(r, f, "started");

    run_confirm(r, &cause); /* ack */
    run_confirm(r, &cause); /* host */
    owner_agrees(r, v, "a command in flight");
    settle(r);
    owner_agrees(r, v, "a command done");
    follower_agrees(r, f, "a command done");
    tap_is_str(runview_var(f, "host"), "host-of-checkout", "the follower has the captured value");
    size_t n = 0;
    const char *out = runview_output(f, &n);
    tap_ok(n > 0 && strstr(out, "host-of-checkout") != NULL,
           "the follower read the output from RUN-ID.out");

    tap_ok(run_input(r, "s3cr3t", &cause), "the secret is answered");
    run_confirm(r, &cause); /* use */
    settle(r);
    owner_agrees(r, v, "the secret used");
    follower_agrees(r, f, "the secret used");
    out = runview_output(v, &n);
    char *masked = runview_mask(v, xstrndup(out, n));
    tap_ok(strstr(masked, "using [secret] on") != NULL && strstr(masked, "s3cr3t") == NULL,
           "the owner's view masks the secret in the output");
    free(masked);
    tap_is_str(runview_var(f, "token"), "[secret]", "a follower knows it is set, not its value");
    char *t = runview_text(f, "token ${token}");
    tap_is_str(t, "token [secret]", "and shows it masked");
    free(t);

    run_confirm(r, &cause); /* long: in flight when the session ends */
    spin(300);
    owner_agrees(r, v, "a long command");
    follower_agrees(r, f, "a long command");
    runlog_unfollow(fl);
    run_unsubscribe(r, runview_apply, v);
    runview_destroy(v);
    run_destroy(r);
    free(cause);
    cause = NULL;

    r = run_resume(&e, id, NULL, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause != NULL ? cause : "")) {
        free(cause);
        runview_destroy(f);
        runbook_free(frb);
        free(id);
        free(path);
        return;
    }
    tap_ok(run_state(r) == RUN_READY && run_index(r) == 2, "the lost secret is asked again first");
    v = owner_view(r);
    owner_agrees(r, v, "resumed");
    /* a new follower replays the whole journal, the resume included */
    struct runview *f2 = runview_create(frb, run_journal(r));
    fl = runlog_follow(loop, run_journal(r), 10, runview_apply, f2, &cause);
    spin(100);
    follower_agrees(r, f2, "resumed");
    tap_ok(runview_message(f2) != NULL &&
               strncmp(runview_message(f2), "interrupted: command.start", 26) == 0,
           "the follower says what was in flight (%s)",
           runview_message(f2) != NULL ? runview_message(f2) : "(null)");
    tap_ok(runview_var(f2, "token") == NULL, "after a resume the secret is gone until asked again");
    out = runview_output(f2, &n);
    tap_ok(n > 0 && strstr(out, "started") != NULL,
           "the follower has the interrupted command's output");

    tap_ok(run_input(r, "again", &cause), "the secret answered again");
    spin(100);
    tap_is_int(run_state(r), RUN_INTERRUPTED, "then the long command is shown interrupted");
    owner_agrees(r, v, "asked again");
    follower_agrees(r, f2, "asked again");
    run_skip(r, &cause);
    tap_ok(run_choose(r, 0, &cause), "a decision");
    spin(100);
    owner_agrees(r, v, "after a decision");
    follower_agrees(r, f2, "after a decision");
    run_confirm(r, &cause); /* page */
    spin(100);
    owner_agrees(r, v, "finished");
    follower_agrees(r, f2, "finished");
    tap_is_int(runview_state(f2), RUN_DONE, "the follower saw the end");
    uint64_t a[RB_PHASES], b[RB_PHASES];
    run_phase_ms(r, a);
    runview_phase_ms(f2, b);
    bool close = true;
    for (int i = 0; i < RB_PHASES; i++) {
        close = close && (a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]) < 50;
    }
    tap_ok(close, "time per phase agrees (within the journal's milliseconds)");

    runlog_unfollow(fl);
    run_unsubscribe(r, runview_apply, v);
    runview_destroy(v);
    runview_destroy(f);
    runview_destroy(f2);
    runbook_free(frb);
    run_destroy(r);
    free(cause);
    free(id);
    free(path);
}

static void test_dry_run(void)
{
    char *path = xasprintf("%s/dry.json", tmp);
    FILE *fp = fopen(path, "w");
    fputs(RUNBOOK, fp);
    fclose(fp);
    char *cause = NULL;
    struct runbook *rb = runbook_load(path, &cause);
    struct run_env e = env();
    e.dry_run = true;
    struct run *r = run_start(&e, rb, NULL, NULL, &cause);
    struct runview *v = owner_view(r);
    run_confirm(r, &cause);
    run_confirm(r, &cause);
    tap_ok(run_journal(r) == NULL, "a dry run has no journal");
    owner_agrees(r, v, "a dry run");
    run_unsubscribe(r, runview_apply, v);
    runview_destroy(v);
    run_destroy(r);
    free(cause);
    free(path);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-runview-XXXXXX");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    loop = loop_create();
    store = store_create();
    demo = backend_create(&demo_backend, "demo", store, NULL);
    test_views();
    test_dry_run();
    backend_destroy(demo);
    store_destroy(store);
    loop_destroy(loop);
    char *rm = xasprintf("rm -rf '%s'", tmp);
    tap_ok(system(rm) == 0, "temporary directory removed");
    free(rm);
    return tap_done();
}
