#!/bin/bash
# Drills in line mode, end to end: a tabletop drill through a pipe from start
# to end, the clock firing injects and ending the drill by itself, the abort
# word; a live drill against the demo stopped by SIGTERM (its chaos rolled back
# before exit, the run left open), and killed with -9 (rolled back exactly
# once by the next start: `opsdeck drill --recover`, or any `opsdeck run`).
# The demo's state lives in its process, so what was done is read from the
# journal and the audit log; tests/integration/drill-haproxy.sh checks the
# real state against HAProxy.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-drill.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$(dirname "$0")/tap.sh"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

cat >"$T/tabletop.md" <<'EOF'
# Office lost

The office is gone for the day.

```opsdeck
drill: tabletop
duration: 45m
label: [DRILL]
abort_word: PINEAPPLE
objective: Declare an incident within 5 minutes
role: gm = Game master
role: ic = Incident commander
role: db = DB expert
facilitator: gm
```

## Office evacuated
```opsdeck
at: T+00
to: ic
channel: announce
expect: 5m 10 Incident declared
expect: 10m 4 Status page updated
contingency: ceo-calls
```
The office is being evacuated. Chat is down.

## Replication lag
```opsdeck
at: T+08
to: db
channel: page
expect: 2m 6 DB expert looks at the lag
```
Replication lag is 900 s.

## CEO calls
```opsdeck
at: contingency
to: ic
```
The CEO wants to know what is happening.

## Debrief
- What went well?
EOF

# jcount RUN-ID ACTION: how many events of that action the run's journal has
jcount() {
    python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    n += e["action"] == sys.argv[2]
print(n)' "$RUNS/$1.jsonl" "$2"
}
runid() { sed -n 's/^Drill \([^:]*\): .*/\1/p' "$1" | head -1; }

printf 'start\nmet 1.1 alice\nfire 2\nmissed 2.1\ncontingency 1\nnote the bridge is open\ndebrief 1 we declared fast\nend\n' |
    "$OPSDECK" drill "$T/tabletop.md" --plain >"$T/tt.out" 2>"$T/tt.err"
check "tabletop through a pipe: exit 0 when finished" test $? = 0
id=$(runid "$T/tt.out")
check "run id looks like a run's ($id)" bash -c '[[ $1 =~ ^[0-9]{8}T[0-9]{6}Z-tabletop-[0-9a-f]{4}$ ]]' _ "$id"
check "prints the injects to come" grep -q '^   2\. T+08:00     Replication lag -> db' "$T/tt.out"
check "prints the first inject as it fires, with roles" grep -q '^\[T+00:00\] INJECT 1: Office evacuated (announce) -> ic' "$T/tt.out"
check "and its expectations" grep -q '^   expect 1.1: Incident declared (by T+05:00, 10 points)' "$T/tt.out"
check "an early inject" grep -q '^\[T+00:00\] INJECT 2: Replication lag (page) -> db' "$T/tt.out"
check "the contingency by hand" grep -q 'INJECT 3: CEO calls' "$T/tt.out"
check "marks" grep -q 'expect 1.1 Incident declared: met' "$T/tt.out"
check "the score: 10 met of 16 (1.2 was not due yet at the end: not reached)" grep -q "^Drill $id finished. Score 10/16." "$T/tt.out"
check "ending early marks what was not due yet not reached" grep -q 'expect 1.2 Status page updated: not reached' "$T/tt.out"
check "the debrief questions" grep -q '^Debrief 1: What went well?' "$T/tt.out"
"$OPSDECK" report "$id" >"$T/tt.md" 2>&1
check "the report scores as the drill did (10 of 16)" grep -q '^10 of 16 points (63%): 1 met, 0 late, 1 missed, 1 not reached (outside the score)' "$T/tt.md"
check "the journal ends with run.end" bash -c 'tail -1 "$1" | grep -q "\"action\":\"run.end\".*\"finished\""' _ "$RUNS/$id.jsonl"
check "three inject.fire events" test "$(jcount "$id" inject.fire)" = 3
check "a note and a debrief answer" test "$(jcount "$id" note)$(jcount "$id" debrief)" = 11
check "every event carries data.t_ms" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert all(isinstance(e["data"]["t_ms"], (int, float)) and e["ts"] for e in ev), ev
s = ev[0]["data"]
assert s["kind"] == "drill" and s["title"] == "Office lost" and [r["id"] for r in s["roles"]] == ["gm", "ic", "db"], s
' "$RUNS/$id.jsonl"

