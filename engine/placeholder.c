/*
 * Placeholders (placeholder.h). Code is walked once with sh's quoting
 * states; a candidate is checked where it stands, so `<<EOF` is a
 * here-document, `'<server>'` a placeholder in single quotes and `# TODO` a
 * comment. The rules of what is not a placeholder are in placeholder.h.
 */
#include "placeholder.h"

#include "../common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum {
    NAME_MAX_LEN = 48, /* a placeholder's name; longer is prose, not a blank to fill */
    HEREDOCS_MAX = 8,  /* here-documents opened on one line */
};

/* HTML elements a wiki page may hold inline: markup, never a placeholder. */
static const char *const html_names[] = {
    "a",      "abbr",   "b",     "big",     "blockquote", "body", "br",     "center", "cite",
    "code",   "dd",     "del",   "details", "div",        "dl",   "dt",     "em",     "font",
    "h1",     "h2",     "h3",    "h4",      "h5",         "h6",   "head",   "hr",     "html",
    "i",      "img",    "input", "ins",     "kbd",        "li",   "link",   "mark",   "meta",
    "ol",     "p",      "pre",   "q",       "s",          "samp", "script", "small",  "span",
    "strike", "strong", "style", "sub",     "summary",    "sup",  "table",  "tbody",  "td",
    "tfoot",  "th",     "thead", "title",   "tr",         "tt",   "u",      "ul",     "var",
    "wbr",    NULL,
};

/* Set by the shell itself: never a blank to fill, whatever the environment holds. */
static const char *const shell_names[] = {
    "HOME",    "PATH",   "PWD",     "OLDPWD", "USER",   "LOGNAME", "SHELL",    "IFS",
    "RANDOM",  "LINENO", "SECONDS", "UID",    "EUID",   "PPID",    "HOSTNAME", "TERM",
    "OPSDECK", "TMPDIR", "LANG",    "REPLY",  "OPTARG", "OPTIND",  "BASHPID",  NULL,
};

/* Go template actions: {{end}} closes a {{range}}, it is no blank to fill. */
static const char *const template_words[] = {"end",    "else",  "range",    "if", "with",
                                             "define", "block", "template", NULL};

static const char *const markers[] = {"TODO",      "TBD",        "CHANGEME", "CHANGE_ME",
                                      "REPLACEME", "REPLACE_ME", "FIXME",    NULL};

static bool name_byte(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool is_html_name(const char *name, size_t n)
{
    for (const char *const *h = html_names; *h != NULL; h++) {
        if (strlen(*h) == n && strncasecmp(*h, name, n) == 0) {
            return true;
        }
    }
    return false;
}

char *placeholder_var(const char *name)
{
    struct strbuf sb = {0};
    if (name[0] == '\0' || isdigit((unsigned char)name[0])) {
        strbuf_str(&sb, "_");
    }
    for (const char *p = name; *p != '\0'; p++) {
        strbuf_add(&sb, name_byte(*p) ? p : "_", 1);
    }
    return sb.s;
}

static void add(struct ph_list *l, const char *s, size_t start, size_t end, const char *name,
                size_t nlen, enum ph_form form, enum ph_where where)
{
    l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
    struct placeholder *p = &l->v[l->n++];
    p->start = start;
    p->end = end;
    p->raw = xstrndup(s + start, end - start);
    p->name = xstrndup(name, nlen);
    p->var = placeholder_var(p->name);
    p->form = form;
    p->where = where;
}

void placeholder_list_free(struct ph_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].raw);
        free(l->v[i].name);
        free(l->v[i].var);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* ---- the forms, each at s[i]; the length matched, 0 when it is not one ---- */

/* <name>: a letter, then letters, digits, " _.:-", no trailing blank, no URL, no HTML element. */
static size_t match_angle(const char *s, size_t n, size_t i, size_t *name_len)
{
    if (s[i] != '<' || i + 2 >= n || !isalpha((unsigned char)s[i + 1]) ||
        (i > 0 && s[i - 1] == '<')) {
        return 0;
    }
    size_t j = i + 1;
    while (j < n && j - i <= NAME_MAX_LEN &&
           (name_byte(s[j]) || s[j] == ' ' || s[j] == '-' || s[j] == '.' || s[j] == ':')) {
        if (s[j] == ' ' && s[j - 1] == ' ') {
            return 0;
        }
        j++;
    }
    if (j >= n || s[j] != '>' || s[j - 1] == ' ' || s[j - 1] == ':') {
        return 0;
    }
    size_t len = j - i - 1;
    if (is_html_name(s + i + 1, len)) {
        return 0;
    }
    *name_len = len;
    return j + 1 - i;
}

