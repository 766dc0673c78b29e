#!/bin/bash
# An incident as it happens (issue 13), on real servers started once on
# loopback: Alertmanager, HAProxy, RabbitMQ (management + shovel plugins).
# An alert fires; r opens its runbook, a wiki page: its socat drain holding
# <server> is recognised and done as the console's audited drain (<server>
# offered from the alert's label); a silence and a DLQ move-back are taken
# from the panes (their audit lines name the run); the alert
# resolves; the run ends and asks the post-incident questions; the leftovers
# list shows the drained server and the active silence, and its undo works;
# `opsdeck report --last` has every one of them on one timeline with the
# alert's fired and resolved times and the figures. A later console (no run
# open): :leftovers shows the silence still left, and u expires it through
# the usual dialog. All of it at 120x30, then again at 80x24.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
T="$E2E_DIR/srv"
mkdir -p "$T/am"
. "$HERE/../integration/haproxy-lib.sh"
. "$HERE/../integration/rabbitmq-lib.sh"
e2e_stop_hook() { rabbitmq_stop; }
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager)
for tool in "$AM_BIN" haproxy curl socat "$RMQ_BIN/rabbitmq-server"; do
    [ -x "$(command -v "$tool")" ] || { echo "not ok 1 - $tool is installed (scripts/deps --test)"; echo "1..1"; exit 1; }
done
export USER=oncall-e2e

# ---- Alertmanager with the incident's alert ----
read -r AM_PORT < <(free_ports 1)
printf "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n" >"$T/am.yml"
"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
wait_until 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" || { echo "Bail out! alertmanager"; exit 1; }
ALERT='"labels":{"alertname":"Web5xx","severity":"critical","instance":"web2","service":"shop"},"annotations":{"summary":"shop 5xx above 5%"}'
curl -sf -H 'Content-Type: application/json' -d "[{$ALERT}]" \
    "http://127.0.0.1:$AM_PORT/api/v2/alerts" >/dev/null

# ---- HAProxy: web1 and web2 up, web3 down (haproxy-lib.sh) ----
haproxy_start

# ---- RabbitMQ: orders.created dead-letters into orders.created.dlq, which holds 3 ----
rabbitmq_start "$T/rabbitmq"
api PUT /exchanges/%2F/orders.dlx '{"type":"direct","durable":true}' &&
    api PUT /queues/%2F/orders.created.dlq '{"durable":true}' &&
    api PUT /queues/%2F/orders.created '{"durable":true,"arguments":{"x-dead-letter-exchange":"orders.dlx","x-dead-letter-routing-key":"orders.created.dlq"}}' &&
    api POST /bindings/%2F/e/orders.dlx/q/orders.created.dlq '{"routing_key":"orders.created.dlq"}' >/dev/null ||
    { echo "Bail out! queues"; exit 1; }

# ---- the console's config and the runbook the alert names: a wiki page ----
# Written for people, not for opsdeck: numbered headings, a TL;DR, a text
# placeholder, and the drain as a socat line holding <server>.
cat >"$T/web-5xx.md" <<MD
# Runbook: Web 5xx

**TL;DR**: take the bad server out of be_web, move the dead letters back.

## 1. Acknowledge
IC: <your name>. Say in the channel that you are on it.

## 2. Drain the bad server
**Never drain more than one server of be_web at a time.**

