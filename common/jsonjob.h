/*
 * A JSON list parsed on the loop in slices (issue 19): the elements of a
 * large response (common/jsonstream.h) are handed to the caller a few at a
 * time, and between two slices the loop serves the terminal and every other
 * watch, so no key waits for a parse (DESIGN rule 1: one thread, nothing
 * blocks). A slice ends once it has run slice_ms (checked after every
 * element) or has handed over every element.
 *
 * The job owns the text it is given and frees it when it ends. Callbacks run
 * only from the loop, never before json_job_start() returns, not even for an
 * empty or broken text. done runs exactly once unless the job is cancelled
 * first; after done the job is gone. elem may return false (with *cause) to
 * stop the parse: done then runs with that cause.
 */
#ifndef OPSDECK_JSONJOB_H
#define OPSDECK_JSONJOB_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct loop;
struct json_job;

enum { JSON_JOB_SLICE_MS = 4 }; /* the default slice: a quarter of a 60 Hz frame */

/* One element (the job deletes it after the call; detach what you keep). */
typedef bool (*json_job_elem_cb)(void *ud, cJSON *elem, char **cause);
/*
 * The end: ok with rest (json_stream_rest: NULL for a top-level array;
 * borrowed for the call) and the number of elements, or !ok with cause
 * ("invalid JSON at byte 12 of 40", or elem's own cause). On !ok rest is
 * NULL, except for a valid document whose list is missing or of another
 * type: then it is the document (json_stream_rest), so that e.g.
 * Prometheus' {"status":"error",...} can be told from a missing list.
 */
typedef void (*json_job_done_cb)(void *ud, bool ok, const char *cause, const cJSON *rest,
                                 size_t nelems);

/*
 * Parse text (len bytes, owned by the job from now on: freed with free())
 * as the list at member (jsonstream.h). slice_ms 0: JSON_JOB_SLICE_MS.
 */
struct json_job *json_job_start(struct loop *loop, char *text, size_t len, const char *member,
                                unsigned slice_ms, json_job_elem_cb elem, json_job_done_cb done,
                                void *ud);
/* Abandon the job: no callback runs any more, the text is freed. NULL is a no-op. */
void json_job_cancel(struct json_job *job);
/* Slices run so far (for tests and the benchmark). */
unsigned json_job_slices(const struct json_job *job);

#endif
