/*
 * A JSON list parsed on the loop in slices (see jsonjob.h).
 *
 * Every slice runs from a one-shot 0 ms loop timer: a timer added by a
 * callback waits for the loop's next round, so the terminal, signals, curl
 * and every other watch are served between two slices. A slice reads
 * elements until slice_ms has passed on the monotonic clock (read after
 * every element) or the list ends. The caller may cancel the job from elem
 * (the slice notices when elem returns) or from done (a no-op there: the job
 * ends anyway).
 */
#include "jsonjob.h"

#include "jsonstream.h"
#include "loop.h"
#include "util.h"

#include <stdlib.h>
#include <time.h>

struct json_job {
    struct loop *loop;
    char *text;
    struct json_stream stream;
    uint64_t slice_us;
    json_job_elem_cb elem;
    json_job_done_cb done;
    void *ud;
    struct loop_timer *timer; /* the next slice, or NULL while one runs */
    unsigned slices;
    bool running;   /* inside a slice: cancel only marks */
    bool cancelled; /* cancelled while running */
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void job_free(struct json_job *job)
{
    json_stream_finish(&job->stream);
    free(job->text);
    free(job);
}

/* The end: done once, then the job is gone (a cancel from done changes nothing). */
static void finish(struct json_job *job, bool ok, const char *cause)
{
    job->done(job->ud, ok, cause, ok ? json_stream_rest(&job->stream) : NULL,
              json_stream_count(&job->stream));
    job_free(job);
}

static void on_slice(void *ud)
{
    struct json_job *job = ud;
    job->timer = NULL;
    job->running = true;
    job->slices++;
    uint64_t start = mono_us();
    for (;;) {
        cJSON *e = NULL;
        char *cause = NULL;
        int rc = json_stream_next(&job->stream, &e, &cause);
        if (rc <= 0) {
            finish(job, rc == 0, cause);
            free(cause);
            return;
        }
        bool go = job->elem(job->ud, e, &cause);
        cJSON_Delete(e);
        if (job->cancelled) {
            free(cause);
            job_free(job);
            return;
        }
        if (!go) {
            finish(job, false, cause != NULL ? cause : "the list was refused");
            free(cause);
            return;
        }
        if (mono_us() - start >= job->slice_us) {
            break;
        }
    }
    job->running = false;
    job->timer = loop_timer_add(job->loop, 0, 0, on_slice, job);
}

struct json_job *json_job_start(struct loop *loop, char *text, size_t len, const char *member,
                                unsigned slice_ms, json_job_elem_cb elem, json_job_done_cb done,
                                void *ud)
{
    struct json_job *job = xcalloc(1, sizeof *job);
    job->loop = loop;
    job->text = text;
    json_stream_init(&job->stream, text, len, member);
    job->slice_us = (uint64_t)(slice_ms != 0 ? slice_ms : JSON_JOB_SLICE_MS) * 1000u;
    job->elem = elem;
    job->done = done;
    job->ud = ud;
    job->timer = loop_timer_add(loop, 0, 0, on_slice, job);
    return job;
}

void json_job_cancel(struct json_job *job)
{
    if (job == NULL) {
        return;
    }
    if (job->running) {
        job->cancelled = true; /* from elem: the slice frees the job when elem returns */
        return;
    }
    loop_timer_cancel(job->loop, job->timer);
    job_free(job);
}

unsigned json_job_slices(const struct json_job *job)
{
    return job->slices;
}
