/* A line channel over a non-blocking stream socket (chan.h). */
#include "chan.h"

#include "loop.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct chan {
    struct loop *loop;
    int fd;
    struct loop_watch *watch;
    size_t max_line, max_queue;
    chan_line_cb on_line;
    chan_close_cb on_close;
    void *ud;
    char *in; /* a partial line */
    size_t nin, capin;
    char *out; /* queued bytes, out[off..nout) still to write */
    size_t off, nout, capout;
    bool closed;
};

static void closed(struct chan *c, const char *why)
{
    if (c->closed) {
        return;
    }
    c->closed = true;
    loop_watch_events(c->loop, c->watch, 0);
    c->on_close(c->ud, why); /* may destroy c */
}

static void want(struct chan *c)
{
    loop_watch_events(c->loop, c->watch, (short)(POLLIN | (c->nout > c->off ? POLLOUT : 0)));
}

/* false: the channel closed (c may be gone) */
static bool write_some(struct chan *c)
{
    while (c->off < c->nout) {
        ssize_t n = send(c->fd, c->out + c->off, c->nout - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n <= 0) {
            closed(c, strerror(errno));
            return false;
        }
        c->off += (size_t)n;
    }
    if (c->off == c->nout) {
        c->off = c->nout = 0;
    }
    return true;
}

/* Hand every complete line to on_line; false: stop (closed or refused). */
static bool lines(struct chan *c)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(c->in + start, '\n', c->nin - start);
        if (nl == NULL) {
            break;
        }
        size_t len = (size_t)(nl - (c->in + start));
        if (len > c->max_line) { /* whole in one read: as long as one still coming */
            closed(c, "line too long");
            return false;
        }
        if (!c->on_line(c->ud, c->in + start, len)) {
            return false;
        }
        start += len + 1;
    }
    memmove(c->in, c->in + start, c->nin - start);
    c->nin -= start;
    if (c->nin > c->max_line) {
        closed(c, "line too long");
        return false;
    }
    return true;
}

static void on_fd(int fd, short revents, void *ud)
{
    struct chan *c = ud;
    (void)fd;
    if (c->closed) {
        return;
    }
    if ((revents & POLLOUT) && !write_some(c)) {
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        for (;;) {
            if (c->capin - c->nin < 4096) {
                c->capin = c->capin * 2 + 8192;
                c->in = xrealloc(c->in, c->capin);
            }
            ssize_t n = recv(c->fd, c->in + c->nin, c->capin - c->nin, MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n <= 0) {
                closed(c, n == 0 ? "closed" : strerror(errno));
                return;
            }
            c->nin += (size_t)n;
            if (!lines(c)) {
                return;
            }
        }
    }
    want(c);
}

struct chan *chan_create(struct loop *loop, int fd, size_t max_line, size_t max_queue,
                         chan_line_cb on_line, chan_close_cb on_close, void *ud)
{
    struct chan *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->fd = fd;
    c->max_line = max_line;
    c->max_queue = max_queue;
    c->on_line = on_line;
    c->on_close = on_close;
    c->ud = ud;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    c->watch = loop_watch_fd(loop, fd, POLLIN, on_fd, c);
    return c;
}

bool chan_send(struct chan *c, const char *line, size_t len)
{
    if (c->closed || (c->nout - c->off) + len + 1 > c->max_queue) {
        return false;
    }
    if (c->capout - c->nout < len + 1) {
        if (c->off > 0) {
            memmove(c->out, c->out + c->off, c->nout - c->off);
            c->nout -= c->off;
            c->off = 0;
        }
        if (c->capout - c->nout < len + 1) {
            c->capout = c->nout + len + 1 + c->capout;
            c->out = xrealloc(c->out, c->capout);
        }
    }
    if (len > 0) {
        memcpy(c->out + c->nout, line, len);
    }
    c->out[c->nout + len] = '\n';
    c->nout += len + 1;
    want(c);
    return true;
}

size_t chan_queued(const struct chan *c)
{
    return c->nout - c->off;
}

void chan_flush(struct chan *c)
{
    if (!c->closed) {
        (void)write_some(c);
    }
}

void chan_destroy(struct chan *c)
{
    if (c == NULL) {
        return;
    }
    loop_unwatch(c->loop, c->watch);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}
