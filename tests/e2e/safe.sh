#!/bin/bash
# S.A.F.E. on a wiki runbook nobody wrote for opsdeck (issue 13): numbered and
# decorated headings (`## 1. Acknowledge` ... `## 7. Escalate`) give progress
# in every phase, not all in Stay calm; the title and the steps read once
# ("Runbook: Runbook:" and "1. [S] 1." gone); the introduction and the TL;DR
# table are an overview entry before step 1 that counts in no progress; a
# step with long output is followed by a step whose bold warning line is on
# screen whole; a step longer than the pane scrolls and loses no line. At
# 80x24 (the runbook is a tab) and 120x30 (beside the live panes).
. "$(dirname "$0")/lib.sh"

RB="$E2E_DIR/web-5xx.md"
{
    cat <<'EOF'
# Runbook: Web pool returning 5xx

Owner: the web team. Use this page when the HAProxy backend be_web serves
errors to customers.

## TL;DR

| Symptom | First move |
|---|---|
| 5xx on checkout from one server | drain that server of the pool, then read its logs before anything else |
| every server of be_web down | page the web on-call |

## 1. Acknowledge
Acknowledge the page in PagerDuty and say in #inc-web that you are on it.

## Step 2: Assess impact
Look at the error rate of each server of the pool:

```sh
for i in $(seq 1 60); do echo "be_web/web$i 5xx-rate $i"; done
```

## 3) Drain the bad node
Take the server with the highest error rate out of the pool.

**Never drain more than one server of be_web at a time**

```sh
echo "set server be_web/web3 state drain"
```

## 🔥 Mitigate
Restart the application on the drained server and watch its logs.

## 5. Check that it serves again
Confirm that the error rate is back under 1 %.

## 6. Roll back the last deploy:
If the errors are back, roll back the release of today.

## 7. Escalate
Page the web on-call if nothing above helped within 30 minutes. Who to call:

EOF
    for i in $(seq 1 30); do echo "- contact line $i: someone $i, +1 555 01$i"; done
    echo "- LAST CONTACT LINE: the vice president of engineering"
} >"$RB"

# The warning line, joined when the pane is narrow enough to wrap it.
warning_whole() {
    screen | awk '/Never drain/ { print; getline; print }' |
        sed -E 's/.*│ (Never drain)/\1/; s/^.*││ //; s/^│ //; s/ *│$//' | tr '\n' ' ' |
        grep -q "Never drain more than one server of be_web at a time"
}

phase_bar() { screen | grep -qE "S $1 .*A $2 .*F $3 .*E $4 "; }

walk() {
    local cols=$1 rows=$2
    e2e_start "$cols" "$rows" LANG=C.UTF-8 -- run "$RB" --seed 7
    check "$cols x $rows: the runbook opens" wait_for "5 Runbook: Web pool returning 5xx"
    check "$cols x $rows: the title says Runbook once" screen_lacks -F "Runbook: Runbook:"
    check "$cols x $rows: steps in every phase, not all in S (S 1, A 2, F 3, E 1)" \
        poll_until 5 phase_bar 0/1 0/2 0/3 0/1
    check "$cols x $rows: step titles without their numbering" wait_line "▶ +1\. \[S\] Acknowledge +│"
    check "$cols x $rows: no '1. [S] 1.'" screen_lacks -E "\[S\] 1\. "
    check "$cols x $rows: 'Drain' is Focus by its verb" wait_line " 3\. \[F\] Drain the bad node"
    check "$cols x $rows: the overview entry is before step 1" wait_line "│ +Overview \(i\) +│"
    keys i
    check "$cols x $rows: i shows the overview, not a step" wait_for "Overview (not a step"
    check "$cols x $rows: with the introduction" wait_for "Owner: the web team."
    check "$cols x $rows: the TL;DR table in columns" \
        wait_line "│ Symptom +│ First move +│"
    check "$cols x $rows: a long cell wraps inside its column" \
        wait_line "│ +│ [a-z ]*(logs|anything)"
    check "$cols x $rows: the overview counts in no progress" poll_until 5 phase_bar 0/1 0/2 0/3 0/1
    keys Enter
    check "$cols x $rows: Enter on the overview goes back to the step, marks nothing" \
        wait_for "Step 1/7 [S] Acknowledge"
    check "$cols x $rows: nothing was done" poll_until 5 phase_bar 0/1 0/2 0/3 0/1
    keys Enter
    check "$cols x $rows: step 1 done counts in S" poll_until 5 phase_bar 1/1 0/2 0/3 0/1
    wait_for "Step 2/7 [A] Assess impact"
    keys x
    wait_for "Run code block 1"
    keys Tab Enter
    check "$cols x $rows: the long output runs" wait_for "be_web/web60 5xx-rate 60"
    keys Enter
    check "$cols x $rows: the next step" wait_for "Step 3/7 [F] Drain the bad node"
    check "$cols x $rows: its bold warning line is on screen whole" poll_until 5 warning_whole
    check "$cols x $rows: its text above it too" wait_for "Take the server with the highest error"
    check "$cols x $rows: and its code block" wait_for '[1] echo "set server be_web/web3 state drain"'
    check "$cols x $rows: step 2's output stays with step 2, said in one line" wait_for "(step 2 printed output: o shows it)"
    keys J
    wait_for "Jump to step (id or number): _"
    keys -l 7
    keys Enter
    check "$cols x $rows: the Escalate step" wait_for "Step 7/7 [E] Escalate"
    check "$cols x $rows: a text longer than the pane says there is more" \
        wait_line "▼ [0-9]+ more lines? below: Down/j scrolls"
    check "$cols x $rows: its last line is not on screen yet" screen_lacks -F "LAST CONTACT LINE"
    local n=0
    while [ $n -lt 15 ] && screen_lacks -F "LAST CONTACT LINE"; do
        keys Down
        sleep 0.2
        n=$((n + 1))
    done
    check "$cols x $rows: Down scrolls to its last line: none is lost" wait_for "LAST CONTACT LINE"
    check "$cols x $rows: the step's heading stays" wait_for "Step 7/7 [E] Escalate"
    check "$cols x $rows: the end says so" wait_for "end of the text: Up/k scrolls back"
    keys k k k k k k k k k k
    check "$cols x $rows: Up/k scrolls back to its first line" \
        wait_for "Page the web on-call if nothing above helped"
    keys q
    wait_exit >/dev/null
}

walk 80 24
walk 120 30
done_testing
