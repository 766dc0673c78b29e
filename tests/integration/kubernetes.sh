#!/bin/bash
# The kubernetes backend against kubeserver.py (a stateful stand-in for the
# API server's apps/v1 Deployments API; no real API server runs here): list,
# paging, one namespace, the rollout states, and every action through
# `opsdeck act`, checked against the requests the server recorded (method,
# path, query, content type, exact body, the bearer token), the server's state
# after, the next snapshot and the audit log; then the failures: 401/403/404/
# 500 Status bodies, garbage, a cut body, wrong types, refused, a hang. And
# `opsdeck doctor`: /version, one SelfSubjectAccessReview per permission the
# actions use (their exact bodies checked), RBAC allowing all, denying some
# (in one namespace, with and without a reason), denying get; 401, refused, hung.
#
# env: OPSDECK = the opsdeck binary. TAP output; exit status 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES="$HERE/../fixtures/kubernetes"

T=$(mktemp -d /tmp/opsdeck-kube.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config" USER=opsdeck-it
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

. "$HERE/../tap.sh"

# a token that could not appear in any output by chance
TOKEN="kube-tok-$RANDOM$RANDOM-$$-secret"
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"

# start_server NAME ARGS...: a kubeserver.py on a free port; sets PORT_<NAME>
start_server() {
    local name=$1
    shift
    python3 "$HERE/kubeserver.py" --fixtures "$FIXTURES" --log "$T/$name.jsonl" "$@" \
        >"$T/$name.port" 2>"$T/$name.log" &
    PIDS+=($!)
    wait_until 10 test -s "$T/$name.port" || bail "kubeserver $name did not start"
    printf -v "PORT_$name" '%s' "$(head -1 "$T/$name.port")"
    touch "$T/$name.jsonl"
}
start_server api --token "$TOKEN"
start_server proxy
# an API server with its own CA-less self-signed certificate, as a cluster's is
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=kube-apiserver" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$T/tls.key" -out "$T/ca.crt" >"$T/openssl.log" 2>&1 || bail "openssl could not make a certificate"
start_server tls --token "$TOKEN" --cert "$T/ca.crt" --key "$T/tls.key"
# bound and released: nothing listens there
read -r CLOSED_PORT < <(free_ports 1)
API="http://127.0.0.1:$PORT_api"

cat >"$T/k8s.ini" <<INI
[backend "k8s"]
type = kubernetes
url = $API
auth = bearer
token_file = $T/token
timeout = 2s
INI
cat >"$T/ns.ini" <<INI
[backend "k8s"]
type = kubernetes
url = $API
auth = bearer
token_file = $T/token
namespace = shop
INI
cat >"$T/noauth.ini" <<INI
[backend "k8s"]
type = kubernetes
url = $API
INI
cat >"$T/proxy.ini" <<INI
[backend "k8s"]
type = kubernetes
url = http://127.0.0.1:$PORT_proxy
INI
cat >"$T/tls.ini" <<INI
[backend "k8s"]
type = kubernetes
url = https://127.0.0.1:$PORT_tls
auth = bearer
token_env = KUBE_TOKEN
ca_file = $T/ca.crt
INI
cat >"$T/tls-noca.ini" <<INI
[backend "k8s"]
type = kubernetes
url = https://127.0.0.1:$PORT_tls
auth = bearer
token_env = KUBE_TOKEN
INI
cat >"$T/dead.ini" <<INI
[backend "k8s"]
type = kubernetes
url = http://127.0.0.1:$CLOSED_PORT
timeout = 2s
INI

control() { # JSON
    python3 -c '
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/_control", data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(req, timeout=5).read()
' "$API" "$1"
}
mark() { # the request log's current length: checks look at what came after
    wc -l <"$T/api.jsonl"
}
# req_check PYTHON-EXPR: R = the requests recorded since the last mark (dicts); P = PATCHes among them
req_check() {
    python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]]
