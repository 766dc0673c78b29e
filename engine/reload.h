/*
 * What a reload of the configuration changes among the backends (pure: no
 * I/O, no backend objects; the console applies it, tui/reload.c).
 *
 * Contract:
 * - Two backends are the same when their name, type, every entry of their
 *   [backend] section (a [service] section's keys are entries of its
 *   prometheus backend: config.h) and their context's policy (read_only,
 *   protected) are equal. Entries compare as a set of key = value: their
 *   order, their lines, comments and blank lines do not count. A context's
 *   tone and description are not the backend's (the title bar reads them).
 * - Each old backend is KEPT (a new one is the same), CHANGED (a new one has
 *   its name and differs) or REMOVED; each new one is KEPT, CHANGED or ADDED.
 * - Members of a cluster (`cluster = NAME`) go together: when any backend of
 *   cluster NAME, old or new, is not kept, every one of them is CHANGED (a
 *   cluster is made once from its members, backends/cluster.h).
 * - A config of no backend runs the demo: config NULL or without backends
 *   reads as one backend "demo" of type demo and no entries.
 */
#ifndef OPSDECK_RELOAD_H
#define OPSDECK_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct config_backend;

enum reload_fate { RELOAD_KEPT, RELOAD_CHANGED, RELOAD_ADDED, RELOAD_REMOVED };

struct reload_diff {
    /* per old backend: KEPT, CHANGED or REMOVED */
    enum reload_fate *old_fate;
    size_t nold;
    /* per new backend: KEPT, CHANGED or ADDED, and the old one it follows (SIZE_MAX: added) */
    enum reload_fate *new_fate;
    size_t *new_from;
    size_t nnew;
    size_t kept, changed, added, removed;
};

/* The backends of cfg as the console builds them (the implicit demo when none); *n set. */
const struct config_backend *reload_backends(const struct config *cfg, size_t *n);

/* Is backend a of config ca the same as backend b of config cb (see above)? */
bool reload_backend_same(const struct config *ca, const struct config_backend *a,
                         const struct config *cb, const struct config_backend *b);

/* The diff from old to new (either may be NULL: the demo); free with reload_diff_free. */
void reload_diff(const struct config *old, const struct config *new_, struct reload_diff *d);
void reload_diff_free(struct reload_diff *d);

/* The value of key in a backend's section, or NULL. */
const char *reload_entry(const struct config_backend *b, const char *key);

/* "1 added, 1 changed, 1 removed, 3 kept" (every part, 0 too). */
void reload_summary(const struct reload_diff *d, char *buf, size_t len);

#endif
