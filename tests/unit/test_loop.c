/*
 * The event loop without a network: one-shot and periodic timers, a timer
 * cancelled or re-armed from a callback (its own or another's), a timer
 * added by a callback, missed beats skipped rather than burst, fd watches
 * (events, a change of events, unwatch from the callback), the wait bound,
 * quit (from a timer, undone, and what it stops), loop_now_ms, and signals
 * through the self-pipe.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct loop *loop;

/* Run the loop for about ms milliseconds. */
static void run_for(int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 5);
    }
}

struct counter {
    int fired;
    uint64_t first_ms, last_ms;
    int cancel_after;         /* cancel itself after this many firings (0: never) */
    struct loop_timer *self;  /* for cancel_after and reset_to */
    struct loop_timer *other; /* cancelled by this callback */
    bool quit;                /* loop_quit() from the callback */
};

static void on_count(void *ud)
{
    struct counter *c = ud;
    c->fired++;
    c->last_ms = clock_mono_ms();
    if (c->first_ms == 0) {
        c->first_ms = c->last_ms;
    }
    if (c->cancel_after > 0 && c->fired == c->cancel_after) {
        loop_timer_cancel(loop, c->self);
    }
    if (c->other != NULL) {
        loop_timer_cancel(loop, c->other);
        c->other = NULL;
    }
    if (c->quit) {
        loop_quit(loop);
    }
}

static void test_one_shot(void)
{
    struct counter c = {0};
    uint64_t t0 = clock_mono_ms();
    loop_timer_add(loop, 60, 0, on_count, &c);
    loop_run_once(loop, 0);
    tap_is_int(c.fired, 0, "a one-shot timer does not fire before its delay");
    run_for(200);
    tap_is_int(c.fired, 1, "it fires once");
    tap_ok(c.first_ms >= t0 + 60, "not before its delay (%llu ms)",
           (unsigned long long)(c.first_ms - t0));

    struct counter zero = {0};
    loop_timer_add(loop, 0, 0, on_count, &zero);
    tap_is_int(zero.fired, 0, "a zero-delay timer does not fire inside loop_timer_add()");
    loop_run_once(loop, 100);
    tap_is_int(zero.fired, 1, "it fires on the next round");
    loop_run_once(loop, 10);
    tap_is_int(zero.fired, 1, "and only once");
}

static void test_periodic(void)
{
    struct counter c = {0};
    struct loop_timer *t = loop_timer_add(loop, 20, 20, on_count, &c);
    run_for(230);
    tap_ok(c.fired >= 5 && c.fired <= 12,
           "a 20 ms periodic timer fires about 10 times in 230 ms "
           "(%d)",
           c.fired);
    loop_timer_cancel(loop, t);
    int before = c.fired;
    run_for(80);
    tap_is_int(c.fired, before, "cancelled, it fires no more");

    /* a stall: the missed beats are skipped, not fired in a burst */
    struct counter s = {0};
    t = loop_timer_add(loop, 10, 10, on_count, &s);
    usleep(100 * 1000); /* ten beats missed */
    loop_run_once(loop, 0);
    tap_is_int(s.fired, 1, "after a stall, one firing, not a burst");
    loop_timer_cancel(loop, t);
}

static void test_cancel_in_callback(void)
{
    struct counter self = {.cancel_after = 3};
    self.self = loop_timer_add(loop, 5, 5, on_count, &self);
    run_for(150);
    tap_is_int(self.fired, 3, "a periodic timer that cancels itself in its callback stops");

    /* two due in the same round: the first cancels the second */
    struct counter victim = {0};
    struct counter killer = {0};
    loop_timer_add(loop, 0, 0, on_count, &killer);
    killer.other = loop_timer_add(loop, 0, 0, on_count, &victim);
    usleep(2000);
    loop_run_once(loop, 0);
    tap_is_int(killer.fired, 1, "the first timer fires");
    tap_is_int(victim.fired, 0, "the one it cancelled in the same round does not");
    run_for(30);
    tap_is_int(victim.fired, 0, "nor later");
    loop_timer_cancel(loop, NULL);
    tap_ok(true, "loop_timer_cancel(NULL) is a no-op");
}

