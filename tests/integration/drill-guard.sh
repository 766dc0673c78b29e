#!/bin/bash
# The dead-man guard, the chaos ttl and the safety lever against a real
# HAProxy (loopback, ports picked free; haproxy-lib.sh). A live drill drains
# a server; HAProxy's own `show stat` (its runtime API) says when it is back:
# - kill -9 of the facilitator's opsdeck: with no opsdeck started again, the
#   guard puts web2 back within seconds, the journal says the guard did it
#   (actor guard, drill.abort "owner gone (pid N)", run.end aborted);
# - ttl: 3s with the owner alive: the owner rolls it back alone (why ttl)
#   and the drill goes on; with the owner hung (SIGSTOP), the guard does,
#   and the owner, woken, does not run it a second time;
# - a guard that cannot start (its binary gone): the clock does not start;
# - the safety lever stops two drills at once (both roll back, both
#   journals say the lever aborted them); a third live drill refuses to
#   start until the lever is released; pulling and releasing are audited.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
. "$(dirname "$0")/drill-lib.sh"
drill_test drill-guard haproxy socat python3 curl
. "$(dirname "$0")/haproxy-lib.sh"
haproxy_start

drill_lb_ini

# drill NAME SERVER [TTL]: a live drill draining SERVER at T+00
drill() {
    cat >"$T/$1.md" <<EOF
# Lose $2

\`\`\`opsdeck
drill: live
duration: 30m
role: gm = Game master
facilitator: gm
\`\`\`

## Drain $2
\`\`\`opsdeck
at: T+00
auto: true
chaos: pools drain be_web/$2
rollback: pools ready be_web/$2
${3:+ttl: $3}
\`\`\`
$2 leaves the pool.
EOF
}
drill web2 web2
drill web1 web1
drill ttl web2 3s

# ev ID PYTHON-EXPR: true when some journal event e of run ID makes the expression true
ev() {
    python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(eval(sys.argv[2], {"e": e, "d": e.get("data") or {}}) for e in ev) else 1)
' "$RUNS/$1.jsonl" "$2"
}
# jcount ID ACTION: how many events of that action
jcount() {
    python3 -c '
import json, sys
print(sum(json.loads(l)["action"] == sys.argv[2] for l in open(sys.argv[1])))' "$RUNS/$1.jsonl" "$2"
}

# start NAME DRILL FD: the drill in line mode on a fifo held open on fd FD; sets DPID, DID, GPID
start() {
    rm -f "$T/$1.fifo"
    mkfifo "$T/$1.fifo"
    "$OPSDECK" drill -c "$T/opsdeck.ini" "$T/$2.md" --plain <"$T/$1.fifo" >"$T/$1.out" 2>"$T/$1.log" &
    DPID=$!
    PIDS+=($DPID)
    eval "exec $3>\"\$T/\$1.fifo\""
    echo start >&"$3"
    wait_until 15 grep -q 'chaos 1.1 pools drain .*: active' "$T/$1.out"
    DID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/$1.out" | head -1)
    GPID=$(sed -n 's/^Guard pid \([0-9]*\) watches.*/\1/p' "$T/$1.out" | head -1)
    [ -n "$GPID" ] && PIDS+=($GPID)
}
alive() { kill -0 "$1" 2>/dev/null; }

# ---- kill -9 of the facilitator's opsdeck ----
start k web2 7
check "a guard watches the live drill (line mode says its pid)" test -n "$GPID"
check "the guard is in a session of its own, not the facilitator's" test "$(ps -o sid= -p "$GPID" | tr -d ' ')" != "$(ps -o sid= -p "$DPID" | tr -d ' ')"
check "opsdeck runs shows the guard" sh -c "'$OPSDECK' runs | grep '$DID' | grep -q 'guard pid $GPID'"
check "the journal says guard.start with its pid" ev "$DID" "e['action'] == 'guard.start' and d.get('pid') == $GPID"
check "kill -9: web2 DRAIN during the drill" wait_until 10 hstat_is web2 status DRAIN
KILLED_MS=$(date +%s%3N)
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
exec 7>&-
check "kill -9: web2 UP again within seconds, no opsdeck started" wait_until 10 hstat_is web2 status UP
echo "# kill -9 to web2 UP in HAProxy's show stat: $(($(date +%s%3N) - KILLED_MS)) ms"
check "the journal says the guard rolled it back" wait_until 5 ev "$DID" "e['action'] == 'rollback.end' and e['actor'] == 'guard' and d.get('ok')"
check "... and aborted the run: owner gone (pid $DPID)" ev "$DID" "e['action'] == 'drill.abort' and e['actor'] == 'guard' and d.get('why') == 'owner gone (pid $DPID)'"
check "... ran the after checks and ended it" wait_until 10 ev "$DID" "e['action'] == 'run.end' and d.get('how') == 'aborted'"
check "exactly one rollback" test "$(jcount "$DID" rollback.start)" = 1
check "the guard exits once done" wait_until 10 sh -c "! kill -0 $GPID 2>/dev/null"
check "nothing is left for a start to recover" sh -c "'$OPSDECK' runs | grep '$DID' | grep -v -q 'NOT RESTORED'"

# ---- ttl, the owner alive ----
start t ttl 7
check "ttl: chaos.plan carries ttl_s 3" ev "$DID" "e['action'] == 'chaos.plan' and d.get('ttl_s') == 3"
check "ttl: web2 UP again by itself, the owner alive" wait_until 10 hstat_is web2 status UP
check "ttl: the owner rolled it back alone, why ttl" wait_until 5 ev "$DID" "e['action'] == 'rollback.end' and e['actor'] != 'guard' and d.get('why') == 'ttl' and d.get('ok')"
check "ttl: the drill goes on (no abort, no end)" sh -c "! grep -q -e drill.abort -e run.end '$RUNS/$DID.jsonl'"
check "ttl: the owner is still running" alive "$DPID"
echo end >&7
exec 7>&-
wait "$DPID"
check "ttl: the drill ends normally (exit 0)" test $? = 0
check "ttl: one rollback in all" test "$(jcount "$DID" rollback.start)" = 1
check "ttl: the guard stopped with the run" wait_until 5 sh -c "! kill -0 $GPID 2>/dev/null"
check "ttl: the journal says guard.stop, then run.end" python3 -c '
import json, sys
acts = [json.loads(l)["action"] for l in open(sys.argv[1])]
assert acts[-2:] == ["guard.stop", "run.end"], acts[-3:]
' "$RUNS/$DID.jsonl"

# ---- ttl, the owner hung: the guard ----
start h ttl 7
kill -STOP "$DPID"
check "hung owner: web2 UP again after ttl + grace" wait_until 15 hstat_is web2 status UP
check "hung owner: the guard rolled it back, why ttl" wait_until 5 ev "$DID" "e['action'] == 'rollback.end' and e['actor'] == 'guard' and d.get('why') == 'ttl' and d.get('ok')"
check "hung owner: the guard did not end the run" sh -c "! grep -q run.end '$RUNS/$DID.jsonl'"
kill -CONT "$DPID"
sleep 1
echo end >&7
exec 7>&-
wait "$DPID"
check "hung owner, woken: the drill ends (exit 0)" test $? = 0
check "hung owner: the owner did not roll it back a second time" test "$(jcount "$DID" rollback.start)" = 1
check "hung owner: web2 still UP" hstat_is web2 status UP

# ---- a guard that cannot start: the drill does not ----
# the binary is gone (an upgrade removed it) by the time the clock starts
cp "$OPSDECK" "$T/od"
rm -f "$T/nog.fifo"
mkfifo "$T/nog.fifo"
"$T/od" drill -c "$T/opsdeck.ini" "$T/web2.md" --plain <"$T/nog.fifo" >"$T/nog.out" 2>"$T/nog.log" &
DPID=$!
PIDS+=($DPID)
exec 7>"$T/nog.fifo"
wait_until 15 grep -q 'ready: type start' "$T/nog.out"
rm -f "$T/od"
echo start >&7
check "no guard: start is refused, saying the guard did not start" wait_until 15 grep -q '! the dead-man guard did not start: cannot exec the guard' "$T/nog.out"
check "no guard: nothing drained" hstat_is web2 status UP
NID=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/nog.out" | head -1)
check "no guard: no drill.start, no chaos in the journal" sh -c "! grep -q -e drill.start -e chaos.plan '$RUNS/$NID.jsonl'"
echo abort >&7
exec 7>&-
wait "$DPID" 2>/dev/null

# ---- the safety lever ----
start a web2 7
A=$DID AP=$DPID
start b web1 8
B=$DID BP=$DPID
check "lever: web2 drained by one drill" wait_until 10 hstat_is web2 status DRAIN
check "lever: web1 drained by the other" wait_until 10 hstat_is web1 status DRAIN
"$OPSDECK" drill -c "$T/opsdeck.ini" --stop-all "real incident on web" >"$T/stop.out" 2>&1
check "--stop-all: exit 0" test $? = 0
check "--stop-all names both drills it stopped" sh -c "grep -q 'stopped $A: aborted' '$T/stop.out' && grep -q 'stopped $B: aborted' '$T/stop.out'"
check "lever: web2 UP again" wait_until 10 hstat_is web2 status UP
check "lever: web1 UP again" wait_until 10 hstat_is web1 status UP
for id in "$A" "$B"; do
    check "lever: $id aborted by the lever" ev "$id" "e['action'] == 'drill.abort' and d.get('why', '').startswith('safety lever: real incident on web')"
    check "lever: $id rolled back" ev "$id" "e['action'] == 'rollback.end' and d.get('ok')"
done
exec 7>&- 8>&-
wait "$AP" "$BP" 2>/dev/null
"$OPSDECK" drill -c "$T/opsdeck.ini" "$T/web2.md" --plain </dev/null >"$T/third.out" 2>"$T/third.log"
check "a third live drill refuses to start (exit 1)" test $? = 1
check "... naming the lever file and how to release it" sh -c "grep -q '$XDG_STATE_HOME/opsdeck/lever' '$T/third.log' && grep -q 'opsdeck drill --release-lever' '$T/third.log'"
check "... and nothing drained" hstat_is web2 status UP
"$OPSDECK" drill -c "$T/opsdeck.ini" --release-lever >"$T/release.out" 2>&1
check "--release-lever: exit 0" test $? = 0
check "the lever file is gone" test ! -e "$XDG_STATE_HOME/opsdeck/lever"
check "the audit log has the pull and the release" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acts = [e["action"] for e in ev]
assert "lever.pull" in acts and "lever.release" in acts, acts
assert acts.index("lever.pull") < acts.index("lever.release")
' "$XDG_STATE_HOME/opsdeck/audit.jsonl"
"$OPSDECK" drill -c "$T/opsdeck.ini" --release-lever >"$T/release2.out" 2>&1
check "releasing a lever that is not pulled: exit 1, said" sh -c "[ $? = 1 ] && grep -q 'not pulled' '$T/release2.out'"

done_testing
