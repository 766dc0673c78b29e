/*
 * opsdeck: the command line (parsed in args.c, its help in usage.c), then the
 * configuration, the backends, and the console or one of its headless twins
 * (snapshot, lint, act, doctor, run, drill).
 *
 * Exit status: 0 success; 1 runtime failure (a backend failed in snapshot,
 * the audit log cannot be written); 2 usage or configuration error;
 * 128+N when ended by signal N (129 also for a closed terminal; in the
 * console a SIGHUP with the terminal still there reloads the config).
 */
#include "../backends/backend.h"
#include "../common/text.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "../engine/action.h"
#include "../engine/auditlog.h"
#include "../engine/config.h"
#include "../engine/game.h"
#include "../engine/journal.h"
#include "../engine/paths.h"
#include "../engine/run.h"
#include "../engine/runbook.h"
#include "../engine/runlog.h"
#include "../engine/share.h"
#include "args.h"
#include "drillauto.h"
#include "drillplain.h"
#include "../common/loop.h"
#include "plain.h"
#include "reload.h"
#include "guardcmd.h"
#include "drillcmd.h"
#include "doctorcmd.h"
#include "keyconf.h"
#include "lintdoc.h"
#include "reportcmd.h"
#include "snapshot.h"
#include "console.h"
#include "ui.h"
#include "usage.h"
#include "view.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OPSDECK_VERSION
#define OPSDECK_VERSION "0.1.0"
#endif
#ifndef OPSDECK_THEMEDIR
#define OPSDECK_THEMEDIR "/usr/local/share/opsdeck/themes"
#endif
#ifndef OPSDECK_SOURCE_THEMEDIR
#define OPSDECK_SOURCE_THEMEDIR ""
#endif

