#!/bin/bash
# Hidden information, attachments, per-role hooks, randomness and branches in
# line mode (docs/drills.md "Hidden information", "Randomness and branches"):
# the facilitator's line mode shows the hidden text, the facilitator notes and
# a code block as written; a choice picked with `choose` skips the other
# branch; a drawn offset is journaled and kept by --resume; `to: all` notifies
# two roles' own hooks (a real local HTTP receiver) and the sandbox for the
# role without one; --wheel with a seed draws a known file; --from-run turns a
# runbook run into a drill that lints clean and runs; the report carries the
# hidden text, the code block and the notes.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-drillhid.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
unset OPSDECK_DRILL_SEED
. "$(dirname "$0")/tap.sh"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
runid() { sed -n 's/^Drill \([^:]*\): .*/\1/p' "$1" | head -1; }

cat >"$T/flood.md" <<'EOF'
# Flooded data centre

SECRETINTRO the flood is in hall B.

```opsdeck
drill: tabletop
duration: 30m
intro: facilitator
sandbox_env: HOOK_SANDBOX
role: gm = Game master
role: ic = Incident commander
role: db = DB expert
facilitator: gm
notify_ic: HOOK_IC
notify_db: HOOK_DB
```

## Water in hall B
```opsdeck
at: T+00
to: all
expect: 5m 10 Incident declared
hidden: SECRETHIDDEN the pumps fail at T+10
choice: failover -> db-failover | wait -> db-wait
notify: Water in hall B
```
Water is coming in. The log says:

```
12:01:03 ERROR  disk   /dev/sdb1 I/O error
```

## Fail over the database
```opsdeck
id: db-failover
at: contingency
to: db
```
You fail over.

## Wait it out
```opsdeck
id: db-wait
at: T+10..15
to: db
```
You wait.

## Facilitator notes

SECRETNOTES keep the CEO call for later.
EOF

"$OPSDECK" lint "$T/flood.md" >"$T/lint.out" 2>&1
check "the drill lints (warnings only: the hooks are not set here)" test $? = 0

# to: all, each role's own hook: a real receiver
read -r P_HOOK < <(free_ports 1)
python3 "$(dirname "$0")/integration/webhook.py" "$P_HOOK" "$T/hook.log" 120 >"$T/hook.port" 2>&1 &
PIDS+=($!)
wait_until 10 grep -q . "$T/hook.port"
(printf 'start\n'; sleep 2; printf 'choose 1 failover\nend\n') |
    HOOK_IC="http://127.0.0.1:$P_HOOK/ic" HOOK_DB="http://127.0.0.1:$P_HOOK/db" \
        HOOK_SANDBOX="http://127.0.0.1:$P_HOOK/sandbox" OPSDECK_DRILL_SEED=7 \
        "$OPSDECK" drill "$T/flood.md" --plain >"$T/run.out" 2>&1
check "the drill runs to its end: exit 0" test $? = 0
id=$(runid "$T/run.out")
check "line mode (the facilitator) shows the facilitator-only intro" grep -q 'SECRETINTRO' "$T/run.out"
check "... the facilitator notes" grep -q '^   SECRETNOTES keep the CEO call' "$T/run.out"
check "... the hidden text under the inject" grep -q '^   facilitator only: SECRETHIDDEN' "$T/run.out"
check "... the code block as written (blanks kept)" grep -q '^   12:01:03 ERROR  disk   /dev/sdb1 I/O error$' "$T/run.out"
check "... the choice and its options" grep -q '^   choice: 1. failover -> db-failover | 2. wait -> db-wait' "$T/run.out"
check "choose fires the picked branch now" grep -q 'INJECT 3: Fail over the database' "$T/run.out"
check "and skips the other" grep -q 'inject 2 skipped: Wait it out' "$T/run.out"
check "the notify went to ic's and db's own hooks and the sandbox (gm has none), once each" python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["path"] for r in reqs) == ["/db", "/ic", "/sandbox"], reqs
assert all(json.loads(r["body"])["text"] == "[DRILL] Water in hall B" for r in reqs), reqs
' "$T/hook.log"
check "the journal: drill.draw with the seed, choice {inject, option}, the skip" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
d = [e["data"] for e in ev if e["action"] == "drill.draw"]
assert len(d) == 1 and d[0]["inject"] == "db-wait" and 600 <= d[0]["at_s"] <= 900 and d[0]["seed"] == "7", d
c = [e["data"] for e in ev if e["action"] == "choice"]
assert c == [{"inject": "water-in-hall-b", "option": "failover", "t_ms": c[0]["t_ms"]}], c
assert [e["data"]["id"] for e in ev if e["action"] == "inject.skip"] == ["db-wait"]
n = [e["data"] for e in ev if e["action"] == "notify"]
assert len(n) == 3 and all(x["status"] == 200 for x in n), n
' "$RUNS/$id.jsonl"
"$OPSDECK" report "$id" >"$T/report.md" 2>&1
check "the report has the hidden text" grep -q 'Facilitator only: SECRETHIDDEN' "$T/report.md"
check "... the code block as an indented block" grep -q '^      12:01:03 ERROR  disk   /dev/sdb1 I/O error$' "$T/report.md"
check "... the choice and the facilitator notes" bash -c 'grep -q "choice on water-in-hall-b: failover" "$1" && grep -q "SECRETNOTES" "$1"' _ "$T/report.md"