struct adder {
    int fired;
    struct counter added;
};

static void on_add(void *ud)
{
    struct adder *a = ud;
    a->fired++;
    loop_timer_add(loop, 0, 0, on_count, &a->added);
}

static void test_added_in_callback(void)
{
    struct adder a = {0};
    loop_timer_add(loop, 0, 0, on_add, &a);
    loop_run_once(loop, 100);
    tap_is_int(a.fired, 1, "a timer's callback adds a zero-delay timer");
    tap_is_int(a.added.fired, 0, "which waits for the next round");
    loop_run_once(loop, 100);
    tap_is_int(a.added.fired, 1, "and fires then");
}

static void test_reset(void)
{
    struct counter c = {0};
    struct loop_timer *t = loop_timer_add(loop, 10000, 10000, on_count, &c);
    run_for(30);
    tap_is_int(c.fired, 0, "a periodic timer of 10 s has not fired");
    loop_timer_reset(loop, t, 0);
    loop_run_once(loop, 100);
    tap_is_int(c.fired, 1, "reset to 0, it fires at once (\"poll now\")");
    run_for(50);
    tap_is_int(c.fired, 1, "then keeps its interval");
    loop_timer_reset(loop, t, 300);
    run_for(50);
    tap_is_int(c.fired, 1, "reset to 300 ms: not yet after 50");
    run_for(400);
    tap_is_int(c.fired, 2, "and after 300");
    loop_timer_cancel(loop, t);
}

struct watcher {
    int calls;
    short revents;
    char got[16];
    struct loop_watch *self;
    bool unwatch; /* loop_unwatch() from the callback */
};

static void on_fd(int fd, short revents, void *ud)
{
    struct watcher *w = ud;
    w->calls++;
    w->revents = revents;
    ssize_t n = read(fd, w->got, sizeof w->got - 1);
    w->got[n > 0 ? n : 0] = '\0';
    if (w->unwatch) {
        loop_unwatch(loop, w->self);
    }
}

static void test_watch(void)
{
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    struct watcher w = {0};
    w.self = loop_watch_fd(loop, fds[0], POLLIN, on_fd, &w);
    loop_run_once(loop, 20);
    tap_is_int(w.calls, 0, "a quiet fd: no callback");
    tap_ok(write(fds[1], "hi", 2) == 2, "write to the pipe");
    loop_run_once(loop, 1000);
    tap_is_int(w.calls, 1, "readable: the callback runs");
    tap_ok((w.revents & POLLIN) != 0, "with POLLIN");
    tap_is_str(w.got, "hi", "and the fd is readable there");

    loop_watch_events(loop, w.self, 0);
    tap_ok(write(fds[1], "x", 1) == 1, "write again");
    loop_run_once(loop, 30);
    tap_is_int(w.calls, 1, "events 0: not watched");
    loop_watch_events(loop, w.self, POLLIN);
    w.unwatch = true;
    loop_run_once(loop, 1000);
    tap_is_int(w.calls, 2, "POLLIN again: the waiting byte is seen");
    tap_ok(write(fds[1], "y", 1) == 1, "write once more");
    loop_run_once(loop, 30);
    tap_is_int(w.calls, 2, "unwatched from its own callback: no more calls");
    loop_unwatch(loop, NULL);
    tap_ok(true, "loop_unwatch(NULL) is a no-op");
    close(fds[0]);
    close(fds[1]);

    /* many watches at once (more than the loop keeps on its stack) */
    enum { N = 20 };
    int p[N][2];
    struct watcher ws[N];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < N; i++) {
        if (pipe(p[i]) != 0) {
            p[i][0] = p[i][1] = -1;
            continue;
        }
        ws[i].unwatch = true;
        ws[i].self = loop_watch_fd(loop, p[i][0], POLLIN, on_fd, &ws[i]);
        ssize_t n = write(p[i][1], "z", 1);
        (void)n;
    }
    loop_run_once(loop, 1000);
    int called = 0;
    for (int i = 0; i < N; i++) {
        called += ws[i].calls;
        close(p[i][0]);
        close(p[i][1]);
    }
    tap_is_int(called, N, "twenty ready fds: twenty callbacks in one round");
}

