# Shared helpers for the tmux end-to-end tests: each test gets a private tmux
# server, fresh XDG directories and TAP output. Tests read the screen the way a
# person does (capture-pane) and wait for text rather than sleeping blindly.
#
# usage: . lib.sh; e2e_start COLS ROWS [ENV=VALUE...] -- [opsdeck args...]
# (E2E_READY: the text that says opsdeck started; default "? help", which a
# status bar full of failing backends pushes out)

set -u
OPSDECK=${OPSDECK:?set OPSDECK to the binary}
# free_ports, wait_until, done_testing; check is redefined below to show the screen
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
E2E_DIR=$(mktemp -d /tmp/opsdeck-e2e.XXXXXX)
E2E_SOCK="$E2E_DIR/tmux.0.sock"
E2E_TIMEOUT=${E2E_TIMEOUT:-10}
export XDG_STATE_HOME="$E2E_DIR/state" XDG_CONFIG_HOME="$E2E_DIR/config"

E2E_STARTS=0

# Servers a test starts put their pids in PIDS; on exit they are stopped (after
# e2e_stop_hook, when the test defines one: rabbitmq_stop), then the tmux servers.
PIDS=()
e2e_cleanup() {
    declare -F e2e_stop_hook >/dev/null && e2e_stop_hook
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for sock in "$E2E_DIR"/tmux.*.sock; do
        [ -S "$sock" ] && tmux -S "$sock" kill-server 2>/dev/null
    done
    rm -rf "$E2E_DIR"
}
trap e2e_cleanup EXIT

ok() {
    N=$((N + 1))
    echo "ok $N - $*"
}

not_ok() {
    N=$((N + 1))
    FAILED=$((FAILED + 1))
    echo "not ok $N - $*"
    echo "# screen:"
    screen | sed 's/^/#   |/'
}


tm() {
    tmux -S "$E2E_SOCK" "$@"
}

# Start opsdeck in a detached tmux session of COLS x ROWS. Anything before --
# is environment; after -- come opsdeck's arguments. The exit status lands in
# $E2E_DIR/status when opsdeck ends.
e2e_start() {
    local cols=$1 rows=$2
    shift 2
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    rm -f "$E2E_DIR/status"
    # a fresh server per start: a kill-server still shutting down cannot swallow it.
    # The shell ignores SIGHUP (opsdeck sets its own handler): closing the
    # terminal (kill-server, kill-window) ends opsdeck, and its status is still written
    # (then no sleep: a hung-up terminal is no tty; the sleep ends with its terminal)
    E2E_STARTS=$((E2E_STARTS + 1))
    E2E_SOCK="$E2E_DIR/tmux.$E2E_STARTS.sock"
    local cmd
    cmd=$(printf '%q ' env XDG_STATE_HOME="$XDG_STATE_HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
        "${envs[@]}" "$OPSDECK" "$@")
    tm -f /dev/null new-session -d -s main -x "$cols" -y "$rows" \
        "sh -c 'trap \"\" HUP; $cmd; echo \$? > $E2E_DIR/status; trap - HUP; [ -t 1 ] && sleep 30'"
    tm set-option -g window-size manual >/dev/null
    wait_for "${E2E_READY:-? help}" || not_ok "opsdeck did not start"
}

screen() {
    tm capture-pane -p -t main "$@"
}

# Run a check every 100 ms until it holds or TIMEOUT seconds pass.
poll_until() {
    local timeout=$1
    shift
    local end=$(($(date +%s) + timeout))
    while [ "$(date +%s)" -le "$end" ]; do
        if "$@"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

screen_has() {
    screen | grep -q "$@"
}

screen_lacks() {
    ! screen | grep -q "$@"
}

# Wait until the screen contains TEXT (fixed string).
wait_for() {
    poll_until "${2:-$E2E_TIMEOUT}" screen_has -F -- "$1"
}

# Wait until the screen no longer contains TEXT.
wait_gone() {
    poll_until "${2:-$E2E_TIMEOUT}" screen_lacks -F -- "$1"
}

# Wait until a line matching the regex RE is on the screen.
wait_line() {
    poll_until "${2:-$E2E_TIMEOUT}" screen_has -E -- "$1"
}

keys() {
    tm send-keys -t main "$@"
}

status_written() {
    [ -s "$E2E_DIR/status" ]
}

# Wait for opsdeck to exit; prints its exit status ("none" if it did not).
wait_exit() {
    if poll_until "${1:-$E2E_TIMEOUT}" status_written; then
        cat "$E2E_DIR/status"
    else
        echo "none"
        return 1
    fi
}

check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# The pid of the opsdeck process in the session.
opsdeck_pid() {
    pgrep -f "^$OPSDECK" -P "$(tm display -p -t main '#{pane_pid}')" | head -1
}
