/*
 * opsdeck doctor's per-backend record: the lines said, the HTTP requests in
 * flight and the cancel hooks. backends/doctor.h has the contract.
 */
#include "doctor.h"

#include "../common/util.h"
#include "backend.h"
#include "http.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct doctor_req {
    struct doctor *d;
    struct http_request *req;
    doctor_http_cb cb;
    void *ud;
    struct doctor_req *next;
};

struct doctor_hook {
    void (*fn)(void *ud);
    void *ud;
    struct doctor_hook *next;
};

struct doctor {
    struct backend *b;
    void (*ended_cb)(struct doctor *d, void *ud);
    void *ud;
    bool ended;
    bool cancelled;
    struct doctor_line *lines;
    size_t nlines;
    struct doctor_req *reqs;
    struct doctor_hook *hooks;
};

struct backend *doctor_backend(const struct doctor *d)
{
    return d->b;
}

void doctor_say(struct doctor *d, enum doctor_level level, const char *fmt, ...)
{
    if (d->ended || d->cancelled) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    d->lines = xreallocarray(d->lines, d->nlines + 1, sizeof *d->lines);
    d->lines[d->nlines++] = (struct doctor_line){.level = level, .text = text};
}

static void drop_hooks(struct doctor *d, bool run)
{
    while (d->hooks != NULL) {
        struct doctor_hook *h = d->hooks;
        d->hooks = h->next;
        if (run) {
            h->fn(h->ud);
        }
        free(h);
    }
}

static void drop_requests(struct doctor *d)
{
    while (d->reqs != NULL) {
        struct doctor_req *r = d->reqs;
        d->reqs = r->next;
        http_cancel(r->req);
        free(r);
    }
}

void doctor_end(struct doctor *d)
{
    if (d->ended || d->cancelled) {
        return;
    }
    d->ended = true;
    drop_requests(d);
    drop_hooks(d, false);
    if (d->ended_cb != NULL) {
        d->ended_cb(d, d->ud);
    }
}

static void on_http(const struct http_response *resp, void *ud)
{
    struct doctor_req *r = ud;
    struct doctor *d = r->d;
    for (struct doctor_req **p = &d->reqs; *p != NULL; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next; /* answered: the handle is gone */
            break;
        }
    }
    doctor_http_cb cb = r->cb;
    void *cb_ud = r->ud;
    free(r);
    cb(d, resp, cb_ud);
}

void doctor_http(struct doctor *d, const struct http_settings *s, const char *method,
                 const char *path, const char *content_type, const char *body, doctor_http_cb cb,
                 void *ud)
{
    struct doctor_req *r = xcalloc(1, sizeof *r);
    r->d = d;
    r->cb = cb;
    r->ud = ud;
    r->next = d->reqs;
    d->reqs = r;
    r->req = http_request(d->b->loop, s, method, path, content_type, body,
                          body != NULL ? strlen(body) : 0, on_http, r);
}

void doctor_on_cancel(struct doctor *d, void (*fn)(void *ud), void *ud)
{
    struct doctor_hook *h = xcalloc(1, sizeof *h);
    h->fn = fn;
    h->ud = ud;
    h->next = d->hooks;
    d->hooks = h;
}

static const char *auth_name(const struct http_settings *s)
{
    return s->auth == HTTP_AUTH_BASIC ? "basic" : "bearer token";
}

bool doctor_http_answered(struct doctor *d, const struct http_settings *s, const char *what,
                          const struct http_response *r)
{
    if (r->error != NULL) {
        if (d->b->health != BACKEND_ERROR) {
            /* else the first poll failed on the same host and said it: nothing to add */
            doctor_say(d, DOCTOR_FAIL, "%s: %s", what, r->error);
        }
        return false;
    }
    if (r->status == 401 || r->status == 403) {
        if (s->auth == HTTP_AUTH_NONE) {
            doctor_say(d, DOCTOR_FAIL,
                       "authentication failed: HTTP %ld on %s (no credentials configured: set "
                       "auth, user, password_file or token_file)",
                       r->status, what);
        } else {
            doctor_say(d, DOCTOR_FAIL, "authentication failed: HTTP %ld on %s (%s%s%s)", r->status,
                       what, auth_name(s), s->user != NULL ? ", user " : "",
                       s->user != NULL ? s->user : "");
        }
        return false;
    }
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        doctor_say(d, DOCTOR_FAIL, "%s: %s", what, why);
        free(why);
        return false;
    }
    if (s->auth == HTTP_AUTH_NONE) {
        doctor_say(d, DOCTOR_INFO, "no authentication asked (none configured, none required)");
    } else {
        doctor_say(d, DOCTOR_OK, "authentication: the credentials sent were accepted (%s%s%s)",
                   auth_name(s), s->user != NULL ? ", user " : "", s->user != NULL ? s->user : "");
    }
    return true;
}

bool doctor_actions_wanted(const struct doctor *d)
{
    return d->b->actions_enabled && !d->b->context_read_only;
}

struct doctor *doctor_create(struct backend *b, void (*ended)(struct doctor *d, void *ud), void *ud)
{
    struct doctor *d = xcalloc(1, sizeof *d);
    d->b = b;
    d->ended_cb = ended;
    d->ud = ud;
    return d;
}

void doctor_start(struct doctor *d)
{
    if (d->b->impl->doctor != NULL) {
        d->b->impl->doctor(d->b, d);
    } else {
        doctor_end(d);
    }
}

void doctor_cancel(struct doctor *d)
{
    if (d->ended || d->cancelled) {
        return;
    }
    d->cancelled = true;
    drop_requests(d);
    drop_hooks(d, true);
}

bool doctor_ended(const struct doctor *d)
{
    return d->ended;
}

const struct doctor_line *doctor_lines(const struct doctor *d, size_t *n)
{
    *n = d->nlines;
    return d->lines;
}

void doctor_free(struct doctor *d)
{
    if (d == NULL) {
        return;
    }
    doctor_cancel(d);
    for (size_t i = 0; i < d->nlines; i++) {
        free(d->lines[i].text);
    }
    free(d->lines);
    free(d);
}

const char *doctor_server_words(const char *why)
{
    const char *p = str_has_prefix(why, "HTTP ") ? strstr(why, ": ") : NULL;
    return p != NULL && p[2] != '\0' ? p + 2 : NULL;
}
