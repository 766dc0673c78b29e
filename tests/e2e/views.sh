#!/bin/bash
# Saved views and per-pane columns over the demo: :cols hides
# a column, o opens the chooser, :view save NAME survives a restart (the same
# state directory) and --view NAME brings back the filter, sort and columns;
# --view takes a view string too, and a bad one is an error at start.
. "$(dirname "$0")/lib.sh"

DEMO=(--seed 7 --demo-mode still)
e2e_start 160 48 LANG=C.UTF-8 -- "${DEMO[@]}"

# The Pools pane (the left one at 160 columns) from its header to its footer:
# its title's summary is left out (it follows the filter at the next refresh).
pools_pane() {
    screen | sed -n '/3 Pools/,/rows/p' | sed -n '2,$p' |
        LC_ALL=C.UTF-8 sed -E 's/^(│[^│]*│).*/\1/; s/^(└[^┘]*┘).*/\1/'
}

# the Pools header line (the third pane)
pools_header() {
    screen | grep -m1 -E '^│POOL|^│5XX|^│SERVER'
}

keys 3
check "Pools shows WGHT and TOTAL by default" bash -c 'grep -q "WGHT" <<<"$1" && grep -q "TOTAL" <<<"$1"' _ "$(pools_header)"
keys : 'cols -WGHT' Enter
check ":cols -WGHT says what is shown and hidden" wait_for "hidden: WGHT"
check "the WGHT column is gone from Pools" bash -c '! grep -q "WGHT" <<<"$1"' _ "$(pools_header)"
check "TOTAL still shows" bash -c 'grep -q "TOTAL" <<<"$1"' _ "$(pools_header)"
keys : 'cols +wght' Enter
check ":cols +wght shows it again" wait_line "shown: POOL, SERVER, STATUS, WGHT, SESS"
keys : 'cols -nosuch' Enter
check ":cols with an unknown column says so" wait_for "unknown column 'nosuch' in pools"

# the chooser: o, hide POOL (Space), move SERVER down past STATUS (J), Enter
keys o
check "o opens the column chooser" wait_for "Pools: columns"
check "the chooser lists the columns" wait_for "[x] RT ms"
keys Space j J Enter
check "Enter keeps the columns chosen" wait_for "columns kept"
check "the header starts with STATUS, then SERVER; POOL hidden" \
    bash -c 'grep -qE "^│STATUS +SERVER " <<<"$1" && ! grep -q "POOL" <<<"$1"' _ "$(screen | grep -m1 -E '^│STATUS')"
keys o Space Escape
check "Esc leaves the chooser without a change" wait_for "columns unchanged"
keys / b e _ a p i Enter
check "the filter matches the hidden POOL column" wait_for "4 of 12 rows  filter: be_api"
keys Escape

# a view: filter, sort, columns; saved, then the console quits
keys : 'cols SERVER,5XX,STATUS' Enter
keys / w e b Enter
keys : 'sort 5xx' Enter
keys : 'sort 5xx' Enter
check "sorted by 5XX, descending" wait_line "sort: 5XX(▼|v)"
keys : 'view save web5' Enter
check ":view save says the view string" wait_for "view web5 saved: pools;ctx=all;filter=web;sort=-5XX;cols=SERVER,5XX,STATUS"
check "the views file is 0600" test "$(stat -c %a "$XDG_STATE_HOME/opsdeck/views")" = 600
keys : 'view show' Enter
check ":view show prints the current view" wait_for "pools;ctx=all;filter=web;sort=-5XX;cols=SERVER,5XX,STATUS"
keys : view Enter
check ":view lists the saved view" wait_line "web5 +pools;ctx=all;filter=web;sort=-5XX;cols=SERVER,5XX,STATUS \(saved\)"
keys Escape
wait_gone "─ Views" || not_ok "the views list did not close"
before=$(pools_pane)
keys q
check "the console quits" test "$(wait_exit)" = 0

# restart with the same state directory: the view by name
e2e_start 160 48 LANG=C.UTF-8 -- "${DEMO[@]}" --view web5
check "--view web5: the filter and sort are back" wait_for "5 of 12 rows  filter: web  sort: 5XX"
check "--view web5: the columns are back, in order" wait_line "^│SERVER +5XX. +STATUS"
after=$(pools_pane)
check "--view web5: the Pools pane looks as it did when saved" \
    test "$(wc -l <<<"$before")" -gt 5 -a "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'

keys / C-u w e b 1 Enter
check "--view web5: Pools has the focus (/ filters it)" wait_for "1 of 12 rows  filter: web1"
keys : 'view rm web5' Enter
check ":view rm removes it" wait_for "view web5 removed"
keys q
wait_exit >/dev/null

# a view string, straight
e2e_start 160 48 LANG=C.UTF-8 -- "${DEMO[@]}" --view 'queues;filter=orders;sort=-msgs;cols=QUEUE,MSGS'
check "--view STRING: Queues filtered and sorted" wait_line "filter: orders  sort: MSGS(▼|v)"
check "--view STRING: only QUEUE and MSGS" wait_line "│QUEUE +MSGS(▼|v)│"
keys q
wait_exit >/dev/null

# a bad view string: an error naming what is wrong, exit 2
out=$("$OPSDECK" "${DEMO[@]}" --view 'pools;sort=-nosuch' 2>&1 </dev/null)
status=$?
check "a bad --view exits 2" test "$status" = 2
check "a bad --view names the column" grep -q "sort: unknown column 'nosuch' in pools" <<<"$out"
out=$("$OPSDECK" "${DEMO[@]}" --view 'gone' 2>&1 </dev/null)
check "an unknown view name says no view and no pane" grep -q "no view 'gone' in the config or the saved views" <<<"$out"

# [views] in the config, checked at start with file:line
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
cat >"$XDG_CONFIG_HOME/opsdeck/config.ini" <<'EOF'
[backend "demo"]
type = demo

[views]
api = pools;filter=be_api;cols=SERVER,SESS
broken = pools;group=NOPE
EOF
out=$("$OPSDECK" "${DEMO[@]}" 2>&1 </dev/null)
status=$?
check "a bad [views] entry exits 2" test "$status" = 2
check "a bad [views] entry names file:line" grep -q "config.ini:6: view broken: group: unknown column 'NOPE' in pools" <<<"$out"
sed -i '/^broken/d' "$XDG_CONFIG_HOME/opsdeck/config.ini"
e2e_start 160 48 LANG=C.UTF-8 -- "${DEMO[@]}" --view api
check "--view NAME from [views]" wait_for "4 of 12 rows  filter: be_api"
check "--view NAME from [views]: SERVER and SESS" wait_line "^│SERVER +SESS *│"
keys q
wait_exit >/dev/null

done_testing
