/*
 * The line channel (common/chan.c) over real socketpairs on the real loop:
 * lines split across reads come out whole and in order, a line longer than
 * max_line closes the channel ("line too long") whether it comes in pieces
 * or in one read, a queue over max_queue refuses chan_send until
 * chan_flush() or the loop writes it, a big line crosses a full socket
 * buffer intact, on_close comes once when the peer hangs up, and on_line
 * returning false stops the reading.
 */
#include "../../common/chan.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct loop *loop;

struct got {
    char *lines[64];
    size_t len[64];
    size_t n;
    int closes;
    char why[128];
    bool stop_after_first; /* on_line returns false after the first line */
};

static bool on_line(void *ud, const char *line, size_t len)
{
    struct got *g = ud;
    if (g->n < 64) {
        g->lines[g->n] = xstrndup(line, len);
        g->len[g->n] = len;
        g->n++;
    }
    return !(g->stop_after_first && g->n == 1);
}

static void on_close(void *ud, const char *why)
{
    struct got *g = ud;
    g->closes++;
    snprintf(g->why, sizeof g->why, "%s", why != NULL ? why : "(null)");
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->lines[i]);
    }
    memset(g, 0, sizeof *g);
}

/* Run the loop until *done is true or ms pass. */
static void run_until(const bool *done, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (!*done && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
}

static void run_for(int ms)
{
    bool never = false;
    run_until(&never, ms);
}

static void put(int fd, const char *s)
{
    size_t len = strlen(s);
    if (write(fd, s, len) != (ssize_t)len) {
        tap_diag("short write");
    }
    run_for(30); /* one read at a time: the channel sees the pieces apart */
}

static void test_split_lines(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct got g = {0};
    struct chan *c = chan_create(loop, sv[0], 64, 1024, on_line, on_close, &g);
    put(sv[1], "hel");
    tap_is_int((long long)g.n, 0, "half a line is not a line");
    put(sv[1], "lo\nwor");
    tap_is_int((long long)g.n, 1, "the newline completes it");
    put(sv[1], "ld\n\nlast");
    put(sv[1], "\n");
    tap_is_int((long long)g.n, 4, "four lines from four reads");
    tap_is_str(g.n > 0 ? g.lines[0] : NULL, "hello", "first line joined across two reads");
    tap_is_str(g.n > 1 ? g.lines[1] : NULL, "world", "second line joined across two reads");
    tap_is_str(g.n > 2 ? g.lines[2] : NULL, "", "an empty line is a line");
    tap_is_str(g.n > 3 ? g.lines[3] : NULL, "last", "a line whose newline comes alone");
    tap_is_int(g.closes, 0, "no close while the peer is there");

    /* a line of exactly max_line bytes, in two pieces, is still a line */
    char exact[65];
    memset(exact, 'x', 64);
    exact[64] = '\0';
    put(sv[1], exact);
    put(sv[1], "\n");
    tap_is_int((long long)(g.n > 4 ? g.len[4] : 0), 64, "a line of max_line bytes passes");
    tap_is_int(g.closes, 0, "and does not close");

    close(sv[1]);
    run_for(50);
    tap_is_int(g.closes, 1, "the peer hanging up closes the channel once");
    tap_is_str(g.why, "closed", "why: closed");
    run_for(30);
    tap_is_int(g.closes, 1, "on_close is not called again");
    tap_ok(!chan_send(c, "x", 1), "chan_send on a closed channel is refused");
    chan_destroy(c);
    got_free(&g);
}

static void test_line_too_long(void)
{
    /* in pieces: no newline yet and already too long */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct got g = {0};
    struct chan *c = chan_create(loop, sv[0], 16, 1024, on_line, on_close, &g);
    put(sv[1], "ok\n");
    put(sv[1], "0123456789abcdefXYZ");
    tap_is_int(g.closes, 1, "a partial line over max_line closes the channel");
    tap_is_str(g.why, "line too long", "why: line too long");
    tap_is_int((long long)g.n, 1, "the line before it was delivered, the long one not");
    put(sv[1], "more\n");
    tap_is_int((long long)g.n, 1, "nothing is read after the close");
    chan_destroy(c);
    close(sv[1]);
    got_free(&g);

    /* whole, newline included, in one read */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    c = chan_create(loop, sv[0], 16, 1024, on_line, on_close, &g);
    put(sv[1], "0123456789abcdefXYZ\nafter\n");
    tap_is_int(g.closes, 1, "a complete line over max_line in one read closes the channel too");
    tap_is_str(g.why, "line too long", "why: line too long");
    tap_is_int((long long)g.n, 0, "the long line is not delivered, nor what follows");
    chan_destroy(c);
    close(sv[1]);
    got_free(&g);
}

static void test_queue_cap(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct got g = {0};
    struct chan *c = chan_create(loop, sv[0], 1024, 100, on_line, on_close, &g);
    char line[60];
    memset(line, 'a', sizeof line);
    tap_ok(chan_send(c, line, sizeof line), "a line under max_queue is queued");
    tap_is_int((long long)chan_queued(c), 61, "queued: the line and its newline");
    tap_ok(!chan_send(c, line, sizeof line), "a second one would pass max_queue: refused");
    tap_is_int((long long)chan_queued(c), 61, "the refused line is not queued");
    chan_flush(c);
    tap_is_int((long long)chan_queued(c), 0, "chan_flush writes the queue out");
    char buf[256];
    ssize_t n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    tap_ok(n == 61 && buf[60] == '\n' && buf[0] == 'a', "the peer gets the line with its newline");
    tap_ok(chan_send(c, line, sizeof line), "room again after the flush");
    /* the loop writes it too, without a flush */
    run_for(30);
    tap_is_int((long long)chan_queued(c), 0, "the loop writes what is queued");
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    tap_is_int((long long)n, 61, "and the peer gets it");
    tap_is_int(g.closes, 0, "a full queue does not close the channel");
    chan_destroy(c);
    close(sv[1]);
}

static void test_big_line(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct got a = {0}, b = {0};
    size_t big = 3 << 20; /* far more than a socket buffer */
    struct chan *ca = chan_create(loop, sv[0], big + 1, big * 2, on_line, on_close, &a);
    struct chan *cb = chan_create(loop, sv[1], big + 1, big * 2, on_line, on_close, &b);
    char *line = xcalloc(1, big);
    for (size_t i = 0; i < big; i++) {
        line[i] = (char)('a' + i % 26);
    }
    tap_ok(chan_send(ca, line, big), "a 3 MiB line is queued");
    tap_ok(chan_send(ca, "tail", 4), "and a short one after it");
    tap_ok(chan_queued(ca) == big + 6, "both wait in the queue (nothing written before the loop)");
    uint64_t end = clock_mono_ms() + 5000;
    while (b.n < 2 && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_is_int((long long)b.n, 2, "the peer gets both lines");
    tap_ok(b.n > 0 && b.len[0] == big && memcmp(b.lines[0], line, big) == 0,
           "the big line arrives whole and intact");
    tap_is_str(b.n > 1 ? b.lines[1] : NULL, "tail", "then the short one, in order");
    tap_is_int((long long)chan_queued(ca), 0, "the sender's queue is empty");
    free(line);
    chan_destroy(ca);
    chan_destroy(cb);
    got_free(&a);
    got_free(&b);
}

static void test_stop_reading(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct got g = {.stop_after_first = true};
    struct chan *c = chan_create(loop, sv[0], 64, 1024, on_line, on_close, &g);
    put(sv[1], "one\ntwo\nthree\n");
    tap_is_int((long long)g.n, 1, "on_line returning false stops the lines");
    chan_destroy(c);
    close(sv[1]);
    got_free(&g);
}

int main(void)
{
    loop = loop_create();
    test_split_lines();
    test_line_too_long();
    test_queue_cap();
    test_big_line();
    test_stop_reading();
    loop_destroy(loop);
    return tap_done();
}
