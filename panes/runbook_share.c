/*
 * The runbook pane in a war room (engine/share.h, docs/war-room.md).
 *
 * The owner: rbpane_share() listens for followers; their requests and the
 * owner's own keys take one path, rbpane_do() -> run_apply(), under the
 * name of whoever asked. While someone else drives, the owner's console may
 * not drive (it says who does).
 *
 * A follower: runbook_pane_join() connects and builds its view from the
 * owner's stream alone (the document comes in "hello"); its keys become
 * requests, the owner's replies come back to the status line. When the
 * stream ends without a goodbye the owner is gone: the pane says so, keeps
 * what it showed, and tries to join again every second, so that it follows
 * whoever takes the run over (:takeover).
 */
#include "rbpane.h"

#include "../common/json.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/crew.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct rbpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

/* ---- the owner ---- */

static struct cJSON *owner_doc(void *ud, enum share_role role)
{
    struct rbpane *p = ud;
    (void)role; /* a runbook has nothing to hide */
    const struct runbook *rb = runview_runbook(p->view);
    cJSON *d = cJSON_CreateObject();
    json_add_str(d, "path", rb->path);
    json_add_str(d, "source", p->share_src);
    return d;
}

static bool owner_history(void *ud, runlog_event_cb cb, void *cbud, char **cause)
{
    struct rbpane *p = ud;
    return run_history(p->run, cb, cbud, cause);
}

static bool owner_apply(void *ud, const struct share_peer *peer, enum share_op op, const cJSON *req,
                        char **cause)
{
    struct rbpane *p = ud;
    run_set_actor(p->run, peer->user, peer->host);
    bool ok = run_apply(p->run, op, req, cause);
    run_set_actor(p->run, NULL, NULL);
    p->dirty = true;
    if (ok && op == SOP_HANDOVER) {
        const char *to = json_str(req, "to");
        if (to != NULL && strcmp(to, whoami_user()) == 0) {
            char *m = xasprintf("%s hands control back to you: :accept takes it", peer->user);
            say(p, false, m);
            free(m);
        }
    }
    return ok;
}

static void owner_presence(void *ud, const struct share_peer *peer, bool joined, const char *reason)
{
    struct rbpane *p = ud;
    cJSON *d = cJSON_CreateObject();
    if (joined) {
        cJSON_AddStringToObject(d, "role", share_role_name(peer->role));
        cJSON_AddStringToObject(d, "via", "unix");
    } else {
        cJSON_AddStringToObject(d, "reason", reason != NULL ? reason : "left");
    }
    run_set_actor(p->run, peer->user, peer->host);
    char *cause = NULL;
    if (!run_record(p->run, joined ? "join" : "leave", d, &cause)) {
        say(p, true, cause);
    }
    free(cause);
    run_set_actor(p->run, NULL, NULL);
    if (p->server != NULL) { /* not the owner's own join */
        char *m = xasprintf("%s %s (%s)", peer->user, joined ? "joined" : "left",
                            joined ? share_role_name(peer->role) : (reason ? reason : "left"));
        say(p, false, m);
        free(m);
    }
    p->dirty = true;
}

static void owner_changed(void *ud)
{
    ((struct rbpane *)ud)->dirty = true;
}

static const struct share_owner_ops owner_ops = {
    .kind = "runbook",
    .doc = owner_doc,
    .history = owner_history,
    .apply = owner_apply,
    .presence = owner_presence,
    .changed = owner_changed,
};

