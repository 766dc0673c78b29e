#!/bin/bash
# Acting on the demo: every action asks first with Cancel as the default, goes
# through the audited path, and the simulator reacts on screen.
. "$(dirname "$0")/lib.sh"

AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
e2e_start 160 48 LANG=C.UTF-8 -- --seed 7

# Pools: select web2 with a filter so the row is unambiguous
keys 3 / w e b 2 Enter
check "web2 selected alone" wait_for "1 of 12 rows  filter: web2"
keys d
check "d asks before draining" wait_for "Drain server be_web/web2"
check "the dialog offers Cancel and Drain" wait_for "[ Cancel ]  [ Drain ]"
keys Enter
check "Enter on the default answer cancels" wait_for "cancelled: Drain server be_web/web2"
check "web2 is still UP after cancelling" wait_line "be_web +web2 +UP"
check "a cancelled action writes nothing to the audit log" test ! -s "$AUDIT"

keys d
wait_for "[ Cancel ]  [ Drain ]"
keys Tab Enter
check "confirming drains web2" wait_line "be_web +web2 +DRAIN"
check "the result is reported" wait_for "Drain server be_web/web2: be_web/web2 set to DRAIN"
check "drained sessions fall to zero" wait_line "be_web +web2 +DRAIN +[0-9]+ +0 " 15
check "audit log has started and ok lines for the drain" \
    test "$(grep -c '"action":"drain","target":"be_web/web2"' "$AUDIT")" -eq 2
check "audit line names who, host, time and result" \
    grep -qE '"seq":2,"ts":"[0-9-]+T[0-9:.]+Z","actor":"[^"]+","host":"[^"]+".*"action":"drain","target":"be_web/web2","result":"ok"' "$AUDIT"

keys m
wait_for "Maintenance" || wait_for "[ Maint ]"
keys Tab Enter
check "maint puts web2 in MAINT" wait_line "be_web +web2 +MAINT"
keys r
wait_for "[ Ready ]"
keys Tab Enter
check "ready brings web2 back UP" wait_line "be_web +web2 +UP"
keys Escape

# Alerts: silence the dead-letter alert for 30m
keys 1 / D e a d L e t t e r Enter
check "the DLQ alert is selected" wait_for "1 of "
keys m
check "silence asks for a duration, prefilled" wait_for "Duration: 2h_"
keys BSpace BSpace 3 0 m
check "the duration can be edited" wait_for "Duration: 30m_"
keys Tab Enter
check "the alert shows silenced" wait_line "DeadLetterQueueGrowing +silenced"
check "audit records the silence with its input" grep -q '"action":"silence".*"result":"ok".*"input":"30m"' "$AUDIT"
keys e Tab Enter
check "expiring the silence makes it fire again" wait_line "DeadLetterQueueGrowing +firing"
keys Escape

# Silences: v shows them in the Alerts slot; expire the one made before the start
keys v
check "v shows the silences view in slot 1" wait_for "1 Silences"
check "the pre-start silence is listed" wait_line "active +alertname=\"HighMemoryUsage\""
check "the expired DLQ silence is listed too" wait_line "expired +alertname=\"DeadLetterQueueGrowing\""
keys '?'
check "help in the silences view offers v" wait_for "switch between Alerts, Silences and Signals"
check "and e to expire" wait_for "Expire silence"
keys q
keys / H i g h M e m Enter
wait_for "1 of "
keys e
check "expire asks first" wait_for "[ Cancel ]  [ Expire ]"
keys Tab Enter
check "the silence shows expired" wait_line "expired +alertname=\"HighMemoryUsage\""
check "audit records the expire by silence id" grep -q '"action":"expire","target":"[0-9a-f-]\{36\}","result":"ok"' "$AUDIT"
keys Escape v
wait_for "1 Signals"
keys v
check "v twice more (Signals, then Alerts) is back to alerts" wait_for "1 Alerts"
check "the memory alert is no longer silenced" wait_line "HighMemoryUsage +firing"

