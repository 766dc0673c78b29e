#!/bin/bash
# :projector, read off the screen as the room would see it: a runbook run on
# the demo shown full screen (its title, the current step, the time box, the
# big clock in block characters that advances), q back to the console with
# the run still open; then a drill at 80x24 under LANG=C (ASCII digits): the
# fired inject, the deadline, the next inject's countdown and the score for
# the owner, the clock advancing, no key but q, and q back to the drill pane.
. "$(dirname "$0")/lib.sh"

RB="$E2E_DIR/room.md"
GD="$E2E_DIR/room-drill.md"
cat >"$RB" <<'EOF2'
# Room runbook

## Acknowledge the page
```opsdeck
phase: S
timebox: 5m
```
Say you are on it.

## Drain the server
```opsdeck
phase: F
```
Take it out of the pool.
EOF2
cat >"$GD" <<'EOF2'
# Room drill

```opsdeck
drill: tabletop
duration: 10m
label: [ROOM]
role: gm = Game master
role: ic = Incident commander
facilitator: gm
```

### Office evacuated
```opsdeck
at: T+00
to: ic
expect: 5m 5 Incident declared
```
The office is being evacuated.

### Replication lag
```opsdeck
at: T+08
to: ic
```
Lag is 900 s.
EOF2

# the rows of the big clock change within a little more than two seconds
clock_rows() { screen | sed -n '3,12p'; }
clock_moves() {
    local before
    before=$(clock_rows)
    sleep 2.2
    [ "$before" != "$(clock_rows)" ]
}

e2e_start 100 30 LANG=C.UTF-8 LC_ALL=C.UTF-8 -- run "$RB"
wait_for "Acknowledge the page" || not_ok "the run opened"
keys ':' 'projector' Enter
check "the projector shows the run" wait_for "RUN  Room runbook"
check "... the current step's title" wait_for "Step 1/2: Acknowledge the page"
check "... its time box counting down" wait_line "time box: 4:[0-9][0-9] left"
check "... the phase" wait_for " S Stay calm "
check "... big digits in block characters" screen_has -F "█"
check "... and no console around it" screen_lacks -F "? help"
check "the big clock advances" clock_moves
keys 'j' 'x' ':'
check "other keys do nothing" wait_for "RUN  Room runbook"
keys 'q'
check "q leaves the projector" wait_for "? help"
check "... back to the run's pane" wait_for "Acknowledge the page"
check "... and opsdeck still runs" [ ! -s "$E2E_DIR/status" ]

e2e_start 80 24 LANG=C LC_ALL=C USER=alice -- drill "$GD"
wait_for "Office evacuated" || not_ok "the drill opened"
keys Enter
wait_for "fired T+00:00" || not_ok "the clock started"
keys ':' 'projector' Enter
check "the projector shows the drill" wait_for "[ROOM] Room drill"
check "... the fired inject" wait_for "T+00:00 Office evacuated [announce]"
check "... its text" wait_for "The office is being evacuated."
check "... the deadline counting down" wait_line "4:[0-9][0-9] left +Incident declared"
check "... when the next inject is due, not what it is" wait_line "next inject in 7:[0-9][0-9]"
check "... not the next inject's title" screen_lacks -F "Replication lag"
check "... the score for the owner" wait_for "score 0/5"
check "... ASCII digits without UTF-8" screen_has -F "######"
check "... at 80x24, the foot on the last row" sh -c "tmux -S '$E2E_SOCK' capture-pane -p -t main | sed -n 24p | grep -q 'q leave'"
check "the drill clock advances" clock_moves
keys 'q'
check "q leaves the projector" wait_for "? help"
check "... back to the drill pane" wait_for "fired T+00:00"

done_testing
