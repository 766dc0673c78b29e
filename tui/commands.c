/*
 * The : commands, one table (console.h): names (the first is the one shown,
 * the others are aliases), arguments, a line of help and when help lists
 * it. ? help and :help print the table, so a command is documented where it
 * is defined. Names are stable: scripts and fingers rely on them.
 */
#include "console.h"
#include "ctx.h"

#include "../common/util.h"
#include "../panes/tablepane.h"
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum command_id {
    CMD_QUIT = 1,
    CMD_HELP,
    CMD_THEME,
    CMD_THEMES,
    CMD_SORT,
    CMD_FILTER,
    CMD_RUN,
    CMD_DRILL,
    CMD_RESUME,
    CMD_CLOSE,
    CMD_ABORT,
    CMD_LEFTOVERS,
    CMD_REVIEW,
    CMD_JOIN,
    CMD_HANDOVER,
    CMD_ACCEPT,
    CMD_DECLINE,
    CMD_ROLE,
    CMD_TAKEOVER,
    CMD_PROJECTOR,
    CMD_PROMQL,
    CMD_VIEW,
    CMD_COLS,
    CMD_CTX,
    CMD_HISTORY,
    CMD_RELOAD,
};

struct command_def {
    const char *names; /* "q quit q!": the first is shown in help */
    const char *args;  /* as shown: "FILE", "[TEXT]"; NULL: none */
    enum command_id id;
    const char *help;
    bool (*shown)(const struct ui *ui); /* NULL: help always lists it */
};

static bool on_table(const struct ui *ui)
{
    return !ui->side_focus;
}

static bool run_open(const struct ui *ui)
{
    return ui->side.ops != NULL;
}

static bool several_contexts(const struct ui *ui)
{
    return ctx_count(ui) > 1;
}

/* :history is listed where alerts are (the panes of the Alerts slot). */
static bool on_alerts(const struct ui *ui)
{
    const struct panel *p = ui->side_focus ? NULL : ui_focused((struct ui *)ui); /* only read */
    if (p == NULL || p->ops == NULL || p->ops->table == NULL) {
        return false;
    }
    enum model_kind k = p->ops->table->kind;
    return k == MODEL_ALERTS || k == MODEL_SILENCES || k == MODEL_HISTORY;
}

static const struct command_def commands[] = {
    {"sort", "COL", CMD_SORT, "sort by a column title (again: reverse)", on_table},
    {"filter", "[TEXT]", CMD_FILTER, "filter rows as / does (!TEXT inverts; none: clear)",
     on_table},
    {"cols", "[SPEC]", CMD_COLS,
     "columns shown, in order: A,B,C  -COL  +COL  reset (none: list; o: chooser)", on_table},
    {"view", "[NAME]", CMD_VIEW,
     "show a saved view or a view string (none: list); save NAME, rm NAME, show", NULL},
    {"ctx context", "[NAME|a,b|all]", CMD_CTX,
     "show one context, several or all (none: list them; X cycles)", several_contexts},
    {"promql", "[@NAME] [QUERY]", CMD_PROMQL,
     "a PromQL query's series in a table (no QUERY: edit the last; Esc closes)", NULL},
    {"history", NULL, CMD_HISTORY,
     "the alert history: every transition seen, newest first (also H on Alerts; Esc closes)",
     on_alerts},
    {"reload", NULL, CMD_RELOAD, "read the config again, as SIGHUP (refused on an error)", NULL},
    {"theme", "[NAME]", CMD_THEME, "switch theme (no NAME: list them)", NULL},
    {"themes", NULL, CMD_THEMES, "list the themes", NULL},
    {"run", "FILE", CMD_RUN, "open a runbook (r on an alert: its runbook)", NULL},
    {"drill", "FILE", CMD_DRILL, "open a drill (game day) in the drill pane", NULL},
    {"resume", "[ID]", CMD_RESUME, "resume a run (no ID, or R: the newest unfinished)", NULL},
    {"close", NULL, CMD_CLOSE, "close the run's pane; it stays resumable (a drill rolls back)",
     run_open},
    {"abort", NULL, CMD_ABORT, "end the run for good (typed confirmation)", run_open},
    {"leftovers", NULL, CMD_LEFTOVERS,
     "what this console left in place (drained, silenced, paused...), u undoes", NULL},
    {"review", NULL, CMD_REVIEW, "answer the ended run's post-incident questions (again)",
     run_open},
    {"join", "RUN-ID", CMD_JOIN, "follow a run another console shares ([share] dir; opsdeck runs)",
     NULL},
    {"handover", "USER", CMD_HANDOVER, "shared run: offer control to a joined person", run_open},
    {"accept", NULL, CMD_ACCEPT, "shared run: take the control offered to you", run_open},
    {"decline", NULL, CMD_DECLINE, "shared run: refuse the control offered to you", run_open},
    {"role", "USER ROLE", CMD_ROLE, "shared run (owner): make a person observer or participant",
     run_open},
    {"takeover", NULL, CMD_TAKEOVER, "the owner of the run you follow is gone: take it over",
     run_open},
    {"projector", NULL, CMD_PROJECTOR, "the run or drill full screen for the room (q leaves)",
     run_open},
    {"help h", NULL, CMD_HELP, "this help (also ?)", NULL},
    {"q quit q!", NULL, CMD_QUIT, "quit (also q)", NULL},
};

