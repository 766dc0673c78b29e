/*
 * :reload and SIGHUP (reload.h): check the whole new config, then swap in
 * what changed; the backends' diff is engine/reload.h's.
 */
#include "reload.h"

#include "../backends/backend.h"
#include "../backends/cluster.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/config.h"
#include "../engine/journal.h"
#include "../engine/reload.h"
#include "../panes/tablepane.h"
#include "console.h"
#include "ctx.h"
#include "guardcmd.h"
#include "keyconf.h"
#include "theme.h"
#include "view.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct attempt {
    struct ui *ui;
    struct ui_reload *r;
    struct config *cfg; /* the new one */
    struct reload_diff d;
    struct backend **next; /* the new array: kept ones and new ones */
    size_t nnext;
    bool diffed;
    char *why; /* refused: why */
};

static const char *const fate_key[] = {"kept", "changed", "added", "removed"};

static void audit(const struct attempt *a, const char *how, const char *result)
{
    if (a->r->audit == NULL) {
        return;
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "how", how);
    if (a->diffed) {
        cJSON *lists[4];
        for (int f = 0; f < 4; f++) {
            lists[f] = cJSON_AddArrayToObject(data, fate_key[f]);
        }
        size_t n;
        const struct config_backend *nv = reload_backends(a->cfg, &n);
        for (size_t i = 0; i < n; i++) {
            cJSON_AddItemToArray(lists[a->d.new_fate[i]], cJSON_CreateString(nv[i].name));
        }
        const struct config_backend *ov = reload_backends(*a->r->cfg, &n);
        for (size_t i = 0; i < n; i++) {
            if (a->d.old_fate[i] == RELOAD_REMOVED) {
                cJSON_AddItemToArray(lists[RELOAD_REMOVED], cJSON_CreateString(ov[i].name));
            }
        }
    }
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .action = "config.reload",
        .target = a->r->path != NULL ? a->r->path : "",
        .result = result,
        .data = data,
    };
    char *cause = NULL;
    if (!journal_append(a->r->audit, &ev, &cause)) {
        ui_say(a->ui, true, "reload: not recorded in the audit log: %s", cause);
        free(cause);
    }
    cJSON_Delete(data);
}

/* The backend of the old array that old config entry i built (same order: main.c). */
static struct backend *old_backend(const struct attempt *a, size_t i)
{
    return i < *a->r->nbackends ? (*a->r->backends)[i] : NULL;
}

static bool changes_backends(const struct reload_diff *d)
{
    return d->changed + d->added + d->removed > 0;
}

/* The busy rule (reload.h); false with a->why. */
static bool check_busy(struct attempt *a)
{
    struct ui *ui = a->ui;
    for (size_t i = 0; i < a->d.nold; i++) {
        struct backend *b = old_backend(a, i);
        if (a->d.old_fate[i] != RELOAD_KEPT && b != NULL && b->inflight > 0) {
            a->why = xasprintf("backend %s is busy: an action is in flight (reload when it ends)",
                               b->name);
            return false;
        }
    }
    if (!changes_backends(&a->d)) {
        return true;
    }
    if (ui->side.ops != NULL) {
        a->why = xstrdup("a run or drill is open (it acts through the backends): close it "
                         "first, or change no backend");
        return false;
    }
    if (ui->mode != MODE_NORMAL && !(ui->mode == MODE_LINE && ui->line.panel == NULL)) {
        a->why = xstrdup("a dialog or a pane's prompt is open: close it first");
        return false;
    }
    return true;
}

/* Build, configure and validate new backend i of the new config (no poll yet). */
static struct backend *build(struct attempt *a, const struct config_backend *cb)
{
    struct backend *b = config_backend_create(a->cfg, cb, a->ui->store, a->ui->loop, &a->why);
    if (b == NULL) {
        return NULL;
    }
    char *why = NULL;
    if (strcmp(b->impl->type, "demo") == 0 && a->r->demo_settings != NULL &&
        !a->r->demo_settings(b, a->r->ud, &why)) {
        a->why = xasprintf("%s: %s", cb->name, why);
        free(why);
        backend_destroy(b);
        return NULL;
    }
    return b;
}