/* {{name}}, {{ .name }}, {{ .Values.name }}: the name is the last part. *dot: it began with '.'. */
static size_t match_template(const char *s, size_t n, size_t i, size_t *name_at, size_t *name_len,
                             bool *dot)
{
    if (i + 4 >= n || s[i] != '{' || s[i + 1] != '{') {
        return 0;
    }
    size_t j = i + 2;
    while (j < n && s[j] == ' ') {
        j++;
    }
    *dot = j < n && s[j] == '.';
    if (*dot) {
        j++;
    }
    size_t part = j;
    if (j >= n || !(isalpha((unsigned char)s[j]) || s[j] == '_')) {
        return 0;
    }
    while (j < n && (name_byte(s[j]) || s[j] == '.' || s[j] == '-')) {
        if (s[j] == '.') {
            part = j + 1;
        }
        j++;
    }
    size_t part_end = j;
    while (j < n && s[j] == ' ') {
        j++;
    }
    if (j + 1 >= n || s[j] != '}' || s[j + 1] != '}' || part_end == part) {
        return 0;
    }
    char *word = xstrndup(s + part, part_end - part);
    bool keyword = !*dot && str_in(word, template_words);
    free(word);
    if (keyword) {
        return 0;
    }
    *name_at = part;
    *name_len = part_end - part;
    return j + 2 - i;
}

/* [server-name]: words of two or more, joined by '-', '_' or ' '; not a glob, test or subscript. */
static size_t match_bracket(const char *s, size_t n, size_t i)
{
    if (s[i] != '[' ||
        (i > 0 && (name_byte(s[i - 1]) || s[i - 1] == '[' || s[i - 1] == '$' || s[i - 1] == ']'))) {
        return 0;
    }
    size_t j = i + 1, word = 0, joins = 0;
    while (j < n && j - i <= NAME_MAX_LEN) {
        if (isalnum((unsigned char)s[j])) {
            word++;
        } else if (s[j] == '-' || s[j] == '_' || s[j] == ' ') {
            if (word < 2) {
                return 0;
            }
            word = 0;
            joins++;
        } else {
            break;
        }
        j++;
    }
    if (j >= n || s[j] != ']' || word < 2 || joins == 0 || !isalpha((unsigned char)s[i + 1]) ||
        (j + 1 < n && (s[j + 1] == '(' || s[j + 1] == ']' || s[j + 1] == '['))) {
        return 0;
    }
    return j + 1 - i;
}

/* XXX (three or more), TODO, CHANGEME...: a whole word. */
static size_t match_marker(const char *s, size_t n, size_t i)
{
    if (i > 0 && name_byte(s[i - 1])) {
        return 0;
    }
    size_t len = 0;
    if (s[i] == 'X') {
        while (i + len < n && s[i + len] == 'X') {
            len++;
        }
        len = len >= 3 ? len : 0;
    }
    for (const char *const *m = markers; len == 0 && *m != NULL; m++) {
        size_t ml = strlen(*m);
        if (i + ml <= n && strncmp(s + i, *m, ml) == 0) {
            len = ml;
        }
    }
    return len > 0 && (i + len >= n || !name_byte(s[i + len])) ? len : 0;
}

/* ---- code ---- */

struct lex {
    const char *s;
    size_t n;
    ph_set_fn set;
    void *ud;
    struct ph_list *out;
};

/* The word before s[i] on its line starts with '-' (an option: its template is the program's). */
static bool after_option(const char *s, size_t i)
{
    size_t j = i;
    while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '=' || s[j - 1] == '\'' || s[j - 1] == '"')) {
        j--;
    }
    size_t end = j;
    while (j > 0 && !isspace((unsigned char)s[j - 1])) {
        j--;
    }
    return end > j && s[j] == '-';
}

/* NAME assigned in the code itself: NAME=..., for NAME in, read ... NAME. */
static bool assigned(const char *s, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(s, name); p != NULL; p = strstr(p + 1, name)) {
        char before = p > s ? p[-1] : ' ';
        char after = p[nl];
        if (name_byte(before) || name_byte(after) || before == '$' || before == '{') {
            continue;
        }
        if (after == '=' && p[nl + 1] != '=') {
            return true;
        }
        /* the words before it on its line: for NAME / read [-r] ... NAME */
        const char *line = p;
        while (line > s && line[-1] != '\n' && line[-1] != ';' && line[-1] != '|' &&
               line[-1] != '&') {
            line--;
        }
        while (*line == ' ' || *line == '\t') {
            line++;
        }
        if ((str_has_prefix(line, "for ") || str_has_prefix(line, "while read ") ||
             str_has_prefix(line, "read ") || str_has_prefix(line, "local ") ||
             str_has_prefix(line, "export ")) &&
            line < p) {
            return true;
        }
    }
    return false;
}

