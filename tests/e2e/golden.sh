#!/bin/bash
# Golden screens: exact captures of the demo (seed 1, still, the wall clock
# pinned with OPSDECK_EPOCH), compared byte for byte with tests/golden/NAME.txt,
# so any change to what a person sees shows in review as a diff of these files.
#
#   GOLDEN_UPDATE=1 (tests/golden/update.sh) writes them instead of comparing.
#
# Two things differ between machines and are made the same before comparing,
# each keeping the width of the line: the host in the title bar (USER is set
# to oncall; oncall@HOST becomes oncall@host) and a run id's time stamp and
# random tail (YYYYMMDDTHHMMSSZ-slug-xxxx). Captures with -e (colour and
# attributes) depend on how tmux writes escapes: they are compared only with
# the tmux version that made them (tests/golden/tmux-version), skipped otherwise.
. "$(dirname "$0")/lib.sh"

GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
EPOCH=1795000000
HOST=$(uname -n)
TMUX_VERSION=$(tmux -V)
UPDATE=${GOLDEN_UPDATE:-}
if [ -n "$UPDATE" ]; then
    echo "$TMUX_VERSION" >"$GOLDEN/tmux-version"
fi

# The title bar's oncall@HOST as oncall@host, the spaces before it keeping the width.
normalise() {
    awk -v ident="oncall@$HOST" -v repl="oncall@host" '
    {
        i = index($0, ident)
        if (i > 0) {
            pre = substr($0, 1, i - 1)
            sp = match(pre, / +$/) ? RLENGTH : 0
            pad = sp + length(ident) - length(repl)
            if (pad < 1) pad = 1
            $0 = substr(pre, 1, length(pre) - sp) sprintf("%" pad "s", "") repl \
                substr($0, i + length(ident))
        }
        print
    }' | sed -E 's/[0-9]{8}T[0-9]{6}Z-(golden-runbook|golden-drill)-[0-9a-f]{4}/YYYYMMDDTHHMMSSZ-\1-xxxx/g'
}

# Wait until two captures 0.3 s apart are the same: the screen has settled.
settled() {
    local a b
    a=$(screen "$@")
    for _ in $(seq 1 50); do
        sleep 0.3
        b=$(screen "$@")
        [ "$a" = "$b" ] && return 0
        a=$b
    done
    return 1
}

# golden NAME CAPTURE-FLAGS: compare (or write) the screen as NAME.txt.
golden() {
    local name=$1 flags=$2 file="$GOLDEN/$1.txt"
    # shellcheck disable=SC2086
    settled $flags || not_ok "$name: the screen never settled"
    local got
    # shellcheck disable=SC2086
    got=$(screen $flags | normalise)
    if [ -n "$UPDATE" ]; then
        printf '%s\n' "$got" >"$file"
        ok "$name: written"
    elif [ -n "$flags" ] && [ "$(cat "$GOLDEN/tmux-version" 2>/dev/null)" != "$TMUX_VERSION" ]; then
        N=$((N + 1))
        echo "ok $N - $name # SKIP made with $(cat "$GOLDEN/tmux-version"), this is $TMUX_VERSION"
    elif [ "$got" = "$(cat "$file" 2>/dev/null)" ]; then
        ok "$name"
    else
        not_ok "$name: differs from tests/golden/$name.txt (tests/golden/update.sh rewrites it)"
        diff <(cat "$file" 2>/dev/null) <(printf '%s\n' "$got") | sed 's/^/#   /' | head -40
    fi
}

# Wait until the status line has no message left (messages stay 8 s): only health shows.
no_message() {
    poll_until 20 bash -c 'tmux -S "$1" capture-pane -p -t main | tail -1 | grep -q "^ demo: ok"' \
        _ "$E2E_SOCK"
}

start() {
    local cols=$1 rows=$2
    shift 2
    e2e_start "$cols" "$rows" TERM=tmux-256color USER=oncall OPSDECK_EPOCH=$EPOCH "$@"
}

stop() {
    keys q
    wait_exit >/dev/null
    tm kill-server
}

# The grid, in text and in colour
start 120 30 LANG=C.UTF-8 -- --seed 1 --demo-mode still
wait_for "4 Deployments"
golden grid-120x30 ""
golden grid-120x30-colour "-e"
keys 3 '?'
wait_for "Help: Pools pane"
golden help-pools-120x30 ""
stop

# Tabs at 80x24, on the Pools tab
start 80 24 LANG=C.UTF-8 -- --seed 1 --demo-mode still
wait_for "4 Deployments"
keys 3
wait_line "^│POOL +SERVER"
golden tabs-80x24 ""
stop

# No colour: attributes only (the selection in reverse video)
start 100 30 LANG=C.UTF-8 NO_COLOR=1 -- --seed 1 --demo-mode still
wait_for "4 Deployments"
golden mono-100x30 "-e"
stop

# No UTF-8: ASCII borders, marks and arrows
start 100 30 LANG=C LC_ALL=C -- --seed 1 --demo-mode still
wait_for "4 Deployments"
# the alerts' default sort (severity, worst first) shows the ASCII arrow
wait_for "sort: SEVv"
golden ascii-100x30 ""
stop

# A runbook beside the grid, on its first (manual) step
start 120 30 LANG=C.UTF-8 -- run "$GOLDEN/golden-runbook.md" --seed 1 --demo-mode still
wait_for "5 Runbook: Golden runbook"
no_message || not_ok "runbook: the start message never went"
golden runbook-120x30 ""
stop

# A drill beside the grid, its before check passed, the clock not started
start 120 30 LANG=C.UTF-8 -- drill "$GOLDEN/golden-drill.md" --seed 1 --demo-mode still
wait_for " ready "
no_message || not_ok "drill: the start message never went"
golden drill-120x30 ""
stop

done_testing
