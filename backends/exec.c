/*
 * The exec plugin backend (docs/plugins.md): on every refresh run `command`
 * through /bin/sh on the loop (common/proc.c) and read the row schema it
 * prints (backends/plugin.c) into the pane named by `pane`. A poll is skipped
 * while the previous run is still going; the common `timeout` bounds a run.
 *
 * Actions come from the config, one per `action.VERB` key, so this backend
 * has a per-instance action table (struct backend's actions). An action's
 * command is a template whose ${COLUMN}, ${key} and ${input} are replaced by
 * shell-quoted values of the target row as the last successful poll printed
 * it: the copy kept here, not the UI's, which may be grouped or filtered.
 */
#include "exec.h"

#include "../common/proc.h"
#include "../common/util.h"
#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MESSAGE_MAX = 300, MAX_ACTIONS = 16 };

/* Keys the screen itself uses (navigation, views, marks): not for plugin actions. */
static const char RESERVED_KEYS[] = "q?:/zv=usSjkgGhl1234";

struct exec_action {
    char *verb;
    char *spec; /* "KEY | LABEL | FLAGS | COMMAND" as configured */
    char *label;
    char *command;
    char *prompt;
    char *dflt;
    int key;
    unsigned flags;
};

struct act_ctx {
    struct exec *x;
    struct backend_request *a;
    struct proc *proc;
    struct act_ctx *next;
};

struct exec {
    struct backend *b;
    enum model_kind kind;
    bool have_pane;
    char *command;
    char *dir;
    size_t max_output;
    struct exec_action actions[MAX_ACTIONS];
    int nactions;
    struct action_def defs[MAX_ACTIONS];
    struct proc *poll_proc;
    struct plugin_rows rows;
    struct act_ctx *acts;
};

/* ---- children ---- */

/*
 * Run command with the plugin's variables in its environment: OPSDECK_BACKEND,
 * OPSDECK_PANE, OPSDECK_TIMEOUT_MS, then extra (borrowed, NULL-terminated,
 * may be NULL): an action's key, input and template values.
 */
static struct proc *run(struct exec *x, const char *command, char *const *extra, proc_done_cb cb,
                        void *ud, char **cause)
{
    char *base[] = {
        xasprintf("OPSDECK_BACKEND=%s", x->b->name),
        xasprintf("OPSDECK_PANE=%s", model_schema(x->kind)->name),
        xasprintf("OPSDECK_TIMEOUT_MS=%d", x->b->timeout_ms),
    };
    size_t nbase = sizeof base / sizeof base[0], nextra = 0;
    while (extra != NULL && extra[nextra] != NULL) {
        nextra++;
    }
    const char **add = xcalloc(nbase + nextra + 1, sizeof *add);
    for (size_t i = 0; i < nbase; i++) {
        add[i] = base[i];
    }
    for (size_t i = 0; i < nextra; i++) {
        add[nbase + i] = extra[i];
    }
    struct proc_options o = {
        .command = command,
        .cwd = x->dir,
        .env_add = add,
        .timeout_ms = x->b->timeout_ms,
        .max_output = x->max_output,
    };
    struct proc *p = proc_spawn(x->b->loop, &o, cb, ud, cause);
    free(add);
    for (size_t i = 0; i < nbase; i++) {
        free(base[i]);
    }
    return p;
}

/* "exit 3: <stderr's last line>" or the proc's own reason, for a pane or a report. */
static char *failure_text(const struct proc_result *r)
{
    char *last = proc_last_line(r->err_tail);
    char *text;
    if (r->error != NULL) {
        text = last[0] != '\0' ? xasprintf("%s (stderr: %s)", r->error, last) : xstrdup(r->error);
    } else {
        text = last[0] != '\0' ? xasprintf("exit %d: %s", r->exit_code, last)
                               : xasprintf("exit %d (nothing on stderr)", r->exit_code);
    }
    free(last);
    if (strlen(text) > MESSAGE_MAX) {
        text[MESSAGE_MAX] = '\0';
    }
    return text;
}

/* ---- polling ---- */

static void exec_poll(struct backend *b);

static void on_poll_done(const struct proc_result *r, void *ud)
{
    struct backend *b = ud;
    struct exec *x = b->priv;
    x->poll_proc = NULL;
    if (r->error != NULL || r->exit_code != 0) {
        char *why = failure_text(r);
        backend_fail(b, "%s", why);
        free(why);
    } else {
        struct rowset *rs = rowset_create(x->kind, b->name);
        struct plugin_rows rows = {0};
        char *cause = NULL;
        if (plugin_parse_rows(r->out, r->out_len, rs, &rows, &cause)) {
            plugin_rows_clear(&x->rows);
            x->rows = rows;
            backend_publish(b, rs);
        } else {
            backend_fail(b, "%s", cause);
            free(cause);
            plugin_rows_clear(&rows);
            rowset_destroy(rs);
        }
    }
    backend_poll_end(b);
}

