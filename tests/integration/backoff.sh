#!/bin/bash
# Issue 20's must-show, against faultserver.py on loopback (a free port), one
# console in tmux with three Alertmanager backends at a 2 s refresh, each on
# a path family of its own (the server counts and logs every request by key):
#   am    /always/503: every request answered 503. Before issue 20 one console
#         sent 48 requests in 31 s (every poll tried three times, never slower);
#         now at most 20 in 30 s (the number is printed), and the pane says
#         when the next try is.
#   slow  /slow/3: every answer takes 3 s (an http-json backend: one request a
#         poll, so a 3 s poll). The request rate and the in-flight share (the
#         sum of the requests' times over the wall time between the first and
#         the last poll's start) are printed; the share must stay under about a
#         fifth (at most 0.25; the policy aims at a tenth).
#   ra    /always/503+10: a 503 with Retry-After: 10. No poll within 10 s of
#         the last one, and no transport retry of it.
# Then Ctrl-R polls every backend of the alerts pane (am, ra) at once: one request more
# to the 503 server, not a burst. About 60 s in all (it runs in the ASan suite too).
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../e2e/lib.sh"
T="$E2E_DIR"
E2E_TIMEOUT=30 # a start under ASan on a busy host

python3 "$HERE/faultserver.py" 150 >"$T/fault.port" 2>"$T/fault.log" &
PIDS+=($!)
wait_until 30 test -s "$T/fault.port" || bail "faultserver did not start"
FAULT="http://127.0.0.1:$(cat "$T/fault.port")"

cat >"$T/opsdeck.ini" <<INI
[backend "am"]
type = alertmanager
url = $FAULT/always/503/k503
refresh = 2s

[backend "slow"]
type = http-json
pane = queues
url = $FAULT/slow/3/kslow/queues
key = /name
column.QUEUE = /name
refresh = 2s
timeout = 10s

[backend "ra"]
type = alertmanager
url = $FAULT/always/503+10/kra
refresh = 2s
INI

count() { # KEY: the requests the server saw for KEY
    curl -sf "$FAULT/count/$1"
}
count_is() {
    [ "$(count "$1")" = "$2" ]
}

E2E_READY="next try in" e2e_start 160 40 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
START=$SECONDS
check "the failing backend's health says when the next try is" \
    wait_line "am: error: HTTP 503.*, next try in [0-9]+s" 10

sleep $((30 - (SECONDS - START)))
check "30 s on, the failing backend's health still says the next try" \
    wait_line "am: error: HTTP 503.*, next try in [0-9]+s" 5
# 47 s: two polls of the slow backend (a 3 s poll is followed by one about 30 s after it
# started, POLL_LOAD_FACTOR times its time)
sleep $((47 - (SECONDS - START)))
check "the slow backend's health says why its data is older than the refresh" \
    wait_line "slow: ok, every [0-9]+s \(slow answers\)" 5
for key in k503 kslow kra; do
    curl -sf "$FAULT/log/$key" >"$T/$key.json"
done
# one python for the three logs (a python start costs seconds on a loaded host)
read -r N503 SLOW_OK SLOW_LINE RA_OK RA_LINE < <(python3 - "$T" <<'PY'
import json, sys
def log(key):
    return json.load(open("%s/%s.json" % (sys.argv[1], key)))["requests"]
# (1) the 503 server: the requests in the 30 s from the first
k503 = sorted(r[0] for r in log("k503"))
n503 = sum(1 for s in k503 if s < k503[0] + 30) if k503 else 0
# (2) the 3-s server
reqs = sorted(r for r in log("kslow") if r[1] is not None)
polls = [r[0] for r in reqs]  # one request a poll
if len(polls) >= 2:
    # whole intervals: from the first poll's start to the last one's
    t0, t1 = polls[0], polls[-1]
    busy = sum(min(e, t1) - s for s, e, _ in reqs if s < t1)
    share = busy / (t1 - t0)
    rate = sum(1 for s, _, _ in reqs if s < t1) * 60 / (t1 - t0)
    ok = share <= 0.25
    line = "%d_interval(s),_%d_requests_over_%.1f_s:_%.1f_requests/min,_in-flight_share_%.2f" % (
        len(polls) - 1, sum(1 for s, _, _ in reqs if s < t1), t1 - t0, rate, share)
else:
    ok, line = False, "only_%d_poll(s)_of_the_slow_server_logged" % len(polls)
# (3) Retry-After: the gaps between requests
ra = sorted(r[0] for r in log("kra"))
gaps = [b - a for a, b in zip(ra, ra[1:])]
ra_ok = len(gaps) >= 2 and min(gaps) >= 9.5
ra_line = "%d_requests,_gaps_%s_s" % (len(ra), ",".join("%.1f" % g for g in gaps))
print(n503, "yes" if ok else "no", line, "yes" if ra_ok else "no", ra_line)
PY
)
echo "# against 503 at a 2 s refresh: $N503 requests in 30 s (before issue 20: 48 in 31 s)"
check "at most 20 requests in 30 s against 503 ($N503)" test "${N503:-99}" -le 20
check "and more than two: it keeps trying on its own" test "${N503:-0}" -ge 3
echo "# the 3-s server: ${SLOW_LINE//_/ } (a fixed 2 s refresh would poll back to back: 20/min, share 1)"
check "in flight at most a quarter of the time against the 3-s server (the rule: a tenth)" test "$SLOW_OK" = yes
echo "# Retry-After: 10: ${RA_LINE//_/ }"
check "Retry-After honoured: no poll within 10 s of the last, no transport retry" \
    test "$RA_OK" = yes

# ---- Ctrl-R: every backend of the pane at once, one request more each ----
# not in the last seconds before a scheduled try of am (that one would add its own)
next_try() {
    screen | sed -nE 's/.*am: error: HTTP 503.*, next try in ([0-9]+)s.*/\1/p' | head -1
}
for _ in 1 2 3; do
    NT=$(next_try)
    [ "${NT:-0}" -ge 4 ] && break
    sleep $((${NT:-1} + 1))
done
BEFORE=$(count k503)
RA_BEFORE=$(count kra)
keys C-r
check "Ctrl-R says what it did" wait_for "retrying" 5
check "Ctrl-R polls the 503 backend at once, in its backoff: one request" \
    poll_until 3 count_is k503 $((BEFORE + 1))
check "and the Retry-After one too (a person asked)" poll_until 3 count_is kra $((RA_BEFORE + 1))
sleep 0.5 # a transport retry would have come by now (the first waits at most 250 ms)
check "one request per backend, not a burst" count_is k503 $((BEFORE + 1))

keys q
keys q
check "opsdeck quits" test "$(wait_exit)" = 0
echo "# $((SECONDS - START)) s"
done_testing
