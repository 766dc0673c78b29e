/*
 * Headings and phases of wiki runbooks (phase.h). Words are ASCII letters;
 * a word matches a stem when the rest is an English ending (see ending_ok),
 * so "Draining" is "drain" and "checkout" is not "check".
 */
#include "phase.h"

#include "../common/util.h"
#include "runbook.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- decoration ---- */

/* Bytes of the UTF-8 sequence at s that is an emoji or a symbol used as one; 0 otherwise. */
static size_t symbol_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long cp;
    size_t n;
    if (u[0] < 0x80) {
        return 0;
    }
    if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
        cp = ((unsigned long)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
        n = 2;
    } else if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
        cp = ((unsigned long)(u[0] & 0x0f) << 12) | ((unsigned long)(u[1] & 0x3f) << 6) |
             (u[2] & 0x3f);
        n = 3;
    } else if ((u[0] & 0xf8) == 0xf0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
               (u[3] & 0xc0) == 0x80) {
        cp = ((unsigned long)(u[0] & 0x07) << 18) | ((unsigned long)(u[1] & 0x3f) << 12) |
             ((unsigned long)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
        n = 4;
    } else {
        return 0;
    }
    bool symbol = (cp >= 0x2190 && cp <= 0x2bff) ||   /* arrows, technical, dingbats, shapes */
                  (cp >= 0x1f000 && cp <= 0x1faff) || /* emoji */
                  cp == 0x200d || cp == 0xfe0f ||     /* joiner, emoji presentation */
                  cp == 0x2022 || cp == 0x00a7 ||     /* bullet, section sign */
                  (cp >= 0x2460 && cp <= 0x24ff) ||   /* circled numbers */
                  (cp >= 0x2013 && cp <= 0x2014);     /* dashes */
    return symbol ? n : 0;
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* Past "1.", "2)", "(3)", "1.2", "#4", "4 -" at s, or s when there is none. */
static const char *skip_number(const char *s)
{
    const char *p = s;
    bool paren = *p == '(', hash = *p == '#';
    p += paren || hash;
    if (!isdigit((unsigned char)*p)) {
        return s;
    }
    int parts = 0;
    for (;;) {
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
        if (digits > 2) {
            return s; /* "404 on checkout" is not numbering */
        }
        parts++;
        if (*p != '.' || !isdigit((unsigned char)p[1])) {
            break;
        }
        p++;
    }
    if (parts > 3) {
        return s; /* an address, not numbering */
    }
    if (paren) {
        if (*p != ')') {
            return s;
        }
        p++;
    } else if (*p == '.' || *p == ')' || *p == ':') {
        p++;
    } else if (str_has_prefix(p, " -") || str_has_prefix(p, " :")) {
        p += 2;
    } else if (!(*p == ' ' && (hash || parts > 1))) {
        return s; /* "2 servers down": a count, not a number */
    }
    if (*p != '\0' && *p != ' ' && *p != '\t') {
        return s;
    }
    return p;
}

/* Past "Step 3:", "Phase 2 -", "Phase:" at s (the word, a number, a separator). */
static const char *skip_label(const char *s)
{
    static const char *const labels[] = {"step", "phase", "stage", NULL};
    for (const char *const *l = labels; *l != NULL; l++) {
        size_t n = strlen(*l);
        if (strncasecmp(s, *l, n) != 0 || isalpha((unsigned char)s[n])) {
            continue;
        }
        const char *p = skip_blank(s + n);
        if (*p == ':' || *p == '-') {
            return skip_blank(p + 1);
        }
        const char *q = skip_number(p);
        if (q != p) {
            q = skip_blank(q);
            if (*q == ':' || *q == '-') {
                q = skip_blank(q + 1);
            }
            return q;
        }
        if (isdigit((unsigned char)*p)) {
            while (isdigit((unsigned char)*p)) {
                p++;
            }
            return skip_blank(p);
        }
    }
    return s;
}

char *phase_title(const char *heading)
{
    const char *s = heading;
    for (;;) {
        const char *was = s;
        s = skip_blank(s);
        while (*s != '\0' && strchr("*_~`#|:-", *s) != NULL && !isdigit((unsigned char)s[1])) {
            s++;
        }
        s += symbol_len(s);
        s = skip_blank(s);
        s = skip_number(s);
        s = skip_label(s);
        if (s == was) {
            break;
        }
    }
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t:*_~`", s[n - 1]) != NULL) {
        n--;
    }
    if (n == 0) {
        return xstrdup(heading);
    }
    return xstrndup(s, n);
}

/* ---- words ---- */

/* Does the rest of a word after a stem make an English form of it? */
static bool ending_ok(const char *rest, size_t n)
{
    static const char *const endings[] = {"",    "e",   "s",     "es",   "ed",   "d",
                                          "ing", "ion", "ions",  "ment", "ence", "ance",
                                          "y",   "ies", "ation", "is",   NULL};
    for (const char *const *e = endings; *e != NULL; e++) {
        if (strlen(*e) == n && strncasecmp(rest, *e, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Length of the word (ASCII letters and '-' inside) at s. */
static size_t word_len(const char *s)
{
    size_t n = 0;
    while (isalpha((unsigned char)s[n]) ||
           (s[n] == '-' && n > 0 && isalpha((unsigned char)s[n + 1]))) {
        n++;
    }
    return n;
}

/*
 * A phrase: one or two stems ("roll back"). The first stem takes English
 * endings, the second must be whole. Returns the bytes of s it covers, 0
 * when it does not match.
 */
static size_t phrase_match(const char *s, const char *phrase)
{
    const char *sp = strchr(phrase, ' ');
    size_t stem = sp != NULL ? (size_t)(sp - phrase) : strlen(phrase);
    size_t w = word_len(s);
    if (w < stem || strncasecmp(s, phrase, stem) != 0 || !ending_ok(s + stem, w - stem)) {
        return 0;
    }
    if (sp == NULL) {
        return w;
    }
    const char *next = skip_blank(s + w);
    size_t rest = strlen(sp + 1);
    if (next == s + w || strncasecmp(next, sp + 1, rest) != 0 ||
        isalpha((unsigned char)next[rest])) {
        return 0;
    }
    return (size_t)(next + rest - s);
}

struct phrase {
    const char *text;
    int phase;
};

/* Phase names and synonyms, as a heading's first word. */
static const struct phrase names[] = {
    {"stay calm", RB_PHASE_S},  {"triag", RB_PHASE_S},      {"acknowledg", RB_PHASE_S},
    {"assess", RB_PHASE_A},     {"investigat", RB_PHASE_A}, {"diagnos", RB_PHASE_A},
    {"focus", RB_PHASE_F},      {"mitigat", RB_PHASE_F},    {"remediat", RB_PHASE_F},
    {"fix", RB_PHASE_F},        {"recover", RB_PHASE_F},    {"escalat", RB_PHASE_E},
    {"communicat", RB_PHASE_E}, {"pag", RB_PHASE_E},        {NULL, -1},
};

/* Verbs of a step, in a title or at the start of a sentence. */
static const struct phrase verbs[] = {
    {"acknowledg", RB_PHASE_S},
    {"ack", RB_PHASE_S},
    {"announc", RB_PHASE_S},
    {"look", RB_PHASE_A},
    {"check", RB_PHASE_A},
    {"confirm", RB_PHASE_A},
    {"investigat", RB_PHASE_A},
    {"verify", RB_PHASE_A},
    {"verifi", RB_PHASE_A},
    {"inspect", RB_PHASE_A},
    {"diagnos", RB_PHASE_A},
    {"drain", RB_PHASE_F},
    {"roll back", RB_PHASE_F},
    {"rollback", RB_PHASE_F},
    {"restart", RB_PHASE_F},
    {"scal", RB_PHASE_F},
    {"fail over", RB_PHASE_F},
    {"failover", RB_PHASE_F},
    {"disabl", RB_PHASE_F},
    {"purg", RB_PHASE_F},
    {"revert", RB_PHASE_F},
    {"reboot", RB_PHASE_F},
    {"mitigat", RB_PHASE_F},
    {"pag", RB_PHASE_E},
    {"escalat", RB_PHASE_E},
    {"call", RB_PHASE_E},
    {"notify leadership", RB_PHASE_E},
    {NULL, -1},
};

/* The phrase of table that s starts with: its phase, *len its bytes; -1 when none. */
static int match_at(const char *s, const struct phrase *table, size_t *len)
{
    for (const struct phrase *p = table; p->text != NULL; p++) {
        size_t n = phrase_match(s, p->text);
        if (n > 0) {
            *len = n;
            return p->phase;
        }
    }
    return -1;
}

int phase_named(const char *heading)
{
    char *t = phase_title(heading);
    const char *s = skip_blank(t);
    int phase = -1;
    const char *letters = "SAFE";
    for (int p = 0; p < RB_PHASES && phase < 0; p++) {
        if (toupper((unsigned char)s[0]) == letters[p] &&
            (s[1] == ':' || s[1] == '.' || str_has_prefix(s + 1, " -") ||
             str_has_prefix(s + 1, " :"))) {
            phase = p;
        }
    }
    size_t len;
    if (phase < 0) {
        phase = match_at(s, names, &len);
    }
    free(t);
    return phase;
}

/* Words after which a title names its next action: "Resolve or escalate", "How to drain". */
static bool joins(const char *w, size_t n)
{
    static const char *const words[] = {"and", "or", "then", "to", NULL};
    for (const char *const *j = words; *j != NULL; j++) {
        if (strlen(*j) == n && strncasecmp(w, *j, n) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * The first verb where an action starts: in a title, its start and after
 * ',', ':', ';', '-' or a joining word; in a body (lines), its start and the
 * start of each list item. A word elsewhere ("Overview of the rollback",
 * "Customers see errors. Drain nothing yet") says nothing.
 */
static int first_verb(const char *s, bool lines, size_t max_words, const char **at, size_t *len)
{
    bool start = true, line_start = true;
    size_t words = 0;
    while (*s != '\0' && words < max_words) {
        size_t w = word_len(s);
        if (w == 0) {
            if (*s == '\n') {
                line_start = true;
                start = false;
            } else if (line_start && (*s == '-' || *s == '*' || *s == '+')) {
                start = lines; /* a list item */
            } else if (line_start && isdigit((unsigned char)*s)) {
                const char *q = s;
                while (isdigit((unsigned char)*q)) {
                    q++;
                }
                start = lines && (*q == '.' || *q == ')');
                s = start ? q + 1 : q;
                continue;
            } else if (!lines && strchr(",:;-", *s) != NULL) {
                start = true;
            } else if (*s != ' ' && *s != '\t' && *s != '>' && *s != '[' && *s != ']' &&
                       *s != '*' && *s != '_') {
                start = false;
                line_start = false;
            }
            s++;
            continue;
        }
        words++;
        line_start = false;
        if (start) {
            int ph = match_at(s, verbs, len);
            if (ph >= 0) {
                *at = s;
                return ph;
            }
        }
        start = !lines && joins(s, w);
        s += w;
    }
    return -1;
}

int phase_infer(const char *title, const char *body, char **word)
{
    const char *at = NULL;
    size_t len = 0;
    char *t = phase_title(title != NULL ? title : "");
    int ph = first_verb(t, false, 12, &at, &len);
    if (ph >= 0 && word != NULL) {
        *word = xstrndup(at, len);
    }
    free(t);
    if (ph < 0 && body != NULL) {
        ph = first_verb(body, true, 60, &at, &len);
        if (ph >= 0 && word != NULL) {
            *word = xstrndup(at, len);
        }
    }
    if (ph < 0 && word != NULL) {
        *word = NULL;
    }
    return ph;
}

bool phase_is_overview(const char *heading)
{
    static const char *const words[] = {"tl;dr",
                                        "tldr",
                                        "overview",
                                        "summary",
                                        "introduction",
                                        "intro",
                                        "about",
                                        "background",
                                        "context",
                                        "purpose",
                                        "scope",
                                        "contents",
                                        "meaning",
                                        "description",
                                        "impact",
                                        "symptoms",
                                        "table of contents",
                                        NULL};
    static const char *const tails[] = {" of ", " for ", " this ", " (", NULL};
    char *t = phase_title(heading);
    bool yes = false;
    for (const char *const *w = words; *w != NULL && !yes; w++) {
        size_t n = strlen(*w);
        if (strncasecmp(t, *w, n) != 0) {
            continue;
        }
        yes = t[n] == '\0';
        for (const char *const *tail = tails; *tail != NULL && !yes; tail++) {
            yes = strncasecmp(t + n, *tail, strlen(*tail)) == 0;
        }
    }
    free(t);
    return yes;
}
