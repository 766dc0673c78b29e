/*
 * Post-incident reports from hand-written journals: every event type, times
 * per phase and time to mitigation computed from the timestamps written here,
 * command output read back from RUN-ID.out and trimmed, secrets, damaged
 * journals and missing runs.
 */
#include "../../common/util.h"
#include "../../engine/journal.h"
#include "../../engine/report.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 2026-11-23T10:00:00Z */
static const int64_t t0 = 1795428000000;

static char dir[] = "/tmp/opsdeck-report-XXXXXX";
static uint64_t seq;

static void ev(FILE *f, int sec, const char *actor, const char *action, const char *result,
               const char *data)
{
    cJSON *d = data != NULL ? cJSON_Parse(data) : NULL;
    if (data != NULL && d == NULL) {
        tap_diag("bad test JSON: %s", data);
    }
    struct journal_event e = {
        .actor = actor,
        .host = strcmp(actor, "alice") == 0 ? "bastion-1" : "laptop",
        .run = "r1",
        .step = NULL,
        .action = action,
        .result = result,
        .data = d,
    };
    char *line = journal_format(++seq, t0 + (int64_t)sec * 1000, &e);
    fprintf(f, "%s\n", line);
    free(line);
    cJSON_Delete(d);
}

static void write_file(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(path);
}

/* The output file: 15 short lines for the first command, one huge line then one more. */
static void write_output(size_t *len1, size_t *len2)
{
    struct strbuf sb = {0};
    for (int i = 1; i <= 15; i++) {
        strbuf_printf(&sb, "line %d\n", i);
    }
    *len1 = sb.n;
    for (int i = 0; i < 2000; i++) {
        strbuf_str(&sb, "x");
    }
    strbuf_str(&sb, "\nend\n");
    *len2 = sb.n - *len1;
    write_file("r1.out", sb.s);
    free(sb.s);
}

