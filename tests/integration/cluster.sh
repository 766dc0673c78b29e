#!/bin/bash
# An HA cluster of backends (`cluster = am-eu`) against real servers: two
# Alertmanagers clustered together by gossip on loopback (free ports picked
# here), plus a third Alertmanager in another context, not in the cluster.
# The same alerts are posted to both members (Alertmanager does not gossip
# alerts: Prometheus sends to each) and one alert to one member only. Then,
# through `opsdeck snapshot --json` and `opsdeck act` (the console's action
# path: checks, audit, the backend call):
# - the cluster is one source, one row per fingerprint, the union of both;
# - a silence made through the cluster is created once: each member has
#   exactly that one (gossip), and the Silences pane shows it once;
# - with one member killed, the pane shows every row of the live member, the
#   cluster's health says the member is down, silence and expire still work,
#   and a runbook's wait counts the cluster's rows (fresh while a member is);
# - the third Alertmanager's rows stay under its own name.
#
# env: OPSDECK = the opsdeck binary. TAP output; exit status 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [ -z "$AM_BIN" ]; then
    # not a skip: a suite that quietly tests less is not green (scripts/deps --test installs it)
    echo "not ok 1 - prometheus-alertmanager is installed (scripts/deps --test)"
    echo "1..1"
    exit 1
fi

. "$(dirname "$0")/../tap.sh"
scratch cluster
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
# expect FILE: checks read from stdin, one a line: "WHAT :: EXPR :: WANT", EXPR a
# Python expression over the JSON in FILE (as d), WANT what it prints ("~TEXT":
# contains TEXT), all in one python run (this machine starts python slowly).
# rows(source) are the Alerts pane's rows of that source, row(source, name) one
# of them; silences(source) the Silences pane's; cluster(name) and
# health(name) what the snapshot says of a cluster and of a backend; live(l)
# the silences of an Alertmanager's list that are not expired.
expect() {
    local ok what got want
    while IFS=$'\t' read -r ok what got want; do
        if [ "$ok" = 1 ]; then
            check "$what" true
        else
            check "$what" is "$got" "$want"
        fi
    done < <(python3 - "$1" "$(cat)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def rows(source, pane="alerts"):
    return [r for r in d.get("panes", {}).get(pane, []) if r["source"] == source]
def row(source, name):
    return next((r for r in rows(source) if r["cells"]["ALERT"] == name), None)
def silences(source):
    return rows(source, "silences")
def cluster(name):
    return next((c for c in d.get("clusters", []) if c["name"] == name), None)
def health(name):
    return next(b["health"] for b in d["backends"] if b["name"] == name)
def live(l):
    return [s for s in l if s["status"]["state"] != "expired"]
for line in sys.argv[2].splitlines():
    if not line.strip():
        continue
    what, expr, want = (x.strip() for x in line.split(" :: "))
    try:
        v = eval(expr)
        got = str(v).lower() if isinstance(v, bool) else str(v)
    except Exception as e:
        got = "%s: %s" % (type(e).__name__, e)
    ok = want[1:] in got if want.startswith("~") else got == want
    print("\t".join([str(int(ok)), what, got.replace("\t", " ").replace("\n", " "), want]))
PY
)
}
# q FILE EXPR: one value for the script itself.
q() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
is() {
    [ "$1" = "$2" ] || {
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        return 1
    }
}
contains() {
    case "$1" in *"$2"*) return 0 ;; esac
    echo "#   '$1' does not contain '$2'"
    return 1
}

read -r W1 W2 W3 C1 C2 < <(free_ports 5)
AM1="http://127.0.0.1:$W1"
AM2="http://127.0.0.1:$W2"
AM3="http://127.0.0.1:$W3"

# ---- the servers: am1 and am2 gossip (fast intervals: settling takes seconds), am3 alone ----

