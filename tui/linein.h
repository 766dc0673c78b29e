/*
 * Lines from a file descriptor (stdin) on the one loop, for the line modes:
 * one read(2) each time the loop says it is readable (so stdin keeps its
 * flags for the shell after us), split into lines kept in a queue until the
 * caller is ready to take them. Works the same on a terminal and a pipe.
 */
#ifndef OPSDECK_LINEIN_H
#define OPSDECK_LINEIN_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct linein;

/* Called on the loop after new lines were queued or end of input was seen. */
typedef void (*linein_cb)(void *ud);

struct linein *linein_create(struct loop *loop, int fd, linein_cb cb, void *ud);
void linein_destroy(struct linein *in);
/* The next queued line without its newline (caller frees), or NULL. */
char *linein_take(struct linein *in);
size_t linein_pending(const struct linein *in);
/* End of input was seen (lines may still be queued). */
bool linein_eof(const struct linein *in);

#endif
