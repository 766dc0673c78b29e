#!/bin/bash
# Layouts a person sees: 2x2 at 160x48, tabs at 80x24, "too small" below 60x15,
# and resizing between them while running leaves no garbage.
. "$(dirname "$0")/lib.sh"

e2e_start 160 48 LANG=C.UTF-8 -- --seed 7
# the first frame may come before the demo's first answer (slower under the sanitizers)
wait_for "demo: ok"
wait_line "be_web +web1 +UP"
s=$(screen)
for title in "1 Alerts" "2 Queues" "3 Pools" "4 Deployments"; do
    check "160x48 shows the $title pane" grep -qF "$title" <<<"$s"
done
check "title bar says DEMO" grep -q "opsdeck  DEMO" <<<"$s"
check "status bar shows the demo backend ok" grep -q "demo: ok" <<<"$s"
check "pools pane lists web1" grep -qE "be_web +web1 +UP" <<<"$s"
check "grid: Alerts and Queues boxes side by side on one line" \
    grep -qE "┌─ 1 Alerts.*┐┌─ 2 Queues" <<<"$s"
check "grid: Pools and Deployments side by side" grep -qE "┌─ 3 Pools.*┐┌─ 4 Deployments" <<<"$s"

tm resize-window -t main -x 80 -y 24
check "80x24 after resize shows a tab bar with all four panes" \
    wait_line "1 Alerts [0-9]+ +2 Queues [0-9]+ +3 Pools [0-9]+ +4 Deployments [0-9]+"
s=$(screen)
check "80x24: one pane box, not the grid" test "$(grep -c '┌─' <<<"$s")" -eq 1
check "80x24: alerts table visible" grep -q "DeadLetterQueueGrowing" <<<"$s"
check "80x24: no line wider than the terminal" \
    test "$(LC_ALL=C.UTF-8 wc -L <<<"$s")" -le 80
check "80x24: first line is the title bar" grep -q "^ opsdeck" <<<"$(head -1 <<<"$s")"
check "80x24: last line is the status bar" grep -q "? help" <<<"$(tail -1 <<<"$s")"

keys 3
check "80x24: 3 switches to the Pools tab" wait_line "^│POOL +SERVER +STATUS"
keys Tab
check "80x24: Tab moves to Deployments" wait_line "^│NAMESPACE +DEPLOYMENT"
keys BTab BTab
check "80x24: Shift-Tab twice goes back to Queues" wait_line "^│QUEUE "

tm resize-window -t main -x 50 -y 12
check "50x12 says the terminal is too small" wait_for "terminal too small: 50x12"
check "and what it needs" wait_for "needs at least 60x15"

tm resize-window -t main -x 160 -y 48
check "back to 160x48: the grid returns" wait_line "┌─ 3 Pools.*┐┌─ 4 Deployments"
s=$(screen)
check "no leftover 'too small' text after growing" bash -c '! grep -q "too small" <<<"$1"' _ "$s"
check "160x48: exactly four pane boxes" test "$(grep -o '┌─ [1-4] ' <<<"$s" | wc -l)" -eq 4

keys q
check "q quits with status 0" test "$(wait_exit)" = 0
done_testing