static void write_full_run(void)
{
    size_t l1, l2;
    write_output(&l1, &l2);
    char *path = xasprintf("%s/r1.jsonl", dir);
    FILE *f = fopen(path, "w");
    free(path);
    char buf[512];
    ev(f, 0, "alice", "run.start", NULL,
       "{\"runbook\":\"examples/runbooks/checkout.md\",\"title\":\"Checkout 5xx\",\"hash\":\"abc\","
       "\"vars\":{\"service\":\"checkout\",\"instance\":null},\"argv_vars\":{\"region\":\"eu-1\"}"
       "}");
    ev(f, 1, "alice", "step.enter", NULL,
       "{\"index\":0,\"title\":\"Acknowledge the page\",\"phase\":\"S\",\"type\":\"manual\"}");
    ev(f, 31, "alice", "step.done", NULL, "{\"how\":\"done\"}");
    ev(f, 31, "alice", "step.enter", NULL,
       "{\"index\":1,\"title\":\"Check the error rate\",\"phase\":\"A\",\"type\":\"command\"}");
    ev(f, 40, "alice", "command.start", NULL,
       "{\"command\":\"curl -s http://prom:9090/q\",\"offset\":0}");
    /* the first chunk ends mid-line: chunks are bytes, not lines */
    snprintf(buf, sizeof buf, "{\"offset\":0,\"length\":%zu}", l1 - 10);
    ev(f, 41, "alice", "command.output", NULL, buf);
    snprintf(buf, sizeof buf, "{\"offset\":%zu,\"length\":10}", l1 - 10);
    ev(f, 42, "alice", "command.output", NULL, buf);
    ev(f, 45, "alice", "command.exit", "exit 0 in 5.0 s",
       "{\"code\":0,\"error\":null,\"elapsed_ms\":5000,\"var\":\"rate\",\"value\":\"0.31\"}");
    ev(f, 45, "alice", "step.done", "exit 0 in 5.0 s", "{\"how\":\"done\"}");
    ev(f, 46, "alice", "step.enter", NULL,
       "{\"index\":2,\"title\":\"Which service?\",\"phase\":\"A\",\"type\":\"prompt\"}");
    ev(f, 50, "alice", "input", NULL, "{\"var\":\"svc\",\"value\":\"checkout|api\\nsecond\"}");
    snprintf(buf, sizeof buf, "{\"var\":\"blob\",\"value\":\"%0100d\"}", 0);
    ev(f, 50, "alice", "input", NULL, buf);
    ev(f, 51, "alice", "input", NULL, "{\"var\":\"token\",\"secret\":true}");
    /* even a journal that kept a secret's value must not leak it */
    ev(f, 51, "alice", "input", NULL,
       "{\"var\":\"password\",\"secret\":true,\"value\":\"hunter2-leaked\"}");
    ev(f, 52, "alice", "step.done", NULL, "{\"how\":\"done\"}");
    ev(f, 53, "alice", "note", NULL, "{\"text\":\"error rate 31%, since 09:55\"}");
    ev(f, 60, "alice", "step.enter", NULL,
       "{\"index\":3,\"title\":\"Roll back?\",\"phase\":\"F\",\"type\":\"decision\"}");
    ev(f, 65, "alice", "choice", NULL, "{\"label\":\"yes\",\"goto\":\"approve\"}");
    ev(f, 65, "alice", "jump", NULL,
       "{\"from\":\"roll-back\",\"to\":\"approve\",\"why\":\"choice\"}");
    ev(f, 66, "alice", "step.enter", NULL,
       "{\"index\":4,\"title\":\"Approve rollback\",\"phase\":\"F\",\"type\":\"approval\"}");
    ev(f, 70, "alice", "approval", NULL, "{\"role\":\"incident commander\",\"by\":\"Jane Doe\"}");
    ev(f, 71, "alice", "step.done", NULL, "{\"how\":\"done\"}");
    ev(f, 72, "alice", "step.enter", NULL,
       "{\"index\":5,\"title\":\"Roll back checkout\",\"phase\":\"F\",\"type\":\"action\"}");
    ev(f, 73, "alice", "action.start", NULL,
       "{\"backend\":\"demo\",\"pane\":\"deploys\",\"verb\":\"rollback\",\"target\":\"shop/"
       "checkout\",\"input\":null}");
    ev(f, 75, "alice", "action.end", NULL, "{\"ok\":true,\"message\":\"rolled back to v41\"}");
    ev(f, 75, "alice", "step.done", NULL, "{\"how\":\"done\"}");
    ev(f, 76, "alice", "step.enter", NULL,
       "{\"index\":6,\"title\":\"Wait for the DLQ\",\"phase\":\"F\",\"type\":\"wait\"}");
    ev(f, 77, "alice", "wait.start", NULL, "{\"condition\":\"queues orders.dlq ready < 10\"}");
    /* the SSH link dropped; bob picked the run up from his laptop */
    ev(f, 100, "bob", "run.resume", NULL, "{\"at\":6}");
    /* resume asks for the secret again, journaled under the prompt's own step */
    fprintf(f,
            "{\"seq\":%llu,\"ts\":\"2026-11-23T10:01:40.500Z\",\"actor\":\"bob\",\"host\":"
            "\"laptop\",\"run\":\"r1\",\"step\":\"which-service\",\"action\":\"input\","
            "\"target\":null,\"result\":null,\"data\":{\"var\":\"token\",\"secret\":true}}\n",
            (unsigned long long)++seq);
    ev(f, 137, "bob", "wait.end", NULL, "{\"met\":true,\"tries\":12,\"reason\":null}");
    ev(f, 137, "bob", "step.done", NULL, "{\"how\":\"done\"}");
    ev(f, 140, "bob", "step.enter", NULL,
       "{\"index\":7,\"title\":\"Page the next person\",\"phase\":\"E\",\"type\":\"notify\"}");
    ev(f, 141, "bob", "overtime", NULL, "{\"timebox_s\":90,\"escalated\":false}");
    ev(f, 142, "bob", "notify", NULL,
       "{\"service\":\"pagerduty\",\"event\":\"trigger\",\"status\":202,\"error\":null}");
    ev(f, 142, "bob", "notify", "sending",
       "{\"service\":\"slack\",\"event\":\"trigger\",\"status\":null,\"error\":null}");
    ev(f, 142, "bob", "notify", NULL,
       "{\"service\":\"slack\",\"event\":\"trigger\",\"status\":0,\"error\":\"Slack: "
       "Failed to connect to hooks.example port 443\"}");
    ev(f, 143, "bob", "notify", NULL,
       "{\"service\":\"slack\",\"event\":null,\"status\":500,\"error\":\"Slack: HTTP 500 "
       "Internal Server Error\"}");
    ev(f, 150, "bob", "step.done", "sent", "{\"how\":\"skipped\"}");
    ev(f, 151, "bob", "step.enter", NULL,
       "{\"index\":8,\"title\":\"Tidy | up\",\"phase\":\"E\",\"type\":\"command\"}");
    snprintf(buf, sizeof buf, "{\"command\":\"echo `date` | tee\",\"offset\":%zu}", l1);
    ev(f, 152, "bob", "command.start", NULL, buf);
    snprintf(buf, sizeof buf, "{\"offset\":%zu,\"length\":%zu}", l1, l2);
    ev(f, 153, "bob", "command.output", NULL, buf);
    ev(f, 155, "bob", "command.exit", NULL,
       "{\"code\":1,\"error\":null,\"elapsed_ms\":2000,\"var\":\"listing\",\"value\":"
       "\"a1\\na2\\na3\\na4\\na5\\na6\\na7\\na8\\na9\\na10\\na11\\na12 "
       "0123456789012345678901234567890123456789012345678901234567890123456789\"}");
    ev(f, 155, "bob", "step.done", "exit 1 (expected 0)", "{\"how\":\"failed\"}");
    ev(f, 156, "bob", "back", NULL,
       "{\"from\":\"tidy-up\",\"to\":\"page-the-next-person\",\"why\":\"retry\"}");
    ev(f, 157, "bob", "note", NULL, "{\"text\":\"paged | escalated\\nby phone\"}");
    ev(f, 160, "bob", "run.end", NULL, "{\"how\":\"finished\"}");
    fclose(f);
}

static bool has(const char *text, const char *want)
{
    bool ok = text != NULL && strstr(text, want) != NULL;
    if (!ok) {
        tap_diag("missing: %s", want);
    }
    return ok;
}

static bool lacks(const char *text, const char *unwanted)
{
    return text != NULL && strstr(text, unwanted) == NULL;
}