static bool dollar_known(const struct lex *x, const char *name, bool braced)
{
    if (str_in(name, shell_names) || assigned(x->s, name)) {
        return true;
    }
    return x->set != NULL ? x->set(name, braced, x->ud) : getenv(name) != NULL;
}

/* At '$': a placeholder $NAME or ${NAME}, or the shell's own; returns how far to go. */
static size_t at_dollar(struct lex *x, size_t i, enum ph_where where)
{
    const char *s = x->s;
    size_t n = x->n;
    if (i + 1 >= n) {
        return 1;
    }
    char c = s[i + 1];
    if (c == '$') {
        if (i + 2 < n && s[i + 2] == '{') { /* $${name}: the escape for a literal ${name} */
            const char *close = memchr(s + i, '}', n - i);
            return close != NULL ? (size_t)(close - (s + i)) + 1 : 2;
        }
        return 2;
    }
    bool brace = c == '{';
    size_t a = i + (brace ? 2 : 1), j = a;
    if (j >= n || !(isalpha((unsigned char)s[j]) || s[j] == '_')) {
        return 1; /* $1 $? $@ $( ... */
    }
    while (j < n && name_byte(s[j])) {
        j++;
    }
    if (brace && (j >= n || s[j] != '}')) {
        /* the shell's own ${x:-y}, or an opsdeck ${name.with.dots}: not a blank */
        const char *close = memchr(s + i, '}', n - i);
        return close != NULL ? (size_t)(close - (s + i)) + 1 : 1;
    }
    size_t end = brace ? j + 1 : j;
    char *name = xstrndup(s + a, j - a);
    if (!dollar_known(x, name, brace)) {
        add(x->out, s, i, end, name, strlen(name), PH_DOLLAR, where);
    }
    free(name);
    return end - i;
}

/* The forms every quoting context shares; how far they go, 0: none here. */
static size_t at_common(struct lex *x, size_t i, enum ph_where where)
{
    const char *s = x->s;
    size_t n = x->n, len, at, nl;
    bool dot;
    if ((len = match_angle(s, n, i, &nl)) > 0) {
        add(x->out, s, i, i + len, s + i + 1, nl, PH_ANGLE, where);
        return len;
    }
    if ((len = match_template(s, n, i, &at, &nl, &dot)) > 0) {
        /* a Go template for the program (kubectl -o go-template='{{.x}}'), not a blank */
        if (!(dot && (where == PH_SQUOTED || after_option(s, i)))) {
            add(x->out, s, i, i + len, s + at, nl, PH_TEMPLATE, where);
        }
        return len;
    }
    if (where != PH_HEREDOC && (len = match_bracket(s, n, i)) > 0) {
        add(x->out, s, i, i + len, s + i + 1, len - 2, PH_BRACKET, where);
        return len;
    }
    if ((len = match_marker(s, n, i)) > 0) {
        add(x->out, s, i, i + len, s + i, len, PH_MARKER, where);
        return len;
    }
    return 0;
}

struct heredoc {
    char *delim;
    bool strip; /* <<-: leading tabs */
};

/* At "<<": read the delimiter word; returns how far to go. */
static size_t at_heredoc(const char *s, size_t n, size_t i, struct heredoc *hd, size_t *nhd)
{
    size_t j = i + 2;
    bool strip = j < n && s[j] == '-';
    if (j < n && s[j] == '<') {
        return 3; /* <<< a here-string */
    }
    j += strip;
    while (j < n && (s[j] == ' ' || s[j] == '\t')) {
        j++;
    }
    struct strbuf w = {0};
    while (j < n && !isspace((unsigned char)s[j]) && strchr(";|&<>()", s[j]) == NULL) {
        if (s[j] != '\'' && s[j] != '"' && s[j] != '\\') {
            strbuf_add(&w, s + j, 1);
        }
        j++;
    }
    if (w.s != NULL && *nhd < HEREDOCS_MAX) {
        hd[(*nhd)++] = (struct heredoc){w.s, strip};
    } else {
        free(w.s);
    }
    return j - i;
}

