/*
 * Shell command templates (shtmpl.h).
 *
 * A recursive reader over the template, one function per shell context:
 *   list      commands (the template, $( ), ( )): words, operators, comments,
 *             here-documents; a reference here becomes "${ENV}"
 *   dquote    "...": a reference becomes ${ENV}
 *   squote, dollar-squote, backticks, arithmetic, the shell's ${...} and
 *             here-document bodies: a reference is refused
 * Every byte is copied to the output as it is, except references (and the
 * `$${name}` escape), so a template without references comes out unchanged.
 *
 * In list context the words of each simple command are kept (their span and
 * their text without quotes) and handed to shcode.c's judge when the command
 * ends: a reference inside a word that another shell will run as code (see
 * shtmpl.h) is refused. This is about where a value lands, not a full sh
 * parser: what it does not recognise it leaves alone.
 */
#include "shtmpl.h"

#include "shcode.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static bool name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

size_t shtmpl_ref_len(const char *s, enum shtmpl_names names, size_t *end)
{
    if (s[0] != '$' || s[1] != '{') {
        return 0;
    }
    size_t n = 0;
    if (names == SHTMPL_VARS) {
        if (!name_start(s[2])) {
            return 0;
        }
        while (name_char(s[2 + n])) {
            n++;
        }
    } else {
        while (s[2 + n] != '\0' && strchr("}{$\n\"'`\\", s[2 + n]) == NULL) {
            n++;
        }
    }
    if (n == 0 || s[2 + n] != '}') {
        return 0;
    }
    *end = 2 + n + 1;
    return n;
}

static char *env_name(const char *name)
{
    char *e = xasprintf("%s%s", SHTMPL_ENV_PREFIX, name);
    for (char *p = e + strlen(SHTMPL_ENV_PREFIX); *p != '\0'; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok) {
            *p = '_';
        }
    }
    return e;
}

/* ---- the reader ---- */

struct word {
    size_t start, end; /* span in the template */
    char *text;        /* without quotes and escapes (what a command would see, roughly) */
    bool redirect;     /* the target of a redirection or a here-document delimiter */
};

struct command {
    struct word *words;
    size_t n, cap;
    bool open;          /* a word is being read */
    bool next_redirect; /* the next word is a redirection target */
    struct strbuf text;
};

struct heredoc {
    char *delim;
    bool strip_tabs;
};

struct lex {
    const char *s;
    size_t i;
    enum shtmpl_names names;
    struct strbuf out;
    struct shtmpl *t;
    char *cause;
    size_t cause_at;
    struct heredoc pending[16];
    size_t npending;
};

static bool failed(const struct lex *l)
{
    return l->cause != NULL;
}

/* Refuse the template at offset at; the first reason wins. Takes msg. */
static void refuse(struct lex *l, size_t at, char *msg)
{
    if (l->cause == NULL) {
        l->cause = msg;
        l->cause_at = at;
    } else {
        free(msg);
    }
}

static void emit(struct lex *l, const char *p, size_t n)
{
    strbuf_add(&l->out, p, n);
}

static size_t ref_index(struct lex *l, const char *name, size_t n)
{
    struct shtmpl *t = l->t;
    for (size_t i = 0; i < t->nrefs; i++) {
        if (strlen(t->refs[i].name) == n && memcmp(t->refs[i].name, name, n) == 0) {
            return i;
        }
    }
    t->refs = xreallocarray(t->refs, t->nrefs + 1, sizeof *t->refs);
    struct shtmpl_ref *r = &t->refs[t->nrefs];
    r->name = xstrndup(name, n);
    r->env = env_name(r->name);
    /* two names that map to one variable ("a.b", "a_b"): the later one gets a suffix */
    for (int k = 2;; k++) {
        bool clash = false;
        for (size_t j = 0; j < t->nrefs && !clash; j++) {
            clash = strcmp(t->refs[j].env, r->env) == 0;
        }
        if (!clash) {
            break;
        }
        char *base = env_name(r->name);
        free(r->env);
        r->env = xasprintf("%s_%d", base, k);
        free(base);
    }
    return t->nrefs++;
}

/* A reference at l->i that can be rewritten; quoted: inside "...". */
static void rewrite_ref(struct lex *l, size_t n, size_t end, bool quoted)
{
    struct shtmpl *t = l->t;
    size_t ri = ref_index(l, l->s + l->i + 2, n);
    t->uses = xreallocarray(t->uses, t->nuses + 1, sizeof *t->uses);
    t->uses[t->nuses++] = (struct shtmpl_use){l->i, l->i + end, ri, quoted, false};
    if (quoted) {
        strbuf_printf(&l->out, "${%s}", t->refs[ri].env);
    } else {
        strbuf_printf(&l->out, "\"${%s}\"", t->refs[ri].env);
    }
    l->i += end;
}

