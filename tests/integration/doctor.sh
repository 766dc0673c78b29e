#!/bin/bash
# opsdeck doctor against real servers on free loopback ports: a real
# Alertmanager (open, then behind basic auth and in a gossip cluster of two),
# a real Prometheus, a real HAProxy with its stats page only, then the same
# HAProxy with runtime sockets (level admin, level operator, and one the user
# cannot write), a refused port (bound and released: nobody listens) and two
# hanging ones (a server that accepts and never answers, and one that answers
# the poll but hangs on the version). Versions are the real binaries' own
# (--version); the whole run with the hanging servers must end within its
# bound: timeout 1s -> 1 x 2 + 1 = 3 s per backend, all in parallel, so the
# checks end within 3.5 s by doctor's own clock, the process within 5 s (without
# the bound, the hanging servers' retries and checks would hold it 6-7 s). Then the local checks (secret file
# and config permissions, state directory, runbook dir), the terminal's (in
# tmux: size, colours; LC_ALL=C: not UTF-8), --json, --backend, -r, and exit
# statuses (0 no FAIL, 1 a FAIL, 2 a config error with file:line).
#
# env: OPSDECK = the opsdeck binary. TAP output; exit status 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
PROM_BIN=$(command -v prometheus || true)
HAPROXY_BIN=$(command -v haproxy || true)
if [ -z "$AM_BIN" ] || [ -z "$PROM_BIN" ] || [ -z "$HAPROXY_BIN" ]; then
    # not a skip: a suite that quietly tests less is not green (scripts/deps --test installs them)
    echo "not ok 1 - prometheus-alertmanager, prometheus and haproxy are installed (scripts/deps)"
    echo "1..1"
    exit 1
fi

. "$(dirname "$0")/../tap.sh"
scratch doctor
chmod 755 "$T" # the run as another user (the socket it cannot write) reads the config here

has() {
    case "$1" in *"$2"*) return 0 ;; esac
    echo "#   no '$2' in:"
    printf '%s\n' "$1" | sed 's/^/#     /'
    return 1
}
hasnt() {
    case "$1" in *"$2"*)
        echo "#   '$2' unexpected in:"
        printf '%s\n' "$1" | sed 's/^/#     /'
        return 1
        ;;
    esac
}
is() {
    [ "$1" = "$2" ] || {
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        return 1
    }
}
not_grep() {
    ! grep -q "$@"
}
# block OUTPUT NAME: the lines of one backend's block (its title to the blank line)
block() {
    printf '%s\n' "$1" | awk -v n="$2" 'index($0, n " (") == 1 { on = 1 } on && /^$/ { exit } on'
}
# doctor ARGS...: run it, OUT = stdout, RC = exit status, MS = wall time
doctor() {
    local t0
    t0=$(date +%s%N)
    OUT=$("$OPSDECK" doctor "$@" 2>"$T/doctor.err")
    RC=$?
    MS=$((($(date +%s%N) - t0) / 1000000))
    ERR=$(cat "$T/doctor.err")
}

AM_VERSION=$("$AM_BIN" --version 2>&1 | sed -n 's/^alertmanager, version \([^ ]*\).*/\1/p')
PROM_VERSION=$("$PROM_BIN" --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p')
HA_VERSION=$("$HAPROXY_BIN" -v | sed -n 's/^HA-\{0,1\}Proxy version \([^ ]*\).*/\1/p')
echo "# real servers: Alertmanager $AM_VERSION, Prometheus $PROM_VERSION, HAProxy $HA_VERSION"
[ -n "$AM_VERSION" ] && [ -n "$PROM_VERSION" ] && [ -n "$HA_VERSION" ] ||
    bail "cannot read the servers' versions"

read -r AM_PORT AMA_PORT PROM_PORT HA_STATS HA_PORT REFUSED HANG_PORT HALF_PORT AMB_PORT C1 C2 \
    < <(free_ports 11)

# ---- the servers ----

cat >"$T/alertmanager.yml" <<'YML'
route:
  receiver: 'null'
receivers:
  - name: 'null'
YML
# the same Alertmanager behind basic auth: user ops, password s3cret (bcrypt, as it wants)
# (python3's crypt, libxcrypt's bcrypt, until Python 3.13; then htpasswd from apache2-utils)
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4)))' 2>/dev/null ||
    htpasswd -nbBC 4 ops s3cret 2>/dev/null | sed -n 's/^ops://p')
