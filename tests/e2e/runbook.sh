#!/bin/bash
# A runbook in the console against the demo, read off the screen: manual
# steps, a prompt typed in, a command streaming its output, an action step
# through the action dialog (web2 shows DRAIN), a notify step received by a
# local webhook, a decision and the end; the layouts with a run open; resume
# after the terminal was killed; Ctrl-C stopping a long command, not opsdeck.
. "$(dirname "$0")/lib.sh"

HOOK_LOG="$E2E_DIR/webhook.jsonl"
RB="$E2E_DIR/drill.md"
SLOW="$E2E_DIR/slow.md"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

cat >"$RB" <<'EOF'
# E2E drill

A small runbook for the end-to-end test.

```opsdeck
var: service = checkout
```

## Stay calm: acknowledge the page
Acknowledge the page and open the incident channel.

    echo copy me

## Assess: who is on call
```opsdeck
type: prompt
var: oncall
ask: Who is on call?
```

## Look at the logs
```opsdeck
type: command
run: for i in 1 2 3; do echo log line $i for ${oncall}; done; echo tail marker ${service}
capture: lastline
```

## Focus: drain web2
```opsdeck
type: action
action: drain
pane: pools
target: be_web/web2
```

## Tell the channel
```opsdeck
type: notify
service: slack
url_env: E2E_SLACK_URL
message: web2 drained by ${oncall}
```

## Escalate: roll back?
```opsdeck
id: rollback
type: decision
ask: Roll back the deploy?
choice: yes -> wrap-up
choice: no -> end
```

## Wrap up
```opsdeck
id: wrap-up
```
Write the timeline.
EOF

cat >"$SLOW" <<'EOF'
# Slow command

```opsdeck
var: who = nobody
```

## Wait for the cache
Warm the cache for ${who}.

```opsdeck
type: command
run: echo cache warming; echo ran >> @MARK@; sleep 30; echo never printed
```

## After the wait
Nothing to do.

```opsdeck
timebox: 1s
```

## Escalate: page the cache owner
Page them.
EOF

SLOW_MARK="$E2E_DIR/slow.marker"
sed -i "s|@MARK@|'$SLOW_MARK'|" "$SLOW"
slow_runs() { wc -l <"$SLOW_MARK" 2>/dev/null || echo 0; }

SECRET="$E2E_DIR/secret.md"
cat >"$SECRET" <<'EOF'
# Secret test

## Give the token
```opsdeck
type: prompt
var: token
secret: true
ask: API token?
```

## Use it
```opsdeck
type: command
run: printf %s ${token} | wc -c; seq 101 160
```
EOF

# the webhook receiver: the one from the notify tests when it is there
PORT=$(free_ports 1)
WEBHOOK="$(dirname "$0")/../integration/webhook.py"
python3 "$WEBHOOK" "$PORT" "$HOOK_LOG" 120 >"$E2E_DIR/webhook.out" 2>&1 &
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null; e2e_cleanup' EXIT
wait_until 10 grep -q . "$E2E_DIR/webhook.out" || echo "# webhook receiver did not start"

open_runbook() {
    keys :
    keys -l "run $1"
    keys Enter
}

# ---- a whole run, 160x48 ----
e2e_start 160 48 LANG=C.UTF-8 E2E_SLACK_URL="http://127.0.0.1:$PORT/services/T0/B0/secret" \
    OPSDECK_SLACK_WEBHOOK="http://127.0.0.1:$PORT/services/T1/B1/other" \
    OPSDECK_PD_ROUTING_KEY=e2e-routing-key -- --seed 7
tm set-option -g set-clipboard on >/dev/null
open_runbook "$RB"
check "the runbook pane opens with its title" wait_for "5 Runbook: E2E drill"
check "160x48: the grid keeps the left, the runbook the right" \
    wait_line "┌─ 1 Alerts.*┐┌─ 2 Queues.*┐┌─ 5 Runbook: E2E drill"
check "the pools pane is still shown beside it" wait_line "┌─ 3 Pools.*┌─ 4 Deployments"
check "the S.A.F.E. bar shows the four phases" wait_line "S 0/1 [0-9]+s +A 0/2 -- +F 0/2 -- +E 0/2 --"
check "the first step is current in the checklist" wait_line "▶ +1\. \[S\] Stay calm: acknowledge the page"
check "its body is shown" wait_for "Acknowledge the page and open the incident channel."
check "its code block is numbered" wait_for "[1] echo copy me"
check "a manual step hints Enter done" wait_for "Enter done"

