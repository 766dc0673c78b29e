/*
 * Themes: parsing, loading, inheritance, errors with file:line, colour
 * down-mapping, and (when a terminfo entry is available) theme_apply on a
 * terminal writing to /dev/null. argv[1] is the source themes/ directory.
 */
#include "tap.h"

#include "../../common/util.h"
#include "../../tui/theme.h"

#include <curses.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *shipped;
static char tmp_root[] = "/tmp/opsdeck-test-theme-XXXXXX";

static bool style_eq(const struct theme_style *a, const struct theme_style *b)
{
    return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs && a->set == b->set;
}

/* The first role where a and b differ, or -1. */
static int first_diff(const struct theme *a, const struct theme *b)
{
    for (int i = 0; i < THEME_NROLES; i++) {
        if (!style_eq(&a->styles[i], &b->styles[i])) {
            return i;
        }
    }
    return -1;
}

/* Equal roles, except the one named (pass -1 for none). */
static bool same_except(const struct theme *a, const struct theme *b, int except)
{
    for (int i = 0; i < THEME_NROLES; i++) {
        if (i != except && !style_eq(&a->styles[i], &b->styles[i])) {
            tap_diag("role %s differs", theme_role_name(i));
            return false;
        }
    }
    return true;
}

static bool style_is(const struct theme_style *s, short fg, short bg, unsigned attrs)
{
    return s->set && s->fg == fg && s->bg == bg && s->attrs == attrs;
}

static char *make_dir(const char *name)
{
    char *dir = xasprintf("%s/%s", tmp_root, name);
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        exit(1);
    }
    return dir;
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(path);
}

static void write_theme(const char *dir, const char *name, const char *text)
{
    char *file = xasprintf("%s.theme", name);
    write_file(dir, file, text, strlen(text));
    free(file);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    char *buf = xmalloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* cause starts with prefix and mentions word; print it when not. */
static void error_is(bool ok, char *cause, const char *prefix, const char *word, const char *what)
{
    bool good = !ok && cause != NULL && str_has_prefix(cause, prefix) &&
                (word == NULL || strstr(cause, word) != NULL);
    tap_ok(good, "%s", what);
    if (!good) {
        tap_diag("got ok=%d cause '%s', want prefix '%s' and '%s'", ok, cause ? cause : "(null)",
                 prefix, word ? word : "");
    }
    free(cause);
}

/* Parse text over the built-in as "t.theme", expecting an error. */
static void parse_error(const char *text, const char *prefix, const char *word, const char *what)
{
    struct theme t;
    struct theme before;
    char *cause = NULL;
    theme_builtin(&t);
    before = t;
    bool ok = theme_parse(&t, "t.theme", text, &cause);
    error_is(ok, cause, prefix, word, what);
    tap_ok(memcmp(&t, &before, sizeof t) == 0, "%s: theme left unchanged", what);
}

static void test_role_names(void)
{
    tap_is_str(theme_role_name(THEME_NORMAL), "normal", "role name: normal");
    tap_is_str(theme_role_name(THEME_BORDER_FOCUS), "border_focus", "role name: border_focus");
    tap_is_str(theme_role_name(THEME_ERROR), "error", "role name: error (last)");
    tap_is_str(theme_role_name(THEME_NROLES), "?", "role name out of range");
}

static void test_builtin(void)
{
    struct theme builtin;
    struct theme loaded;
    struct theme parsed;
    char *cause = NULL;
    const char *dirs[] = {shipped, NULL};

    theme_builtin(&builtin);
    tap_is_str(builtin.name, "dark", "builtin is called dark");
    tap_ok(style_is(&builtin.styles[THEME_CRIT], COLOR_RED + 8, -1, A_BOLD),
           "builtin crit = bright-red default bold");

    bool ok = theme_load(&loaded, "dark", dirs, &cause);
    tap_ok(ok, "themes/dark.theme loads (%s)", cause ? cause : "no error");
    free(cause);
    cause = NULL;
    tap_is_int(first_diff(&builtin, &loaded), -1, "builtin equals themes/dark.theme");
    tap_is_str(loaded.name, builtin.name, "same name");

    /* Over an empty theme: dark.theme itself must name every role. */
    char *path = xasprintf("%s/dark.theme", shipped);
    char *text = read_all(path);
    memset(&parsed, 0, sizeof parsed);
    ok = text != NULL && theme_parse(&parsed, path, text, &cause);
    tap_ok(ok, "dark.theme parses over an empty theme");
    free(cause);
    cause = NULL;
    tap_is_int(first_diff(&builtin, &parsed), -1, "dark.theme names every role as the builtin");
    free(text);
    free(path);

    ok = theme_load(&loaded, "dark", NULL, &cause);
    tap_ok(ok && first_diff(&builtin, &loaded) == -1, "dark with no directories is the builtin");
    free(cause);
}

static void test_shipped(void)
{
    const char *names[] = {"dark", "light", "high-contrast", "mono"};
    const char *dirs[] = {shipped, NULL};
    struct theme dark;
    theme_builtin(&dark);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct theme t;
        char *cause = NULL;
        bool ok = theme_load(&t, names[i], dirs, &cause);
        tap_ok(ok, "shipped theme %s loads (%s)", names[i], cause ? cause : "no error");
        tap_is_str(t.name, names[i], "its name");
        free(cause);
    }
    struct theme mono;
    char *cause = NULL;
    theme_load(&mono, "mono", dirs, &cause);
    free(cause);
    bool plain = true;
    for (int i = 0; i < THEME_NROLES; i++) {
        plain = plain && mono.styles[i].fg == -1 && mono.styles[i].bg == -1;
    }
    tap_ok(plain, "mono uses no colour at all");
    tap_ok(mono.styles[THEME_SELECTED].attrs & A_REVERSE, "mono selection is reversed");
}

