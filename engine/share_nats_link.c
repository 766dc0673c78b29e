/*
 * The NATS link shared by the war room's owner and follower (share_nats.h):
 * options and credentials, the one connect, libnats' connection callbacks,
 * and the bridge into the loop. libnats calls us on its own threads; those
 * callbacks only change fields under b->mu, queue an event and write one byte
 * to a pipe the loop watches (docs/architecture.md says why).
 */
#include "share_nats_int.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the bridge ---- */

static void on_pipe(int fd, short revents, void *ud)
{
    struct nbridge *b = ud;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&b->mu);
    struct nbr_event *ev = b->head;
    b->head = NULL;
    b->tail = &b->head;
    pthread_mutex_unlock(&b->mu);
    while (ev != NULL) {
        struct nbr_event *next = ev->next;
        b->handler(ev, b->ud);
        free(ev->text);
        free(ev->user);
        free(ev->reply);
        free(ev);
        ev = next;
    }
}

void nbr_post_locked(struct nbridge *b, struct nbr_event *ev)
{
    ev->next = NULL;
    bool was_empty = b->head == NULL;
    *b->tail = ev;
    b->tail = &ev->next;
    if (was_empty) {
        ssize_t n = write(b->pipe[1], "x", 1);
        (void)n; /* a full pipe already wakes the loop */
    }
}

void nbr_post(struct nbridge *b, struct nbr_event *ev)
{
    pthread_mutex_lock(&b->mu);
    nbr_post_locked(b, ev);
    pthread_mutex_unlock(&b->mu);
}

struct nbr_event *nbr_line_event(const char *data, size_t len)
{
    struct nbr_event *ev = xcalloc(1, sizeof *ev);
    ev->kind = NBR_LINE;
    ev->text = xstrndup(data, len);
    ev->len = len;
    return ev;
}

void nbr_wait(struct nbridge *b, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&b->cond, &b->mu, &ts);
}

void nbr_set_error(struct nbridge *b, char *text)
{
    free(b->error);
    b->error = text;
}

/* ---- libnats' connection callbacks (its threads) ---- */

