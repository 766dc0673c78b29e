#!/bin/bash
# A wiki runbook nobody wrote for opsdeck, on a real HAProxy (issue 13, part 2):
# its drain is a socat line holding <server>. The pane says what the block
# does and offers the console's drain; a asks for the server, opens the same
# dialog as the Pools pane (naming be_web/web3), and HAProxy itself then
# reports web3 in drain; the audit line names the run. x on an unfilled
# placeholder never runs it as written (line mode says so and runs nothing);
# e edits a block and the journal keeps both; Enter on a step whose command
# never ran asks first; IC: <your name> shows as written.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/srv"
mkdir -p "$T"
for tool in haproxy socat curl python3; do
    command -v "$tool" >/dev/null || { echo "not ok 1 - $tool is installed (scripts/deps --test)"; echo "1..1"; exit 1; }
done
. "$(dirname "$0")/../integration/haproxy-lib.sh"
haproxy_start

RUNS="$XDG_STATE_HOME/opsdeck/runs"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
RB="$E2E_DIR/web-node.md"
cat >"$RB" <<'MD'
# Web node unhealthy

Use this when one web node of be_web is sick.

## 1. Acknowledge

IC: <your name>

## 2. Drain the node

Never drain more than one server of be_web at a time.

```shell
echo "set server be_web/<server> state drain" | socat stdio unix-connect:@SOCK@
```

## 3. Check it

```shell
echo "show stat" | socat stdio unix-connect:@SOCK@ | cut -d, -f1,2,18 | grep <server>
```

## 4. Tell the channel

```shell
echo "drained <server>" >>@MARK@
```
MD
MARK="$E2E_DIR/told"
sed -i "s|@SOCK@|$SOCK|g; s|@MARK@|$MARK|g" "$RB"

cat >"$T/opsdeck.ini" <<INI
[backend "edge"]
type = haproxy
socket = $SOCK
refresh = 1s
INI

# HAProxy's admin state of a server (show servers state: srv_admin_state; 0x08 = drain)
admin_state() {
    echo "show servers state be_web" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" |
        awk -v s="$1" '$4 == s { print $7 }'
}
drained() {
    [ $(($(admin_state "$1") & 8)) -ne 0 ]
}

# ---- line mode: an unfilled placeholder is never run as written ----
OUT=$(printf 'j 2-drain-the-node\nx 1\n\nq\n' | "$OPSDECK" run "$RB" -c "$T/opsdeck.ini" --plain 2>&1)
check "line mode: x asks the block's placeholder" grep -qF "? value for <server> (1/1)" <<<"$OUT"
check "line mode: no answer, nothing offered: not run, saying why" \
    grep -qF "not run: <server> has no value" <<<"$OUT"
PLAIN_RUN=$(ls -t "$RUNS" | grep jsonl | head -1)
check "line mode: no command started" bash -c '! grep -q "command.start" "$1"' _ "$RUNS/$PLAIN_RUN"
OUT=$(printf 'j 3-check-it\nx 1\nweb1\nq\n' | "$OPSDECK" run "$RB" -c "$T/opsdeck.ini" --plain 2>&1)
check "line mode: the answer reaches the command" grep -q "be_web,web1," <<<"$OUT"
OUT=$(printf 'j 3-check-it\nx 1\n\nq\n' | "$OPSDECK" run "$RB" -c "$T/opsdeck.ini" --plain --var instance=web2 2>&1)
check "line mode: Enter alone takes the value offered from the label" grep -q "be_web,web2," <<<"$OUT"
check "web3 is not drained" bash -c "$(declare -f admin_state drained); SOCK='$SOCK'; ! drained web3"

# ---- the console, 120x30 ----
e2e_start 120 30 LANG=C.UTF-8 USER=oncall -- run "$RB" -c "$T/opsdeck.ini"
check "the wiki runbook opens in the pane" wait_for "2 Runbook: Web node unhealthy"
check "IC: <your name> is shown as written, not dropped as HTML" wait_for "IC: <your name>"
keys 2 Enter
check "step 1 (no code) is done by Enter" wait_line "✓ +1\. "
check "the drain step's block holds the placeholder" \
    wait_for 'echo "set server be_web/<server> state drain"'
check "the pane says what the block does and offers the console's drain" \
    wait_for "this block drains be_web/<server>: press a to do"
RUN=$(ls -t "$RUNS" | grep jsonl | head -1 | sed 's/\.jsonl$//')

keys x
check "x asks for the placeholder first" wait_for "Value for <server> (1/1, Esc: nothing runs): _"
keys Escape
check "Esc: nothing ran" wait_for "cancelled"
check "no command started in the run" bash -c '! grep -q "command.start" "$1"' _ "$RUNS/$RUN.jsonl"

