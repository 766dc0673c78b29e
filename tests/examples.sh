#!/bin/bash
# The shipped runbooks (examples/runbooks/), end to end in line mode against
# the built-in demo, answers piped on stdin: the mitigation path of each one
# runs its commands, its actions change the demo, its waits see the change on
# the live panes, its Slack messages reach a local receiver with the alert's
# variables and the captures filled in, and the run finishes. PagerDuty steps
# are skipped: their default URL is not on loopback.
set -u
OPSDECK=${OPSDECK:?}
HERE=$(cd "$(dirname "$0")" && pwd)
RUNBOOKS="$HERE/../examples/runbooks"
T=$(mktemp -d /tmp/opsdeck-examples.XXXXXX)
HOOK_PID=
trap '[ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null; rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$HERE/tap.sh"

PORT=$(free_ports 1)
python3 "$HERE/integration/webhook.py" "$PORT" "$T/hook.jsonl" 240 >"$T/hook.out" 2>"$T/hook.log" &
HOOK_PID=$!
wait_until 10 grep -q . "$T/hook.out" || bail "the webhook receiver did not start"
export OPSDECK_SLACK_WEBHOOK="http://127.0.0.1:$PORT/services/T0/B0/hook-secret"
export OPSDECK_PD_ROUTING_KEY=routing-key-secret

# run_book NAME ANSWERS VAR...: run it with the answers (printf %b) on stdin.
run_book() {
    local name=$1 answers=$2
    shift 2
    : >"$T/hook.jsonl"
    printf '%b' "$answers" | timeout 90 "$OPSDECK" run "$RUNBOOKS/$name.md" --plain \
        --var opsdeck="$OPSDECK" "$@" >"$T/$name.out" 2>&1
    echo $? >"$T/$name.rc"
}

# slack_has TEXT: a Slack message of the last run contains TEXT.
slack_has() {
    python3 -c '
import json, sys
bodies = [json.loads(json.loads(l)["body"])["text"] for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(sys.argv[2] in b for b in bodies) else 1)
' "$T/hook.jsonl" "$1"
}

finished() {
    test "$(cat "$T/$1.rc")" = 0 && grep -q "^Run .* finished\.$" "$T/$1.out"
}

# Failed rollout: role (default), cause, roll back, approve, undo, both waits,
# all-clear; the PagerDuty resolve is skipped.
run_book deploy-rollback '\n\n\n\nmissing env SETTLEMENT_BANK_URL\n1\nAlice\n\n\n\n\ns\n\n' \
    --var namespace=payments --var deployment=payments-api
check "deploy-rollback: the run finishes" finished deploy-rollback
check "deploy-rollback: the command captured the failed image" \
    grep -q "Did registry.example.com/payments/payments-api:v3.2.0 break it?" "$T/deploy-rollback.out"
check "deploy-rollback: undo rolled the demo back" \
    grep -q "payments/payments-api rolled back to revision" "$T/deploy-rollback.out"
check "deploy-rollback: the wait saw the rollout complete" \
    grep -q "met after .*ROLLOUT is complete" "$T/deploy-rollback.out"
check "deploy-rollback: Slack got the channel message with the role" \
    slack_has "the rollout of payments/payments-api is stuck. I am on it as incident commander"
check "deploy-rollback: and the all-clear with the capture and the prompt" \
    slack_has "rolled back off registry.example.com/payments/payments-api:v3.2.0; rollout complete. Cause: missing env SETTLEMENT_BANK_URL"
check "deploy-rollback: the approver is journaled" \
    bash -c 'grep -h "\"approval\"" "$1"/opsdeck/runs/*deploy-rollback*.jsonl | grep -q Alice' _ "$XDG_STATE_HOME"
check "the undo is in the audit log" \
    bash -c 'grep "\"undo\"" "$1/opsdeck/audit.jsonl" | grep -q "payments/payments-api"' _ "$XDG_STATE_HOME"

# Pool server down: server name from the instance label, drain, checks, approval, ready.
run_book pool-server-down '\n\n\n\n\nLayer4 connection refused\n1\n\n\n\nBob\n\n\n1\n\n\n' \
    --var instance=web3:8080 --var pool=be_web
check "pool-server-down: the run finishes" finished pool-server-down
check "pool-server-down: the instance label became the server name" \
    grep -q "be_web/web3 set to DRAIN" "$T/pool-server-down.out"
check "pool-server-down: put back in rotation" grep -q "be_web/web3 set to READY" "$T/pool-server-down.out"
check "pool-server-down: the wait saw it UP" \
    grep -q "met after .*be_web/web3 STATUS is UP" "$T/pool-server-down.out"
check "pool-server-down: the all-clear names the server and the cause" \
    slack_has "TargetDown mitigated: be_web/web3 is back in rotation and passes its checks. Cause: Layer4 connection refused"

# Dead letters: peek, replay after approval, the DLQ empties.
run_book queue-backlog '\n\n\n\n\n1\n\n1\nCarol\n\n\n\n\n' \
    --var queue=orders.created.dlq --var alertname=DeadLetterQueueGrowing
check "queue-backlog: the run finishes" finished queue-backlog
check "queue-backlog: peeked without consuming" grep -q "peeked 5 messages of orders.created.dlq" "$T/queue-backlog.out"
check "queue-backlog: the dead letters went back" \
    grep -q "moved [0-9]* messages from orders.created.dlq back to orders.created" "$T/queue-backlog.out"
check "queue-backlog: the wait saw the DLQ empty" \
    grep -q "met after .*orders.created.dlq READY is [0-9] (want < 10)" "$T/queue-backlog.out"
check "queue-backlog: the all-clear carries the start time and the depth" \
    bash -c '"$@"' _ python3 -c '
import json, re, sys
bodies = [json.loads(json.loads(l)["body"])["text"] for l in open(sys.argv[1]) if l.strip()]
ok = any(re.search(r"mitigated\. Started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, was \d+ ready, 0 consumers", b) for b in bodies)
sys.exit(0 if ok else 1)
' "$T/hook.jsonl"

check "no webhook URL or routing key in any journal" \
    bash -c '! grep -rqE "hook-secret|routing-key-secret" "$1/opsdeck"' _ "$XDG_STATE_HOME"

for f in "$T"/*.out; do
    [ "$FAILED" -gt 0 ] && sed "s/^/# $(basename "$f"): /" "$f" | tail -15
done
done_testing