cat >"$T/alertmanager.yml" <<'YML'
route:
  receiver: 'null'
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: 'null'
YML
GOSSIP=(--cluster.gossip-interval=50ms --cluster.pushpull-interval=1s --cluster.probe-interval=200ms
    --cluster.probe-timeout=200ms --cluster.settle-timeout=5s)
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/am1" \
    --web.listen-address="127.0.0.1:$W1" --cluster.listen-address="127.0.0.1:$C1" \
    --cluster.advertise-address="127.0.0.1:$C1" --cluster.peer="127.0.0.1:$C2" "${GOSSIP[@]}" \
    >"$T/am1.log" 2>&1 &
AM1_PID=$!
PIDS+=("$AM1_PID")
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/am2" \
    --web.listen-address="127.0.0.1:$W2" --cluster.listen-address="127.0.0.1:$C2" \
    --cluster.advertise-address="127.0.0.1:$C2" --cluster.peer="127.0.0.1:$C1" "${GOSSIP[@]}" \
    >"$T/am2.log" 2>&1 &
PIDS+=($!)
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/am3" \
    --web.listen-address="127.0.0.1:$W3" --cluster.listen-address= >"$T/am3.log" 2>&1 &
PIDS+=($!)
for am in "$AM1" "$AM2" "$AM3"; do
    wait_until 30 curl -sf "$am/-/ready" || bail "Alertmanager $am did not get ready"
done
# both members see each other: two peers in /api/v2/status, the cluster ready
peers() {
    curl -sf "$1/api/v2/status" | jq -e '.cluster.status == "ready" and (.cluster.peers | length) == 2' >/dev/null
}
wait_until 30 peers "$AM1" || bail "am1 does not see am2 (gossip)"
wait_until 30 peers "$AM2" || bail "am2 does not see am1 (gossip)"
check "the two members gossip: each sees two peers" peers "$AM1"

STARTS=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)
ENDS=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
alert() { # alert NAME SEVERITY: one alert as Alertmanager takes it
    printf '{"labels":{"alertname":"%s","service":"checkout","severity":"%s"},"annotations":{"summary":"%s"},"startsAt":"%s","endsAt":"%s"}' \
        "$1" "$2" "$1 summary" "$STARTS" "$ENDS"
}
BOTH="[$(alert HighErrorRate critical),$(alert HighLatencyP99 warning),$(alert DiskFull warning)]"
post() {
    curl -sf -XPOST -H 'Content-Type: application/json' --data-binary "$2" "$1/api/v2/alerts" \
        >/dev/null || bail "cannot post alerts to $1"
}
post "$AM1" "$BOTH"
post "$AM2" "$BOTH"
post "$AM1" "[$(alert OnlyOnAm1 warning)]"
post "$AM3" "[$(alert HighErrorRate critical),$(alert UsOnly warning)]"
count() { # count URL N: Alertmanager at URL has N alerts
    curl -sf "$1/api/v2/alerts" | jq -e "length == $2"
}
wait_until 10 count "$AM1" 4 || bail "am1 does not have its 4 alerts"
wait_until 10 count "$AM2" 3 || bail "am2 does not have its 3 alerts"
wait_until 10 count "$AM3" 2 || bail "am3 does not have its 2 alerts"

# ---- opsdeck ----

CFG="$T/opsdeck.ini"
cat >"$CFG" <<INI
[backend "am1"]
type = alertmanager
url = $AM1
cluster = am-eu
context = prod-eu
retries = 0
timeout = 2s

[backend "am2"]
type = alertmanager
url = $AM2
cluster = am-eu
context = prod-eu
retries = 0
timeout = 2s

[backend "am3"]
type = alertmanager
url = $AM3
context = prod-us
retries = 0
timeout = 2s
INI
check "lint accepts the cluster and the third backend" \
    bash -c '"$1" lint "$2" | grep -q "ok (3 backends)"' _ "$OPSDECK" "$CFG"

