#!/bin/bash
# No value ever becomes shell code, end to end: a real Alertmanager alert
# whose labels are shell payloads, `r` on it, a command step that uses them in
# every quoting context a runbook can write (bare, glued, "...", $( ), a for
# list), and an exec plugin whose row cells are payloads, used by an action.
# Every payload must reach the command as the bytes it is, and none of them
# may create its file. A step that puts a label inside single quotes is
# refused, with the reason on screen, and runs nothing.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/inj"
mkdir -p "$T/am"
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager)
[ -n "$AM_BIN" ] || { echo "not ok 1 - alertmanager is installed (scripts/deps --test)"; echo "1..1"; exit 1; }
RUNS="$XDG_STATE_HOME/opsdeck/runs"

# the payloads, each touching a file of its own when it runs
P1="\$(touch $T/pwned1)"
P2="\"; touch $T/pwned2; \""
P3="'; touch $T/pwned3; '"
P4="\`touch $T/pwned4\`"
P5="a b; touch $T/pwned5 # c"
export P1 P2 P3 P4 P5 T
no_pwned() {
    ! ls "$T" | grep -q pwned
}

read -r AM_PORT < <(free_ports 1)
printf "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n" >"$T/am.yml"
"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
wait_until 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" || { echo "Bail out! alertmanager"; exit 1; }
python3 - "$AM_PORT" <<'PY'
import json, os, sys, urllib.request
labels = {"alertname": "InjectTest", "severity": "critical"}
for i in range(1, 6):
    labels["v%d" % i] = os.environ["P%d" % i]
req = urllib.request.Request("http://127.0.0.1:%s/api/v2/alerts" % sys.argv[1],
                             data=json.dumps([{"labels": labels}]).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY

cat >"$T/inject.md" <<'EOF'
# Injection

## Every context
```opsdeck
type: command
run: printf '<%s>' ${v1} "label=${v1}" x${v2}y "${v3}" "$(printf '%s' "${v4}")" "$(printf '%s' ${v5})"; for w in ${v5}; do printf '[%s]' "$w"; done; echo; echo END-OF-CONTEXTS
```

## Quoted by the author
```opsdeck
type: command
run: printf '[%s]\n' 'q=${v1}'
```
EOF

# an exec plugin whose queue name is a payload
cat >"$T/queues.py" <<'EOF'
import json, os
print(json.dumps({"rows": [{"key": "k1", "cells": {"QUEUE": os.environ["P1"], "MSGS": 1}},
                           {"key": "k2", "cells": {"QUEUE": os.environ["P3"], "MSGS": 2}}]}))
EOF
cat >"$T/opsdeck.ini" <<INI
[runbooks]
alert.InjectTest = $T/inject.md

[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT
refresh = 1s

[backend "plug"]
type = exec
pane = queues
command = python3 $T/queues.py
refresh = 1s
action.note = N | Note the queue | none | printf '%s|%s|%s\n' "q=\${QUEUE}" \${key} x\${QUEUE}y >>$T/act.out
INI

check "lint refuses the runbook's single-quoted label, at its line" \
    bash -c '"$1" lint "$2" 2>&1 | grep -q "inject.md:12: run: \${v1} inside single quotes"' _ "$OPSDECK" "$T/inject.md"

e2e_start 160 48 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the alert with the payload labels is on screen" wait_line "critical +InjectTest +firing" 15
keys 1 / I n j e c t Enter
wait_for "filter: Inject"
keys r
check "r opens the runbook" wait_for "Runbook: Injection"
check "the preview shows the labels as they reach the command" wait_for "\"label=\$(touch"
keys Enter
# the step succeeds and the run moves on: its output is step 1's, shown whole by o
wait_for "(step 1 printed output: o shows it)" 15
keys o
check "the command runs to its end" wait_for "END-OF-CONTEXTS" 15
keys q
wait_gone "Output of step 1"
expected() {
    python3 -c '
import os
p = [os.environ["P%d" % i] for i in range(1, 6)]
print("".join("<%s>" % x for x in [p[0], "label=" + p[0], "x" + p[1] + "y", p[2], p[3], p[4]]) +
      "[%s]" % p[4])'
}
out_has_exact() {
    grep -qxF "$(expected)" "$RUNS"/*.out
}
check "every label reached the command as its exact bytes, in every context" poll_until 5 out_has_exact
check "no payload ran" no_pwned
check "the next step: the author's single quotes" wait_for "Quoted by the author"
keys Enter
check "it is refused with the reason" wait_for "inside single quotes"
check "still no payload ran" no_pwned

# the plugin action: its cells reach the command as data
keys Escape 2
# the row's name is cut in its column; its start names it (the runbook no longer shows step 1's output)
check "the plugin's payload row is on screen" wait_for "\$(touch ${T:0:20}" 10
keys g N
check "the action asks first" wait_for "Note the queue"
keys Tab Enter
check "the action ran" poll_until 10 test -s "$T/act.out"
keys j N
wait_for "Note the queue"
keys Tab Enter
check "the plugin's cells reached both actions as data" poll_until 10 \
    bash -c 'grep -qxF "q=$P1|k1|x${P1}y" "$T/act.out" && grep -qxF "q=$P3|k2|x${P3}y" "$T/act.out"'
check "no payload ran, from the plugin either" no_pwned
keys q
check "q quits" test "$(wait_exit)" = 0
done_testing
