/* Roles, request names and the default line of the war room (share.h). */
#include "share.h"

#include "../common/json.h"
#include "../common/util.h"

#include <cJSON.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const role_names[] = {"observer", "participant", "driver"};

const char *share_role_name(enum share_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "?";
}

bool share_role_parse(const char *s, enum share_role *out)
{
    for (size_t i = 0; s != NULL && i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum share_role)i;
            return true;
        }
    }
    return false;
}

static const struct {
    const char *name;
    enum share_role role;
} ops[] = {
#define SHARE_OP_ROW(op, name, role) {name, role},
    SHARE_OPS(SHARE_OP_ROW)
#undef SHARE_OP_ROW
};

enum share_op share_op_parse(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(name, ops[i].name) == 0) {
            return (enum share_op)i;
        }
    }
    return SOP_UNKNOWN;
}

const char *share_op_name(enum share_op op)
{
    return (unsigned)op < sizeof ops / sizeof ops[0] ? ops[op].name : "?";
}

enum share_role share_op_role(enum share_op op)
{
    return (unsigned)op < sizeof ops / sizeof ops[0] ? ops[op].role : SHARE_DRIVER;
}

/* Is user a member of Unix group name (its primary group or a supplementary one)? */
static bool in_group(const char *user, const char *name)
{
    struct group *gr = getgrnam(name);
    if (gr == NULL) {
        return false;
    }
    for (char **m = gr->gr_mem; m != NULL && *m != NULL; m++) {
        if (strcmp(*m, user) == 0) {
            return true;
        }
    }
    struct passwd *pw = getpwnam(user);
    return pw != NULL && pw->pw_gid == gr->gr_gid;
}

enum share_role share_role_for(const char *list, const char *user)
{
    if (list == NULL || user == NULL) {
        return SHARE_OBSERVER;
    }
    char *copy = xstrdup(list);
    enum share_role role = SHARE_OBSERVER;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok != NULL;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(tok, "*") == 0 || strcmp(tok, user) == 0 ||
            (tok[0] == '@' && in_group(user, tok + 1))) {
            role = SHARE_PARTICIPANT;
            break;
        }
    }
    free(copy);
    return role;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v != NULL) {
        cJSON_AddStringToObject(o, key, v);
    }
}

cJSON *share_event_line(const struct runlog_event *ev)
{
    if (!ev->live) {
        return ev->obj != NULL ? cJSON_Duplicate(ev->obj, true) : NULL;
    }
    if (runlog_kind_where(ev->kind) == RUNLOG_LOCAL) {
        return NULL; /* a secret answer never leaves the owner's process */
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "live", true);
    add_str(o, "action", ev->action != NULL ? ev->action : runlog_kind_name(ev->kind));
    add_str(o, "actor", ev->actor);
    add_str(o, "run", ev->run);
    add_str(o, "step", ev->step);
    add_str(o, "target", ev->target);
    add_str(o, "result", ev->result);
    if (ev->data != NULL) {
        cJSON_AddItemToObject(o, "data", cJSON_Duplicate(ev->data, true));
    }
    if (ev->bytes != NULL && ev->len > 0) {
        char *b = xstrndup(ev->bytes, ev->len);
        cJSON_AddStringToObject(o, "bytes", b);
        free(b);
    }
    return o;
}

bool share_line_dispatch(const char *line, size_t len, const struct share_follow_hooks *h, void *ud,
                         char **bye)
{
    cJSON *o = NULL;
    char *bad = NULL;
    bool parsed = json_parse(line, len, &o, &bad);
    free(bad);
    if (!parsed || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return false; /* not ours: skipped, as a torn journal line is */
    }
    bool was_bye = false;
    const char *t = json_str(o, "t");
    if (t != NULL) {
        if (strcmp(t, "bye") == 0) {
            was_bye = true;
            const char *r = json_str(o, "reason");
            *bye = xstrdup(r != NULL ? r : "the owner closed");
        }
        h->message(ud, t, o);
        cJSON_Delete(o);
        return was_bye;
    }
    struct runlog_event ev;
    if (runlog_event_parse(o, &ev)) {
        if (json_bool(o, "live", false)) {
            ev.live = true;
            ev.seq = 0;
            ev.obj = NULL;
            const char *b = json_str(o, "bytes");
            if (b != NULL) {
                ev.bytes = b;
                ev.len = strlen(b);
            }
        }
        h->event(ud, &ev);
    }
    cJSON_Delete(o);
    return false;
}

char *share_request_line(uint64_t id, enum share_op op, cJSON *args)
{
    cJSON *o = args != NULL ? args : cJSON_CreateObject();
    cJSON_AddStringToObject(o, "t", "req");
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "op", share_op_name(op));
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return line;
}
