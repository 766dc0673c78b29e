/*
 * Runbook variables and ${name} substitution.
 *
 * Substitution is a single left-to-right pass over the template: a value is
 * copied out and never scanned again, so a label holding "${other}" or "$(..)"
 * stays inert. Shell commands are not built by substitution at all: the
 * template is compiled by common/shtmpl.c and the values go to the child's
 * environment. A `${` that does not open a valid name is left as it is, so
 * shell text such as "${HOME:-/}" passes through untouched.
 */
#include "vars.h"

#include "../common/shtmpl.h"
#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

bool vars_valid_name(const char *name)
{
    size_t end = 0;
    if (name == NULL || name[0] == '\0') {
        return false;
    }
    char *ref = xasprintf("${%s}", name);
    bool ok = shtmpl_ref_len(ref, SHTMPL_VARS, &end) == strlen(name) && ref[end] == '\0';
    free(ref);
    return ok;
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

/*
 * If p starts a reference "${name}", return the name's length and set *end
 * past the closing brace; else 0.
 */
static size_t ref_at(const char *p, const char **end)
{
    size_t e = 0;
    size_t n = shtmpl_ref_len(p, SHTMPL_VARS, &e);
    if (n > 0) {
        *end = p + e;
    }
    return n;
}

static const char *value_of(const char *name, void *ud)
{
    return vars_get(ud, name);
}

/* A command as shown: values where they stand; a template that does not compile, as text. */
static char *shown_command(const struct vars *v, const char *text, char **missing)
{
    struct shtmpl t;
    if (!shtmpl_compile(&t, text, SHTMPL_VARS, NULL, NULL)) {
        return vars_expand(v, text, VARS_TEXT, missing);
    }
    for (size_t i = 0; i < t.nrefs; i++) {
        if (vars_get(v, t.refs[i].name) == NULL) {
            if (missing != NULL) {
                *missing = xstrdup(t.refs[i].name);
            }
            shtmpl_finish(&t);
            return NULL;
        }
    }
    char *out = shtmpl_preview(&t, text, value_of, (void *)v);
    shtmpl_finish(&t);
    return out;
}

bool vars_command(const struct vars *v, const char *tmpl, struct shtmpl_command *out, char **cause)
{
    int line = 0;
    char *why = NULL;
    if (shtmpl_command(tmpl, SHTMPL_VARS, value_of, (void *)v, out, &line, &why)) {
        return true;
    }
    *cause = line > 0 && strchr(tmpl, '\n') != NULL
                 ? xasprintf("line %d of the command: %s", line, why)
                 : xstrdup(why);
    free(why);
    return false;
}

char *vars_expand(const struct vars *v, const char *text, enum vars_mode mode, char **missing)
{
    if (mode == VARS_SHOWN_COMMAND) {
        return shown_command(v, text, missing);
    }
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
            strbuf_str(&sb, val);
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
