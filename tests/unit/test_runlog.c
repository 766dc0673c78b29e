/*
 * The journal core of runs and drills (engine/runlog.c): the event-name
 * table, run paths and ids, append with subscribers (the line on disk and
 * the event told are the same), the run's lock between two processes,
 * replay (in order, each once, a torn last line skipped), reading a stream
 * of bytes, and following a journal on the loop while another process
 * appends: every event once, in order.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/journal.h"
#include "../../engine/runlog.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/opsdeck-runlog-XXXXXX";

/* What a callback heard: one entry per event. */
struct heard {
    uint64_t seq[512];
    enum runlog_kind kind[512];
    bool live[512];
    char *line[512]; /* the event printed back (durable ones) */
    size_t n;
    bool dup_or_order; /* a seq not one more than the one before */
    bool early;        /* a callback before the registering call returned */
    bool armed;
};

static void hear(const struct runlog_event *ev, void *ud)
{
    struct heard *h = ud;
    if (!h->armed) {
        h->early = true;
    }
    if (h->n >= 512) {
        return;
    }
    if (!ev->live && h->n > 0 && ev->seq != 0) {
        uint64_t prev = 0;
        for (size_t i = h->n; i > 0 && prev == 0; i--) {
            prev = h->live[i - 1] ? 0 : h->seq[i - 1];
        }
        h->dup_or_order = h->dup_or_order || (prev != 0 && ev->seq != prev + 1);
    }
    h->seq[h->n] = ev->seq;
    h->kind[h->n] = ev->kind;
    h->live[h->n] = ev->live;
    h->line[h->n] = ev->obj != NULL ? cJSON_PrintUnformatted(ev->obj) : NULL;
    h->n++;
}

static void heard_free(struct heard *h)
{
    for (size_t i = 0; i < h->n; i++) {
        cJSON_free(h->line[i]);
    }
    memset(h, 0, sizeof *h);
}

static bool append(struct runlog *rl, const char *action, const char *step)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "title", "a step");
    struct journal_event ev = {
        .actor = "alice", .host = "bastion", .action = action, .step = step, .data = d};
    char *cause = NULL;
    bool ok = runlog_append(rl, &ev, &cause);
    cJSON_Delete(d);
    free(cause);
    return ok;
}

static char *journal_of(const char *id)
{
    return xasprintf("%s/%s.jsonl", tmp, id);
}

static int file_lines(const char *path)
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

static void test_table(void)
{
    bool round = true;
    for (int k = 0; k < RL_UNKNOWN; k++) {
        round = round && runlog_kind(runlog_kind_name((enum runlog_kind)k)) == (enum runlog_kind)k;
    }
    tap_ok(round, "every kind's name gives the kind back");
    tap_ok(runlog_kind("step.enter") == RL_STEP_ENTER &&
               runlog_kind("rollback.giveup") == RL_ROLLBACK_GIVEUP,
           "names as on disk");
    tap_ok(runlog_kind("step.entered") == RL_UNKNOWN && runlog_kind(NULL) == RL_UNKNOWN,
           "a name not in the table is unknown, and so is none");
    tap_ok(runlog_kind_where(RL_RUN_START) == RUNLOG_DURABLE &&
               runlog_kind_where(RL_STATUS) == RUNLOG_LIVE &&
               runlog_kind_where(RL_SECRET) == RUNLOG_LOCAL,
           "the table says where each kind goes");

    cJSON *obj = cJSON_Parse("{\"seq\":7,\"ts\":\"2026-11-23T10:12:59.250Z\",\"actor\":\"bob\","
                             "\"host\":\"h\",\"run\":\"R\",\"step\":\"s1\",\"action\":\"note\","
                             "\"target\":null,\"result\":null,\"data\":{\"text\":\"hi\"}}");
    struct runlog_event ev;
    tap_ok(runlog_event_parse(obj, &ev), "a journal line is an event");
    tap_ok(ev.kind == RL_NOTE && ev.seq == 7 && ev.ts_ms == 1795428779250LL &&
               strcmp(ev.step, "s1") == 0 && ev.target == NULL && !ev.live,
           "its fields");
    tap_is_str(runlog_str(ev.data, "text"), "hi", "its data");
    tap_ok(runlog_num(ev.data, "text", -1) == -1 && !runlog_true(ev.data, "text"),
           "a field of the wrong type is missing");
    cJSON_Delete(obj);
    obj = cJSON_Parse("{\"seq\":1,\"action\":42}");
    tap_ok(!runlog_event_parse(obj, &ev), "no action string: no event");
    cJSON_Delete(obj);
}

