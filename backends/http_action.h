/*
 * Actions over HTTP in flight, the shared way: each is a small state machine
 * (fetch, then write; or one DELETE after another) that answers its
 * backend_request exactly once, and a backend's destroy must cancel the ones
 * still going. A backend's own op embeds struct http_action as its first
 * member and keeps them in a struct http_actions:
 *
 *   create   http_actions_init(&x->actions, op_free)     op_free frees the whole op
 *   act      op = xcalloc(...); http_action_begin(&x->actions, &op->act, b, req)
 *   send     http_action_send(&op->act, &x->http, "POST", path, content_type, body, on_answer)
 *   answer   struct my_op *op = http_action_received(ud);   first thing: the
 *                                                           request is gone
 *   end      http_action_end(&op->act, ok, message)      answers, frees the op, and
 *                                                        refreshes the backend when ok
 *   destroy  http_actions_drop(&x->actions)              cancels each request and drops
 *                                                        its backend_request unanswered
 *
 * Since http_request() never calls back before it returns, the handle kept
 * in act.http is always the one in flight.
 */
#ifndef OPSDECK_HTTP_ACTION_H
#define OPSDECK_HTTP_ACTION_H

#include "backend.h"
#include "http.h"

#include <stdbool.h>

struct http_actions;

struct http_action {
    struct backend *b;
    struct backend_request *request; /* what is asked; answered once by http_action_end */
    struct http_request *http;       /* the request in flight, or NULL */
    struct http_actions *list;
    struct http_action *next;
};

struct http_actions {
    struct http_action *head;
    void (*free_op)(struct http_action *act); /* frees the op act is the first member of */
};

void http_actions_init(struct http_actions *list, void (*free_op)(struct http_action *act));
/*
 * The backend goes away: cancel every request in flight and let each
 * backend_request go unanswered (backend_drop: whoever asked is shutting
 * down too; its "started" audit line stays, as after a crash).
 */
void http_actions_drop(struct http_actions *list);

/* Start act (zeroed, the first member of a new op) on req: it joins the list. */
void http_action_begin(struct http_actions *list, struct http_action *act, struct backend *b,
                       struct backend_request *req);
/* METHOD path as act's request; cb gets act (the op) as its ud. body may be NULL. */
void http_action_send(struct http_action *act, const struct http_settings *s, const char *method,
                      const char *path, const char *content_type, const char *body,
                      http_done_cb cb);
/* In cb, first: the request has answered and is gone. Returns ud (the op). */
void *http_action_received(void *ud);
/*
 * The answer, exactly once: act leaves the list, its request is answered,
 * the op is freed; when ok, the backend refreshes (now, or after the poll in
 * flight, whose answer may predate the change).
 */
void http_action_end(struct http_action *act, bool ok, const char *message);

#endif
