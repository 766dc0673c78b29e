/* Key tables: names, lookup and help (keymap.h). */
#include "keymap.h"

#include "../backends/backend.h"
#include "../common/util.h"
#include "widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct named_key {
    const char *name;
    wint_t ch;
    bool is_key;
};

/* Enter and Backspace arrive differently from different terminals: every form is listed. */
static const struct named_key named[] = {
    {"Space", ' ', false},     {"Enter", '\r', false},
    {"Enter", '\n', false},    {"Enter", KEY_ENTER, true},
    {"Esc", 27, false},        {"Tab", '\t', false},
    {"S-Tab", KEY_BTAB, true}, {"Backspace", 127, false},
    {"Backspace", 8, false},   {"Backspace", KEY_BACKSPACE, true},
    {"Up", KEY_UP, true},      {"Down", KEY_DOWN, true},
    {"Left", KEY_LEFT, true},  {"Right", KEY_RIGHT, true},
    {"PgUp", KEY_PPAGE, true}, {"PgDn", KEY_NPAGE, true},
    {"Home", KEY_HOME, true},  {"End", KEY_END, true},
};

static bool same(const char *tok, size_t n, const char *name)
{
    return strlen(name) == n && strncmp(tok, name, n) == 0;
}

static bool printable(char c)
{
    return c > ' ' && c < 127;
}

/* 0: not a name; 1: a name that does not match; 2: a match. */
static int token_match(const char *tok, size_t n, wint_t ch, bool is_key)
{
    if (n == 1 && printable(tok[0])) {
        return 1 + (!is_key && ch == (wint_t)(unsigned char)tok[0]);
    }
    if (n == 3 && tok[1] == '-' && printable(tok[0]) && printable(tok[2]) && tok[0] < tok[2]) {
        return 1 + (!is_key && ch >= (wint_t)(unsigned char)tok[0] &&
                    ch <= (wint_t)(unsigned char)tok[2]);
    }
    if (n == 6 && strncmp(tok, "Ctrl-", 5) == 0 && tok[5] >= 'A' && tok[5] <= 'Z') {
        return 1 + (!is_key && ch == (wint_t)(tok[5] - 'A' + 1));
    }
    if ((n == 2 || n == 3) && tok[0] == 'F' && tok[1] >= '1' && tok[1] <= '9') {
        int f = tok[1] - '0';
        if (n == 3) {
            if (tok[1] != '1' || tok[2] < '0' || tok[2] > '2') {
                return 0;
            }
            f = 10 + tok[2] - '0';
        }
        return 1 + (is_key && ch == (wint_t)KEY_F(f));
    }
    int found = 0;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (same(tok, n, named[i].name)) {
            found = 1;
            if (named[i].is_key == is_key && named[i].ch == ch) {
                return 2;
            }
        }
    }
    return found;
}

bool key_spec_matches(const char *spec, wint_t ch, bool is_key)
{
    for (const char *s = spec; *s != '\0';) {
        size_t n = strcspn(s, " ");
        if (n > 0 && token_match(s, n, ch, is_key) == 2) {
            return true;
        }
        s += n;
        s += strspn(s, " ");
    }
    return false;
}

bool key_spec_valid(const char *spec, char **bad)
{
    *bad = NULL;
    if (spec == NULL || spec[strspn(spec, " ")] == '\0') {
        *bad = xstrdup("(no key)");
        return false;
    }
    for (const char *s = spec; *s != '\0';) {
        size_t n = strcspn(s, " ");
        if (n > 0 && token_match(s, n, 0, false) == 0) {
            *bad = xstrndup(s, n);
            return false;
        }
        s += n;
        s += strspn(s, " ");
    }
    return true;
}

static bool is_end(const struct key_def *k)
{
    return k->keys == NULL && k->verb == NULL && k->help == NULL && k->heading == NULL &&
           k->more == NULL;
}

static bool applies(const struct key_def *k, const void *ctx)
{
    return k->when == NULL || k->when(ctx);
}

/* ---- the user's map (installed once at start) ---- */

struct ubind {
    char *pane; /* NULL: every scope */
    char *verb;
    char *keys; /* NULL: unbound */
    int line;
    bool action; /* binds a backend action's verb, not a key table's (keymap_install) */
};

struct uscope {
    char *name;
    const struct key_def *keys;
    struct keymap_action *actions;
    size_t nactions;
};

