#!/bin/bash
# Backoff and Ctrl-R (issue 20), as a person sees them: a backend against a
# server that answers 503 to everything is not polled every refresh any more;
# its pane says when the next try is, and Ctrl-R polls it at once. A slow
# backend is polled less often than its refresh, and its health says so.
. "$(dirname "$0")/lib.sh"

T="$E2E_DIR/srv"
mkdir -p "$T"
# answers 503 to every request and logs one line per request it saw; under
# /slow/ answers an empty list after a second, unlogged
cat >"$T/srv.py" <<'PY'
import http.server, sys, threading, time, os

log = open(sys.argv[1], "a", buffering=1)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/slow/"):
            time.sleep(1)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")
            return
        log.write(self.path + "\n")
        body = b"overloaded"
        self.send_response(503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Timer(120, os._exit, [0]).start()
srv.serve_forever()
PY
python3 "$T/srv.py" "$T/requests.log" >"$T/port" &
PIDS+=($!)
wait_until 10 test -s "$T/port" || { echo "Bail out! the 503 server did not start"; exit 1; }
touch "$T/requests.log"

# a 20 s refresh: after a failure the next try is at least that far (backoff
# draws between the refresh and twice it), so a poll seen sooner is Ctrl-R's
cat >"$T/opsdeck.ini" <<INI
[backend "am"]
type = alertmanager
url = http://127.0.0.1:$(cat "$T/port")
refresh = 20s
retries = 0
INI

requests() {
    wc -l <"$T/requests.log"
}
requests_are() {
    [ "$(requests)" -eq "$1" ]
}

E2E_READY="next try in" e2e_start 120 72 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the failing backend's pane says when the next try is" \
    wait_line "am: error: HTTP 503.*, next try in [0-9]+s"
check "one request so far" requests_are 1
sleep 3
check "no poll every refresh: still one request 3 s later" requests_are 1
keys C-r
check "Ctrl-R says what it did" wait_for "retrying am" 3
check "and polls at once, in the backoff" poll_until 3 requests_are 2
check "the pane still says the next try after it" wait_line "am: error: HTTP 503.*, next try in [0-9]+s"
sleep 2
check "one poll per Ctrl-R, not a burst" requests_are 2
keys '?'
check "help lists Ctrl-R (a screen tall enough for all of it)" \
    wait_line "Ctrl-R +poll this pane's backends now"
check "--keys lists the verb retry" bash -c '"$1" --keys | grep -Eq "^ +retry +Ctrl-R"' _ "$OPSDECK"
keys q
keys q
check "opsdeck quits" test "$(wait_exit)" = 0

# a backend answering in 1 s a request (alerts, then silences) at a 1 s
# refresh: polled every 5 x its 2 s poll or so, and the status bar says why
# the data is older than the refresh
cat >"$T/slow.ini" <<INI
[backend "slow"]
type = alertmanager
url = http://127.0.0.1:$(cat "$T/port")/slow
refresh = 1s
INI
e2e_start 120 30 LANG=C.UTF-8 -- -c "$T/slow.ini"
check "a slow backend's health says it is polled less often" \
    wait_line "slow: ok, every [0-9]+s \(slow answers\)" 20
keys q
check "opsdeck quits" test "$(wait_exit)" = 0

done_testing