P = [r for r in R if r["method"] == "PATCH"]
B = lambda r: json.loads(r["body"])
ok = eval(sys.argv[3])
if not ok:
    print("# " + json.dumps(R)[:1500])
sys.exit(0 if ok else 1)
' "$T/api.jsonl" "$MARK" "$1"
}
# state_check NS/NAME PYTHON-EXPR: D = the deployment as the server holds it now
state_check() {
    python3 -c '
import json, sys, urllib.request
D = json.load(urllib.request.urlopen(sys.argv[1] + "/_state/" + sys.argv[2], timeout=5))
ok = eval(sys.argv[3])
if not ok:
    print("# " + json.dumps(D)[:1500])
sys.exit(0 if ok else 1)
' "$API" "$1" "$2"
}
snap() { # NAME [CONFIG]
    "$OPSDECK" snapshot --json -c "${2:-$T/k8s.ini}" >"$T/$1.json" 2>"$T/$1.err"
}
# snap_check NAME PYTHON-EXPR: R = rows by key, H = the backend's health, E = H without the
# schedule's ", next try in 3s" (issue 20)
snap_check() {
    python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
R = {r["key"]: r for r in d["panes"]["deploys"]}
H = d["backends"][0]["health"]
E = re.sub(r", next try in [0-9]+s$", "", H)
ok = eval(sys.argv[2])
if not ok:
    print("# " + H + " " + json.dumps({k: v["cells"] for k, v in R.items()})[:1500])
sys.exit(0 if ok else 1)
' "$T/$1.json" "$2"
}
rollout_is() { # KEY STATE
    snap live && snap_check live "R['$1']['cells']['ROLLOUT'] == '$2'"
}
act() { # CONFIG VERB TARGET [ARGS]
    local cfg=$1
    shift
    "$OPSDECK" act -c "$cfg" --yes k8s deploys "$@" >"$T/out" 2>"$T/err"
    local st=$?
    cat "$T/out" "$T/err" >>"$T/all-act.log"
    return $st
}
is_status() {
    local want=$1
    shift
    "$@" >>"$T/status.log" 2>&1
    local got=$?
    [ "$got" = "$want" ] || {
        echo "#   exit status $got, want $want"
        return 1
    }
}
said() { # FILE TEXT: TEXT is in FILE (fixed string)
    grep -qF -- "$2" "$1" || {
        echo "#   $1 does not say '$2':"
        sed 's/^/#     /' "$1" | head -5
        return 1
    }
}

# ---- the list ----

check "lint accepts the kubernetes config" is_status 0 "$OPSDECK" lint "$T/k8s.ini"
MARK=$(mark)
check "snapshot --json exits 0" snap first
check "the backend is healthy" snap_check first 'd["backends"][0] == {"name": "k8s", "type": "kubernetes", "health": "ok"}'
check "five deployments keyed namespace/name" snap_check first \
    'sorted(R) == ["payments/payments-api", "shop/cart", "shop/checkout", "shop/notifications", "shop/search"]'
check "ROLLOUT as kubectl rollout status says it" snap_check first \
    '{k: r["cells"]["ROLLOUT"] for k, r in R.items()} == {"shop/cart": "complete", "shop/checkout": "progressing", "payments/payments-api": "failed", "shop/notifications": "paused", "shop/search": "progressing"}'
check "READY ready/desired, UP2D, AVAIL" snap_check first \
    '[R["shop/checkout"]["cells"][c] for c in ("READY", "UP2D", "AVAIL")] == ["3/4", 2, 3]'
check "IMAGE joins the containers' images" snap_check first \
    'R["shop/checkout"]["cells"]["IMAGE"] == "registry.example.com/shop/checkout:v2.14.1,envoyproxy/envoy:v1.30.1"'
check "the failed one is critical, with the deadline's message" snap_check first \
    'R["payments/payments-api"]["tone"] == "crit" and "timed out progressing" in R["payments/payments-api"]["detail"]["condition.Progressing"]'