static void exec_poll(struct backend *b)
{
    struct exec *x = b->priv;
    if (!backend_poll_begin(b)) {
        return; /* the last run is still going: one at a time */
    }
    char *cause = NULL;
    x->poll_proc = run(x, x->command, NULL, on_poll_done, b, &cause);
    if (x->poll_proc == NULL) {
        backend_fail(b, "%s", cause);
        free(cause);
        backend_poll_end(b);
    }
}

/* ---- actions ---- */

static void act_unlink(struct exec *x, struct act_ctx *ctx)
{
    for (struct act_ctx **pp = &x->acts; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == ctx) {
            *pp = ctx->next;
            return;
        }
    }
}

/* stdout on one line, trimmed and capped: the report the operator reads. */
static char *message_text(const char *out)
{
    char *text = xstrndup(out, MESSAGE_MAX);
    for (char *p = text; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    str_trim(text);
    if (text[0] == '\0') {
        free(text);
        text = xstrdup("done");
    }
    return text;
}

static void on_act_done(const struct proc_result *r, void *ud)
{
    struct act_ctx *ctx = ud;
    struct exec *x = ctx->x;
    act_unlink(x, ctx);
    /* refresh first: the report may be the last thing its caller waits for */
    backend_poll_now(x->b);
    if (r->error != NULL || r->exit_code != 0) {
        char *why = failure_text(r);
        backend_done(ctx->a, false, why);
        free(why);
    } else {
        char *msg = message_text(r->out);
        backend_done(ctx->a, true, msg);
        free(msg);
    }
    free(ctx);
}

static void exec_act(struct backend *b, struct backend_request *a)
{
    struct exec *x = b->priv;
    int i = (int)(a->def - x->defs);
    if (i < 0 || i >= x->nactions) {
        backend_done(a, false, "not an action of this backend");
        return;
    }
    const struct plugin_row *row = plugin_rows_find(&x->rows, a->target);
    if (row == NULL) {
        char *why = xasprintf("no row '%s' in %s's last output", a->target, b->name);
        backend_done(a, false, why);
        free(why);
        return;
    }
    char *cause = NULL;
    struct shtmpl_command cmd;
    if (!plugin_command(x->kind, x->actions[i].command, a->target, row, a->input, &cmd, &cause)) {
        backend_done(a, false, cause);
        free(cause);
        return;
    }
    size_t nvals = 0;
    while (cmd.env[nvals] != NULL) {
        nvals++;
    }
    char **extra = xcalloc(nvals + 4, sizeof *extra);
    extra[0] = xasprintf("OPSDECK_ACTION=%s", x->actions[i].verb);
    extra[1] = xasprintf("OPSDECK_KEY=%s", a->target);
    extra[2] = xasprintf("OPSDECK_INPUT=%s", a->input != NULL ? a->input : "");
    memcpy(extra + 3, cmd.env, nvals * sizeof *extra);
    struct act_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->x = x;
    ctx->a = a;
    ctx->proc = run(x, cmd.command, extra, on_act_done, ctx, &cause);
    for (size_t k = 0; k < 3; k++) {
        free(extra[k]);
    }
    free(extra);
    shtmpl_command_finish(&cmd);
    if (ctx->proc == NULL) {
        backend_done(a, false, cause);
        free(cause);
        free(ctx);
        return;
    }
    ctx->next = x->acts;
    x->acts = ctx;
}

static bool parse_flags(const char *text, unsigned *flags, char **cause)
{
    char *copy = xstrdup(text);
    char *save = NULL;
    bool ok = true;
    *flags = 0;
    for (char *w = strtok_r(copy, "+, ", &save); w != NULL && ok;
         w = strtok_r(NULL, "+, ", &save)) {
        if (strcmp(w, "none") == 0) {
            continue;
        } else if (strcmp(w, "input") == 0) {
            *flags |= ACTION_INPUT;
        } else if (strcmp(w, "typed") == 0) {
            *flags |= ACTION_TYPED;
        } else if (strcmp(w, "disruptive") == 0) {
            *flags |= ACTION_DISRUPTIVE;
        } else {
            *cause = xasprintf("unknown action flag '%s' (none, input, typed, disruptive)", w);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

/* The next '|'-separated field, trimmed; NULL when there is no '|' left. */
static char *field(char **rest)
{
    char *bar = strchr(*rest, '|');
    if (bar == NULL) {
        return NULL;
    }
    *bar = '\0';
    char *f = str_trim(*rest);
    *rest = bar + 1;
    return f;
}

/* "KEY | LABEL | FLAGS | COMMAND"; the command may hold '|' itself. */
static bool parse_action(struct exec_action *ea, char **cause)
{
    char *copy = xstrdup(ea->spec);
    char *rest = copy;
    char *key = field(&rest), *label = key ? field(&rest) : NULL;
    char *flags = label ? field(&rest) : NULL;
    char *command = str_trim(rest);
    bool ok = false;
    if (flags == NULL || command[0] == '\0') {
        *cause = xasprintf("action.%s: want KEY | LABEL | FLAGS | COMMAND", ea->verb);
    } else if (strlen(key) != 1 || key[0] <= ' ' || key[0] > '~' ||
               strchr(RESERVED_KEYS, key[0]) != NULL) {
        *cause = xasprintf("action.%s: the key must be one character not used by the screen "
                           "(not %s)",
                           ea->verb, RESERVED_KEYS);
    } else if (label[0] == '\0') {
        *cause = xasprintf("action.%s: empty label", ea->verb);
    } else if (parse_flags(flags, &ea->flags, cause)) {
        ea->key = key[0];
        ea->label = xstrdup(label);
        ea->command = xstrdup(command);
        ok = true;
    }
    free(copy);
    return ok;
}

static bool verb_ok(const char *verb)
{
    if (verb[0] == '\0' || strlen(verb) > 32) {
        return false;
    }
    for (const char *p = verb; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            return false;
        }
    }
    return true;
}

static struct exec_action *action_named(struct exec *x, const char *verb, char **cause)
{
    for (int i = 0; i < x->nactions; i++) {
        if (strcmp(x->actions[i].verb, verb) == 0) {
            return &x->actions[i];
        }
    }
    if (!verb_ok(verb)) {
        *cause = xasprintf("bad action name '%s' (a-z, 0-9, - and _)", verb);
        return NULL;
    }
    if (x->nactions == MAX_ACTIONS) {
        *cause = xasprintf("too many actions (at most %d)", MAX_ACTIONS);
        return NULL;
    }
    struct exec_action *ea = &x->actions[x->nactions++];
    ea->verb = xstrdup(verb);
    return ea;
}

static bool set_once(char **slot, const char *value, const char *what, char **cause)
{
    if (*slot != NULL) {
        *cause = xasprintf("%s given twice", what);
        return false;
    }
    *slot = xstrdup(value);
    return true;
}

static bool action_line(struct exec *x, struct exec_action *ea, char **cause);

static bool configure_action(struct exec *x, const char *name, const char *value, char **cause)
{
    char *verb = xstrdup(name);
    char *dot = strchr(verb, '.');
    const char *sub = NULL;
    if (dot != NULL) {
        *dot = '\0';
        sub = dot + 1;
    }
    struct exec_action *ea = action_named(x, verb, cause);
    bool ok = false;
    if (ea == NULL) {
        /* cause set */
    } else if (sub == NULL) {
        /* checked here, not at start, so that an error names the config line */
        ok = set_once(&ea->spec, value, name, cause) && action_line(x, ea, cause);
    } else if (strcmp(sub, "prompt") == 0) {
        ok = set_once(&ea->prompt, value, name, cause);
    } else if (strcmp(sub, "default") == 0) {
        ok = set_once(&ea->dflt, value, name, cause);
    } else {
        *cause = xasprintf("unknown key 'action.%s' (action.VERB, action.VERB.prompt, "
                           "action.VERB.default)",
                           name);
    }
    free(verb);
    return ok;
}

static bool parse_size(const char *value, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(value, &end, 10);
    unsigned long long mult = 1;
    if (end == value || value[0] == '-') {
        return false;
    }
    if (*end == 'K' || *end == 'k') {
        mult = 1024, end++;
    } else if (*end == 'M' || *end == 'm') {
        mult = 1024 * 1024, end++;
    }
    if (*end != '\0' || v == 0 || v > (1ull << 30) / mult) {
        return false;
    }
    *out = (size_t)(v * mult);
    return true;
}

/* ---- configuration and lifetime ---- */

static void *exec_create(struct backend *b)
{
    struct exec *x = xcalloc(1, sizeof *x);
    x->b = b;
    x->max_output = PROC_DEFAULT_MAX_OUTPUT;
    return x;
}

static bool exec_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct exec *x = b->priv;
    if (strcmp(key, "pane") == 0) {
        if (x->have_pane) {
            *cause = xstrdup("pane given twice");
            return false;
        }
        if (!plugin_pane(value, &x->kind)) {
            *cause = xasprintf("bad pane '%s' (queues, pools, deployments or alerts)", value);
            return false;
        }
        x->have_pane = true;
        return true;
    }
    if (strcmp(key, "command") == 0) {
        return set_once(&x->command, value, "command", cause);
    }
    if (strcmp(key, "dir") == 0) {
        return set_once(&x->dir, value, "dir", cause);
    }
    if (strcmp(key, "max_output") == 0) {
        if (!parse_size(value, &x->max_output)) {
            *cause = xasprintf("bad max_output '%s' (e.g. 512K, 8M; at most 1024M)", value);
            return false;
        }
        return true;
    }
    if (str_has_prefix(key, "action.")) {
        return configure_action(x, key + strlen("action."), value, cause);
    }
    *cause = xasprintf("unknown key '%s' for an exec backend", key);
    return false;
}

/* One action.VERB line: its fields, its template, a key of its own. */
static bool action_line(struct exec *x, struct exec_action *ea, char **cause)
{
    if (!x->have_pane) {
        *cause = xasprintf("action.%s before pane: set the pane first (its columns are the "
                           "variables)",
                           ea->verb);
        return false;
    }
    if (!parse_action(ea, cause)) {
        return false;
    }
    char *why = NULL;
    if (!plugin_template_check(x->kind, ea->command, (ea->flags & ACTION_INPUT) != 0, &why)) {
        *cause = xasprintf("action.%s: %s", ea->verb, why);
        free(why);
        return false;
    }
    for (int j = 0; j < x->nactions; j++) {
        if (&x->actions[j] != ea && x->actions[j].command != NULL && x->actions[j].key == ea->key) {
            *cause = xasprintf("action.%s: key '%c' is taken by action.%s", ea->verb, ea->key,
                               x->actions[j].verb);
            return false;
        }
    }
    return true;
}

static bool start_action(struct exec *x, int i, char **cause)
{
    struct exec_action *ea = &x->actions[i];
    if (ea->spec == NULL) {
        *cause = xasprintf("action.%s.prompt or .default without action.%s", ea->verb, ea->verb);
        return false;
    }
    bool input = (ea->flags & ACTION_INPUT) != 0;
    if (!input && (ea->prompt != NULL || ea->dflt != NULL)) {
        *cause = xasprintf("action.%s has a prompt or default but not the input flag", ea->verb);
        return false;
    }
    x->defs[i] = (struct action_def){
        .verb = ea->verb,
        .label = ea->label,
        .kind = x->kind,
        .key = ea->key,
        .flags = ea->flags,
        .input_prompt = input ? (ea->prompt != NULL ? ea->prompt : "Value") : NULL,
        .input_default = input ? (ea->dflt != NULL ? ea->dflt : "") : NULL,
    };
    return true;
}

static bool exec_start(struct backend *b, char **cause)
{
    struct exec *x = b->priv;
    if (!x->have_pane) {
        *cause = xstrdup("pane is required (queues, pools, deployments or alerts)");
        return false;
    }
    if (x->command == NULL || x->command[0] == '\0') {
        *cause = xstrdup("command is required");
        return false;
    }
    for (int i = 0; i < x->nactions; i++) {
        if (!start_action(x, i, cause)) {
            return false;
        }
    }
    b->kinds = 1u << x->kind;
    if (x->nactions > 0) {
        b->actions = x->defs;
        b->nactions = x->nactions;
    }
    return true;
}

static void exec_destroy(struct backend *b)
{
    struct exec *x = b->priv;
    if (x == NULL) {
        return;
    }
    proc_cancel(x->poll_proc);
    while (x->acts != NULL) {
        struct act_ctx *ctx = x->acts;
        x->acts = ctx->next;
        proc_cancel(ctx->proc); /* its result is unknown; nobody is left to tell */
        backend_drop(ctx->a);
        free(ctx);
    }
    for (int i = 0; i < x->nactions; i++) {
        struct exec_action *ea = &x->actions[i];
        free(ea->verb);
        free(ea->spec);
        free(ea->label);
        free(ea->command);
        free(ea->prompt);
        free(ea->dflt);
    }
    plugin_rows_clear(&x->rows);
    free(x->command);
    free(x->dir);
    free(x);
    b->priv = NULL;
    b->actions = NULL;
    b->nactions = 0;
}

const struct backend_impl exec_backend = {
    .type = "exec",
    .description = "plugin: a command that prints rows as JSON (docs/plugins.md)",
    .kinds =
        (1u << MODEL_ALERTS) | (1u << MODEL_QUEUES) | (1u << MODEL_POOLS) | (1u << MODEL_DEPLOYS),
    .actions = NULL,
    .nactions = 0,
    .create = exec_create,
    .configure = exec_configure,
    .start = exec_start,
    .poll = exec_poll,
    .act = exec_act,
    .destroy = exec_destroy,
};