# the score's commands: met at a time, undo, unskip, +5m; who plays, in run.start
printf 'start\nmet 1.1 at T+09:00\nmet 1.1 at T+00:00 alice\nundo\nmet 1.1 at T+00:00 bob\nskip 2\nundo\n+5m\n+0s\nend\n' |
    "$OPSDECK" drill "$T/tabletop.md" --plain --players ic=alice,db=carol >"$T/sc.out" 2>&1
check "score commands: exit 0" test $? = 0
scid=$(runid "$T/sc.out")
check "met at a time still to come is refused" grep -q '! T+09:00 has not come yet' "$T/sc.out"
check "undo takes the mark back" grep -q 'expectation 1.1 is pending again' "$T/sc.out"
check "undo of a skip unskips the inject" grep -q 'inject 2 unskipped' "$T/sc.out"
check "+5m extends the drill" grep -q -- '-> extended: the drill ends at T+50:00' "$T/sc.out"
check "+0s is refused" grep -q '! +DURATION extends the drill' "$T/sc.out"
check "the journal: at_ms, undo, inject.unskip, drill.extend, players" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acts = [e["action"] for e in ev]
ex = [e["data"] for e in ev if e["action"] == "expect" and e["data"]["status"] == "met"]
assert [x["by"] for x in ex] == ["alice", "bob"] and all(x["at_ms"] < 1000 for x in ex), ex
assert "undo" in acts and "inject.unskip" in acts, acts
assert [e["data"]["by_s"] for e in ev if e["action"] == "drill.extend"] == [300], acts
assert ev[0]["data"]["players"] == {"ic": ["alice"], "db": ["carol"]}, ev[0]["data"]
assert [p["id"] for p in ev[0]["data"]["plan"]] == ["office-evacuated", "replication-lag", "ceo-calls"]
' "$RUNS/$scid.jsonl"
"$OPSDECK" report "$scid" >"$T/sc.md" 2>&1
check "report: people per role from --players" grep -q '^| db | DB expert | plays | carol |$' "$T/sc.md"
"$OPSDECK" drill "$T/tabletop.md" --plain --players ic=alice,cook=bob </dev/null >"$T/pl.out" 2>&1
check "--players with a role the drill lacks: refused" grep -q "'cook' is not a role of the drill" "$T/pl.out"
"$OPSDECK" runs >"$T/runs.out" 2>&1
check "opsdeck runs shows a drill's score" grep -q "^$scid .*score 10 of 10 points (100%)" "$T/runs.out"

# the clock fires injects and ends the drill by itself
sed -e 's/^duration: 45m/duration: 3s/' -e 's/^at: T+08/at: 1s/' "$T/tabletop.md" >"$T/short.md"
(echo start; sleep 5) | "$OPSDECK" drill "$T/short.md" --plain >"$T/short.out" 2>&1
check "a 3 s drill ends by itself: exit 0" test $? = 0
sid=$(runid "$T/short.out")
check "the T+1s inject fired on the clock" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
f = [e["data"] for e in ev if e["action"] == "inject.fire" and e["data"]["id"] == "replication-lag"]
assert len(f) == 1 and f[0]["why"] == "clock" and 1000 <= f[0]["t_ms"] < 2000, f
end = [e for e in ev if e["action"] == "run.end"][0]
assert end["data"]["how"] == "finished" and end["data"]["t_ms"] >= 3000, end
' "$RUNS/$sid.jsonl"

# notifications: labelled, to the sandbox hook, or to the live one with notify: live
read -r P_HOOK < <(free_ports 1)
python3 "$(dirname "$0")/integration/webhook.py" "$P_HOOK" "$T/hook.log" 120 >"$T/hook.port" 2>&1 &
PIDS+=($!)
wait_until 10 grep -q . "$T/hook.port"
sed -e 's/^label: \[DRILL\]/label: [DRILL]\nsandbox_env: DRILL_HOOK/' \
    -e 's/^channel: announce/channel: announce\nnotify: Office evacuated, chat is down/' "$T/tabletop.md" >"$T/notify.md"
(echo start; sleep 2; echo end) | DRILL_HOOK="http://127.0.0.1:$P_HOOK/sandbox" OPSDECK_SLACK_WEBHOOK="http://127.0.0.1:$P_HOOK/live" \
    "$OPSDECK" drill "$T/notify.md" --plain >"$T/n.out" 2>&1