check "the spec not yet observed says so" snap_check first \
    'R["shop/search"]["detail"]["rollout"] == "waiting for the deployment spec update to be observed"'
check "details: revision, selector, strategy, restartedAt" snap_check first \
    '[R["shop/cart"]["detail"][k] for k in ("revision", "selector", "restartedAt")] == ["3", "app=cart", "2026-11-20T08:15:00Z"] and R["shop/cart"]["detail"]["strategy"].startswith("RollingUpdate")'
check "one GET of all namespaces, limit=500" req_check \
    '[(r["method"], r["path"], r["query"]) for r in R] == [("GET", "/apis/apps/v1/deployments", "limit=500")]'
check "the bearer token is sent" req_check "all(r['authorization'] == 'Bearer $TOKEN' for r in R)"

MARK=$(mark)
check "one namespace: snapshot exits 0" snap ns "$T/ns.ini"
check "only its deployments" snap_check ns 'sorted(R) == ["shop/cart", "shop/checkout", "shop/notifications", "shop/search"]'
check "from the namespaced path" req_check \
    '[r["path"] for r in R] == ["/apis/apps/v1/namespaces/shop/deployments"]'

control '{"max_page": 2}'
MARK=$(mark)
check "paged: snapshot exits 0" snap paged
check "every page's rows, once" snap_check paged 'len(R) == 5 and len(d["panes"]["deploys"]) == 5'
check "three pages, each asking with the continue token it was given" req_check \
    'len(R) == 3 and R[0]["query"] == "limit=500" and all(r["query"].startswith("limit=500&continue=") for r in R[1:]) and R[1]["query"] != R[2]["query"]'
control '{"max_page": 0}'

MARK=$(mark)
check "kubectl proxy (no auth): snapshot exits 0" snap proxy "$T/proxy.ini"
check "the same deployments" snap_check proxy 'len(R) == 5 and H == "ok"'
check "sent without an Authorization header" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if R and all(r["authorization"] is None for r in R) else 1)' "$T/proxy.jsonl"

check "HTTPS with the cluster CA (ca_file) and a token from the environment: exits 0" \
    is_status 0 env KUBE_TOKEN="$TOKEN" "$OPSDECK" snapshot --json -c "$T/tls.ini"
KUBE_TOKEN="$TOKEN" snap tls "$T/tls.ini"
check "gives the deployments over TLS" snap_check tls 'len(R) == 5 and H == "ok"'
check "with the token sent" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if R and all(r["authorization"] == "Bearer " + sys.argv[2] for r in R) else 1)' "$T/tls.jsonl" "$TOKEN"
check "without the CA: snapshot exits 1" is_status 1 env KUBE_TOKEN="$TOKEN" "$OPSDECK" snapshot --json -c "$T/tls-noca.ini"
KUBE_TOKEN="$TOKEN" snap tlsnoca "$T/tls-noca.ini"
check "saying the certificate is not trusted" snap_check tlsnoca '"certificate" in H.lower() or "ssl" in H.lower()'

# ---- actions ----

MARK=$(mark)
BEFORE=$(date -u +%s)
check "restart shop/cart exits 0" act "$T/k8s.ini" restart shop/cart
check "and says so" said "$T/out" "shop/cart restarted"
check "one strategic merge patch of the template's restartedAt, now" req_check "(
len(P) == 1 and P[0]['path'] == '/apis/apps/v1/namespaces/shop/deployments/cart'
and P[0]['content_type'] == 'application/strategic-merge-patch+json'
and list(B(P[0])) == ['spec'] and list(B(P[0])['spec']) == ['template']
and list(B(P[0])['spec']['template']) == ['metadata']
and list(B(P[0])['spec']['template']['metadata']) == ['annotations']
and list(B(P[0])['spec']['template']['metadata']['annotations']) == ['kubectl.kubernetes.io/restartedAt']
and __import__('calendar').timegm(__import__('time').strptime(B(P[0])['spec']['template']['metadata']['annotations']['kubectl.kubernetes.io/restartedAt'], '%Y-%m-%dT%H:%M:%SZ')) - $BEFORE in range(-1, 30))"
check "after a GET of the deployment itself" req_check \
    'R[-2]["method"] == "GET" and R[-2]["path"] == "/apis/apps/v1/namespaces/shop/deployments/cart" and R[-1] is P[0]'