keys y
check "y copies the code block" wait_for "code block 1 copied to the clipboard"
check "the terminal got it through OSC 52 (tmux buffer)" \
    poll_until 5 bash -c '[ "$(tmux -S "$1" show-buffer 2>/dev/null)" = "echo copy me" ]' _ "$E2E_SOCK"

keys x
check "x asks before running the code block, showing it" wait_for "Run code block 1 with /bin/sh -c:"
check "the dialog defaults to Cancel" wait_for "[ Cancel ]  [ Run ]"
keys Tab Enter
check "confirmed, the block runs and its output shows" wait_line "│ copy me +│"
keys n
check "n asks for a note" wait_for "Note: _"
keys -l "paged at night"
keys Enter
check "the note is journaled" poll_until 5 bash -c 'grep -q "\"action\":\"note\".*paged at night" "$1"/*.jsonl' _ "$RUNS"
keys Enter
check "Enter marks the manual step done" wait_line "✓ +1\. \[S\] Stay calm"
check "the prompt step is current" wait_line "▶ +2\. \[A\] Assess: who is on call"
keys Enter
check "Enter on a prompt asks in the status line" wait_for "Who is on call?: _"
keys -l alice
check "the answer is echoed" wait_for "Who is on call?: alice_"
keys Enter
check "the command step shows exactly what will run" \
    wait_for "will run: sh: for i in 1 2 3; do echo log line \$i for 'alice'; done"
keys Enter
check "the next step does not show the output of the one before" \
    wait_for "(step 3 printed output: o shows it)"
check "step 4 shows none of step 3's output" screen_lacks -F "log line 3 for alice"
keys o
check "o shows the output whole, named by its step and time" \
    wait_line "Output of step 3 \(Look at the logs\), started [0-9:]{8} UTC"
check "its output is all there" wait_for "log line 3 for alice"
check "with the runbook's own variable" wait_for "tail marker checkout"
keys q
wait_gone "Output of step 3"
check "the action step previews the drain" wait_line "will do: drain pools be_web/web2"
keys Enter
check "an action step opens the action dialog, Cancel first" wait_for "[ Cancel ]  [ Drain ]"
check "the dialog names the target" wait_for "Drain server be_web/web2"
keys Enter
check "Cancel (the default) does not run it" wait_for "cancelled: the step did not run"
check "web2 is still UP" wait_line "be_web +web2 +UP"
keys Enter
wait_for "[ Cancel ]  [ Drain ]"
keys Tab Enter
check "confirming drains web2: DRAIN in the pools pane" wait_line "be_web +web2 +DRAIN"
RUN1=$(ls -t "$RUNS" | grep jsonl | head -1 | sed 's/\.jsonl$//')
check "the drain is audited with the run and its step" \
    poll_until 5 grep -qE "\"run\":\"$RUN1\",\"step\":\"[^\"]+\",\"action\":\"drain\",\"target\":\"be_web/web2\",\"result\":\"ok\"" "$AUDIT"
check "the notify step previews the message" wait_for "web2 drained by alice"
check "the webhook URL is not shown" screen_lacks -F "secret"
keys Enter
check "the receiver got the Slack message" \
    poll_until 10 grep -q 'web2 drained by alice' "$HOOK_LOG"
check "the decision lists its choices" wait_for "1) yes -> wrap-up"
keys 1
check "choosing 1 goes to wrap-up" wait_line "▶ +7\. \[E\] Wrap up"
check "phase times show in the bar" wait_line "S 1/1 [0-9]+s +A 2/2 [0-9]+s +F 2/2 [0-9]+s +E [01]/2"

# layouts with the run open
tm resize-window -t main -x 80 -y 24
check "80x24: the runbook is a fifth tab" wait_line "4 Deployments [0-9]+ +5 Runbook"
check "80x24: the runbook fills the pane area" wait_for "5 Runbook: E2E drill"
check "80x24: no line wider than the terminal" \
    bash -c 'test "$(tmux -S "$1" capture-pane -p -t main | LC_ALL=C.UTF-8 wc -L)" -le 80' _ "$E2E_SOCK"
keys 3
check "80x24: 3 shows pools" wait_line "POOL +SERVER +STATUS"
keys Tab Tab
check "80x24: Tab cycles through the runbook" wait_for "Runbook: E2E drill"
tm resize-window -t main -x 160 -y 48
check "back to 160x48: the grid and the runbook" wait_line "┌─ 1 Alerts.*┌─ 5 Runbook: E2E drill"
keys z
check "z zooms the runbook" wait_line "┌─ 5 Runbook: E2E drill"
check "zoomed: no grid" wait_gone "2 Queues"
keys z
keys '?'
check "? lists the runbook keys" wait_for "Help: Runbook pane"
check "help names Ctrl-C" wait_for "stop the running command (not opsdeck)"
keys q
keys Enter
check "the last step done ends the run" wait_for "Run finished."
check "the journal says finished" \
    poll_until 5 bash -c 'grep -q "\"action\":\"run.end\".*finished" "$1"/*.jsonl' _ "$RUNS"
