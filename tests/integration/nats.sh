#!/bin/bash
# The nats backend against a real nats-server (2.9 on Debian 12) with
# JetStream, on loopback only, ports picked free at run time, started once.
# natsctl.py (the NATS text protocol over a socket) creates two streams and
# two durable pull consumers, publishes, fetches, acks and naks; opsdeck reads
# the monitoring port (snapshot --json) and every row is checked against what
# the server's own /jsz says at the same moment. Then the failures: a refused
# port, and faultserver.py answering 500, 401, garbage, a non-/jsz object, a
# truncated body, a huge one, a trickle and no answer at all; each is a clear
# error in its own backend's health, the good backend still shows its rows,
# and the whole snapshot ends in bounded time. Last, `opsdeck doctor`: version,
# JetStream and its numbers checked against nats-server itself, a server
# without JetStream, and the failing backends, in bounded time.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
for tool in nats-server python3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        # not a skip: a suite that quietly tests less is not green (scripts/deps --test)
        echo "not ok 1 - $tool is installed (scripts/deps --test installs it)"
        echo "1..1"
        exit 1
    fi
done

HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/opsdeck-nats-it.XXXXXX)
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

. "$HERE/../tap.sh"

read -r P_NATS P_MON P_CLOSED < <(free_ports 3)
MON="http://127.0.0.1:$P_MON"

nats-server -a 127.0.0.1 -p "$P_NATS" -js -sd "$T/js" -m "$P_MON" >"$T/nats.log" 2>&1 &
PIDS+=($!)
wait_until 10 curl -sf -o /dev/null "$MON/healthz" || bail "nats-server did not start"

python3 "$HERE/faultserver.py" 120 >"$T/fault.port" 2>"$T/fault.log" &
PIDS+=($!)
wait_until 10 test -s "$T/fault.port" || bail "faultserver did not start"
FAULT="http://127.0.0.1:$(cat "$T/fault.port")"

nats() {
    python3 "$HERE/natsctl.py" "$P_NATS" "$@" >>"$T/natsctl.log" 2>&1
}

# ---- streams and consumers ----

nats req '$JS.API.STREAM.CREATE.ORDERS' \
    '{"name":"ORDERS","subjects":["orders.>"],"storage":"file","max_msgs":100000}' ||
    bail "cannot create the ORDERS stream"
nats req '$JS.API.STREAM.CREATE.EVENTS' \
    '{"name":"EVENTS","subjects":["events.>"],"storage":"memory","retention":"limits"}' ||
    bail "cannot create the EVENTS stream"
nats req '$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.billing' \
    '{"stream_name":"ORDERS","config":{"durable_name":"billing","ack_policy":"explicit","ack_wait":600000000000,"max_deliver":5,"filter_subject":"orders.>"}}' ||
    bail "cannot create the billing consumer"
nats req '$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.audit' \
    '{"stream_name":"ORDERS","config":{"durable_name":"audit","ack_policy":"explicit"}}' ||
    bail "cannot create the audit consumer"
nats pub orders.created 10 || bail "cannot publish to ORDERS"
nats pub events.login 3 || bail "cannot publish to EVENTS"
# billing: 5 delivered, 2 acked, 1 nak'd (and pulled again: redelivered), 2 left unacked
nats fetch ORDERS billing 5 2 1 || bail "cannot fetch from billing"
nats fetch ORDERS billing 1 0 0 || bail "cannot fetch the redelivery"

cat >"$T/opsdeck.ini" <<INI
[backend "js"]
type = nats
url = $MON
refresh = 1s
timeout = 3s
INI
cat >"$T/account.ini" <<INI
[backend "js"]
type = nats
url = $MON
account = \$G
INI
cat >"$T/noaccount.ini" <<INI
[backend "js"]
type = nats
url = $MON
account = payments
INI
cat >"$T/bad.ini" <<INI
[backend "js"]
type = nats
url = $MON
stream = ORDERS
INI

