/*
 * engine/action.c against a fake backend type: refusals, the audit lines
 * around a success and a failure, deferred completion, and an audit log that
 * cannot be written (the action must then not reach the backend).
 */
#include "../../engine/action.h"
#include "../../common/util.h"
#include "../../common/whoami.h"
#include "../../engine/journal.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct action_def fake_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', ACTION_DISRUPTIVE, NULL, NULL},
    {"weight", "Set weight", MODEL_POOLS, 'w', ACTION_INPUT, "Weight", "100"},
    {"later", "Slow action", MODEL_POOLS, 'l', 0, NULL, NULL},
};

/* Same verb as one in the table, but not the fake type's: must be refused. */
static const struct action_def foreign_drain = {"drain", "Drain", MODEL_POOLS, 'd', 0, NULL, NULL};
static const struct action_def restart = {"restart", "Restart", MODEL_POOLS, 'r', 0, NULL, NULL};

static int act_calls;
static struct backend_request *pending;

static void fake_act(struct backend *b, struct backend_request *a)
{
    (void)b;
    act_calls++;
    if (strcmp(a->def->verb, "later") == 0) {
        pending = a;
    } else if (a->input != NULL && strcmp(a->input, "bad") == 0) {
        backend_done(a, false, "weight out of range");
    } else {
        backend_done(a, true, "done by fake");
    }
}

static const struct backend_impl fake_impl = {
    .type = "fakelb",
    .description = "a fake load balancer",
    .kinds = 1u << MODEL_POOLS,
    .actions = fake_actions,
    .nactions = 3,
    .act = fake_act,
};

static struct {
    int calls;
    bool ok;
    char *message;
    char *target; /* read from the action during the callback */
} reported;

static void on_report(const struct action *a, bool ok, const char *message, void *ud)
{
    reported.calls++;
    reported.ok = ok;
    free(reported.message);
    reported.message = message != NULL ? xstrdup(message) : NULL;
    free(reported.target);
    reported.target = a->target != NULL ? xstrdup(a->target) : NULL;
    *(int *)ud += 1;
}

static void reset(void)
{
    reported.calls = 0;
    reported.ok = false;
    free(reported.message);
    free(reported.target);
    reported.message = NULL;
    reported.target = NULL;
    act_calls = 0;
}

static char audit_path[256];

