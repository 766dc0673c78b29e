#ifndef OPSDECK_STRMAP_H
#define OPSDECK_STRMAP_H

#include <stddef.h>

/*
 * A string -> int map, open addressing, owning its keys: ids and variable
 * names are checked once per step, and a 4 MiB runbook of 100,000 steps must
 * not take minutes to lint.
 */
struct strmap {
    char **keys;
    int *vals;
    size_t cap, n;
};
/* The value of key, NULL when absent; put adds or replaces (the map copies key). */
int *strmap_get(const struct strmap *m, const char *key);
void strmap_put(struct strmap *m, const char *key, int val);
void strmap_free(struct strmap *m); /* empties it; zero-initialised is empty */

#endif
