#!/usr/bin/env python3
"""A small stand-in for the Kubernetes API server's apps/v1 Deployments API.

No API server can run in the test environment, so this serves the documented
shapes (apps/v1 Deployment, DeploymentList, ReplicaSetList; autoscaling/v1
Scale; v1 Status for errors) from fixtures, and keeps state so that PATCHes
show in later GETs the way the deployment controller would make them show:

  - a change to spec bumps metadata.generation (observedGeneration follows);
  - a change to spec.template makes a new revision: the owned ReplicaSet with
    the same template (an undo) gets the next revision number, or a new
    ReplicaSet is created with it, and the rollout starts (1 pod updated);
  - spec.paused and the scale subresource's spec.replicas take effect.

Every API request is appended to the --log file as one JSON line: method,
path, query, content_type, authorization, body. Faults are switched at run
time with POST /_control {"mode": ...}: ok, 401, 403, 404, 500 (Status bodies),
garbage, truncated, wrongtype, hang (never answers); {"delete": "ns/name"}
removes a deployment; {"max_page": N} caps the page size so that paging is
exercised.

Also GET /version (version.Info) and POST /apis/authorization.k8s.io/v1/
selfsubjectaccessreviews: the review is checked for the documented shape
(apiVersion, kind, spec.resourceAttributes) and answered 201 with
status.allowed; {"deny": {"patch deployments/scale": "reason", ...}} through
/_control denies those ("VERB RESOURCE[/SUBRESOURCE]", or "... in NAMESPACE"
for one namespace only; the reason may be empty, as RBAC leaves it), {"deny":
{}} allows everything again. Denied reviews say status.allowed false. With --token, a request without "Authorization: Bearer TOKEN" gets
401. With --cert and --key it speaks HTTPS. The port (picked by the OS) is
printed on stdout.
"""
import argparse
import base64
import copy
import hashlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"deployments": [], "replicasets": [], "mode": "ok", "max_page": 0, "rv": 5000000,
         "deny": {}}
VERSION = {"major": "1", "minor": "28", "gitVersion": "v1.28.4", "gitCommit": "bae2c62678db2b5053817bc97181fcc2e8388103",
           "gitTreeState": "clean", "buildDate": "2023-11-15T16:48:54Z", "goVersion": "go1.20.11",
           "compiler": "gc", "platform": "linux/amd64"}
ALLOWED_BY = 'RBAC: allowed by ClusterRoleBinding "opsdeck" of ClusterRole "opsdeck-deployer" to ServiceAccount "opsdeck/ops"'
ARGS = None
REV = "deployment.kubernetes.io/revision"


