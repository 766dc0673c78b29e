/*
 * Themes: one style (fg, bg, attributes) per role, read from small INI files.
 *
 * Parsing is libinih driven by our own line reader. inih does not give the
 * handler line numbers, and depending on its build it either splits an
 * over-long line into fragments that it parses as lines of their own or
 * discards the rest; the reader makes both irrelevant. It counts physical
 * lines and hands inih exactly one whole line per call, so our count and
 * inih's agree and every error can name file:line. It also blanks comment
 * lines (a huge comment is harmless), strips leading blanks (so inih's
 * multi-line continuation never glues a role onto the previous value), and
 * vets section headers so an unknown section is reported on its own line.
 * After the first error the reader reports end of input: one clear message,
 * not a cascade.
 *
 * A file is parsed into an overlay holding only the roles it names. The
 * result is the base (its parent when it inherits, else the theme parsed
 * over) with the overlay on top, and it replaces the caller's theme only
 * when everything succeeded, so a bad file never leaves a half-applied theme.
 *
 * theme_apply() maps colours down to the tier, installs one colour pair per
 * role and keeps the final attributes in a static table: theme_attr() is on
 * every draw path and must be a lookup, nothing more.
 */
#include "theme.h"

#include "../common/util.h"

#include <ctype.h>
#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum {
    MAX_INHERIT = 4,       /* inherits hops: a -> b -> c -> d -> e */
    MAX_FILE = 256 * 1024, /* a theme is ~20 lines; more is not a theme */
    MAX_SHOWN = 32,        /* bytes of an offending word quoted in a message */
    NAME_MAX_LEN = 63,     /* fits struct theme.name */
};

/* Colour numbers in xterm palette order; -1 is the terminal's own colour. */
enum {
    C_DEFAULT = -1,
    C_BLACK,
    C_RED,
    C_GREEN,
    C_YELLOW,
    C_BLUE,
    C_MAGENTA,
    C_CYAN,
    C_WHITE,
    C_BRIGHT_BLACK,
    C_BRIGHT_RED,
    C_BRIGHT_GREEN,
    C_BRIGHT_YELLOW,
    C_BRIGHT_BLUE,
    C_BRIGHT_MAGENTA,
    C_BRIGHT_CYAN,
    C_BRIGHT_WHITE,
};

static const struct {
    const char *name;
    short value;
} colour_names[] = {
    {"default", C_DEFAULT},
    {"black", C_BLACK},
    {"red", C_RED},
    {"green", C_GREEN},
    {"yellow", C_YELLOW},
    {"blue", C_BLUE},
    {"magenta", C_MAGENTA},
    {"cyan", C_CYAN},
    {"white", C_WHITE},
    {"bright-black", C_BRIGHT_BLACK},
    {"bright-red", C_BRIGHT_RED},
    {"bright-green", C_BRIGHT_GREEN},
    {"bright-yellow", C_BRIGHT_YELLOW},
    {"bright-blue", C_BRIGHT_BLUE},
    {"bright-magenta", C_BRIGHT_MAGENTA},
    {"bright-cyan", C_BRIGHT_CYAN},
    {"bright-white", C_BRIGHT_WHITE},
};

