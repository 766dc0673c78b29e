/*
 * The war room on one host (share.h): the owner's Unix socket and card, and
 * the follower's connection. The owner never waits for a follower: every
 * message is queued on the follower's channel (common/chan.h) and a follower
 * whose queue passes SHARE_QUEUE_MAX is dropped ("too slow"; it may join
 * again and replays). Identity is the kernel's (SO_PEERCRED), never a word
 * the client sends.
 */
#define _GNU_SOURCE /* struct ucred */
#include "share.h"
#include "share_int.h"
#include "share_nats.h"

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

/* ---- paths ---- */

/* DIR/RUN-ID.EXT; NULL with *cause for a bad id or a path too long for a socket. */
char *share_path(const char *dir, const char *run_id, const char *ext, char **cause)
{
    if (run_id == NULL || run_id[0] == '\0' || run_id[0] == '.' || strchr(run_id, '/') != NULL) {
        set_cause(cause, "bad run id");
        return NULL;
    }
    char *p = xasprintf("%s/%s.%s", dir, run_id, ext);
    if (strcmp(ext, "sock") == 0 && strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        if (cause != NULL) {
            *cause = xasprintf("socket path %s is too long (at most %zu bytes): use a shorter "
                               "[share] dir",
                               p, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        }
        free(p);
        return NULL;
    }
    return p;
}

void share_sockaddr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "%s", path);
}

/* ---- the owner ---- */

struct peer {
    struct share_server *s;
    struct chan *ch;
    struct share_peer info; /* user and host owned */
    bool gone;
};

struct share_server {
    struct loop *loop;
    const struct share_owner_ops *ops;
    void *ud;
    char *run_id, *title, *participants;
    char *sock_path, *card_path;
    int fd;
    struct loop_watch *watch;
    struct peer **peers;
    size_t npeers;
    struct share_peer *people; /* share_server_people() */
    char *driver;              /* NULL: the owner's console drives */
    char *offered;             /* who control is offered to (the owner's name: back to it) */
    int64_t started_ms;
    struct loop_timer *sweep;
    struct share_nats_owner *nats; /* also published over NATS (share_server_nats) */
};

static enum share_role role_now(const struct share_server *s, const struct peer *p)
{
    if (s->driver != NULL && strcmp(s->driver, p->info.user) == 0) {
        return SHARE_DRIVER;
    }
    return p->info.role;
}

static void send_obj(struct peer *p, cJSON *o)
{
    if (p->gone) {
        cJSON_Delete(o);
        return;
    }
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!chan_send(p->ch, line, strlen(line))) {
        p->gone = true; /* too slow: dropped at the next sweep */
        loop_timer_reset(p->s->loop, p->s->sweep, 0);
    }
    free(line);
}

static void send_line(struct peer *p, const char *line)
{
    if (!p->gone && !chan_send(p->ch, line, strlen(line))) {
        p->gone = true;
        loop_timer_reset(p->s->loop, p->s->sweep, 0);
    }
}

static cJSON *line_for(struct share_server *s, enum share_role role, const struct runlog_event *ev)
{
    return s->ops->line != NULL ? s->ops->line(s->ud, role, ev) : share_event_line(ev);
}

static void write_card(struct share_server *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", s->run_id);
    cJSON_AddStringToObject(o, "kind", s->ops->kind);
    json_add_str(o, "title", s->title);
    cJSON_AddStringToObject(o, "owner", whoami_user());
    cJSON_AddStringToObject(o, "host", whoami_host());
    cJSON_AddNumberToObject(o, "pid", (double)getpid());
    cJSON_AddNumberToObject(o, "started", (double)s->started_ms);
    json_add_str(o, "driver", s->driver);
    cJSON *people = cJSON_AddArrayToObject(o, "people");
    for (size_t i = 0; i < s->npeers; i++) {
        if (!s->peers[i]->gone) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "user", s->peers[i]->info.user);
            cJSON_AddStringToObject(e, "role", share_role_name(role_now(s, s->peers[i])));
            cJSON_AddItemToArray(people, e);
        }
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *tmp = xasprintf("%s.tmp", s->card_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd >= 0) {
        size_t len = strlen(text);
        bool ok = write(fd, text, len) == (ssize_t)len;
        (void)fchmod(fd, 0640);
        close(fd);
        if (!ok || rename(tmp, s->card_path) != 0) {
            unlink(tmp);
        }
    }
    free(tmp);
    free(text);
}