/* The config named by --config, else the default path if it exists, else NULL. */
static char *config_path(const struct options *o)
{
    if (o->config != NULL) {
        return xstrdup(o->config);
    }
    char *dir = paths_config_dir();
    if (dir == NULL) {
        return NULL; /* no home to look in: the demo runs */
    }
    char *path = xasprintf("%s/config.ini", dir);
    free(dir);
    if (access(path, F_OK) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

struct app {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    struct config *cfg;
    bool demo;
    char *recovered;         /* what drill recovery did, for the console's status line */
    struct auditlog *syslog; /* [audit] syslog = on: the audit log's mirror, else NULL */
};

static void add_backend(struct app *app, struct backend *b)
{
    app->backends = xreallocarray(app->backends, app->nbackends + 1, sizeof *app->backends);
    app->backends[app->nbackends++] = b;
}

/* Command-line demo settings override the config's. */
static bool demo_overrides(struct backend *b, const struct options *o, char **cause)
{
    const char *keys[] = {"seed", "mode", "queues", "alerts"};
    const char *vals[] = {o->seed, o->demo_mode, o->demo_queues, o->demo_alerts};
    for (size_t i = 0; i < 4; i++) {
        if (vals[i] != NULL && !backend_configure(b, keys[i], vals[i], cause)) {
            return false;
        }
    }
    return true;
}

static bool build_from_config(struct app *app, const struct options *o, char **cause)
{
    for (size_t i = 0; i < app->cfg->nbackends; i++) {
        struct backend *b =
            config_backend_create(app->cfg, &app->cfg->backends[i], app->store, app->loop, cause);
        if (b == NULL) {
            return false;
        }
        add_backend(app, b);
        if (strcmp(b->impl->type, "demo") == 0) {
            app->demo = true;
            if (!demo_overrides(b, o, cause)) {
                return false;
            }
        }
    }
    char *why = NULL;
    if (!backend_join_clusters(app->backends, app->nbackends, &why)) {
        *cause = xasprintf("%s: %s", app->cfg->path, why);
        free(why);
        return false;
    }
    return true;
}

static bool build_backends(struct app *app, const struct options *o, char **cause)
{
    char *path = config_path(o);
    if (path != NULL) {
        app->cfg = config_load(path, cause);
        free(path);
        if (app->cfg == NULL || !view_check_config(app->cfg, cause)) {
            return false;
        }
        if (!build_from_config(app, o, cause)) {
            return false;
        }
    }
    if (app->nbackends == 0) {
        struct backend *b =
            backend_create(backend_impl_find("demo"), "demo", app->store, app->loop);
        add_backend(app, b);
        app->demo = true;
        if (!demo_overrides(b, o, cause)) {
            return false;
        }
    }
    return true;
}

/*
 * With [share] dir, runs live in SHARE/runs (2770: the group's), so another
 * engineer of the group can follow them and take one over (docs/war-room.md).
 */
static bool share_runs_dir(const struct config *cfg, char **cause)
{
    if (cfg == NULL || cfg->share_dir == NULL) {
        return true;
    }
    char *runs = xasprintf("%s/runs", cfg->share_dir);
    struct stat st;
    bool ok = stat(cfg->share_dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (!ok) {
        *cause = xasprintf("%s:[share] dir %s: %s (create it for the on-call group: "
                           "docs/war-room.md)",
                           cfg->path, cfg->share_dir, strerror(errno));
    } else {
        ok = paths_mkdir_p(runs, 0700, cause);
    }
    if (ok) {
        runlog_set_default_dir(runs);
    }
    free(runs);
    return ok;
}

static bool id_seen(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], id) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * opsdeck runs --ids (for the shell completions): the ids of the shared runs,
 * then of the runs in the runs directory, newest first, one a line and
 * nothing else; none is no error (exit 0). Ids are file names opsdeck made:
 * still filtered, as everything printed is.
 */
static int list_run_ids(struct config *cfg)
{
    char **ids = NULL;
    size_t nids = 0;
    char *cause = NULL;
    if (cfg != NULL && cfg->share_dir != NULL) {
        size_t n = 0;
        struct share_card *cards = share_cards(cfg->share_dir, &n);
        for (size_t i = 0; i < n; i++) {
            ids = xreallocarray(ids, nids + 1, sizeof *ids);
            ids[nids++] = xstrdup(cards[i].run);
        }
        share_cards_free(cards, n);
        if (!share_runs_dir(cfg, &cause)) {
            free(cause); /* no shared runs directory: this user's runs only */
            cause = NULL;
        }
    }
    size_t n = 0;
    struct run_info *list = run_list(NULL, &n, &cause);
    free(cause); /* no runs directory yet: no runs */
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (!id_seen(ids, nids, list[i].id)) {
            ids = xreallocarray(ids, nids + 1, sizeof *ids);
            ids[nids++] = xstrdup(list[i].id);
        }
    }
    run_info_free(list, n);
    for (size_t i = 0; i < nids; i++) {
        text_printf(stdout, "%s\n", ids[i]);
        free(ids[i]);
    }
    free(ids);
    config_destroy(cfg);
    return 0;
}

/* opsdeck runs: the shared runs first (who owns them, who is on them), then this user's. */
static int list_runs(const struct options *o)
{
    char *cause = NULL;
    char *path = config_path(o);
    struct config *cfg = path != NULL ? config_load(path, &cause) : NULL;
    free(path);
    if (cause != NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        return 2;
    }
    if (o->run_ids) {
        return list_run_ids(cfg);
    }
    if (cfg != NULL && cfg->share_dir != NULL) {
        size_t n = 0;
        struct share_card *cards = share_cards(cfg->share_dir, &n);
        text_printf(stdout, "Shared in %s:", cfg->share_dir);
        fputs(n == 0 ? "\n  (none)\n" : "\n", stdout);
        for (size_t i = 0; i < n; i++) {
            text_printf(stdout, "  %s  %s  owner %s@%s%s  %s", cards[i].run, cards[i].kind,
                        cards[i].owner, cards[i].host,
                        cards[i].live ? "" : " (OWNER GONE: :takeover)", cards[i].title);
            text_printf(stdout, "\n    on it: %s",
                        cards[i].people[0] != '\0' ? cards[i].people : "nobody has joined");
            fputc('\n', stdout);
        }
        share_cards_free(cards, n);
        if (!share_runs_dir(cfg, &cause)) {
            text_printf(stderr, "opsdeck: %s\n", cause);
            free(cause);
        }
    }
    config_destroy(cfg);
    return plain_list_runs(NULL, stdout);
}

static bool start_backends(struct app *app, char **cause)
{
    for (size_t i = 0; i < app->nbackends; i++) {
        char *why = NULL;
        if (!backend_start(app->backends[i], &why)) {
            *cause = xasprintf("backend '%s': %s", app->backends[i]->name, why);
            free(why);
            return false;
        }
    }
    return true;
}

static void app_finish(struct app *app)
{
    for (size_t i = 0; i < app->nbackends; i++) {
        backend_destroy(app->backends[i]);
    }
    free(app->backends);
    auditlog_destroy(app->syslog);
    config_destroy(app->cfg);
    store_destroy(app->store);
    loop_destroy(app->loop);
}

static int lint(const char *file, bool strict)
{
    const char *ext = strrchr(file, '.');
    if (ext != NULL &&
        (strcmp(ext, ".md") == 0 || strcmp(ext, ".markdown") == 0 || strcmp(ext, ".json") == 0)) {
        return lintdoc_run(file, strict); /* a runbook or a drill */
    }
    struct options o = {.config = file};
    struct app app = {.store = store_create()};
    char *cause = NULL;
    int status = 0;
    if (!build_backends(&app, &o, &cause) || !start_backends(&app, &cause)) {
        text_printf(stderr, "%s\n", cause);
        free(cause);
        status = 2;
    } else if (!keyconf_install(app.cfg, app.backends, app.nbackends, &cause)) {
        text_printf(stderr, "%s\n", cause); /* [keys]: an unknown verb, pane or key */
        free(cause);
        status = 2;
    } else {
        /* [keys]: two verbs on one key, keys a terminal or tmux takes first (warnings) */
        size_t warnings = keyconf_lint(file, stderr);
        status = strict && warnings > 0 ? 2 : 0;
        size_t n = app.cfg != NULL ? app.cfg->nbackends : 0;
        if (status == 0 && n == 0) {
            text_printf(stdout, "%s: ok (no backends: the demo runs", file);
        } else if (status == 0) {
            text_printf(stdout, "%s: ok (%zu backend%s", file, n, n == 1 ? "" : "s");
        }
        if (status == 0 && warnings > 0) {
            printf("; %zu warning%s", warnings, warnings == 1 ? "" : "s");
        }
        if (status == 0) {
            printf(")\n");
        }
        keyconf_free();
    }
    app.loop = NULL;
    app_finish(&app);
    return status;
}

/*
 * opsdeck act --list [-c FILE] (for the shell completions): every action of
 * the config's backends, "BACKEND<TAB>PANE<TAB>VERB<TAB>LABEL" a line. The
 * backends are configured and checked as lint does, never started on a loop:
 * nothing is polled. Backends with `actions = off` have none to offer.
 */
static int act_list(const struct options *o)
{
    struct app app = {.store = store_create()};
    char *cause = NULL;
    int status = 0;
    if (!build_backends(&app, o, &cause) || !start_backends(&app, &cause)) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        status = 2;
    }
    for (size_t i = 0; status == 0 && i < app.nbackends; i++) {
        const struct backend *b = app.backends[i];
        int n = 0;
        const struct action_def *defs = backend_actions(b, &n);
        /* a cluster's name acts too (its live member does): listed once, with its first member */
        bool first_member = b->cluster_name != NULL;
        for (size_t k = 0; first_member && k < i; k++) {
            const char *other = app.backends[k]->cluster_name;
            first_member = other == NULL || strcmp(other, b->cluster_name) != 0;
        }
        for (int pass = first_member ? 0 : 1; pass < 2; pass++) {
            const char *name = pass == 0 ? b->cluster_name : b->name;
            for (int k = 0; b->actions_enabled && k < n; k++) {
                text_printf(stdout, "%s\t%s\t%s\t%s\n", name, model_schema(defs[k].kind)->name,
                            defs[k].verb, defs[k].label != NULL ? defs[k].label : "");
            }
        }
    }
    app_finish(&app);
    return status;
}

