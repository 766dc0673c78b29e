/*
 * common/jsonstream.h: a JSON list read one element at a time gives what the
 * whole tree gave (jsonstream_ref.h: the same elements, the same rest, the
 * same error at the same byte) for every prefix of a sample, for every
 * sample with one byte changed, for garbage, trailing data, strings full of
 * brackets and escapes, members of the wrong type, empty lists, a huge
 * element and the nesting limit; and each call reads no further than the
 * element it returns.
 */
#include "../../common/json.h"
#include "../../common/jsonstream.h"
#include "../../common/util.h"
#include "jsonstream_ref.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* The list of the samples: brackets, quotes and escapes inside strings, every type. */
#define LIST                                                                                       \
    "[{\"labels\":{\"alertname\":\"a]b[}{\",\"q\":\"x\\\"]}\\\\\",\"u\":"                          \
    "\"\\u00e9\\ud83d\\ude00\"},"                                                                  \
    "\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null},[],{},\"s,]\",0,[[1,[2]],{\"a\":{}}]]"

static const char *const samples[][2] = {
    {LIST, NULL},
    {" \n\t" LIST " \r\n", ""},
    {"{\"kind\":\"List\",\"items\":" LIST ",\"metadata\":{\"continue\":\"k]\"}}", "items"},
    {"{ \"status\" : \"success\" , \"data\" : { \"groups\" : [1] , \"alerts\" : " LIST
     " , \"x\" : { } } , \"t\" : [ \"]\" ] }",
     "data.alerts"},
    {"[ ]", NULL},
    {"{\"items\":[]}", "items"},
};

/* Stream and tree for text; a diagnostic when they differ. */
static bool agree(const char *text, size_t len, const char *member, const char *what)
{
    struct jsref_result want = jsref_tree(text, len, member);
    struct jsref_result got = jsref_stream(text, len, member);
    bool same = jsref_same(&want, &got);
    if (!same && what != NULL) {
        tap_diag("%s: '%.*s' member %s", what, (int)len, text, member != NULL ? member : "NULL");
        tap_diag("  tree:   rc %d cause %s rest %s elems %zu", want.rc,
                 want.cause ? want.cause : "-", want.rest ? want.rest : "-", want.nelems);
        tap_diag("  stream: rc %d cause %s rest %s elems %zu", got.rc, got.cause ? got.cause : "-",
                 got.rest ? got.rest : "-", got.nelems);
    }
    jsref_free(&want);
    jsref_free(&got);
    return same;
}

static void is_stream(const char *text, const char *member, int want_rc, size_t want_n,
                      const char *want_cause, const char *want_rest, const char *what)
{
    struct jsref_result r = jsref_stream(text, strlen(text), member);
    bool ok = r.rc == want_rc && (want_rc < 0 || r.nelems == want_n);
    if (want_cause != NULL) {
        ok = ok && r.cause != NULL && strcmp(r.cause, want_cause) == 0;
    }
    if (want_rest != NULL) {
        ok = ok && r.rest != NULL && strcmp(r.rest, want_rest) == 0;
    }
    tap_ok(ok, "%s", what);
    if (!ok) {
        tap_diag("got rc %d n %zu cause '%s' rest '%s'", r.rc, r.nelems, r.cause ? r.cause : "-",
                 r.rest ? r.rest : "-");
    }
    tap_ok(agree(text, strlen(text), member, what), "%s: as the tree says", what);
    jsref_free(&r);
}

static void test_samples(void)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const char *text = samples[i][0];
        const char *member = samples[i][1];
        size_t n = strlen(text);
        struct jsref_result r = jsref_stream(text, n, member);
        tap_ok(r.rc == 0, "sample %zu reads to its end", i);
        jsref_free(&r);
        bool all = true;
        for (size_t k = 0; k <= n && all; k++) {
            char *cut = xstrndup(text, k); /* a buffer of exactly k + 1 bytes for ASan */
            all = agree(cut, k, member, "truncated");
            free(cut);
        }
        tap_ok(all, "sample %zu truncated at each of its %zu bytes: as the tree says", i, n + 1);
        static const char bytes[] = "[]{},:\"\\ x0-\x01";
        all = true;
        for (size_t k = 0; k < n && all; k++) {
            for (size_t b = 0; b < sizeof bytes - 1 && all; b++) {
                char *t = xstrdup(text);
                t[k] = bytes[b];
                all = agree(t, n, member, "one byte changed");
                free(t);
            }
        }
        tap_ok(all, "sample %zu with any one byte changed: as the tree says", i);
    }
}

