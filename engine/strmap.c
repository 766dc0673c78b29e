/* A string -> int map (strmap.h): open addressing on FNV-1a, linear probing. */
#include "strmap.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

static size_t strmap_slot(const struct strmap *m, const char *key)
{
    size_t i = (size_t)fnv1a(FNV1A_OFFSET, key) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

int *strmap_get(const struct strmap *m, const char *key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t i = strmap_slot(m, key);
    return m->keys[i] != NULL ? &m->vals[i] : NULL;
}

void strmap_put(struct strmap *m, const char *key, int val)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct strmap big = {0};
        big.cap = m->cap == 0 ? 64 : m->cap * 2;
        big.keys = xcalloc(big.cap, sizeof *big.keys);
        big.vals = xcalloc(big.cap, sizeof *big.vals);
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] != NULL) {
                size_t j = strmap_slot(&big, m->keys[i]);
                big.keys[j] = m->keys[i];
                big.vals[j] = m->vals[i];
            }
        }
        big.n = m->n;
        free(m->keys);
        free(m->vals);
        *m = big;
    }
    size_t i = strmap_slot(m, key);
    if (m->keys[i] == NULL) {
        m->keys[i] = xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->keys[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