/* The last n lines of the audit log, parsed, oldest first; false if fewer. */
static bool last_lines(cJSON **out, int n)
{
    cJSON *all[64];
    int count = 0;
    FILE *f = fopen(audit_path, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && count < 64 && getline(&line, &cap, f) > 0) {
        all[count++] = cJSON_Parse(line);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    for (int i = 0; i < count; i++) {
        if (i >= count - n) {
            out[i - (count - n)] = all[i];
        } else {
            cJSON_Delete(all[i]);
        }
    }
    return count >= n;
}

static const char *str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const char *data_str(const cJSON *obj, const char *key)
{
    return str(cJSON_GetObjectItemCaseSensitive(obj, "data"), key);
}

static int audit_lines(void)
{
    FILE *f = fopen(audit_path, "r");
    int n = 0;
    for (int c; f != NULL && (c = getc(f)) != EOF;) {
        n += c == '\n';
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void test_refusals(struct backend *b)
{
    int ud = 0;
    reset();
    action_setup(NULL, true);
    tap_ok(action_read_only(), "read-only is set");
    action_setup(NULL, false);
    tap_ok(!action_read_only(), "read-only is cleared");

    struct journal *j = NULL;
    char *cause = NULL;
    j = journal_open(audit_path, &cause);
    action_setup(j, true);
    struct action *a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "read-only: refused");
    tap_is_int(act_calls, 0, "read-only: the backend is not asked");
    tap_is_int(reported.calls, 1, "read-only: reported once");
    tap_is_int(ud, 1, "read-only: report gets its user data");
    tap_ok(!reported.ok, "read-only: reported as failed");
    tap_is_str(reported.message, "read-only mode (--read-only)", "read-only: the reason");
    tap_is_str(reported.target, "be_web/web2", "the action is intact during report");
    cJSON *line[2] = {NULL, NULL};
    tap_ok(last_lines(line, 1), "read-only: one audit line");
    tap_is_str(str(line[0], "result"), "refused: read-only mode (--read-only)",
               "read-only: audited as refused");
    tap_is_str(str(line[0], "action"), "drain", "audit action is the verb");
    tap_is_str(str(line[0], "target"), "be_web/web2", "audit target is the row key");
    tap_is_str(str(line[0], "actor"), whoami_user(), "audit actor");
    tap_is_str(str(line[0], "host"), whoami_host(), "audit host");
    tap_is_str(data_str(line[0], "backend"), "fake", "audit data names the backend");
    tap_is_str(data_str(line[0], "type"), "fakelb", "audit data names the type");
    cJSON_Delete(line[0]);

    action_setup(j, false);
    b->actions_enabled = false;
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "actions = off: refused");
    tap_is_int(act_calls, 0, "actions = off: the backend is not asked");
    tap_is_str(reported.message, "actions are off for backend 'fake'", "actions = off: reason");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "refused: actions are off for backend 'fake'",
               "actions = off: audited");
    cJSON_Delete(line[0]);
    b->actions_enabled = true;

    reset();
    a = action_create(b, &restart, "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "unsupported verb: refused");
    tap_is_str(reported.message, "fake does not support restart", "unsupported verb: reason");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "refused: fake does not support restart",
               "unsupported verb: audited");
    cJSON_Delete(line[0]);

    reset();
    a = action_create(b, &foreign_drain, "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "another type's def with a known verb: refused");
    tap_is_int(act_calls + reported.ok, 0, "and not performed");

    cause = NULL;
    tap_ok(action_check(b, &fake_actions[1], &cause) && cause == NULL,
           "action_check passes a supported action");
    tap_ok(!action_check(b, NULL, &cause), "action_check refuses no action");
    free(cause);
    action_setup(NULL, false);
    journal_close(j);
}

static void test_success_and_error(struct backend *b)
{
    int ud = 0;
    char *cause = NULL;
    struct journal *j = journal_open(audit_path, &cause);
    action_setup(j, false);
    int before = audit_lines();

    reset();
    struct action *a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    a->run = xstrdup("run-42");
    a->step = xstrdup("F.1");
    tap_ok(action_run(a, on_report, &ud), "success: action_run returns true");
    tap_is_int(act_calls, 1, "success: the backend acted once");
    tap_is_int(reported.calls, 1, "success: reported exactly once");
    tap_ok(reported.ok, "success: reported ok");
    tap_is_str(reported.message, "done by fake", "success: the backend's message");
    tap_is_int(audit_lines() - before, 2, "success: two audit lines");
    cJSON *line[2] = {NULL, NULL};
    last_lines(line, 2);
    tap_is_str(str(line[0], "result"), "started", "success: 'started' first");
    tap_is_str(str(line[1], "result"), "ok", "success: then 'ok'");
    tap_ok(cJSON_GetObjectItem(line[1], "seq")->valuedouble ==
               cJSON_GetObjectItem(line[0], "seq")->valuedouble + 1,
           "success: consecutive seq");
    tap_is_str(str(line[1], "run"), "run-42", "run id recorded");
    tap_is_str(str(line[1], "step"), "F.1", "step id recorded");
    tap_is_str(data_str(line[1], "message"), "done by fake", "the message is in data");
    tap_ok(cJSON_GetObjectItem(cJSON_GetObjectItem(line[1], "data"), "input") == NULL,
           "no input, no input key");
    cJSON_Delete(line[0]);
    cJSON_Delete(line[1]);

    reset();
    a = action_create(b, &fake_actions[1], "be_web/web3", "bad");
    tap_ok(action_run(a, on_report, &ud), "backend error: action_run returns true (it ran)");
    tap_is_int(reported.calls, 1, "backend error: reported exactly once");
    tap_ok(!reported.ok, "backend error: reported as failed");
    tap_is_str(reported.message, "weight out of range", "backend error: its message");
    last_lines(line, 2);
    tap_is_str(str(line[0], "result"), "started", "backend error: 'started' first");
    tap_is_str(str(line[1], "result"), "error: weight out of range", "backend error: audited");
    tap_is_str(data_str(line[1], "input"), "bad", "the typed input is audited");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(line[1], "run")), "run is null outside a runbook");
    cJSON_Delete(line[0]);
    cJSON_Delete(line[1]);

    reset();
    a = action_create(b, &fake_actions[2], "be_web/web4", NULL);
    tap_ok(action_run(a, on_report, &ud), "deferred: action_run returns true");
    tap_is_int(reported.calls, 0, "deferred: not reported yet");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "started", "deferred: 'started' is on disk already");
    cJSON_Delete(line[0]);
    backend_done(pending, true, NULL);
    pending = NULL;
    tap_is_int(reported.calls, 1, "deferred: reported once when done");
    tap_ok(reported.ok, "deferred: ok");
    tap_is_str(reported.target, "be_web/web4", "deferred: the same action");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "ok", "deferred: audited ok");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(line[0], "data"), "message")),
           "deferred: no message is null");
    cJSON_Delete(line[0]);

    /* a multi-line report (peeked messages): all of it to the caller, its first line audited */
    reset();
    a = action_create(b, &fake_actions[2], "q1", NULL);
    action_run(a, on_report, &ud);
    backend_done(pending, true, "peeked 1 message\npayload: card 4111");
    pending = NULL;
    tap_is_str(reported.message, "peeked 1 message\npayload: card 4111",
               "multi-line: reported whole");
    last_lines(line, 1);
    tap_is_str(data_str(line[0], "message"), "peeked 1 message", "multi-line: first line audited");
    cJSON_Delete(line[0]);

    action_setup(NULL, false);
    journal_close(j);
}