static void test_full(void)
{
    write_full_run();
    char *cause = NULL;
    char *md = report_markdown(dir, "r1", &cause);
    tap_ok(md != NULL, "a report for r1 (%s)", cause ? cause : "ok");
    if (md == NULL) {
        free(cause);
        return;
    }
    if (getenv("REPORT_SHOW") != NULL) {
        fputs(md, stderr);
    }
    tap_ok(has(md, "# Incident report: Checkout 5xx\n"), "title");
    tap_ok(has(md, "- Runbook: examples/runbooks/checkout.md\n"), "runbook path");
    tap_ok(has(md, "- Run: r1\n"), "run id");
    tap_ok(has(md, "- Who: alice@bastion-1, bob@laptop\n"), "every actor, the starter first");
    tap_ok(has(md, "- Started: 2026-11-23 10:00:00 UTC\n"), "start in UTC");
    tap_ok(has(md, "- Ended: 2026-11-23 10:02:40 UTC, after 2m40s\n- Outcome: finished\n"),
           "end in UTC and how it ended");

    tap_ok(has(md, "- 10:00:00 +00:00 run started by alice@bastion-1; variables given: "
                   "region=eu-1\n"),
           "run.start");
    tap_ok(has(md, "- 10:00:01 +00:01 [S] Acknowledge the page: entered\n"), "step.enter");
    tap_ok(has(md, "- 10:00:31 +00:31 [S] Acknowledge the page: done\n"), "step.done");
    tap_ok(has(md, "- 10:00:40 +00:40 [A] Check the error rate: ran `curl -s "
                   "http://prom:9090/q`\n"),
           "command.start");
    tap_ok(has(md, "- 10:00:45 +00:45 [A] Check the error rate: exit 0 in 5.0 s, captured "
                   "rate = 0.31\n"
                   "      line 1\n      line 2\n"),
           "command.exit with its output under it");
    tap_ok(has(md, "      line 10\n      (5 more lines)\n"), "output trimmed to 10 lines");
    tap_ok(lacks(md, "line 11"), "line 11 is not shown");
    tap_ok(has(md, "[A] Check the error rate: done: exit 0 in 5.0 s\n"), "step.done's result");
    tap_ok(has(md, "- 10:00:50 +00:50 [A] Which service?: input svc = checkout|api second\n"),
           "input (newline flattened in the list)");
    tap_ok(has(md, "[A] Which service?: input token (secret, not recorded)\n"), "secret input");
    char *blob = xasprintf("input blob = %080d...\n", 0);
    tap_ok(has(md, blob), "a long input is cut at 80 bytes in the timeline");
    free(blob);
    blob = xasprintf("| blob | %0100d |\n", 0);
    tap_ok(has(md, blob), "and shown whole in the variables");
    free(blob);
    tap_ok(lacks(md, "hunter2"), "a secret's value never appears, even if journaled");
    tap_ok(has(md, "- 10:00:53 +00:53 [A] Which service?: note: error rate 31%, since 09:55\n"),
           "note in the timeline");
    tap_ok(has(md, "- 10:01:05 +01:05 [F] Roll back?: chose \"yes\" -> approve\n"), "choice");
    tap_ok(has(md, "- 10:01:05 +01:05 [F] Roll back?: jumped from roll-back to approve "
                   "(choice)\n"),
           "jump");
    tap_ok(has(md, "- 10:01:10 +01:10 [F] Approve rollback: approved by Jane Doe as incident "
                   "commander\n"),
           "approval");
    tap_ok(has(md, "- 10:01:13 +01:13 [F] Roll back checkout: action rollback deploys "
                   "shop/checkout on demo\n"),
           "action.start");
    tap_ok(has(md, "- 10:01:15 +01:15 [F] Roll back checkout: action rollback deploys "
                   "shop/checkout -> ok: rolled back to v41\n"),
           "action.end");
    tap_ok(has(md, "- 10:01:17 +01:17 [F] Wait for the DLQ: waiting until queues orders.dlq "
                   "ready < 10\n"),
           "wait.start");
    tap_ok(has(md, "- 10:01:40 +01:40 run resumed by bob@laptop at step 6\n"), "run.resume");
    tap_ok(has(md, "- 10:01:40 +01:40 [F] Wait for the DLQ: input token (secret, not recorded) "
                   "for step which-service\n"),
           "a secret asked again on resume names its step");
    tap_ok(has(md, "- 10:02:17 +02:17 [F] Wait for the DLQ: condition met after 12 tries\n"),
           "wait.end");
    tap_ok(has(md, "- 10:02:21 +02:21 [E] Page the next person: over its time box of 1m30s, "
                   "not escalated\n"),
           "overtime");
    tap_ok(has(md, "- 10:02:22 +02:22 [E] Page the next person: notify pagerduty/trigger -> "
                   "HTTP 202 sent\n"),
           "notify sent");
    tap_ok(has(md, "- 10:02:22 +02:22 [E] Page the next person: notify slack: sending\n"),
           "notify journaled before sending");
    tap_ok(has(md, "- 10:02:22 +02:22 [E] Page the next person: notify slack -> failed: Slack: "
                   "Failed to connect to hooks.example port 443\n"),
           "notify failed in transport (status 0)");
    tap_ok(has(md, "- 10:02:23 +02:23 [E] Page the next person: notify slack -> HTTP 500 "
                   "failed: Slack: HTTP 500 Internal Server Error\n"),
           "notify failed");
    tap_ok(has(md, "- 10:02:30 +02:30 [E] Page the next person: skipped: sent\n"), "skip");
    tap_ok(has(md, "- 10:02:32 +02:32 [E] Tidy | up: ran ``echo `date` | tee``\n"),
           "a command with a backtick keeps its code span");
    tap_ok(has(md, "[E] Tidy | up: exit 1 in 2.0 s, captured listing = a1...\n      xxxx"),
           "failing exit, a multi-line capture cut to its first line, then output");
    struct strbuf cut = {0};
    strbuf_str(&cut, "\n      ");
    for (int i = 0; i < 1024; i++) {
        strbuf_str(&cut, "x");
    }
    strbuf_str(&cut, "...\n      (1 more line)\n");
    tap_ok(has(md, cut.s), "a huge line is cut at 1 KiB");
    free(cut.s);
    tap_ok(has(md, "[E] Tidy | up: failed: exit 1 (expected 0)\n"), "failed step");
    tap_ok(has(md, "- 10:02:36 +02:36 [E] Tidy | up: went back from tidy-up to "
                   "page-the-next-person (retry)\n"),
           "back");
    tap_ok(has(md, "- 10:02:40 +02:40 run finished\n"), "run.end");
    tap_ok(lacks(md, "command.output"), "output events have no line of their own");

    /* S 1->31; A 31->60; F 60->140; E 140->160 */
    tap_ok(has(md, "| S Stay calm | 30s |\n| A Assess | 29s |\n| F Focus | 1m20s |\n"
                   "| E Escalate | 20s |\n"),
           "time per phase from the timestamps");
    /* no alert seen: the figures count from the start; the first Focus step done mitigates */
    tap_ok(has(md, "| First mitigation | 2026-11-23 10:01:11 UTC | 1m11s (from the start) | "
                   "step \"Approve rollback\" done |\n"),
           "first mitigation: the first Focus step done");
    tap_ok(has(md, "| Acknowledged | 2026-11-23 10:00:31 UTC | 31s (from the start) | step "
                   "\"Acknowledge the page\" done |"),
           "acknowledged: the first Stay-calm step done");
    tap_ok(has(md, "| Detected | not reached | | no alert seen firing |\n"),
           "detected: not reached without an alert");
    tap_ok(has(md, "\nTime to mitigation: 1m11s\n"), "time to mitigation from the figures");
    tap_ok(has(md, "## Notes\n\n- 10:00:53 alice: error rate 31%, since 09:55\n"
                   "- 10:02:37 bob: paged | escalated by phone\n"),
           "notes collected with who");
    tap_ok(has(md, "| service | checkout |\n"), "a default variable");
    tap_ok(has(md, "| instance | (unset) |\n"), "an unset variable");
    tap_ok(has(md, "| region | eu-1 |\n"), "a --var");
    tap_ok(has(md, "| rate | 0.31 |\n"), "a capture");
    tap_ok(has(md, "| svc | checkout\\|api<br>second |\n"), "table cells escape | and newlines");
    tap_ok(has(md, "| token | (secret, not recorded) |\n"), "a secret variable shows no value");
    tap_ok(has(md, "| listing | a1<br>a2<br>a3<br>a4<br>a5<br>a6<br>a7<br>a8<br>a9<br>a10... |\n"),
           "a long value is cut to 10 lines in the table");
    free(md);
}

