#!/bin/bash
# :reload and SIGHUP in the console (docs/architecture.md "Reload"): a real
# HAProxy (haproxy-lib.sh) read over its stats page, and exec plugins that log
# every run. The config is edited: one backend added, one removed, one changed,
# one left as it was (its lines moved, a comment added); then broken. Asserted:
# the screen (rows come and go, the status line, the refused error with its
# file:line, the old rows still there), the audit lines, that the unchanged
# backend was not polled again (HAProxy's own request counter of its stats
# page; the unchanged plugin's run log) while the changed one was, that an
# action in flight keeps its backend, and that kill -HUP leaves opsdeck
# running while closing its terminal ends it with 129.
HERE=$(dirname "$0")
. "$HERE/lib.sh"
T="$E2E_DIR"
. "$HERE/../integration/haproxy-lib.sh"

for tool in haproxy curl socat python3; do
    command -v "$tool" >/dev/null || bail "$tool is not installed"
done
haproxy_start

# HAProxy's own count of requests its stats page answered
stats_req() {
    echo "show stat" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" 2>/dev/null | python3 -c '
import csv, sys
rows = [r for r in csv.reader(sys.stdin) if r]
head = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    d = dict(zip(head, r))
    if d["pxname"] == "stats" and d["svname"] == "FRONTEND":
        print(d["req_tot"])
'
}

# a queue plugin: one row q-NAME; every run is a line in runs-NAME
cat >"$T/q.sh" <<'SH'
#!/bin/sh
echo run >>"$(dirname "$0")/runs-$1"
printf '{"rows": [{"key": "q-%s", "cells": {"QUEUE": "q-%s", "MSGS": %s}}]}\n' "$1" "$1" "${2:-1}"
SH
chmod +x "$T/q.sh"
runs() { if [ -f "$T/runs-$1" ]; then wc -l <"$T/runs-$1" | tr -d ' '; else echo 0; fi; }

CFG="$T/opsdeck.ini"
cat >"$CFG" <<INI
[backend "lb"]
type = haproxy
url = http://127.0.0.1:$P_STATS/stats;csv
refresh = 1h

[backend "qa"]
type = exec
pane = queues
command = $T/q.sh a 7
refresh = 1h
action.purge = P | Purge queue | none | sleep 6; echo purged
timeout = 10s

[backend "qb"]
type = exec
pane = queues
command = $T/q.sh b
refresh = 1h
INI

e2e_start 160 40 LANG=C.UTF-8 -- -c "$CFG"
check "HAProxy's servers are on screen" wait_line "be_web +web1 +UP" 15
check "q-a is on screen" wait_for "q-a"
check "q-b is on screen" wait_for "q-b"
pid=$(opsdeck_pid)
poll_until 5 test "$(runs a)" = 1
before=$(stats_req)
check "each plugin ran once (refresh 1h)" test "$(runs a)/$(runs b)" = 1/1

# lb: the same settings, lines moved and a comment; qa: another argument
# (changed); qb: gone; qc: new
cat >"$CFG" <<INI
; edited
[backend "qa"]
type = exec
pane = queues
command = $T/q.sh a 8
refresh = 1h
action.purge = P | Purge queue | none | sleep 6; echo purged
timeout = 10s

[backend "lb"]
refresh = 1h
url = http://127.0.0.1:$P_STATS/stats;csv
type = haproxy

[backend "qc"]
type = exec
pane = queues
command = $T/q.sh c
refresh = 1h
INI
keys : r e l o a d Enter
check ":reload says what changed" wait_for "config reloaded: 1 added, 1 changed, 1 removed, 1 kept"
check "the new backend's rows appear" wait_for "q-c"
check "the removed backend's rows leave" wait_gone "q-b"
check "the changed backend's new rows replace its old ones" wait_line "q-a +.* 8 "
check "the changed backend polled again (a new object)" test "$(runs a)" = 2
check "the removed backend did not run again" test "$(runs b)" = 1
check "the kept backend's rows are still there" wait_line "be_web +web1 +UP"
sleep 1
after=$(stats_req)
check "the kept backend did not poll again: HAProxy counted no new stats request ($before -> $after)" \
    test "$before" = "$after"
check "opsdeck still runs" kill -0 "$pid"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
check "the audit log has the reload with the names" \
    grep -q '"action":"config.reload".*"result":"ok".*"kept":\["lb"\].*"changed":\["qa"\].*"added":\["qc"\].*"removed":\["qb"\]' "$AUDIT"

# broken: line 6 has a bad refresh
sed -i 's/^refresh = 1h$/refresh = soon/' "$CFG"
bad_line=$(grep -n "refresh = soon" "$CFG" | head -1 | cut -d: -f1)
kill -HUP "$pid"
check "SIGHUP with a broken config: refused with FILE:LINE" wait_for "reload refused: $CFG:$bad_line:"
check "kill -HUP did not end opsdeck" kill -0 "$pid"
check "no exit status was written" test ! -s "$E2E_DIR/status"
check "the old rows are still there" wait_line "be_web +web1 +UP"
check "... in every pane" wait_for "q-c"
check "the audit log has the refusal" grep -q '"action":"config.reload".*"result":"refused: ' "$AUDIT"

