/*
 * The NATS JetStream backend: streams and their consumers as rows of the
 * Queues pane, from the monitoring endpoint (GET /jsz). Read-only.
 */
#ifndef OPSDECK_NATS_H
#define OPSDECK_NATS_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const struct backend_impl nats_backend;

/*
 * The counters of the previous poll, per row, from which the rates (IN/s,
 * OUT/s, ACK/s) and TREND of the next poll are computed.
 */
struct nats_history;

struct nats_history *nats_history_create(void);
/* NULL is a no-op. */
void nats_history_destroy(struct nats_history *h);

/*
 * Parse a GET /jsz?streams=true&consumers=true&config=true body into
 * MODEL_QUEUES rows of rs: per account, one row per stream (key
 * "account/stream") followed by one row per consumer of it (key
 * "account/stream/consumer"; '/' and '%' in names are written %2F and %25),
 * streams and consumers sorted by name. account, when not NULL, keeps only
 * that account (by name or id) and is an error when the server has no such
 * JetStream account.
 *
 * hist may be NULL; otherwise rates and trends are computed against it
 * (now_ms is a monotonic clock) and, on success only, it becomes this poll.
 * Missing fields are zero; a field of the wrong type, a negative counter or a
 * number out of range is an error naming it; so is "disabled": true.
 */
bool nats_parse_jsz(const char *body, size_t len, const char *account, struct nats_history *hist,
                    uint64_t now_ms, struct rowset *rs, char **cause);

/*
 * A duration in nanoseconds as people read it: "30s", "1m30s", "2d3h",
 * "250ms", "1.5s". ns must be > 0 and finite; huge values read "forever".
 * buf >= 24.
 */
void nats_format_ns(char *buf, size_t len, double ns);

#endif
