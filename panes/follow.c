/* A pane following another console's run: the war room's common part (follow.h). */
#include "follow.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/share_nats.h"
#include "../tui/theme.h"
#include "../tui/widgets.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REJOIN_MS = 1000 };

static void say(struct pane_follow *f, bool error, const char *text)
{
    pane_say(f->host, error, text);
}

static void set(char **slot, const char *v, const char *dflt)
{
    free(*slot);
    *slot = xstrdup(v != NULL ? v : dflt);
}

static void on_nats_line(void *ud, const char *line, size_t len)
{
    struct pane_follow *f = ud;
    char *bye = NULL;
    share_line_dispatch(line, len, f->hooks, f->ud, &bye);
    free(bye); /* the stream goes on: an owner's goodbye over NATS ends nothing here */
}

static void on_nats_link(void *ud, bool up, int64_t since_ms)
{
    struct pane_follow *f = ud;
    char t[32];
    clock_format_rfc3339(t, since_ms); /* 2026-12-04T01:02:03Z: the time is what counts */
    char *m = up ? xasprintf("nats: link back (down since %s): caught up", t)
                 : xasprintf("nats: link down since %s: the run goes on at its owner's", t);
    say(f, !up, m);
    free(m);
}

bool follow_start(struct pane_follow *f, struct loop *loop, const struct pane_share *how,
                  const char *id, const struct pane_host *host,
                  const struct share_follow_hooks *hooks, void *ud, char **cause)
{
    memset(f, 0, sizeof *f);
    f->loop = loop;
    f->dir = xstrdup(how->dir != NULL ? how->dir : "");
    f->id = xstrdup(id);
    f->host = host;
    f->hooks = hooks;
    f->ud = ud;
    if (how->nats != NULL) {
        f->nats = share_nats_follow(loop, how->nats, id, on_nats_line, on_nats_link, f, cause);
        return f->nats != NULL;
    }
    f->client = share_client_connect(loop, how->dir, id, hooks, ud, cause);
    return f->client != NULL;
}

static const char *article(enum share_role r)
{
    return r == SHARE_DRIVER ? "the" : r == SHARE_OBSERVER ? "an" : "a";
}

void follow_message(struct pane_follow *f, const char *type, const cJSON *msg)
{
    if (strcmp(type, "hello") == 0) {
        share_role_parse(json_str(msg, "role"), &f->role);
        set(&f->owner, json_str(msg, "owner"), "?");
        /* over NATS the document is everybody's: we are who NATS says, the owner decides */
        const char *nuser = getenv("OPSDECK_NATS_USER");
        set(&f->you, json_str(msg, "you"), nuser != NULL && *nuser ? nuser : whoami_user());
        set(&f->driver, json_str(msg, "driver"), f->owner);
        f->gone = false;
    } else if (strcmp(type, "reply") == 0) {
        bool ok = json_bool(msg, "ok", false);
        const char *m = json_str(msg, "message");
        say(f, !ok, ok ? "done (journaled by the owner's console)" : (m ? m : "refused"));
    } else if (strcmp(type, "presence") == 0) {
        set(&f->driver, json_str(msg, "driver"), "?");
    } else if (strcmp(type, "role") == 0) {
        share_role_parse(json_str(msg, "role"), &f->role);
        char *m = xasprintf("you are now %s %s", article(f->role), share_role_name(f->role));
        say(f, false, m);
        free(m);
    } else if (strcmp(type, "offer") == 0) {
        set(&f->offer_from, json_str(msg, "from"), "?");
        char *m = xasprintf("%s offers you control: :accept takes it, :decline not", f->offer_from);
        say(f, false, m);
        free(m);
    }
}

static void rejoin(void *ud)
{
    struct pane_follow *f = ud;
    share_client_destroy(f->dead);
    f->dead = NULL;
    if (f->client != NULL) {
        return;
    }
    f->client = share_client_connect(f->loop, f->dir, f->id, f->hooks, f->ud, NULL);
    if (f->client != NULL) {
        loop_timer_cancel(f->loop, f->rejoin);
        f->rejoin = NULL;
        say(f, false, "joined again: following the run's new owner");
    }
}