/*
 * The audit log, mirrored to syslog when [audit] syslog = on (every mode that
 * audits opens it here: the console, act, run, drill, recovery).
 */
static struct journal *open_audit(struct app *app, char **cause)
{
    char *dir = paths_state_dir();
    if (dir == NULL) {
        *cause = xstrdup("no home directory for the state: set XDG_STATE_HOME or HOME");
        return NULL;
    }
    char *path = xasprintf("%s/audit.jsonl", dir);
    struct journal *j = journal_open(path, cause);
    free(dir);
    free(path);
    if (j != NULL && app->syslog == NULL) {
        app->syslog = auditlog_create(app->cfg);
        auditlog_set_loop(app->syslog, app->loop);
    }
    auditlog_attach(app->syslog, j);
    return j;
}

/*
 * The console. Without a writable audit log (a read-only state directory, a
 * full disk) it still shows the data: every action is off (nothing may run
 * unrecorded) and the title bar says why.
 */
/*
 * The audit log for a headless mode that may act, set up for action_run();
 * NULL after saying why (a mode that acts needs it).
 */
static struct journal *audit_for_actions(struct app *app, const struct options *o)
{
    char *cause = NULL;
    struct journal *audit = open_audit(app, &cause);
    if (audit == NULL) {
        text_printf(stderr, "opsdeck: cannot open the audit log: %s\n", cause);
        free(cause);
        return NULL;
    }
    action_setup(audit, o->read_only || (app->cfg != NULL && app->cfg->read_only));
    return audit;
}

