/*
 * The war room's follower on one host (share.h): the connection to the
 * owner's Unix socket, and the cards `opsdeck runs` lists. The lines are
 * read by share_line_dispatch() (share.c), the same for NATS.
 */
#define _GNU_SOURCE /* struct ucred */
#include "share.h"
#include "share_int.h"

#include "../common/chan.h"
#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/loop.h"

/* ---- the follower ---- */

struct share_client {
    struct chan *ch;
    const struct share_follow_hooks *hooks;
    void *ud;
    uint64_t next_id;
    bool bye;
    char *why;
};

static bool on_client_line(void *ud, const char *line, size_t len)
{
    struct share_client *c = ud;
    char *why = NULL;
    if (share_line_dispatch(line, len, c->hooks, c->ud, &why)) {
        c->bye = true;
        free(c->why);
        c->why = why;
    }
    return true;
}

static void on_client_close(void *ud, const char *why)
{
    struct share_client *c = ud;
    c->hooks->closed(c->ud, c->bye, c->bye ? c->why : why);
}

struct share_client *share_client_connect(struct loop *loop, const char *dir, const char *run_id,
                                          const struct share_follow_hooks *hooks, void *ud,
                                          char **cause)
{
    char *sock = share_path(dir, run_id, "sock", cause);
    if (sock == NULL) {
        return NULL;
    }
    struct sockaddr_un sa;
    share_sockaddr(&sa, sock);
    /* non-blocking: a Unix connect completes at once or says EAGAIN (the owner's backlog is
     * full: it is stopped); a blocking one would hang this console's loop */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        if (cause != NULL) {
            *cause =
                e == ENOENT
                    ? xasprintf("no shared run %s in %s (opsdeck runs lists them)", run_id, dir)
                : e == ECONNREFUSED
                    ? xasprintf("the owner of run %s is gone (:takeover takes it over)", run_id)
                : e == EAGAIN
                    ? xasprintf("the owner of run %s does not answer (stopped, or busy): try "
                                "again",
                                run_id)
                : e == EACCES ? xasprintf("permission denied on %s: the share directory "
                                          "is its group's (docs/war-room.md)",
                                          sock)
                              : xasprintf("cannot join run %s: %s", run_id, strerror(e));
        }
        if (fd >= 0) {
            close(fd);
        }
        free(sock);
        return NULL;
    }
    free(sock);
    struct share_client *c = xcalloc(1, sizeof *c);
    c->hooks = hooks;
    c->ud = ud;
    c->ch =
        chan_create(loop, fd, SHARE_HELLO_MAX, SHARE_QUEUE_MAX, on_client_line, on_client_close, c);
    return c;
}

uint64_t share_client_request(struct share_client *c, enum share_op op, cJSON *args, char **cause)
{
    uint64_t id = ++c->next_id;
    char *line = share_request_line(id, op, args);
    bool ok = chan_send(c->ch, line, strlen(line));
    free(line);
    if (!ok) {
        set_cause(cause, "the owner is not reading (gone?)");
        return 0;
    }
    return id;
}

void share_client_destroy(struct share_client *c)
{
    if (c == NULL) {
        return;
    }
    chan_destroy(c->ch);
    free(c->why);
    free(c);
}

/* ---- cards ---- */

static bool pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int card_cmp(const void *a, const void *b)
{
    const struct share_card *x = a, *y = b;
    return x->started_ms < y->started_ms ? 1 : x->started_ms > y->started_ms ? -1 : 0;
}

struct share_card *share_cards(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        return NULL;
    }
    struct share_card *cards = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char *path = xasprintf("%s/%s", dir, de->d_name);
        char *text = NULL;
        FILE *f = fopen(path, "re");
        free(path);
        if (f == NULL) {
            continue;
        }
        char buf[65536];
        size_t got = fread(buf, 1, sizeof buf, f);
        fclose(f);
        text = xstrndup(buf, got);
        cJSON *o = cJSON_Parse(text);
        free(text);
        const char *run = json_str(o, "run");
        if (run == NULL) {
            cJSON_Delete(o);
            continue;
        }
        cards = xreallocarray(cards, *n + 1, sizeof *cards);
        struct share_card *c = &cards[(*n)++];
        memset(c, 0, sizeof *c);
        c->run = xstrdup(run);
        c->kind = xstrdup(json_str(o, "kind") ? json_str(o, "kind") : "run");
        c->title = xstrdup(json_str(o, "title") ? json_str(o, "title") : "");
        c->owner = xstrdup(json_str(o, "owner") ? json_str(o, "owner") : "?");
        c->host = xstrdup(json_str(o, "host") ? json_str(o, "host") : "?");
        c->pid = runlog_int(o, "pid", 0); /* a card is the group's file: any number may be in it */
        double started = runlog_num(o, "started", 0);
        c->started_ms = started > 0 && started < 1e15 ? (int64_t)started : 0;
        struct strbuf sb = {0};
        const cJSON *e;
        cJSON_ArrayForEach(e, json_arr(o, "people"))
        {
            strbuf_printf(&sb, "%s%s (%s)", sb.s != NULL ? ", " : "",
                          json_str(e, "user") ? json_str(e, "user") : "?",
                          json_str(e, "role") ? json_str(e, "role") : "?");
        }
        c->people = sb.s != NULL ? sb.s : xstrdup("");
        c->live = strcmp(c->host, whoami_host()) == 0 && pid_alive(c->pid);
        cJSON_Delete(o);
    }
    closedir(d);
    if (*n > 1) {
        qsort(cards, *n, sizeof *cards, card_cmp);
    }
    return cards;
}

void share_cards_free(struct share_card *cards, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(cards[i].run);
        free(cards[i].kind);
        free(cards[i].title);
        free(cards[i].owner);
        free(cards[i].host);
        free(cards[i].people);
    }
    free(cards);
}