snap() { # NAME [CONFIG]: snapshot --json into $T/NAME.json, and /jsz right after
    "$OPSDECK" snapshot --json -c "${2:-$T/opsdeck.ini}" >"$T/$1.json" 2>"$T/$1.err"
    local rc=$?
    curl -sf "$MON/jsz?streams=true&consumers=true&config=true" >"$T/$1.jsz"
    return $rc
}
# checks NAME DESC EXPR [DESC EXPR...]: one TAP line per pair, all evaluated by
# one python (a python start costs a second on a loaded machine) against the
# snapshot NAME: R = rows by key, C = their cells, H = health by backend,
# J = /jsz streams and consumers by the same keys, d and j the whole documents
checks() {
    local name=$1 results n=0 line
    shift
    results=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1] + ".json"))
j = json.load(open(sys.argv[1] + ".jsz"))
R = {r["key"]: r for r in d["panes"]["queues"]}
C = {r["key"]: r["cells"] for r in d["panes"]["queues"]}
H = {b["name"]: b["health"] for b in d["backends"]}
J = {}
for a in j.get("account_details", []):
    for s in a.get("stream_detail", []):
        J[a["name"] + "/" + s["name"]] = s
        for c in s.get("consumer_detail", []):
            J[a["name"] + "/" + s["name"] + "/" + c["name"]] = c
for expr in sys.argv[3::2]:
    try:
        ok = eval(expr)
    except Exception as e:
        ok = False
        print("0 %s: %s" % (type(e).__name__, e))
        continue
    print("1" if ok else "0 health %s cells %s" % (json.dumps(H), json.dumps(C)[:1500]))
' "$T/$name" "$@" 2>&1)
    while [ $# -ge 2 ]; do
        n=$((n + 1))
        line=$(sed -n "${n}p" <<<"$results")
        check "$1" test "${line%% *}" = 1
        [ "${line%% *}" = 1 ] || echo "# ${line#* }"
        shift 2
    done
}
status_of() {
    "$@" >"$T/out" 2>"$T/err"
    echo $?
}

KEYS='["$G/EVENTS", "$G/ORDERS", "$G/ORDERS/audit", "$G/ORDERS/billing"]'
STREAMS_MATCH='all(C[k]["MSGS"] == J[k]["state"]["messages"] and C[k]["CONS"] == J[k]["state"].get("consumer_count", 0) and C[k]["TYPE"] == "stream" for k in ("$G/ORDERS", "$G/EVENTS"))'
CONSUMERS_MATCH='all(C[k]["MSGS"] == J[k]["num_pending"] and C[k]["READY"] == J[k]["num_pending"] and C[k]["UNACK"] == J[k]["num_ack_pending"] and C[k]["CONS"] == J[k]["num_waiting"] and R[k]["detail"]["redelivered"] == str(J[k]["num_redelivered"]) and C[k]["TYPE"] == "consumer" for k in ("$G/ORDERS/billing", "$G/ORDERS/audit"))'

check "lint accepts the nats config" test "$(status_of "$OPSDECK" lint "$T/opsdeck.ini")" = 0
check "lint refuses an unknown key (exit 2)" test "$(status_of "$OPSDECK" lint "$T/bad.ini")" = 2
check "naming file:line and the key" grep -q "bad.ini:4: unknown key 'stream' for a nats backend" "$T/err"