static void send_presence(struct share_server *s)
{
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (p->gone) {
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "t", "presence");
        cJSON_AddStringToObject(o, "owner", whoami_user());
        cJSON_AddStringToObject(o, "driver", s->driver != NULL ? s->driver : whoami_user());
        cJSON *arr = cJSON_AddArrayToObject(o, "people");
        for (size_t k = 0; k < s->npeers; k++) {
            const struct peer *q = s->peers[k];
            if (q->gone) {
                continue;
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "user", q->info.user);
            cJSON_AddStringToObject(e, "host", q->info.host);
            cJSON_AddStringToObject(e, "role", share_role_name(role_now(s, q)));
            cJSON_AddNumberToObject(e, "since", (double)q->info.since_ms);
            cJSON_AddItemToArray(arr, e);
        }
        send_obj(p, o);
    }
    write_card(s);
    if (s->ops->changed != NULL) {
        s->ops->changed(s->ud);
    }
}

struct replay_ctx {
    struct share_server *s;
    struct peer *p;
    enum share_role role;
};

static void replay_one(const struct runlog_event *ev, void *ud)
{
    struct replay_ctx *x = ud;
    cJSON *o = line_for(x->s, x->role, ev);
    if (o != NULL) {
        send_obj(x->p, o);
    }
}

/* hello, then the run so far as the peer's role may see it */
/* The hello for you (NULL: anybody on the NATS stream) in role. */
static cJSON *hello_for(struct share_server *s, const char *you, enum share_role role)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "t", "hello");
    cJSON_AddStringToObject(o, "run", s->run_id);
    cJSON_AddStringToObject(o, "kind", s->ops->kind);
    json_add_str(o, "title", s->title);
    cJSON_AddStringToObject(o, "owner", whoami_user());
    cJSON_AddStringToObject(o, "host", whoami_host());
    json_add_str(o, "you", you);
    cJSON_AddStringToObject(o, "role", share_role_name(role));
    cJSON_AddStringToObject(o, "driver", s->driver != NULL ? s->driver : whoami_user());
    cJSON *doc = s->ops->doc(s->ud, role);
    cJSON_AddItemToObject(o, "doc", doc != NULL ? doc : cJSON_CreateObject());
    return o;
}

static void start_over(struct share_server *s, struct peer *p)
{
    enum share_role role = role_now(s, p);
    send_obj(p, hello_for(s, p->info.user, role));
    struct replay_ctx x = {.s = s, .p = p, .role = role};
    char *cause = NULL;
    if (!s->ops->history(s->ud, replay_one, &x, &cause)) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "t", "bye");
        cJSON_AddStringToObject(b, "reason", cause != NULL ? cause : "cannot read the run back");
        send_obj(p, b);
        p->gone = true;
        loop_timer_reset(s->loop, s->sweep, 0);
    } else {
        cJSON *y = cJSON_CreateObject();
        cJSON_AddStringToObject(y, "t", "synced"); /* the history is told: live from here */
        send_obj(p, y);
    }
    free(cause);
}

static void reply(struct peer *p, double id, bool ok, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "t", "reply");
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddBoolToObject(o, "ok", ok);
    json_add_str(o, "message", message);
    send_obj(p, o);
}

static struct peer *peer_of(struct share_server *s, const char *user)
{
    for (size_t i = 0; i < s->npeers; i++) {
        if (!s->peers[i]->gone && strcmp(s->peers[i]->info.user, user) == 0) {
            return s->peers[i];
        }
    }
    return NULL;
}

/* Every connection of user starts over with its new role. */
static void role_changed(struct share_server *s, const char *user)
{
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (!p->gone && strcmp(p->info.user, user) == 0) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "t", "role");
            cJSON_AddStringToObject(o, "role", share_role_name(role_now(s, p)));
            send_obj(p, o);
            start_over(s, p);
        }
    }
}

static void send_offer(struct share_server *s, const char *to, const char *from)
{
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (!p->gone && strcmp(p->info.user, to) == 0) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "t", "offer");
            cJSON_AddStringToObject(o, "from", from);
            send_obj(p, o);
        }
    }
}

