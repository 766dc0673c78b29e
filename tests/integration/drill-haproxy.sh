#!/bin/bash
# A live drill against a real HAProxy (loopback, ports picked free): its chaos
# drains be_web/web2 with the rollback `ready`. HAProxy's own `show stat` must
# say DRAIN while the drill runs and UP again after it: when it ends, when it
# is aborted, on SIGTERM, and after kill -9 once `opsdeck drill --recover` has
# run (exactly one rollback in the journal, and nothing on a second recover):
# the owner and its dead-man guard killed, as a reboot does (drill-guard.sh:
# the guard on its own).
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
. "$(dirname "$0")/drill-lib.sh"
drill_test drill-haproxy haproxy socat python3 curl
. "$(dirname "$0")/haproxy-lib.sh"
haproxy_start

drill_lb_ini

cat >"$T/gameday.md" <<'EOF'
# Lose web2

```opsdeck
drill: live
duration: 30m
label: [DRILL]
abort_word: PINEAPPLE
role: gm = Game master
role: ic = Incident commander
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

# start NAME: the drill on a fifo (fd 7), started; sets DPID and DID
start() {
    rm -f "$T/$1.fifo"
    mkfifo "$T/$1.fifo"
    "$OPSDECK" drill -c "$T/opsdeck.ini" "$T/gameday.md" --plain <"$T/$1.fifo" >"$T/$1.out" 2>"$T/$1.log" &
    DPID=$!
    PIDS+=($DPID)
    exec 7>"$T/$1.fifo"
    echo start >&7
    wait_until 15 grep -q 'chaos 1.1 pools drain be_web/web2: active' "$T/$1.out"
    DID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/$1.out" | head -1)
}
finish() { # send a line (or nothing), close the fifo, wait: the exit status
    [ -n "$1" ] && echo "$1" >&7
    exec 7>&-
    { wait "$DPID"; } 2>/dev/null
}

start end
check "end: the before check passed on the live pane" grep -q 'check look-both-ways (before): ok' "$T/end.out"
check "end: HAProxy shows web2 DRAIN during the drill" wait_until 10 hstat_is web2 status DRAIN
check "end: web1 keeps serving (the during check holds)" grep -q 'check web1-keeps-serving (during): ok' "$T/end.out"
finish end
check "end: exit 0" test $? = 0
check "end: web2 UP again after the drill" wait_until 10 hstat_is web2 status UP
check "end: the after check saw web2 UP on the live pane" grep -q 'check web2-is-back (after): ok' "$T/end.out"
check "end: one rollback in the journal" test "$(jcount "$DID" rollback.end)" = 1

start abort
check "abort: web2 DRAIN" wait_until 10 hstat_is web2 status DRAIN
finish abort
check "abort: exit 4" test $? = 4
check "abort: web2 UP again" wait_until 10 hstat_is web2 status UP
check "abort: one rollback" test "$(jcount "$DID" rollback.end)" = 1

start term
check "SIGTERM: web2 DRAIN" wait_until 10 hstat_is web2 status DRAIN
kill -TERM "$DPID"
# the fifo stays open until the signal is seen: end of input must not win the race
wait_until 10 grep -q 'Stopped by signal 15' "$T/term.out"
finish ""
check "SIGTERM: exit 143" test $? = 143
check "SIGTERM: web2 UP again (rolled back before exit)" wait_until 10 hstat_is web2 status UP
check "SIGTERM: one rollback, the run open" test "$(jcount "$DID" rollback.end)$(jcount "$DID" run.end)" = 10

start kill9
check "kill -9: web2 DRAIN" wait_until 10 hstat_is web2 status DRAIN
# the owner and its dead-man guard (as a reboot does; drill-guard.sh: the guard alone)
kill -9 "$(sed -n 's/^Guard pid \([0-9]*\) watches.*/\1/p' "$T/kill9.out")"
kill -9 "$DPID"
finish ""
sleep 1.5
check "kill -9: web2 stays DRAIN (nothing ran)" hstat_is web2 status DRAIN
"$OPSDECK" drill -c "$T/opsdeck.ini" --recover >"$T/rec.out" 2>&1
check "drill --recover: exit 0" test $? = 0
check "it names the rollback" grep -q "run $DID: rolled back pools ready be_web/web2" "$T/rec.out"
check "recover: web2 UP again" wait_until 10 hstat_is web2 status UP
check "recover: exactly one rollback journaled" test "$(jcount "$DID" rollback.end)" = 1
"$OPSDECK" drill -c "$T/opsdeck.ini" --recover >"$T/rec2.out" 2>&1
check "a second recover does nothing" grep -q 'no drill left anything to roll back' "$T/rec2.out"
check "still exactly one" test "$(jcount "$DID" rollback.end)" = 1
check "the audit log has one drain and one ready per drill (4 each)" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ok = [(e["action"], e["target"]) for e in ev if e["result"] == "ok"]
assert ok.count(("drain", "be_web/web2")) == 4 and ok.count(("ready", "be_web/web2")) == 4, ok
' "$XDG_STATE_HOME/opsdeck/audit.jsonl"

done_testing
