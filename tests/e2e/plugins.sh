#!/bin/bash
# Plugins in the real terminal: an exec plugin's rows on screen, its action
# asks first (Cancel by default, typed confirmation), runs, and the next poll
# shows the result; keys stay instant while another plugin hangs, whose
# timeout shows in its own pane only; quitting kills the hung child.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/plug"
mkdir -p "$T"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
MARK="sleep 47.$$"

cat >"$T/queues.sh" <<SH
#!/bin/sh
if grep -qx orders "$T/emptied" 2>/dev/null; then n=0; else n=1234; fi
printf '{"rows":[{"key":"orders","cells":{"QUEUE":"orders","MSGS":%s}},' "\$n"
printf '{"key":"emails","cells":{"QUEUE":"emails","MSGS":56}}]}'
SH
chmod +x "$T/queues.sh"
cat >"$T/opsdeck.ini" <<INI
[backend "plug"]
type = exec
pane = queues
command = $T/queues.sh
refresh = 1s
action.empty = E | Empty queue | typed | printf '%s\n' \${QUEUE} >>$T/emptied && echo emptied \${QUEUE}

[backend "hung"]
type = exec
pane = pools
command = echo run >>$T/starts && exec $MARK
refresh = 1s
timeout = 3s
INI

started=$SECONDS
e2e_start 160 48 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the plugin's rows are on screen" wait_line "orders +.* 1234"

# keys stay instant while 'hung' runs a command that never ends
keys 1 / o r d
check "typing shows at once while a plugin hangs" wait_for "/ord_" 1
keys Enter
check "the filter applies" wait_for "filter: ord"
check "the hung plugin's timeout shows in its own pane" wait_for "hung: error: timed out after 3000 ms" 15
check "the other plugin stays ok" wait_for "plug: ok"
# pane titles share screen lines two by two: split them at the corners; only the panes a
# backend feeds are shown: 1 Queues (plug), 2 Pools (hung)
titles() {
    screen | grep -E "^┌─ [0-9] " | sed 's/┐┌/\n┌/g'
}
other_titles_clean() {
    ! titles | grep -E "^┌─ 1 " | grep -q "hung:"
}
pools_title_says() {
    titles | grep "^┌─ 2 Pools" | grep -q "hung: error"
}
# a pane's title follows its backend's health at its next redraw
check "the hung plugin's error is in the Pools pane's title" poll_until 10 pools_title_says
check "and not in the other panes' titles" other_titles_clean

keys E
check "the action asks first" wait_for "Empty queue orders"
check "and wants the target typed" wait_for "Type 'orders' to confirm: _"
keys Enter
check "Enter without the typed text does nothing" wait_for "Empty queue orders"
keys Escape
check "Esc cancels" wait_for "cancelled: Empty queue orders"
check "nothing ran" test ! -e "$T/emptied"
keys E
wait_for "Type 'orders' to confirm: _"
keys o r d e r s Tab Enter
check "the action's stdout is the report" wait_for "emptied orders"
check "the next poll shows the queue empty" wait_line "orders +.* 0 "
check "the action is audited" grep -q '"action":"empty","target":"orders","result":"ok"' "$AUDIT"

runs=$(wc -l <"$T/starts")
elapsed=$((SECONDS - started))
# refresh 1s, each run 3s: without the skip there would be about one run per second
check "a poll is skipped while the last run goes on ($runs runs in ${elapsed}s)" \
    test "$runs" -ge 1 -a "$runs" -le $((elapsed / 2 + 1))
keys q
check "opsdeck quits at once while a plugin runs" test "$(wait_exit 5)" = 0
check "the hung plugin's child is gone after quit" \
    poll_until 3 bash -c "! pgrep -f 'slee[p] ${MARK#sleep }' >/dev/null"

done_testing