static struct {
    struct ubind *b;
    size_t n;
    const struct key_def *global;
    struct uscope *scopes;
    size_t nscopes;
} um;

static bool table_has_verb(const struct key_def *t, const char *verb, const char **spec)
{
    for (const struct key_def *k = t; k != NULL && !is_end(k); k++) {
        if (k->more != NULL ? table_has_verb(k->more, verb, spec)
                            : k->verb != NULL && k->keys != NULL && strcmp(k->verb, verb) == 0) {
            if (spec != NULL && k->more == NULL) {
                *spec = k->keys;
            }
            return true;
        }
    }
    return false;
}

static const struct uscope *scope_named(const char *name)
{
    for (size_t i = 0; name != NULL && i < um.nscopes; i++) {
        if (strcmp(um.scopes[i].name, name) == 0) {
            return &um.scopes[i];
        }
    }
    return NULL;
}

static bool scope_has_action(const struct uscope *s, const char *verb)
{
    for (size_t i = 0; s != NULL && i < s->nactions; i++) {
        if (strcmp(s->actions[i].verb, verb) == 0) {
            return true;
        }
    }
    return false;
}

/* Is verb one of the scope's key table verbs (its table, the console's), or of its actions? */
static bool scope_has_verb(const struct uscope *s, const char *verb, bool action)
{
    if (action) {
        return scope_has_action(s, verb);
    }
    return table_has_verb(um.global, verb, NULL) ||
           (s != NULL && table_has_verb(s->keys, verb, NULL));
}

/*
 * The binding in effect for verb in scope (a key table's verb, or an
 * action's: a verb may be both, "resume"): the pane's own, else the global
 * one; NULL: none.
 */
static const struct ubind *effective(const char *scope, const char *verb, bool action)
{
    const struct ubind *global = NULL;
    for (size_t i = 0; i < um.n; i++) {
        const struct ubind *b = &um.b[i];
        if (b->action != action || strcmp(b->verb, verb) != 0) {
            continue;
        }
        if (b->pane == NULL) {
            global = b;
        } else if (scope != NULL && strcmp(b->pane, scope) == 0) {
            return b;
        }
    }
    return global;
}

/* The binding that gives this key to a verb of the scope; NULL: none does. */
static const struct ubind *claimer(const char *scope, wint_t ch, bool is_key)
{
    const struct uscope *s = scope_named(scope);
    for (size_t i = 0; i < um.n; i++) {
        const struct ubind *b = &um.b[i];
        if (b->keys != NULL && effective(scope, b->verb, b->action) == b &&
            scope_has_verb(s, b->verb, b->action) && key_spec_matches(b->keys, ch, is_key)) {
            return b;
        }
    }
    return NULL;
}

bool keymap_claimed(const char *scope, wint_t ch, bool is_key)
{
    return um.n > 0 && claimer(scope, ch, is_key) != NULL;
}

/* One key a name stands for (a range stands for none); false: none. */
static bool token_key(const char *tok, size_t n, wint_t *ch, bool *is_key)
{
    *is_key = false;
    if (n == 1 && printable(tok[0])) {
        *ch = (wint_t)(unsigned char)tok[0];
        return true;
    }
    if (n == 6 && strncmp(tok, "Ctrl-", 5) == 0 && tok[5] >= 'A' && tok[5] <= 'Z') {
        *ch = (wint_t)(tok[5] - 'A' + 1);
        return true;
    }
    if ((n == 2 || n == 3) && tok[0] == 'F' && tok[1] >= '1' && tok[1] <= '9') {
        int f = n == 2 ? tok[1] - '0' : 10 + tok[2] - '0';
        *ch = (wint_t)KEY_F(f);
        *is_key = true;
        return n == 2 || (tok[1] == '1' && tok[2] >= '0' && tok[2] <= '2');
    }
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (same(tok, n, named[i].name)) {
            *ch = named[i].ch;
            *is_key = named[i].is_key;
            return true;
        }
    }
    return false;
}

/* spec without the keys a user's binding gave another verb of the scope, into buf. */
static void free_keys(const char *scope, const char *spec, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const char *s = spec; *s != '\0';) {
        size_t n = strcspn(s, " ");
        wint_t ch;
        bool is_key;
        bool taken = n > 0 && um.n > 0 && token_key(s, n, &ch, &is_key) &&
                     claimer(scope, ch, is_key) != NULL;
        if (n > 0 && !taken && at + n + 2 < len) {
            at += (size_t)snprintf(buf + at, len - at, "%s%.*s", at > 0 ? " " : "", (int)n, s);
        }
        s += n;
        s += strspn(s, " ");
    }
}