static void test_partial(void)
{
    struct theme t;
    struct theme dark;
    char *cause = NULL;
    theme_builtin(&dark);
    theme_builtin(&t);
    bool ok = theme_parse(&t, "p.theme", "[theme]\ncrit = blue default underline\n", &cause);
    tap_ok(ok, "partial theme parses");
    tap_ok(style_is(&t.styles[THEME_CRIT], COLOR_BLUE, -1, A_UNDERLINE), "crit overridden");
    tap_ok(same_except(&t, &dark, THEME_CRIT), "every other role kept");
    tap_is_str(t.name, "dark", "name kept when the file gives none");
    free(cause);

    /* theme_load starts from the builtin, not from what *t held. */
    char *dir = make_dir("partial");
    const char *dirs[] = {dir, shipped, NULL};
    write_theme(dir, "partial", "[theme]\nwarn = magenta color200 bold\n");
    cause = NULL;
    theme_load(&t, "light", dirs, &cause);
    free(cause);
    cause = NULL;
    ok = theme_load(&t, "partial", dirs, &cause);
    tap_ok(ok, "partial theme file loads");
    tap_ok(style_is(&t.styles[THEME_WARN], COLOR_MAGENTA, 200, A_BOLD), "warn from the file");
    tap_ok(same_except(&t, &dark, THEME_WARN), "other roles from the builtin, not the old theme");
    tap_is_str(t.name, "partial", "named after the file");
    free(cause);

    theme_builtin(&t);
    cause = NULL;
    ok = theme_parse(&t, "e.theme", "", &cause);
    tap_ok(ok && memcmp(&t, &dark, sizeof t) == 0, "empty text is valid and changes nothing");
    free(cause);
    write_theme(dir, "empty", "");
    cause = NULL;
    ok = theme_load(&t, "empty", dirs, &cause);
    tap_ok(ok && first_diff(&t, &dark) == -1, "empty file loads as the builtin");
    free(cause);

    const char *loose = "\xEF\xBB\xBF; comment\r\n# another\r\n[ theme ]\r\n"
                        "  crit = Bright-Red default BOLD ; inline\r\n"
                        "\twarn = color7 color255 dim # inline\r\n\r\n";
    theme_builtin(&t);
    cause = NULL;
    ok = theme_parse(&t, "loose.theme", loose, &cause);
    tap_ok(ok, "BOM, CRLF, indentation, case and inline comments (%s)", cause ? cause : "ok");
    tap_ok(style_is(&t.styles[THEME_WARN], 7, 255, A_DIM), "values read through all that");
    free(cause);
    free(dir);
}