static void test_elements(void)
{
    is_stream(LIST, NULL, 0, 6, NULL, NULL, "a top-level list: 6 elements");
    struct jsref_result r = jsref_stream(LIST, strlen(LIST), NULL);
    tap_ok(r.elems.s != NULL &&
               strstr(r.elems.s, "\"alertname\":\"a]b[}{\",\"q\":\"x\\\"]}\\\\\"") != NULL,
           "brackets, quotes and backslashes inside strings stay in the element");
    tap_ok(r.elems.s != NULL && strstr(r.elems.s, "\n\"s,]\"\n0\n") != NULL,
           "a string with a comma and a bracket is one element");
    tap_ok(r.rest == NULL, "a top-level list has no rest");
    jsref_free(&r);
    is_stream("{\"apiVersion\":\"v1\",\"items\":[{\"a\":1},{\"b\":2}],\"metadata\":{\"continue\":"
              "\"tok\"}}",
              "items", 0, 2, NULL,
              "{\"apiVersion\":\"v1\",\"items\":[],\"metadata\":{\"continue\":\"tok\"}}",
              "items with members before and after: they are the rest, the list empty");
    is_stream("{\"status\":\"success\",\"data\":{\"alerts\":[1,2,3],\"n\":3}}", "data.alerts", 0, 3,
              NULL, "{\"status\":\"success\",\"data\":{\"alerts\":[],\"n\":3}}",
              "data.alerts: the list inside an object");
    is_stream("[]", NULL, 0, 0, NULL, NULL, "an empty list");
    is_stream(" [ \n ] ", "", 0, 0, NULL, NULL, "an empty list in blanks (member \"\")");
    is_stream("{\"items\":[]}", "items", 0, 0, NULL, "{\"items\":[]}", "an empty items");
    is_stream("{\"items\":[1],\"items\":[2,3]}", "items", 0, 1, NULL, NULL,
              "a repeated member: the first is the list, as cJSON's lookup says");
    is_stream("\xEF\xBB\xBF [1]", NULL, 0, 1, NULL, NULL, "a byte order mark first");
    is_stream("[1]\0[garbage", NULL, 0, 1, NULL, NULL, "a NUL ends the text");
}

