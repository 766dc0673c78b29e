#!/bin/bash
# A protected context beyond the action keys: a runbook's action step and a
# drill's chaos ask the typed confirmation too (the console's dialog says
# why), and run once it is typed; line mode, which cannot take it, refuses
# with the reason and changes nothing. The demo backend is in prod-eu.
. "$(dirname "$0")/lib.sh"

CFG="$E2E_DIR/prod.ini"
cat >"$CFG" <<'INI'
[context "prod-eu"]
tone = crit
protected = true

[backend "eu"]
type = demo
context = prod-eu
mode = still
INI
RB="$E2E_DIR/rb.md"
cat >"$RB" <<'EOF2'
# Drain web3

## Drain it
```opsdeck
type: action
action: drain
pane: pools
target: be_web/web3
```
EOF2
GD="$E2E_DIR/gd.md"
cat >"$GD" <<'EOF2'
# Protected chaos

```opsdeck
drill: live
duration: 5m
role: gm = Game master
facilitator: gm
```

### Drain web2
```opsdeck
at: T+00
chaos: pools drain be_web/web2
rollback: restore
```
web2 leaves.
EOF2

# line mode: no dialog to type into, so the step is refused, saying why
printf '\n\nq\n' | "$OPSDECK" run "$RB" --plain -c "$CFG" >"$E2E_DIR/plain.out" 2>&1
check "line mode: the action step is refused in a protected context" \
    grep -q "context prod-eu is protected: drain be_web/web3 needs the typed confirmation" "$E2E_DIR/plain.out"
check "line mode: nothing drained (audited as refused, no ok)" \
    sh -c "grep -q '\"result\":\"refused: context prod-eu is protected' '$XDG_STATE_HOME/opsdeck/audit.jsonl' && ! grep -q '\"result\":\"ok\"' '$XDG_STATE_HOME/opsdeck/audit.jsonl'"

# a drill in line mode: its y cannot be a typed confirmation, so the chaos is refused, saying why
(sleep 1; echo start; sleep 1; echo y; sleep 2; echo end; sleep 2; echo q) |
    "$OPSDECK" drill "$GD" --plain -c "$CFG" >"$E2E_DIR/drill-plain.out" 2>&1
check "drill line mode: protected chaos refused with the reason" \
    grep -q "chaos 1.1 pools drain be_web/web2: FAILED - context prod-eu is protected: drain be_web/web2 needs the typed confirmation" "$E2E_DIR/drill-plain.out"

# the console's runbook pane: the step's dialog asks the target typed
e2e_start 160 40 USER=alice -- run "$RB" -c "$CFG"
check "the title says the protected context" wait_for "[prod-eu PROTECTED]"
wait_for "Drain it"
keys Enter
check "the step's dialog says why it asks" wait_for "prod-eu is protected: type be_web/web3 to confirm"
check "... the typed field" wait_for "Type 'be_web/web3' to confirm"
keys b e _ w e b / w e b 3 Enter
check "typed: the step drains web3" wait_line "be_web +web3 +DRAIN"
check "typed: the step's drain is audited ok" \
    grep -q '"action":"drain","target":"be_web/web3","result":"ok"' "$XDG_STATE_HOME/opsdeck/audit.jsonl"
keys q
wait_exit >/dev/null

# a drill's chaos: the facilitator's question asks the target typed
e2e_start 160 40 USER=alice -- drill "$GD" -c "$CFG"
check "the drill pane opens" wait_for "Enter/S start"
keys Enter
check "chaos asks first, saying the context is protected" \
    wait_for "prod-eu is protected: type be_web/web2 to confirm"
check "nothing ran before the answer" wait_line "be_web +web2 +UP"
keys b e _ w e b / w e b 2 Enter
check "typed: the chaos runs (web2 DRAIN)" wait_line "be_web +web2 +DRAIN"
keys E
wait_for "End the drill now?"
keys Tab Enter
check "the end rolls it back (a rollback needs no second typed word)" wait_line "be_web +web2 +UP"
keys q
check "quit exits 0" [ "$(wait_exit)" = 0 ]
done_testing
