#!/bin/bash
# Nothing that matters is cut off, and the console starts where the data is
# (issue 13, sections 3 and 5), as a person sees it in tmux:
#   the demo: alerts sorted by severity then newest; dialogs with one focus
#   order and the alert named by its alertname; h/l scroll with a marker;
#   the detail view wrapped, y copying a field through OSC 52 into tmux's
#   buffer (set-clipboard on); r from the detail view, and r again after the
#   run ended offering its report; the selected row back after a restart;
#   a real HAProxy alone: the console opens on Pools with no empty panes, at
#   80x24 and 120x30; a drained DOWN server shows DOWN drain and counts; the
#   selection stays on its row when a refresh reorders the rows; three fed
#   panes share 120x30.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/srv"
mkdir -p "$T"

# ---- the demo ----

e2e_start 80 24 LANG=C.UTF-8 -- --seed 7 --demo-mode still
tm set -s set-clipboard on
check "alerts sort by severity by default (the footer says so)" wait_for "sort: SEV▼"
check "critical rows first, then warning, then info" bash -c '
    screen() { tmux -S "$1" capture-pane -p -t main; }
    order=$(screen "$1" | grep -oE "^│(critical|error|warning|info) " | tr -d "│ " | uniq | tr "\n" " ")
    [ "$order" = "critical warning info " ] || { echo "# $order"; exit 1; }' _ "$E2E_SOCK"
check "two criticals: the newest (25m) above the older (47m)" \
    bash -c 'tmux -S "$1" capture-pane -p -t main | grep -A1 "KubeDeploymentRolloutStuck" | grep -q DeadLetterQueueGrowing' _ "$E2E_SOCK"

# h/l: the table scrolls sideways; a marker says there is more
check "the header shows there is more to the right" wait_line "^│SEV▼ .*▸│$"
keys l l
check "l: every column whole, scrolled right" wait_line "^│◂ "
keys l l
check "SUMMARY in view, whole, not cut with an ellipsis" \
    wait_line "│.*Dead-letter queue orders\.created\.dlq is growing  "
keys Right Right Right
check "Right scrolls to the end: the SOURCE column, no marker to the right" wait_line "SOURCE +│$"
keys h h h h h h h
check "h back to the fitted view" wait_line "^│SEV▼ +ALERT "

# dialogs: the field first, then the confirm button, then Cancel
keys / D e a d Enter
wait_for "filter: Dead"
keys m
check "the silence dialog names the alert by its alertname and labels, not its fingerprint" \
    wait_for "Silence alert DeadLetterQueueGrowing queue=orders.created.dlq"
check "typing goes to its field first" wait_for "Duration: 2h_"
keys Tab Tab Enter
check "Tab, Tab: past Silence to Cancel; Enter there cancels" \
    wait_for "cancelled: Silence alert DeadLetterQueueGrowing"
keys m
wait_for "Duration: 2h_"
keys Enter Enter
check "Enter on the field lands on Silence, a second Enter confirms" \
    wait_line "DeadLetterQueueGrowing +silenced" 10

# the detail view: wrapped, whole; y copies a field; r works from it
keys Enter
check "the detail view opens" wait_for "Alerts "
check "a long description is wrapped whole, its end in view" wait_for "not processed."
check "the footer names y" wait_for "y copy"
keys j y
check "y says what it copied" wait_for "copied ALERT (22 bytes) to the clipboard (OSC 52)"
check "tmux's buffer holds exactly the field (set-clipboard on)" \
    test "$(tm show-buffer)" = "DeadLetterQueueGrowing"
for _ in $(seq 15); do keys j; done
keys y
check "the runbook_url, copied whole" wait_for "copied runbook_url (50 bytes)"
check "tmux's buffer has the whole URL" \
    test "$(tm show-buffer)" = "https://runbooks.example.com/shop/queue-backlog.md"
keys j
check "the long generatorURL below is shown whole, wrapped across rows, its end in view" wait_line "^│ +│ +0\.tab=1 +│"
keys y
check "and copied whole" bash -c '[[ "$(tmux -S "$1" show-buffer)" == http://prometheus.example.com:9090/graph\?g0.expr=*"%20%3E%200&g0.tab=1" ]]' _ "$E2E_SOCK"
keys r
check "r from the detail view opens the alert's runbook" wait_for "Runbook: Queue backlog" 10
keys : a b o r t Enter
wait_for "Type 'abort' to confirm"
tm send-keys -t main -l abort
keys Enter
check "the run is aborted" wait_for "aborted" 10
keys : c l o s e Enter
wait_gone "Runbook: Queue backlog"
keys 1 r
check "r again: its run ended, so it asks: the report or a new run" wait_for "r report, n new run"
keys r Enter
check "r: the run's report in the viewer" wait_for "Outcome: aborted" 10
keys q

# a confirmation shows the whole command, wrapped, never cut
cat >"$T/long.md" <<'MD'
# Long command

## 1. Look at the access log

```sh
cut -d, -f1,2 /var/log/haproxy/access.csv | grep -E '^(GET|POST) /api/(orders|payments)/[0-9]+$' | sort | uniq -c | sort -rn | head -n 20 # END-OF-THE-COMMAND
```

## 2. A script taller than the screen

