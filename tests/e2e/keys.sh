#!/bin/bash
# Keyboard use: filter, invert, sort, zoom, detail, help, command line.
. "$(dirname "$0")/lib.sh"

e2e_start 160 48 LANG=C.UTF-8 -- --seed 7 --demo-mode still

keys 3
keys / w e b
check "filter prompt shows while typing" wait_for "/web_"
keys Enter
check "filter narrows pools to the web servers" wait_for "5 of 12 rows  filter: web"
s=$(screen)
check "filtered pane has no api servers" bash -c '! grep -qE "be_api +api1" <<<"$1"' _ "$s"
keys / C-u '!' w e b Enter
check "an inverted filter keeps the other seven" wait_for "7 of 12 rows  filter: !web"
keys Escape
check "Esc clears the filter" wait_for "12 rows"

keys s s s s s
check "s five times sorts by SESS" wait_for "sort: SESS"
keys S
check "S reverses the sort" wait_line "sort: SESS(▼|v)"

keys z
check "z zooms the focused pane" wait_gone "2 Queues"
s=$(screen)
check "zoomed: one pane box" test "$(grep -c '┌─' <<<"$s")" -eq 1
check "zoomed: it is Pools" grep -q "┌─ 3 Pools" <<<"$s"
keys z
check "z again restores the grid" wait_for "2 Queues"

keys =
check "= groups the pools by POOL" wait_for "grouped by POOL"
check "be_web stands for its five servers" wait_line "be_web \(5\) "
check "three groups" wait_for "3 of 12 rows  grouped by POOL"
check "the summary still counts every server" wait_for "12 up, 0 down"
keys g Enter
check "the detail of a group lists its members" wait_for "Group of 5"
keys Escape
keys d
check "an action on a group asks for every member" wait_for "Drain server on 5 targets"
keys Escape
keys =
check "= again ungroups" wait_for "12 rows"

keys g Enter
check "Enter opens the detail view of the selected row" wait_for "Pools be_"
check "detail shows every column" wait_line "│ +STATUS +(UP|DOWN|DRAIN|MAINT)"
keys Escape
check "Esc closes the detail view" wait_gone "Esc close"

keys '?'
check "? opens help for the focused pane" wait_for "Help: Pools pane"
check "help lists the pane's actions" wait_for "Drain server (demo)"
s=$(screen)
check "help on Pools does not list alert actions" bash -c '! grep -q "Silence" <<<"$1"' _ "$s"
keys q
check "q closes help, not opsdeck" wait_gone "Help: Pools pane"
keys 1 '?'
check "help follows the focused pane" wait_for "Help: Alerts pane"
check "alerts help lists silence" wait_for "Silence alert (demo)"
keys Escape

keys : t h e m e ' ' m o n o Enter
check ":theme mono switches theme" wait_for "theme mono"
keys : t h e m e ' ' n o p e Enter
check ":theme with an unknown name says so" wait_for "theme 'nope' not found"
keys : b o g u s Enter
check "unknown command is reported" wait_for "unknown command ':bogus'"
keys : q Enter
check ":q quits with status 0" test "$(wait_exit)" = 0
done_testing