/* A hint written for ${v}, about name: "...${name}..." (caller frees). */
static char *hint_for(const char *hint, const char *name, size_t n)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (const char *p = hint; *p != '\0'; p++) {
        if (str_has_prefix(p, "${v}")) {
            strbuf_printf(&sb, "${%.*s}", (int)n, name);
            p += 3;
        } else {
            strbuf_add(&sb, p, 1);
        }
    }
    return sb.s;
}

/* Refuse the reference ${name} (n bytes of name) at offset at. */
static void refuse_ref(struct lex *l, size_t at, const char *name, size_t n, const char *where,
                       const char *hint)
{
    char *h = hint_for(hint, name, n);
    refuse(l, at, xasprintf("${%.*s} %s: %s", (int)n, name, where, h));
    free(h);
}

/* `$${x}` at l->i: the shell gets `${x}`. True when there was one. */
static bool escape(struct lex *l)
{
    size_t end;
    if (l->s[l->i] != '$' || l->s[l->i + 1] != '$' ||
        shtmpl_ref_len(l->s + l->i + 1, l->names, &end) == 0) {
        return false;
    }
    struct shtmpl *t = l->t;
    t->uses = xreallocarray(t->uses, t->nuses + 1, sizeof *t->uses);
    t->uses[t->nuses++] = (struct shtmpl_use){l->i, l->i + 1 + end, 0, false, true};
    emit(l, l->s + l->i + 1, end);
    l->i += 1 + end;
    return true;
}

/*
 * In a context where references cannot stand: copy an escape, refuse a
 * reference. True when something at l->i was handled.
 */
static bool inert_dollar(struct lex *l, const char *where, const char *hint)
{
    size_t end;
    size_t n;
    if (l->s[l->i] != '$') {
        return false;
    }
    if (escape(l)) {
        return true;
    }
    if ((n = shtmpl_ref_len(l->s + l->i, l->names, &end)) > 0) {
        refuse_ref(l, l->i, l->s + l->i + 2, n, where, hint);
        emit(l, l->s + l->i, end);
        l->i += end;
        return true;
    }
    return false;
}

static const char SQUOTE_HINT[] =
    "the shell never expands there, so a value would be pasted into the text (often code for "
    "another program). Close the quotes around it ('q='\"${v}\"), or pass it to the program as "
    "data (awk -v v=\"${v}\", jq --arg v \"${v}\")";

static void lex_list(struct lex *l, char close);
static void lex_dollar(struct lex *l, bool quoted, struct command *c);

static void lex_squote(struct lex *l)
{
    size_t open = l->i;
    emit(l, "'", 1);
    l->i++;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated single quote"));
            return;
        }
        if (ch == '\'') {
            emit(l, "'", 1);
            l->i++;
            return;
        }
        if (!inert_dollar(l, "inside single quotes", SQUOTE_HINT)) {
            emit(l, &ch, 1);
            l->i++;
        }
    }
}

/* $'...' (bash, zsh): backslash escapes, nothing expands. */
static void lex_dollar_squote(struct lex *l)
{
    size_t open = l->i;
    emit(l, "$'", 2);
    l->i += 2;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated $'...' quote"));
            return;
        }
        if (ch == '\\' && l->s[l->i + 1] != '\0') {
            emit(l, l->s + l->i, 2);
            l->i += 2;
            continue;
        }
        if (ch == '\'') {
            emit(l, "'", 1);
            l->i++;
            return;
        }
        if (!inert_dollar(l, "inside $'...'", SQUOTE_HINT)) {
            emit(l, &ch, 1);
            l->i++;
        }
    }
}

static void lex_backtick(struct lex *l)
{
    size_t open = l->i;
    emit(l, "`", 1);
    l->i++;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated backquote"));
            return;
        }
        if (ch == '\\' && l->s[l->i + 1] != '\0') {
            emit(l, l->s + l->i, 2);
            l->i += 2;
            continue;
        }
        if (ch == '`') {
            emit(l, "`", 1);
            l->i++;
            return;
        }
        if (!inert_dollar(l, "inside backquotes",
                          "the text between backquotes is read twice by the shell; use $( ) "
                          "instead: $(cmd \"${v}\")")) {
            emit(l, &ch, 1);
            l->i++;
        }
    }
}