check "the server has a new revision (4) and generation" state_check shop/cart \
    'D["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4" and D["metadata"]["generation"] == 5'
check "the next snapshot shows cart progressing" rollout_is shop/cart progressing

MARK=$(mark)
check "restart of a paused deployment exits 1" is_status 1 act "$T/k8s.ini" restart shop/notifications
check "saying why, as kubectl does" said "$T/err" "can't restart paused deployment shop/notifications (run rollout resume first)"
check "and writes nothing" req_check 'P == []'

MARK=$(mark)
check "pause shop/cart exits 0" act "$T/k8s.ini" pause shop/cart
check "and says so" said "$T/out" "shop/cart paused"
check "PATCH {spec: {paused: true}} as a strategic merge patch" req_check \
    'len(P) == 1 and P[0]["body"] == "{\"spec\":{\"paused\":true}}" and P[0]["content_type"] == "application/strategic-merge-patch+json" and P[0]["path"] == "/apis/apps/v1/namespaces/shop/deployments/cart"'
check "the server has it paused" state_check shop/cart 'D["spec"]["paused"] is True'
check "the next snapshot shows paused" rollout_is shop/cart paused
check "pausing again exits 1" is_status 1 act "$T/k8s.ini" pause shop/cart
check "it is already paused" said "$T/err" "shop/cart is already paused"

MARK=$(mark)
check "resume shop/cart exits 0" act "$T/k8s.ini" resume shop/cart
check "PATCH {spec: {paused: false}}" req_check \
    'len(P) == 1 and P[0]["body"] == "{\"spec\":{\"paused\":false}}" and P[0]["content_type"] == "application/strategic-merge-patch+json"'
check "the server has it running" state_check shop/cart 'D["spec"]["paused"] is False'
check "resuming again exits 1: not paused" is_status 1 act "$T/k8s.ini" resume shop/cart

MARK=$(mark)
check "scale shop/search to 5 exits 0" act "$T/k8s.ini" scale shop/search --input 5
check "saying from what to what" said "$T/out" "shop/search scaled from 2 to 5 replicas"
check "merge patch of the scale subresource" req_check \
    'len(P) == 1 and P[0]["path"] == "/apis/apps/v1/namespaces/shop/deployments/search/scale" and P[0]["content_type"] == "application/merge-patch+json" and B(P[0]) == {"spec": {"replicas": 5}}'
check "the server has 5 replicas" state_check shop/search 'D["spec"]["replicas"] == 5'
check "the next snapshot shows READY of 5" wait_until 5 eval 'snap live && snap_check live "R[\"shop/search\"][\"cells\"][\"READY\"].endswith(\"/5\")"'
check "scale to 0 exits 0" act "$T/k8s.ini" scale shop/search --input 0
check "and says clearly that no pods will run" said "$T/out" "to 0 replicas: no pods will run"
MARK=$(mark)
check "scale to 10001 exits 1" is_status 1 act "$T/k8s.ini" scale shop/search --input 10001
check "a bad count, said" said "$T/err" "bad replica count '10001'"
check "scale to -1 exits 1" is_status 1 act "$T/k8s.ini" scale shop/search --input -1
check "scale to 3x exits 1" is_status 1 act "$T/k8s.ini" scale shop/search --input 3x
check "none of them went further than act's first look at the list" req_check \
    'len(R) == 3 and all(r["method"] == "GET" and r["path"] == "/apis/apps/v1/deployments" for r in R)'

