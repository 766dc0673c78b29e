#!/bin/bash
# An alert storm in the demo (--demo-alerts 5000: 50 alert names over 5000
# hosts) at 120x30: the Alerts pane groups itself ([opsdeck] group_above,
# default 200) so the screen shows the names, not 5000 rows; the title says
# how many fired in the last minute; a group row counts its members by
# severity; = ungroups and stays so across refreshes; a filter that leaves
# 200 rows or fewer ungroups by itself, and clearing it groups again;
# group_above = 0 never groups.
. "$(dirname "$0")/lib.sh"

# the first publish of 5000 new alerts goes through the alert log too
STORM_WAIT=${STORM_WAIT:-120}
DEMO=(--seed 1 --demo-alerts 5000)

# The Alerts pane's footer (the first one on the screen) and its title line.
alerts_footer() {
    screen | grep -m1 -E '^└─ [0-9]+'
}
alerts_title() {
    screen | grep -m1 -F '1 Alerts'
}
# The rows counted in the footer: "55 of 5005 rows" -> 55
footer_rows() {
    alerts_footer | sed -nE 's/^└─ ([0-9]+)( of [0-9]+)? rows.*/\1/p'
}
# The Queues pane's first row: it changes at every refresh of the live demo.
queues_row() {
    screen | grep -m1 -F 'orders.created ' | sed -E 's/.*│(orders\.created .*)│$/\1/'
}
# A group row whose name's "(N)" and SUMMARY's "N alerts: ..." agree (the unit
# test test_panes checks that the counts by severity add up).
group_row_counts_agree() {
    screen | grep -E '\([0-9]+\) .* [0-9]+ alerts: [0-9]+ (critical|warning|info)' |
        while IFS= read -r line; do
            n=$(sed -nE 's/^[^(]*\(([0-9]+)\).*/\1/p' <<<"$line")
            m=$(sed -nE 's/.* ([0-9]+) alerts: .*/\1/p' <<<"$line")
            [ -n "$n" ] && [ "$n" = "$m" ] && echo "$line"
        done | grep -q .
}

e2e_start 120 30 LANG=C.UTF-8 -- "${DEMO[@]}"
keys 1 z
check "the storm arrives grouped by itself, the footer says why" \
    wait_for "grouped by ALERT (auto: more than 200 rows; = to ungroup)" "$STORM_WAIT"
rows=$(footer_rows)
check "about 50 alert names on the screen, not 5000 rows ($rows)" \
    test "${rows:-0}" -ge 40 -a "${rows:-0}" -le 70
check "the footer still counts every alert" wait_line '^└─ [0-9]+ of 50[0-9][0-9] rows'
check "the title counts the storm firing" wait_line '1 Alerts 50[0-9][0-9] firing, [0-9]+ critical'
check "the title says how many fired in the last minute" \
    wait_line '1 Alerts .*, [0-9]+ fired in the last minute'
check "a group row counts its members by severity, worst first" \
    wait_line '[0-9]+ alerts: [0-9]+ critical, [0-9]+ warning'
check "the group row's counts are its own (N alerts matches the name's (N))" group_row_counts_agree

keys =
check "= ungroups: every row" wait_line '^└─ 50[0-9][0-9] rows'
check "the footer no longer says grouped" bash -c '! grep -q "grouped by" <<<"$1"' _ "$(alerts_footer)"
keys z
before=$(queues_row)
queues_moved() {
    [ "$(queues_row)" != "$before" ]
}
check "a refresh comes (the live demo's queues move)" poll_until 20 queues_moved
keys 1 z
check "= stays the operator's choice across refreshes" wait_line '^└─ 50[0-9][0-9] rows'
check "... not grouped again" bash -c '! grep -q "grouped by" <<<"$1"' _ "$(alerts_footer)"
keys q
wait_exit >/dev/null

# a filter that leaves 200 rows or fewer ungroups by itself; clearing it groups again
e2e_start 120 30 LANG=C.UTF-8 -- "${DEMO[@]}"
keys 1 z
wait_for "grouped by ALERT (auto" "$STORM_WAIT" >/dev/null
keys / E d g e H i g h L a t e n c y Enter
check "a filter leaving fewer than 200 rows ungroups (auto)" \
    wait_line '^└─ [0-9]{2,3} of 50[0-9][0-9] rows .*filter: EdgeHighLatency'
check "... the footer says no grouping" bash -c '! grep -q "grouped by" <<<"$1"' _ "$(alerts_footer)"
keys Escape
check "clearing the filter groups again by itself" wait_for "grouped by ALERT (auto"
keys q
wait_exit >/dev/null

# group_above = 0: never
mkdir -p "$E2E_DIR/cfg"
cat >"$E2E_DIR/cfg/opsdeck.ini" <<'EOF'
[opsdeck]
group_above = 0

[backend "demo"]
type = demo
EOF
e2e_start 120 30 LANG=C.UTF-8 -- -c "$E2E_DIR/cfg/opsdeck.ini" "${DEMO[@]}"
keys 1 z
check "group_above = 0: the storm shows every row" wait_line '^└─ 50[0-9][0-9] rows' "$STORM_WAIT"
check "group_above = 0: never grouped" bash -c '! grep -q "grouped by" <<<"$1"' _ "$(alerts_footer)"
keys q
wait_exit >/dev/null

done_testing
