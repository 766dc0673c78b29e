#!/bin/bash
# opsdeck report: a run's incident timeline (the journal, the audited actions,
# the alert transitions), --last, --since/--until with no run, --json, --post
# to a Slack webhook (a local listener on loopback), and bad input.
set -u
OPSDECK=${OPSDECK:?}
FIX=${FIXTURES:?}
T=$(mktemp -d /tmp/opsdeck-report.XXXXXX)
HOOK_PID=
cleanup() {
    [ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$(dirname "$0")/tap.sh"
mkdir -p "$T/state/opsdeck" "$T/config/opsdeck"
cp -r "$FIX"/. "$T/state/opsdeck/"
RUN=20261123T144000Z-web-5xx-ab12

"$OPSDECK" report --last >"$T/last.md" 2>"$T/err"
rc=$?
check "--last exits 0" test "$rc" = 0
check "--last is the newest run's report" grep -q "^- Run: $RUN$" "$T/last.md"
check "the drain taken in the Pools pane is on the run's timeline" \
    grep -q "^- 14:46:57 +06:57 alice@bastion: drain be_web/web3 on lb -> ok" "$T/last.md"
check "the alert's fired and resolved times" bash -c \
    'grep -q "^- 14:38:00 -02:00 alert HighErrorRate fired" "$1" && grep -q "^- 14:55:00 +15:00 alert HighErrorRate resolved" "$1"' _ "$T/last.md"
check "first mitigation is the drain, not 'not reached'" bash -c \
    'grep -q "^| First mitigation | 2026-11-23 14:46:58 UTC | 9m28s | drain be_web/web3 by alice |" "$1" && ! grep -q "not reached (no Focus" "$1"' _ "$T/last.md"
"$OPSDECK" report "$RUN" >"$T/id.md"
check "RUN-ID and --last give the same report" cmp -s "$T/last.md" "$T/id.md"

"$OPSDECK" report --last --json >"$T/last.json"
check "--json is JSON with figures, timeline, answers and leftovers" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["run"]["id"] == sys.argv[2], d["run"]
f = d["figures"]
assert f["detected"]["at"] == "2026-11-23T14:37:30.000Z", f
assert f["mitigated"]["after_s"] == 568 and "drain be_web/web3" in f["mitigated"]["what"], f
assert f["resolved"]["at"] == "2026-11-23T14:55:00.000Z", f
src = {e["source"] for e in d["timeline"]}
assert src == {"run", "action", "alert"}, src
drain = [e for e in d["timeline"] if e.get("action") == "drain" and e.get("target") == "be_web/web3"]
assert drain and drain[0]["actor"] == "alice" and drain[0]["result"] == "ok", drain
assert d["postmortem"]["severity"] == "SEV2"
assert [i["owner"] for i in d["postmortem"]["action_items"]] == ["bob", "carol"]
assert any(l["target"] == "be_web/web3" and l["undo"] == "ready" for l in d["leftovers"]), d["leftovers"]
' "$T/last.json" "$RUN"

"$OPSDECK" report --since 2026-11-23T14:00:00Z --until 2026-11-23T14:35:00Z >"$T/range.md"
check "--since/--until: a timeline with no run" bash -c \
    'grep -q "^# Incident timeline: 2026-11-23 14:00:00 UTC to 2026-11-23 14:35:00 UTC" "$1" && grep -q "drain be_web/web1" "$1" && grep -q "alert OldAlert fired" "$1" && ! grep -q "web3" "$1"' _ "$T/range.md"
check "--since with an age (all of it, up to now)" bash -c \
    '"$1" report --since 100000d | grep -q "alert Unrelated fired"' _ "$OPSDECK"
"$OPSDECK" report --since 2026-11-23T14:00:00Z --until 2026-11-23T14:35:00Z --json >"$T/range.json"
check "--since --json" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["range"]["since"] == "2026-11-23T14:00:00.000Z"
assert [e["action"] for e in d["timeline"]] == ["fired", "resolved", "drain"], d["timeline"]
' "$T/range.json"

# bad input
check "no run, no --last, no --since: usage, exit 2" test "$(
    "$OPSDECK" report >/dev/null 2>&1; echo $?)" = 2
check "--until without --since: usage" test "$(
    "$OPSDECK" report --until 1h >/dev/null 2>&1; echo $?)" = 2