# SIGHUP with a good config: nothing changed
sed -i 's/^refresh = soon$/refresh = 1h/' "$CFG"
kill -HUP "$pid"
check "SIGHUP reloads: nothing changed" wait_for "config reloaded: 0 added, 0 changed, 0 removed, 3 kept"
check "no plugin ran again" test "$(runs a)/$(runs c)" = 2/1

# busy: an action in flight on qa (6 s) keeps qa; a reload that changes it is refused
keys 1
keys g
keys P
check "the purge asks first" wait_for "Purge queue"
keys Tab Enter
sed -i 's/q.sh a 8/q.sh a 9/' "$CFG"
sleep 0.5
keys : r e l o a d Enter
check "a backend with an action in flight is not replaced" wait_for "reload refused: backend qa is busy: an action is in flight"
check "the action ends" wait_for "purged" 15
keys : r e l o a d Enter
check "once idle, the reload goes through" wait_for "config reloaded: 0 added, 1 changed, 0 removed, 2 kept"

# [keys] apply at once, against the backends of the new config; a bad one is refused
printf '\n[keys]\nqueues.purge = X\n' >>"$CFG"
keys : r e l o a d Enter
check "a [keys] change keeps every backend" wait_for "config reloaded: 0 added, 0 changed, 0 removed, 3 kept"
keys 1 g X
check "the new key asks for the plugin's action" wait_for "Purge queue"
keys Escape
wait_gone "Purge queue"
printf 'queues.nosuchverb = Y\n' >>"$CFG"
keys_line=$(grep -n "nosuchverb" "$CFG" | cut -d: -f1)
keys : r e l o a d Enter
check "an unknown verb in [keys]: refused with FILE:LINE" wait_for "reload refused: $CFG:$keys_line: unknown verb"
keys 1 g X
check "the map in effect stays" wait_for "Purge queue"
keys Escape

# a run open beside the tables acts through the backends: their set may not change under it
sed -i '/nosuchverb/d' "$CFG"
printf '# Reload check\n\n## One step\nLook at the queues.\n' >"$T/rb.md"
keys : r u n Space "$T/rb.md" Enter
check "a runbook opens beside the tables" wait_for "Reload check"
sed -i 's/q.sh c$/q.sh c 5/' "$CFG"
keys : r e l o a d Enter
check "a reload that replaces a backend is refused while a run is open" \
    wait_for "reload refused: a run or drill is open"
keys : c l o s e Enter
wait_gone "Reload check"
keys : r e l o a d Enter
check "closed: the reload goes through" wait_for "config reloaded: 0 added, 1 changed, 0 removed, 2 kept"

# read only at start: a change is said, the running value stays
printf '[opsdeck]\nread_only = true\n' >>"$CFG"
keys : r e l o a d Enter
check "read_only: a restart is needed, said" wait_for "read_only change needs a restart"
check "... and actions are not turned off under the operator" screen_lacks -F "READ-ONLY"

# the panes are made again when the backends change: each keeps its filter (its view)
keys 2 / w e b 1 Enter
check "a filter on the pools" wait_for "filter: web1"
sed -i 's/q.sh c 5$/q.sh c 6/' "$CFG"
keys : r e l o a d Enter
check "a backend changed" wait_for "config reloaded: 0 added, 1 changed, 0 removed, 2 kept"
check "the pools pane keeps its filter" wait_for "filter: web1"
check "... and what it hides stays hidden" screen_lacks -E "be_web +web2"
check "the changed backend's rows came back" wait_line "q-c +.* 6 "

# a cluster (cluster = qx): its members go together; its rows go with the last
del_section() {
    python3 - "$CFG" "$1" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r'\[backend "%s"\]\n(?:[^\[].*\n|\n)*' % re.escape(name), "", text)
open(path, "w").write(text)
PY
}
for m in x1 x2; do
    printf '[backend "q%s"]\ntype = exec\npane = queues\ncommand = %s x 3\ncluster = qx\nrefresh = 1h\n\n' \
        "$m" "$T/q.sh" >>"$CFG"
done
keys : r e l o a d Enter
check "two members of a new cluster: added" wait_for "config reloaded: 2 added, 0 changed, 0 removed, 3 kept"
check "the cluster's rows show" wait_for "q-x "
del_section qx2
keys : r e l o a d Enter
check "a member gone: it is removed, the other member is replaced" \
    wait_for "config reloaded: 0 added, 1 changed, 1 removed, 3 kept"
check "the cluster's rows are still there" wait_for "q-x "
del_section qx1
keys : r e l o a d Enter
check "the last member gone" wait_for "config reloaded: 0 added, 0 changed, 1 removed, 3 kept"
check "the cluster's rows leave with it" wait_gone "q-x "
check "the other rows stay" wait_for "q-c"

# a closed terminal still ends it, with 129 (kill-window closes the pty: tmux's SIGHUP, then
# the hang-up; the SIGHUP may come while the tty still answers: the hang-up wins all the same)
tm kill-window -t main
st=$(wait_exit 10)
check "closing the terminal exits 129 (got $st)" test "$st" = 129
kill -0 "$pid" 2>/dev/null && kill -9 "$pid" # never left spinning on a test machine
done_testing
