/*
 * engine/journal.c: the line format (parsed back), modes of what it creates,
 * seq across reopen, damaged tails, write failures, and data copies.
 */
#include "../../engine/journal.h"
#include "../../common/whoami.h"
#include "../../engine/paths.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <fcntl.h>
#include <regex.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/opsdeck-journal-XXXXXX";

static char *path_in(const char *rel)
{
    size_t n = strlen(tmp) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", tmp, rel);
    return p;
}

static const struct journal_event plain = {
    .actor = "alice",
    .host = "bastion-1",
    .action = "drain",
    .target = "be_web/web2",
    .result = "ok",
};

/* Every line of a file, parsed; unparsable lines become NULL entries. */
static int read_lines(const char *path, cJSON **out, int max)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (n < max && getline(&line, &cap, f) > 0) {
        out[n++] = cJSON_Parse(line);
    }
    free(line);
    fclose(f);
    return n;
}

static void free_lines(cJSON **lines, int n)
{
    for (int i = 0; i < n; i++) {
        cJSON_Delete(lines[i]);
    }
}

static double seq_of(const cJSON *obj)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "seq");
    return cJSON_IsNumber(s) ? s->valuedouble : -1;
}

static void test_format(void)
{
    static const char *const keys[] = {"seq",  "ts",     "actor",  "host",   "run",
                                       "step", "action", "target", "result", "data"};
    char *line = journal_format(7, 1700000000123, &plain);
    cJSON *obj = cJSON_Parse(line);
    tap_ok(cJSON_IsObject(obj), "a line is a JSON object");
    tap_ok(strchr(line, '\n') == NULL, "a line has no newline of its own");
    int i = 0;
    bool order = true;
    for (const cJSON *item = obj != NULL ? obj->child : NULL; item != NULL; item = item->next) {
        order = order && i < 10 && strcmp(item->string, keys[i]) == 0;
        i++;
    }
    tap_ok(order && i == 10, "the ten keys, in order");
    tap_is_int((long long)seq_of(obj), 7, "seq");
    const char *ts = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "ts"));
    tap_is_str(ts, "2023-11-14T22:13:20.123Z", "ts is UTC RFC 3339 with milliseconds");
    regex_t re;
    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
            REG_EXTENDED | REG_NOSUB);
    tap_ok(ts != NULL && regexec(&re, ts, 0, NULL, 0) == 0, "ts matches the pattern");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "actor")), "alice", "actor");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "host")), "bastion-1", "host");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "action")), "drain", "action");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "target")), "be_web/web2", "target");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "result")), "ok", "result");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(obj, "run")), "run is null when unset");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(obj, "step")), "step is null when unset");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(obj, "data")), "data is null when NULL");
    cJSON_Delete(obj);
    free(line);

    char *now = journal_format(1, 0, &plain);
    obj = cJSON_Parse(now);
    ts = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "ts"));
    tap_is_str(ts, "1970-01-01T00:00:00.000Z", "ts at the epoch");
    regfree(&re);
    cJSON_Delete(obj);
    free(now);

    struct journal_event ev = plain;
    ev.run = "run-1";
    ev.step = "F.2";
    ev.target = NULL;
    ev.result = NULL;
    line = journal_format(8, 0, &ev);
    obj = cJSON_Parse(line);
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "run")), "run-1", "run when set");
    tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "step")), "F.2", "step when set");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(obj, "target")), "target is null when NULL");
    tap_ok(cJSON_IsNull(cJSON_GetObjectItem(obj, "result")), "result is null when NULL");
    cJSON_Delete(obj);
    free(line);
}

static void test_data_copy(void)
{
    cJSON *data = cJSON_Parse("{\"a\":{\"b\":[1,2,\"x\\n\\\"y\"]},\"n\":null}");
    cJSON *before = cJSON_Duplicate(data, true);
    const cJSON *child = data->child;
    struct journal_event ev = plain;
    ev.data = data;
    char *line = journal_format(1, 0, &ev);
    tap_ok(data->child == child && cJSON_Compare(data, before, true),
           "the caller's data is left as it was");
    cJSON_Delete(data); /* the line must not depend on it any more */
    cJSON *obj = cJSON_Parse(line);
    tap_ok(cJSON_Compare(cJSON_GetObjectItem(obj, "data"), before, true),
           "data is copied in full (nested, escaped)");
    cJSON_Delete(obj);
    cJSON_Delete(before);
    free(line);
}

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static bool append(struct journal *j, const char *result)
{
    struct journal_event ev = plain;
    ev.result = result;
    char *cause = NULL;
    bool ok = journal_append(j, &ev, &cause);
    if (!ok) {
        tap_diag("append: %s", cause);
    }
    free(cause);
    return ok;
}

