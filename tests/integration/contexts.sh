#!/bin/bash
# Contexts against two real HAProxy instances on loopback (ports picked free
# at run time, haproxy-lib.sh started twice): lb-eu in the protected context
# prod-eu, lb-stg in the read-only context staging. The snapshot shows both
# with CONTEXT; in the console (tmux, its own socket) a drain in prod-eu asks
# the typed confirmation and drains web2 once typed; a drain in staging is
# refused, and HAProxy's own `show stat` says nothing changed. The headless
# `opsdeck act` keeps the same rules (--confirm for the typed word).
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
for tool in haproxy socat python3 curl tmux; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok 1 - $tool is installed (scripts/deps --test installs it)"
        echo "1..1"
        exit 1
    fi
done

TOP=$(mktemp -d /tmp/opsdeck-contexts-it.XXXXXX)
T=$TOP
PIDS=()
TMUX_SOCK="$TOP/tmux.sock"
cleanup() {
    tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$TOP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_STATE_HOME="$TOP/state" XDG_CONFIG_HOME="$TOP/config"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/haproxy-lib.sh"

# two instances: haproxy_start uses $T and sets SOCK and the ports
mkdir -p "$TOP/eu" "$TOP/stg"
T=$TOP/eu
haproxy_start
SOCK_EU=$SOCK STATS_EU=$P_STATS
T=$TOP/stg
haproxy_start
SOCK_STG=$SOCK STATS_STG=$P_STATS
T=$TOP
eu() { SOCK=$SOCK_EU hstat "$@"; }
stg() { SOCK=$SOCK_STG hstat "$@"; }
eu_is() { [ "$(eu "$1" "$2")" = "$3" ]; }
stg_is() { [ "$(stg "$1" "$2")" = "$3" ]; }

CFG="$TOP/opsdeck.ini"
cat >"$CFG" <<INI
[context "prod-eu"]
tone = crit
protected = true
description = EU production

[context "staging"]
tone = warn
read_only = true

[backend "lb-eu"]
type = haproxy
context = prod-eu
url = http://127.0.0.1:$STATS_EU/stats
socket = $SOCK_EU
refresh = 1s
timeout = 3s

[backend "lb-stg"]
type = haproxy
context = staging
url = http://127.0.0.1:$STATS_STG/stats
socket = $SOCK_STG
refresh = 1s
timeout = 3s
INI

status_of() {
    "$@" >"$TOP/out" 2>"$TOP/err"
    echo $?
}

check "lint accepts the config with two contexts" test "$(status_of "$OPSDECK" lint "$CFG")" = 0
"$OPSDECK" snapshot --json -c "$CFG" >"$TOP/s.json" 2>"$TOP/s.err"
check "snapshot --json exits 0" test $? = 0
snap_check() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
R = {(r["source"], r["key"]): r for r in d["panes"]["pools"]}
ok = eval(sys.argv[2])
if not ok:
    print("# " + json.dumps({"%s %s" % k: v["cells"] for k, v in R.items()})[:800])
sys.exit(0 if ok else 1)
' "$TOP/s.json" "$1"
}
check "both instances' servers in one pane" snap_check \
    'all((s, "be_web/" + n) in R for s in ("lb-eu", "lb-stg") for n in ("web1", "web2", "web3"))'
check "the CONTEXT cell: prod-eu for lb-eu, staging for lb-stg" snap_check \
    'all(r["cells"]["CONTEXT"] == {"lb-eu": "prod-eu", "lb-stg": "staging"}[s] and r["context"] == r["cells"]["CONTEXT"] for (s, k), r in R.items())'
"$OPSDECK" snapshot -c "$CFG" >"$TOP/s.txt" 2>&1
check "the text snapshot has the CONTEXT column (two contexts)" \
    grep -qE "^POOL .* CONTEXT +SOURCE$" "$TOP/s.txt"
check "... and a row of each" \
    sh -c "grep -qE '^be_web +web2 .* prod-eu +lb-eu\$' '$TOP/s.txt' && grep -qE '^be_web +web2 .* staging +lb-stg\$' '$TOP/s.txt'"

# the console, read as a person reads it
tm() { tmux -S "$TMUX_SOCK" "$@"; }
screen() { tm capture-pane -p -t main; }
wait_for() { wait_until "${2:-10}" sh -c 'tmux -S "$1" capture-pane -p -t main | grep -qF -- "$2"' _ "$TMUX_SOCK" "$1"; }
wait_line() { wait_until "${2:-10}" sh -c 'tmux -S "$1" capture-pane -p -t main | grep -qE -- "$2"' _ "$TMUX_SOCK" "$1"; }
seen() {
    local what=$1
    shift
    if "$@"; then
        check "$what" true
    else
        check "$what" false
        screen | sed 's/^/#   |/'
    fi
}
cmd=$(printf '%q ' env XDG_STATE_HOME="$XDG_STATE_HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
    LANG=C.UTF-8 "$OPSDECK" -c "$CFG")
