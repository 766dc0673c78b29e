/*
 * The HAProxy runtime API client (haproxy_rt.h): addresses from the config,
 * then one call per connection. A call is a small state machine driven by
 * its socket's readiness: connecting (POLLOUT; SO_ERROR says how it went),
 * writing the command (POLLOUT), reading until EOF (POLLIN), each step as far
 * as the socket allows without blocking. A one-shot timer bounds the whole.
 * Calls are in a list so that haproxy_rt_finish() can drop them.
 */
#include "haproxy_rt.h"

#include "../common/loop.h"
#include "../common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    REPLY_MAX = 32 * 1024 * 1024, /* runtime API answers larger than this are refused */
    READ_CHUNK = 64 * 1024,
};

/* ---- addresses ---- */

static bool addr_unix(struct haproxy_rt *a, const char *path, char **cause)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
    char *full = str_expand_home(path);
    if (full[0] == '\0' || strlen(full) >= sizeof sun->sun_path) {
        *cause = xasprintf("bad socket path '%s' (1 to %zu bytes)", path, sizeof sun->sun_path - 1);
        free(full);
        return false;
    }
    memset(&a->ss, 0, sizeof a->ss);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, full, strlen(full) + 1);
    a->len = (socklen_t)sizeof *sun;
    free(full);
    return true;
}

static bool parse_port(const char *s, int *out)
{
    double v;
    if (strchr(s, '.') != NULL || s[0] == '-' || !str_parse_decimal(s, &v) || v < 1 || v > 65535) {
        return false;
    }
    *out = (int)v;
    return true;
}

static bool addr_inet(struct haproxy_rt *a, const char *host, int port)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
    memset(&a->ss, 0, sizeof a->ss);
    if (strcmp(host, "localhost") == 0) {
        host = "127.0.0.1";
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        a->len = (socklen_t)sizeof *in4;
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        a->len = (socklen_t)sizeof *in6;
        return true;
    }
    return false;
}

/* "HOST:PORT", "[V6]:PORT" */
static bool addr_tcp(struct haproxy_rt *a, const char *hostport, char **cause)
{
    const char *colon = strrchr(hostport, ':');
    int port;
    if (colon == NULL || !parse_port(colon + 1, &port)) {
        *cause = xasprintf("bad socket '%s' (a path, or HOST:PORT with a port 1-65535)", hostport);
        return false;
    }
    char *host = xstrndup(hostport, (size_t)(colon - hostport));
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    bool ok = addr_inet(a, host, port);
    if (!ok) {
        *cause = xasprintf("bad socket host '%s': use a numeric address such as 127.0.0.1 (a "
                           "name lookup would block)",
                           host);
    }
    free(host);
    return ok;
}

/* Digits after the last colon and no slash: HOST:PORT rather than a path. */
static bool looks_like_hostport(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || strchr(s, '/') != NULL || colon[1] == '\0') {
        return false;
    }
    return strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

bool haproxy_rt_address(struct haproxy_rt *a, const char *value, char **cause)
{
    bool ok;
    if (strncmp(value, "unix:", 5) == 0) {
        ok = addr_unix(a, value + 5, cause);
    } else if (strncmp(value, "tcp:", 4) == 0) {
        ok = addr_tcp(a, value + 4, cause);
    } else if (looks_like_hostport(value)) {
        ok = addr_tcp(a, value, cause);
    } else {
        ok = addr_unix(a, value, cause);
    }
    if (ok) {
        free(a->name);
        a->name = xstrdup(value);
    }
    return ok;
}

/* ---- calls ---- */

struct haproxy_rt_call {
    struct haproxy_rt_call *next;
    struct haproxy_rt *rt;
    int fd;
    struct loop_watch *watch;
    struct loop_timer *timer;
    bool connecting;
    char *cmd;
    size_t cmd_len, sent;
    char *buf;
    size_t len, cap;
    haproxy_rt_done_cb done;
    haproxy_rt_drop_cb drop;
    void *ud;
};

static const char *errno_text(int err)
{
    switch (err) {
    case ENOENT:
        return "no such file";
    case ECONNREFUSED:
        return "connection refused";
    case EACCES:
    case EPERM:
        return "permission denied";
    case ETIMEDOUT:
        return "connection timed out";
    case ECONNRESET:
        return "connection reset";
    case ENETUNREACH:
        return "network unreachable";
    case EHOSTUNREACH:
        return "host unreachable";
    case EAGAIN:
        return "busy (listen queue full)";
    case ENOTSOCK:
    case ECONNABORTED:
        return "not a socket that accepts connections";
    default:
        return strerror(err);
    }
}

static void rt_release(struct haproxy_rt_call *call)
{
    struct haproxy_rt *rt = call->rt;
    for (struct haproxy_rt_call **pp = &rt->calls; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == call) {
            *pp = call->next;
            break;
        }
    }
    loop_unwatch(rt->b->loop, call->watch);
    loop_timer_cancel(rt->b->loop, call->timer);
    if (call->fd >= 0) {
        close(call->fd);
    }
}

static void rt_free(struct haproxy_rt_call *call)
{
    free(call->cmd);
    free(call->buf);
    free(call);
}