static void test_damaged(void)
{
    char *path = xasprintf("%s/r2.jsonl", dir);
    FILE *f = fopen(path, "w");
    free(path);
    seq = 0;
    ev(f, 0, "alice", "run.start", NULL, "{\"runbook\":\"a.md\",\"title\":\"Disk full\"}");
    ev(f, 5, "alice", "step.enter", NULL,
       "{\"index\":0,\"title\":\"Free space\",\"phase\":\"F\",\"type\":\"command\"}");
    fputs("{\"seq\":3,\"ts\":\"2026-11-23T10:00:0\x01garbage\n", f);
    ev(f, 9, "alice", "command.start", NULL, "{\"command\":\"rm -rf /tmp/cache\",\"offset\":0}");
    ev(f, 12, "alice", "note", NULL, "{\"text\":\"after the garbage\"}");
    fputs("{\"seq\":6,\"ts\":\"2026-11-23T10:00:13.000Z\",\"action\":\"no", f);
    fclose(f);
    char *cause = NULL;
    char *md = report_markdown(dir, "r2", &cause);
    tap_ok(md != NULL, "a damaged journal still gives a report (%s)", cause ? cause : "ok");
    if (getenv("REPORT_SHOW") != NULL && md != NULL) {
        fputs(md, stderr);
    }
    tap_ok(has(md, "- (journal line 3 unreadable)\n"), "a garbage middle line is named");
    tap_ok(has(md, "- 10:00:12 +00:12 [F] Free space: note: after the garbage\n"),
           "and what follows is still reported");
    tap_ok(lacks(md, "line 6"), "a torn last line is ignored");
    tap_ok(has(md, "- 10:00:12 +00:12 [F] Free space: note: after the garbage\n"
                   "- (no exit recorded: the session ended while the command ran)\n"),
           "a command that never exited says so");
    tap_ok(has(md, "- Outcome: still open\n"), "a run without run.end is still open");
    tap_ok(has(md, "- Ended: not yet (last event 2026-11-23 10:00:12 UTC)\n"),
           "with its last event");
    tap_ok(has(md, "| F Focus | 7s |\n"), "an open step counts up to the last event");
    tap_ok(has(md, "not reached"), "no Focus step done: mitigation not reached");
    tap_ok(has(md, "## Notes\n\n- 10:00:12 alice: after the garbage\n"), "notes");
    tap_ok(has(md, "## Variables at the end\n\n(none)\n"), "no variables");
    free(md);
}

static void test_errors(void)
{
    char *cause = NULL;
    char *md = report_markdown(dir, "nope", &cause);
    char *want = xasprintf("no run nope in %s", dir);
    tap_ok(md == NULL, "no such run: no report");
    tap_is_str(cause, want, "and a clear cause");
    free(want);
    free(cause);
    cause = NULL;
    md = report_markdown(dir, "../r1", &cause);
    tap_ok(md == NULL && cause != NULL && strstr(cause, "bad run id"),
           "a run id with a slash is refused");
    free(cause);
    cause = NULL;
    write_file("empty.jsonl", "");
    md = report_markdown(dir, "empty", &cause);
    tap_ok(md == NULL && cause != NULL && strstr(cause, "no readable events"),
           "an empty journal is an error (%s)", cause ? cause : "-");
    free(cause);
    cause = NULL;

    /* the default directory is $XDG_STATE_HOME/opsdeck/runs */
    char *state = xasprintf("%s/state", dir);
    char *runs = xasprintf("%s/opsdeck/runs", state);
    char *cmd = xasprintf("mkdir -p %s && cp %s/r1.jsonl %s/r1.out %s/", runs, dir, dir, runs);
    tap_ok(system(cmd) == 0, "copy r1 into a state directory");
    setenv("XDG_STATE_HOME", state, 1);
    md = report_markdown(NULL, "r1", &cause);
    tap_ok(md != NULL && has(md, "# Incident report: Checkout 5xx"),
           "NULL runs_dir reads $XDG_STATE_HOME/opsdeck/runs");
    free(md);
    free(cmd);
    cmd = xasprintf("rm -rf %s", state);
    if (system(cmd) != 0) {
        tap_diag("cannot remove %s", state);
    }
    free(cmd);
    free(runs);
    free(state);
}

/* ---- a drill run (docs/drills.md: every journal event, data.t_ms the drill clock) ---- */