static void test_paths(void)
{
    char *cause = NULL;
    char *p = runlog_path("/d", "20261123T101259Z-x-1a2b", NULL, &cause);
    tap_is_str(p, "/d/20261123T101259Z-x-1a2b.jsonl", "the journal of a run");
    free(p);
    p = runlog_path("/d", "R", ".out", &cause);
    tap_is_str(p, "/d/R.out", "... and its output");
    free(p);
    const char *bad[] = {"", ".hidden", "../up", "a/b"};
    bool refused = true;
    for (size_t i = 0; i < 4; i++) {
        p = runlog_path("/d", bad[i], NULL, &cause);
        refused = refused && p == NULL && cause != NULL && strstr(cause, "bad run id") != NULL;
        free(cause);
        cause = NULL;
    }
    tap_ok(refused, "a run id that is no file name is refused");

    char *id = runlog_new_id("/srv/runbooks/Pool Server DOWN!.md");
    regex_t re;
    regcomp(&re, "^[0-9]{8}T[0-9]{6}Z-pool-server-down-[0-9a-f]{4}$", REG_EXTENDED | REG_NOSUB);
    tap_ok(regexec(&re, id, 0, NULL, 0) == 0, "a run id: time, slug, four hex digits (%s)", id);
    regfree(&re);
    free(id);
    id = runlog_unique_id(tmp, "x.md");
    char *j = journal_of(id);
    tap_ok(access(j, F_OK) != 0, "a unique id names no journal yet");
    free(j);
    free(id);
}

static void test_append(void)
{
    char *cause = NULL;
    struct runlog *rl = runlog_create(tmp, "append", RUNLOG_NEW, &cause);
    if (!tap_ok(rl != NULL, "a new run's journal (%s)", cause != NULL ? cause : "")) {
        free(cause);
        return;
    }
    char *path = journal_of("append");
    tap_is_str(runlog_file(rl), path, "its file");
    struct runlog *again = runlog_create(tmp, "append", RUNLOG_NEW, &cause);
    tap_ok(again == NULL && cause != NULL && strstr(cause, "exists already") != NULL,
           "a new run cannot take an existing journal");
    free(cause);
    cause = NULL;

    struct heard h = {.armed = true};
    runlog_subscribe(rl, hear, &h);
    tap_ok(append(rl, "run.start", NULL) && append(rl, "step.enter", "one") &&
               append(rl, "step.done", "one"),
           "three events appended");
    struct runlog_event st = {.kind = RL_STATUS};
    runlog_notice(rl, &st);
    tap_ok(h.n == 4 && h.seq[0] == 1 && h.seq[2] == 3 && h.kind[1] == RL_STEP_ENTER,
           "the subscriber heard each event as it was appended");
    tap_ok(h.live[3] && h.seq[3] == 0 && h.kind[3] == RL_STATUS, "... and the notice");
    tap_is_int(file_lines(path), 3, "a notice is not written");
    tap_is_int((long long)runlog_last_seq(rl), 3, "last seq");

    struct heard r = {.armed = true};
    tap_ok(runlog_history(rl, hear, &r, &cause) && r.n == 3, "the history: what is on disk");
    bool same = r.n == 3;
    for (size_t i = 0; same && i < 3; i++) {
        same = strcmp(r.line[i], h.line[i]) == 0;
    }
    tap_ok(same, "the subscriber heard the very lines on disk, parsed back");
    heard_free(&r);
    runlog_unsubscribe(rl, hear, &h);
    append(rl, "note", NULL);
    tap_is_int((long long)h.n, 4, "unsubscribed: nothing more");
    heard_free(&h);
    runlog_destroy(rl);

    rl = runlog_create(NULL, "dry", RUNLOG_MEMORY, &cause);
    struct heard m = {.armed = true};
    runlog_subscribe(rl, hear, &m);
    append(rl, "run.start", NULL);
    append(rl, "step.enter", "one");
    struct heard mh = {.armed = true};
    runlog_history(rl, hear, &mh, &cause);
    tap_ok(runlog_file(rl) == NULL && m.n == 2 && mh.n == 2 && mh.seq[1] == 2,
           "in memory (a dry run): told and kept, no file");
    heard_free(&m);
    heard_free(&mh);
    runlog_destroy(rl);
    unlink(path);
    free(path);
}