static bool spec_of(const char *scope, const char *verb, bool action, const char *def, char *buf,
                    size_t len)
{
    const struct ubind *b = verb != NULL && um.n > 0 ? effective(scope, verb, action) : NULL;
    if (b != NULL) {
        snprintf(buf, len, "%s", b->keys != NULL ? b->keys : "");
    } else {
        free_keys(scope, def != NULL ? def : "", buf, len);
    }
    return buf[0] != '\0';
}

bool keymap_spec(const char *scope, const char *verb, const char *def, char *buf, size_t len)
{
    return spec_of(scope, verb, false, def, buf, len);
}

bool keymap_action_spec(const char *scope, const char *verb, const char *def, char *buf, size_t len)
{
    return spec_of(scope, verb, true, def, buf, len);
}

/* ---- lookup and help ---- */

static const struct key_def *find_user(const char *scope, const struct key_def *table,
                                       const void *ctx, wint_t ch, bool is_key)
{
    for (const struct key_def *k = table; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            const struct key_def *in = find_user(scope, k->more, ctx, ch, is_key);
            if (in != NULL) {
                return in;
            }
        } else if (k->keys != NULL && k->verb != NULL) {
            const struct ubind *b = effective(scope, k->verb, false);
            if (b != NULL && b->keys != NULL && key_spec_matches(b->keys, ch, is_key) &&
                applies(k, ctx)) {
                return k;
            }
        }
    }
    return NULL;
}

/* The defaults, leaving out the verbs the user bound. */
static const struct key_def *find_default(const char *scope, const struct key_def *table,
                                          const void *ctx, wint_t ch, bool is_key)
{
    for (const struct key_def *k = table; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            const struct key_def *in = find_default(scope, k->more, ctx, ch, is_key);
            if (in != NULL) {
                return in;
            }
        } else if (k->keys != NULL && key_spec_matches(k->keys, ch, is_key) &&
                   (um.n == 0 || k->verb == NULL || effective(scope, k->verb, false) == NULL) &&
                   applies(k, ctx)) {
            return k;
        }
    }
    return NULL;
}

const struct key_def *key_find_in(const char *scope, const struct key_def *table, const void *ctx,
                                  wint_t ch, bool is_key)
{
    if (um.n > 0) {
        const struct key_def *k = find_user(scope, table, ctx, ch, is_key);
        if (k != NULL) {
            return k;
        }
        if (claimer(scope, ch, is_key) != NULL) {
            return NULL; /* the user gave it to a verb of another layer */
        }
    }
    return find_default(scope, table, ctx, ch, is_key);
}

const struct key_def *key_find(const struct key_def *table, const void *ctx, wint_t ch, bool is_key)
{
    return key_find_in(NULL, table, ctx, ch, is_key);
}

size_t key_help_in(const char *scope, const struct key_def *table, const void *ctx,
                   struct viewer *v)
{
    size_t n = 0;
    for (const struct key_def *k = table; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            n += key_help_in(scope, k->more, ctx, v);
        } else if (k->heading != NULL) {
            viewer_add(v, "%s", k->heading);
        } else if (k->keys != NULL && applies(k, ctx)) {
            char spec[64];
            if (!keymap_spec(scope, k->verb, k->keys, spec, sizeof spec)) {
                continue; /* unbound, or its keys went to another verb */
            }
            viewer_add(v, "  %-12s %s", spec, k->help != NULL ? k->help : k->verb);
            n++;
        }
    }
    return n;
}

size_t key_help(const struct key_def *table, const void *ctx, struct viewer *v)
{
    return key_help_in(NULL, table, ctx, v);
}