/* A live drill started from here has a dead-man guard reading this config. */
static void guard_setup(const struct app *app, const struct options *o)
{
    char *path = config_path(o);
    guardcmd_setup(app->backends, app->nbackends, path);
    free(path);
}

/*
 * A syslog failure said in the console's status line: a moment later, so the
 * action's own result (said right after its audit line) is seen first.
 */
struct console_say {
    struct loop *loop;
    struct ui *ui;
    struct loop_timer *timer;
    char *text;
};

static void console_say_now(void *ud)
{
    struct console_say *cs = ud;
    cs->timer = NULL;
    ui_say(cs->ui, true, "%s", cs->text);
    free(cs->text);
    cs->text = NULL;
}

static void console_say(const char *text, void *ud)
{
    struct console_say *cs = ud;
    free(cs->text);
    cs->text = xstrdup(text);
    if (cs->timer == NULL) {
        cs->timer = loop_timer_add(cs->loop, 1500, 0, console_say_now, cs);
    }
}

/* :reload and SIGHUP build a demo backend with the command line's settings too */
static bool reload_demo_settings(struct backend *b, void *ud, char **cause)
{
    return demo_overrides(b, ud, cause);
}

static int run_console(struct app *app, const struct options *o)
{
    guard_setup(app, o);
    char *cause = NULL;
    char *no_audit = NULL;
    struct journal *audit = open_audit(app, &cause);
    if (audit == NULL) {
        no_audit = xasprintf("no audit log (%s): actions are off", cause);
        text_printf(stderr, "opsdeck: cannot open the audit log: %s: actions are off\n", cause);
        free(cause);
        cause = NULL;
    }
    bool read_only = o->read_only || (app->cfg != NULL && app->cfg->read_only) || audit == NULL;
    action_setup(audit, read_only);
    action_read_only_why(no_audit);
    char *cfgdir = paths_config_dir();
    char *user_themes = cfgdir ? xasprintf("%s/themes", cfgdir) : xstrdup("");
    free(cfgdir);
    const char *dirs[] = {user_themes, OPSDECK_SOURCE_THEMEDIR, OPSDECK_THEMEDIR, NULL};
    struct ui_options uo = {
        .demo = app->demo,
        .read_only = read_only,
        .read_only_why = no_audit,
        .theme = o->theme ? o->theme : (app->cfg ? app->cfg->theme : NULL),
        .theme_dirs = dirs,
        .exit_after_ms = o->exit_after_ms,
        .exit_after_frames = o->exit_after_frames,
        .run_file = o->command == CMD_DRILL ? NULL : o->run_file,
        .run_resume = o->command == CMD_DRILL ? NULL : o->run_resume,
        .run_vars = o->run_vars,
        .config = app->cfg,
        .drill_file = o->command == CMD_DRILL ? o->run_file : NULL,
        .drill_resume = o->command == CMD_DRILL ? o->run_resume : NULL,
        .start_message = app->recovered,
        .join_id = o->join_id,
        .projector = o->projector,
    };
    int status;
    struct view view;
    char *views = view_state_path();
    bool have_view = o->view != NULL;
    if (have_view && !view_resolve(app->cfg, views, o->view, &view, NULL, &cause)) {
        text_printf(stderr, "opsdeck: --view: %s\n", cause);
        free(cause);
        free(views);
        action_setup(NULL, read_only);
        action_read_only_why(NULL);
        journal_close(audit);
        free(user_themes);
        free(no_audit);
        return 2;
    }
    free(views);
    uo.view = have_view ? &view : NULL;
    char *config_file = config_path(o);
    struct ui_reload reload = {
        .path = config_file,
        .cfg = &app->cfg,
        .backends = &app->backends,
        .nbackends = &app->nbackends,
        .theme_fixed = o->theme != NULL,
        .demo_settings = reload_demo_settings,
        .ud = (void *)o,
        .audit = audit,
    };
    uo.reload = &reload;
    struct ui *ui = ui_create(app->loop, app->store, app->backends, app->nbackends, &uo, &cause);
    if (ui == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        status = 2;
    } else {
        struct console_say cs = {.loop = app->loop, .ui = ui};
        auditlog_set_say(app->syslog, console_say, &cs);
        status = ui_run(ui);
        auditlog_set_say(app->syslog, NULL, NULL);
        if (cs.timer != NULL) {
            loop_timer_cancel(app->loop, cs.timer);
        }
        ui_destroy(ui);
        if (cs.text != NULL) {
            text_printf(stderr, "opsdeck: %s\n", cs.text); /* not shown yet: the screen is gone */
            free(cs.text);
        }
    }
    if (have_view) {
        view_free(&view);
    }
    free(config_file);
    action_setup(NULL, read_only);
    action_read_only_why(NULL);
    journal_close(audit);
    free(user_themes);
    free(no_audit);
    return status;
}