/* A here-document's body from s[i] (a line start); returns where the code goes on. */
static size_t heredoc_body(struct lex *x, size_t i, const struct heredoc *hd)
{
    const char *s = x->s;
    size_t n = x->n, dl = strlen(hd->delim);
    while (i < n) {
        size_t eol = i;
        while (eol < n && s[eol] != '\n') {
            eol++;
        }
        size_t b = i;
        while (hd->strip && b < eol && s[b] == '\t') {
            b++;
        }
        if (eol - b == dl && strncmp(s + b, hd->delim, dl) == 0) {
            return eol < n ? eol + 1 : eol;
        }
        for (size_t k = i; k < eol;) {
            size_t len = s[k] == '$' ? 0 : at_common(x, k, PH_HEREDOC);
            k += len > 0 ? len : 1;
        }
        i = eol < n ? eol + 1 : eol;
    }
    return i;
}

static bool word_start(const char *s, size_t i)
{
    return i == 0 || strchr(" \t\n;&|()", s[i - 1]) != NULL;
}

void placeholder_find_code(const char *code, ph_set_fn set, void *ud, struct ph_list *out)
{
    struct lex x = {code, strlen(code), set, ud, out};
    const char *s = code;
    size_t n = x.n, i = 0, nhd = 0;
    struct heredoc hd[HEREDOCS_MAX];
    enum ph_where where = PH_BARE;
    while (i < n) {
        char c = s[i];
        if (c == '\n' && where == PH_BARE) {
            i++;
            for (size_t k = 0; k < nhd; k++) {
                i = heredoc_body(&x, i, &hd[k]);
                free(hd[k].delim);
            }
            nhd = 0;
            continue;
        }
        if (where == PH_SQUOTED) {
            size_t len = c == '\'' ? 0 : at_common(&x, i, where);
            where = c == '\'' ? PH_BARE : where;
            i += len > 0 ? len : 1;
            continue;
        }
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (where == PH_DQUOTED && c == '"') {
            where = PH_BARE;
            i++;
            continue;
        }
        if (c == '$') {
            if (where == PH_BARE && i + 1 < n && s[i + 1] == '\'') {
                where = PH_SQUOTED; /* $'...' */
                i += 2;
                continue;
            }
            i += at_dollar(&x, i, where);
            continue;
        }
        if (where == PH_BARE) {
            if (c == '\'' || c == '"') {
                where = c == '\'' ? PH_SQUOTED : PH_DQUOTED;
                i++;
                continue;
            }
            if (c == '#' && word_start(s, i)) {
                while (i < n && s[i] != '\n') {
                    i++; /* a comment is never run */
                }
                continue;
            }
            if (c == '<' && i + 1 < n && s[i + 1] == '<') {
                i += at_heredoc(s, n, i, hd, &nhd);
                continue;
            }
        }
        size_t len = at_common(&x, i, where);
        i += len > 0 ? len : 1;
    }
    for (size_t k = 0; k < nhd; k++) {
        free(hd[k].delim);
    }
}

void placeholder_find_text(const char *text, struct ph_list *out)
{
    size_t n = strlen(text), len, at, nl;
    bool dot;
    for (size_t i = 0; i < n;) {
        if ((len = match_angle(text, n, i, &nl)) > 0) {
            add(out, text, i, i + len, text + i + 1, nl, PH_ANGLE, PH_TEXT);
        } else if ((len = match_template(text, n, i, &at, &nl, &dot)) > 0) {
            add(out, text, i, i + len, text + at, nl, PH_TEMPLATE, PH_TEXT);
        } else if ((len = match_bracket(text, n, i)) > 0) {
            add(out, text, i, i + len, text + i + 1, len - 2, PH_BRACKET, PH_TEXT);
        }
        i += len > 0 ? len : 1;
    }
}

char *placeholder_template(const char *code, const struct ph_list *l)
{
    struct strbuf sb = {0};
    size_t at = 0;
    strbuf_str(&sb, "");
    for (size_t k = 0; k < l->n; k++) {
        const struct placeholder *p = &l->v[k];
        strbuf_add(&sb, code + at, p->start - at);
        strbuf_printf(&sb, p->where == PH_SQUOTED ? "'\"${%s}\"'" : "${%s}", p->var);
        at = p->end;
    }
    strbuf_str(&sb, code + at);
    return sb.s;
}

char *placeholder_fill(const char *text, const struct ph_list *l, ph_value_fn value, void *ud)
{
    struct strbuf sb = {0};
    size_t at = 0;
    strbuf_str(&sb, "");
    for (size_t k = 0; k < l->n; k++) {
        const struct placeholder *p = &l->v[k];
        const char *v = value(p->var, ud);
        if (v != NULL) {
            strbuf_add(&sb, text + at, p->start - at);
            strbuf_str(&sb, v);
            at = p->end;
        }
    }
    strbuf_str(&sb, text + at);
    return sb.s;
}

bool placeholder_html_is_text(const char *html, size_t len)
{
    size_t nl;
    return len > 2 && match_angle(html, len, 0, &nl) == len;
}
