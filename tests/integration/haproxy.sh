#!/bin/bash
# The haproxy backend against a real HAProxy (2.6 on Debian 12), on loopback
# only, with ports picked free at run time: a backend of three servers, two
# answered by python's http.server and one where nothing listens (DOWN).
# opsdeck reads it (snapshot --json, over HTTP and over the runtime API) and
# acts on it (act: drain, maint, ready, weight), checked both with HAProxy's
# own `show stat` (through socat) and with the next snapshot; errors come back
# as HAProxy words them, and the audit log records every action.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
for tool in haproxy socat python3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        # not a skip: a suite that quietly tests less is not green (scripts/deps --test)
        echo "not ok 1 - $tool is installed (scripts/deps --test installs it)"
        echo "1..1"
        exit 1
    fi
done

T=$(mktemp -d /tmp/opsdeck-haproxy-it.XXXXXX)
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
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"

. "$(dirname "$0")/../tap.sh"

. "$(dirname "$0")/haproxy-lib.sh"
haproxy_start

cat >"$T/opsdeck.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/stats
socket = $SOCK
refresh = 1s
timeout = 3s
INI
cat >"$T/socket-only.ini" <<INI
[backend "lb"]
type = haproxy
socket = unix:$SOCK
timeout = 3s
INI
cat >"$T/dead.ini" <<INI
[backend "lb"]
type = haproxy
socket = tcp:127.0.0.1:$P_DEAD
url = http://127.0.0.1:$P_DEAD/stats
timeout = 2s
INI
cat >"$T/url-only.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/stats;csv
INI
cat >"$T/wrong-path.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/nostats
INI

# snap_check FILE PYTHON-EXPR: evaluate against the snapshot; rows by key in R
snap() {
    "$OPSDECK" snapshot --json -c "${2:-$T/opsdeck.ini}" >"$T/$1.json" 2>"$T/$1.err"
}
snap_check() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
R = {r["key"]: r for r in d["panes"]["pools"]}
ok = eval(sys.argv[2])
if not ok:
    print("# " + json.dumps({k: v["cells"] for k, v in R.items()})[:800])
sys.exit(0 if ok else 1)
' "$T/$1.json" "$2"
}
status_of() {
    "$@" >"$T/out" 2>"$T/err"
    echo $?
}
snapshot_shows() { # SERVER COLUMN VALUE
    snap live && snap_check live "R['be_web/$1']['cells']['$2'] == $3"
}

check "lint accepts the haproxy config" test "$(status_of "$OPSDECK" lint "$T/opsdeck.ini")" = 0
check "snapshot --json exits 0" snap first
check "the backend is healthy" snap_check first 'd["backends"][0] == {"name": "lb", "type": "haproxy", "health": "ok"}'
check "three servers and the backend row" snap_check first \
    'sorted(R) == ["be_web/BACKEND", "be_web/web1", "be_web/web2", "be_web/web3"]'
check "web1 and web2 UP with L7OK" snap_check first \
    'all(R[k]["cells"]["STATUS"] == "UP" and R[k]["cells"]["CHECK"] == "L7OK" for k in ("be_web/web1", "be_web/web2"))'
check "web3 DOWN, critical, its check L4CON" snap_check first \
    'R["be_web/web3"]["cells"]["STATUS"] == "DOWN" and R["be_web/web3"]["tone"] == "crit" and R["be_web/web3"]["cells"]["CHECK"] == "L4CON"'
check "weights and source" snap_check first \
    'R["be_web/web2"]["cells"]["WGHT"] == 100 and R["be_web/BACKEND"]["cells"]["WGHT"] == 200 and R["be_web/web1"]["cells"]["SOURCE"] == "lb"'
check "details: the check and its last result" snap_check first \
    "'Layer4' in R['be_web/web3']['detail']['check'] and R['be_web/web3']['detail']['last check'] == 'Connection refused'"
check "no frontend rows" snap_check first 'not any(k.startswith(("fe_web/", "stats/")) for k in R)'
check "stats over the runtime API alone (show stat)" snap sock "$T/socket-only.ini"
check "give the same servers" snap_check sock \
    'sorted(R) == ["be_web/BACKEND", "be_web/web1", "be_web/web2", "be_web/web3"] and R["be_web/web3"]["cells"]["STATUS"] == "DOWN"'
# the stats page hides addresses without `stats show-legends`; the admin socket shows them
check "with server addresses in the details" snap_check sock \
    "R['be_web/web3']['detail']['address'] == '127.0.0.1:$P_DEAD'"

check "a url already ending in ;csv is used as is" snap urlonly "$T/url-only.ini"
check "and gives the same servers" snap_check urlonly 'sorted(R) == ["be_web/BACKEND", "be_web/web1", "be_web/web2", "be_web/web3"]'
check "without socket, actions are refused" \
    test "$(status_of "$OPSDECK" act -c "$T/url-only.ini" --yes lb pools drain be_web/web1)" = 1
check "saying they need the runtime API" grep -q "actions need the runtime API: set socket = " "$T/err"
check "a wrong stats path: snapshot exits 1" test "$(status_of "$OPSDECK" snapshot -c "$T/wrong-path.ini")" = 1
check "naming the HTTP status" grep -qE "HTTP [45][0-9][0-9]" "$T/out" "$T/err"

act() {
    "$OPSDECK" act -c "$T/opsdeck.ini" --yes lb pools "$@" >"$T/out" 2>"$T/err"
}

