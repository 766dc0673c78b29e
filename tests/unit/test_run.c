/*
 * engine/run.c on a real loop: the step machine with runbooks written as
 * JSON files and loaded by the parser (some intervals shortened in memory so
 * waits take milliseconds), the journal it writes, the demo backend for an
 * action step, and run_resume() after every kind of state, a torn last line
 * and a changed runbook.
 */
#include "../../engine/run.h"
#include "../../backends/demo.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../engine/journal.h"
#include "../../engine/report.h"
#include "../../common/loop.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[64];
static char runs[128];
static struct loop *loop;
static struct store *store;
static struct backend *demo;
static int changes;

static void on_changed(struct run *r, void *ud)
{
    (void)r;
    (void)ud;
    changes++;
}

static const struct run_hooks hooks = {.changed = on_changed};

static struct run_env env(void)
{
    struct run_env e = {
        .loop = loop,
        .store = store,
        .backends = &demo,
        .nbackends = 1,
        .runs_dir = runs,
    };
    return e;
}

static char *write_file(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static struct runbook *load(const char *name, const char *text)
{
    char *path = write_file(name, text);
    char *cause = NULL;
    struct runbook *rb = runbook_load(path, &cause);
    if (rb == NULL) {
        tap_diag("cannot load %s: %s", path, cause);
        free(cause);
    }
    free(path);
    return rb;
}

static struct run *start(const char *name, const char *text, const struct vars *v)
{
    struct runbook *rb = load(name, text);
    if (rb == NULL) {
        return NULL;
    }
    struct run_env e = env();
    char *cause = NULL;
    struct run *r = run_start(&e, rb, v, &hooks, &cause);
    if (r == NULL) {
        tap_diag("run_start: %s", cause);
        free(cause);
    }
    return r;
}

/* Run the loop until the run is not busy any more, at most ms. */
static bool settle(struct run *r, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (run_state(r) == RUN_BUSY && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    return run_state(r) != RUN_BUSY;
}

static void spin(int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
}

/* The journal's events (action names) joined by spaces, and the parsed lines. */
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

/* The last event with this action name, or NULL. */
static const cJSON *last_event(cJSON **ev, size_t n, const char *action)
{
    for (size_t i = n; i > 0; i--) {
        const char *a = str(ev[i - 1], "action");
        if (a != NULL && strcmp(a, action) == 0) {
            return ev[i - 1];
        }
    }
    return NULL;
}

static int count_events(const char *id, const char *action)
{
    size_t n;
    cJSON **ev = events(id, &n);
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = str(ev[i], "action");
        c += a != NULL && strcmp(a, action) == 0;
    }
    free_events(ev, n);
    return c;
}

static struct run *resume(const char *id, char **cause)
{
    struct run_env e = env();
    return run_resume(&e, id, &hooks, cause);
}

static const char *const basic_rb =
    "{\"title\": \"Basic\", \"vars\": {\"service\": \"checkout\"}, \"steps\": [\n"
    " {\"id\": \"ack\", \"title\": \"Acknowledge\", \"phase\": \"S\", \"body\": \"Ack it.\"},\n"
    " {\"id\": \"host\", \"title\": \"Find the host\", \"phase\": \"A\", \"type\": \"command\",\n"
    "  \"run\": \"echo hello; echo oops >&2; echo ${service}\", \"capture\": \"host\"},\n"
    " {\"id\": \"fix\", \"title\": \"Fix it\", \"phase\": \"F\"},\n"
    " {\"id\": \"page\", \"title\": \"Page someone\", \"phase\": \"E\"}\n"
    "]}\n";

static void test_manual_and_command(void)
{
    struct vars v = {0};
    vars_set(&v, "extra", "x; rm -rf /");
    struct run *r = start("basic.json", basic_rb, &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "basic: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    tap_ok(strstr(id, "-basic-") != NULL && strlen(id) == strlen("20261123T160212Z-basic-3f2a"),
           "run id is time, slug and 4 hex digits (%s)", id);
    tap_is_int(run_state(r), RUN_READY, "basic: ready at the first step");
    tap_is_int((long long)run_index(r), 0, "basic: at step 0");
    tap_ok(run_preview(r, NULL) == NULL, "a manual step has no preview");
    char *cause = NULL;
    tap_ok(run_confirm(r, &cause), "manual: confirm");
    tap_is_int(run_mark(r, 0), RUN_MARK_DONE, "manual: marked done");
    tap_is_int((long long)run_index(r), 1, "manual: moved on");
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "sh: echo hello; echo oops >&2; echo 'checkout'",
               "command preview is shell-quoted");
    free(pv);
    tap_ok(run_confirm(r, &cause), "command: started");
    tap_is_int(run_state(r), RUN_BUSY, "command: busy");
    tap_ok(!run_confirm(r, &cause), "cannot confirm while busy");
    free(cause);
    cause = NULL;
    tap_ok(settle(r, 5000), "command: finished");
    tap_is_int((long long)run_index(r), 2, "command: moved on");
    tap_is_int(run_mark(r, 1), RUN_MARK_DONE, "command: marked done");
    tap_is_str(vars_get(run_vars(r), "host"), "hello\ncheckout", "capture: stdout, trimmed");
    tap_is_str(vars_get(run_vars(r), "extra"), "x; rm -rf /", "initial vars kept");
    size_t len;
    const char *out = run_output(r, &len);
    tap_ok(strstr(out, "hello") != NULL && strstr(out, "oops") != NULL,
           "run_output has stdout and stderr");
    tap_ok(run_output_total(r) == len, "output total counts every byte");
    tap_ok(strncmp(run_message(r), "exit 0 in ", 10) == 0, "message says exit 0 (%s)",
           run_message(r));

    size_t n;
    cJSON **ev = events(id, &n);
    const char *want[] = {"run.start",     "step.enter",   "step.done",      "step.enter",
                          "command.start", "command.pgid", "command.output", "command.exit",
                          "step.done",     "step.enter"};
    bool same = n == 10;
    for (size_t i = 0; same && i < n; i++) {
        same = strcmp(str(ev[i], "action"), want[i]) == 0;
    }
    tap_ok(same, "journal events in order (%zu)", n);
    const cJSON *st = last_event(ev, n, "run.start");
    tap_is_str(str(data(st), "title"), "Basic", "run.start has the title");
    tap_ok(str(data(st), "runbook") != NULL && strstr(str(data(st), "runbook"), "basic.json"),
           "run.start has the runbook path");
    tap_is_str(str(cJSON_GetObjectItem(data(st), "argv_vars"), "extra"), "x; rm -rf /",
               "run.start has argv_vars");
    const cJSON *ex = last_event(ev, n, "command.exit");
    tap_is_str(str(data(ex), "var"), "host", "command.exit names the variable");
    tap_is_str(str(data(ex), "value"), "hello\ncheckout", "command.exit has the value");
    tap_is_int(cJSON_GetObjectItem(data(ex), "code")->valueint, 0, "command.exit has the code");
    const cJSON *cs = last_event(ev, n, "command.start");
    tap_is_str(str(data(cs), "command"), "echo hello; echo oops >&2; echo 'checkout'",
               "command.start has the exact command");
    const cJSON *pg = last_event(ev, n, "command.pgid");
    const cJSON *pgid = cJSON_GetObjectItem(data(pg), "pgid");
    const cJSON *pstart = cJSON_GetObjectItem(data(pg), "start");
    tap_ok(cJSON_IsNumber(pgid) && pgid->valueint > 1 && cJSON_IsNumber(pstart) &&
               pstart->valuedouble > 0,
           "command.pgid has the process group and its start time");
    tap_ok(str(data(pg), "boot") != NULL && strlen(str(data(pg), "boot")) >= 32,
           "and the boot id (%s)", str(data(pg), "boot") ? str(data(pg), "boot") : "");
    const cJSON *co = last_event(ev, n, "command.output");
    tap_ok(cJSON_GetObjectItem(data(co), "length")->valueint == (int)len,
           "command.output references every byte");
    tap_is_str(str(ev[1], "step"), "ack", "events name the step id");
    tap_is_str(str(data(ev[1]), "phase"), "S", "step.enter has the phase letter");
    free_events(ev, n);

    char *opath = xasprintf("%s/%s.out", runs, id);
    struct stat sb;
    tap_ok(stat(opath, &sb) == 0 && (size_t)sb.st_size == len, "the .out file has the output");
    free(opath);

    uint64_t ph[RB_PHASES];
    run_phase_ms(r, ph);
    tap_ok(ph[RB_PHASE_F] <= run_step_elapsed_ms(r) + 5, "phase time counts the current step");

    tap_ok(run_confirm(r, &cause), "fix: done");
    tap_ok(run_confirm(r, &cause), "page: done");
    tap_is_int(run_state(r), RUN_DONE, "the last step ends the run");
    tap_ok(run_step(r) == NULL, "no current step when done");
    tap_ok(!run_confirm(r, &cause), "nothing to confirm when done");
    free(cause);
    run_destroy(r);
    tap_is_int(count_events(id, "run.end"), 1, "run.end journaled once");
    cause = NULL;
    tap_ok(resume(id, &cause) == NULL && cause != NULL && strstr(cause, "ended") != NULL,
           "a finished run cannot be resumed");
    free(cause);
    free(id);
}