static void write_drill_run(void)
{
    char *path = xasprintf("%s/d1.jsonl", dir);
    FILE *f = fopen(path, "w");
    free(path);
    ev(f, 0, "alice", "run.start", NULL,
       "{\"kind\":\"drill\",\"drill\":\"/x/gameday.md\",\"title\":\"Game day\",\"hash\":\"ab\","
       "\"roles\":[{\"id\":\"gm\",\"name\":\"Game "
       "master\",\"facilitator\":true,\"observer\":false},"
       "{\"id\":\"ic\",\"name\":\"Incident | commander\",\"facilitator\":false,\"observer\":false},"
       "{\"id\":\"obs\",\"name\":\"Audit\",\"facilitator\":false,\"observer\":true}],"
       "\"objectives\":[\"Notice the drain\",\"Keep serving\"],\"t_ms\":0}");
    ev(f, 1, "alice", "check", "ok",
       "{\"id\":\"pool-whole\",\"when\":\"before\",\"ok\":true,\"reason\":\"web2 STATUS is UP\","
       "\"t_ms\":0}");
    ev(f, 2, "alice", "drill.start", NULL, "{\"t_ms\":0}");
    ev(f, 2, "alice", "inject.fire", "clock",
       "{\"id\":\"start\",\"title\":\"Game day starts\",\"to\":[\"ic\"],\"channel\":\"announce\","
       "\"why\":\"clock\",\"expects\":[{\"text\":\"Steady state confirmed\",\"deadline_s\":120,"
       "\"points\":5},{\"text\":\"Status page updated\",\"deadline_s\":600,\"points\":3}],"
       "\"t_ms\":0}");
    ev(f, 3, "alice", "notify", "sending",
       "{\"service\":\"slack\",\"event\":\"trigger\",\"status\":null,\"t_ms\":1000}");
    ev(f, 3, "alice", "notify", "ok",
       "{\"service\":\"slack\",\"event\":\"trigger\",\"status\":200,\"error\":null,\"t_ms\":1200}");
    ev(f, 62, "alice", "inject.fire", "clock",
       "{\"id\":\"drain-web2\",\"title\":\"web2 leaves the pool\",\"to\":[\"ic\",\"obs\"],"
       "\"channel\":\"dashboard\",\"why\":\"clock\",\"expects\":[{\"text\":\"web2 spotted in "
       "DRAIN\","
       "\"deadline_s\":180,\"points\":10}],\"t_ms\":60000}");
    ev(f, 62, "alice", "chaos.plan", NULL,
       "{\"inject\":\"drain-web2\",\"index\":0,\"action\":\"pools drain be_web/web2\","
       "\"rollback\":\"pools ready be_web/web2\",\"t_ms\":60000}");
    ev(f, 63, "alice", "chaos.end", "ok",
       "{\"inject\":\"drain-web2\",\"index\":0,\"ok\":true,\"message\":\"be_web/web2 set to "
       "DRAIN\",\"t_ms\":61000}");
    ev(f, 100, "alice", "expect", "met",
       "{\"inject\":\"start\",\"index\":0,\"text\":\"Steady state confirmed\",\"status\":\"met\","
       "\"points\":5,\"by\":\"bob\",\"t_ms\":98000}");
    ev(f, 110, "alice", "drill.pause", NULL, "{\"t_ms\":108000}");
    ev(f, 170, "alice", "drill.resume", NULL, "{\"t_ms\":108000}");
    ev(f, 175, "alice", "inject.fire", "early",
       "{\"id\":\"stop-search\",\"title\":\"Search stops\",\"to\":[\"ic\"],\"channel\":\"page\","
       "\"why\":\"early\",\"expects\":[{\"text\":\"CONS 0 "
       "found\",\"deadline_s\":60,\"points\":10}],"
       "\"t_ms\":113000}");
    ev(f, 175, "alice", "chaos.plan", NULL,
       "{\"inject\":\"stop-search\",\"index\":0,\"action\":\"queues stop prod/search.index\","
       "\"rollback\":\"queues start prod/search.index\",\"t_ms\":113000}");
    ev(f, 176, "alice", "chaos.end", "failed",
       "{\"inject\":\"stop-search\",\"index\":0,\"ok\":false,\"message\":\"backend timed out\","
       "\"t_ms\":114000}");
    ev(f, 180, "alice", "check", "ok",
       "{\"id\":\"serving\",\"when\":\"during\",\"ok\":true,\"reason\":\"web1 "
       "UP\",\"t_ms\":118000}");
    ev(f, 185, "alice", "check", "web1 DOWN",
       "{\"id\":\"serving\",\"when\":\"during\",\"ok\":false,\"reason\":\"web1 STATUS is DOWN\","
       "\"t_ms\":123000}");
    ev(f, 190, "alice", "check", "ok",
       "{\"id\":\"serving\",\"when\":\"during\",\"ok\":true,\"reason\":\"web1 "
       "UP\",\"t_ms\":128000}");
    ev(f, 242, "alice", "expect", "missed",
       "{\"inject\":\"drain-web2\",\"index\":0,\"text\":\"web2 spotted in DRAIN\",\"status\":"
       "\"missed\",\"points\":0,\"by\":null,\"t_ms\":240000}");
    ev(f, 242, "alice", "inject.fire", "contingency",
       "{\"id\":\"traffic\",\"title\":\"Is traffic balanced?\",\"to\":[\"ic\"],\"channel\":"
       "\"email\",\"why\":\"contingency\",\"expects\":[],\"t_ms\":240000}");
    ev(f, 300, "bob", "expect", "late",
       "{\"inject\":\"stop-search\",\"index\":0,\"text\":\"CONS 0 found\",\"status\":\"late\","
       "\"points\":5,\"max\":10,\"by\":\"carol\",\"t_ms\":298000}");
    ev(f, 301, "alice", "inject.skip", NULL, "{\"id\":\"traffic\",\"t_ms\":299000}");
    ev(f, 310, "alice", "chaos.plan", NULL,
       "{\"inject\":\"stop-search\",\"index\":1,\"action\":\"pools maint be_web/web4\","
       "\"rollback\":\"pools ready be_web/web4\",\"t_ms\":308000}");
    ev(f, 320, "alice", "note", NULL,
       "{\"text\":\"web1 flapped once\",\"section\":null,"
       "\"t_ms\":318000}");
    ev(f, 321, "bob", "note", NULL,
       "{\"text\":\"@carol put the runbooks outside the office wiki\",\"section\":\"Action "
       "items\",\"t_ms\":319000}");
    ev(f, 322, "alice", "note", NULL,
       "{\"text\":\"alert on queues without consumers\",\"section\":\"Action items\","
       "\"t_ms\":320000}");
    ev(f, 323, "alice", "note", NULL,
       "{\"text\":\"the console showed DRAIN at once\",\"section\":\"What went well\","
       "\"t_ms\":321000}");
    ev(f, 330, "alice", "drill.abort", NULL,
       "{\"why\":\"the abort word was said: PINEAPPLE\",\"t_ms\":328000}");
    ev(f, 331, "alice", "rollback.start", NULL,
       "{\"inject\":\"drain-web2\",\"index\":0,\"action\":\"pools ready be_web/web2\","
       "\"t_ms\":328000}");
    ev(f, 332, "alice", "rollback.end", "ok",
       "{\"ok\":true,\"message\":\"be_web/web2 set to READY\",\"t_ms\":328000}");
    ev(f, 333, "alice", "rollback.start", NULL,
       "{\"inject\":\"stop-search\",\"index\":0,\"action\":\"queues start prod/search.index\","
       "\"t_ms\":328000}");
    ev(f, 334, "alice", "rollback.end", "connection refused",
       "{\"ok\":false,\"message\":\"connection refused\",\"inject\":\"stop-search\",\"index\":0,"
       "\"t_ms\":328000}");
    ev(f, 335, "alice", "check", "ok",
       "{\"id\":\"web2-back\",\"when\":\"after\",\"ok\":true,\"reason\":\"web2 STATUS is UP\","
       "\"t_ms\":328000}");
    ev(f, 336, "alice", "check", "CONS is 0",
       "{\"id\":\"search-back\",\"when\":\"after\",\"ok\":false,\"reason\":\"search.index CONS is "
       "0 (want > 0)\",\"t_ms\":328000}");
    ev(f, 340, "alice", "debrief", NULL,
       "{\"question\":\"How did we notice web2?\",\"answer\":\"The pools pane\",\"t_ms\":328000}");
    ev(f, 341, "alice", "run.end", NULL, "{\"how\":\"aborted\",\"t_ms\":328000}");
    fclose(f);
}