const struct action_def *keymap_action(const char *scope, const struct backend *b, int kind,
                                       wint_t ch, bool is_key)
{
    int n;
    const struct action_def *defs = backend_actions(b, &n);
    if (um.n > 0) {
        for (int i = 0; i < n; i++) {
            const struct ubind *u =
                (int)defs[i].kind == kind ? effective(scope, defs[i].verb, true) : NULL;
            if (u != NULL && u->keys != NULL && key_spec_matches(u->keys, ch, is_key)) {
                return &defs[i];
            }
        }
        if (claimer(scope, ch, is_key) != NULL) {
            return NULL;
        }
    }
    if (is_key || ch >= 128) {
        return NULL;
    }
    const struct action_def *def = backend_action(b, (enum model_kind)kind, (int)ch);
    if (def != NULL && um.n > 0 && effective(scope, def->verb, true) != NULL) {
        return NULL; /* the user moved it */
    }
    return def;
}

/* ---- installing the map ---- */

void keymap_clear(void)
{
    for (size_t i = 0; i < um.n; i++) {
        free(um.b[i].pane);
        free(um.b[i].verb);
        free(um.b[i].keys);
    }
    free(um.b);
    for (size_t i = 0; i < um.nscopes; i++) {
        free(um.scopes[i].name);
        free(um.scopes[i].actions);
    }
    free(um.scopes);
    memset(&um, 0, sizeof um);
}

/* A verb typed with a range ("1-9": the key typed says which): it can only be unbound. */
static bool ranged(const char *spec)
{
    for (const char *s = spec; s != NULL && *s != '\0';) {
        size_t n = strcspn(s, " ");
        if (n == 3 && s[1] == '-' && printable(s[0]) && printable(s[2])) {
            return true;
        }
        s += n;
        s += strspn(s, " ");
    }
    return false;
}