static const char *const fail_rb =
    "{\"title\": \"Failing\", \"steps\": [\n"
    " {\"id\": \"flag\", \"title\": \"Check the flag\", \"type\": \"command\", \"run\": \"test "
    "-f FLAG\"},\n"
    " {\"id\": \"slow\", \"title\": \"Slow\", \"type\": \"command\", \"run\": \"sleep 5\", "
    "\"timeout\": \"1s\"},\n"
    " {\"id\": \"unset\", \"title\": \"Unset\", \"type\": \"command\", \"run\": \"echo ${nope} > "
    "RAN\"},\n"
    " {\"id\": \"any\", \"title\": \"Any code\", \"type\": \"command\", \"run\": \"exit 3\", "
    "\"expect\": \"any\"},\n"
    " {\"id\": \"last\", \"title\": \"Last\"}\n"
    "]}\n";

static void test_failures(void)
{
    char *flag = xasprintf("%s/flag", tmp);
    unlink(flag);
    char *text = xstrdup(fail_rb);
    char *rb_text = NULL;
    /* the command runs in the test's cwd: give it the absolute flag path */
    struct strbuf sb = {0};
    const char *at = strstr(text, "FLAG");
    strbuf_add(&sb, text, (size_t)(at - text));
    strbuf_str(&sb, flag);
    strbuf_str(&sb, at + 4);
    rb_text = sb.s;
    free(text);
    struct run *r = start("fail.json", rb_text, NULL);
    free(rb_text);
    if (!tap_ok(r != NULL, "failing: started")) {
        free(flag);
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_confirm(r, &cause);
    settle(r, 5000);
    tap_is_int(run_state(r), RUN_FAILED, "exit 1 (want 0): failed");
    tap_is_int(run_mark(r, 0), RUN_MARK_FAILED, "marked failed");
    tap_ok(strstr(run_message(r), "exit 1 (want 0)") != NULL, "message says why (%s)",
           run_message(r));
    tap_is_int((long long)run_index(r), 0, "a failed step stays current");
    FILE *f = fopen(flag, "w");
    fclose(f);
    tap_ok(run_confirm(r, &cause), "retry");
    settle(r, 5000);
    tap_is_int(run_mark(r, 0), RUN_MARK_DONE, "retry succeeded");
    tap_is_int((long long)run_index(r), 1, "and moved on");

    uint64_t t0 = clock_mono_ms();
    run_confirm(r, &cause);
    settle(r, 5000);
    tap_is_int(run_state(r), RUN_FAILED, "timeout: failed");
    tap_ok(clock_mono_ms() - t0 < 3500, "timeout: did not wait for sleep 5");
    tap_ok(strstr(run_message(r), "timed out") != NULL, "timeout: says so (%s)", run_message(r));
    tap_ok(run_skip(r, &cause), "skip the failed step");
    tap_is_int(run_mark(r, 1), RUN_MARK_SKIPPED, "marked skipped");

    char *ran = xasprintf("%s/RAN", tmp);
    tap_ok(!run_confirm(r, &cause), "unset variable: confirm fails");
    tap_is_str(cause, "unset variable nope", "unset variable: the cause");
    free(cause);
    cause = NULL;
    tap_is_str(run_message(r), "unset variable nope", "unset variable: the message");
    tap_is_int(run_state(r), RUN_FAILED, "unset variable: failed");
    tap_ok(access(ran, F_OK) != 0, "unset variable: nothing ran");
    tap_is_int(count_events(id, "command.start"), 3, "unset variable: no command.start");
    free(ran);

    tap_ok(run_back(r, &cause), "back");
    tap_is_int((long long)run_index(r), 1, "back: to the step before");
    tap_ok(run_back(r, &cause), "back again");
    tap_is_int((long long)run_index(r), 0, "back: to the first");
    tap_ok(!run_back(r, &cause), "no back from the first step");
    free(cause);
    cause = NULL;
    tap_ok(run_jump(r, "any", &cause), "jump by id");
    tap_is_int((long long)run_index(r), 3, "jump: there");
    tap_ok(!run_jump(r, "nowhere", &cause), "jump to a missing id fails");
    tap_is_str(cause, "no step 'nowhere'", "jump: the cause");
    free(cause);
    cause = NULL;
    run_confirm(r, &cause);
    settle(r, 5000);
    tap_is_int(run_mark(r, 3), RUN_MARK_DONE, "expect any: exit 3 is fine");
    tap_ok(run_back(r, &cause), "back after jump");
    tap_is_int((long long)run_index(r), 3, "back returns to the step we left");
    tap_ok(run_back(r, &cause), "back once more");
    tap_is_int((long long)run_index(r), 0, "back walks the jump back");
    tap_ok(run_note(r, "looked at the graphs", &cause), "a note");
    run_destroy(r);
    tap_is_int(count_events(id, "note"), 1, "note journaled");
    tap_is_int(count_events(id, "run.end"), 0, "destroy does not end the run");
    tap_is_int(count_events(id, "back"), 4, "back journaled");
    free(id);
    free(flag);
}

static const char *const ask_rb =
    "{\"title\": \"Ask\", \"steps\": [\n"
    " {\"id\": \"env\", \"title\": \"Which environment\", \"type\": \"prompt\", \"var\": \"env\", "
    "\"choices\": [\"prod\", \"stage\"], \"default\": \"prod\"},\n"
    " {\"id\": \"tok\", \"title\": \"Token\", \"type\": \"prompt\", \"var\": \"token\", "
    "\"secret\": "
    "true},\n"
    " {\"id\": \"ok\", \"title\": \"Approve\", \"type\": \"approval\", \"role\": \"incident "
    "commander\"},\n"
    " {\"id\": \"dec\", \"title\": \"Roll back?\", \"type\": \"decision\", \"choices\": "
    "[{\"label\": "
    "\"yes\", \"goto\": \"rollback\"}, {\"label\": \"no\", \"goto\": \"end\"}]},\n"
    " {\"id\": \"other\", \"title\": \"Other\"},\n"
    " {\"id\": \"rollback\", \"title\": \"Roll back\"}\n"
    "]}\n";

static void test_inputs(void)
{
    struct run *r = start("ask.json", ask_rb, NULL);
    if (!tap_ok(r != NULL, "ask: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    tap_ok(!run_confirm(r, &cause), "a prompt needs an answer, not confirm");
    free(cause);
    cause = NULL;
    tap_ok(!run_input(r, "dev", &cause), "prompt: an answer outside the choices is refused");
    tap_is_str(cause, "answer one of: prod, stage", "prompt: says the choices");
    free(cause);
    cause = NULL;
    tap_ok(run_input(r, "", &cause), "prompt: empty takes the default");
    tap_is_str(vars_get(run_vars(r), "env"), "prod", "prompt: default set");
    tap_ok(run_input(r, "s3cr3t", &cause), "secret prompt answered");
    tap_is_str(vars_get(run_vars(r), "token"), "s3cr3t", "secret is in the variables");
    tap_ok(!run_input(r, "  ", &cause), "approval: a name is needed");
    free(cause);
    cause = NULL;
    tap_ok(run_input(r, "Alice", &cause), "approval by a name");
    tap_ok(!run_choose(r, 5, &cause), "decision: no such choice");
    free(cause);
    cause = NULL;
    run_destroy(r);

    char *path = xasprintf("%s/%s.jsonl", runs, id);
    FILE *f = fopen(path, "r");
    char buf[65536];
    size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    tap_ok(strstr(buf, "s3cr3t") == NULL, "the secret is not in the journal");
    size_t ne;
    cJSON **ev = events(id, &ne);
    const cJSON *ap = last_event(ev, ne, "approval");
    tap_is_str(str(data(ap), "by"), "Alice", "approval: who");
    tap_is_str(str(data(ap), "role"), "incident commander", "approval: the role");
    free_events(ev, ne);

    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "ask: resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(path);
        free(id);
        return;
    }
    tap_is_int((long long)run_index(r), 1, "resume asks the secret again first");
    tap_ok(vars_get(run_vars(r), "token") == NULL, "the secret is not restored");
    tap_is_str(vars_get(run_vars(r), "env"), "prod", "other inputs are restored");
    tap_ok(run_input(r, "again", &cause), "secret answered again");
    tap_is_int((long long)run_index(r), 3, "then back at the decision");
    tap_is_str(vars_get(run_vars(r), "token"), "again", "the secret is set");
    tap_ok(run_choose(r, 0, &cause), "decision: choose yes");
    tap_is_int((long long)run_index(r), 5, "decision: jumped to its goto");
    tap_ok(run_back(r, &cause), "back from the choice");
    tap_is_int((long long)run_index(r), 3, "back at the decision");
    tap_ok(run_choose(r, 1, &cause), "decision: choose no");
    tap_is_int(run_state(r), RUN_DONE, "goto end ends the run");
    run_destroy(r);
    tap_is_int(count_events(id, "choice"), 2, "choices journaled");
    free(path);
    free(id);
}

static const char *const secret_rb =
    "{\"title\": \"Secret\", \"steps\": [\n"
    " {\"id\": \"tok\", \"title\": \"Token\", \"type\": \"prompt\", \"var\": \"token\", "
    "\"secret\": true},\n"
    " {\"id\": \"use\", \"title\": \"Use it\", \"type\": \"command\", \"run\": \"echo "
    "${token} | tr a-z A-Z\", \"capture\": \"upper\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

static void test_secret_in_command(void)
{
    struct run *r = start("secret.json", secret_rb, NULL);
    if (!tap_ok(r != NULL, "secret: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_input(r, "hunter2", &cause);
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "sh: echo '[secret]' | tr a-z A-Z", "the preview masks a secret");
    free(pv);
    run_confirm(r, &cause);
    settle(r, 3000);
    tap_is_str(vars_get(run_vars(r), "upper"), "HUNTER2", "the command got the real value");
    tap_ok(strstr(run_message(r), "hunter2") == NULL, "the message does not show it");
    run_destroy(r);
    char *jpath = xasprintf("%s/%s.jsonl", runs, id);
    size_t len;
    char *all = tap_fixture(runs, strrchr(jpath, '/') + 1, &len);
    tap_ok(len > 0 && strstr(all, "hunter2") == NULL, "the secret is not in the journal");
    tap_ok(strstr(all, "[secret]") != NULL, "command.start shows it masked");
    free(all);
    free(jpath);
    free(id);
}

static struct rowset *queue_rows(double ready)
{
    struct rowset *rs = rowset_create(MODEL_QUEUES, "test");
    rowset_begin(rs, "orders.dlq");
    rowset_text(rs, QUEUE_NAME, "orders.dlq");
    rowset_num(rs, QUEUE_READY, ready);
    rowset_end(rs);
    return rs;
}

/*
 * The queue backend the waits read: it answers every poll (no loop: at once)
 * with orders.dlq's READY as the test sets it, as a real one would.
 */
static double wait_ready = 42;

static void wq_poll(struct backend *b)
{
    backend_publish(b, queue_rows(wait_ready));
}

static const struct backend_impl wait_queues_impl = {
    .type = "test",
    .kinds = 1u << MODEL_QUEUES,
    .poll = wq_poll,
};

static const char *const wait_rb =
    "{\"title\": \"Wait\", \"steps\": [\n"
    " {\"id\": \"drain\", \"title\": \"Wait for the DLQ\", \"type\": \"wait\", \"until\": \"queues "
    "${q} ready < 10\"},\n"
    " {\"id\": \"never\", \"title\": \"Never\", \"type\": \"wait\", \"until\": \"queues orders.dlq "
    "ready > 1000\"},\n"
    " {\"id\": \"cmd\", \"title\": \"Wait on a command\", \"type\": \"wait\", \"run\": \"test -f "
    "${flag}\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

static void test_waits(void)
{
    struct backend *qb = backend_create(&wait_queues_impl, "test", store, NULL);
    wait_ready = 42;
    struct vars v = {0};
    vars_set(&v, "q", "orders.dlq");
    char *flag = xasprintf("%s/waitflag", tmp);
    unlink(flag);
    vars_set(&v, "flag", flag);
    struct runbook *rb = load("wait.json", wait_rb);
    if (!tap_ok(rb != NULL, "wait: loaded")) {
        vars_clear(&v);
        free(flag);
        return;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        rb->steps[i].interval_ms = 50;
        rb->steps[i].timeout_ms = i == 1 ? 300 : 5000;
    }
    struct run_env e = env();
    e.backends = &qb;
    char *cause = NULL;
    struct run *r = run_start(&e, rb, &v, &hooks, &cause);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "wait: started (%s)", cause ? cause : "")) {
        free(cause);
        free(flag);
        backend_destroy(qb);
        return;
    }
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "wait until queues orders.dlq ready < 10", "wait preview");
    free(pv);
    tap_ok(run_confirm(r, &cause), "wait: started");
    spin(200);
    tap_is_int(run_state(r), RUN_BUSY, "wait: still waiting while ready is 42");
    tap_ok(strstr(run_message(r), "42") != NULL, "wait: the message shows what it sees (%s)",
           run_message(r));
    wait_ready = 3;
    backend_publish(qb, queue_rows(3));
    tap_ok(settle(r, 2000), "wait: ends once the new rowset is published");
    tap_is_int(run_mark(r, 0), RUN_MARK_DONE, "wait: met");
    tap_is_int((long long)run_index(r), 1, "wait: moved on");
    char *id = xstrdup(run_id(r));
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *we = last_event(ev, n, "wait.end");
    tap_ok(cJSON_IsTrue(cJSON_GetObjectItem(data(we), "met")), "wait.end met: true");
    tap_ok(cJSON_GetObjectItem(data(we), "tries")->valueint >= 2, "wait.end counts tries");
    tap_is_str(str(data(last_event(ev, n, "wait.start")), "condition"),
               "queues orders.dlq ready < 10", "wait.start has the condition, expanded");
    free_events(ev, n);

    uint64_t t0 = clock_mono_ms();
    run_confirm(r, &cause);
    settle(r, 3000);
    tap_is_int(run_state(r), RUN_FAILED, "wait timeout: failed");
    tap_ok(clock_mono_ms() - t0 < 1500, "wait timeout: on time");
    tap_ok(strstr(run_message(r), "timed out") != NULL && strstr(run_message(r), "3") != NULL,
           "wait timeout: says what it saw last (%s)", run_message(r));
    run_skip(r, &cause);

    run_confirm(r, &cause);
    spin(150);
    tap_is_int(run_state(r), RUN_BUSY, "command wait: waiting");
    FILE *f = fopen(flag, "w");
    fclose(f);
    tap_ok(settle(r, 2000) && run_mark(r, 2) == RUN_MARK_DONE, "command wait: met");

    /* a wait in flight when the session dies comes back interrupted */
    run_jump(r, "never", &cause);
    run_confirm(r, &cause);
    tap_is_int(run_state(r), RUN_BUSY, "a wait in flight");
    run_destroy(r);
    r = resume(id, &cause);
    tap_ok(r != NULL && run_state(r) == RUN_INTERRUPTED, "resume: the wait is interrupted");
    tap_ok(r != NULL && strstr(run_message(r), "wait.start") != NULL, "saying what was in flight");
    tap_ok(run_skip(r, &cause) && run_index(r) == 2, "continue past it");
    tap_is_int(run_mark(r, 1), RUN_MARK_SKIPPED, "continued: marked skipped, not re-run");
    run_back(r, &cause);
    tap_ok(run_jump(r, "cmd", &cause), "back to the command wait");

    /* stopping a wait */
    run_back(r, &cause);
    unlink(flag);
    run_confirm(r, &cause);
    tap_ok(run_stop(r, &cause), "a wait can be stopped");
    tap_is_int(run_state(r), RUN_FAILED, "stopped wait: failed");
    tap_is_str(run_message(r), "stopped", "stopped wait: message");
    run_destroy(r);
    free(id);
    free(flag);
    store_forget(store, MODEL_QUEUES, "test");
    backend_destroy(qb);
}