static void test_errors(void)
{
    is_stream("", NULL, -1, 0, "empty response", NULL, "nothing: empty response");
    is_stream(" \n\t", "items", -1, 0, "empty response", NULL, "blanks: empty response");
    is_stream("[1,2", NULL, -1, 0, "invalid JSON at byte 3 of 4", NULL, "a cut list");
    is_stream("[1,,2]", NULL, -1, 0, "invalid JSON at byte 3 of 6", NULL, "a double comma");
    is_stream("[1] [2]", NULL, -1, 0, "unexpected data after the JSON at byte 4 of 7", NULL,
              "trailing data after the list");
    is_stream("{\"items\":[]} x", "items", -1, 0, "unexpected data after the JSON at byte 13 of 14",
              NULL, "trailing data after the document");
    is_stream("[1]\x01", NULL, -1, 0, "unexpected data after the JSON at byte 3 of 4", NULL,
              "a control byte after the list is data");
    is_stream("garbage", NULL, -1, 0, "invalid JSON at byte 0 of 7", NULL, "garbage");
    is_stream("<html><body>502 Bad Gateway</body></html>", "items", -1, 0,
              "invalid JSON at byte 0 of 41", NULL, "an HTML error page");
    is_stream("[tru]", NULL, -1, 0, "invalid JSON at byte 1 of 5", NULL, "a broken literal");
    is_stream("[\"\\x\"]", NULL, -1, 0, NULL, NULL, "a bad escape");
    is_stream("{\"a\":1}", NULL, -1, 0, "expected a JSON array", NULL, "an object, not a list");
    is_stream("{\"a\":1", NULL, -1, 0, "invalid JSON at byte 5 of 6", NULL,
              "a broken object, not a list: the syntax error wins");
    is_stream("[1]", "items", -1, 0, "expected a JSON object", NULL,
              "a list where an object is due");
    is_stream("{\"items\":5}", "items", -1, 0, "expected a JSON array at items", NULL,
              "items a number");
    is_stream("{\"items\":{\"a\":[]}}", "items", -1, 0, "expected a JSON array at items", NULL,
              "items an object");
    is_stream("{\"items\":null}", "items", -1, 0, "expected a JSON array at items", NULL,
              "items null");
    is_stream("{\"kind\":\"List\"}", "items", -1, 0, "expected a JSON array at items", NULL,
              "items missing");
    is_stream("{\"data\":[]}", "data.alerts", -1, 0, "expected an object at data", NULL,
              "data a list");
    is_stream("{\"data\":{}}", "data.alerts", -1, 0, "expected a JSON array at data.alerts", NULL,
              "data without alerts");
    is_stream("{\"items\":5,", "items", -1, 0, "invalid JSON at byte 10 of 11", NULL,
              "items of the wrong type in a broken document: the syntax error wins");
    is_stream("{1:[]}", "items", -1, 0, "invalid JSON at byte 2 of 6", NULL,
              "a key that is no string: where cJSON says");
    is_stream("{\"items\" []}", "items", -1, 0, "invalid JSON at byte 9 of 12", NULL,
              "a missing colon");

    /* a valid document without the list: its rest says why (Prometheus' status) */
    const char *perr = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}";
    struct json_stream p;
    json_stream_init(&p, perr, strlen(perr), "data.alerts");
    cJSON *pe = NULL;
    char *pcause = NULL;
    tap_ok(json_stream_next(&p, &pe, &pcause) == -1, "an error answer: no list");
    tap_is_str(pcause, "expected an object at data", "its cause");
    free(pcause);
    tap_is_str(json_str(json_stream_rest(&p), "errorType"), "bad_data",
               "the rest is the whole document, for its status");
    json_stream_finish(&p);
    const char *arr = "[1, {\"a\": 2}]";
    json_stream_init(&p, arr, strlen(arr), "data.alerts");
    tap_ok(json_stream_next(&p, &pe, &pcause) == -1 && cJSON_IsArray(json_stream_rest(&p)) &&
               cJSON_GetArraySize(json_stream_rest(&p)) == 2,
           "a document of another type than the path wants: it is the rest, whole");
    free(pcause);
    pcause = NULL;
    json_stream_finish(&p);
    const char *broken = "{\"status\":\"error\",\"data\":5";
    json_stream_init(&p, broken, strlen(broken), "data.alerts");
    tap_ok(json_stream_next(&p, &pe, &pcause) == -1 && json_stream_rest(&p) == NULL,
           "a broken document has no rest");
    free(pcause);
    json_stream_finish(&p);

    /* after the end or an error every call says the same, without work */
    struct json_stream s;
    json_stream_init(&s, "[1,x]", 5, NULL);
    cJSON *e = NULL;
    char *cause = NULL;
    tap_ok(json_stream_next(&s, &e, &cause) == 1 && cJSON_IsNumber(e), "the element before x");
    cJSON_Delete(e);
    tap_ok(json_stream_next(&s, &e, &cause) == -1 && e == NULL, "then the error");
    tap_is_str(cause, "invalid JSON at byte 3 of 5", "its cause");
    free(cause);
    cause = NULL;
    tap_ok(json_stream_next(&s, &e, &cause) == -1 && e == NULL, "again the error");
    tap_is_str(cause, "invalid JSON at byte 3 of 5", "the same cause again");
    free(cause);
    tap_ok(json_stream_rest(&s) == NULL, "no rest after an error");
    json_stream_finish(&s);

    json_stream_init(&s, "{\"items\":[],\"x\":1}", 18, "items");
    tap_ok(json_stream_next(&s, &e, &cause) == 0 && json_stream_next(&s, &e, &cause) == 0 &&
               e == NULL,
           "after the end: the end again");
    tap_ok(json_stream_rest(&s) != NULL && json_get(json_stream_rest(&s), "x") != NULL,
           "the rest stays until finish");
    json_stream_finish(&s);
}