"$OPSDECK" snapshot --json -c "$CFG" >"$T/s1.json" 2>"$T/s1.err"
check "snapshot exits 0" is "$?" 0
expect "$T/s1.json" <<'X'
the cluster is one source: no rows under a member's name :: len(rows("am1")) + len(rows("am2")) :: 0
one row per fingerprint, the union of both members (3 on both, 1 on am1) :: sorted(r["cells"]["ALERT"] for r in rows("am-eu")) :: ['DiskFull', 'HighErrorRate', 'HighLatencyP99', 'OnlyOnAm1']
the keys are unique fingerprints :: len(set(r["key"] for r in rows("am-eu"))) == 4 and all(len(r["key"]) == 16 for r in rows("am-eu")) :: true
SOURCE reads the cluster :: sorted(set(r["cells"]["SOURCE"] for r in rows("am-eu"))) :: ['am-eu']
a row on both members says both :: row("am-eu","DiskFull")["detail"]["members"] :: am1, am2
a row on one member says that one :: row("am-eu","OnlyOnAm1")["detail"]["members"] :: am1
the cluster's health: ok :: cluster("am-eu")["health"] :: ok
its members :: cluster("am-eu")["members"] :: ['am1', 'am2']
the third Alertmanager's rows under its own name :: sorted(r["cells"]["ALERT"] for r in rows("am3")) :: ['HighErrorRate', 'UsOnly']
the same alert in both places: the same fingerprint, two rows :: row("am3","HighErrorRate")["key"] == row("am-eu","HighErrorRate")["key"] :: true
am3 is in no cluster; one cluster :: cluster("am3") is None and len(d["clusters"]) == 1 :: true
X
KEY=$(q "$T/s1.json" 'next(r["key"] for r in d["panes"]["alerts"] if r["source"] == "am-eu" and r["cells"]["ALERT"] == "DiskFull")')
KEY1=$(q "$T/s1.json" 'next(r["key"] for r in d["panes"]["alerts"] if r["source"] == "am-eu" and r["cells"]["ALERT"] == "OnlyOnAm1")')
KEY2=$(q "$T/s1.json" 'next(r["key"] for r in d["panes"]["alerts"] if r["source"] == "am-eu" and r["cells"]["ALERT"] == "HighLatencyP99")')

# ---- a silence through the cluster is created once ----

"$OPSDECK" act -c "$CFG" --yes am-eu alerts silence "$KEY" --input 30m >"$T/act.out" 2>"$T/act.err"
check "act am-eu alerts silence exits 0" is "$?" 0
OUT=$(cat "$T/act.out")
check "it names the member that did it" bash -c 'case "$1" in am1:\ *|am2:\ *) ;; *) exit 1 ;; esac' _ "$OUT"
check "and what it did" contains "$OUT" "silenced DiskFull for 30m (silence "
MEMBER=${OUT%%:*}
SID=$(sed -n 's/.*(silence \([^)]*\)).*/\1/p' "$T/act.out")
has_silences() { # has_silences URL N: N silences that are not expired
    curl -sf "$1/api/v2/silences" | jq -e "[.[] | select(.status.state != \"expired\")] | length == $2"
}
live_ids() { # the ids of URL's silences that are not expired, sorted, one line
    curl -sf "$1/api/v2/silences" | jq -r '[.[] | select(.status.state != "expired") | .id] | sort | join(" ")'
}
wait_until 10 has_silences "$AM1" 1
wait_until 10 has_silences "$AM2" 1
check "am1 has exactly that one silence" is "$(live_ids "$AM1")" "$SID"
check "am2 has exactly that one silence (gossip)" is "$(live_ids "$AM2")" "$SID"
check "the audit log names the member" is \
    "$(jq -r --arg k "$KEY" 'select(.action == "silence" and .target == $k) | .result + " " + (.data.backend // "")' "$AUDIT" | tr '\n' ' ')" \
    "started $MEMBER ok $MEMBER "

"$OPSDECK" snapshot --json -c "$CFG" >"$T/s2.json" 2>/dev/null
expect "$T/s2.json" <<X
the Silences pane shows it once :: [r["key"] for r in silences("am-eu")] :: ['$SID']
from both members :: silences("am-eu")[0]["detail"]["members"] :: am1, am2
no silence row under a member's name :: len(silences("am1")) + len(silences("am2")) + len(silences("am3")) :: 0
the alert shows silenced :: row("am-eu","DiskFull")["cells"]["STATE"] :: silenced
X

