#!/bin/bash
# The Signals of [service] sections against a real Prometheus on loopback,
# scraping a small exporter (signalexporter.py: counters and a histogram that
# change over time, its error share set at run time) every second, with
# sloth-style recording rules for one service (payments) evaluated every
# second. Checked:
#   - the numbers opsdeck publishes equal what Prometheus answers to the same
#     expressions at the same instant (signals_at pins it): REQ/s, ERR%, P50,
#     P99, BUDGET and the burn rates of every window, the ERRORS 1h series
#     against query_range, for the default queries (checkout) and for sloth's
#     rule names (payments: its objective read from slo:objective:ratio);
#   - one instant query and one range query per refresh, for every service;
#   - a runbook `wait until: signals checkout errors < 1%` completes once the
#     exporter's error share is lowered (cond.c's column-title form: the
#     `errors < 1%` alias is another helper's);
#   - a 500, a Prometheus error and a slow Prometheus (through a proxy that
#     fails on demand) turn the health to "signals: ..." and keep the last
#     rows, alerts still polled; a refused connection is an error.
#
# env: OPSDECK = the opsdeck binary; $1 = the signals_dump helper. TAP output.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
DUMP=${1:?usage: signals.sh SIGNALS_DUMP}
PROM_BIN=$(command -v prometheus || true)
if [ -z "$PROM_BIN" ]; then
    echo "not ok 1 - prometheus is installed (scripts/deps --test)"
    echo "1..1"
    exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)

T=$(mktemp -d /tmp/opsdeck-signals.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config" USER=opsdeck-it
. "$HERE/../tap.sh"
is() {
    [ "$1" = "$2" ] || {
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        return 1
    }
}
STARTED=$SECONDS

read -r PROM_PORT CLOSED_PORT < <(free_ports 2)
PROM="http://127.0.0.1:$PROM_PORT"

# ---- the exporter, Prometheus, sloth-style rules ----

coproc EXP { exec python3 "$HERE/signalexporter.py" "$PROM" 120 2>"$T/exporter.log"; }
PIDS+=("$EXP_PID")
read -r METRICS_PORT PROXY_PORT <&"${EXP[0]}" || bail "the exporter did not start"
EXPORTER="http://127.0.0.1:$METRICS_PORT"
PROXY="http://127.0.0.1:$PROXY_PORT"

# What sloth generates for one SLO (service payments, 99.5 % over 30 days),
# by its documented names and labels, written out here.
{
    echo "groups:"
    echo "  - name: sloth-slo-sli-recordings-payments-requests-availability"
    echo "    interval: 1s"
    echo "    rules:"
    for w in 5m 30m 1h 2h 6h 1d 3d 30d; do
        cat <<YML
      - record: slo:sli_error:ratio_rate$w
        expr: (sum(rate(http_requests_total{service="payments",code=~"5.."}[$w]))) / (sum(rate(http_requests_total{service="payments"}[$w])))
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability, sloth_window: $w}
YML
    done
    cat <<'YML'
  - name: sloth-slo-meta-recordings-payments-requests-availability
    interval: 1s
    rules:
      - record: slo:objective:ratio
        expr: vector(0.995)
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability}
      - record: slo:error_budget:ratio
        expr: vector(1-0.995)
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability}
      - record: slo:time_period:days
        expr: vector(30)
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability}
      - record: slo:period_burn_rate:ratio
        expr: slo:sli_error:ratio_rate30d{sloth_id="payments-requests-availability"} / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{sloth_id="payments-requests-availability"}
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability}
      - record: slo:period_error_budget_remaining:ratio
        expr: 1 - slo:period_burn_rate:ratio{sloth_id="payments-requests-availability"}
        labels: {sloth_id: payments-requests-availability, sloth_service: payments, sloth_slo: requests-availability}
YML
} >"$T/sloth.yml"
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $T/sloth.yml
scrape_configs:
  - job_name: shop
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
YML
"$PROM_BIN" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --web.external-url="$PROM" >"$T/prom.log" 2>&1 &
PIDS+=($!)
wait_until 30 curl -sf "$PROM/-/ready" || bail "Prometheus did not get ready"
echo "# Prometheus ready after $((SECONDS - STARTED)) s"

# pq EXPR [TIME]: Prometheus's own answer, the value as it writes it ("" when no series)
pq() {
    curl -sf --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} "$PROM/api/v1/query" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r)==1 else "")'
}
has_data() {
    [ -n "$(pq "$1")" ] && [ "$(pq "$1")" != NaN ]
}
wait_until 30 has_data 'slo:sli_error:ratio_rate5m{sloth_service="payments"}' ||
    bail "no recorded sloth ratio"