# Deployments: restart cart and watch it roll
keys 4 / c a r t Enter
wait_for "1 of 6 rows"
keys R
check "restart asks first" wait_for "Restart deployment shop/cart"
keys Tab Enter
check "a restarted deployment rolls" wait_line "shop +cart .*progressing"
check "and completes" wait_line "shop +cart .*complete" 30

# Bulk: mark web4 and web5, drain both with a typed confirmation
keys 3 / w e b Enter
wait_for "5 of 12 rows"
keys g j j j Space Space
check "two rows marked" wait_for "2 marked"
check "marked rows show in a gutter" wait_line "● +be_web +web4"
keys d
check "a bulk action lists every target" wait_for "Drain server on 2 targets"
check "web4 is listed" wait_for "be_web/web4 (demo)"
check "web5 is listed" wait_for "be_web/web5 (demo)"
check "and asks for the verb and count typed" wait_for "Type 'drain 2' to confirm: _"
keys Tab Enter
check "without the typed text, confirm does nothing" wait_for "Drain server on 2 targets"
keys d r a i n Space 2
check "typing is shown" wait_for "Type 'drain 2' to confirm: drain 2_"
keys Escape
check "Esc cancels the bulk action" wait_for "cancelled: Drain server on 2 targets"
check "the marks stay after a cancel" wait_for "2 marked"
keys d
wait_for "Type 'drain 2' to confirm: _"
keys d r a i n Space 2 Tab Enter
check "both drain" wait_line "be_web +web5 +DRAIN"
check "web4 too" wait_line "be_web +web4 +DRAIN"
check "one summary for the bulk" wait_for "Drain server: 2 of 2 ok"
check "each target audited" test "$(grep -c '"action":"drain","target":"be_web/web[45]","result":"ok"' "$AUDIT")" -eq 2
check "marks are cleared after the action" wait_gone "marked"
keys Escape

keys q
check "q quits with status 0" test "$(wait_exit)" = 0

# Read-only: the same keys are refused and help says why
: >"$AUDIT"
tm kill-server
e2e_start 160 48 LANG=C.UTF-8 -- --seed 7 --read-only
check "read-only is shown in the title bar" wait_for "READ-ONLY"
keys 3 d
check "drain is refused in read-only mode" wait_for "read-only mode"
check "no dialog opens" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -qF "[ Cancel ]"' _ "$E2E_SOCK"
keys '?'
check "help shows actions disabled" wait_for "Drain server (demo): disabled, read-only mode"
keys q q
check "read-only run exits 0" test "$(wait_exit)" = 0
check "nothing was performed" bash -c '! grep -q "\"result\":\"ok\"" "$1"' _ "$AUDIT"

# A state directory that cannot be written (a read-only mount; without root, a path through a
# file): the console still starts and shows the data, with actions off and the reason on top
tm kill-server
RO="$E2E_DIR/ro"
mkdir -p "$RO"
if mount -t tmpfs -o ro,size=64k tmpfs "$RO" 2>/dev/null; then
    trap 'umount "$RO" 2>/dev/null; e2e_cleanup' EXIT
    RO_STATE="$RO/state" RO_WHY="Read-only file system"
else
    : >"$RO/file"
    RO_STATE="$RO/file/state" RO_WHY="Not a directory"
fi
for flags in --read-only ""; do
    e2e_start 240 48 LANG=C.UTF-8 XDG_STATE_HOME="$RO_STATE" -- --seed 7 $flags
    check "no audit log ${flags:-(no flag)}: the console starts" wait_for "READ-ONLY"
    check "the title bar says why" wait_for "no audit log ("
    check "naming the cause" wait_for "$RO_WHY"
    check "and the data is there" wait_line "be_web +web2 +UP"
    keys 3 d
    check "an action is refused, saying why" wait_for "read-only mode: no audit log"
    check "no dialog opens" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -qF "[ Cancel ]"' _ "$E2E_SOCK"
    keys q
    check "it quits with status 0" test "$(wait_exit)" = 0
    tm kill-server
done
umount "$RO" 2>/dev/null
done_testing
