/*
 * What common/jsonstream.h must give for a text, computed the old way: the
 * whole document parsed by json_parse() (json.h), the list found by walking
 * the member path through the tree. The unit test and the fuzzer compare the
 * stream with it: the same elements, the same rest, the same error message.
 */
#ifndef OPSDECK_JSONSTREAM_REF_H
#define OPSDECK_JSONSTREAM_REF_H

#include "../../common/json.h"
#include "../../common/jsonstream.h"
#include "../../common/util.h"

#include <stdlib.h>
#include <string.h>

/* One reading of a text: rc as json_stream_next's last, elements and rest printed, or the cause. */
struct jsref_result {
    int rc;
    size_t nelems;
    struct strbuf elems; /* each element unformatted, then '\n' */
    char *rest;          /* the rest unformatted, or NULL */
    char *cause;
};

static inline void jsref_free(struct jsref_result *r)
{
    free(r->elems.s);
    free(r->rest);
    free(r->cause);
    memset(r, 0, sizeof *r);
}

static inline void jsref_add(struct jsref_result *r, const cJSON *e)
{
    char *p = cJSON_PrintUnformatted(e);
    strbuf_str(&r->elems, p != NULL ? p : "(unprintable)");
    strbuf_add(&r->elems, "\n", 1);
    free(p);
    r->nelems++;
}

/* The old way: the tree, then the path. */
static inline struct jsref_result jsref_tree(const char *text, size_t len, const char *member)
{
    struct jsref_result r = {0};
    cJSON *doc = NULL;
    if (!json_parse(text, len, &doc, &r.cause)) {
        r.rc = -1;
        return r;
    }
    char *path = xstrdup(member != NULL ? member : "");
    struct strbuf where = {0};
    cJSON *at = doc;
    bool top = path[0] == '\0';
    if (!top && !cJSON_IsObject(at)) {
        r.cause = xstrdup("expected a JSON object");
    }
    char *seg = path;
    while (!top && r.cause == NULL) {
        char *dot = strchr(seg, '.');
        if (dot != NULL) {
            *dot = '\0';
        }
        if (where.n > 0) {
            strbuf_add(&where, ".", 1);
        }
        strbuf_str(&where, seg);
        at = cJSON_GetObjectItemCaseSensitive(at, seg);
        if (dot == NULL) {
            if (!cJSON_IsArray(at)) {
                r.cause = xasprintf("expected a JSON array at %s", where.s);
            }
            break;
        }
        if (!cJSON_IsObject(at)) {
            r.cause = xasprintf("expected an object at %s", where.s);
        }
        seg = dot + 1;
    }
    if (top && !cJSON_IsArray(at)) {
        r.cause = xstrdup("expected a JSON array");
    }
    if (r.cause == NULL) {
        for (const cJSON *e = at->child; e != NULL; e = e->next) {
            jsref_add(&r, e);
        }
        if (!top) {
            while (at->child != NULL) {
                cJSON_Delete(cJSON_DetachItemViaPointer(at, at->child));
            }
            r.rest = cJSON_PrintUnformatted(doc);
        }
    }
    r.rc = r.cause == NULL ? 0 : -1;
    free(where.s);
    free(path);
    cJSON_Delete(doc);
    return r;
}

/* The new way: the stream, to its end. */
static inline struct jsref_result jsref_stream(const char *text, size_t len, const char *member)
{
    struct jsref_result r = {0};
    struct json_stream s;
    json_stream_init(&s, text, len, member);
    cJSON *e = NULL;
    while ((r.rc = json_stream_next(&s, &e, &r.cause)) > 0) {
        jsref_add(&r, e);
        cJSON_Delete(e);
    }
    if (r.rc == 0 && json_stream_rest(&s) != NULL) {
        r.rest = cJSON_PrintUnformatted(json_stream_rest(&s));
    }
    json_stream_finish(&s);
    return r;
}

/*
 * Do the two agree? On an error the stream may have handed over elements
 * before it found the error (the caller drops them): only the cause counts.
 */
static inline bool jsref_same(const struct jsref_result *a, const struct jsref_result *b)
{
    if (a->rc != b->rc) {
        return false;
    }
    if (a->rc < 0) {
        return a->cause != NULL && b->cause != NULL && strcmp(a->cause, b->cause) == 0;
    }
    bool rest = (a->rest == NULL && b->rest == NULL) ||
                (a->rest != NULL && b->rest != NULL && strcmp(a->rest, b->rest) == 0);
    return rest && a->nelems == b->nelems && a->elems.n == b->elems.n &&
           (a->elems.n == 0 || memcmp(a->elems.s, b->elems.s, a->elems.n) == 0);
}

#endif