static void test_append(void)
{
    char *path = path_in("state/opsdeck/audit.jsonl");
    char *cause = NULL;
    struct journal *j = journal_open(path, &cause);
    if (!tap_ok(j != NULL, "journal_open creates directories and file")) {
        tap_diag("%s", cause);
        free(cause);
        free(path);
        return;
    }
    char *state = path_in("state");
    char *dir = path_in("state/opsdeck");
    tap_is_int(mode_of(state), 0700, "created parent is 0700");
    tap_is_int(mode_of(dir), 0700, "created directory is 0700");
    tap_is_int(mode_of(path), 0600, "created file is 0600");
    tap_is_str(journal_path(j), path, "journal_path");
    tap_is_int((long long)journal_last_seq(j), 0, "a new journal starts at seq 0");
    tap_ok(append(j, "one") && append(j, "two") && append(j, "three"), "three appends");
    tap_is_int((long long)journal_last_seq(j), 3, "last seq 3");
    journal_close(j);

    j = journal_open(path, &cause);
    tap_is_int((long long)journal_last_seq(j), 3, "reopen finds seq 3");
    tap_ok(append(j, "four"), "append after reopen");
    journal_close(j);

    cJSON *lines[8];
    int n = read_lines(path, lines, 8);
    tap_is_int(n, 4, "four lines on disk");
    bool seqs = n == 4;
    for (int i = 0; i < n; i++) {
        seqs = seqs && seq_of(lines[i]) == i + 1;
    }
    tap_ok(seqs, "seq 1..4 in file order");
    tap_is_str(n == 4 ? cJSON_GetStringValue(cJSON_GetObjectItem(lines[3], "result")) : NULL,
               "four", "the fourth line is the one appended after reopen");
    free_lines(lines, n);
    unlink(path);
    rmdir(dir);
    rmdir(state);
    free(state);
    free(dir);
    free(path);
}

static void add_raw(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        tap_diag("short write to %s", path);
    }
    close(fd);
}

static void test_torn(void)
{
    char *path = path_in("torn.jsonl");
    char *cause = NULL;
    struct journal *j = journal_open(path, &cause);
    append(j, "a");
    append(j, "b");
    journal_close(j);
    add_raw(path, "not json at all\n{\"seq\":3,\"ts\":\"2026-");

    j = journal_open(path, &cause);
    tap_ok(j != NULL, "a journal with a torn tail opens");
    tap_is_int(j != NULL ? (long long)journal_last_seq(j) : -1, 2,
               "seq continues from the last good line");
    tap_ok(j != NULL && append(j, "c"), "append after a torn tail");
    journal_close(j);

    cJSON *lines[8];
    int n = read_lines(path, lines, 8);
    tap_is_int(n, 5, "the torn fragment is ended by a newline, not glued to the new line");
    tap_ok(n == 5 && lines[2] == NULL && lines[3] == NULL, "the damaged lines stay as they were");
    tap_ok(n == 5 && seq_of(lines[4]) == 3, "the new line is whole, with seq 3");
    free_lines(lines, n);
    unlink(path);
    free(path);

    /* A garbage tail bigger than the first read window still finds the seq. */
    path = path_in("big.jsonl");
    j = journal_open(path, &cause);
    for (int i = 0; i < 5; i++) {
        append(j, "x");
    }
    journal_close(j);
    char *junk = malloc(200 * 1024);
    memset(junk, 'z', 200 * 1024 - 1);
    junk[200 * 1024 - 1] = '\0';
    add_raw(path, junk);
    free(junk);
    j = journal_open(path, &cause);
    tap_is_int(j != NULL ? (long long)journal_last_seq(j) : -1, 5,
               "seq found behind a 200 KiB garbage tail");
    journal_close(j);
    unlink(path);
    free(path);
}