/* The hub's own part of a handover; false with *cause when it makes no sense now. */
static bool handover(struct share_server *s, struct peer *p, enum share_op op, const cJSON *req,
                     char **cause)
{
    const char *me = p->info.user;
    if (op == SOP_HANDOVER) {
        const char *to = json_str(req, "to");
        if (to == NULL || to[0] == '\0') {
            set_cause(cause, "hand over to whom? (a joined person's name)");
            return false;
        }
        if (strcmp(to, me) == 0) {
            set_cause(cause, "you drive already");
            return false;
        }
        bool owner = strcmp(to, whoami_user()) == 0;
        if (!owner && peer_of(s, to) == NULL) {
            if (cause != NULL) {
                *cause = xasprintf("%s has not joined this run", to);
            }
            return false;
        }
        free(s->offered);
        s->offered = xstrdup(to);
        if (!owner) {
            send_offer(s, to, me);
        }
        return true;
    }
    if (s->offered == NULL || strcmp(s->offered, me) != 0) {
        set_cause(cause, "nobody offered you control");
        return false;
    }
    free(s->offered);
    s->offered = NULL;
    if (op == SOP_DECLINE) {
        return true;
    }
    char *before = s->driver;
    s->driver = xstrdup(me);
    role_changed(s, me);
    if (before != NULL) {
        role_changed(s, before);
        free(before);
    }
    return true;
}

/*
 * Check and apply one request of who (whose role now is have); p: its Unix
 * connection, NULL over NATS (no handover from there). *ok and the reply's
 * message (caller frees).
 */
static char *decide(struct share_server *s, struct peer *p, const struct share_peer *who,
                    enum share_role have, const cJSON *req, bool *ok)
{
    *ok = false;
    const char *opname = json_str(req, "op");
    enum share_op op = share_op_parse(opname);
    if (op == SOP_UNKNOWN) {
        return xasprintf("unknown request '%s'", opname != NULL ? opname : "");
    }
    enum share_role need = share_op_role(op);
    if (have < need) {
        return need == SHARE_DRIVER
                   ? xasprintf("only the driver (%s) may %s: you are %s %s",
                               s->driver != NULL ? s->driver : whoami_user(), opname,
                               have == SHARE_OBSERVER ? "an" : "a", share_role_name(have))
                   : xasprintf("you are an observer: observers see everything and act on "
                               "nothing (%s may make you a participant)",
                               s->driver != NULL ? s->driver : whoami_user());
    }
    bool hand = op == SOP_HANDOVER || op == SOP_ACCEPT || op == SOP_DECLINE;
    if (hand && p == NULL) {
        return xstrdup("control is handed over between consoles on the owner's host");
    }
    char *cause = NULL;
    bool done = !hand || handover(s, p, op, req, &cause);
    /* the owner journals it (and applies the run's commands) under the requester's name */
    struct share_peer as = *who;
    as.role = have;
    done = done && s->ops->apply(s->ud, &as, op, req, &cause);
    *ok = done;
    if (done && hand) {
        send_presence(s);
    }
    char *m = xstrdup(done ? "done" : (cause != NULL ? cause : "refused"));
    free(cause);
    return m;
}

static void on_request(struct share_server *s, struct peer *p, const cJSON *req)
{
    double id = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "id"));
    bool ok = false;
    char *m = decide(s, p, &p->info, role_now(s, p), req, &ok);
    reply(p, id, ok, m);
    free(m);
}

static bool on_peer_line(void *ud, const char *line, size_t len)
{
    struct peer *p = ud;
    if (p->gone) {
        return false;
    }
    cJSON *req = NULL;
    char *bad = NULL; /* json_parse writes a cause: NULL would crash on any garbage */
    bool parsed = json_parse(line, len, &req, &bad);
    free(bad);
    if (!parsed || !cJSON_IsObject(req) ||
        strcmp(json_str(req, "t") != NULL ? json_str(req, "t") : "", "req") != 0) {
        cJSON_Delete(req);
        reply(p, 0, false, "not a request");
        return true;
    }
    on_request(p->s, p, req);
    cJSON_Delete(req);
    return true;
}

