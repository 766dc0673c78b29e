/*
 * The RabbitMQ backend (management HTTP API): every queue of every vhost (or
 * of one), with its dead-letter queue resolved and its consumers in the
 * detail, and three actions: purge,
 * peek (get with requeue) and move-back (a dynamic shovel from a dead-letter
 * queue to its source).
 *
 * Three files: rabbitmq.c (the backend), rabbitmq_parse.c (the queues),
 * rabbitmq_text.c (peeked messages and failures as text).
 */
#ifndef OPSDECK_RABBITMQ_H
#define OPSDECK_RABBITMQ_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

extern const struct backend_impl rabbitmq_backend;

/*
 * What one poll leaves for the next and for actions: each row's message
 * count (TREND compares against it) and each dead-letter queue's sources.
 */
struct rabbitmq_memory;

struct rabbitmq_memory *rabbitmq_memory_create(void);
void rabbitmq_memory_destroy(struct rabbitmq_memory *m);
/*
 * The source queue names whose dead letters land in the queue with row key
 * dlq, joined by ", "; NULL when none (caller frees). Of the last parse.
 */
char *rabbitmq_memory_sources(const struct rabbitmq_memory *m, const char *dlq);
/* The dead-letter queue name of the queue with row key key, or NULL (borrowed). */
const char *rabbitmq_memory_dlq(const struct rabbitmq_memory *m, const char *key);

/*
 * Parse a GET /api/queues body (a JSON array of queue objects, or a paginated
 * answer: an object whose "items" are the queues) into rows of
 * rs keyed "vhost/name" with the vhost percent-encoded ("%2F/orders").
 * bindings is a GET /api/bindings body used to resolve dead-letter exchanges
 * to queues (NULL: not read; only the default exchange resolves then). mem
 * (may be NULL) gives the previous counts for TREND and receives this
 * parse's. Missing numbers are zero (idle queues have no message_stats);
 * a number of the wrong type, negative or not finite is an error naming the
 * queue; entries that are not objects are skipped. False with *cause.
 */
bool rabbitmq_parse_queues(const char *queues, size_t qlen, const char *bindings, size_t blen,
                           struct rabbitmq_memory *mem, struct rowset *rs, char **cause);

/*
 * What one poll read. bindings and consumers are NULL when not read; then
 * consumers_error (borrowed) says why ("HTTP 403 Forbidden: ..."), and every
 * queue's detail says its consumers are unavailable and why; with both NULL
 * the detail says nothing of consumers.
 */
struct rabbitmq_bodies {
    const char *queues;
    size_t qlen;
    const char *bindings; /* GET /api/bindings[/vhost] */
    size_t blen;
    const char *consumers; /* GET /api/consumers[/vhost] */
    size_t clen;
    const char *consumers_error;
};

/*
 * rabbitmq_parse_queues with the consumers too: each queue's detail lists
 * its consumers (matched by queue.vhost and queue.name) as consumer.1 ..
 * consumer.20, one line each (tag, channel, user, prefetch, ack mode,
 * activity, exclusive; missing fields left out), then "consumers" = "+N more
 * (M in all)". A consumers body that is not a JSON array does not fail the
 * parse: the detail says consumers are unavailable and why.
 */
bool rabbitmq_parse(const struct rabbitmq_bodies *in, struct rabbitmq_memory *mem,
                    struct rowset *rs, char **cause);

/*
 * The same in pieces, for a queues list read an element at a time on the
 * loop (rabbitmq.c, common/jsonjob.h): create reads the bindings and
 * consumers of in (its queues are not read); each element of the queues
 * array goes to rabbitmq_reader_queue (false with *cause as above: a queue
 * without a name, a number of the wrong type; not an object: skipped), and
 * nothing of it is kept but what its row needs; rabbitmq_reader_rows then
 * resolves the dead letters and makes the rows (ended) and the memory.
 */
struct rabbitmq_reader;

struct rabbitmq_reader *rabbitmq_reader_create(const struct rabbitmq_bodies *in);
bool rabbitmq_reader_queue(struct rabbitmq_reader *p, const struct cJSON *q, char **cause);
void rabbitmq_reader_rows(struct rabbitmq_reader *p, struct rabbitmq_memory *mem,
                          struct rowset *rs);
/*
 * The same a slice at a time, so the loop serves keys between two: rows are
 * made until budget_ms has passed (0: no limit); true once every row is made
 * (rs ended, mem replaced), false to be called again.
 */
bool rabbitmq_reader_rows_some(struct rabbitmq_reader *p, struct rabbitmq_memory *mem,
                               struct rowset *rs, unsigned budget_ms);
void rabbitmq_reader_free(struct rabbitmq_reader *p);
/* Where the queues are in a body: NULL (a top-level array), "items" (a paginated answer). */
const char *rabbitmq_queues_member(const char *body, size_t len);
/* A stream's failure (jsonstream.h) worded as rabbitmq_parse words it. Caller frees. */
char *rabbitmq_queues_cause(const char *stream_cause);
/*
 * Whether the last parse saw a queue's messages differ from the parse before
 * (TREND then says grow or drain): the same answer again would read flat, so
 * it is not the same rows.
 */
bool rabbitmq_memory_moved(const struct rabbitmq_memory *m);

/*
 * A POST /api/queues/{vh}/{q}/get answer as text for the viewer: a first
 * line that sums up, then each message (routing key, exchange, properties,
 * headers with x-death, payload cut to a screenful). Control characters are
 * shown as '?'. False with *cause when the body is not an array of messages.
 */
bool rabbitmq_format_peek(const char *body, size_t len, const char *queue, char **text,
                          char **cause);

/* Split a row key "vhost/name" into the unescaped vhost and name; false if malformed. */
bool rabbitmq_split_key(const char *key, char **vhost, char **name);

/* ---- between rabbitmq.c, rabbitmq_parse.c and rabbitmq_text.c ---- */

/*
 * What the parse reads of each list, as the management API's columns=
 * parameter (comma-separated, nested fields with dots: RabbitMQ 3.10 keeps
 * the nesting, message_stats.publish_details.rate answers
 * {"message_stats":{"publish_details":{"rate":..}}}). rabbitmq.c asks for
 * exactly these: a field read here and not listed would read as missing (0).
 */
extern const char RABBITMQ_QUEUE_COLUMNS[];
extern const char RABBITMQ_BINDING_COLUMNS[];
extern const char RABBITMQ_CONSUMER_COLUMNS[];

struct http_response;
struct strbuf;

/* The row key of a queue: "vhost/name", the vhost percent-encoded. Caller frees. */
char *rabbitmq_key(const char *vhost, const char *name);
/*
 * Text from the server for the viewer, appended to sb: newlines kept, \r
 * dropped, tabs as blanks, every other control shown (^[, <U+009B>: text.h).
 */
void rabbitmq_text_add(struct strbuf *sb, const char *s, size_t n);
/* Any JSON value as short text: strings as they are, the rest as JSON (cut). Caller frees. */
char *rabbitmq_json_text(const struct cJSON *v);
/*
 * A failed response on one line: RabbitMQ explains failures as
 * {"error":"not_authorized","reason":"Login failed"}, so the status and the
 * reason; else as http_describe_failure(). Caller frees.
 */
char *rabbitmq_describe_failure(const struct http_response *r);

#endif