/*
 * A load balancer on the loop that answers each poll answer_ms later (never
 * when -1) with be_web/web2 UP, and, like an exec plugin, acts only on a row
 * it has printed.
 */
struct fake_lb {
    int answer_ms;
    struct loop_timer *t;
};

static void *lb_create(struct backend *b)
{
    (void)b;
    return xcalloc(1, sizeof(struct fake_lb));
}

static void lb_answered(void *ud)
{
    struct backend *b = ud;
    struct fake_lb *f = b->priv;
    f->t = NULL;
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    rowset_begin(rs, "be_web/web2");
    rowset_text(rs, POOL_NAME, "be_web");
    rowset_text(rs, POOL_SERVER, "web2");
    rowset_text(rs, POOL_STATUS, "UP");
    rowset_end(rs);
    backend_publish(b, rs);
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

static void lb_act(struct backend *b, struct backend_request *a)
{
    if (b->last_ok_ms == 0) {
        char *why = xasprintf("no row '%s' in %s's last output", a->target, b->name);
        backend_done(a, false, why);
        free(why);
        return;
    }
    backend_done(a, true, "drained");
}

static void lb_destroy(struct backend *b)
{
    struct fake_lb *f = b->priv;
    if (f->t != NULL) {
        loop_timer_cancel(b->loop, f->t);
    }
    free(f);
}

static const struct action_def lb_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', 0, NULL, NULL},
};

static const struct backend_impl fake_lb_impl = {
    .type = "fake-lb",
    .kinds = 1u << MODEL_POOLS,
    .actions = lb_actions,
    .nactions = 1,
    .create = lb_create,
    .poll = lb_poll,
    .act = lb_act,
    .destroy = lb_destroy,
};

/* A fake load balancer named name, started on the loop (its first poll at once). */
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

static const char *const unknown_rb =
    "{\"title\": \"Unknown\", \"steps\": [\n"
    " {\"id\": \"gone\", \"title\": \"web9 is gone\", \"type\": \"wait\", \"until\": \"pools "
    "web9 status != UP\", \"timeout\": \"1s\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

