#!/bin/bash
# :promql against a real Prometheus on loopback, scraping itself every second
# (its own prometheus_http_requests_total gives series without any exporter):
# the series and a value that agrees with what curl gets for the same query,
# Prometheus's own error for bad PromQL, Esc (a filter first, then the pane:
# the Alerts pane is back), the history across a restart, and the failures a
# person must be told about clearly: a refused connection, a timeout, a 5xx,
# an answer over max_body, an unknown @NAME. (The sparkline's data is
# test_promql's; tui/table.c draws it.)
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
T="$E2E_DIR/srv"
mkdir -p "$T"
PROM_BIN=$(command -v prometheus || true)
for tool in "$PROM_BIN" curl python3; do
    [ -n "$tool" ] && command -v "$tool" >/dev/null || {
        echo "not ok 1 - prometheus, curl and python3 are installed (scripts/deps --test)"
        echo "1..1"
        exit 1
    }
done

read -r PROM_PORT CLOSED_PORT < <(free_ports 2)
PROM="http://127.0.0.1:$PROM_PORT"
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
YML
"$PROM_BIN" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --web.external-url="$PROM" >"$T/prom.log" 2>&1 &
PIDS+=($!)
# a server that accepts and never answers, and answers 503 on /status/503...
python3 "$HERE/../integration/faultserver.py" 300 >"$T/fault.port" &
PIDS+=($!)
wait_until 20 curl -sf "$PROM/-/ready" || { echo "Bail out! prometheus did not start"; exit 1; }
wait_until 10 test -s "$T/fault.port" || { echo "Bail out! faultserver did not start"; exit 1; }
FAULT="http://127.0.0.1:$(cat "$T/fault.port")"

Q='sum by (code) (prometheus_http_requests_total)'
# curl_value CODE: the query's value for code="CODE" as Prometheus answers it now
curl_value() {
    curl -sf -G "$PROM/api/v1/query" --data-urlencode "query=$Q" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next(r["value"][1] for r in d["data"]["result"] if r["metric"].get("code") == sys.argv[1]))' "$1"
}
has_series() { curl_value 200 >/dev/null 2>&1; }
wait_until 20 has_series || { echo "Bail out! Prometheus has not scraped itself"; exit 1; }

cat >"$T/opsdeck.ini" <<INI
[backend "prom"]
type = prometheus
url = $PROM
refresh = 1s

[backend "dead"]
type = prometheus
url = http://127.0.0.1:$CLOSED_PORT
retries = 0

[backend "hung"]
type = prometheus
url = $FAULT/hang
timeout = 2s
retries = 0

[backend "broken"]
type = prometheus
url = $FAULT/status/503
retries = 0

[backend "tiny"]
type = prometheus
url = $PROM
max_body = 1K
INI

# screen_value CODE: the VALUE cell of the {code="CODE"} row on screen
screen_value() {
    screen | sed -n "s/.*{code=\"$1\"} *\([0-9][0-9.e+]*\) .*/\1/p" | head -1
}
# between LOW VALUE HIGH (numbers)
between() {
    python3 -c 'import sys; lo, v, hi = map(float, sys.argv[1:]); sys.exit(0 if lo <= v <= hi else 1)' "$@" || {
        echo "#   $2 is not within [$1, $3]"
        return 1
    }
}

# failing backends fill the status bar: "? help" may not show
E2E_READY="1 Alerts"
e2e_start 120 30 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the Alerts pane is there first" wait_line "1 Alerts"

BEFORE=$(curl_value 200)
keys ":promql $Q" Enter
check "the PromQL pane opens with the query in its title" wait_for "1 PromQL $Q"
check "a row per code: 200" wait_line '\{code="200"\} +[0-9]+'
check "its SOURCE is the backend" wait_line '\{code="200"\} +[0-9]+ .* prom +'
SHOWN=$(screen_value 200)
AFTER=$(curl_value 200)
# a counter: what the pane shows lies between what Prometheus said before it was asked and after
check "the value agrees with curl's for the same query ($BEFORE <= $SHOWN <= $AFTER)" \
    between "$BEFORE" "${SHOWN:-nan}" "$AFTER"
