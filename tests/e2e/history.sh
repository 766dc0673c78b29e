#!/bin/bash
# The alert History view over a real Alertmanager: an alert fires, is
# silenced, is unsilenced (its silence expired) and resolves (posted again
# with endsAt in the past); H on Alerts opens the History pane with the four
# transitions newest first, each with its time; filter, detail (labels,
# fingerprint) and Esc work; :history opens it too; `opsdeck report --since`
# lists the same transitions with their times and source.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/srv"
mkdir -p "$T/am"
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager)
for tool in "$AM_BIN" curl; do
    command -v "$tool" >/dev/null || { echo "not ok 1 - $tool is installed (scripts/deps --test)"; echo "1..1"; exit 1; }
done
read -r AM_PORT < <(free_ports 1)
AM="http://127.0.0.1:$AM_PORT"
printf "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n" >"$T/am.yml"
"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
wait_until 20 curl -sf "$AM/-/ready" || { echo "Bail out! alertmanager"; exit 1; }

iso() { python3 -c 'import datetime,sys; print((datetime.datetime.now(datetime.timezone.utc)+datetime.timedelta(seconds=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%S.000Z"))' "$1"; }
post_alert() { # [endsAt]
    local ends=""
    [ $# -gt 0 ] && ends=",\"endsAt\":\"$1\""
    curl -sf -H 'Content-Type: application/json' -d "[{\"labels\":{\"alertname\":\"DiskFull\",
      \"severity\":\"warning\",\"instance\":\"db1\"},\"annotations\":{\"summary\":\"disk 95%\"}$ends}]" \
        "$AM/api/v2/alerts" >/dev/null
}

mkdir -p "$XDG_CONFIG_HOME"
cat >"$T/opsdeck.ini" <<INI
[backend "am"]
type = alertmanager
url = $AM
refresh = 1s
INI

START=$(iso -5)
post_alert
e2e_start 160 40 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the alert fires" wait_line "warning +DiskFull +firing" 15

SID=$(curl -sf -H 'Content-Type: application/json' -d "{\"matchers\":[{\"name\":\"alertname\",
  \"value\":\"DiskFull\",\"isRegex\":false,\"isEqual\":true}],\"startsAt\":\"$(iso 0)\",
  \"endsAt\":\"$(iso 3600)\",\"createdBy\":\"e2e\",\"comment\":\"history test\"}" \
    "$AM/api/v2/silences" | python3 -c 'import json,sys; print(json.load(sys.stdin)["silenceID"])')
check "silenced (a silence in Alertmanager)" wait_line "warning +DiskFull +silenced" 15
curl -sf -X DELETE "$AM/api/v2/silence/$SID" >/dev/null
check "unsilenced (the silence expired)" wait_line "warning +DiskFull +firing" 15
post_alert "$(iso -1)"
check "resolved: Alertmanager no longer lists it" wait_gone "DiskFull" 20

keys 1 H
check "H on Alerts opens the History pane" wait_line "History 4 transitions, newest first"
T0='[0-2][0-9]:[0-5][0-9]:[0-5][0-9]'
check "resolved, with its time" wait_line "$T0 +resolved +DiskFull +warning +instance=db1 +firing +am"
check "unsilenced, from silenced" wait_line "$T0 +unsilenced +DiskFull +warning +instance=db1 +silenced +am"
check "silenced, from firing" wait_line "$T0 +silenced +DiskFull +warning +instance=db1 +firing +am"
check "fired, with its time" wait_line "$T0 +fired +DiskFull +warning +instance=db1 +am"
s=$(screen)
order=$(grep -oE "$T0 +(fired|silenced|unsilenced|resolved) +DiskFull" <<<"$s" | awk '{print $2}' | tr '\n' ' ')
check "newest first (got: $order)" test "$order" = "resolved unsilenced silenced fired "
first=$(grep -oE "$T0 +fired +DiskFull" <<<"$s" | awk '{print $1}')
last=$(grep -oE "$T0 +resolved +DiskFull" <<<"$s" | awk '{print $1}')
check "the times are clock times, the resolution after the firing ($first .. $last)" \
    bash -c '[[ "$1" < "$2" || "$1" == "$2" ]]' _ "$first" "$last"
keys g Enter
check "Enter: the detail has the labels" wait_line "label.instance +db1"
check "and the fingerprint" wait_line "fingerprint +[0-9a-f]+"
keys Escape
check "Esc closes the detail" wait_gone "label.instance"
keys / u n s i l Enter
check "the filter narrows the history" wait_for "1 of 4 rows  filter: unsil"
keys Escape
check "Esc clears the filter first" wait_for "History 4 transitions"
keys Escape
check "Esc again closes the History pane" wait_gone "History 4 transitions"
check "the Alerts pane is back" wait_for "1 Alerts"
keys : h i s t o r y Enter
check ":history opens it again" wait_line "History 4 transitions, newest first"
keys Escape
keys : q Enter
check ":q quits" test "$(wait_exit)" = 0

"$OPSDECK" report --since "$START" >"$T/report.md" 2>"$T/report.err"
check "the report of the range lists the firing with its time and source" \
    grep -qE "^- $T0 .*alert DiskFull fired \{.*\} from am" "$T/report.md"
check "the silence and the unsilence" \
    bash -c 'grep -qE "alert DiskFull silenced .*from am" "$1" && grep -qE "alert DiskFull unsilenced .*from am" "$1"' _ "$T/report.md"
check "and the resolution" grep -qE "^- $T0 .*alert DiskFull resolved \(no longer reported\) from am" "$T/report.md"
done_testing