void follow_closed(struct pane_follow *f, bool bye, const char *why)
{
    f->dead = f->client;
    f->client = NULL;
    char *m = bye ? xasprintf("the owner closed the shared run: %s", why ? why : "")
                  : xasprintf("owner gone (%s's console: %s): :takeover takes the run over",
                              f->owner ? f->owner : "?", why ? why : "closed");
    say(f, !bye, m);
    free(m);
    f->gone = !bye;
    f->closed = bye;
    if (!bye && f->rejoin == NULL) {
        f->rejoin = loop_timer_add(f->loop, REJOIN_MS, REJOIN_MS, rejoin, f);
    }
}

void follow_keep(struct pane_follow *f, const struct runlog_event *ev)
{
    if (f->nats != NULL && !ev->live && ev->obj != NULL) {
        f->lines = xreallocarray(f->lines, f->nlines + 1, sizeof *f->lines);
        f->lines[f->nlines++] = cJSON_Duplicate(ev->obj, true);
    }
}

void follow_replay(const struct pane_follow *f, runlog_event_cb cb, void *ud)
{
    for (size_t i = 0; i < f->nlines; i++) {
        struct runlog_event ev;
        if (runlog_event_parse(f->lines[i], &ev)) {
            cb(&ev, ud);
        }
    }
}

bool follow_allowed(struct pane_follow *f, enum share_op op)
{
    if (f->client == NULL && f->nats == NULL) {
        say(f, true,
            f->gone ? "the owner is gone: :takeover takes the run over" : "the run is closed");
        return false;
    }
    if (f->role >= share_op_role(op)) {
        return true;
    }
    char *m = f->role == SHARE_OBSERVER
                  ? xasprintf("you are an observer: you see everything and act on nothing "
                              "(%s may make you a participant)",
                              f->driver ? f->driver : "the driver")
                  : xasprintf("only the driver (%s) may do that", f->driver ? f->driver : "?");
    say(f, true, m);
    free(m);
    return false;
}

bool follow_request(struct pane_follow *f, enum share_op op, cJSON *args)
{
    if (!follow_allowed(f, op)) {
        cJSON_Delete(args);
        return false;
    }
    if (op == SOP_ACCEPT || op == SOP_DECLINE) {
        json_add_str(args, "from", f->offer_from);
    }
    char *cause = NULL;
    bool ok;
    if (f->nats != NULL) {
        char *line = share_request_line(++f->next_id, op, args);
        ok = share_nats_request(f->nats, line, strlen(line), &cause);
        free(line);
    } else {
        ok = share_client_request(f->client, op, args, &cause) != 0;
    }
    if (ok) {
        say(f, false, "sent to the owner's console...");
    }
    return pane_check(f->host, ok, &cause);
}

void follow_foot(const struct pane_follow *f, char *buf, size_t len)
{
    if (f->gone) {
        snprintf(buf, len, " · OWNER GONE: :takeover");
    } else if (f->closed) {
        snprintf(buf, len, " · closed by its owner");
    } else {
        snprintf(buf, len, " · %s's%s · you: %s · driver: %s", f->owner ? f->owner : "?",
                 f->nats != NULL ? " over NATS" : "", share_role_name(f->role),
                 f->driver ? f->driver : "?");
    }
}

const char *follow_gone(const struct pane_follow *f)
{
    return f->gone ? f->id : NULL;
}

void follow_draw_joining(const struct pane_follow *f, WINDOW *win, bool focused, bool utf8,
                         const char *noun)
{
    werase(win);
    const struct glyphs *g = screen_glyphs(utf8);
    screen_box(win, g, theme_attr(focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    char line[200];
    snprintf(line, sizeof line, "joining %s %s...", noun, f->id != NULL ? f->id : "");
    screen_put(win, 1, 2, getmaxx(win) - 4, line, theme_attr(THEME_MUTED), g);
    wnoutrefresh(win);
}

void follow_finish(struct pane_follow *f)
{
    if (f->rejoin != NULL) {
        loop_timer_cancel(f->loop, f->rejoin);
    }
    share_client_destroy(f->client);
    share_client_destroy(f->dead);
    share_nats_unfollow(f->nats);
    for (size_t i = 0; i < f->nlines; i++) {
        cJSON_Delete(f->lines[i]);
    }
    free(f->lines);
    free(f->dir);
    free(f->id);
    free(f->owner);
    free(f->driver);
    free(f->you);
    free(f->offer_from);
    memset(f, 0, sizeof *f);
}
