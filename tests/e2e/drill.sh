#!/bin/bash
# A live game day against the demo in the drill pane, read off the screen as
# the facilitator would: the before check passes, the clock starts, injects
# fire on the clock (web2 shows DRAIN in the pools pane), an expectation is
# marked met, one fires early after its dialog, one turns missed and its
# contingency fires, pause stops the clock, the end rolls everything back
# (web2 UP again) and the report opens with its expectations and score.
# Then, at 80x24: the layout with a drill open, a note that mentions the
# abort word is a note, and the word alone rolls everything back. Last, SIGTERM rolls back before exit; after a
# kill -9 the next start rolls back and says so; the console offers the open
# drill for resume and :abort ends it; a closed terminal rolls back before exit. On an
# exec-plugin pool: :close with a slow rollback shows it running while the
# screen draws, quitting waits for it, and a refused rollback is NOT
# RESTORED in the status line until a later start puts it back.
. "$(dirname "$0")/lib.sh"

GD="$E2E_DIR/gameday.md"
RUNS="$XDG_STATE_HOME/opsdeck/runs"

cat >"$GD" <<'EOF'
# E2E game day

A short live game day against the demo for the end-to-end test.

```opsdeck
drill: live
duration: 2m
label: [E2E]
abort_word: PINEAPPLE
objective: Spot the drained server
role: gm = Game master
role: oncall = On-call engineer
role: ic = Incident commander
facilitator: gm
```

### The pool is whole
```opsdeck
check: before
until: pools be_web/web2 status == UP
```

### Kickoff
```opsdeck
at: T+00
to: oncall, ic
channel: announce
expect: 1m 5 Steady state confirmed
```
The game day begins.

