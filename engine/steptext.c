/*
 * What every view says of a step (runstep.h): runbook text with variables
 * substituted, where the value of every secret prompt's variable reads
 * [secret]. The real expansion goes only to the child, the backend or the
 * notify request. The run and its views share these, so the preview the
 * operator confirms on one console reads the same on another.
 */
#include "runstep.h"

#include "../common/util.h"

#include <stdlib.h>

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

char *step_text(const struct step_text *t, const char *text)
{
    if (text == NULL) {
        return NULL;
    }
    /* substitution is one pass: a value (even "${x}" or "[secret]") is never scanned again */
    struct vars masked = {0};
    masked_vars(t, &masked);
    vars_each_ref(text, keep_unset, &masked);
    char *missing = NULL;
    char *out = vars_expand(&masked, text, VARS_TEXT, &missing);
    free(missing);
    vars_clear(&masked);
    return out != NULL ? out : xstrdup(text);
}

char *step_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    const struct step_kind *k = step_kind_of(s->type);
    return k->preview != NULL ? k->preview(t, s, missing) : NULL;
}
