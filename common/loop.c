/*
 * The one event loop. Each iteration:
 *   1. compute the wait: the earliest timer, capped by curl's own timeout;
 *   2. curl_multi_poll() over curl's sockets plus our watched fds (terminal,
 *      signal self-pipe, child pipes, raw sockets);
 *   3. curl_multi_perform() and the HTTP client's completion handler;
 *   4. signals from the self-pipe, then fd callbacks, then due timers.
 * libcurl is set up only when an HTTP backend first asks for the multi handle:
 * its TLS initialisation costs ~2 MB of RSS that the demo and the headless
 * tools have no use for. Until then the same loop waits in plain poll(2).
 * Timers and watches are small arrays (a handful per backend); cancelled
 * entries are marked dead and swept after dispatch so callbacks may cancel
 * anything, including themselves.
 */
#include "loop.h"

#include "clock.h"
#include "../common/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct loop_timer {
    uint64_t due;
    uint64_t interval;
    loop_timer_cb cb;
    void *ud;
    bool dead;
};

struct loop_watch {
    int fd;
    short events;
    loop_fd_cb cb;
    void *ud;
    bool dead;
};

struct loop {
    CURLM *multi;
    loop_curl_cb curl_cb;
    void *curl_ud;
    struct loop_timer **timers;
    size_t ntimers, ctimers;
    struct loop_watch **watches;
    size_t nwatches, cwatches;
    loop_signal_cb signal_cb;
    void *signal_ud;
    uint64_t now;
    bool quit;
    bool dispatching;
};

static int signal_pipe[2] = {-1, -1};

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    if (signal_pipe[1] >= 0) {
        ssize_t n = write(signal_pipe[1], &b, 1);
        (void)n; /* a full pipe already holds a wake-up */
    }
    errno = saved;
}

static void set_nonblock_cloexec(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct loop *loop_create(void)
{
    struct loop *loop = xcalloc(1, sizeof *loop);
    loop->now = clock_mono_ms();
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit makes a write fail with EFBIG (said and journaled), not end opsdeck */
    signal(SIGXFSZ, SIG_IGN);
    return loop;
}

void loop_destroy(struct loop *loop)
{
    if (loop == NULL) {
        return;
    }
    for (size_t i = 0; i < loop->ntimers; i++) {
        free(loop->timers[i]);
    }
    for (size_t i = 0; i < loop->nwatches; i++) {
        free(loop->watches[i]);
    }
    free(loop->timers);
    free(loop->watches);
    if (loop->multi != NULL) {
        curl_multi_cleanup(loop->multi);
    }
    if (loop->signal_cb != NULL) {
        signal(SIGWINCH, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        signal_pipe[0] = signal_pipe[1] = -1;
    }
    free(loop);
}

void *loop_curl_multi(struct loop *loop)
{
    static bool curl_ready;
    if (loop->multi == NULL) {
        if (!curl_ready) {
            curl_global_init(CURL_GLOBAL_DEFAULT);
            curl_ready = true;
        }
        loop->multi = curl_multi_init();
        if (loop->multi == NULL) {
            fprintf(stderr, "opsdeck: curl_multi_init failed\n");
            abort();
        }
    }
    return loop->multi;
}

void loop_set_curl_handler(struct loop *loop, loop_curl_cb cb, void *ud)
{
    loop->curl_cb = cb;
    loop->curl_ud = ud;
}

uint64_t loop_now_ms(const struct loop *loop)
{
    return loop->now;
}

struct loop_timer *loop_timer_add(struct loop *loop, uint64_t delay_ms, uint64_t interval_ms,
                                  loop_timer_cb cb, void *ud)
{
    struct loop_timer *t = xcalloc(1, sizeof *t);
    t->due = clock_mono_ms() + delay_ms;
    t->interval = interval_ms;
    t->cb = cb;
    t->ud = ud;
    if (loop->ntimers == loop->ctimers) {
        loop->ctimers = loop->ctimers ? loop->ctimers * 2 : 8;
        loop->timers = xreallocarray(loop->timers, loop->ctimers, sizeof *loop->timers);
    }
    loop->timers[loop->ntimers++] = t;
    return t;
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    if (t != NULL) {
        t->dead = true;
    }
}

void loop_timer_reset(struct loop *loop, struct loop_timer *t, uint64_t delay_ms)
{
    (void)loop;
    t->due = clock_mono_ms() + delay_ms;
}

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_cb cb, void *ud)
{
    struct loop_watch *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->ud = ud;
    if (loop->nwatches == loop->cwatches) {
        loop->cwatches = loop->cwatches ? loop->cwatches * 2 : 8;
        loop->watches = xreallocarray(loop->watches, loop->cwatches, sizeof *loop->watches);
    }
    loop->watches[loop->nwatches++] = w;
    return w;
}

void loop_watch_events(struct loop *loop, struct loop_watch *w, short events)
{
    (void)loop;
    w->events = events;
}

void loop_unwatch(struct loop *loop, struct loop_watch *w)
{
    (void)loop;
    if (w != NULL) {
        w->dead = true;
    }
}

static void on_signal_pipe(int fd, short revents, void *ud)
{
    struct loop *loop = ud;
    (void)revents;
    unsigned char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            loop->signal_cb(buf[i], loop->signal_ud);
        }
    }
}