def status_body(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


def not_found(name, kind="deployments"):
    return 404, status_body(404, "NotFound", '%s.apps "%s" not found' % (kind, name),
                            {"name": name, "group": "apps", "kind": kind})


FAULTS = {
    "401": (401, status_body(401, "Unauthorized", "Unauthorized")),
    "403": (403, status_body(403, "Forbidden",
                             'deployments.apps is forbidden: User "system:serviceaccount:ops:opsdeck" '
                             'cannot list resource "deployments" in API group "apps" at the cluster scope',
                             {"group": "apps", "kind": "deployments"})),
    "500": (500, status_body(500, "InternalError",
                             "Internal error occurred: etcdserver: request timed out")),
}


def next_rv():
    STATE["rv"] += 1
    return str(STATE["rv"])


def find(ns, name):
    for d in STATE["deployments"]:
        if d["metadata"]["namespace"] == ns and d["metadata"]["name"] == name:
            return d
    return None


def merge_patch(target, patch):
    """RFC 7386; the strategic merge patches opsdeck sends touch no lists, where the two differ."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def json_patch(doc, ops):
    for op in ops:
        if op.get("op") not in ("replace", "add"):
            raise ValueError("unsupported op %r" % op.get("op"))
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node = doc
        for p in parts[:-1]:
            node = node[p]
        if op["op"] == "replace" and parts[-1] not in node:
            raise ValueError("replace of a missing path %s" % op["path"])
        node[parts[-1]] = copy.deepcopy(op["value"])
    return doc


def without_hash(template):
    t = copy.deepcopy(template)
    t.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return t


def owned(d):
    uid = d["metadata"]["uid"]
    return [r for r in STATE["replicasets"]
            if any(o.get("uid") == uid for o in r["metadata"].get("ownerReferences", []))]


def new_revision(d):
    """The controller's side of a template change: which ReplicaSet is current, and its revision."""
    mine = owned(d)
    top = max([int(r["metadata"]["annotations"].get(REV, "0")) for r in mine] + [0]) + 1
    want = without_hash(d["spec"]["template"])
    match = next((r for r in mine if without_hash(r["spec"]["template"]) == want), None)
    if match is None:
        h = hashlib.sha256(json.dumps(want, sort_keys=True).encode()).hexdigest()[:10]
        t = copy.deepcopy(want)
        t.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        name = d["metadata"]["name"]
        match = {"metadata": {"name": "%s-%s" % (name, h), "namespace": d["metadata"]["namespace"],
                              "uid": "rs-%s-%d" % (h, top), "resourceVersion": next_rv(),
                              "generation": 1, "creationTimestamp": now(),
                              "labels": dict(t["metadata"]["labels"]), "annotations": {},
                              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                   "name": name, "uid": d["metadata"]["uid"],
                                                   "controller": True, "blockOwnerDeletion": True}]},
                 "spec": {"replicas": 0, "selector": {"matchLabels": dict(t["metadata"]["labels"])},
                          "template": t},
                 "status": {"replicas": 0, "observedGeneration": 1}}
        STATE["replicasets"].append(match)
    match["metadata"]["annotations"][REV] = str(top)
    d["metadata"].setdefault("annotations", {})[REV] = str(top)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def set_progressing(d, status, reason, message):
    conds = d["status"].setdefault("conditions", [])
    c = next((c for c in conds if c.get("type") == "Progressing"), None)
    if c is None:
        c = {"type": "Progressing"}
        conds.append(c)
    c.update({"status": status, "reason": reason, "message": message,
              "lastUpdateTime": now(), "lastTransitionTime": now()})


def after_change(d, before):
    """What the controller would do once it observes the new spec."""
    if d["spec"] != before["spec"]:
        d["metadata"]["generation"] += 1
    st = d["status"]
    st["observedGeneration"] = d["metadata"]["generation"]
    replicas = d["spec"].get("replicas", 1)
    if d["spec"]["template"] != before["spec"]["template"]:
        new_revision(d)
        # a rollout starts: one new pod, the old ones still there
        st["updatedReplicas"] = min(1, replicas)
        st["replicas"] = replicas + st["updatedReplicas"]
        set_progressing(d, "True", "ReplicaSetUpdated",
                        'ReplicaSet "%s" is progressing.' % d["metadata"]["name"])
    if d["spec"].get("paused") and not before["spec"].get("paused"):
        set_progressing(d, "Unknown", "DeploymentPaused", "Deployment is paused")
    if before["spec"].get("paused") and not d["spec"].get("paused"):
        set_progressing(d, "True", "DeploymentResumed", "Deployment is resumed")
    if replicas != before["spec"].get("replicas", 1) and st.get("updatedReplicas", 0) >= before[
            "spec"].get("replicas", 1):
        # a settled deployment scales at once
        for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            st[k] = replicas
    d["metadata"]["resourceVersion"] = next_rv()


def scale_of(d):
    m = d["metadata"]
    sel = ",".join("%s=%s" % kv for kv in d["spec"]["selector"].get("matchLabels", {}).items())
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
                         "resourceVersion": m["resourceVersion"],
                         "creationTimestamp": m["creationTimestamp"]},
            "spec": {"replicas": d["spec"].get("replicas", 1)},
            "status": {"replicas": d["status"].get("replicas", 0), "selector": sel}}


