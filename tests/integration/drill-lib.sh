# What every live-drill integration test sets up first (source it from the
# test, with OPSDECK set): drill_test NAME TOOL... checks the tools are
# installed (else one "not ok" and exit 1), makes the temp dir $T
# (/tmp/opsdeck-NAME.*, kept with KEEP=1), the array PIDS whose processes the
# exit kills (continued first: a test may have stopped one), the state and
# config directories under $T ($RUNS, the journals) and sources tap.sh.
# drill_lb_ini [MORE]: $T/opsdeck.ini with the HAProxy of haproxy-lib.sh as
# backend "lb", then MORE (other sections) as given.

drill_test() {
    local name=$1 tool
    shift
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "not ok 1 - $tool is installed (scripts/deps --test installs it)"
            echo "1..1"
            exit 1
        fi
    done
    T=$(mktemp -d "/tmp/opsdeck-$name.XXXXXX")
    PIDS=()
    trap drill_test_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
    RUNS="$XDG_STATE_HOME/opsdeck/runs"
    . "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
}

drill_test_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null
        kill -9 "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    [ -z "${KEEP:-}" ] && rm -rf "$T"
}

drill_lb_ini() {
    cat >"$T/opsdeck.ini" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/stats
socket = $SOCK
refresh = 1s
timeout = 3s
${1:+
$1}
INI
}