bool rbpane_share(struct rbpane *p, struct loop *loop, const struct pane_share *how, char **cause)
{
    if (p->run == NULL || p->server != NULL) {
        return p->server != NULL;
    }
    const struct runbook *rb = runview_runbook(p->view);
    size_t len = 0;
    char *src = NULL;
    FILE *f = rb->path != NULL ? fopen(rb->path, "re") : NULL;
    if (f != NULL) {
        struct strbuf sb = {0};
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            strbuf_add(&sb, buf, n);
            len += n;
        }
        fclose(f);
        src = sb.s;
    }
    if (src == NULL) {
        if (cause != NULL) {
            *cause = xasprintf("cannot share: %s cannot be read again", rb->path ? rb->path : "?");
        }
        return false;
    }
    p->share_src = src;
    p->server = share_server_create(loop, how->dir, run_id(p->run), rb->title, how->participants,
                                    &owner_ops, p, cause);
    if (p->server == NULL) {
        free(p->share_src);
        p->share_src = NULL;
        return false;
    }
    if (how->nats != NULL && !share_server_nats(p->server, how->nats, run_journal(p->run), cause)) {
        rbpane_unshare(p, "not shared over NATS");
        return false;
    }
    run_subscribe(p->run, share_server_event, p->server);
    /* a run taken over: whoever its journal has present followed the owner that died */
    const struct crew *c = run_crew(p->run);
    size_t n = c != NULL ? c->npeople : 0;
    char **gone = xcalloc(n + 1, sizeof *gone);
    for (size_t i = 0; i < n; i++) {
        gone[i] = c->people[i].present ? xstrdup(c->people[i].user) : NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (gone[i] != NULL) {
            struct share_peer was = {.user = gone[i], .host = NULL};
            owner_presence(p, &was, false, "gone");
            free(gone[i]);
        }
    }
    free(gone);
    struct share_peer me = {.user = whoami_user(), .host = whoami_host(), .role = SHARE_DRIVER};
    owner_presence(p, &me, true, NULL);
    return true;
}

void rbpane_unshare(struct rbpane *p, const char *reason)
{
    if (p->server == NULL) {
        return;
    }
    run_unsubscribe(p->run, share_server_event, p->server);
    share_server_destroy(p->server, reason);
    p->server = NULL;
    free(p->share_src);
    p->share_src = NULL;
}

/* ---- one path for every request ---- */

bool rbpane_do(struct rbpane *p, enum share_op op, cJSON *args)
{
    if (p->following) {
        return follow_request(&p->fol, op, args);
    }
    const char *driver = p->server != NULL ? share_server_driver(p->server) : NULL;
    if (driver != NULL && share_op_role(op) == SHARE_DRIVER) {
        char *m = xasprintf("%s drives now (handed over): ask them, or they hand back", driver);
        say(p, true, m);
        free(m);
        cJSON_Delete(args);
        return false;
    }
    char *cause = NULL;
    bool ok = run_apply(p->run, op, args, &cause);
    cJSON_Delete(args);
    p->dirty = true;
    return pane_check(&p->host, ok, &cause);
}

bool rbpane_room(struct rbpane *p, const char *verb, const char *arg, char **cause)
{
    cJSON *a = cJSON_CreateObject();
    if (strcmp(verb, "handover") == 0) {
        if (arg == NULL || arg[0] == '\0') {
            cJSON_Delete(a);
            set_cause(cause, "usage: :handover USER");
            return false;
        }
        cJSON_AddStringToObject(a, "to", arg);
        if (p->server != NULL) {
            cJSON_Delete(a);
            if (!share_server_offer(p->server, arg, cause)) {
                return false;
            }
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "to", arg);
            return run_apply(p->run, SOP_HANDOVER, d, cause) || (cJSON_Delete(d), false);
        }
        return rbpane_do(p, SOP_HANDOVER, a);
    }
    if (strcmp(verb, "accept") == 0 || strcmp(verb, "decline") == 0) {
        bool accept = verb[0] == 'a';
        if (p->server != NULL) {
            const char *was = share_server_driver(p->server);
            char *from = was != NULL ? xstrdup(was) : NULL;
            bool ok = accept ? share_server_take_back(p->server, cause)
                             : share_server_offer(p->server, NULL, cause);
            if (ok && from != NULL) {
                cJSON_AddStringToObject(a, "from", from);
            }
            free(from);
            ok = ok && run_apply(p->run, accept ? SOP_ACCEPT : SOP_DECLINE, a, cause);
            cJSON_Delete(a);
            return ok;
        }
        return rbpane_do(p, accept ? SOP_ACCEPT : SOP_DECLINE, a);
    }
    if (strcmp(verb, "role") == 0) {
        cJSON_Delete(a);
        char user[128], role[32];
        enum share_role r;
        if (arg == NULL || sscanf(arg, "%127s %31s", user, role) != 2 ||
            !share_role_parse(role, &r)) {
            set_cause(cause, "usage: :role USER observer|participant");
            return false;
        }
        if (p->server == NULL) {
            set_cause(cause, "only the owner's console gives roles");
            return false;
        }
        if (!share_server_set_role(p->server, user, r, cause)) {
            return false;
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "user", user);
        cJSON_AddStringToObject(d, "role", role);
        return run_record(p->run, "role", d, cause);
    }
    cJSON_Delete(a);
    set_cause(cause, "not a war-room command here");
    return false;
}