/* :history: the History pane (panes/history.c, on demand) in the Alerts slot's place. */
static void open_history(struct ui *ui)
{
    const struct pane_ops *ops = NULL;
    for (size_t i = 0; i < pane_on_demand_count; i++) {
        if (strcmp(pane_on_demand[i].ops->name, "history") == 0) {
            ops = pane_on_demand[i].ops;
        }
    }
    struct panel *p = ops != NULL ? ui_pane_open(ui, ops, NULL) : NULL;
    if (p != NULL) {
        tablepane_set_title(p->self, "History"); /* opened by a command: the console feeds it */
    }
    if (p == NULL) {
        ui_say(ui, true, ":history: no room for its pane");
    } else if (ui->alertlog == NULL) {
        tablepane_set_status(p->self, "no alert log (no state directory): nothing is recorded",
                             true);
    } else {
        tablepane_set_status(p->self, NULL, false);
    }
}

static bool names_match(const char *names, const char *cmd)
{
    size_t n = strlen(cmd);
    for (const char *s = names; *s != '\0';) {
        size_t len = strcspn(s, " ");
        if (len == n && strncmp(s, cmd, n) == 0) {
            return true;
        }
        s += len;
        s += strspn(s, " ");
    }
    return false;
}

static void apply_theme(struct ui *ui, const char *name)
{
    struct theme t;
    char *cause = NULL;
    if (!theme_load(&t, name, ui->opts.theme_dirs, &cause)) {
        ui_say(ui, true, "%s", cause);
        free(cause);
        return;
    }
    ui->theme = t;
    theme_apply(&ui->theme, ui->tier);
    clearok(curscr, TRUE);
    ui_dirty_all(ui);
    ui_say(ui, false, "theme %s", name);
}

static void list_themes(struct ui *ui)
{
    char **names = theme_list(ui->opts.theme_dirs);
    char buf[256] = "";
    for (size_t i = 0; names[i] != NULL; i++) {
        strncat(buf, i ? ", " : "themes: ", sizeof buf - strlen(buf) - 1);
        strncat(buf, names[i], sizeof buf - strlen(buf) - 1);
    }
    theme_list_free(names);
    ui_say(ui, false, "%s", buf);
}

/* :sort and :filter act on the focused table pane. */
static struct panel *table_for(struct ui *ui, const char *cmd)
{
    struct panel *p = ui_focused_table(ui);
    if (p == NULL) {
        ui_say(ui, true, ":%s: the focused pane is not a table", cmd);
    }
    return p;
}

