/*
 * common/jsonjob.h on a real loop: a large list is handed over in more than
 * one slice, in order, and the loop serves a watch between two slices; no
 * callback runs before json_job_start() returns (not even for an empty or
 * broken text); done runs exactly once, with the rest and the count, or
 * with the cause (the text's, or elem's own when elem refuses); cancel from
 * elem, between slices, or from done ends everything (ASan: nothing leaks,
 * nothing is touched after).
 */
#include "../../common/jsonjob.h"
#include "../../common/json.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "tap.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct seen {
    struct json_job *job;
    size_t elems;
    long last;  /* the last element's number: order */
    bool order; /* every element came after the one before it */
    int done;
    bool ok;
    char *cause;
    char *rest;
    size_t nelems;
    size_t refuse_at; /* elem refuses element number refuse_at (1-based), 0: never */
    size_t cancel_at; /* elem cancels the job at element number cancel_at, 0: never */
    bool cancel_in_done;
    unsigned watch_slices; /* json_job_slices() when the watch was served */
    bool watch_served;
    const char *text; /* give back: the text, and the element at which to look at it */
    size_t look_at;
    long head_resident; /* pages of the text's first megabyte still in memory then (-1: unknown) */
};

/* Pages of [p, p + len) in memory (mincore), from the first whole page; -1 when it cannot tell. */
static long resident_pages(const char *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    size_t n = len / page - 1;
    unsigned char *vec = xcalloc(n, 1);
    long in = -1;
    if (mincore((void *)from, n * page, vec) == 0) {
        in = 0;
        for (size_t i = 0; i < n; i++) {
            in += vec[i] & 1;
        }
    }
    free(vec);
    return in;
}

static bool on_elem(void *ud, cJSON *elem, char **cause)
{
    struct seen *s = ud;
    s->elems++;
    if (s->look_at != 0 && s->elems == s->look_at) {
        s->head_resident = resident_pages(s->text, 1 << 20);
    }
    if (cJSON_IsObject(elem)) {
        long n = (long)cJSON_GetNumberValue(json_get(elem, "n"));
        if (n != s->last + 1) {
            s->order = false;
        }
        s->last = n;
    }
    if (s->cancel_at != 0 && s->elems == s->cancel_at) {
        json_job_cancel(s->job);
        s->job = NULL;
        return true;
    }
    if (s->refuse_at != 0 && s->elems == s->refuse_at) {
        *cause = xasprintf("element %zu refused", s->elems);
        return false;
    }
    return true;
}

static void on_done(void *ud, bool ok, const char *cause, const cJSON *rest, size_t nelems)
{
    struct seen *s = ud;
    s->done++;
    s->ok = ok;
    free(s->cause);
    s->cause = cause != NULL ? xstrdup(cause) : NULL;
    free(s->rest);
    s->rest = rest != NULL ? cJSON_PrintUnformatted(rest) : NULL;
    s->nelems = nelems;
    if (s->cancel_in_done) {
        json_job_cancel(s->job);
    }
    s->job = NULL;
}

/* A list of n alerts-like objects, {"n": 1} first, in items when member. */
static char *list(size_t n, bool member, size_t *len)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, member ? "{\"kind\":\"List\",\"items\":[" : "[");
    for (size_t i = 1; i <= n; i++) {
        strbuf_printf(&sb,
                      "%s{\"n\":%zu,\"labels\":{\"alertname\":\"HighLatency%zu\",\"severity\":"
                      "\"warning\",\"instance\":\"host-%zu:9100\"},\"annotations\":{\"summary\":"
                      "\"p99 above 2s [x]\"},\"status\":{\"state\":\"active\",\"silencedBy\":[]}}",
                      i > 1 ? "," : "", i, i % 50, i);
    }
    strbuf_str(&sb, member ? "],\"metadata\":{\"continue\":\"\"}}" : "]");
    if (sb.s == NULL) {
        sb.s = xstrdup("");
    }
    *len = sb.n;
    return sb.s;
}

