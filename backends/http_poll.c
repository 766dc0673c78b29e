/*
 * The poll bookkeeping every HTTP backend shares (http_poll.h): one handle in
 * flight, begin and end as backend.h counts them.
 */
#include "http_poll.h"

#include <stddef.h>
#include <string.h>

void http_poll_init(struct http_poll *p, struct backend *b, const struct http_settings *http)
{
    *p = (struct http_poll){.b = b, .http = http};
}

void http_poll_finish(struct http_poll *p)
{
    http_cancel(p->req);
    p->req = NULL;
}

bool http_poll_begin(struct http_poll *p)
{
    return backend_poll_begin(p->b);
}

void http_poll_send(struct http_poll *p, const char *path, http_done_cb cb)
{
    p->req = http_request(p->b->loop, p->http, "GET", path, NULL, NULL, 0, cb, p);
}

void http_poll_post_form(struct http_poll *p, const char *path, const char *form, http_done_cb cb)
{
    p->req = http_request(p->b->loop, p->http, "POST", path, "application/x-www-form-urlencoded",
                          form, strlen(form), cb, p);
}

struct backend *http_poll_received(void *ud)
{
    struct http_poll *p = ud;
    p->req = NULL;
    return p->b;
}

void http_poll_end(struct http_poll *p)
{
    backend_poll_end(p->b);
}
