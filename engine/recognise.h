/*
 * A shell block that does what a console action does (docs/runbooks.md
 * "Blocks the console can do"): a wiki runbook's socat drain, kubectl
 * rollout, amtool silence or rabbitmqctl purge, recognised so that the
 * runbook pane can offer the console's own confirmed, audited action for it.
 *
 *   echo "set server BE/SRV state drain|ready|maint" | socat stdio SOCK
 *   echo "set weight BE/SRV N" | nc -U SOCK   (also "set server BE/SRV weight N",
 *   "disable server BE/SRV" = maint, "enable server BE/SRV" = ready; socat,
 *   nc, ncat or hatop must be in the block; a here-string works too)
 *   kubectl [-n NS] rollout restart|undo|pause|resume deploy/NAME
 *   kubectl [-n NS] scale deploy/NAME --replicas=N
 *   amtool silence add [alertname=]NAME [LABEL=VALUE...] [-d|--duration D]
 *   amtool silence expire ID
 *   rabbitmqctl purge_queue NAME [-p VHOST]
 *
 * One block, one action: a block that holds two of them (or one of them
 * and something else that changes a system, e.g. two socat lines) is not
 * recognised; it still runs as shell. Anything the console action cannot do
 * the same way (`rollout undo --to-revision`, a silence with a regex
 * matcher, kubectl on something other than a deployment) is not recognised
 * either. recognise() reads the text only: ${name} references stay in the
 * target as written, for the caller to expand. recognise_backend() then
 * finds the configured backend that does it: one of the system's type
 * first, else any backend with that verb on that pane (the demo), and checks
 * that the target is a row of it once that backend has answered.
 * No curses; no I/O.
 */
#ifndef OPSDECK_RECOGNISE_H
#define OPSDECK_RECOGNISE_H

#include <stdbool.h>
#include <stddef.h>

struct backend;
struct store;
struct action_def;

struct recog {
    const char *system; /* "haproxy", "kubernetes", "alertmanager", "rabbitmq" */
    const char *pane;   /* "pools", "deploys", "alerts", "silences", "queues" */
    const char *verb;   /* the console's verb: "drain", "weight", "restart", "silence"... */
    char *target;       /* the row: be_web/web3, shop/checkout, VHOST/QUEUE, a silence id;
                           a silence: the alert's name */
    char *input;        /* weight, replicas, duration; NULL when the action takes none */
};

/* Recognise code; false when it is not (exactly) one console action. */
bool recognise(const char *code, struct recog *out);
void recog_finish(struct recog *r); /* a zeroed one is fine */

/* What it does, as the hint says it: "drains be_web/web3", "scales shop/web to 3". Caller frees. */
char *recog_describe(const struct recog *r, const char *target);

/*
 * The backend and action for r on target (the row key, variables already
 * expanded), and the row key to act on (*key: for a silence, the key of the
 * one alert row named target; else target). NULL with *cause when no backend
 * does it, or its rows (once it has answered) hold no such target.
 */
struct backend *recognise_backend(const struct recog *r, const char *target,
                                  struct backend **backends, size_t n, const struct store *st,
                                  const struct action_def **def, char **key, char **cause);

#endif