# an alert only am1 has: the member that has it acts
"$OPSDECK" act -c "$CFG" --yes am-eu alerts silence "$KEY1" --input 1h >"$T/act.out" 2>"$T/act.err"
check "silencing the alert only am1 has exits 0" is "$?" 0
check "am1, the member that has it, did it" contains "$(cat "$T/act.out")" "am1: silenced OnlyOnAm1 for 1h"
SID1=$(sed -n 's/.*(silence \([^)]*\)).*/\1/p' "$T/act.out")
wait_until 10 has_silences "$AM2" 2
BOTH_IDS=$(printf '%s\n' "$SID" "$SID1" | sort | tr '\n' ' ')
check "the silence reached am2 too: the same two on each" \
    is "$(live_ids "$AM1") / $(live_ids "$AM2")" "${BOTH_IDS% } / ${BOTH_IDS% }"

# ---- one member down ----

kill "$AM1_PID"
wait "$AM1_PID" 2>/dev/null
"$OPSDECK" snapshot --json -c "$CFG" >"$T/s3.json" 2>/dev/null
expect "$T/s3.json" <<X
am1 down: every row of am2, the live member :: sorted(r["cells"]["ALERT"] for r in rows("am-eu")) :: ['DiskFull', 'HighErrorRate', 'HighLatencyP99']
the cluster's health says the member is down :: cluster("am-eu")["health"] :: ~1 of 2 members down: am1: 
am1's own health is its error :: health("am1") :: ~error: 
am2 is ok :: health("am2") :: ok
am3 is untouched :: len(rows("am3")) :: 2
both silences still show, once each :: " ".join(sorted(r["key"] for r in silences("am-eu") if r["cells"]["STATE"] == "active")) :: ${BOTH_IDS% }
X

"$OPSDECK" act -c "$CFG" --yes am-eu alerts silence "$KEY2" --input 15m >"$T/act.out" 2>"$T/act.err"
check "silence with am1 down exits 0" is "$?" 0
check "done by am2" contains "$(cat "$T/act.out")" "am2: silenced HighLatencyP99 for 15m"
"$OPSDECK" act -c "$CFG" --yes am-eu silences expire "$SID" >"$T/act.out" 2>"$T/act.err"
check "expire from the Silences pane with am1 down exits 0" is "$?" 0
check "done by am2" is "$(cat "$T/act.out")" "am2: expired silence ${SID:0:8}"
check "am2 says it expired" is \
    "$(curl -sf "$AM2/api/v2/silences" | jq -r --arg id "$SID" '.[] | select(.id == $id) | .status.state')" expired
"$OPSDECK" snapshot --json -c "$CFG" >"$T/s4.json" 2>/dev/null
expect "$T/s4.json" <<X
the alert fires again :: row("am-eu","DiskFull")["cells"]["STATE"] :: firing
the new silence shows, once :: row("am-eu","HighLatencyP99")["cells"]["STATE"] :: silenced
X

# a runbook's wait over the cluster's rows: fresh while am2 answers, so a missing row counts
cat >"$T/gone.md" <<'MD'
# Alert cleared

## Confirm the alert cleared
```opsdeck
type: wait
until: alerts NoSuchAlert state != firing
interval: 1s
timeout: 4s
```
MD
printf '\n' | "$OPSDECK" run "$T/gone.md" --plain -c "$CFG" >"$T/w1.out" 2>&1
check "am1 down: a wait on the cluster's rows is met (exit 0)" is "$?" 0
check "  after a fresh answer of the live member: no row" \
    grep -q 'met after 1 tries: no row NoSuchAlert in alerts' "$T/w1.out"

cat >"$T/bad.ini" <<INI
[backend "am1"]
type = alertmanager
url = $AM1
cluster = am-eu

[backend "am3"]
type = alertmanager
url = $AM3
context = prod-us
cluster = am-eu
INI
"$OPSDECK" lint "$T/bad.ini" >/dev/null 2>"$T/lint.err"
check "lint refuses a cluster across two contexts (exit 2)" is "$?" 2
check "naming file:line" contains "$(cat "$T/lint.err")" \
    "bad.ini:10: backend 'am3' (context prod-us) cannot join cluster 'am-eu': its member 'am1' is in context default"

done_testing