/* What comes first in the report. */
static bool before(const char *md, const char *a, const char *b)
{
    const char *x = md != NULL ? strstr(md, a) : NULL;
    const char *y = md != NULL ? strstr(md, b) : NULL;
    return x != NULL && y != NULL && x < y;
}

static void test_drill(void)
{
    write_drill_run();
    char *cause = NULL;
    char *md = report_markdown(dir, "d1", &cause);
    if (!tap_ok(md != NULL, "a drill run has a report")) {
        tap_diag("%s", cause != NULL ? cause : "?");
        free(cause);
        return;
    }
    if (getenv("OPSDECK_DUMP") != NULL) {
        fputs(md, stderr);
    }
    tap_ok(has(md, "# Drill report: Game day\n"), "titled as a drill report");
    tap_ok(lacks(md, "Time per phase"), "not the runbook report (no phases)");
    tap_ok(has(md, "- Drill: /x/gameday.md\n- Run: d1\n"), "the drill file and the run");
    tap_ok(has(md, "- Facilitated from: alice@bastion-1, bob@laptop\n"), "who ran it, from where");
    tap_ok(has(md, "- Started: 2026-11-23 10:00:00 UTC\n"), "start, wall clock");
    tap_ok(has(md, "- Ended: 2026-11-23 10:05:41 UTC, after 5m41s (drill clock T+05:28)\n"),
           "end: wall time and drill clock differ by the pause");
    tap_ok(has(md, "- Outcome: aborted (the abort word was said: PINEAPPLE)\n"),
           "the outcome says why it was aborted");

    tap_ok(has(md, "## Participants by role\n\n| role | who | part | people |\n"),
           "participants table");
    tap_ok(has(md, "| gm | Game master | facilitator | - |\n"), "the facilitator");
    tap_ok(has(md, "| ic | Incident \\| commander | plays | - |\n"), "a player, | escaped");
    tap_ok(has(md, "| obs | Audit | observer | - |\n"), "the observer");
    tap_ok(has(md, "## Objectives\n\n- Notice the drain\n- Keep serving\n"), "objectives");

    tap_ok(has(md, "- T+00:00 (10:00:01) check before \"pool-whole\": ok (web2 STATUS is UP)\n"),
           "timeline: a before check at T+00:00 with its wall clock");
    tap_ok(has(md, "- T+00:00 (10:00:02) drill clock started\n"), "timeline: the clock starts");
    tap_ok(
        has(md, "- T+01:00 (10:01:02) inject \"web2 leaves the pool\" to ic, obs by dashboard\n"),
        "timeline: an inject on the clock, its roles and channel");
    tap_ok(has(md, "- T+00:01 (10:00:03) notify slack: sending\n") &&
               has(md, "- T+00:01 (10:00:03) notify slack -> HTTP 200 sent\n"),
           "timeline: the notify, sending then sent");
    tap_ok(has(md, "chaos planned: `pools drain be_web/web2`, its rollback journaled first: "
                   "`pools ready be_web/web2`\n"),
           "timeline: chaos planned with its rollback");
    tap_ok(has(md, "- T+01:01 (10:01:03) chaos `pools drain be_web/web2`: done (be_web/web2 set "
                   "to DRAIN)\n"),
           "timeline: chaos done");
    tap_ok(has(md, "- T+01:48 (10:01:50) drill paused\n- T+01:48 (10:02:50) drill resumed\n"),
           "timeline: the drill clock stands still while paused");
    tap_ok(has(md, "inject \"Search stops\" to ic by page, fired early\n"),
           "an inject fired early");
    tap_ok(has(md, "inject \"Is traffic balanced?\" to ic by email, as a contingency\n"),
           "a contingency");
    tap_ok(has(md, "inject \"Is traffic balanced?\" skipped\n"), "a skipped inject");
    tap_ok(has(md, "check during \"serving\": FAILED (web1 STATUS is DOWN)\n"), "a failed check");
    tap_ok(has(md, "expectation met: \"Steady state confirmed\" (5 points, by bob)\n"),
           "timeline: an expectation marked");
    tap_ok(has(md, "note (Action items): @carol put the runbooks"), "timeline: notes");
    tap_ok(has(md, "- T+05:28 (10:05:30) DRILL ABORTED: the abort word was said: PINEAPPLE\n"),
           "timeline: the abort, plainly");
    tap_ok(has(md, "rollback `pools ready be_web/web2`: rolled back (be_web/web2 set to READY)\n"),
           "timeline: a rollback done (rollback.end without inject ends the last started)");
    tap_ok(has(md, "rollback `queues start prod/search.index`: FAILED, not restored (connection "
                   "refused)\n"),
           "timeline: a failed rollback");
    tap_ok(has(md, "debrief: \"How did we notice web2?\" answered\n"), "timeline: a debrief");
    tap_ok(has(md, "- T+05:28 (10:05:41) drill aborted\n"), "timeline: the end");

    tap_ok(has(md, "| inject | expected | role | actual | status | points |\n"),
           "expectations table");
    tap_ok(has(md, "| Game day starts | Steady state confirmed |  | done at T+01:38, 1m38s after "
                   "the inject, by bob | met | 5 of 5 |\n"),
           "met: when, how long after the inject, by whom");
    tap_ok(has(md, "| web2 leaves the pool | web2 spotted in DRAIN |  | no response by the "
                   "deadline (T+04:00) | missed | 0 of 10 |\n"),
           "missed at its deadline");
    tap_ok(has(md, "| Search stops | CONS 0 found |  | done at T+04:58, 3m05s after the inject, "
                   "by carol | late | 5 of 10 |\n"),
           "late: half the points, of the max when journaled");
    tap_ok(has(md, "|  | Status page updated |  | not marked | not marked | 0 of 3 |\n"),
           "an expectation nobody marked is listed under its inject, worth nothing");
    tap_ok(has(md, "## Score\n\n10 of 28 points (36%): 1 met, 1 late, 1 missed, 1 not marked.\n"),
           "score: of every expectation of the fired injects, as the pane counts it");

    tap_ok(has(md, "### Before the drill (the gate)\n\n| check | result | detail |\n|---|---|---|\n"
                   "| pool-whole | ok | web2 STATUS is UP |\n"),
           "before checks");
    tap_ok(has(md, "| serving | ok in the end (failed 1 of 3) | first failure at T+02:03: web1 "
                   "STATUS is DOWN |\n"),
           "during checks: runs, failures and the first failure");
    tap_ok(has(md, "| web2-back | ok | web2 STATUS is UP |\n| search-back | FAILED (1 of 1) | "
                   "search.index CONS is 0 (want > 0) |\n"),
           "after checks: what was and was not restored");

    tap_ok(has(md, "| drain-web2 | pools drain be_web/web2 | done: be_web/web2 set to DRAIN | "
                   "pools ready be_web/web2 | rolled back, not confirmed (after check search-back "
                   "FAILED): be_web/web2 set to READY |\n"),
           "chaos table: rolled back, but an after check failed: not said restored");
    tap_ok(has(md, "| stop-search | queues stop prod/search.index | failed: backend timed out | "
                   "queues start prod/search.index | NO: connection refused |\n"),
           "chaos table: failed action, failed rollback");
    tap_ok(has(md, "| stop-search | pools maint be_web/web4 | no result journaled | pools ready "
                   "be_web/web4 | NO: the rollback never ran |\n"),
           "chaos table: a planned rollback that never ran");
    tap_ok(has(md, "**Not restored (2): put these back by hand.**\n\n"
                   "- `queues start prod/search.index` (undoes `queues stop prod/search.index`) "
                   "failed: connection refused\n"
                   "- `pools ready be_web/web4` (undoes `pools maint be_web/web4`) has not run\n"),
           "what could not be restored, said plainly");

    tap_ok(has(md, "## Debrief\n\n- **How did we notice web2?**\n  The pools pane\n"),
           "debrief answers");
    tap_ok(has(md, "## Action items\n\n| owner | action |\n|---|---|\n"
                   "| carol | put the runbooks outside the office wiki |\n"
                   "| (no owner) | alert on queues without consumers |\n"),
           "action items with their owners");
    tap_ok(has(md, "## What went well\n\n- T+05:21 alice: the console showed DRAIN at once\n"),
           "another report section with its notes");
    tap_ok(has(md, "## Notes\n\n- T+05:18 alice: web1 flapped once\n"), "the other notes");
    tap_ok(before(md, "## Summary", "## Expectations") &&
               before(md, "## Expectations", "## Timeline") &&
               before(md, "## Score", "## Checks") &&
               before(md, "## Chaos actions", "## Debrief") &&
               before(md, "## Action items", "## Notes"),
           "sections in order");
    free(md);
}

