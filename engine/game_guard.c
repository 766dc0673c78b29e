/*
 * The dead-man guard and the chaos ttl (game.h; docs/drills.md "Dead-man
 * guard, ttl and the safety lever"; the lever itself is game_lever.c).
 *
 * A live drill with chaos starts a guard when its game starts or resumes:
 * the same binary (`opsdeck drill --guard SPEC`), forked twice so it is
 * nobody's child, in its own session, so kill -9 of the facilitator's
 * opsdeck, of its process group or of its SSH session leaves it alone. It
 * inherits three descriptors: one of the journal's open file description
 * that holds the run's owner lock (flock goes with the description, so
 * owner and guard hold it together and no start recovers the run while
 * the guard lives), the read end of a pipe whose only writer is the owner
 * (EOF: the owner is gone, however it went), and a status pipe on which it
 * says "ok PID" once its backends are built from the owner's config. A
 * guard that does not say so in time: the live drill does not start.
 *
 * The owner gone (EOF) with a rollback pending and the run not ended: the
 * guard rebuilds the game from the journal (reloading the drill), journals
 * as actor "guard", aborts (drill.abort "owner gone (pid N)") and lets the
 * one rollback machine of game_rollback.c run: rollbacks newest first,
 * after checks, run.end. The owner ends or closes normally: it writes
 * guard.stop and closes the pipe; the guard finds nothing pending and exits.
 *
 * ttl: every chaos.plan carries ttl_s (the inject's `ttl:`, else duration +
 * 5m), counted on the wall clock from the plan. The owner's tick rolls an
 * expired chaos back alone (rollback.* {why: "ttl"}); the drill goes on.
 * The guard looks at the journal every second and does the same for a plan
 * still unresolved GUARD_GRACE_MS after its ttl (the owner is hung), and for
 * every pending plan once the safety lever has been pulled that long
 * without the owner aborting; while the owner lives the guard never aborts
 * or ends the run (one owner of the run's story).
 *
 * Two processes, one rollback: the journal is the truth. Each plan keeps the
 * seq of the last line about it this process knows (seen_seq); just before
 * its rollback.start, a process reads the journal again and, when another
 * process wrote a rollback line for that plan since (game_guard_taken), it
 * takes that line's outcome instead of running it. The grace keeps the two
 * apart in time; what is left (both reading within the same milliseconds)
 * runs a rollback that is idempotent (ready twice does no harm).
 */
#include "gamestate.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    GUARD_START_MS = 10000, /* the guard says "ok" within */
    LEVER_LOOK_MS = 500,    /* the owner looks at the lever */
    GUARD_LOOK_MS = 1000,   /* the guard looks at the journal */
    TAKEOVER_MS = 120000,   /* the guard's rollbacks and after checks, at most */
};

static char *guard_exe, *guard_config;

void game_guard_setup(const char *exe, const char *config)
{
    free(guard_exe);
    free(guard_config);
    guard_exe = exe != NULL ? xstrdup(exe) : NULL;
    guard_config = config != NULL ? xstrdup(config) : NULL;
}

/* ---- the owner's side ---- */

/* Read "ok PID" from the guard's status pipe, bounded; the pid, or 0 with *cause. */
static int await_guard(int fd, char **cause)
{
    char buf[512];
    size_t len = 0;
    uint64_t until = clock_mono_ms() + GUARD_START_MS;
    while (len < sizeof buf - 1 && memchr(buf, '\n', len) == NULL) {
        uint64_t t = clock_mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (t >= until || poll(&p, 1, (int)(until - t)) == 0) {
            *cause = xstrdup("the dead-man guard did not answer within 10 s");
            return 0;
        }
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    int pid = 0;
    if (sscanf(buf, "ok %d", &pid) == 1 && pid > 0) {
        return pid;
    }
    *cause = xasprintf("the dead-man guard did not start: %s",
                       buf[0] != '\0' ? buf : "it exited without a word");
    return 0;
}

/*
 * Fork twice and exec the guard (only async-signal-safe calls after the
 * fork). It keeps stdio (its log) and the three descriptors, nothing else:
 * a socket of the owner's (a war room's) must close when the owner dies.
 */
static pid_t fork_guard(char **argv, int lock, int watch, int status, int out)
{
    long max = sysconf(_SC_OPEN_MAX);
    int maxfd = max > 0 && max < 65536 ? (int)max : 65536;
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    setsid();
    if (fork() != 0) {
        _exit(0); /* the guard is init's child: no zombie for the owner, no SIGCHLD */
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGHUP, SIG_IGN);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    for (int fd = 3; fd < maxfd; fd++) {
        if (fd != lock && fd != watch && fd != status) {
            close(fd);
        }
    }
    fcntl(lock, F_SETFD, 0);
    fcntl(watch, F_SETFD, 0);
    fcntl(status, F_SETFD, 0);
    execv(argv[0], argv);
    static const char msg[] = "cannot exec the guard\n";
    if (write(status, msg, sizeof msg - 1) < 0) {
        _exit(127);
    }
    _exit(127);
}

/* One thread: no other fork can come between the pipe and the flag. */
static bool cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0) {
        return false;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return true;
}