wait_until 30 has_data 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout"}[5m])))' ||
    bail "no latency histogram"
sleep 2
AT=$(($(date +%s) - 1))
echo "# data ready after $((SECONDS - STARTED)) s"

# ---- the numbers, pinned at AT ----

cat >"$T/at.ini" <<INI
[backend "prom"]
type = prometheus
url = $PROM
refresh = 1s
signals_at = $AT

[service "checkout"]

[service "payments"]
rules = sloth
INI
check "lint accepts the services" bash -c '"$1" lint "$2" | grep -q "ok (1 backend)"' _ \
    "$OPSDECK" "$T/at.ini"
curl -sf "$PROM/metrics" >"$T/m0.txt"
"$DUMP" "$T/at.ini" 4 >"$T/at.jsonl" 2>"$T/dump.log"
check "signals_dump exits 0" is "$?" 0
curl -sf "$PROM/metrics" >"$T/m1.txt"
LAST="$T/last.json"
grep '"rows":\[{' "$T/at.jsonl" | tail -1 >"$LAST"
check "rows were published" test -s "$LAST"

# The comparisons, in one Python program (one process, not one per check):
# each line is "ok N - ..." / "not ok N - ..." with the numbers when they differ.
# expect(what, got, promql, scale, tol): opsdeck's number equals Prometheus's
# answer to promql at AT (its own /api/v1/query), times scale, within tol relative.
python3 - "$LAST" "$PROM" "$AT" "$N" >"$T/compare.tap" <<'PY'
import json, math, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
prom, at, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def query(path, **params):
    body = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(prom + path, data=body, timeout=10) as r:
        return json.load(r)["data"]["result"]

def pq(q):
    r = query("/api/v1/query", query=q, time=at)
    return float(r[0]["value"][1]) if len(r) == 1 else None

def row(name):
    return next(r for r in d["rows"] if r["key"] == name)

def check(what, ok, diag=""):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok and diag:
        print("#   " + diag)

def expect(what, got, q, scale=1, tol=1e-9):
    want = pq(q)
    want = want * scale if want is not None else None
    ok = want is not None and got is not None and math.isfinite(want) and \
        abs(float(got) - want) <= tol * max(abs(want), 1e-12)
    check(what, ok, "opsdeck: %r  prometheus: %r (%s)" % (got, want, q))

def burn(name, w):
    return float(row(name)["detail"]["burn " + w].rstrip("x"))

L = 'service="checkout"'
def c_ratio(w):
    return ('(sum(rate(http_requests_total{%s,code=~"5.."}[%s])) or vector(0))'
            ' / sum(rate(http_requests_total{%s}[%s]))' % (L, w, L, w))
c = row("checkout")
expect("checkout REQ/s = Prometheus", c["nums"]["REQ/s"],
       "sum(rate(http_requests_total{%s}[5m]))" % L)
expect("checkout ERR% = Prometheus's 5m error ratio x 100", c["nums"]["ERR%"], c_ratio("5m"), 100)
expect("checkout P50ms = histogram_quantile(0.5) x 1000", c["nums"]["P50ms"],
       "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[5m])))" % L,
       1000)
expect("checkout P99ms = histogram_quantile(0.99) x 1000", c["nums"]["P99ms"],
       "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[5m])))" % L,
       1000)
expect("checkout BUDGET = (1 - ratio over 30d / (1 - 0.999)) x 100", c["nums"]["BUDGET"],
       "1 - (%s) / (1 - 0.999)" % c_ratio("30d"), 100)
expect("checkout BURN (its number: the 1h burn rate) = ratio 1h / (1 - 0.999)", c["nums"]["BURN"],
       "(%s) / (1 - 0.999)" % c_ratio("1h"))
for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"):
    expect("checkout burn %s = ratio %s / (1 - 0.999) (detail, %%.6g)" % (w, w), burn("checkout", w),
           "(%s) / (1 - 0.999)" % c_ratio(w), 1, 1e-5)
check("checkout SLO is the default 99.9", c["nums"]["SLO"] == 99.9, repr(c["nums"]["SLO"]))
check("checkout's query for errors is the documented default",
      c["detail"]["query errors"] == c_ratio("5m"), c["detail"]["query errors"])
check("checkout has no saturation (no default)", c["nums"]["SAT%"] is None and
      c["texts"]["SAT%"] == "", repr(c["texts"]["SAT%"]))