static void test_audit_failure(struct backend *b)
{
    int ud = 0;
    char *cause = NULL;
    struct journal *full = journal_open("/dev/full", &cause);
    if (!tap_ok(full != NULL, "a journal on /dev/full")) {
        free(cause);
        return;
    }
    action_setup(full, false);
    reset();
    struct action *a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "audit fails: action_run returns false");
    tap_is_int(act_calls, 0, "audit fails: the backend is never asked");
    tap_is_int(reported.calls, 1, "audit fails: reported once");
    tap_ok(!reported.ok, "audit fails: reported as failed");
    tap_is_str(reported.message,
               "not done: cannot write the audit log: /dev/full: No space left on device",
               "audit fails: the reason");

    action_setup(full, true);
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    action_run(a, on_report, &ud);
    tap_is_str(reported.message,
               "read-only mode (--read-only) (and the audit log failed: /dev/full: No space left "
               "on device)",
               "refusal that cannot be audited says so");

    /* Started with a good log, finished after the disk filled. */
    struct journal *j = journal_open(audit_path, &cause);
    action_setup(j, false);
    reset();
    a = action_create(b, &fake_actions[2], "be_web/web5", NULL);
    action_run(a, on_report, &ud);
    action_setup(full, false);
    backend_done(pending, false, "timed out");
    pending = NULL;
    tap_is_int(reported.calls, 1, "unaudited completion: still reported once");
    tap_is_str(reported.message,
               "timed out (not recorded in the audit log: /dev/full: No space left on device)",
               "unaudited completion: says the record is missing");
    action_setup(NULL, false);
    journal_close(j);
    journal_close(full);
}

static void test_no_audit(struct backend *b)
{
    int ud = 0;
    action_setup(NULL, false);
    reset();
    struct action *a = action_create(b, &fake_actions[0], "x", NULL);
    tap_ok(action_run(a, on_report, &ud) && reported.calls == 1 && reported.ok,
           "without an audit log (tests) actions still run");
    action_destroy(NULL);
}