/* A wait over data the console does not have is unknown: it waits, never met (DESIGN rule 7). */
static void test_wait_unknown(void)
{
    struct backend *mute = fake_lb("mute", -1);
    struct runbook *rb = load("unknown.json", unknown_rb);
    if (!tap_ok(rb != NULL, "unknown: loaded")) {
        backend_destroy(mute);
        return;
    }
    rb->steps[0].interval_ms = 50;
    struct run_env e = env();
    e.backends = &mute;
    char *cause = NULL;
    struct run *r = run_start(&e, rb, NULL, &hooks, &cause);
    if (!tap_ok(r != NULL, "unknown: started")) {
        free(cause);
        backend_destroy(mute);
        return;
    }
    run_confirm(r, &cause);
    spin(300);
    tap_is_int(run_state(r), RUN_BUSY, "a missing row before any answer: still waiting, not met");
    tap_ok(strstr(run_message(r), "unknown: pools: mute has not answered") != NULL,
           "saying why it cannot tell (%s)", run_message(r));
    settle(r, 3000);
    tap_is_int(run_state(r), RUN_FAILED, "unknown until the timeout: the wait fails");
    tap_ok(strstr(run_message(r), "timed out; the condition stayed unknown: pools: mute has not "
                                  "answered since") != NULL,
           "with the unknown reason (%s)", run_message(r));
    char *id = xstrdup(run_id(r));
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *we = last_event(ev, n, "wait.end");
    tap_ok(we != NULL && cJSON_IsFalse(cJSON_GetObjectItem(data(we), "met")),
           "wait.end says not met");
    free_events(ev, n);

    /* a failing backend: unknown as well */
    backend_fail(mute, "connection refused");
    run_confirm(r, &cause);
    spin(200);
    tap_ok(run_state(r) == RUN_BUSY && strstr(run_message(r), "mute: error: connection refused"),
           "a failing backend: unknown (%s)", run_message(r));
    run_stop(r, &cause);
    run_destroy(r);
    free(id);
    backend_destroy(mute);

    /* once the pane's backend answers afresh, the missing row counts */
    struct backend *slow = fake_lb("slow", 300);
    rb = load("unknown.json", unknown_rb);
    rb->steps[0].interval_ms = 50;
    e.backends = &slow;
    r = run_start(&e, rb, NULL, &hooks, &cause);
    run_confirm(r, &cause);
    settle(r, 3000);
    tap_ok(run_mark(r, 0) == RUN_MARK_DONE, "after a fresh answer: met (%s)", run_message(r));
    tap_ok(strstr(run_message(r), "no row web9 in pools") != NULL, "because web9 is not there");
    run_destroy(r);
    store_forget(store, MODEL_POOLS, "slow");
    backend_destroy(slow);
}

static const char *const lb_action_rb =
    "{\"title\": \"Act on lb\", \"steps\": [\n"
    " {\"id\": \"drain\", \"title\": \"Drain web2\", \"type\": \"action\", \"action\": \"drain\", "
    "\"pane\": \"pools\", \"target\": \"be_web/web2\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

/* An action step waits (bounded, on the loop) for its backend's first answer. */
static void test_action_waits_for_backend(void)
{
    struct backend *lb = fake_lb("lb", 400);
    struct runbook *rb = load("lbact.json", lb_action_rb);
    struct run_env e = env();
    e.backends = &lb;
    char *cause = NULL;
    struct run *r = rb != NULL ? run_start(&e, rb, NULL, &hooks, &cause) : NULL;
    if (!tap_ok(r != NULL, "action wait: started")) {
        free(cause);
        backend_destroy(lb);
        return;
    }
    char *id = xstrdup(run_id(r));
    tap_ok(run_confirm(r, &cause), "confirmed before the backend ever answered");
    tap_is_int(run_state(r), RUN_BUSY, "the action waits");
    tap_ok(strstr(run_message(r), "waiting for lb to answer before drain") != NULL,
           "saying so (%s)", run_message(r));
    tap_is_int(count_events(id, "action.start"), 0, "nothing sent, nothing journaled yet");
    settle(r, 3000);
    tap_ok(run_mark(r, 0) == RUN_MARK_DONE, "sent once it answered: done (%s)", run_message(r));
    tap_is_int(count_events(id, "action.start"), 1, "one action.start");
    run_destroy(r);
    free(id);
    backend_destroy(lb);

    /* a backend that never answers: not sent, the step fails at the bound */
    struct backend *mute = fake_lb("lb", -1);
    rb = load("lbact.json", lb_action_rb);
    e.backends = &mute;
    r = run_start(&e, rb, NULL, &hooks, &cause);
    id = xstrdup(run_id(r));
    uint64_t t0 = clock_mono_ms();
    run_confirm(r, &cause);
    settle(r, 6000);
    tap_is_int(run_state(r), RUN_FAILED, "never answered: failed");
    tap_ok(clock_mono_ms() - t0 >= 2900 && clock_mono_ms() - t0 < 5000,
           "after its timeout and the margin (1 s + 2 s)");
    tap_ok(strstr(run_message(r), "not sent: lb has not answered in 3 s") != NULL, "saying so (%s)",
           run_message(r));
    tap_is_int(count_events(id, "action.start"), 0, "nothing was sent");
    /* and it can be stopped while it waits */
    run_confirm(r, &cause);
    tap_ok(run_state(r) == RUN_BUSY && run_stop(r, &cause),
           "a wait for the backend can be stopped");
    tap_is_str(run_message(r), "stopped", "stopped");
    run_destroy(r);
    free(id);
    backend_destroy(mute);
}

static const char *const action_rb =
    "{\"title\": \"Act\", \"steps\": [\n"
    " {\"id\": \"drain\", \"title\": \"Drain web2\", \"type\": \"action\", \"action\": \"drain\", "
    "\"pane\": \"pools\", \"target\": \"be_web/${server}\"},\n"
    " {\"id\": \"bad\", \"title\": \"Bad\", \"type\": \"action\", \"action\": \"drain\", "
    "\"pane\": \"pools\", \"target\": \"be_web/nosuch\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

static void test_action(const char *audit_path)
{
    struct vars v = {0};
    vars_set(&v, "server", "web2");
    struct run *r = start("action.json", action_rb, &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "action: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "drain pools be_web/web2 on demo", "action preview");
    free(pv);
    char *cause = NULL;
    tap_ok(run_confirm(r, &cause), "action: confirmed");
    settle(r, 3000);
    tap_ok(run_mark(r, 0) == RUN_MARK_DONE, "action: done (%s)", run_message(r));
    run_confirm(r, &cause);
    settle(r, 3000);
    tap_ok(run_state(r) == RUN_FAILED, "action on a missing target: failed (%s)", run_message(r));
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *as = NULL;
    for (size_t i = 0; i < n && as == NULL; i++) {
        if (strcmp(str(ev[i], "action"), "action.start") == 0) {
            as = ev[i];
        }
    }
    tap_is_str(str(data(as), "backend"), "demo", "action.start: backend");
    tap_is_str(str(data(as), "verb"), "drain", "action.start: verb");
    tap_is_str(str(data(as), "target"), "be_web/web2", "action.start: target");
    tap_is_int(count_events(id, "action.end"), 2, "action.end for each");
    free_events(ev, n);

    FILE *f = fopen(audit_path, "r");
    char *line = NULL;
    size_t cap = 0;
    int with_run = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        if (str(o, "run") != NULL && strcmp(str(o, "run"), id) == 0 && str(o, "step") != NULL &&
            strcmp(str(o, "step"), "drain") == 0) {
            with_run++;
        }
        cJSON_Delete(o);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    tap_is_int(with_run, 2, "the audit log records the run and step (started, ok)");
    run_destroy(r);
    free(id);
}

/* A wiki page's blocks: placeholders, an edit, a block done as the console's action. */
static const char wiki_rb[] = "# Web node\n\n"
                              "## Drain it\n\nIC: <your name>\n\n"
                              "```shell\n"
                              "echo \"set server be_web/<server> state drain\" | socat stdio /s\n"
                              "```\n\n"
                              "```shell\n"
                              "printf '%s|%s\\n' '<server>' \"$SERVER_NAME\"\n"
                              "```\n\n"
                              "## Next\n\nText.\n";

static void test_wiki_blocks(void)
{
    struct vars v = {0};
    vars_set(&v, "instance", "web4");
    unsetenv("SERVER_NAME");
    struct run *r = start("wiki.md", wiki_rb, &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "wiki: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    tap_ok(!run_code(r, 1, &cause), "a placeholder with no value: the block is refused");
    tap_is_str(cause,
               "not run: <server> has no value yet (the console's x asks for it; --var "
               "server=... sets it)",
               "... saying which");
    free(cause);
    cause = NULL;
    tap_is_int(count_events(id, "command.start"), 0, "... and nothing started");

    struct ph_list l = {0};
    tap_ok(run_code_placeholders(r, run_step(r)->code[1], &l), "the block's placeholders");
    tap_is_int((long long)l.n, 2, "one per variable: <server> twice is one, $SERVER_NAME");
    tap_is_str(l.n > 0 ? run_placeholder_guess(r, &l.v[0]) : NULL, "web4",
               "<server> is offered the label instance");
    tap_ok(l.n > 1 && run_placeholder_guess(r, &l.v[1]) == NULL, "$SERVER_NAME has no guess");
    tap_ok(!run_fill(r, &l.v[0], "", &cause), "an empty answer is refused");
    free(cause);
    cause = NULL;
    tap_ok(run_fill(r, &l.v[0], "web3'; touch /tmp/x #", &cause), "an answer is journaled");
    tap_ok(l.n > 1 && run_fill(r, &l.v[1], "$(id)", &cause), "another");
    placeholder_list_free(&l);
    tap_ok(run_code(r, 1, &cause), "filled, the block runs (%s)", cause ? cause : "ok");
    settle(r, 3000);
    size_t len = 0;
    const char *out = run_output(r, &len);
    tap_is_str(out, "web3'; touch /tmp/x #|$(id)\n",
               "the values reached the command as data, in single and double quotes");
    char *text = run_text(r, run_step(r)->body);
    tap_ok(strstr(text, "IC: <your name>") != NULL,
           "an unanswered text placeholder stays as written");
    free(text);

    tap_ok(run_code_edited(r, 1, "printf 'edited %s\\n' '<server>'", &cause), "an edit runs");
    settle(r, 3000);
    out = run_output(r, &len);
    tap_is_str(out, "edited web3'; touch /tmp/x #\n", "the edit ran, with the value");
    tap_is_int(count_events(id, "command.edit"), 1, "command.edit is journaled");

    struct run_recognised m;
    tap_ok(!run_code_recognise(r, 1, &m), "a printf is no console action");
    tap_ok(run_code_recognise(r, 0, &m), "the socat drain is recognised");
    tap_ok(m.filled && m.b == NULL && m.why != NULL && strstr(m.why, "no pools") != NULL,
           "the target must be a row of the backend (%s)", m.why ? m.why : "?");
    run_recognised_finish(&m);
    tap_ok(!run_code_action(r, 0, &cause), "so it is not done (%s)", cause ? cause : "?");
    free(cause);
    cause = NULL;
    struct ph_list one = {0};
    run_code_placeholders(r, run_step(r)->code[0], &one);
    run_fill(r, &one.v[0], "web2", &cause);
    placeholder_list_free(&one);
    tap_ok(run_code_recognise(r, 0, &m) && m.b == demo, "with web2 it goes to the demo's pools");
    tap_is_str(m.what, "drains be_web/web2", "what it does");
    run_recognised_finish(&m);
    tap_ok(run_code_action(r, 0, &cause), "done as the console's action (%s)",
           cause ? cause : "ok");
    settle(r, 3000);
    tap_ok(run_state(r) == RUN_READY && run_index(r) == 0,
           "the step stays where it was, ready (%s)", run_message(r));
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *as = last_event(ev, n, "action.start");
    tap_is_str(str(data(as), "target"), "be_web/web2", "action.start: its target");
    tap_ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data(as), "code")),
           "action.start: a code block's");
    const cJSON *in = last_event(ev, n, "input");
    tap_is_str(str(data(in), "placeholder"), "<server>", "input: names the placeholder it fills");
    free_events(ev, n);
    text = run_text(r, "drain <server>, IC: <your name>");
    tap_is_str(text, "drain web2, IC: <your name>", "text shows a placeholder's value once known");
    free(text);

    /* a view of the journal: what ran where, and whose output it is */
    struct runview *view = runview_create(run_runbook(r), run_journal(r));
    run_history(r, runview_apply, view, &cause);
    tap_ok(runview_code_ran(view, 0), "the view: step 1 ran its code");
    tap_ok(!runview_code_ran(view, 1), "the view: step 2 did not");
    int64_t ts = 0;
    tap_is_int(runview_output_step(view, &ts), 0, "the output is step 1's");
    tap_ok(ts > 0, "with the time its command started");
    runview_destroy(view);
    run_destroy(r);
    free(id);
}