check "notify drill: exit 0" test $? = 0
nid=$(runid "$T/n.out")
check "the inject's notify went to the sandbox hook, labelled" python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["path"] for r in reqs] == ["/sandbox"], reqs
assert json.loads(reqs[0]["body"])["text"] == "[DRILL] Office evacuated, chat is down", reqs
' "$T/hook.log"
check "and was journaled with its status" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
n = [e["data"] for e in ev if e["action"] == "notify"]
assert len(n) == 1 and n[0]["status"] == 200 and n[0]["error"] is None, n
' "$RUNS/$nid.jsonl"
sed -e 's/^sandbox_env: DRILL_HOOK/sandbox_env: DRILL_HOOK\nnotify: live/' "$T/notify.md" >"$T/live-notify.md"
: >"$T/hook.log"
(echo start; sleep 2; echo end) | DRILL_HOOK="http://127.0.0.1:$P_HOOK/sandbox" OPSDECK_SLACK_WEBHOOK="http://127.0.0.1:$P_HOOK/live" \
    "$OPSDECK" drill "$T/live-notify.md" --plain >"$T/nl.out" 2>&1
check "notify: live goes to OPSDECK_SLACK_WEBHOOK" python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["path"] for r in reqs] == ["/live"], reqs
' "$T/hook.log"

printf 'start\nnote ops says: pineapple, real incident\n' |
    "$OPSDECK" drill "$T/tabletop.md" --plain >"$T/awn.out" 2>&1
check "the abort word inside a note is a note: the drill stays open (exit 3)" test $? = 3
check "... noted, not aborted" sh -c "grep -q '  noted' '$T/awn.out' && ! grep -q aborted '$T/awn.out'"
printf 'start\nnote ops says: pineapple, real incident\n  Pineapple \n' |
    "$OPSDECK" drill "$T/tabletop.md" --plain >"$T/aw.out" 2>&1
check "a line that is the abort word (any case, trimmed) aborts: exit 4" test $? = 4
check "saying why" grep -q 'aborted: abort word' "$T/aw.out"

printf 'start\n' | "$OPSDECK" drill "$T/tabletop.md" --plain >"$T/eof.out" 2>&1
check "end of input mid-drill: exit 3, the drill open" test $? = 3
check "saying how to resume" grep -q 'opsdeck drill --resume .* --plain' "$T/eof.out"

printf '# Not a drill\n\n## Step\n' >"$T/runbook.md"
"$OPSDECK" drill "$T/runbook.md" --plain </dev/null >/dev/null 2>"$T/nd.err"
check "a file that is not a drill: exit 2" test $? = 2
"$OPSDECK" drill </dev/null >/dev/null 2>&1
check "drill without FILE: exit 2" test $? = 2

# a live game day against the demo
cat >"$T/live.md" <<'EOF'
# Game day

```opsdeck
drill: live
duration: 30m
label: [DRILL]
abort_word: PINEAPPLE
role: gm = Game master
role: ic = Incident commander
facilitator: gm
```

## Lose a web server
```opsdeck
at: T+00
to: ic
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
chaos: queues stop prod/orders.created
rollback: queues start prod/orders.created
```
web2 is being drained and the order consumers stop.
EOF

# start_live NAME: the live drill on a fifo, started; sets LPID and LID
start_live() {
    rm -f "$T/$1.fifo"
    mkfifo "$T/$1.fifo"
    "$OPSDECK" drill "$T/live.md" --plain <"$T/$1.fifo" >"$T/$1.out" 2>"$T/$1.err" &
    LPID=$!
    PIDS+=($LPID)
    exec 7>"$T/$1.fifo"
    echo start >&7
    wait_until 10 grep -q 'chaos 1.2 .*: active' "$T/$1.out"
    LID=$(runid "$T/$1.out")
}

