#!/bin/bash
# Chaos asks the facilitator first (issue 15), in the drill pane against the
# demo: an inject's chaos on the clock opens a dialog naming it; Run runs it
# (web2 DRAIN in the pools pane), the default (Enter: Cancel) declines it
# (web3 stays UP, chaos.skip in the journal), and the end rolls back only
# what ran.
. "$(dirname "$0")/lib.sh"

GD="$E2E_DIR/ask.md"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
cat >"$GD" <<'EOF'
# Ask first

```opsdeck
drill: live
duration: 5m
role: gm = Game master
facilitator: gm
```

### web1 serves
```opsdeck
check: during
until: pools be_web/web1 status == UP
```

### Drain web2
```opsdeck
at: T+00
chaos: pools drain be_web/web2
rollback: restore
```
web2 leaves.

### Maint web3
```opsdeck
at: T+00:02
chaos: pools maint be_web/web3
rollback: pools ready be_web/web3
```
web3 too.
EOF

e2e_start 160 40 USER=alice -- drill "$GD"
check "the drill pane opens" wait_for "Enter/S start"
keys Enter
check "chaos on the clock asks first, naming it" wait_for 'inject 1 "Drain web2" fires chaos:'
check "the dialog shows the action" wait_for "pools drain be_web/web2"
check "nothing ran before the answer" wait_line "be_web +web2 +UP"
keys Tab Enter
check "Run: the chaos runs (web2 DRAIN in the pools pane)" wait_line "be_web +web2 +DRAIN"
check "the next inject's chaos asks too" wait_for 'inject 2 "Maint web3" fires chaos:'
keys Enter
check "Enter (the default, Cancel) declines it" wait_for "declined: the chaos did not run"
check "web3 never went into maint" screen_lacks -E "be_web +web3 +MAINT"
keys E
check "E asks before ending" wait_for "End the drill now?"
keys Tab Enter
check "the end rolls back what ran: web2 UP again" wait_line "be_web +web2 +UP"
keys q
check "quit exits 0" [ "$(wait_exit)" = 0 ]
RUN=$(ls "$RUNS" | sed -n 's/\.jsonl$//p' | head -1)
check "the journal: one chaos.skip, one plan, its rollback done" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acts = [e["action"] for e in ev]
assert acts.count("chaos.skip") == 1 and acts.count("chaos.plan") == 1, acts
skip = [e["data"] for e in ev if e["action"] == "chaos.skip"][0]
assert skip["inject"] == "maint-web3" and skip["why"] == "declined by the facilitator", skip
rb = [e["data"] for e in ev if e["action"] == "rollback.end"]
assert len(rb) == 1 and rb[0]["ok"] and rb[0]["inject"] == "drain-web2", rb
' "$RUNS/$RUN.jsonl"

done_testing