keys a
check "a asks for the server" wait_for "Value for <server> (1/1"
keys -l web3
keys Enter
check "the console's own drain dialog names be_web/web3" wait_for "Drain server be_web/web3"
check "on the HAProxy backend" wait_for "on backend 'edge' (haproxy)"
check "Cancel first" wait_for "[ Cancel ]  [ Drain ]"
keys Tab Enter
check "HAProxy reports web3 in drain (its own stats socket)" \
    poll_until 10 bash -c "$(declare -f admin_state drained); SOCK='$SOCK'; drained web3"
check "the audit line names the run and the step" \
    poll_until 5 grep -qE "\"run\":\"$RUN\",\"step\":\"2-drain-the-node\",\"action\":\"drain\",\"target\":\"be_web/web3\",\"result\":\"ok\"" "$AUDIT"
check "the run's journal holds the action, for the block it stands for" \
    grep -qE '"action":"action.start".*"verb":"drain","target":"be_web/web3".*"code":true,"block":0' "$RUNS/$RUN.jsonl"
check "the answer is journaled with its placeholder" \
    grep -qE '"action":"input".*"var":"server","value":"web3","placeholder":"<server>"' "$RUNS/$RUN.jsonl"
check "no shell ran for it" bash -c '! grep -q "command.start" "$1"' _ "$RUNS/$RUN.jsonl"
check "the value shows in the step's text from now on" wait_for "this block drains be_web/web3"

keys Enter
check "the block was done: Enter marks the step done without asking" wait_line "✓ +2\. "

# ---- e edits a block before it runs; the journal keeps both ----
wait_line "▶ +3\. "
keys e
check "e opens the block in the line editor, as one line" wait_for "| cut -d, -f1,2,18 | grep <server>_"
keys End
tm send-keys -t main -l ' && echo EDITED-OK'
keys Enter
check "the placeholder is asked again, with its value offered" \
    wait_for "Value for <server> (1/1, Esc: nothing runs): web3_"
keys Enter
check "the edit is shown before it runs" wait_for "Run your edit of code block 1"
keys Tab Enter
check "the edited command ran, with the value as data" wait_for "EDITED-OK"
check "its output names web3" wait_line "be_web,web3,"
check "the output says its step and time" wait_line "output \([0-9]+ lines?\) at [0-9:]{8}"
check "the journal keeps the original and the edit" \
    grep -qE '"action":"command.edit".*"original":"echo \\"show stat\\".*grep <server>".*"edited":".*&& echo EDITED-OK"' "$RUNS/$RUN.jsonl"
keys Enter
wait_line "▶ +4\. "
check "step 4 does not show step 3's output" screen_lacks -F "EDITED-OK"

# ---- Enter on a step whose command never ran asks ----
keys Enter
check "Enter asks: the command in this step was not run" \
    wait_for "the command in this step was not run: done anyway? y/N"
keys Enter
check "N (the default) keeps the step" wait_for "not marked done"
check "still at step 4" wait_line "▶ +4\. "
check "nothing was written by step 4" test ! -e "$MARK"
keys Enter
wait_for "done anyway? y/N"
keys -l y
keys Enter
check "y marks it done: the run finishes" wait_for "Run finished."

REPORT=$("$OPSDECK" report "$RUN" 2>&1)
check "the report shows the drain as the console's action for the block" \
    grep -qF "as the console's action instead of" <<<"$REPORT"
check "the report keeps the edit" grep -qF "edited code block 1 before running it" <<<"$REPORT"
keys q
wait_exit >/dev/null

# ---- an alert's label fills the value offered: <server> from instance ----
e2e_start 120 30 LANG=C.UTF-8 -- run "$RB" -c "$T/opsdeck.ini" --var instance=web2
wait_for "2 Runbook: Web node unhealthy"
keys 2 Enter
wait_line "▶ +2\. "
keys x
check "<server> is offered the value of the label instance" \
    wait_for "Value for <server> (1/1, Esc: nothing runs): web2_"
keys Escape
keys q
wait_exit >/dev/null

# ---- Enter on a command step whose command holds a placeholder asks it first ----
CMD="$E2E_DIR/greet.md"
printf '# Greet\n\n## Say hello\n\n```opsdeck\ntype: command\n```\n\n```sh\necho "hello <name>"\n```\n' >"$CMD"
e2e_start 120 30 LANG=C.UTF-8 -- run "$CMD" -c "$T/opsdeck.ini"
wait_for "2 Runbook: Greet"
keys 2 Enter
check "Enter on the command step asks its placeholder" wait_for "Value for <name> (1/1"
keys -l bob
keys Enter
check "then the step runs with the value" wait_for "Run finished."
check "its command got it as data" grep -q '"command":"echo \\"hello bob\\""' "$RUNS"/*greet*.jsonl
keys q
wait_exit >/dev/null
done_testing
