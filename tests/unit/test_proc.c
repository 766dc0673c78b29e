/*
 * The child-process module on a real loop: exit status, stdout and stderr,
 * stdin, timeout, a child that ignores SIGTERM, the process group, the
 * output cap, signals, the environment, the working directory, descriptors,
 * cancel (these first lived in test_plugins.c); then stop, streamed output,
 * held children, the callback never before proc_spawn() returns, a spawn
 * from a callback, the identity of a process group, and proc_last_line.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/proc.h"
#include "../../common/util.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct done {
    bool called;
    int calls;
    char *error;
    int exit_code;
    char *out;
    size_t out_len;
    char *err;
    double elapsed;
};

static void on_done(const struct proc_result *r, void *ud)
{
    struct done *d = ud;
    d->called = true;
    d->calls++;
    d->error = r->error != NULL ? xstrdup(r->error) : NULL;
    d->exit_code = r->exit_code;
    d->out = xstrndup(r->out, r->out_len);
    d->out_len = r->out_len;
    d->err = xstrdup(r->err_tail);
    d->elapsed = r->elapsed_ms;
}

static void done_free(struct done *d)
{
    free(d->error);
    free(d->out);
    free(d->err);
    memset(d, 0, sizeof *d);
}

static bool run_proc(struct loop *loop, struct proc_options *o, struct done *d, int max_s)
{
    char *cause = NULL;
    memset(d, 0, sizeof *d);
    struct proc *p = proc_spawn(loop, o, on_done, d, &cause);
    if (p == NULL) {
        tap_diag("spawn: %s", cause);
        free(cause);
        return false;
    }
    uint64_t end = clock_mono_ms() + (uint64_t)max_s * 1000;
    while (!d->called && clock_mono_ms() < end) {
        loop_run_once(loop, 100);
    }
    if (!d->called) {
        proc_cancel(p);
    }
    return d->called;
}

/* Gone or a zombie waiting for init: either way no longer running. */
static bool pid_gone(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return true;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
}

static bool wait_gone(long pid)
{
    for (int i = 0; i < 50; i++) {
        if (pid_gone(pid)) {
            return true;
        }
        usleep(20000);
    }
    return false;
}

