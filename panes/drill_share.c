/*
 * The drill pane in a war room (engine/share.h, docs/war-room.md).
 *
 * The facilitator: dpane_share() listens; each follower gets the document
 * and lines its role may see (engine/drill_public.h: a participant's process
 * never receives an inject before it fires, nor the scoring key), and when
 * an inject fires every follower starts over with its new document. Keys
 * and requests take one path, dpane_do() -> game_apply().
 *
 * A follower: dpane_join(); the drill is built from the owner's document and
 * the view from its lines, settled on the document's state and clock once
 * the history is told ("synced").
 */
#include "dpane.h"

#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/crew.h"
#include "../engine/drill_public.h"
#include "../engine/game.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct dpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

/* ---- the facilitator ---- */

static cJSON *owner_doc(void *ud, enum share_role role)
{
    struct dpane *p = ud;
    return drill_public_doc(game_drill(p->g), role, p->view);
}

static cJSON *owner_line(void *ud, enum share_role role, const struct runlog_event *ev)
{
    struct dpane *p = ud;
    return drill_public_line(game_drill(p->g), role, ev);
}

static bool owner_history(void *ud, runlog_event_cb cb, void *cbud, char **cause)
{
    struct dpane *p = ud;
    return game_history(p->g, cb, cbud, cause);
}

static bool on_apply(void *ud, const struct share_peer *peer, enum share_op op, const cJSON *req,
                     char **cause)
{
    struct dpane *p = ud;
    p->dirty = true;
    return owner_apply(&p->own, peer, op, req, cause);
}

static void on_presence(void *ud, const struct share_peer *peer, bool joined, const char *reason)
{
    struct dpane *p = ud;
    owner_presence(&p->own, peer, joined, reason);
    p->dirty = true;
}

static void owner_changed(void *ud)
{
    ((struct dpane *)ud)->dirty = true;
}

static bool game_apply_any(void *g, enum share_op op, const cJSON *args, char **cause)
{
    return game_apply(g, op, args, cause);
}

static bool game_record_any(void *g, const char *action, cJSON *data, char **cause)
{
    return game_record(g, action, data, cause);
}

static void game_actor_any(void *g, const char *user, const char *host)
{
    game_set_actor(g, user, host);
}

static const struct pane_owner_ops game_owner = {
    .apply = game_apply_any,
    .record = game_record_any,
    .actor = game_actor_any,
};

static const struct share_owner_ops owner_ops = {
    .kind = "drill",
    .doc = owner_doc,
    .line = owner_line,
    .history = owner_history,
    .apply = on_apply,
    .presence = on_presence,
    .changed = owner_changed,
};

/* Every event goes out as each role may see it; a fired inject changes the documents. */
static void owner_event(const struct runlog_event *ev, void *ud)
{
    struct dpane *p = ud;
    share_server_event(ev, p->own.server);
    if (!ev->live && ev->kind == RL_INJECT_FIRE) {
        share_server_doc_changed(p->own.server);
    }
}

bool dpane_share(struct dpane *p, struct loop *loop, const struct pane_share *how, char **cause)
{
    if (p->g == NULL || p->own.server != NULL) {
        return true;
    }
    p->own = (struct pane_owner){.ops = &game_owner, .run = p->g, .host = &p->host};
    p->own.server = share_server_create(loop, how->dir, game_run_id(p->g), game_drill(p->g)->title,
                                        how->participants, &owner_ops, p, cause);
    if (p->own.server == NULL) {
        return false;
    }
    char *why = NULL;
    if (how->nats != NULL &&
        !share_server_nats(p->own.server, how->nats, game_journal(p->g), &why)) {
        /* this host's followers still have the drill: say what NATS said */
        char *m = xasprintf("shared on this host only: NATS: %s", why != NULL ? why : "?");
        say(p, true, m);
        free(m);
        free(why);
    }
    game_subscribe(p->g, owner_event, p);
    owner_arrive(&p->own, drillview_crew(p->view));
    return true;
}

bool dpane_do(struct dpane *p, enum share_op op, cJSON *args)
{
    p->dirty = true;
    if (p->following) {
        return follow_request(&p->fol, op, args);
    }
    p->own.ops = &game_owner; /* shared or not, keys take this path */
    p->own.run = p->g;
    p->own.host = &p->host;
    return owner_do(&p->own, op, args);
}

