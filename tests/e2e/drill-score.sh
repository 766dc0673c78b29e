#!/bin/bash
# The drill pane's score keys, read off the screen: the 30 s warning before
# the end in the status line, skip asks and u takes it back, a mark asks
# when the team did it (a time after the deadline makes it late), + extends
# the drill, and after the end D walks the debrief form, question by
# question, then lists what is answered and what is not.
. "$(dirname "$0")/lib.sh"

TD="$E2E_DIR/score-day.md"
RUNS="$XDG_STATE_HOME/opsdeck/runs"

cat >"$TD" <<'EOF'
# Score day

```opsdeck
drill: tabletop
duration: 40s
role: gm = Game master
role: ic = Incident commander
facilitator: gm
```

## Alert
```opsdeck
at: T+00
to: ic
expect: @ic #detect 5s 10 Alert acknowledged
```
An alert fires.

## Later news
```opsdeck
at: T+00:30
to: ic
expect: 1m 5 Customers told
```
Customers call.

## Debrief
- How did we notice?

## Report
- What went well
- Action items
EOF

e2e_start 120 30 USER=alice -- drill "$TD"
check "the drill pane opens" wait_for "Score day"
wait_for "Enter/S start"
keys Enter
check "the clock runs" wait_line "tabletop  T\+00:0[0-9] / 0:40  running"
check "30 s before the end the status line warns" wait_for "30 s left: the drill ends at T+00:40 (+5m extends it)" 20
keys j s
check "s asks before skipping" wait_for 'Skip inject 2 "Later news"? It will not fire'
keys Tab Enter
check "the inject is skipped" wait_for "inject skipped (u undoes it while it has not fired)"
keys u
check "u takes the skip back" wait_for "undone: inject 2 unskipped"
keys +
check "+ asks by how much, 5m first" wait_for "Extend the drill by: 5m"
keys Enter
check "the drill is extended" wait_line "T\+00:[0-9]{2} / 5:40  running"
keys k m
check "m asks who marks" wait_for "Expectation 1.1 met, marked by: alice"
keys Enter
check "then when the team did it" wait_for "Expectation 1.1 done at (T+MM:SS, Enter: now):"
keys -l "T+00:07"
keys Enter
check "done after its deadline: late" wait_for "expectation 1.1 marked late by alice"
keys E
wait_for "End the drill now?"
keys Tab Enter
check "the drill ends" wait_line "T\+00:[0-9]{2} / 5:40  ended"
keys D
check "D opens the debrief form at its first question" wait_for "Debrief 1/3: How did we notice? (Enter: skip):"
keys -l "the pager"
keys Enter
check "then the Report headings' items" wait_for "Debrief 2/3: What went well (Enter: skip):"
keys Enter
check "Enter skips one" wait_for "Debrief 3/3: Action items (Enter: skip):"
keys -l "@bob tune the alert"
keys Enter
check "the form ends with what is answered" wait_for "1. How did we notice?: answered"
check "... and lists the unanswered" wait_for "- What went well"
check "2 of 3 answered" wait_for "2 of 3 answered."
keys Escape q
wait_exit >/dev/null
RUN=$(ls "$RUNS" | sed -n 's/\.jsonl$//p' | head -1)
check "journal: debrief answers, the skip taken back, the extension, a late mark at its time" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acts = [e["action"] for e in ev]
deb = [(e["data"]["question"], e["data"]["answer"]) for e in ev if e["action"] == "debrief"]
assert deb == [("How did we notice?", "the pager"), ("Action items", "@bob tune the alert")], deb
assert "inject.skip" in acts and "inject.unskip" in acts, acts
assert [e["data"]["by_s"] for e in ev if e["action"] == "drill.extend"] == [300]
late = [e["data"] for e in ev if e["action"] == "expect" and e["data"]["status"] == "late"]
assert len(late) == 1 and late[0]["at_ms"] == 7000, late
' "$RUNS/$RUN.jsonl"
"$OPSDECK" report "$RUN" >"$E2E_DIR/r.md" 2>&1
check "the report: the action item from the debrief answer, the unanswered prompt" bash -c \
    'grep -q "^  - bob: tune the alert$" "$1" && grep -q "^- What went well$" "$1"' _ "$E2E_DIR/r.md"
done_testing
