/*
 * A line history (the :promql prompt's): the last max lines, oldest first,
 * kept in a file of one line each (mode 0600, replaced whole through a
 * rename). A line equal to the newest is not added again; a line break in a
 * line becomes a space. A missing or unreadable file is an empty history.
 */
#ifndef OPSDECK_HISTORY_H
#define OPSDECK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

struct history {
    char **lines; /* oldest first */
    size_t n;
    size_t max;
};

/* Read path into h (emptied first), keeping its last max lines. */
void history_load(struct history *h, const char *path, size_t max);
/* Add line (the newest); false when it was the newest already, or empty. */
bool history_add(struct history *h, const char *line);
/* Write h to path (its directory made 0700 when missing); false with *cause. */
bool history_save(const struct history *h, const char *path, char **cause);
/* The newest line, or NULL. */
const char *history_newest(const struct history *h);
void history_free(struct history *h);

#endif
