/*
 * A JSON list read one element at a time (issue 19: alert storms), so that
 * memory follows the rows a backend keeps, not the document's tree: each
 * element is parsed with cJSON on its own bytes and handed to the caller,
 * who frees it at once.
 *
 * The list is the array at a path of object members: NULL or "" for a
 * top-level array (Alertmanager's /api/v2/alerts), "items" for a Kubernetes
 * list, "data.alerts" for Prometheus' /api/v1/alerts. The members around the
 * array are kept as the "rest" document (the array itself left empty), e.g.
 * a Kubernetes list's metadata.continue.
 *
 * The whole text is checked as json_parse() checks it (json.h): a NUL ends
 * it; leading/trailing whitespace is allowed, trailing data is an error;
 * errors say where ("invalid JSON at byte 12 of 40", "empty response",
 * "expected a JSON array at data.alerts", "expected an object at data"). An
 * element that is valid JSON of any type is handed over; the caller decides
 * what a wrong type means. Each call does work in proportion to the element
 * it returns (plus the members it passes on the way), never to the whole
 * text: this is what lets common/jsonjob.h cut a parse into slices.
 *
 *   struct json_stream s;
 *   json_stream_init(&s, body, len, "items");
 *   cJSON *e;
 *   int rc;
 *   while ((rc = json_stream_next(&s, &e, &cause)) > 0) { use(e); cJSON_Delete(e); }
 *   if (rc == 0) rest = json_stream_rest(&s);   -- else *cause says why
 *   json_stream_finish(&s);
 */
#ifndef OPSDECK_JSONSTREAM_H
#define OPSDECK_JSONSTREAM_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct json_stream {
    /* private: common/jsonstream.c */
    const char *buf;
    size_t len;    /* up to the first NUL */
    size_t pos;    /* the next byte to read */
    char *path;    /* the member path, split in place ("data\0alerts") */
    int depth;     /* path segments entered so far */
    int npath;     /* path segments */
    int state;     /* where in the grammar the next call resumes */
    size_t nelems; /* elements handed over */
    cJSON *rest;   /* the document around the array (NULL for a top-level array) */
    cJSON **open;  /* the objects entered, outermost first (npath of them) */
};

/* Start reading buf (len bytes, borrowed until finish) for the array at member (see above). */
void json_stream_init(struct json_stream *s, const char *buf, size_t len, const char *member);
/*
 * 1: *elem is the next element (the caller deletes it); 0: the end, the
 * whole text was valid; -1: *cause (caller frees) says what is wrong and
 * where. After 0 or -1 every further call returns the same without work.
 */
int json_stream_next(struct json_stream *s, cJSON **elem, char **cause);
/*
 * After 0: the document without the array's elements; NULL for a top-level
 * array. Owned by s. Also after -1 when the text was valid JSON but the list
 * is missing or of another type ("expected a JSON array at data.alerts"): the
 * whole document (e.g. Prometheus' {"status":"error",...}); else NULL.
 */
const cJSON *json_stream_rest(const struct json_stream *s);
/* Elements handed over so far, and bytes read so far (for progress and tests). */
size_t json_stream_count(const struct json_stream *s);
size_t json_stream_pos(const struct json_stream *s);
void json_stream_finish(struct json_stream *s);

#endif
