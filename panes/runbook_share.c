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

static bool on_apply(void *ud, const struct share_peer *peer, enum share_op op, const cJSON *req,
                     char **cause)
{
    struct rbpane *p = ud;
    p->dirty = true;
    return owner_apply(&p->own, peer, op, req, cause);
}

static void on_presence(void *ud, const struct share_peer *peer, bool joined, const char *reason)
{
    struct rbpane *p = ud;
    owner_presence(&p->own, peer, joined, reason);
    p->dirty = true;
}

static void owner_changed(void *ud)
{
    ((struct rbpane *)ud)->dirty = true;
}

static bool run_apply_any(void *run, enum share_op op, const cJSON *args, char **cause)
{
    return run_apply(run, op, args, cause);
}

static bool run_record_any(void *run, const char *action, cJSON *data, char **cause)
{
    return run_record(run, action, data, cause);
}

static void run_actor_any(void *run, const char *user, const char *host)
{
    run_set_actor(run, user, host);
}

static const struct pane_owner_ops run_owner = {
    .apply = run_apply_any,
    .record = run_record_any,
    .actor = run_actor_any,
};

static const struct share_owner_ops owner_ops = {
    .kind = "runbook",
    .doc = owner_doc,
    .history = owner_history,
    .apply = on_apply,
    .presence = on_presence,
    .changed = owner_changed,
};

bool rbpane_share(struct rbpane *p, struct loop *loop, const struct pane_share *how, char **cause)
{
    if (p->run == NULL || p->own.server != NULL) {
        return p->own.server != NULL;
    }
    const struct runbook *rb = runview_runbook(p->view);
    char *src = NULL;
    FILE *f = rb->path != NULL ? fopen(rb->path, "re") : NULL;
    if (f != NULL) {
        struct strbuf sb = {0};
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            strbuf_add(&sb, buf, n);
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
    p->own = (struct pane_owner){.ops = &run_owner, .run = p->run, .host = &p->host};
    p->own.server = share_server_create(loop, how->dir, run_id(p->run), rb->title,
                                        how->participants, &owner_ops, p, cause);
    if (p->own.server == NULL) {
        free(p->share_src);
        p->share_src = NULL;
        return false;
    }
    char *why = NULL;
    if (how->nats != NULL &&
        !share_server_nats(p->own.server, how->nats, run_journal(p->run), &why)) {
        /* this host's followers still have the run: say what NATS said */
        char *m = xasprintf("shared on this host only: NATS: %s", why != NULL ? why : "?");
        say(p, true, m);
        free(m);
        free(why);
    }
    run_subscribe(p->run, share_server_event, p->own.server);
    owner_arrive(&p->own, run_crew(p->run));
    return true;
}

void rbpane_unshare(struct rbpane *p, const char *reason)
{
    if (p->own.server == NULL) {
        return;
    }
    run_unsubscribe(p->run, share_server_event, p->own.server);
    share_server_destroy(p->own.server, reason);
    p->own.server = NULL;
    free(p->share_src);
    p->share_src = NULL;
}

/* ---- one path for every request ---- */

bool rbpane_do(struct rbpane *p, enum share_op op, cJSON *args)
{
    p->dirty = true;
    if (p->following) {
        return follow_request(&p->fol, op, args);
    }
    p->own.ops = &run_owner; /* shared or not, keys take this path */
    p->own.run = p->run;
    p->own.host = &p->host;
    return owner_do(&p->own, op, args);
}

bool rbpane_room(struct rbpane *p, const char *verb, const char *arg, char **cause)
{
    if (!p->following) {
        return owner_room(&p->own, verb, arg, cause);
    }
    cJSON *a = cJSON_CreateObject();
    if (strcmp(verb, "handover") == 0 && arg != NULL && arg[0] != '\0') {
        cJSON_AddStringToObject(a, "to", arg);
        return rbpane_do(p, SOP_HANDOVER, a);
    }
    if (strcmp(verb, "accept") == 0 || strcmp(verb, "decline") == 0) {
        return rbpane_do(p, verb[0] == 'a' ? SOP_ACCEPT : SOP_DECLINE, a);
    }
    cJSON_Delete(a);
    set_cause(cause, strcmp(verb, "handover") == 0 ? "usage: :handover USER"
                                                   : "only the owner's console gives roles");
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
    } else {
        owner_foot(&p->own, buf, len);
    }
}