bool game_guard_spawn(struct game *g, char **cause)
{
    if (guard_exe == NULL || !game_has_chaos(g->d) || g->log == NULL || g->guard_fd >= 0) {
        return true; /* no chaos: nothing to guard (and tests set no guard up) */
    }
    int watch[2], status[2];
    if (!cloexec_pipe(watch)) {
        *cause = xasprintf("the dead-man guard: pipe: %s", strerror(errno));
        return false;
    }
    if (!cloexec_pipe(status)) {
        *cause = xasprintf("the dead-man guard: pipe: %s", strerror(errno));
        close(watch[0]);
        close(watch[1]);
        return false;
    }
    char *logpath = runlog_path(g->runs_dir, g->id, ".guard", NULL);
    int out = logpath != NULL
                  ? open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600)
                  : -1;
    free(logpath);
    int lock = runlog_lock_fd(g->log);
    char *spec = xasprintf("%s,%ld,%d,%d,%d", g->id, (long)getpid(), lock, watch[0], status[1]);
    char *argv[] = {guard_exe,    "drill", "--guard", spec, guard_config != NULL ? "-c" : NULL,
                    guard_config, NULL};
    pid_t pid = fork_guard(argv, lock, watch[0], status[1], out >= 0 ? out : 2);
    close(watch[0]);
    close(status[1]);
    if (out >= 0) {
        close(out);
    }
    free(spec);
    int pidg = 0;
    if (pid < 0) {
        *cause = xasprintf("the dead-man guard: fork: %s", strerror(errno));
    } else {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        pidg = await_guard(status[0], cause);
    }
    close(status[0]);
    if (pidg == 0) {
        close(watch[1]); /* EOF: a guard that is up after all finds nothing to do */
        return false;
    }
    g->guard_pid = pidg;
    g->guard_fd = watch[1];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pid", pidg);
    game_log(g, NULL, "guard.start", NULL, NULL, d);
    return true;
}

int game_guard_pid(const struct game *g)
{
    return g->guard_fd >= 0 ? g->guard_pid : 0; /* 0 once guard.stop is said */
}

void game_guard_stop(struct game *g, const char *why)
{
    if (g->guard_fd < 0 || g->guard_pid == 0) {
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "pid", g->guard_pid);
    cJSON_AddStringToObject(d, "why", why);
    game_log(g, NULL, "guard.stop", NULL, NULL, d);
    g->guard_pid = 0;
}

void game_guard_release(struct game *g, const char *why)
{
    if (g->guard_fd < 0) {
        return;
    }
    if (why != NULL && game_count_unresolved(g) == 0) {
        game_guard_stop(g, why); /* nothing left for it; else it takes over on EOF */
    }
    close(g->guard_fd);
    g->guard_fd = -1;
    g->guard_pid = 0;
}

/* Mark plans whose ttl passed by now + grace; how many. */
static size_t mark_expired(struct game *g, int64_t grace_ms)
{
    int64_t now = clock_wall_ms();
    size_t n = 0;
    for (size_t i = 0; i < g->nplans; i++) {
        struct plan *p = &g->plans[i];
        if (p->resolved || p->attempted || p->expired || p->ttl_s <= 0 || p->planned_wall_ms <= 0 ||
            now < p->planned_wall_ms + p->ttl_s * 1000LL + grace_ms) {
            continue;
        }
        p->expired = true;
        n++;
        game_set_message(g, xasprintf("ttl of %s chaos %d expired (%d s): rolling back %s",
                                      p->inject, p->index + 1, p->ttl_s, p->rollback));
    }
    return n;
}

