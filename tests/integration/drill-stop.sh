#!/bin/bash
# A stop condition on a real Alertmanager alert (issue 15's must-show): a live
# drill drains be_web/web2 on a real HAProxy, with `stop_when: alerts
# HighErrorRate state == firing` watching a real Alertmanager (both on free
# loopback ports). While no such alert fires the stop condition is quiet and
# web2 stays drained; once HighErrorRate is posted to /api/v2/alerts the
# drill aborts by itself, HAProxy's own `show stat` says web2 is UP again, and
# the journal holds check {when: stop, ok: false} and drill.abort {why:
# "stop condition 'stop-when-1': ..."}. Line mode's `checks` prints every
# check with its state.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
. "$(dirname "$0")/drill-lib.sh"
drill_test drill-stop haproxy socat python3 curl "${AM_BIN:-prometheus-alertmanager}"
. "$(dirname "$0")/haproxy-lib.sh"
haproxy_start

read -r AM_PORT < <(free_ports 1)
AM="http://127.0.0.1:$AM_PORT"
cat >"$T/alertmanager.yml" <<'YML'
route:
  receiver: 'null'
receivers:
  - name: 'null'
YML
"$AM_BIN" --config.file="$T/alertmanager.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
wait_until 30 curl -sf "$AM/-/ready" || bail "Alertmanager did not get ready"

drill_lb_ini "[backend \"am\"]
type = alertmanager
url = $AM/
refresh = 1s
timeout = 3s"

cat >"$T/gameday.md" <<'EOF'
# Lose web2, stop on errors

```opsdeck
drill: live
duration: 30m
role: gm = Game master
role: ic = Incident commander
facilitator: gm
stop_when: alerts HighErrorRate state == firing
```

## Drain web2
```opsdeck
at: T+00
to: ic
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
web2 leaves the pool.

## web2 is back
```opsdeck
check: after
until: pools be_web/web2 status == UP
```
EOF

check "lint accepts the drill and its stop condition" \
    sh -c '"$1" lint -c "$2" "$3" | grep -q "ok (1 inject, 2 checks)"' _ "$OPSDECK" "$T/opsdeck.ini" "$T/gameday.md"

rm -f "$T/d.fifo"
mkfifo "$T/d.fifo"
"$OPSDECK" drill -c "$T/opsdeck.ini" "$T/gameday.md" --plain <"$T/d.fifo" >"$T/d.out" 2>"$T/d.log" &
DPID=$!
PIDS+=($DPID)
exec 7>"$T/d.fifo"
echo start >&7
check "the chaos drains web2 on the real HAProxy" wait_until 15 hstat_is web2 status DRAIN
check "the stop condition looks at Alertmanager: quiet" \
    wait_until 15 grep -q 'check stop-when-1 (stop): quiet - no row HighErrorRate in alerts' "$T/d.out"
echo checks >&7
check "checks prints every check with its state" \
    wait_until 5 grep -qE '^  stop +quiet +stop when alerts HighErrorRate state == firing' "$T/d.out"
check "... the after check too, not run yet" grep -qE '^  after +- +web2 is back' "$T/d.out"
sleep 2
check "no alert, no stop: web2 still drained" hstat_is web2 status DRAIN

STARTS=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)
ENDS=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
curl -sf -XPOST -H 'Content-Type: application/json' --data-binary @- "$AM/api/v2/alerts" >/dev/null <<JSON || bail "cannot post the alert"
[{"labels":{"alertname":"HighErrorRate","service":"checkout","severity":"critical"},
  "annotations":{"summary":"5xx ratio above 5%"},"startsAt":"$STARTS","endsAt":"$ENDS"}]
JSON
check "the alert fires: the drill aborts by itself" \
    wait_until 20 grep -q "aborted: stop condition 'stop-when-1': HighErrorRate STATE is firing" "$T/d.out"
check "HAProxy says web2 is UP again" wait_until 15 hstat_is web2 status UP
exec 7>&-
{ wait "$DPID"; } 2>/dev/null
check "aborted: exit 4" test $? = 4
DID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/d.out" | head -1)
check "the journal: the stop check, the abort and the rollback" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
stops = [e["data"] for e in ev if e["action"] == "check" and e["data"]["when"] == "stop"]
seen = [c for c in stops if not c.get("unknown")]  # unknown (no answer yet) never stops
assert seen[0]["ok"] is True and seen[-1]["ok"] is False and len(seen) == 2, stops
why = [e["data"]["why"] for e in ev if e["action"] == "drill.abort"]
assert len(why) == 1 and why[0].startswith("stop condition '"'"'stop-when-1'"'"': HighErrorRate"), why
assert sum(e["action"] == "rollback.end" for e in ev) == 1
after = [e["data"] for e in ev if e["action"] == "check" and e["data"]["when"] == "after"]
assert after and after[-1]["ok"] is True, after
' "$RUNS/$DID.jsonl"
"$OPSDECK" report "$DID" >"$T/report.md" 2>&1
check "the report lists the stop condition that held" \
    grep -qE '^\| stop-when-1 \| (ok in the end \()?FAILED' "$T/report.md"

done_testing