static void on_peer_close(void *ud, const char *why)
{
    struct peer *p = ud;
    (void)why;
    p->gone = true;
    loop_timer_reset(p->s->loop, p->s->sweep, 0);
}

/* Free the peers that left or were dropped, journaling each leave. */
static void sweep(void *ud)
{
    struct share_server *s = ud;
    size_t keep = 0;
    bool any = false;
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (!p->gone) {
            s->peers[keep++] = p;
            continue;
        }
        any = true;
        bool slow = chan_queued(p->ch) > SHARE_QUEUE_MAX / 2;
        p->info.role = role_now(s, p);
        if (s->offered != NULL && strcmp(s->offered, p->info.user) == 0 &&
            peer_of(s, p->info.user) == NULL) {
            free(s->offered);
            s->offered = NULL;
        }
        s->ops->presence(s->ud, &p->info, false, slow ? "dropped" : "left");
        chan_destroy(p->ch);
        free((char *)p->info.user);
        free((char *)p->info.host);
        free(p);
    }
    s->npeers = keep;
    if (s->driver != NULL && peer_of(s, s->driver) == NULL) {
        /* the driver left or was dropped: control goes back to the owner's console, which
         * could otherwise neither drive nor offer nor take back (until they came back) */
        free(s->driver);
        s->driver = NULL;
        if (s->offered != NULL && strcmp(s->offered, whoami_user()) == 0) {
            free(s->offered); /* a hand back to the owner that is done now */
            s->offered = NULL;
        }
    }
    if (any) {
        send_presence(s);
    }
}

static char *user_of_uid(uid_t uid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL) {
        return xstrdup(pw.pw_name);
    }
    return xasprintf("uid%u", (unsigned)uid);
}

static void on_accept(int fd, short revents, void *ud)
{
    struct share_server *s = ud;
    (void)revents;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) {
            return;
        }
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
            s->npeers >= SHARE_PEERS_MAX) {
            /* a goodbye with the reason, so that it is not taken for an owner gone */
            static const char full[] = "{\"t\":\"bye\",\"reason\":\"the run has as many "
                                       "followers as it takes (256)\"}\n";
            (void)send(c, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            close(c);
            continue;
        }
        struct peer *p = xcalloc(1, sizeof *p);
        p->s = s;
        p->info.user = user_of_uid(cred.uid);
        p->info.host = xstrdup(whoami_host());
        p->info.role = share_role_for(s->participants, p->info.user);
        p->info.since_ms = clock_wall_ms();
        p->ch = chan_create(s->loop, c, SHARE_LINE_MAX, SHARE_QUEUE_MAX, on_peer_line,
                            on_peer_close, p);
        s->peers = xreallocarray(s->peers, s->npeers + 1, sizeof *s->peers);
        s->peers[s->npeers++] = p;
        start_over(s, p);
        struct share_peer as = p->info;
        s->ops->presence(s->ud, &as, true, NULL);
        send_presence(s);
    }
}

struct share_server *share_server_create(struct loop *loop, const char *dir, const char *run_id,
                                         const char *title, const char *participants,
                                         const struct share_owner_ops *ops, void *ud, char **cause)
{
    char *sock = share_path(dir, run_id, "sock", cause);
    if (sock == NULL) {
        return NULL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un sa;
    share_sockaddr(&sa, sock);
    /* EAGAIN: a live owner whose backlog is full (stopped, or many joining): not stale */
    if (fd >= 0 && (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN)) {
        if (cause != NULL) {
            *cause = xasprintf("run %s is shared by another console already (%s)", run_id, sock);
        }
        close(fd);
        free(sock);
        return NULL;
    }
    if (fd >= 0) {
        close(fd);
    }
    (void)unlink(sock); /* a dead owner's */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0117);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 64) == 0;
    umask(old);
    if (!ok) {
        if (cause != NULL) {
            *cause = xasprintf("cannot share run %s on %s: %s", run_id, sock, strerror(errno));
        }
        if (fd >= 0) {
            close(fd);
        }
        free(sock);
        return NULL;
    }
    (void)chmod(sock, 0660);
    struct share_server *s = xcalloc(1, sizeof *s);
    s->loop = loop;
    s->ops = ops;
    s->ud = ud;
    s->run_id = xstrdup(run_id);
    s->title = title != NULL ? xstrdup(title) : NULL;
    s->participants = participants != NULL ? xstrdup(participants) : NULL;
    s->sock_path = sock;
    s->card_path = share_path(dir, run_id, "json", NULL);
    s->fd = fd;
    s->started_ms = clock_wall_ms();
    s->sweep = loop_timer_add(loop, 3600 * 1000, 3600 * 1000, sweep, s);
    s->watch = loop_watch_fd(loop, fd, POLLIN, on_accept, s);
    write_card(s);
    return s;
}

