#!/bin/bash
# The Signals pane over the built-in demo (no config), read as a person reads
# it: v twice from Alerts, at 120x30 and 80x24, without colour (NO_COLOR) and
# in ASCII (LANG=C): the header, the five services, the sparklines (Unicode
# blocks or ASCII levels), the BURN lights, Enter's charts, Esc back; g on an
# alert with a service label; a runbook waiting on `signals ... <`; a drill
# whose stop condition is a burn rate.
. "$(dirname "$0")/lib.sh"

SERVICES="checkout cart payments search notifications"
BLOCKS='[▁▂▃▄▅▆▇█ ]'
LIGHTS='[●○·]{4}'

has_all_services() {
    local s
    s=$(screen)
    for svc in $SERVICES; do
        grep -q "│$svc " <<<"$s" || grep -q "|$svc " <<<"$s" || return 1
    done
}

# The screen's line that shows SERVICE's row.
row_of() {
    screen | grep -E "[│|]$1 " | head -1
}

row_matches() {
    row_of "$1" | grep -qE -- "$2"
}

# payments (7 % budget left) is above checkout (15 %): the worst on top
worst_first() {
    local s
    s=$(screen)
    local p c
    p=$(grep -nE '[│|]payments ' <<<"$s" | head -1 | cut -d: -f1)
    c=$(grep -nE '[│|]checkout ' <<<"$s" | head -1 | cut -d: -f1)
    [ -n "$p" ] && [ -n "$c" ] && [ "$p" -lt "$c" ]
}

no_utf8() {
    ! screen | LC_ALL=C grep -q $'[\x80-\xff]'
}

# ---- 120x30, Unicode, no colour ----
e2e_start 120 30 LANG=C.UTF-8 NO_COLOR=1 --
check "120x30: Alerts first in slot 1" wait_for "1 Alerts"
keys v
check "v: Silences" wait_for "1 Silences"
keys v
check "v again: Signals, its summary from the lights" \
    wait_line "1 Signals [0-9]+ page, [0-9]+ ticket, [0-9]+ ok"
check "120x30: the header" wait_line "SERVICE +REQ/s +ERR%.*BUDGET. +BURN"
check "120x30: the five services" has_all_services
check "120x30: sorted by budget left, the worst first" worst_first
check "120x30: BURN lights as glyphs" row_matches checkout " $LIGHTS"
check "120x30: checkout pages (a lit page pair)" row_matches checkout " ●"
check "120x30: the footer says the sort" wait_for "sort: BUDGET▲"
keys z
check "zoomed: the ERRORS 1h column" wait_for "ERRORS 1h"
check "zoomed: checkout's sparkline in block elements" row_matches checkout "$LIGHTS +$BLOCKS{20,}"
check "zoomed: a sparkline on every row" \
    bash -c 'for s in $2; do tmux -S "$1" capture-pane -p -t main | grep -E "│$s " | grep -qE "[▁▂▃▄▅▆▇█]{10}" || exit 1; done' \
    _ "$E2E_SOCK" "$SERVICES"
keys Enter
check "Enter: the detail of the selected row (payments, on top)" wait_for "Signals payments (demo)"
check "Enter: the service's lights" wait_line "lights +\.\.\.T"
check "Enter: a chart of the traffic" wait_for "traffic (req/s), last hour"
check "Enter: the chart is drawn in blocks" wait_line "│ +[▁▂▃▄▅▆▇█ ]*█[▁▂▃▄▅▆▇█ ]*│"
check "Enter: min, max and now, with the unit" wait_line "min [0-9.]+ +max [0-9.]+ +now [0-9.]+ req/s"
keys G
check "Enter (end): the pairs and their state" wait_line "pair 3d\+6h 1x +ticket"
check "Enter (end): the burn rate per window" wait_line "burn 1h +[0-9.]+x"
check "Enter (end): the budget left" wait_line "budget left +[0-9.]+%"
keys Escape
check "Esc: back to the table" wait_gone "last hour"
check "Esc: the pane is still Signals" wait_for "1 Signals"
keys z
keys v
check "v once more: back to Alerts" wait_for "1 Alerts"

# g on an alert with a service label that Signals has not: says so, stays
keys / D e a d L e t t e r Enter
wait_for "filter: DeadLetter"
keys g
check "g on an alert whose service has no signals says so" wait_for "no row 'orders' in Signals"
check "  and stays on Alerts" wait_for "1 Alerts"
keys Escape
wait_gone "filter: DeadLetter"

# g on HighErrorRate (service=checkout): it fires once web3 flaps
check "HighErrorRate fires while web3 flaps" wait_for "HighErrorRate" 90
keys / H i g h E r r o r R a t e Enter
wait_for "filter: HighErrorRate"
keys g
check "g on an alert with service=checkout shows Signals" wait_line "1 Signals [0-9]+ page"
keys Enter
check "  with checkout selected" wait_for "Signals checkout (demo)"
keys Escape
wait_gone "last hour"
keys q
check "quits cleanly" test "$(wait_exit)" = 0
tm kill-server

# ---- 80x24, Unicode ----
e2e_start 80 24 LANG=C.UTF-8 NO_COLOR=1 --
keys v
wait_for "Silences"
keys v
check "80x24: Signals" wait_line "Signals [0-9]+ page"
check "80x24: the header keeps SERVICE, ERR%, BUDGET, BURN" wait_line "SERVICE .*ERR%.*BUDGET.*BURN"
check "80x24: the five services" has_all_services
check "80x24: lights as glyphs" row_matches checkout " $LIGHTS"
keys Enter
check "80x24: Enter shows the charts" wait_for "traffic (req/s), last hour"
keys Escape
check "80x24: Esc back" wait_gone "last hour"
keys q
wait_exit >/dev/null
tm kill-server

