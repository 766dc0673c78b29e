/*
 * The drill document's life besides parsing (drill.h): freeing it, lint of
 * what depends on the environment (a sandbox hook's env var; the rest is
 * found while parsing, drill.c), and looking injects up.
 */
#include "drill.h"
#include "drill_extra.h"

#include "chaosverb.h"

#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void drill_act_finish(struct drill_act *a)
{
    free(a->pane);
    free(a->verb);
    free(a->target);
    free(a->input);
    memset(a, 0, sizeof *a);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

void drill_free(struct drill *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        struct drill_inject *in = &d->injects[i];
        free(in->id);
        free(in->title);
        free(in->text);
        free_strs(in->to, in->nto);
        free(in->channel);
        for (size_t e = 0; e < in->nexpects; e++) {
            drill_expect_finish(&in->expects[e]);
        }
        free(in->expects);
        free(in->contingency);
        for (size_t c = 0; c < in->nchaos; c++) {
            drill_act_finish(&in->chaos[c].action);
            drill_act_finish(&in->chaos[c].rollback);
        }
        free(in->chaos);
        free(in->backend);
        free(in->notify);
        drill_extra_free_inject(in);
    }
    free(d->injects);
    drill_extra_free(d);
    for (size_t i = 0; i < d->nchecks; i++) {
        free(d->checks[i].id);
        free(d->checks[i].title);
        free(d->checks[i].until);
        free(d->checks[i].run);
    }
    free(d->checks);
    drill_stop_when_free(d);
    for (size_t i = 0; i < d->nroles; i++) {
        free(d->roles[i].id);
        free(d->roles[i].name);
    }
    free(d->roles);
    free_strs(d->objectives, d->nobjectives);
    free_strs(d->objective_ids, d->objective_ids != NULL ? d->nobjectives : 0);
    free_strs(d->debrief, d->ndebrief);
    free_strs(d->sections, d->nsections);
    for (size_t i = 0; i < d->nissues; i++) {
        free(d->issues[i].message);
    }
    free(d->issues);
    free(d->path);
    free(d->title);
    free(d->intro);
    free(d->label);
    free(d->abort_word);
    free(d->sandbox_env);
    free(d->players);
    free(d);
}

size_t drill_lint(struct drill *d)
{
    if (d == NULL) {
        return 0;
    }
    /* Once, at the first inject that would send: the fix is one export, not one per inject. */
    size_t first = d->ninjects, n = 0;
    for (size_t i = 0; i < d->ninjects; i++) {
        if (d->injects[i].notify != NULL && drill_extra_needs_fallback(d, &d->injects[i])) {
            first = n++ == 0 ? i : first;
        }
    }
    if (!d->notify_live && n > 0) {
        const struct drill_inject *in = &d->injects[first];
        if (d->sandbox_env == NULL) {
            mdoc_issues_add(
                &d->issues, &d->nissues, in->line,
                xasprintf("inject '%s' notifies but the drill has no sandbox_env (the env "
                          "var holding the sandbox webhook URL)",
                          in->id));
        } else if (getenv(d->sandbox_env) == NULL) {
            /* a warning: the drill is fine, this shell (a CI) lacks the hook */
            mdoc_issues_warn(&d->issues, &d->nissues, in->line,
                             xasprintf("environment variable %s (sandbox_env) is not set; %zu "
                                       "inject%s notif%s",
                                       d->sandbox_env, n, n == 1 ? "" : "s", n == 1 ? "ies" : "y"));
        }
    }
    chaosverb_lint(d);
    size_t nduring = 0, nchaos = 0;
    int line = 0; /* the first chaos action's */
    for (size_t i = 0; i < d->nchecks; i++) {
        /* a stop condition watches too: it aborts when the steady state breaks */
        nduring += d->checks[i].when == DRILL_DURING || d->checks[i].when == DRILL_STOP;
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        line = line == 0 && d->injects[i].nchaos > 0 ? d->injects[i].chaos[0].line : line;
        nchaos += d->injects[i].nchaos;
    }
    if (d->kind == DRILL_LIVE && nchaos > 0 && nduring == 0) {
        mdoc_issues_warn(
            &d->issues, &d->nissues, line,
            xasprintf(
                "a live drill with no during check or stop condition: nothing watches the steady "
                "state while %zu chaos action%s run%s",
                nchaos, nchaos == 1 ? "" : "s", nchaos == 1 ? "s" : ""));
    }
    drill_extra_lint(d);
    mdoc_issues_sort(d->issues, d->nissues);
    return d->nissues;
}

int drill_find_inject(const struct drill *d, const char *id)
{
    if (d == NULL || id == NULL) {
        return -1;
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        if (d->injects[i].id != NULL && strcmp(d->injects[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int drill_ttl_s(const struct drill *d, size_t i)
{
    if (i < d->ninjects && d->injects[i].ttl_s > 0) {
        return d->injects[i].ttl_s;
    }
    return (d->duration_s > 0 ? d->duration_s : 0) + DRILL_TTL_MARGIN_S;
}