void share_server_event(const struct runlog_event *ev, void *server)
{
    struct share_server *s = server;
    char *lines[SHARE_DRIVER + 1] = {0};
    bool done[SHARE_DRIVER + 1] = {0};
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (p->gone) {
            continue;
        }
        enum share_role r = role_now(s, p);
        if (!done[r]) {
            done[r] = true;
            cJSON *o = line_for(s, r, ev);
            lines[r] = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
            cJSON_Delete(o);
        }
        if (lines[r] != NULL) {
            send_line(p, lines[r]);
        }
    }
    if (s->nats != NULL && !ev->live && ev->seq > 0) {
        /* the stream is everybody's: what a participant may see, as it was journaled */
        if (!done[SHARE_PARTICIPANT]) {
            cJSON *o = line_for(s, SHARE_PARTICIPANT, ev);
            lines[SHARE_PARTICIPANT] = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
            cJSON_Delete(o);
        }
        if (lines[SHARE_PARTICIPANT] != NULL) {
            share_nats_publish(s->nats, ev->seq, lines[SHARE_PARTICIPANT],
                               strlen(lines[SHARE_PARTICIPANT]));
        }
    }
    for (size_t r = 0; r <= SHARE_DRIVER; r++) {
        free(lines[r]);
    }
}

static void nats_doc(struct share_server *s);

void share_server_doc_changed(struct share_server *s)
{
    nats_doc(s);
    for (size_t i = 0; i < s->npeers; i++) {
        if (!s->peers[i]->gone) {
            start_over(s, s->peers[i]);
        }
    }
}

const struct share_peer *share_server_people(const struct share_server *s, size_t *n)
{
    struct share_server *w = (struct share_server *)s;
    free(w->people);
    w->people = xcalloc(s->npeers + 1, sizeof *w->people);
    size_t k = 0;
    for (size_t i = 0; i < s->npeers; i++) {
        if (!s->peers[i]->gone) {
            w->people[k] = s->peers[i]->info;
            w->people[k++].role = role_now(s, s->peers[i]);
        }
    }
    *n = k;
    return w->people;
}

const char *share_server_driver(const struct share_server *s)
{
    return s->driver;
}

const char *share_server_offered(const struct share_server *s)
{
    return s->offered;
}

bool share_server_set_role(struct share_server *s, const char *user, enum share_role role,
                           char **cause)
{
    if (role == SHARE_DRIVER) {
        set_cause(cause, "control is handed over, not given: :handover USER");
        return false;
    }
    if (peer_of(s, user) == NULL) {
        if (cause != NULL) {
            *cause = xasprintf("%s has not joined this run", user);
        }
        return false;
    }
    for (size_t i = 0; i < s->npeers; i++) {
        if (!s->peers[i]->gone && strcmp(s->peers[i]->info.user, user) == 0) {
            s->peers[i]->info.role = role;
        }
    }
    role_changed(s, user);
    send_presence(s);
    return true;
}

bool share_server_offer(struct share_server *s, const char *user, char **cause)
{
    if (s->driver != NULL) {
        if (cause != NULL) {
            *cause = xasprintf("%s drives now: only the driver hands control over", s->driver);
        }
        return false;
    }
    if (user == NULL) {
        free(s->offered);
        s->offered = NULL;
        return true;
    }
    if (peer_of(s, user) == NULL) {
        if (cause != NULL) {
            *cause = xasprintf("%s has not joined this run (opsdeck join %s)", user, s->run_id);
        }
        return false;
    }
    free(s->offered);
    s->offered = xstrdup(user);
    send_offer(s, user, whoami_user());
    return true;
}