check "the run's end asks the post-incident questions" wait_for "Impact (who or what was affected"
keys Escape
check "Esc skips them all; what the run left in place is listed: its drain step's web2" \
    wait_line "> ready +be_web/web2 \(demo\): drained, since [0-9:]+ by "
keys Escape
check "Esc closes the list" wait_gone "Left in place by run"
keys :
keys -l close
keys Enter
check ":close closes the pane" wait_gone "5 Runbook"

# r on an alert: its runbook (the demo links the shipped ones), its labels as variables
keys 1 / D e a d L e t t e r Enter
wait_for "1 of "
keys '?'
check "the alerts help offers r" wait_for "open the selected alert's runbook"
keys q
wait_gone "Help: Alerts pane"
keys r
check "r on an alert opens its runbook" wait_for "5 Runbook: Queue backlog and dead letters (RabbitMQ)"
keys Enter
wait_for "will run: sh: date -u"
keys Enter
check "the alert's labels are the run's variables" \
    wait_for "DeadLetterQueueGrowing on orders.created.dlq"
keys :
keys -l abort
keys Enter
wait_for "Type 'abort' to confirm"
keys -l abort
keys Tab Enter
wait_for "Run aborted."
keys :
keys -l close
keys Enter
wait_gone "5 Runbook"
keys 1 Escape / H i g h M e m Enter
wait_for "1 of "
keys r
check "an alert without a runbook says why in the status line" wait_for "no runbook for HighMemoryUsage"
keys q
check "q quits with status 0" test "$(wait_exit)" = 0

# ---- resume after the terminal is killed ----
e2e_start 120 30 LANG=C.UTF-8 E2E_SLACK_URL="http://127.0.0.1:$PORT/x" -- --seed 7
open_runbook "$RB"
wait_for "5 Runbook: E2E drill"
keys Enter
check "Enter on a step whose code never ran asks first" \
    wait_for "the command in this step was not run: done anyway? y/N"
keys -l y
keys Enter
wait_for "Who is on call?" && keys Enter
wait_for "Who is on call?: _"
keys -l bob
keys Enter
check "at step 3 with bob's value" wait_for "for 'bob'; done"
RUN_ID=$(ls -t "$RUNS" | grep jsonl | head -1 | sed 's/\.jsonl$//')
OLD_PID=$(opsdeck_pid)
tm kill-server
check "opsdeck ends with its terminal" poll_until 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$OLD_PID"
check "the run was not ended" bash -c '! grep -q "\"action\":\"run.end\"" "$1"' _ "$RUNS/$RUN_ID.jsonl"

e2e_start 120 30 LANG=C.UTF-8 E2E_SLACK_URL="http://127.0.0.1:$PORT/x" -- --seed 7
check "the unfinished run is offered at start" wait_for "1 unfinished run: press R to resume $RUN_ID"
keys R
check "R resumes it" wait_for "5 Runbook: E2E drill"
check "at step 3" wait_line "▶ +3\. \[A\] Look at the logs"
check "with the earlier answer still used" wait_for "for 'bob'; done"
keys Enter
wait_for "(step 3 printed output: o shows it)"
keys o
check "the resumed step runs with it" wait_for "log line 3 for bob"
keys q
wait_gone "Output of step 3"

# ---- Ctrl-C stops a long command, not opsdeck ----
keys :
keys -l abort
keys Enter
check ":abort asks a typed confirmation" wait_for "Type 'abort' to confirm"
keys -l abort
keys Tab Enter
check "the run is aborted" wait_for "Run aborted."
keys :
keys -l close
keys Enter
wait_gone "5 Runbook"
open_runbook "$SLOW"
wait_for "will run: sh: echo cache warming"
keys Enter
check "the long command runs" wait_for "cache warming"
check "a busy step shows it is running" wait_line "running [0-9]+s"
keys C-c
check "Ctrl-C stops the command: the step failed, stopped" wait_line "failed: .*stopped"
check "opsdeck keeps running" bash -c '! test -s "$1/status"' _ "$E2E_DIR"
check "the screen is live" wait_for "? help"
check "the next step was not reached" screen_lacks -E "▶ +2\."
keys s
check "s skips past the stopped step" wait_line "▶ +2\. \[S\] After the wait"
check "over its time box, it asks whether to escalate" \
    wait_for "Step ran over its time box (1s). Escalate now?"