static void test_inherits(void)
{
    char *dir = make_dir("inherit");
    const char *dirs[] = {dir, shipped, NULL};
    struct theme t;
    struct theme dark;
    struct theme light;
    char *cause = NULL;
    theme_builtin(&dark);
    theme_load(&light, "light", dirs, &cause);
    free(cause);

    /* inherits after a role: the parent still comes first. */
    write_theme(dir, "base", "[theme]\ncrit = blue default\n");
    write_theme(dir, "child", "[theme]\nwarn = magenta default\ninherits = base\n");
    cause = NULL;
    bool ok = theme_load(&t, "child", dirs, &cause);
    tap_ok(ok, "child inheriting base loads (%s)", cause ? cause : "ok");
    tap_ok(style_is(&t.styles[THEME_CRIT], COLOR_BLUE, -1, 0), "crit from the parent");
    tap_ok(style_is(&t.styles[THEME_WARN], COLOR_MAGENTA, -1, 0), "warn from the child");
    tap_is_str(t.name, "child", "named after the child");
    tap_ok(style_eq(&t.styles[THEME_OK], &dark.styles[THEME_OK]), "the rest from the builtin");
    free(cause);

    write_theme(dir, "pale", "[theme]\ninherits = light\nkey = red default\n");
    cause = NULL;
    ok = theme_load(&t, "pale", dirs, &cause);
    tap_ok(ok && same_except(&t, &light, THEME_KEY), "inherit a shipped theme from another dir");
    free(cause);

    write_theme(dir, "a", "[theme]\ninherits = b\n");
    write_theme(dir, "b", "; b\n[theme]\ninherits = a\n");
    cause = NULL;
    ok = theme_load(&t, "a", dirs, &cause);
    char *want = xasprintf("%s/b.theme:3: inherits cycle: a -> b -> a", dir);
    tap_ok(!ok, "a -> b -> a is rejected");
    tap_is_str(cause, want, "cycle message names file:line and the chain");
    free(want);
    free(cause);

    write_theme(dir, "self", "[theme]\ninherits = self\n");
    cause = NULL;
    ok = theme_load(&t, "self", dirs, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, "self -> self") != NULL, "self-inheritance");
    free(cause);

    /* d0 -> d1 -> d2 -> d3 -> d4 is four hops (allowed); d5 adds a fifth. */
    for (int i = 0; i <= 5; i++) {
        char *name = xasprintf("d%d", i);
        char *text = i < 5 ? xasprintf("[theme]\ninherits = d%d\n", i + 1)
                           : xstrdup("[theme]\nok = red default\n");
        write_theme(dir, name, text);
        free(text);
        free(name);
    }
    cause = NULL;
    ok = theme_load(&t, "d1", dirs, &cause);
    tap_ok(ok && style_is(&t.styles[THEME_OK], COLOR_RED, -1, 0), "four inherits hops load");
    free(cause);
    cause = NULL;
    ok = theme_load(&t, "d0", dirs, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, "d4.theme:2:") != NULL &&
               strstr(cause, "deeper") != NULL,
           "five hops rejected at the line that goes too deep");
    free(cause);

    write_theme(dir, "orphan", "[theme]\n\ninherits = ghost\n");
    cause = NULL;
    ok = theme_load(&t, "orphan", dirs, &cause);
    want = xasprintf("%s/orphan.theme:3: theme 'ghost' not found (looked in: %s, %s)", dir, dir,
                     shipped);
    tap_ok(!ok, "inheriting a missing theme fails");
    tap_is_str(cause, want, "and says where it looked");
    free(want);
    free(cause);

    write_theme(dir, "badparent", "[theme]\nok = red\n");
    write_theme(dir, "kid", "[theme]\ninherits = badparent\n");
    cause = NULL;
    ok = theme_load(&t, "kid", dirs, &cause);
    want = xasprintf("%s/badparent.theme:2:", dir);
    error_is(ok, cause, want, "background", "an error in the parent names the parent's line");
    free(want);

    parse_error("[theme]\ninherits = ../x\n", "t.theme:2: ", "'../x'", "inherits needs a name");
    free(dir);
}