/* ---- a follower ---- */

static void follower_event(void *ud, const struct runlog_event *ev)
{
    struct rbpane *p = ud;
    follow_keep(&p->fol, ev);
    if (p->view != NULL) {
        runview_apply(ev, p->view);
        p->dirty = true;
    }
}

/* "hello": the document; the view starts over (the history follows) */
static void hello(struct rbpane *p, const cJSON *msg)
{
    const cJSON *doc = json_obj(msg, "doc");
    const char *src = json_str(doc, "source");
    const char *path = json_str(doc, "path");
    char *cause = NULL;
    struct runbook *rb =
        src != NULL ? runbook_parse(src, strlen(src), path != NULL ? path : "shared", &cause)
                    : NULL;
    if (rb == NULL) {
        char *m = xasprintf("the owner sent no runbook I can read: %s",
                            cause != NULL ? cause : "no document");
        say(p, true, m);
        free(m);
        free(cause);
        return;
    }
    runview_destroy(p->view);
    runbook_free(p->rb);
    p->rb = rb;
    p->view = runview_create(rb, NULL);
    follow_replay(&p->fol, runview_apply, p->view); /* over NATS: what came before it */
    p->shown_step = (size_t)-1;
}

static void follower_message(void *ud, const char *type, const cJSON *msg)
{
    struct rbpane *p = ud;
    if (strcmp(type, "hello") == 0) {
        hello(p, msg);
    }
    follow_message(&p->fol, type, msg);
    p->dirty = true;
}

static void follower_closed(void *ud, bool bye, const char *why)
{
    struct rbpane *p = ud;
    follow_closed(&p->fol, bye, why);
    p->dirty = true;
}

static const struct share_follow_hooks follow_hooks = {
    .event = follower_event,
    .message = follower_message,
    .closed = follower_closed,
};

bool rbpane_join(struct rbpane *p, struct loop *loop, const struct pane_share *how, const char *id,
                 char **cause)
{
    p->following = true;
    return follow_start(&p->fol, loop, how, id, &p->host, &follow_hooks, p, cause);
}

const char *rbpane_gone(const struct rbpane *p)
{
    return p->following ? follow_gone(&p->fol) : NULL;
}

void rbpane_share_free(struct rbpane *p)
{
    rbpane_unshare(p, "the owner closed the run's pane");
    if (p->following) {
        follow_finish(&p->fol);
    }
    runbook_free(p->rb);
}

void rbpane_share_foot(const struct rbpane *p, char *buf, size_t len)
{
    buf[0] = '\0';
    if (p->following) {
        follow_foot(&p->fol, buf, len);
    } else if (p->server != NULL) {
        size_t n = 0;
        share_server_people(p->server, &n);
        const char *d = share_server_driver(p->server);
        snprintf(buf, len, " · shared: %zu joined%s%s", n, d ? " · driver: " : "", d ? d : "");
    }
}