bool dpane_room(struct dpane *p, const char *verb, const char *arg, char **cause)
{
    if (!p->following) {
        return owner_room(&p->own, verb, arg, cause);
    }
    cJSON *a = cJSON_CreateObject();
    if (strcmp(verb, "handover") == 0 && arg != NULL && arg[0] != '\0') {
        cJSON_AddStringToObject(a, "to", arg);
        return follow_request(&p->fol, SOP_HANDOVER, a);
    }
    if (strcmp(verb, "accept") == 0 || strcmp(verb, "decline") == 0) {
        return follow_request(&p->fol, verb[0] == 'a' ? SOP_ACCEPT : SOP_DECLINE, a);
    }
    cJSON_Delete(a);
    set_cause(cause, strcmp(verb, "handover") == 0 ? "usage: :handover USER"
                                                   : "only the owner's console gives roles");
    return false;
}

/* ---- a follower ---- */

static void follower_event(void *ud, const struct runlog_event *ev)
{
    struct dpane *p = ud;
    follow_keep(&p->fol, ev);
    if (p->view != NULL) {
        drillview_apply(ev, p->view);
        p->dirty = true;
    }
}

/* "hello": a new document; the view starts over (the history follows, then "synced") */
static void hello(struct dpane *p, const cJSON *msg)
{
    char *cause = NULL;
    struct drill *d = drill_from_public(json_obj(msg, "doc"), &cause);
    if (d == NULL) {
        char *m = xasprintf("the owner sent no drill I can read: %s", cause ? cause : "?");
        say(p, true, m);
        free(m);
        free(cause);
        return;
    }
    drillview_destroy(p->view);
    drill_free(p->doc);
    p->doc = d;
    p->view = drillview_create(d, NULL, NULL);
    free(p->said);
    p->said = xcalloc(d->ninjects + 1, sizeof *p->said);
    cJSON_Delete(p->hello);
    p->hello = cJSON_Duplicate(msg, true);
    if (p->fol.nats != NULL) { /* over NATS the lines came first: replay, then as of the doc */
        follow_replay(&p->fol, drillview_apply, p->view);
        drill_public_settle(json_obj(msg, "doc"), p->view);
    }
    if (p->sel >= d->ninjects) {
        p->sel = d->ninjects > 0 ? d->ninjects - 1 : 0;
    }
    p->esel = 0;
}

static void follower_message(void *ud, const char *type, const cJSON *msg)
{
    struct dpane *p = ud;
    if (strcmp(type, "hello") == 0) {
        hello(p, msg);
    } else if (strcmp(type, "synced") == 0 && p->view != NULL && p->hello != NULL) {
        drill_public_settle(json_obj(p->hello, "doc"), p->view);
        /* what fired before we joined is on screen, not news */
        for (size_t i = 0; i < p->doc->ninjects; i++) {
            p->said[i] = p->said[i] || drillview_inject_state(p->view, i) == INJECT_FIRED;
        }
    }
    follow_message(&p->fol, type, msg);
    p->dirty = true;
}

static void follower_closed(void *ud, bool bye, const char *why)
{
    struct dpane *p = ud;
    follow_closed(&p->fol, bye, why);
    p->dirty = true;
}

static const struct share_follow_hooks follow_hooks = {
    .event = follower_event,
    .message = follower_message,
    .closed = follower_closed,
};

bool dpane_join(struct dpane *p, struct loop *loop, const struct pane_share *how, const char *id,
                char **cause)
{
    p->following = true;
    return follow_start(&p->fol, loop, how, id, &p->host, &follow_hooks, p, cause);
}

const char *dpane_gone(const struct dpane *p)
{
    return p->following ? follow_gone(&p->fol) : NULL;
}

void dpane_share_foot(const struct dpane *p, char *buf, size_t len)
{
    buf[0] = '\0';
    if (p->following) {
        follow_foot(&p->fol, buf, len);
    } else {
        owner_foot(&p->own, buf, len);
    }
}

void dpane_share_free(struct dpane *p)
{
    if (p->own.server != NULL) {
        game_unsubscribe(p->g, owner_event, p);
        share_server_destroy(p->own.server, "the facilitator closed the drill's pane");
        p->own.server = NULL;
    }
    if (p->following) {
        follow_finish(&p->fol);
    }
    cJSON_Delete(p->hello);
    drill_free(p->doc);
}
