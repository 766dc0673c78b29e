/*
 * The Kubernetes Deployments backend (apps/v1): every Deployment in one
 * namespace or in all of them, with the rollout state `kubectl rollout status`
 * would report, and the rollout actions: restart, pause, resume, scale, undo.
 * kubernetes.c is the backend (polling, actions); kubernetes_parse.c reads
 * what the API answers (every function below but the backend itself).
 */
#ifndef OPSDECK_KUBERNETES_H
#define OPSDECK_KUBERNETES_H

#include "alertmanager.h"
#include "backend.h"
#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct strbuf;

extern const struct backend_impl kubernetes_backend;

/*
 * The rollout state of one Deployment object, in the order `kubectl rollout
 * status` checks it (generation not yet observed, progress deadline exceeded,
 * then paused, then the replica counts). *why (caller frees) says what is
 * awaited ("2 of 3 updated replicas are available"), or is NULL.
 */
enum rollout kubernetes_rollout_state(const struct cJSON *deploy, char **why);

/*
 * Parse one page of GET .../deployments (a DeploymentList) into rows of rs,
 * keyed "namespace/name" (made unique through keys, which spans the pages).
 * *cont (caller frees) is metadata.continue when more pages follow, else NULL.
 * False with *cause on anything that is not a DeploymentList; items that are
 * not objects are skipped, fields of the wrong type count as missing. The
 * items are read one at a time (common/jsonstream.h): the kind is checked
 * once the list is read, so on failure rs may hold rows: drop it.
 */
bool kubernetes_parse_deployments(const char *body, size_t len, struct rowset *rs, int64_t now,
                                  struct model_keys *keys, char **cont, char **cause);

/*
 * The same in pieces, for a page streamed on the loop (kubernetes.c): each
 * element of "items" (one row, or nothing when it is not an object); at the
 * end, the rest of the document (json_stream_rest: kind and
 * metadata.continue) read as above; a stream's failure worded as above
 * (caller frees).
 */
void kubernetes_list_item(struct rowset *rs, const struct cJSON *item, int64_t now,
                          struct model_keys *keys);
bool kubernetes_list_end(const struct cJSON *rest, char **cont, char **cause);
char *kubernetes_list_cause(const char *stream_cause);

/*
 * From a ReplicaSetList body, the ReplicaSet owned by the Deployment whose
 * uid is owner_uid with the highest deployment.kubernetes.io/revision below
 * current. True with *template (its pod template, without the
 * pod-template-hash label; caller deletes) and *revision; false with *cause
 * ("no previous revision of ...") otherwise.
 */
bool kubernetes_previous_revision(const char *body, size_t len, const char *owner_uid, long current,
                                  struct cJSON **template_out, long *revision, char **cause);

/*
 * A failed response as a pane shows it: a Kubernetes Status body by its
 * message ("HTTP 403 Forbidden: deployments.apps is forbidden: ..."), anything
 * else as http_describe_failure() does. Caller frees.
 */
char *kubernetes_describe_failure(const struct http_response *r);

/* ---- read by the actions too (kubernetes.c) ---- */

/* The pod template annotation `kubectl rollout restart` sets (and the detail shows). */
#define KUBERNETES_RESTARTED_ANNOTATION "kubectl.kubernetes.io/restartedAt"

/* An object's deployment.kubernetes.io/revision annotation; -1 when missing or not a number. */
long kubernetes_revision(const struct cJSON *obj);
/* A Deployment's spec.replicas (1 when missing, as the API server defaults it). */
int64_t kubernetes_replicas(const struct cJSON *deploy);
/* A selector's matchLabels appended to sb as a label selector: "app=web,tier=front". */
void kubernetes_selector_text(struct strbuf *sb, const struct cJSON *selector);

#endif