check "snapshot --json exits 0" snap first
checks first \
    "the backend is healthy" \
    'd["backends"] == [{"name": "js", "type": "nats", "health": "ok"}]' \
    "a row per stream and per consumer, keyed account/stream[/consumer]" \
    "sorted(R) == $KEYS" \
    "streams: MSGS and CONS as /jsz says" \
    "$STREAMS_MATCH" \
    "consumers: pending, ack pending, waiting, redelivered as /jsz says" \
    "$CONSUMERS_MATCH" \
    "ORDERS holds the 10 published, 2 consumers; EVENTS 3, none" \
    'C["$G/ORDERS"]["MSGS"] == 10 and C["$G/ORDERS"]["CONS"] == 2 and C["$G/EVENTS"]["MSGS"] == 3 and C["$G/EVENTS"]["CONS"] == 0' \
    "billing: 5 still pending, 3 unacked (2 plain, 1 redelivered)" \
    'C["$G/ORDERS/billing"]["MSGS"] == 5 and C["$G/ORDERS/billing"]["UNACK"] == 3 and R["$G/ORDERS/billing"]["detail"]["redelivered"] == "1"' \
    "billing stands out: a redelivery (warn)" \
    'R["$G/ORDERS/billing"]["tone"] == "warn"' \
    "audit untouched: all 10 pending, nothing unacked, no tone" \
    'C["$G/ORDERS/audit"]["MSGS"] == 10 and C["$G/ORDERS/audit"]["UNACK"] == 0 and R["$G/ORDERS/audit"]["tone"] == "normal"' \
    "names: the stream, and 'stream > consumer'" \
    'C["$G/ORDERS"]["QUEUE"] == "ORDERS" and C["$G/ORDERS/billing"]["QUEUE"] == "ORDERS > billing" and C["$G/ORDERS/billing"]["VHOST"] == "$G" and C["$G/ORDERS"]["SOURCE"] == "js"' \
    "stream details: storage, retention, subjects, sequences, bytes" \
    'R["$G/EVENTS"]["detail"]["storage"] == "memory" and R["$G/ORDERS"]["detail"]["storage"] == "file" and R["$G/ORDERS"]["detail"]["retention"] == "limits" and R["$G/ORDERS"]["detail"]["subjects"] == "orders.>" and R["$G/ORDERS"]["detail"]["last seq"] == str(J["$G/ORDERS"]["state"]["last_seq"]) and R["$G/ORDERS"]["detail"]["bytes"].split()[0] in (str(J["$G/ORDERS"]["state"]["bytes"]), "%.1f" % (J["$G/ORDERS"]["state"]["bytes"] / 1024))' \
    "consumer details: ack wait 10m, max deliver 5, filter, ack floor" \
    'R["$G/ORDERS/billing"]["detail"]["ack wait"] == "10m" and R["$G/ORDERS/billing"]["detail"]["max deliver"] == "5" and R["$G/ORDERS/billing"]["detail"]["filter subject"] == "orders.>" and R["$G/ORDERS/billing"]["detail"]["ack floor"] == "consumer seq %d, stream seq %d" % (J["$G/ORDERS/billing"]["ack_floor"]["consumer_seq"], J["$G/ORDERS/billing"]["ack_floor"]["stream_seq"])'

# more traffic: 5 more published; billing gets and acks the 10 it has not
# seen (3, 4 and 5 stay unacked: their ack_wait is 10 minutes); audit acks 4
nats pub orders.created 5 || bail "cannot publish again"
nats fetch ORDERS billing 20 20 0 || bail "cannot fetch from billing again"
nats fetch ORDERS audit 4 4 0 || bail "cannot fetch from audit"
# acks reach the consumers asynchronously: wait until /jsz shows them
acked() {
    curl -sf "$MON/jsz?streams=true&consumers=true" | python3 -c '
import json, sys
j = json.load(sys.stdin)
c = {c["name"]: c for s in j["account_details"][0]["stream_detail"] for c in s.get("consumer_detail", [])}
b, a = c["billing"], c["audit"]
sys.exit(0 if (b["num_pending"], b["num_ack_pending"], a["num_pending"], a["num_ack_pending"]) == (0, 3, 11, 0) else 1)'
}
check "the server sees the acks" wait_until 10 acked
check "snapshot after more traffic exits 0" snap second
checks second \
    "streams still match /jsz" \
    "$STREAMS_MATCH" \
    "consumers still match /jsz" \
    "$CONSUMERS_MATCH" \
    "ORDERS now 15; billing nothing pending, 3 unacked; audit 11 pending" \
    'C["$G/ORDERS"]["MSGS"] == 15 and (C["$G/ORDERS/billing"]["MSGS"], C["$G/ORDERS/billing"]["UNACK"]) == (0, 3) and (C["$G/ORDERS/audit"]["MSGS"], C["$G/ORDERS/audit"]["UNACK"]) == (11, 0)' \
    "audit's ack floor moved to stream seq 4" \
    'R["$G/ORDERS/audit"]["detail"]["ack floor"] == "consumer seq 4, stream seq 4"' \
    "billing's is held at 2 by the unacked 3" \
    'R["$G/ORDERS/billing"]["detail"]["ack floor"] == "consumer seq 2, stream seq 2" and R["$G/ORDERS/billing"]["detail"]["delivered"].endswith("stream seq 15")'