S = '{sloth_service="payments"}'
p = row("payments")
expect("payments ERR% = max(slo:sli_error:ratio_rate5m) x 100", p["nums"]["ERR%"],
       "max(slo:sli_error:ratio_rate5m%s)" % S, 100)
expect("payments BUDGET = slo:period_error_budget_remaining:ratio x 100", p["nums"]["BUDGET"],
       "min(slo:period_error_budget_remaining:ratio%s)" % S, 100)
expect("payments SLO comes from slo:objective:ratio (99.5)", p["nums"]["SLO"],
       "max(slo:objective:ratio%s)" % S, 100)
check("  which is 99.5", p["texts"]["SLO"] == "99.5", p["texts"]["SLO"])
expect("payments BURN (the 1h burn rate) = max(slo:sli_error:ratio_rate1h) / (1 - 0.995)",
       p["nums"]["BURN"], "max(slo:sli_error:ratio_rate1h%s) / (1 - 0.995)" % S)
for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"):
    expect("payments burn %s reads slo:sli_error:ratio_rate%s" % (w, w), burn("payments", w),
           "max(slo:sli_error:ratio_rate%s%s) / (1 - 0.995)" % (w, S), 1, 1e-5)
check("payments window from slo:time_period:days", p["detail"]["window"] == "30d",
      p["detail"]["window"])
expect('payments REQ/s: the default query over service="payments"', p["nums"]["REQ/s"],
       'sum(rate(http_requests_total{service="payments"}[5m]))')

# the ERRORS 1h series: query_range of the same expression, 60 s steps ending at AT
got = [float(x) for x in c["texts"]["ERRORS 1h"].split()]
want = [math.nan] * 61
for ts, v in query("/api/v1/query_range", query=c_ratio("5m"), start=at - 3600, end=at,
                   step=60)[0]["values"]:
    want[round((ts - (at - 3600)) / 60)] = float(v) * 100
same = len(got) == 61 and all(math.isnan(g) == math.isnan(w) and
                              (math.isnan(g) or abs(g - w) <= 1e-5 * max(abs(w), 1e-12))
                              for g, w in zip(got, want))
check("the ERRORS 1h series is query_range's, in %, 61 steps",
      same and any(not math.isnan(g) for g in got), "%r vs %r" % (got[-5:], want[-5:]))
check("  and the Enter view has it", c["detail"]["series errors"] == c["texts"]["ERRORS 1h"])
check("the Enter view's series: traffic, p50, p99 too, no saturation",
      all(len(c["detail"]["series " + s].split()) == 61 for s in ("traffic", "p50", "p99")) and
      "series saturation" not in c["detail"])
PY
N=$((N + $(grep -c '^ok\|^not ok' "$T/compare.tap")))
FAILED=$((FAILED + $(grep -c '^not ok' "$T/compare.tap")))
cat "$T/compare.tap"
echo "# compared after $((SECONDS - STARTED)) s"

# The console's own snapshot shows the same rows as the store.
"$OPSDECK" snapshot --json -c "$T/at.ini" >"$T/snap.json" 2>"$T/snap.err"
check "opsdeck snapshot's Signals pane has the same numbers" python3 - "$T/snap.json" "$LAST" <<'PY'
import json, sys
snap = {r["key"]: r for r in json.load(open(sys.argv[1]))["panes"]["signals"]}
dump = {r["key"]: r for r in json.load(open(sys.argv[2]))["rows"]}
assert sorted(snap) == sorted(dump), (sorted(snap), sorted(dump))
for k, r in dump.items():
    for col in ("REQ/s", "ERR%", "P50ms", "P99ms", "BUDGET", "SLO"):
        assert snap[k]["cells"][col] == r["nums"][col], (k, col, snap[k]["cells"][col], r["nums"][col])
    assert snap[k]["cells"]["BURN"] == r["texts"]["BURN"], (k, snap[k]["cells"]["BURN"])
PY

# one instant and one range query per refresh, however many services
count_of() {
    local n
    n=$(grep -F "prometheus_http_requests_total{code=\"200\",handler=\"$2\"} " "$1" | awk '{print $2}')
    echo "${n:-0}"
}
POLLS=$(python3 -c 'import json,sys; print(int(json.loads(open(sys.argv[1]).readlines()[-1])["polls"]["prom"]))' "$T/at.jsonl")
QN=$(($(count_of "$T/m1.txt" /api/v1/query) - $(count_of "$T/m0.txt" /api/v1/query)))
RN=$(($(count_of "$T/m1.txt" /api/v1/query_range) - $(count_of "$T/m0.txt" /api/v1/query_range)))
echo "# $POLLS polls, $QN instant queries, $RN range queries"
check "one instant query per poll for both services" test "$QN" -ge $((POLLS - 1)) -a "$QN" -le "$POLLS" -a "$POLLS" -ge 3
check "one range query per poll" test "$RN" -ge $((QN - 1)) -a "$RN" -le "$QN"