static const struct {
    const char *name;
    unsigned value;
} attr_names[] = {
    {"bold", A_BOLD},       {"dim", A_DIM},       {"underline", A_UNDERLINE},
    {"reverse", A_REVERSE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
};

#define X_NAME(id, name) name,
static const char *const role_names[THEME_NROLES] = {THEME_ROLES(X_NAME)};
#undef X_NAME

/* The dark theme; themes/dark.theme says the same and a test holds them equal. */
static const struct theme_style builtin_styles[THEME_NROLES] = {
    [THEME_NORMAL] = {C_DEFAULT, C_DEFAULT, 0, true},
    [THEME_HEADER] = {C_BRIGHT_WHITE, C_DEFAULT, A_BOLD, true},
    [THEME_SELECTED] = {C_BLACK, C_CYAN, 0, true},
    [THEME_BORDER] = {C_BRIGHT_BLACK, C_DEFAULT, 0, true},
    [THEME_BORDER_FOCUS] = {C_CYAN, C_DEFAULT, A_BOLD, true},
    [THEME_TITLE] = {C_WHITE, C_DEFAULT, A_BOLD, true},
    [THEME_STATUS] = {C_BLACK, C_WHITE, 0, true},
    [THEME_OK] = {C_GREEN, C_DEFAULT, 0, true},
    [THEME_INFO] = {C_CYAN, C_DEFAULT, 0, true},
    [THEME_WARN] = {C_YELLOW, C_DEFAULT, 0, true},
    [THEME_CRIT] = {C_BRIGHT_RED, C_DEFAULT, A_BOLD, true},
    [THEME_MUTED] = {C_BRIGHT_BLACK, C_DEFAULT, 0, true},
    [THEME_DEMO] = {C_BLACK, C_YELLOW, A_BOLD, true},
    [THEME_DIALOG] = {C_WHITE, C_BLUE, 0, true},
    [THEME_KEY] = {C_YELLOW, C_DEFAULT, A_BOLD, true},
    [THEME_ERROR] = {C_WHITE, C_RED, A_BOLD, true},
};

/*
 * With no colour, these keep the screen usable: the selection and the status
 * bar must stand out from the rows, alarms must not look like routine lines.
 */
static const unsigned mono_fallback[THEME_NROLES] = {
    [THEME_SELECTED] = A_REVERSE,
    [THEME_STATUS] = A_REVERSE,
    [THEME_HEADER] = A_BOLD | A_UNDERLINE,
    [THEME_CRIT] = A_BOLD,
    [THEME_WARN] = A_BOLD,
    [THEME_ERROR] = A_BOLD,
    [THEME_BORDER_FOCUS] = A_BOLD,
    [THEME_TITLE] = A_BOLD,
    [THEME_DEMO] = A_REVERSE | A_BOLD,
    [THEME_MUTED] = A_DIM,
    [THEME_KEY] = A_BOLD,
};

/* What theme_attr() returns, filled by theme_apply(). */
static unsigned applied[THEME_NROLES];

/* A word inside a value: not NUL-terminated, so values are never copied. */
struct word {
    const char *s;
    size_t len;
};

/* The state of one file being parsed. */
struct parse {
    const char *file; /* for messages */
    const char *next; /* unread text */
    int line;         /* physical line last handed to inih */
    int err_line;     /* 0 until the first error */
    char *err;        /* that error, without the file:line prefix */
    struct theme overlay;
    bool has_name;
    char inherits[NAME_MAX_LEN + 1];
    int inherits_line;
};

/* Names of the themes being loaded, to refuse inheritance cycles. */
struct chain {
    const char *names[MAX_INHERIT + 2];
    int n;
    int hops;
};

static bool load_found(struct theme *t, const char *name, const char *path, const char *const *dirs,
                       struct chain *chain, char **cause);

static void fail(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(char **cause, const char *fmt, ...)
{
    va_list ap;
    if (cause == NULL) {
        return;
    }
    va_start(ap, fmt);
    *cause = xvasprintf(fmt, ap);
    va_end(ap);
}

/* Copy a word for a message: printable ASCII only (it may reach the screen), capped. */
static void show(char out[MAX_SHOWN + 4], const char *s, size_t len)
{
    size_t n = len < MAX_SHOWN ? len : MAX_SHOWN;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    strcpy(out + n, len > n ? "..." : "");
}

static bool name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_LEN) {
        return false;
    }
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/* Next blank-separated word; a word starting with # or ; begins a comment. */
static bool word_next(const char **p, struct word *w)
{
    const char *s = *p;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (*s == '\0' || *s == '#' || *s == ';') {
        *p = s;
        return false;
    }
    w->s = s;
    while (*s != '\0' && !isspace((unsigned char)*s)) {
        s++;
    }
    w->len = (size_t)(s - w->s);
    *p = s;
    return true;
}

static bool word_is(const struct word *w, const char *lit)
{
    return strlen(lit) == w->len && strncasecmp(w->s, lit, w->len) == 0;
}

static bool colour_parse(const struct word *w, short *out)
{
    for (size_t i = 0; i < sizeof colour_names / sizeof colour_names[0]; i++) {
        if (word_is(w, colour_names[i].name)) {
            *out = colour_names[i].value;
            return true;
        }
    }
    /* colorN: 1 to 3 digits, 0-255 */
    if (w->len < 6 || w->len > 8 || strncasecmp(w->s, "color", 5) != 0) {
        return false;
    }
    int v = 0;
    for (size_t i = 5; i < w->len; i++) {
        if (!isdigit((unsigned char)w->s[i])) {
            return false;
        }
        v = v * 10 + (w->s[i] - '0');
    }
    if (v > 255) {
        return false;
    }
    *out = (short)v;
    return true;
}

static bool attr_parse(const struct word *w, unsigned *out)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
        if (word_is(w, attr_names[i].name)) {
            *out = attr_names[i].value;
            return true;
        }
    }
    return false;
}

