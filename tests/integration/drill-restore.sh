#!/bin/bash
# rollback: restore and a refused chaos, against a real HAProxy (loopback,
# ports picked free; tests/integration/haproxy-lib.sh). web2's weight is set
# to 37 and web3 put in maint by hand first; a live drill then sets web2's
# weight to 1 and drains web3, both with `rollback: restore`, and asks for a
# weight HAProxy refuses. After the drill HAProxy's own `show stat` must say
# weight 37 and web3 MAINT again (restore puts back what it found, not
# "ready"), the journal's chaos.plan must carry before and the computed
# rollback, and the refused chaos must be journaled applied: false with no
# rollback run for it and nothing NOT restored.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
. "$(dirname "$0")/drill-lib.sh"
drill_test drill-restore haproxy socat python3 curl
. "$(dirname "$0")/haproxy-lib.sh"
haproxy_start

web3_not_maint() { ! hstat_is web3 status MAINT; }
hcmd() { echo "$1" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" >/dev/null 2>&1; }
hcmd "set weight be_web/web2 37"
hcmd "set server be_web/web3 state maint"
check "web2's weight is 37 before the drill" wait_until 10 hstat_is web2 weight 37
check "web3 is MAINT before the drill" wait_until 10 hstat_is web3 status MAINT

drill_lb_ini

cat >"$T/restore.md" <<'EOF'
# Put back what was there

```opsdeck
drill: live
duration: 30m
role: gm = Game master
facilitator: gm
```

## Look both ways
```opsdeck
check: before
until: pools be_web/web2 status == UP
```

## web1 keeps serving
```opsdeck
check: during
until: pools be_web/web1 status == UP
tolerance: 10s
interval: 1s
```

## web2 weighs as before
```opsdeck
check: after
until: pools be_web/web2 wght == 37
```

## Lighten web2, drain web3
```opsdeck
at: T+00
auto: true
chaos: pools weight be_web/web2 1
rollback: restore
chaos: pools drain be_web/web3
rollback: restore
chaos: pools weight be_web/web1 999
rollback: pools weight be_web/web1 100
```
web2 takes almost nothing.
EOF

"$OPSDECK" lint "$T/restore.md" >"$T/lint.out" 2>&1
check "lint: the drill is fine" grep -q ": ok (1 inject, 3 checks)" "$T/lint.out"

mkfifo "$T/in.fifo"
"$OPSDECK" drill -c "$T/opsdeck.ini" "$T/restore.md" --plain <"$T/in.fifo" >"$T/out" 2>"$T/log" &
DPID=$!
PIDS+=($DPID)
exec 7>"$T/in.fifo"
echo start >&7
wait_until 15 grep -q 'chaos 1.2 pools drain be_web/web3: active' "$T/out"
check "HAProxy: web2's weight is 1 during the drill" wait_until 10 hstat_is web2 weight 1
check "HAProxy: web3 drained, out of maint, during the drill" wait_until 10 web3_not_maint
check "the refused chaos FAILED" wait_until 10 grep -q 'chaos 1.3 pools weight be_web/web1 999: FAILED' "$T/out"
echo end >&7
exec 7>&-
{ wait "$DPID"; } 2>/dev/null
check "end: exit 0" test $? = 0
check "HAProxy: web2's weight is 37 again" wait_until 10 hstat_is web2 weight 37
check "HAProxy: web3 is MAINT again (restore puts back the admin state it found)" \
    wait_until 10 hstat_is web3 status MAINT
check "the after check confirmed the weight" grep -q 'check web2-weighs-as-before (after): ok' "$T/out"
DID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/out" | head -1)
check "journal: chaos.plan has before and the computed rollbacks; the refused one applied: false and never rolled back" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
plans = {e["data"]["index"]: e["data"] for e in ev if e["action"] == "chaos.plan"}
assert plans[0]["restore"] is True and plans[0]["before"] == {"weight": "37"}, plans[0]
assert plans[0]["rollback"] == "pools weight be_web/web2 37", plans[0]
assert plans[1]["before"] == {"status": "MAINT"}, plans[1]
assert plans[1]["rollback"] == "pools maint be_web/web3", plans[1]
assert "restore" not in plans[2], plans[2]
ends = {e["data"]["index"]: e["data"] for e in ev if e["action"] == "chaos.end"}
assert ends[2]["ok"] is False and ends[2]["applied"] is False, ends[2]
assert "applied" not in ends[0] and ends[0]["ok"] is True, ends[0]
rb = sorted(e["data"]["index"] for e in ev if e["action"] == "rollback.end" and e["data"]["ok"])
assert rb == [0, 1], rb
' "$RUNS/$DID.jsonl"
"$OPSDECK" report "$DID" >"$T/report.md" 2>&1
check "report: the weight restored and confirmed" grep -q '| pools weight be_web/web2 37 | yes' "$T/report.md"
check "report: the refused chaos has nothing to restore" grep -q 'nothing to restore: the chaos did not apply' "$T/report.md"
check "report: nothing NOT restored" bash -c '! grep -q "Not restored" "$1"' _ "$T/report.md"
"$OPSDECK" runs >"$T/runs.out" 2>&1
check "opsdeck runs: no NOT RESTORED" bash -c '! grep -q "NOT RESTORED" "$1"' _ "$T/runs.out"

# --auto: the whole drill unattended, the report to a local webhook
read -r P_HOOK < <(free_ports 1)
python3 "$(dirname "$0")/webhook.py" "$P_HOOK" "$T/hook.log" 120 >"$T/hook.port" 2>&1 &
PIDS+=($!)
wait_until 10 grep -q . "$T/hook.port" || bail "the webhook receiver did not start"
cat >"$T/nightly.md" <<'EOF'
# Nightly web2

```opsdeck
drill: live
duration: 4s
role: gm = Game master
facilitator: gm
```

## web2 is UP
```opsdeck
check: before
until: pools be_web/web2 status == UP
```

## web1 keeps serving
```opsdeck
check: during
until: pools be_web/web1 status == UP
interval: 1s
```

## web2 weighs as before
```opsdeck
check: after
until: pools be_web/web2 wght == 37
```

## Lighten web2
```opsdeck
at: T+00
chaos: pools weight be_web/web2 1
rollback: restore
```
No one asks: it is 3 a.m. and nobody is there.
EOF
"$OPSDECK" drill -c "$T/opsdeck.ini" "$T/nightly.md" --auto --report-to "http://127.0.0.1:$P_HOOK/services/T0/B0/s3cr3t" </dev/null >"$T/auto.out" 2>"$T/auto.err" &
APID=$!
check "--auto: the chaos runs without asking" wait_until 15 hstat_is web2 weight 1
{ wait "$APID"; } 2>/dev/null
check "--auto: exit 0 once over" test $? = 0
check "--auto: it asked nothing" bash -c '! grep -q "run it?" "$1"' _ "$T/auto.out"
check "--auto: web2's weight is 37 again" wait_until 10 hstat_is web2 weight 37
check "--auto: the report reached the webhook, with the restore confirmed" python3 -c '
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
assert len(posts) == 1 and posts[0]["path"] == "/services/T0/B0/s3cr3t", posts
text = json.loads(posts[0]["body"])["text"]
assert "# Drill report: Nightly web2" in text, text
assert "| pools weight be_web/web2 37 | yes" in text, text
' "$T/hook.log"
check "--auto: the URL is not printed" bash -c '! grep -q "s3cr3t" "$1" "$2"' _ "$T/auto.out" "$T/auto.err"
"$OPSDECK" drill -c "$T/opsdeck.ini" "$T/nightly.md" --auto --report-to "http://127.0.0.1:$P_HOOK/status/500" </dev/null >"$T/auto2.out" 2>"$T/auto2.err"
check "--auto: a report the webhook refuses: exit 1, said" bash -c '[ "$1" = 1 ] && grep -q "HTTP 500" "$2"' _ $? "$T/auto2.err"
check "--auto: rolled back all the same" hstat_is web2 weight 37

done_testing
