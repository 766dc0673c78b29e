/*
 * Child processes on the one event loop (DESIGN rule 1): plugins and runbook
 * commands run here without ever blocking the loop.
 *
 * proc_spawn() starts `/bin/sh -c COMMAND` in its own process group, with
 * stdin from /dev/null, stdout and stderr on non-blocking pipes watched by
 * the loop, every other descriptor closed and exactly the environment given.
 * The callback runs once, on the loop, when the child has exited and both
 * pipes are drained, or when it failed: it ran past its timeout (SIGTERM to
 * the group, SIGKILL after a short grace), printed more than the output cap
 * (SIGKILL at once) or was killed by a signal.
 *
 * The child is reaped by pid with waitpid(WNOHANG) once its pipes reach EOF,
 * retried on a short timer: the loop has one signal callback (the UI's), and
 * headless modes install none, so SIGCHLD is not relied upon.
 *
 * A held child (proc_options.hold) is forked, in its group, but waits before
 * exec until proc_release(): the caller can journal its process group first,
 * and a child cancelled (or whose parent died) while held never runs at all.
 *
 * Process groups outlive a parent killed with SIGKILL. proc_ident names one
 * so that a later opsdeck can tell whether it is still alive and still the
 * same group (a recycled pid is not: its start time differs; after a reboot
 * the boot id does), and signal it.
 */
#ifndef OPSDECK_PROC_H
#define OPSDECK_PROC_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct proc;

/* The default output cap (stdout and stderr together). */
#define PROC_DEFAULT_MAX_OUTPUT ((size_t)8 * 1024 * 1024)

struct proc_options {
    const char *command;    /* run as /bin/sh -c command */
    const char *cwd;        /* NULL: the current directory */
    const char *const *env; /* NULL-terminated "NAME=value" list; NULL: inherit ours */
    /* NULL-terminated "NAME=value" entries added to env (replacing its own NAME); may be NULL */
    const char *const *env_add;
    int timeout_ms;    /* total run time; 0: none */
    size_t max_output; /* bytes of stdout + stderr; 0: PROC_DEFAULT_MAX_OUTPUT */
    /*
     * Optional: each chunk as it arrives (stdout and stderr interleaved as
     * read), with the callback's ud; for output streamed into a pane. The
     * result still carries all of stdout.
     */
    void (*on_output)(const char *buf, size_t n, bool is_stderr, void *ud);
    /* Fork now, exec only at proc_release(). */
    bool hold;
};

struct proc_result {
    /*
     * NULL when the child exited by itself (exit_code is then valid, maybe
     * non-zero); otherwise why it failed: "timed out after 5000 ms", "killed
     * by signal 9", "output over the cap of 8388608 bytes".
     */
    const char *error;
    int exit_code;   /* -1 unless it exited */
    const char *out; /* all of stdout, NUL-terminated (NULs inside end it for text) */
    size_t out_len;
    const char *err_tail; /* the last few KiB of stderr, NUL-terminated */
    double elapsed_ms;
};

typedef void (*proc_done_cb)(const struct proc_result *r, void *ud);

/*
 * Start a child. Returns NULL with *cause set when it could not start (no
 * pipes, no fork, a working directory it cannot enter, an exec the kernel
 * refused: "Argument list too long" for an environment over its limits); the
 * callback then never runs. A held child reports those at proc_release(),
 * through the callback's error. Otherwise the callback runs
 * exactly once, later, on the loop, unless proc_cancel() comes first; the
 * handle is gone after the callback (never cancel it there).
 */
struct proc *proc_spawn(struct loop *loop, const struct proc_options *o, proc_done_cb cb, void *ud,
                        char **cause);
/*
 * Abandon a child: SIGKILL to its group and reap it now (a killed process
 * exits at once, so the wait is short), free everything; the callback does
 * not run. NULL is a no-op.
 */
void proc_cancel(struct proc *p);
/*
 * Ask a child to stop (Ctrl-C in a runbook): SIGTERM to its group, SIGKILL
 * after a short grace. The callback still runs, with error "stopped".
 */
void proc_stop(struct proc *p);
/*
 * Let a held child exec its command. Not held or NULL: a no-op. When it
 * cannot start, the callback says why, as for any failure.
 */
void proc_release(struct proc *p);
/* The child's pid (its process group id too). */
int proc_pid(const struct proc *p);

/* A process group, as journaled: its id, its leader's start time and the boot. */
struct proc_ident {
    int pgid;
    unsigned long long start; /* /proc/PGID/stat starttime, clock ticks since boot; 0: unknown */
    char boot[40];            /* /proc/sys/kernel/random/boot_id; "" when unknown */
};
/* The identity of p's group, read from /proc now; false when it cannot be read. */
bool proc_ident(const struct proc *p, struct proc_ident *out);
/*
 * Is the group still alive and still the one named? Alive means a member
 * that is not a zombie (orphans may never be reaped). Another boot, or a
 * leader with another start time (a recycled pid), is not ours: false.
 */
bool proc_group_alive(const struct proc_ident *id);
/* Send sig to the group if proc_group_alive(); false when it was not sent. */
bool proc_group_signal(const struct proc_ident *id, int sig);

/* Last non-empty line of text, trimmed, into a new string ("" when none). */
char *proc_last_line(const char *text);

#endif