check "act drain web2 exits 0" act drain be_web/web2
check "and says so" grep -qx "be_web/web2 set to DRAIN" "$T/out"
check "HAProxy shows web2 DRAIN" wait_until 5 hstat_is web2 status DRAIN
check "the next snapshot shows DRAIN" wait_until 5 snapshot_shows web2 STATUS "'DRAIN'"
check "act maint web2 exits 0" act maint be_web/web2
check "HAProxy shows web2 MAINT" wait_until 5 hstat_is web2 status MAINT
check "the next snapshot shows MAINT" wait_until 5 snapshot_shows web2 STATUS "'MAINT'"
check "act ready web2 exits 0" act ready be_web/web2
check "and says so" grep -qx "be_web/web2 set to READY" "$T/out"
check "HAProxy shows web2 UP again (after its check)" wait_until 10 hstat_is web2 status UP
check "the next snapshot shows UP" wait_until 5 snapshot_shows web2 STATUS "'UP'"
check "act weight 50 exits 0" act weight be_web/web1 --input 50
check "and says so" grep -qx "be_web/web1 weight set to 50" "$T/out"
check "HAProxy shows weight 50" wait_until 5 hstat_is web1 weight 50
check "the next snapshot shows WGHT 50" wait_until 5 snapshot_shows web1 WGHT 50

act drain be_web/nosuch
check "a missing server: exit status 1" test $? = 1
check "with HAProxy's own words on stderr" grep -q "No such server\." "$T/err"
act maint be_web/BACKEND
check "the backend row: exit status 1" test $? = 1
check "it is not a server" grep -q "not a server" "$T/err"
act weight be_web/web1 --input 999
check "a bad weight: exit status 1" test $? = 1
check "refused before reaching HAProxy" grep -q "bad weight '999'" "$T/err"
check "web1 kept weight 50" hstat_is web1 weight 50

AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
check "the audit log exists" test -s "$AUDIT"
check "it records every action and its result" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
done = [(e["action"], e["target"], e["result"]) for e in ev if e["result"] != "started"]
want = [("drain", "be_web/web2", "ok"), ("maint", "be_web/web2", "ok"),
        ("ready", "be_web/web2", "ok"), ("weight", "be_web/web1", "ok")]
assert [x for x in done if x[2] == "ok"] == want, done
assert ("drain", "be_web/web1", "error: actions need the runtime API: set socket = "
        "/path/to/admin.sock (a stats socket with level admin)") in done, done
assert all(e["data"]["backend"] == "lb" and e["data"]["type"] == "haproxy" for e in ev), ev
w = [e for e in ev if e["action"] == "weight" and e["result"] == "ok"][0]
assert w["data"]["input"] == "50", w
bad = [e for e in ev if e["target"] == "be_web/nosuch" and e["result"] != "started"]
assert bad and all(e["result"] == "error: No such server." for e in bad), bad
started = [e for e in ev if e["result"] == "started"]
assert len(started) >= 6, len(started)
' "$AUDIT"

# admin state apart from operational state: web3 fails its check (DOWN) and is drained
act drain be_web/web3
check "drain the DOWN web3 exits 0" test $? = 0
check "HAProxy's show servers state has web3's admin state drain (0x08)" bash -c \
    'echo "show servers state be_web" | socat -t 2 stdio "UNIX-CONNECT:$1" | grep -qE "^[0-9]+ be_web [0-9]+ web3 [^ ]+ 0 8 "' _ "$SOCK"
check "while its stats CSV still says only DOWN" hstat_is web3 status DOWN
check "the snapshot (stats page + socket) shows web3 DOWN drain" wait_until 5 snapshot_shows web3 STATUS "'DOWN drain'"
check "still critical: it is down" snap_check live "R['be_web/web3']['tone'] == 'crit'"
check "its detail names the admin state" snap_check live "R['be_web/web3']['detail'].get('admin state') == 'drain'"
check "the socket alone (show servers state;show stat) shows it too" snap sock2 "$T/socket-only.ini"
check "DOWN drain over the socket" snap_check sock2 "R['be_web/web3']['cells']['STATUS'] == 'DOWN drain'"
check "the url alone cannot know: plain DOWN, nothing made up" snap urlonly2 "$T/url-only.ini"
check "DOWN over the stats page only" snap_check urlonly2 "R['be_web/web3']['cells']['STATUS'] == 'DOWN'"
check "the Pools title counts web3 as down and as drained" bash -c \
    '"$1" snapshot -c "$2" | grep -q "== Pools: 2 up, 1 down, 1 drain, 0 maint =="' _ "$OPSDECK" "$T/opsdeck.ini"
act ready be_web/web3
check "ready web3 again" wait_until 5 snapshot_shows web3 STATUS "'DOWN'"

check "a dead endpoint: snapshot exits 1" test "$(status_of "$OPSDECK" snapshot -c "$T/dead.ini")" = 1
check "naming the failure" grep -qiE "refused|couldn't connect|failed to connect" "$T/out" "$T/err"
check "and no next try a snapshot will never make" bash -c '! grep -q "next try" "$1" "$2"' _ "$T/out" "$T/err"
check "an action on a dead socket exits 1" test "$(status_of "$OPSDECK" act -c "$T/dead.ini" --yes lb pools drain be_web/web1)" = 1
check "saying connection refused" grep -q "connection refused" "$T/err"

done_testing