static void link_down(natsConnection *nc, void *closure)
{
    struct nbridge *b = closure;
    pthread_mutex_lock(&b->mu);
    if (b->up) {
        b->up = false;
        b->down_since_ms = clock_wall_ms();
        struct nbr_event *ev = xcalloc(1, sizeof *ev);
        ev->kind = NBR_LINK;
        ev->since_ms = b->down_since_ms;
        nbr_post_locked(b, ev);
    }
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static void link_up(natsConnection *nc, void *closure)
{
    struct nbridge *b = closure;
    pthread_mutex_lock(&b->mu);
    b->reconnects++;
    if (!b->up) {
        b->up = true;
        struct nbr_event *ev = xcalloc(1, sizeof *ev);
        ev->kind = NBR_LINK;
        ev->up = true;
        ev->since_ms = b->down_since_ms;
        nbr_post_locked(b, ev);
    }
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static void link_closed(natsConnection *nc, void *closure)
{
    struct nbridge *b = closure;
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static void link_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    struct nbridge *b = closure;
    const char *text = NULL;
    natsConnection_GetLastError(nc, &text);
    pthread_mutex_lock(&b->mu);
    if (err == NATS_MISSED_HEARTBEAT) {
        b->reconnects++; /* the follower asks again from its last seq */
    } else {
        nbr_set_error(b, xasprintf("%s", text != NULL && *text ? text : natsStatus_GetText(err)));
    }
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static void sub_done(void *closure)
{
    struct nbridge *b = closure;
    pthread_mutex_lock(&b->mu);
    b->live_subs--;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

void nbr_track_sub(struct nbridge *b, natsSubscription *sub)
{
    pthread_mutex_lock(&b->mu);
    if (natsSubscription_SetOnCompleteCB(sub, sub_done, b) == NATS_OK) {
        b->live_subs++;
    }
    pthread_mutex_unlock(&b->mu);
}

/* ---- options and credentials ---- */

static char *env_of(const char *prefix, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "%s_%s", prefix, what);
    const char *v = getenv(name);
    return v != NULL && *v ? xstrdup(v) : NULL;
}

/* A file of "key = value" lines (user, password, token); 0600 or stricter. */
static bool read_secret_file(struct nbridge *b, const char *path, char **cause)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        *cause = xasprintf("NATS credentials %s: %s", path, strerror(errno));
        if (f != NULL) {
            fclose(f);
        }
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool jwt = false;
    while (getline(&line, &cap, f) >= 0) {
        if (strstr(line, "BEGIN NATS USER JWT") != NULL) {
            jwt = true;
            break;
        }
        char *eq = strchr(line, '=');
        if (eq == NULL || str_trim(line)[0] == '#') {
            continue;
        }
        *eq = '\0';
        char *key = str_trim(line), *val = str_trim(eq + 1);
        char **slot = strcmp(key, "user") == 0       ? &b->user
                      : strcmp(key, "password") == 0 ? &b->password
                      : strcmp(key, "token") == 0    ? &b->token
                                                     : NULL;
        if (slot != NULL && *slot == NULL && *val) {
            *slot = xstrdup(val);
        }
    }
    free(line);
    fclose(f);
    if ((st.st_mode & 077) != 0) {
        *cause = xasprintf("NATS credentials %s can be read by others (mode %03o): chmod 600 it",
                           path, (unsigned)(st.st_mode & 0777));
        return false;
    }
    if (jwt) {
        b->creds = xstrdup(path);
    } else if (b->password == NULL && b->token == NULL) {
        *cause = xasprintf(
            "NATS credentials %s: no .creds JWT, no \"password =\" or \"token =\" line", path);
        return false;
    }
    return true;
}

bool nbr_init(struct nbridge *b, struct loop *loop, const struct share_nats_opts *o,
              const char *run_id, const char *role, nbr_handler handler, void *ud, char **cause)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cond, &ca);
    pthread_condattr_destroy(&ca);
    b->pipe[0] = b->pipe[1] = -1;
    b->tail = &b->head;
    b->loop = loop;
    b->handler = handler;
    b->ud = ud;
    b->down_since_ms = clock_wall_ms();
    if (o == NULL || o->url == NULL || *o->url == '\0') {
        *cause = xstrdup("NATS: no server URL ([share] nats = nats://host:4222)");
        return false;
    }
    if (strchr(o->url, '@') != NULL) {
        *cause = xstrdup("NATS: credentials do not belong in the URL: use a credentials file "
                         "or the environment (docs/war-room.md)");
        return false;
    }
    if (run_id == NULL || *run_id == '\0' || strpbrk(run_id, ".*> \t") != NULL) {
        *cause = xasprintf("NATS: run id \"%s\" cannot be a subject token", run_id ? run_id : "");
        return false;
    }
    b->url = xstrdup(o->url);
    b->run = xstrdup(run_id);
    b->stream = xstrdup(o->stream != NULL ? o->stream : "OPSDECK_RUNS");
    b->prefix = xstrdup(o->prefix != NULL ? o->prefix : "opsdeck");
    b->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
    b->name = xasprintf("opsdeck %s %s", role, run_id);
    if (o->creds_file != NULL) {
        if (!read_secret_file(b, o->creds_file, cause)) {
            return false;
        }
    } else {
        const char *pfx = o->env_prefix != NULL ? o->env_prefix : "OPSDECK_NATS";
        b->user = env_of(pfx, "USER");
        b->password = env_of(pfx, "PASSWORD");
        b->token = env_of(pfx, "TOKEN");
    }
    b->as = o->user != NULL ? xstrdup(o->user) : b->user != NULL ? xstrdup(b->user) : NULL;
    if (b->as != NULL && strpbrk(b->as, ".*> \t") != NULL) {
        *cause = xasprintf("NATS user \"%s\" cannot be a subject token", b->as);
        return false;
    }
    if (pipe(b->pipe) != 0) {
        *cause = xasprintf("pipe: %s", strerror(errno));
        return false;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(b->pipe[i], F_SETFL, fcntl(b->pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(b->pipe[i], F_SETFD, FD_CLOEXEC);
    }
    b->watch = loop_watch_fd(loop, b->pipe[0], POLLIN, on_pipe, b);
    return true;
}

bool nbr_start(struct nbridge *b, void *(*worker)(void *), void *arg, char **cause)
{
    int err = pthread_create(&b->worker, NULL, worker, arg);
    if (err != 0) {
        *cause = xasprintf("NATS worker thread: %s", strerror(err));
        return false;
    }
    b->worker_started = true;
    return true;
}

void nbr_fini(struct nbridge *b)
{
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    natsConnection *nc = b->nc;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
    if (nc != NULL) {
        natsConnection_Close(nc); /* a publish or request in the worker returns at once */
    }
    if (b->worker_started) {
        pthread_join(b->worker, NULL);
    }
    if (b->nc != NULL) {
        natsConnection_Close(b->nc); /* closes every subscription too */
        pthread_mutex_lock(&b->mu);
        for (int i = 0; i < 30 && (!b->closed || b->live_subs > 0); i++) {
            nbr_wait(b, 100); /* until no handler of ours can run any more */
        }
        pthread_mutex_unlock(&b->mu);
        jsCtx_Destroy(b->js);
        natsConnection_Destroy(b->nc);
    }
    if (b->watch != NULL) {
        loop_unwatch(b->loop, b->watch);
    }
    for (int i = 0; i < 2; i++) {
        if (b->pipe[i] >= 0) {
            close(b->pipe[i]);
        }
    }
    for (struct nbr_event *ev = b->head, *next; ev != NULL; ev = next) {
        next = ev->next;
        free(ev->text);
        free(ev->user);
        free(ev->reply);
        free(ev);
    }
    free(b->url), free(b->user), free(b->as), free(b->password), free(b->token), free(b->creds);
    free(b->stream), free(b->prefix), free(b->run), free(b->name), free(b->error);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->mu);
}

/* ---- connecting ---- */

char *nbr_status_text(const struct nbridge *b, const char *what, natsStatus s)
{
    natsStatus ls = NATS_OK;
    const char *last = nats_GetLastError(&ls);
    if (last != NULL && *last && ls == s) {
        return xasprintf("NATS at %s: %s (%s)", b->url, what, last);
    }
    return xasprintf("NATS at %s: %s (%s)", b->url, what, natsStatus_GetText(s));
}

bool nbr_dial(struct nbridge *b, bool *transient, char **cause)
{
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) {
        natsOptions_SetURL(opts, b->url);
        natsOptions_SetName(opts, b->name);
        natsOptions_SetTimeout(opts, b->timeout_ms);
        natsOptions_SetAllowReconnect(opts, true);
        natsOptions_SetMaxReconnect(opts, -1);
        natsOptions_SetReconnectWait(opts, 250);
        natsOptions_SetPingInterval(opts, 10000);
        natsOptions_SetMaxPingsOut(opts, 2);
        natsOptions_SetDisconnectedCB(opts, link_down, b);
        natsOptions_SetReconnectedCB(opts, link_up, b);
        natsOptions_SetClosedCB(opts, link_closed, b);
        natsOptions_SetErrorHandler(opts, link_error, b);
        if (b->creds != NULL) {
            s = natsOptions_SetUserCredentialsFromFiles(opts, b->creds, NULL);
        } else if (b->token != NULL) {
            s = natsOptions_SetToken(opts, b->token);
        } else if (b->user != NULL && b->password != NULL) {
            s = natsOptions_SetUserInfo(opts, b->user, b->password);
        }
    }
    if (s == NATS_OK) {
        s = natsConnection_Connect(&nc, opts);
    }
    natsOptions_Destroy(opts);
    *transient = s == NATS_NO_SERVER || s == NATS_TIMEOUT || s == NATS_IO_ERROR;
    if (s != NATS_OK) {
        const char *what = s == NATS_NO_SERVER ? "no server answers (connection refused?)"
                           : s == NATS_TIMEOUT ? "no answer in time"
                           : s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED
                               ? "the server refused the credentials"
                               : "cannot connect";
        *cause = nbr_status_text(b, what, s);
        if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
            char *full = xasprintf("%s; user %s from %s", *cause, b->user ? b->user : "(none)",
                                   b->creds ? b->creds : "the environment or credentials file");
            free(*cause);
            *cause = full;
        }
        return false;
    }
    s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK) {
        *cause = nbr_status_text(b, "no JetStream context", s);
        natsConnection_Destroy(nc);
        return false;
    }
    pthread_mutex_lock(&b->mu);
    b->nc = nc;
    b->js = js;
    b->up = true;
    b->closed = false;
    pthread_mutex_unlock(&b->mu);
    return true;
}