"$OPSDECK" snapshot -c "$T/opsdeck.ini" >"$T/text.out" 2>/dev/null
stream_msgs=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(int(sum(r["cells"]["MSGS"] for r in d["panes"]["queues"] if r["cells"]["TYPE"] == "stream")))' "$T/second.json")
check "the Queues title counts consumers apart and adds only the streams' messages ($stream_msgs)" \
    grep -q "^== Queues: 2 queues, 2 consumers, $stream_msgs msgs" "$T/text.out"

check "account = \$G: the same rows" snap acct "$T/account.ini"
checks acct \
    "all four" \
    "sorted(R) == $KEYS"
check "an account the server lacks: snapshot exits 1" test "$(status_of snap noacct "$T/noaccount.ini")" = 1
checks noacct \
    "saying which accounts there are" \
    '"no JetStream account '"'"'payments'"'"' on this server (it has: $G)" in H["js"] and R == {}'

# ---- failures, all at once, next to the good backend ----

# '#' ends the URL's path for curl: the backend's /jsz?... becomes a fragment
# that is never sent, so faultserver sees its own path.
cat >"$T/faults.ini" <<INI
[backend "js"]
type = nats
url = $MON
timeout = 3s

[backend "refused"]
type = nats
url = http://127.0.0.1:$P_CLOSED
retries = 0
timeout = 2s

[backend "e500"]
type = nats
url = $FAULT/status/500
retries = 0
timeout = 2s

[backend "e401"]
type = nats
url = $FAULT/auth#
retries = 0
timeout = 2s

[backend "garbage"]
type = nats
url = $FAULT/garbage#
retries = 0
timeout = 2s

[backend "notjsz"]
type = nats
url = $FAULT/ok#
retries = 0
timeout = 2s

[backend "truncated"]
type = nats
url = $FAULT/truncated#
retries = 0
timeout = 2s

[backend "huge"]
type = nats
url = $FAULT/huge#
retries = 0
timeout = 5s

[backend "trickle"]
type = nats
url = $FAULT/trickle#
retries = 0
timeout = 2s

[backend "hang"]
type = nats
url = $FAULT/hang
retries = 0
timeout = 2s
INI
start=$(date +%s%N)
check "with failing backends, snapshot exits 1" test "$(status_of snap faults "$T/faults.ini")" = 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "# the snapshot with ten backends, one hanging, took $elapsed_ms ms"
check "in bounded time (under 8 s; the longest timeout is 5 s)" test "$elapsed_ms" -lt 8000
checks faults \
    "the good backend is ok, its rows all there" \
    "H['js'] == 'ok' and sorted(k for k in R if R[k]['source'] == 'js') == $KEYS" \
    "no other backend has rows" \
    'all(R[k]["source"] == "js" for k in R)' \
    "refused: names the connection failure" \
    'H["refused"].startswith("error: ") and ("refused" in H["refused"] or "onnect" in H["refused"])' \
    "500: names the status" \
    'H["e500"].startswith("error: HTTP 500")' \
    "401: names the status" \
    'H["e401"].startswith("error: HTTP 401")' \
    "garbage (random bytes): refused as not JSON" \
    'H["garbage"].startswith("error: bad response from /jsz: ") and any(w in H["garbage"] for w in ("invalid JSON", "empty response", "unexpected data after the JSON", "expected a JSON object"))' \
    "another JSON object: not a /jsz report" \
    '"server_id is missing: not a NATS /jsz report" in H["notjsz"]' \
    "truncated: an error, no rows" \
    'H["truncated"].startswith("error: ")' \
    "huge: refused past the size cap" \
    '"larger than" in H["huge"]' \
    "trickle: timed out" \
    '"timed out" in H["trickle"]' \
    "hang: timed out" \
    '"timed out" in H["hang"]'

# ---- opsdeck doctor ----