struct act_result {
    bool done;
    bool ok;
    char *message;
};

static void on_act_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct act_result *r = ud;
    (void)a;
    r->done = true;
    r->ok = ok;
    r->message = xstrdup(message != NULL ? message : (ok ? "done" : "failed"));
}

static struct backend *backend_named(struct app *app, const char *name)
{
    for (size_t i = 0; i < app->nbackends; i++) {
        if (strcmp(app->backends[i]->name, name) == 0) {
            return app->backends[i];
        }
    }
    return NULL;
}

/* One action, headless: the same checks, audit lines and backend call as a key. */
static int run_act(struct app *app, const struct options *o)
{
    const char *name = o->act_args[0], *pane = o->act_args[1];
    const char *verb = o->act_args[2], *target = o->act_args[3];
    struct backend *b = backend_named(app, name);
    enum model_kind kind;
    if (b == NULL && backend_for_source(app->backends, app->nbackends, name) != NULL) {
        /* a cluster: its members answer first, then the live one that has the row acts */
        snapshot_wait(app->loop, app->backends, app->nbackends);
        b = backend_for_row(app->backends, app->nbackends, name,
                            model_kind_from_name(pane, &kind) ? kind : MODEL_ALERTS, target);
    }
    if (b == NULL || !model_kind_from_name(pane, &kind)) {
        text_printf(stderr, "opsdeck: no %s '%s'\n", b == NULL ? "backend" : "pane",
                    b == NULL ? name : pane);
        return 2;
    }
    const struct action_def *def = backend_action_by_verb(b, kind, verb);
    if (def == NULL) {
        text_printf(stderr, "opsdeck: %s (%s) has no action '%s' on %s\n", name, b->impl->type,
                    verb, pane);
        return 2;
    }
    if ((def->flags & ACTION_INPUT) && o->input == NULL) {
        text_printf(stderr, "opsdeck: %s needs --input (%s, e.g. %s)\n", verb, def->input_prompt,
                    def->input_default);
        return 2;
    }
    struct journal *audit = audit_for_actions(app, o);
    if (audit == NULL) {
        return 1;
    }
    /* actions may need what the backend saw (an alert's labels): let it answer once */
    snapshot_wait(app->loop, &b, 1);
    struct act_result r = {0};
    struct action *a = action_create(b, def, target, o->input);
    /* a protected context: the target typed again, as the console's dialog asks */
    a->typed = o->confirm != NULL && strcmp(o->confirm, target) == 0;
    if (action_protected(b) != NULL && !a->typed) {
        text_printf(stderr,
                    "opsdeck: context %s is protected: %s %s needs --confirm %s (the typed "
                    "confirmation)\n",
                    action_protected(b), verb, target, target);
    }
    action_run(a, on_act_report, &r);
    uint64_t deadline = clock_mono_ms() + (uint64_t)b->timeout_ms + 5000;
    while (!r.done && clock_mono_ms() < deadline) {
        loop_run_once(app->loop, 100);
    }
    int status = 0;
    if (!r.done) {
        text_printf(stderr, "opsdeck: %s %s: no answer from %s\n", verb, target, name);
        status = 1;
    } else if (r.ok) {
        /* a result may have lines of its own (a peek at messages) */
        char *text = text_clean_str(r.message, TEXT_NEWLINE | TEXT_TAB);
        if (strcmp(b->name, name) != 0) {
            text_printf(stdout, "%s: ", b->name); /* the member of the cluster that did it */
        }
        printf("%s\n", text);
        free(text);
    } else {
        /* a cluster's: the member that tried */
        text_printf(stderr, "opsdeck: %s %s: %s%s%s\n", verb, target,
                    strcmp(b->name, name) != 0 ? b->name : "",
                    strcmp(b->name, name) != 0 ? ": " : "", r.message);
        status = 1;
    }
    free(r.message);
    action_setup(NULL, false);
    journal_close(audit);
    return status;
}