# cart is at revision 4 (the restart); revision 3 is the template before it
MARK=$(mark)
check "undo shop/cart exits 0" act "$T/k8s.ini" undo shop/cart
check "back to revision 3" said "$T/out" "shop/cart rolled back to revision 3"
check "it listed the ReplicaSets by the deployment's matchLabels" req_check \
    'any(r["method"] == "GET" and r["path"] == "/apis/apps/v1/namespaces/shop/replicasets" and r["query"] == "labelSelector=app%3Dcart" for r in R)'
check "then JSON-patched spec.template to revision 3's, without pod-template-hash" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]]
P = [r for r in R if r["method"] == "PATCH"]
rs = [r for r in json.load(open(sys.argv[3]))["items"] if r["metadata"]["name"] == "cart-5c6d7f8b9d"][0]
want = rs["spec"]["template"]
del want["metadata"]["labels"]["pod-template-hash"]
ok = (len(P) == 1 and P[0]["content_type"] == "application/json-patch+json"
      and P[0]["path"] == "/apis/apps/v1/namespaces/shop/deployments/cart"
      and json.loads(P[0]["body"]) == [{"op": "replace", "path": "/spec/template", "value": want}])
if not ok:
    print("# " + json.dumps(P)[:1500])
sys.exit(0 if ok else 1)' "$T/api.jsonl" "$MARK" "$FIXTURES/replicasets.json"
check "the server has revision 3's template back, as revision 5" state_check shop/cart \
    'D["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == "2026-11-20T08:15:00Z" and D["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "5"'
MARK=$(mark)
check "undo of a deployment with one revision exits 1" is_status 1 act "$T/k8s.ini" undo shop/search
check "there is no previous revision, said" said "$T/err" "no previous revision"
check "and nothing was written" req_check 'P == []'
check "undo of a paused deployment exits 1" is_status 1 act "$T/k8s.ini" undo shop/notifications
check "saying resume first" said "$T/err" "can't undo paused deployment shop/notifications"

control '{"delete": "shop/checkout"}'
check "restart of a vanished deployment exits 1" is_status 1 act "$T/k8s.ini" restart shop/checkout
check "with the API server's Status message" said "$T/err" 'HTTP 404 Not Found: deployments.apps "checkout" not found'
check "a target that is no namespace/name exits 1" is_status 1 act "$T/k8s.ini" restart "a/b/c"

# ---- opsdeck doctor ----

doctor() { # NAME CONFIG: `opsdeck doctor` into $T/doctor-NAME.out
    "$OPSDECK" doctor -c "$2" >"$T/doctor-$1.out" 2>"$T/doctor-$1.err"
}
line() { # NAME LINE: doctor NAME printed exactly LINE
    grep -qxF -- "$2" "$T/doctor-$1.out" || {
        echo "#   no line '$2' in:"
        sed 's/^/#     /' "$T/doctor-$1.out"
        return 1
    }
}
SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
MARK=$(mark)
check "doctor, every namespace, RBAC allowing all: exits 0" is_status 0 doctor all "$T/k8s.ini"
check "the version /version replays (gitVersion, platform)" line all "  ok    Kubernetes v1.28.4 (linux/amd64)"
check "the actions RBAC allows, where" \
    line all "  ok    actions: RBAC allows restart, pause, resume, scale, undo in every namespace"
check "one SelfSubjectAccessReview per permission, authorization.k8s.io/v1, with the token" req_check '
sorted((r["method"], r["path"], r["content_type"], r["authorization"] == "Bearer '"$TOKEN"'") for r in R if r["path"].startswith("/apis/authorization")) == [("POST", "'"$SSAR"'", "application/json", True)] * 4'
check "asking get and patch deployments, patch deployments/scale, list replicasets, namespace \"\"" req_check '(
sorted(json.dumps(B(r)["spec"]["resourceAttributes"], sort_keys=True) for r in R if r["path"] == "'"$SSAR"'") == sorted(json.dumps(x, sort_keys=True) for x in [
 {"namespace": "", "verb": "get", "group": "apps", "resource": "deployments"},
 {"namespace": "", "verb": "patch", "group": "apps", "resource": "deployments"},
 {"namespace": "", "verb": "patch", "group": "apps", "resource": "deployments", "subresource": "scale"},
 {"namespace": "", "verb": "list", "group": "apps", "resource": "replicasets"}])