static void test_errors(void)
{
    struct theme t;
    char *cause = NULL;
    theme_builtin(&t);
    theme_parse(&t, "bad.theme", "; x\n[theme]\nok = green default\ncrit = pink default\n", &cause);
    tap_is_str(cause, "bad.theme:4: unknown colour 'pink' for 'crit'", "exact message");
    free(cause);

    parse_error("\n[theme]\nfrobnicate = red default\n", "t.theme:3: ", "'frobnicate'",
                "unknown role");
    parse_error("[theme]\nwarn = red default\nok = color256 default\n", "t.theme:3: ", "'color256'",
                "colour out of range");
    parse_error("[theme]\nok = red black\n\ncrit = red default bold blink\n",
                "t.theme:4: ", "'blink'", "unknown attribute");
    parse_error("[theme]\nok = red default\n[colours]\n", "t.theme:3: ", "[colours]",
                "unknown section (even with no keys)");
    parse_error("[theme]\nok = green default\n\n\nwarn = red\n", "t.theme:5: ", "'warn'",
                "missing bg");
    parse_error("[theme]\nwarn = red bold\n", "t.theme:2: ", "'bold'",
                "attribute where bg belongs");
    parse_error("[theme]\nwarn =\n", "t.theme:2: ", "'warn'", "no colours at all");
    parse_error("crit = red default\n[theme]\n", "t.theme:1: ", "[theme]",
                "role before the section");
    parse_error("[theme]\nok = red default\ncrit red default\n",
                "t.theme:3: ", "'crit red default'", "line with no '='");
    parse_error("[theme\n", "t.theme:1: ", NULL, "unclosed section");
    parse_error("[theme]\nname =\n", "t.theme:2: ", "'name'", "empty name");
    parse_error("[theme]\nok = red default\nwarn = \x1b[31m default\n", "t.theme:3: ", "'?[31m'",
                "control bytes are not echoed");
}

/* Deterministic junk: bytes 1-255 so the text stays a C string. */
static char *junk(unsigned seed, size_t len)
{
    char *buf = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (char)(1 + (seed >> 16) % 255);
    }
    buf[len] = '\0';
    return buf;
}

static void test_garbage(void)
{
    struct theme t;
    bool sane = true;
    for (unsigned seed = 1; seed <= 200; seed++) {
        char *text = junk(seed, seed * 97);
        char *cause = NULL;
        theme_builtin(&t);
        bool ok = theme_parse(&t, "junk", text, &cause);
        /* Either outcome is fine; a failure must explain itself. */
        sane = sane && (ok ? cause == NULL : cause != NULL);
        free(cause);
        free(text);
    }
    tap_ok(sane, "200 junk inputs: no crash, failures have a message");

    size_t big = 1024 * 1024;
    char *line = xmalloc(big + 64);
    strcpy(line, "[theme]\ncrit = ");
    memset(line + strlen(line), 'x', big);
    line[15 + big] = '\0';
    char *cause = NULL;
    theme_builtin(&t);
    bool ok = theme_parse(&t, "big.theme", line, &cause);
    error_is(ok, cause, "big.theme:2: ", "too long", "1 MB line: error at its line");

    memcpy(line + 8, "#      ", 7);
    strcpy(line + 15 + big, "\nok = red default\n");
    cause = NULL;
    ok = theme_parse(&t, "big.theme", line, &cause);
    tap_ok(ok && t.styles[THEME_OK].fg == COLOR_RED, "1 MB comment is just a comment");
    free(cause);

    char *dir = make_dir("garbage");
    const char *dirs[] = {dir, NULL};
    write_file(dir, "huge.theme", line, strlen(line));
    cause = NULL;
    ok = theme_load(&t, "huge", dirs, &cause);
    error_is(ok, cause, dir, "too large", "1 MB file refused");
    free(line);

    const char bin[] = "[theme]\nok = red\0default\n\x7f\x45\x4c\x46\0\0\0";
    write_file(dir, "bin.theme", bin, sizeof bin);
    cause = NULL;
    ok = theme_load(&t, "bin", dirs, &cause);
    error_is(ok, cause, dir, "NUL", "binary file refused");

    char *text = junk(7, 4096);
    write_file(dir, "noise.theme", text, strlen(text));
    free(text);
    cause = NULL;
    ok = theme_load(&t, "noise", dirs, &cause);
    char *want = xasprintf("%s/noise.theme:", dir);
    error_is(ok, cause, want, NULL, "noise file: error names the file");
    free(want);
    free(dir);
}