case "$HASH" in '$2'*) ;; *) bail "no bcrypt hash for Alertmanager's basic auth (python3 crypt or htpasswd)" ;; esac
printf 'basic_auth_users:\n  ops: %s\n' "$HASH" >"$T/web.yml"
cat >"$T/prometheus.yml" <<'YML'
global:
  scrape_interval: 15s
YML
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
# the one behind basic auth is in a gossip cluster with a second one: "cluster ready, 2 peers"
GOSSIP=(--cluster.gossip-interval=50ms --cluster.pushpull-interval=1s --cluster.probe-interval=200ms
    --cluster.probe-timeout=200ms --cluster.settle-timeout=3s)
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/ama" --web.config.file="$T/web.yml" \
    --web.listen-address="127.0.0.1:$AMA_PORT" --cluster.listen-address="127.0.0.1:$C1" \
    --cluster.advertise-address="127.0.0.1:$C1" --cluster.peer="127.0.0.1:$C2" "${GOSSIP[@]}" \
    >"$T/ama.log" 2>&1 &
PIDS+=($!)
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/amb" \
    --web.listen-address="127.0.0.1:$AMB_PORT" --cluster.listen-address="127.0.0.1:$C2" \
    --cluster.advertise-address="127.0.0.1:$C2" --cluster.peer="127.0.0.1:$C1" "${GOSSIP[@]}" \
    >"$T/amb.log" 2>&1 &
PIDS+=($!)
"$PROM_BIN" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prom.log" 2>&1 &
PIDS+=($!)
# a server that accepts and never answers
python3 - "$HANG_PORT" >"$T/hang.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
PY
PIDS+=($!)
# an "Alertmanager" that answers the poll (no alerts, no silences) and hangs on /api/v2/status:
# the bound cuts the doctor's own checks, after the first poll
python3 - "$HALF_PORT" >"$T/half.log" 2>&1 <<'PY' &
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/api/v2/status"):
            time.sleep(600)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")
    def log_message(self, *args):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)

SOCK="$T/admin.sock"
OPSOCK="$T/operator.sock"
# haproxy_cfg WITH_SOCKETS: stats page only (no), or with the runtime API sockets (yes)
haproxy_cfg() {
    {
        echo "global"
        if [ "$1" = yes ]; then
            echo "    stats socket $SOCK mode 666 level admin"
            echo "    stats socket $OPSOCK mode 600 level operator"
        fi
        cat <<CFG
defaults
    mode http
    timeout connect 1s
    timeout client  10s
    timeout server  10s
frontend fe_web
    bind 127.0.0.1:$HA_PORT
    default_backend be_web
backend be_web
    server web1 127.0.0.1:$REFUSED weight 100
    server web2 127.0.0.1:$REFUSED weight 50
frontend stats
    bind 127.0.0.1:$HA_STATS
    stats enable
    stats uri /stats
CFG
    } >"$T/haproxy.cfg"
    "$HAPROXY_BIN" -c -q -f "$T/haproxy.cfg" >"$T/check.log" 2>&1 || bail "haproxy rejects the test config"
}
haproxy_cfg no
"$HAPROXY_BIN" -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HA_PID=$!
PIDS+=($HA_PID)

wait_until 30 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" || bail "Alertmanager did not get ready"
wait_until 30 curl -sf -u ops:s3cret "http://127.0.0.1:$AMA_PORT/-/ready" ||
    bail "Alertmanager with basic auth did not get ready"
wait_until 30 curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" || bail "Prometheus did not get ready"
wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$HA_STATS/stats;csv" || bail "no stats page"
wait_until 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HANG_PORT))" ||
    bail "the hanging server did not start"