/* The new array: kept backends as they are, the others built; false with a->why. */
static bool build_all(struct attempt *a)
{
    size_t n;
    const struct config_backend *nv = reload_backends(a->cfg, &n);
    a->next = xcalloc(n, sizeof *a->next);
    for (size_t i = 0; i < n; i++) {
        if (a->d.new_fate[i] == RELOAD_KEPT) {
            a->next[a->nnext++] = old_backend(a, a->d.new_from[i]);
            continue;
        }
        struct backend *b = build(a, &nv[i]);
        if (b == NULL) {
            return false;
        }
        a->next[a->nnext++] = b;
    }
    char *why = NULL;
    if (!backend_join_clusters(a->next, a->nnext, &why)) {
        a->why = xasprintf("%s: %s", a->cfg != NULL ? a->cfg->path : "", why);
        free(why);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (a->d.new_fate[i] != RELOAD_KEPT && !backend_validate(a->next[i], &why)) {
            a->why =
                xasprintf("%s:%d: backend '%s': %s", a->cfg->path, nv[i].line, nv[i].name, why);
            free(why);
            return false;
        }
    }
    return true;
}

/* Refused: the backends built for it go (no poll ran, nothing is in the store). */
static void drop_built(struct attempt *a)
{
    for (size_t i = 0; i < a->nnext; i++) {
        if (a->d.new_fate[i] != RELOAD_KEPT) {
            backend_destroy(a->next[i]);
        }
    }
    free(a->next);
    a->next = NULL;
    a->nnext = 0;
}

static bool same_str(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* [share], [audit] and read_only keep their running values; what changed is said in note. */
static void keep_start_only(struct config *run, struct config *next, char *note, size_t len)
{
    if (run == NULL || next == NULL) {
        return;
    }
    bool share = !same_str(run->share_dir, next->share_dir) ||
                 !same_str(run->share_participants, next->share_participants) ||
                 !same_str(run->share_nats, next->share_nats) ||
                 !same_str(run->share_nats_creds, next->share_nats_creds);
    bool ro = run->read_only != next->read_only;
    /* the syslog mirror is attached where the audit log is opened, at start */
    bool audit = run->audit_syslog != next->audit_syslog ||
                 run->audit_facility != next->audit_facility ||
                 !same_str(run->audit_socket, next->audit_socket) ||
                 !same_str(run->audit_tag, next->audit_tag);
    char *t;
#define SWAP(f) (t = run->f, run->f = next->f, next->f = t)
    SWAP(share_dir);
    SWAP(share_participants);
    SWAP(share_nats);
    SWAP(share_nats_creds);
    SWAP(audit_socket);
    SWAP(audit_tag);
#undef SWAP
    next->read_only = run->read_only;
    next->audit_syslog = run->audit_syslog;
    next->audit_facility = run->audit_facility;
    const char *what[3];
    int n = 0;
    if (share) {
        what[n++] = "[share]";
    }
    if (audit) {
        what[n++] = "[audit]";
    }
    if (ro) {
        what[n++] = "read_only";
    }
    if (n > 0) {
        snprintf(note, len, "; %s%s%s%s%s change%s a restart", what[0], n == 3 ? ", " : "",
                 n == 3 ? what[1] : "", n >= 2 ? " and " : "", n >= 2 ? what[n - 1] : "",
                 n > 1 ? "s need" : " needs");
    }
}

/* Is there a source of this name among the backends? */
static bool has_source(struct backend *const *bs, size_t n, const char *source)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(backend_source(bs[i]), source) == 0) {
            return true;
        }
    }
    return false;
}

/* Rows of the backends that go: gone from the store unless a new one publishes there. */
static void forget_rows(struct attempt *a)
{
    struct ui *ui = a->ui;
    for (size_t i = 0; i < a->d.nold; i++) {
        struct backend *old = old_backend(a, i);
        if (old == NULL || a->d.old_fate[i] == RELOAD_KEPT) {
            continue;
        }
        const char *src = backend_source(old);
        struct backend *heir = NULL;
        for (size_t j = 0; j < a->nnext; j++) {
            heir = strcmp(backend_source(a->next[j]), src) == 0 ? a->next[j] : heir;
        }
        bool kept_source = has_source(a->next, a->nnext, src);
        for (int k = 0; k < MODEL_KINDS; k++) {
            /* the new one's first publish replaces its kinds; the others' rows go now */
            if (!kept_source || (heir != NULL && !(backend_kinds(heir) & (1u << k)))) {
                store_forget(ui->store, (enum model_kind)k, src);
            }
        }
    }
}