and all(B(r)["kind"] == "SelfSubjectAccessReview" for r in R if r["path"] == "'"$SSAR"'"))'
check "doctor wrote nothing (no PATCH)" req_check 'P == [] and all(r["method"] in ("GET", "POST") for r in R)'

control '{"deny": {"patch deployments/scale": "", "list replicasets in shop": "RBAC: no RoleBinding in shop grants list replicasets"}}'
MARK=$(mark)
check "scale and undo denied in shop: doctor still exits 0 (a warning)" is_status 0 doctor denied "$T/ns.ini"
check "which actions, which permission, the API server's reason when it gives one" \
    line denied "  WARN  actions: RBAC in namespace shop: restart, pause, resume ok; scale denied (patch deployments/scale); undo denied (list replicasets: RBAC: no RoleBinding in shop grants list replicasets)"
check "the reviews asked about namespace shop" req_check '
[B(r)["spec"]["resourceAttributes"]["namespace"] for r in R if r["path"] == "'"$SSAR"'"] == ["shop"] * 4'
is_status 0 doctor denied-all "$T/k8s.ini"
check "the namespaced denial does not apply to every namespace" \
    line denied-all "  WARN  actions: RBAC in every namespace: restart, pause, resume, undo ok; scale denied (patch deployments/scale)"
control '{"deny": {"get deployments": ""}}'
is_status 0 doctor noget "$T/ns.ini"
check "no get: every action denied" \
    line noget "  WARN  actions: RBAC in namespace shop: restart denied (get deployments); pause denied (get deployments); resume denied (get deployments); scale denied (get deployments); undo denied (get deployments)"
control '{"deny": {}}'
check "RBAC allowing again: ok" bash -c '"$1" doctor -c "$2" | grep -qxF "  ok    actions: RBAC allows restart, pause, resume, scale, undo in namespace shop"' \
    _ "$OPSDECK" "$T/ns.ini"

check "doctor without a token exits 1" is_status 1 doctor unauth "$T/noauth.ini"
check "authentication failed, the 401 said" \
    line unauth "  FAIL  authentication failed (HTTP 401, the API server says 'Unauthorized'): auth = none sends no token (set auth = bearer and token_file)"
check "doctor on a refused port exits 1" is_status 1 doctor dead "$T/dead.ini"
check "unreachable, said once (by the first poll)" \
    test "$(grep -cE '^  FAIL  .*(refused|onnect)' "$T/doctor-dead.out")-$(grep -cE '^  FAIL  first poll failed after [0-9]+ ms: .*(refused|onnect)' "$T/doctor-dead.out")" = 1-1
control '{"mode": "hang"}'
START=$SECONDS
check "doctor on a hung server exits 1" is_status 1 doctor hang "$T/k8s.ini"
echo "# doctor on the hung server took $((SECONDS - START)) s"
check "within its bound (timeout 2s: 2 x 2 + 1 = 5 s) and a margin" test $((SECONDS - START)) -le 12
# the poll's GET is retried while the retry budget allows (issue 20: one retry on a fresh
# start, so 2 x 2 s and the jitter): the GET times out on its own, or the driver's bound ends it
check "saying what did not answer within the bound" \
    grep -qxE "  FAIL  (no answer within 5 s \(the first poll\)|first poll failed after [0-9]+ ms: timed out after 2000 ms)" \
    "$T/doctor-hang.out"
control '{"mode": "ok"}'

# ---- failures ----

