/*
 * A line channel: newline-delimited messages both ways over one non-blocking
 * stream socket, on the loop. No opsdeck concepts (the war room's JSON lines
 * ride on it: engine/share_sock.c).
 *
 * - Reading: each complete line (without its newline) goes to on_line, in
 *   order; a line longer than max_line closes the channel ("line too long").
 * - Writing never blocks: chan_send() queues and the loop writes when the
 *   peer reads. A queue over max_queue bytes is a peer too slow to keep up:
 *   chan_send() refuses (false) and the caller decides (drop the peer).
 * - on_close(ud, why) is called once, on the loop, when the peer hangs up,
 *   an error happens or a line is too long; the caller then destroys the
 *   channel (it may do so inside on_close). on_line returns false to stop
 *   reading (the caller destroys the channel after it returned).
 */
#ifndef OPSDECK_CHAN_H
#define OPSDECK_CHAN_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct chan;

typedef bool (*chan_line_cb)(void *ud, const char *line, size_t len);
typedef void (*chan_close_cb)(void *ud, const char *why);

/* Takes fd (made non-blocking; closed by chan_destroy). */
struct chan *chan_create(struct loop *loop, int fd, size_t max_line, size_t max_queue,
                         chan_line_cb on_line, chan_close_cb on_close, void *ud);
/* Queue line + '\n'; false when the queue would pass max_queue or the channel is closed. */
bool chan_send(struct chan *c, const char *line, size_t len);
/* Bytes queued, not yet written. */
size_t chan_queued(const struct chan *c);
/* Write what is queued now, as far as the socket takes it without blocking (a last "bye"). */
void chan_flush(struct chan *c);
void chan_destroy(struct chan *c); /* NULL is a no-op */

#endif