wait_until 10 curl -sf "http://127.0.0.1:$HALF_PORT/api/v2/alerts" || bail "the half-hanging server did not start"

# ---- Alertmanager and Prometheus ----

cat >"$T/am.ini" <<INI
[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT

[backend "prom"]
type = prometheus
url = http://127.0.0.1:$PROM_PORT
INI
chmod 600 "$T/am.ini"
doctor -c "$T/am.ini"
echo "# alertmanager + prometheus: ${MS} ms"
AM=$(block "$OUT" am)
PROM=$(block "$OUT" prom)
check "alertmanager and prometheus: exit 0 (no FAIL)" is "$RC" 0
check "a header names the config" has "$OUT" "opsdeck doctor "
check "am: its block says its type and URL" has "$AM" "am (alertmanager) http://127.0.0.1:$AM_PORT"
check "am: the first poll answered" has "$AM" "  ok    answered in "
check "am: the real version, no cluster (--cluster.listen-address=)" \
    has "$AM" "  ok    Alertmanager $AM_VERSION (no cluster)"
check "am: no authentication asked" has "$AM" "  info  no authentication asked"
check "am: actions on, through API v2 silences" has "$AM" "  info  actions on (silences via API v2"
check "prom: the real version" has "$PROM" "  ok    Prometheus $PROM_VERSION"
check "prom: no actions" has "$PROM" "  info  actions: none"
check "the final line counts" has "$OUT" "0 failures"

# actions = off is said, not probed
sed -i '/^type = alertmanager/a actions = off' "$T/am.ini"
doctor -c "$T/am.ini" --backend am
check "--backend am: only am's block" hasnt "$OUT" "prom (prometheus)"
check "actions = off: said" has "$(block "$OUT" am)" "  info  actions: off (actions = off in the config)"
check "actions = off: no claim about silences" hasnt "$OUT" "silences via API v2"
printf '[backend "a1"]\ntype = demo\ncluster = pair\n[backend "a2"]\ntype = demo\ncluster = pair\n[backend "x"]\ntype = demo\n' >"$T/cl.ini"
doctor -c "$T/cl.ini" --backend pair
check "--backend CLUSTER: its members, each in its block" \
    test -n "$(block "$OUT" a1)" -a -n "$(block "$OUT" a2)" -a -z "$(block "$OUT" x)"
check "... a member's block names its cluster" has "$(block "$OUT" a1)" "a1 (demo) [cluster pair]"
doctor -c "$T/am.ini" --backend nosuch
check "--backend with an unknown name: exit 2" is "$RC" 2
check "--backend with an unknown name: says which" has "$ERR" "no backend or cluster 'nosuch'"

# ---- authentication: Alertmanager behind basic auth ----

cluster_ready() {
    curl -sf -u ops:s3cret "http://127.0.0.1:$AMA_PORT/api/v2/status" |
        python3 -c 'import json, sys; d = json.load(sys.stdin)["cluster"]; sys.exit(not (d["status"] == "ready" and len(d["peers"]) == 2))'
}
wait_until 30 cluster_ready || bail "the Alertmanager cluster did not get ready with 2 peers"

umask 077
printf 's3cret' >"$T/am.pass"
printf 'wrong' >"$T/wrong.pass"
cat >"$T/auth.ini" <<INI
[backend "good"]
type = alertmanager
url = http://127.0.0.1:$AMA_PORT
auth = basic
user = ops
password_file = $T/am.pass

[backend "bad"]
type = alertmanager
url = http://127.0.0.1:$AMA_PORT
auth = basic
user = ops
password_file = $T/wrong.pass

[backend "none"]
type = alertmanager
url = http://127.0.0.1:$AMA_PORT
INI
umask 022
doctor -c "$T/auth.ini"
check "basic auth: a wrong password fails: exit 1" is "$RC" 1
check "basic auth: the right password is accepted" \
    has "$(block "$OUT" good)" "  ok    authentication: the credentials sent were accepted (basic, user ops)"
check "basic auth: and the version follows, with its cluster and peers" \
    has "$(block "$OUT" good)" "  ok    Alertmanager $AM_VERSION (cluster ready, 2 peers)"
check "basic auth: a wrong password: authentication failed: HTTP 401" \
    has "$(block "$OUT" bad)" "  FAIL  authentication failed: HTTP 401 on GET /api/v2/status (basic, user ops)"
check "basic auth: no credentials: HTTP 401, and says none are configured" \
    has "$(block "$OUT" none)" "  FAIL  authentication failed: HTTP 401 on GET /api/v2/status (no credentials configured"
check "secret files 0600: ok, with mode and owner" has "$OUT" "  ok    good: password_file $T/am.pass: mode 0600, owner"
check "no secret is printed" hasnt "$OUT" "s3cret"
chmod 644 "$T/am.pass"
doctor -c "$T/auth.ini" --backend good
check "a group/world-readable secret file: FAIL in local" \
    has "$OUT" "  FAIL  good: password_file $T/am.pass: mode 0644, owner"
check "... and the backend cannot start (http.c refuses it): FAIL, with its section's file:line" \
    has "$(block "$OUT" good)" "  FAIL  cannot start: $T/auth.ini:1: "
check "... exit 1" is "$RC" 1
chmod 600 "$T/am.pass"

# ---- HAProxy: the stats page only ----

cat >"$T/ha.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$HA_STATS/stats
INI
doctor -c "$T/ha.ini"
LB=$(block "$OUT" lb)
check "haproxy stats only: exit 0 (a WARN is not a failure)" is "$RC" 0
check "haproxy stats only: rows" has "$LB" "  ok    answered in "
check "haproxy stats only: the real version from the stats page" \
    has "$LB" "  ok    HAProxy $HA_VERSION (stats page)"
check "haproxy stats only: actions off, no runtime socket (WARN)" \
    has "$LB" "  WARN  actions: off (no runtime socket configured"

# ---- the same HAProxy with its runtime API ----

kill "$HA_PID"
wait "$HA_PID" 2>/dev/null
haproxy_cfg yes
"$HAPROXY_BIN" -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HA_PID=$!
PIDS+=($HA_PID)
wait_until 10 test -S "$SOCK" || bail "haproxy did not start with its socket"
wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$HA_STATS/stats;csv" || bail "no stats page"

cat >"$T/ha.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$HA_STATS/stats
socket = $SOCK

[backend "sockonly"]
type = haproxy
socket = $SOCK

[backend "oper"]
type = haproxy
socket = $OPSOCK
INI
chmod 644 "$T/ha.ini"
doctor -c "$T/ha.ini" --backend lb --backend sockonly
LB=$(block "$OUT" lb)
SO=$(block "$OUT" sockonly)
check "haproxy with its socket: exit 0" is "$RC" 0
check "haproxy socket: the version and uptime from show info" \
    has "$LB" "  ok    HAProxy $HA_VERSION (runtime API $SOCK, up "
check "haproxy socket: connected, mode and owner said" \
    has "$LB" "  ok    runtime API $SOCK: connected and answered (mode 0666"
check "haproxy socket: a world-writable admin socket: WARN" \
    has "$LB" "  WARN  runtime API socket $SOCK is world-writable (mode 0666)"
check "haproxy socket: level admin: actions possible" \
    has "$LB" "  ok    actions possible: runtime API level admin"
check "haproxy socket only: the poll reads show stat" has "$SO" "  ok    answered in "
check "haproxy socket only: the version" has "$SO" "  ok    HAProxy $HA_VERSION (runtime API"
doctor -c "$T/ha.ini" --backend oper -r
check "read-only (-r): the operator socket is no failure, exit 0" is "$RC" 0
check "read-only (-r): said" has "$(block "$OUT" oper)" "  info  actions: off (read-only: -r or read_only = true)"
check "read-only (-r): what actions would need, as info" \
    has "$(block "$OUT" oper)" "  info  actions would be impossible: runtime API level operator"
doctor -c "$T/ha.ini" --backend oper
check "haproxy socket at level operator: actions impossible (FAIL), exit 1" is "$RC" 1
check "... says set server needs level admin" \
    has "$(block "$OUT" oper)" "  FAIL  actions impossible: runtime API level operator, and set server needs level admin"

# the socket the user cannot write: run as nobody (root in CI; root writes any socket), first
# with the socket's mode 0666 (actions possible), then chmod 600 (root's only); or, when not
# root, chmod 000 (its owner is refused then too)
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/nobody" && chown 65534:65534 "$T/nobody"
    as_nobody() {
        OUT=$(XDG_STATE_HOME="$T/nobody" XDG_CONFIG_HOME="$T/nobody" HOME="$T/nobody" \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$OPSDECK" doctor -c "$T/ha.ini" --backend lb 2>&1)
        RC=$?
    }
    as_nobody
    check "as nobody, the socket mode 0666: actions possible" \
        has "$(block "$OUT" lb)" "  ok    actions possible: runtime API level admin"
    chmod 600 "$SOCK"
    as_nobody
    WHO="nobody, after chmod 600"
else
    chmod 000 "$SOCK"
    doctor -c "$T/ha.ini" --backend lb
    WHO="its owner, after chmod 000"
fi
chmod 666 "$SOCK"
LB=$(block "$OUT" lb)
check "socket not writable ($WHO): exit 1" is "$RC" 1
check "socket not writable: FAIL with the reason and the socket's mode" \
    has "$LB" "  FAIL  runtime API $SOCK: permission denied (mode 0"
check "socket not writable: actions impossible" has "$LB" "  FAIL  actions impossible: the runtime API cannot be reached"
check "socket not writable: the stats page still answered" has "$LB" "  ok    answered in "

# ---- a refused port and a hanging one, in parallel with a good one ----

cat >"$T/bad.ini" <<INI
[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT
timeout = 1s

[backend "refused"]
type = alertmanager
url = http://127.0.0.1:$REFUSED
timeout = 1s

[backend "hang"]
type = prometheus
url = http://127.0.0.1:$HANG_PORT
timeout = 1s

[backend "hangsock"]
type = haproxy
socket = 127.0.0.1:$HANG_PORT
timeout = 1s

[backend "halfhang"]
type = alertmanager
url = http://127.0.0.1:$HALF_PORT
timeout = 1s
INI
doctor -c "$T/bad.ini"
echo "# refused + hanging + good: ${MS} ms wall (bound 3 s per backend); doctor's own count: $(printf '%s\n' "$OUT" | tail -1)"
check "refused and hanging: exit 1" is "$RC" 1
OWN=$(printf '%s\n' "$OUT" | tail -1 | sed -n 's/.*(\([0-9]*\) ms)$/\1/p')
check "the backends' checks end at the bound (1s x 2 + 1 s = 3 s): ${OWN} ms by doctor's clock" \
    test "${OWN:-99999}" -lt 3500
check "the whole run, process start to exit, within the bound + 2 s of a loaded machine: ${MS} ms" \
    test "$MS" -lt 5000
check "... and not before the hanging one's bound: ${MS} ms" test "$MS" -ge 2900
check "refused: the first poll failed, saying so" \
    has "$(block "$OUT" refused)" "  FAIL  first poll failed after "
check "refused: the connection error" has "$(block "$OUT" refused)" "onnect"
check "hanging (HTTP): no answer within 3 s" has "$(block "$OUT" hang)" "  FAIL  no answer within 3 s"
check "hanging (runtime API): each call bounded by the timeout" \
    has "$(block "$OUT" hangsock)" "timed out after 1000 ms"
check "half-hanging: its first poll answered" has "$(block "$OUT" halfhang)" "  ok    answered in "
# cut at the bound, or sooner: the retry budget (issue 20) allows the timed-out GET one
# retry where it once had two, so it may fail on its own within the 3 s
check "half-hanging: the checks after it cut at the bound (or timed out before it)" \
    grep -Eq "  FAIL  (no answer within 3 s \(the checks after the first poll\)|GET [^ ]+: timed out after 1000 ms)" \
    <<<"$(block "$OUT" halfhang)"
check "the good one alongside was not held: ok" has "$(block "$OUT" am)" "  ok    Alertmanager $AM_VERSION"
doctor -c "$T/bad.ini" --backend hang --timeout 1s
check "--timeout 1s bounds it: no answer within 1 s" has "$OUT" "  FAIL  no answer within 1 s"
check "--timeout 1s: the run took under 2.5 s (${MS} ms)" test "$MS" -lt 2500

# ---- what a server says is shown, never obeyed ----

read -r EVIL_PORT < <(free_ports 1)
python3 - "$EVIL_PORT" >"$T/evil.log" 2>&1 <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = {"alerts": []}
        if "buildinfo" in self.path:  # an OSC 52 clipboard write and a bidi override
            data = {"version": "2.0\u001b]52;c;ZXZpbA==\u0007\u202e"}
        body = json.dumps({"status": "success", "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
wait_until 10 curl -sf "http://127.0.0.1:$EVIL_PORT/api/v1/status/buildinfo" || bail "the hostile server did not start"
printf '[backend "evil"]\ntype = prometheus\nurl = http://127.0.0.1:%s\n' "$EVIL_PORT" >"$T/evil.ini"
doctor -c "$T/evil.ini"
check "a hostile version: shown in visible form" has "$OUT" "  ok    Prometheus 2.0^[]52;c;ZXZpbA==^G<U+202E>"
check "... no raw ESC, BEL or U+202E reaches stdout" python3 -c '
import sys
sys.exit(any(c in sys.argv[1] for c in "\x1b\x07\u202e"))' "$OUT"
doctor -c "$T/evil.ini" --json
check "... nor in --json (JSON escapes keep it exact)" has "$OUT" '"text":	"Prometheus 2.0\u001b]52;c;ZXZpbA==\u0007\u202e"'

# ---- --json ----

doctor -c "$T/bad.ini" --json --backend am --backend refused
check "--json: exit 1 (refused)" is "$RC" 1
check "--json: a document with the checks, counts and status" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
names = [b["name"] for b in d["backends"]]
assert names == ["am", "refused"], names
am = d["backends"][0]
assert am["type"] == "alertmanager" and am["address"].startswith("http://127.0.0.1:")
assert any(c["level"] == "ok" and c["text"].startswith("Alertmanager " + sys.argv[2]) for c in am["checks"])
assert any(c["level"] == "FAIL" for c in d["backends"][1]["checks"])
assert d["counts"]["fail"] >= 1 and d["status"] == 1
assert d["local"]["checks"] and d["terminal"]["checks"]
' "$OUT" "$AM_VERSION"

# ---- local checks ----

mkdir -p "$T/runbooks"
cat >"$T/local.ini" <<INI
[runbooks]
path = $T/runbooks:$T/no-such-dir

[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT
INI
chmod 666 "$T/local.ini"
doctor -c "$T/local.ini"
check "a world-writable config: FAIL, exit 1" is "$RC" 1
check "... names its mode" has "$OUT" "  FAIL  config $T/local.ini: mode 0666"
check "state directory writable" has "$OUT" "  ok    state directory $T/state/opsdeck writable (mode 0700"
check "audit log openable" has "$OUT" "  ok    audit log $T/state/opsdeck/audit.jsonl"
check "a runbook dir: ok" has "$OUT" "  ok    runbook dir $T/runbooks"
check "a missing runbook dir: WARN" has "$OUT" "  WARN  runbook dir $T/no-such-dir: No such file"
chmod 600 "$T/local.ini"
touch "$T/notadir"
OUT=$(XDG_STATE_HOME="$T/notadir" "$OPSDECK" doctor -c "$T/local.ini" 2>&1)
RC=$?
check "a state directory that cannot be made: FAIL, exit 1" is "$RC" 1
check "... says why" has "$OUT" "  FAIL  state directory $T/notadir/opsdeck"

# ---- config errors and no config ----

printf '[backend "x"]\ntype = alertmanager\nurl = http://127.0.0.1:1\nbogus = 1\n' >"$T/broken.ini"
doctor -c "$T/broken.ini"
check "a config error: exit 2" is "$RC" 2
check "a config error: file:line" has "$ERR" "$T/broken.ini:4:"
doctor
check "no config: exit 0" is "$RC" 0
check "no config: said, the demo checked" has "$OUT" "no config file"
check "no config: the demo's block" has "$(block "$OUT" demo)" "  info  DEMO: simulated systems"

# ---- the terminal ----

doctor -c "$T/am.ini" --backend prom
check "not a terminal (a pipe): said as info" has "$OUT" "  info  not a terminal: size not checked"
OUT=$(LC_ALL=C "$OPSDECK" doctor -c "$T/am.ini" --backend prom 2>&1)
check "LC_ALL=C: not UTF-8 (WARN)" has "$OUT" "  WARN  locale: ANSI_X3.4-1968, not UTF-8"
OUT=$(TERM=no-such-terminal "$OPSDECK" doctor -c "$T/am.ini" --backend prom 2>&1)
check "TERM unknown to terminfo: said" has "$OUT" "TERM=no-such-terminal is not in the terminfo database"
if command -v tmux >/dev/null; then
    # one tmux server per run (a new server on a socket just killed can lose the race)
    TSOCK="$T/tmux1.sock"
    tmux -S "$TSOCK" -f /dev/null new-session -d -x 100 -y 30 \
        "env TERM=tmux-256color LANG=C.UTF-8 NO_COLOR=1 $OPSDECK doctor -c $T/am.ini --backend prom >$T/tty.out 2>&1; echo \$? >$T/tty.rc; sleep 30"
    wait_until 15 test -s "$T/tty.rc" || echo "# doctor in tmux 100x30 did not finish"
    OUT=$(cat "$T/tty.out")
    tmux -S "$TSOCK" kill-server 2>/dev/null
    check "in tmux 100x30: the size" has "$OUT" "  ok    terminal 100x30"
    check "in tmux: TERM and its colours" has "$OUT" "TERM=tmux-256color: 256 colours"
    check "in tmux: NO_COLOR said" has "$OUT" "NO_COLOR is set"
    check "in tmux: UTF-8" has "$OUT" "  ok    locale: UTF-8"
    TSOCK="$T/tmux2.sock"
    tmux -S "$TSOCK" -f /dev/null new-session -d -x 60 -y 20 \
        "env TERM=xterm $OPSDECK doctor -c $T/am.ini --backend prom >$T/tty2.out 2>&1; echo \$? >$T/tty2.rc; sleep 30"
    wait_until 15 test -s "$T/tty2.rc" || echo "# doctor in tmux 60x20 did not finish"
    OUT=$(cat "$T/tty2.out")
    tmux -S "$TSOCK" kill-server 2>/dev/null
    check "in tmux 60x20: too small (WARN)" has "$OUT" "  WARN  terminal 60x20, smaller than 80x24"
    # stdout the terminal itself: colour (green ok), unless NO_COLOR
    for nc in "" 1; do
        rm -f "$T/tty3.rc"
        TSOCK="$T/tmux3$nc.sock"
        tmux -S "$TSOCK" -f /dev/null new-session -d -x 120 -y 50 \
            "env TERM=xterm-256color NO_COLOR=$nc $OPSDECK doctor -c $T/am.ini --backend prom; echo \$? >$T/tty3.rc; sleep 30"
        wait_until 15 test -s "$T/tty3.rc" || echo "# doctor in tmux 120x50 did not finish"
        tmux -S "$TSOCK" capture-pane -p -e -S 0 -E 49 >"$T/tty3.out"
        tmux -S "$TSOCK" kill-server 2>/dev/null
        if [ -z "$nc" ]; then
            check "on a terminal: coloured levels (ok in green)" grep -q $'\e\\[32mok' "$T/tty3.out"
        else
            check "on a terminal with NO_COLOR: no colour" not_grep $'\e\\[32m' "$T/tty3.out"
            check "... the lines are there" grep -q "  ok    Prometheus $PROM_VERSION" "$T/tty3.out"
        fi
    done
else
    check "tmux is installed (scripts/deps)" false
fi

done_testing