check "no token: snapshot exits 1" is_status 1 snap unauth "$T/noauth.ini"
check "the 401 Status message is shown" snap_check unauth 'E == "error: HTTP 401 Unauthorized: Unauthorized"'
check "an action without a token exits 1 with the 401" is_status 1 act "$T/noauth.ini" pause shop/cart
check "saying Unauthorized" said "$T/err" "HTTP 401 Unauthorized: Unauthorized"

control '{"mode": "403"}'
check "403: snapshot exits 1" is_status 1 snap forbidden
check "the RBAC message is shown" snap_check forbidden \
    'H.startswith("error: HTTP 403 Forbidden: deployments.apps is forbidden: User \"system:serviceaccount:ops:opsdeck\" cannot list")'
check "an action on 403 exits 1 with the message" is_status 1 act "$T/k8s.ini" pause shop/cart
check "saying forbidden" said "$T/err" "deployments.apps is forbidden"
control '{"mode": "500"}'
check "500: snapshot exits 1" is_status 1 snap e500
check "the Status message is shown" snap_check e500 'E == "error: HTTP 500 Internal Server Error: Internal error occurred: etcdserver: request timed out"'
control '{"mode": "garbage"}'
check "garbage: snapshot exits 1" is_status 1 snap garbage
check "a bad response, said" snap_check garbage 'H.startswith("error: bad response from /apis/apps/v1/deployments: invalid JSON")'
control '{"mode": "truncated"}'
check "a cut body: snapshot exits 1" is_status 1 snap cut
check "a bad response, said" snap_check cut 'H.startswith("error: bad response") and "JSON" in H'
control '{"mode": "wrongtype"}'
check "items of the wrong type: snapshot exits 1" is_status 1 snap wrongtype
check "not a DeploymentList, said" snap_check wrongtype '"expected a DeploymentList" in H'
control '{"mode": "hang"}'
START=$SECONDS
check "a hung server: snapshot exits 1" is_status 1 snap hang
check "within the 2s timeout (and a margin)" test $((SECONDS - START)) -le 12
check "saying it did not answer in time" snap_check hang '"timed out" in H or "no answer within" in H'
START=$SECONDS
check "an action on a hung server exits 1" is_status 1 act "$T/k8s.ini" pause shop/cart
check "in bounded time" test $((SECONDS - START)) -le 20
control '{"mode": "ok"}'
check "refused: snapshot exits 1" is_status 1 snap dead "$T/dead.ini"
check "saying so" snap_check dead '"refused" in H or "connect" in H'

# ---- the audit log and the token ----

check "the audit log records the actions and results" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
done = [(e["action"], e["target"], e["result"]) for e in ev if e["result"] != "started"]
ok = [x for x in done if x[2] == "ok"]
want = [("restart", "shop/cart"), ("pause", "shop/cart"), ("resume", "shop/cart"),
        ("scale", "shop/search"), ("scale", "shop/search"), ("undo", "shop/cart")]
assert [x[:2] for x in ok] == want, ok
assert ("restart", "shop/notifications", "error: can'"'"'t restart paused deployment shop/notifications (run rollout resume first)") in done, done
assert all(e["data"]["type"] == "kubernetes" for e in ev), ev
sc = [e for e in ev if e["action"] == "scale" and e["result"] == "ok"]
assert [e["data"]["input"] for e in sc] == ["5", "0"], sc
' "$AUDIT"
check "the token is never printed or logged" python3 -c '
import glob, os, sys
tok = sys.argv[1]
files = [f for f in glob.glob(sys.argv[2] + "/*") if os.path.isfile(f) and not f.endswith((".jsonl", "token"))]
files.append(sys.argv[3])
bad = [f for f in files if tok in open(f, errors="replace").read()]
print("# looked in %d files" % len(files))
if bad:
    print("# found in", bad)
sys.exit(1 if bad else 0)
' "$TOKEN" "$T" "$AUDIT"

done_testing