static const char ARITH_HINT[] =
    "the shell evaluates that text as an expression, so a value would be code. Check it is a "
    "number first and use a shell variable: n=\"${n}\"; case $n in ''|*[!0-9]*) exit 2;; esac; "
    "echo $((n * 2))";

/* $(( ... )) up to the matching )). */
static void lex_arith(struct lex *l)
{
    size_t open = l->i;
    emit(l, "$((", 3);
    l->i += 3;
    int depth = 2;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated $(("));
            return;
        }
        if (inert_dollar(l, "inside $(( ))", ARITH_HINT)) {
            continue;
        }
        depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        emit(l, &ch, 1);
        l->i++;
        if (depth == 0) {
            return;
        }
    }
}

/* The shell's own ${...} (${HOME:-/}, ${#x}) up to its matching brace. */
static void lex_param(struct lex *l)
{
    size_t open = l->i;
    emit(l, "${", 2);
    l->i += 2;
    int depth = 1;
    char quote = 0;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated ${"));
            return;
        }
        if (ch == '\\' && quote != '\'' && l->s[l->i + 1] != '\0') {
            emit(l, l->s + l->i, 2);
            l->i += 2;
            continue;
        }
        if (quote != '\'' &&
            inert_dollar(l, "inside the shell's own ${...}",
                         "set a shell variable first: v=\"${v}\"; then use ${x:-$v}")) {
            continue;
        }
        if (ch == '$' && l->s[l->i + 1] == '{' && quote != '\'') {
            depth++;
            emit(l, "${", 2);
            l->i += 2;
            continue;
        }
        if ((ch == '\'' || ch == '"') && (quote == 0 || quote == ch)) {
            quote = quote == 0 ? ch : 0;
        } else if (ch == '}' && quote == 0 && --depth == 0) {
            emit(l, "}", 1);
            l->i++;
            return;
        }
        emit(l, &ch, 1);
        l->i++;
    }
}

static void lex_dquote(struct lex *l, struct command *c)
{
    size_t open = l->i;
    emit(l, "\"", 1);
    l->i++;
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0') {
            refuse(l, open, xstrdup("unterminated double quote"));
            return;
        }
        if (ch == '"') {
            emit(l, "\"", 1);
            l->i++;
            return;
        }
        if (ch == '\\' && l->s[l->i + 1] != '\0') {
            if (c != NULL && strchr("$`\"\\\n", l->s[l->i + 1]) != NULL) {
                strbuf_add(&c->text, l->s + l->i + 1, 1);
            }
            emit(l, l->s + l->i, 2);
            l->i += 2;
        } else if (ch == '$') {
            lex_dollar(l, true, c);
        } else if (ch == '`') {
            lex_backtick(l);
        } else {
            if (c != NULL) {
                strbuf_add(&c->text, &ch, 1);
            }
            emit(l, &ch, 1);
            l->i++;
        }
    }
}

/* At '$' in a word (quoted: inside "..."). */
static void lex_dollar(struct lex *l, bool quoted, struct command *c)
{
    const char *p = l->s + l->i;
    size_t end;
    size_t n;
    if (escape(l)) {
        /* $${x}: the shell's own ${x} */
    } else if ((n = shtmpl_ref_len(p, l->names, &end)) > 0) {
        if (c != NULL) {
            strbuf_add(&c->text, SHCODE_VALUE, 1); /* a value: never a command word */
        }
        rewrite_ref(l, n, end, quoted);
    } else if (p[1] == '{') {
        lex_param(l);
    } else if (p[1] == '(' && p[2] == '(') {
        lex_arith(l);
    } else if (p[1] == '(') {
        size_t open = l->i;
        emit(l, "$(", 2);
        l->i += 2;
        lex_list(l, ')');
        if (!failed(l)) {
            if (l->s[l->i] != ')') {
                refuse(l, open, xstrdup("unterminated $("));
                return;
            }
            emit(l, ")", 1);
            l->i++;
        }
    } else if (p[1] == '\'' && !quoted) {
        lex_dollar_squote(l);
    } else {
        if (c != NULL) {
            strbuf_add(&c->text, "$", 1);
        }
        emit(l, "$", 1);
        l->i++;
    }
}

/* ---- simple commands ---- */