/* Apply: everything was checked; nothing here can fail. */
static void commit(struct attempt *a, const char *note)
{
    struct ui *ui = a->ui;
    struct ui_reload *r = a->r;
    bool rebuild = changes_backends(&a->d);
    /* the old objects that go: the store first (their names), then destroy */
    struct backend **gone = xcalloc(a->d.nold, sizeof *gone);
    size_t ngone = 0;
    for (size_t i = 0; i < a->d.nold; i++) {
        if (a->d.old_fate[i] != RELOAD_KEPT && old_backend(a, i) != NULL) {
            gone[ngone++] = old_backend(a, i);
        }
    }
    struct panes_saved *saved = NULL;
    if (rebuild) {
        saved = ui_panels_drop(ui); /* the panes hold the array and rows that go */
        forget_rows(a);
        for (size_t i = 0; i < ngone; i++) {
            backend_destroy(gone[i]);
        }
        free(*r->backends);
        *r->backends = a->next;
        *r->nbackends = a->nnext;
        ui->backends = a->next;
        ui->nbackends = a->nnext;
        a->next = NULL;
        for (size_t i = 0; i < ui->nbackends; i++) {
            backend_schedule(ui->backends[i]); /* the kept ones have their timer */
        }
    } else {
        free(a->next); /* the same objects in the same order: the panes keep the old array */
        a->next = NULL;
    }
    free(gone);
    config_destroy(*r->cfg);
    *r->cfg = a->cfg;
    ui->opts.config = a->cfg;
    if (!r->theme_fixed) {
        ui->opts.theme = a->cfg != NULL ? a->cfg->theme : NULL;
    }
    bool demo = false;
    for (size_t i = 0; i < ui->nbackends; i++) {
        demo = demo || strcmp(ui->backends[i]->impl->type, "demo") == 0;
    }
    ui->opts.demo = demo;
    guardcmd_setup(ui->backends, ui->nbackends, r->path);
    if (rebuild) {
        ui_panels_make(ui, saved);
    } else {
        for (size_t i = 0; i < ui->npanels; i++) {
            if (ui->panels[i].ops->table != NULL) { /* [opsdeck] group_above */
                tablepane_set_group_above(ui->panels[i].self, a->cfg != NULL ? a->cfg->group_above
                                                                             : CONFIG_GROUP_ABOVE);
            }
        }
        /* the contexts' tone and description: the new config's; the ones shown stay */
        char *shown = ui->ctx != NULL ? ctx_spec(ui) : NULL;
        ctx_free(ui);
        char *ignored = NULL;
        if (shown != NULL && !ctx_select(ui, shown, &ignored)) {
            free(ignored);
        }
        free(shown);
        ctx_apply(ui);
    }
    ui_dirty_all(ui);
    char sum[128];
    reload_summary(&a->d, sum, sizeof sum);
    ui_say(ui, note[0] != '\0', "config reloaded: %s%s", sum, note);
}

void reload_run(struct ui *ui, const char *how)
{
    struct ui_reload *r = ui->opts.reload;
    if (r == NULL) {
        ui_say(ui, true, "reload: not in this mode");
        return;
    }
    struct attempt a = {.ui = ui, .r = r};
    struct theme theme;
    bool new_theme = false;
    char note[128] = "";
    if (r->path == NULL) {
        a.why = xstrdup("no config file (the demo runs): start with -c FILE");
    } else if ((a.cfg = config_load(r->path, &a.why)) == NULL) {
        /* a.why: FILE:LINE: message */
    } else if (!view_check_config(a.cfg, &a.why)) {
        /* said with its file:line */
    } else {
        reload_diff(*r->cfg, a.cfg, &a.d);
        a.diffed = true;
        if (check_busy(&a) && build_all(&a)) {
            new_theme = !r->theme_fixed && !same_str(ui->opts.theme, a.cfg->theme);
            if (!keyconf_install(a.cfg, a.next, a.nnext, &a.why)) {
                char *ignored = NULL; /* the old map installed before: it installs again */
                keyconf_install(*r->cfg, ui->backends, ui->nbackends, &ignored);
                free(ignored);
            } else if (new_theme &&
                       !theme_load(&theme, a.cfg->theme != NULL ? a.cfg->theme : "dark",
                                   ui->opts.theme_dirs, &a.why)) {
                char *why = a.why;
                a.why = xasprintf("%s: [opsdeck] theme: %s", a.cfg->path, why);
                free(why);
                char *ignored = NULL;
                keyconf_install(*r->cfg, ui->backends, ui->nbackends, &ignored);
                free(ignored);
            }
        }
    }
    if (a.why != NULL) {
        if (a.next != NULL) {
            drop_built(&a);
        }
        ui_say(ui, true, "reload refused: %s", a.why);
        char *result = xasprintf("refused: %s", a.why);
        audit(&a, how, result);
        free(result);
        if (a.diffed) {
            reload_diff_free(&a.d);
        }
        config_destroy(a.cfg);
        free(a.why);
        return;
    }
    keep_start_only(*r->cfg, a.cfg, note, sizeof note);
    audit(&a, how, "ok");
    commit(&a, note);
    if (new_theme) {
        ui->theme = theme;
        theme_apply(&ui->theme, ui->tier);
        clearok(curscr, TRUE);
    }
    reload_diff_free(&a.d);
}