void game_guard_tick(struct game *g)
{
    if (g->d == NULL || g->ending != END_NONE || g->state == GAME_ENDED ||
        g->state == GAME_ABORTED || g->state == GAME_ROLLING_BACK) {
        return;
    }
    uint64_t t = game_loop_ms(g);
    if (game_has_chaos(g->d) && t >= g->lever_next) {
        g->lever_next = t + LEVER_LOOK_MS;
        char *text = drill_lever_pulled(NULL);
        if (text != NULL) {
            char *why = xasprintf("safety lever: %s", text);
            game_abort(g, why);
            free(why);
            free(text);
            return;
        }
    }
    if (mark_expired(g, 0) > 0) {
        g->rb_why = "ttl";
        game_changed(g);
        game_step_rollback(g);
    }
}

/* ---- two processes, one rollback ---- */

/* Every event of the journal at path (NULL: none, *n 0). */
static cJSON **read_events(const char *path, size_t *n)
{
    *n = 0;
    char *why = NULL;
    cJSON **ev = path != NULL ? runlog_read(path, n, &why) : NULL;
    free(why);
    return ev;
}

void game_guard_seen(struct game *g, struct plan *p)
{
    if (g->log != NULL) {
        p->seen_seq = runlog_last_seq(g->log);
    }
}

bool game_guard_taken(struct game *g, struct plan *p)
{
    size_t n = 0;
    cJSON **ev = read_events(g->log != NULL ? runlog_file(g->log) : NULL, &n);
    bool taken = false;
    for (size_t i = 0; ev != NULL && i < n; i++) {
        struct runlog_event e;
        if (!runlog_event_parse(ev[i], &e) || e.seq <= p->seen_seq ||
            (e.kind != RL_ROLLBACK_START && e.kind != RL_ROLLBACK_END &&
             e.kind != RL_ROLLBACK_GIVEUP)) {
            continue;
        }
        const char *inj = runlog_str(e.data, "inject");
        if (inj == NULL || strcmp(inj, p->inject) != 0 ||
            runlog_int(e.data, "index", -1) != p->index) {
            continue;
        }
        taken = true;
        p->seen_seq = e.seq;
        p->attempted = true;
        if (e.kind != RL_ROLLBACK_START) {
            const char *m = runlog_str(e.data, "message");
            p->done = true;
            p->ok = e.kind == RL_ROLLBACK_END && runlog_true(e.data, "ok");
            p->resolved = p->ok || e.kind == RL_ROLLBACK_GIVEUP;
            free(p->message);
            p->message = xasprintf("by %s: %s", e.actor != NULL ? e.actor : "?",
                                   m != NULL ? m : (p->ok ? "done" : "failed"));
            struct dv_chaos *c = game_plan_chaos(g, p);
            if (c != NULL) {
                c->state = p->ok ? CHAOS_ROLLED_BACK : CHAOS_UNRESTORED;
                free(c->message);
                c->message = xstrdup(p->message);
            }
        }
    }
    runlog_free(ev, n);
    return taken;
}

/* ---- the guard's side ---- */

struct guard {
    struct game_env env;
    char *dir, *id;
    long owner;
    int lock_fd, watch_fd;
    struct game *work; /* rollbacks running now */
    bool takeover;     /* ... the whole run's, the owner gone */
    int64_t lever_at;  /* wall time the guard first saw the lever pulled, 0: not pulled */
};

/* The run from its journal, writing as "guard" on the shared lock; NULL with *cause. */
static struct game *guard_game(struct guard *gd, bool full, char **cause)
{
    size_t n = 0;
    cJSON **ev = game_load_run(gd->dir, gd->id, &n, cause);
    if (ev == NULL) {
        return NULL;
    }
    char *why = NULL;
    struct drill *d = full ? game_reload_drill(ev, n, gd->id, &why) : NULL;
    if (full && d == NULL) {
        printf("guard: %s: rolling back from the journal alone\n", why);
    }
    free(why);
    struct game *g = game_alloc(&gd->env, d, NULL);
    g->id = xstrdup(gd->id);
    game_replay(g, ev, n);
    runlog_free(ev, n);
    int fd = dup(gd->lock_fd);
    g->log = fd >= 0 ? runlog_adopt(gd->dir, gd->id, fd, cause) : NULL;
    if (g->log == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        set_cause(cause, "cannot open the journal");
        game_free(g);
        return NULL;
    }
    game_set_actor(g, "guard", whoami_host());
    return g;
}