/*
 * Roll back what a crashed drill left (DESIGN rule 5) before anything else
 * runs: at every start of the console, a runbook or a drill. Its actions go
 * through the audit log like every other. Returns false when the audit log
 * cannot be opened.
 */
static bool recover_drills(struct app *app, const struct options *o, bool quiet, size_t *failed,
                           bool console)
{
    if (o->read_only || (app->cfg != NULL && app->cfg->read_only)) {
        /* read-only refuses every action: a rollback would only be journaled as failed */
        if (!quiet) {
            fprintf(stderr, "opsdeck: read-only mode: drill rollbacks are not run\n");
            *failed = 1;
        }
        return true;
    }
    char *cause = NULL;
    struct journal *audit = open_audit(app, &cause);
    if (audit == NULL && console) {
        /* the console starts all the same, with actions off: nothing could roll back now */
        app->recovered =
            xasprintf("drill rollbacks not checked: cannot open the audit log (%s)", cause);
        free(cause);
        return true;
    }
    if (audit == NULL) {
        text_printf(stderr, "opsdeck: cannot open the audit log: %s\n", cause);
        free(cause);
        return false;
    }
    action_setup(audit, false);
    /* quiet (a start): also kept for the console, whose screen hides what stderr said */
    char *text = NULL;
    size_t len = 0;
    FILE *out = quiet ? open_memstream(&text, &len) : NULL;
    *failed = drillplain_recover(app->loop, app->store, app->backends, app->nbackends, NULL,
                                 out != NULL ? out
                                 : quiet     ? stderr
                                             : stdout,
                                 quiet);
    if (out != NULL) {
        fclose(out);
        fputs(text, stderr);
        if (len > 0) {
            app->recovered = xstrndup(text, strcspn(text, "\n"));
        }
        free(text);
    }
    action_setup(NULL, false);
    journal_close(audit);
    return true;
}

/*
 * `opsdeck drill --give-up RUN-ID`: stop retrying the rollbacks of a drill
 * that keep failing, because the operator puts them back by hand. Says what
 * is pending, asks for the run id typed (from a pipe too: a script types it
 * as deliberately), then audits and journals rollback.giveup.
 */
static int give_up_cmd(struct app *app, const struct options *o)
{
    const char *id = o->drill_give_up;
    size_t n = 0, mine = 0;
    struct drill_pending *list = drill_pending_list(NULL, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].run, id) != 0) {
            continue;
        }
        if (mine++ == 0) {
            text_printf(stdout, "Drill %s: rollbacks still pending:\n", id);
        }
        /* from the journal: a backend's words */
        text_printf(stdout, "  %s (inject %s)%s%s\n", list[i].rollback, list[i].inject,
                    list[i].message != NULL ? ": last try: " : ": never ran",
                    list[i].message != NULL ? list[i].message : "");
    }
    drill_pending_free(list, n);
    if (mine == 0) {
        text_printf(stderr, "opsdeck: run %s has no pending rollback\n", id);
        return 1;
    }
    printf("Giving up means no start of opsdeck tries them again: put them back by hand.\n"
           "Type the run id to give them up: ");
    fflush(stdout);
    char typed[256] = "";
    if (fgets(typed, sizeof typed, stdin) == NULL) {
        typed[0] = '\0';
    }
    typed[strcspn(typed, "\r\n")] = '\0';
    if (!isatty(STDIN_FILENO)) {
        text_printf(stdout, "%s\n", typed); /* a terminal echoes what is typed; a pipe does not */
    }
    fflush(stdout);
    if (strcmp(typed, id) != 0) {
        fprintf(stderr, "opsdeck: not given up: that is not the run id\n");
        return 1;
    }
    char *cause = NULL;
    struct journal *audit = audit_for_actions(app, o);
    if (audit == NULL) {
        return 1;
    }
    char *report = NULL;
    drill_give_up(NULL, id, typed, &report, &cause);
    int status = 0;
    if (report != NULL) {
        char *text = text_clean_str(report, TEXT_NEWLINE | TEXT_TAB);
        fputs(text, stdout);
        free(text);
    }
    if (cause != NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        status = 1;
    }
    free(report);
    free(cause);
    action_setup(NULL, false);
    journal_close(audit);
    return status;
}