\`\`\`sh
echo "set server be_web/<server> state drain" | socat stdio unix-connect:$SOCK
\`\`\`

## 3. Move the dead letters back
From the Queues pane: M on the source queue.

## 4. Escalate
Page the team lead if the 5xx rate does not fall.
MD
cat >"$T/opsdeck.ini" <<INI
[runbooks]
alert.Web5xx = $T/web-5xx.md

[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT
refresh = 1s

[backend "edge"]
type = haproxy
socket = $SOCK
refresh = 1s

[backend "rabbit"]
type = rabbitmq
url = http://127.0.0.1:$MGMT_PORT
auth = basic
user = guest
password_env = RMQ_PASSWORD
refresh = 1s
INI
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
admin_state() { # SERVER: HAProxy's own admin state bits for it (8: drain)
    echo "show servers state be_web" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" |
        awk -v s="$1" '$4 == s { print $7 }'
}
drained() { [ $(($(admin_state "$1") & 8)) -ne 0 ]; }
runbook_says() { # TEXT: the runbook pane's lines, joined as read, hold TEXT
    screen | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
head = next((l for l in lines if "Runbook:" in l), None)
if head is None:
    sys.exit(1)
col = max(head.rfind("\u250c", 0, head.index("Runbook:")), 0)  # the left edge of the box
text = " ".join(l[col:].strip(" \u2502") for l in lines)
sys.exit(sys.argv[1] not in re.sub(r"\s+", " ", text))
' "$1"
}
shovels_gone() { [ "$(api GET /shovels)" = "[]" ]; }
fire() { # the alert fires (again), starting now
    curl -sf -H 'Content-Type: application/json' \
        -d "[{$ALERT,\"startsAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}]" \
        "http://127.0.0.1:$AM_PORT/api/v2/alerts" >/dev/null
}
fill_dlq() { # three dead letters
    for i in 1 2 3; do
        api POST /exchanges/%2F/amq.default/publish \
            "{\"properties\":{},\"routing_key\":\"orders.created.dlq\",\"payload\":\"order $i\",\"payload_encoding\":\"string\"}" |
            grep -q '"routed":true' || { echo "Bail out! publish"; exit 1; }
    done
}

# incident COLS ROWS: the whole incident in a console of that size
incident() {
    local at="$1x$2:" run
    e2e_start "$1" "$2" LANG=C.UTF-8 RMQ_PASSWORD=guest -- -c "$T/opsdeck.ini"
    check "$at the alert fires on screen" wait_line "critical +Web5xx +firing" 15
    keys 3
    check "$at the servers are up" wait_line "be_web +web2 +UP" 15
    keys 2
    check "$at the dead letters are there" wait_line "orders\.created\.dlq +3 +3\b" 20
    keys 1 / W e b 5 Enter
    wait_for "filter: Web5"
    keys r
    if [ -n "${RUN_ID:-}" ]; then
        check "$at the alert's last run ended: r offers its report or a new run" \
            wait_for "Web5xx run $RUN_ID finished: r report, n new run"
        keys n Enter
    fi
    check "$at r opens the alert's wiki runbook, its title once" wait_for "4 Runbook: Web 5xx"
    check "$at ... its headings read as S.A.F.E. phases" wait_line "1\. \[S\] Acknowledge"
    run=$(ls -t "$RUNS" | sed -n 's/\.jsonl$//p' | head -1)
    check "$at the run has a journal" test -n "$run"
    keys Enter
    check "$at step 1 done, the drain step shows" wait_for "[F] Drain the bad server"
    check "$at its warning line whole (wrapped, never cut)" poll_until 5 runbook_says \
        "Never drain more than one server of be_web at a time."
    check "$at the socat block is recognised as the console's drain" \
        wait_for "this block drains be_web/<server>: press a"
    keys a
    check "$at a asks <server>, offered from the alert's instance label" \
        wait_for "Value for <server> (1/1, Esc: nothing runs): web2"
    keys Enter
    check "$at the console's own drain dialog names be_web/web2" wait_for "Drain server be_web/web2"
    keys Tab Enter
    check "$at HAProxy has web2 in drain (its own socket)" poll_until 10 drained web2
    check "$at no shell ran the socat line" bash -c '! grep -q "\"command.start\"" "$1"' _ "$RUNS/$run.jsonl"
    keys Enter
    check "$at step 2 done: the next step" wait_for "Move the dead letters back"

    keys 1 m
    check "$at the silence form names the alert" wait_for "Web5xx"
    keys Enter Enter Enter Enter
    check "$at the alert shows silenced" wait_line "critical +Web5xx +silenced" 10
    keys 2 / d l q Enter
    wait_for "filter: dlq"
    keys M
    check "$at move-back asks first, saying how many go where" wait_for "Move dead letters back"
    keys Tab Enter
    check "$at the dead letters move back" wait_line "orders\.created\.dlq +0 +0\b" 20
    check "$at RabbitMQ's move-back shovel has deleted itself" wait_until 20 shovels_gone
    check "$at the drain, the silence and the move-back name the run in the audit log" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
done = {}
for l in lines:
    if l["result"] == "ok" and l["run"] == sys.argv[2]:
        done.setdefault(l["action"], l)
assert {"drain", "silence", "moveback"} <= set(done), done.keys()
assert done["drain"]["target"] == "be_web/web2" and done["drain"]["step"], done["drain"]
' "$AUDIT" "$run"

    # the alert resolves (Alertmanager drops it from its active list)
    curl -sf -H 'Content-Type: application/json' \
        -d "[{$ALERT,\"endsAt\":\"$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)\"}]" \
        "http://127.0.0.1:$AM_PORT/api/v2/alerts" >/dev/null
    check "$at the alert log has it fired, silenced, then resolved" wait_until 15 python3 -c '
import json, sys
acts = [json.loads(l)["action"] for l in open(sys.argv[1]) if "Web5xx" in l]
sys.exit(acts[-3:] != ["alert.fired", "alert.silenced", "alert.resolved"])
' "$XDG_STATE_HOME/opsdeck/alerts.jsonl"
    check "$at the resolved alert leaves the pane" wait_gone "critical Web5xx" 5

    # end the run: the questions, then the leftovers
    keys 4
    wait_for "Move the dead letters back"
    keys Enter
    wait_for "Page the team lead"
    keys Enter
    check "$at the run ends and asks about the impact" wait_for "Impact (who or what was affected, how long) [1/4"
    tm send-keys -t main -l "shop checkouts failed for 10 minutes"
    keys Enter
    check "$at then the severity" wait_for "Severity (SEV1..SEV4) [2/4"
    tm send-keys -t main -l "SEV2"
    keys Enter
    check "$at then the root cause" wait_for "Root cause [3/4"
    tm send-keys -t main -l "web2 ran out of file descriptors"
    keys Enter
    check "$at then the action items" wait_for "Action items (item @owner; item @owner) [4/4"
    tm send-keys -t main -l "raise the fd limit @bob; alert on fds @carol"
    keys Enter
    check "$at the leftovers list opens" wait_for "Left in place by run $run"
    check "$at it shows the drained server, undo ready" wait_line "> ready +be_web/web2 \(edge\): drained, since [0-9:]+ by oncall-e2e"
    check "$at it shows the active silence with its end" wait_line "expire +Web5xx \(am\): silence active, ends in"
    check "$at the DLQ moved: no shovel left" screen_lacks "move-back shovel"
    keys u
    check "$at u asks through the usual dialog" wait_for "Set server ready be_web/web2"
    keys Tab Enter
    check "$at web2 is ready again in HAProxy" poll_until 10 bash -c '! { '"$(declare -f admin_state drained)"'; SOCK="$1"; drained web2; }' _ "$SOCK"
    check "$at the list follows: the drained row goes" wait_gone "be_web/web2 (edge): drained" 10
    check "$at the silence stays" wait_line "Web5xx \(am\): silence active"
    keys Escape
    check "$at Esc closes the list" wait_gone "Left in place by run"
    keys :
    tm send-keys -t main -l "review"
    keys Enter
    check "$at :review asks the questions again" wait_for "Impact (who or what was affected, how long) [1/4"
    keys Escape
    check "$at Esc skips them; the list again: the silence only" wait_line "expire +Web5xx \(am\): silence active"
    check "$at ... web2 is not left any more" screen_lacks "be_web/web2 (edge): drained"
    keys Escape
    wait_gone "Left in place by run"
    keys q
    check "$at q quits with status 0" test "$(wait_exit)" = 0

    "$OPSDECK" report --last >"$T/report.md" 2>"$T/report.err"
    check "$at report --last exits 0" test $? = 0
    check "$at the report is the run's" grep -q "^- Run: $run$" "$T/report.md"
    check "$at the timeline has the alert firing, with its start" grep -qE "^- [0-9:]{8} [-+][0-9:]{5} alert Web5xx fired .*instance=web2" "$T/report.md"
    check "$at ... the placeholder's answer" grep -qE "<server>.*web2|web2.*<server>" "$T/report.md"
    check "$at ... the drain done for the wiki block, in its step, once" bash -c '
grep -qE "^- [0-9:]{8} \+[0-9:]{5} \[F\] Drain the bad server: action drain pools be_web/web2 on edge \(code block 1, as the console.s action instead of" "$1" &&
test "$(grep -cE "drain (pools )?be_web/web2 (on edge )?-> ok" "$1")" = 1' _ "$T/report.md"
    check "$at ... the silence, with its form" grep -qE "oncall-e2e@[^:]+: silence [^ ]+ with alertname=.Web5xx.* 2h .* on am -> ok" "$T/report.md"
    check "$at ... the move-back (M on the source queue moves its DLQ)" grep -qE "oncall-e2e@[^:]+: moveback %2F/orders.created on rabbit -> ok at [0-9:]+: moving 3 messages from orders.created.dlq" "$T/report.md"
    check "$at ... the alert silenced and resolved" bash -c 'grep -q "alert Web5xx silenced" "$1" && grep -q "alert Web5xx resolved" "$1"' _ "$T/report.md"
    check "$at ... the ready taken from the leftovers list" grep -qE "oncall-e2e@[^:]+: ready be_web/web2 on edge -> ok" "$T/report.md"
    check "$at the figures: detected, acknowledged, first mitigation, resolved" bash -c '
grep -q "^| Detected | .* | 0s | Web5xx fired |" "$1" &&
grep -q "^| Acknowledged | .* | step .*Acknowledge.* done |" "$1" &&
grep -qE "^\| First mitigation \| .* \| drain be_web/web2 by oncall-e2e \|" "$1" &&
grep -qE "^\| Resolved \| .* \| Web5xx resolved \|" "$1" &&
! grep -q "not reached" "$1"' _ "$T/report.md"
    check "$at the answers" bash -c 'grep -q "^- Severity: SEV2$" "$1" && grep -q "^| raise the fd limit | bob |$" "$1"' _ "$T/report.md"
    check "$at what was left in place at the last review: the silence, not the server made ready" bash -c '
grep -qE "^\| Web5xx \(am\) \| silence active" "$1" && ! grep -qE "^\| be_web/web2 \(edge\) \| drained" "$1"' _ "$T/report.md"
    check "$at the first review had both" python3 -c '
import json, sys
lo = [e["data"]["items"] for e in map(json.loads, open(sys.argv[1])) if e["action"] == "leftovers"]
assert len(lo) == 2, lo
assert {i["name"] for i in lo[0]} == {"be_web/web2", "Web5xx"}, lo[0]
assert {i["name"] for i in lo[1]} == {"Web5xx"}, lo[1]
' "$RUNS/$run.jsonl"
    [ "${FAILED:-0}" -gt 0 ] && sed 's/^/# report: /' "$T/report.md"
    RUN_ID=$run
}

# leftovers_expire COLS ROWS: a later console, no run open: :leftovers expires the silence
leftovers_expire() {
    local at="$1x$2:"
    e2e_start "$1" "$2" LANG=C.UTF-8 RMQ_PASSWORD=guest -- -c "$T/opsdeck.ini"
    keys :
    tm send-keys -t main -l "leftovers"
    keys Enter
    check "$at :leftovers lists this console's leftovers" wait_for "Left in place by this console"
    check "$at the silence is still active" wait_line "Web5xx \(am\): silence active" 10
    check "$at the server made ready is not listed" screen_lacks "be_web/web2 (edge): drained"
    keys u
    check "$at u asks to expire it" wait_for "Expire silence"
    keys Tab Enter
    check "$at Alertmanager has no active silence left" wait_until 10 bash -c '
curl -sf "http://127.0.0.1:$1/api/v2/silences" | python3 -c "import json,sys; sys.exit(any(s[\"status\"][\"state\"] == \"active\" for s in json.load(sys.stdin)))"' _ "$AM_PORT"
    check "$at the list empties" wait_for "Nothing: no server drained" 10
    keys Escape q
    check "$at q quits with status 0" test "$(wait_exit)" = 0
}

fill_dlq
incident 120 30
leftovers_expire 80 24
fire
fill_dlq
incident 80 24
leftovers_expire 120 30

# ---- line mode at a terminal asks the same questions ----
PLAIN_SOCK="$E2E_DIR/tmux.plain.sock" # its own server; e2e_cleanup kills it
ptm() { tmux -S "$PLAIN_SOCK" "$@"; }
plain_screen() { ptm capture-pane -p -t plain; }
plain_has() { plain_screen | grep -qF -- "$1"; }
ptm -f /dev/null new-session -d -s plain -x 100 -y 30 "$(printf '%q ' env XDG_STATE_HOME="$XDG_STATE_HOME" \
    XDG_CONFIG_HOME="$XDG_CONFIG_HOME" RMQ_PASSWORD=guest "$OPSDECK" run "$T/web-5xx.md" --plain \
    -c "$T/opsdeck.ini"); sleep 30"
poll_until 10 plain_has "step 1/4" || {
    not_ok "the plain run starts"
    plain_screen | sed 's/^/#   plain|/'
}
ptm send-keys -t plain Enter
poll_until 5 plain_has "step 2/4"
ptm send-keys -t plain Enter
poll_until 5 plain_has "step 3/4"
ptm send-keys -t plain Enter
poll_until 5 plain_has "step 4/4"
ptm send-keys -t plain Enter
check "plain: the end asks the impact" poll_until 10 plain_has "Impact (who or what was affected, how long) [1/4"
ptm send-keys -t plain -l "none, a drill"
ptm send-keys -t plain Enter
check "plain: then the severity" poll_until 5 plain_has "Severity (SEV1..SEV4) [2/4"
ptm send-keys -t plain -l "SEV4"
ptm send-keys -t plain Enter
poll_until 5 plain_has "Root cause [3/4"
ptm send-keys -t plain -l "-"
ptm send-keys -t plain Enter
check "plain: - skips the rest; nothing of this run is left in place" poll_until 5 plain_has "Left in place: nothing."
check "plain: the run finishes" poll_until 5 plain_has "finished."
PLAIN_RUN=$(ls -t "$RUNS" | sed -n 's/\.jsonl$//p' | head -1)
check "plain: the answers and the leftovers are in its journal" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
pm = {e["data"]["field"]: e["data"]["value"] for e in ev if e["action"] == "postmortem"}
assert pm == {"impact": "none, a drill", "severity": "SEV4"}, pm
lo = [e for e in ev if e["action"] == "leftovers"]
assert len(lo) == 1 and lo[0]["data"]["items"] == [] and lo[0]["data"]["review_skipped"], lo
' "$RUNS/$PLAIN_RUN.jsonl"
done_testing