/* A batch: consecutive seqs across chunks, a torn tail ended, the lock released, failures. */
static void test_batch(void)
{
    char *path = path_in("batch.jsonl");
    char *cause = NULL;
    struct journal *j = journal_open(path, &cause);
    append(j, "before");
    add_raw(path, "{\"seq\":2,\"ts\":\"2026-"); /* a torn tail: no seq 2 */
    journal_close(j);
    j = journal_open(path, &cause);
    struct journal_batch *b = journal_batch_begin(j, &cause);
    tap_ok(b != NULL, "a batch begins");
    tap_ok(journal_batch_commit(b, &cause), "an empty batch commits");
    tap_is_int((long long)journal_last_seq(j), 1, "an empty batch writes nothing");
    enum { N = 3000 }; /* about 450 KiB: more than one chunk */
    char *big = malloc(200);
    memset(big, 'v', 199);
    big[199] = '\0';
    b = journal_batch_begin(j, &cause);
    for (int i = 0; i < N && b != NULL; i++) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddNumberToObject(data, "i", i);
        cJSON_AddStringToObject(data, "pad", big);
        struct journal_event ev = plain;
        ev.data = data;
        journal_batch_add(b, &ev);
        cJSON_Delete(data); /* the batch holds its line, not the event */
    }
    tap_is_int(b != NULL ? (long long)journal_batch_count(b) : -1, N, "every line counted");
    tap_ok(b != NULL && journal_batch_commit(b, &cause), "the batch commits (%s)",
           cause != NULL ? cause : "ok");
    free(big);
    tap_is_int((long long)journal_last_seq(j), N + 1, "seq: as if appended one by one");
    struct journal *j2 = journal_open(path, &cause);
    tap_ok(j2 != NULL && append(j2, "other"), "the lock is released: another writer appends");
    tap_ok(append(j, "after"), "and we append after it");
    journal_close(j2);
    journal_close(j);

    cJSON **lines = calloc(N + 8, sizeof *lines);
    int n = read_lines(path, lines, N + 8);
    tap_is_int(n, N + 4, "the lines: 1 + the torn one + the batch + 2");
    bool whole = n == N + 4 && lines[1] == NULL;
    for (int i = 0; whole && i < N; i++) {
        const cJSON *d = cJSON_GetObjectItem(lines[2 + i], "data");
        whole = lines[2 + i] != NULL && seq_of(lines[2 + i]) == 2 + i &&
                cJSON_GetObjectItem(d, "i") != NULL && cJSON_GetObjectItem(d, "i")->valueint == i;
    }
    tap_ok(whole, "each batched line whole, in order, seq 2..%d; the torn tail ended", N + 1);
    tap_ok(n == N + 4 && seq_of(lines[N + 2]) == N + 2 && seq_of(lines[N + 3]) == N + 3,
           "seq continues after the batch, for both writers");
    free_lines(lines, n);
    free(lines);
    unlink(path);
    free(path);

    j = journal_open("/dev/full", &cause);
    if (tap_ok(j != NULL, "open /dev/full")) {
        b = journal_batch_begin(j, &cause);
        for (int i = 0; i < 3 && b != NULL; i++) {
            journal_batch_add(b, &plain);
        }
        tap_ok(b != NULL && !journal_batch_commit(b, &cause), "a full disk: the batch fails");
        tap_is_str(cause, "/dev/full: No space left on device", "with the path and strerror");
        tap_is_int((long long)journal_last_seq(j), 0, "no seq taken by lines not written");
        journal_close(j);
    }
    free(cause);
}

static void test_errors(void)
{
    char *cause = NULL;
    char *file = path_in("plain-file");
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    close(fd);
    char *path = path_in("plain-file/sub/audit.jsonl");
    struct journal *j = journal_open(path, &cause);
    tap_ok(j == NULL, "open under a file fails");
    char want[512];
    snprintf(want, sizeof want, "%s: exists and is not a directory", file);
    tap_is_str(cause, want, "and names the component");
    free(cause);
    free(path);
    unlink(file);
    free(file);

    cause = NULL;
    j = journal_open("/dev/full", &cause);
    if (tap_ok(j != NULL, "open /dev/full")) {
        struct journal_event ev = plain;
        bool ok = journal_append(j, &ev, &cause);
        tap_ok(!ok, "append to a full device fails");
        tap_is_str(cause, "/dev/full: No space left on device", "with the path and strerror");
        tap_is_int((long long)journal_last_seq(j), 0, "a failed append does not use up a seq");
        free(cause);
    }
    journal_close(j);
    journal_close(NULL);
}

static void test_who(void)
{
    setenv("USER", "oncall-test", 1);
    tap_is_str(whoami_user(), "oncall-test", "actor is $USER");
    setenv("USER", "someone-else", 1);
    tap_is_str(whoami_user(), "oncall-test", "actor is computed once");
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    tap_ok(whoami_host()[0] != '\0', "host is set");
    tap_is_str(whoami_host(), host[0] != '\0' ? host : "unknown", "host is the host name");
}

static void dir_is(char *got, const char *want, const char *what)
{
    tap_is_str(got, want, what);
    free(got);
}

