/*
 * What every view says of a step (runstep.h): runbook text with variables
 * substituted, where the value of every secret prompt's variable reads
 * [secret]. The real expansion goes only to the child, the backend or the
 * notify request. The run and its views share these, so the preview the
 * operator confirms on one console reads the same on another.
 */
#include "runstep.h"

#include "../common/util.h"
#include "placeholder.h"

#include <stdlib.h>
#include <string.h>

/* t->vars with every secret answer masked. */
static void masked_vars(const struct step_text *t, struct vars *masked)
{
    for (size_t i = 0; i < t->vars->n; i++) {
        vars_set(masked, t->vars->names[i], t->vars->values[i]);
    }
    for (size_t i = 0; i < t->rb->nsteps; i++) {
        const struct rb_step *s = &t->rb->steps[i];
        if (s->type == RB_PROMPT && s->secret && s->var != NULL &&
            vars_get(masked, s->var) != NULL) {
            vars_set(masked, s->var, "[secret]");
        }
    }
}

char *step_shown(const struct step_text *t, const char *text, enum vars_mode mode)
{
    struct vars masked = {0};
    masked_vars(t, &masked);
    char *missing = NULL;
    char *out = vars_expand(&masked, text != NULL ? text : "", mode, &missing);
    free(missing);
    vars_clear(&masked);
    return out != NULL ? out : xstrdup(text != NULL ? text : "");
}

char *step_shown_or_missing(const struct step_text *t, const char *text, enum vars_mode mode,
                            char **missing)
{
    char *m = NULL;
    char *out = vars_expand(t->vars, text != NULL ? text : "", mode, &m);
    if (out == NULL) {
        /* show it anyway, unexpanded, and say what is missing */
        if (missing != NULL && *missing == NULL) {
            *missing = m;
        } else {
            free(m);
        }
        return xstrdup(text != NULL ? text : "");
    }
    free(out);
    return step_shown(t, text, mode);
}

/* An unset variable stays visible as itself: its value is the text ${name}. */
static void keep_unset(const char *name, void *ud)
{
    struct vars *masked = ud;
    if (vars_get(masked, name) == NULL) {
        char *self = xasprintf("${%s}", name);
        vars_set(masked, name, self);
        free(self);
    }
}

static void expand_part(struct strbuf *sb, const struct vars *masked, const char *text, size_t n)
{
    char *part = xstrndup(text, n);
    char *missing = NULL;
    char *out = vars_expand(masked, part, VARS_TEXT, &missing);
    strbuf_str(sb, out != NULL ? out : part);
    free(missing);
    free(out);
    free(part);
}

char *step_text(const struct step_text *t, const char *text)
{
    if (text == NULL) {
        return NULL;
    }
    /* substitution is one pass: a value (even "${x}" or "[secret]") is never scanned again */
    struct vars masked = {0};
    masked_vars(t, &masked);
    vars_each_ref(text, keep_unset, &masked);
    /* a wiki page's placeholder (<your name>) shows its value once it has one */
    struct ph_list l = {0};
    placeholder_find_text(text, &l);
    struct strbuf sb = {0};
    size_t at = 0;
    strbuf_str(&sb, "");
    for (size_t i = 0; i < l.n; i++) {
        const char *v = vars_get(&masked, l.v[i].var);
        expand_part(&sb, &masked, text + at, l.v[i].start - at);
        strbuf_str(&sb, v != NULL ? v : l.v[i].raw);
        at = l.v[i].end;
    }
    expand_part(&sb, &masked, text + at, strlen(text + at));
    placeholder_list_free(&l);
    vars_clear(&masked);
    return sb.s;
}

char *step_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    const struct step_kind *k = step_kind_of(s->type);
    return k->preview != NULL ? k->preview(t, s, missing) : NULL;
}