/* Is the owner gone (EOF on the pipe it alone writes)? */
static bool owner_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0) {
        return false;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    return n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
}

/* The owner is gone: roll the run back and end it. false: nothing was left to do. */
static bool take_over(struct guard *gd)
{
    char *cause = NULL;
    struct game *g = game_replay_plans(&gd->env, gd->dir, gd->id, &cause);
    bool left = g != NULL && !g->dv->ended && game_count_unresolved(g) > 0;
    if (g != NULL) {
        game_free(g);
    }
    if (!left) {
        printf("guard: run %s: %s\n", gd->id, cause != NULL ? cause : "nothing left pending");
        free(cause);
        return false;
    }
    g = guard_game(gd, true, &cause);
    if (g == NULL) {
        printf("guard: run %s: %s\n", gd->id, cause);
        free(cause);
        return false;
    }
    game_replay_reopen(g); /* a rollback the owner had begun is run again (idempotent) */
    g->base_ms = g->dv->t;
    char *why = xasprintf("owner gone (pid %ld)", gd->owner);
    printf("guard: run %s: %s: rolling back %zu chaos action(s)\n", gd->id, why,
           game_count_unresolved(g));
    if (g->d == NULL) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "why", why);
        game_log(g, NULL, "drill.abort", NULL, NULL, d);
        g->state = GAME_ROLLING_BACK;
        g->ending = END_RECOVER;
        game_step_rollback(g);
    } else if (g->dv->aborted) {
        g->state = GAME_PAUSED;
        g->abort_why = xstrdup(why);
        game_begin_end(g, END_ABORT); /* it was aborting: go on */
    } else {
        g->state = g->began ? GAME_PAUSED : GAME_READY;
        game_abort(g, why);
    }
    free(why);
    gd->work = g;
    gd->takeover = true;
    return true;
}

/* Rolling back alone (ttl, lever): nothing in flight, nothing expired left to start. */
static bool alone_done(const struct game *g)
{
    if (g->ready_timer != NULL) {
        return false;
    }
    for (size_t i = 0; i < g->nplans; i++) {
        const struct plan *p = &g->plans[i];
        if (p->tok != NULL || p->chaos_inflight || (p->expired && !p->attempted && !p->resolved)) {
            return false;
        }
    }
    return true;
}

/*
 * The owner lives: a plan past its ttl and the grace, or every pending plan
 * once the lever has been pulled for the grace, rolled back alone. false:
 * the run has ended (the guard's job is over).
 */
static bool look(struct guard *gd)
{
    char *cause = NULL;
    struct game *g = game_replay_plans(&gd->env, gd->dir, gd->id, &cause);
    free(cause);
    if (g == NULL || g->dv->ended) {
        if (g != NULL) {
            game_free(g);
        }
        return false;
    }
    int64_t now = clock_wall_ms();
    char *lever = drill_lever_pulled(NULL);
    gd->lever_at = lever == NULL ? 0 : gd->lever_at != 0 ? gd->lever_at : now;
    /* an owner that aborted is rolling back itself */
    bool pulled = lever != NULL && !g->dv->aborted && now >= gd->lever_at + GUARD_GRACE_MS;
    free(lever);
    size_t due = 0;
    for (size_t i = 0; i < g->nplans; i++) {
        const struct plan *p = &g->plans[i];
        due += !p->resolved && !p->attempted &&
               (pulled || (p->ttl_s > 0 && p->planned_wall_ms > 0 &&
                           now >= p->planned_wall_ms + p->ttl_s * 1000LL + GUARD_GRACE_MS));
    }
    game_free(g);
    if (due == 0) {
        return true;
    }
    struct game *w = guard_game(gd, false, &cause);
    if (w == NULL) {
        printf("guard: run %s: %s\n", gd->id, cause);
        free(cause);
        return true;
    }
    if (pulled) {
        for (size_t i = 0; i < w->nplans; i++) {
            w->plans[i].expired = !w->plans[i].resolved && !w->plans[i].attempted;
        }
        w->rb_why = "lever";
    } else {
        mark_expired(w, GUARD_GRACE_MS);
        w->rb_why = "ttl";
    }
    printf("guard: run %s: the owner (pid %ld) did not roll back: %s\n", gd->id, gd->owner,
           pulled ? "the safety lever is pulled" : "a chaos ttl expired");
    fflush(stdout);
    gd->work = w;
    game_step_rollback(w);
    return true;
}

