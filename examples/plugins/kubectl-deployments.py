#!/usr/bin/env python3
"""opsdeck exec plugin: Kubernetes deployments in the Deployments pane.

Poll (no arguments): runs `kubectl get deployments -A -o json` and prints the
opsdeck row schema (docs/plugins.md), one row per deployment, key
NAMESPACE/NAME. KUBECTL names the client (kubectl); KUBE_CONTEXT, when set,
is passed as --context. Set KUBE_NAMESPACE to list one namespace instead of all.

ROLLOUT is an approximation of `kubectl rollout status`, from the object alone
(no ReplicaSets are read):
  paused       spec.paused
  failed       condition Progressing=False (reason ProgressDeadlineExceeded)
  progressing  the controller has not seen the newest spec yet
               (status.observedGeneration < metadata.generation), or fewer
               replicas are updated or available than wanted, or old replicas
               are still running (status.replicas > updatedReplicas)
  complete     otherwise
The real command also waits on the new ReplicaSet; a rollout can read
"complete" here a moment before kubectl says so.

Action (see plugins.ini): restart NAMESPACE/NAME -> kubectl rollout restart.
kubectl runs with an argument list, never through a shell.
"""
import datetime
import json
import os
import subprocess
import sys

KUBECTL = os.environ.get("KUBECTL", "kubectl")


def kubectl(*args):
    cmd = [KUBECTL] + list(args)
    if os.environ.get("KUBE_CONTEXT"):
        cmd += ["--context", os.environ["KUBE_CONTEXT"]]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except FileNotFoundError:
        sys.exit(f"{KUBECTL} not found (install kubectl or set KUBECTL)")
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        sys.exit(err[-1] if err else f"{KUBECTL} exited {p.returncode}")
    return p.stdout.decode("utf-8", "replace")


def epoch(ts):
    try:
        return int(datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
                   .replace(tzinfo=datetime.timezone.utc).timestamp())
    except (TypeError, ValueError):
        return None


def rollout(d):
    spec, status, meta = d.get("spec", {}), d.get("status", {}), d.get("metadata", {})
    want = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    available = status.get("availableReplicas", 0)
    if spec.get("paused"):
        return "paused", "muted"
    for c in status.get("conditions", []):
        if c.get("type") == "Progressing" and c.get("status") == "False":
            return "failed", "crit"
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return "progressing", "info"
    if updated < want or available < want or status.get("replicas", 0) > updated:
        return "progressing", "info"
    return "complete", "normal"


def rows(doc):
    out = []
    for d in doc.get("items", []):
        meta, spec, status = d.get("metadata", {}), d.get("spec", {}), d.get("status", {})
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        want = spec.get("replicas", 1)
        ready = status.get("readyReplicas", 0)
        state, tone = rollout(d)
        containers = spec.get("template", {}).get("spec", {}).get("containers", [])
        images = [c.get("image", "") for c in containers]
        cells = {"NAMESPACE": ns, "DEPLOYMENT": name, "READY": f"{ready}/{want}",
                 "UP2D": status.get("updatedReplicas", 0),
                 "AVAIL": status.get("availableReplicas", 0), "ROLLOUT": state,
                 "IMAGE": images[0] + (f" (+{len(images) - 1})" if len(images) > 1 else "")
                 if images else ""}
        created = epoch(meta.get("creationTimestamp"))
        if created is not None:
            cells["AGE"] = created
        detail = {"generation": meta.get("generation", 0),
                  "observedGeneration": status.get("observedGeneration", 0),
                  "rollout": "approximated from the Deployment object (see the plugin)"}
        for c in status.get("conditions", []):
            detail[f"condition {c.get('type')}"] = \
                f"{c.get('status')} {c.get('reason', '')}: {c.get('message', '')}".strip()
        out.append({"key": f"{ns}/{name}", "cells": cells,
                    "tones": {"ROLLOUT": tone} if tone != "normal" else {},
                    "tone": "crit" if state == "failed" else "normal", "detail": detail})
    return out


def main(argv):
    if not argv:
        scope = ["-n", os.environ["KUBE_NAMESPACE"]] if os.environ.get("KUBE_NAMESPACE") else ["-A"]
        try:
            doc = json.loads(kubectl("get", "deployments", *scope, "-o", "json"))
        except json.JSONDecodeError:
            sys.exit("kubectl printed something that is not JSON")
        print(json.dumps({"rows": rows(doc)}))
        return 0
    if argv[0] == "restart" and len(argv) == 2 and "/" in argv[1]:
        ns, name = argv[1].split("/", 1)
        print(kubectl("rollout", "restart", f"deployment/{name}", "-n", ns).strip())
        return 0
    print("usage: kubectl-deployments.py [restart NAMESPACE/NAME]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