/*
 * A directory the user cannot enter (a build tree in another user's private
 * directory: the compiled-in source themes dir of a binary someone else
 * built) is passed over like a missing one: the built-in dark, or the theme
 * from a later directory, not "Permission denied" at start. As root the
 * check runs in a child that has dropped to nobody (root enters any dir).
 */
static void test_unreachable_dir(void)
{
    char *closed = make_dir("closed");
    write_theme(closed, "light", "[theme]\nok = red default\n");
    char pub[] = "/tmp/opsdeck-theme-pub.XXXXXX";
    if (mkdtemp(pub) == NULL || chmod(pub, 0755) != 0 || chmod(closed, 0) != 0 ||
        chmod(tmp_root, 0755) != 0) {
        tap_ok(false, "unreachable dir: set-up");
        free(closed);
        return;
    }
    write_theme(pub, "light", "[theme]\nok = green default\n");
    chmod(pub, 0755);
    char *light = xasprintf("%s/light.theme", pub);
    chmod(light, 0644);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
            _exit(100);
        }
        struct theme t;
        char *cause = NULL;
        const char *only[] = {closed, NULL};
        const char *both[] = {closed, pub, NULL};
        int bad = 0;
        bad |= theme_load(&t, "dark", only, &cause) ? 0 : 1;
        bad |=
            theme_load(&t, "light", both, &cause) && t.styles[THEME_OK].fg == COLOR_GREEN ? 0 : 2;
        free(cause);
        cause = NULL;
        bad |= !theme_load(&t, "light", only, &cause) && cause != NULL &&
                       strstr(cause, "Permission denied") == NULL
                   ? 0
                   : 4;
        _exit(bad);
    }
    int st = 0;
    bool ran = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) != 100;
    int bad = ran ? WEXITSTATUS(st) : 7;
    tap_ok(ran, "unreachable dir: the check ran as a user who cannot enter it");
    tap_ok(!(bad & 1), "unreachable dir: dark falls back to the built-in");
    tap_ok(!(bad & 2), "unreachable dir: a theme in a later dir is found");
    tap_ok(!(bad & 4), "unreachable dir: a theme only there is 'not found', no EACCES");
    chmod(closed, 0700);
    chmod(tmp_root, 0700);
    unlink(light);
    rmdir(pub);
    free(light);
    free(closed);
}

static void test_names(void)
{
    char *user = make_dir("user");
    const char *dirs[] = {user, shipped, NULL};
    struct theme t;
    char *cause = NULL;
    bool ok = theme_load(&t, "../etc/passwd", dirs, &cause);
    error_is(ok, cause, "invalid theme name '../etc/passwd'", NULL, "path in a name refused");
    cause = NULL;
    ok = theme_load(&t, "a/b", dirs, &cause);
    error_is(ok, cause, "invalid theme name", NULL, "slash refused");
    cause = NULL;
    ok = theme_load(&t, "", dirs, &cause);
    error_is(ok, cause, "invalid theme name", NULL, "empty name refused");

    const char *two[] = {"/nonexistent/one", user, NULL};
    cause = NULL;
    ok = theme_load(&t, "nope", two, &cause);
    char *want = xasprintf("theme 'nope' not found (looked in: /nonexistent/one, %s)", user);
    tap_ok(!ok, "missing theme fails");
    tap_is_str(cause, want, "not-found message lists the directories");
    free(want);
    free(cause);

    write_theme(user, "light", "[theme]\nname = my light\nok = red default\n");
    cause = NULL;
    ok = theme_load(&t, "light", dirs, &cause);
    tap_ok(ok && t.styles[THEME_OK].fg == COLOR_RED, "user dir shadows the shipped theme");
    tap_is_str(t.name, "my light", "name = from the file");
    free(cause);

    write_theme(user, "dark", "[theme]\nok = blue default\n");
    cause = NULL;
    ok = theme_load(&t, "dark", dirs, &cause);
    tap_ok(ok && t.styles[THEME_OK].fg == COLOR_BLUE, "a dark.theme file beats the builtin");
    free(cause);
    free(user);
}