static void word_end(struct command *c, size_t at)
{
    if (!c->open) {
        return;
    }
    struct word *wd = &c->words[c->n - 1];
    wd->end = at;
    wd->text = xstrdup(c->text.s != NULL ? c->text.s : "");
    c->text.n = 0;
    c->open = false;
}

static void word_begin(struct command *c, size_t at)
{
    if (c->open) {
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap == 0 ? 8 : c->cap * 2;
        c->words = xreallocarray(c->words, c->cap, sizeof *c->words);
    }
    c->words[c->n++] = (struct word){.start = at, .redirect = c->next_redirect};
    c->next_redirect = false;
    c->open = true;
    c->text.n = 0;
    strbuf_add(&c->text, "", 0);
}

/* The simple command is over: refuse a reference that landed in code. */
static void command_end(struct lex *l, struct command *c)
{
    word_end(c, l->i);
    size_t n = 0;
    char **w = xcalloc(c->n + 1, sizeof *w);
    size_t *span = xcalloc(c->n + 1, sizeof *span);
    for (size_t k = 0; k < c->n; k++) {
        if (!c->words[k].redirect) {
            span[n] = k;
            w[n++] = c->words[k].text;
        }
    }
    const struct shcode_verdict **code = xcalloc(n + 1, sizeof *code);
    shcode_judge(w, n, code);
    for (size_t k = 0; k < n && !failed(l); k++) {
        const struct word *wd = &c->words[span[k]];
        for (size_t u = 0; code[k] != NULL && u < l->t->nuses; u++) {
            const struct shtmpl_use *use = &l->t->uses[u];
            if (!use->escape && use->start >= wd->start && use->start < wd->end) {
                const char *name = l->t->refs[use->ref].name;
                refuse_ref(l, use->start, name, strlen(name), code[k]->where, code[k]->hint);
                break;
            }
        }
    }
    free(code);
    free(span);
    free(w);
    for (size_t k = 0; k < c->n; k++) {
        free(c->words[k].text);
    }
    c->n = 0;
    c->next_redirect = false;
}

/* After `<<` or `<<-`: the delimiter word; its body starts at the next newline. */
static void heredoc_start(struct lex *l)
{
    bool strip = l->s[l->i] == '-';
    if (strip) {
        emit(l, "-", 1);
        l->i++;
    }
    while (l->s[l->i] == ' ' || l->s[l->i] == '\t') {
        emit(l, l->s + l->i, 1);
        l->i++;
    }
    struct strbuf d = {0};
    strbuf_add(&d, "", 0);
    char quote = 0;
    while (l->s[l->i] != '\0') {
        char ch = l->s[l->i];
        if (quote == 0 && strchr(" \t\n;&|<>()", ch) != NULL) {
            break;
        }
        if (quote == 0 && (ch == '\'' || ch == '"')) {
            quote = ch;
        } else if (ch == quote) {
            quote = 0;
        } else if (ch == '\\' && quote == 0 && l->s[l->i + 1] != '\0') {
            strbuf_add(&d, l->s + l->i + 1, 1); /* \EOF: the delimiter is EOF */
            emit(l, l->s + l->i, 2);
            l->i += 2;
            continue;
        } else {
            strbuf_add(&d, &ch, 1);
        }
        emit(l, &ch, 1);
        l->i++;
    }
    if (l->npending < sizeof l->pending / sizeof l->pending[0]) {
        l->pending[l->npending++] = (struct heredoc){d.s, strip};
    } else {
        free(d.s);
        refuse(l, l->i, xstrdup("too many here-documents on one line"));
    }
}

static const char HEREDOC_HINT[] =
    "a here-document is often the input of another program (a script, SQL), where a value would "
    "be code. Pass it as an argument, or feed it on stdin: printf '%s\\n' \"${v}\" | program";

/* At the start of a line after a newline: the bodies of pending here-documents. */
static void heredoc_bodies(struct lex *l)
{
    for (size_t h = 0; h < l->npending; h++) {
        const struct heredoc *hd = &l->pending[h];
        while (l->s[l->i] != '\0' && !failed(l)) {
            size_t eol = strcspn(l->s + l->i, "\n");
            size_t skip = 0;
            while (hd->strip_tabs && skip < eol && l->s[l->i + skip] == '\t') {
                skip++;
            }
            bool last = eol - skip == strlen(hd->delim) &&
                        memcmp(l->s + l->i + skip, hd->delim, eol - skip) == 0;
            size_t stop = l->i + eol;
            while (l->i < stop && !failed(l)) {
                if (!inert_dollar(l, "inside a here-document", HEREDOC_HINT)) {
                    emit(l, l->s + l->i, 1);
                    l->i++;
                }
            }
            if (l->s[l->i] == '\n') {
                emit(l, "\n", 1);
                l->i++;
            }
            if (last) {
                break;
            }
        }
    }
    for (size_t h = 0; h < l->npending; h++) {
        free(l->pending[h].delim);
    }
    l->npending = 0;
}

