/*
 * A forked child HTTP server on a free loopback port, for the unit tests
 * that talk to a real server through http.c (test_hedge, test_http_budget,
 * test_http_async, ...).
 *
 * httpchild_start binds 127.0.0.1:0, forks, and the child serves one
 * connection at a time until httpchild_stop (SIGTERM, then waitpid: no
 * zombie); httpchild_start_each forks a child per connection instead. Each request is read up to
 * its blank line, and its body when it has a Content-Length, then handed to the test's handler with
 * its method, path, raw text and body; the handler answers with httpchild_reply (or writes to fd
 * itself; a delay: httpchild_hung_up) and may add lines to the request log. A GET /log is answered
 * by the child itself with that log and is never passed to the handler nor logged, so the parent
 * counts what reached the server with httpchild_saw, not what the client thinks it sent. State the
 * handler keeps (delays, status modes, counters) is the child's copy of ud: change it through
 * requests the handler understands.
 *
 * Use (best before loop_create: the child is then a plain process, no curl in it):
 *     static void handle(struct httpchild_req *rq, void *ud) { ... }
 *     struct httpchild srv;
 *     if (!httpchild_start(&srv, handle, NULL)) { skip }
 *     ... requests to srv.url ...
 *     char *last = httpchild_saw(loop, &srv, "/p", &count);
 *     httpchild_stop(&srv);
 */
#ifndef OPSDECK_HTTPCHILD_H
#define OPSDECK_HTTPCHILD_H

#include "../../common/loop.h"
#include "../../common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct httpchild {
    pid_t pid; /* the child; 0 once stopped */
    bool each; /* a child per connection (httpchild_start_each) */
    int port;
    char url[64]; /* "http://127.0.0.1:PORT" */
};

/* One request, in the child. */
struct httpchild_req {
    int fd;             /* the connection: closed after the handler returns */
    const char *raw;    /* the request line and headers, and its body */
    const char *body;   /* the body after the blank line, read to its Content-Length */
    char method[16];    /* "GET", "POST", ... */
    char path[1024];    /* "/p?x=1" as sent */
    struct strbuf *log; /* what GET /log answers: the handler appends lines */
};

typedef void (*httpchild_fn)(struct httpchild_req *rq, void *ud);

/* Listen on a free loopback port and fork the child running fn; false when that failed. */
bool httpchild_start(struct httpchild *h, httpchild_fn fn, void *ud);

/*
 * The same with a child of its own for each connection, so a slow or hung
 * answer holds only its own: no /log nor state shared between requests (log
 * to a file), and the stop is SIGKILL to the whole process group.
 */
bool httpchild_start_each(struct httpchild *h, httpchild_fn fn, void *ud);

/* Kill the child and reap it; again, or on a child never started, does nothing. */
void httpchild_stop(struct httpchild *h);

/* In the child: answer status with headers ("Name: value\r\n"...) and body
 * (application/json, Connection: close); a 304 has no body. */
void httpchild_reply(int fd, int status, const char *headers, const char *body);
void httpchild_reply_n(int fd, int status, const char *headers, const char *body, size_t len);

/* In the child: the value of header name in raw ("" when absent), into out. */
void httpchild_header(const char *raw, const char *name, char *out, size_t len);

/* In the child: wait delay_ms for the client to hang up; true when it did. */
bool httpchild_hung_up(int fd, int delay_ms);

/* In the parent: GET path from h through http.c on loop (no retry); the body
 * (caller frees), or NULL on a failure. */
char *httpchild_get(struct loop *loop, const struct httpchild *h, const char *path);

/*
 * In the parent: the request log's lines for path, counted in *count; the
 * last one's rest after "path " (caller frees; "" when the line is the path
 * alone, "(none)" when no line matched). A line matches when it is path, or
 * starts with path and a space; a NULL path matches every line, and the
 * rest is then the whole line.
 */
char *httpchild_saw(struct loop *loop, const struct httpchild *h, const char *path, int *count);

#endif
