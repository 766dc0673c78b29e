#!/bin/bash
# opsdeck report on a drill: the summary leadership reads first (score, time
# to detect / declare / mitigate, the biggest misses, action items with
# owners), expectations grouped by inject with roles, roll-ups per role and
# per objective, during checks summarised, unanswered debrief prompts, and
# the same data with --json. A tabletop drill played through line mode.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-rdrill.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$(dirname "$0")/tap.sh"
RUNS="$XDG_STATE_HOME/opsdeck/runs"

cat >"$T/score.md" <<'EOF'
# Payments down

```opsdeck
drill: tabletop
duration: 20m
objective: comms = Customers hear from us early
role: gm = Game master
role: ic = Incident commander
role: scribe = Scribe
facilitator: gm
```

## Error rate alert
```opsdeck
at: T+00
to: ic
expect: @ic #detect 2m 10 Alert acknowledged
expect: @ic #declare #comms 5m 20 SEV1 declared
expect: @scribe 3m 5 Timeline started
```
Payments return 500.

## Mitigation
```opsdeck
at: T+01
to: ic
expect: @ic #mitigate 5m 15 Traffic moved to the other region
expect: @ic #comms 15m 8 Status page updated
```
The other region is healthy.

## Report
- What went well
- Action items
EOF

printf 'start\nmet 1.1 at T+00:00 alice\nmissed 1.3\nfire 2\nmet 2.1 carol\nnote @dave add a runbook for the region switch\nnote the pager was slow\ndebrief 1 the alert was clear\nend\n' |
    "$OPSDECK" drill "$T/score.md" --plain --players ic=alice,scribe=bob >"$T/run.out" 2>&1
check "the drill ran to its end" test $? = 0
id=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/run.out" | head -1)
"$OPSDECK" report "$id" >"$T/r.md" 2>&1
check "report exits 0" test $? = 0
check "summary first, before the participants" python3 -c '
import sys
t = open(sys.argv[1]).read()
assert t.index("## Summary") < t.index("## Participants by role") < t.index("## Expectations") < t.index("## Timeline"), t
' "$T/r.md"
# 1.1 met 10, 2.1 met 15, 1.3 missed; 1.2, 2.2 not yet due at the end: not reached
check "summary: the score over the planned expectations, not reached outside it" \
    grep -q '^- Score: 25 of 30 points (83%): 2 met, 0 late, 1 missed, 2 not reached (outside the score)$' "$T/r.md"
check "summary: time to detect from the team's response" grep -q '^- Time to detect: 0s (at T+00:00)$' "$T/r.md"
check "summary: time to declare not met" grep -q '^- Time to declare: not met$' "$T/r.md"
check "summary: time to mitigate" grep -q '^- Time to mitigate: 0s (at T+00:00)$' "$T/r.md"
check "summary: the biggest miss, by points" grep -q '^  1\. "Timeline started" (Error rate alert, @scribe): missed, 5 points lost$' "$T/r.md"
check "summary: an action item with its owner (a note naming @dave)" grep -q '^  - dave: add a runbook for the region switch$' "$T/r.md"
check "participants: people per role from --players" grep -q '^| ic | Incident commander | plays | alice |$' "$T/r.md"
check "expectations grouped by inject, with roles" bash -c \
    'grep -q "^| Error rate alert | Alert acknowledged | ic | done at T+00:00" "$1" && grep -q "^|  | SEV1 declared | ic | not reached | not reached | - |$" "$1"' _ "$T/r.md"
check "roll-up per role" grep -q '^| scribe | 0 of 5 | 0 | 0 | 1 | 0 |$' "$T/r.md"
check "roll-up per objective, with its text" grep -q '^| comms: Customers hear from us early | 0 of 0 | 0 | 0 | 0 | 2 |$' "$T/r.md"
check "unanswered debrief prompts are listed" bash -c \
    'grep -q "^Unanswered:$" "$1" && grep -q "^- Action items$" "$1"' _ "$T/r.md"

"$OPSDECK" report "$id" --json >"$T/r.json" 2>&1
check "--json: the same data, its documented shape" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "drill" and d["run"] == sys.argv[2] and d["outcome"] == "finished", d
s = d["summary"]
assert s["score"] == {"points": 25, "max": 30, "met": 2, "late": 0, "missed": 1, "skipped": 0,
                      "not_marked": 0, "not_reached": 2, "percent": 83}, s["score"]
assert s["times"]["detect_ms"] < 1000 and s["times"]["mitigate_ms"] < 1000 and s["times"]["declare_ms"] is None, s["times"]
assert [m["text"] for m in s["misses"]] == ["Timeline started"] and s["misses"][0]["lost"] == 5
assert s["action_items"] == [{"owner": "dave", "text": "add a runbook for the region switch"}]
ex = d["expectations"]
assert len(ex) == 5 and ex[1]["role"] == "ic" and ex[1]["tags"] == ["declare", "comms"], ex[1]
assert ex[0]["status"] == "met" and ex[0]["at_ms"] is not None and ex[1]["status"] == "not reached"
assert {r["role"]: r["points"] for r in d["by_role"]} == {"ic": 25, "scribe": 0}, d["by_role"]
assert [o["objective"] for o in d["by_objective"]] == ["detect", "declare", "comms", "mitigate"]
assert d["unanswered"] == ["Action items"], d["unanswered"]
assert {p["role"]: p["people"] for p in d["participants"]}["scribe"] == "bob"
assert isinstance(d["timeline"], list) and any("drill clock started" in t for t in d["timeline"])
assert d["debrief"] == [{"question": "What went well", "answer": "the alert was clear"}]
assert isinstance(d["checks"], list) and isinstance(d["chaos"], list)
' "$T/r.json" "$id"
check "the same journal gives the same score twice" bash -c \
    '"$1" report "$2" --json >"$3/r2.json" && cmp -s "$3/r.json" "$3/r2.json"' _ "$OPSDECK" "$id" "$T"
"$OPSDECK" report nosuchrun --json >"$T/bad.out" 2>&1
rc=$?
check "an unknown run: exit non-zero, the run named" bash -c 'test "$1" != 0 && grep -q "nosuchrun" "$2"' _ "$rc" "$T/bad.out"
done_testing
