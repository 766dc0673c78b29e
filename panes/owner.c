/* The owner's side of the war room in a pane (owner.h). */
#include "owner.h"

#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/crew.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool owner_do(struct pane_owner *o, enum share_op op, cJSON *args)
{
    const char *driver = o->server != NULL ? share_server_driver(o->server) : NULL;
    if (driver != NULL && share_op_role(op) == SHARE_DRIVER) {
        char *m = xasprintf("%s drives now (handed over): ask them, or they hand back", driver);
        pane_say(o->host, true, m);
        free(m);
        cJSON_Delete(args);
        return false;
    }
    char *cause = NULL;
    bool ok = o->ops->apply(o->run, op, args, &cause);
    cJSON_Delete(args);
    return pane_check(o->host, ok, &cause);
}

bool owner_apply(struct pane_owner *o, const struct share_peer *peer, enum share_op op,
                 const cJSON *req, char **cause)
{
    o->ops->actor(o->run, peer->user, peer->host);
    bool ok = o->ops->apply(o->run, op, req, cause);
    o->ops->actor(o->run, NULL, NULL);
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
    if (ok && op == SOP_HANDOVER && cJSON_IsString(to) &&
        strcmp(to->valuestring, whoami_user()) == 0) {
        char *m = xasprintf("%s hands control back to you: :accept takes it", peer->user);
        pane_say(o->host, false, m);
        free(m);
    }
    return ok;
}

void owner_presence(struct pane_owner *o, const struct share_peer *peer, bool joined,
                    const char *reason)
{
    cJSON *d = cJSON_CreateObject();
    if (joined) {
        cJSON_AddStringToObject(d, "role", share_role_name(peer->role));
        cJSON_AddStringToObject(d, "via", "unix");
    } else {
        cJSON_AddStringToObject(d, "reason", reason != NULL ? reason : "left");
    }
    o->ops->actor(o->run, peer->user, peer->host);
    char *cause = NULL;
    if (!o->ops->record(o->run, joined ? "join" : "leave", d, &cause)) {
        pane_say(o->host, true, cause);
    }
    free(cause);
    o->ops->actor(o->run, NULL, NULL);
    if (o->server != NULL && strcmp(peer->user, whoami_user()) != 0) {
        char *m = xasprintf("%s %s (%s)", peer->user, joined ? "joined" : "left",
                            joined ? share_role_name(peer->role) : (reason ? reason : "left"));
        pane_say(o->host, false, m);
        free(m);
    }
}

void owner_arrive(struct pane_owner *o, const struct crew *c)
{
    size_t n = c != NULL ? c->npeople : 0;
    char **gone = xcalloc(n + 1, sizeof *gone);
    for (size_t i = 0; i < n; i++) { /* copied: each leave changes the crew */
        gone[i] = c->people[i].present ? xstrdup(c->people[i].user) : NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (gone[i] != NULL) {
            struct share_peer was = {.user = gone[i]};
            owner_presence(o, &was, false, "gone");
            free(gone[i]);
        }
    }
    free(gone);
    struct share_peer me = {.user = whoami_user(), .host = whoami_host(), .role = SHARE_DRIVER};
    owner_presence(o, &me, true, NULL);
}

/* Journal a handover event through the run's own path (it checks who may). */
static bool journal_op(struct pane_owner *o, enum share_op op, const char *key, const char *value,
                       char **cause)
{
    cJSON *d = cJSON_CreateObject();
    if (value != NULL) {
        cJSON_AddStringToObject(d, key, value);
    }
    bool ok = o->ops->apply(o->run, op, d, cause);
    cJSON_Delete(d);
    return ok;
}

bool owner_room(struct pane_owner *o, const char *verb, const char *arg, char **cause)
{
    if (o->server == NULL) {
        set_cause(cause, "this run is not shared ([share] dir in the config)");
        return false;
    }
    if (strcmp(verb, "handover") == 0) {
        if (arg == NULL || arg[0] == '\0') {
            set_cause(cause, "usage: :handover USER");
            return false;
        }
        return share_server_offer(o->server, arg, cause) &&
               journal_op(o, SOP_HANDOVER, "to", arg, cause);
    }
    if (strcmp(verb, "accept") == 0 || strcmp(verb, "decline") == 0) {
        bool accept = verb[0] == 'a';
        char *from =
            share_server_driver(o->server) != NULL ? xstrdup(share_server_driver(o->server)) : NULL;
        bool ok = (accept ? share_server_take_back(o->server, cause)
                          : share_server_offer(o->server, NULL, cause)) &&
                  journal_op(o, accept ? SOP_ACCEPT : SOP_DECLINE, "from", from, cause);
        free(from);
        return ok;
    }
    char user[128], role[32];
    enum share_role r;
    if (strcmp(verb, "role") != 0 || arg == NULL || sscanf(arg, "%127s %31s", user, role) != 2 ||
        !share_role_parse(role, &r)) {
        set_cause(cause, strcmp(verb, "role") == 0 ? "usage: :role USER observer|participant"
                                                   : "not a war-room command here");
        return false;
    }
    if (!share_server_set_role(o->server, user, r, cause)) {
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "user", user);
    cJSON_AddStringToObject(d, "role", role);
    return o->ops->record(o->run, "role", d, cause);
}

void owner_foot(const struct pane_owner *o, char *buf, size_t len)
{
    buf[0] = '\0';
    if (o->server != NULL) {
        size_t n = 0;
        share_server_people(o->server, &n);
        const char *d = share_server_driver(o->server);
        snprintf(buf, len, " · shared: %zu joined%s%s", n, d ? " · driver: " : "", d ? d : "");
    }
}