/* A drill still open, with a damaged line and events without a clock: no crash, says so. */
static void test_drill_open(void)
{
    char *path = xasprintf("%s/d2.jsonl", dir);
    FILE *f = fopen(path, "w");
    free(path);
    ev(f, 0, "alice", "run.start", NULL, "{\"kind\":\"drill\",\"title\":\"Tabletop\",\"roles\":7}");
    fputs("{not json\n", f);
    ev(f, 5, "alice", "inject.fire", NULL, "{\"id\":5,\"to\":\"ic\"}");
    ev(f, 6, "alice", "chaos.plan", NULL,
       "{\"inject\":\"x\",\"index\":0,\"action\":\"pools drain "
       "a/b\",\"rollback\":\"pools ready a/b\",\"t_ms\":-5}");
    ev(f, 7, "alice", "expect", NULL,
       "{\"inject\":\"x\",\"text\":\"t\",\"status\":\"met\","
       "\"points\":3,\"t_ms\":7000}");
    fclose(f);
    char *cause = NULL;
    char *md = report_markdown(dir, "d2", &cause);
    tap_ok(md != NULL, "an open drill run has a report");
    tap_ok(has(md, "- Outcome: still open, the drill clock never started\n"),
           "and says it is open");
    tap_ok(has(md, "- (journal line 2 unreadable)\n"), "a damaged line is named");
    tap_ok(has(md, "(no roles recorded)"), "roles of the wrong type are ignored");
    tap_ok(has(md, "NO: the rollback never ran"), "a planned rollback of an open run is pending");
    tap_ok(has(md, "3 of 3 points (100%)"), "score of met expectations");
    free(md);
    free(cause);
}