check "No (Cancel) is the default" wait_for "[ Cancel ]  [ Escalate ]"
keys Enter
check "answered, the dialog closes" wait_gone "Escalate now?"
sleep 1.5
check "and does not ask again for this step" screen_lacks -F "Escalate now?"
# the test's sh -c wrapper (not opsdeck) died of that SIGINT: no exit status file, ask the pid
PID=$(opsdeck_pid)
keys q
check "q quits" poll_until 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$PID"
SLOW_ID=$(ls -t "$RUNS" | grep jsonl | head -1 | sed 's/\.jsonl$//')
check "quitting leaves the run open (resumable)" \
    bash -c '! grep -q "\"action\":\"run.end\"" "$1"' _ "$RUNS/$SLOW_ID.jsonl"

# ---- opsdeck run FILE opens the console; a step in flight at the drop is not re-run ----
e2e_start 120 30 LANG=C.UTF-8 -- run "$SLOW" --var who=carol --seed 7
check "opsdeck run FILE opens the console with the runbook" wait_for "5 Runbook: Slow command"
check "--var reaches the run" wait_for "Warm the cache for carol."
keys Enter
wait_for "cache warming"
SLOW2_ID=$(ls -t "$RUNS" | grep jsonl | head -1 | sed 's/\.jsonl$//')
OLD_PID=$(opsdeck_pid)
tm kill-server
poll_until 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$OLD_PID"
e2e_start 120 30 LANG=C.UTF-8 -- --seed 7
check "both open runs are offered, the newest for R" \
    wait_for "2 unfinished runs: press R to resume $SLOW2_ID"
keys R
check "the step in flight at the drop shows interrupted" wait_for "interrupted: this step was in flight"
check "with the choices" wait_for "choose: s continue past it, Enter re-run it"
check "nothing re-ran by itself" screen_lacks -E "running [0-9]"
RAN=$(slow_runs)
check "the command had started once before the drop" test "$RAN" -ge 1
keys Enter
check "Enter on the interrupted step asks first" wait_for "Re-run interrupted step"
check "saying it may have run partly" wait_for "may have run partly"
check "Cancel is the default" wait_for "[ Cancel ]  [ Re-run ]"
keys Enter
check "a second Enter cancels" wait_gone "Re-run interrupted step"
check "and says the step did not run" wait_for "cancelled: the step did not run"
sleep 1
check "the marker proves it did not run again" test "$(slow_runs)" = "$RAN"
check "still interrupted, nothing running" screen_lacks -E "running [0-9]"
keys J
check "J asks for a step in the status line" wait_for "Jump to step (id or number): _"
keys 2 Enter
check "J 2 jumps to step 2" wait_line "▶ +2\. \[S\] After the wait"
check "the time box asks again for the new step" wait_for "Escalate now?"
keys Tab Enter
check "Escalate jumps to the Escalate step" wait_line "▶ +3\. \[E\] Escalate: page the cache owner"
keys q
check "q quits with status 0" test "$(wait_exit)" = 0

# ---- ASCII without a UTF-8 locale, and a secret answer never on screen ----
e2e_start 80 24 LANG=C LC_ALL=C -- run "$SECRET" --seed 7
check "ASCII: the runbook box is drawn with +-" wait_line "^\+- 5 Runbook: Secret test -+"
check "ASCII: the current step is marked >" wait_line "^\| > +1\. \[S\] Give the token"
keys Enter
wait_for "API token?: _"
keys -l hunter2
check "a secret answer is not echoed" wait_for "API token?: *******_"
check "not even in part" screen_lacks -F "hunter"
keys Enter
check "the step using it shows it masked" wait_for "'[secret]'"
check "the secret is nowhere on screen" screen_lacks -F "hunter2"
keys Enter
check "long output shows its tail" wait_line "^\| 160 +\|"
check "and says how long it is" wait_for "output (61 lines"
wait_for "Impact (who or what was affected"
keys Escape
keys PPage
check "PgUp scrolls the output up" wait_for "scrolled up"
check "earlier lines come into view" screen_lacks -E "^\| 160 +\|"
keys NPage NPage NPage NPage
check "PgDn scrolls back to the tail" wait_line "^\| 160 +\|"
keys q
check "q quits with status 0" test "$(wait_exit)" = 0
done_testing