"$OPSDECK" report --since yesterday >/dev/null 2>"$T/err"
rc=$?
check "a bad TIME: exit 2, named" bash -c '[ "$1" = 2 ] && grep -q "bad --since .yesterday." "$2"' _ "$rc" "$T/err"
"$OPSDECK" report --since 1h --until 2h >/dev/null 2>"$T/err"
check "--until before --since: refused" grep -q "until is before --since" "$T/err"
"$OPSDECK" report NO-SUCH-RUN >/dev/null 2>"$T/err"
rc=$?
check "an unknown run: exit 1, said" bash -c '[ "$1" = 1 ] && grep -q "no run NO-SUCH-RUN" "$2"' _ "$rc" "$T/err"
printf '{"seq":1,"ts":"garbage"' >>"$T/state/opsdeck/audit.jsonl"
printf 'not json\n{"seq":2}\n' >>"$T/state/opsdeck/alerts.jsonl"
"$OPSDECK" report --last >"$T/torn.md" 2>"$T/err"
check "a torn audit line and garbage alert lines: the report still comes, the same" \
    cmp -s "$T/last.md" "$T/torn.md"

# --post: the summary to the Slack webhook of the config, on loopback
"$OPSDECK" report --last --post >/dev/null 2>"$T/err"
rc=$?
check "--post without a config: exit 2, says what to set" bash -c \
    '[ "$1" = 2 ] && grep -q "slack_url_env" "$2"' _ "$rc" "$T/err"
printf '[runbooks]\nslack_url_env = OPSDECK_T_HOOK\n' >"$T/config/opsdeck/config.ini"
"$OPSDECK" report --last --post >/dev/null 2>"$T/err"
rc=$?
check "--post with the variable unset: exit 1, the variable named" bash -c \
    '[ "$1" = 1 ] && grep -q "OPSDECK_T_HOOK" "$2"' _ "$rc" "$T/err"
python3 "$(dirname "$0")/integration/webhook.py" 0 "$T/hook.log" 60 >"$T/hook.port" &
HOOK_PID=$!
wait_until 10 test -s "$T/hook.port"
PORT=$(head -1 "$T/hook.port")
export OPSDECK_T_HOOK="http://127.0.0.1:$PORT/services/T0/B0/secret"
"$OPSDECK" report --last --post >"$T/post.md" 2>"$T/err"
rc=$?
check "--post: exit 0" test "$rc" = 0
check "--post still prints the report" cmp -s "$T/last.md" "$T/post.md"
check "the webhook got the summary" python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 1 and reqs[0]["method"] == "POST", reqs
text = json.loads(reqs[0]["body"])["text"]
for want in ("Web 5xx", "Detected: 14:37:30 UTC", "First mitigation: 14:46:58 UTC (+9m28s) drain be_web/web3",
             "Resolved: 14:55:00 UTC", "Severity: SEV2", "Action item: raise the fd limit (bob)",
             "Left in place: be_web/web3 drained"):
    assert want in text, (want, text)
' "$T/hook.log"
check "the webhook URL is never printed" bash -c '! grep -q secret "$1" "$2"' _ "$T/err" "$T/post.md"
export OPSDECK_T_HOOK="http://127.0.0.1:$PORT/status/500"
"$OPSDECK" report --last --post >/dev/null 2>"$T/err"
rc=$?
check "a webhook answering 500: exit 1, said" bash -c '[ "$1" = 1 ] && grep -q "500" "$2"' _ "$rc" "$T/err"
done_testing