/* Unknown checks, a rollback retried until it worked, and one given up. */
static void test_drill_pending(void)
{
    char *path = xasprintf("%s/d3.jsonl", dir);
    FILE *f = fopen(path, "w");
    free(path);
    ev(f, 0, "alice", "run.start", NULL, "{\"kind\":\"drill\",\"title\":\"Retries\",\"t_ms\":0}");
    ev(f, 1, "alice", "check", "unknown",
       "{\"id\":\"web1\",\"when\":\"during\",\"ok\":false,\"unknown\":true,\"reason\":\"pools: "
       "lb has not answered since 10:00:01 UTC\",\"t_ms\":0}");
    ev(f, 2, "alice", "check", "ok",
       "{\"id\":\"web1\",\"when\":\"during\",\"ok\":true,\"reason\":\"web1 UP\",\"t_ms\":1000}");
    ev(f, 3, "alice", "chaos.plan", NULL,
       "{\"inject\":\"a\",\"index\":0,\"action\":\"pools drain be_web/web2\","
       "\"rollback\":\"pools ready be_web/web2\",\"t_ms\":2000}");
    ev(f, 4, "alice", "chaos.plan", NULL,
       "{\"inject\":\"b\",\"index\":0,\"action\":\"pools drain be_web/web3\","
       "\"rollback\":\"pools ready be_web/web3\",\"t_ms\":2000}");
    ev(f, 5, "alice", "rollback.end", "refused",
       "{\"inject\":\"a\",\"index\":0,\"ok\":false,\"message\":\"refused\",\"t_ms\":3000}");
    ev(f, 6, "alice", "rollback.end", "refused",
       "{\"inject\":\"b\",\"index\":0,\"ok\":false,\"message\":\"refused\",\"t_ms\":3000}");
    ev(f, 7, "alice", "run.end", NULL, "{\"how\":\"aborted\",\"t_ms\":3000}");
    ev(f, 60, "bob", "rollback.end", "ok",
       "{\"inject\":\"a\",\"index\":0,\"ok\":true,\"message\":\"set to UP\",\"t_ms\":3000}");
    ev(f, 70, "carol", "rollback.giveup", "given up",
       "{\"inject\":\"b\",\"index\":0,\"action\":\"pools ready be_web/web3\",\"typed\":\"d3\","
       "\"t_ms\":3000}");
    fclose(f);
    char *cause = NULL;
    char *md = report_markdown(dir, "d3", &cause);
    tap_ok(md != NULL, "a drill with retries and a give-up has a report");
    tap_ok(has(md, "check during \"web1\": UNKNOWN (pools: lb has not answered"),
           "timeline: an unknown check is said as such");
    tap_ok(has(md, "| web1 | ok (unknown 1 of 2) |"), "checks table: unknown is not a failure");
    tap_ok(has(md, "pools ready be_web/web2 | rolled back, not confirmed (no after check): set to "
                   "UP |"),
           "a rollback that failed, then worked at a later start: rolled back, no after check to "
           "confirm it");
    tap_ok(
        has(md, "rollback `pools ready be_web/web3`: given up by carol (to be put back by hand)"),
        "timeline: the give-up and who");
    tap_ok(has(md, "pools ready be_web/web3 | NO: given up (by hand): refused |"),
           "chaos table: given up");
    tap_ok(has(md, "**Not restored (1): put these back by hand.**\n\n- `pools ready be_web/web3` "
                   "(undoes `pools drain be_web/web3`) was given up by carol: refused\n"),
           "not restored: the given-up one, by whom");
    free(md);
    free(cause);
}

/* The report file is 0600 like everything opsdeck writes, even one that was there before. */
static void test_write(void)
{
    char *path = NULL, *cause = NULL;
    char *pre = xasprintf("%s/w1.md", dir);
    FILE *f = fopen(pre, "w");
    if (f != NULL) {
        fputs("old", f);
        fclose(f);
    }
    chmod(pre, 0644);
    tap_ok(report_write(dir, "w1", "# Report\n", &path, &cause), "report_write");
    struct stat st = {0};
    bool got = stat(pre, &st) == 0;
    tap_ok(got && (st.st_mode & 0777) == 0600 && st.st_size == 9,
           "RUN-ID.md replaced, mode 0600 (%o)", (unsigned)(st.st_mode & 0777));
    tap_is_str(path, pre, "its path is returned");
    free(path);
    path = NULL;
    tap_ok(!report_write(dir, "../w1", "x", &path, &cause) && cause != NULL,
           "a run id with a slash is refused");
    free(cause);
    free(path);
    free(pre);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        tap_ok(false, "mkdtemp");
        return tap_done();
    }
    test_full();
    test_damaged();
    test_errors();
    test_drill();
    test_drill_open();
    test_drill_pending();
    test_write();
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0) {
        tap_diag("cannot remove %s", dir);
    }
    free(cmd);
    return tap_done();
}
