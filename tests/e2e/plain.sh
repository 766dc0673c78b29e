#!/bin/bash
# Runbooks in line mode on a real terminal (tmux), as over a plain SSH session:
# a secret prompt is typed without echo and the echo comes back, Ctrl-C stops
# the running command and not opsdeck, q leaves the run open, and the terminal
# is as it was afterwards.
. "$(dirname "$0")/lib.sh"

RB="$E2E_DIR/term.json"
cat >"$RB" <<'EOF'
{"title": "Terminal", "steps": [
 {"id": "tok", "title": "Token", "type": "prompt", "var": "token", "secret": true},
 {"id": "long", "title": "Long command", "type": "command", "run": "test -n ${token} && echo started; sleep 30"},
 {"id": "fin", "title": "End"}
]}
EOF

# Like e2e_start, but waits for the line-mode header instead of the console. The
# shell around opsdeck catches SIGINT, as a login shell would, so that Ctrl-C
# reaches opsdeck alone.
start_plain() {
    rm -f "$E2E_DIR/status"
    E2E_STARTS=$((E2E_STARTS + 1))
    E2E_SOCK="$E2E_DIR/tmux.$E2E_STARTS.sock"
    local cmd
    cmd=$(printf '%q ' env XDG_STATE_HOME="$XDG_STATE_HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
        "$OPSDECK" "$@")
    tm -f /dev/null new-session -d -s main -x 120 -y 40 \
        "sh -c 'trap : INT; $cmd; echo \$? > $E2E_DIR/status; stty -a | grep -qw -- -echo && echo ECHO-OFF || echo ECHO-ON; sleep 30'"
    wait_for "Run " || not_ok "opsdeck did not start in line mode"
}

start_plain run "$RB" --plain
check "the secret prompt waits" wait_for "type the answer"
keys "hunter2" Enter
check "the next step is shown" wait_for "step 2/3: Long command"
check "the secret was not echoed" screen_lacks -F "hunter2"
check "the preview masks it" screen_has -F "[secret]"
keys Enter
check "the command runs" wait_for "| started"
keys C-c
check "Ctrl-C stops the command" wait_for "-> stopped"
check "opsdeck is still there" screen_has -F "Enter = retry"
check "and has not exited" bash -c '! test -s "$1/status"' _ "$E2E_DIR"
keys q Enter
check "q: exit 3" test "$(wait_exit)" = 3
check "the terminal echoes again" wait_for "ECHO-ON"
check "says how to resume" screen_has -F "opsdeck run --resume"

done_testing
