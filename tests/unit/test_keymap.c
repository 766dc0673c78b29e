/*
 * Key tables (tui/keymap.c): key names and ranges, lookup in order with
 * `when` and included tables, and help lines generated from the same table.
 */
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

int main(void)
{
    names();
    lookup();
    help();
    return tap_done();
}
