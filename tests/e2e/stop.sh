#!/bin/bash
# The emergency stop and stop conditions at 80x24, read off the screen: every
# check is on screen with its state (the ones without a row summed up in one
# line); in the A dialog a wrong word keeps the dialog and says so, Esc
# cancels and says so, and `abort` + Enter aborts and rolls back (web2 UP
# again). Then a stop condition (a command's signal, tolerance 6 s) shows STOP
# with the countdown to the abort, and past its tolerance the drill aborts by
# itself, rolls back and says which stop condition did it.
. "$(dirname "$0")/lib.sh"

GD="$E2E_DIR/stop.md"
FLAG="$E2E_DIR/error-rate-high"
RUNS="$XDG_STATE_HOME/opsdeck/runs"

cat >"$GD" <<'EOF'
# Stop game day

```opsdeck
drill: live
duration: 5m
label: [STOP]
abort_word: PINEAPPLE
role: gm = Game master
role: oncall = On-call engineer
facilitator: gm
stop_when: pools be_web/web1 status == DOWN
```

### The pool is whole
```opsdeck
check: before
until: pools be_web/web2 status == UP
```

### web2 leaves the pool
```opsdeck
id: drain-web2
at: T+00
to: oncall
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
Somebody drained web2.

### be_web keeps serving
```opsdeck
check: during
until: pools be_web/web1 status == UP
tolerance: 30s
interval: 2s
```

### Error rate too high
```opsdeck
check: stop
run: test -e "$STOP_FLAG"
tolerance: 6s
interval: 1s
```

### web2 is back
```opsdeck
check: after
until: pools be_web/web2 status == UP
```
EOF

# ---- the A dialog: a wrong word, Esc, then the word ----

e2e_start 80 24 USER=alice STOP_FLAG="$FLAG" -- drill "$GD"
check "80x24: the drill opens" wait_for "Enter/S start"
check "80x24: the during check, with its tolerance" wait_line "during -  +tol 30s be_web keeps serving"
check "80x24: the stop check" wait_line "stop   -  +tol 6s Error rate too high"
check "80x24: the stop_when condition, titled by it" \
    wait_for "stop when pools be_web/web1 status == DOWN"
check "80x24: the checks without a row of their own are summed up, with their state" \
    wait_for "+2 more checks: before ok, after -"
keys S
check "the drain fires" wait_for "chaos pools drain be_web/web2: active"
check "the stop checks run: quiet" wait_line "stop   quiet +tol 6s Error rate too high"
keys A
check "A opens the emergency stop" wait_for "Emergency stop"
check "it asks for abort or the drill's abort word" wait_for "Type 'abort' (or 'PINEAPPLE') to confirm"
keys -l abrot
keys Enter
check "a wrong word + Enter keeps the dialog and says so" \
    wait_for "'abrot' is not 'abort': type abort then Enter; Esc cancels"
check "the drill still runs" screen_has -F "running"
keys Escape
check "Esc cancels, and says so" wait_for "cancelled: the drill goes on"
check "still running" wait_line "live  T\+00:[0-9]{2} / 5:00  running"
keys A
wait_for "Emergency stop"
keys -l abort
keys Enter
check "abort + Enter aborts" wait_line "\] Stop game day .* aborted"
check "by the facilitator" wait_for "aborted: by the facilitator"
check "the drain is rolled back" wait_for "chaos pools drain be_web/web2: rolled back"
check "the after check sees web2 back (summed up: after ok)" wait_for "+2 more checks: before ok, after ok"
keys 3
check "web2 is UP again" wait_line "be_web +web2 +UP"
keys q
check "quit after the abort exits 0" [ "$(wait_exit)" = 0 ]

# ---- a stop condition: the countdown, then the automatic abort ----

e2e_start 80 24 USER=alice STOP_FLAG="$FLAG" -- drill "$GD"
wait_for "Enter/S start"
keys S
check "started: web2 drained" wait_for "chaos pools drain be_web/web2: active"
wait_line "stop   quiet +tol 6s Error rate too high"
touch "$FLAG"
check "the signal is high: STOP with the countdown to the abort" \
    wait_line "stop   STOP +abort in 0:0[1-6] Error rate too high: exit 0"
check "the drill still runs within the tolerance" screen_has -F "running"
check "past its tolerance the drill aborts by itself" wait_line "\] Stop game day .* aborted" 15
check "saying which stop condition" wait_for "aborted: stop condition 'error-rate-too-high': exit 0"
check "the drain is rolled back" wait_for "chaos pools drain be_web/web2: rolled back"
J=$(ls -t "$RUNS"/*.jsonl | head -1)
check "the journal: check {when: stop} and drill.abort {why: stop condition ...}" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
stops = [e["data"] for e in ev if e["action"] == "check" and e["data"]["when"] == "stop"]
assert any(not s["ok"] for s in stops), stops
why = [e["data"]["why"] for e in ev if e["action"] == "drill.abort"]
assert why == ["stop condition '"'"'error-rate-too-high'"'"': exit 0"], why
assert [e for e in ev if e["action"] == "rollback.end"], "no rollback"
' "$J"
rm -f "$FLAG"
keys q
check "quit exits 0" [ "$(wait_exit)" = 0 ]

done_testing
