/*
 * User key maps from the config (keyconf.h). The scopes are the panes of
 * pane_registry, pane_on_demand and the side panes (runbook, drill), each
 * with the verbs of its key table and the actions the configured backends
 * offer on its kind; the console's own table (frame_keys) is in every scope.
 */
#include "keyconf.h"

#include "../backends/backend.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/config.h"
#include "../panes/drill.h"
#include "../panes/runbook.h"
#include "../panes/tablepane.h"
#include "console.h"
#include "keymap.h"

#include <stdlib.h>
#include <string.h>

struct scopes {
    struct keymap_scope *v;
    size_t n;
    struct keymap_action **actions; /* owned, one per scope */
};

static void add_scope(struct scopes *s, const struct pane_ops *ops, struct backend *const *backends,
                      size_t nb)
{
    struct keymap_action *acts = NULL;
    size_t na = 0;
    for (size_t i = 0; i < nb && ops->table != NULL; i++) {
        int n;
        const struct action_def *defs = backend_actions(backends[i], &n);
        for (int a = 0; a < n; a++) {
            if (defs[a].kind == ops->table->kind) {
                acts = xreallocarray(acts, na + 1, sizeof *acts);
                acts[na++] = (struct keymap_action){defs[a].verb, defs[a].key};
            }
        }
    }
    s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
    s->actions = xreallocarray(s->actions, s->n + 1, sizeof *s->actions);
    s->v[s->n] = (struct keymap_scope){ops->name, ops->keys, acts, na};
    s->actions[s->n++] = acts;
}

static struct scopes make_scopes(struct backend *const *backends, size_t nb)
{
    struct scopes s = {0};
    for (size_t i = 0; i < pane_count; i++) {
        add_scope(&s, pane_registry[i].ops, backends, nb);
    }
    for (size_t i = 0; i < pane_on_demand_count; i++) {
        add_scope(&s, pane_on_demand[i].ops, backends, nb);
    }
    add_scope(&s, &runbook_pane, backends, nb);
    add_scope(&s, &drill_pane, backends, nb);
    return s;
}

static void free_scopes(struct scopes *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->actions[i]);
    }
    free(s->actions);
    free(s->v);
}

bool keyconf_install(const struct config *cfg, struct backend *const *backends, size_t n,
                     char **cause)
{
    struct scopes s = make_scopes(backends, n);
    size_t nl = cfg != NULL ? cfg->nkeys : 0;
    struct keymap_line *lines = xcalloc(nl > 0 ? nl : 1, sizeof *lines);
    for (size_t i = 0; i < nl; i++) {
        lines[i] = (struct keymap_line){cfg->keys[i].key, cfg->keys[i].value, cfg->keys[i].line};
    }
    bool ok = keymap_install(cfg != NULL ? cfg->path : "", lines, nl, frame_keys, s.v, s.n, cause);
    free(lines);
    free_scopes(&s);
    return ok;
}

void keyconf_free(void)
{
    keymap_clear();
}

struct lintout {
    const char *file;
    FILE *out;
};

static void on_warning(int line, const char *message, void *ud)
{
    const struct lintout *lo = ud;
    text_printf(lo->out, "%s:%d: warning: %s\n", lo->file, line, message);
}

size_t keyconf_lint(const char *file, FILE *out)
{
    struct lintout lo = {file, out};
    return keymap_lint(on_warning, &lo);
}

/* ---- opsdeck --keys ---- */

static bool table_includes(const struct key_def *t, const struct key_def *inner)
{
    if (t == inner) {
        return true;
    }
    for (const struct key_def *k = t; k->keys != NULL || k->heading != NULL || k->more != NULL;
         k++) {
        if (k->more != NULL && table_includes(k->more, inner)) {
            return true;
        }
    }
    return false;
}

static void print_entries(FILE *out, const char *scope, const struct key_def *t)
{
    for (const struct key_def *k = t; k != NULL; k++) {
        if (k->keys == NULL && k->verb == NULL && k->help == NULL && k->heading == NULL &&
            k->more == NULL) {
            break;
        }
        if (k->more != NULL) {
            if (k->more == tablepane_keys) {
                text_printf(out, "  %-18s %-14s %s\n", "(table keys)", "",
                            "every table pane's keys");
            } else {
                print_entries(out, scope, k->more);
            }
            continue;
        }
        if (k->keys == NULL || k->verb == NULL) {
            continue;
        }
        char spec[64];
        bool bound = keymap_spec(scope, k->verb, k->keys, spec, sizeof spec);
        bool mine = strcmp(spec, k->keys) != 0;
        text_printf(out, "  %-18s %-14s %s%s\n", k->verb, bound ? spec : "(none)",
                    k->help != NULL ? k->help : "", mine ? " *" : "");
    }
}

/* The table keys a pane's own binding changed there (PANE.VERB = KEYS). */
static void print_pane_table_keys(FILE *out, const char *scope)
{
    for (const struct key_def *k = tablepane_keys; k->keys != NULL; k++) {
        char here[64], everywhere[64];
        bool bound = keymap_spec(scope, k->verb, k->keys, here, sizeof here);
        keymap_spec(NULL, k->verb, k->keys, everywhere, sizeof everywhere);
        if (strcmp(here, everywhere) != 0) {
            char *verb = xasprintf("%s.%s", scope, k->verb);
            text_printf(out, "  %-18s %-14s %s *\n", verb, bound ? here : "(none)", k->help);
            free(verb);
        }
    }
}

void keyconf_print(FILE *out, struct backend *const *backends, size_t n)
{
    struct scopes s = make_scopes(backends, n);
    fprintf(out, "Verbs for [keys] (VERB = KEYS, PANE.VERB = KEYS, KEYS none unbinds); "
                 "* the config's\n\nconsole (every pane)\n");
    print_entries(out, NULL, frame_keys);
    fprintf(out, "\ntable keys (alerts, queues, pools, deploys, silences, signals, promql, "
                 "history)\n");
    print_entries(out, NULL, tablepane_keys);
    for (size_t i = 0; i < s.n; i++) {
        const struct keymap_scope *sc = &s.v[i];
        text_printf(out, "\n");
        text_printf(out, "%s\n", sc->name);
        if (sc->keys != tablepane_keys) {
            print_entries(out, sc->name, sc->keys);
        } else {
            text_printf(out, "  %-18s %-14s %s\n", "(table keys)", "", "every table pane's keys");
        }
        if (sc->keys != NULL && table_includes(sc->keys, tablepane_keys)) {
            print_pane_table_keys(out, sc->name);
        }
        for (size_t a = 0; a < sc->nactions; a++) {
            bool dup = false;
            for (size_t b = 0; b < a; b++) {
                dup = dup || strcmp(sc->actions[b].verb, sc->actions[a].verb) == 0;
            }
            if (dup) {
                continue;
            }
            char def[2] = {(char)sc->actions[a].key, '\0'};
            char spec[64];
            bool bound = keymap_action_spec(sc->name, sc->actions[a].verb, def, spec, sizeof spec);
            char *verb = xasprintf("%s.%s", sc->name, sc->actions[a].verb);
            text_printf(out, "  %-18s %-14s action%s\n", verb, bound ? spec : "(none)",
                        strcmp(spec, def) != 0 ? " *" : "");
            free(verb);
        }
    }
    free_scopes(&s);
}