start_live term
check "live: both chaos actions active" grep -q 'chaos 1.1 pools drain be_web/web2: active' "$T/term.out"
check "live: chaos.plan journaled before the action" python3 -c '
import json, sys
ev = [json.loads(l)["action"] for l in open(sys.argv[1])]
assert ev.index("chaos.plan") < ev.index("chaos.end"), ev
' "$RUNS/$LID.jsonl"
kill -TERM "$LPID"
# the fifo stays open until the signal is seen: end of input must not win the race
wait_until 10 grep -q 'Stopped by signal 15' "$T/term.out"
wait "$LPID"
check "SIGTERM: exit 143" test $? = 143
exec 7>&-
check "SIGTERM: both rolled back before exit" test "$(jcount "$LID" rollback.end)" = 2
check "SIGTERM: the drill stays open (no run.end)" test "$(jcount "$LID" run.end)" = 0
check "SIGTERM: the audit log has the ready and the start, ok, for this run" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
done = [(e["action"], e["target"]) for e in ev if e["run"] == sys.argv[2] and e["result"] == "ok"]
assert done == [("drain", "be_web/web2"), ("stop", "prod/orders.created"),
                ("start", "prod/orders.created"), ("ready", "be_web/web2")], done
' "$AUDIT" "$LID"
"$OPSDECK" drill --recover >"$T/rec0.out" 2>&1
check "recover after SIGTERM: nothing to do" grep -q 'no drill left anything to roll back' "$T/rec0.out"
printf 'resume\nend\n' | "$OPSDECK" drill --resume "$LID" --plain >"$T/res.out" 2>&1
check "--resume after SIGTERM: exit 0 when ended" test $? = 0
check "it comes back paused at its drill time" grep -q 'resumed at T+00:[0-5][0-9], paused' "$T/res.out"
check "its chaos shows rolled back" grep -q 'chaos 1.1 pools ready be_web/web2: rolled back' "$T/res.out"
check "nothing rolled back twice, the run ended" test "$(jcount "$LID" rollback.end)$(jcount "$LID" run.end)" = 21
"$OPSDECK" drill --resume "$LID" --plain </dev/null >/dev/null 2>"$T/res2.err"
check "an ended drill does not resume: exit 1" test $? = 1
check "saying it has ended" grep -q 'has ended' "$T/res2.err"

start_live hup
kill -HUP "$LPID"
wait "$LPID"
check "SIGHUP: exit 129" test $? = 129
exec 7>&-
check "SIGHUP: both rolled back before exit, the run open" test "$(jcount "$LID" rollback.end)$(jcount "$LID" run.end)" = 20

start_live kill9
kill -9 "$LPID"
wait "$LPID" 2>/dev/null
exec 7>&-
check "kill -9: nothing rolled back yet" test "$(jcount "$LID" rollback.end)" = 0
"$OPSDECK" drill --recover >"$T/rec1.out" 2>&1
check "drill --recover: exit 0" test $? = 0
check "it says what it rolled back" grep -q "run $LID: rolled back pools ready be_web/web2" "$T/rec1.out"
check "both rolled back, journaled into the run" test "$(jcount "$LID" rollback.end)" = 2
check "the run ends aborted, recovered after a crash" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e["data"]["why"] for e in ev if e["action"] == "drill.abort"] == ["recovered after a crash"]
assert ev[-1]["action"] == "run.end" and ev[-1]["data"]["how"] == "aborted"
' "$RUNS/$LID.jsonl"
"$OPSDECK" drill --recover >"$T/rec2.out" 2>&1
check "a second recover: nothing" grep -q 'no drill left anything to roll back' "$T/rec2.out"
check "each rollback ran exactly once" test "$(jcount "$LID" rollback.end)" = 2

# any start of opsdeck (here a runbook run) rolls back a crashed drill first
start_live kill9b
kill -9 "$LPID"
wait "$LPID" 2>/dev/null
exec 7>&-
printf '{"title": "One", "steps": [{"id": "a", "title": "A"}]}\n' >"$T/one.json"
printf '\n' | "$OPSDECK" run "$T/one.json" --plain >"$T/run.out" 2>"$T/run.err"
check "opsdeck run after a crashed drill: the run still works (exit 0)" test $? = 0
check "and says it rolled the drill back first" grep -q "drill recovery: 2 rolled back, 0 NOT restored" "$T/run.err"
check "exactly once" test "$(jcount "$LID" rollback.end)" = 2

# end of input mid live drill rolls back too
printf 'start\n' | "$OPSDECK" drill "$T/live.md" --plain >"$T/leof.out" 2>&1
check "live, end of input: exit 3" test $? = 3
eid=$(runid "$T/leof.out")
check "live, end of input: rolled back before exit" test "$(jcount "$eid" rollback.end)" = 2