static bool word_break(char ch)
{
    return strchr(" \t\n;&|<>()", ch) != NULL;
}

/*
 * End the word being read, keeping count of case ... esac: between `in` and
 * `esac` a ')' ends a pattern, not the $( ) around it.
 */
static void end_word(struct lex *l, struct command *c, int *in_case)
{
    if (!c->open) {
        return;
    }
    word_end(c, l->i);
    const char *w = c->words[c->n - 1].text;
    if (c->n == 1 && strcmp(w, "esac") == 0 && *in_case > 0) {
        (*in_case)--;
    } else if (c->n == 3 && strcmp(c->words[0].text, "case") == 0 && strcmp(w, "in") == 0) {
        (*in_case)++;
    }
}

/* Commands up to close (')' for $( ) and ( ), '\0' for the template). */
static void lex_list(struct lex *l, char close)
{
    struct command c = {0};
    int in_case = 0;
    bool word_start = true; /* the last byte read ended a word: a '#' starts a comment */
    while (!failed(l)) {
        char ch = l->s[l->i];
        if (ch == '\0' || word_break(ch)) {
            end_word(l, &c, &in_case); /* first: an `esac` just read may let this ')' close */
        }
        if (ch == '\0' || (ch == close && in_case == 0)) {
            break;
        }
        if (!c.open && word_start && ch == '#') {
            size_t eol = strcspn(l->s + l->i, "\n"); /* a comment: nothing in it is a reference */
            emit(l, l->s + l->i, eol);
            l->i += eol;
            continue;
        }
        word_start = word_break(ch);
        if (ch == ' ' || ch == '\t') {
            end_word(l, &c, &in_case);
            emit(l, &ch, 1);
            l->i++;
        } else if (ch == '\n' || ch == ';' || ch == '&' || ch == '|') {
            end_word(l, &c, &in_case);
            command_end(l, &c);
            emit(l, &ch, 1);
            l->i++;
            if (ch == '\n') {
                heredoc_bodies(l);
            }
        } else if (ch == '<' || ch == '>') {
            end_word(l, &c, &in_case);
            bool here = ch == '<' && l->s[l->i + 1] == '<' && l->s[l->i + 2] != '<';
            size_t ops = strspn(l->s + l->i, "<>&|");
            emit(l, l->s + l->i, ops);
            l->i += ops;
            if (here) {
                heredoc_start(l);
            } else {
                c.next_redirect = true;
            }
        } else if (ch == '(') {
            end_word(l, &c, &in_case);
            command_end(l, &c);
            size_t open = l->i;
            emit(l, "(", 1);
            l->i++;
            lex_list(l, ')');
            if (!failed(l) && l->s[l->i] != ')') {
                refuse(l, open, xstrdup("unterminated ("));
            } else if (!failed(l)) {
                emit(l, ")", 1);
                l->i++;
            }
        } else if (ch == ')') {
            /* a case pattern's end (or a stray one: the shell will say) */
            end_word(l, &c, &in_case);
            command_end(l, &c);
            emit(l, ")", 1);
            l->i++;
        } else {
            word_begin(&c, l->i);
            if (ch == '\\' && l->s[l->i + 1] != '\0') {
                if (l->s[l->i + 1] != '\n') {
                    strbuf_add(&c.text, l->s + l->i + 1, 1);
                }
                emit(l, l->s + l->i, 2);
                l->i += 2;
            } else if (ch == '\'') {
                size_t from = l->i + 1;
                lex_squote(l);
                if (!failed(l)) {
                    strbuf_add(&c.text, l->s + from, l->i - 1 - from);
                }
            } else if (ch == '"') {
                lex_dquote(l, &c);
            } else if (ch == '`') {
                lex_backtick(l);
            } else if (ch == '$') {
                lex_dollar(l, false, &c);
            } else {
                strbuf_add(&c.text, &ch, 1);
                emit(l, &ch, 1);
                l->i++;
            }
        }
    }
    end_word(l, &c, &in_case);
    command_end(l, &c);
    free(c.words);
    free(c.text.s);
}

/* ---- the interface ---- */