### web2 leaves the pool
```opsdeck
id: drain-web2
at: 3s
to: oncall
channel: dashboard
expect: 3s 10 web2 spotted in DRAIN
contingency: traffic-question
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
Somebody drained web2 and went to lunch.

### Search stops
```opsdeck
id: stop-search
at: 50s
to: oncall
channel: page
expect: 2m 10 search.index found with CONS 0
auto: true
chaos: queues stop prod/search.index
rollback: queues start prod/search.index
```
The indexer crashed.

### Is traffic still balanced?
```opsdeck
id: traffic-question
at: contingency
to: ic
channel: email
expect: 1m 5 The commander checks the other servers
```
The product owner asks whether the shop is slower.

### be_web keeps serving
```opsdeck
check: during
until: pools be_web/web1 status == UP
tolerance: 30s
interval: 2s
```

### web2 is back
```opsdeck
check: after
until: pools be_web/web2 status == UP
```
EOF

# The drill clock as shown in the pane's first line.
drill_clock() {
    screen | grep -o -E 'live  T\+[0-9]{2}:[0-9]{2}' | head -1
}

# ---- a game day, start to report (the grid: pools pane and drill side by side) ----

e2e_start 160 40 USER=alice -- drill "$GD"
check "opsdeck drill FILE opens the drill pane" wait_for "5 [E2E] E2E game day"
check "the before check passes" wait_line "before ok +The pool is whole"
check "ready, waiting for the facilitator" wait_for "Enter/S start"
check "the next inject is highlighted" wait_line "Kickoff -> oncall,ic \[announce\] NEXT in 0:00"
keys Enter
check "Enter starts the clock" wait_line "live  T\+00:0[0-9] / 2:00  running"
check "the first inject fires at T+00:00" wait_for "Kickoff -> oncall,ic [announce] fired T+00:00"
keys m
check "m asks who marks, prefilled with \$USER" wait_for "Expectation 1.1 met, marked by: alice"
keys Enter
check "then when it was done (Enter: now)" wait_for "Expectation 1.1 done at (T+MM:SS, Enter: now):"
keys Enter
check "the expectation is met" wait_for "[met] 5p Steady state confirmed"
check "the status line names the scribe" wait_for "marked met by alice"
check "the drain fires on the clock at T+00:03" wait_for "web2 leaves the pool -> oncall [dashboard] fired T+00:03"
check "the drained server shows DRAIN in the pools pane" wait_line "be_web +web2 +DRAIN"
check "its contingency fires when the expectation is missed" \
    wait_line "conting\. Is traffic still balanced\? -> ic \[email\] fired T\+00:0[6-7]"
check "the score counts the missed expectation, of every planned one" wait_for "score 5/30"
keys k k
check "the missed expectation is shown missed" wait_for "[missed] 10p web2 spotted in DRAIN"
check "its chaos action is active" wait_for "chaos pools drain be_web/web2: active"
keys j f
check "f asks before firing early" wait_for 'Fire inject 3 "Search stops" now? (due at T+00:50)'
check "the dialog lists the chaos and its rollback" \
    wait_for "queues stop prod/search.index (rollback: queues start prod/search.index)"
keys Tab Enter
check "the inject fires early" wait_line "Search stops -> oncall \[page\] fired T\+00:[01][0-9]"
check "its chaos stops the consumers" wait_line "search\.index +[0-9.kM]+ +[0-9.kM]+ +0 "
keys p
check "p pauses" wait_line "live  T\+00:[0-9]{2} / 2:00  paused"
c1=$(drill_clock)
sleep 2.2
c2=$(drill_clock)
check "the clock stands still while paused ($c1 = $c2)" \
    bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$c1" "$c2"
keys p
check "p resumes" wait_line "live  T\+00:[0-9]{2} / 2:00  running"
keys E
check "E asks before ending" wait_for "End the drill now?"
keys Tab Enter
check "the drill ends" wait_line "live  T\+00:[0-9]{2} / 2:00  ended"
check "the chaos shows rolled back" wait_for "chaos queues stop prod/search.index: rolled back"
check "web2 is back UP in the pools pane" wait_line "be_web +web2 +UP"
check "the after check passes" wait_line "after +ok +web2 is back"
check "the status line offers the report" wait_for "r writes the report"
keys r
check "r opens the report" wait_for "# Drill report: E2E game day"
RUN=$(ls "$RUNS" | sed -n 's/\.jsonl$//p' | head -1)
check "the report is written next to the journal" [ -s "$RUNS/$RUN.md" ]
check "the report file has the expectations table" \
    grep -q "| web2 leaves the pool | web2 spotted in DRAIN |  | no response by the deadline" \
    "$RUNS/$RUN.md"
check "the report opens with its summary: the two not yet due at the end are not reached" \
    wait_for "- Score: 5 of 15 points (33%): 1 met, 0 late, 1 missed, 2 not reached"
check "the report file has the met one and its scribe" grep -q "by alice | met | 5 of 5 |" "$RUNS/$RUN.md"
check "the summary names the biggest miss" wait_for '1. "web2 spotted in DRAIN" (web2 leaves the pool): missed, 10 points lost'
keys Escape
keys '?'
check "? lists the drill keys" wait_for "fire the selected inject now"
keys Escape q
check "quit after the end exits 0" [ "$(wait_exit)" = 0 ]

# ---- 80x24: the layout with a drill open, and the abort word in a note ----

e2e_start 80 24 USER=alice -- drill "$GD"
check "80x24: the drill pane fills the tab area" wait_for "5 [E2E] E2E game day"
check "80x24: the tab bar names the drill" wait_for "5 Drill"
check "80x24: the checks fit" wait_line "before ok +The pool is whole"
check "80x24: the injects fit" wait_for "T+00:50  Search stops"
check "80x24: the key hint fits" wait_for "Enter/S start"
check "80x24: the run id is in the bottom border" wait_line "drill [0-9]{8}T[0-9]{6}Z-gameday-"
keys S
check "S starts the clock" wait_for "web2 leaves the pool -> oncall [dashboard] fired T+00:03"
keys 3
check "80x24: 3 shows the pools pane, web2 drained" wait_line "be_web +web2 +DRAIN"
check "80x24: the status line told the inject while the pools pane fills the screen" \
    wait_for "[E2E] T+00:03 inject 2: web2 leaves the pool -> oncall"
keys 5 n
check "n asks for a note" wait_for "Note: "
keys -l "ops says: pineapple, real incident"
keys Enter
check "a note that mentions the abort word is a note" wait_for "note added to the drill's journal"
check "... and the drill runs on" wait_line "live  T\+00:[0-9]{2} / 2:00  running"
keys n
wait_for "Note: "
keys -l " pineapple "
keys Enter
check "the abort word alone aborts the drill" wait_line "\] E2E game day .* aborted"
check "the abort is explained" wait_for "aborted: abort word"
check "the drained server is rolled back" wait_for "chaos pools drain be_web/web2: rolled back"
check "nothing is left unrestored" screen_lacks -F "NOT RESTORED"
keys 3
check "web2 is UP again after the abort" wait_line "be_web +web2 +UP"
keys q
check "quit after an abort exits 0" [ "$(wait_exit)" = 0 ]

# ---- SIGTERM rolls back before exit; the open drill is offered for resume ----

e2e_start 160 40 USER=alice -- drill "$GD"
wait_for "Enter/S start"
keys Enter
check "started again: the drain fires" wait_line "be_web +web2 +DRAIN"
kill -TERM "$(opsdeck_pid)"
check "SIGTERM exits 143" [ "$(wait_exit)" = 143 ]
J=$(ls -t "$RUNS"/*.jsonl | head -1)
check "SIGTERM ran the rollback before exit" grep -q '"action":"rollback.end"' "$J"
check "... and left the drill open" sh -c "! grep -q '\"action\":\"run.end\"' '$J'"
# a crash (kill -9) of another drill: the next start rolls it back and says so
e2e_start 160 40 USER=alice -- drill "$GD"
wait_for "Enter/S start"
keys Enter
check "a second drill drains web2" wait_line "be_web +web2 +DRAIN"
kill -KILL "$(opsdeck_pid)"
check "kill -9 ends opsdeck mid-drill" [ "$(wait_exit)" = 137 ]
e2e_start 160 40 USER=alice --
ID=$(basename "$J" .jsonl)
check "the next start says what recovery rolled back" \
    wait_for "drill recovery: 1 rolled back, 0 NOT restored"
check "the console offers the open drill" wait_for "press R to resume the drill $ID"
keys R
check "R resumes it in the drill pane, paused" wait_line "live  T\+00:[0-9]{2} / 2:00  paused"
check "the rolled-back chaos stays rolled back" wait_line "be_web +web2 +UP"
keys :
keys -l abort
keys Enter
check ":abort asks a typed confirmation" wait_for "Type 'abort' (or 'PINEAPPLE') to confirm"
keys -l abort
keys Tab Enter
check ":abort ends the drill" wait_line "\] E2E game day .* aborted"
keys q
check "quit exits 0" [ "$(wait_exit)" = 0 ]

# The SSH link dropped (the terminal closes: tmux closes the pty) rolls back before exit too
e2e_start 160 40 USER=alice -- drill "$GD"
wait_for "Enter/S start"
keys Enter
check "a third drill drains web2" wait_line "be_web +web2 +DRAIN"
tm kill-window -t main
check "a closed terminal exits 129" [ "$(wait_exit)" = 129 ]
J=$(ls -t "$RUNS"/*.jsonl | head -1)
check "a closed terminal ran the rollback before exit" grep -q '"action":"rollback.end"' "$J"

# ---- an exec-plugin pool whose rollback is slow, then refused ----
# The plugin keeps the pool in a state file; `ready` takes 3 s while lb.json.slow
# exists and is refused while lb.json.broken exists.
cat >"$E2E_DIR/lb.py" <<'PY'
import json, os, sys, time
state = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lb.json")
def load():
    try:
        return json.load(open(state))
    except (OSError, ValueError):
        return {"be_web/web1": "UP", "be_web/web2": "UP"}
if sys.argv[1] == "list":
    rows = [{"key": k, "cells": {"POOL": k.split("/")[0], "SERVER": k.split("/")[1], "STATUS": v}}
            for k, v in sorted(load().items())]
    print(json.dumps({"rows": rows}))
else:
    if os.path.exists(state + ".slow") and sys.argv[3] == "UP":
        time.sleep(3)
    if os.path.exists(state + ".broken"):
        sys.exit("runtime API refused: read-only")
    s = load()
    s[sys.argv[2]] = sys.argv[3]
    json.dump(s, open(state + ".tmp", "w"))
    os.rename(state + ".tmp", state)
    print("%s set to %s" % (sys.argv[2], sys.argv[3]))
PY
cat >"$E2E_DIR/lb.ini" <<INI
[backend "lb"]
type = exec
pane = pools
command = python3 $E2E_DIR/lb.py list
refresh = 1s
; the slow rollback takes 3 s: well inside the time a child may take, on a busy machine too
timeout = 15s
action.drain = d | Drain server | none | python3 $E2E_DIR/lb.py set \${key} DRAIN
action.ready = r | Ready server | none | python3 $E2E_DIR/lb.py set \${key} UP
INI
cat >"$E2E_DIR/plugin-day.md" <<'EOF'
# Plugin game day

```opsdeck
drill: live
duration: 10m
label: [E2E]
role: gm = Game master
role: ic = Incident commander
facilitator: gm
```

### Drain web2
```opsdeck
at: T+00
to: ic
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
web2 leaves the pool.
EOF
lb_web2() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["be_web/web2"])' "$E2E_DIR/lb.json" 2>/dev/null
}
lb_web2_is() { [ "$(lb_web2)" = "$1" ]; }