doctor() { # NAME CONFIG: `opsdeck doctor` into $T/doctor-NAME.out; prints its exit status
    "$OPSDECK" doctor -c "$2" >"$T/doctor-$1.out" 2>"$T/doctor-$1.err"
    echo $?
}
line() { # NAME LINE: doctor NAME printed exactly LINE
    grep -qxF -- "$2" "$T/doctor-$1.out" || {
        echo "#   no line '$2' in:"
        sed 's/^/#     /' "$T/doctor-$1.out"
        return 1
    }
}
NATS_VERSION=$(nats-server --version | sed -n 's/^nats-server: v//p')
echo "# nats-server --version: $NATS_VERSION"
check "doctor on the JetStream server exits 0" test "$(doctor good "$T/opsdeck.ini")" = 0
curl -sf "$MON/varz" >"$T/varz.json"
curl -sf "$MON/jsz" >"$T/jsz.json"
check "the version nats-server --version says, its Go, the server's name from /varz" line good \
    "  ok    NATS $NATS_VERSION ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["go"])' "$T/varz.json")), server $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["server_name"])' "$T/varz.json")"
check "no authentication asked, said" \
    line good "  info  authentication: none asked (nats-server's monitoring port has none)"
check "JetStream on, with its store directory" \
    grep -qE "^  ok    JetStream on \(memory up to [0-9.]+ [KMGTP]iB, storage up to [0-9.]+ [KMGTP]iB in $T/js/jetstream\)\$" "$T/doctor-good.out"
check "streams, consumers, messages, accounts and API errors as /jsz says them" line good \
    "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("  ok    JetStream: %d streams, %d consumers, %d messages, %d accounts; API %d errors in %d requests" % (j["streams"], j["consumers"], j["messages"], j["accounts"], j["api"]["errors"], j["api"]["total"]))' "$T/jsz.json")"
check "the numbers are the real ones (2 streams, 2 consumers)" \
    grep -qE "^  ok    JetStream: 2 streams, 2 consumers, " "$T/doctor-good.out"
check "actions: none, the backend is read-only" \
    line good "  info  actions: none (the nats backend is read-only)"

# a nats-server without JetStream
read -r P_NOJS P_NOJS_MON < <(free_ports 2)
nats-server -a 127.0.0.1 -p "$P_NOJS" -m "$P_NOJS_MON" >"$T/nojs.log" 2>&1 &
PIDS+=($!)
wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_NOJS_MON/healthz" || bail "the nats-server without JetStream did not start"
sed "s|^url = .*|url = http://127.0.0.1:$P_NOJS_MON|" "$T/opsdeck.ini" >"$T/nojs.ini"
check "doctor on a server without JetStream exits 1" test "$(doctor nojs "$T/nojs.ini")" = 1
check "saying JetStream is off and how to turn it on" line nojs \
    "  FAIL  JetStream is off on this server (-js or a jetstream block turns it on): the backend shows JetStream streams only"
check "still naming the version" grep -qF "  ok    NATS $NATS_VERSION (" "$T/doctor-nojs.out"

start=$(date +%s%N)
check "doctor on the failing backends exits 1" test "$(doctor faults "$T/faults.ini")" = 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "# doctor on ten backends, one hanging, took $elapsed_ms ms"
# each is bounded by its timeout x 2 + 1 s, all in parallel: huge's 11 s is the longest bound
check "in bounded time (under 14 s)" test "$elapsed_ms" -lt 14000
check "401: authentication failed, no credentials sent" line faults \
    "  FAIL  authentication failed (HTTP 401, 'no credentials'): auth = none sent no credentials, and something in front of the monitoring port asks for some"
# the first poll says a refused or failing server; the probe's repeat of it is left out
block() { # NAME: doctor faults' lines for backend NAME
    sed -n "/^$1 (nats)/,/^\$/p" "$T/doctor-faults.out"
}
check "refused: said once, by the first poll" \
    test "$(block refused | grep -c '^  FAIL')-$(block refused | grep -cE '^  FAIL  first poll failed after [0-9]+ ms: .*(refused|onnect)')" = 1-1
check "500: the status" grep -qE "^  FAIL  first poll failed after [0-9]+ ms: HTTP 500" "$T/doctor-faults.out"
check "another JSON object: not nats-server" line faults "  FAIL  /varz: not nats-server's answer (no version)"
check "the good backend in the same run is fine" \
    grep -qE "^  ok    JetStream: 2 streams, 2 consumers, " "$T/doctor-faults.out"

# under ASan/UBSan (build-san), a report would be on a snapshot's stderr
check "no sanitizer reports from any run" bash -c '! grep -lE "Sanitizer|runtime error" "$1"/*.err' _ "$T"
check "nats-server is still serving" curl -sf -o /dev/null "$MON/healthz"

done_testing
