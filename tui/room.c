/*
 * The console's war room (console.h; docs/war-room.md): with [share] dir in
 * the config, every run or drill this console opens is shared there (the
 * pane's share op); :join follows a run another console owns; :handover,
 * :accept, :decline and :role go to the pane in the side slot; :takeover
 * takes over a followed run whose owner is gone (the usual resume, with its
 * lock), and shares it again, so its followers join the new owner.
 */
#include "console.h"

#include "../common/json.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../engine/config.h"
#include "../engine/share.h"
#include "../engine/share_nats.h"
#include "../panes/drill.h"
#include "../panes/runbook.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *share_dir(const struct ui *ui)
{
    return ui->opts.config != NULL ? ui->opts.config->share_dir : NULL;
}

/* [share] as the panes take it; nats: filled when the config names a NATS server. */
static struct pane_share share_how(const struct ui *ui, struct share_nats_opts *nats)
{
    const struct config *c = ui->opts.config;
    struct pane_share how = {.dir = share_dir(ui),
                             .participants = c ? c->share_participants : NULL};
    if (c != NULL && c->share_nats != NULL) {
        memset(nats, 0, sizeof *nats);
        nats->url = c->share_nats;
        nats->creds_file = c->share_nats_creds;
        how.nats = nats;
    }
    return how;
}

void room_share(struct ui *ui)
{
    if (share_dir(ui) == NULL || ui->side.ops == NULL || ui->side.ops->share == NULL) {
        return;
    }
    struct share_nats_opts nats;
    struct pane_share how = share_how(ui, &nats);
    char *cause = NULL;
    if (!ui->side.ops->share(ui->side.self, ui->loop, &how, &cause)) {
        ui_say(ui, true, "not shared: %s", cause != NULL ? cause : "?");
    }
    free(cause);
}

/* The kind on run id's card ("runbook", "drill"); NULL: no card. Caller frees. */
static char *card_kind(const char *dir, const char *id)
{
    size_t n = 0;
    struct share_card *cards = share_cards(dir, &n);
    char *kind = NULL;
    for (size_t i = 0; i < n && kind == NULL; i++) {
        if (strcmp(cards[i].run, id) == 0) {
            kind = xstrdup(cards[i].kind);
        }
    }
    share_cards_free(cards, n);
    return kind;
}

/* Open the follower's pane of kind ("drill" or else a runbook); how->nats: over NATS. */
static void join_as(struct ui *ui, const char *id, const char *kind, const struct pane_share *how)
{
    char *cause = NULL;
    void *self = NULL;
    const struct pane_ops *ops = NULL;
    if (kind != NULL && strcmp(kind, "drill") == 0) {
        ops = &drill_pane;
        self = drill_pane_join(ui->loop, how, id, &ui->side.host, &cause);
    } else {
        ops = &runbook_pane;
        self = runbook_pane_join(ui->loop, how, id, &ui->side.host, &cause);
    }
    if (self == NULL) {
        ui_say(ui, true, "join %s: %s", id, cause != NULL ? cause : "failed");
        free(cause);
        return;
    }
    side_opened(ui, ops, self, how->nats != NULL ? "joined over NATS" : "joined");
}

/*
 * Over NATS there is no card to say whether RUN-ID is a runbook or a drill:
 * a first follower reads the stream until the run's document says, then the
 * pane follows it from the start itself.
 */
struct room_probe {
    struct ui *ui;
    struct share_nats_follower *f;
    struct loop_timer *done;
    char *id, *kind;
};

static void probe_free(struct room_probe *p)
{
    share_nats_unfollow(p->f);
    free(p->id);
    free(p->kind);
    free(p);
}

static void probe_done(void *ud)
{
    struct room_probe *p = ud;
    struct ui *ui = p->ui;
    ui->probe = NULL;
    if (ui->side.ops == NULL) {
        struct share_nats_opts nats;
        struct pane_share how = share_how(ui, &nats);
        join_as(ui, p->id, p->kind, &how);
    }
    probe_free(p);
}

