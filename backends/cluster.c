/*
 * HA clusters of backends: the merge of the members' rows into one source,
 * the member an action goes to, and the cluster's one-line health
 * (cluster.h says the contract).
 */
#include "cluster.h"

#include "backend.h"
#include "http_poll.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct member {
    struct backend *b;
    struct rowset *sets[MODEL_KINDS]; /* its latest rows of each kind, NULL: none (or failed) */
    uint64_t seq[MODEL_KINDS];        /* when they came, in publishes: higher is fresher */
};

struct cluster {
    char *name;
    struct store *store;
    struct member *m;
    size_t n;
    uint64_t seq;
};

struct cluster *cluster_create(const char *name, struct store *store)
{
    struct cluster *c = xcalloc(1, sizeof *c);
    c->name = xstrdup(name);
    c->store = store;
    return c;
}

bool cluster_add(struct cluster *c, struct backend *b)
{
    if (c->n == CLUSTER_MAX_MEMBERS) {
        return false;
    }
    c->m = xreallocarray(c->m, c->n + 1, sizeof *c->m);
    memset(&c->m[c->n], 0, sizeof c->m[c->n]);
    c->m[c->n++].b = b;
    b->cluster = c;
    if (c->store != NULL) {
        store_alias(c->store, b->name, c->name);
    }
    return true;
}

static struct member *member_of(struct cluster *c, const struct backend *b)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->m[i].b == b) {
            return &c->m[i];
        }
    }
    return NULL;
}

static void member_clear(struct member *m)
{
    for (int k = 0; k < MODEL_KINDS; k++) {
        rowset_destroy(m->sets[k]);
        m->sets[k] = NULL;
    }
}

void cluster_leave(struct cluster *c, struct backend *b)
{
    struct member *m = member_of(c, b);
    if (m == NULL) {
        return;
    }
    member_clear(m);
    size_t i = (size_t)(m - c->m);
    memmove(&c->m[i], &c->m[i + 1], (c->n - i - 1) * sizeof *c->m);
    c->n--;
    b->cluster = NULL;
    if (c->n == 0) {
        free(c->m);
        free(c->name);
        free(c);
    }
}

const char *cluster_name(const struct cluster *c)
{
    return c->name;
}

size_t cluster_size(const struct cluster *c)
{
    return c->n;
}

struct backend *cluster_member(const struct cluster *c, size_t i)
{
    return i < c->n ? c->m[i].b : NULL;
}

/* ---- the merge ---- */

/* key -> the row shown (member, row) and the members that have the key (bits) */
struct slot {
    const char *key; /* NULL: empty */
    uint64_t hash;
    size_t member, row;
    uint32_t have;
};

struct keymap {
    struct slot *slots;
    size_t cap, n;
};

static struct slot *keymap_get(struct keymap *km, const char *key, bool *fresh)
{
    if ((km->n + 1) * 2 > km->cap) {
        struct keymap big = {.cap = km->cap ? km->cap * 2 : 64};
        big.slots = xcalloc(big.cap, sizeof *big.slots);
        for (size_t i = 0; i < km->cap; i++) {
            if (km->slots[i].key != NULL) {
                size_t j = (size_t)(km->slots[i].hash & (big.cap - 1));
                while (big.slots[j].key != NULL) {
                    j = (j + 1) & (big.cap - 1);
                }
                big.slots[j] = km->slots[i];
            }
        }
        big.n = km->n;
        free(km->slots);
        *km = big;
    }
    uint64_t h = fnv1a(FNV1A_OFFSET, key);
    size_t i = (size_t)(h & (km->cap - 1));
    while (km->slots[i].key != NULL) {
        if (km->slots[i].hash == h && strcmp(km->slots[i].key, key) == 0) {
            *fresh = false;
            return &km->slots[i];
        }
        i = (i + 1) & (km->cap - 1);
    }
    km->slots[i] = (struct slot){.key = key, .hash = h};
    km->n++;
    *fresh = true;
    return &km->slots[i];
}