tm -f /dev/null new-session -d -s main -x 160 -y 40 "sh -c '$cmd; echo \$? > $TOP/status; sleep 30'"
tm set-option -g window-size manual >/dev/null
seen "the console starts; the title says both contexts" \
    wait_for "[all: prod-eu PROTECTED, staging READ-ONLY]" 15
tm send-keys -t main 3
seen "the pools pane shows CONTEXT" wait_line "│POOL .* CONTEXT"
seen "web2 of each instance" wait_line "web2 +UP .* staging"

tm send-keys -t main : c t x Space p r o d - e u Enter / w e b 2 Enter
seen ":ctx prod-eu: the title says it" wait_for " opsdeck [prod-eu PROTECTED] "
seen ":ctx prod-eu: lb-eu's web2 alone" wait_for "1 of 4 rows  filter: web2"
tm send-keys -t main d
seen "drain in prod-eu: the typed confirmation, and why" \
    wait_for "prod-eu is protected: type web2 to confirm"
seen "... the field asks web2" wait_for "Type 'web2' to confirm"
check "nothing drained while asking" eu_is web2 status UP
tm send-keys -t main w e b 2 Enter
check "typed: HAProxy lb-eu shows web2 DRAIN" wait_until 10 eu_is web2 status DRAIN
seen "typed: the console shows it" wait_line "be_web +web2 +DRAIN"
check "typed: audited ok on lb-eu" \
    grep -q '"action":"drain","target":"be_web/web2","result":"ok","data":{"backend":"lb-eu"' "$AUDIT"
check "the other instance's web2 is untouched" stg_is web2 status UP

# an input action in a protected context: the value first, then the typed word with it
tm send-keys -t main w
seen "weight in prod-eu: the value first" wait_for "Weight (0-256 or N%)"
seen "... its button says Next" wait_for "[ Next ]"
tm send-keys -t main C-u 5 0 Enter Enter
seen "... then the typed confirmation, with the value" wait_for "Set server weight be_web/web2 with 50"
seen "... and why" wait_for "prod-eu is protected: type web2 to confirm"
check "nothing changed while asking" eu_is web2 weight 100
tm send-keys -t main w e b 2 Enter
check "typed: HAProxy lb-eu shows weight 50" wait_until 10 eu_is web2 weight 50

tm send-keys -t main : c t x Space s t a g i n g Enter
seen ":ctx staging: the title says it" wait_for " opsdeck [staging READ-ONLY] "
seen ":ctx staging: lb-stg's web2" wait_line "be_web +web2 +UP"
tm send-keys -t main d
seen "drain in staging: refused, saying why" \
    wait_for "Drain server be_web/web2: context staging is read-only"
sleep 2 # a refresh of HAProxy's state, had anything been sent
check "HAProxy lb-stg: web2 still UP" stg_is web2 status UP
check "HAProxy lb-stg: web2 weight unchanged" stg_is web2 weight 100
check "nothing sent to lb-stg (no audit line names it)" sh -c "! grep -q '\"backend\":\"lb-stg\"' '$AUDIT'"
tm send-keys -t main q
wait_until 10 test -s "$TOP/status"
check "the console quits with status 0" test "$(cat "$TOP/status" 2>/dev/null)" = 0

# headless, the same rules
check "act in staging: refused (exit 1)" \
    test "$(status_of "$OPSDECK" act -c "$CFG" --yes lb-stg pools drain be_web/web1)" = 1
check "... saying why" grep -q "context staging is read-only" "$TOP/out" "$TOP/err"
check "... HAProxy lb-stg: web1 still UP" stg_is web1 status UP
check "act in prod-eu without --confirm: refused" \
    test "$(status_of "$OPSDECK" act -c "$CFG" --yes lb-eu pools drain be_web/web1)" = 1
check "... saying it needs the typed confirmation" \
    grep -q "context prod-eu is protected: drain be_web/web1 needs --confirm be_web/web1" "$TOP/err"
check "... HAProxy lb-eu: web1 still UP" eu_is web1 status UP
check "act in prod-eu with --confirm TARGET: done" \
    test "$(status_of "$OPSDECK" act -c "$CFG" --yes --confirm be_web/web1 lb-eu pools drain be_web/web1)" = 0
check "... HAProxy lb-eu: web1 DRAIN" wait_until 5 eu_is web1 status DRAIN
done_testing
