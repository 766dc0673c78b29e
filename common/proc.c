/*
 * Child processes on the loop. A proc lives through these states:
 *   running   pipes watched; the timeout timer armed
 *   stopping  timed out: SIGTERM sent to the group, SIGKILL after GRACE_MS
 *   draining  pipes at EOF (or closed by us after a kill); waiting to reap
 * and finishes when both pipes are closed and the child is reaped. Reaping is
 * by pid with WNOHANG, tried at EOF and then every REAP_MS, so it works
 * whether or not anyone turned SIGCHLD into a loop event.
 *
 * Between fork and exec the child calls only async-signal-safe functions.
 */
#include "proc.h"

#include "loop.h"
#include "clock.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { GRACE_MS = 500, REAP_MS = 10, ERR_TAIL = 4096, REPORT_FD = 3 };

/* What the child writes on the report pipe when it cannot start the command. */
enum start_stage { STAGE_FDS, STAGE_CWD, STAGE_EXEC };
struct start_report {
    int stage; /* enum start_stage */
    int err;   /* errno */
};

struct proc {
    struct loop *loop;
    proc_done_cb cb;
    void (*on_output)(const char *buf, size_t n, bool is_stderr, void *ud);
    void *ud;
    pid_t pid;
    bool reaped;
    int status;
    int fd[2]; /* stdout, stderr; -1 when closed */
    struct loop_watch *watch[2];
    struct loop_timer *timeout_timer, *grace_timer, *reap_timer;
    int timeout_ms;
    size_t max_output, total;
    struct strbuf out;      /* all of stdout */
    char err[2 * ERR_TAIL]; /* stderr, of which the last ERR_TAIL bytes are kept */
    size_t err_len;
    char *error;
    uint64_t started;
    int go;     /* a held child waits for a byte here before exec; -1 when released */
    int report; /* a held child's report pipe, read at release; -1 otherwise */
    char *cwd;  /* a held child's working directory, for the message */
};

static void set_nonblock_cloexec(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * Everything but 0, 1, 2 and REPORT_FD: the child must not hold the
 * terminal's or curl's fds.
 */
static void close_other_fds(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)REPORT_FD + 1, ~0u, 0u) == 0) {
        return;
    }
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) {
        max = 65536;
    }
    for (int fd = REPORT_FD + 1; fd < max; fd++) {
        close(fd);
    }
}

/* The child could not start the command: say why on the report pipe, then exit. */
static void child_fail(enum start_stage stage, int code)
{
    struct start_report r = {stage, errno};
    ssize_t n = write(REPORT_FD, &r, sizeof r);
    (void)n;
    _exit(code);
}

/* Held: wait for the parent's go byte; EOF (cancelled, or the parent died) means never run. */
static void child_wait_go(int go_r, int go_w)
{
    if (go_r < 0) {
        return;
    }
    close(go_w); /* our copy would keep the pipe open: EOF must mean the parent's end closed */
    char c;
    ssize_t n;
    do {
        n = read(go_r, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        _exit(125);
    }
    close(go_r);
}

static void child(const struct proc_options *o, int out_w, int err_w, int report_w, const int go[2],
                  char *const *envp)
{
    /* out of the way of 0-3 first; it closes itself when exec succeeds */
    int report = fcntl(report_w, F_DUPFD_CLOEXEC, 10);
    static const int defaults[] = {SIGPIPE, SIGCHLD, SIGINT,   SIGTERM,
                                   SIGHUP,  SIGQUIT, SIGWINCH, SIGXFSZ};
    /* ignored signals stay ignored across exec: give the command a normal start */
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        signal(defaults[i], SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    child_wait_go(go[0], go[1]);
    int in = open("/dev/null", O_RDONLY);
    if (report < 0 || dup2(report, REPORT_FD) < 0 || fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC) < 0) {
        _exit(126);
    }
    if (in < 0 || dup2(in, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) {
        child_fail(STAGE_FDS, 126);
    }
    close_other_fds();
    if (o->cwd != NULL && chdir(o->cwd) != 0) {
        child_fail(STAGE_CWD, 126);
    }
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)o->command, NULL};
    execve("/bin/sh", argv, envp);
    child_fail(STAGE_EXEC, 127);
}

static void close_pipe(struct proc *p, int i)
{
    if (p->fd[i] >= 0) {
        loop_unwatch(p->loop, p->watch[i]);
        p->watch[i] = NULL;
        close(p->fd[i]);
        p->fd[i] = -1;
    }
}

static void cancel_timers(struct proc *p)
{
    loop_timer_cancel(p->loop, p->timeout_timer);
    loop_timer_cancel(p->loop, p->grace_timer);
    loop_timer_cancel(p->loop, p->reap_timer);
    p->timeout_timer = p->grace_timer = p->reap_timer = NULL;
}