# :close on a running drill: the rollback is slow, the screen shows it go
e2e_start 160 40 USER=alice -- drill -c "$E2E_DIR/lb.ini" "$E2E_DIR/plugin-day.md"
wait_for "Enter/S start"
keys Enter
check "plugin drill: the chaos drains web2" poll_until 10 lb_web2_is DRAIN
check "a dead-man guard watches the live drill: its pid in the pane's foot" wait_line "drill [^ ]+  guard pid [0-9]+"
touch "$E2E_DIR/lb.json.slow"
keys :
keys -l close
keys Enter
check ":close with a slow rollback: the screen keeps drawing (the clock moves)" sh -c '
    sleep 0.3; a=$(tmux -S "$1" capture-pane -p -t main | head -1); sleep 1.2
    b=$(tmux -S "$1" capture-pane -p -t main | head -1); [ "$a" != "$b" ]' _ "$E2E_SOCK"
check "... the status line shows the rollback running" \
    wait_for "closing drill" 2
check "... naming it" wait_for "rolling back: pools ready be_web/web2" 2
check "... the pane says it closes once done" wait_for "closing: rolling back every chaos action first" 2
check "then the pane closes, the drill resumable" wait_for "closed, still open: R resumes it"
check "web2 UP again" lb_web2_is UP
# quitting waits for the rollback too, drawing it
keys R
check "R resumes the drill" wait_for "resumed"
keys :
keys -l abort
keys Enter
wait_for "Type 'abort' to confirm"
keys -l abort
keys Tab Enter
check "the resumed drill, aborted" wait_line "\] Plugin game day .* aborted"
keys q
check "q exits 0" [ "$(wait_exit)" = 0 ]