static void test_wait_bound(void)
{
    uint64_t t0 = clock_mono_ms();
    loop_run_once(loop, 50);
    uint64_t took = clock_mono_ms() - t0;
    tap_ok(took >= 40 && took < 1000, "nothing to do: loop_run_once waits about max_wait_ms (%llu)",
           (unsigned long long)took);
    struct counter c = {0};
    struct loop_timer *t = loop_timer_add(loop, 30, 0, on_count, &c);
    t0 = clock_mono_ms();
    loop_run_once(loop, 5000);
    took = clock_mono_ms() - t0;
    tap_ok(c.fired == 1 && took < 1000, "a due timer ends the wait early (%llu ms)",
           (unsigned long long)took);
    (void)t;
    uint64_t before = loop_now_ms(loop);
    usleep(20 * 1000);
    tap_ok(loop_now_ms(loop) == before, "loop_now_ms holds still between rounds");
    loop_run_once(loop, 0);
    tap_ok(loop_now_ms(loop) >= before + 20, "and moves on each round");
}

static void test_quit(void)
{
    struct counter q = {.quit = true};
    struct counter after = {0};
    tap_ok(!loop_quitting(loop), "not quitting at first");
    loop_timer_add(loop, 20, 0, on_count, &q);
    loop_timer_add(loop, 20, 0, on_count, &after);
    uint64_t t0 = clock_mono_ms();
    loop_run(loop);
    tap_ok(q.fired == 1 && clock_mono_ms() - t0 < 2000, "loop_quit() from a timer ends loop_run()");
    tap_ok(loop_quitting(loop), "loop_quitting says so");
    tap_is_int(after.fired, 0, "timers after the quitting one wait");
    loop_cancel_quit(loop);
    tap_ok(!loop_quitting(loop), "loop_cancel_quit() undoes it");
    loop_run_once(loop, 100);
    tap_is_int(after.fired, 1, "and the loop runs them again");
}

struct sigs {
    int n;
    int got[8];
};

static void on_signal(int signo, void *ud)
{
    struct sigs *s = ud;
    if (s->n < 8) {
        s->got[s->n++] = signo;
    }
}

static void test_signals(void)
{
    struct sigs s = {0};
    loop_on_signal(loop, on_signal, &s);
    raise(SIGWINCH);
    tap_is_int(s.n, 0, "a signal is not delivered inside the handler");
    loop_run_once(loop, 1000);
    tap_is_int(s.n, 1, "it comes through the self-pipe, on the loop");
    tap_is_int(s.got[0], SIGWINCH, "SIGWINCH");
    raise(SIGHUP);
    raise(SIGWINCH);
    loop_run_once(loop, 1000);
    tap_is_int(s.n, 3, "two more in one round");
    tap_ok(s.got[1] == SIGHUP && s.got[2] == SIGWINCH, "in the order they came");
    raise(SIGPIPE);
    tap_ok(true, "SIGPIPE is ignored");
}

int main(void)
{
    loop = loop_create();
    test_one_shot();
    test_periodic();
    test_cancel_in_callback();
    test_added_in_callback();
    test_reset();
    test_watch();
    test_wait_bound();
    test_quit();
    test_signals();
    loop_destroy(loop);
    loop_destroy(NULL);
    tap_ok(true, "loop_destroy restores the signals; loop_destroy(NULL) is a no-op");
    return tap_done();
}