# ---- a runbook waits until checkout's errors are back under 1 % ----

cat >"$T/live.ini" <<INI
[backend "prom"]
type = prometheus
url = $PROM
refresh = 1s

[service "checkout"]
INI
cat >"$T/wait.md" <<'MD'
# Errors back under the objective

## Wait for checkout's errors to drop
```opsdeck
type: wait
until: signals checkout errors < 1%
interval: 1s
timeout: 40s
```
MD
W0=$SECONDS
printf '\n' | "$OPSDECK" run "$T/wait.md" --plain -c "$T/live.ini" >"$T/wait.out" 2>&1 &
WAITER=$!
PIDS+=($WAITER)
sleep 3
check "with 5 % errors the wait is not met" kill -0 $WAITER
check "the exporter takes a lower error share" \
    curl -sf -o /dev/null "$EXPORTER/set?service=checkout&rate=2000&errors=0"
wait $WAITER
check "the wait completes (exit 0)" is "$?" 0
check "the runbook says the condition was met" grep -q 'met after' "$T/wait.out"
echo "# the wait took $((SECONDS - W0)) s"
sed 's/^/#   /' "$T/wait.out" | tail -5

echo "# $((SECONDS - STARTED)) s so far"

# ---- faults: the health says so, the rows stay ----

cat >"$T/proxy.ini" <<INI
[backend "prom"]
type = prometheus
url = $PROXY
refresh = 1s
timeout = 2s
retries = 0
; faults one after the other: the backoff (issue 20) must not outwait a check
backoff_cap = 3s

[service "checkout"]
INI
"$DUMP" "$T/proxy.ini" 25 >"$T/proxy.jsonl" 2>"$T/dump2.log" &
DPID=$!
PIDS+=($DPID)
# seen PYTHON-EXPR: the newest line of the dump satisfies it (d = that line)
seen() {
    python3 - "$T/proxy.jsonl" "$1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = json.loads(lines[-1]) if lines else {"health": {}, "rows": []}
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
check "through the proxy: rows, health ok" wait_until 10 seen 'd["health"]["prom"] == "ok" and len(d["rows"]) == 1'
curl -sf "$PROXY/fault?mode=500" >/dev/null
check "a 500: health 'signals: /api/v1/query: HTTP 500 ...'" wait_until 8 seen \
    'd["health"]["prom"].startswith("error: signals: /api/v1/query: HTTP 500")'
check "  the last rows are kept" seen 'len(d["rows"]) == 1 and d["rows"][0]["key"] == "checkout"'
curl -sf "$PROXY/fault?mode=error" >/dev/null
check "Prometheus's error JSON: its text in the health" wait_until 8 seen \
    '"signals: /api/v1/query: HTTP 422: Prometheus error (execution): injected: query timed out" in d["health"]["prom"]'
check "  the last rows are kept" seen 'len(d["rows"]) == 1'
curl -sf "$PROXY/fault?mode=slow" >/dev/null
check "a slow Prometheus: timed out (alerts still polled: the error is the signals' alone)" \
    wait_until 10 seen 'd["health"]["prom"].startswith("error: signals:") and "imed out" in d["health"]["prom"]'
check "  the last rows are kept" seen 'len(d["rows"]) == 1'
curl -sf "$PROXY/fault?mode=ok" >/dev/null
check "Prometheus back: ok again" wait_until 10 seen 'd["health"]["prom"] == "ok"'
kill $DPID 2>/dev/null

cat >"$T/refused.ini" <<INI
[backend "prom"]
type = prometheus
url = http://127.0.0.1:$CLOSED_PORT
timeout = 2s
retries = 0

[service "checkout"]
INI
"$DUMP" "$T/refused.ini" 3 >"$T/refused.jsonl" 2>/dev/null
check "a refused connection is an error, no rows" python3 - "$T/refused.jsonl" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
h = d["health"]["prom"]
assert h.startswith("error: ") and ("refused" in h or "onnect" in h), h
assert d["rows"] == [], d["rows"]
PY

echo "# signals.sh took $((SECONDS - STARTED)) s"
done_testing