/* In a child: can it take run id? 0 taken and appended, 1 busy and refused, 2 other. */
static int other_process(const char *id)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *cause = NULL;
        bool busy = runlog_busy(tmp, id);
        struct runlog *rl = runlog_create(tmp, id, RUNLOG_OPEN, &cause);
        int rc = 2;
        if (rl == NULL && busy && cause != NULL && strstr(cause, "in use by another opsdeck")) {
            rc = 1;
        } else if (rl != NULL && !busy && append(rl, "note", NULL)) {
            rc = 0;
        }
        runlog_destroy(rl);
        _exit(rc);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_lock(void)
{
    char *cause = NULL;
    struct runlog *rl = runlog_create(tmp, "lock", RUNLOG_NEW, &cause);
    append(rl, "run.start", NULL);
    tap_is_int(other_process("lock"), 1, "another process sees the run busy and cannot take it");
    struct runlog *twice = runlog_create(tmp, "lock", RUNLOG_OPEN, &cause);
    tap_ok(twice == NULL && strstr(cause, "in use") != NULL,
           "nor can a second writer in the same process");
    free(cause);
    cause = NULL;
    runlog_destroy(rl);
    tap_is_int(other_process("lock"), 0, "once the owner is gone, another process takes it");
    rl = runlog_create(tmp, "lock", RUNLOG_OPEN, &cause);
    tap_ok(rl != NULL && runlog_last_seq(rl) == 2, "... and its append continued the seq");
    runlog_destroy(rl);
    char *path = journal_of("lock");
    unlink(path);
    free(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static const char JOURNAL[] =
    "{\"seq\":1,\"ts\":\"2026-11-23T10:00:00.000Z\",\"action\":\"run.start\",\"data\":{}}\n"
    "not json at all\n"
    "{\"seq\":2,\"ts\":\"2026-11-23T10:00:01.000Z\",\"action\":\"step.enter\",\"step\":\"a\"}\n"
    "{\"seq\":99,\"no\":\"action\"}\n"
    "\n"
    "{\"seq\":3,\"ts\":\"2026-11-23T10:00:02.000Z\",\"action\":\"step.done\",\"step\":\"a\"}\n"
    "{\"seq\":4,\"ts\":\"2026-11-23T10:00:03.0";

static void test_replay(void)
{
    char *path = journal_of("torn");
    write_file(path, JOURNAL);
    struct heard h = {.armed = true};
    uint64_t last = 0;
    char *cause = NULL;
    tap_ok(runlog_replay(path, hear, &h, &last, &cause), "a journal with damage replays");
    tap_ok(h.n == 3 && h.seq[0] == 1 && h.seq[1] == 2 && h.seq[2] == 3 && !h.dup_or_order,
           "every event once, in order; garbage, a line with no action and the torn tail skipped");
    tap_is_int((long long)last, 3, "the last seq replayed");
    heard_free(&h);
    char *missing = journal_of("nope");
    tap_ok(!runlog_replay(missing, hear, &h, NULL, &cause) && strstr(cause, "No such file"),
           "a missing journal: why");
    free(cause);
    free(missing);

    /* a stream, one byte at a time: a line is told when its newline comes */
    struct heard b = {.armed = true};
    struct runlog_reader *r = runlog_reader_create(hear, &b);
    size_t len = strlen(JOURNAL), at_second = 0;
    for (size_t i = 0; i < len; i++) {
        runlog_reader_feed(r, JOURNAL + i, 1);
        if (b.n == 1 && at_second == 0) {
            at_second = i;
        }
    }
    tap_ok(b.n == 3 && !b.dup_or_order && runlog_reader_count(r) == 3 && runlog_reader_seq(r) == 3,
           "byte by byte: the same three events");
    tap_ok(JOURNAL[at_second] == '\n', "each told at its newline, not before");
    /* the writer after a crash starts a new line: the fragment is a line of garbage */
    runlog_reader_feed(r, "\n{\"seq\":4,\"action\":\"run.resume\"}\n", 34);
    tap_ok(b.n == 4 && b.seq[3] == 4 && b.kind[3] == RL_RUN_RESUME,
           "the torn fragment, ended, is skipped; the next line is told");
    runlog_reader_destroy(r);
    heard_free(&b);
    unlink(path);
    free(path);
}

static uint64_t now_ms(void)
{
    return clock_mono_ms();
}

/* Follow a journal while a child process appends to it. */
static void test_follow(void)
{
    enum { N = 60 };
    char *cause = NULL;
    struct runlog *rl = runlog_create(tmp, "follow", RUNLOG_NEW, &cause);
    append(rl, "run.start", NULL);
    append(rl, "step.enter", "one");
    runlog_destroy(rl);
    char *path = journal_of("follow");

    struct loop *loop = loop_create();
    struct heard h = {0};
    struct runlog_follow *f = runlog_follow(loop, path, 10, hear, &h, &cause);
    h.armed = true;
    tap_ok(f != NULL && h.n == 0 && !h.early, "following: nothing is told before the call returns");

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct runlog *w = runlog_create(tmp, "follow", RUNLOG_OPEN, &cause);
        int good = 0;
        for (int i = 0; w != NULL && i < N; i++) {
            good += append(w, i % 2 ? "note" : "command.output", "one");
            usleep(i % 7 == 0 ? 15000 : 1000);
        }
        runlog_destroy(w);
        _exit(good == N ? 0 : 1);
    }
    uint64_t until = now_ms() + 15000;
    int st = -1;
    bool done = false;
    while (now_ms() < until && (h.n < N + 2 || !done)) {
        loop_run_once(loop, 20);
        if (!done && waitpid(pid, &st, WNOHANG) == pid) {
            done = true;
        }
    }
    if (!done) {
        waitpid(pid, &st, 0);
    }
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the writer appended %d events", N);
    bool all = h.n == N + 2;
    for (size_t i = 0; all && i < h.n; i++) {
        all = h.seq[i] == i + 1;
    }
    tap_ok(all && !h.dup_or_order, "the follower heard seq 1..%d, each once, in order (%zu)", N + 2,
           h.n);
    runlog_follow_poll(f);
    tap_is_int((long long)h.n, N + 2, "looking again tells nothing twice");
    runlog_unfollow(f);
    loop_destroy(loop);
    heard_free(&h);
    unlink(path);
    free(path);
}

int main(void)
{
    umask(022);
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_table();
    test_paths();
    test_append();
    test_lock();
    test_replay();
    test_follow();
    tap_ok(rmdir(tmp) == 0, "everything created was removed");
    return tap_done();
}
