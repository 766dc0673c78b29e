/* Key tables: names, lookup and help (keymap.h). */
#include "keymap.h"

#include "../common/util.h"
#include "widgets.h"

#include <stdio.h>
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

const struct key_def *key_find(const struct key_def *table, const void *ctx, wint_t ch, bool is_key)
{
    for (const struct key_def *k = table; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            const struct key_def *in = key_find(k->more, ctx, ch, is_key);
            if (in != NULL) {
                return in;
            }
        } else if (k->keys != NULL && key_spec_matches(k->keys, ch, is_key) && applies(k, ctx)) {
            return k;
        }
    }
    return NULL;
}

size_t key_help(const struct key_def *table, const void *ctx, struct viewer *v)
{
    size_t n = 0;
    for (const struct key_def *k = table; k != NULL && !is_end(k); k++) {
        if (k->more != NULL) {
            n += key_help(k->more, ctx, v);
        } else if (k->heading != NULL) {
            viewer_add(v, "%s", k->heading);
        } else if (k->keys != NULL && applies(k, ctx)) {
            viewer_add(v, "  %-12s %s", k->keys, k->help != NULL ? k->help : k->verb);
            n++;
        }
    }
    return n;
}