/*
 * The members with rows of kind, freshest first; returns how many. A failed
 * member has none (cluster_drop) until it publishes again.
 */
static size_t merge_order(const struct cluster *c, enum model_kind kind, size_t *order)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->m[i].sets[kind] == NULL) {
            continue;
        }
        size_t j = n++;
        while (j > 0 && c->m[order[j - 1]].seq[kind] < c->m[i].seq[kind]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return n;
}

static void merge_publish(struct cluster *c, enum model_kind kind)
{
    size_t order[CLUSTER_MAX_MEMBERS];
    size_t nlive = merge_order(c, kind, order);
    if (nlive == 0) {
        return; /* nothing live: the last merged rows stay, the health says why */
    }
    /* each key once, in the order the rows come: the freshest member's first */
    struct keymap km = {0};
    for (size_t o = 0; o < nlive; o++) {
        const struct rowset *rs = c->m[order[o]].sets[kind];
        for (size_t r = 0; r < rs->nrows; r++) {
            bool fresh;
            struct slot *s = keymap_get(&km, rowset_key(rs, r), &fresh);
            if (fresh) {
                s->member = order[o];
                s->row = r;
            }
            s->have |= 1u << order[o];
        }
    }
    /* walk the rows again in the same order: each key's winning row once */
    struct rowset *out = rowset_create(kind, c->name);
    rowset_reserve(out, km.n, 64);
    int source_col = model_column_by_title(kind, "SOURCE");
    for (size_t o = 0; o < nlive; o++) {
        const struct rowset *rs = c->m[order[o]].sets[kind];
        for (size_t r = 0; r < rs->nrows; r++) {
            bool fresh;
            struct slot *s = keymap_get(&km, rowset_key(rs, r), &fresh);
            if (s->member != order[o] || s->row != r) {
                continue;
            }
            rowset_copy_row(out, rs, r);
            if (source_col >= 0) {
                rowset_text(out, source_col, c->name);
            }
            struct strbuf sb = {0};
            for (size_t i = 0; i < c->n; i++) {
                if (s->have & (1u << i)) {
                    strbuf_printf(&sb, "%s%s", sb.n ? ", " : "", c->m[i].b->name);
                }
            }
            rowset_detail(out, "members", sb.s != NULL ? sb.s : "");
            free(sb.s);
        }
    }
    free(km.slots);
    backend_stamp(c->m[0].b, out); /* the members share one context (config.c checks) */
    store_publish(c->store, out);
}

void cluster_take(struct cluster *c, struct backend *b, struct rowset *rs)
{
    struct member *m = member_of(c, b);
    if (m == NULL) {
        rowset_destroy(rs);
        return;
    }
    rowset_end(rs);
    rowset_destroy(m->sets[rs->kind]);
    m->sets[rs->kind] = rs;
    m->seq[rs->kind] = ++c->seq;
    merge_publish(c, rs->kind);
}

void cluster_drop(struct cluster *c, struct backend *b)
{
    struct member *m = member_of(c, b);
    if (m == NULL) {
        return;
    }
    bool had[MODEL_KINDS];
    for (int k = 0; k < MODEL_KINDS; k++) {
        had[k] = m->sets[k] != NULL;
    }
    member_clear(m);
    for (int k = 0; k < MODEL_KINDS; k++) {
        if (had[k]) {
            merge_publish(c, (enum model_kind)k);
        }
    }
}

/* ---- actions and health ---- */

static bool healthy(const struct backend *b, uint64_t now)
{
    return b->health == BACKEND_OK && !backend_is_stale(b, now);
}

static bool has_key(const struct member *m, enum model_kind kind, const char *key)
{
    const struct rowset *rs = m->sets[kind];
    for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
        if (strcmp(rowset_key(rs, r), key) == 0) {
            return true;
        }
    }
    return false;
}