static void test_list(void)
{
    const char *dirs[] = {shipped, NULL};
    char **names = theme_list(dirs);
    const char *want[] = {"dark", "high-contrast", "light", "mono"};
    size_t n = 0;
    bool same = true;
    for (; names[n] != NULL; n++) {
        same = same && n < 4 && strcmp(names[n], want[n]) == 0;
    }
    tap_ok(same && n == 4, "theme_list finds the four shipped themes, sorted");
    theme_list_free(names);

    char *user = make_dir("list");
    write_theme(user, "light", "");
    write_theme(user, "zebra", "");
    write_theme(user, "bad name", "");
    write_file(user, "notes.txt", "", 0);
    char *sub = xasprintf("%s/dir.theme", user);
    mkdir(sub, 0700);
    free(sub);
    const char *both[] = {user, "/nonexistent", shipped, NULL};
    names = theme_list(both);
    const char *want2[] = {"dark", "high-contrast", "light", "mono", "zebra"};
    n = 0;
    same = true;
    for (; names[n] != NULL; n++) {
        same = same && n < 5 && strcmp(names[n], want2[n]) == 0;
        if (n >= 5 || strcmp(names[n], want2[n]) != 0) {
            tap_diag("unexpected %s", names[n]);
        }
    }
    tap_ok(same && n == 5, "user themes merged, de-duplicated, junk skipped");
    theme_list_free(names);
    free(user);

    names = theme_list(NULL);
    tap_ok(names[0] != NULL && strcmp(names[0], "dark") == 0 && names[1] == NULL,
           "no directories: just dark");
    theme_list_free(names);
    theme_list_free(NULL);
}

static void test_mapping(void)
{
    unsigned attrs = 0;
    tap_is_int(theme_map_color(196, THEME_TIER_256, &attrs), 196, "256: identity");
    tap_is_int(theme_map_color(-1, THEME_TIER_256, &attrs), -1, "256: default stays");
    tap_is_int(theme_map_color(9, THEME_TIER_16, &attrs), 9, "16: bright stays");
    tap_is_int(theme_map_color(196, THEME_TIER_16, &attrs), 9, "16: 196 -> bright-red");
    tap_is_int(theme_map_color(160, THEME_TIER_16, &attrs), 1, "16: 160 -> red");
    tap_is_int(theme_map_color(21, THEME_TIER_16, &attrs), 4, "16: 21 -> blue");
    tap_is_int(theme_map_color(16, THEME_TIER_16, &attrs), 0, "16: 16 -> black");
    tap_is_int(theme_map_color(231, THEME_TIER_16, &attrs), 15, "16: 231 -> bright-white");
    tap_is_int(theme_map_color(244, THEME_TIER_16, &attrs), 8, "16: grey 244 -> bright-black");
    tap_is_int(theme_map_color(250, THEME_TIER_16, &attrs), 7, "16: grey 250 -> white");
    tap_is_int(theme_map_color(28, THEME_TIER_16, &attrs), 2, "16: 28 -> green");
    tap_is_int(theme_map_color(136, THEME_TIER_16, &attrs), 3, "16: 136 -> yellow");
    tap_is_int(attrs, 0, "16: no attributes added");

    attrs = 0;
    tap_is_int(theme_map_color(3, THEME_TIER_8, &attrs), 3, "8: yellow stays");
    tap_is_int(attrs, 0, "8: basic colour adds nothing");
    tap_is_int(theme_map_color(9, THEME_TIER_8, &attrs), 1, "8: bright-red -> red");
    tap_ok(attrs & A_BOLD, "8: bright foreground adds bold");
    attrs = 0;
    tap_is_int(theme_map_color(196, THEME_TIER_8, &attrs), 1, "8: 196 -> red");
    tap_ok(attrs & A_BOLD, "8: via bright-red, bold");
    tap_is_int(theme_map_color(12, THEME_TIER_8, NULL), 4, "8: background bright-blue -> blue");

    tap_is_int(theme_map_color(5, THEME_TIER_NONE, &attrs), -1, "none: no colour");
    tap_is_int(theme_map_color(300, THEME_TIER_256, &attrs), -1, "out of range -> default");
}