static char *scope_names(void)
{
    struct strbuf sb = {0};
    for (size_t i = 0; i < um.nscopes; i++) {
        strbuf_printf(&sb, "%s%s", i > 0 ? ", " : "", um.scopes[i].name);
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

/* The default spec of verb in scope s (NULL: every scope); NULL when unknown there. */
static bool default_spec(const struct uscope *s, const char *verb, const char **spec)
{
    *spec = NULL;
    if (table_has_verb(um.global, verb, spec)) {
        return true;
    }
    for (size_t i = 0; i < um.nscopes; i++) {
        const struct uscope *x = &um.scopes[i];
        if (s != NULL && x != s) {
            continue;
        }
        if (table_has_verb(x->keys, verb, spec) || scope_has_action(x, verb)) {
            return true;
        }
    }
    return false;
}

/* Is verb a key table's verb anywhere (the console's or a pane's)? */
static bool any_table_has(const char *verb)
{
    for (size_t i = 0; i < um.nscopes; i++) {
        if (table_has_verb(um.scopes[i].keys, verb, NULL)) {
            return true;
        }
    }
    return table_has_verb(um.global, verb, NULL);
}

/*
 * A line binds an action when it names one: PANE.VERB where PANE has that
 * action (pools.drain; deploys.resume is the action, not the console's
 * resume), or VERB no key table has (drain: in every pane with a drain).
 */
static bool check_line(const char *file, const struct keymap_line *l, char **cause)
{
    const char *dot = strchr(l->key, '.');
    char *pane = dot != NULL ? xstrndup(l->key, (size_t)(dot - l->key)) : NULL;
    const char *verb = dot != NULL ? dot + 1 : l->key;
    const struct uscope *s = NULL;
    const char *spec = NULL;
    char *bad = NULL;
    bool ok = false;
    if (pane != NULL && (s = scope_named(pane)) == NULL) {
        char *names = scope_names();
        *cause = xasprintf("%s:%d: unknown pane '%s' in [keys] (expected %s)", file, l->line, pane,
                           names);
        free(names);
    } else if (*verb == '\0' || !default_spec(s, verb, &spec)) {
        *cause =
            xasprintf("%s:%d: unknown verb '%s'%s%s in [keys] (opsdeck --keys lists them)", file,
                      l->line, verb, s != NULL ? " in pane " : "", s != NULL ? s->name : "");
    } else if (strcmp(l->value, "none") != 0 && !key_spec_valid(l->value, &bad)) {
        *cause = xasprintf("%s:%d: bad key '%s' for %s in [keys] (e.g. x, Ctrl-D, F5, Enter, "
                           "PgDn; several: \"j Down\"; none unbinds)",
                           file, l->line, bad, l->key);
    } else if (strcmp(l->value, "none") != 0 && ranged(spec) &&
               !(s != NULL && scope_has_action(s, verb))) {
        *cause = xasprintf("%s:%d: %s takes the key typed (%s): it can be unbound (none), not "
                           "moved",
                           file, l->line, verb, spec);
    } else {
        ok = true;
    }
    bool action = s != NULL ? scope_has_action(s, verb) : !any_table_has(verb);
    for (size_t i = 0; ok && i < um.n; i++) {
        const struct ubind *b = &um.b[i];
        if (strcmp(b->verb, verb) == 0 && (b->pane == NULL) == (pane == NULL) &&
            (pane == NULL || strcmp(b->pane, pane) == 0)) {
            *cause = xasprintf("%s:%d: %s bound twice in [keys] (first on line %d)", file, l->line,
                               l->key, b->line);
            ok = false;
        }
    }
    if (ok) {
        um.b = xreallocarray(um.b, um.n + 1, sizeof *um.b);
        um.b[um.n++] = (struct ubind){
            .pane = pane,
            .verb = xstrdup(verb),
            .keys = strcmp(l->value, "none") == 0 ? NULL : xstrdup(l->value),
            .line = l->line,
            .action = action,
        };
        pane = NULL;
    }
    free(pane);
    free(bad);
    return ok;
}

bool keymap_install(const char *file, const struct keymap_line *lines, size_t n,
                    const struct key_def *global, const struct keymap_scope *scopes, size_t nscopes,
                    char **cause)
{
    keymap_clear();
    um.global = global;
    um.scopes = xcalloc(nscopes > 0 ? nscopes : 1, sizeof *um.scopes);
    um.nscopes = nscopes;
    for (size_t i = 0; i < nscopes; i++) {
        struct uscope *s = &um.scopes[i];
        s->name = xstrdup(scopes[i].name);
        s->keys = scopes[i].keys;
        s->nactions = scopes[i].nactions;
        s->actions = xcalloc(s->nactions > 0 ? s->nactions : 1, sizeof *s->actions);
        if (s->nactions > 0) {
            memcpy(s->actions, scopes[i].actions, s->nactions * sizeof *s->actions);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!check_line(file, &lines[i], cause)) {
            keymap_clear();
            return false;
        }
    }
    return true;
}

/* ---- lint ---- */

static const struct {
    char ctrl; /* Ctrl-X */
    const char *why;
} swallowed[] = {
    {'B', "the tmux prefix: inside tmux, tmux takes it"},
    {'A', "the screen prefix (and a common tmux prefix): screen takes it"},
    {'S', "XON/XOFF flow control: with ixon on (the default), the terminal stops output"},
    {'Q', "XON/XOFF flow control: with ixon on (the default), the terminal takes it"},
    {'Z', "the terminal's suspend key (SIGTSTP): opsdeck never sees it"},
    {'C', "the terminal's interrupt key (SIGINT): it stops opsdeck, not a verb"},
};

struct lintctx {
    void (*warn)(int line, const char *message, void *ud);
    void *ud;
    char **said;
    size_t nsaid;
};

static void say_once(struct lintctx *lc, int line, char *msg)
{
    for (size_t i = 0; i < lc->nsaid; i++) {
        if (strcmp(lc->said[i], msg) == 0) {
            free(msg);
            return;
        }
    }
    lc->said = xreallocarray(lc->said, lc->nsaid + 1, sizeof *lc->said);
    lc->said[lc->nsaid++] = msg;
    lc->warn(line, msg, lc->ud);
}

static const char *where(const struct ubind *b)
{
    return b->pane != NULL ? b->pane : "every pane";
}

/* Does another verb of the scope than b answer key (ch, is_key)? Its name and how it is bound. */
static bool other_on_key(const char *scope, const struct ubind *b, const struct key_def *t,
                         wint_t ch, bool is_key, char *what, size_t len)
{
    for (const struct key_def *k = t; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            if (other_on_key(scope, b, k->more, ch, is_key, what, len)) {
                return true;
            }
            continue;
        }
        if (k->keys == NULL || k->verb == NULL || (!b->action && strcmp(k->verb, b->verb) == 0)) {
            continue;
        }
        const struct ubind *o = effective(scope, k->verb, false);
        if (o == NULL && key_spec_matches(k->keys, ch, is_key)) {
            snprintf(what, len, "%s (its default key)", k->verb);
            return true;
        }
        if (o != NULL && o != b && o->keys != NULL && o->line < b->line &&
            key_spec_matches(o->keys, ch, is_key)) {
            snprintf(what, len, "%s (line %d)", k->verb, o->line);
            return true;
        }
    }
    return false;
}

static bool other_action_on_key(const struct uscope *s, const struct ubind *b, wint_t ch,
                                bool is_key, char *what, size_t len)
{
    for (size_t i = 0; s != NULL && i < s->nactions; i++) {
        const struct keymap_action *a = &s->actions[i];
        if (b->action && strcmp(a->verb, b->verb) == 0) {
            continue;
        }
        const struct ubind *o = effective(s->name, a->verb, true);
        if (o == NULL && !is_key && (int)ch == a->key) {
            snprintf(what, len, "the action %s (its default key)", a->verb);
            return true;
        }
        if (o != NULL && o != b && o->keys != NULL && o->line < b->line &&
            key_spec_matches(o->keys, ch, is_key)) {
            snprintf(what, len, "the action %s (line %d)", a->verb, o->line);
            return true;
        }
    }
    return false;
}

/* A clash found in one scope, before the scopes it holds in are joined into one warning. */
struct clash {
    int line;
    char *head; /* "s is bound to both filter and sort-next (its default key)" */
    struct strbuf scopes;
    size_t nscopes;
};

/* Two verbs of one scope on one key of b's, added to the clashes. */
static void lint_clash(struct clash **v, size_t *n, const struct ubind *b, const struct uscope *s)
{
    const char *scope = s->name;
    if (effective(scope, b->verb, b->action) != b || !scope_has_verb(s, b->verb, b->action)) {
        return;
    }
    for (const char *p = b->keys; *p != '\0';) {
        size_t len = strcspn(p, " ");
        wint_t ch;
        bool is_key;
        char what[96];
        if (len > 0 && token_key(p, len, &ch, &is_key) &&
            (other_on_key(scope, b, s->keys, ch, is_key, what, sizeof what) ||
             other_on_key(scope, b, um.global, ch, is_key, what, sizeof what) ||
             other_action_on_key(s, b, ch, is_key, what, sizeof what))) {
            char *head = xasprintf("%.*s is bound to both %s and %s", (int)len, p, b->verb, what);
            size_t i = 0;
            while (i < *n && ((*v)[i].line != b->line || strcmp((*v)[i].head, head) != 0)) {
                i++;
            }
            if (i == *n) {
                *v = xreallocarray(*v, *n + 1, sizeof **v);
                (*v)[(*n)++] = (struct clash){.line = b->line, .head = head};
            } else {
                free(head);
            }
            struct clash *c = &(*v)[i];
            strbuf_printf(&c->scopes, "%s%s", c->nscopes > 0 ? ", " : "", scope);
            c->nscopes++;
        }
        p += len;
        p += strspn(p, " ");
    }
}

size_t keymap_lint(void (*warn)(int line, const char *message, void *ud), void *ud)
{
    struct lintctx lc = {.warn = warn, .ud = ud};
    for (size_t i = 0; i < um.n; i++) {
        const struct ubind *b = &um.b[i];
        if (b->keys == NULL) {
            continue;
        }
        for (size_t k = 0; k < sizeof swallowed / sizeof swallowed[0]; k++) {
            char name[8];
            snprintf(name, sizeof name, "Ctrl-%c", swallowed[k].ctrl);
            wint_t ch = (wint_t)(swallowed[k].ctrl - 'A' + 1);
            if (key_spec_matches(b->keys, ch, false)) {
                say_once(&lc, b->line,
                         xasprintf("%s (bound to %s in %s) is %s", name, b->verb, where(b),
                                   swallowed[k].why));
            }
        }
        struct clash *cv = NULL;
        size_t nc = 0;
        for (size_t s = 0; s < um.nscopes; s++) {
            if (b->pane == NULL || strcmp(b->pane, um.scopes[s].name) == 0) {
                lint_clash(&cv, &nc, b, &um.scopes[s]);
            }
        }
        for (size_t c = 0; c < nc; c++) {
            say_once(&lc, cv[c].line,
                     xasprintf("%s in %s: the user's binding wins, the other loses that key",
                               cv[c].head, cv[c].scopes.s));
            free(cv[c].head);
            free(cv[c].scopes.s);
        }
        free(cv);
    }
    for (size_t i = 0; i < lc.nsaid; i++) {
        free(lc.said[i]);
    }
    free(lc.said);
    return lc.nsaid;
}