/* Finish a call: release it, then report (error NULL: the reply in buf). */
static void rt_finish(struct haproxy_rt_call *call, const char *error)
{
    rt_release(call);
    if (error == NULL && call->buf == NULL) {
        call->buf = xstrdup("");
    }
    call->done(call->ud, error, call->buf, call->len);
    rt_free(call);
}

static void rt_fail_errno(struct haproxy_rt_call *call, const char *what, int err)
{
    char *msg = xasprintf("runtime API %s: %s%s", call->rt->name, what, errno_text(err));
    rt_finish(call, msg);
    free(msg);
}

static void rt_timeout(void *ud)
{
    struct haproxy_rt_call *call = ud;
    call->timer = NULL; /* one-shot: the loop frees it */
    char *msg =
        xasprintf("runtime API %s: timed out after %d ms", call->rt->name, call->rt->b->timeout_ms);
    rt_finish(call, msg);
    free(msg);
}

/* Read what is there; true when the call finished. */
static bool rt_read(struct haproxy_rt_call *call)
{
    for (;;) {
        if (call->cap - call->len < READ_CHUNK + 1) {
            size_t cap = call->cap ? call->cap * 2 : 2 * READ_CHUNK;
            call->cap = cap < REPLY_MAX + READ_CHUNK + 1 ? cap : REPLY_MAX + READ_CHUNK + 1;
            call->buf = xrealloc(call->buf, call->cap);
        }
        ssize_t n = read(call->fd, call->buf + call->len, READ_CHUNK);
        if (n > 0) {
            call->len += (size_t)n;
            call->buf[call->len] = '\0';
            if (call->len > REPLY_MAX) {
                char *msg = xasprintf("runtime API %s: answer larger than %d MiB", call->rt->name,
                                      REPLY_MAX / (1024 * 1024));
                rt_finish(call, msg);
                free(msg);
                return true;
            }
            continue;
        }
        if (n == 0) {
            call->buf[call->len] = '\0';
            rt_finish(call, NULL);
            return true;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return false;
        }
        rt_fail_errno(call, "read: ", errno);
        return true;
    }
}

/* Write what the socket takes; true when the call finished (failed). */
static bool rt_write(struct haproxy_rt_call *call)
{
    while (call->sent < call->cmd_len) {
        ssize_t n =
            send(call->fd, call->cmd + call->sent, call->cmd_len - call->sent, MSG_NOSIGNAL);
        if (n >= 0) {
            call->sent += (size_t)n;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return false;
        } else {
            rt_fail_errno(call, "write: ", errno);
            return true;
        }
    }
    loop_watch_events(call->rt->b->loop, call->watch, POLLIN);
    return false;
}

/*
 * revents may lack POLLHUP/POLLERR (curl_multi_poll reports only IN, OUT
 * and PRI for extra descriptors), so the socket itself says what happened.
 */
static void rt_io(int fd, short revents, void *ud)
{
    struct haproxy_rt_call *call = ud;
    (void)fd;
    if (call->connecting) {
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(call->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
            err = errno;
        }
        if (err != 0) {
            rt_fail_errno(call, "", err);
            return;
        }
        if ((revents & POLLOUT) == 0) {
            return;
        }
        call->connecting = false;
    }
    if (call->sent < call->cmd_len) {
        if (rt_write(call) || call->sent < call->cmd_len) {
            return;
        }
    }
    rt_read(call);
}

static int rt_socket(const struct haproxy_rt *addr, bool *connecting)
{
    int fd = socket(addr->ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    *connecting = false;
    if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0) {
        return fd;
    }
    if (errno == EINPROGRESS) {
        *connecting = true;
        return fd;
    }
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

bool haproxy_rt_call(struct haproxy_rt *rt, const char *cmd, haproxy_rt_done_cb done,
                     haproxy_rt_drop_cb drop, void *ud, char **cause)
{
    struct loop *loop = rt->b->loop;
    bool connecting;
    if (loop == NULL) {
        *cause = xstrdup("runtime API: no event loop");
        return false;
    }
    int fd = rt_socket(rt, &connecting);
    if (fd < 0) {
        *cause = xasprintf("runtime API %s: %s", rt->name, errno_text(errno));
        return false;
    }
    struct haproxy_rt_call *call = xcalloc(1, sizeof *call);
    call->rt = rt;
    call->fd = fd;
    call->connecting = connecting;
    call->cmd = xasprintf("%s\n", cmd);
    call->cmd_len = strlen(call->cmd);
    call->done = done;
    call->drop = drop;
    call->ud = ud;
    call->watch = loop_watch_fd(loop, fd, POLLOUT, rt_io, call);
    call->timer = loop_timer_add(loop, (uint64_t)rt->b->timeout_ms, 0, rt_timeout, call);
    call->next = rt->calls;
    rt->calls = call;
    return true;
}

void haproxy_rt_init(struct haproxy_rt *rt, struct backend *b)
{
    memset(rt, 0, sizeof *rt);
    rt->b = b;
}

void haproxy_rt_finish(struct haproxy_rt *rt)
{
    while (rt->calls != NULL) {
        struct haproxy_rt_call *call = rt->calls;
        rt_release(call);
        if (call->drop != NULL) {
            call->drop(call->ud);
        }
        rt_free(call);
    }
    free(rt->name);
    rt->name = NULL;
}
