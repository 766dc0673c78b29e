/*
 * The bookkeeping of actions over HTTP (http_action.h): a list of those in
 * flight, one handle each, one answer each.
 */
#include "http_action.h"

#include <stddef.h>
#include <string.h>

void http_actions_init(struct http_actions *list, void (*free_op)(struct http_action *act))
{
    list->head = NULL;
    list->free_op = free_op;
}

void http_actions_drop(struct http_actions *list)
{
    while (list->head != NULL) {
        struct http_action *act = list->head;
        list->head = act->next;
        http_cancel(act->http);
        backend_drop(act->request);
        list->free_op(act);
    }
}

void http_action_begin(struct http_actions *list, struct http_action *act, struct backend *b,
                       struct backend_request *req)
{
    act->b = b;
    act->request = req;
    act->http = NULL;
    act->list = list;
    act->next = list->head;
    list->head = act;
}

void http_action_send(struct http_action *act, const struct http_settings *s, const char *method,
                      const char *path, const char *content_type, const char *body, http_done_cb cb)
{
    act->http = http_request(act->b->loop, s, method, path, content_type, body,
                             body != NULL ? strlen(body) : 0, cb, act);
}

void *http_action_received(void *ud)
{
    struct http_action *act = ud;
    act->http = NULL;
    return act;
}

void http_action_end(struct http_action *act, bool ok, const char *message)
{
    struct backend *b = act->b;
    for (struct http_action **p = &act->list->head; *p != NULL; p = &(*p)->next) {
        if (*p == act) {
            *p = act->next;
            break;
        }
    }
    backend_done(act->request, ok, message);
    act->list->free_op(act);
    if (ok) {
        backend_poll_now(b);
    }
}
