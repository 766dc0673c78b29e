#!/bin/bash
# A live drill on an exec-plugin pool (issue 11 §3): the plugin prints the
# pool from a state file (slowly: its first answer takes half a second) and
# drains or readies a server by rewriting it; like every exec plugin it acts
# only on a row it has printed. The state file is what the drill must put
# back, so every check reads it, not opsdeck.
# - kill -9, then `opsdeck drill --recover`: the rollback waits for the
#   plugin's first answer, then restores web2 (it used to fail: "no row
#   'be_web/web2' in lb's last output", close the run and never try again);
# - a rollback that fails stays pending: `opsdeck runs` says NOT RESTORED,
#   every start (--recover, `opsdeck run`) tries again, the run is not closed
#   until it works; then it is restored and the run closes;
# - a rollback that fails at the end of a drill that ended is tried again too;
# - `opsdeck drill --give-up RUN-ID` needs the run id typed, is journaled and
#   audited, and no start tries again;
# - SIGTERM with a slow rollback: it runs on the loop before exit.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
. "$(dirname "$0")/drill-lib.sh"
drill_test drill-plugin python3
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

# the load balancer: its state file, and the plugin that reads and writes it
cat >"$T/lb.py" <<'PY'
import json, os, sys, time
state = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lb.json")
def load():
    try:
        return json.load(open(state))
    except (OSError, ValueError):
        return {"be_web/web1": "UP", "be_web/web2": "UP"}
if sys.argv[1] == "list":
    time.sleep(0.5)
    rows = [{"key": k, "cells": {"POOL": k.split("/")[0], "SERVER": k.split("/")[1], "STATUS": v}}
            for k, v in sorted(load().items())]
    print(json.dumps({"rows": rows}))
elif sys.argv[1] == "set":
    if os.path.exists(state + ".slow"):
        time.sleep(1.5)
    if os.path.exists(state + ".broken"):
        sys.exit("runtime API refused: read-only")
    s = load()
    s[sys.argv[2]] = sys.argv[3]
    json.dump(s, open(state + ".tmp", "w"))
    os.rename(state + ".tmp", state)
    print("%s set to %s" % (sys.argv[2], sys.argv[3]))
PY
web2() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["be_web/web2"])' "$T/lb.json" 2>/dev/null
}
web2_is() { [ "$(web2)" = "$1" ]; }
break_lb() { touch "$T/lb.json.broken"; }
fix_lb() { rm -f "$T/lb.json.broken"; }

cat >"$T/opsdeck.ini" <<INI
[backend "lb"]
type = exec
pane = pools
command = python3 $T/lb.py list
refresh = 1s
timeout = 15s
action.drain = d | Drain server | none | python3 $T/lb.py set \${key} DRAIN
action.ready = r | Ready server | none | python3 $T/lb.py set \${key} UP
INI

cat >"$T/gameday.md" <<'EOF'
# Lose web2

```opsdeck
drill: live
duration: 30m
role: gm = Game master
role: ic = Incident commander
facilitator: gm
```

## Look both ways
```opsdeck
check: before
until: pools be_web/web2 status == UP
```