static void test_proc(void)
{
    struct loop *loop = loop_create();
    struct done d;
    struct proc_options o = {.command = "echo out; echo err1 >&2; echo err2 >&2; exit 3",
                             .timeout_ms = 5000};
    tap_ok(run_proc(loop, &o, &d, 5), "a command finishes");
    tap_ok(d.error == NULL && d.exit_code == 3, "its exit status");
    tap_is_str(d.out, "out\n", "its stdout");
    tap_is_str(d.err, "err1\nerr2\n", "its stderr");
    char *last = proc_last_line(d.err);
    tap_is_str(last, "err2", "stderr's last line");
    free(last);
    done_free(&d);

    o.command = "cat; echo done";
    tap_ok(run_proc(loop, &o, &d, 5) && strcmp(d.out, "done\n") == 0, "stdin is /dev/null");
    done_free(&d);

    o.command = "sleep 10";
    o.timeout_ms = 300;
    tap_ok(run_proc(loop, &o, &d, 5), "a hung command ends");
    tap_is_str(d.error, "timed out after 300 ms", "as timed out");
    tap_ok(d.elapsed < 1500, "soon after its timeout (%.0f ms)", d.elapsed);
    done_free(&d);

    o.command = "trap '' TERM; echo $$; while :; do sleep 0.05; done";
    o.timeout_ms = 200;
    tap_ok(run_proc(loop, &o, &d, 5), "a command that ignores SIGTERM ends");
    tap_is_str(d.error, "timed out after 200 ms", "timed out, killed after the grace");
    tap_ok(d.elapsed < 2000, "within the grace (%.0f ms)", d.elapsed);
    done_free(&d);

    o.command = "sleep 30 & echo $!; wait";
    o.timeout_ms = 300;
    tap_ok(run_proc(loop, &o, &d, 5) && d.error != NULL, "a command with a background child");
    long grandchild = strtol(d.out, NULL, 10);
    tap_ok(grandchild > 0 && wait_gone(grandchild), "the whole process group is killed (pid %ld)",
           grandchild);
    done_free(&d);

    o.command = "yes";
    o.timeout_ms = 5000;
    o.max_output = 64 * 1024;
    tap_ok(run_proc(loop, &o, &d, 5), "a flood ends");
    tap_is_str(d.error, "output over the cap of 65536 bytes", "over the cap");
    tap_ok(d.out_len <= 64 * 1024, "no more than the cap is kept (%zu)", d.out_len);
    done_free(&d);
    o.max_output = 0;

    o.command = "echo x >&2; yes >&2";
    o.max_output = 64 * 1024;
    tap_ok(run_proc(loop, &o, &d, 5) && d.error != NULL && strstr(d.error, "cap") != NULL &&
               strlen(d.err) <= 4096,
           "a stderr flood counts too; only its tail is kept");
    done_free(&d);
    o.max_output = 0;

    o.command = "kill -9 $$";
    tap_ok(run_proc(loop, &o, &d, 5), "a command killed by a signal");
    tap_is_str(d.error, "killed by signal 9", "says which signal");
    done_free(&d);

    const char *env[] = {"ONLY=this one", "PATH=/usr/bin:/bin", NULL};
    o.command = "echo \"$ONLY|${HOME:-unset}\"";
    o.env = env;
    tap_ok(run_proc(loop, &o, &d, 5) && strcmp(d.out, "this one|unset\n") == 0,
           "the environment is exactly the one given");
    done_free(&d);
    o.env = NULL;

    const char *add[] = {"ONLY=added", "HOME=/replaced", NULL};
    o.command = "echo \"$ONLY|$HOME|${PATH:+path}\"";
    o.env_add = add;
    tap_ok(run_proc(loop, &o, &d, 5) && strcmp(d.out, "added|/replaced|path\n") == 0,
           "env_add adds to the environment and replaces a name it has");
    done_free(&d);

    /* an environment the kernel refuses: said, not a bare exit 127 */
    enum { NBIG = 40, BIG = 100 * 1024 };
    char *bigs[NBIG + 1];
    for (int i = 0; i < NBIG; i++) {
        bigs[i] = xmalloc(BIG);
        int n = snprintf(bigs[i], BIG, "BIG%d=", i);
        memset(bigs[i] + n, 'x', BIG - (size_t)n - 1);
        bigs[i][BIG - 1] = '\0';
    }
    bigs[NBIG] = NULL;
    o.command = "echo never";
    o.env_add = (const char *const *)bigs;
    char *why = NULL;
    struct proc *big = proc_spawn(loop, &o, on_done, &d, &why);
    tap_ok(big == NULL && why != NULL && strstr(why, "Argument list too long") != NULL,
           "an environment over the kernel's limit: proc_spawn says so");
    tap_diag("%s", why != NULL ? why : "(started)");
    free(why);
    /* held: the same failure comes through the callback once released */
    o.hold = true;
    big = proc_spawn(loop, &o, on_done, &d, &why);
    tap_ok(big != NULL, "a held child is forked before it tries to exec");
    proc_release(big);
    uint64_t until = clock_mono_ms() + 5000;
    while (big != NULL && !d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 100);
    }
    tap_ok(d.called && d.error != NULL && strstr(d.error, "Argument list too long") != NULL,
           "released, the exec the kernel refused is the callback's error");
    done_free(&d);
    o.hold = false;
    for (int i = 0; i < NBIG; i++) {
        free(bigs[i]);
    }
    o.env_add = NULL;

    o.cwd = "/nonexistent-dir";
    o.command = "pwd";
    why = NULL;
    big = proc_spawn(loop, &o, on_done, &d, &why);
    tap_ok(big == NULL && why != NULL && strstr(why, "cannot enter /nonexistent-dir") != NULL,
           "a working directory that is not there: proc_spawn says so");
    free(why);
    o.cwd = NULL;

    int leak = dup(1); /* no close-on-exec: the child must close it anyway */
    char *cmd =
        xasprintf("if [ -e /proc/self/fd/%d ]; then echo leaked; else echo closed; fi", leak);
    o.command = cmd;
    tap_ok(run_proc(loop, &o, &d, 5) && strcmp(d.out, "closed\n") == 0,
           "other descriptors are closed in the child");
    done_free(&d);
    close(leak);
    free(cmd);

    o.command = "ps -o pgid= -p $$; echo $$";
    tap_ok(run_proc(loop, &o, &d, 5), "a command in its own process group");
    long pgid = 0, pid = 0;
    sscanf(d.out, "%ld %ld", &pgid, &pid);
    tap_ok(pgid == pid && pid > 0 && pgid != (long)getpgrp(), "its pgid is its pid (%ld, %ld)",
           pgid, pid);
    done_free(&d);

    o.command = "pwd";
    o.cwd = "/tmp";
    tap_ok(run_proc(loop, &o, &d, 5) && strcmp(d.out, "/tmp\n") == 0, "the working directory");
    done_free(&d);
    o.cwd = NULL;

    o.command = "sleep 30";
    o.timeout_ms = 0;
    char *cause = NULL;
    memset(&d, 0, sizeof d);
    struct proc *p = proc_spawn(loop, &o, on_done, &d, &cause);
    long cpid = p != NULL ? proc_pid(p) : 0;
    proc_cancel(p);
    loop_run_once(loop, 50);
    tap_ok(cpid > 0 && pid_gone(cpid) && !d.called, "cancel kills and reaps; no callback");
    loop_destroy(loop);
}

