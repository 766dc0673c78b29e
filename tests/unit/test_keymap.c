/*
 * Key tables (tui/keymap.c): key names and ranges, lookup in order with
 * `when` and included tables, and help lines generated from the same table.
 * User key maps: the [keys] lines checked (file:line errors), a rebound verb
 * answering its new keys and not its old ones, an old key falling through,
 * per-pane bindings over global ones, help showing the keys in effect, and
 * lint's warnings (a clash, a key the terminal takes).
 */
#include "../../backends/backend.h"
#include "../../common/loop.h"
#include "../../tui/keymap.h"
#include "../../tui/widgets.h"
#include "tap.h"

enum { K_DOWN = 1, K_FIRST, K_DIGIT, K_ONLY_WHEN, K_INNER, K_CTRL };

static bool allowed;

static bool when_allowed(const void *ctx)
{
    (void)ctx;
    return allowed;
}

static const struct key_def inner[] = {
    {.keys = "x", .verb = "inner-x", .id = K_INNER, .help = "from the included table"},
    {0},
};

static const struct key_def table[] = {
    {.heading = "A heading"},
    {.keys = "j Down", .verb = "down", .id = K_DOWN, .help = "next"},
    {.keys = "g Home", .verb = "first", .id = K_FIRST, .help = "first"},
    {.keys = "1-9", .verb = "digit", .id = K_DIGIT, .help = "a digit"},
    {.keys = "w",
     .verb = "only-when",
     .id = K_ONLY_WHEN,
     .help = "sometimes",
     .when = when_allowed},
    {.more = inner},
    {.keys = "Ctrl-L Enter", .verb = "ctrl", .id = K_CTRL, .help = "control"},
    {0},
};

static int found(wint_t ch, bool is_key)
{
    const struct key_def *k = key_find(table, NULL, ch, is_key);
    return k != NULL ? k->id : 0;
}