# ---- 120x30 and 80x24, ASCII (LANG=C) ----
for size in "120 30" "80 24"; do
    set -- $size
    e2e_start "$1" "$2" LANG=C LC_ALL=C NO_COLOR=1 --
    keys v
    wait_for "Silences"
    keys v
    check "ASCII $1x$2: Signals" wait_line "Signals [0-9]+ page"
    check "ASCII $1x$2: the five services" has_all_services
    check "ASCII $1x$2: lights as letters" row_matches checkout " [.?TP]{4}"
    check "ASCII $1x$2: payments' ticket" row_matches payments " \.\.\.T"
    keys z
    check "ASCII $1x$2 zoomed: the sparkline in ASCII levels" \
        row_matches checkout "[.?TP]{4} +[._=+*#^ -]{20,}"
    check "ASCII $1x$2: not one byte of UTF-8" no_utf8
    keys Enter
    check "ASCII $1x$2: Enter's chart in '#'" wait_line "\| +[# ]*#{8,}[# ]*\|"
    check "ASCII $1x$2: still no UTF-8 in the detail" no_utf8
    keys Escape
    wait_gone "last hour"
    keys q
    wait_exit >/dev/null
    tm kill-server
done

# ---- a runbook waits on a signal, over the demo, in plain mode ----
cat >"$E2E_DIR/wait.md" <<'EOF'
# Checkout errors

## Assess
### Cart is healthy
```opsdeck
type: wait
until: signals cart errors < 1%
interval: 1s
timeout: 20s
```

### Checkout under its objective
```opsdeck
type: wait
until: signals checkout p99 < 0.001s
interval: 1s
timeout: 3s
```
EOF
printf '\n\nq\n' | "$OPSDECK" run "$E2E_DIR/wait.md" --plain >"$E2E_DIR/w.out" 2>&1
check "runbook: 'signals cart errors < 1%' is met over the demo" \
    grep -qE "met after [0-9]+ tries?: cart ERR% is [0-9.]+ \(want < 1%\)" "$E2E_DIR/w.out"
check "runbook: 'signals checkout p99 < 0.001s' is not, and says what it saw" \
    grep -qE "checkout P99ms is [0-9.]+ \(want < 0.001s\)" "$E2E_DIR/w.out"
"$OPSDECK" lint "$E2E_DIR/wait.md" >"$E2E_DIR/lint.out" 2>&1
check "lint accepts signals conditions" test $? = 0
sed 's/p99 < 0.001s/p99 < 1%/' "$E2E_DIR/wait.md" >"$E2E_DIR/bad.md"
"$OPSDECK" lint "$E2E_DIR/bad.md" >"$E2E_DIR/lint2.out" 2>&1
check "lint refuses a percentage on a ms column" grep -q "P99ms is in milliseconds" "$E2E_DIR/lint2.out"

# ---- a drill's steady state on a burn rate, over the demo, in plain mode ----
# cart burns under 1x (the before check passes); checkout burns past 14.4x over
# its last hour (the demo's web3 flaps), so the stop condition aborts the drill
# and the drain is rolled back.
cat >"$E2E_DIR/burn.md" <<'EOF'
# Checkout burn game day

```opsdeck
drill: live
duration: 5m
role: gm = Game master
facilitator: gm
stop_when: signals checkout burn >= 14.4
```

### Cart is within its objective
```opsdeck
check: before
until: signals cart burn < 1
```

### web2 leaves the pool
```opsdeck
id: drain-web2
at: T+00
auto: true
chaos: pools drain be_web/web2
rollback: pools ready be_web/web2
```
Somebody drained web2.
EOF
(echo start; sleep 6) | "$OPSDECK" drill "$E2E_DIR/burn.md" --plain >"$E2E_DIR/burn.out" 2>&1
check "drill: the before check on cart's burn rate passes (the chaos fires)" \
    grep -q "be_web/web2 set to DRAIN" "$E2E_DIR/burn.out"
check "drill: checkout's burn rate past 14.4x aborts it, naming the stop condition" \
    grep -qE "aborted: stop condition 'stop-when-1': checkout BURN is [0-9.]+ \(want >= 14.4\)" \
    "$E2E_DIR/burn.out"
check "drill: the drain is rolled back" grep -q "be_web/web2 set to READY" "$E2E_DIR/burn.out"

# ---- the snapshot keeps the series ----
"$OPSDECK" snapshot --json >"$E2E_DIR/snap.json" 2>/dev/null
check "snapshot --json: ERRORS 1h is the series text, numbers are numbers" \
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["panes"]["signals"]
assert len(rows) == 5, rows
for r in rows:
    c = r["cells"]
    assert isinstance(c["ERRORS 1h"], str) and len(c["ERRORS 1h"].split()) >= 30, c["ERRORS 1h"]
    assert isinstance(c["BUDGET"], (int, float)), c
    assert c["BURN"] in ("....", "...T", "PP..", "P...", ".P..", "PPT.", "PPTT") or len(c["BURN"]) == 4
' "$E2E_DIR/snap.json"
done_testing