check "the summary counts the series" wait_line "PromQL .* [0-9]+ series"
check "the Alerts pane is off screen meanwhile" screen_lacks -F "1 Alerts"
check "refreshed like any pane: the value moves with the scrapes" \
    poll_until 10 bash -c '[ "$(tmux -S "$1" capture-pane -p -t main | sed -n "s/.*{code=\"200\"} *\([0-9][0-9]*\) .*/\1/p" | head -1)" != "$2" ]' _ "$E2E_SOCK" "$SHOWN"

keys Enter
check "Enter: the row's detail has its labels and the query" wait_line "query +$(printf '%s' "$Q" | sed 's/[()]/\\&/g')"
check "... and the label" wait_line "code +200"
keys Escape
check "Esc closes the detail, not the pane" wait_gone "Esc close" 3
check "... the pane stays" wait_for "1 PromQL"

# a filter first, then the pane
keys / 4 0 0 Enter
check "a filter applies in the PromQL pane" wait_for "filter: 400"
keys Escape
check "Esc clears the filter first" wait_gone "filter: 400"
check "... and the pane stays" wait_for "1 PromQL"
keys Escape
check "Esc again closes it: the Alerts pane is back" wait_line "1 Alerts"
check "the PromQL pane is gone" wait_gone "PromQL"

keys ":promql sum((" Enter
check "bad PromQL: Prometheus's own error" wait_for "Prometheus error (bad_data)"
check "... with its words" wait_for "parse error: unclosed left parenthesis"
check "... and no rows" wait_for "0 rows"
keys Escape
check "Esc closes the failed query too" wait_line "1 Alerts"

keys ":promql @dead up" Enter
check "a refused connection says so" wait_line "dead: .*([Cc]onnection refused|[Cc]ouldn't connect|connect)"
keys Escape
keys ":promql @hung up" Enter
wait_for "querying hung"
keys / x
check "keys stay instant while the query hangs" wait_for "/x_" 1
keys Escape
check "a server that never answers: a timeout" wait_for "hung: timed out after 2000 ms" 8
keys Escape
keys ":promql @broken up" Enter
check "a 5xx says its status" wait_for "broken: HTTP 503"
keys Escape
keys ":promql @tiny prometheus_http_requests_total" Enter
check "an answer over max_body is refused, not cut" wait_for "response larger than"
keys Escape
keys ":promql @nosuch up" Enter
check "an unknown @NAME says so" wait_for "no backend named 'nosuch'"

HIST="$XDG_STATE_HOME/opsdeck/promql_history"
keys ":promql $Q" Enter
wait_for "1 PromQL $Q"
keys Escape
keys ":promql $Q" Enter
wait_for "1 PromQL $Q"
keys Escape
wait_line "1 Alerts"
check "history file is 0600" bash -c '[ "$(stat -c %a "$1")" = 600 ]' _ "$HIST"
check "history: every query typed, none twice in a row" bash -c 'diff <(cat "$1") <(printf "%s\n" "$2" "sum((" "@dead up" "@hung up" "@broken up" "@tiny prometheus_http_requests_total" "$2")' _ "$HIST" "$Q"

keys q
wait_exit >/dev/null
e2e_start 120 30 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
keys ":promql" Enter
check "after a restart :promql offers the newest query" wait_for ":promql $Q"
keys Up
check "Up walks back" wait_for ":promql @tiny prometheus_http_requests_total"
keys Down
check "Down comes forward" wait_for ":promql $Q"
keys Enter
check "Enter runs it" wait_line '\{code="200"\} +[0-9]+'
keys e
check "e in the pane edits the query" wait_for ":promql $Q"
keys Escape
wait_gone ":promql $Q"
keys Escape
check "and Esc closes" wait_line "1 Alerts"

# 80x24 without UTF-8 (one slot here: no tab bar)
keys q
wait_exit >/dev/null
e2e_start 80 24 LANG=C -- -c "$T/opsdeck.ini"
keys ":promql $Q" Enter
check "80x24, ASCII: the PromQL pane in the first slot" wait_for "+- 1 PromQL $Q 2 series"
check "80x24, ASCII: the row and its whole value" wait_line '^\|\{code="200"\} +[0-9]+ '
keys Escape
check "80x24: Esc brings the Alerts pane back" wait_for "+- 1 Alerts"

done_testing