## web2 is back
```opsdeck
check: after
until: pools be_web/web2 status == UP
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
EOF

jcount() {
    python3 -c '
import json, sys
print(sum(json.loads(l)["action"] == sys.argv[2] for l in open(sys.argv[1])))' "$RUNS/$1.jsonl" "$2"
}
# the drill on a fifo (fd 7), started, web2 drained; sets DPID and DID
start() {
    NAME=$1
    rm -f "$T/$1.fifo"
    mkfifo "$T/$1.fifo"
    "$OPSDECK" drill -c "$T/opsdeck.ini" "$T/gameday.md" --plain <"$T/$1.fifo" >"$T/$1.out" 2>"$T/$1.log" &
    DPID=$!
    PIDS+=($DPID)
    exec 7>"$T/$1.fifo"
    echo start >&7
    # every section below starts from web2 drained: say so when it is not
    wait_until 30 grep -q 'chaos 1.1 pools drain be_web/web2: active' "$T/$1.out" ||
        sed 's/^/# /' "$T/$1.out" "$T/$1.log"
    DID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/$1.out" | head -1)
}
finish() { # send a line (or nothing), close the fifo, wait: the exit status
    [ -n "$1" ] && echo "$1" >&7
    exec 7>&-
    { wait "$DPID"; } 2>/dev/null
}
crash() { # kill -9 of the owner and of its dead-man guard (as a reboot does): nothing rolls back
    kill -9 "$(sed -n 's/^Guard pid \([0-9]*\) watches.*/\1/p' "$T/$NAME.out")"
    kill -9 "$DPID"
    finish ""
}
recover() { # recover OUT: opsdeck drill --recover, its exit status
    "$OPSDECK" drill -c "$T/opsdeck.ini" --recover >"$T/$1" 2>&1
}
runs_says_lost() { "$OPSDECK" runs | grep "^$1 " | grep -q "NOT RESTORED: 1 rollback"; }

# ---- kill -9, then --recover: it waits for the plugin's first answer ----

start crash
check "the before check passed once the plugin answered" grep -q 'check look-both-ways (before): ok' "$T/crash.out"
check "the chaos drained web2 in the plugin's state" web2_is DRAIN
crash
check "kill -9: web2 stays DRAIN" web2_is DRAIN
recover rec1.out
check "--recover: exit 0" test $? = 0
check "it rolled back, after the plugin answered" grep -q "run $DID: rolled back pools ready be_web/web2" "$T/rec1.out"
check "not: no row in lb's last output" bash -c '! grep -q "no row" "$1"' _ "$T/rec1.out"
check "web2 UP again" web2_is UP
check "the crashed run ends aborted" test "$(jcount "$DID" rollback.end)$(jcount "$DID" run.end)" = 11
recover rec2.out
check "a second --recover: nothing to do" grep -q 'no drill left anything to roll back' "$T/rec2.out"

# ---- a rollback that fails stays pending until it works ----

start fail
crash
break_lb
recover rec3.out
check "--recover with the rollback refused: exit 1" test $? = 1
check "  NOT restored, with the plugin's error" grep -q "run $DID: NOT restored: pools ready be_web/web2 (inject drain-web2): exit 1.*runtime API refused" "$T/rec3.out"
check "  it says it stays pending and how to give up" grep -q "still pending.*opsdeck drill --give-up $DID" "$T/rec3.out"
check "  the run is not closed" test "$(jcount "$DID" run.end)" = 0
check "opsdeck runs: NOT RESTORED" runs_says_lost "$DID"
printf '{"title": "One", "steps": [{"id": "a", "title": "A"}]}\n' >"$T/one.json"
printf '\n' | "$OPSDECK" run -c "$T/opsdeck.ini" "$T/one.json" --plain >"$T/run.out" 2>"$T/run.err"
check "any start tries again (opsdeck run): still NOT restored" grep -q "drill recovery: 0 rolled back, 1 NOT restored" "$T/run.err"
check "  a second attempt journaled" test "$(jcount "$DID" rollback.end)" = 2
check "  the audit log has each ready refused" test "$(grep -c '"action":"ready".*"result":"error: exit 1' "$AUDIT")" = 2
fix_lb
recover rec4.out
check "once the load balancer accepts it: --recover exit 0" test $? = 0
check "  rolled back" grep -q "run $DID: rolled back pools ready be_web/web2" "$T/rec4.out"
check "  web2 UP again" web2_is UP
check "  the run ends now" test "$(jcount "$DID" run.end)" = 1
check "  opsdeck runs no longer says NOT RESTORED" bash -c '! "$1" runs | grep "^$2 " | grep -q "NOT RESTORED"' _ "$OPSDECK" "$DID"

# ---- a drill that ended with its rollback failed: tried again too ----

start ended
break_lb
finish abort
check "abort with the rollback refused: exit 4" test $? = 4
check "  the drill says NOT RESTORED" grep -q 'NOT RESTORED: pools drain be_web/web2' "$T/ended.out"
check "  the run ended" test "$(jcount "$DID" run.end)" = 1
check "  opsdeck runs: NOT RESTORED" runs_says_lost "$DID"
fix_lb
recover rec5.out
check "--recover tries the ended run again: exit 0" test $? = 0
check "  web2 UP again" web2_is UP
check "  one run.end still" test "$(jcount "$DID" run.end)" = 1

# ---- giving up, typed and audited ----

start giveup
crash
break_lb
recover rec6.out
check "refused again: still pending" test "$(jcount "$DID" rollback.end)" = 1
printf 'yes\n' | "$OPSDECK" drill -c "$T/opsdeck.ini" --give-up "$DID" >"$T/g1.out" 2>&1
check "--give-up without the run id typed: exit 1" test $? = 1
check "  it listed what is pending" grep -q "pools ready be_web/web2 (inject drain-web2): last try: exit 1" "$T/g1.out"
check "  nothing given up" test "$(jcount "$DID" rollback.giveup)" = 0
printf '%s\n' "$DID" | "$OPSDECK" drill -c "$T/opsdeck.ini" --give-up "$DID" >"$T/g2.out" 2>&1
check "--give-up with the run id typed: exit 0" test $? = 0
check "  it says put it back by hand" grep -q "given up: pools ready be_web/web2.*put it back by hand" "$T/g2.out"
check "  rollback.giveup journaled, with what was typed" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
g = [e for e in ev if e["action"] == "rollback.giveup"]
assert len(g) == 1 and g[0]["data"]["typed"] == sys.argv[2] and g[0]["actor"], g
assert ev[-1]["action"] == "run.end", ev[-1]
' "$RUNS/$DID.jsonl" "$DID"
check "  and in the audit log, with the run and target" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e for e in ev if e["action"] == "rollback.giveup" and e["run"] == sys.argv[2]
        and e["target"] == "be_web/web2"], "no audit line"
' "$AUDIT" "$DID"
recover rec7.out
check "no start tries it again" grep -q 'no drill left anything to roll back' "$T/rec7.out"
check "  opsdeck runs no longer says NOT RESTORED" bash -c '! "$1" runs | grep -q "NOT RESTORED"' _ "$OPSDECK"
check "  web2 stays as the operator leaves it (DRAIN)" web2_is DRAIN
fix_lb
python3 "$T/lb.py" set be_web/web2 UP >/dev/null

# ---- SIGTERM with a slow rollback: it runs on the loop before exit ----

start term
touch "$T/lb.json.slow"
kill -TERM "$DPID"
wait_until 10 grep -q 'Stopped by signal 15' "$T/term.out"
finish ""
check "SIGTERM: exit 143" test $? = 143
check "  web2 UP before exit (the slow rollback finished)" web2_is UP
check "  progress was told" grep -q 'rolling back: pools ready be_web/web2' "$T/term.out"
check "  one rollback, the run open" test "$(jcount "$DID" rollback.end)$(jcount "$DID" run.end)" = 10
rm -f "$T/lb.json.slow"

done_testing