/* Run the loop until done (or rounds run out); the rounds it took. */
static int run(struct loop *loop, struct seen *s, int rounds)
{
    int i = 0;
    while (s->done == 0 && s->job != NULL && i < rounds) {
        loop_run_once(loop, 100);
        i++;
    }
    return i;
}

static void seen_free(struct seen *s)
{
    free(s->cause);
    free(s->rest);
}

static void on_pipe(int fd, short revents, void *ud)
{
    struct seen *s = ud;
    (void)revents;
    char c;
    if (read(fd, &c, 1) == 1 && s->job != NULL) {
        s->watch_slices = json_job_slices(s->job);
        s->watch_served = true;
    }
}

static void test_large(struct loop *loop)
{
    size_t len;
    char *text = list(50000, true, &len);
    struct seen s = {.order = true};
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    struct loop_watch *w = loop_watch_fd(loop, fds[0], POLLIN, on_pipe, &s);
    s.job = json_job_start(loop, text, len, "items", 1, on_elem, on_done, &s);
    tap_ok(s.elems == 0 && s.done == 0, "nothing is called back before start returns");
    /* the first slice runs, then the watch is served before the list ends */
    loop_run_once(loop, 100);
    unsigned first = s.job != NULL ? json_job_slices(s.job) : 0;
    tap_ok(s.done == 0 && first == 1 && s.elems > 0 && s.elems < 50000,
           "one round of the loop runs one slice of the list (%zu elements)", s.elems);
    if (write(fds[1], "x", 1) != 1) {
        tap_diag("write to the pipe failed");
    }
    unsigned slices = 0;
    while (s.done == 0 && s.job != NULL) {
        slices = json_job_slices(s.job);
        loop_run_once(loop, 100);
    }
    tap_ok(s.watch_served && s.watch_slices >= 1, "the loop served a watch between two slices");
    tap_ok(slices > 1, "50,000 elements in 1 ms slices: more than one slice (%u)", slices);
    tap_ok(s.done == 1 && s.ok && s.cause == NULL, "done once, ok");
    tap_is_int((long long)s.elems, 50000, "every element handed over");
    tap_ok(s.order, "in order");
    tap_is_int((long long)s.nelems, 50000, "done counts them");
    tap_is_str(s.rest, "{\"kind\":\"List\",\"items\":[],\"metadata\":{\"continue\":\"\"}}",
               "done has the rest");
    for (int i = 0; i < 5; i++) {
        loop_run_once(loop, 0);
    }
    tap_is_int(s.done, 1, "done exactly once");
    loop_unwatch(loop, w);
    close(fds[0]);
    close(fds[1]);
    seen_free(&s);
}

/* The pages of text already read go back to the kernel between slices: memory follows the rows. */
static void test_give_back(struct loop *loop)
{
    size_t len;
    char *text = list(50000, false, &len);
    tap_ok(resident_pages(text, 1 << 20) > 200,
           "the text's first megabyte is in memory to begin with");
    struct seen s = {.order = true, .text = text, .look_at = 45000, .head_resident = -1};
    s.job = json_job_start(loop, text, len, NULL, 1, on_elem, on_done, &s);
    run(loop, &s, 100000);
    tap_ok(s.done == 1 && s.ok && s.elems == 50000, "the list is read whole (%zu elements)",
           s.elems);
    tap_ok(s.head_resident == 0,
           "near the end, none of the first megabyte's pages is in memory (%ld resident)",
           s.head_resident);
    seen_free(&s);
}

