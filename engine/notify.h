/*
 * Notifications from runbook steps (and drills): a Slack incoming webhook, or
 * the PagerDuty Events API v2 (trigger / acknowledge / resolve). One POST
 * through backends/http.c on the loop; URLs and keys come from environment
 * variables read at send time and never appear in messages, journals or
 * reports.
 */
#ifndef OPSDECK_NOTIFY_H
#define OPSDECK_NOTIFY_H

#include <stdbool.h>

struct loop;
struct notify;

struct notify_request {
    const char *service;         /* "slack" or "pagerduty" */
    const char *message;         /* text / summary, variables already expanded */
    const char *url_env;         /* slack: required; pagerduty: optional endpoint override */
    const char *routing_key_env; /* pagerduty */
    const char *event;           /* pagerduty: trigger (NULL), acknowledge, resolve */
    const char *severity;        /* pagerduty: NULL = error */
    const char *dedup_key;       /* pagerduty */
    const char *source;          /* pagerduty payload.source: NULL = host name */
    int timeout_ms;              /* 0: 10 s */
};

/* ok, the HTTP status (0 on transport errors) and a message without secrets. */
typedef void (*notify_done_cb)(bool ok, long status, const char *message, void *ud);

/* Is everything it needs present (known service, env vars set)? false with *cause. */
bool notify_check(const struct notify_request *r, char **cause);

/*
 * Send. NULL with *cause when it cannot even start (missing env var, bad
 * service); otherwise cb runs exactly once on the loop unless cancelled.
 */
struct notify *notify_send(struct loop *loop, const struct notify_request *r, notify_done_cb cb,
                           void *ud, char **cause);
void notify_cancel(struct notify *n);

#endif