def list_page(kind, items, query):
    limit = int(query.get("limit", ["0"])[0] or 0)
    if STATE["max_page"]:
        limit = min(limit, STATE["max_page"]) if limit else STATE["max_page"]
    start = 0
    if "continue" in query:
        start = int(base64.urlsafe_b64decode(query["continue"][0]).decode())
    meta = {"resourceVersion": str(STATE["rv"])}
    end = start + limit if limit else len(items)
    if end < len(items):
        meta["continue"] = base64.urlsafe_b64encode(str(end).encode()).decode()
        meta["remainingItemCount"] = len(items) - end
    return {"kind": kind, "apiVersion": "apps/v1", "metadata": meta,
            "items": copy.deepcopy(items[start:end])}


def selected(obj, selector):
    if not selector:
        return True
    labels = obj["metadata"].get("labels", {})
    for term in selector.split(","):
        k, _, v = term.partition("=")
        if labels.get(k) != v:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode("utf-8", "replace") if n else ""

    def record(self, body):
        u = urllib.parse.urlsplit(self.path)
        line = {"method": self.command, "path": u.path, "query": u.query,
                "content_type": self.headers.get("Content-Type"),
                "authorization": self.headers.get("Authorization"), "body": body}
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(line) + "\n")

    def do_GET(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        body = self.body()
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_control":
            return self.control(body)
        if u.path.startswith("/_state/"):
            with LOCK:
                ns, _, name = u.path[len("/_state/"):].partition("/")
                d = find(ns, name)
                return self.reply(200 if d else 404, d or {})
        self.record(body)
        if ARGS.token and self.headers.get("Authorization") != "Bearer " + ARGS.token:
            return self.reply(*FAULTS["401"])
        mode = STATE["mode"]
        if mode == "hang":
            time.sleep(120)
            return None
        if mode in FAULTS:
            return self.reply(*FAULTS[mode])
        if mode == "404":
            return self.reply(*not_found("anything"))
        if mode == "garbage":
            return self.reply(200, b"<html><body>502 Bad Gateway</body></html>\n", "text/html")
        if mode == "truncated":
            return self.reply(200, b'{"kind":"DeploymentList","apiVersion":"apps/v1","items":[{"metad')
        if mode == "wrongtype":
            return self.reply(200, {"kind": "DeploymentList", "apiVersion": "apps/v1",
                                    "metadata": {}, "items": "none"})
        with LOCK:
            code, out = self.api(u, urllib.parse.parse_qs(u.query), body)
        self.reply(code, out)

    def control(self, body):
        c = json.loads(body or "{}")
        with LOCK:
            if "mode" in c:
                STATE["mode"] = c["mode"]
            if "deny" in c:
                STATE["deny"] = dict(c["deny"])
            if "max_page" in c:
                STATE["max_page"] = int(c["max_page"])
            if "delete" in c:
                ns, _, name = c["delete"].partition("/")
                STATE["deployments"] = [d for d in STATE["deployments"]
                                        if (d["metadata"]["namespace"], d["metadata"]["name"]) != (ns, name)]
        self.reply(200, {"ok": True})

    def review(self, body):
        """A SelfSubjectAccessReview, answered from STATE["deny"]."""
        try:
            r = json.loads(body)
            ra = r["spec"]["resourceAttributes"]
            assert r.get("apiVersion") == "authorization.k8s.io/v1", r.get("apiVersion")
            assert r.get("kind") == "SelfSubjectAccessReview", r.get("kind")
            assert isinstance(ra.get("verb"), str) and isinstance(ra.get("resource"), str), ra
        except (ValueError, KeyError, TypeError, AssertionError) as e:
            return 400, status_body(400, "BadRequest", "bad SelfSubjectAccessReview: %r" % (e,))
        what = "%s %s%s" % (ra["verb"], ra["resource"],
                            "/" + ra["subresource"] if ra.get("subresource") else "")
        ns = ra.get("namespace", "")
        status = {"allowed": True, "reason": ALLOWED_BY}
        for key in (what, "%s in %s" % (what, ns)):
            if key in STATE["deny"]:
                status = {"allowed": False}
                if STATE["deny"][key]:
                    status["reason"] = STATE["deny"][key]
        out = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {"creationTimestamp": None}, "spec": r["spec"], "status": status}
        return 201, out

    def api(self, u, query, body):
        if self.command == "GET" and u.path == "/version":
            return 200, VERSION
        if u.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
            if self.command != "POST":
                return 405, status_body(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return self.review(body)
        p = u.path.rstrip("/").split("/")
        # ['', 'apis', 'apps', 'v1', ...]
        if p[:4] != ["", "apis", "apps", "v1"]:
            return 404, status_body(404, "NotFound", "the server could not find the requested resource")
        rest = p[4:]
        if self.command == "GET" and rest == ["deployments"]:
            return 200, list_page("DeploymentList", STATE["deployments"], query)
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns = rest[1]
            if self.command == "GET" and rest[2:] == ["deployments"]:
                items = [d for d in STATE["deployments"] if d["metadata"]["namespace"] == ns]
                return 200, list_page("DeploymentList", items, query)
            if self.command == "GET" and rest[2:] == ["replicasets"]:
                sel = query.get("labelSelector", [""])[0]
                items = [r for r in STATE["replicasets"]
                         if r["metadata"]["namespace"] == ns and selected(r, sel)]
                return 200, list_page("ReplicaSetList", items, query)
            if len(rest) >= 4 and rest[2] == "deployments":
                return self.deployment(ns, rest[3], rest[4:], body)
        return 404, status_body(404, "NotFound", "the server could not find the requested resource")

    def deployment(self, ns, name, sub, body):
        d = find(ns, name)
        if d is None:
            return not_found(name)
        if sub not in ([], ["scale"]):
            return 404, status_body(404, "NotFound", "the server could not find the requested resource")
        if self.command == "GET":
            out = copy.deepcopy(d)
            if sub == []:
                out.update({"kind": "Deployment", "apiVersion": "apps/v1"})
                return 200, out
            return 200, scale_of(d)
        if self.command != "PATCH":
            return 405, status_body(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            patch = json.loads(body)
        except ValueError as e:
            return 400, status_body(400, "BadRequest", "error decoding patch: %s" % e)
        before = copy.deepcopy(d)
        try:
            if sub == ["scale"]:
                if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                    raise TypeError(ctype)
                s = merge_patch(scale_of(d), patch)
                n = s["spec"]["replicas"]
                if not isinstance(n, int) or n < 0:
                    return 422, status_body(422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: %r: must be greater than or equal to 0' % (name, n))
                d["spec"]["replicas"] = n
            elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                merged = merge_patch(copy.deepcopy(d), patch)
                d.clear()
                d.update(merged)
            elif ctype == "application/json-patch+json":
                patched = json_patch(copy.deepcopy(d), patch)
                d.clear()
                d.update(patched)
            else:
                raise TypeError(ctype)
        except TypeError as e:
            return 415, status_body(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got %s)" % e)
        except (ValueError, KeyError) as e:
            return 422, status_body(422, "Invalid", "the patch could not be applied: %s" % e)
        after_change(d, before)
        if sub == ["scale"]:
            return 200, scale_of(d)
        out = copy.deepcopy(d)
        out.update({"kind": "Deployment", "apiVersion": "apps/v1"})
        return 200, out


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token")
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--key", help="and this key (PEM)")
    ARGS = ap.parse_args()
    with open(os.path.join(ARGS.fixtures, "deployments.json")) as f:
        STATE["deployments"] = json.load(f)["items"]
    with open(os.path.join(ARGS.fixtures, "replicasets.json")) as f:
        STATE["replicasets"] = json.load(f)["items"]
    STATE["mode"] = ARGS.mode
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