/* The journal lives where paths.c says; check the XDG rules here too. */
static void test_paths(void)
{
    setenv("HOME", "/home/h", 1);
    setenv("XDG_STATE_HOME", "/xdg/state", 1);
    setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
    dir_is(paths_state_dir(), "/xdg/state/opsdeck", "state dir from $XDG_STATE_HOME");
    dir_is(paths_config_dir(), "/xdg/config/opsdeck", "config dir from $XDG_CONFIG_HOME");
    setenv("XDG_STATE_HOME", "relative/state", 1);
    setenv("XDG_CONFIG_HOME", "", 1);
    dir_is(paths_state_dir(), "/home/h/.local/state/opsdeck", "relative $XDG_STATE_HOME ignored");
    dir_is(paths_config_dir(), "/home/h/.config/opsdeck", "empty $XDG_CONFIG_HOME ignored");
    unsetenv("XDG_STATE_HOME");
    unsetenv("XDG_CONFIG_HOME");
    dir_is(paths_state_dir(), "/home/h/.local/state/opsdeck", "state dir from $HOME");

    char *dir = path_in("a//b/c/");
    char *cause = NULL;
    tap_ok(paths_mkdir_p(dir, 0700, &cause), "mkdir -p with doubled and trailing slashes");
    tap_ok(paths_mkdir_p(dir, 0700, &cause), "mkdir -p of an existing directory is fine");
    char *c = path_in("a/b/c");
    char *b = path_in("a/b");
    char *a = path_in("a");
    tap_is_int(mode_of(c), 0700, "every component gets the mode");
    rmdir(c);
    rmdir(b);
    rmdir(a);
    free(a);
    free(b);
    free(c);
    free(dir);
    tap_ok(!paths_mkdir_p("", 0700, &cause), "empty path refused");
    free(cause);
}

/* Reading back: blank lines skipped, garbage kept as unreadable, a torn tail dropped. */
static void test_read(void)
{
    char *p = path_in("read.jsonl");
    FILE *f = fopen(p, "w");
    fputs("{\"seq\":1,\"action\":\"a\"}\n\n  \n[1,2]\nnot "
          "json\n{\"seq\":2,\"action\":\"b\"}\n{\"seq\":3,",
          f);
    fclose(f);
    struct journal_line *l = NULL;
    size_t n = 0;
    int err = 0;
    tap_ok(journal_read(p, &l, &n, &err), "journal_read reads");
    tap_is_int((long long)n, 4, "blank lines and the torn tail are not lines");
    if (n == 4) {
        tap_ok(l[0].obj != NULL && l[0].number == 1, "line 1 is an event");
        tap_ok(l[1].obj == NULL && l[1].number == 4, "line 4 (not an object) is unreadable");
        tap_ok(l[2].obj == NULL && l[2].number == 5, "line 5 (garbage) is unreadable");
        tap_ok(l[3].obj != NULL && l[3].number == 6, "line 6 is an event");
    }
    journal_lines_free(l, n);
    unlink(p);
    tap_ok(!journal_read(p, &l, &n, &err) && err == ENOENT, "a missing journal: ENOENT");
    free(p);
}

/* Every seq in the file is the one before it plus one (n lines, seq 1..n). */
static bool seqs_in_order(const char *path, int want)
{
    cJSON **lines = calloc((size_t)want + 8, sizeof *lines);
    int n = read_lines(path, lines, want + 8);
    bool ok = n == want;
    for (int i = 0; ok && i < n; i++) {
        ok = seq_of(lines[i]) == i + 1;
    }
    free_lines(lines, n < 0 ? 0 : n);
    free(lines);
    return ok;
}

/* Two writers on one audit log (two consoles): no seq is used twice. */
static void test_two_writers(void)
{
    char *path = path_in("shared.jsonl");
    char *cause = NULL;
    struct journal *a = journal_open(path, &cause);
    struct journal *b = journal_open(path, &cause);
    tap_ok(a != NULL && b != NULL, "two journals open on one file");
    bool ok = append(a, "a1") && append(b, "b1") && append(a, "a2") && append(b, "b2");
    tap_ok(ok, "appends alternate");
    tap_is_int((long long)journal_last_seq(b), 4, "the second writer continued the first's seq");
    tap_ok(seqs_in_order(path, 4), "seq 1..4 in file order, none twice");
    journal_close(a);
    journal_close(b);
    unlink(path);

    /* two processes appending at once */
    enum { PER = 150 };
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        fflush(stdout);
        kids[k] = fork();
        if (kids[k] == 0) {
            struct journal *j = journal_open(path, &cause);
            int good = 0;
            for (int i = 0; j != NULL && i < PER; i++) {
                struct journal_event ev = plain;
                ev.result = k == 0 ? "first" : "second";
                good += journal_append(j, &ev, &cause);
            }
            journal_close(j);
            _exit(good == PER ? 0 : 1);
        }
    }
    int st0 = -1, st1 = -1;
    waitpid(kids[0], &st0, 0);
    waitpid(kids[1], &st1, 0);
    tap_ok(st0 == 0 && st1 == 0, "two processes appended %d lines each", PER);
    tap_ok(seqs_in_order(path, 2 * PER), "seq 1..%d in file order, none twice", 2 * PER);
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
    test_format();
    test_data_copy();
    test_append();
    test_two_writers();
    test_torn();
    test_batch();
    test_read();
    test_errors();
    test_who();
    test_paths();
    tap_ok(rmdir(tmp) == 0, "everything created was removed");
    return tap_done();
}
