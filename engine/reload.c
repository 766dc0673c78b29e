/*
 * The backends' diff of a reload (reload.h).
 */
#include "reload.h"

#include "../common/util.h"
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config_backend implicit_demo = {
    .name = "demo", .type = "demo", .line = 0, .entries = NULL, .nentries = 0};

const struct config_backend *reload_backends(const struct config *cfg, size_t *n)
{
    if (cfg == NULL || cfg->nbackends == 0) {
        *n = 1;
        return &implicit_demo;
    }
    *n = cfg->nbackends;
    return cfg->backends;
}

const char *reload_entry(const struct config_backend *b, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < b->nentries; i++) {
        if (strcmp(b->entries[i].key, key) == 0) {
            v = b->entries[i].value; /* the last one wins, as backend_configure applies them */
        }
    }
    return v;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const struct config_entry *a = *(const struct config_entry *const *)pa;
    const struct config_entry *b = *(const struct config_entry *const *)pb;
    int c = strcmp(a->key, b->key);
    return c != 0 ? c : strcmp(a->value, b->value);
}

static const struct config_entry **sorted(const struct config_backend *b)
{
    const struct config_entry **v = xcalloc(b->nentries > 0 ? b->nentries : 1, sizeof *v);
    for (size_t i = 0; i < b->nentries; i++) {
        v[i] = &b->entries[i];
    }
    qsort(v, b->nentries, sizeof *v, entry_cmp);
    return v;
}

static bool same_policy(const struct config *ca, const struct config_backend *a,
                        const struct config *cb, const struct config_backend *b)
{
    const struct config_context *x = config_context_find(ca, reload_entry(a, "context"));
    const struct config_context *y = config_context_find(cb, reload_entry(b, "context"));
    bool xr = x != NULL && x->read_only, yr = y != NULL && y->read_only;
    bool xp = x != NULL && x->protected_, yp = y != NULL && y->protected_;
    return xr == yr && xp == yp;
}

bool reload_backend_same(const struct config *ca, const struct config_backend *a,
                         const struct config *cb, const struct config_backend *b)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->type, b->type) != 0 ||
        a->nentries != b->nentries || !same_policy(ca, a, cb, b)) {
        return false;
    }
    const struct config_entry **x = sorted(a), **y = sorted(b);
    bool same = true;
    for (size_t i = 0; i < a->nentries && same; i++) {
        same = entry_cmp(&x[i], &y[i]) == 0;
    }
    free(x);
    free(y);
    return same;
}

static size_t find(const struct config_backend *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

static bool in_cluster(const struct config_backend *b, const char *cluster)
{
    const char *c = reload_entry(b, "cluster");
    return c != NULL && strcmp(c, cluster) == 0;
}

/* Every member, old and new, of cluster becomes CHANGED where it was KEPT. */
static void cluster_changes(struct reload_diff *d, const struct config_backend *ov,
                            const struct config_backend *nv, const char *cluster)
{
    for (size_t i = 0; i < d->nold; i++) {
        if (d->old_fate[i] == RELOAD_KEPT && in_cluster(&ov[i], cluster)) {
            d->old_fate[i] = RELOAD_CHANGED;
        }
    }
    for (size_t i = 0; i < d->nnew; i++) {
        if (d->new_fate[i] == RELOAD_KEPT) {
            const struct config_backend *o = &ov[d->new_from[i]];
            if (in_cluster(&nv[i], cluster) || in_cluster(o, cluster)) {
                d->new_fate[i] = RELOAD_CHANGED;
                d->old_fate[d->new_from[i]] = RELOAD_CHANGED;
            }
        }
    }
}

void reload_diff(const struct config *old, const struct config *new_, struct reload_diff *d)
{
    const struct config_backend *ov = reload_backends(old, &d->nold);
    const struct config_backend *nv = reload_backends(new_, &d->nnew);
    d->old_fate = xcalloc(d->nold, sizeof *d->old_fate);
    d->new_fate = xcalloc(d->nnew, sizeof *d->new_fate);
    d->new_from = xcalloc(d->nnew, sizeof *d->new_from);
    for (size_t i = 0; i < d->nold; i++) {
        d->old_fate[i] = RELOAD_REMOVED;
    }
    for (size_t i = 0; i < d->nnew; i++) {
        size_t j = find(ov, d->nold, nv[i].name);
        d->new_from[i] = j;
        if (j == SIZE_MAX) {
            d->new_fate[i] = RELOAD_ADDED;
            continue;
        }
        bool same = reload_backend_same(old, &ov[j], new_, &nv[i]);
        d->new_fate[i] = same ? RELOAD_KEPT : RELOAD_CHANGED;
        d->old_fate[j] = d->new_fate[i];
    }
    /* a cluster with any member not kept is made again: until nothing moves */
    for (bool moved = true; moved;) {
        moved = false;
        for (size_t i = 0; i < d->nold + d->nnew && !moved; i++) {
            const struct config_backend *b = i < d->nold ? &ov[i] : &nv[i - d->nold];
            enum reload_fate f = i < d->nold ? d->old_fate[i] : d->new_fate[i - d->nold];
            const char *c = reload_entry(b, "cluster");
            if (f == RELOAD_KEPT || c == NULL) {
                continue;
            }
            size_t before = 0, after = 0;
            for (size_t k = 0; k < d->nold; k++) {
                before += d->old_fate[k] == RELOAD_KEPT;
            }
            cluster_changes(d, ov, nv, c);
            for (size_t k = 0; k < d->nold; k++) {
                after += d->old_fate[k] == RELOAD_KEPT;
            }
            moved = after != before;
        }
    }
    d->kept = d->changed = d->added = d->removed = 0;
    for (size_t i = 0; i < d->nnew; i++) {
        d->kept += d->new_fate[i] == RELOAD_KEPT;
        d->changed += d->new_fate[i] == RELOAD_CHANGED;
        d->added += d->new_fate[i] == RELOAD_ADDED;
    }
    for (size_t i = 0; i < d->nold; i++) {
        d->removed += d->old_fate[i] == RELOAD_REMOVED;
    }
}

void reload_diff_free(struct reload_diff *d)
{
    free(d->old_fate);
    free(d->new_fate);
    free(d->new_from);
    *d = (struct reload_diff){0};
}

void reload_summary(const struct reload_diff *d, char *buf, size_t len)
{
    snprintf(buf, len, "%zu added, %zu changed, %zu removed, %zu kept", d->added, d->changed,
             d->removed, d->kept);
}