struct backend *cluster_pick(const struct cluster *c, enum model_kind kind, const char *key,
                             uint64_t now)
{
    const struct member *best = NULL, *with_key = NULL, *last = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const struct member *m = &c->m[i];
        if (last == NULL || m->b->last_ok_ms > last->b->last_ok_ms) {
            last = m;
        }
        if (!healthy(m->b, now)) {
            continue;
        }
        if (best == NULL || m->b->last_ok_ms > best->b->last_ok_ms) {
            best = m;
        }
        if (key != NULL && has_key(m, kind, key) &&
            (with_key == NULL || m->b->last_ok_ms > with_key->b->last_ok_ms)) {
            with_key = m;
        }
    }
    const struct member *m = with_key != NULL ? with_key : best != NULL ? best : last;
    return m != NULL ? m->b : NULL;
}

static bool down(const struct backend *b, uint64_t now)
{
    return b->health == BACKEND_ERROR || backend_is_stale(b, now);
}

bool cluster_degraded(const struct cluster *c, uint64_t now)
{
    for (size_t i = 0; i < c->n; i++) {
        if (down(c->m[i].b, now)) {
            return true;
        }
    }
    return false;
}

void cluster_health_text(const struct cluster *c, uint64_t now, char *buf, size_t len)
{
    size_t ndown = 0, nstarting = 0;
    uint64_t last_ok = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct backend *b = c->m[i].b;
        ndown += down(b, now);
        nstarting += b->health == BACKEND_STARTING;
        if (b->last_ok_ms > last_ok) {
            last_ok = b->last_ok_ms;
        }
    }
    if (ndown == 0) {
        snprintf(buf, len, "%s", nstarting == c->n ? "starting" : "ok");
        return;
    }
    struct strbuf sb = {0};
    strbuf_printf(&sb, "%s%zu of %zu members down: ", ndown == c->n ? "error: " : "", ndown, c->n);
    size_t said = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct backend *b = c->m[i].b;
        if (!down(b, now)) {
            continue;
        }
        strbuf_printf(&sb, "%s%s: ", said++ ? "; " : "", b->name);
        if (b->health == BACKEND_ERROR) {
            char next[48];
            backend_next_try_text(b, now, next, sizeof next);
            strbuf_str(&sb, b->error != NULL ? b->error : "failed");
            if (next[0] != '\0') {
                strbuf_printf(&sb, ", %s", next);
            }
        } else {
            char age[16];
            duration_format(age, sizeof age, (int64_t)((now - b->last_ok_ms) / 1000));
            strbuf_printf(&sb, "stale %s", age);
        }
    }
    if (ndown == c->n && last_ok != 0) {
        char age[16];
        duration_format(age, sizeof age, (int64_t)((now - last_ok) / 1000));
        strbuf_printf(&sb, " (data %s old)", age);
    }
    snprintf(buf, len, "%s", sb.s);
    free(sb.s);
}

struct backend *cluster_peer(const struct cluster *c, const struct backend *b, uint64_t now)
{
    struct backend *best = NULL;
    for (size_t i = 0; i < c->n; i++) {
        struct backend *m = c->m[i].b;
        if (m != b && m->http != NULL && healthy(m, now) &&
            (best == NULL || m->last_ok_ms > best->last_ok_ms)) {
            best = m;
        }
    }
    return best;
}

void cluster_hedge_text(const struct cluster *c, char *buf, size_t len)
{
    uint64_t reads = 0, sent = 0, won = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct http_poll *p = c->m[i].b->http;
        if (p != NULL) {
            reads += p->reads;
            sent += p->hedges_sent;
            won += p->hedges_won;
        }
    }
    if (sent == 0) {
        snprintf(buf, len, "%s", "");
        return;
    }
    snprintf(buf, len, "hedged %llu of %llu reads (%llu answered by a peer)",
             (unsigned long long)sent, (unsigned long long)reads, (unsigned long long)won);
}