# the same seed draws the same offset; --resume keeps the drawn one
printf 'start\n' | OPSDECK_DRILL_SEED=7 "$OPSDECK" drill "$T/flood.md" --plain >"$T/a.out" 2>&1
a=$(runid "$T/a.out")
drawn() { python3 -c '
import json, sys
print([json.loads(l)["data"]["at_s"] for l in open(sys.argv[1]) if json.loads(l)["action"] == "drill.draw"][0])' "$RUNS/$1.jsonl"; }
check "seed 7 draws the same offset twice ($(drawn "$id") and $(drawn "$a"))" test "$(drawn "$id")" = "$(drawn "$a")"
printf 'q\n' | OPSDECK_DRILL_SEED=99 "$OPSDECK" drill --resume "$a" --plain >"$T/r.out" 2>&1
at=$(drawn "$a")
want=$(printf 'T+%02d:%02d' $((at / 60)) $((at % 60)))
check "a resume (even with another seed) lists the drawn offset $want" grep -q "^   2\. $want *Wait it out" "$T/r.out"
check "and journals no second draw" test "$(grep -c '"drill.draw"' "$RUNS/$a.jsonl")" = 1
printf 'start\nchoose 1 swim\nchoose 9 wait\n' | "$OPSDECK" drill "$T/flood.md" --plain >"$T/bad.out" 2>&1
check "choose refuses an unknown option, naming the options" grep -q "no option 'swim' (failover, wait)" "$T/bad.out"
check "and an inject without a choice" grep -q 'no such inject' "$T/bad.out"

# the wheel of misfortune: a seed draws a known file, said on stderr
mkdir -p "$T/wheel"
cp "$T/flood.md" "$T/wheel/b-flood.md"
sed -e 's/^# Flooded data centre/# Power cut/' "$T/flood.md" >"$T/wheel/a-power.md"
sed -e 's/^# Flooded data centre/# Lost office/' "$T/flood.md" >"$T/wheel/c-office.md"
printf '# Not a drill\n\n## Step\n' >"$T/wheel/d-runbook.md"
for s in 1 2 3; do
    printf 'q\n' | "$OPSDECK" drill --wheel "$T/wheel" --seed "$s" --plain >"$T/w$s.out" 2>"$T/w$s.err"
done
check "--seed 1 draws c-office.md of the 3 drills (the runbook is no candidate)" grep -q "drew $T/wheel/c-office.md (3 of 3 drills, seed 1" "$T/w1.err"
check "and runs it" grep -q '^Drill .*: Lost office' "$T/w1.out"
check "--seed 2 draws b-flood.md" grep -q "drew $T/wheel/b-flood.md (2 of 3 drills, seed 2" "$T/w2.err"
check "--seed 3 draws a-power.md" grep -q "drew $T/wheel/a-power.md (1 of 3 drills, seed 3" "$T/w3.err"
"$OPSDECK" drill --wheel "$T/state" --plain </dev/null >/dev/null 2>"$T/w0.err"
check "a directory with no drill: exit 2, said" bash -c '[ $0 = 2 ] && grep -q "no drill in it" "$1"' $? "$T/w0.err"

# --from-run: a runbook run in line mode becomes a tabletop drill that lints and runs
cat >"$T/incident.md" <<'EOF'
# Checkout is slow

## Stay calm: acknowledge
Acknowledge the page.

## Assess: look at the pool
Look at be_web.

## Focus: drain the bad server
Drain it.
EOF
printf '\nn the DB looks fine `rm -rf` ```\n\n\n' | "$OPSDECK" run "$T/incident.md" --plain >"$T/inc.out" 2>&1
check "the runbook run finishes" test $? = 0
rid=$(sed -n 's/^Run \([^ ]*\) finished.*/\1/p' "$T/inc.out")
"$OPSDECK" drill --from-run "$rid" >"$T/replay.md" 2>"$T/fr.err"
check "--from-run prints a drill" grep -q '^drill: tabletop$' "$T/replay.md"
check "each step is an inject at its offset" bash -c 'grep -q "^## T+00:00 Step: Stay calm: acknowledge$" "$1" && grep -q "^## T+00:0[0-9] Step: Focus: drain the bad server$" "$1"' _ "$T/replay.md"
check "the note is an inject, quoted, its fence defused" grep -q "^> the DB looks fine 'rm -rf' '''$" "$T/replay.md"
check "expectations are left as TODO comments" grep -q '^# expect: 5m 10 TODO' "$T/replay.md"
"$OPSDECK" lint --strict "$T/replay.md" >"$T/fr-lint.out" 2>&1
check "the drill lints clean (--strict)" test $? = 0
printf 'start\nend\n' | "$OPSDECK" drill "$T/replay.md" --plain >"$T/replay.out" 2>&1
check "and runs" grep -q '^Drill .* finished' "$T/replay.out"
"$OPSDECK" drill --from-run "$rid" "$T/replay2.md" 2>/dev/null
check "--from-run RUN-ID FILE writes the file" cmp -s "$T/replay.md" "$T/replay2.md"
"$OPSDECK" drill --from-run "$rid" "$T/replay2.md" 2>"$T/fr2.err"
check "and does not overwrite one: exit 1" bash -c '[ $0 = 1 ] && grep -q "exists already" "$1"' $? "$T/fr2.err"
"$OPSDECK" drill --from-run "$id" >/dev/null 2>"$T/fr3.err"
check "a drill run is refused: exit 1" bash -c '[ $0 = 1 ] && grep -q "is a drill" "$1"' $? "$T/fr3.err"
"$OPSDECK" drill --from-run 20200101T000000Z-nope-0000 >/dev/null 2>"$T/fr4.err"
check "no such run: exit 1" test $? = 1

done_testing
