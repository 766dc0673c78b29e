/* Lines from stdin on the loop (linein.h). */
#include "linein.h"

#include "../common/util.h"
#include "../common/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct linein {
    struct loop *loop;
    struct loop_watch *watch;
    linein_cb cb;
    void *ud;
    bool eof;
    struct strbuf partial; /* input after the last newline */
    char **lines;
    size_t nlines;
};

static void push_line(struct linein *in, const char *s, size_t n)
{
    in->lines = xreallocarray(in->lines, in->nlines + 1, sizeof *in->lines);
    in->lines[in->nlines++] = xstrndup(s, n);
}

static void on_readable(int fd, short revents, void *ud)
{
    struct linein *in = ud;
    char buf[4096];
    (void)revents;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        if (in->partial.n > 0) {
            push_line(in, in->partial.s, in->partial.n);
            in->partial.n = 0;
        }
        in->eof = true;
        loop_unwatch(in->loop, in->watch);
        in->watch = NULL;
    } else {
        strbuf_add(&in->partial, buf, (size_t)n);
        char *start = in->partial.s;
        char *nl;
        while ((nl = memchr(start, '\n', in->partial.n - (size_t)(start - in->partial.s))) !=
               NULL) {
            push_line(in, start, (size_t)(nl - start));
            start = nl + 1;
        }
        size_t rest = in->partial.n - (size_t)(start - in->partial.s);
        memmove(in->partial.s, start, rest);
        in->partial.n = rest;
        in->partial.s[rest] = '\0';
    }
    in->cb(in->ud);
}

struct linein *linein_create(struct loop *loop, int fd, linein_cb cb, void *ud)
{
    struct linein *in = xcalloc(1, sizeof *in);
    in->loop = loop;
    in->cb = cb;
    in->ud = ud;
    in->watch = loop_watch_fd(loop, fd, POLLIN, on_readable, in);
    return in;
}

void linein_destroy(struct linein *in)
{
    if (in == NULL) {
        return;
    }
    if (in->watch != NULL) {
        loop_unwatch(in->loop, in->watch);
    }
    for (size_t i = 0; i < in->nlines; i++) {
        free(in->lines[i]);
    }
    free(in->lines);
    free(in->partial.s);
    free(in);
}

char *linein_take(struct linein *in)
{
    if (in->nlines == 0) {
        return NULL;
    }
    char *line = in->lines[0];
    memmove(in->lines, in->lines + 1, (in->nlines - 1) * sizeof *in->lines);
    in->nlines--;
    return line;
}

size_t linein_pending(const struct linein *in)
{
    return in->nlines;
}

bool linein_eof(const struct linein *in)
{
    return in->eof;
}