static void run(struct ui *ui, const struct command_def *c, const char *cmd, const char *arg)
{
    bool has_arg = arg != NULL && *arg != '\0';
    struct panel *p;
    char *cause = NULL;
    switch (c->id) {
    case CMD_QUIT:
        ui_quit(ui);
        break;
    case CMD_HELP:
        help_open(ui);
        break;
    case CMD_THEME:
        if (has_arg) {
            apply_theme(ui, arg);
        } else {
            list_themes(ui);
        }
        break;
    case CMD_THEMES:
        list_themes(ui);
        break;
    case CMD_RELOAD:
        reload_run(ui, ":reload");
        break;
    case CMD_SORT:
        if (!has_arg) {
            ui_say(ui, true, "usage: :sort COL");
        } else if ((p = table_for(ui, cmd)) != NULL && !tablepane_sort_by(p->self, arg, &cause)) {
            ui_say(ui, true, "%s", cause);
            free(cause);
        }
        break;
    case CMD_FILTER:
        if ((p = table_for(ui, cmd)) != NULL) {
            tablepane_filter(p->self, arg != NULL ? arg : "");
        }
        break;
    case CMD_RUN:
    case CMD_DRILL:
        if (!has_arg) {
            ui_say(ui, true, "usage: :%s FILE", c->names);
        } else if (c->id == CMD_RUN) {
            side_open_run(ui, arg, NULL);
        } else {
            side_open_drill(ui, arg);
        }
        break;
    case CMD_RESUME:
        if (has_arg) {
            side_resume(ui, arg);
        } else {
            side_resume_newest(ui);
        }
        break;
    case CMD_CLOSE:
        side_close(ui);
        break;
    case CMD_ABORT:
        side_abort(ui);
        break;
    case CMD_LEFTOVERS:
        leftovers_open(ui);
        break;
    case CMD_REVIEW:
        leftovers_review_again(ui);
        break;
    case CMD_JOIN:
        if (!has_arg) {
            ui_say(ui, true, "usage: :join RUN-ID (opsdeck runs lists the shared runs)");
        } else {
            room_join(ui, arg);
        }
        break;
    case CMD_HANDOVER:
    case CMD_ACCEPT:
    case CMD_DECLINE:
    case CMD_ROLE:
        room_command(ui, c->names, arg);
        break;
    case CMD_TAKEOVER:
        room_takeover(ui);
        break;
    case CMD_PROJECTOR:
        projview_toggle(ui);
        break;
    case CMD_PROMQL:
        promqlcmd_run(ui, arg != NULL ? arg : "");
        break;
    case CMD_VIEW:
        view_command(ui, arg != NULL ? arg : "");
        break;
    case CMD_COLS:
        view_cols_command(ui, arg != NULL ? arg : "");
        break;
    case CMD_CTX:
        if (!has_arg) {
            ctx_list(ui);
        } else if (!ctx_select(ui, arg, &cause)) {
            ui_say(ui, true, "%s", cause);
            free(cause);
        } else {
            char *spec = ctx_spec(ui);
            ui_say(ui, false, "context: %s", spec);
            free(spec);
        }
        break;
    case CMD_HISTORY:
        open_history(ui);
        break;
    }
}

void commands_run(struct ui *ui, char *line)
{
    str_trim(line);
    char *arg = strchr(line, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        str_trim(arg);
    }
    if (line[0] == '\0') {
        return;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (names_match(commands[i].names, line)) {
            run(ui, &commands[i], line, arg);
            return;
        }
    }
    ui_say(ui, true, "unknown command ':%s' (:help lists them)", line);
}

void commands_help(struct ui *ui, struct viewer *v)
{
    viewer_add(v, "Commands");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command_def *c = &commands[i];
        if (c->shown != NULL && !c->shown(ui)) {
            continue;
        }
        char name[64];
        size_t n = strcspn(c->names, " ");
        snprintf(name, sizeof name, ":%.*s%s%s", (int)n, c->names, c->args ? " " : "",
                 c->args ? c->args : "");
        viewer_add(v, "  %-16s %s", name, c->help);
    }
}