static void proc_free(struct proc *p)
{
    if (p->go >= 0) {
        close(p->go);
    }
    if (p->report >= 0) {
        close(p->report);
    }
    free(p->cwd);
    close_pipe(p, 0);
    close_pipe(p, 1);
    cancel_timers(p);
    free(p->out.s);
    free(p->error);
    free(p);
}

static void set_error(struct proc *p, char *error)
{
    if (p->error == NULL) {
        p->error = error;
    } else {
        free(error);
    }
}

static void kill_group(struct proc *p, int sig)
{
    if (!p->reaped) {
        kill(-p->pid, sig);
    }
}

static bool try_reap(struct proc *p)
{
    if (p->reaped) {
        return true;
    }
    pid_t r;
    do {
        r = waitpid(p->pid, &p->status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
        p->reaped = true;
    }
    return p->reaped;
}

static void finish(struct proc *p)
{
    struct proc_result r = {.exit_code = -1};
    if (p->error == NULL) {
        if (WIFEXITED(p->status)) {
            r.exit_code = WEXITSTATUS(p->status);
        } else if (WIFSIGNALED(p->status)) {
            p->error = xasprintf("killed by signal %d", WTERMSIG(p->status));
        }
    }
    r.error = p->error;
    r.out = p->out.s != NULL ? p->out.s : "";
    r.out_len = p->out.n;
    p->err[p->err_len] = '\0';
    r.err_tail = p->err;
    r.elapsed_ms = (double)(clock_mono_ms() - p->started);
    proc_done_cb cb = p->cb;
    void *ud = p->ud;
    cancel_timers(p);
    cb(&r, ud);
    proc_free(p);
}

static void on_reap_timer(void *ud)
{
    struct proc *p = ud;
    if (try_reap(p)) {
        finish(p);
    }
}

/* Both pipes closed: reap now or keep trying on a short timer. */
static void maybe_finish(struct proc *p)
{
    if (p->fd[0] >= 0 || p->fd[1] >= 0) {
        return;
    }
    if (try_reap(p)) {
        finish(p);
    } else if (p->reap_timer == NULL) {
        p->reap_timer = loop_timer_add(p->loop, REAP_MS, REAP_MS, on_reap_timer, p);
    }
}

/* A killed child's output is not wanted: stop reading and just reap. */
static void kill_now(struct proc *p, char *error)
{
    set_error(p, error);
    kill_group(p, SIGKILL);
    close_pipe(p, 0);
    close_pipe(p, 1);
    maybe_finish(p);
}

static void keep_err(struct proc *p, const char *buf, size_t n)
{
    if (n >= ERR_TAIL) {
        memcpy(p->err, buf + n - ERR_TAIL, ERR_TAIL);
        p->err_len = ERR_TAIL;
        return;
    }
    if (p->err_len + n >= sizeof p->err) {
        size_t drop = p->err_len - (ERR_TAIL - n);
        memmove(p->err, p->err + drop, p->err_len - drop);
        p->err_len -= drop;
    }
    memcpy(p->err + p->err_len, buf, n);
    p->err_len += n;
}

static void keep_out(struct proc *p, const char *buf, size_t n)
{
    strbuf_add(&p->out, buf, n);
}

static void on_pipe(int fd, short revents, void *ud)
{
    struct proc *p = ud;
    int i = fd == p->fd[0] ? 0 : 1;
    (void)revents;
    char buf[16384];
    /* a bounded number of reads per wake-up: a flood must not starve the keys */
    for (int round = 0; round < 16; round++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            p->total += (size_t)n;
            if (p->total > p->max_output) {
                kill_now(p, xasprintf("output over the cap of %zu bytes", p->max_output));
                return;
            }
            if (p->on_output != NULL) {
                p->on_output(buf, (size_t)n, i == 1, p->ud);
            }
            if (i == 0) {
                keep_out(p, buf, (size_t)n);
            } else {
                keep_err(p, buf, (size_t)n);
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        close_pipe(p, i); /* EOF or a read error: nothing more will come */
        maybe_finish(p);
        return;
    }
}

static void on_grace(void *ud)
{
    struct proc *p = ud;
    p->grace_timer = NULL;
    kill_now(p, NULL);
}

static void on_timeout(void *ud)
{
    struct proc *p = ud;
    p->timeout_timer = NULL;
    set_error(p, xasprintf("timed out after %d ms", p->timeout_ms));
    kill_group(p, SIGTERM);
    p->grace_timer = loop_timer_add(p->loop, GRACE_MS, 0, on_grace, p);
}

void proc_stop(struct proc *p)
{
    if (p == NULL || p->grace_timer != NULL) {
        return;
    }
    loop_timer_cancel(p->loop, p->timeout_timer);
    p->timeout_timer = NULL;
    set_error(p, xstrdup("stopped"));
    kill_group(p, SIGTERM);
    p->grace_timer = loop_timer_add(p->loop, GRACE_MS, 0, on_grace, p);
}

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/*
 * The child's environment: base with each "NAME=value" of add in place of
 * base's own NAME. The array is new; its strings are borrowed.
 */
static char **env_merge(char *const *base, const char *const *add)
{
    size_t nb = 0, na = 0;
    while (base[nb] != NULL) {
        nb++;
    }
    while (add != NULL && add[na] != NULL) {
        na++;
    }
    char **env = xcalloc(nb + na + 1, sizeof *env);
    size_t o = 0;
    for (size_t i = 0; i < nb; i++) {
        bool replaced = false;
        for (size_t j = 0; j < na && !replaced; j++) {
            size_t len = strcspn(add[j], "=") + 1;
            replaced = strncmp(base[i], add[j], len) == 0;
        }
        if (!replaced) {
            env[o++] = base[i];
        }
    }
    for (size_t j = 0; j < na; j++) {
        env[o++] = (char *)add[j];
    }
    return env;
}

/*
 * Did the child exec the shell? The report pipe closes on exec (EOF) or
 * carries why it could not. Exec takes microseconds: this read is the only
 * wait in proc_spawn (and proc_release), as in posix_spawn. NULL when it
 * started, else why not (caller frees).
 */
static char *start_failure(int fd, const char *cwd)
{
    struct start_report r;
    ssize_t n;
    do {
        n = read(fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n != (ssize_t)sizeof r) {
        return NULL;
    }
    if (r.stage == STAGE_CWD) {
        return xasprintf("could not start: cannot enter %s: %s", cwd, strerror(r.err));
    }
    if (r.stage == STAGE_EXEC && r.err == E2BIG) {
        return xasprintf("could not start /bin/sh: %s (the command and its environment are "
                         "over the kernel's limits: 128 KiB for one value, about a quarter of "
                         "the stack limit for all)",
                         strerror(r.err));
    }
    return xasprintf("could not start /bin/sh: %s", strerror(r.err));
}

static bool make_pipe(int fds[2], char **cause)
{
    fds[0] = fds[1] = -1;
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        *cause = xasprintf("could not start: pipe: %s", strerror(errno));
        return false;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return true;
}

struct proc *proc_spawn(struct loop *loop, const struct proc_options *o, proc_done_cb cb, void *ud,
                        char **cause)
{
    int out[2], err[2], rep[2], go[2] = {-1, -1};
    if (!make_pipe(out, cause)) {
        return NULL;
    }
    if (!make_pipe(err, cause) || !make_pipe(rep, cause) || (o->hold && !make_pipe(go, cause))) {
        close_pair(out);
        close_pair(err);
        close_pair(rep);
        return NULL;
    }
    char **envp = env_merge(o->env != NULL ? (char *const *)o->env : environ, o->env_add);
    pid_t pid = fork();
    if (pid < 0) {
        *cause = xasprintf("could not start: fork: %s", strerror(errno));
        close_pair(out);
        close_pair(err);
        close_pair(rep);
        close_pair(go);
        free(envp);
        return NULL;
    }
    if (pid == 0) {
        child(o, out[1], err[1], rep[1], go, envp);
    }
    /* also here: a kill of the group must not race the child's own setpgid */
    setpgid(pid, pid);
    free(envp);
    close(out[1]);
    close(err[1]);
    close(rep[1]);
    if (go[0] >= 0) {
        close(go[0]);
    }
    /* a held child has not tried to exec yet: its report is read at release */
    char *why = o->hold ? NULL : start_failure(rep[0], o->cwd);
    if (why != NULL) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        close(out[0]);
        close(err[0]);
        *cause = why;
        return NULL;
    }
    struct proc *p = xcalloc(1, sizeof *p);
    p->go = go[1];
    p->report = o->hold ? rep[0] : -1;
    p->cwd = o->hold && o->cwd != NULL ? xstrdup(o->cwd) : NULL;
    p->loop = loop;
    p->cb = cb;
    p->ud = ud;
    p->on_output = o->on_output;
    p->pid = pid;
    p->fd[0] = out[0];
    p->fd[1] = err[0];
    p->timeout_ms = o->timeout_ms;
    p->max_output = o->max_output ? o->max_output : PROC_DEFAULT_MAX_OUTPUT;
    p->started = clock_mono_ms();
    for (int i = 0; i < 2; i++) {
        set_nonblock_cloexec(p->fd[i]);
        p->watch[i] = loop_watch_fd(loop, p->fd[i], POLLIN, on_pipe, p);
    }
    if (o->timeout_ms > 0) {
        p->timeout_timer = loop_timer_add(loop, (uint64_t)o->timeout_ms, 0, on_timeout, p);
    }
    return p;
}

void proc_cancel(struct proc *p)
{
    if (p == NULL) {
        return;
    }
    kill_group(p, SIGKILL);
    if (!p->reaped) {
        while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
        }
    }
    proc_free(p);
}

void proc_release(struct proc *p)
{
    if (p == NULL || p->go < 0) {
        return;
    }
    char c = 'g';
    ssize_t n;
    do {
        n = write(p->go, &c, 1);
    } while (n < 0 && errno == EINTR);
    close(p->go);
    p->go = -1;
    /* a command that could not start ends as any failed one: on the loop, with the reason */
    char *why = start_failure(p->report, p->cwd);
    p->report = -1;
    if (why != NULL) {
        set_error(p, why);
    }
}

int proc_pid(const struct proc *p)
{
    return (int)p->pid;
}

/* ---- process groups that outlive us ---- */

/* state, process group and start time (field 22) of /proc/PID/stat. */
static bool read_stat(long pid, char *state, long *pgrp, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    /* the command name may hold spaces and parentheses: the fields start after the last ')' */
    char *p = strrchr(buf, ')');
    if (p == NULL) {
        return false;
    }
    p++;
    char st = '?';
    long ppid = 0, pg = 0;
    if (sscanf(p, " %c %ld %ld", &st, &ppid, &pg) != 3) {
        return false;
    }
    /* after ')': state is field 3; starttime is field 22, 19 fields further */
    char *save = NULL;
    char *tok = strtok_r(p, " ", &save);
    for (int i = 0; tok != NULL && i < 19; i++) {
        tok = strtok_r(NULL, " ", &save);
    }
    if (tok == NULL) {
        return false;
    }
    *state = st;
    *pgrp = pg;
    *start = strtoull(tok, NULL, 10);
    return true;
}

static const char *boot_id(void)
{
    static char id[40];
    if (id[0] == '\0') {
        int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, id, sizeof id - 1) : -1;
        if (fd >= 0) {
            close(fd);
        }
        id[n > 0 ? n : 0] = '\0';
        id[strcspn(id, "\n")] = '\0';
    }
    return id;
}