bool share_server_take_back(struct share_server *s, char **cause)
{
    if (s->offered == NULL || strcmp(s->offered, whoami_user()) != 0) {
        set_cause(cause, "nobody handed control back to you");
        return false;
    }
    free(s->offered);
    s->offered = NULL;
    char *before = s->driver;
    s->driver = NULL;
    if (before != NULL) {
        role_changed(s, before);
        free(before);
    }
    send_presence(s);
    return true;
}

void share_server_destroy(struct share_server *s, const char *reason)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->npeers; i++) {
        struct peer *p = s->peers[i];
        if (!p->gone) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "t", "bye");
            cJSON_AddStringToObject(o, "reason", reason != NULL ? reason : "the owner closed");
            send_obj(p, o);
            chan_flush(p->ch);
        }
        chan_destroy(p->ch);
        free((char *)p->info.user);
        free((char *)p->info.host);
        free(p);
    }
    share_nats_owner_destroy(s->nats);
    free(s->peers);
    free(s->people);
    loop_unwatch(s->loop, s->watch);
    loop_timer_cancel(s->loop, s->sweep);
    close(s->fd);
    unlink(s->sock_path);
    if (s->card_path != NULL) {
        unlink(s->card_path);
    }
    free(s->sock_path);
    free(s->card_path);
    free(s->run_id);
    free(s->title);
    free(s->participants);
    free(s->driver);
    free(s->offered);
    free(s);
}

/* ---- across hosts: the same run over NATS JetStream (share_nats.h) ---- */

static void nats_doc(struct share_server *s)
{
    if (s->nats == NULL) {
        return;
    }
    cJSON *o = hello_for(s, NULL, SHARE_PARTICIPANT);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    share_nats_publish_doc(s->nats, line, strlen(line));
    free(line);
}

/* A line read back from the journal, as the stream may carry it (the worker's thread). */
static char *nats_filter(void *ud, const char *line, size_t len)
{
    struct share_server *s = ud;
    cJSON *o = NULL;
    char *bad = NULL;
    char *out = NULL;
    struct runlog_event ev;
    if (json_parse(line, len, &o, &bad) && runlog_event_parse(o, &ev)) {
        cJSON *l = line_for(s, SHARE_PARTICIPANT, &ev);
        out = l != NULL ? cJSON_PrintUnformatted(l) : NULL;
        cJSON_Delete(l);
    }
    free(bad);
    cJSON_Delete(o);
    return out;
}

/* A request from the stream: user is the NATS user the server authenticated. */
static void nats_request(void *ud, const char *user, const char *line, size_t len,
                         struct share_nats_reply *r)
{
    struct share_server *s = ud;
    cJSON *req = NULL;
    char *bad = NULL;
    bool ok = false;
    char *m = NULL;
    double id = 0;
    if (!json_parse(line, len, &req, &bad) || !cJSON_IsObject(req) ||
        strcmp(json_str(req, "t") != NULL ? json_str(req, "t") : "", "req") != 0) {
        m = xstrdup("not a request");
    } else {
        id = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "id"));
        struct share_peer who = {.user = user, .host = "nats", .since_ms = clock_wall_ms()};
        enum share_role have = s->driver != NULL && strcmp(s->driver, user) == 0
                                   ? SHARE_DRIVER
                                   : share_role_for(s->participants, user);
        m = decide(s, NULL, &who, have, req, &ok);
    }
    free(bad);
    cJSON_Delete(req);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "t", "reply");
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddBoolToObject(o, "ok", ok);
    json_add_str(o, "message", m);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    share_nats_reply(s->nats, r, text, strlen(text));
    free(text);
    free(m);
}

bool share_server_nats(struct share_server *s, const struct share_nats_opts *o, const char *journal,
                       char **cause)
{
    struct share_nats_opts opts = *o;
    opts.filter = nats_filter; /* what the journal holds goes out as a participant sees it */
    opts.filter_ud = s;
    s->nats = share_nats_owner_create(s->loop, &opts, s->run_id, journal, nats_request, s, cause);
    if (s->nats == NULL) {
        return false;
    }
    nats_doc(s);
    return true;
}

char *share_server_nats_status(struct share_server *s)
{
    return s->nats != NULL ? share_nats_owner_status(s->nats) : NULL;
}