static int line_of(const char *s, size_t at)
{
    int line = 1;
    for (size_t i = 0; i < at && s[i] != '\0'; i++) {
        line += s[i] == '\n';
    }
    return line;
}

bool shtmpl_compile(struct shtmpl *t, const char *tmpl, enum shtmpl_names names, int *line,
                    char **cause)
{
    memset(t, 0, sizeof *t);
    struct lex l = {.s = tmpl, .names = names, .t = t};
    strbuf_add(&l.out, "", 0);
    lex_list(&l, '\0');
    if (!failed(&l) && l.npending > 0) {
        heredoc_bodies(&l); /* a here-document on the last line without a body */
    }
    for (size_t h = 0; h < l.npending; h++) {
        free(l.pending[h].delim);
    }
    if (failed(&l)) {
        if (line != NULL) {
            *line = line_of(tmpl, l.cause_at);
        }
        if (cause != NULL) {
            *cause = l.cause;
        } else {
            free(l.cause);
        }
        free(l.out.s);
        shtmpl_finish(t);
        return false;
    }
    t->command = l.out.s;
    return true;
}

void shtmpl_finish(struct shtmpl *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->nrefs; i++) {
        free(t->refs[i].name);
        free(t->refs[i].env);
    }
    free(t->refs);
    free(t->uses);
    free(t->command);
    memset(t, 0, sizeof *t);
}

char **shtmpl_env(const struct shtmpl *t, shtmpl_value_fn value, void *ud, char **cause)
{
    char **env = xcalloc(t->nrefs + 1, sizeof *env);
    for (size_t i = 0; i < t->nrefs; i++) {
        const char *v = value(t->refs[i].name, ud);
        if (v == NULL) {
            *cause = xasprintf("unset variable %s", t->refs[i].name);
            shtmpl_env_free(env);
            return NULL;
        }
        size_t need = strlen(t->refs[i].env) + 1 + strlen(v) + 1;
        if (need > SHTMPL_ENV_MAX) {
            *cause = xasprintf(
                "variable %s is %zu bytes: the kernel passes at most %d bytes of one "
                "value to a command",
                t->refs[i].name, strlen(v), SHTMPL_ENV_MAX - 2 - (int)strlen(t->refs[i].env));
            shtmpl_env_free(env);
            return NULL;
        }
        env[i] = xasprintf("%s=%s", t->refs[i].env, v);
    }
    return env;
}

void shtmpl_env_free(char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        free(env[i]);
    }
    free(env);
}

bool shtmpl_command(const char *tmpl, enum shtmpl_names names, shtmpl_value_fn value, void *ud,
                    struct shtmpl_command *out, int *line, char **cause)
{
    struct shtmpl t;
    memset(out, 0, sizeof *out);
    if (!shtmpl_compile(&t, tmpl, names, line, cause)) {
        return false;
    }
    out->env = shtmpl_env(&t, value, ud, cause);
    if (out->env != NULL) {
        out->command = t.command;
        t.command = NULL;
    }
    shtmpl_finish(&t);
    return out->env != NULL;
}

void shtmpl_command_finish(struct shtmpl_command *c)
{
    if (c == NULL) {
        return;
    }
    free(c->command);
    shtmpl_env_free(c->env);
    memset(c, 0, sizeof *c);
}

char *shtmpl_quote(const char *s)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "'", 1);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\'') {
            strbuf_add(&sb, "'\\''", 4);
        } else {
            strbuf_add(&sb, p, 1);
        }
    }
    strbuf_add(&sb, "'", 1);
    return sb.s;
}

char *shtmpl_preview(const struct shtmpl *t, const char *tmpl, shtmpl_value_fn value, void *ud)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    size_t at = 0;
    for (size_t u = 0; u < t->nuses; u++) {
        const struct shtmpl_use *use = &t->uses[u];
        strbuf_add(&sb, tmpl + at, use->start - at);
        const char *v = use->escape ? NULL : value(t->refs[use->ref].name, ud);
        if (use->escape) {
            strbuf_add(&sb, tmpl + use->start + 1, use->end - use->start - 1);
        } else if (v == NULL) {
            strbuf_add(&sb, tmpl + use->start, use->end - use->start);
        } else if (use->quoted) {
            strbuf_str(&sb, v);
        } else {
            char *q = shtmpl_quote(v);
            strbuf_str(&sb, q);
            free(q);
        }
        at = use->end;
    }
    strbuf_str(&sb, tmpl + at);
    return sb.s;
}