bool nbr_stream(struct nbridge *b, bool create, char **cause)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, b->stream, NULL, &jerr);
    if (s == NATS_NOT_FOUND && create) {
        char *subj = nbr_subject(b, "run", ">");
        const char *subjects[] = {subj};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = b->stream;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        s = js_AddStream(&si, b->js, &cfg, NULL, &jerr);
        free(subj);
    }
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK || (s == NATS_NOT_FOUND && !create)) {
        return true; /* a follower of a run not yet published waits for it */
    }
    if (s == NATS_NO_RESPONDERS || jerr == JSNotEnabledErr || jerr == JSNotEnabledForAccountErr) {
        *cause = xasprintf("NATS at %s has no JetStream: start nats-server with -js, or give "
                           "its config a jetstream {} block (docs/war-room.md)",
                           b->url);
    } else if (s == NATS_TIMEOUT) {
        *cause = xasprintf("NATS at %s: no answer about stream %s (no JetStream, or the user "
                           "may not use $JS.API: see docs/war-room.md)",
                           b->url, b->stream);
    } else {
        char *what = xasprintf("stream %s%s", b->stream, create ? " cannot be created" : "");
        *cause = nbr_status_text(b, what, s);
        free(what);
    }
    return false;
}

char *nbr_subject(const struct nbridge *b, const char *kind, const char *tail)
{
    if (strcmp(kind, "run") == 0 && strcmp(tail, ">") == 0) {
        return xasprintf("%s.run.>", b->prefix);
    }
    return xasprintf("%s.%s.%s.%s", b->prefix, kind, b->run, tail);
}

bool nbr_msg_seq(natsMsg *msg, uint64_t *seq)
{
    const char *id = NULL;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == NULL) {
        return false;
    }
    const char *colon = strrchr(id, ':');
    if (colon == NULL || colon[1] < '0' || colon[1] > '9') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *seq = (uint64_t)v;
    return true;
}
