/*
 * Lines from a file descriptor on the loop (tui/linein.c), through a pipe:
 * split at newlines whatever the writes were, kept in order until taken, a
 * last line without its newline given at end of input, the callback run on
 * the loop once per read, and nothing read before the loop says so.
 */
#include "../../common/loop.h"
#include "../../tui/linein.h"
#include "tap.h"

#include <fcntl.h>
#include <unistd.h>

struct seen {
    int calls;
};

static void on_lines(void *ud)
{
    struct seen *s = ud;
    s->calls++;
}

static void put(int fd, const char *text)
{
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        tap_diag("short write");
    }
}

/* Run the loop until cb has run `calls` times (or a few rounds pass). */
static void spin(struct loop *loop, const struct seen *s, int calls)
{
    for (int i = 0; i < 50 && s->calls < calls; i++) {
        loop_run_once(loop, 20);
    }
}

static bool take_is(struct linein *in, const char *want, const char *what)
{
    char *got = linein_take(in);
    bool ok = tap_is_str(got, want, what);
    free(got);
    return ok;
}

static void lines_and_partials(void)
{
    struct loop *loop = loop_create();
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    struct seen s = {0};
    struct linein *in = linein_create(loop, fds[0], on_lines, &s);
    tap_ok(linein_take(in) == NULL && linein_pending(in) == 0 && !linein_eof(in),
           "nothing before input");
    put(fds[1], "one\ntwo\nthr");
    tap_ok(s.calls == 0, "nothing is read before the loop runs");
    spin(loop, &s, 1);
    tap_is_int(s.calls, 1, "the callback runs once for the read");
    tap_is_int((long long)linein_pending(in), 2, "two whole lines queued, the partial kept");
    take_is(in, "one", "the first line, without its newline");
    put(fds[1], "ee\n\nfour");
    spin(loop, &s, 2);
    tap_is_int((long long)linein_pending(in), 3,
               "the partial joined its rest; an empty line counts");
    take_is(in, "two", "lines come out in order");
    take_is(in, "three", "a line split across two reads is one line");
    take_is(in, "", "an empty line is an empty string");
    tap_ok(linein_take(in) == NULL, "the unterminated tail waits for its newline");
    tap_ok(!linein_eof(in), "no end of input yet");
    close(fds[1]);
    spin(loop, &s, 3);
    tap_ok(linein_eof(in), "end of input is seen");
    tap_is_int((long long)linein_pending(in), 1, "the tail is a line at end of input");
    take_is(in, "four", "the last line without a newline");
    tap_ok(linein_take(in) == NULL && linein_pending(in) == 0, "then nothing");
    int before = s.calls;
    loop_run_once(loop, 20);
    tap_is_int(s.calls, before, "after end of input the descriptor is no longer watched");
    linein_destroy(in);
    close(fds[0]);
    loop_destroy(loop);
}

/* Lines longer than one read (4096 bytes) and many lines in one read. */
static void long_and_many(void)
{
    struct loop *loop = loop_create();
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    struct seen s = {0};
    struct linein *in = linein_create(loop, fds[0], on_lines, &s);
    char *big = xcalloc(10001, 1);
    memset(big, 'x', 10000);
    put(fds[1], big);
    put(fds[1], "\n");
    for (int i = 0; i < 100; i++) {
        char line[16];
        snprintf(line, sizeof line, "l%d\n", i);
        put(fds[1], line);
    }
    close(fds[1]);
    for (int i = 0; i < 50 && !linein_eof(in); i++) {
        loop_run_once(loop, 20);
    }
    tap_ok(linein_eof(in), "read to the end");
    tap_is_int((long long)linein_pending(in), 101, "a 10,000-byte line and 100 short ones");
    char *got = linein_take(in);
    tap_ok(got != NULL && strlen(got) == 10000 && strspn(got, "x") == 10000,
           "the long line arrives whole across reads");
    free(got);
    take_is(in, "l0", "then the short ones, in order");
    for (int i = 1; i < 99; i++) {
        free(linein_take(in));
    }
    take_is(in, "l99", "the last one");
    free(big);
    linein_destroy(in);
    close(fds[0]);
    loop_destroy(loop);
}

/* Destroying with lines still queued and the descriptor still watched frees everything. */
static void destroy_with_lines(void)
{
    struct loop *loop = loop_create();
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    struct seen s = {0};
    struct linein *in = linein_create(loop, fds[0], on_lines, &s);
    put(fds[1], "a\nb\npartial");
    spin(loop, &s, 1);
    tap_is_int((long long)linein_pending(in), 2, "queued before destroy");
    linein_destroy(in);
    linein_destroy(NULL);
    put(fds[1], "more\n");
    loop_run_once(loop, 20);
    tap_is_int(s.calls, 1, "after destroy the loop no longer calls back (ASan checks the rest)");
    close(fds[0]);
    close(fds[1]);
    loop_destroy(loop);
}

int main(void)
{
    lines_and_partials();
    long_and_many();
    destroy_with_lines();
    return tap_done();
}
