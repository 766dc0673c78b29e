#!/bin/bash
# The terminal around opsdeck: NO_COLOR, a non-UTF-8 locale, --exit-after,
# signals, and an SSH drop (the pty closes under it).
. "$(dirname "$0")/lib.sh"

colour_codes() {
    # SGR colour parameters: 30-37, 40-47, 90-97, 100-107, 38;5;N, 48;5;N
    tm capture-pane -p -e -t main | grep -cE $'\e\\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;5|48;5)(;[0-9;]*)?m'
}

# With colour (the control for the NO_COLOR check below)
e2e_start 100 30 LANG=C.UTF-8 TERM=tmux-256color -- --seed 3
check "colour is used by default on a 256-colour terminal" test "$(colour_codes)" -gt 0
keys q
wait_exit >/dev/null
tm kill-server

e2e_start 100 30 LANG=C.UTF-8 TERM=tmux-256color NO_COLOR=1 -- --seed 3
check "NO_COLOR: no colour escape codes on screen" test "$(colour_codes)" -eq 0
check "NO_COLOR: the screen still shows the panes" wait_for "1 Alerts"
check "NO_COLOR: the selection is still visible (reverse video)" \
    bash -c 'tmux -S "$1" capture-pane -p -e -t main | grep -qE $'"'"'\e\[([0-9;]*;)?7(;[0-9;]*)?m'"'" _ "$E2E_SOCK"
keys q
wait_exit >/dev/null
tm kill-server

e2e_start 100 30 LANG=C LC_ALL=C -- --seed 3
s=$(screen)
check "LANG=C: ASCII borders" grep -qE '^\+- 1 Alerts' <<<"$(sed -n 3p <<<"$s")"
check "LANG=C: no UTF-8 box drawing at all" bash -c '! LC_ALL=C grep -q $'"'"'\xe2\x94'"'"' <<<"$1"' _ "$s"
keys q
check "LANG=C run quits cleanly" test "$(wait_exit)" = 0
tm kill-server

e2e_start 100 30 LANG=C.UTF-8 -- --exit-after 2
check "--exit-after 2 ends the UI by itself with status 0" test "$(wait_exit 8)" = 0
tm kill-server

e2e_start 100 30 LANG=C.UTF-8 -- --exit-after 30f
check "--exit-after 30f ends after 30 frames with status 0" test "$(wait_exit 40)" = 0
tm kill-server

e2e_start 100 30 LANG=C.UTF-8 --
pid=$(opsdeck_pid)
kill -TERM "$pid"
check "SIGTERM exits with 143" test "$(wait_exit)" = 143
check "the terminal is restored (alternate screen left)" wait_gone "? help"
tm kill-server

# SIGHUP with the terminal still there re-reads the config (here none: said, and it runs on);
# the terminal closing (tmux closes the pty: the kernel's SIGHUP and a hung-up tty) exits 129
e2e_start 100 30 LANG=C.UTF-8 --
pid=$(opsdeck_pid)
kill -HUP "$pid"
check "kill -HUP reloads (no config: refused, said)" wait_for "reload refused: no config file"
check "kill -HUP does not end opsdeck" kill -0 "$pid"
tm kill-window -t main
check "closing its terminal exits with 129" test "$(wait_exit)" = 129
tm kill-server 2>/dev/null

# An SSH drop: the pty goes away. The process must end, not spin.
e2e_start 100 30 LANG=C.UTF-8 --
pid=$(opsdeck_pid)
check "opsdeck is running before the drop" kill -0 "$pid"
tm kill-server
gone=no
for _ in $(seq 1 50); do
    if ! kill -0 "$pid" 2>/dev/null; then gone=yes; break; fi
    sleep 0.1
done
check "a closed pty ends the process within 5 s" test "$gone" = yes
[ "$gone" = yes ] || kill -9 "$pid" 2>/dev/null
done_testing