/* A one-shot HTTP receiver in a child: stores the request body, answers 202. */
static pid_t receiver(int *port, const char *body_path)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
        return -1;
    }
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    if (pid != 0) {
        close(s);
        return pid;
    }
    int c = accept(s, NULL, NULL);
    char buf[16384];
    size_t n = 0;
    char *end = NULL;
    long want = -1;
    while (n < sizeof buf - 1) {
        ssize_t got = read(c, buf + n, sizeof buf - 1 - n);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
        const char *cl = str_casestr(buf, "content-length:");
        if (end != NULL && cl != NULL) {
            want = strtol(cl + 15, NULL, 10);
        }
        if (end != NULL && (long)(n - (size_t)(end + 4 - buf)) >= want) {
            break;
        }
    }
    FILE *f = fopen(body_path, "w");
    if (f != NULL && end != NULL) {
        fputs(end + 4, f);
    }
    if (f != NULL) {
        fclose(f);
    }
    const char resp[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                        "Content-Length: 20\r\nConnection: close\r\n\r\n{\"status\":\"success\"}";
    ssize_t w = write(c, resp, sizeof resp - 1);
    (void)w;
    close(c);
    _exit(0);
}

static const char *const notify_rb =
    "{\"title\": \"Notify\", \"steps\": [\n"
    " {\"id\": \"page\", \"title\": \"Page\", \"type\": \"notify\", \"service\": \"pagerduty\", "
    "\"message\": \"checkout down on ${svc}\", \"url_env\": \"RUN_TEST_PD_URL\", "
    "\"routing_key_env\": \"RUN_TEST_PD_KEY\"},\n"
    " {\"id\": \"slack\", \"title\": \"Tell the channel\", \"type\": \"notify\", \"service\": "
    "\"slack\", \"message\": \"hi\", \"url_env\": \"RUN_TEST_NO_SUCH_URL\"},\n"
    " {\"id\": \"fin\", \"title\": \"Done\"}\n"
    "]}\n";

static void test_notify(void)
{
    char *body_path = xasprintf("%s/notify-body", tmp);
    int port = 0;
    pid_t pid = receiver(&port, body_path);
    if (!tap_ok(pid > 0, "notify: a local receiver")) {
        free(body_path);
        return;
    }
    char *url = xasprintf("http://127.0.0.1:%d/v2/enqueue", port);
    setenv("RUN_TEST_PD_URL", url, 1);
    setenv("RUN_TEST_PD_KEY", "rk-secret-123", 1);
    unsetenv("RUN_TEST_NO_SUCH_URL");
    struct vars v = {0};
    vars_set(&v, "svc", "web");
    struct run *r = start("notify.json", notify_rb, &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "notify: started")) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        free(url);
        free(body_path);
        return;
    }
    char *id = xstrdup(run_id(r));
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "pagerduty: checkout down on web", "notify preview, without the URL");
    free(pv);
    char *cause = NULL;
    tap_ok(run_confirm(r, &cause), "notify: sent");
    settle(r, 5000);
    tap_ok(run_mark(r, 0) == RUN_MARK_DONE, "notify: done (%s)", run_message(r));
    waitpid(pid, NULL, 0);
    size_t blen;
    char *body = tap_fixture(tmp, "notify-body", &blen);
    tap_ok(strstr(body, id) != NULL, "PagerDuty dedup_key defaults to the run id");
    tap_ok(strstr(body, "checkout down on web") != NULL, "the summary has the variables");
    free(body);
    tap_ok(!run_confirm(r, &cause), "notify with a missing env var fails");
    tap_ok(cause != NULL && strstr(cause, "RUN_TEST_NO_SUCH_URL") != NULL,
           "naming the variable (%s)", cause ? cause : "");
    free(cause);
    tap_is_int(run_state(r), RUN_FAILED, "and the step is failed");
    run_destroy(r);
    tap_is_int(count_events(id, "notify"), 3, "notify journaled: sending, the answer, the failure");
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *nt = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(str(ev[i], "action"), "notify") == 0 && nt == NULL &&
            cJSON_IsNumber(cJSON_GetObjectItem(data(ev[i]), "status"))) {
            nt = ev[i];
        }
    }
    tap_ok(nt != NULL && cJSON_GetObjectItem(data(nt), "status")->valueint == 202,
           "notify event has the HTTP status");
    free_events(ev, n);
    char *jpath = xasprintf("%s/%s.jsonl", runs, id);
    FILE *f = fopen(jpath, "r");
    char all[65536];
    size_t got = f != NULL ? fread(all, 1, sizeof all - 1, f) : 0;
    all[got] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    tap_ok(strstr(all, "rk-secret-123") == NULL && strstr(all, "/v2/enqueue") == NULL,
           "neither the key nor the URL is journaled");
    free(jpath);
    free(id);
    free(url);
    free(body_path);
}

static void test_overtime_and_stop(void)
{
    struct runbook *rb = load("ot.json", basic_rb);
    if (!tap_ok(rb != NULL, "overtime: loaded")) {
        return;
    }
    rb->steps[0].timebox_s = 1;
    rb->steps[1].timebox_s = 1;
    free(rb->steps[1].run);
    rb->steps[1].run = xstrdup("echo before; sleep 20");
    struct run_env e = env();
    char *cause = NULL;
    struct run *r = run_start(&e, rb, NULL, &hooks, &cause);
    if (!tap_ok(r != NULL, "overtime: started (%s)", cause ? cause : "")) {
        free(cause);
        return;
    }
    char *id = xstrdup(run_id(r));
    tap_ok(!run_overtime(r), "not over its time box yet");
    int before = changes;
    spin(1150);
    tap_ok(run_overtime(r), "over its time box after 1 s");
    tap_ok(changes > before, "the changed hook fired when the time box ran out");
    run_dismiss_overtime(r);
    tap_ok(!run_overtime(r), "dismissed: no longer asked for this step");
    run_confirm(r, &cause);
    run_confirm(r, &cause);
    spin(1300);
    tap_is_int(run_state(r), RUN_BUSY, "a long command runs");
    tap_is_int(count_events(id, "command.output"), 1,
               "output followed by silence is referenced within a second");
    tap_ok(run_stop(r, &cause), "run_stop (Ctrl-C)");
    tap_ok(settle(r, 3000), "the command stopped");
    tap_is_int(run_state(r), RUN_FAILED, "a stopped command fails the step");
    tap_ok(strstr(run_message(r), "stopped") != NULL, "saying stopped (%s)", run_message(r));
    size_t len;
    tap_ok(strstr(run_output(r, &len), "before") != NULL, "its output so far is kept");
    spin(1000);
    tap_ok(run_overtime(r), "the next step runs over too");
    tap_ok(run_escalate(r, &cause), "escalate");
    tap_is_str(run_step(r)->id, "page", "escalate jumps to the Escalate step");
    tap_ok(!run_escalate(r, &cause) || run_index(r) == 3, "escalate from the E step stays in E");
    free(cause);
    run_destroy(r);
    size_t n;
    cJSON **ev = events(id, &n);
    int esc = 0, dismissed = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(str(ev[i], "action"), "overtime") == 0) {
            bool yes = cJSON_IsTrue(cJSON_GetObjectItem(data(ev[i]), "escalated"));
            esc += yes;
            dismissed += !yes;
        }
    }
    tap_ok(esc >= 1 && dismissed == 1, "overtime journaled (escalated %d, dismissed %d)", esc,
           dismissed);
    const cJSON *j = last_event(ev, n, "jump");
    tap_is_str(j != NULL ? str(data(j), "why") : NULL, "escalate", "the jump says why");
    free_events(ev, n);
    free(id);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        n += de->d_name[0] != '.';
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

