/*
 * The forked child HTTP server of httpchild.h: the listening socket, the
 * accept loop and request read in the child, the reply helpers it uses, and
 * the parent's reads of the request log through http.c.
 */
#include "httpchild.h"

#include "../../backends/http.h"
#include "../../common/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

void httpchild_header(const char *raw, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t k = strlen(name);
    for (const char *l = strstr(raw, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, k) == 0 && l[2 + k] == ':') {
            const char *v = l + 3 + k;
            while (*v == ' ') {
                v++;
            }
            size_t n = strcspn(v, "\r\n");
            snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
            return;
        }
    }
}

void httpchild_reply_n(int fd, int status, const char *headers, const char *body, size_t len)
{
    char head[512];
    int n = status == 304
                ? snprintf(head, sizeof head,
                           "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n%s\r\n", headers)
                : snprintf(head, sizeof head,
                           "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nContent-Type: "
                           "application/json\r\nConnection: close\r\n%s\r\n",
                           status, len, headers);
    if (write(fd, head, (size_t)n) != n || status == 304) {
        return;
    }
    while (len > 0) {
        ssize_t w = write(fd, body, len);
        if (w <= 0) {
            return; /* the client is gone */
        }
        body += w;
        len -= (size_t)w;
    }
}

void httpchild_reply(int fd, int status, const char *headers, const char *body)
{
    httpchild_reply_n(fd, status, headers, body, strlen(body));
}

bool httpchild_hung_up(int fd, int delay_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    uint64_t end = clock_mono_ms() + (uint64_t)delay_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= end) {
            return false;
        }
        if (poll(&pfd, 1, (int)(end - now)) > 0) {
            char b[64];
            if (read(fd, b, sizeof b) <= 0) {
                return true;
            }
        }
    }
}

/* The child: one connection at a time, or each in a child of its own, until killed. */
static void serve(int lfd, bool each, httpchild_fn fn, void *ud)
{
    struct strbuf log = {0};
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        if (each && fork() != 0) {
            close(c); /* the connection's own child answers it */
            continue;
        }
        if (each) {
            close(lfd);
        }
        char raw[16384];
        size_t n = 0;
        const char *end = NULL;
        size_t want = 0;
        while (n < sizeof raw - 1) {
            ssize_t k = read(c, raw + n, sizeof raw - 1 - n);
            if (k <= 0) {
                break;
            }
            n += (size_t)k;
            raw[n] = '\0';
            end = strstr(raw, "\r\n\r\n");
            if (end != NULL) {
                const char *cl = str_casestr(raw, "\r\ncontent-length:");
                want = cl != NULL && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
                if (n >= (size_t)(end + 4 - raw) + want) {
                    break;
                }
            }
        }
        raw[n] = '\0';
        struct httpchild_req rq = {
            .fd = c, .raw = raw, .body = end != NULL ? end + 4 : "", .log = &log};
        if (end == NULL || sscanf(raw, "%15s %1023s", rq.method, rq.path) != 2) {
            /* no whole request: the client is gone */
        } else if (!each && strcmp(rq.method, "GET") == 0 && strcmp(rq.path, "/log") == 0) {
            httpchild_reply_n(c, 200, "", log.s != NULL ? log.s : "", log.n);
        } else {
            fn(&rq, ud);
        }
        close(c);
        if (each) {
            _exit(0);
        }
    }
}

static bool start(struct httpchild *h, bool each, httpchild_fn fn, void *ud)
{
    h->pid = 0;
    h->each = each;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    h->port = ntohs(sa.sin_port);
    snprintf(h->url, sizeof h->url, "http://127.0.0.1:%d", h->port);
    fflush(stdout); /* the TAP lines so far are the parent's alone */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        if (each) {
            setpgid(0, 0);            /* stop kills the group: the connections that hang too */
            signal(SIGCHLD, SIG_IGN); /* no zombies */
        }
        serve(fd, each, fn, ud);
        _exit(0);
    }
    close(fd);
    h->pid = pid > 0 ? pid : 0;
    return pid > 0;
}

bool httpchild_start(struct httpchild *h, httpchild_fn fn, void *ud)
{
    return start(h, false, fn, ud);
}

bool httpchild_start_each(struct httpchild *h, httpchild_fn fn, void *ud)
{
    return start(h, true, fn, ud);
}

void httpchild_stop(struct httpchild *h)
{
    if (h->pid > 0) {
        if (h->each) {
            kill(-h->pid, SIGKILL);
            kill(h->pid, SIGKILL);
        } else {
            kill(h->pid, SIGTERM);
        }
        waitpid(h->pid, NULL, 0);
        h->pid = 0;
    }
}

struct got {
    int calls;
    char *body;
};

static void on_got(const struct http_response *r, void *ud)
{
    struct got *g = ud;
    g->calls++;
    free(g->body);
    g->body = r->error == NULL ? xstrndup(r->body, r->len) : NULL;
}

char *httpchild_get(struct loop *loop, const struct httpchild *h, const char *path)
{
    struct http_settings hs;
    char *cause = NULL;
    http_settings_init(&hs);
    if (http_settings_configure(&hs, "url", h->url, &cause) != 1 ||
        !http_settings_finish(&hs, 5000, &cause)) {
        free(cause);
    }
    hs.retries = 0;
    struct got g = {0};
    http_request(loop, &hs, "GET", path, NULL, NULL, 0, on_got, &g);
    uint64_t end = clock_mono_ms() + 8000;
    while (g.calls == 0 && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    http_settings_free(&hs);
    return g.body;
}

char *httpchild_saw(struct loop *loop, const struct httpchild *h, const char *path, int *count)
{
    char *log = httpchild_get(loop, h, "/log");
    *count = 0;
    char *last = NULL;
    size_t k = path != NULL ? strlen(path) : 0;
    for (char *l = log; l != NULL && *l != '\0';) {
        char *nl = strchr(l, '\n');
        size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
        if (path == NULL) {
            ++*count;
            free(last);
            last = xstrndup(l, n);
        } else if (n >= k && strncmp(l, path, k) == 0 && (n == k || l[k] == ' ')) {
            ++*count;
            free(last);
            last = n == k ? xstrdup("") : xstrndup(l + k + 1, n - k - 1);
        }
        l = nl != NULL ? nl + 1 : l + n;
    }
    free(log);
    return last != NULL ? last : xstrdup("(none)");
}