/*
 * The guard (`drill --guard SPEC`, started by a live drill; error: why its
 * backends could not be built) and the safety lever (--stop-all,
 * --release-lever): engine/game_guard.c, tui/guardcmd.c.
 */
static int guard_cmd(struct app *app, const struct options *o, const char *error)
{
    struct journal *audit = error == NULL ? audit_for_actions(app, o) : NULL;
    struct guardcmd g = {.loop = app->loop,
                         .store = app->store,
                         .backends = app->backends,
                         .nbackends = app->nbackends,
                         .spec = o->drill_guard,
                         .error = error != NULL   ? error
                                  : audit == NULL ? "no audit log"
                                                  : NULL,
                         .stop_all = o->stop_all,
                         .reason = o->lever_reason};
    int status = guardcmd_main(&g, stdout);
    action_setup(NULL, false);
    journal_close(audit);
    return status;
}

/* `opsdeck drill` in line mode: --plain, --recover, or without a terminal. */
static int run_drill(struct app *app, const struct options *o)
{
    size_t failed = 0;
    if (o->drill_recover) {
        return recover_drills(app, o, false, &failed, false) && failed == 0 ? 0 : 1;
    }
    struct journal *audit = audit_for_actions(app, o);
    if (audit == NULL) {
        return 1;
    }
    guard_setup(app, o);
    /* before checks read the live panes: let every backend answer once first */
    snapshot_wait(app->loop, app->backends, app->nbackends);
    struct drillplain_options dpo = {
        .file = o->run_file, .resume = o->run_resume, .auto_run = o->drill_auto};
    if (o->report_to != NULL) {
        setenv(DRILLAUTO_REPORT_ENV, o->report_to, 1); /* read by the notify code, never shown */
    }
    int status = drillplain_run(app->loop, app->store, app->backends, app->nbackends, &dpo);
    action_setup(NULL, false);
    journal_close(audit);
    return status;
}

/* `opsdeck run` in line mode: the audit log is opened as for the console (action steps). */
static int run_plain(struct app *app, const struct options *o)
{
    struct journal *audit = NULL;
    if (!o->dry_run && (audit = audit_for_actions(app, o)) == NULL) {
        return 1;
    }
    if (o->dry_run) {
        action_setup(NULL, o->read_only || (app->cfg != NULL && app->cfg->read_only));
    }
    if (app->demo && app->cfg == NULL) {
        /* said first, before any step: a runbook's actions act on the simulation only */
        fprintf(stderr,
                "opsdeck: no config: this run acts on the built-in DEMO (simulated systems; "
                "nothing real changes). Give -c FILE to act on yours.\n");
    }
    struct plain_options po = {
        .file = o->run_file,
        .resume = o->run_resume,
        .vars = o->run_vars,
        .dry_run = o->dry_run,
    };
    int status = plain_run(app->loop, app->store, app->backends, app->nbackends, &po);
    action_setup(NULL, false);
    journal_close(audit);
    return status;
}

/*
 * Commands opsdeck runs (runbook steps, plugins) find the opsdeck that runs
 * them in $OPSDECK, to call it back ("$OPSDECK" snapshot --json).
 */
static void export_self(const char *argv0)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        setenv("OPSDECK", self, 1);
    } else if (strchr(argv0, '/') != NULL) {
        setenv("OPSDECK", argv0, 1);
    } else {
        setenv("OPSDECK", "opsdeck", 1);
    }
}

/*
 * Test-only: OPSDECK_EPOCH=SECONDS stops the wall clock there
 * (clock_pin_wall), so golden screens (tests/e2e/golden.sh) show the same
 * clock, ages and elapsed times on every run. Not for real use: a deadline
 * on the wall clock never passes while it stands.
 */
static bool pin_epoch(void)
{
    const char *e = getenv("OPSDECK_EPOCH");
    if (e == NULL || *e == '\0') {
        return true;
    }
    char *end;
    errno = 0;
    long long v = strtoll(e, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > 253402300799LL) {
        text_printf(stderr, "opsdeck: bad OPSDECK_EPOCH '%s' (unix seconds)\n", e);
        return false;
    }
    clock_pin_wall((int64_t)v * 1000);
    return true;
}