static void test_dry_run(void)
{
    char *dir = xasprintf("%s/dry", tmp);
    struct runbook *rb = load("dry.json", basic_rb);
    struct run_env e = env();
    e.runs_dir = dir;
    e.dry_run = true;
    char *cause = NULL;
    struct run *r = run_start(&e, rb, NULL, &hooks, &cause);
    if (!tap_ok(r != NULL, "dry run: started")) {
        free(cause);
        free(dir);
        return;
    }
    run_confirm(r, &cause);
    tap_ok(run_confirm(r, &cause), "dry run: command confirmed");
    tap_is_int(run_state(r), RUN_READY, "dry run: nothing in flight");
    tap_ok(run_message(r) != NULL && strstr(run_message(r), "would run") != NULL,
           "dry run: says what it would run");
    tap_is_int(run_mark(r, 1), RUN_MARK_DONE, "dry run: the step passes");
    run_destroy(r);
    tap_is_int(count_files(dir), 0, "dry run: nothing written");
    tap_ok(access(dir, F_OK) != 0, "dry run: not even the directory");
    free(dir);
}

static const char *const resume_rb =
    "{\"title\": \"Resume\", \"steps\": [\n"
    " {\"id\": \"one\", \"title\": \"One\"},\n"
    " {\"id\": \"two\", \"title\": \"Two\", \"type\": \"command\", \"run\": \"echo v2\", "
    "\"capture\": \"two\"},\n"
    " {\"id\": \"three\", \"title\": \"Three\", \"type\": \"command\", \"run\": \"echo started; "
    "sleep 30\"},\n"
    " {\"id\": \"four\", \"title\": \"Four\", \"type\": \"command\", \"run\": \"exit 2\"},\n"
    " {\"id\": \"five\", \"title\": \"Five\"}\n"
    "]}\n";

static void test_resume(void)
{
    struct run *r = start("resume.json", resume_rb, NULL);
    if (!tap_ok(r != NULL, "resume: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_confirm(r, &cause);
    run_destroy(r);

    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        return;
    }
    tap_ok(r != NULL, "resume after a manual step");
    tap_is_int((long long)run_index(r), 1, "resume: same position");
    tap_is_int(run_state(r), RUN_READY, "resume: ready");
    tap_is_int(run_mark(r, 0), RUN_MARK_DONE, "resume: marks rebuilt");
    struct run *twice = resume(id, &cause);
    tap_ok(twice == NULL && cause != NULL && strstr(cause, "in use") != NULL,
           "a run open here cannot be resumed twice (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    run_destroy(twice);
    run_confirm(r, &cause);
    settle(r, 3000);
    run_destroy(r);

    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        return;
    }
    tap_is_str(vars_get(run_vars(r), "two"), "v2", "resume: captured variable restored");
    tap_is_int((long long)run_index(r), 2, "resume: after the command");
    size_t len;
    tap_ok(strstr(run_output(r, &len), "v2") != NULL, "resume: last output from the .out file");
    run_confirm(r, &cause);
    spin(300);
    tap_is_int(run_state(r), RUN_BUSY, "a long command is in flight");
    run_destroy(r); /* the session dies mid-command */
    tap_is_int(count_events(id, "command.exit"), 1, "no exit journaled for the killed command");

    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        return;
    }
    tap_is_int(run_state(r), RUN_INTERRUPTED, "resume: an in-flight command is interrupted");
    tap_is_int((long long)run_index(r), 2, "resume: at that step");
    tap_ok(strstr(run_output(r, &len), "started") != NULL, "resume: its output so far");
    tap_ok(run_message(r) != NULL && strstr(run_message(r), "interrupted") != NULL,
           "resume: says it was interrupted");
    tap_ok(run_back(r, &cause) && run_index(r) == 1, "back works after resume (history rebuilt)");
    tap_ok(run_back(r, &cause) && run_index(r) == 0, "back to the first");
    tap_ok(run_jump(r, "four", &cause), "jump to four");
    run_confirm(r, &cause);
    settle(r, 3000);
    tap_is_int(run_state(r), RUN_FAILED, "four failed");
    run_destroy(r);

    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        return;
    }
    tap_is_int(run_state(r), RUN_FAILED, "resume: a failed step is still failed");
    tap_ok(strstr(run_message(r), "exit 2") != NULL, "resume: with its message");
    tap_ok(run_back(r, &cause) && run_index(r) == 0, "back after resume follows the jump");
    run_jump(r, "five", &cause);
    run_destroy(r);

    /* a torn last line: kill -9 in the middle of a write */
    char *jpath = xasprintf("%s/%s.jsonl", runs, id);
    int fd = open(jpath, O_WRONLY | O_APPEND);
    const char torn[] = "{\"seq\":99,\"ts\":\"2026-11-23T16:00:00.000Z\",\"action\":\"step.en";
    tap_ok(write(fd, torn, sizeof torn - 1) == (ssize_t)(sizeof torn - 1), "tear the last line");
    close(fd);
    r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        return;
    }
    tap_ok(r != NULL, "resume with a torn last line");
    tap_is_int((long long)run_index(r), 4, "torn line ignored: position kept");
    tap_ok(run_confirm(r, &cause) && run_state(r) == RUN_DONE, "and the run can finish");
    run_destroy(r);
    size_t n;
    cJSON **ev = events(id, &n);
    tap_ok(n > 0 && ev[n - 1] != NULL && strcmp(str(ev[n - 1], "action"), "run.end") == 0,
           "the next event after a torn line is a whole line");
    free_events(ev, n);
    free(jpath);
    free(id);
}