bool proc_ident(const struct proc *p, struct proc_ident *out)
{
    char st;
    long pg;
    memset(out, 0, sizeof *out);
    out->pgid = (int)p->pid;
    snprintf(out->boot, sizeof out->boot, "%s", boot_id());
    return read_stat(p->pid, &st, &pg, &out->start);
}

bool proc_group_alive(const struct proc_ident *id)
{
    if (id->pgid <= 1) {
        return false;
    }
    if (id->boot[0] != '\0' && boot_id()[0] != '\0' && strcmp(id->boot, boot_id()) != 0) {
        return false; /* rebooted since: nothing of it can be left */
    }
    if (kill(-id->pgid, 0) != 0 && errno == ESRCH) {
        return false;
    }
    DIR *d = opendir("/proc");
    if (d == NULL) {
        return true; /* no /proc: the group exists, which is all we can tell */
    }
    bool live = false, recycled = false;
    struct dirent *de;
    while (!recycled && (de = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0])) {
            continue;
        }
        long pid = strtol(de->d_name, NULL, 10), pg = 0;
        char st = '?';
        unsigned long long start = 0;
        if (!read_stat(pid, &st, &pg, &start) || pg != id->pgid) {
            continue;
        }
        /*
         * While any member is left the number cannot be given to a new process,
         * so only a leader can be an impostor: one that started at another time.
         */
        if (pid == id->pgid && id->start != 0 && start != id->start) {
            recycled = true;
        } else if (st != 'Z' && st != 'X') {
            live = true;
        }
    }
    closedir(d);
    return live && !recycled;
}

bool proc_group_signal(const struct proc_ident *id, int sig)
{
    return proc_group_alive(id) && kill(-id->pgid, sig) == 0;
}

char *proc_last_line(const char *text)
{
    char *copy = xstrdup(text != NULL ? text : "");
    char *last = NULL, *save = NULL;
    for (char *line = strtok_r(copy, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (str_trim(line)[0] != '\0') {
            last = line;
        }
    }
    char *result = xstrdup(last != NULL ? str_trim(last) : "");
    free(copy);
    return result;
}
