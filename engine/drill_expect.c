/*
 * A drill's expectations (drill.h, docs/drills.md "Injects" and "Scores"):
 * `expect: [@ROLE] [#TAG ...] DEADLINE POINTS TEXT` parsed, the role and tags in front of an
 * expectation
 * (`expect: @ic #declare 3m 10 SEV1 declared`), objective ids (`objective:
 * ID = text`), and their lint: the role is declared, a tag is an objective
 * id or a milestone (detect, declare, mitigate), `on_miss:` names a
 * contingency inject; the debrief prompts (the Debrief questions, then the
 * Report headings' items: "What went well", ...). Parsing only; the rules of
 * the score are drill_score.c.
 */
#include "drill.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *const drill_milestones[] = {"detect", "declare", "mitigate", NULL};

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* The length of a word at s (0: none) followed by a blank or the end. */
static size_t word_at(const char *s)
{
    size_t n = 0;
    while (word_char(s[n])) {
        n++;
    }
    return s[n] == '\0' || s[n] == ' ' || s[n] == '\t' ? n : 0;
}

const char *drill_expect_prefix(struct drill_expect *e, const char *v, char **cause)
{
    while (*v == '@' || *v == '#') {
        size_t n = word_at(v + 1);
        if (n == 0) {
            *cause = xasprintf("'%c' needs a word right after it (@ROLE, #TAG)", *v);
            return NULL;
        }
        char *w = xstrndup(v + 1, n);
        if (*v == '@') {
            if (e->role != NULL) {
                *cause = xasprintf("two roles (@%s, @%s): an expectation has one", e->role, w);
                free(w);
                return NULL;
            }
            e->role = w;
        } else {
            e->tags = xreallocarray(e->tags, e->ntags + 1, sizeof *e->tags);
            e->tags[e->ntags++] = w;
        }
        v += n + 1;
        while (*v == ' ' || *v == '\t') {
            v++;
        }
    }
    return v;
}

void drill_expect_parse(struct drill *d, struct drill_inject *in, const struct mdoc_kv *kv)
{
    char dl[64];
    long points;
    int consumed = 0;
    char *end, *why = NULL;
    struct drill_expect pre = {0};
    char *val = xstrdup(kv->value);
    const char *after = drill_expect_prefix(&pre, val, &why);
    if (after == NULL) {
        mdoc_issues_add(&d->issues, &d->nissues, kv->line,
                        xasprintf("expect: %s, got '%s'", why, kv->value));
        free(why);
        drill_expect_finish(&pre);
        free(val);
        return;
    }
    char *value = val + (after - val);
    mdoc_strip_comment(value); /* a comment is a '#' after the #TAGs */
    size_t n = strcspn(value, " \t");
    const char *rest = value + n;
    int64_t secs = 0;
    bool ok = n > 0 && n < sizeof dl;
    if (ok) {
        memcpy(dl, value, n);
        dl[n] = '\0';
        ok = duration_parse(dl, &secs) && secs > 0 && secs <= INT_MAX / 1000;
    }
    while (*rest == ' ' || *rest == '\t') {
        rest++;
    }
    errno = 0;
    points = ok ? strtol(rest, &end, 10) : -1;
    ok = ok && isdigit((unsigned char)rest[0]) && errno == 0 && points >= 0 && points <= 1000000 &&
         (*end == ' ' || *end == '\t');
    if (ok) {
        consumed = (int)(end - rest);
        rest += consumed;
        while (*rest == ' ' || *rest == '\t') {
            rest++;
        }
        ok = *rest != '\0';
    }
    if (!ok) {
        mdoc_issues_add(
            &d->issues, &d->nissues, kv->line,
            xasprintf("expect needs DEADLINE POINTS TEXT (e.g. 5m 10 Incident declared), "
                      "got '%s'",
                      kv->value));
        drill_expect_finish(&pre);
        free(val);
        return;
    }
    in->expects = xreallocarray(in->expects, in->nexpects + 1, sizeof *in->expects);
    struct drill_expect *e = &in->expects[in->nexpects++];
    *e = pre;
    e->text = xstrdup(rest);
    free(val);
    e->deadline_s = (int)secs;
    e->points = (int)points;
    e->line = kv->line;
}