```sh
FIRST-LINE-OF-THE-SCRIPT
MD
for i in $(seq 1 30); do echo "echo line $i" >>"$T/long.md"; done
printf 'echo LAST-LINE-OF-THE-SCRIPT\n```\n' >>"$T/long.md"
keys : r u n Space
tm send-keys -t main -l "$T/long.md"
keys Enter
check "the runbook opens" wait_for "Look at the access log" 10
keys x
check "x asks first" wait_for "[ Cancel ]"
check "the command's end is in the dialog: shown whole, wrapped" wait_for "END-OF-THE-COMMAND"
check "its middle too" wait_for "(orders|payments)"
keys Escape
keys s # skip: the step's code was not run
wait_for "A script taller than the screen"
keys x
check "a dialog taller than the screen keeps its buttons in view" wait_for "[ Cancel ]"
check "and says there is more below" wait_for "more: PgDn"
check "the last line is not in view yet" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q LAST-LINE' _ "$E2E_SOCK"
keys PgDn PgDn PgDn
check "PgDn scrolls the body to the last line" wait_for "LAST-LINE-OF-THE-SCRIPT"
check "the buttons still there" wait_for "[ Cancel ]"
keys Escape
keys : a b o r t Enter
wait_for "Type 'abort' to confirm"
tm send-keys -t main -l abort
keys Enter
wait_for "aborted" 10
keys : c l o s e Enter
wait_gone "Runbook: Long command"

# the selected row comes back after a restart
keys 3 j j j Enter
check "web4 selected in Pools" wait_for "Pools be_web/web4 (demo)"
keys Escape q
check "q quits" test "$(wait_exit)" = 0
e2e_start 120 30 LANG=C.UTF-8 -- --seed 7 --demo-mode still
keys 3 Enter
check "after a restart the selection is web4 again, not the first row" wait_for "Pools be_web/web4 (demo)"
keys Escape q
wait_exit >/dev/null

# ---- a real HAProxy alone ----

. "$(dirname "$0")/../integration/haproxy-lib.sh"
haproxy_start
cat >"$T/lb.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/stats
socket = $SOCK
refresh = 1s
INI
e2e_start 80 24 LANG=C.UTF-8 -- -c "$T/lb.ini"
check "80x24: HAProxy only: one pane, Pools, taking the screen" wait_line "^┌─ 1 Pools .*┐$"
check "its box ends just above the status bar" \
    bash -c 'tmux -S "$1" capture-pane -p -t main | sed -n 23p | grep -q "^└─"' _ "$E2E_SOCK"
check "it opens on Pools with HAProxy's servers" wait_line "^│be_web +web1 +UP"
check "no empty Alerts pane, no 'no backend configured'" \
    bash -c '! tmux -S "$1" capture-pane -p -t main | grep -qE "Alerts|no backend configured"' _ "$E2E_SOCK"
keys / w e b 3 Enter
wait_for "filter: web3"
check "web3 fails its check: DOWN" wait_line "be_web +web3 +DOWN "
keys d
check "drain asks, Cancel first" wait_for "Drain server be_web/web3"
keys Tab Enter
check "drained and down: DOWN drain, from show servers state" wait_line "be_web +web3 +DOWN drain" 10
check "HAProxy's stats CSV alone says only DOWN" hstat_is web3 status DOWN
keys Escape
check "the title counts it down and drained" wait_for "2 up, 1 down, 1 drain, 0 maint" 10

# the selection stays on its row when a refresh reorders the rows
keys : s o r t Space S T A T U S Enter
wait_for "sort: STATUS"
keys / w e b 2 Enter
wait_for "filter: web2"
keys Escape
echo "set server be_web/web2 state drain" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" >/dev/null
check "web2 drained behind the console's back moves up" wait_line "be_web +web2 +DRAIN" 10
keys Enter
check "Enter: the selection followed web2, not the row at its old place" wait_for "Pools be_web/web2 (lb)"
keys Escape
echo "set server be_web/web2 state ready" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" >/dev/null

tm resize-window -t main -x 120 -y 30
check "120x30: the one pane takes the screen, no tab bar" wait_line "^┌─ 1 Pools .*┐$"
check "120x30: still no Alerts pane" \
    bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q "Alerts"' _ "$E2E_SOCK"
keys q
check "q quits with status 0" test "$(wait_exit)" = 0

# three fed panes (HAProxy and two exec plugins) share 120x30: the grid re-flows
cat >"$T/three.ini" <<INI
[backend "lb"]
type = haproxy
socket = $SOCK
refresh = 1s

[backend "q"]
type = exec
pane = queues
command = printf '{"rows":[{"key":"orders","cells":{"QUEUE":"orders","MSGS":7}}]}'
refresh = 5s

[backend "k"]
type = exec
pane = deployments
command = printf '{"rows":[{"key":"shop/cart","cells":{"NAMESPACE":"shop","DEPLOYMENT":"cart"}}]}'
refresh = 5s
INI
e2e_start 120 30 LANG=C.UTF-8 -- -c "$T/three.ini"
check "120x30, three fed panes: Queues and Pools side by side, numbered 1 and 2" \
    wait_line "^┌─ 1 Queues .*┐┌─ 2 Pools .*┐$"
check "Deployments (3) takes the whole last row" wait_line "^┌─ 3 Deployments .*─┐$"
check "its box is the screen's width" \
    bash -c '[ "$(tmux -S "$1" capture-pane -p -t main | grep "^┌─ 3 Deployments" | LC_ALL=C.UTF-8 wc -L)" = 120 ]' _ "$E2E_SOCK"
check "no Alerts pane" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q "Alerts"' _ "$E2E_SOCK"
check "the data is in each" wait_line "be_web +web1 +UP"
keys q
wait_exit >/dev/null
done_testing