void loop_on_signal(struct loop *loop, loop_signal_cb cb, void *ud)
{
    if (signal_pipe[0] < 0) {
        if (pipe(signal_pipe) != 0) {
            fprintf(stderr, "opsdeck: pipe: %s\n", strerror(errno));
            abort();
        }
        set_nonblock_cloexec(signal_pipe[0]);
        set_nonblock_cloexec(signal_pipe[1]);
        loop_watch_fd(loop, signal_pipe[0], POLLIN, on_signal_pipe, loop);
    }
    loop->signal_cb = cb;
    loop->signal_ud = ud;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
}

static void sweep(struct loop *loop)
{
    size_t o = 0;
    for (size_t i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i]->dead) {
            free(loop->timers[i]);
        } else {
            loop->timers[o++] = loop->timers[i];
        }
    }
    loop->ntimers = o;
    o = 0;
    for (size_t i = 0; i < loop->nwatches; i++) {
        if (loop->watches[i]->dead) {
            free(loop->watches[i]);
        } else {
            loop->watches[o++] = loop->watches[i];
        }
    }
    loop->nwatches = o;
}

static int next_wait(struct loop *loop, int max_wait_ms)
{
    long wait = max_wait_ms < 0 ? 60000 : max_wait_ms;
    uint64_t now = clock_mono_ms();
    for (size_t i = 0; i < loop->ntimers; i++) {
        struct loop_timer *t = loop->timers[i];
        if (t->dead) {
            continue;
        }
        long d = t->due <= now ? 0 : (long)(t->due - now);
        if (d < wait) {
            wait = d;
        }
    }
    long curl_wait = -1;
    if (loop->multi != NULL) {
        curl_multi_timeout(loop->multi, &curl_wait);
    }
    if (curl_wait >= 0 && curl_wait < wait) {
        wait = curl_wait;
    }
    return (int)wait;
}

static void run_timers(struct loop *loop)
{
    uint64_t now = clock_mono_ms();
    size_t n = loop->ntimers; /* timers added by callbacks wait for the next round */
    for (size_t i = 0; i < n; i++) {
        struct loop_timer *t = loop->timers[i];
        if (t->dead || t->due > now) {
            continue;
        }
        if (t->interval > 0) {
            /* skip missed beats rather than firing a burst after a stall */
            while (t->due <= now) {
                t->due += t->interval;
            }
        } else {
            t->dead = true;
        }
        t->cb(t->ud);
        if (loop->quit) {
            return;
        }
    }
}

/* poll(2) over the same descriptors, while no HTTP backend exists. */
static void wait_plain(struct curl_waitfd *fds, size_t nfds, int wait)
{
    struct pollfd stackp[16];
    struct pollfd *p = nfds <= 16 ? stackp : xcalloc(nfds, sizeof *p);
    for (size_t i = 0; i < nfds; i++) {
        p[i].fd = fds[i].fd;
        p[i].events = (short)fds[i].events;
        p[i].revents = 0;
    }
    if (poll(p, (nfds_t)nfds, wait) > 0) {
        for (size_t i = 0; i < nfds; i++) {
            fds[i].revents = (short)p[i].revents;
        }
    }
    if (p != stackp) {
        free(p);
    }
}

void loop_run_once(struct loop *loop, int max_wait_ms)
{
    size_t n = loop->nwatches;
    struct curl_waitfd stackfds[16];
    struct curl_waitfd *fds = n <= 16 ? stackfds : xcalloc(n, sizeof *fds);
    struct loop_watch **snap = xcalloc(n ? n : 1, sizeof *snap);
    size_t nfds = 0;
    for (size_t i = 0; i < n; i++) {
        struct loop_watch *w = loop->watches[i];
        if (w->dead || w->events == 0) {
            continue;
        }
        fds[nfds].fd = w->fd;
        fds[nfds].events = w->events;
        fds[nfds].revents = 0;
        snap[nfds] = w;
        nfds++;
    }
    int wait = next_wait(loop, max_wait_ms);
    if (loop->multi != NULL) {
        int numfds = 0;
        curl_multi_poll(loop->multi, fds, (unsigned)nfds, wait, &numfds);
        loop->now = clock_mono_ms();
        int running = 0;
        curl_multi_perform(loop->multi, &running);
        if (loop->curl_cb != NULL) {
            loop->curl_cb(loop->curl_ud);
        }
    } else {
        wait_plain(fds, nfds, wait);
        loop->now = clock_mono_ms();
    }
    for (size_t i = 0; i < nfds && !loop->quit; i++) {
        if (fds[i].revents != 0 && !snap[i]->dead) {
            snap[i]->cb(snap[i]->fd, fds[i].revents, snap[i]->ud);
        }
    }
    if (!loop->quit) {
        run_timers(loop);
    }
    if (fds != stackfds) {
        free(fds);
    }
    free(snap);
    sweep(loop);
}

void loop_run(struct loop *loop)
{
    while (!loop->quit) {
        loop_run_once(loop, -1);
    }
}

void loop_quit(struct loop *loop)
{
    loop->quit = true;
}

bool loop_quitting(const struct loop *loop)
{
    return loop->quit;
}

void loop_cancel_quit(struct loop *loop)
{
    loop->quit = false;
}