/* ---- beyond the basics ---- */

static void test_stop(void)
{
    struct loop *loop = loop_create();
    struct done d = {0};
    struct proc_options o = {.command = "echo started; exec sleep 30", .timeout_ms = 10000};
    char *cause = NULL;
    struct proc *p = proc_spawn(loop, &o, on_done, &d, &cause);
    tap_ok(p != NULL, "a long command starts");
    uint64_t until = clock_mono_ms() + 300; /* let it run a little */
    while (p != NULL && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_ok(!d.called, "it is still running");
    proc_stop(p);
    proc_stop(p); /* twice: the first is what counts */
    until = clock_mono_ms() + 5000;
    while (!d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_ok(d.called, "a stopped command ends");
    tap_is_str(d.error, "stopped", "its error says it was stopped");
    tap_is_int(d.calls, 1, "the callback runs once");
    done_free(&d);
    proc_stop(NULL);
    tap_ok(true, "proc_stop(NULL) is a no-op");
    loop_destroy(loop);
}

struct stream {
    struct strbuf out, err;
    int chunks;
    struct done d;
};

static void on_stream_output(const char *buf, size_t n, bool is_stderr, void *ud)
{
    struct stream *st = ud;
    st->chunks++;
    strbuf_add(is_stderr ? &st->err : &st->out, buf, n);
}

static void on_stream_done(const struct proc_result *r, void *ud)
{
    struct stream *st = ud;
    on_done(r, &st->d);
}

static void test_streamed(void)
{
    struct loop *loop = loop_create();
    struct stream st = {0};
    struct proc_options o = {.command = "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three",
                             .timeout_ms = 5000,
                             .on_output = on_stream_output};
    char *cause = NULL;
    struct proc *p = proc_spawn(loop, &o, on_stream_done, &st, &cause);
    uint64_t until = clock_mono_ms() + 5000;
    while (p != NULL && !st.d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_ok(st.d.called && st.d.error == NULL && st.d.exit_code == 0, "a streamed command ends");
    tap_is_str(st.out.s, "one\nthree\n", "on_output hears stdout as it comes");
    tap_is_str(st.err.s, "two\n", "and stderr, flagged as such");
    tap_ok(st.chunks >= 3, "in chunks, as they arrive (%d)", st.chunks);
    tap_is_str(st.d.out, "one\nthree\n", "the result still carries all of stdout");
    free(st.out.s);
    free(st.err.s);
    done_free(&st.d);
    loop_destroy(loop);
}

static void test_held(void)
{
    struct loop *loop = loop_create();
    char tmpl[] = "/tmp/opsdeck-test-proc.XXXXXX";
    char *dir = mkdtemp(tmpl);
    char *mark = xasprintf("%s/ran", dir);
    char *cmd = xasprintf("touch '%s'; echo ran", mark);
    struct proc_options o = {.command = cmd, .timeout_ms = 5000, .hold = true};
    struct done d = {0};
    char *cause = NULL;

    struct proc *p = proc_spawn(loop, &o, on_done, &d, &cause);
    tap_ok(p != NULL && proc_pid(p) > 0, "a held child is forked, with a pid");
    for (int i = 0; i < 10; i++) {
        loop_run_once(loop, 20);
    }
    tap_ok(!d.called && access(mark, F_OK) != 0, "and does not run before its release");
    struct proc_ident id = {0};
    tap_ok(proc_ident(p, &id) && id.pgid == proc_pid(p) && id.start != 0,
           "its group can be named before it runs (pgid %d)", id.pgid);
    tap_ok(proc_group_alive(&id), "and is alive");
    proc_release(p);
    proc_release(p); /* a second release is a no-op */
    uint64_t until = clock_mono_ms() + 5000;
    while (!d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_ok(d.called && d.error == NULL && strcmp(d.out, "ran\n") == 0, "released, it runs");
    tap_ok(access(mark, F_OK) == 0, "and did what it says");
    tap_ok(!proc_group_alive(&id), "its group is gone once it has been reaped");
    tap_ok(!proc_group_signal(&id, SIGTERM), "and is not signalled");
    done_free(&d);
    unlink(mark);

    p = proc_spawn(loop, &o, on_done, &d, &cause);
    long pid = p != NULL ? proc_pid(p) : 0;
    proc_cancel(p);
    for (int i = 0; i < 10; i++) {
        loop_run_once(loop, 20);
    }
    tap_ok(pid > 0 && !d.called && access(mark, F_OK) != 0,
           "a held child cancelled before its release never runs, and is not reported");
    proc_release(NULL);
    proc_cancel(NULL);
    tap_ok(true, "proc_release(NULL) and proc_cancel(NULL) are no-ops");
    free(cmd);
    free(mark);
    rmdir(dir);
    loop_destroy(loop);
}

struct order {
    bool returned; /* proc_spawn() has returned */
    bool before_return;
    struct done d;
    struct loop *loop;
    struct order *next; /* spawned from this one's callback */
    struct proc *next_proc;
};

static void on_order_done(const struct proc_result *r, void *ud)
{
    struct order *o = ud;
    o->before_return = o->before_return || !o->returned;
    on_done(r, &o->d);
    if (o->next != NULL) {
        struct proc_options opt = {.command = "echo second", .timeout_ms = 5000};
        char *cause = NULL;
        o->next_proc = proc_spawn(o->loop, &opt, on_order_done, o->next, &cause);
        o->next->returned = true;
        free(cause);
    }
}

static void test_order(void)
{
    struct loop *loop = loop_create();
    struct order second = {.loop = loop};
    struct order first = {.loop = loop, .next = &second};
    /* "true" exits at once: the callback still waits for the loop */
    struct proc_options o = {.command = "true", .timeout_ms = 5000};
    char *cause = NULL;
    struct proc *p = proc_spawn(loop, &o, on_order_done, &first, &cause);
    first.returned = true;
    tap_ok(p != NULL && !first.d.called, "no callback inside proc_spawn(), even for a quick exit");
    uint64_t until = clock_mono_ms() + 5000;
    while (!second.d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_ok(first.d.called && !first.before_return && first.d.calls == 1,
           "the callback runs once, on the loop");
    tap_ok(first.next_proc != NULL, "a callback may spawn another child");
    tap_ok(second.d.called && !second.before_return && strcmp(second.d.out, "second\n") == 0,
           "which runs and reports on the loop too");
    done_free(&first.d);
    done_free(&second.d);

    /* a big output below the cap comes back whole */
    struct done d = {0};
    o.command = "head -c 1000000 /dev/zero | tr '\\0' x";
    tap_ok(run_proc(loop, &o, &d, 10) && d.error == NULL && d.out_len == 1000000,
           "a megabyte of output below the cap comes back whole (%zu)", d.out_len);
    done_free(&d);
    loop_destroy(loop);
}

static void test_ident(void)
{
    struct loop *loop = loop_create();
    struct done d = {0};
    struct proc_options o = {.command = "exec sleep 30", .timeout_ms = 10000};
    char *cause = NULL;
    struct proc *p = proc_spawn(loop, &o, on_done, &d, &cause);
    struct proc_ident id = {0};
    tap_ok(p != NULL && proc_ident(p, &id), "a running child's group has an identity");
    tap_ok(proc_group_alive(&id), "it is alive");
    struct proc_ident other = id;
    other.start = id.start + 1;
    tap_ok(!proc_group_alive(&other), "a leader that started at another time is not ours");
    snprintf(other.boot, sizeof other.boot, "not-this-boot");
    other.start = id.start;
    tap_ok(!proc_group_alive(&other), "nor is a group from another boot");
    struct proc_ident none = {.pgid = 1};
    tap_ok(!proc_group_alive(&none), "pgid 1 (init) is never a group of ours");
    tap_ok(proc_group_signal(&id, SIGKILL), "a live group can be signalled");
    uint64_t until = clock_mono_ms() + 5000;
    while (!d.called && clock_mono_ms() < until) {
        loop_run_once(loop, 50);
    }
    tap_is_str(d.error, "killed by signal 9", "the child saw the signal");
    tap_ok(!proc_group_alive(&id), "and the group is gone");
    done_free(&d);
    loop_destroy(loop);
}

static void test_last_line(void)
{
    char *s = proc_last_line("first\n  second  \n\n   \n");
    tap_is_str(s, "second", "last_line: the last non-empty line, trimmed");
    free(s);
    s = proc_last_line("a\r\nb\r\n");
    tap_is_str(s, "b", "last_line: CRLF");
    free(s);
    s = proc_last_line("");
    tap_is_str(s, "", "last_line: empty");
    free(s);
    s = proc_last_line(NULL);
    tap_is_str(s, "", "last_line: NULL");
    free(s);
}

int main(void)
{
    test_proc();
    test_stop();
    test_streamed();
    test_held();
    test_order();
    test_ident();
    test_last_line();
    return tap_done();
}