static bool pair_is(enum theme_role role, short fg, short bg)
{
    short f = 0;
    short b = 0;
    return pair_content((short)(role + 1), &f, &b) == OK && f == fg && b == bg;
}

/* Restore NO_COLOR as the environment had it. */
static void env_restore(const char *name, char *saved)
{
    if (saved != NULL) {
        setenv(name, saved, 1);
        free(saved);
    } else {
        unsetenv(name);
    }
}

static void check_apply(void)
{
    struct theme dark;
    theme_builtin(&dark);

    theme_apply(&dark, THEME_TIER_256);
    tap_is_int(theme_attr(THEME_SELECTED), (long long)COLOR_PAIR(THEME_SELECTED + 1),
               "256: selected is its pair");
    tap_ok(pair_is(THEME_SELECTED, COLOR_BLACK, COLOR_CYAN), "256: pair black on cyan");
    tap_is_int(theme_attr(THEME_CRIT), (long long)(COLOR_PAIR(THEME_CRIT + 1) | A_BOLD),
               "256: crit pair + bold");
    tap_ok(pair_is(THEME_CRIT, 9, -1), "256: crit bright-red on default");

    theme_apply(&dark, THEME_TIER_8);
    tap_ok(pair_is(THEME_CRIT, COLOR_RED, -1), "8: crit red on default");
    tap_ok(pair_is(THEME_MUTED, COLOR_BLACK, -1), "8: muted black on default");
    tap_ok(theme_attr(THEME_MUTED) & A_BOLD, "8: muted bold (bright-black)");

    theme_apply(&dark, THEME_TIER_NONE);
    bool plain = true;
    for (int i = 0; i < THEME_NROLES; i++) {
        plain = plain && (theme_attr(i) & A_COLOR) == 0;
    }
    tap_ok(plain, "none: no colour pairs");
    tap_is_int(theme_attr(THEME_SELECTED), A_REVERSE, "none: selected reversed");
    tap_is_int(theme_attr(THEME_HEADER), A_BOLD | A_UNDERLINE, "none: header bold underline");
    tap_is_int(theme_attr(THEME_MUTED), A_DIM, "none: muted dim");
    tap_is_int(theme_attr(THEME_NORMAL), A_NORMAL, "none: normal plain");
    tap_is_int(theme_attr(THEME_NROLES), A_NORMAL, "out-of-range role is plain");
}

static void test_apply(void)
{
    FILE *out = fopen("/dev/null", "w");
    FILE *in = fopen("/dev/null", "r");
    SCREEN *screen = out && in ? newterm("xterm-256color", out, in) : NULL;
    if (screen == NULL) {
        tap_ok(true, "# SKIP no xterm-256color terminfo");
    } else {
        start_color();
        char *saved = getenv("NO_COLOR") ? xstrdup(getenv("NO_COLOR")) : NULL;
        unsetenv("NO_COLOR");
        tap_is_int(theme_detect_tier(), THEME_TIER_256, "xterm-256color is tier 256");
        setenv("NO_COLOR", "", 1);
        tap_is_int(theme_detect_tier(), THEME_TIER_256, "empty NO_COLOR is ignored");
        setenv("NO_COLOR", "1", 1);
        tap_is_int(theme_detect_tier(), THEME_TIER_NONE, "NO_COLOR=1 is tier none");
        env_restore("NO_COLOR", saved);
        check_apply();
        endwin();
        delscreen(screen);
    }
    if (out != NULL) {
        fclose(out);
    }
    if (in != NULL) {
        fclose(in);
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("Bail out! usage: test_theme THEMES_DIR\n");
        return 1;
    }
    shipped = argv[1];
    if (mkdtemp(tmp_root) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    test_role_names();
    test_builtin();
    test_shipped();
    test_partial();
    test_inherits();
    test_errors();
    test_garbage();
    test_names();
    test_unreachable_dir();
    test_list();
    test_mapping();
    test_apply();
    nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return tap_done();
}