static void names(void)
{
    static const struct {
        const char *spec;
        wint_t ch;
        bool is_key;
        bool match;
    } cases[] = {
        {"j", 'j', false, true},
        {"j", 'J', false, false},
        {"j", 'j', true, false},
        {"Space", ' ', false, true},
        {"Enter", '\r', false, true},
        {"Enter", '\n', false, true},
        {"Enter", KEY_ENTER, true, true},
        {"Esc", 27, false, true},
        {"Tab", '\t', false, true},
        {"S-Tab", KEY_BTAB, true, true},
        {"S-Tab", '\t', false, false},
        {"Backspace", KEY_BACKSPACE, true, true},
        {"Backspace", 127, false, true},
        {"Up Down", KEY_DOWN, true, true},
        {"PgUp PgDn", KEY_NPAGE, true, true},
        {"Home End", KEY_END, true, true},
        {"Ctrl-B", 2, false, true},
        {"Ctrl-L", 12, false, true},
        {"Ctrl-L", 'L', false, false},
        {"F1", KEY_F(1), true, true},
        {"F12", KEY_F(12), true, true},
        {"1-9", '1', false, true},
        {"1-9", '9', false, true},
        {"1-9", '0', false, false},
        {"[ ]", ']', false, true},
        {"=", '=', false, true},
        {"-", '-', false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tap_ok(key_spec_matches(cases[i].spec, cases[i].ch, cases[i].is_key) == cases[i].match,
               "'%s' %s key %d%s", cases[i].spec, cases[i].match ? "names" : "does not name",
               (int)cases[i].ch, cases[i].is_key ? " (a KEY_ code)" : "");
    }
    static const char *const good[] = {"j Down", "Ctrl-Z", "F10", "a-z", "?", "Enter S", ":"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *bad = NULL;
        tap_ok(key_spec_valid(good[i], &bad), "'%s' is a valid spec", good[i]);
        free(bad);
    }
    static const char *const wrong[][2] = {
        {"Dwn", "Dwn"}, {"j Pgup", "Pgup"}, {"Ctrl-l", "Ctrl-l"}, {"F13", "F13"},
        {"9-1", "9-1"}, {"", "(no key)"},   {"   ", "(no key)"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char *bad = NULL;
        bool ok = key_spec_valid(wrong[i][0], &bad);
        tap_ok(!ok && bad != NULL && strcmp(bad, wrong[i][1]) == 0, "'%s' is refused, naming %s",
               wrong[i][0], wrong[i][1]);
        free(bad);
    }
}

static void lookup(void)
{
    tap_is_int(found('j', false), K_DOWN, "j finds its entry");
    tap_is_int(found(KEY_DOWN, true), K_DOWN, "so does Down");
    tap_is_int(found(KEY_HOME, true), K_FIRST, "Home");
    tap_is_int(found('5', false), K_DIGIT, "a digit in the range");
    tap_is_int(found('q', false), 0, "an unbound key finds nothing");
    allowed = false;
    tap_is_int(found('w', false), 0, "a key whose when() says no is not bound now");
    allowed = true;
    tap_is_int(found('w', false), K_ONLY_WHEN, "and bound when it says yes");
    tap_is_int(found('x', false), K_INNER, "an included table is searched in place");
    tap_is_int(found(12, false), K_CTRL, "entries after an included table still count");
    tap_is_int(found('\r', false), K_CTRL, "Enter as CR");
    const struct key_def *k = key_find(table, NULL, 'j', false);
    tap_is_str(k != NULL ? k->verb : NULL, "down", "the entry carries its verb");
}

static void help(void)
{
    struct viewer v = {0};
    viewer_open(&v, "help");
    allowed = false;
    size_t n = key_help(table, NULL, &v);
    tap_is_int((long long)n, 5, "help lists the keys that apply (w does not now)");
    tap_is_int((long long)v.nlines, 6, "and the heading");
    tap_is_str(v.nlines > 0 ? v.lines[0] : NULL, "A heading", "the heading as it is");
    tap_is_str(v.nlines > 1 ? v.lines[1] : NULL, "  j Down       next", "a key line: keys, help");
    tap_is_str(v.nlines > 4 ? v.lines[4] : NULL, "  x            from the included table",
               "the included table's keys in place");
    viewer_close(&v);
    viewer_open(&v, "help");
    allowed = true;
    tap_is_int((long long)key_help(table, NULL, &v), 6, "w is listed once it applies");
    viewer_close(&v);
}

enum { G_ZOOM = 1, G_QUIT, G_RESUME };

static const struct key_def global[] = {
    {.keys = "z", .verb = "zoom", .id = G_ZOOM, .help = "zoom"},
    {.keys = "q", .verb = "quit", .id = G_QUIT, .help = "quit"},
    {.keys = "R", .verb = "resume", .id = G_RESUME, .help = "resume a run"},
    {0},
};

static const struct keymap_action alpha_actions[] = {{"drain", 'd'}};

static const struct keymap_scope scopes[] = {
    {"alpha", table, alpha_actions, 1},
    {"beta", inner, NULL, 0},
};

static int found_in(const char *scope, const struct key_def *t, wint_t ch, bool is_key)
{
    const struct key_def *k = key_find_in(scope, t, NULL, ch, is_key);
    return k != NULL ? k->id : 0;
}

static bool install(const char *text, char **cause)
{
    /* "key=value" lines, numbered from 1 */
    struct keymap_line lines[8];
    char buf[8][64];
    size_t n = 0;
    for (const char *p = text; *p != '\0' && n < 8;) {
        size_t len = strcspn(p, "\n");
        snprintf(buf[n], sizeof buf[n], "%.*s", (int)len, p);
        char *eq = strchr(buf[n], '=');
        *eq = '\0';
        lines[n] = (struct keymap_line){buf[n], eq + 1, (int)n + 1};
        n++;
        p += len + (p[len] == '\n');
    }
    *cause = NULL;
    return keymap_install("k.ini", lines, n, global, scopes, 2, cause);
}

static void install_errors(void)
{
    static const char *const cases[][3] = {
        {"gamma.down=n", "k.ini:1: unknown pane 'gamma' in [keys] (expected alpha, beta)",
         "an unknown pane"},
        {"down=n\nnope=x", "k.ini:2: unknown verb 'nope' in [keys] (opsdeck --keys lists them)",
         "an unknown verb"},
        {"beta.down=n",
         "k.ini:1: unknown verb 'down' in pane beta in [keys] (opsdeck --keys lists them)",
         "a verb the pane does not have"},
        {"down=Dwn",
         "k.ini:1: bad key 'Dwn' for down in [keys] (e.g. x, Ctrl-D, F5, Enter, PgDn; several: "
         "\"j Down\"; none unbinds)",
         "a bad key name"},
        {"digit=x", "k.ini:1: digit takes the key typed (1-9): it can be unbound (none), not moved",
         "a verb that reads the digit typed"},
        {"down=n\ndown=m", "k.ini:2: down bound twice in [keys] (first on line 1)",
         "the same verb twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *cause = NULL;
        tap_ok(!install(cases[i][0], &cause), "%s: refused", cases[i][2]);
        tap_is_str(cause, cases[i][1], cases[i][2]);
        free(cause);
    }
    tap_is_int(found_in("alpha", table, 'j', false), K_DOWN, "after an error no map is left");
}

static void warned(int line, const char *message, void *ud)
{
    struct viewer *v = ud;
    viewer_add(v, "%d: %s", line, message);
}

static void user_map(void)
{
    char *cause = NULL;
    tap_ok(install("down=n\nalpha.first=none\nzoom=x\ndrain=D\nonly-when=Ctrl-S\n"
                   "alpha.ctrl=n F5\nbeta.inner-x=y",
                   &cause),
           "a map installs (%s)", cause != NULL ? cause : "ok");
    free(cause);
    allowed = true;
    tap_is_int(found_in("alpha", table, 'n', false), K_DOWN, "a rebound verb answers its new key");
    tap_is_int(found_in("alpha", table, 'j', false), 0, "and no longer its old one");
    tap_is_int(found_in("alpha", table, KEY_DOWN, true), 0, "none of its old ones");
    tap_is_int(found_in("alpha", table, 'g', false), 0,
               "a verb unbound in a pane has no key there");
    tap_is_int(found_in("alpha", table, KEY_HOME, true), 0, "none at all");
    tap_is_int(found_in(NULL, table, 'g', false), K_FIRST, "but keeps it elsewhere");
    tap_is_int(found_in("alpha", table, 'x', false), 0,
               "a default key another layer's verb took falls through");
    tap_is_int(found_in("alpha", global, 'x', false), G_ZOOM, "to that verb");
    tap_is_int(found_in("alpha", global, 'z', false), 0, "whose old key is free");
    tap_is_int(found_in("beta", inner, 'y', false), K_INNER, "a pane's own binding");
    tap_is_int(found_in("beta", inner, 'x', false), 0, "over the global default");
    tap_is_int(found_in("alpha", table, KEY_F(5), true), K_CTRL, "a function key bound");
    tap_is_int(found_in("alpha", table, 'n', false), K_DOWN,
               "two bindings on one key: the first in the table wins (lint says so)");
    tap_ok(keymap_claimed("alpha", 'D', false), "an action's new key is claimed in its pane");
    tap_ok(!keymap_claimed("beta", 'D', false), "not where the action is not");
    char spec[64];
    tap_ok(keymap_action_spec("alpha", "drain", "d", spec, sizeof spec) && strcmp(spec, "D") == 0,
           "the action's keys in effect: D");
    tap_ok(!keymap_spec("alpha", "first", "g Home", spec, sizeof spec), "unbound: no keys");
    tap_ok(keymap_spec("alpha", "only-when", "w", spec, sizeof spec) && strcmp(spec, "Ctrl-S") == 0,
           "a global binding");

    struct viewer v = {0};
    viewer_open(&v, "help");
    key_help_in("alpha", table, NULL, &v);
    tap_is_str(v.nlines > 1 ? v.lines[1] : NULL, "  n            next", "help shows the new key");
    bool first = false, inner_x = false;
    for (size_t i = 0; i < v.nlines; i++) {
        first = first || strstr(v.lines[i], "first") != NULL;
        inner_x = inner_x || strstr(v.lines[i], "from the included table") != NULL;
    }
    tap_ok(!first, "help leaves out an unbound verb");
    tap_ok(!inner_x, "and a verb whose only key another verb took");
    viewer_close(&v);

    viewer_open(&v, "lint");
    size_t n = keymap_lint(warned, &v);
    tap_is_int((long long)n, 3, "lint: three warnings (x in beta is free: inner-x moved there)");
    for (size_t i = 0; n != 3 && i < v.nlines; i++) {
        tap_diag("%s", v.lines[i]);
    }
    static const char *const want[] = {
        "3: x is bound to both zoom and inner-x (its default key) in alpha: the user's binding "
        "wins, the other loses that key",
        "5: Ctrl-S (bound to only-when in every pane) is XON/XOFF flow control: with ixon on (the "
        "default), the terminal stops output",
        "6: n is bound to both ctrl and down (line 1) in alpha: the user's binding wins, the "
        "other loses that key",
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool seen = false;
        for (size_t i = 0; i < v.nlines; i++) {
            seen = seen || strcmp(v.lines[i], want[w]) == 0;
        }
        tap_ok(seen, "lint says: %s", want[w]);
    }
    viewer_close(&v);

    keymap_clear();
    tap_is_int(found_in("alpha", table, 'j', false), K_DOWN, "cleared: the defaults again");
}

/* Backend action keys through the map: the demo's pools actions (d drain, r ready, m maint). */
static void actions(void)
{
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend *b = backend_create(backend_impl_find("demo"), "demo", st, loop);
    int n;
    const struct action_def *defs = backend_actions(b, &n);
    struct keymap_action acts[16], dacts[16];
    size_t na = 0, nd = 0;
    for (int i = 0; i < n && na < 16 && nd < 16; i++) {
        if (defs[i].kind == MODEL_POOLS) {
            acts[na++] = (struct keymap_action){defs[i].verb, defs[i].key};
        } else if (defs[i].kind == MODEL_DEPLOYS) {
            dacts[nd++] = (struct keymap_action){defs[i].verb, defs[i].key};
        }
    }
    struct keymap_scope sc[] = {
        {"pools", table, acts, na}, {"alpha", inner, NULL, 0}, {"deploys", table, dacts, nd}};
    struct keymap_line lines[] = {{"pools.drain", "D", 1},
                                  {"maint", "F5", 2},
                                  {"deploys.resume", "X", 3},
                                  {"resume", "F2", 4}};
    char *cause = NULL;
    tap_ok(keymap_install("k.ini", lines, 4, global, sc, 3, &cause), "action bindings install (%s)",
           cause != NULL ? cause : "ok");
    free(cause);
    const struct action_def *def = keymap_action("pools", b, MODEL_POOLS, 'D', false);
    tap_is_str(def != NULL ? def->verb : NULL, "drain", "pools.drain = D: D drains");
    tap_ok(keymap_action("pools", b, MODEL_POOLS, 'd', false) == NULL, "d no longer does");
    def = keymap_action("pools", b, MODEL_POOLS, KEY_F(5), true);
    tap_is_str(def != NULL ? def->verb : NULL, "maint", "maint = F5: a function key acts");
    def = keymap_action("pools", b, MODEL_POOLS, 'r', false);
    tap_is_str(def != NULL ? def->verb : NULL, "ready", "an action not moved keeps its key");
    char spec[64];
    tap_ok(keymap_action_spec("pools", "drain", "d", spec, sizeof spec) && strcmp(spec, "D") == 0,
           "help shows D for the drain");
    /* resume is both the console's verb and a deploys action: PANE.VERB binds the action */
    def = keymap_action("deploys", b, MODEL_DEPLOYS, 'X', false);
    tap_is_str(def != NULL ? def->verb : NULL, "resume", "deploys.resume = X: the action");
    tap_ok(keymap_action("deploys", b, MODEL_DEPLOYS, 'r', false) == NULL,
           "its old key r does not resume a rollout");
    tap_is_int(found_in("deploys", global, KEY_F(2), true), G_RESUME,
               "resume = F2: the console's resume, in every pane");
    tap_is_int(found_in("deploys", global, 'X', false), 0, "X is not the console's resume");
    tap_is_int(found_in("deploys", global, 'R', false), 0, "nor is R any more");
    struct keymap_line bad[] = {{"alpha.drain", "D", 4}};
    tap_ok(!keymap_install("k.ini", bad, 1, global, sc, 3, &cause) && cause != NULL &&
               strcmp(cause, "k.ini:4: unknown verb 'drain' in pane alpha in [keys] (opsdeck "
                             "--keys lists them)") == 0,
           "an action verb in a pane that has no such action is refused");
    free(cause);
    keymap_clear();
    def = keymap_action("pools", b, MODEL_POOLS, 'd', false);
    tap_is_str(def != NULL ? def->verb : NULL, "drain", "no map: d drains");
    backend_destroy(b);
    store_destroy(st);
    loop_destroy(loop);
}

int main(void)
{
    names();
    lookup();
    help();
    install_errors();
    user_map();
    actions();
    return tap_done();
}