# q with chaos active and a slow rollback: the quit waits, drawing it
e2e_start 160 40 USER=alice -- drill -c "$E2E_DIR/lb.ini" "$E2E_DIR/plugin-day.md"
wait_for "Enter/S start"
keys Enter
poll_until 10 lb_web2_is DRAIN
keys q
check "q with chaos active: the screen says it quits once rolled back" \
    wait_line "closing drill .*rolling back: pools ready be_web/web2" 3
check "... then it exits 0" [ "$(wait_exit)" = 0 ]
check "... web2 UP again" lb_web2_is UP
rm -f "$E2E_DIR/lb.json.slow"

# a rollback that fails: NOT RESTORED in the status line, at this and every later start
e2e_start 160 40 USER=alice -- drill -c "$E2E_DIR/lb.ini" "$E2E_DIR/plugin-day.md"
wait_for "Enter/S start"
keys Enter
poll_until 10 lb_web2_is DRAIN
touch "$E2E_DIR/lb.json.broken"
keys :
keys -l abort
keys Enter
wait_for "Type 'abort' to confirm"
keys -l abort
keys Tab Enter
check "the refused rollback: the status line says NOT RESTORED" \
    wait_line "NOT RESTORED: 1 rollback of drill [0-9]{8}T[0-9]{6}Z-plugin-day-[0-9a-f]{4}: pools ready"
keys q
check "quit exits 0" [ "$(wait_exit)" = 0 ]
# the dead-man guard takes the failed rollback over once the owner is gone; it
# fails too, and the guard exits: until then the run is the guard's, not a crash
no_guard() { ! "$OPSDECK" runs 2>/dev/null | grep -q 'guard pid'; }
check "the guard tried the rollback too, and is gone" poll_until 60 no_guard
e2e_start 160 40 USER=alice -- -c "$E2E_DIR/lb.ini"
check "the next start tries again and says it failed" wait_for "drill recovery: 0 rolled back, 1 NOT restored"
check "... and the status line keeps saying NOT RESTORED" wait_for "NOT RESTORED: 1 rollback of drill"
keys q
wait_exit >/dev/null
rm -f "$E2E_DIR/lb.json.broken"
e2e_start 160 40 USER=alice -- -c "$E2E_DIR/lb.ini"
check "once it works: the start rolls it back" wait_for "drill recovery: 1 rolled back, 0 NOT restored"
check "... and NOT RESTORED is gone" screen_lacks -F "NOT RESTORED:"
check "web2 UP again" lb_web2_is UP
keys q
wait_exit >/dev/null

done_testing