/* Parse "RUN-ID,OWNER,LOCK,WATCH,STATUS"; false when it is not that. */
static bool parse_spec(const char *spec, struct guard *gd, int *status)
{
    const char *c = strchr(spec, ',');
    if (c == NULL || c == spec) {
        return false;
    }
    int lock = -1, watch = -1;
    if (sscanf(c + 1, "%ld,%d,%d,%d", &gd->owner, &lock, &watch, status) != 4 || lock < 0 ||
        watch < 0 || *status < 0) {
        return false;
    }
    gd->id = xstrndup(spec, (size_t)(c - spec));
    gd->lock_fd = lock;
    gd->watch_fd = watch;
    return true;
}

static void say_status(int fd, const char *line)
{
    size_t len = strlen(line);
    if (write(fd, line, len) != (ssize_t)len) {
        /* the owner gave up waiting: it sees EOF */
    }
    close(fd);
}

int drill_guard_main(const struct game_env *env, const char *spec, const char *error)
{
    struct guard gd = {.env = *env};
    int status = -1;
    if (!parse_spec(spec, &gd, &status)) {
        fprintf(stderr, "opsdeck: --guard is for opsdeck itself (a live drill starts it)\n");
        return 2;
    }
    char *cause = NULL;
    gd.dir = runlog_dir(env->runs_dir, &cause);
    gd.env.runs_dir = gd.dir;
    if (error == NULL && gd.dir != NULL) {
        /* the journal, on the lock we were given: writable before we say ok */
        struct game *g = guard_game(&gd, false, &cause);
        game_free(g);
        if (g == NULL) {
            error = cause;
        }
    }
    if (error != NULL || gd.dir == NULL) {
        char *line = xasprintf("%s\n", error != NULL ? error : cause);
        say_status(status, line);
        free(line);
        free(cause);
        free(gd.dir);
        free(gd.id);
        return 1;
    }
    char *ok = xasprintf("ok %ld\n", (long)getpid());
    say_status(status, ok);
    free(ok);
    printf("guard: pid %ld watches run %s (owner pid %ld)\n", (long)getpid(), gd.id, gd.owner);
    fflush(stdout);
    bool gone = false, over = false;
    uint64_t next_look = 0, until = 0;
    while (!over) {
        loop_run_once(env->loop, 200);
        if (gd.work != NULL) {
            bool done = gd.takeover ? gd.work->ending_done : alone_done(gd.work);
            if (gd.takeover && clock_mono_ms() >= until) {
                printf("guard: run %s: gave up waiting after %d s: the next start tries again\n",
                       gd.id, TAKEOVER_MS / 1000);
                done = true;
            }
            if (!done) {
                continue;
            }
            printf("guard: run %s: %s\n", gd.id,
                   gd.work->message != NULL ? gd.work->message : "done");
            fflush(stdout);
            game_free(gd.work);
            gd.work = NULL;
            over = gd.takeover;
            continue;
        }
        if (!gone && owner_gone(gd.watch_fd)) {
            gone = true;
            if (!take_over(&gd)) {
                over = true;
            }
            until = clock_mono_ms() + TAKEOVER_MS;
            continue;
        }
        if (clock_mono_ms() >= next_look) {
            next_look = clock_mono_ms() + GUARD_LOOK_MS;
            over = !look(&gd);
        }
    }
    printf("guard: pid %ld exits\n", (long)getpid());
    close(gd.watch_fd);
    close(gd.lock_fd);
    free(gd.dir);
    free(gd.id);
    return 0;
}

int drill_guard_pid(const char *runs_dir, const char *id)
{
    char *dir = runlog_dir(runs_dir, NULL);
    char *path = dir != NULL ? runlog_path(dir, id, NULL, NULL) : NULL;
    free(dir);
    size_t n = 0;
    cJSON **ev = read_events(path, &n);
    free(path);
    int pid = 0;
    for (size_t i = 0; ev != NULL && i < n; i++) {
        enum runlog_kind k = runlog_kind(runlog_str(ev[i], "action"));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev[i], "data");
        if (k == RL_GUARD_START) {
            pid = runlog_int(d, "pid", 0);
        } else if (k == RL_GUARD_STOP) {
            pid = 0;
        }
    }
    runlog_free(ev, n);
    /* a guard that is gone (it took over and exited, or was killed) is none */
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) ? pid : 0;
}
