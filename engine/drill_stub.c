/*
 * TEMPORARY: the model half of drill.h until wip-drillparse's engine/drill.c
 * is merged into this branch (then this file goes). Only what the game needs
 * to link and free a drill built by hand.
 */
#include "drill.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

static void free_act(struct drill_act *a)
{
    free(a->pane);
    free(a->verb);
    free(a->target);
    free(a->input);
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
            free(in->expects[e].text);
        }
        free(in->expects);
        free(in->contingency);
        for (size_t c = 0; c < in->nchaos; c++) {
            free_act(&in->chaos[c].action);
            free_act(&in->chaos[c].rollback);
        }
        free(in->chaos);
        free(in->backend);
        free(in->notify);
    }
    free(d->injects);
    for (size_t i = 0; i < d->nchecks; i++) {
        free(d->checks[i].id);
        free(d->checks[i].title);
        free(d->checks[i].until);
        free(d->checks[i].run);
    }
    free(d->checks);
    for (size_t i = 0; i < d->nroles; i++) {
        free(d->roles[i].id);
        free(d->roles[i].name);
    }
    free(d->roles);
    free_strs(d->objectives, d->nobjectives);
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
    free(d);
}

int drill_find_inject(const struct drill *d, const char *id)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        if (strcmp(d->injects[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

struct drill *drill_load(const char *path, char **cause)
{
    *cause = xasprintf("%s: the drill parser is not merged yet", path);
    return NULL;
}

bool drill_detect(const char *text, size_t len)
{
    (void)text;
    (void)len;
    return false;
}

size_t drill_lint(struct drill *d)
{
    return d->nissues;
}