static void test_resume_changed(void)
{
    struct run *r = start("change.json", resume_rb, NULL);
    if (!tap_ok(r != NULL, "change.json: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_confirm(r, &cause);
    run_destroy(r);

    /* same ids, other text: resumed with a warning */
    char *edited = xstrdup(resume_rb);
    char *t = strstr(edited, "\"One\"");
    memcpy(t, "\"Uno\"", 5);
    free(write_file("change.json", edited));
    r = resume(id, &cause);
    tap_ok(r != NULL, "a changed runbook with the same ids resumes");
    tap_ok(r != NULL && run_message(r) != NULL && strstr(run_message(r), "changed") != NULL,
           "with a warning (%s)", r && run_message(r) ? run_message(r) : "");
    run_destroy(r);

    /* a journaled step id is gone: refused */
    t = strstr(edited, "\"id\": \"two\"");
    memcpy(t, "\"id\": \"TWO\"", 11);
    free(write_file("change.json", edited));
    r = resume(id, &cause);
    tap_ok(r == NULL, "a changed runbook without a journaled step is refused");
    tap_ok(cause != NULL && strstr(cause, "two") != NULL, "naming the step (%s)", cause);
    free(cause);
    cause = NULL;
    free(edited);

    tap_ok(resume("nosuch-run", &cause) == NULL && cause != NULL, "an unknown run is refused");
    free(cause);
    free(id);
}

/* Killed between run.start and the first step.enter. */
static void test_resume_at_start(void)
{
    struct run *r = start("early.json", resume_rb, NULL);
    if (!tap_ok(r != NULL, "early.json: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    run_destroy(r);
    char *jpath = xasprintf("%s/%s.jsonl", runs, id);
    FILE *f = fopen(jpath, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = f != NULL ? getline(&line, &cap, f) : -1;
    if (f != NULL) {
        fclose(f);
    }
    f = fopen(jpath, "w");
    if (f != NULL && len > 0) {
        fwrite(line, 1, (size_t)len, f);
    }
    if (f != NULL) {
        fclose(f);
    }
    free(line);
    char *cause = NULL;
    r = resume(id, &cause);
    tap_ok(r != NULL && run_index(r) == 0 && run_state(r) == RUN_READY,
           "resume with only run.start: at the first step");
    run_destroy(r);
    tap_is_int(count_events(id, "step.enter"), 1, "and the first step is entered then");
    free(cause);
    free(jpath);
    free(id);
}

static void test_list(void)
{
    size_t n = 0;
    char *cause = NULL;
    struct run_info *list = run_list(runs, &n, &cause);
    tap_ok(list != NULL && n >= 6, "run_list lists the runs (%zu)", n);
    int open = 0, ended = 0;
    bool sorted = true;
    for (size_t i = 0; list != NULL && i < n; i++) {
        open += !list[i].ended;
        ended += list[i].ended;
        if (i > 0 && strcmp(list[i - 1].started, list[i].started) < 0) {
            sorted = false;
        }
    }
    tap_ok(open > 0 && ended > 0, "open and ended runs told apart");
    tap_ok(sorted, "newest first");
    run_info_free(list, n);
    char *none = xasprintf("%s/none", tmp);
    list = run_list(none, &n, &cause);
    tap_ok(list != NULL && n == 0, "no runs dir: an empty list");
    run_info_free(list, n);
    free(none);
}

static void test_abort(void)
{
    struct run *r = start("abort.json", resume_rb, NULL);
    if (!tap_ok(r != NULL, "abort.json: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_abort(r);
    tap_is_int(run_state(r), RUN_ABORTED, "abort: aborted");
    run_destroy(r);
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *end = last_event(ev, n, "run.end");
    tap_is_str(end != NULL ? str(data(end), "how") : NULL, "aborted", "run.end how: aborted");
    free_events(ev, n);
    tap_ok(resume(id, &cause) == NULL, "an aborted run is not resumed");
    free(cause);
    free(id);
}

/* A command step without `run:` runs its first code block: the preview shows it, confirm runs it.
 */
static void test_code_block_command(void)
{
    struct vars v = {0};
    vars_set(&v, "who", "it's me");
    struct run *r =
        start("codeblock.md",
              "# Code\n\n## Say who\n\n```opsdeck\ntype: command\ncapture: said\n```\n\n"
              "```sh\necho ${who}\n```\n",
              &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "code block command: started")) {
        return;
    }
    char *pv = run_preview(r, NULL);
    tap_is_str(pv, "sh: echo 'it'\\''s me'", "the preview shows the code block, quoted");
    free(pv);
    char *cause = NULL;
    tap_ok(run_confirm(r, &cause), "code block command: confirm runs it");
    free(cause);
    tap_ok(settle(r, 5000), "code block command: finished");
    tap_is_str(vars_get(run_vars(r), "said"), "it's me", "the code block ran with the variable");
    run_destroy(r);
}

/* ---- kill -9 mid-command: the command's group outlives opsdeck ---- */

static int marker_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    for (int c; f != NULL && (c = fgetc(f)) != EOF;) {
        n += c == '\n';
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

/*
 * In a child process (a whole opsdeck of its own: its own loop), start the
 * runbook, do its first step (manual) and start its second (the command),
 * then die of SIGKILL right there. Returns the run id; the command's
 * process group is left running, as after kill -9 of opsdeck.
 */
static char *killed_mid_command(const char *name, const char *text)
{
    struct runbook *rb = load(name, text);
    if (rb == NULL) {
        return NULL;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        runbook_free(rb);
        return NULL;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct run_env e = env();
        e.loop = loop_create();
        e.store = NULL;
        char *cause = NULL;
        struct run *r = run_start(&e, rb, NULL, NULL, &cause);
        bool ok = r != NULL && run_confirm(r, &cause) && run_confirm(r, &cause) &&
                  run_state(r) == RUN_BUSY;
        const char *id = ok ? run_id(r) : "";
        ssize_t w = write(fds[1], id, strlen(id) + 1);
        (void)w;
        for (;;) {
            pause(); /* until SIGKILL */
        }
    }
    runbook_free(rb);
    close(fds[1]);
    char id[256] = "";
    size_t got = 0;
    for (ssize_t n; got + 1 < sizeof id && (n = read(fds[0], id + got, 1)) == 1 && id[got];) {
        got++;
    }
    id[got] = '\0';
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return id[0] != '\0' ? xstrdup(id) : NULL;
}

/* The journaled process group of the last command of run id, or 0. */
static int journaled_pgid(const char *id)
{
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *pg = last_event(ev, n, "command.pgid");
    const cJSON *v = pg != NULL ? cJSON_GetObjectItem(data(pg), "pgid") : NULL;
    int pgid = cJSON_IsNumber(v) ? v->valueint : 0;
    free_events(ev, n);
    return pgid;
}

/* Run the loop until the run has no groups left from before, at most ms. */
static bool orphans_gone(struct run *r, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (run_orphan(r, NULL, NULL) != RUN_ORPHAN_NONE && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    return run_orphan(r, NULL, NULL) == RUN_ORPHAN_NONE;
}

/* The action names of run id's events from index from on, joined by spaces. */
static char *actions_from(const char *id, size_t from)
{
    size_t n;
    cJSON **ev = events(id, &n);
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    for (size_t i = from; i < n; i++) {
        strbuf_printf(&sb, "%s%s", sb.n > 0 ? " " : "", str(ev[i], "action"));
    }
    free_events(ev, n);
    return sb.s;
}

static size_t event_count(const char *id)
{
    size_t n;
    cJSON **ev = events(id, &n);
    free_events(ev, n);
    return n;
}

static char *orphan_rb(const char *marker, const char *command)
{
    return xasprintf("{\"title\": \"Orphan\", \"steps\": [\n"
                     " {\"id\": \"a\", \"title\": \"Start\"},\n"
                     " {\"id\": \"c\", \"title\": \"Deploy\", \"type\": \"command\",\n"
                     "  \"run\": \"%s; echo done >> %s\"},\n"
                     " {\"id\": \"z\", \"title\": \"End\"}\n"
                     "]}\n",
                     command, marker);
}

/* The command is forked held: its group is journaled before it can do anything. */
static void test_held_until_journaled(void)
{
    /* the pattern is not in the command's own text, which command.start holds */
    char *cmd = xasprintf("grep -c command[.]pgid %s/*-held-*.jsonl; echo $$", runs);
    char *text = xasprintf("{\"title\": \"Held\", \"steps\": [\n"
                           " {\"id\": \"c\", \"title\": \"C\", \"type\": \"command\",\n"
                           "  \"run\": \"%s\", \"capture\": \"seen\"}]}\n",
                           cmd);
    struct run *r = start("held.json", text, NULL);
    free(text);
    free(cmd);
    if (!tap_ok(r != NULL, "held: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    char *cause = NULL;
    run_confirm(r, &cause);
    settle(r, 5000);
    run_destroy(r);
    char *want = xasprintf("1\n%d", journaled_pgid(id));
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *ex = last_event(ev, n, "command.exit");
    tap_is_str(ex != NULL ? str(data(ex), "value") : NULL, want,
               "the command found its group in the journal when it ran (its pgid is $$)");
    free_events(ev, n);
    free(want);
    free(id);
    free(cause);
}

static void test_orphan_stop(void)
{
    char *marker = xasprintf("%s/orphan-stop.marker", tmp);
    char *text = orphan_rb(marker, "sleep 1");
    char *id = killed_mid_command("orphan-stop.json", text);
    free(text);
    if (!tap_ok(id != NULL, "kill -9 mid-command: the run was started in a child")) {
        free(marker);
        return;
    }
    int pgid = journaled_pgid(id);
    tap_ok(pgid > 1 && kill(-pgid, 0) == 0, "the command's group outlived the killed opsdeck");
    char *cause = NULL;
    struct run *r = resume(id, &cause);
    if (!tap_ok(r != NULL, "resumed (%s)", cause ? cause : "")) {
        free(cause);
        free(id);
        free(marker);
        return;
    }
    int seen = 0;
    size_t count = 0;
    tap_is_int(run_state(r), RUN_INTERRUPTED, "orphan: the step is interrupted");
    tap_is_int(run_orphan(r, &seen, &count), RUN_ORPHAN_ALIVE, "resume sees the live group");
    tap_ok(seen == pgid && count == 1, "the journaled one (%d, %zu)", seen, count);
    tap_ok(run_message(r) != NULL && strstr(run_message(r), "still running") != NULL,
           "and says so (%s)", run_message(r) ? run_message(r) : "");
    tap_is_int(count_events(id, "orphan.found"), 1, "orphan.found journaled");
    tap_ok(!run_confirm(r, &cause) && cause != NULL && strstr(cause, "confirmation") != NULL,
           "Enter (run_confirm) never re-runs an interrupted step (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    tap_ok(!run_rerun(r, &cause) && cause != NULL && strstr(cause, "still running") != NULL,
           "re-run is refused while its processes run (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    size_t before = event_count(id);
    tap_ok(run_orphan_stop(r, &cause), "stop it");
    tap_is_int(run_orphan(r, NULL, NULL), RUN_ORPHAN_STOPPING, "stopping");
    tap_ok(orphans_gone(r, 3000), "the group is gone");
    char *acts = actions_from(id, before);
    tap_is_str(acts, "orphan.signal orphan.end", "SIGTERM journaled before, the end after");
    free(acts);
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *sig = last_event(ev, n, "orphan.signal");
    const cJSON *end = last_event(ev, n, "orphan.end");
    tap_is_str(sig ? str(data(sig), "signal") : NULL, "SIGTERM", "orphan.signal names SIGTERM");
    tap_is_str(end ? str(data(end), "how") : NULL, "stopped", "orphan.end: stopped");
    free_events(ev, n);
    spin(1500);
    tap_is_int(marker_lines(marker), 0, "stopped: the marker was never written");
    tap_ok(run_rerun(r, &cause), "now re-run is possible (after the confirmation)");
    free(cause);
    cause = NULL;
    tap_ok(count_events(id, "step.rerun") == 1, "step.rerun journaled");
    settle(r, 5000);
    tap_is_int(marker_lines(marker), 1, "the re-run ran it once");
    tap_is_int((long long)run_index(r), 2, "and moved on");
    run_destroy(r);

    char *md = report_markdown(runs, id, &cause);
    char *want = xasprintf("still running at resume (process group %d)", pgid);
    tap_ok(md != NULL && strstr(md, want) != NULL && strstr(md, "sent SIGTERM to process group") &&
               strstr(md, "stopped") != NULL && strstr(md, "re-run after the interruption"),
           "the report tells the story of the left-over group");
    tap_ok(md != NULL && strstr(md, "command.pgid") == NULL, "without bookkeeping events");
    free(want);
    free(md);
    r = resume(id, &cause);
    tap_ok(r != NULL && run_orphan(r, NULL, NULL) == RUN_ORPHAN_NONE,
           "a later resume does not look for the ended group");
    run_destroy(r);
    free(cause);
    free(id);
    free(marker);
}

static void test_orphan_wait(void)
{
    char *marker = xasprintf("%s/orphan-wait.marker", tmp);
    char *text = orphan_rb(marker, "sleep 1");
    char *id = killed_mid_command("orphan-wait.json", text);
    free(text);
    if (!tap_ok(id != NULL, "wait: killed mid-command")) {
        free(marker);
        return;
    }
    char *cause = NULL;
    struct run *r = resume(id, &cause);
    if (!tap_ok(r != NULL && run_orphan(r, NULL, NULL) == RUN_ORPHAN_ALIVE,
                "wait: resume sees the live group")) {
        run_destroy(r);
        free(cause);
        free(id);
        free(marker);
        return;
    }
    tap_is_int(marker_lines(marker), 0, "not finished yet");
    uint64_t t0 = clock_mono_ms();
    tap_ok(run_orphan_wait(r, &cause), "wait for it");
    tap_ok(clock_mono_ms() - t0 < 100, "waiting does not block: polled on a timer");
    tap_is_int(run_orphan(r, NULL, NULL), RUN_ORPHAN_WAITING, "waiting");
    tap_is_int(count_events(id, "orphan.wait"), 1, "orphan.wait journaled");
    tap_ok(orphans_gone(r, 4000), "the group ended by itself");
    tap_is_int(marker_lines(marker), 1, "it finished its side effect, once");
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *end = last_event(ev, n, "orphan.end");
    tap_is_str(end ? str(data(end), "how") : NULL, "ended", "orphan.end: ended");
    free_events(ev, n);
    tap_ok(run_message(r) != NULL && strstr(run_message(r), "ended") != NULL, "says it ended (%s)",
           run_message(r) ? run_message(r) : "");
    tap_is_int(run_state(r), RUN_INTERRUPTED, "still the operator's choice what next");
    tap_ok(run_skip(r, &cause) && run_index(r) == 2, "continue past it");
    tap_is_int(marker_lines(marker), 1, "nothing ran again");
    run_destroy(r);
    free(cause);
    free(id);
    free(marker);
}

/* Rewrite one field of the last command.pgid event of run id. */
static void forge_pgid(const char *id, const char *key, cJSON *value)
{
    char *path = xasprintf("%s/%s.jsonl", runs, id);
    size_t n;
    cJSON **ev = events(id, &n);
    FILE *f = fopen(path, "w");
    const cJSON *pg = last_event(ev, n, "command.pgid");
    for (size_t i = 0; i < n && f != NULL; i++) {
        if (ev[i] == pg) {
            cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev[i], "data"), key,
                                      cJSON_Duplicate(value, true));
        }
        char *line = cJSON_PrintUnformatted(ev[i]);
        fprintf(f, "%s\n", line);
        cJSON_free(line);
    }
    if (f != NULL) {
        fclose(f);
    }
    cJSON_Delete(value);
    free_events(ev, n);
    free(path);
}

/* A live group that is not the journaled one (a recycled pid, another boot) is not ours. */
static void test_orphan_identity(void)
{
    char *marker = xasprintf("%s/orphan-id.marker", tmp);
    char *text = orphan_rb(marker, "trap '' TERM; sleep 30");
    char *id = killed_mid_command("orphan-id.json", text);
    free(text);
    if (!tap_ok(id != NULL, "identity: killed mid-command")) {
        free(marker);
        return;
    }
    int pgid = journaled_pgid(id);
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *pg = last_event(ev, n, "command.pgid");
    double start = pg ? cJSON_GetObjectItem(data(pg), "start")->valuedouble : 0;
    free_events(ev, n);

    forge_pgid(id, "start", cJSON_CreateNumber(start + 1));
    char *cause = NULL;
    struct run *r = resume(id, &cause);
    tap_ok(r != NULL && run_orphan(r, NULL, NULL) == RUN_ORPHAN_NONE,
           "another start time: a recycled pid, not ours");
    tap_ok(kill(-pgid, 0) == 0, "(the group is alive all the same)");
    run_destroy(r);

    forge_pgid(id, "start", cJSON_CreateNumber(start));
    forge_pgid(id, "boot", cJSON_CreateString("00000000-0000-0000-0000-000000000000"));
    r = resume(id, &cause);
    tap_ok(r != NULL && run_orphan(r, NULL, NULL) == RUN_ORPHAN_NONE, "another boot: not ours");
    run_destroy(r);

    /* the real identity back: ours again; it ignores SIGTERM, so SIGKILL follows */
    char real[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f != NULL && fgets(real, sizeof real, f) != NULL) {
        real[strcspn(real, "\n")] = '\0';
    }
    if (f != NULL) {
        fclose(f);
    }
    forge_pgid(id, "boot", cJSON_CreateString(real));
    r = resume(id, &cause);
    tap_ok(r != NULL && run_orphan(r, NULL, NULL) == RUN_ORPHAN_ALIVE, "the real one is ours");
    tap_ok(r != NULL && run_orphan_stop(r, &cause), "stop it");
    tap_ok(r != NULL && orphans_gone(r, 6000), "SIGTERM ignored: gone after SIGKILL");
    run_destroy(r);
    ev = events(id, &n);
    int kills = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = str(ev[i], "action");
        kills += a != NULL && strcmp(a, "orphan.signal") == 0 &&
                 strcmp(str(data(ev[i]), "signal"), "SIGKILL") == 0;
    }
    free_events(ev, n);
    tap_is_int(kills, 1, "SIGKILL journaled after the grace");
    kill(-pgid, SIGKILL);
    free(cause);
    free(id);
    free(marker);
}

/* A full disk (here: a file size limit) cuts the saved output: the step and the report say so. */
static void test_output_cut(void)
{
    struct run *r =
        start("cut.json",
              "{\"title\": \"Cut\", \"steps\": [\n"
              " {\"id\": \"big\", \"title\": \"Big\", \"type\": \"command\",\n"
              "  \"run\": \"seq 1 30000\"}, {\"id\": \"after\", \"title\": \"After\"}]}\n",
              NULL);
    if (!tap_ok(r != NULL, "cut: started")) {
        return;
    }
    char *id = xstrdup(run_id(r));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 32 * 1024; /* the journal stays far below it; the output does not */
    setrlimit(RLIMIT_FSIZE, &lim);
    char *cause = NULL;
    tap_ok(run_confirm(r, &cause), "cut: the command runs");
    settle(r, 10000);
    setrlimit(RLIMIT_FSIZE, &old);
    tap_is_int((long long)run_index(r), 1, "the step itself succeeded");
    tap_ok(run_message(r) != NULL && strstr(run_message(r), "output cut: ") != NULL &&
               strstr(run_message(r), "bytes not saved") != NULL,
           "its message says the output was cut (%s)", run_message(r) ? run_message(r) : "");
    size_t n;
    cJSON **ev = events(id, &n);
    const cJSON *ex = last_event(ev, n, "command.exit");
    const cJSON *lost = ex != NULL ? cJSON_GetObjectItem(data(ex), "output_lost") : NULL;
    char *opath = xasprintf("%s/%s.out", runs, id);
    struct stat st;
    bool have = stat(opath, &st) == 0;
    tap_ok(cJSON_IsNumber(lost) && have &&
               (uint64_t)lost->valuedouble + (uint64_t)st.st_size == run_output_total(r),
           "command.exit counts the bytes not saved (%.0f + %lld = %llu)",
           cJSON_IsNumber(lost) ? lost->valuedouble : -1.0, have ? (long long)st.st_size : -1LL,
           (unsigned long long)run_output_total(r));
    tap_ok(str(data(ex), "output_error") != NULL, "and why (%s)",
           str(data(ex), "output_error") ? str(data(ex), "output_error") : "");
    free_events(ev, n);
    free(opath);
    run_destroy(r);
    char *md = report_markdown(runs, id, &cause);
    tap_ok(md != NULL && strstr(md, "output cut: ") != NULL, "the report says output was cut");
    free(md);
    free(cause);
    free(id);
}

/* run_text: what every view shows of a body or a question. */
static void test_run_text(void)
{
    struct vars v = {0};
    vars_set(&v, "svc", "checkout");
    struct run *r = start("text.json",
                          "{\"title\": \"T\", \"steps\": [\n"
                          " {\"id\": \"pw\", \"title\": \"Pw\", \"type\": \"prompt\", \"var\": "
                          "\"pw\", \"secret\": true},\n"
                          " {\"id\": \"z\", \"title\": \"Z\"}]}\n",
                          &v);
    vars_clear(&v);
    if (!tap_ok(r != NULL, "text: started")) {
        return;
    }
    char *t = run_text(r, "${svc} ${pw} ${nope} $${svc}");
    tap_is_str(t, "checkout ${pw} ${nope} ${svc}", "values in, unset ones shown as themselves");
    free(t);
    char *cause = NULL;
    run_input(r, "hunter2", &cause);
    t = run_text(r, "token ${pw} for ${svc}");
    tap_is_str(t, "token [secret] for checkout", "a secret answer is [secret]");
    free(t);
    tap_ok(run_text(r, NULL) == NULL, "NULL for NULL");
    run_destroy(r);
    free(cause);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/opsdeck-run-XXXXXX");
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
    char *audit_path = xasprintf("%s/audit.jsonl", tmp);
    struct journal *audit = journal_open(audit_path, &cause);
    action_setup(audit, false);

    test_manual_and_command();
    test_code_block_command();
    test_failures();
    test_inputs();
    test_secret_in_command();
    test_waits();
    test_wait_unknown();
    test_action(audit_path);
    test_wiki_blocks();
    test_action_waits_for_backend();
    test_notify();
    test_overtime_and_stop();
    test_dry_run();
    test_resume();
    test_resume_changed();
    test_resume_at_start();
    test_run_text();
    test_held_until_journaled();
    test_output_cut();
    test_orphan_stop();
    test_orphan_wait();
    test_orphan_identity();
    test_list();
    test_abort();
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