/* A context's policy: read_only refuses (action_check), protected wants the typed confirmation. */
static void test_contexts(struct backend *b)
{
    int ud = 0;
    char *cause = NULL;
    struct journal *j = journal_open(audit_path, &cause);
    action_setup(j, false);
    cJSON *line[1] = {NULL};

    tap_is_str(backend_context(b), "default", "context: none set is \"default\"");
    tap_ok(action_protected(b) == NULL, "context: not protected by default");
    tap_ok(backend_configure(b, "context", "staging", &cause), "context: the common key");
    tap_is_str(backend_context(b), "staging", "context: its name");
    tap_ok(!backend_configure(b, "context", "a b", &cause), "context: a bad name is refused");
    tap_is_str(cause, "bad context name 'a b' (letters, digits, '_', '-' and '.')",
               "context: why the name is bad");
    free(cause);
    cause = NULL;

    b->context_read_only = true;
    tap_ok(!action_check(b, &fake_actions[0], &cause), "read-only context: action_check refuses");
    tap_is_str(cause, "context staging is read-only", "read-only context: the cause");
    free(cause);
    cause = NULL;
    reset();
    struct action *a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    a->typed = true;
    tap_ok(!action_run(a, on_report, &ud), "read-only context: refused even when typed");
    tap_ok(act_calls == 0 && !reported.ok, "read-only context: the backend is not asked");
    tap_is_str(reported.message, "context staging is read-only", "read-only context: reported");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "refused: context staging is read-only",
               "read-only context: audited as refused");
    cJSON_Delete(line[0]);
    b->context_read_only = false;

    tap_ok(backend_configure(b, "context", "prod-eu", &cause), "context: prod-eu");
    b->context_protected = true;
    tap_is_str(action_protected(b), "prod-eu", "protected: action_protected names the context");
    tap_ok(action_check(b, &fake_actions[0], &cause) && cause == NULL,
           "protected: action_check allows it (the dialog asks the typed word)");
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud), "protected: not typed, refused");
    tap_is_int(act_calls, 0, "protected: not typed, the backend is not asked");
    tap_is_str(reported.message,
               "context prod-eu is protected: drain be_web/web2 needs the typed confirmation (the "
               "console's dialog)",
               "protected: why");
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    a->typed = true;
    tap_ok(action_run(a, on_report, &ud) && act_calls == 1 && reported.ok,
           "protected: typed, it runs");
    last_lines(line, 1);
    tap_is_str(str(line[0], "result"), "ok", "protected: typed, audited ok");
    cJSON_Delete(line[0]);

    /* a grant: the dialog typed it, another module runs it (a run's step, a drill's chaos) */
    reset();
    action_grant_typed(b, &fake_actions[0], "be_web/web1");
    a = action_create(b, &fake_actions[0], "be_web/web2", NULL);
    tap_ok(!action_run(a, on_report, &ud) && act_calls == 0,
           "protected: a grant for another target does not count");
    reset();
    a = action_create(b, &fake_actions[1], "be_web/web1", "50");
    tap_ok(!action_run(a, on_report, &ud) && act_calls == 0,
           "protected: a grant for another verb does not count");
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web1", NULL);
    tap_ok(action_run(a, on_report, &ud) && act_calls == 1 && reported.ok,
           "protected: the granted action runs");
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web1", NULL);
    tap_ok(!action_run(a, on_report, &ud) && act_calls == 0, "protected: a grant is taken once");
    action_grant_typed(b, &fake_actions[0], "be_web/web1");
    action_grants_clear();
    reset();
    a = action_create(b, &fake_actions[0], "be_web/web1", NULL);
    tap_ok(!action_run(a, on_report, &ud) && act_calls == 0, "protected: grants cleared");

    b->context_protected = false;
    free(b->context);
    b->context = NULL;
    action_setup(NULL, false);
    journal_close(j);
}

int main(void)
{
    char dir[] = "/tmp/opsdeck-action-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(audit_path, sizeof audit_path, "%s/audit.jsonl", dir);
    struct store *store = store_create();
    struct backend *b = backend_create(&fake_impl, "fake", store, NULL);
    test_refusals(b);
    test_success_and_error(b);
    test_audit_failure(b);
    test_no_audit(b);
    test_contexts(b);
    backend_destroy(b);
    store_destroy(store);
    reset();
    unlink(audit_path);
    tap_ok(rmdir(dir) == 0, "temporary directory removed");
    return tap_done();
}
