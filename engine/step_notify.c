/*
 * Notify steps (runstep.h): a Slack message or a PagerDuty event (notify.h).
 * A notify event "sending" is journaled before the request goes out and a
 * second notify event with its status after; a request refused before it is
 * sent (a missing environment variable) is one event and nothing in flight.
 * URLs and keys are never journaled.
 */
#include "runstep.h"

#include "../common/util.h"
#include "notify.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

static void on_notify(bool ok, long status, const char *message, void *ud)
{
    struct run *r = ud;
    r->notify = NULL;
    const struct rb_step *s = &r->rb->steps[r->idx];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(d, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNumberToObject(d, "status", (double)status);
    if (ok) {
        cJSON_AddNullToObject(d, "error");
    } else {
        cJSON_AddStringToObject(d, "error", message != NULL ? message : "failed");
    }
    const char *m = message != NULL ? message : (ok ? "sent" : "failed");
    if (!run_log_step(r, "notify", ok ? "ok" : m, d)) {
        r->fly = NULL;
        run_changed(r);
        return;
    }
    if (ok) {
        run_step_succeeded(r, xstrdup(m), NULL);
    } else {
        run_step_failed(r, xstrdup(m));
    }
}

void run_notify_refused(struct run *r, const struct rb_step *s, const char *why)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(e, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNumberToObject(e, "status", 0);
    cJSON_AddStringToObject(e, "error", why);
    run_log_step(r, "notify", why, e);
}

static bool notify_start(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    char *missing = NULL;
    char *msg =
        vars_expand(&r->vars, s->message != NULL ? s->message : s->title, VARS_TEXT, &missing);
    char *dedup = msg == NULL            ? NULL
                  : s->dedup_key != NULL ? vars_expand(&r->vars, s->dedup_key, VARS_TEXT, &missing)
                                         : xstrdup(r->id);
    if (msg == NULL || dedup == NULL) {
        char *why = xasprintf("unset variable %s", missing);
        free(missing);
        free(msg);
        set_cause(cause, why);
        run_step_failed(r, why);
        return false;
    }
    struct notify_request q = {
        .service = s->service,
        .message = msg,
        .url_env = s->url_env,
        .routing_key_env = s->routing_key_env,
        .event = s->event,
        .severity = s->severity,
        .dedup_key = dedup,
    };
    if (r->dry_run) {
        run_step_succeeded(r, xasprintf("dry run: would notify %s: %s", s->service, msg), NULL);
        free(msg);
        free(dedup);
        return true;
    }
    char *why = NULL;
    /* refused before sending (a missing env var): one event, nothing in flight */
    if (!notify_check(&q, &why)) {
        free(msg);
        free(dedup);
        run_notify_refused(r, s, why);
        set_cause(cause, why);
        run_step_failed(r, why);
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "service", s->service != NULL ? s->service : "");
    cJSON_AddStringToObject(d, "event", s->event != NULL ? s->event : "trigger");
    cJSON_AddNullToObject(d, "status");
    cJSON_AddNullToObject(d, "error");
    if (!run_log_step(r, "notify", "sending", d)) {
        free(msg);
        free(dedup);
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    r->fly = &step_notify;
    r->state = RUN_BUSY;
    run_set_message(r, xasprintf("sending to %s...", s->service));
    r->notify = notify_send(r->loop, &q, on_notify, r, &why);
    free(msg);
    free(dedup);
    if (r->notify == NULL) {
        run_notify_refused(r, s, why);
        set_cause(cause, why);
        run_step_failed(r, why);
        return false;
    }
    run_changed(r);
    return true;
}

static bool notify_stop(struct run *r, char **cause)
{
    (void)cause;
    notify_cancel(r->notify);
    r->notify = NULL;
    run_notify_refused(r, &r->rb->steps[r->idx], "stopped");
    run_step_failed(r, xstrdup("stopped"));
    return true;
}

static void notify_drop(struct run *r)
{
    notify_cancel(r->notify);
    r->notify = NULL;
}

static bool notify_replay(struct runview *v, const struct runlog_event *ev)
{
    if (ev->kind != RL_NOTIFY) {
        return false;
    }
    const char *service = runlog_str(ev->data, "service");
    if (ev->result != NULL && strcmp(ev->result, "sending") == 0) {
        runview_open(v, ev->kind, service,
                     xasprintf("sending to %s...", service != NULL ? service : "?"));
    } else {
        const char *error = runlog_str(ev->data, "error");
        runview_close(v, error != NULL ? error : "sent");
    }
    return true;
}

static char *notify_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    char *a =
        step_shown_or_missing(t, s->message != NULL ? s->message : s->title, VARS_TEXT, missing);
    char *out = xasprintf("%s%s%s: %s", s->service ? s->service : "?", s->event ? " " : "",
                          s->event ? s->event : "", a);
    free(a);
    return out;
}

const struct step_kind step_notify = {
    .name = "notify",
    .start = notify_start,
    .stop = notify_stop,
    .drop = notify_drop,
    .replay = notify_replay,
    .preview = notify_preview,
};