void drill_expect_finish(struct drill_expect *e)
{
    free(e->text);
    free(e->role);
    for (size_t t = 0; t < e->ntags; t++) {
        free(e->tags[t]);
    }
    free(e->tags);
    free(e->on_miss);
}

void drill_objective_add(struct drill *d, const char *v)
{
    const char *eq = strchr(v, '=');
    char *id = NULL;
    const char *text = v;
    if (eq != NULL) {
        char *left = xstrndup(v, (size_t)(eq - v));
        str_trim(left);
        const char *right = eq + 1;
        while (*right == ' ' || *right == '\t') {
            right++;
        }
        if (word_at(left) == strlen(left) && left[0] != '\0' && *right != '\0') {
            id = left;
            text = right;
        } else {
            free(left);
        }
    }
    d->objectives = xreallocarray(d->objectives, d->nobjectives + 1, sizeof *d->objectives);
    d->objective_ids =
        xreallocarray(d->objective_ids, d->nobjectives + 1, sizeof *d->objective_ids);
    d->objectives[d->nobjectives] = xstrdup(text);
    d->objective_ids[d->nobjectives] = id;
    d->nobjectives++;
}

int drill_objective_find(const struct drill *d, const char *id)
{
    for (size_t i = 0; i < d->nobjectives && id != NULL; i++) {
        if (d->objective_ids != NULL && d->objective_ids[i] != NULL &&
            strcmp(d->objective_ids[i], id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool is_role(const struct drill *d, const char *id)
{
    for (size_t r = 0; r < d->nroles; r++) {
        if (strcmp(d->roles[r].id, id) == 0) {
            return true;
        }
    }
    return false;
}

/* on_miss names a contingency inject (not itself). */
static void lint_on_miss(struct drill *d, size_t i, const char *target, int line)
{
    int c = drill_find_inject(d, target);
    if (c < 0) {
        mdoc_issues_add(&d->issues, &d->nissues, line,
                        xasprintf("on_miss '%s' is not an inject", target));
    } else if (d->injects[c].at_s >= 0) {
        mdoc_issues_add(
            &d->issues, &d->nissues, line,
            xasprintf("on_miss '%s' is not a contingency inject (at: contingency)", target));
    } else if ((size_t)c == i) {
        mdoc_issues_add(&d->issues, &d->nissues, line,
                        xasprintf("inject '%s' is its own on_miss", target));
    }
}

void drill_expect_lint(struct drill *d)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        const struct drill_inject *in = &d->injects[i];
        for (size_t e = 0; e < in->nexpects; e++) {
            const struct drill_expect *x = &in->expects[e];
            if (x->role != NULL && !is_role(d, x->role)) {
                mdoc_issues_add(&d->issues, &d->nissues, x->line,
                                xasprintf("role '@%s' of the expectation is not declared (role: "
                                          "%s = ...)",
                                          x->role, x->role));
            }
            for (size_t t = 0; t < x->ntags; t++) {
                if (!str_in(x->tags[t], drill_milestones) &&
                    drill_objective_find(d, x->tags[t]) < 0) {
                    mdoc_issues_add(&d->issues, &d->nissues, x->line,
                                    xasprintf("tag '#%s' is neither an objective id (objective: "
                                              "%s = ...) nor detect, declare or mitigate",
                                              x->tags[t], x->tags[t]));
                }
            }
            if (x->on_miss != NULL) {
                lint_on_miss(d, i, x->on_miss, x->line);
            }
        }
    }
}

size_t drill_prompt_count(const struct drill *d)
{
    return d->ndebrief + d->nsections;
}

const char *drill_prompt(const struct drill *d, size_t i)
{
    return i < d->ndebrief ? d->debrief[i] : d->sections[i - d->ndebrief];
}