# the shipped drills, start to end, with their report
EX="$(dirname "$0")/../examples/drills"
printf 'start\nmet 1.1 alice\nfire 2\nfire 3\nmissed 1.2\nfire 4\nfire 5\nfire 6\nnote Action items: fix the call tree\ndebrief 1 the bridge worked\nend\n' |
    "$OPSDECK" drill "$EX/bcp-office-lost.md" --plain >"$T/bcp.out" 2>&1
check "the BCP tabletop runs start to end: exit 0" test $? = 0
bid=$(runid "$T/bcp.out")
check "six injects and the contingency fired" test "$(jcount "$bid" inject.fire)" = 7
"$OPSDECK" report "$bid" >"$T/bcp.md" 2>&1
check "its report: exit 0, a drill report" grep -q '^# Drill report' "$T/bcp.md"
printf 'start\nfire 2\ny\nfire 3\ny\nend\n' | "$OPSDECK" drill "$EX/gameday-web-pool.md" --plain >"$T/gd.out" 2>&1
check "the live game day against the demo runs start to end: exit 0" test $? = 0
gid=$(runid "$T/gd.out")
check "both chaos actions rolled back once, the after checks ok" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rb = [e["data"] for e in ev if e["action"] == "rollback.end"]
after = [e["data"] for e in ev if e["action"] == "check" and e["data"]["when"] == "after"]
assert len(rb) == 2 and all(r["ok"] for r in rb), rb
assert after and all(a["ok"] for a in after), after
assert ev[-1]["action"] == "run.end" and ev[-1]["data"]["how"] == "finished", ev[-1]
' "$RUNS/$gid.jsonl"
"$OPSDECK" report "$gid" >"$T/gd.md" 2>&1
check "its report names the rollbacks" grep -q 'pools ready be_web/web2' "$T/gd.md"

# chaos asks first (issue 15): on the clock and `fire N`, unless auto: true; n declines
cat >"$T/ask.md" <<'EOF'
# Ask first

```opsdeck
drill: live
duration: 30m
role: gm = Game master
facilitator: gm
```

## Drain web2
```opsdeck
at: T+00
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
web2 leaves.

## Drain web3
```opsdeck
at: T+20
chaos: pools maint be_web/web3
rollback: restore
```
web3 too.
EOF
printf 'start\nn\nfire 2\ny\nend\n' | "$OPSDECK" drill "$T/ask.md" --plain >"$T/ask.out" 2>&1
check "ask: exit 0" test $? = 0
check "ask: the clock's chaos asks, in words" grep -q '^\[T+00:00\] inject 1 fires chaos: pools drain be_web/web2 - run it? y/n$' "$T/ask.out"
check "ask: fire N asks too" grep -q 'inject 2 fires chaos: pools maint be_web/web3 - run it? y/n$' "$T/ask.out"
aid=$(runid "$T/ask.out")
check "ask: declined is journaled chaos.skip and nothing ran for it; yes ran with its rollback" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
skip = [e["data"] for e in ev if e["action"] == "chaos.skip"]
assert len(skip) == 1 and skip[0]["inject"] == "drain-web2" and skip[0]["why"] == "declined by the facilitator", skip
plans = [e["data"] for e in ev if e["action"] == "chaos.plan"]
assert [p["inject"] for p in plans] == ["drain-web3"], plans
assert plans[0]["before"] == {"status": "UP"} and plans[0]["rollback"] == "pools ready be_web/web3", plans[0]
rb = [e["data"] for e in ev if e["action"] == "rollback.end"]
assert [r["inject"] for r in rb] == ["drain-web3"] and rb[0]["ok"], rb
' "$RUNS/$aid.jsonl"

# preflight: every chaos target must be in the live data before the clock starts
sed 's/be_web\/web3/be_web\/web9/' "$T/ask.md" >"$T/gate.md"
printf 'start\nq\n' | "$OPSDECK" drill "$T/gate.md" --plain >"$T/gate.out" 2>&1
check "gate: start refused for a chaos target not in the live data" grep -q '^  ! chaos target be_web/web9 not found in pools (demo)$' "$T/gate.out"
check "gate: the clock never started" bash -c '! grep -q "^\[T+00:00\] running" "$1"' _ "$T/gate.out"
"$OPSDECK" drill "$T/gate.md" --auto </dev/null >"$T/gate-auto.out" 2>&1
check "gate: --auto says why and exits 4 (aborted)" bash -c '[ "$1" = 4 ] && grep -q -- "--auto: the drill cannot start: chaos target be_web/web9 not found in pools (demo)" "$2"' _ $? "$T/gate-auto.out"

done_testing
