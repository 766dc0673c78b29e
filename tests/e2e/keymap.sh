#!/bin/bash
# User key maps ([keys] in the config): a rebound table key (filter = f), a
# rebound backend action (pools.drain = D) and a console key (quit = Q)
# answer their new keys and no longer their old ones, ? and the status bar
# show the keys in effect; `opsdeck lint` warns
# about a key tmux takes (Ctrl-B) and a clash, and refuses an unknown verb
# naming file:line; the console refuses it too.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/cfg"
mkdir -p "$T"
# no backend: the demo runs, with the user's keys
cat >"$T/keys.ini" <<'INI'
[keys]
filter = f
pools.drain = D
quit = Q
INI

e2e_start 160 48 LANG=C.UTF-8 -- -c "$T/keys.ini" --seed 7 --demo-mode still
check "the status bar's hint says Q quits" wait_for "? help  Q quit"
keys 3 f w e b
check "f opens the filter (filter = f)" wait_for "/web_"
keys Enter
check "the filter applies" wait_for "5 of 12 rows  filter: web"
keys Escape
check "Esc still clears it" wait_for "12 rows"
keys /
sleep 0.5
check "/ no longer opens the filter" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q "Enter keep"' _ "$E2E_SOCK"
keys Escape
keys d
sleep 0.5
check "d no longer drains (pools.drain = D)" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q "Drain server be_"' _ "$E2E_SOCK"
keys D
check "D asks to drain" wait_for "Drain server be_"
keys Escape
check "the dialog closes" wait_gone "Drain server be_"
keys '?'
check "help opens" wait_for "Help: Pools pane"
check "help shows D for the drain" wait_line "^│? *│? +D +Drain server \(demo\)|  D +Drain server \(demo\)"
check "help shows f for the filter" wait_line "  f +filter rows"
s=$(screen)
check "help no longer shows / for the filter" bash -c '! grep -qE "  / +filter rows" <<<"$1"' _ "$s"
check "nor d for the drain" bash -c '! grep -qE "  d +Drain server" <<<"$1"' _ "$s"
check "help shows Q for quit" wait_line "  Q +quit"
keys q
check "q closes help (the viewer's keys are not remapped)" wait_gone "Help: Pools pane"
keys q
sleep 0.5
check "q no longer quits" test ! -s "$E2E_DIR/status"
keys Q
check "Q quits" test "$(wait_exit)" = 0

# lint: a key tmux takes, a clash with a default that was not moved
cat >"$T/tmux.ini" <<'INI'
[keys]
; Ctrl-B is tmux's prefix; s is sort-next's own key
zoom = Ctrl-B
alerts.row-down = s
INI
"$OPSDECK" lint "$T/tmux.ini" >"$T/out" 2>"$T/err"
rc=$?
check "lint with warnings exits 0" test "$rc" = 0
check "lint names the tmux prefix, the verb and the line" \
    grep -qF "$T/tmux.ini:3: warning: Ctrl-B (bound to zoom in every pane) is the tmux prefix" "$T/err"
check "lint names the clash" \
    grep -qF "$T/tmux.ini:4: warning: s is bound to both row-down and sort-next (its default key) in alerts" "$T/err"
check "and that Ctrl-B was page-up's" \
    grep -qF "$T/tmux.ini:3: warning: Ctrl-B is bound to both zoom and page-up (its default key) in alerts, queues, pools" "$T/err"
check "lint counts the warnings" grep -qF "ok (no backends: the demo runs; 3 warnings)" "$T/out"
"$OPSDECK" lint --strict "$T/tmux.ini" >/dev/null 2>&1
check "lint --strict fails on warnings" test "$?" = 2

printf '[keys]\nfilter = f\nalerts.nosuch = x\n' >"$T/bad.ini"
"$OPSDECK" lint "$T/bad.ini" >/dev/null 2>"$T/err"
rc=$?
check "an unknown verb is a config error (exit 2)" test "$rc" = 2
check "naming file:line" grep -qF "$T/bad.ini:3: unknown verb 'nosuch' in pane alerts in [keys]" "$T/err"
"$OPSDECK" -c "$T/bad.ini" >/dev/null 2>"$T/err" </dev/null
check "the console refuses it too" grep -qF "$T/bad.ini:3: unknown verb 'nosuch'" "$T/err"

"$OPSDECK" --keys -c "$T/keys.ini" >"$T/keys.out"
check "--keys lists the verbs with the keys in effect" \
    bash -c 'grep -qE "^  filter +f +filter rows.*\*$" "$1" && grep -qE "^  pools.drain +D +action \*$" "$1" && grep -qE "^  zoom +z " "$1"' _ "$T/keys.out"
done_testing