int main(int argc, char **argv)
{
    /*
     * Large blocks (a rowset's cells, a view's order) are mapped and given back
     * whole when freed: glibc's moving threshold would otherwise put them on the
     * heap once one is freed, where what a replaced rowset frees stays resident.
     */
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
    setlocale(LC_ALL, "");
    /* numbers are read (JSON, PromQL answers, configs) and written (journals) in C's format:
     * a de_DE terminal must not turn 0.5 into 0,5 or read "0.5" as 0 */
    setlocale(LC_NUMERIC, "C");
    if (!pin_epoch()) {
        return 2;
    }
    export_self(argv[0]);
    struct options o = {0};
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        return reportcmd_main(argc, argv);
    }
    if (argc > 2 && strcmp(argv[1], "drill") == 0 && strcmp(argv[2], "--from-run") == 0) {
        return drillcmd_from_run(argc, argv);
    }
    args_parse(argc, argv, &o);
    if (o.command == CMD_LINT) {
        return lint(o.lint_file, o.strict);
    }
    if (o.command == CMD_RUNS) {
        return list_runs(&o);
    }
    if (o.command == CMD_ACT && o.act_list) {
        return act_list(&o);
    }
    struct app app = {.loop = loop_create(), .store = store_create()};
    char *cause = NULL;
    int status;
    bool no_tty = !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO);
    bool drill_plain =
        o.command == CMD_DRILL && (o.plain || o.drill_recover || o.drill_auto || no_tty);
    bool run_plain_mode = o.command == CMD_RUN && (o.plain || o.dry_run || no_tty);
    bool console = (o.command == CMD_CONSOLE || o.command == CMD_RUN || o.command == CMD_DRILL ||
                    o.command == CMD_JOIN) &&
                   !drill_plain && !run_plain_mode;
    if (o.command == CMD_JOIN && no_tty) {
        fprintf(stderr, "opsdeck: join needs a terminal\n");
        return 2;
    }
    if (o.command == CMD_DOCTOR) {
        /* the doctor starts the backends itself: a start failure is one of its findings */
        status = 2;
        if (!build_backends(&app, &o, &cause)) {
            text_printf(stderr, "opsdeck: %s\n", cause);
            free(cause);
        } else {
            struct doctorcmd dc = {
                .loop = app.loop,
                .backends = app.backends,
                .nbackends = app.nbackends,
                .cfg = app.cfg,
                .only = o.doctor_only,
                .nonly = o.ndoctor_only,
                .timeout_ms = o.doctor_timeout_ms,
                .json = o.json,
                .read_only = o.read_only || (app.cfg != NULL && app.cfg->read_only),
            };
            status = doctorcmd_main(&dc, stdout);
        }
    } else if (!build_backends(&app, &o, &cause) || !start_backends(&app, &cause) ||
               !share_runs_dir(app.cfg, &cause)) {
        status = o.drill_guard != NULL ? guard_cmd(&app, &o, cause) : 2; /* the owner says it */
        if (o.drill_guard == NULL) {
            text_printf(stderr, "opsdeck: %s\n", cause);
        }
        free(cause);
    } else if (o.list_keys) {
        status = 0;
        if (!keyconf_install(app.cfg, app.backends, app.nbackends, &cause)) {
            text_printf(stderr, "opsdeck: %s\n", cause);
            free(cause);
            status = 2;
        } else {
            keyconf_print(stdout, app.backends, app.nbackends);
            keyconf_free();
        }
    } else if (o.command == CMD_DRILL && (o.drill_guard != NULL || o.stop_all || o.release_lever)) {
        status = guard_cmd(&app, &o, NULL);
    } else if (o.command == CMD_DRILL && o.drill_give_up != NULL) {
        status = give_up_cmd(&app, &o); /* not after a retry: the operator decided */
    } else if ((o.command == CMD_CONSOLE || (o.command == CMD_RUN && !o.dry_run) ||
                (o.command == CMD_DRILL && !o.drill_recover)) &&
               !recover_drills(&app, &o, true, &(size_t){0}, console)) {
        status = 1;
    } else if (drill_plain) {
        status = run_drill(&app, &o);
    } else if (o.command == CMD_ACT) {
        status = run_act(&app, &o);
    } else if (run_plain_mode) {
        status = run_plain(&app, &o);
    } else if (o.command == CMD_SNAPSHOT) {
        status = snapshot_run(app.loop, app.store, app.backends, app.nbackends, o.json, stdout);
    } else {
        if (o.command == CMD_DRILL) {
            /* the before checks read the live panes: let every backend answer once first */
            snapshot_wait(app.loop, app.backends, app.nbackends);
        }
        status = run_console(&app, &o);
    }
    free(app.recovered);
    app_finish(&app);
    free(o.run_vars);
    free(o.doctor_only);
    return status;
}