static int role_lookup(const char *name)
{
    for (int i = 0; i < THEME_NROLES; i++) {
        if (strcasecmp(name, role_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Record the first error only: later ones are usually its echo. */
static void parse_fail(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void parse_fail(struct parse *ps, const char *fmt, ...)
{
    va_list ap;
    if (ps->err_line != 0) {
        return;
    }
    va_start(ap, fmt);
    ps->err = xvasprintf(fmt, ap);
    va_end(ap);
    ps->err_line = ps->line;
}

/* A "[...]" line: only [theme] exists. Without "]" inih reports the syntax error. */
static bool section_ok(struct parse *ps, const char *s, size_t len)
{
    const char *close = memchr(s, ']', len);
    if (close == NULL) {
        return true;
    }
    struct word w = {s + 1, (size_t)(close - s - 1)};
    while (w.len > 0 && isspace((unsigned char)w.s[0])) {
        w.s++;
        w.len--;
    }
    while (w.len > 0 && isspace((unsigned char)w.s[w.len - 1])) {
        w.len--;
    }
    if (word_is(&w, "theme")) {
        return true;
    }
    char shown[MAX_SHOWN + 4];
    show(shown, w.s, w.len);
    parse_fail(ps, "unknown section [%s] (a theme has one [theme] section)", shown);
    return false;
}

/* The ini_reader: one physical line per call, see the comment at the top. */
static char *read_line(char *buf, int size, void *stream)
{
    struct parse *ps = stream;
    if (ps->err_line != 0 || *ps->next == '\0' || size < 2) {
        return NULL;
    }
    const char *s = ps->next;
    const char *nl = strchr(s, '\n');
    size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
    ps->next = s + len + (nl != NULL ? 1 : 0);
    ps->line++;
    if (ps->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
    }
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    if (len == 0 || *s == ';' || *s == '#') {
        len = 0;
    } else if (len > (size_t)size - 2) {
        parse_fail(ps, "line too long (more than %d characters)", size - 2);
        return NULL;
    } else if (*s == '[' && !section_ok(ps, s, len)) {
        return NULL;
    }
    memcpy(buf, s, len);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    return buf;
}

static int parse_name(struct parse *ps, const char *value)
{
    size_t len = strlen(value);
    if (len == 0) {
        parse_fail(ps, "'name' needs a value");
        return 0;
    }
    if (len > NAME_MAX_LEN) {
        parse_fail(ps, "'name' is longer than %d characters", NAME_MAX_LEN);
        return 0;
    }
    /* Any UTF-8 is fine for a display name; control bytes are not. */
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)value[i];
        ps->overlay.name[i] = (c != '\0' && (c < 0x20 || c == 0x7f)) ? '?' : (char)c;
    }
    ps->has_name = true;
    return 1;
}

static int parse_inherits(struct parse *ps, const char *value)
{
    if (!name_valid(value)) {
        char shown[MAX_SHOWN + 4];
        show(shown, value, strlen(value));
        parse_fail(ps, "inherits '%s' is not a theme name (letters, digits, '-' and '_')", shown);
        return 0;
    }
    strcpy(ps->inherits, value);
    ps->inherits_line = ps->line;
    return 1;
}

/* Attributes after fg and bg. */
static bool parse_attrs(struct parse *ps, const char *role, const char **p, unsigned *out)
{
    struct word w;
    *out = 0;
    while (word_next(p, &w)) {
        unsigned bits;
        if (!attr_parse(&w, &bits)) {
            char shown[MAX_SHOWN + 4];
            show(shown, w.s, w.len);
            parse_fail(ps, "unknown attribute '%s' for '%s'", shown, role);
            return false;
        }
        *out |= bits;
    }
    return true;
}

/* One colour word; which is "foreground" or "background" for the messages. */
static bool parse_colour(struct parse *ps, const char *role, const char *which, const char **p,
                         short *out)
{
    struct word w;
    unsigned bits;
    char shown[MAX_SHOWN + 4];
    if (!word_next(p, &w)) {
        parse_fail(ps, "'%s' has no %s colour (expected: fg bg [attributes])", role, which);
        return false;
    }
    show(shown, w.s, w.len);
    if (attr_parse(&w, &bits)) {
        parse_fail(ps, "'%s' has no %s colour before '%s' (expected: fg bg [attributes])", role,
                   which, shown);
        return false;
    }
    if (!colour_parse(&w, out)) {
        parse_fail(ps, "unknown colour '%s' for '%s'", shown, role);
        return false;
    }
    return true;
}

static int parse_style(struct parse *ps, int role, const char *value)
{
    struct theme_style st = {.set = true};
    const char *name = role_names[role];
    const char *p = value;
    if (!parse_colour(ps, name, "foreground", &p, &st.fg) ||
        !parse_colour(ps, name, "background", &p, &st.bg) ||
        !parse_attrs(ps, name, &p, &st.attrs)) {
        return 0;
    }
    ps->overlay.styles[role] = st;
    return 1;
}

/* The ini_handler. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse *ps = user;
    char shown[MAX_SHOWN + 4];
    show(shown, key, strlen(key));
    if (section[0] == '\0') {
        parse_fail(ps, "'%s' comes before the [theme] line", shown);
        return 0;
    }
    if (strcasecmp(key, "name") == 0) {
        return parse_name(ps, value);
    }
    if (strcasecmp(key, "inherits") == 0) {
        return parse_inherits(ps, value);
    }
    int role = role_lookup(key);
    if (role < 0) {
        parse_fail(ps, "unknown role '%s'", shown);
        return 0;
    }
    return parse_style(ps, role, value);
}

/* inih found a line that is neither a key nor a section: quote its start. */
static char *syntax_error(const char *file, const char *text, int line)
{
    for (int i = 1; i < line && text != NULL; i++) {
        text = strchr(text, '\n');
        text = text != NULL ? text + 1 : NULL;
    }
    text = text != NULL ? text : "";
    while (*text == ' ' || *text == '\t') {
        text++;
    }
    size_t len = strcspn(text, "\r\n");
    char shown[MAX_SHOWN + 4];
    show(shown, text, len);
    return xasprintf("%s:%d: cannot read '%s' (expected 'role = fg bg [attributes]' or [theme])",
                     file, line, shown);
}

/* Turn inih's result and ours into one message; true when there was none. */
static bool parse_result(struct parse *ps, const char *text, int rc, char **cause)
{
    if (rc > 0 && (ps->err_line == 0 || rc < ps->err_line)) {
        char *msg = syntax_error(ps->file, text, rc);
        fail(cause, "%s", msg);
        free(msg);
        return false;
    }
    if (ps->err_line != 0) {
        fail(cause, "%s:%d: %s", ps->file, ps->err_line, ps->err);
        return false;
    }
    if (rc < 0) {
        fail(cause, "%s: cannot parse (inih error %d)", ps->file, rc);
        return false;
    }
    return true;
}

static bool chain_has(const struct chain *chain, const char *name)
{
    for (int i = 0; i < chain->n; i++) {
        if (strcmp(chain->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* "a -> b -> a" for the cycle message. */
static char *chain_text(const struct chain *chain, const char *last)
{
    char *text = xstrdup("");
    for (int i = 0; i < chain->n; i++) {
        char *next = xasprintf("%s%s -> ", text, chain->names[i]);
        free(text);
        text = next;
    }
    char *full = xasprintf("%s%s", text, last);
    free(text);
    return full;
}

static char *not_found(const char *name, const char *const *dirs)
{
    char *list = xstrdup("");
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        char *next = xasprintf("%s%s%s", list, list[0] != '\0' ? ", " : "", dirs[i]);
        free(list);
        list = next;
    }
    char *msg = list[0] != '\0' ? xasprintf("theme '%s' not found (looked in: %s)", name, list)
                                : xasprintf("theme '%s' not found (no theme directories)", name);
    free(list);
    return msg;
}

/*
 * Find NAME: 1 with *path for a file, 0 for the built-in dark, -1 with *cause
 * (not found, or a directory entry we cannot use).
 */
static int locate(const char *name, const char *const *dirs, char **path, char **cause)
{
    *path = NULL;
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        if (dirs[i][0] == '\0') {
            continue;
        }
        char *p = xasprintf("%s/%s.theme", dirs[i], name);
        struct stat st;
        int err = stat(p, &st) == 0 ? 0 : errno;
        if (err == 0 && S_ISREG(st.st_mode)) {
            *path = p;
            return 1;
        }
        /*
         * Absence moves on, and so does a directory we may not enter (EACCES
         * from stat: a build tree in another user's private directory, the
         * compiled-in source dir of a binary someone else built). A file we
         * can see but not read is reported, not replaced by a later one.
         */
        if (err != ENOENT && err != ENOTDIR && err != EACCES) {
            fail(cause, "%s: %s", p, err == 0 ? "not a regular file" : strerror(err));
            free(p);
            return -1;
        }
        free(p);
    }
    if (strcmp(name, "dark") == 0) {
        return 0;
    }
    char *msg = not_found(name, dirs);
    fail(cause, "%s", msg);
    free(msg);
    return -1;
}

/* The whole file as a string, refusing what cannot be a theme. */
static char *read_file(const char *path, char **cause)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail(cause, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(MAX_FILE + 2);
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    const char *problem = NULL;
    if (err != 0) {
        problem = strerror(err);
    } else if (n > MAX_FILE) {
        problem = "too large for a theme (over 256 KiB)";
    } else if (memchr(buf, '\0', n) != NULL) {
        problem = "contains NUL bytes (not a text file)";
    }
    if (problem != NULL) {
        fail(cause, "%s: %s", path, problem);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The parent named by "inherits", loaded over *t; errors point at that line. */
static bool load_parent(struct theme *t, const struct parse *ps, const char *const *dirs,
                        struct chain *chain, char **cause)
{
    const char *name = ps->inherits;
    if (chain_has(chain, name)) {
        char *text = chain_text(chain, name);
        fail(cause, "%s:%d: inherits cycle: %s", ps->file, ps->inherits_line, text);
        free(text);
        return false;
    }
    if (chain->hops >= MAX_INHERIT) {
        fail(cause, "%s:%d: inherits '%s' goes deeper than %d levels", ps->file, ps->inherits_line,
             name, MAX_INHERIT);
        return false;
    }
    char *path = NULL;
    char *err = NULL;
    if (locate(name, dirs, &path, &err) < 0) {
        fail(cause, "%s:%d: %s", ps->file, ps->inherits_line, err);
        free(err);
        return false;
    }
    chain->names[chain->n++] = name;
    chain->hops++;
    bool ok = load_found(t, name, path, dirs, chain, cause);
    chain->hops--;
    chain->n--;
    free(path);
    return ok;
}

/*
 * Parse text over *t (or over its parent when it inherits). default_name,
 * when not NULL, names the result unless the file says "name =".
 */
static bool parse_text(struct theme *t, const char *file, const char *text, const char *const *dirs,
                       struct chain *chain, const char *default_name, char **cause)
{
    struct parse ps = {.file = file, .next = text};
    int rc = ini_parse_stream(read_line, &ps, on_key, &ps);
    bool ok = parse_result(&ps, text, rc, cause);
    free(ps.err);
    if (!ok) {
        return false;
    }
    struct theme result = *t;
    if (ps.inherits[0] != '\0' && !load_parent(&result, &ps, dirs, chain, cause)) {
        return false;
    }
    for (int i = 0; i < THEME_NROLES; i++) {
        if (ps.overlay.styles[i].set) {
            result.styles[i] = ps.overlay.styles[i];
        }
    }
    if (ps.has_name) {
        memcpy(result.name, ps.overlay.name, sizeof result.name);
    } else if (default_name != NULL) {
        snprintf(result.name, sizeof result.name, "%s", default_name);
    }
    *t = result;
    return true;
}

/* Load a located theme (path NULL = built-in), starting from the built-in. */
static bool load_found(struct theme *t, const char *name, const char *path, const char *const *dirs,
                       struct chain *chain, char **cause)
{
    struct theme base;
    theme_builtin(&base);
    if (path != NULL) {
        char *text = read_file(path, cause);
        if (text == NULL) {
            return false;
        }
        bool ok = parse_text(&base, path, text, dirs, chain, name, cause);
        free(text);
        if (!ok) {
            return false;
        }
    }
    *t = base;
    return true;
}

void theme_builtin(struct theme *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->name, "dark");
    memcpy(t->styles, builtin_styles, sizeof t->styles);
}

bool theme_parse(struct theme *t, const char *name, const char *text, char **cause)
{
    struct chain chain = {.n = 0};
    return parse_text(t, name, text, NULL, &chain, NULL, cause);
}

bool theme_load(struct theme *t, const char *name, const char *const *dirs, char **cause)
{
    if (!name_valid(name)) {
        char shown[MAX_SHOWN + 4];
        show(shown, name, strlen(name));
        fail(cause, "invalid theme name '%s' (use letters, digits, '-' and '_')", shown);
        return false;
    }
    char *path = NULL;
    if (locate(name, dirs, &path, cause) < 0) {
        return false;
    }
    struct chain chain = {.names = {name}, .n = 1};
    bool ok = load_found(t, name, path, dirs, &chain, cause);
    free(path);
    return ok;
}

/* Append the theme names of one directory; a missing directory is normal. */
static void list_dir(const char *dir, char ***names, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 6 || strcmp(e->d_name + len - 6, ".theme") != 0) {
            continue;
        }
        char *name = xstrndup(e->d_name, len - 6);
        struct stat st;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        bool usable = name_valid(name) && stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!usable) {
            free(name);
            continue;
        }
        if (*n + 1 >= *cap) {
            *cap *= 2;
            *names = xreallocarray(*names, *cap, sizeof **names);
        }
        (*names)[(*n)++] = name;
    }
    closedir(d);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **theme_list(const char *const *dirs)
{
    size_t n = 0;
    size_t cap = 8;
    char **names = xreallocarray(NULL, cap, sizeof *names);
    names[n++] = xstrdup("dark");
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        list_dir(dirs[i], &names, &n, &cap);
    }
    qsort(names, n, sizeof *names, compare_names);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && strcmp(names[kept - 1], names[i]) == 0) {
            free(names[i]);
        } else {
            names[kept++] = names[i];
        }
    }
    names[kept] = NULL;
    return names;
}

void theme_list_free(char **names)
{
    if (names == NULL) {
        return;
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* RGB of an xterm colour: the 16 basic ones, the 6x6x6 cube, the grey ramp. */
static void xterm_rgb(int c, int rgb[3])
{
    static const unsigned char basic[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    static const unsigned char cube[6] = {0, 95, 135, 175, 215, 255};
    if (c < 16) {
        for (int i = 0; i < 3; i++) {
            rgb[i] = basic[c][i];
        }
    } else if (c < 232) {
        rgb[0] = cube[(c - 16) / 36];
        rgb[1] = cube[(c - 16) / 6 % 6];
        rgb[2] = cube[(c - 16) % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + (c - 232) * 10;
    }
}

/* The nearest of the 16 basic colours by RGB distance; ties go to the lower. */
static short nearest_basic(int c)
{
    int rgb[3];
    int best = 0;
    long best_d = LONG_MAX;
    xterm_rgb(c, rgb);
    for (int i = 0; i < 16; i++) {
        int b[3];
        long d = 0;
        xterm_rgb(i, b);
        for (int k = 0; k < 3; k++) {
            d += (long)(rgb[k] - b[k]) * (rgb[k] - b[k]);
        }
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return (short)best;
}

short theme_map_color(short c, enum theme_tier tier, unsigned *attrs)
{
    if (c < 0 || c > 255 || tier == THEME_TIER_NONE) {
        return -1;
    }
    if (tier == THEME_TIER_256) {
        return c;
    }
    short basic = c < 16 ? c : nearest_basic(c);
    if (tier == THEME_TIER_16 || basic < 8) {
        return basic;
    }
    /* 8 colours: most such terminals draw bold text in the bright variant. */
    if (attrs != NULL) {
        *attrs |= A_BOLD;
    }
    return (short)(basic - 8);
}

static enum theme_tier tier_for_colors(int colors)
{
    if (colors >= 256) {
        return THEME_TIER_256;
    }
    if (colors >= 16) {
        return THEME_TIER_16;
    }
    if (colors >= 8) {
        return THEME_TIER_8;
    }
    return THEME_TIER_NONE;
}

enum theme_tier theme_detect_tier(void)
{
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0') {
        return THEME_TIER_NONE;
    }
    if (!has_colors()) {
        return THEME_TIER_NONE;
    }
    return tier_for_colors(COLORS);
}

/* Ask for -1 (the terminal's colours); without it, pin pair 0 to white on black. */
static bool install_default_colors(void)
{
    if (use_default_colors() == OK) {
        return true;
    }
    assume_default_colors(COLOR_WHITE, COLOR_BLACK);
    return false;
}

/* The attribute of one role: a colour pair when the tier and curses allow it. */
static unsigned role_attr(int role, const struct theme_style *st, enum theme_tier tier,
                          bool defaults)
{
    /* A role the caller never set is drawn plainly rather than black on black. */
    struct theme_style plain = {C_DEFAULT, C_DEFAULT, 0, false};
    const struct theme_style *s = st->set ? st : &plain;
    int pair = role + 1;
    if (tier == THEME_TIER_NONE || pair >= COLOR_PAIRS) {
        return s->attrs | mono_fallback[role];
    }
    unsigned attrs = s->attrs;
    short fg = theme_map_color(s->fg, tier, &attrs);
    short bg = theme_map_color(s->bg, tier, NULL);
    if (!defaults) {
        fg = fg < 0 ? COLOR_WHITE : fg;
        bg = bg < 0 ? COLOR_BLACK : bg;
    }
    if (init_pair((short)pair, fg, bg) != OK) {
        return s->attrs | mono_fallback[role];
    }
    return (unsigned)COLOR_PAIR(pair) | attrs;
}

void theme_apply(const struct theme *t, enum theme_tier tier)
{
    /* Never trust the caller's tier beyond what curses reports. */
    enum theme_tier most = has_colors() ? tier_for_colors(COLORS) : THEME_TIER_NONE;
    tier = tier < most ? tier : most;
    bool defaults = tier != THEME_TIER_NONE && install_default_colors();
    for (int i = 0; i < THEME_NROLES; i++) {
        applied[i] = role_attr(i, &t->styles[i], tier, defaults);
    }
}

unsigned theme_attr(enum theme_role role)
{
    if ((int)role < 0 || role >= THEME_NROLES) {
        return A_NORMAL;
    }
    return applied[role];
}

const char *theme_role_name(enum theme_role role)
{
    if ((int)role < 0 || role >= THEME_NROLES) {
        return "?";
    }
    return role_names[role];
}