static void probe_line(void *ud, const char *line, size_t len)
{
    struct room_probe *p = ud;
    cJSON *o = NULL;
    char *bad = NULL;
    if (p->kind == NULL && json_parse(line, len, &o, &bad) && json_str(o, "t") != NULL &&
        strcmp(json_str(o, "t"), "hello") == 0) {
        p->kind = xstrdup(json_str(o, "kind") != NULL ? json_str(o, "kind") : "runbook");
        p->done = loop_timer_add(p->ui->loop, 0, 0, probe_done, p); /* not from its own callback */
    }
    free(bad);
    cJSON_Delete(o);
}

static void probe_link(void *ud, bool up, int64_t since_ms)
{
    (void)ud;
    (void)up;
    (void)since_ms;
}

static void join_nats(struct ui *ui, const char *id)
{
    if (ui->probe != NULL) {
        ui_say(ui, true, "joining %s over NATS already", ui->probe->id);
        return;
    }
    struct share_nats_opts nats;
    struct pane_share how = share_how(ui, &nats);
    struct room_probe *p = xcalloc(1, sizeof *p);
    p->ui = ui;
    p->id = xstrdup(id);
    char *cause = NULL;
    p->f = share_nats_follow(ui->loop, how.nats, id, probe_line, probe_link, p, &cause);
    if (p->f == NULL) {
        ui_say(ui, true, "join %s over NATS: %s", id, cause != NULL ? cause : "failed");
        free(cause);
        probe_free(p);
        return;
    }
    ui->probe = p;
    ui_say(ui, false, "joining %s over NATS...", id);
}

void room_join(struct ui *ui, const char *id)
{
    const char *dir = share_dir(ui);
    const struct config *c = ui->opts.config;
    bool nats = c != NULL && c->share_nats != NULL;
    if (dir == NULL && !nats) {
        ui_say(ui, true,
               "no [share] dir or nats in the config: nothing to join (docs/war-room.md)");
        return;
    }
    if (ui->side.ops != NULL) {
        ui_say(ui, true, "%s %s is open: :close it first", ui->side.ops->noun,
               ui->side.ops->run_id(ui->side.self));
        return;
    }
    char *kind = dir != NULL ? card_kind(dir, id) : NULL;
    if (kind == NULL && nats) {
        join_nats(ui, id); /* not on this host: across hosts */
        return;
    }
    struct pane_share how = {.dir = dir};
    join_as(ui, id, kind, &how);
    free(kind);
}

void room_free(struct ui *ui)
{
    if (ui->probe != NULL) {
        if (ui->probe->done != NULL) {
            loop_timer_cancel(ui->loop, ui->probe->done);
        }
        probe_free(ui->probe);
        ui->probe = NULL;
    }
}

void room_command(struct ui *ui, const char *verb, const char *arg)
{
    if (ui->side.ops == NULL || ui->side.ops->room == NULL) {
        ui_say(ui, true, ":%s: no shared run is open", verb);
        return;
    }
    char *cause = NULL;
    if (!ui->side.ops->room(ui->side.self, verb, arg, &cause)) {
        ui_say(ui, true, "%s", cause != NULL ? cause : "not possible now");
    } else if (strcmp(verb, "handover") == 0) {
        ui_say(ui, false, "control offered to %s: they :accept it", arg);
    } else if (strcmp(verb, "role") == 0) {
        ui_say(ui, false, "role given: %s", arg);
    }
    free(cause);
    ui_dirty_all(ui);
}

void room_takeover(struct ui *ui)
{
    const char *gone = ui->side.ops != NULL && ui->side.ops->gone != NULL
                           ? ui->side.ops->gone(ui->side.self)
                           : NULL;
    if (gone == NULL) {
        ui_say(ui, true, ":takeover: the run you follow has an owner (or you follow none)");
        return;
    }
    char *id = xstrdup(gone);
    side_free(ui);
    ui->need_layout = true;
    side_resume(ui, id); /* takes the run's lock: one owner, then shares it again */
    free(id);
}
