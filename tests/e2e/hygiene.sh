#!/bin/bash
# The console shows outside text and never obeys it (common/text.h): an exec
# plugin's rows hold an OSC 52 clipboard write, a screen clear, a C1 CSI and
# U+202E. Its cells and detail show ^[, <U+009B> and <U+202E>, the layout
# holds, and tmux, which takes OSC 52 from a pane with set-clipboard on, got
# no clipboard write (a control pane proves it would have).
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/hyg"
mkdir -p "$T"
# the cell changes every second, so the console draws it again after set-clipboard is on
cat >"$T/rows.sh" <<'EOF'
#!/bin/sh
printf '{"rows":[{"key":"q1","cells":{"QUEUE":"q\\u001b]52;c;ZWNobyBoaQ==\\u0007\\u001b[2J \\u009b \\u202e %s","MSGS":7},' "$(date +%s)"
printf '"detail":{"why":"d\\u001b]52;c;ZWNobyBoaQ==\\u0007 \\u2066"}},'
printf '{"key":"q2","cells":{"QUEUE":"plain-neighbour","MSGS":8}}]}\n'
EOF
chmod +x "$T/rows.sh"
cat >"$T/plug.ini" <<EOF
[backend "evil"]
type = exec
pane = queues
command = $T/rows.sh
refresh = 1s
EOF

unclear() {
    screen_has -F plain-neighbour && screen_has -F '? help'
}
no_clipboard() {
    [ -z "$(tm list-buffers)" ]
}
clipboard_is() {
    [ "$(tm show-buffer 2>/dev/null)" = "$1" ]
}

e2e_start 160 40 LANG=C.UTF-8 -- -c "$T/plug.ini"
tm set-option -g set-clipboard on
keys 2 z # the queues pane full-screen: room for the whole cell
check "the cell shows the OSC 52 write, the clear, C1 and RLO visibly" \
    wait_for 'q^[]52;c;ZWNobyBoaQ==^G^[[2J <U+009B> <U+202E>'
sleep 2 # two more polls, each drawn after set-clipboard is on
check "the screen was not cleared: the other row and the chrome are there" unclear
check "tmux got no clipboard write from the console" no_clipboard
keys Enter
check "the detail shows its OSC 52 and isolate visibly" wait_for 'd^[]52;c;ZWNobyBoaQ==^G <U+2066>'
check "still no clipboard write" no_clipboard
keys Escape
keys q
check "quits with 0" test "$(wait_exit)" = 0

# the control, on a server of its own (tmux 3.3 dies on new-window with window-size
# manual): the same bytes printed raw by a pane do reach tmux's clipboard
E2E_SOCK="$E2E_DIR/tmux.control.sock"
tm -f /dev/null new-session -d -s main -x 80 -y 20 "sleep 20"
tm set-option -g set-clipboard on
tm new-window -d "printf '\\033]52;c;ZWNobyBoaQ==\\007'; sleep 5"
check "control: a raw OSC 52 from a pane does set tmux's buffer" poll_until 5 clipboard_is "echo hi"

done_testing
