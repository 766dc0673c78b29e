# Shared helpers for the shell tests: TAP checks, free loopback ports, waiting.
# Source it; it sets N and FAILED, and expects $T (a temp dir) for bail's logs.

N=0
FAILED=0

# check WHAT COMMAND...: one TAP line, ok when COMMAND succeeds.
check() {
    local what=$1
    shift
    N=$((N + 1))
    if "$@"; then
        echo "ok $N - $what"
    else
        echo "not ok $N - $what"
        FAILED=$((FAILED + 1))
    fi
}

# bail MESSAGE: stop the whole test, showing the tail of every log in $T.
bail() {
    echo "Bail out! $*"
    for f in "${T:-/nonexistent}"/*.log; do
        [ -f "$f" ] && sed "s/^/# $(basename "$f"): /" "$f" | tail -20
    done
    exit 1
}

# free_ports N: N distinct free loopback ports, all held at once while picking.
# They come from below the kernel's ephemeral range: a port from that range
# (bind to port 0) can be taken by any outgoing connection of a parallel test
# between the pick and the server's own bind.
free_ports() {
    python3 -c '
import random, socket, sys
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, max(low, 10001))))
    except OSError:
        s.close()
        continue
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# wait_until SECONDS COMMAND...: retry COMMAND every 0.2 s until it succeeds.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# done_testing: the plan line; the exit status says whether everything passed.
done_testing() {
    echo "1..$N"
    [ "$FAILED" -eq 0 ]
}

# scratch NAME: a temp dir $T (opsdeck-NAME.XXXXXX) and a PIDS array of the
# servers a test starts (PIDS+=($!)); on exit they are killed, waited for and
# $T removed. State and config go under $T, the user is opsdeck-it.
scratch() {
    T=$(mktemp -d "/tmp/opsdeck-$1.XXXXXX")
    PIDS=()
    trap scratch_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config" USER=opsdeck-it
}
scratch_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
