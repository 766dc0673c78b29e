/*
 * Runbook variables and ${name} substitution.
 *
 * Substitution is a single left-to-right pass over the template: a value is
 * copied out and never scanned again, so a label holding "${other}" or "$(..)"
 * stays inert. In VARS_SHELL mode every value becomes one single-quoted word:
 * inside single quotes the shell interprets nothing, and the only character
 * that needs care is the single quote itself ('\'' closes, escapes, reopens).
 * A `${` that does not open a valid name is left as it is, so shell text such
 * as "${HOME:-/}" passes through untouched.
 */
#include "vars.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

static bool name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool vars_valid_name(const char *name)
{
    if (name == NULL || !name_start(name[0])) {
        return false;
    }
    for (const char *p = name + 1; *p != '\0'; p++) {
        if (!name_char(*p)) {
            return false;
        }
    }
    return true;
}

static ptrdiff_t vars_index(const struct vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->names[i], name) == 0) {
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

void vars_set(struct vars *v, const char *name, const char *value)
{
    ptrdiff_t i = vars_index(v, name);
    if (i >= 0) {
        char *copy = xstrdup(value != NULL ? value : "");
        free(v->values[i]);
        v->values[i] = copy;
        return;
    }
    if (v->n == v->cap) {
        v->cap = v->cap == 0 ? 8 : v->cap * 2;
        v->names = xreallocarray(v->names, v->cap, sizeof *v->names);
        v->values = xreallocarray(v->values, v->cap, sizeof *v->values);
    }
    v->names[v->n] = xstrdup(name);
    v->values[v->n] = xstrdup(value != NULL ? value : "");
    v->n++;
}

const char *vars_get(const struct vars *v, const char *name)
{
    ptrdiff_t i = vars_index(v, name);
    return i >= 0 ? v->values[i] : NULL;
}

void vars_unset(struct vars *v, const char *name)
{
    ptrdiff_t i = vars_index(v, name);
    if (i < 0) {
        return;
    }
    free(v->names[i]);
    free(v->values[i]);
    /* Keep the order: journals and reports list variables as they were set. */
    memmove(&v->names[i], &v->names[i + 1], (v->n - (size_t)i - 1) * sizeof *v->names);
    memmove(&v->values[i], &v->values[i + 1], (v->n - (size_t)i - 1) * sizeof *v->values);
    v->n--;
}

void vars_clear(struct vars *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->names[i]);
        free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    memset(v, 0, sizeof *v);
}

char *vars_shell_quote(const char *s)
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

/*
 * If p starts a reference "${name}", return the name's length and set *end
 * past the closing brace; else 0.
 */
static size_t ref_at(const char *p, const char **end)
{
    if (p[0] != '$' || p[1] != '{' || !name_start(p[2])) {
        return 0;
    }
    size_t n = 1;
    while (name_char(p[2 + n])) {
        n++;
    }
    if (p[2 + n] != '}') {
        return 0;
    }
    *end = p + 2 + n + 1;
    return n;
}

char *vars_expand(const struct vars *v, const char *text, enum vars_mode mode, char **missing)
{
    struct strbuf sb = {0};
    const char *p = text;
    strbuf_add(&sb, "", 0);
    while (*p != '\0') {
        const char *end;
        size_t n;
        if (p[0] == '$' && p[1] == '$' && (n = ref_at(p + 1, &end)) > 0) {
            /* $${X}: the literal ${X}, for the shell's own variables. */
            strbuf_add(&sb, p + 1, (size_t)(end - (p + 1)));
            p = end;
        } else if ((n = ref_at(p, &end)) > 0) {
            char *name = xstrndup(p + 2, n);
            const char *val = vars_get(v, name);
            if (val == NULL) {
                if (missing != NULL) {
                    *missing = name;
                } else {
                    free(name);
                }
                free(sb.s);
                return NULL;
            }
            free(name);
            if (mode == VARS_SHELL) {
                char *q = vars_shell_quote(val);
                strbuf_str(&sb, q);
                free(q);
            } else {
                strbuf_str(&sb, val);
            }
            p = end;
        } else {
            strbuf_add(&sb, p, 1);
            p++;
        }
    }
    if (sb.s == NULL) {
        return xstrdup("");
    }
    return sb.s;
}

void vars_each_ref(const char *text, void (*fn)(const char *name, void *ud), void *ud)
{
    const char *p = text;
    while (p != NULL && *p != '\0') {
        const char *end;
        size_t n;
        if (p[0] == '$' && p[1] == '$' && ref_at(p + 1, &end) > 0) {
            p = end;
        } else if ((n = ref_at(p, &end)) > 0) {
            char *name = xstrndup(p + 2, n);
            fn(name, ud);
            free(name);
            p = end;
        } else {
            p++;
        }
    }
}