static void test_small(struct loop *loop)
{
    struct {
        const char *text;
        const char *member;
        bool ok;
        const char *cause;
    } cases[] = {
        {"", NULL, false, "empty response"},
        {"[1,2", NULL, false, "invalid JSON at byte 3 of 4"},
        {"[]", NULL, true, NULL},
        {"{\"items\":5}", "items", false, "expected a JSON array at items"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s = {.order = true};
        s.job = json_job_start(loop, xstrdup(cases[i].text), strlen(cases[i].text), cases[i].member,
                               0, on_elem, on_done, &s);
        bool before = s.done == 0 && s.elems == 0;
        run(loop, &s, 10);
        for (int k = 0; k < 3; k++) {
            loop_run_once(loop, 0);
        }
        tap_ok(before && s.done == 1 && s.ok == cases[i].ok, "'%s': done once, from the loop, %s",
               cases[i].text, cases[i].ok ? "ok" : "failed");
        tap_is_str(s.cause, cases[i].cause, "its cause");
        seen_free(&s);
    }
}

static void test_rest_on_failure(struct loop *loop)
{
    const char *text = "{\"status\":\"error\",\"errorType\":\"bad_data\"}";
    struct seen s = {.order = true};
    s.job =
        json_job_start(loop, xstrdup(text), strlen(text), "data.alerts", 0, on_elem, on_done, &s);
    run(loop, &s, 10);
    tap_ok(s.done == 1 && !s.ok, "a valid answer without the list fails");
    tap_is_str(s.rest, text, "with the whole document as rest (its status can be read)");
    seen_free(&s);
}

static void test_refuse(struct loop *loop)
{
    size_t len;
    char *text = list(100, false, &len);
    struct seen s = {.order = true, .refuse_at = 10};
    s.job = json_job_start(loop, text, len, NULL, 0, on_elem, on_done, &s);
    run(loop, &s, 1000);
    tap_ok(s.done == 1 && !s.ok, "elem returning false ends the job: done once, failed");
    tap_is_str(s.cause, "element 10 refused", "with elem's own cause");
    tap_ok(s.rest == NULL, "and no rest");
    tap_is_int((long long)s.elems, 10, "no element after the refused one");
    seen_free(&s);
}

static void test_cancel(struct loop *loop)
{
    size_t len;
    char *text = list(20000, false, &len);
    struct seen s = {.order = true, .cancel_at = 5};
    s.job = json_job_start(loop, text, len, NULL, 0, on_elem, on_done, &s);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 0);
    }
    tap_ok(s.done == 0 && s.elems == 5, "cancel in elem: no element and no done after it");
    seen_free(&s);

    text = list(50000, false, &len);
    struct seen t = {.order = true};
    t.job = json_job_start(loop, text, len, NULL, 1, on_elem, on_done, &t);
    loop_run_once(loop, 100);
    size_t after_one = t.elems;
    json_job_cancel(t.job);
    for (int i = 0; i < 20; i++) {
        loop_run_once(loop, 0);
    }
    tap_ok(after_one > 0 && t.elems == after_one && t.done == 0,
           "cancel between slices: nothing more is called back");
    seen_free(&t);

    struct seen u = {.order = true};
    u.job = json_job_start(loop, xstrdup("[1]"), 3, NULL, 0, on_elem, on_done, &u);
    json_job_cancel(u.job);
    for (int i = 0; i < 5; i++) {
        loop_run_once(loop, 0);
    }
    tap_ok(u.done == 0 && u.elems == 0, "cancel before the first slice: nothing is called back");
    seen_free(&u);

    struct seen v = {.order = true, .cancel_in_done = true};
    v.job = json_job_start(loop, xstrdup("[1,2]"), 5, NULL, 0, on_elem, on_done, &v);
    run(loop, &v, 10);
    tap_ok(v.done == 1 && v.ok && v.elems == 2, "cancel from done changes nothing");
    seen_free(&v);
    json_job_cancel(NULL);
    tap_ok(true, "cancel NULL is a no-op");
}

int main(void)
{
    struct loop *loop = loop_create();
    test_large(loop);
    test_give_back(loop);
    test_small(loop);
    test_rest_on_failure(loop);
    test_refuse(loop);
    test_cancel(loop);
    loop_destroy(loop);
    return tap_done();
}