static void test_bounded(void)
{
    const char *text = "{\"before\":1,\"items\":[{\"a\":1}, {\"b\":2},\n{\"c\":3}],\"after\":2}";
    struct json_stream s;
    json_stream_init(&s, text, strlen(text), "items");
    cJSON *e = NULL;
    char *cause = NULL;
    size_t firsts[] = {strstr(text, "{\"a\"") - text + 7, strstr(text, "{\"b\"") - text + 7,
                       strstr(text, "{\"c\"") - text + 7};
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        ok = ok && json_stream_next(&s, &e, &cause) == 1 && json_stream_pos(&s) == firsts[i] &&
             json_stream_count(&s) == (size_t)i + 1;
        cJSON_Delete(e);
        e = NULL;
    }
    tap_ok(ok, "each call reads up to the end of the element it returns, no further");
    tap_ok(json_stream_next(&s, &e, &cause) == 0 && json_stream_pos(&s) == strlen(text),
           "the last call reads the members after the list");
    json_stream_finish(&s);

    /* a huge element: one call, one element */
    struct strbuf big = {0};
    strbuf_str(&big, "{\"items\":[1,{\"text\":\"");
    for (int i = 0; i < 200000; i++) {
        strbuf_str(&big, "]}[{\\\"x");
    }
    strbuf_str(&big, "\",\"n\":[");
    for (int i = 0; i < 50000; i++) {
        strbuf_printf(&big, "%s%d", i > 0 ? "," : "", i);
    }
    strbuf_str(&big, "]},2]}");
    json_stream_init(&s, big.s, big.n, "items");
    ok = json_stream_next(&s, &e, &cause) == 1;
    cJSON_Delete(e);
    e = NULL;
    ok = ok && json_stream_next(&s, &e, &cause) == 1 && cJSON_IsObject(e) &&
         strlen(json_str(e, "text")) == 200000 * 6 && cJSON_GetArraySize(json_arr(e, "n")) == 50000;
    cJSON_Delete(e);
    e = NULL;
    ok = ok && json_stream_next(&s, &e, &cause) == 1 && cJSON_IsNumber(e);
    cJSON_Delete(e);
    e = NULL;
    ok = ok && json_stream_next(&s, &e, &cause) == 0;
    tap_ok(ok, "a huge element (%zu bytes) is one element between two small ones", big.n);
    json_stream_finish(&s);
    tap_ok(agree(big.s, big.n, "items", "huge"), "the huge element: as the tree says");
    free(big.s);
}

/* A list holding one element nested depth deep (arrays), at member. */
static char *nested(int depth, const char *member)
{
    struct strbuf sb = {0};
    bool obj = member != NULL;
    strbuf_str(&sb, obj ? "{\"items\":[" : "[");
    for (int i = 0; i < depth; i++) {
        strbuf_add(&sb, "[", 1);
    }
    for (int i = 0; i < depth; i++) {
        strbuf_add(&sb, "]", 1);
    }
    strbuf_str(&sb, obj ? "]}" : "]");
    return sb.s;
}

static void test_nesting(void)
{
    bool all = true;
    for (int d = 995; d <= 1001 && all; d++) {
        for (int m = 0; m < 2 && all; m++) {
            char *t = nested(d, m ? "items" : NULL);
            all = agree(t, strlen(t), m ? "items" : NULL, "nesting");
            free(t);
        }
    }
    tap_ok(all, "elements near cJSON's nesting limit: refused where the tree refuses them");
    char *t = nested(1000, NULL);
    struct jsref_result r = jsref_stream(t, strlen(t), NULL);
    tap_is_str(r.cause, "invalid JSON at byte 1000 of 2002",
               "too deep: at the first bracket too many");
    jsref_free(&r);
    free(t);
}

int main(void)
{
    test_elements();
    test_errors();
    test_bounded();
    test_nesting();
    test_samples();
    return tap_done();
}
